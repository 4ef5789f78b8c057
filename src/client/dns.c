#include "webtrace/dns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "webtrace/dnsmsg.h"
#include "webtrace/dnswire.h"
#include "webtrace/netaddr.h"
#include "webtrace/escape.h"
#include "webtrace/exitcode.h"
#include "webtrace/i18n.h"
#include "webtrace/url.h"

#define MAX_SOCKETS 8            /* c-ares sockets tracked per lookup */
#define TRANSLATED_ERROR_MAX 1024  /* a translated error sentence, as wt_errf allows */

struct dns_socket {
    int fd;
    struct wt_dns_path path;
    int connected;
    /* TCP carries 2-byte length-prefixed messages; reassemble to decode. */
    struct wt_dns_stream in;
};

struct wt_dns_lookup {
    struct wt_loop *loop;
    ares_channel channel;
    struct wt_event_sink sink;
    wt_dns_done_proc done;
    void *ctx;
    char name[WT_DNS_NAME_MAX];
    int64_t started_us;
    uint64_t ares_timer;
    uint64_t budget_timer;
    uint64_t deliver_timer;
    int finished;                /* the c-ares callback ran */
    struct wt_dns_wire wire;     /* what the packets said */
    int recv_refused;            /* ICMP port unreachable on a UDP socket */
    int timed_out;               /* our budget ran out */
    int unreachable;             /* every server refused: stop waiting */
    uint64_t unreachable_timer;
    /* The last name c-ares will ask (after the search list): an NXDOMAIN
     * for it settles the lookup. Empty when unknown. */
    char last_candidate[WT_DNS_NAME_MAX];
    int nxdomain_settled;        /* stopped early: the name does not exist */
    int family;                  /* AF_UNSPEC: A and AAAA are asked */
    /* The addresses the replies carried, as they came: when the budget
     * ends with one type answered and the other not, c-ares gives us
     * nothing, but these are the answer. */
    struct wt_endpoint *answered;
    size_t n_answered, cap_answered;
    uint64_t settle_timer;
    size_t n_servers;
    struct wt_endpoint refused[WT_MAX_DNS_SERVERS];  /* servers that refused */
    size_t n_refused;
    struct dns_socket sockets[MAX_SOCKETS];
    struct wt_dns_result result;
};

int wt_dns_global_init(void)
{
    return ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS ? 0 : -1;
}

void wt_dns_global_cleanup(void)
{
    ares_library_cleanup();
}

static struct dns_socket *find_socket(struct wt_dns_lookup *lk, int fd)
{
    for (size_t i = 0; i < MAX_SOCKETS; i++)
        if (lk->sockets[i].fd == fd)
            return &lk->sockets[i];
    return NULL;
}

static void emit(struct wt_dns_lookup *lk, struct wt_event *ev)
{
    ev->phase = WT_PHASE_DNS;
    lk->sink.emit(lk->sink.ctx, ev);
}

/* ---- what went over the wire ---------------------------------------- */

static void keep_address(struct wt_dns_lookup *lk, const struct wt_event *ev)
{
    const char *addr = ev->u.dns_record.data;
    for (size_t i = 0; i < lk->n_answered; i++)
        if (!strcmp(lk->answered[i].addr, addr))
            return;
    if (lk->n_answered == lk->cap_answered) {
        size_t cap = lk->cap_answered ? lk->cap_answered * 2 : 16;
        struct wt_endpoint *a = realloc(lk->answered, cap * sizeof *a);
        if (!a)
            return;   /* only the fallback loses it: c-ares has its own copy */
        lk->answered = a;
        lk->cap_answered = cap;
    }
    struct wt_endpoint *ep = &lk->answered[lk->n_answered++];
    memset(ep, 0, sizeof *ep);
    snprintf(ep->addr, sizeof ep->addr, "%s", addr);
    ep->family = ev->u.dns_record.type == WT_DNS_TYPE_AAAA ? AF_INET6 : AF_INET;
}

/* Everything dnswire says goes on to the trace; the addresses are kept. */
static void on_wire_event(void *ctx, const struct wt_event *ev)
{
    struct wt_dns_lookup *lk = ctx;
    if (ev->kind == WT_EV_DNS_RECORD && (ev->u.dns_record.type == WT_DNS_TYPE_A ||
                                         ev->u.dns_record.type == WT_DNS_TYPE_AAAA))
        keep_address(lk, ev);
    lk->sink.emit(lk->sink.ctx, ev);
}

