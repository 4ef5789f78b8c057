#include "webtrace/http.h"
#include "webtrace/decode.h"
#include "webtrace/escape.h"
#include "webtrace/i18n.h"

#include "webtrace/exitcode.h"
#include "webtrace/form.h"

#include <inttypes.h>
#include <llhttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WT_HTTP_STR_(x) #x
#define WT_HTTP_STR(x) WT_HTTP_STR_(x)   /* a cap's number inside a message */

const char *wt_http_request_method(const struct wt_reqspec *spec)
{
    if (spec && spec->method)
        return spec->method;
    if (spec && spec->head)
        return "HEAD";
    if (spec && spec->upload && spec->has_body)
        return "PUT";
    if (spec && spec->has_body && !spec->get)
        return "POST";
    return "GET";
}

static int put_header(struct wt_buf *b, struct wt_http_request *out, enum wt_header_origin why,
                      const char *name, const char *value)
{
    if (out->n_headers == WT_HTTP_REQUEST_MAX_LINES)
        return 0;   /* cannot happen: -H lines are capped below this */
    out->origin[out->n_headers++] = (unsigned char)why;
    if (wt_buf_append(b, name, strlen(name)) < 0 || wt_buf_append(b, ": ", 2) < 0 ||
        wt_buf_append(b, value, strlen(value)) < 0 || wt_buf_append(b, "\r\n", 2) < 0)
        return -1;
    return 0;
}

/* One -H line as it goes out: "Name;" is sent as "Name:", "Name:" (a
 * removal) and Host (sent in Host's place) not here. */
static int put_custom(struct wt_buf *b, struct wt_http_request *out, const char *line,
                      int multipart)
{
    size_t name = strcspn(line, ":;");
    /* curl sends a multipart body's Content-Type itself, boundary appended */
    if (multipart && name == 12 && strncasecmp(line, "Content-Type", 12) == 0)
        return 0;
    const char *v = line + name + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    if (line[name] == ':' && *v == '\0')
        return 0;
    if (name == 4 && strncasecmp(line, "Host", 4) == 0 && line[name] == ':')
        return 0;
    if (out->n_headers == WT_HTTP_REQUEST_MAX_LINES)
        return 0;
    out->origin[out->n_headers++] = WT_HDR_FROM_HEADER;
    if (line[name] == ';')
        return wt_buf_append(b, line, name) < 0 || wt_buf_append(b, ":\r\n", 3) < 0 ? -1 : 0;
    return wt_buf_append(b, line, strlen(line)) < 0 || wt_buf_append(b, "\r\n", 2) < 0 ? -1 : 0;
}

/* -G's data as curl appends it, except that what cannot stand in a
 * request target (controls, space, '#', non-ASCII) is percent-encoded
 * where curl refuses the URL (exit 3): a CR or LF must never reach the
 * request line. */
static int append_query(struct wt_buf *b, const char *data, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c > 0x20 && c < 0x7f && c != '#') {
            if (wt_buf_append(b, data + i, 1) < 0)
                return -1;
            continue;
        }
        char enc[3] = { '%', hex[c >> 4], hex[c & 15] };
        if (wt_buf_append(b, enc, 3) < 0)
            return -1;
    }
    return 0;
}

/* The value of the last "Host: value" -H line, or NULL. */
static const char *custom_host(const struct wt_reqspec *spec)
{
    const char *found = NULL;
    for (size_t i = 0; spec && i < spec->n_headers; i++) {
        const char *h = spec->headers[i];
        if (strncasecmp(h, "Host:", 5) != 0)
            continue;
        const char *v = h + 5;
        while (*v == ' ' || *v == '\t')
            v++;
        found = *v ? v : NULL;
    }
    return found;
}

static int build_request(const struct wt_url *url, const struct wt_reqspec *spec,
                         const char *user_agent, int to_proxy, const char *proxy_authorization,
                         struct wt_http_request *out);

static enum wt_reqspec_edit edit_of(const struct wt_reqspec *spec, const char *name)
{
    return spec ? wt_reqspec_edit_of(spec, name) : WT_EDIT_NONE;
}

int wt_http_request_build(const struct wt_url *url, const struct wt_reqspec *spec,
                          const char *user_agent, struct wt_http_request *out)
{
    return build_request(url, spec, user_agent, 0, NULL, out);
}

int wt_http_request_build_proxied(const struct wt_url *url, const struct wt_reqspec *spec,
                                  const char *user_agent, const char *proxy_authorization,
                                  struct wt_http_request *out)
{
    return build_request(url, spec, user_agent, 1, proxy_authorization, out);
}

static int build_request(const struct wt_url *url, const struct wt_reqspec *spec,
                         const char *user_agent, int to_proxy, const char *proxy_authorization,
                         struct wt_http_request *out)
{
    memset(out, 0, sizeof *out);
    int v6 = url->host_kind == WT_HOST_IPV6;
    if (url->port != wt_scheme_default_port(url->scheme))
        snprintf(out->host_header, sizeof out->host_header, "%s%s%s:%u", v6 ? "[" : "",
                 url->host, v6 ? "]" : "", url->port);
    else
        snprintf(out->host_header, sizeof out->host_header, "%s%s%s", v6 ? "[" : "",
                 url->host, v6 ? "]" : "");
    out->method = wt_http_request_method(spec);
    int data_in_query = spec && spec->get && spec->has_body;
    int send_body = spec && spec->has_body && !spec->get;

