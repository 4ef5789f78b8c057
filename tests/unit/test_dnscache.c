#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "webtrace/dnscache.h"

#define S 1000000LL   /* microseconds in a second */

static struct wt_endpoint ep(const char *addr, int family)
{
    struct wt_endpoint e;
    memset(&e, 0, sizeof e);
    snprintf(e.addr, sizeof e.addr, "%s", addr);
    e.family = family;
    return e;
}

static void test_dnscache_hit_until_the_ttl_runs_out(void **state)
{
    (void)state;
    struct wt_dns_cache *c = wt_dns_cache_new();
    assert_non_null(c);
    struct wt_endpoint in[2] = { ep("127.0.0.1", AF_INET), ep("::1", AF_INET6) };
    wt_dns_cache_put(c, "real.example.test", AF_UNSPEC, in, 2, 300, 10 * S);

    const struct wt_endpoint *out = NULL;
    size_t n = 0;
    int64_t left = 0;
    assert_int_equal(wt_dns_cache_get(c, "real.example.test", AF_UNSPEC, 23 * S, &out, &n, &left), 1);
    assert_int_equal(n, 2);
    assert_string_equal(out[0].addr, "127.0.0.1");
    assert_string_equal(out[1].addr, "::1");
    assert_int_equal(left, 287 * S);
    /* names are case-insensitive */
    assert_int_equal(wt_dns_cache_get(c, "REAL.example.test", AF_UNSPEC, 23 * S, &out, &n, &left), 1);
    /* at expiry: gone, and stays gone */
    assert_int_equal(wt_dns_cache_get(c, "real.example.test", AF_UNSPEC, 310 * S, &out, &n, &left), 0);
    assert_int_equal(wt_dns_cache_get(c, "real.example.test", AF_UNSPEC, 11 * S, &out, &n, &left), 0);
    wt_dns_cache_free(c);
}

static void test_dnscache_ttl_zero_and_family_are_respected(void **state)
{
    (void)state;
    struct wt_dns_cache *c = wt_dns_cache_new();
    struct wt_endpoint in[1] = { ep("127.0.0.1", AF_INET) };
    const struct wt_endpoint *out = NULL;
    size_t n;
    int64_t left;
    wt_dns_cache_put(c, "hosts.example.test", AF_UNSPEC, in, 1, 0, 0);
    assert_int_equal(wt_dns_cache_get(c, "hosts.example.test", AF_UNSPEC, 0, &out, &n, &left), 0);
    wt_dns_cache_put(c, "v4.example.test", AF_INET, in, 1, 60, 0);
    /* asked with -6 (or neither): a lookup of its own */
    assert_int_equal(wt_dns_cache_get(c, "v4.example.test", AF_INET6, 1, &out, &n, &left), 0);
    assert_int_equal(wt_dns_cache_get(c, "v4.example.test", AF_UNSPEC, 1, &out, &n, &left), 0);
    assert_int_equal(wt_dns_cache_get(c, "v4.example.test", AF_INET, 1, &out, &n, &left), 1);
    wt_dns_cache_free(c);
}

static void test_dnscache_is_bounded(void **state)
{
    (void)state;
    struct wt_dns_cache *c = wt_dns_cache_new();
    struct wt_endpoint in[1] = { ep("127.0.0.1", AF_INET) };
    const struct wt_endpoint *out = NULL;
    size_t n;
    int64_t left;
    char name[64];
    for (int i = 0; i < WT_DNS_CACHE_MAX + 10; i++) {
        snprintf(name, sizeof name, "n%d.example.test", i);
        /* later names live longer: the first ones are dropped */
        wt_dns_cache_put(c, name, AF_UNSPEC, in, 1, (uint32_t)(100 + i), 0);
    }
    assert_int_equal(wt_dns_cache_get(c, "n0.example.test", AF_UNSPEC, 1, &out, &n, &left), 0);
    snprintf(name, sizeof name, "n%d.example.test", WT_DNS_CACHE_MAX + 9);
    assert_int_equal(wt_dns_cache_get(c, name, AF_UNSPEC, 1, &out, &n, &left), 1);
    wt_dns_cache_free(c);
}

/* Every address of a large answer is kept: none is lost to a cap. */
static void test_dnscache_keeps_every_address(void **state)
{
    (void)state;
    enum { N = 2000 };
    static struct wt_endpoint in[N];
    for (int i = 0; i < N; i++) {
        char a[32];
        snprintf(a, sizeof a, "10.0.%d.%d", i / 256, i % 256);
        in[i] = ep(a, AF_INET);
    }
    struct wt_dns_cache *c = wt_dns_cache_new();
    wt_dns_cache_put(c, "many.example.test", AF_UNSPEC, in, N, 60, 0);
    wt_dns_cache_put(c, "many.example.test", AF_UNSPEC, in, N, 60, 1);   /* replaced, not leaked */
    const struct wt_endpoint *out = NULL;
    size_t n = 0;
    int64_t left;
    assert_int_equal(wt_dns_cache_get(c, "many.example.test", AF_UNSPEC, 2, &out, &n, &left), 1);
    assert_int_equal(n, N);
    assert_string_equal(out[N - 1].addr, "10.0.7.207");
    wt_dns_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dnscache_hit_until_the_ttl_runs_out),
        cmocka_unit_test(test_dnscache_keeps_every_address),
        cmocka_unit_test(test_dnscache_ttl_zero_and_family_are_respected),
        cmocka_unit_test(test_dnscache_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
