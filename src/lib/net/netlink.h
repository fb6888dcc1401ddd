/* Links, addresses and routes through rtnetlink (libmnl): the bridge, the
 * veth pair whose container end is made directly inside the container's
 * network namespace as eth0, and that end's configuration.  Never runs
 * `ip`.  Internal to lib/net.  */
#ifndef BERTH_NET_NETLINK_H
#define BERTH_NET_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

struct berth_nl_addr
{
  int family; /* AF_INET or AF_INET6; 0 = unused */
  uint8_t addr[16];
  int prefix;
};

/* Make sure bridge NAME exists (created when missing) with MTU (0: the
 * kernel's), the addresses given (gateways; may be NULL), and is up.  */
int berth_nl_bridge_ensure (const char *name, int mtu, const struct berth_nl_addr *a4,
                            const struct berth_nl_addr *a6, berth_error_t *err);

/* Create the pair HOST_NAME (on BRIDGE, up) and eth0 in the network
 * namespace NETNS_FD with MAC (6 bytes) and MTU.  */
int berth_nl_veth_create (const char *host_name, const char *bridge, int netns_fd,
                          const char *peer_name, const uint8_t mac[6], int mtu, berth_error_t *err);

/* Inside the namespace NETNS_FD: lo up, IFNAME up with the addresses and
 * default routes through the gateways (family 0 entries are skipped).  */
int berth_nl_configure_inside (int netns_fd, const char *ifname, const struct berth_nl_addr *a4,
                               const struct berth_nl_addr *gw4, const struct berth_nl_addr *a6,
                               const struct berth_nl_addr *gw6, bool default_route,
                               berth_error_t *err);

/* Inside NETNS_FD: only lo up (--network none).  */
int berth_nl_loopback_up (int netns_fd, berth_error_t *err);

/* Delete link NAME in the caller's namespace; a missing link is not an
 * error.  */
int berth_nl_link_delete (const char *name, berth_error_t *err);
/* Delete link NAME inside NETNS_FD (network disconnect).  */
int berth_nl_link_delete_in (int netns_fd, const char *name, berth_error_t *err);

/* Whether link NAME exists in the caller's namespace.  */
bool berth_nl_link_exists (const char *name);

/* Whether an IPv4 route of the main table covers or lies within NET/PREFIX
 * (the host already uses that range).  */
int berth_nl_route_overlaps (const uint8_t net[4], int prefix, bool *overlaps, berth_error_t *err);

#endif
