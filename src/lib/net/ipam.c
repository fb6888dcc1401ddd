/* IPAM: the addresses of a network, leased to owners.  The leases of a
 * network are one small JSON object in RUNROOT/networks/<name>.leases,
 * changed only under RUNROOT/networks/<name>.lock (flock), so two `run`s
 * at the same time never get the same address.  */
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
#include "util.h"

static uint32_t
v4 (const struct berth_cidr *c)
{
  return (uint32_t)c->addr[0] << 24 | c->addr[1] << 16 | c->addr[2] << 8 | c->addr[3];
}

static void
set_v4 (struct berth_cidr *c, uint32_t a)
{
  memset (c, 0, sizeof (*c));
  c->family = AF_INET;
  c->prefix = 32;
  c->addr[0] = a >> 24;
  c->addr[1] = a >> 16;
  c->addr[2] = a >> 8;
  c->addr[3] = a;
}

static bool
same_addr (const struct berth_cidr *a, const struct berth_cidr *b)
{
  return a && b && a->family == b->family
         && memcmp (a->addr, b->addr, a->family == AF_INET ? 4 : 16) == 0;
}

int
berth_ipam_pick (const struct berth_cidr *subnet, const struct berth_cidr *range,
                 const struct berth_cidr *gateway, bool (*taken) (const char *ip, void *),
                 void *data, struct berth_cidr *out, berth_error_t *err)
{
  char buf[64];

  if (subnet->family == AF_INET)
    {
      uint32_t mask = subnet->prefix ? ~0u << (32 - subnet->prefix) : 0;
      uint32_t net = v4 (subnet) & mask, bcast = net | ~mask;
      uint32_t lo = net + 1, hi = bcast - 1;
      if (subnet->prefix >= 31)
        return berth_user_error (err, ENOSPC, "no available IPv4 address: /%d is too small",
                                subnet->prefix);
      if (range)
        {
          uint32_t rmask = range->prefix ? ~0u << (32 - range->prefix) : 0;
          uint32_t rnet = v4 (range) & rmask;
          if (rnet > lo)
            lo = rnet;
          if ((rnet | ~rmask) < hi)
            hi = rnet | ~rmask;
        }
      for (uint64_t a = lo; a <= hi; a++)
        {
          set_v4 (out, (uint32_t)a);
          if (same_addr (out, gateway))
            continue;
          berth_cidr_format (out, false, buf);
          if (taken == NULL || !taken (buf, data))
            return 0;
        }
      return berth_user_error (err, ENOSPC, "no available IPv4 address on the network");
    }
  /* IPv6: the host part counts up from 1 in its low 32 bits (a network
   * holds fewer containers than that).  */
  for (uint32_t i = 1; i < (1u << 24); i++)
    {
      *out = *subnet;
      out->prefix = 128;
      out->addr[12] |= (uint8_t)(i >> 24);
      out->addr[13] |= (uint8_t)(i >> 16);
      out->addr[14] |= (uint8_t)(i >> 8);
      out->addr[15] |= (uint8_t)i;
      if (!berth_cidr_contains (subnet, out))
        break;
      if (same_addr (out, gateway))
        continue;
      berth_cidr_format (out, false, buf);
      if (taken == NULL || !taken (buf, data))
        return 0;
    }
  return berth_user_error (err, ENOSPC, "no available IPv6 address on the network");
}

static char *
net_path (const struct berth_net_host *h, const char *name, const char *suffix)
{
  char *p = NULL;
  if (asprintf (&p, "%s/networks/%s%s", h->runroot, name, suffix) < 0)
    return NULL;
  return p;
}

/* The network's lease lock, held until the fd is closed.  */
static int
lock_leases (const struct berth_net_host *h, const char *name, berth_error_t *err)
{
  cleanup_free char *dir = NULL, *path = net_path (h, name, ".lock");

  if (path == NULL || asprintf (&dir, "%s/networks", h->runroot) < 0)
    return berth_error (err, ENOMEM, "lease lock");
  return berth_lock_file (dir, path, err);
}

static json_t *
read_leases (const char *path)
{
  json_t *j = json_load_file (path, 0, NULL);
  if (!json_is_object (j))
    {
      json_decref (j);
      j = json_object ();
    }
  return j;
}

static int
write_leases (const char *path, json_t *leases, berth_error_t *err)
{
  cleanup_free char *text = json_dumps (leases, JSON_COMPACT | JSON_SORT_KEYS);
  if (text == NULL)
    return berth_error (err, ENOMEM, "leases");
  return berth_write_file_atomic (path, text, strlen (text), 0600, err);
}

struct taken_ctx
{
  json_t *leases;
};

static bool
is_taken (const char *ip, void *data)
{
  return json_object_get (((struct taken_ctx *)data)->leases, ip) != NULL;
}

