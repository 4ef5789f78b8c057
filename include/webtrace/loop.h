/* loop: one thread's event loop: fd watchers and timers on a monotonic
 * clock. The clock and the poll backend are injectable so timeout logic can
 * be driven by tests. It knows nothing of DNS, TCP or HTTP. */
#ifndef WEBTRACE_LOOP_H
#define WEBTRACE_LOOP_H

#include <stddef.h>
#include <stdint.h>

struct wt_loop;
struct pollfd;

enum { WT_LOOP_READ = 1, WT_LOOP_WRITE = 2, WT_LOOP_ERROR = 4 };

typedef void (*wt_fd_proc)(struct wt_loop *loop, int fd, int events, void *data);
typedef void (*wt_timer_proc)(struct wt_loop *loop, void *data);

struct wt_clock {
    int64_t (*now_us)(void *ctx);  /* monotonic microseconds */
    void *ctx;
};

struct wt_loop_backend {
    /* Same contract as poll(2): returns the number of ready entries, 0 on
     * timeout, -1 with errno on error. timeout_ms -1 waits forever. */
    int (*poll)(void *ctx, struct pollfd *fds, size_t nfds, int timeout_ms);
    void *ctx;
};

/* clock/backend NULL: CLOCK_MONOTONIC and poll(2). */
struct wt_loop *wt_loop_new(const struct wt_clock *clock,
                            const struct wt_loop_backend *backend);
void wt_loop_free(struct wt_loop *loop);

int64_t wt_loop_now(const struct wt_loop *loop);

/* Watches fd for events (WT_LOOP_READ|WT_LOOP_WRITE), replacing any earlier
 * watch of the same fd. events 0 removes the watch. Returns 0 or -1 (ENOMEM);
 * a failure also makes the next wt_loop_run_once fail, so a caller that
 * does not check cannot wait forever for an event that was never armed. */
int wt_loop_watch(struct wt_loop *loop, int fd, int events, wt_fd_proc proc, void *data);
void wt_loop_unwatch(struct wt_loop *loop, int fd);

/* Calls proc once at or after deadline_us (loop clock). Returns an id > 0,
 * or 0 on allocation failure (which wt_loop_run_once then reports, as for
 * wt_loop_watch). Cancelling a fired or unknown id is harmless. */
uint64_t wt_loop_timer_at(struct wt_loop *loop, int64_t deadline_us,
                          wt_timer_proc proc, void *data);
void wt_loop_timer_cancel(struct wt_loop *loop, uint64_t id);

/* Calls proc once the loop has nothing else to do: no fd ready and no
 * timer due. Work that can overlap the network's waits (TLS set-up while
 * DNS and TCP are in flight) goes here, in slices short enough that a reply
 * arriving meanwhile waits at most one slice. FIFO; returns an id > 0, or 0
 * on allocation failure. */
uint64_t wt_loop_idle(struct wt_loop *loop, wt_timer_proc proc, void *data);
void wt_loop_idle_cancel(struct wt_loop *loop, uint64_t id);

/* One iteration: waits for the earliest of fd readiness, the next timer,
 * or max_wait_us (-1: no limit), then dispatches. Returns the number of
 * callbacks run, or -1 when the backend failed (errno kept) or a watch or
 * timer could not be registered since the last call (ENOMEM, reported once). */
int wt_loop_run_once(struct wt_loop *loop, int64_t max_wait_us);

/* Iterates until done(ctx) returns non-zero or nothing is left to wait for. */
int wt_loop_run(struct wt_loop *loop, int (*done)(void *ctx), void *ctx);

#endif
