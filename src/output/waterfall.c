/* waterfall: the summary of each hop (the same figures as the timing line
 * and NDJSON's summary event) laid on one time axis. A bar's length is the
 * phase's time and nothing else; where it starts comes from the phase
 * events, so bars of hops and URLs that overlapped (-Z) overlap too. */
#include "webtrace/waterfall.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/escape.h"
#include "webtrace/exitcode.h"
#include "webtrace/i18n.h"
#include "webtrace/outfile.h"
#include "webtrace/textwidth.h"

/* SVG geometry, in pixels. */
#define SVG_LEFT 110          /* the phase names */
#define SVG_AREA 600          /* the time axis */
#define SVG_NUMBERS 300       /* the figures after the bars */
#define SVG_TOP 64            /* title and axis labels */
#define SVG_ROW_HEAD 24
#define SVG_LINE 18
#define SVG_BAR 12
#define SVG_TEXT_COLUMNS 150  /* what the picture's width holds of a heading (12 px sans) */

struct row {
    size_t url_index;
    unsigned hop;
    char label[WT_WATERFALL_LABEL_MAX];
    int have_base;
    int64_t base_us;          /* the transfer's start, wall clock */
    int64_t enter[WT_PHASE_DONE + 1];   /* t_us each phase was entered, -1 never */
    int have_summary;
    int64_t len[WT_WF_PHASES];          /* -1: the phase did not happen */
    int64_t tls_setup_us;
    int64_t total_us;
    int64_t end_us;           /* t_us of the summary */
    unsigned dns_round_trips;
    int64_t rtt_us;           /* TCP_INFO's after the handshake, -1 unknown */
    int64_t failed_at;        /* t_us of the hop's error, -1 none */
    enum wt_phase failed_in;
    int failed_bar;           /* the phase of the bar that ends in the failure, -1 none */
};

struct wt_waterfall {
    struct row *rows;
    size_t n_rows, cap_rows;
    size_t rows_left_out;
};

static const char *const phase_words[WT_WF_PHASES] = {
    /* TRANSLATORS: the waterfall's phase names, as in the timing line */
    [WT_WF_DNS] = N_("dns"),
    [WT_WF_CONNECT] = N_("connect"),
    [WT_WF_TLS] = N_("tls"),
    [WT_WF_WAIT] = N_("wait"),
    [WT_WF_TRANSFER] = N_("transfer"),
};

/* The narration's colours for the same phases (render_text.c). */
static const char *const phase_ansi[WT_WF_PHASES] = {
    "\033[36m", "\033[33m", "\033[34m", "\033[32m", "\033[32m",
};
static const char *const phase_fill[WT_WF_PHASES] = {
    "#1b9fb5", "#d39e00", "#3f6ad8", "#8fcf8f", "#2e9e4f",
};
static const char *const phase_id[WT_WF_PHASES] = {
    "dns", "connect", "tls", "wait", "transfer",
};

struct wt_waterfall *wt_waterfall_new(void)
{
    return calloc(1, sizeof(struct wt_waterfall));
}

void wt_waterfall_free(struct wt_waterfall *w)
{
    if (!w)
        return;
    free(w->rows);
    free(w);
}

static struct row *row_of(struct wt_waterfall *w, const struct wt_event *ev)
{
    for (size_t i = w->n_rows; i-- > 0;)
        if (w->rows[i].url_index == ev->url_index && w->rows[i].hop == ev->hop)
            return &w->rows[i];
    if (ev->kind != WT_EV_PHASE || ev->u.phase.entered != WT_PHASE_URL)
        return NULL;   /* a hop's first event is its URL phase */
    if (w->n_rows == WT_WATERFALL_ROWS_MAX) {
        w->rows_left_out++;
        return NULL;
    }
    if (w->n_rows == w->cap_rows) {
        size_t cap = w->cap_rows ? w->cap_rows * 2 : 8;
        struct row *rows = realloc(w->rows, cap * sizeof *rows);
        if (!rows)
            return NULL;   /* no bars for it: the timing line has its figures */
        w->rows = rows;
        w->cap_rows = cap;
    }
    struct row *r = &w->rows[w->n_rows++];
    memset(r, 0, sizeof *r);
    r->url_index = ev->url_index;
    r->hop = ev->hop;
    for (size_t i = 0; i <= WT_PHASE_DONE; i++)
        r->enter[i] = -1;
    for (size_t i = 0; i < WT_WF_PHASES; i++)
        r->len[i] = -1;
    r->rtt_us = -1;
    r->failed_at = -1;
    r->failed_bar = -1;
    return r;
}

