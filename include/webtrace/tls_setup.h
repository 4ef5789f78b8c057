/* tls_setup: the run's TLS client configuration, built once and early.
 * Loading the TLS module, initialising OpenSSL, making the context and
 * reading the trust store do not depend on the network, so once a URL is
 * known to be https they run as idle work on the loop, one step at a time,
 * while the DNS answer and the SYN+ACK are in flight; what is left when the
 * TLS phase begins runs then. It records when each step ran so the trace
 * can say what overlapped which wait. Never prints; loads nothing until
 * asked (an http:// run never maps OpenSSL). */
#ifndef WEBTRACE_TLS_SETUP_H
#define WEBTRACE_TLS_SETUP_H

#include <stddef.h>
#include <stdint.h>
#include "webtrace/loop.h"
#include "webtrace/tls.h"

enum wt_tls_setup_step {
    WT_TLS_STEP_MODULE,    /* map webtrace-tls.so with libssl and libcrypto */
    WT_TLS_STEP_LIBRARY,   /* OpenSSL's init, with the system's openssl.cnf */
    WT_TLS_STEP_CONTEXT,   /* the SSL_CTX: OpenSSL fetches its algorithms here */
    WT_TLS_STEP_TRUST,     /* --cacert, --capath, or the system's hashed directory */
    WT_TLS_N_STEPS
};

struct wt_tls_setup_span {
    int64_t start_us, end_us;   /* loop clock; 0/0: not run */
};

struct wt_tls_setup;

/* Nothing is loaded yet; options are copied (their strings must outlive
 * the setup). NULL on allocation failure. */
struct wt_tls_setup *wt_tls_setup_new(const struct wt_tls_options *options);
/* Cancels pending idle work and frees the configuration. NULL: no-op. */
void wt_tls_setup_free(struct wt_tls_setup *setup);

/* Queues the steps not yet run as idle work on loop: call it once the run
 * knows it needs TLS and its first network wait has begun. Repeat calls
 * are harmless. */
void wt_tls_setup_begin(struct wt_tls_setup *setup, struct wt_loop *loop);

/* What the TLS phase learns when it takes the configuration. */
struct wt_tls_setup_report {
    int reused;            /* built for an earlier URL of this run */
    int64_t total_us;      /* all steps, wherever they ran (0 when reused) */
    int64_t inline_us;     /* the part run by this call: the fetch waited for it */
    struct wt_tls_setup_span steps[WT_TLS_N_STEPS];
};

/* Runs the steps still left, now, and hands over the configuration; the
 * setup keeps ownership. NULL when a step failed (now or earlier): the
 * same *exit_code and sentence every time. */
struct wt_tls_config *wt_tls_setup_finish(struct wt_tls_setup *setup, struct wt_loop *loop,
                                          struct wt_tls_setup_report *report, int *exit_code,
                                          char *err, size_t errlen);

/* Microseconds of [from, to) that steps ran in (for "done while waiting"). */
int64_t wt_tls_setup_overlap(const struct wt_tls_setup_report *report, int64_t from_us,
                             int64_t to_us);

#endif
