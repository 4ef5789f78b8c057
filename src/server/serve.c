#include "webtrace/serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>

#include "webtrace/codeclib.h"
#include "webtrace/json.h"
#include "webtrace/netaddr.h"
#include "webtrace/packets.h"
#include "webtrace/request.h"
#include "webtrace/tcp.h"
#include "webtrace/tls.h"
#include "webtrace/escape.h"
#include "webtrace/h2.h"
#include "webtrace/h2_server.h"
#include "webtrace/i18n.h"
#include "wt_config.h"

#define IN_BUF_SIZE (WT_SERVE_MAX_HEAD + 4096)
#define OUT_CHUNK (64 * 1024)        /* streamed body bytes handed to one write */
#define COALESCE_MAX (16 * 1024)     /* a head and this much body go out in one TLS record write */
#define PATTERN "webtrace serve bytes\n"
#define PATTERN_LEN (sizeof PATTERN - 1)
#define FD_RESERVE 32                /* descriptors kept for listeners, stdio, TLS module */
#define REFUSE_LINGER_MS 500         /* a refused client's request is read and dropped this long */
#define NARRATION_RETRY_MS 200       /* how often a blocked stderr is looked at again */
#define NARRATION_ROOM (16 * 1024)   /* stderr must take this much without blocking */

_Static_assert(WT_SERVE_MAX_HEAD == WT_REQUEST_MAX_HEAD, "one cap for the request head");

enum endpoint_kind { EP_FIXED, EP_BYTES, EP_CHUNKED };

#define BODY_CHUNKED (-1)
#define BODY_UNTIL_CLOSE (-2)

/* What an endpoint answers, before any protocol's bytes: the HTTP/1.1
 * writer turns it into a head and a body, the HTTP/2 writer into HEADERS
 * and DATA frames. */
struct response {
    int status;
    const char *type;
    int64_t length;              /* the body's length, or BODY_CHUNKED/BODY_UNTIL_CLOSE */
    char extra_name[24];         /* one more header ("" none): Location, Allow ... */
    char extra_value[80];
    char *body;                  /* a body made at once (owned) ... */
    size_t body_len;
    enum endpoint_kind stream;   /* ... or one streamed from the pattern */
    uint64_t stream_left;
    int head_request;            /* a HEAD: the head alone */
    int close_after;             /* HTTP/1.1: the connection closes after it */
    int64_t delay_ms;            /* /delay/MS: answered later; -1 now */
};

struct conn {
    struct wt_server *srv;
    struct conn *prev, *next;
    uint64_t id;
    int fd;
    struct wt_tls_peer *tls;     /* https only */
    int tls_ready;
    int tls_write_blocked;       /* the last TLS write must be retried as it was */
    struct wt_endpoint client, local;

    struct wt_request *req;
    struct response resp;
    struct wt_h2_server *h2;     /* ALPN chose h2 */
    struct wt_event_sink h2_sink;
    int h2_write_blocked;        /* the last write of h2 output must be retried as it was */
    int h2_closing;              /* our GOAWAY: close once the output is out */
    char in[IN_BUF_SIZE];
    size_t in_len, in_off;
    unsigned requests;
    int64_t idle_since;          /* waiting for a request since (loop µs); 0: busy */

    int responding;
    int close_after;
    int status;
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
    size_t h2_waiting;           /* HTTP/2 streams whose /delay/MS has not come */
    struct wt_tcp_teardown *teardown;
    int fd_number;               /* the descriptor accept() returned, for the narration */
};

/* A client refused while the server is full: its 503 is sent, and what it
 * sent is read and dropped for a moment, so closing does not turn into a
 * reset that destroys the 503 before the client reads it. */
struct refused {
    struct wt_server *srv;
    struct refused *next;
    int fd;
    uint64_t timer;
};

enum narration_kind { NARRATION_OTHER, NARRATION_PIPE, NARRATION_SOCKET, NARRATION_FILE };

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
    size_t max_conns;           /* WT_SERVE_MAX_CONNECTIONS, or fewer when descriptors are short */
    size_t max_per_client;
    struct refused *refused;
    size_t n_refused;
    uint64_t next_id;
    int writing;                /* inside a write started at once (start_writing) */
    int freeing;                /* shutting down: streams end untold */
    int64_t started_us;
    enum narration_kind narration;
    int narration_queue;        /* stderr's pipe or socket buffer, bytes */
    uint64_t narration_lost;    /* events not narrated since the last report */
    uint64_t narration_lost_total;
    uint64_t narration_timer;
    char date[64];              /* the Date header, made once a second */
    time_t date_at;
    char pattern[OUT_CHUNK + PATTERN_LEN]; /* /bytes/N's body, from any offset */
    /* /status/CODE?times=K: how often each such target was asked for */
    struct flaky {
        char target[WT_SERVE_FLAKY_TARGET_MAX];
        unsigned long seen;
    } flaky[WT_SERVE_MAX_FLAKY];
    size_t n_flaky;
};

/* ---- narration that never blocks ------------------------------------------ */

/* The renderers write to stderr with ordinary blocking stdio. A stderr pipe
 * or socket nobody reads would stop the whole server in the middle of an
 * fprintf, so before each event the server checks that stderr has room for
 * a line or two; if not, the event is counted instead of narrated, and the
 * count is narrated once stderr drains. */
static enum narration_kind narration_kind_of(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return NARRATION_FILE;   /* closed: writes fail at once, never block */
    if (S_ISFIFO(st.st_mode))
        return NARRATION_PIPE;
    if (S_ISSOCK(st.st_mode))
        return NARRATION_SOCKET;
    if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode) ||
        (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)))   /* /dev/null */
        return NARRATION_FILE;
    return NARRATION_OTHER;      /* a terminal */
}

/* One syscall per event: the queue's size is read once, and again
 * whenever stderr was found full. */
static int narration_has_room(struct wt_server *s)
{
    int fd = STDERR_FILENO;
    int queued = 0;
    switch (s->narration) {
    case NARRATION_FILE:
        return 1;
    case NARRATION_PIPE:
        /* POLLOUT would promise one free page only; a line may be longer. */
        if (ioctl(fd, FIONREAD, &queued) < 0)
            return 1;   /* not a pipe after all: let the write say so */
        return s->narration_queue - queued >= NARRATION_ROOM;
    case NARRATION_SOCKET:
        if (ioctl(fd, SIOCOUTQ, &queued) < 0)
            return 1;
        return s->narration_queue - queued >= NARRATION_ROOM;
    case NARRATION_OTHER:
        break;
    }
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    return poll(&p, 1, 0) == 1;
}

static void narration_measure(struct wt_server *s)
{
    int size = 0;
    socklen_t len = sizeof size;
    if (s->narration == NARRATION_PIPE)
        size = fcntl(STDERR_FILENO, F_GETPIPE_SZ);
    else if (s->narration == NARRATION_SOCKET &&
             getsockopt(STDERR_FILENO, SOL_SOCKET, SO_SNDBUF, &size, &len) < 0)
        size = 0;
    s->narration_queue = size > 0 ? size : 64 * 1024;
}

static void narration_report(struct wt_server *s);

static void narration_retry(struct wt_loop *loop, void *data)
{
    struct wt_server *s = data;
    s->narration_timer = 0;
    (void)loop;
    narration_measure(s);
    narration_report(s);
}

