/* The server's request reader fed canned requests, whole and split at
 * every byte offset: the head's fields, Host anywhere in the head, the
 * caps (400, 414, 431), bodies skipped, pipelined requests kept apart. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/request.h"

/* Feeds text in pieces cut at split (0: whole), as a connection would:
 * bytes not used stay for the next call. Returns the bytes used. */
static size_t feed_split(struct wt_request *r, const char *text, size_t len, size_t split)
{
    size_t used = 0;
    size_t avail = split && split < len ? split : len;
    for (int round = 0; round < 4 && wt_request_state(r) == WT_REQUEST_MORE; round++) {
        used += wt_request_feed(r, text + used, avail - used);
        if (avail == len)
            break;
        avail = len;
    }
    return used;
}

struct want {
    enum wt_request_state state;
    int status;
    const char *method;
    const char *target;
    int has_host;
    int missing_host;
    int keep_alive;
    size_t n_headers;
};

static void check_all_splits(const char *text, size_t len, const struct want *w)
{
    for (size_t split = 0; split <= len; split++) {
        struct wt_request *r = wt_request_new();
        assert_non_null(r);
        size_t used = feed_split(r, text, len, split);
        if (wt_request_state(r) != w->state)
            fail_msg("split %zu: state %d, want %d (%s)", split, wt_request_state(r), w->state,
                     wt_request_error(r));
        assert_int_equal(wt_request_status(r), w->status);
        if (w->state == WT_REQUEST_DONE) {
            assert_int_equal(used, len);
            assert_string_equal(r->method, w->method);
            assert_string_equal(r->target, w->target);
            assert_int_equal(r->has_host, w->has_host);
            assert_int_equal(r->missing_host, w->missing_host);
            assert_int_equal(r->keep_alive, w->keep_alive);
            assert_int_equal(r->n_headers, w->n_headers);
        }
        wt_request_free(r);
    }
}

#define CHECK(text, ...)                                               \
    do {                                                               \
        static const char t_[] = text;                                 \
        struct want w_ = { __VA_ARGS__ };                              \
        check_all_splits(t_, sizeof t_ - 1, &w_);                      \
    } while (0)

static void test_request_simple_get_at_every_split(void **state)
{
    (void)state;
    CHECK("GET /bytes/5 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n",
          .state = WT_REQUEST_DONE, .method = "GET", .target = "/bytes/5", .has_host = 1,
          .keep_alive = 1, .n_headers = 2);
}

static void test_request_host_name_any_case_and_split(void **state)
{
    (void)state;
    CHECK("GET / HTTP/1.1\r\nhOsT: x\r\n\r\n", .state = WT_REQUEST_DONE, .method = "GET",
          .target = "/", .has_host = 1, .keep_alive = 1, .n_headers = 1);
    /* names that only start or end like Host are not Host */
    CHECK("GET / HTTP/1.1\r\nHostname: x\r\nX-Host: y\r\nHos: z\r\n\r\n",
          .state = WT_REQUEST_DONE, .method = "GET", .target = "/", .missing_host = 1,
          .keep_alive = 1, .n_headers = 3);
}

static void test_request_http10_without_host_and_keep_alive(void **state)
{
    (void)state;
    CHECK("GET / HTTP/1.0\r\n\r\n", .state = WT_REQUEST_DONE, .method = "GET", .target = "/");
    CHECK("HEAD /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", .state = WT_REQUEST_DONE,
          .method = "HEAD", .target = "/x", .keep_alive = 1, .n_headers = 1);
    CHECK("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", .state = WT_REQUEST_DONE,
          .method = "GET", .target = "/", .has_host = 1, .n_headers = 2);
}

static void test_request_body_is_read_and_skipped(void **state)
{
    (void)state;
    CHECK("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
          .state = WT_REQUEST_DONE, .method = "POST", .target = "/p", .has_host = 1,
          .keep_alive = 1, .n_headers = 2);
    CHECK("POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
          "3\r\nabc\r\n0\r\n\r\n",
          .state = WT_REQUEST_DONE, .method = "POST", .target = "/p", .has_host = 1,
          .keep_alive = 1, .n_headers = 2);
}

static void test_request_malformed_is_400(void **state)
{
    (void)state;
    CHECK("GARBAGE\x01 / HTTP/1.1\r\n\r\n", .state = WT_REQUEST_FAILED, .status = 400);
    CHECK("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", .state = WT_REQUEST_FAILED, .status = 400);
    CHECK("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
          .state = WT_REQUEST_FAILED, .status = 400);
}

static void test_request_pipelined_requests_stay_apart(void **state)
{
    (void)state;
    static const char two[] = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
    struct wt_request *r = wt_request_new();
    assert_non_null(r);
    size_t used = wt_request_feed(r, two, sizeof two - 1);
    assert_int_equal(wt_request_state(r), WT_REQUEST_DONE);
    assert_string_equal(r->target, "/a");
    assert_int_equal(r->head_bytes, used);
    /* a finished request takes nothing more until it is reset */
    assert_int_equal(wt_request_feed(r, two + used, sizeof two - 1 - used), 0);
    wt_request_reset(r);
    used += wt_request_feed(r, two + used, sizeof two - 1 - used);
    assert_int_equal(used, sizeof two - 1);
    assert_int_equal(wt_request_state(r), WT_REQUEST_DONE);
    assert_string_equal(r->target, "/b");
    assert_int_equal(r->has_host, 0);
    assert_int_equal(r->missing_host, 1);
    wt_request_free(r);
}

