/* trace: the state machine of one exchange, URL -> DNS -> CONNECT -> SEND
 * -> WAIT -> RECEIVE -> CLOSE -> DONE/FAILED. It owns the mechanics of one
 * request and its response, stamps every phase, turns failures into one
 * error record and exit code, and forwards every event, stamped with its
 * URL index and hop, to the renderers. It knows nothing of redirects: the
 * transfer above it reads the status and Location and decides. No global
 * state: many traces can share one loop. */
#ifndef WEBTRACE_TRACE_H
#define WEBTRACE_TRACE_H

#include <stddef.h>
#include "webtrace/body.h"
#include "webtrace/cli.h"
#include "webtrace/dnscache.h"
#include "webtrace/event.h"
#include "webtrace/loop.h"
#include "webtrace/pool.h"
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
    unsigned hop;                    /* 0 for the first request of a transfer */
    int64_t transfer_t0;             /* loop time the transfer started: t_us and -m count from it */
    const char *method;              /* "GET" */
    int keep_body;                   /* the request's body goes on this hop (a redirect's rule) */
    int keep_credentials;            /* Authorization and Cookie go on this hop (same origin,
                                        or --location-trusted) */
    /* A 3xx with a Location will be followed: its body goes nowhere (as
     * curl), only the final response's does. */
    int follow_redirects;
    /* Called once the trace has finished (DONE or FAILED), from inside the
     * state machine: the callee must not free the trace there. */
    void (*on_finished)(void *ctx);
    void *ctx;
    /* The run's connections (NULL: every request on its own connection).
     * An idle one to the origin is reused unless fresh_connection. */
    struct wt_pool *pool;
    int fresh_connection;
    /* Asked once the response is complete on a connection that may stay
     * open: 1 keeps it in the pool for a later request (ctx as above); 0
     * closes it; -1 closes it with a conn_unneeded event (no later URL
     * goes to its origin). */
    int (*keep_connection)(void *ctx);
    /* The run's DNS answers (NULL: every name looked up each time). */
    struct wt_dns_cache *dns_cache;
    /* -C -: the offset the transfer found from its output file (used when
     * resume_known; else the command line's -C OFFSET, if any). */
    int resume_known;
    int64_t resume_from;
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

/* What the transfer reads once the trace has finished. */
int wt_trace_status(const struct wt_trace *t);          /* final status, 0 if none */
/* The first Location header of the final response (raw bytes), or NULL. */
const char *wt_trace_location(const struct wt_trace *t, size_t *len);
/* The trace is still setting up a connection of its own (its URL, DNS,
 * TCP or TLS), not a reused one; *conn_id is its number once it has one
 * (0 before: during DNS). */
int wt_trace_setting_up(const struct wt_trace *t, unsigned *conn_id);
/* The URL's parts as parsed (scheme, host, port ...), from the trace's
 * start on; NULL when it did not parse. */
const struct wt_url *wt_trace_parsed_url(const struct wt_trace *t);
/* The URL as parsed and normalised, or NULL when it did not parse. */
const char *wt_trace_url(const struct wt_trace *t);
/* The request went out on a reused connection that the server closed
 * before any of the response arrived: sending it again on a new
 * connection, once, is safe (curl does it). No error was narrated. */
int wt_trace_wants_retry(const struct wt_trace *t);
/* A status that points elsewhere with its Location (3xx but 304). */
int wt_trace_is_redirect(int status);

#endif
