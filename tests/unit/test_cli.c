#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "webtrace/cli.h"
#include "webtrace/exitcode.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ARGS 40

/* getopt permutes argv, so every case gets its own writable copy. */
struct args {
    int argc;
    char *argv[MAX_ARGS + 2];
};

static struct args make_args(const char *const *list)
{
    struct args a = { 0 };
    a.argv[a.argc++] = "webtrace";
    for (; *list && a.argc <= MAX_ARGS; list++)
        a.argv[a.argc++] = (char *)*list;
    a.argv[a.argc] = NULL;
    return a;
}

static int parse_list(const char *const *list, struct wt_options *o, char *err, size_t errlen)
{
    struct args a = make_args(list);
    return wt_cli_parse(a.argc, a.argv, o, err, errlen);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void check_printable_sentence(const char *err)
{
    assert_true(strlen(err) > 0);
    for (const char *p = err; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c >= 0x7f)
            fail_msg("non-printable byte 0x%02x in err \"%s\"", c, err);
    }
}

struct error_case {
    const char *args[MAX_ARGS];
    const char *err_contains;
};

static void check_errors(const struct error_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct wt_options o;
        char err[256] = "";
        int rc = parse_list(cases[i].args, &o, err, sizeof err);
        if (rc != WT_EXIT_USAGE)
            fail_msg("case %zu (%s ...): rc %d, want 2", i, cases[i].args[0], rc);
        check_printable_sentence(err);
        if (!strstr(err, cases[i].err_contains))
            fail_msg("case %zu: err \"%s\" lacks \"%s\"", i, err, cases[i].err_contains);
    }
}

