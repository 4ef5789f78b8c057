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

/* ---- connecting: Happy Eyeballs v2 (RFC 8305) --------------------------- */

struct wt_tcp_connector;

struct attempt {
    struct wt_tcp_connector *c;
    int fd;                      /* -1 once it ended */
    size_t number;               /* 1-based, in the order started */
    struct wt_endpoint remote, local;
    int64_t started_us;
};

struct wt_tcp_connector {
    struct wt_loop *loop;
    struct wt_event_sink sink;
    wt_tcp_connected_proc done;
    void *ctx;
    struct wt_endpoint *addrs;   /* interleaved by family, the order tried */
    size_t n_addrs;
    size_t next;                 /* index of the next address to try */
    uint16_t port;
    int64_t deadline_us;
    int64_t delay_us;            /* the connection attempt delay */
    struct attempt *attempts;    /* one per address, [0, next) started */
    size_t n_running;
    uint64_t start_timer;
    uint64_t delay_timer;
    uint64_t deadline_timer;
    int last_err;
    struct wt_endpoint last_remote;
    int finished;
    char message[256];
};

static void emit_ev(const struct wt_event_sink *sink, struct wt_event *ev, enum wt_phase phase)
{
    ev->phase = phase;
    sink->emit(sink->ctx, ev);
}

void wt_tcp_interleave(struct wt_endpoint *addrs, size_t n)
{
    if (n < 3)
        return;
    struct wt_endpoint *sorted = malloc(n * sizeof *sorted);
    if (!sorted)
        return;  /* the DNS order is still a valid order to try */
    int first = addrs[0].family;
    size_t i_first = 0, i_other = 0, k = 0;
    int want_first = 1;
    while (k < n) {
        /* Next address of the family whose turn it is, or of the other one
         * once this family has run out. */
        size_t *cursor = want_first ? &i_first : &i_other;
        int match_first = want_first;
        while (*cursor < n && (addrs[*cursor].family == first) != match_first)
            (*cursor)++;
        if (*cursor == n) {
            cursor = want_first ? &i_other : &i_first;
            match_first = !want_first;
            while (*cursor < n && (addrs[*cursor].family == first) != match_first)
                (*cursor)++;
        }
        sorted[k++] = addrs[(*cursor)++];
        want_first = !want_first;
    }
    memcpy(addrs, sorted, n * sizeof *sorted);
    free(sorted);
}

static enum wt_tcp_outcome outcome_of(int err)
{
    switch (err) {
    case ECONNREFUSED:
        return WT_TCP_REFUSED;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case EHOSTDOWN:
    case EADDRNOTAVAIL:
    case EAFNOSUPPORT:
        return WT_TCP_UNREACHABLE;
    case ETIMEDOUT:
        return WT_TCP_TIMED_OUT;
    default:
        return WT_TCP_ERROR;
    }
}

/* Closes one attempt and says how it ended; winner is the attempt that won
 * when this one is abandoned, else 0. */
static void attempt_end(struct attempt *a, int err, enum wt_tcp_outcome outcome, size_t winner)
{
    struct wt_tcp_connector *c = a->c;
    struct wt_event ev = { .kind = WT_EV_TCP_FAILED };
    ev.u.tcp_failed.remote = a->remote;
    ev.u.tcp_failed.local = a->local;
    ev.u.tcp_failed.err = err;
    ev.u.tcp_failed.outcome = outcome;
    ev.u.tcp_failed.attempt = a->number;
    ev.u.tcp_failed.winner = winner;
    ev.u.tcp_failed.elapsed_us = wt_loop_now(c->loop) - a->started_us;
    if (a->fd >= 0) {
        wt_loop_unwatch(c->loop, a->fd);
        close(a->fd);
        a->fd = -1;
        c->n_running--;
    }
    if (outcome != WT_TCP_ABANDONED) {
        c->last_err = err;
        c->last_remote = a->remote;
    }
    emit_ev(&c->sink, &ev, WT_PHASE_CONNECT);
}

