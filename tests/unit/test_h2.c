/* The HTTP/2 client session without sockets: canned server frames fed to
 * it (whole, and split at every byte offset), the request it sends, the
 * response it hands to the reader's callbacks, and curl's exit codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "webtrace/exitcode.h"
#include "webtrace/h2.h"
#include "webtrace/http.h"
#include "webtrace/url.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct seen {
    int status;
    int major;
    size_t n_headers;
    char headers[512];
    char body[256];
    size_t body_len;
    int headers_done;
    enum wt_body_framing framing;
    size_t frames[2][10];   /* by direction (received 0, sent 1) and type */
    int preface;
    size_t streams;
    int stream_end;
};

static void on_status(void *ctx, int major, int minor, int status, const char *reason,
                      size_t reason_len)
{
    (void)minor;
    (void)reason;
    (void)reason_len;
    struct seen *s = ctx;
    s->status = status;
    s->major = major;
}

static void on_header(void *ctx, const char *name, size_t name_len, const char *value,
                      size_t value_len, int folded)
{
    (void)folded;
    struct seen *s = ctx;
    s->n_headers++;
    size_t used = strlen(s->headers);
    snprintf(s->headers + used, sizeof s->headers - used, "%.*s=%.*s;", (int)name_len, name,
             (int)value_len, value);
}

static void on_headers_done(void *ctx, int status, enum wt_body_framing framing,
                            int64_t content_length, int keep_alive, size_t n_headers,
                            size_t header_bytes)
{
    (void)status;
    (void)content_length;
    (void)keep_alive;
    (void)n_headers;
    (void)header_bytes;
    struct seen *s = ctx;
    s->headers_done++;
    s->framing = framing;
}

static int on_body(void *ctx, const char *data, size_t len)
{
    struct seen *s = ctx;
    if (s->body_len + len < sizeof s->body) {
        memcpy(s->body + s->body_len, data, len);
        s->body_len += len;
    }
    return 0;
}

static const struct wt_http_callbacks callbacks = { on_status, on_header, on_headers_done,
                                                    on_body, NULL };

static void on_event(void *ctx, const struct wt_event *ev)
{
    struct seen *s = ctx;
    if (ev->kind == WT_EV_H2_FRAME && ev->u.h2_frame.type == WT_H2_PREFACE)
        s->preface++;
    else if (ev->kind == WT_EV_H2_FRAME && ev->u.h2_frame.type <= WT_H2_CONTINUATION)
        s->frames[ev->u.h2_frame.sent][ev->u.h2_frame.type]++;
    else if (ev->kind == WT_EV_H2_STREAM) {
        s->streams++;
        s->stream_end = ev->u.h2_stream.end_stream;
    }
}

/* A frame header (RFC 9113 §4.1) and its payload, appended to buf. */
static size_t put_frame(unsigned char *buf, size_t at, int type, int flags, uint32_t stream,
                        const void *payload, size_t len)
{
    unsigned char *p = buf + at;
    p[0] = (unsigned char)(len >> 16);
    p[1] = (unsigned char)(len >> 8);
    p[2] = (unsigned char)len;
    p[3] = (unsigned char)type;
    p[4] = (unsigned char)flags;
    p[5] = (unsigned char)(stream >> 24);
    p[6] = (unsigned char)(stream >> 16);
    p[7] = (unsigned char)(stream >> 8);
    p[8] = (unsigned char)stream;
    memcpy(p + 9, payload, len);
    return at + 9 + len;
}

struct fixture {
    struct wt_url url;
    struct wt_http_request req;
    struct seen seen;
    struct wt_event_sink sink;
    struct wt_h2 *h2;
    struct wt_h2_stream *s;     /* the first request's stream */
};

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof f);
    char err[128];
    if (wt_url_parse("https://example.test/path?q=1", &f.url, err, sizeof err) != WT_URL_OK)
        return -1;
    if (wt_http_request_build(&f.url, NULL, "webtrace/test", &f.req) < 0)
        return -1;
    f.sink = (struct wt_event_sink){ on_event, &f.seen };
    f.h2 = wt_h2_new(&f.sink);
    if (!f.h2)
        return -1;
    f.s = wt_h2_submit(f.h2, &callbacks, &f.seen, &f.sink, &f.req, 1, 0);
    if (!f.s)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    wt_h2_free(f->h2);
    wt_http_request_clear(&f->req);
    wt_url_clear(&f->url);
    return 0;
}

