#include "webtrace/trace.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "webtrace/capture.h"
#include "webtrace/decode.h"
#include "webtrace/cookie.h"
#include "webtrace/dns.h"
#include "webtrace/exitcode.h"
#include "webtrace/h2.h"
#include "webtrace/http.h"
#include "webtrace/proxy.h"
#include "webtrace/range.h"
#include "webtrace/route.h"
#include "webtrace/tcp.h"
#include "webtrace/tls.h"
#include "webtrace/tls_words.h"
#include "webtrace/url.h"
#include "webtrace/escape.h"
#include "webtrace/i18n.h"
#include "wt_config.h"

#define READ_BUF_SIZE (256 * 1024)  /* one read() of the response */
#define READS_PER_WAKEUP 64          /* then let the loop serve others */

#define N_PHASES (WT_PHASE_FAILED + 1)
/* A wait shorter than this (loopback, a resolver on the LAN) would end
 * inside a TLS set-up step (each takes about a millisecond), and the reply
 * would sit unread until the step ends: start the set-up only once the
 * network has kept us waiting this long. */
#define TLS_SETUP_GRACE_US 1000

struct wt_trace {
    struct wt_loop *loop;
    struct wt_trace_params p;
    const struct wt_options *opt;
    struct wt_event_sink stamped;    /* mechanics emit here */
    enum wt_phase phase;
    int64_t t0;
    int64_t phase_at[N_PHASES];      /* loop time each phase was entered, -1 never */

    struct wt_url url;
    int have_url;
    struct wt_dns_lookup *dns;
    struct wt_endpoint *addresses;   /* every address to race, no cap */
    size_t n_addresses;
    struct wt_tcp_connector *connector;
    uint16_t connect_port;           /* the URL's, unless --connect-to says otherwise */
    struct wt_tls *tls;              /* https only */
    int fd;
    struct wt_endpoint local, remote;
    struct wt_http_request request;
    size_t request_sent;
    int expect;                      /* Expect: 100-continue, enum expect_state */
    uint64_t expect_timer;           /* --expect100-timeout, or "send now" after the 100 */
    int64_t expect_since_us;         /* when the head went out without its body */
    struct wt_http_reader *reader;
    struct wt_h2 *h2;                /* the response comes as HTTP/2 frames (ALPN h2, or h2c) */
    struct wt_h2_stream *stream;     /* this request's stream on it */
    /* On HTTP/2, fd, tls and h2 are the connection's (conn): its one
     * reader reads for every stream on it, this request's among them. */
    int shared;
    struct wt_body_sink *body;
    struct wt_decoder *decoder;      /* --compressed and a Content-Encoding */
    int decode_failed;               /* the reader stopped because decoding failed */
    int range_sent;                  /* -r or -C put a Range in this request (not HEAD) */
    int64_t resume_from;             /* -C: the offset asked for */
    char *content_range;             /* the final response's first Content-Range */
    size_t content_range_len;
    enum wt_range_outcome range_outcome;
    int range_failed;                /* -C, and the server ignored the range: 33 */
    char range_error[200];
    uint64_t rate_pauses;            /* --limit-rate: times reading was paused */
    int64_t rate_paused_us;          /* and for how long in all */
    int64_t progress_at;             /* loop time of the last body progress sample */
    struct wt_tcp_teardown *teardown;
    struct wt_capture *capture;      /* --packets */
    int fd_number;                   /* the connection's descriptor, for the narration */
    int64_t capture_setup_us;        /* opening it, before the SYN: not connect time */
    int64_t route_us;                /* reading the route: not teardown time */
    char *readbuf;
    int peer_closed;
    int final_status;
    char *location;                  /* first Location of the final response */
    size_t location_len;
    int skip_body;                   /* a redirect to follow: its body goes nowhere */
    struct wt_conn *conn;            /* the connection's record while the trace holds it */
    int reused;                      /* conn came idle from the pool: no DNS, TCP or TLS */
    int kept;                        /* conn went back to the pool: no teardown here */
    int wants_retry;
    int aborted;                     /* ended from outside: no retry, whatever the phase */
    uint32_t dns_min_ttl;            /* the smallest TTL of the lookup's records */
    const char *lookup_host;         /* the name asked for (the URL's, or --connect-to's) */
    struct wt_proxy_choice proxy;    /* through a proxy (-x, the environment) or direct */
    char via[WT_POOL_VIA_MAX];       /* the pool's key for that proxy, "" direct */
    const char *tunnel_host;         /* CONNECT's host: the URL's, or --connect-to's */
    uint16_t tunnel_port;
    char *tunnel_request;            /* the CONNECT request, heap */
    size_t tunnel_request_len, tunnel_sent;
    char *tunnel_reply;              /* its answer's head as it arrives */
    size_t tunnel_reply_len;
    int64_t tunnel_sent_at;

    uint64_t max_time_timer;
    uint64_t connect_timer;
    uint64_t tls_setup_timer;        /* starts the TLS set-up once a wait has lasted */
    uint64_t resume_timer;           /* more TLS bytes to read without a wakeup */
    int64_t tls_setup_inline_us;     /* TLS set-up left for the TLS phase to do */
    int finished;
    int exit_code;
    char body_error[256];
    int body_failed;          /* the reader stopped because the sink failed */
    int body_code;            /* its exit code (23) */
    int shown_status;         /* the status line being read, interim ones too */
    char error_message[512];
};

static void trace_enter(struct wt_trace *t, enum wt_phase next);
static void h2_flush_last(struct wt_trace *t);
static int leave_shared(struct wt_trace *t);
static uint64_t response_bytes_fed(const struct wt_trace *t);

static void narrate_teardown_calls(struct wt_trace *t, const struct wt_event *ev);

static void stamp_and_forward(void *ctx, const struct wt_event *ev)
{
    struct wt_trace *t = ctx;
    if (ev->kind == WT_EV_TCP_TEARDOWN)
        narrate_teardown_calls(t, ev);
    struct wt_event e = *ev;
    e.url_index = t->p.url_index;
    e.hop = t->p.hop;
    /* h2.c knows no phases: its frames happen in the one the trace is in */
    if (e.kind == WT_EV_H2_FRAME || e.kind == WT_EV_H2_STREAM)
        e.phase = t->phase;
    if (e.kind == WT_EV_TCP_ESTABLISHED && t->conn)
        e.u.tcp_established.conn = t->conn->id;
    if (e.kind == WT_EV_TCP_ESTABLISHED)
        e.u.tcp_established.to_proxy = t->proxy.use;
    /* the answer chain lives as long as its shortest-lived record */
    if (e.kind == WT_EV_DNS_RECORD && e.u.dns_record.ttl < t->dns_min_ttl)
        t->dns_min_ttl = e.u.dns_record.ttl;
    e.t_us = wt_loop_now(t->loop) - t->p.transfer_t0;
    t->p.sink->emit(t->p.sink->ctx, &e);
}

static void emit(struct wt_trace *t, struct wt_event *ev)
{
    ev->phase = t->phase;
    stamp_and_forward(t, ev);
}

static int64_t span(const struct wt_trace *t, enum wt_phase from, enum wt_phase to)
{
    if (t->phase_at[from] < 0 || t->phase_at[to] < 0)
        return -1;
    return t->phase_at[to] - t->phase_at[from];
}

static void release_mechanics(struct wt_trace *t)
{
    if (t->shared)
        (void)leave_shared(t);   /* the last to leave gets fd, tls and h2 back */
    wt_dns_lookup_free(t->dns);
    t->dns = NULL;
    wt_tcp_connector_free(t->connector);
    t->connector = NULL;
    wt_tls_free(t->tls);
    t->tls = NULL;
    wt_h2_free(t->h2);
    t->h2 = NULL;
    wt_tcp_teardown_free(t->teardown);
    t->teardown = NULL;
    wt_conn_free(t->conn);   /* its fd and TLS are the trace's own until kept */
    t->conn = NULL;
    wt_capture_free(t->capture);
    t->capture = NULL;
    free(t->tunnel_request);
    t->tunnel_request = NULL;
    free(t->tunnel_reply);
    t->tunnel_reply = NULL;
    if (t->fd >= 0) {
        wt_loop_unwatch(t->loop, t->fd);
        close(t->fd);
        t->fd = -1;
    }
    wt_loop_timer_cancel(t->loop, t->max_time_timer);
    wt_loop_timer_cancel(t->loop, t->connect_timer);
    wt_loop_timer_cancel(t->loop, t->resume_timer);
    wt_loop_timer_cancel(t->loop, t->tls_setup_timer);
    wt_loop_timer_cancel(t->loop, t->expect_timer);
    t->max_time_timer = t->connect_timer = t->resume_timer = t->tls_setup_timer = 0;
    t->expect_timer = 0;
}

static void emit_summary(struct wt_trace *t, int64_t end_us)
{
    struct wt_event ev = { .kind = WT_EV_SUMMARY };
    int tls = t->phase_at[WT_PHASE_TLS] >= 0;
    /* An IP literal needs no lookup: no DNS time, rather than 0. */
    ev.u.summary.dns_us = t->have_url && t->url.host_kind != WT_HOST_NAME
                              ? -1 : span(t, WT_PHASE_DNS, WT_PHASE_CONNECT);
    ev.u.summary.connect_us = span(t, WT_PHASE_CONNECT, tls ? WT_PHASE_TLS : WT_PHASE_SEND);
    if (ev.u.summary.connect_us >= t->capture_setup_us)
        ev.u.summary.connect_us -= t->capture_setup_us;
    /* The tls phase is the handshake: set-up work it had to wait for is a
     * figure of its own. */
    int64_t handshake = tls ? span(t, WT_PHASE_TLS, WT_PHASE_SEND) : -1;
    ev.u.summary.tls_us = handshake >= 0 ? handshake - t->tls_setup_inline_us : -1;
    ev.u.summary.tls_setup_us = tls ? t->tls_setup_inline_us : -1;
    ev.u.summary.wait_us = span(t, WT_PHASE_WAIT, WT_PHASE_RECEIVE);
    ev.u.summary.transfer_us = span(t, WT_PHASE_RECEIVE, WT_PHASE_CLOSE);
    ev.u.summary.total_us = end_us - t->t0;
    ev.u.summary.teardown_us = t->kept ? -1 : span(t, WT_PHASE_CLOSE, WT_PHASE_DONE);
    /* the route lookup runs at the close; it is not the teardown's time */
    if (ev.u.summary.teardown_us >= t->route_us)
        ev.u.summary.teardown_us -= t->route_us;
    if (t->reused) {
        /* entered and left at once: nothing happened in them */
        ev.u.summary.dns_us = ev.u.summary.connect_us = ev.u.summary.tls_us = -1;
        ev.u.summary.tls_setup_us = -1;
    }
    emit(t, &ev);
}

/* The one way a trace fails: one error record, one exit code. */
static void trace_fail(struct wt_trace *t, const char *step, int exit_code, const char *message)
{
    if (t->finished)
        return;
    /* message may live inside a mechanic released below: keep a copy */
    snprintf(t->error_message, sizeof t->error_message, "%s", message);
    message = t->error_message;
    enum wt_phase failed_in = t->phase;
    /* (an EOF enters RECEIVE before the reader sees it) */
    if (t->reused && !t->aborted && failed_in >= WT_PHASE_SEND &&
        failed_in <= WT_PHASE_RECEIVE && response_bytes_fed(t) == 0 &&
        !t->body_failed) {
        /* The server closed the idle connection as we used it: the
         * transfer sends the request again on a new one (no error yet). */
        struct wt_event rev = { .kind = WT_EV_CONN_RETRY };
        rev.u.conn.id = t->conn ? t->conn->id : 0;
        rev.u.conn.scheme = t->url.scheme;
        rev.u.conn.host = t->url.host;
        rev.u.conn.port = t->url.port;
        rev.u.conn.idle_us = -1;
        rev.u.conn.message = message;
        emit(t, &rev);
        release_mechanics(t);
        t->exit_code = exit_code;
        t->wants_retry = 1;
        trace_enter(t, WT_PHASE_FAILED);
        return;
    }
    h2_flush_last(t);
    release_mechanics(t);
    t->exit_code = exit_code;
    t->phase = failed_in;
    struct wt_event ev = { .kind = WT_EV_ERROR };
    ev.u.error.step = step;
    ev.u.error.exit_code = exit_code;
    ev.u.error.message = message;
    emit(t, &ev);
    trace_enter(t, WT_PHASE_FAILED);
}

