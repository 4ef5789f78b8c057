/* The content decoder: Content-Encoding lists, each coding undone as a
 * stream (the body split at every byte offset), stacked codings, and
 * curl 7.88's outcome for every kind of bad body. The coded bodies come
 * from codeclib's encoders, the ones webtrace serve uses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/codeclib.h"
#include "webtrace/decode.h"
#include "webtrace/exitcode.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct collected {
    char *data;
    size_t len;
    size_t calls;
    size_t biggest;
    int fail_with;    /* the sink's answer */
};

static int collect(void *ctx, const char *data, size_t len)
{
    struct collected *c = ctx;
    if (c->fail_with)
        return c->fail_with;
    c->data = realloc(c->data, c->len + len + 1);
    assert_non_null(c->data);
    memcpy(c->data + c->len, data, len);
    c->len += len;
    c->calls++;
    if (len > c->biggest)
        c->biggest = len;
    return 0;
}

static const char text[] =
    "{\"hello\": \"world\", \"n\": 1}\n{\"hello\": \"world\", \"n\": 2}\n"
    "{\"hello\": \"world\", \"n\": 3}\n{\"hello\": \"world\", \"n\": 4}\n";

static char *encode(const char *coding, const char *in, size_t len, size_t *out_len)
{
    char *out, err[200];
    assert_int_equal(wt_encode_body(coding, in, len, &out, out_len, err, sizeof err), 0);
    return out;
}

/* A decoder for header, fed body in pieces of step bytes. Returns the
 * first non-zero write result, or finish's. */
static int run(const char *header, const char *body, size_t len, size_t step,
               struct collected *c, struct wt_decoder **keep)
{
    struct wt_decoder *d = wt_decoder_new(collect, c);
    assert_non_null(d);
    wt_decoder_add_header(d, header, strlen(header));
    int rc = 0;
    for (size_t off = 0; off < len && !rc; off += step)
        rc = wt_decoder_write(d, body + off, len - off < step ? len - off : step);
    if (!rc)
        rc = wt_decoder_finish(d);
    if (keep)
        *keep = d;
    else
        wt_decoder_free(d);
    return rc;
}

static void test_decode_coding_names(void **state)
{
    (void)state;
    static const struct { const char *name; enum wt_coding coding; } cases[] = {
        { "gzip", WT_CODING_GZIP }, { "GZIP", WT_CODING_GZIP }, { "x-gzip", WT_CODING_GZIP },
        { "deflate", WT_CODING_DEFLATE }, { "br", WT_CODING_BR }, { "zstd", WT_CODING_ZSTD },
        { "identity", WT_CODING_IDENTITY }, { "none", WT_CODING_IDENTITY },
        { "compress", WT_CODING_UNKNOWN }, { "gzip2", WT_CODING_UNKNOWN }, { "", WT_CODING_UNKNOWN },
    };
    for (size_t i = 0; i < N(cases); i++)
        assert_int_equal(wt_coding_of(cases[i].name, strlen(cases[i].name)), cases[i].coding);
}

static void test_decode_list_as_curl_reads_it(void **state)
{
    (void)state;
    static const struct { const char *header, *names; int active; } cases[] = {
        { "gzip", "gzip", 1 },
        { " gzip ,  ", "gzip", 1 },
        { "gzip,,br", "gzip, br", 1 },
        { "identity", "", 0 },
        { "identity, zstd", "zstd", 1 },
        { "foo", "foo", 1 },
        { "a\x01" "b", "a?b", 1 },
        { "", "", 0 },
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct wt_decoder *d = wt_decoder_new(collect, NULL);
        wt_decoder_add_header(d, cases[i].header, strlen(cases[i].header));
        assert_string_equal(wt_decoder_names(d), cases[i].names);
        assert_int_equal(wt_decoder_active(d), cases[i].active);
        wt_decoder_free(d);
    }
}

static void test_decode_each_coding_split_at_every_offset(void **state)
{
    (void)state;
    static const char *const codings[] = { "gzip", "deflate", "br", "zstd" };
    for (size_t k = 0; k < N(codings); k++) {
        size_t len;
        char *coded = encode(codings[k], text, sizeof text - 1, &len);
        for (size_t step = 1; step <= len; step++) {
            struct collected c = { 0 };
            struct wt_decoder *d;
            assert_int_equal(run(codings[k], coded, len, step, &c, &d), 0);
            assert_int_equal(c.len, sizeof text - 1);
            assert_memory_equal(c.data, text, c.len);
            assert_false(wt_decoder_truncated(d));
            assert_int_equal(wt_decoder_bytes_in(d), len);
            assert_int_equal(wt_decoder_bytes_out(d), sizeof text - 1);
            wt_decoder_free(d);
            free(c.data);
        }
        free(coded);
    }
}

