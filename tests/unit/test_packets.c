/* packets: frames decoded from hand-built bytes (Linux cooked capture,
 * Ethernet, IPv4, IPv6, TCP options), and the lesson's story of a
 * connection told from segments: j, k, u, w and each side's states. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "webtrace/capture.h"
#include "webtrace/packets.h"

#define N_CASES(t) (sizeof(t) / sizeof((t)[0]))
#define FRAME_MAX 256

static const uint8_t syn_options[] = {
    2, 4, 0xff, 0xd7,                        /* MSS 65495 */
    4, 2,                                    /* SACK permitted */
    8, 10, 0, 0, 0, 100, 0, 0, 0, 0,         /* TS val 100 ecr 0 */
    1,                                       /* NOP */
    3, 3, 7,                                 /* wscale 7 */
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* A Linux cooked (SLL) frame: IPv4 or IPv6 by the address text. */
static size_t frame(uint8_t *buf, const char *src, uint16_t sport, const char *dst,
                    uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                    const uint8_t *opts, size_t optlen, uint16_t payload)
{
    memset(buf, 0, FRAME_MAX);
    int v6 = strchr(src, ':') != NULL;
    put16(buf + 14, v6 ? 0x86dd : 0x0800);
    uint8_t *ip = buf + 16;
    size_t tcp_len = 20 + optlen;
    size_t iphl = v6 ? 40 : 20;
    if (v6) {
        ip[0] = 0x60;
        put16(ip + 4, (uint16_t)(tcp_len + payload));
        ip[6] = 6;
        ip[7] = 64;
        inet_pton(AF_INET6, src, ip + 8);
        inet_pton(AF_INET6, dst, ip + 24);
    } else {
        ip[0] = 0x45;
        put16(ip + 2, (uint16_t)(20 + tcp_len + payload));
        ip[8] = 64;
        ip[9] = 6;
        inet_pton(AF_INET, src, ip + 12);
        inet_pton(AF_INET, dst, ip + 16);
    }
    uint8_t *tcp = ip + iphl;
    put16(tcp, sport);
    put16(tcp + 2, dport);
    put32(tcp + 4, seq);
    put32(tcp + 8, ack);
    tcp[12] = (uint8_t)((tcp_len / 4) << 4);
    tcp[13] = flags;
    put16(tcp + 14, 512);
    if (optlen)
        memcpy(tcp + 20, opts, optlen);
    /* The payload is not captured: headers only, as a short snap length. */
    return 16 + iphl + tcp_len;
}

static void test_packets_decode_syn_with_options(void **state)
{
    (void)state;
    uint8_t buf[FRAME_MAX];
    size_t len = frame(buf, "127.0.0.1", 41822, "127.0.0.2", 8080, 3000000000u, 0, WT_TCP_SYN,
                       syn_options, sizeof syn_options, 0);
    struct wt_tcp_segment seg;
    assert_int_equal(wt_packet_decode(WT_LINKTYPE_LINUX_SLL, buf, len, &seg), 0);
    assert_string_equal(seg.src.addr, "127.0.0.1");
    assert_string_equal(seg.dst.addr, "127.0.0.2");
    assert_int_equal(seg.src.port, 41822);
    assert_int_equal(seg.dst.port, 8080);
    assert_int_equal(seg.src.family, AF_INET);
    assert_int_equal(seg.seq, 3000000000u);
    assert_int_equal(seg.flags, WT_TCP_SYN);
    assert_int_equal(seg.window, 512);
    assert_int_equal(seg.payload_len, 0);
    assert_int_equal(seg.mss, 65495);
    assert_int_equal(seg.wscale, 7);
    assert_int_equal(seg.sack_ok, 1);
    assert_int_equal(seg.has_ts, 1);
    assert_int_equal(seg.ts_val, 100);
    assert_int_equal(seg.ttl, 64);
}

