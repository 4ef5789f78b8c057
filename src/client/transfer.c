#include "webtrace/transfer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sys/stat.h>

#include "webtrace/escape.h"
#include "webtrace/exitcode.h"
#include "webtrace/http.h"
#include "webtrace/i18n.h"
#include "webtrace/outfile.h"
#include "webtrace/trace.h"

struct wt_transfer {
    struct wt_loop *loop;
    struct wt_transfer_params p;
    const struct wt_options *opt;
    int64_t t0;                      /* the transfer's start: every t_us counts from it */
    unsigned hop;                    /* the current request: 0 first */
    const char *method;              /* what the current hop sends */
    int keep_body;                   /* the request's body still goes (the redirect rules) */
    int keep_credentials;            /* no redirect has left the first origin (or trusted) */
    struct wt_trace *trace;          /* the current hop's */
    char *hop_url;                   /* what the current hop (after the first) requests */
    uint64_t next_timer;             /* looks at a finished hop outside its state machine */
    int retried;                     /* the current hop was sent again on a new connection */
    char *input;                     /* the URL as given (p.input points here) */
    char *output_path;               /* the body's file, -O and --output-dir applied */
    int resume_known;                /* -C -: resume_from comes from the output file */
    int64_t resume_from;
    int finished;
    int exit_code;
    char message[320];
    /* --retry */
    struct wt_event_sink tap;        /* what the hops' traces emit passes here */
    int64_t first_t0;                /* the first attempt's start: --retry-max-time counts */
    unsigned retries;                /* done so far */
    int64_t retry_sleep_ms;          /* the next back-off wait */
    int conn_refused;                /* the last connection attempt was refused */
    int have_retry_after;
    int64_t retry_after_s;           /* the final response's Retry-After */
    uint64_t retry_timer;
};

/* ---- the rules, as data ------------------------------------------------ */

static const struct {
    int status;
    enum wt_redirect_rule rule;
} redirect_rules[] = {
    { 301, WT_REDIRECT_POST_TO_GET },
    { 302, WT_REDIRECT_POST_TO_GET },
    { 303, WT_REDIRECT_TO_GET },
    { 307, WT_REDIRECT_KEEP },
    { 308, WT_REDIRECT_KEEP },
};

enum wt_redirect_rule wt_redirect_rule_of(int status)
{
    for (size_t i = 0; i < sizeof redirect_rules / sizeof redirect_rules[0]; i++)
        if (redirect_rules[i].status == status)
            return redirect_rules[i].rule;
    /* 300 and the unassigned 3xx: curl keeps the request as it was */
    return WT_REDIRECT_KEEP;
}

const char *wt_redirect_method(int status, const char *method, int *keep_body)
{
    switch (wt_redirect_rule_of(status)) {
    case WT_REDIRECT_POST_TO_GET:
        if (strcmp(method, "POST") == 0) {
            *keep_body = 0;
            return "GET";
        }
        break;
    case WT_REDIRECT_TO_GET:
        if (strcmp(method, "HEAD") != 0) {
            *keep_body = 0;
            return "GET";
        }
        *keep_body = 0;
        return method;
    case WT_REDIRECT_KEEP:
        break;
    }
    *keep_body = 1;
    return method;
}

int wt_redirect_keeps_credentials(const struct wt_url *from, const struct wt_url *to,
                                  int trusted)
{
    if (trusted)
        return 1;
    return from->scheme == to->scheme && from->port == to->port &&
           strcmp(from->host, to->host) == 0;
}

/* ---- --retry: curl 7.88's rules --------------------------------------------- */

static const struct {
    int status;
    const char *reason;              /* RFC 9110's phrase, for the narration */
} transient_statuses[] = {
    { 408, "Request Timeout" },
    { 429, "Too Many Requests" },
    { 500, "Internal Server Error" },
    { 502, "Bad Gateway" },
    { 503, "Service Unavailable" },
    { 504, "Gateway Timeout" },
};

static const char *transient_reason(int status)
{
    for (size_t i = 0; i < sizeof transient_statuses / sizeof transient_statuses[0]; i++)
        if (transient_statuses[i].status == status)
            return transient_statuses[i].reason;
    return NULL;
}

