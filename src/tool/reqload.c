#include "webtrace/reqload.h"
#include "webtrace/escape.h"
#include "webtrace/exitcode.h"

#include <errno.h>
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

int wt_reqload(const struct wt_options *opt, struct wt_reqspec **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!opt->method && !opt->head && !opt->get && !opt->user_agent && !opt->referer &&
        !opt->user && !opt->compressed && !opt->range && !opt->resume_current &&
        !opt->resume_from && opt->n_req_args == 0)
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
    int rc = 0;
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
    }
    if (rc) {
        wt_reqspec_free(s);
        return rc;
    }
    *out = s;
    return 0;
}
