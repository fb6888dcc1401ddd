/* image mount / image umount, as `podman image mount` has them: an image's
 * overlay root at a directory, read-only, or writable with --upper/--work.
 * The engine mounts container roots through the same library call.  */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "berth.h"

int
cmd_image_mount (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "upper", required_argument, NULL, 'u' },
    { "work", required_argument, NULL, 'w' },
    { "method", required_argument, NULL, 'm' },
    { NULL, 0, NULL, 0 },
  };
  enum berth_overlay_method method = BERTH_OVERLAY_AUTO;
  struct berth_image_store *s;
  const char *upper = NULL, *work = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
    if (c == 'u')
      upper = optarg;
    else if (c == 'w')
      work = optarg;
    else if (c == 'm' && strcmp (optarg, "fd") == 0)
      method = BERTH_OVERLAY_FD;
    else if (c == 'm' && strcmp (optarg, "legacy") == 0)
      method = BERTH_OVERLAY_LEGACY;
    else if (c == 'm' && strcmp (optarg, "auto") == 0)
      method = BERTH_OVERLAY_AUTO;
    else
      return cli_bad_option ("image mount", argc, argv, err);
  if (argc - optind != 2)
    {
      berth_error (err, 0, "image mount: IMAGE TARGET is needed");
      return BERTH_EXIT_ERROR;
    }
  if (cli_images (cli, &s, err) < 0
      || berth_image_mount_overlay (s, argv[optind], upper, work, argv[optind + 1], method, err)
             < 0)
    return BERTH_EXIT_ERROR;
  return 0;
}

int
cmd_image_umount (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  if (argc != 2)
    {
      berth_error (err, 0, "image umount: TARGET is needed");
      return BERTH_EXIT_ERROR;
    }
  if (umount2 (argv[1], MNT_DETACH) < 0)
    {
      berth_error (err, errno, "umount `%s`", argv[1]);
      return BERTH_EXIT_ERROR;
    }
  return 0;
}
