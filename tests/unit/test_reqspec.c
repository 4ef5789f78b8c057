/* The request builders: -H edits, -d joining, --data-urlencode, -u's
 * Basic credentials, and the request as curl orders it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "webtrace/http.h"
#include "webtrace/reqspec.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static char *build(const char *url_text, const struct wt_reqspec *spec, struct wt_http_request *req)
{
    struct wt_url url;
    char err[128];
    assert_int_equal(wt_url_parse(url_text, &url, err, sizeof err), WT_URL_OK);
    assert_int_equal(wt_http_request_build(&url, spec, "wt/1", req), 0);
    wt_url_clear(&url);
    return req->text;
}

static void add(struct wt_reqspec *s, const char *line)
{
    char err[128];
    assert_int_equal(wt_reqspec_add_header(s, line, strlen(line), err, sizeof err), 0);
}

static void test_reqspec_urlencode_as_curl(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } cases[] = {
        { "", "" },
        { "abcXYZ019-._~", "abcXYZ019-._~" },
        { "a b", "a+b" },
        { "a&b=c/d?e", "a%26b%3Dc%2Fd%3Fe" },
        { "caf\xc3\xa9", "caf%C3%A9" },
        { "\n\r\t%+", "%0A%0D%09%25%2B" },
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct wt_buf b = { 0 };
        assert_int_equal(wt_urlencode_append(&b, cases[i].in, strlen(cases[i].in)), 0);
        assert_string_equal(b.data ? b.data : "", cases[i].out);
        wt_buf_free(&b);
    }
}

static void test_reqspec_base64(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } cases[] = {
        { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
        { "user:pw", "dXNlcjpwdw==" }, { "u:p", "dTpw" },
    };
    for (size_t i = 0; i < N(cases); i++) {
        char out[64];
        wt_base64((const unsigned char *)cases[i].in, strlen(cases[i].in), out);
        assert_string_equal(out, cases[i].out);
    }
}

static void test_reqspec_data_pieces_join_as_curl(void **state)
{
    (void)state;
    struct wt_reqspec *s = wt_reqspec_new();
    assert_int_equal(wt_reqspec_add_data(s, WT_DATA_ASCII, "a=1", 3, 0), 0);
    assert_int_equal(wt_reqspec_add_data(s, WT_DATA_ASCII, "b=\r\n2\n", 6, 1), 0);
    assert_int_equal(wt_reqspec_add_data(s, WT_DATA_BINARY, "c\n", 2, 1), 0);
    assert_int_equal(wt_reqspec_add_data(s, WT_DATA_URLENCODE, "n=a b", 5, 0), 0);
    assert_int_equal(wt_reqspec_add_data(s, WT_DATA_URLENCODE, "=x&y", 4, 0), 0);
    assert_int_equal(wt_reqspec_add_data(s, WT_DATA_URLENCODE, "p q", 3, 0), 0);
    assert_string_equal(s->body.data, "a=1&b=2&c\n&n=a+b&x%26y&p+q");
    assert_int_equal(s->has_body, 1);
    wt_reqspec_free(s);

    s = wt_reqspec_new();
    assert_int_equal(wt_reqspec_add_data(s, WT_DATA_ASCII, "", 0, 0), 0);
    assert_int_equal(s->has_body, 1);
    assert_int_equal(s->body.len, 0);
    wt_reqspec_free(s);

    s = wt_reqspec_new();
    assert_int_equal(wt_reqspec_add_data(s, WT_DATA_JSON, "{\"a\":", 5, 0), 0);
    assert_int_equal(wt_reqspec_add_data(s, WT_DATA_JSON, "1}", 2, 0), 0);
    assert_string_equal(s->body.data, "{\"a\":1}");
    assert_int_equal(s->json, 1);
    wt_reqspec_free(s);
}

static void test_reqspec_header_lines(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", ":", "NoColon", " X: 1", "X : 1", "X:\r\nY: 2", "X\n: 1", "X; nonempty", "Ü: 1",
    };
    struct wt_reqspec *s = wt_reqspec_new();
    for (size_t i = 0; i < N(bad); i++) {
        char err[128] = "";
        assert_int_equal(wt_reqspec_add_header(s, bad[i], strlen(bad[i]), err, sizeof err), -1);
        assert_true(err[0] != '\0');
    }
    assert_int_equal(s->n_headers, 0);
    add(s, "Accept: text/plain");
    add(s, "User-Agent:");
    add(s, "X-Empty;");
    assert_int_equal(wt_reqspec_edit_of(s, "accept"), WT_EDIT_REPLACED);
    assert_int_equal(wt_reqspec_edit_of(s, "User-Agent"), WT_EDIT_REMOVED);
    assert_int_equal(wt_reqspec_edit_of(s, "Referer"), WT_EDIT_NONE);
    add(s, "User-Agent: back");   /* the last mention wins */
    assert_int_equal(wt_reqspec_edit_of(s, "User-Agent"), WT_EDIT_REPLACED);
    wt_reqspec_free(s);
}