    struct wt_buf target = { 0 };
    /* a proxy is told the whole URL (RFC 9112 section 3.2.2) */
    if (to_proxy && (wt_buf_append(&target, "http://", 7) < 0 ||
                     wt_buf_append(&target, out->host_header, strlen(out->host_header)) < 0))
        goto oom;
    if (wt_buf_append(&target, url->target, strlen(url->target)) < 0)
        goto oom;
    if (send_body && wt_reqspec_upload_target(spec, &target) < 0)
        goto oom;
    if (data_in_query &&
        (wt_buf_append(&target, strchr(url->target, '?') ? "&" : "?", 1) < 0 ||
         append_query(&target, spec->body.data, spec->body.len) < 0))
        goto oom;
    out->target = target.data;

    struct wt_buf b = { 0 };
    if (wt_buf_append(&b, out->method, strlen(out->method)) < 0 || wt_buf_append(&b, " ", 1) < 0 ||
        wt_buf_append(&b, target.data, target.len) < 0 || wt_buf_append(&b, " HTTP/1.1\r\n", 11) < 0)
        goto oom_b;
    const char *host = custom_host(spec);
    if (edit_of(spec, "Host") != WT_EDIT_REMOVED &&
        put_header(&b, out, host ? WT_HDR_FROM_HEADER : WT_HDR_FROM_URL, "Host",
                   host ? host : out->host_header) < 0)
        goto oom_b;
    if (proxy_authorization && edit_of(spec, "Proxy-Authorization") == WT_EDIT_NONE &&
        put_header(&b, out, WT_HDR_FROM_PROXY_USER, "Proxy-Authorization",
                   proxy_authorization) < 0)
        goto oom_b;
    if (spec && spec->authorization && edit_of(spec, "Authorization") == WT_EDIT_NONE &&
        put_header(&b, out, WT_HDR_FROM_USER, "Authorization", spec->authorization) < 0)
        goto oom_b;
    /* curl's place for it, and only for GET-like requests: curl sends an
     * upload's Content-Range instead, which webtrace does not */
    if (spec && (spec->resume_from > 0 || spec->range) && !send_body &&
        edit_of(spec, "Range") == WT_EDIT_NONE) {
        char range[64 + WT_HTTP_RANGE_MAX];
        enum wt_header_origin why = WT_HDR_FROM_RESUME;
        if (spec->resume_from > 0)
            snprintf(range, sizeof range, "bytes=%" PRId64 "-", spec->resume_from);
        else {
            why = WT_HDR_FROM_RANGE;
            /* digits alone are a start, as curl reads them */
            int bare = strspn(spec->range, "0123456789") == strlen(spec->range);
            snprintf(range, sizeof range, "bytes=%.*s%s", WT_HTTP_RANGE_MAX, spec->range,
                     bare ? "-" : "");
        }
        if (put_header(&b, out, why, "Range", range) < 0)
            goto oom_b;
    }
    const char *agent = spec && spec->user_agent ? spec->user_agent : user_agent;
    if (agent[0] && edit_of(spec, "User-Agent") == WT_EDIT_NONE &&
        put_header(&b, out, spec && spec->user_agent ? WT_HDR_FROM_AGENT : WT_HDR_DEFAULT,
                   "User-Agent", agent) < 0)
        goto oom_b;
    if (edit_of(spec, "Accept") == WT_EDIT_NONE && !(spec && spec->json) &&
        put_header(&b, out, WT_HDR_DEFAULT, "Accept", "*/*") < 0)
        goto oom_b;
    /* curl's place for it: after Accept, before Referer */
    if (spec && spec->compressed && edit_of(spec, "Accept-Encoding") == WT_EDIT_NONE &&
        put_header(&b, out, WT_HDR_FROM_COMPRESSED, "Accept-Encoding", WT_DECODE_ACCEPT) < 0)
        goto oom_b;
    if (spec && spec->referer && edit_of(spec, "Referer") == WT_EDIT_NONE &&
        put_header(&b, out, WT_HDR_FROM_REFERER, "Referer", spec->referer) < 0)
        goto oom_b;
    if (to_proxy && edit_of(spec, "Proxy-Connection") == WT_EDIT_NONE &&
        put_header(&b, out, WT_HDR_FOR_PROXY, "Proxy-Connection", "Keep-Alive") < 0)
        goto oom_b;
    /* curl's place for it; a -H Cookie is sent as well, after it */
    if (spec && spec->cookie_header && spec->cookie_header[0] &&
        put_header(&b, out, WT_HDR_FROM_COOKIE, "Cookie", spec->cookie_header) < 0)
        goto oom_b;
    for (size_t i = 0; spec && i < spec->n_headers; i++)
        if (put_custom(&b, out, spec->headers[i], send_body && spec->form) < 0)
            goto oom_b;
    /* curl adds --json's headers after the -H ones, unless -H set them */
    if (spec && spec->json) {
        if (edit_of(spec, "Content-Type") == WT_EDIT_NONE &&
            put_header(&b, out, WT_HDR_FROM_JSON, "Content-Type", "application/json") < 0)
            goto oom_b;
        if (edit_of(spec, "Accept") == WT_EDIT_NONE &&
            put_header(&b, out, WT_HDR_FROM_JSON, "Accept", "application/json") < 0)
            goto oom_b;
    }
    if (send_body) {
        char n[32];
        snprintf(n, sizeof n, "%zu", spec->body.len);
        if (spec->chunked) {
            if (edit_of(spec, "Transfer-Encoding") == WT_EDIT_NONE &&
                put_header(&b, out, WT_HDR_BODY_LENGTH, "Transfer-Encoding", "chunked") < 0)
                goto oom_b;
        } else if (edit_of(spec, "Content-Length") == WT_EDIT_NONE &&
                   put_header(&b, out, WT_HDR_BODY_LENGTH, "Content-Length", n) < 0) {
            goto oom_b;
        }
        if (spec->upload) {
            /* a PUT of a file has no Content-Type of ours, as curl */
        } else if (spec->form) {
            if (put_header(&b, out, WT_HDR_FROM_FORM, "Content-Type", spec->form->content_type) < 0)
                goto oom_b;
            out->form = spec->form;
        } else if (!spec->json && edit_of(spec, "Content-Type") == WT_EDIT_NONE &&
            put_header(&b, out, WT_HDR_BODY_TYPE, "Content-Type",
                       "application/x-www-form-urlencoded") < 0)
            goto oom_b;
    }
    if (send_body) {
        int add = 0;
        out->expect_100 = wt_reqspec_expect_100(spec, &add);
        if (add && put_header(&b, out, WT_HDR_EXPECT, "Expect", "100-continue") < 0)
            goto oom_b;
    }
    if (wt_buf_append(&b, "\r\n", 2) < 0)
        goto oom_b;
    out->head_len = b.len;
    if (send_body && wt_buf_append(&b, spec->body.data, spec->body.len) < 0)
        goto oom_b;
    out->body_len = b.len - out->head_len;
    out->text = b.data;
    out->len = b.len;
    return 0;
oom_b:
    wt_buf_free(&b);
oom:
    wt_buf_free(&target);
    out->target = NULL;
    return -1;
}

