/* The narration: one line per step on stderr, tagged with its layer. */
#include "webtrace/render.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "webtrace/dnsmsg.h"
#include "webtrace/escape.h"
#include "webtrace/netaddr.h"
#include "webtrace/url.h"

#define SHOWN_VALUE_MAX 2048   /* header bytes shown per value before "…" */
#define FRAMING_LINE_MAX 1024

struct text_state {
    struct wt_render_config cfg;
    char framing[FRAMING_LINE_MAX];   /* framing headers of the current response */
    size_t framing_len;
};

enum color { C_NONE, C_URL, C_DNS, C_TCP, C_TLS, C_HTTP, C_ERROR, C_DIM, C_WARN };

static const char *const ansi[] = {
    [C_NONE] = "", [C_URL] = "\033[35m", [C_DNS] = "\033[36m", [C_TCP] = "\033[33m",
    [C_TLS] = "\033[34m", [C_HTTP] = "\033[32m", [C_ERROR] = "\033[1;31m",
    [C_DIM] = "\033[2m", [C_WARN] = "\033[1;33m",
};

void wt_format_duration(int64_t us, char *buf, size_t buflen)
{
    if (us < 0)
        snprintf(buf, buflen, "–");
    else if (us < 10000)
        snprintf(buf, buflen, "%.2f ms", (double)us / 1000.0);
    else if (us < 1000000)
        snprintf(buf, buflen, "%.1f ms", (double)us / 1000.0);
    else
        snprintf(buf, buflen, "%.2f s", (double)us / 1e6);
}

static void tag(struct text_state *s, enum color c, const char *name)
{
    if (s->cfg.color)
        fprintf(s->cfg.out, "%s[%s]\033[0m ", ansi[c], name);
    else
        fprintf(s->cfg.out, "[%s] ", name);
}

/* Network bytes to terminal-safe text, cut at SHOWN_VALUE_MAX input bytes. */
static void put_escaped(FILE *out, const char *p, size_t len)
{
    char buf[WT_ESCAPE_TERM_MAX(SHOWN_VALUE_MAX)];
    size_t shown = len > SHOWN_VALUE_MAX ? SHOWN_VALUE_MAX : len;
    wt_escape_term(p, shown, buf, sizeof buf);
    fputs(buf, out);
    if (shown < len)
        fprintf(out, "… (%zu bytes)", len);
}

static const char *host_kind_words(int kind)
{
    return kind == WT_HOST_IPV4 ? "IPv4 literal" : kind == WT_HOST_IPV6 ? "IPv6 literal" : "name";
}

static const char *framing_words(enum wt_body_framing f)
{
    switch (f) {
    case WT_FRAMING_NONE: return "no body";
    case WT_FRAMING_CONTENT_LENGTH: return "Content-Length";
    case WT_FRAMING_CHUNKED: return "chunked";
    case WT_FRAMING_UNTIL_CLOSE: return "until close";
    }
    return "?";
}

static void *text_begin(const struct wt_render_config *config)
{
    struct text_state *s = calloc(1, sizeof *s);
    if (s)
        s->cfg = *config;
    return s;
}

static int text_end(void *state)
{
    struct text_state *s = state;
    if (s)
        fflush(s->cfg.out);
    free(s);
    return 0;
}

static void render_dns(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char a[80], b[80], d[32];
    char tbuf[16];
    switch (ev->kind) {
    case WT_EV_DNS_START: {
        const char *asks = ev->u.dns_start.family == AF_INET ? "A"
                         : ev->u.dns_start.family == AF_INET6 ? "AAAA" : "A and AAAA";
        tag(s, C_DNS, "dns ");
        fprintf(o, "looking up %s: hosts file first, then resolver ", ev->u.dns_start.name);
        for (size_t i = 0; i < ev->u.dns_start.n_servers; i++) {
            wt_endpoint_format(&ev->u.dns_start.servers[i], a, sizeof a);
            fprintf(o, "%s%s", i ? ", " : "", a);
        }
        if (!ev->u.dns_start.n_servers)
            fputs("(none configured)", o);
        fprintf(o, " (%s) · UDP · asking %s\n",
                ev->u.dns_start.servers_from_cli ? "--dns-server" : "/etc/resolv.conf", asks);
        break;
    }
    case WT_EV_DNS_LITERAL:
        tag(s, C_DNS, "dns ");
        fprintf(o, "%s is an IPv%d literal: no DNS lookup\n", ev->u.dns_literal.literal,
                ev->u.dns_literal.family == AF_INET6 ? 6 : 4);
        break;
    case WT_EV_DNS_QUERY:
        wt_endpoint_format(&ev->u.dns_query.server, a, sizeof a);
        wt_endpoint_format(&ev->u.dns_query.local, b, sizeof b);
        tag(s, C_DNS, "dns ");
        fprintf(o, "→ query %s %s · id 0x%04x · %zu bytes · %s to %s from %s\n",
                wt_dns_type_name(ev->u.dns_query.qtype, tbuf, sizeof tbuf),
                ev->u.dns_query.qname, ev->u.dns_query.id, ev->u.dns_query.bytes,
                ev->u.dns_query.tcp ? "TCP" : "UDP", a, b);
        break;
    case WT_EV_DNS_REPLY: {
        char rc[16];
        wt_format_duration(ev->u.dns_reply.rtt_us, d, sizeof d);
        tag(s, C_DNS, "dns ");
        fprintf(o, "← reply id 0x%04x · %s · %u answer%s · %zu bytes · %s",
                ev->u.dns_reply.id, wt_dns_rcode_name(ev->u.dns_reply.rcode, rc, sizeof rc),
                ev->u.dns_reply.ancount, ev->u.dns_reply.ancount == 1 ? "" : "s",
                ev->u.dns_reply.bytes, d);
        if (ev->u.dns_reply.authoritative)
            fputs(" · authoritative", o);
        if (ev->u.dns_reply.truncated)
            fputs(" · truncated (TC)", o);
        fputc('\n', o);
        break;
    }
    case WT_EV_DNS_RECORD:
        /* Names come from dnsmsg in escaped presentation form: printable. */
        tag(s, C_DNS, "dns ");
        fprintf(o, "  %s %s %s · ttl %" PRIu32 "\n", ev->u.dns_record.name,
                wt_dns_type_name(ev->u.dns_record.type, tbuf, sizeof tbuf),
                ev->u.dns_record.data, ev->u.dns_record.ttl);
        break;
    case WT_EV_DNS_TCP_RETRY:
        wt_endpoint_format(&ev->u.dns_tcp_retry.server, a, sizeof a);
        tag(s, C_DNS, "dns ");
        fprintf(o, "the reply was truncated: asking again over TCP (%s)\n", a);
        break;
    case WT_EV_DNS_DONE:
        wt_format_duration(ev->u.dns_done.elapsed_us, d, sizeof d);
        tag(s, C_DNS, "dns ");
        if (ev->u.dns_done.source == WT_DNS_FROM_HOSTS)
            fprintf(o, "%s found in the hosts file: no DNS traffic → ", ev->u.dns_done.name);
        else
            fprintf(o, "resolved %s → %zu address%s in %s: ", ev->u.dns_done.name,
                    ev->u.dns_done.n_addresses, ev->u.dns_done.n_addresses == 1 ? "" : "es", d);
        for (size_t i = 0; i < ev->u.dns_done.n_addresses; i++)
            fprintf(o, "%s%s", i ? ", " : "", ev->u.dns_done.addresses[i].addr);
        fputc('\n', o);
        break;
    default:
        break;
    }
}

