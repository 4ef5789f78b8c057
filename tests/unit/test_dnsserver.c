/* The demo zone's answers, decoded back with our own decoder; hostile
 * queries never crash and never write past the reply buffer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "webtrace/dnsmsg.h"
#include "webtrace/dnsserver.h"

/* A query for name/type with id 0x1234 and RD set. */
static size_t make_query(const char *name, uint16_t type, uint8_t *q)
{
    size_t n = 0;
    const uint8_t head[12] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
    memcpy(q, head, 12);
    n = 12;
    while (*name) {
        size_t l = strcspn(name, ".");
        q[n++] = (uint8_t)l;
        memcpy(q + n, name, l);
        n += l;
        name += l;
        if (*name == '.')
            name++;
    }
    q[n++] = 0;
    q[n++] = (uint8_t)(type >> 8);
    q[n++] = (uint8_t)type;
    q[n++] = 0;
    q[n++] = 1;
    return n;
}

static void ask(const char *name, uint16_t type, struct wt_dns_msg *m)
{
    uint8_t q[300], r[512];
    size_t qn = make_query(name, type, q);
    size_t rn = wt_dns_zone_answer(&wt_demo_zone, q, qn, r, sizeof r);
    assert_true(rn >= 12);
    assert_int_equal(wt_dns_msg_decode(r, rn, m), 0);
    assert_int_equal(m->id, 0x1234);
    assert_true(m->is_response);
    assert_true(m->rd);
}

static void test_dnsserver_a_follows_the_cname(void **state)
{
    (void)state;
    struct wt_dns_msg m;
    ask("www.webtrace.test", WT_DNS_TYPE_A, &m);
    assert_int_equal(m.rcode, 0);
    assert_true(m.aa);
    assert_string_equal(m.qname, "www.webtrace.test");
    assert_int_equal(m.ancount, 2);
    assert_int_equal(m.n_answers, 2);
    assert_int_equal(m.answers[0].type, WT_DNS_TYPE_CNAME);
    assert_string_equal(m.answers[0].name, "www.webtrace.test");
    assert_string_equal(m.answers[0].data, "web.webtrace.test");
    assert_int_equal(m.answers[0].ttl, 60);
    assert_int_equal(m.answers[1].type, WT_DNS_TYPE_A);
    assert_string_equal(m.answers[1].name, "web.webtrace.test");
    assert_string_equal(m.answers[1].data, "127.0.0.1");
    assert_int_equal(m.answers[1].ttl, 300);
}

static void test_dnsserver_aaaa_and_direct_name(void **state)
{
    (void)state;
    struct wt_dns_msg m;
    ask("www.webtrace.test", WT_DNS_TYPE_AAAA, &m);
    assert_int_equal(m.n_answers, 2);
    assert_string_equal(m.answers[1].data, "::1");
    assert_int_equal(m.answers[1].ttl, 120);
    ask("web.webtrace.test", WT_DNS_TYPE_A, &m);
    assert_int_equal(m.n_answers, 1);
    assert_string_equal(m.answers[0].data, "127.0.0.1");
}

static void test_dnsserver_names_match_case_insensitively(void **state)
{
    (void)state;
    struct wt_dns_msg m;
    ask("WWW.WebTrace.TEST", WT_DNS_TYPE_A, &m);
    assert_int_equal(m.rcode, 0);
    assert_int_equal(m.n_answers, 2);
    /* the question comes back as asked */
    assert_string_equal(m.qname, "WWW.WebTrace.TEST");
}

static void test_dnsserver_nxdomain_refused_nodata(void **state)
{
    (void)state;
    struct wt_dns_msg m;
    ask("nope.webtrace.test", WT_DNS_TYPE_A, &m);
    assert_int_equal(m.rcode, 3);
    assert_int_equal(m.ancount, 0);
    ask("example.com", WT_DNS_TYPE_A, &m);
    assert_int_equal(m.rcode, 5);
    ask("notwebtrace.test", WT_DNS_TYPE_A, &m);
    assert_int_equal(m.rcode, 5);
    ask("web.webtrace.test", WT_DNS_TYPE_TXT, &m);
    assert_int_equal(m.rcode, 0);
    assert_int_equal(m.ancount, 0);
}

static void test_dnsserver_responses_and_garbage_get_no_answer(void **state)
{
    (void)state;
    uint8_t q[300], r[512];
    size_t qn = make_query("www.webtrace.test", WT_DNS_TYPE_A, q);
    q[2] |= 0x80;   /* QR: a response */
    assert_int_equal(wt_dns_zone_answer(&wt_demo_zone, q, qn, r, sizeof r), 0);
    assert_int_equal(wt_dns_zone_answer(&wt_demo_zone, q, 5, r, sizeof r), 0);
}

static void test_dnsserver_malformed_queries_are_formerr(void **state)
{
    (void)state;
    uint8_t q[300], r[512];
    size_t qn = make_query("www.webtrace.test", WT_DNS_TYPE_A, q);
    /* every truncation inside the question: FORMERR or nothing, never a crash */
    for (size_t n = 12; n < qn; n++) {
        size_t rn = wt_dns_zone_answer(&wt_demo_zone, q, n, r, sizeof r);
        if (rn) {
            struct wt_dns_msg m;
            assert_true(rn >= 12);
            assert_int_equal(r[3] & 15, 1);
            (void)m;
        }
    }
}

static void test_dnsserver_never_writes_past_the_reply_buffer(void **state)
{
    (void)state;
    uint8_t q[300];
    size_t qn = make_query("www.webtrace.test", WT_DNS_TYPE_A, q);
    for (size_t cap = 0; cap < 120; cap++) {
        uint8_t *r = malloc(cap ? cap : 1);   /* exact size: ASan sees overruns */
        size_t rn = wt_dns_zone_answer(&wt_demo_zone, q, qn, r, cap);
        assert_true(rn <= cap);
        free(r);
    }
    /* random bytes, fixed seed */
    uint32_t seed = 12345;
    for (int i = 0; i < 20000; i++) {
        uint8_t junk[64], r[512];
        size_t n = 0;
        seed = seed * 1103515245u + 12345u;
        n = (seed >> 16) % sizeof junk;
        for (size_t k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            junk[k] = (uint8_t)(seed >> 16);
        }
        size_t rn = wt_dns_zone_answer(&wt_demo_zone, junk, n, r, sizeof r);
        assert_true(rn <= sizeof r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dnsserver_a_follows_the_cname),
        cmocka_unit_test(test_dnsserver_aaaa_and_direct_name),
        cmocka_unit_test(test_dnsserver_names_match_case_insensitively),
        cmocka_unit_test(test_dnsserver_nxdomain_refused_nodata),
        cmocka_unit_test(test_dnsserver_responses_and_garbage_get_no_answer),
        cmocka_unit_test(test_dnsserver_malformed_queries_are_formerr),
        cmocka_unit_test(test_dnsserver_never_writes_past_the_reply_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
