/* Reading the store: resolving references, one image, all images, tags.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "internal.h"

void
berth_image_free (struct berth_image *img)
{
  if (img == NULL)
    return;
  free (img->id);
  free (img->manifest_digest);
  berth_strv_freep (&img->names);
  berth_strv_freep (&img->repo_digests);
  berth_strv_freep (&img->diff_ids);
  free (img->created);
  free (img->layer_sizes);
  json_decref (img->config);
  free (img);
}

void
berth_image_list_free (struct berth_image **list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    berth_image_free (list[i]);
  free (list);
}

static time_t
parse_rfc3339 (const char *s)
{
  struct tm tm = { 0 };
  if (s == NULL || strptime (s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
    return 0;
  return timegm (&tm);
}

static char **
strv_from_json (json_t *arr, const char *key)
{
  size_t n = json_array_size (arr);
  char **v = calloc (n + 1, sizeof (char *));
  for (size_t i = 0; v && i < n; i++)
    {
      json_t *x = json_array_get (arr, i);
      if (key)
        x = json_object_get (x, key);
      v[i] = strdup (json_string_value (x) ? json_string_value (x) : "");
    }
  return v;
}

int
image_from_index (struct berth_image_store *s, const char *hex, json_t *entry,
                  struct berth_image **out, berth_error_t *err)
{
  struct berth_image *img = calloc (1, sizeof (*img));
  cleanup_free char *mtext = NULL, *ctext = NULL;
  const char *mdigest = json_string_value (json_object_get (entry, "manifest"));
  json_t *manifest = NULL, *layers;
  json_error_t jerr;
  size_t i;
  int ret = -1;

  if (img == NULL || asprintf (&img->id, "sha256:%s", hex) < 0)
    {
      free (img);
      return berth_error (err, ENOMEM, "image");
    }
  img->manifest_digest = strdup (mdigest ? mdigest : "");
  if (store_read_blob (s, mdigest, &mtext, NULL, err) < 0
      || store_read_blob (s, img->id, &ctext, NULL, err) < 0)
    goto out;
  manifest = json_loads (mtext, 0, &jerr);
  img->config = json_loads (ctext, 0, &jerr);
  if (manifest == NULL || !json_is_object (img->config))
    {
      berth_error (err, 0, "image %.12s: corrupt manifest or config", hex);
      goto out;
    }
  layers = json_object_get (manifest, "layers");
  img->names = strv_from_json (json_object_get (entry, "names"), NULL);
  img->repo_digests = strv_from_json (json_object_get (entry, "digests"), NULL);
  img->diff_ids = strv_from_json (layers, "digest");
  img->n_layers = json_array_size (layers);
  img->layer_sizes = calloc (img->n_layers + 1, sizeof (int64_t));
  for (i = 0; img->layer_sizes && i < img->n_layers; i++)
    {
      img->layer_sizes[i]
          = json_integer_value (json_object_get (json_array_get (layers, i), "size"));
      img->size += img->layer_sizes[i];
    }
  img->created = strdup (json_string_value (json_object_get (img->config, "created"))
                             ? json_string_value (json_object_get (img->config, "created"))
                             : "");
  img->created_sec = parse_rfc3339 (img->created);
  if (img->names == NULL || img->repo_digests == NULL || img->diff_ids == NULL || img->layer_sizes == NULL
      || img->created == NULL || img->manifest_digest == NULL)
    {
      berth_error (err, ENOMEM, "image");
      goto out;
    }
  *out = steal_pointer (&img);
  ret = 0;
out:
  json_decref (manifest);
  berth_image_free (img);
  return ret;
}

int
berth_image_resolve (struct berth_image_store *s, const char *ref, char **id, berth_error_t *err)
{
  cleanup_close int lock = store_lock (s, "index", false, err);
  cleanup_free char *name = NULL;
  json_t *index = NULL;
  const char *hex;
  int r;

  if (lock < 0 || index_read (s, &index, err) < 0)
    return -1;
  r = index_resolve (index, ref, &hex, &name, err);
  if (r == 0 && asprintf (id, "sha256:%s", hex) < 0)
    r = berth_error (err, ENOMEM, "image");
  json_decref (index);
  return r;
}

int
berth_image_get (struct berth_image_store *s, const char *ref, struct berth_image **out,
                 berth_error_t *err)
{
  cleanup_close int lock = store_lock (s, "index", false, err);
  cleanup_free char *name = NULL;
  json_t *index = NULL;
  const char *hex;
  int r;

  if (lock < 0 || index_read (s, &index, err) < 0)
    return -1;
  r = index_resolve (index, ref, &hex, &name, err);
  if (r == 0)
    r = image_from_index (s, hex, json_object_get (index_images (index), hex), out, err);
  json_decref (index);
  return r;
}

static int
newest_first (const void *a, const void *b)
{
  const struct berth_image *x = *(struct berth_image *const *)a;
  const struct berth_image *y = *(struct berth_image *const *)b;
  if (x->created_sec != y->created_sec)
    return x->created_sec < y->created_sec ? 1 : -1;
  return strcmp (x->id, y->id);
}

int
berth_image_list (struct berth_image_store *s, struct berth_image ***out, size_t *n,
                  berth_error_t *err)
{
  cleanup_close int lock = store_lock (s, "index", false, err);
  struct berth_image **list;
  json_t *index = NULL, *e;
  const char *hex;
  size_t i = 0;

  if (lock < 0 || index_read (s, &index, err) < 0)
    return -1;
  list = calloc (json_object_size (index_images (index)) + 1, sizeof (*list));
  if (list == NULL)
    {
      json_decref (index);
      return berth_error (err, ENOMEM, "images");
    }
  json_object_foreach (index_images (index), hex, e)
  {
    if (image_from_index (s, hex, e, &list[i], err) < 0)
      {
        berth_image_list_free (list, i);
        json_decref (index);
        return -1;
      }
    i++;
  }
  json_decref (index);
  qsort (list, i, sizeof (*list), newest_first);
  *out = list;
  *n = i;
  return 0;
}

int
berth_image_tag (struct berth_image_store *s, const char *src, const char *dst, berth_error_t *err)
{
  cleanup_free char *name = berth_image_normalize_name (dst, err);
  cleanup_free char *matched = NULL;
  cleanup_close int lock = -1;
  json_t *index = NULL;
  const char *hex;
  int r;

  if (name == NULL)
    return -1;
  lock = store_lock (s, "index", true, err);
  if (lock < 0 || index_read (s, &index, err) < 0)
    return -1;
  r = index_resolve (index, src, &hex, &matched, err);
  if (r == 0)
    {
      cleanup_free char *h = strdup (hex); /* index_set_name may move things */
      r = h ? index_set_name (index, h, name, err) : berth_error (err, ENOMEM, "tag");
    }
  if (r == 0)
    r = index_write (s, index, err);
  json_decref (index);
  return r;
}

