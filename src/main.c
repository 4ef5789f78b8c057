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

struct renderer_set {
    const struct wt_renderer *renderer;
    void *state;
};

static void fan_out(void *ctx, const struct wt_event *ev)
{
    struct renderer_set *set = ctx;
    set->renderer->event(set->state, ev);
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

    const char *no_color = getenv("NO_COLOR");
    struct wt_render_config cfg = {
        .out = stderr,
        .color = opt.color != WT_COLOR_NEVER && !(no_color && *no_color) && isatty(STDERR_FILENO),
        .verbose = opt.verbose,
        .silent = opt.silent,
    };
    size_t total_urls = opt.n_urls + (opt.url_file ? 1 : 0);
    if (opt.output && strcmp(opt.output, "-") != 0 && total_urls > 1) {
        fprintf(stderr, "webtrace: options: -o FILE takes exactly one URL\n");
        return WT_EXIT_USAGE;
    }
    enum wt_body_mode mode = WT_BODY_DISCARD;
    if (opt.output)
        mode = strcmp(opt.output, "-") == 0 ? WT_BODY_STDOUT : WT_BODY_FILE;
    else if (!isatty(STDOUT_FILENO))
        mode = WT_BODY_STDOUT;

    if (wt_dns_global_init() < 0) {
        fprintf(stderr, "webtrace: dns: cannot initialise the resolver library\n");
        return WT_EXIT_OUT_OF_MEMORY;
    }
    struct wt_loop *loop = wt_loop_new(NULL, NULL);
    struct renderer_set set = { &wt_render_text, NULL };
    set.state = set.renderer->begin(&cfg);
    if (!loop || !set.state) {
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
    set.renderer->end(set.state);
    wt_loop_free(loop);
    wt_dns_global_cleanup();
    if (fflush(stdout) != 0 && !last_failure)
        last_failure = WT_EXIT_WRITE_ERROR;
    return last_failure;
}
