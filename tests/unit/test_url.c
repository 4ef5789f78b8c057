#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "webtrace/url.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct good_case {
    const char *input;
    enum wt_scheme scheme;
    enum wt_host_kind kind;
    const char *host;
    uint16_t port;
    int port_explicit;
    const char *target;
    const char *normalized;
};

struct bad_case {
    const char *input;
    enum wt_url_status status;
    const char *err_contains;
};

static void check_printable_sentence(const char *err)
{
    assert_true(strlen(err) > 0);
    for (const char *p = err; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c >= 0x7f)
            fail_msg("non-printable byte 0x%02x in err \"%s\"", c, err);
    }
}

static void check_good(const struct good_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct good_case *c = &cases[i];
        struct wt_url url;
        char err[256] = "junk";
        enum wt_url_status st = wt_url_parse(c->input, &url, err, sizeof err);
        if (st != WT_URL_OK)
            fail_msg("'%s': status %d, err \"%s\"", c->input, st, err);
        assert_string_equal(err, "");
        assert_int_equal(url.scheme, c->scheme);
        assert_int_equal(url.host_kind, c->kind);
        assert_string_equal(url.host, c->host);
        assert_int_equal(url.port, c->port);
        assert_int_equal(url.port_explicit, c->port_explicit);
        assert_string_equal(url.target, c->target);
        assert_string_equal(url.normalized, c->normalized);
        wt_url_clear(&url);
    }
}

static void check_bad(const struct bad_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct bad_case *c = &cases[i];
        struct wt_url url;
        char err[256] = "";
        enum wt_url_status st = wt_url_parse(c->input, &url, err, sizeof err);
        if (st != c->status)
            fail_msg("'%s': status %d, want %d (err \"%s\")", c->input, st, c->status, err);
        check_printable_sentence(err);
        if (!strstr(err, c->err_contains))
            fail_msg("'%s': err \"%s\" lacks \"%s\"", c->input, err, c->err_contains);
        assert_null(url.target);
        assert_null(url.normalized);
        assert_string_equal(url.host, "");
        assert_int_equal(url.port, 0);
    }
}

static void test_url_bare_host_means_http_root(void **state)
{
    (void)state;
    static const struct good_case cases[] = {
        { "www.example.test", WT_SCHEME_HTTP, WT_HOST_NAME, "www.example.test", 80, 0,
          "/", "http://www.example.test/" },
        { "localhost", WT_SCHEME_HTTP, WT_HOST_NAME, "localhost", 80, 0,
          "/", "http://localhost/" },
        { "a", WT_SCHEME_HTTP, WT_HOST_NAME, "a", 80, 0, "/", "http://a/" },
        { "www.example.test/index.html", WT_SCHEME_HTTP, WT_HOST_NAME, "www.example.test", 80, 0,
          "/index.html", "http://www.example.test/index.html" },
        { "under_score.example", WT_SCHEME_HTTP, WT_HOST_NAME, "under_score.example", 80, 0,
          "/", "http://under_score.example/" },
        { "xn--bcher-kva.example", WT_SCHEME_HTTP, WT_HOST_NAME, "xn--bcher-kva.example", 80, 0,
          "/", "http://xn--bcher-kva.example/" },
        { "h.0x1g", WT_SCHEME_HTTP, WT_HOST_NAME, "h.0x1g", 80, 0, "/", "http://h.0x1g/" },
        { "1host.example", WT_SCHEME_HTTP, WT_HOST_NAME, "1host.example", 80, 0,
          "/", "http://1host.example/" },
    };
    check_good(cases, N(cases));
}

static void test_url_host_port_without_scheme(void **state)
{
    (void)state;
    static const struct good_case cases[] = {
        { "localhost:8080", WT_SCHEME_HTTP, WT_HOST_NAME, "localhost", 8080, 1,
          "/", "http://localhost:8080/" },
        { "www.example.test:8080/x", WT_SCHEME_HTTP, WT_HOST_NAME, "www.example.test", 8080, 1,
          "/x", "http://www.example.test:8080/x" },
        { "example.test:80", WT_SCHEME_HTTP, WT_HOST_NAME, "example.test", 80, 1,
          "/", "http://example.test/" },
        { "ftp:21", WT_SCHEME_HTTP, WT_HOST_NAME, "ftp", 21, 1, "/", "http://ftp:21/" },
        { "http:8080", WT_SCHEME_HTTP, WT_HOST_NAME, "http", 8080, 1,
          "/", "http://http:8080/" },
        { "host:65535", WT_SCHEME_HTTP, WT_HOST_NAME, "host", 65535, 1,
          "/", "http://host:65535/" },
        { "host:1", WT_SCHEME_HTTP, WT_HOST_NAME, "host", 1, 1, "/", "http://host:1/" },
        { "host:00080", WT_SCHEME_HTTP, WT_HOST_NAME, "host", 80, 1, "/", "http://host/" },
    };
    check_good(cases, N(cases));
}

