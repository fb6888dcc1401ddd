/* Endpoints: a namespace joined to a network's bridge by a veth pair, with
 * a leased address, its default route and a MAC derived from the address
 * (Docker's 02:42:a:b:c:d).  The bridge and the network's firewall rules
 * are ensured on the way: they do not survive a reboot, the definition
 * does.  */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "net/net.h"
#include "net/netlink.h"
#include "util.h"

void
berth_endpoint_host_if (const char *owner, int index, char out[16])
{
  /* "vb" + 11 digits of the owner + the index: 15 characters at most,
   * unique among berth's containers with overwhelming odds, and known
   * before the link exists.  */
  snprintf (out, 16, "vb%.11s%x", owner, index & 0xf);
}

static int
to_nl (const char *ip, int prefix, struct berth_nl_addr *a)
{
  struct berth_cidr c;
  memset (a, 0, sizeof (*a));
  if (ip == NULL || *ip == '\0' || berth_ip_parse (ip, 0, &c) < 0)
    return -1;
  a->family = c.family;
  memcpy (a->addr, c.addr, 16);
  a->prefix = prefix;
  return 0;
}

static int
prefix_of (const char *cidr)
{
  struct berth_cidr c;
  return cidr && berth_cidr_parse (cidr, &c, NULL) == 0 ? c.prefix : 0;
}

/* The bridge with its gateway addresses, and the network's rules: set up
 * once per boot (the mark), and again whenever they are no longer in the
 * kernel (flushed by an administrator, or a dockerd started since).  */
static int
ensure_network (const struct berth_net_host *h, const struct berth_network *n, berth_error_t *err)
{
  struct berth_nl_addr g4, g6;
  cleanup_free char *mark = NULL;
  bool changed = false;
  struct berth_fw_config fw = { .table = n->fw_table ?: h->fw.table };
  struct berth_fw_net fn = {
    .name = n->name,
    .bridge = n->bridge,
    .subnet4 = n->subnet4,
    .gateway4 = n->gateway4,
    .subnet6 = n->subnet6,
    .gateway6 = n->gateway6,
    .internal = n->internal,
  };
  berth_error_t e = NULL;
  cleanup_free char *host_resolv = NULL;
  char dns4[16];

  if (asprintf (&mark, "%s/networks/%s.fw", h->runroot, n->name) < 0)
    return berth_error (err, ENOMEM, "network");
  if (berth_nl_link_exists (n->bridge) && access (mark, F_OK) == 0)
    {
      bool in_place = false;
      if (berth_fw_network_in_place (&fw, &fn, &in_place, err) < 0)
        return berth_error_wrap (err, "network %s", n->name);
      if (in_place)
        return 0;
    }
  /* Read when the rules are made: a host that changes its resolvers later
   * gets them with the next setup (a reboot, or a flush).  */
  if (berth_read_file (h->resolv_conf ?: "/etc/resolv.conf", &host_resolv, NULL, NULL) == 0
      && berth_net_loopback_resolver (host_resolv, dns4))
    fn.dns4 = dns4;
  to_nl (n->gateway4, prefix_of (n->subnet4), &g4);
  to_nl (n->gateway6, prefix_of (n->subnet6), &g6);
  if (berth_nl_bridge_ensure (n->bridge, n->mtu, &g4, &g6, err) < 0)
    return berth_error_wrap (err, "network %s", n->name);
  if (berth_fw_network_setup (&fw, &fn, &changed, &e) < 0)
    {
      if (e && e->status == ENOSYS)
        {
          /* No firewall built yet: links only, and no mark, so that the
           * rules are made once it exists.  */
          berth_error_release (&e);
          return 0;
        }
      *err = e;
      return berth_error_wrap (err, "network %s", n->name);
    }
  if (changed && h->notice)
    h->notice ("IP forwarding was off on this host: berth turned it on");
  return berth_write_file (mark, "", 0, 0600, err);
}

static int
parse_mac (const char *s, uint8_t mac[6])
{
  unsigned v[6];
  char extra;
  if (sscanf (s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &extra) != 6)
    return -1;
  for (int i = 0; i < 6; i++)
    {
      if (v[i] > 255)
        return -1;
      mac[i] = v[i];
    }
  return (mac[0] & 1) ? -1 : 0; /* not multicast */
}

