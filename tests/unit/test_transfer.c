#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "webtrace/trace.h"
#include "webtrace/transfer.h"
#include "webtrace/url.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* curl's method rules for a followed redirect (lib/http.c http_follow,
 * as documented for --post301/--post302/--post303). */
struct method_case {
    int status;
    const char *method;
    const char *next;
    int keep_body;
};

static const struct method_case method_cases[] = {
    { 301, "GET", "GET", 1 },
    { 301, "POST", "GET", 0 },
    { 301, "PUT", "PUT", 1 },
    { 302, "GET", "GET", 1 },
    { 302, "POST", "GET", 0 },
    { 303, "GET", "GET", 0 },
    { 303, "POST", "GET", 0 },
    { 303, "PUT", "GET", 0 },
    { 303, "HEAD", "HEAD", 0 },
    { 307, "POST", "POST", 1 },
    { 307, "GET", "GET", 1 },
    { 308, "POST", "POST", 1 },
    { 308, "DELETE", "DELETE", 1 },
    { 300, "POST", "POST", 1 },
};

static void test_transfer_redirect_method_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(method_cases); i++) {
        const struct method_case *c = &method_cases[i];
        int keep = -1;
        const char *next = wt_redirect_method(c->status, c->method, &keep);
        if (strcmp(next, c->next) != 0 || keep != c->keep_body)
            fail_msg("%d after %s: %s (body %d), want %s (body %d)", c->status, c->method, next,
                     keep, c->next, c->keep_body);
    }
}

static void test_transfer_redirect_statuses(void **state)
{
    (void)state;
    static const int followed[] = { 300, 301, 302, 303, 307, 308 };
    static const int not_followed[] = { 200, 204, 299, 304, 305, 306, 400, 0 };
    for (size_t i = 0; i < N(followed); i++)
        assert_true(wt_trace_is_redirect(followed[i]));
    for (size_t i = 0; i < N(not_followed); i++)
        assert_false(wt_trace_is_redirect(not_followed[i]));
}

struct origin_case {
    const char *from, *to;
    int keeps;     /* without --location-trusted */
};

static const struct origin_case origin_cases[] = {
    { "http://a.test/x", "http://a.test/y", 1 },
    { "http://a.test/x", "http://a.test:80/y", 1 },
    { "http://A.test/x", "http://a.test/y", 1 },
    { "http://a.test/x", "http://b.test/x", 0 },        /* another host */
    { "http://a.test/x", "https://a.test/x", 0 },       /* another scheme */
    { "http://a.test/x", "http://a.test:8080/x", 0 },   /* another port */
    { "http://a.test/x", "http://a.test.evil.test/", 0 },
    { "http://127.0.0.1/", "http://[::1]/", 0 },
};

static void test_transfer_credentials_stay_with_their_origin(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(origin_cases); i++) {
        const struct origin_case *c = &origin_cases[i];
        struct wt_url from, to;
        char err[128];
        assert_int_equal(wt_url_parse(c->from, &from, err, sizeof err), WT_URL_OK);
        assert_int_equal(wt_url_parse(c->to, &to, err, sizeof err), WT_URL_OK);
        if (wt_redirect_keeps_credentials(&from, &to, 0) != c->keeps)
            fail_msg("%s -> %s: want keeps=%d", c->from, c->to, c->keeps);
        assert_true(wt_redirect_keeps_credentials(&from, &to, 1));   /* --location-trusted */
        wt_url_clear(&from);
        wt_url_clear(&to);
    }
}

/* curl 7.88's post_per_transfer: which ends --retry tries again. */
static void test_transfer_retry_reasons_as_curl(void **state)
{
    (void)state;
    static const struct {
        int exit_code, status, refused, connrefused_opt, all_errors;
        enum wt_retry_reason want;
    } cases[] = {
        { 0, 503, 0, 0, 0, WT_RETRY_HTTP },
        { 0, 408, 0, 0, 0, WT_RETRY_HTTP },
        { 0, 429, 0, 0, 0, WT_RETRY_HTTP },
        { 0, 500, 0, 0, 0, WT_RETRY_HTTP },
        { 0, 502, 0, 0, 0, WT_RETRY_HTTP },
        { 0, 504, 0, 0, 0, WT_RETRY_HTTP },
        { 22, 503, 0, 0, 0, WT_RETRY_HTTP },         /* -f: the status is why it failed */
        { 0, 501, 0, 0, 0, WT_RETRY_NO },
        { 0, 404, 0, 0, 1, WT_RETRY_NO },            /* a success is never an error */
        { 22, 404, 0, 0, 1, WT_RETRY_ALL_ERRORS },
        { 0, 200, 0, 0, 0, WT_RETRY_NO },
        { 28, 0, 0, 0, 0, WT_RETRY_TIMEOUT },
        { 6, 0, 0, 0, 0, WT_RETRY_TIMEOUT },         /* curl counts a resolve failure too */
        { 7, 0, 1, 0, 0, WT_RETRY_NO },              /* refused, but not asked for */
        { 7, 0, 1, 1, 0, WT_RETRY_CONNREFUSED },
        { 7, 0, 0, 1, 0, WT_RETRY_NO },              /* unreachable is not refused */
        { 7, 0, 0, 1, 1, WT_RETRY_ALL_ERRORS },
        { 56, 0, 0, 0, 0, WT_RETRY_NO },
        { 56, 0, 0, 0, 1, WT_RETRY_ALL_ERRORS },
        { 52, 0, 0, 0, 1, WT_RETRY_ALL_ERRORS },
    };
    for (size_t i = 0; i < N(cases); i++)
        assert_int_equal(wt_retry_reason_of(cases[i].exit_code, cases[i].status, cases[i].refused,
                                            cases[i].connrefused_opt, cases[i].all_errors),
                         cases[i].want);
}

static void test_transfer_retry_after_values(void **state)
{
    (void)state;
    const int64_t now = 1445412480;   /* Wed, 21 Oct 2015 07:28:00 GMT */
    static const struct {
        const char *value;
        int rc;
        int64_t seconds;
    } cases[] = {
        { "120", 0, 120 },
        { "  5 ", 0, 5 },
        { "0", 0, 0 },
        { "Wed, 21 Oct 2015 07:28:30 GMT", 0, 30 },
        { "Wed, 21 Oct 2015 07:27:00 GMT", 0, -60 },   /* in the past */
        { "", -1, 0 },
        { "soon", -1, 0 },
        { "12x", -1, 0 },
        { "-5", -1, 0 },
        { "Wed, 21 Oct 2015 07:28:30", -1, 0 },
        { "99999999999999999999999", -1, 0 },
    };
    for (size_t i = 0; i < N(cases); i++) {
        int64_t got = 4242;
        assert_int_equal(wt_retry_after_parse(cases[i].value, strlen(cases[i].value), now, &got),
                         cases[i].rc);
        if (cases[i].rc == 0)
            assert_int_equal(got, cases[i].seconds);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transfer_redirect_method_rules),
        cmocka_unit_test(test_transfer_redirect_statuses),
        cmocka_unit_test(test_transfer_credentials_stay_with_their_origin),
        cmocka_unit_test(test_transfer_retry_reasons_as_curl),
        cmocka_unit_test(test_transfer_retry_after_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
