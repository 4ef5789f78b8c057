/* DNS message decoding on hand-made packets: real replies with compression,
 * rcodes and flags, and hostile ones (pointer loops, forward pointers,
 * overruns, truncation at every length, odd bytes in labels). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/dnsmsg.h"

#define U16(v) (uint8_t)((v) >> 8 & 0xff), (uint8_t)((v) & 0xff)
#define U32(v) U16((v) >> 16 & 0xffff), U16((v) & 0xffff)
#define HDR(id, flags, qd, an, ns, ar) U16(id), U16(flags), U16(qd), U16(an), U16(ns), U16(ar)
#define PTR(off) (uint8_t)(0xc0 | (off) >> 8), (uint8_t)((off) & 0xff)
#define IN_CLASS 1

/* 18 bytes: when it is the question name at offset 12, "example.test" starts
 * at 16 and "test" at 24. */
#define WWW_EXAMPLE_TEST 3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', \
                         't', 0

#define N_ITEMS(t) (sizeof(t) / sizeof((t)[0]))

/* A reply as dnsmasq would send it: CNAME then A, both compressed. */
static const uint8_t reply_cname_a[] = {
    HDR(0x3f1c, 0x8180, 1, 2, 0, 0),
    /* 12 */ WWW_EXAMPLE_TEST, U16(WT_DNS_TYPE_A), U16(IN_CLASS),
    /* 34 */ PTR(12), U16(WT_DNS_TYPE_CNAME), U16(IN_CLASS), U32(60), U16(7),
    /* 46 */ 4, 'r', 'e', 'a', 'l', PTR(16),
    /* 53 */ PTR(46), U16(WT_DNS_TYPE_A), U16(IN_CLASS), U32(300), U16(4), 127, 0, 0, 1,
    /* 69 */
};
enum { REPLY_QUESTION_END = 34, REPLY_ANSWER1_END = 53, REPLY_ANSWER2_END = 69 };

static const uint8_t reply_aaaa[] = {
    HDR(0x1234, 0x8580, 1, 2, 0, 0),
    WWW_EXAMPLE_TEST, U16(WT_DNS_TYPE_AAAA), U16(IN_CLASS),
    PTR(12), U16(WT_DNS_TYPE_AAAA), U16(IN_CLASS), U32(300), U16(16),
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    PTR(12), U16(WT_DNS_TYPE_AAAA), U16(IN_CLASS), U32(30), U16(16),
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
};

/* nope.example.test: "example.test" at 17. */
static const uint8_t reply_nxdomain_soa[] = {
    HDR(0x5555, 0x8183, 1, 0, 1, 0),
    4, 'n', 'o', 'p', 'e', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0,
    U16(WT_DNS_TYPE_A), U16(IN_CLASS),
    PTR(17), U16(WT_DNS_TYPE_SOA), U16(IN_CLASS), U32(3600), U16(38),
    2, 'n', 's', PTR(17),
    10, 'h', 'o', 's', 't', 'm', 'a', 's', 't', 'e', 'r', PTR(17),
    U32(2024010101), U32(3600), U32(600), U32(86400), U32(60),
};

static const uint8_t reply_refused[] = {
    HDR(0x0a0b, 0x8105, 1, 0, 0, 0),
    WWW_EXAMPLE_TEST, U16(WT_DNS_TYPE_A), U16(IN_CLASS),
};

static const uint8_t reply_truncated_tc[] = {
    HDR(0x0c0d, 0x8380, 1, 0, 0, 0),
    WWW_EXAMPLE_TEST, U16(WT_DNS_TYPE_AAAA), U16(IN_CLASS),
};

/* What c-ares sends: RD set, EDNS0 OPT in the additional section. */
static const uint8_t query_aaaa_edns[] = {
    HDR(0xabcd, 0x0100, 1, 0, 0, 1),
    WWW_EXAMPLE_TEST, U16(WT_DNS_TYPE_AAAA), U16(IN_CLASS),
    0, U16(WT_DNS_TYPE_OPT), U16(1232), U32(0), U16(0),
};

/* 1.0.0.127.in-addr.arpa PTR localhost, plus an NS and an MX (no data).
 * In the question, "127.in-addr.arpa" starts at 18 and "in-addr.arpa" at 22. */
