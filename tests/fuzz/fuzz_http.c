/* libFuzzer: any bytes as an HTTP response, fed in pieces whose sizes come
 * from the first input byte, then EOF. The second byte holds flags: bit 0
 * the request was HEAD, bit 1 writing the body fails (exit 23), bit 2 also
 * build a request (bit 3 picks its URL). The reader must end in exactly one
 * of its documented states. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/http.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

struct body {
    uint64_t bytes;
    int fail_write;
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

/* Every part of the request builder once: -u, -A, -e, -H edits, -d
 * (or -G, or --json), so the builder's lines are exercised here too. */
static void build_rich_request(int variant)
{
    struct wt_url url;
    char err[256];
    if (wt_url_parse("http://h.test:81/p?q=1", &url, err, sizeof err) != WT_URL_OK)
        abort();
    struct wt_reqspec *s = wt_reqspec_new();
    if (!s) {
        wt_url_clear(&url);
        return;
    }
    static const char *const headers[] = { "X-A: 1", "Accept: text/x", "X-E;", "User-Agent:",
                                           "Host: o.test", "Content-Type: text/plain" };
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++)
        if ((variant >> (i % 4)) & 1)
            wt_reqspec_add_header(s, headers[i], strlen(headers[i]), err, sizeof err);
    s->referer = "http://r/";
    s->user_agent = (variant & 1) ? "agent" : NULL;
    s->get = (variant & 2) != 0;
    s->method = (variant & 4) ? "PATCH" : NULL;
    wt_reqspec_set_user(s, "u:p");
    if (variant & 8)
        wt_reqspec_add_data(s, WT_DATA_JSON, "{}", 2, 0);
    else
        wt_reqspec_add_data(s, WT_DATA_URLENCODE, "n=a b\r\n", 7, 0);
    struct wt_http_request req;
    if (wt_http_request_build(&url, s, "webtrace-fuzz", &req) == 0) {
        if (req.head_len + req.body_len != req.len ||
            strstr(req.text, "\r\n\r\n") != req.text + req.head_len - 4)
            abort();
        wt_http_request_clear(&req);
    }
    wt_reqspec_free(s);
    wt_url_clear(&url);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t step = (size_t)data[0] + 1;
    int head = data[1] & 1;
    int strict = (data[1] & 16) != 0;
    struct body body = { 0, (data[1] & 2) != 0 };
    if (data[1] & 4)
        build_request((data[1] & 8) != 0);
    if (data[1] & 32)
        build_rich_request(data[0]);
    data += 2;
    size -= 2;
    struct wt_http_callbacks cb = { NULL, NULL, NULL, on_body, NULL };
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
    if (st == WT_HTTP_FAILED && wt_http_reader_exit_code(r) == 0)
        abort();
    if (body.bytes != wt_http_reader_body_bytes(r))
        abort();
    wt_http_reader_free(r);
    return 0;
}
