/* cli: turn argv into one immutable options struct. Parsing only: it opens
 * no files and touches no network; errors are reported as text plus the
 * exit code, never printed here. */
#ifndef WEBTRACE_CLI_H
#define WEBTRACE_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct wt_reqspec;

#define WT_MAX_DNS_SERVERS 8
#define WT_MAX_URLS 1024
#define WT_MAX_RESOLVE 32             /* --resolve entries */
#define WT_RESOLVE_MAX_ADDRS 16       /* addresses in one --resolve entry */
#define WT_MAX_CONNECT_TO 32          /* --connect-to rules */
#define WT_CLI_HOST_MAX 256           /* a host name as typed, with its NUL */
#define WT_CLI_ADDR_MAX 46            /* INET6_ADDRSTRLEN */
#define WT_MAX_REQ_ARGS 128           /* -H and -d-like options together */
#define WT_MAX_OUTPUTS WT_MAX_URLS    /* -o and -O options: one per URL at most */
#define WT_MAX_COOKIE_ARGS 32         /* -b options */

enum wt_color_mode { WT_COLOR_AUTO, WT_COLOR_NEVER };

enum wt_cli_action {
    WT_ACTION_TRACE,   /* trace the URLs */
    WT_ACTION_HELP,    /* print usage on stdout, exit 0 */
    WT_ACTION_VERSION  /* print version on stdout, exit 0 */
};

struct wt_dns_server {
    char addr[64];    /* numeric IPv4 or IPv6 (no brackets) */
    uint16_t port;    /* 53 unless given */
};

/* --resolve [+]HOST:PORT:ADDR[,ADDR...]: HOST:PORT is ADDR, no DNS. */
struct wt_resolve_entry {
    char host[WT_CLI_HOST_MAX];   /* as typed, without brackets; "*" is any host */
    uint16_t port;
    size_t n_addrs;
    char addrs[WT_RESOLVE_MAX_ADDRS][WT_CLI_ADDR_MAX];   /* numeric, no brackets */
    const char *text;             /* the option's value, as typed (points into argv) */
};

/* --connect-to HOST:PORT:CONNECT-HOST:CONNECT-PORT: for the URL's HOST:PORT
 * connect to CONNECT-HOST:CONNECT-PORT instead. Empty parts: any host/port
 * to match, or the URL's own to connect to. */
struct wt_connect_to {
    char host[WT_CLI_HOST_MAX];   /* "" matches any host */
    int port;                     /* -1 matches any port */
    char to_host[WT_CLI_HOST_MAX];  /* "" keeps the URL's host; no brackets */
    int to_port;                  /* -1 keeps the URL's port */
    const char *text;             /* as typed */
};

/* One -H or -d-like option, kept in command-line order (main reads the
 * @files they name). */
enum wt_req_arg_kind {
    WT_REQ_HEADER,          /* -H "Name: value" or @FILE */
    WT_REQ_DATA,            /* -d/--data/--data-ascii, @FILE or @- */
    WT_REQ_DATA_BINARY,     /* --data-binary, @FILE or @- */
    WT_REQ_DATA_RAW,        /* --data-raw: never a file */
    WT_REQ_DATA_URLENCODE,  /* --data-urlencode [name]=content, [name]@FILE */
    WT_REQ_JSON,            /* --json DATA, @FILE or @- */
    WT_REQ_FORM,            /* -F name=content, name=@FILE, name=<FILE */
    WT_REQ_FORM_STRING,     /* --form-string name=content, taken literally */
};

struct wt_req_arg {
    enum wt_req_arg_kind kind;
    const char *value;      /* points into argv */
};

enum wt_fail_mode {
    WT_FAIL_NEVER,          /* a 4xx/5xx is a success, as curl without -f */
    WT_FAIL_NO_BODY,        /* -f/--fail: exit 22, the body not written */
    WT_FAIL_WITH_BODY,      /* --fail-with-body: exit 22 after writing it */
};

