#include "webtrace/serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <llhttp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "webtrace/json.h"
#include "webtrace/netaddr.h"
#include "webtrace/tcp.h"
#include "webtrace/tls.h"
#include "webtrace/escape.h"
#include "webtrace/i18n.h"
#include "wt_config.h"

#define IN_BUF_SIZE (WT_SERVE_MAX_HEAD + 4096)
#define OUT_CHUNK (64 * 1024)        /* streamed body bytes generated per step */
#define TARGET_MAX 2048
#define HEADERS_KEPT 8192            /* request headers kept for /headers */
#define WRITES_PER_WAKEUP 64

enum endpoint_kind { EP_FIXED, EP_BYTES, EP_CHUNKED };

struct conn {
    struct wt_server *srv;
    struct conn *prev, *next;
    uint64_t id;
    int fd;
    struct wt_tls_peer *tls;     /* https only */
    int tls_ready;
    struct wt_endpoint client, local;

    llhttp_t parser;
    char in[IN_BUF_SIZE];
    size_t in_len, in_off;
    int head_done;              /* headers of the current request parsed */
    size_t msg_bytes;           /* bytes of the current request so far */
    size_t head_seen;           /* request line and header bytes seen by llhttp */
    int head_too_large;
    uint64_t body_in;           /* request body bytes (read, ignored) */
    int message_done;
    size_t head_bytes;
    char method[24];
    char target[TARGET_MAX];
    size_t target_len;
    char headers[HEADERS_KEPT];  /* "name\0value\0" pairs */
    size_t headers_len;
    size_t pair_start;
    size_t headers_kept;         /* complete pairs in headers[] */
    int headers_full;
    size_t n_headers;            /* all header lines of the request */
    int in_field;                /* inside a header name */
    int header_is_host;
    int has_host;
    int missing_host;
    int http_10;                 /* an HTTP/1.0 request */
    int keep_alive_10;           /* ... that asked for keep-alive */
    int target_too_long;
    unsigned requests;

    int responding;
    int close_after;
    int status;
    int head_request;
    int64_t request_at;
    char *out;
    size_t out_len, out_off, out_cap;
    enum endpoint_kind stream;
    uint64_t stream_left;
    int stream_finished;
    uint64_t body_bytes;
    uint64_t bytes_sent;

    uint64_t idle_timer;
    uint64_t delay_timer;
    struct wt_tcp_teardown *teardown;
};

struct wt_server {
    struct wt_loop *loop;
    struct wt_server_config cfg;
    struct wt_event_sink sink;
    int listen_fd[2];           /* the address, and [::1] for a loopback pair */
    size_t n_listen;
    uint64_t accept_timer;      /* accepting paused: out of descriptors */
    struct wt_endpoint local;
    struct wt_tls_server *tls;
    struct conn *conns;
    size_t n_conns;
    uint64_t next_id;
    llhttp_settings_t settings;
    int64_t started_us;
    char pattern[OUT_CHUNK];     /* the bytes /bytes/N repeats */
};

static void emit(struct wt_server *s, struct wt_event *ev)
{
    ev->phase = WT_PHASE_SERVE;
    ev->t_us = wt_loop_now(s->loop) - s->started_us;
    s->sink.emit(s->sink.ctx, ev);
}

/* The loop stamps t_us itself for server events: forward unchanged. */
static void teardown_emit(void *ctx, const struct wt_event *ev)
{
    struct wt_server *s = ctx;
    struct wt_event e = *ev;
    e.t_us = wt_loop_now(s->loop) - s->started_us;
    s->sink.emit(s->sink.ctx, &e);
}

/* ---- connection lifetime ------------------------------------------------ */

static void conn_free(struct conn *c)
{
    struct wt_server *s = c->srv;
    wt_loop_timer_cancel(s->loop, c->idle_timer);
    wt_loop_timer_cancel(s->loop, c->delay_timer);
    wt_tcp_teardown_free(c->teardown);
    if (c->fd >= 0) {
        wt_loop_unwatch(s->loop, c->fd);
        close(c->fd);
    }
    wt_tls_peer_free(c->tls);
    free(c->out);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->n_conns--;
    free(c);
}

static void drop(struct conn *c, const char *reason)
{
    struct wt_event ev = { .kind = WT_EV_SERVE_DROP };
    ev.u.serve_drop.conn = c->id;
    ev.u.serve_drop.reason = reason;
    emit(c->srv, &ev);
    conn_free(c);
}

static void on_teardown_done(void *ctx)
{
    conn_free(ctx);
}

/* The normal end of a connection: hand the socket to the teardown
 * observer (which narrates FIN_WAIT/TIME_WAIT or CLOSE_WAIT/LAST_ACK). */
