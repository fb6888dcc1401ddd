/* The engine's side of networking: what `run --network X -p ... --ip ...`
 * makes for a container, recorded in its record (Berth.Net) before it is
 * made, so that rm -f, or the next rm after a crash, undoes it from the
 * record alone:
 *
 *   Berth.Net = {"Netns": path or absent, "FwTable": t, "FwOwner": id or absent,
 *                "Endpoints": [{"Network": n, "HostIf": vb..., "IfName": eth0}],
 *                "Ports": [{"Proto", "HostIp", "HostPort", "CtrPort"}], "Next": k}
 *
 * Name resolution between containers of a user-defined network is
 * /etc/hosts, kept current: each lease carries its container's names, and
 * when a container joins or leaves a network the hosts files of the other
 * members are rewritten in place (a bind-mounted file pins its inode).  */
#include "engine/network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "engine/engine_error.h"
#include "engine/spec.h"
#include "net/net.h"
#include "util.h"

static struct berth_net_host *
host (struct berth_engine *e)
{
  return e->net;
}

const struct berth_net_host *
berth_engine_net_host (struct berth_engine *e)
{
  return e->net;
}

static json_t *
jpath (json_t *o, const char *a, const char *b)
{
  return json_object_get (json_object_get (o, a), b);
}

static struct berth_fw_config
fw_of (struct berth_engine *e, json_t *bn)
{
  struct berth_fw_config fw = { .table = json_string_value (json_object_get (bn, "FwTable")) };
  if (fw.table == NULL)
    fw.table = host (e)->fw.table;
  return fw;
}

static bool
user_network (const char *name)
{
  return strcmp (name, BERTH_NET_DEFAULT_NAME) != 0;
}

/* ---- ports ---- */

/* A free host port for PORT (Docker takes one from the ephemeral range:
 * the kernel's choice for a bind to port 0 is one).  */
