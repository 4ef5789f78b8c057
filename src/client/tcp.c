#include "webtrace/tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "webtrace/netaddr.h"
#include "webtrace/escape.h"
#include "webtrace/i18n.h"

int wt_tcp_info_read(int fd, struct wt_tcp_info *out)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
        return -1;
    out->state = ti.tcpi_state;
    out->rtt_us = ti.tcpi_rtt;
    out->rttvar_us = ti.tcpi_rttvar;
    out->snd_mss = ti.tcpi_snd_mss;
    out->rcv_mss = ti.tcpi_rcv_mss;
    out->snd_cwnd = ti.tcpi_snd_cwnd;
    return 0;
}

int wt_tcp_endpoints(int fd, struct wt_endpoint *local, struct wt_endpoint *remote)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    wt_endpoint_from_sockaddr((struct sockaddr *)&ss, local);
    len = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    wt_endpoint_from_sockaddr((struct sockaddr *)&ss, remote);
    return 0;
}

int wt_tcp_diag_lookup(const struct wt_endpoint *local, const struct wt_endpoint *remote,
                       int *state, int64_t *expires_ms)
{
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 req;
    } msg;
    memset(&msg, 0, sizeof msg);
    msg.nlh.nlmsg_len = sizeof msg;
    msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    /* No NLM_F_DUMP: an exact 4-tuple lookup, which also finds TIME_WAIT
     * mini-sockets. */
    msg.nlh.nlmsg_flags = NLM_F_REQUEST;
    msg.req.sdiag_family = (uint8_t)local->family;
    msg.req.sdiag_protocol = IPPROTO_TCP;
    msg.req.idiag_states = ~0u;
    msg.req.id.idiag_sport = htons(local->port);
    msg.req.id.idiag_dport = htons(remote->port);
    msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
    msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
    int af = local->family;
    if (inet_pton(af, local->addr, msg.req.id.idiag_src) != 1 ||
        inet_pton(af, remote->addr, msg.req.id.idiag_dst) != 1)
        return -1;

    int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (nl < 0)
        return -1;
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    if (sendto(nl, &msg, sizeof msg, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
        int saved = errno;
        close(nl);
        errno = saved;
        return -1;
    }
    /* The kernel answers synchronously; a timeout guards against surprises. */
    struct timeval tv = { .tv_sec = 1 };
    setsockopt(nl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    union {
        char bytes[8192];
        struct nlmsghdr align;
    } buf;
    ssize_t n = recv(nl, buf.bytes, sizeof buf.bytes, 0);
    int saved = errno;
    close(nl);
    if (n < 0) {
        errno = saved;
        return -1;
    }
    for (struct nlmsghdr *h = &buf.align; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
        if (h->nlmsg_type == NLMSG_ERROR) {
            const struct nlmsgerr *e = NLMSG_DATA(h);
            if (e->error == -ENOENT)
                return 0;
            errno = -e->error;
            return -1;
        }
        if (h->nlmsg_type == NLMSG_DONE)
            return 0;
        if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
            h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
            const struct inet_diag_msg *d = NLMSG_DATA(h);
            /* The kernel's exact lookup falls back to a listener on the
             * same local port: that is not our connection. */
            if (d->id.idiag_dport != htons(remote->port) ||
                d->id.idiag_sport != htons(local->port))
                return 0;
            *state = d->idiag_state;
            *expires_ms = d->idiag_timer ? (int64_t)d->idiag_expires : -1;
            return 1;
        }
    }
    return 0;
}

/* ---- connecting -------------------------------------------------------- */

struct wt_tcp_connector {
    struct wt_loop *loop;
    struct wt_event_sink sink;
    wt_tcp_connected_proc done;
    void *ctx;
    struct wt_endpoint *addrs;
    size_t n_addrs;
    size_t next;                 /* index of the next address to try */
    uint16_t port;
    int64_t deadline_us;
    int fd;                      /* attempt in progress, or -1 */
    struct wt_endpoint current;
    int64_t attempt_started_us;
    uint64_t attempt_timer;
    uint64_t step_timer;
    int last_err;
    int timed_out;
    char message[256];
};

static void emit_ev(const struct wt_event_sink *sink, struct wt_event *ev, enum wt_phase phase)
{
    ev->phase = phase;
    sink->emit(sink->ctx, ev);
}

static void try_next(struct wt_loop *loop, void *data);

static void finish_connect(struct wt_tcp_connector *c, int fd, int exit_code)
{
    wt_loop_timer_cancel(c->loop, c->attempt_timer);
    c->attempt_timer = 0;
    c->done(c->ctx, fd, exit_code, c->message);
}

