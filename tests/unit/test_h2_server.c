/* The HTTP/2 server session without sockets: webtrace's own client session
 * (h2.c) talks to it in memory, so a request goes through both HPACK coders
 * and flow control; a client that breaks the protocol is fed raw frames and
 * gets its GOAWAY. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "webtrace/h2.h"
#include "webtrace/h2_server.h"
#include "webtrace/http.h"
#include "webtrace/url.h"

#define BODY_BYTES 100000   /* more than one DATA frame and the default window */

/* What the client side saw. */
struct client_seen {
    int status;
    char headers[512];
    uint64_t body_len;
    int body_ok;
};

/* What the server side saw and did. */
struct server_seen {
    struct wt_h2_server *h;
    int requests;
    char method[16];
    char target[64];
    char host[64];
    int32_t stream;
    int closed;
    uint32_t close_error;
    int answer;                 /* respond at once */
    uint64_t sent;              /* body bytes handed out */
    size_t frames[2][10];       /* by direction (received 0, sent 1) and type */
    int preface;
    int all_marked;             /* every frame event says it is the server's */
    uint32_t max_streams, window;   /* from our SETTINGS as sent */
    uint32_t goaway_error;
    int goaway_sent;
};

static void on_status(void *ctx, int major, int minor, int status, const char *reason,
                      size_t reason_len)
{
    (void)major;
    (void)minor;
    (void)reason;
    (void)reason_len;
    ((struct client_seen *)ctx)->status = status;
}

static void on_header(void *ctx, const char *name, size_t name_len, const char *value,
                      size_t value_len, int folded)
{
    (void)folded;
    struct client_seen *s = ctx;
    size_t used = strlen(s->headers);
    snprintf(s->headers + used, sizeof s->headers - used, "%.*s=%.*s;", (int)name_len, name,
             (int)value_len, value);
}

static int on_body(void *ctx, const char *data, size_t len)
{
    struct client_seen *s = ctx;
    for (size_t i = 0; i < len; i++)
        if (data[i] != (char)('a' + (s->body_len + i) % 26))
            s->body_ok = 0;
    s->body_len += len;
    return 0;
}

static const struct wt_http_callbacks client_callbacks = { on_status, on_header, NULL, on_body,
                                                           NULL };

static void ignore_event(void *ctx, const struct wt_event *ev)
{
    (void)ctx;
    (void)ev;
}

static void on_server_event(void *ctx, const struct wt_event *ev)
{
    struct server_seen *s = ctx;
    if (ev->kind == WT_EV_H2_FRAME) {
        if (!ev->u.h2_frame.server)
            s->all_marked = 0;
        if (ev->u.h2_frame.type == WT_H2_PREFACE) {
            s->preface++;
            return;
        }
        s->frames[ev->u.h2_frame.sent][ev->u.h2_frame.type]++;
        if (ev->u.h2_frame.sent && ev->u.h2_frame.type == WT_H2_SETTINGS && !ev->u.h2_frame.ack)
            for (size_t i = 0; i < ev->u.h2_frame.n_settings; i++) {
                if (ev->u.h2_frame.settings[i].id == 3)
                    s->max_streams = ev->u.h2_frame.settings[i].value;
                if (ev->u.h2_frame.settings[i].id == 4)
                    s->window = ev->u.h2_frame.settings[i].value;
            }
        if (ev->u.h2_frame.sent && ev->u.h2_frame.type == WT_H2_GOAWAY) {
            s->goaway_sent++;
            s->goaway_error = ev->u.h2_frame.error_code;
        }
    } else if (ev->kind == WT_EV_H2_STREAM && !ev->u.h2_stream.server) {
        s->all_marked = 0;
    }
}

static size_t body_source(void *ctx, uint8_t *buf, size_t len, int *eof)
{
    struct server_seen *s = ctx;
    size_t n = BODY_BYTES - s->sent < len ? (size_t)(BODY_BYTES - s->sent) : len;
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)('a' + (s->sent + i) % 26);
    s->sent += n;
    *eof = s->sent == BODY_BYTES;
    return n;
}

