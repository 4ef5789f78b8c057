#include "webtrace/route.h"
#include "webtrace/i18n.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* A route reply is a few hundred bytes; a neighbour dump holds one entry
 * per neighbour: room for thousands. */
#define NL_BUF_SIZE (64 * 1024)
/* The kernel answers at once; this only bounds a kernel that does not. */
#define NL_TIMEOUT_MS 1000
#define NL_MAX_REPLIES 256    /* messages read for one dump */

const char *wt_route_neigh_state_name(unsigned state)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        { NUD_REACHABLE, "REACHABLE" }, { NUD_STALE, "STALE" }, { NUD_DELAY, "DELAY" },
        { NUD_PROBE, "PROBE" },         { NUD_FAILED, "FAILED" },
        { NUD_INCOMPLETE, "INCOMPLETE" }, { NUD_PERMANENT, "PERMANENT" },
        { NUD_NOARP, "NOARP" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (state & names[i].bit)
            return names[i].name;
    return "NONE";
}

static int nl_open(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -1;
    struct timeval tv = { NL_TIMEOUT_MS / 1000, (NL_TIMEOUT_MS % 1000) * 1000 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static void add_attr(struct nlmsghdr *n, size_t cap, int type, const void *data, size_t len)
{
    struct rtattr *rta = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));
    size_t need = RTA_LENGTH(len);
    if (NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(need) > cap)
        return;
    rta->rta_type = (unsigned short)type;
    rta->rta_len = (unsigned short)need;
    memcpy(RTA_DATA(rta), data, len);
    n->nlmsg_len = (uint32_t)(NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(need));
}

static void addr_text(int family, const void *raw, char *buf, size_t buflen)
{
    if (!inet_ntop(family, raw, buf, (socklen_t)buflen))
        buf[0] = '\0';
}

/* RTM_GETROUTE for one destination, as `ip route get` asks it. */
static int query_route(int nl, char *buf, int family, const void *dst, size_t dstlen,
                       struct wt_event *ev, int *oif)
{
    struct {
        struct nlmsghdr n;
        struct rtmsg r;
        char attrs[64];
    } req;
    memset(&req, 0, sizeof req);
    req.n.nlmsg_len = NLMSG_LENGTH(sizeof req.r);
    req.n.nlmsg_type = RTM_GETROUTE;
    req.n.nlmsg_flags = NLM_F_REQUEST;
    req.n.nlmsg_seq = 1;
    req.r.rtm_family = (unsigned char)family;
    req.r.rtm_dst_len = (unsigned char)(dstlen * 8);
    add_attr(&req.n, sizeof req, RTA_DST, dst, dstlen);
    if (send(nl, &req, req.n.nlmsg_len, 0) < 0)
        return -1;
    ssize_t len = recv(nl, buf, NL_BUF_SIZE, 0);
    if (len < 0)
        return -1;
    for (struct nlmsghdr *n = (struct nlmsghdr *)buf; NLMSG_OK(n, (size_t)len);
         n = NLMSG_NEXT(n, len)) {
        if (n->nlmsg_type == NLMSG_ERROR) {
            struct nlmsgerr *e = NLMSG_DATA(n);
            errno = e->error ? -e->error : EPROTO;
            return -1;
        }
        if (n->nlmsg_type != RTM_NEWROUTE)
            continue;
        struct rtmsg *r = NLMSG_DATA(n);
        ev->u.route.local = r->rtm_type == RTN_LOCAL;
        int attrlen = (int)RTM_PAYLOAD(n);
        for (struct rtattr *a = RTM_RTA(r); RTA_OK(a, attrlen); a = RTA_NEXT(a, attrlen)) {
            if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) >= sizeof(int))
                memcpy(oif, RTA_DATA(a), sizeof(int));
            else if (a->rta_type == RTA_PREFSRC && RTA_PAYLOAD(a) >= dstlen)
                addr_text(family, RTA_DATA(a), ev->u.route.source, sizeof ev->u.route.source);
            else if (a->rta_type == RTA_GATEWAY && RTA_PAYLOAD(a) >= dstlen)
                addr_text(family, RTA_DATA(a), ev->u.route.gateway, sizeof ev->u.route.gateway);
        }
        return 0;
    }
    errno = ENOENT;
    return -1;
}

static void format_lladdr(const unsigned char *p, size_t len, char *buf, size_t buflen)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < len && used + 4 <= buflen; i++)
        used += (size_t)snprintf(buf + used, buflen - used, "%s%02x", i ? ":" : "", p[i]);
}

/* The neighbour entry for next_hop on oif, from a dump of the table (what
 * `ip neigh` lists). */
