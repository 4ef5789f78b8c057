/* The streaming JSON writer: separators at every nesting level, keys and
 * values escaped, seconds and milliseconds formatted as curl and HAR want. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/json.h"

struct capture {
    char *buf;
    size_t len;
    FILE *f;
};

static void capture_open(struct capture *c)
{
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
    assert_non_null(c->f);
}

static const char *capture_close(struct capture *c)
{
    assert_int_equal(fclose(c->f), 0);
    return c->buf;
}

static void test_json_separators_at_every_depth(void **state)
{
    (void)state;
    struct capture c;
    struct wt_json j;
    enum { DEPTH = WT_JSON_MAX_DEPTH - 2 };
    char want[DEPTH * 16 + 64];
    size_t w = 0;

    capture_open(&c);
    wt_json_init(&j, c.f);
    wt_json_array_begin(&j, NULL);
    want[w++] = '[';
    /* Each level holds an item, then a nested array, then another item: the
     * comma after the nested array belongs to the outer level. */
    for (int d = 0; d < DEPTH; d++) {
        wt_json_int(&j, NULL, d);
        w += (size_t)sprintf(want + w, "%d,", d);
        wt_json_array_begin(&j, NULL);
        want[w++] = '[';
    }
    for (int d = DEPTH - 1; d >= 0; d--) {
        wt_json_array_end(&j);
        wt_json_bool(&j, NULL, 1);
        w += (size_t)sprintf(want + w, "],true");
    }
    wt_json_array_end(&j);
    want[w++] = ']';
    want[w] = '\0';
    assert_string_equal(capture_close(&c), want);
    free(c.buf);
}

static void test_json_siblings_after_closed_object(void **state)
{
    (void)state;
    struct capture c;
    struct wt_json j;

    capture_open(&c);
    wt_json_init(&j, c.f);
    wt_json_object_begin(&j, NULL);
    wt_json_object_begin(&j, "a");
    wt_json_object_end(&j);
    wt_json_object_begin(&j, "b");
    wt_json_null(&j, "x");
    wt_json_object_end(&j);
    wt_json_array_begin(&j, "c");
    wt_json_array_end(&j);
    wt_json_object_end(&j);
    assert_string_equal(capture_close(&c), "{\"a\":{},\"b\":{\"x\":null},\"c\":[]}");
    free(c.buf);
}

static void test_json_escapes_keys_and_values(void **state)
{
    (void)state;
    struct capture c;
    struct wt_json j;

    capture_open(&c);
    wt_json_init(&j, c.f);
    wt_json_object_begin(&j, NULL);
    wt_json_string(&j, "q\"k", "a\n\x01\xff", 4);
    wt_json_string(&j, "n", NULL, 0);
    wt_json_object_end(&j);
    assert_string_equal(capture_close(&c),
                        "{\"q\\\"k\":\"a\\n\\u0001\xef\xbf\xbd\",\"n\":null}");
    free(c.buf);
}

static void test_json_seconds_and_millis(void **state)
{
    (void)state;
    struct capture c;
    struct wt_json j;

    capture_open(&c);
    wt_json_init(&j, c.f);
    wt_json_object_begin(&j, NULL);
    wt_json_seconds(&j, "s", 1234567);
    wt_json_millis(&j, "m", 1500);
    wt_json_millis(&j, "none", -1);
    wt_json_object_end(&j);
    assert_string_equal(capture_close(&c), "{\"s\":1.234567,\"m\":1.500,\"none\":-1}");
    free(c.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_separators_at_every_depth),
        cmocka_unit_test(test_json_siblings_after_closed_object),
        cmocka_unit_test(test_json_escapes_keys_and_values),
        cmocka_unit_test(test_json_seconds_and_millis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
