#include "webtrace/facts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "webtrace/dnsmsg.h"
#include "webtrace/netaddr.h"
#include "webtrace/url.h"

static char *dup_bytes(const char *p, size_t len)
{
    char *d = malloc(len + 1);
    if (!d)
        return NULL;
    memcpy(d, p, len);
    d[len] = '\0';
    return d;
}

static char *dup_str(const char *s)
{
    return s ? dup_bytes(s, strlen(s)) : NULL;
}

static void free_headers(struct wt_header *h, size_t *n)
{
    for (size_t i = 0; i < *n; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    *n = 0;
}

void wt_facts_init(struct wt_facts *f)
{
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i <= WT_PHASE_FAILED; i++)
        f->phase_us[i] = -1;
    f->dns_us = f->connect_us = f->tls_us = f->wait_us = f->transfer_us = f->teardown_us = -1;
    f->tls_setup_us = -1;
    f->end_us = -1;
    f->redirect_us = -1;
    f->tunnel_us = -1;
}

void wt_facts_clear(struct wt_facts *f)
{
    free(f->input);
    free(f->url);
    free(f->request_method);
    free(f->request_target);
    free(f->reason);
    free(f->errormsg);
    free(f->error_step);
    free(f->ssl_verify_reason);
    free(f->redirect_url);
    for (size_t i = 0; i < f->n_certs && i < sizeof f->certs / sizeof f->certs[0]; i++) {
        free(f->certs[i].subject);
        free(f->certs[i].issuer);
        free(f->certs[i].not_before);
        free(f->certs[i].not_after);
    }
    free_headers(f->headers, &f->n_headers);
    free_headers(f->request_headers, &f->n_request_headers);
    wt_facts_init(f);
}

static void add_header(struct wt_header *list, size_t *n, size_t cap, const char *name,
                       size_t name_len, const char *value, size_t value_len)
{
    if (*n >= cap)
        return;
    struct wt_header *h = &list[*n];
    h->name = dup_bytes(name, name_len);
    h->value = dup_bytes(value, value_len);
    if (!h->name || !h->value) {
        free(h->name);
        free(h->value);
        return;
    }
    h->name_len = name_len;
    h->value_len = value_len;
    (*n)++;
}

static void parse_request(struct wt_facts *f, const char *raw)
{
    const char *eol = strstr(raw, "\r\n");
    if (!eol)
        return;
    const char *line = eol + 2;
    while (line[0] && !(line[0] == '\r' && line[1] == '\n')) {
        eol = strstr(line, "\r\n");
        if (!eol)
            break;
        const char *colon = memchr(line, ':', (size_t)(eol - line));
        if (colon) {
            const char *v = colon + 1;
            while (v < eol && *v == ' ')
                v++;
            add_header(f->request_headers, &f->n_request_headers,
                       sizeof f->request_headers / sizeof f->request_headers[0], line,
                       (size_t)(colon - line), v, (size_t)(eol - v));
        }
        line = eol + 2;
    }
}

static void append_chain(struct wt_facts *f, const char *from, const char *to)
{
    size_t used = strlen(f->cname_chain);
    if (used == 0)
        snprintf(f->cname_chain, sizeof f->cname_chain, "%s -> %s", from, to);
    else
        snprintf(f->cname_chain + used, sizeof f->cname_chain - used, " -> %s", to);
}

/* t_us of a timing mark in the current hop, -1 when not reached. */
static int64_t mark_at(const struct wt_facts *f, enum wt_facts_mark m)
{
    switch (m) {
    case WT_MARK_NAMELOOKUP:
        return f->phase_us[WT_PHASE_CONNECT];
    case WT_MARK_CONNECT:
        /* through a proxy's tunnel, curl's time_connect is the TCP connect
         * to the proxy: the CONNECT exchange counts in appconnect and
         * pretransfer only */
        if (f->tunnel_us >= 0)
            return f->tunnel_us;
        return f->tls ? f->phase_us[WT_PHASE_TLS] : f->phase_us[WT_PHASE_SEND];
    case WT_MARK_APPCONNECT:
        return f->tls ? f->phase_us[WT_PHASE_SEND] : -1;
    case WT_MARK_PRETRANSFER:
        return f->phase_us[WT_PHASE_SEND];
    case WT_MARK_STARTTRANSFER:
        return f->phase_us[WT_PHASE_RECEIVE];
    }
    return -1;
}

