/* The cookie engine: Set-Cookie parsing, domain and path matching,
 * expiry, the cookie file read and written, as curl 7.88 does them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "webtrace/cookie.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define NOW ((int64_t)1800000000)   /* 2027-01-15 */

static enum wt_cookie_action set(struct wt_cookie_jar *jar, const char *header, const char *host,
                                 const char *path, int secure, const struct wt_cookie **c)
{
    const char *reason;
    char name[64];
    const struct wt_cookie *stored;
    enum wt_cookie_action a = wt_cookie_set(jar, header, strlen(header), host, path, secure, NOW,
                                            &stored, &reason, name, sizeof name);
    if (a == WT_COOKIE_REJECTED)
        assert_non_null(reason);
    if (c)
        *c = stored;
    return a;
}

static void test_cookie_set_cookie_attributes(void **state)
{
    (void)state;
    struct wt_cookie_jar *jar = wt_cookie_jar_new();
    const struct wt_cookie *c;
    assert_int_equal(set(jar, " a = b c ; Path=/x; Secure; HttpOnly; Max-Age=60", "H.test",
                         "/p/q?x=/y", 1, &c), WT_COOKIE_STORED);
    assert_string_equal(c->name, "a");
    assert_string_equal(c->value, "b c");
    assert_string_equal(c->domain, "h.test");
    assert_string_equal(c->path, "/x");
    assert_true(c->host_only && c->secure && c->http_only);
    assert_int_equal(c->expires, NOW + 60);

    assert_int_equal(set(jar, "d=1; Domain=.Example.TEST; Expires=Wed, 09 Jun 2100 10:18:14 GMT",
                         "www.example.test", "/p/q", 0, &c), WT_COOKIE_STORED);
    assert_string_equal(c->domain, "example.test");
    assert_false(c->host_only);
    assert_string_equal(c->path, "/p/");   /* the default: the request's directory */
    assert_int_equal(c->expires, 4116219494);

    /* Max-Age wins over Expires; an unreadable Expires is a session cookie */
    assert_int_equal(set(jar, "m=1; Max-Age=10; Expires=Wed, 09 Jun 2100 10:18:14 GMT", "h.test",
                         "/", 0, &c), WT_COOKIE_STORED);
    assert_int_equal(c->expires, NOW + 10);
    assert_int_equal(set(jar, "u=1; Expires=soon", "h.test", "/", 0, &c), WT_COOKIE_STORED);
    assert_int_equal(c->expires, 0);
    assert_int_equal(set(jar, "e=", "h.test", "", 0, &c), WT_COOKIE_STORED);
    assert_string_equal(c->value, "");
    assert_string_equal(c->path, "/");
    wt_cookie_jar_free(jar);
}

static void test_cookie_refused_as_curl(void **state)
{
    (void)state;
    static const struct {
        const char *header, *host;
        int secure;
    } bad[] = {
        { "novalue", "h.test", 1 },
        { "=v", "h.test", 1 },
        { "a=1; Domain=other.test", "h.test", 1 },
        { "a=1; Domain=test", "h.test", 1 },           /* a top-level domain */
        { "a=1; Domain=ample.test", "example.test", 1 }, /* not on a label boundary */
        { "a=1; Domain=127.0.0.2", "127.0.0.1", 1 },
        { "a=1; Secure", "h.test", 0 },
        { "__Secure-a=1", "h.test", 1 },
        { "__Host-a=1; Secure; Domain=h.test", "h.test", 1 },
        { "a=b\001c", "h.test", 1 },
    };
    for (size_t i = 0; i < N(bad); i++) {
        struct wt_cookie_jar *jar = wt_cookie_jar_new();
        assert_int_equal(set(jar, bad[i].header, bad[i].host, "/", bad[i].secure, NULL),
                         WT_COOKIE_REJECTED);
        assert_int_equal(jar->n, 0);
        wt_cookie_jar_free(jar);
    }
    struct wt_cookie_jar *jar = wt_cookie_jar_new();
    assert_int_equal(set(jar, "a=1; Domain=localhost", "localhost", "/", 1, NULL), WT_COOKIE_STORED);
    assert_int_equal(set(jar, "__Host-a=1; Secure; Path=/", "h.test", "/", 1, NULL),
                     WT_COOKIE_STORED);
    /* http cannot overwrite a Secure cookie */
    assert_int_equal(set(jar, "s=1; Secure", "h.test", "/", 1, NULL), WT_COOKIE_STORED);
    assert_int_equal(set(jar, "s=2", "h.test", "/", 0, NULL), WT_COOKIE_REJECTED);
    wt_cookie_jar_free(jar);
}

