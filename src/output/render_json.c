/* NDJSON: one JSON object per event on stdout, as it happens. The schema is
 * docs/events.schema.json; "schema" changes only when a field changes
 * meaning or disappears. */
#include "webtrace/render.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "webtrace/dnsmsg.h"
#include "webtrace/facts.h"
#include "webtrace/i18n.h"
#include "webtrace/json.h"
#include "webtrace/url.h"

struct json_state {
    struct wt_render_config cfg;
    struct wt_facts_set facts;
    const struct wt_facts *cur;     /* the facts of the event's URL */
};

static const char *const event_names[] = {
    [WT_EV_PHASE] = "phase",
    [WT_EV_URL] = "url",
    [WT_EV_DNS_START] = "dns_start",
    [WT_EV_DNS_LITERAL] = "dns_literal",
    [WT_EV_CONNECT_TO] = "connect_to",
    [WT_EV_DNS_PINNED] = "dns_pinned",
    [WT_EV_DNS_NO_ANSWER] = "dns_no_answer",
    [WT_EV_DNS_QUERY] = "dns_query",
    [WT_EV_DNS_REPLY] = "dns_reply",
    [WT_EV_DNS_RECORD] = "dns_record",
    [WT_EV_DNS_TCP_RETRY] = "dns_tcp_retry",
    [WT_EV_DNS_DONE] = "dns_done",
    [WT_EV_TCP_ATTEMPT] = "tcp_attempt",
    [WT_EV_TCP_FAILED] = "tcp_failed",
    [WT_EV_TCP_ESTABLISHED] = "tcp_established",
    [WT_EV_TLS_HELLO] = "tls_hello",
    [WT_EV_TLS_DONE] = "tls_done",
    [WT_EV_TLS_CERT] = "tls_cert",
    [WT_EV_TLS_VERIFY] = "tls_verify",
    [WT_EV_TLS_CLOSE] = "tls_close",
    [WT_EV_HTTP_REQUEST] = "http_request",
    [WT_EV_HTTP_STATUS] = "http_status",
    [WT_EV_HTTP_HEADER] = "http_header",
    [WT_EV_HTTP_HEADERS_DONE] = "http_headers_done",
    [WT_EV_HTTP_DEVIATION] = "http_deviation",
    [WT_EV_HTTP_RANGE] = "http_range",
    [WT_EV_HTTP_COOKIE] = "http_cookie",
    [WT_EV_HTTP_EXPECT] = "http_expect",
    [WT_EV_HTTP_BODY_DONE] = "http_body_done",
    [WT_EV_TCP_TEARDOWN] = "tcp_teardown",
    [WT_EV_REDIRECT] = "redirect",
    [WT_EV_PHASE_SKIPPED] = "phase_skipped",
    [WT_EV_CONN_REUSE] = "conn_reuse",
    [WT_EV_CONN_STALE] = "conn_stale",
    [WT_EV_CONN_KEPT] = "conn_kept",
    [WT_EV_CONN_CLOSE] = "conn_close",
    [WT_EV_CONN_RETRY] = "conn_retry",
    [WT_EV_CONN_UNNEEDED] = "conn_unneeded",
    [WT_EV_CONN_WAITED] = "conn_waited",
    [WT_EV_CONN_IMMEDIATE] = "conn_immediate",
    [WT_EV_RETRY] = "retry",
    [WT_EV_CAPTURE_START] = "capture_start",
    [WT_EV_TCP_PACKET] = "tcp_packet",
    [WT_EV_TCP_DATA] = "tcp_data",
    [WT_EV_CAPTURE_END] = "capture_end",
    [WT_EV_SOCKET_CALL] = "socket_call",
    [WT_EV_SERVE_SYN] = "serve_syn",
    [WT_EV_ROUTE] = "route",
    [WT_EV_SERVE_LISTEN] = "serve_listen",
    [WT_EV_SERVE_ACCEPT] = "serve_accept",
    [WT_EV_SERVE_TLS] = "serve_tls",
    [WT_EV_SERVE_REQUEST] = "serve_request",
    [WT_EV_SERVE_RESPONSE] = "serve_response",
    [WT_EV_SERVE_REFUSE] = "serve_refuse",
    [WT_EV_SERVE_NARRATION_LOST] = "serve_narration_lost",
    [WT_EV_SERVE_DROP] = "serve_drop",
    [WT_EV_H2_FRAME] = "h2_frame",
    [WT_EV_H2_STREAM] = "h2_stream",
    [WT_EV_SUMMARY] = "summary",
    [WT_EV_ERROR] = "error",
    [WT_EV_TRANSFER_DONE] = "transfer_done",
    [WT_EV_PROXY] = "proxy",
    [WT_EV_PROXY_CONNECT] = "proxy_connect",
    [WT_EV_PROXY_REPLY] = "proxy_reply",
};

const char *wt_event_name(enum wt_event_kind kind)
{
    if ((unsigned)kind >= sizeof event_names / sizeof event_names[0] || !event_names[kind])
        return "unknown";
    return event_names[kind];
}

static const char *family_name(int family)
{
    return family == AF_INET6 ? "ipv6" : family == AF_INET ? "ipv4" : "any";
}

static const char *trigger_name(enum wt_tcp_trigger t)
{
    switch (t) {
    case WT_TCP_FIRST: return "first";
    case WT_TCP_AFTER_DELAY: return "delay";
    case WT_TCP_AFTER_FAILURE: return "failure";
    }
    return "first";
}

static const char *outcome_name(enum wt_tcp_outcome o)
{
    switch (o) {
    case WT_TCP_REFUSED: return "refused";
    case WT_TCP_UNREACHABLE: return "unreachable";
    case WT_TCP_TIMED_OUT: return "timed_out";
    case WT_TCP_ABANDONED: return "abandoned";
    case WT_TCP_ERROR: return "error";
    }
    return "error";
}

static const char *range_outcome_name(enum wt_range_outcome o)
{
    switch (o) {
    case WT_RANGE_PARTIAL: return "partial";
    case WT_RANGE_IGNORED: return "ignored";
    case WT_RANGE_COMPLETE: return "complete";
    case WT_RANGE_UNSATISFIABLE: return "unsatisfiable";
    case WT_RANGE_NONE: break;
    }
    return "none";
}

static const char *framing_name(enum wt_body_framing f)
{
    switch (f) {
    case WT_FRAMING_NONE: return "none";
    case WT_FRAMING_CONTENT_LENGTH: return "content-length";
    case WT_FRAMING_CHUNKED: return "chunked";
    case WT_FRAMING_UNTIL_CLOSE: return "until-close";
    case WT_FRAMING_H2: return "h2-data-frames";
    }
    return "none";
}

static void endpoint(struct wt_json *j, const char *key, const struct wt_endpoint *ep)
{
    wt_json_object_begin(j, key);
    wt_json_cstring(j, "ip", ep->addr);
    wt_json_int(j, "port", ep->port);
    wt_json_cstring(j, "family", family_name(ep->family));
    wt_json_object_end(j);
}

