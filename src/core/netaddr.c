#include "webtrace/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

void wt_endpoint_from_sockaddr(const struct sockaddr *sa, struct wt_endpoint *ep)
{
    memset(ep, 0, sizeof *ep);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, ep->addr, sizeof ep->addr);
        ep->port = ntohs(in->sin_port);
        ep->family = AF_INET;
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ep->addr, sizeof ep->addr);
        ep->port = ntohs(in6->sin6_port);
        ep->family = AF_INET6;
    }
}

int wt_sockaddr_from_text(const char *addr, uint16_t port, struct sockaddr_storage *ss,
                          socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        *len = sizeof *in;
        return 0;
    }
    if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        *len = sizeof *in6;
        return 0;
    }
    return -1;
}

void wt_endpoint_format(const struct wt_endpoint *ep, char *buf, size_t buflen)
{
    if (ep->family == AF_INET6)
        snprintf(buf, buflen, "[%s]:%u", ep->addr, ep->port);
    else
        snprintf(buf, buflen, "%s:%u", ep->addr, ep->port);
}