static void test_cli_defaults_with_one_url(void **state)
{
    (void)state;
    struct args a = make_args(ARGS("www.example.test"));
    struct wt_options o;
    char err[256] = "junk";

    assert_int_equal(wt_cli_parse(a.argc, a.argv, &o, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_int_equal(o.action, WT_ACTION_TRACE);
    assert_int_equal(o.silent, 0);
    assert_int_equal(o.verbose, 0);
    assert_int_equal(o.color, WT_COLOR_AUTO);
    assert_null(o.output);
    assert_null(o.url_file);
    assert_int_equal(o.ip_family, 0);
    assert_int_equal(o.connect_timeout_ms, WT_DEFAULT_CONNECT_TIMEOUT_MS);
    assert_int_equal(o.max_time_ms, 0);
    assert_int_equal(o.dns_timeout_ms, WT_DEFAULT_DNS_TIMEOUT_MS);
    assert_int_equal(o.n_dns_servers, 0);
    assert_int_equal(o.n_urls, 1);
    assert_ptr_equal(o.urls[0], a.argv[1]);
}

static void test_cli_flags_short_and_long(void **state)
{
    (void)state;
    static const struct {
        const char *args[MAX_ARGS];
        int silent, verbose;
        enum wt_color_mode color;
        int family;
    } cases[] = {
        { { "-s", "u" }, 1, 0, WT_COLOR_AUTO, 0 },
        { { "--silent", "u" }, 1, 0, WT_COLOR_AUTO, 0 },
        { { "-v", "u" }, 0, 1, WT_COLOR_AUTO, 0 },
        { { "--verbose", "u" }, 0, 1, WT_COLOR_AUTO, 0 },
        { { "-sv", "u" }, 1, 1, WT_COLOR_AUTO, 0 },
        { { "--no-color", "u" }, 0, 0, WT_COLOR_NEVER, 0 },
        { { "-4", "u" }, 0, 0, WT_COLOR_AUTO, 4 },
        { { "--ipv4", "u" }, 0, 0, WT_COLOR_AUTO, 4 },
        { { "-6", "u" }, 0, 0, WT_COLOR_AUTO, 6 },
        { { "--ipv6", "u" }, 0, 0, WT_COLOR_AUTO, 6 },
        { { "-4", "-4", "u" }, 0, 0, WT_COLOR_AUTO, 4 },
        { { "u", "--no-color", "-v6" }, 0, 1, WT_COLOR_NEVER, 6 },
        { { "--verb", "u" }, 0, 1, WT_COLOR_AUTO, 0 },
        { { "-ss", "u" }, 2, 0, WT_COLOR_AUTO, 0 },
        { { "-s", "--silent", "u" }, 2, 0, WT_COLOR_AUTO, 0 },
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct wt_options o;
        char err[256];
        assert_int_equal(parse_list(cases[i].args, &o, err, sizeof err), 0);
        assert_int_equal(o.silent, cases[i].silent);
        assert_int_equal(o.verbose, cases[i].verbose);
        assert_int_equal(o.color, cases[i].color);
        assert_int_equal(o.ip_family, cases[i].family);
        assert_int_equal(o.n_urls, 1);
        assert_string_equal(o.urls[0], "u");
    }
}

static void test_cli_output_and_input_files(void **state)
{
    (void)state;
    struct wt_options o;
    char err[256];

    assert_int_equal(parse_list(ARGS("-o", "out.html", "u"), &o, err, sizeof err), 0);
    assert_string_equal(o.output, "out.html");
    assert_int_equal(parse_list(ARGS("--output=-", "u"), &o, err, sizeof err), 0);
    assert_string_equal(o.output, "-");
    assert_int_equal(parse_list(ARGS("-oout", "u"), &o, err, sizeof err), 0);
    assert_string_equal(o.output, "out");

    assert_int_equal(parse_list(ARGS("--url", "@urls.txt"), &o, err, sizeof err), 0);
    assert_string_equal(o.url_file, "urls.txt");
    assert_int_equal(o.n_urls, 0);
    assert_int_equal(parse_list(ARGS("--url=@-"), &o, err, sizeof err), 0);
    assert_string_equal(o.url_file, "-");
    assert_int_equal(parse_list(ARGS("--url", "@-", "--url", "a.example", "extra.example"), &o, err,
                                sizeof err), 0);
    assert_string_equal(o.url_file, "-");
    assert_int_equal(o.n_urls, 2);
    assert_string_equal(o.urls[0], "a.example");
    /* -i is curl's --include: a flag, never a file name */
    assert_int_equal(parse_list(ARGS("-i", "urls.txt"), &o, err, sizeof err), 0);
    assert_int_equal(o.include, 1);
    assert_null(o.url_file);
    assert_string_equal(o.urls[0], "urls.txt");
}

static void test_cli_urls_point_into_argv_in_order(void **state)
{
    (void)state;
    struct args a = make_args(ARGS("a.example", "-s", "b.example", "--no-color", "c.example"));
    char *a0 = a.argv[1], *b0 = a.argv[3], *c0 = a.argv[5];
    struct wt_options o;
    char err[256];

    assert_int_equal(wt_cli_parse(a.argc, a.argv, &o, err, sizeof err), 0);
    assert_int_equal(o.n_urls, 3);
    assert_ptr_equal(o.urls[0], a0);
    assert_ptr_equal(o.urls[1], b0);
    assert_ptr_equal(o.urls[2], c0);
    assert_int_equal(o.silent, 1);
    assert_int_equal(o.color, WT_COLOR_NEVER);
}

static void test_cli_double_dash_ends_options(void **state)
{
    (void)state;
    struct wt_options o;
    char err[256];
    assert_int_equal(parse_list(ARGS("-s", "--", "-v", "--ipv6"), &o, err, sizeof err), 0);
    assert_int_equal(o.verbose, 0);
    assert_int_equal(o.ip_family, 0);
    assert_int_equal(o.n_urls, 2);
    assert_string_equal(o.urls[0], "-v");
    assert_string_equal(o.urls[1], "--ipv6");
}

static void test_cli_help_and_version_need_no_url(void **state)
{
    (void)state;
    static const struct {
        const char *args[MAX_ARGS];
        enum wt_cli_action action;
    } cases[] = {
        { { "-h" }, WT_ACTION_HELP },
        { { "--help" }, WT_ACTION_HELP },
        { { "-s", "--help", "u" }, WT_ACTION_HELP },
        { { "-V" }, WT_ACTION_VERSION },
        { { "--version" }, WT_ACTION_VERSION },
        { { "-4", "-6", "-V" }, WT_ACTION_VERSION },
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct wt_options o;
        char err[256] = "junk";
        assert_int_equal(parse_list(cases[i].args, &o, err, sizeof err), 0);
        assert_int_equal(o.action, cases[i].action);
        assert_string_equal(err, "");
    }
}

static void test_cli_no_url_is_an_error(void **state)
{
    (void)state;
    static const struct error_case cases[] = {
        { { NULL }, "no URL given (try --help)" },
        { { "-s" }, "no URL given (try --help)" },
        { { "-v", "--no-color", "-4" }, "no URL given (try --help)" },
        { { "--" }, "no URL given (try --help)" },
    };
    check_errors(cases, N(cases));

    struct wt_options o;
    char err[256];
    char *argv0[] = { NULL };
    assert_int_equal(wt_cli_parse(0, argv0, &o, err, sizeof err), WT_EXIT_USAGE);
    assert_string_equal(err, "no URL given (try --help)");
}

static void test_cli_ipv4_with_ipv6_is_an_error(void **state)
{
    (void)state;
    static const struct error_case cases[] = {
        { { "-4", "-6", "u" }, "-4 and -6" },
        { { "--ipv6", "--ipv4", "u" }, "-4 and -6" },
        { { "-46", "u" }, "exclude each other" },
    };
    check_errors(cases, N(cases));
}

static void test_cli_unknown_option_is_reported(void **state)
{
    (void)state;
    static const struct error_case cases[] = {
        { { "-z", "u" }, "unknown option '-z' (try --help)" },
        { { "-sz", "u" }, "unknown option '-z'" },
        { { "-zs", "u" }, "unknown option '-z'" },
        { { "--bogus", "u" }, "unknown option '--bogus' (try --help)" },
        { { "--bogus=1", "u" }, "unknown option '--bogus'" },
        { { "u", "--output-file", "x" }, "unknown option '--output-file'" },
        { { "--dns", "x", "u" }, "option '--dns' is ambiguous (--dns-timeout, --dns-server)" },
        { { "--silent=yes", "u" }, "option --silent does not take a value" },
        { { "--no-color=1", "u" }, "option --no-color does not take a value" },
        { { "--\x1b[31m", "u" }, "unknown option '--?[31m'" },
        { { "-\x01", "u" }, "unknown option '-?'" },
    };
    check_errors(cases, N(cases));
}

/* --lang takes zh or en in all three parsers; the choice itself was made
 * at start-up (test_i18n), the parsers only refuse other values. */
static void test_cli_lang_is_checked_everywhere(void **state)
{
    (void)state;
    struct wt_options o;
    char err[256] = "";
    assert_int_equal(parse_list(ARGS("--lang", "zh", "u"), &o, err, sizeof err), 0);
    assert_int_equal(parse_list(ARGS("--lang=en", "u"), &o, err, sizeof err), 0);
    assert_int_equal(o.n_urls, 1);
    static const struct error_case cases[] = {
        { { "--lang", "fr", "u" }, "--lang: 'fr' is not a language (zh or en)" },
        { { "--lang=", "u" }, "--lang: '' is not a language" },
        { { "u", "--lang" }, "option --lang needs a value" },
    };
    check_errors(cases, N(cases));

    struct wt_serve_options so;
    struct wt_demo_options d;
    char *serve_ok[] = { "serve", "--lang", "zh", NULL };
    char *demo_ok[] = { "demo", "--lang=en", "--stay", NULL };
    char *serve_bad[] = { "serve", "--lang", "cn", NULL };
    char *demo_bad[] = { "demo", "--lang=zh_CN", NULL };
    assert_int_equal(wt_cli_parse_serve(3, serve_ok, &so, err, sizeof err), 0);
    assert_int_equal(wt_cli_parse_demo(3, demo_ok, &d, err, sizeof err), 0);
    assert_int_equal(d.stay, 1);
    assert_int_equal(wt_cli_parse_serve(3, serve_bad, &so, err, sizeof err), WT_EXIT_USAGE);
    assert_string_equal(err, "--lang: 'cn' is not a language (zh or en)");
    assert_int_equal(wt_cli_parse_demo(2, demo_bad, &d, err, sizeof err), WT_EXIT_USAGE);
    assert_string_equal(err, "--lang: 'zh_CN' is not a language (zh or en)");
}

static void test_cli_missing_value_is_reported(void **state)
{
    (void)state;
    static const struct error_case cases[] = {
        { { "u", "-o" }, "option -o/--output needs a value" },
        { { "u", "--output" }, "option -o/--output needs a value" },
        { { "u", "--url" }, "option --url needs a value" },
        { { "u", "--url", "@" }, "--url @ needs a file name (\"-\" for stdin)" },
        { { "u", "-m" }, "option -m/--max-time needs a value" },
        { { "u", "--connect-timeout" }, "option --connect-timeout needs a value" },
        { { "u", "--dns-timeout" }, "option --dns-timeout needs a value" },
        { { "u", "--dns-server" }, "option --dns-server needs a value" },
        { { "-o", "", "u" }, "-o/--output needs a file name" },
        { { "--url=@", "u" }, "--url @ needs a file name" },
        { { "--input", "u" }, "unknown option '--input'" },
    };
    check_errors(cases, N(cases));
}

static void test_cli_timeouts_are_parsed(void **state)
{
    (void)state;
    struct wt_options o;
    char err[256];

    assert_int_equal(parse_list(ARGS("--connect-timeout", "1.5", "-m", "10",
                                     "--dns-timeout", "0.25", "u"), &o, err, sizeof err), 0);
    assert_int_equal(o.connect_timeout_ms, 1500);
    assert_int_equal(o.max_time_ms, 10000);
    assert_int_equal(o.dns_timeout_ms, 250);

    assert_int_equal(parse_list(ARGS("--connect-timeout=0", "--max-time=0.001", "u"),
                                &o, err, sizeof err), 0);
    assert_int_equal(o.connect_timeout_ms, 0);   /* 0 turns the default off */
    assert_int_equal(o.max_time_ms, 1);
    assert_int_equal(o.dns_timeout_ms, WT_DEFAULT_DNS_TIMEOUT_MS);

    assert_int_equal(parse_list(ARGS("-m2", "u"), &o, err, sizeof err), 0);
    assert_int_equal(o.max_time_ms, 2000);
}

static void test_cli_bad_seconds_name_the_option(void **state)
{
    (void)state;
    static const struct error_case cases[] = {
        { { "--connect-timeout", "abc", "u" },
          "--connect-timeout: 'abc' is not a number of seconds" },
        { { "-m", "-1", "u" }, "-m/--max-time: '-1' is not a number of seconds" },
        { { "--max-time=1e999", "u" }, "-m/--max-time: '1e999'" },
        { { "--max-time=", "u" }, "-m/--max-time: ''" },
        { { "--dns-timeout", "soon", "u" }, "--dns-timeout: 'soon'" },
        { { "--dns-timeout", "0", "u" }, "--dns-timeout must be more than 0 seconds" },
        { { "--connect-timeout", "9999999999", "u" }, "--connect-timeout: '9999999999'" },
    };
    check_errors(cases, N(cases));
}

static void test_cli_dns_servers_are_repeatable_up_to_the_limit(void **state)
{
    (void)state;
    struct wt_options o;
    char err[256];

    assert_int_equal(parse_list(ARGS("--dns-server", "127.0.0.1:5353", "--dns-server=::1",
                                     "--dns-server", "[::1]:5300", "u"), &o, err, sizeof err), 0);
    assert_int_equal(o.n_dns_servers, 3);
    assert_string_equal(o.dns_servers[0].addr, "127.0.0.1");
    assert_int_equal(o.dns_servers[0].port, 5353);
    assert_string_equal(o.dns_servers[1].addr, "::1");
    assert_int_equal(o.dns_servers[1].port, 53);
    assert_string_equal(o.dns_servers[2].addr, "::1");
    assert_int_equal(o.dns_servers[2].port, 5300);

    char *argv[2 + 2 * (WT_MAX_DNS_SERVERS + 1) + 1];
    int argc = 0;
    argv[argc++] = "webtrace";
    for (int i = 0; i < WT_MAX_DNS_SERVERS; i++) {
        argv[argc++] = "--dns-server";
        argv[argc++] = "192.0.2.53";
    }
    argv[argc++] = "u";
    argv[argc] = NULL;
    assert_int_equal(wt_cli_parse(argc, argv, &o, err, sizeof err), 0);
    assert_int_equal(o.n_dns_servers, WT_MAX_DNS_SERVERS);

    argv[argc - 1] = "--dns-server";
    argv[argc++] = "192.0.2.54";
    argv[argc++] = "u";
    argv[argc] = NULL;
    assert_int_equal(wt_cli_parse(argc, argv, &o, err, sizeof err), WT_EXIT_USAGE);
    assert_string_equal(err, "too many --dns-server options (at most 8)");
}

static void test_cli_bad_dns_server_is_reported(void **state)
{
    (void)state;
    static const struct error_case cases[] = {
        { { "--dns-server", "localhost", "u" },
          "--dns-server: 'localhost' is not an IP address" },
        { { "--dns-server", "::1:53:53:53:53:53:53:53", "u" }, "is not an IP address" },
        { { "--dns-server=1.2.3.4:0", "u" }, "'1.2.3.4:0'" },
        { { "--dns-server=", "u" }, "--dns-server: ''" },
    };
    check_errors(cases, N(cases));
}

static void test_cli_too_many_urls_is_an_error(void **state)
{
    (void)state;
    static char *argv[WT_MAX_URLS + 3];
    struct wt_options o;
    char err[256];
    int argc = 0;

    argv[argc++] = "webtrace";
    for (int i = 0; i < WT_MAX_URLS; i++)
        argv[argc++] = "u.example";
    argv[argc] = NULL;
    assert_int_equal(wt_cli_parse(argc, argv, &o, err, sizeof err), 0);
    assert_int_equal(o.n_urls, WT_MAX_URLS);

    argv[argc++] = "one-more.example";
    argv[argc] = NULL;
    assert_int_equal(wt_cli_parse(argc, argv, &o, err, sizeof err), WT_EXIT_USAGE);
    assert_non_null(strstr(err, "too many URLs"));
    assert_non_null(strstr(err, "--url @FILE"));
}

static void test_cli_redirect_options(void **state)
{
    (void)state;
    struct wt_options o;
    char err[256];
    assert_int_equal(parse_list(ARGS("x"), &o, err, sizeof err), 0);
    assert_int_equal(o.follow_location, 0);
    assert_int_equal(o.max_redirs, 50);   /* curl's default */
    assert_int_equal(parse_list(ARGS("-sL", "x"), &o, err, sizeof err), 0);
    assert_int_equal(o.follow_location, 1);
    assert_int_equal(o.location_trusted, 0);
    assert_int_equal(parse_list(ARGS("--location", "--max-redirs", "-1", "x"), &o, err,
                                sizeof err), 0);
    assert_int_equal(o.max_redirs, -1);   /* no limit, as curl */
    assert_int_equal(parse_list(ARGS("--max-redirs", "0", "x"), &o, err, sizeof err), 0);
    assert_int_equal(o.max_redirs, 0);
    assert_int_equal(parse_list(ARGS("--location-trusted", "x"), &o, err, sizeof err), 0);
    assert_int_equal(o.follow_location, 1);   /* as curl: it implies -L */
    assert_int_equal(o.location_trusted, 1);
    assert_int_equal(o.no_keepalive, 0);
    assert_int_equal(parse_list(ARGS("--no-keepalive", "x"), &o, err, sizeof err), 0);
    assert_int_equal(o.no_keepalive, 1);
    assert_int_equal(o.parallel, 0);
    assert_int_equal(o.parallel_max, 50);
    assert_int_equal(parse_list(ARGS("-Z", "--parallel-max", "7", "x"), &o, err, sizeof err), 0);
    assert_int_equal(o.parallel, 1);
    assert_int_equal(o.parallel_max, 7);
    assert_int_equal(o.parallel_immediate, 0);
    assert_int_equal(parse_list(ARGS("-Z", "--parallel-immediate", "x"), &o, err, sizeof err), 0);
    assert_int_equal(o.parallel_immediate, 1);
    assert_int_equal(o.retry, 0);
    assert_int_equal(parse_list(ARGS("--retry", "3", "--retry-delay", "0.25", "--retry-max-time",
                                     "10", "--retry-all-errors", "--retry-connrefused", "x"),
                                &o, err, sizeof err), 0);
    assert_int_equal(o.retry, 3);
    assert_int_equal(o.retry_delay_ms, 250);
    assert_int_equal(o.retry_max_time_ms, 10000);
    assert_int_equal(o.retry_all_errors, 1);
    assert_int_equal(o.retry_connrefused, 1);
    static const char *const bad_retry[] = { "-1", "", "2x", "99999999999" };
    for (size_t i = 0; i < N(bad_retry); i++) {
        assert_int_equal(parse_list(ARGS("--retry", bad_retry[i], "x"), &o, err, sizeof err),
                         WT_EXIT_USAGE);
        assert_non_null(strstr(err, "--retry"));
    }
    assert_int_equal(parse_list(ARGS("--retry-delay", "soon", "x"), &o, err, sizeof err),
                     WT_EXIT_USAGE);
    assert_non_null(strstr(err, "--retry-delay"));
    /* as curl: above 300 is 300, below 1 the default */
    assert_int_equal(parse_list(ARGS("--parallel-max", "1000", "x"), &o, err, sizeof err), 0);
    assert_int_equal(o.parallel_max, 300);
    assert_int_equal(parse_list(ARGS("--parallel-max", "0", "x"), &o, err, sizeof err), 0);
    assert_int_equal(o.parallel_max, 50);
    assert_int_equal(parse_list(ARGS("--parallel-max", "x1", "x"), &o, err, sizeof err),
                     WT_EXIT_USAGE);
    assert_int_equal(parse_list(ARGS("-LO", "x"), &o, err, sizeof err), 0);
    assert_int_equal(o.remote_name, 1);
    /* curl's rule: each -o or -O is the next URL's, in command-line order */
    assert_int_equal(parse_list(ARGS("-O", "x", "-o", "f", "y", "z"), &o, err, sizeof err), 0);
    assert_int_equal(o.n_outputs, 2);
    assert_null(o.outputs[0].path);
    assert_string_equal(o.outputs[1].path, "f");
    assert_int_equal(o.remote_name_all, 0);
    assert_int_equal(parse_list(ARGS("--remote-name-all", "--output-dir", "d", "--create-dirs",
                                     "x"), &o, err, sizeof err), 0);
    assert_int_equal(o.n_outputs, 0);
    assert_int_equal(o.remote_name_all, 1);
    assert_string_equal(o.output_dir, "d");
    assert_int_equal(o.create_dirs, 1);
    assert_int_equal(parse_list(ARGS("--output-dir", "", "x"), &o, err, sizeof err),
                     WT_EXIT_USAGE);
    static const char *const bad[] = { "-2", "", "3x", "99999999999999999999", "1.5" };
    for (size_t i = 0; i < N(bad); i++) {
        assert_int_equal(parse_list(ARGS("--max-redirs", bad[i], "x"), &o, err, sizeof err),
                         WT_EXIT_USAGE);
        assert_non_null(strstr(err, "--max-redirs"));
    }
}

static void test_cli_parse_can_be_repeated(void **state)
{
    (void)state;
    struct wt_options o;
    char err[256];

    for (int round = 0; round < 3; round++) {
        /* fails in the middle of a "-zs" cluster: getopt's position inside
         * the cluster must not leak into the next call */
        assert_int_equal(parse_list(ARGS("-zs", "u"), &o, err, sizeof err), WT_EXIT_USAGE);
        assert_int_equal(parse_list(ARGS("-v", "a.example"), &o, err, sizeof err), 0);
        assert_int_equal(o.verbose, 1);
        assert_int_equal(o.silent, 0);
        assert_int_equal(o.n_urls, 1);
        assert_string_equal(o.urls[0], "a.example");

        assert_int_equal(parse_list(ARGS("--dns-server", "10.0.0.1", "-s", "b", "c"),
                                    &o, err, sizeof err), 0);
        assert_int_equal(o.verbose, 0);
        assert_int_equal(o.silent, 1);
        assert_int_equal(o.n_dns_servers, 1);
        assert_int_equal(o.n_urls, 2);

        assert_int_equal(parse_list(ARGS("x"), &o, err, sizeof err), 0);
        assert_int_equal(o.silent, 0);
        assert_int_equal(o.n_dns_servers, 0);
        assert_int_equal(o.n_urls, 1);
    }
}

static void test_cli_seconds_parsing(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        long ms;
    } good[] = {
        { "1", 1000 },     { "0.5", 500 },       { "1.25", 1250 },  { "0", 0 },
        { "0.0", 0 },      { "0.001", 1 },       { "0.0001", 1 },   { "0.0005", 1 },
        { "0.0015", 2 },   { "1.9995", 2000 },   { ".5", 500 },     { "5.", 5000 },
        { "007", 7000 },   { "2147483.647", 2147483647L },           { "60", 60000 },
        { "0.123456789", 123 },
    };
    static const char *bad[] = {
        "abc", "-1", "1e999", "", "+1", " 1", "1 ", "1e3", "2147483.648", "2147484",
        "99999999999999999999", ".", "1..2", "1.2.3", "inf", "nan", "0x10", "1,5", "1.5s",
        "-0",
    };
    for (size_t i = 0; i < N(good); i++) {
        long ms = -42;
        if (wt_cli_parse_seconds(good[i].text, &ms) != 0)
            fail_msg("'%s' rejected", good[i].text);
        if (ms != good[i].ms)
            fail_msg("'%s' -> %ld ms, want %ld", good[i].text, ms, good[i].ms);
    }
    for (size_t i = 0; i < N(bad); i++) {
        long ms = -42;
        if (wt_cli_parse_seconds(bad[i], &ms) != -1)
            fail_msg("'%s' accepted as %ld ms", bad[i], ms);
        assert_int_equal(ms, -42);
    }
    long ms = -42;
    assert_int_equal(wt_cli_parse_seconds(NULL, &ms), -1);
}

static void test_cli_dns_server_parsing(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *addr;
        uint16_t port;
    } good[] = {
        { "127.0.0.1", "127.0.0.1", 53 },
        { "127.0.0.1:5353", "127.0.0.1", 5353 },
        { "192.0.2.1:65535", "192.0.2.1", 65535 },
        { "::1", "::1", 53 },
        { "[::1]", "::1", 53 },
        { "[::1]:5353", "::1", 5353 },
        { "[2001:DB8::53]:53", "2001:db8::53", 53 },
        { "2001:db8:0:0:0:0:0:53", "2001:db8:0:0:0:0:0:53", 53 },
        /* a bare IPv6 address has no port: this is the address ::1:5353 */
        { "::1:5353", "::1:5353", 53 },
    };
    static const char *bad[] = {
        "", "localhost", "dns.example:53", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536",
        "1.2.3.4:abc", "1.2.3.4:+53", "1.2.3.4:000053", "1.2.3.999", "1.2.3", "[::1",
        "[::1]x", "[::1]:", "[::1]:0", "[1.2.3.4]:53", "[]", "[]:53", ":53", "1.2.3.4:53:53",
        "::g", "fe80::1%eth0", "[::1]:53:53",
    };
    for (size_t i = 0; i < N(good); i++) {
        struct wt_dns_server s;
        memset(&s, 0, sizeof s);
        if (wt_cli_parse_dns_server(good[i].text, &s) != 0)
            fail_msg("'%s' rejected", good[i].text);
        assert_string_equal(s.addr, good[i].addr);
        assert_int_equal(s.port, good[i].port);
    }
    for (size_t i = 0; i < N(bad); i++) {
        struct wt_dns_server s = { "untouched", 7 };
        if (wt_cli_parse_dns_server(bad[i], &s) != -1)
            fail_msg("'%s' accepted as %s port %u", bad[i], s.addr, (unsigned)s.port);
        assert_string_equal(s.addr, "untouched");
        assert_int_equal(s.port, 7);
    }
    struct wt_dns_server s;
    assert_int_equal(wt_cli_parse_dns_server(NULL, &s), -1);
}

