/* h2: one HTTP/2 client connection's session, carrying one request or
 * several at once as streams, with nghttp2 doing the framing, HPACK and
 * flow control. Pure like http.h: the caller feeds the bytes it read and
 * sends the bytes this module hands out; each stream's response reaches
 * the callbacks the HTTP/1.1 reader calls, and every frame becomes an
 * event. No sockets, no printing. */
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

struct wt_h2;          /* the connection's session */
struct wt_h2_stream;   /* one request on it */

/* Loads libnghttp2 (once per process): 0, or -1 with a sentence in err
 * (HTTP/2 cannot be spoken: curl's exit 1, unsupported protocol). */
int wt_h2_load(char *err, size_t errlen);
/* libnghttp2's own version ("1.52.0"), loading it if need be (for
 * --version); NULL with a sentence in err. */
const char *wt_h2_library_version(char *err, size_t errlen);

/* A client session: the preface and our SETTINGS are queued with the
 * first request. sink gets the connection's frames (stream 0, and those
 * of a stream no request owns any more); it must outlive the session.
 * NULL when out of memory (or wt_h2_load failed). */
struct wt_h2 *wt_h2_new(const struct wt_event_sink *sink);
void wt_h2_free(struct wt_h2 *h);

/* A request on the next stream (1, 3, 5 ...): request's head (as http.c
 * built it for HTTP/1.1) becomes the pseudo-headers :method :scheme
 * :authority :path and lower-case fields, its body DATA. The stream's
 * frames go to sink, its response to cb with ctx; request and sink must
 * live until the stream is released. NULL when out of memory or the
 * session has failed. */
struct wt_h2_stream *wt_h2_submit(struct wt_h2 *h, const struct wt_http_callbacks *cb, void *ctx,
                                  const struct wt_event_sink *sink,
                                  const struct wt_http_request *request, int https,
                                  int head_request);
/* The request is done with its stream: one still open is reset (CANCEL)
 * so the others go on. NULL is a no-op. */
void wt_h2_stream_release(struct wt_h2_stream *s);

/* Streams submitted and not released. */
size_t wt_h2_streams(const struct wt_h2 *h);
/* The sink of one of them (NULL: none): who tells the connection's frames
 * when the stream that did is released. */
const struct wt_event_sink *wt_h2_stream_sink(const struct wt_h2 *h);
/* The server's SETTINGS have arrived. */
int wt_h2_settings_received(const struct wt_h2 *h);
/* One more stream fits: the server's SETTINGS are known, its
 * MAX_CONCURRENT_STREAMS not reached, no GOAWAY, no error. */
int wt_h2_can_take(const struct wt_h2 *h);
/* No stream open, no GOAWAY, no error: the connection may be kept idle. */
int wt_h2_reusable(const struct wt_h2 *h);
/* The connection failed or ended: no stream will be read on it again. */
int wt_h2_failed(const struct wt_h2 *h);
/* The connection failed under the session (a send or receive error):
 * every stream still reading ends failed with message. */
void wt_h2_abort(struct wt_h2 *h, int exit_code, const char *message);
/* Queues a GOAWAY NO_ERROR before we close the connection. */
void wt_h2_goaway(struct wt_h2 *h);

/* Bytes waiting to be sent (the preface, frames, ACKs). Returns how many
 * are at *data (0: nothing to send); wt_h2_sent() says how many went. */
size_t wt_h2_output(struct wt_h2 *h, const char **data);
void wt_h2_sent(struct wt_h2 *h, size_t n);

/* What the bytes did: FAILED when the connection failed or a stream ended
 * failed, COMPLETE when a stream's response ended, else NEED_MORE. The
 * streams that ended are then handed out by wt_h2_next_ended. */
enum wt_http_read wt_h2_feed(struct wt_h2 *h, const char *data, size_t len);
/* The connection closed (or the TLS session ended): every stream still
 * reading ends failed. */
enum wt_http_read wt_h2_eof(struct wt_h2 *h);
/* A stream that ended (complete or failed) since last asked, in the order
 * they were submitted; NULL when none. */
struct wt_h2_stream *wt_h2_next_ended(struct wt_h2 *h);

void *wt_h2_stream_ctx(const struct wt_h2_stream *s);
int32_t wt_h2_stream_id(const struct wt_h2_stream *s);
int wt_h2_stream_complete(const struct wt_h2_stream *s);
/* 16 an HTTP/2 framing or protocol error, 92 the stream was reset, or
 * what on_body returned (23). */
int wt_h2_exit_code(const struct wt_h2_stream *s);
const char *wt_h2_error(const struct wt_h2_stream *s);
uint64_t wt_h2_body_bytes(const struct wt_h2_stream *s);
uint64_t wt_h2_bytes_fed(const struct wt_h2_stream *s);
/* How the request went out: its HEADERS frame's size. */
size_t wt_h2_request_bytes(const struct wt_h2_stream *s);

/* RFC 9113 §7 names ("PROTOCOL_ERROR"), "unknown" past the table. */
const char *wt_h2_error_name(uint32_t code);

#endif
