/* Internal to the firewall: one libnftables session per API call, holding
 * berth's firewall lock, and the few ways the firewall talks to nft (list a
 * table as JSON, apply a batch of commands as one transaction).  */
#ifndef BERTH_NET_FIREWALL_NFT_H
#define BERTH_NET_FIREWALL_NFT_H

#include <stdbool.h>
#include <stdint.h>

#include "net/firewall.h"
#include "net/firewall_rules.h"

struct fw_session
{
  struct nft_ctx *ctx; /* the process's, kept (see firewall_nft.c) */
  int lock_fd;
  bool locked;
  const char *table;
};

/* Validate cfg, take the lock of cfg's table (an flock on
 * /run/berth-fw-TABLE.lock: firewall calls of concurrent berth processes
 * read the table and then change it, which must not interleave) and make a
 * libnftables context.  */
int fw_session_open (struct fw_session *s, const struct berth_fw_config *cfg, berth_error_t *err);
void fw_session_close (struct fw_session *s);

/* The process's nfnetlink socket (ports read, conntrack), kept open; only
 * under the process lock (a session holds it).  */
struct mnl_socket *fw_nfnl (berth_error_t *err);
/* After a failed exchange (its unread answers would confuse the next). */
void fw_nfnl_discard (void);
uint32_t fw_nfnl_seq (void);
void fw_process_lock (void);
void fw_process_unlock (void);

/* `list WHAT` ("chain ip filter FORWARD") as JSON with handles into *json
 * (malloc'd); *json is NULL when it does not exist.  */
int fw_list (struct fw_session *s, const char *what, char **json, berth_error_t *err);

/* berth's table, read: what the call needs of it (listing is most of a
 * call's time).  */
enum
{
  FW_READ_NETS_BRIEF = 1, /* names, bridges, internal */
  FW_READ_NETS = 3,       /* and subnets and all their elements */
  FW_READ_PORTS = 4,
};
int fw_read_state (struct fw_session *s, unsigned what, struct fw_state *st, berth_error_t *err);

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