enum wt_range_outcome wt_http_range_outcome(int status, int64_t resume_from,
                                            const char *content_range, size_t len,
                                            int64_t content_length)
{
    if (resume_from <= 0) {
        if (status == 206)
            return WT_RANGE_PARTIAL;
        if (status == 416)
            return WT_RANGE_UNSATISFIABLE;
        return status >= 200 && status < 300 ? WT_RANGE_IGNORED : WT_RANGE_NONE;
    }
    /* 416 to a resume: the file is presumably complete already */
    if (status == 416)
        return WT_RANGE_COMPLETE;
    if (content_range) {
        /* curl reads the first number after "bytes "; "*" or none turns its
         * check off (it then takes whatever comes as the rest) */
        size_t i = 0;
        while (i < len && !(content_range[i] >= '0' && content_range[i] <= '9') &&
               content_range[i] != '*')
            i++;
        if (i == len || content_range[i] == '*')
            return WT_RANGE_PARTIAL;
        int64_t offset = 0;
        int readable = 1;
        for (; i < len && content_range[i] >= '0' && content_range[i] <= '9'; i++) {
            /* the digit's own bound: -C may reach INT64_MAX itself */
            int digit = content_range[i] - '0';
            if (offset > (INT64_MAX - digit) / 10) {
                /* an offset too large to read matches nothing, as another
                 * offset: the whole body may still be the file's size */
                readable = 0;
                break;
            }
            offset = offset * 10 + digit;
        }
        if (readable && offset == resume_from)
            return WT_RANGE_PARTIAL;
    }
    /* the whole body, and exactly the file's size: nothing is missing */
    if (content_length == resume_from)
        return WT_RANGE_COMPLETE;
    return WT_RANGE_IGNORED;
}

void wt_http_request_clear(struct wt_http_request *req)
{
    free(req->text);
    free(req->target);
    memset(req, 0, sizeof *req);
}

enum reader_mode { MODE_HEADERS, MODE_BODY, MODE_DONE, MODE_FAILED };

struct wt_http_reader {
    llhttp_t parser;
    llhttp_settings_t settings;
    struct wt_http_callbacks cb;
    void *ctx;
    int head_request;
    enum reader_mode mode;

