#include "webtrace/demo.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* ---- a network of its own, for --packets ---------------------------------- */

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)len ? 0 : -1;
}

/* A packet socket is what capturing needs: opening one (protocol 0 hears
 * nothing until bound) tells whether we may. */
static int may_capture(void)
{
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

static int bring_loopback_up(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, "lo", 3);
    int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
    if (rc == 0) {
        ifr.ifr_flags |= IFF_UP;
        rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

enum wt_demo_capture wt_demo_prepare_capture(char *why, size_t whylen)
{
    if (may_capture())
        return WT_DEMO_CAPTURE_HERE;
    uid_t uid = getuid();
    gid_t gid = getgid();
    /* The new user namespace maps us to its root: that root owns the new
     * network namespace, so it may capture there, and nowhere else. */
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
        wt_errf(why, whylen, "user namespaces are not available here (unshare: %s)",
                 strerror(errno));
        return WT_DEMO_CAPTURE_BLOCKED;
    }
    char map[64];
    const char *step = "/proc/self/setgroups";
    /* setgroups must be denied before an unprivileged process may write
     * its gid_map (user_namespaces(7)). */
    int rc = write_file(step, "deny");
    if (rc == 0) {
        step = "/proc/self/uid_map";
        snprintf(map, sizeof map, "0 %lu 1", (unsigned long)uid);
        rc = write_file(step, map);
    }
    if (rc == 0) {
        step = "/proc/self/gid_map";
        snprintf(map, sizeof map, "0 %lu 1", (unsigned long)gid);
        rc = write_file(step, map);
    }
    if (rc == 0) {
        step = "bringing its loopback up";
        rc = bring_loopback_up();
    }
    if (rc < 0 || !may_capture()) {
        /* The namespaces stay (there is no way back), with a loopback of
         * their own: the demo still runs, without packets. */
        wt_errf(why, whylen, "a namespace of its own did not allow it (%s: %s)",
                 rc < 0 ? step : "a packet socket", strerror(errno));
        return WT_DEMO_CAPTURE_BLOCKED;
    }
    return WT_DEMO_CAPTURE_OWN_NETNS;
}
