/* libFuzzer: any bytes as an HTTP response, fed in pieces whose sizes come
 * from the first input byte, then EOF. The second byte holds flags: bit 0
 * the request was HEAD, bit 1 writing the body fails (exit 23), bit 2 also
 * build a request (bit 3 picks its URL), bit 4 --strict, bit 5 build the
 * rich request (the first byte picks its options), bit 6 read six more
 * control bytes: the rich request's options (two bytes) and -H lines (two
 * bytes), then a status and a -C offset for the range judgement, whose
 * Content-Range is the response's first line. The reader must end in
 * exactly one of its documented states, its callbacks and the built
 * requests must keep their promises. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/form.h"
#include "webtrace/http.h"
#include "webtrace/range.h"
#include "webtrace/reqspec.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

struct body {
    uint64_t bytes;
    int fail_write;
    int strict;
    unsigned deviations;   /* the kinds reported so far */
};

static int on_body(void *ctx, const char *d, size_t n)
{
    (void)d;
    struct body *b = ctx;
    b->bytes += n;
    return b->fail_write ? 23 : 0;
}

/* The request for a fixed URL: one request line, the three headers, the
 * empty line. */
static void build_request(int ipv6)
{
    struct wt_url url;
    char err[256];
    if (wt_url_parse(ipv6 ? "http://[::1]:8080/a?b=c" : "example.test", &url, err,
                     sizeof err) != WT_URL_OK)
        abort();
    struct wt_http_request req;
    struct wt_reqspec head = { .head = 1 };
    const char *start = ipv6 ? "HEAD /a?b=c HTTP/1.1\r\nHost: [::1]:8080\r\n"
                             : "GET / HTTP/1.1\r\nHost: example.test\r\n";
    if (wt_http_request_build(&url, ipv6 ? &head : NULL, "webtrace-fuzz", &req) == 0) {
        if (req.len != strlen(req.text) || req.n_headers != 3 ||
            strncmp(req.text, start, strlen(start)) != 0 ||
            strcmp(req.text + req.len - 4, "\r\n\r\n") != 0)
            abort();
        wt_http_request_clear(&req);
    }
    wt_url_clear(&url);
}

/* The header name a line of each origin must carry (any name for -H
 * lines and the defaults). */
static int origin_allows(enum wt_header_origin why, const char *line, size_t name_len)
{
    static const struct {
        enum wt_header_origin why;
        const char *name;
    } names[] = {
        { WT_HDR_FROM_URL, "Host" },
        { WT_HDR_FROM_USER, "Authorization" },
        { WT_HDR_FROM_AGENT, "User-Agent" },
        { WT_HDR_FROM_REFERER, "Referer" },
        { WT_HDR_BODY_TYPE, "Content-Type" },
        { WT_HDR_FROM_COMPRESSED, "Accept-Encoding" },
        { WT_HDR_FROM_RANGE, "Range" },
        { WT_HDR_FROM_RESUME, "Range" },
        { WT_HDR_FROM_FORM, "Content-Type" },
        { WT_HDR_FROM_COOKIE, "Cookie" },
        { WT_HDR_EXPECT, "Expect" },
        { WT_HDR_FROM_PROXY_USER, "Proxy-Authorization" },
        { WT_HDR_FOR_PROXY, "Proxy-Connection" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].why == why)
            return strlen(names[i].name) == name_len &&
                   strncmp(line, names[i].name, name_len) == 0;
    if (why == WT_HDR_BODY_LENGTH)
        return (name_len == 14 && strncmp(line, "Content-Length", 14) == 0) ||
               (name_len == 17 && strncmp(line, "Transfer-Encoding", 17) == 0);
    if (why == WT_HDR_FROM_JSON)
        return (name_len == 12 && strncmp(line, "Content-Type", 12) == 0) ||
               (name_len == 6 && strncmp(line, "Accept", 6) == 0);
    return why == WT_HDR_DEFAULT || why == WT_HDR_FROM_HEADER;
}

/* What a built request must be, whatever the options: a request line
 * with the method and target, one "Name: value" line per counted header
 * with an origin that fits its name, CR and LF only as line ends, the
 * empty line at head_len, the body after it; and the headers an option
 * adds there exactly when the option asks and no -H line edits them. */
