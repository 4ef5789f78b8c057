/* waterfall: the run's timings as bars on one time axis, one group of bars
 * (dns, connect, tls, wait, transfer) per hop of each URL: drawn on the
 * terminal at the end, or written as a standalone SVG picture. A renderer
 * of the summary events; it measures nothing itself. */
#ifndef WEBTRACE_WATERFALL_H
#define WEBTRACE_WATERFALL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "webtrace/render.h"

#define WT_WATERFALL_ROWS_MAX 200     /* hops kept for the picture; later ones are counted */
#define WT_WATERFALL_TEXT_ROWS_MAX 20 /* hops drawn on the terminal */
#define WT_WATERFALL_MIN_BAR 10       /* columns of the bar area, however narrow the terminal */
#define WT_WATERFALL_LABEL_MAX 512    /* bytes of a row's URL kept (escaped) */

enum wt_waterfall_phase {
    WT_WF_DNS,
    WT_WF_CONNECT,
    WT_WF_TLS,
    WT_WF_WAIT,
    WT_WF_TRANSFER,
    WT_WF_PHASES
};

/* One phase of one hop on the shared axis, microseconds from the run's
 * first start. */
struct wt_waterfall_bar {
    enum wt_waterfall_phase phase;
    int64_t start_us;
    int64_t len_us;
    int failed;               /* the hop failed in this phase: the bar ends at the failure */
};

struct wt_waterfall;

/* Collects events; NULL on out of memory. */
struct wt_waterfall *wt_waterfall_new(void);
void wt_waterfall_free(struct wt_waterfall *w);
void wt_waterfall_feed(struct wt_waterfall *w, const struct wt_event *ev);

/* The picture as text for a terminal columns wide (colour: ANSI, as the
 * narration's phases). */
void wt_waterfall_print(const struct wt_waterfall *w, FILE *out, size_t columns, int color);
/* The picture as a standalone SVG document. Returns 0, or -1 when writing
 * failed. */
int wt_waterfall_write_svg(const struct wt_waterfall *w, FILE *out);

/* Draws at the end: config->waterfall_text on config->out, and/or the SVG
 * to config->waterfall_path (by outfile's rules). */
extern const struct wt_renderer wt_render_waterfall;

#endif