/* Certificate text is raw UTF-8 from the peer: escape before printing. */
static void put_cert_text(FILE *o, const char *text)
{
    put_escaped(o, text, strlen(text));
}

/* What preparing the ClientHello took, and how much of it the network's
 * waits hid. */
static void render_tls_setup(struct text_state *s, const struct wt_tls_setup_figures *f)
{
    FILE *o = s->cfg.out;
    tag(s, C_TLS, "tls ");
    if (f->reused) {
        fputs("set-up: this run's TLS context again (module, OpenSSL and trust store "
              "already loaded)\n", o);
        return;
    }
    char total[32], dns[32], tcp[32], now[32];
    wt_format_duration(f->total_us, total, sizeof total);
    wt_format_duration(f->during_dns_us, dns, sizeof dns);
    wt_format_duration(f->during_connect_us, tcp, sizeof tcp);
    wt_format_duration(f->inline_us, now, sizeof now);
    fprintf(o, "set-up %s (TLS module, OpenSSL, context, trust store)", total);
    if (f->during_dns_us > 0 && f->during_connect_us > 0)
        fprintf(o, " · %s done while waiting for DNS, %s while waiting for TCP · %s held up the "
                   "handshake\n", dns, tcp, now);
    else if (f->during_dns_us > 0)
        fprintf(o, " · %s done while waiting for DNS · %s held up the handshake\n", dns, now);
    else if (f->during_connect_us > 0)
        fprintf(o, " · %s done while waiting for TCP · %s held up the handshake\n", tcp, now);
    else
        fputs(" · done before the ClientHello: no wait to hide it in\n", o);
}

static void render_tls(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char d[32];
    switch (ev->kind) {
    case WT_EV_TLS_HELLO:
        render_tls_setup(s, &ev->u.tls_hello.setup);
        tag(s, C_TLS, "tls ");
        fputs("→ ClientHello · ", o);
        if (ev->u.tls_hello.sni)
            fprintf(o, "SNI %s", ev->u.tls_hello.sni);
        else
            fputs("no SNI (IP address)", o);
        fprintf(o, " · ALPN %s · %s\n", ev->u.tls_hello.alpn, ev->u.tls_hello.versions);
        break;
    case WT_EV_TLS_DONE:
        wt_format_duration(ev->u.tls_done.elapsed_us, d, sizeof d);
        tag(s, C_TLS, "tls ");
        fprintf(o, "← handshake done in %s · %s · %s", d, ev->u.tls_done.version,
                ev->u.tls_done.cipher);
        if (ev->u.tls_done.group)
            fprintf(o, " · group %s", ev->u.tls_done.group);
        fprintf(o, " · ALPN %s%s\n", ev->u.tls_done.alpn ? ev->u.tls_done.alpn : "none",
                ev->u.tls_done.resumed ? " · resumed session" : "");
        break;
    case WT_EV_TLS_CERT:
        tag(s, C_TLS, "tls ");
        fprintf(o, "  cert %zu: subject ", ev->u.tls_cert.index);
        put_cert_text(o, ev->u.tls_cert.subject);
        fputs(" · issuer ", o);
        put_cert_text(o, ev->u.tls_cert.issuer);
        fprintf(o, " · valid %s → %s · ", ev->u.tls_cert.not_before, ev->u.tls_cert.not_after);
        if (ev->u.tls_cert.days_left >= 0)
            fprintf(o, "%ld days left\n", ev->u.tls_cert.days_left);
        else
            fprintf(o, "expired %ld days ago\n", -ev->u.tls_cert.days_left);
        if (ev->u.tls_cert.sans) {
            tag(s, C_TLS, "tls ");
            fprintf(o, "  cert %zu SANs: ", ev->u.tls_cert.index);
            put_cert_text(o, ev->u.tls_cert.sans[0] ? ev->u.tls_cert.sans : "(none)");
            if (ev->u.tls_cert.matched) {
                fputs(" · matched ", o);
                put_cert_text(o, ev->u.tls_cert.matched);
            }
            fputc('\n', o);
        }
        break;
    case WT_EV_TLS_VERIFY:
        if (ev->u.tls_verify.skipped) {
            if (s->cfg.color)
                fputs(ansi[C_WARN], o);
            tag(s, C_TLS, "tls ");
            if (ev->u.tls_verify.ok)
                fputs("verification SKIPPED (-k): it would have passed", o);
            else
                fprintf(o, "verification SKIPPED (-k): it would have failed: %s",
                        ev->u.tls_verify.reason);
            fputs(s->cfg.color ? "\033[0m\n" : "\n", o);
        } else if (ev->u.tls_verify.ok) {
            tag(s, C_TLS, "tls ");
            fputs("verification ok: the chain leads to a trusted CA and the name matches\n", o);
        } else {
            tag(s, C_TLS, "tls ");
            fprintf(o, "verification failed: %s\n", ev->u.tls_verify.reason);
        }
        break;
    case WT_EV_TLS_CLOSE:
        tag(s, C_TLS, "tls ");
        fprintf(o, "close: close_notify %s · the server's close_notify %s\n",
                ev->u.tls_close.sent ? "sent" : "not sent",
                ev->u.tls_close.peer_sent ? "received" : "not received");
        break;
    default:
        break;
    }
}

