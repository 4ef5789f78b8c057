/* capture: --packets and --pcap. Opens a libpcap capture (libpcap is loaded
 * on first use, so a fetch without --packets never maps it) with its BPF
 * filter set before the SYN leaves, reads it on the loop, keeps the one
 * connection that won, emits its story (packets.h) and writes the same
 * packets to a pcap file. Never prints; never touches the connection. */
#ifndef WEBTRACE_CAPTURE_H
#define WEBTRACE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include "webtrace/event.h"
#include "webtrace/loop.h"

/* Frames seen before the winning connection is known (its SYN, the other
 * attempts', another client's of the same server): kept at most this many. */
#define WT_CAPTURE_PENDING_MAX 64
/* Bytes kept of each such frame: a handshake frame is under 200; another
 * connection's full-size data frames are dropped anyway. */
#define WT_CAPTURE_PENDING_SNAP 512
/* How long the capture may hold the end of a trace for the teardown's last
 * packets (the peer's FIN, the last ACK) once our socket is closed. */
#define WT_CAPTURE_LINGER_MS 1000
/* Hosts named in the filter (every address the connector may try); with
 * more, the filter selects by port alone. */
#define WT_CAPTURE_MAX_HOSTS 16

struct wt_capture;

/* libpcap's version ("1.10.3"), loading the library if need be (for
 * --version); NULL with a sentence in err when it cannot be loaded. */
const char *wt_capture_library_version(char *err, size_t errlen);

/* Opens the capture for TCP to or from port on any of addrs. Emits
 * WT_EV_CAPTURE_START either way; returns NULL when capture is not possible
 * (no CAP_NET_RAW, no libpcap, ...): the trace goes on without packets.
 * pcap_path: also write the connection's packets there (NULL: no file). */
struct wt_capture *wt_capture_start(struct wt_loop *loop, const struct wt_endpoint *addrs,
                                    size_t n, uint16_t port, const char *pcap_path,
                                    const struct wt_event_sink *sink);
/* The connection that won: from here on only its packets count; the ones
 * already read are sorted out now. */
void wt_capture_set_connection(struct wt_capture *c, const struct wt_endpoint *local,
                               const struct wt_endpoint *remote);

typedef void (*wt_capture_done_proc)(void *ctx);
/* Our socket is closed: keep reading until the teardown's last packet is
 * seen or WT_CAPTURE_LINGER_MS pass, then emit the summary and
 * WT_EV_CAPTURE_END, finish the file and call done (always later, from
 * the loop). */
void wt_capture_finish(struct wt_capture *c, wt_capture_done_proc done, void *ctx);
/* Stops at once (a failed trace): what was seen is still reported and
 * written. done is not called. */
void wt_capture_free(struct wt_capture *c);

/* Pure: the BPF filter for port and hosts into buf. Returns 0, or -1 when
 * it does not fit. */
int wt_capture_filter(const struct wt_endpoint *addrs, size_t n, uint16_t port, char *buf,
                      size_t buflen);

#endif
