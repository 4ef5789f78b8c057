/* event: the one vocabulary between mechanics and renderers. dns, tcp and
 * http fill a struct wt_event and hand it to the trace; renderers turn the
 * same events into text (and later NDJSON, HAR, write-out). Nothing here
 * prints. Strings in events are raw network bytes with explicit lengths
 * where they came from the network: renderers escape them. */
#ifndef WEBTRACE_EVENT_H
#define WEBTRACE_EVENT_H

#include <stddef.h>
#include <stdint.h>

enum wt_phase {
    WT_PHASE_URL,
    WT_PHASE_DNS,
    WT_PHASE_CONNECT,
    WT_PHASE_TLS,
    WT_PHASE_SEND,
    WT_PHASE_WAIT,
    WT_PHASE_RECEIVE,
    WT_PHASE_CLOSE,
    WT_PHASE_DONE,
    WT_PHASE_FAILED,
    WT_PHASE_SERVE      /* server side: not a client trace */
};

enum wt_event_kind {
    WT_EV_PHASE,            /* the trace entered a phase (stamped once, here) */
    WT_EV_URL,              /* the parsed URL */
    WT_EV_DNS_START,        /* resolver and what is asked */
    WT_EV_DNS_LITERAL,      /* IP literal: no lookup */
    WT_EV_CONNECT_TO,       /* --connect-to: another host or port is connected to */
    WT_EV_DNS_PINNED,       /* --resolve: addresses given, no lookup */
    WT_EV_DNS_NO_ANSWER,    /* a server did not answer in time: asked again (elsewhere) */
    WT_EV_DNS_QUERY,        /* a DNS query left the machine */
    WT_EV_DNS_REPLY,        /* a DNS reply arrived */
    WT_EV_DNS_RECORD,       /* one answer record (CNAME, A, AAAA) of a reply */
    WT_EV_DNS_TCP_RETRY,    /* truncated reply: c-ares retries over TCP */
    WT_EV_DNS_DONE,         /* lookup finished with addresses */
    WT_EV_TCP_ATTEMPT,      /* connect() started to one address */
    WT_EV_TCP_FAILED,       /* that attempt failed */
    WT_EV_TCP_ESTABLISHED,  /* handshake complete */
    WT_EV_TLS_HELLO,        /* ClientHello sent: SNI, ALPN offered */
    WT_EV_TLS_DONE,         /* handshake complete: version, cipher, group */
    WT_EV_TLS_CERT,         /* one certificate of the peer's chain */
    WT_EV_TLS_VERIFY,       /* the verification result */
    WT_EV_TLS_CLOSE,        /* close_notify sent / received */
    WT_EV_HTTP_REQUEST,     /* request written */
    WT_EV_HTTP_STATUS,      /* status line of a response */
    WT_EV_HTTP_HEADER,      /* one response header (after unfolding) */
    WT_EV_HTTP_HEADERS_DONE,/* end of the response header section */
    WT_EV_HTTP_DEVIATION,   /* a tolerated deviation from the grammar */
    WT_EV_HTTP_RANGE,       /* -r/-C: what the server did with the Range asked for */
    WT_EV_HTTP_COOKIE,      /* a cookie stored, replaced, deleted, refused, or sent */
    WT_EV_HTTP_EXPECT,      /* Expect: 100-continue: the 100, the timeout, or a final answer */
    WT_EV_HTTP_BODY_DONE,   /* body complete */
    WT_EV_TCP_TEARDOWN,     /* who closed first and the states seen */
    WT_EV_REDIRECT,         /* a 3xx with a Location: followed (a new hop) or not */
    WT_EV_PHASE_SKIPPED,    /* a phase entered and left at once: a reused connection needs none */
    WT_EV_CONN_REUSE,       /* an idle connection to the origin serves this request */
    WT_EV_CONN_STALE,       /* the idle one was closed by its server meanwhile: a new one */
    WT_EV_CONN_KEPT,        /* the connection stays open for a later request */
    WT_EV_CONN_CLOSE,       /* a kept connection is closed at the end of the run */
    WT_EV_CONN_RETRY,       /* a reused connection died before any answer: sent again, once */
    WT_EV_CONN_UNNEEDED,    /* it could stay open, but no later URL goes to its origin: closed */
    WT_EV_CONN_WAITED,      /* -Z: waited for another's connection to the origin to be set up */
    WT_EV_CONN_IMMEDIATE,   /* -Z --parallel-immediate: another is being set up; not waited for */
    WT_EV_RETRY,            /* --retry: a transient failure, tried again after a wait (or not) */
    WT_EV_CAPTURE_START,    /* --packets: the capture is open (or why not) */
    WT_EV_TCP_PACKET,       /* --packets: one step of the lesson on the wire */
    WT_EV_TCP_DATA,         /* --packets: the data segments, summarised */
    WT_EV_CAPTURE_END,      /* --packets: what was captured and written */
    WT_EV_SOCKET_CALL,      /* one socket call, its real arguments and result */
    WT_EV_SERVE_SYN,        /* server: the client's SYN as the kernel saved it */
    WT_EV_ROUTE,            /* the layers below TCP: route, interface, next hop */
    WT_EV_SERVE_LISTEN,     /* server: socket bound and listening */
    WT_EV_SERVE_ACCEPT,     /* server: a client connected */
    WT_EV_SERVE_TLS,        /* server: TLS handshake with a client done */
    WT_EV_SERVE_REQUEST,    /* server: a request parsed */
    WT_EV_SERVE_RESPONSE,   /* server: the response fully sent */
    WT_EV_SERVE_REFUSE,     /* server: full, a new client answered 503 or closed */
    WT_EV_SERVE_NARRATION_LOST, /* server: narration lines dropped while stderr was full */
    WT_EV_SERVE_DROP,       /* server: a connection ended without a teardown (error, timeout) */
    WT_EV_H2_FRAME,         /* one HTTP/2 frame sent or received (or the connection preface) */
    WT_EV_H2_STREAM,        /* an HTTP/2 stream closed: its frames, bytes and how it ended */
    WT_EV_SUMMARY,          /* timings of the whole trace */
    WT_EV_ERROR,            /* the trace failed: step, exit code, words */
    WT_EV_TRANSFER_DONE,    /* a URL's whole journey ended: every hop, one exit code */
    WT_EV_PROXY,            /* the proxy a URL goes through, or the no-proxy rule sending it direct */
    WT_EV_PROXY_CONNECT,    /* the CONNECT request went to the proxy */
    WT_EV_PROXY_REPLY,      /* the proxy answered the CONNECT: a tunnel, or a refusal */
    WT_EV_HTTP_BODY_PROGRESS /* body bytes so far, sampled at most every
                                WT_BODY_PROGRESS_INTERVAL_US: for the progress
                                meter only, never a step (not in NDJSON) */
};

