/* `state` and `list`: reading containers.  */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

int
cmd_state (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  const char *id;
  char *json = NULL;

  if (cli_parse_id_only (argc, argv, "state", &id, err) < 0)
    return 1;
  if (berth_container_state (&cli->rt, id, &json, err) < 0)
    return 1;
  puts (json);
  free (json);
  return 0;
}

/* The state keeps the creator's uid; list shows its name, as runc does.
 * Read from /etc/passwd directly: the program is linked statically, where
 * NSS modules cannot be loaded.  */
static const char *
owner_name (const char *uid_text, char *buf, size_t size)
{
  FILE *f;
  char line[1024];
  size_t tl = strlen (uid_text);

  if (tl == 0 || strspn (uid_text, "0123456789") != tl || (f = fopen ("/etc/passwd", "re")) == NULL)
    return uid_text;
  while (fgets (line, sizeof (line), f))
    {
      /* name:password:uid:... */
      char *pw = strchr (line, ':');
      char *uid = pw ? strchr (pw + 1, ':') : NULL;
      if (uid == NULL || strncmp (uid + 1, uid_text, tl) != 0 || uid[1 + tl] != ':')
        continue;
      *pw = '\0';
      snprintf (buf, size, "%.*s", (int) (size - 1), line);
      fclose (f);
      return buf;
    }
  fclose (f);
  return uid_text;
}

static void
print_json_list (struct berth_state **v, size_t n)
{
  json_t *a = json_array ();
  char *text;

  for (size_t i = 0; i < n; i++)
    {
      json_t *o = json_object ();
      char name[256];
      json_object_set_new (o, "ociVersion", json_string (v[i]->oci_version));
      json_object_set_new (o, "id", json_string (v[i]->id));
      json_object_set_new (
          o, "pid", json_integer (v[i]->status == BERTH_STATUS_STOPPED ? 0 : v[i]->pid));
      json_object_set_new (o, "status", json_string (berth_status_name (v[i]->status)));
      json_object_set_new (o, "bundle", json_string (v[i]->bundle));
      json_object_set_new (o, "rootfs", json_string (v[i]->rootfs));
      json_object_set_new (o, "created", json_string (v[i]->created));
      json_object_set_new (o, "owner", json_string (owner_name (v[i]->owner, name, sizeof (name))));
      json_array_append_new (a, o);
    }
  text = json_dumps (a, JSON_COMPACT);
  puts (text ? text : "[]");
  free (text);
  json_decref (a);
}

int
cmd_list (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' },
    { "quiet", no_argument, NULL, 'q' },
    { NULL, 0, NULL, 0 },
  };
  bool json = false, quiet = false;
  struct berth_state **v = NULL;
  size_t n = 0;
  int c;

  while ((c = getopt_long_only (argc, argv, "+f:q", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        if (strcmp (optarg, "json") != 0 && strcmp (optarg, "table") != 0)
          return berth_error (err, 0, "list: --format: unknown format `%s`", optarg), 1;
        json = strcmp (optarg, "json") == 0;
        break;
      case 'q':
        quiet = true;
        break;
      default:
        return berth_error (err, 0, "list: invalid option `%s`", argv[optind - 1]), 1;
      }
  if (berth_container_list (&cli->rt, &v, &n, err) < 0)
    return 1;
  if (json)
    print_json_list (v, n);
  else if (quiet)
    for (size_t i = 0; i < n; i++)
      puts (v[i]->id);
  else
    {
      printf ("%-20s %-8s %-10s %-40s %-31s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
              "OWNER");
      char name[256];
      for (size_t i = 0; i < n; i++)
        printf ("%-20s %-8d %-10s %-40s %-31s %s\n", v[i]->id,
                v[i]->status == BERTH_STATUS_STOPPED ? 0 : v[i]->pid,
                berth_status_name (v[i]->status), v[i]->bundle, v[i]->created,
                owner_name (v[i]->owner, name, sizeof (name)));
    }
  for (size_t i = 0; i < n; i++)
    berth_state_free (v[i]);
  free (v);
  return 0;
}