enum wt_retry_reason wt_retry_reason_of(int exit_code, int status, int conn_refused,
                                        int retry_connrefused, int retry_all_errors)
{
    enum wt_retry_reason why = WT_RETRY_NO;
    if (exit_code == WT_EXIT_TIMEOUT || exit_code == WT_EXIT_RESOLVE)
        why = WT_RETRY_TIMEOUT;
    else if (retry_connrefused && exit_code == WT_EXIT_CONNECT)
        why = conn_refused ? WT_RETRY_CONNREFUSED : WT_RETRY_NO;
    /* a status is looked at when the transfer succeeded, or failed only
     * because of it (-f's 22) */
    else if ((exit_code == 0 || exit_code == WT_EXIT_HTTP_ERROR) && transient_reason(status))
        why = WT_RETRY_HTTP;
    if (why == WT_RETRY_NO && exit_code && retry_all_errors)
        why = WT_RETRY_ALL_ERRORS;
    return why;
}

int wt_retry_after_parse(const char *value, size_t len, int64_t now, int64_t *seconds)
{
    char text[64];
    while (len && (*value == ' ' || *value == '\t')) {
        value++;
        len--;
    }
    while (len && (value[len - 1] == ' ' || value[len - 1] == '\t'))
        len--;
    if (!len || len >= sizeof text)
        return -1;
    memcpy(text, value, len);
    text[len] = '\0';
    if (text[0] >= '0' && text[0] <= '9') {
        int64_t v = 0;
        for (const char *p = text; *p; p++) {
            if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10)
                return -1;
            v = v * 10 + (*p - '0');
        }
        *seconds = v;
        return 0;
    }
    /* IMF-fixdate, the form RFC 9110 says a sender generates */
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end || *end)
        return -1;
    *seconds = (int64_t)timegm(&tm) - now;
    return 0;
}

/* The hops' events on their way to the renderers: what a retry decision
 * needs (a refused connection, the Retry-After) is noted here, so the
 * trace does not have to know about retries. */
static void tap(void *ctx, const struct wt_event *ev)
{
    struct wt_transfer *x = ctx;
    switch (ev->kind) {
    case WT_EV_TCP_FAILED:
        if (ev->u.tcp_failed.outcome != WT_TCP_ABANDONED)
            x->conn_refused = ev->u.tcp_failed.outcome == WT_TCP_REFUSED;
        break;
    case WT_EV_HTTP_STATUS:
        x->have_retry_after = 0;   /* an interim response's is not the final one's */
        break;
    case WT_EV_HTTP_HEADER:
        if (ev->u.http_header.name_len == 11 &&
            strncasecmp(ev->u.http_header.name, "Retry-After", 11) == 0 && !x->have_retry_after)
            x->have_retry_after =
                wt_retry_after_parse(ev->u.http_header.value, ev->u.http_header.value_len,
                                     (int64_t)time(NULL), &x->retry_after_s) == 0;
        break;
    default:
        break;
    }
    x->p.sink->emit(x->p.sink->ctx, ev);
}

/* ---- events of the transfer itself --------------------------------------- */

static void emit(struct wt_transfer *x, struct wt_event *ev, enum wt_phase phase)
{
    ev->phase = phase;
    ev->url_index = x->p.url_index;
    ev->hop = x->hop;
    ev->t_us = wt_loop_now(x->loop) - x->t0;
    x->p.sink->emit(x->p.sink->ctx, ev);
}

static void finish(struct wt_transfer *x, int exit_code)
{
    x->finished = 1;
    x->exit_code = exit_code;
    struct wt_event ev = { .kind = WT_EV_TRANSFER_DONE };
    ev.u.transfer_done.hops = x->hop + 1;
    ev.u.transfer_done.exit_code = exit_code;
    ev.u.transfer_done.total_us = wt_loop_now(x->loop) - x->t0;
    emit(x, &ev, exit_code ? WT_PHASE_FAILED : WT_PHASE_DONE);
}

static void fail_at(struct wt_transfer *x, const char *step, int exit_code, const char *message)
{
    snprintf(x->message, sizeof x->message, "%s", message);
    struct wt_event ev = { .kind = WT_EV_ERROR };
    ev.u.error.step = step;
    ev.u.error.exit_code = exit_code;
    ev.u.error.message = x->message;
    emit(x, &ev, WT_PHASE_FAILED);
    finish(x, exit_code);
}

