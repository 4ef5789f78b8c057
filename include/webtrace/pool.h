/* pool: the run's open connections, numbered #1, #2 ... in the order they
 * were made, and kept idle by origin (scheme, host, port) between the
 * requests of a run so a later hop or URL can reuse one. It closes them
 * when the run ends, narrating each teardown then. It knows no transfer
 * and no trace: whoever holds a connection says where its events go. */
#ifndef WEBTRACE_POOL_H
#define WEBTRACE_POOL_H

#include <stddef.h>
#include <stdint.h>
#include "webtrace/event.h"
#include "webtrace/loop.h"
#include "webtrace/url.h"

#define WT_POOL_MAX_IDLE 64   /* idle connections kept; the oldest is closed beyond */

#define WT_POOL_VIA_MAX 1024  /* a proxy's key: its address and user */

struct wt_tls;
struct wt_h2;

/* One connection. The TLS session sends its events to &relay, which
 * forwards them to owner: the trace using it, or the pool while it closes,
 * so the session outlives any one trace. */
struct wt_conn {
    unsigned id;                     /* #1, #2 ... */
    enum wt_scheme scheme;
    char host[WT_HOST_MAX_LEN + 2];
    uint16_t port;
    /* The proxy it goes through ("http://host:port", with who it
     * authenticated as), "" for a direct connection: part of the key, so
     * neither is ever used for the other. */
    char via[WT_POOL_VIA_MAX];
    int fd;
    struct wt_tls *tls;              /* https only */
    struct wt_h2 *h2;                /* HTTP/2: its session (HPACK tables, stream ids) */
    struct wt_endpoint local, remote;
    unsigned requests;               /* requests sent on it so far */
    /* HTTP/2 with requests on it: the pool offers it to more while its
     * streams are open (wt_pool_share); whoever owns a stream reads it. */
    int shared;
    int peer_closed;                 /* the server closed its side */
    uint64_t resume_timer;           /* shared: the reader comes back for bytes inside TLS */
    int64_t idle_since;              /* loop time it went back to the pool */
    struct wt_event_sink relay;
    const struct wt_event_sink *owner;
    /* The last request's URL, hop and transfer start: its close at the end
     * of the run is narrated as part of that URL. */
    size_t last_url_index;
    unsigned last_hop;
    int64_t last_t0;
    struct wt_conn *next;
};

struct wt_pool;

struct wt_pool *wt_pool_new(struct wt_loop *loop, const struct wt_event_sink *sink);
/* A new connection's record (fd -1, no TLS yet), numbered; NULL on ENOMEM. */
struct wt_conn *wt_pool_conn_new(struct wt_pool *p, enum wt_scheme scheme, const char *host,
                                 uint16_t port);
/* Frees a connection the pool does not hold (its fd and TLS already gone). */
void wt_conn_free(struct wt_conn *c);

/* Why an idle connection could not be reused. */
struct wt_pool_stale {
    unsigned id;
    int64_t idle_us;
    int peer_closed;                 /* the server closed it (else it sent bytes unasked) */
};

/* A shared HTTP/2 connection to the origin with room for one more stream
 * (c->shared set, it stays shared), else an idle connection to the
 * origin, still open, taken out of the pool; NULL when there is none. One found closed by its server while idle is
 * closed quietly and described in *stale (stale->id 0: none was). */
struct wt_conn *wt_pool_take(struct wt_pool *p, enum wt_scheme scheme, const char *host,
                             uint16_t port, struct wt_pool_stale *stale);
/* How many idle connections to the origin the pool holds. */
size_t wt_pool_idle_count(const struct wt_pool *p, enum wt_scheme scheme, const char *host,
                          uint16_t port);
/* The same for a connection through the proxy via ("" direct). */
struct wt_conn *wt_pool_take_via(struct wt_pool *p, enum wt_scheme scheme, const char *host,
                                 uint16_t port, const char *via, struct wt_pool_stale *stale);
/* An HTTP/2 connection carrying streams: wt_pool_take_via offers it to
 * the origin's next request too, without taking it out, while its session
 * can open one more stream. The pool does not own it: the last request
 * to leave unshares it and keeps it idle, closes it, or frees it. */
void wt_pool_share(struct wt_pool *p, struct wt_conn *c);
void wt_pool_unshare(struct wt_pool *p, struct wt_conn *c);
/* Keeps c idle for reuse (the pool owns it from now on). */
void wt_pool_put(struct wt_pool *p, struct wt_conn *c);
/* Starts closing every idle connection, each teardown narrated; run the
 * loop until wt_pool_closed. */
void wt_pool_close_all(struct wt_pool *p);
int wt_pool_closed(const struct wt_pool *p);
void wt_pool_free(struct wt_pool *p);

#endif
