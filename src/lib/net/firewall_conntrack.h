/* Internal to the firewall: deleting conntrack entries (conntrack.c).  */
#ifndef BERTH_NET_FIREWALL_CONNTRACK_H
#define BERTH_NET_FIREWALL_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/firewall.h"

/* Which entries: with port 0, every entry from or to addr (original source
 * or reply source); with a port, the DNATed entries to addr:port of proto. */
struct fw_ct_filter
{
  int family;
  unsigned char addr[16];
  uint8_t proto;
  uint16_t port;
};

int fw_ct_filter_init (struct fw_ct_filter *f, const char *addr, const char *proto, uint16_t port);

/* Delete the matching entries; *deleted (may be NULL) counts them.  Under
 * the process lock (firewall_nft.h).  */
int fw_conntrack_delete (const struct fw_ct_filter *f, size_t *deleted, berth_error_t *err);

#endif
