#include "webtrace/cli.h"
#include "webtrace/escape.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "webtrace/exitcode.h"
#include "webtrace/i18n.h"
#include "webtrace/idn.h"
#include "webtrace/textwidth.h"

/* The help text spells these numbers out; change it with them. */
_Static_assert(WT_DEFAULT_DNS_TIMEOUT_MS == 5000, "update --dns-timeout in help_entries");
_Static_assert(WT_DEFAULT_HAPPY_EYEBALLS_MS == 200, "update --happy-eyeballs-timeout-ms in help_entries");
_Static_assert(WT_MAX_DNS_SERVERS == 8, "update --dns-server in help_entries");
_Static_assert(WT_MAX_URLS == 1024, "update the URL limit in help_entries");

/* Seconds are capped so milliseconds fit a 32-bit int (poll's timeout). */
#define MAX_MS 2147483647L
#define QUOTE_MAX 40

/* --help: one entry per option or paragraph, so that each is translated on
 * its own and a new option is one more entry. Printing wraps the text to
 * the 80-column terminal by display width, for Chinese as for English. */
enum help_kind {
    HELP_PRE,        /* printed as it is */
    HELP_PARA,       /* a paragraph, wrapped */
    HELP_HEAD,       /* a section's heading */
    HELP_OPT,        /* spelling (never translated) and what the option does */
    HELP_EXIT_CODES, /* the exit code table */
};

struct help_entry {
    enum help_kind kind;
    const char *spelling;
    const char *text;
};

static const struct help_entry help_entries[] = {
    { HELP_PRE, NULL,
      N_("Usage: webtrace [options] <url|host> [<url|host> ...]\n"
         "       webtrace [options] --url @FILE|@-\n"
         "       webtrace serve [options]    the server side (webtrace serve --help)\n"
         "       webtrace demo [options]     an offline trace through in-process servers") },
    { HELP_PARA, NULL,
      N_("Fetch each URL and narrate every step on stderr: DNS lookup, TCP "
      "handshake, TLS, HTTP request and response, connection teardown. The "
      "body goes to stdout (when it is not a terminal) or to -o FILE. A "
      "bare host means http://host/; host:port and [IPv6]:port work too. "
      "International host names are converted to their xn-- form (IDNA "
      "2008).") },
    { HELP_HEAD, NULL,
      N_("Options:") },
    { HELP_OPT, "-h, --help",
      N_("show this help and exit") },
    { HELP_OPT, "-V, --version",
      N_("show the version and exit") },
    { HELP_OPT, "-s, --silent",
      N_("no narration (errors are still shown; -s -s hides them too)") },
    { HELP_OPT, "-v, --verbose",
      N_("also show every header sent and received") },
    { HELP_OPT, "--explain",
      N_("say under each step what it means") },
    { HELP_OPT, "--no-color",
      N_("no colours in the narration (so does NO_COLOR=1)") },
    { HELP_OPT, "--lang zh|en",
      N_("the narration's language (default: from LC_ALL, LC_MESSAGES or "
      "LANG; zh_CN.UTF-8 means zh)") },
    { HELP_OPT, "-o, --output FILE",
      N_("write the body to FILE (\"-\" for stdout)") },
    { HELP_OPT, "-O, --remote-name",
      N_("write the body to a file in the current directory named as the "
      "URL's last path segment (as curl) (each -o or -O goes with one URL, "
      "in order: the Nth to the Nth URL; the others go to stdout)") },
    { HELP_OPT, "--remote-name-all",
      N_("-O for every URL that has no -o or -O") },
    { HELP_OPT, "--output-dir DIR",
      N_("write the -o and -O files under DIR") },
    { HELP_OPT, "--create-dirs",
      N_("create the missing directories of -o and -O paths (mode 0750, as "
      "curl)") },
    { HELP_OPT, "--url URL|@FILE",
      N_("one more URL; @FILE reads URLs from FILE, one per line (@- from "
      "stdin), as curl 8.13") },
    { HELP_OPT, "-i, --include",
      N_("write the response headers before the body") },
    { HELP_OPT, "-D, --dump-header FILE",
      N_("write the response headers to FILE (\"-\" for stdout)") },
    { HELP_OPT, "-4, --ipv4",
      N_("resolve and connect over IPv4 only") },
    { HELP_OPT, "-6, --ipv6",
      N_("resolve and connect over IPv6 only") },
    { HELP_OPT, "--connect-timeout SECONDS",
      N_("give up on a connection (DNS, TCP, TLS) not set up in SECONDS "
      "(default 300, as curl)") },
    { HELP_OPT, "-m, --max-time SECONDS",
      N_("give up on a whole transfer after SECONDS") },
    { HELP_OPT, "--happy-eyeballs-timeout-ms MS",
      N_("with several addresses, start the next connection attempt after MS "
      "without an answer (default 200, as curl); the attempts race and the "
      "first to connect wins") },
    { HELP_OPT, "--dns-timeout SECONDS",
      N_("give up on a DNS lookup after SECONDS (default 5)") },
    { HELP_OPT, "--dns-server ADDR[:PORT]",
      N_("ask this DNS server, not resolv.conf's (up to 8 times); IPv6 with a "
      "port is written [ADDR]:PORT") },
    { HELP_OPT, "--resolve [+]HOST:PORT:ADDR[,ADDR...]",
      N_("connect to ADDR for HOST:PORT without asking DNS (as curl; HOST * "
      "is any host, IPv6 may be in brackets); SNI, Host and the "
      "certificate check keep the URL's name") },
    { HELP_OPT, "--connect-to HOST:PORT:CONNECT-HOST:CONNECT-PORT",
      N_("for HOST:PORT connect to CONNECT-HOST: CONNECT-PORT instead (as "
      "curl; an empty part matches or keeps anything)") },
    { HELP_OPT, "-x, --proxy [http://][USER:PASSWORD@]HOST[:PORT]",
      N_("go through this HTTP proxy (port 1080 when none is given, as curl); "
      "\"\" uses none, not even the environment's (http_proxy, "
      "https_proxy, HTTPS_PROXY, all_proxy, ALL_PROXY, read as curl)") },
    { HELP_OPT, "--noproxy LIST",
      N_("hosts that go direct: names (and their subdomains), addresses, IPv4 "
      "networks with /BITS; * is every host (wins over NO_PROXY)") },
    { HELP_OPT, "-U, --proxy-user USER:PASSWORD",
      N_("Basic authentication to the proxy") },
    { HELP_OPT, "-p, --proxytunnel",
      N_("through the proxy with CONNECT for http:// too") },
    { HELP_OPT, "--ndjson",
      N_("NDJSON events on stdout, one per line (the body then goes only to "
      "-o FILE)") },
    { HELP_OPT, "-w, --write-out FORMAT",
      N_("print FORMAT after each URL, curl's variables (%{http_code}, "
      "%{time_total}, %{json}...); @FILE reads it from FILE, @- from stdin") },
    { HELP_OPT, "--har FILE",
      N_("write a HAR 1.2 log of all URLs to FILE") },
    { HELP_OPT, "--waterfall FILE.svg",
      N_("draw the timings of every fetch as bars on one time axis into an SVG picture") },
    { HELP_OPT, "--no-waterfall",
      N_("no timing bars at the end (drawn only when stderr is a terminal)") },
    { HELP_OPT, "--no-progress-meter",
      N_("no meter line while a body takes over a second (drawn only when stderr is a "
      "terminal)") },
    { HELP_OPT, "--cacert FILE",
      N_("trust the CA certificates in FILE (PEM)") },
    { HELP_OPT, "--capath DIR",
      N_("trust the CA certificates in DIR (hashed names)") },
    { HELP_OPT, "-k, --insecure",
      N_("finish TLS handshakes even when the certificate does not verify "
      "(the result is still shown)") },
    { HELP_OPT, "-L, --location",
      N_("follow redirects (3xx with a Location): each hop is narrated in "
      "full after a [hop ] line") },
    { HELP_OPT, "--max-redirs N",
      N_("give up after N redirects with exit 47 (default 50, as curl; -1 for "
      "no limit)") },
    { HELP_OPT, "--location-trusted",
      N_("like -L, and let credentials follow a redirect to another host, "
      "port or scheme") },
    { HELP_OPT, "-Z, --parallel",
      N_("fetch the URLs at once (a --url @FILE list's too), on one loop; "
      "each narration line starts with [index]") },
    { HELP_OPT, "--parallel-max N",
      N_("at most N at once (default 50, at most 300)") },
    { HELP_OPT, "--parallel-immediate",
      N_("with -Z, open a new connection at once instead of waiting for an "
      "https one to the same origin to be set up (to see what it can "
      "carry), as curl") },
    { HELP_OPT, "--retry N",
      N_("try a transient failure again, up to N times: a timeout, a name not "
      "resolved, 408, 429, 500, 502, 503, 504 (as curl 7.88); 1 s, 2 s, 4 "
      "s... apart, or as the response's Retry-After says") },
    { HELP_OPT, "--retry-delay SECONDS",
      N_("wait SECONDS between retries instead") },
    { HELP_OPT, "--retry-max-time SECONDS",
      N_("no retry after SECONDS from the first try") },
    { HELP_OPT, "--retry-all-errors",
      N_("with --retry, try any failure again") },
    { HELP_OPT, "--retry-connrefused",
      N_("with --retry, a refused connection is transient") },
    { HELP_OPT, "--no-keepalive",
      N_("a new connection for every request: none is kept open for reuse "
      "(webtrace sends no TCP keepalive probes either, curl's meaning of "
      "the option)") },
    { HELP_OPT, "--packets",
      N_("capture this connection's packets and tell the handshake and "
      "teardown with their real sequence numbers (needs CAP_NET_RAW: sudo, "
      "or setcap)") },
    { HELP_OPT, "--pcap FILE",
      N_("also write those packets to FILE (pcap format, for tcpdump -r or "
      "Wireshark); implies --packets") },
    { HELP_OPT, "--strict",
      N_("refuse a response that browsers accept but the HTTP grammar does "
      "not (bare LF, obs-fold...)") },
    { HELP_OPT, "--http1.1",
      N_("speak HTTP/1.1 only: https offers no h2 in ALPN") },
    { HELP_OPT, "--http2",
      N_("HTTP/2 when the server picks h2 in ALPN, else HTTP/1.1 (the default "
      "for https, as curl)") },
    { HELP_OPT, "--http2-prior-knowledge",
      N_("HTTP/2 from the first byte, without asking: h2c on http://, h2 in "
      "ALPN on https://") },
    { HELP_HEAD, NULL,
      N_("The request, with curl's options:") },
    { HELP_OPT, "-X, --request METHOD",
      N_("send METHOD instead of GET, POST or HEAD") },
    { HELP_OPT, "-H, --header \"NAME: VALUE\"",
      N_("add a header, or replace one webtrace sends; \"NAME:\" removes it, "
      "\"NAME;\" sends it empty, @FILE reads one header per line") },
    { HELP_OPT, "-A, --user-agent TEXT",
      N_("the User-Agent (default webtrace/VERSION)") },
    { HELP_OPT, "-e, --referer URL",
      N_("send Referer: URL") },
    { HELP_OPT, "-u, --user USER:PASSWORD",
      N_("Basic authentication (never prompts)") },
    { HELP_OPT, "-I, --head",
      N_("send HEAD and write the response headers") },
    { HELP_OPT, "-d, --data DATA",
      N_("POST DATA as an HTML form would; @FILE or @- reads it without line "
      "breaks; several are joined by &") },
    { HELP_OPT, "--data-binary DATA",
      N_("the same, a file's bytes unchanged") },
    { HELP_OPT, "--data-raw DATA",
      N_("the same, a leading @ is not a file") },
    { HELP_OPT, "--data-urlencode [NAME]=TEXT",
      N_("the same, TEXT percent-encoded (NAME@FILE encodes a file)") },
    { HELP_OPT, "-G, --get",
      N_("put the data in the URL's query and send GET") },
    { HELP_OPT, "-f, --fail",
      N_("exit 22 on a status from 400 up, no body") },
    { HELP_OPT, "--json DATA",
      N_("POST DATA as JSON (@FILE, @-), with Content-Type and Accept: "
      "application/json") },
    { HELP_OPT, "-F, --form NAME=CONTENT",
      N_("POST a multipart/form-data part, as curl; NAME=@FILE uploads a "
      "file, NAME=<FILE sends its content; ;type= ;filename= ;headers=") },
    { HELP_OPT, "--form-string NAME=TEXT",
      N_("the same, TEXT taken as it is (no @ < ;)") },
    { HELP_OPT, "-b, --cookie NAME=VALUE[; ...]|FILE",
      N_("send these cookies; a FILE (Netscape format or Set-Cookie lines) "
      "also turns on the cookie engine: cookies received are sent back") },
    { HELP_OPT, "-c, --cookie-jar FILE",
      N_("turn on the cookie engine and write its cookies to FILE at the end "
      "(curl's Netscape format)") },
    { HELP_OPT, "-T, --upload-file FILE",
      N_("PUT FILE (- reads stdin, sent chunked); a URL ending in / gets the "
      "file's name appended") },
    { HELP_OPT, "--expect100-timeout SECONDS",
      N_("with Expect: 100-continue (-T, or a body over 1 MiB), wait this "
      "long for the server's 100 Continue before sending the body (default "
      "1)") },
    { HELP_OPT, "--fail-with-body",
      N_("exit 22 on a status from 400 up, after the body") },
    { HELP_OPT, "-S, --show-error",
      N_("show the error line even with -s -s") },
    { HELP_OPT, "--compressed",
      N_("ask for deflate, gzip, br or zstd and write the body decoded") },
    { HELP_OPT, "-r, --range RANGE",
      N_("ask for part of the body: START-END, START-, -SUFFIX, or several "
      "joined by commas") },
    { HELP_OPT, "-C, --continue-at OFFSET",
      N_("resume: ask for the body from byte OFFSET on and append it to the "
      "-o file; - takes the file's size") },
    { HELP_OPT, "--limit-rate RATE",
      N_("read the response at most RATE bytes per second on average (k, m, "
      "g: 1024, 1024^2, 1024^3)") },
    { HELP_PARA, NULL,
      N_("SECONDS may have a fraction (0.5); 0 turns --connect-timeout and "
      "--max-time off. At most 1024 URLs on the command line; use --url "
      "@FILE for more.") },
    { HELP_HEAD, NULL,
      N_("Exit codes (the same numbers curl uses):") },
    { HELP_EXIT_CODES, NULL, NULL },

};

