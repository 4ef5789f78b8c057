#include "webtrace/proxy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "webtrace/escape.h"
#include "webtrace/exitcode.h"
#include "webtrace/idn.h"
#include "webtrace/reqspec.h"

#define SCHEME_MAX 16
#define NOPROXY_TOKEN_MAX 128   /* an address entry, as curl copies it */

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decodes src[0..len) into out (curl decodes a proxy's user and
 * password). -1 when it does not fit. */
static int decode_into(const char *src, size_t len, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)src[i];
        if (c == '%' && i + 2 < len && hexval(src[i + 1]) >= 0 && hexval(src[i + 2]) >= 0) {
            c = hexval(src[i + 1]) * 16 + hexval(src[i + 2]);
            i += 2;
        }
        if (o + 1 >= outlen)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

int wt_proxy_parse(const char *text, struct wt_proxy *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->port = WT_PROXY_DEFAULT_PORT;
    char quoted[96];
    wt_quote_input(quoted, sizeof quoted, text, strlen(text));
    const char *p = text;
    const char *sep = strstr(p, "://");
    if (sep) {
        size_t n = (size_t)(sep - p);
        char scheme[SCHEME_MAX];
        if (n == 0 || n >= sizeof scheme) {
            wt_errf(err, errlen, "unsupported proxy syntax in '%s'", quoted);
            return WT_EXIT_RESOLVE_PROXY;
        }
        memcpy(scheme, p, n);
        scheme[n] = '\0';
        if (strcasecmp(scheme, "http") != 0) {
            static const char *const known[] = { "https", "socks4", "socks4a", "socks5",
                                                 "socks5h", "socks" };
            for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
                if (!strcasecmp(scheme, known[i])) {
                    wt_errf(err, errlen, "a %s:// proxy is not supported (only http:// proxies)",
                            known[i]);
                    return WT_EXIT_UNSUPPORTED_PROTOCOL;
                }
            wt_errf(err, errlen, "unsupported proxy scheme for '%s'", quoted);
            return WT_EXIT_CONNECT;
        }
        p = sep + 3;
    }
    /* The authority ends at the first '/' (a trailing path is ignored, as curl). */
    size_t auth_len = strcspn(p, "/?#");
    const char *end = p + auth_len;
    const char *at = NULL;
    for (const char *q = p; q < end; q++)
        if (*q == '@')
            at = q;
    if (at) {
        if (decode_into(p, (size_t)(at - p), out->credentials, sizeof out->credentials) < 0) {
            wt_errf(err, errlen, "the proxy's user and password are too long (at most %d bytes)",
                    WT_PROXY_CREDENTIALS_MAX - 1);
            return WT_EXIT_RESOLVE_PROXY;
        }
        p = at + 1;
    }
    const char *host_end;
    const char *port_at = NULL;
    if (*p == '[') {
        const char *close = memchr(p, ']', (size_t)(end - p));
        if (!close)
            goto bad;
        host_end = close;
        p++;
        if (close + 1 < end) {
            if (close[1] != ':')
                goto bad;
            port_at = close + 2;
        }
    } else {
        const char *colon = memchr(p, ':', (size_t)(end - p));
        host_end = colon ? colon : end;
        if (colon)
            port_at = colon + 1;
    }
    size_t host_len = (size_t)(host_end - p);
    if (host_len == 0)
        goto bad;
    if (wt_idn_needed(p, host_len)) {
        /* an international proxy name goes to DNS in its xn-- form, as curl's */
        char idn_err[256];
        if (wt_idn_to_ascii(p, host_len, out->host, sizeof out->host, idn_err,
                            sizeof idn_err) != 0) {
            wt_errf(err, errlen, "the proxy's name '%s' is not a valid international name: %s",
                    quoted, idn_err);
            return WT_EXIT_RESOLVE_PROXY;
        }
        p = out->host;
        host_len = strlen(out->host);
    }
    if (host_len > WT_HOST_MAX_LEN)
        goto bad;
    for (size_t i = 0; i < host_len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c <= ' ' || c >= 0x7f || c == '@' || c == '%' || c == '\\')
            goto bad;
        out->host[i] = (char)tolower(c);
    }
    out->host[host_len] = '\0';
    unsigned char bin[16];
    if (inet_pton(AF_INET6, out->host, bin) == 1)
        out->host_kind = WT_HOST_IPV6;
    else if (inet_pton(AF_INET, out->host, bin) == 1)
        out->host_kind = WT_HOST_IPV4;
    else if (strchr(out->host, ':') || strchr(out->host, '[') || strchr(out->host, ']'))
        goto bad;
    else
        out->host_kind = WT_HOST_NAME;
    if (port_at && port_at < end) {
        long port = 0;
        for (const char *q = port_at; q < end; q++) {
            if (*q < '0' || *q > '9')
                goto bad;
            port = port * 10 + (*q - '0');
            if (port > 65535)
                goto bad;
        }
        if (port == 0)
            goto bad;
        out->port = (uint16_t)port;
    }
    return 0;
