/* The nft command text of berth's table and the reading of its JSON listing
 * (see firewall_rules.h for the table's layout).  Pure: strings in,
 * strings out.
 *
 * Why the layout:
 * - forward: per-network chains reached through verdict maps keyed by the
 *   bridge, so that a packet costs two map lookups whatever the number of
 *   networks, and a network's rules are removed as a whole.  The in-NET
 *   chain (from the bridge) accepts the same bridge, hands published-port
 *   traffic toward another berth network to that network's out chain,
 *   drops the rest toward other berth bridges (isolation) and accepts the
 *   way out; internal networks drop everything that leaves their bridge.
 *   The out-NET chain (toward the bridge) accepts replies and published
 *   ports and drops the rest, so that no host can reach a container's
 *   address unless it publishes a port.  Every accept also sets
 *   BERTH_FW_MARK, the one thing Docker's DOCKER-USER rule looks at.
 * - nat: masquerade by source subnet (nat4/nat6 maps; postrouting has no
 *   input interface), including hairpin: a container reaching a published
 *   port through the host address is masqueraded so that the reply comes
 *   back through the host.
 * - ports: DNAT maps consulted in prerouting (other hosts, containers) and
 *   output (the host itself) for destinations of type local only, so that
 *   a container's connection to port 80 of another machine is left alone.
 *   Loopback: packets from 127.0.0.0/8 DNATed to a container are
 *   masqueraded to the bridge address; the bridge has route_localnet (set
 *   by firewall.c), and the guard chain drops what arrives from a bridge
 *   with a 127.0.0.0/8 source or destination, which route_localnet would
 *   otherwise let containers reach (the host's loopback-only services).  */
#include "net/firewall_rules.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

void
fw_state_free (struct fw_state *st)
{
  free (st->nets);
  free (st->ports);
  memset (st, 0, sizeof (*st));
}

bool
fw_name_valid (const char *name, size_t max)
{
  size_t len = name ? strlen (name) : 0;

  if (len == 0 || len > max)
    return false;
  for (size_t i = 0; i < len; i++)
    {
      char c = name[i];
      bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
        return false;
    }
  return true;
}

bool
fw_ifname_valid (const char *name)
{
  return fw_name_valid (name, 15);
}

/* Parse "ADDR/LEN" into its family and the text of the network address
 * (host bits cleared: nft refuses a prefix with host bits set).  */
static int
prefix_normalize (const char *s, int *family, char *out, size_t outlen)
{
  char addr[INET6_ADDRSTRLEN];
  unsigned char bytes[16];
  const char *slash = s ? strchr (s, '/') : NULL;
  char *end;
  long len;

  if (slash == NULL || (size_t)(slash - s) >= sizeof (addr))
    return -1;
  memcpy (addr, s, slash - s);
  addr[slash - s] = '\0';
  *family = strchr (addr, ':') ? AF_INET6 : AF_INET;
  if (inet_pton (*family, addr, bytes) != 1)
    return -1;
  errno = 0;
  len = strtol (slash + 1, &end, 10);
  if (*end != '\0' || end == slash + 1 || len < 0 || len > (*family == AF_INET ? 32 : 128))
    return -1;
  for (int bit = len; bit < (*family == AF_INET ? 32 : 128); bit++)
    bytes[bit / 8] &= ~(0x80 >> (bit % 8));
  if (inet_ntop (*family, bytes, addr, sizeof (addr)) == NULL)
    return -1;
  if ((size_t)snprintf (out, outlen, "%s/%ld", addr, len) >= outlen)
    return -1;
  return 0;
}

static int
addr_family (const char *s)
{
  unsigned char buf[16];

  if (inet_pton (AF_INET, s, buf) == 1)
    return AF_INET;
  if (inet_pton (AF_INET6, s, buf) == 1)
    return AF_INET6;
  return -1;
}

