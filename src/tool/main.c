/* webtrace: wires the command line to traces and renderers, and returns
 * the exit code. The only file that exits. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "webtrace/cli.h"
#include "webtrace/demo.h"
#include "webtrace/dns.h"
#include "webtrace/dnscache.h"
#include "webtrace/exitcode.h"
#include "webtrace/i18n.h"
#include "webtrace/loop.h"
#include "webtrace/progress.h"
#include "webtrace/render.h"
#include "webtrace/reqload.h"
#include "webtrace/serve.h"
#include "webtrace/tls_module.h"
#include "webtrace/escape.h"
#include "webtrace/transfer.h"
#include "webtrace/url.h"
#include "webtrace/waterfall.h"
#include "webtrace/urllist.h"
#include "webtrace/version.h"
#include "wt_config.h"

#define MAX_RENDERERS 6
#define WRITEOUT_FILE_MAX (64 * 1024)

struct renderer_set {
    size_t n;
    const struct wt_renderer *renderer[MAX_RENDERERS];
    void *state[MAX_RENDERERS];
};

static void fan_out(void *ctx, const struct wt_event *ev)
{
    struct renderer_set *set = ctx;
    for (size_t i = 0; i < set->n; i++)
        set->renderer[i]->event(set->state[i], ev);
}

static int add_renderer(struct renderer_set *set, const struct wt_renderer *r,
                        const struct wt_render_config *cfg)
{
    void *state = r->begin(cfg);
    if (!state)
        return -1;
    set->renderer[set->n] = r;
    set->state[set->n] = state;
    set->n++;
    return 0;
}

/* -w @FILE / @-: the format is the file's text, as curl reads it. */
static char *read_writeout(const char *arg, char *err, size_t errlen)
{
    const char *path = arg + 1;
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!in) {
        wt_errf(err, errlen, "cannot read the -w format from %s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = malloc(WRITEOUT_FILE_MAX + 1);
    size_t len = text ? fread(text, 1, WRITEOUT_FILE_MAX, in) : 0;
    int bad = !text || ferror(in) || (len == WRITEOUT_FILE_MAX && fgetc(in) != EOF);
    if (in != stdin)
        fclose(in);
    if (bad) {
        wt_errf(err, errlen, "cannot read the -w format from %s (or it is over 64 KiB)", path);
        free(text);
        return NULL;
    }
    text[len] = '\0';
    return text;
}

static int transfer_done(void *ctx)
{
    return wt_transfer_finished(ctx);
}

/* One TLS configuration for the whole run; nothing is loaded until an
 * https URL needs it. */
static struct wt_tls_setup *new_tls_setup(const struct wt_options *opt)
{
    struct wt_tls_options o = {
        .cafile = opt->cacert,
        .capath = opt->capath,
        .ca_pem = opt->ca_pem,
        .insecure = opt->insecure,
        .offer_h2 = opt->http_version != WT_HTTP_VERSION_1_1,
    };
    struct wt_tls_setup *setup = wt_tls_setup_new(&o);
    if (!setup && opt->silent < 2)
        fputs(_("webtrace: tls: out of memory before the first trace could start\n"), stderr);
    return setup;
}

/* Where each URL's body goes, by curl's rule: the Nth -o or -O goes to the
 * Nth URL; the URLs after them get -O with --remote-name-all, else the
 * default (stdout when it is no terminal). */
struct outputs {
    const struct wt_options *opt;
    enum wt_body_mode default_mode;
    enum wt_body_mode stdout_mode;   /* -o -: stdout, or a write error when it was closed */
};

static void output_for(const struct outputs *o, size_t index, struct wt_transfer_params *params)
{
    params->body_mode = o->default_mode;
    params->output_path = NULL;
    params->remote_name = 0;
    if (index < o->opt->n_outputs) {
        const char *path = o->opt->outputs[index].path;
        if (path && strcmp(path, "-") == 0) {
            params->body_mode = o->stdout_mode;
            return;
        }
        params->body_mode = WT_BODY_FILE;
        params->output_path = path;
        params->remote_name = !path;
    } else if (o->opt->remote_name_all) {
        params->body_mode = WT_BODY_FILE;
        params->remote_name = 1;
    }
}

/* The run's shared state: one TLS configuration, one connection pool, and
 * the URLs with where their bodies go. */
struct run {
    struct wt_tls_setup *tls_setup;
    struct wt_pool *pool;
    struct wt_dns_cache *dns_cache;  /* NULL (out of memory): every name looked up */
    struct wt_urlset *urls;          /* NULL in the demo */
    const struct outputs *outputs;
    size_t next;                     /* the first URL not started yet */
};

/* A connection is kept only for a URL not started yet that goes to its
 * origin, and only when the idle ones already kept there are fewer than
 * those URLs (with -Z several fetches to one origin end at once). */
static int origin_wanted(void *ctx, const struct wt_url *origin)
{
    struct run *run = ctx;
    size_t later = wt_urlset_origin_after(run->urls, origin->scheme, origin->host,
                                          origin->port, run->next);
    return later > wt_pool_idle_count(run->pool, origin->scheme, origin->host, origin->port);
}

static void params_for(struct run *run, const struct wt_options *opt, size_t index,
                       const struct wt_event_sink *sink, struct wt_transfer_params *params)
{
    memset(params, 0, sizeof *params);
    params->options = opt;
    params->input = wt_urlset_url(run->urls, index);
    params->url_index = index;
    params->sink = sink;
    params->tls_setup = run->tls_setup;
    params->pool = run->pool;
    params->dns_cache = run->dns_cache;
    params->origin_wanted = origin_wanted;
    params->origin_ctx = run;
    params->multi_url = wt_urlset_count(run->urls) > 1;
    output_for(run->outputs, index, params);
}

static int run_one(struct wt_loop *loop, const struct wt_transfer_params *params)
{
    struct wt_transfer *x = wt_transfer_new(loop, params);
    if (!x) {
        if (params->options->silent < 2)
            fputs(_("webtrace: url: out of memory before the trace could start\n"), stderr);
        return WT_EXIT_OUT_OF_MEMORY;
    }
    wt_transfer_start(x);
    if (wt_loop_run(loop, transfer_done, x) < 0 && !wt_transfer_finished(x)) {
        char msg[160];
        wt_errf(msg, sizeof msg, "the event loop cannot go on: %s", strerror(errno));
        wt_transfer_abort(x, WT_EXIT_OUT_OF_MEMORY, msg);
    }
    int rc = WT_EXIT_OUT_OF_MEMORY;
    if (wt_transfer_finished(x))
        rc = wt_transfer_exit_code(x);
    wt_transfer_free(x);
    return rc;
}

/* -Z: the run's URLs at once, at most parallel_max of them, all on the one
 * loop. The loop's stop test is where finished transfers are collected and
 * the next ones started. */
struct parallel_run {
    struct wt_loop *loop;
    const struct wt_options *opt;
    const struct wt_event_sink *sink;
    struct run *run;
    size_t n_urls;
    struct wt_transfer **active;     /* parallel_max slots */
    size_t n_active;
    /* The next URL waits while another transfer sets up a connection to
     * its origin (curl's default; not with --parallel-immediate). */
    int holding;
    int64_t held_since;              /* loop time it began waiting */
    unsigned held_conn;
    int last_failure;                /* as curl: the last one to fail */
};

/* Whether an active transfer is setting up a connection to the origin of
 * URL index; *conn_id is its number (0: not known yet), *https whether
 * the origin is https. */
static int origin_being_set_up(const struct parallel_run *p, size_t index, unsigned *conn_id,
                               int *https)
{
    enum wt_scheme scheme;
    const char *host;
    uint16_t port;
    *conn_id = 0;
    *https = 0;
    if (!wt_urlset_origin_of(p->run->urls, index, &scheme, &host, &port))
        return 0;
    *https = scheme == WT_SCHEME_HTTPS;
    int found = 0;
    for (size_t i = 0; i < (size_t)p->opt->parallel_max && !found; i++)
        found = p->active[i] && wt_transfer_setting_up(p->active[i], scheme, host, port, conn_id);
    return found;
}

static int parallel_step(void *ctx)
{
    struct parallel_run *p = ctx;
    for (size_t i = 0; i < (size_t)p->opt->parallel_max; i++) {
        struct wt_transfer *x = p->active[i];
        if (!x || !wt_transfer_finished(x))
            continue;
        int rc = wt_transfer_exit_code(x);
        if (rc)
            p->last_failure = rc;
        wt_transfer_free(x);
        p->active[i] = NULL;
        p->n_active--;
    }
    for (size_t i = 0; i < (size_t)p->opt->parallel_max && p->run->next < p->n_urls; i++) {
        if (p->active[i])
            continue;
        struct wt_transfer_params params;
        unsigned other_conn;
        int https;
        int busy = origin_being_set_up(p, p->run->next, &other_conn, &https);
        int may_multiplex = https || p->opt->http_version == WT_HTTP_VERSION_2_PRIOR;
        if (busy && may_multiplex && !p->opt->parallel_immediate) {
            /* curl's PIPEWAIT: on https, wait until that connection is set
             * up (its TLS handshake and, for HTTP/2, the server's SETTINGS
             * say what it can carry), then see whether it or another idle
             * one can take this request: HTTP/2 takes it as one more
             * stream. Plain http is HTTP/1.1, one request at a time, unless
             * --http2-prior-knowledge: curl does not wait there, nor do
             * we. The URLs after this one wait too: they start in order. */
            if (!p->holding) {
                p->holding = 1;
                p->held_since = wt_loop_now(p->loop);
                p->held_conn = other_conn;
            } else if (other_conn) {
                p->held_conn = other_conn;
            }
            break;
        }
        size_t index = p->run->next++;
        params_for(p->run, p->opt, index, p->sink, &params);
        if (p->holding) {
            params.waited = 1;
            params.waited_us = wt_loop_now(p->loop) - p->held_since;
            params.other_conn = p->held_conn;
            p->holding = 0;
            p->held_conn = 0;
        } else if (busy && p->opt->parallel_immediate) {
            params.immediate = 1;
            params.other_conn = other_conn;
        }
        struct wt_transfer *x = wt_transfer_new(p->loop, &params);
        if (!x) {
            if (p->opt->silent < 2)
                fputs(_("webtrace: url: out of memory before the trace could start\n"), stderr);
            p->last_failure = WT_EXIT_OUT_OF_MEMORY;
            continue;
        }
        p->active[i] = x;
        p->n_active++;
        wt_transfer_start(x);
    }
    return p->n_active == 0 && p->run->next == p->n_urls;
}

static int run_parallel(struct wt_loop *loop, const struct wt_options *opt,
                        const struct wt_event_sink *sink, struct run *run)
{
    struct parallel_run p = {
        .loop = loop, .opt = opt, .sink = sink, .run = run,
        .n_urls = wt_urlset_count(run->urls),
        .active = calloc((size_t)opt->parallel_max, sizeof *p.active),
    };
    if (!p.active) {
        if (opt->silent < 2)
            fputs(_("webtrace: url: out of memory before the first trace could start\n"), stderr);
        return WT_EXIT_OUT_OF_MEMORY;
    }
    if (wt_loop_run(loop, parallel_step, &p) < 0) {
        char msg[160];
        wt_errf(msg, sizeof msg, "the event loop cannot go on: %s", strerror(errno));
        for (size_t i = 0; i < (size_t)opt->parallel_max; i++)
            if (p.active[i] && !wt_transfer_finished(p.active[i]))
                wt_transfer_abort(p.active[i], WT_EXIT_OUT_OF_MEMORY, msg);
        run->next = p.n_urls;   /* start no more */
        parallel_step(&p);       /* collects them */
        if (!p.last_failure)
            p.last_failure = WT_EXIT_OUT_OF_MEMORY;
    }
    for (size_t i = 0; i < (size_t)opt->parallel_max; i++)
        wt_transfer_free(p.active[i]);
    free(p.active);
    return p.last_failure;
}

/* One after another; the URLs not started yet decide which connections
 * stay open. */
static int run_sequential(struct wt_loop *loop, const struct wt_options *opt,
                          const struct wt_event_sink *sink, struct run *run)
{
    int last_failure = 0;
    for (size_t i = 0; i < wt_urlset_count(run->urls); i++) {
        struct wt_transfer_params params;
        run->next = i + 1;
        params_for(run, opt, i, sink, &params);
        int rc = run_one(loop, &params);
        if (rc)
            last_failure = rc;
    }
    return last_failure;
}

static void say_input_error(int silent, const char *msg)
{
    if (silent > 1)
        return;
    fprintf(stderr, "webtrace: input: %s\n", wt_i18n_error_text(msg));
}

/* Reads the --url @FILE list (one URL a line, blank lines and #comments
 * skipped) into the run's URLs, all before the first fetch as curl does:
 * a connection is then kept only for a URL that will come. Returns 0, or
 * the exit code of the last bad line or read error. */
static int read_list(const struct wt_options *opt, struct wt_urlset *urls)
{
    FILE *in = strcmp(opt->url_file, "-") == 0 ? stdin : fopen(opt->url_file, "r");
    if (!in) {
        char msg[300];
        wt_errf(msg, sizeof msg, "cannot read %s: %s", opt->url_file, strerror(errno));
        say_input_error(opt->silent, msg);
        return WT_EXIT_READ_ERROR;
    }
    int last_failure = 0;
    size_t before = wt_urlset_count(urls);
    struct wt_urllist *list = malloc(sizeof *list);
    if (!list) {
        if (in != stdin)
            fclose(in);
        return WT_EXIT_OUT_OF_MEMORY;
    }
    wt_urllist_init(list, in);
    const char *p;
    enum wt_urllist_item item;
    while ((item = wt_urllist_next(list, &p)) != WT_URLLIST_END) {
        if (item == WT_URLLIST_TOO_LONG) {
            say_input_error(opt->silent, N_("a line of the URL list is longer than 8 KiB"));
            last_failure = WT_EXIT_READ_ERROR;
            continue;
        }
        if (item == WT_URLLIST_NUL_BYTE) {
            say_input_error(opt->silent,
                            N_("a line of the URL list has a NUL byte (is the file UTF-16?)"));
            last_failure = WT_EXIT_READ_ERROR;
            continue;
        }
        if (wt_urlset_add(urls, p) < 0) {
            last_failure = WT_EXIT_OUT_OF_MEMORY;
            break;
        }
    }
    if (ferror(in)) {
        say_input_error(opt->silent, N_("reading the URL list failed"));
        last_failure = WT_EXIT_READ_ERROR;
    } else if (wt_urlset_count(urls) == before && !last_failure) {
        /* As with no URL on the command line: nothing to do is an error. */
        say_input_error(opt->silent, N_("the URL list has no URL in it"));
        last_failure = WT_EXIT_USAGE;
    }
    free(list);
    if (in != stdin)
        fclose(in);
    return last_failure;
}

static struct wt_pool *new_pool(struct wt_loop *loop, const struct wt_event_sink *sink,
                                const struct wt_options *opt)
{
    struct wt_pool *pool = wt_pool_new(loop, sink);
    if (!pool && opt->silent < 2)
        fputs(_("webtrace: tcp: out of memory before the first trace could start\n"), stderr);
    return pool;
}

static int pool_closed(void *ctx)
{
    return wt_pool_closed(ctx);
}

/* The connections kept for reuse are closed, their teardowns narrated. */
static void close_pool(struct wt_loop *loop, struct wt_pool *pool)
{
    if (!pool)
        return;
    wt_pool_close_all(pool);
    wt_loop_run(loop, pool_closed, pool);
    wt_pool_free(pool);
}

static int close_renderers(struct renderer_set *set)
{
    int rc = 0;
    for (size_t i = 0; i < set->n; i++) {
        int end = set->renderer[i]->end(set->state[i]);
        if (end)
            rc = end < 0 ? WT_EXIT_WRITE_ERROR : end;
    }
    set->n = 0;
    return rc;
}

static int use_color(enum wt_color_mode mode)
{
    const char *no_color = getenv("NO_COLOR");
    return mode != WT_COLOR_NEVER && !(no_color && *no_color) && isatty(STDERR_FILENO);
}

/* ---- webtrace serve ------------------------------------------------------ */

struct stop_flag {
    int fd;
    int stop;
};

static void on_signal(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)loop;
    (void)events;
    struct stop_flag *f = data;
    struct signalfd_siginfo si;
    if (read(fd, &si, sizeof si) > 0)
        f->stop = 1;
}