static void finish(struct conn *c, int peer_closed, int expect_peer_close)
{
    struct wt_server *s = c->srv;
    wt_loop_timer_cancel(s->loop, c->idle_timer);
    wt_loop_timer_cancel(s->loop, c->delay_timer);
    c->idle_timer = c->delay_timer = 0;
    wt_loop_unwatch(s->loop, c->fd);
    if (c->tls && c->tls_ready)
        wt_tls_peer_close_notify(c->tls);   /* best effort */
    if (!s->cfg.observe_teardown) {
        conn_free(c);
        return;
    }
    struct wt_event_sink sink = { teardown_emit, s };
    int fd = c->fd;
    c->fd = -1;
    c->teardown = wt_tcp_teardown_start(s->loop, fd, peer_closed, expect_peer_close, c->id,
                                        (int64_t)WT_TCP_TEARDOWN_MS * 1000, &sink,
                                        on_teardown_done, c);
    if (!c->teardown)
        conn_free(c);
}

static void on_idle(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct conn *c = data;
    c->idle_timer = 0;
    if (c->delay_timer)
        return;   /* /delay/MS: waiting on purpose */
    if (c->responding) {
        drop(c, N_("the client stopped reading the response (no progress within the idle "
                "timeout)"));
        return;
    }
    if (c->msg_bytes || c->in_len > c->in_off || !c->tls_ready)
        drop(c, N_("timed out waiting for the request (slow or idle client)"));
    else
        finish(c, 0, 0);   /* idle keep-alive connection: we close first */
}

static void arm_idle(struct conn *c)
{
    struct wt_server *s = c->srv;
    wt_loop_timer_cancel(s->loop, c->idle_timer);
    long ms = s->cfg.idle_timeout_ms > 0 ? s->cfg.idle_timeout_ms : WT_SERVE_IDLE_MS;
    c->idle_timer = wt_loop_timer_at(s->loop, wt_loop_now(s->loop) + (int64_t)ms * 1000,
                                     on_idle, c);
}

/* ---- bytes in and out, plain or TLS -------------------------------------- */

enum { IO_WOULD_BLOCK = -1, IO_FAILED = -2 };

static ssize_t conn_read(struct conn *c, char *buf, size_t len, int *want)
{
    *want = WT_LOOP_READ;
    if (c->tls) {
        ssize_t n = wt_tls_peer_read(c->tls, buf, len, want);
        return n == WT_TLS_WOULD_BLOCK ? IO_WOULD_BLOCK : n < 0 ? IO_FAILED : n;
    }
    ssize_t n = recv(c->fd, buf, len, 0);
    if (n >= 0)
        return n;
    return errno == EAGAIN || errno == EINTR ? IO_WOULD_BLOCK : IO_FAILED;
}

static ssize_t conn_write(struct conn *c, const char *buf, size_t len, int *want)
{
    *want = WT_LOOP_WRITE;
    if (c->tls) {
        ssize_t n = wt_tls_peer_write(c->tls, buf, len, want);
        return n == WT_TLS_WOULD_BLOCK ? IO_WOULD_BLOCK : n < 0 ? IO_FAILED : n;
    }
    ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
    if (n >= 0)
        return n;
    return errno == EAGAIN || errno == EINTR ? IO_WOULD_BLOCK : IO_FAILED;
}

/* ---- responses ---------------------------------------------------------- */

static int out_reserve(struct conn *c, size_t need)
{
    if (c->out_len + need <= c->out_cap)
        return 0;
    size_t cap = c->out_cap ? c->out_cap : 1024;
    while (cap < c->out_len + need)
        cap *= 2;
    char *p = realloc(c->out, cap);
    if (!p)
        return -1;
    c->out = p;
    c->out_cap = cap;
    return 0;
}

static void out_add(struct conn *c, const char *data, size_t len)
{
    if (out_reserve(c, len) < 0)
        return;
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
}

