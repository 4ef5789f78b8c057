/* The response reader fed canned responses, whole and split at every byte
 * offset: framing, obs-fold, bare CR, caps, EOF handling. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/http.h"

struct seen {
    int status;
    char reason[64];
    int n_status_calls;
    char headers[4096];   /* "name=value|" ... */
    int folded;
    int headers_done;
    enum wt_body_framing framing;
    int64_t content_length;
    int keep_alive;
    char body[4096];
    size_t body_len;
    int abort_with;
    unsigned deviations;
    int n_deviation_calls;
};

static void on_deviation(void *ctx, enum wt_http_deviation d)
{
    struct seen *s = ctx;
    s->deviations |= (unsigned)d;
    s->n_deviation_calls++;
}

static void on_status(void *ctx, int major, int minor, int status, const char *reason,
                      size_t reason_len)
{
    (void)major;
    (void)minor;
    struct seen *s = ctx;
    s->status = status;
    s->n_status_calls++;
    snprintf(s->reason, sizeof s->reason, "%.*s", (int)reason_len, reason);
}

static void on_header(void *ctx, const char *name, size_t name_len, const char *value,
                      size_t value_len, int folded)
{
    struct seen *s = ctx;
    size_t used = strlen(s->headers);
    snprintf(s->headers + used, sizeof s->headers - used, "%.*s=%.*s|", (int)name_len, name,
             (int)value_len, value);
    s->folded |= folded;
}

static void on_headers_done(void *ctx, int status, enum wt_body_framing framing,
                            int64_t content_length, int keep_alive, size_t n_headers,
                            size_t header_bytes)
{
    (void)status;
    (void)n_headers;
    (void)header_bytes;
    struct seen *s = ctx;
    s->headers_done++;
    s->framing = framing;
    s->content_length = content_length;
    s->keep_alive = keep_alive;
}

static int on_body(void *ctx, const char *data, size_t len)
{
    struct seen *s = ctx;
    if (s->abort_with)
        return s->abort_with;
    if (s->body_len + len <= sizeof s->body) {
        memcpy(s->body + s->body_len, data, len);
        s->body_len += len;
    }
    return 0;
}

static const struct wt_http_callbacks callbacks = { on_status, on_header, on_headers_done,
                                                    on_body, on_deviation };

static int strict_mode;   /* run() makes readers strict when set */

/* Feeds text in two pieces split at offset, then EOF if eof is set.
 * Returns the final read status; *exit_code gets the reader's code. */
static enum wt_http_read run(const char *text, size_t len, size_t split, int eof, int head,
                             struct seen *s, int *exit_code)
{
    memset(s, 0, sizeof *s);
    struct wt_http_reader *r = wt_http_reader_new(&callbacks, s, head);
    assert_non_null(r);
    wt_http_reader_set_strict(r, strict_mode);
    enum wt_http_read st = wt_http_reader_feed(r, text, split);
    if (st == WT_HTTP_NEED_MORE)
        st = wt_http_reader_feed(r, text + split, len - split);
    if (st == WT_HTTP_NEED_MORE && eof)
        st = wt_http_reader_eof(r);
    *exit_code = wt_http_reader_exit_code(r);
    wt_http_reader_free(r);
    return st;
}

/* Every split of a response must give the same result as the whole. */
static void check_all_splits(const char *text, int eof, enum wt_http_read want, int want_code,
                             const char *want_body, const char *want_headers)
{
    size_t len = strlen(text);
    for (size_t split = 0; split <= len; split++) {
        struct seen s;
        int code;
        enum wt_http_read st = run(text, len, split, eof, 0, &s, &code);
        if (st != want || code != want_code) {
            fail_msg("split %zu: status %d code %d, want %d code %d", split, st, code, want,
                     want_code);
        }
        if (want_body) {
            assert_int_equal(s.body_len, strlen(want_body));
            assert_memory_equal(s.body, want_body, s.body_len);
        }
        if (want_headers)
            assert_string_equal(s.headers, want_headers);
    }
}

static void test_http_content_length_body_at_every_split(void **state)
{
    (void)state;
    check_all_splits("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello",
                     0, WT_HTTP_COMPLETE, 0, "hello", "Content-Length=5|X-A=b|");
}

static void test_http_chunked_body_at_every_split(void **state)
{
    (void)state;
    check_all_splits("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
                     0, WT_HTTP_COMPLETE, 0, "hello world", "Transfer-Encoding=chunked|");
}