static int stopped(void *ctx)
{
    return ((struct stop_flag *)ctx)->stop;
}

/* SIGINT/SIGTERM arrive as readable bytes on the loop: a clean stop. */
static int watch_stop_signals(struct wt_loop *loop, struct stop_flag *stop)
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    stop->stop = 0;
    stop->fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (stop->fd < 0)
        return -1;
    return wt_loop_watch(loop, stop->fd, WT_LOOP_READ, on_signal, stop);
}

static void unwatch_stop_signals(struct wt_loop *loop, struct stop_flag *stop)
{
    if (stop->fd < 0)
        return;
    wt_loop_unwatch(loop, stop->fd);
    close(stop->fd);
    stop->fd = -1;
}

static int run_serve(int argc, char **argv)
{
    struct wt_serve_options so;
    char err[256];
    int rc = wt_cli_parse_serve(argc, argv, &so, err, sizeof err);
    if (rc) {
        fprintf(stderr, "webtrace: options: %s\n", wt_i18n_error_text(err));
        return rc;
    }
    if (so.action == WT_ACTION_HELP) {
        fputs(_(wt_cli_serve_usage), stdout);
        return fflush(stdout) == 0 ? 0 : WT_EXIT_WRITE_ERROR;
    }
    struct wt_render_config cfg = {
        .out = stderr, .data_out = stdout, .color = use_color(so.color),
        .silent = so.silent, .explain = so.explain,
    };
    struct stop_flag stop = { -1, 0 };
    struct wt_loop *loop = wt_loop_new(NULL, NULL);
    struct renderer_set set = { 0 };
    if (!loop || watch_stop_signals(loop, &stop) < 0 ||
        add_renderer(&set, &wt_render_text, &cfg) < 0 ||
        (so.json && add_renderer(&set, &wt_render_json, &cfg) < 0)) {
        fprintf(stderr, _("webtrace: serve: cannot set up: %s\n"), strerror(errno));
        return WT_EXIT_OUT_OF_MEMORY;
    }
    struct wt_event_sink sink = { fan_out, &set };
    struct wt_server_config sc = {
        .bind_addr = so.bind,
        .port = so.port,
        .tls = so.tls,
        .cert_file = so.cert,
        .key_file = so.key,
        .idle_timeout_ms = so.idle_timeout_ms,
        .observe_teardown = 1,
        /* Every call on every request is too much for a plain run; the
         * lesson (--explain) and -v name them all. */
        .narrate_calls = so.verbose || so.explain,
    };
    struct wt_server *server = wt_server_start(loop, &sc, &sink, err, sizeof err);
    if (!server) {
        fprintf(stderr, "webtrace: serve: %s\n", wt_i18n_error_text(err));
        close_renderers(&set);
        wt_loop_free(loop);
        return WT_EXIT_CONNECT;
    }
    rc = wt_loop_run(loop, stopped, &stop) < 0 ? WT_EXIT_OUT_OF_MEMORY : 0;
    wt_server_free(server);
    unwatch_stop_signals(loop, &stop);
    if (!so.silent)
        fputs(_("webtrace: serve: stopped\n"), stderr);
    int wrc = close_renderers(&set);
    wt_loop_free(loop);
    wt_tls_unload();
    return rc ? rc : wrc;
}