static void check_request(const struct wt_http_request *req, const struct wt_reqspec *s,
                          int proxied, const char *proxy_authorization)
{
    int send_body = s->has_body && !s->get;
    if (req->head_len + req->body_len != req->len || req->text[req->len] != '\0' ||
        req->head_len < 4 || strstr(req->text, "\r\n\r\n") != req->text + req->head_len - 4)
        abort();
    if (send_body ? req->body_len != s->body.len ||
                        memcmp(req->text + req->head_len, s->body.data, s->body.len) != 0
                  : req->body_len != 0)
        abort();
    const char *method = wt_http_request_method(s);
    size_t mlen = strlen(method), tlen = strlen(req->target);
    if (strcmp(req->method, method) != 0 || strncmp(req->text, method, mlen) != 0 ||
        req->text[mlen] != ' ' || strncmp(req->text + mlen + 1, req->target, tlen) != 0 ||
        strncmp(req->text + mlen + 1 + tlen, " HTTP/1.1\r\n", 11) != 0)
        abort();
    /* a proxy gets the absolute form, an origin server the path */
    if (proxied ? strncmp(req->target, "http://h.test:81/", 17) != 0 : req->target[0] != '/')
        abort();
    for (size_t i = 0; i < req->head_len; i++)
        if ((req->text[i] == '\r' && req->text[i + 1] != '\n') ||
            (req->text[i] == '\n' && (i == 0 || req->text[i - 1] != '\r')))
            abort();
    size_t counted[WT_HDR_FOR_PROXY + 1] = { 0 };
    const char *line = strstr(req->text, "\r\n") + 2, *range = NULL;
    size_t n = 0;
    for (; line < req->text + req->head_len - 2; line = strstr(line, "\r\n") + 2, n++) {
        size_t name_len = strcspn(line, ":\r");
        if (n >= req->n_headers || name_len == 0 || line[name_len] != ':' ||
            req->origin[n] > WT_HDR_FOR_PROXY ||
            !origin_allows((enum wt_header_origin)req->origin[n], line, name_len))
            abort();
        counted[req->origin[n]]++;
        if (req->origin[n] == WT_HDR_FROM_RANGE || req->origin[n] == WT_HDR_FROM_RESUME)
            range = line + name_len + 2;
    }
    if (n != req->n_headers)
        abort();
    int proxy_auth = proxied && proxy_authorization &&
                     wt_reqspec_edit_of(s, "Proxy-Authorization") == WT_EDIT_NONE;
    int keep_alive = proxied && wt_reqspec_edit_of(s, "Proxy-Connection") == WT_EDIT_NONE;
    int ranged = (s->resume_from > 0 || s->range) && !send_body &&
                 wt_reqspec_edit_of(s, "Range") == WT_EDIT_NONE;
    int cookie = s->cookie_header && s->cookie_header[0];
    int compressed = s->compressed && wt_reqspec_edit_of(s, "Accept-Encoding") == WT_EDIT_NONE;
    int form = send_body && s->form && !s->upload;
    if (counted[WT_HDR_FROM_PROXY_USER] != (size_t)proxy_auth ||
        counted[WT_HDR_FOR_PROXY] != (size_t)keep_alive ||
        counted[WT_HDR_FROM_RANGE] + counted[WT_HDR_FROM_RESUME] != (size_t)ranged ||
        counted[WT_HDR_FROM_COOKIE] != (size_t)cookie ||
        counted[WT_HDR_FROM_COMPRESSED] != (size_t)compressed ||
        counted[WT_HDR_FROM_FORM] != (size_t)form || (req->form != NULL) != form)
        abort();
    /* -C wins over -r; digits alone are a start */
    if (ranged) {
        char want[64];
        if (s->resume_from > 0)
            snprintf(want, sizeof want, "bytes=%lld-\r\n", (long long)s->resume_from);
        else
            snprintf(want, sizeof want, "bytes=%s%s\r\n", s->range,
                     strspn(s->range, "0123456789") == strlen(s->range) ? "-" : "");
        if (strncmp(range, want, strlen(want)) != 0)
            abort();
    }
    /* Expect is only asked with a body to hold back */
    if ((counted[WT_HDR_EXPECT] && !req->expect_100) || (req->expect_100 && req->body_len == 0))
        abort();
}