/* --help as printed (English: the unit tests load no catalogue). */
static char *usage_text(void)
{
    /* open_memstream's pointers live on the heap, not in this frame */
    struct memtext {
        char *buf;
        size_t len;
    } *m = calloc(1, sizeof *m);
    assert_non_null(m);
    FILE *f = open_memstream(&m->buf, &m->len);
    assert_non_null(f);
    wt_cli_print_usage(f);
    assert_int_equal(fclose(f), 0);
    char *text = m->buf;
    free(m);
    return text;
}

static void test_cli_usage_lists_every_option(void **state)
{
    (void)state;
    char *usage = usage_text();
    assert_non_null(strstr(usage, "webtrace [options] <url|host> [<url|host> ...]"));
    assert_non_null(strstr(usage, "--url @FILE|@-"));
    assert_non_null(strstr(usage, "  -o, --output FILE          write the body"));
    assert_non_null(strstr(usage, "(default 5)"));
    /* every long option the parser takes has its entry, so --help (and
     * whatever is made from the same table) can never lag behind */
    size_t n = 0;
    int alias;
    for (const char *name; (name = wt_cli_long_option(n, &alias)) != NULL; n++)
        if (!alias && !wt_cli_help_lists(name))
            fail_msg("--help lacks --%s", name);
    assert_true(n > 60);
    assert_false(wt_cli_help_lists("no-such-option"));
    assert_false(wt_cli_help_lists("retry-"));
    free(usage);
}