static const enum wt_phase trace_phase[WT_WF_PHASES] = {
    WT_PHASE_DNS, WT_PHASE_CONNECT, WT_PHASE_TLS, WT_PHASE_WAIT, WT_PHASE_RECEIVE,
};

/* A failed hop: the summary has no time for the phase it failed in, but
 * how long that phase went on before the failure is the picture's point
 * (a lookup that took seconds to fail): its bar ends at the error. */
static void fail_bar(struct row *r)
{
    if (r->failed_at < 0)
        return;
    for (int p = 0; p < WT_WF_PHASES; p++) {
        enum wt_phase tp = trace_phase[p];
        /* the request is sent in SEND: its failure shows on the wait bar */
        int here = r->failed_in == tp || (p == WT_WF_WAIT && r->failed_in == WT_PHASE_SEND);
        int64_t entered = r->enter[p == WT_WF_WAIT && r->enter[tp] < 0 ? WT_PHASE_SEND : tp];
        if (here && r->len[p] < 0 && entered >= 0 && r->failed_at >= entered) {
            r->enter[tp] = entered;
            r->len[p] = r->failed_at - entered;
            r->failed_bar = p;
        }
    }
}

void wt_waterfall_feed(struct wt_waterfall *w, const struct wt_event *ev)
{
    if (ev->kind >= WT_EV_SERVE_LISTEN && ev->kind <= WT_EV_SERVE_DROP)
        return;
    struct row *r = row_of(w, ev);
    if (!r)
        return;
    switch (ev->kind) {
    case WT_EV_PHASE:
        if (!r->have_base) {
            r->have_base = 1;
            r->base_us = ev->u.phase.wall_us - ev->t_us;
            if (ev->u.phase.input) {
                size_t len = strlen(ev->u.phase.input);
                wt_escape_term(ev->u.phase.input, len, r->label, sizeof r->label);
            }
        }
        if (ev->u.phase.entered <= WT_PHASE_DONE && r->enter[ev->u.phase.entered] < 0)
            r->enter[ev->u.phase.entered] = ev->t_us;
        break;
    case WT_EV_DNS_REPLY:
        r->dns_round_trips++;
        break;
    case WT_EV_TCP_ESTABLISHED:
        if (ev->u.tcp_established.have_info)
            r->rtt_us = ev->u.tcp_established.rtt_us;
        break;
    case WT_EV_ERROR:
        r->failed_at = ev->t_us;
        r->failed_in = ev->phase;
        break;
    case WT_EV_SUMMARY:
        r->have_summary = 1;
        r->len[WT_WF_DNS] = ev->u.summary.dns_us;
        r->len[WT_WF_CONNECT] = ev->u.summary.connect_us;
        r->len[WT_WF_TLS] = ev->u.summary.tls_us;
        r->len[WT_WF_WAIT] = ev->u.summary.wait_us;
        r->len[WT_WF_TRANSFER] = ev->u.summary.transfer_us;
        r->tls_setup_us = ev->u.summary.tls_setup_us;
        r->total_us = ev->u.summary.total_us;
        r->end_us = ev->t_us;
        fail_bar(r);
        break;
    default:
        break;
    }
}

/* Where a phase's bar starts in the hop (t_us): a phase ends where the
 * next one is entered, and its time is what it measured (less the capture
 * or TLS set-up work it waited for), so the bar ends there. */
