/* The demo zone's answers, decoded back with our own decoder; hostile
 * queries never crash, never get a malformed reply and never make the
 * responder write past the reply buffer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "webtrace/dnsmsg.h"
#include "webtrace/dnsserver.h"

enum { TYPE_ANY = 255, CLASS_IN = 1, CLASS_CH = 3 };
enum { RCODE_NOERROR = 0, RCODE_FORMERR = 1, RCODE_NXDOMAIN = 3, RCODE_NOTIMP = 4,
       RCODE_REFUSED = 5 };

/* Header for a query with this id and RD set, one question. */
static size_t put_header(uint8_t *q, uint16_t id)
{
    const uint8_t head[12] = { (uint8_t)(id >> 8), (uint8_t)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
    memcpy(q, head, sizeof head);
    return sizeof head;
}

/* Appends name ("a.b.c", "" for the root) in wire form, then type and class. */
static size_t put_question(uint8_t *q, size_t n, const char *name, uint16_t type, uint16_t qclass)
{
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
    q[n++] = (uint8_t)(qclass >> 8);
    q[n++] = (uint8_t)qclass;
    return n;
}

static size_t make_query(const char *name, uint16_t type, uint8_t *q)
{
    return put_question(q, put_header(q, 0x1234), name, type, CLASS_IN);
}

/* Answers the query and decodes the reply, which must be well formed. */
static size_t answer_and_decode(const struct wt_dns_zone *zone, const uint8_t *q, size_t qn,
                                uint8_t *r, size_t cap, struct wt_dns_msg *m)
{
    size_t rn = wt_dns_zone_answer(zone, q, qn, r, cap);
    assert_true(rn >= 12);
    assert_true(rn <= cap);
    assert_int_equal(wt_dns_msg_decode(r, rn, m), 0);
    assert_true(m->is_response);
    assert_int_equal(m->n_answers, m->ancount);
    return rn;
}

static void ask(const struct wt_dns_zone *zone, const char *name, uint16_t type,
                struct wt_dns_msg *m)
{
    uint8_t q[300], r[512];
    size_t qn = make_query(name, type, q);
    answer_and_decode(zone, q, qn, r, sizeof r, m);
    assert_int_equal(m->id, 0x1234);
    assert_true(m->rd);
    assert_false(m->ra);
    assert_false(m->tc);
    assert_int_equal(m->qdcount, 1);
    assert_string_equal(m->qname, name[0] ? name : ".");
    assert_int_equal(m->qtype, type);
}

struct expected_record {
    const char *name;
    uint16_t type;
    uint32_t ttl;
    const char *data;
};

struct zone_case {
    const char *name;
    uint16_t type;
    int rcode;
    int aa;
    unsigned nscount;
    size_t n_answers;
    struct expected_record answers[3];
};

static const struct zone_case demo_cases[] = {
    { "www.webtrace.test", WT_DNS_TYPE_A, RCODE_NOERROR, 1, 0, 2,
      { { "www.webtrace.test", WT_DNS_TYPE_CNAME, 60, "web.webtrace.test" },
        { "web.webtrace.test", WT_DNS_TYPE_A, 300, "127.0.0.1" } } },
    { "www.webtrace.test", WT_DNS_TYPE_AAAA, RCODE_NOERROR, 1, 0, 2,
      { { "www.webtrace.test", WT_DNS_TYPE_CNAME, 60, "web.webtrace.test" },
        { "web.webtrace.test", WT_DNS_TYPE_AAAA, 120, "::1" } } },
    { "web.webtrace.test", WT_DNS_TYPE_A, RCODE_NOERROR, 1, 0, 1,
      { { "web.webtrace.test", WT_DNS_TYPE_A, 300, "127.0.0.1" } } },
    { "web.webtrace.test", WT_DNS_TYPE_AAAA, RCODE_NOERROR, 1, 0, 1,
      { { "web.webtrace.test", WT_DNS_TYPE_AAAA, 120, "::1" } } },
    /* the first owner is the question, so it keeps the asker's case */
    { "WWW.WebTrace.TEST", WT_DNS_TYPE_A, RCODE_NOERROR, 1, 0, 2,
      { { "WWW.WebTrace.TEST", WT_DNS_TYPE_CNAME, 60, "web.webtrace.test" },
        { "web.webtrace.test", WT_DNS_TYPE_A, 300, "127.0.0.1" } } },
    { "wEb.webtrace.tesT", WT_DNS_TYPE_AAAA, RCODE_NOERROR, 1, 0, 1,
      { { "wEb.webtrace.tesT", WT_DNS_TYPE_AAAA, 120, "::1" } } },
    /* asking for the alias itself does not follow it */
    { "www.webtrace.test", WT_DNS_TYPE_CNAME, RCODE_NOERROR, 1, 0, 1,
      { { "www.webtrace.test", WT_DNS_TYPE_CNAME, 60, "web.webtrace.test" } } },
    { "web.webtrace.test", TYPE_ANY, RCODE_NOERROR, 1, 0, 2,
      { { "web.webtrace.test", WT_DNS_TYPE_A, 300, "127.0.0.1" },
        { "web.webtrace.test", WT_DNS_TYPE_AAAA, 120, "::1" } } },
    { "nope.webtrace.test", WT_DNS_TYPE_A, RCODE_NXDOMAIN, 1, 1, 0, { { 0 } } },
    { "a.web.webtrace.test", WT_DNS_TYPE_A, RCODE_NXDOMAIN, 1, 1, 0, { { 0 } } },
    /* a known name without the type: NODATA, also at the end of a chain */
    { "web.webtrace.test", WT_DNS_TYPE_TXT, RCODE_NOERROR, 1, 1, 0, { { 0 } } },
    { "www.webtrace.test", WT_DNS_TYPE_TXT, RCODE_NOERROR, 1, 1, 1,
      { { "www.webtrace.test", WT_DNS_TYPE_CNAME, 60, "web.webtrace.test" } } },
    /* the apex exists: it holds the SOA */
    { "webtrace.test", WT_DNS_TYPE_A, RCODE_NOERROR, 1, 1, 0, { { 0 } } },
    { "webtrace.test", WT_DNS_TYPE_SOA, RCODE_NOERROR, 1, 0, 1,
      { { "webtrace.test", WT_DNS_TYPE_SOA, 60, "" } } },
    { "example.com", WT_DNS_TYPE_A, RCODE_REFUSED, 0, 0, 0, { { 0 } } },
    { "notwebtrace.test", WT_DNS_TYPE_A, RCODE_REFUSED, 0, 0, 0, { { 0 } } },
    { "test", WT_DNS_TYPE_A, RCODE_REFUSED, 0, 0, 0, { { 0 } } },
    { "", WT_DNS_TYPE_A, RCODE_REFUSED, 0, 0, 0, { { 0 } } },
};

static void test_dnsserver_demo_zone_answers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof demo_cases / sizeof demo_cases[0]; i++) {
        const struct zone_case *c = &demo_cases[i];
        struct wt_dns_msg m;
        ask(&wt_demo_zone, c->name, c->type, &m);
        assert_int_equal(m.rcode, c->rcode);
        assert_int_equal(m.aa, c->aa);
        assert_int_equal(m.nscount, c->nscount);
        assert_int_equal(m.arcount, 0);
        assert_int_equal(m.n_answers, c->n_answers);
        for (size_t k = 0; k < c->n_answers; k++) {
            assert_string_equal(m.answers[k].name, c->answers[k].name);
            assert_int_equal(m.answers[k].type, c->answers[k].type);
            assert_int_equal(m.answers[k].rclass, CLASS_IN);
            assert_int_equal(m.answers[k].ttl, c->answers[k].ttl);
            assert_string_equal(m.answers[k].data, c->answers[k].data);
        }
    }
}

