#include "webtrace/packets.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#define SLL_HEADER_LEN 16
#define ETH_HEADER_LEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define IPV6_HEADER_LEN 40
#define TCP_MIN_HEADER_LEN 20
#define IPPROTO_TCP_NUMBER 6

/* TCP option kinds (RFC 9293, 7323, 2018). */
enum { OPT_END = 0, OPT_NOP = 1, OPT_MSS = 2, OPT_WSCALE = 3, OPT_SACK_OK = 4, OPT_TS = 8 };

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void parse_options(const uint8_t *p, size_t len, struct wt_tcp_segment *out)
{
    size_t i = 0;
    while (i < len) {
        uint8_t kind = p[i];
        if (kind == OPT_END)
            return;
        if (kind == OPT_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= len || p[i + 1] < 2 || i + p[i + 1] > len)
            return;   /* a malformed option ends the walk, not the decode */
        uint8_t olen = p[i + 1];
        if (kind == OPT_MSS && olen == 4)
            out->mss = be16(p + i + 2);
        else if (kind == OPT_WSCALE && olen == 3)
            out->wscale = p[i + 2];
        else if (kind == OPT_SACK_OK && olen == 2)
            out->sack_ok = 1;
        else if (kind == OPT_TS && olen == 10) {
            out->has_ts = 1;
            out->ts_val = be32(p + i + 2);
            out->ts_ecr = be32(p + i + 6);
        }
        i += olen;
    }
}

static int decode_tcp(const uint8_t *p, size_t caplen, uint32_t tcp_len,
                      struct wt_tcp_segment *out)
{
    if (caplen < TCP_MIN_HEADER_LEN)
        return -1;
    size_t hlen = (size_t)(p[12] >> 4) * 4;
    if (hlen < TCP_MIN_HEADER_LEN || hlen > caplen || hlen > tcp_len)
        return -1;
    out->src.port = be16(p);
    out->dst.port = be16(p + 2);
    out->seq = be32(p + 4);
    out->ack = be32(p + 8);
    out->flags = p[13];
    out->window = be16(p + 14);
    out->payload_len = tcp_len - (uint32_t)hlen;
    parse_options(p + TCP_MIN_HEADER_LEN, hlen - TCP_MIN_HEADER_LEN, out);
    return 0;
}

static int decode_ip(const uint8_t *p, size_t caplen, struct wt_tcp_segment *out)
{
    if (caplen < 1)
        return -1;
    int version = p[0] >> 4;
    if (version == 4) {
        if (caplen < 20)
            return -1;
        size_t ihl = (size_t)(p[0] & 0x0f) * 4;
        uint16_t total = be16(p + 2);
        if (ihl < 20 || ihl > caplen || total < ihl || p[9] != IPPROTO_TCP_NUMBER)
            return -1;
        if ((be16(p + 6) & 0x1fff) != 0)
            return -1;   /* a later fragment has no TCP header */
        out->src.family = out->dst.family = AF_INET;
        inet_ntop(AF_INET, p + 12, out->src.addr, sizeof out->src.addr);
        inet_ntop(AF_INET, p + 16, out->dst.addr, sizeof out->dst.addr);
        out->ttl = p[8];
        return decode_tcp(p + ihl, caplen - ihl, total - (uint32_t)ihl, out);
    }
    if (version == 6) {
        /* Extension headers are not followed: the kernel puts none on the
         * TCP segments of an ordinary connection. */
        if (caplen < IPV6_HEADER_LEN || p[6] != IPPROTO_TCP_NUMBER)
            return -1;
        out->src.family = out->dst.family = AF_INET6;
        inet_ntop(AF_INET6, p + 8, out->src.addr, sizeof out->src.addr);
        inet_ntop(AF_INET6, p + 24, out->dst.addr, sizeof out->dst.addr);
        out->ttl = p[7];
        return decode_tcp(p + IPV6_HEADER_LEN, caplen - IPV6_HEADER_LEN, be16(p + 4), out);
    }
    return -1;
}