/* The codes this version can return, with curl's meaning (27, out of
 * memory, is left out as curl's manual leaves it in the table's tail). */
static const int help_exit_codes[] = { 0,  1,  2,  3,  5,  6,  7,  8,  16, 18, 22, 23, 26,
                                       28, 33, 35, 47, 52, 55, 56, 60, 61, 77, 92, 100 };

#define HELP_WIDTH 79   /* columns: a line never reaches the 80th */
#define HELP_COLUMN 29  /* where an option's text starts */

void wt_cli_print_usage(FILE *out)
{
    for (size_t i = 0; i < sizeof help_entries / sizeof help_entries[0]; i++) {
        const struct help_entry *h = &help_entries[i];
        if (i > 0 && h->kind != HELP_OPT && h->kind != HELP_EXIT_CODES)
            fputc('\n', out);
        switch (h->kind) {
        case HELP_PRE:
            fprintf(out, "%s\n", _(h->text));
            break;
        case HELP_PARA:
        case HELP_HEAD:
            wt_put_wrapped(out, _(h->text), 0, 0, HELP_WIDTH);
            break;
        case HELP_OPT: {
            size_t indent = h->spelling[1] == '-' ? 6 : 2;
            size_t col = indent + wt_text_width(h->spelling, strlen(h->spelling));
            fprintf(out, "%*s%s", (int)indent, "", h->spelling);
            if (col + 2 > HELP_COLUMN) {
                fputc('\n', out);
                col = 0;
            }
            fprintf(out, "%*s", (int)(HELP_COLUMN - col), "");
            wt_put_wrapped(out, _(h->text), HELP_COLUMN, HELP_COLUMN, HELP_WIDTH);
            break;
        }
        case HELP_EXIT_CODES:
            for (size_t c = 0; c < sizeof help_exit_codes / sizeof help_exit_codes[0]; c++) {
                fprintf(out, "%5d  ", help_exit_codes[c]);
                wt_put_wrapped(out, _(wt_exit_describe(help_exit_codes[c])), 7, 7, HELP_WIDTH);
            }
            break;
        }
    }
}

enum {
    OPT_NO_COLOR = 256,
    OPT_CONNECT_TIMEOUT,
    OPT_DNS_TIMEOUT,
    OPT_DNS_SERVER,
    OPT_CACERT,
    OPT_CAPATH,
    OPT_JSON,
    OPT_HAR,
    OPT_EXPLAIN,
    OPT_LANG,
    OPT_HAPPY_EYEBALLS,
    OPT_RESOLVE,
    OPT_CONNECT_TO,
    OPT_MAX_REDIRS,
    OPT_LOCATION_TRUSTED,
    OPT_NO_KEEPALIVE,
    OPT_PARALLEL_MAX,
    OPT_PACKETS,
    OPT_PCAP,
    OPT_STRICT,
    OPT_DATA_BINARY,
    OPT_DATA_RAW,
    OPT_DATA_URLENCODE,
    OPT_JSON_DATA,
    OPT_FAIL_WITH_BODY,
    OPT_URL,
    OPT_REMOTE_NAME_ALL,
    OPT_OUTPUT_DIR,
    OPT_CREATE_DIRS,
    OPT_PARALLEL_IMMEDIATE,
    OPT_RETRY,
    OPT_RETRY_DELAY,
    OPT_RETRY_MAX_TIME,
    OPT_RETRY_ALL_ERRORS,
    OPT_RETRY_CONNREFUSED,
    OPT_COMPRESSED,
    OPT_FORM_STRING,
    OPT_EXPECT100_TIMEOUT,
    OPT_NOPROXY,
    OPT_LIMIT_RATE,
    OPT_HTTP1_1,
    OPT_HTTP2,
    OPT_HTTP2_PRIOR,
    OPT_NO_PROGRESS_METER,
    OPT_WATERFALL,
    OPT_NO_WATERFALL,
};