static void render_serve(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char a[80], b[80], d[32];
    switch (ev->kind) {
    case WT_EV_SERVE_LISTEN:
        wt_endpoint_format(&ev->u.serve_listen.local, a, sizeof a);
        tag(s, C_TCP, "srv ");
        fprintf(o, "socket → bind %s → listen (backlog %d) · %s · %s\n", a,
                ev->u.serve_listen.backlog, ev->u.serve_listen.tls ? "https" : "http",
                ev->u.serve_listen.scope);
        break;
    case WT_EV_SERVE_ACCEPT:
        wt_endpoint_format(&ev->u.serve_accept.client, a, sizeof a);
        wt_endpoint_format(&ev->u.serve_accept.local, b, sizeof b);
        tag(s, C_TCP, "srv ");
        fprintf(o, "#%" PRIu64 " accept: client %s (its ephemeral port) → %s · %zu open\n",
                ev->u.serve_accept.conn, a, b, ev->u.serve_accept.open_connections);
        break;
    case WT_EV_SERVE_TLS:
        tag(s, C_TLS, "srv ");
        fprintf(o, "#%" PRIu64 " TLS handshake done · %s · %s\n", ev->u.serve_tls.conn,
                ev->u.serve_tls.version, ev->u.serve_tls.cipher);
        break;
    case WT_EV_SERVE_REQUEST:
        tag(s, C_HTTP, "srv ");
        fprintf(o, "#%" PRIu64 " ← request %u: ", ev->u.serve_request.conn,
                ev->u.serve_request.number);
        put_escaped(o, ev->u.serve_request.method, strlen(ev->u.serve_request.method));
        fputc(' ', o);
        put_escaped(o, ev->u.serve_request.target, ev->u.serve_request.target_len);
        fprintf(o, " · %zu headers · %zu bytes · %s\n", ev->u.serve_request.n_headers,
                ev->u.serve_request.bytes,
                ev->u.serve_request.keep_alive ? "keep-alive" : "close after");
        break;
    case WT_EV_SERVE_RESPONSE:
        wt_format_duration(ev->u.serve_response.elapsed_us, d, sizeof d);
        tag(s, C_HTTP, "srv ");
        fprintf(o, "#%" PRIu64 " → %d · %" PRIu64 " body bytes · %" PRIu64 " bytes sent in %s%s\n",
                ev->u.serve_response.conn, ev->u.serve_response.status,
                ev->u.serve_response.body_bytes, ev->u.serve_response.bytes, d,
                ev->u.serve_response.closing ? " · Connection: close" : "");
        break;
    case WT_EV_SERVE_REFUSE:
        wt_endpoint_format(&ev->u.serve_refuse.client, a, sizeof a);
        tag(s, C_WARN, "srv ");
        if (ev->u.serve_refuse.status)
            fprintf(o, "refused client %s: %s · answered %d, Connection: close · %zu open, %zu "
                       "from its address\n",
                    a, ev->u.serve_refuse.reason, ev->u.serve_refuse.status,
                    ev->u.serve_refuse.open_connections, ev->u.serve_refuse.from_client);
        else
            fprintf(o, "refused client %s: %s · closed (no answer possible before TLS) · %zu "
                       "open, %zu from its address\n",
                    a, ev->u.serve_refuse.reason, ev->u.serve_refuse.open_connections,
                    ev->u.serve_refuse.from_client);
        break;
    case WT_EV_SERVE_NARRATION_LOST:
        tag(s, C_WARN, "srv ");
        fprintf(o, "%" PRIu64 " narration lines dropped while stderr was not being read (%" PRIu64
                   " in all); serving went on\n",
                ev->u.serve_narration_lost.lines, ev->u.serve_narration_lost.total);
        break;
    case WT_EV_SERVE_DROP:
        tag(s, C_WARN, "srv ");
        fprintf(o, "#%" PRIu64 " %s\n", ev->u.serve_drop.conn, ev->u.serve_drop.reason);
        break;
    default:
        break;
    }
}

static void render_teardown(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char d[32];
    tag(s, C_TCP, "tcp ");
    const char *peer = ev->u.tcp_teardown.we_are_server ? "the client" : "the server";
    if (ev->u.tcp_teardown.conn)
        fprintf(o, "#%" PRIu64 " ", ev->u.tcp_teardown.conn);
    if (ev->u.tcp_teardown.reset)
        fprintf(o, "teardown: %s reset the connection (RST, no FIN exchange)", peer);
    else if (ev->u.tcp_teardown.we_closed_first)
        fprintf(o, "teardown: we close first (our FIN, before %s's)", peer);
    else
        fprintf(o, "teardown: %s closed first (its FIN)", peer);
    fputs(" · states ", o);
    for (size_t i = 0; i < ev->u.tcp_teardown.n_states; i++)
        fprintf(o, "%s%s", i ? " → " : "", wt_tcp_state_name(ev->u.tcp_teardown.states[i]));
    if (!ev->u.tcp_teardown.n_states)
        fputs("unknown", o);
    if (ev->u.tcp_teardown.we_closed_first && !ev->u.tcp_teardown.peer_closed)
        fprintf(o, " · %s had not sent its FIN when we stopped watching", peer);
    if (ev->u.tcp_teardown.time_wait_ms >= 0) {
        wt_format_duration(ev->u.tcp_teardown.time_wait_ms * 1000, d, sizeof d);
        fprintf(o, " · TIME_WAIT held by %s for another %s",
                ev->u.tcp_teardown.time_wait_is_ours ? "us" : peer, d);
    }
    wt_format_duration(ev->u.tcp_teardown.elapsed_us, d, sizeof d);
    fprintf(o, " · %s\n", d);
}

/* SYN, SYN+ACK, FIN+ACK, PSH+ACK, RST+ACK: the flags as the lesson names them. */
static void flag_names(unsigned flags, char *buf, size_t buflen)
{
    static const struct { unsigned bit; const char *name; } order[] = {
        { 0x02, "SYN" }, { 0x01, "FIN" }, { 0x04, "RST" }, { 0x08, "PSH" },
        { 0x20, "URG" }, { 0x10, "ACK" },
    };
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (!(flags & order[i].bit))
            continue;
        int n = snprintf(buf + used, buflen - used, "%s%s", used ? "+" : "", order[i].name);
        if (n < 0 || (size_t)n >= buflen - used)
            return;
        used += (size_t)n;
    }
    if (!used)
        snprintf(buf, buflen, "(no flags)");
}