/* The mark's time as curl's -w shows it: this hop's part plus the hops
 * before; 0 when never reached. */
static int64_t mark_total(const struct wt_facts *f, enum wt_facts_mark m)
{
    int64_t at = mark_at(f, m);
    return f->earlier_hops_us[m] + (at >= 0 ? at - f->hop_start_us : 0);
}

/* A redirect was followed: what the transfer has learnt so far stays, the
 * previous hop's details make room for the next one's. */
static void next_hop(struct wt_facts *f, const struct wt_event *ev)
{
    int64_t sums[5];
    for (int m = 0; m < 5; m++)
        sums[m] = mark_total(f, (enum wt_facts_mark)m);
    char *input = f->input;
    f->input = NULL;
    int num_connects = f->num_connects;
    unsigned num_retries = f->num_retries;
    size_t url_index = f->url_index;
    wt_facts_clear(f);
    f->input = input;
    f->num_connects = num_connects;
    f->num_retries = num_retries;
    f->url_index = url_index;
    memcpy(f->earlier_hops_us, sums, sizeof sums);
    f->hop = ev->hop;
    f->hop_start_us = ev->t_us;
    f->redirect_us = ev->t_us;
    f->wall_start_us = ev->u.phase.wall_us;
}

void wt_facts_feed(struct wt_facts *f, const struct wt_event *ev)
{
    switch (ev->kind) {
    case WT_EV_PHASE:
        if (ev->u.phase.entered == WT_PHASE_URL && ev->hop > 0) {
            next_hop(f, ev);
        } else if (ev->u.phase.entered == WT_PHASE_URL) {
            /* a retry's new attempt starts over, but counts the retries */
            unsigned num_retries = f->retry_pending && f->url_index == ev->url_index
                                       ? f->num_retries : 0;
            wt_facts_clear(f);
            f->num_retries = num_retries;
            f->url_index = ev->url_index;
            f->input = dup_str(ev->u.phase.input);
            f->wall_start_us = ev->u.phase.wall_us;
        }
        if (ev->u.phase.entered <= WT_PHASE_FAILED)
            f->phase_us[ev->u.phase.entered] = ev->t_us;
        break;
    case WT_EV_RETRY:
        if (!ev->u.retry.over_budget) {
            f->num_retries++;
            f->retry_pending = 1;
        }
        break;
    case WT_EV_URL:
        free(f->url);
        f->url = dup_str(ev->u.url.normalized);
        break;
    case WT_EV_DNS_START:
        f->used_dns = 1;
        if (ev->u.dns_start.n_servers) {
            wt_endpoint_format(&ev->u.dns_start.servers[0], f->dns_server, sizeof f->dns_server);
        }
        break;
    case WT_EV_DNS_REPLY:
        wt_endpoint_format(&ev->u.dns_reply.server, f->dns_server, sizeof f->dns_server);
        break;
    case WT_EV_DNS_RECORD:
        if (ev->u.dns_record.type == WT_DNS_TYPE_CNAME)
            append_chain(f, ev->u.dns_record.name, ev->u.dns_record.data);
        break;
    case WT_EV_DNS_DONE:
        f->dns_from_hosts = ev->u.dns_done.source == WT_DNS_FROM_HOSTS;
        f->dns_from_cache = ev->u.dns_done.source == WT_DNS_FROM_CACHE;
        if (f->dns_from_cache)
            f->used_dns = 1;   /* a name, resolved without traffic */
        break;
    case WT_EV_TCP_FAILED:
        /* Until one connects, the last attempt to end names the peer: a
         * failed connect still says where it went (curl leaves it empty). */
        if (!f->connected && ev->u.tcp_failed.outcome != WT_TCP_ABANDONED) {
            f->attempted = 1;
            f->remote = ev->u.tcp_failed.remote;
        }
        break;
    case WT_EV_TCP_ESTABLISHED:
        f->connected = 1;
        f->num_connects++;
        f->local = ev->u.tcp_established.local;
        f->remote = ev->u.tcp_established.remote;
        f->tcp_rtt_us = ev->u.tcp_established.rtt_us;
        f->tcp_mss = ev->u.tcp_established.snd_mss;
        break;
    case WT_EV_PROXY_CONNECT:
        /* the CONNECT leaves as soon as TCP to the proxy is up */
        if (f->tunnel_us < 0)
            f->tunnel_us = ev->t_us;
        break;
    case WT_EV_PROXY_REPLY:
        f->http_connect = ev->u.proxy_reply.status;
        break;
    case WT_EV_TLS_HELLO:
        f->tls = 1;
        f->tls_setup_us = ev->u.tls_hello.setup.reused ? 0 : ev->u.tls_hello.setup.total_us;
        break;
    case WT_EV_TLS_DONE:
        snprintf(f->tls_version, sizeof f->tls_version, "%s", ev->u.tls_done.version);
        snprintf(f->tls_cipher, sizeof f->tls_cipher, "%s", ev->u.tls_done.cipher);
        snprintf(f->tls_alpn, sizeof f->tls_alpn, "%s",
                 ev->u.tls_done.alpn ? ev->u.tls_done.alpn : "");
        break;
    case WT_EV_TLS_CERT:
        if (f->n_certs < sizeof f->certs / sizeof f->certs[0]) {
            f->certs[f->n_certs].subject = dup_str(ev->u.tls_cert.subject);
            f->certs[f->n_certs].issuer = dup_str(ev->u.tls_cert.issuer);
            f->certs[f->n_certs].not_before = dup_str(ev->u.tls_cert.not_before);
            f->certs[f->n_certs].not_after = dup_str(ev->u.tls_cert.not_after);
            f->certs[f->n_certs].days_left = ev->u.tls_cert.days_left;
            f->n_certs++;
        }
        break;
    case WT_EV_TLS_VERIFY:
        f->ssl_verify_result = ev->u.tls_verify.code;
        free(f->ssl_verify_reason);
        f->ssl_verify_reason = dup_str(ev->u.tls_verify.reason);
        break;
    case WT_EV_HTTP_REQUEST:
        free(f->request_method);
        free(f->request_target);
        f->request_method = dup_str(ev->u.http_request.method);
        f->request_target = dup_str(ev->u.http_request.target);
        f->size_request = ev->u.http_request.bytes - ev->u.http_request.body_bytes;
        f->size_upload = ev->u.http_request.body_bytes;
        free_headers(f->request_headers, &f->n_request_headers);
        parse_request(f, ev->u.http_request.raw);
        break;
    case WT_EV_HTTP_STATUS:
        /* A new (final or interim) response: its headers replace any before. */
        f->http_code = ev->u.http_status.status;
        f->http_major = ev->u.http_status.version_major;
        f->http_minor = ev->u.http_status.version_minor;
        free(f->reason);
        f->reason = dup_bytes(ev->u.http_status.reason, ev->u.http_status.reason_len);
        f->reason_len = f->reason ? ev->u.http_status.reason_len : 0;
        free_headers(f->headers, &f->n_headers);
        break;
    case WT_EV_HTTP_HEADER:
        add_header(f->headers, &f->n_headers, WT_FACTS_MAX_HEADERS, ev->u.http_header.name,
                   ev->u.http_header.name_len, ev->u.http_header.value,
                   ev->u.http_header.value_len);
        break;
    case WT_EV_HTTP_HEADERS_DONE:
        f->size_header = ev->u.http_headers_done.header_bytes;
        f->framing = ev->u.http_headers_done.framing;
        break;
    case WT_EV_HTTP_BODY_DONE:
        f->size_download = ev->u.http_body_done.bytes;
        f->size_decoded = ev->u.http_body_done.encoding ? ev->u.http_body_done.decoded_bytes
                                                        : ev->u.http_body_done.bytes;
        break;
    case WT_EV_TCP_TEARDOWN:
        f->teardown_seen = 1;
        f->we_closed_first = ev->u.tcp_teardown.we_closed_first;
        break;
    case WT_EV_SUMMARY:
        f->end_us = ev->t_us;
        f->dns_us = ev->u.summary.dns_us;
        f->connect_us = ev->u.summary.connect_us;
        f->tls_us = ev->u.summary.tls_us;
        f->wait_us = ev->u.summary.wait_us;
        f->transfer_us = ev->u.summary.transfer_us;
        f->teardown_us = ev->u.summary.teardown_us;
        break;
    case WT_EV_REDIRECT:
        free(f->redirect_url);
        f->redirect_url = dup_str(ev->u.redirect.url);
        break;
    case WT_EV_ERROR:
        f->exitcode = ev->u.error.exit_code;
        free(f->errormsg);
        free(f->error_step);
        f->errormsg = dup_str(ev->u.error.message);
        f->error_step = dup_str(ev->u.error.step);
        break;
    default:
        break;
    }
}

