/* The narration: one line per step on stderr, tagged with its layer. */
#include "webtrace/render.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "webtrace/cookie.h"
#include "webtrace/dnsmsg.h"
#include "webtrace/escape.h"
#include "webtrace/form.h"
#include "webtrace/http.h"
#include "webtrace/i18n.h"
#include "webtrace/netaddr.h"
#include "webtrace/textwidth.h"
#include "webtrace/url.h"

#define SHOWN_VALUE_MAX 2048   /* header bytes shown per value before "…" */
#define FRAMING_LINE_MAX 1024
#define DNS_SERVERS_SHOWN 8    /* resolvers named in the "looking up" line */
/* Address records listed per DNS reply and addresses in the "resolved"
 * line; the rest are counted in a line of their own, and --ndjson has them
 * all. */
#define DNS_RECORDS_SHOWN 16
#define DNS_ADDRESSES_SHOWN 16
#define TAG_COLUMN "[dns ] "   /* every tag is this wide: the indent of ↳ and the summary */

#define TABLE_ROWS_MAX 1000   /* URLs in the end-of-run table; the rest are counted */
#define TABLE_URL_MAX 120     /* input bytes of a URL shown in its row */

/* One URL of the run, for the table at its end: its last hop's status,
 * body size and connection, the transfer's exit code and time. */
struct url_row {
    char url[WT_ESCAPE_TERM_MAX(TABLE_URL_MAX) + 8];
    int status;
    int exit_code;
    uint64_t size;
    int64_t total_us;
    unsigned hops;
    unsigned conn;             /* 0: none */
    int32_t stream;            /* HTTP/2: the stream that carried the last request, 0 none */
    int reused;
    int done;
};

/* The framing headers of a response being read, gathered into one line
 * from its header events; one per URL, since with -Z those interleave. */
struct framing {
    size_t url_index;
    size_t len;
    char line[FRAMING_LINE_MAX];
};

struct text_state {
    struct wt_render_config cfg;
    size_t url_index;                 /* of the event being rendered (url_prefix) */
    struct framing **framing;         /* of the responses whose headers are being read */
    size_t n_framing, cap_framing;
    struct url_row *rows;
    size_t n_rows;                    /* rows in use (url_index + 1 of the highest) */
    size_t cap_rows;
    size_t rows_left_out;             /* URLs past TABLE_ROWS_MAX */
    size_t dns_records_shown;         /* of the last DNS reply */
    size_t dns_records_hidden;        /* of the last DNS reply, past DNS_RECORDS_SHOWN */
    size_t dns_records_url;           /* url_index of those records */
};

enum color { C_NONE, C_URL, C_DNS, C_TCP, C_TLS, C_HTTP, C_ERROR, C_DIM, C_WARN };

static const char *const ansi[] = {
    [C_NONE] = "", [C_URL] = "\033[35m", [C_DNS] = "\033[36m", [C_TCP] = "\033[33m",
    [C_TLS] = "\033[34m", [C_HTTP] = "\033[32m", [C_ERROR] = "\033[1;31m",
    [C_DIM] = "\033[2m", [C_WARN] = "\033[1;33m",
};

void wt_format_duration(int64_t us, char *buf, size_t buflen)
{
    if (us < 0)
        snprintf(buf, buflen, "–");
    else if (us < 10000)
        snprintf(buf, buflen, "%.2f ms", (double)us / 1000.0);
    else if (us < 1000000)
        snprintf(buf, buflen, "%.1f ms", (double)us / 1000.0);
    else
        snprintf(buf, buflen, "%.2f s", (double)us / 1e6);
}

/* With -Z every line says which URL it belongs to. */
static void line_start(struct text_state *s)
{
    if (s->cfg.url_prefix)
        fprintf(s->cfg.out, "[%zu] ", s->url_index);
}

static void tag(struct text_state *s, enum color c, const char *name)
{
    line_start(s);
    if (s->cfg.color)
        fprintf(s->cfg.out, "%s[%s]\033[0m ", ansi[c], name);
    else
        fprintf(s->cfg.out, "[%s] ", name);
}

/* Spaces as wide as a tag, so continuation lines start under the text. */
static void indent(FILE *out)
{
    wt_put_padded(out, "", wt_text_width(TAG_COLUMN, strlen(TAG_COLUMN)));
}

/* Network bytes to terminal-safe text, cut at SHOWN_VALUE_MAX input bytes. */
static void put_escaped(FILE *out, const char *p, size_t len)
{
    char buf[WT_ESCAPE_TERM_MAX(SHOWN_VALUE_MAX)];
    size_t shown = len > SHOWN_VALUE_MAX ? SHOWN_VALUE_MAX : len;
    wt_escape_term(p, shown, buf, sizeof buf);
    fputs(buf, out);
    if (shown < len)
        fprintf(out, _("… (%zu bytes)"), len);
}

static const char *host_kind_words(int kind)
{
    return kind == WT_HOST_IPV4 ? _("IPv4 literal")
         : kind == WT_HOST_IPV6 ? _("IPv6 literal") : _("name");
}

static const char *framing_words(enum wt_body_framing f)
{
    switch (f) {
    case WT_FRAMING_NONE: return _("no body");
    case WT_FRAMING_CONTENT_LENGTH: return "Content-Length";
    case WT_FRAMING_CHUNKED: return "chunked";
    case WT_FRAMING_UNTIL_CLOSE: return _("until close");
    case WT_FRAMING_H2: return _("DATA frames until END_STREAM");
    }
    return "?";
}

static void *text_begin(const struct wt_render_config *config)
{
    struct text_state *s = calloc(1, sizeof *s);
    if (s)
        s->cfg = *config;
    return s;
}

/* ---- the end-of-run table ----------------------------------------------- */

static void record_row(struct text_state *s, const struct wt_event *ev)
{
    if (ev->kind >= WT_EV_SERVE_LISTEN && ev->kind <= WT_EV_SERVE_DROP)
        return;
    if (ev->url_index >= TABLE_ROWS_MAX) {
        if (ev->kind == WT_EV_TRANSFER_DONE)
            s->rows_left_out++;
        return;
    }
    if (ev->url_index >= s->n_rows) {
        size_t n = ev->url_index + 1;
        if (n > s->cap_rows) {
            size_t cap = s->cap_rows ? s->cap_rows * 2 : 8;
            while (cap < n)
                cap *= 2;
            struct url_row *rows = realloc(s->rows, cap * sizeof *rows);
            if (!rows)
                return;   /* no table row for it; the narration said it all */
            s->rows = rows;
            s->cap_rows = cap;
        }
        memset(s->rows + s->n_rows, 0, (n - s->n_rows) * sizeof *s->rows);
        s->n_rows = n;
    }
    struct url_row *r = &s->rows[ev->url_index];
    switch (ev->kind) {
    case WT_EV_PHASE:
        if (ev->u.phase.entered == WT_PHASE_URL && ev->hop == 0 && !r->url[0]) {
            size_t len = strlen(ev->u.phase.input);
            wt_escape_term(ev->u.phase.input, len > TABLE_URL_MAX ? TABLE_URL_MAX : len, r->url,
                           sizeof r->url);
            if (len > TABLE_URL_MAX)
                strcat(r->url, "…");
        }
        break;
    case WT_EV_HTTP_STATUS:
        r->status = ev->u.http_status.status;
        break;
    case WT_EV_HTTP_BODY_DONE:
        r->size = ev->u.http_body_done.bytes;
        break;
    case WT_EV_TCP_ESTABLISHED:
        r->conn = ev->u.tcp_established.conn;
        r->reused = 0;
        break;
    case WT_EV_CONN_REUSE:
        r->conn = ev->u.conn.id;
        r->reused = 1;
        break;
    case WT_EV_HTTP_REQUEST:
        r->stream = ev->u.http_request.stream;
        break;
    case WT_EV_TRANSFER_DONE:
        r->exit_code = ev->u.transfer_done.exit_code;
        r->total_us = ev->u.transfer_done.total_us;
        r->hops = ev->u.transfer_done.hops;
        r->done = 1;
        break;
    default:
        break;
    }
}

static void print_table(struct text_state *s)
{
    FILE *o = s->cfg.out;
    s->cfg.url_prefix = 0;   /* the table is the run's, not one URL's */
    size_t n = 0, failed = 0;
    for (size_t i = 0; i < s->n_rows; i++) {
        n += s->rows[i].done;
        failed += s->rows[i].done && s->rows[i].exit_code;
    }
    fputc('\n', o);
    tag(s, C_URL, "run ");
    /* TRANSLATORS: %1$zu URLs in all, %2$zu succeeded, %3$zu failed */
    fprintf(o, _("%1$zu URLs: %2$zu succeeded, %3$zu failed\n"), n + s->rows_left_out,
            n - failed, failed);
    /* The header's words are translated one by one and lined up by display
     * width: a CJK character takes two columns. */
    static const struct { const char *word; size_t width; int right; } head[] = {
        { N_("index"), 5, 1 }, { N_("status"), 6, 1 }, { N_("exit"), 4, 1 },
        { N_("bytes"), 10, 1 }, { N_("time"), 10, 1 }, { N_("connection"), 11, 0 },
        { N_("as given"), 0, 0 },
    };
    fputs("      ", o);
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++) {
        const char *w = _(head[i].word);
        size_t shown = wt_text_width(w, strlen(w));
        fputc(' ', o);
        if (head[i].right && shown < head[i].width)
            fprintf(o, "%*s", (int)(head[i].width - shown), "");
        if (head[i].right || !head[i].width)
            fputs(w, o);
        else
            wt_put_padded(o, w, head[i].width);
        if (i + 1 < sizeof head / sizeof head[0])
            fputc(' ', o);
    }
    fputc('\n', o);
    for (size_t i = 0; i < s->n_rows; i++) {
        const struct url_row *r = &s->rows[i];
        if (!r->done)
            continue;
        char status[8] = "–", conn[24] = "–", d[32];
        if (r->status)
            snprintf(status, sizeof status, "%d", r->status);
        if (r->conn && r->stream)
            /* TRANSLATORS: the end table's connection column: #1 stream 5 */
            snprintf(conn, sizeof conn, _("#%1$u stream %2$d"), r->conn, (int)r->stream);
        else if (r->conn)
            snprintf(conn, sizeof conn, "#%u %s", r->conn, r->reused ? _("reused") : _("new"));
        wt_format_duration(r->total_us, d, sizeof d);
        /* "–" is three bytes for one column: widen its field to match; the
         * connection column is padded by display width (CJK words) */
        fprintf(o, "       %5zu  %*s  %4d  %10llu  %10s  ", i, r->status ? 6 : 8, status,
                r->exit_code, (unsigned long long)r->size, d);
        wt_put_padded(o, conn, 11);
        fprintf(o, "  %s\n", r->url);
    }
    if (s->rows_left_out)
        fprintf(o, _("       … and %zu more URLs\n"), s->rows_left_out);
}

/* The records of one reply come as consecutive events: the count of those
 * not listed is told before whatever comes next. */
static void flush_dns_records(struct text_state *s)
{
    if (!s->dns_records_hidden)
        return;
    size_t url_index = s->url_index;
    s->url_index = s->dns_records_url;
    tag(s, C_DNS, "dns ");
    /* TRANSLATORS: %zu records of a DNS reply not listed in the narration */
    fprintf(s->cfg.out, P_("  … and %zu more record (all of them in --ndjson)\n",
                           "  … and %zu more records (all of them in --ndjson)\n",
                           s->dns_records_hidden),
            s->dns_records_hidden);
    s->url_index = url_index;
    s->dns_records_hidden = 0;
}

static int text_end(void *state)
{
    struct text_state *s = state;
    if (s) {
        if (!s->cfg.silent)
            flush_dns_records(s);
        if (s->cfg.url_table && !s->cfg.silent && s->n_rows + s->rows_left_out > 1)
            print_table(s);
        fflush(s->cfg.out);
        free(s->rows);
        for (size_t i = 0; i < s->n_framing; i++)
            free(s->framing[i]);
        free(s->framing);
    }
    free(s);
    return 0;
}