/* What the completions are generated from: each table's options, with
 * --help's spelling and sentence for the trace's. */
static void test_cli_option_info_reads_the_tables(void **state)
{
    (void)state;
    struct wt_cli_option_info info;
    size_t n = 0, found = 0;
    for (; wt_cli_option_info(NULL, n, &info) == 0; n++) {
        if (strcmp(info.name, "output") == 0) {
            assert_int_equal(info.short_name, 'o');
            assert_true(info.takes_arg);
            assert_false(info.alias);
            assert_string_equal(info.spelling, "-o, --output FILE");
            assert_string_equal(info.text, "write the body to FILE (\"-\" for stdout)");
            found++;
        } else if (strcmp(info.name, "data-ascii") == 0) {
            assert_true(info.alias);   /* described by --data's entry */
            assert_string_equal(info.spelling, "-d, --data DATA");
            found++;
        } else if (strcmp(info.name, "no-color") == 0) {
            assert_int_equal(info.short_name, 0);
            assert_false(info.takes_arg);
            found++;
        }
        if (!info.alias)
            assert_non_null(info.spelling);
    }
    assert_int_equal(found, 3);
    int alias;
    assert_null(wt_cli_long_option(n, &alias));   /* the same table */

    int cert = 0;
    for (size_t i = 0; wt_cli_option_info("serve", i, &info) == 0; i++)
        if (strcmp(info.name, "cert") == 0)
            cert = info.takes_arg && info.spelling == NULL;
    assert_true(cert);
    assert_int_equal(wt_cli_option_info("demo", 0, &info), 0);
    assert_int_equal(wt_cli_option_info("no-such-command", 0, &info), -1);
}

