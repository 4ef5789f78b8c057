/* dnscache: the addresses a run has looked up, kept for as long as their
 * DNS records said (the smallest TTL of the answer chain), so a new
 * connection to a name met before needs no lookup. Pure data: no sockets,
 * no clock of its own (the caller passes the loop's time). */
#ifndef WEBTRACE_DNSCACHE_H
#define WEBTRACE_DNSCACHE_H

#include <stddef.h>
#include <stdint.h>
#include "webtrace/event.h"

#define WT_DNS_CACHE_MAX 256   /* names kept; the entry closest to expiry goes */

struct wt_dns_cache;

struct wt_dns_cache *wt_dns_cache_new(void);
void wt_dns_cache_free(struct wt_dns_cache *c);

/* Keeps the addresses of name, as looked up for family (AF_UNSPEC, AF_INET,
 * AF_INET6), for ttl_s seconds from now_us. A ttl of 0 (the hosts file, or
 * a record that says not to cache) stores nothing. */
void wt_dns_cache_put(struct wt_dns_cache *c, const char *name, int family,
                      const struct wt_endpoint *addrs, size_t n, uint32_t ttl_s, int64_t now_us);
/* 1 when name has addresses that have not expired at now_us: *addrs points
 * at all of them (the cache's own copy: valid until the next put or get),
 * *n set, *left_us the time to live left. 0 otherwise (an expired entry is
 * dropped). */
int wt_dns_cache_get(struct wt_dns_cache *c, const char *name, int family, int64_t now_us,
                     const struct wt_endpoint **addrs, size_t *n, int64_t *left_us);

#endif