static void test_packets_decode_ipv6_payload_from_ip_length(void **state)
{
    (void)state;
    uint8_t buf[FRAME_MAX];
    size_t len = frame(buf, "::1", 443, "::1", 50000, 7, 9, WT_TCP_ACK | WT_TCP_PSH, NULL, 0,
                       1400);
    struct wt_tcp_segment seg;
    assert_int_equal(wt_packet_decode(WT_LINKTYPE_LINUX_SLL, buf, len, &seg), 0);
    assert_int_equal(seg.src.family, AF_INET6);
    assert_string_equal(seg.src.addr, "::1");
    assert_int_equal(seg.payload_len, 1400);   /* not captured, still counted */
    assert_int_equal(seg.mss, -1);
    assert_int_equal(seg.wscale, -1);
    assert_int_equal(seg.ack, 9);
}

static void test_packets_decode_rejects_every_truncation(void **state)
{
    (void)state;
    uint8_t buf[FRAME_MAX];
    size_t len = frame(buf, "10.0.0.1", 1, "10.0.0.2", 2, 1, 2, WT_TCP_SYN, syn_options,
                       sizeof syn_options, 0);
    struct wt_tcp_segment seg;
    for (size_t cut = 0; cut < len; cut++)
        assert_int_equal(wt_packet_decode(WT_LINKTYPE_LINUX_SLL, buf, cut, &seg), -1);
    assert_int_equal(wt_packet_decode(WT_LINKTYPE_LINUX_SLL, buf, len, &seg), 0);
    /* Not IP, not TCP, an unknown link type: ignored. */
    buf[15] = 0x06;  /* ARP */
    assert_int_equal(wt_packet_decode(WT_LINKTYPE_LINUX_SLL, buf, len, &seg), -1);
    buf[15] = 0x00;
    buf[16 + 9] = 17;  /* UDP */
    assert_int_equal(wt_packet_decode(WT_LINKTYPE_LINUX_SLL, buf, len, &seg), -1);
    assert_int_equal(wt_packet_decode(12345, buf, len, &seg), -1);
}

static void test_packets_decode_malformed_option_keeps_header(void **state)
{
    (void)state;
    static const uint8_t bad[] = { 2, 4, 0x05, 0xb4, 3, 9, 7, 0 };  /* wscale length 9 */
    uint8_t buf[FRAME_MAX];
    size_t len = frame(buf, "10.0.0.1", 1, "10.0.0.2", 2, 1, 2, WT_TCP_SYN, bad, sizeof bad, 0);
    struct wt_tcp_segment seg;
    assert_int_equal(wt_packet_decode(WT_LINKTYPE_LINUX_SLL, buf, len, &seg), 0);
    assert_int_equal(seg.mss, 1460);
    assert_int_equal(seg.wscale, -1);
}

/* ---- the story -------------------------------------------------------- */

#define C "127.0.0.1", 40000, "127.0.0.1", 80
#define S "127.0.0.1", 80, "127.0.0.1", 40000
#define J 4294967290u   /* wraps during the exchange */
#define K 1000u

struct step {
    int client;                 /* sent by the client */
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t len;
    int narrated;
    const char *seq_is, *ack_is;
    enum wt_tcp_state client_state, server_state;
};

