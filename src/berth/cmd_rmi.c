/* Changing names and removing images: tag, rmi (image rm), image prune.  */
#include <stdio.h>
#include <string.h>

#include "berth.h"
#include "util.h"

static void
print_removal (const struct berth_image_removal *r)
{
  for (size_t i = 0; r->untagged && r->untagged[i]; i++)
    printf ("Untagged: %s\n", r->untagged[i]);
  for (size_t i = 0; r->deleted && r->deleted[i]; i++)
    printf ("Deleted: %s\n", r->deleted[i]);
}

int
cmd_rmi (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "force", no_argument, NULL, 'f' },
    { "no-prune", no_argument, NULL, 'P' },
    { NULL, 0, NULL, 0 },
  };
  struct berth_image_store *s;
  bool force = false;
  int c, ret = 0;

  while ((c = getopt_long (argc, argv, "f", opts, NULL)) != -1)
    if (c == 'f')
      force = true;
    else if (c != 'P')
      return cli_bad_option ("rmi", argc, argv, err);
  if (optind >= argc)
    {
      berth_error (err, 0, "rmi: an image name or ID is needed");
      return BERTH_EXIT_ERROR;
    }
  if (cli_images (cli, &s, err) < 0)
    return BERTH_EXIT_ERROR;
  /* Like Docker: go on with the others, report the first failure.  */
  for (int i = optind; i < argc; i++)
    {
      struct berth_image_removal r = { 0 };
      berth_error_t e = NULL;
      if (berth_image_remove (s, argv[i], force, &r, &e) < 0)
        {
          if (*err == NULL)
            *err = e;
          else
            {
              fprintf (stderr, "berth: %s\n", e->msg);
              berth_error_release (&e);
            }
          ret = BERTH_EXIT_ERROR;
        }
      print_removal (&r);
      berth_image_removal_clear (&r);
    }
  return ret;
}

int
cmd_image_prune (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "force", no_argument, NULL, 'f' },
    { "all", no_argument, NULL, 'a' },
    { NULL, 0, NULL, 0 },
  };
  struct berth_image_removal r = { 0 };
  struct berth_image_store *s;
  char size[32];
  int c;

  while ((c = getopt_long (argc, argv, "fa", opts, NULL)) != -1)
    if (c != 'f' && c != 'a')
      return cli_bad_option ("image prune", argc, argv, err);
  if (cli_images (cli, &s, err) < 0 || berth_image_prune (s, &r, err) < 0)
    return BERTH_EXIT_ERROR;
  if (r.deleted)
    {
      printf ("Deleted Images:\n");
      for (size_t i = 0; r.deleted[i]; i++)
        printf ("deleted: %s\n", r.deleted[i]);
      printf ("\n");
    }
  cli_human_size (r.reclaimed, size, sizeof (size));
  printf ("Total reclaimed space: %s\n", size);
  berth_image_removal_clear (&r);
  return 0;
}

int
cmd_tag (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  struct berth_image_store *s;
  if (getopt_long (argc, argv, "+", (struct option[]){ { NULL, 0, NULL, 0 } }, NULL) != -1)
    return cli_bad_option ("tag", argc, argv, err);
  if (argc - optind != 2)
    {
      berth_error (err, 0, "tag: SOURCE and TARGET are needed");
      return BERTH_EXIT_ERROR;
    }
  if (cli_images (cli, &s, err) < 0 || berth_image_tag (s, argv[optind], argv[optind + 1], err) < 0)
    return BERTH_EXIT_ERROR;
  return 0;
}
