#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "webtrace/tcp.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ADDRS 8

/* Addresses as "4a" (IPv4 named a) or "6b"; the order they are raced in. */
static const struct {
    const char *in[MAX_ADDRS];
    const char *out[MAX_ADDRS];
} interleave_cases[] = {
    { { "6a" }, { "6a" } },
    { { "6a", "4b" }, { "6a", "4b" } },
    { { "6a", "6b", "4c", "4d" }, { "6a", "4c", "6b", "4d" } },
    { { "4a", "4b", "6c" }, { "4a", "6c", "4b" } },
    { { "6a", "6b", "6c", "4d" }, { "6a", "4d", "6b", "6c" } },
    { { "4a", "6b", "6c", "6d", "4e" }, { "4a", "6b", "4e", "6c", "6d" } },
    { { "6a", "6b", "6c" }, { "6a", "6b", "6c" } },
};

static size_t load(const char *const names[], struct wt_endpoint *eps)
{
    size_t n = 0;
    for (; n < MAX_ADDRS && names[n]; n++) {
        memset(&eps[n], 0, sizeof eps[n]);
        eps[n].family = names[n][0] == '6' ? AF_INET6 : AF_INET;
        snprintf(eps[n].addr, sizeof eps[n].addr, "%s", names[n]);
    }
    return n;
}

static void test_tcp_interleave_alternates_families_preferred_first(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(interleave_cases); i++) {
        struct wt_endpoint eps[MAX_ADDRS], want[MAX_ADDRS];
        size_t n = load(interleave_cases[i].in, eps);
        size_t m = load(interleave_cases[i].out, want);
        assert_int_equal(n, m);
        wt_tcp_interleave(eps, n);
        for (size_t k = 0; k < n; k++) {
            if (strcmp(eps[k].addr, want[k].addr) != 0)
                fail_msg("case %zu position %zu: %s, want %s", i, k, eps[k].addr, want[k].addr);
            assert_int_equal(eps[k].family, want[k].family);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_interleave_alternates_families_preferred_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
