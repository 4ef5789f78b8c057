/* The progress meter's line: bytes, percent of a known size, rate and time
 * left as curl's meter shows them; the -Z form with the count; an unknown
 * size without percent or time; always cut to the terminal's width. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "webtrace/loop.h"
#include "webtrace/progress.h"
#include "webtrace/textwidth.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct format_case {
    struct wt_progress_figures f;
    const char *want;
};

static void test_progress_format_table(void **state)
{
    (void)state;
    static const struct format_case cases[] = {
        { { 512, 2048, 256, 0 }, "512 B of 2.0 KiB (25%) · 256 B/s · 0:06 left" },
        { { 524288, 1048576, 524288, 0 }, "512.0 KiB of 1.0 MiB (50%) · 512.0 KiB/s · 0:01 left" },
        { { 1048576, 1048576, 1e6, 0 }, "1.0 MiB of 1.0 MiB (100%) · 976.6 KiB/s · 0:00 left" },
        /* stalled: no rate, no time left to promise */
        { { 100, 1000, 0, 0 }, "100 B of 1000 B (10%) · 0 B/s · --:-- left" },
        /* over an hour */
        { { 0, 4000000000LL, 1e6, 0 }, "0 B of 3.73 GiB (0%) · 976.6 KiB/s · 1:06:40 left" },
        /* a size of 0 is complete */
        { { 0, 0, 0, 0 }, "0 B of 0 B (100%) · 0 B/s · --:-- left" },
        { { 3 * 1048576, -1, 2048, 0 }, "3.0 MiB · 2.0 KiB/s" },
        { { 1536, 3072, 1024, 2 }, "2 at once · 1.5 KiB of 3.0 KiB (50%) · 1.0 KiB/s · 0:02 left" },
        { { 1536, -1, 1024, 3 }, "3 at once · 1.5 KiB · 1.0 KiB/s" },
    };
    for (size_t i = 0; i < N(cases); i++) {
        char buf[256];
        wt_progress_format(&cases[i].f, 200, buf, sizeof buf);
        assert_string_equal(buf, cases[i].want);
    }
}

static void test_progress_format_fits_the_width(void **state)
{
    (void)state;
    struct wt_progress_figures f = { 524288, 1048576, 524288, 0 };
    for (size_t width = 1; width < 60; width++) {
        char buf[256];
        wt_progress_format(&f, width, buf, sizeof buf);
        assert_true(wt_text_width(buf, strlen(buf)) <= width);
        assert_int_equal(strncmp(buf, "512.0 KiB of 1.0 MiB", strlen(buf) < 20 ? strlen(buf) : 20),
                         0);
    }
}

static void test_textwidth_fit_keeps_whole_characters(void **state)
{
    (void)state;
    const char *zh = "剩余 0:01";
    assert_int_equal(wt_text_fit(zh, strlen(zh), 3), 3);    /* one wide character */
    assert_int_equal(wt_text_fit(zh, strlen(zh), 4), 6);
    assert_int_equal(wt_text_fit(zh, strlen(zh), 5), 7);
    assert_int_equal(wt_text_fit(zh, strlen(zh), 100), strlen(zh));
    assert_int_equal(wt_text_fit("abc", 3, 0), 0);
}

static void test_terminal_columns_without_a_terminal(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    setenv("COLUMNS", "123", 1);
    assert_int_equal(wt_terminal_columns(fds[1]), 123);
    setenv("COLUMNS", "12x", 1);
    assert_int_equal(wt_terminal_columns(fds[1]), WT_TERMINAL_COLUMNS_DEFAULT);
    setenv("COLUMNS", "0", 1);
    assert_int_equal(wt_terminal_columns(fds[1]), WT_TERMINAL_COLUMNS_DEFAULT);
    unsetenv("COLUMNS");
    assert_int_equal(wt_terminal_columns(fds[1]), WT_TERMINAL_COLUMNS_DEFAULT);
    close(fds[0]);
    close(fds[1]);
}

/* ---- the renderer on a loop with a fake clock ---------------------------- */

struct fake {
    int64_t now_us;
};

static int64_t fake_now(void *ctx)
{
    return ((struct fake *)ctx)->now_us;
}

/* Pretends to sleep: the clock moves by the timeout. */
static int fake_poll(void *ctx, struct pollfd *fds, size_t nfds, int timeout_ms)
{
    (void)fds;
    (void)nfds;
    struct fake *f = ctx;
    if (timeout_ms > 0)
        f->now_us += (int64_t)timeout_ms * 1000;
    return 0;
}

static void run_until(struct wt_loop *loop, struct fake *f, int64_t until_us)
{
    for (int i = 0; i < 1000 && f->now_us < until_us; i++)
        wt_loop_run_once(loop, until_us - f->now_us);
}

static size_t count(const char *text, const char *what)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

static void test_progress_meter_on_the_loop(void **state)
{
    (void)state;
    struct fake f = { 1000000 };
    struct wt_clock clock = { fake_now, &f };
    struct wt_loop_backend backend = { fake_poll, &f };
    struct wt_loop *loop = wt_loop_new(&clock, &backend);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    struct wt_render_config cfg = { .out = out, .loop = loop };
    void *meter = wt_render_progress.begin(&cfg);
    assert_non_null(meter);

    struct wt_event head = { .kind = WT_EV_HTTP_HEADERS_DONE };
    head.u.http_headers_done.framing = WT_FRAMING_CONTENT_LENGTH;
    head.u.http_headers_done.content_length = 1000;
    wt_render_progress.event(meter, &head);
    int64_t t0 = f.now_us;
    run_until(loop, &f, t0 + 900000);
    fflush(out);
    assert_int_equal(len, 0);   /* under a second: nothing */

    struct wt_event sample = { .kind = WT_EV_HTTP_BODY_PROGRESS };
    sample.u.http_body_progress.bytes = 300;
    wt_render_progress.event(meter, &sample);
    run_until(loop, &f, t0 + 1500000);
    fflush(out);
    /* from 1.0 s to 1.5 s: a redraw every 100 ms, no more */
    size_t draws = count(text, "\r\033[K");
    assert_true(draws >= 4 && draws <= 6);
    assert_non_null(strstr(text, "\r\033[K300 B of 1000 B (30%) · "));
    assert_null(strchr(text, '\n'));

    /* a line of narration comes: the meter is wiped first */
    struct wt_event header = { .kind = WT_EV_HTTP_HEADER };
    wt_render_progress.event(meter, &header);
    fflush(out);
    assert_int_equal(strcmp(text + len - 4, "\r\033[K"), 0);

    /* the body ends: no more redraws */
    struct wt_event done = { .kind = WT_EV_HTTP_BODY_DONE };
    done.u.http_body_done.bytes = 1000;
    wt_render_progress.event(meter, &done);
    fflush(out);
    size_t before = len;
    run_until(loop, &f, t0 + 3000000);
    fflush(out);
    assert_int_equal(len, before);

    assert_int_equal(wt_render_progress.end(meter), 0);
    fclose(out);
    free(text);
    wt_loop_free(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_progress_format_table),
        cmocka_unit_test(test_progress_format_fits_the_width),
        cmocka_unit_test(test_textwidth_fit_keeps_whole_characters),
        cmocka_unit_test(test_terminal_columns_without_a_terminal),
        cmocka_unit_test(test_progress_meter_on_the_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
