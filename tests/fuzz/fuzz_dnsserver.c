/* libFuzzer: any bytes as a query to a zone; the reply must fit its buffer
 * and decode. The query id picks what answers it, so the input format stays
 * a plain DNS query: bits 0-1 the zone (0 and 1 the demo zone, 2 a zone of
 * awkward records: CNAME loops and long chains, data that does not parse,
 * too many records for one reply; 3 a zone whose origin is too long to
 * name its SOA servers), and a high byte of 0xc0 or more a small reply
 * buffer. A demo-zone query is also sent to the real server on loopback,
 * whose reply must be the same bytes. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "webtrace/dnsmsg.h"
#include "webtrace/dnsserver.h"
#include "webtrace/loop.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define UDP_QUERY_MAX 4096   /* what the server reads of a datagram */

static const struct wt_dns_zone_record awkward_records[] = {
    { "loop1.test", WT_DNS_TYPE_CNAME, 60, "loop2.test" },
    { "loop2.test", WT_DNS_TYPE_CNAME, 60, "loop1.test" },
    { "c0.test", WT_DNS_TYPE_CNAME, 1, "c1.test" },
    { "c1.test", WT_DNS_TYPE_CNAME, 1, "c2.test" },
    { "c2.test", WT_DNS_TYPE_CNAME, 1, "c3.test" },
    { "c3.test", WT_DNS_TYPE_CNAME, 1, "c4.test" },
    { "c4.test", WT_DNS_TYPE_CNAME, 1, "c5.test" },
    { "c5.test", WT_DNS_TYPE_CNAME, 1, "c6.test" },
    { "c6.test", WT_DNS_TYPE_CNAME, 1, "c7.test" },
    { "c7.test", WT_DNS_TYPE_CNAME, 1, "c8.test" },
    { "c8.test", WT_DNS_TYPE_CNAME, 1, "c9.test" },
    { "c9.test", WT_DNS_TYPE_A, 1, "10.0.0.9" },
    { "out.test", WT_DNS_TYPE_CNAME, 60, "www.example.com" },
    { "broken.test", WT_DNS_TYPE_CNAME, 60, "a..b.test" },
    { "nodata.test", WT_DNS_TYPE_CNAME, 60, NULL },
    { "bad.test", WT_DNS_TYPE_A, 60, "not-an-address" },
    { "bad.test", WT_DNS_TYPE_AAAA, 60, "zz::zz" },
    { "bad.test", WT_DNS_TYPE_MX, 60, "mail.test" },
    { "to-bad.test", WT_DNS_TYPE_CNAME, 60, "bad.test" },
    { NULL, WT_DNS_TYPE_A, 60, "10.0.0.1" },
    { "a..test", WT_DNS_TYPE_A, 60, "10.0.0.1" },
    { "test", WT_DNS_TYPE_A, 60, "10.0.0.2" },
    { "big.test", WT_DNS_TYPE_AAAA, 1, "2001:db8::1" }, { "big.test", WT_DNS_TYPE_AAAA, 1, "2001:db8::2" },
    { "big.test", WT_DNS_TYPE_AAAA, 1, "2001:db8::3" }, { "big.test", WT_DNS_TYPE_AAAA, 1, "2001:db8::4" },
    { "big.test", WT_DNS_TYPE_AAAA, 1, "2001:db8::5" }, { "big.test", WT_DNS_TYPE_AAAA, 1, "2001:db8::6" },
    { "big.test", WT_DNS_TYPE_AAAA, 1, "2001:db8::7" }, { "big.test", WT_DNS_TYPE_AAAA, 1, "2001:db8::8" },
    { "big.test", WT_DNS_TYPE_AAAA, 1, "2001:db8::9" }, { "big.test", WT_DNS_TYPE_AAAA, 1, "2001:db8::a" },
    { "big.test", WT_DNS_TYPE_AAAA, 1, "2001:db8::b" }, { "big.test", WT_DNS_TYPE_AAAA, 1, "2001:db8::c" },
    { "big.test", WT_DNS_TYPE_AAAA, 1, "2001:db8::d" }, { "big.test", WT_DNS_TYPE_AAAA, 1, "2001:db8::e" },
    { "big.test", WT_DNS_TYPE_AAAA, 1, "2001:db8::f" }, { "big.test", WT_DNS_TYPE_AAAA, 1, "2001:db8::10" },
    { "big.test", WT_DNS_TYPE_AAAA, 1, "2001:db8::11" }, { "big.test", WT_DNS_TYPE_AAAA, 1, "2001:db8::12" },
};