static void test_decode_stacked_codings_undone_last_first(void **state)
{
    (void)state;
    size_t l1, l2, l3;
    char *gz = encode("gzip", text, sizeof text - 1, &l1);
    char *br = encode("br", gz, l1, &l2);
    char *zs = encode("zstd", br, l2, &l3);
    struct collected c = { 0 };
    assert_int_equal(run("gzip, br", br, l2, 7, &c, NULL), 0);
    assert_int_equal(c.len, sizeof text - 1);
    free(c.data);
    memset(&c, 0, sizeof c);
    /* two headers stack as one list */
    struct wt_decoder *d = wt_decoder_new(collect, &c);
    wt_decoder_add_header(d, "gzip, identity", 14);
    wt_decoder_add_header(d, "br,zstd", 7);
    assert_string_equal(wt_decoder_names(d), "gzip, br, zstd");
    assert_int_equal(wt_decoder_write(d, zs, l3), 0);
    assert_int_equal(wt_decoder_finish(d), 0);
    assert_int_equal(c.len, sizeof text - 1);
    assert_memory_equal(c.data, text, c.len);
    wt_decoder_free(d);
    free(c.data);
    free(gz);
    free(br);
    free(zs);
}

static void test_decode_six_codings_refused_even_empty(void **state)
{
    (void)state;
    struct collected c = { 0 };
    assert_int_equal(run("identity, identity, identity, identity, identity", text, 5, 5, &c, NULL), 0);
    free(c.data);
    memset(&c, 0, sizeof c);
    struct wt_decoder *d;
    assert_int_equal(run("gzip, gzip, gzip, gzip, gzip, gzip", "", 0, 1, &c, &d),
                     WT_EXIT_BAD_CONTENT_ENCODING);
    assert_non_null(strstr(wt_decoder_error(d), "more than 5"));
    wt_decoder_free(d);
}

static void test_decode_unknown_coding_fails_only_with_bytes(void **state)
{
    (void)state;
    struct collected c = { 0 };
    assert_int_equal(run("compress", "", 0, 1, &c, NULL), 0);
    struct wt_decoder *d;
    assert_int_equal(run("compress", text, 10, 10, &c, &d), WT_EXIT_BAD_CONTENT_ENCODING);
    assert_non_null(strstr(wt_decoder_error(d), "'compress'"));
    assert_int_equal(c.len, 0);
    wt_decoder_free(d);
}

/* curl 7.88: raw deflate for "deflate" is tolerated; zlib for "gzip" too;
 * raw deflate for "gzip" is not. */