static void test_cli_usage_exit_codes_match_exitcode_words(void **state)
{
    (void)state;
    static const int listed[] = { 0, 1, 2, 3, 5, 6, 7, 8, 16, 18, 22, 23, 26, 28, 33, 35, 47, 52,
                                  55, 56, 60, 61, 77, 92, 100 };
    char *usage = usage_text();
    const char *section = strstr(usage, "Exit codes");
    assert_non_null(section);
    for (size_t i = 0; i < N(listed); i++) {
        char line[128];
        snprintf(line, sizeof line, "\n%5d  %s\n", listed[i], wt_exit_describe(listed[i]));
        assert_string_not_equal(wt_exit_describe(listed[i]), "unknown");
        if (!strstr(section, line))
            fail_msg("usage lacks exit code line \"%s\"", line + 1);
    }
    /* exactly those: no code listed that this version never returns */
    size_t code_lines = 0;
    for (const char *p = strchr(section, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
        int code;
        char after;
        if (sscanf(p + 1, "%5d %c", &code, &after) == 2 && p[1] == ' ')
            code_lines++;
    }
    assert_int_equal(code_lines, N(listed));
    free(usage);
}

static void test_cli_usage_fits_80_columns(void **state)
{
    (void)state;
    char *usage = usage_text();
    const char *line = usage;
    while (*line) {
        size_t len = strcspn(line, "\n");
        if (len > 79)
            fail_msg("usage line longer than 79 columns: %.*s", (int)len, line);
        if (len && line[len - 1] == ' ')
            fail_msg("usage line ends in a space: %.*s", (int)len, line);
        for (size_t i = 0; i < len; i++)
            assert_true(line[i] >= 0x20 && line[i] < 0x7f);
        line += len + (line[len] == '\n');
    }
    assert_int_equal(usage[strlen(usage) - 1], '\n');
    free(usage);
}

static void test_cli_err_is_truncated_to_errlen(void **state)
{
    (void)state;
    struct wt_options o;
    char err[6];
    assert_int_equal(parse_list(ARGS("-s"), &o, err, sizeof err), WT_EXIT_USAGE);
    assert_string_equal(err, "no UR");
    assert_int_equal(parse_list(ARGS("--bogus"), &o, NULL, 0), WT_EXIT_USAGE);
}

static void test_cli_request_options_keep_their_order(void **state)
{
    (void)state;
    struct wt_options o;
    char err[256];
    assert_int_equal(parse_list(ARGS("-X", "PUT", "-H", "X-A: 1", "-d", "a=1", "--data-binary",
                                     "@f", "--data-raw", "@r", "--data-urlencode", "n=v",
                                     "--json", "{}", "--data-ascii", "x", "-Hb;", "-A", "ag",
                                     "-e", "ref", "-u", "u:p", "-G", "-fsSL", "-D", "-", "-i", "u"),
                                &o, err, sizeof err), 0);
    static const enum wt_req_arg_kind kinds[] = {
        WT_REQ_HEADER, WT_REQ_DATA, WT_REQ_DATA_BINARY, WT_REQ_DATA_RAW, WT_REQ_DATA_URLENCODE,
        WT_REQ_JSON, WT_REQ_DATA, WT_REQ_HEADER,
    };
    assert_int_equal(o.n_req_args, N(kinds));
    for (size_t i = 0; i < N(kinds); i++)
        assert_int_equal(o.req_args[i].kind, kinds[i]);
    assert_string_equal(o.req_args[7].value, "b;");
    assert_string_equal(o.method, "PUT");
    assert_string_equal(o.user_agent, "ag");
    assert_string_equal(o.referer, "ref");
    assert_string_equal(o.user, "u:p");
    assert_int_equal(o.get, 1);
    assert_int_equal(o.fail, WT_FAIL_NO_BODY);
    assert_int_equal(o.show_error, 1);
    assert_int_equal(o.follow_location, 1);
    assert_int_equal(o.silent, 1);
    assert_int_equal(o.include, 1);
    assert_string_equal(o.dump_header, "-");
    assert_int_equal(parse_list(ARGS("-f", "--fail-with-body", "-I", "-G", "-d", "x", "u"), &o,
                                err, sizeof err), 0);
    assert_int_equal(o.fail, WT_FAIL_WITH_BODY);   /* the last one wins, as in curl */
    assert_int_equal(o.head, 1);
    assert_int_equal(parse_list(ARGS("-ss", "u"), &o, err, sizeof err), 0);
    assert_int_equal(o.silent, 2);
}

static void test_cli_request_option_errors(void **state)
{
    (void)state;
    static const struct error_case cases[] = {
        { { "-X", "G T", "u" }, "is not a method" },
        { { "-X", "", "u" }, "is not a method" },
        { { "-u", "user", "u" }, "user:password" },
        { { "-A", "a\r\nX: y", "u" }, "line break" },
        { { "-e", "r\n", "u" }, "line break" },
        { { "-I", "-d", "x", "u" }, "two methods" },
        { { "--json", "{}", "-I", "u" }, "two methods" },
        { { "-D", "", "u" }, "needs a file name" },
        { { "u", "--json" }, "option --json needs a value" },
    };
    check_errors(cases, N(cases));
}

static void test_cli_output_and_tls_options(void **state)
{
    (void)state;
    struct wt_options o;
    char err[256];
    assert_int_equal(parse_list(ARGS("--ndjson", "-w", "%{http_code}", "--har", "x.har", "-k",
                                     "--cacert", "ca.pem", "--capath", "/etc/ssl/certs", "u"),
                                &o, err, sizeof err), 0);
    assert_int_equal(o.json, 1);
    assert_string_equal(o.writeout, "%{http_code}");
    assert_string_equal(o.har, "x.har");
    assert_int_equal(o.insecure, 1);
    assert_string_equal(o.cacert, "ca.pem");
    assert_string_equal(o.capath, "/etc/ssl/certs");

    static const struct error_case cases[] = {
        { { "--har", "", "u" }, "--har" },
        { { "--cacert", "", "u" }, "--cacert" },
        { { "u", "-w" }, "needs a value" },
    };
    check_errors(cases, sizeof cases / sizeof cases[0]);
}

/* serve and demo quote what the user typed as the main parser does:
 * control bytes in an argument never reach the terminal raw. */
static void test_cli_subcommand_errors_are_printable(void **state)
{
    (void)state;
    static const struct {
        int demo;
        const char *args[3];
        const char *err_contains;
    } cases[] = {
        { 0, { "\x1b[31mx" }, "unexpected argument '?[31mx'" },
        { 0, { "--port", "8\x1b" }, "--port: '8?'" },
        { 0, { "--idle-timeout", "\x07" }, "--idle-timeout: '?'" },
        { 0, { "--bogus\x1b" }, "unknown option --bogus?" },
        { 0, { "--port" }, "needs a value: --port" },
        { 1, { "\x9b" "2J" }, "unexpected argument '?2J'" },
        { 1, { "--no\x1b" }, "unknown option --no?" },
    };
    for (size_t i = 0; i < N(cases); i++) {
        char err[256] = "";
        struct args a = make_args(cases[i].args);
        a.argv[0] = cases[i].demo ? "demo" : "serve";
        int rc;
        if (cases[i].demo) {
            struct wt_demo_options o;
            rc = wt_cli_parse_demo(a.argc, a.argv, &o, err, sizeof err);
        } else {
            struct wt_serve_options o;
            rc = wt_cli_parse_serve(a.argc, a.argv, &o, err, sizeof err);
        }
        assert_int_equal(rc, WT_EXIT_USAGE);
        check_printable_sentence(err);
        if (!strstr(err, cases[i].err_contains))
            fail_msg("case %zu: err \"%s\" lacks \"%s\"", i, err, cases[i].err_contains);
    }
}

/* --resolve values, curl's syntax: what each entry holds, or why not. */
static const struct {
    const char *text;
    int rc;                      /* 0 entry, 1 removal, -1 error */
    const char *host;
    uint16_t port;
    const char *addrs[3];
    const char *err_contains;
} resolve_cases[] = {
    { "example.test:443:127.0.0.1", 0, "example.test", 443, { "127.0.0.1" }, NULL },
    { "example.test:80:127.0.0.1,::1", 0, "example.test", 80, { "127.0.0.1", "::1" }, NULL },
    { "example.test:80:[::1],127.0.0.2", 0, "example.test", 80, { "::1", "127.0.0.2" }, NULL },
    { "+example.test:80:127.0.0.1", 0, "example.test", 80, { "127.0.0.1" }, NULL },
    { "*:8080:10.0.0.1", 0, "*", 8080, { "10.0.0.1" }, NULL },
    { "[::1]:443:127.0.0.1", 0, "::1", 443, { "127.0.0.1" }, NULL },
    { "-example.test:80", 1, "example.test", 80, { NULL }, NULL },
    { "example.test:80", -1, NULL, 0, { NULL }, "HOST:PORT:ADDR" },
    { "example.test:80:", -1, NULL, 0, { NULL }, "not an IP address" },
    { "example.test:http:127.0.0.1", -1, NULL, 0, { NULL }, "not a port" },
    { "example.test:0:127.0.0.1", -1, NULL, 0, { NULL }, "not a port" },
    { "example.test:80:localhost", -1, NULL, 0, { NULL }, "'localhost' is not an IP address" },
    { "example.test:80:127.0.0.1,", -1, NULL, 0, { NULL }, "not an IP address" },
    { ":80:127.0.0.1", -1, NULL, 0, { NULL }, "HOST:PORT:" },
    { "example.test", -1, NULL, 0, { NULL }, "HOST:PORT:" },
    { "[::1:443:127.0.0.1", -1, NULL, 0, { NULL }, "HOST:PORT:" },
    /* an international name is matched in the xn-- form the URL's host takes */
    { "例子.测试:80:127.0.0.1", 0, "xn--fsqu00a.xn--0zwm56d", 80, { "127.0.0.1" }, NULL },
    { "☃-⌘.com:80:127.0.0.1", -1, NULL, 0, { NULL }, "disallowed character" },
    { "a\x1b[2J.test:80:127.0.0.1", -1, NULL, 0, { NULL }, "control character" },
};

static void test_cli_resolve_entries(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(resolve_cases); i++) {
        struct wt_resolve_entry e;
        char err[256] = "";
        int rc = wt_cli_parse_resolve(resolve_cases[i].text, &e, err, sizeof err);
        if (rc != resolve_cases[i].rc)
            fail_msg("%s: rc %d, want %d (%s)", resolve_cases[i].text, rc, resolve_cases[i].rc,
                     err);
        if (rc < 0) {
            check_printable_sentence(err);
            if (!strstr(err, resolve_cases[i].err_contains))
                fail_msg("%s: err \"%s\" lacks \"%s\"", resolve_cases[i].text, err,
                         resolve_cases[i].err_contains);
            continue;
        }
        assert_string_equal(e.host, resolve_cases[i].host);
        assert_int_equal(e.port, resolve_cases[i].port);
        size_t n = 0;
        while (n < 3 && resolve_cases[i].addrs[n])
            n++;
        assert_int_equal(e.n_addrs, n);
        for (size_t k = 0; k < n; k++)
            assert_string_equal(e.addrs[k], resolve_cases[i].addrs[k]);
        assert_ptr_equal(e.text, resolve_cases[i].text);
    }
}