static void render_dns(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char a[80], b[80], d[32];
    char tbuf[16];
    switch (ev->kind) {
    case WT_EV_DNS_START: {
        const char *asks = ev->u.dns_start.family == AF_INET ? "A"
                         : ev->u.dns_start.family == AF_INET6 ? "AAAA" : _("A and AAAA");
        char servers[DNS_SERVERS_SHOWN * (sizeof a + 2) + 8] = "";
        size_t used = 0;
        for (size_t i = 0; i < ev->u.dns_start.n_servers; i++) {
            if (i == DNS_SERVERS_SHOWN) {
                snprintf(servers + used, sizeof servers - used, ", …");
                break;
            }
            wt_endpoint_format(&ev->u.dns_start.servers[i], a, sizeof a);
            int w = snprintf(servers + used, sizeof servers - used, "%s%s", i ? ", " : "", a);
            if (w > 0 && (size_t)w < sizeof servers - used)
                used += (size_t)w;
        }
        tag(s, C_DNS, "dns ");
        /* TRANSLATORS: %1$s the name, %2$s the resolver addresses, %3$s where
         * they came from (--dns-server or /etc/resolv.conf), %4$s record types */
        fprintf(o, _("looking up %1$s: hosts file first, then resolver %2$s (%3$s) · UDP · asking %4$s\n"),
                ev->u.dns_start.name,
                ev->u.dns_start.n_servers ? servers : _("(none configured)"),
                ev->u.dns_start.servers_from_cli ? "--dns-server" : "/etc/resolv.conf", asks);
        break;
    }
    case WT_EV_CONNECT_TO:
        tag(s, C_DNS, "dns ");
        /* TRANSLATORS: %1$s the rule as given, %2$s:%3$u where TCP goes,
         * %4$s:%5$u the URL's host and port, %6$s the name TLS and Host keep */
        fprintf(o, _("--connect-to %1$s: connecting to %2$s port %3$u instead of %4$s port %5$u; "
                     "SNI, Host and the certificate check keep %6$s\n"),
                ev->u.connect_to.rule, ev->u.connect_to.to_host, ev->u.connect_to.to_port,
                ev->u.connect_to.host, ev->u.connect_to.port, ev->u.connect_to.host);
        break;
    case WT_EV_DNS_PINNED: {
        char list[1024] = "";   /* addresses, ", " between; cut when full */
        size_t used = 0;
        for (size_t i = 0; i < ev->u.dns_pinned.n_addresses; i++) {
            int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                             ev->u.dns_pinned.addresses[i].addr);
            if (w > 0 && (size_t)w < sizeof list - used)
                used += (size_t)w;
        }
        tag(s, C_DNS, "dns ");
        /* TRANSLATORS: %1$s the host, %2$u the port, %3$s its addresses */
        fprintf(o, _("no DNS: --resolve says %1$s port %2$u is %3$s"), ev->u.dns_pinned.name,
                ev->u.dns_pinned.port,
                ev->u.dns_pinned.n_addresses ? list : _("nothing usable"));
        if (ev->u.dns_pinned.n_dropped)
            fprintf(o, _(" (%zu address(es) of the other family left out by -4/-6)"),
                    ev->u.dns_pinned.n_dropped);
        fputc('\n', o);
        break;
    }
    case WT_EV_DNS_LITERAL:
        tag(s, C_DNS, "dns ");
        fprintf(o, _("%s is an IPv%d literal: no DNS lookup\n"), ev->u.dns_literal.literal,
                ev->u.dns_literal.family == AF_INET6 ? 6 : 4);
        break;
    case WT_EV_DNS_NO_ANSWER:
        wt_endpoint_format(&ev->u.dns_no_answer.server, a, sizeof a);
        wt_endpoint_format(&ev->u.dns_no_answer.next, b, sizeof b);
        wt_format_duration(ev->u.dns_no_answer.waited_us, d, sizeof d);
        tag(s, C_DNS, "dns ");
        if (strcmp(a, b) != 0)
            /* TRANSLATORS: %1$s the silent server, %2$s %3$s the query's type and
             * name, %4$04x its id, %5$s the time waited, %6$s the next server */
            fprintf(o, _("✗ no answer from %1$s to query %2$s %3$s (id 0x%4$04x) after %5$s: "
                         "asking %6$s instead\n"), a, wt_dns_type_name(ev->u.dns_no_answer.qtype, tbuf, sizeof tbuf),
                    ev->u.dns_no_answer.qname, ev->u.dns_no_answer.id, d, b);
        else
            fprintf(o, _("✗ no answer from %1$s to query %2$s %3$s (id 0x%4$04x) after %5$s: "
                         "asking again\n"), a, wt_dns_type_name(ev->u.dns_no_answer.qtype, tbuf, sizeof tbuf),
                    ev->u.dns_no_answer.qname, ev->u.dns_no_answer.id, d);
        break;
    case WT_EV_DNS_QUERY:
        wt_endpoint_format(&ev->u.dns_query.server, a, sizeof a);
        wt_endpoint_format(&ev->u.dns_query.local, b, sizeof b);
        tag(s, C_DNS, "dns ");
        fprintf(o, _("→ query %s %s · id 0x%04x · %zu bytes · %s to %s from %s\n"),
                wt_dns_type_name(ev->u.dns_query.qtype, tbuf, sizeof tbuf),
                ev->u.dns_query.qname, ev->u.dns_query.id, ev->u.dns_query.bytes,
                ev->u.dns_query.tcp ? "TCP" : "UDP", a, b);
        break;
    case WT_EV_DNS_REPLY: {
        char rc[16];
        s->dns_records_shown = 0;
        wt_format_duration(ev->u.dns_reply.rtt_us, d, sizeof d);
        tag(s, C_DNS, "dns ");
        fprintf(o, P_("← reply id 0x%04x · %s · %u answer · %zu bytes · %s",
                      "← reply id 0x%04x · %s · %u answers · %zu bytes · %s",
                      ev->u.dns_reply.ancount),
                ev->u.dns_reply.id, wt_dns_rcode_name(ev->u.dns_reply.rcode, rc, sizeof rc),
                ev->u.dns_reply.ancount, ev->u.dns_reply.bytes, d);
        if (ev->u.dns_reply.authoritative)
            fputs(_(" · authoritative"), o);
        if (ev->u.dns_reply.truncated)
            fputs(_(" · truncated (TC)"), o);
        fputc('\n', o);
        break;
    }
    case WT_EV_DNS_RECORD:
        /* The CNAME chain is always shown: it says what the addresses are of. */
        if (s->dns_records_shown >= DNS_RECORDS_SHOWN &&
            ev->u.dns_record.type != WT_DNS_TYPE_CNAME) {
            s->dns_records_hidden++;
            s->dns_records_url = s->url_index;
            break;
        }
        s->dns_records_shown++;
        /* Names come from dnsmsg in escaped presentation form: printable. */
        tag(s, C_DNS, "dns ");
        fprintf(o, "  %s %s %s · ttl %" PRIu32 "\n", ev->u.dns_record.name,
                wt_dns_type_name(ev->u.dns_record.type, tbuf, sizeof tbuf),
                ev->u.dns_record.data, ev->u.dns_record.ttl);
        break;
    case WT_EV_DNS_TCP_RETRY:
        wt_endpoint_format(&ev->u.dns_tcp_retry.server, a, sizeof a);
        tag(s, C_DNS, "dns ");
        fprintf(o, _("the reply was truncated: asking again over TCP (%s)\n"), a);
        break;
    case WT_EV_DNS_DONE:
        wt_format_duration(ev->u.dns_done.elapsed_us, d, sizeof d);
        if (ev->u.dns_done.unanswered_qtype) {
            tag(s, C_DNS, "dns ");
            /* TRANSLATORS: %s the record type (A or AAAA) that got no reply */
            fprintf(o, _("✗ no reply to %s before the DNS time budget ran out: going on with the "
                         "addresses the other reply gave\n"),
                    wt_dns_type_name(ev->u.dns_done.unanswered_qtype, tbuf, sizeof tbuf));
        }
        tag(s, C_DNS, "dns ");
        if (ev->u.dns_done.source == WT_DNS_FROM_HOSTS) {
            fprintf(o, _("%s found in the hosts file: no DNS traffic → "), ev->u.dns_done.name);
        } else if (ev->u.dns_done.source == WT_DNS_FROM_CACHE) {
            fprintf(o, _("%s from this run's DNS cache, %lld s of ttl left: no DNS traffic → "),
                    ev->u.dns_done.name, (long long)(ev->u.dns_done.ttl_left_us / 1000000));
        } else {
            /* TRANSLATORS: %1$s the name, %2$zu how many addresses, %3$s the time */
            fprintf(o, P_("resolved %1$s → %2$zu address in %3$s: ",
                          "resolved %1$s → %2$zu addresses in %3$s: ",
                          ev->u.dns_done.n_addresses),
                    ev->u.dns_done.name, ev->u.dns_done.n_addresses, d);
        }
        for (size_t i = 0; i < ev->u.dns_done.n_addresses && i < DNS_ADDRESSES_SHOWN; i++)
            fprintf(o, "%s%s", i ? ", " : "", ev->u.dns_done.addresses[i].addr);
        if (ev->u.dns_done.n_addresses > DNS_ADDRESSES_SHOWN)
            /* TRANSLATORS: addresses past those listed; all are used */
            fprintf(o, _(" … and %zu more (every one is tried)"),
                    ev->u.dns_done.n_addresses - DNS_ADDRESSES_SHOWN);
        fputc('\n', o);
        break;
    default:
        break;
    }
}

/* Certificate text is raw UTF-8 from the peer: escaped into buf (which
 * holds CERT_TEXT_MAX) and cut as put_escaped cuts. */
#define CERT_TEXT_MAX (WT_ESCAPE_TERM_MAX(SHOWN_VALUE_MAX) + 64)
static const char *cert_text(const char *text, char *buf, size_t buflen)
{
    size_t len = strlen(text);
    size_t shown = len > SHOWN_VALUE_MAX ? SHOWN_VALUE_MAX : len;
    size_t w = wt_escape_term(text, shown, buf, buflen);
    if (shown < len)
        snprintf(buf + w, buflen - w, _("… (%zu bytes)"), len);
    return buf;
}

/* What preparing the ClientHello took, and how much of it the network's
 * waits hid. */
static void render_tls_setup(struct text_state *s, const struct wt_tls_setup_figures *f)
{
    FILE *o = s->cfg.out;
    tag(s, C_TLS, "tls ");
    if (f->reused) {
        fputs(_("set-up: this run's TLS context again (module, OpenSSL and trust store "
                "already loaded)"), o);
        fputc('\n', o);
        return;
    }
    char total[32], dns[32], tcp[32], now[32];
    wt_format_duration(f->total_us, total, sizeof total);
    wt_format_duration(f->during_dns_us, dns, sizeof dns);
    wt_format_duration(f->during_connect_us, tcp, sizeof tcp);
    wt_format_duration(f->inline_us, now, sizeof now);
    if (f->during_dns_us > 0 && f->during_connect_us > 0)
        fprintf(o, _("set-up %1$s (TLS module, OpenSSL, context, trust store) · %2$s done while "
                     "waiting for DNS, %3$s while waiting for TCP · %4$s held up the handshake"),
                total, dns, tcp, now);
    else if (f->during_dns_us > 0)
        fprintf(o, _("set-up %1$s (TLS module, OpenSSL, context, trust store) · %2$s done while "
                     "waiting for DNS · %3$s held up the handshake"),
                total, dns, now);
    else if (f->during_connect_us > 0)
        fprintf(o, _("set-up %1$s (TLS module, OpenSSL, context, trust store) · %2$s done while "
                     "waiting for TCP · %3$s held up the handshake"),
                total, tcp, now);
    else
        fprintf(o, _("set-up %s (TLS module, OpenSSL, context, trust store) · done before the "
                     "ClientHello: no wait to hide it in"),
                total);
    fputc('\n', o);
}

static void render_tls(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char d[32];
    switch (ev->kind) {
    case WT_EV_TLS_HELLO:
        render_tls_setup(s, &ev->u.tls_hello.setup);
        tag(s, C_TLS, "tls ");
        fputs("→ ClientHello · ", o);
        if (ev->u.tls_hello.sni)
            fprintf(o, "SNI %s", ev->u.tls_hello.sni);
        else
            fputs(_("no SNI (IP address)"), o);
        fprintf(o, " · ALPN %s · %s\n", ev->u.tls_hello.alpn, ev->u.tls_hello.versions);
        break;
    case WT_EV_TLS_DONE:
        wt_format_duration(ev->u.tls_done.elapsed_us, d, sizeof d);
        tag(s, C_TLS, "tls ");
        fprintf(o, _("← handshake done in %s · %s · %s"), d, ev->u.tls_done.version,
                ev->u.tls_done.cipher);
        if (ev->u.tls_done.group)
            fprintf(o, _(" · group %s"), ev->u.tls_done.group);
        fprintf(o, " · ALPN %s\n", ev->u.tls_done.alpn ? ev->u.tls_done.alpn : _("none"));
        if (ev->u.tls_done.resumed) {
            tag(s, C_TLS, "tls ");
            fputs(_("resumed: no certificate sent · the session from an earlier connection to "
                    "this origin stands for the proof checked then"), o);
            fputc('\n', o);
        }
        break;
    case WT_EV_TLS_CERT: {
        char subject[CERT_TEXT_MAX], issuer[CERT_TEXT_MAX];
        tag(s, C_TLS, "tls ");
        /* TRANSLATORS: %1$zu the certificate's place in the chain, %2$s its
         * subject, %3$s its issuer, %4$s and %5$s the dates it is valid */
        fprintf(o, _("  cert %1$zu: subject %2$s · issuer %3$s · valid %4$s → %5$s · "),
                ev->u.tls_cert.index, cert_text(ev->u.tls_cert.subject, subject, sizeof subject),
                cert_text(ev->u.tls_cert.issuer, issuer, sizeof issuer),
                ev->u.tls_cert.not_before, ev->u.tls_cert.not_after);
        if (ev->u.tls_cert.days_left >= 0)
            fprintf(o, _("%ld days left\n"), ev->u.tls_cert.days_left);
        else
            fprintf(o, _("expired %ld days ago\n"), -ev->u.tls_cert.days_left);
        if (ev->u.tls_cert.sans) {
            const char *sans = ev->u.tls_cert.sans[0] ? ev->u.tls_cert.sans : _("(none)");
            tag(s, C_TLS, "tls ");
            if (ev->u.tls_cert.matched)
                fprintf(o, _("  cert %1$zu SANs: %2$s · matched %3$s\n"), ev->u.tls_cert.index,
                        cert_text(sans, subject, sizeof subject),
                        cert_text(ev->u.tls_cert.matched, issuer, sizeof issuer));
            else
                fprintf(o, _("  cert %zu SANs: %s\n"), ev->u.tls_cert.index,
                        cert_text(sans, subject, sizeof subject));
        }
        break;
    }
    case WT_EV_TLS_VERIFY:
        if (ev->u.tls_verify.skipped) {
            if (s->cfg.color)
                fputs(ansi[C_WARN], o);
            tag(s, C_TLS, "tls ");
            if (ev->u.tls_verify.ok)
                fputs(_("verification SKIPPED (-k): it would have passed"), o);
            else
                fprintf(o, _("verification SKIPPED (-k): it would have failed: %s"),
                        ev->u.tls_verify.reason);
            fputs(s->cfg.color ? "\033[0m\n" : "\n", o);
        } else if (ev->u.tls_verify.ok) {
            tag(s, C_TLS, "tls ");
            fputs(_("verification ok: the chain leads to a trusted CA and the name matches\n"), o);
        } else {
            tag(s, C_TLS, "tls ");
            fprintf(o, _("verification failed: %s\n"), ev->u.tls_verify.reason);
        }
        break;
    case WT_EV_TLS_CLOSE:
        tag(s, C_TLS, "tls ");
        if (ev->u.tls_close.sent && ev->u.tls_close.peer_sent)
            fputs(_("close: close_notify sent · the server's close_notify received\n"), o);
        else if (ev->u.tls_close.sent)
            fputs(_("close: close_notify sent · the server's close_notify not received\n"), o);
        else if (ev->u.tls_close.peer_sent)
            fputs(_("close: close_notify not sent · the server's close_notify received\n"), o);
        else
            fputs(_("close: close_notify not sent · the server's close_notify not received\n"), o);
        break;
    default:
        break;
    }
}

