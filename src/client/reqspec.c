#include "webtrace/reqspec.h"
#include "webtrace/escape.h"
#include "webtrace/cookie.h"
#include "webtrace/form.h"
#include "webtrace/i18n.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int wt_buf_append(struct wt_buf *b, const char *data, size_t len)
{
    if (len > SIZE_MAX / 2 - b->len - 1)
        return -1;
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p)
            return -1;
        b->data = p;
        b->cap = cap;
    }
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

void wt_buf_free(struct wt_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

struct wt_reqspec *wt_reqspec_new(void)
{
    return calloc(1, sizeof(struct wt_reqspec));
}

void wt_reqspec_free(struct wt_reqspec *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_headers; i++)
        free(s->headers[i]);
    free(s->authorization);
    wt_buf_free(&s->body);
    wt_form_free(s->form);
    free(s->cookie);
    free(s->upload_name);
    wt_cookie_jar_free(s->jar);
    free(s);
}

/* RFC 9110 §5.6.2 tchar */
static int is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

int wt_reqspec_add_header(struct wt_reqspec *s, const char *line, size_t len, char *err,
                          size_t errlen)
{
    char shown[WT_ESCAPE_TERM_MAX(64)];
    wt_escape_term(line, len > 64 ? 64 : len, shown, sizeof shown);
    if (s->n_headers == WT_REQSPEC_MAX_HEADERS) {
        wt_errf(err, errlen, "more than %s -H headers", "128");
        return -1;
    }
    if (len > WT_REQSPEC_MAX_HEADER_LEN) {
        wt_errf(err, errlen, "-H header \"%s...\" is longer than %s", shown, "16 KiB");
        return -1;
    }
    size_t name = 0;
    while (name < len && is_tchar((unsigned char)line[name]))
        name++;
    if (name == 0 || name == len || (line[name] != ':' && line[name] != ';')) {
        wt_errf(err, errlen, "-H \"%s\" is not a header (Name: value)", shown);
        return -1;
    }
    /* A line break inside would smuggle another header or end the head. */
    if (memchr(line, '\r', len) || memchr(line, '\n', len) || memchr(line, '\0', len)) {
        wt_errf(err, errlen, "-H \"%s\" contains a line break", shown);
        return -1;
    }
    if (line[name] == ';') {
        for (size_t i = name + 1; i < len; i++)
            if (line[i] != ' ' && line[i] != '\t') {
                wt_errf(err, errlen, "-H \"%s\" is not a header (Name: value)", shown);
                return -1;
            }
    }
    char *copy = malloc(len + 1);
    if (!copy) {
        wt_errf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(copy, line, len);
    copy[len] = '\0';
    s->headers[s->n_headers++] = copy;
    return 0;
}

int wt_urlencode_append(struct wt_buf *b, const char *data, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        char enc[3];
        size_t n = 1;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            enc[0] = (char)c;
        } else if (c == ' ') {
            enc[0] = '+';
        } else {
            enc[0] = '%';
            enc[1] = hex[c >> 4];
            enc[2] = hex[c & 15];
            n = 3;
        }
        if (wt_buf_append(b, enc, n) < 0)
            return -1;
    }
    return 0;
}