static void deliver(struct wt_server *s, const struct wt_event *ev)
{
    if (s->narration_lost)
        narration_report(s);
    if (s->narration_lost || !narration_has_room(s)) {
        s->narration_lost++;
        s->narration_lost_total++;
        if (!s->narration_timer)
            s->narration_timer = wt_loop_timer_at(
                s->loop, wt_loop_now(s->loop) + NARRATION_RETRY_MS * 1000, narration_retry, s);
        return;
    }
    s->sink.emit(s->sink.ctx, ev);
}

/* Says how many events went unnarrated, once stderr has room again. */
static void narration_report(struct wt_server *s)
{
    if (!s->narration_lost)
        return;
    if (!narration_has_room(s)) {
        if (!s->narration_timer)
            s->narration_timer = wt_loop_timer_at(
                s->loop, wt_loop_now(s->loop) + NARRATION_RETRY_MS * 1000, narration_retry, s);
        return;
    }
    struct wt_event ev = { .kind = WT_EV_SERVE_NARRATION_LOST, .phase = WT_PHASE_SERVE };
    ev.t_us = wt_loop_now(s->loop) - s->started_us;
    ev.u.serve_narration_lost.lines = s->narration_lost;
    ev.u.serve_narration_lost.total = s->narration_lost_total;
    s->narration_lost = 0;
    s->sink.emit(s->sink.ctx, &ev);
}

static void emit(struct wt_server *s, struct wt_event *ev)
{
    ev->phase = WT_PHASE_SERVE;
    ev->t_us = wt_loop_now(s->loop) - s->started_us;
    deliver(s, ev);
}

/* ---- the socket calls, named as the lesson names them ------------------- */

static struct wt_event call_event(uint64_t conn, enum wt_socket_call call, int fd,
                                  int64_t result, int err)
{
    struct wt_event ev = { .kind = WT_EV_SOCKET_CALL };
    ev.u.socket_call.we_are_server = 1;
    ev.u.socket_call.conn = conn;
    ev.u.socket_call.call = call;
    ev.u.socket_call.fd = fd;
    ev.u.socket_call.result = result;
    ev.u.socket_call.err = result < 0 ? err : 0;
    ev.u.socket_call.backlog = -1;
    return ev;
}

/* recv/send/shutdown/close on a connection; errno is kept for the caller. */
static void narrate_call(struct wt_server *s, uint64_t conn, enum wt_socket_call call, int fd,
                         int64_t result, size_t len)
{
    if (!s->cfg.narrate_calls)
        return;
    int saved = errno;
    struct wt_event ev = call_event(conn, call, fd, result, saved);
    ev.u.socket_call.len = len;
    emit(s, &ev);
    errno = saved;
}

static struct conn *find_conn(struct wt_server *s, uint64_t id)
{
    for (struct conn *c = s->conns; c; c = c->next)
        if (c->id == id)
            return c;
    return NULL;
}

/* The loop stamps t_us itself for server events: forward unchanged. The
 * teardown observer made the last calls on the socket (a shutdown when we
 * closed first, then the close) before it reports: name them first. */
static void teardown_emit(void *ctx, const struct wt_event *ev)
{
    struct wt_server *s = ctx;
    if (ev->kind == WT_EV_TCP_TEARDOWN && s->cfg.narrate_calls) {
        struct conn *c = find_conn(s, ev->u.tcp_teardown.conn);
        if (c) {
            if (ev->u.tcp_teardown.we_closed_first)
                narrate_call(s, c->id, WT_CALL_SHUTDOWN, c->fd_number, 0, 0);
            narrate_call(s, c->id, WT_CALL_CLOSE, c->fd_number, 0, 0);
        }
    }
    struct wt_event e = *ev;
    e.t_us = wt_loop_now(s->loop) - s->started_us;
    deliver(s, &e);
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
        int rc = close(c->fd);
        narrate_call(s, c->id, WT_CALL_CLOSE, c->fd, rc, 0);
    }
    wt_h2_server_free(c->h2);   /* its streams' replies go with it */
    wt_tls_peer_free(c->tls);
    wt_request_free(c->req);
    free(c->resp.body);
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
    /* The client's FIN may be here unread (it closed while we answered):
     * then the client closed first, whatever we meant to do. */
    struct wt_tcp_info info;
    if (!peer_closed && wt_tcp_info_read(fd, &info) == 0 && info.state == WT_TCP_CLOSE_WAIT)
        peer_closed = 1;
    c->teardown = wt_tcp_teardown_start(s->loop, fd, peer_closed, expect_peer_close, c->id,
                                        (int64_t)WT_TCP_TEARDOWN_MS * 1000, &sink,
                                        on_teardown_done, c);
    if (!c->teardown)
        conn_free(c);
}

static void h2_idle(struct conn *c);