int
fw_port_validate (const struct berth_fw_port *p, bool need_ctr, berth_error_t *err)
{
  int host_family = p->host_ip[0] ? addr_family (p->host_ip) : AF_INET;
  int ctr_family = p->ctr_ip[0] || need_ctr ? addr_family (p->ctr_ip) : host_family;

  if (strcmp (p->proto, "tcp") != 0 && strcmp (p->proto, "udp") != 0)
    return berth_user_error (err, EINVAL, "port protocol `%.4s` is not tcp or udp", p->proto);
  if (p->host_port == 0 || (need_ctr && p->ctr_port == 0))
    return berth_user_error (err, EINVAL, "port 0 cannot be published");
  if (host_family < 0)
    return berth_user_error (err, EINVAL, "host address `%.46s` is not an IP address", p->host_ip);
  if (ctr_family < 0)
    return berth_user_error (err, EINVAL, "container address `%.46s` is not an IP address", p->ctr_ip);
  if (host_family != ctr_family)
    return berth_user_error (err, EINVAL,
                          "host address `%.46s` and container address `%.46s` differ in family",
                          p->host_ip[0] ? p->host_ip : "0.0.0.0", p->ctr_ip);
  if (strcmp (p->host_ip, "::1") == 0)
    return berth_user_error (err, EINVAL,
                          "ports cannot be published on ::1 (IPv6 loopback is not routable)");
  return 0;
}

int
fw_net_validate (const struct berth_fw_net *net, berth_error_t *err)
{
  char buf[64];
  int family;

  if (net->name && strlen (net->name) > BERTH_FW_NAME_MAX)
    return berth_user_error (err, EINVAL, "network name `%s` is longer than %d characters", net->name,
                          BERTH_FW_NAME_MAX);
  if (!fw_name_valid (net->name, BERTH_FW_NAME_MAX))
    return berth_user_error (err, EINVAL, "network name `%s` is not usable in firewall rules",
                          net->name ? net->name : "");
  if (!fw_ifname_valid (net->bridge))
    return berth_user_error (err, EINVAL, "bridge name `%s` is not valid",
                          net->bridge ? net->bridge : "");
  if (net->subnet4
      && (prefix_normalize (net->subnet4, &family, buf, sizeof (buf)) < 0 || family != AF_INET))
    return berth_user_error (err, EINVAL, "subnet `%s` is not an IPv4 prefix", net->subnet4);
  if (net->subnet6
      && (prefix_normalize (net->subnet6, &family, buf, sizeof (buf)) < 0 || family != AF_INET6))
    return berth_user_error (err, EINVAL, "subnet `%s` is not an IPv6 prefix", net->subnet6);
  if (net->dns4
      && (addr_family (net->dns4) != AF_INET || strncmp (net->dns4, "127.", 4) != 0
          || net->gateway4 == NULL || addr_family (net->gateway4) != AF_INET))
    return berth_user_error (
        err, EINVAL, "resolver `%s` is not an IPv4 loopback address (or no gateway)", net->dns4);
  return 0;
}

void
fw_gen_table (FILE *o, const char *t)
{
  fprintf (o, "add table inet %s\n", t);
  fprintf (o, "add set inet %s bridges { type ifname; }\n", t);
  fprintf (o, "add set inet %s internal { type ifname; }\n", t);
  fprintf (o, "add map inet %s fwd_in { type ifname : verdict; }\n", t);
  fprintf (o, "add map inet %s fwd_out { type ifname : verdict; }\n", t);
  fprintf (o, "add map inet %s dns_in { type ifname : verdict; }\n", t);
  fprintf (o, "add map inet %s nat4 { type ipv4_addr : verdict; flags interval; }\n", t);
  fprintf (o, "add map inet %s nat6 { type ipv6_addr : verdict; flags interval; }\n", t);
  fprintf (
      o,
      "add map inet %s dnat4_any { type inet_proto . inet_service : ipv4_addr . inet_service; }\n",
      t);
  fprintf (o,
           "add map inet %s dnat4_ip { type ipv4_addr . inet_proto . inet_service : ipv4_addr . "
           "inet_service; }\n",
           t);
  fprintf (o,
           "add map inet %s dnat6_ip { type ipv6_addr . inet_proto . inet_service : ipv6_addr . "
           "inet_service; }\n",
           t);

  fprintf (o, "add chain inet %s ports\n", t);
  fprintf (
      o,
      "add chain inet %s prerouting { type nat hook prerouting priority dstnat; policy accept; }\n",
      t);
  fprintf (o, "add chain inet %s output { type nat hook output priority -100; policy accept; }\n",
           t);
  fprintf (o,
           "add chain inet %s postrouting { type nat hook postrouting priority srcnat; policy "
           "accept; }\n",
           t);
  /* Before the filter priority (0), so that the mark is set when Docker's
   * FORWARD chain looks at it.  */
  fprintf (o,
           "add chain inet %s forward { type filter hook forward priority -10; policy accept; }\n",
           t);
  fprintf (o,
           "add chain inet %s guard { type filter hook prerouting priority raw; policy accept; }\n",
           t);
}