/* The error line's step for a failure while in phase. */
static const char *step_of(enum wt_phase phase)
{
    switch (phase) {
    case WT_PHASE_URL:
        return "url";
    case WT_PHASE_DNS:
        return "dns";
    case WT_PHASE_CONNECT:
        return "tcp";
    case WT_PHASE_TLS:
        return "tls";
    default:
        return "http";
    }
}

/* ---- the socket calls, named under --explain -------------------------- */

/* Only plain TCP: through TLS, OpenSSL makes the calls (read, write). */
static void narrate_call(struct wt_trace *t, enum wt_socket_call call, int fd, int64_t result,
                         size_t len)
{
    if (!t->opt->explain)
        return;
    int saved = errno;
    struct wt_event ev = { .kind = WT_EV_SOCKET_CALL };
    ev.u.socket_call.call = call;
    ev.u.socket_call.fd = fd;
    ev.u.socket_call.result = result;
    ev.u.socket_call.err = result < 0 ? saved : 0;
    ev.u.socket_call.len = len;
    ev.u.socket_call.backlog = -1;
    emit(t, &ev);
    errno = saved;
}

/* The connector made them before the SYN; named once the winner is known.
 * A non-blocking connect() always returns EINPROGRESS for TCP: the
 * handshake finishes later, when the socket turns writable. */
static void narrate_connect(struct wt_trace *t)
{
    if (!t->opt->explain)
        return;
    struct wt_event ev = { .kind = WT_EV_SOCKET_CALL };
    ev.u.socket_call.call = WT_CALL_SOCKET;
    ev.u.socket_call.fd = -1;
    ev.u.socket_call.result = t->fd;
    ev.u.socket_call.family = t->remote.family;
    ev.u.socket_call.backlog = -1;
    emit(t, &ev);
    ev.u.socket_call.call = WT_CALL_CONNECT;
    ev.u.socket_call.fd = t->fd;
    ev.u.socket_call.result = -1;
    ev.u.socket_call.err = EINPROGRESS;
    ev.u.socket_call.addr = t->remote;
    emit(t, &ev);
}

/* The teardown observer made the connection's last calls before it
 * reports: a shutdown when we closed first, then the close. */
static void narrate_teardown_calls(struct wt_trace *t, const struct wt_event *ev)
{
    if (ev->u.tcp_teardown.we_closed_first)
        narrate_call(t, WT_CALL_SHUTDOWN, t->fd_number, 0, 0);
    narrate_call(t, WT_CALL_CLOSE, t->fd_number, 0, 0);
}

/* ---- timers --------------------------------------------------------- */

static void on_max_time(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct wt_trace *t = data;
    t->max_time_timer = 0;
    if (t->phase == WT_PHASE_CLOSE)
        return;  /* the transfer is complete; the teardown has its own bound */
    wt_tcp_connector_expire(t->connector);  /* the race's attempts are told first */
    char msg[160];
    wt_errf(msg, sizeof msg, "operation timed out after %ld ms (--max-time) while in the %s step",
             t->opt->max_time_ms, wt_phase_name(t->phase));
    trace_fail(t, step_of(t->phase), WT_EXIT_TIMEOUT, msg);
}

static void on_connect_timeout(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct wt_trace *t = data;
    t->connect_timer = 0;
    if (t->phase > WT_PHASE_TLS)
        return;
    wt_tcp_connector_expire(t->connector);
    char msg[160];
    wt_errf(msg, sizeof msg, "no connection within %ld ms (--connect-timeout) while in the %s step",
             t->opt->connect_timeout_ms, wt_phase_name(t->phase));
    trace_fail(t, t->phase == WT_PHASE_DNS ? "dns" : t->phase == WT_PHASE_TLS ? "tls" : "tcp",
               WT_EXIT_TIMEOUT, msg);
}

/* ---- a reused connection -------------------------------------------- */

/* A phase a reused connection makes unneeded is still entered (and
 * stamped) by trace_enter, then left at once with an event saying why. */
static void skip_phase(struct wt_trace *t)
{
    struct wt_event ev = { .kind = WT_EV_PHASE_SKIPPED };
    ev.u.phase_skipped.skipped = t->phase;
    ev.u.phase_skipped.conn = t->conn ? t->conn->id : 0;
    emit(t, &ev);
}

/* Takes an idle connection to the origin from the pool, if there is one
 * still open. */
static void try_reuse(struct wt_trace *t)
{
    if (!t->p.pool || t->opt->no_keepalive || t->p.fresh_connection)
        return;
    struct wt_pool_stale stale;
    struct wt_conn *c = wt_pool_take_via(t->p.pool, t->url.scheme, t->url.host, t->url.port,
                                         t->via, &stale);
    if (stale.id) {
        struct wt_event ev = { .kind = WT_EV_CONN_STALE };
        ev.u.conn.id = stale.id;
        ev.u.conn.scheme = t->url.scheme;
        ev.u.conn.host = t->url.host;
        ev.u.conn.port = t->url.port;
        ev.u.conn.idle_us = stale.idle_us;
        ev.u.conn.peer_closed = stale.peer_closed;
        emit(t, &ev);
    }
    if (!c)
        return;
    struct wt_event ev = { .kind = WT_EV_CONN_REUSE };
    ev.u.conn.id = c->id;
    ev.u.conn.scheme = c->scheme;
    ev.u.conn.host = c->host;
    ev.u.conn.port = c->port;
    ev.u.conn.requests = c->requests;
    ev.u.conn.idle_us = c->shared ? 0 : wt_loop_now(t->loop) - c->idle_since;
    t->conn = c;
    t->reused = 1;
    if (c->h2) {
        /* HTTP/2: one more stream on it, idle or carrying others */
        ev.u.conn.streams = c->shared ? wt_h2_streams(c->h2) : 0;
        t->shared = 1;
        t->fd = c->fd;
        t->tls = c->tls;
        t->h2 = c->h2;
        t->local = c->local;
        t->remote = c->remote;
        if (!c->owner)
            c->owner = &t->stamped;
        wt_pool_share(t->p.pool, c);
        emit(t, &ev);
        return;
    }
    t->fd = c->fd;
    t->tls = c->tls;
    t->h2 = c->h2;
    t->local = c->local;
    t->remote = c->remote;
    c->fd = -1;
    c->tls = NULL;
    c->h2 = NULL;
    c->owner = &t->stamped;
    emit(t, &ev);
}

/* ---- DNS ------------------------------------------------------------- */

static int ip_family(const struct wt_options *opt);

/* Room for n addresses in t->addresses (n_addresses set to 0); on failure
 * the trace has failed. */
static int reserve_addresses(struct wt_trace *t, size_t n)
{
    struct wt_endpoint *a = realloc(t->addresses, (n ? n : 1) * sizeof *a);
    if (!a) {
        trace_fail(t, "dns", WT_EXIT_OUT_OF_MEMORY, N_("out of memory"));
        return -1;
    }
    t->addresses = a;
    t->n_addresses = 0;
    return 0;
}

static void on_dns_done(void *ctx, const struct wt_dns_result *res)
{
    struct wt_trace *t = ctx;
    if (res->exit_code) {
        if (t->proxy.use && res->exit_code == WT_EXIT_RESOLVE) {
            /* curl's code for a proxy that does not resolve */
            char msg[600];
            wt_errf(msg, sizeof msg, "could not resolve the proxy %s: %s", t->proxy.proxy.host,
                    res->message);
            trace_fail(t, "dns", WT_EXIT_RESOLVE_PROXY, msg);
            return;
        }
        trace_fail(t, "dns", res->exit_code, res->message);
        return;
    }
    if (reserve_addresses(t, res->n_addresses) < 0)
        return;
    t->n_addresses = res->n_addresses;
    memcpy(t->addresses, res->addresses, res->n_addresses * sizeof res->addresses[0]);
    if (t->p.dns_cache && res->source == WT_DNS_FROM_SERVER && t->dns_min_ttl != UINT32_MAX)
        wt_dns_cache_put(t->p.dns_cache, t->lookup_host, ip_family(t->opt), t->addresses,
                         t->n_addresses, t->dns_min_ttl, wt_loop_now(t->loop));
    wt_dns_lookup_free(t->dns);
    t->dns = NULL;
    trace_enter(t, WT_PHASE_CONNECT);
}

static int ip_family(const struct wt_options *opt)
{
    return opt->ip_family == 4 ? AF_INET : opt->ip_family == 6 ? AF_INET6 : AF_UNSPEC;
}

/* --connect-to: the first rule matching the URL's host and port names what
 * is connected to instead; the URL's name stays for SNI, Host and the
 * certificate check. */
static const struct wt_connect_to *find_connect_to(const struct wt_trace *t)
{
    for (size_t i = 0; i < t->opt->n_connect_to; i++) {
        const struct wt_connect_to *r = &t->opt->connect_to[i];
        if ((r->host[0] && strcasecmp(r->host, t->url.host) != 0) ||
            (r->port >= 0 && r->port != t->url.port))
            continue;
        return r;
    }
    return NULL;
}

static const char *apply_connect_to(struct wt_trace *t, uint16_t *port)
{
    const struct wt_connect_to *r = find_connect_to(t);
    if (r) {
        const char *host = r->to_host[0] ? r->to_host : t->url.host;
        *port = r->to_port >= 0 ? (uint16_t)r->to_port : t->url.port;
        if (!strcasecmp(host, t->url.host) && *port == t->url.port)
            return t->url.host;  /* the rule matched and changes nothing */
        struct wt_event ev = { .kind = WT_EV_CONNECT_TO };
        ev.u.connect_to.host = t->url.host;
        ev.u.connect_to.port = t->url.port;
        ev.u.connect_to.to_host = host;
        ev.u.connect_to.to_port = *port;
        ev.u.connect_to.rule = r->text;
        emit(t, &ev);
        return host;
    }
    *port = t->url.port;
    return t->url.host;
}

/* --resolve: the last entry for this host and port, else the last for any
 * host (*) on this port, as curl's DNS cache has it. */
static const struct wt_resolve_entry *find_pinned(const struct wt_options *opt,
                                                  const char *host, uint16_t port)
{
    const struct wt_resolve_entry *any = NULL;
    for (size_t i = opt->n_resolve; i-- > 0;) {
        const struct wt_resolve_entry *e = &opt->resolve[i];
        if (e->port != port)
            continue;
        if (strcasecmp(e->host, host) == 0)
            return e;
        if (!any && !strcmp(e->host, "*"))
            any = e;
    }
    return any;
}

static int literal_family(const char *host)
{
    unsigned char bin[16];
    return inet_pton(AF_INET, host, bin) == 1 ? AF_INET
           : inet_pton(AF_INET6, host, bin) == 1 ? AF_INET6 : 0;
}

