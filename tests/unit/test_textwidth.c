/* Display width of UTF-8 text: CJK and full-width forms take two columns,
 * ASCII and the narration's arrows one, combining marks none; invalid bytes
 * count one each; padding fills to a column whatever the script. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/textwidth.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct width_case {
    const char *text;
    size_t want;
};

static void test_textwidth_table(void **state)
{
    (void)state;
    static const struct width_case cases[] = {
        { "", 0 },
        { "webtrace", 8 },
        { "[dns ] ", 7 },
        { "三次握手", 8 },
        { "四次挥手：FIN", 13 },          /* full-width colon is wide */
        { "端口 80（知名端口）", 19 },
        { "→ ← ↳ │ · …", 11 },            /* ambiguous-width: one column */
        { "ＡＢ", 4 },                     /* full-width Latin */
        { "、。「」", 8 },                 /* CJK punctuation */
        { "한국어", 6 },                   /* Hangul syllables */
        { "かな", 4 },
        { "e\xcc\x81", 1 },               /* e + combining acute */
        { "\xe2\x80\x8b", 0 },            /* zero-width space */
        { "\xf0\xa0\x80\x80", 2 },        /* U+20000, CJK Extension B */
        { "\xf0\x9f\x98\x80", 2 },        /* emoji */
        { "\xff\xfe", 2 },                /* invalid bytes: one column each */
        { "\xe4\xb8", 2 },                /* a cut sequence: its bytes count one each */
        { "\xc0\xaf", 2 },                /* overlong '/' */
        { "\xed\xa0\x80", 3 },            /* surrogate */
    };
    for (size_t i = 0; i < N(cases); i++) {
        size_t got = wt_text_width(cases[i].text, strlen(cases[i].text));
        if (got != cases[i].want)
            fail_msg("case %zu (%s): got %zu, want %zu", i, cases[i].text, got, cases[i].want);
    }
}

static void test_textwidth_codepoint_edges(void **state)
{
    (void)state;
    assert_int_equal(wt_codepoint_width(0x10ff), 1);
    assert_int_equal(wt_codepoint_width(0x1100), 2);
    assert_int_equal(wt_codepoint_width(0x4e00), 2);
    assert_int_equal(wt_codepoint_width(0x9fff), 2);
    assert_int_equal(wt_codepoint_width(0xa000), 2);
    assert_int_equal(wt_codepoint_width(0xff01), 2);
    assert_int_equal(wt_codepoint_width(0xff61), 1);   /* half-width katakana */
    assert_int_equal(wt_codepoint_width(0x0300), 0);
    assert_int_equal(wt_codepoint_width(0x2192), 1);
}

/* Padding is by columns, not bytes: both lines end at column 12. */
static void test_textwidth_pad_to_column(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    wt_put_padded(out, "abc", 12);
    fputs("|\n", out);
    wt_put_padded(out, "三次握手", 12);
    fputs("|\n", out);
    wt_put_padded(out, "longer than twelve", 12);
    fputs("|\n", out);
    fclose(out);
    assert_string_equal(buf, "abc         |\n三次握手    |\nlonger than twelve|\n");
    free(buf);
}

struct wrap_case {
    const char *text;
    size_t column, indent, width;
    const char *want;
};

/* Wrapping by columns: at spaces for English, beside wide characters for
 * Chinese, never with closing punctuation first on a line, never a line
 * wider than asked (except a word wider than the whole line, cut). */
static void test_textwidth_wrap(void **state)
{
    (void)state;
    static const struct wrap_case cases[] = {
        { "", 0, 0, 10, "\n" },
        { "short", 0, 0, 10, "short\n" },
        { "one two three four", 0, 0, 9, "one two\nthree\nfour\n" },
        { "one two three four", 4, 2, 9, "one\n  two\n  three\n  four\n" },
        { "abcdefghijkl", 0, 0, 5, "abcde\nfghij\nkl\n" },
        /* 2 columns each: 4 characters fit in 8 */
        { "三次握手四次挥手", 0, 0, 8, "三次握手\n四次挥手\n" },
        /* the comma may not start a line: the break moves before 手 */
        { "三次握手，四次", 0, 0, 8, "三次握\n手，四次\n" },
        /* an opening bracket stays with what follows it */
        { "一二三（四五", 0, 0, 8, "一二三\n（四五\n" },
        /* ASCII beside Chinese breaks at the space, or beside the wide one */
        { "用 TCP 连接服务器", 0, 0, 10, "用 TCP 连\n接服务器\n" },
        { "two  spaces", 0, 0, 4, "two\nspac\nes\n" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);
        assert_non_null(out);
        wt_put_wrapped(out, cases[i].text, cases[i].column, cases[i].indent, cases[i].width);
        fclose(out);
        if (strcmp(buf, cases[i].want) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, buf, cases[i].want);
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_textwidth_table),
        cmocka_unit_test(test_textwidth_codepoint_edges),
        cmocka_unit_test(test_textwidth_pad_to_column),
        cmocka_unit_test(test_textwidth_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
