/* rtnetlink requests over libmnl: one request, one ACK, each a small
 * function.  A socket is opened per call sequence and closed with it, so
 * nothing is left behind in the caller; the in-namespace part opens its
 * socket while the calling thread is in the container's namespace and
 * returns the thread to its own before it returns.  */
#include "net/netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

struct nl
{
  struct mnl_socket *sock;
  unsigned seq;
  unsigned portid;
  char buf[8192];
};

static int
nl_open (struct nl *nl, berth_error_t *err)
{
  nl->sock = mnl_socket_open2 (NETLINK_ROUTE, SOCK_CLOEXEC);
  if (nl->sock == NULL)
    return berth_error (err, errno, "netlink socket");
  if (mnl_socket_bind (nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
    {
      int e = errno;
      mnl_socket_close (nl->sock);
      nl->sock = NULL;
      return berth_error (err, e, "netlink bind");
    }
  nl->portid = mnl_socket_get_portid (nl->sock);
  nl->seq = (unsigned)time (NULL);
  return 0;
}

static void
nl_close (struct nl *nl)
{
  if (nl->sock)
    mnl_socket_close (nl->sock);
  nl->sock = NULL;
}

static struct nlmsghdr *
nl_msg (struct nl *nl, uint16_t type, uint16_t flags)
{
  struct nlmsghdr *h = mnl_nlmsg_put_header (nl->buf);
  h->nlmsg_type = type;
  h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  h->nlmsg_seq = ++nl->seq;
  return h;
}

/* Send H and wait for its ACK: 0, or -errno from the kernel.  */
static int
nl_talk (struct nl *nl, struct nlmsghdr *h, mnl_cb_t cb, void *data)
{
  char rbuf[MNL_SOCKET_BUFFER_SIZE];
  int r;

  if (mnl_socket_sendto (nl->sock, h, h->nlmsg_len) < 0)
    return -errno;
  for (;;)
    {
      ssize_t n = mnl_socket_recvfrom (nl->sock, rbuf, sizeof (rbuf));
      if (n < 0)
        return -errno;
      r = mnl_cb_run (rbuf, n, h->nlmsg_seq, nl->portid, cb, data);
      if (r < 0)
        return -errno;
      if (r == MNL_CB_STOP)
        return 0;
    }
}

static int
link_index (struct nl *nl, const char *name)
{
  (void)nl;
  return (int)if_nametoindex (name);
}

static int
link_up (struct nl *nl, int index)
{
  struct nlmsghdr *h = nl_msg (nl, RTM_NEWLINK, 0);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header (h, sizeof (*ifi));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  return nl_talk (nl, h, NULL, NULL);
}

static int
addr_add (struct nl *nl, int index, const struct berth_nl_addr *a)
{
  struct nlmsghdr *h = nl_msg (nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header (h, sizeof (*ifa));
  size_t len = a->family == AF_INET ? 4 : 16;

  ifa->ifa_family = a->family;
  ifa->ifa_prefixlen = a->prefix;
  ifa->ifa_index = index;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  /* No duplicate address detection: the address is ours by lease, and a
   * tentative address would make the first packets fail.  */
  ifa->ifa_flags = a->family == AF_INET6 ? IFA_F_NODAD : 0;
  mnl_attr_put (h, IFA_LOCAL, len, a->addr);
  mnl_attr_put (h, IFA_ADDRESS, len, a->addr);
  if (a->family == AF_INET6)
    mnl_attr_put_u32 (h, IFA_FLAGS, IFA_F_NODAD);
  if (a->family == AF_INET)
    {
      uint8_t brd[4];
      uint32_t host = a->prefix >= 32 ? 0 : 0xffffffffu >> a->prefix;
      for (int i = 0; i < 4; i++)
        brd[i] = a->addr[i] | ((host >> (24 - 8 * i)) & 0xff);
      mnl_attr_put (h, IFA_BROADCAST, 4, brd);
    }
  return nl_talk (nl, h, NULL, NULL);
}

static int
route_default (struct nl *nl, int index, const struct berth_nl_addr *gw)
{
  struct nlmsghdr *h = nl_msg (nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
  struct rtmsg *rt = mnl_nlmsg_put_extra_header (h, sizeof (*rt));

  rt->rtm_family = gw->family;
  rt->rtm_dst_len = 0;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_BOOT;
  rt->rtm_scope = RT_SCOPE_UNIVERSE;
  rt->rtm_type = RTN_UNICAST;
  mnl_attr_put (h, RTA_GATEWAY, gw->family == AF_INET ? 4 : 16, gw->addr);
  mnl_attr_put_u32 (h, RTA_OIF, index);
  return nl_talk (nl, h, NULL, NULL);
}

int
berth_nl_bridge_ensure (const char *name, int mtu, const struct berth_nl_addr *a4,
                        const struct berth_nl_addr *a6, berth_error_t *err)
{
  struct nl nl = { 0 };
  int index, r;

  if (nl_open (&nl, err) < 0)
    return -1;
  index = link_index (&nl, name);
  if (index == 0)
    {
      struct nlmsghdr *h = nl_msg (&nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
      struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header (h, sizeof (*ifi));
      struct nlattr *li;
      ifi->ifi_family = AF_UNSPEC;
      mnl_attr_put_strz (h, IFLA_IFNAME, name);
      if (mtu > 0)
        mnl_attr_put_u32 (h, IFLA_MTU, mtu);
      li = mnl_attr_nest_start (h, IFLA_LINKINFO);
      mnl_attr_put_strz (h, IFLA_INFO_KIND, "bridge");
      mnl_attr_nest_end (h, li);
      r = nl_talk (&nl, h, NULL, NULL);
      /* Another berth made it meanwhile.  */
      if (r < 0 && r != -EEXIST)
        {
          nl_close (&nl);
          return berth_error (err, -r, "create bridge `%s`", name);
        }
      index = link_index (&nl, name);
      if (index == 0)
        {
          nl_close (&nl);
          return berth_error (err, ENODEV, "bridge `%s`", name);
        }
    }
  if (a4 && a4->family && (r = addr_add (&nl, index, a4)) < 0)
    {
      nl_close (&nl);
      return berth_error (err, -r, "add the gateway address to `%s`", name);
    }
  if (a6 && a6->family && (r = addr_add (&nl, index, a6)) < 0)
    {
      nl_close (&nl);
      return berth_error (err, -r, "add the IPv6 gateway address to `%s`", name);
    }
  r = link_up (&nl, index);
  nl_close (&nl);
  if (r < 0)
    return berth_error (err, -r, "set `%s` up", name);
  return 0;
}

int
berth_nl_veth_create (const char *host_name, const char *bridge, int netns_fd,
                      const char *peer_name, const uint8_t mac[6], int mtu, berth_error_t *err)
{
  struct nl nl = { 0 };
  struct nlmsghdr *h;
  struct ifinfomsg *ifi, *peer;
  struct nlattr *li, *data, *pn;
  int master, r;

  master = (int)if_nametoindex (bridge);
  if (master == 0)
    return berth_error (err, ENODEV, "bridge `%s`", bridge);
  if (nl_open (&nl, err) < 0)
    return -1;
  /* One request makes both ends: the host end on the bridge, the container
   * end already in its namespace, named, with its MAC.  Both come up
   * afterwards: this kernel (6.18) fails a creation that sets a master and
   * IFF_UP at once with ENOTCONN.  */
  h = nl_msg (&nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  ifi = mnl_nlmsg_put_extra_header (h, sizeof (*ifi));
  ifi->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz (h, IFLA_IFNAME, host_name);
  mnl_attr_put_u32 (h, IFLA_MASTER, master);
  if (mtu > 0)
    mnl_attr_put_u32 (h, IFLA_MTU, mtu);
  li = mnl_attr_nest_start (h, IFLA_LINKINFO);
  mnl_attr_put_strz (h, IFLA_INFO_KIND, "veth");
  data = mnl_attr_nest_start (h, IFLA_INFO_DATA);
  pn = mnl_attr_nest_start (h, VETH_INFO_PEER);
  peer = mnl_nlmsg_put_extra_header (h, sizeof (*peer));
  memset (peer, 0, sizeof (*peer));
  peer->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz (h, IFLA_IFNAME, peer_name);
  mnl_attr_put_u32 (h, IFLA_NET_NS_FD, netns_fd);
  if (mtu > 0)
    mnl_attr_put_u32 (h, IFLA_MTU, mtu);
  if (mac)
    mnl_attr_put (h, IFLA_ADDRESS, 6, mac);
  mnl_attr_nest_end (h, pn);
  mnl_attr_nest_end (h, data);
  mnl_attr_nest_end (h, li);
  r = nl_talk (&nl, h, NULL, NULL);
  if (r < 0)
    {
      nl_close (&nl);
      return berth_error (err, -r, "create veth `%s`", host_name);
    }
  r = link_up (&nl, (int)if_nametoindex (host_name));
  nl_close (&nl);
  if (r < 0)
    return berth_error (err, -r, "set `%s` up", host_name);
  return 0;
}

/* Run in the namespace NETNS_FD: the calling thread enters it, opens its
 * netlink socket there (a socket stays in the namespace it was made in) and
 * goes back at once.  */
static int
nl_open_in (struct nl *nl, int netns_fd, berth_error_t *err)
{
  cleanup_close int self = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  int r;

  if (self < 0)
    return berth_error (err, errno, "open `/proc/thread-self/ns/net`");
  if (setns (netns_fd, CLONE_NEWNET) < 0)
    return berth_error (err, errno, "enter the container's network namespace");
  r = nl_open (nl, err);
  if (setns (self, CLONE_NEWNET) < 0)
    abort (); /* never left in the container's namespace */
  return r;
}

/* The index of NAME in the socket's namespace, by RTM_GETLINK.  */
struct index_query
{
  int index;
};

static int
index_cb (const struct nlmsghdr *h, void *data)
{
  struct ifinfomsg *ifi = mnl_nlmsg_get_payload (h);
  ((struct index_query *)data)->index = ifi->ifi_index;
  return MNL_CB_OK;
}

static int
link_index_by_name (struct nl *nl, const char *name)
{
  struct index_query q = { 0 };
  struct nlmsghdr *h = nl_msg (nl, RTM_GETLINK, 0);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header (h, sizeof (*ifi));
  int r;

  ifi->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz (h, IFLA_IFNAME, name);
  r = nl_talk (nl, h, index_cb, &q);
  return r < 0 ? r : q.index;
}

int
berth_nl_loopback_up (int netns_fd, berth_error_t *err)
{
  struct nl nl = { 0 };
  int r;

  if (nl_open_in (&nl, netns_fd, err) < 0)
    return -1;
  r = link_up (&nl, 1); /* lo is always 1 in a new namespace */
  nl_close (&nl);
  if (r < 0)
    return berth_error (err, -r, "set lo up");
  return 0;
}

int
berth_nl_configure_inside (int netns_fd, const char *ifname, const struct berth_nl_addr *a4,
                           const struct berth_nl_addr *gw4, const struct berth_nl_addr *a6,
                           const struct berth_nl_addr *gw6, bool default_route, berth_error_t *err)
{
  struct nl nl = { 0 };
  const char *what = "lo up";
  int index, r;

  if (nl_open_in (&nl, netns_fd, err) < 0)
    return -1;
  r = link_up (&nl, 1);
  if (r < 0)
    goto fail;
  what = "find the container's interface";
  r = index = link_index_by_name (&nl, ifname);
  if (r <= 0)
    goto fail;
  what = "add the container's address";
  if (a4 && a4->family && (r = addr_add (&nl, index, a4)) < 0)
    goto fail;
  if (a6 && a6->family && (r = addr_add (&nl, index, a6)) < 0)
    goto fail;
  what = "set the interface up";
  if ((r = link_up (&nl, index)) < 0)
    goto fail;
  what = "add the default route";
  if (default_route && gw4 && gw4->family && (r = route_default (&nl, index, gw4)) < 0)
    goto fail;
  if (default_route && gw6 && gw6->family && (r = route_default (&nl, index, gw6)) < 0)
    goto fail;
  nl_close (&nl);
  return 0;
fail:
  nl_close (&nl);
  return berth_error (err, r < 0 ? -r : ENODEV, "%s", what);
}

static int
link_delete (struct nl *nl, const char *name)
{
  struct nlmsghdr *h = nl_msg (nl, RTM_DELLINK, 0);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header (h, sizeof (*ifi));
  ifi->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz (h, IFLA_IFNAME, name);
  return nl_talk (nl, h, NULL, NULL);
}

int
berth_nl_link_delete (const char *name, berth_error_t *err)
{
  struct nl nl = { 0 };
  int r;

  if (nl_open (&nl, err) < 0)
    return -1;
  r = link_delete (&nl, name);
  nl_close (&nl);
  if (r < 0 && r != -ENODEV)
    return berth_error (err, -r, "delete link `%s`", name);
  return 0;
}

int
berth_nl_link_delete_in (int netns_fd, const char *name, berth_error_t *err)
{
  struct nl nl = { 0 };
  int r;

  if (nl_open_in (&nl, netns_fd, err) < 0)
    return -1;
  r = link_delete (&nl, name);
  nl_close (&nl);
  if (r < 0 && r != -ENODEV)
    return berth_error (err, -r, "delete link `%s`", name);
  return 0;
}

bool
berth_nl_link_exists (const char *name)
{
  return if_nametoindex (name) != 0;
}

struct route_query
{
  uint32_t net, mask;
  bool overlaps;
};

static int
route_cb (const struct nlmsghdr *h, void *data)
{
  struct route_query *q = data;
  struct rtmsg *rt = mnl_nlmsg_get_payload (h);
  struct nlattr *a;
  uint32_t dst = 0, mask;

  if (rt->rtm_family != AF_INET || rt->rtm_table != RT_TABLE_MAIN || rt->rtm_dst_len == 0)
    return MNL_CB_OK;
  mnl_attr_for_each (a, h, sizeof (*rt))
  {
    if (mnl_attr_get_type (a) == RTA_DST && mnl_attr_get_payload_len (a) == 4)
      {
        memcpy (&dst, mnl_attr_get_payload (a), 4);
        dst = ntohl (dst);
      }
  }
  mask = rt->rtm_dst_len >= 32 ? 0xffffffffu : ~(0xffffffffu >> rt->rtm_dst_len);
  /* Overlap: either range contains the other's start.  */
  if ((dst & q->mask) == q->net || (q->net & mask) == (dst & mask))
    q->overlaps = true;
  return MNL_CB_OK;
}

int
berth_nl_route_overlaps (const uint8_t net[4], int prefix, bool *overlaps, berth_error_t *err)
{
  struct nl nl = { 0 };
  struct route_query q;
  struct nlmsghdr *h;
  struct rtmsg *rt;
  char rbuf[MNL_SOCKET_BUFFER_SIZE];
  int r = 0;

  q.mask = prefix >= 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
  q.net = ((uint32_t)net[0] << 24 | net[1] << 16 | net[2] << 8 | net[3]) & q.mask;
  q.overlaps = false;
  if (nl_open (&nl, err) < 0)
    return -1;
  h = mnl_nlmsg_put_header (nl.buf);
  h->nlmsg_type = RTM_GETROUTE;
  h->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  h->nlmsg_seq = ++nl.seq;
  rt = mnl_nlmsg_put_extra_header (h, sizeof (*rt));
  rt->rtm_family = AF_INET;
  if (mnl_socket_sendto (nl.sock, h, h->nlmsg_len) < 0)
    r = -errno;
  while (r == 0)
    {
      ssize_t n = mnl_socket_recvfrom (nl.sock, rbuf, sizeof (rbuf));
      if (n < 0)
        {
          r = -errno;
          break;
        }
      r = mnl_cb_run (rbuf, n, h->nlmsg_seq, nl.portid, route_cb, &q);
      if (r == MNL_CB_STOP)
        {
          r = 0;
          break;
        }
      r = r < 0 ? -errno : 0;
    }
  nl_close (&nl);
  if (r < 0)
    return berth_error (err, -r, "list the host's routes");
  *overlaps = q.overlaps;
  return 0;
}
