/* berth network create/ls/inspect/rm/connect/disconnect/prune over lib/net
 * (the networks) and engine/network.c (which containers are on them).  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "cleanup.h"
#include "engine/container.h"
#include "engine/network.h"
#include "net/net.h"

static int
push (char ***v, size_t *n, const char *s)
{
  char **nv = realloc (*v, (*n + 2) * sizeof (char *));
  if (nv == NULL)
    return -1;
  *v = nv;
  nv[(*n)++] = (char *)s;
  nv[*n] = NULL;
  return 0;
}

static int
network_create (struct cli *cli, const struct berth_net_host *h, int argc, char **argv,
                berth_error_t *err)
{
  static const struct option opts[] = {
    { "subnet", required_argument, NULL, 's' },   { "gateway", required_argument, NULL, 'g' },
    { "ip-range", required_argument, NULL, 'r' }, { "internal", no_argument, NULL, 'i' },
    { "ipv6", no_argument, NULL, '6' },           { "opt", required_argument, NULL, 'o' },
    { "driver", required_argument, NULL, 'd' },   { NULL, 0, NULL, 0 },
  };
  struct berth_network_create c = { 0 };
  struct berth_network *n = NULL;
  cleanup_free char **options = NULL;
  size_t n_opts = 0;
  int ch, r;

  (void)cli;
  while ((ch = getopt_long (argc, argv, "o:d:", opts, NULL)) != -1)
    switch (ch)
      {
      case 's':
        {
          /* A second --subnet is the other family's.  */
          if (c.subnet && strchr (optarg, ':') && !strchr (c.subnet, ':'))
            c.subnet6 = optarg;
          else if (c.subnet && !strchr (optarg, ':') && strchr (c.subnet, ':'))
            {
              c.subnet6 = c.subnet;
              c.subnet = optarg;
            }
          else if (c.subnet)
            {
              berth_error (err, 0, "network create: one --subnet per address family");
              return BERTH_EXIT_ERROR;
            }
          else
            c.subnet = optarg;
          break;
        }
      case 'g':
        if (strchr (optarg, ':'))
          c.gateway6 = optarg;
        else
          c.gateway = optarg;
        break;
      case 'r':
        c.ip_range = optarg;
        break;
      case 'i':
        c.internal = true;
        break;
      case '6':
        c.ipv6 = true;
        break;
      case 'o':
        if (push (&options, &n_opts, optarg) < 0)
          return berth_error (err, ENOMEM, "network create"), BERTH_EXIT_ERROR;
        break;
      case 'd':
        if (strcmp (optarg, "bridge") == 0)
          break;
        berth_error (err, 0, "network create: only the bridge driver is supported");
        return BERTH_EXIT_ERROR;
      default:
        return cli_bad_option ("network create", argc, argv, err);
      }
  if (argc - optind != 1)
    {
      berth_error (err, 0, "network create: exactly one NAME");
      return BERTH_EXIT_ERROR;
    }
  /* An IPv6 gateway given before its subnet, and the IPv6 subnet given as
   * the only --subnet, are sorted out by the library.  */
  if (c.subnet6 == NULL && c.gateway6 && c.subnet && strchr (c.subnet, ':'))
    {
      c.subnet6 = c.subnet;
      c.subnet = NULL;
    }
  c.name = argv[optind];
  c.options = options;
  r = berth_network_create (h, &c, &n, err);
  if (r == 0)
    puts (n->id);
  berth_network_free (n);
  return r < 0 ? BERTH_EXIT_ERROR : 0;
}

