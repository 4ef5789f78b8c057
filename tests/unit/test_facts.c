/* facts and the variable table: a synthetic event sequence in, curl's
 * variables out, with curl's meanings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>

#include "webtrace/facts.h"

static void test_facts_var_table_is_sorted_and_found(void **state)
{
    (void)state;
    for (size_t i = 1; i < wt_n_vars; i++)
        if (strcmp(wt_vars[i - 1].name, wt_vars[i].name) >= 0)
            fail_msg("%s before %s", wt_vars[i - 1].name, wt_vars[i].name);
    for (size_t i = 0; i < wt_n_vars; i++)
        assert_ptr_equal(wt_var_find(wt_vars[i].name, strlen(wt_vars[i].name)), &wt_vars[i]);
    assert_null(wt_var_find("time", 4));
    assert_null(wt_var_find("time_totalx", 11));
    assert_null(wt_var_find("", 0));
    /* a prefix of a longer name given with its length */
    assert_non_null(wt_var_find("http_code}", 9));
}

static void test_facts_webtrace_vars_cannot_clash_with_curl(void **state)
{
    (void)state;
    static const char *const curl_names[] = {
        "content_type", "errormsg", "exitcode", "http_code", "http_connect", "http_version", "local_ip",
        "local_port", "method", "num_connects", "num_redirects", "redirect_url", "remote_ip", "remote_port",
        "response_code", "size_download", "size_header", "size_request", "size_upload",
        "speed_download", "ssl_verify_result", "time_appconnect", "time_connect",
        "time_namelookup", "time_pretransfer", "time_redirect", "time_starttransfer",
        "time_total", "url", "url_effective",
    };
    size_t n_curl = sizeof curl_names / sizeof curl_names[0];
    for (size_t i = 0; i < wt_n_vars; i++) {
        int is_curl = 0;
        for (size_t k = 0; k < n_curl; k++)
            is_curl |= strcmp(wt_vars[i].name, curl_names[k]) == 0;
        if (!is_curl && strncmp(wt_vars[i].name, "wt_", 3) != 0)
            fail_msg("%s is neither curl's nor wt_-prefixed", wt_vars[i].name);
    }
}

static void feed_phase(struct wt_facts *f, enum wt_phase p, int64_t t)
{
    struct wt_event ev = { .kind = WT_EV_PHASE, .phase = p, .t_us = t };
    ev.u.phase.entered = p;
    ev.u.phase.input = "https://www.example.test/";
    ev.u.phase.wall_us = 1700000000000000LL;
    wt_facts_feed(f, &ev);
}

static struct wt_var_value var(const struct wt_facts *f, const char *name)
{
    struct wt_var_value v;
    memset(&v, 0, sizeof v);
    const struct wt_var *x = wt_var_find(name, strlen(name));
    assert_non_null(x);
    x->get(f, &v);
    return v;
}

static void test_facts_times_follow_curls_meaning(void **state)
{
    (void)state;
    struct wt_facts f;
    wt_facts_init(&f);
    feed_phase(&f, WT_PHASE_URL, 0);
    feed_phase(&f, WT_PHASE_DNS, 10);
    feed_phase(&f, WT_PHASE_CONNECT, 300);
    struct wt_event hello = { .kind = WT_EV_TLS_HELLO };
    wt_facts_feed(&f, &hello);
    feed_phase(&f, WT_PHASE_TLS, 400);
    feed_phase(&f, WT_PHASE_SEND, 900);
    feed_phase(&f, WT_PHASE_WAIT, 910);
    feed_phase(&f, WT_PHASE_RECEIVE, 1500);
    feed_phase(&f, WT_PHASE_CLOSE, 1700);
    feed_phase(&f, WT_PHASE_DONE, 1800);

    assert_int_equal(var(&f, "time_namelookup").i, 300);
    assert_int_equal(var(&f, "time_connect").i, 400);
    assert_int_equal(var(&f, "time_appconnect").i, 900);
    assert_int_equal(var(&f, "time_pretransfer").i, 900);
    assert_int_equal(var(&f, "time_starttransfer").i, 1500);
    assert_int_equal(var(&f, "time_total").i, 1700);
    assert_int_equal(var(&f, "time_redirect").i, 0);
    assert_string_equal(var(&f, "url").s, "https://www.example.test/");
    wt_facts_clear(&f);
}