bad:
    wt_errf(err, errlen, "unsupported proxy syntax in '%s'", quoted);
    return WT_EXIT_RESOLVE_PROXY;
}

/* curl 7.88 compares an IPv4 entry with /BITS as a network (1 to 32 bits;
 * /0 compares the whole address, more than 32 matches nothing) and any
 * other address entry as text turned binary: a prefix on an IPv6 entry
 * never matches there, and neither does it here. */
static int address_match(const char *host, int family, const char *token, size_t len)
{
    char check[NOPROXY_TOKEN_MAX];
    if (len >= sizeof check)
        return 0;
    memcpy(check, token, len);
    check[len] = '\0';
    long bits = 0;
    char *slash = strchr(check, '/');
    if (slash) {
        bits = atol(slash + 1);
        *slash = '\0';
    }
    unsigned char a[16], b[16];
    if (inet_pton(family, host, a) != 1 || inet_pton(family, check, b) != 1)
        return 0;
    if (family == AF_INET6)
        return !slash && memcmp(a, b, 16) == 0;
    if (bits > 32)
        return 0;
    if (bits == 0 || bits == 32)
        return memcmp(a, b, 4) == 0;
    uint32_t ha = ((uint32_t)a[0] << 24) | ((uint32_t)a[1] << 16) | ((uint32_t)a[2] << 8) | a[3];
    uint32_t hb = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
    uint32_t mask = 0xffffffffu << (32 - bits);
    return (ha & mask) == (hb & mask);
}

int wt_proxy_noproxy_match(const char *host, const char *list)
{
    if (!host || !list || !list[0])
        return 0;
    if (!strcmp(list, "*"))
        return 1;
    unsigned char bin[16];
    int family = inet_pton(AF_INET, host, bin) == 1    ? AF_INET
                 : inet_pton(AF_INET6, host, bin) == 1 ? AF_INET6 : 0;
    size_t namelen = strlen(host);
    if (!family && namelen && host[namelen - 1] == '.')
        namelen--;
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        const char *token = p;
        while (*p && *p != ' ' && *p != ',' && *p != '\t')
            p++;
        size_t len = (size_t)(p - token);
        if (!len)
            continue;
        if (family) {
            if (address_match(host, family, token, len))
                return 1;
            continue;
        }
        if (token[len - 1] == '.')
            len--;
        if (len && token[0] == '.') {
            token++;
            len--;
        }
        if (!len)
            continue;
        if (len == namelen && !strncasecmp(token, host, len))
            return 1;
        if (len < namelen && host[namelen - len - 1] == '.' &&
            !strncasecmp(token, host + namelen - len, len))
            return 1;
    }
    return 0;
}

/* curl_getenv: a variable set to "" counts as unset (curl 7.88.1:
 * http_proxy= ALL_PROXY=p goes through p). */
static const char *env_value(const char *(*env)(const char *name), const char *name)
{
    const char *v = env(name);
    return v && v[0] ? v : NULL;
}

/* The proxy as the narration shows it: scheme, host, port, no password. */
static void describe(const struct wt_proxy *p, char *out, size_t outlen)
{
    int v6 = p->host_kind == WT_HOST_IPV6;
    snprintf(out, outlen, "http://%s%s%s:%u", v6 ? "[" : "", p->host, v6 ? "]" : "", p->port);
}

