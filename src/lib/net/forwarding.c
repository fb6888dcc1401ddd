/* The sysctls berth's networks need: IPv4/IPv6 forwarding, turned on only
 * when off (and reported, so that berth can say it changed the host), and
 * route_localnet on a bridge, which lets the host's own connections to
 * 127.0.0.1:PORT be DNATed out through the bridge (the guard chain of
 * berth's table keeps containers from using it to reach 127.0.0.0/8).  */
#include "net/firewall_nft.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* Write "1" to a sysctl unless it reads 1 already; *changed says whether it
 * wrote.  */
static int
sysctl_enable (const char *path, bool *changed, berth_error_t *err)
{
  char buf[8] = "";
  FILE *f = fopen (path, "re");

  if (f == NULL)
    return berth_error (err, errno, "open `%s`", path);
  if (fgets (buf, sizeof (buf), f) == NULL)
    buf[0] = '\0';
  fclose (f);
  if (buf[0] == '1')
    return 0;
  if (berth_write_file (path, "1\n", 2, 0644, err) < 0)
    return berth_error_wrap (err, "enable `%s`", path);
  if (changed)
    *changed = true;
  return 0;
}

int
fw_forwarding_enable (bool ipv4, bool ipv6, bool *changed, berth_error_t *err)
{
  if (ipv4 && sysctl_enable ("/proc/sys/net/ipv4/ip_forward", changed, err) < 0)
    return -1;
  if (ipv6 && sysctl_enable ("/proc/sys/net/ipv6/conf/all/forwarding", changed, err) < 0)
    return -1;
  return 0;
}

int
fw_route_localnet_enable (const char *bridge, berth_error_t *err)
{
  char path[96];

  snprintf (path, sizeof (path), "/proc/sys/net/ipv4/conf/%s/route_localnet", bridge);
  return sysctl_enable (path, NULL, err);
}