/* How often a body in progress reports its size so far: the meter redraws
 * at most ten times a second, so a finer sample would never be seen. */
#define WT_BODY_PROGRESS_INTERVAL_US 100000

#define WT_ADDR_STRLEN 46  /* INET6_ADDRSTRLEN */
#define WT_IFNAME_LEN 16   /* IF_NAMESIZE */
#define WT_LLADDR_STRLEN 64 /* "aa:bb:...": up to 20 bytes of link address */

struct wt_endpoint {
    char addr[WT_ADDR_STRLEN];
    uint16_t port;
    int family;  /* AF_INET / AF_INET6 */
};

enum wt_dns_source {
    WT_DNS_FROM_SERVER,   /* answered over the network */
    WT_DNS_FROM_HOSTS,    /* answered from the hosts file, no traffic */
    WT_DNS_FROM_CACHE     /* an earlier lookup of this run, within its TTL */
};

/* What a response did with the request's Range (-r, -C), as curl 7.88
 * judges it. */
enum wt_range_outcome {
    WT_RANGE_NONE,          /* no Range was sent (or HEAD): nothing to judge */
    WT_RANGE_PARTIAL,       /* the part asked for (206, a matching Content-Range) */
    WT_RANGE_IGNORED,       /* the whole body instead: -r writes it, -C fails (33) */
    WT_RANGE_COMPLETE,      /* -C: 416, or a whole body of the file's size: nothing to append */
    WT_RANGE_UNSATISFIABLE  /* -r: 416; its body is written, as curl */
};

enum wt_body_framing {
    WT_FRAMING_NONE,            /* no body by definition (HEAD, 1xx, 204, 304) */
    WT_FRAMING_CONTENT_LENGTH,
    WT_FRAMING_CHUNKED,
    WT_FRAMING_UNTIL_CLOSE,
    WT_FRAMING_H2               /* HTTP/2 DATA frames, the last with END_STREAM */
};

