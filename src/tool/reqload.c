#include "webtrace/reqload.h"
#include "webtrace/escape.h"
#include "webtrace/cookie.h"
#include "webtrace/exitcode.h"
#include "webtrace/form.h"
#include "webtrace/outfile.h"

#include <errno.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads all of path ("-" is stdin) into b. 0, or -1 with errno kept. */
static int read_all(const char *path, struct wt_buf *b)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return -1;
    char chunk[8192];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b->len + n > WT_REQSPEC_MAX_BODY || wt_buf_append(b, chunk, n) < 0) {
            errno = EFBIG;
            rc = -1;
            break;
        }
    }
    int saved = errno;
    if (rc == 0 && ferror(f)) {
        rc = -1;
        saved = errno ? errno : EIO;
    }
    if (f != stdin)
        fclose(f);
    if (rc == 0 && !b->data && wt_buf_append(b, "", 0) < 0) {
        rc = -1;
        saved = ENOMEM;
    }
    errno = saved;
    return rc;
}

static int unreadable(const char *path, char *err, size_t errlen)
{
    char shown[WT_ESCAPE_TERM_MAX(128)];
    wt_escape_term(path, strnlen(path, 128), shown, sizeof shown);
    wt_errf(err, errlen, "cannot read %s: %s", shown, strerror(errno));
    return WT_EXIT_READ_ERROR;
}

/* -H @FILE: one header per line; empty lines and a last line without a
 * newline are fine, as in curl. */
static int add_header_file(struct wt_reqspec *s, const char *path, char *err, size_t errlen)
{
    struct wt_buf b = { 0 };
    if (read_all(path, &b) < 0) {
        wt_buf_free(&b);
        return unreadable(path, err, errlen);
    }
    int rc = 0;
    const char *p = b.data, *end = b.data + b.len;
    while (p < end && rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        size_t len = (size_t)(eol - p);
        if (len && p[len - 1] == '\r')
            len--;
        if (len && wt_reqspec_add_header(s, p, len, err, errlen) < 0)
            rc = WT_EXIT_USAGE;
        p = eol + 1;
    }
    wt_buf_free(&b);
    return rc;
}

static int add_data(struct wt_reqspec *s, const struct wt_req_arg *a, char *err, size_t errlen)
{
    enum wt_data_kind kind = WT_DATA_BINARY;
    const char *v = a->value;
    const char *file = NULL;
    const char *name = NULL;
    size_t name_len = 0;
    switch (a->kind) {
    case WT_REQ_DATA:
        kind = WT_DATA_ASCII;
        file = v[0] == '@' ? v + 1 : NULL;
        break;
    case WT_REQ_DATA_BINARY:
        file = v[0] == '@' ? v + 1 : NULL;
        break;
    case WT_REQ_DATA_RAW:
        break;
    case WT_REQ_JSON:
        kind = WT_DATA_JSON;
        file = v[0] == '@' ? v + 1 : NULL;
        break;
    case WT_REQ_DATA_URLENCODE: {
        kind = WT_DATA_URLENCODE;
        /* "name@file" reads file when no '=' comes before the '@' */
        size_t at = strcspn(v, "=@");
        if (v[at] == '@') {
            name = v;
            name_len = at;
            file = v + at + 1;
        }
        break;
    }
    case WT_REQ_HEADER:
    case WT_REQ_FORM:
    case WT_REQ_FORM_STRING:
        return 0;
    }
    if (!file) {
        if (wt_reqspec_add_data(s, kind, v, strlen(v), 0) < 0)
            goto too_large;
        return 0;
    }
    struct wt_buf b = { 0 };
    if (name_len && wt_buf_append(&b, name, name_len) < 0)
        goto too_large;
    size_t prefix = b.len;
    if (read_all(file, &b) < 0) {
        wt_buf_free(&b);
        return unreadable(file, err, errlen);
    }
    int rc = 0;
    if (kind == WT_DATA_URLENCODE && name_len) {
        /* name=ENCODED(file): the name goes as given */
        struct wt_buf joined = { 0 };
        rc = wt_buf_append(&joined, name, name_len) < 0 || wt_buf_append(&joined, "=", 1) < 0 ||
             wt_buf_append(&joined, b.data + prefix, b.len - prefix) < 0 ? -1 : 0;
        if (rc == 0)
            rc = wt_reqspec_add_data(s, kind, joined.data, joined.len, 0);
        wt_buf_free(&joined);
    } else {
        rc = wt_reqspec_add_data(s, kind, b.data, b.len, 1);
    }
    wt_buf_free(&b);
    if (rc < 0)
        goto too_large;
    return 0;
too_large:
    wt_errf(err, errlen, "the request body is larger than %s or memory ran out", "64 MiB");
    return WT_EXIT_OUT_OF_MEMORY;
}

/* The value of the last -H Content-Type line ("Name:" and "Name;" give
 * ""), or NULL: curl sends it, boundary appended, for a multipart body. */
