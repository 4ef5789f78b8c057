/* -w/--write-out: curl's format language over the variable table, written
 * once per URL when its transfer ends (after the last hop), as curl does. */
#include "webtrace/render.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "webtrace/escape.h"
#include "webtrace/facts.h"
#include "webtrace/i18n.h"
#include "webtrace/json.h"

struct writeout_state {
    struct wt_render_config cfg;
    struct wt_facts_set facts;
    int failed;        /* a write to the data stream failed */
};

/* Values are raw bytes; on a terminal they are escaped like narration. */
static void put_value(FILE *out, const char *s, size_t len)
{
    if (isatty(fileno(out))) {
        char buf[WT_ESCAPE_TERM_MAX(256)];
        while (len) {
            size_t take = len > 256 ? 256 : len;
            wt_escape_term(s, take, buf, sizeof buf);
            fputs(buf, out);
            s += take;
            len -= take;
        }
        return;
    }
    fwrite(s, 1, len, out);
}

static void put_var(FILE *out, const struct wt_var *var, const struct wt_facts *f)
{
    struct wt_var_value v;
    memset(&v, 0, sizeof v);
    var->get(f, &v);
    if (!v.present)
        return;
    if (v.type == WT_VAR_STRING)
        put_value(out, v.s, v.s_len);
    else if (strcmp(var->name, "http_code") == 0 || strcmp(var->name, "response_code") == 0)
        fprintf(out, "%03lld", (long long)v.i);   /* curl: "000" when there was none */
    else if (v.type == WT_VAR_SECONDS)
        fprintf(out, "%lld.%06lld", (long long)(v.i / 1000000), (long long)(v.i % 1000000));
    else
        fprintf(out, "%lld", (long long)v.i);
}

static void put_header_json(FILE *out, const struct wt_facts *f)
{
    struct wt_json j;
    wt_json_init(&j, out);
    wt_json_object_begin(&j, NULL);
    /* curl's shape: lower-case names, each with all its values, first
     * appearance order. */
    for (size_t i = 0; i < f->n_headers; i++) {
        int seen = 0;
        for (size_t k = 0; k < i; k++)
            if (f->headers[k].name_len == f->headers[i].name_len &&
                strncasecmp(f->headers[k].name, f->headers[i].name, f->headers[i].name_len) == 0)
                seen = 1;
        if (seen)
            continue;
        char name[256];
        size_t n = f->headers[i].name_len < sizeof name - 1 ? f->headers[i].name_len
                                                            : sizeof name - 1;
        for (size_t c = 0; c < n; c++)
            name[c] = (char)tolower((unsigned char)f->headers[i].name[c]);
        name[n] = '\0';
        wt_json_array_begin(&j, name);
        for (size_t k = i; k < f->n_headers; k++)
            if (f->headers[k].name_len == f->headers[i].name_len &&
                strncasecmp(f->headers[k].name, f->headers[i].name, f->headers[i].name_len) == 0)
                wt_json_string(&j, NULL, f->headers[k].value, f->headers[k].value_len);
        wt_json_array_end(&j);
    }
    wt_json_object_end(&j);
}

static void put_header(FILE *out, const struct wt_facts *f, const char *name, size_t len)
{
    int first = 1;
    for (size_t i = 0; i < f->n_headers; i++) {
        if (f->headers[i].name_len != len || strncasecmp(f->headers[i].name, name, len) != 0)
            continue;
        if (!first)
            fputs(", ", out);
        put_value(out, f->headers[i].value, f->headers[i].value_len);
        first = 0;
    }
}

static void write_format(struct writeout_state *s, const struct wt_facts *f)
{
    const char *p = s->cfg.writeout;
    FILE *out = s->cfg.data_out;
    while (*p) {
        if (*p == '\\' && p[1]) {
            /* As curl: \n \r \t are control characters, any other pair is
             * written as it is. */
            char c = p[1];
            if (c == 'n' || c == 'r' || c == 't') {
                fputc(c == 'n' ? '\n' : c == 'r' ? '\r' : '\t', out);
            } else {
                fputc('\\', out);
                fputc(c, out);
            }
            p += 2;
            continue;
        }
        if (*p != '%') {
            fputc(*p++, out);
            continue;
        }
        if (p[1] == '%') {
            fputc('%', out);
            p += 2;
            continue;
        }
        if (strncmp(p, "%header{", 8) == 0) {
            const char *end = strchr(p + 8, '}');
            if (end) {
                put_header(out, f, p + 8, (size_t)(end - p - 8));
                p = end + 1;
                continue;
            }
        }
        if (p[1] == '{') {
            const char *name = p + 2;
            const char *end = strchr(name, '}');
            if (end) {
                size_t len = (size_t)(end - name);
                p = end + 1;
                const struct wt_var *var = wt_var_find(name, len);
                if (var) {
                    put_var(out, var, f);
                } else if (len == 4 && strncmp(name, "json", 4) == 0) {
                    /* The schema version first, as in every NDJSON
                     * event: a script reading only -w can check it. */
                    struct wt_json j;
                    wt_json_init(&j, out);
                    wt_json_object_begin(&j, NULL);
                    wt_json_int(&j, "schema", WT_JSON_SCHEMA_VERSION);
                    wt_json_write_var_members(&j, f);
                    wt_json_object_end(&j);
                } else if (len == 11 && strncmp(name, "header_json", 11) == 0) {
                    put_header_json(out, f);
                } else if (len == 6 && strncmp(name, "stderr", 6) == 0) {
                    fflush(out);
                    out = s->cfg.out;
                } else if (len == 6 && strncmp(name, "stdout", 6) == 0) {
                    fflush(out);
                    out = s->cfg.data_out;
                } else if (len == 7 && strncmp(name, "onerror", 7) == 0) {
                    if (f->exitcode == 0)
                        break;
                } else {
                    /* As curl: a warning per unknown name, and go on. */
                    fprintf(s->cfg.out, _("webtrace: warning: unknown --write-out variable '%.*s'\n"),
                            (int)(len > 64 ? 64 : len), name);
                }
                continue;
            }
        }
        fputc(*p++, out);
    }
    if (fflush(out) != 0 || ferror(out))
        s->failed = 1;
    if (out != s->cfg.data_out && (fflush(s->cfg.data_out) != 0 || ferror(s->cfg.data_out)))
        s->failed = 1;
}

static void *writeout_begin(const struct wt_render_config *config)
{
    struct writeout_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = *config;
    wt_facts_set_init(&s->facts);
    return s;
}

static void writeout_event(void *state, const struct wt_event *ev)
{
    struct writeout_state *s = state;
    const struct wt_facts *f = wt_facts_set_feed(&s->facts, ev);
    if (ev->kind == WT_EV_TRANSFER_DONE) {
        write_format(s, f);
        wt_facts_set_release(&s->facts, ev->url_index);
    }
}

static int writeout_end(void *state)
{
    struct writeout_state *s = state;
    int rc = s && s->failed ? -1 : 0;
    if (rc && s->cfg.silent < 2)
        fputs(_("webtrace: output: cannot write the --write-out output\n"), s->cfg.out);
    if (s)
        wt_facts_set_clear(&s->facts);
    free(s);
    return rc;
}

const struct wt_renderer wt_render_writeout = {
    .name = "writeout",
    .begin = writeout_begin,
    .event = writeout_event,
    .end = writeout_end,
};
