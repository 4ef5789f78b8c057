#include "webtrace/dnscache.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "webtrace/url.h"

struct entry {
    char name[WT_HOST_MAX_LEN + 2];
    int family;
    struct wt_endpoint *addrs;   /* every address of the answer */
    size_t n;
    int64_t expires_us;
};

struct wt_dns_cache {
    struct entry entries[WT_DNS_CACHE_MAX];
    size_t n;
};

struct wt_dns_cache *wt_dns_cache_new(void)
{
    return calloc(1, sizeof(struct wt_dns_cache));
}

void wt_dns_cache_free(struct wt_dns_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->entries[i].addrs);
    free(c);
}

static struct entry *find(struct wt_dns_cache *c, const char *name, int family)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->entries[i].family == family && strcasecmp(c->entries[i].name, name) == 0)
            return &c->entries[i];
    return NULL;
}

static void drop(struct wt_dns_cache *c, struct entry *e)
{
    free(e->addrs);
    *e = c->entries[--c->n];
}

void wt_dns_cache_put(struct wt_dns_cache *c, const char *name, int family,
                      const struct wt_endpoint *addrs, size_t n, uint32_t ttl_s, int64_t now_us)
{
    if (ttl_s == 0 || n == 0 || strlen(name) > WT_HOST_MAX_LEN)
        return;
    /* Out of memory only costs a later lookup. */
    struct wt_endpoint *copy = malloc(n * sizeof *copy);
    if (!copy)
        return;
    memcpy(copy, addrs, n * sizeof *copy);
    struct entry *e = find(c, name, family);
    if (e) {
        free(e->addrs);
    } else {
        if (c->n == WT_DNS_CACHE_MAX) {
            struct entry *soonest = &c->entries[0];
            for (size_t i = 1; i < c->n; i++)
                if (c->entries[i].expires_us < soonest->expires_us)
                    soonest = &c->entries[i];
            drop(c, soonest);
        }
        e = &c->entries[c->n++];
    }
    memset(e, 0, sizeof *e);
    memcpy(e->name, name, strlen(name) + 1);
    e->family = family;
    e->addrs = copy;
    e->n = n;
    e->expires_us = now_us + (int64_t)ttl_s * 1000000;
}

int wt_dns_cache_get(struct wt_dns_cache *c, const char *name, int family, int64_t now_us,
                     const struct wt_endpoint **addrs, size_t *n, int64_t *left_us)
{
    struct entry *e = find(c, name, family);
    if (!e)
        return 0;
    if (e->expires_us <= now_us) {
        drop(c, e);
        return 0;
    }
    *addrs = e->addrs;
    *n = e->n;
    *left_us = e->expires_us - now_us;
    return 1;
}