int wt_packet_decode_ip(const uint8_t *packet, size_t len, struct wt_tcp_segment *out)
{
    memset(out, 0, sizeof *out);
    out->mss = out->wscale = -1;
    return decode_ip(packet, len, out);
}

int wt_packet_decode(int linktype, const uint8_t *frame, size_t caplen,
                     struct wt_tcp_segment *out)
{
    memset(out, 0, sizeof *out);
    out->mss = out->wscale = -1;
    size_t off;
    uint16_t ethertype;
    if (linktype == WT_LINKTYPE_LINUX_SLL) {
        if (caplen < SLL_HEADER_LEN)
            return -1;
        off = SLL_HEADER_LEN;
        ethertype = be16(frame + 14);
    } else if (linktype == WT_LINKTYPE_ETHERNET) {
        if (caplen < ETH_HEADER_LEN)
            return -1;
        off = ETH_HEADER_LEN;
        ethertype = be16(frame + 12);
    } else {
        return -1;
    }
    if (ethertype != ETHERTYPE_IPV4 && ethertype != ETHERTYPE_IPV6)
        return -1;
    return decode_ip(frame + off, caplen - off, out);
}

static int same_endpoint(const struct wt_endpoint *a, const struct wt_endpoint *b)
{
    return a->port == b->port && a->family == b->family && strcmp(a->addr, b->addr) == 0;
}

int wt_packet_matches(const struct wt_tcp_segment *seg, const struct wt_endpoint *local,
                      const struct wt_endpoint *remote)
{
    return (same_endpoint(&seg->src, local) && same_endpoint(&seg->dst, remote)) ||
           (same_endpoint(&seg->src, remote) && same_endpoint(&seg->dst, local));
}

/* ---- the story of one connection -------------------------------------- */

void wt_packet_story_init(struct wt_packet_story *s, const struct wt_endpoint *client,
                          const struct wt_endpoint *server)
{
    memset(s, 0, sizeof *s);
    s->client = *client;
    s->server = *server;
    s->wscale[0] = s->wscale[1] = -1;
}

/* Sequence space wraps at 2^32: a is before b when the difference is
 * negative as a signed 32-bit number (RFC 9293 §3.4). */
