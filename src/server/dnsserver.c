/* dnsserver: the demo zone's authoritative responder. Replies are encoded
 * here (RFC 1035 §4.1); the query is read through wt_dns_msg_decode, plus a
 * scan of its raw question so that it is echoed byte for byte and matched in
 * wire form (a presentation name with escapes is not a safe key). */
#include "webtrace/dnsserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "webtrace/dnsmsg.h"
#include "webtrace/netaddr.h"
#include "webtrace/escape.h"
#include "webtrace/i18n.h"

enum {
    HEADER_LEN = 12,
    NAME_WIRE_MAX = 255,      /* RFC 1035 §2.3.4, length octets included */
    LABEL_MAX = 63,
    QUESTION_FIXED_LEN = 4,   /* qtype, qclass */
    MAX_CNAME_HOPS = 8,       /* a longer chain inside one zone is a loop */
    REPLY_MAX = 512,          /* RFC 1035 §4.2.1: UDP without EDNS */
    QUERY_MAX = 4096,         /* room for padded EDNS queries; we read only the question */
    READS_PER_WAKEUP = 64,    /* one busy sender cannot hold the loop */
};

enum { OPCODE_QUERY = 0 };
enum { RCODE_NOERROR = 0, RCODE_FORMERR = 1, RCODE_NXDOMAIN = 3, RCODE_NOTIMP = 4,
       RCODE_REFUSED = 5 };
enum { CLASS_IN = 1, CLASS_ANY = 255, QTYPE_ANY = 255 };

enum {
    FLAG_QR = 0x8000,
    FLAG_AA = 0x0400,
    FLAG_TC = 0x0200,
    FLAG_RD = 0x0100,
};

/* The only question starts right after the header, so every owner equal to
 * it compresses to the same pointer (RFC 1035 §4.1.4). */
#define QNAME_POINTER (0xc000 | HEADER_LEN)

/* The synthetic SOA sent with negative answers (RFC 2308 §3): its TTL and
 * MINIMUM are the negative-caching time. */
#define SOA_TTL 60u
#define SOA_SERIAL 1u
#define SOA_REFRESH 3600u
#define SOA_RETRY 600u
#define SOA_EXPIRE 86400u
#define SOA_MINIMUM 60u

static const struct wt_dns_zone_record demo_records[] = {
    { "www.webtrace.test", WT_DNS_TYPE_CNAME, 60, "web.webtrace.test" },
    { "web.webtrace.test", WT_DNS_TYPE_A, 300, "127.0.0.1" },
    { "web.webtrace.test", WT_DNS_TYPE_AAAA, 120, "::1" },
};

const struct wt_dns_zone wt_demo_zone = {
    "webtrace.test", demo_records, sizeof demo_records / sizeof demo_records[0],
};

/* A name in wire form: labels with their length octets, the root's zero. */
struct wire_name {
    uint8_t b[NAME_WIRE_MAX];
    size_t len;
};

/* Zone text ("a.b.c", "a.b.c." or "." for the root) to wire form. -1 on an
 * empty or over-long label: a zone typo, which makes the record unusable. */
static int wire_from_text(const char *text, struct wire_name *out)
{
    size_t n = 0;
    if (!text)
        return -1;
    if (strcmp(text, ".") == 0)
        text = "";
    while (*text) {
        size_t label = strcspn(text, ".");
        if (label == 0 || label > LABEL_MAX || n + 1 + label + 1 > NAME_WIRE_MAX)
            return -1;
        out->b[n++] = (uint8_t)label;
        memcpy(out->b + n, text, label);
        n += label;
        text += label;
        if (*text == '.')
            text++;
    }
    out->b[n++] = 0;
    out->len = n;
    return 0;
}

/* "prefix.<name>" in wire form; -1 when it would exceed 255 octets. */
static int wire_prefixed(const char *prefix, const struct wire_name *name, struct wire_name *out)
{
    size_t label = strlen(prefix);
    if (label == 0 || label > LABEL_MAX || 1 + label + name->len > NAME_WIRE_MAX)
        return -1;
    out->b[0] = (uint8_t)label;
    memcpy(out->b + 1, prefix, label);
    memcpy(out->b + 1 + label, name->b, name->len);
    out->len = 1 + label + name->len;
    return 0;
}

/* Length of the uncompressed name at msg[pos], its zero included, or 0 when
 * it is cut short, too long, compressed or uses an extended label type. A
 * query's first name has nothing earlier to point at, so a pointer there is
 * malformed. */
