#include "webtrace/url.h"
#include "webtrace/i18n.h"
#include "webtrace/escape.h"
#include "webtrace/idn.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest piece of user input quoted back in an error sentence. */
#define QUOTE_MAX 40


static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static char to_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int equals_nocase(const char *a, size_t alen, const char *b)
{
    if (alen != strlen(b))
        return 0;
    for (size_t i = 0; i < alen; i++)
        if (to_lower(a[i]) != b[i])
            return 0;
    return 1;
}

static const char *control_name(unsigned char c, char *buf, size_t buflen)
{
    switch (c) {
    case '\r': return "CR";
    case '\n': return "LF";
    case '\t': return "TAB";
    case 0x1b: return "ESC";
    case 0x7f: return "DEL";
    default:
        snprintf(buf, buflen, "0x%02x", c);
        return buf;
    }
}

/* Controls and spaces are refused before any parsing; bytes above ASCII are
 * an international host name (converted) or part of the target
 * (percent-encoded). */
static int check_bytes(const char *input, size_t len, char *err, size_t errlen)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)input[i];
        char hex[8];
        if (c < 0x20 || c == 0x7f) {
            wt_errf(err, errlen, "URL contains a control character (%s) at byte %zu",
                    control_name(c, hex, sizeof hex), i + 1);
            return -1;
        }
        if (c == ' ') {
            wt_errf(err, errlen, "URL contains a space at byte %zu", i + 1);
            return -1;
        }
    }
    return 0;
}

/* RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
static int is_scheme_syntax(const char *s, size_t len)
{
    if (len == 0 || !is_alpha(s[0]))
        return 0;
    for (size_t i = 1; i < len; i++)
        if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '+' && s[i] != '-' && s[i] != '.')
            return 0;
    return 1;
}

static int all_digits(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!is_digit(s[i]))
            return 0;
    return 1;
}

/* Splits off "scheme://" if the input has one. Returns the offset of the
 * authority, or -1 with err set. */
static long parse_scheme(const char *input, struct wt_url *out, char *err, size_t errlen)
{
    size_t end = strcspn(input, ":/?#");
    char q[QUOTE_MAX];

    out->scheme = WT_SCHEME_HTTP;
    if (input[end] != ':')
        return 0;
    if (strncmp(input + end, "://", 3) == 0) {
        if (end == 0) {
            wt_errf(err, errlen, "URL has '://' but no scheme before it");
            return -1;
        }
        if (!is_scheme_syntax(input, end)) {
            wt_errf(err, errlen, "'%s' is not a valid URL scheme",
                    wt_quote_input(q, sizeof q, input, end));
            return -1;
        }
        if (equals_nocase(input, end, "http")) {
            out->scheme = WT_SCHEME_HTTP;
        } else if (equals_nocase(input, end, "https")) {
            out->scheme = WT_SCHEME_HTTPS;
        } else {
            wt_errf(err, errlen, "unsupported scheme '%s' (webtrace speaks http and https)",
                    wt_quote_input(q, sizeof q, input, end));
            return -2;
        }
        return (long)end + 3;
    }
    /* "http:example.test" is a typo for "http://", but "http:8080" could be
     * a host called http with a port, so only non-numeric tails are refused. */
    if ((equals_nocase(input, end, "http") || equals_nocase(input, end, "https")) &&
        !all_digits(input + end + 1, strcspn(input + end + 1, "/?#"))) {
        wt_errf(err, errlen, "expected '//' after '%s:'", wt_quote_input(q, sizeof q, input, end));
        return -1;
    }
    return 0;
}

static int parse_port(const char *text, size_t len, uint16_t *port, char *err, size_t errlen)
{
    char q[QUOTE_MAX];
    if (len == 0) {
        wt_errf(err, errlen, "port is empty (nothing after ':')");
        return -1;
    }
    if (!all_digits(text, len)) {
        wt_errf(err, errlen, "port '%s' is not a number", wt_quote_input(q, sizeof q, text, len));
        return -1;
    }
    unsigned long value = 0;
    for (size_t i = 0; i < len; i++) {
        value = value * 10 + (unsigned long)(text[i] - '0');
        if (value > 65535)
            break;
    }
    if (value == 0 || value > 65535) {
        wt_errf(err, errlen, "port %s is out of range (1-65535)", wt_quote_input(q, sizeof q, text, len));
        return -1;
    }
    *port = (uint16_t)value;
    return 0;
}