static void finish_connect(struct wt_tcp_connector *c, int fd, int exit_code)
{
    c->finished = 1;
    wt_loop_timer_cancel(c->loop, c->delay_timer);
    wt_loop_timer_cancel(c->loop, c->deadline_timer);
    wt_loop_timer_cancel(c->loop, c->start_timer);
    c->delay_timer = c->deadline_timer = c->start_timer = 0;
    c->done(c->ctx, fd, exit_code, c->message);
}

static void on_writable(struct wt_loop *loop, int fd, int events, void *data);
static void on_delay(struct wt_loop *loop, void *data);

/* Starts one connect(). Returns 1 when it is in flight, 0 when it failed at
 * once (the failure is already told). */
static int attempt_begin(struct wt_tcp_connector *c, enum wt_tcp_trigger trigger)
{
    size_t idx = c->next++;
    struct attempt *a = &c->attempts[idx];
    a->c = c;
    a->fd = -1;
    a->number = idx + 1;
    a->remote = c->addrs[idx];
    a->remote.port = c->port;
    a->started_us = wt_loop_now(c->loop);

    int err = 0;
    struct sockaddr_storage ss;
    socklen_t len;
    if (wt_sockaddr_from_text(a->remote.addr, c->port, &ss, &len) < 0) {
        err = EAFNOSUPPORT;
    } else {
        a->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
        if (a->fd < 0) {
            err = errno;
        } else {
            c->n_running++;
            if (connect(a->fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS)
                err = errno;
            /* The kernel picked our address and port at connect(): the
             * narration can name both ends of every attempt. */
            struct sockaddr_storage ls;
            socklen_t llen = sizeof ls;
            if (getsockname(a->fd, (struct sockaddr *)&ls, &llen) == 0)
                wt_endpoint_from_sockaddr((struct sockaddr *)&ls, &a->local);
            if (!a->local.port)
                memset(&a->local, 0, sizeof a->local);
        }
    }
    struct wt_event ev = { .kind = WT_EV_TCP_ATTEMPT };
    ev.u.tcp_attempt.remote = a->remote;
    ev.u.tcp_attempt.local = a->local;
    ev.u.tcp_attempt.attempt = a->number;
    ev.u.tcp_attempt.of = c->n_addrs;
    ev.u.tcp_attempt.trigger = trigger;
    ev.u.tcp_attempt.delay_us = c->delay_us;
    ev.u.tcp_attempt.running = c->n_running - (a->fd >= 0);
    emit_ev(&c->sink, &ev, WT_PHASE_CONNECT);
    if (err) {
        attempt_end(a, err, outcome_of(err), 0);
        return 0;
    }
    /* Even an immediate success is reported through the loop, so the
     * sequence of events is the same for every connect. */
    wt_loop_watch(c->loop, a->fd, WT_LOOP_WRITE, on_writable, a);
    return 1;
}

static void fail_all_done(struct wt_tcp_connector *c)
{
    wt_errf(c->message, sizeof c->message, "could not connect to %s port %u: %s",
             c->last_remote.addr, c->port, strerror(c->last_err));
    finish_connect(c, -1, 7);
}

/* Starts the next address: at once after a failure, else when the attempt
 * delay has passed without an answer (RFC 8305 §5). */
static void launch(struct wt_tcp_connector *c, enum wt_tcp_trigger trigger)
{
    wt_loop_timer_cancel(c->loop, c->delay_timer);
    c->delay_timer = 0;
    while (c->next < c->n_addrs) {
        if (attempt_begin(c, trigger))
            break;
        trigger = WT_TCP_AFTER_FAILURE;
    }
    if (c->next < c->n_addrs && c->n_running > 0)
        c->delay_timer = wt_loop_timer_at(c->loop, wt_loop_now(c->loop) + c->delay_us,
                                          on_delay, c);
    if (c->n_running == 0 && c->next >= c->n_addrs)
        fail_all_done(c);
}

static void on_delay(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct wt_tcp_connector *c = data;
    c->delay_timer = 0;
    launch(c, WT_TCP_AFTER_DELAY);
}

static void on_start(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct wt_tcp_connector *c = data;
    c->start_timer = 0;
    if (c->n_addrs == 0) {
        wt_errf(c->message, sizeof c->message, "no address to connect to on port %u", c->port);
        finish_connect(c, -1, 7);
        return;
    }
    launch(c, WT_TCP_FIRST);
}

static void on_writable(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)events;
    struct attempt *a = data;
    struct wt_tcp_connector *c = a->c;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err) {
        attempt_end(a, err, outcome_of(err), 0);
        launch(c, WT_TCP_AFTER_FAILURE);
        return;
    }
    wt_loop_unwatch(loop, fd);
    a->fd = -1;
    c->n_running--;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct wt_event ev = { .kind = WT_EV_TCP_ESTABLISHED };
    ev.u.tcp_established.elapsed_us = wt_loop_now(loop) - a->started_us;
    ev.u.tcp_established.attempt = a->number;
    ev.u.tcp_established.of = c->n_addrs;
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
    /* The winner is kept; every attempt still racing is closed. */
    for (size_t i = 0; i < c->next; i++)
        if (c->attempts[i].fd >= 0)
            attempt_end(&c->attempts[i], 0, WT_TCP_ABANDONED, a->number);
    c->message[0] = '\0';
    finish_connect(c, fd, 0);
}

