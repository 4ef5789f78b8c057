/* urllist: the URLs of a --url @FILE list, one per line: blank lines and
 * #comments skipped, surrounding blanks trimmed, over-long lines refused.
 * Reads from a FILE the caller opened; traces nothing, prints nothing. */
#ifndef WEBTRACE_URLLIST_H
#define WEBTRACE_URLLIST_H

#include <stdio.h>

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

#endif
