/* The engine's side of networking (engine/network.c): a container's
 * network mode, endpoints, published ports and its /etc/hosts,
 * /etc/hostname and /etc/resolv.conf, over lib/net.  Linked into berth
 * only (lib/net needs libmnl and libnftables, which the static
 * berth-monitor does not link).  */
#ifndef BERTH_ENGINE_NETWORK_H
#define BERTH_ENGINE_NETWORK_H

#include <stdbool.h>

#include "engine/container.h"

/* Plug networking into E (settings from the environment, see net/net.h);
 * NOTICE prints what berth tells the user.  */
int berth_engine_net_enable (struct berth_engine *e, void (*notice) (const char *msg),
                             berth_error_t *err);

/* The host settings E's networking uses (a struct berth_net_host).  */
struct berth_net_host;
const struct berth_net_host *berth_engine_net_host (struct berth_engine *e);

/* `network connect` / `disconnect` for container ID.  */
int berth_engine_net_connect (struct berth_engine *e, const char *id, const char *network,
                              const char *ip, const char *ip6, char *const *aliases,
                              berth_error_t *err);
int berth_engine_net_disconnect (struct berth_engine *e, const char *id, const char *network,
                                 berth_error_t *err);

/* Before a stopped container starts again: when its namespace is gone
 * (RUNROOT did not survive a reboot), make it, its links, leases (the same
 * addresses when still free) and port rules again.  */
int berth_engine_net_restore (struct berth_engine *e, const char *id, berth_error_t *err);

/* Whether a container (other than none) is on NETWORK (its name).  */
bool berth_engine_net_in_use (struct berth_engine *e, const char *network);

/* The files' paths in the container dir, bind-mounted over /etc/X.  */
#define BERTH_ENGINE_ETC_FILES                                                                     \
  {                                                                                                \
    "hosts", "hostname", "resolv.conf"                                                             \
  }

#endif