static int parse_ipv6(const char *text, size_t len, struct wt_url *out,
                      char *err, size_t errlen)
{
    char literal[64];
    char q[QUOTE_MAX];
    struct in6_addr addr;

    if (len == 0) {
        wt_errf(err, errlen, "empty IPv6 address between '[' and ']'");
        return -1;
    }
    if (len >= sizeof literal) {
        wt_errf(err, errlen, "'%s' is not a valid IPv6 address", wt_quote_input(q, sizeof q, text, len));
        return -1;
    }
    memcpy(literal, text, len);
    literal[len] = '\0';
    if (inet_pton(AF_INET6, literal, &addr) != 1) {
        if (memchr(literal, '%', len))
            wt_errf(err, errlen, "'%s' is not a valid IPv6 address (zone ids are not supported)",
                    wt_quote_input(q, sizeof q, text, len));
        else
            wt_errf(err, errlen, "'%s' is not a valid IPv6 address",
                    wt_quote_input(q, sizeof q, text, len));
        return -1;
    }
    /* Kept as typed (lower-cased): inet_ntop would print [::1:5353] as the
     * deprecated IPv4-compatible form ::0.1.83.83. */
    for (size_t i = 0; i <= len; i++)
        out->host[i] = to_lower(literal[i]);
    out->host_kind = WT_HOST_IPV6;
    return 0;
}

static int digits_and_dots(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_digit(s[i]) && s[i] != '.')
            return 0;
    return 1;
}

/* True when the last label reads as a number (decimal or 0x hex): resolvers
 * (inet_aton, WHATWG URL) would treat such a name as an IPv4 address in some
 * shorthand, so it must be a plain dotted quad or nothing. */
static int ends_in_number(const char *name, size_t len)
{
    const char *dot = NULL;
    for (size_t i = len; i > 0; i--)
        if (name[i - 1] == '.') {
            dot = name + i - 1;
            break;
        }
    const char *label = dot ? dot + 1 : name;
    size_t llen = len - (size_t)(label - name);
    if (all_digits(label, llen))
        return 1;
    if (llen >= 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X')) {
        for (size_t i = 2; i < llen; i++)
            if (!is_hex(label[i]))
                return 0;
        return 1;
    }
    return 0;
}

static int parse_name(const char *text, size_t len, struct wt_url *out,
                      char *err, size_t errlen)
{
    char q[QUOTE_MAX];

    /* A fully qualified "example.test." names the same host. */
    if (len > 0 && text[len - 1] == '.')
        len--;
    if (len == 0) {
        wt_errf(err, errlen, "empty host name");
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_' && c != '.') {
            wt_errf(err, errlen, "host name '%s' contains an invalid character '%c'",
                    wt_quote_input(q, sizeof q, text, len), c);
            return -1;
        }
    }
    if (ends_in_number(text, len)) {
        char literal[WT_HOST_MAX_LEN + 1];
        struct in_addr addr;
        if (len < sizeof literal) {
            memcpy(literal, text, len);
            literal[len] = '\0';
            if (inet_pton(AF_INET, literal, &addr) == 1) {
                memcpy(out->host, literal, len + 1);
                out->host_kind = WT_HOST_IPV4;
                return 0;
            }
        }
        if (digits_and_dots(text, len))
            wt_errf(err, errlen, "'%s' is not a valid IPv4 address (expected four decimal "
                    "numbers 0-255, like 192.0.2.1)", wt_quote_input(q, sizeof q, text, len));
        else
            wt_errf(err, errlen, "host name ends in a number but '%s' is not a valid IPv4 "
                    "address (expected four decimal numbers 0-255, like 192.0.2.1)",
                    wt_quote_input(q, sizeof q, text, len));
        return -1;
    }
    if (len > WT_HOST_MAX_LEN) {
        wt_errf(err, errlen, "host name is longer than %d bytes (%zu)", WT_HOST_MAX_LEN, len);
        return -1;
    }
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != '.')
            continue;
        size_t label_len = i - start;
        if (label_len == 0) {
            wt_errf(err, errlen, "host name '%s' has an empty label", wt_quote_input(q, sizeof q, text, len));
            return -1;
        }
        if (label_len > WT_LABEL_MAX_LEN) {
            char lq[20];
            wt_errf(err, errlen, "label '%s' is longer than %d bytes (%zu)",
                    wt_quote_input(lq, sizeof lq, text + start, label_len), WT_LABEL_MAX_LEN, label_len);
            return -1;
        }
        start = i + 1;
    }
    for (size_t i = 0; i < len; i++)
        out->host[i] = to_lower(text[i]);
    out->host[len] = '\0';
    out->host_kind = WT_HOST_NAME;
    return 0;
}

