/* lib/net's public header: networks, IPAM, network namespaces, endpoints
 * (a veth pair from a network's bridge into a namespace), the files a
 * container's name resolution needs, and port specs.  Knows nothing of
 * containers: an endpoint belongs to an "owner" (a string the caller
 * chooses) and lives in a namespace given by path.  The firewall is
 * net/firewall.h.
 *
 * On disk:
 *   ROOT/networks/<name>.json       a network's definition (persistent)
 *   ROOT/networks/.lock             flock'ed while networks are created/removed
 *   RUNROOT/networks/<name>.leases  addresses in use: {"10.0.0.2": "owner"}
 *   RUNROOT/networks/<name>.lock    flock'ed while leases change
 *   RUNROOT/netns/<owner>           network namespaces made by berth
 * Leases sit in RUNROOT with the namespaces and links they address: none of
 * them survives a reboot, so neither should a lease.  */
#ifndef BERTH_NET_NET_H
#define BERTH_NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "net/firewall.h"

#define BERTH_NET_DEFAULT_NAME "bridge"
#define BERTH_NET_DEFAULT_BRIDGE "berth0"
#define BERTH_NET_DEFAULT_SUBNET "172.17.0.0/16"

/* Settings of the host, from the environment (read once by the front):
 *   BERTH_DEFAULT_BRIDGE   bridge of the default network (berth0)
 *   BERTH_DEFAULT_SUBNET   its subnet (172.17.0.0/16, or a free /16)
 *   BERTH_FW_TABLE         berth's nftables table (berth)
 *   BERTH_RESOLV_CONF      the host's resolv.conf (/etc/resolv.conf; tests) */
struct berth_net_host
{
  const char *root, *runroot;
  const char *default_bridge;
  const char *default_subnet; /* NULL: 172.17.0.0/16 unless routed */
  struct berth_fw_config fw;
  const char *resolv_conf;          /* the host's resolv.conf (/etc/resolv.conf) */
  bool fw_missing;                  /* the firewall says ENOSYS: links only */
  void (*notice) (const char *msg); /* what berth tells the user (stderr) */
};
void berth_net_host_from_env (struct berth_net_host *h, const char *root, const char *runroot);

/* ---- addresses ---- */
struct berth_cidr
{
  int family; /* AF_INET, AF_INET6 */
  uint8_t addr[16];
  int prefix;
};
/* "10.1.0.0/24" or "fd00::/64" (the host bits are cleared: NORMALISE) */
int berth_cidr_parse (const char *s, struct berth_cidr *out, berth_error_t *err);
/* "10.1.0.5" into ADDR of FAMILY (0: either).  */
int berth_ip_parse (const char *s, int family, struct berth_cidr *out);
bool berth_cidr_contains (const struct berth_cidr *net, const struct berth_cidr *ip);
void berth_cidr_format (const struct berth_cidr *c, bool with_prefix, char buf[64]);

/* ---- networks ---- */
struct berth_network
{
  char *name, *id, *bridge, *created;
  char *subnet4, *gateway4, *ip_range4; /* CIDR, address, CIDR; NULL when none */
  char *subnet6, *gateway6;
  bool internal, ipv6;
  int mtu;         /* 0: 1500 */
  char *fw_table;  /* the table its rules are in */
  json_t *options; /* -o k=v as given */
};
void berth_network_free (struct berth_network *n);

struct berth_network_create
{
  const char *name;
  const char *subnet, *gateway, *ip_range; /* IPv4 (or IPv6 subnets with ipv6) */
  const char *subnet6, *gateway6;
  bool internal, ipv6;
  char **options; /* "mtu=N", "com.docker.network.bridge.name=X", ... */
};

int berth_network_create (const struct berth_net_host *h, const struct berth_network_create *c,
                          struct berth_network **out, berth_error_t *err);
/* NAME, or a unique ID prefix.  "network NAME not found" (ENOENT).  The
 * default network is created on first use ("bridge").  */
int berth_network_get (const struct berth_net_host *h, const char *name, struct berth_network **out,
                       berth_error_t *err);
int berth_network_list (const struct berth_net_host *h, struct berth_network ***out, size_t *n,
                        berth_error_t *err);
void berth_network_list_free (struct berth_network **l, size_t n);
/* Remove network NAME: its rules, its bridge, its definition.  IN_USE is
 * the caller's answer (containers on it): "network X has active endpoints". */
int berth_network_remove (const struct berth_net_host *h, const char *name, bool in_use,
                          berth_error_t *err);
/* Docker's inspect object.  */
json_t *berth_network_json (const struct berth_network *n);

/* ---- IPAM ---- */
/* Pick the lowest free address of SUBNET (within RANGE when not NULL),
 * skipping the network address, the broadcast, the gateway and every
 * address for which TAKEN returns true.  ENOSPC when none is left.  */