static void on_idle(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct conn *c = data;
    c->idle_timer = 0;
    if (c->delay_timer)
        return;   /* /delay/MS: waiting on purpose */
    if (c->h2) {
        h2_idle(c);
        return;
    }
    if (c->responding) {
        drop(c, N_("the client stopped reading the response (no progress within the idle "
                "timeout)"));
        return;
    }
    if (c->req->msg_bytes || c->in_len > c->in_off || !c->tls_ready)
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
    /* A would-block is the loop's business, not a step of the lesson. */
    if (n >= 0 || (errno != EAGAIN && errno != EINTR))
        narrate_call(c->srv, c->id, WT_CALL_RECV, c->fd, n, len);
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
    if (n >= 0 || (errno != EAGAIN && errno != EINTR))
        narrate_call(c->srv, c->id, WT_CALL_SEND, c->fd, n, len);
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

static void response_clear(struct response *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
    r->delay_ms = -1;
}

static void set_extra(struct response *r, const char *name, const char *value)
{
    snprintf(r->extra_name, sizeof r->extra_name, "%s", name ? name : "");
    snprintf(r->extra_value, sizeof r->extra_value, "%s", value ? value : "");
}

static void respond_fixed(struct response *r, int status, const char *type, const char *body,
                          size_t len, const char *extra_name, const char *extra_value)
{
    if (!status_has_body(status))
        len = 0;
    r->status = status;
    r->type = type;
    r->length = (int64_t)len;
    r->stream = EP_FIXED;
    set_extra(r, extra_name, extra_value);
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
    if (len && (r->body = malloc(len)) != NULL) {
        memcpy(r->body, body, len);
        r->body_len = len;
    }
    if (!r->body)
        r->length = 0;
}

static void respond_stream(struct response *r, const char *type, int64_t length,
                           enum endpoint_kind kind, uint64_t n)
{
    r->status = 200;
    r->type = type;
    r->length = length;
    r->stream = kind;
    r->stream_left = r->head_request ? 0 : n;
}

static const char *server_date(struct wt_server *s)
{
    time_t now = time(NULL);
    if (now != s->date_at) {   /* the Date header changes once a second */
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(s->date, sizeof s->date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        s->date_at = now;
    }
    return s->date;
}

/* The HTTP/1.1 writer: the response's head into out, a fixed body after
 * it, and the connection set to stream the rest. */
static void h1_write_response(struct conn *c)
{
    struct wt_server *s = c->srv;
    struct response *r = &c->resp;
    c->status = r->status;
    c->close_after |= r->close_after;
    out_printf(c, "HTTP/1.1 %d %s\r\nServer: webtrace/%s\r\nDate: %s\r\n", r->status,
               reason_phrase(r->status), WT_VERSION, server_date(s));
    if (status_has_body(r->status)) {
        out_printf(c, "Content-Type: %s\r\n", r->type);
        if (r->length >= 0)
            out_printf(c, "Content-Length: %" PRId64 "\r\n", r->length);
        else if (r->length == BODY_CHUNKED)
            out_printf(c, "Transfer-Encoding: chunked\r\n");
    }
    if (r->extra_name[0])
        out_printf(c, "%s: %s\r\n", r->extra_name, r->extra_value);
    if (c->close_after)
        out_printf(c, "Connection: close\r\n");
    else if (c->req->keep_alive_10)
        out_printf(c, "Connection: keep-alive\r\n");   /* 1.0 closes unless told */
    out_add(c, "\r\n", 2);
    c->stream = r->stream;
    c->stream_left = r->stream_left;
    c->stream_finished = r->stream == EP_CHUNKED && r->head_request;
    if (r->stream == EP_FIXED && !r->head_request && r->body_len) {
        out_add(c, r->body, r->body_len);
        c->body_bytes = r->body_len;
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
    "<li><a href=\"/echo\">/echo</a>: your request's method, headers and body as JSON (any "
    "method)</li>\n"
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

/* The number after "name=" in the query of target, or -1 when absent or
 * not a number up to max. */
static long query_number(const char *target, const char *name, long max)
{
    const char *q = strchr(target, '?');
    size_t nlen = strlen(name);
    while (q) {
        q++;
        if (strncmp(q, name, nlen) == 0 && q[nlen] == '=') {
            const char *p = q + nlen + 1;
            long v = 0;
            if (*p < '0' || *p > '9')
                return -1;
            for (; *p >= '0' && *p <= '9'; p++) {
                v = v * 10 + (*p - '0');
                if (v > max)
                    return -1;
            }
            return *p == '\0' || *p == '&' ? v : -1;
        }
        q = strchr(q, '&');
    }
    return -1;
}

/* How many times this very target (query included) was asked for before,
 * counted from 0; the oldest count is dropped when the table is full. */
static unsigned long flaky_seen(struct wt_server *s, const char *target)
{
    for (size_t i = 0; i < s->n_flaky; i++)
        if (strcmp(s->flaky[i].target, target) == 0)
            return s->flaky[i].seen++;
    if (s->n_flaky == WT_SERVE_MAX_FLAKY) {
        memmove(&s->flaky[0], &s->flaky[1], (WT_SERVE_MAX_FLAKY - 1) * sizeof s->flaky[0]);
        s->n_flaky--;
    }
    struct flaky *f = &s->flaky[s->n_flaky++];
    snprintf(f->target, sizeof f->target, "%s", target);
    f->seen = 1;
    return 0;
}

/* /headers: the request's method, target and headers as JSON. /echo (any
 * method) adds the body as received, up to WT_REQUEST_BODY_KEPT bytes, for
 * comparing a request with what was asked. /gzip, /deflate, /br, /zstd
 * (coding not NULL) say which coding and send the JSON coded with it, as
 * httpbin's, whatever the request's Accept-Encoding. */
static void respond_request_json(struct response *r, const struct wt_request *req,
                                 int with_body, const char *coding)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem) {
        respond_fixed(r, 500, "text/plain", "out of memory\n", 14, NULL, NULL);
        return;
    }
    struct wt_json j;
    wt_json_init(&j, mem);
    wt_json_object_begin(&j, NULL);
    if (coding)
        wt_json_cstring(&j, "content_encoding", coding);
    wt_json_string(&j, "method", req->method, strlen(req->method));
    wt_json_string(&j, "target", req->target, req->target_len);
    wt_json_array_begin(&j, "headers");
    const char *p = req->headers;
    for (size_t i = 0; i < req->headers_kept && p < req->headers + req->headers_len; i++) {
        const char *name = p;
        const char *value = name + strlen(name) + 1;
        wt_json_object_begin(&j, NULL);
        wt_json_cstring(&j, "name", name);
        wt_json_cstring(&j, "value", value);
        wt_json_object_end(&j);
        p = value + strlen(value) + 1;
    }
    wt_json_array_end(&j);
    if (with_body) {
        wt_json_string(&j, "body", req->body, req->body_kept);
        wt_json_int(&j, "body_bytes", (int64_t)req->body_bytes);
    }
    wt_json_object_end(&j);
    fputc('\n', mem);
    if (fclose(mem) != 0 || !text) {
        free(text);
        respond_fixed(r, 500, "text/plain", "out of memory\n", 14, NULL, NULL);
        return;
    }
    if (coding) {
        char *coded;
        size_t coded_len;
        char err[200];
        if (wt_encode_body(coding, text, len, &coded, &coded_len, err, sizeof err) < 0) {
            free(text);
            respond_fixed(r, 500, "text/plain", err, strlen(err), NULL, NULL);
            return;
        }
        respond_fixed(r, 200, "application/json", coded, coded_len, "Content-Encoding", coding);
        free(coded);
        free(text);
        return;
    }
    respond_fixed(r, 200, "application/json", text, len, NULL, NULL);
    free(text);
}

static void start_writing(struct conn *c);

/* The body /delay/MS answers once its time has come. */
static void respond_delayed(struct response *r, int64_t waited_us)
{
    char body[64];
    int n = snprintf(body, sizeof body, "delayed %" PRId64 " ms\n", waited_us / 1000);
    respond_fixed(r, 200, "text/plain", body, (size_t)n, NULL, NULL);
}

static void on_delay(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct conn *c = data;
    c->delay_timer = 0;
    respond_delayed(&c->resp, wt_loop_now(c->srv->loop) - c->request_at);
    h1_write_response(c);
    start_writing(c);
}

/* Chooses the endpoint for req and fills r, for either protocol. Returns
 * 1 when the response is ready, 0 when it comes later (r->delay_ms). */
static int build_response(struct wt_server *srv, const struct wt_request *req,
                          struct response *r)
{
    const char *t = req->target;
    int get = strcmp(req->method, "GET") == 0;
    response_clear(r);
    r->head_request = strcmp(req->method, "HEAD") == 0;
    if (strcmp(t, "/echo") == 0 || strncmp(t, "/echo?", 6) == 0) {
        respond_request_json(r, req, 1, NULL);
        return 1;
    }
    if (!get && !r->head_request) {
        static const char msg[] = "only GET and HEAD are served here\n";
        respond_fixed(r, 405, "text/plain", msg, sizeof msg - 1, "Allow", "GET, HEAD");
        return 1;
    }
    if (req->missing_host) {
        static const char msg[] = "an HTTP/1.1 request needs a Host header\n";
        r->close_after = 1;
        respond_fixed(r, 400, "text/plain", msg, sizeof msg - 1, NULL, NULL);
        return 1;
    }
    int64_t n;
    if (strcmp(t, "/") == 0 || strncmp(t, "/?", 2) == 0) {
        respond_fixed(r, 200, "text/html; charset=utf-8", index_html, sizeof index_html - 1,
                      NULL, NULL);
    } else if ((n = number_after(t, "/bytes/", WT_SERVE_MAX_BYTES)) != -2) {
        if (n < 0) {
            static const char msg[] = "/bytes/N: N is a number up to 2^40\n";
            respond_fixed(r, 400, "text/plain", msg, sizeof msg - 1, NULL, NULL);
            return 1;
        }
        respond_stream(r, "application/octet-stream", n, EP_BYTES, (uint64_t)n);
    } else if ((n = number_after(t, "/chunked/", WT_SERVE_MAX_BYTES)) != -2) {
        if (n < 0) {
            static const char msg[] = "/chunked/N: N is a number up to 2^40\n";
            respond_fixed(r, 400, "text/plain", msg, sizeof msg - 1, NULL, NULL);
            return 1;
        }
        if (req->http_10) {
            /* HTTP/1.0 has no chunked coding: the body ends at close. */
            r->close_after = 1;
            respond_stream(r, "application/octet-stream", BODY_UNTIL_CLOSE, EP_BYTES,
                           (uint64_t)n);
        } else {
            /* HTTP/2 frames it as DATA with no length said up front */
            respond_stream(r, "application/octet-stream", BODY_CHUNKED, EP_CHUNKED,
                           (uint64_t)n);
        }
    } else if ((n = number_after(t, "/status/", 999)) != -2) {
        if (n < 200 || n > 599) {
            static const char msg[] = "/status/CODE: CODE from 200 to 599\n";
            respond_fixed(r, 400, "text/plain", msg, sizeof msg - 1, NULL, NULL);
            return 1;
        }
        /* ?times=K: that status for the first K requests of this very
         * target, then 200 (a server that recovers, for --retry);
         * ?retry-after=S adds Retry-After: S to those. */
        long times = query_number(t, "times", 1000000);
        long retry_after = query_number(t, "retry-after", WT_SERVE_MAX_RETRY_AFTER);
        if (times >= 0 && strlen(t) < WT_SERVE_FLAKY_TARGET_MAX &&
            flaky_seen(srv, t) >= (unsigned long)times)
            n = 200;
        char body[64], seconds[24];
        int len = snprintf(body, sizeof body, "%d %s\n", (int)n, reason_phrase((int)n));
        int with_retry = retry_after >= 0 && n != 200;
        snprintf(seconds, sizeof seconds, "%ld", retry_after);
        respond_fixed(r, (int)n, "text/plain", body, (size_t)len,
                      with_retry ? "Retry-After" : NULL, with_retry ? seconds : NULL);
    } else if ((n = number_after(t, "/delay/", WT_SERVE_MAX_DELAY_MS)) != -2) {
        if (n < 0) {
            static const char msg[] = "/delay/MS: MS from 0 to 60000\n";
            respond_fixed(r, 400, "text/plain", msg, sizeof msg - 1, NULL, NULL);
            return 1;
        }
        r->delay_ms = n;
        return 0;
    } else if ((n = number_after(t, "/redirect/", WT_SERVE_MAX_REDIRECTS)) != -2) {
        if (n < 1) {
            static const char msg[] = "/redirect/N: N from 1 to 1000\n";
            respond_fixed(r, 400, "text/plain", msg, sizeof msg - 1, NULL, NULL);
            return 1;
        }
        char location[32], body[96];
        if (n == 1)
            snprintf(location, sizeof location, "/");
        else
            snprintf(location, sizeof location, "/redirect/%d", (int)n - 1);
        int len = snprintf(body, sizeof body, "redirecting: %d to go\n", (int)n);
        respond_fixed(r, 302, "text/plain", body, (size_t)len, "Location", location);
    } else if (strcmp(t, "/headers") == 0) {
        respond_request_json(r, req, 0, NULL);
    } else if (strcmp(t, "/gzip") == 0 || strcmp(t, "/deflate") == 0 || strcmp(t, "/br") == 0 ||
               strcmp(t, "/zstd") == 0) {
        respond_request_json(r, req, 0, t + 1);
    } else {
        static const char msg[] = "not found: try / for the list of endpoints\n";
        respond_fixed(r, 404, "text/plain", msg, sizeof msg - 1, NULL, NULL);
    }
    return 1;
}

/* Appends the next chunk of a chunked body to what out still holds, so
 * the head, small chunks and the last chunk leave together. (/bytes/N is
 * written straight from the pattern, with no copy.) */
static void add_chunk(struct conn *c)
{
    struct wt_server *s = c->srv;
    if (c->out_off > 0) {
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        c->out_off = 0;
    }
    if (c->stream_left) {
        size_t take = c->stream_left > 16384 ? 16384 : (size_t)c->stream_left;
        out_printf(c, "%zx\r\n", take);
        out_add(c, s->pattern + c->body_bytes % PATTERN_LEN, take);
        out_add(c, "\r\n", 2);
        c->stream_left -= take;
        c->body_bytes += take;
    } else {
        out_add(c, "0\r\n\r\n", 5);
        c->stream_finished = 1;
    }
}

static void process_input(struct conn *c);
static void on_conn_readable(struct wt_loop *loop, int fd, int events, void *data);

static void reset_request(struct conn *c)
{
    wt_request_reset(c->req);
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
    if (c->in_len == c->in_off)
        c->idle_since = wt_loop_now(c->srv->loop);
    wt_loop_watch(c->srv->loop, c->fd, WT_LOOP_READ, on_conn_readable, c);
    process_input(c);   /* a pipelined request may be waiting */
}

/* One write of what comes next: the pending head or chunk in out, then
 * /bytes/N's body straight from the pattern. On plain TCP both go in one
 * writev; through TLS a small head takes the first body bytes along into
 * out, so a small response is one record and one send. */
static ssize_t write_step(struct conn *c, size_t budget, int *want)
{
    struct wt_server *s = c->srv;
    size_t head = c->out_len - c->out_off;
    size_t body = 0;
    if (c->stream == EP_BYTES && c->stream_left)
        body = c->stream_left > OUT_CHUNK ? OUT_CHUNK : (size_t)c->stream_left;
    if (head >= budget) {
        head = budget;
        body = 0;
    } else if (body > budget - head) {
        body = budget - head;
    }
    const char *pattern = s->pattern + c->body_bytes % PATTERN_LEN;
    ssize_t n;
    *want = WT_LOOP_WRITE;
    if (c->tls) {
        /* OpenSSL wants a blocked write retried from the same buffer:
         * nothing is added to out until it has gone through. */
        if (head && body && head < COALESCE_MAX && !c->tls_write_blocked) {
            size_t take = body < COALESCE_MAX - head ? body : COALESCE_MAX - head;
            out_add(c, pattern, take);
            c->stream_left -= take;
            c->body_bytes += take;
            head = c->out_len - c->out_off;
            body = 0;
        }
        n = head ? conn_write(c, c->out + c->out_off, head, want)
                 : conn_write(c, pattern, body, want);
        c->tls_write_blocked = n == IO_WOULD_BLOCK;
    } else {
        struct iovec iov[2];
        int n_iov = 0;
        if (head)
            iov[n_iov++] = (struct iovec){ c->out + c->out_off, head };
        if (body)
            iov[n_iov++] = (struct iovec){ (void *)pattern, body };
        struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)n_iov };
        n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
        if (n >= 0 || (errno != EAGAIN && errno != EINTR))
            narrate_call(s, c->id, WT_CALL_SENDMSG, c->fd, n, head + body);
        if (n < 0)
            n = errno == EAGAIN || errno == EINTR ? IO_WOULD_BLOCK : IO_FAILED;
    }
    if (n <= 0)
        return n;
    size_t from_head = (size_t)n < head ? (size_t)n : head;
    c->out_off += from_head;
    c->stream_left -= (size_t)n - from_head;
    c->body_bytes += (size_t)n - from_head;
    c->bytes_sent += (size_t)n;
    return n;
}