static void attempt_failed(struct wt_tcp_connector *c, int err)
{
    struct wt_event ev = { .kind = WT_EV_TCP_FAILED };
    ev.u.tcp_failed.remote = c->current;
    ev.u.tcp_failed.remote.port = c->port;
    ev.u.tcp_failed.err = err;
    if (c->fd >= 0) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        if (getsockname(c->fd, (struct sockaddr *)&ss, &len) == 0)
            wt_endpoint_from_sockaddr((struct sockaddr *)&ss, &ev.u.tcp_failed.local);
    }
    ev.u.tcp_failed.elapsed_us = wt_loop_now(c->loop) - c->attempt_started_us;
    emit_ev(&c->sink, &ev, WT_PHASE_CONNECT);
    c->last_err = err;
    if (c->fd >= 0) {
        wt_loop_unwatch(c->loop, c->fd);
        close(c->fd);
        c->fd = -1;
    }
    wt_loop_timer_cancel(c->loop, c->attempt_timer);
    c->attempt_timer = 0;
    c->step_timer = wt_loop_timer_at(c->loop, wt_loop_now(c->loop), try_next, c);
}

static void on_writable(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)events;
    struct wt_tcp_connector *c = data;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err) {
        attempt_failed(c, err);
        return;
    }
    wt_loop_unwatch(loop, fd);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct wt_event ev = { .kind = WT_EV_TCP_ESTABLISHED };
    ev.u.tcp_established.elapsed_us = wt_loop_now(loop) - c->attempt_started_us;
    wt_tcp_endpoints(fd, &ev.u.tcp_established.local, &ev.u.tcp_established.remote);
    struct wt_tcp_info info;
    if (wt_tcp_info_read(fd, &info) == 0) {
        ev.u.tcp_established.have_info = 1;
        ev.u.tcp_established.state = info.state;
        ev.u.tcp_established.rtt_us = info.rtt_us;
        ev.u.tcp_established.rttvar_us = info.rttvar_us;
        ev.u.tcp_established.snd_mss = info.snd_mss;
        ev.u.tcp_established.rcv_mss = info.rcv_mss;
        ev.u.tcp_established.snd_cwnd = info.snd_cwnd;
    }
    emit_ev(&c->sink, &ev, WT_PHASE_CONNECT);
    c->fd = -1;
    c->message[0] = '\0';
    finish_connect(c, fd, 0);
}

static void on_attempt_timeout(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct wt_tcp_connector *c = data;
    c->attempt_timer = 0;
    attempt_failed(c, ETIMEDOUT);
}

