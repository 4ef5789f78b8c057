/* libFuzzer: any bytes as a -i URL list. What the reader yields must match
 * a plain model of the format: lines split at '\n'; a line over
 * WT_URL_LINE_MAX - 2 bytes refused whole; a line with a NUL byte refused;
 * blanks and CRs trimmed at the ends; blank lines and #comments skipped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    }
    fclose(in);
    return 0;
}
