#include "webtrace/tls_setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/tls_module.h"

#define SETUP_ERROR_MAX 320

struct wt_tls_setup {
    struct wt_tls_options options;
    struct wt_loop *loop;           /* where idle work is queued, if any */
    uint64_t idle_id;
    enum wt_tls_setup_step next;    /* the first step not run yet */
    struct wt_tls_setup_span spans[WT_TLS_N_STEPS];
    struct wt_tls_config *config;
    int handed_over;                /* finish() has returned it once */
    int exit_code;                  /* a step failed: 1, 27, 35 or 77 */
    char error[SETUP_ERROR_MAX];
};

struct wt_tls_setup *wt_tls_setup_new(const struct wt_tls_options *options)
{
    struct wt_tls_setup *s = calloc(1, sizeof *s);
    if (s)
        s->options = *options;
    return s;
}

void wt_tls_setup_free(struct wt_tls_setup *s)
{
    if (!s)
        return;
    if (s->loop)
        wt_loop_idle_cancel(s->loop, s->idle_id);
    wt_tls_config_free(s->config);
    free(s);
}

/* One step; 0, or -1 with the failure recorded. */
static int run_step(struct wt_tls_setup *s, struct wt_loop *loop)
{
    enum wt_tls_setup_step step = s->next;
    if (step >= WT_TLS_N_STEPS)
        return 0;
    int64_t start = wt_loop_now(loop);
    int code = 35, rc = 0;
    switch (step) {
    case WT_TLS_STEP_MODULE:
        rc = wt_tls_module_load(s->error, sizeof s->error);
        code = 1;   /* as curl built without TLS: https unsupported */
        break;
    case WT_TLS_STEP_LIBRARY:
        rc = wt_tls_library_init(&code, s->error, sizeof s->error);
        break;
    case WT_TLS_STEP_CONTEXT:
        s->config = wt_tls_config_new(&s->options, &code, s->error, sizeof s->error);
        rc = s->config ? 0 : -1;
        break;
    case WT_TLS_STEP_TRUST:
        rc = wt_tls_config_load_trust(s->config, &code, s->error, sizeof s->error);
        break;
    default:
        return 0;
    }
    s->spans[step] = (struct wt_tls_setup_span){ start, wt_loop_now(loop) };
    if (rc < 0) {
        s->exit_code = code;
        return -1;
    }
    s->next = (enum wt_tls_setup_step)(step + 1);
    return 0;
}

static int done_or_failed(const struct wt_tls_setup *s)
{
    return s->exit_code || s->next == WT_TLS_N_STEPS;
}

static void on_idle(struct wt_loop *loop, void *data)
{
    struct wt_tls_setup *s = data;
    s->idle_id = 0;
    run_step(s, loop);
    if (!done_or_failed(s))
        s->idle_id = wt_loop_idle(loop, on_idle, s);
}

void wt_tls_setup_begin(struct wt_tls_setup *s, struct wt_loop *loop)
{
    if (done_or_failed(s) || s->idle_id)
        return;
    s->loop = loop;
    s->idle_id = wt_loop_idle(loop, on_idle, s);   /* 0 (no memory): finish() does it all */
}

struct wt_tls_config *wt_tls_setup_finish(struct wt_tls_setup *s, struct wt_loop *loop,
                                          struct wt_tls_setup_report *report, int *exit_code,
                                          char *err, size_t errlen)
{
    memset(report, 0, sizeof *report);
    if (s->loop)
        wt_loop_idle_cancel(s->loop, s->idle_id);
    s->idle_id = 0;
    report->reused = s->handed_over;
    int64_t start = wt_loop_now(loop);
    while (!done_or_failed(s))
        run_step(s, loop);
    if (!report->reused) {
        report->inline_us = wt_loop_now(loop) - start;
        memcpy(report->steps, s->spans, sizeof report->steps);
        for (size_t i = 0; i < WT_TLS_N_STEPS; i++)
            report->total_us += s->spans[i].end_us - s->spans[i].start_us;
    }
    if (s->exit_code) {
        *exit_code = s->exit_code;
        snprintf(err, errlen, "%s", s->error);
        return NULL;
    }
    s->handed_over = 1;
    return s->config;
}

int64_t wt_tls_setup_overlap(const struct wt_tls_setup_report *r, int64_t from_us, int64_t to_us)
{
    int64_t sum = 0;
    for (size_t i = 0; i < WT_TLS_N_STEPS; i++) {
        int64_t a = r->steps[i].start_us > from_us ? r->steps[i].start_us : from_us;
        int64_t b = r->steps[i].end_us < to_us ? r->steps[i].end_us : to_us;
        if (b > a)
            sum += b - a;
    }
    return sum;
}