/* HTTP/2 frame types (RFC 9113 §6), as on the wire. */
enum wt_h2_frame_type {
    WT_H2_PREFACE = -1,        /* not a frame: the client's 24-byte magic */
    WT_H2_DATA = 0,
    WT_H2_HEADERS = 1,
    WT_H2_PRIORITY = 2,
    WT_H2_RST_STREAM = 3,
    WT_H2_SETTINGS = 4,
    WT_H2_PUSH_PROMISE = 5,
    WT_H2_PING = 6,
    WT_H2_GOAWAY = 7,
    WT_H2_WINDOW_UPDATE = 8,
    WT_H2_CONTINUATION = 9
};

#define WT_H2_MAX_SETTINGS 8   /* SETTINGS entries carried by one event */

/* One SETTINGS parameter (RFC 9113 §6.5.2). */
struct wt_h2_setting {
    const char *name;          /* "MAX_CONCURRENT_STREAMS", "unknown" */
    uint16_t id;
    uint32_t value;
};

/* The run's TLS set-up (module, OpenSSL, context, trust store) as the
 * ClientHello that needed it saw it. */
struct wt_tls_setup_figures {
    int reused;                /* built for an earlier URL of this run */
    int64_t total_us;          /* every step, wherever it ran (0 when reused) */
    int64_t inline_us;         /* run at the start of the TLS phase: the fetch waited */
    int64_t during_dns_us;     /* run while the DNS answer was awaited */
    int64_t during_connect_us; /* run while the SYN+ACK was awaited */
};

/* Kernel TCP states (values of tcpi_state / idiag_state). */
enum wt_tcp_state {
    WT_TCP_UNKNOWN = 0,
    WT_TCP_ESTABLISHED = 1,
    WT_TCP_SYN_SENT,
    WT_TCP_SYN_RECV,
    WT_TCP_FIN_WAIT1,
    WT_TCP_FIN_WAIT2,
    WT_TCP_TIME_WAIT,
    WT_TCP_CLOSE,
    WT_TCP_CLOSE_WAIT,
    WT_TCP_LAST_ACK,
    WT_TCP_LISTEN,
    WT_TCP_CLOSING
};

#define WT_TEARDOWN_MAX_STATES 6

/* Why a connection attempt started (Happy Eyeballs, RFC 8305). */
enum wt_tcp_trigger {
    WT_TCP_FIRST,           /* the first address */
    WT_TCP_AFTER_DELAY,     /* the attempts before it had no answer within the delay */
    WT_TCP_AFTER_FAILURE    /* the attempt before it failed */
};

/* How a connection attempt that did not win ended. */
enum wt_tcp_outcome {
    WT_TCP_REFUSED,         /* RST: nothing listens on that port */
    WT_TCP_UNREACHABLE,     /* no route, ICMP unreachable, no usable source address */
    WT_TCP_TIMED_OUT,       /* no answer before the connect deadline */
    WT_TCP_ABANDONED,       /* closed because another attempt won */
    WT_TCP_ERROR            /* anything else: see err */
};

/* The socket calls of the lesson's tiny server and client. */
enum wt_socket_call {
    WT_CALL_SOCKET,
    WT_CALL_BIND,
    WT_CALL_LISTEN,
    WT_CALL_ACCEPT,
    WT_CALL_CONNECT,
    WT_CALL_RECV,
    WT_CALL_SEND,
    WT_CALL_SENDMSG,        /* send() of several buffers at once (head and body) */
    WT_CALL_SHUTDOWN,
    WT_CALL_CLOSE
};

/* Why a capture is not running. */
enum wt_capture_status {
    WT_CAPTURE_ON,
    WT_CAPTURE_NO_PERMISSION,   /* no CAP_NET_RAW */
    WT_CAPTURE_NO_LIBPCAP,      /* libpcap cannot be loaded */
    WT_CAPTURE_FAILED           /* libpcap refused (its words in message) */
};

/* The data segments of one connection, per direction: [0] client to
 * server, [1] server to client. Windows are scaled by the SYN's shift. */
struct wt_packet_data {
    uint64_t segments[2];       /* segments carrying payload */
    uint64_t bytes[2];          /* payload bytes, retransmissions included */
    uint64_t retransmissions[2];
    uint64_t pure_acks[2];      /* segments carrying no payload (after the handshake) */
    uint64_t window_changes[2];
    uint64_t window_min[2], window_max[2];
};

