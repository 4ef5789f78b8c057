/* webtrace: wires the command line to traces and renderers, and returns
 * the exit code. The only file that exits. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "webtrace/cli.h"
#include "webtrace/dns.h"
#include "webtrace/exitcode.h"
#include "webtrace/loop.h"
#include "webtrace/render.h"
#include "webtrace/trace.h"
#include "wt_config.h"

#define URL_LINE_MAX 8192

#define MAX_RENDERERS 4
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
        snprintf(err, errlen, "cannot read the -w format from %s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = malloc(WRITEOUT_FILE_MAX + 1);
    size_t len = text ? fread(text, 1, WRITEOUT_FILE_MAX, in) : 0;
    int bad = !text || ferror(in) || (len == WRITEOUT_FILE_MAX && fgetc(in) != EOF);
    if (in != stdin)
        fclose(in);
    if (bad) {
        snprintf(err, errlen, "cannot read the -w format from %s (or it is over 64 KiB)", path);
        free(text);
        return NULL;
    }
    text[len] = '\0';
    return text;
}

static int trace_done(void *ctx)
{
    return wt_trace_finished(ctx);
}

static void say_error(const struct wt_render_config *cfg, const char *step, const char *msg)
{
    fprintf(cfg->out, "webtrace: %s: %s\n", step, msg);
}

static int run_one(struct wt_loop *loop, const struct wt_options *opt, const char *input,
                   size_t index, enum wt_body_mode body_mode, const struct wt_event_sink *sink)
{
    struct wt_trace_params params = {
        .options = opt,
        .input = input,
        .url_index = index,
        .body_mode = body_mode,
        .output_path = opt->output,
        .sink = sink,
    };
    struct wt_trace *t = wt_trace_new(loop, &params);
    if (!t)
        return WT_EXIT_OUT_OF_MEMORY;
    wt_trace_start(t);
    int rc = 0;
    if (wt_loop_run(loop, trace_done, t) < 0)
        rc = WT_EXIT_OUT_OF_MEMORY;
    if (!wt_trace_finished(t))
        rc = rc ? rc : WT_EXIT_OUT_OF_MEMORY;
    else
        rc = wt_trace_exit_code(t);
    wt_trace_free(t);
    return rc;
}

/* Reads URLs one per line (blank lines and #comments skipped) and traces
 * each. Returns the exit code of the last failure, or 0. */
static int run_list(struct wt_loop *loop, const struct wt_options *opt, enum wt_body_mode mode,
                    const struct wt_event_sink *sink, const struct wt_render_config *cfg,
                    size_t *index)
{
    FILE *in = strcmp(opt->url_file, "-") == 0 ? stdin : fopen(opt->url_file, "r");
    if (!in) {
        char msg[300];
        snprintf(msg, sizeof msg, "cannot read %s: %s", opt->url_file, strerror(errno));
        say_error(cfg, "input", msg);
        return WT_EXIT_READ_ERROR;
    }
    int last_failure = 0;
    char line[URL_LINE_MAX];
    while (fgets(line, sizeof line, in)) {
        size_t len = strlen(line);
        if (len && line[len - 1] != '\n' && !feof(in)) {
            say_error(cfg, "input", "a line of the URL list is longer than 8 KiB");
            last_failure = WT_EXIT_READ_ERROR;
            int c;
            while ((c = fgetc(in)) != EOF && c != '\n')
                ;
            continue;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
                       line[len - 1] == ' ' || line[len - 1] == '\t'))
            line[--len] = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#')
            continue;
        int rc = run_one(loop, opt, p, (*index)++, mode, sink);
        if (rc)
            last_failure = rc;
    }
    if (ferror(in)) {
        say_error(cfg, "input", "reading the URL list failed");
        last_failure = WT_EXIT_READ_ERROR;
    }
    if (in != stdin)
        fclose(in);
    return last_failure;
}