static void fail(struct wt_transfer *x, int exit_code, const char *message)
{
    fail_at(x, "http", exit_code, message);
}

/* ---- hops ---------------------------------------------------------------- */

static void on_hop_finished(void *ctx);

/* -L will follow the trace's response: another request comes. */
static int will_follow(const struct wt_transfer *x)
{
    size_t len;
    long max = x->opt->max_redirs;
    return x->opt->follow_location && wt_trace_is_redirect(wt_trace_status(x->trace)) &&
           wt_trace_location(x->trace, &len) && (max < 0 || (long)x->hop < max);
}

/* 1: keep the connection for a later request; 0: close it; -1: close it
 * and say that no later URL goes to its origin. */
static int keep_connection(void *ctx)
{
    struct wt_transfer *x = ctx;
    if (will_follow(x))
        return 1;   /* the next hop may go to the same origin */
    if (x->retries < (unsigned long)x->opt->retry && transient_reason(wt_trace_status(x->trace)))
        return 1;   /* --retry will ask the origin again */
    if (!x->p.origin_wanted)
        return !x->p.last_in_run;
    const struct wt_url *url = wt_trace_parsed_url(x->trace);
    if (!url)
        return 0;
    if (x->p.origin_wanted(x->p.origin_ctx, url))
        return 1;
    return x->p.multi_url ? -1 : 0;
}

static int start_hop(struct wt_transfer *x, const char *input, int fresh_connection)
{
    struct wt_trace_params tp = {
        .options = x->opt,
        .input = input,
        .url_index = x->p.url_index,
        .body_mode = x->p.body_mode,
        .output_path = x->output_path,
        .sink = &x->tap,
        .tls_setup = x->p.tls_setup,
        .hop = x->hop,
        .transfer_t0 = x->t0,
        .method = x->method,
        .keep_body = x->keep_body,
        .keep_credentials = x->keep_credentials,
        .follow_redirects = x->opt->follow_location,
        .on_finished = on_hop_finished,
        .ctx = x,
        .pool = x->p.pool,
        .fresh_connection = fresh_connection,
        .keep_connection = keep_connection,
        .dns_cache = x->p.dns_cache,
        .resume_known = x->resume_known,
        .resume_from = x->resume_from,
    };
    x->trace = wt_trace_new(x->loop, &tp);
    if (!x->trace)
        return -1;
    wt_trace_start(x->trace);
    return 0;
}

static int crosses_origin(const char *from_text, const char *to_text)
{
    struct wt_url from, to;
    char err[8];
    if (wt_url_parse(from_text, &from, err, sizeof err) != WT_URL_OK)
        return 1;
    int crosses = 1;
    if (wt_url_parse(to_text, &to, err, sizeof err) == WT_URL_OK) {
        crosses = !wt_redirect_keeps_credentials(&from, &to, 0);
        wt_url_clear(&to);
    }
    wt_url_clear(&from);
    return crosses;
}

/* The retry's wait is over: the transfer starts again from its first URL,
 * as a new attempt (its t_us, -m and hops count from here). */
static void retry_now(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct wt_transfer *x = data;
    x->retry_timer = 0;
    wt_trace_free(x->trace);
    x->trace = NULL;
    free(x->hop_url);
    x->hop_url = NULL;
    x->hop = 0;
    x->retried = 0;
    x->method = wt_http_request_method(x->opt->request);
    x->keep_body = 1;
    x->keep_credentials = 1;
    x->conn_refused = 0;
    x->have_retry_after = 0;
    x->t0 = wt_loop_now(x->loop);
    if (start_hop(x, x->p.input, 0) < 0)
        fail(x, WT_EXIT_OUT_OF_MEMORY, N_("out of memory before the trace could start"));
}

static const char *const retry_reason_names[] = {
    [WT_RETRY_NO] = "no",
    [WT_RETRY_TIMEOUT] = "timeout",
    [WT_RETRY_CONNREFUSED] = "connrefused",
    [WT_RETRY_HTTP] = "http",
    [WT_RETRY_ALL_ERRORS] = "all_errors",
};