static int
free_port (struct berth_fw_port *p, berth_error_t *err)
{
  struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
  struct sockaddr_in a4 = { .sin_family = AF_INET };
  bool v6 = strchr (p->host_ip, ':') != NULL;
  socklen_t len = v6 ? sizeof (a6) : sizeof (a4);
  cleanup_close int fd
      = socket (v6 ? AF_INET6 : AF_INET,
                (strcmp (p->proto, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return berth_error (err, errno, "socket");
  if (p->host_ip[0])
    {
      if (v6)
        inet_pton (AF_INET6, p->host_ip, &a6.sin6_addr);
      else
        inet_pton (AF_INET, p->host_ip, &a4.sin_addr);
    }
  if (bind (fd, v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4, len) < 0
      || getsockname (fd, v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4, &len) < 0)
    return berth_error (err, errno, "find a free host port");
  p->host_port = ntohs (v6 ? a6.sin6_port : a4.sin_port);
  return 0;
}

static int
parse_ports (const struct berth_run_request *req, const struct berth_image_config *ic,
             struct berth_fw_port **ports, size_t *n, berth_error_t *err)
{
  for (size_t i = 0; req->publish && req->publish[i]; i++)
    if (berth_port_parse (req->publish[i], ports, n, err) < 0)
      return berth_engine_error (err, EINVAL, "%s", (*err)->msg);
  if (req->publish_all && ic)
    for (size_t i = 0; ic->exposed_ports && ic->exposed_ports[i]; i++)
      {
        bool dup = false;
        size_t before = *n;
        if (berth_port_parse (ic->exposed_ports[i], ports, n, err) < 0)
          return berth_engine_error (err, EINVAL, "EXPOSE %s: %s", ic->exposed_ports[i],
                                     (*err)->msg);
        for (size_t j = 0; j < before; j++)
          dup = dup
                || ((*ports)[j].ctr_port == (*ports)[before].ctr_port
                    && strcmp ((*ports)[j].proto, (*ports)[before].proto) == 0);
        if (dup)
          *n = before;
      }
  for (size_t i = 0; i < *n; i++)
    if ((*ports)[i].host_port == 0 && free_port (&(*ports)[i], err) < 0)
      return -1;
  return 0;
}

static json_t *
ports_json (const struct berth_fw_port *p, size_t n)
{
  json_t *a = json_array ();
  for (size_t i = 0; i < n; i++)
    json_array_append_new (a, json_pack ("{s:s,s:s,s:i,s:i}", "Proto", p[i].proto, "HostIp",
                                         p[i].host_ip, "HostPort", p[i].host_port, "CtrPort",
                                         p[i].ctr_port));
  return a;
}

static size_t
ports_from_json (json_t *a, struct berth_fw_port **out)
{
  size_t n = json_array_size (a), i;
  json_t *v;
  struct berth_fw_port *p = calloc (n ? n : 1, sizeof (*p));
  if (p == NULL)
    return 0;
  json_array_foreach (a, i, v)
  {
    snprintf (p[i].proto, sizeof (p[i].proto), "%s",
              json_string_value (json_object_get (v, "Proto")) ?: "tcp");
    snprintf (p[i].host_ip, sizeof (p[i].host_ip), "%s",
              json_string_value (json_object_get (v, "HostIp")) ?: "");
    p[i].host_port = (uint16_t)json_integer_value (json_object_get (v, "HostPort"));
    p[i].ctr_port = (uint16_t)json_integer_value (json_object_get (v, "CtrPort"));
  }
  *out = p;
  return n;
}

/* Docker's NetworkSettings.Ports: {"80/tcp": [{"HostIp", "HostPort"}]}.  */
static json_t *
docker_ports (json_t *ports)
{
  json_t *o = json_object (), *v;
  size_t i;
  json_array_foreach (ports, i, v)
  {
    char key[32], hp[8];
    json_t *list;
    snprintf (key, sizeof (key), "%d/%s", (int)json_integer_value (json_object_get (v, "CtrPort")),
              json_string_value (json_object_get (v, "Proto")));
    snprintf (hp, sizeof (hp), "%d", (int)json_integer_value (json_object_get (v, "HostPort")));
    list = json_object_get (o, key);
    if (list == NULL)
      json_object_set_new (o, key, list = json_array ());
    json_array_append_new (list, json_pack ("{s:s,s:s}", "HostIp",
                                            *json_string_value (json_object_get (v, "HostIp"))
                                                ? json_string_value (json_object_get (v, "HostIp"))
                                                : "0.0.0.0",
                                            "HostPort", hp));
  }
  return o;
}

/* ---- /etc files ---- */

static int
write_in_place (const char *path, const char *text, berth_error_t *err)
{
  size_t len = strlen (text);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return berth_error (err, errno, "open `%s`", path);
  if (berth_write_all (fd, text, len) < 0 || ftruncate (fd, (off_t)len) < 0)
    return berth_error (err, errno, "write `%s`", path);
  return 0;
}

static char *
hosts_text (struct berth_engine *e, const char *id, json_t *rec)
{
  const char *hostname = json_string_value (jpath (rec, "Config", "Hostname")) ?: "";
  const char *mode = json_string_value (jpath (rec, "HostConfig", "NetworkMode")) ?: "";
  json_t *nets = jpath (rec, "NetworkSettings", "Networks"), *v, *extra;
  const char *k;
  char *out = NULL;
  size_t len = 0, i;
  FILE *f = open_memstream (&out, &len);

  if (f == NULL)
    return NULL;
  if (strcmp (mode, "host") == 0)
    {
      cleanup_free char *h = NULL;
      if (berth_read_file ("/etc/hosts", &h, NULL, NULL) == 0)
        fputs (h, f);
    }
  else
    fprintf (f, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
                "ff02::2\tip6-allrouters\n");
  extra = jpath (rec, "HostConfig", "ExtraHosts");
  json_array_foreach (extra, i, v)
  {
    const char *s = json_string_value (v), *c = s ? strchr (s, ':') : NULL;
    if (c)
      fprintf (f, "%s\t%.*s\n", c + 1, (int)(c - s), s);
  }
  json_object_foreach (nets, k, v)
  {
    const char *ip = json_string_value (json_object_get (v, "IPAddress"));
    const char *ip6 = json_string_value (json_object_get (v, "GlobalIPv6Address"));
    if (ip && *ip)
      fprintf (f, "%s\t%s\n", ip, hostname);
    if (ip6 && *ip6)
      fprintf (f, "%s\t%s\n", ip6, hostname);
  }
  json_object_foreach (nets, k, v)
  {
    json_t *leases = NULL, *l;
    const char *addr;
    if (!user_network (k) || berth_ipam_entries (host (e), k, &leases, NULL) < 0)
      continue;
    json_object_foreach (leases, addr, l)
    {
      json_t *names = json_object_get (l, "names"), *nm;
      size_t j;
      if (strcmp (json_string_value (json_object_get (l, "owner")) ?: "", id) == 0
          || json_array_size (names) == 0)
        continue;
      fprintf (f, "%s\t", addr);
      json_array_foreach (names, j, nm) fprintf (f, "%s%s", j ? " " : "", json_string_value (nm));
      fprintf (f, "\n");
    }
    json_decref (leases);
  }
  if (fclose (f) != 0)
    {
      free (out);
      return NULL;
    }
  return out;
}

/* Write ID's hosts file: created before the container starts, rewritten in
 * place afterwards.  */
static int
write_hosts (struct berth_engine *e, const char *id, json_t *rec, bool in_place, berth_error_t *err)
{
  cleanup_free char *path = berth_engine_path (e, id, "hosts");
  cleanup_free char *text = hosts_text (e, id, rec);
  if (path == NULL || text == NULL)
    return berth_error (err, ENOMEM, "hosts");
  if (in_place)
    return write_in_place (path, text, err);
  return berth_write_file (path, text, strlen (text), 0644, err);
}

/* Rewrite the hosts files of NETWORK's members but SKIP, under the
 * network's lock, so that two rewrites never interleave an older view.  */
static void
refresh_members (struct berth_engine *e, const char *network, const char *skip)
{
  cleanup_close int lock = -1;
  cleanup_strv char **owners = NULL;
  berth_error_t ignored = NULL;

  if (!user_network (network))
    return;
  lock = berth_network_lock (host (e), network, &ignored);
  if (lock < 0 || berth_ipam_owners (host (e), network, &owners, &ignored) < 0)
    {
      berth_error_release (&ignored);
      return;
    }
  for (size_t i = 0; owners[i]; i++)
    {
      json_t *rec = NULL;
      if (skip && strcmp (owners[i], skip) == 0)
        continue;
      if (berth_store_read_record (e->store, owners[i], &rec, &ignored) == 0)
        write_hosts (e, owners[i], rec, true, &ignored);
      berth_error_release (&ignored);
      json_decref (rec);
    }
}

static int
write_etc (struct berth_engine *e, const char *id, const struct berth_run_request *req, json_t *rec,
           berth_error_t *err)
{
  cleanup_free char *hn_path = berth_engine_path (e, id, "hostname");
  cleanup_free char *rc_path = berth_engine_path (e, id, "resolv.conf");
  cleanup_free char *host_resolv = NULL, *resolv = NULL, *hn = NULL;
  const char *hostname = json_string_value (jpath (rec, "Config", "Hostname")) ?: "";
  const char *gw = json_string_value (jpath (rec, "NetworkSettings", "Gateway"));

  if (hn_path == NULL || rc_path == NULL || asprintf (&hn, "%s\n", hostname) < 0)
    return berth_error (err, ENOMEM, "etc files");
  if (berth_read_file (host (e)->resolv_conf ?: "/etc/resolv.conf", &host_resolv, NULL, NULL) < 0)
    host_resolv = NULL;
  if (req->network == BERTH_NETWORK_HOST)
    resolv = berth_net_resolv_conf (host_resolv, req->dns, req->dns_search, req->dns_options,
                                    "127.0.0.1");
  else
    resolv = berth_net_resolv_conf (host_resolv, req->dns, req->dns_search, req->dns_options,
                                    gw && *gw ? gw : NULL);
  if (resolv == NULL)
    return berth_error (err, ENOMEM, "resolv.conf");
  if (berth_write_file (hn_path, hn, strlen (hn), 0644, err) < 0
      || berth_write_file (rc_path, resolv, strlen (resolv), 0644, err) < 0)
    return -1;
  return write_hosts (e, id, rec, false, err);
}

/* ---- plan, setup, release ---- */

static int
plan (struct berth_engine *e, const struct berth_run_request *req,
      const struct berth_image_config *ic, const char *id, const char *name, json_t **plan_out,
      char **netns_path, berth_error_t *err)
{
  struct berth_network *n = NULL;
  cleanup_free struct berth_fw_port *ports = NULL;
  size_t n_ports = 0;
  char hif[16];
  json_t *p;

  (void)name;
  *plan_out = NULL;
  *netns_path = NULL;
  if (req->network == BERTH_NETWORK_HOST || req->network == BERTH_NETWORK_NONE)
    {
      if (req->ip || req->ip6)
        return berth_engine_error (err, EINVAL, "--ip needs a network (not none or host)");
      return 0;
    }
  if (req->network == BERTH_NETWORK_CONTAINER)
    {
      char xid[BERTH_ID_LEN + 1];
      json_t *xrec = NULL;
      const char *ns;
      int pid;
      if (req->publish || req->publish_all || req->ip)
        return berth_engine_error (err, EINVAL,
                                   "conflicting options: -p/-P/--ip and --network container:");
      if (berth_engine_find (e, req->network_name, xid, &xrec, err) < 0)
        return berth_engine_error (err, ENOENT, "%s", (*err)->msg);
      ns = json_string_value (jpath (xrec, "Berth", "Net")
                                  ? json_object_get (jpath (xrec, "Berth", "Net"), "Netns")
                                  : NULL);
      pid = (int)json_integer_value (jpath (xrec, "State", "Pid"));
      if (ns)
        *netns_path = strdup (ns);
      else if (json_is_true (jpath (xrec, "State", "Running")) && pid > 0)
        {
          if (asprintf (netns_path, "/proc/%d/ns/net", pid) < 0)
            *netns_path = NULL;
        }
      else
        {
          json_decref (xrec);
          return berth_engine_error (err, EINVAL,
                                     "cannot join the network of container %s: "
                                     "it is not running",
                                     req->network_name);
        }
      json_decref (xrec);
      *plan_out = json_pack ("{s:s}", "Container", xid);
      return 0;
    }
  if (berth_network_get (host (e), req->network_name ?: BERTH_NET_DEFAULT_NAME, &n, err) < 0)
    return berth_engine_error (err, (*err)->status, "%s", (*err)->msg);
  if (req->ip)
    {
      struct berth_cidr s, ip;
      if (n->subnet4 == NULL || berth_cidr_parse (n->subnet4, &s, NULL) < 0
          || berth_ip_parse (req->ip, AF_INET, &ip) < 0 || !berth_cidr_contains (&s, &ip))
        {
          berth_engine_error (err, EINVAL, "invalid --ip %s: not in network %s's subnet %s",
                              req->ip, n->name, n->subnet4 ?: "(none)");
          berth_network_free (n);
          return -1;
        }
    }
  if (req->ip6 && n->subnet6 == NULL)
    {
      berth_engine_error (err, EINVAL, "invalid --ip6: network %s has no IPv6", n->name);
      berth_network_free (n);
      return -1;
    }
  if (parse_ports (req, ic, &ports, &n_ports, err) < 0)
    {
      berth_network_free (n);
      return -1;
    }
  if (n_ports)
    {
      struct berth_fw_config fw = { .table = n->fw_table ?: host (e)->fw.table };
      berth_error_t e2 = NULL;
      if (berth_fw_ports_check (&fw, ports, n_ports, &e2) < 0)
        {
          if (e2 && e2->status == ENOSYS)
            berth_error_release (&e2);
          else
            {
              berth_network_free (n);
              berth_engine_error (err, e2 ? e2->status : EINVAL, "%s", e2 ? e2->msg : "ports");
              berth_error_release (&e2);
              return -1;
            }
        }
    }
  *netns_path = berth_netns_path (host (e), id);
  berth_endpoint_host_if (id, 0, hif);
  p = json_pack ("{s:s,s:s,s:[{s:s,s:s,s:s}],s:o,s:i}", "Netns", *netns_path, "FwTable",
                 n->fw_table ?: (host (e)->fw.table ?: "berth"), "Endpoints", "Network", n->name,
                 "HostIf", hif, "IfName", "eth0", "Ports", ports_json (ports, n_ports), "Next", 1);
  if (n_ports)
    json_object_set_new (p, "FwOwner", json_string (id));
  berth_network_free (n);
  *plan_out = p;
  return 0;
}

static json_t *
names_of (json_t *rec, const char *id, char *const *aliases)
{
  const char *name = json_string_value (json_object_get (rec, "Name"));
  json_t *a = json_array ();
  char short_id[13];

  if (name)
    json_array_append_new (a, json_string (name[0] == '/' ? name + 1 : name));
  for (size_t i = 0; aliases && aliases[i]; i++)
    json_array_append_new (a, json_string (aliases[i]));
  snprintf (short_id, sizeof (short_id), "%.12s", id);
  json_array_append_new (a, json_string (short_id));
  return a;
}

static json_t *
endpoint_json (const struct berth_network *n, const struct berth_endpoint *ep, json_t *aliases,
               const char *want4, const char *want6)
{
  json_t *ipam = json_object ();
  if (want4)
    json_object_set_new (ipam, "IPv4Address", json_string (want4));
  if (want6)
    json_object_set_new (ipam, "IPv6Address", json_string (want6));
  return json_pack ("{s:o,s:O,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:i,s:s}", "IPAMConfig", ipam, "Aliases",
                    aliases, "NetworkID", n->id, "EndpointID", ep->host_if, "Gateway", ep->gateway4,
                    "IPAddress", ep->ip4, "IPPrefixLen", ep->ip4[0] ? ep->prefix4 : 0,
                    "IPv6Gateway", ep->ip6[0] ? ep->gateway6 : "", "GlobalIPv6Address", ep->ip6,
                    "GlobalIPv6PrefixLen", ep->ip6[0] ? ep->prefix6 : 0, "MacAddress", ep->mac);
}

/* The summary fields Docker keeps beside Networks, from the first
 * endpoint.  */
static void
summary (json_t *ns, json_t *first)
{
  static const char *const keys[]
      = { "Gateway",           "IPAddress",           "IPPrefixLen", "IPv6Gateway",
          "GlobalIPv6Address", "GlobalIPv6PrefixLen", "MacAddress",  "EndpointID" };
  for (size_t i = 0; i < sizeof (keys) / sizeof (keys[0]); i++)
    {
      json_t *v = first ? json_object_get (first, keys[i]) : NULL;
      json_object_set_new (ns, keys[i],
                           v ? json_incref (v)
                             : (strstr (keys[i], "Len") ? json_integer (0) : json_string ("")));
    }
}

static json_t *
strv_json (char *const *v)
{
  json_t *a = json_array ();
  for (size_t i = 0; v && v[i]; i++)
    json_array_append_new (a, json_string (v[i]));
  return a;
}

static const char *
mode_name (const struct berth_run_request *req, json_t *bn, char buf[100])
{
  switch (req->network)
    {
    case BERTH_NETWORK_HOST:
      return "host";
    case BERTH_NETWORK_NONE:
      return "none";
    case BERTH_NETWORK_CONTAINER:
      snprintf (buf, 100, "container:%s", json_string_value (json_object_get (bn, "Container")));
      return buf;
    case BERTH_NETWORK_NAMED:
      return req->network_name;
    default:
      return BERTH_NET_DEFAULT_NAME;
    }
}

static void release (struct berth_engine *e, const char *id, json_t *rec);

static int
connect_one (struct berth_engine *e, const char *id, json_t *rec, json_t *epj, const char *netns,
             const char *want4, const char *want6, const char *mac, char *const *aliases,
             bool default_route, berth_error_t *err)
{
  struct berth_network *n = NULL;
  struct berth_endpoint ep = { 0 };
  const char *netname = json_string_value (json_object_get (epj, "Network"));
  json_t *names, *nets, *al;
  int r;

  if (berth_network_get (host (e), netname, &n, err) < 0)
    return -1;
  snprintf (ep.host_if, sizeof (ep.host_if), "%s",
            json_string_value (json_object_get (epj, "HostIf")));
  snprintf (ep.ifname, sizeof (ep.ifname), "%s",
            json_string_value (json_object_get (epj, "IfName")));
  /* Docker's default bridge has no names; a user network has the name,
   * the aliases and the short ID.  */
  names = user_network (netname) ? names_of (rec, id, aliases) : json_array ();
  r = berth_endpoint_connect (host (e), n, id, names, netns, want4, want6, mac, default_route, &ep,
                              err);
  json_decref (names);
  if (r < 0)
    {
      berth_network_free (n);
      return -1;
    }
  nets = jpath (rec, "NetworkSettings", "Networks");
  if (nets == NULL)
    json_object_set_new (json_object_get (rec, "NetworkSettings"), "Networks",
                         nets = json_object ());
  al = strv_json (aliases);
  json_object_set_new (nets, netname, endpoint_json (n, &ep, al, want4, want6));
  json_decref (al);
  berth_network_free (n);
  return 0;
}

/* Publish the record's ports (Berth.Net.Ports) for the container's first
 * endpoint, whose address they go to.  */
static int
publish_ports (struct berth_engine *e, const char *id, json_t *bn, json_t *first,
               berth_error_t *err)
{
  struct berth_fw_config fw;
  cleanup_free struct berth_fw_port *ports = NULL;
  const char *ip, *network;
  berth_error_t e2 = NULL;
  size_t n;

  if (json_object_get (bn, "FwOwner") == NULL)
    return 0;
  fw = fw_of (e, bn);
  n = ports_from_json (json_object_get (bn, "Ports"), &ports);
  ip = json_string_value (json_object_get (first, "IPAddress")) ?: "";
  network = json_string_value (
      json_object_get (json_array_get (json_object_get (bn, "Endpoints"), 0), "Network"));
  for (size_t k = 0; k < n; k++)
    snprintf (ports[k].ctr_ip, sizeof (ports[k].ctr_ip), "%s", ip);
  if (berth_fw_ports_add (&fw, network, id, ports, n, &e2) < 0)
    {
      if (e2 && e2->status == ENOSYS)
        berth_error_release (&e2);
      else
        {
          *err = e2;
          return -1;
        }
    }
  return 0;
}

static int
setup (struct berth_engine *e, const char *id, const struct berth_run_request *req, json_t *rec,
       berth_error_t *err)
{
  json_t *bn = jpath (rec, "Berth", "Net"), *ns = json_object_get (rec, "NetworkSettings");
  json_t *hc = json_object_get (rec, "HostConfig"), *epj, *first = NULL;
  const char *netns = json_string_value (json_object_get (bn, "Netns"));
  char buf[100];
  size_t i;

  json_object_set_new (hc, "NetworkMode", json_string (mode_name (req, bn, buf)));
  json_object_set_new (hc, "Dns", strv_json (req->dns));
  json_object_set_new (hc, "DnsSearch", strv_json (req->dns_search));
  json_object_set_new (hc, "DnsOptions", strv_json (req->dns_options));
  json_object_set_new (hc, "ExtraHosts", strv_json (req->add_hosts));
  json_object_set_new (hc, "PublishAllPorts", json_boolean (req->publish_all));
  if (ns == NULL)
    json_object_set_new (rec, "NetworkSettings", ns = json_object ());
  json_object_set_new (ns, "Networks", json_object ());
  json_object_set_new (ns, "SandboxKey", json_string (netns ?: ""));
  json_object_set_new (ns, "Ports", docker_ports (json_object_get (bn, "Ports")));
  json_object_set_new (hc, "PortBindings", json_object ());
  {
    json_t *pb = json_object_get (hc, "PortBindings"), *v;
    const char *k;
    json_object_foreach (json_object_get (ns, "Ports"), k, v) json_object_set (pb, k, v);
  }
  if (req->network == BERTH_NETWORK_HOST || req->network == BERTH_NETWORK_NONE)
    json_object_set_new (json_object_get (ns, "Networks"), mode_name (req, bn, buf),
                         json_pack ("{s:s,s:s,s:s,s:i,s:s}", "NetworkID", "", "Gateway", "",
                                    "IPAddress", "", "IPPrefixLen", 0, "MacAddress", ""));
  if (netns && json_object_get (bn, "Endpoints"))
    {
      if (berth_netns_create (host (e), id, NULL, err) < 0)
        goto fail;
      json_array_foreach (json_object_get (bn, "Endpoints"), i, epj)
      {
        if (connect_one (e, id, rec, epj, netns, i == 0 ? req->ip : NULL, i == 0 ? req->ip6 : NULL,
                         i == 0 ? req->mac_address : NULL, req->aliases, i == 0, err)
            < 0)
          goto fail;
      }
      first = json_object_get (
          jpath (rec, "NetworkSettings", "Networks"),
          json_string_value (
              json_object_get (json_array_get (json_object_get (bn, "Endpoints"), 0), "Network")));
    }
  summary (ns, first);
  if (publish_ports (e, id, bn, first, err) < 0)
    goto fail;
  if (write_etc (e, id, req, rec, err) < 0)
    goto fail;
  json_array_foreach (json_object_get (bn, "Endpoints"), i, epj)
      refresh_members (e, json_string_value (json_object_get (epj, "Network")), id);
  return 0;
fail:
  release (e, id, rec);
  return -1;
}

/* Forget the connection tracking entries of ID's addresses on NETWORK
 * (its leases: also those of a run killed before its record had them), so
 * that none outlives the container (an established TCP entry would live
 * for days) and the next container on the address starts clean.  Each
 * address costs a walk of the whole conntrack hash, ~7 ms here: skipped
 * when the table is empty.  */
static void
forget_flows (struct berth_engine *e, const char *network, const char *id)
{
  cleanup_free char *count = NULL;
  json_t *leases = NULL, *l;
  berth_error_t ignored = NULL;
  const char *addr;

  if (berth_read_file ("/proc/sys/net/netfilter/nf_conntrack_count", &count, NULL, NULL) == 0
      && atoi (count) == 0)
    return;
  if (berth_ipam_entries (host (e), network, &leases, &ignored) < 0)
    {
      berth_error_release (&ignored);
      return;
    }
  json_object_foreach (leases, addr, l)
  {
    if (strcmp (json_string_value (json_object_get (l, "owner")) ?: "", id) != 0)
      continue;
    berth_fw_conntrack_forget (addr, &ignored);
    berth_error_release (&ignored);
  }
  json_decref (leases);
}

static void
release (struct berth_engine *e, const char *id, json_t *rec)
{
  json_t *bn = jpath (rec, "Berth", "Net"), *epj;
  const char *netns = json_string_value (json_object_get (bn, "Netns"));
  berth_error_t ignored = NULL;
  bool own_ns = netns && strncmp (netns, "/proc/", 6) != 0;
  size_t i;

  if (bn == NULL)
    return;
  if (json_object_get (bn, "FwOwner"))
    {
      struct berth_fw_config fw = fw_of (e, bn);
      berth_fw_ports_remove (&fw, id, &ignored);
      berth_error_release (&ignored);
    }
  /* The namespace first: with its last reference gone the kernel destroys
   * it and every veth pair with an end in it, in the background.  An
   * RTM_DELLINK would wait for that (~15 ms of RCU grace period here) on
   * every rm.  */
  if (own_ns)
    {
      berth_netns_remove (netns, &ignored);
      berth_error_release (&ignored);
    }
  json_array_foreach (json_object_get (bn, "Endpoints"), i, epj)
  {
    const char *net = json_string_value (json_object_get (epj, "Network"));
    /* After the namespace (no new flows), before the lease (the address
     * is not anyone else's yet).  */
    forget_flows (e, net, id);
    berth_endpoint_disconnect (host (e), net, id,
                               own_ns ? NULL : json_string_value (json_object_get (epj, "HostIf")),
                               &ignored);
    berth_error_release (&ignored);
    refresh_members (e, net, id);
  }
}

static const struct berth_engine_net_ops ops = { plan, setup, release };

int
berth_engine_net_enable (struct berth_engine *e, void (*notice) (const char *msg),
                         berth_error_t *err)
{
  struct berth_net_host *h = calloc (1, sizeof (*h));
  if (h == NULL)
    return berth_error (err, ENOMEM, "network");
  berth_net_host_from_env (h, e->root, e->runroot);
  h->notice = notice;
  free (e->net);
  e->net = h;
  e->net_ops = &ops;
  return 0;
}

/* ---- restore after a reboot ---- */

static char **
aliases_of (json_t *ep)
{
  json_t *a = json_object_get (ep, "Aliases"), *v;
  char **out = calloc (json_array_size (a) + 1, sizeof (char *));
  size_t i;
  if (out == NULL)
    return NULL;
  json_array_foreach (a, i, v) out[i] = strdup (json_string_value (v) ?: "");
  return out;
}

static void
put_networks (json_t *rec, void *data)
{
  json_t *ns = json_object_get (rec, "NetworkSettings");
  json_t *src = data;
  const char *k;
  json_t *v;
  json_object_foreach (src, k, v) json_object_set (ns, k, v);
}

int
berth_engine_net_restore (struct berth_engine *e, const char *id, berth_error_t *err)
{
  json_t *rec = NULL, *bn, *epj, *nets, *old;
  const char *netns;
  size_t i;
  int r = -1;

  if (e->net_ops == NULL || berth_engine_record (e, id, &rec, err) < 0)
    return e->net_ops == NULL ? 0 : -1;
  bn = jpath (rec, "Berth", "Net");
  netns = json_string_value (json_object_get (bn, "Netns"));
  if (netns == NULL || strncmp (netns, "/proc/", 6) == 0 || berth_netns_exists (netns))
    {
      json_decref (rec);
      return 0;
    }
  {
    /* A file left where the namespace was: removed, then made again.  */
    berth_error_t ignored = NULL;
    berth_netns_remove (netns, &ignored);
    berth_error_release (&ignored);
  }
  /* RUNROOT was lost (a reboot): the namespace, its links and leases are
   * made again, with the addresses and MACs the container had when free. */
  old = json_deep_copy (jpath (rec, "NetworkSettings", "Networks"));
  nets = json_object ();
  json_object_set_new (json_object_get (rec, "NetworkSettings"), "Networks", nets);
  if (berth_netns_create (host (e), id, NULL, err) < 0)
    goto out;
  json_array_foreach (json_object_get (bn, "Endpoints"), i, epj)
  {
    const char *net = json_string_value (json_object_get (epj, "Network"));
    json_t *prev = json_object_get (old, net);
    cleanup_strv char **aliases = aliases_of (prev);
    const char *ip4 = json_string_value (json_object_get (prev, "IPAddress"));
    const char *ip6 = json_string_value (json_object_get (prev, "GlobalIPv6Address"));
    const char *mac = json_string_value (json_object_get (prev, "MacAddress"));
    berth_error_t e2 = NULL;
    if (connect_one (e, id, rec, epj, netns, ip4 && *ip4 ? ip4 : NULL, ip6 && *ip6 ? ip6 : NULL,
                     mac && *mac ? mac : NULL, aliases, i == 0, &e2)
        < 0)
      {
        /* Taken meanwhile: any address then.  */
        berth_error_release (&e2);
        if (connect_one (e, id, rec, epj, netns, NULL, NULL, NULL, aliases, i == 0, err) < 0)
          {
            release (e, id, rec);
            goto out;
          }
      }
  }
  {
    json_t *ns = json_object_get (rec, "NetworkSettings"), *first;
    first = json_object_get (
        nets, json_string_value (json_object_get (
                  json_array_get (json_object_get (bn, "Endpoints"), 0), "Network")));
    summary (ns, first);
    if (publish_ports (e, id, bn, first, err) < 0)
      {
        release (e, id, rec);
        goto out;
      }
    if (berth_engine_update_record (e, id, put_networks, ns, err) < 0)
      {
        release (e, id, rec);
        goto out;
      }
  }
  {
    berth_error_t ignored = NULL;
    write_hosts (e, id, rec, true, &ignored);
    berth_error_release (&ignored);
  }
  json_array_foreach (json_object_get (bn, "Endpoints"), i, epj)
      refresh_members (e, json_string_value (json_object_get (epj, "Network")), id);
  r = 0;
out:
  json_decref (old);
  json_decref (rec);
  return r;
}

/* ---- connect, disconnect, in use ---- */

struct connect_data
{
  json_t *bn;
};

static void
set_berth_net (json_t *rec, void *data)
{
  json_t *b = json_object_get (rec, "Berth");
  if (b == NULL)
    json_object_set_new (rec, "Berth", b = json_object ());
  json_object_set (b, "Net", ((struct connect_data *)data)->bn);
}

static void
set_networks (json_t *rec, void *data)
{
  json_t *ns = json_object_get (rec, "NetworkSettings");
  if (ns == NULL)
    json_object_set_new (rec, "NetworkSettings", ns = json_object ());
  json_object_set (ns, "Networks", data);
}

int
berth_engine_net_connect (struct berth_engine *e, const char *id, const char *network,
                          const char *ip, const char *ip6, char *const *aliases, berth_error_t *err)
{
  json_t *rec = NULL, *bn, *eps, *epj;
  struct berth_network *n = NULL;
  struct connect_data d;
  const char *netns;
  char hif[16], ifname[16];
  int next, r = -1;

  if (berth_engine_record (e, id, &rec, err) < 0)
    return -1;
  bn = jpath (rec, "Berth", "Net");
  netns = json_string_value (json_object_get (bn, "Netns"));
  if (netns == NULL)
    {
      berth_engine_error (err, EINVAL,
                          "container %.12s has no network namespace of its own to connect "
                          "(--network none, host or container:)",
                          id);
      goto out;
    }
  if (berth_network_get (host (e), network, &n, err) < 0)
    goto out;
  if (json_object_get (jpath (rec, "NetworkSettings", "Networks"), n->name))
    {
      berth_engine_error (err, EEXIST, "endpoint with name %s already exists in network %s",
                          json_string_value (json_object_get (rec, "Name")) + 1, n->name);
      goto out;
    }
  next = (int)json_integer_value (json_object_get (bn, "Next"));
  berth_endpoint_host_if (id, next, hif);
  snprintf (ifname, sizeof (ifname), "eth%d", next);
  eps = json_object_get (bn, "Endpoints");
  epj = json_pack ("{s:s,s:s,s:s}", "Network", n->name, "HostIf", hif, "IfName", ifname);
  json_array_append (eps, epj);
  json_object_set_new (bn, "Next", json_integer (next + 1));
  /* Recorded before it is made.  */
  d.bn = bn;
  if (berth_engine_update_record (e, id, set_berth_net, &d, err) < 0)
    {
      json_decref (epj);
      goto out;
    }
  r = connect_one (e, id, rec, epj, netns, ip, ip6, NULL, aliases, false, err);
  json_decref (epj);
  if (r < 0)
    {
      berth_error_t ignored = NULL;
      json_array_remove (eps, json_array_size (eps) - 1);
      berth_engine_update_record (e, id, set_berth_net, &d, &ignored);
      berth_error_release (&ignored);
      goto out;
    }
  r = berth_engine_update_record (e, id, set_networks, jpath (rec, "NetworkSettings", "Networks"),
                                  err);
  if (r == 0)
    {
      berth_error_t ignored = NULL;
      write_hosts (e, id, rec, true, &ignored);
      berth_error_release (&ignored);
      refresh_members (e, n->name, id);
    }
out:
  berth_network_free (n);
  json_decref (rec);
  return r;
}

int
berth_engine_net_disconnect (struct berth_engine *e, const char *id, const char *network,
                             berth_error_t *err)
{
  json_t *rec = NULL, *bn, *eps, *epj = NULL, *nets;
  struct berth_network *n = NULL;
  struct connect_data d;
  size_t i;
  int r = -1;

  if (berth_engine_record (e, id, &rec, err) < 0)
    return -1;
  if (berth_network_get (host (e), network, &n, err) < 0)
    goto out;
  bn = jpath (rec, "Berth", "Net");
  eps = json_object_get (bn, "Endpoints");
  nets = jpath (rec, "NetworkSettings", "Networks");
  json_array_foreach (eps, i, epj)
  {
    if (strcmp (json_string_value (json_object_get (epj, "Network")) ?: "", n->name) == 0)
      break;
  }
  if (i == json_array_size (eps))
    {
      berth_engine_error (err, ENOENT, "container %.12s is not connected to network %s", id,
                          n->name);
      goto out;
    }
  if (berth_endpoint_disconnect (host (e), n->name, id,
                                 json_string_value (json_object_get (epj, "HostIf")), err)
      < 0)
    goto out;
  json_array_remove (eps, i);
  json_object_del (nets, n->name);
  d.bn = bn;
  if (berth_engine_update_record (e, id, set_berth_net, &d, err) < 0
      || berth_engine_update_record (e, id, set_networks, nets, err) < 0)
    goto out;
  {
    berth_error_t ignored = NULL;
    write_hosts (e, id, rec, true, &ignored);
    berth_error_release (&ignored);
  }
  refresh_members (e, n->name, id);
  r = 0;
out:
  berth_network_free (n);
  json_decref (rec);
  return r;
}

bool
berth_engine_net_in_use (struct berth_engine *e, const char *network)
{
  struct berth_store_entry *ents = NULL;
  berth_error_t ignored = NULL;
  size_t n = 0;
  bool used = false;

  if (berth_store_list (e->store, &ents, &n, &ignored) < 0)
    {
      berth_error_release (&ignored);
      return true; /* cannot tell: keep it */
    }
  for (size_t i = 0; i < n && !used; i++)
    {
      json_t *rec = NULL, *epj;
      size_t k;
      if (berth_store_read_record (e->store, ents[i].id, &rec, &ignored) < 0)
        {
          used = !ents[i].complete;
          berth_error_release (&ignored);
          continue;
        }
      json_array_foreach (json_object_get (jpath (rec, "Berth", "Net"), "Endpoints"), k, epj) used
          = used
            || strcmp (json_string_value (json_object_get (epj, "Network")) ?: "", network) == 0;
      json_decref (rec);
    }
  berth_store_entries_free (ents, n);
  return used;
}
