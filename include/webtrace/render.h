/* render: renderers turn events into output. Each is a table row of
 * begin/event/end; adding one touches no mechanic. Only renderers print. */
#ifndef WEBTRACE_RENDER_H
#define WEBTRACE_RENDER_H

#include <stdio.h>
#include "webtrace/event.h"

struct wt_loop;

struct wt_render_config {
    FILE *out;              /* narration: stderr */
    FILE *data_out;         /* data: stdout (NDJSON, write-out) */
    int color;              /* ANSI colour (a terminal, no NO_COLOR, no --no-color) */
    int verbose;            /* -v: all headers */
    int silent;             /* -s: errors only; -s -s: not even errors */
    int explain;            /* --explain: what each step means, under it */
    const char *writeout;   /* -w format, already read from @file */
    const char *har_path;   /* --har FILE */
    int url_table;          /* text: a table of the URLs at the end, when there were several */
    int url_prefix;         /* text: URLs run at once (-Z): each line starts with "[index] " */
    struct wt_loop *loop;   /* the run's loop: the progress meter keeps time on its timers */
    const char *waterfall_path; /* --waterfall FILE.svg */
    int waterfall_text;     /* the text waterfall at the end (a terminal, no -s, no --no-waterfall) */
};

struct wt_renderer {
    const char *name;
    /* NULL on failure (out of memory, or a file that cannot be created). */
    void *(*begin)(const struct wt_render_config *config);
    void (*event)(void *state, const struct wt_event *ev);
    /* Finishes output and frees state; 0, or -1 when writing failed (exit
     * 23), or a positive exit code (27: out of memory). */
    int (*end)(void *state);
};

extern const struct wt_renderer wt_render_text;
extern const struct wt_renderer wt_render_json;
extern const struct wt_renderer wt_render_writeout;
extern const struct wt_renderer wt_render_har;

/* The version of the machine outputs' schema, in every NDJSON event, the
 * -w %{json} object and the HAR's creator.comment. Bumped only when a field
 * disappears or changes name, type or meaning (docs/json.md); adding one
 * does not bump it. */
#define WT_JSON_SCHEMA_VERSION 1

struct wt_json;
struct wt_facts;
/* Every -w variable of f, typed, as one JSON object under key. */
void wt_json_write_vars(struct wt_json *j, const char *key, const struct wt_facts *f);
/* The same variables as members of an object the caller has begun. */
void wt_json_write_var_members(struct wt_json *j, const struct wt_facts *f);
/* "dns_query", "tcp_established", ... */
const char *wt_event_name(enum wt_event_kind kind);

/* The "What to try next" hints that end `webtrace demo`, on out. */
void wt_render_demo_next(FILE *out);

/* Formats a duration for people: "0.31 ms", "12.4 ms", "1.52 s". */
void wt_format_duration(int64_t us, char *buf, size_t buflen);

#endif