static const char short_options[] = ":hVsvo:i46m:kw:X:H:A:e:Id:Gu:fSLD:OZr:C:F:b:c:T:x:U:p";

static const struct option long_options[] = {
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { "silent", no_argument, NULL, 's' },
    { "verbose", no_argument, NULL, 'v' },
    { "no-color", no_argument, NULL, OPT_NO_COLOR },
    { "output", required_argument, NULL, 'o' },
    { "include", no_argument, NULL, 'i' },
    { "dump-header", required_argument, NULL, 'D' },
    { "url", required_argument, NULL, OPT_URL },
    { "compressed", no_argument, NULL, OPT_COMPRESSED },
    { "range", required_argument, NULL, 'r' },
    { "continue-at", required_argument, NULL, 'C' },
    { "limit-rate", required_argument, NULL, OPT_LIMIT_RATE },
    { "ipv4", no_argument, NULL, '4' },
    { "ipv6", no_argument, NULL, '6' },
    { "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
    { "max-time", required_argument, NULL, 'm' },
    { "happy-eyeballs-timeout-ms", required_argument, NULL, OPT_HAPPY_EYEBALLS },
    { "dns-timeout", required_argument, NULL, OPT_DNS_TIMEOUT },
    { "dns-server", required_argument, NULL, OPT_DNS_SERVER },
    { "resolve", required_argument, NULL, OPT_RESOLVE },
    { "connect-to", required_argument, NULL, OPT_CONNECT_TO },
    { "cacert", required_argument, NULL, OPT_CACERT },
    { "capath", required_argument, NULL, OPT_CAPATH },
    { "insecure", no_argument, NULL, 'k' },
    { "strict", no_argument, NULL, OPT_STRICT },
    { "http1.1", no_argument, NULL, OPT_HTTP1_1 },
    { "http2", no_argument, NULL, OPT_HTTP2 },
    { "http2-prior-knowledge", no_argument, NULL, OPT_HTTP2_PRIOR },
    { "request", required_argument, NULL, 'X' },
    { "header", required_argument, NULL, 'H' },
    { "user-agent", required_argument, NULL, 'A' },
    { "referer", required_argument, NULL, 'e' },
    { "head", no_argument, NULL, 'I' },
    { "data", required_argument, NULL, 'd' },
    { "data-ascii", required_argument, NULL, 'd' },
    { "data-binary", required_argument, NULL, OPT_DATA_BINARY },
    { "data-raw", required_argument, NULL, OPT_DATA_RAW },
    { "data-urlencode", required_argument, NULL, OPT_DATA_URLENCODE },
    { "get", no_argument, NULL, 'G' },
    { "user", required_argument, NULL, 'u' },
    { "fail", no_argument, NULL, 'f' },
    { "fail-with-body", no_argument, NULL, OPT_FAIL_WITH_BODY },
    { "show-error", no_argument, NULL, 'S' },
    { "location", no_argument, NULL, 'L' },
    { "ndjson", no_argument, NULL, OPT_JSON },
    { "json", required_argument, NULL, OPT_JSON_DATA },
    { "explain", no_argument, NULL, OPT_EXPLAIN },
    { "write-out", required_argument, NULL, 'w' },
    { "har", required_argument, NULL, OPT_HAR },
    { "lang", required_argument, NULL, OPT_LANG },
    { "remote-name", no_argument, NULL, 'O' },
    { "remote-name-all", no_argument, NULL, OPT_REMOTE_NAME_ALL },
    { "output-dir", required_argument, NULL, OPT_OUTPUT_DIR },
    { "create-dirs", no_argument, NULL, OPT_CREATE_DIRS },
    { "location-trusted", no_argument, NULL, OPT_LOCATION_TRUSTED },
    { "max-redirs", required_argument, NULL, OPT_MAX_REDIRS },
    { "no-keepalive", no_argument, NULL, OPT_NO_KEEPALIVE },
    { "parallel", no_argument, NULL, 'Z' },
    { "parallel-max", required_argument, NULL, OPT_PARALLEL_MAX },
    { "parallel-immediate", no_argument, NULL, OPT_PARALLEL_IMMEDIATE },
    { "retry", required_argument, NULL, OPT_RETRY },
    { "retry-delay", required_argument, NULL, OPT_RETRY_DELAY },
    { "retry-max-time", required_argument, NULL, OPT_RETRY_MAX_TIME },
    { "retry-all-errors", no_argument, NULL, OPT_RETRY_ALL_ERRORS },
    { "retry-connrefused", no_argument, NULL, OPT_RETRY_CONNREFUSED },
    { "packets", no_argument, NULL, OPT_PACKETS },
    { "pcap", required_argument, NULL, OPT_PCAP },
    { "form", required_argument, NULL, 'F' },
    { "form-string", required_argument, NULL, OPT_FORM_STRING },
    { "cookie", required_argument, NULL, 'b' },
    { "cookie-jar", required_argument, NULL, 'c' },
    { "upload-file", required_argument, NULL, 'T' },
    { "expect100-timeout", required_argument, NULL, OPT_EXPECT100_TIMEOUT },
    { "proxy", required_argument, NULL, 'x' },
    { "noproxy", required_argument, NULL, OPT_NOPROXY },
    { "proxy-user", required_argument, NULL, 'U' },
    { "proxytunnel", no_argument, NULL, 'p' },
    { "no-progress-meter", no_argument, NULL, OPT_NO_PROGRESS_METER },
    { "waterfall", required_argument, NULL, OPT_WATERFALL },
    { "no-waterfall", no_argument, NULL, OPT_NO_WATERFALL },
    { NULL, 0, NULL, 0 },
};

const char *wt_cli_long_option(size_t i, int *alias)
{
    if (i >= sizeof long_options / sizeof long_options[0])
        return NULL;
    *alias = 0;
    for (size_t k = 0; k < i; k++)
        *alias |= long_options[k].val == long_options[i].val;
    return long_options[i].name;
}

/* The --help entry whose spelling names --name, or NULL. */
static const struct help_entry *help_entry_for(const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < sizeof help_entries / sizeof help_entries[0]; i++) {
        const char *sp = help_entries[i].spelling;
        for (const char *p = sp ? strstr(sp, "--") : NULL; p; p = strstr(p + 2, "--"))
            if (strncmp(p + 2, name, len) == 0 && (p[2 + len] == '\0' || p[2 + len] == ' '))
                return &help_entries[i];
    }
    return NULL;
}

int wt_cli_help_lists(const char *name)
{
    return help_entry_for(name) != NULL;
}

static const struct option *find_option(int val)
{
    for (const struct option *o = long_options; o->name; o++)
        if (o->val == val)
            return o;
    return NULL;
}

/* "-o/--output" or "--dns-server", as the user could have typed it. */
static const char *option_label(int val, char *buf, size_t buflen)
{
    const struct option *o = find_option(val);
    if (!o)
        snprintf(buf, buflen, "-%c", val);
    else if (val < 256)
        snprintf(buf, buflen, "-%c/--%s", val, o->name);
    else
        snprintf(buf, buflen, "--%s", o->name);
    return buf;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int wt_cli_parse_rate(const char *text, uint64_t *out)
{
    if (*text < '0' || *text > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(text, &end, 10);
    if (errno == ERANGE)
        return -1;
    uint64_t unit = 1;
    switch (*end) {
    case '\0': break;
    case 'b': case 'B': end++; break;
    case 'k': case 'K': unit = 1024; end++; break;
    case 'm': case 'M': unit = 1024 * 1024; end++; break;
    case 'g': case 'G': unit = 1024 * 1024 * 1024; end++; break;
    default: return -1;
    }
    if (*end || n > UINT64_MAX / unit)
        return -1;
    *out = (uint64_t)n * unit;
    return 0;
}

int wt_cli_parse_seconds(const char *text, long *out_ms)
{
    if (!text)
        return -1;
    /* Our own decimal reader: strtod would also take "inf", "0x1p3",
     * leading blanks and exponents, none of which a timeout needs. */
    const char *p = text;
    long long ms = 0;
    int digits = 0, any_nonzero = 0;
    for (; is_digit(*p); p++, digits++) {
        ms = ms * 10 + (*p - '0');
        any_nonzero |= *p != '0';
        if (ms > MAX_MS / 1000 + 1)
            return -1;
    }
    ms *= 1000;
    if (*p == '.') {
        long long scale = 100;
        for (p++; is_digit(*p); p++, digits++) {
            int d = *p - '0';
            any_nonzero |= d != 0;
            if (scale > 0)
                ms += d * scale;
            else if (scale == 0 && d >= 5)
                ms++;
            scale = scale > 0 ? scale / 10 : -1;
        }
    }
    if (digits == 0 || *p != '\0')
        return -1;
    /* A tiny positive value must not become 0, which means "no limit". */
    if (ms == 0 && any_nonzero)
        ms = 1;
    if (ms > MAX_MS)
        return -1;
    *out_ms = (long)ms;
    return 0;
}

static int parse_port(const char *text, uint16_t *port)
{
    size_t len = strlen(text);
    if (len == 0 || len > 5)
        return -1;
    long value = 0;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(text[i]))
            return -1;
        value = value * 10 + (text[i] - '0');
    }
    if (value < 1 || value > 65535)
        return -1;
    *port = (uint16_t)value;
    return 0;
}

