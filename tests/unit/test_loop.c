/* The loop driven by a fake clock and a fake poll backend: timer order,
 * cancellation, rounding of sub-millisecond waits, fd dispatch. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <string.h>

#include "webtrace/loop.h"

struct fake {
    int64_t now_us;
    int last_timeout_ms;
    int ready_fd;          /* fd reported readable by the next poll, -1 none */
    int polls;
};

static int64_t fake_now(void *ctx)
{
    return ((struct fake *)ctx)->now_us;
}

/* Pretends to sleep: advances the clock by the timeout, or reports an fd. */
static int fake_poll(void *ctx, struct pollfd *fds, size_t nfds, int timeout_ms)
{
    struct fake *f = ctx;
    f->polls++;
    f->last_timeout_ms = timeout_ms;
    for (size_t i = 0; i < nfds; i++) {
        fds[i].revents = 0;
        if (fds[i].fd == f->ready_fd && (fds[i].events & POLLIN)) {
            fds[i].revents = POLLIN;
            f->ready_fd = -1;
            return 1;
        }
    }
    if (timeout_ms > 0)
        f->now_us += (int64_t)timeout_ms * 1000;
    return 0;
}

struct record {
    char order[16];
    size_t n;
};

static void mark_a(struct wt_loop *l, void *d) { (void)l; struct record *r = d; r->order[r->n++] = 'a'; }
static void mark_b(struct wt_loop *l, void *d) { (void)l; struct record *r = d; r->order[r->n++] = 'b'; }
static void mark_c(struct wt_loop *l, void *d) { (void)l; struct record *r = d; r->order[r->n++] = 'c'; }

static struct wt_loop *new_fake_loop(struct fake *f)
{
    memset(f, 0, sizeof *f);
    f->ready_fd = -1;
    f->now_us = 1000000;
    struct wt_clock clock = { fake_now, f };
    struct wt_loop_backend backend = { fake_poll, f };
    struct wt_loop *loop = wt_loop_new(&clock, &backend);
    assert_non_null(loop);
    return loop;
}

static void test_loop_timers_fire_in_deadline_order(void **state)
{
    (void)state;
    struct fake f;
    struct wt_loop *loop = new_fake_loop(&f);
    struct record r = { 0 };
    wt_loop_timer_at(loop, f.now_us + 30000, mark_c, &r);
    wt_loop_timer_at(loop, f.now_us + 10000, mark_a, &r);
    wt_loop_timer_at(loop, f.now_us + 20000, mark_b, &r);
    for (int i = 0; i < 10 && r.n < 3; i++)
        assert_true(wt_loop_run_once(loop, -1) >= 0);
    assert_int_equal(r.n, 3);
    assert_memory_equal(r.order, "abc", 3);
    wt_loop_free(loop);
}

static void test_loop_cancelled_timer_never_fires(void **state)
{
    (void)state;
    struct fake f;
    struct wt_loop *loop = new_fake_loop(&f);
    struct record r = { 0 };
    uint64_t id = wt_loop_timer_at(loop, f.now_us + 5000, mark_a, &r);
    wt_loop_timer_at(loop, f.now_us + 9000, mark_b, &r);
    wt_loop_timer_cancel(loop, id);
    wt_loop_timer_cancel(loop, 0);
    wt_loop_timer_cancel(loop, 12345);
    for (int i = 0; i < 10 && r.n < 1; i++)
        wt_loop_run_once(loop, -1);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.order[0], 'b');
    wt_loop_free(loop);
}

static void test_loop_sub_millisecond_wait_rounds_up(void **state)
{
    (void)state;
    struct fake f;
    struct wt_loop *loop = new_fake_loop(&f);
    struct record r = { 0 };
    wt_loop_timer_at(loop, f.now_us + 300, mark_a, &r);
    wt_loop_run_once(loop, -1);
    /* 0.3 ms must wait 1 ms, not 0 (a busy spin) */
    assert_int_equal(f.last_timeout_ms, 1);
    assert_int_equal(r.n, 1);
    wt_loop_free(loop);
}

static void test_loop_due_timer_polls_without_waiting(void **state)
{
    (void)state;
    struct fake f;
    struct wt_loop *loop = new_fake_loop(&f);
    struct record r = { 0 };
    wt_loop_timer_at(loop, f.now_us - 5, mark_a, &r);
    wt_loop_run_once(loop, -1);
    assert_int_equal(f.last_timeout_ms, 0);
    assert_int_equal(r.n, 1);
    wt_loop_free(loop);
}

static int readable_calls;
static void on_readable(struct wt_loop *l, int fd, int events, void *d)
{
    (void)d;
    assert_int_equal(fd, 7);
    assert_true(events & WT_LOOP_READ);
    readable_calls++;
    wt_loop_unwatch(l, fd);
}

static void test_loop_dispatches_ready_fd_and_unwatch_stops_it(void **state)
{
    (void)state;
    struct fake f;
    struct wt_loop *loop = new_fake_loop(&f);
    readable_calls = 0;
    assert_int_equal(wt_loop_watch(loop, 7, WT_LOOP_READ, on_readable, NULL), 0);
    f.ready_fd = 7;
    assert_int_equal(wt_loop_run_once(loop, 1000), 1);
    assert_int_equal(readable_calls, 1);
    f.ready_fd = 7;
    wt_loop_run_once(loop, 1000);
    assert_int_equal(readable_calls, 1);
    wt_loop_free(loop);
}