static void out_printf(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_printf(struct conn *c, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        out_add(c, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 418: return "I'm a teapot";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
    }
}

static int status_has_body(int status)
{
    /* RFC 9110: 204, 205 and 304 carry no content */
    return status >= 200 && status != 204 && status != 205 && status != 304;
}

#define BODY_CHUNKED (-1)
#define BODY_UNTIL_CLOSE (-2)

/* Head of a response; body_len is a length or BODY_CHUNKED/BODY_UNTIL_CLOSE. */
static void write_head(struct conn *c, int status, const char *type, int64_t body_len,
                       const char *extra)
{
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    c->status = status;
    out_printf(c, "HTTP/1.1 %d %s\r\nServer: webtrace/%s\r\nDate: %s\r\n", status,
               reason_phrase(status), WT_VERSION, date);
    if (status_has_body(status)) {
        out_printf(c, "Content-Type: %s\r\n", type);
        if (body_len >= 0)
            out_printf(c, "Content-Length: %" PRId64 "\r\n", body_len);
        else if (body_len == BODY_CHUNKED)
            out_printf(c, "Transfer-Encoding: chunked\r\n");
    }
    if (extra)
        out_printf(c, "%s", extra);
    if (c->close_after)
        out_printf(c, "Connection: close\r\n");
    else if (c->keep_alive_10)
        out_printf(c, "Connection: keep-alive\r\n");   /* 1.0 closes unless told */
    out_add(c, "\r\n", 2);
}

static void respond_fixed(struct conn *c, int status, const char *type, const char *body,
                          size_t len, const char *extra)
{
    if (!status_has_body(status))
        len = 0;
    write_head(c, status, type, (int64_t)len, extra);
    if (!c->head_request && len) {
        out_add(c, body, len);
        c->body_bytes = len;
    }
}

static const char index_html[] =
    "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>webtrace serve</title></head>\n"
    "<body><h1>webtrace serve</h1>\n"
    "<p>This page came over a real TCP connection from a server on your machine.</p>\n"
    "<ul>\n"
    "<li><a href=\"/bytes/1024\">/bytes/N</a>: N bytes (Content-Length)</li>\n"
    "<li><a href=\"/chunked/1024\">/chunked/N</a>: N bytes, chunked</li>\n"
    "<li><a href=\"/status/404\">/status/CODE</a>: any status</li>\n"
    "<li><a href=\"/delay/500\">/delay/MS</a>: answer after MS milliseconds</li>\n"
    "<li><a href=\"/redirect/3\">/redirect/N</a>: a chain of N redirects</li>\n"
    "<li><a href=\"/headers\">/headers</a>: your request headers as JSON</li>\n"
    "</ul></body></html>\n";

/* Parses the decimal after prefix in target; -1 when absent or invalid. */
static int64_t number_after(const char *target, const char *prefix, uint64_t max)
{
    size_t plen = strlen(prefix);
    if (strncmp(target, prefix, plen) != 0)
        return -2;
    const char *p = target + plen;
    if (*p < '0' || *p > '9')
        return -1;
    uint64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > max)
            return -1;
    }
    if (*p && *p != '?')
        return -1;
    return (int64_t)v;
}

static void respond_headers_json(struct conn *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem) {
        respond_fixed(c, 500, "text/plain", "out of memory\n", 14, NULL);
        return;
    }
    struct wt_json j;
    wt_json_init(&j, mem);
    wt_json_object_begin(&j, NULL);
    wt_json_string(&j, "method", c->method, strlen(c->method));
    wt_json_string(&j, "target", c->target, c->target_len);
    wt_json_array_begin(&j, "headers");
    const char *p = c->headers;
    for (size_t i = 0; i < c->headers_kept && p < c->headers + c->headers_len; i++) {
        const char *name = p;
        const char *value = name + strlen(name) + 1;
        wt_json_object_begin(&j, NULL);
        wt_json_cstring(&j, "name", name);
        wt_json_cstring(&j, "value", value);
        wt_json_object_end(&j);
        p = value + strlen(value) + 1;
    }
    wt_json_array_end(&j);
    wt_json_object_end(&j);
    fputc('\n', mem);
    if (fclose(mem) != 0 || !text) {
        free(text);
        respond_fixed(c, 500, "text/plain", "out of memory\n", 14, NULL);
        return;
    }
    respond_fixed(c, 200, "application/json", text, len, NULL);
    free(text);
}

static void start_writing(struct conn *c);

static void on_delay(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct conn *c = data;
    c->delay_timer = 0;
    char body[64];
    int n = snprintf(body, sizeof body, "delayed %" PRId64 " ms\n",
                     (wt_loop_now(c->srv->loop) - c->request_at) / 1000);
    respond_fixed(c, 200, "text/plain", body, (size_t)n, NULL);
    start_writing(c);
}

/* Chooses the endpoint and prepares the response (head now, body now or
 * streamed). Returns 1 when the response is ready to write, 0 when it comes
 * later (delay). */