static void render_capture(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char d[32];
    switch (ev->kind) {
    case WT_EV_CAPTURE_START:
        if (ev->u.capture_start.status != WT_CAPTURE_ON) {
            tag(s, C_WARN, "tcp ");
            fprintf(o, "no packets: %s\n", ev->u.capture_start.message);
            break;
        }
        wt_format_duration(ev->u.capture_start.setup_us, d, sizeof d);
        tag(s, C_TCP, "tcp ");
        fprintf(o, "capturing on %s with filter \"%s\", set before the SYN (opened in %s)",
                ev->u.capture_start.device, ev->u.capture_start.filter, d);
        if (ev->u.capture_start.pcap_path)
            fprintf(o, " · writing %s", ev->u.capture_start.pcap_path);
        if (ev->u.capture_start.message)
            fprintf(o, " · not writing the pcap file: %s", ev->u.capture_start.message);
        fputc('\n', o);
        break;
    case WT_EV_TCP_PACKET: {
        char flags[40];
        flag_names(ev->u.tcp_packet.flags, flags, sizeof flags);
        tag(s, C_TCP, "tcp ");
        fprintf(o, "%s %-7s seq=%" PRIu32 " (rel %" PRIu32 ")",
                ev->u.tcp_packet.from_client ? "client → server" : "client ← server", flags,
                ev->u.tcp_packet.seq, ev->u.tcp_packet.rel_seq);
        if (ev->u.tcp_packet.seq_is)
            fprintf(o, " = %s", ev->u.tcp_packet.seq_is);
        if (ev->u.tcp_packet.has_ack) {
            fprintf(o, " ack=%" PRIu32 " (rel %" PRIu32 ")", ev->u.tcp_packet.ack,
                    ev->u.tcp_packet.rel_ack);
            if (ev->u.tcp_packet.ack_is)
                fprintf(o, " = %s", ev->u.tcp_packet.ack_is);
        }
        fprintf(o, " · win %" PRIu32, ev->u.tcp_packet.window);
        if (ev->u.tcp_packet.len)
            fprintf(o, " · %" PRIu32 " bytes", ev->u.tcp_packet.len);
        if (ev->u.tcp_packet.mss >= 0)
            fprintf(o, " · MSS %d", ev->u.tcp_packet.mss);
        if (ev->u.tcp_packet.wscale >= 0)
            fprintf(o, " · wscale %d", ev->u.tcp_packet.wscale);
        if (ev->u.tcp_packet.sack_ok)
            fputs(" · SACK permitted", o);
        if (ev->u.tcp_packet.has_ts && (ev->u.tcp_packet.flags & 0x02))
            fprintf(o, " · TS val %" PRIu32 " ecr %" PRIu32, ev->u.tcp_packet.ts_val,
                    ev->u.tcp_packet.ts_ecr);
        if (ev->u.tcp_packet.client_moved || ev->u.tcp_packet.server_moved) {
            fputs(" ⇒", o);
            if (ev->u.tcp_packet.client_moved)
                fprintf(o, " client %s", wt_tcp_state_name(ev->u.tcp_packet.client_state));
            if (ev->u.tcp_packet.server_moved)
                fprintf(o, "%s server %s", ev->u.tcp_packet.client_moved ? "," : "",
                        wt_tcp_state_name(ev->u.tcp_packet.server_state));
        }
        fputc('\n', o);
        break;
    }
    case WT_EV_TCP_DATA: {
        const struct wt_packet_data *d = &ev->u.tcp_data;
        tag(s, C_TCP, "tcp ");
        fprintf(o, "data: client → server %" PRIu64 " segments, %" PRIu64 " bytes · "
                "client ← server %" PRIu64 " segments, %" PRIu64 " bytes · "
                "%" PRIu64 " retransmissions · window changes %" PRIu64 " (client) %" PRIu64
                " (server) · %" PRIu64 " pure ACKs\n",
                d->segments[0], d->bytes[0], d->segments[1], d->bytes[1],
                d->retransmissions[0] + d->retransmissions[1],
                d->window_changes[0], d->window_changes[1], d->pure_acks[0] + d->pure_acks[1]);
        break;
    }
    case WT_EV_CAPTURE_END:
        tag(s, C_TCP, "tcp ");
        fprintf(o, "captured %" PRIu64 " packets of this connection", ev->u.capture_end.packets);
        if (ev->u.capture_end.ignored)
            fprintf(o, " (%" PRIu64 " others ignored)", ev->u.capture_end.ignored);
        if (ev->u.capture_end.kernel_drops)
            fprintf(o, " · %" PRIu64 " lost by the capture", ev->u.capture_end.kernel_drops);
        if (!ev->u.capture_end.complete)
            fputs(" · the teardown's last packet was not seen", o);
        if (ev->u.capture_end.pcap_path)
            fprintf(o, " · written to %s", ev->u.capture_end.pcap_path);
        if (ev->u.capture_end.message)
            fprintf(o, " · pcap file not written: %s", ev->u.capture_end.message);
        fputc('\n', o);
        break;
    default:
        break;
    }
}

/* socket(AF_INET, SOCK_STREAM) = 3, recv(5, 16384) = 79 bytes: the call
 * as the lesson's tiny server and client write it, with what it returned. */
