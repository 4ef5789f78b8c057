/* What a lookup's packets say: a query and its reply matched for the
 * round-trip time, each CNAME link shown once across the A and AAAA
 * replies, a truncated UDP reply announcing the retry over TCP, and TCP's
 * length-prefixed stream reassembled however the reads split it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "webtrace/dnswire.h"

#define MAX_EVENTS 32

struct recorded {
    size_t n;
    enum wt_event_kind kind[MAX_EVENTS];
    int64_t rtt_us[MAX_EVENTS];
    char text[MAX_EVENTS][80];   /* qname, or "name data" of a record */
};

static void record(void *ctx, const struct wt_event *ev)
{
    struct recorded *r = ctx;
    assert_true(r->n < MAX_EVENTS);
    assert_int_equal(ev->phase, WT_PHASE_DNS);
    r->kind[r->n] = ev->kind;
    r->rtt_us[r->n] = ev->kind == WT_EV_DNS_REPLY ? ev->u.dns_reply.rtt_us : 0;
    if (ev->kind == WT_EV_DNS_RECORD)
        snprintf(r->text[r->n], sizeof r->text[0], "%s %s", ev->u.dns_record.name,
                 ev->u.dns_record.data);
    else if (ev->kind == WT_EV_DNS_QUERY)
        snprintf(r->text[r->n], sizeof r->text[0], "%s", ev->u.dns_query.qname);
    else if (ev->kind == WT_EV_DNS_REPLY)
        snprintf(r->text[r->n], sizeof r->text[0], "%s", ev->u.dns_reply.qname);
    else
        r->text[r->n][0] = '\0';
    r->n++;
}

/* A message: header (id, flags, 1 question, ancount), the question
 * www.example.test/qtype, then the answers already in wire form. */
static size_t message(uint8_t *m, uint16_t id, uint16_t flags, uint16_t qtype, uint16_t ancount,
                      const uint8_t *answers, size_t answers_len)
{
    static const uint8_t qname[] = "\3www\7example\4test";
    uint8_t head[12] = { (uint8_t)(id >> 8), (uint8_t)id, (uint8_t)(flags >> 8), (uint8_t)flags,
                         0, 1, (uint8_t)(ancount >> 8), (uint8_t)ancount, 0, 0, 0, 0 };
    size_t n = 0;
    memcpy(m + n, head, sizeof head);
    n += sizeof head;
    memcpy(m + n, qname, sizeof qname);   /* with the root's zero */
    n += sizeof qname;
    m[n++] = (uint8_t)(qtype >> 8);
    m[n++] = (uint8_t)qtype;
    m[n++] = 0;
    m[n++] = 1;
    if (answers_len)
        memcpy(m + n, answers, answers_len);
    return n + answers_len;
}

/* www CNAME web (same zone, compressed), web A 127.0.0.1 / AAAA ::1 */
static const uint8_t cname_answer[] = {
    0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 3, 'w', 'e', 'b', 0xc0, 0x10,
};
static const uint8_t web_a[] = {
    0xc0, 0x2e, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 127, 0, 0, 1,
};
static const uint8_t web_aaaa[] = {
    0xc0, 0x2e, 0, 28, 0, 1, 0, 0, 0, 120, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
};

static struct wt_dns_path udp_path = {
    0, { "127.0.0.1", 53, AF_INET }, { "127.0.0.1", 40000, AF_INET },
};