static void test_cookie_replace_and_delete(void **state)
{
    (void)state;
    struct wt_cookie_jar *jar = wt_cookie_jar_new();
    const struct wt_cookie *c;
    assert_int_equal(set(jar, "a=1", "h.test", "/", 0, NULL), WT_COOKIE_STORED);
    assert_int_equal(set(jar, "a=2", "h.test", "/", 0, &c), WT_COOKIE_REPLACED);
    assert_string_equal(c->value, "2");
    assert_int_equal(set(jar, "a=3; Path=/x", "h.test", "/", 0, NULL), WT_COOKIE_STORED);
    assert_int_equal(set(jar, "a=3; Domain=h.test", "h.test", "/", 0, NULL), WT_COOKIE_STORED);
    assert_int_equal(jar->n, 3);
    assert_int_equal(set(jar, "a=; Max-Age=0", "h.test", "/", 0, &c), WT_COOKIE_DELETED);
    assert_null(c);
    assert_int_equal(jar->n, 2);
    assert_int_equal(set(jar, "a=; Expires=Thu, 01 Jan 1970 00:00:01 GMT; Path=/x", "h.test", "/",
                         0, NULL), WT_COOKIE_DELETED);
    assert_int_equal(jar->n, 1);
    assert_int_equal(set(jar, "n=; Max-Age=-1", "h.test", "/", 0, NULL), WT_COOKIE_DELETED);
    assert_int_equal(jar->n, 1);
    wt_cookie_jar_free(jar);
}

static void test_cookie_domain_and_path_match(void **state)
{
    (void)state;
    struct wt_cookie host_only = { .domain = "h.test", .host_only = 1 };
    struct wt_cookie tail = { .domain = "example.test" };
    struct wt_cookie any = { .domain = NULL };
    assert_true(wt_cookie_domain_match(&host_only, "H.test"));
    assert_false(wt_cookie_domain_match(&host_only, "a.h.test"));
    assert_true(wt_cookie_domain_match(&tail, "example.test"));
    assert_true(wt_cookie_domain_match(&tail, "a.b.example.test"));
    assert_false(wt_cookie_domain_match(&tail, "badexample.test"));
    assert_false(wt_cookie_domain_match(&tail, "example.test.evil"));
    assert_true(wt_cookie_domain_match(&any, "whatever"));

    static const struct {
        const char *cookie, *request;
        int match;
    } paths[] = {
        { "/", "/anything", 1 },     { "/a", "/a", 1 },          { "/a", "/a/b", 1 },
        { "/a", "/ab", 0 },          { "/a/", "/a/b", 1 },       { "/a/", "/a", 1 },
        { "/a", "/a?x=1", 1 },       { "/a/b", "/a", 0 },        { "/A", "/a", 0 },
        { "x", "/y", 1 },            { "/a", "", 0 },            { "\"/a\"", "/a/c", 1 },
    };
    for (size_t i = 0; i < N(paths); i++)
        assert_int_equal(wt_cookie_path_match(paths[i].cookie, paths[i].request), paths[i].match);
}

static void test_cookie_dates(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t t;
    } dates[] = {
        { "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 },
        { "Sunday, 06-Nov-94 08:49:37 GMT", 784111777 },
        { "Sun Nov  6 08:49:37 1994", 784111777 },
        { "Thu, 01-Jan-2037 00:00:00 GMT", 2114380800 },
        { "6 Nov 2004 08:49:37", 1099730977 },
        { "nonsense", -1 },
        { "Sun, 32 Nov 1994 08:49:37 GMT", -1 },
        { "Sun, 06 Nov 1994", -1 },
    };
    for (size_t i = 0; i < N(dates); i++)
        assert_int_equal(wt_cookie_parse_date(dates[i].text, strlen(dates[i].text)), dates[i].t);
}