/* An international name: its xn-- form must then be a valid name too. */
static int parse_idn(const char *text, size_t len, struct wt_url *out, char *err,
                     size_t errlen)
{
    if (len > 0 && text[len - 1] == '.')
        len--;
    if (len >= sizeof out->host_unicode) {
        wt_errf(err, errlen, "host name is longer than %d bytes (%zu)",
                WT_HOST_UNICODE_MAX - 1, len);
        return -1;
    }
    char ace[WT_HOST_MAX_LEN + 2];
    if (wt_idn_to_ascii(text, len, ace, sizeof ace, err, errlen) != 0)
        return -1;
    if (parse_name(ace, strlen(ace), out, err, errlen) != 0)
        return -1;
    memcpy(out->host_unicode, text, len);
    out->host_unicode[len] = '\0';
    return 0;
}

static int parse_authority(const char *auth, size_t len, struct wt_url *out,
                           char *err, size_t errlen)
{
    const char *port_text = NULL;
    size_t port_len = 0;

    if (memchr(auth, '@', len)) {
        wt_errf(err, errlen, "URL contains user credentials (user@host); "
                "webtrace does not support them");
        return -1;
    }
    if (len == 0) {
        wt_errf(err, errlen, "empty host name");
        return -1;
    }
    if (auth[0] == '[') {
        const char *close = memchr(auth, ']', len);
        if (!close) {
            wt_errf(err, errlen, "unbalanced '[' in host: no closing ']'");
            return -1;
        }
        size_t inner_len = (size_t)(close - auth) - 1;
        if (memchr(auth + 1, '[', inner_len)) {
            wt_errf(err, errlen, "unbalanced '[' in host");
            return -1;
        }
        const char *after = close + 1;
        size_t after_len = len - (size_t)(after - auth);
        if (after_len > 0) {
            if (after[0] != ':') {
                wt_errf(err, errlen, "unexpected characters after ']' (expected ':port')");
                return -1;
            }
            port_text = after + 1;
            port_len = after_len - 1;
        }
        if (parse_ipv6(auth + 1, inner_len, out, err, errlen) != 0)
            return -1;
    } else {
        if (memchr(auth, '[', len)) {
            wt_errf(err, errlen, "unbalanced '[' in host: it must come first");
            return -1;
        }
        if (memchr(auth, ']', len)) {
            wt_errf(err, errlen, "unbalanced ']' in host: no opening '['");
            return -1;
        }
        const char *colon = memchr(auth, ':', len);
        if (colon && memchr(colon + 1, ':', len - (size_t)(colon + 1 - auth))) {
            wt_errf(err, errlen, "host has more than one ':' "
                    "(IPv6 addresses need brackets, e.g. [::1]:8080)");
            return -1;
        }
        size_t host_len = colon ? (size_t)(colon - auth) : len;
        if (colon) {
            port_text = colon + 1;
            port_len = len - host_len - 1;
        }
        if (wt_idn_needed(auth, host_len)) {
            if (parse_idn(auth, host_len, out, err, errlen) != 0)
                return -1;
        } else if (parse_name(auth, host_len, out, err, errlen) != 0) {
            return -1;
        }
    }
    if (port_text) {
        if (parse_port(port_text, port_len, &out->port, err, errlen) != 0)
            return -1;
        out->port_explicit = 1;
    } else {
        out->port = wt_scheme_default_port(out->scheme);
    }
    return 0;
}