/* One -o FILE or -O, in command-line order: the Nth goes to the Nth URL
 * (curl's rule). */
struct wt_output_arg {
    const char *path;             /* -o FILE ("-" for stdout); NULL for -O */
};

/* Which HTTP version to speak, with curl's options. */
enum wt_http_version {
    WT_HTTP_VERSION_DEFAULT,     /* h2 or http/1.1 by ALPN for https, 1.1 for http (curl's --http2) */
    WT_HTTP_VERSION_1_1,         /* --http1.1: ALPN offers http/1.1 only */
    WT_HTTP_VERSION_2_PRIOR,     /* --http2-prior-knowledge: h2 at once, h2c on http:// */
};

struct wt_options {
    enum wt_cli_action action;
    int silent;                   /* -s: no narration (errors still shown); -s -s: no errors either */
    int verbose;                  /* -v: every header sent and received */
    int explain;                  /* --explain: one line of "what this means" per step */
    enum wt_color_mode color;     /* --no-color (NO_COLOR is applied by main) */
    const char *output;           /* -o FILE, "-" for stdout, NULL: auto */
    int remote_name;              /* -O: the file is named after the URL (main names it) */
    size_t n_outputs;             /* -o and -O, in command-line order */
    struct wt_output_arg outputs[WT_MAX_OUTPUTS];
    int remote_name_all;          /* --remote-name-all: -O for every URL without -o */
    const char *output_dir;       /* --output-dir DIR: -o and -O files go under DIR */
    int create_dirs;              /* --create-dirs: make the missing directories (0750) */
    const char *url_file;         /* --url @FILE or @-: URLs one per line */
    int include;                  /* -i/--include: the head before the body */
    const char *dump_header;      /* -D/--dump-header FILE, "-" for stdout */
    size_t n_cookies;             /* -b NAME=VALUE or FILE, in order */
    const char *cookies[WT_MAX_COOKIE_ARGS];
    const char *cookie_jar;       /* -c/--cookie-jar FILE, written at the end */
    const char *upload_file;      /* -T/--upload-file FILE, "-" for stdin */
    long expect100_timeout_ms;    /* --expect100-timeout SECONDS: wait for 100 Continue */
    int ip_family;                /* 0, 4 (-4) or 6 (-6) */
    long connect_timeout_ms;      /* --connect-timeout SECONDS (fractional ok); 0 = none */
    long max_time_ms;             /* -m/--max-time SECONDS; 0 = none */
    long dns_timeout_ms;          /* --dns-timeout SECONDS; default 5000 */
    long happy_eyeballs_ms;       /* --happy-eyeballs-timeout-ms MS: the attempt delay */
    size_t n_dns_servers;         /* --dns-server ADDR[:PORT], repeatable */
    struct wt_dns_server dns_servers[WT_MAX_DNS_SERVERS];
    size_t n_resolve;             /* --resolve, repeatable; a later entry wins */
    struct wt_resolve_entry resolve[WT_MAX_RESOLVE];
    size_t n_connect_to;          /* --connect-to, repeatable; the first match wins */
    struct wt_connect_to connect_to[WT_MAX_CONNECT_TO];
    const char *proxy;            /* -x/--proxy; "" uses none (NULL: the environment's) */
    const char *noproxy;          /* --noproxy LIST */
    const char *proxy_user;       /* -U/--proxy-user USER:PASSWORD */
    int proxytunnel;              /* -p/--proxytunnel: CONNECT for http:// too */
    int json;                     /* --ndjson: NDJSON events on stdout */
    const char *writeout;         /* -w FORMAT, @FILE or @- (read by main) */
    const char *har;              /* --har FILE */
    const char *cacert;           /* --cacert FILE */
    const char *capath;           /* --capath DIR */
    const char *ca_pem;           /* not an option: the demo trusts its own certificate */
    const struct wt_reqspec *request; /* not an option: main reads -H/-d files into it */
    FILE *dump_header_file;       /* not an option: -D's file, opened by main */
    int insecure;                 /* -k/--insecure */
    int follow_location;          /* -L/--location */
    long max_redirs;              /* --max-redirs N; -1 no limit */
    int location_trusted;         /* --location-trusted: credentials follow to any origin */
    int no_keepalive;             /* --no-keepalive: a new connection for every request */
    int parallel;                 /* -Z/--parallel: the command line's URLs at once */
    long parallel_max;            /* --parallel-max N: at most N at once */
    int parallel_immediate;       /* --parallel-immediate: never wait for another's connection */
    long retry;                   /* --retry N: retries of a transient failure */
    long retry_delay_ms;          /* --retry-delay S: fixed wait; 0: 1 s, doubling (curl's) */
    long retry_max_time_ms;       /* --retry-max-time S: no retry after S; 0: no limit */
    int retry_all_errors;         /* --retry-all-errors */
    int retry_connrefused;        /* --retry-connrefused: a refused connection is transient */
    int packets;                  /* --packets (or --pcap): capture this connection */
    const char *pcap;             /* --pcap FILE */
    int strict;                   /* --strict: tolerated deviations fail (8) */
    enum wt_http_version http_version; /* --http1.1, --http2, --http2-prior-knowledge */
    const char *method;           /* -X/--request */
    int head;                     /* -I/--head */
    int get;                      /* -G/--get */
    const char *user_agent;       /* -A/--user-agent */
    const char *referer;          /* -e/--referer */
    const char *user;             /* -u/--user user:password */
    size_t n_req_args;
    struct wt_req_arg req_args[WT_MAX_REQ_ARGS];
    enum wt_fail_mode fail;       /* -f/--fail, --fail-with-body */
    int show_error;               /* -S/--show-error: errors shown even with -s -s */
    int compressed;               /* --compressed: ask for and decode gzip, deflate, br, zstd */
    const char *range;            /* -r/--range: what follows "bytes=" */
    int resume_current;           /* -C -: resume from the -o file's size (main reads it) */
    int64_t resume_from;          /* -C OFFSET */
    uint64_t limit_rate;          /* --limit-rate: bytes per second, 0 none */
    int no_progress_meter;        /* --no-progress-meter (so does -s) */
    const char *waterfall;        /* --waterfall FILE.svg */
    int no_waterfall;             /* --no-waterfall: no text waterfall at the end */
    size_t n_urls;
    const char *urls[WT_MAX_URLS];  /* point into argv */
};

