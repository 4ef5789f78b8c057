/* route: the layers below TCP for one connected socket, read with
 * rtnetlink (no root needed): the route the kernel chose (interface,
 * source, gateway or directly connected), the next hop's link-layer
 * address and neighbour state (ARP / NDP), the interface's MTU, the path
 * MTU and the TTL of our packets. Fills an event; never prints. */
#ifndef WEBTRACE_ROUTE_H
#define WEBTRACE_ROUTE_H

#include "webtrace/event.h"

/* Fills ev (a WT_EV_ROUTE) for the connected socket fd to remote. Always
 * fills it: when the kernel does not answer, found is 0 and message says
 * why. */
void wt_route_describe(int fd, const struct wt_endpoint *remote, struct wt_event *ev);

/* Pure: the name of a neighbour state (NUD_REACHABLE -> "REACHABLE"). */
const char *wt_route_neigh_state_name(unsigned state);

#endif
