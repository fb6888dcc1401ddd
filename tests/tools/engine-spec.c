/* Test tool: print the config.json the engine builds for `berth run` flags,
 * so the end-to-end tests can run it with the runtime before the `berth`
 * program exists.
 *
 *   engine-spec ROOTFS ID CGROUPS_PATH [IMAGE_CONFIG_JSON|-] RUN-FLAGS... IMAGE [CMD...]
 *
 * IMAGE_CONFIG_JSON is an OCI image config's "config" object (Env, Cmd,
 * Entrypoint, WorkingDir, User), "-" for none.  -v/--mount volumes resolve
 * to ROOTFS/../volumes/NAME.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "engine/spec.h"
#include "run_options.h"

extern char **environ;

static int
volume_dir (const char *name, char **path, void *ctx, berth_error_t *err)
{
  if (asprintf (path, "%s/../volumes/%s", (const char *)ctx, name ? name : "anonymous") < 0)
    return berth_error (err, ENOMEM, "volume");
  mkdir (*path, 0755);
  return 0;
}

int
main (int argc, char **argv)
{
  cleanup_error berth_error_t err = NULL;
  struct berth_run_request *req = NULL;
  struct berth_image_config *image = NULL;
  struct berth_engine_mount *mounts = NULL;
  size_t n_mounts = 0;
  char *text = NULL;

  if (argc < 6)
    {
      fprintf (stderr, "usage: %s ROOTFS ID CGROUPS_PATH IMAGE_CONFIG|- FLAGS... IMAGE [CMD...]\n",
               argv[0]);
      return 2;
    }
  if (strcmp (argv[4], "-") != 0
      && berth_image_config_parse (argv[4], strlen (argv[4]), &image, &err) < 0)
    {
      fprintf (stderr, "%s\n", err->msg);
      return 2;
    }
  if (berth_run_options_parse (argc - 5, argv + 5, environ, false, &req, &err) < 0
      || berth_engine_resolve_mounts (req, volume_dir, argv[1], &mounts, &n_mounts, &err) < 0)
    {
      fprintf (stderr, "berth: %s\n", err->msg);
      return 125;
    }
  {
    struct berth_spec_params params = {
      .req = req,
      .image = image,
      .id = argv[2],
      .rootfs = argv[1],
      .mounts = mounts,
      .n_mounts = n_mounts,
      .init_path = "/bin/true",
      .cgroups_path = argv[3],
    };

    if (berth_engine_build_spec (&params, &text, &err) < 0)
      {
        fprintf (stderr, "berth: %s\n", err->msg);
        return 125;
      }
  }
  puts (text);
  free (text);
  berth_engine_mounts_free (mounts, n_mounts);
  berth_run_request_free (req);
  berth_image_config_free (image);
  return 0;
}