struct stream_reader {
    struct wt_dns_lookup *lk;
    struct dns_socket *s;
};

/* When one type is answered and the other is not, c-ares waits for both
 * (and then for our whole budget). The rule for ending sooner: stop as
 * soon as the outcome can no longer change.
 * - NXDOMAIN says the name does not exist, for every type (RFC 1034
 *   §4.3.2, RFC 8020): no AAAA can come for a name without an A. Once it
 *   is said of the last name c-ares will try (the search list done), the
 *   lookup has failed: stop now, exit 6.
 * - SERVFAIL, REFUSED, NOTIMP and FORMERR say this server failed this
 *   query; they prove nothing about the other type (a broken DNSSEC
 *   signature, a filter on AAAA), so the other query keeps its chance
 *   until the budget. If it never comes, the lookup fails with exit 6 (a
 *   server did answer: this is not a pure timeout), as curl 7.88.1 does
 *   through glibc after its own timeouts.
 * - Addresses for one type with the other never answered: they are used
 *   when the budget ends, and the silent type is named (on_addrinfo).
 * Only a lookup where no server answered anything exits 28. */
static void on_settled(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct wt_dns_lookup *lk = data;
    lk->settle_timer = 0;
    lk->nxdomain_settled = 1;
    ares_cancel(lk->channel);  /* runs on_addrinfo with ARES_ECANCELLED */
}

static int same_name(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    while (la > 1 && a[la - 1] == '.')
        la--;
    while (lb > 1 && b[lb - 1] == '.')
        lb--;
    return la == lb && strncasecmp(a, b, la) == 0;
}

static void check_settled(struct wt_dns_lookup *lk)
{
    if (lk->finished || lk->settle_timer || !lk->wire.nxdomain_qtype || !lk->last_candidate[0] ||
        !same_name(lk->wire.nxdomain_qname, lk->last_candidate))
        return;
    /* Never cancel from inside c-ares's read: from the loop, at once. */
    lk->settle_timer = wt_loop_timer_at(lk->loop, wt_loop_now(lk->loop), on_settled, lk);
}

static void on_stream_reply(void *ctx, const uint8_t *msg, size_t len)
{
    struct stream_reader *sr = ctx;
    wt_dns_wire_reply(&sr->lk->wire, &sr->s->path, msg, len, wt_loop_now(sr->lk->loop));
    check_settled(sr->lk);
}

/* ---- c-ares socket functions ----------------------------------------- */

static void on_unreachable(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct wt_dns_lookup *lk = data;
    lk->unreachable_timer = 0;
    lk->unreachable = 1;
    ares_cancel(lk->channel);  /* runs on_addrinfo with ARES_ECANCELLED */
}

/* ICMP port unreachable: nothing listens there. c-ares would keep retrying
 * the same servers until its timeouts; once every server has refused and
 * none has answered, waiting longer cannot help. */
static void note_refused(struct wt_dns_lookup *lk, struct dns_socket *s)
{
    lk->recv_refused++;
    for (size_t i = 0; i < lk->n_refused; i++)
        if (!strcmp(lk->refused[i].addr, s->path.server.addr) &&
            lk->refused[i].port == s->path.server.port)
            return;
    if (lk->n_refused < WT_MAX_DNS_SERVERS)
        lk->refused[lk->n_refused++] = s->path.server;
    if (lk->n_refused >= lk->n_servers && !lk->wire.replies_seen && !lk->unreachable_timer &&
        !lk->finished)
        lk->unreachable_timer = wt_loop_timer_at(lk->loop, wt_loop_now(lk->loop),
                                                 on_unreachable, lk);
}

