#include "webtrace/pool.h"
#include "webtrace/h2.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "webtrace/tcp.h"
#include "webtrace/tls.h"

/* A connection being closed at the end of the run. */
struct closing {
    struct wt_pool *pool;
    struct wt_conn *conn;
    struct wt_event_sink sink;       /* stamps the events with the conn's last URL */
    struct wt_tcp_teardown *teardown;
    struct closing *next;
};

struct wt_pool {
    struct wt_loop *loop;
    const struct wt_event_sink *sink;
    unsigned last_id;
    struct wt_conn *idle;            /* most recently used first */
    struct wt_conn *shared;          /* HTTP/2 connections carrying streams now */
    size_t n_idle;
    struct closing *closing;
    size_t n_closing;
};

static void relay(void *ctx, const struct wt_event *ev)
{
    struct wt_conn *c = ctx;
    if (c->owner)
        c->owner->emit(c->owner->ctx, ev);
}

struct wt_pool *wt_pool_new(struct wt_loop *loop, const struct wt_event_sink *sink)
{
    struct wt_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->loop = loop;
    p->sink = sink;
    return p;
}

struct wt_conn *wt_pool_conn_new(struct wt_pool *p, enum wt_scheme scheme, const char *host,
                                 uint16_t port)
{
    struct wt_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->id = ++p->last_id;
    c->scheme = scheme;
    memcpy(c->host, host, strnlen(host, sizeof c->host - 1));
    c->port = port;
    c->fd = -1;
    c->relay = (struct wt_event_sink){ relay, c };
    return c;
}