static int build_strings(const char *rest, struct wt_url *out)
{
    /* The fragment is the browser's business; it never goes on the wire. */
    size_t rest_len = strcspn(rest, "#");
    const char *slash = rest[0] == '/' ? "" : "/";
    size_t target_len = strlen(slash) + rest_len;
    /* Bytes above ASCII go on the wire percent-encoded, as curl sends them. */
    for (size_t i = 0; i < rest_len; i++)
        if ((unsigned char)rest[i] >= 0x80)
            target_len += 2;

    out->target = malloc(target_len + 1);
    if (!out->target)
        return -1;
    static const char hex[] = "0123456789ABCDEF";
    char *w = out->target;
    w += snprintf(w, target_len + 1, "%s", slash);
    for (size_t i = 0; i < rest_len; i++) {
        unsigned char c = (unsigned char)rest[i];
        if (c >= 0x80) {
            *w++ = '%';
            *w++ = hex[c >> 4];
            *w++ = hex[c & 15];
        } else {
            *w++ = (char)c;
        }
    }
    *w = '\0';

    const char *scheme = wt_scheme_name(out->scheme);
    int v6 = out->host_kind == WT_HOST_IPV6;
    char port[8] = "";
    if (out->port != wt_scheme_default_port(out->scheme))
        snprintf(port, sizeof port, ":%u", (unsigned)out->port);
    size_t norm_len = strlen(scheme) + 3 + strlen(out->host) + 2 + strlen(port) + target_len;
    out->normalized = malloc(norm_len + 1);
    if (!out->normalized)
        return -1;
    snprintf(out->normalized, norm_len + 1, "%s://%s%s%s%s%s", scheme, v6 ? "[" : "",
             out->host, v6 ? "]" : "", port, out->target);
    return 0;
}

enum wt_url_status wt_url_parse(const char *input, struct wt_url *out,
                                char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    wt_errf(err, errlen, "%s", "");
    if (!input || input[0] == '\0') {
        wt_errf(err, errlen, "empty URL");
        return WT_URL_BAD;
    }
    size_t len = strnlen(input, WT_URL_MAX_LEN + 1);
    if (len > WT_URL_MAX_LEN) {
        wt_errf(err, errlen, "URL is longer than %d bytes", WT_URL_MAX_LEN);
        return WT_URL_BAD;
    }
    if (check_bytes(input, len, err, errlen) != 0)
        return WT_URL_BAD;

    long auth_start = parse_scheme(input, out, err, errlen);
    if (auth_start == -2) {
        memset(out, 0, sizeof *out);
        return WT_URL_UNSUPPORTED_SCHEME;
    }
    if (auth_start < 0) {
        memset(out, 0, sizeof *out);
        return WT_URL_BAD;
    }
    const char *auth = input + auth_start;
    size_t auth_len = strcspn(auth, "/?#");
    if (parse_authority(auth, auth_len, out, err, errlen) != 0) {
        memset(out, 0, sizeof *out);
        return WT_URL_BAD;
    }
    if (build_strings(auth + auth_len, out) != 0) {
        wt_url_clear(out);
        wt_errf(err, errlen, "out of memory while parsing the URL");
        return WT_URL_NO_MEMORY;
    }
    return WT_URL_OK;
}

void wt_url_clear(struct wt_url *url)
{
    if (!url)
        return;
    free(url->target);
    free(url->normalized);
    memset(url, 0, sizeof *url);
}

const char *wt_scheme_name(enum wt_scheme scheme)
{
    return scheme == WT_SCHEME_HTTPS ? "https" : "http";
}

uint16_t wt_scheme_default_port(enum wt_scheme scheme)
{
    return scheme == WT_SCHEME_HTTPS ? 443 : 80;
}