static void render_socket_call(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char a[80];
    int fd = ev->u.socket_call.fd;
    int64_t r = ev->u.socket_call.result;
    tag(s, C_TCP, ev->u.socket_call.we_are_server ? "srv " : "tcp ");
    if (ev->u.socket_call.conn)
        fprintf(o, "#%" PRIu64 " ", ev->u.socket_call.conn);
    const char *name = wt_socket_call_name(ev->u.socket_call.call);
    wt_endpoint_format(&ev->u.socket_call.addr, a, sizeof a);
    switch (ev->u.socket_call.call) {
    case WT_CALL_SOCKET:
        fprintf(o, "socket(%s, SOCK_STREAM)",
                ev->u.socket_call.family == AF_INET6 ? "AF_INET6" : "AF_INET");
        break;
    case WT_CALL_BIND:
    case WT_CALL_CONNECT:
        fprintf(o, "%s(%d, %s)", name, fd, a);
        break;
    case WT_CALL_LISTEN:
        fprintf(o, "listen(%d, backlog %d)", fd, ev->u.socket_call.backlog);
        break;
    case WT_CALL_ACCEPT:
        fprintf(o, "accept(%d)", fd);
        break;
    case WT_CALL_RECV:
    case WT_CALL_SEND:
    case WT_CALL_SENDMSG:
        fprintf(o, "%s(%d, %zu)", name, fd, ev->u.socket_call.len);
        break;
    case WT_CALL_SHUTDOWN:
        fprintf(o, "shutdown(%d, SHUT_WR)", fd);
        break;
    case WT_CALL_CLOSE:
        fprintf(o, "close(%d)", fd);
        break;
    }
    if (r < 0) {
        const char *e = strerrorname_np(ev->u.socket_call.err);
        fprintf(o, " = -1 %s (%s)\n", e ? e : "?", strerror(ev->u.socket_call.err));
        return;
    }
    switch (ev->u.socket_call.call) {
    case WT_CALL_ACCEPT:
        fprintf(o, " = %" PRId64 " from %s\n", r, a);
        break;
    case WT_CALL_RECV:
        if (r == 0)
            fprintf(o, " = 0 (end of stream: the %s's FIN)\n",
                    ev->u.socket_call.we_are_server ? "client" : "server");
        else
            fprintf(o, " = %" PRId64 " bytes\n", r);
        break;
    case WT_CALL_SEND:
    case WT_CALL_SENDMSG:
        fprintf(o, " = %" PRId64 " bytes\n", r);
        break;
    case WT_CALL_SHUTDOWN:
        fprintf(o, " = %" PRId64 " (our FIN)\n", r);
        break;
    default:
        fprintf(o, " = %" PRId64 "\n", r);
        break;
    }
}

static void render_serve_syn(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char a[80];
    wt_endpoint_format(&ev->u.serve_syn.client, a, sizeof a);
    tag(s, C_TCP, "srv ");
    fprintf(o, "#%" PRIu64 " ", ev->u.serve_syn.conn);
    if (ev->u.serve_syn.saved) {
        fprintf(o, "SYN from %s seq=%" PRIu32 " = j · win %" PRIu32, a, ev->u.serve_syn.seq,
                ev->u.serve_syn.window);
        if (ev->u.serve_syn.mss >= 0)
            fprintf(o, " · MSS %d", ev->u.serve_syn.mss);
        if (ev->u.serve_syn.wscale >= 0)
            fprintf(o, " · wscale %d", ev->u.serve_syn.wscale);
        if (ev->u.serve_syn.sack_ok)
            fputs(" · SACK permitted", o);
        if (ev->u.serve_syn.has_ts)
            fputs(" · timestamps", o);
        fprintf(o, " · TTL %d ⇒ SYN_RECV: the kernel answered SYN+ACK itself", ev->u.serve_syn.ttl);
    } else {
        fprintf(o, "SYN from %s ⇒ SYN_RECV: the kernel answered SYN+ACK itself", a);
    }
    if (ev->u.serve_syn.queued >= 0)
        fprintf(o, "; at the client's ACK it queued the connection for accept() (%" PRId64
                " of %" PRId64 " waiting)\n", ev->u.serve_syn.queued, ev->u.serve_syn.backlog);
    else
        fputs("; at the client's ACK it queued the connection for accept()\n", o);
}

/* The network and link layers of the connection: two lines. */
static void render_route(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    const char *dst = ev->u.route.remote.addr;
    tag(s, C_DIM, "ip  ");
    if (!ev->u.route.found) {
        fprintf(o, "route to %s: not known (%s)\n", dst,
                ev->u.route.message ? ev->u.route.message : "?");
        return;
    }
    fprintf(o, "route to %s: ", dst);
    if (ev->u.route.local)
        fputs("a local address (one of this machine's own), no gateway", o);
    else if (ev->u.route.gateway[0])
        fprintf(o, "via gateway %s", ev->u.route.gateway);
    else
        fputs("directly connected, no gateway", o);
    if (ev->u.route.ifname[0])
        fprintf(o, " · dev %s", ev->u.route.ifname);
    if (ev->u.route.source[0])
        fprintf(o, " · src %s", ev->u.route.source);
    if (ev->u.route.ttl >= 0)
        fprintf(o, " · %s %d", ev->u.route.remote.family == AF_INET6 ? "hop limit" : "TTL",
                ev->u.route.ttl);
    if (ev->u.route.path_mtu >= 0)
        fprintf(o, " · path MTU %d", ev->u.route.path_mtu);
    fputc('\n', o);

    tag(s, C_DIM, "link");
    const char *ifname = ev->u.route.ifname[0] ? ev->u.route.ifname : "?";
    const char *resolver = ev->u.route.remote.family == AF_INET6 ? "NDP" : "ARP";
    if (ev->u.route.loopback) {
        fprintf(o, "%s: loopback, MTU %d · no link-layer address and no %s: the packets never "
                "leave this machine\n", ifname, ev->u.route.mtu, resolver);
    } else if (ev->u.route.noarp) {
        fprintf(o, "%s: MTU %d · an interface without %s (no link-layer addresses)\n", ifname,
                ev->u.route.mtu, resolver);
    } else if (ev->u.route.have_neigh) {
        fprintf(o, "next hop %s is %s (%s, %s) on %s · MTU %d\n", ev->u.route.next_hop,
                ev->u.route.lladdr[0] ? ev->u.route.lladdr : "no address yet", resolver,
                ev->u.route.neigh_state, ifname, ev->u.route.mtu);
    } else {
        fprintf(o, "next hop %s: not in the %s table of %s · MTU %d\n", ev->u.route.next_hop,
                resolver, ifname, ev->u.route.mtu);
    }
}

static void append_framing(struct text_state *s, const struct wt_event *ev)
{
    static const char *const shown[] = {
        "Content-Type", "Content-Length", "Transfer-Encoding", "Connection", "Location",
    };
    const char *name = ev->u.http_header.name;
    size_t nlen = ev->u.http_header.name_len;
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++) {
        if (strlen(shown[i]) != nlen || strncasecmp(shown[i], name, nlen) != 0)
            continue;
        char val[WT_ESCAPE_TERM_MAX(256)];
        size_t vlen = ev->u.http_header.value_len > 256 ? 256 : ev->u.http_header.value_len;
        wt_escape_term(ev->u.http_header.value, vlen, val, sizeof val);
        int w = snprintf(s->framing + s->framing_len, sizeof s->framing - s->framing_len,
                         "%s%s: %s", s->framing_len ? " · " : "", shown[i], val);
        if (w > 0 && (size_t)w < sizeof s->framing - s->framing_len)
            s->framing_len += (size_t)w;
        return;
    }
}