static void test_url_full_urls(void **state)
{
    (void)state;
    static const struct good_case cases[] = {
        { "http://www.example.test/", WT_SCHEME_HTTP, WT_HOST_NAME, "www.example.test", 80, 0,
          "/", "http://www.example.test/" },
        { "http://host:8080/path/to?q=1&r=2", WT_SCHEME_HTTP, WT_HOST_NAME, "host", 8080, 1,
          "/path/to?q=1&r=2", "http://host:8080/path/to?q=1&r=2" },
        { "http://host/a%20b", WT_SCHEME_HTTP, WT_HOST_NAME, "host", 80, 0,
          "/a%20b", "http://host/a%20b" },
        { "http://host/p@th", WT_SCHEME_HTTP, WT_HOST_NAME, "host", 80, 0,
          "/p@th", "http://host/p@th" },
        { "http://host/a:b", WT_SCHEME_HTTP, WT_HOST_NAME, "host", 80, 0,
          "/a:b", "http://host/a:b" },
        { "http://host/x://y", WT_SCHEME_HTTP, WT_HOST_NAME, "host", 80, 0,
          "/x://y", "http://host/x://y" },
    };
    check_good(cases, N(cases));
}

static void test_url_https_default_port_is_443(void **state)
{
    (void)state;
    static const struct good_case cases[] = {
        { "https://secure.example.test/", WT_SCHEME_HTTPS, WT_HOST_NAME, "secure.example.test",
          443, 0, "/", "https://secure.example.test/" },
        { "https://h:443/x", WT_SCHEME_HTTPS, WT_HOST_NAME, "h", 443, 1,
          "/x", "https://h/x" },
        { "https://h:80/", WT_SCHEME_HTTPS, WT_HOST_NAME, "h", 80, 1, "/", "https://h:80/" },
        { "http://h:443/", WT_SCHEME_HTTP, WT_HOST_NAME, "h", 443, 1, "/", "http://h:443/" },
        { "https://h:8443", WT_SCHEME_HTTPS, WT_HOST_NAME, "h", 8443, 1,
          "/", "https://h:8443/" },
    };
    check_good(cases, N(cases));
}

static void test_url_scheme_is_case_insensitive(void **state)
{
    (void)state;
    static const struct good_case cases[] = {
        { "HTTP://h/", WT_SCHEME_HTTP, WT_HOST_NAME, "h", 80, 0, "/", "http://h/" },
        { "Http://h/", WT_SCHEME_HTTP, WT_HOST_NAME, "h", 80, 0, "/", "http://h/" },
        { "HTTPS://h/", WT_SCHEME_HTTPS, WT_HOST_NAME, "h", 443, 0, "/", "https://h/" },
        { "hTtPs://h/", WT_SCHEME_HTTPS, WT_HOST_NAME, "h", 443, 0, "/", "https://h/" },
    };
    check_good(cases, N(cases));
}

static void test_url_host_is_lowercased(void **state)
{
    (void)state;
    static const struct good_case cases[] = {
        { "WWW.Example.TEST", WT_SCHEME_HTTP, WT_HOST_NAME, "www.example.test", 80, 0,
          "/", "http://www.example.test/" },
        { "http://MiXeD.example/Path/KEPT", WT_SCHEME_HTTP, WT_HOST_NAME, "mixed.example", 80, 0,
          "/Path/KEPT", "http://mixed.example/Path/KEPT" },
        { "http://[FE80::ABCD]/", WT_SCHEME_HTTP, WT_HOST_IPV6, "fe80::abcd", 80, 0,
          "/", "http://[fe80::abcd]/" },
    };
    check_good(cases, N(cases));
}

static void test_url_trailing_dot_is_stripped(void **state)
{
    (void)state;
    static const struct good_case cases[] = {
        { "www.example.test.", WT_SCHEME_HTTP, WT_HOST_NAME, "www.example.test", 80, 0,
          "/", "http://www.example.test/" },
        { "http://example.test.:8080/", WT_SCHEME_HTTP, WT_HOST_NAME, "example.test", 8080, 1,
          "/", "http://example.test:8080/" },
        { "localhost.", WT_SCHEME_HTTP, WT_HOST_NAME, "localhost", 80, 0,
          "/", "http://localhost/" },
    };
    check_good(cases, N(cases));
}

static void test_url_fragment_is_dropped(void **state)
{
    (void)state;
    static const struct good_case cases[] = {
        { "http://h/page#section", WT_SCHEME_HTTP, WT_HOST_NAME, "h", 80, 0,
          "/page", "http://h/page" },
        { "http://h/page?q=1#frag", WT_SCHEME_HTTP, WT_HOST_NAME, "h", 80, 0,
          "/page?q=1", "http://h/page?q=1" },
        { "http://h#frag", WT_SCHEME_HTTP, WT_HOST_NAME, "h", 80, 0, "/", "http://h/" },
        { "h:81#x?y", WT_SCHEME_HTTP, WT_HOST_NAME, "h", 81, 1, "/", "http://h:81/" },
    };
    check_good(cases, N(cases));
}

static void test_url_empty_path_becomes_slash_and_query_is_kept(void **state)
{
    (void)state;
    static const struct good_case cases[] = {
        { "http://h", WT_SCHEME_HTTP, WT_HOST_NAME, "h", 80, 0, "/", "http://h/" },
        { "http://h?q=1", WT_SCHEME_HTTP, WT_HOST_NAME, "h", 80, 0, "/?q=1", "http://h/?q=1" },
        { "h:8080?a=b&c", WT_SCHEME_HTTP, WT_HOST_NAME, "h", 8080, 1,
          "/?a=b&c", "http://h:8080/?a=b&c" },
        { "http://h/?", WT_SCHEME_HTTP, WT_HOST_NAME, "h", 80, 0, "/?", "http://h/?" },
        { "http://h//double", WT_SCHEME_HTTP, WT_HOST_NAME, "h", 80, 0,
          "//double", "http://h//double" },
    };
    check_good(cases, N(cases));
}