/* A request whose head is filler headers of the given total size, then
 * Host, then the end. */
static char *big_head(size_t filler, const char *target, size_t *len)
{
    size_t cap = filler + strlen(target) + 256;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t n = (size_t)snprintf(buf, cap, "GET %s HTTP/1.1\r\n", target);
    for (int i = 0; filler > 0; i++) {
        size_t line = filler < 1000 ? filler : 1000;
        n += (size_t)snprintf(buf + n, cap - n, "X-F%d: ", i);
        memset(buf + n, 'f', line);
        n += line;
        n += (size_t)snprintf(buf + n, cap - n, "\r\n");
        filler -= line;
    }
    n += (size_t)snprintf(buf + n, cap - n, "Host: late\r\n\r\n");
    *len = n;
    return buf;
}

static void test_request_host_after_the_kept_headers(void **state)
{
    (void)state;
    size_t len;
    char *text = big_head(WT_REQUEST_HEADERS_KEPT + 2000, "/", &len);
    for (size_t split = 0; split <= len; split += 997) {
        struct wt_request *r = wt_request_new();
        feed_split(r, text, len, split);
        assert_int_equal(wt_request_state(r), WT_REQUEST_DONE);
        assert_int_equal(r->has_host, 1);
        assert_int_equal(r->missing_host, 0);
        assert_true(r->headers_len < WT_REQUEST_HEADERS_KEPT);
        /* the kept pairs stay whole: an even count of strings */
        size_t strings = 0;
        for (size_t i = 0; i < r->headers_len; i++)
            strings += r->headers[i] == '\0';
        assert_int_equal(strings, 2 * r->headers_kept);
        wt_request_free(r);
    }
    free(text);
}

static void test_request_head_over_the_cap_is_431(void **state)
{
    (void)state;
    size_t len;
    char *text = big_head(WT_REQUEST_MAX_HEAD + 10, "/", &len);
    for (size_t split = 0; split <= len; split += 1499) {
        struct wt_request *r = wt_request_new();
        feed_split(r, text, len, split);
        assert_int_equal(wt_request_state(r), WT_REQUEST_FAILED);
        assert_int_equal(wt_request_status(r), 431);
        wt_request_free(r);
    }
    free(text);
    /* many empty-ish lines: the separators count too */
    size_t n = 0, cap = WT_REQUEST_MAX_HEAD * 2;
    char *lines = malloc(cap);
    n += (size_t)snprintf(lines, cap, "GET / HTTP/1.1\r\n");
    while (n < WT_REQUEST_MAX_HEAD + 100)
        n += (size_t)snprintf(lines + n, cap - n, "A:\r\n");
    struct wt_request *r = wt_request_new();
    wt_request_feed(r, lines, n);
    assert_int_equal(wt_request_status(r), 431);
    wt_request_free(r);
    free(lines);
}

static void test_request_long_target_is_414(void **state)
{
    (void)state;
    /* just over the target cap, and longer than the whole head cap */
    size_t sizes[] = { WT_REQUEST_TARGET_MAX, WT_REQUEST_MAX_HEAD + 4000 };
    for (size_t k = 0; k < 2; k++) {
        size_t tlen = sizes[k];
        char *target = malloc(tlen + 1);
        target[0] = '/';
        memset(target + 1, 'a', tlen - 1);
        target[tlen] = '\0';
        size_t len;
        char *text = big_head(0, target, &len);
        for (size_t split = 0; split <= len; split += 701) {
            struct wt_request *r = wt_request_new();
            feed_split(r, text, len, split);
            assert_int_equal(wt_request_status(r), 414);
            wt_request_free(r);
        }
        free(text);
        free(target);
    }
    /* one byte under the cap is fine */
    char target[WT_REQUEST_TARGET_MAX];
    target[0] = '/';
    memset(target + 1, 'a', sizeof target - 2);
    target[sizeof target - 1] = '\0';
    size_t len;
    char *text = big_head(0, target, &len);
    struct wt_request *r = wt_request_new();
    wt_request_feed(r, text, len);
    assert_int_equal(wt_request_state(r), WT_REQUEST_DONE);
    assert_int_equal(r->target_len, WT_REQUEST_TARGET_MAX - 1);
    wt_request_free(r);
    free(text);
}

static void test_request_connect_never_keeps_alive(void **state)
{
    (void)state;
    CHECK("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", .state = WT_REQUEST_DONE,
          .method = "CONNECT", .target = "a:443", .has_host = 1, .n_headers = 1);
}

static void test_request_free_null_is_noop(void **state)
{
    (void)state;
    wt_request_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_simple_get_at_every_split),
        cmocka_unit_test(test_request_host_name_any_case_and_split),
        cmocka_unit_test(test_request_http10_without_host_and_keep_alive),
        cmocka_unit_test(test_request_body_is_read_and_skipped),
        cmocka_unit_test(test_request_malformed_is_400),
        cmocka_unit_test(test_request_pipelined_requests_stay_apart),
        cmocka_unit_test(test_request_host_after_the_kept_headers),
        cmocka_unit_test(test_request_head_over_the_cap_is_431),
        cmocka_unit_test(test_request_long_target_is_414),
        cmocka_unit_test(test_request_connect_never_keeps_alive),
        cmocka_unit_test(test_request_free_null_is_noop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