static void duration(struct wt_json *j, const char *key, int64_t us)
{
    if (us < 0)
        wt_json_null(j, key);
    else
        wt_json_int(j, key, us);
}

static void nullable_string(struct wt_json *j, const char *key, const char *value)
{
    if (value)
        wt_json_cstring(j, key, value);
    else
        wt_json_null(j, key);
}

static const char *capture_status_name(enum wt_capture_status status)
{
    switch (status) {
    case WT_CAPTURE_ON: return "on";
    case WT_CAPTURE_NO_PERMISSION: return "no_permission";
    case WT_CAPTURE_NO_LIBPCAP: return "no_libpcap";
    case WT_CAPTURE_FAILED: return "failed";
    }
    return "failed";
}

static void tcp_packet(struct wt_json *j, const struct wt_event *ev)
{
    static const struct { unsigned bit; const char *name; } flag_bits[] = {
        { 0x02, "SYN" }, { 0x01, "FIN" }, { 0x04, "RST" }, { 0x08, "PSH" },
        { 0x20, "URG" }, { 0x10, "ACK" },
    };
    wt_json_cstring(j, "direction", ev->u.tcp_packet.from_client ? "client_to_server"
                                                                 : "server_to_client");
    wt_json_array_begin(j, "flags");
    for (size_t i = 0; i < sizeof flag_bits / sizeof flag_bits[0]; i++)
        if (ev->u.tcp_packet.flags & flag_bits[i].bit)
            wt_json_cstring(j, NULL, flag_bits[i].name);
    wt_json_array_end(j);
    wt_json_int(j, "seq", ev->u.tcp_packet.seq);
    wt_json_int(j, "rel_seq", ev->u.tcp_packet.rel_seq);
    nullable_string(j, "seq_is", ev->u.tcp_packet.seq_is);
    if (ev->u.tcp_packet.has_ack) {
        wt_json_int(j, "ack", ev->u.tcp_packet.ack);
        wt_json_int(j, "rel_ack", ev->u.tcp_packet.rel_ack);
    } else {
        wt_json_null(j, "ack");
        wt_json_null(j, "rel_ack");
    }
    nullable_string(j, "ack_is", ev->u.tcp_packet.ack_is);
    wt_json_int(j, "window", ev->u.tcp_packet.window);
    wt_json_int(j, "len", ev->u.tcp_packet.len);
    wt_json_object_begin(j, "options");
    if (ev->u.tcp_packet.mss >= 0)
        wt_json_int(j, "mss", ev->u.tcp_packet.mss);
    if (ev->u.tcp_packet.wscale >= 0)
        wt_json_int(j, "wscale", ev->u.tcp_packet.wscale);
    if (ev->u.tcp_packet.sack_ok)
        wt_json_bool(j, "sack_permitted", 1);
    if (ev->u.tcp_packet.has_ts) {
        wt_json_int(j, "ts_val", ev->u.tcp_packet.ts_val);
        wt_json_int(j, "ts_ecr", ev->u.tcp_packet.ts_ecr);
    }
    wt_json_object_end(j);
    wt_json_int(j, "ttl", ev->u.tcp_packet.ttl);
    wt_json_cstring(j, "client_state", wt_tcp_state_name(ev->u.tcp_packet.client_state));
    wt_json_cstring(j, "server_state", wt_tcp_state_name(ev->u.tcp_packet.server_state));
    wt_json_bool(j, "client_moved", ev->u.tcp_packet.client_moved);
    wt_json_bool(j, "server_moved", ev->u.tcp_packet.server_moved);
    wt_json_int(j, "wire_us", ev->u.tcp_packet.wire_us);
}

static void socket_call(struct wt_json *j, const struct wt_event *ev)
{
    enum wt_socket_call call = ev->u.socket_call.call;
    wt_json_cstring(j, "side", ev->u.socket_call.we_are_server ? "server" : "client");
    if (ev->u.socket_call.conn)
        wt_json_int(j, "conn", (int64_t)ev->u.socket_call.conn);
    else
        wt_json_null(j, "conn");
    wt_json_cstring(j, "call", wt_socket_call_name(call));
    if (call == WT_CALL_SOCKET)
        wt_json_null(j, "fd");
    else
        wt_json_int(j, "fd", ev->u.socket_call.fd);
    wt_json_int(j, "result", ev->u.socket_call.result);
    if (ev->u.socket_call.result < 0) {
        const char *name = strerrorname_np(ev->u.socket_call.err);
        wt_json_cstring(j, "errno", name ? name : "unknown");
    } else {
        wt_json_null(j, "errno");
    }
    if (call == WT_CALL_SOCKET)
        wt_json_cstring(j, "family", family_name(ev->u.socket_call.family));
    if (call == WT_CALL_BIND || call == WT_CALL_CONNECT || call == WT_CALL_ACCEPT)
        endpoint(j, "address", &ev->u.socket_call.addr);
    if (call == WT_CALL_LISTEN)
        wt_json_int(j, "backlog", ev->u.socket_call.backlog);
    if (call == WT_CALL_RECV || call == WT_CALL_SEND || call == WT_CALL_SENDMSG)
        wt_json_int(j, "len", (int64_t)ev->u.socket_call.len);
}

static void nonempty(struct wt_json *j, const char *key, const char *value)
{
    nullable_string(j, key, value && value[0] ? value : NULL);
}

static void known(struct wt_json *j, const char *key, int value)
{
    if (value >= 0)
        wt_json_int(j, key, value);
    else
        wt_json_null(j, key);
}

static void route(struct wt_json *j, const struct wt_event *ev)
{
    endpoint(j, "remote", &ev->u.route.remote);
    wt_json_bool(j, "found", ev->u.route.found);
    nullable_string(j, "message", ev->u.route.found ? NULL : ev->u.route.message);
    nonempty(j, "interface", ev->u.route.ifname);
    nonempty(j, "source", ev->u.route.source);
    nonempty(j, "gateway", ev->u.route.gateway);
    wt_json_bool(j, "local", ev->u.route.local);
    wt_json_bool(j, "loopback", ev->u.route.loopback);
    known(j, "mtu", ev->u.route.mtu);
    known(j, "path_mtu", ev->u.route.path_mtu);
    known(j, "ttl", ev->u.route.ttl);
    nonempty(j, "next_hop", ev->u.route.next_hop);
    if (ev->u.route.have_neigh) {
        nonempty(j, "lladdr", ev->u.route.lladdr);
        wt_json_cstring(j, "neigh_state", ev->u.route.neigh_state);
    } else {
        wt_json_null(j, "lladdr");
        wt_json_null(j, "neigh_state");
    }
}