static void test_facts_plain_http_has_no_appconnect(void **state)
{
    (void)state;
    struct wt_facts f;
    wt_facts_init(&f);
    feed_phase(&f, WT_PHASE_URL, 0);
    feed_phase(&f, WT_PHASE_CONNECT, 50);
    feed_phase(&f, WT_PHASE_SEND, 80);
    assert_int_equal(var(&f, "time_connect").i, 80);
    assert_int_equal(var(&f, "time_appconnect").i, 0);
    /* not reached: curl says 0 */
    assert_int_equal(var(&f, "time_starttransfer").i, 0);
    wt_facts_clear(&f);
}

static void test_facts_headers_status_and_errors(void **state)
{
    (void)state;
    struct wt_facts f;
    wt_facts_init(&f);
    feed_phase(&f, WT_PHASE_URL, 0);
    struct wt_event st = { .kind = WT_EV_HTTP_STATUS };
    st.u.http_status.status = 100;
    st.u.http_status.version_major = 1;
    st.u.http_status.version_minor = 1;
    st.u.http_status.reason = "Continue";
    st.u.http_status.reason_len = 8;
    wt_facts_feed(&f, &st);
    struct wt_event h = { .kind = WT_EV_HTTP_HEADER };
    h.u.http_header.name = "X-Interim";
    h.u.http_header.name_len = 9;
    h.u.http_header.value = "1";
    h.u.http_header.value_len = 1;
    wt_facts_feed(&f, &h);
    /* the final response replaces the interim one's headers */
    st.u.http_status.status = 404;
    st.u.http_status.reason = "Not Found";
    st.u.http_status.reason_len = 9;
    wt_facts_feed(&f, &st);
    h.u.http_header.name = "content-TYPE";
    h.u.http_header.name_len = 12;
    h.u.http_header.value = "text/html\x1b[2J";
    h.u.http_header.value_len = 13;
    wt_facts_feed(&f, &h);
    assert_null(wt_facts_header(&f, "X-Interim"));
    assert_int_equal(var(&f, "http_code").i, 404);
    assert_int_equal(var(&f, "response_code").i, 404);
    assert_string_equal(var(&f, "http_version").s, "1.1");
    struct wt_var_value ct = var(&f, "content_type");
    assert_int_equal(ct.s_len, 13);
    assert_memory_equal(ct.s, "text/html\x1b[2J", 13);
    assert_int_equal(var(&f, "errormsg").present, 0);

    struct wt_event err = { .kind = WT_EV_ERROR };
    err.u.error.step = "http";
    err.u.error.exit_code = 18;
    err.u.error.message = "partial";
    wt_facts_feed(&f, &err);
    assert_int_equal(var(&f, "exitcode").i, 18);
    assert_string_equal(var(&f, "errormsg").s, "partial");
    assert_string_equal(var(&f, "wt_error_step").s, "http");

    /* a new URL starts from nothing */
    feed_phase(&f, WT_PHASE_URL, 0);
    assert_int_equal(var(&f, "http_code").i, 0);
    assert_int_equal(var(&f, "exitcode").i, 0);
    wt_facts_clear(&f);
}

static void test_facts_cname_chain_and_endpoints(void **state)
{
    (void)state;
    struct wt_facts f;
    wt_facts_init(&f);
    feed_phase(&f, WT_PHASE_URL, 0);
    struct wt_event start = { .kind = WT_EV_DNS_START };
    wt_facts_feed(&f, &start);
    struct wt_event r = { .kind = WT_EV_DNS_RECORD };
    r.u.dns_record.type = 5;
    r.u.dns_record.name = "www.example.test";
    r.u.dns_record.data = "alias.example.test";
    wt_facts_feed(&f, &r);
    r.u.dns_record.name = "alias.example.test";
    r.u.dns_record.data = "real.example.test";
    wt_facts_feed(&f, &r);
    assert_string_equal(var(&f, "wt_cname_chain").s,
                        "www.example.test -> alias.example.test -> real.example.test");
    struct wt_event est = { .kind = WT_EV_TCP_ESTABLISHED };
    strcpy(est.u.tcp_established.remote.addr, "::1");
    est.u.tcp_established.remote.port = 8080;
    est.u.tcp_established.remote.family = AF_INET6;
    strcpy(est.u.tcp_established.local.addr, "::1");
    est.u.tcp_established.local.port = 50000;
    est.u.tcp_established.rtt_us = 42;
    wt_facts_feed(&f, &est);
    assert_string_equal(var(&f, "remote_ip").s, "::1");
    assert_int_equal(var(&f, "remote_port").i, 8080);
    assert_int_equal(var(&f, "local_port").i, 50000);
    assert_int_equal(var(&f, "num_connects").i, 1);
    assert_int_equal(var(&f, "wt_tcp_rtt").i, 42);
    wt_facts_clear(&f);
}