static const struct wt_dns_zone awkward_zone = {
    "test.", awkward_records, sizeof awkward_records / sizeof awkward_records[0],
};

/* 4 labels of 60 bytes: prefixing "hostmaster" makes it longer than a name
 * may be. */
#define L60 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
static const struct wt_dns_zone_record long_origin_records[] = {
    { "x." L60 "." L60 "." L60 "." L60, WT_DNS_TYPE_A, 60, "10.0.0.3" },
};
static const struct wt_dns_zone long_origin_zone = {
    L60 "." L60 "." L60 "." L60, long_origin_records, 1,
};

static const struct wt_dns_zone *const zones[] = {
    &wt_demo_zone, &wt_demo_zone, &awkward_zone, &long_origin_zone,
};

/* A clock that stands still: the loop compares times, and real ones would
 * reach libFuzzer's table of compared values and make runs differ. No
 * timers are set, so nothing waits on it. */
static int64_t still_clock(void *ctx)
{
    (void)ctx;
    return 0;
}

static struct wt_loop *loop;
static struct wt_dnsserver *server;
static int client = -1;

static void stop_server(void)
{
    wt_dnsserver_free(server);
    wt_loop_free(loop);
    if (client >= 0)
        close(client);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[256];
    struct wt_clock clock = { still_clock, NULL };
    loop = wt_loop_new(&clock, NULL);
    if (!loop)
        abort();
    /* the refusals a caller can meet, once */
    if (wt_dnsserver_start(NULL, &wt_demo_zone, "127.0.0.1", 0, err, sizeof err) ||
        wt_dnsserver_start(loop, &wt_demo_zone, "localhost", 0, err, sizeof err))
        abort();
    wt_dnsserver_free(NULL);
    if (wt_dnsserver_port(NULL) != 0 || wt_dnsserver_answered(NULL) != 0)
        abort();
    server = wt_dnsserver_start(loop, &wt_demo_zone, "127.0.0.1", 0, err, sizeof err);
    if (!server)
        abort();
    /* the same port again: bind fails */
    if (wt_dnsserver_start(loop, &wt_demo_zone, "127.0.0.1", wt_dnsserver_port(server), err,
                           sizeof err))
        abort();
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(wt_dnsserver_port(server)) };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    client = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (client < 0 || connect(client, (struct sockaddr *)&sin, sizeof sin) < 0)
        abort();
    atexit(stop_server);
    return 0;
}

/* The real server's reply to data: it must be want (want_len 0: none). */
static void check_server(const unsigned char *data, size_t size, const uint8_t *want,
                         size_t want_len)
{
    uint64_t answered = wt_dnsserver_answered(server);
    if (send(client, data, size, 0) != (ssize_t)size)
        return;
    /* loopback delivers at once; the wait is only a backstop */
    if (wt_loop_run_once(loop, 1000000) < 0)
        abort();
    uint8_t got[1024];
    ssize_t n = recv(client, got, sizeof got, 0);
    if (want_len == 0) {
        if (n >= 0 || wt_dnsserver_answered(server) != answered)
            abort();
        return;
    }
    if (n != (ssize_t)want_len || memcmp(got, want, want_len) != 0 ||
        wt_dnsserver_answered(server) != answered + 1)
        abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    uint8_t reply[512];
    unsigned zone = size >= 2 ? data[1] & 3 : 0;
    size_t cap = sizeof reply;
    if (size >= 1 && data[0] >= 0xc0)
        cap = 12 + (data[0] & 0x3f);
    size_t n = wt_dns_zone_answer(zones[zone], data, size, reply, cap);
    if (n > cap)
        abort();
    struct wt_dns_msg m;
    if (n && wt_dns_msg_decode(reply, n, &m) != 0)
        abort();
    if (zones[zone] == &wt_demo_zone && cap == sizeof reply && size > 0 && size <= UDP_QUERY_MAX)
        check_server(data, size, reply, n);
    return 0;
}
