/* Looking at images: images (image ls), image inspect, history.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "cleanup.h"
#include "util.h"

/* The fields `images --format` knows, as Docker names them.  */
static json_t *
image_row (const struct berth_image *img, const char *name, bool no_trunc)
{
  char size[32], since[64], created[64];
  cleanup_free char *repo = NULL, *tag = NULL;
  const char *colon = name ? strrchr (name, ':') : NULL;
  const char *digest = "<none>";
  struct tm tm;
  time_t t = img->created_sec;

  repo = colon ? strndup (name, colon - name) : strdup ("<none>");
  tag = strdup (colon ? colon + 1 : "<none>");
  cli_human_size (img->size, size, sizeof (size));
  cli_human_since (img->created_sec, since, sizeof (since));
  gmtime_r (&t, &tm);
  strftime (created, sizeof (created), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
  /* The digest the registry gave for this repository (pull, push).  */
  for (size_t i = 0; img->repo_digests && img->repo_digests[i]; i++)
    {
      const char *d = img->repo_digests[i], *at = strchr (d, '@');
      if (name == NULL && at && i == 0)
        {
          free (repo);
          repo = strndup (d, at - d);
        }
      if (at && repo && strlen (repo) == (size_t)(at - d) && strncmp (d, repo, at - d) == 0)
        {
          digest = at + 1;
          break;
        }
    }
  return json_pack ("{s:s,s:s,s:s%,s:s,s:s,s:s,s:s}", "Repository", repo ? repo : "", "Tag",
                    tag ? tag : "", "ID", no_trunc ? img->id : img->id + 7, no_trunc ? 71 : 12,
                    "Digest", digest, "CreatedAt", created, "CreatedSince", since, "Size", size);
}

static int
print_row (json_t *row, const char *format, berth_error_t *err)
{
  cleanup_free char *line = NULL;
  if (format == NULL)
    format = "{{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}";
  if (cli_format_json (format, row, &line, err) < 0)
    return -1;
  puts (line);
  return 0;
}

static void
print_table (json_t *rows, bool digests)
{
  static const char *const all_cols[]
      = { "Repository", "Tag", "Digest", "ID", "CreatedSince", "Size" };
  static const char *const all_heads[]
      = { "REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE" };
  const char *cols[6], *heads[6];
  size_t width[6], i, c, k = 0, last;
  json_t *r;

  for (c = 0; c < 6; c++)
    if (c != 2 || digests)
      {
        cols[k] = all_cols[c];
        heads[k++] = all_heads[c];
      }
  last = k - 1;
  for (c = 0; c < k; c++)
    width[c] = strlen (heads[c]);
  json_array_foreach (rows, i, r)
  {
    for (c = 0; c < k; c++)
      {
        size_t n = strlen (json_string_value (json_object_get (r, cols[c])));
        if (n > width[c])
          width[c] = n;
      }
  }
  for (c = 0; c < k; c++)
    printf ("%-*s%s", c < last ? (int)width[c] : 0, heads[c], c < last ? "   " : "\n");
  json_array_foreach (rows, i, r)
  {
    for (c = 0; c < k; c++)
      printf ("%-*s%s", c < last ? (int)width[c] : 0,
              json_string_value (json_object_get (r, cols[c])), c < last ? "   " : "\n");
  }
}

int
cmd_images (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "quiet", no_argument, NULL, 'q' },
    { "all", no_argument, NULL, 'a' },
    { "format", required_argument, NULL, 'f' },
    { "no-trunc", no_argument, NULL, 'T' },
    { "digests", no_argument, NULL, 'D' },
    { NULL, 0, NULL, 0 },
  };
  struct berth_image_store *s;
  struct berth_image **list = NULL;
  const char *format = NULL, *filter = NULL;
  bool quiet = false, no_trunc = false, digests = false;
  json_t *rows;
  size_t n;
  int c, ret = 0;

  while ((c = getopt_long (argc, argv, "qa", opts, NULL)) != -1)
    switch (c)
      {
      case 'q':
        quiet = true;
        break;
      case 'a':
        break;
      case 'f':
        format = optarg;
        break;
      case 'T':
        no_trunc = true;
        break;
      case 'D':
        digests = true;
        break;
      default:
        return cli_bad_option ("images", argc, argv, err);
      }
  if (optind < argc)
    filter = argv[optind];
  if (cli_images (cli, &s, err) < 0 || berth_image_list (s, &list, &n, err) < 0)
    return BERTH_EXIT_ERROR;
  rows = json_array ();
  for (size_t i = 0; i < n; i++)
    {
      size_t names = berth_strv_len (list[i]->names);
      if (quiet)
        {
          if (!filter || names)
            printf ("%.*s\n", no_trunc ? 71 : 12, no_trunc ? list[i]->id : list[i]->id + 7);
          continue;
        }
      for (size_t j = 0; j < (names ? names : 1); j++)
        {
          json_t *row = image_row (list[i], names ? list[i]->names[j] : NULL, no_trunc);
          if (filter
              && strcmp (json_string_value (json_object_get (row, "Repository")), filter) != 0)
            {
              json_decref (row);
              continue;
            }
          json_array_append_new (rows, row);
        }
    }
  if (!quiet && format == NULL)
    print_table (rows, digests);
  else if (!quiet)
    {
      size_t i;
      json_t *r;
      /* "table FORMAT": Docker's header line first, in the same format */
      if (strncmp (format, "table", 5) == 0)
        {
          json_t *heads
              = json_pack ("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Repository", "REPOSITORY", "Tag",
                           "TAG", "ID", "IMAGE ID", "Digest", "DIGEST", "CreatedAt", "CREATED AT",
                           "CreatedSince", "CREATED", "Size", "SIZE");
          format += 5;
          format += strspn (format, " ");
          if (*format == '\0')
            format = "{{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}";
          int r0 = print_row (heads, format, err);
          json_decref (heads);
          if (r0 < 0)
            {
              json_decref (rows);
              berth_image_list_free (list, n);
              return BERTH_EXIT_ERROR;
            }
        }
      json_array_foreach (rows, i, r)
      {
        if (print_row (r, format, err) < 0)
          {
            ret = BERTH_EXIT_ERROR;
            break;
          }
      }
    }
  json_decref (rows);
  berth_image_list_free (list, n);
  return ret;
}

