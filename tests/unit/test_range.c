/* -r and -C: the options' parsing, the Range header as curl writes it,
 * and how a response answers it, as curl 7.88 judges (206, 416, a whole
 * body, Content-Range offsets). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "webtrace/cli.h"
#include "webtrace/exitcode.h"
#include "webtrace/http.h"
#include "webtrace/range.h"
#include "webtrace/reqspec.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int parse(const char *a, const char *b, struct wt_options *o, char *err, size_t errlen)
{
    char *argv[] = { "webtrace", (char *)a, (char *)b, "http://h/", NULL };
    return wt_cli_parse(4, argv, o, err, errlen);
}

static void test_range_options_parse_as_curl(void **state)
{
    (void)state;
    struct wt_options o;
    char err[256];
    assert_int_equal(parse("-r", "0-99", &o, err, sizeof err), 0);
    assert_string_equal(o.range, "0-99");
    assert_int_equal(parse("--range", "-500,7-", &o, err, sizeof err), 0);
    assert_string_equal(o.range, "-500,7-");
    assert_int_equal(parse("-C", "-", &o, err, sizeof err), 0);
    assert_true(o.resume_current);
    assert_int_equal(parse("--continue-at", "1234", &o, err, sizeof err), 0);
    assert_false(o.resume_current);
    assert_int_equal(o.resume_from, 1234);
    static const char *const bad_offsets[] = { "-5", "abc", "", "12x", "99999999999999999999" };
    for (size_t i = 0; i < N(bad_offsets); i++) {
        assert_int_equal(parse("-C", bad_offsets[i], &o, err, sizeof err), WT_EXIT_USAGE);
        assert_non_null(strstr(err, "-C/--continue-at"));
    }
    assert_int_equal(parse("-r", "0-1\r\nX: y", &o, err, sizeof err), WT_EXIT_USAGE);
    assert_int_equal(parse("-r", "", &o, err, sizeof err), WT_EXIT_USAGE);
}

static const char *range_line(struct wt_reqspec *spec, const char *method, char *buf, size_t len)
{
    struct wt_url url;
    struct wt_http_request req;
    char err[128];
    assert_int_equal(wt_url_parse("http://h.test/f", &url, err, sizeof err), WT_URL_OK);
    spec->method = method;
    assert_int_equal(wt_http_request_build(&url, spec, "wt/1", &req), 0);
    const char *r = strstr(req.text, "\r\nRange: ");
    buf[0] = '\0';
    if (r) {
        r += 2;
        size_t n = (size_t)(strstr(r, "\r\n") - r);
        memcpy(buf, r, n < len ? n : len - 1);
        buf[n < len ? n : len - 1] = '\0';
        /* curl's place: right after Host (no -u here), before User-Agent */
        assert_true(strstr(req.text, "Host: h.test\r\nRange: ") != NULL);
    }
    wt_http_request_clear(&req);
    wt_url_clear(&url);
    return buf;
}

static void test_range_header_as_curl_writes_it(void **state)
{
    (void)state;
    static const struct { const char *range; int64_t resume; const char *method; int body;
                          const char *want; } cases[] = {
        { "0-99", 0, NULL, 0, "Range: bytes=0-99" },
        { "7", 0, NULL, 0, "Range: bytes=7-" },
        { "-500", 0, NULL, 0, "Range: bytes=-500" },
        { "0-1,5-6", 0, "HEAD", 0, "Range: bytes=0-1,5-6" },
        { "a b", 0, "DELETE", 0, "Range: bytes=a b" },
        { NULL, 10, NULL, 0, "Range: bytes=10-" },
        { "0-5", 10, NULL, 0, "Range: bytes=10-" },   /* -C wins */
        { "0-5", 0, NULL, 1, "" },                    /* curl sends Content-Range there */
        { NULL, 0, NULL, 0, "" },
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct wt_reqspec *s = wt_reqspec_new();
        s->range = cases[i].range;
        s->resume_from = cases[i].resume;
        if (cases[i].body)
            assert_int_equal(wt_reqspec_add_data(s, WT_DATA_ASCII, "x", 1, 0), 0);
        char buf[128];
        assert_string_equal(range_line(s, cases[i].method, buf, sizeof buf), cases[i].want);
        s->method = NULL;
        wt_reqspec_free(s);
    }
    /* -H Range: replaces or removes it */
    struct wt_reqspec *s = wt_reqspec_new();
    s->range = "1-2";
    char err[128], buf[128];
    assert_int_equal(wt_reqspec_add_header(s, "Range:", 6, err, sizeof err), 0);
    assert_string_equal(range_line(s, NULL, buf, sizeof buf), "");
    wt_reqspec_free(s);
}

static void test_range_outcome_as_curl_judges_it(void **state)
{
    (void)state;
    static const struct { int status; int64_t from; const char *cr; int64_t cl;
                          enum wt_range_outcome want; } cases[] = {
        /* -r */
        { 206, 0, "bytes 0-9/100", 10, WT_RANGE_PARTIAL },
        { 200, 0, NULL, 100, WT_RANGE_IGNORED },
        { 416, 0, "bytes */100", 5, WT_RANGE_UNSATISFIABLE },
        { 404, 0, NULL, 5, WT_RANGE_NONE },
        /* -C 10 */
        { 206, 10, "bytes 10-99/100", 90, WT_RANGE_PARTIAL },
        { 206, 10, "bytes 0-99/100", 100, WT_RANGE_IGNORED },   /* another offset */
        { 206, 10, NULL, 90, WT_RANGE_IGNORED },
        { 206, 10, "bytes */100", 90, WT_RANGE_PARTIAL },        /* curl's check is off */
        { 206, 10, "garbage", 90, WT_RANGE_PARTIAL },
        { 200, 10, NULL, 100, WT_RANGE_IGNORED },
        { 200, 10, NULL, -1, WT_RANGE_IGNORED },
        { 200, 10, NULL, 10, WT_RANGE_COMPLETE },                /* the file is whole */
        { 416, 10, "bytes */100", 197, WT_RANGE_COMPLETE },
        { 404, 10, NULL, 5, WT_RANGE_IGNORED },
        { 206, 10, "bytes 99999999999999999999-1/2", 2, WT_RANGE_IGNORED },
        /* the largest offset -C takes is read, one past it is not */
        { 206, INT64_MAX, "bytes 9223372036854775807-9223372036854775807/*", 1, WT_RANGE_PARTIAL },
        { 206, 10, "bytes 9223372036854775808-1/2", 2, WT_RANGE_IGNORED },
        { 206, 10, "bytes 99999999999999999999-1/2", 10, WT_RANGE_COMPLETE },
    };
    for (size_t i = 0; i < N(cases); i++) {
        const char *cr = cases[i].cr;
        enum wt_range_outcome got = wt_range_outcome_of(cases[i].status, cases[i].from, cr,
                                                          cr ? strlen(cr) : 0, cases[i].cl);
        if (got != cases[i].want)
            fail_msg("case %zu: %d, want %d", i, got, cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_range_options_parse_as_curl),
        cmocka_unit_test(test_range_header_as_curl_writes_it),
        cmocka_unit_test(test_range_outcome_as_curl_judges_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