/* How a wait for 100 Continue ended. */
enum wt_expect_outcome {
    WT_EXPECT_CONTINUE,   /* 100 Continue: the body follows */
    WT_EXPECT_TIMEOUT,    /* no answer in --expect100-timeout: the body follows anyway */
    WT_EXPECT_FINAL,      /* a final response first: the body is not sent */
    WT_EXPECT_FINAL_AFTER_100, /* a final response right behind the 100, read before the
                                  body left: the body is not sent */
};

struct wt_event {
    enum wt_event_kind kind;
    enum wt_phase phase;
    size_t url_index;     /* which input URL (0-based) */
    unsigned hop;         /* which request of the URL's transfer: 0 first, 1 after a redirect... */
    int64_t t_us;         /* microseconds since this URL's transfer started */
    union {
        struct {
            enum wt_phase entered;
            const char *input;       /* the URL as typed (every phase event) */
            int64_t wall_us;         /* wall clock, microseconds since the epoch */
        } phase;
        struct {
            const char *input;       /* as typed */
            const char *normalized;
            const char *host;        /* an international name in its xn-- form */
            const char *host_unicode;  /* that name as typed (UTF-8), NULL for ASCII */
            int host_kind;           /* enum wt_host_kind */
            uint16_t port;
            int port_class;          /* enum wt_port_class */
            int scheme;              /* enum wt_scheme */
            const char *target;
        } url;
        struct {
            const char *name;
            size_t n_servers;
            const struct wt_endpoint *servers;
            int servers_from_cli;    /* --dns-server given, else resolv.conf */
            int family;              /* AF_UNSPEC / AF_INET / AF_INET6 */
        } dns_start;
        struct {
            const char *literal;
            int family;
        } dns_literal;
        struct {
            const char *host;        /* the URL's */
            uint16_t port;
            const char *to_host;     /* connected to instead */
            uint16_t to_port;
            const char *rule;        /* the --connect-to value as typed */
        } connect_to;
        struct {
            const char *name;
            uint16_t port;
            size_t n_addresses;
            const struct wt_endpoint *addresses;  /* port 0; after -4/-6 */
            size_t n_dropped;        /* addresses of the family -4/-6 excludes */
            const char *rule;        /* the --resolve value as typed */
        } dns_pinned;
        struct {
            struct wt_endpoint server;
            struct wt_endpoint local;
            int tcp;                 /* transport: 0 UDP, 1 TCP */
            uint16_t id;
            uint16_t qtype;
            const char *qname;       /* decoded from the packet (escaped form) */
            size_t bytes;
        } dns_query;
        struct {
            struct wt_endpoint server;   /* the one that did not answer */
            struct wt_endpoint next;     /* asked now (may be the same) */
            uint16_t id;
            uint16_t qtype;
            const char *qname;
            int64_t waited_us;
        } dns_no_answer;
        struct {
            struct wt_endpoint server;
            int tcp;
            uint16_t id;
            uint16_t qtype;
            const char *qname;
            int rcode;
            int truncated;
            int authoritative;
            unsigned ancount;
            size_t bytes;
            int64_t rtt_us;          /* -1 when the query was not seen */
        } dns_reply;
        struct {
            const char *name;        /* owner (escaped presentation form) */
            uint16_t type;
            uint32_t ttl;
            const char *data;        /* target name or address text */
        } dns_record;
        struct {
            struct wt_endpoint server;
        } dns_tcp_retry;
        struct {
            const char *name;
            enum wt_dns_source source;
            size_t n_addresses;
            const struct wt_endpoint *addresses;  /* port 0 */
            int64_t elapsed_us;
            int64_t ttl_left_us;     /* from the cache: how long the entry stays; else -1 */
            uint16_t unanswered_qtype;  /* asked, never answered before the budget ran
                                           out (the addresses are the other type's); 0 */
        } dns_done;
        struct {
            struct wt_endpoint remote;
            struct wt_endpoint local;   /* port 0 when none was bound */
            size_t attempt;          /* 1-based, in the order started */
            size_t of;
            enum wt_tcp_trigger trigger;
            int64_t delay_us;        /* the connection attempt delay in force */
            size_t running;          /* earlier attempts still racing */
        } tcp_attempt;
        struct {
            struct wt_endpoint remote;
            struct wt_endpoint local;   /* port 0 when none was bound */
            int err;                 /* errno, ETIMEDOUT for our deadline, 0 when abandoned */
            enum wt_tcp_outcome outcome;
            size_t attempt;
            size_t winner;           /* the attempt that won, when abandoned; else 0 */
            int64_t elapsed_us;
        } tcp_failed;
        struct {
            struct wt_endpoint local;
            struct wt_endpoint remote;
            size_t attempt;          /* the attempt that won */
            size_t of;
            int64_t elapsed_us;
            int state;               /* enum wt_tcp_state from TCP_INFO */
            uint32_t rtt_us, rttvar_us, snd_mss, rcv_mss, snd_cwnd;
            int have_info;
            unsigned conn;           /* the run's connection number (#1...), 0 unknown */
            int to_proxy;            /* the peer is the proxy, not the origin */
        } tcp_established;
        struct {
            const char *sni;         /* NULL for IP literals */
            const char *alpn;        /* offered */
            const char *versions;    /* "TLS 1.2–1.3" */
            struct wt_tls_setup_figures setup;   /* what preparing the ClientHello took */
        } tls_hello;
        struct {
            int64_t elapsed_us;
            const char *version;
            const char *cipher;
            const char *group;       /* key-exchange group, NULL if unknown */
            const char *alpn;        /* chosen, NULL if none */
            int resumed;
        } tls_done;
        struct {
            size_t index;            /* 0 = the server's own (leaf) */
            const char *subject;     /* raw UTF-8 from the certificate */
            const char *issuer;
            const char *not_before;  /* "YYYY-MM-DD" */
            const char *not_after;
            long days_left;          /* negative once expired */
            const char *sans;        /* leaf only: "DNS:a, IP Address:b", else NULL */
            const char *matched;     /* leaf only: the name verification matched */
        } tls_cert;
        struct {
            int ok;                  /* verification passed */
            int skipped;             /* -k: the result was not enforced */
            long code;               /* X509_V_* */
            const char *reason;      /* OpenSSL's words */
        } tls_verify;
        struct {
            int sent;                /* our close_notify went out */
            int peer_sent;           /* the peer's close_notify arrived */
        } tls_close;
        struct {
            const char *method;
            const char *target;
            const char *host_header;
            size_t n_headers;
            size_t bytes;
            const char *raw;         /* the whole request (for -v) */
            size_t body_bytes;       /* of bytes, after the head */
            const unsigned char *origin; /* enum wt_header_origin per header */
            const struct wt_form *form;  /* -F's parts, NULL without */
            int h2;                  /* sent as HTTP/2 HEADERS: bytes is that frame's payload */
            const char *scheme;      /* "http", "https": HTTP/2's :scheme */
            unsigned conn;           /* HTTP/2: the connection's number (0 unknown) */
            int32_t stream;          /* HTTP/2: the stream it went on */
        } http_request;
        struct {
            int action;              /* enum wt_cookie_action */
            const char *name;        /* from the network or the command line: escape */
            const char *domain;      /* NULL: any host (a cookie file's header line) */
            const char *path;
            int64_t expires;         /* Unix seconds, 0: a session cookie */
            int host_only;
            int secure;
            int http_only;
            const char *reason;      /* N_() sentence: why it was refused */
        } http_cookie;
        struct {
            int outcome;             /* enum wt_expect_outcome */
            int status;              /* 100, or the final status that came first */
            int64_t waited_us;       /* from the head's sending to this */
            size_t body_bytes;       /* sent now, or withheld */
            long timeout_ms;         /* --expect100-timeout */
        } http_expect;
        struct {
            int version_major, version_minor;
            int status;
            const char *reason;      /* raw bytes */
            size_t reason_len;
            int64_t wait_us;         /* request sent -> first byte */
        } http_status;
        struct {
            const char *name;
            size_t name_len;
            const char *value;
            size_t value_len;
            int folded;              /* an obs-fold was unfolded in it */
        } http_header;
        struct {
            int kind;                /* enum wt_http_deviation */
            const char *name;        /* "bare_lf" */
            const char *rfc;         /* "RFC 9112 §2.2" */
        } http_deviation;
        struct {
            enum wt_range_outcome outcome;
            int status;
            int64_t resume_from;     /* -C: where the body resumes; 0 for -r */
            const char *content_range;  /* the header's raw bytes, NULL when absent */
            size_t content_range_len;
        } http_range;
        struct {
            size_t n_headers;
            size_t header_bytes;
            enum wt_body_framing framing;
            int64_t content_length;  /* -1 when absent */
            int keep_alive;
        } http_headers_done;
        struct {
            int sent;                /* we sent it, else the peer did */
            int server;              /* told by webtrace serve: the peer is the client */
            uint64_t conn;           /* serve: the connection's number */
            int type;                /* RFC 9113 frame type; -1 the client's connection preface */
            const char *type_name;   /* "HEADERS", "SETTINGS", ... "PREFACE" */
            int32_t stream;          /* 0 the connection */
            uint8_t flags;
            size_t length;           /* payload bytes (frame header not counted) */
            size_t nth;              /* 1-based: of its type and direction on the connection */
            int end_stream, ack, end_headers;
            size_t n_settings;       /* SETTINGS: the values it carries */
            struct wt_h2_setting settings[WT_H2_MAX_SETTINGS];
            uint32_t error_code;     /* RST_STREAM, GOAWAY */
            const char *error_name;  /* "PROTOCOL_ERROR" */
            int32_t last_stream;     /* GOAWAY */
            uint32_t increment;      /* WINDOW_UPDATE */
            size_t n_headers;        /* HEADERS: fields, pseudo-headers included */
            size_t raw_bytes;        /* HEADERS: their names and values before HPACK */
            uint64_t ping;           /* PING: the 8 opaque bytes */
        } h2_frame;
        struct {
            int32_t stream;
            int server;              /* told by webtrace serve: frames sent, not received */
            uint64_t conn;           /* serve: the connection's number */
            size_t header_frames;    /* HEADERS received (interim, final, trailers) */
            size_t data_frames;      /* DATA received */
            uint64_t data_bytes;     /* DATA payload, padding included */
            int end_stream;          /* the server (serve: we) ended it with END_STREAM */
            int reset;               /* closed by RST_STREAM (or GOAWAY) */
            uint32_t error_code;
            const char *error_name;
        } h2_stream;
        struct {
            uint64_t bytes;          /* body bytes after de-chunking */
            enum wt_body_framing framing;
            int64_t elapsed_us;      /* first byte -> body complete */
            const char *sink;        /* "stdout", "discarded", or the file name */
            const char *encoding;    /* --compressed: the codings undone ("gzip"), else NULL */
            uint64_t decoded_bytes;  /* what they decoded to (bytes stays the wire size) */
            int truncated;           /* a coded stream ended before its end marker */
            uint64_t limit_rate;     /* --limit-rate: bytes per second, 0 none */
            uint64_t rate_pauses;    /* times reading paused to keep to it */
            int64_t rate_paused_us;  /* how long in all */
        } http_body_done;
        struct {
            uint64_t bytes;          /* body bytes received so far (wire size) */
        } http_body_progress;
        struct {
            int we_are_server;       /* observed from the server's side */
            uint64_t conn;           /* the server's connection number, 0 for a client */
            int reset;               /* the peer reset the connection (RST) */
            int we_closed_first;
            size_t n_states;
            enum wt_tcp_state states[WT_TEARDOWN_MAX_STATES]; /* as observed, in order */
            int peer_closed;         /* the peer's FIN was seen */
            int64_t time_wait_ms;    /* remaining TIME_WAIT timer, -1 unknown */
            int time_wait_is_ours;   /* TIME_WAIT on our side (else the server's) */
            int64_t elapsed_us;
        } tcp_teardown;
        struct {
            int status;              /* 301, 302, 303, 307, 308... */
            const char *location;    /* the header's raw bytes */
            size_t location_len;
            const char *url;         /* resolved against the request's URL; NULL if it cannot be */
            int followed;            /* -L: the next hop requests url */
            int limit_reached;       /* -L, but --max-redirs were followed already */
            const char *method;      /* the request that got this answer */
            const char *next_method; /* what the next hop sends (the status's rule) */
            int crosses_origin;      /* another scheme, host or port */
        } redirect;
        struct {
            enum wt_phase skipped;
            unsigned conn;           /* the reused connection that made it unneeded */
        } phase_skipped;
        struct {
            unsigned id;             /* #1, #2 ... */
            int scheme;              /* enum wt_scheme */
            const char *host;
            uint16_t port;
            unsigned requests;       /* requests it carried before (reuse, stale) or in all */
            int64_t idle_us;         /* how long it sat unused; -1 for kept */
            int peer_closed;         /* stale: the server closed it (else sent bytes unasked) */
            const char *message;     /* retry: what happened to it */
            size_t streams;          /* reuse: HTTP/2 streams open on it now (joined, not idle) */
        } conn;
        struct {
            const char *reason;      /* "http", "timeout", "connrefused", "all_errors" */
            int status;              /* the response's, 0 if none */
            int exit_code;           /* the attempt's (0: a transient status without -f) */
            unsigned attempt;        /* this retry's number, from 1 */
            unsigned max;            /* --retry N */
            int64_t wait_us;         /* before it starts */
            int retry_after;         /* the wait is what the response's Retry-After asked */
            int over_budget;         /* not retried: --retry-max-time would be passed */
            int64_t budget_us;       /* --retry-max-time; -1 for none */
        } retry;
        struct {
            unsigned hops;           /* requests made: 1 + the redirects followed */
            int exit_code;
            int64_t total_us;        /* the transfer's start to its last hop's end */
        } transfer_done;
        struct {
            enum wt_capture_status status;
            const char *device;      /* libpcap's device, "any" */
            const char *filter;      /* the BPF filter set before the SYN */
            const char *pcap_path;   /* --pcap FILE, NULL when none */
            const char *message;     /* why not (safe text), or NULL */
            int64_t setup_us;        /* opening it (not counted as connect time) */
        } capture_start;
        struct {
            int from_client;         /* direction: client -> server */
            uint8_t flags;           /* WT_TCP_SYN | ... (packets.h) */
            uint32_t seq, ack;       /* absolute, as on the wire */
            uint32_t rel_seq, rel_ack; /* from each side's first number, as Wireshark */
            int has_ack;
            const char *seq_is;      /* the textbook's name: "j", "k", "u", "w", or NULL */
            const char *ack_is;      /* "j+1", "k+1", "u+1", "w+1", or NULL */
            uint32_t window;         /* as in the header */
            uint32_t len;            /* payload bytes */
            int mss, wscale;         /* -1 absent (options: SYNs only) */
            int sack_ok;
            int has_ts;
            uint32_t ts_val, ts_ecr;
            int ttl;
            enum wt_tcp_state client_state, server_state; /* after this packet */
            int client_moved, server_moved;   /* which of them it changed */
            int64_t wire_us;         /* capture time, µs since the epoch */
        } tcp_packet;
        struct wt_packet_data tcp_data;
        struct {
            int we_are_server;
            uint64_t conn;           /* the server's connection number, 0 none */
            enum wt_socket_call call;
            int fd;                  /* the socket called on; -1 for socket() */
            int64_t result;          /* as returned: a descriptor, bytes, 0, or -1 */
            int err;                 /* errno when result is -1 */
            int family;              /* socket(): AF_INET / AF_INET6 */
            struct wt_endpoint addr; /* bind, connect: the address; accept: the peer */
            int backlog;             /* listen() */
            size_t len;              /* recv, send: the buffer length given */
        } socket_call;
        struct {
            struct wt_endpoint remote;
            int found;               /* the kernel answered the route query */
            const char *message;     /* why not, when not found */
            char ifname[WT_IFNAME_LEN];
            char source[WT_ADDR_STRLEN];
            char gateway[WT_ADDR_STRLEN];   /* "": directly connected */
            int local;               /* the destination is one of this machine's addresses */
            int loopback;            /* the interface has no link layer (lo) */
            int noarp;               /* the interface resolves no neighbours */
            int mtu;                 /* the interface's, -1 unknown */
            int path_mtu;            /* IP_MTU of the connected socket, -1 unknown */
            int ttl;                 /* IP_TTL / IPV6_UNICAST_HOPS of our packets, -1 unknown */
            int have_neigh;
            char next_hop[WT_ADDR_STRLEN];  /* the gateway, or the destination itself */
            char lladdr[WT_LLADDR_STRLEN];  /* the next hop's MAC address */
            const char *neigh_state; /* "REACHABLE", "STALE", ... */
        } route;
        struct {
            uint64_t conn;
            struct wt_endpoint client;
            int saved;               /* TCP_SAVED_SYN gave the SYN (else only the queue) */
            uint32_t seq;            /* the client's initial number, j */
            uint32_t window;
            int mss, wscale;         /* -1 absent */
            int sack_ok, has_ts;
            int ttl;
            int64_t queued;          /* connections waiting in the accept queue, -1 unknown */
            int64_t backlog;         /* its limit, -1 unknown */
        } serve_syn;
        struct {
            uint64_t packets;        /* of this connection */
            uint64_t ignored;        /* matched the filter, not this connection */
            uint64_t kernel_drops;   /* lost by the capture buffer */
            int complete;            /* the teardown's last ACK (or a RST) was seen */
            const char *pcap_path;   /* written, or NULL */
            const char *message;     /* a --pcap write problem, or NULL */
        } capture_end;
        struct {
            struct wt_endpoint local;
            int backlog;
            int tls;
            const char *scope;       /* who can reach this address, in words */
        } serve_listen;
        struct {
            uint64_t conn;
            struct wt_endpoint client;
            struct wt_endpoint local;
            size_t open_connections;
        } serve_accept;
        struct {
            uint64_t conn;
            const char *version;
            const char *cipher;
            const char *alpn;        /* what ALPN chose ("h2"), "" none */
        } serve_tls;
        struct {
            uint64_t conn;
            unsigned number;         /* 1-based request number on this connection */
            const char *method;
            const char *target;      /* raw bytes from the client */
            size_t target_len;
            size_t bytes;            /* request head bytes */
            size_t n_headers;
            int keep_alive;
        } serve_request;
        struct {
            uint64_t conn;
            int status;
            uint64_t body_bytes;
            uint64_t bytes;          /* head and body as sent */
            int64_t elapsed_us;      /* request parsed -> last byte written */
            int closing;             /* Connection: close sent */
        } serve_response;
        struct {
            struct wt_endpoint client;
            int status;              /* 503 sent, or 0: closed without a word (TLS) */
            const char *reason;      /* which limit, in words */
            size_t open_connections;
            size_t from_client;      /* open connections from the client's address */
        } serve_refuse;
        struct {
            uint64_t lines;          /* events not narrated since the last report */
            uint64_t total;          /* since the server started */
        } serve_narration_lost;
        struct {
            uint64_t conn;
            const char *reason;
        } serve_drop;
        struct {
            int64_t dns_us, connect_us, tls_us, wait_us, transfer_us, total_us; /* -1: not reached */
            int64_t tls_setup_us;    /* the part of the TLS set-up the fetch waited for; -1 no TLS */
            int64_t teardown_us;
        } summary;
        struct {
            int use;                 /* 1: through the proxy; 0: direct, bypass_* say why */
            const char *proxy;       /* "http://host:port", no credentials */
            const char *host;        /* the proxy's host (looked up and connected to) */
            uint16_t port;
            const char *source;      /* "-x/--proxy" or the environment variable */
            int tunnel;              /* CONNECT first (https, or -p) */
            int credentials;         /* Proxy-Authorization is sent */
            const char *url_host;    /* the URL's host */
            const char *bypass_source;   /* "--noproxy", "no_proxy" or "NO_PROXY" */
            const char *bypass_list;     /* the list as given */
        } proxy;
        struct {
            const char *authority;   /* host:port the tunnel is asked for */
            const char *raw;         /* the request's bytes */
            size_t bytes;
            size_t n_headers;
            int credentials;         /* with Proxy-Authorization */
        } proxy_connect;
        struct {
            int status;
            const char *reason;      /* raw bytes from the proxy */
            size_t reason_len;
            const char *raw;         /* the whole head, raw */
            size_t bytes;
            int64_t elapsed_us;      /* from the CONNECT sent to the head read */
            int opened;              /* 2xx: the tunnel is open */
        } proxy_reply;
        struct {
            const char *step;        /* "url", "dns", "tcp", "http", "output" */
            int exit_code;
            const char *message;     /* already safe text (escaped by the mechanic) */
        } error;
    } u;
};

struct wt_event_sink {
    void (*emit)(void *ctx, const struct wt_event *ev);
    void *ctx;
};

const char *wt_tcp_state_name(enum wt_tcp_state state);
const char *wt_phase_name(enum wt_phase phase);
/* "socket", "bind", ... as the call is named in C. */
const char *wt_socket_call_name(enum wt_socket_call call);

#endif
