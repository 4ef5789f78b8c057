/* progress: the one-line meter on a terminal while a body takes longer than
 * a second: bytes, percent when the size is known, rate, time left. A
 * renderer fed by the trace's body samples and redrawn on the loop's timer;
 * it never reads a socket and never writes anywhere but the narration. */
#ifndef WEBTRACE_PROGRESS_H
#define WEBTRACE_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "webtrace/render.h"

#define WT_PROGRESS_DELAY_US 1000000     /* a body shorter than this shows no meter */
#define WT_PROGRESS_REDRAW_US 100000     /* at most ten redraws a second */
#define WT_PROGRESS_RATE_WINDOW 20       /* redraws the rate is averaged over (2 s) */

/* What one drawing of the meter says. */
struct wt_progress_figures {
    uint64_t bytes;         /* received so far by the bodies in progress */
    int64_t total;          /* their sizes added up; -1 when one is unknown */
    double rate;            /* bytes per second lately */
    size_t running;         /* bodies in progress; 0: not a -Z run, no count shown */
};

/* Pure: the meter's text (no control sequences) into buf, in the
 * narration's language, cut to at most width columns. */
void wt_progress_format(const struct wt_progress_figures *f, size_t width, char *buf,
                        size_t buflen);

/* The renderer. Needs config->loop; draws on config->out. */
extern const struct wt_renderer wt_render_progress;

#endif