    /* The header section is collected here and vetted before llhttp sees
     * it; llhttp reads the normalised copy (canonical status line, CRLF
     * line ends), which may be up to twice as long. */
    char *hdr;
    char *norm;
    size_t norm_len;
    size_t hdr_len;
    size_t scan_pos;
    size_t line_start;
    size_t n_lines;
    size_t folds[WT_HTTP_MAX_FOLDS];   /* offsets of unfolded line breaks */
    size_t n_folds;
    int strict;
    unsigned pending_devs;      /* seen in this response, not yet reported */
    unsigned reported_devs;

    const char *reason;
    size_t reason_len;
    int status_delivered;
    const char *field;
    size_t field_len;
    const char *value;
    size_t value_len;
    int in_trailers;

    int status;
    int headers_seen;           /* llhttp reached the end of this message's head */
    int message_complete;
    int final_complete;
    size_t n_headers;
    size_t header_bytes;        /* of every section so far, interim ones included */
    size_t n_interim;
    enum wt_body_framing framing;
    int keep_alive;
    uint64_t body_bytes;
    uint64_t bytes_fed;
    int abort_code;
    int exit_code;
    char error[240];
};

struct deviation_words {
    enum wt_http_deviation dev;
    const char *name;
    const char *rfc;
};

static const struct deviation_words deviation_table[WT_HTTP_N_DEVIATIONS] = {
    { WT_HTTP_DEV_BARE_LF, "bare_lf", "RFC 9112 §2.2" },
    { WT_HTTP_DEV_NO_REASON, "no_reason_phrase", "RFC 9112 §4" },
    { WT_HTTP_DEV_STATUS_SPACES, "status_line_spaces", "RFC 9112 §4" },
    { WT_HTTP_DEV_OBS_FOLD, "obs_fold", "RFC 9112 §5.2" },
    { WT_HTTP_DEV_UNASKED_101, "unasked_101", "RFC 9110 §15.2" },
};

/* The sentence for --strict, one per deviation (same order as the table). */
static const char *const strict_sentences[WT_HTTP_N_DEVIATIONS] = {
    N_("--strict: a line of the response head ends with a bare LF (RFC 9112 §2.2)%s"),
    N_("--strict: the status line has no space and reason phrase after the code (RFC 9112 §4)%s"),
    N_("--strict: the status line has more than one space after the version (RFC 9112 §4)%s"),
    N_("--strict: a header line is folded onto the next (obs-fold, RFC 9112 §5.2)%s"),
    N_("--strict: a 101 Switching Protocols answered a request without Upgrade (RFC 9110 §15.2)%s"),
};

static int deviation_index(enum wt_http_deviation d)
{
    for (int i = 0; i < WT_HTTP_N_DEVIATIONS; i++)
        if (deviation_table[i].dev == d)
            return i;
    return 0;
}

const char *wt_http_deviation_name(enum wt_http_deviation d)
{
    return deviation_table[deviation_index(d)].name;
}

const char *wt_http_deviation_rfc(enum wt_http_deviation d)
{
    return deviation_table[deviation_index(d)].rfc;
}

static struct wt_http_reader *reader_of(llhttp_t *p)
{
    return (struct wt_http_reader *)p->data;
}

static void fail(struct wt_http_reader *r, int exit_code, const char *fmt, const char *detail)
{
    r->mode = MODE_FAILED;
    r->exit_code = exit_code;
    wt_errf(r->error, sizeof r->error, fmt, detail);
}

/* Records a deviation; under --strict it is the failure. Returns -1 then. */
static int deviate(struct wt_http_reader *r, enum wt_http_deviation d)
{
    if (r->strict) {
        fail(r, WT_EXIT_WEIRD_REPLY, strict_sentences[deviation_index(d)], "");
        return -1;
    }
    r->pending_devs |= (unsigned)d;
    return 0;
}

static void report_deviations(struct wt_http_reader *r)
{
    unsigned fresh = r->pending_devs & ~r->reported_devs;
    r->reported_devs |= fresh;
    r->pending_devs = 0;
    for (int i = 0; i < WT_HTTP_N_DEVIATIONS; i++)
        if ((fresh & (unsigned)deviation_table[i].dev) && r->cb.on_deviation)
            r->cb.on_deviation(r->ctx, deviation_table[i].dev);
}

static int ascii_ieq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != b[i])
            return 0;
    }
    return 1;
}

/* llhttp undoes chunked only; any other transfer coding would hand the
 * caller encoded bytes as if they were the body (curl: exit 61). */
static int vet_transfer_encoding(struct wt_http_reader *r, const char *v, size_t len)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t start = i;
        while (i < len && v[i] != ',')
            i++;
        size_t end = i;
        while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
            end--;
        if (end > start && !ascii_ieq(v + start, end - start, "chunked")) {
            char coding[64];
            wt_escape_term(v + start, end - start, coding, sizeof coding);
            fail(r, WT_EXIT_BAD_CONTENT_ENCODING,
                 N_("the response uses the transfer coding %s, which webtrace cannot decode"),
                 coding);
            return -1;
        }
    }
    return 0;
}