/* The Containers object of a network's inspect, from its leases.  */
static json_t *
members (struct berth_engine *e, const struct berth_net_host *h, const char *network)
{
  json_t *out = json_object (), *leases = NULL, *l;
  const char *ip;

  if (berth_ipam_entries (h, network, &leases, NULL) < 0)
    return out;
  json_object_foreach (leases, ip, l)
  {
    const char *owner = json_string_value (json_object_get (l, "owner"));
    json_t *rec = NULL, *ep, *m;
    berth_error_t ignored = NULL;
    if (owner == NULL || berth_store_read_record (e->store, owner, &rec, &ignored) < 0)
      {
        berth_error_release (&ignored);
        continue;
      }
    ep = json_object_get (json_object_get (json_object_get (rec, "NetworkSettings"), "Networks"),
                          network);
    m = json_object_get (out, owner);
    if (m == NULL)
      {
        const char *mac = json_string_value (json_object_get (ep, "MacAddress"));
        const char *ip4 = json_string_value (json_object_get (ep, "IPAddress"));
        const char *ip6 = json_string_value (json_object_get (ep, "GlobalIPv6Address"));
        char a4[80] = "", a6[80] = "";
        if (ip4 && *ip4)
          snprintf (a4, sizeof (a4), "%s/%d", ip4,
                    (int)json_integer_value (json_object_get (ep, "IPPrefixLen")));
        if (ip6 && *ip6)
          snprintf (a6, sizeof (a6), "%s/%d", ip6,
                    (int)json_integer_value (json_object_get (ep, "GlobalIPv6PrefixLen")));
        json_object_set_new (
            out, owner,
            json_pack ("{s:s,s:s,s:s,s:s,s:s}", "Name",
                       json_string_value (json_object_get (rec, "Name")) + 1, "EndpointID",
                       json_string_value (json_object_get (ep, "EndpointID")) ?: "", "MacAddress",
                       mac ?: "", "IPv4Address", a4, "IPv6Address", a6));
      }
    json_decref (rec);
  }
  json_decref (leases);
  return out;
}

static json_t *
inspect_json (struct berth_engine *e, const struct berth_net_host *h, struct berth_network *n)
{
  json_t *j = berth_network_json (n);
  json_object_set_new (j, "Containers", members (e, h, n->name));
  return j;
}

static int
network_ls (struct cli *cli, const struct berth_net_host *h, int argc, char **argv,
            berth_error_t *err)
{
  static const struct option opts[] = {
    { "quiet", no_argument, NULL, 'q' },
    { "format", required_argument, NULL, 'F' },
    { "no-trunc", no_argument, NULL, 'T' },
    { NULL, 0, NULL, 0 },
  };
  struct berth_network **l = NULL;
  struct berth_engine *e;
  const char *format = NULL;
  bool quiet = false, notrunc = false;
  size_t n = 0;
  int c, ret = 0;

  while ((c = getopt_long (argc, argv, "q", opts, NULL)) != -1)
    if (c == 'q')
      quiet = true;
    else if (c == 'F')
      format = optarg;
    else if (c == 'T')
      notrunc = true;
    else
      return cli_bad_option ("network ls", argc, argv, err);
  if (cli_engine (cli, &e, err) < 0 || berth_network_list (h, &l, &n, err) < 0)
    return BERTH_EXIT_ERROR;
  if (!quiet && !format)
    printf ("%-14s%-20s%-10s%s\n", "NETWORK ID", "NAME", "DRIVER", "SCOPE");
  for (size_t i = 0; i < n && ret == 0; i++)
    {
      if (quiet)
        printf ("%.*s\n", notrunc ? 64 : 12, l[i]->id);
      else if (format)
        {
          cleanup_free char *line = NULL;
          json_t *o = inspect_json (e, h, l[i]);
          json_object_set_new (o, "ID", json_string (l[i]->id));
          if (cli_format_json (format, o, &line, err) < 0)
            ret = BERTH_EXIT_ERROR;
          else
            puts (line);
          json_decref (o);
        }
      else
        printf ("%-14.*s%-20s%-10s%s\n", notrunc ? 64 : 12, l[i]->id, l[i]->name, "bridge",
                "local");
    }
  /* Docker lists its two other pre-defined networks too: --network host
   * and none, with the drivers "host" and "null".  They have no
   * definition; their IDs are their names in hex, zero-padded.  */
  for (size_t i = 0; i < 2 && ret == 0; i++)
    {
      static const char *const names[] = { "host", "none" }, *const drivers[] = { "host", "null" };
      char id[65];
      size_t k = 0;
      for (const char *c = names[i]; *c; c++, k += 2)
        snprintf (id + k, 3, "%02x", (unsigned char)*c);
      memset (id + k, '0', 64 - k);
      id[64] = '\0';
      if (quiet)
        printf ("%.*s\n", notrunc ? 64 : 12, id);
      else if (format)
        {
          cleanup_free char *line = NULL;
          json_t *o = json_pack ("{s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:{},s:{}}", "Name", names[i], "Id",
                                 id, "ID", id, "Driver", drivers[i], "Scope", "local", "EnableIPv6",
                                 0, "Internal", 0, "Containers", "Options");
          if (cli_format_json (format, o, &line, err) < 0)
            ret = BERTH_EXIT_ERROR;
          else
            puts (line);
          json_decref (o);
        }
      else
        printf ("%-14.*s%-20s%-10s%s\n", notrunc ? 64 : 12, id, names[i], drivers[i], "local");
    }
  berth_network_list_free (l, n);
  return ret;
}

