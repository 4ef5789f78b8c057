#include "webtrace/dnswire.h"

#include <stdlib.h>
#include <string.h>

void wt_dns_wire_init(struct wt_dns_wire *w, const struct wt_event_sink *sink)
{
    memset(w, 0, sizeof *w);
    w->sink = *sink;
    w->a_rcode = w->aaaa_rcode = -1;
}

static void emit(struct wt_dns_wire *w, struct wt_event *ev)
{
    ev->phase = WT_PHASE_DNS;
    w->sink.emit(w->sink.ctx, ev);
}

void wt_dns_wire_query(struct wt_dns_wire *w, const struct wt_dns_path *path,
                       const uint8_t *msg, size_t len, int64_t now_us)
{
    struct wt_dns_msg m;
    if (wt_dns_msg_decode(msg, len, &m) < 0 || m.is_response)
        return;
    w->queries_sent++;
    /* The same query again: c-ares gave up waiting for the server it last
     * sent it to. Name that server before the resolver moves on. */
    for (size_t i = 0; i < w->n_pending; i++) {
        if (w->pending[i].id != m.id || w->pending[i].qtype != m.qtype)
            continue;
        struct wt_event nev = { .kind = WT_EV_DNS_NO_ANSWER };
        nev.u.dns_no_answer.server = w->pending[i].server;
        nev.u.dns_no_answer.next = path->server;
        nev.u.dns_no_answer.id = m.id;
        nev.u.dns_no_answer.qtype = m.qtype;
        nev.u.dns_no_answer.qname = m.qname;
        nev.u.dns_no_answer.waited_us = now_us - w->pending[i].sent_us;
        emit(w, &nev);
        w->pending[i] = w->pending[--w->n_pending];
        break;
    }
    if (w->n_pending < WT_DNS_WIRE_MAX_PENDING) {
        w->pending[w->n_pending].id = m.id;
        w->pending[w->n_pending].qtype = m.qtype;
        w->pending[w->n_pending].sent_us = now_us;
        w->pending[w->n_pending].server = path->server;
        w->n_pending++;
    }
    struct wt_event ev = { .kind = WT_EV_DNS_QUERY };
    ev.u.dns_query.server = path->server;
    ev.u.dns_query.local = path->local;
    ev.u.dns_query.tcp = path->tcp;
    ev.u.dns_query.id = m.id;
    ev.u.dns_query.qtype = m.qtype;
    ev.u.dns_query.qname = m.qname;
    ev.u.dns_query.bytes = len;
    emit(w, &ev);
}

static int cname_already_seen(struct wt_dns_wire *w, const struct wt_dns_record *r)
{
    for (size_t i = 0; i < w->n_seen_cnames; i++)
        if (!strcmp(w->seen_cnames[i].name, r->name) &&
            !strcmp(w->seen_cnames[i].target, r->data))
            return 1;
    if (w->n_seen_cnames < WT_DNS_WIRE_MAX_CNAMES) {
        memcpy(w->seen_cnames[w->n_seen_cnames].name, r->name, sizeof r->name);
        memcpy(w->seen_cnames[w->n_seen_cnames].target, r->data, sizeof r->data);
        w->n_seen_cnames++;
    }
    return 0;
}

