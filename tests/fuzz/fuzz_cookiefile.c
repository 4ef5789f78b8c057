/* libFuzzer: any bytes as a -b cookie file, and each of its lines as a
 * Set-Cookie header from a fixed host. Whatever it is given, every stored
 * cookie must have a name and must match the host it came from; the jar
 * written in the Netscape format must read back to the same cookies; and
 * a Cookie header built from it must hold no CR or LF. */
#include <stdlib.h>
#include <string.h>

#include "webtrace/cookie.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define NOW ((int64_t)1800000000)

static void check_header(const struct wt_cookie_jar *jar, const char *host, const char *path,
                         int secure)
{
    size_t sent[WT_COOKIE_MAX_SENT];
    size_t n = wt_cookie_select(jar, host, path, secure, NOW, sent, WT_COOKIE_MAX_SENT);
    for (size_t i = 0; i < n; i++) {
        const struct wt_cookie *c = jar->cookies[sent[i]];
        if (!wt_cookie_domain_match(c, host) || (c->secure && !secure))
            abort();
    }
    char *h = wt_cookie_header(jar, sent, n, "x=1");
    if (h && strpbrk(h, "\r\n"))
        abort();
    free(h);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct wt_cookie_jar *jar = wt_cookie_jar_new();
    if (!jar)
        return 0;
    wt_cookie_load(jar, (const char *)data, size, NOW);
    for (size_t i = 0; i < jar->n; i++)
        if (!jar->cookies[i]->name[0])
            abort();

    /* the same bytes, line by line, as Set-Cookie headers of a response */
    struct wt_cookie_jar *got = wt_cookie_jar_new();
    const char *p = (const char *)data, *end = p + size;
    while (got && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        const struct wt_cookie *c;
        const char *reason;
        char name[64];
        enum wt_cookie_action a = wt_cookie_set(got, p, len, "www.example.test", "/a/b?q=/c",
                                                size & 1, NOW, &c, &reason, name, sizeof name);
        if ((a == WT_COOKIE_STORED || a == WT_COOKIE_REPLACED) &&
            (!c || !wt_cookie_domain_match(c, "www.example.test") || !c->name[0]))
            abort();
        if (a == WT_COOKIE_REJECTED && !reason)
            abort();
        p += len + 1;
    }
    if (got) {
        check_header(got, "www.example.test", "/a/b/c", 1);
        check_header(got, "example.test", "/", 0);
    }

    /* written and read back: the same cookies */
    struct wt_buf text = { 0 };
    if (got && wt_cookie_write(got, NOW, &text) == 0) {
        struct wt_cookie_jar *again = wt_cookie_jar_new();
        if (again) {
            wt_cookie_load(again, text.data, text.len, NOW);
            /* values with a tab or a line break cannot survive the format */
            size_t plain = 0;
            for (size_t i = 0; i < got->n; i++)
                plain += !strpbrk(got->cookies[i]->value, "\t\r\n") &&
                         !strpbrk(got->cookies[i]->name, "\t\r\n") &&
                         strcspn(got->cookies[i]->path ? got->cookies[i]->path : "/", "\t\r\n") ==
                             strlen(got->cookies[i]->path ? got->cookies[i]->path : "/");
            if (plain == got->n && again->n != got->n)
                abort();
            wt_cookie_jar_free(again);
        }
    }
    wt_buf_free(&text);
    check_header(jar, "www.example.test", "/", 1);
    wt_cookie_jar_free(got);
    wt_cookie_jar_free(jar);
    return 0;
}