/* Writes until the response is out, the socket is full, or this
 * connection's budget for the wakeup is spent: one fast reader of a huge
 * body must not keep the loop from everyone else. */
static void on_conn_writable(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)loop;
    (void)fd;
    (void)events;
    struct conn *c = data;
    size_t budget = WT_SERVE_WRITE_BUDGET;
    int progressed = 0;
    while (budget > 0) {
        while (c->stream == EP_CHUNKED && !c->stream_finished && !c->tls_write_blocked &&
               c->out_len - c->out_off < COALESCE_MAX)
            add_chunk(c);
        if (c->out_off == c->out_len && !(c->stream == EP_BYTES && c->stream_left)) {
            response_sent(c);
            return;
        }
        int want;
        ssize_t n = write_step(c, budget, &want);
        if (n == IO_WOULD_BLOCK) {
            wt_loop_watch(c->srv->loop, c->fd, want, on_conn_writable, c);
            return;
        }
        if (n < 0) {
            drop(c, N_("the client went away while we were sending"));
            return;
        }
        budget -= (size_t)n < budget ? (size_t)n : budget;
        if (!progressed) {
            progressed = 1;
            arm_idle(c);   /* progress: the client is reading */
        }
    }
    wt_loop_watch(c->srv->loop, c->fd, WT_LOOP_WRITE, on_conn_writable, c);
}