void wt_dns_wire_reply(struct wt_dns_wire *w, const struct wt_dns_path *path,
                       const uint8_t *msg, size_t len, int64_t now_us)
{
    struct wt_dns_msg m;
    if (wt_dns_msg_decode(msg, len, &m) < 0 || !m.is_response)
        return;
    w->replies_seen++;
    w->rcode_seen[m.rcode & 15]++;
    /* A truncated reply is not the answer: the one over TCP will be. */
    if (m.qtype == WT_DNS_TYPE_A && !m.tc)
        w->a_rcode = m.rcode;
    else if (m.qtype == WT_DNS_TYPE_AAAA && !m.tc)
        w->aaaa_rcode = m.rcode;
    if (m.rcode == 3) {
        w->nxdomain_qtype = m.qtype;
        memcpy(w->nxdomain_qname, m.qname, sizeof m.qname);
    }
    /* Each reply's time is its own round trip: from the copy of the query
     * sent to the server that answered. */
    int64_t rtt = -1;
    for (size_t i = 0; i < w->n_pending; i++) {
        if (w->pending[i].id == m.id && w->pending[i].qtype == m.qtype &&
            !strcmp(w->pending[i].server.addr, path->server.addr) &&
            w->pending[i].server.port == path->server.port) {
            rtt = now_us - w->pending[i].sent_us;
            w->pending[i] = w->pending[--w->n_pending];
            break;
        }
    }
    struct wt_event ev = { .kind = WT_EV_DNS_REPLY };
    ev.u.dns_reply.server = path->server;
    ev.u.dns_reply.tcp = path->tcp;
    ev.u.dns_reply.id = m.id;
    ev.u.dns_reply.qtype = m.qtype;
    ev.u.dns_reply.qname = m.qname;
    ev.u.dns_reply.rcode = m.rcode;
    ev.u.dns_reply.truncated = m.tc;
    ev.u.dns_reply.authoritative = m.aa;
    ev.u.dns_reply.ancount = m.ancount;
    ev.u.dns_reply.bytes = len;
    ev.u.dns_reply.rtt_us = rtt;
    emit(w, &ev);

    if (m.tc && !path->tcp) {
        struct wt_event tev = { .kind = WT_EV_DNS_TCP_RETRY };
        tev.u.dns_tcp_retry.server = path->server;
        emit(w, &tev);
    }
    /* Every record, not only the WT_DNS_MAX_RECORDS the decoder keeps: a
     * large answer is listed whole and every address reaches the race. A
     * truncated reply's records are a part the resolver throws away; the
     * whole answer comes again over TCP and is listed then. */
    size_t pos = m.answers_at;
    for (unsigned i = 0; i < m.ancount && !m.tc; i++) {
        struct wt_dns_record rec;
        if (wt_dns_msg_next_answer(msg, len, &pos, &rec) < 0)
            break;
        const struct wt_dns_record *r = &rec;
        if (r->type != WT_DNS_TYPE_CNAME && r->type != WT_DNS_TYPE_A &&
            r->type != WT_DNS_TYPE_AAAA)
            continue;
        /* Both the A and the AAAA reply carry the same CNAME chain: show
         * each link once per lookup. */
        if (r->type == WT_DNS_TYPE_CNAME && cname_already_seen(w, r))
            continue;
        struct wt_event rev = { .kind = WT_EV_DNS_RECORD };
        rev.u.dns_record.name = r->name;
        rev.u.dns_record.type = r->type;
        rev.u.dns_record.ttl = r->ttl;
        rev.u.dns_record.data = r->data;
        emit(w, &rev);
    }
}

void wt_dns_stream_feed(struct wt_dns_stream *s, const uint8_t *data, size_t len,
                        wt_dns_stream_proc proc, void *ctx)
{
    if (!s->buf) {
        s->buf = malloc(WT_DNS_STREAM_BUF_MAX);
        if (!s->buf)
            return;
        s->len = 0;
    }
    if (len > WT_DNS_STREAM_BUF_MAX - s->len) {
        s->len = 0;
        return;
    }
    memcpy(s->buf + s->len, data, len);
    s->len += len;
    for (;;) {
        if (s->len < 2)
            return;
        size_t msg_len = ((size_t)s->buf[0] << 8) | s->buf[1];
        if (s->len < 2 + msg_len)
            return;
        proc(ctx, s->buf + 2, msg_len);
        memmove(s->buf, s->buf + 2 + msg_len, s->len - 2 - msg_len);
        s->len -= 2 + msg_len;
    }
}

void wt_dns_stream_clear(struct wt_dns_stream *s)
{
    free(s->buf);
    s->buf = NULL;
    s->len = 0;
}