static void render_serve(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char a[80], b[80], d[32];
    switch (ev->kind) {
    case WT_EV_SERVE_LISTEN:
        wt_endpoint_format(&ev->u.serve_listen.local, a, sizeof a);
        tag(s, C_TCP, "srv ");
        fprintf(o, _("socket → bind %s → listen (backlog %d) · %s · %s\n"), a,
                ev->u.serve_listen.backlog, ev->u.serve_listen.tls ? "https" : "http",
                _(ev->u.serve_listen.scope));
        break;
    case WT_EV_SERVE_ACCEPT:
        wt_endpoint_format(&ev->u.serve_accept.client, a, sizeof a);
        wt_endpoint_format(&ev->u.serve_accept.local, b, sizeof b);
        tag(s, C_TCP, "srv ");
        fprintf(o, _("#%" PRIu64 " accept: client %s (its ephemeral port) → %s · %zu open\n"),
                ev->u.serve_accept.conn, a, b, ev->u.serve_accept.open_connections);
        break;
    case WT_EV_SERVE_TLS:
        tag(s, C_TLS, "srv ");
        if (ev->u.serve_tls.alpn && ev->u.serve_tls.alpn[0])
            fprintf(o, _("#%" PRIu64 " TLS handshake done · %s · %s · ALPN chose %s\n"),
                    ev->u.serve_tls.conn, ev->u.serve_tls.version, ev->u.serve_tls.cipher,
                    ev->u.serve_tls.alpn);
        else
            fprintf(o, _("#%" PRIu64 " TLS handshake done · %s · %s\n"), ev->u.serve_tls.conn,
                    ev->u.serve_tls.version, ev->u.serve_tls.cipher);
        break;
    case WT_EV_SERVE_REQUEST:
        tag(s, C_HTTP, "srv ");
        fprintf(o, _("#%" PRIu64 " ← request %u: "), ev->u.serve_request.conn,
                ev->u.serve_request.number);
        put_escaped(o, ev->u.serve_request.method, strlen(ev->u.serve_request.method));
        fputc(' ', o);
        put_escaped(o, ev->u.serve_request.target, ev->u.serve_request.target_len);
        fprintf(o, _(" · %zu headers · %zu bytes · %s\n"), ev->u.serve_request.n_headers,
                ev->u.serve_request.bytes,
                ev->u.serve_request.keep_alive ? "keep-alive" : _("close after"));
        break;
    case WT_EV_SERVE_RESPONSE:
        wt_format_duration(ev->u.serve_response.elapsed_us, d, sizeof d);
        tag(s, C_HTTP, "srv ");
        fprintf(o, _("#%" PRIu64 " → %d · %" PRIu64 " body bytes · %" PRIu64 " bytes sent in %s%s\n"),
                ev->u.serve_response.conn, ev->u.serve_response.status,
                ev->u.serve_response.body_bytes, ev->u.serve_response.bytes, d,
                ev->u.serve_response.closing ? " · Connection: close" : "");
        break;
    case WT_EV_SERVE_REFUSE:
        wt_endpoint_format(&ev->u.serve_refuse.client, a, sizeof a);
        tag(s, C_WARN, "srv ");
        if (ev->u.serve_refuse.status)
            fprintf(o, _("refused client %s: %s · answered %d, Connection: close · %zu open, %zu "
                         "from its address\n"),
                    a, wt_i18n_error_text(ev->u.serve_refuse.reason), ev->u.serve_refuse.status,
                    ev->u.serve_refuse.open_connections, ev->u.serve_refuse.from_client);
        else
            fprintf(o, _("refused client %s: %s · closed (no answer possible before TLS) · %zu "
                         "open, %zu from its address\n"),
                    a, wt_i18n_error_text(ev->u.serve_refuse.reason),
                    ev->u.serve_refuse.open_connections, ev->u.serve_refuse.from_client);
        break;
    case WT_EV_SERVE_NARRATION_LOST:
        tag(s, C_WARN, "srv ");
        fprintf(o, _("%" PRIu64 " narration lines dropped while stderr was not being read (%" PRIu64
                     " in all); serving went on\n"),
                ev->u.serve_narration_lost.lines, ev->u.serve_narration_lost.total);
        break;
    case WT_EV_SERVE_DROP:
        tag(s, C_WARN, "srv ");
        fprintf(o, "#%" PRIu64 " %s\n", ev->u.serve_drop.conn,
                wt_i18n_error_text(ev->u.serve_drop.reason));
        break;
    default:
        break;
    }
}

/* One line per connection attempt as it starts: both ends, and why it
 * started now (Happy Eyeballs: the earlier ones were slow or failed). */
static void render_attempt(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char b[80], d[32];
    tag(s, C_TCP, "tcp ");
    const char *port_class =
        _(wt_port_class_name(wt_port_classify(ev->u.tcp_attempt.remote.port)));
    if (ev->u.tcp_attempt.local.port) {
        wt_endpoint_format(&ev->u.tcp_attempt.local, b, sizeof b);
        /* TRANSLATORS: %1$s the server's address, %2$u its port, %3$s the
         * port's class, %4$s our address and port */
        fprintf(o, _("connecting to %1$s port %2$u (%3$s) from %4$s"),
                ev->u.tcp_attempt.remote.addr, ev->u.tcp_attempt.remote.port, port_class, b);
    } else {
        fprintf(o, _("connecting to %s port %u (%s)"), ev->u.tcp_attempt.remote.addr,
                ev->u.tcp_attempt.remote.port, port_class);
    }
    if (ev->u.tcp_attempt.of > 1)
        fprintf(o, _(" · address %zu of %zu"), ev->u.tcp_attempt.attempt, ev->u.tcp_attempt.of);
    wt_format_duration(ev->u.tcp_attempt.delay_us, d, sizeof d);
    if (ev->u.tcp_attempt.trigger == WT_TCP_AFTER_DELAY)
        fprintf(o, _(" · started after %s without an answer (--happy-eyeballs-timeout-ms); "
                     "%zu earlier attempt(s) keep racing"),
                d, ev->u.tcp_attempt.running);
    else if (ev->u.tcp_attempt.trigger == WT_TCP_AFTER_FAILURE)
        fputs(_(" · started at once: the attempt before it failed"), o);
    fputc('\n', o);
}

/* How an attempt that did not win ended. */
static void render_attempt_end(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char a[80], b[80], d[32];
    wt_endpoint_format(&ev->u.tcp_failed.remote, a, sizeof a);
    wt_format_duration(ev->u.tcp_failed.elapsed_us, d, sizeof d);
    tag(s, C_TCP, "tcp ");
    switch (ev->u.tcp_failed.outcome) {
    case WT_TCP_ABANDONED:
        /* TRANSLATORS: %1$zu this attempt, %2$s the server, %3$s the time,
         * %4$zu the attempt that connected */
        fprintf(o, _("attempt %1$zu to %2$s abandoned after %3$s: attempt %4$zu won the race"),
                ev->u.tcp_failed.attempt, a, d, ev->u.tcp_failed.winner);
        break;
    case WT_TCP_TIMED_OUT:
        fprintf(o, _("attempt %1$zu to %2$s timed out after %3$s: no answer"),
                ev->u.tcp_failed.attempt, a, d);
        break;
    case WT_TCP_REFUSED:
    case WT_TCP_UNREACHABLE:
    case WT_TCP_ERROR:
        if (ev->u.tcp_failed.local.port) {
            wt_endpoint_format(&ev->u.tcp_failed.local, b, sizeof b);
            /* TRANSLATORS: %1$s the server, %2$s the time, %3$s our address, %4$s the reason */
            fprintf(o, _("connect to %1$s failed after %2$s (from %3$s): %4$s\n"), a, d, b,
                    strerror(ev->u.tcp_failed.err));
        } else {
            fprintf(o, _("connect to %1$s failed after %2$s: %3$s\n"), a, d,
                    strerror(ev->u.tcp_failed.err));
        }
        return;
    }
    if (ev->u.tcp_failed.local.port) {
        wt_endpoint_format(&ev->u.tcp_failed.local, b, sizeof b);
        fprintf(o, _(" (from %s)"), b);
    }
    fputc('\n', o);
}

static void render_teardown(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char d[32];
    tag(s, C_TCP, "tcp ");
    int server = ev->u.tcp_teardown.we_are_server;
    if (ev->u.tcp_teardown.conn)
        fprintf(o, "#%" PRIu64 " ", ev->u.tcp_teardown.conn);
    /* The peer is named inside each sentence (not glued in as a word):
     * Chinese puts it elsewhere than English does. */
    if (ev->u.tcp_teardown.reset)
        fputs(server ? _("teardown: the client reset the connection (RST, no FIN exchange)")
                     : _("teardown: the server reset the connection (RST, no FIN exchange)"), o);
    else if (ev->u.tcp_teardown.we_closed_first)
        fputs(server ? _("teardown: we close first (our FIN, before the client's)")
                     : _("teardown: we close first (our FIN, before the server's)"), o);
    else
        fputs(server ? _("teardown: the client closed first (its FIN)")
                     : _("teardown: the server closed first (its FIN)"), o);
    char states[WT_TEARDOWN_MAX_STATES * 16] = "";
    size_t used = 0;
    for (size_t i = 0; i < ev->u.tcp_teardown.n_states; i++) {
        int w = snprintf(states + used, sizeof states - used, "%s%s", i ? " → " : "",
                         wt_tcp_state_name(ev->u.tcp_teardown.states[i]));
        if (w > 0 && (size_t)w < sizeof states - used)
            used += (size_t)w;
    }
    fprintf(o, _(" · states %s"), ev->u.tcp_teardown.n_states ? states : _("unknown"));
    if (ev->u.tcp_teardown.we_closed_first && !ev->u.tcp_teardown.peer_closed)
        fputs(server ? _(" · the client had not sent its FIN when we stopped watching")
                     : _(" · the server had not sent its FIN when we stopped watching"), o);
    if (ev->u.tcp_teardown.time_wait_ms >= 0) {
        wt_format_duration(ev->u.tcp_teardown.time_wait_ms * 1000, d, sizeof d);
        if (ev->u.tcp_teardown.time_wait_is_ours)
            fprintf(o, _(" · TIME_WAIT held by us for another %s"), d);
        else if (server)
            fprintf(o, _(" · TIME_WAIT held by the client for another %s"), d);
        else
            fprintf(o, _(" · TIME_WAIT held by the server for another %s"), d);
    }
    wt_format_duration(ev->u.tcp_teardown.elapsed_us, d, sizeof d);
    fprintf(o, " · %s\n", d);
}

/* A 3xx with a Location. Followed, it opens the next hop: the [hop ] line
 * numbers the requests from 1 (the total is not known until the end). */
/* The phrase of the statuses --retry finds transient (RFC 9110's words). */
static const char *retry_status_phrase(int status)
{
    switch (status) {
    case 408: return "Request Timeout";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
    }
}

/* "1 s" for whole seconds (what --retry waits, as curl says it), else the
 * usual duration. */
static void retry_wait_text(int64_t us, char *buf, size_t buflen)
{
    if (us % 1000000 == 0)
        snprintf(buf, buflen, "%lld s", (long long)(us / 1000000));
    else
        wt_format_duration(us, buf, buflen);
}

static void render_retry(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char wait[32], budget[32];
    retry_wait_text(ev->u.retry.wait_us, wait, sizeof wait);
    retry_wait_text(ev->u.retry.budget_us, budget, sizeof budget);
    unsigned n = ev->u.retry.attempt, max = ev->u.retry.max;
    tag(s, C_WARN, "retry");
    if (ev->u.retry.over_budget) {
        fprintf(o, _("no retry %1$u/%2$u: it would start after --retry-max-time (%3$s) from the "
                     "first try\n"),
                n, max, budget);
        return;
    }
    const char *why = ev->u.retry.reason;
    if (strcmp(why, "http") == 0 && ev->u.retry.retry_after)
        fprintf(o, _("%1$d %2$s is transient: retry %3$u/%4$u in %5$s, as its Retry-After "
                     "asks\n"),
                ev->u.retry.status, retry_status_phrase(ev->u.retry.status), n, max, wait);
    else if (strcmp(why, "http") == 0)
        fprintf(o, _("%1$d %2$s is transient: retry %3$u/%4$u in %5$s\n"), ev->u.retry.status,
                retry_status_phrase(ev->u.retry.status), n, max, wait);
    else if (strcmp(why, "timeout") == 0)
        fprintf(o, _("exit %1$d (a timeout, or a name not resolved) is transient: retry %2$u/%3$u "
                     "in %4$s\n"),
                ev->u.retry.exit_code, n, max, wait);
    else if (strcmp(why, "connrefused") == 0)
        fprintf(o, _("the connection was refused, transient with --retry-connrefused: retry "
                     "%1$u/%2$u in %3$s\n"),
                n, max, wait);
    else
        fprintf(o, _("exit %1$d, tried again as every failure is with --retry-all-errors: retry "
                     "%2$u/%3$u in %4$s\n"),
                ev->u.retry.exit_code, n, max, wait);
}

static void render_redirect(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    /* where it points, terminal-safe, cut as put_escaped cuts */
    const char *from = ev->u.redirect.url ? ev->u.redirect.url : ev->u.redirect.location;
    size_t len = ev->u.redirect.url ? strlen(from) : ev->u.redirect.location_len;
    char url[WT_ESCAPE_TERM_MAX(SHOWN_VALUE_MAX)];
    wt_escape_term(from, len > SHOWN_VALUE_MAX ? SHOWN_VALUE_MAX : len, url, sizeof url);
    int status = ev->u.redirect.status;
    if (!ev->u.redirect.followed) {
        tag(s, C_HTTP, "http");
        if (ev->u.redirect.limit_reached)
            fprintf(o, _("%d points to %s · not followed: the --max-redirs limit is reached\n"),
                    status, url);
        else
            fprintf(o, _("%d points to %s · -L follows it\n"), status, url);
        return;
    }
    if (!s->cfg.url_prefix)
        fputc('\n', o);
    tag(s, C_URL, "hop ");
    unsigned n = ev->hop + 2;
    const char *method = ev->u.redirect.method, *next = ev->u.redirect.next_method;
    if (strcmp(method, next) != 0) {
        if (ev->u.redirect.crosses_origin)
            fprintf(o, _("%1$u: %2$d → %3$s · %4$s becomes %5$s (the %2$d rule) · another origin: "
                         "no credentials go along\n"),
                    n, status, url, method, next, status);
        else
            fprintf(o, _("%1$u: %2$d → %3$s · %4$s becomes %5$s (the %2$d rule) · same origin\n"),
                    n, status, url, method, next, status);
    } else if (ev->u.redirect.crosses_origin) {
        fprintf(o, _("%u: %d → %s · %s again · another origin: no credentials go along\n"),
                n, status, url, next);
    } else {
        fprintf(o, _("%u: %d → %s · %s again · same origin\n"), n, status, url, next);
    }
}

/* The connection pool's lessons: why no handshake happened this time, how
 * long the connection sat idle, when it is really closed. */
