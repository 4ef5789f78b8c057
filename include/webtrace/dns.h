/* dns: resolve one host name with c-ares on the caller's loop, and report
 * every packet it sends and receives as events (by wrapping c-ares's socket
 * functions, so the narration shows real ids, rcodes and bytes). It does not
 * print, and it never blocks. */
#ifndef WEBTRACE_DNS_H
#define WEBTRACE_DNS_H

#include <stddef.h>
#include "webtrace/cli.h"
#include "webtrace/event.h"
#include "webtrace/loop.h"

struct wt_dns_config {
    const struct wt_dns_server *servers;  /* NULL/0: /etc/resolv.conf */
    size_t n_servers;
    long timeout_ms;                      /* whole-lookup budget */
    int family;                           /* AF_UNSPEC, AF_INET, AF_INET6 */
};

struct wt_dns_result {
    int exit_code;                        /* 0, 6 (resolve) or 28 (timeout) */
    enum wt_dns_source source;
    size_t n_addresses;
    /* Every address of the answer (no cap: a 64 KiB answer over TCP holds
     * thousands), owned by the lookup: valid until wt_dns_lookup_free. */
    struct wt_endpoint *addresses;
    int64_t elapsed_us;
    char message[512];                    /* on failure: one sentence, terminal-safe */
};

typedef void (*wt_dns_done_proc)(void *ctx, const struct wt_dns_result *result);

struct wt_dns_lookup;

/* Must be called once per process before any lookup. Returns 0 or -1. */
int wt_dns_global_init(void);
void wt_dns_global_cleanup(void);

/* Starts resolving name. Events go to sink; done is called exactly once,
 * always later from the loop (never from inside this call), also on
 * failure. Returns NULL (and a sentence in err) when the resolver cannot
 * be set up at all. */
struct wt_dns_lookup *wt_dns_lookup_start(struct wt_loop *loop,
                                          const struct wt_dns_config *config,
                                          const char *name,
                                          const struct wt_event_sink *sink,
                                          wt_dns_done_proc done, void *ctx,
                                          char *err, size_t errlen);
/* Cancels a pending lookup (done is not called) and releases everything.
 * NULL is a no-op. Never call it from inside the done callback's caller
 * chain of c-ares: done is delivered from a loop timer, where it is safe. */
void wt_dns_lookup_free(struct wt_dns_lookup *lookup);

#endif