/* --connect-to values: empty parts match (or keep) anything. */
static const struct {
    const char *text;
    int rc;
    const char *host;
    int port;
    const char *to_host;
    int to_port;
} connect_to_cases[] = {
    { "example.test:443:127.0.0.1:8443", 0, "example.test", 443, "127.0.0.1", 8443 },
    { "example.test:443:backend.test:", 0, "example.test", 443, "backend.test", -1 },
    { ":80::8080", 0, "", 80, "", 8080 },
    { "::[::1]:", 0, "", -1, "::1", -1 },
    { ":::", 0, "", -1, "", -1 },
    { "[::1]:80:[fe80::1]:81", 0, "::1", 80, "fe80::1", 81 },
    { "example.test:443:127.0.0.1", -1, NULL, 0, NULL, 0 },
    { "example.test:443", -1, NULL, 0, NULL, 0 },
    { "example.test:x:127.0.0.1:80", -1, NULL, 0, NULL, 0 },
    { "example.test:443:127.0.0.1:99999", -1, NULL, 0, NULL, 0 },
    { "example.test:443:[::1:80", -1, NULL, 0, NULL, 0 },
    { "example.test:443:[nothost]:80", -1, NULL, 0, NULL, 0 },
    { "例子.测试:443:bücher.example:8443", 0, "xn--fsqu00a.xn--0zwm56d", 443,
      "xn--bcher-kva.example", 8443 },
    { "☃-⌘.com:443::", -1, NULL, 0, NULL, 0 },
    { "::a b.test:80", -1, NULL, 0, NULL, 0 },
    { "", -1, NULL, 0, NULL, 0 },
};

