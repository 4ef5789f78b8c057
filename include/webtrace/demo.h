/* demo: the offline world for `webtrace demo`: a DNS server for the zone
 * webtrace.test, an HTTP and an HTTPS server, all on loopback ephemeral
 * ports inside this process, on the caller's loop. The client traces then
 * go through the normal path: nothing is faked. Never prints. */
#ifndef WEBTRACE_DEMO_H
#define WEBTRACE_DEMO_H

#include <stdint.h>
#include "webtrace/event.h"
#include "webtrace/loop.h"

#define WT_DEMO_HOST "www.webtrace.test"

struct wt_demo;

/* server_sink receives the servers' events (accept, request, response). */
struct wt_demo *wt_demo_start(struct wt_loop *loop, const struct wt_event_sink *server_sink,
                              char *err, size_t errlen);
uint16_t wt_demo_dns_port(const struct wt_demo *d);
uint16_t wt_demo_http_port(const struct wt_demo *d);
uint16_t wt_demo_https_port(const struct wt_demo *d);
/* The HTTPS server's certificate: the one thing the demo client trusts. */
const char *wt_demo_cert_pem(const struct wt_demo *d);
void wt_demo_free(struct wt_demo *d);

/* Where `webtrace demo --packets` can capture. Without CAP_NET_RAW the
 * process moves into a user and a network namespace of its own (it is
 * root there, over its own loopback only) and brings that loopback up;
 * call it first, while nothing else is open and no thread runs. */
enum wt_demo_capture {
    WT_DEMO_CAPTURE_HERE,       /* CAP_NET_RAW already: this machine's loopback */
    WT_DEMO_CAPTURE_OWN_NETNS,  /* in namespaces of its own */
    WT_DEMO_CAPTURE_BLOCKED     /* neither: why says so */
};
enum wt_demo_capture wt_demo_prepare_capture(char *why, size_t whylen);

#endif