static void test_reqspec_request_in_curls_order(void **state)
{
    (void)state;
    struct wt_reqspec *s = wt_reqspec_new();
    struct wt_http_request req;
    s->referer = "http://r/";
    s->user_agent = "agent";
    assert_int_equal(wt_reqspec_set_user(s, "user:pw"), 0);
    add(s, "X-A: 1");
    add(s, "Accept: text/x");
    add(s, "X-E;");
    add(s, "X-Gone:");
    assert_int_equal(wt_reqspec_add_data(s, WT_DATA_ASCII, "a=1", 3, 0), 0);
    assert_string_equal(build("http://h.test:8080/p?q", s, &req),
                        "POST /p?q HTTP/1.1\r\n"
                        "Host: h.test:8080\r\n"
                        "Authorization: Basic dXNlcjpwdw==\r\n"
                        "User-Agent: agent\r\n"
                        "Referer: http://r/\r\n"
                        "X-A: 1\r\n"
                        "Accept: text/x\r\n"
                        "X-E:\r\n"
                        "Content-Length: 3\r\n"
                        "Content-Type: application/x-www-form-urlencoded\r\n"
                        "\r\n"
                        "a=1");
    assert_int_equal(req.body_len, 3);
    assert_int_equal(req.head_len + req.body_len, req.len);
    assert_int_equal(req.n_headers, 9);
    assert_int_equal(req.origin[0], WT_HDR_FROM_URL);
    assert_int_equal(req.origin[1], WT_HDR_FROM_USER);
    assert_int_equal(req.origin[8], WT_HDR_BODY_TYPE);
    wt_http_request_clear(&req);
    wt_reqspec_free(s);
}

static void test_reqspec_get_head_json_and_host(void **state)
{
    (void)state;
    struct wt_http_request req;
    struct wt_reqspec *s = wt_reqspec_new();
    s->get = 1;
    assert_int_equal(wt_reqspec_add_data(s, WT_DATA_ASCII, "a=1", 3, 0), 0);
    assert_string_equal(build("http://h.test/p?q", s, &req),
                        "GET /p?q&a=1 HTTP/1.1\r\nHost: h.test\r\nUser-Agent: wt/1\r\n"
                        "Accept: */*\r\n\r\n");
    wt_http_request_clear(&req);
    s->head = 1;
    assert_string_equal(build("http://h.test/", s, &req),
                        "HEAD /?a=1 HTTP/1.1\r\nHost: h.test\r\nUser-Agent: wt/1\r\n"
                        "Accept: */*\r\n\r\n");
    wt_http_request_clear(&req);
    wt_reqspec_free(s);

    s = wt_reqspec_new();
    add(s, "Host: other.test");
    assert_int_equal(wt_reqspec_add_data(s, WT_DATA_JSON, "{}", 2, 0), 0);
    s->method = "PUT";
    assert_string_equal(build("http://h.test/", s, &req),
                        "PUT / HTTP/1.1\r\nHost: other.test\r\nUser-Agent: wt/1\r\n"
                        "Content-Type: application/json\r\nAccept: application/json\r\n"
                        "Content-Length: 2\r\n\r\n{}");
    wt_http_request_clear(&req);
    wt_reqspec_free(s);

    s = wt_reqspec_new();
    s->user_agent = "";
    add(s, "Host:");
    assert_string_equal(build("http://h.test/", s, &req), "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n");
    wt_http_request_clear(&req);
    wt_reqspec_free(s);
}

