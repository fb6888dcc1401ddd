/* Docker coexistence.  dockerd sets the policy of iptables' filter FORWARD
 * chain to DROP; with iptables-nft that is the base chain `table ip filter`
 * FORWARD, and a drop there is final whatever berth's own table accepted.
 * No rule in berth's table can undo it, so berth uses Docker's documented
 * extension point, as narrowly as it can: one rule at the head of
 * DOCKER-USER (ip, and ip6 when Docker made one),
 *   oifname != "docker*" oifname != "br-*" meta mark & M == M accept
 * where M (BERTH_FW_MARK) is the bit berth's forward chain sets on what it
 * accepts.  It is added only when the drop policy and DOCKER-USER are both
 * there, tagged "berth:TABLE", and removed with berth's table.  Docker's
 * bridges are excluded, so that Docker's containers stay as closed as
 * Docker keeps them.  Hosts whose iptables are legacy (not nft) are not
 * handled.  */
#include "net/firewall_nft.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

static const char *const families[] = { "ip", "ip6" };

/* Docker's FORWARD chain and DOCKER-USER, not its whole table: listing is
 * most of the cost of a call.  */
static int
read_docker (struct fw_session *s, const char *family, struct fw_docker_state *ds, bool *present,
             berth_error_t *err)
{
  cleanup_free char *forward = NULL, *user = NULL;
  char what[64];

  memset (ds, 0, sizeof (*ds));
  *present = false;
  snprintf (what, sizeof (what), "chain %s filter FORWARD", family);
  if (fw_list (s, what, &forward, err) < 0)
    return -1;
  if (forward == NULL)
    return 0;
  *present = true;
  snprintf (what, sizeof (what), "chain %s filter DOCKER-USER", family);
  if (fw_parse_docker (forward, s->table, ds, err) < 0 || fw_list (s, what, &user, err) < 0)
    return -1;
  return user ? fw_parse_docker (user, s->table, ds, err) : 0;
}

int
fw_docker_ensure (struct fw_session *s, berth_error_t *err)
{
  for (size_t i = 0; i < 2; i++)
    {
      struct fw_docker_state ds;
      cleanup_free char *cmds = NULL;
      size_t len = 0;
      bool present;
      FILE *o;

      if (read_docker (s, families[i], &ds, &present, err) < 0)
        return berth_error_wrap (err, "Docker coexistence");
      if (!present || !ds.forward_drop || !ds.has_docker_user || ds.n_handles > 0)
        continue;
      o = open_memstream (&cmds, &len);
      if (o == NULL)
        return berth_error (err, errno, "Docker coexistence");
      fw_gen_docker_rule (o, families[i], s->table);
      fclose (o);
      if (fw_apply (s, cmds, err) < 0)
        return berth_error_wrap (err, "Docker coexistence: add the DOCKER-USER rule");
    }
  return 0;
}

int
fw_docker_remove (struct fw_session *s, berth_error_t *err)
{
  for (size_t i = 0; i < 2; i++)
    {
      struct fw_docker_state ds;
      cleanup_free char *cmds = NULL;
      size_t len = 0;
      bool present;
      FILE *o;

      if (read_docker (s, families[i], &ds, &present, err) < 0)
        return berth_error_wrap (err, "Docker coexistence");
      if (!present || ds.n_handles == 0)
        continue;
      o = open_memstream (&cmds, &len);
      if (o == NULL)
        return berth_error (err, errno, "Docker coexistence");
      for (size_t h = 0; h < ds.n_handles; h++)
        fprintf (o, "delete rule %s filter DOCKER-USER handle %lu\n", families[i], ds.handles[h]);
      fclose (o);
      if (fw_apply (s, cmds, err) < 0)
        return berth_error_wrap (err, "Docker coexistence: remove the DOCKER-USER rule");
    }
  return 0;
}