static void start_dns(struct wt_trace *t)
{
    if (t->reused) {
        skip_phase(t);
        trace_enter(t, WT_PHASE_CONNECT);
        return;
    }
    int want = ip_family(t->opt);
    /* Through a proxy, only the proxy's name is looked up: the proxy finds
     * the origin (a --connect-to rule named the tunnel's end instead). */
    const char *host = t->proxy.use ? t->proxy.proxy.host : apply_connect_to(t, &t->connect_port);
    if (t->proxy.use)
        t->connect_port = t->proxy.proxy.port;
    int fam = literal_family(host);
    if (fam) {
        struct wt_event ev = { .kind = WT_EV_DNS_LITERAL };
        ev.u.dns_literal.literal = host;
        ev.u.dns_literal.family = fam;
        emit(t, &ev);
        if (want != AF_UNSPEC && want != fam) {
            char msg[WT_HOST_MAX_LEN + 64];
            wt_errf(msg, sizeof msg, "%s is an IPv%d address but -%d asks for IPv%d",
                     host, fam == AF_INET ? 4 : 6, t->opt->ip_family,
                     t->opt->ip_family);
            trace_fail(t, "dns", WT_EXIT_RESOLVE, msg);
            return;
        }
        if (reserve_addresses(t, 1) < 0)
            return;
        memset(&t->addresses[0], 0, sizeof t->addresses[0]);
        /* A parsed literal always fits an address buffer. */
        memcpy(t->addresses[0].addr, host, strnlen(host, sizeof t->addresses[0].addr - 1));
        t->addresses[0].family = fam;
        t->n_addresses = 1;
        trace_enter(t, WT_PHASE_CONNECT);
        return;
    }
    const struct wt_resolve_entry *pin = find_pinned(t->opt, host, t->connect_port);
    if (pin) {
        size_t dropped = 0;
        if (reserve_addresses(t, pin->n_addrs) < 0)
            return;
        for (size_t i = 0; i < pin->n_addrs; i++) {
            int f = literal_family(pin->addrs[i]);
            if (want != AF_UNSPEC && f != want) {
                dropped++;
                continue;
            }
            struct wt_endpoint *ep = &t->addresses[t->n_addresses++];
            memset(ep, 0, sizeof *ep);
            snprintf(ep->addr, sizeof ep->addr, "%s", pin->addrs[i]);
            ep->family = f;
        }
        struct wt_event ev = { .kind = WT_EV_DNS_PINNED };
        ev.u.dns_pinned.name = host;
        ev.u.dns_pinned.port = t->connect_port;
        ev.u.dns_pinned.n_addresses = t->n_addresses;
        ev.u.dns_pinned.addresses = t->addresses;
        ev.u.dns_pinned.n_dropped = dropped;
        ev.u.dns_pinned.rule = pin->text;
        emit(t, &ev);
        if (t->n_addresses == 0) {
            char msg[WT_HOST_MAX_LEN + 96];
            wt_errf(msg, sizeof msg, "--resolve gives %s:%u no IPv%d address (-%d)", host,
                     t->connect_port, t->opt->ip_family, t->opt->ip_family);
            trace_fail(t, "dns", WT_EXIT_RESOLVE, msg);
            return;
        }
        trace_enter(t, WT_PHASE_CONNECT);
        return;
    }
    size_t n_cached;
    int64_t left_us;
    const struct wt_endpoint *cached;
    if (t->p.dns_cache && wt_dns_cache_get(t->p.dns_cache, host, want, wt_loop_now(t->loop),
                                           &cached, &n_cached, &left_us)) {
        if (reserve_addresses(t, n_cached) < 0)
            return;
        memcpy(t->addresses, cached, n_cached * sizeof *cached);
        t->n_addresses = n_cached;
        struct wt_event ev = { .kind = WT_EV_DNS_DONE };
        ev.u.dns_done.name = host;
        ev.u.dns_done.source = WT_DNS_FROM_CACHE;
        ev.u.dns_done.n_addresses = n_cached;
        ev.u.dns_done.addresses = t->addresses;
        ev.u.dns_done.ttl_left_us = left_us;
        emit(t, &ev);
        trace_enter(t, WT_PHASE_CONNECT);
        return;
    }
    t->dns_min_ttl = UINT32_MAX;
    t->lookup_host = host;
    struct wt_dns_config cfg = {
        .servers = t->opt->dns_servers,
        .n_servers = t->opt->n_dns_servers,
        .timeout_ms = t->opt->dns_timeout_ms,
        .family = want,
    };
    char err[256];
    t->dns = wt_dns_lookup_start(t->loop, &cfg, host, &t->stamped, on_dns_done, t,
                                 err, sizeof err);
    if (!t->dns)
        trace_fail(t, "dns", WT_EXIT_RESOLVE, err);
}

/* ---- TCP ------------------------------------------------------------- */

static void start_tunnel(struct wt_trace *t);

static void on_connected(void *ctx, int fd, int exit_code, const char *message)
{
    struct wt_trace *t = ctx;
    if (fd < 0) {
        trace_fail(t, "tcp", exit_code, message);
        return;
    }
    wt_tcp_connector_free(t->connector);
    t->connector = NULL;
    t->fd = fd;
    t->fd_number = fd;
    wt_tcp_endpoints(fd, &t->local, &t->remote);
    wt_capture_set_connection(t->capture, &t->local, &t->remote);
    narrate_connect(t);
    if (t->proxy.use && t->proxy.tunnel) {
        start_tunnel(t);
        return;
    }
    trace_enter(t, t->url.scheme == WT_SCHEME_HTTPS ? WT_PHASE_TLS : WT_PHASE_SEND);
}

/* ---- TLS ------------------------------------------------------------- */

/* The module says its sentences in English (tls_words.h): the narration's
 * words for them are found here, on this side of the module boundary. */
static const char *tls_said(const char *message)
{
    static const char *const sentences[] = WT_TLS_SENTENCES;
    wt_i18n_adopt(message, sentences, sizeof sentences / sizeof sentences[0]);
    return message;
}

static void on_tls_done(void *ctx, int exit_code, const char *message)
{
    struct wt_trace *t = ctx;
    if (exit_code) {
        trace_fail(t, "tls", exit_code, tls_said(message));
        return;
    }
    trace_enter(t, WT_PHASE_SEND);
}

static void begin_tls_setup(struct wt_loop *loop, void *data)
{
    struct wt_trace *t = data;
    t->tls_setup_timer = 0;
    wt_tls_setup_begin(t->p.tls_setup, loop);
    /* ALPN may well pick h2: its library loads while the network is slow,
     * not after the handshake (a failure is told when h2 is spoken). */
    if (t->opt->http_version != WT_HTTP_VERSION_1_1)
        (void)wt_h2_load(NULL, 0);
}

static void start_tls(struct wt_trace *t)
{
    wt_loop_timer_cancel(t->loop, t->tls_setup_timer);
    t->tls_setup_timer = 0;
    if (t->reused) {
        skip_phase(t);
        trace_enter(t, WT_PHASE_SEND);
        return;
    }
    char err[320];
    int code = WT_EXIT_TLS_CONNECT;
    struct wt_tls_setup_report rep;
    struct wt_tls_config *config = wt_tls_setup_finish(t->p.tls_setup, t->loop, &rep, &code,
                                                       err, sizeof err);
    t->tls_setup_inline_us = rep.inline_us;
    if (!config) {
        trace_fail(t, "tls", code, tls_said(err));
        return;
    }
    struct wt_tls_setup_figures fig = {
        .reused = rep.reused,
        .total_us = rep.total_us,
        .inline_us = rep.inline_us,
        .during_connect_us = wt_tls_setup_overlap(&rep, t->phase_at[WT_PHASE_CONNECT],
                                                  t->phase_at[WT_PHASE_TLS]),
    };
    if (t->phase_at[WT_PHASE_DNS] >= 0 && t->phase_at[WT_PHASE_CONNECT] >= 0)
        fig.during_dns_us = wt_tls_setup_overlap(&rep, t->phase_at[WT_PHASE_DNS],
                                                 t->phase_at[WT_PHASE_CONNECT]);
    /* Through the connection's relay: the session may outlive this trace. */
    t->tls = wt_tls_start(t->loop, t->fd, t->url.host, t->url.host_kind != WT_HOST_NAME, config,
                          &fig, t->conn ? &t->conn->relay : &t->stamped, on_tls_done, t,
                          &code, err, sizeof err);
    if (!t->tls)
        trace_fail(t, "tls", code, tls_said(err));
}

/* ---- the connection's bytes, plain or through TLS ----------------------- */

enum { CONN_WOULD_BLOCK = -1, CONN_FAILED = -2, CONN_UNCLEAN_EOF = -3 };

static ssize_t conn_send(struct wt_trace *t, const char *buf, size_t len, int *want)
{
    if (t->tls) {
        ssize_t n = wt_tls_write(t->tls, buf, len, want);
        return n == 0 ? CONN_FAILED : n;
    }
    ssize_t n = send(t->fd, buf, len, MSG_NOSIGNAL);
    if (n >= 0 || (errno != EAGAIN && errno != EINTR))
        narrate_call(t, WT_CALL_SEND, t->fd, n, len);
    if (n >= 0)
        return n;
    *want = WT_LOOP_WRITE;
    return (errno == EAGAIN || errno == EINTR) ? CONN_WOULD_BLOCK : CONN_FAILED;
}

static ssize_t conn_recv(struct wt_trace *t, char *buf, size_t len, int *want)
{
    if (t->tls)
        return wt_tls_read(t->tls, buf, len, want);
    ssize_t n = recv(t->fd, buf, len, 0);
    if (n >= 0 || (errno != EAGAIN && errno != EINTR))
        narrate_call(t, WT_CALL_RECV, t->fd, n, len);
    if (n >= 0)
        return n;
    *want = WT_LOOP_READ;
    return (errno == EAGAIN || errno == EINTR) ? CONN_WOULD_BLOCK : CONN_FAILED;
}

static const char *conn_error(struct wt_trace *t, int saved_errno)
{
    return t->tls ? tls_said(wt_tls_error(t->tls)) : strerror(saved_errno);
}

/* Sends what the HTTP/2 session has queued (ACKs, WINDOW_UPDATEs, the
 * rest of a request body). 1 all sent, 0 the socket is full (*want says
 * what to wait for), -1 failed (errno kept for conn_error). */
static int h2_flush(struct wt_trace *t, int *want)
{
    const char *data;
    size_t left;
    while ((left = wt_h2_output(t->h2, &data)) > 0) {
        ssize_t n = conn_send(t, data, left, want);
        if (n == CONN_WOULD_BLOCK)
            return 0;
        if (n < 0)
            return -1;
        wt_h2_sent(t->h2, (size_t)n);
    }
    return 1;
}

/* A failing HTTP/2 connection says why with a GOAWAY when the socket
 * takes it at once; nobody waits for it. */
static void h2_flush_last(struct wt_trace *t)
{
    int want = WT_LOOP_WRITE;
    if (t->h2 && t->fd >= 0)
        (void)h2_flush(t, &want);
}

/* ---- a shared HTTP/2 connection: one reader for all its streams ------- */

/* One thread, one loop: the connections' readers take turns with it. */
static char shared_buf[READ_BUF_SIZE];

static ssize_t shared_send(struct wt_conn *c, const char *buf, size_t len, int *want)
{
    if (c->tls) {
        ssize_t n = wt_tls_write(c->tls, buf, len, want);
        return n == 0 ? CONN_FAILED : n;
    }
    ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
    if (n >= 0)
        return n;
    *want = WT_LOOP_WRITE;
    return (errno == EAGAIN || errno == EINTR) ? CONN_WOULD_BLOCK : CONN_FAILED;
}

static ssize_t shared_recv(struct wt_conn *c, char *buf, size_t len, int *want)
{
    if (c->tls)
        return wt_tls_read(c->tls, buf, len, want);
    ssize_t n = recv(c->fd, buf, len, 0);
    if (n >= 0)
        return n;
    *want = WT_LOOP_READ;
    return (errno == EAGAIN || errno == EINTR) ? CONN_WOULD_BLOCK : CONN_FAILED;
}

/* As h2_flush, for the connection: 1 all sent, 0 the socket is full
 * (*want says for what to wait), -1 failed (errno kept). */
static int shared_flush(struct wt_conn *c, int *want)
{
    const char *data;
    size_t left;
    while ((left = wt_h2_output(c->h2, &data)) > 0) {
        ssize_t n = shared_send(c, data, left, want);
        if (n == CONN_WOULD_BLOCK)
            return 0;
        if (n < 0)
            return -1;
        wt_h2_sent(c->h2, (size_t)n);
    }
    return 1;
}

static void shared_io(struct wt_loop *loop, int fd, int events, void *data);

static void shared_watch(struct wt_loop *loop, struct wt_conn *c, int want)
{
    wt_loop_watch(loop, c->fd, WT_LOOP_READ | want, shared_io, c);
}

/* Nobody reads the connection any more (it is idle, failed, or the last
 * request took it back). */
static void shared_stop(struct wt_loop *loop, struct wt_conn *c)
{
    wt_loop_unwatch(loop, c->fd);
    wt_loop_timer_cancel(loop, c->resume_timer);
    c->resume_timer = 0;
}

static void response_complete(struct wt_trace *t);
static void response_failed(struct wt_trace *t);

