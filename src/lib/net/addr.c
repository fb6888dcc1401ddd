/* Addresses and prefixes as berth's networks use them: parsing, the
 * network part, containment, printing.  */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net/net.h"

int
berth_ip_parse (const char *s, int family, struct berth_cidr *out)
{
  memset (out, 0, sizeof (*out));
  if ((family == 0 || family == AF_INET) && inet_pton (AF_INET, s, out->addr) == 1)
    {
      out->family = AF_INET;
      out->prefix = 32;
      return 0;
    }
  if ((family == 0 || family == AF_INET6) && inet_pton (AF_INET6, s, out->addr) == 1)
    {
      out->family = AF_INET6;
      out->prefix = 128;
      return 0;
    }
  return -1;
}

static void
clear_host_bits (struct berth_cidr *c)
{
  int bits = c->family == AF_INET ? 32 : 128;
  for (int i = c->prefix; i < bits; i++)
    c->addr[i / 8] &= ~(0x80 >> (i % 8));
}

int
berth_cidr_parse (const char *s, struct berth_cidr *out, berth_error_t *err)
{
  char buf[64];
  const char *slash = strchr (s, '/');
  char *end;
  long p;

  if (slash == NULL || (size_t)(slash - s) >= sizeof (buf))
    return berth_user_error (err, EINVAL, "invalid subnet `%s`: ADDRESS/PREFIX expected", s);
  memcpy (buf, s, slash - s);
  buf[slash - s] = '\0';
  if (berth_ip_parse (buf, 0, out) < 0)
    return berth_user_error (err, EINVAL, "invalid subnet `%s`: bad address", s);
  errno = 0;
  p = strtol (slash + 1, &end, 10);
  if (slash[1] == '\0' || *end || p < 0 || p > (out->family == AF_INET ? 32 : 128))
    return berth_user_error (err, EINVAL, "invalid subnet `%s`: bad prefix length", s);
  out->prefix = (int)p;
  clear_host_bits (out);
  return 0;
}

bool
berth_cidr_contains (const struct berth_cidr *net, const struct berth_cidr *ip)
{
  if (net->family != ip->family)
    return false;
  for (int i = 0; i < net->prefix; i++)
    if ((net->addr[i / 8] ^ ip->addr[i / 8]) & (0x80 >> (i % 8)))
      return false;
  return true;
}

void
berth_cidr_format (const struct berth_cidr *c, bool with_prefix, char buf[64])
{
  char a[INET6_ADDRSTRLEN] = "";
  inet_ntop (c->family, c->addr, a, sizeof (a));
  if (with_prefix)
    snprintf (buf, 64, "%s/%d", a, c->prefix);
  else
    snprintf (buf, 64, "%s", a);
}