static void test_dnsserver_echoes_id_and_rd(void **state)
{
    (void)state;
    const uint16_t ids[] = { 0x0000, 0xbeef, 0xffff };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        for (int rd = 0; rd <= 1; rd++) {
            uint8_t q[300], r[512];
            size_t qn = put_question(q, put_header(q, ids[i]), "www.webtrace.test",
                                     WT_DNS_TYPE_A, CLASS_IN);
            q[2] = (uint8_t)rd;
            struct wt_dns_msg m;
            answer_and_decode(&wt_demo_zone, q, qn, r, sizeof r, &m);
            assert_int_equal(m.id, ids[i]);
            assert_int_equal(m.rd, rd);
            assert_int_equal(m.opcode, 0);
            assert_int_equal(m.n_answers, 2);
        }
    }
}

static void test_dnsserver_owner_equal_to_question_is_a_pointer(void **state)
{
    (void)state;
    uint8_t q[300], r[512];
    size_t qn = make_query("www.webtrace.test", WT_DNS_TYPE_A, q);
    struct wt_dns_msg m;
    size_t rn = answer_and_decode(&wt_demo_zone, q, qn, r, sizeof r, &m);
    /* the question comes back byte for byte, then the CNAME's owner is a
     * pointer to it (offset 12) */
    assert_memory_equal(r + 12, q + 12, qn - 12);
    assert_true(rn > qn + 2);
    assert_int_equal(r[qn], 0xc0);
    assert_int_equal(r[qn + 1], 0x0c);
}