/* Tells each request whose stream ended; each lets go of its stream, and
 * the last to leave takes the connection. Returns 0 when that happened
 * (c may be gone), 1 when streams are still open on c. */
static int shared_dispatch(struct wt_conn *c)
{
    size_t attached = wt_h2_streams(c->h2);
    struct wt_h2_stream *s;
    while ((s = wt_h2_next_ended(c->h2))) {
        struct wt_trace *t = wt_h2_stream_ctx(s);
        int last = attached <= 1;
        attached--;
        if (wt_h2_stream_complete(s))
            response_complete(t);
        else
            response_failed(t);
        if (last)
            return 0;
    }
    return 1;
}

/* The connection broke under every stream on it. */
static void shared_fail(struct wt_loop *loop, struct wt_conn *c, int exit_code,
                        const char *message)
{
    wt_h2_abort(c->h2, exit_code, message);
    shared_stop(loop, c);
    (void)shared_dispatch(c);
}

static void shared_resume(struct wt_loop *loop, void *data)
{
    struct wt_conn *c = data;
    c->resume_timer = 0;
    shared_io(loop, c->fd, WT_LOOP_READ, c);
}

static const char *tls_said(const char *message);

static void shared_io(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)events;
    struct wt_conn *c = data;
    wt_loop_timer_cancel(loop, c->resume_timer);
    c->resume_timer = 0;
    for (int i = 0; i < READS_PER_WAKEUP; i++) {
        int want = WT_LOOP_READ;
        int flush_want = 0;
        if (shared_flush(c, &flush_want) < 0) {
            char msg[400];
            wt_errf(msg, sizeof msg, "sending HTTP/2 frames failed: %s",
                    c->tls ? tls_said(wt_tls_error(c->tls)) : strerror(errno));
            shared_fail(loop, c, WT_EXIT_SEND_ERROR, msg);
            return;
        }
        ssize_t n = shared_recv(c, shared_buf, sizeof shared_buf, &want);
        if (n == CONN_WOULD_BLOCK) {
            /* frames still queued: wake up when they can go too */
            wt_loop_watch(loop, fd, want | flush_want, shared_io, c);
            return;
        }
        int unclean_eof = n == CONN_UNCLEAN_EOF;
        if (unclean_eof)
            n = 0;   /* HTTP/2 frames its own ends: the session knows what is missing */
        if (n < 0) {
            char msg[480];
            wt_errf(msg, sizeof msg, "receiving the response failed: %s",
                    c->tls ? tls_said(wt_tls_error(c->tls)) : strerror(errno));
            shared_fail(loop, c, WT_EXIT_RECV_ERROR, msg);
            return;
        }
        if (n == 0) {
            /* Through TLS, 0 is the peer's close_notify: its TCP FIN may
             * still be on the way, and the teardown will watch for it. */
            c->peer_closed = !c->tls || unclean_eof;
            (void)wt_h2_eof(c->h2);
        } else {
            (void)wt_h2_feed(c->h2, shared_buf, (size_t)n);
        }
        /* ACKs and WINDOW_UPDATEs go now; a failure shows at the next read */
        int ack_want = 0;
        (void)shared_flush(c, &ack_want);
        if (n == 0 || wt_h2_failed(c->h2)) {
            shared_stop(loop, c);
            (void)shared_dispatch(c);
            return;
        }
        if (!shared_dispatch(c))
            return;
    }
    /* Yield to the loop between bursts; bytes already inside the TLS
     * session would not wake poll, so come back for them at once. */
    if (c->tls && wt_tls_pending(c->tls))
        c->resume_timer = wt_loop_timer_at(loop, wt_loop_now(loop), shared_resume, c);
}

/* The trace's new HTTP/2 session: fd, TLS and session go to the
 * connection, which later requests to the origin may share (not with
 * --packets, which shows this connection's own teardown). */
static void enter_shared(struct wt_trace *t)
{
    struct wt_conn *c = t->conn;
    c->fd = t->fd;
    c->tls = t->tls;
    c->h2 = t->h2;
    c->local = t->local;
    c->remote = t->remote;
    t->shared = 1;
    if (!t->capture && !t->opt->no_keepalive)
        wt_pool_share(t->p.pool, c);
}

/* The request is done with its stream. While others are open the
 * connection goes on without it (returns 0); the last to leave takes fd,
 * TLS and session back, as if it had been alone on it (returns 1). */
static int leave_shared(struct wt_trace *t)
{
    struct wt_conn *c = t->conn;
    wt_h2_stream_release(t->stream);
    t->stream = NULL;
    t->shared = 0;
    c->last_url_index = t->p.url_index;
    c->last_hop = t->p.hop;
    c->last_t0 = t->p.transfer_t0;
    if (wt_h2_streams(c->h2) > 0) {
        if (c->owner == &t->stamped)
            c->owner = wt_h2_stream_sink(c->h2);
        /* our RST_STREAM, if it was still open, goes with their frames */
        int want = 0;
        if (shared_flush(c, &want) == 0)
            shared_watch(t->loop, c, want);
        t->fd = -1;
        t->tls = NULL;
        t->h2 = NULL;
        t->conn = NULL;
        return 0;
    }
    shared_stop(t->loop, c);
    wt_pool_unshare(t->p.pool, c);
    c->owner = &t->stamped;
    t->fd = c->fd;
    t->tls = c->tls;
    t->h2 = c->h2;
    t->peer_closed = t->peer_closed || c->peer_closed;
    c->fd = -1;
    c->tls = NULL;
    c->h2 = NULL;
    return 1;
}

static void start_connect(struct wt_trace *t)
{
    if (t->reused) {
        skip_phase(t);
        trace_enter(t, t->url.scheme == WT_SCHEME_HTTPS ? WT_PHASE_TLS : WT_PHASE_SEND);
        return;
    }
    if (t->p.pool) {
        /* numbered now, as curl does, so the handshake's line can say which */
        t->conn = wt_pool_conn_new(t->p.pool, t->url.scheme, t->url.host, t->url.port);
        if (t->conn) {
            t->conn->owner = &t->stamped;
            snprintf(t->conn->via, sizeof t->conn->via, "%s", t->via);
        }
    }
    int64_t deadline = 0;
    if (t->opt->connect_timeout_ms)
        deadline = t->t0 + (int64_t)t->opt->connect_timeout_ms * 1000;
    if (t->opt->max_time_ms) {
        int64_t m = t->p.transfer_t0 + (int64_t)t->opt->max_time_ms * 1000;
        if (!deadline || m < deadline)
            deadline = m;
    }
    /* --packets: the filter is set before the first SYN can leave. */
    if (t->opt->packets) {
        int64_t before = wt_loop_now(t->loop);
        t->capture = wt_capture_start(t->loop, t->addresses, t->n_addresses, t->connect_port,
                                      t->opt->pcap, &t->stamped);
        t->capture_setup_us = wt_loop_now(t->loop) - before;
    }
    t->connector = wt_tcp_connect_start(t->loop, t->addresses, t->n_addresses, t->connect_port,
                                        deadline, (int64_t)t->opt->happy_eyeballs_ms * 1000,
                                        &t->stamped, on_connected, t);
    if (!t->connector)
        trace_fail(t, "tcp", WT_EXIT_OUT_OF_MEMORY, N_("out of memory"));
}

/* ---- the proxy's CONNECT tunnel --------------------------------------- */

/* Still the connect phase: the tunnel is part of reaching the origin.
 * Plain bytes to the proxy; TLS with the origin starts once it is open. */
static void on_tunnel_readable(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)loop;
    (void)events;
    struct wt_trace *t = data;
    if (!t->tunnel_reply) {
        t->tunnel_reply = malloc(WT_PROXY_REPLY_HEAD_MAX + 1);
        if (!t->tunnel_reply) {
            trace_fail(t, "tcp", WT_EXIT_OUT_OF_MEMORY, N_("out of memory"));
            return;
        }
    }
    int want = WT_LOOP_READ;
    ssize_t n = conn_recv(t, t->tunnel_reply + t->tunnel_reply_len,
                          WT_PROXY_REPLY_HEAD_MAX + 1 - t->tunnel_reply_len, &want);
    if (n == CONN_WOULD_BLOCK) {
        wt_loop_watch(t->loop, fd, want, on_tunnel_readable, t);
        return;
    }
    if (n < 0) {
        char msg[400];
        wt_errf(msg, sizeof msg, "reading the proxy's answer to CONNECT failed: %s",
                strerror(errno));
        trace_fail(t, "proxy", WT_EXIT_RECV_ERROR, msg);
        return;
    }
    if (n == 0) {
        trace_fail(t, "proxy", WT_EXIT_RECV_ERROR,
                   N_("the proxy closed the connection without answering the CONNECT"));
        return;
    }
    t->tunnel_reply_len += (size_t)n;
    int status = 0;
    const char *reason = NULL;
    size_t reason_len = 0;
    long head = wt_proxy_reply_head(t->tunnel_reply, t->tunnel_reply_len, &status, &reason,
                                    &reason_len);
    if (head < 0) {
        trace_fail(t, "proxy", WT_EXIT_RECV_ERROR,
                   N_("the proxy's answer to CONNECT is not an HTTP/1.x response head"));
        return;
    }
    if (head == 0) {
        wt_loop_watch(t->loop, fd, WT_LOOP_READ, on_tunnel_readable, t);
        return;
    }
    int opened = status >= 200 && status <= 299;
    struct wt_event ev = { .kind = WT_EV_PROXY_REPLY };
    ev.u.proxy_reply.status = status;
    ev.u.proxy_reply.reason = reason;
    ev.u.proxy_reply.reason_len = reason_len;
    ev.u.proxy_reply.raw = t->tunnel_reply;
    ev.u.proxy_reply.bytes = (size_t)head;
    ev.u.proxy_reply.elapsed_us = wt_loop_now(t->loop) - t->tunnel_sent_at;
    ev.u.proxy_reply.opened = opened;
    emit(t, &ev);
    if (!opened) {
        /* curl's words and code (56), a 407 included */
        char msg[160];
        wt_errf(msg, sizeof msg, "CONNECT tunnel failed: the proxy answered %d", status);
        trace_fail(t, "proxy", WT_EXIT_RECV_ERROR, msg);
        return;
    }
    if ((size_t)head < t->tunnel_reply_len) {
        /* nothing may come before our first byte through the tunnel */
        trace_fail(t, "proxy", WT_EXIT_RECV_ERROR,
                   N_("the proxy sent bytes after its answer to CONNECT, before the tunnel "
                      "was used"));
        return;
    }
    wt_loop_unwatch(t->loop, fd);
    free(t->tunnel_reply);
    t->tunnel_reply = NULL;
    trace_enter(t, t->url.scheme == WT_SCHEME_HTTPS ? WT_PHASE_TLS : WT_PHASE_SEND);
}

static void on_tunnel_writable(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)loop;
    (void)events;
    struct wt_trace *t = data;
    while (t->tunnel_sent < t->tunnel_request_len) {
        int want = WT_LOOP_WRITE;
        ssize_t n = conn_send(t, t->tunnel_request + t->tunnel_sent,
                              t->tunnel_request_len - t->tunnel_sent, &want);
        if (n == CONN_WOULD_BLOCK) {
            wt_loop_watch(t->loop, fd, want, on_tunnel_writable, t);
            return;
        }
        if (n < 0) {
            char msg[400];
            wt_errf(msg, sizeof msg, "sending CONNECT to the proxy failed: %s", strerror(errno));
            trace_fail(t, "proxy", WT_EXIT_SEND_ERROR, msg);
            return;
        }
        t->tunnel_sent += (size_t)n;
    }
    t->tunnel_sent_at = wt_loop_now(t->loop);
    struct wt_event ev = { .kind = WT_EV_PROXY_CONNECT };
    char authority[WT_HOST_MAX_LEN + 16];
    int v6 = literal_family(t->tunnel_host) == AF_INET6;
    snprintf(authority, sizeof authority, "%s%s%s:%u", v6 ? "[" : "", t->tunnel_host,
             v6 ? "]" : "", t->tunnel_port);
    ev.u.proxy_connect.authority = authority;
    ev.u.proxy_connect.raw = t->tunnel_request;
    ev.u.proxy_connect.bytes = t->tunnel_request_len;
    ev.u.proxy_connect.n_headers = 0;
    for (const char *p = t->tunnel_request; (p = strstr(p, "\r\n")) != NULL; p += 2)
        ev.u.proxy_connect.n_headers++;
    ev.u.proxy_connect.n_headers -= 2;   /* the request line's end and the empty line */
    ev.u.proxy_connect.credentials = t->proxy.proxy.credentials[0] != '\0';
    emit(t, &ev);
    wt_loop_watch(t->loop, fd, WT_LOOP_READ, on_tunnel_readable, t);
}

