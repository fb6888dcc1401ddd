/* Firewall and NAT for berth's networks, kept in berth's own nftables
 * table(s) through libnftables: masquerade of a network's subnet on the way
 * out, forward accept for the bridge and for replies, isolation between
 * networks, no way out for internal networks, and DNAT of published ports
 * (from other hosts, from the host's own addresses and loopback, and hairpin
 * from containers).  Nothing is written into other tools' tables.
 *
 * Every call is idempotent and keyed by names (the network name, the owner
 * of a set of ports), so that the engine, or the next command after a crash,
 * can undo from its records alone.  */
#ifndef BERTH_NET_FIREWALL_H
#define BERTH_NET_FIREWALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Which table(s) berth owns.  table NULL means "berth".  Tests pass their own
 * name so that they never touch a real berth's rules.  */
struct berth_fw_config
{
  const char *table;
};

struct berth_fw_net
{
  const char *name;     /* network name, unique */
  const char *bridge;   /* its bridge interface */
  const char *subnet4;  /* "172.17.0.0/16", or NULL */
  const char *gateway4; /* "172.17.0.1", or NULL */
  const char *subnet6;  /* "fd00:1::/64", or NULL */
  const char *gateway6; /* or NULL */
  bool internal;        /* no way out, no published ports from outside */
  const char *dns4;     /* a loopback resolver of the host ("127.0.0.53")
                           that gateway4:53 (udp, tcp) is DNATed to, or NULL */
};

struct berth_fw_port
{
  char proto[4];    /* "tcp" or "udp" */
  char host_ip[46]; /* "" = every host address (IPv4) */
  uint16_t host_port;
  char ctr_ip[46]; /* the container's address on the network */
  uint16_t ctr_port;
};

/* Make sure berth's table exists with the rules for this network: masquerade,
 * forward, isolation from berth's other networks.  Also turns on
 * net.ipv4.ip_forward (and IPv6 forwarding for an IPv6 network) when it is
 * off; *changed_forwarding (may be NULL) tells the caller so that it can say
 * it.  */
int berth_fw_network_setup (const struct berth_fw_config *cfg, const struct berth_fw_net *net,
                            bool *changed_forwarding, berth_error_t *err);

/* Whether the network's rules are still in place (*in_place): its chains
 * in berth's table, and the DOCKER-USER rule where Docker's FORWARD policy
 * needs it.  A few netlink requests, no libnftables: cheap enough to ask
 * before each container, so that rules an administrator flushed (or a
 * dockerd started later) are set up again by the next run.  */
int berth_fw_network_in_place (const struct berth_fw_config *cfg, const struct berth_fw_net *net,
                               bool *in_place, berth_error_t *err);

/* Remove the network's rules (its ports included).  Removing the last
 * network removes berth's table.  A network without rules is not an error. */
int berth_fw_network_teardown (const struct berth_fw_config *cfg, const char *name,
                               berth_error_t *err);

/* Fail with one clear line ("host port 8080/tcp is already in use") when a
 * host port cannot be published: another process listens on it, or another
 * berth container publishes it.  Called before the container is made.  */
int berth_fw_ports_check (const struct berth_fw_config *cfg, const struct berth_fw_port *ports,
                          size_t n, berth_error_t *err);

/* Publish ports for one owner (a container ID) on a network, in one
 * transaction.  */
int berth_fw_ports_add (const struct berth_fw_config *cfg, const char *network, const char *owner,
                        const struct berth_fw_port *ports, size_t n, berth_error_t *err);

/* Remove every rule of one owner.  An owner without rules is not an error. */
int berth_fw_ports_remove (const struct berth_fw_config *cfg, const char *owner,
                           berth_error_t *err);

/* The owners that have rules in berth's table (for crash repair): a malloc'd
 * array of malloc'd strings.  */
int berth_fw_owners (const struct berth_fw_config *cfg, char ***owners, size_t *n,
                     berth_error_t *err);

/* Forget the connection tracking entries of an address: the flows from it
 * and to it (DNATed or not), so that a removed container leaves none behind
 * and the next container on that address starts clean.  An address without
 * entries, or a kernel without conntrack, is not an error.  It walks the
 * whole conntrack hash (about 9 ms with 262,144 buckets).
 * (berth_fw_ports_remove already forgets the owner's DNATed UDP flows.)  */
int berth_fw_conntrack_forget (const char *addr, berth_error_t *err);

#endif
