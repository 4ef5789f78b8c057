/* http: HTTP/1.1 on the wire. Builds the request and reads the response
 * with llhttp, guarding the header section ourselves (size and count caps,
 * status line vetted and rewritten, bare LF made CRLF, obs-fold unfolded
 * to spaces, bare CR rejected) so nothing a server sends can move the
 * message framing. Pure: no sockets, no printing; the caller
 * feeds bytes and gets callbacks. */
#ifndef WEBTRACE_HTTP_H
#define WEBTRACE_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include "webtrace/event.h"
#include "webtrace/reqspec.h"
#include "webtrace/url.h"

/* The header bytes of one response: its interim (1xx) header sections and
 * the final one together, so a stream of 100 Continue cannot reset it. */
#define WT_HTTP_MAX_HEADER_BYTES (100 * 1024)
#define WT_HTTP_MAX_INTERIM 32                /* 1xx responses before the final one */
#define WT_HTTP_MAX_HEADERS 1000              /* header lines per section */
#define WT_HTTP_MAX_FOLDS 64                  /* obs-folds remembered per section */
#define WT_HTTP_RANGE_MAX 1024                /* -r's text in the Range header */

/* Why a request header is there, for the narration. */
enum wt_header_origin {
    WT_HDR_FROM_URL,        /* Host: the URL's host and port */
    WT_HDR_DEFAULT,         /* User-Agent, Accept: sent unless -H changes them */
    WT_HDR_FROM_USER,       /* Authorization: -u */
    WT_HDR_FROM_AGENT,      /* User-Agent: -A */
    WT_HDR_FROM_REFERER,    /* Referer: -e */
    WT_HDR_FROM_HEADER,     /* -H */
    WT_HDR_FROM_JSON,       /* Content-Type and Accept of --json */
    WT_HDR_BODY_LENGTH,     /* Content-Length: the body's size */
    WT_HDR_BODY_TYPE,       /* Content-Type: -d's form default */
    WT_HDR_FROM_COMPRESSED, /* Accept-Encoding: --compressed */
    WT_HDR_FROM_RANGE,      /* Range: -r */
    WT_HDR_FROM_RESUME,     /* Range: -C */
    WT_HDR_FROM_FORM,       /* Content-Type: -F's multipart/form-data and boundary */
    WT_HDR_FROM_COOKIE,     /* Cookie: the cookie engine's, then -b's */
    WT_HDR_EXPECT,          /* Expect: 100-continue before a large body or an upload */
    WT_HDR_FROM_PROXY_USER, /* Proxy-Authorization: -U or the proxy's user */
    WT_HDR_FOR_PROXY,       /* Proxy-Connection: curl's, to a proxy */
};

#define WT_HTTP_REQUEST_MAX_LINES (WT_REQSPEC_MAX_HEADERS + 16)

struct wt_http_request {
    char *text;        /* the whole request, head then body, heap */
    size_t len;
    size_t head_len;   /* request line and headers, the empty line included */
    size_t body_len;
    size_t n_headers;
    unsigned char origin[WT_HTTP_REQUEST_MAX_LINES];  /* enum wt_header_origin, per header */
    char host_header[WT_HOST_MAX_LEN + 16];
    const char *method;
    char *target;      /* the URL's, with -G's data appended (heap) */
    const struct wt_form *form;  /* -F's parts when the body is sent (the spec's) */
    int expect_100;    /* the head asks for 100 Continue: send the body after it */
};

/* Builds the request as curl orders it: request line, Host,
 * Authorization, User-Agent, Accept, Referer, the -H headers in order
 * (with --json's two last), Content-Length and Content-Type, then the
 * body. spec NULL is a plain GET. Returns 0 or -1 (ENOMEM). */
int wt_http_request_build(const struct wt_url *url, const struct wt_reqspec *spec,
                          const char *user_agent, struct wt_http_request *out);