static void start_tunnel(struct wt_trace *t)
{
    const char *agent = t->opt->request && t->opt->request->user_agent
                            ? t->opt->request->user_agent : "webtrace/" WT_VERSION;
    size_t n_headers;
    enum wt_host_kind kind = literal_family(t->tunnel_host) == AF_INET6 ? WT_HOST_IPV6
                             : literal_family(t->tunnel_host) == AF_INET ? WT_HOST_IPV4
                                                                          : WT_HOST_NAME;
    t->tunnel_request = wt_proxy_connect_request(t->tunnel_host, kind, t->tunnel_port,
                                                 t->proxy.proxy.credentials, agent,
                                                 &t->tunnel_request_len, &n_headers);
    if (!t->tunnel_request) {
        trace_fail(t, "tcp", WT_EXIT_OUT_OF_MEMORY, N_("out of memory"));
        return;
    }
    t->tunnel_sent = 0;
    on_tunnel_writable(t->loop, t->fd, WT_LOOP_WRITE, t);
}

/* ---- the proxy: which one, or none ----------------------------------- */

static const char *trace_getenv(const char *name)
{
    return getenv(name);
}

/* Chooses the proxy for the URL and says so: where it came from, or which
 * no-proxy rule sends the URL direct. Nothing is said when no proxy is
 * configured at all. 0, or the trace has failed. */
static int choose_proxy(struct wt_trace *t)
{
    struct wt_proxy_options po = {
        .proxy = t->opt->proxy,
        .noproxy = t->opt->noproxy,
        .proxy_user = t->opt->proxy_user,
        .tunnel = t->opt->proxytunnel,
    };
    char err[320];
    int code = wt_proxy_choose(&t->url, &po, trace_getenv, &t->proxy, err, sizeof err);
    if (code) {
        trace_fail(t, "proxy", code, err);
        return -1;
    }
    if (!t->proxy.use && !t->proxy.bypass_source)
        return 0;
    int redirected = 0;
    if (t->proxy.use) {
        t->tunnel_host = t->url.host;
        t->tunnel_port = t->url.port;
        const struct wt_connect_to *r = find_connect_to(t);
        const char *host = r && r->to_host[0] ? r->to_host : t->url.host;
        uint16_t port = r && r->to_port >= 0 ? (uint16_t)r->to_port : t->url.port;
        if (r && (strcasecmp(host, t->url.host) != 0 || port != t->url.port)) {
            /* curl 7.88 asks the proxy for a tunnel to --connect-to's
             * host and port then, for http:// too */
            t->tunnel_host = host;
            t->tunnel_port = port;
            t->proxy.tunnel = 1;
            redirected = 1;
        }
    }
    struct wt_event ev = { .kind = WT_EV_PROXY };
    ev.u.proxy.use = t->proxy.use;
    ev.u.proxy.url_host = t->url.host;
    if (t->proxy.use) {
        ev.u.proxy.proxy = t->proxy.spec;
        ev.u.proxy.host = t->proxy.proxy.host;
        ev.u.proxy.port = t->proxy.proxy.port;
        ev.u.proxy.source = t->proxy.source;
        ev.u.proxy.tunnel = t->proxy.tunnel;
        ev.u.proxy.credentials = t->proxy.proxy.credentials[0] != '\0';
        /* the connection is only for requests through this proxy, as this user */
        snprintf(t->via, sizeof t->via, "%s%s %s", t->proxy.tunnel ? "tunnel " : "",
                 t->proxy.spec, t->proxy.proxy.credentials);
    } else {
        ev.u.proxy.bypass_source = t->proxy.bypass_source;
        ev.u.proxy.bypass_list = t->proxy.bypass_list;
    }
    emit(t, &ev);
    if (redirected) {
        uint16_t port;
        apply_connect_to(t, &port);   /* narrates the rule */
    }
    return 0;
}

/* ---- HTTP: request --------------------------------------------------- */

static void on_response_readable(struct wt_loop *loop, int fd, int events, void *data);

/* Expect: 100-continue (RFC 9110 §10.1.1): the head goes first, the body
 * after the server's 100, or after --expect100-timeout without one, and
 * not at all when a final response comes first (curl then closes). */
enum expect_state {
    EXPECT_NONE,      /* no Expect, or the body is on its way */
    EXPECT_WAITING,   /* the head is out, the body waits */
    EXPECT_SENDING,   /* the 100 came or the wait ended: sending the body */
    EXPECT_WITHHELD,  /* a final response came first: the body is never sent */
};

static void on_request_writable(struct wt_loop *loop, int fd, int events, void *data);

static void expect_emit(struct wt_trace *t, int outcome, int status)
{
    struct wt_event ev = { .kind = WT_EV_HTTP_EXPECT };
    ev.u.http_expect.outcome = outcome;
    ev.u.http_expect.status = status;
    ev.u.http_expect.waited_us = wt_loop_now(t->loop) - t->expect_since_us;
    ev.u.http_expect.body_bytes = t->request.body_len;
    ev.u.http_expect.timeout_ms = t->opt->expect100_timeout_ms;
    emit(t, &ev);
}

static void expect_send_body(struct wt_loop *loop, void *data)
{
    struct wt_trace *t = data;
    t->expect_timer = 0;
    if ((t->expect != EXPECT_WAITING && t->expect != EXPECT_SENDING) || t->fd < 0 ||
        (t->phase != WT_PHASE_WAIT && t->phase != WT_PHASE_RECEIVE))
        return;
    if (t->expect == EXPECT_WAITING)
        expect_emit(t, WT_EXPECT_TIMEOUT, 0);   /* the wait ran out */
    t->expect = EXPECT_SENDING;
    on_request_writable(loop, t->fd, WT_LOOP_WRITE, t);
}

/* A status line arrived while the body waits for it. */
static void expect_status(struct wt_trace *t, int status)
{
    if (t->expect == EXPECT_SENDING && status >= 200 && t->request_sent == t->request.head_len) {
        /* the final answer right behind the 100 (nginx's return does so):
         * the body has not left yet, and now it need not */
        wt_loop_timer_cancel(t->loop, t->expect_timer);
        t->expect_timer = 0;
        expect_emit(t, WT_EXPECT_FINAL_AFTER_100, status);
        t->expect = EXPECT_WITHHELD;
        return;
    }
    if (t->expect != EXPECT_WAITING || (status / 100 == 1 && status != 100))
        return;
    wt_loop_timer_cancel(t->loop, t->expect_timer);
    t->expect_timer = 0;
    if (status == 100) {
        expect_emit(t, WT_EXPECT_CONTINUE, status);
        /* sent from the loop, not from inside the response reader */
        t->expect = EXPECT_SENDING;
        t->expect_timer = wt_loop_timer_at(t->loop, wt_loop_now(t->loop), expect_send_body, t);
        return;
    }
    expect_emit(t, WT_EXPECT_FINAL, status);
    t->expect = EXPECT_WITHHELD;
}

static void on_request_writable(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)loop;
    (void)events;
    struct wt_trace *t = data;
    /* HTTP/1.1 (HTTP/2 goes through the connection's reader): the head,
     * and the body unless it waits for 100 Continue. */
    size_t end = t->expect == EXPECT_WAITING ? t->request.head_len : t->request.len;
    const char *out = t->request.text + t->request_sent;
    size_t left = end - t->request_sent;
    while (t->request_sent < end) {
        int want = WT_LOOP_WRITE;
        ssize_t n = conn_send(t, out, left, &want);
        if (n == CONN_WOULD_BLOCK) {
            wt_loop_watch(t->loop, fd, want, on_request_writable, t);
            return;
        }
        if (n < 0) {
            char msg[400];
            wt_errf(msg, sizeof msg, "sending the request failed: %s", conn_error(t, errno));
            trace_fail(t, "http", WT_EXIT_SEND_ERROR, msg);
            return;
        }
        t->request_sent += (size_t)n;
        out += n;
        left -= (size_t)n;
    }
    if (t->expect == EXPECT_SENDING) {
        /* the body followed the 100 (or the wait): back to the response */
        t->expect = EXPECT_NONE;
        wt_loop_watch(t->loop, fd, WT_LOOP_READ, on_response_readable, t);
        return;
    }
    if (t->expect == EXPECT_WAITING && !t->expect_timer) {
        t->expect_since_us = wt_loop_now(t->loop);
        t->expect_timer = wt_loop_timer_at(
            t->loop, t->expect_since_us + (int64_t)t->opt->expect100_timeout_ms * 1000,
            expect_send_body, t);
    }
    trace_enter(t, WT_PHASE_WAIT);
}

/* ---- cookies (-b, -c): the engine's state lives in the request spec --- */

static int cookie_secure(const struct wt_trace *t)
{
    return t->url.scheme == WT_SCHEME_HTTPS || wt_cookie_secure_host(t->url.host);
}

static void emit_cookie(struct wt_trace *t, enum wt_cookie_action action, const char *name,
                        const struct wt_cookie *c, const char *reason)
{
    struct wt_event ev = { .kind = WT_EV_HTTP_COOKIE };
    ev.u.http_cookie.action = (int)action;
    ev.u.http_cookie.name = name;
    ev.u.http_cookie.reason = reason;
    if (c) {
        ev.u.http_cookie.domain = c->domain;
        ev.u.http_cookie.path = c->path;
        ev.u.http_cookie.expires = c->expires;
        ev.u.http_cookie.host_only = c->host_only;
        ev.u.http_cookie.secure = c->secure;
        ev.u.http_cookie.http_only = c->http_only;
    }
    emit(t, &ev);
}

/* This hop's Cookie value (heap, or NULL): the jar's cookies that match
 * the URL, each narrated, then -b's strings, on every hop as curl. */
static char *hop_cookie_header(struct wt_trace *t)
{
    const struct wt_reqspec *spec = t->opt->request;
    if (!spec || (!spec->jar && !spec->cookie))
        return NULL;
    size_t sent[WT_COOKIE_MAX_SENT];
    size_t n = 0;
    if (spec->jar)
        n = wt_cookie_select(spec->jar, t->url.host, t->url.target, cookie_secure(t),
                             (int64_t)time(NULL), sent, WT_COOKIE_MAX_SENT);
    for (size_t i = 0; i < n; i++) {
        const struct wt_cookie *c = spec->jar->cookies[sent[i]];
        emit_cookie(t, WT_COOKIE_SENT, c->name, c, NULL);
    }
    return wt_cookie_header(spec->jar, sent, n, spec->cookie);
}

static void take_cookie(struct wt_trace *t, const char *value, size_t len)
{
    const struct wt_reqspec *spec = t->opt->request;
    if (!spec || !spec->jar)
        return;
    const struct wt_cookie *stored;
    const char *reason;
    char name[256];
    enum wt_cookie_action a = wt_cookie_set(spec->jar, value, len, t->url.host, t->url.target,
                                            cookie_secure(t), (int64_t)time(NULL), &stored,
                                            &reason, name, sizeof name);
    emit_cookie(t, a, name, stored, reason);
}

static const struct wt_http_callbacks response_callbacks;

/* HTTP/2 when ALPN chose h2, or on http:// with --http2-prior-knowledge
 * (h2c, RFC 9113 §3.3). */
static int speaks_h2(const struct wt_trace *t)
{
    if (t->tls)
        return strcmp(wt_tls_alpn(t->tls), "h2") == 0;
    return t->url.scheme == WT_SCHEME_HTTP && t->opt->http_version == WT_HTTP_VERSION_2_PRIOR;
}