int wt_reqspec_add_data(struct wt_reqspec *s, enum wt_data_kind kind, const char *data,
                        size_t len, int from_file)
{
    struct wt_buf *b = &s->body;
    size_t before = b->len;
    if (s->has_body && kind != WT_DATA_JSON && wt_buf_append(b, "&", 1) < 0)
        return -1;
    int rc = 0;
    switch (kind) {
    case WT_DATA_ASCII:
        if (!from_file) {
            rc = wt_buf_append(b, data, len);
            break;
        }
        for (size_t i = 0; i < len && rc == 0; i++)
            if (data[i] != '\r' && data[i] != '\n')
                rc = wt_buf_append(b, data + i, 1);
        break;
    case WT_DATA_BINARY:
    case WT_DATA_JSON:
        rc = wt_buf_append(b, data, len);
        break;
    case WT_DATA_URLENCODE: {
        /* "name=content" keeps name; "=content" drops the '='; without
         * '=' all of it is content (the tool layer already read
         * "name@file" and passes "name=" + the file's bytes). */
        const char *eq = from_file ? NULL : memchr(data, '=', len);
        if (eq) {
            size_t nlen = (size_t)(eq - data);
            if (nlen)
                rc = wt_buf_append(b, data, nlen + 1);
            if (rc == 0)
                rc = wt_urlencode_append(b, eq + 1, len - nlen - 1);
        } else {
            rc = wt_urlencode_append(b, data, len);
        }
        break;
    }
    }
    if (rc == 0 && b->len > WT_REQSPEC_MAX_BODY)
        rc = -1;
    if (rc < 0) {
        b->len = before;
        if (b->data)
            b->data[before] = '\0';
        return -1;
    }
    if (!b->data && wt_buf_append(b, "", 0) < 0)
        return -1;
    s->has_body = 1;
    if (kind == WT_DATA_JSON)
        s->json = 1;
    return 0;
}

void wt_base64(const unsigned char *data, size_t len, char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < len)
            v |= data[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? alphabet[v & 63] : '=';
    }
    out[o] = '\0';
}

int wt_reqspec_set_user(struct wt_reqspec *s, const char *userpwd)
{
    size_t len = strlen(userpwd);
    if (len > WT_REQSPEC_MAX_HEADER_LEN)
        return -1;
    char *auth = malloc(sizeof "Basic " + (len + 2) / 3 * 4);
    if (!auth)
        return -1;
    memcpy(auth, "Basic ", 6);
    wt_base64((const unsigned char *)userpwd, len, auth + 6);
    free(s->authorization);
    s->authorization = auth;
    return 0;
}

enum wt_reqspec_edit wt_reqspec_edit_of(const struct wt_reqspec *s, const char *name)
{
    size_t nlen = strlen(name);
    enum wt_reqspec_edit edit = WT_EDIT_NONE;
    for (size_t i = 0; i < s->n_headers; i++) {
        const char *h = s->headers[i];
        if (strncasecmp(h, name, nlen) != 0 || (h[nlen] != ':' && h[nlen] != ';'))
            continue;
        const char *v = h + nlen + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        /* the last mention wins, as in curl */
        edit = h[nlen] == ':' && *v == '\0' ? WT_EDIT_REMOVED : WT_EDIT_REPLACED;
    }
    return edit;
}

int wt_reqspec_upload_target(const struct wt_reqspec *s, struct wt_buf *target)
{
    if (!s->upload_name)
        return 0;
    size_t path_len = strcspn(target->data, "?");
    if (!path_len || target->data[path_len - 1] != '/')
        return 0;
    struct wt_buf named = { 0 };
    if (wt_buf_append(&named, target->data, path_len) < 0 ||
        wt_buf_append(&named, s->upload_name, strlen(s->upload_name)) < 0 ||
        wt_buf_append(&named, target->data + path_len, target->len - path_len) < 0) {
        wt_buf_free(&named);
        return -1;
    }
    wt_buf_free(target);
    *target = named;
    return 0;
}

int wt_reqspec_expect_100(const struct wt_reqspec *s, int *add_header)
{
    *add_header = 0;
    if (!s->has_body || s->body.len == 0)
        return 0;
    int expects = 0, named = 0;
    for (size_t i = 0; i < s->n_headers; i++) {
        const char *h = s->headers[i];
        if (strncasecmp(h, "Expect", 6) != 0 || (h[6] != ':' && h[6] != ';'))
            continue;
        const char *v = h + 7;
        while (*v == ' ' || *v == '\t')
            v++;
        named = 1;   /* the last -H Expect decides, as in curl */
        expects = strncasecmp(v, "100-continue", 12) == 0;
    }
    if (named)
        return expects;
    if (s->upload || s->chunked || s->body.len > WT_REQSPEC_EXPECT_100_THRESHOLD) {
        *add_header = 1;
        return 1;
    }
    return 0;
}
