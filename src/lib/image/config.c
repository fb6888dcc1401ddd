/* Image configs for the images berth makes itself.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "internal.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

const char *
config_architecture (void)
{
  static const struct
  {
    const char *uname, *docker;
  } map[] = { { "x86_64", "amd64" }, { "aarch64", "arm64" },  { "armv7l", "arm" },
              { "i686", "386" },     { "i386", "386" },       { "ppc64le", "ppc64le" },
              { "s390x", "s390x" },  { "riscv64", "riscv64" } };
  static struct utsname u;
  if (uname (&u) < 0)
    return "amd64";
  for (size_t i = 0; i < sizeof (map) / sizeof (map[0]); i++)
    if (strcmp (u.machine, map[i].uname) == 0)
      return map[i].docker;
  return u.machine;
}

char *
config_new (char *const *diff_ids, const char *created_by, const char *comment, const char *cmd)
{
  json_t *c, *ids = json_array (), *config;
  struct timespec ts;
  struct tm tm;
  char created[64], frac[16];
  char *text;

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (created, sizeof (created), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (frac, sizeof (frac), ".%09ldZ", ts.tv_nsec);
  strcat (created, frac);
  for (size_t i = 0; diff_ids && diff_ids[i]; i++)
    json_array_append_new (ids, json_string (diff_ids[i]));
  config = json_pack ("{s:[s]}", "Env", DEFAULT_PATH);
  if (cmd)
    json_object_set_new (config, "Cmd", json_pack ("[s]", cmd));
  c = json_pack ("{s:s,s:s,s:s,s:o,s:{s:s,s:o},s:[{s:s,s:s,s:s}]}", "architecture",
                 config_architecture (), "os", "linux", "created", created, "config", config,
                 "rootfs", "type", "layers", "diff_ids", ids, "history", "created", created,
                 "created_by", created_by, "comment", comment ? comment : "");
  if (c == NULL)
    return NULL;
  text = json_dumps (c, JSON_COMPACT);
  json_decref (c);
  return text;
}