static void start_send(struct wt_trace *t)
{
    wt_loop_timer_cancel(t->loop, t->connect_timer);
    t->connect_timer = 0;
    /* This hop's request: the spec the command line built, with the method
     * the redirect rules chose, and without the body or the credentials
     * when they must not follow (transfer.c decides). */
    struct wt_reqspec hop_spec = { 0 };
    if (t->opt->request)
        hop_spec = *t->opt->request;
    if (t->p.method && t->p.hop > 0)
        hop_spec.method = t->p.method;
    if (t->p.resume_known)
        hop_spec.resume_from = t->p.resume_from;
    if (t->p.hop > 0)
        hop_spec.upload_name = NULL;   /* curl names the first URL only; a Location is used as given */
    if (t->p.hop > 0 && hop_spec.get) {
        /* -G put the data in the first URL's query; a Location is used as given */
        hop_spec.get = 0;
        hop_spec.has_body = 0;
        hop_spec.body.len = 0;
    }
    if (!t->p.keep_body) {
        hop_spec.has_body = 0;
        hop_spec.json = 0;
        hop_spec.body.len = 0;
    }
    if (!t->p.keep_credentials) {
        hop_spec.authorization = NULL;
        size_t kept = 0;
        for (size_t i = 0; i < hop_spec.n_headers; i++) {
            const char *h = hop_spec.headers[i];
            if (strncasecmp(h, "Authorization", 13) == 0 && (h[13] == ':' || h[13] == ';'))
                continue;
            if (strncasecmp(h, "Cookie", 6) == 0 && (h[6] == ':' || h[6] == ';'))
                continue;
            hop_spec.headers[kept++] = hop_spec.headers[i];
        }
        hop_spec.n_headers = kept;
    }
    char *cookies = hop_cookie_header(t);
    hop_spec.cookie_header = cookies;
    int built;
    if (t->proxy.use && !t->proxy.tunnel) {
        char auth[WT_PROXY_AUTH_MAX] = "";
        if (t->proxy.proxy.credentials[0])
            wt_proxy_basic(t->proxy.proxy.credentials, auth);
        built = wt_http_request_build_proxied(&t->url, &hop_spec, "webtrace/" WT_VERSION,
                                              auth[0] ? auth : NULL, &t->request);
    } else {
        built = wt_http_request_build(&t->url, &hop_spec, "webtrace/" WT_VERSION, &t->request);
    }
    free(cookies);
    if (built < 0) {
        trace_fail(t, "http", WT_EXIT_OUT_OF_MEMORY, N_("out of memory"));
        return;
    }
    t->range_sent = 0;
    for (size_t i = 0; i < t->request.n_headers; i++)
        if (t->request.origin[i] == WT_HDR_FROM_RANGE || t->request.origin[i] == WT_HDR_FROM_RESUME)
            t->range_sent = strcmp(t->request.method, "HEAD") != 0;
    t->resume_from = hop_spec.resume_from;
    if (!t->h2 && speaks_h2(t)) {
        char err[256];
        if (wt_h2_load(err, sizeof err) < 0) {
            trace_fail(t, "http", WT_EXIT_UNSUPPORTED_PROTOCOL, err);
            return;
        }
        /* the connection's frames are told through it: the session may
         * outlive this trace */
        t->h2 = t->conn ? wt_h2_new(&t->conn->relay) : NULL;
        if (!t->h2) {
            trace_fail(t, "http", WT_EXIT_OUT_OF_MEMORY, N_("out of memory"));
            return;
        }
        enter_shared(t);
    }
    if (t->h2) {
        /* the next stream on the connection's session: 1, or 3, 5 ... on a
         * kept or shared connection */
        t->stream = wt_h2_submit(t->h2, &response_callbacks, t, &t->stamped, &t->request,
                                 t->url.scheme == WT_SCHEME_HTTPS,
                                 t->opt->request && t->opt->request->head);
        if (!t->stream) {
            trace_fail(t, "http", WT_EXIT_OUT_OF_MEMORY, N_("out of memory"));
            return;
        }
    }
    if (t->conn)
        t->conn->requests++;
    if (t->shared) {
        /* as curl: no Expect wait over HTTP/2 (the stream can be reset
         * instead); the connection's reader sends what the session queued */
        t->expect = EXPECT_NONE;
        int want = 0;
        if (shared_flush(t->conn, &want) < 0) {
            char msg[400];
            wt_errf(msg, sizeof msg, "sending the request failed: %s", conn_error(t, errno));
            trace_fail(t, "http", WT_EXIT_SEND_ERROR, msg);
            return;
        }
        shared_watch(t->loop, t->conn, want);
        trace_enter(t, WT_PHASE_WAIT);
        return;
    }
    t->expect = t->request.expect_100 ? EXPECT_WAITING : EXPECT_NONE;
    on_request_writable(t->loop, t->fd, WT_LOOP_WRITE, t);
}

static void start_wait(struct wt_trace *t)
{
    struct wt_event ev = { .kind = WT_EV_HTTP_REQUEST };
    ev.u.http_request.method = t->request.method;
    ev.u.http_request.target = t->request.target;
    ev.u.http_request.host_header = t->request.host_header;
    ev.u.http_request.n_headers = t->request.n_headers;
    ev.u.http_request.bytes = t->request.len;
    ev.u.http_request.raw = t->request.text;
    ev.u.http_request.body_bytes = t->request.body_len;
    ev.u.http_request.origin = t->request.origin;
    ev.u.http_request.form = t->request.form;
    ev.u.http_request.h2 = t->stream != NULL;
    ev.u.http_request.scheme = wt_scheme_name(t->url.scheme);
    if (t->stream) {
        ev.u.http_request.bytes = wt_h2_request_bytes(t->stream);
        ev.u.http_request.conn = t->conn ? t->conn->id : 0;
        ev.u.http_request.stream = wt_h2_stream_id(t->stream);
    }
    emit(t, &ev);
    if (!t->shared)
        wt_loop_watch(t->loop, t->fd, WT_LOOP_READ, on_response_readable, t);
}

/* ---- HTTP: response -------------------------------------------------- */

/* -i/--include (and -I, as curl): the head goes where the body goes,
 * before it. The lines are as the reader delivered them (obs-fold
 * unfolded, CRLF ends), not the raw bytes. */
static int including(const struct wt_trace *t)
{
    if (!(t->opt->include || (t->opt->request && t->opt->request->head)))
        return 0;
    /* -f writes nothing for an error status, its head included */
    return !(t->opt->fail == WT_FAIL_NO_BODY && t->shown_status >= 400);
}

static void include_write(struct wt_trace *t, const char *a, size_t alen, const char *b,
                          size_t blen, const char *c, size_t clen)
{
    const char *parts[3] = { a, b, c };
    size_t lens[3] = { alen, blen, clen };
    for (int i = 0; i < 3 && !t->body_failed; i++) {
        if (!lens[i])
            continue;
        int rc = wt_body_sink_write(t->body, parts[i], lens[i], t->body_error,
                                    sizeof t->body_error);
        if (rc) {
            t->body_failed = 1;
            t->body_code = rc;
        }
    }
}

/* -D: every head as read, interim ones too, as curl writes it. */
static void dump_write(const struct wt_trace *t, const char *a, size_t alen, const char *b,
                       size_t blen)
{
    FILE *f = t->opt->dump_header_file;
    if (!f)
        return;
    fwrite(a, 1, alen, f);
    if (blen)
        fwrite(b, 1, blen, f);
}

/* As curl writes it for -i and -D: "HTTP/2 200 " has no minor version. */
static int status_line(char *line, size_t len, int major, int minor, int status)
{
    if (major == 2)
        return snprintf(line, len, "HTTP/2 %d ", status);
    return snprintf(line, len, "HTTP/%d.%d %d ", major, minor, status);
}

static void on_status(void *ctx, int major, int minor, int status, const char *reason,
                      size_t reason_len)
{
    struct wt_trace *t = ctx;
    /* HTTP/2: the connection's reader delivered this stream's first frame */
    if (t->phase == WT_PHASE_WAIT)
        trace_enter(t, WT_PHASE_RECEIVE);
    free(t->location);   /* an interim response's headers are not the final one's */
    t->location = NULL;
    wt_decoder_free(t->decoder);
    t->decoder = NULL;
    free(t->content_range);
    t->content_range = NULL;
    t->location_len = 0;
    t->shown_status = status;
    if (t->opt->dump_header_file) {
        char line[32];
        int n = status_line(line, sizeof line, major, minor, status);
        dump_write(t, line, (size_t)n, reason, reason_len);
        dump_write(t, "\r\n", 2, NULL, 0);
    }
    if (including(t)) {
        char line[32];
        int n = status_line(line, sizeof line, major, minor, status);
        include_write(t, line, (size_t)n, reason, reason_len, "\r\n", 2);
    }
    struct wt_event ev = { .kind = WT_EV_HTTP_STATUS };
    ev.u.http_status.version_major = major;
    ev.u.http_status.version_minor = minor;
    ev.u.http_status.status = status;
    ev.u.http_status.reason = reason;
    ev.u.http_status.reason_len = reason_len;
    ev.u.http_status.wait_us = span(t, WT_PHASE_WAIT, WT_PHASE_RECEIVE);
    emit(t, &ev);
    expect_status(t, status);   /* told after the status line it answers */
}

/* --compressed: the decoder's output goes where the body goes. */
static int write_decoded(void *ctx, const char *data, size_t len)
{
    struct wt_trace *t = ctx;
    int rc = wt_body_sink_write(t->body, data, len, t->body_error, sizeof t->body_error);
    if (rc) {
        t->body_failed = 1;
        t->body_code = rc;
    }
    return rc;
}

static int decoding(const struct wt_trace *t)
{
    return t->decoder && wt_decoder_active(t->decoder);
}

static void on_header(void *ctx, const char *name, size_t name_len, const char *value,
                      size_t value_len, int folded)
{
    struct wt_trace *t = ctx;
    if (!t->location && name_len == 8 && strncasecmp(name, "Location", 8) == 0) {
        /* as curl: the first Location counts */
        t->location = malloc(value_len + 1);
        if (t->location) {
            memcpy(t->location, value, value_len);
            t->location[value_len] = '\0';
            t->location_len = value_len;
        }
    }
    if (t->range_sent && !t->content_range && name_len == 13 &&
        strncasecmp(name, "Content-Range", 13) == 0) {
        t->content_range = malloc(value_len + 1);
        if (t->content_range) {
            memcpy(t->content_range, value, value_len);
            t->content_range[value_len] = '\0';
            t->content_range_len = value_len;
        }
    }
    if (t->opt->compressed && name_len == 16 && strncasecmp(name, "Content-Encoding", 16) == 0) {
        if (!t->decoder)
            t->decoder = wt_decoder_new(write_decoded, t);
        if (t->decoder)
            wt_decoder_add_header(t->decoder, value, value_len);
    }
    if (including(t)) {
        include_write(t, name, name_len, ": ", 2, value, value_len);
        include_write(t, "\r\n", 2, NULL, 0, NULL, 0);
    }
    dump_write(t, name, name_len, ": ", 2);
    dump_write(t, value, value_len, "\r\n", 2);
    struct wt_event ev = { .kind = WT_EV_HTTP_HEADER };
    ev.u.http_header.name = name;
    ev.u.http_header.name_len = name_len;
    ev.u.http_header.value = value;
    ev.u.http_header.value_len = value_len;
    ev.u.http_header.folded = folded;
    emit(t, &ev);
    if (name_len == 10 && strncasecmp(name, "Set-Cookie", 10) == 0)
        take_cookie(t, value, value_len);
}

/* -r/-C: what the server did with the range, as curl 7.88 takes it. */
static void judge_range(struct wt_trace *t, int status, int64_t content_length)
{
    t->range_outcome = wt_range_outcome_of(status, t->resume_from, t->content_range,
                                           t->content_range_len, content_length);
    if (t->range_outcome == WT_RANGE_NONE)
        return;
    struct wt_event ev = { .kind = WT_EV_HTTP_RANGE };
    ev.u.http_range.outcome = t->range_outcome;
    ev.u.http_range.status = status;
    ev.u.http_range.resume_from = t->resume_from;
    ev.u.http_range.content_range = t->content_range;
    ev.u.http_range.content_range_len = t->content_range_len;
    emit(t, &ev);
}

/* -C: the body is not written when the file is complete already, and is
 * refused (33) once it comes whole instead of from the offset. */
