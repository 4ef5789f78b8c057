/* --har FILE: a HAR 1.2 log, one entry per URL, written when all traces are
 * done, by outfile's rules (a temporary name renamed on success; a device
 * or FIFO written in place). Timings follow the HAR
 * spec: connect includes ssl, -1 for a phase that did not happen.
 * webtrace's own facts are under "_webtrace". */
#include "webtrace/render.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "webtrace/exitcode.h"
#include "webtrace/facts.h"
#include "webtrace/i18n.h"
#include "webtrace/json.h"
#include "webtrace/outfile.h"
#include "wt_config.h"

struct har_state {
    struct wt_render_config cfg;
    struct wt_facts_set facts;
    char **entries;          /* each entry rendered as JSON text */
    size_t n_entries, cap_entries;
    int failed;
};

static int64_t span(const struct wt_facts *f, enum wt_phase a, enum wt_phase b)
{
    if (f->phase_us[a] < 0 || f->phase_us[b] < 0)
        return -1;
    return f->phase_us[b] - f->phase_us[a];
}

static void iso8601(int64_t wall_us, char *buf, size_t buflen)
{
    time_t secs = (time_t)(wall_us / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, buflen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(wall_us % 1000000 / 1000));
}

static void headers(struct wt_json *j, const char *key, const struct wt_header *h, size_t n)
{
    wt_json_array_begin(j, key);
    for (size_t i = 0; i < n; i++) {
        wt_json_object_begin(j, NULL);
        wt_json_string(j, "name", h[i].name, h[i].name_len);
        wt_json_string(j, "value", h[i].value, h[i].value_len);
        wt_json_object_end(j);
    }
    wt_json_array_end(j);
}

/* name=value pairs of the query, as sent (HAR does not decode). */
static void query_string(struct wt_json *j, const char *target)
{
    wt_json_array_begin(j, "queryString");
    const char *q = target ? strchr(target, '?') : NULL;
    while (q && *q) {
        q++;
        size_t len = strcspn(q, "&");
        if (len) {
            const char *eq = memchr(q, '=', len);
            wt_json_object_begin(j, NULL);
            wt_json_string(j, "name", q, eq ? (size_t)(eq - q) : len);
            wt_json_string(j, "value", eq ? eq + 1 : "", eq ? len - (size_t)(eq - q) - 1 : 0);
            wt_json_object_end(j);
        }
        q += len;
        if (*q != '&')
            break;
    }
    wt_json_array_end(j);
}

static void webtrace_extras(struct wt_json *j, const struct wt_facts *f)
{
    wt_json_object_begin(j, "_webtrace");
    wt_json_int(j, "url_index", (int64_t)f->url_index);
    wt_json_cstring(j, "input", f->input);
    wt_json_int(j, "exit_code", f->exitcode);
    wt_json_cstring(j, "error_step", f->error_step);
    wt_json_cstring(j, "error", f->errormsg);
    wt_json_object_begin(j, "dns");
    wt_json_cstring(j, "source", f->used_dns ? (f->dns_from_hosts   ? "hosts"
                                                : f->dns_from_cache ? "cache"
                                                                    : "dns")
                                 : f->phase_us[WT_PHASE_CONNECT] >= 0 ? "literal" : NULL);
    wt_json_cstring(j, "server", f->used_dns && !f->dns_from_hosts && !f->dns_from_cache &&
                                         f->dns_server[0]
                                     ? f->dns_server : NULL);
    wt_json_cstring(j, "cname_chain", f->cname_chain[0] ? f->cname_chain : NULL);
    wt_json_object_end(j);
    if (f->connected) {
        wt_json_object_begin(j, "tcp");
        wt_json_cstring(j, "local_ip", f->local.addr);
        wt_json_int(j, "local_port", f->local.port);
        wt_json_cstring(j, "remote_ip", f->remote.addr);
        wt_json_int(j, "remote_port", f->remote.port);
        wt_json_int(j, "rtt_us", f->tcp_rtt_us);
        wt_json_int(j, "mss", f->tcp_mss);
        wt_json_cstring(j, "closed_first", !f->teardown_seen ? NULL
                                           : f->we_closed_first ? "client" : "server");
        wt_json_object_end(j);
    } else {
        wt_json_null(j, "tcp");
    }
    if (f->tls) {
        wt_json_object_begin(j, "tls");
        wt_json_cstring(j, "version", f->tls_version[0] ? f->tls_version : NULL);
        wt_json_cstring(j, "cipher", f->tls_cipher[0] ? f->tls_cipher : NULL);
        wt_json_cstring(j, "alpn", f->tls_alpn[0] ? f->tls_alpn : NULL);
        wt_json_int(j, "verify_result", f->ssl_verify_result);
        wt_json_cstring(j, "verify_reason", f->ssl_verify_reason);
        wt_json_array_begin(j, "chain");
        for (size_t i = 0; i < f->n_certs && i < sizeof f->certs / sizeof f->certs[0]; i++) {
            wt_json_object_begin(j, NULL);
            wt_json_cstring(j, "subject", f->certs[i].subject);
            wt_json_cstring(j, "issuer", f->certs[i].issuer);
            wt_json_cstring(j, "not_before", f->certs[i].not_before);
            wt_json_cstring(j, "not_after", f->certs[i].not_after);
            wt_json_int(j, "days_left", f->certs[i].days_left);
            wt_json_object_end(j);
        }
        wt_json_array_end(j);
        wt_json_object_end(j);
    } else {
        wt_json_null(j, "tls");
    }
    wt_json_object_end(j);
}

