/* libFuzzer: any bytes as a command line. The first byte picks the parser
 * (webtrace, serve, demo); the rest is split at NUL bytes into arguments.
 * A parse either succeeds with options inside their documented ranges or
 * fails with exit 2 and one printable sentence. --help's text is printed
 * once per process and held to its layout; every argument is also asked
 * of wt_cli_help_lists and read as a --limit-rate value. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/cli.h"
#include "webtrace/exitcode.h"
#include "webtrace/reqspec.h"
#include "webtrace/textwidth.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define MAX_ARGS (WT_MAX_URLS + 64)

static void check_error(int rc, const char *err)
{
    if (rc != WT_EXIT_USAGE || !err[0])
        abort();
    for (const char *p = err; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            abort();
}

static void check_trace_options(const struct wt_options *o)
{
    if (o->action == WT_ACTION_HELP || o->action == WT_ACTION_VERSION)
        return;
    if (o->action != WT_ACTION_TRACE || (o->n_urls == 0 && !o->url_file) ||
        o->n_urls > WT_MAX_URLS || o->n_dns_servers > WT_MAX_DNS_SERVERS)
        abort();
    if (o->ip_family != 0 && o->ip_family != 4 && o->ip_family != 6)
        abort();
    if (o->connect_timeout_ms < 0 || o->max_time_ms < 0 || o->dns_timeout_ms <= 0)
        abort();
    for (size_t i = 0; i < o->n_dns_servers; i++) {
        struct wt_dns_server again;
        /* what was kept parses again to itself (the port aside) */
        if (o->dns_servers[i].port == 0 ||
            wt_cli_parse_dns_server(o->dns_servers[i].addr, &again) != 0 ||
            strcmp(again.addr, o->dns_servers[i].addr) != 0)
            abort();
    }
    if ((o->output && !o->output[0]) || (o->url_file && !o->url_file[0]) ||
        (o->har && !o->har[0]) || (o->output_dir && !o->output_dir[0]) ||
        (o->dump_header && !o->dump_header[0]))
        abort();
    if (o->n_outputs > WT_MAX_OUTPUTS || o->n_cookies > WT_MAX_COOKIE_ARGS ||
        o->n_req_args > WT_MAX_REQ_ARGS)
        abort();
    /* -r's text goes into a header line: never empty, never a control */
    if (o->range) {
        if (!o->range[0])
            abort();
        for (const char *p = o->range; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                abort();
    }
    if (o->resume_from < 0 || (o->resume_current && o->resume_from != 0))
        abort();
    if (o->proxy_user && !strchr(o->proxy_user, ':'))
        abort();
    if (o->http_version != WT_HTTP_VERSION_DEFAULT && o->http_version != WT_HTTP_VERSION_1_1 &&
        o->http_version != WT_HTTP_VERSION_2_PRIOR)
        abort();
    if (o->retry < 0 || o->retry_delay_ms < 0 || o->retry_max_time_ms < 0 ||
        o->expect100_timeout_ms < 0 || o->parallel_max < 0)
        abort();
    /* one kind of request: -T excludes a body and -I, -F excludes -d */
    int has_data = 0, has_form = 0, has_other = 0;
    for (size_t i = 0; i < o->n_req_args; i++) {
        enum wt_req_arg_kind k = o->req_args[i].kind;
        has_data |= k != WT_REQ_HEADER;
        has_form |= k == WT_REQ_FORM || k == WT_REQ_FORM_STRING;
        has_other |= k != WT_REQ_HEADER && k != WT_REQ_FORM && k != WT_REQ_FORM_STRING;
        if (!o->req_args[i].value)
            abort();
    }
    if ((o->upload_file && (has_data || o->head)) || (has_form && has_other) ||
        (o->head && has_data && !o->get))
        abort();
}

/* --help as printed: lines that fit in 79 columns, nothing but printable
 * text and newlines, and an entry for every long option the parser takes
 * (wt_cli_help_lists agrees with the text). Checked once per process:
 * the text does not depend on the input. */
static char *usage_text;