static int resume_check(struct wt_trace *t)
{
    if (t->resume_from <= 0 || !t->range_sent)
        return 0;
    if (t->range_outcome == WT_RANGE_COMPLETE)
        return 1;
    if (t->range_outcome != WT_RANGE_IGNORED)
        return 0;
    wt_errf(t->range_error, sizeof t->range_error,
            "the server sent the whole body, not the rest from byte %" PRId64
            ": it does not support byte ranges, so -C cannot resume",
            t->resume_from);
    t->range_failed = 1;
    return -1;
}

static void on_headers_done(void *ctx, int status, enum wt_body_framing framing,
                            int64_t content_length, int keep_alive, size_t n_headers,
                            size_t header_bytes)
{
    struct wt_trace *t = ctx;
    t->final_status = status;
    t->skip_body = t->p.follow_redirects && t->location && wt_trace_is_redirect(status);
    if (including(t))
        include_write(t, "\r\n", 2, NULL, 0, NULL, 0);
    dump_write(t, "\r\n", 2, NULL, 0);
    if (t->opt->dump_header_file)
        fflush(t->opt->dump_header_file);   /* -D -: the head before the body on stdout */
    struct wt_event ev = { .kind = WT_EV_HTTP_HEADERS_DONE };
    ev.u.http_headers_done.n_headers = n_headers;
    ev.u.http_headers_done.header_bytes = header_bytes;
    ev.u.http_headers_done.framing = framing;
    ev.u.http_headers_done.content_length = content_length;
    ev.u.http_headers_done.keep_alive = keep_alive;
    emit(t, &ev);
    if (t->range_sent && !t->skip_body)
        judge_range(t, status, content_length);
}

static void on_deviation(void *ctx, enum wt_http_deviation d)
{
    struct wt_trace *t = ctx;
    struct wt_event ev = { .kind = WT_EV_HTTP_DEVIATION };
    ev.u.http_deviation.kind = (int)d;
    ev.u.http_deviation.name = wt_http_deviation_name(d);
    ev.u.http_deviation.rfc = wt_http_deviation_rfc(d);
    emit(t, &ev);
}

/* -f: an error status's body is read (the narration counts it) but not
 * written, as curl writes none. */
static int failing_status(const struct wt_trace *t)
{
    return t->opt->fail != WT_FAIL_NEVER && t->final_status >= 400;
}

static int on_body(void *ctx, const char *data, size_t len)
{
    struct wt_trace *t = ctx;
    if (t->skip_body)
        return 0;
    if (t->body_failed)
        return t->body_code;   /* writing the head failed */
    if (failing_status(t) && t->opt->fail == WT_FAIL_NO_BODY)
        return 0;
    int resume = len ? resume_check(t) : 0;
    if (resume > 0)
        return 0;   /* nothing to append */
    if (resume < 0)
        return WT_EXIT_RANGE_ERROR;
    if (decoding(t)) {
        int rc = wt_decoder_write(t->decoder, data, len);
        if (rc && !t->body_failed)
            t->decode_failed = 1;
        return rc;
    }
    int rc = wt_body_sink_write(t->body, data, len, t->body_error, sizeof t->body_error);
    if (rc)
        t->body_failed = 1;
    return rc;
}

static const struct wt_http_callbacks response_callbacks = {
    on_status, on_header, on_headers_done, on_body, on_deviation,
};

static void response_failed(struct wt_trace *t)
{
    int code = t->stream ? wt_h2_exit_code(t->stream) : wt_http_reader_exit_code(t->reader);
    if (t->body_failed)
        trace_fail(t, "output", code, t->body_error);
    else if (t->decode_failed)
        trace_fail(t, "http", code, wt_decoder_error(t->decoder));
    else if (t->range_failed)
        trace_fail(t, "http", code, t->range_error);
    else
        trace_fail(t, "http", code,
                   t->stream ? wt_h2_error(t->stream) : wt_http_reader_error(t->reader));
}

/* What the response's reader, HTTP/1.1 or HTTP/2, has counted. */
static uint64_t response_bytes_fed(const struct wt_trace *t)
{
    return t->stream ? wt_h2_bytes_fed(t->stream) : wt_http_reader_bytes_fed(t->reader);
}

static void response_complete(struct wt_trace *t)
{
    char err[256];
    if (t->body_failed) {
        trace_fail(t, "output", t->body_code, t->body_error);
        return;
    }
    if (failing_status(t) && t->opt->fail == WT_FAIL_NO_BODY) {
        wt_errf(err, sizeof err, "the server answered %d, an error for -f/--fail", t->final_status);
        trace_fail(t, "http", WT_EXIT_HTTP_ERROR, err);
        return;
    }
    if (!t->skip_body && decoding(t) && wt_decoder_finish(t->decoder)) {
        trace_fail(t, "http", wt_decoder_finish(t->decoder), wt_decoder_error(t->decoder));
        return;
    }
    int code = t->skip_body ? 0 : wt_body_sink_commit(t->body, err, sizeof err);
    if (code) {
        trace_fail(t, "output", code, err);
        return;
    }
    if (failing_status(t)) {
        wt_errf(err, sizeof err, "the server answered %d, an error for --fail-with-body",
                t->final_status);
        trace_fail(t, "http", WT_EXIT_HTTP_ERROR, err);
        return;
    }
    trace_enter(t, WT_PHASE_CLOSE);
}

static int reading_response(const struct wt_trace *t)
{
    return t->phase == WT_PHASE_WAIT || t->phase == WT_PHASE_RECEIVE;
}

static void resume_reading(struct wt_loop *loop, void *data)
{
    struct wt_trace *t = data;
    t->resume_timer = 0;
    if (reading_response(t))
        on_response_readable(loop, t->fd, WT_LOOP_READ, t);
}

/* --limit-rate: once the body is ahead of RATE bytes per second since the
 * response began, stop watching the socket until the average is back at
 * the rate; the loop serves everything else meanwhile (no sleeping). */
static int rate_pause(struct wt_trace *t, int fd)
{
    int64_t start = t->phase_at[WT_PHASE_RECEIVE];
    uint64_t bytes = wt_http_reader_body_bytes(t->reader);
    int64_t now = wt_loop_now(t->loop);
    if (start < 0 || bytes == 0)
        return 0;
    int64_t due = start + (int64_t)((double)bytes * 1e6 / (double)t->opt->limit_rate);
    if (due <= now)
        return 0;
    wt_loop_unwatch(t->loop, fd);
    t->rate_pauses++;
    t->rate_paused_us += due - now;
    t->resume_timer = wt_loop_timer_at(t->loop, due, resume_reading, t);
    return 1;
}

/* The body's size so far, for a progress meter: sampled, so a fast body
 * costs a few events rather than one per read. */
static void body_progress(struct wt_trace *t)
{
    int64_t now = wt_loop_now(t->loop);
    if (t->skip_body || t->phase != WT_PHASE_RECEIVE)
        return;
    if (t->progress_at <= 0)
        t->progress_at = t->phase_at[WT_PHASE_RECEIVE];
    if (now - t->progress_at < WT_BODY_PROGRESS_INTERVAL_US)
        return;
    t->progress_at = now;
    struct wt_event ev = { .kind = WT_EV_HTTP_BODY_PROGRESS };
    ev.u.http_body_progress.bytes = wt_http_reader_body_bytes(t->reader);
    emit(t, &ev);
}

static void on_response_readable(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)loop;
    (void)events;
    struct wt_trace *t = data;
    /* Whichever comes first, poll or the resume timer, does the reading:
     * at most one resume is ever pending. */
    wt_loop_timer_cancel(t->loop, t->resume_timer);
    t->resume_timer = 0;
    for (int i = 0; i < READS_PER_WAKEUP; i++) {
        int want = WT_LOOP_READ;
        int unclean_eof = 0;
        /* --limit-rate: a read of at most a second's worth, so one read
         * cannot run far ahead of the rate before the pause is judged */
        size_t room = t->opt->limit_rate && t->opt->limit_rate < READ_BUF_SIZE
                          ? (size_t)t->opt->limit_rate
                          : READ_BUF_SIZE;
        ssize_t n = conn_recv(t, t->readbuf, room, &want);
        if (n == CONN_WOULD_BLOCK) {
            wt_loop_watch(t->loop, fd, want, on_response_readable, t);
            return;
        }
        if (n == CONN_UNCLEAN_EOF) {
            /* Nothing received at all is an empty reply (52), as for plain
             * TCP; only a body that ends at close may be cut unnoticed. */
            if (wt_http_reader_framing(t->reader) == WT_FRAMING_UNTIL_CLOSE &&
                wt_http_reader_bytes_fed(t->reader) > 0) {
                trace_fail(t, "tls", WT_EXIT_RECV_ERROR,
                           N_("the server closed the connection without a TLS close_notify: "
                              "the response may be truncated"));
                return;
            }
            n = 0;  /* a length-framed body: the reader knows what is missing */
            unclean_eof = 1;
        }
        if (n < 0) {
            char msg[480];
            wt_errf(msg, sizeof msg, "receiving the response failed after %llu bytes: %s",
                     (unsigned long long)response_bytes_fed(t),
                     conn_error(t, errno));
            trace_fail(t, "http", WT_EXIT_RECV_ERROR, msg);
            return;
        }
        if (t->phase == WT_PHASE_WAIT)
            trace_enter(t, WT_PHASE_RECEIVE);
        enum wt_http_read r;
        if (n == 0) {
            /* Through TLS, 0 is the peer's close_notify: its TCP FIN may
             * still be on the way, and the teardown will watch for it. */
            t->peer_closed = !t->tls || unclean_eof;
            r = wt_http_reader_eof(t->reader);
        } else {
            r = wt_http_reader_feed(t->reader, t->readbuf, (size_t)n);
        }
        if (r == WT_HTTP_FAILED) {
            response_failed(t);
            return;
        }
        if (r == WT_HTTP_COMPLETE) {
            response_complete(t);
            return;
        }
        if (n == 0)
            return;
        body_progress(t);
        if (t->opt->limit_rate && rate_pause(t, fd))
            return;
    }
    /* Yield to the loop between bursts; bytes already inside the TLS
     * session would not wake poll, so come back for them at once. */
    if (t->tls && reading_response(t) && wt_tls_pending(t->tls))
        t->resume_timer = wt_loop_timer_at(t->loop, wt_loop_now(t->loop), resume_reading, t);
}

/* ---- teardown -------------------------------------------------------- */

static void on_capture_done(void *ctx)
{
    trace_enter(ctx, WT_PHASE_DONE);
}

static void on_closed(void *ctx)
{
    struct wt_trace *t = ctx;
    wt_tcp_teardown_free(t->teardown);
    t->teardown = NULL;
    /* The teardown's last packets (the peer's FIN, the last ACK) may still
     * be on their way or unread: the capture says when it has them. */
    if (t->capture) {
        wt_capture_finish(t->capture, on_capture_done, t);
        return;
    }
    trace_enter(t, WT_PHASE_DONE);
}

static int64_t teardown_budget(const struct wt_trace *t)
{
    int64_t budget = (int64_t)WT_TCP_TEARDOWN_MS * 1000;
    if (t->opt->max_time_ms) {
        int64_t left = t->p.transfer_t0 + (int64_t)t->opt->max_time_ms * 1000 -
                       wt_loop_now(t->loop);
        if (left < budget)
            budget = left > 1000 ? left : 1000;
    }
    return budget;
}

static void start_tcp_teardown(struct wt_trace *t, int expect_peer_close)
{
    wt_tls_free(t->tls);
    t->tls = NULL;
    int fd = t->fd;
    t->fd = -1;
    t->teardown = wt_tcp_teardown_start(t->loop, fd, t->peer_closed, expect_peer_close, 0,
                                        teardown_budget(t), &t->stamped, on_closed, t);
    if (!t->teardown)
        trace_enter(t, WT_PHASE_DONE);
}

/* Our close_notify went out: a server answers it by closing its side. */
static void on_tls_closed(void *ctx)
{
    start_tcp_teardown(ctx, 1);
}

/* The connection can carry another request: the server allows it, all of
 * this response was read (nothing left inside the TLS session either), and
 * the transfer says more may come. */