int wt_cli_parse_dns_server(const char *text, struct wt_dns_server *out)
{
    char addr_text[64];
    const char *port_text = NULL;
    size_t addr_len;
    int family;

    if (!text || !*text)
        return -1;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close)
            return -1;
        addr_len = (size_t)(close - text) - 1;
        if (close[1] == ':')
            port_text = close + 2;
        else if (close[1] != '\0')
            return -1;
        text++;
        family = AF_INET6;
    } else {
        const char *colon = strchr(text, ':');
        if (colon && strchr(colon + 1, ':')) {
            /* Two or more colons: a bare IPv6 address, which cannot carry a port. */
            addr_len = strlen(text);
            family = AF_INET6;
        } else {
            addr_len = colon ? (size_t)(colon - text) : strlen(text);
            port_text = colon ? colon + 1 : NULL;
            family = AF_INET;
        }
    }
    if (addr_len == 0 || addr_len >= sizeof addr_text)
        return -1;
    memcpy(addr_text, text, addr_len);
    addr_text[addr_len] = '\0';

    unsigned char addr[sizeof(struct in6_addr)];
    if (inet_pton(family, addr_text, addr) != 1)
        return -1;
    uint16_t port = 53;
    if (port_text && parse_port(port_text, &port) != 0)
        return -1;
    /* Kept as typed (lower-cased): inet_ntop would print ::1:5353 as the
     * deprecated IPv4-compatible form ::0.1.83.83. */
    for (size_t i = 0; i <= addr_len; i++)
        out->addr[i] = (char)tolower((unsigned char)addr_text[i]);
    out->port = port;
    return 0;
}

/* Reads one host field up to the next ':' (a bracketed IPv6 address may
 * hold colons). Returns the text after the ':' or NULL. */
static const char *take_host(const char *p, char *out, size_t outlen, int *bracketed)
{
    size_t len;
    const char *end;
    *bracketed = 0;
    if (*p == '[') {
        const char *close = strchr(p, ']');
        if (!close || close[1] != ':')
            return NULL;
        p++;
        len = (size_t)(close - p);
        end = close + 1;
        *bracketed = 1;
    } else {
        end = strchr(p, ':');
        if (!end)
            return NULL;
        len = (size_t)(end - p);
    }
    if (len >= outlen)
        return NULL;
    memcpy(out, p, len);
    out[len] = '\0';
    return end + 1;
}

static int is_ipv6_text(const char *text)
{
    struct in6_addr a6;
    return inet_pton(AF_INET6, text, &a6) == 1;
}

/* An international host name is matched in its xn-- form, the form the
 * URL's host takes: convert it in place. */
static int host_to_ascii(const char *option, char *host, size_t hostlen, char *err,
                         size_t errlen)
{
    /* It is narrated and asked of DNS as typed: no controls or spaces. */
    for (const char *p = host; *p; p++) {
        if ((unsigned char)*p <= ' ' || *p == 0x7f) {
            wt_errf(err, errlen, "%s: the host name contains a control character or a space",
                    option);
            return -1;
        }
    }
    if (!wt_idn_needed(host, strlen(host)))
        return 0;
    char ace[WT_CLI_HOST_MAX], why[200];
    if (wt_idn_to_ascii(host, strlen(host), ace, sizeof ace, why, sizeof why) != 0) {
        wt_errf(err, errlen, "%s: %s", option, why);
        return -1;
    }
    snprintf(host, hostlen, "%s", ace);
    return 0;
}

int wt_cli_parse_resolve(const char *text, struct wt_resolve_entry *out, char *err,
                         size_t errlen)
{
    char q[QUOTE_MAX];
    int bracketed;
    memset(out, 0, sizeof *out);
    out->text = text;
    int removal = text[0] == '-';
    /* '+' asks curl to let the entry expire from its DNS cache; one run
     * of webtrace has no cache to expire from. */
    if (text[0] == '+' || removal)
        text++;
    const char *rest = take_host(text, out->host, sizeof out->host, &bracketed);
    if (!rest || !out->host[0] || (bracketed && !is_ipv6_text(out->host))) {
        wt_errf(err, errlen, "--resolve: '%s' does not start with HOST:PORT: (like "
                "example.test:443:127.0.0.1)", wt_quote_input(q, sizeof q, out->text,
                                                             strlen(out->text)));
        return -1;
    }
    if (host_to_ascii("--resolve", out->host, sizeof out->host, err, errlen) != 0)
        return -1;
    char port_text[8];
    const char *colon = strchr(rest, ':');
    size_t port_len = colon ? (size_t)(colon - rest) : strlen(rest);
    if (port_len >= sizeof port_text || (!colon && !removal)) {
        wt_errf(err, errlen, "--resolve: '%s' needs HOST:PORT:ADDR (like "
                "example.test:443:127.0.0.1)", wt_quote_input(q, sizeof q, out->text,
                                                             strlen(out->text)));
        return -1;
    }
    memcpy(port_text, rest, port_len);
    port_text[port_len] = '\0';
    if (parse_port(port_text, &out->port) != 0) {
        wt_errf(err, errlen, "--resolve: '%s' is not a port (1 to 65535)",
                wt_quote_input(q, sizeof q, port_text, strlen(port_text)));
        return -1;
    }
    if (removal)
        return colon ? (wt_errf(err, errlen, "--resolve: a removal is -HOST:PORT, with no "
                                "address"), -1) : 1;
    const char *p = colon + 1;
    do {
        char addr[WT_CLI_ADDR_MAX + 2];
        size_t len = strcspn(p, ",");
        const char *a = p;
        if (len >= 2 && p[0] == '[' && p[len - 1] == ']') {
            a = p + 1;
            len -= 2;
        }
        unsigned char bin[sizeof(struct in6_addr)];
        int ok = len > 0 && len < WT_CLI_ADDR_MAX;
        if (ok) {
            memcpy(addr, a, len);
            addr[len] = '\0';
            ok = inet_pton(AF_INET, addr, bin) == 1 || inet_pton(AF_INET6, addr, bin) == 1;
        }
        if (!ok) {
            wt_errf(err, errlen, "--resolve: '%s' is not an IP address",
                    wt_quote_input(q, sizeof q, p, strcspn(p, ",")));
            return -1;
        }
        if (out->n_addrs == WT_RESOLVE_MAX_ADDRS) {
            wt_errf(err, errlen, "--resolve: at most %d addresses in one entry",
                    WT_RESOLVE_MAX_ADDRS);
            return -1;
        }
        memcpy(out->addrs[out->n_addrs++], addr, len + 1);
        p += strcspn(p, ",");
    } while (*p++ == ',');
    return 0;
}

int wt_cli_parse_connect_to(const char *text, struct wt_connect_to *out, char *err,
                            size_t errlen)
{
    char q[QUOTE_MAX], port_text[8];
    int bracketed;
    memset(out, 0, sizeof *out);
    out->text = text;
    out->port = out->to_port = -1;
    const char *p = take_host(text, out->host, sizeof out->host, &bracketed);
    if (p && bracketed && !is_ipv6_text(out->host))
        p = NULL;
    const char *colon = p ? strchr(p, ':') : NULL;
    if (colon) {
        size_t len = (size_t)(colon - p);
        uint16_t port;
        if (len >= sizeof port_text)
            colon = NULL;
        else if (len > 0) {
            memcpy(port_text, p, len);
            port_text[len] = '\0';
            if (parse_port(port_text, &port) != 0)
                colon = NULL;
            else
                out->port = port;
        }
    }
    if (colon) {
        p = colon + 1;
        if (*p == '[') {
            const char *close = strchr(p, ']');
            if (!close || close[1] != ':' || (size_t)(close - p - 1) >= sizeof out->to_host)
                colon = NULL;
            else {
                memcpy(out->to_host, p + 1, (size_t)(close - p - 1));
                out->to_host[close - p - 1] = '\0';
                if (!is_ipv6_text(out->to_host))
                    colon = NULL;
                p = close + 2;
            }
        } else {
            const char *c2 = strchr(p, ':');
            if (!c2 || (size_t)(c2 - p) >= sizeof out->to_host)
                colon = NULL;
            else {
                memcpy(out->to_host, p, (size_t)(c2 - p));
                out->to_host[c2 - p] = '\0';
                p = c2 + 1;
            }
        }
    }
    if (colon && *p) {
        uint16_t port;
        if (parse_port(p, &port) != 0)
            colon = NULL;
        else
            out->to_port = port;
    }
    if (colon && (host_to_ascii("--connect-to", out->host, sizeof out->host, err, errlen) != 0 ||
                  host_to_ascii("--connect-to", out->to_host, sizeof out->to_host, err,
                                errlen) != 0))
        return -1;
    if (!colon) {
        wt_errf(err, errlen, "--connect-to: '%s' is not HOST:PORT:CONNECT-HOST:CONNECT-PORT "
                "(like example.test:443:127.0.0.1:8443; IPv6 in brackets; empty parts "
                "match or keep anything)", wt_quote_input(q, sizeof q, text, strlen(text)));
        return -1;
    }
    return 0;
}