static void test_cli_connect_to_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(connect_to_cases); i++) {
        struct wt_connect_to r;
        char err[256] = "";
        int rc = wt_cli_parse_connect_to(connect_to_cases[i].text, &r, err, sizeof err);
        if (rc != connect_to_cases[i].rc)
            fail_msg("'%s': rc %d, want %d (%s)", connect_to_cases[i].text, rc,
                     connect_to_cases[i].rc, err);
        if (rc < 0) {
            check_printable_sentence(err);
            assert_non_null(strstr(err, "--connect-to"));
            continue;
        }
        assert_string_equal(r.host, connect_to_cases[i].host);
        assert_int_equal(r.port, connect_to_cases[i].port);
        assert_string_equal(r.to_host, connect_to_cases[i].to_host);
        assert_int_equal(r.to_port, connect_to_cases[i].to_port);
    }
}

static void test_cli_resolve_and_connect_to_options(void **state)
{
    (void)state;
    struct wt_options o;
    char err[256] = "";
    int rc = parse_list(ARGS("--resolve", "a.test:80:127.0.0.1", "--resolve", "b.test:80:::1",
                             "--resolve", "-a.test:80", "--connect-to", "::127.0.0.2:",
                             "--happy-eyeballs-timeout-ms", "50", "http://a.test/"),
                        &o, err, sizeof err);
    assert_int_equal(rc, 0);
    assert_int_equal(o.n_resolve, 1);
    assert_string_equal(o.resolve[0].host, "b.test");
    assert_string_equal(o.resolve[0].addrs[0], "::1");
    assert_int_equal(o.n_connect_to, 1);
    assert_string_equal(o.connect_to[0].to_host, "127.0.0.2");
    assert_int_equal(o.happy_eyeballs_ms, 50);

    rc = parse_list(ARGS("http://a.test/"), &o, err, sizeof err);
    assert_int_equal(rc, 0);
    assert_int_equal(o.happy_eyeballs_ms, WT_DEFAULT_HAPPY_EYEBALLS_MS);
    assert_int_equal(o.n_resolve, 0);

    static const struct error_case bad[] = {
        { { "--resolve", "a.test:80", "http://a.test/" }, "--resolve" },
        { { "--connect-to", "a.test:80:b.test", "http://a.test/" }, "--connect-to" },
        { { "--happy-eyeballs-timeout-ms", "-1", "http://a.test/" }, "milliseconds" },
        { { "--happy-eyeballs-timeout-ms", "0.5", "http://a.test/" }, "milliseconds" },
    };
    check_errors(bad, N(bad));
}