static size_t wire_name_len(const uint8_t *msg, size_t len, size_t pos)
{
    size_t n = 0;
    for (;;) {
        if (pos >= len || n >= len - pos)
            return 0;
        uint8_t c = msg[pos + n];
        if (c & 0xc0)
            return 0;
        n += 1 + (size_t)c;
        if (n > NAME_WIRE_MAX)
            return 0;
        if (c == 0)
            return n;
    }
}

static uint8_t fold(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

/* RFC 4343: ASCII letters match without case, every other octet exactly.
 * Length octets (< 64) are never letters, so whole wire names can be folded
 * and compared octet by octet. */
static int wire_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++)
        if (fold(a[i]) != fold(b[i]))
            return 0;
    return 1;
}

/* Is name the origin or below it? Compared label-aligned, so
 * "notwebtrace.test" and a label "x.webtrace" are outside "webtrace.test". */
static int in_zone(const struct wire_name *name, const struct wire_name *origin)
{
    for (size_t pos = 0; pos < name->len; pos += 1 + (size_t)name->b[pos]) {
        if (wire_equal(name->b + pos, name->len - pos, origin->b, origin->len))
            return 1;
        if (name->b[pos] == 0)
            break;
    }
    return 0;
}

static int owner_is(const struct wt_dns_zone_record *r, const struct wire_name *name)
{
    struct wire_name owner;
    return wire_from_text(r->name, &owner) == 0 &&
           wire_equal(owner.b, owner.len, name->b, name->len);
}

/* Does name exist in the zone: the apex (it holds the SOA), an owner, or an
 * empty non-terminal above one (RFC 8020: those are NODATA, not NXDOMAIN)? */
static int name_exists(const struct wt_dns_zone *zone, const struct wire_name *origin,
                       const struct wire_name *name)
{
    if (wire_equal(name->b, name->len, origin->b, origin->len))
        return 1;
    for (size_t i = 0; i < zone->n_records; i++) {
        struct wire_name owner;
        if (wire_from_text(zone->records[i].name, &owner) == 0 && in_zone(&owner, name))
            return 1;
    }
    return 0;
}

/* Bounded output: once something does not fit, nothing more is written and
 * the caller falls back to a truncated reply. */
struct writer {
    uint8_t *buf;
    size_t len, cap;
    int overflow;
};

static void put_bytes(struct writer *w, const void *data, size_t n)
{
    if (w->overflow || n > w->cap - w->len) {
        w->overflow = 1;
        return;
    }
    memcpy(w->buf + w->len, data, n);
    w->len += n;
}

static void put16(struct writer *w, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    put_bytes(w, b, sizeof b);
}

static void put32(struct writer *w, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    put_bytes(w, b, sizeof b);
}

/* One answer record. owner NULL means "the question name", written as a
 * pointer to it, which also gives the asker back their own case. Returns 0,
 * or -1 without writing when the zone's data is unusable. */
static int put_record(struct writer *w, const struct wt_dns_zone_record *r,
                      const struct wire_name *owner)
{
    struct wire_name rdata;
    switch (r->type) {
    case WT_DNS_TYPE_A:
        if (!r->data || inet_pton(AF_INET, r->data, rdata.b) != 1)
            return -1;
        rdata.len = 4;
        break;
    case WT_DNS_TYPE_AAAA:
        if (!r->data || inet_pton(AF_INET6, r->data, rdata.b) != 1)
            return -1;
        rdata.len = 16;
        break;
    case WT_DNS_TYPE_CNAME:
        if (wire_from_text(r->data, &rdata) < 0)
            return -1;
        break;
    default:
        return -1;
    }
    if (owner)
        put_bytes(w, owner->b, owner->len);
    else
        put16(w, QNAME_POINTER);
    put16(w, r->type);
    put16(w, CLASS_IN);
    put32(w, r->ttl);
    put16(w, (uint16_t)rdata.len);
    put_bytes(w, rdata.b, rdata.len);
    return 0;
}

/* The zone's SOA: in the answer for a question at the apex, in the
 * authority section of a negative answer so resolvers can cache it
 * (RFC 2308 §3). owner NULL: a pointer to the question name, as in
 * put_record; otherwise the origin in full. Returns 0, or -1 without writing
 * when the origin is too long to prefix. */
