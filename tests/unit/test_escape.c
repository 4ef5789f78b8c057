/* Escaping for the terminal and for JSON: control and C1 bytes, invalid,
 * overlong and surrogate UTF-8, truncation that never splits a unit, and the
 * worst-case size macros against random input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "webtrace/escape.h"

#define IN(lit) lit, sizeof(lit) - 1

struct esc_case {
    const char *in;
    size_t inlen;
    const char *want;
};

#define N_CASES(t) (sizeof(t) / sizeof((t)[0]))

/* ---- helpers ---------------------------------------------------------- */

typedef size_t (*escape_fn)(const char *, size_t, char *, size_t);

/* Escapes into a buffer of exactly the worst-case size (heap, so ASan sees
 * any write past it) and returns a heap copy of the result. */
static char *escape_full(escape_fn fn, size_t per_byte, const char *in, size_t inlen,
                         size_t *len)
{
    size_t cap = inlen * per_byte + 1;
    char *out = malloc(cap);
    assert_non_null(out);
    *len = fn(in, inlen, out, cap);
    assert_true(*len < cap);
    assert_int_equal(out[*len], '\0');
    return out;
}

static void check_cases(escape_fn fn, size_t per_byte, const struct esc_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *out = escape_full(fn, per_byte, cases[i].in, cases[i].inlen, &len);
        assert_string_equal(out, cases[i].want);
        assert_int_equal(len, strlen(cases[i].want));
        free(out);
    }
}

static void check_term(const struct esc_case *cases, size_t n)
{
    check_cases(wt_escape_term, 4, cases, n);
}

static void check_json(const struct esc_case *cases, size_t n)
{
    check_cases(wt_escape_json, 6, cases, n);
}

/* Independent decoder: length of the UTF-8 sequence at p, 0 if ill-formed.
 * Decodes the code point and rejects by value, unlike escape.c which checks
 * byte ranges. */
