/* Images in and out of files: import, load, save.  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "cleanup.h"
#include "util.h"

static int
open_input (const char *path, berth_error_t *err)
{
  int fd;
  if (strcmp (path, "-") == 0)
    return dup (STDIN_FILENO);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_error (err, errno, "open `%s`", path);
  return fd;
}

int
cmd_import (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  struct berth_image_store *s;
  cleanup_free char *id = NULL;
  cleanup_close int fd = -1;

  if (getopt_long (argc, argv, "+", (struct option[]){ { NULL, 0, NULL, 0 } }, NULL) != -1)
    return cli_bad_option ("import", argc, argv, err);
  if (argc - optind < 1 || argc - optind > 2)
    {
      berth_error (err, 0, "import: FILE|- [NAME] is needed");
      return BERTH_EXIT_ERROR;
    }
  if (cli_images (cli, &s, err) < 0 || (fd = open_input (argv[optind], err)) < 0
      || berth_image_import (s, fd, argv[optind + 1], &id, err) < 0)
    return BERTH_EXIT_ERROR;
  printf ("%s\n", id);
  return 0;
}

int
cmd_load (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "input", required_argument, NULL, 'i' },
    { "quiet", no_argument, NULL, 'q' },
    { NULL, 0, NULL, 0 },
  };
  struct berth_image_store *s;
  cleanup_strv char **names = NULL;
  cleanup_close int fd = -1;
  const char *input = "-";
  bool quiet = false;
  struct stat st;
  int c;

  while ((c = getopt_long (argc, argv, "i:q", opts, NULL)) != -1)
    if (c == 'i')
      input = optarg;
    else if (c == 'q')
      quiet = true;
    else
      return cli_bad_option ("load", argc, argv, err);
  if (optind != argc)
    {
      berth_error (err, 0, "load: unexpected argument `%s`", argv[optind]);
      return BERTH_EXIT_ERROR;
    }
  if (cli_images (cli, &s, err) < 0)
    return BERTH_EXIT_ERROR;
  if (strcmp (input, "-") != 0 && stat (input, &st) == 0 && S_ISDIR (st.st_mode))
    {
      if (berth_image_load (s, -1, input, &names, err) < 0)
        return BERTH_EXIT_ERROR;
    }
  else if ((fd = open_input (input, err)) < 0 || berth_image_load (s, fd, NULL, &names, err) < 0)
    return BERTH_EXIT_ERROR;
  for (size_t i = 0; !quiet && names && names[i]; i++)
    printf (strncmp (names[i], "sha256:", 7) == 0 ? "Loaded image ID: %s\n" : "Loaded image: %s\n",
            names[i]);
  return 0;
}

int
cmd_save (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "output", required_argument, NULL, 'o' },
    { "format", required_argument, NULL, 'F' },
    { NULL, 0, NULL, 0 },
  };
  enum berth_image_archive_format format = BERTH_IMAGE_DOCKER_ARCHIVE;
  struct berth_image_store *s;
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;
  const char *output = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "o:", opts, NULL)) != -1)
    if (c == 'o')
      output = optarg;
    else if (c == 'F' && (strcmp (optarg, "oci") == 0 || strcmp (optarg, "oci-archive") == 0))
      format = BERTH_IMAGE_OCI_ARCHIVE;
    else if (c == 'F' && strcmp (optarg, "docker-archive") == 0)
      format = BERTH_IMAGE_DOCKER_ARCHIVE;
    else if (c == 'F')
      {
        berth_error (err, 0, "save: unknown format `%s` (docker-archive or oci)", optarg);
        return BERTH_EXIT_ERROR;
      }
    else
      return cli_bad_option ("save", argc, argv, err);
  if (optind >= argc)
    {
      berth_error (err, 0, "save: an image name is needed");
      return BERTH_EXIT_ERROR;
    }
  if (output == NULL && isatty (STDOUT_FILENO))
    {
      berth_error (err, 0, "save: refusing to write an archive to a terminal (use -o)");
      return BERTH_EXIT_ERROR;
    }
  if (cli_images (cli, &s, err) < 0)
    return BERTH_EXIT_ERROR;
  if (output == NULL || strcmp (output, "-") == 0)
    fd = dup (STDOUT_FILENO);
  else
    {
      /* A failed save leaves no half-written archive behind.  */
      if (asprintf (&tmp, "%s.berth-tmp-XXXXXX", output) < 0)
        return BERTH_EXIT_ERROR;
      fd = mkostemp (tmp, O_CLOEXEC);
      if (fd < 0)
        {
          berth_error (err, errno, "save: create `%s`", output);
          return BERTH_EXIT_ERROR;
        }
      fchmod (fd, 0644);
    }
  if (berth_image_save (s, argv + optind, argc - optind, format, fd, err) < 0)
    {
      if (tmp)
        unlink (tmp);
      return BERTH_EXIT_ERROR;
    }
  if (tmp && rename (tmp, output) < 0)
    {
      berth_error (err, errno, "save: rename to `%s`", output);
      unlink (tmp);
      return BERTH_EXIT_ERROR;
    }
  return 0;
}

int
cmd_from_host (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  struct berth_image_store *s;
  cleanup_free char *id = NULL;

  if (getopt_long (argc, argv, "+", (struct option[]){ { NULL, 0, NULL, 0 } }, NULL) != -1)
    return cli_bad_option ("image from-host", argc, argv, err);
  if (optind >= argc)
    {
      berth_error (err, 0, "image from-host: NAME [PROGRAM...] is needed");
      return BERTH_EXIT_ERROR;
    }
  if (cli_images (cli, &s, err) < 0
      || berth_image_from_host (s, argv[optind], argv + optind + 1, &id, err) < 0)
    return BERTH_EXIT_ERROR;
  printf ("%s\n", id);
  return 0;
}
