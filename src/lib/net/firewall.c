/* Placeholder for the nftables implementation of firewall.h: every call
 * fails with "not implemented yet", so that callers can be written against
 * the contract while it is built.  */
#include <errno.h>
#include <stdlib.h>

#include "net/firewall.h"

static int
not_yet (berth_error_t *err)
{
  return berth_error (err, ENOSYS, "firewall");
}

int
berth_fw_network_setup (const struct berth_fw_config *cfg, const struct berth_fw_net *net,
                        bool *changed_forwarding, berth_error_t *err)
{
  (void) cfg, (void) net, (void) changed_forwarding;
  return not_yet (err);
}

int
berth_fw_network_teardown (const struct berth_fw_config *cfg, const char *name, berth_error_t *err)
{
  (void) cfg, (void) name;
  return not_yet (err);
}

int
berth_fw_ports_check (const struct berth_fw_config *cfg, const struct berth_fw_port *ports, size_t n,
                      berth_error_t *err)
{
  (void) cfg, (void) ports, (void) n;
  return not_yet (err);
}

int
berth_fw_ports_add (const struct berth_fw_config *cfg, const char *network, const char *owner,
                    const struct berth_fw_port *ports, size_t n, berth_error_t *err)
{
  (void) cfg, (void) network, (void) owner, (void) ports, (void) n;
  return not_yet (err);
}

int
berth_fw_ports_remove (const struct berth_fw_config *cfg, const char *owner, berth_error_t *err)
{
  (void) cfg, (void) owner;
  return not_yet (err);
}

int
berth_fw_owners (const struct berth_fw_config *cfg, char ***owners, size_t *n, berth_error_t *err)
{
  (void) cfg;
  *owners = NULL;
  *n = 0;
  return not_yet (err);
}
