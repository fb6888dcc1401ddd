/* berth volume create/ls/inspect/rm/prune over the volume store
 * (lib/engine/volumes.h).  Whether a container uses a volume is read from
 * the container records: a record that names the volume in a mount object
 * ({"Type": "volume", "Name": NAME}) or holds its _data path anywhere (a
 * bind source) uses it.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "cleanup.h"
#include "engine/store.h"
#include "engine/volumes.h"

struct volume_cli
{
  struct berth_volume_store *vols;
  struct berth_store *containers;
  const char *root;
};

static bool
mentions (json_t *j, const char *name, const char *path)
{
  const char *key;
  json_t *v;
  size_t i;

  if (json_is_string (j))
    return strcmp (json_string_value (j), path) == 0;
  if (json_is_object (j))
    {
      const char *type = json_string_value (json_object_get (j, "Type"));
      const char *n = json_string_value (json_object_get (j, "Name"));
      if (type && n && strcmp (type, "volume") == 0 && strcmp (n, name) == 0)
        return true;
      json_object_foreach (j, key, v) if (mentions (v, name, path)) return true;
    }
  if (json_is_array (j))
    json_array_foreach (j, i, v) if (mentions (v, name, path)) return true;
  return false;
}

static bool
volume_in_use (const char *name, void *data)
{
  struct volume_cli *vc = data;
  struct berth_store_entry *entries = NULL;
  cleanup_free char *path = NULL;
  berth_error_t e = NULL;
  size_t n = 0;
  bool used = false;

  if (vc->containers == NULL && berth_store_open (vc->root, &vc->containers, &e) < 0)
    {
      /* Cannot tell: say in use, so nothing is removed on a guess.  */
      berth_error_release (&e);
      return true;
    }
  if (berth_store_list (vc->containers, &entries, &n, &e) < 0)
    {
      berth_error_release (&e);
      return true;
    }
  {
    struct berth_volume *v = NULL;
    if (berth_volume_get (vc->vols, name, &v, &e) == 0)
      path = strdup (v->mountpoint);
    berth_error_release (&e);
    berth_volume_free (v);
  }
  for (size_t i = 0; i < n && !used; i++)
    {
      json_t *rec = NULL;
      if (berth_store_read_record (vc->containers, entries[i].id, &rec, &e) < 0)
        {
          /* A create still running may be about to use it.  */
          used = !entries[i].complete || e == NULL || e->status != ENOENT;
          berth_error_release (&e);
          continue;
        }
      used = mentions (rec, name, path ? path : "");
      json_decref (rec);
    }
  berth_store_entries_free (entries, n);
  return used;
}

static int
open_volumes (struct cli *cli, struct volume_cli *vc, berth_error_t *err)
{
  vc->root = cli->root;
  vc->containers = NULL;
  if (berth_volume_store_open (cli->root, &vc->vols, err) < 0)
    return -1;
  berth_volume_store_set_in_use (vc->vols, volume_in_use, vc);
  return 0;
}

static void
close_volumes (struct volume_cli *vc)
{
  berth_volume_store_close (vc->vols);
  berth_store_close (vc->containers);
}

/* "k=v" into OBJ; "k" alone is an empty value, as Docker has it.  */
static int
add_label (json_t *obj, const char *kv, berth_error_t *err)
{
  const char *eq = strchr (kv, '=');
  cleanup_free char *k = eq ? strndup (kv, eq - kv) : strdup (kv);

  if (k == NULL || *k == '\0')
    return berth_error (err, 0, "invalid label `%s`", kv);
  json_object_set_new (obj, k, json_string (eq ? eq + 1 : ""));
  return 0;
}