static int
lease_one (json_t *leases, const char *owner, json_t *names, const char *subnet_s,
           const char *range_s, const char *gateway_s, const char *want, char out[64],
           berth_error_t *err)
{
  struct berth_cidr subnet, range, gw, ip;
  struct taken_ctx t = { leases };
  bool has_gw = gateway_s && berth_ip_parse (gateway_s, 0, &gw) == 0;

  if (berth_cidr_parse (subnet_s, &subnet, err) < 0)
    return -1;
  if (range_s && berth_cidr_parse (range_s, &range, err) < 0)
    return -1;
  if (want)
    {
      const char *holder;
      if (berth_ip_parse (want, subnet.family, &ip) < 0)
        return berth_user_error (err, EINVAL, "invalid IP address `%s`", want);
      berth_cidr_format (&ip, false, out);
      if (!berth_cidr_contains (&subnet, &ip))
        return berth_user_error (err, EINVAL, "address %s is not in the network's subnet %s", want,
                                subnet_s);
      if (has_gw && same_addr (&ip, &gw))
        return berth_user_error (err, EADDRINUSE, "address %s is the network's gateway", want);
      if (subnet.family == AF_INET && subnet.prefix < 31)
        {
          struct berth_cidr n = subnet;
          uint32_t mask = ~0u << (32 - subnet.prefix);
          if (v4 (&ip) == (v4 (&n) & mask) || v4 (&ip) == ((v4 (&n) & mask) | ~mask))
            return berth_user_error (err, EINVAL, "address %s is the network's %s address", want,
                                    v4 (&ip) == (v4 (&n) & mask) ? "network" : "broadcast");
        }
      holder = json_string_value (json_object_get (json_object_get (leases, out), "owner"));
      if (holder && strcmp (holder, owner) != 0)
        return berth_user_error (err, EADDRINUSE, "address %s is already in use", want);
    }
  else if (berth_ipam_pick (&subnet, range_s ? &range : NULL, has_gw ? &gw : NULL, is_taken, &t,
                            &ip, err)
           < 0)
    return -1;
  else
    berth_cidr_format (&ip, false, out);
  json_object_set_new (
      leases, out, (names ? json_pack ("{s:s,s:O}", "owner", owner, "names", names)
                             : json_pack ("{s:s,s:[]}", "owner", owner, "names")));
  return 0;
}

int
berth_network_lock (const struct berth_net_host *h, const char *name, berth_error_t *err)
{
  return lock_leases (h, name, err);
}

int
berth_ipam_entries (const struct berth_net_host *h, const char *name, json_t **out,
                    berth_error_t *err)
{
  cleanup_free char *path = net_path (h, name, ".leases");
  if (path == NULL)
    return berth_error (err, ENOMEM, "leases");
  *out = read_leases (path);
  return 0;
}

int
berth_ipam_lease (const struct berth_net_host *h, const struct berth_network *n, const char *owner,
                  json_t *names, const char *want4, const char *want6, char out4[64], char out6[64],
                  berth_error_t *err)
{
  cleanup_free char *path = net_path (h, n->name, ".leases");
  cleanup_close int lock = -1;
  json_t *leases;
  int r = 0;

  out4[0] = '\0';
  if (out6)
    out6[0] = '\0';
  if (path == NULL)
    return berth_error (err, ENOMEM, "leases");
  lock = lock_leases (h, n->name, err);
  if (lock < 0)
    return -1;
  leases = read_leases (path);
  if (n->subnet4)
    r = lease_one (leases, owner, names, n->subnet4, n->ip_range4, n->gateway4, want4, out4, err);
  else if (want4)
    r = berth_user_error (err, EINVAL, "network %s has no IPv4 subnet", n->name);
  if (r == 0 && n->subnet6 && out6)
    r = lease_one (leases, owner, names, n->subnet6, NULL, n->gateway6, want6, out6, err);
  if (r == 0)
    r = write_leases (path, leases, err);
  json_decref (leases);
  return r;
}

int
berth_ipam_release (const struct berth_net_host *h, const char *name, const char *owner,
                    berth_error_t *err)
{
  cleanup_free char *path = net_path (h, name, ".leases");
  cleanup_close int lock = -1;
  json_t *leases, *v;
  const char *k;
  void *tmp;
  bool changed = false;
  int r = 0;

  if (path == NULL)
    return berth_error (err, ENOMEM, "leases");
  if (access (path, F_OK) < 0)
    return 0;
  lock = lock_leases (h, name, err);
  if (lock < 0)
    return -1;
  leases = read_leases (path);
  json_object_foreach_safe (leases, tmp, k, v)
  {
    if (strcmp (json_string_value (json_object_get (v, "owner")) ?: "", owner) == 0)
      {
        json_object_del (leases, k);
        changed = true;
      }
  }
  if (changed)
    r = write_leases (path, leases, err);
  json_decref (leases);
  return r;
}

int
berth_ipam_owners (const struct berth_net_host *h, const char *name, char ***owners,
                   berth_error_t *err)
{
  cleanup_free char *path = net_path (h, name, ".leases");
  json_t *leases, *v;
  const char *k;
  size_t n = 0;
  char **o;

  if (path == NULL)
    return berth_error (err, ENOMEM, "leases");
  leases = read_leases (path);
  o = calloc (json_object_size (leases) + 1, sizeof (char *));
  if (o == NULL)
    {
      json_decref (leases);
      return berth_error (err, ENOMEM, "leases");
    }
  json_object_foreach (leases, k, v)
  {
    const char *s = json_string_value (json_object_get (v, "owner"));
    bool seen = false;
    for (size_t i = 0; s && i < n; i++)
      seen = seen || strcmp (o[i], s) == 0;
    if (s && !seen)
      o[n++] = strdup (s);
  }
  json_decref (leases);
  *owners = o;
  return 0;
}