/* ---- several URLs at once ------------------------------------------------ */

void wt_facts_set_init(struct wt_facts_set *set)
{
    memset(set, 0, sizeof *set);
    wt_facts_init(&set->none);
}

void wt_facts_set_clear(struct wt_facts_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        wt_facts_clear(set->items[i]);
        free(set->items[i]);
    }
    free(set->items);
    wt_facts_set_init(set);
}

static struct wt_facts *slot_of(struct wt_facts_set *set, size_t url_index)
{
    for (size_t i = 0; i < set->n; i++)
        if (set->items[i]->url_index == url_index)
            return set->items[i];
    return NULL;
}

struct wt_facts *wt_facts_set_feed(struct wt_facts_set *set, const struct wt_event *ev)
{
    struct wt_facts *f = slot_of(set, ev->url_index);
    if (!f && ev->kind == WT_EV_PHASE && ev->u.phase.entered == WT_PHASE_URL && ev->hop == 0) {
        if (set->n == set->cap) {
            size_t cap = set->cap ? set->cap * 2 : 4;
            struct wt_facts **items = realloc(set->items, cap * sizeof *items);
            if (!items)
                return &set->none;
            set->items = items;
            set->cap = cap;
        }
        f = malloc(sizeof *f);
        if (!f)
            return &set->none;
        wt_facts_init(f);
        f->url_index = ev->url_index;
        set->items[set->n++] = f;
    }
    if (!f)
        return &set->none;
    wt_facts_feed(f, ev);
    return f;
}