static ares_socket_t sock_open(int domain, int type, int protocol, void *ud)
{
    struct wt_dns_lookup *lk = ud;
    /* c-ares 1.18 skips its own socket set-up (non-blocking included) when
     * the socket functions are ours: a blocking socket would stall the
     * loop in the read that drains it. */
    int fd = socket(domain, type | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
    if (fd < 0)
        return ARES_SOCKET_BAD;
    struct dns_socket *slot = find_socket(lk, -1);
    if (slot)
        *slot = (struct dns_socket){ .fd = fd, .path.tcp = (type == SOCK_STREAM) };
    return fd;
}

static int sock_close(ares_socket_t fd, void *ud)
{
    struct wt_dns_lookup *lk = ud;
    struct dns_socket *s = find_socket(lk, fd);
    if (s) {
        wt_dns_stream_clear(&s->in);
        *s = (struct dns_socket){ .fd = -1 };
    }
    return close(fd);
}

static int sock_connect(ares_socket_t fd, const struct sockaddr *sa,
                        ares_socklen_t len, void *ud)
{
    struct wt_dns_lookup *lk = ud;
    int rc = connect(fd, sa, len);
    int saved = errno;
    struct dns_socket *s = find_socket(lk, fd);
    if (s) {
        wt_endpoint_from_sockaddr(sa, &s->path.server);
        struct sockaddr_storage local;
        socklen_t llen = sizeof local;
        if (getsockname(fd, (struct sockaddr *)&local, &llen) == 0)
            wt_endpoint_from_sockaddr((struct sockaddr *)&local, &s->path.local);
        s->connected = 1;
    }
    errno = saved;
    return rc;
}

static ares_ssize_t sock_recvfrom(ares_socket_t fd, void *buf, size_t len, int flags,
                                  struct sockaddr *from, ares_socklen_t *fromlen,
                                  void *ud)
{
    struct wt_dns_lookup *lk = ud;
    ssize_t n = recvfrom(fd, buf, len, flags, from, fromlen);
    int saved = errno;
    struct dns_socket *s = find_socket(lk, fd);
    if (s && n > 0) {
        if (s->path.tcp) {
            struct stream_reader sr = { lk, s };
            wt_dns_stream_feed(&s->in, buf, (size_t)n, on_stream_reply, &sr);
        } else {
            wt_dns_wire_reply(&lk->wire, &s->path, buf, (size_t)n, wt_loop_now(lk->loop));
            check_settled(lk);
        }
    } else if (s && n < 0 && saved == ECONNREFUSED) {
        note_refused(lk, s);
    }
    errno = saved;
    return n;
}

static ares_ssize_t sock_sendv(ares_socket_t fd, const struct iovec *iov, int iovcnt,
                               void *ud)
{
    struct wt_dns_lookup *lk = ud;
    ssize_t n = writev(fd, iov, iovcnt);
    int saved = errno;
    struct dns_socket *s = find_socket(lk, fd);
    if (s && n > 0) {
        uint8_t msg[4096];
        size_t copied = 0;
        for (int i = 0; i < iovcnt && copied < (size_t)n; i++) {
            size_t take = iov[i].iov_len;
            if (take > (size_t)n - copied)
                take = (size_t)n - copied;
            if (take > sizeof msg - copied)
                take = sizeof msg - copied;
            memcpy(msg + copied, iov[i].iov_base, take);
            copied += take;
        }
        if (s->path.tcp) {
            /* Queries are tiny: c-ares writes each with its length prefix
             * in one go. */
            if (copied >= 2)
                wt_dns_wire_query(&lk->wire, &s->path, msg + 2, copied - 2,
                                  wt_loop_now(lk->loop));
        } else {
            wt_dns_wire_query(&lk->wire, &s->path, msg, copied, wt_loop_now(lk->loop));
        }
    } else if (s && n < 0 && saved == ECONNREFUSED) {
        note_refused(lk, s);
    }
    errno = saved;
    return n;
}

static const struct ares_socket_functions socket_functions = {
    sock_open, sock_close, sock_connect, sock_recvfrom, sock_sendv,
};

/* ---- driving c-ares from the loop ----------------------------------- */

static void schedule_ares_timer(struct wt_dns_lookup *lk);

static void on_ares_fd(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)loop;
    struct wt_dns_lookup *lk = data;
    ares_socket_t rfd = (events & (WT_LOOP_READ | WT_LOOP_ERROR)) ? fd : ARES_SOCKET_BAD;
    ares_socket_t wfd = (events & WT_LOOP_WRITE) ? fd : ARES_SOCKET_BAD;
    ares_process_fd(lk->channel, rfd, wfd);
    schedule_ares_timer(lk);
}

