/* libFuzzer: any bytes as the DNS traffic of one lookup. Byte 0 picks the
 * transport (bit 0: TCP), byte 1 the size of each TCP read; the rest is a
 * stream of 2-byte length-prefixed messages. Over UDP each message is a
 * datagram; over TCP the stream goes through the reassembler in reads of
 * that size, which must deliver exactly the complete messages, in order.
 * Every message is offered as a query sent and as a reply received; the
 * events must be DNS events with printable names and sane counts: no more
 * records after a reply than it says it has, none after a truncated one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/dnswire.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

struct run {
    struct wt_dns_wire wire;
    struct wt_dns_path path;
    int64_t now_us;
    const uint8_t *stream;        /* the harness's own split, to compare with */
    size_t stream_len, next;
    size_t delivered;
    size_t events;
    size_t records_left;          /* of the last reply */
};

static void check_printable(const char *s)
{
    if (!s)
        abort();
    for (; *s; s++)
        if ((unsigned char)*s < 0x21 || (unsigned char)*s >= 0x7f)
            abort();
}

static void on_event(void *ctx, const struct wt_event *ev)
{
    struct run *r = ctx;
    r->events++;
    if (ev->phase != WT_PHASE_DNS)
        abort();
    switch (ev->kind) {
    case WT_EV_DNS_QUERY:
        if (ev->u.dns_query.tcp != r->path.tcp)
            abort();
        check_printable(ev->u.dns_query.qname);
        break;
    case WT_EV_DNS_NO_ANSWER:
        /* a query re-sent after a silent server: same name, printable */
        check_printable(ev->u.dns_no_answer.qname);
        break;
    case WT_EV_DNS_REPLY:
        if (ev->u.dns_reply.rtt_us < -1 || ev->u.dns_reply.rcode < 0 || ev->u.dns_reply.rcode > 15)
            abort();
        check_printable(ev->u.dns_reply.qname);
        r->records_left = ev->u.dns_reply.truncated ? 0 : ev->u.dns_reply.ancount;
        break;
    case WT_EV_DNS_RECORD:
        if (r->records_left == 0)
            abort();
        r->records_left--;
        check_printable(ev->u.dns_record.name);
        if (ev->u.dns_record.data[0])
            check_printable(ev->u.dns_record.data);
        break;
    case WT_EV_DNS_TCP_RETRY:
        if (r->path.tcp)
            abort();   /* a truncated reply over TCP has nowhere to go */
        break;
    default:
        abort();
    }
}

static void on_message(void *ctx, const uint8_t *msg, size_t len)
{
    struct run *r = ctx;
    /* the reassembler must hand over the next message of the stream */
    if (r->next + 2 + len > r->stream_len ||
        (((size_t)r->stream[r->next] << 8) | r->stream[r->next + 1]) != len ||
        (len && memcmp(r->stream + r->next + 2, msg, len) != 0))
        abort();
    r->next += 2 + len;
    r->delivered++;
    r->now_us += 1000;
    wt_dns_wire_query(&r->wire, &r->path, msg, len, r->now_us);
    r->now_us += 250;
    wt_dns_wire_reply(&r->wire, &r->path, msg, len, r->now_us);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 2)
        return 0;
    static struct run r;   /* the CNAME table makes it large */
    memset(&r, 0, sizeof r);
    struct wt_event_sink sink = { on_event, &r };
    wt_dns_wire_init(&r.wire, &sink);
    r.path.tcp = data[0] & 1;
    strcpy(r.path.server.addr, "127.0.0.1");
    r.path.server.port = 53;
    strcpy(r.path.local.addr, "127.0.0.1");
    r.path.local.port = 40000;
    size_t step = (size_t)data[1] + 1;
    r.stream = data + 2;
    r.stream_len = size - 2;

    size_t complete = 0;   /* messages wholly inside the stream */
    for (size_t pos = 0; pos + 2 <= r.stream_len;) {
        size_t len = ((size_t)r.stream[pos] << 8) | r.stream[pos + 1];
        if (pos + 2 + len > r.stream_len)
            break;
        complete++;
        pos += 2 + len;
    }

    if (r.path.tcp) {
        struct wt_dns_stream s = { NULL, 0 };
        for (size_t off = 0; off < r.stream_len; off += step) {
            size_t n = r.stream_len - off < step ? r.stream_len - off : step;
            wt_dns_stream_feed(&s, r.stream + off, n, on_message, &r);
        }
        wt_dns_stream_clear(&s);
    } else {
        for (size_t i = 0; i < complete; i++) {
            size_t len = ((size_t)r.stream[r.next] << 8) | r.stream[r.next + 1];
            on_message(&r, r.stream + r.next + 2, len);
        }
    }
    if (r.delivered != complete)
        abort();
    int rcodes = 0;
    for (size_t i = 0; i < 16; i++)
        rcodes += r.wire.rcode_seen[i];
    if (rcodes != r.wire.replies_seen || (size_t)r.wire.replies_seen > complete ||
        (size_t)r.wire.queries_sent > complete || r.wire.n_pending > WT_DNS_WIRE_MAX_PENDING ||
        r.wire.n_seen_cnames > WT_DNS_WIRE_MAX_CNAMES || r.wire.a_rcode < -1 ||
        r.wire.a_rcode > 15 || r.wire.aaaa_rcode < -1 || r.wire.aaaa_rcode > 15)
        abort();
    if (r.wire.nxdomain_qtype)
        check_printable(r.wire.nxdomain_qname);
    return 0;
}