static int
network_inspect (struct cli *cli, const struct berth_net_host *h, int argc, char **argv,
                 berth_error_t *err)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
  };
  const char *format = NULL;
  struct berth_engine *e;
  json_t *all = json_array ();
  int c, ret = 0;

  while ((c = getopt_long (argc, argv, "f:", opts, NULL)) != -1)
    if (c == 'f')
      format = optarg;
    else
      {
        json_decref (all);
        return cli_bad_option ("network inspect", argc, argv, err);
      }
  if (optind >= argc)
    {
      json_decref (all);
      berth_error (err, 0, "network inspect: a network is needed");
      return BERTH_EXIT_ERROR;
    }
  if (cli_engine (cli, &e, err) < 0)
    {
      json_decref (all);
      return BERTH_EXIT_ERROR;
    }
  for (int i = optind; i < argc; i++)
    {
      struct berth_network *n = NULL;
      berth_error_t e2 = NULL;
      if (berth_network_get (h, argv[i], &n, &e2) < 0)
        {
          cli_more_error (err, &e2);
          ret = BERTH_EXIT_ERROR;
          continue;
        }
      json_array_append_new (all, inspect_json (e, h, n));
      berth_network_free (n);
    }
  if (format)
    {
      size_t i;
      json_t *o;
      json_array_foreach (all, i, o)
      {
        cleanup_free char *line = NULL;
        if (cli_format_json (format, o, &line, err) < 0)
          ret = BERTH_EXIT_ERROR;
        else
          puts (line);
      }
    }
  else if (json_array_size (all) || ret == 0)
    {
      cleanup_free char *text = json_dumps (all, JSON_INDENT (4));
      if (text)
        puts (text);
    }
  json_decref (all);
  return ret;
}

static int
network_rm (struct cli *cli, const struct berth_net_host *h, int argc, char **argv,
            berth_error_t *err)
{
  struct berth_engine *e;
  int ret = 0;

  if (argc < 2)
    {
      berth_error (err, 0, "network rm: a network is needed");
      return BERTH_EXIT_ERROR;
    }
  if (cli_engine (cli, &e, err) < 0)
    return BERTH_EXIT_ERROR;
  for (int i = 1; i < argc; i++)
    {
      struct berth_network *n = NULL;
      berth_error_t e2 = NULL;
      /* host and none have no definition: the library says why they stay */
      bool predefined = strcmp (argv[i], "host") == 0 || strcmp (argv[i], "none") == 0;
      if (predefined
              ? berth_network_remove (h, argv[i], false, &e2) < 0
              : (berth_network_get (h, argv[i], &n, &e2) < 0
                 || berth_network_remove (h, n->name, berth_engine_net_in_use (e, n->name), &e2)
                        < 0))
        {
          cli_more_error (err, &e2);
          ret = BERTH_EXIT_ERROR;
        }
      else
        puts (argv[i]);
      berth_network_free (n);
    }
  return ret;
}

