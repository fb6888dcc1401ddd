/* berth's firewall API (firewall.h) over libnftables: each call reads
 * berth's table, builds one batch of commands (firewall_rules.c) and runs it
 * as one transaction, under berth's firewall lock.  */
#include "net/firewall.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "net/firewall_conntrack.h"
#include "net/firewall_nft.h"
#include "net/firewall_rules.h"

static void
session_cleanup (struct fw_session *s)
{
  fw_session_close (s);
}

static void
state_cleanup (struct fw_state *st)
{
  fw_state_free (st);
}

#define cleanup_session __attribute__ ((cleanup (session_cleanup)))
#define cleanup_state __attribute__ ((cleanup (state_cleanup)))

/* A batch of nft commands being written.  */
struct batch
{
  char *text;
  size_t len;
  FILE *out;
};

static int
batch_open (struct batch *b, berth_error_t *err)
{
  free (b->text);
  b->text = NULL;
  b->len = 0;
  b->out = open_memstream (&b->text, &b->len);
  if (b->out == NULL)
    return berth_error (err, errno, "firewall commands");
  return 0;
}

static void
batch_cleanup (struct batch *b)
{
  if (b->out)
    fclose (b->out);
  free (b->text);
}

#define cleanup_batch __attribute__ ((cleanup (batch_cleanup)))

/* Finish the batch and run it as one transaction.  */
static int
batch_apply (struct batch *b, struct fw_session *s, berth_error_t *err)
{
  fclose (b->out);
  b->out = NULL;
  return fw_apply (s, b->text, err);
}

int
berth_fw_network_setup (const struct berth_fw_config *cfg, const struct berth_fw_net *net,
                        bool *changed_forwarding, berth_error_t *err)
{
  cleanup_session struct fw_session s = { .lock_fd = -1 };
  cleanup_state struct fw_state st = { 0 };
  cleanup_batch struct batch b = { 0 };

  if (changed_forwarding)
    *changed_forwarding = false;
  if (fw_net_validate (net, err) < 0)
    return -1;
  if (fw_session_open (&s, cfg, err) < 0 || fw_read_state (&s, FW_READ_NETS, &st, err) < 0
      || batch_open (&b, err) < 0)
    goto fail;
  for (size_t i = 0; i < st.n_nets; i++)
    if (strcmp (st.nets[i].bridge, net->bridge) == 0 && strcmp (st.nets[i].name, net->name) != 0)
      {
        berth_user_error (err, EEXIST, "bridge `%s` already belongs to network `%s`", net->bridge,
                       st.nets[i].name);
        goto fail;
      }
  fw_gen_table (b.out, s.table);
  fw_gen_network_chains (b.out, s.table, net->name);
  if (batch_apply (&b, &s, err) < 0 || batch_open (&b, err) < 0)
    goto fail_new;
  fw_gen_table_rules (b.out, s.table);
  fw_gen_network_delete (b.out, s.table, &st, net->name, false);
  fw_gen_network (b.out, s.table, net);
  if (batch_apply (&b, &s, err) < 0)
    goto fail_new;
  if (!net->internal)
    {
      /* After the rules, so that nothing is forwarded before they are in
       * place.  */
      if (fw_docker_ensure (&s, err) < 0
          || fw_forwarding_enable (net->subnet4 != NULL, net->subnet6 != NULL, changed_forwarding,
                                   err)
                 < 0
          || (net->subnet4 && fw_route_localnet_enable (net->bridge, err) < 0))
        goto fail;
    }
  return 0;

fail_new:
  /* Leave no empty table (or empty chains) behind a failed first setup.  */
  if (!st.exists)
    {
      cleanup_free char *cmd = NULL;
      if (asprintf (&cmd, "delete table inet %s\n", s.table) >= 0)
        fw_apply (&s, cmd, NULL);
    }
  else if (fw_state_net (&st, net->name) == NULL)
    {
      cleanup_free char *cmd = NULL;
      if (asprintf (&cmd,
                    "delete chain inet %s in-%s\ndelete chain inet %s out-%s\ndelete chain inet %s "
                    "nat-%s\ndelete chain inet %s dns-%s\n",
                    s.table, net->name, s.table, net->name, s.table, net->name, s.table, net->name)
          >= 0)
        fw_apply (&s, cmd, NULL);
    }
fail:
  return berth_error_wrap (err, "firewall for network `%s`", net->name ? net->name : "");
}

/* Remove berth's table and the DOCKER-USER rule that goes with it.  */
static int
remove_table (struct fw_session *s, berth_error_t *err)
{
  cleanup_free char *cmd = NULL;

  if (fw_docker_remove (s, err) < 0)
    return -1;
  if (asprintf (&cmd, "delete table inet %s\n", s->table) < 0)
    return berth_error (err, ENOMEM, "firewall");
  return fw_apply (s, cmd, err);
}

int
berth_fw_network_teardown (const struct berth_fw_config *cfg, const char *name, berth_error_t *err)
{
  cleanup_session struct fw_session s = { .lock_fd = -1 };
  cleanup_state struct fw_state st = { 0 };
  cleanup_batch struct batch b = { 0 };
  const struct fw_net_entry *e;

  if (!fw_name_valid (name, BERTH_FW_NAME_MAX))
    return 0; /* a name berth could never have set up */
  if (fw_session_open (&s, cfg, err) < 0
      || fw_read_state (&s, FW_READ_NETS | FW_READ_PORTS, &st, err) < 0)
    goto fail;
  if (!st.exists)
    return 0;
  e = fw_state_net (&st, name);
  if (st.n_nets == 0 || (e && st.n_nets == 1))
    {
      if (remove_table (&s, err) < 0)
        goto fail;
      return 0;
    }
  if (e == NULL)
    return 0;
  if (batch_open (&b, err) < 0)
    goto fail;
  fw_gen_network_delete (b.out, s.table, &st, name, true);
  if (batch_apply (&b, &s, err) < 0)
    goto fail;
  return 0;

fail:
  return berth_error_wrap (err, "remove the firewall of network `%s`", name);
}