/* Writes at once rather than after a round through poll: a small response
 * usually fits the socket buffer, and then the answer costs one syscall. */
static void start_writing(struct conn *c)
{
    struct wt_server *s = c->srv;
    c->idle_since = 0;
    arm_idle(c);   /* the response must make progress, or the client is dropped */
    if (s->writing) {
        /* Pipelined requests answered from inside a write: the next
         * one waits for the loop, so the stack stays flat and the other
         * clients get their turn. */
        wt_loop_watch(s->loop, c->fd, WT_LOOP_WRITE, on_conn_writable, c);
        return;
    }
    s->writing = 1;
    on_conn_writable(s->loop, c->fd, WT_LOOP_WRITE, c);   /* may free c */
    s->writing = 0;
}

static void bad_request(struct conn *c, int status, const char *why)
{
    c->close_after = 1;
    c->responding = 1;
    c->out_len = c->out_off = 0;
    c->stream = EP_FIXED;
    char body[200];
    int n = snprintf(body, sizeof body, "%s\n", why);
    response_clear(&c->resp);
    respond_fixed(&c->resp, status, "text/plain", body, (size_t)n, NULL, NULL);
    h1_write_response(c);
    c->request_at = wt_loop_now(c->srv->loop);
    struct wt_event ev = { .kind = WT_EV_SERVE_DROP };
    ev.u.serve_drop.conn = c->id;
    ev.u.serve_drop.reason = why;
    emit(c->srv, &ev);
    wt_loop_unwatch(c->srv->loop, c->fd);
    start_writing(c);
}

static void request_parsed(struct conn *c)
{
    c->requests++;
    c->responding = 1;
    c->idle_since = 0;
    c->close_after = !c->req->keep_alive;
    c->request_at = wt_loop_now(c->srv->loop);
    wt_loop_timer_cancel(c->srv->loop, c->idle_timer);
    c->idle_timer = 0;
    struct wt_event ev = { .kind = WT_EV_SERVE_REQUEST };
    ev.u.serve_request.conn = c->id;
    ev.u.serve_request.number = c->requests;
    ev.u.serve_request.method = c->req->method;
    ev.u.serve_request.target = c->req->target;
    ev.u.serve_request.target_len = c->req->target_len;
    ev.u.serve_request.bytes = c->req->head_bytes;
    ev.u.serve_request.n_headers = c->req->n_headers;
    ev.u.serve_request.keep_alive = !c->close_after;
    emit(c->srv, &ev);
    wt_loop_unwatch(c->srv->loop, c->fd);
    if (build_response(c->srv, c->req, &c->resp)) {
        h1_write_response(c);
        start_writing(c);
    } else {
        c->delay_timer = wt_loop_timer_at(c->srv->loop,
                                          c->request_at + c->resp.delay_ms * 1000, on_delay, c);
    }
}

static void process_input(struct conn *c)
{
    if (!c->responding && c->in_off < c->in_len) {
        c->idle_since = 0;
        c->in_off += wt_request_feed(c->req, c->in + c->in_off, c->in_len - c->in_off);
        enum wt_request_state st = wt_request_state(c->req);
        if (st == WT_REQUEST_FAILED) {
            bad_request(c, wt_request_status(c->req), wt_request_error(c->req));
            return;
        }
        if (st == WT_REQUEST_DONE) {
            request_parsed(c);
            return;   /* the connection may be gone; response_sent comes back here */
        }
    }
    if (c->in_off == c->in_len) {
        c->in_off = c->in_len = 0;
    } else if (c->in_off > 0) {
        memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
        c->in_len -= c->in_off;
        c->in_off = 0;
    }
}

static void on_conn_readable(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)loop;
    (void)fd;
    (void)events;
    struct conn *c = data;
    if (c->responding)
        return;
    if (c->in_off == 0 && c->in_len == sizeof c->in) {
        /* Cannot happen while the reader uses every byte it is given; a
         * full buffer must never read as an EOF (recv of 0 bytes). */
        bad_request(c, 431, N_("request head larger than 16 KiB"));
        return;
    }
    if (c->in_off > 0) {
        memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
        c->in_len -= c->in_off;
        c->in_off = 0;
    }
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
        if (c->req->msg_bytes || c->in_len)
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

/* ---- HTTP/2 (ALPN h2) -------------------------------------------------- */

/* One request on an HTTP/2 stream and its answer: the response's body
 * source, until nghttp2 closes the stream. */
struct h2_reply {
    struct conn *c;
    int32_t stream;
    unsigned number;
    struct response resp;
    uint64_t sent;               /* body bytes handed to DATA frames */
    int64_t request_at;
    uint64_t delay_timer;
};

static void h2_pump(struct conn *c);

static void h2_event(void *ctx, const struct wt_event *ev)
{
    struct conn *c = ctx;
    struct wt_event e = *ev;
    if (e.kind == WT_EV_H2_FRAME)
        e.u.h2_frame.conn = c->id;
    else if (e.kind == WT_EV_H2_STREAM)
        e.u.h2_stream.conn = c->id;
    emit(c->srv, &e);
    if (e.kind == WT_EV_H2_FRAME && e.u.h2_frame.sent && e.u.h2_frame.type == WT_H2_GOAWAY)
        c->h2_closing = 1;   /* ours: the close follows once the output is out */
    if (e.kind == WT_EV_H2_FRAME && e.u.h2_frame.sent && e.u.h2_frame.type == WT_H2_GOAWAY &&
        e.u.h2_frame.error_code != 0) {
        /* nghttp2 found the client's frames broken and said so */
        struct wt_event drop_ev = { .kind = WT_EV_SERVE_DROP };
        drop_ev.u.serve_drop.conn = c->id;
        drop_ev.u.serve_drop.reason = N_("the client broke the HTTP/2 protocol: GOAWAY with the "
                                         "error, then the close");
        emit(c->srv, &drop_ev);
    }
}