static void test_cli_packets_and_pcap(void **state)
{
    (void)state;
    struct wt_options o;
    char err[256];
    assert_int_equal(parse_list(ARGS("u"), &o, err, sizeof err), 0);
    assert_int_equal(o.packets, 0);
    assert_null(o.pcap);
    assert_int_equal(parse_list(ARGS("--packets", "u"), &o, err, sizeof err), 0);
    assert_int_equal(o.packets, 1);
    assert_null(o.pcap);
    /* --pcap FILE captures too: the file holds what the narration tells. */
    assert_int_equal(parse_list(ARGS("--pcap", "out.pcap", "u"), &o, err, sizeof err), 0);
    assert_int_equal(o.packets, 1);
    assert_string_equal(o.pcap, "out.pcap");
    assert_int_equal(o.n_urls, 1);
    static const struct error_case cases[] = {
        { { "--pcap", "", "u" }, "--pcap needs a file name" },
        { { "u", "--pcap" }, "needs a value" },
        { { "--packets=yes", "u" }, "does not take a value" },
    };
    check_errors(cases, N(cases));
}

static void test_cli_serve_verbose_names_the_calls(void **state)
{
    (void)state;
    struct wt_serve_options so;
    char err[256];
    /* argv[0] stands for "serve", as main passes it. */
    struct args a = make_args(ARGS("--port", "8081"));
    assert_int_equal(wt_cli_parse_serve(a.argc, a.argv, &so, err, sizeof err), 0);
    assert_int_equal(so.verbose, 0);
    a = make_args(ARGS("-v"));
    assert_int_equal(wt_cli_parse_serve(a.argc, a.argv, &so, err, sizeof err), 0);
    assert_int_equal(so.verbose, 1);
    a = make_args(ARGS("--verbose", "--port", "0"));
    assert_int_equal(wt_cli_parse_serve(a.argc, a.argv, &so, err, sizeof err), 0);
    assert_int_equal(so.verbose, 1);
    assert_int_equal(so.port, 0);
    assert_non_null(strstr(wt_cli_serve_usage, "-v, --verbose"));
}

static void test_cli_demo_packets(void **state)
{
    (void)state;
    struct wt_demo_options d;
    char err[256];
    struct args a = make_args(ARGS("--no-explain"));
    assert_int_equal(wt_cli_parse_demo(a.argc, a.argv, &d, err, sizeof err), 0);
    assert_int_equal(d.packets, 0);
    a = make_args(ARGS("--packets", "--stay"));
    assert_int_equal(wt_cli_parse_demo(a.argc, a.argv, &d, err, sizeof err), 0);
    assert_int_equal(d.packets, 1);
    assert_int_equal(d.stay, 1);
    assert_non_null(strstr(wt_cli_demo_usage, "--packets"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_defaults_with_one_url),
        cmocka_unit_test(test_cli_flags_short_and_long),
        cmocka_unit_test(test_cli_output_and_input_files),
        cmocka_unit_test(test_cli_urls_point_into_argv_in_order),
        cmocka_unit_test(test_cli_double_dash_ends_options),
        cmocka_unit_test(test_cli_help_and_version_need_no_url),
        cmocka_unit_test(test_cli_no_url_is_an_error),
        cmocka_unit_test(test_cli_ipv4_with_ipv6_is_an_error),
        cmocka_unit_test(test_cli_unknown_option_is_reported),
        cmocka_unit_test(test_cli_missing_value_is_reported),
        cmocka_unit_test(test_cli_lang_is_checked_everywhere),
        cmocka_unit_test(test_cli_timeouts_are_parsed),
        cmocka_unit_test(test_cli_bad_seconds_name_the_option),
        cmocka_unit_test(test_cli_dns_servers_are_repeatable_up_to_the_limit),
        cmocka_unit_test(test_cli_bad_dns_server_is_reported),
        cmocka_unit_test(test_cli_too_many_urls_is_an_error),
        cmocka_unit_test(test_cli_redirect_options),
        cmocka_unit_test(test_cli_parse_can_be_repeated),
        cmocka_unit_test(test_cli_seconds_parsing),
        cmocka_unit_test(test_cli_dns_server_parsing),
        cmocka_unit_test(test_cli_usage_lists_every_option),
        cmocka_unit_test(test_cli_usage_exit_codes_match_exitcode_words),
        cmocka_unit_test(test_cli_output_and_tls_options),
        cmocka_unit_test(test_cli_request_options_keep_their_order),
        cmocka_unit_test(test_cli_request_option_errors),
        cmocka_unit_test(test_cli_usage_fits_80_columns),
        cmocka_unit_test(test_cli_err_is_truncated_to_errlen),
        cmocka_unit_test(test_cli_subcommand_errors_are_printable),
        cmocka_unit_test(test_cli_resolve_entries),
        cmocka_unit_test(test_cli_connect_to_rules),
        cmocka_unit_test(test_cli_resolve_and_connect_to_options),
        cmocka_unit_test(test_cli_packets_and_pcap),
        cmocka_unit_test(test_cli_serve_verbose_names_the_calls),
        cmocka_unit_test(test_cli_demo_packets),
        cmocka_unit_test(test_cli_option_info_reads_the_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
