#include "webtrace/urllist.h"

#include <string.h>

void wt_urllist_init(struct wt_urllist *list, FILE *in)
{
    list->in = in;
    list->line[0] = '\0';
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

enum wt_urllist_item wt_urllist_next(struct wt_urllist *list, const char **url)
{
    char *line = list->line;
    for (;;) {
        /* Byte by byte, not fgets: fgets cannot tell a NUL byte from the
         * end of what it read, so a NUL passed for a cut-off long line. */
        size_t len = 0;
        int c, any = 0, too_long = 0, nul = 0;
        while ((c = getc(list->in)) != EOF && c != '\n') {
            any = 1;
            nul |= c == '\0';
            if (len < WT_URL_LINE_MAX - 2)
                line[len++] = (char)c;
            else
                too_long = 1;
        }
        if (c == EOF && !any)
            return WT_URLLIST_END;
        if (too_long)
            return WT_URLLIST_TOO_LONG;
        if (nul)
            return WT_URLLIST_NUL_BYTE;
        while (len && (line[len - 1] == '\r' || is_blank(line[len - 1])))
            len--;
        line[len] = '\0';
        char *p = line;
        while (is_blank(*p))
            p++;
        if (!*p || *p == '#')
            continue;
        *url = p;
        return WT_URLLIST_URL;
    }
}
