#include "webtrace/urllist.h"

#include <stdint.h>
#include <stdlib.h>
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

/* ---- the run's URLs and their origins ----------------------------------- */

#define ORIGIN_KEY_MAX (WT_HOST_MAX_LEN + 16)

struct origin_url {
    char *key;                       /* "scheme port host" */
    size_t index;
};

struct url_origin {                  /* one URL's, by index */
    int known;
    enum wt_scheme scheme;
    uint16_t port;
    const char *host;                /* inside its row's key */
};

struct wt_urlset {
    char **urls;
    size_t n, cap;
    struct origin_url *origins;      /* sorted by key and index, built on the first question */
    size_t n_origins;
    struct url_origin *by_index;     /* built with them */
    int indexed;
};

struct wt_urlset *wt_urlset_new(void)
{
    return calloc(1, sizeof(struct wt_urlset));
}

int wt_urlset_add(struct wt_urlset *s, const char *url)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        char **urls = realloc(s->urls, cap * sizeof *urls);
        if (!urls)
            return -1;
        s->urls = urls;
        s->cap = cap;
    }
    s->urls[s->n] = strdup(url);
    if (!s->urls[s->n])
        return -1;
    s->n++;
    s->indexed = 0;
    return 0;
}

size_t wt_urlset_count(const struct wt_urlset *s)
{
    return s->n;
}

const char *wt_urlset_url(const struct wt_urlset *s, size_t index)
{
    return index < s->n ? s->urls[index] : NULL;
}

static void origin_key(enum wt_scheme scheme, const char *host, uint16_t port, char *buf,
                       size_t buflen)
{
    snprintf(buf, buflen, "%d %u %s", (int)scheme, (unsigned)port, host);
}

static int by_key_then_index(const void *a, const void *b)
{
    const struct origin_url *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

static void free_origins(struct wt_urlset *s)
{
    for (size_t i = 0; i < s->n_origins; i++)
        free(s->origins[i].key);
    free(s->origins);
    s->origins = NULL;
    s->n_origins = 0;
    free(s->by_index);
    s->by_index = NULL;
}

/* One row per URL that parses, sorted by origin, then index. */
static int index_origins(struct wt_urlset *s)
{
    free_origins(s);
    s->origins = calloc(s->n ? s->n : 1, sizeof *s->origins);
    s->by_index = calloc(s->n ? s->n : 1, sizeof *s->by_index);
    if (!s->origins || !s->by_index)
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        struct wt_url url;
        char err[8], key[ORIGIN_KEY_MAX];
        if (wt_url_parse(s->urls[i], &url, err, sizeof err) != WT_URL_OK)
            continue;
        origin_key(url.scheme, url.host, url.port, key, sizeof key);
        enum wt_scheme scheme = url.scheme;
        uint16_t port = url.port;
        wt_url_clear(&url);
        char *copy = strdup(key);
        if (!copy)
            return -1;
        s->origins[s->n_origins++] = (struct origin_url){ copy, i };
        /* the key is "scheme port host": the host is its third field */
        const char *host = strchr(strchr(copy, ' ') + 1, ' ') + 1;
        s->by_index[i] = (struct url_origin){ 1, scheme, port, host };
    }
    qsort(s->origins, s->n_origins, sizeof *s->origins, by_key_then_index);
    s->indexed = 1;
    return 0;
}

size_t wt_urlset_origin_after(struct wt_urlset *s, enum wt_scheme scheme, const char *host,
                              uint16_t port, size_t from)
{
    if (!s->indexed && index_origins(s) < 0)
        return SIZE_MAX;   /* out of memory: keeping costs less than a wrong close */
    char key[ORIGIN_KEY_MAX];
    origin_key(scheme, host, port, key, sizeof key);
    /* the first row at or after (key, from), then every row of the key */
    struct origin_url probe = { key, from };
    size_t lo = 0, hi = s->n_origins;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (by_key_then_index(&s->origins[mid], &probe) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    while (lo + n < s->n_origins && strcmp(s->origins[lo + n].key, key) == 0)
        n++;
    return n;
}

int wt_urlset_origin_of(struct wt_urlset *s, size_t index, enum wt_scheme *scheme,
                        const char **host, uint16_t *port)
{
    if ((!s->indexed && index_origins(s) < 0) || index >= s->n || !s->by_index[index].known)
        return 0;
    *scheme = s->by_index[index].scheme;
    *host = s->by_index[index].host;
    *port = s->by_index[index].port;
    return 1;
}

void wt_urlset_free(struct wt_urlset *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->urls[i]);
    free(s->urls);
    free_origins(s);
    free(s);
}