static int64_t phase_start(const struct row *r, enum wt_waterfall_phase p)
{
    int tls = r->enter[WT_PHASE_TLS] >= 0;
    int64_t end = -1, start = -1;
    switch (p) {
    case WT_WF_DNS:
        start = r->enter[WT_PHASE_DNS];
        break;
    case WT_WF_CONNECT:
        end = tls ? r->enter[WT_PHASE_TLS] : r->enter[WT_PHASE_SEND];
        start = r->enter[WT_PHASE_CONNECT];
        break;
    case WT_WF_TLS:
        end = r->enter[WT_PHASE_SEND];
        start = r->enter[WT_PHASE_TLS];
        break;
    case WT_WF_WAIT:
        start = r->enter[WT_PHASE_WAIT];
        break;
    case WT_WF_TRANSFER:
        start = r->enter[WT_PHASE_RECEIVE];
        break;
    default:
        break;
    }
    if (end >= 0 && end - r->len[p] >= start)
        return end - r->len[p];
    return start;
}

/* The hop's bars on the run's axis (origin: the earliest transfer start). */
static size_t row_bars(const struct row *r, int64_t origin_us, struct wt_waterfall_bar *bars)
{
    size_t n = 0;
    if (!r->have_summary)
        return 0;
    for (int p = 0; p < WT_WF_PHASES; p++) {
        int64_t start = phase_start(r, (enum wt_waterfall_phase)p);
        if (r->len[p] < 0 || start < 0)
            continue;
        bars[n].phase = (enum wt_waterfall_phase)p;
        bars[n].start_us = r->base_us - origin_us + start;
        bars[n].len_us = r->len[p];
        bars[n].failed = r->failed_bar == p;
        n++;
    }
    return n;
}

struct axis {
    int64_t origin_us;        /* wall clock of the earliest start */
    int64_t span_us;          /* the axis's length, > 0 */
};

static struct axis axis_of(const struct wt_waterfall *w)
{
    struct axis a = { INT64_MAX, 1 };
    for (size_t i = 0; i < w->n_rows; i++)
        if (w->rows[i].have_base && w->rows[i].base_us < a.origin_us)
            a.origin_us = w->rows[i].base_us;
    if (a.origin_us == INT64_MAX)
        a.origin_us = 0;
    for (size_t i = 0; i < w->n_rows; i++) {
        struct wt_waterfall_bar bars[WT_WF_PHASES];
        size_t n = row_bars(&w->rows[i], a.origin_us, bars);
        for (size_t b = 0; b < n; b++)
            if (bars[b].start_us + bars[b].len_us > a.span_us)
                a.span_us = bars[b].start_us + bars[b].len_us;
    }
    return a;
}

/* A tick every 1, 2 or 5 times a power of ten microseconds, at most
 * max_ticks of them over the span. */
static int64_t tick_step(int64_t span_us, int64_t max_ticks)
{
    static const int64_t mult[] = { 1, 2, 5 };
    if (max_ticks < 1)
        max_ticks = 1;
    for (int64_t unit = 1;; unit *= 10)
        for (size_t i = 0; i < 3; i++)
            if (span_us / (unit * mult[i]) <= max_ticks || unit > INT64_MAX / 100)
                return unit * mult[i];
}

static void format_ms(int64_t us, int64_t step_us, char *buf, size_t len)
{
    if (step_us >= 1000 || us == 0)
        snprintf(buf, len, "%" PRId64 " ms", us / 1000);
    else if (step_us >= 100)
        snprintf(buf, len, "%.1f ms", (double)us / 1000);
    else if (step_us >= 10)
        snprintf(buf, len, "%.2f ms", (double)us / 1000);
    else
        snprintf(buf, len, "%.3f ms", (double)us / 1000);
}