static int
volume_create (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "label", required_argument, NULL, 'l' },
    { "driver", required_argument, NULL, 'd' },
    { "name", required_argument, NULL, 'n' },
    { NULL, 0, NULL, 0 },
  };
  struct volume_cli vc;
  struct berth_volume *v = NULL;
  const char *name = NULL;
  json_t *labels = json_object ();
  int c, r;

  while ((c = getopt_long (argc, argv, "l:d:", opts, NULL)) != -1)
    if (c == 'l' && add_label (labels, optarg, err) == 0)
      continue;
    else if (c == 'd' && strcmp (optarg, "local") == 0)
      continue;
    else if (c == 'n')
      name = optarg;
    else
      {
        json_decref (labels);
        if (c == 'd')
          {
            berth_error (err, 0, "volume create: only the local driver is supported");
            return BERTH_EXIT_ERROR;
          }
        return *err ? BERTH_EXIT_ERROR : cli_bad_option ("volume create", argc, argv, err);
      }
  if (argc - optind > 1 || (name && argc - optind == 1))
    {
      json_decref (labels);
      berth_error (err, 0, "volume create: at most one NAME");
      return BERTH_EXIT_ERROR;
    }
  if (argc - optind == 1)
    name = argv[optind];
  if (open_volumes (cli, &vc, err) < 0)
    {
      json_decref (labels);
      return BERTH_EXIT_ERROR;
    }
  r = berth_volume_create (vc.vols, name, labels, &v, err);
  json_decref (labels);
  if (r == 0)
    puts (v->name);
  berth_volume_free (v);
  close_volumes (&vc);
  return r < 0 ? BERTH_EXIT_ERROR : 0;
}

static bool
label_matches (const struct berth_volume *v, const char *want)
{
  const char *eq = strchr (want, '=');
  cleanup_free char *k = eq ? strndup (want, eq - want) : strdup (want);
  json_t *val = k ? json_object_get (v->labels, k) : NULL;

  return val && (eq == NULL || strcmp (json_string_value (val), eq + 1) == 0);
}

static int
volume_ls (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "quiet", no_argument, NULL, 'q' },
    { "filter", required_argument, NULL, 'f' },
    { "format", required_argument, NULL, 'F' },
    { NULL, 0, NULL, 0 },
  };
  const char *name_f = NULL, *label_f = NULL, *dangling_f = NULL, *format = NULL;
  struct berth_volume **list = NULL;
  struct volume_cli vc;
  bool quiet = false;
  size_t n = 0;
  int c, ret = 0;

  while ((c = getopt_long (argc, argv, "qf:", opts, NULL)) != -1)
    if (c == 'q')
      quiet = true;
    else if (c == 'f' && strncmp (optarg, "name=", 5) == 0)
      name_f = optarg + 5;
    else if (c == 'f' && strncmp (optarg, "label=", 6) == 0)
      label_f = optarg + 6;
    else if (c == 'f' && strncmp (optarg, "dangling=", 9) == 0)
      dangling_f = optarg + 9;
    else if (c == 'F')
      format = optarg;
    else
      return cli_bad_option ("volume ls", argc, argv, err);
  if (open_volumes (cli, &vc, err) < 0)
    return BERTH_EXIT_ERROR;
  if (berth_volume_list (vc.vols, &list, &n, err) < 0)
    {
      close_volumes (&vc);
      return BERTH_EXIT_ERROR;
    }
  if (!quiet && !format)
    printf ("%-10s%s\n", "DRIVER", "VOLUME NAME");
  for (size_t i = 0; i < n && ret == 0; i++)
    {
      struct berth_volume *v = list[i];
      if (name_f && strstr (v->name, name_f) == NULL)
        continue;
      if (label_f && !label_matches (v, label_f))
        continue;
      if (dangling_f
          && volume_in_use (v->name, &vc)
                 == (strcmp (dangling_f, "true") == 0 || strcmp (dangling_f, "1") == 0))
        continue;
      if (quiet)
        puts (v->name);
      else if (format)
        {
          cleanup_free char *line = NULL;
          json_t *o = berth_volume_inspect_json (v);
          if (cli_format_json (format, o, &line, err) < 0)
            ret = BERTH_EXIT_ERROR;
          else
            puts (line);
          json_decref (o);
        }
      else
        printf ("%-10s%s\n", "local", v->name);
    }
  berth_volume_list_free (list, n);
  close_volumes (&vc);
  return ret;
}