/* The same request to an HTTP proxy, as curl 7.88 sends it: the target
 * in absolute form (http://host[:port]/path), Proxy-Authorization after
 * Host when proxy_authorization is not NULL ("Basic ..."), and
 * Proxy-Connection: Keep-Alive after Referer. */
int wt_http_request_build_proxied(const struct wt_url *url, const struct wt_reqspec *spec,
                                  const char *user_agent, const char *proxy_authorization,
                                  struct wt_http_request *out);
/* The method the request will use (-X, -I, data, -G). */
const char *wt_http_request_method(const struct wt_reqspec *spec);
void wt_http_request_clear(struct wt_http_request *req);

/* What a browser accepts although the grammar does not: each is accepted,
 * reported once per response, and refused under --strict. */
enum wt_http_deviation {
    WT_HTTP_DEV_BARE_LF = 1 << 0,        /* a line ended by LF alone (RFC 9112 §2.2) */
    WT_HTTP_DEV_NO_REASON = 1 << 1,      /* "HTTP/1.1 200" without SP (RFC 9112 §4) */
    WT_HTTP_DEV_STATUS_SPACES = 1 << 2,  /* more than one SP after the version (RFC 9112 §4) */
    WT_HTTP_DEV_OBS_FOLD = 1 << 3,       /* a folded header line (RFC 9112 §5.2) */
    WT_HTTP_DEV_UNASKED_101 = 1 << 4,    /* 101 without our Upgrade (RFC 9110 §15.2) */
};
#define WT_HTTP_N_DEVIATIONS 5

/* The machine name ("bare_lf") and the RFC clause of one deviation. */
const char *wt_http_deviation_name(enum wt_http_deviation d);
const char *wt_http_deviation_rfc(enum wt_http_deviation d);

struct wt_http_callbacks {
    void (*on_status)(void *ctx, int major, int minor, int status,
                      const char *reason, size_t reason_len);
    void (*on_header)(void *ctx, const char *name, size_t name_len,
                      const char *value, size_t value_len, int folded);
    void (*on_headers_done)(void *ctx, int status, enum wt_body_framing framing,
                            int64_t content_length, int keep_alive,
                            size_t n_headers, size_t header_bytes);
    /* Returns 0, or an exit code (e.g. 23) to abort the read. */
    int (*on_body)(void *ctx, const char *data, size_t len);
    /* A tolerated deviation, once per kind and response (may be NULL). */
    void (*on_deviation)(void *ctx, enum wt_http_deviation d);
};

enum wt_http_read {
    WT_HTTP_NEED_MORE = 0,  /* feed more bytes */
    WT_HTTP_COMPLETE = 1,   /* the final response is complete */
    WT_HTTP_FAILED = -1     /* see wt_http_reader_exit_code / _error */
};

struct wt_http_reader;

struct wt_http_reader *wt_http_reader_new(const struct wt_http_callbacks *cb, void *ctx,
                                          int head_request);
void wt_http_reader_free(struct wt_http_reader *r);
/* Refuse every deviation (exit 8) instead of accepting it. */
void wt_http_reader_set_strict(struct wt_http_reader *r, int strict);

enum wt_http_read wt_http_reader_feed(struct wt_http_reader *r, const char *data, size_t len);
/* The peer closed: completes a close-delimited body or reports what is
 * missing (52 nothing received, 18 body shorter than announced, 8 headers cut). */
enum wt_http_read wt_http_reader_eof(struct wt_http_reader *r);

int wt_http_reader_exit_code(const struct wt_http_reader *r);
const char *wt_http_reader_error(const struct wt_http_reader *r);
uint64_t wt_http_reader_body_bytes(const struct wt_http_reader *r);
uint64_t wt_http_reader_bytes_fed(const struct wt_http_reader *r);
enum wt_body_framing wt_http_reader_framing(const struct wt_http_reader *r);
/* The peer allows the connection to stay open after this response. */
int wt_http_reader_keep_alive(const struct wt_http_reader *r);

#endif