static void play(const struct step *steps, size_t n, struct wt_packet_story *s)
{
    struct wt_endpoint client = { "127.0.0.1", 40000, AF_INET };
    struct wt_endpoint server = { "127.0.0.1", 80, AF_INET };
    wt_packet_story_init(s, &client, &server);
    for (size_t i = 0; i < n; i++) {
        uint8_t buf[FRAME_MAX];
        size_t len = steps[i].client
            ? frame(buf, C, steps[i].seq, steps[i].ack, steps[i].flags, NULL, 0, steps[i].len)
            : frame(buf, S, steps[i].seq, steps[i].ack, steps[i].flags, NULL, 0, steps[i].len);
        struct wt_tcp_segment seg;
        assert_int_equal(wt_packet_decode(WT_LINKTYPE_LINUX_SLL, buf, len, &seg), 0);
        assert_true(wt_packet_matches(&seg, &client, &server));
        struct wt_event ev;
        int summary_due;
        int narrated = wt_packet_story_add(s, &seg, &ev, &summary_due);
        if (narrated != steps[i].narrated)
            fail_msg("step %zu: narrated %d, want %d", i, narrated, steps[i].narrated);
        if (!narrated)
            continue;
        const char *si = ev.u.tcp_packet.seq_is, *ai = ev.u.tcp_packet.ack_is;
        if ((si == NULL) != (steps[i].seq_is == NULL) ||
            (si && strcmp(si, steps[i].seq_is) != 0))
            fail_msg("step %zu: seq_is %s, want %s", i, si ? si : "-",
                     steps[i].seq_is ? steps[i].seq_is : "-");
        if ((ai == NULL) != (steps[i].ack_is == NULL) ||
            (ai && strcmp(ai, steps[i].ack_is) != 0))
            fail_msg("step %zu: ack_is %s, want %s", i, ai ? ai : "-",
                     steps[i].ack_is ? steps[i].ack_is : "-");
        if (ev.u.tcp_packet.client_state != steps[i].client_state ||
            ev.u.tcp_packet.server_state != steps[i].server_state)
            fail_msg("step %zu: states %s/%s, want %s/%s", i,
                     wt_tcp_state_name(ev.u.tcp_packet.client_state),
                     wt_tcp_state_name(ev.u.tcp_packet.server_state),
                     wt_tcp_state_name(steps[i].client_state),
                     wt_tcp_state_name(steps[i].server_state));
    }
}

#define SYN WT_TCP_SYN
#define ACK WT_TCP_ACK
#define FIN WT_TCP_FIN
#define PSH WT_TCP_PSH

static void test_packets_story_client_closes_first(void **state)
{
    (void)state;
    const struct step steps[] = {
        { 1, J, 0, SYN, 0, 1, "j", NULL, WT_TCP_SYN_SENT, WT_TCP_SYN_RECV },
        { 0, K, J + 1, SYN | ACK, 0, 1, "k", "j+1", WT_TCP_ESTABLISHED, WT_TCP_SYN_RECV },
        { 1, J + 1, K + 1, ACK, 0, 1, NULL, "k+1", WT_TCP_ESTABLISHED, WT_TCP_ESTABLISHED },
        { 1, J + 1, K + 1, PSH | ACK, 79, 0, NULL, NULL, 0, 0 },
        { 0, K + 1, J + 80, ACK, 0, 0, NULL, NULL, 0, 0 },
        { 0, K + 1, J + 80, PSH | ACK, 775, 0, NULL, NULL, 0, 0 },
        { 1, J + 80, K + 776, ACK, 0, 0, NULL, NULL, 0, 0 },
        { 1, J + 80, K + 776, FIN | ACK, 0, 1, "u", NULL, WT_TCP_FIN_WAIT1, WT_TCP_CLOSE_WAIT },
        { 0, K + 776, J + 81, ACK, 0, 1, NULL, "u+1", WT_TCP_FIN_WAIT2, WT_TCP_CLOSE_WAIT },
        { 0, K + 776, J + 81, FIN | ACK, 0, 1, "w", "u+1", WT_TCP_TIME_WAIT, WT_TCP_LAST_ACK },
        { 1, J + 81, K + 777, ACK, 0, 1, NULL, "w+1", WT_TCP_TIME_WAIT, WT_TCP_CLOSE },
    };
    struct wt_packet_story s;
    play(steps, N_CASES(steps), &s);
    assert_true(s.complete);
    assert_int_equal(s.first_fin, 1);
    struct wt_event ev;
    wt_packet_story_summary(&s, &ev);
    assert_int_equal(ev.kind, WT_EV_TCP_DATA);
    assert_int_equal(ev.u.tcp_data.segments[0], 1);
    assert_int_equal(ev.u.tcp_data.bytes[0], 79);
    assert_int_equal(ev.u.tcp_data.segments[1], 1);
    assert_int_equal(ev.u.tcp_data.bytes[1], 775);
    assert_int_equal(ev.u.tcp_data.retransmissions[0] + ev.u.tcp_data.retransmissions[1], 0);
    assert_int_equal(ev.u.tcp_data.pure_acks[0], 1);
    assert_int_equal(ev.u.tcp_data.pure_acks[1], 1);
}

