/* The -i FILE reader: which lines become URLs (trimmed), which are
 * skipped (blank, #comment), and over-long lines or lines with a NUL byte
 * refused without touching the next line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/urllist.h"

#define MAX_ITEMS 16

/* The items read from text (len bytes), as "URL:<url>" or "TOO_LONG". */
static size_t read_items(const char *text, size_t len, char items[][64])
{
    FILE *in = fmemopen((void *)text, len, "r");
    assert_non_null(in);
    struct wt_urllist list;
    wt_urllist_init(&list, in);
    size_t n = 0;
    const char *url;
    enum wt_urllist_item item;
    while ((item = wt_urllist_next(&list, &url)) != WT_URLLIST_END) {
        assert_true(n < MAX_ITEMS);
        if (item == WT_URLLIST_URL)
            snprintf(items[n++], 64, "URL:%.59s", url);
        else if (item == WT_URLLIST_NUL_BYTE)
            snprintf(items[n++], 64, "NUL_BYTE");
        else
            snprintf(items[n++], 64, "TOO_LONG");
    }
    fclose(in);
    return n;
}

struct list_case {
    const char *text;
    const char *want[4];
};

static void test_urllist_lines(void **state)
{
    (void)state;
    static const struct list_case cases[] = {
        { "http://a/\nhttp://b/\n", { "URL:http://a/", "URL:http://b/" } },
        { "http://a/", { "URL:http://a/" } },                  /* no final newline */
        { "  http://a/ \t\r\n", { "URL:http://a/" } },         /* blanks and CRLF trimmed */
        { "\n\n \t\n# a comment\n  # indented comment\nb.test\n", { "URL:b.test" } },
        { "a.test # not a comment\n", { "URL:a.test # not a comment" } },
        { "\r\n", { NULL } },
        { "", { NULL } },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char items[MAX_ITEMS][64];
        size_t n = read_items(cases[c].text, strlen(cases[c].text), items);
        size_t want = 0;
        while (want < 4 && cases[c].want[want])
            want++;
        assert_int_equal(n, want);
        for (size_t i = 0; i < n; i++)
            assert_string_equal(items[i], cases[c].want[i]);
    }
}

/* A line that does not fit is refused once, and its tail is not read as
 * the next URL; the line after it is. */
static void test_urllist_too_long_line_is_skipped_whole(void **state)
{
    (void)state;
    size_t long_len = WT_URL_LINE_MAX + 100;
    char *text = malloc(long_len + 64);
    assert_non_null(text);
    memset(text, 'x', long_len);
    size_t len = long_len;
    len += (size_t)sprintf(text + len, "\nhttp://after/\n");
    char items[MAX_ITEMS][64];
    size_t n = read_items(text, len, items);
    assert_int_equal(n, 2);
    assert_string_equal(items[0], "TOO_LONG");
    assert_string_equal(items[1], "URL:http://after/");
    free(text);
}

/* A NUL byte (a UTF-16 file, say) refuses its own line only: it once
 * passed for a cut-off long line, and the skip then swallowed the next. */
static void test_urllist_nul_byte_refuses_only_its_line(void **state)
{
    (void)state;
    static const char text[] = "a.test\0x\nhttp://b/\n\0\nhttp://c/";
    char items[MAX_ITEMS][64];
    size_t n = read_items(text, sizeof text - 1, items);
    assert_int_equal(n, 4);
    assert_string_equal(items[0], "NUL_BYTE");
    assert_string_equal(items[1], "URL:http://b/");
    assert_string_equal(items[2], "NUL_BYTE");
    assert_string_equal(items[3], "URL:http://c/");
}

