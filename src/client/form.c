#include "webtrace/form.h"
#include "webtrace/escape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
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

/* One word of a -F argument, as curl's get_param_word reads it: either
 * "quoted" (\" and \\ escaped, then anything up to ';' or endchar is
 * dropped) or everything up to ';' or endchar, trailing spaces dropped.
 * *p moves to the separator. NULL on no memory. */
static char *param_word(const char **p, char endchar)
{
    const char *s = *p;
    if (*s == '"') {
        const char *q = s + 1;
        while (*q && *q != '"') {
            if (*q == '\\' && (q[1] == '\\' || q[1] == '"'))
                q++;
            q++;
        }
        if (*q == '"') {
            char *w = malloc((size_t)(q - s));
            if (!w)
                return NULL;
            size_t n = 0;
            for (const char *c = s + 1; c < q; c++) {
                if (*c == '\\' && (c[1] == '\\' || c[1] == '"'))
                    c++;
                w[n++] = *c;
            }
            w[n] = '\0';
            q++;
            while (*q && *q != ';' && *q != endchar)
                q++;
            *p = q;
            return w;
        }
        /* no closing quote: read as unquoted, quote included, as curl */
    }
    const char *e = s;
    while (*e && *e != ';' && *e != endchar)
        e++;
    *p = e;
    while (e > s && is_space(e[-1]))
        e--;
    return dup_range(s, (size_t)(e - s));
}

/* ;type=major/minor[...]: checked as curl's sscanf("%127[^/ ]/%127[^;, \n]"). */
static int type_ok(const char *t)
{
    size_t major = strcspn(t, "/ ");
    if (major == 0 || major > WT_FORM_TYPE_MAX || t[major] != '/')
        return 0;
    size_t minor = strcspn(t + major + 1, ";, \n");
    return minor > 0 && minor <= WT_FORM_TYPE_MAX;
}

void wt_form_field_clear(struct wt_form_field *f)
{
    free(f->name);
    free(f->value);
    free(f->type);
    free(f->filename);
    for (size_t i = 0; i < f->n_headers; i++)
        free(f->headers[i]);
    memset(f, 0, sizeof *f);
}

/* The content word and its ;params, as curl's get_param_part. */
static int parse_part(const char *p, char endchar, int with_filename, struct wt_form_field *out,
                      char *err, size_t errlen)
{
    while (is_space(*p))
        p++;
    out->value = param_word(&p, endchar);
    if (!out->value)
        goto oom;
    const char *type_start = NULL, *type_end = NULL;   /* type still open */
    while (*p == ';') {
        p++;
        while (is_space(*p))
            p++;
        if (!type_start && strncasecmp(p, "type=", 5) == 0) {
            p += 5;
            while (is_space(*p))
                p++;
            if (!type_ok(p)) {
                char shown[WT_ESCAPE_TERM_MAX(64)];
                wt_escape_term(p, strnlen(p, 64), shown, sizeof shown);
                wt_errf(err, errlen, "-F: \"%s\" is not a content type (type/subtype)", shown);
                return -1;
            }
            free(out->type);
            out->type = NULL;
            type_start = p;
            p += strcspn(p, "/") + 1;
            p += strcspn(p, ";, \n");
            type_end = p;
            for (; *p && *p != ';' && *p != endchar; p++)
                if (!is_space(*p))
                    type_end = p + 1;
            continue;
        }
        int known = (with_filename && strncasecmp(p, "filename=", 9) == 0) ||
                    strncasecmp(p, "headers=", 8) == 0 || strncasecmp(p, "encoder=", 8) == 0;
        if (!known && type_start) {
            /* more of the type, as "text/html; charset=utf-8" */
            for (; *p && *p != ';' && *p != endchar; p++)
                if (!is_space(*p))
                    type_end = p + 1;
            continue;
        }
        if (type_start) {
            if (!(out->type = dup_range(type_start, (size_t)(type_end - type_start))))
                goto oom;
            type_start = NULL;
        }
        if (strncasecmp(p, "encoder=", 8) == 0) {
            wt_errf(err, errlen, "-F: ;encoder= is not supported by webtrace");
            return -1;
        }
        if (strncasecmp(p, "filename=", 9) == 0 && with_filename) {
            p += 9;
            while (is_space(*p))
                p++;
            free(out->filename);
            if (!(out->filename = param_word(&p, endchar)))
                goto oom;
            continue;
        }
        if (strncasecmp(p, "headers=", 8) == 0) {
            p += 8;
            if (*p == '@' || *p == '<') {
                wt_errf(err, errlen, "-F: ;headers=@FILE is not supported by webtrace");
                return -1;
            }
            while (is_space(*p))
                p++;
            if (out->n_headers == WT_FORM_MAX_PART_HEADERS) {
                wt_errf(err, errlen, "-F: more than %s ;headers= in one part", "16");
                return -1;
            }
            char *h = param_word(&p, endchar);
            if (!h)
                goto oom;
            out->headers[out->n_headers++] = h;
            if (strpbrk(h, "\r\n")) {
                wt_errf(err, errlen, "-F: a ;headers= value contains a line break");
                return -1;
            }
            continue;
        }
        /* an unknown parameter: curl warns and skips it */
        free(param_word(&p, endchar));
    }
    if (type_start && !(out->type = dup_range(type_start, (size_t)(type_end - type_start))))
        goto oom;
    if (*p == ',' && endchar == ',') {
        wt_errf(err, errlen, "-F: several files in one part (multipart/mixed) are not "
                "supported by webtrace");
        return -1;
    }
    return 0;
oom:
    wt_errf(err, errlen, "out of memory");
    return -1;
}