/* When no attempt connected, the last one to fail names the peer (curl
 * leaves remote_ip empty); an attempt abandoned after another won does not
 * overwrite the winner. */
static void test_facts_failed_attempt_keeps_its_address(void **state)
{
    (void)state;
    struct wt_facts f;
    wt_facts_init(&f);
    feed_phase(&f, WT_PHASE_URL, 0);
    assert_string_equal(var(&f, "remote_ip").s, "");
    struct wt_event fail = { .kind = WT_EV_TCP_FAILED };
    strcpy(fail.u.tcp_failed.remote.addr, "2001:db8::1");
    fail.u.tcp_failed.remote.port = 443;
    fail.u.tcp_failed.remote.family = AF_INET6;
    fail.u.tcp_failed.outcome = WT_TCP_TIMED_OUT;
    wt_facts_feed(&f, &fail);
    assert_string_equal(var(&f, "remote_ip").s, "2001:db8::1");
    assert_int_equal(var(&f, "remote_port").i, 443);

    struct wt_event est = { .kind = WT_EV_TCP_ESTABLISHED };
    strcpy(est.u.tcp_established.remote.addr, "127.0.0.1");
    est.u.tcp_established.remote.port = 443;
    est.u.tcp_established.remote.family = AF_INET;
    wt_facts_feed(&f, &est);
    struct wt_event lost = fail;
    lost.u.tcp_failed.outcome = WT_TCP_ABANDONED;
    wt_facts_feed(&f, &lost);
    assert_string_equal(var(&f, "remote_ip").s, "127.0.0.1");
    wt_facts_clear(&f);
}

static void set_event(struct wt_facts_set *set, enum wt_event_kind kind, size_t url,
                      unsigned hop, int64_t t, int status)
{
    struct wt_event ev = { .kind = kind, .url_index = url, .hop = hop, .t_us = t };
    if (kind == WT_EV_PHASE) {
        ev.u.phase.entered = WT_PHASE_URL;
        ev.u.phase.input = url ? "http://b.example.test/" : "http://a.example.test/";
    }
    if (kind == WT_EV_HTTP_STATUS) {
        ev.u.http_status.status = status;
        ev.u.http_status.reason = "";
    }
    wt_facts_set_feed(set, &ev);
}

static void test_facts_set_keeps_interleaved_urls_apart(void **state)
{
    (void)state;
    struct wt_facts_set set;
    wt_facts_set_init(&set);
    set_event(&set, WT_EV_PHASE, 0, 0, 0, 0);
    set_event(&set, WT_EV_PHASE, 1, 0, 5, 0);
    set_event(&set, WT_EV_HTTP_STATUS, 1, 0, 20, 404);
    set_event(&set, WT_EV_HTTP_STATUS, 0, 0, 30, 301);
    set_event(&set, WT_EV_PHASE, 0, 1, 40, 0);     /* URL 0 follows its redirect */
    set_event(&set, WT_EV_HTTP_STATUS, 0, 1, 50, 200);
    struct wt_event probe = { .kind = WT_EV_TRANSFER_DONE, .url_index = 0, .hop = 1 };
    const struct wt_facts *a = wt_facts_set_feed(&set, &probe);
    probe.url_index = 1;
    probe.hop = 0;
    const struct wt_facts *b = wt_facts_set_feed(&set, &probe);
    assert_int_equal(var(a, "http_code").i, 200);
    assert_int_equal(var(a, "num_redirects").i, 1);
    assert_string_equal(var(a, "url").s, "http://a.example.test/");
    assert_int_equal(var(b, "http_code").i, 404);
    assert_int_equal(var(b, "num_redirects").i, 0);
    assert_string_equal(var(b, "url").s, "http://b.example.test/");
    wt_facts_set_release(&set, 0);
    /* an event of a released URL (its connection closed at the end of the
     * run) makes no new facts */
    probe.kind = WT_EV_TCP_TEARDOWN;
    probe.url_index = 0;
    assert_ptr_equal(wt_facts_set_feed(&set, &probe), &set.none);
    assert_int_equal(set.n, 1);
    wt_facts_set_clear(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_facts_var_table_is_sorted_and_found),
        cmocka_unit_test(test_facts_webtrace_vars_cannot_clash_with_curl),
        cmocka_unit_test(test_facts_times_follow_curls_meaning),
        cmocka_unit_test(test_facts_plain_http_has_no_appconnect),
        cmocka_unit_test(test_facts_headers_status_and_errors),
        cmocka_unit_test(test_facts_cname_chain_and_endpoints),
        cmocka_unit_test(test_facts_failed_attempt_keeps_its_address),
        cmocka_unit_test(test_facts_set_keeps_interleaved_urls_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
