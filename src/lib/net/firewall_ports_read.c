/* Reading the published ports of berth's table straight from the kernel
 * (an NFT_MSG_GETSETELEM dump over libmnl).  nft's own listing decodes
 * every element into expressions and prints it, about 25 us per element:
 * 20 ms a call with 500 published ports, on every run and rm.  The dump
 * costs well under a millisecond; the elements' layout is fixed by the map
 * types in firewall_rules.c, each field in 4-byte registers:
 *   dnat4_any  key proto . port                   data ip4 . port
 *   dnat4_ip   key ip4 . proto . port              data ip4 . port
 *   dnat6_ip   key ip6 . proto . port              data ip6 . port
 * with the comment in the element's user data (type 0, NUL-terminated).  */
#include "net/firewall_rules.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "net/firewall_nft.h"

#define UDATA_COMMENT 0 /* NFTNL_UDATA_SET_ELEM_COMMENT */

static uint16_t
port_at (const unsigned char *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}

static const char *
proto_name (unsigned char p)
{
  return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : NULL;
}

int
fw_parse_port_elem (struct fw_state *st, const char *map, const unsigned char *key, size_t key_len,
                    const unsigned char *data, size_t data_len, const char *comment,
                    berth_error_t *err)
{
  struct fw_port_entry e = { 0 };
  bool v6 = strcmp (map, "dnat6_ip") == 0, any = strcmp (map, "dnat4_any") == 0;
  size_t alen = v6 ? 16 : 4, off = any ? 0 : alen;
  const char *space, *proto;

  if (comment == NULL || (space = strchr (comment, ' ')) == NULL
      || (size_t)(space - comment) > BERTH_FW_OWNER_MAX)
    return 0; /* not berth's */
  if (key_len < off + 8 || data_len < alen + 4)
    return 0;
  memcpy (e.owner, comment, space - comment);
  snprintf (e.network, sizeof (e.network), "%s", space + 1);
  if (!any
      && inet_ntop (v6 ? AF_INET6 : AF_INET, key, e.port.host_ip, sizeof (e.port.host_ip)) == NULL)
    return 0;
  if ((proto = proto_name (key[off])) == NULL)
    return 0;
  memcpy (e.port.proto, proto, 4);
  e.port.host_port = port_at (key + off + 4);
  if (inet_ntop (v6 ? AF_INET6 : AF_INET, data, e.port.ctr_ip, sizeof (e.port.ctr_ip)) == NULL)
    return 0;
  e.port.ctr_port = port_at (data + alen);

  struct fw_port_entry *p = realloc (st->ports, (st->n_ports + 1) * sizeof (*p));
  if (p == NULL)
    return berth_error (err, ENOMEM, "read firewall ports");
  st->ports = p;
  st->ports[st->n_ports++] = e;
  return 0;
}

struct elem_dump
{
  struct fw_state *st;
  const char *map;
  berth_error_t *err;
  int ret;
};

/* The NFTA_DATA_VALUE inside a key or data nest.  */
static const struct nlattr *
data_value (const struct nlattr *nest)
{
  const struct nlattr *a;

  mnl_attr_for_each_nested (a, nest) if (mnl_attr_get_type (a) == NFTA_DATA_VALUE) return a;
  return NULL;
}

/* The comment in an element's user data: TLVs of (type, len, value).  */
static void
udata_comment (const struct nlattr *a, char *out, size_t size)
{
  const unsigned char *p = mnl_attr_get_payload (a);
  size_t len = mnl_attr_get_payload_len (a), i = 0;

  out[0] = '\0';
  while (i + 2 <= len && i + 2 + p[i + 1] <= len)
    {
      if (p[i] == UDATA_COMMENT && p[i + 1] > 0)
        {
          size_t n = p[i + 1] < size ? p[i + 1] : size - 1;
          memcpy (out, p + i + 2, n);
          out[n] = '\0';
          return;
        }
      i += 2 + p[i + 1];
    }
}