static void test_dnsserver_question_is_echoed_as_sent(void **state)
{
    (void)state;
    /* labels holding a dot, a backslash and a high byte: the echo must be
     * the same bytes, not a re-encoding of the decoder's escaped text */
    static const uint8_t names[][32] = {
        { 4, 'e', '.', 'v', 'l', 8, 'w', 'e', 'b', 't', 'r', 'a', 'c', 'e', 4, 't', 'e', 's', 't', 0 },
        { 13, 'e', 'v', 'i', 'l', '.', 'w', 'e', 'b', 't', 'r', 'a', 'c', 'e', 4, 't', 'e', 's', 't', 0 },
        { 3, 'a', '\\', 0xff, 0 },
        { 0 },
    };
    static const int rcodes[] = { RCODE_NXDOMAIN, RCODE_REFUSED, RCODE_REFUSED, RCODE_REFUSED };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        uint8_t q[300], r[512];
        size_t n = put_header(q, 0x1234), name_len = 0;
        while (names[i][name_len])
            name_len += 1 + names[i][name_len];
        name_len++;
        memcpy(q + n, names[i], name_len);
        n += name_len;
        const uint8_t type_class[4] = { 0, WT_DNS_TYPE_A, 0, CLASS_IN };
        memcpy(q + n, type_class, sizeof type_class);
        n += sizeof type_class;

        struct wt_dns_msg m;
        size_t rn = answer_and_decode(&wt_demo_zone, q, n, r, sizeof r, &m);
        assert_int_equal(m.rcode, rcodes[i]);
        assert_int_equal(m.qdcount, 1);
        assert_true(rn >= n);
        assert_memory_equal(r + 12, q + 12, n - 12);
    }
}

static void test_dnsserver_other_opcodes_are_notimp(void **state)
{
    (void)state;
    const int opcodes[] = { 1, 2, 4, 5, 15 };
    for (size_t i = 0; i < sizeof opcodes / sizeof opcodes[0]; i++) {
        uint8_t q[300], r[512];
        size_t qn = make_query("www.webtrace.test", WT_DNS_TYPE_A, q);
        q[2] = (uint8_t)(opcodes[i] << 3 | 0x01);
        struct wt_dns_msg m;
        answer_and_decode(&wt_demo_zone, q, qn, r, sizeof r, &m);
        assert_int_equal(m.rcode, RCODE_NOTIMP);
        assert_int_equal(m.opcode, opcodes[i]);
        assert_false(m.aa);
        assert_int_equal(m.qdcount, 1);
        assert_string_equal(m.qname, "www.webtrace.test");
        assert_int_equal(m.ancount, 0);
    }
}

