/* progress: the meter line under the narration while bodies arrive. The
 * trace samples each body's size (WT_EV_HTTP_BODY_PROGRESS); a timer on the
 * loop redraws from the latest samples, so a stalled body still shows its
 * rate falling. Any other event erases the line first: the narration's
 * renderer runs after this one and then starts on a clean line. */
#include "webtrace/progress.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "webtrace/i18n.h"
#include "webtrace/loop.h"
#include "webtrace/textwidth.h"

/* Move to the line's start and clear it (ECMA-48 EL 0). */
#define ERASE_LINE "\r\033[K"

struct body {
    int receiving;
    uint64_t bytes;
    int64_t total;          /* Content-Length, -1 unknown */
    int64_t since_us;       /* loop time its head ended */
};

struct sample {
    int64_t at_us;
    uint64_t bytes;         /* every body's bytes of this run of the meter */
};

struct progress_state {
    struct wt_render_config cfg;
    struct body *bodies;    /* by url_index */
    size_t n_bodies;
    uint64_t finished_bytes;   /* bodies that ended while others went on (-Z) */
    struct sample samples[WT_PROGRESS_RATE_WINDOW];
    size_t n_samples, next_sample;
    uint64_t timer;
    int shown;
};

static void format_size(uint64_t n, char *out, size_t len)
{
    if (n < 1024)
        snprintf(out, len, "%" PRIu64 " B", n);
    else if (n < 1024 * 1024)
        snprintf(out, len, "%.1f KiB", (double)n / 1024);
    else if (n < (uint64_t)1024 * 1024 * 1024)
        snprintf(out, len, "%.1f MiB", (double)n / (1024.0 * 1024));
    else
        snprintf(out, len, "%.2f GiB", (double)n / (1024.0 * 1024 * 1024));
}

