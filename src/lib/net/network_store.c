/* The networks: definitions under ROOT/networks/<name>.json, created and
 * removed under ROOT/networks/.lock.  The default network ("bridge") is
 * defined on first use from the host settings.  A network's bridge and
 * rules are host objects made when a container first joins it (and again
 * after a reboot), removed with the network.  */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "net/net.h"
#include "net/netlink.h"
#include "util.h"

void
berth_net_host_from_env (struct berth_net_host *h, const char *root, const char *runroot)
{
  const char *s;

  memset (h, 0, sizeof (*h));
  h->root = root;
  h->runroot = runroot;
  s = getenv ("BERTH_DEFAULT_BRIDGE");
  h->default_bridge = s && *s ? s : BERTH_NET_DEFAULT_BRIDGE;
  s = getenv ("BERTH_DEFAULT_SUBNET");
  h->default_subnet = s && *s ? s : NULL;
  s = getenv ("BERTH_FW_TABLE");
  h->fw.table = s && *s ? s : NULL;
  s = getenv ("BERTH_RESOLV_CONF");
  h->resolv_conf = s && *s ? s : "/etc/resolv.conf";
}

void
berth_network_free (struct berth_network *n)
{
  if (n == NULL)
    return;
  free (n->name);
  free (n->id);
  free (n->bridge);
  free (n->created);
  free (n->subnet4);
  free (n->gateway4);
  free (n->ip_range4);
  free (n->subnet6);
  free (n->gateway6);
  free (n->fw_table);
  json_decref (n->options);
  free (n);
}

void
berth_network_list_free (struct berth_network **l, size_t n)
{
  for (size_t i = 0; i < n; i++)
    berth_network_free (l[i]);
  free (l);
}

static char *
jdup (json_t *o, const char *k)
{
  const char *s = json_string_value (json_object_get (o, k));
  return s && *s ? strdup (s) : NULL;
}

static struct berth_network *
from_json (json_t *j)
{
  struct berth_network *n = calloc (1, sizeof (*n));
  if (n == NULL)
    return NULL;
  n->name = jdup (j, "name");
  n->id = jdup (j, "id");
  n->bridge = jdup (j, "bridge");
  n->created = jdup (j, "created");
  n->subnet4 = jdup (j, "subnet4");
  n->gateway4 = jdup (j, "gateway4");
  n->ip_range4 = jdup (j, "ip_range4");
  n->subnet6 = jdup (j, "subnet6");
  n->gateway6 = jdup (j, "gateway6");
  n->fw_table = jdup (j, "fw_table");
  n->internal = json_is_true (json_object_get (j, "internal"));
  n->ipv6 = json_is_true (json_object_get (j, "ipv6"));
  n->mtu = (int)json_integer_value (json_object_get (j, "mtu"));
  n->options = json_incref (json_object_get (j, "options"));
  if (n->options == NULL)
    n->options = json_object ();
  if (n->name == NULL || n->id == NULL || n->bridge == NULL)
    {
      berth_network_free (n);
      return NULL;
    }
  return n;
}

static json_t *
to_json (const struct berth_network *n)
{
  json_t *j = json_pack ("{s:s,s:s,s:s,s:s,s:b,s:b,s:i,s:O}", "name", n->name, "id", n->id,
                         "bridge", n->bridge, "created", n->created ?: "", "internal", n->internal,
                         "ipv6", n->ipv6, "mtu", n->mtu, "options", n->options);
#define OPT(k, v)                                                                                  \
  if (j && v)                                                                                      \
  json_object_set_new (j, k, json_string (v))
  OPT ("subnet4", n->subnet4);
  OPT ("gateway4", n->gateway4);
  OPT ("ip_range4", n->ip_range4);
  OPT ("subnet6", n->subnet6);
  OPT ("gateway6", n->gateway6);
  OPT ("fw_table", n->fw_table);
#undef OPT
  return j;
}

