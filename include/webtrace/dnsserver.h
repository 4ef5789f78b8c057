/* dnsserver: a tiny authoritative DNS responder for the offline demo's
 * zone, on the caller's loop (UDP, loopback). It answers from a fixed
 * table of records and says NXDOMAIN for any other name; it never
 * forwards and never prints. */
#ifndef WEBTRACE_DNSSERVER_H
#define WEBTRACE_DNSSERVER_H

#include <stddef.h>
#include <stdint.h>
#include "webtrace/loop.h"

struct wt_dns_zone_record {
    const char *name;      /* owner, lower case, no trailing dot */
    uint16_t type;         /* WT_DNS_TYPE_A, _AAAA or _CNAME */
    uint32_t ttl;
    const char *data;      /* address text or CNAME target */
};

struct wt_dns_zone {
    const char *origin;    /* names under it that are not in records: NXDOMAIN */
    const struct wt_dns_zone_record *records;
    size_t n_records;
};

/* The demo zone: www.webtrace.test CNAME web.webtrace.test (ttl 60),
 * web.webtrace.test A 127.0.0.1 (ttl 300) and AAAA ::1 (ttl 120). */
extern const struct wt_dns_zone wt_demo_zone;

/* Builds the reply to one query (pure: no sockets). Follows CNAMEs inside
 * the zone, adding each link and the final records, as an authoritative
 * server does. Names outside the origin get REFUSED, unknown names under it
 * NXDOMAIN, known names without the asked type NOERROR with no answers; both
 * negative answers carry a synthetic SOA for the origin in the authority
 * section. Other opcodes get NOTIMP, queries without exactly one well-formed
 * question FORMERR; the question is echoed whenever it parsed. An EDNS OPT in
 * the query is ignored (the reply has none). Never writes past reply_cap:
 * answers that do not fit are dropped whole and TC is set.
 * Returns the reply length, or 0 when there is nothing to send: no header,
 * a response (QR set), or a reply_cap too small for header and question. */
size_t wt_dns_zone_answer(const struct wt_dns_zone *zone, const uint8_t *query, size_t len,
                          uint8_t *reply, size_t reply_cap);

struct wt_dnsserver;

/* Binds UDP on addr (numeric, e.g. "127.0.0.1") port (0: the kernel picks)
 * and answers on loop until freed. NULL with err on failure. */
struct wt_dnsserver *wt_dnsserver_start(struct wt_loop *loop, const struct wt_dns_zone *zone,
                                        const char *addr, uint16_t port, char *err,
                                        size_t errlen);
uint16_t wt_dnsserver_port(const struct wt_dnsserver *s);
/* Queries answered so far. */
uint64_t wt_dnsserver_answered(const struct wt_dnsserver *s);
void wt_dnsserver_free(struct wt_dnsserver *s);

#endif
