/* Forgetting connection tracking entries through ctnetlink (libmnl).  A
 * conntrack entry outlives the rule that made it: a UDP client that keeps
 * sending to a published port stays DNATed to the container that had it,
 * even after that container is gone and another one publishes the port.
 * So removing an owner's ports forgets the DNATed flows to them, and
 * berth_fw_conntrack_forget forgets every flow of an address (for the
 * engine when it removes a container).  The table is dumped, filtered here
 * and the matching entries deleted one by one by their original tuple.  */
#include "net/firewall_conntrack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "net/firewall_nft.h"
#include "net/firewall_rules.h"

struct tuple
{
  unsigned char src[16], dst[16];
  uint8_t proto;
  uint16_t sport, dport; /* host order */
};

/* A matched entry: its original tuple as the kernel gave it, to send back
 * in the delete, and its zone.  */
struct ct_entry
{
  unsigned char orig[256];
  uint16_t orig_len;
  uint16_t zone; /* network order */
  bool has_zone;
};

struct ct_dump
{
  const struct fw_ct_filter *f;
  size_t addr_len;
  struct ct_entry *entries;
  size_t n;
  bool nomem;
};

static void
parse_ip (const struct nlattr *nest, struct tuple *t)
{
  const struct nlattr *a;

  mnl_attr_for_each_nested (a, nest)
  {
    uint16_t len = mnl_attr_get_payload_len (a);
    switch (mnl_attr_get_type (a))
      {
      case CTA_IP_V4_SRC:
      case CTA_IP_V6_SRC:
        if (len <= 16)
          memcpy (t->src, mnl_attr_get_payload (a), len);
        break;
      case CTA_IP_V4_DST:
      case CTA_IP_V6_DST:
        if (len <= 16)
          memcpy (t->dst, mnl_attr_get_payload (a), len);
        break;
      }
  }
}

static void
parse_tuple (const struct nlattr *nest, struct tuple *t)
{
  const struct nlattr *a, *b;

  memset (t, 0, sizeof (*t));
  mnl_attr_for_each_nested (a, nest)
  {
    if (mnl_attr_get_type (a) == CTA_TUPLE_IP)
      parse_ip (a, t);
    else if (mnl_attr_get_type (a) == CTA_TUPLE_PROTO)
      mnl_attr_for_each_nested (b, a)
      {
        switch (mnl_attr_get_type (b))
          {
          case CTA_PROTO_NUM:
            t->proto = mnl_attr_get_u8 (b);
            break;
          case CTA_PROTO_SRC_PORT:
            t->sport = ntohs (mnl_attr_get_u16 (b));
            break;
          case CTA_PROTO_DST_PORT:
            t->dport = ntohs (mnl_attr_get_u16 (b));
            break;
          }
      }
  }
}

static bool
matches (const struct ct_dump *d, const struct tuple *orig, const struct tuple *reply,
         uint32_t status)
{
  const struct fw_ct_filter *f = d->f;

  if (f->port)
    return (status & IPS_DST_NAT) && memcmp (reply->src, f->addr, d->addr_len) == 0
           && reply->proto == f->proto && reply->sport == f->port;
  return memcmp (orig->src, f->addr, d->addr_len) == 0
         || memcmp (reply->src, f->addr, d->addr_len) == 0;
}

static int
dump_cb (const struct nlmsghdr *nlh, void *data)
{
  struct ct_dump *d = data;
  const struct nlattr *a, *orig_attr = NULL, *zone = NULL;
  struct tuple orig = { 0 }, reply = { 0 };
  uint32_t status = 0;

  mnl_attr_for_each (a, nlh, sizeof (struct nfgenmsg))
  {
    switch (mnl_attr_get_type (a))
      {
      case CTA_TUPLE_ORIG:
        orig_attr = a;
        parse_tuple (a, &orig);
        break;
      case CTA_TUPLE_REPLY:
        parse_tuple (a, &reply);
        break;
      case CTA_STATUS:
        status = ntohl (mnl_attr_get_u32 (a));
        break;
      case CTA_ZONE:
        zone = a;
        break;
      }
  }
  if (orig_attr == NULL || mnl_attr_get_payload_len (orig_attr) > sizeof (d->entries->orig)
      || !matches (d, &orig, &reply, status))
    return MNL_CB_OK;
  struct ct_entry *grown = realloc (d->entries, (d->n + 1) * sizeof (*grown));
  if (grown == NULL)
    {
      d->nomem = true;
      return MNL_CB_ERROR;
    }
  d->entries = grown;
  struct ct_entry *e = &d->entries[d->n++];
  e->orig_len = mnl_attr_get_payload_len (orig_attr);
  memcpy (e->orig, mnl_attr_get_payload (orig_attr), e->orig_len);
  e->has_zone = zone != NULL;
  e->zone = zone ? mnl_attr_get_u16 (zone) : 0;
  return MNL_CB_OK;
}