int wt_form_field_parse(const char *arg, int literal, struct wt_form_field *out, char *err,
                        size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *eq = strchr(arg, '=');
    if (!eq) {
        char shown[WT_ESCAPE_TERM_MAX(64)];
        wt_escape_term(arg, strnlen(arg, 64), shown, sizeof shown);
        wt_errf(err, errlen, "-F \"%s\" is not name=content", shown);
        return -1;
    }
    if (eq > arg && !(out->name = dup_range(arg, (size_t)(eq - arg))))
        goto oom;
    const char *c = eq + 1;
    int rc;
    if (literal) {
        out->source = WT_FORM_TEXT;
        if (!(out->value = strdup(c)))
            goto oom;
        return 0;
    }
    if (*c == '@') {
        out->source = WT_FORM_FILE;
        rc = parse_part(c + 1, ',', 1, out, err, errlen);
    } else if (*c == '<') {
        out->source = WT_FORM_FILE_TEXT;
        rc = parse_part(c + 1, '\0', 0, out, err, errlen);
    } else {
        out->source = WT_FORM_TEXT;
        rc = parse_part(c, '\0', 1, out, err, errlen);
    }
    if (rc < 0)
        wt_form_field_clear(out);
    return rc;
oom:
    wt_form_field_clear(out);
    wt_errf(err, errlen, "out of memory");
    return -1;
}

const char *wt_form_guess_type(const char *filename)
{
    /* curl 7.88's table (lib/mime.c), compared without case */
    static const struct {
        const char *ext, *type;
    } types[] = {
        { ".gif", "image/gif" },       { ".jpg", "image/jpeg" },
        { ".jpeg", "image/jpeg" },     { ".png", "image/png" },
        { ".svg", "image/svg+xml" },   { ".txt", "text/plain" },
        { ".htm", "text/html" },       { ".html", "text/html" },
        { ".pdf", "application/pdf" }, { ".xml", "application/xml" },
    };
    if (!filename)
        return NULL;
    size_t len = strlen(filename);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t elen = strlen(types[i].ext);
        if (len >= elen && strcasecmp(filename + len - elen, types[i].ext) == 0)
            return types[i].type;
    }
    return NULL;
}

void wt_form_boundary(const unsigned char random[8], char out[WT_FORM_BOUNDARY_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    memset(out, '-', 24);
    for (int i = 0; i < 8; i++) {
        out[24 + 2 * i] = hex[random[i] >> 4];
        out[25 + 2 * i] = hex[random[i] & 15];
    }
    out[WT_FORM_BOUNDARY_LEN] = '\0';
}

struct wt_form *wt_form_new(const char *boundary, const char *custom_type)
{
    struct wt_form *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    snprintf(f->boundary, sizeof f->boundary, "%s", boundary);
    const char *type = custom_type ? custom_type : "multipart/form-data";
    size_t len = strlen(type) + sizeof "; boundary=" + strlen(f->boundary);
    f->content_type = malloc(len);
    if (!f->content_type) {
        free(f);
        return NULL;
    }
    snprintf(f->content_type, len, "%s; boundary=%s", type, f->boundary);
    f->disposition = strcasecmp(type, "multipart/form-data") == 0 ? "form-data" : "attachment";
    return f;
}

void wt_form_free(struct wt_form *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_parts; i++) {
        free(f->parts[i].name);
        free(f->parts[i].filename);
        free(f->parts[i].type);
    }
    wt_buf_free(&f->body);
    free(f->content_type);
    free(f);
}