static void on_ares_timer(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct wt_dns_lookup *lk = data;
    lk->ares_timer = 0;
    ares_process_fd(lk->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    schedule_ares_timer(lk);
}

static void schedule_ares_timer(struct wt_dns_lookup *lk)
{
    wt_loop_timer_cancel(lk->loop, lk->ares_timer);
    lk->ares_timer = 0;
    if (lk->finished)
        return;
    struct timeval tv;
    if (!ares_timeout(lk->channel, NULL, &tv))
        return;
    int64_t us = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
    /* c-ares 1.18 rounds the timeout down; 0 would spin the loop. */
    if (us < 1000)
        us = 1000;
    lk->ares_timer = wt_loop_timer_at(lk->loop, wt_loop_now(lk->loop) + us,
                                      on_ares_timer, lk);
}

static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    struct wt_dns_lookup *lk = data;
    int events = (readable ? WT_LOOP_READ : 0) | (writable ? WT_LOOP_WRITE : 0);
    if (events)
        wt_loop_watch(lk->loop, fd, events, on_ares_fd, lk);
    else
        wt_loop_unwatch(lk->loop, fd);
}

static void deliver(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct wt_dns_lookup *lk = data;
    lk->deliver_timer = 0;
    lk->done(lk->ctx, &lk->result);
}