static size_t decode_utf8(const unsigned char *p, size_t avail, uint32_t *cp)
{
    static const uint32_t min_for_len[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    size_t n;
    uint32_t v;
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    } else if ((p[0] & 0xe0) == 0xc0) {
        n = 2;
        v = p[0] & 0x1f;
    } else if ((p[0] & 0xf0) == 0xe0) {
        n = 3;
        v = p[0] & 0x0f;
    } else if ((p[0] & 0xf8) == 0xf0) {
        n = 4;
        v = p[0] & 0x07;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (p[i] & 0x3f);
    }
    if (v < min_for_len[n] || (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
        return 0;
    *cp = v;
    return n;
}

static int is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* Unit lengths of an escaped output, read back from the output itself. */
static size_t term_unit_len(const char *s)
{
    if (s[0] == '\\')
        return s[1] == 'x' ? 4 : 2;
    uint32_t cp;
    size_t n = decode_utf8((const unsigned char *)s, strlen(s), &cp);
    assert_true(n > 0);
    return n;
}

static size_t json_unit_len(const char *s)
{
    if (s[0] == '\\')
        return s[1] == 'u' ? 6 : 2;
    uint32_t cp;
    size_t n = decode_utf8((const unsigned char *)s, strlen(s), &cp);
    assert_true(n > 0);
    return n;
}

/* For every outlen from 0 to past the full size: the result is the longest
 * whole-unit prefix of the full output that fits, NUL terminated, and nothing
 * is written at or past out[outlen]. */
static void check_truncation(escape_fn fn, size_t per_byte, size_t (*unit_len)(const char *),
                             const char *in, size_t inlen)
{
    size_t full_len;
    char *full = escape_full(fn, per_byte, in, inlen, &full_len);

    for (size_t outlen = 0; outlen <= full_len + 2; outlen++) {
        char *out = malloc(outlen ? outlen : 1);
        assert_non_null(out);
        memset(out, 0x5a, outlen ? outlen : 1);
        size_t got = fn(in, inlen, out, outlen);
        if (outlen == 0) {
            assert_int_equal(got, 0);
            assert_int_equal((unsigned char)out[0], 0x5a);
            free(out);
            continue;
        }
        size_t want = 0;
        while (want < full_len) {
            size_t u = unit_len(full + want);
            if (want + u > outlen - 1)
                break;
            want += u;
        }
        assert_int_equal(got, want);
        assert_memory_equal(out, full, got);
        assert_int_equal(out[got], '\0');
        free(out);
    }
    free(full);
}

/* splitmix64: fixed seed, so every run checks the same inputs. */
static uint64_t prng_state = 0x5eed2024u;

static uint64_t prng(void)
{
    uint64_t z = (prng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static size_t encode_utf8(uint32_t cp, unsigned char *p)
{
    if (cp < 0x80) {
        p[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        p[0] = (unsigned char)(0xc0 | cp >> 6);
        p[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        p[0] = (unsigned char)(0xe0 | cp >> 12);
        p[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        p[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    p[0] = (unsigned char)(0xf0 | cp >> 18);
    p[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
    p[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
    p[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Random input biased towards the interesting: ASCII, controls, stray high
 * bytes, well-formed sequences (C1 included) and cut-off ones. */
static size_t random_input(unsigned char *buf, size_t cap)
{
    static const uint32_t cps[] = { 0x80, 0x9b, 0x9f, 0xa0, 0xe9, 0x7ff, 0x800, 0x20ac,
                                    0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x1f600,
                                    0x10ffff };
    size_t len = prng() % cap, n = 0;
    while (n < len) {
        uint64_t r = prng();
        switch (r % 6) {
        case 0:
        case 1:
            buf[n++] = (unsigned char)(0x20 + (r >> 8) % 95);
            break;
        case 2:
            buf[n++] = "\x00\x1b\x7f\x9b\"\\\n\t\x01\x1f"[(r >> 8) % 10];
            break;
        case 3:
            buf[n++] = (unsigned char)(0x80 | (r >> 8));
            break;
        default: {
            unsigned char seq[4];
            size_t sl = encode_utf8(cps[(r >> 8) % N_CASES(cps)], seq);
            if ((r >> 16) % 4 == 0)
                sl = 1 + (r >> 20) % sl; /* sometimes cut short */
            for (size_t i = 0; i < sl && n < len; i++)
                buf[n++] = seq[i];
            break;
        }
        }
    }
    return len;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Escaped text must be valid UTF-8 with no control code point anywhere. */
static void assert_clean_utf8(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = decode_utf8(p + i, len - i, &cp);
        assert_true(n > 0);
        assert_false(is_control(cp));
        i += n;
    }
}

/* Reverses terminal escaping; it is lossless. */
static size_t unescape_term(const char *s, size_t len, unsigned char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] != '\\') {
            out[n++] = (unsigned char)s[i++];
            continue;
        }
        assert_true(i + 1 < len);
        if (s[i + 1] == '\\') {
            out[n++] = '\\';
            i += 2;
            continue;
        }
        assert_int_equal(s[i + 1], 'x');
        assert_true(i + 3 < len);
        int hi = hexval(s[i + 2]), lo = hexval(s[i + 3]);
        assert_true(hi >= 0 && lo >= 0);
        out[n++] = (unsigned char)(hi << 4 | lo);
        i += 4;
    }
    return n;
}

/* Parses a JSON string body (RFC 8259 §7) back to UTF-8 bytes. */
static size_t unescape_json(const char *s, size_t len, unsigned char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        assert_true(c >= 0x20);
        assert_true(c != '"');
        if (c != '\\') {
            out[n++] = c;
            i++;
            continue;
        }
        assert_true(i + 1 < len);
        char e = s[i + 1];
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e != '\0' && simple) {
            out[n++] = (unsigned char)"\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
            i += 2;
            continue;
        }
        assert_int_equal(e, 'u');
        assert_true(i + 5 < len);
        uint32_t cp = 0;
        for (size_t k = 2; k < 6; k++) {
            int h = hexval(s[i + k]);
            assert_true(h >= 0);
            cp = cp << 4 | (uint32_t)h;
        }
        /* the escaper only emits \u for code points below U+00A0 */
        assert_true(cp < 0xa0);
        n += encode_utf8(cp, out + n);
        i += 6;
    }
    return n;
}

static int valid_utf8(const unsigned char *p, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = decode_utf8(p + i, len - i, &cp);
        if (!n)
            return 0;
        i += n;
    }
    return 1;
}

/* ---- terminal ----------------------------------------------------------- */

static void test_escape_term_passes_printable_ascii(void **state)
{
    (void)state;
    static const struct esc_case cases[] = {
        { IN(""), "" },
        { IN("Content-Type: text/html; charset=utf-8"), "Content-Type: text/html; charset=utf-8" },
        { IN(" !\"#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~"), " !\"#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~" },
    };
    check_term(cases, N_CASES(cases));
}

static void test_escape_term_escapes_esc_sequences(void **state)
{
    (void)state;
    static const struct esc_case cases[] = {
        { IN("\x1b[31mred\x1b[0m"), "\\x1B[31mred\\x1B[0m" },
        { IN("\x1b]0;pwned\x07"), "\\x1B]0;pwned\\x07" },       /* OSC title */
        { IN("\x1b]8;;http://x\x1b\\"), "\\x1B]8;;http://x\\x1B\\\\" }, /* OSC 8 */
        { IN("a\rb\nc\td"), "a\\x0Db\\x0Ac\\x09d" },
        { IN("\x01\x1f"), "\\x01\\x1F" },
    };
    check_term(cases, N_CASES(cases));
}

static void test_escape_term_escapes_8bit_csi(void **state)
{
    (void)state;
    static const struct esc_case cases[] = {
        { IN("\x9b" "31m"), "\\x9B31m" },                /* raw 0x9b byte */
        { IN("\xc2\x9b" "2J"), "\\xC2\\x9B2J" },         /* U+009B encoded */
        { IN("\xc2\x80\xc2\x9f"), "\\xC2\\x80\\xC2\\x9F" }, /* C1 range ends */
        { IN("\xc2\xa0"), "\xc2\xa0" },                  /* U+00A0: not C1 */
    };
    check_term(cases, N_CASES(cases));
}

static void test_escape_term_nul_in_middle(void **state)
{
    (void)state;
    static const struct esc_case cases[] = {
        { IN("a\0b"), "a\\x00b" },
        { IN("\0"), "\\x00" },
    };
    check_term(cases, N_CASES(cases));
}

static void test_escape_term_del_and_backslash(void **state)
{
    (void)state;
    static const struct esc_case cases[] = {
        { IN("\x7f"), "\\x7F" },
        { IN("C:\\dir"), "C:\\\\dir" },
        { IN("\\x1B"), "\\\\x1B" }, /* literal text cannot pose as an escape */
    };
    check_term(cases, N_CASES(cases));
}

static void test_escape_term_invalid_utf8(void **state)
{
    (void)state;
    static const struct esc_case cases[] = {
        { IN("\x80"), "\\x80" },             /* lone continuation */
        { IN("\xc3" "A"), "\\xC3A" },        /* lead then ASCII */
        { IN("\xc3"), "\\xC3" },             /* lead at end */
        { IN("\xe2\x82"), "\\xE2\\x82" },    /* 3-byte cut short */
        { IN("\xf0\x9f\x98"), "\\xF0\\x9F\\x98" },
        { IN("\xff\xfe"), "\\xFF\\xFE" },
        { IN("\xf5\x80\x80\x80"), "\\xF5\\x80\\x80\\x80" },
        { IN("\xf4\x90\x80\x80"), "\\xF4\\x90\\x80\\x80" }, /* U+110000 */
    };
    check_term(cases, N_CASES(cases));
}

static void test_escape_term_overlong(void **state)
{
    (void)state;
    static const struct esc_case cases[] = {
        { IN("\xc0\xaf"), "\\xC0\\xAF" },             /* '/' in 2 bytes */
        { IN("\xc1\xbf"), "\\xC1\\xBF" },
        { IN("\xe0\x80\xaf"), "\\xE0\\x80\\xAF" },
        { IN("\xe0\x9f\xbf"), "\\xE0\\x9F\\xBF" },    /* U+07FF in 3 bytes */
        { IN("\xf0\x80\x80\xaf"), "\\xF0\\x80\\x80\\xAF" },
        { IN("\xf0\x8f\xbf\xbf"), "\\xF0\\x8F\\xBF\\xBF" },
        { IN("\xc0\x9b"), "\\xC0\\x9B" },             /* overlong CSI */
    };
    check_term(cases, N_CASES(cases));
}

static void test_escape_term_surrogate(void **state)
{
    (void)state;
    static const struct esc_case cases[] = {
        { IN("\xed\xa0\x80"), "\\xED\\xA0\\x80" },    /* U+D800 */
        { IN("\xed\xbf\xbf"), "\\xED\\xBF\\xBF" },    /* U+DFFF */
        { IN("\xed\x9f\xbf"), "\xed\x9f\xbf" },       /* U+D7FF is fine */
        { IN("\xee\x80\x80"), "\xee\x80\x80" },       /* U+E000 is fine */
    };
    check_term(cases, N_CASES(cases));
}

static void test_escape_term_keeps_valid_multibyte(void **state)
{
    (void)state;
    static const struct esc_case cases[] = {
        { IN("caf\xc3\xa9"), "caf\xc3\xa9" },
        { IN("\xe2\x82\xac 5"), "\xe2\x82\xac 5" },
        { IN("\xf0\x9f\x98\x80!"), "\xf0\x9f\x98\x80!" }, /* emoji */
        { IN("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf" },   /* U+10FFFF */
        { IN("\xe7\x99\xbe\xe5\xba\xa6"), "\xe7\x99\xbe\xe5\xba\xa6" },
    };
    check_term(cases, N_CASES(cases));
}

/* ---- JSON --------------------------------------------------------------- */

static void test_escape_json_quotes_and_backslashes(void **state)
{
    (void)state;
    static const struct esc_case cases[] = {
        { IN("say \"hi\""), "say \\\"hi\\\"" },
        { IN("C:\\dir\\"), "C:\\\\dir\\\\" },
        { IN("a/b"), "a/b" },
        { IN("\\\""), "\\\\\\\"" },
    };
    check_json(cases, N_CASES(cases));
}

static void test_escape_json_short_control_escapes(void **state)
{
    (void)state;
    static const struct esc_case cases[] = {
        { IN("\b\f\n\r\t"), "\\b\\f\\n\\r\\t" },
        { IN("line1\r\nline2"), "line1\\r\\nline2" },
    };
    check_json(cases, N_CASES(cases));
}

static void test_escape_json_other_controls_as_u00xx(void **state)
{
    (void)state;
    static const struct esc_case cases[] = {
        { IN("a\0b"), "a\\u0000b" },
        { IN("\x1b[0m"), "\\u001b[0m" },
        { IN("\x01\x0b\x1f"), "\\u0001\\u000b\\u001f" },
    };
    check_json(cases, N_CASES(cases));
}

static void test_escape_json_del_and_c1(void **state)
{
    (void)state;
    static const struct esc_case cases[] = {
        { IN("\x7f"), "\\u007f" },
        { IN("\xc2\x9b"), "\\u009b" },
        { IN("\xc2\x80\xc2\x9f\xc2\xa0"), "\\u0080\\u009f\xc2\xa0" },
        { IN("\x9b"), "\xef\xbf\xbd" }, /* raw 0x9b is invalid UTF-8 */
    };
    check_json(cases, N_CASES(cases));
}

static void test_escape_json_invalid_bytes_become_fffd(void **state)
{
    (void)state;
    static const struct esc_case cases[] = {
        { IN("\xff\xfe"), "\xef\xbf\xbd\xef\xbf\xbd" },        /* one per byte */
        { IN("a\x80z"), "a\xef\xbf\xbdz" },
        { IN("\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd" },        /* cut short */
        { IN("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd" },        /* overlong */
        { IN("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
        { IN("\xf4\x90\x80\x80"),
          "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* > U+10FFFF */
        { IN("\xc3\""), "\xef\xbf\xbd\\\"" },
    };
    check_json(cases, N_CASES(cases));
}

static void test_escape_json_keeps_valid_multibyte(void **state)
{
    (void)state;
    static const struct esc_case cases[] = {
        { IN("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80" },
        { IN("caf\xc3\xa9"), "caf\xc3\xa9" },
        { IN("\xef\xbf\xbd"), "\xef\xbf\xbd" },
        { IN("\xe2\x80\xa8"), "\xe2\x80\xa8" }, /* U+2028 is legal in JSON */
    };
    check_json(cases, N_CASES(cases));
}

/* ---- truncation --------------------------------------------------------- */

static const struct {
    const char *in;
    size_t inlen;
} truncation_inputs[] = {
    { IN("plain ascii text") },
    { IN("\x1b[31m\\\"q\"\xc2\x9b\x7f\0end") },
    { IN("\xf0\x9f\x98\x80\xe2\x82\xac\xc3\xa9x\xf0\x9f\x98\x80") },
    { IN("\xff\xc3\xed\xa0\x80\xc2\x80\xf0\x9f\x98") },
    { IN("a\tb\nc\\d\"e\x01") },
};

static void test_escape_term_truncates_without_splitting(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CASES(truncation_inputs); i++)
        check_truncation(wt_escape_term, 4, term_unit_len, truncation_inputs[i].in,
                         truncation_inputs[i].inlen);
}

static void test_escape_json_truncates_without_splitting(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CASES(truncation_inputs); i++)
        check_truncation(wt_escape_json, 6, json_unit_len, truncation_inputs[i].in,
                         truncation_inputs[i].inlen);
}

static void test_escape_outlen_zero_touches_nothing(void **state)
{
    (void)state;
    char sentinel = 'S';
    assert_int_equal(wt_escape_term("abc", 3, &sentinel, 0), 0);
    assert_int_equal(wt_escape_json("abc", 3, &sentinel, 0), 0);
    assert_int_equal(sentinel, 'S');

    char one[1] = { 'S' };
    assert_int_equal(wt_escape_term("abc", 3, one, 1), 0);
    assert_int_equal(one[0], '\0');
    one[0] = 'S';
    assert_int_equal(wt_escape_json("abc", 3, one, 1), 0);
    assert_int_equal(one[0], '\0');
}

/* ---- bounds over random input -------------------------------------------- */

enum { RANDOM_ROUNDS = 20000, RANDOM_MAX_LEN = 96 };

static void test_escape_worst_case_is_reached_exactly(void **state)
{
    (void)state;
    char in[16];
    char term[WT_ESCAPE_TERM_MAX(sizeof in)], json[WT_ESCAPE_JSON_MAX(sizeof in)];
    memset(in, 0x1b, sizeof in);
    assert_int_equal(wt_escape_term(in, sizeof in, term, sizeof term), sizeof term - 1);
    assert_int_equal(wt_escape_json(in, sizeof in, json, sizeof json), sizeof json - 1);
}

static void test_escape_term_bound_holds_for_random_input(void **state)
{
    (void)state;
    unsigned char in[RANDOM_MAX_LEN], back[RANDOM_MAX_LEN * 4];
    prng_state = 0x5eed2024u;
    for (int round = 0; round < RANDOM_ROUNDS; round++) {
        size_t inlen = random_input(in, sizeof in);
        size_t len;
        char *out = escape_full(wt_escape_term, 4, (const char *)in, inlen, &len);
        assert_int_equal(strlen(out), len);
        assert_clean_utf8(out, len);
        /* nothing was cut: the escaping round-trips to the input */
        size_t n = unescape_term(out, len, back);
        assert_int_equal(n, inlen);
        assert_memory_equal(back, in, inlen);
        free(out);
    }
}

static void test_escape_json_random_output_is_valid(void **state)
{
    (void)state;
    unsigned char in[RANDOM_MAX_LEN], back[RANDOM_MAX_LEN * 6];
    prng_state = 0x5eed2025u;
    for (int round = 0; round < RANDOM_ROUNDS; round++) {
        size_t inlen = random_input(in, sizeof in);
        size_t len;
        char *out = escape_full(wt_escape_json, 6, (const char *)in, inlen, &len);
        assert_int_equal(strlen(out), len);
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)out[i];
            assert_true(c >= 0x20 && c != 0x7f);
        }
        assert_true(valid_utf8((const unsigned char *)out, len));
        size_t n = unescape_json(out, len, back);
        assert_true(valid_utf8(back, n));
        if (valid_utf8(in, inlen)) {
            assert_int_equal(n, inlen);
            assert_memory_equal(back, in, inlen);
        }
        free(out);
    }
}

static void test_escape_term_escapes_bidi_controls_json_keeps_them(void **state)
{
    (void)state;
    /* "a" RLO "b" LRI "c" ALM: reordering controls must not reach a terminal */
    static const char in[] = "a\xe2\x80\xae" "b\xe2\x81\xa6" "c\xd8\x9c";
    char out[128];
    wt_escape_term(in, sizeof in - 1, out, sizeof out);
    assert_string_equal(out, "a\\xE2\\x80\\xAEb\\xE2\\x81\\xA6c\\xD8\\x9C");
    /* other punctuation of the same block still passes: U+2014 em dash */
    wt_escape_term("\xe2\x80\x94", 3, out, sizeof out);
    assert_string_equal(out, "\xe2\x80\x94");
    /* JSON text is data, not display: valid UTF-8 is kept as it is */
    wt_escape_json(in, sizeof in - 1, out, sizeof out);
    assert_string_equal(out, in);
}

/* Quoting user input for an error sentence: printable ASCII kept, other
 * bytes as '?', cut with "..." to fit. */
static void test_quote_input_keeps_printable_and_cuts_with_dots(void **state)
{
    (void)state;
    char buf[16];
    assert_string_equal(wt_quote_input(buf, sizeof buf, "a\x1b[1m\xff", 6), "a?[1m?");
    assert_string_equal(wt_quote_input(buf, 8, "abcdefghij", 10), "abcd...");
    assert_string_equal(wt_quote_input(buf, 8, "abcdefg", 7), "abcdefg");
}

/* A buffer too small for the dots is cut without them, and nothing is
 * written past it: the cut used to compute its room as buflen - 4, which
 * wrapped around below 4 bytes. */
static void test_quote_input_tiny_buffers_stay_in_bounds(void **state)
{
    (void)state;
    for (size_t buflen = 0; buflen < 5; buflen++) {
        char buf[16];
        memset(buf, 'Z', sizeof buf);
        wt_quote_input(buf, buflen, "abcdefgh", 8);
        for (size_t i = buflen; i < sizeof buf; i++)
            assert_int_equal(buf[i], 'Z');
        if (buflen > 0)
            assert_int_equal(strlen(buf), buflen - 1);
    }
    char buf[4];
    assert_string_equal(wt_quote_input(buf, 2, "xyz", 3), "x");
    assert_string_equal(wt_quote_input(buf, 4, "xyzw", 4), "...");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_term_passes_printable_ascii),
        cmocka_unit_test(test_escape_term_escapes_bidi_controls_json_keeps_them),
        cmocka_unit_test(test_escape_term_escapes_esc_sequences),
        cmocka_unit_test(test_escape_term_escapes_8bit_csi),
        cmocka_unit_test(test_escape_term_nul_in_middle),
        cmocka_unit_test(test_escape_term_del_and_backslash),
        cmocka_unit_test(test_escape_term_invalid_utf8),
        cmocka_unit_test(test_escape_term_overlong),
        cmocka_unit_test(test_escape_term_surrogate),
        cmocka_unit_test(test_escape_term_keeps_valid_multibyte),
        cmocka_unit_test(test_escape_json_quotes_and_backslashes),
        cmocka_unit_test(test_quote_input_keeps_printable_and_cuts_with_dots),
        cmocka_unit_test(test_quote_input_tiny_buffers_stay_in_bounds),
        cmocka_unit_test(test_escape_json_short_control_escapes),
        cmocka_unit_test(test_escape_json_other_controls_as_u00xx),
        cmocka_unit_test(test_escape_json_del_and_c1),
        cmocka_unit_test(test_escape_json_invalid_bytes_become_fffd),
        cmocka_unit_test(test_escape_json_keeps_valid_multibyte),
        cmocka_unit_test(test_escape_term_truncates_without_splitting),
        cmocka_unit_test(test_escape_json_truncates_without_splitting),
        cmocka_unit_test(test_escape_outlen_zero_touches_nothing),
        cmocka_unit_test(test_escape_worst_case_is_reached_exactly),
        cmocka_unit_test(test_escape_term_bound_holds_for_random_input),
        cmocka_unit_test(test_escape_json_random_output_is_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
