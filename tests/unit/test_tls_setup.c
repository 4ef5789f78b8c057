/* The TLS set-up's accounting: how much of its steps fell into a phase's
 * interval (what "done while waiting for DNS" reports). No TLS is loaded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "webtrace/tls_setup.h"

static struct wt_tls_setup_report report(void)
{
    /* module 100-400, library 400-500, context 900-1900, trust 2000-2100 */
    struct wt_tls_setup_report r = { 0 };
    r.steps[WT_TLS_STEP_MODULE] = (struct wt_tls_setup_span){ 100, 400 };
    r.steps[WT_TLS_STEP_LIBRARY] = (struct wt_tls_setup_span){ 400, 500 };
    r.steps[WT_TLS_STEP_CONTEXT] = (struct wt_tls_setup_span){ 900, 1900 };
    r.steps[WT_TLS_STEP_TRUST] = (struct wt_tls_setup_span){ 2000, 2100 };
    return r;
}

static void test_tls_setup_overlap_counts_steps_inside_the_interval(void **state)
{
    (void)state;
    struct wt_tls_setup_report r = report();
    assert_int_equal(wt_tls_setup_overlap(&r, 0, 3000), 1500);
    assert_int_equal(wt_tls_setup_overlap(&r, 0, 600), 400);      /* DNS 0-600 */
    assert_int_equal(wt_tls_setup_overlap(&r, 600, 2000), 1000);  /* connect 600-2000 */
}

static void test_tls_setup_overlap_clips_a_step_at_the_edges(void **state)
{
    (void)state;
    struct wt_tls_setup_report r = report();
    assert_int_equal(wt_tls_setup_overlap(&r, 200, 450), 250);
    assert_int_equal(wt_tls_setup_overlap(&r, 1500, 2050), 450);
}

static void test_tls_setup_overlap_of_nothing_is_zero(void **state)
{
    (void)state;
    struct wt_tls_setup_report none = { 0 };
    assert_int_equal(wt_tls_setup_overlap(&none, 0, 5000), 0);
    struct wt_tls_setup_report r = report();
    assert_int_equal(wt_tls_setup_overlap(&r, 500, 900), 0);      /* between steps */
    assert_int_equal(wt_tls_setup_overlap(&r, 3000, 1000), 0);    /* empty interval */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_setup_overlap_counts_steps_inside_the_interval),
        cmocka_unit_test(test_tls_setup_overlap_clips_a_step_at_the_edges),
        cmocka_unit_test(test_tls_setup_overlap_of_nothing_is_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