static void server_list(struct wt_dns_lookup *lk, char *out, size_t outlen)
{
    struct ares_addr_port_node *servers = NULL;
    out[0] = '\0';
    if (ares_get_servers_ports(lk->channel, &servers) != ARES_SUCCESS)
        return;
    size_t used = 0;
    for (struct ares_addr_port_node *n = servers; n && used < outlen; n = n->next) {
        char addr[WT_ADDR_STRLEN];
        inet_ntop(n->family, &n->addr, addr, sizeof addr);
        int port = n->udp_port ? n->udp_port : 53;
        int w = snprintf(out + used, outlen - used, "%s%s%s%s:%d", used ? ", " : "",
                         n->family == AF_INET6 ? "[" : "", addr,
                         n->family == AF_INET6 ? "]" : "", port);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    ares_free_data(servers);
}

/* The error sentence with its reason, why: one of the N_() reasons of
 * describe_failure, or c-ares's own words (which have no translation).
 * As wt_errf does, the English goes into the error record and the
 * translated sentence, reason included, to the narration. */
static void resolve_failed(char *out, size_t outlen, const char *name, const char *why,
                           const char *servers)
{
    const char *fmt = servers ? N_("could not resolve %s: %s; asked %s")
                              : N_("could not resolve %s: %s");
    snprintf(out, outlen, fmt, name, why, servers ? servers : "");
    if (_(fmt) != fmt) {
        char translated[TRANSLATED_ERROR_MAX];
        snprintf(translated, sizeof translated, _(fmt), name, _(why), servers ? servers : "");
        wt_i18n_remember(out, translated);
    }
}

static void describe_failure(struct wt_dns_lookup *lk, int status)
{
    struct wt_dns_result *r = &lk->result;
    char servers[160];
    server_list(lk, servers, sizeof servers);
    const char *why;
    r->exit_code = 6;
    char a_rcode[16], aaaa_rcode[16], qtype[16];
    if (status == ARES_ENOMEM) {
        r->exit_code = WT_EXIT_OUT_OF_MEMORY;
        wt_errf(r->message, sizeof r->message, "out of memory");
        return;
    }
    if (lk->unreachable) {
        why = N_("server unreachable (ICMP port unreachable: nothing listens on that port)");
    } else if (lk->nxdomain_settled) {
        const char *other = lk->wire.nxdomain_qtype == WT_DNS_TYPE_AAAA ? "A" : "AAAA";
        wt_errf(r->message, sizeof r->message,
                "could not resolve %1$s: NXDOMAIN for %2$s (the name does not exist, so it has "
                "no %3$s either: not waiting for that reply); asked %4$s",
                lk->name, wt_dns_type_name(lk->wire.nxdomain_qtype, qtype, sizeof qtype), other,
                servers);
        return;
    } else if ((lk->timed_out || status == ARES_ETIMEOUT) && lk->family == AF_UNSPEC &&
               (lk->wire.a_rcode >= 0) != (lk->wire.aaaa_rcode >= 0)) {
        /* One type answered (without an address we could use), the other
         * never did: a resolve failure, as curl says it, not a timeout. */
        int a_answered = lk->wire.a_rcode >= 0;
        wt_errf(r->message, sizeof r->message,
                "could not resolve %1$s: %2$s for %3$s, and no reply for %4$s before the DNS "
                "time budget ran out; asked %5$s",
                lk->name,
                a_answered ? wt_dns_rcode_name(lk->wire.a_rcode, a_rcode, sizeof a_rcode)
                           : wt_dns_rcode_name(lk->wire.aaaa_rcode, aaaa_rcode, sizeof aaaa_rcode),
                a_answered ? "A" : "AAAA", a_answered ? "AAAA" : "A", servers);
        return;
    } else if (lk->timed_out || status == ARES_ETIMEOUT) {
        /* 28 only when no server answered anything (see on_settled). */
        r->exit_code = lk->wire.a_rcode >= 0 || lk->wire.aaaa_rcode >= 0 ? 6 : 28;
        why = lk->wire.replies_seen ? N_("no usable reply before the DNS time budget ran out")
                                    : N_("no reply before the DNS time budget ran out");
    } else if (lk->wire.rcode_seen[3]) {
        why = N_("NXDOMAIN (the name does not exist)");
    } else if (lk->wire.rcode_seen[5]) {
        why = N_("REFUSED (the server will not answer this query)");
    } else if (lk->wire.rcode_seen[2]) {
        why = N_("SERVFAIL (the server failed to resolve it)");
    } else if (lk->wire.rcode_seen[4]) {
        why = N_("NOTIMP (the server does not support the query)");
    } else if (lk->wire.rcode_seen[1]) {
        why = N_("FORMERR (the server could not parse the query)");
    } else if (status == ARES_EBADNAME && strlen(lk->name) > WT_DNS_HOST_MAX_LEN) {
        wt_errf(r->message, sizeof r->message, "could not resolve %1$s: the name is %2$zu "
                "bytes, DNS allows at most %3$d (c-ares: %4$s)", lk->name, strlen(lk->name),
                WT_DNS_HOST_MAX_LEN, ares_strerror(status));
        return;
    } else if (status == ARES_ENODATA || (status == ARES_ENOTFOUND && lk->wire.replies_seen)) {
        why = N_("NOERROR but no address records for it");
    } else if (status == ARES_ENOTFOUND && !lk->wire.queries_sent) {
        why = N_("not in the hosts file and no DNS server answered");
    } else {
        why = ares_strerror(status);
    }
    resolve_failed(r->message, sizeof r->message, lk->name, why,
                   lk->wire.queries_sent && servers[0] ? servers : NULL);
}

static void on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
    (void)timeouts;
    struct wt_dns_lookup *lk = arg;
    struct wt_dns_result *r = &lk->result;
    lk->finished = 1;
    r->elapsed_us = wt_loop_now(lk->loop) - lk->started_us;
    if (status == ARES_SUCCESS && ai) {
        r->source = lk->wire.queries_sent ? WT_DNS_FROM_SERVER : WT_DNS_FROM_HOSTS;
        size_t n_nodes = 0;
        for (struct ares_addrinfo_node *n = ai->nodes; n; n = n->ai_next)
            n_nodes++;
        r->addresses = calloc(n_nodes ? n_nodes : 1, sizeof *r->addresses);
        if (!r->addresses)
            status = ARES_ENOMEM;
        for (struct ares_addrinfo_node *n = ai->nodes; n && r->addresses; n = n->ai_next) {
            if (n->ai_family != AF_INET && n->ai_family != AF_INET6)
                continue;
            struct wt_endpoint ep;
            wt_endpoint_from_sockaddr(n->ai_addr, &ep);
            ep.port = 0;
            int dup = 0;
            for (size_t i = 0; i < r->n_addresses && !dup; i++)
                dup = !strcmp(r->addresses[i].addr, ep.addr);
            if (!dup)
                r->addresses[r->n_addresses++] = ep;
        }
    }
    if (ai)
        ares_freeaddrinfo(ai);
    if (status == ARES_SUCCESS && r->n_addresses == 0)
        status = ARES_ENODATA;
    /* The budget ran out with one type answered with addresses and the
     * other never answered: those addresses are the answer (curl, through
     * glibc, also goes on with them after its timeouts), and the type
     * that stayed silent is said. */
    uint16_t unanswered = 0;
    if ((lk->timed_out || status == ARES_ETIMEOUT) && lk->family == AF_UNSPEC &&
        lk->n_answered && (lk->wire.a_rcode < 0) != (lk->wire.aaaa_rcode < 0)) {
        unanswered = lk->wire.a_rcode < 0 ? WT_DNS_TYPE_A : WT_DNS_TYPE_AAAA;
        free(r->addresses);
        r->addresses = lk->answered;
        r->n_addresses = lk->n_answered;
        lk->answered = NULL;
        lk->n_answered = lk->cap_answered = 0;
        r->source = WT_DNS_FROM_SERVER;
        status = ARES_SUCCESS;
    }
    if (status != ARES_SUCCESS) {
        describe_failure(lk, status);
    } else {
        struct wt_event ev = { .kind = WT_EV_DNS_DONE };
        ev.u.dns_done.name = lk->name;
        ev.u.dns_done.source = r->source;
        ev.u.dns_done.n_addresses = r->n_addresses;
        ev.u.dns_done.addresses = r->addresses;
        ev.u.dns_done.elapsed_us = r->elapsed_us;
        ev.u.dns_done.unanswered_qtype = unanswered;
        emit(lk, &ev);
    }
    wt_loop_timer_cancel(lk->loop, lk->budget_timer);
    wt_loop_timer_cancel(lk->loop, lk->unreachable_timer);
    wt_loop_timer_cancel(lk->loop, lk->settle_timer);
    lk->budget_timer = lk->unreachable_timer = lk->settle_timer = 0;
    /* Hand the result over from the loop, never from inside c-ares (it may
     * be in ares_getaddrinfo itself for a hosts-file answer) so the caller
     * may free the lookup in its callback. */
    lk->deliver_timer = wt_loop_timer_at(lk->loop, wt_loop_now(lk->loop), deliver, lk);
}

