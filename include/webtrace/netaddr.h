/* netaddr: the few conversions between socket addresses, numeric text and
 * struct wt_endpoint that every network module needs. Pure. */
#ifndef WEBTRACE_NETADDR_H
#define WEBTRACE_NETADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "webtrace/event.h"

/* AF_INET/AF_INET6 only; anything else gives an empty endpoint. */
void wt_endpoint_from_sockaddr(const struct sockaddr *sa, struct wt_endpoint *ep);
/* Numeric IPv4 or IPv6 text (no brackets) and a port. Returns 0 or -1. */
int wt_sockaddr_from_text(const char *addr, uint16_t port, struct sockaddr_storage *ss,
                          socklen_t *len);
/* "127.0.0.1:80" or "[::1]:80". */
void wt_endpoint_format(const struct wt_endpoint *ep, char *buf, size_t buflen);

#endif
