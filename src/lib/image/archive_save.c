/* berth save: images as a docker-archive (manifest.json, <config>.json and
 * one uncompressed <diffID>.tar per layer, as `docker save` and `podman
 * save` write) or an OCI archive (oci-layout, index.json, blobs/sha256/).
 * Layers shared by several saved images are written once.  */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"
#include "util.h"

struct saver
{
  struct berth_image_store *s;
  struct archive *a;
  json_t *written; /* names already in the archive */
};

static int
write_entry_header (struct saver *sv, const char *name, int64_t size, mode_t type,
                    berth_error_t *err)
{
  struct archive_entry *e = archive_entry_new ();
  int r;
  if (e == NULL)
    return berth_error (err, ENOMEM, "save");
  archive_entry_set_pathname (e, name);
  archive_entry_set_filetype (e, type);
  archive_entry_set_perm (e, type == AE_IFDIR ? 0755 : 0644);
  archive_entry_set_size (e, type == AE_IFDIR ? 0 : size);
  archive_entry_set_mtime (e, time (NULL), 0);
  r = archive_write_header (sv->a, e);
  archive_entry_free (e);
  if (r != ARCHIVE_OK)
    return berth_error (err, 0, "save: %s", archive_error_string (sv->a));
  return 0;
}

static int
add_bytes (struct saver *sv, const char *name, const void *data, size_t len, berth_error_t *err)
{
  if (json_object_get (sv->written, name))
    return 0;
  json_object_set_new (sv->written, name, json_true ());
  if (write_entry_header (sv, name, len, AE_IFREG, err) < 0)
    return -1;
  if (len && archive_write_data (sv->a, data, len) != (la_ssize_t)len)
    return berth_error (err, 0, "save: %s", archive_error_string (sv->a));
  return 0;
}

static int
add_blob (struct saver *sv, const char *name, const char *digest, berth_error_t *err)
{
  cleanup_free char *path = store_path (sv->s, "blobs/sha256/%s", digest_hex (digest));
  cleanup_close int fd = -1;
  char buf[1 << 16];
  struct stat st;
  ssize_t n;

  if (json_object_get (sv->written, name))
    return 0;
  json_object_set_new (sv->written, name, json_true ());
  fd = path ? open (path, O_RDONLY | O_CLOEXEC) : -1;
  if (fd < 0 || fstat (fd, &st) < 0)
    return berth_error (err, errno, "save: blob %s", digest);
  if (write_entry_header (sv, name, st.st_size, AE_IFREG, err) < 0)
    return -1;
  while ((n = read (fd, buf, sizeof (buf))) > 0)
    if (archive_write_data (sv->a, buf, n) != n)
      return berth_error (err, 0, "save: %s", archive_error_string (sv->a));
  if (n < 0)
    return berth_error (err, errno, "save: read blob %s", digest);
  return 0;
}

/* The names to record for ref: the name it was given by, else all of the
 * image's names (saved by ID).  */
static json_t *
names_for (const struct berth_image *img, const char *ref)
{
  cleanup_free char *norm = berth_image_normalize_name (ref, NULL);
  cleanup_free char *local = NULL;
  json_t *tags = json_array ();

  if (norm && asprintf (&local, "localhost/%s", norm) < 0)
    local = NULL;
  for (size_t i = 0; img->names[i]; i++)
    if ((norm && strcmp (img->names[i], norm) == 0)
        || (local && strcmp (img->names[i], local) == 0))
      {
        json_array_append_new (tags, json_string (img->names[i]));
        return tags;
      }
  for (size_t i = 0; img->names[i]; i++)
    json_array_append_new (tags, json_string (img->names[i]));
  return tags;
}

static int
save_docker_image (struct saver *sv, const struct berth_image *img, const char *ref,
                   json_t *manifest, berth_error_t *err)
{
  cleanup_free char *config_name = NULL;
  json_t *layers = json_array (), *tags = names_for (img, ref);

  if (asprintf (&config_name, "%s.json", img->id + 7) < 0)
    return berth_error (err, ENOMEM, "save");
  if (add_blob (sv, config_name, img->id, err) < 0)
    goto fail;
  for (size_t i = 0; i < img->n_layers; i++)
    {
      cleanup_free char *name = NULL;
      if (asprintf (&name, "%s.tar", img->diff_ids[i] + 7) < 0
          || add_blob (sv, name, img->diff_ids[i], err) < 0)
        goto fail;
      json_array_append_new (layers, json_string (name));
    }
  json_array_append_new (manifest, json_pack ("{s:s,s:o,s:o}", "Config", config_name, "RepoTags",
                                              json_array_size (tags) ? tags : json_null (),
                                              "Layers", layers));
  if (json_array_size (tags) == 0)
    json_decref (tags);
  return 0;
fail:
  json_decref (layers);
  json_decref (tags);
  return -1;
}