static void check_usage(void)
{
    if (usage_text)
        return;
    size_t len = 0;
    FILE *f = open_memstream(&usage_text, &len);
    if (!f)
        abort();
    wt_cli_print_usage(f);
    if (fclose(f) != 0 || len == 0 || usage_text[len - 1] != '\n')
        abort();
    for (const char *line = usage_text; *line;) {
        const char *end = strchr(line, '\n');
        for (const char *p = line; p < end; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                abort();
        if (wt_text_width(line, (size_t)(end - line)) > 79)
            abort();
        line = end + 1;
    }
    int alias;
    size_t n = 0;
    for (const char *name; (name = wt_cli_long_option(n, &alias)) != NULL; n++) {
        char spelled[64];
        snprintf(spelled, sizeof spelled, "--%s", name);
        if (!name[0] || (!alias && (!wt_cli_help_lists(name) || !strstr(usage_text, spelled))))
            abort();
    }
    /* the first is never another's alias; past the end is NULL */
    if (n == 0 || (wt_cli_long_option(0, &alias), alias) || wt_cli_long_option(n + 1, &alias))
        abort();
}

/* An argument as a name --help might list: when it says yes, the text
 * holds "--name". */
static void check_help_lists(const char *arg)
{
    const char *name = strncmp(arg, "--", 2) == 0 ? arg + 2 : arg;
    if (!name[0] || strlen(name) > 60)
        return;
    if (wt_cli_help_lists(name)) {
        char spelled[64];
        snprintf(spelled, sizeof spelled, "--%s", name);
        if (!strstr(usage_text, spelled))
            abort();
    }
}

/* An argument as --limit-rate's RATE: a unit multiplies the plain number. */
static void check_rate(const char *arg)
{
    uint64_t rate, plain;
    size_t len = strlen(arg);
    if (wt_cli_parse_rate(arg, &rate) != 0 || len == 0 || len > 79)
        return;
    char digits[80];   /* len <= 79, and its NUL */
    memcpy(digits, arg, len + 1);
    char unit = digits[len - 1];
    if (unit >= '0' && unit <= '9')
        return;
    digits[len - 1] = '\0';
    if (wt_cli_parse_rate(digits, &plain) != 0)
        abort();
    uint64_t times = 1;
    switch (unit | 0x20) {
    case 'k': times = 1024; break;
    case 'm': times = 1024 * 1024; break;
    case 'g': times = 1024 * 1024 * 1024; break;
    case 'b': break;
    default: abort();
    }
    if (rate != plain * times)
        abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1)
        return 0;
    int which = data[0] % 3;
    /* getopt permutes argv, so the arguments are copies */
    char *text = malloc(size);
    char **argv = malloc(sizeof *argv * (MAX_ARGS + 1));
    if (!text || !argv) {
        free(text);
        free(argv);
        return 0;
    }
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    static char name_trace[] = "webtrace", name_serve[] = "serve", name_demo[] = "demo";
    int argc = 0;
    argv[argc++] = which == 0 ? name_trace : which == 1 ? name_serve : name_demo;
    for (size_t i = 0; i < size - 1 && argc < MAX_ARGS;) {
        argv[argc++] = text + i;
        i += strlen(text + i) + 1;
    }
    argv[argc] = NULL;

    check_usage();
    for (int i = 1; i < argc; i++) {
        check_help_lists(argv[i]);
        check_rate(argv[i]);
    }

    char err[256];
    int rc;
    if (which == 0) {
        struct wt_options o;
        rc = wt_cli_parse(argc, argv, &o, err, sizeof err);
        if (rc == 0)
            check_trace_options(&o);
    } else if (which == 1) {
        struct wt_serve_options o;
        rc = wt_cli_parse_serve(argc, argv, &o, err, sizeof err);
        if (rc == 0 && o.action != WT_ACTION_HELP &&
            (o.idle_timeout_ms < 0 || ((o.cert || o.key) && !o.tls) || (o.key && !o.cert)))
            abort();
    } else {
        struct wt_demo_options o;
        rc = wt_cli_parse_demo(argc, argv, &o, err, sizeof err);
        if (rc == 0 && (o.explain != 0 && o.explain != 1))
            abort();
    }
    if (rc != 0)
        check_error(rc, err);
    free(text);
    free(argv);
    return 0;
}
