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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transfer_redirect_method_rules),
        cmocka_unit_test(test_transfer_redirect_statuses),
        cmocka_unit_test(test_transfer_credentials_stay_with_their_origin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