static void *on_request(void *ctx, int32_t stream, const struct wt_request *req,
                        size_t header_block_bytes)
{
    struct server_seen *s = ctx;
    assert_true(header_block_bytes > 0);
    s->requests++;
    s->stream = stream;
    snprintf(s->method, sizeof s->method, "%.15s", req->method);
    snprintf(s->target, sizeof s->target, "%.63s", req->target);
    /* the headers kept for /headers: :authority first, as host */
    if (req->headers_kept && strcmp(req->headers, "host") == 0)
        snprintf(s->host, sizeof s->host, "%s", req->headers + 5);
    if (s->answer) {
        static const struct wt_h2_header headers[] = { { "content-type", "text/plain" },
                                                       { "x-test", "yes" } };
        assert_int_equal(wt_h2_server_respond(s->h, stream, 200, headers, 2, body_source), 0);
    }
    return s;
}

static void on_close(void *ctx, int32_t stream, void *body_ctx, uint32_t error_code)
{
    struct server_seen *s = ctx;
    assert_ptr_equal(body_ctx, s);
    assert_int_equal(stream, s->stream);
    s->closed++;
    s->close_error = error_code;
}

static const struct wt_h2_server_callbacks server_callbacks = { on_request, on_close };

struct pair {
    struct wt_url url;
    struct wt_http_request req;
    struct wt_event_sink client_sink, server_sink;
    struct client_seen client;
    struct server_seen server;
    struct wt_h2 *c;
    struct wt_h2_stream *stream;
};

static int setup(void **state)
{
    static struct pair p;
    memset(&p, 0, sizeof p);
    char err[160];
    if (wt_h2_load(err, sizeof err) < 0)
        return -1;
    p.client.body_ok = 1;
    p.server.all_marked = 1;
    p.server.answer = 1;
    p.client_sink = (struct wt_event_sink){ ignore_event, NULL };
    p.server_sink = (struct wt_event_sink){ on_server_event, &p.server };
    p.server.h = wt_h2_server_new(&server_callbacks, &p.server, &p.server_sink);
    p.c = wt_h2_new(&p.client_sink);
    if (!p.server.h || !p.c)
        return -1;
    *state = &p;
    return 0;
}

static int teardown(void **state)
{
    struct pair *p = *state;
    wt_h2_free(p->c);
    wt_h2_server_free(p->server.h);
    wt_http_request_clear(&p->req);
    wt_url_clear(&p->url);
    return 0;
}

static void submit(struct pair *p, const char *url)
{
    char err[128];
    assert_int_equal(wt_url_parse(url, &p->url, err, sizeof err), WT_URL_OK);
    assert_int_equal(wt_http_request_build(&p->url, NULL, "webtrace/test", &p->req), 0);
    p->stream = wt_h2_submit(p->c, &client_callbacks, &p->client, &p->client_sink, &p->req, 1, 0);
    assert_non_null(p->stream);
}

/* Moves bytes both ways until neither side has any to send (bounded). */
static void shuttle(struct pair *p)
{
    for (int round = 0; round < 1000; round++) {
        int moved = 0;
        const char *data;
        size_t n;
        while ((n = wt_h2_output(p->c, &data)) > 0) {
            wt_h2_server_feed(p->server.h, data, n);
            wt_h2_sent(p->c, n);
            moved = 1;
        }
        while ((n = wt_h2_server_output(p->server.h, &data)) > 0) {
            wt_h2_feed(p->c, data, n);
            wt_h2_server_sent(p->server.h, n);
            moved = 1;
        }
        if (!moved)
            return;
    }
    fail_msg("the two sessions never went quiet");
}

static void test_h2_server_answers_webtraces_client(void **state)
{
    struct pair *p = *state;
    submit(p, "https://example.test:8443/path?q=1");
    shuttle(p);
    /* the request as the endpoints read it */
    assert_int_equal(p->server.requests, 1);
    assert_string_equal(p->server.method, "GET");
    assert_string_equal(p->server.target, "/path?q=1");
    assert_string_equal(p->server.host, "example.test:8443");
    assert_int_equal(p->server.stream, 1);
    /* the response as the client read it, through flow control */
    assert_int_equal(p->client.status, 200);
    assert_non_null(strstr(p->client.headers, "content-type=text/plain;x-test=yes;"));
    assert_int_equal(p->client.body_len, BODY_BYTES);
    assert_true(p->client.body_ok);
    assert_true(wt_h2_stream_complete(p->stream));
    /* the server's side of the narration */
    assert_int_equal(p->server.closed, 1);
    assert_int_equal(p->server.close_error, 0);
    assert_int_equal(p->server.preface, 1);
    assert_true(p->server.all_marked);
    assert_int_equal(p->server.max_streams, WT_H2_SERVER_MAX_STREAMS);
    assert_int_equal(p->server.window, WT_H2_SERVER_WINDOW);
    assert_int_equal(p->server.frames[0][WT_H2_HEADERS], 1);
    assert_int_equal(p->server.frames[1][WT_H2_HEADERS], 1);
    assert_true(p->server.frames[1][WT_H2_DATA] >= BODY_BYTES / 16384);
    assert_int_equal(wt_h2_server_open_streams(p->server.h), 0);
}