static void test_decode_deflate_and_gzip_tolerance(void **state)
{
    (void)state;
    char err[200];
    const struct wt_zlib *zl = wt_zlib_load(err, sizeof err);
    assert_non_null(zl);
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(zl->deflateInit2_(&z, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY,
                                       ZLIB_VERSION, (int)sizeof z), Z_OK);
    char raw[512];
    z.next_in = (Bytef *)text;
    z.avail_in = sizeof text - 1;
    z.next_out = (Bytef *)raw;
    z.avail_out = sizeof raw;
    assert_int_equal(zl->deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t raw_len = z.total_out;
    zl->deflateEnd(&z);
    for (size_t step = 1; step <= raw_len; step++) {
        struct collected c = { 0 };
        assert_int_equal(run("deflate", raw, raw_len, step, &c, NULL), 0);
        assert_int_equal(c.len, sizeof text - 1);
        free(c.data);
    }
    /* up to four unknown bytes may follow raw deflate, not five */
    memcpy(raw + raw_len, "12345", 5);
    struct collected c = { 0 };
    assert_int_equal(run("deflate", raw, raw_len + 4, raw_len + 4, &c, NULL), 0);
    free(c.data);
    memset(&c, 0, sizeof c);
    assert_int_equal(run("deflate", raw, raw_len + 5, 3, &c, NULL), WT_EXIT_WRITE_ERROR);
    free(c.data);
    memset(&c, 0, sizeof c);
    assert_int_equal(run("gzip", raw, raw_len, raw_len, &c, NULL), WT_EXIT_BAD_CONTENT_ENCODING);
    size_t zlen;
    char *zlib = encode("deflate", text, sizeof text - 1, &zlen);
    assert_int_equal(run("gzip", zlib, zlen, 2, &c, NULL), 0);
    assert_int_equal(c.len, sizeof text - 1);
    free(c.data);
    free(zlib);
}

/* What curl 7.88 gives for each bad body, coding by coding. */
static void test_decode_bad_bodies_as_curl(void **state)
{
    (void)state;
    static const struct { const char *coding; int damage; int want; } cases[] = {
        /* damage: 0 trailing bytes, 1 cut in half, 2 garbage inside, 3 second copy */
        { "gzip", 0, WT_EXIT_WRITE_ERROR },
        { "deflate", 0, WT_EXIT_WRITE_ERROR },
        { "br", 0, WT_EXIT_WRITE_ERROR },
        { "zstd", 0, WT_EXIT_BAD_CONTENT_ENCODING },
        { "gzip", 1, 0 }, { "deflate", 1, 0 }, { "br", 1, 0 }, { "zstd", 1, 0 },
        { "gzip", 2, WT_EXIT_BAD_CONTENT_ENCODING },
        { "deflate", 2, WT_EXIT_BAD_CONTENT_ENCODING },
        { "br", 2, WT_EXIT_BAD_CONTENT_ENCODING },
        { "zstd", 2, WT_EXIT_BAD_CONTENT_ENCODING },
        { "gzip", 3, WT_EXIT_WRITE_ERROR },
        { "zstd", 3, 0 },   /* libzstd reads frame after frame */
    };
    for (size_t i = 0; i < N(cases); i++) {
        size_t len;
        char *coded = encode(cases[i].coding, text, sizeof text - 1, &len);
        char *body = malloc(2 * len + 16);
        size_t body_len = len;
        memcpy(body, coded, len);
        switch (cases[i].damage) {
        case 0:
            memcpy(body + len, "trailing", 8);
            body_len += 8;
            break;
        case 1:
            body_len = len / 2;
            break;
        case 2:
            memset(body + 2, 0xff, len - 4 > 12 ? 12 : len - 4);
            break;
        case 3:
            memcpy(body + len, coded, len);
            body_len += len;
            break;
        }
        for (size_t step = 1; step <= body_len; step += 5) {
            struct collected c = { 0 };
            struct wt_decoder *d;
            int rc = run(cases[i].coding, body, body_len, step, &c, &d);
            if (rc != cases[i].want)
                fail_msg("%s damage %d step %zu: %d, want %d (%s)", cases[i].coding,
                         cases[i].damage, step, rc, cases[i].want, wt_decoder_error(d));
            if (cases[i].damage == 1)
                assert_true(wt_decoder_truncated(d));
            if (rc)
                assert_true(wt_decoder_error(d)[0] != '\0');
            wt_decoder_free(d);
            free(c.data);
        }
        free(body);
        free(coded);
    }
}

static void test_decode_streams_in_bounded_chunks(void **state)
{
    (void)state;
    size_t big = 8 * 1024 * 1024, len;
    char *zeros = calloc(1, big);
    char *coded = encode("gzip", zeros, big, &len);
    free(zeros);
    assert_true(len < big / 100);
    struct collected c = { 0 };
    struct wt_decoder *d = wt_decoder_new(collect, &c);
    wt_decoder_add_header(d, "gzip", 4);
    assert_int_equal(wt_decoder_write(d, coded, len), 0);
    assert_int_equal(wt_decoder_finish(d), 0);
    assert_int_equal(c.len, big);
    assert_true(c.biggest <= WT_DECODE_CHUNK);
    assert_true(c.calls >= big / WT_DECODE_CHUNK);
    wt_decoder_free(d);
    free(c.data);
    free(coded);
}

static void test_decode_sink_error_stops_decoding(void **state)
{
    (void)state;
    size_t len;
    char *coded = encode("br", text, sizeof text - 1, &len);
    struct collected c = { .fail_with = WT_EXIT_WRITE_ERROR };
    struct wt_decoder *d = wt_decoder_new(collect, &c);
    wt_decoder_add_header(d, "br", 2);
    assert_int_equal(wt_decoder_write(d, coded, len), WT_EXIT_WRITE_ERROR);
    /* sticky: nothing more is decoded */
    assert_int_equal(wt_decoder_write(d, coded, len), WT_EXIT_WRITE_ERROR);
    assert_int_equal(wt_decoder_finish(d), WT_EXIT_WRITE_ERROR);
    wt_decoder_free(d);
    wt_decoder_free(NULL);
    free(coded);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_coding_names),
        cmocka_unit_test(test_decode_list_as_curl_reads_it),
        cmocka_unit_test(test_decode_each_coding_split_at_every_offset),
        cmocka_unit_test(test_decode_stacked_codings_undone_last_first),
        cmocka_unit_test(test_decode_six_codings_refused_even_empty),
        cmocka_unit_test(test_decode_unknown_coding_fails_only_with_bytes),
        cmocka_unit_test(test_decode_deflate_and_gzip_tolerance),
        cmocka_unit_test(test_decode_bad_bodies_as_curl),
        cmocka_unit_test(test_decode_streams_in_bounded_chunks),
        cmocka_unit_test(test_decode_sink_error_stops_decoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
