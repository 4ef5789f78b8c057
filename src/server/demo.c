#include "webtrace/demo.h"

#include <stdio.h>
#include <stdlib.h>

#include "webtrace/dnsserver.h"
#include "webtrace/escape.h"
#include "webtrace/serve.h"

struct wt_demo {
    struct wt_dnsserver *dns;
    struct wt_server *http;
    struct wt_server *https;
};

struct wt_demo *wt_demo_start(struct wt_loop *loop, const struct wt_event_sink *server_sink,
                              char *err, size_t errlen)
{
    struct wt_demo *d = calloc(1, sizeof *d);
    if (!d) {
        wt_errf(err, errlen, "out of memory");
        return NULL;
    }
    d->dns = wt_dnsserver_start(loop, &wt_demo_zone, "127.0.0.1", 0, err, errlen);
    /* The client narrates the teardown; the servers only say what they
     * accepted and answered. */
    struct wt_server_config http = { .bind_addr = "127.0.0.1", .loopback_pair = 1 };
    struct wt_server_config https = { .bind_addr = "127.0.0.1", .loopback_pair = 1, .tls = 1 };
    if (d->dns)
        d->http = wt_server_start(loop, &http, server_sink, err, errlen);
    if (d->http)
        d->https = wt_server_start(loop, &https, server_sink, err, errlen);
    if (!d->https) {
        wt_demo_free(d);
        return NULL;
    }
    return d;
}

uint16_t wt_demo_dns_port(const struct wt_demo *d) { return wt_dnsserver_port(d->dns); }
uint16_t wt_demo_http_port(const struct wt_demo *d) { return wt_server_port(d->http); }
uint16_t wt_demo_https_port(const struct wt_demo *d) { return wt_server_port(d->https); }
const char *wt_demo_cert_pem(const struct wt_demo *d) { return wt_server_cert_pem(d->https); }

void wt_demo_free(struct wt_demo *d)
{
    if (!d)
        return;
    wt_server_free(d->https);
    wt_server_free(d->http);
    wt_dnsserver_free(d->dns);
    free(d);
}
