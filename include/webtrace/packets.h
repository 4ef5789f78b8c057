/* packets: one TCP connection's packets told in the lesson's terms. Pure:
 * decodes captured frames (Linux cooked capture, IPv4/IPv6, TCP options)
 * and follows both sides' states through the handshake and the teardown,
 * naming the numbers as the textbook does (j, k, u, w). Knows nothing of
 * libpcap, sockets or the loop; never prints. */
#ifndef WEBTRACE_PACKETS_H
#define WEBTRACE_PACKETS_H

#include <stddef.h>
#include <stdint.h>
#include "webtrace/event.h"

/* TCP header flags as on the wire. */
enum {
    WT_TCP_FIN = 0x01,
    WT_TCP_SYN = 0x02,
    WT_TCP_RST = 0x04,
    WT_TCP_PSH = 0x08,
    WT_TCP_ACK = 0x10,
    WT_TCP_URG = 0x20,
};

/* The link types webtrace captures with (LINKTYPE_* values of the pcap
 * file format, which equal libpcap's DLT_* for these). */
#define WT_LINKTYPE_ETHERNET 1
#define WT_LINKTYPE_LINUX_SLL 113

struct wt_tcp_segment {
    struct wt_endpoint src, dst;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t window;          /* as in the header, before any scaling */
    uint32_t payload_len;     /* from the IP length: right even when truncated */
    int mss;                  /* -1: option absent */
    int wscale;               /* -1: option absent */
    int sack_ok;
    int has_ts;
    uint32_t ts_val, ts_ecr;
    uint8_t ttl;              /* IPv4 TTL or IPv6 hop limit */
};

/* Decodes one captured frame of the given link type. Returns 0, or -1 when
 * it is not a whole TCP header over IPv4/IPv6 (it is then ignored). */
int wt_packet_decode(int linktype, const uint8_t *frame, size_t caplen,
                     struct wt_tcp_segment *out);

/* Decodes an IPv4/IPv6 packet (no link header), as TCP_SAVED_SYN gives it.
 * Returns 0 or -1 as wt_packet_decode. */
int wt_packet_decode_ip(const uint8_t *packet, size_t len, struct wt_tcp_segment *out);

/* Whether seg belongs to the connection local <-> remote (either way). */
int wt_packet_matches(const struct wt_tcp_segment *seg, const struct wt_endpoint *local,
                      const struct wt_endpoint *remote);

/* Both sides of one connection as its packets show them. client is the
 * side that sent the SYN (webtrace, when fetching). */
struct wt_packet_story {
    struct wt_endpoint client, server;
    int have_isn[2];                  /* [0] client (j), [1] server (k) */
    uint32_t isn[2];
    enum wt_tcp_state state[2];
    int fin_sent[2];
    uint32_t fin_seq[2];              /* u or w, whichever side sent it */
    int fin_acked[2];
    int first_fin;                    /* 0 none yet, 1 client, 2 server */
    uint32_t next_seq[2];             /* highest seq + length seen per side */
    int have_next[2];
    int wscale[2];                    /* from each side's SYN, -1 none */
    uint32_t last_window[2];
    int have_window[2];
    struct wt_packet_data data;       /* what the summary reports */
    int data_reported;
    int complete;                     /* last ACK of the teardown, or a RST, seen */
    int reset;
};

void wt_packet_story_init(struct wt_packet_story *s, const struct wt_endpoint *client,
                          const struct wt_endpoint *server);

/* Adds one segment of this connection. Returns 1 and fills ev (a
 * WT_EV_TCP_PACKET) when the segment is a step of the lesson (SYN,
 * SYN+ACK, the handshake's ACK, a FIN, the ACK of a FIN, a RST); returns 0
 * when it only adds to the data summary. A 1 for the first FIN or RST also
 * sets *summary_due: report the data before narrating it. */
int wt_packet_story_add(struct wt_packet_story *s, const struct wt_tcp_segment *seg,
                        struct wt_event *ev, int *summary_due);

/* Fills a WT_EV_TCP_DATA event with the data summary (once: it marks the
 * summary reported). */
void wt_packet_story_summary(struct wt_packet_story *s, struct wt_event *ev);

#endif