static void test_url_ipv4_literal(void **state)
{
    (void)state;
    static const struct good_case cases[] = {
        { "127.0.0.1", WT_SCHEME_HTTP, WT_HOST_IPV4, "127.0.0.1", 80, 0,
          "/", "http://127.0.0.1/" },
        { "192.0.2.1:8080", WT_SCHEME_HTTP, WT_HOST_IPV4, "192.0.2.1", 8080, 1,
          "/", "http://192.0.2.1:8080/" },
        { "https://10.0.0.255/x", WT_SCHEME_HTTPS, WT_HOST_IPV4, "10.0.0.255", 443, 0,
          "/x", "https://10.0.0.255/x" },
        { "0.0.0.0", WT_SCHEME_HTTP, WT_HOST_IPV4, "0.0.0.0", 80, 0, "/", "http://0.0.0.0/" },
        { "255.255.255.255.", WT_SCHEME_HTTP, WT_HOST_IPV4, "255.255.255.255", 80, 0,
          "/", "http://255.255.255.255/" },
    };
    check_good(cases, N(cases));
}

static void test_url_ipv6_literal(void **state)
{
    (void)state;
    static const struct good_case cases[] = {
        { "[::1]", WT_SCHEME_HTTP, WT_HOST_IPV6, "::1", 80, 0, "/", "http://[::1]/" },
        { "[::1]:8080", WT_SCHEME_HTTP, WT_HOST_IPV6, "::1", 8080, 1,
          "/", "http://[::1]:8080/" },
        { "http://[::1]/", WT_SCHEME_HTTP, WT_HOST_IPV6, "::1", 80, 0, "/", "http://[::1]/" },
        { "https://[2001:db8::1]:8443/a?b", WT_SCHEME_HTTPS, WT_HOST_IPV6, "2001:db8::1", 8443, 1,
          "/a?b", "https://[2001:db8::1]:8443/a?b" },
        { "[0:0:0:0:0:0:0:1]", WT_SCHEME_HTTP, WT_HOST_IPV6, "0:0:0:0:0:0:0:1", 80, 0,
          "/", "http://[0:0:0:0:0:0:0:1]/" },
        { "[::1:5353]", WT_SCHEME_HTTP, WT_HOST_IPV6, "::1:5353", 80, 0,
          "/", "http://[::1:5353]/" },
        { "[::ffff:192.0.2.1]", WT_SCHEME_HTTP, WT_HOST_IPV6, "::ffff:192.0.2.1", 80, 0,
          "/", "http://[::ffff:192.0.2.1]/" },
        { "[::]:80", WT_SCHEME_HTTP, WT_HOST_IPV6, "::", 80, 1, "/", "http://[::]/" },
    };
    check_good(cases, N(cases));
}

static void test_url_rejects_control_bytes(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        { "http://h/\r\nX-Injected: 1", WT_URL_BAD, "control character (CR)" },
        { "http://h/\nx", WT_URL_BAD, "control character (LF)" },
        { "h\tx", WT_URL_BAD, "control character (TAB)" },
        { "http://h/\x1b[31m", WT_URL_BAD, "control character (ESC)" },
        { "http://h/\x7f", WT_URL_BAD, "control character (DEL)" },
        { "http://h/\x01", WT_URL_BAD, "control character (0x01)" },
        { "\rhttp://h/", WT_URL_BAD, "control character (CR) at byte 1" },
        { "http://h/a b", WT_URL_BAD, "space" },
        { " h", WT_URL_BAD, "space" },
        { "h ", WT_URL_BAD, "space" },
    };
    check_bad(cases, N(cases));
}

static void test_url_rejects_every_control_byte_everywhere(void **state)
{
    (void)state;
    static const char *templates[] = { "Xhttp://h/p", "http://hX/p", "http://h/pX", "hX:80" };
    for (size_t t = 0; t < N(templates); t++) {
        for (int b = 1; b < 256; b++) {
            if (b >= 0x21 && b < 0x7f)
                continue;
            /* bytes above ASCII in the target are percent-encoded (below) */
            if (b >= 0x80 && t == 2)
                continue;
            char input[32];
            snprintf(input, sizeof input, "%s", templates[t]);
            *strchr(input, 'X') = (char)b;
            struct wt_url url;
            char err[256] = "";
            assert_int_equal(wt_url_parse(input, &url, err, sizeof err), WT_URL_BAD);
            check_printable_sentence(err);
            assert_null(url.normalized);
        }
    }
}

static void test_url_rejects_userinfo(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        { "http://user@host/", WT_URL_BAD, "credentials" },
        { "http://user:pass@host/", WT_URL_BAD, "credentials" },
        { "user@host", WT_URL_BAD, "credentials" },
        { "https://@host", WT_URL_BAD, "credentials" },
        { "http://a@[::1]/", WT_URL_BAD, "credentials" },
    };
    check_bad(cases, N(cases));
}

static void test_url_rejects_empty_host(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        { "", WT_URL_BAD, "empty URL" },
        { "http://", WT_URL_BAD, "empty host name" },
        { "http:///path", WT_URL_BAD, "empty host name" },
        { "https://:443/", WT_URL_BAD, "empty host name" },
        { ":8080", WT_URL_BAD, "empty host name" },
        { "/path", WT_URL_BAD, "empty host name" },
        { "?q", WT_URL_BAD, "empty host name" },
        { ".", WT_URL_BAD, "empty host name" },
        { "http://./", WT_URL_BAD, "empty host name" },
    };
    check_bad(cases, N(cases));
}