static void test_h2_first_bytes_are_preface_settings_and_headers(void **state)
{
    struct fixture *f = *state;
    const char *out;
    size_t len = wt_h2_output(f->h2, &out);
    assert_true(len > 24 + 9);
    assert_memory_equal(out, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
    assert_int_equal((unsigned char)out[24 + 3], WT_H2_SETTINGS);
    assert_int_equal(f->seen.preface, 1);
    assert_int_equal(f->seen.frames[1][WT_H2_SETTINGS], 1);
    assert_int_equal(f->seen.frames[1][WT_H2_HEADERS], 1);
    wt_h2_sent(f->h2, len);
    assert_int_equal(wt_h2_output(f->h2, &out), 0);
    assert_true(wt_h2_request_bytes(f->s) > 0);
}

/* SETTINGS (empty), its ACK of ours, HEADERS :status 200 (HPACK static
 * index 8) + content-length 5 (literal, indexed name 28), DATA "hello"
 * with END_STREAM. */
static size_t canned_response(unsigned char *buf)
{
    static const unsigned char block[] = { 0x88, 0x0f, 0x0d, 0x01, '5' };
    size_t at = put_frame(buf, 0, WT_H2_SETTINGS, 0, 0, "", 0);
    at = put_frame(buf, at, WT_H2_SETTINGS, 1, 0, "", 0);
    at = put_frame(buf, at, WT_H2_HEADERS, 0x4, 1, block, sizeof block);
    return put_frame(buf, at, WT_H2_DATA, 0x1, 1, "hello", 5);
}

static void test_h2_response_reaches_the_reader_callbacks(void **state)
{
    struct fixture *f = *state;
    unsigned char buf[256];
    size_t len = canned_response(buf);
    assert_int_equal(wt_h2_feed(f->h2, (const char *)buf, len), WT_HTTP_COMPLETE);
    assert_int_equal(f->seen.status, 200);
    assert_int_equal(f->seen.major, 2);
    assert_string_equal(f->seen.headers, "content-length=5;");
    assert_int_equal(f->seen.headers_done, 1);
    assert_int_equal(f->seen.framing, WT_FRAMING_H2);
    assert_int_equal(f->seen.body_len, 5);
    assert_memory_equal(f->seen.body, "hello", 5);
    assert_int_equal(wt_h2_body_bytes(f->s), 5);
    assert_int_equal(f->seen.streams, 1);
    assert_true(f->seen.stream_end);
    /* our ACK of the server's SETTINGS is queued */
    assert_int_equal(f->seen.frames[1][WT_H2_SETTINGS], 2);
}

static void test_h2_next_request_goes_on_stream_3(void **state)
{
    struct fixture *f = *state;
    const char *out;
    wt_h2_sent(f->h2, wt_h2_output(f->h2, &out));
    unsigned char buf[256];
    size_t len = canned_response(buf);
    assert_int_equal(wt_h2_feed(f->h2, (const char *)buf, len), WT_HTTP_COMPLETE);
    assert_true(wt_h2_reusable(f->h2));
    wt_h2_sent(f->h2, wt_h2_output(f->h2, &out));   /* the SETTINGS ACK */
    memset(&f->seen, 0, sizeof f->seen);
    assert_ptr_equal(wt_h2_next_ended(f->h2), f->s);
    wt_h2_stream_release(f->s);
    struct wt_h2_stream *next = wt_h2_submit(f->h2, &callbacks, &f->seen, &f->sink, &f->req, 1, 0);
    assert_non_null(next);
    assert_int_equal(wt_h2_stream_id(next), 3);
    size_t n = wt_h2_output(f->h2, &out);
    assert_true(n > 9);
    assert_int_equal((unsigned char)out[3], WT_H2_HEADERS);
    assert_int_equal((unsigned char)out[8], 3);   /* stream 3 */
    assert_int_equal(f->seen.preface, 0);
    wt_h2_sent(f->h2, n);
    /* the response on stream 3; HPACK's dynamic table is the server's own */
    static const unsigned char block[] = { 0x88 };
    len = put_frame(buf, 0, WT_H2_HEADERS, 0x5, 3, block, sizeof block);
    assert_int_equal(wt_h2_feed(f->h2, (const char *)buf, len), WT_HTTP_COMPLETE);
    assert_int_equal(f->seen.status, 200);
    assert_int_equal(f->seen.framing, WT_FRAMING_H2);
    assert_int_equal(wt_h2_body_bytes(next), 0);
}

static void test_h2_goaway_ends_reuse(void **state)
{
    struct fixture *f = *state;
    unsigned char buf[256];
    size_t len = canned_response(buf);
    unsigned char goaway[8] = { 0, 0, 0, 1, 0, 0, 0, 0 };
    len = put_frame(buf, len, WT_H2_GOAWAY, 0, 0, goaway, sizeof goaway);
    assert_int_equal(wt_h2_feed(f->h2, (const char *)buf, len), WT_HTTP_COMPLETE);
    assert_false(wt_h2_reusable(f->h2));
}

static void test_h2_response_split_at_every_offset(void **state)
{
    (void)state;
    unsigned char buf[256];
    size_t len = canned_response(buf);
    for (size_t cut = 1; cut < len; cut++) {
        void *fresh;
        assert_int_equal(setup(&fresh), 0);
        struct fixture *f = fresh;
        assert_int_equal(wt_h2_feed(f->h2, (const char *)buf, cut), WT_HTTP_NEED_MORE);
        assert_int_equal(wt_h2_feed(f->h2, (const char *)buf + cut, len - cut),
                         WT_HTTP_COMPLETE);
        assert_int_equal(f->seen.body_len, 5);
        teardown(&fresh);
    }
}

struct failure_case {
    const char *name;
    int type, flags;
    uint32_t stream;
    unsigned char payload[8];
    size_t len;
    int exit_code;
};

static void test_h2_failures_have_curls_exit_codes(void **state)
{
    (void)state;
    static const struct failure_case cases[] = {
        /* RST_STREAM PROTOCOL_ERROR on our stream: a stream error */
        { "rst_stream", WT_H2_RST_STREAM, 0, 1, { 0, 0, 0, 1 }, 4, WT_EXIT_HTTP2_STREAM },
        /* a SETTINGS frame whose length is not a multiple of 6 */
        { "bad_settings", WT_H2_SETTINGS, 0, 0, { 0, 3, 0, 0, 0 }, 5, WT_EXIT_HTTP2 },
        /* DATA on stream 0 */
        { "data_on_stream_0", WT_H2_DATA, 0, 0, { 'x' }, 1, WT_EXIT_HTTP2 },
    };
    for (size_t i = 0; i < N(cases); i++) {
        void *fresh;
        assert_int_equal(setup(&fresh), 0);
        struct fixture *f = fresh;
        unsigned char buf[64];
        size_t at = put_frame(buf, 0, WT_H2_SETTINGS, 0, 0, "", 0);
        at = put_frame(buf, at, cases[i].type, cases[i].flags, cases[i].stream,
                       cases[i].payload, cases[i].len);
        if (wt_h2_feed(f->h2, (const char *)buf, at) != WT_HTTP_FAILED)
            fail_msg("%s: not a failure", cases[i].name);
        if (wt_h2_exit_code(f->s) != cases[i].exit_code)
            fail_msg("%s: exit %d, want %d (%s)", cases[i].name, wt_h2_exit_code(f->s),
                     cases[i].exit_code, wt_h2_error(f->s));
        assert_true(wt_h2_error(f->s)[0] != '\0');
        teardown(&fresh);
    }
}

static void test_h2_eof_before_the_stream_ends(void **state)
{
    struct fixture *f = *state;
    unsigned char buf[256];
    size_t len = canned_response(buf);
    /* everything but the DATA frame: the response began, the stream did not end */
    assert_int_equal(wt_h2_feed(f->h2, (const char *)buf, len - 9 - 5), WT_HTTP_NEED_MORE);
    assert_int_equal(wt_h2_eof(f->h2), WT_HTTP_FAILED);
    assert_int_equal(wt_h2_exit_code(f->s), WT_EXIT_PARTIAL_FILE);
}

static void test_h2_eof_without_a_response(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(wt_h2_eof(f->h2), WT_HTTP_FAILED);
    assert_int_equal(wt_h2_exit_code(f->s), WT_EXIT_GOT_NOTHING);
}

/* Two requests at once: stream 1 and stream 3 are open together, their
 * frames interleave, each response reaches its own callbacks, and a
 * RST_STREAM on one fails that stream alone. */
static void test_h2_streams_share_the_connection(void **state)
{
    struct fixture *f = *state;
    struct seen other = { 0 };
    struct wt_event_sink other_sink = { on_event, &other };
    const char *out;
    wt_h2_sent(f->h2, wt_h2_output(f->h2, &out));
    struct wt_h2_stream *s3 = wt_h2_submit(f->h2, &callbacks, &other, &other_sink, &f->req, 1, 0);
    assert_non_null(s3);
    assert_int_equal(wt_h2_stream_id(s3), 3);
    assert_int_equal(wt_h2_streams(f->h2), 2);
    assert_int_equal(other.frames[1][WT_H2_HEADERS], 1);   /* told with its own request */
    static const unsigned char block[] = { 0x88 };         /* :status 200 */
    unsigned char buf[256];
    size_t at = put_frame(buf, 0, WT_H2_SETTINGS, 0, 0, "", 0);
    at = put_frame(buf, at, WT_H2_HEADERS, 0x4, 3, block, sizeof block);
    at = put_frame(buf, at, WT_H2_HEADERS, 0x4, 1, block, sizeof block);
    at = put_frame(buf, at, WT_H2_DATA, 0x0, 3, "three", 5);
    at = put_frame(buf, at, WT_H2_DATA, 0x1, 1, "one", 3);
    assert_int_equal(wt_h2_feed(f->h2, (const char *)buf, at), WT_HTTP_COMPLETE);
    assert_ptr_equal(wt_h2_next_ended(f->h2), f->s);
    assert_null(wt_h2_next_ended(f->h2));
    assert_memory_equal(f->seen.body, "one", 3);
    assert_int_equal(f->seen.body_len, 3);
    assert_memory_equal(other.body, "three", 5);
    assert_false(wt_h2_reusable(f->h2));                   /* stream 3 is still open */
    unsigned char rst[4] = { 0, 0, 0, 2 };                  /* INTERNAL_ERROR */
    at = put_frame(buf, 0, WT_H2_RST_STREAM, 0, 3, rst, sizeof rst);
    assert_int_equal(wt_h2_feed(f->h2, (const char *)buf, at), WT_HTTP_FAILED);
    assert_ptr_equal(wt_h2_next_ended(f->h2), s3);
    assert_int_equal(wt_h2_exit_code(s3), WT_EXIT_HTTP2_STREAM);
    assert_true(wt_h2_stream_complete(f->s));
    assert_int_equal(wt_h2_exit_code(f->s), 0);
    wt_h2_stream_release(s3);
    wt_h2_stream_release(f->s);
    f->s = NULL;
    assert_int_equal(wt_h2_streams(f->h2), 0);
    assert_true(wt_h2_reusable(f->h2));
}

/* The server's SETTINGS say how many streams fit: none is offered before
 * they arrive, and none beyond MAX_CONCURRENT_STREAMS. */
static void test_h2_can_take_respects_max_concurrent_streams(void **state)
{
    struct fixture *f = *state;
    assert_false(wt_h2_can_take(f->h2));
    unsigned char one[6] = { 0, 3, 0, 0, 0, 1 };            /* MAX_CONCURRENT_STREAMS 1 */
    unsigned char buf[64];
    size_t at = put_frame(buf, 0, WT_H2_SETTINGS, 0, 0, one, sizeof one);
    assert_int_equal(wt_h2_feed(f->h2, (const char *)buf, at), WT_HTTP_NEED_MORE);
    assert_true(wt_h2_settings_received(f->h2));
    const char *out;
    wt_h2_sent(f->h2, wt_h2_output(f->h2, &out));           /* stream 1 is open now */
    assert_false(wt_h2_can_take(f->h2));
    static const unsigned char block[] = { 0x88 };
    at = put_frame(buf, 0, WT_H2_HEADERS, 0x5, 1, block, sizeof block);
    assert_int_equal(wt_h2_feed(f->h2, (const char *)buf, at), WT_HTTP_COMPLETE);
    assert_true(wt_h2_can_take(f->h2));
}

static void test_h2_error_names(void **state)
{
    (void)state;
    assert_string_equal(wt_h2_error_name(0), "NO_ERROR");
    assert_string_equal(wt_h2_error_name(1), "PROTOCOL_ERROR");
    assert_string_equal(wt_h2_error_name(13), "HTTP_1_1_REQUIRED");
    assert_string_equal(wt_h2_error_name(14), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_h2_first_bytes_are_preface_settings_and_headers,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_response_reaches_the_reader_callbacks, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_h2_next_request_goes_on_stream_3, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_goaway_ends_reuse, setup, teardown),
        cmocka_unit_test(test_h2_response_split_at_every_offset),
        cmocka_unit_test(test_h2_failures_have_curls_exit_codes),
        cmocka_unit_test_setup_teardown(test_h2_eof_before_the_stream_ends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_eof_without_a_response, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_streams_share_the_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_can_take_respects_max_concurrent_streams, setup,
                                        teardown),
        cmocka_unit_test(test_h2_error_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
