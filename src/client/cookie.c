#include "webtrace/cookie.h"
#include "webtrace/i18n.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

static char *dup_range(const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

static void cookie_free(struct wt_cookie *c)
{
    if (!c)
        return;
    free(c->name);
    free(c->value);
    free(c->domain);
    free(c->path);
    free(c);
}

struct wt_cookie_jar *wt_cookie_jar_new(void)
{
    return calloc(1, sizeof(struct wt_cookie_jar));
}

void wt_cookie_jar_free(struct wt_cookie_jar *jar)
{
    if (!jar)
        return;
    for (size_t i = 0; i < jar->n; i++)
        cookie_free(jar->cookies[i]);
    free(jar);
}

int wt_cookie_secure_host(const char *host)
{
    return strcasecmp(host, "localhost") == 0 || strcmp(host, "127.0.0.1") == 0 ||
           strcmp(host, "::1") == 0;
}

static int is_ip(const char *host)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* host ends with domain, on a label boundary (curl's cookie_tailmatch) */
static int tail_match(const char *domain, const char *host)
{
    size_t dl = strlen(domain), hl = strlen(host);
    if (hl < dl || strcasecmp(host + hl - dl, domain) != 0)
        return 0;
    return hl == dl || host[hl - dl - 1] == '.';
}

int wt_cookie_domain_match(const struct wt_cookie *c, const char *host)
{
    if (!c->domain)
        return 1;   /* read from a header file without Domain: curl sends it anywhere */
    if (!c->host_only && !is_ip(host))
        return tail_match(c->domain, host);
    return strcasecmp(c->domain, host) == 0;
}

/* The path used for matching: quotes and a trailing '/' dropped, and not
 * starting with '/' means "/" (curl's sanitize_cookie_path). */
static size_t match_path(const char *path, const char **start)
{
    size_t len = strlen(path);
    if (len && path[0] == '"') {
        path++;
        len--;
    }
    if (len && path[len - 1] == '"')
        len--;
    if (!len || path[0] != '/') {
        *start = "/";
        return 1;
    }
    if (len > 1 && path[len - 1] == '/')
        len--;
    *start = path;
    return len;
}

int wt_cookie_path_match(const char *cookie_path, const char *request_path)
{
    const char *cp;
    size_t clen = match_path(cookie_path, &cp);
    if (clen == 1)
        return 1;   /* "/" */
    size_t rlen = strcspn(request_path, "?#");
    if (!rlen || request_path[0] != '/') {
        request_path = "/";
        rlen = 1;
    }
    if (rlen < clen || strncmp(cp, request_path, clen) != 0)
        return 0;
    return rlen == clen || request_path[clen] == '/';
}

int64_t wt_cookie_parse_date(const char *s, size_t len)
{
    static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    int day = -1, month = -1, year = -1, hh = -1, mm = -1, ss = -1;
    size_t i = 0;
    while (i < len) {
        while (i < len && !((s[i] >= '0' && s[i] <= '9') || (s[i] | 0x20) >= 'a') )
            i++;
        size_t start = i;
        while (i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == ':' ||
                           ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')))
            i++;
        size_t n = i - start;
        if (!n) {
            i++;
            continue;
        }
        const char *t = s + start;
        if (memchr(t, ':', n)) {
            /* hh:mm:ss, read within the token: the text is not NUL-terminated */
            int v[3] = { -1, -1, -1 }, k = 0;
            for (size_t c = 0; c < n && k < 3; k++) {
                int digits = 0, x = 0;
                for (; c < n && t[c] >= '0' && t[c] <= '9' && digits < 2; c++, digits++)
                    x = x * 10 + (t[c] - '0');
                if (!digits)
                    break;
                v[k] = x;
                if (c < n && t[c] == ':')
                    c++;
                else if (k < 2)
                    break;
            }
            if (hh < 0 && v[2] >= 0) {
                hh = v[0];
                mm = v[1];
                ss = v[2];
            }
        } else if ((t[0] | 0x20) >= 'a' && (t[0] | 0x20) <= 'z') {
            if (n >= 3 && month < 0) {
                for (int m = 0; m < 12; m++)
                    if (strncasecmp(t, months + 3 * m, 3) == 0)
                        month = m;
            }
        } else {
            int v = 0;
            for (size_t k = 0; k < n && k < 5; k++)
                v = v * 10 + (t[k] >= '0' && t[k] <= '9' ? t[k] - '0' : 0);
            if (n <= 2 && day < 0 && v >= 1 && v <= 31)
                day = v;
            else if (n == 4 && year < 0)
                year = v;
            else if (n == 2 && year < 0)
                year = v < 70 ? 2000 + v : 1900 + v;
        }
    }
    if (day < 0 || month < 0 || year < 1601 || year > 9999 || hh < 0 || hh > 23 || mm > 59 ||
        ss > 60)
        return -1;
    struct tm tm = { .tm_year = year - 1900, .tm_mon = month, .tm_mday = day,
                     .tm_hour = hh, .tm_min = mm, .tm_sec = ss };
    return (int64_t)timegm(&tm);
}

/* Without the public suffix list curl refuses a Domain without a dot, but
 * for localhost. */
static int bad_domain(const char *d)
{
    return !strchr(d, '.') && strcasecmp(d, "localhost") != 0;
}

static int same_cookie(const struct wt_cookie *a, const struct wt_cookie *b)
{
    const char *pa, *pb;
    size_t la = match_path(a->path ? a->path : "/", &pa);
    size_t lb = match_path(b->path ? b->path : "/", &pb);
    return strcmp(a->name, b->name) == 0 && a->host_only == b->host_only &&
           ((!a->domain && !b->domain) ||
            (a->domain && b->domain && strcasecmp(a->domain, b->domain) == 0)) &&
           la == lb && strncmp(pa, pb, la) == 0;
}

static void remove_at(struct wt_cookie_jar *jar, size_t i)
{
    cookie_free(jar->cookies[i]);
    memmove(&jar->cookies[i], &jar->cookies[i + 1], (jar->n - i - 1) * sizeof jar->cookies[0]);
    jar->n--;
}

static void remove_expired(struct wt_cookie_jar *jar, int64_t now)
{
    for (size_t i = jar->n; i-- > 0;)
        if (jar->cookies[i]->expires && jar->cookies[i]->expires < now)
            remove_at(jar, i);
}

/* Puts c into the jar, replacing its older self. c is owned by the jar
 * afterwards (or freed). */
static enum wt_cookie_action store(struct wt_cookie_jar *jar, struct wt_cookie *c, int64_t now,
                                   int secure_origin, const struct wt_cookie **stored,
                                   const char **reason)
{
    remove_expired(jar, now);
    for (size_t i = 0; i < jar->n; i++) {
        if (!same_cookie(jar->cookies[i], c))
            continue;
        if (jar->cookies[i]->secure && !secure_origin) {
            /* RFC 6265bis §5.6 step 16, as curl: http cannot overwrite a Secure one */
            *reason = N_("a cookie of that name was set with Secure, and this response did not "
                         "come over https");
            cookie_free(c);
            return WT_COOKIE_REJECTED;
        }
        cookie_free(jar->cookies[i]);
        if (c->expires && c->expires < now) {
            jar->cookies[i] = c;
            *stored = c;
            remove_at(jar, i);
            *stored = NULL;
            return WT_COOKIE_DELETED;
        }
        jar->cookies[i] = c;
        *stored = c;
        return WT_COOKIE_REPLACED;
    }
    if (c->expires && c->expires < now) {
        cookie_free(c);
        return WT_COOKIE_DELETED;
    }
    if (jar->n == WT_COOKIE_MAX) {
        *reason = N_("the cookie jar is full");
        cookie_free(c);
        return WT_COOKIE_REJECTED;
    }
    jar->cookies[jar->n++] = c;
    *stored = c;
    return WT_COOKIE_STORED;
}

/* The default path: the request path up to its last '/', that included
 * (RFC 6265 §5.1.4 as curl stores it). */
static char *default_path(const char *path)
{
    size_t end = strcspn(path, "?#");
    const char *slash = NULL;
    for (size_t i = 0; i < end; i++)
        if (path[i] == '/')
            slash = path + i;
    if (!slash)
        return strdup("/");
    return dup_range(path, (size_t)(slash - path) + 1);
}

static int parse_set_cookie(const char *h, size_t len, const char *host, const char *path,
                            int64_t now, struct wt_cookie *c, int64_t *max_age, int *has_max_age,
                            const char **reason)
{
    const char *end = h + len;
    const char *p = h;
    while (p < end && is_space(*p))
        p++;
    const char *semi = memchr(p, ';', (size_t)(end - p));
    const char *pair_end = semi ? semi : end;
    const char *eq = memchr(p, '=', (size_t)(pair_end - p));
    if (!eq) {
        *reason = N_("there is no name=value at its start");
        return -1;
    }
    const char *ne = eq;
    while (ne > p && is_space(ne[-1]))
        ne--;
    const char *vs = eq + 1, *ve = pair_end;
    while (vs < ve && is_space(*vs))
        vs++;
    while (ve > vs && is_space(ve[-1]))
        ve--;
    if (ne == p) {
        *reason = N_("its name is empty");
        return -1;
    }
    if ((size_t)(ne - p) + (size_t)(ve - vs) > WT_COOKIE_MAX_NAME_VALUE) {
        *reason = N_("its name and value are longer than 4096 bytes");
        return -1;
    }
    for (const char *q = p; q < ve; q++)
        if ((unsigned char)*q < 0x20 && *q != '\t') {
            *reason = N_("it contains control characters");
            return -1;
        }
    if (!(c->name = dup_range(p, (size_t)(ne - p))) || !(c->value = dup_range(vs, (size_t)(ve - vs))))
        return -2;
    const char *expires = NULL;
    size_t expires_len = 0;
    p = pair_end;
    while (p < end) {
        p++;   /* the ';' */
        while (p < end && is_space(*p))
            p++;
        const char *ae = memchr(p, ';', (size_t)(end - p));
        if (!ae)
            ae = end;
        const char *aeq = memchr(p, '=', (size_t)(ae - p));
        const char *an_end = aeq ? aeq : ae;
        while (an_end > p && is_space(an_end[-1]))
            an_end--;
        size_t an = (size_t)(an_end - p);
        const char *av = aeq ? aeq + 1 : ae, *av_end = ae;
        while (av < av_end && is_space(*av))
            av++;
        while (av_end > av && is_space(av_end[-1]))
            av_end--;
        size_t avl = (size_t)(av_end - av);
        if (an == 6 && strncasecmp(p, "secure", 6) == 0) {
            c->secure = 1;
        } else if (an == 8 && strncasecmp(p, "httponly", 8) == 0) {
            c->http_only = 1;
        } else if (an == 6 && strncasecmp(p, "domain", 6) == 0 && avl) {
            if (*av == '.') {
                av++;
                avl--;
            }
            char *d = dup_range(av, avl);
            if (!d)
                return -2;
            for (char *k = d; *k; k++)
                if (*k >= 'A' && *k <= 'Z')
                    *k = (char)(*k + 32);
            int ok = host == NULL;
            if (!ok && !bad_domain(d))
                ok = is_ip(host) ? strcmp(d, host) == 0 : tail_match(d, host);
            if (!ok) {
                free(d);
                *reason = N_("its Domain is not this host or one of its parent domains (or "
                             "is a top-level domain)");
                return -1;
            }
            free(c->domain);
            c->domain = d;
            c->host_only = host && is_ip(host);
        } else if (an == 4 && strncasecmp(p, "path", 4) == 0 && avl) {
            free(c->path);
            if (!(c->path = dup_range(av, avl)))
                return -2;
        } else if (an == 7 && strncasecmp(p, "expires", 7) == 0 && avl) {
            expires = av;
            expires_len = avl;
        } else if (an == 7 && strncasecmp(p, "max-age", 7) == 0 && avl) {
            const char *k = av;
            int neg = *k == '-';
            if (*k == '-' || *k == '+')
                k++;
            int64_t v = 0;
            int digits = 0;
            for (; k < av_end && *k >= '0' && *k <= '9'; k++, digits++)
                v = v > INT64_MAX / 20 ? INT64_MAX / 20 : v * 10 + (*k - '0');
            if (digits && k == av_end) {
                *max_age = neg ? -v : v;
                *has_max_age = 1;
            }
        }
        p = ae;
    }
    if (*has_max_age) {
        /* Max-Age wins over Expires (RFC 6265 §5.3 step 3); 0 or less: expired */
        c->expires = *max_age <= 0 ? 1 : (now > INT64_MAX - *max_age ? INT64_MAX : now + *max_age);
    } else if (expires) {
        int64_t t = wt_cookie_parse_date(expires, expires_len);
        c->expires = t < 0 ? 0 : (t == 0 ? 1 : t);   /* unreadable: a session cookie, as curl */
    }
    if (!c->domain && !host) {
        *reason = N_("a Set-Cookie line of a cookie file without Domain belongs to no host");
        return -1;
    }
    if (!c->domain && host) {
        if (!(c->domain = strdup(host)))
            return -2;
        for (char *k = c->domain; *k; k++)
            if (*k >= 'A' && *k <= 'Z')
                *k = (char)(*k + 32);
        c->host_only = 1;
    }
    if (!c->path && path && !(c->path = default_path(path)))
        return -2;
    return 0;
}

enum wt_cookie_action wt_cookie_set(struct wt_cookie_jar *jar, const char *header, size_t len,
                                    const char *host, const char *path, int secure_origin,
                                    int64_t now, const struct wt_cookie **stored,
                                    const char **reason, char *name, size_t name_len)
{
    *stored = NULL;
    *reason = NULL;
    if (name_len) {
        /* until parsed: what stands before the first '=' or ';' */
        size_t n = 0;
        while (n < len && header[n] != '=' && header[n] != ';')
            n++;
        snprintf(name, name_len, "%.*s", (int)n, header);
    }
    if (len > WT_COOKIE_MAX_LINE) {
        *reason = N_("the header is longer than 8190 bytes");
        return WT_COOKIE_REJECTED;
    }
    struct wt_cookie *c = calloc(1, sizeof *c);
    if (!c) {
        *reason = N_("out of memory");
        return WT_COOKIE_REJECTED;
    }
    int64_t max_age = 0;
    int has_max_age = 0;
    int rc = parse_set_cookie(header, len, host, path, now, c, &max_age, &has_max_age, reason);
    if (c->name && name_len)
        snprintf(name, name_len, "%s", c->name);
    if (rc == 0 && c->secure && !secure_origin) {
        *reason = N_("it is marked Secure and came over plain http (not from localhost)");
        rc = -1;
    }
    if (rc == 0 && strncmp(c->name, "__Secure-", 9) == 0 && !(c->secure && secure_origin)) {
        *reason = N_("a __Secure- name needs the Secure attribute and https");
        rc = -1;
    }
    if (rc == 0 && strncmp(c->name, "__Host-", 7) == 0 &&
        !(c->secure && secure_origin && c->host_only && c->path && strcmp(c->path, "/") == 0)) {
        *reason = N_("a __Host- name needs Secure, https, Path=/ and no Domain");
        rc = -1;
    }
    if (rc < 0) {
        if (rc == -2)
            *reason = N_("out of memory");
        cookie_free(c);
        return WT_COOKIE_REJECTED;
    }
    return store(jar, c, now, secure_origin, stored, reason);
}

static void load_line(struct wt_cookie_jar *jar, char *line, int64_t now)
{
    const struct wt_cookie *stored;
    const char *reason;
    if (strncasecmp(line, "Set-Cookie:", 11) == 0) {
        const char *v = line + 11;
        while (is_space(*v))
            v++;
        wt_cookie_set(jar, v, strlen(v), NULL, NULL, 1, now, &stored, &reason, NULL, 0);
        return;
    }
    int http_only = 0;
    if (strncmp(line, "#HttpOnly_", 10) == 0) {
        line += 10;
        http_only = 1;
    }
    if (line[0] == '#' || !line[0])
        return;
    /* tab-separated; empty fields collapse as with curl's strtok_r */
    const char *fields[7];
    int n = 0;
    char *save = NULL;
    for (char *f = strtok_r(line, "\t", &save); f; f = strtok_r(NULL, "\t", &save)) {
        if (n == 2 && (strcmp(f, "TRUE") == 0 || strcmp(f, "FALSE") == 0))
            fields[n++] = "/";   /* the path may be left out */
        if (n == 7)
            return;   /* too many fields */
        fields[n++] = f;
    }
    if (n == 6)
        fields[n++] = "";
    if (n != 7)
        return;
    char *num_end;
    long long expires = strtoll(fields[4], &num_end, 10);
    if (*num_end || num_end == fields[4])
        return;
    struct wt_cookie *c = calloc(1, sizeof *c);
    if (!c)
        return;
    const char *d = fields[0][0] == '.' ? fields[0] + 1 : fields[0];
    c->domain = strdup(d);
    c->path = strdup(fields[2]);
    c->name = strdup(fields[5]);
    c->value = strdup(fields[6]);
    c->host_only = strcasecmp(fields[1], "TRUE") != 0;
    c->secure = strcasecmp(fields[3], "TRUE") == 0;
    c->http_only = http_only;
    c->expires = expires;
    if (!c->domain || !c->path || !c->name || !c->value || !c->name[0]) {
        cookie_free(c);
        return;
    }
    for (char *k = c->domain; *k; k++)
        if (*k >= 'A' && *k <= 'Z')
            *k = (char)(*k + 32);
    store(jar, c, now, 1, &stored, &reason);
}

size_t wt_cookie_load(struct wt_cookie_jar *jar, const char *text, size_t len, int64_t now)
{
    size_t before = jar->n;
    char *line = malloc(WT_COOKIE_MAX_LINE + 1);
    if (!line)
        return 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        size_t n = (size_t)(eol - p);
        while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
            n--;
        if (n <= WT_COOKIE_MAX_LINE && !memchr(p, '\0', n)) {
            memcpy(line, p, n);
            line[n] = '\0';
            char *l = line;
            while (is_space(*l))
                l++;
            load_line(jar, l, now);
        }
        p = eol + 1;
    }
    free(line);
    remove_expired(jar, now);
    return jar->n >= before ? jar->n - before : 0;
}

size_t wt_cookie_select(const struct wt_cookie_jar *jar, const char *host, const char *path,
                        int secure_origin, int64_t now, size_t *sent, size_t max_sent)
{
    size_t n = 0;
    for (size_t i = 0; i < jar->n && n < max_sent; i++) {
        const struct wt_cookie *c = jar->cookies[i];
        if (c->expires && c->expires < now)
            continue;
        if (c->secure && !secure_origin)
            continue;
        if (!wt_cookie_domain_match(c, host) || !wt_cookie_path_match(c->path ? c->path : "/", path))
            continue;
        /* insertion sort: longer path, then longer domain, then longer
         * name first; the newer one first on a tie, as curl */
        size_t pl = c->path ? strlen(c->path) : 0, dl = c->domain ? strlen(c->domain) : 0;
        size_t nl = strlen(c->name);
        size_t at = n;
        while (at > 0) {
            const struct wt_cookie *o = jar->cookies[sent[at - 1]];
            size_t opl = o->path ? strlen(o->path) : 0, odl = o->domain ? strlen(o->domain) : 0;
            size_t onl = strlen(o->name);
            int before = pl != opl ? pl > opl : dl != odl ? dl > odl : nl != onl ? nl > onl : 1;
            if (!before)
                break;
            sent[at] = sent[at - 1];
            at--;
        }
        sent[at] = i;
        n++;
    }
    return n;
}

char *wt_cookie_header(const struct wt_cookie_jar *jar, const size_t *sent, size_t n_sent,
                       const char *extra)
{
    struct wt_buf b = { 0 };
    for (size_t i = 0; i < n_sent; i++) {
        const struct wt_cookie *c = jar->cookies[sent[i]];
        if ((b.len && wt_buf_append(&b, "; ", 2) < 0) ||
            wt_buf_append(&b, c->name, strlen(c->name)) < 0 || wt_buf_append(&b, "=", 1) < 0 ||
            wt_buf_append(&b, c->value, strlen(c->value)) < 0)
            goto oom;
    }
    if (extra && extra[0] &&
        ((b.len && wt_buf_append(&b, "; ", 2) < 0) || wt_buf_append(&b, extra, strlen(extra)) < 0))
        goto oom;
    return b.data;
oom:
    wt_buf_free(&b);
    return NULL;
}

int wt_cookie_write(const struct wt_cookie_jar *jar, int64_t now, struct wt_buf *out)
{
    static const char head[] = "# Netscape HTTP Cookie File\n"
                               "# https://curl.se/docs/http-cookies.html\n"
                               "# This file was generated by webtrace! Edit at your own risk.\n\n";
    if (wt_buf_append(out, head, sizeof head - 1) < 0)
        return -1;
    /* curl writes the newest first */
    for (size_t i = jar->n; i-- > 0;) {
        const struct wt_cookie *c = jar->cookies[i];
        if (c->expires && c->expires < now)
            continue;
        char num[24];
        snprintf(num, sizeof num, "%" PRId64, c->expires);
        const char *parts[] = {
            c->http_only ? "#HttpOnly_" : "", !c->host_only && c->domain ? "." : "",
            c->domain ? c->domain : "unknown", "\t", c->host_only ? "FALSE" : "TRUE", "\t",
            c->path ? c->path : "/", "\t", c->secure ? "TRUE" : "FALSE", "\t", num, "\t",
            c->name, "\t", c->value, "\n",
        };
        for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++)
            if (wt_buf_append(out, parts[k], strlen(parts[k])) < 0)
                return -1;
    }
    return 0;
}