static int stop_after_b(void *ctx)
{
    struct record *r = ctx;
    return r->n >= 2;
}

static void test_loop_run_returns_when_nothing_is_left(void **state)
{
    (void)state;
    struct fake f;
    struct wt_loop *loop = new_fake_loop(&f);
    struct record r = { 0 };
    wt_loop_timer_at(loop, f.now_us + 1000, mark_a, &r);
    assert_int_equal(wt_loop_run(loop, stop_after_b, &r), 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(f.now_us, 1000000 + 1000);
    wt_loop_free(loop);
}

static int stale_calls;
static void on_new_socket(struct wt_loop *l, int fd, int events, void *d)
{
    (void)l; (void)fd; (void)events; (void)d;
    stale_calls++;
}

static void on_old_socket(struct wt_loop *l, int fd, int events, void *d)
{
    (void)l; (void)fd; (void)events; (void)d;
    fail_msg("the closed socket's callback ran");
}

/* fd 5's callback closes fd 7 and a new socket gets the same number: the
 * readiness polled for the old fd 7 must not reach the new watcher. */
static void on_first(struct wt_loop *l, int fd, int events, void *d)
{
    (void)fd; (void)events; (void)d;
    wt_loop_unwatch(l, 7);
    wt_loop_watch(l, 7, WT_LOOP_READ, on_new_socket, NULL);
}

static int two_ready_poll(void *ctx, struct pollfd *fds, size_t nfds, int timeout_ms)
{
    (void)ctx; (void)timeout_ms;
    for (size_t i = 0; i < nfds; i++)
        fds[i].revents = POLLIN;
    return (int)nfds;
}

static void test_loop_reused_fd_does_not_get_stale_readiness(void **state)
{
    (void)state;
    struct fake f;
    memset(&f, 0, sizeof f);
    struct wt_clock clock = { fake_now, &f };
    struct wt_loop_backend backend = { two_ready_poll, NULL };
    struct wt_loop *loop = wt_loop_new(&clock, &backend);
    stale_calls = 0;
    wt_loop_watch(loop, 5, WT_LOOP_READ, on_first, NULL);
    wt_loop_watch(loop, 7, WT_LOOP_READ, on_old_socket, NULL);
    assert_int_equal(wt_loop_run_once(loop, 0), 1);
    assert_int_equal(stale_calls, 0);
    /* the next pass polls the new watch and delivers to it */
    wt_loop_unwatch(loop, 5);
    wt_loop_run_once(loop, 0);
    assert_int_equal(stale_calls, 1);
    wt_loop_free(loop);
}

static void test_loop_idle_work_waits_for_a_quiet_moment(void **state)
{
    (void)state;
    struct fake f;
    struct wt_loop *loop = new_fake_loop(&f);
    struct record r = { 0 };
    wt_loop_watch(loop, 7, WT_LOOP_READ, on_readable, NULL);
    wt_loop_idle(loop, mark_a, &r);
    wt_loop_idle(loop, mark_b, &r);
    /* A ready fd goes first, and the loop only looks (timeout 0) while
     * idle work is pending: the work is never delayed by a wait. */
    f.ready_fd = 7;
    readable_calls = 0;
    assert_int_equal(wt_loop_run_once(loop, -1), 1);
    assert_int_equal(f.last_timeout_ms, 0);
    assert_int_equal(readable_calls, 1);
    assert_int_equal(r.n, 0);
    /* Nothing ready: one item per iteration, oldest first. */
    assert_int_equal(wt_loop_run_once(loop, -1), 1);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.order[0], 'a');
    wt_loop_run_once(loop, -1);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.order[1], 'b');
    wt_loop_free(loop);
}

static void test_loop_due_timer_runs_before_idle_work(void **state)
{
    (void)state;
    struct fake f;
    struct wt_loop *loop = new_fake_loop(&f);
    struct record r = { 0 };
    wt_loop_idle(loop, mark_b, &r);
    wt_loop_timer_at(loop, f.now_us, mark_a, &r);
    wt_loop_run_once(loop, -1);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.order[0], 'a');
    wt_loop_run_once(loop, -1);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.order[1], 'b');
    wt_loop_free(loop);
}

static int never_done(void *ctx) { (void)ctx; return 0; }

static void test_loop_cancelled_idle_work_never_runs(void **state)
{
    (void)state;
    struct fake f;
    struct wt_loop *loop = new_fake_loop(&f);
    struct record r = { 0 };
    uint64_t a = wt_loop_idle(loop, mark_a, &r);
    wt_loop_idle(loop, mark_b, &r);
    wt_loop_idle_cancel(loop, a);
    assert_int_equal(wt_loop_run(loop, never_done, NULL), 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.order[0], 'b');
    wt_loop_free(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loop_timers_fire_in_deadline_order),
        cmocka_unit_test(test_loop_cancelled_timer_never_fires),
        cmocka_unit_test(test_loop_sub_millisecond_wait_rounds_up),
        cmocka_unit_test(test_loop_due_timer_polls_without_waiting),
        cmocka_unit_test(test_loop_dispatches_ready_fd_and_unwatch_stops_it),
        cmocka_unit_test(test_loop_run_returns_when_nothing_is_left),
        cmocka_unit_test(test_loop_reused_fd_does_not_get_stale_readiness),
        cmocka_unit_test(test_loop_idle_work_waits_for_a_quiet_moment),
        cmocka_unit_test(test_loop_due_timer_runs_before_idle_work),
        cmocka_unit_test(test_loop_cancelled_idle_work_never_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