static void render_http(struct text_state *s, const struct wt_event *ev)
{
    FILE *o = s->cfg.out;
    char d[32];
    switch (ev->kind) {
    case WT_EV_HTTP_REQUEST: {
        tag(s, C_HTTP, "http");
        fprintf(o, "→ %s %s HTTP/1.1 · Host: %s · %zu headers · %zu bytes\n",
                ev->u.http_request.method, ev->u.http_request.target,
                ev->u.http_request.host_header, ev->u.http_request.n_headers,
                ev->u.http_request.bytes);
        if (s->cfg.verbose) {
            const char *line = ev->u.http_request.raw;
            while (*line && !(line[0] == '\r' && line[1] == '\n')) {
                const char *eol = strstr(line, "\r\n");
                if (!eol)
                    break;
                tag(s, C_HTTP, "http");
                fprintf(o, "> %.*s\n", (int)(eol - line), line);
                line = eol + 2;
            }
        }
        break;
    }
    case WT_EV_HTTP_STATUS:
        s->framing_len = 0;
        s->framing[0] = '\0';
        wt_format_duration(ev->u.http_status.wait_us, d, sizeof d);
        tag(s, C_HTTP, "http");
        fprintf(o, "← HTTP/%d.%d %d ", ev->u.http_status.version_major,
                ev->u.http_status.version_minor, ev->u.http_status.status);
        put_escaped(o, ev->u.http_status.reason, ev->u.http_status.reason_len);
        if (ev->u.http_status.status / 100 == 1)
            fputs(" (interim response)", o);
        fprintf(o, " · after %s (server processing)\n", d);
        break;
    case WT_EV_HTTP_HEADER:
        if (s->cfg.verbose) {
            tag(s, C_HTTP, "http");
            fputs("< ", o);
            put_escaped(o, ev->u.http_header.name, ev->u.http_header.name_len);
            fputs(": ", o);
            put_escaped(o, ev->u.http_header.value, ev->u.http_header.value_len);
            if (ev->u.http_header.folded)
                fputs("   (obs-fold unfolded to spaces)", o);
            fputc('\n', o);
        }
        append_framing(s, ev);
        break;
    case WT_EV_HTTP_HEADERS_DONE:
        tag(s, C_HTTP, "http");
        fprintf(o, "  %s%s%zu headers, %zu bytes · body: %s\n", s->framing,
                s->framing_len ? " · " : "", ev->u.http_headers_done.n_headers,
                ev->u.http_headers_done.header_bytes,
                framing_words(ev->u.http_headers_done.framing));
        break;
    case WT_EV_HTTP_BODY_DONE: {
        wt_format_duration(ev->u.http_body_done.elapsed_us, d, sizeof d);
        const char *sink = ev->u.http_body_done.sink;
        tag(s, C_HTTP, "http");
        fprintf(o, "← body %" PRIu64 " bytes (%s) in %s → %s\n", ev->u.http_body_done.bytes,
                framing_words(ev->u.http_body_done.framing), d, sink);
        break;
    }
    default:
        break;
    }
}

/* The lesson's sentence for one packet, by the textbook name of its numbers. */
static const char *packet_explanation(const struct wt_event *ev)
{
    const char *seq = ev->u.tcp_packet.seq_is ? ev->u.tcp_packet.seq_is : "";
    const char *ack = ev->u.tcp_packet.ack_is ? ev->u.tcp_packet.ack_is : "";
    if (ev->u.tcp_packet.flags & 0x04)
        return "RST: the connection is dropped at once, without the FIN exchange.";
    if (strcmp(seq, "j") == 0)
        return "SYN, seq=j: j is chosen at random for every connection (RFC 6528), so late "
               "packets of an old connection cannot pass for this one's. Its options offer "
               "the MSS, window scaling, SACK and timestamps.";
    if (strcmp(seq, "k") == 0)
        return "SYN+ACK: the server's own random number k, and ack=j+1: a SYN counts as one "
               "byte, so the next byte expected is j+1.";
    if (strcmp(ack, "k+1") == 0)
        return "ACK, ack=k+1: both numbers are now agreed; the server too is ESTABLISHED.";
    if (strcmp(seq, "u") == 0)
        return "FIN, seq=u: this side has no more to send. The other side is now in "
               "CLOSE_WAIT: it may still send until it closes too.";
    if (strcmp(seq, "w") == 0)
        return "FIN, seq=w: the other side closes its half too and waits in LAST_ACK for the "
               "last ACK.";
    if (strcmp(ack, "u+1") == 0)
        return "ACK, ack=u+1: the first FIN is acknowledged; the connection is half closed.";
    if (strcmp(ack, "w+1") == 0)
        return "ACK, ack=w+1: the last packet. Whoever closed first waits in TIME_WAIT "
               "(2 MSL) so a lost last ACK can be sent again; the other side is CLOSED.";
    return NULL;
}

static const char *call_explanation(const struct wt_event *ev)
{
    switch (ev->u.socket_call.call) {
    case WT_CALL_SOCKET:
        return "socket() makes an endpoint and returns its descriptor: the small number "
               "every later call on it names.";
    case WT_CALL_BIND:
        return "bind() gives the socket its address and port: where clients will connect.";
    case WT_CALL_LISTEN:
        return "listen() makes it a listening socket: from now on the kernel answers SYNs "
               "itself and queues up to backlog finished handshakes for accept().";
    case WT_CALL_ACCEPT:
        return "accept() takes one finished handshake off the queue and returns a new "
               "descriptor for that client alone; the listening socket stays as it was.";
    case WT_CALL_CONNECT:
        return "connect() sends the SYN; a non-blocking socket returns at once "
               "(EINPROGRESS) and becomes writable when the handshake is done.";
    case WT_CALL_RECV:
        return "recv() copies what the kernel has received into our buffer (at most its "
               "length) and says how much; 0 means the peer sent its FIN.";
    case WT_CALL_SEND:
    case WT_CALL_SENDMSG:
        return "send() copies bytes into the kernel's send buffer and returns; TCP sends them "
               "in segments as the window allows (sendmsg: several buffers in one call).";
    case WT_CALL_SHUTDOWN:
        return "shutdown(SHUT_WR) sends our FIN but keeps the socket, to read the other "
               "side's FIN.";
    case WT_CALL_CLOSE:
        return "close() gives the descriptor back; the kernel finishes the TCP teardown on "
               "its own, TIME_WAIT included.";
    }
    return NULL;
}