static int may_keep(struct wt_trace *t)
{
    /* --packets shows this connection's teardown: it is closed, not kept */
    /* a body withheld or cut short would be read as the next request */
    if (!t->h2 && (t->expect != EXPECT_NONE || t->request_sent < t->request.len))
        return 0;
    /* An HTTP/2 session stays with its connection, for the next stream. */
    if (!(t->conn && t->p.pool && !t->opt->no_keepalive && !t->peer_closed && !t->capture &&
          (t->h2 ? wt_h2_reusable(t->h2) : wt_http_reader_keep_alive(t->reader)) &&
          !(t->tls && wt_tls_pending(t->tls)) && t->p.keep_connection))
        return 0;
    int want = t->p.keep_connection(t->p.ctx);
    if (want < 0) {
        /* it could stay open, but nothing later in the run would use it */
        struct wt_event ev = { .kind = WT_EV_CONN_UNNEEDED };
        ev.u.conn.id = t->conn->id;
        ev.u.conn.scheme = t->conn->scheme;
        ev.u.conn.host = t->conn->host;
        ev.u.conn.port = t->conn->port;
        ev.u.conn.requests = t->conn->requests;
        ev.u.conn.idle_us = -1;
        emit(t, &ev);
    }
    return want > 0;
}

static void keep_connection(struct wt_trace *t)
{
    struct wt_conn *c = t->conn;
    struct wt_event ev = { .kind = WT_EV_CONN_KEPT };
    ev.u.conn.id = c->id;
    ev.u.conn.scheme = c->scheme;
    ev.u.conn.host = c->host;
    ev.u.conn.port = c->port;
    ev.u.conn.requests = c->requests;
    ev.u.conn.idle_us = -1;
    emit(t, &ev);
    c->fd = t->fd;
    c->tls = t->tls;
    c->h2 = t->h2;
    c->local = t->local;
    c->remote = t->remote;
    c->last_url_index = t->p.url_index;
    c->last_hop = t->p.hop;
    c->last_t0 = t->p.transfer_t0;
    t->fd = -1;
    t->tls = NULL;
    t->h2 = NULL;
    t->conn = NULL;
    t->kept = 1;
    wt_pool_put(t->p.pool, c);
    trace_enter(t, WT_PHASE_DONE);
}

/* The layers below TCP, read from the kernel for the open socket. Done
 * once the response is in, so the netlink queries delay no measured step;
 * and once per connection: a reused one has the route its first request
 * told (a netlink and an ioctl socket per URL were most of the system
 * calls of a long run over one connection). */
static void emit_route(struct wt_trace *t)
{
    if (t->conn && t->conn->requests > 1)
        return;
    int64_t before = wt_loop_now(t->loop);
    struct wt_event ev;
    wt_route_describe(t->fd, &t->remote, &ev);
    emit(t, &ev);
    t->route_us = wt_loop_now(t->loop) - before;
}

static void start_close(struct wt_trace *t)
{
    wt_loop_timer_cancel(t->loop, t->resume_timer);
    t->resume_timer = 0;
    struct wt_event ev = { .kind = WT_EV_HTTP_BODY_DONE };
    ev.u.http_body_done.bytes = t->stream ? wt_h2_body_bytes(t->stream)
                                          : wt_http_reader_body_bytes(t->reader);
    ev.u.http_body_done.framing = t->h2 ? WT_FRAMING_H2 : wt_http_reader_framing(t->reader);
    ev.u.http_body_done.elapsed_us = span(t, WT_PHASE_RECEIVE, WT_PHASE_CLOSE);
    ev.u.http_body_done.sink = t->skip_body ? N_("skipped (a redirect's body, with -L)")
                                            : wt_body_sink_describe(t->body);
    if (!t->skip_body && decoding(t) && !(failing_status(t) && t->opt->fail == WT_FAIL_NO_BODY)) {
        ev.u.http_body_done.encoding = wt_decoder_names(t->decoder);
        ev.u.http_body_done.decoded_bytes = wt_decoder_bytes_out(t->decoder);
        ev.u.http_body_done.truncated = wt_decoder_truncated(t->decoder);
    }
    ev.u.http_body_done.limit_rate = t->opt->limit_rate;
    ev.u.http_body_done.rate_pauses = t->rate_pauses;
    ev.u.http_body_done.rate_paused_us = t->rate_paused_us;
    emit(t, &ev);

    if (!t->shared)
        wt_loop_unwatch(t->loop, t->fd);
    emit_route(t);
    if (t->shared && !leave_shared(t)) {
        /* other streams go on on the connection: its end is theirs */
        t->kept = 1;
        trace_enter(t, WT_PHASE_DONE);
        return;
    }
    if (may_keep(t)) {
        keep_connection(t);
        return;
    }
    if (t->h2 && !t->peer_closed) {
        wt_h2_goaway(t->h2);
        h2_flush_last(t);
    }
    if (t->tls && !t->peer_closed) {
        wt_tls_close_start(t->tls, teardown_budget(t), on_tls_closed, t);
        return;
    }
    start_tcp_teardown(t, !t->h2 && !wt_http_reader_keep_alive(t->reader));
}

/* ---- the state machine ----------------------------------------------- */

static void emit_phase(struct wt_trace *t)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct wt_event ev = { .kind = WT_EV_PHASE };
    ev.u.phase.entered = t->phase;
    ev.u.phase.input = t->p.input;
    ev.u.phase.wall_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    emit(t, &ev);
}

static void trace_enter(struct wt_trace *t, enum wt_phase next)
{
    int64_t now = wt_loop_now(t->loop);
    t->phase_at[next] = now;
    t->phase = next;
    emit_phase(t);
    switch (next) {
    case WT_PHASE_URL:
        break;
    case WT_PHASE_DNS:
        start_dns(t);
        break;
    case WT_PHASE_CONNECT:
        start_connect(t);
        break;
    case WT_PHASE_TLS:
        start_tls(t);
        break;
    case WT_PHASE_SEND:
        start_send(t);
        break;
    case WT_PHASE_WAIT:
        start_wait(t);
        break;
    case WT_PHASE_RECEIVE:
        break;
    case WT_PHASE_CLOSE:
        start_close(t);
        break;
    case WT_PHASE_DONE:
        release_mechanics(t);
        emit_summary(t, t->phase_at[WT_PHASE_CLOSE]);
        t->finished = 1;
        if (t->p.on_finished)
            t->p.on_finished(t->p.ctx);
        break;
    case WT_PHASE_FAILED:
        emit_summary(t, now);
        t->finished = 1;
        if (t->p.on_finished)
            t->p.on_finished(t->p.ctx);
        break;
    case WT_PHASE_SERVE:
        break;   /* servers have no trace */
    }
}

struct wt_trace *wt_trace_new(struct wt_loop *loop, const struct wt_trace_params *params)
{
    struct wt_trace *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->loop = loop;
    t->p = *params;
    t->opt = params->options;
    t->stamped = (struct wt_event_sink){ stamp_and_forward, t };
    if (!t->p.method)
        t->p.method = "GET";
    t->fd = -1;
    for (size_t i = 0; i < N_PHASES; i++)
        t->phase_at[i] = -1;
    t->readbuf = malloc(READ_BUF_SIZE);
    t->reader = wt_http_reader_new(&response_callbacks, t,
                                   params->options->request && params->options->request->head);
    t->body = wt_body_sink_new(params->body_mode, params->output_path);
    if (t->reader)
        wt_http_reader_set_strict(t->reader, t->opt->strict);
    if (!t->readbuf || !t->reader || !t->body) {
        wt_trace_free(t);
        return NULL;
    }
    return t;
}

void wt_trace_start(struct wt_trace *t)
{
    t->t0 = wt_loop_now(t->loop);
    if (!t->p.transfer_t0)
        t->p.transfer_t0 = t->t0;
    t->phase_at[WT_PHASE_URL] = t->t0;
    t->phase = WT_PHASE_URL;
    emit_phase(t);
    char err[256];
    enum wt_url_status st = wt_url_parse(t->p.input, &t->url, err, sizeof err);
    if (st != WT_URL_OK) {
        int code = st == WT_URL_UNSUPPORTED_SCHEME ? WT_EXIT_UNSUPPORTED_PROTOCOL
                   : st == WT_URL_NO_MEMORY        ? WT_EXIT_OUT_OF_MEMORY
                                                   : WT_EXIT_URL_MALFORMED;
        trace_fail(t, "url", code, err);
        return;
    }
    t->have_url = 1;
    struct wt_event ev = { .kind = WT_EV_URL };
    ev.u.url.input = t->p.input;
    ev.u.url.normalized = t->url.normalized;
    ev.u.url.host = t->url.host;
    ev.u.url.host_unicode = t->url.host_unicode[0] ? t->url.host_unicode : NULL;
    ev.u.url.host_kind = t->url.host_kind;
    ev.u.url.port = t->url.port;
    ev.u.url.port_class = wt_port_classify(t->url.port);
    ev.u.url.scheme = t->url.scheme;
    ev.u.url.target = t->url.target;
    emit(t, &ev);

    if (t->opt->max_time_ms)
        t->max_time_timer = wt_loop_timer_at(
            t->loop, t->p.transfer_t0 + (int64_t)t->opt->max_time_ms * 1000, on_max_time, t);
    if (t->opt->connect_timeout_ms)
        t->connect_timer = wt_loop_timer_at(
            t->loop, t->t0 + (int64_t)t->opt->connect_timeout_ms * 1000, on_connect_timeout, t);
    if (choose_proxy(t) != 0)
        return;
    try_reuse(t);
    trace_enter(t, WT_PHASE_DNS);
    /* The DNS query (or, for an address, the SYN) is out: the TLS set-up
     * needs no network, so it runs while the loop would otherwise wait, once
     * the wait has lasted TLS_SETUP_GRACE_US. */
    if (t->url.scheme == WT_SCHEME_HTTPS && !t->finished && t->phase < WT_PHASE_TLS)
        t->tls_setup_timer = wt_loop_timer_at(t->loop, wt_loop_now(t->loop) + TLS_SETUP_GRACE_US,
                                              begin_tls_setup, t);
}

int wt_trace_finished(const struct wt_trace *t)
{
    return t->finished;
}

void wt_trace_abort(struct wt_trace *t, int exit_code, const char *message)
{
    t->aborted = 1;
    /* The teardown is after the transfer: the close narration owns it. */
    trace_fail(t, t->phase == WT_PHASE_CLOSE ? "tcp" : step_of(t->phase), exit_code, message);
}

int wt_trace_exit_code(const struct wt_trace *t)
{
    return t->exit_code;
}

void wt_trace_free(struct wt_trace *t)
{
    if (!t)
        return;
    release_mechanics(t);
    wt_http_request_clear(&t->request);
    wt_http_reader_free(t->reader);
    wt_body_sink_free(t->body);
    wt_decoder_free(t->decoder);
    free(t->content_range);
    if (t->have_url)
        wt_url_clear(&t->url);
    free(t->location);
    free(t->readbuf);
    free(t->addresses);
    free(t);
}

int wt_trace_is_redirect(int status)
{
    /* 304 is a cache's answer, not a pointer elsewhere; 305/306 are retired. */
    return status >= 300 && status <= 399 && status != 304 && status != 305 && status != 306;
}

int wt_trace_wants_retry(const struct wt_trace *t)
{
    return t->wants_retry;
}

int wt_trace_status(const struct wt_trace *t)
{
    return t->final_status;
}

const char *wt_trace_location(const struct wt_trace *t, size_t *len)
{
    *len = t->location_len;
    return t->location;
}

int wt_trace_setting_up(const struct wt_trace *t, unsigned *conn_id)
{
    *conn_id = t->conn ? t->conn->id : 0;
    /* A new HTTP/2 connection is set up once the server's SETTINGS say how
     * many streams it may carry. */
    if (!t->finished && t->shared && !t->reused && !wt_h2_settings_received(t->h2))
        return 1;
    return !t->finished && !t->reused && t->phase < WT_PHASE_SEND;
}

const struct wt_url *wt_trace_parsed_url(const struct wt_trace *t)
{
    return t->have_url ? &t->url : NULL;
}

const char *wt_trace_url(const struct wt_trace *t)
{
    return t->have_url ? t->url.normalized : NULL;
}