static void test_packets_story_server_closes_first_fin_carries_ack(void **state)
{
    (void)state;
    /* The client's FIN also acknowledges the server's: no separate ACK. */
    const struct step steps[] = {
        { 1, J, 0, SYN, 0, 1, "j", NULL, WT_TCP_SYN_SENT, WT_TCP_SYN_RECV },
        { 0, K, J + 1, SYN | ACK, 0, 1, "k", "j+1", WT_TCP_ESTABLISHED, WT_TCP_SYN_RECV },
        { 1, J + 1, K + 1, ACK, 0, 1, NULL, "k+1", WT_TCP_ESTABLISHED, WT_TCP_ESTABLISHED },
        { 0, K + 1, J + 1, FIN | PSH | ACK, 10, 1, "u", NULL, WT_TCP_CLOSE_WAIT,
          WT_TCP_FIN_WAIT1 },
        { 1, J + 1, K + 12, FIN | ACK, 0, 1, "w", "u+1", WT_TCP_LAST_ACK, WT_TCP_TIME_WAIT },
        { 0, K + 12, J + 2, ACK, 0, 1, NULL, "w+1", WT_TCP_CLOSE, WT_TCP_TIME_WAIT },
    };
    struct wt_packet_story s;
    play(steps, N_CASES(steps), &s);
    assert_true(s.complete);
    assert_int_equal(s.first_fin, 2);
    assert_int_equal(s.fin_seq[1], K + 11);   /* after the 10 bytes it carried */
    assert_int_equal(s.data.bytes[1], 10);
}

static void test_packets_story_counts_retransmissions(void **state)
{
    (void)state;
    const struct step steps[] = {
        { 1, J, 0, SYN, 0, 1, "j", NULL, WT_TCP_SYN_SENT, WT_TCP_SYN_RECV },
        { 1, J, 0, SYN, 0, 0, NULL, NULL, 0, 0 },   /* the SYN again */
        { 0, K, J + 1, SYN | ACK, 0, 1, "k", "j+1", WT_TCP_ESTABLISHED, WT_TCP_SYN_RECV },
        { 1, J + 1, K + 1, ACK, 0, 1, NULL, "k+1", WT_TCP_ESTABLISHED, WT_TCP_ESTABLISHED },
        { 0, K + 1, J + 1, ACK, 100, 0, NULL, NULL, 0, 0 },
        { 0, K + 1, J + 1, ACK, 100, 0, NULL, NULL, 0, 0 },   /* again */
        { 0, K + 51, J + 1, ACK, 50, 0, NULL, NULL, 0, 0 },   /* a part of it again */
    };
    struct wt_packet_story s;
    play(steps, N_CASES(steps), &s);
    assert_int_equal(s.data.retransmissions[0], 1);
    assert_int_equal(s.data.retransmissions[1], 2);
    assert_int_equal(s.data.segments[1], 3);
    assert_false(s.complete);
}

