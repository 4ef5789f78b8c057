/* dnswire: what the DNS packets of one lookup say, as events: each query,
 * each reply with its round-trip time, the answer records (every CNAME
 * link once per lookup), and the reassembly of DNS over TCP's
 * length-prefixed stream. Pure: no sockets and no c-ares; dns.c hands it
 * the bytes its socket functions see. Never prints. */
#ifndef WEBTRACE_DNSWIRE_H
#define WEBTRACE_DNSWIRE_H

#include <stddef.h>
#include <stdint.h>
#include "webtrace/dnsmsg.h"
#include "webtrace/event.h"

#define WT_DNS_WIRE_MAX_PENDING 32     /* queries remembered for round-trip times */
#define WT_DNS_WIRE_MAX_CNAMES 16      /* CNAME records already narrated */
#define WT_DNS_STREAM_BUF_MAX 65538    /* 2-byte length + largest DNS message */

/* The socket a packet went through. */
struct wt_dns_path {
    int tcp;                           /* transport: 0 UDP, 1 TCP */
    struct wt_endpoint server;
    struct wt_endpoint local;
};

struct wt_dns_wire {
    struct wt_event_sink sink;
    int queries_sent;
    int replies_seen;
    int rcode_seen[16];                /* count of replies per rcode */
    int a_rcode, aaaa_rcode;           /* last reply's rcode to A / AAAA, -1: none yet */
    uint16_t nxdomain_qtype;           /* the last NXDOMAIN reply's type, 0: none */
    char nxdomain_qname[WT_DNS_NAME_MAX];  /* and the name it says does not exist */
    struct {
        uint16_t id;
        uint16_t qtype;
        int64_t sent_us;
        struct wt_endpoint server;     /* where this copy of the query went */
    } pending[WT_DNS_WIRE_MAX_PENDING];
    size_t n_pending;
    struct { char name[WT_DNS_NAME_MAX]; char target[WT_DNS_NAME_MAX]; }
        seen_cnames[WT_DNS_WIRE_MAX_CNAMES];
    size_t n_seen_cnames;
};

void wt_dns_wire_init(struct wt_dns_wire *w, const struct wt_event_sink *sink);
/* A message that left through path at now_us: a query is counted,
 * remembered for its reply's round-trip time and emitted; anything else
 * is ignored. The same query sent again means the resolver gave up on the
 * server it last went to: that server is named first (WT_EV_DNS_NO_ANSWER). */
void wt_dns_wire_query(struct wt_dns_wire *w, const struct wt_dns_path *path,
                       const uint8_t *msg, size_t len, int64_t now_us);
/* A message that arrived through path at now_us: a response is counted
 * (per rcode) and emitted with its CNAME, A and AAAA records, its time the
 * round trip to the server that answered; anything else is ignored. */
void wt_dns_wire_reply(struct wt_dns_wire *w, const struct wt_dns_path *path,
                       const uint8_t *msg, size_t len, int64_t now_us);

/* One TCP connection's bytes, waiting for a whole length-prefixed message. */
struct wt_dns_stream {
    uint8_t *buf;                      /* WT_DNS_STREAM_BUF_MAX, allocated on first use */
    size_t len;
};

typedef void (*wt_dns_stream_proc)(void *ctx, const uint8_t *msg, size_t len);

/* Appends stream bytes and hands each complete message (without its
 * length prefix) to proc. Drops the buffer on overflow (the stream is then
 * unreadable to us; c-ares still has it). */
void wt_dns_stream_feed(struct wt_dns_stream *s, const uint8_t *data, size_t len,
                        wt_dns_stream_proc proc, void *ctx);
/* Frees the buffer; the stream can be fed again. */
void wt_dns_stream_clear(struct wt_dns_stream *s);

#endif