static const uint8_t reply_ptr_ns_mx[] = {
    HDR(0x0101, 0x8180, 1, 3, 0, 0),
    /* 12 */ 1, '1', 1, '0', 1, '0', 3, '1', '2', '7', 7, 'i', 'n', '-', 'a', 'd', 'd', 'r', 4,
    'a', 'r', 'p', 'a', 0, U16(WT_DNS_TYPE_PTR), U16(IN_CLASS),
    PTR(12), U16(WT_DNS_TYPE_PTR), U16(IN_CLASS), U32(0), U16(11),
    9, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', 0,
    PTR(18), U16(WT_DNS_TYPE_NS), U16(IN_CLASS), U32(7), U16(5), 2, 'n', 's', PTR(22),
    PTR(12), U16(WT_DNS_TYPE_MX), U16(IN_CLASS), U32(9), U16(4), U16(10), PTR(12),
};

static const uint8_t query_root_ns[] = {
    HDR(0x0001, 0x0000, 1, 0, 0, 0),
    0, U16(WT_DNS_TYPE_NS), U16(IN_CLASS),
};

/* ---- helpers ------------------------------------------------------------ */

/* Decodes from a heap copy of exactly len bytes, so ASan catches any read
 * past the end. */
static int decode_exact(const uint8_t *pkt, size_t len, struct wt_dns_msg *m)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len)
        memcpy(copy, pkt, len);
    int rc = wt_dns_msg_decode(copy, len, m);
    free(copy);
    return rc;
}

static void assert_printable(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    assert_true(n < cap);
    for (size_t i = 0; i < n; i++)
        assert_true(s[i] > 0x20 && s[i] < 0x7f);
}

/* Properties every decode must have, whatever the input. */
static void assert_sane(int rc, const struct wt_dns_msg *m)
{
    assert_true(rc == 0 || rc == -1);
    assert_printable(m->qname, sizeof m->qname);
    assert_true(m->n_answers <= m->ancount);
    assert_true(m->n_answers <= WT_DNS_MAX_RECORDS);
    for (size_t i = 0; i < m->n_answers; i++) {
        assert_printable(m->answers[i].name, sizeof m->answers[i].name);
        assert_printable(m->answers[i].data, sizeof m->answers[i].data);
    }
}

struct rr_want {
    const char *name;
    uint16_t type;
    uint32_t ttl;
    const char *data;
};

struct msg_want {
    const char *what;
    const uint8_t *pkt;
    size_t len;
    uint16_t id;
    int is_response, aa, tc, rd, ra, rcode;
    uint16_t ancount, nscount, arcount;
    const char *qname;
    uint16_t qtype;
    size_t n_answers;
    struct rr_want answers[3];
};

#define PKT(a) a, sizeof(a)

static void check_msg(const struct msg_want *w)
{
    struct wt_dns_msg m;
    int rc = decode_exact(w->pkt, w->len, &m);
    assert_int_equal(rc, 0);
    assert_sane(rc, &m);
    assert_int_equal(m.id, w->id);
    assert_int_equal(m.is_response, w->is_response);
    assert_int_equal(m.opcode, 0);
    assert_int_equal(m.aa, w->aa);
    assert_int_equal(m.tc, w->tc);
    assert_int_equal(m.rd, w->rd);
    assert_int_equal(m.ra, w->ra);
    assert_int_equal(m.rcode, w->rcode);
    assert_int_equal(m.qdcount, 1);
    assert_int_equal(m.ancount, w->ancount);
    assert_int_equal(m.nscount, w->nscount);
    assert_int_equal(m.arcount, w->arcount);
    assert_string_equal(m.qname, w->qname);
    assert_int_equal(m.qtype, w->qtype);
    assert_int_equal(m.qclass, IN_CLASS);
    assert_int_equal(m.n_answers, w->n_answers);
    for (size_t i = 0; i < w->n_answers; i++) {
        assert_string_equal(m.answers[i].name, w->answers[i].name);
        assert_int_equal(m.answers[i].type, w->answers[i].type);
        assert_int_equal(m.answers[i].rclass, IN_CLASS);
        assert_int_equal(m.answers[i].ttl, w->answers[i].ttl);
        assert_string_equal(m.answers[i].data, w->answers[i].data);
    }
}

/* splitmix64 with a fixed seed: the same hostile inputs every run. */
static uint64_t prng_state = 0xd45eedu;

