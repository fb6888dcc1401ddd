/* berth import: a rootfs tarball (plain or compressed) as a one-layer image.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"

int
berth_image_import (struct berth_image_store *s, int fd, const char *name, char **id,
                    berth_error_t *err)
{
  cleanup_free char *norm = NULL, *config = NULL;
  cleanup_close int gc_lock = -1;
  char diff[DIGEST_LEN + 1];
  char *diff_ids[2] = { diff, NULL };
  char *names[2] = { NULL, NULL };

  if (name && (norm = berth_image_normalize_name (name, err)) == NULL)
    return -1;
  names[0] = norm;
  gc_lock = store_lock (s, "gc", false, err);
  if (gc_lock < 0)
    return -1;
  if (layer_add_fd (s, fd, NULL, NULL, diff, err) < 0)
    return berth_error_wrap (err, "import");
  config = config_new (diff_ids, "berth import", "Imported from tarball", NULL);
  if (config == NULL)
    return berth_error (err, ENOMEM, "import");
  if (store_commit_image (s, config, strlen (config), diff_ids, names, id, err) < 0)
    {
      /* the layer may stay only with an image that has it */
      close (steal_fd (&gc_lock));
      store_gc_now (s);
      return -1;
    }
  return 0;
}