static int build_response(struct conn *c)
{
    const char *t = c->target;
    int get = strcmp(c->method, "GET") == 0;
    c->head_request = strcmp(c->method, "HEAD") == 0;
    if (!get && !c->head_request) {
        static const char msg[] = "only GET and HEAD are served here\n";
        respond_fixed(c, 405, "text/plain", msg, sizeof msg - 1, "Allow: GET, HEAD\r\n");
        return 1;
    }
    if (c->missing_host) {
        static const char msg[] = "an HTTP/1.1 request needs a Host header\n";
        c->close_after = 1;
        respond_fixed(c, 400, "text/plain", msg, sizeof msg - 1, NULL);
        return 1;
    }
    int64_t n;
    if (strcmp(t, "/") == 0 || strncmp(t, "/?", 2) == 0) {
        respond_fixed(c, 200, "text/html; charset=utf-8", index_html, sizeof index_html - 1, NULL);
    } else if ((n = number_after(t, "/bytes/", WT_SERVE_MAX_BYTES)) != -2) {
        if (n < 0) {
            static const char msg[] = "/bytes/N: N is a number up to 2^40\n";
            respond_fixed(c, 400, "text/plain", msg, sizeof msg - 1, NULL);
            return 1;
        }
        write_head(c, 200, "application/octet-stream", n, NULL);
        c->stream = EP_BYTES;
        c->stream_left = c->head_request ? 0 : (uint64_t)n;
    } else if ((n = number_after(t, "/chunked/", WT_SERVE_MAX_BYTES)) != -2) {
        if (n < 0) {
            static const char msg[] = "/chunked/N: N is a number up to 2^40\n";
            respond_fixed(c, 400, "text/plain", msg, sizeof msg - 1, NULL);
            return 1;
        }
        if (c->http_10) {
            /* HTTP/1.0 has no chunked coding: the body ends at close. */
            c->close_after = 1;
            write_head(c, 200, "application/octet-stream", BODY_UNTIL_CLOSE, NULL);
            c->stream = EP_BYTES;
            c->stream_left = c->head_request ? 0 : (uint64_t)n;
        } else {
            write_head(c, 200, "application/octet-stream", BODY_CHUNKED, NULL);
            c->stream = EP_CHUNKED;
            c->stream_left = (uint64_t)n;
            c->stream_finished = c->head_request;
        }
    } else if ((n = number_after(t, "/status/", 999)) != -2) {
        if (n < 200 || n > 599) {
            static const char msg[] = "/status/CODE: CODE from 200 to 599\n";
            respond_fixed(c, 400, "text/plain", msg, sizeof msg - 1, NULL);
            return 1;
        }
        char body[64];
        int len = snprintf(body, sizeof body, "%d %s\n", (int)n, reason_phrase((int)n));
        respond_fixed(c, (int)n, "text/plain", body, (size_t)len, NULL);
    } else if ((n = number_after(t, "/delay/", WT_SERVE_MAX_DELAY_MS)) != -2) {
        if (n < 0) {
            static const char msg[] = "/delay/MS: MS from 0 to 60000\n";
            respond_fixed(c, 400, "text/plain", msg, sizeof msg - 1, NULL);
            return 1;
        }
        c->delay_timer = wt_loop_timer_at(c->srv->loop, wt_loop_now(c->srv->loop) + n * 1000,
                                          on_delay, c);
        return 0;
    } else if ((n = number_after(t, "/redirect/", WT_SERVE_MAX_REDIRECTS)) != -2) {
        if (n < 1) {
            static const char msg[] = "/redirect/N: N from 1 to 1000\n";
            respond_fixed(c, 400, "text/plain", msg, sizeof msg - 1, NULL);
            return 1;
        }
        char location[64], body[96];
        if (n == 1)
            snprintf(location, sizeof location, "Location: /\r\n");
        else
            snprintf(location, sizeof location, "Location: /redirect/%d\r\n", (int)n - 1);
        int len = snprintf(body, sizeof body, "redirecting: %d to go\n", (int)n);
        respond_fixed(c, 302, "text/plain", body, (size_t)len, location);
    } else if (strcmp(t, "/headers") == 0) {
        respond_headers_json(c);
    } else {
        static const char msg[] = "not found: try / for the list of endpoints\n";
        respond_fixed(c, 404, "text/plain", msg, sizeof msg - 1, NULL);
    }
    return 1;
}

/* Refills out with the next piece of a streamed body. */
static void refill(struct conn *c)
{
    struct wt_server *s = c->srv;
    c->out_len = c->out_off = 0;
    if (c->stream == EP_BYTES && c->stream_left) {
        size_t take = c->stream_left > OUT_CHUNK ? OUT_CHUNK : (size_t)c->stream_left;
        out_add(c, s->pattern, take);
        c->stream_left -= take;
        c->body_bytes += take;
    } else if (c->stream == EP_CHUNKED && !c->stream_finished) {
        if (c->stream_left) {
            size_t take = c->stream_left > 16384 ? 16384 : (size_t)c->stream_left;
            out_printf(c, "%zx\r\n", take);
            out_add(c, s->pattern, take);
            out_add(c, "\r\n", 2);
            c->stream_left -= take;
            c->body_bytes += take;
        } else {
            out_add(c, "0\r\n\r\n", 5);
            c->stream_finished = 1;
        }
    }
}

static void process_input(struct conn *c);
static void on_conn_readable(struct wt_loop *loop, int fd, int events, void *data);

static void reset_request(struct conn *c)
{
    c->head_done = c->message_done = 0;
    c->head_bytes = 0;
    c->msg_bytes = 0;
    c->head_seen = 0;
    c->head_too_large = 0;
    c->body_in = 0;
    c->method[0] = '\0';
    c->target_len = 0;
    c->target[0] = '\0';
    c->headers_len = 0;
    c->pair_start = 0;
    c->headers_kept = 0;
    c->headers_full = 0;
    c->n_headers = 0;
    c->in_field = 0;
    c->header_is_host = c->has_host = c->missing_host = 0;
    c->http_10 = c->keep_alive_10 = 0;
    c->target_too_long = 0;
    c->responding = 0;
    c->status = 0;
    c->out_len = c->out_off = 0;
    c->stream = EP_FIXED;
    c->stream_left = 0;
    c->stream_finished = 0;
    c->body_bytes = 0;
    c->bytes_sent = 0;
}