static int
save_oci_image (struct saver *sv, const struct berth_image *img, const char *ref, json_t *index,
                berth_error_t *err)
{
  cleanup_free char *mtext = NULL, *name = NULL;
  json_t *tags = names_for (img, ref);
  size_t mlen;
  int ret = -1;

  if (store_read_blob (sv->s, img->manifest_digest, &mtext, &mlen, err) < 0)
    goto out;
  for (size_t i = 0; i <= img->n_layers; i++)
    {
      const char *d = i < img->n_layers ? img->diff_ids[i] : img->id;
      free (name);
      name = NULL;
      if (asprintf (&name, "blobs/sha256/%s", d + 7) < 0 || add_blob (sv, name, d, err) < 0)
        goto out;
    }
  free (name);
  name = NULL;
  if (asprintf (&name, "blobs/sha256/%s", img->manifest_digest + 7) < 0
      || add_bytes (sv, name, mtext, mlen, err) < 0)
    goto out;
  if (json_array_size (tags) == 0)
    json_array_append_new (tags, json_null ());
  for (size_t i = 0; i < json_array_size (tags); i++)
    {
      const char *n = json_string_value (json_array_get (tags, i));
      json_t *d
          = json_pack ("{s:s,s:s,s:I}", "mediaType", "application/vnd.oci.image.manifest.v1+json",
                       "digest", img->manifest_digest, "size", (json_int_t)mlen);
      if (n)
        json_object_set_new (d, "annotations",
                             json_pack ("{s:s,s:s}", "io.containerd.image.name", n,
                                        "org.opencontainers.image.ref.name", n));
      json_array_append_new (index, d);
    }
  ret = 0;
out:
  json_decref (tags);
  return ret;
}

int
berth_image_save (struct berth_image_store *s, char *const *refs, size_t n,
                  enum berth_image_archive_format format, int fd, berth_error_t *err)
{
  struct saver sv = { .s = s, .a = archive_write_new (), .written = json_object () };
  json_t *top = json_array ();
  cleanup_free char *text = NULL;
  int ret = -1;

  if (sv.a == NULL || sv.written == NULL || top == NULL)
    {
      berth_error (err, ENOMEM, "save");
      goto out;
    }
  archive_write_set_format_pax_restricted (sv.a);
  archive_write_set_bytes_in_last_block (sv.a, 1);
  if (archive_write_open_fd (sv.a, fd) != ARCHIVE_OK)
    {
      berth_error (err, 0, "save: %s", archive_error_string (sv.a));
      goto out;
    }
  if (format == BERTH_IMAGE_OCI_ARCHIVE)
    {
      static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
      if (add_bytes (&sv, "oci-layout", layout, strlen (layout), err) < 0
          || write_entry_header (&sv, "blobs", 0, AE_IFDIR, err) < 0
          || write_entry_header (&sv, "blobs/sha256", 0, AE_IFDIR, err) < 0)
        goto out;
    }
  for (size_t i = 0; i < n; i++)
    {
      struct berth_image *img = NULL;
      int r;
      if (berth_image_get (s, refs[i], &img, err) < 0)
        goto out;
      r = format == BERTH_IMAGE_OCI_ARCHIVE ? save_oci_image (&sv, img, refs[i], top, err)
                                            : save_docker_image (&sv, img, refs[i], top, err);
      berth_image_free (img);
      if (r < 0)
        goto out;
    }
  if (format == BERTH_IMAGE_OCI_ARCHIVE)
    {
      json_t *index = json_pack ("{s:i,s:s,s:O}", "schemaVersion", 2, "mediaType",
                                 "application/vnd.oci.image.index.v1+json", "manifests", top);
      text = json_dumps (index, JSON_COMPACT);
      json_decref (index);
    }
  else
    text = json_dumps (top, JSON_COMPACT);
  if (text == NULL
      || add_bytes (&sv, format == BERTH_IMAGE_OCI_ARCHIVE ? "index.json" : "manifest.json", text,
                    strlen (text), err)
             < 0)
    goto out;
  if (archive_write_close (sv.a) != ARCHIVE_OK)
    {
      berth_error (err, 0, "save: %s", archive_error_string (sv.a));
      goto out;
    }
  ret = 0;
out:
  if (sv.a)
    archive_write_free (sv.a);
  json_decref (sv.written);
  json_decref (top);
  return ret;
}
