/* h2: one HTTP/2 client connection carrying a request at a time, with nghttp2
 * doing the framing, HPACK and flow control. Pure like http.h: the caller
 * feeds the bytes it read and sends the bytes this module hands out; the
 * response reaches the same callbacks the HTTP/1.1 reader calls, and every
 * frame becomes an event. No sockets, no printing. */
#ifndef WEBTRACE_H2_H
#define WEBTRACE_H2_H

#include <stddef.h>
#include <stdint.h>
#include "webtrace/event.h"
#include "webtrace/http.h"

/* Our SETTINGS (RFC 9113 §6.5.2): a stream window as large as curl's
 * keeps a fast server from stalling on WINDOW_UPDATEs; the connection's
 * window is raised to the same. */
#define WT_H2_WINDOW (32 * 1024 * 1024)
#define WT_H2_MAX_CONCURRENT 100   /* what we allow the server (pushes: none) */
#define WT_H2_MAX_REQUEST_HEADERS (WT_HTTP_REQUEST_MAX_LINES + 4)

struct wt_h2;

/* Loads libnghttp2 (once per process): 0, or -1 with a sentence in err
 * (HTTP/2 cannot be spoken: curl's exit 1, unsupported protocol). */
int wt_h2_load(char *err, size_t errlen);
/* libnghttp2's own version ("1.52.0"), loading it if need be (for
 * --version); NULL with a sentence in err. */
const char *wt_h2_library_version(char *err, size_t errlen);

/* The first request is sent on stream 1: request's head (as http.c built it for
 * HTTP/1.1) becomes the pseudo-headers :method :scheme :authority :path
 * and lower-case fields, its body DATA. request must outlive the session.
 * NULL when out of memory (or wt_h2_load failed). */
struct wt_h2 *wt_h2_new(const struct wt_http_callbacks *cb, void *ctx,
                        const struct wt_event_sink *sink, const struct wt_http_request *request,
                        int https, int head_request);
void wt_h2_free(struct wt_h2 *h);
/* The next request on a kept connection, on the next stream (3, 5 ...):
 * what the last one left is reset. 0, or -1 when out of memory. */
int wt_h2_submit(struct wt_h2 *h, const struct wt_http_callbacks *cb, void *ctx,
                 const struct wt_event_sink *sink, const struct wt_http_request *request,
                 int https, int head_request);
/* The response is complete and the session can take another stream (no
 * GOAWAY, no error): the connection may be kept. */
int wt_h2_reusable(const struct wt_h2 *h);
/* Queues a GOAWAY NO_ERROR before we close the connection. */
void wt_h2_goaway(struct wt_h2 *h);

/* Bytes waiting to be sent (the preface, frames, ACKs). Returns how many
 * are at *data (0: nothing to send); wt_h2_sent() says how many went. */
size_t wt_h2_output(struct wt_h2 *h, const char **data);
void wt_h2_sent(struct wt_h2 *h, size_t n);

enum wt_http_read wt_h2_feed(struct wt_h2 *h, const char *data, size_t len);
/* The connection closed (or the TLS session ended) before the stream did. */
enum wt_http_read wt_h2_eof(struct wt_h2 *h);

/* 16 an HTTP/2 framing or protocol error, 92 the stream was reset, or
 * what on_body returned (23). */
int wt_h2_exit_code(const struct wt_h2 *h);
const char *wt_h2_error(const struct wt_h2 *h);
uint64_t wt_h2_body_bytes(const struct wt_h2 *h);
uint64_t wt_h2_bytes_fed(const struct wt_h2 *h);
/* How the request went out: its header count and HEADERS frame size. */
size_t wt_h2_request_bytes(const struct wt_h2 *h);

/* RFC 9113 §7 names ("PROTOCOL_ERROR"), "unknown" past the table. */
const char *wt_h2_error_name(uint32_t code);

#endif
