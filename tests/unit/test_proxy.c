#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/socket.h>
#include <unistd.h>

#include "webtrace/exitcode.h"
#include "webtrace/http.h"
#include "webtrace/loop.h"
#include "webtrace/pool.h"
#include "webtrace/proxy.h"
#include "webtrace/reqspec.h"
#include "webtrace/url.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_proxy_parse_table(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *host;
        int port;
        const char *credentials;
    } ok[] = {
        { "proxy.test", "proxy.test", 1080, "" },            /* curl's default port */
        { "http://proxy.test:3128", "proxy.test", 3128, "" },
        { "HTTP://Proxy.Test:3128/", "proxy.test", 3128, "" },
        { "127.0.0.1:8080", "127.0.0.1", 8080, "" },
        { "[::1]:8080", "::1", 8080, "" },
        { "http://[::1]", "::1", 1080, "" },
        { "u:p@proxy.test:1", "proxy.test", 1, "u:p" },
        { "http://us%40er:p%3Aw@proxy.test:3128", "proxy.test", 3128, "us@er:p:w" },
        { "a@b@proxy.test", "proxy.test", 1080, "a@b" },
        { "http://\xe4\xbb\xa3\xe7\x90\x86.\xe6\xb5\x8b\xe8\xaf\x95:3128",   /* 代理.测试 */
          "xn--mnq481g.xn--0zwm56d", 3128, "" },
    };
    for (size_t i = 0; i < N(ok); i++) {
        struct wt_proxy p;
        char err[200] = "";
        int rc = wt_proxy_parse(ok[i].in, &p, err, sizeof err);
        if (rc)
            fail_msg("%s: %d %s", ok[i].in, rc, err);
        assert_string_equal(p.host, ok[i].host);
        assert_int_equal(p.port, ok[i].port);
        assert_string_equal(p.credentials, ok[i].credentials);
    }
    static const struct {
        const char *in;
        int code;
    } bad[] = {
        { "", WT_EXIT_RESOLVE_PROXY },
        { "http://", WT_EXIT_RESOLVE_PROXY },
        { "proxy.test:0", WT_EXIT_RESOLVE_PROXY },
        { "proxy.test:65536", WT_EXIT_RESOLVE_PROXY },
        { "proxy.test:80x", WT_EXIT_RESOLVE_PROXY },
        { "[::1", WT_EXIT_RESOLVE_PROXY },
        { "::1:80", WT_EXIT_RESOLVE_PROXY },
        { "pro xy", WT_EXIT_RESOLVE_PROXY },
        { "socks5://proxy.test", WT_EXIT_UNSUPPORTED_PROTOCOL },
        { "https://proxy.test", WT_EXIT_UNSUPPORTED_PROTOCOL },
        { "gopher://proxy.test", WT_EXIT_CONNECT },   /* curl: "Unsupported proxy scheme" */
    };
    for (size_t i = 0; i < N(bad); i++) {
        struct wt_proxy p;
        char err[200] = "";
        int rc = wt_proxy_parse(bad[i].in, &p, err, sizeof err);
        if (rc != bad[i].code)
            fail_msg("%s: %d, expected %d", bad[i].in, rc, bad[i].code);
        assert_true(err[0] != '\0');
    }
}

/* Each row as curl 7.88.1 decided it (checked with its -v "Trying" line). */
static void test_proxy_noproxy_as_curl(void **state)
{
    (void)state;
    static const struct {
        const char *host, *list;
        int match;
    } cases[] = {
        { "www.example.test", "*", 1 },
        { "www.example.test", "a.test,*", 0 },         /* "*" only alone */
        { "www.example.test", "test", 1 },
        { "www.example.test", ".example.test", 1 },
        { "www.example.test", "example.test.", 1 },
        { "www.example.test", "xample.test", 0 },      /* not at a dot */
        { "www.example.test", " example.test ", 1 },
        { "www.example.test", "EXAMPLE.TEST", 1 },
        { "www.example.test", "example.test:80", 0 },  /* no ports */
        { "www.example.test", "*.example.test", 0 },   /* no wildcards */
        { "www.example.test", "www.example.test", 1 },
        { "www.example.test", "other.test, www.example.test", 1 },
        { "www.example.test", "", 0 },
        { "example.test", "www.example.test", 0 },
        { "127.0.0.2", "127.0.0.2", 1 },
        { "127.0.0.2", "127.0.0.0/8", 1 },
        { "127.0.0.2", "127.0.0.0/24", 1 },
        { "127.0.0.2", "127.0.0.1/0", 0 },             /* /0 compares the whole address */
        { "127.0.0.2", "127.0.0.1/32", 0 },
        { "127.0.0.2", "127.0.0.0/33", 0 },
        { "127.0.0.2", "127.0", 0 },
        { "::1", "::1", 1 },
        { "::1", "::1/128", 0 },                       /* 7.88.1 matches no IPv6 prefix */
        { "::1", "::/0", 0 },
        { "::1", "[::1]", 0 },
        { "::1", "127.0.0.0/8", 0 },
    };
    for (size_t i = 0; i < N(cases); i++)
        if (wt_proxy_noproxy_match(cases[i].host, cases[i].list) != cases[i].match)
            fail_msg("%s against \"%s\": expected %d", cases[i].host, cases[i].list,
                     cases[i].match);
}