static void try_next(struct wt_loop *loop, void *data)
{
    struct wt_tcp_connector *c = data;
    c->step_timer = 0;
    int64_t now = wt_loop_now(loop);
    if (c->deadline_us && now >= c->deadline_us) {
        c->timed_out = 1;
        c->next = c->n_addrs;
    }
    if (c->next >= c->n_addrs) {
        if (c->timed_out || (c->last_err == ETIMEDOUT && c->deadline_us && now >= c->deadline_us)) {
            wt_errf(c->message, sizeof c->message,
                     "connection to port %u timed out (connect timeout reached)", c->port);
            finish_connect(c, -1, 28);
        } else {
            wt_errf(c->message, sizeof c->message, "could not connect to %s port %u: %s",
                     c->current.addr, c->port, strerror(c->last_err));
            finish_connect(c, -1, 7);
        }
        return;
    }
    size_t idx = c->next++;
    c->current = c->addrs[idx];
    c->attempt_started_us = now;
    struct wt_event ev = { .kind = WT_EV_TCP_ATTEMPT };
    ev.u.tcp_attempt.remote = c->current;
    ev.u.tcp_attempt.remote.port = c->port;
    ev.u.tcp_attempt.attempt = idx + 1;
    ev.u.tcp_attempt.of = c->n_addrs;
    emit_ev(&c->sink, &ev, WT_PHASE_CONNECT);

    struct sockaddr_storage ss;
    socklen_t len;
    if (wt_sockaddr_from_text(c->current.addr, c->port, &ss, &len) < 0) {
        attempt_failed(c, EAFNOSUPPORT);
        return;
    }
    c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (c->fd < 0) {
        attempt_failed(c, errno);
        return;
    }
    if (connect(c->fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
        attempt_failed(c, errno);
        return;
    }
    /* Even an immediate success is reported through the loop, so the
     * sequence of events is the same for every connect. */
    wt_loop_watch(loop, c->fd, WT_LOOP_WRITE, on_writable, c);
    int64_t limit = c->deadline_us;
    if (c->next < c->n_addrs) {
        int64_t cap = now + (int64_t)WT_TCP_ATTEMPT_MS * 1000;
        if (c->deadline_us) {
            int64_t half = now + (c->deadline_us - now) / 2;
            if (half < cap)
                cap = half;
        }
        if (!limit || cap < limit)
            limit = cap;
    }
    if (limit)
        c->attempt_timer = wt_loop_timer_at(loop, limit, on_attempt_timeout, c);
}

struct wt_tcp_connector *wt_tcp_connect_start(struct wt_loop *loop,
                                              const struct wt_endpoint *addrs, size_t n,
                                              uint16_t port, int64_t deadline_us,
                                              const struct wt_event_sink *sink,
                                              wt_tcp_connected_proc done, void *ctx)
{
    struct wt_tcp_connector *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->addrs = calloc(n ? n : 1, sizeof *c->addrs);
    if (!c->addrs) {
        free(c);
        return NULL;
    }
    memcpy(c->addrs, addrs, n * sizeof *addrs);
    c->n_addrs = n;
    c->loop = loop;
    c->sink = *sink;
    c->done = done;
    c->ctx = ctx;
    c->port = port;
    c->deadline_us = deadline_us;
    c->fd = -1;
    c->last_err = EHOSTUNREACH;
    c->step_timer = wt_loop_timer_at(loop, wt_loop_now(loop), try_next, c);
    if (!c->step_timer) {
        wt_tcp_connector_free(c);
        return NULL;
    }
    return c;
}

void wt_tcp_connector_free(struct wt_tcp_connector *c)
{
    if (!c)
        return;
    wt_loop_timer_cancel(c->loop, c->attempt_timer);
    wt_loop_timer_cancel(c->loop, c->step_timer);
    if (c->fd >= 0) {
        wt_loop_unwatch(c->loop, c->fd);
        close(c->fd);
    }
    free(c->addrs);
    free(c);
}

/* ---- teardown ---------------------------------------------------------- */

struct wt_tcp_teardown {
    struct wt_loop *loop;
    struct wt_event_sink sink;
    wt_tcp_closed_proc done;
    void *ctx;
    int fd;
    struct wt_endpoint local, remote;
    int64_t started_us;
    uint64_t budget_timer;
    uint64_t step_timer;
    int we_closed_first;
    int peer_closed;
    size_t drained;              /* unexpected bytes after the response */
    struct wt_event ev;
};

static void record_state(struct wt_tcp_teardown *td, int state)
{
    struct wt_event *ev = &td->ev;
    size_t n = ev->u.tcp_teardown.n_states;
    if (n && ev->u.tcp_teardown.states[n - 1] == (enum wt_tcp_state)state)
        return;
    if (n < WT_TEARDOWN_MAX_STATES)
        ev->u.tcp_teardown.states[ev->u.tcp_teardown.n_states++] = state;
}

static void record_socket_state(struct wt_tcp_teardown *td)
{
    struct wt_tcp_info info;
    if (wt_tcp_info_read(td->fd, &info) < 0)
        return;
    /* Once both FINs have crossed, the active closer's socket shows CLOSE:
     * the kernel moved the connection to a TIME_WAIT mini-socket, which
     * sock_diag reports after close(). */
    if (td->we_closed_first && info.state == WT_TCP_CLOSE)
        return;
    record_state(td, info.state);
}

static void deliver_closed(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct wt_tcp_teardown *td = data;
    td->step_timer = 0;
    td->done(td->ctx);
}

/* Closes the socket and reads what the kernel keeps of the connection. */
static void close_and_finish(struct wt_tcp_teardown *td)
{
    wt_loop_timer_cancel(td->loop, td->budget_timer);
    td->budget_timer = 0;
    wt_loop_unwatch(td->loop, td->fd);
    close(td->fd);
    td->fd = -1;

    struct wt_event *ev = &td->ev;
    int state;
    int64_t expires = -1;
    ev->u.tcp_teardown.time_wait_ms = -1;
    int found = wt_tcp_diag_lookup(&td->local, &td->remote, &state, &expires);
    if (found == 1) {
        record_state(td, state);
        if (state == WT_TCP_TIME_WAIT) {
            ev->u.tcp_teardown.time_wait_ms = expires;
            ev->u.tcp_teardown.time_wait_is_ours = 1;
        }
    } else if (found == 0) {
        record_state(td, WT_TCP_CLOSE);
        /* When the server runs on this machine its half is visible too:
         * the side that closed first is the one in TIME_WAIT. */
        if (wt_tcp_diag_lookup(&td->remote, &td->local, &state, &expires) == 1 &&
            state == WT_TCP_TIME_WAIT) {
            ev->u.tcp_teardown.time_wait_ms = expires;
            ev->u.tcp_teardown.time_wait_is_ours = 0;
        }
    }
    ev->u.tcp_teardown.we_closed_first = td->we_closed_first;
    ev->u.tcp_teardown.peer_closed = td->peer_closed;
    ev->u.tcp_teardown.elapsed_us = wt_loop_now(td->loop) - td->started_us;
    emit_ev(&td->sink, ev, WT_PHASE_CLOSE);
    td->step_timer = wt_loop_timer_at(td->loop, wt_loop_now(td->loop), deliver_closed, td);
}

static void close_first(struct wt_tcp_teardown *td);

static void on_peer_readable(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)loop;
    (void)events;
    struct wt_tcp_teardown *td = data;
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) {
            td->drained += (size_t)n;
            if (td->drained > 1 << 20)
                break;  /* a peer that keeps talking: stop listening */
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n == 0)
            td->peer_closed = 1;
        else if (n < 0 && errno == ECONNRESET)
            td->ev.u.tcp_teardown.reset = 1;
        break;
    }
    if (td->ev.u.tcp_teardown.reset) {
        /* An RST ends it at once: no FIN exchange, no TIME_WAIT. */
        record_state(td, WT_TCP_CLOSE);
        close_and_finish(td);
        return;
    }
    if (td->peer_closed && !td->we_closed_first) {
        record_socket_state(td);     /* CLOSE_WAIT: their FIN, our turn */
        close_and_finish(td);
        return;
    }
    if (td->we_closed_first) {
        record_socket_state(td);
        close_and_finish(td);
        return;
    }
    close_first(td);
}