#define WT_DEFAULT_DNS_TIMEOUT_MS 5000
/* curl's and RFC 8305's recommended connection attempt delay. */
#define WT_DEFAULT_HAPPY_EYEBALLS_MS 200
#define WT_DEFAULT_MAX_REDIRS 50  /* curl's */
#define WT_DEFAULT_PARALLEL_MAX 50  /* curl's */
#define WT_PARALLEL_MAX_LIMIT 300   /* curl's cap on --parallel-max */
/* curl's default: a peer that accepts and never finishes a TLS handshake
 * must not hang us forever. */
#define WT_DEFAULT_CONNECT_TIMEOUT_MS 300000
#define WT_DEFAULT_EXPECT100_TIMEOUT_MS 1000  /* curl's --expect100-timeout */

/* Parses argv. Returns 0 on success; otherwise returns the exit code to use
 * (2, as curl does for a bad option or argument) and writes one sentence
 * into err. getopt state is reset so the function can be called repeatedly
 * (unit tests do). */
int wt_cli_parse(int argc, char **argv, struct wt_options *out,
                 char *err, size_t errlen);

/* Parses --limit-rate's RATE as curl 7.88: digits, then b, k, m or g
 * (1, 1024, 1024^2, 1024^3). Returns 0 or -1. */
int wt_cli_parse_rate(const char *text, uint64_t *out);