/* A fake environment: NAME=VALUE pairs. */
static const char *const *fake_env;
static const char *fake_getenv(const char *name)
{
    size_t len = strlen(name);
    for (const char *const *e = fake_env; *e; e++)
        if (!strncmp(*e, name, len) && (*e)[len] == '=')
            return *e + len + 1;
    return NULL;
}

static int choose(const char *url_text, const struct wt_proxy_options *opt,
                  const char *const *env, struct wt_proxy_choice *out)
{
    struct wt_url url;
    char err[200];
    assert_int_equal(wt_url_parse(url_text, &url, err, sizeof err), WT_URL_OK);
    fake_env = env;
    int rc = wt_proxy_choose(&url, opt, fake_getenv, out, err, sizeof err);
    wt_url_clear(&url);
    return rc;
}

static void test_proxy_environment_as_curl(void **state)
{
    (void)state;
    struct wt_proxy_choice c;
    struct wt_proxy_options none = { 0 };
    /* HTTP_PROXY upper case is never read (a CGI's Proxy: header, "httpoxy") */
    const char *const upper_http[] = { "HTTP_PROXY=up.test:1", NULL };
    assert_int_equal(choose("http://o.test/", &none, upper_http, &c), 0);
    assert_false(c.use);
    const char *const lower_http[] = { "http_proxy=low.test:2", "HTTP_PROXY=up.test:1", NULL };
    assert_int_equal(choose("http://o.test/", &none, lower_http, &c), 0);
    assert_true(c.use);
    assert_string_equal(c.proxy.host, "low.test");
    assert_string_equal(c.source, "http_proxy");
    assert_false(c.tunnel);
    /* https: lower case first, then upper case */
    const char *const https_both[] = { "HTTPS_PROXY=up.test:3", "https_proxy=low.test:4", NULL };
    assert_int_equal(choose("https://o.test/", &none, https_both, &c), 0);
    assert_string_equal(c.source, "https_proxy");
    assert_true(c.tunnel);
    const char *const https_upper[] = { "HTTPS_PROXY=up.test:3", "http_proxy=h.test:1", NULL };
    assert_int_equal(choose("https://o.test/", &none, https_upper, &c), 0);
    assert_string_equal(c.source, "HTTPS_PROXY");
    /* then all_proxy, ALL_PROXY */
    const char *const all[] = { "ALL_PROXY=all.test:5", "https_proxy=s.test:6", NULL };
    assert_int_equal(choose("http://o.test/", &none, all, &c), 0);
    assert_string_equal(c.source, "ALL_PROXY");
    assert_string_equal(c.proxy.host, "all.test");
    /* NO_PROXY sends it direct, and names itself */
    const char *const no[] = { "http_proxy=p.test", "NO_PROXY=o.test", NULL };
    assert_int_equal(choose("http://www.o.test/", &none, no, &c), 0);
    assert_false(c.use);
    assert_string_equal(c.bypass_source, "NO_PROXY");
    const char *const no_lower[] = { "http_proxy=p.test", "no_proxy=x.test", "NO_PROXY=o.test",
                                     NULL };
    assert_int_equal(choose("http://o.test/", &none, no_lower, &c), 0);
    assert_true(c.use);   /* no_proxy is read first, and it does not list o.test */
    /* a variable set to "" is unset, as curl_getenv has it */
    const char *const empty[] = { "http_proxy=", "ALL_PROXY=all.test", "no_proxy=",
                                  "NO_PROXY=o.test", NULL };
    assert_int_equal(choose("http://o.test/", &none, empty, &c), 0);
    assert_false(c.use);
    assert_string_equal(c.bypass_source, "NO_PROXY");
    assert_int_equal(choose("http://p.test/", &none, empty, &c), 0);
    assert_string_equal(c.source, "ALL_PROXY");
}