/* The options of the rich request, one bit each. */
enum {
    RICH_AGENT = 1 << 0,
    RICH_GET = 1 << 1,
    RICH_PATCH = 1 << 2,
    RICH_JSON = 1 << 3,
    RICH_PROXIED = 1 << 4,
    RICH_PROXY_AUTH = 1 << 5,
    RICH_COMPRESSED = 1 << 6,
    RICH_RANGE = 1 << 7,
    RICH_RESUME = 1 << 8,
    RICH_COOKIE = 1 << 9,
    RICH_FORM = 1 << 10,
    RICH_UPLOAD = 1 << 11,
    RICH_CHUNKED = 1 << 12,
    RICH_DIR_URL = 1 << 13,
    RICH_NO_DATA = 1 << 14,
    RICH_HEAD = 1 << 15,
};

/* -F's parts as the tool layer adds them: into the body, -G ignored. */
static int add_form(struct wt_reqspec *s)
{
    static const char *const fields[] = { "a=1", "f=@x.txt;type=text/plain", "=v" };
    char err[256];
    s->form = wt_form_new("------------------------0123456789abcdef", NULL);
    if (!s->form)
        return -1;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        struct wt_form_field field;
        if (wt_form_field_parse(fields[i], 0, &field, err, sizeof err) < 0)
            abort();   /* each is a form curl takes */
        int rc = wt_form_add(s->form, &field, "content", 7);
        wt_form_field_clear(&field);
        if (rc < 0)
            return -1;
    }
    if (wt_form_finish(s->form) < 0 ||
        wt_buf_append(&s->body, s->form->body.data, s->form->body.len) < 0)
        return -1;
    s->has_body = 1;
    s->get = 0;
    return 0;
}

/* Every part of the request builder: -u, -A, -e, -H edits, -d (or -G, or
 * --json), -F, -T (chunked from stdin too), --compressed, -r, -C, the
 * cookie engine's header, and the proxied form with Proxy-Authorization.
 * variant's bits pick the options (RICH_*), header_mask's the -H lines. */
static void build_rich_request(unsigned variant, unsigned header_mask)
{
    struct wt_url url;
    char err[256];
    if (wt_url_parse((variant & RICH_DIR_URL) ? "http://h.test:81/d/?q=1" : "http://h.test:81/p?q=1",
                     &url, err, sizeof err) != WT_URL_OK)
        abort();
    struct wt_reqspec *s = wt_reqspec_new();
    if (!s) {
        wt_url_clear(&url);
        return;
    }
    static const char *const headers[] = {
        "X-A: 1", "Accept: text/x", "X-E;", "User-Agent:", "Host: o.test",
        "Content-Type: text/plain", "Proxy-Connection:", "Range: bytes=1-", "Expect:",
        "Accept-Encoding: identity", "Transfer-Encoding:", "Expect: 100-continue",
        "Proxy-Authorization: Basic eDp5", "Content-Length:", "Host:", "Referer;",
    };
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++)
        if ((header_mask >> i) & 1)
            wt_reqspec_add_header(s, headers[i], strlen(headers[i]), err, sizeof err);
    s->referer = "http://r/";
    s->user_agent = (variant & RICH_AGENT) ? "agent" : NULL;
    s->get = (variant & RICH_GET) != 0;
    s->head = (variant & RICH_HEAD) != 0;
    s->method = (variant & RICH_PATCH) ? "PATCH" : NULL;
    s->compressed = (variant & RICH_COMPRESSED) != 0;
    s->range = (variant & RICH_RANGE) ? ((variant & RICH_AGENT) ? "500" : "0-99,-5") : NULL;
    s->resume_from = (variant & RICH_RESUME) ? 1234 : 0;
    s->cookie_header = (variant & RICH_COOKIE) ? "a=1; b=2" : NULL;
    wt_reqspec_set_user(s, "u:p");
    int failed = 0;
    if (variant & RICH_UPLOAD) {
        s->upload = 1;
        s->has_body = 1;
        s->chunked = (variant & RICH_CHUNKED) != 0;
        failed = wt_buf_append(&s->body, s->chunked ? "3\r\nabc\r\n0\r\n\r\n" : "abc",
                               s->chunked ? 13 : 3) < 0 ||
                 !(s->upload_name = strdup("up%20load.bin"));
    } else if (variant & RICH_FORM) {
        failed = add_form(s) < 0;
    } else if (variant & RICH_NO_DATA) {
        /* a GET, or -I, with nothing to send */
    } else if (variant & RICH_JSON) {
        failed = wt_reqspec_add_data(s, WT_DATA_JSON, "{}", 2, 0) < 0;
    } else {
        failed = wt_reqspec_add_data(s, WT_DATA_URLENCODE, "n=a b\r\n", 7, 0) < 0;
    }
    const char *proxy_auth = (variant & RICH_PROXY_AUTH) ? "Basic dTpw" : NULL;
    int proxied = (variant & RICH_PROXIED) != 0;
    struct wt_http_request req;
    int rc = failed    ? -1
             : proxied ? wt_http_request_build_proxied(&url, s, "webtrace-fuzz", proxy_auth, &req)
                       : wt_http_request_build(&url, s, "webtrace-fuzz", &req);
    if (rc == 0) {
        check_request(&req, s, proxied, proxied ? proxy_auth : NULL);
        /* -T FILE to a URL ending in '/' is named after the file (when sent) */
        int named = s->upload && !s->get && (variant & RICH_DIR_URL);
        if ((strstr(req.target, "/d/up%20load.bin?q=1") != NULL) != named)
            abort();
        wt_http_request_clear(&req);
    }
    wt_reqspec_free(s);
    wt_url_clear(&url);
}