static void
read_elem (struct elem_dump *d, const struct nlattr *elem)
{
  const struct nlattr *a, *key = NULL, *data = NULL;
  char comment[256] = "";

  mnl_attr_for_each_nested (a, elem)
  {
    switch (mnl_attr_get_type (a))
      {
      case NFTA_SET_ELEM_KEY:
        key = data_value (a);
        break;
      case NFTA_SET_ELEM_DATA:
        data = data_value (a);
        break;
      case NFTA_SET_ELEM_USERDATA:
        udata_comment (a, comment, sizeof (comment));
        break;
      }
  }
  if (key == NULL || data == NULL || d->ret < 0)
    return;
  d->ret = fw_parse_port_elem (d->st, d->map, mnl_attr_get_payload (key),
                               mnl_attr_get_payload_len (key), mnl_attr_get_payload (data),
                               mnl_attr_get_payload_len (data), comment, d->err);
}

static int
elems_cb (const struct nlmsghdr *nlh, void *arg)
{
  struct elem_dump *d = arg;
  const struct nlattr *a, *e;

  mnl_attr_for_each (a, nlh, sizeof (struct nfgenmsg))
  {
    if (mnl_attr_get_type (a) != NFTA_SET_ELEM_LIST_ELEMENTS)
      continue;
    mnl_attr_for_each_nested (e, a)
    {
      if (mnl_attr_get_type (e) == NFTA_LIST_ELEM)
        read_elem (d, e);
    }
  }
  return d->ret < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

/* Dump one map's elements into st->ports.  A missing map is no error.  */
static int
read_map (struct mnl_socket *nl, char *buf, const char *table, const char *map, struct fw_state *st,
          berth_error_t *err)
{
  struct nlmsghdr *nlh = mnl_nlmsg_put_header (buf);
  struct nfgenmsg *nfg;
  struct elem_dump d = { .st = st, .map = map, .err = err };
  uint32_t seq = fw_nfnl_seq (), portid = mnl_socket_get_portid (nl);
  ssize_t ret;
  int r = MNL_CB_OK;

  nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETSETELEM;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = seq;
  nfg = mnl_nlmsg_put_extra_header (nlh, sizeof (*nfg));
  nfg->nfgen_family = NFPROTO_INET;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = 0;
  mnl_attr_put_strz (nlh, NFTA_SET_ELEM_LIST_TABLE, table);
  mnl_attr_put_strz (nlh, NFTA_SET_ELEM_LIST_SET, map);
  if (mnl_socket_sendto (nl, nlh, nlh->nlmsg_len) < 0)
    {
      int e = errno;
      fw_nfnl_discard ();
      return berth_error (err, e, "read firewall ports");
    }
  while ((ret = mnl_socket_recvfrom (nl, buf, MNL_SOCKET_BUFFER_SIZE)) > 0)
    {
      r = mnl_cb_run (buf, ret, seq, portid, elems_cb, &d);
      if (r <= MNL_CB_STOP)
        break;
    }
  if (d.ret < 0)
    {
      fw_nfnl_discard ();
      return d.ret;
    }
  if (ret < 0 || r < 0)
    {
      int e = errno;
      if (e == ENOENT)
        return 0; /* the kernel's answer to a missing map is all there is */
      fw_nfnl_discard ();
      return berth_error (err, e, "read firewall ports of `%s`", map);
    }
  return 0;
}

int
fw_read_ports (const char *table, struct fw_state *st, berth_error_t *err)
{
  cleanup_free char *buf = malloc (MNL_SOCKET_BUFFER_SIZE);
  static const char *const maps[] = { "dnat4_any", "dnat4_ip", "dnat6_ip" };
  struct mnl_socket *nl;

  if (buf == NULL)
    return berth_error (err, ENOMEM, "read firewall ports");
  if ((nl = fw_nfnl (err)) == NULL)
    return berth_error_wrap (err, "read firewall ports");
  for (size_t i = 0; i < 3; i++)
    if (read_map (nl, buf, table, maps[i], st, err) < 0)
      return -1;
  return 0;
}