static void response_sent(struct conn *c)
{
    struct wt_event ev = { .kind = WT_EV_SERVE_RESPONSE };
    ev.u.serve_response.conn = c->id;
    ev.u.serve_response.status = c->status;
    ev.u.serve_response.body_bytes = c->body_bytes;
    ev.u.serve_response.bytes = c->bytes_sent;
    ev.u.serve_response.elapsed_us = wt_loop_now(c->srv->loop) - c->request_at;
    ev.u.serve_response.closing = c->close_after;
    emit(c->srv, &ev);
    if (c->close_after) {
        finish(c, 0, 0);   /* we close first */
        return;
    }
    reset_request(c);
    arm_idle(c);
    wt_loop_watch(c->srv->loop, c->fd, WT_LOOP_READ, on_conn_readable, c);
    process_input(c);   /* a pipelined request may be waiting */
}

static void on_conn_writable(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)loop;
    (void)fd;
    (void)events;
    struct conn *c = data;
    for (int i = 0; i < WRITES_PER_WAKEUP; i++) {
        if (c->out_off == c->out_len) {
            refill(c);
            if (c->out_len == 0) {
                response_sent(c);
                return;
            }
        }
        int want;
        ssize_t n = conn_write(c, c->out + c->out_off, c->out_len - c->out_off, &want);
        if (n == IO_WOULD_BLOCK) {
            wt_loop_watch(c->srv->loop, c->fd, want, on_conn_writable, c);
            return;
        }
        if (n < 0) {
            drop(c, N_("the client went away while we were sending"));
            return;
        }
        c->out_off += (size_t)n;
        c->bytes_sent += (size_t)n;
        if (i == 0)
            arm_idle(c);   /* progress: the client is reading */
    }
    wt_loop_watch(c->srv->loop, c->fd, WT_LOOP_WRITE, on_conn_writable, c);
}

static void start_writing(struct conn *c)
{
    arm_idle(c);   /* the response must make progress, or the client is dropped */
    wt_loop_watch(c->srv->loop, c->fd, WT_LOOP_WRITE, on_conn_writable, c);
}

static void bad_request(struct conn *c, int status, const char *why)
{
    c->close_after = 1;
    c->responding = 1;
    c->out_len = c->out_off = 0;
    c->stream = EP_FIXED;
    char body[160];
    int n = snprintf(body, sizeof body, "%s\n", why);
    c->head_request = 0;
    respond_fixed(c, status, "text/plain", body, (size_t)n, NULL);
    c->request_at = wt_loop_now(c->srv->loop);
    struct wt_event ev = { .kind = WT_EV_SERVE_DROP };
    ev.u.serve_drop.conn = c->id;
    ev.u.serve_drop.reason = why;
    emit(c->srv, &ev);
    start_writing(c);
}

/* ---- request parsing ---------------------------------------------------- */

static struct conn *conn_of(llhttp_t *p)
{
    return p->data;
}

/* Counts head bytes as llhttp hands them over, so a head over the cap is
 * refused however it arrives (one read or many). */
static int head_over_cap(struct conn *c, size_t len)
{
    c->head_seen += len;
    if (c->head_seen <= WT_SERVE_MAX_HEAD)
        return 0;
    c->head_too_large = 1;
    return 1;
}

static int on_method(llhttp_t *p, const char *at, size_t len)
{
    struct conn *c = conn_of(p);
    if (head_over_cap(c, len))
        return -1;
    size_t used = strlen(c->method);
    if (used + len < sizeof c->method) {
        memcpy(c->method + used, at, len);
        c->method[used + len] = '\0';
    }
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    struct conn *c = conn_of(p);
    if (head_over_cap(c, len))
        return -1;
    if (c->target_len + len >= TARGET_MAX) {
        c->target_too_long = 1;   /* answered 414 through the error path */
        return -1;
    }
    memcpy(c->target + c->target_len, at, len);
    c->target_len += len;
    c->target[c->target_len] = '\0';
    return 0;
}

/* Request headers are kept for /headers as "name\0value\0" pairs. A pair
 * that does not fit is dropped whole and nothing after it is kept, so the
 * pairs stay paired (headers_kept counts them). */
static void headers_append(struct conn *c, const char *at, size_t len)
{
    if (c->headers_full)
        return;
    if (len >= HEADERS_KEPT - c->headers_len) {
        c->headers_full = 1;
        return;
    }
    memcpy(c->headers + c->headers_len, at, len);
    c->headers_len += len;
}

