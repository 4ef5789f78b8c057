/* escape: network bytes to terminal-safe or JSON-safe text. Output is always
 * a prefix of the untruncated result made of whole units (one escape, one
 * UTF-8 sequence or one ASCII byte), so a cut never leaves half an escape. */
#include "webtrace/escape.h"

#include "webtrace/i18n.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define WT_ERRF_TRANSLATED_MAX 1024

static const char hex_upper[] = "0123456789ABCDEF";
static const char hex_lower[] = "0123456789abcdef";

static int term_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '\\';
}

static int json_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '\\' && c != '"';
}

/* Length (2..4) of the well-formed UTF-8 sequence at p, or 0. The ranges are
 * Unicode's Table 3-7: the tightened second byte after E0/ED/F0/F4 is what
 * excludes overlongs, surrogates and code points above U+10FFFF. */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
    unsigned char lead = p[0];
    unsigned char lo = 0x80, hi = 0xbf;
    size_t n;

    if (lead >= 0xc2 && lead <= 0xdf) {
        n = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        n = 3;
        if (lead == 0xe0)
            lo = 0xa0;
        else if (lead == 0xed)
            hi = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        n = 4;
        if (lead == 0xf0)
            lo = 0x90;
        else if (lead == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    if (avail < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

static int is_c1(const unsigned char *p, size_t seq_len)
{
    return seq_len == 2 && p[0] == 0xc2 && p[1] < 0xa0;
}

/* Bidirectional controls (U+061C, U+200E/F, U+202A..E, U+2066..9) can make
 * a terminal show text in another order than it was sent ("Trojan
 * Source"): escape them like controls. */
static int is_bidi_control(const unsigned char *p, size_t seq_len)
{
    if (seq_len == 2)
        return p[0] == 0xd8 && p[1] == 0x9c;
    if (seq_len != 3 || p[0] != 0xe2)
        return 0;
    if (p[1] == 0x80)
        return p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xaa && p[2] <= 0xae);
    return p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9;
}

/* Copies the longest all-plain run at in[*i] into out[*o], bounded by room.
 * Returns 0 when the output filled up. */
static int copy_run(const unsigned char *in, size_t inlen, size_t *i, char *out, size_t *o,
                    size_t room, int (*plain)(unsigned char))
{
    size_t end = *i;
    while (end < inlen && plain(in[end]))
        end++;
    size_t n = end - *i;
    int fits = n <= room - *o;
    if (!fits)
        n = room - *o;
    memcpy(out + *o, in + *i, n);
    *o += n;
    *i += n;
    return fits;
}

/* Copies the well-formed, non-C1 UTF-8 sequence at in[*i], if there is one.
 * Returns 1 when copied, 0 when in[*i] is not such a sequence, -1 when it is
 * but does not fit. */
static int copy_utf8(const unsigned char *in, size_t inlen, size_t *i, char *out, size_t *o,
                     size_t room, int for_terminal)
{
    if (in[*i] < 0x80)
        return 0;
    size_t seq = utf8_len(in + *i, inlen - *i);
    if (!seq || is_c1(in + *i, seq) || (for_terminal && is_bidi_control(in + *i, seq)))
        return 0;
    if (seq > room - *o)
        return -1;
    memcpy(out + *o, in + *i, seq);
    *o += seq;
    *i += seq;
    return 1;
}

size_t wt_escape_term(const char *in, size_t inlen, char *out, size_t outlen)
{
    if (outlen == 0)
        return 0;
    const unsigned char *s = (const unsigned char *)in;
    size_t room = outlen - 1, o = 0, i = 0;

    while (i < inlen) {
        if (term_plain(s[i])) {
            if (!copy_run(s, inlen, &i, out, &o, room, term_plain))
                break;
            continue;
        }
        int copied = copy_utf8(s, inlen, &i, out, &o, room, 1);
        if (copied < 0)
            break;
        if (copied)
            continue;

        char unit[4];
        size_t unit_len;
        if (s[i] == '\\') {
            unit[0] = unit[1] = '\\';
            unit_len = 2;
        } else {
            /* A C1 control goes out byte by byte: \xC2 now, then its second
             * byte, not a valid lead on its own, as \xHH on the next turn. */
            unit[0] = '\\';
            unit[1] = 'x';
            unit[2] = hex_upper[s[i] >> 4];
            unit[3] = hex_upper[s[i] & 15];
            unit_len = 4;
        }
        if (unit_len > room - o)
            break;
        memcpy(out + o, unit, unit_len);
        o += unit_len;
        i++;
    }
    out[o] = '\0';
    return o;
}

size_t wt_escape_json(const char *in, size_t inlen, char *out, size_t outlen)
{
    if (outlen == 0)
        return 0;
    const unsigned char *s = (const unsigned char *)in;
    size_t room = outlen - 1, o = 0, i = 0;

    while (i < inlen) {
        if (json_plain(s[i])) {
            if (!copy_run(s, inlen, &i, out, &o, room, json_plain))
                break;
            continue;
        }
        int copied = copy_utf8(s, inlen, &i, out, &o, room, 0);
        if (copied < 0)
            break;
        if (copied)
            continue;

        unsigned char c = s[i];
        char unit[6] = { '\\' };
        size_t unit_len = 2, used = 1;
        switch (c) {
        case '"': unit[1] = '"'; break;
        case '\\': unit[1] = '\\'; break;
        case '\b': unit[1] = 'b'; break;
        case '\f': unit[1] = 'f'; break;
        case '\n': unit[1] = 'n'; break;
        case '\r': unit[1] = 'r'; break;
        case '\t': unit[1] = 't'; break;
        default: {
            unsigned code = c;
            if (c == 0xc2 && i + 1 < inlen && s[i + 1] >= 0x80 && s[i + 1] < 0xa0) {
                code = s[i + 1]; /* C1: U+0080..U+009F */
                used = 2;
            } else if (c >= 0x80) {
                memcpy(unit, "\xef\xbf\xbd", 3); /* U+FFFD per invalid byte */
                unit_len = 3;
                break;
            }
            unit[1] = 'u';
            unit[2] = '0';
            unit[3] = '0';
            unit[4] = hex_lower[code >> 4];
            unit[5] = hex_lower[code & 15];
            unit_len = 6;
            break;
        }
        }
        if (unit_len > room - o)
            break;
        memcpy(out + o, unit, unit_len);
        o += unit_len;
        i += used;
    }
    out[o] = '\0';
    return o;
}

const char *wt_quote_input(char *buf, size_t buflen, const char *text, size_t len)
{
    if (buflen == 0)
        return buf;
    size_t max = buflen - 1;
    size_t n = 0;
    /* Below 4 bytes there is no room for the dots: cut without them. */
    int cut = len > max && max >= 3;
    if (cut)
        max -= 3;
    for (; n < len && n < max; n++) {
        unsigned char c = (unsigned char)text[n];
        buf[n] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (cut) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

void wt_errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    vsnprintf(err, errlen, fmt, ap);
    /* Built twice, here where the arguments still exist: English for the
     * error record and the machine outputs, translated for the narration. */
    const char *translated_fmt = wt_gettext(fmt);
    if (translated_fmt != fmt) {
        char translated[WT_ERRF_TRANSLATED_MAX];
        vsnprintf(translated, sizeof translated, translated_fmt, again);
        wt_i18n_remember(err, translated);
    }
    va_end(again);
    va_end(ap);
}
