/* request: the server's request reader. Bytes handed to it are parsed with
 * llhttp (request mode) into one request head (method, target, the headers
 * /headers echoes, Host present or not, keep-alive), the start of its body
 * kept for /echo, and
 * the first error turned into the status a server answers (400, 414, 431).
 * Pure code: no sockets, no events, no clock; serve owns the connection. */
#ifndef WEBTRACE_REQUEST_H
#define WEBTRACE_REQUEST_H

#include <llhttp.h>
#include <stddef.h>
#include <stdint.h>

#define WT_REQUEST_MAX_HEAD (16 * 1024)   /* request line and headers */
#define WT_REQUEST_TARGET_MAX 2048        /* longer: 414 */
#define WT_REQUEST_HEADERS_KEPT 8192      /* header bytes kept for /headers */
#define WT_REQUEST_METHOD_MAX 24
#define WT_REQUEST_BODY_KEPT (64 * 1024)  /* body bytes kept for /echo */

enum wt_request_state {
    WT_REQUEST_MORE,      /* every byte used: send more */
    WT_REQUEST_DONE,      /* one whole request read; bytes after it are the next one's */
    WT_REQUEST_FAILED     /* malformed or over a cap: answer wt_request_status(), close */
};

/* Read the fields; change them only through the functions below. */
struct wt_request {
    llhttp_t parser;
    llhttp_settings_t settings;
    enum wt_request_state state;
    int error_status;            /* 400, 414 or 431 once FAILED */
    char error_words[160];       /* why, for narration and the answer's body */

    char method[WT_REQUEST_METHOD_MAX];
    char target[WT_REQUEST_TARGET_MAX];
    size_t target_len;
    /* Headers kept for /headers as "name\0value\0" pairs. A pair that does
     * not fit is dropped whole and nothing after it is kept, so the pairs
     * stay paired (headers_kept counts them). */
    char headers[WT_REQUEST_HEADERS_KEPT];
    size_t headers_len;
    size_t headers_kept;
    size_t n_headers;            /* every header line of the request */
    int has_host;
    int missing_host;            /* HTTP/1.1 without Host: RFC 9112 §3.2 says 400 */
    int http_10;
    int keep_alive;              /* the connection may carry another request */
    int keep_alive_10;           /* an HTTP/1.0 request that asked for keep-alive */
    int head_done;               /* request line and headers parsed */
    size_t head_bytes;           /* request line and headers, on the wire */
    uint64_t body_bytes;         /* request body (read; its start kept for /echo) */
    char body[WT_REQUEST_BODY_KEPT];
    size_t body_kept;
    size_t msg_bytes;            /* everything of this request so far */

    /* parsing state */
    size_t head_seen;            /* head bytes handed over by llhttp */
    size_t pair_start;
    size_t field_len;            /* bytes of the current header name */
    int field_may_be_host;       /* the current name so far is a prefix of "host" */
    int in_field;
    int header_is_host;
    int headers_full;
    int head_too_large;
    int target_too_long;
};

/* NULL on allocation failure. */
struct wt_request *wt_request_new(void);
/* Ready for the next request on the same connection. */
void wt_request_reset(struct wt_request *r);
/* Reads from data; returns the bytes used. Stops right after a complete
 * request (DONE: the rest is the next request's), uses everything while
 * MORE, and nothing further once FAILED. */
size_t wt_request_feed(struct wt_request *r, const char *data, size_t len);
enum wt_request_state wt_request_state(const struct wt_request *r);
/* 400, 414 or 431 when FAILED, else 0. */
int wt_request_status(const struct wt_request *r);
const char *wt_request_error(const struct wt_request *r);
void wt_request_free(struct wt_request *r);

#endif