static void headers_end_string(struct conn *c)
{
    if (c->headers_full)
        return;
    if (c->headers_len + 1 >= HEADERS_KEPT) {
        c->headers_full = 1;
        return;
    }
    c->headers[c->headers_len++] = '\0';
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    struct conn *c = conn_of(p);
    if (head_over_cap(c, len))
        return -1;
    if (!c->in_field) {
        c->in_field = 1;
        c->pair_start = c->headers_len;
    }
    headers_append(c, at, len);
    return 0;
}

static int on_header_field_complete(llhttp_t *p)
{
    struct conn *c = conn_of(p);
    c->header_is_host = !c->headers_full && c->headers_len - c->pair_start == 4 &&
                        strncasecmp(c->headers + c->pair_start, "host", 4) == 0;
    headers_end_string(c);
    c->in_field = 0;
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    struct conn *c = conn_of(p);
    if (head_over_cap(c, len))
        return -1;
    headers_append(c, at, len);
    return 0;
}

static int on_header_value_complete(llhttp_t *p)
{
    struct conn *c = conn_of(p);
    headers_end_string(c);
    c->n_headers++;
    if (c->headers_full)
        c->headers_len = c->pair_start;   /* drop the half-kept pair */
    else
        c->headers_kept++;
    if (c->header_is_host)
        c->has_host = 1;
    return 0;
}

static int on_headers_complete(llhttp_t *p)
{
    struct conn *c = conn_of(p);
    c->head_done = 1;
    c->close_after = !llhttp_should_keep_alive(p) || p->method == HTTP_CONNECT;
    c->http_10 = p->http_major == 1 && p->http_minor == 0;
    c->keep_alive_10 = c->http_10 && !c->close_after;
    if (p->http_major == 1 && p->http_minor >= 1 && !c->has_host)
        c->missing_host = 1;   /* RFC 9112 §3.2: answered 400 */
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    (void)at;
    conn_of(p)->body_in += len;   /* read and ignored: no endpoint takes a body */
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    conn_of(p)->message_done = 1;
    return HPE_PAUSED;
}

static void request_parsed(struct conn *c)
{
    c->requests++;
    c->responding = 1;
    c->request_at = wt_loop_now(c->srv->loop);
    wt_loop_timer_cancel(c->srv->loop, c->idle_timer);
    c->idle_timer = 0;
    struct wt_event ev = { .kind = WT_EV_SERVE_REQUEST };
    ev.u.serve_request.conn = c->id;
    ev.u.serve_request.number = c->requests;
    ev.u.serve_request.method = c->method;
    ev.u.serve_request.target = c->target;
    ev.u.serve_request.target_len = c->target_len;
    ev.u.serve_request.bytes = c->head_bytes;
    ev.u.serve_request.n_headers = c->n_headers;
    ev.u.serve_request.keep_alive = !c->close_after;
    emit(c->srv, &ev);
    wt_loop_unwatch(c->srv->loop, c->fd);
    if (build_response(c))
        start_writing(c);
}

static void process_input(struct conn *c)
{
    while (!c->responding && c->in_off < c->in_len) {
        const char *start = c->in + c->in_off;
        size_t len = c->in_len - c->in_off;
        llhttp_errno_t err = llhttp_execute(&c->parser, start, len);
        size_t used = len;
        if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
            const char *pos = llhttp_get_error_pos(&c->parser);
            used = pos ? (size_t)(pos - start) : len;
            /* We never switch protocols (no 101): an Upgrade request is an
             * ordinary one, and the connection goes on speaking HTTP/1.1. */
            if (err == HPE_PAUSED_UPGRADE)
                llhttp_resume_after_upgrade(&c->parser);
            else
                llhttp_resume(&c->parser);
        } else if (err != HPE_OK) {
            const char *why = llhttp_get_error_reason(&c->parser);
            if (c->head_too_large) {
                bad_request(c, 431, "request head larger than 16 KiB");
                return;
            }
            int status = c->target_too_long ? 414 : 400;
            char msg[160];
            wt_errf(msg, sizeof msg, "malformed request: %s", why ? why : "parse error");
            bad_request(c, status, status == 414 ? "request target too long" : msg);
            return;
        }
        c->msg_bytes += used;
        c->in_off += used;
        if (c->message_done) {
            c->head_bytes = c->msg_bytes - (size_t)c->body_in;
            request_parsed(c);
            break;
        }
    }
    if (c->in_off == c->in_len) {
        c->in_off = c->in_len = 0;
    } else if (c->in_off > 0) {
        memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
        c->in_len -= c->in_off;
        c->in_off = 0;
    }
    if (!c->responding && !c->head_done &&
        (c->msg_bytes > WT_SERVE_MAX_HEAD || c->in_len == sizeof c->in))
        bad_request(c, 431, "request head larger than 16 KiB");
}

