/* Docker's -p syntax into the firewall's port structs:
 *   [hostip:][hostport[-end]:]ctrport[-end][/tcp|/udp]
 * hostip may be [v6].  A host range pairs with an equal container range,
 * or with one container port (any free host port of the range: the first
 * here).  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "net/net.h"

static int
parse_range (const char *s, long *lo, long *hi)
{
  char *end;
  if (*s == '\0')
    return -1;
  *lo = strtol (s, &end, 10);
  if (end == s)
    return -1;
  if (*end == '-')
    {
      const char *b = end + 1;
      *hi = strtol (b, &end, 10);
      if (end == b)
        return -1;
    }
  else
    *hi = *lo;
  if (*end || *lo < 1 || *hi > 65535 || *hi < *lo)
    return -1;
  return 0;
}

int
berth_port_parse (const char *spec, struct berth_fw_port **ports, size_t *n, berth_error_t *err)
{
  cleanup_free char *s = strdup (spec);
  char *proto = NULL, *ctr, *host = NULL, *ip = NULL, *p;
  long clo, chi, hlo = 0, hhi = 0;
  struct berth_fw_port *np;
  size_t count;

  if (s == NULL)
    return berth_error (err, ENOMEM, "-p");
  if ((p = strrchr (s, '/')) != NULL)
    {
      *p = '\0';
      proto = p + 1;
      if (strcmp (proto, "tcp") != 0 && strcmp (proto, "udp") != 0)
        return berth_user_error (err, EINVAL, "invalid -p `%s`: protocol tcp or udp", spec);
    }
  /* From the right: ctrport, then hostport, then the address (which may
   * hold colons inside brackets).  */
  p = strrchr (s, ':');
  if (p == NULL)
    ctr = s;
  else
    {
      *p = '\0';
      ctr = p + 1;
      host = s;
      if (s[0] == '[')
        {
          char *close = strchr (s, ']');
          if (close == NULL || (close[1] != ':' && close[1] != '\0'))
            return berth_user_error (err, EINVAL, "invalid -p `%s`: bad address", spec);
          *close = '\0';
          ip = s + 1;
          host = close[1] ? close + 2 : close + 1;
        }
      else if ((p = strrchr (s, ':')) != NULL)
        {
          *p = '\0';
          ip = s;
          host = p + 1;
        }
    }
  if (parse_range (ctr, &clo, &chi) < 0)
    return berth_user_error (err, EINVAL, "invalid -p `%s`: bad container port", spec);
  if (host && *host && parse_range (host, &hlo, &hhi) < 0)
    return berth_user_error (err, EINVAL, "invalid -p `%s`: bad host port", spec);
  if (hlo && hhi - hlo != chi - clo && clo != chi)
    return berth_user_error (err, EINVAL, "invalid -p `%s`: the port ranges differ in size", spec);
  if (ip && *ip)
    {
      struct berth_cidr c;
      if (berth_ip_parse (ip, 0, &c) < 0)
        return berth_user_error (err, EINVAL, "invalid -p `%s`: bad address `%s`", spec, ip);
    }
  count = (size_t)(chi - clo + 1);
  np = realloc (*ports, (*n + count) * sizeof (*np));
  if (np == NULL)
    return berth_error (err, ENOMEM, "-p");
  *ports = np;
  for (size_t i = 0; i < count; i++)
    {
      struct berth_fw_port *fp = &np[*n + i];
      memset (fp, 0, sizeof (*fp));
      snprintf (fp->proto, sizeof (fp->proto), "%s", proto ?: "tcp");
      snprintf (fp->host_ip, sizeof (fp->host_ip), "%s", ip ?: "");
      fp->ctr_port = (uint16_t)(clo + i);
      fp->host_port = hlo ? (uint16_t)(hlo + (clo == chi ? 0 : i)) : 0;
    }
  *n += count;
  return 0;
}