static size_t h2_body(void *ctx, uint8_t *buf, size_t len, int *eof)
{
    struct h2_reply *rp = ctx;
    struct response *r = &rp->resp;
    size_t n;
    if (r->stream == EP_FIXED) {
        n = r->body_len - rp->sent < len ? r->body_len - (size_t)rp->sent : len;
        memcpy(buf, r->body + rp->sent, n);
        *eof = rp->sent + n == r->body_len;
    } else {
        /* nghttp2 asks for a frame at a time (16 KiB): within the pattern */
        if (len > OUT_CHUNK)
            len = OUT_CHUNK;
        n = r->stream_left < len ? (size_t)r->stream_left : len;
        memcpy(buf, rp->c->srv->pattern + rp->sent % PATTERN_LEN, n);
        r->stream_left -= n;
        *eof = r->stream_left == 0;
    }
    rp->sent += n;
    return n;
}

/* The HTTP/2 writer: :status and lower-case fields, the body as DATA. */
static void h2_write_response(struct h2_reply *rp)
{
    struct conn *c = rp->c;
    struct response *r = &rp->resp;
    char length[24], extra_name[sizeof r->extra_name];
    struct wt_h2_header h[6];
    size_t n = 0;
    h[n++] = (struct wt_h2_header){ "server", "webtrace/" WT_VERSION };
    h[n++] = (struct wt_h2_header){ "date", server_date(c->srv) };
    int body = status_has_body(r->status);
    if (body) {
        h[n++] = (struct wt_h2_header){ "content-type", r->type };
        if (r->length >= 0) {
            snprintf(length, sizeof length, "%" PRId64, r->length);
            h[n++] = (struct wt_h2_header){ "content-length", length };
        }
    }
    if (r->extra_name[0]) {
        size_t i = 0;
        for (; r->extra_name[i]; i++)
            extra_name[i] = (char)(r->extra_name[i] >= 'A' && r->extra_name[i] <= 'Z'
                                       ? r->extra_name[i] - 'A' + 'a' : r->extra_name[i]);
        extra_name[i] = '\0';
        h[n++] = (struct wt_h2_header){ extra_name, r->extra_value };
    }
    int data = body && !r->head_request &&
               (r->stream == EP_FIXED ? r->body_len > 0 : r->stream_left > 0);
    wt_h2_server_respond(c->h2, rp->stream, r->status, h, n, data ? h2_body : NULL);
}

static void h2_on_delay(struct wt_loop *loop, void *data)
{
    struct h2_reply *rp = data;
    rp->delay_timer = 0;
    rp->c->h2_waiting--;
    respond_delayed(&rp->resp, wt_loop_now(loop) - rp->request_at);
    h2_write_response(rp);
    h2_pump(rp->c);   /* may free rp and c */
}

static void *h2_on_request(void *ctx, int32_t stream, const struct wt_request *req,
                           size_t header_block_bytes)
{
    struct conn *c = ctx;
    struct wt_server *s = c->srv;
    struct h2_reply *rp = calloc(1, sizeof *rp);
    if (!rp)
        return NULL;
    rp->c = c;
    rp->stream = stream;
    rp->number = ++c->requests;
    rp->request_at = wt_loop_now(s->loop);
    c->idle_since = 0;
    arm_idle(c);   /* a request: the idle timeout counts from here */
    struct wt_event ev = { .kind = WT_EV_SERVE_REQUEST };
    ev.u.serve_request.conn = c->id;
    ev.u.serve_request.number = rp->number;
    ev.u.serve_request.method = req->method;
    ev.u.serve_request.target = req->target;
    ev.u.serve_request.target_len = req->target_len;
    ev.u.serve_request.bytes = header_block_bytes;
    ev.u.serve_request.n_headers = req->n_headers;
    ev.u.serve_request.keep_alive = 1;
    emit(s, &ev);
    if (build_response(s, req, &rp->resp)) {
        h2_write_response(rp);
    } else {
        c->h2_waiting++;
        rp->delay_timer = wt_loop_timer_at(s->loop, rp->request_at + rp->resp.delay_ms * 1000,
                                           h2_on_delay, rp);
    }
    return rp;
}

static void h2_on_close(void *ctx, int32_t stream, void *body_ctx, uint32_t error_code)
{
    struct conn *c = ctx;
    struct h2_reply *rp = body_ctx;
    (void)stream;
    if (rp->delay_timer) {
        wt_loop_timer_cancel(c->srv->loop, rp->delay_timer);
        c->h2_waiting--;
    } else if (error_code == 0 && !c->srv->freeing) {
        struct wt_event ev = { .kind = WT_EV_SERVE_RESPONSE };
        ev.u.serve_response.conn = c->id;
        ev.u.serve_response.status = rp->resp.status;
        ev.u.serve_response.body_bytes = rp->sent;
        ev.u.serve_response.bytes = rp->sent;
        ev.u.serve_response.elapsed_us = wt_loop_now(c->srv->loop) - rp->request_at;
        emit(c->srv, &ev);
    }
    response_clear(&rp->resp);
    free(rp);
    if (!wt_h2_server_open_streams(c->h2) && !c->h2_waiting)
        c->idle_since = wt_loop_now(c->srv->loop);
}

/* Idle with no stream open: GOAWAY, then the close. Streams open and no
 * progress within the timeout: the client stopped reading. */
static void h2_idle(struct conn *c)
{
    if (c->h2_waiting) {
        arm_idle(c);   /* /delay/MS: waiting on purpose */
        return;
    }
    if (wt_h2_server_open_streams(c->h2)) {
        drop(c, N_("the client stopped reading the response (no progress within the idle "
                   "timeout)"));
        return;
    }
    c->h2_closing = 1;
    wt_h2_server_goaway(c->h2);
    h2_pump(c);
}

static void on_h2_io(struct wt_loop *loop, int fd, int events, void *data);

/* Sends what the session has to send, within the connection's write
 * budget for this wakeup, then waits for whatever comes next. */
static void h2_pump(struct conn *c)
{
    struct wt_server *s = c->srv;
    size_t budget = WT_SERVE_WRITE_BUDGET;
    int want = WT_LOOP_READ;
    for (;;) {
        const char *data;
        size_t len = wt_h2_server_output(c->h2, &data);
        if (!len)
            break;
        if (!budget) {
            want |= WT_LOOP_WRITE;   /* the others' turn first */
            break;
        }
        int io_want;
        ssize_t n = conn_write(c, data, len, &io_want);
        c->h2_write_blocked = n == IO_WOULD_BLOCK;
        if (n == IO_WOULD_BLOCK) {
            want |= io_want;
            break;
        }
        if (n < 0) {
            drop(c, N_("the client went away while we were sending"));
            return;
        }
        wt_h2_server_sent(c->h2, (size_t)n);
        budget -= (size_t)n < budget ? (size_t)n : budget;
        arm_idle(c);   /* progress: the client is reading (its streams may have
                        * closed as these frames were made) */
    }
    /* After our GOAWAY we close first. After the client's, nghttp2 is
     * done too, but the client closes first: its close is read below. */
    if (c->h2_closing && wt_h2_server_done(c->h2)) {
        finish(c, 0, 0);
        return;
    }
    wt_loop_watch(s->loop, c->fd, want, on_h2_io, c);
}