static void test_proxy_options_win(void **state)
{
    (void)state;
    struct wt_proxy_choice c;
    const char *const env[] = { "http_proxy=env.test:1", "NO_PROXY=o.test", NULL };
    /* -x wins over the environment, but NO_PROXY still applies to it */
    struct wt_proxy_options x = { .proxy = "opt.test:2" };
    assert_int_equal(choose("http://o.test/", &x, env, &c), 0);
    assert_false(c.use);
    assert_int_equal(choose("http://other.test/", &x, env, &c), 0);
    assert_true(c.use);
    assert_string_equal(c.proxy.host, "opt.test");
    assert_string_equal(c.source, "-x/--proxy");
    assert_string_equal(c.spec, "http://opt.test:2");
    /* --noproxy "" overrides NO_PROXY */
    struct wt_proxy_options x_empty_list = { .proxy = "opt.test:2", .noproxy = "" };
    assert_int_equal(choose("http://o.test/", &x_empty_list, env, &c), 0);
    assert_true(c.use);
    /* -x "" turns the environment's off */
    struct wt_proxy_options off = { .proxy = "" };
    assert_int_equal(choose("http://other.test/", &off, env, &c), 0);
    assert_false(c.use);
    assert_null(c.bypass_source);
    /* -U wins over the proxy's user; -p tunnels http:// */
    struct wt_proxy_options user = { .proxy = "a:b@opt.test", .proxy_user = "c:d", .tunnel = 1 };
    assert_int_equal(choose("http://other.test/", &user, env, &c), 0);
    assert_string_equal(c.proxy.credentials, "c:d");
    assert_true(c.tunnel);
    /* a user without a password goes as "user:" (curl 7.88.1 sent dTo= for u@) */
    struct wt_proxy_options bare_user = { .proxy = "u@opt.test" };
    assert_int_equal(choose("http://other.test/", &bare_user, env, &c), 0);
    assert_string_equal(c.proxy.credentials, "u:");
    /* a proxy that does not parse is an error only when it is used */
    struct wt_proxy_options bad = { .proxy = "[::1" };
    assert_int_equal(choose("http://o.test/", &bad, env, &c), 0);
    assert_int_equal(choose("http://other.test/", &bad, env, &c), WT_EXIT_RESOLVE_PROXY);
}

/* The bytes curl 7.88.1 sent to a recording proxy for the same URLs. */
static void test_proxy_connect_request_as_curl(void **state)
{
    (void)state;
    size_t len, n;
    char *r = wt_proxy_connect_request("example.test", WT_HOST_NAME, 443, "us:pw",
                                       "curl/7.88.1", &len, &n);
    assert_string_equal(r, "CONNECT example.test:443 HTTP/1.1\r\n"
                           "Host: example.test:443\r\n"
                           "Proxy-Authorization: Basic dXM6cHc=\r\n"
                           "User-Agent: curl/7.88.1\r\n"
                           "Proxy-Connection: Keep-Alive\r\n\r\n");
    assert_int_equal(len, strlen(r));
    assert_int_equal(n, 4);
    free(r);
    r = wt_proxy_connect_request("::1", WT_HOST_IPV6, 8443, "", "curl/7.88.1", &len, &n);
    assert_string_equal(r, "CONNECT [::1]:8443 HTTP/1.1\r\n"
                           "Host: [::1]:8443\r\n"
                           "User-Agent: curl/7.88.1\r\n"
                           "Proxy-Connection: Keep-Alive\r\n\r\n");
    assert_int_equal(n, 3);
    free(r);
}

static void test_proxy_absolute_form_as_curl(void **state)
{
    (void)state;
    struct wt_url url;
    char err[200];
    assert_int_equal(wt_url_parse("http://example.test:8080/a?b", &url, err, sizeof err),
                     WT_URL_OK);
    struct wt_reqspec *spec = wt_reqspec_new();
    assert_non_null(spec);
    spec->user_agent = "curl/7.88.1";
    spec->referer = "http://r/";
    assert_int_equal(wt_reqspec_add_header(spec, "X-A: 1", 6, err, sizeof err), 0);
    assert_int_equal(wt_reqspec_set_user(spec, "a:b"), 0);
    struct wt_http_request req;
    assert_int_equal(wt_http_request_build_proxied(&url, spec, "wt", "Basic dXM6cHc=", &req), 0);
    assert_string_equal(req.text, "GET http://example.test:8080/a?b HTTP/1.1\r\n"
                                  "Host: example.test:8080\r\n"
                                  "Proxy-Authorization: Basic dXM6cHc=\r\n"
                                  "Authorization: Basic YTpi\r\n"
                                  "User-Agent: curl/7.88.1\r\n"
                                  "Accept: */*\r\n"
                                  "Referer: http://r/\r\n"
                                  "Proxy-Connection: Keep-Alive\r\n"
                                  "X-A: 1\r\n\r\n");
    assert_string_equal(req.target, "http://example.test:8080/a?b");
    wt_http_request_clear(&req);
    wt_reqspec_free(spec);
    wt_url_clear(&url);
}

/* The answer's head, split at every byte: nothing before its end, then
 * its length and status. */