static void on_conn_readable(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)loop;
    (void)fd;
    (void)events;
    struct conn *c = data;
    if (c->responding)
        return;
    int want;
    ssize_t n = conn_read(c, c->in + c->in_len, sizeof c->in - c->in_len, &want);
    if (n == IO_WOULD_BLOCK) {
        wt_loop_watch(c->srv->loop, c->fd, want, on_conn_readable, c);
        return;
    }
    if (n < 0) {
        drop(c, N_("the connection failed (reset by the client?)"));
        return;
    }
    if (n == 0) {
        if (c->msg_bytes || c->in_len)
            drop(c, N_("the client closed in the middle of a request"));
        else
            /* The client closed first. Through TLS that was its close_notify:
             * its TCP FIN follows, and the teardown waits for it. */
            finish(c, !c->tls, c->tls != NULL);
        return;
    }
    /* No re-arm here: a whole request must arrive within one idle timeout
     * from when we started waiting, however it is trickled (slowloris). */
    c->in_len += (size_t)n;
    process_input(c);
}

/* ---- TLS handshake and accept -------------------------------------------- */

static void tls_step(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)loop;
    (void)fd;
    (void)events;
    struct conn *c = data;
    int want = WT_LOOP_READ;
    int rc = wt_tls_peer_handshake(c->tls, &want);
    if (rc == 1) {
        c->tls_ready = 1;
        struct wt_event ev = { .kind = WT_EV_SERVE_TLS };
        ev.u.serve_tls.conn = c->id;
        ev.u.serve_tls.version = wt_tls_peer_version(c->tls);
        ev.u.serve_tls.cipher = wt_tls_peer_cipher(c->tls);
        emit(c->srv, &ev);
        wt_loop_watch(c->srv->loop, c->fd, WT_LOOP_READ, on_conn_readable, c);
    } else if (rc == 0) {
        wt_loop_watch(c->srv->loop, c->fd, want, tls_step, c);
    } else {
        drop(c, N_("TLS handshake with the client failed"));
    }
}

#define ACCEPT_PAUSE_MS 100

static void on_accept(struct wt_loop *loop, int fd, int events, void *data);

static void resume_accepting(struct wt_loop *loop, void *data)
{
    struct wt_server *s = data;
    s->accept_timer = 0;
    for (size_t i = 0; i < s->n_listen; i++)
        wt_loop_watch(loop, s->listen_fd[i], WT_LOOP_READ, on_accept, s);
}

static void pause_accepting(struct wt_server *s)
{
    if (s->accept_timer)
        return;
    for (size_t i = 0; i < s->n_listen; i++)
        wt_loop_unwatch(s->loop, s->listen_fd[i]);
    s->accept_timer = wt_loop_timer_at(s->loop,
                                       wt_loop_now(s->loop) + ACCEPT_PAUSE_MS * 1000,
                                       resume_accepting, s);
}

static void on_accept(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)events;
    struct wt_server *s = data;
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int cfd = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            /* Out of descriptors: the listener stays readable, so stop
             * watching it for a moment instead of spinning on it. */
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                pause_accepting(s);
            return;   /* EAGAIN, or a client that left before accept */
        }
        if (s->n_conns >= WT_SERVE_MAX_CONNECTIONS) {
            close(cfd);
            continue;
        }
        struct conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(cfd);
            continue;
        }
        c->srv = s;
        c->fd = cfd;
        c->id = ++s->next_id;
        c->tls_ready = s->tls == NULL;
        wt_endpoint_from_sockaddr((struct sockaddr *)&ss, &c->client);
        struct sockaddr_storage ls;
        socklen_t llen = sizeof ls;
        if (getsockname(cfd, (struct sockaddr *)&ls, &llen) == 0)
            wt_endpoint_from_sockaddr((struct sockaddr *)&ls, &c->local);
        int one = 1;
        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        llhttp_init(&c->parser, HTTP_REQUEST, &s->settings);
        c->parser.data = c;
        c->next = s->conns;
        if (s->conns)
            s->conns->prev = c;
        s->conns = c;
        s->n_conns++;

        struct wt_event ev = { .kind = WT_EV_SERVE_ACCEPT };
        ev.u.serve_accept.conn = c->id;
        ev.u.serve_accept.client = c->client;
        ev.u.serve_accept.local = c->local;
        ev.u.serve_accept.open_connections = s->n_conns;
        emit(s, &ev);
        arm_idle(c);
        if (s->tls) {
            c->tls = wt_tls_peer_new(s->tls, cfd);
            if (!c->tls) {
                drop(c, N_("out of memory for TLS"));
                continue;
            }
            wt_loop_watch(loop, cfd, WT_LOOP_READ, tls_step, c);
        } else {
            wt_loop_watch(loop, cfd, WT_LOOP_READ, on_conn_readable, c);
        }
    }
}

/* ---- set-up --------------------------------------------------------------- */