int
berth_endpoint_connect (const struct berth_net_host *h, const struct berth_network *n,
                        const char *owner, json_t *names, const char *netns_path, const char *want4,
                        const char *want6, const char *want_mac, bool default_route,
                        struct berth_endpoint *ep, berth_error_t *err)
{
  struct berth_nl_addr a4, a6, g4, g6;
  cleanup_close int ns = -1;
  uint8_t mac[6] = { 0x02, 0x42, 0, 0, 0, 0 };
  bool have_link = false;

  snprintf (ep->network, sizeof (ep->network), "%s", n->name);
  snprintf (ep->gateway4, sizeof (ep->gateway4), "%s", n->gateway4 ?: "");
  snprintf (ep->gateway6, sizeof (ep->gateway6), "%s", n->gateway6 ?: "");
  ep->prefix4 = prefix_of (n->subnet4);
  ep->prefix6 = prefix_of (n->subnet6);
  if (want_mac && parse_mac (want_mac, mac) < 0)
    return berth_user_error (err, EINVAL, "invalid MAC address `%s`", want_mac);
  if (berth_ipam_lease (h, n, owner, names, want4, want6, ep->ip4, ep->ip6, err) < 0)
    return berth_error_wrap (err, "network %s", n->name);
  if (ensure_network (h, n, err) < 0)
    goto fail;
  if (want_mac == NULL && ep->ip4[0])
    {
      struct berth_cidr c;
      berth_ip_parse (ep->ip4, AF_INET, &c);
      memcpy (mac + 2, c.addr, 4);
    }
  else if (want_mac == NULL)
    {
      struct berth_cidr c;
      berth_ip_parse (ep->ip6, AF_INET6, &c);
      memcpy (mac + 2, c.addr + 12, 4);
    }
  snprintf (ep->mac, sizeof (ep->mac), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
            mac[3], mac[4], mac[5]);
  ns = open (netns_path, O_RDONLY | O_CLOEXEC);
  if (ns < 0)
    {
      berth_error (err, errno, "open `%s`", netns_path);
      goto fail;
    }
  if (berth_nl_veth_create (ep->host_if, n->bridge, ns, ep->ifname, mac, n->mtu, err) < 0)
    {
      /* The name is this owner's (berth_endpoint_host_if): a link that
       * has it is a leftover of its own, typically the host end of a pair
       * whose namespace is gone but that the kernel has not destroyed yet
       * (that runs in the background).  Removed, and made again.  */
      if (*err == NULL || (*err)->status != EEXIST)
        goto fail;
      berth_error_release (err);
      if (berth_nl_link_delete (ep->host_if, err) < 0
          || berth_nl_veth_create (ep->host_if, n->bridge, ns, ep->ifname, mac, n->mtu, err) < 0)
        goto fail;
    }
  have_link = true;
  to_nl (ep->ip4, ep->prefix4, &a4);
  to_nl (ep->ip6, ep->prefix6, &a6);
  to_nl (n->gateway4, 32, &g4);
  to_nl (n->gateway6, 128, &g6);
  if (berth_nl_configure_inside (ns, ep->ifname, &a4, n->internal ? NULL : &g4, &a6,
                                 n->internal ? NULL : &g6, default_route, err)
      < 0)
    goto fail;
  return 0;
fail:
  {
    berth_error_t ignored = NULL;
    if (have_link)
      berth_nl_link_delete (ep->host_if, &ignored);
    berth_error_release (&ignored);
    berth_ipam_release (h, n->name, owner, &ignored);
    berth_error_release (&ignored);
  }
  return berth_error_wrap (err, "network %s", n->name);
}

int
berth_endpoint_disconnect (const struct berth_net_host *h, const char *network, const char *owner,
                           const char *host_if, berth_error_t *err)
{
  if (host_if && *host_if && berth_nl_link_delete (host_if, err) < 0)
    return -1;
  return berth_ipam_release (h, network, owner, err);
}