/* The figures after a phase's bar: its time and what only webtrace saw. */
static void bar_figures(const struct row *r, enum wt_waterfall_phase p, int full, char *buf,
                        size_t len)
{
    char d[32], x[32];
    wt_format_duration(r->len[p], d, sizeof d);
    if (!full) {
        snprintf(buf, len, (int)p == r->failed_bar ? "%s ✗" : "%s", d);
    } else if ((int)p == r->failed_bar) {
        /* TRANSLATORS: the waterfall's figures of the phase a request failed
         * in: how long it went on before the failure */
        snprintf(buf, len, _("%s, then it failed"), d);
    } else if (p == WT_WF_DNS && r->dns_round_trips) {
        /* TRANSLATORS: the waterfall's dns figures: its time, DNS replies received */
        snprintf(buf, len, _("%1$s · %2$u round trips"), d, r->dns_round_trips);
    } else if (p == WT_WF_CONNECT && r->rtt_us >= 0) {
        wt_format_duration(r->rtt_us, x, sizeof x);
        /* TRANSLATORS: the waterfall's connect figures: its time, the kernel's
         * round-trip time (TCP_INFO) after the handshake */
        snprintf(buf, len, _("%1$s · handshake rtt %2$s"), d, x);
    } else if (p == WT_WF_TLS && r->tls_setup_us > 0) {
        wt_format_duration(r->tls_setup_us, x, sizeof x);
        /* TRANSLATORS: the waterfall's tls figures: the handshake's time, the
         * set-up work the fetch waited for before it */
        snprintf(buf, len, _("%1$s (+%2$s set-up)"), d, x);
    } else {
        snprintf(buf, len, "%s", d);
    }
}

static void format_head(const struct row *r, const char *url, const char *total, char *buf,
                        size_t len)
{
    if (r->hop)
        /* TRANSLATORS: a redirect's row of the waterfall: URL index, hop, URL,
         * total time */
        snprintf(buf, len, _("[%1$zu] ↳ %2$u %3$s — total %4$s"), r->url_index, r->hop, url,
                 total);
    else
        /* TRANSLATORS: a URL's row of the waterfall: URL index, URL, total time */
        snprintf(buf, len, _("[%1$zu] %2$s — total %3$s"), r->url_index, url, total);
}

/* The row's heading, its URL shortened (with "…") to fit width columns. */
static void row_head(const struct row *r, size_t width, char *buf, size_t len)
{
    char total[32], url[WT_WATERFALL_LABEL_MAX + 8];
    wt_format_duration(r->have_summary ? r->total_us : -1, total, sizeof total);
    format_head(r, "", total, buf, len);
    size_t overhead = wt_text_width(buf, strlen(buf));
    size_t room = width > overhead ? width - overhead : 0;
    size_t ulen = strlen(r->label);
    if (wt_text_width(r->label, ulen) <= room) {
        snprintf(url, sizeof url, "%s", r->label);
    } else {
        size_t keep = room > 1 ? wt_text_fit(r->label, ulen, room - 1) : 0;
        snprintf(url, sizeof url, "%.*s%s", (int)keep, r->label, room ? "…" : "");
    }
    format_head(r, url, total, buf, len);
    buf[wt_text_fit(buf, strlen(buf), width)] = '\0';
}

/* ---- text ---------------------------------------------------------------- */

static size_t cell_of(int64_t us, int64_t span_us, size_t cells)
{
    double c = (double)us * (double)cells / (double)span_us + 0.5;
    return c < 0 ? 0 : c > (double)cells ? cells : (size_t)c;
}

