/* The waterfall from a scripted hop: bars start where their phase began and
 * are as long as the summary says, on one axis for every URL; the text
 * picture matches its golden form and fits the width; the SVG carries the
 * same bars, its text escaped for XML. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/textwidth.h"
#include "webtrace/waterfall.h"

#define WALL0 1764410000000000LL

static void phase(struct wt_waterfall *w, size_t url, unsigned hop, enum wt_phase p,
                  int64_t t_us, int64_t start_wall, const char *input)
{
    struct wt_event ev = { .kind = WT_EV_PHASE, .url_index = url, .hop = hop, .t_us = t_us };
    ev.u.phase.entered = p;
    ev.u.phase.input = input;
    ev.u.phase.wall_us = start_wall + t_us;
    wt_waterfall_feed(w, &ev);
}

/* One http hop: dns 2 ms (two replies), connect 1 ms (rtt 50 µs), wait
 * 2 ms, transfer 5 ms, starting start_us after WALL0. */
static void script_hop(struct wt_waterfall *w, size_t url, int64_t start_us, const char *input)
{
    int64_t wall = WALL0 + start_us;
    phase(w, url, 0, WT_PHASE_URL, 0, wall, input);
    phase(w, url, 0, WT_PHASE_DNS, 10, wall, input);
    struct wt_event reply = { .kind = WT_EV_DNS_REPLY, .url_index = url, .t_us = 1000 };
    wt_waterfall_feed(w, &reply);
    wt_waterfall_feed(w, &reply);
    phase(w, url, 0, WT_PHASE_CONNECT, 2010, wall, input);
    struct wt_event est = { .kind = WT_EV_TCP_ESTABLISHED, .url_index = url, .t_us = 3000 };
    est.u.tcp_established.have_info = 1;
    est.u.tcp_established.rtt_us = 50;
    wt_waterfall_feed(w, &est);
    phase(w, url, 0, WT_PHASE_SEND, 3010, wall, input);
    phase(w, url, 0, WT_PHASE_WAIT, 3020, wall, input);
    phase(w, url, 0, WT_PHASE_RECEIVE, 5020, wall, input);
    phase(w, url, 0, WT_PHASE_CLOSE, 10020, wall, input);
    struct wt_event sum = { .kind = WT_EV_SUMMARY, .url_index = url, .t_us = 10030 };
    sum.u.summary.dns_us = 2000;
    sum.u.summary.connect_us = 1000;
    sum.u.summary.tls_us = -1;
    sum.u.summary.tls_setup_us = -1;
    sum.u.summary.wait_us = 2000;
    sum.u.summary.transfer_us = 5000;
    sum.u.summary.total_us = 10020;
    wt_waterfall_feed(w, &sum);
}

static char *print(const struct wt_waterfall *w, size_t columns, int color)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    wt_waterfall_print(w, out, columns, color);
    fclose(out);
    return text;
}

static void test_waterfall_text_golden(void **state)
{
    (void)state;
    struct wt_waterfall *w = wt_waterfall_new();
    script_hop(w, 0, 0, "http://a.test/");
    char *text = print(w, 80, 0);
    assert_string_equal(text,
        "\n"
        "Timings on one axis (0 to 10.0 ms):\n"
        "           0 ms              5 ms              10 ms\n"
        "[0] http://a.test/ — total 10.0 ms\n"
        "  dns      ███████                              2.00 ms · 2 round trips\n"
        "  connect         ████                          1.00 ms · handshake rtt 0.05 ms\n"
        "  wait                ███████                   2.00 ms\n"
        "  transfer                   ██████████████████ 5.00 ms\n");
    free(text);
    wt_waterfall_free(w);
}

static void test_waterfall_text_fits_every_width(void **state)
{
    (void)state;
    struct wt_waterfall *w = wt_waterfall_new();
    script_hop(w, 0, 0, "http://a-rather-long-host-name.example.test/and/a/long/path?with=query");
    script_hop(w, 1, 20000, "http://b.test/");
    for (size_t columns = 20; columns <= 200; columns += 7) {
        char *text = print(w, columns, 0);
        size_t rows = 0;
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
            assert_true(wt_text_width(line, strlen(line)) <= columns - 1 ||
                        columns - 1 < 2 + 8 + 1 + WT_WATERFALL_MIN_BAR + 1);
            rows += line[0] == '[';
        }
        assert_int_equal(rows, 2);
        free(text);
    }
    wt_waterfall_free(w);
}

