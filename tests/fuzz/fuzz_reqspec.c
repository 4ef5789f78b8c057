/* libFuzzer: the request builder fed any -H, -d, --data-urlencode and
 * --json pieces, -X/-A/-e/-u values, -I/-G and -T's upload (its name, PUT,
 * chunked, Expect). Input: a flags byte, then
 * NUL-separated fields, each a kind byte and its value. Whatever it is
 * given, the head must be CRLF lines ending in one empty line, with one
 * line per counted header, and the body must be what Content-Length says. */
#include <stdlib.h>
#include <string.h>

#include "webtrace/http.h"
#include "webtrace/reqspec.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* What the command line refuses before the builder sees it. */
static int cli_would_take(const char *v)
{
    return !strpbrk(v, "\r\n");
}

static int valid_method(const char *m)
{
    if (!*m)
        return 0;
    for (; *m; m++)
        if (!((*m >= 'A' && *m <= 'Z') || (*m >= 'a' && *m <= 'z') || (*m >= '0' && *m <= '9') ||
              strchr("!#$%&'*+-.^_`|~", *m)))
            return 0;
    return 1;
}

static void check(const struct wt_http_request *req, const struct wt_reqspec *s)
{
    const char *t = req->text;
    if (req->head_len < 4 || req->head_len + req->body_len != req->len ||
        memcmp(t + req->head_len - 4, "\r\n\r\n", 4) != 0)
        abort();
    size_t lines = 0;
    for (size_t i = 0; i < req->head_len; i++) {
        if (t[i] == '\r' && t[i + 1] != '\n')
            abort();   /* a bare CR would split a line for some servers */
        if (t[i] == '\n') {
            if (i == 0 || t[i - 1] != '\r')
                abort();
            lines++;
        }
        if (t[i] == '\0')
            abort();
    }
    /* request line + headers + the empty line; the head ends only once */
    if (lines != req->n_headers + 2 || strstr(t, "\r\n\r\n") != t + req->head_len - 4)
        abort();
    if (s->has_body && !s->get && req->body_len != s->body.len)
        abort();
    if ((!s->has_body || s->get) && req->body_len != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1)
        return 0;
    struct wt_reqspec *s = wt_reqspec_new();
    char *text = malloc(size);
    if (!s || !text) {
        wt_reqspec_free(s);
        free(text);
        return 0;
    }
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    s->head = data[0] & 1;
    s->get = (data[0] >> 1) & 1;
    s->upload = (data[0] >> 5) & 1;    /* -T */
    s->chunked = (data[0] >> 6) & 1;   /* -T - */
    const char *end = text + size - 1;
    for (const char *p = text; p < end; p += strlen(p) + 1) {
        if (!*p)
            continue;
        const char *v = p + 1;
        size_t len = strlen(v);
        char err[128];
        switch (*p) {
        case 'H': wt_reqspec_add_header(s, v, len, err, sizeof err); break;
        case 'd': wt_reqspec_add_data(s, WT_DATA_ASCII, v, len, data[0] & 4); break;
        case 'b': wt_reqspec_add_data(s, WT_DATA_BINARY, v, len, 1); break;
        case 'u': wt_reqspec_add_data(s, WT_DATA_URLENCODE, v, len, data[0] & 8); break;
        case 'j': wt_reqspec_add_data(s, WT_DATA_JSON, v, len, 0); break;
        case 'X': if (valid_method(v)) s->method = v; break;
        case 'A': if (cli_would_take(v)) s->user_agent = v; break;
        case 'e': if (cli_would_take(v)) s->referer = v; break;
        case 'U': wt_reqspec_set_user(s, v); break;
        case 'T':
            /* -T's name as reqload percent-encodes it: no '?', '#' or controls */
            if (!strpbrk(v, "?#/\r\n\t ")) {
                free(s->upload_name);
                s->upload_name = strdup(v);
            }
            break;
        default: break;
        }
    }
    struct wt_url url;
    char err[256];
    const char *target = (data[0] & 16) ? "http://h.test:81/p?q=1" : "http://[::1]/";
    if (wt_url_parse(target, &url, err, sizeof err) == WT_URL_OK) {
        struct wt_http_request req;
        if (wt_http_request_build(&url, s, "webtrace/fuzz", &req) == 0) {
            check(&req, s);
            wt_http_request_clear(&req);
        }
        wt_url_clear(&url);
    }
    wt_reqspec_free(s);
    free(text);
    return 0;
}