void wt_waterfall_print(const struct wt_waterfall *w, FILE *out, size_t columns, int color)
{
    size_t shown = 0;
    for (size_t i = 0; i < w->n_rows; i++)
        shown += w->rows[i].have_summary;
    if (!shown)
        return;
    fputc('\n', out);   /* apart from the narration above */
    struct axis a = axis_of(w);
    size_t rows = w->n_rows < WT_WATERFALL_TEXT_ROWS_MAX ? w->n_rows : WT_WATERFALL_TEXT_ROWS_MAX;
    size_t label_w = 0, fig_w = 0;
    for (int p = 0; p < WT_WF_PHASES; p++) {
        const char *word = _(phase_words[p]);
        size_t lw = wt_text_width(word, strlen(word));
        label_w = lw > label_w ? lw : label_w;
    }
    /* one column short of the edge, as every line of the narration */
    size_t usable = columns > 1 ? columns - 1 : 1;
    size_t fixed = 2 + label_w + 1 + 1;
    /* The figures beside the bars in full (round trips, rtt) when the bars
     * keep a third of the line; else the times alone. */
    int full = 1;
    for (;;) {
        fig_w = 0;
        for (size_t i = 0; i < rows; i++)
            for (int p = 0; p < WT_WF_PHASES; p++) {
                char f[128];
                if (w->rows[i].len[p] < 0)
                    continue;
                bar_figures(&w->rows[i], (enum wt_waterfall_phase)p, full, f, sizeof f);
                size_t fw = wt_text_width(f, strlen(f));
                fig_w = fw > fig_w ? fw : fig_w;
            }
        if (!full || usable >= fixed + fig_w + usable / 3)
            break;
        full = 0;
    }
    size_t cells = usable > fixed + fig_w + WT_WATERFALL_MIN_BAR ? usable - fixed - fig_w
                                                                  : WT_WATERFALL_MIN_BAR;
    size_t fig_room = usable > fixed + cells ? usable - fixed - cells : 0;

    char span[32];
    wt_format_duration(a.span_us, span, sizeof span);
    char line[1024];
    /* TRANSLATORS: the waterfall's heading: the time axis's length */
    snprintf(line, sizeof line, _("Timings on one axis (0 to %s):"), span);
    line[wt_text_fit(line, strlen(line), usable)] = '\0';
    fprintf(out, "%s%s%s\n", color ? "\033[1m" : "", line, color ? "\033[0m" : "");

    /* the axis: tick labels above the bar area, reaching over the figures'
     * column up to the edge if they must */
    char axis[1024];
    size_t ax_room = usable + 1 > fixed ? usable + 1 - fixed : cells;
    size_t ax_len = ax_room < sizeof axis - 1 ? ax_room : sizeof axis - 1;
    memset(axis, ' ', ax_len);
    axis[ax_len] = '\0';
    int64_t step = tick_step(a.span_us, (int64_t)(cells / 8));
    for (int64_t t = 0; t <= a.span_us; t += step) {
        char label[32];
        format_ms(t, step, label, sizeof label);
        size_t at = cell_of(t, a.span_us, cells), n = strlen(label);
        if (at + n > ax_len)
            break;
        if (at > 0 && axis[at - 1] != ' ')
            continue;
        memcpy(axis + at, label, n);
    }
    while (ax_len > 0 && axis[ax_len - 1] == ' ')
        axis[--ax_len] = '\0';
    fprintf(out, "%*s%s\n", (int)fixed - 1, "", axis);

    for (size_t i = 0; i < rows; i++) {
        const struct row *r = &w->rows[i];
        row_head(r, usable, line, sizeof line);
        fprintf(out, "%s\n", line);
        struct wt_waterfall_bar bars[WT_WF_PHASES];
        size_t n = row_bars(r, a.origin_us, bars);
        for (size_t b = 0; b < n; b++) {
            size_t c0 = cell_of(bars[b].start_us, a.span_us, cells);
            size_t c1 = cell_of(bars[b].start_us + bars[b].len_us, a.span_us, cells);
            if (c1 == c0 && bars[b].len_us > 0) {   /* too short for a cell: still seen */
                if (c0 == cells)
                    c0--;
                c1 = c0 + 1;
            }
            fputs("  ", out);
            wt_put_padded(out, _(phase_words[bars[b].phase]), label_w);
            fputc(' ', out);
            fprintf(out, "%*s", (int)c0, "");
            if (color)   /* a failed phase in the error line's red */
                fputs(bars[b].failed ? "\033[1;31m" : phase_ansi[bars[b].phase], out);
            for (size_t c = c0; c < c1; c++)
                fputs("█", out);
            if (color)
                fputs("\033[0m", out);
            fprintf(out, "%*s ", (int)(cells - c1), "");
            char f[128];
            bar_figures(r, bars[b].phase, full, f, sizeof f);
            f[wt_text_fit(f, strlen(f), fig_room)] = '\0';
            fprintf(out, "%s\n", f);
        }
    }
    size_t more = w->n_rows - rows + w->rows_left_out;
    if (more) {
        /* TRANSLATORS: under the waterfall: hops not drawn; --waterfall FILE has them */
        snprintf(line, sizeof line, _("… and %zu more requests (--waterfall FILE.svg draws them "
                                      "all)"), more);
        line[wt_text_fit(line, strlen(line), usable)] = '\0';
        fprintf(out, "%s\n", line);
    }
}

/* ---- SVG ----------------------------------------------------------------- */