/* Parses "1.5" (seconds, up to millisecond precision) into milliseconds.
 * Returns 0 or -1 for anything that is not a non-negative finite number
 * below 2^31 ms. */
int wt_cli_parse_seconds(const char *text, long *out_ms);

/* Parses "127.0.0.1", "127.0.0.1:5353", "::1", "[::1]:5353". */
int wt_cli_parse_dns_server(const char *text, struct wt_dns_server *out);

/* Parses a --resolve value (curl's syntax: "example.test:443:127.0.0.1,[::1]",
 * "*:80:127.0.0.1", "+host:port:addr"). Returns 0, or -1 with one sentence
 * in err. "-HOST:PORT" (curl's removal) is reported as 1 with host and
 * port filled. */
int wt_cli_parse_resolve(const char *text, struct wt_resolve_entry *out, char *err,
                         size_t errlen);
/* Parses a --connect-to value ("example.test:443:127.0.0.1:8443",
 * "::[::1]:", ":80::8080"). Returns 0, or -1 with one sentence in err. */
int wt_cli_parse_connect_to(const char *text, struct wt_connect_to *out, char *err,
                            size_t errlen);

/* Writes --help (also the exit codes) in the narration's language. */
void wt_cli_print_usage(FILE *out);
/* The long options the parser knows, for what must list them all (--help's
 * test, completions): the name of the i-th, NULL past the last; *alias is
 * set when an earlier name does the same (--data-ascii after --data). */
const char *wt_cli_long_option(size_t i, int *alias);
/* Whether --help has an entry whose spelling names --name. */
int wt_cli_help_lists(const char *name);

/* One option of a parser's table, for what is generated from the tables
 * (the shell completions) and the man page's test. */
struct wt_cli_option_info {
    const char *name;             /* the long name, without "--" */
    int short_name;               /* 'o' for -o; 0 when there is none */
    int takes_arg;
    int alias;                    /* an earlier name does the same (--data-ascii) */
    const char *spelling;         /* --help's ("-o, --output FILE"); NULL for serve and demo */
    const char *text;             /* --help's sentence, untranslated; NULL likewise */
};
/* The i-th option of command's table (NULL: the trace's, "serve",
 * "demo"). Returns 0, or -1 past the last or for another command. */
int wt_cli_option_info(const char *command, size_t i, struct wt_cli_option_info *out);

/* webtrace serve [options] */
struct wt_serve_options {
    enum wt_cli_action action;
    const char *bind;             /* --bind ADDR (numeric), default 127.0.0.1 */
    uint16_t port;                /* --port N, default 8080; 0 lets the kernel pick */
    int tls;                      /* --tls */
    const char *cert;             /* --cert FILE (PEM; with --tls) */
    const char *key;              /* --key FILE (PEM; default: in --cert) */
    long idle_timeout_ms;         /* --idle-timeout SECONDS, default 10 */
    int silent;                   /* -s */
    int json;                     /* --ndjson */
    int explain;                  /* --explain */
    int verbose;                  /* -v: every socket call (so does --explain) */
    enum wt_color_mode color;     /* --no-color */
};

int wt_cli_parse_serve(int argc, char **argv, struct wt_serve_options *out, char *err,
                       size_t errlen);
extern const char *const wt_cli_serve_usage;   /* English: print _(it) */

/* webtrace demo [options]: only output options. */
struct wt_demo_options {
    enum wt_cli_action action;
    int silent, verbose, json;
    int explain;                  /* on unless --no-explain */
    int stay;                     /* --stay: keep the servers up after the traces */
    int packets;                  /* --packets: capture (in a namespace of its own if need be) */
    enum wt_color_mode color;
};

int wt_cli_parse_demo(int argc, char **argv, struct wt_demo_options *out, char *err,
                      size_t errlen);
extern const char *const wt_cli_demo_usage;   /* English: print _(it) */

#endif