/* ---- webtrace demo ------------------------------------------------------- */

static int run_demo(int argc, char **argv)
{
    struct wt_demo_options dopt;
    char err[256];
    int rc = wt_cli_parse_demo(argc, argv, &dopt, err, sizeof err);
    if (rc) {
        fprintf(stderr, "webtrace: options: %s\n", wt_i18n_error_text(err));
        return rc;
    }
    if (dopt.action == WT_ACTION_HELP) {
        fputs(_(wt_cli_demo_usage), stdout);
        return fflush(stdout) == 0 ? 0 : WT_EXIT_WRITE_ERROR;
    }
    /* First, before anything is opened: it may move into namespaces. */
    enum wt_demo_capture capture = WT_DEMO_CAPTURE_BLOCKED;
    char why[160] = "";
    if (dopt.packets)
        capture = wt_demo_prepare_capture(why, sizeof why);
    if (wt_dns_global_init() < 0)
        return WT_EXIT_OUT_OF_MEMORY;
    struct wt_render_config cfg = {
        .out = stderr, .data_out = stdout, .color = use_color(dopt.color),
        .verbose = dopt.verbose, .silent = dopt.silent, .explain = dopt.explain,
    };
    struct wt_loop *loop = wt_loop_new(NULL, NULL);
    struct renderer_set set = { 0 };
    cfg.waterfall_text = !dopt.silent && isatty(STDERR_FILENO);
    if (!loop || add_renderer(&set, &wt_render_text, &cfg) < 0 ||
        (dopt.json && add_renderer(&set, &wt_render_json, &cfg) < 0) ||
        (cfg.waterfall_text && add_renderer(&set, &wt_render_waterfall, &cfg) < 0)) {
        fputs(_("webtrace: out of memory\n"), stderr);
        return WT_EXIT_OUT_OF_MEMORY;
    }
    struct wt_event_sink sink = { fan_out, &set };
    if (!dopt.silent)
        fputs(_("webtrace demo: a DNS server and two web servers start inside this process, on "
                "loopback;\nthen the client fetches a page from each, through them.\n\n"), stderr);
    if (dopt.packets && !dopt.silent) {
        if (capture == WT_DEMO_CAPTURE_OWN_NETNS)
            fputs(_("webtrace demo: packets are captured in a user and network namespace of the "
                    "demo's own (no root needed): its own loopback, brought up for it.\n\n"),
                  stderr);
        else if (capture == WT_DEMO_CAPTURE_BLOCKED)
            fprintf(stderr, _("webtrace demo: no packets: capturing needs CAP_NET_RAW, and %s; "
                              "the demo runs without them.\n\n"), wt_i18n_error_text(why));
    }
    struct wt_demo *demo = wt_demo_start(loop, &sink, err, sizeof err);
    if (!demo) {
        fprintf(stderr, "webtrace: demo: %s\n", wt_i18n_error_text(err));
        close_renderers(&set);
        wt_loop_free(loop);
        return WT_EXIT_CONNECT;
    }
    if (!dopt.silent)
        fprintf(stderr, _("The DNS server for webtrace.test is on 127.0.0.1:%u (UDP): "
                          "%s CNAME web.webtrace.test, A 127.0.0.1, AAAA ::1\n\n"),
                wt_demo_dns_port(demo), WT_DEMO_HOST);

    struct wt_options opt;
    memset(&opt, 0, sizeof opt);
    opt.silent = dopt.silent;
    opt.verbose = dopt.verbose;
    opt.explain = dopt.explain;
    opt.packets = dopt.packets && capture != WT_DEMO_CAPTURE_BLOCKED;
    opt.dns_timeout_ms = WT_DEFAULT_DNS_TIMEOUT_MS;
    opt.max_time_ms = 30000;   /* a backstop: loopback answers in milliseconds */
    opt.max_redirs = WT_DEFAULT_MAX_REDIRS;
    opt.n_dns_servers = 1;
    snprintf(opt.dns_servers[0].addr, sizeof opt.dns_servers[0].addr, "127.0.0.1");
    opt.dns_servers[0].port = wt_demo_dns_port(demo);
    opt.ca_pem = wt_demo_cert_pem(demo);

    char urls[2][128];
    snprintf(urls[0], sizeof urls[0], "http://" WT_DEMO_HOST ":%u/", wt_demo_http_port(demo));
    snprintf(urls[1], sizeof urls[1], "https://" WT_DEMO_HOST ":%u/", wt_demo_https_port(demo));
    /* No DNS cache: each of the demo's fetches shows its whole lookup. */
    struct run run = { new_tls_setup(&opt), NULL, NULL, NULL, NULL, 0 };
    if (run.tls_setup)
        run.pool = new_pool(loop, &sink, &opt);
    int last_failure = run.tls_setup && run.pool ? 0 : WT_EXIT_OUT_OF_MEMORY;
    /* The two fetches go to two origins (http and https): neither connection
     * can carry the other's request, so each is closed, and its teardown
     * narrated, where the fetch ends. */
    for (size_t i = 0; i < 2 && !last_failure; i++) {
        struct wt_transfer_params params = {
            .options = &opt, .input = urls[i], .url_index = i, .body_mode = WT_BODY_DISCARD,
            .sink = &sink, .tls_setup = run.tls_setup, .pool = run.pool, .last_in_run = 1,
        };
        rc = run_one(loop, &params);
        if (rc)
            last_failure = rc;
    }
    close_pool(loop, run.pool);
    wt_dns_cache_free(run.dns_cache);
    if (cfg.waterfall_text) {
        /* the two fetches' picture (the last renderer) before the hints;
         * the servers' events with --stay are no fetch's */
        set.n--;
        set.renderer[set.n]->end(set.state[set.n]);
    }
    if (!dopt.silent)
        wt_render_demo_next(stderr);
    if (dopt.stay) {
        struct stop_flag stop = { -1, 0 };
        if (watch_stop_signals(loop, &stop) == 0) {
            fputs(_("\nThe demo servers stay up until Ctrl-C:\n"), stderr);
            fprintf(stderr, "  dig @127.0.0.1 -p %u " WT_DEMO_HOST "\n"
                            "  curl http://" WT_DEMO_HOST ":%u/ --resolve " WT_DEMO_HOST
                            ":%u:127.0.0.1\n",
                    wt_demo_dns_port(demo), wt_demo_http_port(demo), wt_demo_http_port(demo));
            if (capture == WT_DEMO_CAPTURE_OWN_NETNS)
                fprintf(stderr, "  (from inside the demo's own network namespace: nsenter -U -n "
                                "-t %ld --preserve-credentials)\n", (long)getpid());
            wt_loop_run(loop, stopped, &stop);
            unwatch_stop_signals(loop, &stop);
        }
    }
    wt_demo_free(demo);
    int wrc = close_renderers(&set);
    wt_tls_setup_free(run.tls_setup);
    wt_loop_free(loop);
    wt_dns_global_cleanup();
    wt_tls_unload();
    return last_failure ? last_failure : wrc;
}