static void on_h2_io(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)loop;
    (void)fd;
    struct conn *c = data;
    if ((events & (WT_LOOP_READ | WT_LOOP_ERROR)) && !c->h2_write_blocked) {
        int want;
        ssize_t n = conn_read(c, c->in, sizeof c->in, &want);
        if (n == 0) {
            /* the client closed first (its close_notify through TLS) */
            finish(c, !c->tls, c->tls != NULL);
            return;
        }
        if (n == IO_FAILED) {
            drop(c, N_("the connection failed (reset by the client?)"));
            return;
        }
        if (n > 0)
            wt_h2_server_feed(c->h2, c->in, (size_t)n);   /* errors answer with GOAWAY */
    }
    h2_pump(c);   /* may free c */
}

/* ALPN chose h2: the connection is nghttp2's from its first byte. */
static void start_h2(struct conn *c)
{
    static const struct wt_h2_server_callbacks callbacks = { h2_on_request, h2_on_close };
    c->h2_sink = (struct wt_event_sink){ h2_event, c };
    c->h2 = wt_h2_server_new(&callbacks, c, &c->h2_sink);
    if (!c->h2) {
        drop(c, N_("out of memory for HTTP/2"));
        return;
    }
    h2_pump(c);   /* our SETTINGS go first */
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
        c->idle_since = wt_loop_now(c->srv->loop);
        struct wt_event ev = { .kind = WT_EV_SERVE_TLS };
        ev.u.serve_tls.conn = c->id;
        ev.u.serve_tls.version = wt_tls_peer_version(c->tls);
        ev.u.serve_tls.cipher = wt_tls_peer_cipher(c->tls);
        ev.u.serve_tls.alpn = wt_tls_peer_alpn(c->tls);
        emit(c->srv, &ev);
        if (strcmp(wt_tls_peer_alpn(c->tls), "h2") == 0)
            start_h2(c);
        else
            wt_loop_watch(c->srv->loop, c->fd, WT_LOOP_READ, on_conn_readable, c);
    } else if (rc == 0) {
        c->idle_since = 0;   /* the handshake has begun: not idle */
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

/* ---- room for a new client -------------------------------------------------- */

static int same_address(const struct wt_endpoint *a, const struct wt_endpoint *b)
{
    return a->family == b->family && strcmp(a->addr, b->addr) == 0;
}

/* The connection to close to make room: first one whose teardown we are
 * only watching, then the one idle longest (a keep-alive connection between
 * requests, or one that never sent anything). NULL: everyone is busy.
 * client: only connections from that address. */
static struct conn *pick_victim(struct wt_server *s, const struct wt_endpoint *client)
{
    struct conn *oldest = NULL;
    for (struct conn *c = s->conns; c; c = c->next) {
        if (client && !same_address(&c->client, client))
            continue;
        if (c->teardown)
            return c;
        if (c->idle_since && (!oldest || c->idle_since < oldest->idle_since))
            oldest = c;
    }
    return oldest;
}

static void evict(struct conn *c, const char *why)
{
    if (c->teardown) {
        conn_free(c);   /* its close is already under way: stop watching it */
        return;
    }
    drop(c, why);
}

static void on_refused_done(struct wt_loop *loop, void *data);

static void refused_free(struct refused *r)
{
    struct wt_server *s = r->srv;
    struct refused **pp = &s->refused;
    while (*pp && *pp != r)
        pp = &(*pp)->next;
    if (*pp)
        *pp = r->next;
    s->n_refused--;
    wt_loop_timer_cancel(s->loop, r->timer);
    wt_loop_unwatch(s->loop, r->fd);
    close(r->fd);
    free(r);
}

static void on_refused_readable(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)loop;
    (void)events;
    char sink[4096];
    ssize_t n;
    while ((n = recv(fd, sink, sizeof sink, 0)) > 0)
        ;
    if (n == 0 || (errno != EAGAIN && errno != EINTR))
        refused_free(data);   /* the client read our answer and closed */
}

static void on_refused_done(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct refused *r = data;
    r->timer = 0;
    refused_free(r);
}

/* Full, and nobody can be let go: the client still hears why (503 and
 * Connection: close) instead of a reset; through TLS nothing can be said
 * before a handshake, so it gets a plain close. */
