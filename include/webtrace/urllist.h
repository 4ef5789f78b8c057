/* urllist: the URLs of a --url @FILE list, one per line: blank lines and
 * #comments skipped, surrounding blanks trimmed, over-long lines refused;
 * and the run's whole set of URLs with the origin each goes to, so a
 * finished fetch can ask whether a later URL could reuse its connection.
 * Reads from a FILE the caller opened; traces nothing, prints nothing. */
#ifndef WEBTRACE_URLLIST_H
#define WEBTRACE_URLLIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "webtrace/url.h"

#define WT_URL_LINE_MAX 8192     /* a list line, newline and NUL included */

enum wt_urllist_item {
    WT_URLLIST_END,              /* end of file, or a read error (see ferror) */
    WT_URLLIST_URL,              /* *url points to the next URL */
    WT_URLLIST_TOO_LONG,         /* a line over WT_URL_LINE_MAX - 2 bytes, skipped */
    WT_URLLIST_NUL_BYTE          /* a line with a NUL byte (UTF-16?), skipped */
};

struct wt_urllist {
    FILE *in;
    char line[WT_URL_LINE_MAX];
};

void wt_urllist_init(struct wt_urllist *list, FILE *in);
/* The next item. A URL stays valid until the next call. */
enum wt_urllist_item wt_urllist_next(struct wt_urllist *list, const char **url);

/* The run's URLs in the order they run: the command line's, then a list's.
 * Each is copied. */
struct wt_urlset;

struct wt_urlset *wt_urlset_new(void);
/* Returns 0, or -1 when out of memory. */
int wt_urlset_add(struct wt_urlset *s, const char *url);
size_t wt_urlset_count(const struct wt_urlset *s);
const char *wt_urlset_url(const struct wt_urlset *s, size_t index);
/* How many URLs at index `from` or later go to the origin (scheme, host,
 * port, as the URL parser makes them); a URL that does not parse goes
 * nowhere. Sorted once after the last add, then O(log n + answer).
 * SIZE_MAX when out of memory. */
size_t wt_urlset_origin_after(struct wt_urlset *s, enum wt_scheme scheme, const char *host,
                              uint16_t port, size_t from);
/* The origin URL index goes to, as parsed when the set was sorted: 0 when
 * it does not parse (or out of memory), else 1 with *scheme, *host (valid
 * until the set changes) and *port. */
int wt_urlset_origin_of(struct wt_urlset *s, size_t index, enum wt_scheme *scheme,
                        const char **host, uint16_t *port);
void wt_urlset_free(struct wt_urlset *s);

#endif