/* A closed 0, 1 or 2 would be the number the next socket gets, and the
 * body or the narration would then be written into the connection: each
 * closed one is opened to /dev/null before anything else. Returns a bit
 * per fd that was closed, or -1 when /dev/null cannot be opened. */
static int keep_std_fds_open(void)
{
    int was_closed = 0;
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        /* open() returns the lowest free number, this very fd, unless a
         * tool we run under (valgrind) holds it: then dup2 puts it there. */
        int got = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
        if (got < 0)
            return -1;
        if (got != fd) {
            int rc = dup2(got, fd);
            close(got);
            if (rc != fd)
                return -1;
        }
        was_closed |= 1 << fd;
    }
    return was_closed;
}

int main(int argc, char **argv)
{
    int closed_std_fds = keep_std_fds_open();
    if (closed_std_fds < 0)
        return WT_EXIT_WRITE_ERROR;   /* no /dev/null: nowhere safe to write */
    /* A closed pipe must become exit 23, never a SIGPIPE death. */
    signal(SIGPIPE, SIG_IGN);
    /* Each URL allocates and frees its read buffer (256 KiB): glibc would
     * hand that memory back to the kernel at every free and ask for it
     * again at the next URL (three brk calls per URL in a long run). Keep
     * it: it is reused, and pages never touched are never resident. */
    mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
    /* One write per narration line instead of one per fprintf. */
    static char stderr_buf[8192];
    setvbuf(stderr, stderr_buf, _IOLBF, sizeof stderr_buf);
    wt_i18n_init(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "serve") == 0)
        return run_serve(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "demo") == 0)
        return run_demo(argc - 1, argv + 1);

    struct wt_options opt;
    char err[256];
    int rc = wt_cli_parse(argc, argv, &opt, err, sizeof err);
    if (rc) {
        fprintf(stderr, "webtrace: options: %s\n", wt_i18n_error_text(err));
        return rc;
    }
    if (opt.action == WT_ACTION_HELP) {
        wt_cli_print_usage(stdout);
        return fflush(stdout) == 0 ? 0 : WT_EXIT_WRITE_ERROR;
    }
    if (opt.action == WT_ACTION_VERSION) {
        int bad = wt_version_print(stdout) < 0;
        wt_tls_unload();
        return fflush(stdout) == 0 && !bad ? 0 : WT_EXIT_WRITE_ERROR;
    }

    if (opt.writeout && strcmp(opt.writeout, "@-") == 0 && opt.url_file &&
        strcmp(opt.url_file, "-") == 0) {
        fputs(_("webtrace: options: -w @- and --url @- cannot both read stdin\n"), stderr);
        return WT_EXIT_USAGE;
    }
    char *writeout_text = NULL;
    if (opt.writeout && opt.writeout[0] == '@') {
        writeout_text = read_writeout(opt.writeout, err, sizeof err);
        if (!writeout_text) {
            fprintf(stderr, "webtrace: options: %s\n", wt_i18n_error_text(err));
            return WT_EXIT_READ_ERROR;
        }
    }
    struct wt_reqspec *request = NULL;
    rc = wt_reqload(&opt, &request, err, sizeof err);
    if (rc) {
        fprintf(stderr, "webtrace: options: %s\n", wt_i18n_error_text(err));
        free(writeout_text);
        return rc;
    }
    opt.request = request;
    if (opt.dump_header) {
        opt.dump_header_file = strcmp(opt.dump_header, "-") == 0 ? stdout
                                                                  : fopen(opt.dump_header, "wb");
        if (!opt.dump_header_file) {
            wt_errf(err, sizeof err, "cannot write %s: %s", opt.dump_header, strerror(errno));
            fprintf(stderr, "webtrace: output: %s\n", wt_i18n_error_text(err));
            wt_reqspec_free(request);
            free(writeout_text);
            return WT_EXIT_WRITE_ERROR;
        }
    }
    struct wt_render_config cfg = {
        .out = stderr,
        .data_out = stdout,
        .color = use_color(opt.color),
        .verbose = opt.verbose,
        .explain = opt.explain,
        .silent = opt.silent,
        .writeout = writeout_text ? writeout_text : opt.writeout,
        .har_path = opt.har,
        .url_table = 1,
    };
    for (size_t i = 0; i < opt.n_outputs; i++) {
        const char *path = opt.outputs[i].path;
        if (opt.json && path && strcmp(path, "-") == 0) {
            fputs(_("webtrace: options: --ndjson owns stdout: write the body with -o FILE\n"),
                  stderr);
            free(writeout_text);
            return WT_EXIT_USAGE;
        }
    }
    /* stdout carries data only: the body, unless NDJSON events own it. */
    struct outputs outputs = { &opt, WT_BODY_DISCARD, WT_BODY_STDOUT };
    if (!opt.json)
        outputs.default_mode = isatty(STDOUT_FILENO) ? WT_BODY_DISCARD_TTY : WT_BODY_STDOUT;
    /* As curl: body bytes for a stdout that was closed are a write error
     * (23); -w and --ndjson output there is lost without one. */
    if (closed_std_fds & (1 << STDOUT_FILENO)) {
        outputs.stdout_mode = WT_BODY_STDOUT_CLOSED;
        if (outputs.default_mode == WT_BODY_STDOUT)
            outputs.default_mode = WT_BODY_STDOUT_CLOSED;
    }

    /* The command line's URLs, then the list's: all known before the first
     * fetch, so each connection is kept only for a URL that will use it. */
    struct wt_urlset *urls = wt_urlset_new();
    int list_failure = 0;
    for (size_t i = 0; urls && i < opt.n_urls; i++)
        if (wt_urlset_add(urls, opt.urls[i]) < 0) {
            wt_urlset_free(urls);
            urls = NULL;
        }
    if (!urls) {
        fputs(_("webtrace: url: out of memory before the first trace could start\n"), stderr);
        wt_reqspec_free(request);
        free(writeout_text);
        return WT_EXIT_OUT_OF_MEMORY;
    }
    if (opt.url_file)
        list_failure = read_list(&opt, urls);
    size_t n_urls = wt_urlset_count(urls);
    cfg.url_prefix = opt.parallel && n_urls > 1;

    if (wt_dns_global_init() < 0) {
        fputs(_("webtrace: dns: cannot initialise the resolver library\n"), stderr);
        free(writeout_text);
        wt_urlset_free(urls);
        return WT_EXIT_OUT_OF_MEMORY;
    }
    struct wt_loop *loop = wt_loop_new(NULL, NULL);
    struct renderer_set set = { 0 };
    cfg.loop = loop;
    /* The meter first: it erases its line before the narration's next one. */
    int meter = !opt.silent && !opt.no_progress_meter && isatty(STDERR_FILENO);
    /* a body written to the same terminal (-o -) would run through the line */
    for (size_t i = 0; meter && i < opt.n_outputs; i++)
        if (opt.outputs[i].path && strcmp(opt.outputs[i].path, "-") == 0 &&
            isatty(STDOUT_FILENO))
            meter = 0;
    int ok = loop && (!meter || add_renderer(&set, &wt_render_progress, &cfg) == 0);
    ok = ok && add_renderer(&set, &wt_render_text, &cfg) == 0;
    if (ok && opt.json)
        ok = add_renderer(&set, &wt_render_json, &cfg) == 0;
    if (ok && cfg.writeout)
        ok = add_renderer(&set, &wt_render_writeout, &cfg) == 0;
    if (ok && opt.har)
        ok = add_renderer(&set, &wt_render_har, &cfg) == 0;
    /* After the narration's: the picture comes under its last line. */
    cfg.waterfall_text = !opt.silent && !opt.no_waterfall && isatty(STDERR_FILENO);
    cfg.waterfall_path = opt.waterfall;
    if (ok && (cfg.waterfall_text || cfg.waterfall_path))
        ok = add_renderer(&set, &wt_render_waterfall, &cfg) == 0;
    if (!ok) {
        fputs(_("webtrace: output: out of memory setting up the output\n"), stderr);
        close_renderers(&set);
        free(writeout_text);
        wt_urlset_free(urls);
        return WT_EXIT_OUT_OF_MEMORY;
    }
    struct wt_event_sink sink = { fan_out, &set };

    struct run run = { new_tls_setup(&opt), NULL, wt_dns_cache_new(), urls, &outputs, 0 };
    if (run.tls_setup)
        run.pool = new_pool(loop, &sink, &opt);
    int ready = run.tls_setup && run.pool;
    int last_failure = ready ? list_failure : WT_EXIT_OUT_OF_MEMORY;
    if (ready) {
        if (opt.parallel && n_urls > 1)
            rc = run_parallel(loop, &opt, &sink, &run);
        else
            rc = run_sequential(loop, &opt, &sink, &run);
        if (rc)
            last_failure = rc;
    }
    close_pool(loop, run.pool);
    wt_dns_cache_free(run.dns_cache);
    rc = close_renderers(&set);   /* each renderer says what it could not write */
    if (rc && !last_failure)
        last_failure = rc;
    if (opt.dump_header_file && opt.dump_header_file != stdout) {
        int bad = ferror(opt.dump_header_file);
        if (fclose(opt.dump_header_file) != 0 || bad) {
            if (opt.silent < 2)
                fprintf(stderr, _("webtrace: output: writing the -D file %s failed\n"),
                        opt.dump_header);
            if (!last_failure)
                last_failure = WT_EXIT_WRITE_ERROR;
        }
    }
    if (wt_reqload_save_cookies(&opt, request, err, sizeof err) < 0 && opt.silent < 2)
        /* curl warns and keeps its exit code */
        fprintf(stderr, _("webtrace: warning: the cookies were not saved to %1$s: %2$s\n"),
                opt.cookie_jar, wt_i18n_error_text(err));
    free(writeout_text);
    wt_urlset_free(urls);
    wt_reqspec_free(request);
    wt_tls_setup_free(run.tls_setup);
    wt_loop_free(loop);
    wt_dns_global_cleanup();
    wt_tls_unload();
    if (fflush(stdout) != 0 && !last_failure)
        last_failure = WT_EXIT_WRITE_ERROR;
    return last_failure;
}