enum wt_port_class wt_port_classify(uint16_t port)
{
    if (port <= 1023)
        return WT_PORT_WELL_KNOWN;
    if (port <= 49151)
        return WT_PORT_REGISTERED;
    return WT_PORT_DYNAMIC;
}

const char *wt_port_class_name(enum wt_port_class cls)
{
    switch (cls) {
    case WT_PORT_WELL_KNOWN: return N_("well-known");
    case WT_PORT_REGISTERED: return N_("registered");
    case WT_PORT_DYNAMIC: return N_("ephemeral");
    }
    return "unknown";
}

/* ---- references (RFC 3986 section 5) ------------------------------------ */

/* One URI split as RFC 3986 appendix B does; each part points into the
 * text it came from, with a length and whether it was there at all (an
 * empty query "?" differs from none). */
struct uri_parts {
    const char *scheme, *authority, *path, *query, *fragment;
    size_t scheme_len, authority_len, path_len, query_len, fragment_len;
    int has_scheme, has_authority, has_query, has_fragment;
};

static void split_uri(const char *s, size_t len, struct uri_parts *u)
{
    memset(u, 0, sizeof *u);
    const char *end = s + len;
    const char *p = s;
    while (p < end && *p != ':' && *p != '/' && *p != '?' && *p != '#')
        p++;
    if (p < end && *p == ':' && p > s) {
        u->has_scheme = 1;
        u->scheme = s;
        u->scheme_len = (size_t)(p - s);
        s = p + 1;
    }
    if (end - s >= 2 && s[0] == '/' && s[1] == '/') {
        u->has_authority = 1;
        u->authority = s + 2;
        p = u->authority;
        while (p < end && *p != '/' && *p != '?' && *p != '#')
            p++;
        u->authority_len = (size_t)(p - u->authority);
        s = p;
    }
    u->path = s;
    p = s;
    while (p < end && *p != '?' && *p != '#')
        p++;
    u->path_len = (size_t)(p - s);
    s = p;
    if (s < end && *s == '?') {
        u->has_query = 1;
        u->query = ++s;
        while (s < end && *s != '#')
            s++;
        u->query_len = (size_t)(s - u->query);
    }
    if (s < end && *s == '#') {
        u->has_fragment = 1;
        u->fragment = s + 1;
        u->fragment_len = (size_t)(end - u->fragment);
    }
}

/* RFC 3986 section 5.2.4, in place: out holds len bytes of path, and the
 * result is never longer than the input. */
static size_t remove_dot_segments(char *out, const char *in, size_t len)
{
    size_t o = 0;
    const char *end = in + len;
    while (in < end) {
        size_t left = (size_t)(end - in);
        if (left >= 3 && memcmp(in, "../", 3) == 0) {
            in += 3;
        } else if (left >= 2 && memcmp(in, "./", 2) == 0) {
            in += 2;
        } else if (left >= 3 && memcmp(in, "/./", 3) == 0) {
            in += 2;
        } else if (left == 2 && memcmp(in, "/.", 2) == 0) {
            in += 1;
            *(char *)in = '/';   /* "/." at the end becomes "/" */
        } else if (left >= 4 && memcmp(in, "/../", 4) == 0) {
            in += 3;
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
        } else if (left == 3 && memcmp(in, "/..", 3) == 0) {
            in += 2;
            *(char *)in = '/';
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
        } else if ((left == 1 && in[0] == '.') || (left == 2 && memcmp(in, "..", 2) == 0)) {
            in = end;
        } else {
            /* move the first segment, with its leading "/", to the output */
            const char *seg = in + 1;
            while (seg < end && *seg != '/')
                seg++;
            size_t n = (size_t)(seg - in);
            memmove(out + o, in, n);
            o += n;
            in = seg;
        }
    }
    return o;
}

struct strbuf {
    char *p;
    size_t len, cap;
};

static int sb_add(struct strbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap)
        return -1;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

/* Spaces and bytes outside printable ASCII become %XX (curl does the same
 * to a Location before following it); control bytes are left for
 * wt_url_parse to refuse with a sentence. */