static int put_soa(struct writer *w, const struct wire_name *origin, const struct wire_name *owner)
{
    struct wire_name mname, rname;
    if (wire_prefixed("ns", origin, &mname) < 0 ||
        wire_prefixed("hostmaster", origin, &rname) < 0)
        return -1;
    if (owner)
        put_bytes(w, owner->b, owner->len);
    else
        put16(w, QNAME_POINTER);
    put16(w, WT_DNS_TYPE_SOA);
    put16(w, CLASS_IN);
    put32(w, SOA_TTL);
    put16(w, (uint16_t)(mname.len + rname.len + 5 * 4));
    put_bytes(w, mname.b, mname.len);
    put_bytes(w, rname.b, rname.len);
    put32(w, SOA_SERIAL);
    put32(w, SOA_REFRESH);
    put32(w, SOA_RETRY);
    put32(w, SOA_EXPIRE);
    put32(w, SOA_MINIMUM);
    return 0;
}

struct answer_counts {
    int rcode;
    int authoritative;
    uint16_t answers, authority;
};

/* The answer and authority sections for an in-zone question. Follows CNAMEs
 * inside the zone as an authoritative server does; the rcode speaks for the
 * last name of the chain (RFC 6604 §2.1). */
static void answer_from_zone(const struct wt_dns_zone *zone, const struct wire_name *origin,
                             const struct wire_name *qname, uint16_t qtype, struct writer *w,
                             struct answer_counts *c)
{
    struct wire_name current = *qname;
    int negative = 0;
    for (int hop = 0;; hop++) {
        const struct wire_name *owner = hop == 0 ? NULL : &current;
        const struct wt_dns_zone_record *cname = NULL;
        int matched = 0;
        for (size_t i = 0; i < zone->n_records; i++) {
            const struct wt_dns_zone_record *r = &zone->records[i];
            if (!owner_is(r, &current))
                continue;
            if (r->type == qtype || qtype == QTYPE_ANY) {
                if (put_record(w, r, owner) == 0) {
                    c->answers++;
                    matched = 1;
                }
            } else if (r->type == WT_DNS_TYPE_CNAME) {
                cname = r;
            }
        }
        if ((qtype == WT_DNS_TYPE_SOA || qtype == QTYPE_ANY) &&
            wire_equal(current.b, current.len, origin->b, origin->len) &&
            put_soa(w, origin, owner) == 0) {
            c->answers++;
            matched = 1;
        }
        if (matched || !cname) {
            if (!matched && !name_exists(zone, origin, &current))
                c->rcode = RCODE_NXDOMAIN;
            negative = !matched;
            break;
        }
        if (put_record(w, cname, owner) < 0) {
            negative = 1;
            break;
        }
        c->answers++;
        struct wire_name target;
        /* Past the hop limit or out of the zone, the chain is the resolver's
         * to follow: no SOA, since the last name is not ours. */
        if (hop + 1 >= MAX_CNAME_HOPS || wire_from_text(cname->data, &target) < 0 ||
            !in_zone(&target, origin))
            break;
        current = target;
    }
    if (negative && put_soa(w, origin, origin) == 0)
        c->authority++;
}

size_t wt_dns_zone_answer(const struct wt_dns_zone *zone, const uint8_t *query, size_t len,
                          uint8_t *reply, size_t reply_cap)
{
    if (!zone || !query || !reply || len < HEADER_LEN || reply_cap < HEADER_LEN)
        return 0;
    uint16_t query_flags = (uint16_t)(query[2] << 8 | query[3]);
    /* Answering a response could start a ping-pong with another server. */
    if (query_flags & FLAG_QR)
        return 0;
    int opcode = query_flags >> 11 & 15;

    struct wt_dns_msg m;
    int decoded = wt_dns_msg_decode(query, len, &m) == 0;
    struct wire_name qname = { .len = 0 };
    if (decoded && m.qdcount == 1) {
        qname.len = wire_name_len(query, len, HEADER_LEN);
        if (qname.len && len - HEADER_LEN - qname.len < QUESTION_FIXED_LEN)
            qname.len = 0;
        memcpy(qname.b, query + HEADER_LEN, qname.len);
    }
    int has_question = qname.len > 0;

    struct answer_counts c = { .rcode = RCODE_NOERROR };
    struct wire_name origin;
    if (opcode != OPCODE_QUERY)
        c.rcode = RCODE_NOTIMP;
    else if (!has_question)
        c.rcode = RCODE_FORMERR;
    else if ((m.qclass != CLASS_IN && m.qclass != CLASS_ANY) ||
             wire_from_text(zone->origin, &origin) < 0 || !in_zone(&qname, &origin))
        c.rcode = RCODE_REFUSED;   /* not a zone we serve: no AA, no referral */
    else
        c.authoritative = 1;

    struct writer w = { reply, HEADER_LEN, reply_cap, 0 };
    if (has_question) {
        put_bytes(&w, qname.b, qname.len);
        put_bytes(&w, query + HEADER_LEN + qname.len, QUESTION_FIXED_LEN);
        /* A reply without its question would not be matched to the query:
         * better none at all. */
        if (w.overflow)
            return 0;
    }
    size_t question_end = w.len;
    if (c.authoritative)
        answer_from_zone(zone, &origin, &qname, m.qtype, &w, &c);

    uint16_t flags = (uint16_t)(FLAG_QR | opcode << 11 | (query_flags & FLAG_RD) | c.rcode);
    if (c.authoritative)
        flags |= FLAG_AA;
    if (w.overflow) {
        /* RFC 2181 §9: records that do not fit are left out whole, and TC
         * says so. */
        flags |= FLAG_TC;
        w.len = question_end;
        c.answers = 0;
        c.authority = 0;
    }
    struct writer header = { reply, 0, HEADER_LEN, 0 };
    put_bytes(&header, query, 2);   /* id */
    put16(&header, flags);
    put16(&header, has_question ? 1 : 0);
    put16(&header, c.answers);
    put16(&header, c.authority);
    put16(&header, 0);              /* an EDNS OPT in the query is not answered */
    return w.len;
}

