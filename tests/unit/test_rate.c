/* --limit-rate RATE as curl 7.88 parses it: digits, then b, k, m or g. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "webtrace/cli.h"
#include "webtrace/exitcode.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_rate_suffixes_as_curl(void **state)
{
    (void)state;
    static const struct { const char *text; uint64_t want; } ok[] = {
        { "0", 0 }, { "100", 100 }, { "100B", 100 }, { "100b", 100 },
        { "10k", 10240 }, { "10K", 10240 }, { "1m", 1048576 }, { "2M", 2097152 },
        { "1g", 1073741824 }, { "1G", 1073741824 },
    };
    for (size_t i = 0; i < N(ok); i++) {
        uint64_t got = 1;
        assert_int_equal(wt_cli_parse_rate(ok[i].text, &got), 0);
        assert_true(got == ok[i].want);
    }
    /* what curl 7.88 calls "badly used" */
    static const char *const bad[] = { "", "-5", "1.5k", "10x", "1kb", "1t", "k",
                                       "99999999999999999999", "18014398509481984g" };
    for (size_t i = 0; i < N(bad); i++) {
        uint64_t got = 7;
        assert_int_equal(wt_cli_parse_rate(bad[i], &got), -1);
        assert_true(got == 7);
    }
}

static void test_rate_option_errors_exit_2(void **state)
{
    (void)state;
    struct wt_options o;
    char err[256];
    char *good[] = { "webtrace", "--limit-rate", "64k", "http://h/", NULL };
    assert_int_equal(wt_cli_parse(4, good, &o, err, sizeof err), 0);
    assert_true(o.limit_rate == 65536);
    char *bad[] = { "webtrace", "--limit-rate", "fast", "http://h/", NULL };
    assert_int_equal(wt_cli_parse(4, bad, &o, err, sizeof err), WT_EXIT_USAGE);
    assert_non_null(strstr(err, "--limit-rate: 'fast'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_suffixes_as_curl),
        cmocka_unit_test(test_rate_option_errors_exit_2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