static void on_budget_expired(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct wt_tcp_teardown *td = data;
    td->budget_timer = 0;
    if (!td->we_closed_first) {
        /* The peer promised to close but has not: close ourselves. */
        close_first(td);
        return;
    }
    record_socket_state(td);
    close_and_finish(td);
}

static void close_first(struct wt_tcp_teardown *td)
{
    td->we_closed_first = 1;
    shutdown(td->fd, SHUT_WR);  /* FIN out; the socket stays ours to watch */
    record_socket_state(td);
    wt_loop_watch(td->loop, td->fd, WT_LOOP_READ, on_peer_readable, td);
    if (!td->budget_timer)
        td->budget_timer = wt_loop_timer_at(td->loop,
                                            wt_loop_now(td->loop) + WT_TCP_TEARDOWN_MS * 1000,
                                            on_budget_expired, td);
}

static void teardown_begin(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct wt_tcp_teardown *td = data;
    td->step_timer = 0;
    if (td->peer_closed) {
        record_socket_state(td);
        close_and_finish(td);
    } else if (td->we_closed_first) {
        td->we_closed_first = 0;
        close_first(td);
    } else {
        record_socket_state(td);
        wt_loop_watch(td->loop, td->fd, WT_LOOP_READ, on_peer_readable, td);
    }
}

struct wt_tcp_teardown *wt_tcp_teardown_start(struct wt_loop *loop, int fd,
                                              int peer_closed, int expect_peer_close,
                                              uint64_t server_conn, int64_t budget_us,
                                              const struct wt_event_sink *sink,
                                              wt_tcp_closed_proc done, void *ctx)
{
    struct wt_tcp_teardown *td = calloc(1, sizeof *td);
    if (!td) {
        close(fd);
        return NULL;
    }
    td->loop = loop;
    td->sink = *sink;
    td->done = done;
    td->ctx = ctx;
    td->fd = fd;
    td->started_us = wt_loop_now(loop);
    td->peer_closed = peer_closed;
    td->we_closed_first = !peer_closed && !expect_peer_close;
    td->ev.kind = WT_EV_TCP_TEARDOWN;
    td->ev.u.tcp_teardown.we_are_server = server_conn != 0;
    td->ev.u.tcp_teardown.conn = server_conn;
    wt_tcp_endpoints(fd, &td->local, &td->remote);
    if (budget_us <= 0 || budget_us > (int64_t)WT_TCP_TEARDOWN_MS * 1000)
        budget_us = (int64_t)WT_TCP_TEARDOWN_MS * 1000;
    if (!peer_closed)
        td->budget_timer = wt_loop_timer_at(loop, td->started_us + budget_us,
                                            on_budget_expired, td);
    td->step_timer = wt_loop_timer_at(loop, td->started_us, teardown_begin, td);
    return td;
}

void wt_tcp_teardown_free(struct wt_tcp_teardown *td)
{
    if (!td)
        return;
    wt_loop_timer_cancel(td->loop, td->budget_timer);
    wt_loop_timer_cancel(td->loop, td->step_timer);
    if (td->fd >= 0) {
        wt_loop_unwatch(td->loop, td->fd);
        close(td->fd);
    }
    free(td);
}