void
fw_gen_table_rules (FILE *o, const char *t)
{
  fprintf (o, "flush chain inet %s ports\n", t);
  fprintf (
      o, "add rule inet %s ports dnat ip to ip daddr . meta l4proto . th dport map @dnat4_ip\n", t);
  fprintf (o, "add rule inet %s ports dnat ip to meta l4proto . th dport map @dnat4_any\n", t);
  fprintf (o,
           "add rule inet %s ports dnat ip6 to ip6 daddr . meta l4proto . th dport map @dnat6_ip\n",
           t);

  fprintf (o, "flush chain inet %s prerouting\n", t);
  fprintf (o, "add rule inet %s prerouting iifname vmap @dns_in\n", t);
  fprintf (o, "add rule inet %s prerouting fib daddr type local jump ports\n", t);

  fprintf (o, "flush chain inet %s output\n", t);
  fprintf (o, "add rule inet %s output fib daddr type local jump ports\n", t);

  fprintf (o, "flush chain inet %s postrouting\n", t);
  fprintf (o, "add rule inet %s postrouting ip saddr vmap @nat4\n", t);
  fprintf (o, "add rule inet %s postrouting ip6 saddr vmap @nat6\n", t);
  fprintf (o,
           "add rule inet %s postrouting ip saddr 127.0.0.0/8 oifname @bridges ct status dnat "
           "masquerade\n",
           t);

  fprintf (o, "flush chain inet %s forward\n", t);
  fprintf (o, "add rule inet %s forward iifname vmap @fwd_in\n", t);
  fprintf (o, "add rule inet %s forward oifname vmap @fwd_out\n", t);

  fprintf (o, "flush chain inet %s guard\n", t);
  fprintf (o, "add rule inet %s guard iifname @bridges ip daddr 127.0.0.0/8 drop\n", t);
  fprintf (o, "add rule inet %s guard iifname @bridges ip saddr 127.0.0.0/8 drop\n", t);
}

#define MARK_ACCEPT "meta mark set meta mark | 0x%08x accept"

void
fw_gen_network_chains (FILE *o, const char *t, const char *n)
{
  fprintf (o,
           "add chain inet %s in-%s\nadd chain inet %s out-%s\nadd chain inet %s nat-%s\n"
           "add chain inet %s dns-%s\n",
           t, n, t, n, t, n, t, n);
}

