/* libFuzzer: any bytes as a command line. The first byte picks the parser
 * (webtrace, serve, demo); the rest is split at NUL bytes into arguments.
 * A parse either succeeds with options inside their documented ranges or
 * fails with exit 2 and one printable sentence. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/cli.h"
#include "webtrace/exitcode.h"

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
        (o->har && !o->har[0]))
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
