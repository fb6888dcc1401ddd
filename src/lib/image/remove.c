/* rmi and image prune: names go first, an image goes when no name is left
 * (or by ID), and its content goes when no other image references it.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"
#include "util.h"

void
berth_image_removal_clear (struct berth_image_removal *r)
{
  berth_strv_freep (&r->untagged);
  berth_strv_freep (&r->deleted);
  r->untagged = r->deleted = NULL;
  r->reclaimed = 0;
}

static int
strv_push (char ***v, const char *fmt_hex, const char *s)
{
  size_t n = berth_strv_len (*v);
  char **nv = realloc (*v, (n + 2) * sizeof (char *));
  char *x = NULL;
  if (nv == NULL)
    return -ENOMEM;
  *v = nv;
  if (fmt_hex ? asprintf (&x, "%s%s", fmt_hex, s) < 0 : (x = strdup (s)) == NULL)
    {
      nv[n] = NULL;
      return -ENOMEM;
    }
  nv[n] = x;
  nv[n + 1] = NULL;
  return 0;
}

static bool
in_use (struct berth_image_store *s, const char *hex)
{
  char id[DIGEST_LEN + 1];
  if (s->in_use == NULL)
    return false;
  snprintf (id, sizeof (id), "sha256:%s", hex);
  return s->in_use (id, s->in_use_data);
}

static int
decide_removal (struct berth_image_store *s, json_t *index, const char *ref, bool force,
                struct berth_image_removal *out, berth_error_t *err)
{
  cleanup_free char *name = NULL, *hex = NULL;
  const char *h;
  json_t *names;
  bool used;

  if (index_resolve (index, ref, &h, &name, err) < 0)
    return -1;
  hex = strdup (h);
  if (hex == NULL)
    return berth_error (err, ENOMEM, "rmi");
  names = json_object_get (json_object_get (index_images (index), hex), "names");
  used = in_use (s, hex);
  if (name && json_array_size (names) > 1)
    {
      index_remove_name (index, name);
      return strv_push (&out->untagged, NULL, name) < 0 ? berth_error (err, ENOMEM, "rmi") : 0;
    }
  if (!name && json_array_size (names) > 1 && !force)
    return berth_error (err, 0,
                        "conflict: unable to delete %.12s (must be forced): image is referenced "
                        "in multiple repositories",
                        hex);
  if (used && !force)
    return berth_error (err, 0,
                        "conflict: unable to remove %s (must be forced): image %.12s is used by a "
                        "container",
                        ref, hex);
  while (json_array_size (names) > 0)
    {
      const char *n = json_string_value (json_array_get (names, 0));
      if (strv_push (&out->untagged, NULL, n) < 0)
        return berth_error (err, ENOMEM, "rmi");
      json_array_remove (names, 0);
    }
  if (used)
    return 0; /* forced: untagged; the image stays for its containers */
  if (strv_push (&out->deleted, "sha256:", hex) < 0)
    return berth_error (err, ENOMEM, "rmi");
  json_object_del (index_images (index), hex);
  return 0;
}

int
berth_image_remove (struct berth_image_store *s, const char *ref, bool force,
                    struct berth_image_removal *out, berth_error_t *err)
{
  cleanup_close int gc_lock = store_lock (s, "gc", true, err);
  cleanup_close int lock = -1;
  json_t *index = NULL;
  int r;

  if (gc_lock < 0)
    return -1;
  lock = store_lock (s, "index", true, err);
  if (lock < 0 || index_read (s, &index, err) < 0)
    return -1;
  r = decide_removal (s, index, ref, force, out, err);
  if (r == 0)
    r = index_write (s, index, err);
  if (r == 0)
    out->reclaimed += store_gc (s, index);
  json_decref (index);
  return r;
}

int
berth_image_prune (struct berth_image_store *s, struct berth_image_removal *out, berth_error_t *err)
{
  cleanup_close int gc_lock = store_lock (s, "gc", true, err);
  cleanup_close int lock = -1;
  json_t *index = NULL, *e, *images;
  const char *hex;
  void *tmp;
  int r;

  if (gc_lock < 0)
    return -1;
  lock = store_lock (s, "index", true, err);
  if (lock < 0 || index_read (s, &index, err) < 0)
    return -1;
  images = index_images (index);
  json_object_foreach_safe (images, tmp, hex, e)
  {
    if (json_array_size (json_object_get (e, "names")) > 0 || in_use (s, hex))
      continue;
    if (strv_push (&out->deleted, "sha256:", hex) < 0)
      {
        json_decref (index);
        return berth_error (err, ENOMEM, "prune");
      }
    json_object_del (images, hex);
  }
  r = index_write (s, index, err);
  if (r == 0)
    out->reclaimed += store_gc (s, index);
  json_decref (index);
  return r;
}