static void test_packets_story_simultaneous_close(void **state)
{
    (void)state;
    const struct step steps[] = {
        { 1, J, 0, SYN, 0, 1, "j", NULL, WT_TCP_SYN_SENT, WT_TCP_SYN_RECV },
        { 0, K, J + 1, SYN | ACK, 0, 1, "k", "j+1", WT_TCP_ESTABLISHED, WT_TCP_SYN_RECV },
        { 1, J + 1, K + 1, ACK, 0, 1, NULL, "k+1", WT_TCP_ESTABLISHED, WT_TCP_ESTABLISHED },
        { 1, J + 1, K + 1, FIN | ACK, 0, 1, "u", NULL, WT_TCP_FIN_WAIT1, WT_TCP_CLOSE_WAIT },
        /* The server's FIN left before the client's arrived: it does not
         * acknowledge the client's FIN. */
        { 0, K + 1, J + 1, FIN | ACK, 0, 1, "w", NULL, WT_TCP_CLOSING, WT_TCP_CLOSING },
        { 1, J + 2, K + 2, ACK, 0, 1, NULL, "w+1", WT_TCP_CLOSING, WT_TCP_TIME_WAIT },
        { 0, K + 2, J + 2, ACK, 0, 1, NULL, "u+1", WT_TCP_TIME_WAIT, WT_TCP_TIME_WAIT },
    };
    struct wt_packet_story s;
    play(steps, N_CASES(steps), &s);
    assert_true(s.complete);
}

static void test_packets_story_reset(void **state)
{
    (void)state;
    const struct step steps[] = {
        { 1, J, 0, SYN, 0, 1, "j", NULL, WT_TCP_SYN_SENT, WT_TCP_SYN_RECV },
        { 0, 0, J + 1, WT_TCP_RST | ACK, 0, 1, NULL, NULL, WT_TCP_CLOSE, WT_TCP_CLOSE },
    };
    struct wt_packet_story s;
    play(steps, N_CASES(steps), &s);
    assert_true(s.complete);
    assert_true(s.reset);
}

static void test_packets_capture_filter_names_port_and_hosts(void **state)
{
    (void)state;
    struct wt_endpoint addrs[2] = { { "127.0.0.1", 0, AF_INET }, { "::1", 0, AF_INET6 } };
    char buf[256];
    assert_int_equal(wt_capture_filter(addrs, 2, 8080, buf, sizeof buf), 0);
    assert_string_equal(buf, "tcp and port 8080 and (host 127.0.0.1 or host ::1)");
    assert_int_equal(wt_capture_filter(addrs, 1, 80, buf, sizeof buf), 0);
    assert_string_equal(buf, "tcp and port 80 and (host 127.0.0.1)");
    for (size_t len = 0; len < strlen("tcp and port 80 and (host 127.0.0.1)") + 1; len++)
        assert_int_equal(wt_capture_filter(addrs, 1, 80, buf, len), -1);
}

/* More addresses than a filter names (a large DNS answer, every address
 * raced): the port alone selects, so no attempt escapes the capture. */
static void test_packets_capture_filter_many_hosts_port_only(void **state)
{
    (void)state;
    struct wt_endpoint addrs[WT_CAPTURE_MAX_HOSTS + 1];
    for (size_t i = 0; i < WT_CAPTURE_MAX_HOSTS + 1; i++)
        addrs[i] = (struct wt_endpoint){ "127.0.0.1", 0, AF_INET };
    char buf[64];
    assert_int_equal(wt_capture_filter(addrs, WT_CAPTURE_MAX_HOSTS + 1, 80, buf, sizeof buf), 0);
    assert_string_equal(buf, "tcp and port 80");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packets_decode_syn_with_options),
        cmocka_unit_test(test_packets_decode_ipv6_payload_from_ip_length),
        cmocka_unit_test(test_packets_decode_rejects_every_truncation),
        cmocka_unit_test(test_packets_decode_malformed_option_keeps_header),
        cmocka_unit_test(test_packets_story_client_closes_first),
        cmocka_unit_test(test_packets_story_server_closes_first_fin_carries_ack),
        cmocka_unit_test(test_packets_story_counts_retransmissions),
        cmocka_unit_test(test_packets_story_simultaneous_close),
        cmocka_unit_test(test_packets_story_reset),
        cmocka_unit_test(test_packets_capture_filter_names_port_and_hosts),
        cmocka_unit_test(test_packets_capture_filter_many_hosts_port_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
