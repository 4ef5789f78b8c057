#include "webtrace/dnsserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "webtrace/dnsmsg.h"

#define MAX_CNAME_HOPS 8
#define DATAGRAM_MAX 512       /* classic DNS over UDP: our answers are tiny */
#define READS_PER_WAKEUP 64

static const struct wt_dns_zone_record demo_records[] = {
    { "www.webtrace.test", WT_DNS_TYPE_CNAME, 60, "web.webtrace.test" },
    { "web.webtrace.test", WT_DNS_TYPE_A, 300, "127.0.0.1" },
    { "web.webtrace.test", WT_DNS_TYPE_AAAA, 120, "::1" },
};

const struct wt_dns_zone wt_demo_zone = {
    "webtrace.test", demo_records, sizeof demo_records / sizeof demo_records[0],
};

struct writer {
    uint8_t *p;
    size_t len, cap;
    int overflow;
};

static void put(struct writer *w, const void *data, size_t n)
{
    if (w->overflow || w->len > w->cap || n > w->cap - w->len) {
        w->overflow = 1;
        return;
    }
    memcpy(w->p + w->len, data, n);
    w->len += n;
}

static void put16(struct writer *w, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    put(w, b, 2);
}

static void put32(struct writer *w, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    put(w, b, 4);
}

/* Writes a name in wire form, uncompressed; names come from our zone. */
static void put_name(struct writer *w, const char *name)
{
    while (*name) {
        size_t label = strcspn(name, ".");
        if (label > 63) {
            w->overflow = 1;
            return;
        }
        uint8_t l = (uint8_t)label;
        put(w, &l, 1);
        put(w, name, label);
        name += label;
        if (*name == '.')
            name++;
    }
    uint8_t zero = 0;
    put(w, &zero, 1);
}