static void direction_figures(struct wt_json *j, const char *key, const struct wt_packet_data *d,
                              int side)
{
    wt_json_object_begin(j, key);
    wt_json_int(j, "segments", (int64_t)d->segments[side]);
    wt_json_int(j, "bytes", (int64_t)d->bytes[side]);
    wt_json_int(j, "retransmissions", (int64_t)d->retransmissions[side]);
    wt_json_int(j, "pure_acks", (int64_t)d->pure_acks[side]);
    wt_json_int(j, "window_changes", (int64_t)d->window_changes[side]);
    wt_json_int(j, "window_min", (int64_t)d->window_min[side]);
    wt_json_int(j, "window_max", (int64_t)d->window_max[side]);
    wt_json_object_end(j);
}

void wt_json_write_var_members(struct wt_json *j, const struct wt_facts *f)
{
    for (size_t i = 0; i < wt_n_vars; i++) {
        struct wt_var_value v;
        memset(&v, 0, sizeof v);
        wt_vars[i].get(f, &v);
        if (!v.present)
            wt_json_null(j, wt_vars[i].name);
        else if (v.type == WT_VAR_STRING)
            wt_json_string(j, wt_vars[i].name, v.s, v.s_len);
        else if (v.type == WT_VAR_SECONDS)
            wt_json_seconds(j, wt_vars[i].name, v.i);
        else
            wt_json_int(j, wt_vars[i].name, v.i);
    }
}

/* All the -w variables, typed, as one object. */
void wt_json_write_vars(struct wt_json *j, const char *key, const struct wt_facts *f)
{
    wt_json_object_begin(j, key);
    wt_json_write_var_members(j, f);
    wt_json_object_end(j);
}

