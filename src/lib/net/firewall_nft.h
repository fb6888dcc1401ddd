/* Internal to the firewall: one libnftables session per API call, holding
 * berth's firewall lock, and the few ways the firewall talks to nft (list a
 * table as JSON, apply a batch of commands as one transaction).  */
#ifndef BERTH_NET_FIREWALL_NFT_H
#define BERTH_NET_FIREWALL_NFT_H

#include <stdbool.h>

#include "net/firewall.h"
#include "net/firewall_rules.h"

struct fw_session
{
  struct nft_ctx *ctx;
  int lock_fd;
  const char *table;
};

/* Validate cfg, take the lock of cfg's table (an flock on
 * /run/berth-fw-TABLE.lock: firewall calls of concurrent berth processes
 * read the table and then change it, which must not interleave) and make a
 * libnftables context.  */
int fw_session_open (struct fw_session *s, const struct berth_fw_config *cfg, berth_error_t *err);
void fw_session_close (struct fw_session *s);

/* `list table FAMILY NAME` as JSON into *json (malloc'd); *json is NULL when
 * the table does not exist.  */
int fw_list (struct fw_session *s, const char *family, const char *name, char **json,
             berth_error_t *err);

/* berth's table, read.  */
int fw_read_state (struct fw_session *s, struct fw_state *st, berth_error_t *err);

/* Run a batch of commands as one transaction; the error is nft's first
 * line.  */
int fw_apply (struct fw_session *s, const char *cmds, berth_error_t *err);

/* Docker coexistence (firewall_docker.c): when Docker's filter FORWARD
 * chain drops by policy, insert the one rule in DOCKER-USER that lets what
 * berth accepted through; remove it with berth's table.  */
int fw_docker_ensure (struct fw_session *s, berth_error_t *err);
int fw_docker_remove (struct fw_session *s, berth_error_t *err);

/* Turn on forwarding (forwarding.c).  */
int fw_forwarding_enable (bool ipv4, bool ipv6, bool *changed, berth_error_t *err);
int fw_route_localnet_enable (const char *bridge, berth_error_t *err);

#endif
