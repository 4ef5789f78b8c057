/* libFuzzer: the JSON outputs round trip. The first byte picks a mode:
 *   0  a document built with the json.c writer from ops read from the input
 *   1  events made from the input, rendered as NDJSON (render_json)
 *   2  the same events rendered as a HAR file (render_har)
 *   3  one string of input bytes through wt_json_string
 * Every output must parse as strict JSON (RFC 8259, UTF-8) with the small
 * validator below; a string must decode to its input bytes, with each byte
 * that is not part of well-formed UTF-8 replaced by U+FFFD. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "webtrace/json.h"
#include "webtrace/render.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* ---- a strict JSON validator -------------------------------------------- */

struct parser {
    const unsigned char *p, *end;
    int depth;
    unsigned char *decoded;     /* the last string's bytes, when asked for */
    size_t decoded_len;
};

#define VALIDATOR_MAX_DEPTH 64

static void skip_ws(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

/* Length of the well-formed UTF-8 sequence at p (Unicode Table 3-7), 0 if none. */
static size_t utf8_seq(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xbf;
    size_t n;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    else
        return 0;
    if (avail < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

static void put_decoded(struct parser *ps, const unsigned char *b, size_t n)
{
    if (!ps->decoded)
        return;
    memcpy(ps->decoded + ps->decoded_len, b, n);
    ps->decoded_len += n;
}

static void put_code_point(struct parser *ps, uint32_t cp)
{
    unsigned char b[4];
    size_t n;
    if (cp < 0x80)
        b[0] = (unsigned char)cp, n = 1;
    else if (cp < 0x800)
        b[0] = (unsigned char)(0xc0 | cp >> 6), b[1] = (unsigned char)(0x80 | (cp & 0x3f)), n = 2;
    else if (cp < 0x10000)
        b[0] = (unsigned char)(0xe0 | cp >> 12), b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)),
        b[2] = (unsigned char)(0x80 | (cp & 0x3f)), n = 3;
    else
        b[0] = (unsigned char)(0xf0 | cp >> 18), b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f)),
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (unsigned char)(0x80 | (cp & 0x3f)),
        n = 4;
    put_decoded(ps, b, n);
}