static void on_budget(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct wt_dns_lookup *lk = data;
    lk->budget_timer = 0;
    lk->timed_out = 1;
    ares_cancel(lk->channel);  /* runs on_addrinfo with ARES_ECANCELLED */
}

static void emit_start(struct wt_dns_lookup *lk, const struct wt_dns_config *config)
{
    struct wt_endpoint servers[WT_MAX_DNS_SERVERS];
    size_t n = 0;
    struct ares_addr_port_node *list = NULL;
    if (ares_get_servers_ports(lk->channel, &list) == ARES_SUCCESS) {
        for (struct ares_addr_port_node *p = list; p && n < WT_MAX_DNS_SERVERS; p = p->next) {
            memset(&servers[n], 0, sizeof servers[n]);
            inet_ntop(p->family, &p->addr, servers[n].addr, sizeof servers[n].addr);
            servers[n].port = p->udp_port ? (uint16_t)p->udp_port : 53;
            servers[n].family = p->family;
            n++;
        }
        ares_free_data(list);
    }
    lk->n_servers = n;
    struct wt_event ev = { .kind = WT_EV_DNS_START };
    ev.u.dns_start.name = lk->name;
    ev.u.dns_start.n_servers = n;
    ev.u.dns_start.servers = servers;
    ev.u.dns_start.servers_from_cli = config->n_servers > 0;
    ev.u.dns_start.family = config->family;
    emit(lk, &ev);
}

/* The last name c-ares 1.18's getaddrinfo asks, whose NXDOMAIN ends its
 * search: the name itself when it ends with a dot or there is no search
 * list; else with ndots dots or more the name is tried first and the last
 * search domain last, with fewer the name as it is comes last. */
static void find_last_candidate(struct wt_dns_lookup *lk)
{
    struct ares_options o;
    int mask = 0;
    lk->last_candidate[0] = '\0';
    if (ares_save_options(lk->channel, &o, &mask) != ARES_SUCCESS)
        return;
    size_t len = strlen(lk->name);
    size_t dots = 0;
    for (size_t i = 0; i < len; i++)
        dots += lk->name[i] == '.';
    int fqdn = len && lk->name[len - 1] == '.';
    if (fqdn || o.ndomains <= 0 || (int)dots < o.ndots) {
        snprintf(lk->last_candidate, sizeof lk->last_candidate, "%s", lk->name);
    } else {
        int w = snprintf(lk->last_candidate, sizeof lk->last_candidate, "%s.%s", lk->name,
                         o.domains[o.ndomains - 1]);
        if (w < 0 || (size_t)w >= sizeof lk->last_candidate)
            lk->last_candidate[0] = '\0';   /* too long for DNS: never asked */
    }
    ares_destroy_options(&o);
}