static void test_h2_server_goaway_ends_the_session(void **state)
{
    struct pair *p = *state;
    submit(p, "https://example.test/");
    shuttle(p);
    assert_false(wt_h2_server_done(p->server.h));   /* the client may send more */
    wt_h2_server_goaway(p->server.h);
    shuttle(p);
    assert_int_equal(p->server.goaway_sent, 1);
    assert_int_equal(p->server.goaway_error, 0);
    assert_true(wt_h2_server_done(p->server.h));
    assert_false(wt_h2_reusable(p->c));
}

static void test_h2_server_unanswered_stream_is_handed_back_at_free(void **state)
{
    struct pair *p = *state;
    p->server.answer = 0;   /* as /delay/MS: the answer would come later */
    submit(p, "https://example.test/delay/1000");
    shuttle(p);
    assert_int_equal(p->server.requests, 1);
    assert_int_equal(wt_h2_server_open_streams(p->server.h), 1);
    assert_int_equal(p->server.closed, 0);
    wt_h2_server_free(p->server.h);
    p->server.h = NULL;
    assert_int_equal(p->server.closed, 1);   /* its context freed with the session */
}

static size_t put_frame(unsigned char *buf, size_t at, int type, int flags, uint32_t stream,
                        const void *payload, size_t len)
{
    unsigned char *q = buf + at;
    q[0] = (unsigned char)(len >> 16);
    q[1] = (unsigned char)(len >> 8);
    q[2] = (unsigned char)len;
    q[3] = (unsigned char)type;
    q[4] = (unsigned char)flags;
    q[5] = (unsigned char)(stream >> 24);
    q[6] = (unsigned char)(stream >> 16);
    q[7] = (unsigned char)(stream >> 8);
    q[8] = (unsigned char)stream;
    memcpy(q + 9, payload, len);
    return at + 9 + len;
}

/* The GOAWAY in what the server sends: its error code, or -1 when none. */
static long goaway_error_in(struct wt_h2_server *h)
{
    const char *data;
    size_t n;
    long code = -1;
    while ((n = wt_h2_server_output(h, &data)) > 0) {
        for (size_t at = 0; at + 9 <= n;) {
            const unsigned char *f = (const unsigned char *)data + at;
            size_t len = (size_t)f[0] << 16 | (size_t)f[1] << 8 | f[2];
            if (f[3] == WT_H2_GOAWAY && len >= 8 && at + 9 + len <= n)
                code = (long)((uint32_t)f[13] << 24 | (uint32_t)f[14] << 16 |
                              (uint32_t)f[15] << 8 | f[16]);
            at += 9 + len;
        }
        wt_h2_server_sent(h, n);
    }
    return code;
}

static void test_h2_server_bad_frame_gets_goaway_protocol_error(void **state)
{
    struct pair *p = *state;
    unsigned char buf[128];
    memcpy(buf, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
    size_t at = put_frame(buf, 24, WT_H2_SETTINGS, 0, 0, "", 0);
    at = put_frame(buf, at, WT_H2_DATA, 0, 0, "oops", 4);   /* DATA on stream 0 */
    wt_h2_server_feed(p->server.h, (const char *)buf, at);
    assert_int_equal(goaway_error_in(p->server.h), 1);   /* PROTOCOL_ERROR */
    assert_int_equal(p->server.goaway_error, 1);
    assert_true(wt_h2_server_done(p->server.h));
    assert_int_equal(p->server.requests, 0);
}

static void test_h2_server_bad_preface_gets_goaway(void **state)
{
    struct pair *p = *state;
    static const char http11[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(wt_h2_server_feed(p->server.h, http11, sizeof http11 - 1), -1);
    assert_int_equal(goaway_error_in(p->server.h), 1);
    assert_true(wt_h2_server_done(p->server.h));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_h2_server_answers_webtraces_client, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_h2_server_goaway_ends_the_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_server_unanswered_stream_is_handed_back_at_free,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_server_bad_frame_gets_goaway_protocol_error,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_server_bad_preface_gets_goaway, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
