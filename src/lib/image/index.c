/* images.json: which images the store holds and their names.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cleanup.h"
#include "internal.h"
#include "util.h"

int
index_read (struct berth_image_store *s, json_t **index, berth_error_t *err)
{
  cleanup_free char *path = store_path (s, "images.json");
  cleanup_free char *text = NULL;
  json_error_t jerr;
  struct stat st;

  if (path == NULL)
    return berth_error (err, ENOMEM, "index");
  if (stat (path, &st) < 0 && errno == ENOENT)
    {
      *index = json_pack ("{s:{}}", "images");
      return 0;
    }
  if (berth_read_file (path, &text, NULL, err) < 0)
    return -1;
  *index = json_loads (text, 0, &jerr);
  if (*index == NULL || !json_is_object (json_object_get (*index, "images")))
    {
      json_decref (*index);
      *index = NULL;
      return berth_error (err, 0, "`%s`: corrupt index: %s", path, jerr.text);
    }
  return 0;
}

int
index_write (struct berth_image_store *s, json_t *index, berth_error_t *err)
{
  cleanup_free char *path = store_path (s, "images.json");
  cleanup_free char *text = json_dumps (index, JSON_INDENT (1) | JSON_SORT_KEYS);
  if (path == NULL || text == NULL)
    return berth_error (err, ENOMEM, "index");
  return berth_write_file_atomic (path, text, strlen (text), 0600, err);
}

json_t *
index_images (json_t *index)
{
  return json_object_get (index, "images");
}

int
index_add (json_t *index, const char *hex, const char *manifest, berth_error_t *err)
{
  json_t *images = index_images (index), *e = json_object_get (images, hex);
  if (e == NULL)
    {
      e = json_pack ("{s:s,s:[],s:I}", "manifest", manifest, "names", "added",
                     (json_int_t)time (NULL));
      if (e == NULL || json_object_set_new (images, hex, e) < 0)
        return berth_error (err, ENOMEM, "index");
      return 0;
    }
  json_object_set_new (e, "manifest", json_string (manifest));
  return 0;
}

bool
index_remove_name (json_t *index, const char *name)
{
  const char *hex;
  json_t *e;
  bool found = false;

  json_object_foreach (index_images (index), hex, e)
  {
    json_t *names = json_object_get (e, "names");
    for (size_t i = 0; i < json_array_size (names);)
      if (strcmp (json_string_value (json_array_get (names, i)), name) == 0)
        {
          json_array_remove (names, i);
          found = true;
        }
      else
        i++;
  }
  return found;
}

int
index_set_name (json_t *index, const char *hex, const char *name, berth_error_t *err)
{
  json_t *e = json_object_get (index_images (index), hex);
  if (e == NULL)
    return berth_error (err, 0, "no such image: %s", hex);
  index_remove_name (index, name);
  if (json_array_append_new (json_object_get (e, "names"), json_string (name)) < 0)
    return berth_error (err, ENOMEM, "index");
  return 0;
}

static const char *
find_name (json_t *index, const char *name)
{
  const char *hex;
  json_t *e, *n;
  size_t i;

  json_object_foreach (index_images (index), hex, e)
  {
    json_array_foreach (json_object_get (e, "names"), i, n)
    {
      if (strcmp (json_string_value (n), name) == 0)
        return hex;
    }
  }
  return NULL;
}

/* Names first, as Docker resolves; a short name also matches Podman's
 * "localhost/" names (what `podman save` archives carry); then a unique
 * prefix of an ID.  */
int
index_resolve (json_t *index, const char *ref, const char **hex, char **name, berth_error_t *err)
{
  cleanup_error berth_error_t name_err = NULL;
  cleanup_free char *n = berth_image_normalize_name (ref, &name_err);
  const char *found = NULL, *k;
  json_t *e;

  *name = NULL;
  /* NAME@DIGEST: an image pulled by that digest (see pull.c).  */
  if (strchr (ref, '@'))
    json_object_foreach (index_images (index), k, e)
    {
      size_t i;
      json_t *d;
      json_array_foreach (json_object_get (e, "digests"), i, d)
      {
        if (strcmp (json_string_value (d), ref) == 0)
          {
            *hex = k;
            return 0;
          }
      }
    }
  if (n)
    {
      if ((found = find_name (index, n)))
        {
          *hex = found;
          *name = steal_pointer (&n);
          return 0;
        }
      if (strchr (n, '/') == NULL)
        {
          cleanup_free char *local = NULL;
          if (asprintf (&local, "localhost/%s", n) < 0)
            return berth_error (err, ENOMEM, "name");
          if ((found = find_name (index, local)))
            {
              *hex = found;
              *name = steal_pointer (&local);
              return 0;
            }
        }
    }
  if (name_looks_like_id_prefix (ref))
    {
      const char *prefix = strncmp (ref, "sha256:", 7) == 0 ? ref + 7 : ref;
      json_object_foreach (index_images (index), k, e)
      {
        if (strncmp (k, prefix, strlen (prefix)) != 0)
          continue;
        if (found)
          return berth_error (err, 0, "ambiguous image ID prefix `%s`", ref);
        found = k;
      }
      if (found)
        {
          *hex = found;
          return 0;
        }
    }
  if (n == NULL)
    return berth_error (err, 0, "%s", name_err->msg);
  berth_error (err, 0, "no such image: %s", ref);
  (*err)->status = ENOENT;
  return -ENOENT;
}