void wt_facts_set_release(struct wt_facts_set *set, size_t url_index)
{
    for (size_t i = 0; i < set->n; i++) {
        if (set->items[i]->url_index != url_index)
            continue;
        wt_facts_clear(set->items[i]);
        free(set->items[i]);
        set->items[i] = set->items[--set->n];
        return;
    }
}

const struct wt_header *wt_facts_header(const struct wt_facts *f, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < f->n_headers; i++)
        if (f->headers[i].name_len == len && strncasecmp(f->headers[i].name, name, len) == 0)
            return &f->headers[i];
    return NULL;
}

/* ---- the variables ------------------------------------------------------ */

static void set_str(struct wt_var_value *v, const char *s)
{
    v->type = WT_VAR_STRING;
    v->present = s != NULL;
    v->s = s ? s : "";
    v->s_len = s ? strlen(s) : 0;
}

static void set_int(struct wt_var_value *v, int64_t i)
{
    v->type = WT_VAR_INT;
    v->present = 1;
    v->i = i;
}

/* curl reports a time that was never reached as 0. */
static void set_time(struct wt_var_value *v, int64_t us)
{
    v->type = WT_VAR_SECONDS;
    v->present = 1;
    v->i = us < 0 ? 0 : us;
}

static void set_duration(struct wt_var_value *v, int64_t us)
{
    v->type = WT_VAR_SECONDS;
    v->present = us >= 0;
    v->i = us < 0 ? 0 : us;
}