struct wt_dns_lookup *wt_dns_lookup_start(struct wt_loop *loop,
                                          const struct wt_dns_config *config,
                                          const char *name,
                                          const struct wt_event_sink *sink,
                                          wt_dns_done_proc done, void *ctx,
                                          char *err, size_t errlen)
{
    struct wt_dns_lookup *lk = calloc(1, sizeof *lk);
    if (!lk) {
        wt_errf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < MAX_SOCKETS; i++)
        lk->sockets[i].fd = -1;
    lk->loop = loop;
    lk->sink = *sink;
    lk->done = done;
    lk->ctx = ctx;
    lk->family = config->family;
    wt_dns_wire_init(&lk->wire, &(struct wt_event_sink){ on_wire_event, lk });
    snprintf(lk->name, sizeof lk->name, "%s", name);

    long budget = config->timeout_ms > 0 ? config->timeout_ms : WT_DEFAULT_DNS_TIMEOUT_MS;
    struct ares_options opts;
    memset(&opts, 0, sizeof opts);
    /* c-ares's defaults allow ~75 s per server; our budget timer is the
     * real limit, c-ares only needs to retry inside it. */
    opts.timeout = (int)(budget / 2 > 200 ? budget / 2 : 200);
    opts.tries = 3;
    opts.sock_state_cb = on_sock_state;
    opts.sock_state_cb_data = lk;
    opts.lookups = (char *)"fb";
    int optmask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB |
                  ARES_OPT_LOOKUPS;
    int rc = ares_init_options(&lk->channel, &opts, optmask);
    if (rc != ARES_SUCCESS) {
        wt_errf(err, errlen, "cannot set up the resolver: %s", ares_strerror(rc));
        free(lk);
        return NULL;
    }
    if (config->n_servers) {
        struct ares_addr_port_node nodes[WT_MAX_DNS_SERVERS];
        size_t n = config->n_servers < WT_MAX_DNS_SERVERS ? config->n_servers
                                                          : WT_MAX_DNS_SERVERS;
        memset(nodes, 0, sizeof nodes);
        for (size_t i = 0; i < n; i++) {
            const struct wt_dns_server *s = &config->servers[i];
            if (inet_pton(AF_INET, s->addr, &nodes[i].addr.addr4) == 1)
                nodes[i].family = AF_INET;
            else if (inet_pton(AF_INET6, s->addr, &nodes[i].addr.addr6) == 1)
                nodes[i].family = AF_INET6;
            nodes[i].udp_port = s->port;
            nodes[i].tcp_port = s->port;
            nodes[i].next = i + 1 < n ? &nodes[i + 1] : NULL;
        }
        rc = ares_set_servers_ports(lk->channel, nodes);
        if (rc != ARES_SUCCESS) {
            wt_errf(err, errlen, "cannot use the DNS server: %s", ares_strerror(rc));
            ares_destroy(lk->channel);
            free(lk);
            return NULL;
        }
    }
    ares_set_socket_functions(lk->channel, &socket_functions, lk);
    find_last_candidate(lk);

    emit_start(lk, config);
    lk->started_us = wt_loop_now(loop);
    lk->budget_timer = wt_loop_timer_at(loop, lk->started_us + (int64_t)budget * 1000,
                                        on_budget, lk);
    struct ares_addrinfo_hints hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = config->family;
    hints.ai_socktype = SOCK_STREAM;
    ares_getaddrinfo(lk->channel, name, NULL, &hints, on_addrinfo, lk);
    schedule_ares_timer(lk);
    return lk;
}

void wt_dns_lookup_free(struct wt_dns_lookup *lk)
{
    if (!lk)
        return;
    wt_loop_timer_cancel(lk->loop, lk->ares_timer);
    wt_loop_timer_cancel(lk->loop, lk->budget_timer);
    wt_loop_timer_cancel(lk->loop, lk->deliver_timer);
    wt_loop_timer_cancel(lk->loop, lk->unreachable_timer);
    wt_loop_timer_cancel(lk->loop, lk->settle_timer);
    lk->finished = 1;
    /* ares_destroy runs pending callbacks with ARES_EDESTRUCTION; done is
     * only called from deliver(), which is cancelled above. */
    lk->done = NULL;
    ares_destroy(lk->channel);
    for (size_t i = 0; i < MAX_SOCKETS; i++)
        wt_dns_stream_clear(&lk->sockets[i].in);
    wt_loop_timer_cancel(lk->loop, lk->deliver_timer);
    free(lk->result.addresses);
    free(lk->answered);
    free(lk);
}