void
fw_gen_network (FILE *o, const char *t, const struct berth_fw_net *net)
{
  const char *n = net->name, *b = net->bridge;
  char prefix[64];
  int family;

  fprintf (o, "flush chain inet %s in-%s\n", t, n);
  fprintf (o, "add rule inet %s in-%s oifname \"%s\" " MARK_ACCEPT "\n", t, n, b, BERTH_FW_MARK);
  if (net->internal)
    fprintf (o, "add rule inet %s in-%s drop\n", t, n);
  else
    {
      fprintf (o, "add rule inet %s in-%s ct status dnat oifname @bridges return\n", t, n);
      fprintf (o, "add rule inet %s in-%s oifname @bridges drop\n", t, n);
      fprintf (o, "add rule inet %s in-%s " MARK_ACCEPT "\n", t, n, BERTH_FW_MARK);
    }

  fprintf (o, "flush chain inet %s out-%s\n", t, n);
  if (!net->internal)
    {
      fprintf (o, "add rule inet %s out-%s ct state established,related " MARK_ACCEPT "\n", t, n,
               BERTH_FW_MARK);
      fprintf (o, "add rule inet %s out-%s ct status dnat " MARK_ACCEPT "\n", t, n, BERTH_FW_MARK);
    }
  fprintf (o, "add rule inet %s out-%s drop\n", t, n);

  fprintf (o, "flush chain inet %s nat-%s\n", t, n);
  if (!net->internal)
    {
      fprintf (o, "add rule inet %s nat-%s oifname != \"%s\" masquerade\n", t, n, b);
      fprintf (o, "add rule inet %s nat-%s ct status dnat masquerade\n", t, n);
    }

  /* The gateway stands for the host's loopback resolver: DNATed to it,
   * which route_localnet on the bridge allows.  The guard chain sees the
   * packet before (raw priority), addressed to the gateway: it lets this
   * through and still drops whatever is addressed to 127.0.0.0/8.  */
  fprintf (o, "flush chain inet %s dns-%s\n", t, n);
  if (!net->internal && net->dns4 && net->gateway4)
    {
      fprintf (o,
               "add rule inet %s dns-%s ip daddr %s meta l4proto { tcp, udp } th dport 53 "
               "dnat ip to %s:53\n",
               t, n, net->gateway4, net->dns4);
      fprintf (o, "add element inet %s dns_in { \"%s\" comment \"%s\" : jump dns-%s }\n", t, b, n,
               n);
    }
  fprintf (o, "add element inet %s bridges { \"%s\" comment \"%s\" }\n", t, b, n);
  if (net->internal)
    fprintf (o, "add element inet %s internal { \"%s\" comment \"%s\" }\n", t, b, n);
  fprintf (o, "add element inet %s fwd_in { \"%s\" comment \"%s\" : jump in-%s }\n", t, b, n, n);
  fprintf (o, "add element inet %s fwd_out { \"%s\" comment \"%s\" : jump out-%s }\n", t, b, n, n);
  if (!net->internal && net->subnet4
      && prefix_normalize (net->subnet4, &family, prefix, sizeof (prefix)) == 0)
    fprintf (o, "add element inet %s nat4 { %s comment \"%s\" : jump nat-%s }\n", t, prefix, n, n);
  if (!net->internal && net->subnet6
      && prefix_normalize (net->subnet6, &family, prefix, sizeof (prefix)) == 0)
    fprintf (o, "add element inet %s nat6 { %s comment \"%s\" : jump nat-%s }\n", t, prefix, n, n);
}

static const char *
port_map (const struct berth_fw_port *p)
{
  if (p->host_ip[0] == '\0')
    return "dnat4_any";
  return strchr (p->host_ip, ':') ? "dnat6_ip" : "dnat4_ip";
}

/* The key of a port's element: "[HOST_IP . ]PROTO . PORT".  */
static void
port_key (FILE *o, const struct berth_fw_port *p)
{
  if (p->host_ip[0])
    fprintf (o, "%s . ", p->host_ip);
  fprintf (o, "%s . %u", p->proto, (unsigned)p->host_port);
}

static void
port_delete (FILE *o, const char *t, const struct berth_fw_port *p)
{
  fprintf (o, "delete element inet %s %s { ", t, port_map (p));
  port_key (o, p);
  fprintf (o, " }\n");
}

void
fw_gen_network_delete (FILE *o, const char *t, const struct fw_state *st, const char *name,
                       bool teardown)
{
  const struct fw_net_entry *e = fw_state_net (st, name);

  if (e == NULL)
    return;
  if (e->seen & FW_IN_FWD_IN)
    fprintf (o, "delete element inet %s fwd_in { \"%s\" }\n", t, e->bridge);
  if (e->seen & FW_IN_FWD_OUT)
    fprintf (o, "delete element inet %s fwd_out { \"%s\" }\n", t, e->bridge);
  if (e->seen & FW_IN_BRIDGES)
    fprintf (o, "delete element inet %s bridges { \"%s\" }\n", t, e->bridge);
  /* Not listed (its comment is not read): added first, so that the delete
   * cannot fail when it is not there (the chain, made by every setup, may
   * be missing only at a teardown).  */
  if (teardown)
    fprintf (o, "add chain inet %s dns-%s\n", t, name);
  fprintf (o,
           "add element inet %s dns_in { \"%s\" : jump dns-%s }\n"
           "delete element inet %s dns_in { \"%s\" }\n",
           t, e->bridge, name, t, e->bridge);
  if (e->internal)
    fprintf (o, "delete element inet %s internal { \"%s\" }\n", t, e->bridge);
  if (e->subnet4[0])
    fprintf (o, "delete element inet %s nat4 { %s }\n", t, e->subnet4);
  if (e->subnet6[0])
    fprintf (o, "delete element inet %s nat6 { %s }\n", t, e->subnet6);
  if (!teardown)
    return;
  for (size_t i = 0; i < st->n_ports; i++)
    if (strcmp (st->ports[i].network, name) == 0)
      port_delete (o, t, &st->ports[i].port);
  /* "add" first, so that the delete cannot fail on a chain that is not
   * there; flush first, because a chain with rules cannot be deleted.  */
  static const char *const kinds[] = { "in", "out", "nat", "dns" };
  for (size_t k = 0; k < 4; k++)
    fprintf (o, "add chain inet %s %s-%s\nflush chain inet %s %s-%s\ndelete chain inet %s %s-%s\n",
             t, kinds[k], name, t, kinds[k], name, t, kinds[k], name);
}