static void render_conn(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char d[32], origin[WT_HOST_MAX_LEN + 40];
    int v6 = strchr(ev->u.conn.host, ':') != NULL;
    snprintf(origin, sizeof origin, "%s://%s%s%s:%u", wt_scheme_name(ev->u.conn.scheme),
             v6 ? "[" : "", ev->u.conn.host, v6 ? "]" : "", ev->u.conn.port);
    wt_format_duration(ev->u.conn.idle_us, d, sizeof d);
    tag(s, C_TCP, "conn");
    switch (ev->kind) {
    case WT_EV_CONN_REUSE:
        if (ev->u.conn.streams && ev->u.conn.scheme == WT_SCHEME_HTTPS)
            /* TRANSLATORS: %1$u the connection, %2$s its origin, %3$zu HTTP/2
             * streams open on it, %4$u this request's number on it */
            fprintf(o, _("joining connection #%1$u to %2$s as one more HTTP/2 stream beside the "
                         "%3$zu open on it: no DNS, no TCP handshake, no TLS handshake · request "
                         "%4$u on it\n"),
                    ev->u.conn.id, origin, ev->u.conn.streams, ev->u.conn.requests + 1);
        else if (ev->u.conn.streams)
            fprintf(o, _("joining connection #%1$u to %2$s as one more HTTP/2 stream beside the "
                         "%3$zu open on it: no DNS, no TCP handshake · request %4$u on it\n"),
                    ev->u.conn.id, origin, ev->u.conn.streams, ev->u.conn.requests + 1);
        else if (ev->u.conn.scheme == WT_SCHEME_HTTPS)
            fprintf(o, _("reusing connection #%u to %s: no DNS, no TCP handshake, no TLS "
                         "handshake; idle %s · request %u on it\n"),
                    ev->u.conn.id, origin, d, ev->u.conn.requests + 1);
        else
            fprintf(o, _("reusing connection #%u to %s: no DNS, no TCP handshake; idle %s · "
                         "request %u on it\n"),
                    ev->u.conn.id, origin, d, ev->u.conn.requests + 1);
        break;
    case WT_EV_CONN_STALE:
        if (ev->u.conn.peer_closed)
            fprintf(o, _("connection #%u to %s was closed by the server while idle (for %s): a "
                         "new one\n"),
                    ev->u.conn.id, origin, d);
        else
            fprintf(o, _("connection #%u to %s got bytes it did not ask for while idle (for %s): "
                         "closed, a new one\n"),
                    ev->u.conn.id, origin, d);
        break;
    case WT_EV_CONN_KEPT:
        fprintf(o, _("keeping connection #%u open (keep-alive): the next request to %s reuses "
                     "it\n"),
                ev->u.conn.id, origin);
        break;
    case WT_EV_CONN_CLOSE:
        if (ev->u.conn.requests == 1)
            fprintf(o, _("closing connection #%u to %s at the end of the run · 1 request on it · "
                         "idle %s\n"),
                    ev->u.conn.id, origin, d);
        else
            fprintf(o, _("closing connection #%u to %s at the end of the run · %u requests on "
                         "it · idle %s\n"),
                    ev->u.conn.id, origin, ev->u.conn.requests, d);
        break;
    case WT_EV_CONN_RETRY:
        fprintf(o, _("connection #%u to %s ended before any of the response arrived (%s): "
                     "sending the request again on a new connection, once, as curl does\n"),
                ev->u.conn.id, origin, ev->u.conn.message);
        break;
    case WT_EV_CONN_UNNEEDED:
        fprintf(o, _("closing connection #%u to %s: no later URL goes to this origin\n"),
                ev->u.conn.id, origin);
        break;
    case WT_EV_CONN_WAITED:
        wt_format_duration(ev->u.conn.idle_us, d, sizeof d);
        if (ev->u.conn.id)
            fprintf(o, _("waited %s for connection #%u to %s to be set up: its TLS handshake "
                         "says whether it can carry more than one request at once (-Z without "
                         "--parallel-immediate, as curl)\n"),
                    d, ev->u.conn.id, origin);
        else
            fprintf(o, _("waited %s for a connection to %s to be set up: its TLS handshake says "
                         "whether it can carry more than one request at once (-Z without "
                         "--parallel-immediate, as curl)\n"),
                    d, origin);
        break;
    case WT_EV_CONN_IMMEDIATE:
        if (ev->u.conn.id)
            fprintf(o, _("connection #%u to %s is still being set up: not waiting for it, a new "
                         "connection at once (--parallel-immediate)\n"),
                    ev->u.conn.id, origin);
        else
            fprintf(o, _("a connection to %s is still being set up: not waiting for it, a new "
                         "connection at once (--parallel-immediate)\n"),
                    origin);
        break;
    default:
        break;
    }
}

/* SYN, SYN+ACK, FIN+ACK, PSH+ACK, RST+ACK: the flags as the lesson names them. */
static void flag_names(unsigned flags, char *buf, size_t buflen)
{
    static const struct { unsigned bit; const char *name; } order[] = {
        { 0x02, "SYN" }, { 0x01, "FIN" }, { 0x04, "RST" }, { 0x08, "PSH" },
        { 0x20, "URG" }, { 0x10, "ACK" },
    };
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (!(flags & order[i].bit))
            continue;
        int n = snprintf(buf + used, buflen - used, "%s%s", used ? "+" : "", order[i].name);
        if (n < 0 || (size_t)n >= buflen - used)
            return;
        used += (size_t)n;
    }
    if (!used)
        snprintf(buf, buflen, "(no flags)");
}

static void render_capture(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char d[32];
    switch (ev->kind) {
    case WT_EV_CAPTURE_START:
        if (ev->u.capture_start.status != WT_CAPTURE_ON) {
            tag(s, C_WARN, "tcp ");
            fprintf(o, _("no packets: %s\n"), wt_i18n_error_text(ev->u.capture_start.message));
            break;
        }
        wt_format_duration(ev->u.capture_start.setup_us, d, sizeof d);
        tag(s, C_TCP, "tcp ");
        fprintf(o, _("capturing on %s with filter \"%s\", set before the SYN (opened in %s)"),
                ev->u.capture_start.device, ev->u.capture_start.filter, d);
        if (ev->u.capture_start.pcap_path)
            fprintf(o, _(" · writing %s"), ev->u.capture_start.pcap_path);
        if (ev->u.capture_start.message)
            fprintf(o, _(" · not writing the pcap file: %s"), wt_i18n_error_text(ev->u.capture_start.message));
        fputc('\n', o);
        break;
    case WT_EV_TCP_PACKET: {
        char flags[40];
        flag_names(ev->u.tcp_packet.flags, flags, sizeof flags);
        tag(s, C_TCP, "tcp ");
        fprintf(o, "%s %-7s seq=%" PRIu32 " (rel %" PRIu32 ")",
                ev->u.tcp_packet.from_client ? _("client → server") : _("client ← server"), flags,
                ev->u.tcp_packet.seq, ev->u.tcp_packet.rel_seq);
        if (ev->u.tcp_packet.seq_is)
            fprintf(o, " = %s", ev->u.tcp_packet.seq_is);
        if (ev->u.tcp_packet.has_ack) {
            fprintf(o, " ack=%" PRIu32 " (rel %" PRIu32 ")", ev->u.tcp_packet.ack,
                    ev->u.tcp_packet.rel_ack);
            if (ev->u.tcp_packet.ack_is)
                fprintf(o, " = %s", ev->u.tcp_packet.ack_is);
        }
        fprintf(o, " · win %" PRIu32, ev->u.tcp_packet.window);
        if (ev->u.tcp_packet.len)
            fprintf(o, _(" · %" PRIu32 " bytes"), ev->u.tcp_packet.len);
        if (ev->u.tcp_packet.mss >= 0)
            fprintf(o, " · MSS %d", ev->u.tcp_packet.mss);
        if (ev->u.tcp_packet.wscale >= 0)
            fprintf(o, " · wscale %d", ev->u.tcp_packet.wscale);
        if (ev->u.tcp_packet.sack_ok)
            fputs(_(" · SACK permitted"), o);
        if (ev->u.tcp_packet.has_ts && (ev->u.tcp_packet.flags & 0x02))
            fprintf(o, " · TS val %" PRIu32 " ecr %" PRIu32, ev->u.tcp_packet.ts_val,
                    ev->u.tcp_packet.ts_ecr);
        if (ev->u.tcp_packet.client_moved || ev->u.tcp_packet.server_moved) {
            fputs(" ⇒", o);
            if (ev->u.tcp_packet.client_moved)
                fprintf(o, _(" client %s"), wt_tcp_state_name(ev->u.tcp_packet.client_state));
            if (ev->u.tcp_packet.server_moved)
                fprintf(o, _("%s server %s"), ev->u.tcp_packet.client_moved ? "," : "",
                        wt_tcp_state_name(ev->u.tcp_packet.server_state));
        }
        fputc('\n', o);
        break;
    }
    case WT_EV_TCP_DATA: {
        const struct wt_packet_data *d = &ev->u.tcp_data;
        tag(s, C_TCP, "tcp ");
        fprintf(o, _("data: client → server %" PRIu64 " segments, %" PRIu64 " bytes · "
                     "client ← server %" PRIu64 " segments, %" PRIu64 " bytes · "
                     "%" PRIu64 " retransmissions · window changes %" PRIu64 " (client) %" PRIu64
                     " (server) · %" PRIu64 " pure ACKs\n"),
                d->segments[0], d->bytes[0], d->segments[1], d->bytes[1],
                d->retransmissions[0] + d->retransmissions[1],
                d->window_changes[0], d->window_changes[1], d->pure_acks[0] + d->pure_acks[1]);
        break;
    }
    case WT_EV_CAPTURE_END:
        tag(s, C_TCP, "tcp ");
        fprintf(o, _("captured %" PRIu64 " packets of this connection"), ev->u.capture_end.packets);
        if (ev->u.capture_end.ignored)
            fprintf(o, _(" (%" PRIu64 " others ignored)"), ev->u.capture_end.ignored);
        if (ev->u.capture_end.kernel_drops)
            fprintf(o, _(" · %" PRIu64 " lost by the capture"), ev->u.capture_end.kernel_drops);
        if (!ev->u.capture_end.complete)
            fputs(_(" · the teardown's last packet was not seen"), o);
        if (ev->u.capture_end.pcap_path)
            fprintf(o, _(" · written to %s"), ev->u.capture_end.pcap_path);
        if (ev->u.capture_end.message)
            fprintf(o, _(" · pcap file not written: %s"), wt_i18n_error_text(ev->u.capture_end.message));
        fputc('\n', o);
        break;
    default:
        break;
    }
}

/* The URL's framing line; create: a new, empty one (a status line began). */
static struct framing *framing_of(struct text_state *s, size_t url_index, int create)
{
    for (size_t i = 0; i < s->n_framing; i++) {
        if (s->framing[i]->url_index != url_index)
            continue;
        if (create) {
            s->framing[i]->len = 0;
            s->framing[i]->line[0] = '\0';
        }
        return s->framing[i];
    }
    if (!create)
        return NULL;
    if (s->n_framing == s->cap_framing) {
        size_t cap = s->cap_framing ? s->cap_framing * 2 : 4;
        struct framing **p = realloc(s->framing, cap * sizeof *p);
        if (!p)
            return NULL;
        s->framing = p;
        s->cap_framing = cap;
    }
    struct framing *f = malloc(sizeof *f);
    if (!f)
        return NULL;
    f->url_index = url_index;
    f->len = 0;
    f->line[0] = '\0';
    s->framing[s->n_framing++] = f;
    return f;
}

static void framing_done(struct text_state *s, size_t url_index)
{
    for (size_t i = 0; i < s->n_framing; i++) {
        if (s->framing[i]->url_index == url_index) {
            free(s->framing[i]);
            s->framing[i] = s->framing[--s->n_framing];
            return;
        }
    }
}

/* socket(AF_INET, SOCK_STREAM) = 3, recv(5, 16384) = 79 bytes: the call
 * as the lesson's tiny server and client write it, with what it returned. */
static void render_socket_call(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char a[80];
    int fd = ev->u.socket_call.fd;
    int64_t r = ev->u.socket_call.result;
    tag(s, C_TCP, ev->u.socket_call.we_are_server ? "srv " : "tcp ");
    if (ev->u.socket_call.conn)
        fprintf(o, "#%" PRIu64 " ", ev->u.socket_call.conn);
    const char *name = wt_socket_call_name(ev->u.socket_call.call);
    wt_endpoint_format(&ev->u.socket_call.addr, a, sizeof a);
    switch (ev->u.socket_call.call) {
    case WT_CALL_SOCKET:
        fprintf(o, "socket(%s, SOCK_STREAM)",
                ev->u.socket_call.family == AF_INET6 ? "AF_INET6" : "AF_INET");
        break;
    case WT_CALL_BIND:
    case WT_CALL_CONNECT:
        fprintf(o, "%s(%d, %s)", name, fd, a);
        break;
    case WT_CALL_LISTEN:
        fprintf(o, "listen(%d, backlog %d)", fd, ev->u.socket_call.backlog);
        break;
    case WT_CALL_ACCEPT:
        fprintf(o, "accept(%d)", fd);
        break;
    case WT_CALL_RECV:
    case WT_CALL_SEND:
    case WT_CALL_SENDMSG:
        fprintf(o, "%s(%d, %zu)", name, fd, ev->u.socket_call.len);
        break;
    case WT_CALL_SHUTDOWN:
        fprintf(o, "shutdown(%d, SHUT_WR)", fd);
        break;
    case WT_CALL_CLOSE:
        fprintf(o, "close(%d)", fd);
        break;
    }
    if (r < 0) {
        const char *e = strerrorname_np(ev->u.socket_call.err);
        fprintf(o, " = -1 %s (%s)\n", e ? e : "?", strerror(ev->u.socket_call.err));
        return;
    }
    switch (ev->u.socket_call.call) {
    case WT_CALL_ACCEPT:
        fprintf(o, _(" = %" PRId64 " from %s\n"), r, a);
        break;
    case WT_CALL_RECV:
        if (r == 0)
            fputs(ev->u.socket_call.we_are_server ? _(" = 0 (end of stream: the client's FIN)\n")
                                                  : _(" = 0 (end of stream: the server's FIN)\n"),
                  o);
        else
            fprintf(o, _(" = %" PRId64 " bytes\n"), r);
        break;
    case WT_CALL_SEND:
    case WT_CALL_SENDMSG:
        fprintf(o, _(" = %" PRId64 " bytes\n"), r);
        break;
    case WT_CALL_SHUTDOWN:
        fprintf(o, _(" = %" PRId64 " (our FIN)\n"), r);
        break;
    default:
        fprintf(o, " = %" PRId64 "\n", r);
        break;
    }
}

static void render_serve_syn(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char a[80];
    wt_endpoint_format(&ev->u.serve_syn.client, a, sizeof a);
    tag(s, C_TCP, "srv ");
    fprintf(o, "#%" PRIu64 " ", ev->u.serve_syn.conn);
    if (ev->u.serve_syn.saved) {
        fprintf(o, _("SYN from %s seq=%" PRIu32 " = j · win %" PRIu32), a, ev->u.serve_syn.seq,
                ev->u.serve_syn.window);
        if (ev->u.serve_syn.mss >= 0)
            fprintf(o, " · MSS %d", ev->u.serve_syn.mss);
        if (ev->u.serve_syn.wscale >= 0)
            fprintf(o, " · wscale %d", ev->u.serve_syn.wscale);
        if (ev->u.serve_syn.sack_ok)
            fputs(_(" · SACK permitted"), o);
        if (ev->u.serve_syn.has_ts)
            fputs(_(" · timestamps"), o);
        fprintf(o, _(" · TTL %d ⇒ SYN_RECV: the kernel answered SYN+ACK itself"), ev->u.serve_syn.ttl);
    } else {
        fprintf(o, _("SYN from %s ⇒ SYN_RECV: the kernel answered SYN+ACK itself"), a);
    }
    if (ev->u.serve_syn.queued >= 0)
        fprintf(o, _("; at the client's ACK it queued the connection for accept() (%" PRId64
                     " of %" PRId64 " waiting)\n"), ev->u.serve_syn.queued, ev->u.serve_syn.backlog);
    else
        fputs(_("; at the client's ACK it queued the connection for accept()\n"), o);
}