static void refuse(struct wt_server *s, int fd, const struct wt_endpoint *client,
                   const char *reason, size_t from_client)
{
    static const char answer[] =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
        "Content-Length: 42\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
        "the server is full: try again in a moment\n";
    int status = 0;
    if (!s->tls && send(fd, answer, sizeof answer - 1, MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
        status = 503;
    shutdown(fd, SHUT_WR);
    struct wt_event ev = { .kind = WT_EV_SERVE_REFUSE };
    ev.u.serve_refuse.client = *client;
    ev.u.serve_refuse.status = status;
    ev.u.serve_refuse.reason = reason;
    ev.u.serve_refuse.open_connections = s->n_conns;
    ev.u.serve_refuse.from_client = from_client;
    emit(s, &ev);
    struct refused *r = s->n_refused < WT_SERVE_MAX_REFUSING ? calloc(1, sizeof *r) : NULL;
    if (!r) {
        close(fd);
        return;
    }
    r->srv = s;
    r->fd = fd;
    r->next = s->refused;
    s->refused = r;
    s->n_refused++;
    r->timer = wt_loop_timer_at(s->loop, wt_loop_now(s->loop) + REFUSE_LINGER_MS * 1000,
                                on_refused_done, r);
    wt_loop_watch(s->loop, fd, WT_LOOP_READ, on_refused_readable, r);
}

/* Makes room for a client from addr. Returns 0 when it may be accepted,
 * else the reason it may not. */
static const char *make_room(struct wt_server *s, const struct wt_endpoint *addr,
                             size_t *from_client)
{
    size_t mine = 0;
    for (struct conn *c = s->conns; c; c = c->next)
        mine += same_address(&c->client, addr);
    *from_client = mine;
    if (mine >= s->max_per_client) {
        struct conn *v = pick_victim(s, addr);
        if (!v)
            return N_("too many busy connections from its address");
        evict(v, N_("idle connection closed to make room for a new one from the same address"));
        *from_client = mine - 1;
    }
    if (s->n_conns >= s->max_conns) {
        struct conn *v = pick_victim(s, NULL);
        if (!v)
            return N_("every connection is busy");
        evict(v, N_("idle connection closed to make room (the server is full)"));
    }
    return NULL;
}

/* The SYN that started connection c, as the kernel saved it, and the
 * accept() that took it from the queue. */
static void report_syn(struct wt_server *s, int listen_fd, const struct conn *c,
                       int64_t queued, int64_t backlog)
{
    int cfd = c->fd;
    uint64_t conn = c->id;
    struct wt_event ev = { .kind = WT_EV_SERVE_SYN, .phase = WT_PHASE_SERVE };
    ev.u.serve_syn.conn = conn;
    ev.u.serve_syn.client = c->client;
    ev.u.serve_syn.mss = ev.u.serve_syn.wscale = -1;
    ev.u.serve_syn.queued = queued;
    ev.u.serve_syn.backlog = backlog;
    /* IP header (60 max) and TCP header (60 max): the whole saved SYN. */
    uint8_t syn[128];
    socklen_t synlen = sizeof syn;
    struct wt_tcp_segment seg;
    if (getsockopt(cfd, IPPROTO_TCP, TCP_SAVED_SYN, syn, &synlen) == 0 &&
        wt_packet_decode_ip(syn, synlen, &seg) == 0) {
        ev.u.serve_syn.saved = 1;
        ev.u.serve_syn.seq = seg.seq;
        ev.u.serve_syn.window = seg.window;
        ev.u.serve_syn.mss = seg.mss;
        ev.u.serve_syn.wscale = seg.wscale;
        ev.u.serve_syn.sack_ok = seg.sack_ok;
        ev.u.serve_syn.has_ts = seg.has_ts;
        ev.u.serve_syn.ttl = seg.ttl;
    }
    emit(s, &ev);
    if (s->cfg.narrate_calls) {
        struct wt_event call = call_event(conn, WT_CALL_ACCEPT, listen_fd, cfd, 0);
        call.u.socket_call.addr = ev.u.serve_syn.client;
        emit(s, &call);
    }
}

static void on_accept(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)events;
    struct wt_server *s = data;
    /* On a listener, TCP_INFO counts the accept queue: connections whose
     * handshake is complete, waiting for accept() (tcpi_unacked), and its
     * limit (tcpi_sacked). */
    int64_t queued = -1, backlog = -1;
    struct tcp_info qi;
    socklen_t qlen = sizeof qi;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &qi, &qlen) == 0) {
        queued = qi.tcpi_unacked;
        backlog = qi.tcpi_sacked;
    }
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
        struct wt_endpoint client;
        wt_endpoint_from_sockaddr((struct sockaddr *)&ss, &client);
        size_t from_client;
        const char *full = make_room(s, &client, &from_client);
        if (full) {
            refuse(s, cfd, &client, full, from_client);
            continue;
        }
        struct conn *c = calloc(1, sizeof *c);
        if (c)
            c->req = wt_request_new();
        if (!c || !c->req) {
            free(c);
            refuse(s, cfd, &client, N_("out of memory"), from_client);
            continue;
        }
        c->srv = s;
        c->fd = cfd;
        c->fd_number = cfd;
        c->id = ++s->next_id;
        c->tls_ready = s->tls == NULL;
        c->client = client;
        c->idle_since = wt_loop_now(loop);
        struct sockaddr_storage ls;
        socklen_t llen = sizeof ls;
        if (getsockname(cfd, (struct sockaddr *)&ls, &llen) == 0)
            wt_endpoint_from_sockaddr((struct sockaddr *)&ls, &c->local);
        int one = 1;
        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->next = s->conns;
        if (s->conns)
            s->conns->prev = c;
        s->conns = c;
        s->n_conns++;

        report_syn(s, fd, c, queued, backlog);
        if (queued > 0)
            queued--;
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
    if (s->cfg.narrate_calls) {
        int saved = errno;
        struct wt_event ev = call_event(0, WT_CALL_SOCKET, -1, fd, saved);
        ev.u.socket_call.family = sa->sa_family;
        emit(s, &ev);
        errno = saved;
    }
    int one = 1;
    int failed = fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
                 (sa->sa_family == AF_INET6 &&
                  setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) < 0);
    /* The kernel keeps each client's SYN for accept() to read back
     * (TCP_SAVED_SYN, Linux 4.2): its initial number, options and TTL.
     * Best effort: without it only the accept queue is told. */
    if (!failed)
        setsockopt(fd, IPPROTO_TCP, TCP_SAVE_SYN, &one, sizeof one);
    if (!failed) {
        int rc = bind(fd, sa, len);
        failed = rc < 0;
        if (s->cfg.narrate_calls) {
            int saved = errno;
            struct wt_event ev = call_event(0, WT_CALL_BIND, fd, rc, saved);
            wt_endpoint_from_sockaddr(sa, &ev.u.socket_call.addr);
            emit(s, &ev);
            errno = saved;
        }
    }
    if (!failed) {
        int rc = listen(fd, WT_SERVE_BACKLOG);
        failed = rc < 0;
        if (s->cfg.narrate_calls) {
            int saved = errno;
            struct wt_event ev = call_event(0, WT_CALL_LISTEN, fd, rc, saved);
            ev.u.socket_call.backlog = WT_SERVE_BACKLOG;
            emit(s, &ev);
            errno = saved;
        }
    }
    if (failed) {
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
        s->pattern[i] = PATTERN[i % PATTERN_LEN];
    s->narration = narration_kind_of(STDERR_FILENO);
    narration_measure(s);
    s->max_conns = config->max_connections ? config->max_connections : WT_SERVE_MAX_CONNECTIONS;
    s->max_per_client = config->max_per_client ? config->max_per_client : WT_SERVE_MAX_PER_CLIENT;
    /* Every connection is a descriptor: take the whole allowance the
     * system grants, and hold fewer connections if it is still short. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        if (rl.rlim_cur < rl.rlim_max) {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
            getrlimit(RLIMIT_NOFILE, &rl);
        }
        rlim_t spare = rl.rlim_cur > FD_RESERVE + WT_SERVE_MAX_REFUSING
                           ? rl.rlim_cur - FD_RESERVE - WT_SERVE_MAX_REFUSING : 1;
        if (rl.rlim_cur != RLIM_INFINITY && spare < s->max_conns)
            s->max_conns = (size_t)spare;
    }
    if (s->max_per_client > s->max_conns)
        s->max_per_client = s->max_conns;

    const char *addr = config->bind_addr ? config->bind_addr : "127.0.0.1";
    struct sockaddr_storage ss;
    socklen_t len;
    if (wt_sockaddr_from_text(addr, config->port, &ss, &len) < 0) {
        wt_errf(err, errlen, "--bind needs a numeric IP address, not '%.64s'", addr);
        free(s);
        return NULL;
    }
    if (config->tls) {
        /* h2 is offered when libnghttp2 can be loaded; else HTTP/1.1 only */
        char h2_err[200];
        int offer_h2 = wt_h2_load(h2_err, sizeof h2_err) == 0;
        s->tls = wt_tls_server_new(config->cert_file, config->key_file, offer_h2, err, errlen);
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
    /* HTTP/2 clients hear GOAWAY before the close: one try, no waiting */
    for (struct conn *c = s->conns; c; c = c->next) {
        if (!c->h2 || c->fd < 0 || c->h2_write_blocked)
            continue;
        wt_h2_server_goaway(c->h2);
        const char *data;
        size_t len = wt_h2_server_output(c->h2, &data);
        int want;
        if (len && conn_write(c, data, len, &want) > 0)
            wt_h2_server_sent(c->h2, len);
    }
    s->freeing = 1;
    while (s->conns)
        conn_free(s->conns);
    while (s->refused)
        refused_free(s->refused);
    narration_report(s);
    wt_loop_timer_cancel(s->loop, s->narration_timer);
    if (s->narration_lost && s->narration != NARRATION_FILE) {
        /* Still nobody reading at shutdown: what is left to say (here and
         * by the caller) is dropped rather than waited for forever. */
        int flags = fcntl(STDERR_FILENO, F_GETFL);
        if (flags >= 0)
            fcntl(STDERR_FILENO, F_SETFL, flags | O_NONBLOCK);
    }
    for (size_t i = 0; i < s->n_listen; i++) {
        wt_loop_unwatch(s->loop, s->listen_fd[i]);
        close(s->listen_fd[i]);
    }
    wt_tls_server_free(s->tls);
    free(s);
}