/* glibc returns '?' with optopt 0 for both unknown and ambiguous long
 * options; only the table tells them apart. */
static void report_bad_long_option(const char *arg, char *err, size_t errlen)
{
    const char *name = arg + 2;
    size_t name_len = strcspn(name, "=");
    char q[QUOTE_MAX];
    char matches[256] = "";
    size_t n_matches = 0, used = 0;

    for (const struct option *o = long_options; o->name; o++) {
        if (name_len == 0 || strncmp(o->name, name, name_len) != 0)
            continue;
        int w = snprintf(matches + used, sizeof matches - used, "%s--%s",
                         n_matches ? ", " : "", o->name);
        if (w > 0 && (size_t)w < sizeof matches - used)
            used += (size_t)w;
        n_matches++;
    }
    wt_quote_input(q, sizeof q, arg, 2 + name_len);
    if (n_matches > 1)
        wt_errf(err, errlen, "option '%s' is ambiguous (%s)", q, matches);
    else
        wt_errf(err, errlen, "unknown option '%s' (try --help)", q);
}

static int parse_seconds_option(int opt, const char *value, long *out_ms,
                                char *err, size_t errlen)
{
    char label[32], q[QUOTE_MAX];
    if (wt_cli_parse_seconds(value, out_ms) != 0) {
        wt_errf(err, errlen, "%s: '%s' is not a number of seconds (like 5 or 0.5)",
                option_label(opt, label, sizeof label), wt_quote_input(q, sizeof q, value, strlen(value)));
        return -1;
    }
    return 0;
}

/* --lang was already acted on at start-up (wt_i18n_init, so that even this
 * parser's errors are in the chosen language); here it is only checked. */
static int check_lang(const char *value, char *err, size_t errlen)
{
    enum wt_lang lang;
    char q[QUOTE_MAX];
    if (wt_i18n_parse_lang(value, &lang) != 0) {
        wt_errf(err, errlen, "--lang: '%s' is not a language (zh or en)",
                wt_quote_input(q, sizeof q, value, strlen(value)));
        return -1;
    }
    return 0;
}

/* RFC 9110 §9.1: a method is a token. */
static int valid_method(const char *m)
{
    if (!*m)
        return 0;
    for (; *m; m++) {
        unsigned char c = (unsigned char)*m;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("!#$%&'*+-.^_`|~", c)))
            return 0;
    }
    return 1;
}

static enum wt_req_arg_kind req_arg_kind(int opt)
{
    switch (opt) {
    case 'H': return WT_REQ_HEADER;
    case OPT_DATA_BINARY: return WT_REQ_DATA_BINARY;
    case OPT_DATA_RAW: return WT_REQ_DATA_RAW;
    case OPT_DATA_URLENCODE: return WT_REQ_DATA_URLENCODE;
    case OPT_JSON_DATA: return WT_REQ_JSON;
    case 'F': return WT_REQ_FORM;
    case OPT_FORM_STRING: return WT_REQ_FORM_STRING;
    default: return WT_REQ_DATA;
    }
}

/* -o FILE or -O (path NULL): the next URL without one gets it. */
static int add_output(struct wt_options *out, const char *path, char *err, size_t errlen)
{
    if (out->n_outputs == WT_MAX_OUTPUTS) {
        wt_errf(err, errlen, "too many -o/-O options (at most %d)", WT_MAX_OUTPUTS);
        return -1;
    }
    out->outputs[out->n_outputs++].path = path;
    return 0;
}

static void set_defaults(struct wt_options *out)
{
    memset(out, 0, sizeof *out);
    out->action = WT_ACTION_TRACE;
    out->color = WT_COLOR_AUTO;
    out->dns_timeout_ms = WT_DEFAULT_DNS_TIMEOUT_MS;
    out->connect_timeout_ms = WT_DEFAULT_CONNECT_TIMEOUT_MS;
    out->expect100_timeout_ms = WT_DEFAULT_EXPECT100_TIMEOUT_MS;
    out->happy_eyeballs_ms = WT_DEFAULT_HAPPY_EYEBALLS_MS;
    out->max_redirs = WT_DEFAULT_MAX_REDIRS;
    out->parallel_max = WT_DEFAULT_PARALLEL_MAX;
}