static void fields(struct json_state *s, struct wt_json *j, const struct wt_event *ev)
{
    char tbuf[16];
    switch (ev->kind) {
    case WT_EV_PHASE:
        wt_json_cstring(j, "entered", wt_phase_name(ev->u.phase.entered));
        if (ev->u.phase.entered == WT_PHASE_URL) {
            wt_json_cstring(j, "input", ev->u.phase.input);
            wt_json_int(j, "wall_us", ev->u.phase.wall_us);
        }
        break;
    case WT_EV_URL:
        wt_json_cstring(j, "url", ev->u.url.normalized);
        wt_json_cstring(j, "scheme", wt_scheme_name(ev->u.url.scheme));
        wt_json_cstring(j, "host", ev->u.url.host);
        if (ev->u.url.host_unicode)
            wt_json_cstring(j, "host_unicode", ev->u.url.host_unicode);
        else
            wt_json_null(j, "host_unicode");
        wt_json_cstring(j, "host_kind", ev->u.url.host_kind == WT_HOST_NAME ? "name"
                                        : ev->u.url.host_kind == WT_HOST_IPV4 ? "ipv4" : "ipv6");
        wt_json_int(j, "port", ev->u.url.port);
        wt_json_cstring(j, "port_class", wt_port_class_name(ev->u.url.port_class));
        wt_json_cstring(j, "target", ev->u.url.target);
        break;
    case WT_EV_DNS_START:
        wt_json_cstring(j, "name", ev->u.dns_start.name);
        wt_json_array_begin(j, "servers");
        for (size_t i = 0; i < ev->u.dns_start.n_servers; i++)
            endpoint(j, NULL, &ev->u.dns_start.servers[i]);
        wt_json_array_end(j);
        wt_json_cstring(j, "servers_from", ev->u.dns_start.servers_from_cli ? "cli" : "resolv.conf");
        wt_json_cstring(j, "family", family_name(ev->u.dns_start.family));
        break;
    case WT_EV_CONNECT_TO:
        wt_json_cstring(j, "host", ev->u.connect_to.host);
        wt_json_int(j, "port", ev->u.connect_to.port);
        wt_json_cstring(j, "connect_host", ev->u.connect_to.to_host);
        wt_json_int(j, "connect_port", ev->u.connect_to.to_port);
        wt_json_cstring(j, "rule", ev->u.connect_to.rule);
        break;
    case WT_EV_DNS_PINNED:
        wt_json_cstring(j, "name", ev->u.dns_pinned.name);
        wt_json_int(j, "port", ev->u.dns_pinned.port);
        wt_json_array_begin(j, "addresses");
        for (size_t i = 0; i < ev->u.dns_pinned.n_addresses; i++)
            wt_json_cstring(j, NULL, ev->u.dns_pinned.addresses[i].addr);
        wt_json_array_end(j);
        wt_json_int(j, "dropped", (int64_t)ev->u.dns_pinned.n_dropped);
        wt_json_cstring(j, "rule", ev->u.dns_pinned.rule);
        break;
    case WT_EV_DNS_LITERAL:
        wt_json_cstring(j, "address", ev->u.dns_literal.literal);
        wt_json_cstring(j, "family", family_name(ev->u.dns_literal.family));
        break;
    case WT_EV_DNS_NO_ANSWER:
        endpoint(j, "server", &ev->u.dns_no_answer.server);
        endpoint(j, "next", &ev->u.dns_no_answer.next);
        wt_json_int(j, "id", ev->u.dns_no_answer.id);
        wt_json_cstring(j, "qtype", wt_dns_type_name(ev->u.dns_no_answer.qtype, tbuf,
                                                      sizeof tbuf));
        wt_json_cstring(j, "qname", ev->u.dns_no_answer.qname);
        wt_json_int(j, "waited_us", ev->u.dns_no_answer.waited_us);
        break;
    case WT_EV_DNS_QUERY:
        endpoint(j, "server", &ev->u.dns_query.server);
        endpoint(j, "local", &ev->u.dns_query.local);
        wt_json_cstring(j, "transport", ev->u.dns_query.tcp ? "tcp" : "udp");
        wt_json_int(j, "id", ev->u.dns_query.id);
        wt_json_cstring(j, "qtype", wt_dns_type_name(ev->u.dns_query.qtype, tbuf, sizeof tbuf));
        wt_json_cstring(j, "qname", ev->u.dns_query.qname);
        wt_json_int(j, "bytes", (int64_t)ev->u.dns_query.bytes);
        break;
    case WT_EV_DNS_REPLY:
        endpoint(j, "server", &ev->u.dns_reply.server);
        wt_json_cstring(j, "transport", ev->u.dns_reply.tcp ? "tcp" : "udp");
        wt_json_int(j, "id", ev->u.dns_reply.id);
        wt_json_cstring(j, "qtype", wt_dns_type_name(ev->u.dns_reply.qtype, tbuf, sizeof tbuf));
        wt_json_cstring(j, "qname", ev->u.dns_reply.qname);
        wt_json_cstring(j, "rcode", wt_dns_rcode_name(ev->u.dns_reply.rcode, tbuf, sizeof tbuf));
        wt_json_bool(j, "truncated", ev->u.dns_reply.truncated);
        wt_json_bool(j, "authoritative", ev->u.dns_reply.authoritative);
        wt_json_int(j, "answers", ev->u.dns_reply.ancount);
        wt_json_int(j, "bytes", (int64_t)ev->u.dns_reply.bytes);
        duration(j, "rtt_us", ev->u.dns_reply.rtt_us);
        break;
    case WT_EV_DNS_RECORD:
        wt_json_cstring(j, "name", ev->u.dns_record.name);
        wt_json_cstring(j, "type", wt_dns_type_name(ev->u.dns_record.type, tbuf, sizeof tbuf));
        wt_json_int(j, "ttl", ev->u.dns_record.ttl);
        wt_json_cstring(j, "data", ev->u.dns_record.data);
        break;
    case WT_EV_DNS_TCP_RETRY:
        endpoint(j, "server", &ev->u.dns_tcp_retry.server);
        break;
    case WT_EV_DNS_DONE:
        wt_json_cstring(j, "name", ev->u.dns_done.name);
        wt_json_cstring(j, "source", ev->u.dns_done.source == WT_DNS_FROM_HOSTS   ? "hosts"
                                     : ev->u.dns_done.source == WT_DNS_FROM_CACHE ? "cache"
                                                                                  : "dns");
        wt_json_array_begin(j, "addresses");
        for (size_t i = 0; i < ev->u.dns_done.n_addresses; i++)
            wt_json_cstring(j, NULL, ev->u.dns_done.addresses[i].addr);
        wt_json_array_end(j);
        wt_json_int(j, "elapsed_us", ev->u.dns_done.elapsed_us);
        if (ev->u.dns_done.source == WT_DNS_FROM_CACHE)
            wt_json_int(j, "ttl_left_us", ev->u.dns_done.ttl_left_us);
        else
            wt_json_null(j, "ttl_left_us");
        if (ev->u.dns_done.unanswered_qtype) {
            char tbuf[16];
            wt_json_cstring(j, "unanswered",
                            wt_dns_type_name(ev->u.dns_done.unanswered_qtype, tbuf, sizeof tbuf));
        } else {
            wt_json_null(j, "unanswered");
        }
        break;
    case WT_EV_TCP_ATTEMPT:
        endpoint(j, "remote", &ev->u.tcp_attempt.remote);
        if (ev->u.tcp_attempt.local.port)
            endpoint(j, "local", &ev->u.tcp_attempt.local);
        else
            wt_json_null(j, "local");
        wt_json_int(j, "attempt", (int64_t)ev->u.tcp_attempt.attempt);
        wt_json_int(j, "of", (int64_t)ev->u.tcp_attempt.of);
        wt_json_cstring(j, "trigger", trigger_name(ev->u.tcp_attempt.trigger));
        wt_json_int(j, "delay_us", ev->u.tcp_attempt.delay_us);
        wt_json_int(j, "racing", (int64_t)ev->u.tcp_attempt.running);
        break;
    case WT_EV_TCP_FAILED:
        endpoint(j, "remote", &ev->u.tcp_failed.remote);
        if (ev->u.tcp_failed.local.port)
            endpoint(j, "local", &ev->u.tcp_failed.local);
        else
            wt_json_null(j, "local");
        wt_json_int(j, "attempt", (int64_t)ev->u.tcp_failed.attempt);
        wt_json_cstring(j, "outcome", outcome_name(ev->u.tcp_failed.outcome));
        if (ev->u.tcp_failed.winner)
            wt_json_int(j, "winner", (int64_t)ev->u.tcp_failed.winner);
        else
            wt_json_null(j, "winner");
        wt_json_int(j, "errno", ev->u.tcp_failed.err);
        if (ev->u.tcp_failed.outcome == WT_TCP_ABANDONED)
            wt_json_cstring(j, "reason", "another attempt won");
        else
            wt_json_cstring(j, "reason", strerror(ev->u.tcp_failed.err));
        wt_json_int(j, "elapsed_us", ev->u.tcp_failed.elapsed_us);
        break;
    case WT_EV_TCP_ESTABLISHED:
        endpoint(j, "local", &ev->u.tcp_established.local);
        endpoint(j, "remote", &ev->u.tcp_established.remote);
        wt_json_int(j, "attempt", (int64_t)ev->u.tcp_established.attempt);
        wt_json_int(j, "of", (int64_t)ev->u.tcp_established.of);
        wt_json_int(j, "elapsed_us", ev->u.tcp_established.elapsed_us);
        if (ev->u.tcp_established.have_info) {
            wt_json_object_begin(j, "tcp_info");
            wt_json_cstring(j, "state", wt_tcp_state_name(ev->u.tcp_established.state));
            wt_json_int(j, "rtt_us", ev->u.tcp_established.rtt_us);
            wt_json_int(j, "rttvar_us", ev->u.tcp_established.rttvar_us);
            wt_json_int(j, "snd_mss", ev->u.tcp_established.snd_mss);
            wt_json_int(j, "rcv_mss", ev->u.tcp_established.rcv_mss);
            wt_json_int(j, "snd_cwnd", ev->u.tcp_established.snd_cwnd);
            wt_json_object_end(j);
        } else {
            wt_json_null(j, "tcp_info");
        }
        if (ev->u.tcp_established.conn)
            wt_json_int(j, "conn", ev->u.tcp_established.conn);
        else
            wt_json_null(j, "conn");
        if (ev->u.tcp_established.to_proxy)
            wt_json_bool(j, "to_proxy", 1);
        break;
    case WT_EV_PROXY:
        wt_json_bool(j, "use", ev->u.proxy.use);
        wt_json_cstring(j, "url_host", ev->u.proxy.url_host);
        if (ev->u.proxy.use) {
            wt_json_cstring(j, "proxy", ev->u.proxy.proxy);
            wt_json_cstring(j, "host", ev->u.proxy.host);
            wt_json_int(j, "port", ev->u.proxy.port);
            wt_json_cstring(j, "source", ev->u.proxy.source);
            wt_json_bool(j, "tunnel", ev->u.proxy.tunnel);
            wt_json_bool(j, "credentials", ev->u.proxy.credentials);
        } else {
            wt_json_cstring(j, "bypass_source", ev->u.proxy.bypass_source);
            wt_json_cstring(j, "bypass_list", ev->u.proxy.bypass_list);
        }
        break;
    case WT_EV_PROXY_CONNECT:
        wt_json_cstring(j, "authority", ev->u.proxy_connect.authority);
        wt_json_int(j, "headers", (int64_t)ev->u.proxy_connect.n_headers);
        wt_json_int(j, "bytes", (int64_t)ev->u.proxy_connect.bytes);
        wt_json_bool(j, "credentials", ev->u.proxy_connect.credentials);
        break;
    case WT_EV_PROXY_REPLY:
        wt_json_int(j, "status", ev->u.proxy_reply.status);
        wt_json_string(j, "reason", ev->u.proxy_reply.reason, ev->u.proxy_reply.reason_len);
        wt_json_int(j, "bytes", (int64_t)ev->u.proxy_reply.bytes);
        duration(j, "elapsed_us", ev->u.proxy_reply.elapsed_us);
        wt_json_bool(j, "opened", ev->u.proxy_reply.opened);
        break;
    case WT_EV_HTTP_BODY_PROGRESS:
        break;   /* never written (json_event) */
    case WT_EV_TLS_HELLO:
        wt_json_cstring(j, "sni", ev->u.tls_hello.sni);
        wt_json_cstring(j, "alpn_offered", ev->u.tls_hello.alpn);
        wt_json_object_begin(j, "setup");
        wt_json_bool(j, "reused", ev->u.tls_hello.setup.reused);
        wt_json_int(j, "total_us", ev->u.tls_hello.setup.total_us);
        wt_json_int(j, "inline_us", ev->u.tls_hello.setup.inline_us);
        wt_json_int(j, "during_dns_us", ev->u.tls_hello.setup.during_dns_us);
        wt_json_int(j, "during_connect_us", ev->u.tls_hello.setup.during_connect_us);
        wt_json_object_end(j);
        break;
    case WT_EV_TLS_DONE:
        wt_json_int(j, "elapsed_us", ev->u.tls_done.elapsed_us);
        wt_json_cstring(j, "version", ev->u.tls_done.version);
        wt_json_cstring(j, "cipher", ev->u.tls_done.cipher);
        wt_json_cstring(j, "group", ev->u.tls_done.group);
        wt_json_cstring(j, "alpn", ev->u.tls_done.alpn);
        wt_json_bool(j, "resumed", ev->u.tls_done.resumed);
        break;
    case WT_EV_TLS_CERT:
        wt_json_int(j, "index", (int64_t)ev->u.tls_cert.index);
        wt_json_cstring(j, "subject", ev->u.tls_cert.subject);
        wt_json_cstring(j, "issuer", ev->u.tls_cert.issuer);
        wt_json_cstring(j, "not_before", ev->u.tls_cert.not_before);
        wt_json_cstring(j, "not_after", ev->u.tls_cert.not_after);
        wt_json_int(j, "days_left", ev->u.tls_cert.days_left);
        wt_json_cstring(j, "sans", ev->u.tls_cert.sans);
        wt_json_cstring(j, "matched", ev->u.tls_cert.matched);
        break;
    case WT_EV_TLS_VERIFY:
        wt_json_bool(j, "ok", ev->u.tls_verify.ok);
        wt_json_bool(j, "skipped", ev->u.tls_verify.skipped);
        wt_json_int(j, "code", ev->u.tls_verify.code);
        wt_json_cstring(j, "reason", ev->u.tls_verify.reason);
        break;
    case WT_EV_TLS_CLOSE:
        wt_json_bool(j, "close_notify_sent", ev->u.tls_close.sent);
        wt_json_bool(j, "peer_close_notify", ev->u.tls_close.peer_sent);
        break;
    case WT_EV_HTTP_REQUEST:
        wt_json_cstring(j, "method", ev->u.http_request.method);
        wt_json_cstring(j, "target", ev->u.http_request.target);
        wt_json_cstring(j, "host", ev->u.http_request.host_header);
        wt_json_int(j, "headers", (int64_t)ev->u.http_request.n_headers);
        wt_json_int(j, "bytes", (int64_t)ev->u.http_request.bytes);
        wt_json_int(j, "body_bytes", (int64_t)ev->u.http_request.body_bytes);
        wt_json_bool(j, "h2", ev->u.http_request.h2);
        if (ev->u.http_request.h2 && ev->u.http_request.conn)
            wt_json_int(j, "conn", ev->u.http_request.conn);
        if (ev->u.http_request.h2)
            wt_json_int(j, "stream", ev->u.http_request.stream);
        break;
    case WT_EV_HTTP_STATUS: {
        char version[16];
        /* "2" as curl's %{http_version}: HTTP/2 has no minor version */
        if (ev->u.http_status.version_major == 2)
            snprintf(version, sizeof version, "2");
        else
            snprintf(version, sizeof version, "%d.%d", ev->u.http_status.version_major,
                     ev->u.http_status.version_minor);
        wt_json_cstring(j, "http_version", version);
        wt_json_int(j, "status", ev->u.http_status.status);
        wt_json_string(j, "reason", ev->u.http_status.reason, ev->u.http_status.reason_len);
        duration(j, "wait_us", ev->u.http_status.wait_us);
        break;
    }
    case WT_EV_HTTP_HEADER:
        wt_json_string(j, "name", ev->u.http_header.name, ev->u.http_header.name_len);
        wt_json_string(j, "value", ev->u.http_header.value, ev->u.http_header.value_len);
        wt_json_bool(j, "unfolded", ev->u.http_header.folded);
        break;
    case WT_EV_HTTP_COOKIE: {
        static const char *const actions[] = { "stored", "replaced", "deleted", "rejected", "sent" };
        int a = ev->u.http_cookie.action;
        wt_json_cstring(j, "action", a >= 0 && a < 5 ? actions[a] : "rejected");
        wt_json_cstring(j, "name", ev->u.http_cookie.name ? ev->u.http_cookie.name : "");
        if (ev->u.http_cookie.domain)
            wt_json_cstring(j, "domain", ev->u.http_cookie.domain);
        else
            wt_json_null(j, "domain");
        if (ev->u.http_cookie.path)
            wt_json_cstring(j, "path", ev->u.http_cookie.path);
        else
            wt_json_null(j, "path");
        wt_json_int(j, "expires", ev->u.http_cookie.expires);
        wt_json_bool(j, "host_only", ev->u.http_cookie.host_only);
        wt_json_bool(j, "secure", ev->u.http_cookie.secure);
        wt_json_bool(j, "http_only", ev->u.http_cookie.http_only);
        if (ev->u.http_cookie.reason)
            wt_json_cstring(j, "reason", ev->u.http_cookie.reason);
        break;
    }
    case WT_EV_HTTP_EXPECT: {
        /* a final answer behind the 100 is one too: the continue event before it tells the rest */
        static const char *const outcomes[] = { "continue", "timeout", "final_response",
                                                "final_response" };
        int o = ev->u.http_expect.outcome;
        size_t n_outcomes = sizeof outcomes / sizeof *outcomes;
        wt_json_cstring(j, "outcome", o >= 0 && (size_t)o < n_outcomes ? outcomes[o] : "timeout");
        wt_json_int(j, "status", ev->u.http_expect.status);
        duration(j, "waited_us", ev->u.http_expect.waited_us);
        wt_json_int(j, "body_bytes", (int64_t)ev->u.http_expect.body_bytes);
        wt_json_int(j, "timeout_ms", ev->u.http_expect.timeout_ms);
        break;
    }
    case WT_EV_HTTP_DEVIATION:
        wt_json_cstring(j, "deviation", ev->u.http_deviation.name);
        wt_json_cstring(j, "rfc", ev->u.http_deviation.rfc);
        break;
    case WT_EV_HTTP_RANGE:
        wt_json_cstring(j, "outcome", range_outcome_name(ev->u.http_range.outcome));
        wt_json_int(j, "status", ev->u.http_range.status);
        if (ev->u.http_range.resume_from > 0)
            wt_json_int(j, "resume_from", ev->u.http_range.resume_from);
        else
            wt_json_null(j, "resume_from");
        if (ev->u.http_range.content_range)
            wt_json_string(j, "content_range", ev->u.http_range.content_range,
                           ev->u.http_range.content_range_len);
        else
            wt_json_null(j, "content_range");
        break;
    case WT_EV_HTTP_HEADERS_DONE:
        wt_json_int(j, "headers", (int64_t)ev->u.http_headers_done.n_headers);
        wt_json_int(j, "bytes", (int64_t)ev->u.http_headers_done.header_bytes);
        wt_json_cstring(j, "framing", framing_name(ev->u.http_headers_done.framing));
        if (ev->u.http_headers_done.content_length >= 0)
            wt_json_int(j, "content_length", ev->u.http_headers_done.content_length);
        else
            wt_json_null(j, "content_length");
        wt_json_bool(j, "keep_alive", ev->u.http_headers_done.keep_alive);
        break;
    case WT_EV_H2_FRAME:
        wt_json_cstring(j, "direction", ev->u.h2_frame.sent ? "sent" : "received");
        if (ev->u.h2_frame.server) {
            wt_json_bool(j, "server", 1);
            wt_json_int(j, "conn", (int64_t)ev->u.h2_frame.conn);
        }
        wt_json_cstring(j, "type", ev->u.h2_frame.type_name);
        wt_json_int(j, "stream", ev->u.h2_frame.stream);
        wt_json_int(j, "flags", ev->u.h2_frame.flags);
        wt_json_int(j, "length", (int64_t)ev->u.h2_frame.length);
        wt_json_bool(j, "end_stream", ev->u.h2_frame.end_stream);
        wt_json_bool(j, "ack", ev->u.h2_frame.ack);
        if (ev->u.h2_frame.type == WT_H2_SETTINGS && !ev->u.h2_frame.ack) {
            wt_json_array_begin(j, "settings");
            for (size_t i = 0; i < ev->u.h2_frame.n_settings; i++) {
                wt_json_object_begin(j, NULL);
                wt_json_cstring(j, "name", ev->u.h2_frame.settings[i].name);
                wt_json_int(j, "id", ev->u.h2_frame.settings[i].id);
                wt_json_int(j, "value", ev->u.h2_frame.settings[i].value);
                wt_json_object_end(j);
            }
            wt_json_array_end(j);
        }
        if (ev->u.h2_frame.type == WT_H2_HEADERS) {
            wt_json_int(j, "fields", (int64_t)ev->u.h2_frame.n_headers);
            wt_json_int(j, "raw_bytes", (int64_t)ev->u.h2_frame.raw_bytes);
        }
        if (ev->u.h2_frame.type == WT_H2_RST_STREAM || ev->u.h2_frame.type == WT_H2_GOAWAY) {
            wt_json_int(j, "error_code", ev->u.h2_frame.error_code);
            wt_json_cstring(j, "error", ev->u.h2_frame.error_name);
        }
        if (ev->u.h2_frame.type == WT_H2_GOAWAY)
            wt_json_int(j, "last_stream", ev->u.h2_frame.last_stream);
        if (ev->u.h2_frame.type == WT_H2_WINDOW_UPDATE)
            wt_json_int(j, "increment", ev->u.h2_frame.increment);
        if (ev->u.h2_frame.type == WT_H2_PING) {
            char opaque[17];
            snprintf(opaque, sizeof opaque, "%016llx", (unsigned long long)ev->u.h2_frame.ping);
            wt_json_cstring(j, "opaque", opaque);
        }
        break;
    case WT_EV_H2_STREAM:
        wt_json_int(j, "stream", ev->u.h2_stream.stream);
        if (ev->u.h2_stream.server) {
            wt_json_bool(j, "server", 1);
            wt_json_int(j, "conn", (int64_t)ev->u.h2_stream.conn);
        }
        wt_json_int(j, "headers_frames", (int64_t)ev->u.h2_stream.header_frames);
        wt_json_int(j, "data_frames", (int64_t)ev->u.h2_stream.data_frames);
        wt_json_int(j, "data_bytes", (int64_t)ev->u.h2_stream.data_bytes);
        wt_json_bool(j, "end_stream", ev->u.h2_stream.end_stream);
        wt_json_bool(j, "reset", ev->u.h2_stream.reset);
        wt_json_int(j, "error_code", ev->u.h2_stream.error_code);
        wt_json_cstring(j, "error", ev->u.h2_stream.error_name);
        break;
    case WT_EV_HTTP_BODY_DONE:
        wt_json_int(j, "bytes", (int64_t)ev->u.http_body_done.bytes);
        wt_json_cstring(j, "framing", framing_name(ev->u.http_body_done.framing));
        duration(j, "elapsed_us", ev->u.http_body_done.elapsed_us);
        wt_json_cstring(j, "sink", ev->u.http_body_done.sink);
        if (ev->u.http_body_done.encoding) {
            wt_json_cstring(j, "content_encoding", ev->u.http_body_done.encoding);
            wt_json_int(j, "decoded_bytes", (int64_t)ev->u.http_body_done.decoded_bytes);
        } else {
            wt_json_null(j, "content_encoding");
            wt_json_null(j, "decoded_bytes");
        }
        wt_json_bool(j, "decode_truncated", ev->u.http_body_done.truncated);
        if (ev->u.http_body_done.limit_rate) {
            wt_json_int(j, "limit_rate", (int64_t)ev->u.http_body_done.limit_rate);
            wt_json_int(j, "rate_pauses", (int64_t)ev->u.http_body_done.rate_pauses);
            wt_json_int(j, "rate_paused_us", ev->u.http_body_done.rate_paused_us);
        } else {
            wt_json_null(j, "limit_rate");
            wt_json_int(j, "rate_pauses", 0);
            wt_json_int(j, "rate_paused_us", 0);
        }
        break;
    case WT_EV_TCP_TEARDOWN:
        wt_json_cstring(j, "side", ev->u.tcp_teardown.we_are_server ? "server" : "client");
        wt_json_cstring(j, "closed_first",
                        ev->u.tcp_teardown.we_closed_first == !ev->u.tcp_teardown.we_are_server
                            ? "client" : "server");
        wt_json_array_begin(j, "states");
        for (size_t i = 0; i < ev->u.tcp_teardown.n_states; i++)
            wt_json_cstring(j, NULL, wt_tcp_state_name(ev->u.tcp_teardown.states[i]));
        wt_json_array_end(j);
        wt_json_bool(j, "peer_fin_seen", ev->u.tcp_teardown.peer_closed);
        wt_json_bool(j, "reset", ev->u.tcp_teardown.reset);
        if (ev->u.tcp_teardown.conn)
            wt_json_int(j, "conn", (int64_t)ev->u.tcp_teardown.conn);
        else
            wt_json_null(j, "conn");
        if (ev->u.tcp_teardown.time_wait_ms >= 0) {
            wt_json_int(j, "time_wait_ms", ev->u.tcp_teardown.time_wait_ms);
            wt_json_cstring(j, "time_wait_side",
                            ev->u.tcp_teardown.time_wait_is_ours == !ev->u.tcp_teardown.we_are_server
                                ? "client" : "server");
        } else {
            wt_json_null(j, "time_wait_ms");
            wt_json_null(j, "time_wait_side");
        }
        wt_json_int(j, "elapsed_us", ev->u.tcp_teardown.elapsed_us);
        break;
    case WT_EV_CAPTURE_START:
        wt_json_cstring(j, "status", capture_status_name(ev->u.capture_start.status));
        wt_json_cstring(j, "device", ev->u.capture_start.device);
        wt_json_cstring(j, "filter", ev->u.capture_start.filter);
        nullable_string(j, "pcap_file", ev->u.capture_start.pcap_path);
        nullable_string(j, "message", ev->u.capture_start.message);
        wt_json_int(j, "setup_us", ev->u.capture_start.setup_us);
        break;
    case WT_EV_TCP_PACKET:
        tcp_packet(j, ev);
        break;
    case WT_EV_TCP_DATA:
        direction_figures(j, "client_to_server", &ev->u.tcp_data, 0);
        direction_figures(j, "server_to_client", &ev->u.tcp_data, 1);
        break;
    case WT_EV_CAPTURE_END:
        wt_json_int(j, "packets", (int64_t)ev->u.capture_end.packets);
        wt_json_int(j, "ignored", (int64_t)ev->u.capture_end.ignored);
        wt_json_int(j, "kernel_drops", (int64_t)ev->u.capture_end.kernel_drops);
        wt_json_bool(j, "complete", ev->u.capture_end.complete);
        nullable_string(j, "pcap_file", ev->u.capture_end.pcap_path);
        nullable_string(j, "message", ev->u.capture_end.message);
        break;
    case WT_EV_SOCKET_CALL:
        socket_call(j, ev);
        break;
    case WT_EV_ROUTE:
        route(j, ev);
        break;
    case WT_EV_SERVE_SYN:
        wt_json_int(j, "conn", (int64_t)ev->u.serve_syn.conn);
        endpoint(j, "client", &ev->u.serve_syn.client);
        wt_json_bool(j, "saved", ev->u.serve_syn.saved);
        if (ev->u.serve_syn.saved) {
            wt_json_int(j, "seq", ev->u.serve_syn.seq);
            wt_json_int(j, "window", ev->u.serve_syn.window);
            wt_json_object_begin(j, "options");
            if (ev->u.serve_syn.mss >= 0)
                wt_json_int(j, "mss", ev->u.serve_syn.mss);
            if (ev->u.serve_syn.wscale >= 0)
                wt_json_int(j, "wscale", ev->u.serve_syn.wscale);
            if (ev->u.serve_syn.sack_ok)
                wt_json_bool(j, "sack_permitted", 1);
            if (ev->u.serve_syn.has_ts)
                wt_json_bool(j, "timestamps", 1);
            wt_json_object_end(j);
            wt_json_int(j, "ttl", ev->u.serve_syn.ttl);
        } else {
            wt_json_null(j, "seq");
            wt_json_null(j, "window");
            wt_json_null(j, "options");
            wt_json_null(j, "ttl");
        }
        if (ev->u.serve_syn.queued >= 0) {
            wt_json_int(j, "accept_queue", ev->u.serve_syn.queued);
            wt_json_int(j, "accept_backlog", ev->u.serve_syn.backlog);
        } else {
            wt_json_null(j, "accept_queue");
            wt_json_null(j, "accept_backlog");
        }
        break;
    case WT_EV_SERVE_LISTEN:
        endpoint(j, "local", &ev->u.serve_listen.local);
        wt_json_int(j, "backlog", ev->u.serve_listen.backlog);
        wt_json_bool(j, "tls", ev->u.serve_listen.tls);
        wt_json_cstring(j, "scope", ev->u.serve_listen.scope);
        break;
    case WT_EV_SERVE_ACCEPT:
        wt_json_int(j, "conn", (int64_t)ev->u.serve_accept.conn);
        endpoint(j, "client", &ev->u.serve_accept.client);
        endpoint(j, "local", &ev->u.serve_accept.local);
        wt_json_int(j, "open_connections", (int64_t)ev->u.serve_accept.open_connections);
        break;
    case WT_EV_SERVE_TLS:
        wt_json_int(j, "conn", (int64_t)ev->u.serve_tls.conn);
        wt_json_cstring(j, "version", ev->u.serve_tls.version);
        wt_json_cstring(j, "cipher", ev->u.serve_tls.cipher);
        if (ev->u.serve_tls.alpn && ev->u.serve_tls.alpn[0])
            wt_json_cstring(j, "alpn", ev->u.serve_tls.alpn);
        break;
    case WT_EV_SERVE_REQUEST:
        wt_json_int(j, "conn", (int64_t)ev->u.serve_request.conn);
        wt_json_int(j, "number", ev->u.serve_request.number);
        wt_json_cstring(j, "method", ev->u.serve_request.method);
        wt_json_string(j, "target", ev->u.serve_request.target, ev->u.serve_request.target_len);
        wt_json_int(j, "bytes", (int64_t)ev->u.serve_request.bytes);
        wt_json_int(j, "headers", (int64_t)ev->u.serve_request.n_headers);
        wt_json_bool(j, "keep_alive", ev->u.serve_request.keep_alive);
        break;
    case WT_EV_SERVE_RESPONSE:
        wt_json_int(j, "conn", (int64_t)ev->u.serve_response.conn);
        wt_json_int(j, "status", ev->u.serve_response.status);
        wt_json_int(j, "body_bytes", (int64_t)ev->u.serve_response.body_bytes);
        wt_json_int(j, "bytes", (int64_t)ev->u.serve_response.bytes);
        wt_json_int(j, "elapsed_us", ev->u.serve_response.elapsed_us);
        wt_json_bool(j, "closing", ev->u.serve_response.closing);
        break;
    case WT_EV_SERVE_REFUSE:
        endpoint(j, "client", &ev->u.serve_refuse.client);
        if (ev->u.serve_refuse.status)
            wt_json_int(j, "status", ev->u.serve_refuse.status);
        else
            wt_json_null(j, "status");
        wt_json_cstring(j, "reason", ev->u.serve_refuse.reason);
        wt_json_int(j, "open_connections", (int64_t)ev->u.serve_refuse.open_connections);
        wt_json_int(j, "from_client", (int64_t)ev->u.serve_refuse.from_client);
        break;
    case WT_EV_SERVE_NARRATION_LOST:
        wt_json_int(j, "lines", (int64_t)ev->u.serve_narration_lost.lines);
        wt_json_int(j, "total", (int64_t)ev->u.serve_narration_lost.total);
        break;
    case WT_EV_SERVE_DROP:
        wt_json_int(j, "conn", (int64_t)ev->u.serve_drop.conn);
        wt_json_cstring(j, "reason", ev->u.serve_drop.reason);
        break;
    case WT_EV_SUMMARY:
        duration(j, "dns_us", ev->u.summary.dns_us);
        duration(j, "connect_us", ev->u.summary.connect_us);
        duration(j, "tls_us", ev->u.summary.tls_us);
        duration(j, "tls_setup_us", ev->u.summary.tls_setup_us);
        duration(j, "wait_us", ev->u.summary.wait_us);
        duration(j, "transfer_us", ev->u.summary.transfer_us);
        duration(j, "total_us", ev->u.summary.total_us);
        duration(j, "teardown_us", ev->u.summary.teardown_us);
        wt_json_write_vars(j, "vars", s->cur);
        break;
    case WT_EV_REDIRECT:
        wt_json_int(j, "status", ev->u.redirect.status);
        wt_json_string(j, "location", ev->u.redirect.location, ev->u.redirect.location_len);
        if (ev->u.redirect.url)
            wt_json_cstring(j, "url", ev->u.redirect.url);
        else
            wt_json_null(j, "url");
        wt_json_bool(j, "followed", ev->u.redirect.followed);
        wt_json_bool(j, "limit_reached", ev->u.redirect.limit_reached);
        wt_json_cstring(j, "method", ev->u.redirect.method);
        wt_json_cstring(j, "next_method", ev->u.redirect.next_method);
        wt_json_bool(j, "crosses_origin", ev->u.redirect.crosses_origin);
        break;
    case WT_EV_PHASE_SKIPPED:
        wt_json_cstring(j, "skipped", wt_phase_name(ev->u.phase_skipped.skipped));
        wt_json_int(j, "conn", ev->u.phase_skipped.conn);
        wt_json_cstring(j, "reason", "reused");
        break;
    case WT_EV_CONN_REUSE:
    case WT_EV_CONN_STALE:
    case WT_EV_CONN_KEPT:
    case WT_EV_CONN_CLOSE:
    case WT_EV_CONN_RETRY:
    case WT_EV_CONN_UNNEEDED:
    case WT_EV_CONN_WAITED:
    case WT_EV_CONN_IMMEDIATE:
        wt_json_int(j, "conn", ev->u.conn.id);
        wt_json_cstring(j, "scheme", wt_scheme_name(ev->u.conn.scheme));
        wt_json_cstring(j, "host", ev->u.conn.host);
        wt_json_int(j, "port", ev->u.conn.port);
        if (ev->kind == WT_EV_CONN_REUSE || ev->kind == WT_EV_CONN_KEPT ||
            ev->kind == WT_EV_CONN_CLOSE || ev->kind == WT_EV_CONN_UNNEEDED)
            wt_json_int(j, "requests", ev->u.conn.requests);
        if (ev->kind == WT_EV_CONN_REUSE || ev->kind == WT_EV_CONN_STALE ||
            ev->kind == WT_EV_CONN_CLOSE)
            wt_json_int(j, "idle_us", ev->u.conn.idle_us);
        if (ev->kind == WT_EV_CONN_STALE)
            wt_json_bool(j, "peer_closed", ev->u.conn.peer_closed);
        if (ev->kind == WT_EV_CONN_REUSE)
            wt_json_int(j, "streams", (int64_t)ev->u.conn.streams);
        if (ev->kind == WT_EV_CONN_RETRY)
            wt_json_cstring(j, "message", ev->u.conn.message);
        if (ev->kind == WT_EV_CONN_WAITED)
            wt_json_int(j, "waited_us", ev->u.conn.idle_us);
        break;
    case WT_EV_RETRY:
        wt_json_cstring(j, "reason", ev->u.retry.reason);
        if (ev->u.retry.status)
            wt_json_int(j, "status", ev->u.retry.status);
        else
            wt_json_null(j, "status");
        wt_json_int(j, "exit_code", ev->u.retry.exit_code);
        wt_json_int(j, "attempt", ev->u.retry.attempt);
        wt_json_int(j, "max", ev->u.retry.max);
        wt_json_int(j, "wait_us", ev->u.retry.wait_us);
        wt_json_bool(j, "retry_after", ev->u.retry.retry_after);
        wt_json_bool(j, "over_budget", ev->u.retry.over_budget);
        if (ev->u.retry.budget_us >= 0)
            wt_json_int(j, "budget_us", ev->u.retry.budget_us);
        else
            wt_json_null(j, "budget_us");
        break;
    case WT_EV_TRANSFER_DONE:
        wt_json_int(j, "hops", ev->u.transfer_done.hops);
        wt_json_int(j, "exit_code", ev->u.transfer_done.exit_code);
        wt_json_int(j, "total_us", ev->u.transfer_done.total_us);
        wt_json_write_vars(j, "vars", s->cur);
        break;
    case WT_EV_ERROR:
        wt_json_cstring(j, "step", ev->u.error.step);
        wt_json_int(j, "exit_code", ev->u.error.exit_code);
        wt_json_cstring(j, "message", ev->u.error.message);
        break;
    }
}