static char *encode_reference(const char *ref, size_t len)
{
    size_t need = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)ref[i];
        need += (c == ' ' || c > 0x7e) ? 3 : 1;
    }
    char *out = malloc(need + 1);
    if (!out)
        return NULL;
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)ref[i];
        if (c == ' ' || c > 0x7e) {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return out;
}

char *wt_url_resolve(const char *base, const char *ref, size_t ref_len)
{
    if (ref_len > WT_URL_MAX_LEN || strlen(base) > WT_URL_MAX_LEN)
        return NULL;
    char *enc = encode_reference(ref, ref_len);
    if (!enc)
        return NULL;
    struct uri_parts b, r;
    split_uri(base, strlen(base), &b);
    split_uri(enc, strlen(enc), &r);

    /* Room for every part of both, plus separators: the merged path is at
     * most the base path and the reference path together. */
    size_t cap = strlen(base) + strlen(enc) + 16;
    char *path = malloc(cap);
    struct strbuf out = { malloc(cap), 0, cap };
    if (!path || !out.p) {
        free(path);
        free(out.p);
        free(enc);
        return NULL;
    }
    out.p[0] = '\0';
    const struct uri_parts *auth_from, *query_from;
    size_t path_len;
    const char *scheme = b.scheme;
    size_t scheme_len = b.scheme_len;
    if (r.has_scheme) {
        scheme = r.scheme;
        scheme_len = r.scheme_len;
        auth_from = &r;
        query_from = &r;
        memcpy(path, r.path, r.path_len);
        path_len = remove_dot_segments(path, path, r.path_len);
    } else if (r.has_authority) {
        auth_from = &r;
        query_from = &r;
        memcpy(path, r.path, r.path_len);
        path_len = remove_dot_segments(path, path, r.path_len);
    } else {
        auth_from = &b;
        if (r.path_len == 0) {
            memcpy(path, b.path, b.path_len);
            path_len = b.path_len;
            query_from = r.has_query ? &r : &b;
        } else {
            query_from = &r;
            char *merged = malloc(cap);
            if (!merged) {
                free(path);
                free(out.p);
                free(enc);
                return NULL;
            }
            size_t m = 0;
            if (r.path[0] == '/') {
                memcpy(merged, r.path, r.path_len);
                m = r.path_len;
            } else {
                /* section 5.2.3: an authority with an empty path merges as "/" */
                if (b.has_authority && b.path_len == 0) {
                    merged[m++] = '/';
                } else {
                    size_t keep = b.path_len;
                    while (keep > 0 && b.path[keep - 1] != '/')
                        keep--;
                    memcpy(merged, b.path, keep);
                    m = keep;
                }
                memcpy(merged + m, r.path, r.path_len);
                m += r.path_len;
            }
            path_len = remove_dot_segments(path, merged, m);
            free(merged);
        }
    }
    int bad = sb_add(&out, scheme, scheme_len) || sb_add(&out, ":", 1);
    if (!bad && auth_from->has_authority)
        bad = sb_add(&out, "//", 2) ||
              sb_add(&out, auth_from->authority, auth_from->authority_len);
    if (!bad)
        bad = sb_add(&out, path, path_len);
    if (!bad && query_from->has_query)
        bad = sb_add(&out, "?", 1) || sb_add(&out, query_from->query, query_from->query_len);
    if (!bad && r.has_fragment)
        bad = sb_add(&out, "#", 1) || sb_add(&out, r.fragment, r.fragment_len);
    free(path);
    free(enc);
    if (bad || out.len > WT_URL_MAX_LEN) {
        free(out.p);
        return NULL;
    }
    return out.p;
}

size_t wt_url_remote_name(const struct wt_url *url, char *out, size_t outlen)
{
    size_t path_len = strcspn(url->target, "?#");
    size_t start = path_len;
    while (start > 0 && url->target[start - 1] != '/')
        start--;
    size_t len = path_len - start;
    const char *name = url->target + start;
    /* a dot segment names a directory, never a file */
    if (len == 0 || len + 1 > outlen || (len == 1 && name[0] == '.') ||
        (len == 2 && name[0] == '.' && name[1] == '.'))
        return 0;
    memcpy(out, name, len);
    out[len] = '\0';
    return len;
}