static void test_dnsserver_question_count_other_than_one_is_formerr(void **state)
{
    (void)state;
    uint8_t q[300], r[512];
    struct wt_dns_msg m;

    size_t qn = put_header(q, 0x1234);
    q[5] = 0;   /* QDCOUNT 0 */
    answer_and_decode(&wt_demo_zone, q, qn, r, sizeof r, &m);
    assert_int_equal(m.rcode, RCODE_FORMERR);
    assert_int_equal(m.qdcount, 0);
    assert_int_equal(m.id, 0x1234);

    qn = put_question(q, put_header(q, 0x1234), "www.webtrace.test", WT_DNS_TYPE_A, CLASS_IN);
    qn = put_question(q, qn, "web.webtrace.test", WT_DNS_TYPE_A, CLASS_IN);
    q[5] = 2;
    answer_and_decode(&wt_demo_zone, q, qn, r, sizeof r, &m);
    assert_int_equal(m.rcode, RCODE_FORMERR);
    assert_int_equal(m.ancount, 0);
}

static void test_dnsserver_every_truncated_query_is_formerr(void **state)
{
    (void)state;
    uint8_t q[300], r[512];
    size_t qn = make_query("www.webtrace.test", WT_DNS_TYPE_A, q);
    for (size_t n = 0; n < 12; n++)
        assert_int_equal(wt_dns_zone_answer(&wt_demo_zone, q, n, r, sizeof r), 0);
    for (size_t n = 12; n < qn; n++) {
        uint8_t *exact = malloc(n);   /* exact size: ASan sees any over-read */
        memcpy(exact, q, n);
        struct wt_dns_msg m;
        size_t rn = answer_and_decode(&wt_demo_zone, exact, n, r, sizeof r, &m);
        assert_int_equal(rn, 12);
        assert_int_equal(m.rcode, RCODE_FORMERR);
        assert_int_equal(m.qdcount, 0);
        free(exact);
    }
}

static void test_dnsserver_edns_opt_is_ignored(void **state)
{
    (void)state;
    uint8_t q[300], r[512];
    size_t qn = make_query("www.webtrace.test", WT_DNS_TYPE_A, q);
    /* root owner, OPT, 4096-byte payload, DO bit, one 4-byte cookie option */
    const uint8_t opt[] = { 0, 0, 41, 0x10, 0x00, 0, 0, 0x80, 0, 0, 8, 0, 10, 0, 4, 1, 2, 3, 4 };
    memcpy(q + qn, opt, sizeof opt);
    qn += sizeof opt;
    q[11] = 1;   /* ARCOUNT */
    struct wt_dns_msg m;
    answer_and_decode(&wt_demo_zone, q, qn, r, sizeof r, &m);
    assert_int_equal(m.rcode, RCODE_NOERROR);
    assert_int_equal(m.n_answers, 2);
    assert_int_equal(m.arcount, 0);
}

static void test_dnsserver_class_other_than_in_is_refused(void **state)
{
    (void)state;
    uint8_t q[300], r[512];
    size_t qn = put_question(q, put_header(q, 0x1234), "www.webtrace.test", WT_DNS_TYPE_A,
                             CLASS_CH);
    struct wt_dns_msg m;
    answer_and_decode(&wt_demo_zone, q, qn, r, sizeof r, &m);
    assert_int_equal(m.rcode, RCODE_REFUSED);
    assert_int_equal(m.qclass, CLASS_CH);
    assert_int_equal(m.ancount, 0);
}

static void test_dnsserver_responses_get_no_reply(void **state)
{
    (void)state;
    uint8_t q[300], r[512];
    size_t qn = make_query("www.webtrace.test", WT_DNS_TYPE_A, q);
    q[2] |= 0x80;   /* QR */
    assert_int_equal(wt_dns_zone_answer(&wt_demo_zone, q, qn, r, sizeof r), 0);
    /* a full reply of ours, fed back, is not answered either */
    q[2] &= 0x7f;
    size_t rn = wt_dns_zone_answer(&wt_demo_zone, q, qn, r, sizeof r);
    assert_true(rn > 0);
    uint8_t r2[512];
    assert_int_equal(wt_dns_zone_answer(&wt_demo_zone, r, rn, r2, sizeof r2), 0);
    assert_int_equal(wt_dns_zone_answer(NULL, q, qn, r, sizeof r), 0);
    assert_int_equal(wt_dns_zone_answer(&wt_demo_zone, NULL, qn, r, sizeof r), 0);
    assert_int_equal(wt_dns_zone_answer(&wt_demo_zone, q, qn, NULL, sizeof r), 0);
}

