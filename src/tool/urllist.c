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
    while (fgets(line, sizeof list->line, list->in)) {
        size_t len = strlen(line);
        if (len && line[len - 1] != '\n' && !feof(list->in)) {
            /* Skip the rest of the line: its tail must not be read as a URL. */
            int c;
            while ((c = fgetc(list->in)) != EOF && c != '\n')
                ;
            return WT_URLLIST_TOO_LONG;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || is_blank(line[len - 1])))
            line[--len] = '\0';
        char *p = line;
        while (is_blank(*p))
            p++;
        if (!*p || *p == '#')
            continue;
        *url = p;
        return WT_URLLIST_URL;
    }
    return WT_URLLIST_END;
}