/* The network and link layers of the connection: two lines. */
static void render_route(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    const char *dst = ev->u.route.remote.addr;
    tag(s, C_DIM, "ip  ");
    if (!ev->u.route.found) {
        fprintf(o, _("route to %s: not known (%s)\n"), dst,
                ev->u.route.message ? _(ev->u.route.message) : "?");
        return;
    }
    fprintf(o, _("route to %s: "), dst);
    if (ev->u.route.local)
        fputs(_("a local address (one of this machine's own), no gateway"), o);
    else if (ev->u.route.gateway[0])
        fprintf(o, _("via gateway %s"), ev->u.route.gateway);
    else
        fputs(_("directly connected, no gateway"), o);
    if (ev->u.route.ifname[0])
        fprintf(o, " · dev %s", ev->u.route.ifname);
    if (ev->u.route.source[0])
        fprintf(o, " · src %s", ev->u.route.source);
    if (ev->u.route.ttl >= 0)
        fprintf(o, " · %s %d", ev->u.route.remote.family == AF_INET6 ? _("hop limit") : "TTL",
                ev->u.route.ttl);
    if (ev->u.route.path_mtu >= 0)
        fprintf(o, " · path MTU %d", ev->u.route.path_mtu);
    fputc('\n', o);

    tag(s, C_DIM, "link");
    const char *ifname = ev->u.route.ifname[0] ? ev->u.route.ifname : "?";
    const char *resolver = ev->u.route.remote.family == AF_INET6 ? "NDP" : "ARP";
    if (ev->u.route.loopback) {
        fprintf(o, _("%s: loopback, MTU %d · no link-layer address and no %s: the packets never "
                     "leave this machine\n"), ifname, ev->u.route.mtu, resolver);
    } else if (ev->u.route.noarp) {
        fprintf(o, _("%s: MTU %d · an interface without %s (no link-layer addresses)\n"), ifname,
                ev->u.route.mtu, resolver);
    } else if (ev->u.route.have_neigh) {
        fprintf(o, _("next hop %s is %s (%s, %s) on %s · MTU %d\n"), ev->u.route.next_hop,
                ev->u.route.lladdr[0] ? ev->u.route.lladdr : _("no address yet"), resolver,
                ev->u.route.neigh_state, ifname, ev->u.route.mtu);
    } else {
        fprintf(o, _("next hop %s: not in the %s table of %s · MTU %d\n"), ev->u.route.next_hop,
                resolver, ifname, ev->u.route.mtu);
    }
}

static void append_framing(struct text_state *s, const struct wt_event *ev)
{
    static const char *const shown[] = {
        "Content-Type", "Content-Length", "Transfer-Encoding", "Connection", "Location",
    };
    const char *name = ev->u.http_header.name;
    size_t nlen = ev->u.http_header.name_len;
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++) {
        if (strlen(shown[i]) != nlen || strncasecmp(shown[i], name, nlen) != 0)
            continue;
        char val[WT_ESCAPE_TERM_MAX(256)];
        size_t vlen = ev->u.http_header.value_len > 256 ? 256 : ev->u.http_header.value_len;
        wt_escape_term(ev->u.http_header.value, vlen, val, sizeof val);
        struct framing *f = framing_of(s, ev->url_index, 0);
        if (!f)
            return;
        int w = snprintf(f->line + f->len, sizeof f->line - f->len, "%s%s: %s",
                         f->len ? " · " : "", shown[i], val);
        if (w > 0 && (size_t)w < sizeof f->line - f->len)
            f->len += (size_t)w;
        return;
    }
}

/* A size as the decoding line shows it: bytes, then binary units. */
static void format_size(uint64_t n, char *buf, size_t len)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
    if (n < 1024) {
        snprintf(buf, len, "%" PRIu64 " B", n);
        return;
    }
    double v = (double)n / 1024;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, "%.1f %s", v, units[u]);
}

/* --compressed: what the codings did to the body's size. */
static void narrate_decoding(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char names[WT_ESCAPE_TERM_MAX(64)], wire[32], decoded[32];
    const char *enc = ev->u.http_body_done.encoding;
    wt_escape_term(enc, strlen(enc), names, sizeof names);
    format_size(ev->u.http_body_done.bytes, wire, sizeof wire);
    format_size(ev->u.http_body_done.decoded_bytes, decoded, sizeof decoded);
    tag(s, C_HTTP, "http");
    if (ev->u.http_body_done.bytes > 0)
        fprintf(o, _("body: %1$s, %2$s on the wire → %3$s decoded (%4$.1f×)\n"), names, wire,
                decoded, (double)ev->u.http_body_done.decoded_bytes /
                             (double)ev->u.http_body_done.bytes);
    else
        fprintf(o, _("body: %s, empty: nothing to decode\n"), names);
    if (ev->u.http_body_done.truncated) {
        tag(s, C_HTTP, "http");
        fprintf(o, _("the %s stream ended before its end marker: the decoded body may be "
                     "incomplete (curl 7.88 does not check either, and exits 0)\n"), names);
    }
}

/* --limit-rate: how the reading kept to it. */
static void narrate_rate(struct text_state *s, const struct wt_event *ev)
{
    char rate[32], avg[32], paused[32];
    format_size(ev->u.http_body_done.limit_rate, rate, sizeof rate);
    int64_t us = ev->u.http_body_done.elapsed_us;
    format_size(us > 0 ? (uint64_t)((double)ev->u.http_body_done.bytes * 1e6 / (double)us)
                       : ev->u.http_body_done.bytes,
                avg, sizeof avg);
    wt_format_duration(ev->u.http_body_done.rate_paused_us, paused, sizeof paused);
    tag(s, C_HTTP, "http");
    fprintf(s->cfg.out, _("--limit-rate %1$s/s: reading paused %2$" PRIu64 " times, %3$s in "
                          "all · %4$s/s on average\n"),
            rate, ev->u.http_body_done.rate_pauses, paused, avg);
}

/* -r/-C: what the server did with the range. */
static void narrate_range(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char cr[WT_ESCAPE_TERM_MAX(80)] = "";
    if (ev->u.http_range.content_range)
        wt_escape_term(ev->u.http_range.content_range,
                       ev->u.http_range.content_range_len > 80 ? 80
                                                               : ev->u.http_range.content_range_len,
                       cr, sizeof cr);
    int status = ev->u.http_range.status;
    int64_t from = ev->u.http_range.resume_from;
    tag(s, C_HTTP, "http");
    switch (ev->u.http_range.outcome) {
    case WT_RANGE_PARTIAL:
        if (from > 0)
            fprintf(o, _("resumed: %1$d, the body from byte %2$" PRId64 " on (Content-Range: %3$s), "
                         "appended to the file\n"), status, from, cr[0] ? cr : "-");
        else
            fprintf(o, _("range: %1$d, part of the body (Content-Range: %2$s)\n"), status,
                    cr[0] ? cr : "-");
        break;
    case WT_RANGE_IGNORED:
        if (from > 0)
            fprintf(o, _("resume: the server ignored the range (%d, not the rest from byte "
                         "%" PRId64 "): it cannot resume this download\n"), status, from);
        else
            fprintf(o, _("range: the server ignored it (%d): the whole body follows, written "
                         "as curl writes it\n"), status);
        break;
    case WT_RANGE_COMPLETE:
        fprintf(o, _("resume: the file already holds the whole body (%1$d, %2$" PRId64
                     " bytes): nothing to append, as curl\n"), status, from);
        break;
    case WT_RANGE_UNSATISFIABLE:
        fputs(_("range: the server cannot send that range (416); its answer is written, "
                "as curl does\n"), o);
        break;
    case WT_RANGE_NONE:
        break;
    }
}

/* Why a request header is there. */
static const char *header_origin_words(int origin)
{
    switch (origin) {
    case WT_HDR_FROM_URL: return N_("from the URL");
    case WT_HDR_DEFAULT: return N_("default; -H changes or removes it");
    case WT_HDR_FROM_USER: return N_("from -u, Basic: user and password in base64, not encrypted");
    case WT_HDR_FROM_AGENT: return N_("from -A");
    case WT_HDR_FROM_REFERER: return N_("from -e");
    case WT_HDR_FROM_HEADER: return N_("from -H");
    case WT_HDR_FROM_JSON: return N_("from --json");
    case WT_HDR_BODY_LENGTH: return N_("the size of the body");
    case WT_HDR_BODY_TYPE: return N_("-d's default: an HTML form's encoding");
    case WT_HDR_FROM_COMPRESSED: return N_("from --compressed: the codings webtrace decodes");
    case WT_HDR_FROM_RANGE: return N_("from -r: only these bytes of the body");
    case WT_HDR_FROM_RESUME: return N_("from -C: the body from where the file ends");
    case WT_HDR_FROM_FORM: return N_("from -F: the parts are separated by the boundary");
    case WT_HDR_FROM_COOKIE: return N_("the cookie engine's cookies for this URL, then -b's");
    case WT_HDR_EXPECT:
        return N_("as curl for an upload or a body over 1 MiB: the body waits for 100 Continue; "
                  "-H 'Expect:' removes it");
    case WT_HDR_FROM_PROXY_USER: return N_("for the proxy, from -U: Basic, user and password in base64");
    case WT_HDR_FOR_PROXY: return N_("for the proxy: keep our connection to it open (as curl)");
    default: return N_("added by webtrace");
    }
}

/* What webtrace accepted, in words; the RFC clause is printed after it. */
static const char *deviation_words(int kind)
{
    switch (kind) {
    case WT_HTTP_DEV_BARE_LF:
        return N_("tolerated: lines of the response head end with a bare LF, read as CRLF (%s)");
    case WT_HTTP_DEV_NO_REASON:
        return N_("tolerated: the status line ends after the code, with no space and reason "
                  "phrase (%s)");
    case WT_HTTP_DEV_STATUS_SPACES:
        return N_("tolerated: more than one space between the version and the status code (%s)");
    case WT_HTTP_DEV_OBS_FOLD:
        return N_("tolerated: a header line folded onto the next (obs-fold), unfolded to "
                  "spaces (%s)");
    case WT_HTTP_DEV_UNASKED_101:
        return N_("tolerated: 101 Switching Protocols without an Upgrade request, skipped as "
                  "an interim response (%s)");
    default:
        return N_("tolerated: a deviation from the HTTP grammar (%s)");
    }
}

/* -F: one line per part, its name, size and Content-Type. */
static void render_form_parts(struct text_state *s, const struct wt_form *form)
{
    FILE *o = s->cfg.out;
    for (size_t i = 0; i < form->n_parts; i++) {
        const struct wt_form_part *p = &form->parts[i];
        char name[WT_ESCAPE_TERM_MAX(64)], file[WT_ESCAPE_TERM_MAX(64)];
        char type[WT_ESCAPE_TERM_MAX(64)];
        const char *n = p->name ? p->name : "";
        wt_escape_term(n, strnlen(n, 64), name, sizeof name);
        const char *t = p->type ? p->type : "";
        wt_escape_term(t, strnlen(t, 64), type, sizeof type);
        tag(s, C_HTTP, "http");
        if (p->source == WT_FORM_FILE) {
            wt_escape_term(p->filename, strnlen(p->filename, 64), file, sizeof file);
            if (p->type)
                fprintf(o, _("  part %1$zu \"%2$s\": file \"%3$s\", %4$zu bytes, %5$s\n"),
                        i + 1, name, file, p->size, type);
            else
                fprintf(o, _("  part %1$zu \"%2$s\": file \"%3$s\", %4$zu bytes\n"), i + 1,
                        name, file, p->size);
        } else if (p->type) {
            fprintf(o, _("  part %1$zu \"%2$s\": %3$zu bytes, %4$s\n"), i + 1, name, p->size,
                    type);
        } else {
            fprintf(o, _("  part %1$zu \"%2$s\": %3$zu bytes (no Content-Type: plain text)\n"),
                    i + 1, name, p->size);
        }
    }
}

/* -b/-c: what the cookie engine did with one cookie. The domain is shown
 * as the Netscape file has it: a leading dot means its subdomains too. */
static void render_cookie(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    const char *n = ev->u.http_cookie.name ? ev->u.http_cookie.name : "";
    char name[WT_ESCAPE_TERM_MAX(64)], where[WT_ESCAPE_TERM_MAX(200) + 2];
    wt_escape_term(n, strnlen(n, 64), name, sizeof name);
    const char *d = ev->u.http_cookie.domain, *p = ev->u.http_cookie.path ? ev->u.http_cookie.path : "/";
    char dom[WT_ESCAPE_TERM_MAX(100)], path[WT_ESCAPE_TERM_MAX(100)];
    wt_escape_term(d ? d : "*", d ? strnlen(d, 100) : 1, dom, sizeof dom);
    wt_escape_term(p, strnlen(p, 100), path, sizeof path);
    snprintf(where, sizeof where, "%s%s%s", d && !ev->u.http_cookie.host_only ? "." : "", dom, path);
    char flags[32] = "";
    if (ev->u.http_cookie.secure)
        strcat(flags, " · Secure");
    if (ev->u.http_cookie.http_only)
        strcat(flags, " · HttpOnly");
    char until[48] = "";
    if (ev->u.http_cookie.expires) {
        time_t e = (time_t)ev->u.http_cookie.expires;
        struct tm tm;
        if (gmtime_r(&e, &tm))
            strftime(until, sizeof until, "%Y-%m-%d %H:%M:%S UTC", &tm);
    }
    tag(s, C_HTTP, "http");
    switch (ev->u.http_cookie.action) {
    case WT_COOKIE_SENT:
        fprintf(o, _("→ cookie %1$s sent: stored for %2$s, which this URL matches%3$s\n"), name,
                where, flags);
        break;
    case WT_COOKIE_STORED:
        if (until[0])
            fprintf(o, _("← cookie %1$s stored for %2$s until %3$s%4$s\n"), name, where, until,
                    flags);
        else
            fprintf(o, _("← cookie %1$s stored for %2$s, a session cookie (kept for this run)%3$s\n"),
                    name, where, flags);
        break;
    case WT_COOKIE_REPLACED:
        if (until[0])
            fprintf(o, _("← cookie %1$s replaced for %2$s, now until %3$s%4$s\n"), name, where,
                    until, flags);
        else
            fprintf(o, _("← cookie %1$s replaced for %2$s, now a session cookie%3$s\n"), name,
                    where, flags);
        break;
    case WT_COOKIE_DELETED:
        fprintf(o, _("← cookie %1$s deleted: the server sent it already expired\n"), name);
        break;
    default:
        fprintf(o, _("← cookie %1$s refused: %2$s\n"), name,
                _(ev->u.http_cookie.reason ? ev->u.http_cookie.reason : N_("not valid")));
        break;
    }
}