int
cmd_image_inspect (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
  };
  struct berth_image_store *s;
  const char *format = NULL;
  json_t *all;
  int c, ret = 0;

  while ((c = getopt_long (argc, argv, "f:", opts, NULL)) != -1)
    if (c == 'f')
      format = optarg;
    else
      return cli_bad_option ("image inspect", argc, argv, err);
  if (optind >= argc)
    {
      berth_error (err, 0, "image inspect: an image name or ID is needed");
      return BERTH_EXIT_ERROR;
    }
  if (cli_images (cli, &s, err) < 0)
    return BERTH_EXIT_ERROR;
  all = json_array ();
  for (int i = optind; i < argc; i++)
    {
      struct berth_image *img = NULL;
      json_t *o;
      if (berth_image_get (s, argv[i], &img, err) < 0)
        {
          ret = BERTH_EXIT_ERROR;
          break;
        }
      o = berth_image_inspect_json (img);
      berth_image_free (img);
      if (format)
        {
          cleanup_free char *line = NULL;
          int r = cli_format_json (format, o, &line, err);
          json_decref (o);
          if (r < 0)
            {
              ret = BERTH_EXIT_ERROR;
              break;
            }
          puts (line);
          continue;
        }
      json_array_append_new (all, o);
    }
  if (ret == 0 && format == NULL)
    {
      char *text = json_dumps (all, JSON_INDENT (4) | JSON_PRESERVE_ORDER);
      if (text)
        puts (text);
      free (text);
    }
  json_decref (all);
  return ret;
}

int
cmd_history (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "quiet", no_argument, NULL, 'q' },
    { "no-trunc", no_argument, NULL, 'T' },
    { NULL, 0, NULL, 0 },
  };
  struct berth_image_store *s;
  struct berth_image *img = NULL;
  bool quiet = false, no_trunc = false;
  json_t *history, *h;
  size_t layer, i;
  int c;

  while ((c = getopt_long (argc, argv, "q", opts, NULL)) != -1)
    if (c == 'q')
      quiet = true;
    else if (c == 'T')
      no_trunc = true;
    else
      return cli_bad_option ("history", argc, argv, err);
  if (optind != argc - 1)
    {
      berth_error (err, 0, "history: exactly one image is needed");
      return BERTH_EXIT_ERROR;
    }
  if (cli_images (cli, &s, err) < 0 || berth_image_get (s, argv[optind], &img, err) < 0)
    return BERTH_EXIT_ERROR;
  history = json_incref (json_object_get (img->config, "history"));
  if (json_array_size (history) == 0)
    {
      /* no history in the config: one row per layer, as Docker shows it */
      json_decref (history);
      history = json_array ();
      for (i = 0; i < img->n_layers; i++)
        json_array_append_new (history, json_pack ("{s:s}", "created", img->created));
    }
  if (quiet)
    {
      printf ("%.12s\n", img->id + 7);
      json_decref (history);
      berth_image_free (img);
      return 0;
    }
  printf ("%-14s%-21s%-47s%-10s%s\n", "IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT");
  /* Each non-empty history entry is one layer, bottom first; print top first.  */
  layer = img->n_layers;
  for (i = json_array_size (history); i-- > 0;)
    {
      const char *created = NULL, *by, *comment;
      char since[64], size[32];
      struct tm tm = { 0 };
      int64_t bytes = 0;
      h = json_array_get (history, i);
      created = json_string_value (json_object_get (h, "created"));
      by = json_string_value (json_object_get (h, "created_by"));
      comment = json_string_value (json_object_get (h, "comment"));
      if (!json_is_true (json_object_get (h, "empty_layer")) && layer > 0)
        bytes = img->layer_sizes[--layer];
      if (created && strptime (created, "%Y-%m-%dT%H:%M:%S", &tm))
        cli_human_since (timegm (&tm), since, sizeof (since));
      else
        snprintf (since, sizeof (since), "N/A");
      cli_human_size (bytes, size, sizeof (size));
      bool top = i == json_array_size (history) - 1;
      printf ("%-14.*s%-21s%-47.*s%-10s%s\n", top ? 12 : 9, top ? img->id + 7 : "<missing>", since,
              no_trunc ? 1000 : 45, by ? by : "", size, comment ? comment : "");
    }
  json_decref (history);
  berth_image_free (img);
  return 0;
}
