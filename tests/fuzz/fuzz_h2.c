/* libFuzzer: any bytes as what an HTTP/2 server sends to our session after
 * our preface, SETTINGS and HEADERS, fed in pieces whose sizes come from
 * the first input byte, our queued frames taken after each piece, then
 * EOF. The second byte holds flags: bit 0 the request was HEAD, bit 1
 * writing the body fails (exit 23), bit 2 the request has a body (DATA
 * that flow control may hold back), bit 3 a second request is open beside
 * the first, bit 4 the first is given up early, bit 5 the connection
 * breaks rather than ends. Each stream must end in one of its documented
 * states, with an exit code and a sentence when it failed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/exitcode.h"
#include "webtrace/h2.h"
#include "webtrace/url.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

struct seen {
    uint64_t body;
    int fail_write;
    int finals;
};

static int on_body(void *ctx, const char *d, size_t n)
{
    (void)d;
    struct seen *s = ctx;
    s->body += n;
    return s->fail_write ? WT_EXIT_WRITE_ERROR : 0;
}

static void on_status(void *ctx, int major, int minor, int status, const char *reason,
                      size_t reason_len)
{
    (void)ctx;
    (void)minor;
    (void)reason;
    if (major != 2 || status < 100 || status > 999 || reason_len != 0)
        abort();
}

static void on_event(void *ctx, const struct wt_event *ev)
{
    (void)ctx;
    if (ev->kind == WT_EV_H2_FRAME && ev->u.h2_frame.n_settings > WT_H2_MAX_SETTINGS)
        abort();
}

static void drain(struct wt_h2 *h)
{
    const char *out;
    size_t n;
    while ((n = wt_h2_output(h, &out)) > 0)
        wt_h2_sent(h, n > 100 ? n - 100 : n);   /* partial sends, as a full socket makes them */
}

/* Every stream that ended is in one of its documented states, with an
 * exit code and a sentence when it failed; its request then lets go. */
static void check_ended(struct wt_h2 *h, struct wt_h2_stream **s, struct wt_h2_stream **s2)
{
    struct wt_h2_stream *e;
    while ((e = wt_h2_next_ended(h))) {
        const struct seen *seen = wt_h2_stream_ctx(e);
        if (!wt_h2_stream_complete(e) && (wt_h2_exit_code(e) == 0 || wt_h2_error(e)[0] == '\0'))
            abort();
        if (wt_h2_stream_complete(e) && wt_h2_body_bytes(e) != seen->body && !seen->fail_write)
            abort();
        if (e == *s)
            *s = NULL;
        else if (e == *s2)
            *s2 = NULL;
        else
            abort();   /* a stream nobody asked for */
        wt_h2_stream_release(e);
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static struct wt_url url;
    static int have_url;
    char err[256];
    if (!have_url) {
        if (wt_url_parse("https://example.test/fuzz?x=1", &url, err, sizeof err) != WT_URL_OK)
            abort();
        have_url = 1;
    }
    if (size < 2)
        return 0;
    size_t piece = data[0] ? data[0] : 1;
    unsigned flags = data[1];
    data += 2;
    size -= 2;

    struct wt_reqspec spec = { 0 };
    static char body[100000];
    if (flags & 4) {
        spec.has_body = 1;
        spec.body.data = body;
        spec.body.len = sizeof body;
    }
    struct wt_http_request req;
    if (wt_http_request_build(&url, &spec, "webtrace-fuzz", &req) < 0)
        return 0;
    struct seen seen = { .fail_write = (flags & 2) != 0 };
    struct wt_http_callbacks cb = { on_status, NULL, NULL, on_body, NULL };
    struct wt_event_sink sink = { on_event, &seen };
    struct wt_h2 *h = wt_h2_new(&sink);
    struct wt_h2_stream *s = h ? wt_h2_submit(h, &cb, &seen, &sink, &req, 1, flags & 1) : NULL;
    if (!s) {
        wt_h2_free(h);
        wt_http_request_clear(&req);
        return 0;
    }
    /* bit 3: a second request beside it on stream 3, as -Z makes them;
     * bit 4: the first is given up once the second is sent (a timeout) */
    struct seen seen2 = { .fail_write = (flags & 2) != 0 };
    struct wt_h2_stream *s2 = (flags & 8) ? wt_h2_submit(h, &cb, &seen2, &sink, &req, 1, 0) : NULL;
    drain(h);
    if (s2 && (flags & 16)) {
        wt_h2_stream_release(s);
        s = NULL;
        drain(h);
    }
    while (size > 0 && wt_h2_streams(h) > 0) {
        size_t n = size < piece ? size : piece;
        (void)wt_h2_feed(h, (const char *)data, n);
        drain(h);
        data += n;
        size -= n;
        check_ended(h, &s, &s2);
        (void)wt_h2_can_take(h);
        if (wt_h2_stream_sink(h) != (wt_h2_streams(h) ? &sink : NULL))
            abort();
    }
    if (wt_h2_streams(h) > 0) {
        /* bit 5: the connection breaks under the session, else it ends */
        if (flags & 32)
            wt_h2_abort(h, WT_EXIT_RECV_ERROR, "the connection broke");
        else
            (void)wt_h2_eof(h);
        check_ended(h, &s, &s2);
        if (wt_h2_streams(h) > 0)
            abort();   /* every stream ended */
    }
    if (wt_h2_reusable(h))
        wt_h2_goaway(h);
    drain(h);
    wt_h2_free(h);
    wt_http_request_clear(&req);
    return 0;
}