static int seq_before(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

static void move(struct wt_packet_story *s, int side, enum wt_tcp_state to, struct wt_event *ev)
{
    if (s->state[side] == to)
        return;
    s->state[side] = to;
    if (side == 0)
        ev->u.tcp_packet.client_moved = 1;
    else
        ev->u.tcp_packet.server_moved = 1;
}

/* Counts a segment that is not a step of the lesson into the summary. */
static void add_data(struct wt_packet_story *s, int side, const struct wt_tcp_segment *seg,
                     int retransmission)
{
    struct wt_packet_data *d = &s->data;
    if (seg->payload_len) {
        d->segments[side]++;
        d->bytes[side] += seg->payload_len;
    } else {
        d->pure_acks[side]++;
    }
    if (retransmission)
        d->retransmissions[side]++;
}

/* The advertised window, scaled once both SYNs agreed on scaling (RFC
 * 7323 §2.2: never on a SYN itself). */
static void track_window(struct wt_packet_story *s, int side, const struct wt_tcp_segment *seg)
{
    if (seg->flags & WT_TCP_SYN)
        return;
    uint32_t w = seg->window;
    if (s->wscale[0] >= 0 && s->wscale[1] >= 0)
        w <<= s->wscale[side];
    struct wt_packet_data *d = &s->data;
    if (!s->have_window[side]) {
        s->have_window[side] = 1;
        d->window_min[side] = d->window_max[side] = w;
    } else if (w != s->last_window[side]) {
        d->window_changes[side]++;
        if (w < d->window_min[side])
            d->window_min[side] = w;
        if (w > d->window_max[side])
            d->window_max[side] = w;
    }
    s->last_window[side] = w;
}

int wt_packet_story_add(struct wt_packet_story *s, const struct wt_tcp_segment *seg,
                        struct wt_event *ev, int *summary_due)
{
    *summary_due = 0;
    int side = (seg->src.port == s->client.port && seg->src.family == s->client.family &&
                strcmp(seg->src.addr, s->client.addr) == 0) ? 0 : 1;
    int other = !side;
    uint8_t f = seg->flags;

    /* Where the sender's bytes end; a payload (or SYN/FIN) that does not
     * go past what was already seen is sent again. */
    uint32_t span = seg->payload_len + ((f & WT_TCP_SYN) ? 1u : 0u) + ((f & WT_TCP_FIN) ? 1u : 0u);
    uint32_t end = seg->seq + span;
    int retransmission = 0;
    if (span && s->have_next[side] && !seq_before(s->next_seq[side], end))
        retransmission = 1;
    if (!s->have_next[side] || seq_before(s->next_seq[side], end)) {
        s->next_seq[side] = end;
        s->have_next[side] = 1;
    }
    if ((f & WT_TCP_SYN) && !s->have_isn[side]) {
        s->have_isn[side] = 1;
        s->isn[side] = seg->seq;
        s->wscale[side] = seg->wscale;
    }
    track_window(s, side, seg);

    memset(ev, 0, sizeof *ev);
    ev->kind = WT_EV_TCP_PACKET;
    ev->phase = WT_PHASE_CONNECT;
    ev->u.tcp_packet.from_client = side == 0;
    ev->u.tcp_packet.flags = f;
    ev->u.tcp_packet.seq = seg->seq;
    ev->u.tcp_packet.ack = seg->ack;
    ev->u.tcp_packet.has_ack = (f & WT_TCP_ACK) != 0;
    ev->u.tcp_packet.rel_seq = s->have_isn[side] ? seg->seq - s->isn[side] : seg->seq;
    ev->u.tcp_packet.rel_ack = s->have_isn[other] ? seg->ack - s->isn[other] : seg->ack;
    ev->u.tcp_packet.window = seg->window;
    ev->u.tcp_packet.len = seg->payload_len;
    ev->u.tcp_packet.mss = seg->mss;
    ev->u.tcp_packet.wscale = seg->wscale;
    ev->u.tcp_packet.sack_ok = seg->sack_ok;
    ev->u.tcp_packet.has_ts = seg->has_ts;
    ev->u.tcp_packet.ts_val = seg->ts_val;
    ev->u.tcp_packet.ts_ecr = seg->ts_ecr;
    ev->u.tcp_packet.ttl = seg->ttl;

    int step = 0;
    if (f & WT_TCP_RST) {
        step = 1;
        s->reset = s->complete = 1;
        ev->phase = WT_PHASE_CLOSE;
        move(s, 0, WT_TCP_CLOSE, ev);
        move(s, 1, WT_TCP_CLOSE, ev);
    } else if ((f & WT_TCP_SYN) && !retransmission) {
        step = 1;
        if (!(f & WT_TCP_ACK)) {
            /* The SYN: its number j is random (RFC 6528), so no two
             * connections start at the same place. */
            ev->u.tcp_packet.seq_is = side == 0 ? "j" : "k";
            move(s, side, WT_TCP_SYN_SENT, ev);
            move(s, other, WT_TCP_SYN_RECV, ev);
        } else {
            ev->u.tcp_packet.seq_is = side == 0 ? "j" : "k";
            if (s->have_isn[other] && seg->ack == s->isn[other] + 1)
                ev->u.tcp_packet.ack_is = other == 0 ? "j+1" : "k+1";
            move(s, side, WT_TCP_SYN_RECV, ev);
            move(s, other, WT_TCP_ESTABLISHED, ev);
        }
    } else if ((f & WT_TCP_FIN) && !retransmission) {
        step = 1;
        ev->phase = WT_PHASE_CLOSE;
        s->fin_sent[side] = 1;
        s->fin_seq[side] = seg->seq + seg->payload_len;
        if (!s->first_fin)
            s->first_fin = side + 1;
        int first = s->first_fin == side + 1;
        ev->u.tcp_packet.seq_is = first ? "u" : "w";
        /* The FIN's own number: data it carries comes before it. */
        ev->u.tcp_packet.seq = s->fin_seq[side];
        ev->u.tcp_packet.rel_seq = s->have_isn[side] ? s->fin_seq[side] - s->isn[side]
                                                     : s->fin_seq[side];
        int acks_other_fin = s->fin_sent[other] && (f & WT_TCP_ACK) &&
                             !seq_before(seg->ack, s->fin_seq[other] + 1);
        if (acks_other_fin) {
            s->fin_acked[other] = 1;
            ev->u.tcp_packet.ack_is = s->first_fin == other + 1 ? "u+1" : "w+1";
        }
        if (first) {
            move(s, side, WT_TCP_FIN_WAIT1, ev);
            move(s, other, WT_TCP_CLOSE_WAIT, ev);
        } else if (!acks_other_fin) {
            /* Sent before the first FIN arrived: both closed at once, the
             * FINs crossed (RFC 9293 Figure 13), CLOSING on both sides. */
            move(s, side, WT_TCP_CLOSING, ev);
            move(s, other, WT_TCP_CLOSING, ev);
        } else {
            move(s, side, WT_TCP_LAST_ACK, ev);
            move(s, other, WT_TCP_TIME_WAIT, ev);
        }
        if (s->fin_acked[0] && s->fin_acked[1])
            s->complete = 1;
        if (seg->payload_len)
            add_data(s, side, seg, retransmission);
    } else if ((f & WT_TCP_ACK) && s->fin_sent[other] && !s->fin_acked[other] &&
               !seq_before(seg->ack, s->fin_seq[other] + 1)) {
        step = 1;
        ev->phase = WT_PHASE_CLOSE;
        s->fin_acked[other] = 1;
        ev->u.tcp_packet.ack_is = s->first_fin == other + 1 ? "u+1" : "w+1";
        if (s->state[other] == WT_TCP_FIN_WAIT1)
            move(s, other, WT_TCP_FIN_WAIT2, ev);
        else if (s->state[other] == WT_TCP_CLOSING)
            move(s, other, WT_TCP_TIME_WAIT, ev);
        else if (s->state[other] == WT_TCP_LAST_ACK)
            move(s, other, WT_TCP_CLOSE, ev);
        if (s->fin_acked[0] && s->fin_acked[1])
            s->complete = 1;
        if (seg->payload_len)
            add_data(s, side, seg, retransmission);
    } else if ((f & WT_TCP_ACK) && side == 0 && s->state[0] == WT_TCP_ESTABLISHED &&
               s->state[1] == WT_TCP_SYN_RECV && s->have_isn[1] &&
               seg->ack == s->isn[1] + 1) {
        /* The third packet of the handshake (it may already carry data). */
        step = 1;
        ev->u.tcp_packet.ack_is = "k+1";
        move(s, 1, WT_TCP_ESTABLISHED, ev);
        if (seg->payload_len)
            add_data(s, side, seg, retransmission);
    } else {
        add_data(s, side, seg, retransmission);
    }
    ev->u.tcp_packet.client_state = s->state[0];
    ev->u.tcp_packet.server_state = s->state[1];
    if (step && ev->phase == WT_PHASE_CLOSE && !s->data_reported)
        *summary_due = 1;
    return step;
}

void wt_packet_story_summary(struct wt_packet_story *s, struct wt_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = WT_EV_TCP_DATA;
    ev->phase = WT_PHASE_CLOSE;
    ev->u.tcp_data = s->data;
    s->data_reported = 1;
}
