/* A new image from a base image and one more layer: what the container
 * side's `commit` (and later `build`) makes.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"

/* The base's config (or a fresh one) with the new layer, "config", created
 * and history.  */
static char *
derive_config (json_t *base, const char *diff_id, json_t *config, const char *created_by,
               const char *comment)
{
  cleanup_free char *fresh = config_new (NULL, created_by, comment, NULL);
  json_t *now = fresh ? json_loads (fresh, 0, NULL) : NULL, *c, *rootfs, *ids, *hist;
  char *text;

  if (now == NULL)
    return NULL;
  c = base ? json_deep_copy (base) : json_incref (now);
  json_object_set (c, "created", json_object_get (now, "created"));
  if (config)
    json_object_set (c, "config", config);
  rootfs = json_object_get (c, "rootfs");
  if (!json_is_object (rootfs))
    json_object_set_new (c, "rootfs",
                         rootfs = json_pack ("{s:s,s:[]}", "type", "layers", "diff_ids"));
  ids = json_object_get (rootfs, "diff_ids");
  if (!json_is_array (ids))
    json_object_set_new (rootfs, "diff_ids", ids = json_array ());
  json_array_append_new (ids, json_string (diff_id));
  hist = json_object_get (c, "history");
  if (base && json_is_array (hist))
    json_array_extend (hist, json_object_get (now, "history"));
  text = json_dumps (c, JSON_COMPACT);
  json_decref (c);
  json_decref (now);
  return text;
}

int
berth_image_commit (struct berth_image_store *s, const char *base_ref, int layer_fd, json_t *config,
                    const char *created_by, const char *comment, const char *name, char **id,
                    berth_error_t *err)
{
  cleanup_free char *norm = NULL, *text = NULL;
  cleanup_strv char **diff_ids = NULL;
  struct berth_image *base = NULL;
  char diff[DIGEST_LEN + 1];
  char *names[2] = { NULL, NULL };
  int gc_lock, r = -1;
  size_t n;

  if (name && (norm = berth_image_normalize_name (name, err)) == NULL)
    return -1;
  names[0] = norm;
  gc_lock = store_lock (s, "gc", false, err);
  if (gc_lock < 0)
    return -1;
  if (base_ref && berth_image_get (s, base_ref, &base, err) < 0)
    goto out;
  n = base ? base->n_layers : 0;
  if (n + 1 > BERTH_IMAGE_MAX_LAYERS)
    {
      berth_error (err, 0, "commit: %zu layers, more than overlayfs can stack", n + 1);
      goto out;
    }
  if (layer_add_fd (s, layer_fd, NULL, NULL, diff, err) < 0)
    {
      berth_error_wrap (err, "commit");
      goto out;
    }
  diff_ids = calloc (n + 2, sizeof (char *));
  for (size_t i = 0; diff_ids && i < n; i++)
    diff_ids[i] = strdup (base->diff_ids[i]);
  if (diff_ids)
    diff_ids[n] = strdup (diff);
  text = derive_config (base ? base->config : NULL, diff, config, created_by ? created_by : "",
                        comment);
  if (diff_ids == NULL || diff_ids[n] == NULL || text == NULL)
    {
      berth_error (err, ENOMEM, "commit");
      goto out;
    }
  r = store_commit_image (s, text, strlen (text), diff_ids, names, id, err);
out:
  berth_image_free (base);
  close (gc_lock);
  if (r < 0)
    store_gc_now (s);
  return r;
}