int wt_cli_parse(int argc, char **argv, struct wt_options *out,
                 char *err, size_t errlen)
{
    int ipv4 = 0, ipv6 = 0;
    char label[32], q[QUOTE_MAX];

    set_defaults(out);
    wt_errf(err, errlen, "%s", "");
    if (argc < 1 || !argv) {
        wt_errf(err, errlen, "no URL given (try --help)");
        return WT_EXIT_USAGE;
    }

    /* optind = 0 makes glibc re-initialise all of getopt's hidden state
     * (including a half-consumed "-sv" cluster), not just the index. */
    optind = 0;
    opterr = 0;
    for (;;) {
        int opt = getopt_long(argc, argv, short_options, long_options, NULL);
        if (opt == -1)
            break;
        switch (opt) {
        case 'h':
            out->action = WT_ACTION_HELP;
            return 0;
        case 'V':
            out->action = WT_ACTION_VERSION;
            return 0;
        case 's':
            out->silent++;
            break;
        case 'v':
            out->verbose = 1;
            break;
        case OPT_NO_COLOR:
            out->color = WT_COLOR_NEVER;
            break;
        case 'o':
            if (optarg[0] == '\0') {
                wt_errf(err, errlen, "%s needs a file name (\"-\" for %s)",
                        option_label(opt, label, sizeof label), "stdout");
                return WT_EXIT_USAGE;
            }
            out->output = optarg;
            if (add_output(out, optarg, err, errlen) < 0)
                return WT_EXIT_USAGE;
            break;
        case OPT_REMOTE_NAME_ALL:
            out->remote_name_all = 1;
            break;
        case OPT_OUTPUT_DIR:
            if (optarg[0] == '\0') {
                wt_errf(err, errlen, "--output-dir needs a directory name");
                return WT_EXIT_USAGE;
            }
            out->output_dir = optarg;
            break;
        case OPT_CREATE_DIRS:
            out->create_dirs = 1;
            break;
        case 'i':
            out->include = 1;
            break;
        case 'D':
            if (optarg[0] == '\0') {
                wt_errf(err, errlen, "%s needs a file name (\"-\" for %s)",
                        option_label(opt, label, sizeof label), "stdout");
                return WT_EXIT_USAGE;
            }
            out->dump_header = optarg;
            break;
        case OPT_URL:
            /* curl 8.13: --url @FILE reads a list of URLs, @- from stdin */
            if (optarg[0] == '@') {
                if (optarg[1] == '\0') {
                    wt_errf(err, errlen, "%s needs a file name (\"-\" for %s)", "--url @",
                            "stdin");
                    return WT_EXIT_USAGE;
                }
                out->url_file = optarg + 1;
                break;
            }
            if (out->n_urls == WT_MAX_URLS) {
                wt_errf(err, errlen, "too many URLs on the command line (at most %d; use "
                        "--url @FILE)", WT_MAX_URLS);
                return WT_EXIT_USAGE;
            }
            out->urls[out->n_urls++] = optarg;
            break;
        case '4':
            ipv4 = 1;
            out->ip_family = 4;
            break;
        case '6':
            ipv6 = 1;
            out->ip_family = 6;
            break;
        case OPT_CONNECT_TIMEOUT:
            if (parse_seconds_option(opt, optarg, &out->connect_timeout_ms, err, errlen) != 0)
                return WT_EXIT_USAGE;
            break;
        case 'm':
            if (parse_seconds_option(opt, optarg, &out->max_time_ms, err, errlen) != 0)
                return WT_EXIT_USAGE;
            break;
        case OPT_HAPPY_EYEBALLS: {
            char *end;
            errno = 0;
            long ms = strtol(optarg, &end, 10);
            if (!isdigit((unsigned char)optarg[0]) || *end || errno || ms > MAX_MS) {
                wt_errf(err, errlen, "--happy-eyeballs-timeout-ms: '%s' is not a number of "
                        "milliseconds (like 200)",
                        wt_quote_input(q, sizeof q, optarg, strlen(optarg)));
                return WT_EXIT_USAGE;
            }
            out->happy_eyeballs_ms = ms;
            break;
        }
        case OPT_DNS_TIMEOUT:
            if (parse_seconds_option(opt, optarg, &out->dns_timeout_ms, err, errlen) != 0)
                return WT_EXIT_USAGE;
            if (out->dns_timeout_ms == 0) {
                wt_errf(err, errlen, "--dns-timeout must be more than 0 seconds");
                return WT_EXIT_USAGE;
            }
            break;
        case OPT_DNS_SERVER:
            if (out->n_dns_servers == WT_MAX_DNS_SERVERS) {
                wt_errf(err, errlen, "too many --dns-server options (at most %d)",
                        WT_MAX_DNS_SERVERS);
                return WT_EXIT_USAGE;
            }
            if (wt_cli_parse_dns_server(optarg, &out->dns_servers[out->n_dns_servers]) != 0) {
                wt_errf(err, errlen, "--dns-server: '%s' is not an IP address with an "
                        "optional port (like 127.0.0.1:5353 or [::1]:5353)",
                        wt_quote_input(q, sizeof q, optarg, strlen(optarg)));
                return WT_EXIT_USAGE;
            }
            out->n_dns_servers++;
            break;
        case OPT_RESOLVE: {
            struct wt_resolve_entry entry;
            int r = wt_cli_parse_resolve(optarg, &entry, err, errlen);
            if (r < 0)
                return WT_EXIT_USAGE;
            if (r == 1) {
                /* -HOST:PORT drops what earlier options said for it */
                size_t kept = 0;
                for (size_t i = 0; i < out->n_resolve; i++)
                    if (out->resolve[i].port != entry.port ||
                        strcasecmp(out->resolve[i].host, entry.host) != 0)
                        out->resolve[kept++] = out->resolve[i];
                out->n_resolve = kept;
                break;
            }
            if (out->n_resolve == WT_MAX_RESOLVE) {
                wt_errf(err, errlen, "too many --resolve options (at most %d)", WT_MAX_RESOLVE);
                return WT_EXIT_USAGE;
            }
            out->resolve[out->n_resolve++] = entry;
            break;
        }
        case OPT_CONNECT_TO:
            if (out->n_connect_to == WT_MAX_CONNECT_TO) {
                wt_errf(err, errlen, "too many --connect-to options (at most %d)",
                        WT_MAX_CONNECT_TO);
                return WT_EXIT_USAGE;
            }
            if (wt_cli_parse_connect_to(optarg, &out->connect_to[out->n_connect_to], err,
                                        errlen) != 0)
                return WT_EXIT_USAGE;
            out->n_connect_to++;
            break;
        case OPT_CACERT:
        case OPT_CAPATH:
            if (optarg[0] == '\0') {
                if (opt == OPT_CACERT)
                    wt_errf(err, errlen, "--cacert needs a file name");
                else
                    wt_errf(err, errlen, "--capath needs a directory name");
                return WT_EXIT_USAGE;
            }
            if (opt == OPT_CACERT)
                out->cacert = optarg;
            else
                out->capath = optarg;
            break;
        case 'k':
            out->insecure = 1;
            break;
        case OPT_STRICT:
            out->strict = 1;
            break;
        case OPT_HTTP1_1:   /* as curl: the last of the three counts */
            out->http_version = WT_HTTP_VERSION_1_1;
            break;
        case OPT_HTTP2:
            out->http_version = WT_HTTP_VERSION_DEFAULT;
            break;
        case OPT_HTTP2_PRIOR:
            out->http_version = WT_HTTP_VERSION_2_PRIOR;
            break;
        case 'X':
            if (!valid_method(optarg)) {
                wt_errf(err, errlen, "-X/--request: '%s' is not a method (letters, digits, "
                        "!#$%%&'*+-.^_`|~)", wt_quote_input(q, sizeof q, optarg, strlen(optarg)));
                return WT_EXIT_USAGE;
            }
            out->method = optarg;
            break;
        case 'A':
        case 'e':
            /* a line break would end the header and start one of the user's making */
            if (strpbrk(optarg, "\r\n")) {
                wt_errf(err, errlen, "%s: a header value cannot contain a line break",
                        option_label(opt, label, sizeof label));
                return WT_EXIT_USAGE;
            }
            if (opt == 'A')
                out->user_agent = optarg;
            else
                out->referer = optarg;
            break;
        case 'I':
            out->head = 1;
            break;
        case 'G':
            out->get = 1;
            break;
        case 'u':
            /* curl would prompt for the password; webtrace never reads the terminal */
            if (!strchr(optarg, ':')) {
                wt_errf(err, errlen, "-u/--user needs user:password (webtrace does not prompt)");
                return WT_EXIT_USAGE;
            }
            out->user = optarg;
            break;
        case 'f':
            out->fail = WT_FAIL_NO_BODY;
            break;
        case OPT_FAIL_WITH_BODY:
            out->fail = WT_FAIL_WITH_BODY;
            break;
        case 'S':
            out->show_error = 1;
            break;
        case OPT_COMPRESSED:
            out->compressed = 1;
            break;
        case OPT_NO_PROGRESS_METER:
            out->no_progress_meter = 1;
            break;
        case OPT_WATERFALL:
            if (optarg[0] == '\0') {
                wt_errf(err, errlen, "--waterfall needs a file name");
                return WT_EXIT_USAGE;
            }
            out->waterfall = optarg;
            break;
        case OPT_NO_WATERFALL:
            out->no_waterfall = 1;
            break;
        case OPT_LIMIT_RATE:
            if (wt_cli_parse_rate(optarg, &out->limit_rate) < 0) {
                wt_errf(err, errlen, "--limit-rate: '%s' is not a rate (bytes per second, "
                        "with k, m or g for 1024, 1024^2 or 1024^3)",
                        wt_quote_input(q, sizeof q, optarg, strlen(optarg)));
                return WT_EXIT_USAGE;
            }
            break;
        case 'r':
            /* curl sends any text after "bytes=" (warning about odd ones);
             * only what would break the header line is refused here */
            for (const char *p = optarg; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f) {
                    wt_errf(err, errlen, "-r/--range: '%s' holds a control character",
                            wt_quote_input(q, sizeof q, optarg, strlen(optarg)));
                    return WT_EXIT_USAGE;
                }
            if (!*optarg) {
                wt_errf(err, errlen, "-r/--range needs a range (START-END, START-, -SUFFIX)");
                return WT_EXIT_USAGE;
            }
            out->range = optarg;
            break;
        case 'C':
            if (strcmp(optarg, "-") == 0) {
                out->resume_current = 1;
                out->resume_from = 0;
                break;
            }
            {
                char *end;
                errno = 0;
                long long n = strtoll(optarg, &end, 10);
                if (end == optarg || *end || errno == ERANGE || n < 0) {
                    wt_errf(err, errlen, "-C/--continue-at: '%s' is not an offset (a number of "
                            "bytes from 0, or - for the -o file's size)",
                            wt_quote_input(q, sizeof q, optarg, strlen(optarg)));
                    return WT_EXIT_USAGE;
                }
                out->resume_current = 0;
                out->resume_from = (int64_t)n;
            }
            break;
        case 'b':
            if (out->n_cookies == WT_MAX_COOKIE_ARGS) {
                wt_errf(err, errlen, "more than %d -b options", WT_MAX_COOKIE_ARGS);
                return WT_EXIT_USAGE;
            }
            out->cookies[out->n_cookies++] = optarg;
            break;
        case 'c':
            out->cookie_jar = optarg;
            break;
        case 'T':
            out->upload_file = optarg;
            break;
        case OPT_EXPECT100_TIMEOUT:
            if (parse_seconds_option(opt, optarg, &out->expect100_timeout_ms, err, errlen) != 0)
                return WT_EXIT_USAGE;
            break;
        case 'H':
        case 'd':
        case OPT_DATA_BINARY:
        case OPT_DATA_RAW:
        case OPT_DATA_URLENCODE:
        case OPT_JSON_DATA:
        case 'F':
        case OPT_FORM_STRING:
            if (out->n_req_args == WT_MAX_REQ_ARGS) {
                wt_errf(err, errlen, "more than %d -H and -d options", WT_MAX_REQ_ARGS);
                return WT_EXIT_USAGE;
            }
            out->req_args[out->n_req_args].kind = req_arg_kind(opt);
            out->req_args[out->n_req_args++].value = optarg;
            break;
        case OPT_JSON:
            out->json = 1;
            break;
        case OPT_EXPLAIN:
            out->explain = 1;
            break;
        case 'w':
            out->writeout = optarg;
            break;
        case OPT_LANG:
            if (check_lang(optarg, err, errlen) != 0)
                return WT_EXIT_USAGE;
            break;
        case OPT_HAR:
            if (optarg[0] == '\0') {
                wt_errf(err, errlen, "--har needs a file name");
                return WT_EXIT_USAGE;
            }
            out->har = optarg;
            break;
        case 'L':
            out->follow_location = 1;
            break;
        case 'O':
            out->remote_name = 1;
            if (add_output(out, NULL, err, errlen) < 0)
                return WT_EXIT_USAGE;
            break;
        case OPT_LOCATION_TRUSTED:
            /* as curl: it implies -L */
            out->follow_location = 1;
            out->location_trusted = 1;
            break;
        case OPT_NO_KEEPALIVE:
            out->no_keepalive = 1;
            break;
        case 'Z':
            out->parallel = 1;
            break;
        case OPT_PARALLEL_IMMEDIATE:
            out->parallel_immediate = 1;
            break;
        case OPT_RETRY: {
            char *end;
            errno = 0;
            long n = strtol(optarg, &end, 10);
            if (optarg[0] == '\0' || *end != '\0' || errno || n < 0 || n > INT_MAX) {
                wt_errf(err, errlen, "--retry: '%s' is not a number of retries",
                        wt_quote_input(q, sizeof q, optarg, strlen(optarg)));
                return WT_EXIT_USAGE;
            }
            out->retry = n;
            break;
        }
        case OPT_RETRY_DELAY:
        case OPT_RETRY_MAX_TIME:
            /* curl takes whole seconds; a fraction is accepted here too */
            if (wt_cli_parse_seconds(optarg, opt == OPT_RETRY_DELAY ? &out->retry_delay_ms
                                                                    : &out->retry_max_time_ms)) {
                wt_errf(err, errlen, "%s: '%s' is not a number of seconds",
                        option_label(opt, label, sizeof label),
                        wt_quote_input(q, sizeof q, optarg, strlen(optarg)));
                return WT_EXIT_USAGE;
            }
            break;
        case OPT_RETRY_ALL_ERRORS:
            out->retry_all_errors = 1;
            break;
        case OPT_RETRY_CONNREFUSED:
            out->retry_connrefused = 1;
            break;
        case 'x':
            out->proxy = optarg;
            break;
        case OPT_NOPROXY:
            out->noproxy = optarg;
            break;
        case 'U':
            /* as -u: curl would prompt for the password */
            if (!strchr(optarg, ':')) {
                wt_errf(err, errlen, "-U/--proxy-user needs user:password (webtrace does not prompt)");
                return WT_EXIT_USAGE;
            }
            out->proxy_user = optarg;
            break;
        case 'p':
            out->proxytunnel = 1;
            break;
        case OPT_PARALLEL_MAX: {
            char *end;
            errno = 0;
            long n = strtol(optarg, &end, 10);
            if (optarg[0] == '\0' || *end != '\0' || errno) {
                wt_errf(err, errlen, "--parallel-max: '%s' is not a number",
                        wt_quote_input(q, sizeof q, optarg, strlen(optarg)));
                return WT_EXIT_USAGE;
            }
            /* as curl: above the cap means the cap, below 1 the default */
            out->parallel_max = n > WT_PARALLEL_MAX_LIMIT ? WT_PARALLEL_MAX_LIMIT
                                : n < 1                   ? WT_DEFAULT_PARALLEL_MAX
                                                          : n;
            break;
        }
        case OPT_MAX_REDIRS: {
            char *end;
            errno = 0;
            long n = strtol(optarg, &end, 10);
            if (optarg[0] == '\0' || *end != '\0' || errno || n < -1 || n > INT_MAX) {
                wt_errf(err, errlen, "--max-redirs: '%s' is not a number of redirects "
                        "(-1 for no limit)",
                        wt_quote_input(q, sizeof q, optarg, strlen(optarg)));
                return WT_EXIT_USAGE;
            }
            out->max_redirs = n;
            break;
        }
        case OPT_PACKETS:
            out->packets = 1;
            break;
        case OPT_PCAP:
            if (optarg[0] == '\0') {
                wt_errf(err, errlen, "--pcap needs a file name");
                return WT_EXIT_USAGE;
            }
            out->pcap = optarg;
            out->packets = 1;
            break;
        case ':':
            wt_errf(err, errlen, "option %s needs a value",
                    option_label(optopt, label, sizeof label));
            return WT_EXIT_USAGE;
        case '?':
        default:
            if (optopt != 0 && find_option(optopt)) {
                /* A known option answered with '?' is "--silent=yes". */
                wt_errf(err, errlen, "option --%s does not take a value",
                        find_option(optopt)->name);
            } else if (optopt != 0) {
                char c = (char)optopt;
                wt_errf(err, errlen, "unknown option '-%s' (try --help)",
                        wt_quote_input(q, sizeof q, &c, 1));
            } else {
                report_bad_long_option(argv[optind - 1], err, errlen);
            }
            return WT_EXIT_USAGE;
        }
    }

    for (int i = optind; i < argc; i++) {
        if (out->n_urls == WT_MAX_URLS) {
            wt_errf(err, errlen, "too many URLs on the command line (at most %d; use "
                    "--url @FILE)", WT_MAX_URLS);
            return WT_EXIT_USAGE;
        }
        out->urls[out->n_urls++] = argv[i];
    }

    if (ipv4 && ipv6) {
        wt_errf(err, errlen, "-4 and -6 exclude each other (pick one address family)");
        return WT_EXIT_USAGE;
    }
    int has_data = 0, has_form = 0;
    for (size_t i = 0; i < out->n_req_args; i++) {
        has_data |= out->req_args[i].kind != WT_REQ_HEADER;
        has_form |= out->req_args[i].kind == WT_REQ_FORM ||
                    out->req_args[i].kind == WT_REQ_FORM_STRING;
    }
    if (out->upload_file && (has_data || out->head)) {
        /* curl: "You can only select one HTTP request method!" */
        wt_errf(err, errlen, "-T (an upload) and -d/-F/--json or -I ask for two kinds of "
                "request: pick one");
        return WT_EXIT_USAGE;
    }
    for (size_t i = 0; has_form && i < out->n_req_args; i++) {
        enum wt_req_arg_kind k = out->req_args[i].kind;
        if (k != WT_REQ_HEADER && k != WT_REQ_FORM && k != WT_REQ_FORM_STRING) {
            wt_errf(err, errlen, "-F (multipart) and -d/--json (one body) ask for two kinds "
                    "of POST: pick one");
            return WT_EXIT_USAGE;
        }
    }
    if (out->head && has_data && !out->get) {
        /* curl: "You can only select one HTTP request method!" */
        wt_errf(err, errlen, "-I (HEAD) and -d/--json (POST) ask for two methods: pick one");
        return WT_EXIT_USAGE;
    }
    if (out->silent >= 2 && out->show_error)
        out->silent = 1;   /* -sS: quiet, but errors are still shown, as curl */
    if (out->n_urls == 0 && !out->url_file) {
        wt_errf(err, errlen, "no URL given (try --help)");
        return WT_EXIT_USAGE;
    }
    return 0;
}