static void *json_begin(const struct wt_render_config *config)
{
    struct json_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = *config;
    wt_facts_set_init(&s->facts);
    return s;
}

static void json_event(void *state, const struct wt_event *ev)
{
    struct json_state *s = state;
    /* a sample for the progress meter, as often as the body flows: a
     * stream of steps is no place for it (http_body_done has the total) */
    if (ev->kind == WT_EV_HTTP_BODY_PROGRESS)
        return;
    s->cur = wt_facts_set_feed(&s->facts, ev);
    struct wt_json j;
    wt_json_init(&j, s->cfg.data_out);
    wt_json_object_begin(&j, NULL);
    wt_json_int(&j, "schema", WT_JSON_SCHEMA_VERSION);
    wt_json_cstring(&j, "event", wt_event_name(ev->kind));
    wt_json_int(&j, "url_index", (int64_t)ev->url_index);
    wt_json_int(&j, "hop", ev->hop);
    wt_json_cstring(&j, "phase", wt_phase_name(ev->phase));
    wt_json_int(&j, "t_us", ev->t_us);
    fields(s, &j, ev);
    wt_json_object_end(&j);
    fputc('\n', s->cfg.data_out);
    /* One line per event as it happens: a pipeline sees each at once. */
    if (ev->kind != WT_EV_HTTP_HEADER)
        fflush(s->cfg.data_out);
    if (ev->kind == WT_EV_TRANSFER_DONE)
        wt_facts_set_release(&s->facts, ev->url_index);
}

static int json_end(void *state)
{
    struct json_state *s = state;
    int rc = 0;
    if (s) {
        if (fflush(s->cfg.data_out) != 0 || ferror(s->cfg.data_out)) {
            rc = -1;
            if (s->cfg.silent < 2)
                fputs(_("webtrace: output: cannot write the NDJSON events to stdout\n"), s->cfg.out);
        }
        wt_facts_set_clear(&s->facts);
    }
    free(s);
    return rc;
}

const struct wt_renderer wt_render_json = {
    .name = "json",
    .begin = json_begin,
    .event = json_event,
    .end = json_end,
};