static const char *custom_content_type(const struct wt_reqspec *s)
{
    const char *found = NULL;
    for (size_t i = 0; i < s->n_headers; i++) {
        const char *h = s->headers[i];
        if (strncasecmp(h, "Content-Type", 12) != 0 || (h[12] != ':' && h[12] != ';'))
            continue;
        found = h + 13;
        while (*found == ' ' || *found == '\t')
            found++;
    }
    return found;
}

/* A boundary no file is likely to contain; a weak fallback is fine, the
 * boundary is not a secret. */
static void random_boundary(char out[WT_FORM_BOUNDARY_LEN + 1])
{
    unsigned char r[8];
    if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned long long v = (unsigned long long)ts.tv_nsec ^
                               ((unsigned long long)ts.tv_sec << 20) ^
                               ((unsigned long long)getpid() << 40);
        for (int i = 0; i < 8; i++)
            r[i] = (unsigned char)(v >> (8 * i));
    }
    wt_form_boundary(r, out);
}

/* Every -F and --form-string, in order, into one multipart body. */
static int add_form(struct wt_reqspec *s, const struct wt_options *opt, char *err, size_t errlen)
{
    char boundary[WT_FORM_BOUNDARY_LEN + 1];
    random_boundary(boundary);
    s->form = wt_form_new(boundary, custom_content_type(s));
    if (!s->form)
        goto oom;
    for (size_t i = 0; i < opt->n_req_args; i++) {
        const struct wt_req_arg *a = &opt->req_args[i];
        if (a->kind != WT_REQ_FORM && a->kind != WT_REQ_FORM_STRING)
            continue;
        struct wt_form_field field;
        if (wt_form_field_parse(a->value, a->kind == WT_REQ_FORM_STRING, &field, err, errlen) < 0)
            return WT_EXIT_USAGE;
        int rc;
        if (field.source == WT_FORM_TEXT) {
            rc = wt_form_add(s->form, &field, field.value, strlen(field.value));
        } else {
            struct wt_buf content = { 0 };
            if (read_all(field.value, &content) < 0) {
                int code = unreadable(field.value, err, errlen);
                wt_buf_free(&content);
                wt_form_field_clear(&field);
                return code;
            }
            rc = wt_form_add(s->form, &field, content.data, content.len);
            wt_buf_free(&content);
        }
        wt_form_field_clear(&field);
        if (rc < 0) {
            if (s->form->n_parts == WT_FORM_MAX_PARTS) {
                wt_errf(err, errlen, "more than %s -F parts", "64");
                return WT_EXIT_USAGE;
            }
            wt_errf(err, errlen, "the request body is larger than %s or memory ran out",
                    "64 MiB");
            return WT_EXIT_OUT_OF_MEMORY;
        }
    }
    if (wt_form_finish(s->form) < 0 ||
        wt_buf_append(&s->body, s->form->body.data, s->form->body.len) < 0)
        goto oom;
    wt_buf_free(&s->form->body);   /* the request's body holds the bytes */
    s->has_body = 1;
    s->get = 0;   /* curl ignores -G for a multipart POST */
    return 0;
oom:
    wt_errf(err, errlen, "out of memory");
    return WT_EXIT_OUT_OF_MEMORY;
}

/* -b: NAME=VALUE strings are sent as they are, joined by "; "; anything
 * else names a cookie file, which turns the engine on (as -c does). A file
 * that cannot be read is not an error, as in curl: -b "" is the idiom for
 * an empty engine. */
static int add_cookies(struct wt_reqspec *s, const struct wt_options *opt, char *err,
                       size_t errlen)
{
    if (opt->cookie_jar || opt->n_cookies) {
        int engine = opt->cookie_jar != NULL;
        for (size_t i = 0; i < opt->n_cookies; i++)
            engine |= !strchr(opt->cookies[i], '=');
        if (engine && !(s->jar = wt_cookie_jar_new()))
            goto oom;
    }
    struct wt_buf line = { 0 };
    for (size_t i = 0; i < opt->n_cookies; i++) {
        const char *c = opt->cookies[i];
        if (strchr(c, '=')) {
            if (strpbrk(c, "\r\n")) {
                wt_buf_free(&line);
                wt_errf(err, errlen, "-b: a cookie string contains a line break");
                return WT_EXIT_USAGE;
            }
            if ((line.len && wt_buf_append(&line, "; ", 2) < 0) ||
                wt_buf_append(&line, c, strlen(c)) < 0) {
                wt_buf_free(&line);
                goto oom;
            }
            continue;
        }
        struct wt_buf text = { 0 };
        if (c[0] && read_all(c, &text) == 0)
            wt_cookie_load(s->jar, text.data, text.len, (int64_t)time(NULL));
        wt_buf_free(&text);
    }
    s->cookie = line.data;
    return 0;
oom:
    wt_errf(err, errlen, "out of memory");
    return WT_EXIT_OUT_OF_MEMORY;
}

/* -T FILE: its bytes are the body of a PUT; -T - reads stdin and sends it
 * chunked, as curl does for a body of unknown length. */