static void deliver_status(struct wt_http_reader *r)
{
    if (r->status_delivered)
        return;
    r->status_delivered = 1;
    if (r->cb.on_status)
        r->cb.on_status(r->ctx, r->parser.http_major, r->parser.http_minor,
                        r->parser.status_code, r->reason ? r->reason : "", r->reason_len);
}

/* Spans arrive in one piece when the whole header section is fed at once
 * (as we do); extending a contiguous span keeps this correct regardless. */
static void extend_span(const char **span, size_t *span_len, const char *at, size_t len)
{
    if (!*span || *span + *span_len != at) {
        *span = at;
        *span_len = len;
    } else {
        *span_len += len;
    }
}

static int on_message_begin(llhttp_t *p)
{
    struct wt_http_reader *r = reader_of(p);
    r->reason = NULL;
    r->reason_len = 0;
    r->status_delivered = 0;
    r->in_trailers = 0;
    r->headers_seen = 0;
    r->message_complete = 0;
    r->field = r->value = NULL;
    r->field_len = r->value_len = 0;
    return 0;
}

static int on_status(llhttp_t *p, const char *at, size_t len)
{
    struct wt_http_reader *r = reader_of(p);
    extend_span(&r->reason, &r->reason_len, at, len);
    return 0;
}

static int on_status_complete(llhttp_t *p)
{
    deliver_status(reader_of(p));
    return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    struct wt_http_reader *r = reader_of(p);
    deliver_status(r);
    extend_span(&r->field, &r->field_len, at, len);
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    struct wt_http_reader *r = reader_of(p);
    extend_span(&r->value, &r->value_len, at, len);
    return 0;
}

static int on_header_value_complete(llhttp_t *p)
{
    struct wt_http_reader *r = reader_of(p);
    const char *v = r->value ? r->value : "";
    size_t vlen = r->value_len;
    while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
        vlen--;
    if (!r->in_trailers) {
        if (ascii_ieq(r->field ? r->field : "", r->field_len, "transfer-encoding") &&
            vet_transfer_encoding(r, v, vlen) < 0)
            return -1;
        int folded = 0;
        if (r->value && v >= r->norm && v < r->norm + r->norm_len) {
            size_t off = (size_t)(v - r->norm);
            for (size_t i = 0; i < r->n_folds; i++)
                if (r->folds[i] >= off && r->folds[i] < off + r->value_len)
                    folded = 1;
        }
        r->n_headers++;
        if (r->cb.on_header)
            r->cb.on_header(r->ctx, r->field ? r->field : "", r->field_len, v, vlen, folded);
    }
    r->field = r->value = NULL;
    r->field_len = r->value_len = 0;
    return 0;
}

static int on_headers_complete(llhttp_t *p)
{
    struct wt_http_reader *r = reader_of(p);
    deliver_status(r);
    r->status = p->status_code;
    /* We never send Upgrade, so a 101 cannot switch protocols: like any
     * unexpected 1xx it is skipped (RFC 9110 §15.2), and the response
     * that follows is the real one. */
    if (r->status == 101 && deviate(r, WT_HTTP_DEV_UNASKED_101) < 0)
        return -1;
    int no_body = r->head_request || r->status / 100 == 1 || r->status == 204 ||
                  r->status == 304;
    int64_t content_length = -1;
    if (p->flags & F_CONTENT_LENGTH)
        content_length = (int64_t)p->content_length;
    if (no_body)
        r->framing = WT_FRAMING_NONE;
    else if (p->flags & F_CHUNKED)
        r->framing = WT_FRAMING_CHUNKED;
    else if (p->flags & F_CONTENT_LENGTH)
        r->framing = WT_FRAMING_CONTENT_LENGTH;
    else
        r->framing = WT_FRAMING_UNTIL_CLOSE;
    r->keep_alive = llhttp_should_keep_alive(p);
    if (r->framing == WT_FRAMING_UNTIL_CLOSE)
        r->keep_alive = 0;
    r->in_trailers = 1;
    r->headers_seen = 1;
    if (r->cb.on_headers_done)
        r->cb.on_headers_done(r->ctx, r->status, r->framing, content_length, r->keep_alive,
                              r->n_headers, r->header_bytes);
    /* llhttp 8.1 would otherwise wait for a body that HEAD, 1xx, 204 and 304
     * responses never have. */
    return no_body ? 1 : 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    struct wt_http_reader *r = reader_of(p);
    r->body_bytes += len;
    if (r->cb.on_body) {
        int rc = r->cb.on_body(r->ctx, at, len);
        if (rc) {
            r->abort_code = rc;
            return -1;
        }
    }
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    struct wt_http_reader *r = reader_of(p);
    r->message_complete = 1;
    if (r->status >= 200)
        r->final_complete = 1;
    /* Stop here: the caller decides what the bytes after a message mean. */
    return HPE_PAUSED;
}