/* A name or filename inside the quotes of Content-Disposition: curl 7.88
 * percent-encodes '"', CR and LF (its form strategy, after WHATWG). */
static int append_quoted(struct wt_buf *b, const char *s)
{
    if (wt_buf_append(b, "\"", 1) < 0)
        return -1;
    for (; *s; s++) {
        const char *enc = *s == '"' ? "%22" : *s == '\r' ? "%0D" : *s == '\n' ? "%0A" : NULL;
        if (enc ? wt_buf_append(b, enc, 3) < 0 : wt_buf_append(b, s, 1) < 0)
            return -1;
    }
    return wt_buf_append(b, "\"", 1);
}

static int append_str(struct wt_buf *b, const char *s)
{
    return wt_buf_append(b, s, strlen(s));
}

static int has_header(const struct wt_form_field *field, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < field->n_headers; i++)
        if (strncasecmp(field->headers[i], name, n) == 0 && field->headers[i][n] == ':')
            return 1;
    return 0;
}

/* The Content-Type curl sends for a part: ;type= as given; else a guess
 * from the filename (or from the path of a file read with @ or <); a file
 * upload without a guess is application/octet-stream (stdin has no
 * type). A guessed text/plain
 * without a filename is left out: it is what a form field means anyway. */
static const char *part_type(const struct wt_form_field *field, const char *filename)
{
    if (field->type)
        return field->type;
    if (has_header(field, "Content-Type"))
        return NULL;
    const char *t = wt_form_guess_type(filename);
    /* stdin is no file to curl: neither a guess from "-" nor the default */
    int from_file = field->source != WT_FORM_TEXT && strcmp(field->value, "-") != 0;
    if (!t && from_file)
        t = wt_form_guess_type(field->value);
    if (!t && from_file && field->source == WT_FORM_FILE)
        t = "application/octet-stream";
    if (t && !filename && strcmp(t, "text/plain") == 0)
        return NULL;
    return t;
}

/* The filename of a file upload: ;filename=, else the path's last part
 * ("-" for stdin, as curl). */
static const char *part_filename(const struct wt_form_field *field)
{
    if (field->filename || field->source != WT_FORM_FILE)
        return field->filename;
    const char *slash = strrchr(field->value, '/');
    return slash && slash[1] ? slash + 1 : field->value;
}

int wt_form_add(struct wt_form *f, const struct wt_form_field *field, const char *content,
                size_t len)
{
    if (f->n_parts == WT_FORM_MAX_PARTS)
        return -1;
    struct wt_buf *b = &f->body;
    size_t before = b->len;
    const char *filename = part_filename(field);
    const char *type = part_type(field, filename);
    int rc = wt_buf_append(b, "--", 2) < 0 || append_str(b, f->boundary) < 0 ||
             append_str(b, "\r\nContent-Disposition: ") < 0 ||
             append_str(b, f->disposition) < 0;
    if (!rc && field->name)
        rc = append_str(b, "; name=") < 0 || append_quoted(b, field->name) < 0;
    if (!rc && filename)
        rc = append_str(b, "; filename=") < 0 || append_quoted(b, filename) < 0;
    if (!rc)
        rc = append_str(b, "\r\n") < 0;
    if (!rc && type)
        rc = append_str(b, "Content-Type: ") < 0 || append_str(b, type) < 0 ||
             append_str(b, "\r\n") < 0;
    for (size_t i = 0; !rc && i < field->n_headers; i++)
        rc = append_str(b, field->headers[i]) < 0 || append_str(b, "\r\n") < 0;
    if (!rc)
        rc = append_str(b, "\r\n") < 0 || wt_buf_append(b, content, len) < 0 ||
             append_str(b, "\r\n") < 0;
    if (!rc && b->len > WT_REQSPEC_MAX_BODY)
        rc = 1;
    struct wt_form_part *part = &f->parts[f->n_parts];
    memset(part, 0, sizeof *part);
    if (!rc && ((field->name && !(part->name = strdup(field->name))) ||
                (filename && !(part->filename = strdup(filename))) ||
                (type && !(part->type = strdup(type)))))
        rc = 1;
    if (rc) {
        free(part->name);
        free(part->filename);
        free(part->type);
        b->len = before;
        if (b->data)
            b->data[before] = '\0';
        return -1;
    }
    part->source = field->source;
    part->size = len;
    f->n_parts++;
    return 0;
}

int wt_form_finish(struct wt_form *f)
{
    struct wt_buf *b = &f->body;
    return wt_buf_append(b, "--", 2) < 0 || append_str(b, f->boundary) < 0 ||
                   append_str(b, "--\r\n") < 0
               ? -1
               : 0;
}