struct wt_dnsserver {
    struct wt_loop *loop;
    const struct wt_dns_zone *zone;
    int fd;
    uint16_t port;
    uint64_t answered;
};

static void on_readable(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)loop;
    (void)events;
    struct wt_dnsserver *s = data;
    for (int i = 0; i < READS_PER_WAKEUP; i++) {
        uint8_t query[QUERY_MAX], reply[REPLY_MAX];
        struct sockaddr_storage from;
        socklen_t from_len = sizeof from;
        ssize_t n = recvfrom(fd, query, sizeof query, 0, (struct sockaddr *)&from, &from_len);
        /* EAGAIN ends the batch; any other error on an unconnected UDP
         * socket concerns one datagram and leaves the socket usable. */
        if (n < 0)
            return;
        size_t r = wt_dns_zone_answer(s->zone, query, (size_t)n, reply, sizeof reply);
        /* A full send buffer drops the reply, as UDP would; the client retries. */
        if (r && sendto(fd, reply, r, 0, (struct sockaddr *)&from, from_len) == (ssize_t)r)
            s->answered++;
    }
}

/* Opens, binds and watches s->fd; on failure returns the step that failed,
 * errno intact. */
static const char *open_socket(struct wt_dnsserver *s, struct sockaddr_storage *ss,
                               socklen_t len)
{
    s->fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0)
        return "socket";
    if (bind(s->fd, (struct sockaddr *)ss, len) < 0)
        return "bind";
    /* port 0: the kernel chose one, and the caller needs to know it */
    len = sizeof *ss;
    if (getsockname(s->fd, (struct sockaddr *)ss, &len) < 0)
        return "getsockname";
    s->port = ntohs(ss->ss_family == AF_INET ? ((struct sockaddr_in *)ss)->sin_port
                                             : ((struct sockaddr_in6 *)ss)->sin6_port);
    if (wt_loop_watch(s->loop, s->fd, WT_LOOP_READ, on_readable, s) < 0)
        return "loop watch";
    return NULL;
}

struct wt_dnsserver *wt_dnsserver_start(struct wt_loop *loop, const struct wt_dns_zone *zone,
                                        const char *addr, uint16_t port, char *err,
                                        size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (!loop || !zone || !addr) {
        wt_errf(err, errlen, "DNS server: no loop, zone or address");
        return NULL;
    }
    if (wt_sockaddr_from_text(addr, port, &ss, &len) < 0) {
        wt_errf(err, errlen, "DNS server: '%.64s' is not a numeric address", addr);
        return NULL;
    }
    struct wt_dnsserver *s = calloc(1, sizeof *s);
    if (!s) {
        wt_errf(err, errlen, "DNS server: out of memory");
        return NULL;
    }
    s->loop = loop;
    s->zone = zone;
    const char *failed = open_socket(s, &ss, len);
    if (!failed)
        return s;
    int saved = errno;
    wt_errf(err, errlen, "DNS server on %.64s port %u: %s: %s", addr, (unsigned)port, failed,
             strerror(saved));
    if (s->fd >= 0)
        close(s->fd);
    free(s);
    errno = saved;
    return NULL;
}

uint16_t wt_dnsserver_port(const struct wt_dnsserver *s)
{
    return s ? s->port : 0;
}

uint64_t wt_dnsserver_answered(const struct wt_dnsserver *s)
{
    return s ? s->answered : 0;
}

void wt_dnsserver_free(struct wt_dnsserver *s)
{
    if (!s)
        return;
    wt_loop_unwatch(s->loop, s->fd);
    close(s->fd);
    free(s);
}
