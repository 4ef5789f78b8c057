/* libFuzzer: any bytes as what an HTTP/2 client sends to webtrace serve's
 * session (the connection preface is put in front unless flag bit 3 says
 * not), fed in pieces whose sizes come from the first input byte, our
 * frames taken after each piece (in part, as a full socket takes them).
 * The second byte holds flags: bit 0 requests are answered with a body
 * larger than the default window, bit 1 they are answered only after all
 * input (as /delay/MS does), bit 2 we end with GOAWAY. Every request must
 * be handed back exactly once through on_close, whatever the client did. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/h2.h"
#include "webtrace/h2_server.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define BODY_BYTES 70000
#define HELD_MAX 16

struct reply {
    uint64_t sent;
    int32_t stream;
};

struct run {
    struct wt_h2_server *h;
    int with_body, later;
    size_t requests, closes;
    struct reply replies[256];
    struct reply *held[HELD_MAX];
    size_t n_held;
};

static size_t body(void *ctx, uint8_t *buf, size_t len, int *eof)
{
    struct reply *r = ctx;
    size_t n = BODY_BYTES - r->sent < len ? (size_t)(BODY_BYTES - r->sent) : len;
    memset(buf, 'x', n);
    r->sent += n;
    *eof = r->sent == BODY_BYTES;
    return n;
}

static void answer(struct run *run, struct reply *r)
{
    static const struct wt_h2_header headers[] = { { "content-type", "text/plain" } };
    wt_h2_server_respond(run->h, r->stream, run->with_body ? 200 : 204, headers, 1,
                         run->with_body ? body : NULL);
}

static void *on_request(void *ctx, int32_t stream, const struct wt_request *req,
                        size_t header_block_bytes)
{
    struct run *run = ctx;
    (void)header_block_bytes;
    if (!req->method[0] || req->target_len == 0 || req->target_len >= sizeof req->target ||
        req->body_kept > req->body_bytes)
        abort();
    if (run->requests == sizeof run->replies / sizeof run->replies[0])
        return NULL;   /* the stream is reset: as when out of memory */
    struct reply *r = &run->replies[run->requests++];
    r->stream = stream;
    if (run->later && run->n_held < HELD_MAX)
        run->held[run->n_held++] = r;
    else
        answer(run, r);
    return r;
}

static void on_close(void *ctx, int32_t stream, void *body_ctx, uint32_t error_code)
{
    struct run *run = ctx;
    struct reply *r = body_ctx;
    (void)error_code;
    if (r < run->replies || r >= run->replies + run->requests || r->stream != stream)
        abort();
    r->stream = -1;   /* a second close of it would abort above */
    run->closes++;
}

static void on_event(void *ctx, const struct wt_event *ev)
{
    (void)ctx;
    if (ev->kind == WT_EV_H2_FRAME && (!ev->u.h2_frame.server ||
                                       ev->u.h2_frame.n_settings > WT_H2_MAX_SETTINGS))
        abort();
}

static void drain(struct wt_h2_server *h)
{
    const char *out;
    size_t n;
    for (int i = 0; i < 1000 && (n = wt_h2_server_output(h, &out)) > 0; i++)
        wt_h2_server_sent(h, n > 100 ? n - 100 : n);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    static int loaded = -1;
    if (loaded < 0) {
        char err[200];
        loaded = wt_h2_load(err, sizeof err) == 0;
    }
    if (!loaded || size < 2)
        return 0;
    size_t piece = data[0] ? data[0] : 1;
    int flags = data[1];
    data += 2;
    size -= 2;
    static const struct wt_h2_server_callbacks cb = { on_request, on_close };
    static struct run run;
    memset(&run, 0, sizeof run);
    run.with_body = flags & 1;
    run.later = flags & 2;
    struct wt_event_sink sink = { on_event, NULL };
    run.h = wt_h2_server_new(&cb, &run, &sink);
    if (!run.h)
        return 0;
    drain(run.h);
    if (!(flags & 8))
        wt_h2_server_feed(run.h, preface, sizeof preface - 1);
    for (size_t at = 0; at < size; at += piece) {
        size_t n = size - at < piece ? size - at : piece;
        if (wt_h2_server_feed(run.h, (const char *)data + at, n) < 0)
            break;
        drain(run.h);
    }
    for (size_t i = 0; i < run.n_held; i++)
        if (run.held[i]->stream > 0)
            answer(&run, run.held[i]);
    drain(run.h);
    if (flags & 4) {
        wt_h2_server_goaway(run.h);
        drain(run.h);
    }
    (void)wt_h2_server_done(run.h);
    /* streams begun: answered or not, and those whose request never ended */
    if (wt_h2_server_open_streams(run.h) > run.requests + WT_H2_SERVER_MAX_STREAMS)
        abort();
    wt_h2_server_free(run.h);
    if (run.closes != run.requests)
        abort();
    return 0;
}