/* H:MM:SS or M:SS as curl's meter; "--:--" when it cannot be known. */
static void format_eta(double seconds, char *out, size_t len)
{
    if (!(seconds >= 0) || seconds > 99 * 3600.0) {
        snprintf(out, len, "--:--");
        return;
    }
    unsigned s = (unsigned)(seconds + 0.5);
    if (s >= 3600)
        snprintf(out, len, "%u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(out, len, "%u:%02u", s / 60, s % 60);
}

void wt_progress_format(const struct wt_progress_figures *f, size_t width, char *buf,
                        size_t buflen)
{
    char got[32], total[32], rate[32], eta[32];
    format_size(f->bytes, got, sizeof got);
    format_size(f->rate > 0 ? (uint64_t)f->rate : 0, rate, sizeof rate);
    if (f->total >= 0) {
        uint64_t all = (uint64_t)f->total;
        int percent = all ? (int)((double)(f->bytes < all ? f->bytes : all) * 100.0 / (double)all)
                          : 100;
        format_size(all, total, sizeof total);
        format_eta(f->rate > 0 && all > f->bytes ? (double)(all - f->bytes) / f->rate
                                                 : f->rate > 0 ? 0 : -1,
                   eta, sizeof eta);
        if (f->running)
            /* TRANSLATORS: the -Z progress meter: bodies at once, received, of
             * their total size, percent, rate, time left (M:SS) */
            snprintf(buf, buflen, _("%1$u at once · %2$s of %3$s (%4$d%%) · %5$s/s · %6$s left"),
                     (unsigned)f->running, got, total, percent, rate, eta);
        else
            /* TRANSLATORS: the progress meter: received, of the size, percent,
             * rate, time left (M:SS) */
            snprintf(buf, buflen, _("%1$s of %2$s (%3$d%%) · %4$s/s · %5$s left"), got, total,
                     percent, rate, eta);
    } else if (f->running) {
        /* TRANSLATORS: the -Z progress meter when a size is unknown: bodies
         * at once, received, rate */
        snprintf(buf, buflen, _("%1$u at once · %2$s · %3$s/s"), (unsigned)f->running, got, rate);
    } else {
        /* TRANSLATORS: the progress meter when the size is unknown: received, rate */
        snprintf(buf, buflen, _("%1$s · %2$s/s"), got, rate);
    }
    buf[wt_text_fit(buf, strlen(buf), width)] = '\0';
}

static void *progress_begin(const struct wt_render_config *config)
{
    if (!config->loop)
        return NULL;
    struct progress_state *s = calloc(1, sizeof *s);
    if (s)
        s->cfg = *config;
    return s;
}

static struct body *body_of(struct progress_state *s, size_t index)
{
    if (index >= s->n_bodies) {
        size_t n = index + 1 > s->n_bodies * 2 ? index + 1 : s->n_bodies * 2;
        struct body *b = realloc(s->bodies, n * sizeof *b);
        if (!b)
            return NULL;   /* no meter for it: the narration says it all */
        memset(b + s->n_bodies, 0, (n - s->n_bodies) * sizeof *b);
        s->bodies = b;
        s->n_bodies = n;
    }
    return &s->bodies[index];
}

static void erase(struct progress_state *s)
{
    if (!s->shown)
        return;
    fputs(ERASE_LINE, s->cfg.out);
    fflush(s->cfg.out);
    s->shown = 0;
}

static void tick(struct wt_loop *loop, void *data);

static void arm(struct progress_state *s)
{
    if (!s->timer)
        s->timer = wt_loop_timer_at(s->cfg.loop, wt_loop_now(s->cfg.loop) + WT_PROGRESS_REDRAW_US,
                                    tick, s);
}

/* The bodies in progress, added up; 0 when none is. */
static size_t add_up(const struct progress_state *s, uint64_t *bytes, int64_t *total,
                     int64_t *oldest_us)
{
    size_t running = 0;
    *bytes = 0;
    *total = 0;
    *oldest_us = INT64_MAX;
    for (size_t i = 0; i < s->n_bodies; i++) {
        const struct body *b = &s->bodies[i];
        if (!b->receiving)
            continue;
        running++;
        *bytes += b->bytes;
        if (b->total < 0 || *total < 0)
            *total = -1;
        else
            *total += b->total;
        if (b->since_us < *oldest_us)
            *oldest_us = b->since_us;
    }
    return running;
}

static double rate_of(const struct progress_state *s, int64_t now, uint64_t all_bytes)
{
    if (s->n_samples == 0)
        return 0;
    size_t first = s->n_samples < WT_PROGRESS_RATE_WINDOW ? 0 : s->next_sample;
    const struct sample *o = &s->samples[first];
    if (now <= o->at_us || all_bytes < o->bytes)
        return 0;
    return (double)(all_bytes - o->bytes) * 1e6 / (double)(now - o->at_us);
}

static void tick(struct wt_loop *loop, void *data)
{
    struct progress_state *s = data;
    s->timer = 0;
    int64_t now = wt_loop_now(loop);
    uint64_t bytes;
    int64_t total, oldest;
    size_t running = add_up(s, &bytes, &total, &oldest);
    if (!running)
        return;
    uint64_t all_bytes = s->finished_bytes + bytes;
    double rate = rate_of(s, now, all_bytes);
    s->samples[s->next_sample] = (struct sample){ now, all_bytes };
    s->next_sample = (s->next_sample + 1) % WT_PROGRESS_RATE_WINDOW;
    if (s->n_samples < WT_PROGRESS_RATE_WINDOW)
        s->n_samples++;
    if (now - oldest >= WT_PROGRESS_DELAY_US) {
        struct wt_progress_figures f = { bytes, total, rate, s->cfg.url_prefix ? running : 0 };
        char line[256];
        int columns = wt_terminal_columns(fileno(s->cfg.out));
        /* one column short of the edge: a full line would wrap on some terminals */
        wt_progress_format(&f, columns > 1 ? (size_t)columns - 1 : 1, line, sizeof line);
        fputs(ERASE_LINE, s->cfg.out);
        fputs(line, s->cfg.out);
        fflush(s->cfg.out);
        s->shown = 1;
    }
    arm(s);
}

/* No body in progress any more: the next one starts a new meter. */
static void settle(struct progress_state *s)
{
    uint64_t bytes;
    int64_t total, oldest;
    if (add_up(s, &bytes, &total, &oldest))
        return;
    erase(s);
    wt_loop_timer_cancel(s->cfg.loop, s->timer);
    s->timer = 0;
    s->finished_bytes = 0;
    s->n_samples = s->next_sample = 0;
}

static void progress_event(void *state, const struct wt_event *ev)
{
    struct progress_state *s = state;
    if (ev->kind != WT_EV_HTTP_BODY_PROGRESS)
        erase(s);
    if (ev->kind >= WT_EV_SERVE_LISTEN && ev->kind <= WT_EV_SERVE_DROP)
        return;
    struct body *b;
    switch (ev->kind) {
    case WT_EV_HTTP_HEADERS_DONE:
        if (ev->u.http_headers_done.framing == WT_FRAMING_NONE || !(b = body_of(s, ev->url_index)))
            break;
        *b = (struct body){ 1, 0, ev->u.http_headers_done.content_length,
                            wt_loop_now(s->cfg.loop) };
        arm(s);
        break;
    case WT_EV_HTTP_BODY_PROGRESS:
        if ((b = body_of(s, ev->url_index)) && b->receiving)
            b->bytes = ev->u.http_body_progress.bytes;
        break;
    case WT_EV_HTTP_BODY_DONE:
    case WT_EV_ERROR:
    case WT_EV_TRANSFER_DONE:
        if (ev->url_index < s->n_bodies && s->bodies[ev->url_index].receiving) {
            b = &s->bodies[ev->url_index];
            if (ev->kind == WT_EV_HTTP_BODY_DONE)
                b->bytes = ev->u.http_body_done.bytes;
            s->finished_bytes += b->bytes;
            b->receiving = 0;
            settle(s);
        }
        break;
    default:
        break;
    }
}

static int progress_end(void *state)
{
    struct progress_state *s = state;
    if (!s)
        return 0;
    erase(s);
    wt_loop_timer_cancel(s->cfg.loop, s->timer);
    free(s->bodies);
    free(s);
    return 0;
}

const struct wt_renderer wt_render_progress = {
    .name = "progress",
    .begin = progress_begin,
    .event = progress_event,
    .end = progress_end,
};