/* curl's judgement of a response to a Range: without -C only the status
 * decides; with it, 416 means complete, a Content-Range starting at the
 * offset is the part asked for, and a whole body is complete exactly when
 * it has the file's size. */
static void check_range_outcome(int status, int64_t resume_from, const char *content_range,
                                size_t len, int64_t content_length)
{
    enum wt_range_outcome o =
        wt_range_outcome_of(status, resume_from, content_range, len, content_length);
    if (resume_from <= 0) {
        enum wt_range_outcome want = status == 206   ? WT_RANGE_PARTIAL
                                     : status == 416 ? WT_RANGE_UNSATISFIABLE
                                     : status >= 200 && status < 300 ? WT_RANGE_IGNORED
                                                                     : WT_RANGE_NONE;
        if (o != want)
            abort();
        return;
    }
    if (o != WT_RANGE_PARTIAL && o != WT_RANGE_IGNORED && o != WT_RANGE_COMPLETE)
        abort();
    if ((status == 416 && o != WT_RANGE_COMPLETE) ||
        (o == WT_RANGE_IGNORED && content_length == resume_from))
        abort();
    if (!content_range && status != 416 &&
        o != (content_length == resume_from ? WT_RANGE_COMPLETE : WT_RANGE_IGNORED))
        abort();
    /* the form a server writes for the part asked for */
    char written[64];
    int n = snprintf(written, sizeof written, "bytes %lld-%lld/*", (long long)resume_from,
                     (long long)(resume_from < INT64_MAX - 9 ? resume_from + 9 : resume_from));
    if (status != 416 &&
        wt_range_outcome_of(status, resume_from, written, (size_t)n, content_length) !=
            WT_RANGE_PARTIAL)
        abort();
}

/* A response's callbacks hold what the reader promises: a status line
 * already vetted (HTTP/1.x, three digits), header names and values
 * without CR or LF, counts within the caps. */
static void on_status(void *ctx, int major, int minor, int status, const char *reason,
                      size_t reason_len)
{
    (void)ctx;
    if (major != 1 || (minor != 0 && minor != 1) || status < 100 || status > 999 ||
        memchr(reason, '\r', reason_len) || memchr(reason, '\n', reason_len))
        abort();
}

static void on_header(void *ctx, const char *name, size_t name_len, const char *value,
                      size_t value_len, int folded)
{
    (void)ctx;
    (void)folded;
    if (memchr(name, '\r', name_len) || memchr(name, '\n', name_len) ||
        memchr(value, '\r', value_len) || memchr(value, '\n', value_len))
        abort();
}

static void on_headers_done(void *ctx, int status, enum wt_body_framing framing,
                            int64_t content_length, int keep_alive, size_t n_headers,
                            size_t header_bytes)
{
    (void)ctx;
    (void)keep_alive;
    if (status < 100 || status > 999 || n_headers > WT_HTTP_MAX_HEADERS ||
        header_bytes > WT_HTTP_MAX_HEADER_BYTES ||
        (framing == WT_FRAMING_CONTENT_LENGTH && content_length < 0))
        abort();
}