static int
network_prune (struct cli *cli, const struct berth_net_host *h, int argc, char **argv,
               berth_error_t *err)
{
  struct berth_network **l = NULL;
  struct berth_engine *e;
  size_t n = 0;
  bool header = false;

  (void)argc, (void)argv; /* -f: there is no prompt */
  if (cli_engine (cli, &e, err) < 0 || berth_network_list (h, &l, &n, err) < 0)
    return BERTH_EXIT_ERROR;
  for (size_t i = 0; i < n; i++)
    {
      berth_error_t e2 = NULL;
      if (strcmp (l[i]->name, BERTH_NET_DEFAULT_NAME) == 0
          || berth_engine_net_in_use (e, l[i]->name))
        continue;
      if (berth_network_remove (h, l[i]->name, false, &e2) < 0)
        {
          cli_more_error (err, &e2);
          continue;
        }
      if (!header)
        puts ("Deleted Networks:");
      header = true;
      puts (l[i]->name);
    }
  berth_network_list_free (l, n);
  return *err ? BERTH_EXIT_ERROR : 0;
}

static int
network_connect (struct cli *cli, int argc, char **argv, bool connect, berth_error_t *err)
{
  static const struct option opts[] = {
    { "ip", required_argument, NULL, 'i' },
    { "ip6", required_argument, NULL, '6' },
    { "alias", required_argument, NULL, 'a' },
    { "force", no_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_free char **aliases = NULL;
  const char *ip = NULL, *ip6 = NULL;
  struct berth_engine *e;
  char id[BERTH_ID_LEN + 1];
  size_t n_al = 0;
  int c;

  while ((c = getopt_long (argc, argv, "f", opts, NULL)) != -1)
    if (c == 'i' && connect)
      ip = optarg;
    else if (c == '6' && connect)
      ip6 = optarg;
    else if (c == 'a' && connect)
      {
        if (push (&aliases, &n_al, optarg) < 0)
          return berth_error (err, ENOMEM, "network connect"), BERTH_EXIT_ERROR;
      }
    else if (c == 'f' && !connect)
      continue;
    else
      return cli_bad_option (connect ? "network connect" : "network disconnect", argc, argv, err);
  if (argc - optind != 2)
    {
      berth_error (err, 0, "network %s: NETWORK CONTAINER expected",
                   connect ? "connect" : "disconnect");
      return BERTH_EXIT_ERROR;
    }
  if (cli_engine (cli, &e, err) < 0 || berth_engine_find (e, argv[optind + 1], id, NULL, err) < 0)
    return BERTH_EXIT_ERROR;
  if (connect ? berth_engine_net_connect (e, id, argv[optind], ip, ip6, aliases, err)
              : berth_engine_net_disconnect (e, id, argv[optind], err))
    return BERTH_EXIT_ERROR;
  return 0;
}

int
cmd_network (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  struct berth_engine *e;
  const struct berth_net_host *h;
  const char *sub;

  if (argc < 2)
    {
      berth_error (err, 0,
                   "network: a subcommand is needed (create, ls, inspect, rm, connect, "
                   "disconnect, prune)");
      return BERTH_EXIT_ERROR;
    }
  if (cli_engine (cli, &e, err) < 0)
    return BERTH_EXIT_ERROR;
  h = berth_engine_net_host (e);
  sub = argv[1];
  argc--, argv++;
  if (strcmp (sub, "create") == 0)
    return network_create (cli, h, argc, argv, err);
  if (strcmp (sub, "ls") == 0 || strcmp (sub, "list") == 0)
    return network_ls (cli, h, argc, argv, err);
  if (strcmp (sub, "inspect") == 0)
    return network_inspect (cli, h, argc, argv, err);
  if (strcmp (sub, "rm") == 0 || strcmp (sub, "remove") == 0)
    return network_rm (cli, h, argc, argv, err);
  if (strcmp (sub, "prune") == 0)
    return network_prune (cli, h, argc, argv, err);
  if (strcmp (sub, "connect") == 0)
    return network_connect (cli, argc, argv, true, err);
  if (strcmp (sub, "disconnect") == 0)
    return network_connect (cli, argc, argv, false, err);
  berth_error (err, 0, "network: unknown subcommand `%s`", sub);
  return BERTH_EXIT_ERROR;
}