static int name_equal(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

/* Is name the origin or under it? */
static int in_zone(const struct wt_dns_zone *zone, const char *name)
{
    size_t n = strlen(name), o = strlen(zone->origin);
    if (n < o || strcasecmp(name + n - o, zone->origin) != 0)
        return 0;
    return n == o || name[n - o - 1] == '.';
}

static int name_known(const struct wt_dns_zone *zone, const char *name)
{
    for (size_t i = 0; i < zone->n_records; i++)
        if (name_equal(zone->records[i].name, name))
            return 1;
    return 0;
}

/* One answer record; the owner is written in full. */
static void put_record(struct writer *w, const struct wt_dns_zone_record *r, const char *owner)
{
    put_name(w, owner);
    put16(w, r->type);
    put16(w, 1);
    put32(w, r->ttl);
    if (r->type == WT_DNS_TYPE_A) {
        uint8_t a[4];
        if (inet_pton(AF_INET, r->data, a) != 1) {
            w->overflow = 1;
            return;
        }
        put16(w, 4);
        put(w, a, 4);
    } else if (r->type == WT_DNS_TYPE_AAAA) {
        uint8_t a[16];
        if (inet_pton(AF_INET6, r->data, a) != 1) {
            w->overflow = 1;
            return;
        }
        put16(w, 16);
        put(w, a, 16);
    } else {
        struct writer rd = { w->p, w->len + 2, w->cap, w->overflow };
        put_name(&rd, r->data);
        put16(w, (uint16_t)(rd.len - w->len - 2));
        if (rd.overflow) {
            w->overflow = 1;
            return;
        }
        w->len = rd.len;
    }
}

size_t wt_dns_zone_answer(const struct wt_dns_zone *zone, const uint8_t *query, size_t len,
                          uint8_t *reply, size_t reply_cap)
{
    if (len < 12 || reply_cap < 12)
        return 0;
    if (query[2] & 0x80)
        return 0;   /* a response: never answer one */
    struct wt_dns_msg m;
    int parsed = wt_dns_msg_decode(query, len, &m) == 0;
    int opcode = (query[2] >> 3) & 15;
    int rcode = 0;
    if (!parsed || m.qdcount != 1)
        rcode = 1;  /* FORMERR */
    else if (opcode != 0)
        rcode = 4;  /* NOTIMP */

    struct writer w = { reply, 0, reply_cap, 0 };
    put(&w, query, 2);                                   /* id */
    uint8_t flags[2] = { (uint8_t)(0x80 | (opcode << 3) | 0x04 | (query[2] & 0x01)),
                         (uint8_t)rcode };               /* QR AA RD */
    put(&w, flags, 2);
    int with_question = parsed && m.qdcount >= 1;
    put16(&w, with_question ? 1 : 0);
    size_t ancount_at = w.len;
    put16(&w, 0);
    put16(&w, 0);
    put16(&w, 0);
    if (with_question) {
        put_name(&w, m.qname);
        put16(&w, m.qtype);
        put16(&w, m.qclass);
    }
    if (rcode || w.overflow)
        return w.overflow ? 0 : w.len;

    if (!in_zone(zone, m.qname)) {
        reply[3] = (reply[3] & 0xf0) | 5;   /* REFUSED: not our zone */
        reply[2] &= (uint8_t)~0x04;
        return w.len;
    }
    if (!name_known(zone, m.qname)) {
        reply[3] = (reply[3] & 0xf0) | 3;   /* NXDOMAIN */
        return w.len;
    }
    /* Follow the CNAME chain inside the zone, as an authoritative server
     * does, adding each link and then the records of the asked type. */
    unsigned answers = 0;
    char current[WT_DNS_NAME_MAX];
    snprintf(current, sizeof current, "%s", m.qname);
    for (int hop = 0; hop < MAX_CNAME_HOPS; hop++) {
        const struct wt_dns_zone_record *cname = NULL;
        for (size_t i = 0; i < zone->n_records; i++) {
            const struct wt_dns_zone_record *r = &zone->records[i];
            if (!name_equal(r->name, current))
                continue;
            if (r->type == m.qtype) {
                put_record(&w, r, current);
                answers++;
            } else if (r->type == WT_DNS_TYPE_CNAME) {
                cname = r;
            }
        }
        if (!cname || m.qtype == WT_DNS_TYPE_CNAME)
            break;
        put_record(&w, cname, current);
        answers++;
        snprintf(current, sizeof current, "%s", cname->data);
    }
    if (w.overflow) {
        /* Does not fit: say so with TC and no answers. */
        reply[2] |= 0x02;
        return ancount_at + 6 <= reply_cap ? ancount_at + 6 : 0;
    }
    reply[ancount_at] = (uint8_t)(answers >> 8);
    reply[ancount_at + 1] = (uint8_t)answers;
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
        uint8_t query[DATAGRAM_MAX], reply[DATAGRAM_MAX];
        struct sockaddr_storage from;
        socklen_t flen = sizeof from;
        ssize_t n = recvfrom(fd, query, sizeof query, 0, (struct sockaddr *)&from, &flen);
        if (n < 0)
            return;
        size_t r = wt_dns_zone_answer(s->zone, query, (size_t)n, reply, sizeof reply);
        if (r && sendto(fd, reply, r, 0, (struct sockaddr *)&from, flen) == (ssize_t)r)
            s->answered++;
    }
}

struct wt_dnsserver *wt_dnsserver_start(struct wt_loop *loop, const struct wt_dns_zone *zone,
                                        const char *addr, uint16_t port, char *err,
                                        size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        len = sizeof *in;
    } else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        len = sizeof *in6;
    } else {
        snprintf(err, errlen, "DNS server: '%.64s' is not a numeric address", addr);
        return NULL;
    }
    struct wt_dnsserver *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->loop = loop;
    s->zone = zone;
    s->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&ss, len) < 0 ||
        getsockname(s->fd, (struct sockaddr *)&ss, &len) < 0 ||
        wt_loop_watch(loop, s->fd, WT_LOOP_READ, on_readable, s) < 0) {
        snprintf(err, errlen, "DNS server: cannot bind %s port %u: %s", addr, port,
                 strerror(errno));
        if (s->fd >= 0)
            close(s->fd);
        free(s);
        return NULL;
    }
    s->port = ntohs(ss.ss_family == AF_INET ? in->sin_port : in6->sin6_port);
    return s;
}

uint16_t wt_dnsserver_port(const struct wt_dnsserver *s)
{
    return s->port;
}

uint64_t wt_dnsserver_answered(const struct wt_dnsserver *s)
{
    return s->answered;
}

void wt_dnsserver_free(struct wt_dnsserver *s)
{
    if (!s)
        return;
    wt_loop_unwatch(s->loop, s->fd);
    close(s->fd);
    free(s);
}