static void test_dnsserver_small_reply_cap_truncates_whole_records(void **state)
{
    (void)state;
    uint8_t q[300], full[512];
    size_t qn = make_query("www.webtrace.test", WT_DNS_TYPE_A, q);
    size_t full_len = wt_dns_zone_answer(&wt_demo_zone, q, qn, full, sizeof full);
    assert_true(full_len > qn);
    for (size_t cap = 0; cap <= full_len; cap++) {
        uint8_t *r = malloc(cap ? cap : 1);   /* exact size: ASan sees overruns */
        size_t rn = wt_dns_zone_answer(&wt_demo_zone, q, qn, r, cap);
        assert_true(rn <= cap);
        if (cap < qn) {
            /* not even the question fits: nothing a client could match */
            assert_int_equal(rn, 0);
        } else if (cap < full_len) {
            struct wt_dns_msg m;
            assert_int_equal(rn, qn);
            assert_int_equal(wt_dns_msg_decode(r, rn, &m), 0);
            assert_true(m.tc);
            assert_int_equal(m.qdcount, 1);
            assert_int_equal(m.ancount, 0);
            assert_string_equal(m.qname, "www.webtrace.test");
        } else {
            assert_int_equal(rn, full_len);
            assert_memory_equal(r, full, full_len);
        }
        free(r);
    }
}

static const struct wt_dns_zone_record odd_records[] = {
    { "loop1.z.test", WT_DNS_TYPE_CNAME, 10, "loop2.z.test" },
    { "loop2.z.test", WT_DNS_TYPE_CNAME, 10, "loop1.z.test" },
    { "dangling.z.test", WT_DNS_TYPE_CNAME, 10, "missing.z.test" },
    { "away.z.test", WT_DNS_TYPE_CNAME, 10, "www.example.com" },
    { "leaf.inner.z.test", WT_DNS_TYPE_A, 10, "192.0.2.1" },
    { "broken.z.test", WT_DNS_TYPE_A, 10, "not an address" },
    { "broken.z.test", WT_DNS_TYPE_A, 10, "192.0.2.2" },
    { "bad..label.z.test", WT_DNS_TYPE_A, 10, "192.0.2.3" },
};

static const struct wt_dns_zone odd_zone = {
    "z.test", odd_records, sizeof odd_records / sizeof odd_records[0],
};

static void test_dnsserver_cname_chains_are_bounded(void **state)
{
    (void)state;
    struct wt_dns_msg m;

    ask(&odd_zone, "loop1.z.test", WT_DNS_TYPE_A, &m);
    assert_int_equal(m.rcode, RCODE_NOERROR);
    assert_true(m.ancount >= 2 && m.ancount <= 16);
    for (size_t i = 0; i < m.n_answers; i++)
        assert_int_equal(m.answers[i].type, WT_DNS_TYPE_CNAME);

    /* the rcode speaks for the chain's last name (RFC 6604) */
    ask(&odd_zone, "dangling.z.test", WT_DNS_TYPE_A, &m);
    assert_int_equal(m.rcode, RCODE_NXDOMAIN);
    assert_int_equal(m.n_answers, 1);
    assert_string_equal(m.answers[0].data, "missing.z.test");
    assert_int_equal(m.nscount, 1);

    /* out of the zone: the resolver follows it, we claim nothing */
    ask(&odd_zone, "away.z.test", WT_DNS_TYPE_A, &m);
    assert_int_equal(m.rcode, RCODE_NOERROR);
    assert_int_equal(m.n_answers, 1);
    assert_string_equal(m.answers[0].data, "www.example.com");
    assert_int_equal(m.nscount, 0);
}