static void test_reqspec_upload_and_expect_as_curl(void **state)
{
    (void)state;
    struct wt_http_request req;
    struct wt_reqspec *s = wt_reqspec_new();
    assert_int_equal(wt_reqspec_add_data(s, WT_DATA_BINARY, "hi\n", 3, 0), 0);
    s->upload = 1;
    s->upload_name = strdup("a%20b.txt");
    assert_string_equal(build("http://h.test/d/?q=1", s, &req),
                        "PUT /d/a%20b.txt?q=1 HTTP/1.1\r\nHost: h.test\r\nUser-Agent: wt/1\r\n"
                        "Accept: */*\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nhi\n");
    assert_true(req.expect_100);
    assert_int_equal(req.body_len, 3);
    wt_http_request_clear(&req);
    /* a path that names a file keeps it; -H 'Expect:' removes the wait */
    add(s, "Expect:");
    assert_string_equal(build("http://h.test/f", s, &req),
                        "PUT /f HTTP/1.1\r\nHost: h.test\r\nUser-Agent: wt/1\r\n"
                        "Accept: */*\r\nContent-Length: 3\r\n\r\nhi\n");
    assert_false(req.expect_100);
    wt_http_request_clear(&req);
    wt_reqspec_free(s);

    /* a POST asks only over 1 MiB; stdin goes chunked */
    s = wt_reqspec_new();
    static char big[WT_REQSPEC_EXPECT_100_THRESHOLD + 1];
    memset(big, 'x', sizeof big);
    assert_int_equal(wt_reqspec_add_data(s, WT_DATA_BINARY, big, sizeof big - 1, 0), 0);
    build("http://h.test/", s, &req);
    assert_false(req.expect_100);
    wt_http_request_clear(&req);
    assert_int_equal(wt_reqspec_add_data(s, WT_DATA_JSON, "y", 1, 0), 0);
    build("http://h.test/", s, &req);
    assert_true(req.expect_100);
    assert_non_null(strstr(req.text, "Content-Type: application/json\r\nAccept: application/json\r\n"
                                     "Content-Length: 1048577\r\nExpect: 100-continue\r\n\r\n"));
    wt_http_request_clear(&req);
    wt_reqspec_free(s);

    s = wt_reqspec_new();
    assert_int_equal(wt_reqspec_add_data(s, WT_DATA_BINARY, "2\r\nhi\r\n0\r\n\r\n", 12, 0), 0);
    s->upload = 1;
    s->chunked = 1;
    assert_string_equal(build("http://h.test/d/", s, &req),
                        "PUT /d/ HTTP/1.1\r\nHost: h.test\r\nUser-Agent: wt/1\r\n"
                        "Accept: */*\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n"
                        "\r\n2\r\nhi\r\n0\r\n\r\n");
    wt_http_request_clear(&req);
    wt_reqspec_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reqspec_urlencode_as_curl),
        cmocka_unit_test(test_reqspec_base64),
        cmocka_unit_test(test_reqspec_data_pieces_join_as_curl),
        cmocka_unit_test(test_reqspec_header_lines),
        cmocka_unit_test(test_reqspec_request_in_curls_order),
        cmocka_unit_test(test_reqspec_get_head_json_and_host),
        cmocka_unit_test(test_reqspec_upload_and_expect_as_curl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