/* --explain: one sentence under a step, for someone meeting it first. */
static const char *explanation(const struct wt_event *ev)
{
    switch (ev->kind) {
    case WT_EV_URL:
        return "A URL names how to talk (scheme), to whom (host), at which door (port) and "
               "what to ask for (target). A bare name means http on port 80.";
    case WT_EV_DNS_START:
        return "DNS turns the name into IP addresses: the resolver is asked over UDP (port "
               "53 unless told otherwise); A records hold IPv4 addresses, AAAA records IPv6.";
    case WT_EV_DNS_LITERAL:
        return "The host is already an address, so there is nothing to look up.";
    case WT_EV_DNS_QUERY:
        return "This packet left the machine just now; the id ties the reply to the question.";
    case WT_EV_DNS_REPLY:
        return "NOERROR means the name exists; the answers may be aliases (CNAME) before the "
               "addresses. The time is one round trip to the DNS server.";
    case WT_EV_DNS_RECORD:
        return ev->u.dns_record.type == WT_DNS_TYPE_CNAME
                   ? "A CNAME is an alias: the lookup continues with the name it points to. "
                     "The TTL says how many seconds the answer may be cached."
                   : NULL;
    case WT_EV_DNS_DONE:
        return "The client now knows where to connect; it tries the addresses in this order.";
    case WT_EV_TCP_ATTEMPT:
        return "TCP connects to address:port; our side gets a temporary (ephemeral) port "
               "chosen by the kernel.";
    case WT_EV_TCP_ESTABLISHED:
        return "The three-way handshake: our SYN, the server's SYN+ACK, our ACK. Both sides "
               "are now ESTABLISHED; rtt is the round-trip time the kernel measured.";
    case WT_EV_TLS_HELLO:
        return "TLS begins with the ClientHello: SNI tells the server which site we want, "
               "ALPN which protocol we will speak inside.";
    case WT_EV_TLS_DONE:
        return "Keys are agreed (the key exchange group) and a cipher chosen: from here on "
               "everything on this connection is encrypted.";
    case WT_EV_TLS_CERT:
        return ev->u.tls_cert.index == 0
                   ? "The server proves who it is with a certificate chain, each one signed "
                     "by the next, up to a certificate authority we trust."
                   : NULL;
    case WT_EV_TLS_VERIFY:
        return "Verification checks the signatures, the dates, and that the certificate names "
               "this host.";
    case WT_EV_HTTP_REQUEST:
        return "The request is text: a method, a path and headers, ending with an empty line "
               "(on https the text travels encrypted).";
    case WT_EV_HTTP_STATUS:
        return "The wait until the first byte is the server's work plus one round trip.";
    case WT_EV_HTTP_BODY_DONE:
        return "The body ends where Content-Length says, at the last chunk, or when the "
               "server closes.";
    case WT_EV_TCP_PACKET:
        return packet_explanation(ev);
    case WT_EV_SOCKET_CALL:
        return call_explanation(ev);
    case WT_EV_ROUTE:
        return "IP picks the route: the interface, our source address, and a gateway or "
               "none; the link layer carries each packet to the next hop, whose MAC address "
               "ARP (IPv4) or NDP (IPv6) found. A path MTU below the interface's means a "
               "smaller link on the way.";
    case WT_EV_SERVE_SYN:
        return "The handshake is the kernel's work: a SYN on a listening socket gets its "
               "SYN+ACK without the program doing anything, and the client's ACK puts the "
               "connection in the accept queue.";
    case WT_EV_TCP_DATA:
        return "Between handshake and teardown: the data segments, the ACKs for them, and the "
               "receive window each side advertised (how much more it can take).";
    case WT_EV_TCP_TEARDOWN:
        return "Closing takes a FIN from each side. Whoever closes first keeps TIME_WAIT (60 s "
               "on Linux) so late packets of this connection cannot confuse a new one.";
    case WT_EV_SERVE_LISTEN:
        return "A server binds an address and port, then listens: the kernel queues incoming "
               "connections (up to the backlog) until the server accepts them.";
    case WT_EV_SERVE_ACCEPT:
        return "accept() gives the server a new socket for this client, known by the "
               "client's address and port.";
    case WT_EV_SUMMARY:
        return "dns + connect + tls + wait + transfer: where the time of this fetch went.";
    default:
        return NULL;
    }
}

/* Where a step sits in the two models the lesson teaches: the 5-layer one
 * (application, transport, network, link, physical) and OSI's 7. */
static const char *layer_of(enum wt_event_kind kind)
{
    switch (kind) {
    case WT_EV_URL:
    case WT_EV_HTTP_REQUEST:
    case WT_EV_HTTP_STATUS:
    case WT_EV_HTTP_BODY_DONE:
    case WT_EV_SERVE_REQUEST:
    case WT_EV_SERVE_RESPONSE:
        return "application layer: HTTP (5-layer model: 5 · OSI: 7, application)";
    case WT_EV_DNS_START:
    case WT_EV_DNS_LITERAL:
    case WT_EV_DNS_QUERY:
    case WT_EV_DNS_REPLY:
    case WT_EV_DNS_RECORD:
    case WT_EV_DNS_DONE:
        return "application layer: DNS, over UDP port 53 (5-layer model: 5 · OSI: 7, "
               "application)";
    case WT_EV_TLS_HELLO:
    case WT_EV_TLS_DONE:
    case WT_EV_TLS_CERT:
    case WT_EV_TLS_VERIFY:
        return "TLS, between HTTP and TCP (5-layer model: part of 5 · OSI: 6, presentation, "
               "and 5, session)";
    case WT_EV_TCP_ATTEMPT:
    case WT_EV_TCP_ESTABLISHED:
    case WT_EV_TCP_TEARDOWN:
    case WT_EV_TCP_PACKET:
    case WT_EV_TCP_DATA:
    case WT_EV_SERVE_LISTEN:
    case WT_EV_SERVE_ACCEPT:
    case WT_EV_SERVE_SYN:
        return "transport layer: TCP, between ports (5-layer model: 4 · OSI: 4, transport)";
    case WT_EV_SOCKET_CALL:
        return "the socket API: the application's door to the transport layer";
    case WT_EV_ROUTE:
        return "network layer: IP (5-layer model: 3 · OSI: 3) and link layer (5-layer "
               "model: 2 · OSI: 2, data link; the physical layer, 1, below it)";
    default:
        return NULL;
    }
}