static int64_t t_total(const struct wt_facts *f)
{
    if (f->phase_us[WT_PHASE_CLOSE] >= 0)
        return f->phase_us[WT_PHASE_CLOSE];
    return f->end_us;
}

static void v_content_type(const struct wt_facts *f, struct wt_var_value *v)
{
    const struct wt_header *h = wt_facts_header(f, "Content-Type");
    set_str(v, h ? h->value : NULL);
    if (h)
        v->s_len = h->value_len;
}
static void v_errormsg(const struct wt_facts *f, struct wt_var_value *v) { set_str(v, f->errormsg); }
static void v_exitcode(const struct wt_facts *f, struct wt_var_value *v) { set_int(v, f->exitcode); }
static void v_http_code(const struct wt_facts *f, struct wt_var_value *v) { set_int(v, f->http_code); }
static void v_http_connect(const struct wt_facts *f, struct wt_var_value *v) { set_int(v, f->http_connect); }
static void v_http_version(const struct wt_facts *f, struct wt_var_value *v)
{
    static const char *const versions[] = { "0", "1", "1.0", "1.1", "2", "3" };
    const char *s = versions[0];
    if (f->http_code) {
        if (f->http_major == 1)
            s = f->http_minor == 0 ? versions[2] : versions[3];
        else if (f->http_major == 2)
            s = versions[4];
        else if (f->http_major == 0)
            s = "0.9";
    }
    set_str(v, s);
}
static void v_local_ip(const struct wt_facts *f, struct wt_var_value *v)
{
    set_str(v, f->connected ? f->local.addr : "");
}
static void v_local_port(const struct wt_facts *f, struct wt_var_value *v)
{
    set_int(v, f->connected ? f->local.port : 0);
}
static void v_method(const struct wt_facts *f, struct wt_var_value *v)
{
    set_str(v, f->request_method ? f->request_method : "GET");
}
static void v_num_connects(const struct wt_facts *f, struct wt_var_value *v) { set_int(v, f->num_connects); }
static void v_num_redirects(const struct wt_facts *f, struct wt_var_value *v) { set_int(v, f->hop); }
static void v_redirect_url(const struct wt_facts *f, struct wt_var_value *v)
{
    /* as curl: empty once the redirect was followed */
    set_str(v, f->redirect_url);
}
static void v_remote_ip(const struct wt_facts *f, struct wt_var_value *v)
{
    set_str(v, f->connected || f->attempted ? f->remote.addr : "");
}
static void v_remote_port(const struct wt_facts *f, struct wt_var_value *v)
{
    set_int(v, f->connected || f->attempted ? f->remote.port : 0);
}
static void v_size_download(const struct wt_facts *f, struct wt_var_value *v) { set_int(v, (int64_t)f->size_download); }
static void v_wt_size_decoded(const struct wt_facts *f, struct wt_var_value *v) { set_int(v, (int64_t)f->size_decoded); }
static void v_size_header(const struct wt_facts *f, struct wt_var_value *v) { set_int(v, (int64_t)f->size_header); }
static void v_size_request(const struct wt_facts *f, struct wt_var_value *v) { set_int(v, (int64_t)f->size_request); }
static void v_size_upload(const struct wt_facts *f, struct wt_var_value *v) { set_int(v, (int64_t)f->size_upload); }
static void v_speed_download(const struct wt_facts *f, struct wt_var_value *v)
{
    int64_t total = t_total(f);
    set_int(v, total > 0 ? (int64_t)((double)f->size_download * 1e6 / (double)total) : 0);
}
static void v_ssl_verify_result(const struct wt_facts *f, struct wt_var_value *v) { set_int(v, f->ssl_verify_result); }
static void v_time_appconnect(const struct wt_facts *f, struct wt_var_value *v)
{
    set_time(v, mark_total(f, WT_MARK_APPCONNECT));
}
static void v_time_connect(const struct wt_facts *f, struct wt_var_value *v)
{
    set_time(v, mark_total(f, WT_MARK_CONNECT));
}
static void v_time_namelookup(const struct wt_facts *f, struct wt_var_value *v)
{
    set_time(v, mark_total(f, WT_MARK_NAMELOOKUP));
}
static void v_time_pretransfer(const struct wt_facts *f, struct wt_var_value *v)
{
    set_time(v, mark_total(f, WT_MARK_PRETRANSFER));
}
static void v_time_redirect(const struct wt_facts *f, struct wt_var_value *v)
{
    set_time(v, f->redirect_us);
}
static void v_time_starttransfer(const struct wt_facts *f, struct wt_var_value *v)
{
    set_time(v, mark_total(f, WT_MARK_STARTTRANSFER));
}
static void v_time_total(const struct wt_facts *f, struct wt_var_value *v) { set_time(v, t_total(f)); }
static void v_url(const struct wt_facts *f, struct wt_var_value *v) { set_str(v, f->input); }
static void v_url_effective(const struct wt_facts *f, struct wt_var_value *v)
{
    set_str(v, f->url ? f->url : f->input);
}
static void v_wt_cname_chain(const struct wt_facts *f, struct wt_var_value *v)
{
    set_str(v, f->cname_chain[0] ? f->cname_chain : NULL);
}
static void v_wt_dns_server(const struct wt_facts *f, struct wt_var_value *v)
{
    set_str(v, f->used_dns && !f->dns_from_hosts && !f->dns_from_cache && f->dns_server[0]
                   ? f->dns_server : NULL);
}
static void v_wt_dns_source(const struct wt_facts *f, struct wt_var_value *v)
{
    set_str(v, !f->used_dns ? (f->phase_us[WT_PHASE_CONNECT] >= 0 ? "literal" : NULL)
               : f->dns_from_hosts ? "hosts" : f->dns_from_cache ? "cache" : "dns");
}
static void v_wt_error_step(const struct wt_facts *f, struct wt_var_value *v) { set_str(v, f->error_step); }
static void v_wt_num_retries(const struct wt_facts *f, struct wt_var_value *v) { set_int(v, f->num_retries); }
static void v_wt_tcp_mss(const struct wt_facts *f, struct wt_var_value *v)
{
    if (f->connected)
        set_int(v, f->tcp_mss);
    else
        set_str(v, NULL);
}
static void v_wt_tcp_rtt(const struct wt_facts *f, struct wt_var_value *v)
{
    set_duration(v, f->connected ? (int64_t)f->tcp_rtt_us : -1);
}
static void v_wt_teardown(const struct wt_facts *f, struct wt_var_value *v)
{
    set_str(v, !f->teardown_seen ? NULL : f->we_closed_first ? "client_first" : "server_first");
}
static void v_wt_time_connect(const struct wt_facts *f, struct wt_var_value *v) { set_duration(v, f->connect_us); }
static void v_wt_time_dns(const struct wt_facts *f, struct wt_var_value *v) { set_duration(v, f->dns_us); }
static void v_wt_time_teardown(const struct wt_facts *f, struct wt_var_value *v) { set_duration(v, f->teardown_us); }
static void v_wt_time_tls(const struct wt_facts *f, struct wt_var_value *v) { set_duration(v, f->tls_us); }
static void v_wt_time_tls_setup(const struct wt_facts *f, struct wt_var_value *v) { set_duration(v, f->tls_setup_us); }
static void v_wt_time_transfer(const struct wt_facts *f, struct wt_var_value *v) { set_duration(v, f->transfer_us); }
static void v_wt_time_wait(const struct wt_facts *f, struct wt_var_value *v) { set_duration(v, f->wait_us); }
static void v_wt_tls_alpn(const struct wt_facts *f, struct wt_var_value *v)
{
    set_str(v, f->tls_alpn[0] ? f->tls_alpn : NULL);
}
static void v_wt_tls_cipher(const struct wt_facts *f, struct wt_var_value *v)
{
    set_str(v, f->tls_cipher[0] ? f->tls_cipher : NULL);
}
static void v_wt_tls_version(const struct wt_facts *f, struct wt_var_value *v)
{
    set_str(v, f->tls_version[0] ? f->tls_version : NULL);
}

