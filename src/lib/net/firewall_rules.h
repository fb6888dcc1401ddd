/* The pure half of the firewall: the nft command text that berth's table is
 * made of, and the reading of that table back from nft's JSON listing.  No
 * syscalls here, so that the unit tests can check every rule.  firewall.c
 * runs what this produces through libnftables.
 *
 * The table (family inet, one per cfg->table):
 *   set bridges           every berth bridge (isolation, loopback guard)
 *   map fwd_in, fwd_out   bridge -> jump in-NET / out-NET (forward filter)
 *   map nat4, nat6        subnet -> jump nat-NET (masquerade)
 *   map dnat4_any         proto . port -> ctr_ip . port (every host address)
 *   map dnat4_ip, dnat6_ip  host_ip . proto . port -> ctr_ip . port
 * Map elements carry a comment: "NET" for a network's, "OWNER NET" for a
 * published port, which is how a network's and an owner's rules are found
 * and removed.  Lookups are O(1) however many containers publish ports.  */
#ifndef BERTH_NET_FIREWALL_RULES_H
#define BERTH_NET_FIREWALL_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "net/firewall.h"

/* The bit berth sets in the packet mark of what its forward chain accepts,
 * for the one rule in Docker's DOCKER-USER chain (see firewall_docker.c). */
#define BERTH_FW_MARK 0x01000000u

/* Network names: "OWNER NETWORK" must fit in an element comment (128). */
#define BERTH_FW_NAME_MAX 63
#define BERTH_FW_OWNER_MAX 64 /* owners: a container ID */

/* A network as found in the table.  */
struct fw_net_entry
{
  char name[BERTH_FW_NAME_MAX + 1];
  char bridge[16];
  char subnet4[64]; /* as listed ("10.1.0.0/16"), "" when none */
  char subnet6[64];
  bool internal;
  unsigned seen; /* FW_IN_* bits: the elements found, the ones to delete */
};

enum
{
  FW_IN_FWD_IN = 1,
  FW_IN_FWD_OUT = 2,
  FW_IN_BRIDGES = 4,
};

/* A published port as found in the table.  */
struct fw_port_entry
{
  char owner[BERTH_FW_OWNER_MAX + 1];
  char network[BERTH_FW_NAME_MAX + 1];
  struct berth_fw_port port;
};

struct fw_state
{
  bool exists; /* the table is there */
  struct fw_net_entry *nets;
  size_t n_nets;
  struct fw_port_entry *ports;
  size_t n_ports;
};

void fw_state_free (struct fw_state *st);

/* Names that go into nft commands unquoted (chain names) or quoted
 * (comments): letters, digits, '_', '.', '-', starting with a letter or
 * digit.  Everything else is refused, so that no name can inject syntax.  */
bool fw_name_valid (const char *name, size_t max);
bool fw_ifname_valid (const char *name);

/* Check one port's fields (proto, addresses, port numbers).  Without
 * need_ctr the container's side may be unset (ports_check runs before the
 * container has an address).  */
int fw_port_validate (const struct berth_fw_port *p, bool need_ctr, berth_error_t *err);

/* Check a network description.  */
int fw_net_validate (const struct berth_fw_net *net, berth_error_t *err);

/* The table's declarations: the table, its sets, maps and chains, empty.
 * Idempotent ("add" only).  A batch of its own, before the one with the
 * content: nft 1.0.6 fails ("No such file or directory") to add an element
 * of an interval map that jumps to a chain made in the same batch.  */
void fw_gen_table (FILE *out, const char *table);
void fw_gen_network_chains (FILE *out, const char *table, const char *name);

/* The static rules of the base chains (flushed and refilled).  */
void fw_gen_table_rules (FILE *out, const char *table);

/* Everything of one network: its chains' rules (flushed and refilled) and its map
 * elements.  Assumes the network's old elements were deleted first
 * (fw_gen_network_delete_elements), so that it also updates.  */
void fw_gen_network (FILE *out, const char *table, const struct berth_fw_net *net);

/* Delete a network's map elements (known from the listing) and its ports.
 * With delete_chains, also its chains (teardown).  */
void fw_gen_network_delete (FILE *out, const char *table, const struct fw_state *st,
                            const char *name, bool delete_chains);

/* Add one owner's ports; "create" so that a key another process added in
 * the meantime fails the whole transaction instead of being overwritten. */
void fw_gen_ports_add (FILE *out, const char *table, const char *network, const char *owner,
                       const struct berth_fw_port *ports, size_t n);

/* Delete every port element of one owner found in the listing.  Returns how
 * many it deleted.  */
size_t fw_gen_ports_delete (FILE *out, const char *table, const struct fw_state *st,
                            const char *owner);

/* Read `nft -j list table inet TABLE` output into *st (fw_parse_table), or
 * add the sets and maps of a `list map|set` output to it (fw_parse_more). */
int fw_parse_table (const char *json, struct fw_state *st, berth_error_t *err);
int fw_parse_more (const char *json, struct fw_state *st, berth_error_t *err);

/* Add one element of a port map, as the kernel holds it (see
 * firewall_ports_read.c), to st->ports; elements without berth's comment
 * are skipped.  */
int fw_parse_port_elem (struct fw_state *st, const char *map, const unsigned char *key,
                        size_t key_len, const unsigned char *data, size_t data_len,
                        const char *comment, berth_error_t *err);

/* Read the port maps of berth's table from the kernel into st->ports.  */
int fw_read_ports (const char *table, struct fw_state *st, berth_error_t *err);

/* The network of that name in *st, or NULL.  */
const struct fw_net_entry *fw_state_net (const struct fw_state *st, const char *name);

/* Whether a published port p and an existing one e claim the same host
 * port (same protocol and port; same host address, or either is "every
 * address").  */
bool fw_ports_clash (const struct berth_fw_port *p, const struct berth_fw_port *e);

/* Docker's filter FORWARD chain, as read from `nft -j list table ip filter`
 * (or ip6): whether its policy is drop, whether DOCKER-USER exists, and the
 * handles of berth's rules in DOCKER-USER (comment "berth:TABLE").  */
struct fw_docker_state
{
  bool forward_drop;
  bool has_docker_user;
  unsigned long handles[8];
  size_t n_handles;
};

/* Adds to *ds (zeroed by the caller): it reads the listings of the table,
 * or of its two chains one after the other.  */
int fw_parse_docker (const char *json, const char *table, struct fw_docker_state *ds,
                     berth_error_t *err);

/* The rule berth inserts into DOCKER-USER (family "ip" or "ip6").  */
void fw_gen_docker_rule (FILE *out, const char *family, const char *table);

#endif
