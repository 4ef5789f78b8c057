#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "webtrace/exitcode.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
    int code;
    const char *words;
} curl_words[] = {
    { WT_EXIT_OK, "success" },
    { WT_EXIT_UNSUPPORTED_PROTOCOL, "unsupported protocol" },
    { WT_EXIT_USAGE, "bad option or argument (failed to initialize)" },
    { WT_EXIT_URL_MALFORMED, "URL malformed" },
    { WT_EXIT_RESOLVE_PROXY, "couldn't resolve proxy" },
    { WT_EXIT_RESOLVE, "couldn't resolve host" },
    { WT_EXIT_CONNECT, "couldn't connect to server" },
    { WT_EXIT_WEIRD_REPLY, "weird server reply" },
    { WT_EXIT_PARTIAL_FILE, "partial file (transfer ended early)" },
    { WT_EXIT_HTTP_ERROR, "HTTP error status (>= 400 with --fail)" },
    { WT_EXIT_WRITE_ERROR, "write error" },
    { WT_EXIT_READ_ERROR, "read error" },
    { WT_EXIT_OUT_OF_MEMORY, "out of memory" },
    { WT_EXIT_TIMEOUT, "operation timed out" },
    { WT_EXIT_TLS_CONNECT, "TLS connect error" },
    { WT_EXIT_TOO_MANY_REDIRECTS, "too many redirects" },
    { WT_EXIT_GOT_NOTHING, "server returned nothing (no headers, no data)" },
    { WT_EXIT_SEND_ERROR, "failed sending network data" },
    { WT_EXIT_RECV_ERROR, "failure receiving network data" },
    { WT_EXIT_PEER_VERIFICATION, "peer certificate cannot be authenticated" },
    { WT_EXIT_TOO_LARGE, "too large (a size limit was exceeded)" },
};

static void test_exitcode_numbers_match_curl(void **state)
{
    (void)state;
    assert_int_equal(WT_EXIT_OK, 0);
    assert_int_equal(WT_EXIT_UNSUPPORTED_PROTOCOL, 1);
    assert_int_equal(WT_EXIT_USAGE, 2);
    assert_int_equal(WT_EXIT_URL_MALFORMED, 3);
    assert_int_equal(WT_EXIT_RESOLVE, 6);
    assert_int_equal(WT_EXIT_CONNECT, 7);
    assert_int_equal(WT_EXIT_WEIRD_REPLY, 8);
    assert_int_equal(WT_EXIT_PARTIAL_FILE, 18);
    assert_int_equal(WT_EXIT_HTTP_ERROR, 22);
    assert_int_equal(WT_EXIT_WRITE_ERROR, 23);
    assert_int_equal(WT_EXIT_READ_ERROR, 26);
    assert_int_equal(WT_EXIT_OUT_OF_MEMORY, 27);
    assert_int_equal(WT_EXIT_TIMEOUT, 28);
    assert_int_equal(WT_EXIT_TLS_CONNECT, 35);
    assert_int_equal(WT_EXIT_TOO_MANY_REDIRECTS, 47);
    assert_int_equal(WT_EXIT_GOT_NOTHING, 52);
    assert_int_equal(WT_EXIT_SEND_ERROR, 55);
    assert_int_equal(WT_EXIT_RECV_ERROR, 56);
    assert_int_equal(WT_EXIT_PEER_VERIFICATION, 60);
    assert_int_equal(WT_EXIT_TOO_LARGE, 100);
}

static void test_exitcode_every_code_has_its_words(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(curl_words); i++)
        assert_string_equal(wt_exit_describe(curl_words[i].code), curl_words[i].words);
}

static void test_exitcode_words_are_one_short_printable_line(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(curl_words); i++) {
        const char *w = wt_exit_describe(curl_words[i].code);
        assert_true(strlen(w) > 0 && strlen(w) < 60);
        for (const char *p = w; *p; p++)
            assert_true(*p >= 0x20 && *p < 0x7f);
    }
}

static void test_exitcode_unknown_codes(void **state)
{
    (void)state;
    static const int unknown[] = { -1, 4, 9, 21, 24, 29, 34, 51, 99, 101, 255, 256, 100000 };
    for (size_t i = 0; i < N(unknown); i++)
        assert_string_equal(wt_exit_describe(unknown[i]), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exitcode_numbers_match_curl),
        cmocka_unit_test(test_exitcode_every_code_has_its_words),
        cmocka_unit_test(test_exitcode_words_are_one_short_printable_line),
        cmocka_unit_test(test_exitcode_unknown_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
