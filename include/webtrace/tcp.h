/* tcp: the transport step. Non-blocking connects raced across addresses
 * (Happy Eyeballs v2, RFC 8305) under a deadline, TCP_INFO snapshots, and the teardown observed as the
 * kernel reports it (TCP_INFO while we hold the socket, sock_diag for what
 * lives on after close, such as TIME_WAIT). Emits events; never prints. */
#ifndef WEBTRACE_TCP_H
#define WEBTRACE_TCP_H

#include <stddef.h>
#include <stdint.h>
#include "webtrace/event.h"
#include "webtrace/loop.h"

/* How long the teardown waits for the peer's FIN before giving up watching. */
#define WT_TCP_TEARDOWN_MS 1000

struct wt_tcp_info {
    int state;                  /* enum wt_tcp_state */
    uint32_t rtt_us, rttvar_us, snd_mss, rcv_mss, snd_cwnd;
};

/* Reads TCP_INFO. Returns 0 or -1 (errno kept). */
int wt_tcp_info_read(int fd, struct wt_tcp_info *out);
/* Local and peer endpoints of a connected socket. */
int wt_tcp_endpoints(int fd, struct wt_endpoint *local, struct wt_endpoint *remote);
/* Asks sock_diag for the socket with exactly this 4-tuple (local side
 * first), in any state. Returns 1 and fills state/expires_ms when found, 0
 * when the kernel has no such socket, -1 on error. */
int wt_tcp_diag_lookup(const struct wt_endpoint *local, const struct wt_endpoint *remote,
                       int *state, int64_t *expires_ms);

/* fd >= 0 on success (caller owns it); otherwise exit_code 7 or 28 and a
 * terminal-safe sentence. */
typedef void (*wt_tcp_connected_proc)(void *ctx, int fd, int exit_code, const char *message);

struct wt_tcp_connector;

/* Races connects to addrs on port (Happy Eyeballs v2): the addresses are
 * interleaved by family, the first address's family first; each next
 * attempt starts when the earlier ones have had attempt_delay_us without an
 * answer, or at once when one fails; the first to connect wins and the
 * others are closed. Ends with 28 when deadline_us (loop clock, 0 = none)
 * passes. Every attempt is told as it starts and as it ends. done is always
 * called later from the loop. */
struct wt_tcp_connector *wt_tcp_connect_start(struct wt_loop *loop,
                                              const struct wt_endpoint *addrs, size_t n,
                                              uint16_t port, int64_t deadline_us,
                                              int64_t attempt_delay_us,
                                              const struct wt_event_sink *sink,
                                              wt_tcp_connected_proc done, void *ctx);
/* Reorders addrs as they are raced: families alternate, starting with the
 * family of addrs[0] (RFC 8305 §4); within a family the order is kept. */
void wt_tcp_interleave(struct wt_endpoint *addrs, size_t n);
/* A deadline outside the connector has passed: every attempt still racing
 * is told as timed out and closed. done is not called. */
void wt_tcp_connector_expire(struct wt_tcp_connector *c);
/* Cancels (done is not called) and closes any socket still in progress. */
void wt_tcp_connector_free(struct wt_tcp_connector *c);

typedef void (*wt_tcp_closed_proc)(void *ctx);

struct wt_tcp_teardown;

/* Takes ownership of fd and closes it, observing the states on the way.
 * peer_closed: we already read the peer's FIN. expect_peer_close: the peer
 * said it will close (Connection: close), so wait for it rather than close
 * first. server_conn: the server's connection number when observed from
 * webtrace serve, 0 for a client (only the narration changes). done is
 * always called later from the loop. */
struct wt_tcp_teardown *wt_tcp_teardown_start(struct wt_loop *loop, int fd,
                                              int peer_closed, int expect_peer_close,
                                              uint64_t server_conn, int64_t budget_us,
                                              const struct wt_event_sink *sink,
                                              wt_tcp_closed_proc done, void *ctx);
void wt_tcp_teardown_free(struct wt_tcp_teardown *td);

#endif
