/* h2_server: one HTTP/2 connection of webtrace serve, with nghttp2's server
 * side doing the framing, HPACK and flow control. Pure like h2.c: the
 * caller feeds the bytes it read and sends the bytes handed out; each whole
 * request reaches on_request, each response goes out from a body source,
 * and every frame becomes an event told from the server's side. No
 * sockets, no clock, no printing; libnghttp2 through h2lib only. */
#ifndef WEBTRACE_H2_SERVER_H
#define WEBTRACE_H2_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "webtrace/event.h"
#include "webtrace/request.h"

/* Our SETTINGS (RFC 9113 §6.5.2): as many streams at once as browsers
 * expect of a server, and a stream window large enough for /echo's kept
 * body without waiting for WINDOW_UPDATEs. */
#define WT_H2_SERVER_MAX_STREAMS 100
#define WT_H2_SERVER_WINDOW (1024 * 1024)
#define WT_H2_SERVER_OUTPUT 65536   /* frames gathered for one write */

struct wt_h2_server;

struct wt_h2_header {
    const char *name;   /* lower case, as HTTP/2 wants */
    const char *value;
};

/* Copies up to len body bytes into buf and returns how many; sets *eof
 * with the last ones. */
typedef size_t (*wt_h2_body_proc)(void *body_ctx, uint8_t *buf, size_t len, int *eof);

struct wt_h2_server_callbacks {
    /* A whole request (its HEADERS and DATA up to END_STREAM) on stream:
     * req's method, target (:path), headers (:authority as host) and
     * body, for this call only. Returns the stream's context (given to
     * the body source and to on_close), NULL when out of memory. */
    void *(*on_request)(void *ctx, int32_t stream, const struct wt_request *req,
                        size_t header_block_bytes);
    /* The stream closed (answered, reset, or the session freed): free
     * body_ctx, the context on_request returned. */
    void (*on_close)(void *ctx, int32_t stream, void *body_ctx, uint32_t error_code);
};

/* NULL when out of memory or libnghttp2 is not loaded (wt_h2_load). The
 * connection preface is awaited; our SETTINGS are queued at once. */
struct wt_h2_server *wt_h2_server_new(const struct wt_h2_server_callbacks *cb, void *ctx,
                                      const struct wt_event_sink *sink);
/* Streams still open get on_close first. NULL is a no-op. */
void wt_h2_server_free(struct wt_h2_server *h);

/* Answers stream: :status, then headers (at most 15); body NULL: no
 * DATA (the HEADERS end the stream), else it reads from the stream's
 * context. 0, or -1 when the stream is gone. */
int wt_h2_server_respond(struct wt_h2_server *h, int32_t stream, int status,
                         const struct wt_h2_header *headers, size_t n_headers,
                         wt_h2_body_proc body);

/* 0, or -1 when the bytes could not be read as HTTP/2 at all. Either way
 * a client that broke the protocol is owed a GOAWAY with the error: it is
 * queued (told as it is sent), and the connection ends once it has gone. */
int wt_h2_server_feed(struct wt_h2_server *h, const char *data, size_t len);
/* Frames waiting to be sent: how many bytes at *data (0 none). The same
 * bytes come back until wt_h2_server_sent() says they went. */
size_t wt_h2_server_output(struct wt_h2_server *h, const char **data);
void wt_h2_server_sent(struct wt_h2_server *h, size_t n);
/* Queues a GOAWAY NO_ERROR: the connection ends once it is sent. */
void wt_h2_server_goaway(struct wt_h2_server *h);
/* Nothing more to read or to send: the connection may close. */
int wt_h2_server_done(const struct wt_h2_server *h);
size_t wt_h2_server_open_streams(const struct wt_h2_server *h);

#endif