void
fw_gen_ports_add (FILE *o, const char *t, const char *network, const char *owner,
                  const struct berth_fw_port *ports, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      const struct berth_fw_port *p = &ports[i];
      fprintf (o, "create element inet %s %s { ", t, port_map (p));
      port_key (o, p);
      fprintf (o, " comment \"%s %s\" : %s . %u }\n", owner, network, p->ctr_ip,
               (unsigned)p->ctr_port);
    }
}

size_t
fw_gen_ports_delete (FILE *o, const char *t, const struct fw_state *st, const char *owner)
{
  size_t count = 0;

  for (size_t i = 0; i < st->n_ports; i++)
    if (strcmp (st->ports[i].owner, owner) == 0)
      {
        port_delete (o, t, &st->ports[i].port);
        count++;
      }
  return count;
}

const struct fw_net_entry *
fw_state_net (const struct fw_state *st, const char *name)
{
  for (size_t i = 0; i < st->n_nets; i++)
    if (strcmp (st->nets[i].name, name) == 0)
      return &st->nets[i];
  return NULL;
}

bool
fw_ports_clash (const struct berth_fw_port *p, const struct berth_fw_port *e)
{
  bool p6 = strchr (p->host_ip, ':') != NULL, e6 = strchr (e->host_ip, ':') != NULL;

  if (strcmp (p->proto, e->proto) != 0 || p->host_port != e->host_port || p6 != e6)
    return false;
  return p->host_ip[0] == '\0' || e->host_ip[0] == '\0' || strcmp (p->host_ip, e->host_ip) == 0;
}

/* ---- reading the listing ---- */

static void
copy_str (char *dst, size_t size, const char *src)
{
  snprintf (dst, size, "%s", src ? src : "");
}

static struct fw_net_entry *
net_entry (struct fw_state *st, const char *name, berth_error_t *err)
{
  struct fw_net_entry *n;

  for (size_t i = 0; i < st->n_nets; i++)
    if (strcmp (st->nets[i].name, name) == 0)
      return &st->nets[i];
  n = realloc (st->nets, (st->n_nets + 1) * sizeof (*n));
  if (n == NULL)
    {
      berth_error (err, ENOMEM, "read firewall table");
      return NULL;
    }
  st->nets = n;
  n = &st->nets[st->n_nets++];
  memset (n, 0, sizeof (*n));
  copy_str (n->name, sizeof (n->name), name);
  return n;
}

/* An element key: {"elem": {"val": V, "comment": C}} or a bare V.  */
static json_t *
elem_val (json_t *key, const char **comment)
{
  json_t *elem = json_object_get (key, "elem");

  *comment = NULL;
  if (elem == NULL)
    return key;
  *comment = json_string_value (json_object_get (elem, "comment"));
  return json_object_get (elem, "val");
}

/* A prefix value: {"prefix": {"addr": A, "len": L}}, or a bare address
 * (a /32 or /128 is listed without prefix).  */
static void
read_prefix (json_t *v, char *out, size_t size)
{
  json_t *p = json_object_get (v, "prefix");

  if (p)
    snprintf (out, size, "%s/%d", json_string_value (json_object_get (p, "addr")) ?: "",
              (int)json_integer_value (json_object_get (p, "len")));
  else if (json_string_value (v))
    copy_str (out, size, json_string_value (v));
}