static const char *scope_words(const char *addr)
{
    if (strcmp(addr, "0.0.0.0") == 0)
        return N_("every IPv4 interface: other machines can reach it");
    if (strcmp(addr, "::") == 0)
        return N_("every interface, IPv6 and (dual-stack) IPv4: other machines can reach it");
    if (strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0)
        return N_("loopback only: only this machine can reach it");
    return N_("this address only: machines that can route to it can reach it");
}

/* v6only: the [::1] half of a loopback pair; "::" alone is dual-stack, as
 * its narration says, whatever the system's bindv6only default. */
static int listen_on(struct wt_server *s, const struct sockaddr *sa, socklen_t len,
                     const char *addr, uint16_t port, int v6only, char *err, size_t errlen)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        (sa->sa_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) < 0) ||
        bind(fd, sa, len) < 0 || listen(fd, WT_SERVE_BACKLOG) < 0) {
        wt_errf(err, errlen, "cannot listen on %s port %u: %s", addr, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    struct wt_endpoint local;
    getsockname(fd, (struct sockaddr *)&bound, &blen);
    wt_endpoint_from_sockaddr((struct sockaddr *)&bound, &local);
    if (s->n_listen == 0)
        s->local = local;
    s->listen_fd[s->n_listen++] = fd;
    wt_loop_watch(s->loop, fd, WT_LOOP_READ, on_accept, s);

    struct wt_event ev = { .kind = WT_EV_SERVE_LISTEN };
    ev.u.serve_listen.local = local;
    ev.u.serve_listen.backlog = WT_SERVE_BACKLOG;
    ev.u.serve_listen.tls = s->cfg.tls;
    ev.u.serve_listen.scope = scope_words(addr);
    emit(s, &ev);
    return 0;
}

struct wt_server *wt_server_start(struct wt_loop *loop, const struct wt_server_config *config,
                                  const struct wt_event_sink *sink, char *err, size_t errlen)
{
    struct wt_server *s = calloc(1, sizeof *s);
    if (!s) {
        wt_errf(err, errlen, "out of memory");
        return NULL;
    }
    s->loop = loop;
    s->cfg = *config;
    s->sink = *sink;
    s->started_us = wt_loop_now(loop);
    for (size_t i = 0; i < sizeof s->pattern; i++)
        s->pattern[i] = "webtrace serve bytes\n"[i % 21];
    llhttp_settings_init(&s->settings);
    s->settings.on_method = on_method;
    s->settings.on_url = on_url;
    s->settings.on_header_field = on_header_field;
    s->settings.on_header_value = on_header_value;
    s->settings.on_header_field_complete = on_header_field_complete;
    s->settings.on_header_value_complete = on_header_value_complete;
    s->settings.on_headers_complete = on_headers_complete;
    s->settings.on_body = on_body;
    s->settings.on_message_complete = on_message_complete;

    const char *addr = config->bind_addr ? config->bind_addr : "127.0.0.1";
    struct sockaddr_storage ss;
    socklen_t len;
    if (wt_sockaddr_from_text(addr, config->port, &ss, &len) < 0) {
        wt_errf(err, errlen, "--bind needs a numeric IP address, not '%.64s'", addr);
        free(s);
        return NULL;
    }
    if (config->tls) {
        s->tls = wt_tls_server_new(config->cert_file, config->key_file, err, errlen);
        if (!s->tls) {
            wt_server_free(s);
            return NULL;
        }
    }
    if (listen_on(s, (struct sockaddr *)&ss, len, addr, config->port, 0, err, errlen) < 0) {
        wt_server_free(s);
        return NULL;
    }
    if (config->loopback_pair && ss.ss_family == AF_INET) {
        /* Same port on ::1, so both of a name's addresses lead here. No
         * IPv6 on this machine, or the port taken there: IPv4 alone. */
        struct sockaddr_in6 v6 = { .sin6_family = AF_INET6, .sin6_port = htons(s->local.port),
                                   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
        char ignored[160];
        listen_on(s, (struct sockaddr *)&v6, sizeof v6, "::1", s->local.port, 1, ignored,
                  sizeof ignored);
    }
    return s;
}

uint16_t wt_server_port(const struct wt_server *s)
{
    return s->local.port;
}

const char *wt_server_cert_pem(const struct wt_server *s)
{
    return s->tls ? wt_tls_server_cert_pem(s->tls) : NULL;
}

size_t wt_server_open_connections(const struct wt_server *s)
{
    return s->n_conns;
}

void wt_server_free(struct wt_server *s)
{
    if (!s)
        return;
    wt_loop_timer_cancel(s->loop, s->accept_timer);
    while (s->conns)
        conn_free(s->conns);
    for (size_t i = 0; i < s->n_listen; i++) {
        wt_loop_unwatch(s->loop, s->listen_fd[i]);
        close(s->listen_fd[i]);
    }
    wt_tls_server_free(s->tls);
    free(s);
}