static void test_url_rejects_bad_host_names(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        { "a..b", WT_URL_BAD, "empty label" },
        { ".example.test", WT_URL_BAD, "empty label" },
        { "example.test..", WT_URL_BAD, "empty label" },
        { "http://ex!ample/", WT_URL_BAD, "invalid character '!'" },
        { "http://ex%41mple/", WT_URL_BAD, "invalid character '%'" },
        { "http://exa*mple/", WT_URL_BAD, "invalid character '*'" },
        { "http://h\\x/", WT_URL_BAD, "invalid character '\\'" },
        { "http://h,x/", WT_URL_BAD, "invalid character ','" },
    };
    check_bad(cases, N(cases));
}

static void test_url_rejects_bad_ipv4(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        { "1.2.3.999", WT_URL_BAD, "'1.2.3.999' is not a valid IPv4 address" },
        { "http://1.2.3.999:80/", WT_URL_BAD, "'1.2.3.999' is not a valid IPv4 address" },
        { "1.2.3", WT_URL_BAD, "not a valid IPv4" },
        { "1.2.3.4.5", WT_URL_BAD, "not a valid IPv4" },
        { "http://256.1.1.1/", WT_URL_BAD, "not a valid IPv4" },
        { "123", WT_URL_BAD, "not a valid IPv4" },
        { "2130706433", WT_URL_BAD, "not a valid IPv4" },
        { "010.0.0.1", WT_URL_BAD, "not a valid IPv4" },
        { "0x7f.0.0.1", WT_URL_BAD, "not a valid IPv4" },
        { "1..2.3", WT_URL_BAD, "not a valid IPv4" },
        { "example.123", WT_URL_BAD,
          "host name ends in a number but 'example.123' is not a valid IPv4" },
        { "h.0x1F", WT_URL_BAD, "ends in a number" },
        { "127.1", WT_URL_BAD, "not a valid IPv4" },
    };
    check_bad(cases, N(cases));
}

static void test_url_rejects_bad_ipv6(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        { "[::1", WT_URL_BAD, "unbalanced '['" },
        { "http://[::1/", WT_URL_BAD, "unbalanced '['" },
        { "::1]", WT_URL_BAD, "unbalanced ']'" },
        { "http://h]/", WT_URL_BAD, "unbalanced ']'" },
        { "h[::1]", WT_URL_BAD, "unbalanced '['" },
        { "[[::1]]", WT_URL_BAD, "unbalanced '['" },
        { "[]", WT_URL_BAD, "empty IPv6" },
        { "[::g]", WT_URL_BAD, "'::g' is not a valid IPv6 address" },
        { "[1.2.3.4]", WT_URL_BAD, "not a valid IPv6" },
        { "[1:2:3:4:5:6:7:8:9]", WT_URL_BAD, "not a valid IPv6" },
        { "[fe80::1%25eth0]", WT_URL_BAD, "zone ids are not supported" },
        { "[example.test]", WT_URL_BAD, "not a valid IPv6" },
        { "[::1]x", WT_URL_BAD, "after ']'" },
        { "[::1]]", WT_URL_BAD, "after ']'" },
        { "::1", WT_URL_BAD, "need brackets" },
        { "http://2001:db8::1/", WT_URL_BAD, "need brackets" },
        { "h:1:2", WT_URL_BAD, "more than one ':'" },
        { "[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0001]", WT_URL_BAD,
          "not a valid IPv6" },
    };
    check_bad(cases, N(cases));
}

static void test_url_rejects_bad_ports(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        { "host:", WT_URL_BAD, "port is empty" },
        { "http://host:/", WT_URL_BAD, "port is empty" },
        { "[::1]:", WT_URL_BAD, "port is empty" },
        { "host:0", WT_URL_BAD, "port 0 is out of range (1-65535)" },
        { "host:70000", WT_URL_BAD, "port 70000 is out of range (1-65535)" },
        { "host:65536", WT_URL_BAD, "port 65536 is out of range" },
        { "host:99999999999999999999999", WT_URL_BAD, "out of range" },
        { "host:abc", WT_URL_BAD, "port 'abc' is not a number" },
        { "host:-1", WT_URL_BAD, "not a number" },
        { "host:+80", WT_URL_BAD, "not a number" },
        { "host:80a", WT_URL_BAD, "not a number" },
        { "[::1]:http", WT_URL_BAD, "not a number" },
        { "http://h:0x50/", WT_URL_BAD, "not a number" },
    };
    check_bad(cases, N(cases));
}

static void test_url_unknown_scheme_is_unsupported(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        { "ftp://x", WT_URL_UNSUPPORTED_SCHEME,
          "unsupported scheme 'ftp' (webtrace speaks http and https)" },
        { "gopher://example.test/", WT_URL_UNSUPPORTED_SCHEME, "unsupported scheme 'gopher'" },
        { "FTP://x", WT_URL_UNSUPPORTED_SCHEME, "'FTP'" },
        { "ws://x", WT_URL_UNSUPPORTED_SCHEME, "'ws'" },
        { "httpx://x", WT_URL_UNSUPPORTED_SCHEME, "'httpx'" },
        { "svn+ssh://x", WT_URL_UNSUPPORTED_SCHEME, "'svn+ssh'" },
    };
    check_bad(cases, N(cases));
}