int main(int argc, char **argv)
{
    /* A closed pipe must become exit 23, never a SIGPIPE death. */
    signal(SIGPIPE, SIG_IGN);

    struct wt_options opt;
    char err[256];
    int rc = wt_cli_parse(argc, argv, &opt, err, sizeof err);
    if (rc) {
        fprintf(stderr, "webtrace: options: %s\n", err);
        return rc;
    }
    if (opt.action == WT_ACTION_HELP) {
        fputs(wt_cli_usage, stdout);
        return fflush(stdout) == 0 ? 0 : WT_EXIT_WRITE_ERROR;
    }
    if (opt.action == WT_ACTION_VERSION) {
        printf("webtrace %s\n", WT_VERSION);
        return fflush(stdout) == 0 ? 0 : WT_EXIT_WRITE_ERROR;
    }

    char *writeout_text = NULL;
    if (opt.writeout && opt.writeout[0] == '@') {
        writeout_text = read_writeout(opt.writeout, err, sizeof err);
        if (!writeout_text) {
            fprintf(stderr, "webtrace: options: %s\n", err);
            return WT_EXIT_READ_ERROR;
        }
    }
    const char *no_color = getenv("NO_COLOR");
    struct wt_render_config cfg = {
        .out = stderr,
        .data_out = stdout,
        .color = opt.color != WT_COLOR_NEVER && !(no_color && *no_color) && isatty(STDERR_FILENO),
        .verbose = opt.verbose,
        .silent = opt.silent,
        .writeout = writeout_text ? writeout_text : opt.writeout,
        .har_path = opt.har,
    };
    size_t total_urls = opt.n_urls + (opt.url_file ? 1 : 0);
    if (opt.output && strcmp(opt.output, "-") != 0 && total_urls > 1) {
        fprintf(stderr, "webtrace: options: -o FILE takes exactly one URL\n");
        free(writeout_text);
        return WT_EXIT_USAGE;
    }
    if (opt.json && opt.output && strcmp(opt.output, "-") == 0) {
        fprintf(stderr, "webtrace: options: --json owns stdout: write the body with -o FILE\n");
        free(writeout_text);
        return WT_EXIT_USAGE;
    }
    /* stdout carries data only: the body, unless NDJSON events own it. */
    enum wt_body_mode mode = WT_BODY_DISCARD;
    if (opt.output)
        mode = strcmp(opt.output, "-") == 0 ? WT_BODY_STDOUT : WT_BODY_FILE;
    else if (!opt.json && !isatty(STDOUT_FILENO))
        mode = WT_BODY_STDOUT;

    if (wt_dns_global_init() < 0) {
        fprintf(stderr, "webtrace: dns: cannot initialise the resolver library\n");
        free(writeout_text);
        return WT_EXIT_OUT_OF_MEMORY;
    }
    struct wt_loop *loop = wt_loop_new(NULL, NULL);
    struct renderer_set set = { 0 };
    int ok = loop && add_renderer(&set, &wt_render_text, &cfg) == 0;
    if (ok && opt.json)
        ok = add_renderer(&set, &wt_render_json, &cfg) == 0;
    if (ok && cfg.writeout)
        ok = add_renderer(&set, &wt_render_writeout, &cfg) == 0;
    if (ok && opt.har)
        ok = add_renderer(&set, &wt_render_har, &cfg) == 0;
    if (!ok) {
        fprintf(stderr, "webtrace: out of memory\n");
        return WT_EXIT_OUT_OF_MEMORY;
    }
    struct wt_event_sink sink = { fan_out, &set };

    int last_failure = 0;
    size_t index = 0;
    for (size_t i = 0; i < opt.n_urls; i++) {
        rc = run_one(loop, &opt, opt.urls[i], index++, mode, &sink);
        if (rc)
            last_failure = rc;
    }
    if (opt.url_file) {
        rc = run_list(loop, &opt, mode, &sink, &cfg, &index);
        if (rc)
            last_failure = rc;
    }
    for (size_t i = 0; i < set.n; i++)
        if (set.renderer[i]->end(set.state[i]) < 0 && !last_failure)
            last_failure = WT_EXIT_WRITE_ERROR;
    free(writeout_text);
    wt_loop_free(loop);
    wt_dns_global_cleanup();
    if (fflush(stdout) != 0 && !last_failure)
        last_failure = WT_EXIT_WRITE_ERROR;
    return last_failure;
}