/* Text for an SVG document: XML's five entities. What came from the
 * network or the command line (a row's URL) was made terminal-safe by
 * escape.c when it was kept (no control bytes, valid UTF-8); U+FFFE and
 * U+FFFF, valid UTF-8 but not XML characters, become '?'. */
static void put_xml(FILE *out, const char *text)
{
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        default:
            if ((unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xbf &&
                ((unsigned char)p[2] == 0xbe || (unsigned char)p[2] == 0xbf)) {
                fputc('?', out);
                p += 2;
            } else {
                fputc(*p, out);
            }
        }
    }
}

int wt_waterfall_write_svg(const struct wt_waterfall *w, FILE *out)
{
    struct axis a = axis_of(w);
    double px = (double)SVG_AREA / (double)a.span_us;
    size_t lines = 0;
    for (size_t i = 0; i < w->n_rows; i++) {
        struct wt_waterfall_bar bars[WT_WF_PHASES];
        lines += row_bars(&w->rows[i], a.origin_us, bars);
    }
    int width = SVG_LEFT + SVG_AREA + SVG_NUMBERS;
    int height = SVG_TOP + (int)w->n_rows * SVG_ROW_HEAD + (int)lines * SVG_LINE + 20;
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                 "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
            width, height, width, height);
    char title[WT_WATERFALL_LABEL_MAX + 256];
    const char *first = w->n_rows ? w->rows[0].label : "";
    size_t urls = 0;
    for (size_t i = 0; i < w->n_rows; i++)
        urls += w->rows[i].hop == 0;
    if (urls > 1)
        /* TRANSLATORS: the SVG waterfall's title: the first URL, how many others */
        snprintf(title, sizeof title, _("webtrace: %1$s and %2$zu more URLs"), first, urls - 1);
    else
        /* TRANSLATORS: the SVG waterfall's title: the URL */
        snprintf(title, sizeof title, _("webtrace: %s"), first);
    fputs("<title>", out);
    put_xml(out, title);
    fputs("</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
          "<text class=\"title\" x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">", out);
    /* the whole title is in <title>; the picture shows what fits */
    size_t fit = wt_text_fit(title, strlen(title), SVG_TEXT_COLUMNS - 15);
    if (fit < strlen(title))
        snprintf(title + fit, sizeof title - fit, "…");
    put_xml(out, title);
    fputs("</text>\n", out);

    /* the axis, in ms, with a grid line per tick */
    int64_t step = tick_step(a.span_us, 8);
    int grid_bottom = height - 20;
    fprintf(out, "<g class=\"axis\" stroke=\"#dddddd\">\n");
    for (int64_t t = 0; t <= a.span_us; t += step)
        fprintf(out, "<line x1=\"%.3f\" y1=\"%d\" x2=\"%.3f\" y2=\"%d\"/>\n",
                SVG_LEFT + (double)t * px, SVG_TOP - 10, SVG_LEFT + (double)t * px, grid_bottom);
    fputs("</g>\n<g class=\"ticks\" text-anchor=\"middle\" fill=\"#555555\">\n", out);
    for (int64_t t = 0; t <= a.span_us; t += step) {
        char label[32];
        format_ms(t, step, label, sizeof label);
        fprintf(out, "<text x=\"%.3f\" y=\"%d\">%s</text>\n", SVG_LEFT + (double)t * px,
                SVG_TOP - 14, label);
    }
    fputs("</g>\n<text class=\"axis-label\" x=\"10\" y=\"", out);
    fprintf(out, "%d\" fill=\"#555555\">", SVG_TOP - 14);
    /* TRANSLATORS: the SVG waterfall's axis label */
    put_xml(out, _("time (ms)"));
    fputs("</text>\n", out);

    int y = SVG_TOP;
    for (size_t i = 0; i < w->n_rows; i++) {
        const struct row *r = &w->rows[i];
        char head[WT_WATERFALL_LABEL_MAX + 256];
        row_head(r, SVG_TEXT_COLUMNS, head, sizeof head);
        fprintf(out, "<g class=\"row\" data-url=\"%zu\" data-hop=\"%u\">\n<text x=\"10\" "
                     "y=\"%d\" font-weight=\"bold\">", r->url_index, r->hop, y + 14);
        put_xml(out, head);
        fputs("</text>\n", out);
        y += SVG_ROW_HEAD;
        struct wt_waterfall_bar bars[WT_WF_PHASES];
        size_t n = row_bars(r, a.origin_us, bars);
        for (size_t b = 0; b < n; b++) {
            char f[128];
            bar_figures(r, bars[b].phase, 1, f, sizeof f);
            fprintf(out, "<text x=\"20\" y=\"%d\">", y + 11);
            put_xml(out, _(phase_words[bars[b].phase]));
            fprintf(out, "</text>\n<rect class=\"bar %s%s\" data-phase=\"%s\" data-us=\"%" PRId64
                         "\" x=\"%.3f\" y=\"%d\" width=\"%.3f\" height=\"%d\" fill=\"%s\">"
                         "<title>",
                    phase_id[bars[b].phase], bars[b].failed ? " failed" : "",
                    phase_id[bars[b].phase], bars[b].len_us,
                    SVG_LEFT + (double)bars[b].start_us * px, y + 1,
                    (double)bars[b].len_us * px, SVG_BAR,
                    bars[b].failed ? "#d9534f" : phase_fill[bars[b].phase]);
            put_xml(out, _(phase_words[bars[b].phase]));
            fputc(' ', out);
            put_xml(out, f);
            fprintf(out, "</title></rect>\n<text x=\"%d\" y=\"%d\">", SVG_LEFT + SVG_AREA + 10,
                    y + 11);
            put_xml(out, f);
            fputs("</text>\n", out);
            y += SVG_LINE;
        }
        fputs("</g>\n", out);
    }
    fputs("</svg>\n", out);
    return ferror(out) ? -1 : 0;
}