static void entry(struct wt_json *j, const struct wt_facts *f)
{
    char when[64];
    iso8601(f->wall_start_us, when, sizeof when);
    int64_t dns = f->used_dns ? f->dns_us : -1;
    int64_t ssl = f->tls_us;
    int64_t connect = f->connect_us;
    if (connect >= 0 && ssl >= 0)
        connect += ssl;                       /* HAR: connect includes ssl */
    int64_t send = span(f, WT_PHASE_SEND, WT_PHASE_WAIT);
    int64_t wait = f->wait_us;
    int64_t receive = f->transfer_us;
    int64_t total = 0;
    int64_t parts[] = { dns, connect, send, wait, receive };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (parts[i] > 0)
            total += parts[i];

    wt_json_object_begin(j, NULL);
    wt_json_cstring(j, "startedDateTime", when);
    wt_json_millis(j, "time", total);

    wt_json_object_begin(j, "request");
    wt_json_cstring(j, "method", f->request_method ? f->request_method : "GET");
    wt_json_cstring(j, "url", f->url ? f->url : f->input ? f->input : "");
    /* Browsers export HTTP/2 as "h2" (its ALPN name), not "HTTP/2.0" */
    wt_json_cstring(j, "httpVersion", f->http_code && f->http_major == 2 ? "h2" : "HTTP/1.1");
    wt_json_array_begin(j, "cookies");
    wt_json_array_end(j);
    headers(j, "headers", f->request_headers, f->n_request_headers);
    query_string(j, f->request_target);
    wt_json_int(j, "headersSize", f->size_request ? (int64_t)f->size_request : -1);
    wt_json_int(j, "bodySize", 0);
    wt_json_object_end(j);

    wt_json_object_begin(j, "response");
    wt_json_int(j, "status", f->http_code);
    wt_json_string(j, "statusText", f->reason ? f->reason : "", f->reason ? f->reason_len : 0);
    char version[16];
    if (f->http_code && f->http_major == 2)
        snprintf(version, sizeof version, "h2");
    else if (f->http_code)
        snprintf(version, sizeof version, "HTTP/%d.%d", f->http_major, f->http_minor);
    else
        version[0] = '\0';
    wt_json_cstring(j, "httpVersion", version);
    wt_json_array_begin(j, "cookies");
    wt_json_array_end(j);
    headers(j, "headers", f->headers, f->n_headers);
    wt_json_object_begin(j, "content");
    /* HAR 1.2: size is the content as returned (decoded, --compressed),
     * compression the bytes the coding saved; bodySize stays the wire's. */
    wt_json_int(j, "size", (int64_t)f->size_decoded);
    if (f->size_decoded > f->size_download)
        wt_json_int(j, "compression", (int64_t)(f->size_decoded - f->size_download));
    const struct wt_header *ct = wt_facts_header(f, "Content-Type");
    if (ct)
        wt_json_string(j, "mimeType", ct->value, ct->value_len);
    else
        wt_json_cstring(j, "mimeType", "x-unknown");
    wt_json_object_end(j);
    const struct wt_header *loc = wt_facts_header(f, "Location");
    if (loc)
        wt_json_string(j, "redirectURL", loc->value, loc->value_len);
    else
        wt_json_cstring(j, "redirectURL", "");
    wt_json_int(j, "headersSize", f->http_code ? (int64_t)f->size_header : -1);
    wt_json_int(j, "bodySize", f->http_code ? (int64_t)f->size_download : -1);
    if (f->exitcode)
        wt_json_cstring(j, "_error", f->errormsg);
    wt_json_object_end(j);

    wt_json_object_begin(j, "cache");
    wt_json_object_end(j);
    wt_json_object_begin(j, "timings");
    wt_json_millis(j, "blocked", -1);
    wt_json_millis(j, "dns", dns);
    wt_json_millis(j, "connect", connect);
    wt_json_millis(j, "ssl", ssl);
    /* send, wait and receive are required to be >= 0 */
    wt_json_millis(j, "send", send < 0 ? 0 : send);
    wt_json_millis(j, "wait", wait < 0 ? 0 : wait);
    wt_json_millis(j, "receive", receive < 0 ? 0 : receive);
    wt_json_object_end(j);
    if (f->connected) {
        wt_json_cstring(j, "serverIPAddress", f->remote.addr);
        char conn[16];
        snprintf(conn, sizeof conn, "%u", f->local.port);
        wt_json_cstring(j, "connection", conn);
    }
    webtrace_extras(j, f);
    wt_json_object_end(j);
}