json_t *
berth_network_json (const struct berth_network *n)
{
  json_t *config = json_array ();
  json_t *opts = json_deep_copy (n->options);

  if (n->subnet4)
    {
      json_t *c = json_pack ("{s:s,s:s}", "Subnet", n->subnet4, "Gateway", n->gateway4 ?: "");
      if (n->ip_range4)
        json_object_set_new (c, "IPRange", json_string (n->ip_range4));
      json_array_append_new (config, c);
    }
  if (n->subnet6)
    json_array_append_new (
        config, json_pack ("{s:s,s:s}", "Subnet", n->subnet6, "Gateway", n->gateway6 ?: ""));
  json_object_set_new (opts, "com.docker.network.bridge.name", json_string (n->bridge));
  if (n->mtu)
    {
      char m[16];
      snprintf (m, sizeof (m), "%d", n->mtu);
      json_object_set_new (opts, "com.docker.network.driver.mtu", json_string (m));
    }
  return json_pack ("{s:s,s:s,s:s,s:s,s:s,s:b,s:{s:s,s:n,s:o},s:b,s:b,s:b,s:{},s:o,s:{}}", "Name",
                    n->name, "Id", n->id, "Created", n->created ?: "", "Scope", "local", "Driver",
                    "bridge", "EnableIPv6", n->ipv6, "IPAM", "Driver", "default", "Options",
                    "Config", config, "Internal", n->internal, "Attachable", 0, "Ingress", 0,
                    "Containers", "Options", opts, "Labels");
}

static char *
def_path (const struct berth_net_host *h, const char *name)
{
  char *p = NULL;
  if (asprintf (&p, "%s/networks/%s.json", h->root, name) < 0)
    return NULL;
  return p;
}

static int
lock_store (const struct berth_net_host *h, berth_error_t *err)
{
  cleanup_free char *dir = NULL, *path = NULL;

  if (asprintf (&dir, "%s/networks", h->root) < 0 || asprintf (&path, "%s/.lock", dir) < 0)
    return berth_error (err, ENOMEM, "networks");
  return berth_lock_file (dir, path, err);
}

static int
load (const struct berth_net_host *h, const char *name, struct berth_network **out)
{
  cleanup_free char *path = def_path (h, name);
  json_t *j;

  if (path == NULL)
    return -ENOMEM;
  j = json_load_file (path, 0, NULL);
  if (j == NULL)
    return -ENOENT;
  *out = from_json (j);
  json_decref (j);
  return *out ? 0 : -EINVAL;
}

int
berth_network_list (const struct berth_net_host *h, struct berth_network ***out, size_t *n,
                    berth_error_t *err)
{
  cleanup_free char *dir = NULL;
  cleanup_dir DIR *d = NULL;
  struct berth_network **l = NULL;
  struct dirent *de;
  size_t cnt = 0;

  *out = NULL;
  *n = 0;
  if (asprintf (&dir, "%s/networks", h->root) < 0)
    return berth_error (err, ENOMEM, "networks");
  d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : berth_error (err, errno, "open `%s`", dir);
  while ((de = readdir (d)))
    {
      size_t len = strlen (de->d_name);
      struct berth_network *net = NULL, **nl;
      cleanup_free char *name = NULL;
      if (de->d_name[0] == '.' || len < 6 || strcmp (de->d_name + len - 5, ".json") != 0)
        continue;
      name = strndup (de->d_name, len - 5);
      if (name == NULL || load (h, name, &net) < 0)
        continue;
      nl = realloc (l, (cnt + 1) * sizeof (*l));
      if (nl == NULL)
        {
          berth_network_free (net);
          berth_network_list_free (l, cnt);
          return berth_error (err, ENOMEM, "networks");
        }
      l = nl;
      l[cnt++] = net;
    }
  *out = l;
  *n = cnt;
  return 0;
}

static bool
overlaps (const char *a_s, const char *b_s)
{
  struct berth_cidr a, b;
  if (a_s == NULL || b_s == NULL || berth_cidr_parse (a_s, &a, NULL) < 0
      || berth_cidr_parse (b_s, &b, NULL) < 0 || a.family != b.family)
    return false;
  return a.prefix <= b.prefix ? berth_cidr_contains (&a, &b) : berth_cidr_contains (&b, &a);
}

/* The first address after the network's: the default gateway.  */
static void
first_host (const char *subnet, char out[64])
{
  struct berth_cidr c;
  berth_cidr_parse (subnet, &c, NULL);
  c.addr[c.family == AF_INET ? 3 : 15] |= 1;
  berth_cidr_format (&c, false, out);
}