/* A size for people: bytes, KiB or MiB with one decimal. */
static void human_size(uint64_t n, char *out, size_t len)
{
    if (n < 1024)
        snprintf(out, len, "%" PRIu64 " B", n);
    else if (n < 1024 * 1024)
        snprintf(out, len, "%.1f KiB", (double)n / 1024);
    else
        snprintf(out, len, "%.1f MiB", (double)n / (1024 * 1024));
}

static void render_expect(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char waited[32], size[32];
    wt_format_duration(ev->u.http_expect.waited_us, waited, sizeof waited);
    human_size(ev->u.http_expect.body_bytes, size, sizeof size);
    tag(s, C_HTTP, "http");
    switch (ev->u.http_expect.outcome) {
    case WT_EXPECT_CONTINUE:
        fprintf(o, _("Expect: 100-continue: the server said 100 Continue after %1$s, sending %2$s\n"),
                waited, size);
        break;
    case WT_EXPECT_TIMEOUT:
        fprintf(o, _("Expect: 100-continue: no answer in %1$ld ms (--expect100-timeout), "
                     "sending %2$s anyway\n"),
                ev->u.http_expect.timeout_ms, size);
        break;
    case WT_EXPECT_FINAL_AFTER_100:
        fprintf(o, _("Expect: 100-continue: the server answered %1$d right behind its 100 Continue, "
                     "after %2$s, before the body left: the %3$s body is not sent and the "
                     "connection closes after this response\n"),
                ev->u.http_expect.status, waited, size);
        break;
    default:
        fprintf(o, _("Expect: 100-continue: the server answered %1$d after %2$s, before any 100: "
                     "the %3$s body is not sent and the connection closes after this response\n"),
                ev->u.http_expect.status, waited, size);
        break;
    }
}

/* -v on HTTP/2: the pseudo-headers first, as they go on the wire, then
 * the fields in lower case; Host became :authority. */
static void render_h2_request(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    const char *pseudo[4][2] = {
        { ":method", ev->u.http_request.method },
        { ":scheme", ev->u.http_request.scheme ? ev->u.http_request.scheme : "https" },
        { ":authority", ev->u.http_request.host_header },
        { ":path", ev->u.http_request.target },
    };
    for (size_t i = 0; i < 4; i++) {
        tag(s, C_HTTP, "http");
        fprintf(o, "> %s: ", pseudo[i][0]);
        put_escaped(o, pseudo[i][1], strlen(pseudo[i][1]));
        fputc('\n', o);
    }
    const char *line = strstr(ev->u.http_request.raw, "\r\n");
    while (line && line[2] && !(line[2] == '\r' && line[3] == '\n')) {
        line += 2;
        const char *eol = strstr(line, "\r\n");
        if (!eol)
            break;
        if (!(eol - line > 5 && strncasecmp(line, "Host:", 5) == 0)) {
            tag(s, C_HTTP, "http");
            fputs("> ", o);
            for (const char *c = line; c < eol && *c != ':'; c++)
                fputc(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c, o);
            const char *colon = memchr(line, ':', (size_t)(eol - line));
            if (colon)
                put_escaped(o, colon, (size_t)(eol - colon));
            fputc('\n', o);
        }
        line = eol;
    }
}

/* The SETTINGS values as "NAME value · NAME value". */
static void settings_list(const struct wt_event *ev, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ev->u.h2_frame.n_settings && used < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%s %u", i ? " · " : "",
                         ev->u.h2_frame.settings[i].name, ev->u.h2_frame.settings[i].value);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* Without -v: the preface, both sides' SETTINGS, our HEADERS and what
 * ends a stream or the connection; -v adds every other frame. */
static int h2_frame_shown(const struct text_state *s, const struct wt_event *ev)
{
    if (s->cfg.verbose)
        return 1;
    switch (ev->u.h2_frame.type) {
    case WT_H2_PREFACE:
    case WT_H2_RST_STREAM:
    case WT_H2_GOAWAY:
        return 1;
    case WT_H2_SETTINGS:
        /* a server may repeat them (a flood): the first say what it wants */
        return !ev->u.h2_frame.ack && ev->u.h2_frame.nth == 1;
    case WT_H2_HEADERS:
        /* ours, and on the server's side also the client's request */
        return ev->u.h2_frame.sent || ev->u.h2_frame.server;
    default:
        return 0;
    }
}

static void render_h2(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    if (ev->kind == WT_EV_H2_STREAM && ev->u.h2_stream.server) {
        tag(s, C_HTTP, "h2  ");
        fprintf(o, "#%" PRIu64 " ", ev->u.h2_stream.conn);
        if (ev->u.h2_stream.end_stream)
            fprintf(o, _("stream %d ended with END_STREAM: we sent %zu HEADERS and %zu DATA "
                         "frames, %" PRIu64 " bytes of DATA\n"),
                    ev->u.h2_stream.stream, ev->u.h2_stream.header_frames,
                    ev->u.h2_stream.data_frames, ev->u.h2_stream.data_bytes);
        else
            fprintf(o, _("stream %d closed without END_STREAM: %s (%u), after we sent %zu DATA "
                         "frames, %" PRIu64 " bytes\n"),
                    ev->u.h2_stream.stream, ev->u.h2_stream.error_name,
                    ev->u.h2_stream.error_code, ev->u.h2_stream.data_frames,
                    ev->u.h2_stream.data_bytes);
        return;
    }
    if (ev->kind == WT_EV_H2_STREAM) {
        tag(s, C_HTTP, "h2  ");
        if (ev->u.h2_stream.end_stream)
            fprintf(o, _("stream %d ended with END_STREAM: %zu HEADERS and %zu DATA frames, "
                         "%" PRIu64 " bytes of DATA\n"),
                    ev->u.h2_stream.stream, ev->u.h2_stream.header_frames,
                    ev->u.h2_stream.data_frames, ev->u.h2_stream.data_bytes);
        else
            fprintf(o, _("stream %d closed without END_STREAM: %s (%u), after %zu DATA frames, "
                         "%" PRIu64 " bytes\n"),
                    ev->u.h2_stream.stream, ev->u.h2_stream.error_name,
                    ev->u.h2_stream.error_code, ev->u.h2_stream.data_frames,
                    ev->u.h2_stream.data_bytes);
        return;
    }
    if (!h2_frame_shown(s, ev))
        return;
    const char *arrow = ev->u.h2_frame.sent ? "→" : "←";
    const char *end = ev->u.h2_frame.end_stream ? " · END_STREAM" : "";
    char list[WT_H2_MAX_SETTINGS * 40];
    tag(s, C_HTTP, "h2  ");
    if (ev->u.h2_frame.server) {
        /* the server's side: which connection, and the client as the peer */
        fprintf(o, "#%" PRIu64 " ", ev->u.h2_frame.conn);
        if (ev->u.h2_frame.type == WT_H2_PREFACE) {
            fprintf(o, _("← connection preface, %zu bytes: \"PRI * HTTP/2.0\", the client speaks "
                         "HTTP/2 from its first byte\n"),
                    ev->u.h2_frame.length);
            return;
        }
        if (ev->u.h2_frame.type == WT_H2_SETTINGS) {
            settings_list(ev, list, sizeof list);
            if (ev->u.h2_frame.ack)
                fputs(ev->u.h2_frame.sent ? _("→ SETTINGS ACK: we take the client's settings\n")
                                          : _("← SETTINGS ACK: the client takes ours\n"),
                      o);
            else if (ev->u.h2_frame.sent)
                fprintf(o, _("→ SETTINGS (ours): %s\n"), list[0] ? list : _("the defaults"));
            else
                fprintf(o, _("← SETTINGS (the client's): %s\n"),
                        list[0] ? list : _("the defaults"));
            return;
        }
    }
    switch (ev->u.h2_frame.type) {
    case WT_H2_PREFACE:
        fprintf(o, _("→ connection preface, %zu bytes: \"PRI * HTTP/2.0\", HTTP/2 from the first "
                     "byte\n"),
                ev->u.h2_frame.length);
        break;
    case WT_H2_SETTINGS:
        settings_list(ev, list, sizeof list);
        if (ev->u.h2_frame.ack)
            fputs(ev->u.h2_frame.sent ? _("→ SETTINGS ACK: we take the server's settings\n")
                                      : _("← SETTINGS ACK: the server takes ours\n"),
                  o);
        else if (ev->u.h2_frame.sent)
            fprintf(o, _("→ SETTINGS (ours): %s\n"), list[0] ? list : _("the defaults"));
        else
            fprintf(o, _("← SETTINGS (the server's): %s\n"), list[0] ? list : _("the defaults"));
        break;
    case WT_H2_HEADERS:
        fprintf(o, _("%s HEADERS stream %d · %zu fields · HPACK %zu bytes for %zu bytes of names "
                     "and values%s\n"),
                arrow, ev->u.h2_frame.stream, ev->u.h2_frame.n_headers, ev->u.h2_frame.length,
                ev->u.h2_frame.raw_bytes, end);
        break;
    case WT_H2_DATA:
        fprintf(o, _("%s DATA stream %d · %zu bytes%s\n"), arrow, ev->u.h2_frame.stream,
                ev->u.h2_frame.length, end);
        break;
    case WT_H2_WINDOW_UPDATE:
        fprintf(o, _("%s WINDOW_UPDATE stream %d · window +%u bytes\n"), arrow,
                ev->u.h2_frame.stream, ev->u.h2_frame.increment);
        break;
    case WT_H2_PING:
        fprintf(o, _("%s PING%s · opaque %016" PRIx64 "\n"), arrow,
                ev->u.h2_frame.ack ? " ACK" : "", ev->u.h2_frame.ping);
        break;
    case WT_H2_RST_STREAM:
        fprintf(o, _("%s RST_STREAM stream %d · %s (%u)\n"), arrow, ev->u.h2_frame.stream,
                ev->u.h2_frame.error_name, ev->u.h2_frame.error_code);
        break;
    case WT_H2_GOAWAY:
        fprintf(o, _("%s GOAWAY · last stream %d · %s (%u)\n"), arrow, ev->u.h2_frame.last_stream,
                ev->u.h2_frame.error_name, ev->u.h2_frame.error_code);
        break;
    default:
        fprintf(o, _("%s %s stream %d · %zu bytes\n"), arrow, ev->u.h2_frame.type_name,
                ev->u.h2_frame.stream, ev->u.h2_frame.length);
        break;
    }
}

static void render_http(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char d[32];
    switch (ev->kind) {
    case WT_EV_HTTP_REQUEST: {
        tag(s, C_HTTP, "http");
        if (ev->u.http_request.h2 && ev->u.http_request.conn)
            /* TRANSLATORS: %1$s method, %2$s target, %3$u connection, %4$d
             * stream, %5$s :authority, %6$zu headers, %7$zu bytes */
            fprintf(o, _("→ %1$s %2$s HTTP/2 on connection #%3$u stream %4$d · :authority %5$s · "
                         "%6$zu headers · HEADERS frame of %7$zu bytes\n"),
                    ev->u.http_request.method, ev->u.http_request.target, ev->u.http_request.conn,
                    (int)ev->u.http_request.stream, ev->u.http_request.host_header,
                    ev->u.http_request.n_headers, ev->u.http_request.bytes);
        else if (ev->u.http_request.h2)
            fprintf(o, _("→ %s %s HTTP/2 · :authority %s · %zu headers · HEADERS frame of %zu "
                         "bytes\n"),
                    ev->u.http_request.method, ev->u.http_request.target,
                    ev->u.http_request.host_header, ev->u.http_request.n_headers,
                    ev->u.http_request.bytes);
        else
            fprintf(o, _("→ %s %s HTTP/1.1 · Host: %s · %zu headers · %zu bytes\n"),
                    ev->u.http_request.method, ev->u.http_request.target,
                    ev->u.http_request.host_header, ev->u.http_request.n_headers,
                    ev->u.http_request.bytes);
        if (ev->u.http_request.body_bytes) {
            tag(s, C_HTTP, "http");
            fprintf(o, _("→ request body: %zu bytes, after the head\n"),
                    ev->u.http_request.body_bytes);
        }
        if (ev->u.http_request.form)
            render_form_parts(s, ev->u.http_request.form);
        if (s->cfg.verbose && ev->u.http_request.h2)
            render_h2_request(s, ev);
        else if (s->cfg.verbose) {
            const char *line = ev->u.http_request.raw;
            size_t index = 0;   /* 0 is the request line, then one per header */
            while (*line && !(line[0] == '\r' && line[1] == '\n')) {
                const char *eol = strstr(line, "\r\n");
                if (!eol)
                    break;
                tag(s, C_HTTP, "http");
                /* The request is ours, but -H and -d put the user's bytes in it. */
                fputs("> ", o);
                put_escaped(o, line, (size_t)(eol - line));
                if (index > 0 && ev->u.http_request.origin &&
                    index <= ev->u.http_request.n_headers)
                    fprintf(o, "   (%s)", _(header_origin_words(ev->u.http_request.origin[index - 1])));
                fputc('\n', o);
                line = eol + 2;
                index++;
            }
        }
        break;
    }
    case WT_EV_HTTP_STATUS:
        framing_of(s, ev->url_index, 1);
        wt_format_duration(ev->u.http_status.wait_us, d, sizeof d);
        tag(s, C_HTTP, "http");
        if (ev->u.http_status.version_major == 2)
            fprintf(o, "← HTTP/2 %d", ev->u.http_status.status);   /* no minor, no reason */
        else
            fprintf(o, "← HTTP/%d.%d %d ", ev->u.http_status.version_major,
                    ev->u.http_status.version_minor, ev->u.http_status.status);
        put_escaped(o, ev->u.http_status.reason, ev->u.http_status.reason_len);
        if (ev->u.http_status.status / 100 == 1)
            fputs(_(" (interim response)"), o);
        fprintf(o, _(" · after %s (server processing)\n"), d);
        if (s->cfg.verbose && ev->u.http_status.version_major == 2) {
            tag(s, C_HTTP, "http");
            fprintf(o, "< :status: %d\n", ev->u.http_status.status);
        }
        break;
    case WT_EV_HTTP_HEADER:
        if (s->cfg.verbose) {
            tag(s, C_HTTP, "http");
            fputs("< ", o);
            put_escaped(o, ev->u.http_header.name, ev->u.http_header.name_len);
            fputs(": ", o);
            put_escaped(o, ev->u.http_header.value, ev->u.http_header.value_len);
            if (ev->u.http_header.folded)
                fputs(_("   (obs-fold unfolded to spaces)"), o);
            fputc('\n', o);
        }
        append_framing(s, ev);
        break;
    case WT_EV_HTTP_COOKIE:
        render_cookie(s, ev);
        break;
    case WT_EV_HTTP_EXPECT:
        render_expect(s, ev);
        break;
    case WT_EV_HTTP_DEVIATION:
        tag(s, C_HTTP, "http");
        fprintf(o, _(deviation_words(ev->u.http_deviation.kind)), ev->u.http_deviation.rfc);
        fputc('\n', o);
        break;
    case WT_EV_HTTP_RANGE:
        narrate_range(s, ev);
        break;
    case WT_EV_HTTP_HEADERS_DONE:
        tag(s, C_HTTP, "http");
        {
            const struct framing *f = framing_of(s, ev->url_index, 0);
            fprintf(o, _("  %s%s%zu headers, %zu bytes · body: %s\n"), f ? f->line : "",
                    f && f->len ? " · " : "", ev->u.http_headers_done.n_headers,
                    ev->u.http_headers_done.header_bytes,
                    framing_words(ev->u.http_headers_done.framing));
            framing_done(s, ev->url_index);
        }
        break;
    case WT_EV_HTTP_BODY_DONE: {
        wt_format_duration(ev->u.http_body_done.elapsed_us, d, sizeof d);
        const char *sink = ev->u.http_body_done.sink;
        tag(s, C_HTTP, "http");
        fprintf(o, _("← body %" PRIu64 " bytes (%s) in %s → %s\n"), ev->u.http_body_done.bytes,
                framing_words(ev->u.http_body_done.framing), d, _(sink));
        if (ev->u.http_body_done.encoding)
            narrate_decoding(s, ev);
        if (ev->u.http_body_done.limit_rate)
            narrate_rate(s, ev);
        break;
    }
    default:
        break;
    }
}