int berth_ipam_pick (const struct berth_cidr *subnet, const struct berth_cidr *range,
                     const struct berth_cidr *gateway, bool (*taken) (const char *ip, void *),
                     void *data, struct berth_cidr *out, berth_error_t *err);

/* Lease an address of N for OWNER (WANT: that one, or NULL), under the
 * network's lock.  out6 gets an IPv6 address when the network has IPv6
 * (may be NULL otherwise).  NAMES (a JSON array of strings, or NULL) is
 * kept with the lease: the names other members resolve it by.  The leases
 * file then reads {"10.0.0.2": {"owner": O, "names": [...]}}.  */
int berth_ipam_lease (const struct berth_net_host *h, const struct berth_network *n,
                      const char *owner, json_t *names, const char *want4, const char *want6,
                      char out4[64], char out6[64], berth_error_t *err);
/* The network's lease lock (an fd; close it to unlock), for callers that
 * must see the leases stay as they read them.  */
int berth_network_lock (const struct berth_net_host *h, const char *name, berth_error_t *err);
/* The leases object as it is (no lock taken).  */
int berth_ipam_entries (const struct berth_net_host *h, const char *name, json_t **out,
                        berth_error_t *err);
/* Release every lease of OWNER on network NAME.  */
int berth_ipam_release (const struct berth_net_host *h, const char *name, const char *owner,
                        berth_error_t *err);
/* Every owner with a lease on network NAME (malloc'd strv).  */
int berth_ipam_owners (const struct berth_net_host *h, const char *name, char ***owners,
                       berth_error_t *err);

/* ---- network namespaces ---- */
/* Make a network namespace bind-mounted at RUNROOT/netns/OWNER (lo up);
 * *path gets that path.  */
int berth_netns_create (const struct berth_net_host *h, const char *owner, char **path,
                        berth_error_t *err);
/* Whether PATH is a namespace berth mounted (not a leftover file).  */
bool berth_netns_exists (const char *path);
/* Unmount and unlink it; a missing one is not an error.  */
int berth_netns_remove (const char *path, berth_error_t *err);
char *berth_netns_path (const struct berth_net_host *h, const char *owner);

/* ---- endpoints ---- */
struct berth_endpoint
{
  char network[128];
  char host_if[16];      /* the veth's host end */
  char ifname[16];       /* in the container: eth0, eth1, ... */
  char ip4[64], ip6[64]; /* leased addresses, "" when none */
  char mac[18];
  char gateway4[64], gateway6[64];
  int prefix4, prefix6;
};

/* The host end's name for OWNER's INDEX-th endpoint, known before it is
 * made (so that it is recorded first).  */
void berth_endpoint_host_if (const char *owner, int index, char out[16]);

/* Connect the namespace at NETNS_PATH to network N as EP->ifname: lease
 * (WANT4/WANT6 or any), veth, addresses, routes (DEFAULT_ROUTE: the first
 * network), MAC (WANT_MAC or derived from the IPv4 address, as Docker).
 * EP->host_if and ifname are set by the caller.  On failure what was made
 * is undone.  */
int berth_endpoint_connect (const struct berth_net_host *h, const struct berth_network *n,
                            const char *owner, json_t *names, const char *netns_path,
                            const char *want4, const char *want6, const char *want_mac,
                            bool default_route, struct berth_endpoint *ep, berth_error_t *err);
/* Undo: the veth (when NETNS_PATH is given, its container end too) and
 * the leases.  Missing pieces are not errors.  */
int berth_endpoint_disconnect (const struct berth_net_host *h, const char *network,
                               const char *owner, const char *host_if, berth_error_t *err);

/* ---- /etc files ---- */
/* resolv.conf for a container: the host's text HOST_RESOLV minus loopback
 * nameservers, with DNS/SEARCH/OPTIONS replacing the host's when given.
 * When no nameserver is left, FALLBACK (the gateway) or 8.8.8.8.  */
char *berth_net_resolv_conf (const char *host_resolv, char *const *dns, char *const *search,
                             char *const *options, const char *fallback);

/* The host's loopback resolver that the gateway stands for (written into
 * OUT, true) when HOST_RESOLV names only loopback nameservers, the first
 * of them an IPv4 one (systemd-resolved's 127.0.0.53): the network's
 * firewall DNATs gateway:53 to it.  */
bool berth_net_loopback_resolver (const char *host_resolv, char out[16]);

/* ---- ports ---- */
/* Parse Docker's -p: [ip:][hostport[-end]:]ctrport[-end][/proto].  Appends
 * to *ports (ctr_ip left empty; host_port 0 = any free port).  */
int berth_port_parse (const char *spec, struct berth_fw_port **ports, size_t *n,
                      berth_error_t *err);

#endif
