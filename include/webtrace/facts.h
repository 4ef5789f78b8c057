/* facts: what one trace established, gathered from its events (times,
 * endpoints, status, sizes, headers, DNS and TLS details), and the one
 * sorted table of named variables over them that -w, the JSON summary and
 * HAR all read. Consumes events; prints nothing. */
#ifndef WEBTRACE_FACTS_H
#define WEBTRACE_FACTS_H

#include <stddef.h>
#include <stdint.h>
#include "webtrace/event.h"

#define WT_FACTS_MAX_HEADERS 256    /* response/request headers kept */
#define WT_FACTS_CHAIN_MAX 512      /* CNAME chain text */

struct wt_header {
    char *name;
    size_t name_len;
    char *value;
    size_t value_len;
};

struct wt_facts {
    size_t url_index;
    char *input;                    /* as typed */
    char *url;                      /* normalized, once parsed */
    int64_t wall_start_us;          /* realtime at the start */
    int64_t phase_us[WT_PHASE_FAILED + 1];  /* t_us each phase was entered, -1 never */
    int64_t end_us;                 /* t_us of the summary */
    int64_t dns_us, connect_us, tls_us, wait_us, transfer_us, teardown_us;
    int64_t tls_setup_us;            /* the run's TLS set-up, all steps; 0 reused, -1 no TLS */

    char dns_server[WT_ADDR_STRLEN + 8];
    char cname_chain[WT_FACTS_CHAIN_MAX];   /* "a -> b -> c" */
    int dns_from_hosts;
    int dns_from_cache;             /* an earlier lookup of the run answered */
    int used_dns;

    int connected;
    int attempted;               /* a connect attempt failed: remote is its peer */
    struct wt_endpoint local, remote;
    uint32_t tcp_rtt_us, tcp_mss;
    int num_connects;
    unsigned num_retries;        /* --retry: attempts started again (kept across them) */
    int retry_pending;           /* a retry event came: the next first hop keeps the count */

    int tls;
    char tls_version[32];
    char tls_cipher[96];
    char tls_alpn[32];
    long ssl_verify_result;         /* X509_V_*; 0 when no TLS */
    char *ssl_verify_reason;
    size_t n_certs;
    struct {
        char *subject, *issuer, *not_before, *not_after;
        long days_left;
    } certs[4];                     /* the first certificates of the chain */

    char *request_method;
    char *request_target;
    size_t size_request;          /* request head bytes, as curl counts them */
    size_t size_upload;           /* request body bytes */
    size_t n_request_headers;
    struct wt_header request_headers[16];

    int http_code;
    int http_connect;             /* the proxy's status for CONNECT, 0 when none */
    int64_t tunnel_us;            /* t_us the CONNECT left (TCP to the proxy up), -1 none */
    int http_major, http_minor;
    char *reason;
    size_t reason_len;
    size_t size_header;
    size_t n_headers;
    struct wt_header headers[WT_FACTS_MAX_HEADERS];
    uint64_t size_download;
    uint64_t size_decoded;        /* the body as written: decoded with --compressed */
    enum wt_body_framing framing;

    int teardown_seen;
    int we_closed_first;

    int exitcode;
    char *errormsg;
    char *error_step;

    /* The transfer's hops. curl adds each hop's name lookup, connect,
     * appconnect, pretransfer and starttransfer times (each from that hop's
     * start) into one figure; the sums of the hops before this one are kept
     * here, indexed by enum wt_facts_mark. */
    unsigned hop;                   /* the current hop: 0 first */
    int64_t hop_start_us;           /* t_us the current hop began */
    int64_t redirect_us;            /* t_us the last hop began: curl's time_redirect */
    int64_t earlier_hops_us[5];
    char *redirect_url;             /* where an unfollowed 3xx points */
};

enum wt_facts_mark {
    WT_MARK_NAMELOOKUP, WT_MARK_CONNECT, WT_MARK_APPCONNECT, WT_MARK_PRETRANSFER,
    WT_MARK_STARTTRANSFER
};

void wt_facts_init(struct wt_facts *f);
void wt_facts_clear(struct wt_facts *f);
/* Updates f from one event. A phase event for WT_PHASE_URL starts a new
 * transfer (hop 0) or the next hop of the same one. */
void wt_facts_feed(struct wt_facts *f, const struct wt_event *ev);
/* The facts of the URLs under way, one per url_index: with -Z the events
 * of several URLs interleave. A URL's facts begin at its first phase event
 * (hop 0) and end when released after its transfer_done. */
struct wt_facts_set {
    struct wt_facts **items;
    size_t n, cap;
    struct wt_facts none;           /* for events of no URL under way */
};

void wt_facts_set_init(struct wt_facts_set *set);
void wt_facts_set_clear(struct wt_facts_set *set);
/* Feeds ev to its URL's facts and returns them (the empty `none` for an
 * event outside any URL under way, or when memory ran out). */
struct wt_facts *wt_facts_set_feed(struct wt_facts_set *set, const struct wt_event *ev);
void wt_facts_set_release(struct wt_facts_set *set, size_t url_index);

/* The value of a response header (first match, case-insensitive), or NULL. */
const struct wt_header *wt_facts_header(const struct wt_facts *f, const char *name);

enum wt_var_type { WT_VAR_STRING, WT_VAR_INT, WT_VAR_SECONDS };

struct wt_var_value {
    enum wt_var_type type;
    int present;           /* 0: null in JSON, empty in -w */
    int64_t i;             /* INT; SECONDS as microseconds */
    const char *s;         /* STRING: raw bytes, may come from the network */
    size_t s_len;
};

struct wt_var {
    const char *name;
    void (*get)(const struct wt_facts *f, struct wt_var_value *out);
};

/* Sorted by name. curl's variables keep curl's names and meaning; the ones
 * only webtrace has start with "wt_" so they can never clash. */
extern const struct wt_var wt_vars[];
extern const size_t wt_n_vars;
const struct wt_var *wt_var_find(const char *name, size_t len);

#endif