static void test_proxy_reply_head_at_every_split(void **state)
{
    (void)state;
    static const char reply[] = "HTTP/1.1 407 Proxy Authentication Required\r\n"
                                "Proxy-Authenticate: Basic realm=\"p\"\r\n\r\n";
    size_t total = strlen(reply);
    for (size_t cut = 1; cut < total; cut++) {
        int status = 0;
        const char *reason;
        size_t reason_len;
        assert_int_equal(wt_proxy_reply_head(reply, cut, &status, &reason, &reason_len), 0);
    }
    int status = 0;
    const char *reason;
    size_t reason_len;
    assert_int_equal(wt_proxy_reply_head(reply, total, &status, &reason, &reason_len),
                     (long)total);
    assert_int_equal(status, 407);
    assert_int_equal(reason_len, strlen("Proxy Authentication Required"));
    assert_memory_equal(reason, "Proxy Authentication Required", reason_len);
    assert_int_equal(wt_proxy_reply_head("HTTP/1.0 200\r\n\r\n", 16, &status, &reason,
                                         &reason_len), 16);
    assert_int_equal(status, 200);
    assert_int_equal(reason_len, 0);
    /* not HTTP: refused at once */
    assert_int_equal(wt_proxy_reply_head("SSH-2.0", 7, &status, &reason, &reason_len), -1);
    assert_int_equal(wt_proxy_reply_head("HTTP/2 200\r\n\r\n", 14, &status, &reason,
                                         &reason_len), -1);
    /* a head that never ends is refused past the cap */
    char *big = malloc(WT_PROXY_REPLY_HEAD_MAX + 2);
    assert_non_null(big);
    memcpy(big, "HTTP/1.1 200 OK\r\n", 17);
    memset(big + 17, 'a', WT_PROXY_REPLY_HEAD_MAX + 2 - 17);
    assert_int_equal(wt_proxy_reply_head(big, WT_PROXY_REPLY_HEAD_MAX, &status, &reason,
                                         &reason_len), 0);
    assert_int_equal(wt_proxy_reply_head(big, WT_PROXY_REPLY_HEAD_MAX + 1, &status, &reason,
                                         &reason_len), -1);
    free(big);
}

/* An idle connection is taken only by a request going the same way: a
 * proxied one never serves a direct request, nor one through another
 * proxy or as another proxy user, and the other way round. (A socketpair
 * stands in for the connection: the pool only peeks at it.) */
static struct wt_conn *idle_conn(struct wt_pool *pool, const char *via, int *peer)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct wt_conn *c = wt_pool_conn_new(pool, WT_SCHEME_HTTPS, "origin.test", 443);
    assert_non_null(c);
    snprintf(c->via, sizeof c->via, "%s", via);
    c->fd = sv[0];
    *peer = sv[1];
    wt_pool_put(pool, c);
    return c;
}

static void test_proxy_pool_keys_by_proxy(void **state)
{
    (void)state;
    struct wt_loop *loop = wt_loop_new(NULL, NULL);
    struct wt_pool *pool = wt_pool_new(loop, NULL);
    assert_non_null(pool);
    int peer_direct, peer_proxied;
    struct wt_conn *direct = idle_conn(pool, "", &peer_direct);
    struct wt_conn *proxied = idle_conn(pool, "tunnel http://p.test:3128 u:p", &peer_proxied);
    struct wt_pool_stale stale;
    assert_null(wt_pool_take_via(pool, WT_SCHEME_HTTPS, "origin.test", 443,
                                 "tunnel http://p.test:3128 v:p", &stale));
    assert_null(wt_pool_take_via(pool, WT_SCHEME_HTTPS, "origin.test", 443,
                                 "tunnel http://q.test:3128 u:p", &stale));
    assert_ptr_equal(wt_pool_take_via(pool, WT_SCHEME_HTTPS, "origin.test", 443,
                                      "tunnel http://p.test:3128 u:p", &stale), proxied);
    assert_null(wt_pool_take_via(pool, WT_SCHEME_HTTPS, "origin.test", 443,
                                 "tunnel http://p.test:3128 u:p", &stale));
    assert_ptr_equal(wt_pool_take(pool, WT_SCHEME_HTTPS, "origin.test", 443, &stale), direct);
    wt_conn_free(direct);
    wt_conn_free(proxied);
    close(peer_direct);
    close(peer_proxied);
    wt_pool_free(pool);
    wt_loop_free(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proxy_parse_table),
        cmocka_unit_test(test_proxy_noproxy_as_curl),
        cmocka_unit_test(test_proxy_environment_as_curl),
        cmocka_unit_test(test_proxy_options_win),
        cmocka_unit_test(test_proxy_connect_request_as_curl),
        cmocka_unit_test(test_proxy_absolute_form_as_curl),
        cmocka_unit_test(test_proxy_reply_head_at_every_split),
        cmocka_unit_test(test_proxy_pool_keys_by_proxy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