static void test_dnswire_reply_is_matched_to_its_query(void **state)
{
    (void)state;
    struct recorded r = { 0 };
    struct wt_event_sink sink = { record, &r };
    struct wt_dns_wire w;
    wt_dns_wire_init(&w, &sink);
    uint8_t q[128], a[256];
    size_t qn = message(q, 0x3f1c, 0x0100, 1, 0, NULL, 0);
    uint8_t answers[64];
    memcpy(answers, cname_answer, sizeof cname_answer);
    memcpy(answers + sizeof cname_answer, web_a, sizeof web_a);
    size_t an = message(a, 0x3f1c, 0x8580, 1, 2, answers, sizeof cname_answer + sizeof web_a);

    wt_dns_wire_query(&w, &udp_path, q, qn, 1000);
    wt_dns_wire_reply(&w, &udp_path, q, qn, 1100);   /* a query is no reply */
    wt_dns_wire_reply(&w, &udp_path, a, an, 1310);
    wt_dns_wire_query(&w, &udp_path, a, an, 1400);   /* a reply is no query */

    assert_int_equal(w.queries_sent, 1);
    assert_int_equal(w.replies_seen, 1);
    assert_int_equal(w.rcode_seen[0], 1);
    assert_int_equal(w.n_pending, 0);
    assert_int_equal(r.n, 4);
    assert_int_equal(r.kind[0], WT_EV_DNS_QUERY);
    assert_string_equal(r.text[0], "www.example.test");
    assert_int_equal(r.kind[1], WT_EV_DNS_REPLY);
    assert_int_equal(r.rtt_us[1], 310);
    assert_int_equal(r.kind[2], WT_EV_DNS_RECORD);
    assert_string_equal(r.text[2], "www.example.test web.example.test");
    assert_int_equal(r.kind[3], WT_EV_DNS_RECORD);
    assert_string_equal(r.text[3], "web.example.test 127.0.0.1");

    /* the same reply again: no query left to match */
    r.n = 0;
    wt_dns_wire_reply(&w, &udp_path, a, an, 2000);
    assert_int_equal(r.kind[0], WT_EV_DNS_REPLY);
    assert_int_equal(r.rtt_us[0], -1);
}

static void test_dnswire_cname_link_shown_once_per_lookup(void **state)
{
    (void)state;
    struct recorded r = { 0 };
    struct wt_event_sink sink = { record, &r };
    struct wt_dns_wire w;
    wt_dns_wire_init(&w, &sink);
    uint8_t answers[64], a[256];
    memcpy(answers, cname_answer, sizeof cname_answer);
    memcpy(answers + sizeof cname_answer, web_a, sizeof web_a);
    size_t an = message(a, 1, 0x8180, 1, 2, answers, sizeof cname_answer + sizeof web_a);
    wt_dns_wire_reply(&w, &udp_path, a, an, 0);
    memcpy(answers + sizeof cname_answer, web_aaaa, sizeof web_aaaa);
    an = message(a, 2, 0x8180, 28, 2, answers, sizeof cname_answer + sizeof web_aaaa);
    wt_dns_wire_reply(&w, &udp_path, a, an, 0);

    size_t cnames = 0, addresses = 0;
    for (size_t i = 0; i < r.n; i++) {
        if (r.kind[i] != WT_EV_DNS_RECORD)
            continue;
        if (strcmp(r.text[i], "www.example.test web.example.test") == 0)
            cnames++;
        else
            addresses++;
    }
    assert_int_equal(cnames, 1);
    assert_int_equal(addresses, 2);
}

static void test_dnswire_truncated_udp_reply_announces_tcp(void **state)
{
    (void)state;
    struct recorded r = { 0 };
    struct wt_event_sink sink = { record, &r };
    struct wt_dns_wire w;
    wt_dns_wire_init(&w, &sink);
    uint8_t a[128];
    size_t an = message(a, 7, 0x8380, 1, 0, NULL, 0);   /* TC */
    wt_dns_wire_reply(&w, &udp_path, a, an, 0);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.kind[1], WT_EV_DNS_TCP_RETRY);

    struct wt_dns_path tcp_path = udp_path;
    tcp_path.tcp = 1;
    r.n = 0;
    wt_dns_wire_reply(&w, &tcp_path, a, an, 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.kind[0], WT_EV_DNS_REPLY);
}

struct collected {
    size_t n;
    size_t len[4];
    uint8_t msg[4][256];
};

static void collect(void *ctx, const uint8_t *msg, size_t len)
{
    struct collected *c = ctx;
    assert_true(c->n < 4 && len <= sizeof c->msg[0]);
    memcpy(c->msg[c->n], msg, len);
    c->len[c->n++] = len;
}