static int
read_set (struct fw_state *st, json_t *set, berth_error_t *err)
{
  const char *name = json_string_value (json_object_get (set, "name"));
  json_t *elems = json_object_get (set, "elem");
  size_t i;
  json_t *item;

  if (name == NULL)
    return 0;
  json_array_foreach (elems, i, item)
  {
    const char *comment;
    bool is_map = json_is_array (item);
    json_t *val = elem_val (is_map ? json_array_get (item, 0) : item, &comment);
    struct fw_net_entry *n;
    if (comment == NULL)
      continue;
    if (strcmp (name, "fwd_in") == 0 || strcmp (name, "fwd_out") == 0
        || strcmp (name, "bridges") == 0 || strcmp (name, "internal") == 0)
      {
        if ((n = net_entry (st, comment, err)) == NULL)
          return -1;
        copy_str (n->bridge, sizeof (n->bridge), json_string_value (val));
        if (strcmp (name, "internal") == 0)
          n->internal = true;
        else
          n->seen |= strcmp (name, "fwd_in") == 0    ? FW_IN_FWD_IN
                     : strcmp (name, "fwd_out") == 0 ? FW_IN_FWD_OUT
                                                     : FW_IN_BRIDGES;
      }
    else if (strcmp (name, "nat4") == 0 || strcmp (name, "nat6") == 0)
      {
        if ((n = net_entry (st, comment, err)) == NULL)
          return -1;
        if (name[3] == '4')
          read_prefix (val, n->subnet4, sizeof (n->subnet4));
        else
          read_prefix (val, n->subnet6, sizeof (n->subnet6));
      }
  }
  return 0;
}

int
fw_parse_more (const char *text, struct fw_state *st, berth_error_t *err)
{
  json_error_t jerr;
  json_t *root = json_loads (text, 0, &jerr), *items, *item;
  size_t i;
  int ret = 0;

  if (root == NULL)
    return berth_error (err, 0, "read firewall table: %s", jerr.text);
  items = json_object_get (root, "nftables");
  json_array_foreach (items, i, item)
  {
    json_t *obj;
    if (json_object_get (item, "table"))
      st->exists = true;
    else if ((obj = json_object_get (item, "set")) || (obj = json_object_get (item, "map")))
      if ((ret = read_set (st, obj, err)) < 0)
        break;
  }
  json_decref (root);
  return ret;
}

int
fw_parse_table (const char *text, struct fw_state *st, berth_error_t *err)
{
  memset (st, 0, sizeof (*st));
  if (fw_parse_more (text, st, err) < 0)
    {
      fw_state_free (st);
      return -1;
    }
  return 0;
}

int
fw_parse_docker (const char *text, const char *table, struct fw_docker_state *ds,
                 berth_error_t *err)
{
  json_error_t jerr;
  json_t *root = json_loads (text, 0, &jerr), *items, *item;
  char comment[128];
  size_t i;

  if (root == NULL)
    return berth_error (err, 0, "read the filter table: %s", jerr.text);
  snprintf (comment, sizeof (comment), "berth:%s", table);
  items = json_object_get (root, "nftables");
  json_array_foreach (items, i, item)
  {
    json_t *obj;
    if ((obj = json_object_get (item, "chain")))
      {
        const char *name = json_string_value (json_object_get (obj, "name"));
        const char *policy = json_string_value (json_object_get (obj, "policy"));
        if (name && strcmp (name, "FORWARD") == 0 && policy && strcmp (policy, "drop") == 0)
          ds->forward_drop = true;
        if (name && strcmp (name, "DOCKER-USER") == 0)
          ds->has_docker_user = true;
      }
    else if ((obj = json_object_get (item, "rule")))
      {
        const char *chain = json_string_value (json_object_get (obj, "chain"));
        const char *c = json_string_value (json_object_get (obj, "comment"));
        if (chain && strcmp (chain, "DOCKER-USER") == 0 && c && strcmp (c, comment) == 0
            && ds->n_handles < sizeof (ds->handles) / sizeof (ds->handles[0]))
          ds->handles[ds->n_handles++] = json_integer_value (json_object_get (obj, "handle"));
      }
  }
  json_decref (root);
  return 0;
}

void
fw_gen_docker_rule (FILE *o, const char *family, const char *table)
{
  /* Docker's own bridges (docker0, br-*) are left to Docker's rules, so that
   * the rule opens nothing that Docker means to keep closed.  */
  fprintf (o,
           "insert rule %s filter DOCKER-USER oifname != \"docker*\" oifname != \"br-*\" "
           "meta mark & 0x%08x == 0x%08x counter accept comment \"berth:%s\"\n",
           family, BERTH_FW_MARK, BERTH_FW_MARK, table);
}