static void test_url_rejects_malformed_scheme(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        { "://host/", WT_URL_BAD, "no scheme" },
        { "1http://host/", WT_URL_BAD, "not a valid URL scheme" },
        { "ht_tp://host/", WT_URL_BAD, "not a valid URL scheme" },
        { "http:/host", WT_URL_BAD, "expected '//' after 'http:'" },
        { "https:host", WT_URL_BAD, "expected '//' after 'https:'" },
        { "HTTP:", WT_URL_BAD, "expected '//'" },
    };
    check_bad(cases, N(cases));
}

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void test_url_label_longer_than_63_is_rejected(void **state)
{
    (void)state;
    char input[256];
    char *label63 = repeat('a', 63);
    char *label64 = repeat('b', 64);
    struct wt_url url;
    char err[256];

    snprintf(input, sizeof input, "http://%s.example/", label63);
    assert_int_equal(wt_url_parse(input, &url, err, sizeof err), WT_URL_OK);
    assert_int_equal(strlen(url.host), 63 + 8);
    wt_url_clear(&url);

    snprintf(input, sizeof input, "x.%s.example", label64);
    assert_int_equal(wt_url_parse(input, &url, err, sizeof err), WT_URL_BAD);
    assert_non_null(strstr(err, "is longer than 63 bytes"));
    assert_non_null(strstr(err, "label 'bbbb"));
    assert_true(strlen(err) < 80);
    check_printable_sentence(err);
    free(label63);
    free(label64);
}

/* Builds a name of exactly len bytes from 50-byte labels. */
static void make_name(char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (i % 51 == 50) ? '.' : 'n';
    buf[len] = '\0';
    if (buf[len - 1] == '.')
        buf[len - 1] = 'n';
}

/* A name of 254 or 255 bytes is the resolver's to judge (curl asks, then
 * exits 6); only longer ones are refused here. */
static void test_url_name_longer_than_255_is_rejected(void **state)
{
    (void)state;
    char name[300];
    char input[320];
    struct wt_url url;
    char err[256];

    make_name(name, 253);
    assert_int_equal(wt_url_parse(name, &url, err, sizeof err), WT_URL_OK);
    assert_string_equal(url.host, name);
    wt_url_clear(&url);

    snprintf(input, sizeof input, "http://%s./x", name);
    assert_int_equal(wt_url_parse(input, &url, err, sizeof err), WT_URL_OK);
    assert_string_equal(url.host, name);
    wt_url_clear(&url);

    make_name(name, 254);
    assert_int_equal(wt_url_parse(name, &url, err, sizeof err), WT_URL_OK);
    assert_string_equal(url.host, name);
    wt_url_clear(&url);

    make_name(name, 255);
    snprintf(input, sizeof input, "http://%s./x", name);
    assert_int_equal(wt_url_parse(input, &url, err, sizeof err), WT_URL_OK);
    assert_string_equal(url.host, name);
    wt_url_clear(&url);

    make_name(name, 256);
    assert_int_equal(wt_url_parse(name, &url, err, sizeof err), WT_URL_BAD);
    assert_string_equal(err, "host name is longer than 255 bytes (256)");

    make_name(name, 299);
    assert_int_equal(wt_url_parse(name, &url, err, sizeof err), WT_URL_BAD);
    assert_non_null(strstr(err, "longer than 255 bytes"));
}

static void test_url_input_longer_than_max_is_rejected(void **state)
{
    (void)state;
    const size_t prefix = strlen("http://h/");
    char *input = repeat('p', WT_URL_MAX_LEN + 10);
    memcpy(input, "http://h/", prefix);
    struct wt_url url;
    char err[256];

    input[WT_URL_MAX_LEN] = '\0';
    assert_int_equal(wt_url_parse(input, &url, err, sizeof err), WT_URL_OK);
    assert_int_equal(strlen(url.target), WT_URL_MAX_LEN - prefix + 1);
    wt_url_clear(&url);

    input[WT_URL_MAX_LEN] = 'p';
    input[WT_URL_MAX_LEN + 1] = '\0';
    assert_int_equal(wt_url_parse(input, &url, err, sizeof err), WT_URL_BAD);
    assert_string_equal(err, "URL is longer than 8192 bytes");
    assert_null(url.target);
    free(input);
}

static void test_url_error_quotes_are_short_and_printable(void **state)
{
    (void)state;
    char *input = repeat('x', 600);
    memcpy(input, "gopher", 6);
    memcpy(input + 300, "://", 3);
    struct wt_url url;
    char err[256];

    /* 300-byte "scheme" quoted back: must be cut, not flood the terminal */
    assert_int_equal(wt_url_parse(input, &url, err, sizeof err), WT_URL_UNSUPPORTED_SCHEME);
    assert_non_null(strstr(err, "...'"));
    assert_true(strlen(err) < 120);
    check_printable_sentence(err);

    memcpy(input, "host:", 5);
    input[300] = 'x';
    assert_int_equal(wt_url_parse(input, &url, err, sizeof err), WT_URL_BAD);
    assert_non_null(strstr(err, "not a number"));
    assert_true(strlen(err) < 120);
    free(input);
}

static void test_url_err_is_truncated_to_errlen(void **state)
{
    (void)state;
    struct wt_url url;
    char err[8];
    memset(err, 'Z', sizeof err);
    assert_int_equal(wt_url_parse("ftp://x", &url, err, sizeof err), WT_URL_UNSUPPORTED_SCHEME);
    assert_int_equal(strlen(err), sizeof err - 1);
    assert_memory_equal(err, "unsuppo", 8);

    assert_int_equal(wt_url_parse("a..b", &url, NULL, 0), WT_URL_BAD);
    assert_int_equal(wt_url_parse("ok.example", &url, NULL, 0), WT_URL_OK);
    wt_url_clear(&url);
}