static void test_waterfall_svg_bars_and_escaping(void **state)
{
    (void)state;
    struct wt_waterfall *w = wt_waterfall_new();
    script_hop(w, 0, 0, "http://a.test/?q=<b>&c='d'\"\x1b\xef\xbf\xbe");
    script_hop(w, 1, 20000, "http://b.test/");
    char *doc = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&doc, &len);
    assert_int_equal(wt_waterfall_write_svg(w, out), 0);
    fclose(out);
    /* the axis is 30.02 ms long and 600 px wide from x=110: 600/30020 px per µs */
    assert_non_null(strstr(doc, "<title>webtrace: http://a.test/?q=&lt;b&gt;&amp;c=&apos;d&apos;"
                                "&quot;\\x1B? and 1 more URLs</title>"));
    assert_non_null(strstr(doc, "data-phase=\"dns\" data-us=\"2000\" x=\"110.200\" y=\"89\" "
                                "width=\"39.973\""));
    assert_non_null(strstr(doc, "data-phase=\"transfer\" data-us=\"5000\" x=\"610.067\""));
    assert_non_null(strstr(doc, "width=\"99.933\""));
    assert_null(strstr(doc, "\x1b"));
    assert_null(strstr(doc, "<b>"));
    free(doc);
    wt_waterfall_free(w);
}

static void test_waterfall_svg_long_url_cut_in_the_picture(void **state)
{
    (void)state;
    char url[400] = "http://a.test/";
    memset(url + strlen(url), 'x', 300);
    struct wt_waterfall *w = wt_waterfall_new();
    script_hop(w, 0, 0, url);
    char *doc = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&doc, &len);
    assert_int_equal(wt_waterfall_write_svg(w, out), 0);
    fclose(out);
    char want[450];
    snprintf(want, sizeof want, "<title>webtrace: %s</title>", url);
    assert_non_null(strstr(doc, want));   /* whole in the title element */
    const char *shown = strstr(doc, "font-weight=\"bold\">webtrace: ");
    assert_non_null(shown);
    const char *end = strstr(shown, "</text>");
    assert_true(end - shown < 200);
    assert_int_equal(strncmp(end - 3, "…", 3), 0);
    free(doc);
    wt_waterfall_free(w);
}

static void test_waterfall_nothing_without_a_summary(void **state)
{
    (void)state;
    struct wt_waterfall *w = wt_waterfall_new();
    phase(w, 0, 0, WT_PHASE_URL, 0, WALL0, "http://a.test/");
    phase(w, 0, 0, WT_PHASE_DNS, 10, WALL0, "http://a.test/");
    char *text = print(w, 80, 1);
    assert_string_equal(text, "");
    free(text);
    wt_waterfall_free(w);
}

static void test_waterfall_failed_phase_ends_at_the_error(void **state)
{
    (void)state;
    struct wt_waterfall *w = wt_waterfall_new();
    phase(w, 0, 0, WT_PHASE_URL, 0, WALL0, "http://nx.test/");
    phase(w, 0, 0, WT_PHASE_DNS, 100, WALL0, "http://nx.test/");
    struct wt_event err = { .kind = WT_EV_ERROR, .phase = WT_PHASE_DNS, .t_us = 4100 };
    wt_waterfall_feed(w, &err);
    phase(w, 0, 0, WT_PHASE_FAILED, 4100, WALL0, "http://nx.test/");
    struct wt_event sum = { .kind = WT_EV_SUMMARY, .t_us = 4110 };
    sum.u.summary.dns_us = sum.u.summary.connect_us = sum.u.summary.tls_us = -1;
    sum.u.summary.wait_us = sum.u.summary.transfer_us = sum.u.summary.tls_setup_us = -1;
    sum.u.summary.total_us = 4110;
    wt_waterfall_feed(w, &sum);
    char *text = print(w, 60, 0);
    assert_string_equal(text,
        "\n"
        "Timings on one axis (0 to 4.10 ms):\n"
        "           0 ms        2 ms       4 ms\n"
        "[0] http://nx.test/ — total 4.11 ms\n"
        "  dns       ███████████████████████ 4.00 ms, then it failed\n");
    free(text);
    /* too narrow for the words: the mark alone */
    text = print(w, 40, 0);
    assert_non_null(strstr(text, " 4.00 ms ✗\n"));
    free(text);
    wt_waterfall_free(w);
}

static void test_waterfall_text_draws_at_most_twenty_requests(void **state)
{
    (void)state;
    struct wt_waterfall *w = wt_waterfall_new();
    for (size_t i = 0; i < WT_WATERFALL_TEXT_ROWS_MAX + 5; i++)
        script_hop(w, i, (int64_t)i * 11000, "http://a.test/");
    char *text = print(w, 100, 0);
    size_t heads = 0;
    for (const char *p = text; (p = strstr(p, "\n[")); p++)
        heads++;
    assert_int_equal(heads, WT_WATERFALL_TEXT_ROWS_MAX);
    assert_non_null(strstr(text, "\n… and 5 more requests (--waterfall FILE.svg draws them all)\n"));
    free(text);
    wt_waterfall_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_waterfall_text_golden),
        cmocka_unit_test(test_waterfall_text_fits_every_width),
        cmocka_unit_test(test_waterfall_svg_bars_and_escaping),
        cmocka_unit_test(test_waterfall_svg_long_url_cut_in_the_picture),
        cmocka_unit_test(test_waterfall_nothing_without_a_summary),
        cmocka_unit_test(test_waterfall_failed_phase_ends_at_the_error),
        cmocka_unit_test(test_waterfall_text_draws_at_most_twenty_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