/* --retry: a transient end starts the transfer again after a wait, as curl
 * 7.88 does: 1 s, doubling up to 10 minutes (or --retry-delay each time),
 * or the response's Retry-After; none once --retry-max-time has passed
 * since the first attempt, or when Retry-After would pass it. Returns 1
 * when a retry is on its way. */
static int retry_if_transient(struct wt_transfer *x, int code, int status)
{
    if (x->retries >= (unsigned long)x->opt->retry)
        return 0;
    enum wt_retry_reason why = wt_retry_reason_of(code, status, x->conn_refused,
                                                  x->opt->retry_connrefused,
                                                  x->opt->retry_all_errors);
    if (why == WT_RETRY_NO)
        return 0;
    int64_t now = wt_loop_now(x->loop);
    int64_t elapsed_ms = (now - x->first_t0) / 1000;
    int64_t budget_ms = x->opt->retry_max_time_ms;
    int64_t wait_ms = x->retry_sleep_ms;
    int retry_after = why == WT_RETRY_HTTP && x->have_retry_after && x->retry_after_s != 0;
    if (retry_after)   /* a date in the past: at once */
        wait_ms = x->retry_after_s < 0 ? 0
                  : x->retry_after_s > INT64_MAX / 1000000 ? INT64_MAX / 1000
                  : x->retry_after_s * 1000;
    int over = budget_ms && (elapsed_ms >= budget_ms ||
                             (retry_after && elapsed_ms + wait_ms > budget_ms));

    struct wt_event ev = { .kind = WT_EV_RETRY };
    ev.u.retry.reason = retry_reason_names[why];
    ev.u.retry.status = status;
    ev.u.retry.exit_code = code;
    ev.u.retry.attempt = x->retries + 1;
    ev.u.retry.max = (unsigned)x->opt->retry;
    ev.u.retry.wait_us = wait_ms * 1000;
    ev.u.retry.retry_after = retry_after;
    ev.u.retry.over_budget = over;
    ev.u.retry.budget_us = budget_ms ? budget_ms * 1000 : -1;
    emit(x, &ev, code ? WT_PHASE_FAILED : WT_PHASE_DONE);
    if (over)
        return 0;
    x->retries++;
    if (!x->opt->retry_delay_ms) {
        x->retry_sleep_ms *= 2;
        if (x->retry_sleep_ms > WT_RETRY_SLEEP_MAX_MS)
            x->retry_sleep_ms = WT_RETRY_SLEEP_MAX_MS;
    }
    x->retry_timer = wt_loop_timer_at(x->loop, now + wait_ms * 1000, retry_now, x);
    return 1;
}

static void finish_or_retry(struct wt_transfer *x, int code, int status)
{
    if (!retry_if_transient(x, code, status))
        finish(x, code);
}

/* A hop has ended: done, or another one to make. Runs from a timer, outside
 * the trace's state machine, so the trace may be freed here. */