static void query_neigh(int nl, char *buf, int family, int oif, const void *hop,
                        size_t hoplen, struct wt_event *ev)
{
    struct {
        struct nlmsghdr n;
        struct ndmsg nd;
    } req;
    memset(&req, 0, sizeof req);
    req.n.nlmsg_len = NLMSG_LENGTH(sizeof req.nd);
    req.n.nlmsg_type = RTM_GETNEIGH;
    req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.n.nlmsg_seq = 2;
    req.nd.ndm_family = (unsigned char)family;
    if (send(nl, &req, req.n.nlmsg_len, 0) < 0)
        return;
    for (int replies = 0; replies < NL_MAX_REPLIES; replies++) {
        ssize_t len = recv(nl, buf, NL_BUF_SIZE, 0);
        if (len <= 0)
            return;
        for (struct nlmsghdr *n = (struct nlmsghdr *)buf; NLMSG_OK(n, (size_t)len);
             n = NLMSG_NEXT(n, len)) {
            if (n->nlmsg_type == NLMSG_DONE || n->nlmsg_type == NLMSG_ERROR)
                return;
            if (n->nlmsg_type != RTM_NEWNEIGH || ev->u.route.have_neigh)
                continue;
            struct ndmsg *nd = NLMSG_DATA(n);
            if (nd->ndm_ifindex != oif)
                continue;
            int attrlen = (int)(n->nlmsg_len - NLMSG_LENGTH(sizeof *nd));
            const void *dst = NULL;
            const unsigned char *ll = NULL;
            size_t lllen = 0;
            for (struct rtattr *a = (struct rtattr *)((char *)nd + NLMSG_ALIGN(sizeof *nd));
                 RTA_OK(a, attrlen); a = RTA_NEXT(a, attrlen)) {
                if (a->rta_type == NDA_DST && RTA_PAYLOAD(a) == hoplen)
                    dst = RTA_DATA(a);
                else if (a->rta_type == NDA_LLADDR) {
                    ll = RTA_DATA(a);
                    lllen = RTA_PAYLOAD(a);
                }
            }
            if (!dst || memcmp(dst, hop, hoplen) != 0)
                continue;
            ev->u.route.have_neigh = 1;
            ev->u.route.neigh_state = wt_route_neigh_state_name(nd->ndm_state);
            if (ll)
                format_lladdr(ll, lllen, ev->u.route.lladdr, sizeof ev->u.route.lladdr);
        }
    }
}

static void interface_facts(int oif, struct wt_event *ev)
{
    if (!if_indextoname((unsigned)oif, ev->u.route.ifname))
        return;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, ev->u.route.ifname, strnlen(ev->u.route.ifname, IFNAMSIZ - 1));
    if (ioctl(fd, SIOCGIFMTU, &ifr) == 0)
        ev->u.route.mtu = ifr.ifr_mtu;
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
        ev->u.route.loopback = (ifr.ifr_flags & IFF_LOOPBACK) != 0;
        ev->u.route.noarp = (ifr.ifr_flags & IFF_NOARP) != 0;
    }
    close(fd);
}

/* What the connected socket itself says: the path MTU the kernel keeps for
 * the destination, and the TTL (hop limit) our packets leave with. */
static void socket_facts(int fd, int family, struct wt_event *ev)
{
    int v;
    socklen_t len = sizeof v;
    if (getsockopt(fd, family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
                   family == AF_INET6 ? IPV6_MTU : IP_MTU, &v, &len) == 0)
        ev->u.route.path_mtu = v;
    len = sizeof v;
    if (getsockopt(fd, family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
                   family == AF_INET6 ? IPV6_UNICAST_HOPS : IP_TTL, &v, &len) == 0)
        ev->u.route.ttl = v;
}

void wt_route_describe(int fd, const struct wt_endpoint *remote, struct wt_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = WT_EV_ROUTE;
    ev->u.route.remote = *remote;
    ev->u.route.mtu = ev->u.route.path_mtu = ev->u.route.ttl = -1;
    socket_facts(fd, remote->family, ev);
    unsigned char dst[sizeof(struct in6_addr)];
    size_t dstlen = remote->family == AF_INET6 ? 16 : 4;
    if (inet_pton(remote->family, remote->addr, dst) != 1) {
        ev->u.route.message = N_("not an IP address");
        return;
    }
    char *buf = malloc(NL_BUF_SIZE);
    int nl = buf ? nl_open() : -1;
    if (nl < 0) {
        ev->u.route.message = N_("no netlink socket");
        free(buf);
        return;
    }
    int oif = 0;
    if (query_route(nl, buf, remote->family, dst, dstlen, ev, &oif) < 0) {
        ev->u.route.message = N_("the kernel has no route");
        close(nl);
        free(buf);
        return;
    }
    ev->u.route.found = 1;
    if (oif)
        interface_facts(oif, ev);
    /* The next hop: the gateway, or on a directly connected network the
     * destination itself. Loopback has no link layer to resolve. */
    unsigned char hop[sizeof(struct in6_addr)];
    const char *hop_text = ev->u.route.gateway[0] ? ev->u.route.gateway : remote->addr;
    snprintf(ev->u.route.next_hop, sizeof ev->u.route.next_hop, "%s", hop_text);
    if (oif && !ev->u.route.loopback && !ev->u.route.noarp &&
        inet_pton(remote->family, hop_text, hop) == 1)
        query_neigh(nl, buf, remote->family, oif, hop, dstlen, ev);
    close(nl);
    free(buf);
}
