/* libFuzzer: any bytes as a --url @FILE list. What the reader yields must
 * match a plain model of the format: lines split at '\n'; a line over
 * WT_URL_LINE_MAX - 2 bytes refused whole; a line with a NUL byte refused;
 * blanks and CRs trimmed at the ends; blank lines and #comments skipped.
 * The URLs then go into a urlset, whose origin counts must agree with a
 * count made by parsing each URL again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/url.h"
#include "webtrace/urllist.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static int is_trim_tail(unsigned char c)
{
    return c == '\r' || c == ' ' || c == '\t';
}

/* The model's next item from data[*pos...]: -1 at the end, else the item,
 * with the URL's bytes as (*url, *url_len). */
static int model_next(const unsigned char *data, size_t size, size_t *pos,
                      const unsigned char **url, size_t *url_len)
{
    while (*pos < size) {
        const unsigned char *line = data + *pos;
        const unsigned char *nl = memchr(line, '\n', size - *pos);
        size_t len = nl ? (size_t)(nl - line) : size - *pos;
        *pos += len + (nl ? 1 : 0);
        if (len > WT_URL_LINE_MAX - 2)
            return WT_URLLIST_TOO_LONG;
        if (memchr(line, '\0', len))
            return WT_URLLIST_NUL_BYTE;
        while (len && is_trim_tail(line[len - 1]))
            len--;
        while (len && (*line == ' ' || *line == '\t')) {
            line++;
            len--;
        }
        if (!len || *line == '#')
            continue;
        *url = line;
        *url_len = len;
        return WT_URLLIST_URL;
    }
    return -1;
}

/* For each URL that parses: the set's origin for it must be the parser's,
 * its count of URLs to that origin from its own index on what a plain
 * scan finds, and 0 past the end. */
static void check_origins(struct wt_urlset *set)
{
    size_t n = wt_urlset_count(set);
    for (size_t i = 0; i < n; i++) {
        struct wt_url a;
        char err[8];
        enum wt_scheme scheme;
        const char *host;
        uint16_t port;
        int known = wt_urlset_origin_of(set, i, &scheme, &host, &port);
        if (wt_url_parse(wt_urlset_url(set, i), &a, err, sizeof err) != WT_URL_OK) {
            if (known)
                abort();
            continue;
        }
        if (!known || scheme != a.scheme || port != a.port || strcmp(host, a.host) != 0)
            abort();
        size_t want = 0;
        for (size_t j = i; j < n; j++) {
            struct wt_url b;
            if (wt_url_parse(wt_urlset_url(set, j), &b, err, sizeof err) != WT_URL_OK)
                continue;
            want += a.scheme == b.scheme && a.port == b.port && strcmp(a.host, b.host) == 0;
            wt_url_clear(&b);
        }
        if (wt_urlset_origin_after(set, a.scheme, a.host, a.port, i) != want ||
            wt_urlset_origin_after(set, a.scheme, a.host, a.port, n) != 0)
            abort();
        wt_url_clear(&a);
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    /* fmemopen of size 0 fails; an empty list is the same as none */
    if (size == 0)
        return 0;
    FILE *in = fmemopen((void *)data, size, "r");
    if (!in)
        return 0;
    struct wt_urllist list;
    wt_urllist_init(&list, in);
    struct wt_urlset *set = wt_urlset_new();
    if (!set)
        abort();
    size_t pos = 0;
    for (;;) {
        const char *url = NULL;
        enum wt_urllist_item got = wt_urllist_next(&list, &url);
        const unsigned char *want_url = NULL;
        size_t want_len = 0;
        int want = model_next(data, size, &pos, &want_url, &want_len);
        if (want < 0) {
            if (got != WT_URLLIST_END)
                abort();
            break;
        }
        if ((int)got != want)
            abort();
        if (got == WT_URLLIST_URL &&
            (strlen(url) != want_len || memcmp(url, want_url, want_len) != 0))
            abort();
        if (got == WT_URLLIST_URL && wt_urlset_count(set) < 64 && wt_urlset_add(set, url) < 0)
            abort();
    }
    check_origins(set);
    wt_urlset_free(set);
    fclose(in);
    return 0;
}