static void after_hop(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct wt_transfer *x = data;
    x->next_timer = 0;
    int code = wt_trace_exit_code(x->trace);
    int status = wt_trace_status(x->trace);
    size_t loc_len;
    const char *loc = wt_trace_location(x->trace, &loc_len);
    const char *url = wt_trace_url(x->trace);
    if (code && wt_trace_wants_retry(x->trace) && !x->retried) {
        /* the same hop again, on a new connection; the trace said why */
        x->retried = 1;
        wt_trace_free(x->trace);
        x->trace = NULL;
        if (start_hop(x, x->hop ? x->hop_url : x->p.input, 1) < 0)
            fail(x, WT_EXIT_OUT_OF_MEMORY, N_("out of memory before the request could be sent again"));
        return;
    }
    if (code || !loc || !url || !wt_trace_is_redirect(status)) {
        finish_or_retry(x, code, status);
        return;
    }
    char *next = wt_url_resolve(url, loc, loc_len);
    int keep_body;
    const char *next_method = wt_redirect_method(status, x->method, &keep_body);
    long max = x->opt->max_redirs;
    int over = x->opt->follow_location && max >= 0 && (long)x->hop >= max;

    struct wt_event ev = { .kind = WT_EV_REDIRECT };
    ev.u.redirect.status = status;
    ev.u.redirect.location = loc;
    ev.u.redirect.location_len = loc_len;
    ev.u.redirect.url = next;
    ev.u.redirect.followed = x->opt->follow_location && !over && next;
    ev.u.redirect.limit_reached = over;
    ev.u.redirect.method = x->method;
    ev.u.redirect.next_method = next_method;
    ev.u.redirect.crosses_origin = next ? crosses_origin(url, next) : 1;
    emit(x, &ev, WT_PHASE_DONE);

    if (!x->opt->follow_location) {
        free(next);
        finish(x, 0);
        return;
    }
    if (over) {
        char msg[96];
        wt_errf(msg, sizeof msg, "maximum (%ld) redirects followed (--max-redirs)", max);
        free(next);
        fail(x, WT_EXIT_TOO_MANY_REDIRECTS, msg);
        return;
    }
    if (!next) {
        fail(x, WT_EXIT_URL_MALFORMED,
             "the Location cannot be followed: out of memory, or the URL it makes is too long");
        return;
    }
    /* Authorization (-u, -H) and Cookie never follow to another scheme,
     * host or port unless --location-trusted: curl's CVE-2018-1000007 and
     * CVE-2022-27776. Once dropped they stay dropped, as in curl. */
    if (ev.u.redirect.crosses_origin && !x->opt->location_trusted)
        x->keep_credentials = 0;
    x->keep_body = x->keep_body && keep_body;
    wt_trace_free(x->trace);
    x->trace = NULL;
    free(x->hop_url);
    x->hop_url = next;
    x->hop++;
    x->retried = 0;
    x->method = next_method;
    if (start_hop(x, x->hop_url, 0) < 0)
        fail(x, WT_EXIT_OUT_OF_MEMORY, N_("out of memory before the next hop could start"));
}

static void on_hop_finished(void *ctx)
{
    struct wt_transfer *x = ctx;
    if (x->next_timer || x->finished)
        return;
    x->next_timer = wt_loop_timer_at(x->loop, wt_loop_now(x->loop), after_hop, x);
}

/* ---- where the body goes ------------------------------------------------- */

/* The body's file as curl names it: -O takes the URL's last path segment,
 * --output-dir goes in front, --create-dirs makes what is missing. Returns
 * 0, or curl's exit code with a sentence in msg. A URL that does not parse
 * is left to the trace, which reports it as the URL error it is. */
static int prepare_output(struct wt_transfer *x, char *msg, size_t msglen)
{
    if (x->p.body_mode != WT_BODY_FILE)
        return 0;
    char name[WT_URL_MAX_LEN + 1];
    const char *path = x->p.output_path;
    if (x->p.remote_name) {
        struct wt_url url;
        char err[8];
        if (wt_url_parse(x->input, &url, err, sizeof err) != WT_URL_OK) {
            x->p.body_mode = WT_BODY_DISCARD;
            return 0;
        }
        size_t len = wt_url_remote_name(&url, name, sizeof name);
        wt_url_clear(&url);
        if (!len) {
            /* curl: "Remote file name has no length", exit 23 */
            wt_errf(msg, msglen, "-O: the URL has no file name to save to (its path ends "
                    "in '/'): use -o FILE");
            return WT_EXIT_WRITE_ERROR;
        }
        path = name;
    }
    size_t size = strlen(path) + 1;
    if (x->opt->output_dir)
        size += strlen(x->opt->output_dir) + 1;
    x->output_path = malloc(size);
    if (!x->output_path) {
        wt_errf(msg, msglen, "out of memory opening %s", path);
        return WT_EXIT_OUT_OF_MEMORY;
    }
    if (x->opt->output_dir)
        wt_outfile_join_dir(x->opt->output_dir, path, x->output_path, size);
    else
        memcpy(x->output_path, path, size);
    if (x->opt->create_dirs && wt_outfile_create_dirs(x->output_path, msg, msglen) < 0)
        return WT_EXIT_WRITE_ERROR;
    return 0;
}

/* -C: "-C -" resumes from the size of this URL's output file (0 when there
 * is none, or for stdout, as curl); a body resumed past 0 is appended to
 * the file instead of replacing it. */