int
berth_fw_ports_add (const struct berth_fw_config *cfg, const char *network, const char *owner,
                    const struct berth_fw_port *ports, size_t n, berth_error_t *err)
{
  cleanup_session struct fw_session s = { .lock_fd = -1 };
  cleanup_state struct fw_state st = { 0 };
  cleanup_batch struct batch b = { 0 };
  const struct fw_net_entry *e;

  if (!fw_name_valid (owner, BERTH_FW_OWNER_MAX))
    return berth_user_error (err, EINVAL, "publish ports: owner `%s` is not valid",
                          owner ? owner : "");
  if (!fw_name_valid (network, BERTH_FW_NAME_MAX))
    return berth_user_error (err, EINVAL, "publish ports: network `%s` is not valid",
                          network ? network : "");
  for (size_t i = 0; i < n; i++)
    if (fw_port_validate (&ports[i], true, err) < 0)
      return berth_error_wrap (err, "publish ports");
  if (fw_session_open (&s, cfg, err) < 0
      || fw_read_state (&s, FW_READ_NETS_BRIEF | FW_READ_PORTS, &st, err) < 0)
    goto fail;
  e = fw_state_net (&st, network);
  if (e == NULL)
    {
      berth_user_error (err, ENOENT, "network `%s` has no firewall rules", network);
      goto fail;
    }
  if (e->internal && n > 0)
    {
      berth_user_error (err, EPERM, "network `%s` is internal: its ports cannot be published",
                     network);
      goto fail;
    }
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < st.n_ports; j++)
      if (strcmp (st.ports[j].owner, owner) != 0 && fw_ports_clash (&ports[i], &st.ports[j].port))
        {
          berth_user_error (err, EADDRINUSE, "host port %u/%s is already published by %s",
                         (unsigned)ports[i].host_port, ports[i].proto, st.ports[j].owner);
          goto fail;
        }
  if (batch_open (&b, err) < 0)
    goto fail;
  /* Replacing the owner's ports in the same transaction keeps the call
   * idempotent.  */
  fw_gen_ports_delete (b.out, s.table, &st, owner);
  fw_gen_ports_add (b.out, s.table, network, owner, ports, n);
  if (batch_apply (&b, &s, err) < 0)
    goto fail;
  /* Docker may have started after the network was set up.  */
  if (fw_docker_ensure (&s, err) < 0)
    goto fail;
  return 0;

fail:
  return berth_error_wrap (err, "publish ports of `%s`", owner);
}

int
berth_fw_ports_remove (const struct berth_fw_config *cfg, const char *owner, berth_error_t *err)
{
  cleanup_session struct fw_session s = { .lock_fd = -1 };
  cleanup_state struct fw_state st = { 0 };
  cleanup_batch struct batch b = { 0 };

  if (!fw_name_valid (owner, BERTH_FW_OWNER_MAX))
    return 0;
  if (fw_session_open (&s, cfg, err) < 0 || fw_read_state (&s, FW_READ_PORTS, &st, err) < 0
      || batch_open (&b, err) < 0)
    goto fail;
  if (fw_gen_ports_delete (b.out, s.table, &st, owner) == 0)
    return 0;
  if (batch_apply (&b, &s, err) < 0)
    goto fail;
  /* The UDP flows the rules DNATed would otherwise keep going to the old
   * container (a client that never pauses, for ever).  Only UDP, as Docker
   * does: TCP flows end by themselves, and each search walks the whole
   * conntrack hash (about 9 ms with 262,144 buckets).  */
  for (size_t i = 0; i < st.n_ports; i++)
    {
      const struct berth_fw_port *p = &st.ports[i].port;
      struct fw_ct_filter f;
      if (strcmp (st.ports[i].owner, owner) == 0 && strcmp (p->proto, "udp") == 0
          && fw_ct_filter_init (&f, p->ctr_ip, p->proto, p->ctr_port) == 0
          && fw_conntrack_delete (&f, NULL, err) < 0)
        goto fail;
    }
  return 0;

fail:
  return berth_error_wrap (err, "remove the ports of `%s`", owner);
}

int
berth_fw_owners (const struct berth_fw_config *cfg, char ***owners, size_t *n, berth_error_t *err)
{
  cleanup_session struct fw_session s = { .lock_fd = -1 };
  cleanup_state struct fw_state st = { 0 };
  char **list = NULL;
  size_t count = 0;

  *owners = NULL;
  *n = 0;
  if (fw_session_open (&s, cfg, err) < 0 || fw_read_state (&s, FW_READ_PORTS, &st, err) < 0)
    return berth_error_wrap (err, "list firewall owners");
  for (size_t i = 0; i < st.n_ports; i++)
    {
      bool seen = false;
      for (size_t j = 0; j < count && !seen; j++)
        seen = strcmp (list[j], st.ports[i].owner) == 0;
      if (seen)
        continue;
      char **grown = realloc (list, (count + 1) * sizeof (*list));
      if (grown == NULL || (grown[count] = strdup (st.ports[i].owner)) == NULL)
        {
          if (grown)
            list = grown;
          for (size_t j = 0; j < count; j++)
            free (list[j]);
          free (list);
          return berth_error (err, ENOMEM, "list firewall owners");
        }
      list = grown;
      count++;
    }
  *owners = list;
  *n = count;
  return 0;
}