struct wt_http_reader *wt_http_reader_new(const struct wt_http_callbacks *cb, void *ctx,
                                          int head_request)
{
    struct wt_http_reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->hdr = malloc(WT_HTTP_MAX_HEADER_BYTES);
    r->norm = malloc(2 * WT_HTTP_MAX_HEADER_BYTES);
    if (!r->hdr || !r->norm) {
        free(r->hdr);
        free(r->norm);
        free(r);
        return NULL;
    }
    r->cb = *cb;
    r->ctx = ctx;
    r->head_request = head_request;
    llhttp_settings_init(&r->settings);
    r->settings.on_message_begin = on_message_begin;
    r->settings.on_status = on_status;
    r->settings.on_status_complete = on_status_complete;
    r->settings.on_header_field = on_header_field;
    r->settings.on_header_value = on_header_value;
    r->settings.on_header_value_complete = on_header_value_complete;
    r->settings.on_headers_complete = on_headers_complete;
    r->settings.on_body = on_body;
    r->settings.on_message_complete = on_message_complete;
    llhttp_init(&r->parser, HTTP_RESPONSE, &r->settings);
    r->parser.data = r;
    return r;
}

void wt_http_reader_free(struct wt_http_reader *r)
{
    if (!r)
        return;
    free(r->hdr);
    free(r->norm);
    free(r);
}

void wt_http_reader_set_strict(struct wt_http_reader *r, int strict)
{
    r->strict = strict;
}

static void reset_header_scan(struct wt_http_reader *r)
{
    r->hdr_len = 0;
    r->scan_pos = 0;
    r->line_start = 0;
    r->n_lines = 0;
    r->n_folds = 0;
}

/* Scans newly appended header bytes. Returns the offset just past the
 * empty line that ends the section, 0 when more bytes are needed, -1 after
 * fail(). Rewrites obs-folds in place to spaces (RFC 9112 §5.2), so the
 * section llhttp sees has the same length and no folded lines. */
