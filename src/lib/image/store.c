/* The store: its directories, its locks, and images.json, the one index of
 * images (config digest -> manifest digest and names), rewritten atomically
 * under the index lock.
 *
 *   ROOT/blobs/sha256/<hex>   configs, manifests and uncompressed layer tars
 *   ROOT/layers/<hex>/diff    one unpacked layer per diffID (+ link: short id)
 *   ROOT/l/<short>            -> ../layers/<hex>/diff, for short mount options
 *   ROOT/images.json          the index
 *   ROOT/tmp/                 blobs and layers being written
 *
 * There are no reference counts: what no image references is garbage, found
 * when something is removed (see gc.c).  */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"
#include "util.h"

char *
store_path (const struct berth_image_store *s, const char *fmt, ...)
{
  cleanup_free char *rel = NULL;
  char *out;
  va_list ap;
  int r;

  va_start (ap, fmt);
  r = vasprintf (&rel, fmt, ap);
  va_end (ap);
  if (r < 0 || asprintf (&out, "%s/%s", s->root, rel) < 0)
    return NULL;
  return out;
}

int
store_lock (struct berth_image_store *s, const char *which, bool exclusive, berth_error_t *err)
{
  cleanup_free char *path = store_path (s, "%s.lock", which);
  cleanup_close int fd = -1;

  if (path == NULL)
    return berth_error (err, ENOMEM, "lock");
  fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return berth_error (err, errno, "open `%s`", path);
  while (flock (fd, exclusive ? LOCK_EX : LOCK_SH) < 0)
    if (errno != EINTR)
      return berth_error (err, errno, "lock `%s`", path);
  return steal_fd (&fd);
}

int
store_mkdtemp (struct berth_image_store *s, char **path, berth_error_t *err)
{
  *path = store_path (s, "tmp/dir-XXXXXX");
  if (*path == NULL)
    return berth_error (err, ENOMEM, "tmp");
  if (mkdtemp (*path) == NULL)
    {
      int e = errno;
      free (*path);
      *path = NULL;
      return berth_error (err, e, "mkdtemp in `%s/tmp`", s->root);
    }
  return 0;
}

int
store_read_blob (struct berth_image_store *s, const char *digest, char **data, size_t *len,
                 berth_error_t *err)
{
  cleanup_free char *path = NULL;
  if (!digest_valid (digest))
    return berth_error (err, 0, "invalid digest `%s`", digest ? digest : "");
  path = store_path (s, "blobs/sha256/%s", digest_hex (digest));
  if (path == NULL)
    return berth_error (err, ENOMEM, "blob");
  return berth_read_file (path, data, len, err);
}

int
berth_image_store_open (const char *root, struct berth_image_store **out, berth_error_t *err)
{
  static const char *const dirs[] = { "blobs/sha256", "layers", "l", "tmp" };
  struct berth_image_store *s = calloc (1, sizeof (*s));

  if (s == NULL || (s->root = strdup (root)) == NULL)
    {
      free (s);
      return berth_error (err, ENOMEM, "image store");
    }
  for (size_t i = 0; i < sizeof (dirs) / sizeof (dirs[0]); i++)
    {
      cleanup_free char *p = store_path (s, "%s", dirs[i]);
      if (p == NULL || berth_mkdir_p (p, 0700, err) < 0)
        {
          berth_image_store_close (s);
          return berth_error_wrap (err, "image store `%s`", root);
        }
    }
  /* Absolute from here on: paths handed out stay valid whatever the cwd.  */
  {
    char *abs = realpath (root, NULL);
    if (abs == NULL)
      {
        berth_image_store_close (s);
        return berth_error (err, errno, "image store `%s`", root);
      }
    free (s->root);
    s->root = abs;
  }
  *out = s;
  return 0;
}

void
berth_image_store_close (struct berth_image_store *s)
{
  if (s == NULL)
    return;
  free (s->root);
  free (s);
}

const char *
berth_image_store_root (const struct berth_image_store *s)
{
  return s->root;
}

void
berth_image_store_set_in_use (struct berth_image_store *s, berth_image_in_use_fn fn, void *data)
{
  s->in_use = fn;
  s->in_use_data = data;
}

/* The manifest of our own form: every layer an uncompressed tar blob named
 * by its diffID.  */
static int
write_manifest (struct berth_image_store *s, const char *config_digest, size_t config_len,
                char *const *diff_ids, char out[DIGEST_LEN + 1], berth_error_t *err)
{
  json_t *m = json_object (), *layers = json_array ();
  cleanup_free char *text = NULL;
  int r;

  json_object_set_new (m, "schemaVersion", json_integer (2));
  json_object_set_new (m, "mediaType", json_string ("application/vnd.oci.image.manifest.v1+json"));
  json_object_set_new (m, "config",
                       json_pack ("{s:s,s:s,s:I}", "mediaType",
                                  "application/vnd.oci.image.config.v1+json", "digest",
                                  config_digest, "size", (json_int_t)config_len));
  for (size_t i = 0; diff_ids && diff_ids[i]; i++)
    {
      cleanup_free char *blob = store_path (s, "blobs/sha256/%s", digest_hex (diff_ids[i]));
      struct stat st;
      if (blob == NULL || stat (blob, &st) < 0)
        {
          json_decref (m);
          json_decref (layers);
          return berth_error (err, errno, "layer blob %s", diff_ids[i]);
        }
      json_array_append_new (layers, json_pack ("{s:s,s:s,s:I}", "mediaType",
                                                "application/vnd.oci.image.layer.v1.tar", "digest",
                                                diff_ids[i], "size", (json_int_t)st.st_size));
    }
  json_object_set_new (m, "layers", layers);
  text = json_dumps (m, JSON_COMPACT);
  json_decref (m);
  if (text == NULL)
    return berth_error (err, ENOMEM, "manifest");
  r = blob_put (s, text, strlen (text), out, err);
  return r;
}

int
store_commit_image (struct berth_image_store *s, const char *config, size_t config_len,
                    char *const *diff_ids, char *const *names, char **id, berth_error_t *err)
{
  char config_digest[DIGEST_LEN + 1], manifest_digest[DIGEST_LEN + 1];
  cleanup_close int lock = -1;
  json_t *index = NULL;
  int ret = -1;

  if (blob_put (s, config, config_len, config_digest, err) < 0
      || write_manifest (s, config_digest, config_len, diff_ids, manifest_digest, err) < 0)
    return -1;
  lock = store_lock (s, "index", true, err);
  if (lock < 0 || index_read (s, &index, err) < 0)
    return -1;
  if (index_add (index, digest_hex (config_digest), manifest_digest, err) < 0)
    goto out;
  for (size_t i = 0; names && names[i]; i++)
    if (index_set_name (index, digest_hex (config_digest), names[i], err) < 0)
      goto out;
  if (index_write (s, index, err) < 0)
    goto out;
  *id = strdup (config_digest);
  ret = *id ? 0 : berth_error (err, ENOMEM, "image");
out:
  json_decref (index);
  return ret;
}
