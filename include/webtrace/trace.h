/* trace: the per-URL state machine, URL -> DNS -> CONNECT -> SEND -> WAIT
 * -> RECEIVE -> CLOSE -> DONE/FAILED. It owns the mechanics of one fetch,
 * stamps every phase, turns failures into one error record and exit code,
 * and forwards every event, stamped, to the renderers. No global state:
 * many traces can share one loop. */
#ifndef WEBTRACE_TRACE_H
#define WEBTRACE_TRACE_H

#include <stddef.h>
#include "webtrace/body.h"
#include "webtrace/cli.h"
#include "webtrace/event.h"
#include "webtrace/loop.h"
#include "webtrace/tls_setup.h"

struct wt_trace;

struct wt_trace_params {
    const struct wt_options *options;
    const char *input;               /* the URL or host as typed */
    size_t url_index;
    enum wt_body_mode body_mode;
    const char *output_path;         /* for WT_BODY_FILE */
    const struct wt_event_sink *sink; /* the renderers */
    struct wt_tls_setup *tls_setup;  /* the run's TLS configuration (https) */
};

struct wt_trace *wt_trace_new(struct wt_loop *loop, const struct wt_trace_params *params);
/* Begins the trace; everything after happens on the loop. */
void wt_trace_start(struct wt_trace *t);
int wt_trace_finished(const struct wt_trace *t);
/* Ends an unfinished trace from outside, when the loop cannot go on (out
 * of memory): one error record, its step named after the current phase. */
void wt_trace_abort(struct wt_trace *t, int exit_code, const char *message);
/* 0 on success, else curl's exit code for the failure. */
int wt_trace_exit_code(const struct wt_trace *t);
void wt_trace_free(struct wt_trace *t);

#endif
