/* transfer: one URL's whole journey: its requests (hops), the redirects
 * between them, its outputs and its exit code. It drives one trace per hop
 * and decides from a finished trace's status and Location what comes next;
 * it never touches a socket. */
#ifndef WEBTRACE_TRANSFER_H
#define WEBTRACE_TRANSFER_H

#include <stddef.h>
#include "webtrace/body.h"
#include "webtrace/cli.h"
#include "webtrace/event.h"
#include "webtrace/loop.h"
#include "webtrace/pool.h"
#include "webtrace/tls_setup.h"
#include "webtrace/url.h"

struct wt_transfer;

struct wt_transfer_params {
    const struct wt_options *options;
    const char *input;               /* the URL or host as typed */
    size_t url_index;
    enum wt_body_mode body_mode;
    const char *output_path;         /* for WT_BODY_FILE: -o FILE as given */
    /* -O: with WT_BODY_FILE, the file is named after the URL's last path
     * segment (output_path is then unused). */
    int remote_name;
    const struct wt_event_sink *sink; /* the renderers */
    struct wt_tls_setup *tls_setup;  /* the run's TLS configuration (https) */
    struct wt_pool *pool;            /* the run's connections; NULL: none kept */
    struct wt_dns_cache *dns_cache;  /* the run's DNS answers; NULL: none kept */
    /* No URL comes after this one: its last connection is closed at once
     * (and its teardown narrated with it) rather than kept. */
    int last_in_run;
    /* When set, asked instead of last_in_run once a response is complete:
     * whether a URL not started yet goes to the origin. When none does,
     * the connection is closed where the fetch ends, and with more than
     * one URL in the run (multi_url) the narration says why. */
    int (*origin_wanted)(void *ctx, const struct wt_url *origin);
    void *origin_ctx;
    int multi_url;
    /* -Z: another transfer was setting up a connection to this origin when
     * this one was due: it waited for that (waited, for waited_us), or,
     * with --parallel-immediate, went ahead at once (immediate). other_conn
     * is that connection's number (0: still in its DNS lookup). Narrated
     * before the first hop. */
    int waited, immediate;
    int64_t waited_us;
    unsigned other_conn;
};

/* input and output_path are copied: the caller's strings may go. */
struct wt_transfer *wt_transfer_new(struct wt_loop *loop, const struct wt_transfer_params *params);
/* Begins the first hop; everything after happens on the loop. */
void wt_transfer_start(struct wt_transfer *x);
int wt_transfer_finished(const struct wt_transfer *x);
/* The current hop is setting up a connection of its own to the origin
 * (scheme, host, port): another transfer could wait for it (-Z). */
int wt_transfer_setting_up(const struct wt_transfer *x, enum wt_scheme scheme, const char *host,
                           uint16_t port, unsigned *conn_id);
/* Ends an unfinished transfer from outside, when the loop cannot go on. */
void wt_transfer_abort(struct wt_transfer *x, int exit_code, const char *message);
/* 0 on success, else curl's exit code for the failure. */
int wt_transfer_exit_code(const struct wt_transfer *x);
void wt_transfer_free(struct wt_transfer *x);

/* What a redirect status does to the request, as curl does it (RFC 9110
 * section 15.4 allows both readings for 301/302; browsers and curl turn a
 * POST into a GET). */
enum wt_redirect_rule {
    WT_REDIRECT_KEEP,          /* 307, 308: same method, same body */
    WT_REDIRECT_POST_TO_GET,   /* 301, 302: a POST becomes a GET without body */
    WT_REDIRECT_TO_GET         /* 303: anything but HEAD becomes a GET without body */
};

enum wt_redirect_rule wt_redirect_rule_of(int status);
/* The method the next hop sends after status answered method; *keep_body
 * says whether the request body goes with it. Returns a static string or
 * method itself. */
const char *wt_redirect_method(int status, const char *method, int *keep_body);
/* Credentials (URL userinfo, -u, Authorization, Cookie) may follow a
 * redirect only to the same scheme, host and port, unless the user said
 * --location-trusted: the class of curl's CVE-2018-1000007 and
 * CVE-2022-27776. */
int wt_redirect_keeps_credentials(const struct wt_url *from, const struct wt_url *to,
                                  int trusted);

/* --retry, as curl 7.88 decides it. */
enum wt_retry_reason {
    WT_RETRY_NO,
    WT_RETRY_TIMEOUT,          /* exit 28, or 6 (a name not resolved): curl counts both */
    WT_RETRY_CONNREFUSED,      /* exit 7 from a refused connection, with --retry-connrefused */
    WT_RETRY_HTTP,             /* 408, 429, 500, 502, 503, 504 (with or without -f) */
    WT_RETRY_ALL_ERRORS        /* any other failure, with --retry-all-errors */
};

/* Why an attempt that ended with exit_code (0: a response, whatever its
 * status) and status (0: none) is transient; conn_refused: the last
 * connection attempt was refused. */
enum wt_retry_reason wt_retry_reason_of(int exit_code, int status, int conn_refused,
                                        int retry_connrefused, int retry_all_errors);
/* A Retry-After value (RFC 9110 section 10.2.3: delay-seconds or an
 * HTTP-date) as seconds from now; a date in the past is negative. Returns
 * 0 and sets *seconds, or -1 when it is neither. */
int wt_retry_after_parse(const char *value, size_t len, int64_t now, int64_t *seconds);

#define WT_RETRY_SLEEP_DEFAULT_MS 1000     /* curl's first wait */
#define WT_RETRY_SLEEP_MAX_MS 600000       /* curl's cap on the doubling */

#endif
