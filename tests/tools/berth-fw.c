/* Test-only front of the firewall API (src/lib/net/firewall.h), so that the
 * e2e tests can drive it before and without the engine:
 *   berth-fw [-t TABLE] setup NAME BRIDGE [-4 SUBNET] [-6 SUBNET] [--internal]
 *   berth-fw [-t TABLE] teardown NAME
 *   berth-fw [-t TABLE] check PORT...
 *   berth-fw [-t TABLE] add NETWORK OWNER PORT...
 *   berth-fw [-t TABLE] remove OWNER
 *   berth-fw [-t TABLE] owners
 *   berth-fw forget ADDRESS
 *   berth-fw [-t TABLE] cycle NETWORK COUNT PORT
 *     (check, add and remove PORT as owner "cycle" COUNT times in this
 *     process; prints the mean time of one cycle)
 * PORT is PROTO,HOST_IP,HOST_PORT,CTR_IP,CTR_PORT (HOST_IP may be empty). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "net/firewall.h"

static int
parse_port (const char *s, struct berth_fw_port *p)
{
  char buf[200], *rest = buf, *f[5];

  memset (p, 0, sizeof (*p));
  snprintf (buf, sizeof (buf), "%s", s);
  for (int i = 0; i < 5; i++)
    if ((f[i] = strsep (&rest, ",")) == NULL)
      return -1;
  if (rest != NULL || strlen (f[0]) >= sizeof (p->proto) || strlen (f[1]) >= sizeof (p->host_ip)
      || strlen (f[3]) >= sizeof (p->ctr_ip))
    return -1;
  strcpy (p->proto, f[0]);
  strcpy (p->host_ip, f[1]);
  strcpy (p->ctr_ip, f[3]);
  p->host_port = atoi (f[2]);
  p->ctr_port = atoi (f[4]);
  return 0;
}

static int
usage (void)
{
  fprintf (stderr, "usage: berth-fw [-t TABLE] setup|teardown|check|add|remove|owners ...\n");
  return 2;
}

int
main (int argc, char **argv)
{
  struct berth_fw_config cfg = { .table = NULL };
  berth_error_t err = NULL;
  struct berth_fw_port ports[64];
  size_t n = 0;
  int ret = -1, i = 1;

  if (argc > 2 && strcmp (argv[1], "-t") == 0)
    {
      cfg.table = argv[2];
      i = 3;
    }
  if (i >= argc)
    return usage ();
  const char *cmd = argv[i++];
  if (strcmp (cmd, "setup") == 0 && argc - i >= 2)
    {
      struct berth_fw_net net = { .name = argv[i], .bridge = argv[i + 1] };
      bool changed = false;
      for (i += 2; i < argc; i++)
        if (strcmp (argv[i], "-4") == 0 && i + 1 < argc)
          net.subnet4 = argv[++i];
        else if (strcmp (argv[i], "-6") == 0 && i + 1 < argc)
          net.subnet6 = argv[++i];
        else if (strcmp (argv[i], "--internal") == 0)
          net.internal = true;
        else
          return usage ();
      ret = berth_fw_network_setup (&cfg, &net, &changed, &err);
      if (ret == 0 && changed)
        printf ("forwarding enabled\n");
    }
  else if (strcmp (cmd, "teardown") == 0 && argc - i == 1)
    ret = berth_fw_network_teardown (&cfg, argv[i], &err);
  else if ((strcmp (cmd, "check") == 0 && argc - i >= 1)
           || (strcmp (cmd, "add") == 0 && argc - i >= 2))
    {
      int first = strcmp (cmd, "add") == 0 ? i + 2 : i;
      for (int k = first; k < argc && n < 64; k++)
        if (parse_port (argv[k], &ports[n++]) < 0)
          {
            fprintf (stderr, "berth-fw: bad port `%s`\n", argv[k]);
            return 2;
          }
      if (strcmp (cmd, "check") == 0)
        ret = berth_fw_ports_check (&cfg, ports, n, &err);
      else
        ret = berth_fw_ports_add (&cfg, argv[i], argv[i + 1], ports, n, &err);
    }
  else if (strcmp (cmd, "remove") == 0 && argc - i == 1)
    ret = berth_fw_ports_remove (&cfg, argv[i], &err);
  else if (strcmp (cmd, "cycle") == 0 && argc - i == 3)
    {
      int count = atoi (argv[i + 1]);
      struct timespec t0, t1;
      if (parse_port (argv[i + 2], &ports[0]) < 0 || count <= 0)
        return usage ();
      clock_gettime (CLOCK_MONOTONIC, &t0);
      ret = 0;
      for (int k = 0; k < count && ret == 0; k++)
        if ((ret = berth_fw_ports_check (&cfg, ports, 1, &err)) == 0
            && (ret = berth_fw_ports_add (&cfg, argv[i], "cycle", ports, 1, &err)) == 0)
          ret = berth_fw_ports_remove (&cfg, "cycle", &err);
      clock_gettime (CLOCK_MONOTONIC, &t1);
      if (ret == 0)
        printf ("%.2f ms per check+add+remove\n",
                ((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6) / count);
    }
  else if (strcmp (cmd, "forget") == 0 && argc - i == 1)
    ret = berth_fw_conntrack_forget (argv[i], &err);
  else if (strcmp (cmd, "owners") == 0)
    {
      char **owners;
      size_t count;
      ret = berth_fw_owners (&cfg, &owners, &count, &err);
      for (size_t k = 0; ret == 0 && k < count; k++)
        {
          printf ("%s\n", owners[k]);
          free (owners[k]);
        }
      if (ret == 0)
        free (owners);
    }
  else
    return usage ();
  if (ret < 0)
    {
      fprintf (stderr, "berth-fw: %s\n", err && err->msg ? err->msg : "failed");
      berth_error_release (&err);
      return 1;
    }
  return 0;
}