/* The lesson's sentence for one packet, by the textbook name of its numbers. */
static const char *packet_explanation(const struct wt_event *ev)
{
    const char *seq = ev->u.tcp_packet.seq_is ? ev->u.tcp_packet.seq_is : "";
    const char *ack = ev->u.tcp_packet.ack_is ? ev->u.tcp_packet.ack_is : "";
    if (ev->u.tcp_packet.flags & 0x04)
        return N_("RST: the connection is dropped at once, without the FIN exchange.");
    if (strcmp(seq, "j") == 0)
        return N_("SYN, seq=j: j is chosen at random for every connection (RFC 6528), so late "
               "packets of an old connection cannot pass for this one's. Its options offer "
               "the MSS, window scaling, SACK and timestamps.");
    if (strcmp(seq, "k") == 0)
        return N_("SYN+ACK: the server's own random number k, and ack=j+1: a SYN counts as one "
               "byte, so the next byte expected is j+1.");
    if (strcmp(ack, "k+1") == 0)
        return N_("ACK, ack=k+1: both numbers are now agreed; the server too is ESTABLISHED.");
    if (strcmp(seq, "u") == 0)
        return N_("FIN, seq=u: this side has no more to send. The other side is now in "
               "CLOSE_WAIT: it may still send until it closes too.");
    if (strcmp(seq, "w") == 0)
        return N_("FIN, seq=w: the other side closes its half too and waits in LAST_ACK for the "
               "last ACK.");
    if (strcmp(ack, "u+1") == 0)
        return N_("ACK, ack=u+1: the first FIN is acknowledged; the connection is half closed.");
    if (strcmp(ack, "w+1") == 0)
        return N_("ACK, ack=w+1: the last packet. Whoever closed first waits in TIME_WAIT "
               "(2 MSL) so a lost last ACK can be sent again; the other side is CLOSED.");
    return NULL;
}

static const char *call_explanation(const struct wt_event *ev)
{
    switch (ev->u.socket_call.call) {
    case WT_CALL_SOCKET:
        return N_("socket() makes an endpoint and returns its descriptor: the small number "
               "every later call on it names.");
    case WT_CALL_BIND:
        return N_("bind() gives the socket its address and port: where clients will connect.");
    case WT_CALL_LISTEN:
        return N_("listen() makes it a listening socket: from now on the kernel answers SYNs "
               "itself and queues up to backlog finished handshakes for accept().");
    case WT_CALL_ACCEPT:
        return N_("accept() takes one finished handshake off the queue and returns a new "
               "descriptor for that client alone; the listening socket stays as it was.");
    case WT_CALL_CONNECT:
        return N_("connect() sends the SYN; a non-blocking socket returns at once "
               "(EINPROGRESS) and becomes writable when the handshake is done.");
    case WT_CALL_RECV:
        return N_("recv() copies what the kernel has received into our buffer (at most its "
               "length) and says how much; 0 means the peer sent its FIN.");
    case WT_CALL_SEND:
    case WT_CALL_SENDMSG:
        return N_("send() copies bytes into the kernel's send buffer and returns; TCP sends them "
               "in segments as the window allows (sendmsg: several buffers in one call).");
    case WT_CALL_SHUTDOWN:
        return N_("shutdown(SHUT_WR) sends our FIN but keeps the socket, to read the other "
               "side's FIN.");
    case WT_CALL_CLOSE:
        return N_("close() gives the descriptor back; the kernel finishes the TCP teardown on "
               "its own, TIME_WAIT included.");
    }
    return NULL;
}

/* --explain: one sentence under a step, for someone meeting it first. */
static const char *explanation(const struct wt_event *ev)
{
    switch (ev->kind) {
    case WT_EV_URL:
        return N_("A URL names how to talk (scheme), to whom (host), at which door (port) and "
               "what to ask for (target). A bare name means http on port 80.");
    case WT_EV_DNS_START:
        return N_("DNS turns the name into IP addresses: the resolver is asked over UDP (port "
               "53 unless told otherwise); A records hold IPv4 addresses, AAAA records IPv6.");
    case WT_EV_DNS_LITERAL:
        return N_("The host is already an address, so there is nothing to look up.");
    case WT_EV_CONNECT_TO:
        return N_("Only where the TCP connection goes changes: the request still names the "
                  "URL's host, and TLS still asks for and checks that name.");
    case WT_EV_DNS_PINNED:
        return N_("The addresses were given on the command line (--resolve), so no DNS "
                  "question is asked, as if the resolver had answered at once.");
    case WT_EV_DNS_NO_ANSWER:
        return N_("A DNS server that does not answer is not waited for forever: after its "
                  "timeout the resolver sends the same question to the next server.");
    case WT_EV_DNS_QUERY:
        return N_("This packet left the machine just now; the id ties the reply to the question.");
    case WT_EV_DNS_REPLY:
        return N_("NOERROR means the name exists; the answers may be aliases (CNAME) before the "
               "addresses. The time is one round trip to the DNS server.");
    case WT_EV_DNS_RECORD:
        return ev->u.dns_record.type == WT_DNS_TYPE_CNAME
                   ? N_("A CNAME is an alias: the lookup continues with the name it points to. "
                     "The TTL says how many seconds the answer may be cached.")
                   : NULL;
    case WT_EV_DNS_DONE:
        return N_("The client now knows where to connect; it tries the addresses in this order.");
    case WT_EV_TCP_ATTEMPT:
        if (ev->u.tcp_attempt.trigger == WT_TCP_AFTER_DELAY)
            return N_("Happy Eyeballs (RFC 8305): rather than wait for a slow address, the next "
                      "one is tried in parallel; the first handshake to finish wins and the "
                      "others are closed.");
        return N_("TCP connects to address:port; our side gets a temporary (ephemeral) port "
               "chosen by the kernel.");
    case WT_EV_TCP_ESTABLISHED:
        return N_("The three-way handshake: our SYN, the server's SYN+ACK, our ACK. Both sides "
               "are now ESTABLISHED; rtt is the round-trip time the kernel measured.");
    case WT_EV_TLS_HELLO:
        return N_("TLS begins with the ClientHello: SNI tells the server which site we want, "
               "ALPN which protocol we will speak inside.");
    case WT_EV_TLS_DONE:
        return N_("Keys are agreed (the key exchange group) and a cipher chosen: from here on "
               "everything on this connection is encrypted.");
    case WT_EV_TLS_CERT:
        return ev->u.tls_cert.index == 0
                   ? N_("The server proves who it is with a certificate chain, each one signed "
                     "by the next, up to a certificate authority we trust.")
                   : NULL;
    case WT_EV_TLS_VERIFY:
        return N_("Verification checks the signatures, the dates, and that the certificate names "
               "this host.");
    case WT_EV_HTTP_REQUEST:
        if (ev->u.http_request.h2)
            return N_("The same request over HTTP/2: no text, the method, path and headers "
                      "travel as pseudo-headers and fields in one binary HEADERS frame.");
        return N_("The request is text: a method, a path and headers, ending with an empty line "
               "(on https the text travels encrypted).");
    case WT_EV_H2_FRAME:
        if (ev->u.h2_frame.type == WT_H2_PREFACE)
            return N_("HTTP/2 is binary: after a fixed 24-byte preface both sides send frames, "
                      "and each request is a stream of its own, so many can share one "
                      "connection.");
        if (ev->u.h2_frame.type == WT_H2_HEADERS && ev->u.h2_frame.sent)
            return N_("HPACK compresses the headers: common names and values come from a static "
                      "table, repeated ones from a table both sides build as the connection "
                      "goes on.");
        if (ev->u.h2_frame.type == WT_H2_SETTINGS && !ev->u.h2_frame.sent &&
            !ev->u.h2_frame.ack && ev->u.h2_frame.nth == 1)
            return N_("SETTINGS say what each side accepts: how many streams at once, how much "
                      "data before it must grant more (flow control, WINDOW_UPDATE), how large "
                      "a frame may be.");
        return NULL;
    case WT_EV_HTTP_STATUS:
        return N_("The wait until the first byte is the server's work plus one round trip.");
    case WT_EV_HTTP_BODY_DONE:
        return N_("The body ends where Content-Length says, at the last chunk, or when the "
               "server closes.");
    case WT_EV_TCP_PACKET:
        return packet_explanation(ev);
    case WT_EV_SOCKET_CALL:
        return call_explanation(ev);
    case WT_EV_ROUTE:
        return N_("IP picks the route: the interface, our source address, and a gateway or "
                  "none; the link layer carries each packet to the next hop, whose MAC address "
                  "ARP (IPv4) or NDP (IPv6) found. A path MTU below the interface's means a "
                  "smaller link on the way.");
    case WT_EV_SERVE_SYN:
        return N_("The handshake is the kernel's work: a SYN on a listening socket gets its "
                  "SYN+ACK without the program doing anything, and the client's ACK puts the "
                  "connection in the accept queue.");
    case WT_EV_TCP_DATA:
        return N_("Between handshake and teardown: the data segments, the ACKs for them, and "
                  "the receive window each side advertised (how much more it can take).");
    case WT_EV_TCP_TEARDOWN:
        return N_("Closing takes a FIN from each side. Whoever closes first keeps TIME_WAIT (60 s "
               "on Linux) so late packets of this connection cannot confuse a new one.");
    case WT_EV_SERVE_LISTEN:
        return N_("A server binds an address and port, then listens: the kernel queues incoming "
               "connections (up to the backlog) until the server accepts them.");
    case WT_EV_SERVE_ACCEPT:
        return N_("accept() gives the server a new socket for this client, known by the "
               "client's address and port.");
    case WT_EV_SUMMARY:
        return N_("dns + connect + tls + wait + transfer: where the time of this fetch went.");
    case WT_EV_REDIRECT:
        return ev->u.redirect.followed
                   ? N_("A 3xx answer says the page is elsewhere: the client asks again at the "
                        "Location, a whole new request, maybe to another server.")
                   : NULL;
    case WT_EV_PROXY:
        return ev->u.proxy.use
                   ? N_("A proxy stands between us and the server: TCP goes to the proxy, and "
                        "the proxy makes its own connection to the server.")
                   : N_("The no-proxy list names hosts that are reached without the proxy.");
    case WT_EV_PROXY_CONNECT:
        return N_("CONNECT asks the proxy to open a TCP connection to host:port and then to "
                  "pass bytes both ways unread: TLS with the server runs end to end inside.");
    case WT_EV_PROXY_REPLY:
        return N_("A 2xx answer opens the tunnel; any other status (407: the proxy wants "
                  "credentials, 403: not allowed) ends the attempt, as curl does (exit 56).");
    case WT_EV_CONN_REUSE:
        return N_("HTTP/1.1 keeps a connection open after a response unless told otherwise: the "
                  "next request to the same server skips DNS and the handshakes.");
    case WT_EV_CONN_KEPT:
        return N_("Closing now would cost the next request a new handshake; an idle connection "
                  "costs the server a little memory, so it closes it after a while.");
    default:
        return NULL;
    }
}

/* Where a step sits in the two models the lesson teaches: the 5-layer one
 * (application, transport, network, link, physical) and OSI's 7. */
static const char *layer_of(enum wt_event_kind kind)
{
    switch (kind) {
    case WT_EV_URL:
    case WT_EV_HTTP_REQUEST:
    case WT_EV_HTTP_STATUS:
    case WT_EV_HTTP_BODY_DONE:
    case WT_EV_SERVE_REQUEST:
    case WT_EV_SERVE_RESPONSE:
    case WT_EV_PROXY_CONNECT:
    case WT_EV_PROXY_REPLY:
    case WT_EV_H2_FRAME:
    case WT_EV_H2_STREAM:
        return N_("application layer: HTTP (5-layer model: 5 · OSI: 7, application)");
    case WT_EV_DNS_START:
    case WT_EV_DNS_LITERAL:
    case WT_EV_DNS_QUERY:
    case WT_EV_DNS_REPLY:
    case WT_EV_DNS_RECORD:
    case WT_EV_DNS_DONE:
        return N_("application layer: DNS, over UDP port 53 (5-layer model: 5 · OSI: 7, "
               "application)");
    case WT_EV_TLS_HELLO:
    case WT_EV_TLS_DONE:
    case WT_EV_TLS_CERT:
    case WT_EV_TLS_VERIFY:
        return N_("TLS, between HTTP and TCP (5-layer model: part of 5 · OSI: 6, presentation, "
               "and 5, session)");
    case WT_EV_TCP_ATTEMPT:
    case WT_EV_TCP_ESTABLISHED:
    case WT_EV_TCP_TEARDOWN:
    case WT_EV_TCP_PACKET:
    case WT_EV_TCP_DATA:
    case WT_EV_SERVE_LISTEN:
    case WT_EV_SERVE_ACCEPT:
    case WT_EV_SERVE_SYN:
        return N_("transport layer: TCP, between ports (5-layer model: 4 · OSI: 4, transport)");
    case WT_EV_SOCKET_CALL:
        return N_("the socket API: the application's door to the transport layer");
    case WT_EV_ROUTE:
        return N_("network layer: IP (5-layer model: 3 · OSI: 3) and link layer (5-layer "
               "model: 2 · OSI: 2, data link; the physical layer, 1, below it)");
    default:
        return NULL;
    }
}