static void test_url_null_input_is_bad(void **state)
{
    (void)state;
    struct wt_url url;
    char err[64];
    assert_int_equal(wt_url_parse(NULL, &url, err, sizeof err), WT_URL_BAD);
    check_printable_sentence(err);
}

static void test_url_clear_is_safe_to_repeat(void **state)
{
    (void)state;
    struct wt_url url;
    char err[64];
    assert_int_equal(wt_url_parse("http://h/x", &url, err, sizeof err), WT_URL_OK);
    wt_url_clear(&url);
    assert_null(url.target);
    assert_null(url.normalized);
    wt_url_clear(&url);
    wt_url_clear(NULL);

    /* a failed parse leaves nothing to free, so clearing it is harmless too */
    assert_int_equal(wt_url_parse("ftp://h", &url, err, sizeof err), WT_URL_UNSUPPORTED_SCHEME);
    wt_url_clear(&url);
}

static void test_url_parse_can_be_repeated(void **state)
{
    (void)state;
    struct wt_url url;
    char err[64];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(wt_url_parse("https://[::1]:8443/a", &url, err, sizeof err), WT_URL_OK);
        assert_string_equal(url.normalized, "https://[::1]:8443/a");
        wt_url_clear(&url);
        assert_int_equal(wt_url_parse("h:0", &url, err, sizeof err), WT_URL_BAD);
        assert_int_equal(wt_url_parse("h", &url, err, sizeof err), WT_URL_OK);
        assert_string_equal(url.normalized, "http://h/");
        wt_url_clear(&url);
    }
}

static void test_url_port_classes(void **state)
{
    (void)state;
    static const struct {
        uint16_t port;
        enum wt_port_class cls;
        const char *name;
    } cases[] = {
        { 0, WT_PORT_WELL_KNOWN, "well-known" },
        { 80, WT_PORT_WELL_KNOWN, "well-known" },
        { 443, WT_PORT_WELL_KNOWN, "well-known" },
        { 1023, WT_PORT_WELL_KNOWN, "well-known" },
        { 1024, WT_PORT_REGISTERED, "registered" },
        { 8080, WT_PORT_REGISTERED, "registered" },
        { 49151, WT_PORT_REGISTERED, "registered" },
        { 49152, WT_PORT_DYNAMIC, "ephemeral" },
        { 60000, WT_PORT_DYNAMIC, "ephemeral" },
        { 65535, WT_PORT_DYNAMIC, "ephemeral" },
    };
    for (size_t i = 0; i < N(cases); i++) {
        assert_int_equal(wt_port_classify(cases[i].port), cases[i].cls);
        assert_string_equal(wt_port_class_name(wt_port_classify(cases[i].port)), cases[i].name);
    }
}

static void test_url_scheme_helpers(void **state)
{
    (void)state;
    assert_string_equal(wt_scheme_name(WT_SCHEME_HTTP), "http");
    assert_string_equal(wt_scheme_name(WT_SCHEME_HTTPS), "https");
    assert_int_equal(wt_scheme_default_port(WT_SCHEME_HTTP), 80);
    assert_int_equal(wt_scheme_default_port(WT_SCHEME_HTTPS), 443);
}

/* International names: IDNA 2008 with UTS #46 non-transitional mapping. */
static const struct {
    const char *input;
    const char *host;          /* the xn-- form */
    const char *unicode;       /* as typed, without a final dot */
} idn_good[] = {
    { "http://例子.测试/", "xn--fsqu00a.xn--0zwm56d", "例子.测试" },
    { "例子.测试:8080", "xn--fsqu00a.xn--0zwm56d", "例子.测试" },
    { "https://例子.测试./", "xn--fsqu00a.xn--0zwm56d", "例子.测试" },
    { "http://bücher.example/", "xn--bcher-kva.example", "bücher.example" },
    { "http://BÜCHER.example/", "xn--bcher-kva.example", "BÜCHER.example" },
    { "http://faß.de/", "xn--fa-hia.de", "faß.de" },              /* non-transitional: ß kept */
    { "http://ＥＸＡＭＰＬＥ.テスト/", "example.xn--zckzah", "ＥＸＡＭＰＬＥ.テスト" },
};

static void test_url_idn_names_become_a_labels(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(idn_good); i++) {
        struct wt_url url;
        char err[256] = "";
        enum wt_url_status st = wt_url_parse(idn_good[i].input, &url, err, sizeof err);
        if (st != WT_URL_OK)
            fail_msg("'%s': status %d (%s)", idn_good[i].input, st, err);
        assert_string_equal(url.host, idn_good[i].host);
        assert_string_equal(url.host_unicode, idn_good[i].unicode);
        assert_int_equal(url.host_kind, WT_HOST_NAME);
        assert_non_null(strstr(url.normalized, idn_good[i].host));
        wt_url_clear(&url);
    }
    struct wt_url url;
    char err[256];
    assert_int_equal(wt_url_parse("http://example.test/", &url, err, sizeof err), WT_URL_OK);
    assert_string_equal(url.host_unicode, "");
    wt_url_clear(&url);
}

