/* render: renderers turn events into output. Each is a table row of
 * begin/event/end; adding one touches no mechanic. Only renderers print. */
#ifndef WEBTRACE_RENDER_H
#define WEBTRACE_RENDER_H

#include <stdio.h>
#include "webtrace/event.h"

struct wt_render_config {
    FILE *out;
    int color;        /* ANSI colour (a terminal, no NO_COLOR, no --no-color) */
    int verbose;      /* -v: all headers */
    int silent;       /* -s: errors only */
};

struct wt_renderer {
    const char *name;
    void *(*begin)(const struct wt_render_config *config);
    void (*event)(void *state, const struct wt_event *ev);
    void (*end)(void *state);
};

extern const struct wt_renderer wt_render_text;

/* Formats a duration for people: "0.31 ms", "12.4 ms", "1.52 s". */
void wt_format_duration(int64_t us, char *buf, size_t buflen);

#endif