int wt_proxy_choose(const struct wt_url *url, const struct wt_proxy_options *opt,
                    const char *(*env)(const char *name), struct wt_proxy_choice *out,
                    char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *text = NULL;
    if (opt->proxy) {
        text = opt->proxy;
        out->source = "-x/--proxy";
    } else {
        static const char *const http_vars[] = { "http_proxy", "all_proxy", "ALL_PROXY" };
        static const char *const https_vars[] = { "https_proxy", "HTTPS_PROXY", "all_proxy",
                                                  "ALL_PROXY" };
        const char *const *vars = url->scheme == WT_SCHEME_HTTPS ? https_vars : http_vars;
        size_t n = url->scheme == WT_SCHEME_HTTPS ? 4 : 3;
        for (size_t i = 0; i < n && !text; i++) {
            const char *v = env_value(env, vars[i]);
            if (v) {
                text = v;
                out->source = vars[i];
            }
        }
    }
    if (!text || !text[0])
        return 0;
    const char *list = opt->noproxy;
    const char *list_source = "--noproxy";
    if (!list) {
        list_source = "no_proxy";
        list = env_value(env, "no_proxy");
        if (!list) {
            list_source = "NO_PROXY";
            list = env_value(env, "NO_PROXY");
        }
    }
    if (list && wt_proxy_noproxy_match(url->host, list)) {
        out->bypass_source = list_source;
        out->bypass_list = list;
        return 0;
    }
    int code = wt_proxy_parse(text, &out->proxy, err, errlen);
    if (code)
        return code;
    /* a user without a password is sent as "user:", as curl does */
    size_t cl = strlen(out->proxy.credentials);
    if (cl && !strchr(out->proxy.credentials, ':') && cl + 1 < sizeof out->proxy.credentials) {
        out->proxy.credentials[cl] = ':';
        out->proxy.credentials[cl + 1] = '\0';
    }
    if (opt->proxy_user) {
        /* -U wins over the user in the proxy's URL, as in curl */
        if (strlen(opt->proxy_user) >= sizeof out->proxy.credentials) {
            wt_errf(err, errlen, "the proxy's user and password are too long (at most %d bytes)",
                    WT_PROXY_CREDENTIALS_MAX - 1);
            return WT_EXIT_USAGE;
        }
        snprintf(out->proxy.credentials, sizeof out->proxy.credentials, "%s", opt->proxy_user);
    }
    describe(&out->proxy, out->spec, sizeof out->spec);
    out->use = 1;
    out->tunnel = url->scheme == WT_SCHEME_HTTPS || opt->tunnel;
    return 0;
}

void wt_proxy_basic(const char *credentials, char *out)
{
    memcpy(out, "Basic ", 6);
    wt_base64((const unsigned char *)credentials, strlen(credentials), out + 6);
}

char *wt_proxy_connect_request(const char *host, enum wt_host_kind kind, uint16_t port,
                               const char *credentials, const char *user_agent, size_t *len,
                               size_t *n_headers)
{
    int v6 = kind == WT_HOST_IPV6;
    char hostport[WT_HOST_MAX_LEN + 16];
    snprintf(hostport, sizeof hostport, "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", port);
    char auth[WT_PROXY_AUTH_MAX] = "";
    if (credentials && credentials[0])
        wt_proxy_basic(credentials, auth);
    size_t cap = 2 * strlen(hostport) + strlen(auth) + strlen(user_agent) + 160;
    char *text = malloc(cap);
    if (!text)
        return NULL;
    size_t n = 2;   /* Host, Proxy-Connection */
    int w = snprintf(text, cap, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n", hostport, hostport);
    if (auth[0]) {
        w += snprintf(text + w, cap - (size_t)w, "Proxy-Authorization: %s\r\n", auth);
        n++;
    }
    if (user_agent[0]) {
        w += snprintf(text + w, cap - (size_t)w, "User-Agent: %s\r\n", user_agent);
        n++;
    }
    w += snprintf(text + w, cap - (size_t)w, "Proxy-Connection: Keep-Alive\r\n\r\n");
    *len = (size_t)w;
    *n_headers = n;
    return text;
}

long wt_proxy_reply_head(const char *buf, size_t len, int *status, const char **reason,
                         size_t *reason_len)
{
    /* The status line is checked as soon as it is in: a peer that is not
     * an HTTP proxy is told apart before it fills the buffer. */
    const char *eol = memchr(buf, '\n', len);
    size_t first = eol ? (size_t)(eol - buf) : len;
    if (first >= 5 && memcmp(buf, "HTTP/", 5) != 0)
        return -1;
    if (first < 5 && memcmp(buf, "HTTP/", first) != 0)
        return -1;
    const char *end = NULL;
    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] == '\n' && buf[i + 1] == '\n') {
            end = buf + i + 2;
            break;
        }
        if (i + 3 < len && !memcmp(buf + i, "\r\n\r\n", 4)) {
            end = buf + i + 4;
            break;
        }
    }
    if (!end)
        return len > WT_PROXY_REPLY_HEAD_MAX ? -1 : 0;
    if ((size_t)(end - buf) > WT_PROXY_REPLY_HEAD_MAX)
        return -1;
    /* HTTP/1.x SP 3DIGIT [SP reason] */
    if (first < 12 || buf[5] != '1' || buf[6] != '.' || !isdigit((unsigned char)buf[7]) ||
        buf[8] != ' ' || !isdigit((unsigned char)buf[9]) || !isdigit((unsigned char)buf[10]) ||
        !isdigit((unsigned char)buf[11]))
        return -1;
    *status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
    size_t line_end = first && buf[first - 1] == '\r' ? first - 1 : first;
    size_t from = first > 12 && buf[12] == ' ' ? 13 : 12;
    *reason = buf + from;
    *reason_len = line_end > from ? line_end - from : 0;
    return (long)(end - buf);
}