static struct nlmsghdr *
ct_request (char *buf, uint16_t type, uint16_t flags, int family, uint32_t seq)
{
  struct nlmsghdr *nlh = mnl_nlmsg_put_header (buf);
  struct nfgenmsg *nfg;

  nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
  nlh->nlmsg_flags = NLM_F_REQUEST | flags;
  nlh->nlmsg_seq = seq;
  nfg = mnl_nlmsg_put_extra_header (nlh, sizeof (*nfg));
  nfg->nfgen_family = family;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = 0;
  return nlh;
}

int
fw_conntrack_delete (const struct fw_ct_filter *f, size_t *deleted, berth_error_t *err)
{
  struct mnl_socket *nl;
  cleanup_free char *buf = malloc (MNL_SOCKET_BUFFER_SIZE);
  struct ct_dump d = { .f = f, .addr_len = f->family == AF_INET6 ? 16 : 4 };
  uint32_t seq = fw_nfnl_seq (), portid;
  ssize_t ret;
  int ok = 0;

  if (deleted)
    *deleted = 0;
  if (buf == NULL)
    return berth_error (err, ENOMEM, "conntrack");
  if ((nl = fw_nfnl (err)) == NULL)
    return berth_error_wrap (err, "conntrack");
  portid = mnl_socket_get_portid (nl);

  struct nlmsghdr *nlh = ct_request (buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, f->family, seq);
  if (mnl_socket_sendto (nl, nlh, nlh->nlmsg_len) < 0)
    {
      int e = errno;
      fw_nfnl_discard ();
      return berth_error (err, e, "conntrack: dump");
    }
  while ((ret = mnl_socket_recvfrom (nl, buf, MNL_SOCKET_BUFFER_SIZE)) > 0)
    {
      ok = mnl_cb_run (buf, ret, seq, portid, dump_cb, &d);
      if (ok <= MNL_CB_STOP)
        break;
    }
  if (ret < 0 || ok < 0)
    {
      int e = d.nomem ? ENOMEM : errno;
      free (d.entries);
      fw_nfnl_discard ();
      /* no conntrack in this kernel or namespace: nothing to forget */
      if (e == ENOENT || e == EPROTONOSUPPORT || e == EOPNOTSUPP)
        return 0;
      return berth_error (err, e, "conntrack: dump");
    }

  for (size_t i = 0; i < d.n; i++)
    {
      struct ct_entry *e = &d.entries[i];
      nlh = ct_request (buf, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, f->family, seq = fw_nfnl_seq ());
      mnl_attr_put (nlh, CTA_TUPLE_ORIG | NLA_F_NESTED, e->orig_len, e->orig);
      if (e->has_zone)
        mnl_attr_put_u16 (nlh, CTA_ZONE, e->zone);
      if (mnl_socket_sendto (nl, nlh, nlh->nlmsg_len) < 0
          || (ret = mnl_socket_recvfrom (nl, buf, MNL_SOCKET_BUFFER_SIZE)) < 0)
        {
          int saved = errno;
          free (d.entries);
          fw_nfnl_discard ();
          return berth_error (err, saved, "conntrack: delete");
        }
      /* gone already (expired meanwhile) is as good as deleted */
      if (mnl_cb_run (buf, ret, seq, portid, NULL, NULL) < 0 && errno != ENOENT)
        {
          int saved = errno;
          free (d.entries);
          fw_nfnl_discard ();
          return berth_error (err, saved, "conntrack: delete");
        }
      if (deleted)
        (*deleted)++;
    }
  free (d.entries);
  return 0;
}

int
fw_ct_filter_init (struct fw_ct_filter *f, const char *addr, const char *proto, uint16_t port)
{
  memset (f, 0, sizeof (*f));
  f->family = strchr (addr, ':') ? AF_INET6 : AF_INET;
  if (inet_pton (f->family, addr, f->addr) != 1)
    return -1;
  f->proto = proto == NULL ? 0 : strcmp (proto, "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
  f->port = port;
  return 0;
}

int
berth_fw_conntrack_forget (const char *addr, berth_error_t *err)
{
  struct fw_ct_filter f;

  int ret;

  if (addr == NULL || fw_ct_filter_init (&f, addr, NULL, 0) < 0)
    return berth_user_error (err, EINVAL, "conntrack: `%s` is not an IP address", addr ? addr : "");
  fw_process_lock ();
  ret = fw_conntrack_delete (&f, NULL, err);
  fw_process_unlock ();
  if (ret < 0)
    return berth_error_wrap (err, "forget the connections of %s", addr);
  return 0;
}