static void explain(struct text_state *s, const struct wt_event *ev)
{
    const char *text = explanation(ev);
    if (!text)
        return;
    line_start(s);
    fputs(s->cfg.color ? ansi[C_DIM] : "", s->cfg.out);
    indent(s->cfg.out);
    const char *layer = layer_of(ev->kind);
    if (layer)
        fprintf(s->cfg.out, "↳ %s [%s]%s\n", _(text), _(layer), s->cfg.color ? "\033[0m" : "");
    else
        fprintf(s->cfg.out, "↳ %s%s\n", _(text), s->cfg.color ? "\033[0m" : "");
}

static void text_event_line(void *state, const struct wt_event *ev);

/* -v: a head's lines ("> " sent, "< " received) up to its empty line,
 * escaped (the proxy's answer is from the network; -U is the user's). */
static void proxy_head_lines(struct text_state *s, const char *mark, const char *raw,
                             size_t len)
{
    const char *end = raw + len;
    for (const char *line = raw; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        const char *stop = eol ? eol : end;
        size_t n = (size_t)(stop - line);
        if (n && line[n - 1] == '\r')
            n--;
        if (n == 0)
            break;
        tag(s, C_HTTP, "prxy");
        fputs(mark, s->cfg.out);
        put_escaped(s->cfg.out, line, n);
        fputc('\n', s->cfg.out);
        line = eol ? eol + 1 : end;
    }
}

/* The proxy's own steps: which one and why, the CONNECT and its answer. */
static void render_proxy(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char d[32];
    switch (ev->kind) {
    case WT_EV_PROXY:
        tag(s, C_HTTP, "prxy");
        if (!ev->u.proxy.use) {
            /* the list is the user's (an option or the environment): escaped all the same */
            char list[WT_ESCAPE_TERM_MAX(256)];
            size_t len = strlen(ev->u.proxy.bypass_list);
            wt_escape_term(ev->u.proxy.bypass_list, len > 256 ? 256 : len, list, sizeof list);
            /* TRANSLATORS: %1$s the URL's host, %2$s --noproxy or the variable, %3$s its list */
            fprintf(o, _("no proxy for %1$s: %2$s lists it (%3$s), so the connection goes "
                         "direct\n"),
                    ev->u.proxy.url_host, ev->u.proxy.bypass_source, list);
            break;
        }
        if (ev->u.proxy.tunnel)
            /* TRANSLATORS: %1$s the proxy, %2$s -x/--proxy or the variable, %3$s the URL's host */
            fprintf(o, _("through the proxy %1$s (from %2$s): its name is looked up and connected "
                         "to, then CONNECT asks it for a tunnel to %3$s; TLS with %3$s runs "
                         "inside"),
                    ev->u.proxy.proxy, ev->u.proxy.source, ev->u.proxy.url_host);
        else
            /* TRANSLATORS: %1$s the proxy, %2$s -x/--proxy or the variable, %3$s the URL's host */
            fprintf(o, _("through the proxy %1$s (from %2$s): its name is looked up and connected "
                         "to, and it gets the request with the whole URL; it fetches from %3$s"),
                    ev->u.proxy.proxy, ev->u.proxy.source, ev->u.proxy.url_host);
        if (ev->u.proxy.credentials)
            fputs(_(" · Proxy-Authorization: Basic"), o);
        fputc('\n', o);
        break;
    case WT_EV_PROXY_CONNECT:
        tag(s, C_HTTP, "prxy");
        /* TRANSLATORS: %1$s host:port, %2$zu header lines, %3$zu bytes */
        fprintf(o, _("→ CONNECT %1$s HTTP/1.1 · %2$zu headers, %3$zu bytes"),
                ev->u.proxy_connect.authority, ev->u.proxy_connect.n_headers,
                ev->u.proxy_connect.bytes);
        if (ev->u.proxy_connect.credentials)
            fputs(_(" · Proxy-Authorization: Basic"), o);
        fputc('\n', o);
        if (s->cfg.verbose)
            proxy_head_lines(s, "> ", ev->u.proxy_connect.raw, ev->u.proxy_connect.bytes);
        break;
    case WT_EV_PROXY_REPLY:
        wt_format_duration(ev->u.proxy_reply.elapsed_us, d, sizeof d);
        tag(s, C_HTTP, "prxy");
        fprintf(o, "%s%d ", ev->u.proxy_reply.opened ? "← " : "✗ ← ", ev->u.proxy_reply.status);
        put_escaped(o, ev->u.proxy_reply.reason, ev->u.proxy_reply.reason_len);
        if (ev->u.proxy_reply.opened)
            fprintf(o, _(" after %s: the tunnel is open; the proxy passes the bytes on "
                         "unread\n"), d);
        else
            fprintf(o, _(" after %s: the proxy refused the tunnel\n"), d);
        if (s->cfg.verbose)
            proxy_head_lines(s, "< ", ev->u.proxy_reply.raw, ev->u.proxy_reply.bytes);
        break;
    default:
        break;
    }
}

static void text_event(void *state, const struct wt_event *ev)
{
    struct text_state *s = state;
    if (ev->kind == WT_EV_HTTP_BODY_PROGRESS)
        return;   /* the progress meter's, not a step */
    if (ev->kind != WT_EV_DNS_RECORD && !s->cfg.silent)
        flush_dns_records(s);
    s->url_index = ev->url_index;
    if (s->cfg.url_table && !s->cfg.silent)   /* -s prints no table */
        record_row(s, ev);
    size_t hidden = s->dns_records_hidden;
    text_event_line(state, ev);
    /* a record not listed gets no explanation either */
    if (s->cfg.explain && !s->cfg.silent && s->dns_records_hidden == hidden)
        explain(s, ev);
}

static void text_event_line(void *state, const struct wt_event *ev)
{
    struct text_state *s = state;
    FILE *o = s->cfg.out;
    if (ev->kind == WT_EV_ERROR) {
        if (s->cfg.silent > 1)
            return;
        line_start(s);
        if (s->cfg.color)
            fprintf(o, "%swebtrace: %s: %s\033[0m\n", ansi[C_ERROR], ev->u.error.step,
                    wt_i18n_error_text(ev->u.error.message));
        else
            fprintf(o, "webtrace: %s: %s\n", ev->u.error.step,
                    wt_i18n_error_text(ev->u.error.message));
        fflush(o);
        return;
    }
    if (s->cfg.silent)
        return;
    char a[80], b[80], d[32];
    switch (ev->kind) {
    case WT_EV_URL:
        if (ev->url_index > 0 && !s->cfg.url_prefix)
            fputc('\n', o);
        tag(s, C_URL, "url ");
        if (ev->u.url.host_unicode) {
            char shown[WT_HOST_UNICODE_MAX * 4];
            wt_escape_term(ev->u.url.host_unicode, strlen(ev->u.url.host_unicode), shown,
                               sizeof shown);
            fprintf(o, _("%s → host %s → %s (international name, IDNA 2008: DNS, TLS and Host "
                         "use the xn-- form) · port %u (%s) · target %s\n"), ev->u.url.normalized,
                    shown, ev->u.url.host, ev->u.url.port,
                    _(wt_port_class_name(ev->u.url.port_class)), ev->u.url.target);
            break;
        }
        fprintf(o, _("%s → host %s (%s) · port %u (%s) · target %s\n"), ev->u.url.normalized,
                ev->u.url.host, host_kind_words(ev->u.url.host_kind), ev->u.url.port,
                _(wt_port_class_name(ev->u.url.port_class)), ev->u.url.target);
        break;
    case WT_EV_TCP_ATTEMPT:
        render_attempt(s, ev);
        break;
    case WT_EV_TCP_FAILED:
        render_attempt_end(s, ev);
        break;
    case WT_EV_TCP_ESTABLISHED:
        wt_endpoint_format(&ev->u.tcp_established.remote, a, sizeof a);
        wt_endpoint_format(&ev->u.tcp_established.local, b, sizeof b);
        wt_format_duration(ev->u.tcp_established.elapsed_us, d, sizeof d);
        tag(s, C_TCP, "tcp ");
        fprintf(o, _("connected %s from %s (ephemeral, chosen by the kernel) · SYN → SYN+ACK → ACK · %s in %s"),
                a, b,
                ev->u.tcp_established.have_info
                    ? wt_tcp_state_name(ev->u.tcp_established.state) : "ESTABLISHED",
                d);
        if (ev->u.tcp_established.have_info) {
            wt_format_duration(ev->u.tcp_established.rtt_us, d, sizeof d);
            fprintf(o, _(" · rtt %s · mss %u"), d, ev->u.tcp_established.snd_mss);
        }
        if (ev->u.tcp_established.conn)
            fprintf(o, _(" · connection #%u"), ev->u.tcp_established.conn);
        if (ev->u.tcp_established.of > 1)
            fprintf(o, _(" · attempt %zu won"), ev->u.tcp_established.attempt);
        if (ev->u.tcp_established.to_proxy)
            fputs(_(" · to the proxy"), o);
        fputc('\n', o);
        break;
    case WT_EV_PROXY:
    case WT_EV_PROXY_CONNECT:
    case WT_EV_PROXY_REPLY:
        render_proxy(s, ev);
        break;
    case WT_EV_TCP_TEARDOWN:
        render_teardown(s, ev);
        break;
    case WT_EV_REDIRECT:
        render_redirect(s, ev);
        break;
    case WT_EV_RETRY:
        render_retry(s, ev);
        break;
    case WT_EV_CONN_REUSE:
    case WT_EV_CONN_STALE:
    case WT_EV_CONN_KEPT:
    case WT_EV_CONN_CLOSE:
    case WT_EV_CONN_RETRY:
    case WT_EV_CONN_UNNEEDED:
    case WT_EV_CONN_WAITED:
    case WT_EV_CONN_IMMEDIATE:
        render_conn(s, ev);
        break;
    case WT_EV_PHASE_SKIPPED:
        break;   /* the reuse line said it: no DNS, no handshake */
    case WT_EV_TRANSFER_DONE:
        if (ev->u.transfer_done.hops > 1) {
            wt_format_duration(ev->u.transfer_done.total_us, d, sizeof d);
            line_start(s);
            fputs(s->cfg.color ? ansi[C_DIM] : "", o);
            indent(o);
            if (ev->u.transfer_done.hops == 2)
                fprintf(o, _("2 requests, 1 redirect followed · %s from the first request to the "
                             "last byte"), d);
            else
                /* TRANSLATORS: %1$u requests, %2$u redirects, %3$s the time */
                fprintf(o, _("%1$u requests, %2$u redirects followed · %3$s from the first "
                             "request to the last byte"),
                        ev->u.transfer_done.hops, ev->u.transfer_done.hops - 1, d);
            fputs(s->cfg.color ? "\033[0m\n" : "\n", o);
        }
        break;
    case WT_EV_SUMMARY: {
        char dns[32], con[32], tls[32], wait[32], xfer[32], total[32];
        wt_format_duration(ev->u.summary.dns_us, dns, sizeof dns);
        wt_format_duration(ev->u.summary.connect_us, con, sizeof con);
        wt_format_duration(ev->u.summary.tls_us, tls, sizeof tls);
        wt_format_duration(ev->u.summary.wait_us, wait, sizeof wait);
        wt_format_duration(ev->u.summary.transfer_us, xfer, sizeof xfer);
        wt_format_duration(ev->u.summary.total_us, total, sizeof total);
        line_start(s);
        fputs(s->cfg.color ? ansi[C_DIM] : "", o);
        indent(o);
        if (ev->u.summary.tls_setup_us > 0) {
            char setup[32];
            wt_format_duration(ev->u.summary.tls_setup_us, setup, sizeof setup);
            /* TRANSLATORS: the timing summary when the fetch waited for part of
             * the TLS set-up; keep the seven %s in this order */
            fprintf(o, _("dns %s │ connect %s │ tls %s (+%s set-up) │ wait %s │ transfer %s │ "
                         "total %s"),
                    dns, con, tls, setup, wait, xfer, total);
        } else {
            /* TRANSLATORS: the timing summary; keep the six %s in this order */
            fprintf(o, _("dns %s │ connect %s │ tls %s │ wait %s │ transfer %s │ total %s"), dns,
                    con, tls, wait, xfer, total);
        }
        fputs(s->cfg.color ? "\033[0m\n" : "\n", o);
        fflush(o);
        break;
    }
    default:
        if (ev->kind >= WT_EV_DNS_START && ev->kind <= WT_EV_DNS_DONE)
            render_dns(s, ev);
        else if (ev->kind >= WT_EV_TLS_HELLO && ev->kind <= WT_EV_TLS_CLOSE)
            render_tls(s, ev);
        else if (ev->kind >= WT_EV_SERVE_LISTEN && ev->kind <= WT_EV_SERVE_DROP)
            render_serve(s, ev);
        else if (ev->kind >= WT_EV_CAPTURE_START && ev->kind <= WT_EV_CAPTURE_END)
            render_capture(s, ev);
        else if (ev->kind == WT_EV_SOCKET_CALL)
            render_socket_call(s, ev);
        else if (ev->kind == WT_EV_SERVE_SYN)
            render_serve_syn(s, ev);
        else if (ev->kind == WT_EV_ROUTE)
            render_route(s, ev);
        else if (ev->kind == WT_EV_H2_FRAME || ev->kind == WT_EV_H2_STREAM)
            render_h2(s, ev);
        else
            render_http(s, ev);
        break;
    }
}

/* The closing hints of `webtrace demo`: commands stay as typed, what they
 * do is translated, and the two columns line up by display width. */
static const struct {
    const char *command;
    const char *what;
} demo_next_steps[] = {
    { "webtrace www.baidu.com", N_("the same steps across the internet") },
    { "webtrace --explain https://example.com", N_("with a line of explanation per step") },
    { "webtrace --ndjson -s example.com | head", N_("every step as a JSON event") },
    { "webtrace -w '%{time_connect} %{time_total}\\n' -o /dev/null example.com", NULL },
    { "webtrace serve", N_("the server side, on port 8080") },
};

#define DEMO_NEXT_COLUMN 42   /* where the descriptions start: past the longest command */

void wt_render_demo_next(FILE *out)
{
    fputs(_("\nWhat to try next:\n"), out);
    for (size_t i = 0; i < sizeof demo_next_steps / sizeof demo_next_steps[0]; i++) {
        fputs("  ", out);
        if (!demo_next_steps[i].what) {
            fprintf(out, "%s\n", demo_next_steps[i].command);
            continue;
        }
        wt_put_padded(out, demo_next_steps[i].command, DEMO_NEXT_COLUMN);
        fprintf(out, "%s\n", _(demo_next_steps[i].what));
    }
}

const struct wt_renderer wt_render_text = {
    .name = "text",
    .begin = text_begin,
    .event = text_event,
    .end = text_end,
};