void wt_conn_free(struct wt_conn *c)
{
    if (!c)
        return;
    wt_tls_free(c->tls);
    wt_h2_free(c->h2);
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

/* An idle connection must have nothing to read: a 0 is the server's FIN
 * (it closed while we were away), bytes are something it sent unasked (a
 * TLS alert, a 408): either way the next response could not be trusted. */
static int still_open(const struct wt_conn *c, int *peer_closed)
{
    char byte;
    ssize_t n = recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 1;
    *peer_closed = n <= 0;
    return 0;
}

struct wt_conn *wt_pool_take(struct wt_pool *p, enum wt_scheme scheme, const char *host,
                             uint16_t port, struct wt_pool_stale *stale)
{
    return wt_pool_take_via(p, scheme, host, port, "", stale);
}

struct wt_conn *wt_pool_take_via(struct wt_pool *p, enum wt_scheme scheme, const char *host,
                                 uint16_t port, const char *via, struct wt_pool_stale *stale)
{
    memset(stale, 0, sizeof *stale);
    for (struct wt_conn *c = p->shared; c; c = c->next)
        if (c->scheme == scheme && c->port == port && !strcmp(c->host, host) &&
            !strcmp(c->via, via) && c->h2 && wt_h2_can_take(c->h2))
            return c;
    struct wt_conn **pp = &p->idle;
    while (*pp) {
        struct wt_conn *c = *pp;
        if (c->scheme != scheme || c->port != port || strcmp(c->host, host) != 0 ||
            strcmp(c->via, via) != 0) {
            pp = &c->next;
            continue;
        }
        *pp = c->next;
        c->next = NULL;
        p->n_idle--;
        int peer_closed = 0;
        if (still_open(c, &peer_closed))
            return c;
        /* the first one found closed is the one narrated; with -Z there
         * may be more idle ones to the origin, still open */
        if (!stale->id) {
            stale->id = c->id;
            stale->idle_us = wt_loop_now(p->loop) - c->idle_since;
            stale->peer_closed = peer_closed;
        }
        c->owner = NULL;   /* nothing of this close is narrated but the stale note */
        wt_conn_free(c);
    }
    return NULL;
}

size_t wt_pool_idle_count(const struct wt_pool *p, enum wt_scheme scheme, const char *host,
                          uint16_t port)
{
    size_t n = 0;
    for (const struct wt_conn *c = p->idle; c; c = c->next)
        n += c->scheme == scheme && c->port == port && strcmp(c->host, host) == 0;
    return n;
}

static void start_closing(struct wt_pool *p, struct wt_conn *c);

void wt_pool_share(struct wt_pool *p, struct wt_conn *c)
{
    if (c->shared)
        return;
    c->shared = 1;
    c->next = p->shared;
    p->shared = c;
}

void wt_pool_unshare(struct wt_pool *p, struct wt_conn *c)
{
    if (!c->shared)
        return;
    for (struct wt_conn **pp = &p->shared; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    c->shared = 0;
    c->next = NULL;
}

void wt_pool_put(struct wt_pool *p, struct wt_conn *c)
{
    c->idle_since = wt_loop_now(p->loop);
    c->owner = NULL;
    c->next = p->idle;
    p->idle = c;
    p->n_idle++;
    if (p->n_idle > WT_POOL_MAX_IDLE) {
        struct wt_conn **pp = &p->idle;
        while ((*pp)->next)
            pp = &(*pp)->next;
        struct wt_conn *oldest = *pp;
        *pp = NULL;
        p->n_idle--;
        start_closing(p, oldest);
    }
}

/* ---- closing at the end of the run ------------------------------------- */

static void stamp_close(void *ctx, const struct wt_event *ev)
{
    struct closing *cl = ctx;
    struct wt_event e = *ev;
    e.url_index = cl->conn->last_url_index;
    e.hop = cl->conn->last_hop;
    e.phase = WT_PHASE_CLOSE;
    e.t_us = wt_loop_now(cl->pool->loop) - cl->conn->last_t0;
    cl->pool->sink->emit(cl->pool->sink->ctx, &e);
}

static void closing_done(struct closing *cl)
{
    struct wt_pool *p = cl->pool;
    for (struct closing **pp = &p->closing; *pp; pp = &(*pp)->next) {
        if (*pp == cl) {
            *pp = cl->next;
            break;
        }
    }
    p->n_closing--;
    wt_tcp_teardown_free(cl->teardown);
    cl->conn->fd = -1;   /* the teardown closed it */
    wt_conn_free(cl->conn);
    free(cl);
}

static void on_tcp_closed(void *ctx)
{
    closing_done(ctx);
}

static void start_tcp_teardown(struct closing *cl)
{
    struct wt_conn *c = cl->conn;
    wt_tls_free(c->tls);
    c->tls = NULL;
    int fd = c->fd;
    c->fd = -1;
    /* (the conn_close event before it names the connection: the number
     * argument here would make tcp.c narrate a server's teardown) */
    cl->teardown = wt_tcp_teardown_start(cl->pool->loop, fd, 0, 0, 0,
                                         (int64_t)WT_TCP_TEARDOWN_MS * 1000, &cl->sink,
                                         on_tcp_closed, cl);
    if (!cl->teardown)
        closing_done(cl);
}

static void on_tls_closed(void *ctx)
{
    start_tcp_teardown(ctx);
}

static void start_closing(struct wt_pool *p, struct wt_conn *c)
{
    struct closing *cl = calloc(1, sizeof *cl);
    if (!cl) {
        c->owner = NULL;
        wt_conn_free(c);
        return;
    }
    cl->pool = p;
    cl->conn = c;
    cl->sink = (struct wt_event_sink){ stamp_close, cl };
    cl->next = p->closing;
    p->closing = cl;
    p->n_closing++;
    c->owner = &cl->sink;

    struct wt_event ev = { .kind = WT_EV_CONN_CLOSE };
    ev.u.conn.id = c->id;
    ev.u.conn.scheme = c->scheme;
    ev.u.conn.host = c->host;
    ev.u.conn.port = c->port;
    ev.u.conn.requests = c->requests;
    ev.u.conn.idle_us = wt_loop_now(p->loop) - c->idle_since;
    stamp_close(cl, &ev);

    if (c->tls) {
        wt_tls_close_start(c->tls, (int64_t)WT_TCP_TEARDOWN_MS * 1000, on_tls_closed, cl);
        return;
    }
    start_tcp_teardown(cl);
}

void wt_pool_close_all(struct wt_pool *p)
{
    /* oldest first: the narration follows the order they were last used */
    while (p->idle) {
        struct wt_conn **pp = &p->idle;
        while ((*pp)->next)
            pp = &(*pp)->next;
        struct wt_conn *c = *pp;
        *pp = NULL;
        p->n_idle--;
        start_closing(p, c);
    }
}

int wt_pool_closed(const struct wt_pool *p)
{
    return p->n_idle == 0 && p->n_closing == 0;
}

void wt_pool_free(struct wt_pool *p)
{
    if (!p)
        return;
    while (p->idle) {
        struct wt_conn *c = p->idle;
        p->idle = c->next;
        c->owner = NULL;
        wt_conn_free(c);
    }
    /* (a shared connection belongs to the requests on it, all gone by now) */
    while (p->closing) {
        struct closing *cl = p->closing;
        p->closing = cl->next;
        wt_tcp_teardown_free(cl->teardown);
        cl->conn->owner = NULL;
        if (cl->teardown)
            cl->conn->fd = -1;
        wt_conn_free(cl->conn);
        free(cl);
    }
    free(p);
}