/* ---- webtrace serve / webtrace demo -------------------------------------- */

const char *const wt_cli_serve_usage = N_(
    "Usage: webtrace serve [--bind ADDR] [--port N] [--tls [--cert FILE --key FILE]]\n"
    "\n"
    "A small HTTP/1.1 server (HTTP/2 too over --tls, when ALPN picks h2) that\n"
    "narrates the server side: socket, bind, listen, accept, request, response,\n"
    "close. Stops on Ctrl-C (SIGINT/SIGTERM).\n"
    "\n"
    "Options:\n"
    "      --bind ADDR            numeric address to listen on (default 127.0.0.1:\n"
    "                             only this machine; 0.0.0.0 or :: is everyone)\n"
    "      --port N               port (default 8080; 0 lets the kernel choose)\n"
    "      --tls                  serve https with a certificate made at start\n"
    "      --cert FILE            with --tls: this PEM certificate (chain) instead\n"
    "      --key FILE             its PEM private key (default: in --cert)\n"
    "      --idle-timeout SECONDS close idle or slow clients after SECONDS (10)\n"
    "      --ndjson               NDJSON events on stdout\n"
    "      --explain              say under each step what it means (and name\n"
    "                             every socket call, as -v)\n"
    "  -v, --verbose              name every socket call with its arguments and\n"
    "                             result: accept() = 5, recv(5, 16384) = 79 bytes\n"
    "  -s, --silent               no narration\n"
    "      --no-color             no colours\n"
    "      --lang zh|en           the narration's language (default: from LANG)\n"
    "\n"
    "Endpoints: /  /bytes/N  /chunked/N  /status/CODE  /delay/MS  /redirect/N\n"
    "           /headers (your request headers as JSON)\n"
    "           /echo (your request's method, headers and body as JSON)\n"
    "           /gzip /deflate /br /zstd (/headers' JSON, compressed so)\n");