static long scan_header_section(struct wt_http_reader *r)
{
    char *h = r->hdr;
    /* Anything but "HTTP/" first is HTTP/0.9 or garbage: say so now
     * rather than wait for a header section that never ends (curl: 1). */
    static const char prefix[] = "HTTP/";
    size_t check = r->hdr_len < sizeof prefix - 1 ? r->hdr_len : sizeof prefix - 1;
    if (r->scan_pos < check && memcmp(h, prefix, check) != 0) {
        fail(r, WT_EXIT_UNSUPPORTED_PROTOCOL,
             N_("the reply does not start with an HTTP/1.x status line (HTTP/0.9 is not "
                "supported)%s"), "");
        return -1;
    }
    for (size_t i = r->scan_pos; i < r->hdr_len; i++) {
        if (h[i] == '\r') {
            if (i + 1 == r->hdr_len) {
                r->scan_pos = i;
                return 0;
            }
            if (h[i + 1] != '\n') {
                fail(r, 8, N_("malformed response: a bare CR in the header section%s"), "");
                return -1;
            }
            continue;
        }
        if (h[i] != '\n')
            continue;
        size_t content = i - r->line_start;
        if (content && h[i - 1] == '\r')
            content--;
        if (content == 0 && r->n_lines == 0) {
            /* An empty line where the status line belongs would end our
             * vetting before llhttp saw the head: refuse it. */
            fail(r, 8, N_("malformed response: an empty line before the status line%s"), "");
            return -1;
        }
        if (content == 0)
            return (long)(i + 1);
        if (r->n_lines > 0 && (h[r->line_start] == ' ' || h[r->line_start] == '\t')) {
            if (r->n_lines == 1) {
                fail(r, 8, N_("malformed response: whitespace before the first header line%s"), "");
                return -1;
            }
            /* obs-fold: the previous line break becomes spaces */
            size_t nl = r->line_start - 1;
            h[nl] = ' ';
            if (nl > 0 && h[nl - 1] == '\r')
                h[nl - 1] = ' ';
            if (r->n_folds < WT_HTTP_MAX_FOLDS)
                r->folds[r->n_folds++] = nl;
            if (deviate(r, WT_HTTP_DEV_OBS_FOLD) < 0)
                return -1;
        } else {
            r->n_lines++;
            if (r->n_lines > WT_HTTP_MAX_HEADERS + 1) {
                fail(r, 100, N_("response has more than " "1000" " header lines%s"), "");
                return -1;
            }
        }
        r->line_start = i + 1;
    }
    r->scan_pos = r->hdr_len;
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void fail_status_line(struct wt_http_reader *r, const char *fmt, const char *line,
                             size_t len)
{
    char shown[96];
    wt_escape_term(line, len, shown, sizeof shown);
    fail(r, WT_EXIT_UNSUPPORTED_PROTOCOL, fmt, shown);
}

/* Checks the status line as curl does (HTTP/1.x, one or more spaces, three
 * digits from 100 up, then a space or the end) and writes its canonical
 * form into norm, so llhttp never sees the forms we tolerate. */
static int vet_status_line(struct wt_http_reader *r, const char *line, size_t len)
{
    if (len < 8 || memcmp(line, "HTTP/", 5) != 0 || !is_digit(line[5]) || line[6] != '.' ||
        !is_digit(line[7]) || (len > 8 && line[8] != ' ')) {
        fail_status_line(r, N_("unsupported HTTP version in the status line \"%s\""), line, len);
        return -1;
    }
    if (line[5] != '1' || (line[7] != '0' && line[7] != '1')) {
        fail_status_line(r, N_("unsupported HTTP version in the status line \"%s\""), line, len);
        return -1;
    }
    size_t i = 8;
    while (i < len && line[i] == ' ')
        i++;
    if (i == 8) {
        fail_status_line(r, N_("no status code in the status line \"%s\""), line, len);
        return -1;
    }
    if (i > 9 && deviate(r, WT_HTTP_DEV_STATUS_SPACES) < 0)
        return -1;
    size_t code = i;
    if (len - code < 3 || !is_digit(line[code]) || !is_digit(line[code + 1]) ||
        !is_digit(line[code + 2]) || line[code] == '0' || (len > code + 3 && line[code + 3] != ' ')) {
        fail_status_line(r, N_("unsupported status code in the status line \"%s\""), line, len);
        return -1;
    }
    size_t reason = code + 4;
    if (len == code + 3) {
        reason = len;
        if (deviate(r, WT_HTTP_DEV_NO_REASON) < 0)
            return -1;
    }
    memcpy(r->norm, line, 9);            /* "HTTP/1.x " */
    memcpy(r->norm + 9, line + code, 3);
    r->norm[12] = ' ';
    memcpy(r->norm + 13, line + reason, len - reason);
    r->norm_len = 13 + (len - reason);
    memcpy(r->norm + r->norm_len, "\r\n", 2);
    r->norm_len += 2;
    return 0;
}

/* Builds what llhttp reads from the vetted section [0, end): the canonical
 * status line, then every line ended by CRLF (a bare LF is allowed to a
 * recipient by RFC 9112 §2.2; bare CRs were refused by the scan). Lengths
 * change but not framing: no byte of a line moves to another line. */
static int normalise_section(struct wt_http_reader *r, size_t end)
{
    const char *h = r->hdr;
    const char *lf = memchr(h, '\n', end);   /* the scan found the end, so there is one */
    size_t line_end = (size_t)(lf - h);
    int bare = !(line_end > 0 && h[line_end - 1] == '\r');
    if (bare && deviate(r, WT_HTTP_DEV_BARE_LF) < 0)
        return -1;
    if (vet_status_line(r, h, bare ? line_end : line_end - 1) < 0)
        return -1;
    size_t out = r->norm_len;
    size_t fold = 0;
    while (fold < r->n_folds && r->folds[fold] <= line_end)
        fold++;   /* cannot happen: folds begin on the second header line */
    for (size_t i = line_end + 1; i < end; i++) {
        if (fold < r->n_folds && r->folds[fold] == i)
            r->folds[fold++] = out;
        if (h[i] == '\n' && h[i - 1] != '\r') {
            if (deviate(r, WT_HTTP_DEV_BARE_LF) < 0)
                return -1;
            r->norm[out++] = '\r';
        }
        r->norm[out++] = h[i];
    }
    r->norm_len = out;
    return 0;
}

static void fail_llhttp(struct wt_http_reader *r, llhttp_errno_t err)
{
    if (r->mode == MODE_FAILED)
        return;   /* a callback already said why */
    if (err == HPE_USER && r->abort_code) {
        r->mode = MODE_FAILED;
        r->exit_code = r->abort_code;
        wt_errf(r->error, sizeof r->error, "writing the body failed");
        return;
    }
    const char *reason = llhttp_get_error_reason(&r->parser);
    if (r->mode == MODE_BODY) {
        /* Only chunked framing can be malformed once the head is read;
         * curl reports a broken chunk as a receive error. */
        fail(r, WT_EXIT_RECV_ERROR, N_("malformed chunked body: %s"),
             reason ? reason : llhttp_errno_name(err));
        return;
    }
    fail(r, 8, N_("malformed response: %s"), reason ? reason : llhttp_errno_name(err));
}

/* Runs llhttp over data. Returns bytes consumed, or -1 after fail(). */
static long execute(struct wt_http_reader *r, const char *data, size_t len)
{
    llhttp_errno_t err = llhttp_execute(&r->parser, data, len);
    if (err == HPE_OK)
        return (long)len;
    if (err == HPE_PAUSED) {
        const char *pos = llhttp_get_error_pos(&r->parser);
        llhttp_resume(&r->parser);
        return pos ? (long)(pos - data) : (long)len;
    }
    fail_llhttp(r, err);
    return -1;
}

enum wt_http_read wt_http_reader_feed(struct wt_http_reader *r, const char *data, size_t len)
{
    r->bytes_fed += len;
    while (len > 0) {
        if (r->mode == MODE_DONE)
            return WT_HTTP_COMPLETE;   /* bytes after the response: ignored */
        if (r->mode == MODE_FAILED)
            return WT_HTTP_FAILED;
        if (r->mode == MODE_HEADERS) {
            /* The budget spans the interim sections already read. */
            size_t budget = WT_HTTP_MAX_HEADER_BYTES - r->header_bytes;
            size_t room = budget - r->hdr_len;
            size_t take = len < room ? len : room;
            memcpy(r->hdr + r->hdr_len, data, take);
            r->hdr_len += take;
            data += take;
            len -= take;
            long end = scan_header_section(r);
            if (end < 0)
                return WT_HTTP_FAILED;
            if (end == 0) {
                if (r->hdr_len == budget) {
                    if (r->n_interim)
                        fail(r, 100, N_("response headers, interim (1xx) responses included, "
                                        "are larger than %s"), "100 KiB");
                    else
                        fail(r, 100, N_("response header section is larger than %s"), "100 KiB");
                    return WT_HTTP_FAILED;
                }
                continue;
            }
            /* Give back what followed the section: it is body or the next
             * message. */
            size_t extra = r->hdr_len - (size_t)end;
            data -= extra;
            len += extra;
            r->hdr_len = (size_t)end;
            r->header_bytes += (size_t)end;
            r->message_complete = 0;
            if (normalise_section(r, (size_t)end) < 0)
                return WT_HTTP_FAILED;
            long used = execute(r, r->norm, r->norm_len);
            if (used < 0)
                return WT_HTTP_FAILED;
            report_deviations(r);
            if (r->message_complete && r->status == 101)
                llhttp_reset(&r->parser);   /* llhttp would treat what follows as another protocol */
            reset_header_scan(r);
            if (r->final_complete) {
                r->mode = MODE_DONE;
                return WT_HTTP_COMPLETE;
            }
            if (r->message_complete && ++r->n_interim > WT_HTTP_MAX_INTERIM) {
                fail(r, 100, N_("the server sent more than %s interim (1xx) responses"),
                     WT_HTTP_STR(WT_HTTP_MAX_INTERIM));
                return WT_HTTP_FAILED;
            }
            if (!r->message_complete) {
                if (!r->headers_seen) {
                    /* The vetted section must be a whole head to llhttp. */
                    fail(r, 8, N_("malformed response: the header section did not parse%s"), "");
                    return WT_HTTP_FAILED;
                }
                r->mode = MODE_BODY;
            }
            continue;
        }
        long used = execute(r, data, len);
        if (used < 0)
            return WT_HTTP_FAILED;
        data += used;
        len -= (size_t)used;
        if (r->final_complete) {
            r->mode = MODE_DONE;
            return WT_HTTP_COMPLETE;
        }
        if (r->message_complete)
            r->mode = MODE_HEADERS;
    }
    if (r->mode == MODE_DONE)
        return WT_HTTP_COMPLETE;
    return r->mode == MODE_FAILED ? WT_HTTP_FAILED : WT_HTTP_NEED_MORE;
}

enum wt_http_read wt_http_reader_eof(struct wt_http_reader *r)
{
    switch (r->mode) {
    case MODE_DONE:
        return WT_HTTP_COMPLETE;
    case MODE_FAILED:
        return WT_HTTP_FAILED;
    case MODE_HEADERS:
        if (r->bytes_fed == 0)
            fail(r, 52, N_("the server closed the connection without sending anything%s"), "");
        else if (r->hdr_len == 0 && r->n_interim > 0)
            fail(r, 52, N_("the server closed the connection after interim (1xx) responses, "
                           "without a final one%s"), "");
        else
            fail(r, 8, N_("the connection closed in the middle of the response headers%s"), "");
        return WT_HTTP_FAILED;
    case MODE_BODY:
        break;
    }
    llhttp_errno_t err = llhttp_finish(&r->parser);
    if ((err == HPE_OK || err == HPE_PAUSED) && r->final_complete) {
        r->mode = MODE_DONE;
        return WT_HTTP_COMPLETE;
    }
    if (err == HPE_INVALID_EOF_STATE || err == HPE_OK || err == HPE_PAUSED) {
        char detail[96];
        if (r->framing == WT_FRAMING_CONTENT_LENGTH)
            wt_errf(detail, sizeof detail, "%llu body bytes of %llu",
                     (unsigned long long)r->body_bytes,
                     (unsigned long long)(r->body_bytes + r->parser.content_length));
        else
            wt_errf(detail, sizeof detail, "%llu body bytes, in the middle of a chunk",
                     (unsigned long long)r->body_bytes);
        fail(r, 18, N_("the connection closed after %s (partial body)"), detail);
        return WT_HTTP_FAILED;
    }
    fail_llhttp(r, err);
    return WT_HTTP_FAILED;
}

int wt_http_reader_exit_code(const struct wt_http_reader *r) { return r->exit_code; }
const char *wt_http_reader_error(const struct wt_http_reader *r) { return r->error; }
uint64_t wt_http_reader_body_bytes(const struct wt_http_reader *r) { return r->body_bytes; }
uint64_t wt_http_reader_bytes_fed(const struct wt_http_reader *r) { return r->bytes_fed; }
enum wt_body_framing wt_http_reader_framing(const struct wt_http_reader *r) { return r->framing; }
int wt_http_reader_keep_alive(const struct wt_http_reader *r) { return r->keep_alive; }