/* Invalid international names: exit 3 with libidn2's reason. */
static void test_url_idn_invalid_names_give_the_reason(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        { "http://☃-⌘.com/", WT_URL_BAD, "disallowed character" },
        { "http://-例子.测试/", WT_URL_BAD, "hyphen" },
        { "http://ab--c.例子/", WT_URL_BAD, "two hyphens" },
        { "http://\xcc\x88" "a.test/", WT_URL_BAD, "leading combining" },
        { "http://a\xd7\x90.test/", WT_URL_BAD, "bi-directional" },
        { "http://a\xe2\x80\x8d" "b.test/", WT_URL_BAD, "context-j" },
        { "http://\xff.test/", WT_URL_BAD, "encoding error" },
        { "http://b\xc3\xbc" "cher..example/", WT_URL_BAD, "empty label" },
        { "http://[\xc3\xbc]/", WT_URL_BAD, "not a valid IPv6" },
    };
    check_bad(cases, N(cases));
}

/* Bytes above ASCII in the path and query go out percent-encoded, as curl
 * sends them; the fragment is still dropped. */
static void test_url_non_ascii_target_is_percent_encoded(void **state)
{
    (void)state;
    struct wt_url url;
    char err[256];
    assert_int_equal(wt_url_parse("http://h/路?q=é#frag", &url, err, sizeof err), WT_URL_OK);
    assert_string_equal(url.target, "/%E8%B7%AF?q=%C3%A9");
    assert_string_equal(url.normalized, "http://h/%E8%B7%AF?q=%C3%A9");
    wt_url_clear(&url);
    assert_int_equal(wt_url_parse("http://h/\xff\x80", &url, err, sizeof err), WT_URL_OK);
    assert_string_equal(url.target, "/%FF%80");
    wt_url_clear(&url);
}

/* ---- wt_url_resolve: RFC 3986 section 5.4, then what servers send ---- */

struct resolve_case {
    const char *base;
    const char *ref;
    const char *want;
};

#define RFC_BASE "http://a/b/c/d;p?q"

static const struct resolve_case resolve_cases[] = {
    /* 5.4.1 normal examples */
    { RFC_BASE, "g:h", "g:h" },
    { RFC_BASE, "g", "http://a/b/c/g" },
    { RFC_BASE, "./g", "http://a/b/c/g" },
    { RFC_BASE, "g/", "http://a/b/c/g/" },
    { RFC_BASE, "/g", "http://a/g" },
    { RFC_BASE, "//g", "http://g" },
    { RFC_BASE, "?y", "http://a/b/c/d;p?y" },
    { RFC_BASE, "g?y", "http://a/b/c/g?y" },
    { RFC_BASE, "#s", "http://a/b/c/d;p?q#s" },
    { RFC_BASE, "g#s", "http://a/b/c/g#s" },
    { RFC_BASE, "g?y#s", "http://a/b/c/g?y#s" },
    { RFC_BASE, ";x", "http://a/b/c/;x" },
    { RFC_BASE, "g;x", "http://a/b/c/g;x" },
    { RFC_BASE, "g;x?y#s", "http://a/b/c/g;x?y#s" },
    { RFC_BASE, "", "http://a/b/c/d;p?q" },
    { RFC_BASE, ".", "http://a/b/c/" },
    { RFC_BASE, "./", "http://a/b/c/" },
    { RFC_BASE, "..", "http://a/b/" },
    { RFC_BASE, "../", "http://a/b/" },
    { RFC_BASE, "../g", "http://a/b/g" },
    { RFC_BASE, "../..", "http://a/" },
    { RFC_BASE, "../../", "http://a/" },
    { RFC_BASE, "../../g", "http://a/g" },
    /* 5.4.2 abnormal examples */
    { RFC_BASE, "../../../g", "http://a/g" },
    { RFC_BASE, "../../../../g", "http://a/g" },
    { RFC_BASE, "/./g", "http://a/g" },
    { RFC_BASE, "/../g", "http://a/g" },
    { RFC_BASE, "g.", "http://a/b/c/g." },
    { RFC_BASE, ".g", "http://a/b/c/.g" },
    { RFC_BASE, "g..", "http://a/b/c/g.." },
    { RFC_BASE, "..g", "http://a/b/c/..g" },
    { RFC_BASE, "./../g", "http://a/b/g" },
    { RFC_BASE, "./g/.", "http://a/b/c/g/" },
    { RFC_BASE, "g/./h", "http://a/b/c/g/h" },
    { RFC_BASE, "g/../h", "http://a/b/c/h" },
    { RFC_BASE, "g;x=1/./y", "http://a/b/c/g;x=1/y" },
    { RFC_BASE, "g;x=1/../y", "http://a/b/c/y" },
    { RFC_BASE, "g?y/./x", "http://a/b/c/g?y/./x" },
    { RFC_BASE, "g?y/../x", "http://a/b/c/g?y/../x" },
    { RFC_BASE, "g#s/./x", "http://a/b/c/g#s/./x" },
    { RFC_BASE, "g#s/../x", "http://a/b/c/g#s/../x" },
    { RFC_BASE, "http:g", "http:g" },   /* strict parser */
    /* what web servers put in Location */
    { "http://example.test/", "https://example.test/", "https://example.test/" },
    { "http://example.test:8080/a/b", "/c?d=1", "http://example.test:8080/c?d=1" },
    { "https://example.test/a/b?q", "//other.test/x", "https://other.test/x" },
    { "http://example.test/a/b", "../../../c", "http://example.test/c" },
    { "http://example.test", "x", "http://example.test/x" },
    { "http://example.test/a/b?q=1", "?q=2", "http://example.test/a/b?q=2" },
    { "http://example.test/a", "/a b", "http://example.test/a%20b" },
    { "http://example.test/", "/caf\xc3\xa9", "http://example.test/caf%C3%A9" },
};