static json_t *
strv_to_json (char *const *v)
{
  json_t *a = json_array ();
  for (size_t i = 0; v && v[i]; i++)
    json_array_append_new (a, json_string (v[i]));
  return a;
}

json_t *
berth_image_inspect_json (const struct berth_image *img)
{
  json_t *c = img->config, *cfg = json_object_get (c, "config");
  const char *s;
  json_t *o = json_pack ("{s:s,s:o,s:o,s:s,s:s,s:s}", "Id", img->id, "RepoTags",
                         strv_to_json (img->names), "RepoDigests",
                         strv_to_json (img->repo_digests), "Parent", "", "Comment", "",
                         "Created", img->created);
  if (o == NULL)
    return NULL;
  json_object_set_new (o, "Config", cfg ? json_deep_copy (cfg) : json_object ());
  s = json_string_value (json_object_get (c, "architecture"));
  json_object_set_new (o, "Architecture", json_string (s ? s : ""));
  if ((s = json_string_value (json_object_get (c, "variant"))))
    json_object_set_new (o, "Variant", json_string (s));
  s = json_string_value (json_object_get (c, "os"));
  json_object_set_new (o, "Os", json_string (s ? s : ""));
  json_object_set_new (o, "Size", json_integer (img->size));
  json_object_set_new (
      o, "RootFS",
      json_pack ("{s:s,s:o}", "Type", "layers", "Layers", strv_to_json (img->diff_ids)));
  json_object_set_new (o, "ManifestDigest", json_string (img->manifest_digest));
  return o;
}