static void test_http_close_delimited_body_completes_at_eof(void **state)
{
    (void)state;
    check_all_splits("HTTP/1.0 200 OK\r\nX: y\r\n\r\nuntil the end", 1, WT_HTTP_COMPLETE, 0,
                     "until the end", NULL);
}

static void test_http_obs_fold_is_unfolded_and_cannot_change_framing(void **state)
{
    (void)state;
    /* The folded line looks like a Content-Length: it must stay part of
     * X-Folded's value, and the real length (11) must frame the body. */
    check_all_splits("HTTP/1.1 200 OK\r\nX-Folded: first\r\n  Content-Length: 5\r\n"
                     "Content-Length: 11\r\n\r\nhello world",
                     0, WT_HTTP_COMPLETE, 0, "hello world",
                     "X-Folded=first    Content-Length: 5|Content-Length=11|");
    struct seen s;
    int code;
    const char *text = "HTTP/1.1 200 OK\r\nX-Folded: a\r\n\tb\r\nContent-Length: 0\r\n\r\n";
    run(text, strlen(text), strlen(text), 0, 0, &s, &code);
    assert_int_equal(s.folded, 1);
}

/* Each tolerated form: the body and headers as if it were well-formed,
 * the deviation reported exactly once, and --strict refusing it (8). */
static const struct {
    const char *text;
    unsigned deviation;
    const char *body;
    const char *headers;
} tolerated[] = {
    { "HTTP/1.1 200 OK\nContent-Length: 5\nX-A: b\n\nhello", WT_HTTP_DEV_BARE_LF, "hello",
      "Content-Length=5|X-A=b|" },
    { "HTTP/1.1 200 OK\r\nX-A: b\nContent-Length: 5\r\n\nhello", WT_HTTP_DEV_BARE_LF, "hello",
      "X-A=b|Content-Length=5|" },
    { "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n5\r\nhello\r\n0\r\n\r\n",
      WT_HTTP_DEV_BARE_LF, "hello", "Transfer-Encoding=chunked|" },
    { "HTTP/1.1 200\r\nContent-Length: 5\r\n\r\nhello", WT_HTTP_DEV_NO_REASON, "hello",
      "Content-Length=5|" },
    { "HTTP/1.1   200 OK\r\nContent-Length: 5\r\n\r\nhello", WT_HTTP_DEV_STATUS_SPACES, "hello",
      "Content-Length=5|" },
    { "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 5\r\n\r\nhello", WT_HTTP_DEV_OBS_FOLD,
      "hello", "X-A=a   b|Content-Length=5|" },
    { "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", WT_HTTP_DEV_UNASKED_101, "hello",
      "Upgrade=x|Content-Length=5|" },
};

static void test_http_tolerated_deviations_are_reported_once(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof tolerated / sizeof tolerated[0]; i++) {
        const char *text = tolerated[i].text;
        check_all_splits(text, 0, WT_HTTP_COMPLETE, 0, tolerated[i].body, tolerated[i].headers);
        struct seen s;
        int code;
        run(text, strlen(text), strlen(text) / 2, 0, 0, &s, &code);
        assert_int_equal(s.deviations, tolerated[i].deviation);
        assert_int_equal(s.n_deviation_calls, 1);
    }
}

static void test_http_strict_refuses_every_deviation(void **state)
{
    (void)state;
    strict_mode = 1;
    for (size_t i = 0; i < sizeof tolerated / sizeof tolerated[0]; i++) {
        check_all_splits(tolerated[i].text, 0, WT_HTTP_FAILED, 8, NULL, NULL);
        struct seen s;
        int code;
        const char *text = tolerated[i].text;
        run(text, strlen(text), strlen(text), 0, 0, &s, &code);
        assert_int_equal(s.body_len, 0);
    }
    strict_mode = 0;
}

/* curl's rules: HTTP/1.x, then three digits from 100, then SP or the end;
 * anything else is exit 1, before a byte of body is written. */