/* ---- the renderer -------------------------------------------------------- */

struct waterfall_state {
    struct wt_render_config cfg;
    struct wt_waterfall *w;
};

static void *waterfall_begin(const struct wt_render_config *config)
{
    struct waterfall_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = *config;
    s->w = wt_waterfall_new();
    if (!s->w) {
        free(s);
        return NULL;
    }
    return s;
}

static void waterfall_event(void *state, const struct wt_event *ev)
{
    struct waterfall_state *s = state;
    wt_waterfall_feed(s->w, ev);
}

static int write_svg_file(struct waterfall_state *s)
{
    char *doc = NULL, err[300] = "";
    size_t len = 0;
    FILE *mem = open_memstream(&doc, &len);
    if (!mem)
        return WT_OUTFILE_NO_MEMORY;
    int bad = wt_waterfall_write_svg(s->w, mem) < 0;
    if (fclose(mem) != 0 || bad) {
        free(doc);
        return WT_OUTFILE_NO_MEMORY;
    }
    struct wt_outfile f;
    int rc = wt_outfile_open(&f, s->cfg.waterfall_path, err, sizeof err);
    if (rc == 0)
        rc = wt_outfile_write(&f, doc, len, err, sizeof err);
    if (rc == 0)
        rc = wt_outfile_commit(&f, err, sizeof err);
    else
        wt_outfile_abort(&f);
    free(doc);
    if (rc && s->cfg.silent < 2)
        fprintf(s->cfg.out, _("webtrace: output: cannot write the waterfall to %1$s: %2$s\n"),
                s->cfg.waterfall_path, err[0] ? wt_i18n_error_text(err) : _("out of memory"));
    return rc;
}

static int waterfall_end(void *state)
{
    struct waterfall_state *s = state;
    if (!s)
        return 0;
    int rc = 0;
    if (s->cfg.waterfall_text) {
        wt_waterfall_print(s->w, s->cfg.out, (size_t)wt_terminal_columns(fileno(s->cfg.out)),
                           s->cfg.color);
        fflush(s->cfg.out);
    }
    if (s->cfg.waterfall_path)
        rc = write_svg_file(s);
    wt_waterfall_free(s->w);
    free(s);
    return rc == 0 ? 0 : rc == WT_OUTFILE_NO_MEMORY ? WT_EXIT_OUT_OF_MEMORY : -1;
}

const struct wt_renderer wt_render_waterfall = {
    .name = "waterfall",
    .begin = waterfall_begin,
    .event = waterfall_event,
    .end = waterfall_end,
};
