/* The progress meter's line: bytes, percent of a known size, rate and time
 * left as curl's meter shows them; the -Z form with the count; an unknown
 * size without percent or time; always cut to the terminal's width. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "webtrace/progress.h"
#include "webtrace/textwidth.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct format_case {
    struct wt_progress_figures f;
    const char *want;
};

static void test_progress_format_table(void **state)
{
    (void)state;
    static const struct format_case cases[] = {
        { { 512, 2048, 256, 0 }, "512 B of 2.0 KiB (25%) · 256 B/s · 0:06 left" },
        { { 524288, 1048576, 524288, 0 }, "512.0 KiB of 1.0 MiB (50%) · 512.0 KiB/s · 0:01 left" },
        { { 1048576, 1048576, 1e6, 0 }, "1.0 MiB of 1.0 MiB (100%) · 976.6 KiB/s · 0:00 left" },
        /* stalled: no rate, no time left to promise */
        { { 100, 1000, 0, 0 }, "100 B of 1000 B (10%) · 0 B/s · --:-- left" },
        /* over an hour */
        { { 0, 4000000000LL, 1e6, 0 }, "0 B of 3.73 GiB (0%) · 976.6 KiB/s · 1:06:40 left" },
        /* a size of 0 is complete */
        { { 0, 0, 0, 0 }, "0 B of 0 B (100%) · 0 B/s · --:-- left" },
        { { 3 * 1048576, -1, 2048, 0 }, "3.0 MiB · 2.0 KiB/s" },
        { { 1536, 3072, 1024, 2 }, "2 at once · 1.5 KiB of 3.0 KiB (50%) · 1.0 KiB/s · 0:02 left" },
        { { 1536, -1, 1024, 3 }, "3 at once · 1.5 KiB · 1.0 KiB/s" },
    };
    for (size_t i = 0; i < N(cases); i++) {
        char buf[256];
        wt_progress_format(&cases[i].f, 200, buf, sizeof buf);
        assert_string_equal(buf, cases[i].want);
    }
}

static void test_progress_format_fits_the_width(void **state)
{
    (void)state;
    struct wt_progress_figures f = { 524288, 1048576, 524288, 0 };
    for (size_t width = 1; width < 60; width++) {
        char buf[256];
        wt_progress_format(&f, width, buf, sizeof buf);
        assert_true(wt_text_width(buf, strlen(buf)) <= width);
        assert_int_equal(strncmp(buf, "512.0 KiB of 1.0 MiB", strlen(buf) < 20 ? strlen(buf) : 20),
                         0);
    }
}

static void test_textwidth_fit_keeps_whole_characters(void **state)
{
    (void)state;
    const char *zh = "剩余 0:01";
    assert_int_equal(wt_text_fit(zh, strlen(zh), 3), 3);    /* one wide character */
    assert_int_equal(wt_text_fit(zh, strlen(zh), 4), 6);
    assert_int_equal(wt_text_fit(zh, strlen(zh), 5), 7);
    assert_int_equal(wt_text_fit(zh, strlen(zh), 100), strlen(zh));
    assert_int_equal(wt_text_fit("abc", 3, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_progress_format_table),
        cmocka_unit_test(test_progress_format_fits_the_width),
        cmocka_unit_test(test_textwidth_fit_keeps_whole_characters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