static int hex4(struct parser *ps, uint32_t *out)
{
    if (ps->end - ps->p < 4)
        return -1;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = *ps->p++;
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static int parse_string(struct parser *ps)
{
    if (ps->p >= ps->end || *ps->p != '"')
        return -1;
    ps->p++;
    ps->decoded_len = 0;
    while (ps->p < ps->end) {
        unsigned char c = *ps->p;
        if (c == '"') {
            ps->p++;
            return 0;
        }
        if (c < 0x20)
            return -1;
        if (c != '\\') {
            size_t n = utf8_seq(ps->p, (size_t)(ps->end - ps->p));
            if (!n)
                return -1;
            put_decoded(ps, ps->p, n);
            ps->p += n;
            continue;
        }
        if (++ps->p >= ps->end)
            return -1;
        c = *ps->p++;
        static const char simple[] = "\"\\/bfnrt", meaning[] = "\"\\/\b\f\n\r\t";
        const char *k = c ? strchr(simple, c) : NULL;
        if (k) {
            put_decoded(ps, (const unsigned char *)&meaning[k - simple], 1);
            continue;
        }
        uint32_t cp;
        if (c != 'u' || hex4(ps, &cp) < 0)
            return -1;
        if (cp >= 0xdc00 && cp <= 0xdfff)
            return -1;   /* a lone low surrogate */
        if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t lo;
            if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
                return -1;
            ps->p += 2;
            if (hex4(ps, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
                return -1;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        put_code_point(ps, cp);
    }
    return -1;
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int parse_number(struct parser *ps)
{
    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    if (ps->p >= ps->end || !is_digit(*ps->p))
        return -1;
    if (*ps->p == '0')
        ps->p++;
    else
        while (ps->p < ps->end && is_digit(*ps->p))
            ps->p++;
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        if (ps->p >= ps->end || !is_digit(*ps->p))
            return -1;
        while (ps->p < ps->end && is_digit(*ps->p))
            ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (ps->p >= ps->end || !is_digit(*ps->p))
            return -1;
        while (ps->p < ps->end && is_digit(*ps->p))
            ps->p++;
    }
    return 0;
}

static int parse_literal(struct parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return -1;
    ps->p += n;
    return 0;
}

static int parse_value(struct parser *ps);

static int parse_container(struct parser *ps, unsigned char close)
{
    if (++ps->depth > VALIDATOR_MAX_DEPTH)
        return -1;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        ps->depth--;
        return 0;
    }
    for (;;) {
        skip_ws(ps);
        if (close == '}') {
            if (parse_string(ps) < 0)
                return -1;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p++ != ':')
                return -1;
        }
        if (parse_value(ps) < 0)
            return -1;
        skip_ws(ps);
        if (ps->p >= ps->end)
            return -1;
        unsigned char c = *ps->p++;
        if (c == close) {
            ps->depth--;
            return 0;
        }
        if (c != ',')
            return -1;
    }
}

static int parse_value(struct parser *ps)
{
    skip_ws(ps);
    if (ps->p >= ps->end)
        return -1;
    switch (*ps->p) {
    case '{': return parse_container(ps, '}');
    case '[': return parse_container(ps, ']');
    case '"': return parse_string(ps);
    case 't': return parse_literal(ps, "true");
    case 'f': return parse_literal(ps, "false");
    case 'n': return parse_literal(ps, "null");
    default: return parse_number(ps);
    }
}

/* Exactly one JSON value (of the given first byte, or any when 0) in
 * text[0, len), surrounded by nothing but whitespace. */
static void check_json(const char *text, size_t len, char first)
{
    struct parser ps = { (const unsigned char *)text, (const unsigned char *)text + len, 0, NULL, 0 };
    skip_ws(&ps);
    if (first && (ps.p >= ps.end || *ps.p != first))
        abort();
    if (parse_value(&ps) < 0)
        abort();
    skip_ws(&ps);
    if (ps.p != ps.end)
        abort();
}

/* ---- reading the input -------------------------------------------------- */

struct input {
    const unsigned char *p;
    size_t left;
    char *arena;                /* NUL-terminated copies handed to events */
    size_t arena_used, arena_cap;
};

static unsigned take_byte(struct input *in)
{
    if (!in->left)
        return 0;
    in->left--;
    return *in->p++;
}

static int64_t take_int(struct input *in)
{
    uint64_t v = 0;
    unsigned n = take_byte(in) % 9;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | take_byte(in);
    return (int64_t)((take_byte(in) & 1) ? ~v + 1 : v);
}

/* Times and sizes as mechanics report them: -1 (not reached) or up to
 * 2^40 (12 days in microseconds, 1 TiB), so sums and rates over them stay
 * meaningful; the writer itself gets the full int64 range in mode 0. */
#define REALISTIC_MAX (INT64_C(1) << 40)

static int64_t take_time(struct input *in)
{
    int64_t v = take_int(in);
    return v < 0 ? -1 : v % REALISTIC_MAX;
}

static uint64_t take_size(struct input *in)
{
    return (uint64_t)take_int(in) % REALISTIC_MAX;
}

/* A slice of the input: up to max bytes, the length from the input. */
static const char *take_bytes(struct input *in, size_t max, size_t *len)
{
    size_t n = take_byte(in);
    if (n > max)
        n = max;
    if (n > in->left)
        n = in->left;
    const char *s = (const char *)in->p;
    in->p += n;
    in->left -= n;
    *len = n;
    return s;
}

/* A NUL-terminated copy of a slice (cut at an embedded NUL), or NULL when
 * the input says so. */
static const char *take_cstr(struct input *in, size_t max, int may_be_null)
{
    if (may_be_null && (take_byte(in) & 7) == 7)
        return NULL;
    size_t len;
    const char *s = take_bytes(in, max, &len);
    if (in->arena_used + len + 1 > in->arena_cap)
        return "";
    char *copy = in->arena + in->arena_used;
    memcpy(copy, s, len);
    copy[len] = '\0';
    in->arena_used += len + 1;
    return copy;
}

/* ---- mode 0: the writer ------------------------------------------------- */

static void writer_document(struct input *in, FILE *out)
{
    struct wt_json j;
    wt_json_init(&j, out);
    char stack[WT_JSON_MAX_DEPTH];   /* '{' or '[' per open container */
    int depth = 0;
    do {
        const char *key = NULL;
        unsigned op = take_byte(in);
        if (depth && stack[depth - 1] == '{')
            key = take_cstr(in, 40, 0);
        if (op % 11 == 10 && depth) {
            if (stack[--depth] == '{')
                wt_json_object_end(&j);
            else
                wt_json_array_end(&j);
            continue;
        }
        switch (op % 11) {
        case 0:
        case 1:
            /* json.c keeps state for WT_JSON_MAX_DEPTH - 1 open containers */
            if (depth < WT_JSON_MAX_DEPTH - 1) {
                stack[depth++] = op % 11 ? '[' : '{';
                if (op % 11)
                    wt_json_array_begin(&j, key);
                else
                    wt_json_object_begin(&j, key);
            } else {
                wt_json_null(&j, key);
            }
            break;
        case 2: {
            size_t len;
            const char *s = take_bytes(in, 255, &len);
            wt_json_string(&j, key, (op & 0x80) ? NULL : s, len);
            break;
        }
        case 3: wt_json_cstring(&j, key, take_cstr(in, 64, 1)); break;
        case 4: wt_json_int(&j, key, take_int(in)); break;
        case 5: wt_json_bool(&j, key, op & 0x80); break;
        case 6: wt_json_null(&j, key); break;
        case 7: wt_json_seconds(&j, key, take_int(in)); break;
        case 8: wt_json_millis(&j, key, take_int(in)); break;
        default: wt_json_string(&j, key, "", 0); break;
        }
    } while (depth && in->left);
    while (depth)
        if (stack[--depth] == '{')
            wt_json_object_end(&j);
        else
            wt_json_array_end(&j);
}

/* ---- modes 1 and 2: events ---------------------------------------------- */

static void take_endpoint(struct input *in, struct wt_endpoint *ep)
{
    memset(ep, 0, sizeof *ep);
    snprintf(ep->addr, sizeof ep->addr, "%s", take_cstr(in, sizeof ep->addr - 1, 0));
    ep->port = (uint16_t)take_int(in);
    unsigned f = take_byte(in) % 3;
    ep->family = f == 0 ? AF_INET : f == 1 ? AF_INET6 : AF_UNSPEC;
}

static void take_event(struct input *in, struct wt_event *ev, struct wt_endpoint *eps)
{
    memset(ev, 0, sizeof *ev);
    /* a kind byte from 0xf0 picks one of the kinds declared after
     * transfer_done (which needs a whole transfer's facts) */
    static const enum wt_event_kind late_kinds[] = { WT_EV_PROXY, WT_EV_PROXY_CONNECT,
                                                     WT_EV_PROXY_REPLY };
    unsigned kind = take_byte(in);
    ev->kind = kind >= 0xf0 ? late_kinds[(kind - 0xf0) % (sizeof late_kinds / sizeof late_kinds[0])]
                            : (enum wt_event_kind)(kind % (WT_EV_ERROR + 1));
    ev->phase = (enum wt_phase)(take_byte(in) % (WT_PHASE_SERVE + 1));
    ev->url_index = (size_t)take_byte(in);
    ev->t_us = take_time(in);
    size_t len;
    switch (ev->kind) {
    case WT_EV_PHASE:
        ev->u.phase.entered = (enum wt_phase)(take_byte(in) % (WT_PHASE_SERVE + 1));
        ev->u.phase.input = take_cstr(in, 200, 0);
        /* a wall clock between 1970 and about 2100 */
        ev->u.phase.wall_us = (int64_t)((uint64_t)take_int(in) % 4102444800000000ULL);
        break;
    case WT_EV_URL:
        ev->u.url.input = take_cstr(in, 100, 0);
        ev->u.url.normalized = take_cstr(in, 100, 0);
        ev->u.url.host = take_cstr(in, 100, 0);
        ev->u.url.host_kind = take_byte(in) % 3;
        ev->u.url.port = (uint16_t)take_int(in);
        ev->u.url.port_class = take_byte(in) % 3;
        ev->u.url.scheme = take_byte(in) % 2;
        ev->u.url.target = take_cstr(in, 200, 0);
        break;
    case WT_EV_DNS_START:
        ev->u.dns_start.name = take_cstr(in, 100, 0);
        ev->u.dns_start.n_servers = take_byte(in) % 4;
        for (size_t i = 0; i < ev->u.dns_start.n_servers; i++)
            take_endpoint(in, &eps[i]);
        ev->u.dns_start.servers = eps;
        ev->u.dns_start.servers_from_cli = take_byte(in) & 1;
        ev->u.dns_start.family = take_byte(in) % 2 ? AF_INET : AF_UNSPEC;
        break;
    case WT_EV_DNS_LITERAL:
        ev->u.dns_literal.literal = take_cstr(in, 45, 0);
        ev->u.dns_literal.family = AF_INET6;
        break;
    case WT_EV_DNS_QUERY:
        take_endpoint(in, &ev->u.dns_query.server);
        take_endpoint(in, &ev->u.dns_query.local);
        ev->u.dns_query.tcp = take_byte(in) & 1;
        ev->u.dns_query.id = (uint16_t)take_int(in);
        ev->u.dns_query.qtype = (uint16_t)take_int(in);
        ev->u.dns_query.qname = take_cstr(in, 100, 0);
        ev->u.dns_query.bytes = (size_t)take_size(in);
        break;
    case WT_EV_DNS_REPLY:
        take_endpoint(in, &ev->u.dns_reply.server);
        ev->u.dns_reply.tcp = take_byte(in) & 1;
        ev->u.dns_reply.id = (uint16_t)take_int(in);
        ev->u.dns_reply.qtype = (uint16_t)take_int(in);
        ev->u.dns_reply.qname = take_cstr(in, 100, 0);
        ev->u.dns_reply.rcode = take_byte(in) % 16;
        ev->u.dns_reply.truncated = take_byte(in) & 1;
        ev->u.dns_reply.authoritative = take_byte(in) & 1;
        ev->u.dns_reply.ancount = (unsigned)take_byte(in);
        ev->u.dns_reply.bytes = (size_t)take_byte(in);
        ev->u.dns_reply.rtt_us = take_time(in);
        break;
    case WT_EV_DNS_RECORD:
        ev->u.dns_record.name = take_cstr(in, 100, 0);
        ev->u.dns_record.type = (uint16_t)take_int(in);
        ev->u.dns_record.ttl = (uint32_t)take_int(in);
        ev->u.dns_record.data = take_cstr(in, 100, 0);
        break;
    case WT_EV_DNS_TCP_RETRY:
        take_endpoint(in, &ev->u.dns_tcp_retry.server);
        break;
    case WT_EV_DNS_DONE:
        ev->u.dns_done.name = take_cstr(in, 100, 0);
        ev->u.dns_done.source = take_byte(in) & 1;
        ev->u.dns_done.n_addresses = take_byte(in) % 4;
        for (size_t i = 0; i < ev->u.dns_done.n_addresses; i++)
            take_endpoint(in, &eps[i]);
        ev->u.dns_done.addresses = eps;
        ev->u.dns_done.elapsed_us = take_time(in);
        ev->u.dns_done.unanswered_qtype = (uint16_t)take_int(in);
        break;
    case WT_EV_TCP_ATTEMPT:
        take_endpoint(in, &ev->u.tcp_attempt.remote);
        ev->u.tcp_attempt.attempt = (size_t)take_byte(in);
        ev->u.tcp_attempt.of = (size_t)take_byte(in);
        break;
    case WT_EV_TCP_FAILED:
        take_endpoint(in, &ev->u.tcp_failed.remote);
        take_endpoint(in, &ev->u.tcp_failed.local);
        ev->u.tcp_failed.err = (int)take_byte(in);
        ev->u.tcp_failed.elapsed_us = take_time(in);
        break;
    case WT_EV_TCP_ESTABLISHED:
        take_endpoint(in, &ev->u.tcp_established.local);
        take_endpoint(in, &ev->u.tcp_established.remote);
        ev->u.tcp_established.elapsed_us = take_time(in);
        ev->u.tcp_established.state = (int)take_byte(in) % 14;
        ev->u.tcp_established.rtt_us = (uint32_t)take_int(in);
        ev->u.tcp_established.snd_mss = (uint32_t)take_int(in);
        ev->u.tcp_established.have_info = take_byte(in) & 1;
        break;
    case WT_EV_TLS_HELLO:
        ev->u.tls_hello.sni = take_cstr(in, 100, 1);
        ev->u.tls_hello.alpn = take_cstr(in, 20, 1);
        ev->u.tls_hello.versions = "TLS 1.2-1.3";
        break;
    case WT_EV_TLS_DONE:
        ev->u.tls_done.elapsed_us = take_time(in);
        ev->u.tls_done.version = take_cstr(in, 40, 0);
        ev->u.tls_done.cipher = take_cstr(in, 120, 0);
        ev->u.tls_done.group = take_cstr(in, 20, 1);
        ev->u.tls_done.alpn = take_cstr(in, 40, 1);
        ev->u.tls_done.resumed = take_byte(in) & 1;
        break;
    case WT_EV_TLS_CERT:
        ev->u.tls_cert.index = (size_t)take_byte(in) % 8;
        ev->u.tls_cert.subject = take_cstr(in, 200, 0);
        ev->u.tls_cert.issuer = take_cstr(in, 200, 0);
        ev->u.tls_cert.not_before = take_cstr(in, 20, 0);
        ev->u.tls_cert.not_after = take_cstr(in, 20, 0);
        ev->u.tls_cert.days_left = (long)take_int(in);
        ev->u.tls_cert.sans = take_cstr(in, 200, 1);
        ev->u.tls_cert.matched = take_cstr(in, 100, 1);
        break;
    case WT_EV_TLS_VERIFY:
        ev->u.tls_verify.ok = take_byte(in) & 1;
        ev->u.tls_verify.skipped = take_byte(in) & 1;
        ev->u.tls_verify.code = (long)take_int(in);
        ev->u.tls_verify.reason = take_cstr(in, 100, 1);
        break;
    case WT_EV_TLS_CLOSE:
        ev->u.tls_close.sent = take_byte(in) & 1;
        ev->u.tls_close.peer_sent = take_byte(in) & 1;
        break;
    case WT_EV_HTTP_REQUEST:
        ev->u.http_request.method = take_cstr(in, 20, 0);
        ev->u.http_request.target = take_cstr(in, 200, 0);
        ev->u.http_request.host_header = take_cstr(in, 100, 0);
        ev->u.http_request.n_headers = (size_t)take_byte(in);
        ev->u.http_request.bytes = (size_t)take_size(in);
        ev->u.http_request.raw = take_cstr(in, 255, 0);
        break;
    case WT_EV_HTTP_STATUS:
        ev->u.http_status.version_major = (int)take_byte(in) % 4;
        ev->u.http_status.version_minor = (int)take_byte(in) % 4;
        ev->u.http_status.status = (int)take_int(in) % 1000;
        ev->u.http_status.reason = take_bytes(in, 255, &len);
        ev->u.http_status.reason_len = len;
        ev->u.http_status.wait_us = take_time(in);
        break;
    case WT_EV_HTTP_HEADER:
        ev->u.http_header.name = take_bytes(in, 100, &len);
        ev->u.http_header.name_len = len;
        ev->u.http_header.value = take_bytes(in, 255, &len);
        ev->u.http_header.value_len = len;
        ev->u.http_header.folded = take_byte(in) & 1;
        break;
    case WT_EV_HTTP_HEADERS_DONE:
        ev->u.http_headers_done.n_headers = (size_t)take_byte(in);
        ev->u.http_headers_done.header_bytes = (size_t)take_size(in);
        ev->u.http_headers_done.framing = (enum wt_body_framing)(take_byte(in) % 4);
        ev->u.http_headers_done.content_length = take_time(in);
        ev->u.http_headers_done.keep_alive = take_byte(in) & 1;
        break;
    case WT_EV_HTTP_BODY_DONE:
        ev->u.http_body_done.bytes = (uint64_t)take_size(in);
        ev->u.http_body_done.framing = (enum wt_body_framing)(take_byte(in) % 4);
        ev->u.http_body_done.elapsed_us = take_time(in);
        ev->u.http_body_done.sink = take_cstr(in, 100, 0);
        ev->u.http_body_done.encoding = take_cstr(in, 40, 1);
        ev->u.http_body_done.decoded_bytes = (uint64_t)take_size(in);
        ev->u.http_body_done.truncated = take_byte(in) & 1;
        ev->u.http_body_done.limit_rate = (uint64_t)take_size(in);
        ev->u.http_body_done.rate_pauses = (uint64_t)take_byte(in);
        ev->u.http_body_done.rate_paused_us = take_time(in);
        break;
    case WT_EV_HTTP_COOKIE:
        /* names and domains come from the network: any bytes */
        ev->u.http_cookie.action = take_byte(in) % 6;
        ev->u.http_cookie.name = take_cstr(in, 100, 0);
        ev->u.http_cookie.domain = take_byte(in) & 1 ? take_cstr(in, 100, 0) : NULL;
        ev->u.http_cookie.path = take_byte(in) & 1 ? take_cstr(in, 100, 0) : NULL;
        ev->u.http_cookie.expires = take_time(in);
        ev->u.http_cookie.host_only = take_byte(in) & 1;
        ev->u.http_cookie.secure = take_byte(in) & 1;
        ev->u.http_cookie.http_only = take_byte(in) & 1;
        ev->u.http_cookie.reason = take_byte(in) & 1 ? "the Domain is another site" : NULL;
        break;
    case WT_EV_H2_FRAME: {
        static const char *const names[] = { "DATA", "HEADERS", "PRIORITY", "RST_STREAM",
                                             "SETTINGS", "PUSH_PROMISE", "PING", "GOAWAY",
                                             "WINDOW_UPDATE", "CONTINUATION", "PREFACE" };
        unsigned t = take_byte(in) % 11;
        ev->u.h2_frame.type = t == 10 ? -1 : (int)t;
        ev->u.h2_frame.type_name = names[t];
        ev->u.h2_frame.sent = take_byte(in) & 1;
        ev->u.h2_frame.server = take_byte(in) & 1;
        ev->u.h2_frame.conn = (uint64_t)take_byte(in);
        ev->u.h2_frame.stream = (int32_t)(take_int(in) & 0x7fffffff);
        ev->u.h2_frame.flags = (uint8_t)take_byte(in);
        ev->u.h2_frame.length = (size_t)(take_int(in) % 16777216);
        ev->u.h2_frame.nth = (size_t)take_byte(in);
        ev->u.h2_frame.end_stream = take_byte(in) & 1;
        ev->u.h2_frame.ack = take_byte(in) & 1;
        ev->u.h2_frame.end_headers = take_byte(in) & 1;
        ev->u.h2_frame.n_settings = take_byte(in) % (WT_H2_MAX_SETTINGS + 1);
        for (size_t i = 0; i < ev->u.h2_frame.n_settings; i++) {
            ev->u.h2_frame.settings[i].id = (uint16_t)take_byte(in);
            ev->u.h2_frame.settings[i].name = "SETTINGS_MAX_FRAME_SIZE";
            ev->u.h2_frame.settings[i].value = (uint32_t)take_int(in);
        }
        ev->u.h2_frame.error_code = (uint32_t)take_byte(in);
        ev->u.h2_frame.error_name = take_byte(in) & 1 ? "PROTOCOL_ERROR" : NULL;
        ev->u.h2_frame.last_stream = (int32_t)(take_int(in) & 0x7fffffff);
        ev->u.h2_frame.increment = (uint32_t)take_int(in);
        ev->u.h2_frame.n_headers = (size_t)take_byte(in);
        ev->u.h2_frame.raw_bytes = (size_t)take_int(in) % 100000;
        ev->u.h2_frame.ping = (uint64_t)take_int(in);
        break;
    }
    case WT_EV_HTTP_RANGE:
        ev->u.http_range.outcome = (enum wt_range_outcome)(take_byte(in) % 5);
        ev->u.http_range.status = (int)(take_int(in) % 1000);
        ev->u.http_range.resume_from = take_time(in);
        ev->u.http_range.content_range = take_bytes(in, 100, &len);
        ev->u.http_range.content_range_len = len;
        break;
    case WT_EV_TCP_TEARDOWN:
        ev->u.tcp_teardown.we_are_server = take_byte(in) & 1;
        ev->u.tcp_teardown.conn = (uint64_t)take_byte(in);
        ev->u.tcp_teardown.reset = take_byte(in) & 1;
        ev->u.tcp_teardown.we_closed_first = take_byte(in) & 1;
        ev->u.tcp_teardown.n_states = take_byte(in) % (WT_TEARDOWN_MAX_STATES + 1);
        for (size_t i = 0; i < ev->u.tcp_teardown.n_states; i++)
            ev->u.tcp_teardown.states[i] = (enum wt_tcp_state)(take_byte(in) % 14);
        ev->u.tcp_teardown.peer_closed = take_byte(in) & 1;
        ev->u.tcp_teardown.time_wait_ms = take_time(in);
        ev->u.tcp_teardown.time_wait_is_ours = take_byte(in) & 1;
        ev->u.tcp_teardown.elapsed_us = take_time(in);
        break;
    case WT_EV_SERVE_LISTEN:
        take_endpoint(in, &ev->u.serve_listen.local);
        ev->u.serve_listen.backlog = (int)take_byte(in);
        ev->u.serve_listen.tls = take_byte(in) & 1;
        ev->u.serve_listen.scope = take_cstr(in, 100, 0);
        break;
    case WT_EV_SERVE_ACCEPT:
        ev->u.serve_accept.conn = (uint64_t)take_int(in);
        take_endpoint(in, &ev->u.serve_accept.client);
        take_endpoint(in, &ev->u.serve_accept.local);
        ev->u.serve_accept.open_connections = (size_t)take_byte(in);
        break;
    case WT_EV_SERVE_TLS:
        ev->u.serve_tls.conn = (uint64_t)take_int(in);
        ev->u.serve_tls.version = take_cstr(in, 40, 0);
        ev->u.serve_tls.cipher = take_cstr(in, 100, 0);
        break;
    case WT_EV_SERVE_REQUEST:
        ev->u.serve_request.conn = (uint64_t)take_int(in);
        ev->u.serve_request.number = (unsigned)take_byte(in);
        ev->u.serve_request.method = take_cstr(in, 20, 0);
        ev->u.serve_request.target = take_bytes(in, 255, &len);
        ev->u.serve_request.target_len = len;
        ev->u.serve_request.bytes = (size_t)take_size(in);
        ev->u.serve_request.n_headers = (size_t)take_byte(in);
        ev->u.serve_request.keep_alive = take_byte(in) & 1;
        break;
    case WT_EV_SERVE_RESPONSE:
        ev->u.serve_response.conn = (uint64_t)take_int(in);
        ev->u.serve_response.status = (int)take_int(in) % 1000;
        ev->u.serve_response.body_bytes = (uint64_t)take_size(in);
        ev->u.serve_response.bytes = (uint64_t)take_size(in);
        ev->u.serve_response.elapsed_us = take_time(in);
        ev->u.serve_response.closing = take_byte(in) & 1;
        break;
    case WT_EV_SERVE_DROP:
        ev->u.serve_drop.conn = (uint64_t)take_int(in);
        ev->u.serve_drop.reason = take_cstr(in, 100, 0);
        break;
    case WT_EV_SUMMARY:
        ev->u.summary.dns_us = take_time(in);
        ev->u.summary.connect_us = take_time(in);
        ev->u.summary.tls_us = take_time(in);
        ev->u.summary.wait_us = take_time(in);
        ev->u.summary.transfer_us = take_time(in);
        ev->u.summary.total_us = take_time(in);
        ev->u.summary.teardown_us = take_time(in);
        break;
    case WT_EV_ERROR:
        ev->u.error.step = take_cstr(in, 20, 0);
        ev->u.error.exit_code = (int)take_byte(in);
        ev->u.error.message = take_cstr(in, 200, 0);
        break;
    case WT_EV_PROXY:
        ev->u.proxy.use = take_byte(in) & 1;
        ev->u.proxy.url_host = take_cstr(in, 100, 0);
        ev->u.proxy.proxy = take_cstr(in, 100, 0);
        ev->u.proxy.host = take_cstr(in, 100, 0);
        ev->u.proxy.port = (uint16_t)take_int(in);
        ev->u.proxy.source = "http_proxy";
        ev->u.proxy.tunnel = take_byte(in) & 1;
        ev->u.proxy.credentials = take_byte(in) & 1;
        ev->u.proxy.bypass_source = "NO_PROXY";
        ev->u.proxy.bypass_list = take_cstr(in, 100, 0);
        break;
    case WT_EV_PROXY_CONNECT:
        ev->u.proxy_connect.authority = take_cstr(in, 100, 0);
        ev->u.proxy_connect.raw = take_cstr(in, 200, 0);
        ev->u.proxy_connect.bytes = strlen(ev->u.proxy_connect.raw);
        ev->u.proxy_connect.n_headers = (size_t)take_byte(in);
        ev->u.proxy_connect.credentials = take_byte(in) & 1;
        break;
    case WT_EV_PROXY_REPLY:
        ev->u.proxy_reply.status = (int)take_int(in);
        ev->u.proxy_reply.reason = take_bytes(in, 100, &len);
        ev->u.proxy_reply.reason_len = len;
        ev->u.proxy_reply.raw = ev->u.proxy_reply.reason;
        ev->u.proxy_reply.bytes = len;
        ev->u.proxy_reply.elapsed_us = take_time(in);
        ev->u.proxy_reply.opened = take_byte(in) & 1;
        break;
    default:
        break;
    }
}

#define MAX_EVENTS 48

static char har_path[64];

static void render_events(struct input *in, int har)
{
    char *text = NULL;
    size_t len = 0;
    FILE *data_out = open_memstream(&text, &len);
    FILE *null_out = fopen("/dev/null", "w");
    if (!data_out || !null_out)
        abort();
    struct wt_render_config cfg = { .out = null_out, .data_out = data_out, .har_path = har_path };
    const struct wt_renderer *r = har ? &wt_render_har : &wt_render_json;
    void *state = r->begin(&cfg);
    if (!state)
        abort();
    struct wt_endpoint eps[4];
    /* enough for a trace or two; more only makes each run slower */
    for (int n = 0; n < MAX_EVENTS && in->left; n++) {
        struct wt_event ev;
        take_event(in, &ev, eps);
        r->event(state, &ev);
    }
    if (r->end(state) != 0)
        abort();
    fclose(data_out);
    fclose(null_out);
    if (har) {
        FILE *f = fopen(har_path, "r");
        if (!f)
            abort();
        free(text);
        text = NULL;
        len = 0;
        size_t cap = 0;
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
            if (len + n > cap) {
                cap = (len + n) * 2;
                text = realloc(text, cap);
                if (!text)
                    abort();
            }
            memcpy(text + len, buf, n);
            len += n;
        }
        fclose(f);
        unlink(har_path);
        check_json(text, len, '{');
    } else {
        /* one object per line */
        for (size_t start = 0; start < len;) {
            const char *nl = memchr(text + start, '\n', len - start);
            if (!nl)
                abort();
            check_json(text + start, (size_t)(nl - text - start), '{');
            start = (size_t)(nl - text) + 1;
        }
    }
    free(text);
}

