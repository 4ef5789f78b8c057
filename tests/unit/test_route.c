/* route: the neighbour states named as `ip neigh` names them. The netlink
 * queries themselves are tested against ip(8) in a network namespace
 * (tests/integration/test_route.py). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/neighbour.h>

#include "webtrace/route.h"

static void test_route_neigh_state_names(void **state)
{
    (void)state;
    static const struct {
        unsigned state;
        const char *name;
    } cases[] = {
        { NUD_REACHABLE, "REACHABLE" }, { NUD_STALE, "STALE" },     { NUD_DELAY, "DELAY" },
        { NUD_PROBE, "PROBE" },         { NUD_FAILED, "FAILED" },   { NUD_INCOMPLETE, "INCOMPLETE" },
        { NUD_PERMANENT, "PERMANENT" }, { NUD_NOARP, "NOARP" },     { 0, "NONE" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(wt_route_neigh_state_name(cases[i].state), cases[i].name);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_neigh_state_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