static void test_cookie_select_in_curls_order(void **state)
{
    (void)state;
    struct wt_cookie_jar *jar = wt_cookie_jar_new();
    set(jar, "root=1; Path=/", "a.example.test", "/", 0, NULL);
    set(jar, "deep=1; Path=/a/b", "a.example.test", "/", 0, NULL);
    set(jar, "dom=1; Domain=example.test; Path=/", "a.example.test", "/", 0, NULL);
    set(jar, "r2=1; Path=/", "a.example.test", "/", 0, NULL);
    set(jar, "sec=1; Secure", "a.example.test", "/", 1, NULL);
    set(jar, "old=1; Max-Age=1", "a.example.test", "/", 0, NULL);
    size_t sent[8];
    size_t n = wt_cookie_select(jar, "a.example.test", "/a/b/c", 0, NOW, sent, N(sent));
    char *h = wt_cookie_header(jar, sent, n, "x=1");
    assert_string_equal(h, "deep=1; root=1; old=1; r2=1; dom=1; x=1");
    free(h);
    n = wt_cookie_select(jar, "a.example.test", "/", 1, NOW + 5, sent, N(sent));
    h = wt_cookie_header(jar, sent, n, NULL);
    assert_string_equal(h, "root=1; sec=1; r2=1; dom=1");
    free(h);
    n = wt_cookie_select(jar, "b.example.test", "/a/b", 1, NOW, sent, N(sent));
    h = wt_cookie_header(jar, sent, n, NULL);
    assert_string_equal(h, "dom=1");
    free(h);
    assert_int_equal(wt_cookie_select(jar, "other.test", "/", 1, NOW, sent, N(sent)), 0);
    assert_null(wt_cookie_header(jar, sent, 0, NULL));
    wt_cookie_jar_free(jar);
}

static void test_cookie_file_read_and_written(void **state)
{
    (void)state;
    static const char file[] =
        "# Netscape HTTP Cookie File\n"
        "\n"
        ".example.test\tTRUE\t/\tFALSE\t0\tdom\t1\r\n"
        "h.test\tFALSE\t/p\tTRUE\t4102444800\tp\t2\n"
        "#HttpOnly_h.test\tFALSE\t/\tFALSE\t0\tho\t3\n"
        "h.test\tFALSE\t/\tFALSE\t1\texpired\t4\n"
        "h.test\tFALSE\tFALSE\t0\tnopath\t5\n"
        "h.test\tFALSE\t/\tFALSE\t0\tempty\n"
        "h.test\tFALSE\t/\tFALSE\tsoon\tbadtime\t6\n"
        "only\tthree\tfields\n"
        "Set-Cookie: hdr=7; Domain=h.test\n"
        "Set-Cookie: nodomain=8\n";
    struct wt_cookie_jar *jar = wt_cookie_jar_new();
    assert_int_equal(wt_cookie_load(jar, file, strlen(file), NOW), 6);
    struct wt_buf out = { 0 };
    assert_int_equal(wt_cookie_write(jar, NOW, &out), 0);
    assert_string_equal(out.data,
                        "# Netscape HTTP Cookie File\n"
                        "# https://curl.se/docs/http-cookies.html\n"
                        "# This file was generated by webtrace! Edit at your own risk.\n\n"
                        ".h.test\tTRUE\t/\tFALSE\t0\thdr\t7\n"
                        "h.test\tFALSE\t/\tFALSE\t0\tempty\t\n"
                        "h.test\tFALSE\t/\tFALSE\t0\tnopath\t5\n"
                        "#HttpOnly_h.test\tFALSE\t/\tFALSE\t0\tho\t3\n"
                        "h.test\tFALSE\t/p\tTRUE\t4102444800\tp\t2\n"
                        ".example.test\tTRUE\t/\tFALSE\t0\tdom\t1\n");
    wt_buf_free(&out);
    wt_cookie_jar_free(jar);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cookie_set_cookie_attributes),
        cmocka_unit_test(test_cookie_refused_as_curl),
        cmocka_unit_test(test_cookie_replace_and_delete),
        cmocka_unit_test(test_cookie_domain_and_path_match),
        cmocka_unit_test(test_cookie_dates),
        cmocka_unit_test(test_cookie_select_in_curls_order),
        cmocka_unit_test(test_cookie_file_read_and_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