const char *const wt_cli_demo_usage = N_(
    "Usage: webtrace demo [--packets] [--no-explain] [--stay] [-v] [-s] [--ndjson]\n"
    "                     [--no-color] [--lang zh|en]\n"
    "\n"
    "Starts a DNS server for the zone webtrace.test and an HTTP and an HTTPS\n"
    "server, all inside this process on loopback, then traces\n"
    "http://www.webtrace.test:PORT/ and https://www.webtrace.test:PORT/ through\n"
    "them: real DNS packets, real TCP, real TLS. No network needed.\n"
    "\n"
    "  --stay     keep the three servers running afterwards, to try dig or curl\n"
    "             against them (Ctrl-C stops them)\n"
    "  --packets  capture the connections' packets and show their sequence\n"
    "             numbers; without root the demo runs in a user and network\n"
    "             namespace of its own, where it may capture\n");

enum {
    SOPT_BIND = 512,
    SOPT_PORT,
    SOPT_TLS,
    SOPT_CERT,
    SOPT_KEY,
    SOPT_IDLE,
    SOPT_JSON,
    SOPT_EXPLAIN,
    SOPT_NO_COLOR,
    SOPT_NO_EXPLAIN,
    SOPT_STAY,
    SOPT_LANG,
    SOPT_PACKETS,
};

static const struct option serve_options[] = {
    { "help", no_argument, NULL, 'h' },
    { "bind", required_argument, NULL, SOPT_BIND },
    { "port", required_argument, NULL, SOPT_PORT },
    { "tls", no_argument, NULL, SOPT_TLS },
    { "cert", required_argument, NULL, SOPT_CERT },
    { "key", required_argument, NULL, SOPT_KEY },
    { "idle-timeout", required_argument, NULL, SOPT_IDLE },
    { "ndjson", no_argument, NULL, SOPT_JSON },
    { "explain", no_argument, NULL, SOPT_EXPLAIN },
    { "silent", no_argument, NULL, 's' },
    { "no-color", no_argument, NULL, SOPT_NO_COLOR },
    { "lang", required_argument, NULL, SOPT_LANG },
    { "verbose", no_argument, NULL, 'v' },
    { NULL, 0, NULL, 0 },
};

/* Shared tail of the two small parsers: what getopt said was wrong. */
static int subcommand_error(int opt, const char *name, char **argv, char *err, size_t errlen)
{
    char q[QUOTE_MAX];
    const char *arg = argv[optind - 1];
    wt_quote_input(q, sizeof q, arg, strlen(arg));
    if (opt == SOPT_LANG)
        check_lang(optarg, err, errlen);
    else if (opt == ':')
        wt_errf(err, errlen, "%s: option needs a value: %s", name, q);
    else
        wt_errf(err, errlen, "%s: unknown option %s (try %s --help)", name, q, name);
    return WT_EXIT_USAGE;
}

/* "serve: unexpected argument 'x'" for the first argument left over. */
static int unexpected_argument(const char *name, const char *arg, char *err, size_t errlen)
{
    char q[QUOTE_MAX];
    wt_errf(err, errlen, "%s: unexpected argument '%s'", name,
            wt_quote_input(q, sizeof q, arg, strlen(arg)));
    return WT_EXIT_USAGE;
}

/* -s, --ndjson, --no-color and --lang mean the same to serve and demo.
 * Returns 1 when opt was one of them. */
static int output_option(int opt, int *silent, int *json, enum wt_color_mode *color)
{
    enum wt_lang lang;
    switch (opt) {
    case SOPT_LANG:
        /* A bad value falls through to the caller, which reports it. */
        return wt_i18n_parse_lang(optarg, &lang) == 0;
    case 's':
        (*silent)++;
        return 1;
    case SOPT_JSON:
        *json = 1;
        return 1;
    case SOPT_NO_COLOR:
        *color = WT_COLOR_NEVER;
        return 1;
    default:
        return 0;
    }
}

int wt_cli_parse_serve(int argc, char **argv, struct wt_serve_options *out, char *err,
                       size_t errlen)
{
    char q[QUOTE_MAX];
    memset(out, 0, sizeof *out);
    out->port = 8080;
    wt_errf(err, errlen, "%s", "");
    optind = 0;
    opterr = 0;
    for (;;) {
        int opt = getopt_long(argc, argv, ":hsv", serve_options, NULL);
        if (opt == -1)
            break;
        if (output_option(opt, &out->silent, &out->json, &out->color))
            continue;
        switch (opt) {
        case 'h':
            out->action = WT_ACTION_HELP;
            return 0;
        case 'v':
            out->verbose = 1;
            break;
        case SOPT_BIND:
            out->bind = optarg;
            break;
        case SOPT_PORT: {
            char *end;
            errno = 0;
            unsigned long v = strtoul(optarg, &end, 10);
            if (errno || *end || end == optarg || v > 65535 || optarg[0] == '-') {
                wt_errf(err, errlen, "--port: '%s' is not a port number (0-65535)",
                        wt_quote_input(q, sizeof q, optarg, strlen(optarg)));
                return WT_EXIT_USAGE;
            }
            out->port = (uint16_t)v;
            break;
        }
        case SOPT_TLS:
            out->tls = 1;
            break;
        case SOPT_CERT:
            out->cert = optarg;
            break;
        case SOPT_KEY:
            out->key = optarg;
            break;
        case SOPT_IDLE:
            if (wt_cli_parse_seconds(optarg, &out->idle_timeout_ms) < 0 ||
                out->idle_timeout_ms == 0) {
                wt_errf(err, errlen, "--idle-timeout: '%s' is not a positive number of "
                        "seconds", wt_quote_input(q, sizeof q, optarg, strlen(optarg)));
                return WT_EXIT_USAGE;
            }
            break;
        case SOPT_EXPLAIN:
            out->explain = 1;
            break;
        default:
            return subcommand_error(opt, "serve", argv, err, errlen);
        }
    }
    if (optind < argc)
        return unexpected_argument("serve", argv[optind], err, errlen);
    if ((out->cert || out->key) && !out->tls) {
        wt_errf(err, errlen, "serve: --cert and --key go with --tls");
        return WT_EXIT_USAGE;
    }
    if (out->key && !out->cert) {
        wt_errf(err, errlen, "serve: --key needs --cert");
        return WT_EXIT_USAGE;
    }
    return 0;
}

static const struct option demo_options[] = {
    { "help", no_argument, NULL, 'h' },
    { "silent", no_argument, NULL, 's' },
    { "verbose", no_argument, NULL, 'v' },
    { "ndjson", no_argument, NULL, SOPT_JSON },
    { "no-explain", no_argument, NULL, SOPT_NO_EXPLAIN },
    { "stay", no_argument, NULL, SOPT_STAY },
    { "no-color", no_argument, NULL, SOPT_NO_COLOR },
    { "lang", required_argument, NULL, SOPT_LANG },
    { "packets", no_argument, NULL, SOPT_PACKETS },
    { NULL, 0, NULL, 0 },
};

int wt_cli_parse_demo(int argc, char **argv, struct wt_demo_options *out, char *err,
                      size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->explain = 1;
    wt_errf(err, errlen, "%s", "");
    optind = 0;
    opterr = 0;
    for (;;) {
        int opt = getopt_long(argc, argv, ":hsv", demo_options, NULL);
        if (opt == -1)
            break;
        if (output_option(opt, &out->silent, &out->json, &out->color))
            continue;
        switch (opt) {
        case 'h':
            out->action = WT_ACTION_HELP;
            return 0;
        case 'v':
            out->verbose = 1;
            break;
        case SOPT_NO_EXPLAIN:
            out->explain = 0;
            break;
        case SOPT_STAY:
            out->stay = 1;
            break;
        case SOPT_PACKETS:
            out->packets = 1;
            break;
        default:
            return subcommand_error(opt, "demo", argv, err, errlen);
        }
    }
    if (optind < argc)
        return unexpected_argument("demo", argv[optind], err, errlen);
    return 0;
}

/* The three tables, for what is generated from them. An alias without a
 * --help entry of its own (--data-ascii) takes the entry of the first
 * name that does the same. */
int wt_cli_option_info(const char *command, size_t i, struct wt_cli_option_info *out)
{
    const struct option *table = long_options;
    size_t n = sizeof long_options / sizeof long_options[0] - 1;
    if (command && strcmp(command, "serve") == 0) {
        table = serve_options;
        n = sizeof serve_options / sizeof serve_options[0] - 1;
    } else if (command && strcmp(command, "demo") == 0) {
        table = demo_options;
        n = sizeof demo_options / sizeof demo_options[0] - 1;
    } else if (command) {
        return -1;
    }
    if (i >= n)
        return -1;
    memset(out, 0, sizeof *out);
    out->name = table[i].name;
    out->takes_arg = table[i].has_arg != no_argument;
    out->short_name = table[i].val < 256 && isalnum(table[i].val) ? table[i].val : 0;
    size_t first = i;
    for (size_t k = 0; k < i; k++)
        if (table[k].val == table[i].val && first == i)
            first = k;
    out->alias = first != i;
    if (table != long_options)
        return 0;
    const struct help_entry *h = help_entry_for(table[i].name);
    if (!h)
        h = help_entry_for(table[first].name);
    if (h) {
        out->spelling = h->spelling;
        out->text = h->text;
    }
    return 0;
}
