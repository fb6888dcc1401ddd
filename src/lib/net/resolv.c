/* A container's resolv.conf: the host's, without the loopback resolvers
 * that cannot answer inside the container's own network namespace, and
 * with --dns/--dns-search/--dns-option in place of the host's lines.  */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

static bool
loopback (const char *ns)
{
  return strncmp (ns, "127.", 4) == 0 || strcmp (ns, "::1") == 0;
}

bool
berth_net_loopback_resolver (const char *host_resolv, char out[16])
{
  const char *p = host_resolv;
  bool found = false;

  out[0] = '\0';
  while (p && *p)
    {
      char line[512], word[32], arg[64];
      struct in_addr a;
      const char *nl = strchr (p, '\n');
      size_t len = nl ? (size_t)(nl - p) : strlen (p);
      snprintf (line, sizeof (line), "%.*s", (int)(len < sizeof (line) ? len : sizeof (line) - 1),
                p);
      if (sscanf (line, " %31s %63s", word, arg) == 2 && strcmp (word, "nameserver") == 0)
        {
          if (!loopback (arg))
            return false; /* a resolver the container reaches itself */
          if (!found && inet_pton (AF_INET, arg, &a) == 1)
            {
              inet_ntop (AF_INET, &a, out, 16);
              found = true;
            }
        }
      p = nl ? nl + 1 : NULL;
    }
  return found;
}

char *
berth_net_resolv_conf (const char *host_resolv, char *const *dns, char *const *search,
                       char *const *options, const char *fallback)
{
  char *out = NULL, *copy = strdup (host_resolv ?: ""), *save = NULL;
  size_t len = 0, servers = 0;
  FILE *f = open_memstream (&out, &len);

  if (f == NULL || copy == NULL)
    {
      if (f)
        fclose (f);
      free (out);
      free (copy);
      return NULL;
    }
  for (char *line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char word[32], arg[256];
      int n = sscanf (line, " %31s %255s", word, arg);
      if (n >= 1 && strcmp (word, "nameserver") == 0)
        {
          if (dns && dns[0])
            continue;
          if (n == 2 && loopback (arg))
            continue;
          servers++;
        }
      else if (n >= 1 && (strcmp (word, "search") == 0 || strcmp (word, "domain") == 0) && search
               && search[0])
        continue;
      else if (n >= 1 && strcmp (word, "options") == 0 && options && options[0])
        continue;
      fprintf (f, "%s\n", line);
    }
  for (size_t i = 0; dns && dns[i]; i++, servers++)
    fprintf (f, "nameserver %s\n", dns[i]);
  if (servers == 0)
    /* Only loopback resolvers on the host: the gateway answers (the
     * network's firewall DNATs gateway:53 to the host's resolver).  */
    fprintf (f, "nameserver %s\n", fallback && *fallback ? fallback : "8.8.8.8");
  if (search && search[0])
    {
      fprintf (f, "search");
      for (size_t i = 0; search[i]; i++)
        fprintf (f, " %s", search[i]);
      fprintf (f, "\n");
    }
  if (options && options[0])
    {
      fprintf (f, "options");
      for (size_t i = 0; options[i]; i++)
        fprintf (f, " %s", options[i]);
      fprintf (f, "\n");
    }
  free (copy);
  if (fclose (f) != 0)
    {
      free (out);
      return NULL;
    }
  return out;
}