static void add_entry(struct har_state *s, const struct wt_facts *f)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem) {
        s->failed = 1;
        return;
    }
    struct wt_json j;
    wt_json_init(&j, mem);
    entry(&j, f);
    if (fclose(mem) != 0 || !text) {
        free(text);
        s->failed = 1;
        return;
    }
    if (s->n_entries == s->cap_entries) {
        size_t cap = s->cap_entries ? s->cap_entries * 2 : 8;
        char **p = realloc(s->entries, cap * sizeof *p);
        if (!p) {
            free(text);
            s->failed = 1;
            return;
        }
        s->entries = p;
        s->cap_entries = cap;
    }
    s->entries[s->n_entries++] = text;
}

static void *har_begin(const struct wt_render_config *config)
{
    struct har_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = *config;
    wt_facts_set_init(&s->facts);
    return s;
}

static void har_event(void *state, const struct wt_event *ev)
{
    struct har_state *s = state;
    const struct wt_facts *f = wt_facts_set_feed(&s->facts, ev);
    if (ev->kind == WT_EV_SUMMARY)
        add_entry(s, f);
    if (ev->kind == WT_EV_TRANSFER_DONE)
        wt_facts_set_release(&s->facts, ev->url_index);
}

static int write_file(struct har_state *s)
{
    const char *path = s->cfg.har_path;
    char err[512];
    char head[192];
    struct wt_outfile f;
    /* HAR 1.2 has no field for our schema version: creator.comment, the
     * free text it allows, carries it as "schema N" (docs/json.md). */
    snprintf(head, sizeof head,
             "{\"log\":{\"version\":\"1.2\",\"creator\":{\"name\":\"webtrace\","
             "\"version\":\"%s\",\"comment\":\"schema %d\"},\"pages\":[],\"entries\":[",
             WT_VERSION, WT_JSON_SCHEMA_VERSION);
    int rc = wt_outfile_open(&f, path, err, sizeof err);
    int code = rc == WT_OUTFILE_NO_MEMORY ? WT_EXIT_OUT_OF_MEMORY : WT_EXIT_WRITE_ERROR;
    if (rc == 0)
        rc = wt_outfile_write(&f, head, strlen(head), err, sizeof err);
    for (size_t i = 0; rc == 0 && i < s->n_entries; i++) {
        if (i)
            rc = wt_outfile_write(&f, ",", 1, err, sizeof err);
        if (rc == 0)
            rc = wt_outfile_write(&f, s->entries[i], strlen(s->entries[i]), err, sizeof err);
    }
    if (rc == 0)
        rc = wt_outfile_write(&f, "]}}\n", 4, err, sizeof err);
    if (rc == 0)
        rc = wt_outfile_commit(&f, err, sizeof err);
    else
        wt_outfile_abort(&f);
    if (rc < 0 && s->cfg.silent < 2)
        fprintf(s->cfg.out, "webtrace: output: %s\n", wt_i18n_error_text(err));
    return rc < 0 ? code : 0;
}

static int har_end(void *state)
{
    struct har_state *s = state;
    if (!s)
        return 0;
    int rc;
    if (s->failed) {
        /* An entry could not be kept: a log without it would be wrong. */
        if (s->cfg.silent < 2)
            fprintf(s->cfg.out, _("webtrace: output: out of memory building the HAR log for %s\n"),
                    s->cfg.har_path);
        rc = WT_EXIT_OUT_OF_MEMORY;
    } else {
        rc = write_file(s);
    }
    for (size_t i = 0; i < s->n_entries; i++)
        free(s->entries[i]);
    free(s->entries);
    wt_facts_set_clear(&s->facts);
    free(s);
    return rc;
}

const struct wt_renderer wt_render_har = {
    .name = "har",
    .begin = har_begin,
    .event = har_event,
    .end = har_end,
};