static void test_dnsserver_empty_nonterminals_and_bad_zone_data(void **state)
{
    (void)state;
    struct wt_dns_msg m;

    ask(&odd_zone, "inner.z.test", WT_DNS_TYPE_A, &m);
    assert_int_equal(m.rcode, RCODE_NOERROR);   /* RFC 8020: it exists, empty */
    assert_int_equal(m.ancount, 0);
    assert_int_equal(m.nscount, 1);

    /* an unparsable record is skipped, its valid sibling still served */
    ask(&odd_zone, "broken.z.test", WT_DNS_TYPE_A, &m);
    assert_int_equal(m.rcode, RCODE_NOERROR);
    assert_int_equal(m.n_answers, 1);
    assert_string_equal(m.answers[0].data, "192.0.2.2");

    ask(&odd_zone, "label.z.test", WT_DNS_TYPE_A, &m);
    assert_int_equal(m.rcode, RCODE_NXDOMAIN);
}

static uint32_t next_random(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 16;
}

/* Whatever arrives, a reply is either nothing or a well-formed message that
 * fits the buffer. */
static void check_any_input(const uint8_t *in, size_t n, size_t cap)
{
    uint8_t *exact_in = malloc(n ? n : 1);
    uint8_t *r = malloc(cap ? cap : 1);
    memcpy(exact_in, in, n);
    size_t rn = wt_dns_zone_answer(&wt_demo_zone, exact_in, n, r, cap);
    assert_true(rn <= cap);
    if (rn) {
        struct wt_dns_msg m;
        assert_int_equal(wt_dns_msg_decode(r, rn, &m), 0);
        assert_true(m.is_response);
        assert_true(m.qdcount <= 1);
        assert_int_equal(m.n_answers, m.ancount);
    }
    free(r);
    free(exact_in);
}

static void test_dnsserver_random_input_never_crashes(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    for (int i = 0; i < 20000; i++) {
        uint8_t junk[96];
        size_t n = next_random(&seed) % sizeof junk;
        for (size_t k = 0; k < n; k++)
            junk[k] = (uint8_t)next_random(&seed);
        check_any_input(junk, n, 512);
    }
    /* valid queries with a few bytes flipped reach the deeper paths */
    uint8_t q[300];
    size_t qn = make_query("www.webtrace.test", WT_DNS_TYPE_A, q);
    for (int i = 0; i < 20000; i++) {
        uint8_t mutated[300];
        memcpy(mutated, q, qn);
        mutated[2] &= 0x7f;
        for (int flips = 1 + (int)(next_random(&seed) % 3); flips > 0; flips--)
            mutated[next_random(&seed) % qn] = (uint8_t)next_random(&seed);
        check_any_input(mutated, qn, 12 + next_random(&seed) % 120);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dnsserver_demo_zone_answers),
        cmocka_unit_test(test_dnsserver_echoes_id_and_rd),
        cmocka_unit_test(test_dnsserver_owner_equal_to_question_is_a_pointer),
        cmocka_unit_test(test_dnsserver_question_is_echoed_as_sent),
        cmocka_unit_test(test_dnsserver_other_opcodes_are_notimp),
        cmocka_unit_test(test_dnsserver_question_count_other_than_one_is_formerr),
        cmocka_unit_test(test_dnsserver_every_truncated_query_is_formerr),
        cmocka_unit_test(test_dnsserver_edns_opt_is_ignored),
        cmocka_unit_test(test_dnsserver_class_other_than_in_is_refused),
        cmocka_unit_test(test_dnsserver_responses_get_no_reply),
        cmocka_unit_test(test_dnsserver_small_reply_cap_truncates_whole_records),
        cmocka_unit_test(test_dnsserver_cname_chains_are_bounded),
        cmocka_unit_test(test_dnsserver_empty_nonterminals_and_bad_zone_data),
        cmocka_unit_test(test_dnsserver_random_input_never_crashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