/* ---- mode 3: one string ------------------------------------------------- */

static void string_round_trip(const unsigned char *s, size_t n)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        abort();
    struct wt_json j;
    wt_json_init(&j, out);
    wt_json_string(&j, NULL, (const char *)s, n);
    fclose(out);

    /* what the string must decode to */
    unsigned char *want = malloc(n * 3 + 1);
    unsigned char *got = malloc(n * 3 + 1);
    if (!want || !got)
        abort();
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(s + i, n - i);
        if (k) {
            memcpy(want + w, s + i, k);
            w += k;
            i += k;
        } else {
            memcpy(want + w, "\xef\xbf\xbd", 3);
            w += 3;
            i++;
        }
    }
    struct parser ps = { (const unsigned char *)text, (const unsigned char *)text + len, 0, got, 0 };
    if (parse_string(&ps) < 0 || ps.p != ps.end)
        abort();
    if (ps.decoded_len != w || memcmp(got, want, w) != 0)
        abort();
    free(want);
    free(got);
    free(text);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("TMPDIR");
    snprintf(har_path, sizeof har_path, "%s/fuzz_json.%ld.har", dir && strlen(dir) < 32 ? dir : "/tmp",
             (long)getpid());
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1)
        return 0;
    static char arena[16384];
    struct input in = { data + 1, size - 1, arena, 0, sizeof arena };
    switch (data[0] & 3) {
    case 0: {
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);
        if (!out)
            abort();
        writer_document(&in, out);
        fclose(out);
        if (len)
            check_json(text, len, 0);
        free(text);
        break;
    }
    case 1:
    case 2:
        render_events(&in, (data[0] & 3) == 2);
        break;
    case 3:
        string_round_trip(data + 1, size - 1);
        break;
    }
    return 0;
}