static void explain(struct text_state *s, const struct wt_event *ev)
{
    const char *text = explanation(ev);
    if (!text)
        return;
    const char *layer = layer_of(ev->kind);
    fprintf(s->cfg.out, "%s       ↳ %s%s%s%s%s\n", s->cfg.color ? ansi[C_DIM] : "", text,
            layer ? " [" : "", layer ? layer : "", layer ? "]" : "",
            s->cfg.color ? "\033[0m" : "");
}

static void text_event_line(void *state, const struct wt_event *ev);

static void text_event(void *state, const struct wt_event *ev)
{
    struct text_state *s = state;
    text_event_line(state, ev);
    if (s->cfg.explain && !s->cfg.silent)
        explain(s, ev);
}

static void text_event_line(void *state, const struct wt_event *ev)
{
    struct text_state *s = state;
    FILE *o = s->cfg.out;
    if (ev->kind == WT_EV_ERROR) {
        if (s->cfg.silent > 1)
            return;
        if (s->cfg.color)
            fprintf(o, "%swebtrace: %s: %s\033[0m\n", ansi[C_ERROR], ev->u.error.step,
                    ev->u.error.message);
        else
            fprintf(o, "webtrace: %s: %s\n", ev->u.error.step, ev->u.error.message);
        fflush(o);
        return;
    }
    if (s->cfg.silent)
        return;
    char a[80], b[80], d[32];
    switch (ev->kind) {
    case WT_EV_URL:
        if (ev->url_index > 0)
            fputc('\n', o);
        tag(s, C_URL, "url ");
        fprintf(o, "%s → host %s (%s) · port %u (%s) · target %s\n", ev->u.url.normalized,
                ev->u.url.host, host_kind_words(ev->u.url.host_kind), ev->u.url.port,
                wt_port_class_name(ev->u.url.port_class), ev->u.url.target);
        break;
    case WT_EV_TCP_ATTEMPT:
        tag(s, C_TCP, "tcp ");
        fprintf(o, "connecting to %s port %u (%s)", ev->u.tcp_attempt.remote.addr,
                ev->u.tcp_attempt.remote.port,
                wt_port_class_name(wt_port_classify(ev->u.tcp_attempt.remote.port)));
        if (ev->u.tcp_attempt.of > 1)
            fprintf(o, " · address %zu of %zu", ev->u.tcp_attempt.attempt, ev->u.tcp_attempt.of);
        fputc('\n', o);
        break;
    case WT_EV_TCP_FAILED:
        wt_endpoint_format(&ev->u.tcp_failed.remote, a, sizeof a);
        wt_format_duration(ev->u.tcp_failed.elapsed_us, d, sizeof d);
        tag(s, C_TCP, "tcp ");
        fprintf(o, "connect to %s failed after %s", a, d);
        if (ev->u.tcp_failed.local.port) {
            wt_endpoint_format(&ev->u.tcp_failed.local, b, sizeof b);
            fprintf(o, " (from %s)", b);
        }
        fprintf(o, ": %s\n", strerror(ev->u.tcp_failed.err));
        break;
    case WT_EV_TCP_ESTABLISHED:
        wt_endpoint_format(&ev->u.tcp_established.remote, a, sizeof a);
        wt_endpoint_format(&ev->u.tcp_established.local, b, sizeof b);
        wt_format_duration(ev->u.tcp_established.elapsed_us, d, sizeof d);
        tag(s, C_TCP, "tcp ");
        fprintf(o, "connected %s from %s (ephemeral, chosen by the kernel) · SYN → SYN+ACK → ACK · %s in %s",
                a, b,
                ev->u.tcp_established.have_info
                    ? wt_tcp_state_name(ev->u.tcp_established.state) : "ESTABLISHED",
                d);
        if (ev->u.tcp_established.have_info) {
            wt_format_duration(ev->u.tcp_established.rtt_us, d, sizeof d);
            fprintf(o, " · rtt %s · mss %u", d, ev->u.tcp_established.snd_mss);
        }
        fputc('\n', o);
        break;
    case WT_EV_TCP_TEARDOWN:
        render_teardown(s, ev);
        break;
    case WT_EV_SUMMARY: {
        char dns[32], con[32], tls[32], wait[32], xfer[32], total[32];
        wt_format_duration(ev->u.summary.dns_us, dns, sizeof dns);
        wt_format_duration(ev->u.summary.connect_us, con, sizeof con);
        wt_format_duration(ev->u.summary.tls_us, tls, sizeof tls);
        wt_format_duration(ev->u.summary.wait_us, wait, sizeof wait);
        wt_format_duration(ev->u.summary.transfer_us, xfer, sizeof xfer);
        wt_format_duration(ev->u.summary.total_us, total, sizeof total);
        char setup[48] = "";
        if (ev->u.summary.tls_setup_us > 0) {
            char d[32];
            wt_format_duration(ev->u.summary.tls_setup_us, d, sizeof d);
            snprintf(setup, sizeof setup, " (+%s set-up)", d);
        }
        fprintf(o, "%s       dns %s │ connect %s │ tls %s%s │ wait %s │ transfer %s │ total %s%s\n",
                s->cfg.color ? ansi[C_DIM] : "", dns, con, tls, setup, wait, xfer, total,
                s->cfg.color ? "\033[0m" : "");
        fflush(o);
        break;
    }
    default:
        if (ev->kind >= WT_EV_DNS_START && ev->kind <= WT_EV_DNS_DONE)
            render_dns(s, ev);
        else if (ev->kind >= WT_EV_TLS_HELLO && ev->kind <= WT_EV_TLS_CLOSE)
            render_tls(s, ev);
        else if (ev->kind >= WT_EV_SERVE_LISTEN && ev->kind <= WT_EV_SERVE_DROP)
            render_serve(s, ev);
        else if (ev->kind >= WT_EV_CAPTURE_START && ev->kind <= WT_EV_CAPTURE_END)
            render_capture(s, ev);
        else if (ev->kind == WT_EV_SOCKET_CALL)
            render_socket_call(s, ev);
        else if (ev->kind == WT_EV_SERVE_SYN)
            render_serve_syn(s, ev);
        else if (ev->kind == WT_EV_ROUTE)
            render_route(s, ev);
        else
            render_http(s, ev);
        break;
    }
}

const struct wt_renderer wt_render_text = {
    .name = "text",
    .begin = text_begin,
    .event = text_event,
    .end = text_end,
};
