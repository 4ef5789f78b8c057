/* serve: the other half of the story, a small single-threaded HTTP/1.1
 * server (HTTP/2 over TLS when ALPN picks h2, through h2_server) on the
 * same loop and event pipeline as the client. It binds,
 * listens, accepts, parses requests with llhttp (request mode), answers
 * from built-in endpoints (/, /bytes/N, /chunked/N, /status/CODE,
 * /delay/MS, /redirect/N, /headers) and closes, emitting events for every
 * step. Keep-alive and pipelining; idle clients are timed out; a malformed
 * request gets 400 and a close. Under pressure idle connections go first
 * and a client that cannot be taken hears 503, never a bare reset. Never
 * prints, and its narration never waits for a stderr nobody reads. */
#ifndef WEBTRACE_SERVE_H
#define WEBTRACE_SERVE_H

#include <stddef.h>
#include <stdint.h>
#include "webtrace/event.h"
#include "webtrace/loop.h"

#define WT_SERVE_DEFAULT_PORT 8080
#define WT_SERVE_BACKLOG 128
#define WT_SERVE_IDLE_MS 10000            /* idle keep-alive or slow request head */
#define WT_SERVE_MAX_HEAD (16 * 1024)     /* request line and headers */
#define WT_SERVE_MAX_CONNECTIONS 1024   /* fewer when RLIMIT_NOFILE is short */
#define WT_SERVE_MAX_PER_CLIENT 512     /* connections from one client address */
#define WT_SERVE_MAX_REFUSING 64        /* refused clients read out before close */
#define WT_SERVE_WRITE_BUDGET (128 * 1024) /* bytes per connection per wakeup */
#define WT_SERVE_MAX_BYTES (1ULL << 40)   /* /bytes/N and /chunked/N limit */
#define WT_SERVE_MAX_DELAY_MS 60000
#define WT_SERVE_MAX_REDIRECTS 1000
#define WT_SERVE_MAX_FLAKY 64           /* /status/CODE?times=K targets counted */
#define WT_SERVE_FLAKY_TARGET_MAX 256   /* the longest such target counted */
#define WT_SERVE_MAX_RETRY_AFTER 86400  /* /status/CODE?retry-after=S limit */

struct wt_server_config {
    const char *bind_addr;      /* numeric IPv4/IPv6; NULL: 127.0.0.1 */
    uint16_t port;              /* 0: the kernel picks */
    int tls;                    /* serve https */
    const char *cert_file;      /* PEM; NULL with tls: generated in memory */
    const char *key_file;
    long idle_timeout_ms;       /* 0: WT_SERVE_IDLE_MS */
    int observe_teardown;       /* narrate each close through tcp teardown */
    int narrate_calls;          /* name every socket call (socket, bind, listen,
                                   accept, recv, send, shutdown, close) */
    int loopback_pair;          /* with 127.0.0.1: also [::1] on the same port, when
                                   IPv6 is there (a name with A and AAAA works) */
    size_t max_connections;     /* 0: WT_SERVE_MAX_CONNECTIONS */
    size_t max_per_client;      /* 0: WT_SERVE_MAX_PER_CLIENT */
};

struct wt_server;

struct wt_server *wt_server_start(struct wt_loop *loop, const struct wt_server_config *config,
                                  const struct wt_event_sink *sink, char *err, size_t errlen);
uint16_t wt_server_port(const struct wt_server *s);
/* With tls: the certificate the server presents, PEM (to trust it). */
const char *wt_server_cert_pem(const struct wt_server *s);
size_t wt_server_open_connections(const struct wt_server *s);
/* Closes the listener and every connection. NULL is a no-op. */
void wt_server_free(struct wt_server *s);

#endif