/* Three messages (one empty) in one stream, fed in two reads split at
 * every offset, then byte by byte: always the same three, in order. */
static void test_dnswire_stream_reassembles_at_every_split(void **state)
{
    (void)state;
    uint8_t first[128], second[256];
    size_t n1 = message(first, 1, 0x0100, 1, 0, NULL, 0);
    size_t n2 = message(second, 1, 0x8180, 1, 1, web_a, sizeof web_a);
    uint8_t stream[512];
    size_t len = 0;
    stream[len++] = (uint8_t)(n1 >> 8);
    stream[len++] = (uint8_t)n1;
    memcpy(stream + len, first, n1);
    len += n1;
    stream[len++] = 0;
    stream[len++] = 0;
    stream[len++] = (uint8_t)(n2 >> 8);
    stream[len++] = (uint8_t)n2;
    memcpy(stream + len, second, n2);
    len += n2;

    for (size_t split = 0; split <= len + 1; split++) {
        struct collected c = { 0 };
        struct wt_dns_stream s = { NULL, 0 };
        if (split <= len) {
            wt_dns_stream_feed(&s, stream, split, collect, &c);
            wt_dns_stream_feed(&s, stream + split, len - split, collect, &c);
        } else {
            for (size_t i = 0; i < len; i++)
                wt_dns_stream_feed(&s, stream + i, 1, collect, &c);
        }
        assert_int_equal(c.n, 3);
        assert_int_equal(c.len[0], n1);
        assert_memory_equal(c.msg[0], first, n1);
        assert_int_equal(c.len[1], 0);
        assert_int_equal(c.len[2], n2);
        assert_memory_equal(c.msg[2], second, n2);
        assert_int_equal(s.len, 0);
        wt_dns_stream_clear(&s);
        assert_null(s.buf);
    }
}

struct counted {
    size_t records;
    char last[64];
};

static void count(void *ctx, const struct wt_event *ev)
{
    struct counted *c = ctx;
    if (ev->kind != WT_EV_DNS_RECORD)
        return;
    c->records++;
    snprintf(c->last, sizeof c->last, "%s", ev->u.dns_record.data);
}

/* A 64 KiB answer over TCP can hold thousands of records: every one is an
 * event, far past the WT_DNS_MAX_RECORDS the decoder keeps in its struct. */
static void test_dnswire_every_record_of_a_large_answer_is_emitted(void **state)
{
    (void)state;
    enum { N = 3000, RR_LEN = 16 };
    static uint8_t answers[N * RR_LEN];
    for (size_t i = 0; i < N; i++) {
        const uint8_t rr[RR_LEN] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4,
                                     10, 0, (uint8_t)(i >> 8), (uint8_t)i };
        memcpy(answers + i * RR_LEN, rr, RR_LEN);
    }
    static uint8_t m[sizeof answers + 64];
    size_t len = message(m, 7, 0x8180, 1, N, answers, sizeof answers);
    struct counted c = { 0 };
    struct wt_event_sink sink = { count, &c };
    struct wt_dns_wire w;
    wt_dns_wire_init(&w, &sink);
    wt_dns_wire_reply(&w, &udp_path, m, len, 1000);
    assert_int_equal(c.records, N);
    assert_string_equal(c.last, "10.0.11.183");   /* 2999 = 11 * 256 + 183 */

    /* cut inside the last record: the others are still all there */
    c = (struct counted){ 0 };
    wt_dns_wire_reply(&w, &udp_path, m, len - 1, 2000);
    assert_int_equal(c.records, N - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dnswire_reply_is_matched_to_its_query),
        cmocka_unit_test(test_dnswire_cname_link_shown_once_per_lookup),
        cmocka_unit_test(test_dnswire_truncated_udp_reply_announces_tcp),
        cmocka_unit_test(test_dnswire_stream_reassembles_at_every_split),
        cmocka_unit_test(test_dnswire_every_record_of_a_large_answer_is_emitted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
