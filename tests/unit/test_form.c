/* -F's parser and the multipart body, as curl 7.88 builds them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "webtrace/form.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define B "------------------------0123456789abcdef"

static void test_form_field_parse_as_curl(void **state)
{
    (void)state;
    static const struct {
        const char *arg;
        int literal;
        const char *name, *value, *type, *filename, *header;
        enum wt_form_source source;
    } cases[] = {
        { "a=b c", 0, "a", "b c", NULL, NULL, NULL, WT_FORM_TEXT },
        { "a=  spaced  ", 0, "a", "spaced", NULL, NULL, NULL, WT_FORM_TEXT },
        { "=x", 0, NULL, "x", NULL, NULL, NULL, WT_FORM_TEXT },
        { "a=", 0, "a", "", NULL, NULL, NULL, WT_FORM_TEXT },
        { "f=@/tmp/x.png", 0, "f", "/tmp/x.png", NULL, NULL, NULL, WT_FORM_FILE },
        { "f=</tmp/x", 0, "f", "/tmp/x", NULL, NULL, NULL, WT_FORM_FILE_TEXT },
        { "f=@x;type=a/b;filename=y", 0, "f", "x", "a/b", "y", NULL, WT_FORM_FILE },
        { "m=v;type= text/html ; charset=utf-8", 0, "m", "v", "text/html ; charset=utf-8",
          NULL, NULL, WT_FORM_TEXT },
        { "o=\"q;\\\"v\";type=a/b", 0, "o", "q;\"v", "a/b", NULL, NULL, WT_FORM_TEXT },
        { "o=\"unclosed;x", 0, "o", "\"unclosed", NULL, NULL, NULL, WT_FORM_TEXT },
        { "f=@x;filename=\"a;b\"", 0, "f", "x", NULL, "a;b", NULL, WT_FORM_FILE },
        { "h=x;headers=X-A: 1", 0, "h", "x", NULL, NULL, "X-A: 1", WT_FORM_TEXT },
        { "r=x;unknown=1;type=a/b", 0, "r", "x", "a/b", NULL, NULL, WT_FORM_TEXT },
        { "v=a,b;type=x/y,z", 0, "v", "a,b", "x/y,z", NULL, NULL, WT_FORM_TEXT },
        { "s=@x;type=y", 1, "s", "@x;type=y", NULL, NULL, NULL, WT_FORM_TEXT },
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct wt_form_field f;
        char err[160];
        assert_int_equal(wt_form_field_parse(cases[i].arg, cases[i].literal, &f, err, sizeof err), 0);
        if (cases[i].name)
            assert_string_equal(f.name, cases[i].name);
        else
            assert_null(f.name);
        assert_string_equal(f.value, cases[i].value);
        assert_int_equal(f.source, cases[i].source);
        if (cases[i].type)
            assert_string_equal(f.type, cases[i].type);
        else
            assert_null(f.type);
        if (cases[i].filename)
            assert_string_equal(f.filename, cases[i].filename);
        else
            assert_null(f.filename);
        if (cases[i].header) {
            assert_int_equal(f.n_headers, 1);
            assert_string_equal(f.headers[0], cases[i].header);
        } else {
            assert_int_equal(f.n_headers, 0);
        }
        wt_form_field_clear(&f);
    }
}

static void test_form_field_refuses_what_curl_refuses(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "no equals", "a=b;type=bad", "a=b;type=/x", "f=@a,b", "a=b;encoder=base64",
        "a=b;headers=@file",
    };
    for (size_t i = 0; i < N(bad); i++) {
        struct wt_form_field f;
        char err[160] = "";
        assert_int_equal(wt_form_field_parse(bad[i], 0, &f, err, sizeof err), -1);
        assert_true(err[0] != '\0');
    }
}

static void test_form_guess_type_as_curl(void **state)
{
    (void)state;
    assert_string_equal(wt_form_guess_type("a.PNG"), "image/png");
    assert_string_equal(wt_form_guess_type("x.jpeg"), "image/jpeg");
    assert_string_equal(wt_form_guess_type("doc.html"), "text/html");
    assert_string_equal(wt_form_guess_type(".txt"), "text/plain");
    assert_null(wt_form_guess_type("archive.tar.gz"));
    assert_null(wt_form_guess_type("png"));
    assert_null(wt_form_guess_type(NULL));
}

static void test_form_boundary_shape(void **state)
{
    (void)state;
    const unsigned char r[8] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
    char b[WT_FORM_BOUNDARY_LEN + 1];
    wt_form_boundary(r, b);
    assert_string_equal(b, B);
}

static void add(struct wt_form *form, const char *arg, const char *content)
{
    struct wt_form_field f;
    char err[160];
    assert_int_equal(wt_form_field_parse(arg, 0, &f, err, sizeof err), 0);
    assert_int_equal(wt_form_add(form, &f, content, strlen(content)), 0);
    wt_form_field_clear(&f);
}

static void test_form_body_as_curl(void **state)
{
    (void)state;
    struct wt_form *form = wt_form_new(B, NULL);
    assert_non_null(form);
    assert_string_equal(form->content_type, "multipart/form-data; boundary=" B);
    add(form, "a=b c", "b c");
    add(form, "f=@/tmp/dir/up.txt", "hi\n");
    add(form, "g=</tmp/up.txt", "x");
    add(form, "p=</tmp/x.png", "P");
    add(form, "j=@/tmp/c.bin", "B");
    add(form, "s=@-", "in");
    add(form, "x=v;type=text/plain;headers=X-A: 1", "v");
    add(form, "n\"\r\n=@q\"a.gif", "G");
    add(form, "=v", "v");
    assert_int_equal(wt_form_finish(form), 0);
    assert_string_equal(form->body.data,
                        "--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb c\r\n"
                        "--" B "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"up.txt\"\r\n"
                        "Content-Type: text/plain\r\n\r\nhi\n\r\n"
                        "--" B "\r\nContent-Disposition: form-data; name=\"g\"\r\n\r\nx\r\n"
                        "--" B "\r\nContent-Disposition: form-data; name=\"p\"\r\n"
                        "Content-Type: image/png\r\n\r\nP\r\n"
                        "--" B "\r\nContent-Disposition: form-data; name=\"j\"; filename=\"c.bin\"\r\n"
                        "Content-Type: application/octet-stream\r\n\r\nB\r\n"
                        "--" B "\r\nContent-Disposition: form-data; name=\"s\"; filename=\"-\"\r\n"
                        "\r\nin\r\n"
                        "--" B "\r\nContent-Disposition: form-data; name=\"x\"\r\n"
                        "Content-Type: text/plain\r\nX-A: 1\r\n\r\nv\r\n"
                        "--" B "\r\nContent-Disposition: form-data; name=\"n%22%0D%0A\"; "
                        "filename=\"q%22a.gif\"\r\nContent-Type: image/gif\r\n\r\nG\r\n"
                        "--" B "\r\nContent-Disposition: form-data\r\n\r\nv\r\n"
                        "--" B "--\r\n");
    assert_int_equal(form->n_parts, 9);
    assert_string_equal(form->parts[1].filename, "up.txt");
    assert_string_equal(form->parts[1].type, "text/plain");
    assert_int_equal(form->parts[1].size, 3);
    assert_null(form->parts[0].type);
    wt_form_free(form);

    form = wt_form_new(B, "text/x");
    assert_string_equal(form->content_type, "text/x; boundary=" B);
    add(form, "a=1", "1");
    assert_int_equal(wt_form_finish(form), 0);
    assert_string_equal(form->body.data, "--" B "\r\nContent-Disposition: attachment; "
                                         "name=\"a\"\r\n\r\n1\r\n--" B "--\r\n");
    wt_form_free(form);
    wt_form_free(NULL);
}

static void test_form_caps_the_parts(void **state)
{
    (void)state;
    struct wt_form *form = wt_form_new(B, NULL);
    for (int i = 0; i < WT_FORM_MAX_PARTS; i++)
        add(form, "a=1", "1");
    struct wt_form_field f;
    char err[160];
    assert_int_equal(wt_form_field_parse("a=1", 0, &f, err, sizeof err), 0);
    size_t len = form->body.len;
    assert_int_equal(wt_form_add(form, &f, "1", 1), -1);
    assert_int_equal(form->body.len, len);
    wt_form_field_clear(&f);
    wt_form_free(form);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_field_parse_as_curl),
        cmocka_unit_test(test_form_field_refuses_what_curl_refuses),
        cmocka_unit_test(test_form_guess_type_as_curl),
        cmocka_unit_test(test_form_boundary_shape),
        cmocka_unit_test(test_form_body_as_curl),
        cmocka_unit_test(test_form_caps_the_parts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