static void test_http_broken_status_lines_exit_1_without_body(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "HTTP/1.1 2 OK\r\nContent-Length: 5\r\n\r\nhello",
        "HTTP/1.1 20 OK\r\nContent-Length: 5\r\n\r\nhello",
        "HTTP/1.1 099 OK\r\nContent-Length: 5\r\n\r\nhello",
        "HTTP/1.1 2000 OK\r\nContent-Length: 5\r\n\r\nhello",
        "HTTP/1.1 2x0 OK\r\nContent-Length: 5\r\n\r\nhello",
        "HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
        "HTTP/1.1\t200 OK\r\nContent-Length: 5\r\n\r\nhello",
        "HTTP/1.2 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        "HTTP/2 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        "hello world\n",
        "\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        check_all_splits(bad[i], 1, WT_HTTP_FAILED, 1, "", NULL);
}

static void test_http_transfer_codings_other_than_chunked_exit_61(void **state)
{
    (void)state;
    check_all_splits("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                     "5\r\nhello\r\n0\r\n\r\n", 1, WT_HTTP_FAILED, 61, "", NULL);
    check_all_splits("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nhello", 1,
                     WT_HTTP_FAILED, 61, "", NULL);
}

static void test_http_broken_chunk_exits_56(void **state)
{
    (void)state;
    check_all_splits("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n"
                     "0\r\n\r\n", 1, WT_HTTP_FAILED, 56, "", NULL);
}

static void test_http_only_interim_responses_then_close_is_52(void **state)
{
    (void)state;
    check_all_splits("HTTP/1.1 100 Continue\r\n\r\n", 1, WT_HTTP_FAILED, 52, "", NULL);
}

static void test_http_bare_cr_in_headers_is_malformed(void **state)
{
    (void)state;
    check_all_splits("HTTP/1.1 200 OK\r\nX-A: b\rContent-Length: 0\r\n\r\n", 0, WT_HTTP_FAILED,
                     8, NULL, NULL);
}

static void test_http_whitespace_before_first_header_is_malformed(void **state)
{
    (void)state;
    check_all_splits("HTTP/1.1 200 OK\r\n X-A: b\r\nContent-Length: 0\r\n\r\n", 0,
                     WT_HTTP_FAILED, 8, NULL, NULL);
}

static void test_http_empty_line_before_status_is_malformed(void **state)
{
    (void)state;
    /* It would otherwise end the vetted section before the head: the
     * obs-fold, bare-CR and size guards would all be skipped. Not "HTTP/"
     * first is what curl calls HTTP/0.9: exit 1. */
    check_all_splits("\r\nHTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n", 0,
                     WT_HTTP_FAILED, 1, NULL, NULL);
}

static void test_http_malformed_status_line(void **state)
{
    (void)state;
    check_all_splits("HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n", 0, WT_HTTP_FAILED, 1,
                     NULL, NULL);
    check_all_splits("SSH-2.0-OpenSSH_9.2\r\n\r\n", 0, WT_HTTP_FAILED, 1, NULL, NULL);
}

static void test_http_truncated_content_length_body_is_partial(void **state)
{
    (void)state;
    check_all_splits("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this", 1,
                     WT_HTTP_FAILED, 18, "only this", NULL);
}

static void test_http_truncated_chunk_is_partial(void **state)
{
    (void)state;
    check_all_splits("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc", 1,
                     WT_HTTP_FAILED, 18, "abc", NULL);
}

static void test_http_nothing_received_is_52(void **state)
{
    (void)state;
    struct seen s;
    int code;
    assert_int_equal(run("", 0, 0, 1, 0, &s, &code), WT_HTTP_FAILED);
    assert_int_equal(code, 52);
}

static void test_http_eof_inside_headers_is_malformed(void **state)
{
    (void)state;
    check_all_splits("HTTP/1.1 200 OK\r\nContent-Le", 1, WT_HTTP_FAILED, 8, NULL, NULL);
}

static void test_http_no_body_statuses_do_not_wait(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n",
        "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
    };
    for (size_t i = 0; i < 2; i++) {
        struct seen s;
        int code;
        assert_int_equal(run(texts[i], strlen(texts[i]), 3, 0, 0, &s, &code), WT_HTTP_COMPLETE);
        assert_int_equal(s.framing, WT_FRAMING_NONE);
        assert_int_equal(s.body_len, 0);
    }
    const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
    struct seen s;
    int code;
    assert_int_equal(run(head, strlen(head), 7, 0, 1, &s, &code), WT_HTTP_COMPLETE);
    assert_int_equal(s.framing, WT_FRAMING_NONE);
}