const struct wt_var wt_vars[] = {
    { "content_type", v_content_type },
    { "errormsg", v_errormsg },
    { "exitcode", v_exitcode },
    { "http_code", v_http_code },
    { "http_connect", v_http_connect },
    { "http_version", v_http_version },
    { "local_ip", v_local_ip },
    { "local_port", v_local_port },
    { "method", v_method },
    { "num_connects", v_num_connects },
    { "num_redirects", v_num_redirects },
    { "redirect_url", v_redirect_url },
    { "remote_ip", v_remote_ip },
    { "remote_port", v_remote_port },
    { "response_code", v_http_code },
    { "size_download", v_size_download },
    { "size_header", v_size_header },
    { "size_request", v_size_request },
    { "size_upload", v_size_upload },
    { "speed_download", v_speed_download },
    { "ssl_verify_result", v_ssl_verify_result },
    { "time_appconnect", v_time_appconnect },
    { "time_connect", v_time_connect },
    { "time_namelookup", v_time_namelookup },
    { "time_pretransfer", v_time_pretransfer },
    { "time_redirect", v_time_redirect },
    { "time_starttransfer", v_time_starttransfer },
    { "time_total", v_time_total },
    { "url", v_url },
    { "url_effective", v_url_effective },
    { "wt_cname_chain", v_wt_cname_chain },
    { "wt_dns_server", v_wt_dns_server },
    { "wt_dns_source", v_wt_dns_source },
    { "wt_error_step", v_wt_error_step },
    { "wt_num_retries", v_wt_num_retries },
    { "wt_size_decoded", v_wt_size_decoded },
    { "wt_tcp_mss", v_wt_tcp_mss },
    { "wt_tcp_rtt", v_wt_tcp_rtt },
    { "wt_teardown", v_wt_teardown },
    { "wt_time_connect", v_wt_time_connect },
    { "wt_time_dns", v_wt_time_dns },
    { "wt_time_teardown", v_wt_time_teardown },
    { "wt_time_tls", v_wt_time_tls },
    { "wt_time_tls_setup", v_wt_time_tls_setup },
    { "wt_time_transfer", v_wt_time_transfer },
    { "wt_time_wait", v_wt_time_wait },
    { "wt_tls_alpn", v_wt_tls_alpn },
    { "wt_tls_cipher", v_wt_tls_cipher },
    { "wt_tls_version", v_wt_tls_version },
};
const size_t wt_n_vars = sizeof wt_vars / sizeof wt_vars[0];

const struct wt_var *wt_var_find(const char *name, size_t len)
{
    size_t lo = 0, hi = wt_n_vars;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strncmp(wt_vars[mid].name, name, len);
        if (c == 0 && wt_vars[mid].name[len] != '\0')
            c = 1;
        if (c == 0)
            return &wt_vars[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