/* Under --strict a deviation is the failure instead; otherwise each kind
 * is reported once per reader, with its name and RFC clause. */
static void on_deviation(void *ctx, enum wt_http_deviation d)
{
    struct body *b = ctx;
    const char *name = wt_http_deviation_name(d), *rfc = wt_http_deviation_rfc(d);
    if (b->strict || (d & (d - 1)) != 0 || (b->deviations & (unsigned)d) || !name || !name[0] ||
        !rfc || strncmp(rfc, "RFC ", 4) != 0)
        abort();
    b->deviations |= (unsigned)d;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t step = (size_t)data[0] + 1;
    int head = data[1] & 1;
    int strict = (data[1] & 16) != 0;
    struct body body = { 0, (data[1] & 2) != 0, strict, 0 };
    unsigned variant = data[0], header_mask = 0;
    /* the old one-byte choice: the first six -H lines by the low bits */
    for (unsigned i = 0; i < 6; i++)
        header_mask |= ((variant >> (i % 4)) & 1u) << i;
    unsigned status_pick = 0, resume_pick = 0;
    int judge_range = 0;
    if ((data[1] & 64) && size >= 8) {
        variant = data[2] | (unsigned)data[3] << 8;
        header_mask = data[4] | (unsigned)data[5] << 8;
        status_pick = data[6];
        resume_pick = data[7];
        judge_range = 1;
    }
    if (data[1] & 4)
        build_request((data[1] & 8) != 0);
    if (data[1] & 32)
        build_rich_request(variant, header_mask);
    data += judge_range ? 8 : 2;
    size -= judge_range ? 8 : 2;
    if (judge_range) {
        /* the response's first line is the Content-Range value */
        static const int statuses[] = { 200, 206, 416, 204, 301, 404, 299, 100 };
        static const int64_t offsets[] = { 0, 1, 100, 1234, 5, INT64_MAX, -1, 99999 };
        int status = statuses[status_pick % 8];
        if (status_pick >= 8)
            status = (int)(status_pick * 3);   /* 24..765: any code */
        int64_t resume_from = offsets[resume_pick % 8];
        int64_t content_length = (resume_pick & 8) ? resume_from : (resume_pick & 16) ? -1 : 10;
        size_t line = 0;
        while (line < size && data[line] != '\n')
            line++;
        check_range_outcome(status, resume_from, (resume_pick & 32) ? NULL : (const char *)data,
                            (resume_pick & 32) ? 0 : line, content_length);
    }
    struct wt_http_callbacks cb = { on_status, on_header, on_headers_done, on_body, on_deviation };
    struct wt_http_reader *r = wt_http_reader_new(&cb, &body, head);
    if (!r)
        return 0;
    wt_http_reader_set_strict(r, strict);
    enum wt_http_read st = WT_HTTP_NEED_MORE;
    for (size_t off = 0; off < size && st == WT_HTTP_NEED_MORE; off += step) {
        size_t n = size - off < step ? size - off : step;
        st = wt_http_reader_feed(r, (const char *)data + off, n);
    }
    if (st == WT_HTTP_NEED_MORE)
        st = wt_http_reader_eof(r);
    if (st == WT_HTTP_NEED_MORE)
        abort();
    if (st == WT_HTTP_FAILED &&
        (wt_http_reader_exit_code(r) == 0 || !wt_http_reader_error(r) ||
         !wt_http_reader_error(r)[0]))
        abort();
    if (body.bytes != wt_http_reader_body_bytes(r) || wt_http_reader_bytes_fed(r) > size)
        abort();
    /* the end is the end: feeding or closing again changes nothing */
    if (wt_http_reader_eof(r) != st || wt_http_reader_feed(r, "x", 1) != st)
        abort();
    enum wt_body_framing framing = wt_http_reader_framing(r);
    if (framing != WT_FRAMING_NONE && framing != WT_FRAMING_CONTENT_LENGTH &&
        framing != WT_FRAMING_CHUNKED && framing != WT_FRAMING_UNTIL_CLOSE)
        abort();
    if (wt_http_reader_keep_alive(r) != 0 && wt_http_reader_keep_alive(r) != 1)
        abort();
    wt_http_reader_free(r);
    return 0;
}