static uint64_t prng(void)
{
    uint64_t z = (prng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* ---- well-formed messages ---------------------------------------------- */

static void test_dnsmsg_reply_cname_then_a(void **state)
{
    (void)state;
    const struct msg_want w = {
        "cname+a", PKT(reply_cname_a), 0x3f1c, 1, 0, 0, 1, 1, 0, 2, 0, 0,
        "www.example.test", WT_DNS_TYPE_A, 2,
        { { "www.example.test", WT_DNS_TYPE_CNAME, 60, "real.example.test" },
          { "real.example.test", WT_DNS_TYPE_A, 300, "127.0.0.1" } },
    };
    check_msg(&w);
}

static void test_dnsmsg_reply_aaaa(void **state)
{
    (void)state;
    const struct msg_want w = {
        "aaaa", PKT(reply_aaaa), 0x1234, 1, 1, 0, 1, 1, 0, 2, 0, 0,
        "www.example.test", WT_DNS_TYPE_AAAA, 2,
        { { "www.example.test", WT_DNS_TYPE_AAAA, 300, "::1" },
          { "www.example.test", WT_DNS_TYPE_AAAA, 30, "2001:db8::1" } },
    };
    check_msg(&w);
}

static void test_dnsmsg_rcodes_and_flags(void **state)
{
    (void)state;
    const struct msg_want cases[] = {
        { "nxdomain", PKT(reply_nxdomain_soa), 0x5555, 1, 0, 0, 1, 1, 3, 0, 1, 0,
          "nope.example.test", WT_DNS_TYPE_A, 0, { { 0 } } },
        { "refused", PKT(reply_refused), 0x0a0b, 1, 0, 0, 1, 0, 5, 0, 0, 0,
          "www.example.test", WT_DNS_TYPE_A, 0, { { 0 } } },
        { "tc", PKT(reply_truncated_tc), 0x0c0d, 1, 0, 1, 1, 1, 0, 0, 0, 0,
          "www.example.test", WT_DNS_TYPE_AAAA, 0, { { 0 } } },
    };
    for (size_t i = 0; i < N_ITEMS(cases); i++)
        check_msg(&cases[i]);
}

static void test_dnsmsg_query_with_edns(void **state)
{
    (void)state;
    const struct msg_want w = {
        "query", PKT(query_aaaa_edns), 0xabcd, 0, 0, 0, 1, 0, 0, 0, 0, 1,
        "www.example.test", WT_DNS_TYPE_AAAA, 0, { { 0 } },
    };
    check_msg(&w);
}

static void test_dnsmsg_ptr_ns_and_other_types(void **state)
{
    (void)state;
    const struct msg_want w = {
        "ptr", PKT(reply_ptr_ns_mx), 0x0101, 1, 0, 0, 1, 1, 0, 3, 0, 0,
        "1.0.0.127.in-addr.arpa", WT_DNS_TYPE_PTR, 3,
        { { "1.0.0.127.in-addr.arpa", WT_DNS_TYPE_PTR, 0, "localhost" },
          { "127.in-addr.arpa", WT_DNS_TYPE_NS, 7, "ns.in-addr.arpa" },
          { "1.0.0.127.in-addr.arpa", WT_DNS_TYPE_MX, 9, "" } },
    };
    check_msg(&w);
}

static void test_dnsmsg_root_name_is_dot(void **state)
{
    (void)state;
    const struct msg_want w = {
        "root", PKT(query_root_ns), 0x0001, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ".", WT_DNS_TYPE_NS, 0, { { 0 } },
    };
    check_msg(&w);
}

static void test_dnsmsg_opcode_is_decoded(void **state)
{
    (void)state;
    static const uint8_t notify[] = { HDR(0x0002, 0x2400, 0, 0, 0, 0) }; /* opcode 4, AA */
    struct wt_dns_msg m;
    assert_int_equal(decode_exact(PKT(notify), &m), 0);
    assert_int_equal(m.opcode, 4);
    assert_int_equal(m.aa, 1);
    assert_int_equal(m.qdcount, 0);
    assert_string_equal(m.qname, "");
}

static void test_dnsmsg_keeps_at_most_max_records(void **state)
{
    (void)state;
    enum { N = WT_DNS_MAX_RECORDS + 8, RR_LEN = 16 };
    static const uint8_t head[] = { HDR(0x7777, 0x8180, 1, N, 0, 0), 1, 'a', 0,
                                    U16(WT_DNS_TYPE_A), U16(IN_CLASS) };
    static const uint8_t rr[RR_LEN] = { PTR(12), U16(WT_DNS_TYPE_A), U16(IN_CLASS), U32(5),
                                        U16(4), 10, 0, 0, 9 };
    uint8_t pkt[sizeof head + N * RR_LEN];
    memcpy(pkt, head, sizeof head);
    for (size_t i = 0; i < N; i++)
        memcpy(pkt + sizeof head + i * RR_LEN, rr, RR_LEN);

    struct wt_dns_msg m;
    assert_int_equal(decode_exact(pkt, sizeof pkt, &m), 0);
    assert_int_equal(m.ancount, N);
    assert_int_equal(m.n_answers, WT_DNS_MAX_RECORDS);
    assert_string_equal(m.answers[WT_DNS_MAX_RECORDS - 1].data, "10.0.0.9");
}

/* The struct keeps WT_DNS_MAX_RECORDS; the reader goes on to the last
 * record, and stops at a record cut short without moving. */
static void test_dnsmsg_next_answer_reads_past_the_kept_records(void **state)
{
    (void)state;
    enum { N = WT_DNS_MAX_RECORDS * 3, RR_LEN = 16 };
    static const uint8_t head[] = { HDR(0x7778, 0x8180, 1, N, 0, 0), 1, 'a', 0,
                                    U16(WT_DNS_TYPE_A), U16(IN_CLASS) };
    uint8_t pkt[sizeof head + N * RR_LEN];
    memcpy(pkt, head, sizeof head);
    for (size_t i = 0; i < N; i++) {
        const uint8_t rr[RR_LEN] = { PTR(12), U16(WT_DNS_TYPE_A), U16(IN_CLASS), U32(5),
                                     U16(4), 10, 0, 1, (uint8_t)i };
        memcpy(pkt + sizeof head + i * RR_LEN, rr, RR_LEN);
    }
    struct wt_dns_msg m;
    assert_int_equal(decode_exact(pkt, sizeof pkt, &m), 0);
    assert_int_equal(m.answers_at, sizeof head);
    size_t pos = m.answers_at;
    struct wt_dns_record r;
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(wt_dns_msg_next_answer(pkt, sizeof pkt, &pos, &r), 0);
        char want[16];
        snprintf(want, sizeof want, "10.0.1.%zu", i);
        assert_string_equal(r.data, want);
        assert_string_equal(r.name, "a");
    }
    assert_int_equal(pos, sizeof pkt);
    assert_int_equal(wt_dns_msg_next_answer(pkt, sizeof pkt, &pos, &r), -1);   /* at the end */
    pos = m.answers_at;
    assert_int_equal(wt_dns_msg_next_answer(pkt, sizeof head + RR_LEN - 1, &pos, &r), -1);
    assert_int_equal(pos, m.answers_at);
    assert_int_equal(wt_dns_msg_next_answer(NULL, 0, &pos, &r), -1);
}

static void test_dnsmsg_longest_name_fits(void **state)
{
    (void)state;
    /* 3 x 63 + 61 byte labels: 255 octets on the wire, 253 characters */
    const size_t labels[] = { 63, 63, 63, 61 };
    uint8_t pkt[12 + 255 + 4] = { HDR(1, 0, 1, 0, 0, 0) };
    size_t p = 12;
    for (size_t i = 0; i < N_ITEMS(labels); i++) {
        pkt[p++] = (uint8_t)labels[i];
        memset(pkt + p, 'a' + (int)i, labels[i]);
        p += labels[i];
    }
    pkt[p++] = 0;
    assert_int_equal(p, 12 + 255);
    pkt[p++] = 0;
    pkt[p++] = 1;
    pkt[p++] = 0;
    pkt[p++] = 1;

    struct wt_dns_msg m;
    assert_int_equal(decode_exact(pkt, p, &m), 0);
    assert_int_equal(strlen(m.qname), 253);
    assert_int_equal(m.qname[63], '.');
    assert_int_equal(m.qname[252], 'd');
}

static void test_dnsmsg_label_bytes_are_escaped(void **state)
{
    (void)state;
    static const uint8_t pkt[] = {
        HDR(9, 0x8180, 1, 1, 0, 0),
        /* 12 */ 5, 'a', 0x1b, '.', 'b', '\\', 4, 'T', '_', '-', 0xff, 0,
        U16(WT_DNS_TYPE_A), U16(IN_CLASS),
        PTR(12), U16(WT_DNS_TYPE_CNAME), U16(IN_CLASS), U32(1), U16(6),
        3, ' ', '"', 0x00, PTR(18),
    };
    struct wt_dns_msg m;
    int rc = decode_exact(PKT(pkt), &m);
    assert_int_equal(rc, 0);
    assert_sane(rc, &m);
    assert_string_equal(m.qname, "a\\027\\.b\\092.T_-\\255");
    assert_int_equal(m.n_answers, 1);
    assert_string_equal(m.answers[0].data, "\\032\\034\\000.T_-\\255");
}

static void test_dnsmsg_type_and_rcode_names(void **state)
{
    (void)state;
    static const struct {
        uint16_t type;
        const char *want;
    } types[] = {
        { 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" }, { 12, "PTR" }, { 15, "MX" },
        { 16, "TXT" }, { 28, "AAAA" }, { 41, "OPT" }, { 65, "TYPE65" }, { 0, "TYPE0" },
        { 65535, "TYPE65535" },
    };
    static const struct {
        int rcode;
        const char *want;
    } rcodes[] = {
        { 0, "NOERROR" }, { 1, "FORMERR" }, { 2, "SERVFAIL" }, { 3, "NXDOMAIN" },
        { 4, "NOTIMP" }, { 5, "REFUSED" }, { 12, "RCODE12" }, { 15, "RCODE15" },
    };
    char buf[16];
    for (size_t i = 0; i < N_ITEMS(types); i++)
        assert_string_equal(wt_dns_type_name(types[i].type, buf, sizeof buf), types[i].want);
    for (size_t i = 0; i < N_ITEMS(rcodes); i++)
        assert_string_equal(wt_dns_rcode_name(rcodes[i].rcode, buf, sizeof buf),
                            rcodes[i].want);
    /* no buffer for an unknown value: still a string, never a crash */
    assert_non_null(wt_dns_type_name(99, NULL, 0));
    assert_non_null(wt_dns_rcode_name(9, NULL, 0));
}

/* ---- hostile messages --------------------------------------------------- */

static void test_dnsmsg_rejects_bad_question_names(void **state)
{
    (void)state;
    static const uint8_t self_pointer[] = { HDR(1, 0, 1, 0, 0, 0), PTR(12), U16(1), U16(1) };
    static const uint8_t label_loop[] = { HDR(1, 0, 1, 0, 0, 0), 1, 'a', PTR(12), U16(1),
                                          U16(1) };
    static const uint8_t forward_pointer[] = { HDR(1, 0, 1, 0, 0, 0), PTR(18), U16(1), U16(1),
                                               WWW_EXAMPLE_TEST };
    static const uint8_t into_header[] = { HDR(1, 0, 1, 0, 0, 0), 1, 'a', PTR(2), U16(1),
                                           U16(1) };
    static const uint8_t label_past_end[] = { HDR(1, 0, 1, 0, 0, 0), 3, 'w', 'w', 'w', 7, 'e',
                                              'x', 'a' };
    static const uint8_t half_pointer[] = { HDR(1, 0, 1, 0, 0, 0), 1, 'a', 0xc0 };
    static const uint8_t extended_label[] = { HDR(1, 0, 1, 0, 0, 0), 0x41, 'a', 0, U16(1),
                                              U16(1) };
    static const uint8_t no_root[] = { HDR(1, 0, 1, 0, 0, 0), 1, 'a' };
    static const uint8_t no_qtype[] = { HDR(1, 0, 1, 0, 0, 0), 1, 'a', 0, U16(1), 0 };
    static const uint8_t second_question_cut[] = { HDR(1, 0, 2, 0, 0, 0), 1, 'a', 0, U16(1),
                                                   U16(1), 1, 'b' };
    static const uint8_t short_header[] = { HDR(1, 0, 0, 0, 0, 0) };
    static const struct {
        const char *what;
        const uint8_t *pkt;
        size_t len;
    } cases[] = {
        { "self pointer", PKT(self_pointer) },
        { "label loop", PKT(label_loop) },
        { "forward pointer", PKT(forward_pointer) },
        { "pointer into header", PKT(into_header) },
        { "label past end", PKT(label_past_end) },
        { "half pointer", PKT(half_pointer) },
        { "extended label", PKT(extended_label) },
        { "no root label", PKT(no_root) },
        { "no qtype", PKT(no_qtype) },
        { "second question cut", PKT(second_question_cut) },
        { "short header", short_header, sizeof short_header - 1 },
        { "empty", short_header, 0 },
    };
    for (size_t i = 0; i < N_ITEMS(cases); i++) {
        struct wt_dns_msg m;
        int rc = decode_exact(cases[i].pkt, cases[i].len, &m);
        if (rc != -1)
            fail_msg("%s: decoded, should be rejected", cases[i].what);
        assert_sane(rc, &m);
    }
    struct wt_dns_msg m;
    assert_int_equal(wt_dns_msg_decode(NULL, 0, &m), -1);
}

static void test_dnsmsg_rejects_overlong_names(void **state)
{
    (void)state;
    /* 128 one-byte labels: 257 octets on the wire */
    uint8_t wire_long[12 + 128 * 2 + 1 + 4] = { HDR(1, 0, 1, 0, 0, 0) };
    for (size_t i = 0; i < 128; i++) {
        wire_long[12 + 2 * i] = 1;
        wire_long[13 + 2 * i] = 'a';
    }
    wire_long[sizeof wire_long - 3] = 1;
    wire_long[sizeof wire_long - 1] = 1;

    /* 2 x 63 control bytes: legal on the wire, 505 characters escaped */
    uint8_t escaped_long[12 + 2 * 64 + 1 + 4] = { HDR(1, 0, 1, 0, 0, 0) };
    escaped_long[12] = 63;
    memset(escaped_long + 13, 0x01, 63);
    escaped_long[76] = 63;
    memset(escaped_long + 77, 0x01, 63);
    escaped_long[sizeof escaped_long - 3] = 1;
    escaped_long[sizeof escaped_long - 1] = 1;

    struct wt_dns_msg m;
    assert_int_equal(decode_exact(PKT(wire_long), &m), -1);
    assert_sane(-1, &m);
    assert_int_equal(decode_exact(PKT(escaped_long), &m), -1);
    assert_sane(-1, &m);
}

/* 0x40 and 0x80 length bytes are label types, not lengths: followed by that
 * many bytes and a root label they must still be refused. */
static void test_dnsmsg_rejects_extended_label_types(void **state)
{
    (void)state;
    static const uint8_t types[] = { 0x40, 0x41, 0x7f, 0x80, 0xbf };
    for (size_t i = 0; i < N_ITEMS(types); i++) {
        uint8_t pkt[12 + 1 + 0xbf + 1 + 4] = { HDR(1, 0, 1, 0, 0, 0) };
        size_t p = 12;
        pkt[p++] = types[i];
        memset(pkt + p, 'a', types[i]);
        p += types[i];
        pkt[p++] = 0;
        pkt[p++] = 0;
        pkt[p++] = 1;
        pkt[p++] = 0;
        pkt[p++] = 1;
        struct wt_dns_msg m;
        int rc = decode_exact(pkt, p, &m);
        if (rc != -1)
            fail_msg("label type 0x%02x accepted", types[i]);
    }
}

static void test_dnsmsg_bad_answers_stop_decoding(void **state)
{
    (void)state;
    /* each: one good A record, then a bad one, then a good one never reached */
#define GOOD_A PTR(12), U16(WT_DNS_TYPE_A), U16(IN_CLASS), U32(5), U16(4), 192, 0, 2, 1
#define QUESTION_A 1, 'a', 0, U16(WT_DNS_TYPE_A), U16(IN_CLASS)
    static const uint8_t a_wrong_size[] = {
        HDR(1, 0x8180, 1, 3, 0, 0), QUESTION_A, GOOD_A,
        PTR(12), U16(WT_DNS_TYPE_A), U16(IN_CLASS), U32(5), U16(5), 1, 2, 3, 4, 5, GOOD_A,
    };
    static const uint8_t aaaa_wrong_size[] = {
        HDR(1, 0x8180, 1, 3, 0, 0), QUESTION_A, GOOD_A,
        PTR(12), U16(WT_DNS_TYPE_AAAA), U16(IN_CLASS), U32(5), U16(4), 1, 2, 3, 4, GOOD_A,
    };
    static const uint8_t cname_spills[] = {
        HDR(1, 0x8180, 1, 3, 0, 0), QUESTION_A, GOOD_A,
        PTR(12), U16(WT_DNS_TYPE_CNAME), U16(IN_CLASS), U32(5), U16(2), 1, 'b', 0, GOOD_A,
    };
    static const uint8_t cname_short[] = {
        HDR(1, 0x8180, 1, 3, 0, 0), QUESTION_A, GOOD_A,
        PTR(12), U16(WT_DNS_TYPE_CNAME), U16(IN_CLASS), U32(5), U16(4), 1, 'b', 0, 0, GOOD_A,
    };
    static const uint8_t rdata_past_end[] = {
        HDR(1, 0x8180, 1, 3, 0, 0), QUESTION_A, GOOD_A,
        PTR(12), U16(WT_DNS_TYPE_TXT), U16(IN_CLASS), U32(5), U16(200), 3, 'a', 'b', 'c',
    };
    static const uint8_t owner_forward[] = {
        HDR(1, 0x8180, 1, 3, 0, 0), QUESTION_A, GOOD_A,
        PTR(60), U16(WT_DNS_TYPE_A), U16(IN_CLASS), U32(5), U16(4), 1, 2, 3, 4, GOOD_A,
    };
    static const uint8_t fewer_than_ancount[] = {
        HDR(1, 0x8180, 1, 3, 0, 0), QUESTION_A, GOOD_A,
    };
#undef GOOD_A
#undef QUESTION_A
    static const struct {
        const char *what;
        const uint8_t *pkt;
        size_t len;
    } cases[] = {
        { "A rdlength 5", PKT(a_wrong_size) },
        { "AAAA rdlength 4", PKT(aaaa_wrong_size) },
        { "CNAME name spills past rdata", PKT(cname_spills) },
        { "CNAME name shorter than rdata", PKT(cname_short) },
        { "rdata past end", PKT(rdata_past_end) },
        { "owner forward pointer", PKT(owner_forward) },
        { "ancount larger than records", PKT(fewer_than_ancount) },
    };
    for (size_t i = 0; i < N_ITEMS(cases); i++) {
        struct wt_dns_msg m;
        int rc = decode_exact(cases[i].pkt, cases[i].len, &m);
        if (rc != 0 || m.n_answers != 1)
            fail_msg("%s: rc %d, %zu answers", cases[i].what, rc, m.n_answers);
        assert_sane(rc, &m);
        assert_string_equal(m.answers[0].data, "192.0.2.1");
        assert_int_equal(m.answers[1].type, 0);
        assert_string_equal(m.answers[1].name, "");
    }
}

/* Owner names that are chains of pointers to pointers, parked in a TXT
 * record's rdata: a short chain is fine, a long one hits the hop limit. */
static void test_dnsmsg_pointer_chain_hop_limit(void **state)
{
    (void)state;
    static const size_t chains[] = { 3, 60, 70, 200 };
    for (size_t c = 0; c < N_ITEMS(chains); c++) {
        size_t n = chains[c];
        uint8_t pkt[512];
        static const uint8_t head[] = { HDR(1, 0x8180, 1, 2, 0, 0), 1, 'a', 0, U16(1), U16(1),
                                        PTR(12), U16(WT_DNS_TYPE_TXT), U16(IN_CLASS), U32(1) };
        size_t p = sizeof head;
        memcpy(pkt, head, p);
        pkt[p++] = (uint8_t)(2 * n >> 8);
        pkt[p++] = (uint8_t)(2 * n);
        size_t first = p;
        for (size_t i = 0; i < n; i++) {
            size_t target = i == 0 ? 12 : first + 2 * (i - 1);
            pkt[p++] = (uint8_t)(0xc0 | target >> 8);
            pkt[p++] = (uint8_t)target;
        }
        size_t last = first + 2 * (n - 1);
        const uint8_t tail[] = { PTR(last), U16(WT_DNS_TYPE_A), U16(IN_CLASS), U32(1), U16(4),
                                 127, 0, 0, 2 };
        memcpy(pkt + p, tail, sizeof tail);
        p += sizeof tail;

        struct wt_dns_msg m;
        int rc = decode_exact(pkt, p, &m);
        assert_int_equal(rc, 0);
        assert_sane(rc, &m);
        /* the chain's last pointer is hop 1 of the owner, the rest follow */
        size_t want = n + 1 <= 64 ? 2 : 1;
        if (m.n_answers != want)
            fail_msg("chain of %zu: %zu answers, want %zu", n, m.n_answers, want);
        if (want == 2)
            assert_string_equal(m.answers[1].name, "a");
    }
}

static void test_dnsmsg_truncated_at_every_length(void **state)
{
    (void)state;
    for (size_t len = 0; len <= sizeof reply_cname_a; len++) {
        struct wt_dns_msg m;
        int rc = decode_exact(reply_cname_a, len, &m);
        assert_sane(rc, &m);
        if (len < REPLY_QUESTION_END) {
            if (rc != -1)
                fail_msg("length %zu: header/question cut but decoded", len);
            continue;
        }
        assert_int_equal(rc, 0);
        size_t want = len >= REPLY_ANSWER2_END ? 2 : len >= REPLY_ANSWER1_END ? 1 : 0;
        if (m.n_answers != want)
            fail_msg("length %zu: %zu answers, want %zu", len, m.n_answers, want);
        assert_string_equal(m.qname, "www.example.test");
    }
}

static void test_dnsmsg_every_packet_survives_every_cut(void **state)
{
    (void)state;
    static const struct {
        const uint8_t *pkt;
        size_t len;
    } pkts[] = {
        { PKT(reply_cname_a) },      { PKT(reply_aaaa) },    { PKT(reply_nxdomain_soa) },
        { PKT(reply_refused) },      { PKT(reply_truncated_tc) }, { PKT(query_aaaa_edns) },
        { PKT(reply_ptr_ns_mx) },    { PKT(query_root_ns) },
    };
    for (size_t i = 0; i < N_ITEMS(pkts); i++) {
        size_t prev_answers = 0;
        for (size_t len = 0; len <= pkts[i].len; len++) {
            struct wt_dns_msg m;
            int rc = decode_exact(pkts[i].pkt, len, &m);
            assert_sane(rc, &m);
            /* more bytes never mean fewer answers */
            assert_true(m.n_answers >= prev_answers);
            prev_answers = m.n_answers;
        }
        assert_int_equal(decode_exact(pkts[i].pkt, pkts[i].len, &(struct wt_dns_msg){ 0 }), 0);
    }
}

/* Random bytes and random corruptions of real packets: decoding never
 * crashes, never reads past the end, and always yields printable names. */
static void test_dnsmsg_random_and_mutated_input_is_safe(void **state)
{
    (void)state;
    static const struct {
        const uint8_t *pkt;
        size_t len;
    } seeds[] = { { PKT(reply_cname_a) }, { PKT(reply_aaaa) }, { PKT(reply_nxdomain_soa) },
                  { PKT(reply_ptr_ns_mx) } };
    uint8_t buf[256];
    prng_state = 0xd45eedu;
    for (int round = 0; round < 50000; round++) {
        size_t len;
        uint64_t r = prng();
        if (r % 4 == 0) {
            len = (r >> 8) % sizeof buf;
            for (size_t i = 0; i < len; i++)
                buf[i] = (uint8_t)prng();
            if (len >= 12 && (r >> 20) % 2) { /* plausible counts reach the records */
                static const uint8_t counts[] = { U16(1), U16(3) };
                memcpy(buf + 4, counts, sizeof counts);
            }
        } else {
            size_t s = (r >> 8) % N_ITEMS(seeds);
            len = seeds[s].len;
            memcpy(buf, seeds[s].pkt, len);
            for (int flips = 1 + (int)((r >> 16) % 4); flips > 0; flips--) {
                uint64_t f = prng();
                size_t at = f % len;
                /* favour values that look like pointers and label lengths */
                static const uint8_t interesting[] = { 0x00, 0xc0, 0xff, 0x3f, 0x40, 0x80,
                                                       0x0c, 0x01 };
                buf[at] = (f >> 32) % 2 ? interesting[(f >> 40) % 8] : (uint8_t)(f >> 48);
            }
            if ((r >> 24) % 3 == 0)
                len = (r >> 32) % (len + 1);
        }
        struct wt_dns_msg m;
        int rc = decode_exact(buf, len, &m);
        assert_sane(rc, &m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dnsmsg_reply_cname_then_a),
        cmocka_unit_test(test_dnsmsg_reply_aaaa),
        cmocka_unit_test(test_dnsmsg_rcodes_and_flags),
        cmocka_unit_test(test_dnsmsg_query_with_edns),
        cmocka_unit_test(test_dnsmsg_ptr_ns_and_other_types),
        cmocka_unit_test(test_dnsmsg_root_name_is_dot),
        cmocka_unit_test(test_dnsmsg_opcode_is_decoded),
        cmocka_unit_test(test_dnsmsg_keeps_at_most_max_records),
        cmocka_unit_test(test_dnsmsg_next_answer_reads_past_the_kept_records),
        cmocka_unit_test(test_dnsmsg_longest_name_fits),
        cmocka_unit_test(test_dnsmsg_label_bytes_are_escaped),
        cmocka_unit_test(test_dnsmsg_type_and_rcode_names),
        cmocka_unit_test(test_dnsmsg_rejects_bad_question_names),
        cmocka_unit_test(test_dnsmsg_rejects_overlong_names),
        cmocka_unit_test(test_dnsmsg_rejects_extended_label_types),
        cmocka_unit_test(test_dnsmsg_bad_answers_stop_decoding),
        cmocka_unit_test(test_dnsmsg_pointer_chain_hop_limit),
        cmocka_unit_test(test_dnsmsg_truncated_at_every_length),
        cmocka_unit_test(test_dnsmsg_every_packet_survives_every_cut),
        cmocka_unit_test(test_dnsmsg_random_and_mutated_input_is_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