/* The longest line that fits: WT_URL_LINE_MAX - 2 bytes and its newline. */
static void test_urllist_longest_line_fits(void **state)
{
    (void)state;
    char *text = malloc(WT_URL_LINE_MAX + 1);
    assert_non_null(text);
    memset(text, 'y', WT_URL_LINE_MAX - 2);
    text[WT_URL_LINE_MAX - 2] = '\n';
    FILE *in = fmemopen(text, WT_URL_LINE_MAX - 1, "r");
    assert_non_null(in);
    struct wt_urllist list;
    wt_urllist_init(&list, in);
    const char *url = NULL;
    assert_int_equal(wt_urllist_next(&list, &url), WT_URLLIST_URL);
    assert_int_equal(strlen(url), WT_URL_LINE_MAX - 2);
    assert_int_equal(wt_urllist_next(&list, &url), WT_URLLIST_END);
    fclose(in);
    free(text);
}

static void test_urlset_counts_later_urls_by_origin(void **state)
{
    (void)state;
    static const char *const urls[] = {
        "http://a.test/1",          /* 0 */
        "https://a.test/2",         /* 1: another scheme, another origin */
        "http://A.test:80/3",       /* 2: the same origin as 0 */
        "b.test",                   /* 3: a bare host is http://b.test/ */
        "http://a.test:8080/",      /* 4: another port */
        "http://bad host/",         /* 5: goes nowhere */
        "http://a.test/6",          /* 6 */
    };
    struct wt_urlset *s = wt_urlset_new();
    assert_non_null(s);
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++)
        assert_int_equal(wt_urlset_add(s, urls[i]), 0);
    assert_int_equal(wt_urlset_count(s), 7);
    assert_string_equal(wt_urlset_url(s, 3), "b.test");
    assert_null(wt_urlset_url(s, 7));
    assert_int_equal(wt_urlset_origin_after(s, WT_SCHEME_HTTP, "a.test", 80, 0), 3);
    assert_int_equal(wt_urlset_origin_after(s, WT_SCHEME_HTTP, "a.test", 80, 1), 2);
    assert_int_equal(wt_urlset_origin_after(s, WT_SCHEME_HTTP, "a.test", 80, 3), 1);
    assert_int_equal(wt_urlset_origin_after(s, WT_SCHEME_HTTP, "a.test", 80, 7), 0);
    assert_int_equal(wt_urlset_origin_after(s, WT_SCHEME_HTTPS, "a.test", 443, 1), 1);
    assert_int_equal(wt_urlset_origin_after(s, WT_SCHEME_HTTPS, "a.test", 443, 2), 0);
    assert_int_equal(wt_urlset_origin_after(s, WT_SCHEME_HTTP, "b.test", 80, 0), 1);
    assert_int_equal(wt_urlset_origin_after(s, WT_SCHEME_HTTP, "a.test", 8080, 0), 1);
    assert_int_equal(wt_urlset_origin_after(s, WT_SCHEME_HTTP, "c.test", 80, 0), 0);
    enum wt_scheme scheme;
    const char *host;
    uint16_t port;
    assert_int_equal(wt_urlset_origin_of(s, 2, &scheme, &host, &port), 1);
    assert_int_equal(scheme, WT_SCHEME_HTTP);
    assert_string_equal(host, "a.test");
    assert_int_equal(port, 80);
    assert_int_equal(wt_urlset_origin_of(s, 1, &scheme, &host, &port), 1);
    assert_int_equal(scheme, WT_SCHEME_HTTPS);
    assert_int_equal(port, 443);
    assert_int_equal(wt_urlset_origin_of(s, 5, &scheme, &host, &port), 0);   /* bad host */
    assert_int_equal(wt_urlset_origin_of(s, 7, &scheme, &host, &port), 0);   /* none */
    /* added after a question: the next question sees it */
    assert_int_equal(wt_urlset_add(s, "http://c.test/"), 0);
    assert_int_equal(wt_urlset_origin_after(s, WT_SCHEME_HTTP, "c.test", 80, 0), 1);
    wt_urlset_free(s);
    wt_urlset_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urllist_lines),
        cmocka_unit_test(test_urllist_too_long_line_is_skipped_whole),
        cmocka_unit_test(test_urllist_longest_line_fits),
        cmocka_unit_test(test_urllist_nul_byte_refuses_only_its_line),
        cmocka_unit_test(test_urlset_counts_later_urls_by_origin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