static void prepare_resume(struct wt_transfer *x)
{
    const struct wt_reqspec *spec = x->opt->request;
    if (!spec)
        return;
    int64_t from = spec->resume_from;
    if (x->opt->resume_current) {
        struct stat st;
        from = x->p.body_mode == WT_BODY_FILE && stat(x->output_path, &st) == 0 ? st.st_size : 0;
        x->resume_known = 1;
        x->resume_from = from;
    }
    if (from > 0 && x->p.body_mode == WT_BODY_FILE)
        x->p.body_mode = WT_BODY_FILE_APPEND;
}

/* -Z: this transfer was due while another set up a connection to its
 * origin; say whether it waited for it (curl's default) or not. */
static void say_parallel_wait(struct wt_transfer *x)
{
    struct wt_url url;
    char err[8];
    if (wt_url_parse(x->input, &url, err, sizeof err) != WT_URL_OK)
        return;
    struct wt_event ev = { .kind = x->p.waited ? WT_EV_CONN_WAITED : WT_EV_CONN_IMMEDIATE };
    ev.u.conn.id = x->p.other_conn;
    ev.u.conn.scheme = url.scheme;
    ev.u.conn.host = url.host;
    ev.u.conn.port = url.port;
    ev.u.conn.idle_us = x->p.waited ? x->p.waited_us : -1;
    emit(x, &ev, WT_PHASE_URL);
    wt_url_clear(&url);
}

/* ---- the public surface --------------------------------------------------- */

struct wt_transfer *wt_transfer_new(struct wt_loop *loop, const struct wt_transfer_params *params)
{
    struct wt_transfer *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->loop = loop;
    x->p = *params;
    x->opt = params->options;
    x->input = strdup(params->input);
    if (!x->input) {
        free(x);
        return NULL;
    }
    x->p.input = x->input;
    x->method = wt_http_request_method(x->opt->request);
    x->keep_body = 1;
    x->keep_credentials = 1;
    x->tap = (struct wt_event_sink){ tap, x };
    x->retry_sleep_ms = x->opt->retry_delay_ms ? x->opt->retry_delay_ms
                                               : WT_RETRY_SLEEP_DEFAULT_MS;
    return x;
}

void wt_transfer_start(struct wt_transfer *x)
{
    x->t0 = wt_loop_now(x->loop);
    x->first_t0 = x->t0;
    char msg[sizeof x->message];
    int rc = prepare_output(x, msg, sizeof msg);
    if (rc) {
        fail_at(x, "output", rc, msg);
        return;
    }
    prepare_resume(x);
    if (x->p.waited || x->p.immediate)
        say_parallel_wait(x);
    if (start_hop(x, x->p.input, 0) < 0)
        fail(x, WT_EXIT_OUT_OF_MEMORY, N_("out of memory before the trace could start"));
}

int wt_transfer_setting_up(const struct wt_transfer *x, enum wt_scheme scheme, const char *host,
                           uint16_t port, unsigned *conn_id)
{
    *conn_id = 0;
    const struct wt_url *url = x->trace && !x->finished ? wt_trace_parsed_url(x->trace) : NULL;
    return url && url->scheme == scheme && url->port == port && strcmp(url->host, host) == 0 &&
           wt_trace_setting_up(x->trace, conn_id);
}

int wt_transfer_finished(const struct wt_transfer *x)
{
    return x->finished;
}

void wt_transfer_abort(struct wt_transfer *x, int exit_code, const char *message)
{
    if (x->finished)
        return;
    wt_loop_timer_cancel(x->loop, x->next_timer);
    x->next_timer = 0;
    wt_loop_timer_cancel(x->loop, x->retry_timer);
    x->retry_timer = 0;
    if (x->trace && !wt_trace_finished(x->trace)) {
        wt_trace_abort(x->trace, exit_code, message);
        wt_loop_timer_cancel(x->loop, x->next_timer);
        x->next_timer = 0;
        finish(x, wt_trace_exit_code(x->trace));
        return;
    }
    fail(x, exit_code, message);
}

int wt_transfer_exit_code(const struct wt_transfer *x)
{
    return x->exit_code;
}

void wt_transfer_free(struct wt_transfer *x)
{
    if (!x)
        return;
    wt_loop_timer_cancel(x->loop, x->next_timer);
    wt_loop_timer_cancel(x->loop, x->retry_timer);
    wt_trace_free(x->trace);
    free(x->hop_url);
    free(x->output_path);
    free(x->input);
    free(x);
}