static bool
subnet_free (const struct berth_net_host *h, const char *cidr, struct berth_network **l, size_t n)
{
  struct berth_cidr c;
  bool routed = false;
  for (size_t i = 0; i < n; i++)
    if (overlaps (l[i]->subnet4, cidr))
      return false;
  if (berth_cidr_parse (cidr, &c, NULL) < 0
      || berth_nl_route_overlaps (c.addr, c.prefix, &routed, NULL) < 0)
    return false;
  return !routed;
}

/* A free private /16 (172.17-31, then 10.x) for a network without a
 * subnet.  */
static int
pick_subnet (const struct berth_net_host *h, struct berth_network **l, size_t n, char out[64],
             berth_error_t *err)
{
  for (int b = 17; b <= 31; b++)
    {
      snprintf (out, 64, "172.%d.0.0/16", b);
      if (subnet_free (h, out, l, n))
        return 0;
    }
  for (int b = 0; b < 256; b++)
    {
      snprintf (out, 64, "10.%d.0.0/16", b);
      if (subnet_free (h, out, l, n))
        return 0;
    }
  return berth_user_error (err, ENOSPC, "no free private subnet for the network");
}

static void
now_rfc3339 (char buf[64])
{
  struct timespec ts;
  struct tm tm;
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  snprintf (buf, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
            tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

static bool
valid_name (const char *s)
{
  if (!s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
    return false;
  for (const char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
          || *p == '_' || *p == '.' || *p == '-'))
      return false;
  return strlen (s) < 100;
}

static int
make_id (char id[65], berth_error_t *err)
{
  uint8_t b[32];
  if (getrandom (b, sizeof (b), 0) != (ssize_t)sizeof (b))
    return berth_error (err, errno, "getrandom");
  for (int i = 0; i < 32; i++)
    snprintf (id + 2 * i, 3, "%02x", b[i]);
  return 0;
}

static int
check_option (struct berth_network *n, const char *kv, berth_error_t *err)
{
  const char *eq = strchr (kv, '=');
  cleanup_free char *k = eq ? strndup (kv, eq - kv) : NULL;
  const char *v = eq ? eq + 1 : NULL;

  if (k == NULL || *k == '\0')
    return berth_user_error (err, EINVAL, "invalid option `%s`: KEY=VALUE expected", kv);
  if (strcmp (k, "mtu") == 0 || strcmp (k, "com.docker.network.driver.mtu") == 0)
    {
      long m;
      if (!berth_parse_long (v, &m) || m < 68 || m > 65535)
        return berth_user_error (err, EINVAL, "invalid mtu `%s`: 68 to 65535", v);
      n->mtu = (int)m;
    }
  else if (strcmp (k, "com.docker.network.bridge.name") == 0)
    {
      if (*v == '\0' || strlen (v) > 15 || strchr (v, '/') || strchr (v, ' '))
        return berth_user_error (err, EINVAL, "invalid bridge name `%s`", v);
      free (n->bridge);
      n->bridge = strdup (v);
    }
  json_object_set_new (n->options, k, json_string (v));
  return 0;
}

static int
fill_v4 (struct berth_network *n, const char *subnet, const char *gateway, const char *range,
         berth_error_t *err)
{
  struct berth_cidr s, g, r;
  char buf[64];

  if (berth_cidr_parse (subnet, &s, err) < 0)
    return -1;
  if (s.family != AF_INET)
    return berth_user_error (err, EINVAL, "invalid subnet `%s`: IPv4 expected (IPv6 with --ipv6)",
                            subnet);
  if (s.prefix > 30)
    return berth_user_error (err, EINVAL, "invalid subnet `%s`: /30 at most", subnet);
  berth_cidr_format (&s, true, buf);
  n->subnet4 = strdup (buf);
  if (gateway)
    {
      if (berth_ip_parse (gateway, AF_INET, &g) < 0 || !berth_cidr_contains (&s, &g))
        return berth_user_error (err, EINVAL, "invalid gateway `%s`: not an address of %s", gateway,
                                n->subnet4);
      berth_cidr_format (&g, false, buf);
      n->gateway4 = strdup (buf);
    }
  else
    {
      first_host (n->subnet4, buf);
      n->gateway4 = strdup (buf);
    }
  if (range)
    {
      if (berth_cidr_parse (range, &r, err) < 0)
        return -1;
      if (r.family != AF_INET || r.prefix < s.prefix || !berth_cidr_contains (&s, &r))
        return berth_user_error (err, EINVAL, "invalid ip-range `%s`: not within %s", range,
                                n->subnet4);
      berth_cidr_format (&r, true, buf);
      n->ip_range4 = strdup (buf);
    }
  return 0;
}

static int
fill_v6 (struct berth_network *n, const char *subnet, const char *gateway, berth_error_t *err)
{
  struct berth_cidr s, g;
  char buf[64];

  if (berth_cidr_parse (subnet, &s, err) < 0)
    return -1;
  if (s.family != AF_INET6 || s.prefix > 120)
    return berth_user_error (err, EINVAL, "invalid IPv6 subnet `%s`", subnet);
  berth_cidr_format (&s, true, buf);
  n->subnet6 = strdup (buf);
  if (gateway)
    {
      if (berth_ip_parse (gateway, AF_INET6, &g) < 0 || !berth_cidr_contains (&s, &g))
        return berth_user_error (err, EINVAL, "invalid gateway `%s`: not an address of %s", gateway,
                                n->subnet6);
      berth_cidr_format (&g, false, buf);
      n->gateway6 = strdup (buf);
    }
  else
    {
      first_host (n->subnet6, buf);
      n->gateway6 = strdup (buf);
    }
  return 0;
}

static int
create_locked (const struct berth_net_host *h, const struct berth_network_create *c,
               struct berth_network **out, berth_error_t *err)
{
  struct berth_network *n = calloc (1, sizeof (*n));
  struct berth_network **l = NULL;
  size_t cnt = 0;
  char id[65], buf[64];
  const char *sub4 = NULL, *gw4 = NULL, *sub6 = c->subnet6, *gw6 = c->gateway6;
  cleanup_free char *path = def_path (h, c->name);
  json_t *j = NULL;
  int r = -1;

  if (n == NULL || path == NULL)
    {
      free (n);
      return berth_error (err, ENOMEM, "network");
    }
  if (!valid_name (c->name))
    {
      berth_user_error (err, EINVAL, "invalid network name `%s`", c->name ?: "");
      goto out;
    }
  if (strcmp (c->name, "none") == 0 || strcmp (c->name, "host") == 0)
    {
      berth_user_error (err, EINVAL, "%s is a pre-defined network and cannot be created", c->name);
      goto out;
    }
  if (access (path, F_OK) == 0)
    {
      berth_user_error (err, EEXIST, "network with name %s already exists", c->name);
      goto out;
    }
  /* --subnet may be the IPv6 one with --ipv6 and no IPv4 subnet given.  */
  if (c->subnet)
    {
      struct berth_cidr t;
      if (berth_cidr_parse (c->subnet, &t, err) < 0)
        goto out;
      if (t.family == AF_INET6)
        {
          if (!c->ipv6)
            {
              berth_user_error (err, EINVAL, "invalid subnet `%s`: IPv6 needs --ipv6", c->subnet);
              goto out;
            }
          if (sub6)
            {
              berth_user_error (err, EINVAL, "two IPv6 subnets given");
              goto out;
            }
          sub6 = c->subnet;
          gw6 = c->gateway && strchr (c->gateway, ':') ? c->gateway : gw6;
        }
      else
        {
          sub4 = c->subnet;
          gw4 = c->gateway && !strchr (c->gateway, ':') ? c->gateway : NULL;
        }
    }
  if (c->ipv6 && sub6 == NULL)
    {
      berth_user_error (err, EINVAL, "--ipv6 needs an IPv6 --subnet (fdxx::/64)");
      goto out;
    }
  if (!c->ipv6 && sub6)
    {
      berth_user_error (err, EINVAL, "an IPv6 subnet needs --ipv6");
      goto out;
    }
  if (c->ip_range && sub4 == NULL)
    {
      berth_user_error (err, EINVAL, "--ip-range needs an IPv4 --subnet");
      goto out;
    }
  if (berth_network_list (h, &l, &cnt, err) < 0)
    goto out;
  n->name = strdup (c->name);
  n->options = json_object ();
  n->internal = c->internal;
  n->ipv6 = c->ipv6;
  if (make_id (id, err) < 0)
    goto out;
  n->id = strdup (id);
  snprintf (buf, sizeof (buf), "br-%.12s", id);
  n->bridge = strdup (buf);
  for (size_t i = 0; c->options && c->options[i]; i++)
    if (check_option (n, c->options[i], err) < 0)
      goto out;
  if (sub4 == NULL)
    {
      if (pick_subnet (h, l, cnt, buf, err) < 0)
        goto out;
      sub4 = buf;
    }
  if (fill_v4 (n, sub4, gw4, c->ip_range, err) < 0)
    goto out;
  if (sub6 && fill_v6 (n, sub6, gw6, err) < 0)
    goto out;
  for (size_t i = 0; i < cnt; i++)
    {
      if (overlaps (l[i]->subnet4, n->subnet4) || overlaps (l[i]->subnet6, n->subnet6))
        {
          berth_user_error (err, EEXIST, "subnet %s overlaps with network %s",
                           overlaps (l[i]->subnet4, n->subnet4) ? n->subnet4 : n->subnet6,
                           l[i]->name);
          goto out;
        }
      if (strcmp (l[i]->bridge, n->bridge) == 0)
        {
          berth_user_error (err, EEXIST, "bridge %s is already used by network %s", n->bridge,
                           l[i]->name);
          goto out;
        }
    }
  /* A subnet the host already routes through another interface would
   * give the host two routes to the containers' addresses: its replies
   * (even to a ping of the gateway) could leave by the other one.  As
   * Podman, berth refuses it; the default network picks around it.  */
  if (strcmp (n->name, BERTH_NET_DEFAULT_NAME) != 0 && !berth_nl_link_exists (n->bridge))
    {
      struct berth_cidr s;
      bool routed = false;
      if (berth_cidr_parse (n->subnet4, &s, NULL) == 0
          && berth_nl_route_overlaps (s.addr, s.prefix, &routed, err) < 0)
        goto out;
      if (routed)
        {
          berth_user_error (err, EEXIST, "subnet %s overlaps with a route of the host", n->subnet4);
          goto out;
        }
    }
  n->fw_table = strdup (h->fw.table ?: "berth");
  now_rfc3339 (buf);
  n->created = strdup (buf);
  j = to_json (n);
  {
    cleanup_free char *text = j ? json_dumps (j, JSON_INDENT (2)) : NULL;
    if (text == NULL)
      {
        berth_error (err, ENOMEM, "network");
        goto out;
      }
    if (berth_write_file_atomic (path, text, strlen (text), 0600, err) < 0)
      goto out;
  }
  *out = n;
  n = NULL;
  r = 0;
out:
  json_decref (j);
  berth_network_list_free (l, cnt);
  berth_network_free (n);
  return r;
}

int
berth_network_create (const struct berth_net_host *h, const struct berth_network_create *c,
                      struct berth_network **out, berth_error_t *err)
{
  cleanup_close int lock = lock_store (h, err);
  if (lock < 0)
    return -1;
  return create_locked (h, c, out, err);
}

/* The default network from the host settings: berth0, 172.17.0.0/16, or
 * a free /16 when that one is routed on the host already.  */
static int
create_default (const struct berth_net_host *h, struct berth_network **out, berth_error_t *err)
{
  char *opts[2] = { NULL, NULL };
  cleanup_free char *bridge_opt = NULL;
  struct berth_network_create c = { .name = BERTH_NET_DEFAULT_NAME };
  char subnet[64];
  int r;

  if (asprintf (&bridge_opt, "com.docker.network.bridge.name=%s", h->default_bridge) < 0)
    return berth_error (err, ENOMEM, "network");
  opts[0] = bridge_opt;
  c.options = opts;
  if (h->default_subnet)
    c.subnet = h->default_subnet;
  else
    {
      struct berth_cidr s;
      bool routed = false;
      berth_cidr_parse (BERTH_NET_DEFAULT_SUBNET, &s, NULL);
      if (!berth_nl_link_exists (h->default_bridge)
          && berth_nl_route_overlaps (s.addr, s.prefix, &routed, err) < 0)
        return -1;
      if (!routed)
        c.subnet = BERTH_NET_DEFAULT_SUBNET;
      else
        {
          struct berth_network **l = NULL;
          size_t n = 0;
          if (berth_network_list (h, &l, &n, err) < 0)
            return -1;
          r = pick_subnet (h, l, n, subnet, err);
          berth_network_list_free (l, n);
          if (r < 0)
            return -1;
          c.subnet = subnet;
          if (h->notice)
            {
              char msg[200];
              snprintf (msg, sizeof (msg),
                        "%s is already routed on this host: the default network uses %s",
                        BERTH_NET_DEFAULT_SUBNET, subnet);
              h->notice (msg);
            }
        }
    }
  return create_locked (h, &c, out, err);
}

static bool
hex_prefix (const char *s)
{
  if (strlen (s) < 3)
    return false;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
      return false;
  return true;
}

int
berth_network_get (const struct berth_net_host *h, const char *name, struct berth_network **out,
                   berth_error_t *err)
{
  int r;

  *out = NULL;
  if (valid_name (name) && (r = load (h, name, out)) == 0)
    return 0;
  if (strcmp (name, BERTH_NET_DEFAULT_NAME) == 0)
    {
      cleanup_close int lock = lock_store (h, err);
      if (lock < 0)
        return -1;
      if (load (h, name, out) == 0)
        return 0;
      return create_default (h, out, err);
    }
  if (hex_prefix (name))
    {
      struct berth_network **l = NULL;
      size_t n = 0, found = 0, at = 0;
      if (berth_network_list (h, &l, &n, err) < 0)
        return -1;
      for (size_t i = 0; i < n; i++)
        if (strncmp (l[i]->id, name, strlen (name)) == 0)
          found++, at = i;
      if (found == 1)
        {
          *out = l[at];
          l[at] = NULL;
        }
      berth_network_list_free (l, n);
      if (found == 1)
        return 0;
    }
  return berth_user_error (err, ENOENT, "network %s not found", name);
}

int
berth_network_remove (const struct berth_net_host *h, const char *name, bool in_use,
                      berth_error_t *err)
{
  cleanup_close int lock = -1;
  cleanup_free char *path = NULL, *leases = NULL, *llock = NULL, *mark = NULL;
  struct berth_network *n = NULL;
  berth_error_t e = NULL;
  struct berth_fw_config fw;

  if (strcmp (name, "none") == 0 || strcmp (name, "host") == 0
      || strcmp (name, BERTH_NET_DEFAULT_NAME) == 0)
    return berth_user_error (err, EPERM, "%s is a pre-defined network and cannot be removed", name);
  if (berth_network_get (h, name, &n, err) < 0)
    return -1;
  if (in_use)
    {
      berth_user_error (err, EBUSY,
                       "error while removing network: network %s id %s has active endpoints",
                       n->name, n->id);
      berth_network_free (n);
      return -1;
    }
  lock = lock_store (h, err);
  path = def_path (h, n->name);
  if (lock < 0 || path == NULL
      || asprintf (&leases, "%s/networks/%s.leases", h->runroot, n->name) < 0
      || asprintf (&llock, "%s/networks/%s.lock", h->runroot, n->name) < 0
      || asprintf (&mark, "%s/networks/%s.fw", h->runroot, n->name) < 0)
    {
      berth_network_free (n);
      return lock < 0 ? -1 : berth_error (err, ENOMEM, "network");
    }
  fw.table = n->fw_table;
  if (berth_fw_network_teardown (&fw, n->name, &e) < 0)
    {
      if (e && e->status == ENOSYS)
        berth_error_release (&e);
      else
        {
          *err = e;
          berth_network_free (n);
          return -1;
        }
    }
  if (berth_nl_link_delete (n->bridge, err) < 0)
    {
      berth_network_free (n);
      return -1;
    }
  unlink (leases);
  unlink (mark);
  unlink (llock);
  if (unlink (path) < 0)
    berth_error (err, errno, "remove `%s`", path);
  berth_network_free (n);
  return *err ? -1 : 0;
}
