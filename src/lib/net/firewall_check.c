/* Whether a network's firewall is still in place, asked of the kernel
 * directly (a few nfnetlink GETs over the process's socket, no
 * libnftables): the engine asks before every container it connects, so
 * that rules flushed by an administrator, or a dockerd started after the
 * network was set up, are set up again at the next run instead of at the
 * next reboot.  What is looked at:
 *   - the network's chain in-NET in berth's table, referenced (its use
 *     count) by the fwd_in element that jumps to it;
 *   - for a network with a way out, Docker's filter FORWARD chain (ip and
 *     ip6): when its policy is drop and DOCKER-USER exists, berth's rule
 *     (comment "berth:TABLE") must be in DOCKER-USER (firewall_docker.c).  */
#include "net/firewall.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "net/firewall_nft.h"
#include "net/firewall_rules.h"

#define UDATA_RULE_COMMENT 0 /* NFTNL_UDATA_RULE_COMMENT */

struct answer
{
  bool found;
  uint32_t use;      /* a chain's NFTA_CHAIN_USE */
  bool policy_drop;  /* a base chain's policy */
  const char *want;  /* a rule comment looked for */
  bool comment_seen; /* ... and found */
};

static void
rule_comment (const struct nlattr *a, struct answer *ans)
{
  const unsigned char *p = mnl_attr_get_payload (a);
  size_t len = mnl_attr_get_payload_len (a), i = 0, wl = strlen (ans->want);

  while (i + 2 <= len && i + 2 + p[i + 1] <= len)
    {
      /* The comment is stored NUL-terminated.  */
      if (p[i] == UDATA_RULE_COMMENT && p[i + 1] >= wl && memcmp (p + i + 2, ans->want, wl) == 0
          && (p[i + 1] == wl || p[i + 2 + wl] == '\0'))
        ans->comment_seen = true;
      i += 2 + p[i + 1];
    }
}

static int
answer_cb (const struct nlmsghdr *nlh, void *data)
{
  struct answer *ans = data;
  const struct nlattr *a;
  uint16_t type = nlh->nlmsg_type & 0xff;

  ans->found = true;
  mnl_attr_for_each (a, nlh, sizeof (struct nfgenmsg))
  {
    if (type == NFT_MSG_NEWCHAIN && mnl_attr_get_type (a) == NFTA_CHAIN_USE
        && mnl_attr_get_payload_len (a) == 4)
      ans->use = ntohl (mnl_attr_get_u32 (a));
    else if (type == NFT_MSG_NEWCHAIN && mnl_attr_get_type (a) == NFTA_CHAIN_POLICY
             && mnl_attr_get_payload_len (a) == 4)
      ans->policy_drop = ntohl (mnl_attr_get_u32 (a)) == NF_DROP;
    else if (type == NFT_MSG_NEWRULE && mnl_attr_get_type (a) == NFTA_RULE_USERDATA && ans->want)
      rule_comment (a, ans);
  }
  return MNL_CB_OK;
}

/* GET one chain (or, with want, dump the rules of one chain) of
 * FAMILY TABLE.  A missing table or chain is found == false.  */
static int
nft_get (int family, const char *table, const char *chain, const char *want, struct answer *ans,
         berth_error_t *err)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct mnl_socket *nl = fw_nfnl (err);
  struct nlmsghdr *nlh;
  struct nfgenmsg *nfg;
  uint32_t seq = fw_nfnl_seq (), portid;
  ssize_t n;
  int r = MNL_CB_OK;

  memset (ans, 0, sizeof (*ans));
  ans->want = want;
  if (nl == NULL)
    return -1;
  portid = mnl_socket_get_portid (nl);
  nlh = mnl_nlmsg_put_header (buf);
  nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | (want ? NFT_MSG_GETRULE : NFT_MSG_GETCHAIN);
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (want ? NLM_F_DUMP : 0);
  nlh->nlmsg_seq = seq;
  nfg = mnl_nlmsg_put_extra_header (nlh, sizeof (*nfg));
  nfg->nfgen_family = family;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = 0;
  mnl_attr_put_strz (nlh, want ? NFTA_RULE_TABLE : NFTA_CHAIN_TABLE, table);
  mnl_attr_put_strz (nlh, want ? NFTA_RULE_CHAIN : NFTA_CHAIN_NAME, chain);
  if (mnl_socket_sendto (nl, nlh, nlh->nlmsg_len) < 0)
    {
      int e = errno;
      fw_nfnl_discard ();
      return berth_error (err, e, "read the firewall");
    }
  while ((n = mnl_socket_recvfrom (nl, buf, sizeof (buf))) > 0)
    {
      r = mnl_cb_run (buf, n, seq, portid, answer_cb, ans);
      if (r <= MNL_CB_STOP)
        break;
    }
  if (n < 0 || r < 0)
    {
      int e = errno;
      if (e == ENOENT)
        {
          ans->found = false;
          return 0;
        }
      fw_nfnl_discard ();
      return berth_error (err, e, "read the firewall");
    }
  return 0;
}

/* Docker's drop policy, and berth's rule in DOCKER-USER when it needs
 * one (firewall_docker.c adds it when both chains are there).  */
static int
docker_in_place (int family, const char *table, bool *ok, berth_error_t *err)
{
  char comment[64];
  struct answer a;

  *ok = true;
  if (nft_get (family, "filter", "FORWARD", NULL, &a, err) < 0)
    return -1;
  if (!a.found || !a.policy_drop)
    return 0;
  if (nft_get (family, "filter", "DOCKER-USER", NULL, &a, err) < 0)
    return -1;
  if (!a.found)
    return 0;
  snprintf (comment, sizeof (comment), "berth:%s", table);
  if (nft_get (family, "filter", "DOCKER-USER", comment, &a, err) < 0)
    return -1;
  *ok = a.comment_seen;
  return 0;
}

int
berth_fw_network_in_place (const struct berth_fw_config *cfg, const struct berth_fw_net *net,
                           bool *in_place, berth_error_t *err)
{
  const char *table = cfg && cfg->table ? cfg->table : "berth";
  char chain[BERTH_FW_NAME_MAX + 8];
  struct answer a;
  int r = -1;

  *in_place = false;
  if (!fw_name_valid (table, 32) || !fw_name_valid (net->name, BERTH_FW_NAME_MAX))
    return 0; /* the setup will say why */
  snprintf (chain, sizeof (chain), "in-%s", net->name);
  fw_process_lock ();
  if (nft_get (NFPROTO_INET, table, chain, NULL, &a, err) < 0)
    goto out;
  *in_place = a.found && a.use > 0;
  if (*in_place && !net->internal)
    {
      bool ok4, ok6;
      if (docker_in_place (NFPROTO_IPV4, table, &ok4, err) < 0
          || docker_in_place (NFPROTO_IPV6, table, &ok6, err) < 0)
        goto out;
      *in_place = ok4 && ok6;
    }
  r = 0;
out:
  fw_process_unlock ();
  if (r < 0)
    berth_error_wrap (err, "check the firewall of network `%s`", net->name);
  return r;
}