static void test_url_resolve_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(resolve_cases); i++) {
        const struct resolve_case *c = &resolve_cases[i];
        char *got = wt_url_resolve(c->base, c->ref, strlen(c->ref));
        assert_non_null(got);
        if (strcmp(got, c->want) != 0)
            fail_msg("resolve(%s, %s) = %s, want %s", c->base, c->ref, got, c->want);
        free(got);
    }
}

static void test_url_remote_name_is_the_last_path_segment(void **state)
{
    (void)state;
    static const struct {
        const char *url, *name;   /* name "" : none */
    } cases[] = {
        { "http://example.test/dir/file.html", "file.html" },
        { "http://example.test/file?x=1&y=/z", "file" },
        { "http://example.test/a%20b#frag", "a%20b" },   /* nothing decoded, as curl */
        { "http://example.test:8080/start", "start" },
        { "http://example.test/", "" },
        { "http://example.test", "" },
        { "example.test", "" },
        { "http://example.test/dir/", "" },
        { "http://example.test/dir/..", "" },
        { "http://example.test/.", "" },
        { "http://example.test/...", "..." },
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct wt_url u;
        char err[128], name[64];
        assert_int_equal(wt_url_parse(cases[i].url, &u, err, sizeof err), WT_URL_OK);
        size_t len = wt_url_remote_name(&u, name, sizeof name);
        if (len != strlen(cases[i].name) || (len && strcmp(name, cases[i].name) != 0))
            fail_msg("%s: got %zu \"%s\", want \"%s\"", cases[i].url, len, len ? name : "",
                     cases[i].name);
        wt_url_clear(&u);
    }
    struct wt_url u;
    char err[128], tiny[4];
    assert_int_equal(wt_url_parse("http://example.test/longname", &u, err, sizeof err), WT_URL_OK);
    assert_int_equal(wt_url_remote_name(&u, tiny, sizeof tiny), 0);   /* does not fit */
    wt_url_clear(&u);
}

static void test_url_resolve_result_parses(void **state)
{
    (void)state;
    char *got = wt_url_resolve("http://example.test/a/b", "c#frag", 6);
    assert_non_null(got);
    struct wt_url u;
    char err[128];
    assert_int_equal(wt_url_parse(got, &u, err, sizeof err), WT_URL_OK);
    assert_string_equal(u.target, "/a/c");
    wt_url_clear(&u);
    free(got);
}

static void test_url_resolve_refuses_oversize(void **state)
{
    (void)state;
    size_t len = WT_URL_MAX_LEN + 1;
    char *ref = malloc(len);
    assert_non_null(ref);
    memset(ref, 'a', len);
    assert_null(wt_url_resolve("http://example.test/", ref, len));
    assert_null(wt_url_resolve("http://example.test/", ref, len - 10));  /* with the base */
    free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_bare_host_means_http_root),
        cmocka_unit_test(test_url_host_port_without_scheme),
        cmocka_unit_test(test_url_full_urls),
        cmocka_unit_test(test_url_https_default_port_is_443),
        cmocka_unit_test(test_url_scheme_is_case_insensitive),
        cmocka_unit_test(test_url_host_is_lowercased),
        cmocka_unit_test(test_url_trailing_dot_is_stripped),
        cmocka_unit_test(test_url_fragment_is_dropped),
        cmocka_unit_test(test_url_empty_path_becomes_slash_and_query_is_kept),
        cmocka_unit_test(test_url_ipv4_literal),
        cmocka_unit_test(test_url_ipv6_literal),
        cmocka_unit_test(test_url_rejects_control_bytes),
        cmocka_unit_test(test_url_rejects_every_control_byte_everywhere),
        cmocka_unit_test(test_url_idn_names_become_a_labels),
        cmocka_unit_test(test_url_idn_invalid_names_give_the_reason),
        cmocka_unit_test(test_url_non_ascii_target_is_percent_encoded),
        cmocka_unit_test(test_url_rejects_userinfo),
        cmocka_unit_test(test_url_rejects_empty_host),
        cmocka_unit_test(test_url_rejects_bad_host_names),
        cmocka_unit_test(test_url_rejects_bad_ipv4),
        cmocka_unit_test(test_url_rejects_bad_ipv6),
        cmocka_unit_test(test_url_rejects_bad_ports),
        cmocka_unit_test(test_url_unknown_scheme_is_unsupported),
        cmocka_unit_test(test_url_rejects_malformed_scheme),
        cmocka_unit_test(test_url_label_longer_than_63_is_rejected),
        cmocka_unit_test(test_url_name_longer_than_255_is_rejected),
        cmocka_unit_test(test_url_input_longer_than_max_is_rejected),
        cmocka_unit_test(test_url_error_quotes_are_short_and_printable),
        cmocka_unit_test(test_url_err_is_truncated_to_errlen),
        cmocka_unit_test(test_url_null_input_is_bad),
        cmocka_unit_test(test_url_clear_is_safe_to_repeat),
        cmocka_unit_test(test_url_parse_can_be_repeated),
        cmocka_unit_test(test_url_port_classes),
        cmocka_unit_test(test_url_scheme_helpers),
        cmocka_unit_test(test_url_resolve_table),
        cmocka_unit_test(test_url_resolve_result_parses),
        cmocka_unit_test(test_url_remote_name_is_the_last_path_segment),
        cmocka_unit_test(test_url_resolve_refuses_oversize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