static void test_http_interim_1xx_then_final(void **state)
{
    (void)state;
    check_all_splits("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                     0, WT_HTTP_COMPLETE, 0, "ok", "Link=</a>|Content-Length=2|");
    struct seen s;
    int code;
    const char *t = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    assert_int_equal(run(t, strlen(t), strlen(t), 0, 0, &s, &code), WT_HTTP_COMPLETE);
    assert_int_equal(s.status, 404);
    assert_string_equal(s.reason, "Not Found");
    assert_int_equal(s.n_status_calls, 2);
}

static void test_http_oversized_header_section_is_100(void **state)
{
    (void)state;
    size_t n = WT_HTTP_MAX_HEADER_BYTES + 100;
    char *text = malloc(n + 1);
    assert_non_null(text);
    strcpy(text, "HTTP/1.1 200 OK\r\n");
    size_t used = strlen(text);
    while (used + 20 < n) {
        memcpy(text + used, "X-Filler: aaaaaaaa\r\n", 20);
        used += 20;
    }
    text[used] = '\0';
    struct seen s;
    int code;
    assert_int_equal(run(text, used, used / 2, 0, 0, &s, &code), WT_HTTP_FAILED);
    assert_int_equal(code, 100);
    free(text);
}

/* Feeds n interim responses (each with filler headers), one at a time,
 * then a final one; returns the last feed's result and the exit code. */
static enum wt_http_read feed_interims(size_t n, size_t filler_lines, int *code,
                                       char *error, size_t errlen)
{
    struct seen s;
    memset(&s, 0, sizeof s);
    struct wt_http_reader *r = wt_http_reader_new(&callbacks, &s, 0);
    assert_non_null(r);
    enum wt_http_read st = WT_HTTP_NEED_MORE;
    char section[4096];
    for (size_t i = 0; i < n && st == WT_HTTP_NEED_MORE; i++) {
        size_t used = (size_t)snprintf(section, sizeof section, "HTTP/1.1 100 Continue\r\n");
        for (size_t j = 0; j < filler_lines; j++)
            used += (size_t)snprintf(section + used, sizeof section - used,
                                     "X-Filler: %060zu\r\n", j);
        used += (size_t)snprintf(section + used, sizeof section - used, "\r\n");
        st = wt_http_reader_feed(r, section, used);
    }
    const char *final = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    if (st == WT_HTTP_NEED_MORE)
        st = wt_http_reader_feed(r, final, strlen(final));
    *code = wt_http_reader_exit_code(r);
    snprintf(error, errlen, "%s", wt_http_reader_error(r));
    wt_http_reader_free(r);
    return st;
}

static void test_http_interim_responses_up_to_the_cap_are_fine(void **state)
{
    (void)state;
    int code;
    char error[256];
    assert_int_equal(feed_interims(WT_HTTP_MAX_INTERIM, 0, &code, error, sizeof error),
                     WT_HTTP_COMPLETE);
}

static void test_http_too_many_interim_responses_is_100(void **state)
{
    (void)state;
    int code;
    char error[256];
    assert_int_equal(feed_interims(WT_HTTP_MAX_INTERIM + 1, 0, &code, error, sizeof error),
                     WT_HTTP_FAILED);
    assert_int_equal(code, 100);
    assert_non_null(strstr(error, "interim (1xx) responses"));
}

/* 30 interim sections of ~4 KiB each are 120 KiB: over the budget that the
 * final section shares with them, though each is small. */
static void test_http_interim_header_bytes_share_one_budget(void **state)
{
    (void)state;
    int code;
    char error[256];
    size_t lines = 4000 / 74;   /* "X-Filler: " + 60 digits + CRLF = 74 bytes */
    size_t n = WT_HTTP_MAX_HEADER_BYTES / (lines * 74) + 2;
    assert_true(n <= WT_HTTP_MAX_INTERIM);
    assert_int_equal(feed_interims(n, lines, &code, error, sizeof error), WT_HTTP_FAILED);
    assert_int_equal(code, 100);
    assert_non_null(strstr(error, "interim (1xx) responses included"));
}

static void test_http_too_many_header_lines_is_100(void **state)
{
    (void)state;
    size_t cap = (WT_HTTP_MAX_HEADERS + 10) * 6 + 64;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t used = (size_t)snprintf(text, cap, "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i < WT_HTTP_MAX_HEADERS + 5; i++)
        used += (size_t)snprintf(text + used, cap - used, "A: b\r\n");
    struct seen s;
    int code;
    assert_int_equal(run(text, used, used, 0, 0, &s, &code), WT_HTTP_FAILED);
    assert_int_equal(code, 100);
    free(text);
}

static void test_http_body_write_error_aborts_with_callers_code(void **state)
{
    (void)state;
    const char *text = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    struct seen s;
    memset(&s, 0, sizeof s);
    s.abort_with = 23;
    struct wt_http_reader *r = wt_http_reader_new(&callbacks, &s, 0);
    assert_int_equal(wt_http_reader_feed(r, text, strlen(text)), WT_HTTP_FAILED);
    assert_int_equal(wt_http_reader_exit_code(r), 23);
    wt_http_reader_free(r);
}

static void test_http_keep_alive_and_connection_close(void **state)
{
    (void)state;
    struct seen s;
    int code;
    const char *ka = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    run(ka, strlen(ka), 0, 0, 0, &s, &code);
    assert_int_equal(s.keep_alive, 1);
    const char *cl = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
    run(cl, strlen(cl), 0, 0, 0, &s, &code);
    assert_int_equal(s.keep_alive, 0);
}

static void test_http_request_has_host_agent_accept(void **state)
{
    (void)state;
    struct wt_url url;
    char err[128];
    assert_int_equal(wt_url_parse("http://[::1]:8080/a?b", &url, err, sizeof err), WT_URL_OK);
    struct wt_http_request req;
    assert_int_equal(wt_http_request_build(&url, NULL, "webtrace/test", &req), 0);
    assert_string_equal(req.text, "GET /a?b HTTP/1.1\r\nHost: [::1]:8080\r\n"
                                  "User-Agent: webtrace/test\r\nAccept: */*\r\n\r\n");
    assert_int_equal(req.len, strlen(req.text));
    assert_int_equal(req.n_headers, 3);
    wt_http_request_clear(&req);
    wt_url_clear(&url);

    assert_int_equal(wt_url_parse("example.test", &url, err, sizeof err), WT_URL_OK);
    assert_int_equal(wt_http_request_build(&url, NULL, "w", &req), 0);
    assert_non_null(strstr(req.text, "\r\nHost: example.test\r\n"));
    wt_http_request_clear(&req);
    wt_url_clear(&url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_content_length_body_at_every_split),
        cmocka_unit_test(test_http_chunked_body_at_every_split),
        cmocka_unit_test(test_http_close_delimited_body_completes_at_eof),
        cmocka_unit_test(test_http_obs_fold_is_unfolded_and_cannot_change_framing),
        cmocka_unit_test(test_http_tolerated_deviations_are_reported_once),
        cmocka_unit_test(test_http_strict_refuses_every_deviation),
        cmocka_unit_test(test_http_broken_status_lines_exit_1_without_body),
        cmocka_unit_test(test_http_transfer_codings_other_than_chunked_exit_61),
        cmocka_unit_test(test_http_broken_chunk_exits_56),
        cmocka_unit_test(test_http_only_interim_responses_then_close_is_52),
        cmocka_unit_test(test_http_bare_cr_in_headers_is_malformed),
        cmocka_unit_test(test_http_whitespace_before_first_header_is_malformed),
        cmocka_unit_test(test_http_empty_line_before_status_is_malformed),
        cmocka_unit_test(test_http_malformed_status_line),
        cmocka_unit_test(test_http_truncated_content_length_body_is_partial),
        cmocka_unit_test(test_http_truncated_chunk_is_partial),
        cmocka_unit_test(test_http_nothing_received_is_52),
        cmocka_unit_test(test_http_eof_inside_headers_is_malformed),
        cmocka_unit_test(test_http_no_body_statuses_do_not_wait),
        cmocka_unit_test(test_http_interim_1xx_then_final),
        cmocka_unit_test(test_http_oversized_header_section_is_100),
        cmocka_unit_test(test_http_too_many_header_lines_is_100),
        cmocka_unit_test(test_http_interim_responses_up_to_the_cap_are_fine),
        cmocka_unit_test(test_http_too_many_interim_responses_is_100),
        cmocka_unit_test(test_http_interim_header_bytes_share_one_budget),
        cmocka_unit_test(test_http_body_write_error_aborts_with_callers_code),
        cmocka_unit_test(test_http_keep_alive_and_connection_close),
        cmocka_unit_test(test_http_request_has_host_agent_accept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
