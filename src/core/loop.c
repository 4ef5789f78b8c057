#include "webtrace/loop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct watcher {
    int fd;
    uint64_t gen;       /* which watch of this fd: a closed and reused fd is a new one */
    int events;
    wt_fd_proc proc;
    void *data;
};

struct timer {
    uint64_t id;
    int64_t deadline_us;
    wt_timer_proc proc;
    void *data;
};

struct idle {
    uint64_t id;
    wt_timer_proc proc;
    void *data;
};

struct wt_loop {
    struct wt_clock clock;
    struct wt_loop_backend backend;
    struct watcher *watchers;
    size_t n_watchers, cap_watchers;
    struct timer *timers;
    size_t n_timers, cap_timers;
    uint64_t next_timer_id;
    struct idle *idles;          /* FIFO: work that waits for a quiet moment */
    size_t n_idles, cap_idles;
    struct pollfd *pollfds;
    uint64_t *poll_gens;         /* the watcher generation each pollfd was taken from */
    size_t cap_pollfds, cap_poll_gens;
    uint64_t next_gen;
    int out_of_memory;           /* a watch or timer could not be registered */
};

static int64_t monotonic_now_us(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int system_poll(void *ctx, struct pollfd *fds, size_t nfds, int timeout_ms)
{
    (void)ctx;
    return poll(fds, nfds, timeout_ms);
}

struct wt_loop *wt_loop_new(const struct wt_clock *clock,
                            const struct wt_loop_backend *backend)
{
    struct wt_loop *loop = calloc(1, sizeof *loop);
    if (!loop)
        return NULL;
    loop->clock = clock ? *clock : (struct wt_clock){ monotonic_now_us, NULL };
    loop->backend = backend ? *backend : (struct wt_loop_backend){ system_poll, NULL };
    loop->next_timer_id = 1;
    return loop;
}

void wt_loop_free(struct wt_loop *loop)
{
    if (!loop)
        return;
    free(loop->watchers);
    free(loop->timers);
    free(loop->idles);
    free(loop->pollfds);
    free(loop->poll_gens);
    free(loop);
}

int64_t wt_loop_now(const struct wt_loop *loop)
{
    return loop->clock.now_us(loop->clock.ctx);
}

static struct watcher *find_watcher(struct wt_loop *loop, int fd)
{
    for (size_t i = 0; i < loop->n_watchers; i++)
        if (loop->watchers[i].fd == fd)
            return &loop->watchers[i];
    return NULL;
}

static int grow(void **array, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 8;
    while (ncap < need)
        ncap *= 2;
    void *p = realloc(*array, ncap * elem);
    if (!p)
        return -1;
    *array = p;
    *cap = ncap;
    return 0;
}

int wt_loop_watch(struct wt_loop *loop, int fd, int events, wt_fd_proc proc, void *data)
{
    if (events == 0) {
        wt_loop_unwatch(loop, fd);
        return 0;
    }
    struct watcher *w = find_watcher(loop, fd);
    uint64_t gen;
    if (w) {
        gen = w->gen;   /* a change of interest on the same watch */
    } else {
        if (grow((void **)&loop->watchers, &loop->cap_watchers,
                 loop->n_watchers + 1, sizeof *loop->watchers) < 0) {
            loop->out_of_memory = 1;
            errno = ENOMEM;
            return -1;
        }
        w = &loop->watchers[loop->n_watchers++];
        gen = ++loop->next_gen;
    }
    *w = (struct watcher){ fd, gen, events, proc, data };
    return 0;
}

void wt_loop_unwatch(struct wt_loop *loop, int fd)
{
    for (size_t i = 0; i < loop->n_watchers; i++) {
        if (loop->watchers[i].fd == fd) {
            loop->watchers[i] = loop->watchers[--loop->n_watchers];
            return;
        }
    }
}

uint64_t wt_loop_timer_at(struct wt_loop *loop, int64_t deadline_us,
                          wt_timer_proc proc, void *data)
{
    if (grow((void **)&loop->timers, &loop->cap_timers, loop->n_timers + 1,
             sizeof *loop->timers) < 0) {
        loop->out_of_memory = 1;
        return 0;
    }
    uint64_t id = loop->next_timer_id++;
    loop->timers[loop->n_timers++] = (struct timer){ id, deadline_us, proc, data };
    return id;
}

void wt_loop_timer_cancel(struct wt_loop *loop, uint64_t id)
{
    if (id == 0)
        return;
    for (size_t i = 0; i < loop->n_timers; i++) {
        if (loop->timers[i].id == id) {
            loop->timers[i] = loop->timers[--loop->n_timers];
            return;
        }
    }
}

uint64_t wt_loop_idle(struct wt_loop *loop, wt_timer_proc proc, void *data)
{
    if (grow((void **)&loop->idles, &loop->cap_idles, loop->n_idles + 1,
             sizeof *loop->idles) < 0)
        return 0;
    uint64_t id = loop->next_timer_id++;   /* one id space with timers */
    loop->idles[loop->n_idles++] = (struct idle){ id, proc, data };
    return id;
}

void wt_loop_idle_cancel(struct wt_loop *loop, uint64_t id)
{
    if (id == 0)
        return;
    for (size_t i = 0; i < loop->n_idles; i++) {
        if (loop->idles[i].id == id) {
            memmove(&loop->idles[i], &loop->idles[i + 1],
                    (loop->n_idles - i - 1) * sizeof loop->idles[0]);
            loop->n_idles--;
            return;
        }
    }
}

/* Runs the oldest idle work item; the caller has seen nothing else to do. */
static int run_one_idle(struct wt_loop *loop)
{
    if (loop->n_idles == 0)
        return 0;
    struct idle w = loop->idles[0];
    memmove(&loop->idles[0], &loop->idles[1], (loop->n_idles - 1) * sizeof loop->idles[0]);
    loop->n_idles--;
    w.proc(loop, w.data);
    return 1;
}

/* Returns the index of the earliest timer, or -1. */
static long earliest_timer(const struct wt_loop *loop)
{
    long best = -1;
    for (size_t i = 0; i < loop->n_timers; i++)
        if (best < 0 || loop->timers[i].deadline_us < loop->timers[best].deadline_us)
            best = (long)i;
    return best;
}

static int run_due_timers(struct wt_loop *loop)
{
    int ran = 0;
    int64_t now = wt_loop_now(loop);
    /* A timer callback may add or cancel timers: pick one due timer at a
     * time. Timers added during this pass with a deadline already due run
     * too, so bound the pass by the ids that existed when it started. */
    uint64_t id_limit = loop->next_timer_id;
    for (;;) {
        long idx = -1;
        for (size_t i = 0; i < loop->n_timers; i++) {
            const struct timer *t = &loop->timers[i];
            if (t->deadline_us <= now && t->id < id_limit &&
                (idx < 0 || t->deadline_us < loop->timers[idx].deadline_us))
                idx = (long)i;
        }
        if (idx < 0)
            break;
        struct timer t = loop->timers[idx];
        loop->timers[idx] = loop->timers[--loop->n_timers];
        t.proc(loop, t.data);
        ran++;
    }
    return ran;
}

int wt_loop_run_once(struct wt_loop *loop, int64_t max_wait_us)
{
    if (loop->out_of_memory) {
        loop->out_of_memory = 0;
        errno = ENOMEM;
        return -1;
    }
    /* Idle work pending: only look, never wait, so it runs as soon as
     * nothing is ready. */
    int64_t wait_us = loop->n_idles ? 0 : max_wait_us;
    long next = earliest_timer(loop);
    if (next >= 0) {
        int64_t until = loop->timers[next].deadline_us - wt_loop_now(loop);
        if (until < 0)
            until = 0;
        if (wait_us < 0 || until < wait_us)
            wait_us = until;
    }
    /* Round up: a sub-millisecond wait rounded down to 0 would spin. */
    int timeout_ms = wait_us < 0 ? -1
                   : wait_us > 86400000000LL ? 86400000
                   : (int)((wait_us + 999) / 1000);

    size_t n = loop->n_watchers;
    if (grow((void **)&loop->pollfds, &loop->cap_pollfds, n ? n : 1,
             sizeof *loop->pollfds) < 0 ||
        grow((void **)&loop->poll_gens, &loop->cap_poll_gens, n ? n : 1,
             sizeof *loop->poll_gens) < 0) {
        errno = ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        short ev = 0;
        if (loop->watchers[i].events & WT_LOOP_READ)
            ev |= POLLIN;
        if (loop->watchers[i].events & WT_LOOP_WRITE)
            ev |= POLLOUT;
        loop->pollfds[i] = (struct pollfd){ loop->watchers[i].fd, ev, 0 };
        loop->poll_gens[i] = loop->watchers[i].gen;
    }
    int ready = loop->backend.poll(loop->backend.ctx, loop->pollfds, n, timeout_ms);
    if (ready < 0) {
        if (errno == EINTR)
            return 0;
        return -1;
    }

    int ran = 0;
    for (size_t i = 0; i < n && ready > 0; i++) {
        short rev = loop->pollfds[i].revents;
        if (!rev)
            continue;
        ready--;
        /* The watcher may have been removed by an earlier callback in this
         * pass, or its fd closed and reused by a new socket: that one's
         * readiness was not asked yet. */
        struct watcher *w = find_watcher(loop, loop->pollfds[i].fd);
        if (!w || w->gen != loop->poll_gens[i])
            continue;
        int events = 0;
        if (rev & (POLLIN | POLLHUP))
            events |= WT_LOOP_READ;
        if (rev & POLLOUT)
            events |= WT_LOOP_WRITE;
        if (rev & (POLLERR | POLLNVAL))
            events |= WT_LOOP_ERROR;
        events &= w->events | WT_LOOP_ERROR;
        if (!events)
            continue;
        w->proc(loop, w->fd, events, w->data);
        ran++;
    }
    ran += run_due_timers(loop);
    if (ran == 0)
        ran = run_one_idle(loop);
    return ran;
}

int wt_loop_run(struct wt_loop *loop, int (*done)(void *ctx), void *ctx)
{
    while (!done(ctx)) {
        if (loop->n_watchers == 0 && loop->n_timers == 0 && loop->n_idles == 0)
            return 0;
        if (wt_loop_run_once(loop, -1) < 0)
            return -1;
    }
    return 0;
}