void wt_tcp_connector_expire(struct wt_tcp_connector *c)
{
    if (!c || c->finished)
        return;
    for (size_t i = 0; i < c->next; i++)
        if (c->attempts[i].fd >= 0)
            attempt_end(&c->attempts[i], ETIMEDOUT, WT_TCP_TIMED_OUT, 0);
}

static void on_deadline(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct wt_tcp_connector *c = data;
    c->deadline_timer = 0;
    wt_tcp_connector_expire(c);
    wt_errf(c->message, sizeof c->message,
            "connection to port %u timed out (connect timeout reached)", c->port);
    finish_connect(c, -1, 28);
}

struct wt_tcp_connector *wt_tcp_connect_start(struct wt_loop *loop,
                                              const struct wt_endpoint *addrs, size_t n,
                                              uint16_t port, int64_t deadline_us,
                                              int64_t attempt_delay_us,
                                              const struct wt_event_sink *sink,
                                              wt_tcp_connected_proc done, void *ctx)
{
    struct wt_tcp_connector *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->addrs = calloc(n ? n : 1, sizeof *c->addrs);
    c->attempts = calloc(n ? n : 1, sizeof *c->attempts);
    if (!c->addrs || !c->attempts) {
        free(c->addrs);
        free(c->attempts);
        free(c);
        return NULL;
    }
    memcpy(c->addrs, addrs, n * sizeof *addrs);
    wt_tcp_interleave(c->addrs, n);
    for (size_t i = 0; i < n; i++)
        c->attempts[i].fd = -1;
    c->n_addrs = n;
    c->loop = loop;
    c->sink = *sink;
    c->done = done;
    c->ctx = ctx;
    c->port = port;
    c->deadline_us = deadline_us;
    c->delay_us = attempt_delay_us > 0 ? attempt_delay_us : 0;
    c->last_err = EHOSTUNREACH;
    c->start_timer = wt_loop_timer_at(loop, wt_loop_now(loop), on_start, c);
    if (deadline_us)
        c->deadline_timer = wt_loop_timer_at(loop, deadline_us, on_deadline, c);
    if (!c->start_timer || (deadline_us && !c->deadline_timer)) {
        wt_tcp_connector_free(c);
        return NULL;
    }
    return c;
}

void wt_tcp_connector_free(struct wt_tcp_connector *c)
{
    if (!c)
        return;
    wt_loop_timer_cancel(c->loop, c->start_timer);
    wt_loop_timer_cancel(c->loop, c->delay_timer);
    wt_loop_timer_cancel(c->loop, c->deadline_timer);
    for (size_t i = 0; i < c->next; i++) {
        if (c->attempts[i].fd >= 0) {
            wt_loop_unwatch(c->loop, c->attempts[i].fd);
            close(c->attempts[i].fd);
        }
    }
    free(c->attempts);
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