static int add_upload(struct wt_reqspec *s, const char *path, char *err, size_t errlen)
{
    struct wt_buf b = { 0 };
    if (read_all(path, &b) < 0) {
        wt_buf_free(&b);
        return unreadable(path, err, errlen);
    }
    s->upload = 1;
    s->has_body = 1;
    if (strcmp(path, "-") == 0) {
        char size[24];
        int n = snprintf(size, sizeof size, "%zx\r\n", b.len);
        if ((b.len && (wt_buf_append(&s->body, size, (size_t)n) < 0 ||
                       wt_buf_append(&s->body, b.data, b.len) < 0 ||
                       wt_buf_append(&s->body, "\r\n", 2) < 0)) ||
            wt_buf_append(&s->body, "0\r\n\r\n", 5) < 0)
            goto oom;
        s->chunked = 1;
        wt_buf_free(&b);
        return 0;
    }
    wt_buf_free(&s->body);
    s->body = b;
    /* the name curl appends to a URL that ends in '/': the last part of
     * the path, percent-encoded as curl_easy_escape does */
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    struct wt_buf enc = { 0 };
    static const char hex[] = "0123456789ABCDEF";
    for (const char *c = name; *c; c++) {
        unsigned char u = (unsigned char)*c;
        char e[3] = { '%', hex[u >> 4], hex[u & 15] };
        int plain = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                    u == '-' || u == '.' || u == '_' || u == '~';
        if (wt_buf_append(&enc, plain ? c : e, plain ? 1 : 3) < 0) {
            wt_buf_free(&enc);
            goto oom;
        }
    }
    s->upload_name = enc.data;
    return 0;
oom:
    wt_buf_free(&b);
    wt_errf(err, errlen, "out of memory");
    return WT_EXIT_OUT_OF_MEMORY;
}

int wt_reqload_save_cookies(const struct wt_options *opt, const struct wt_reqspec *s, char *err,
                            size_t errlen)
{
    if (!opt->cookie_jar || !s || !s->jar)
        return 0;
    struct wt_buf text = { 0 };
    if (wt_cookie_write(s->jar, (int64_t)time(NULL), &text) < 0) {
        wt_buf_free(&text);
        wt_errf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    if (strcmp(opt->cookie_jar, "-") == 0) {
        rc = fwrite(text.data, 1, text.len, stdout) == text.len ? 0 : -1;
        if (rc < 0)
            wt_errf(err, errlen, "cannot write %s: %s", "stdout", strerror(errno));
    } else {
        struct wt_outfile f;
        rc = wt_outfile_open(&f, opt->cookie_jar, err, errlen);
        if (rc == 0)
            rc = wt_outfile_write(&f, text.data, text.len, err, errlen);
        if (rc == 0)
            rc = wt_outfile_commit(&f, err, errlen);
        if (rc)
            wt_outfile_abort(&f);
        rc = rc ? -1 : 0;
    }
    wt_buf_free(&text);
    return rc;
}

int wt_reqload(const struct wt_options *opt, struct wt_reqspec **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!opt->method && !opt->head && !opt->get && !opt->user_agent && !opt->referer &&
        !opt->user && !opt->compressed && !opt->range && !opt->resume_current &&
        !opt->resume_from && opt->n_req_args == 0 && opt->n_cookies == 0 &&
        !opt->cookie_jar && !opt->upload_file)
        return 0;
    struct wt_reqspec *s = wt_reqspec_new();
    if (!s) {
        wt_errf(err, errlen, "out of memory");
        return WT_EXIT_OUT_OF_MEMORY;
    }
    s->method = opt->method;
    s->head = opt->head;
    s->get = opt->get;
    s->user_agent = opt->user_agent;
    s->referer = opt->referer;
    s->compressed = opt->compressed;
    s->range = opt->range;
    s->resume_from = opt->resume_from;
    int rc = 0, has_form = 0;
    if (opt->user && wt_reqspec_set_user(s, opt->user) < 0) {
        wt_errf(err, errlen, "out of memory");
        rc = WT_EXIT_OUT_OF_MEMORY;
    }
    for (size_t i = 0; i < opt->n_req_args && rc == 0; i++) {
        const struct wt_req_arg *a = &opt->req_args[i];
        if (a->kind != WT_REQ_HEADER)
            rc = add_data(s, a, err, errlen);
        else if (a->value[0] == '@')
            rc = add_header_file(s, a->value + 1, err, errlen);
        else if (wt_reqspec_add_header(s, a->value, strlen(a->value), err, errlen) < 0)
            rc = WT_EXIT_USAGE;
        has_form |= a->kind == WT_REQ_FORM || a->kind == WT_REQ_FORM_STRING;
    }
    if (rc == 0 && has_form)
        rc = add_form(s, opt, err, errlen);
    if (rc == 0)
        rc = add_cookies(s, opt, err, errlen);
    if (rc == 0 && opt->upload_file)
        rc = add_upload(s, opt->upload_file, err, errlen);
    if (rc) {
        wt_reqspec_free(s);
        return rc;
    }
    *out = s;
    return 0;
}