static int
volume_inspect (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
  };
  const char *format = NULL;
  struct volume_cli vc;
  json_t *all;
  int c, ret = 0;

  while ((c = getopt_long (argc, argv, "f:", opts, NULL)) != -1)
    if (c == 'f')
      format = optarg;
    else
      return cli_bad_option ("volume inspect", argc, argv, err);
  if (optind >= argc)
    {
      berth_error (err, 0, "volume inspect: a volume name is needed");
      return BERTH_EXIT_ERROR;
    }
  if (open_volumes (cli, &vc, err) < 0)
    return BERTH_EXIT_ERROR;
  all = json_array ();
  for (int i = optind; i < argc && ret == 0; i++)
    {
      struct berth_volume *v = NULL;
      json_t *o;
      if (berth_volume_get (vc.vols, argv[i], &v, err) < 0)
        {
          ret = BERTH_EXIT_ERROR;
          break;
        }
      o = berth_volume_inspect_json (v);
      berth_volume_free (v);
      if (format)
        {
          cleanup_free char *line = NULL;
          if (cli_format_json (format, o, &line, err) < 0)
            ret = BERTH_EXIT_ERROR;
          else
            puts (line);
          json_decref (o);
          continue;
        }
      json_array_append_new (all, o);
    }
  if (ret == 0 && format == NULL)
    {
      cleanup_free char *text = json_dumps (all, JSON_INDENT (4));
      puts (text ? text : "[]");
    }
  json_decref (all);
  close_volumes (&vc);
  return ret;
}

static int
volume_rm (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "force", no_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
  };
  struct volume_cli vc;
  bool force = false;
  int c, ret = 0;

  while ((c = getopt_long (argc, argv, "f", opts, NULL)) != -1)
    if (c == 'f')
      force = true;
    else
      return cli_bad_option ("volume rm", argc, argv, err);
  if (optind >= argc)
    {
      berth_error (err, 0, "volume rm: a volume name is needed");
      return BERTH_EXIT_ERROR;
    }
  if (open_volumes (cli, &vc, err) < 0)
    return BERTH_EXIT_ERROR;
  /* Docker goes on with the other names and reports the failures.  */
  for (int i = optind; i < argc; i++)
    {
      berth_error_t e = NULL;
      if (berth_volume_remove (vc.vols, argv[i], force, &e) < 0)
        {
          if (*err)
            fprintf (stderr, "berth: %s\n", (*err)->msg);
          berth_error_release (err);
          *err = e;
          ret = BERTH_EXIT_ERROR;
          continue;
        }
      puts (argv[i]);
    }
  close_volumes (&vc);
  return ret;
}

static int
volume_prune (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "force", no_argument, NULL, 'f' },
    { "all", no_argument, NULL, 'a' },
    { NULL, 0, NULL, 0 },
  };
  struct volume_cli vc;
  char **removed = NULL;
  long long reclaimed = 0;
  bool all = false;
  int c;

  while ((c = getopt_long (argc, argv, "fa", opts, NULL)) != -1)
    if (c == 'a')
      all = true;
    else if (c != 'f') /* no prompt: -f is accepted and implied */
      return cli_bad_option ("volume prune", argc, argv, err);
  if (open_volumes (cli, &vc, err) < 0)
    return BERTH_EXIT_ERROR;
  if (berth_volume_prune (vc.vols, all, &removed, &reclaimed, err) < 0)
    {
      close_volumes (&vc);
      return BERTH_EXIT_ERROR;
    }
  if (removed[0])
    puts ("Deleted Volumes:");
  for (size_t i = 0; removed[i]; i++)
    puts (removed[i]);
  {
    char size[32];
    cli_human_size (reclaimed, size, sizeof (size));
    printf ("\nTotal reclaimed space: %s\n", size);
  }
  for (size_t i = 0; removed[i]; i++)
    free (removed[i]);
  free (removed);
  close_volumes (&vc);
  return 0;
}

int
cmd_volume (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct
  {
    const char *name;
    cli_command_fn fn;
  } subs[] = {
    { "create", volume_create },   { "ls", volume_ls }, { "list", volume_ls },
    { "inspect", volume_inspect }, { "rm", volume_rm }, { "remove", volume_rm },
    { "prune", volume_prune },
  };
  if (argc < 2)
    {
      berth_error (err, 0, "volume: a subcommand is needed (create, ls, inspect, rm, prune)");
      return BERTH_EXIT_ERROR;
    }
  for (size_t i = 0; i < sizeof (subs) / sizeof (subs[0]); i++)
    if (strcmp (argv[1], subs[i].name) == 0)
      return subs[i].fn (cli, argc - 1, argv + 1, err);
  berth_error (err, 0, "volume: unknown subcommand `%s`", argv[1]);
  return BERTH_EXIT_ERROR;
}
