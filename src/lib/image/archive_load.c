/* berth load: a docker-archive (`docker save`: manifest.json, configs and
 * layer tars), an OCI image layout (oci-layout, index.json, blobs/) or an
 * OCI archive (the layout as a tar).
 *
 * An archive is first extracted into the store's tmp/ with the same safe
 * unpacker as layers; every file is then opened with openat2 and
 * RESOLVE_IN_ROOT, so a symlink in the archive (old docker-archives link
 * duplicate layers) resolves inside it and never reaches a host file.
 * Every config, manifest and layer is checked against its digest.  */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"
#include "util.h"

#define OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

struct loader
{
  struct berth_image_store *s;
  int dir_fd;
  char **names; /* what was loaded, for the caller to print */
  size_t n_names;
};

static int
open_in (struct loader *l, const char *path, berth_error_t *err)
{
  struct open_how how
      = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  int fd = syscall (SYS_openat2, l->dir_fd, path, &how, sizeof (how));
  if (fd < 0)
    return berth_error (err, errno, "archive: open `%s`", path);
  return fd;
}

static int
read_in (struct loader *l, const char *path, char **data, size_t *len, berth_error_t *err)
{
  cleanup_close int fd = open_in (l, path, err);
  if (fd < 0)
    return -1;
  if (berth_read_fd (fd, data, len, err) < 0)
    return berth_error_wrap (err, "archive: `%s`", path);
  return 0;
}

static json_t *
parse_json (const char *text, const char *what, berth_error_t *err)
{
  json_error_t jerr;
  json_t *j = json_loads (text, 0, &jerr);
  if (j == NULL)
    berth_error (err, 0, "archive: %s: invalid JSON: %s", what, jerr.text);
  return j;
}

static int
note_loaded (struct loader *l, const char *name)
{
  char **n = realloc (l->names, (l->n_names + 2) * sizeof (char *));
  if (n == NULL)
    return -ENOMEM;
  l->names = n;
  n[l->n_names] = strdup (name);
  if (n[l->n_names] == NULL)
    return -ENOMEM;
  n[++l->n_names] = NULL;
  return 0;
}

/* The config's diff_ids, validated, as a NULL-terminated vector.  */
static char **
config_diff_ids (json_t *config, berth_error_t *err)
{
  json_t *ids = json_object_get (json_object_get (config, "rootfs"), "diff_ids");
  size_t n = json_array_size (ids);
  char **v = calloc (n + 1, sizeof (char *));

  if (v == NULL)
    {
      berth_error (err, ENOMEM, "load");
      return NULL;
    }
  if (n > BERTH_IMAGE_MAX_LAYERS)
    {
      free (v);
      berth_error (err, 0, "archive: %zu layers, more than overlayfs can stack", n);
      return NULL;
    }
  for (size_t i = 0; i < n; i++)
    {
      const char *d = json_string_value (json_array_get (ids, i));
      if (!digest_valid (d) || (v[i] = strdup (d)) == NULL)
        {
          berth_strv_freep (&v);
          berth_error (err, 0, "archive: invalid diff_id `%s`", d ? d : "");
          return NULL;
        }
    }
  return v;
}

/* Record the image: names are normalized; an unusable name is skipped.  */
static int
commit (struct loader *l, const char *config, size_t len, char **diff_ids, json_t *tags,
        berth_error_t *err)
{
  cleanup_strv char **names = calloc (json_array_size (tags) + 1, sizeof (char *));
  cleanup_free char *id = NULL;
  size_t n = 0;

  if (names == NULL)
    return berth_error (err, ENOMEM, "load");
  for (size_t i = 0; i < json_array_size (tags); i++)
    {
      const char *t = json_string_value (json_array_get (tags, i));
      char *norm = t ? berth_image_normalize_name (t, NULL) : NULL;
      if (norm)
        names[n++] = norm;
    }
  if (store_commit_image (l->s, config, len, diff_ids, names, &id, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (note_loaded (l, names[i]) < 0)
      return berth_error (err, ENOMEM, "load");
  if (n == 0 && note_loaded (l, id) < 0)
    return berth_error (err, ENOMEM, "load");
  return 0;
}

static int
load_docker_image (struct loader *l, json_t *item, berth_error_t *err)
{
  const char *config_path = json_string_value (json_object_get (item, "Config"));
  json_t *layers = json_object_get (item, "Layers"), *config = NULL;
  cleanup_strv char **diff_ids = NULL;
  cleanup_free char *text = NULL;
  size_t len;
  int ret = -1;

  if (config_path == NULL || !json_is_array (layers))
    return berth_error (err, 0, "archive: manifest.json: an entry lacks Config or Layers");
  if (read_in (l, config_path, &text, &len, err) < 0
      || (config = parse_json (text, config_path, err)) == NULL)
    return -1;
  diff_ids = config_diff_ids (config, err);
  if (diff_ids == NULL)
    goto out;
  if (json_array_size (layers) != berth_strv_len (diff_ids))
    {
      berth_error (err, 0, "archive: %zu layers for %zu diff_ids in `%s`", json_array_size (layers),
                   berth_strv_len (diff_ids), config_path);
      goto out;
    }
  for (size_t i = 0; diff_ids[i]; i++)
    {
      const char *path = json_string_value (json_array_get (layers, i));
      cleanup_close int fd = path ? open_in (l, path, err) : -1;
      char diff[DIGEST_LEN + 1];
      if (path == NULL)
        berth_error (err, 0, "archive: manifest.json: invalid layer path");
      if (fd < 0 || layer_add_fd (l->s, fd, NULL, diff_ids[i], diff, err) < 0)
        {
          berth_error_wrap (err, "layer `%s`", path ? path : "");
          goto out;
        }
    }
  ret = commit (l, text, len, diff_ids, json_object_get (item, "RepoTags"), err);
out:
  json_decref (config);
  return ret;
}

static int
load_docker_archive (struct loader *l, berth_error_t *err)
{
  cleanup_free char *text = NULL;
  json_t *manifest, *item;
  size_t i;
  int ret = 0;

  if (read_in (l, "manifest.json", &text, NULL, err) < 0
      || (manifest = parse_json (text, "manifest.json", err)) == NULL)
    return -1;
  if (!json_is_array (manifest))
    ret = berth_error (err, 0, "archive: manifest.json is not an array");
  json_array_foreach (manifest, i, item)
  {
    if (ret == 0)
      ret = load_docker_image (l, item, err);
  }
  json_decref (manifest);
  return ret;
}

/* A blob of the layout, checked against its descriptor's digest.  */
static int
read_oci_blob (struct loader *l, const char *digest, char **data, size_t *len, berth_error_t *err)
{
  cleanup_free char *path = NULL;
  char got[DIGEST_LEN + 1];

  if (!digest_valid (digest))
    return berth_error (err, 0, "archive: unsupported digest `%s`", digest ? digest : "");
  if (asprintf (&path, "blobs/sha256/%s", digest_hex (digest)) < 0)
    return berth_error (err, ENOMEM, "load");
  if (read_in (l, path, data, len, err) < 0 || digest_buffer (*data, *len, got, err) < 0)
    return -1;
  if (strcmp (got, digest) != 0)
    {
      free (*data);
      *data = NULL;
      return berth_error (err, 0, "archive: blob digest mismatch: expected %s, got %s", digest,
                          got);
    }
  return 0;
}

static int
load_oci_manifest (struct loader *l, const char *digest, json_t *tags, berth_error_t *err)
{
  cleanup_free char *mtext = NULL, *ctext = NULL;
  cleanup_strv char **diff_ids = NULL;
  json_t *manifest = NULL, *config = NULL, *layers;
  size_t mlen, clen;
  int ret = -1;

  if (read_oci_blob (l, digest, &mtext, &mlen, err) < 0
      || (manifest = parse_json (mtext, digest, err)) == NULL)
    return -1;
  if (read_oci_blob (
          l, json_string_value (json_object_get (json_object_get (manifest, "config"), "digest")),
          &ctext, &clen, err)
          < 0
      || (config = parse_json (ctext, "config", err)) == NULL
      || (diff_ids = config_diff_ids (config, err)) == NULL)
    goto out;
  layers = json_object_get (manifest, "layers");
  if (json_array_size (layers) != berth_strv_len (diff_ids))
    {
      berth_error (err, 0, "archive: %zu layers for %zu diff_ids", json_array_size (layers),
                   berth_strv_len (diff_ids));
      goto out;
    }
  for (size_t i = 0; diff_ids[i]; i++)
    {
      const char *d = json_string_value (json_object_get (json_array_get (layers, i), "digest"));
      cleanup_free char *path = NULL;
      cleanup_close int fd = -1;
      char diff[DIGEST_LEN + 1];
      if (!digest_valid (d))
        {
          berth_error (err, 0, "archive: unsupported layer digest `%s`", d ? d : "");
          goto out;
        }
      if (asprintf (&path, "blobs/sha256/%s", digest_hex (d)) < 0)
        goto out;
      fd = open_in (l, path, err);
      if (fd < 0 || layer_add_fd (l->s, fd, d, diff_ids[i], diff, err) < 0)
        {
          berth_error_wrap (err, "layer %.19s", d);
          goto out;
        }
    }
  ret = commit (l, ctext, clen, diff_ids, tags, err);
out:
  json_decref (manifest);
  json_decref (config);
  return ret;
}

/* The image's name from a descriptor's annotations: containerd's full name,
 * else the OCI ref name when it is a full reference (a bare tag names no
 * repository, and the image stays nameless).  */
static json_t *
descriptor_names (json_t *desc)
{
  json_t *ann = json_object_get (desc, "annotations");
  const char *n = json_string_value (json_object_get (ann, "io.containerd.image.name"));
  if (n == NULL)
    {
      n = json_string_value (json_object_get (ann, "org.opencontainers.image.ref.name"));
      if (n && strchr (n, '/') == NULL && strchr (n, ':') == NULL)
        n = NULL;
    }
  return n ? json_pack ("[s]", n) : json_array ();
}

static int load_oci_index (struct loader *l, json_t *index, json_t *outer, int depth,
                           berth_error_t *err);

static int
load_oci_descriptor (struct loader *l, json_t *desc, json_t *outer, int depth, berth_error_t *err)
{
  const char *media = json_string_value (json_object_get (desc, "mediaType"));
  const char *digest = json_string_value (json_object_get (desc, "digest"));
  json_t *names = descriptor_names (outer ? outer : desc);
  int r;

  if (media && (strcmp (media, OCI_INDEX) == 0 || strcmp (media, DOCKER_LIST) == 0))
    {
      cleanup_free char *text = NULL;
      json_t *nested;
      size_t len;
      json_decref (names);
      if (depth > 4)
        return berth_error (err, 0, "archive: indexes nested too deep");
      if (read_oci_blob (l, digest, &text, &len, err) < 0
          || (nested = parse_json (text, digest, err)) == NULL)
        return -1;
      r = load_oci_index (l, nested, desc, depth + 1, err);
      json_decref (nested);
      return r;
    }
  r = load_oci_manifest (l, digest, names, err);
  json_decref (names);
  return r;
}

/* A nested index (multi-platform) gives the manifest for this machine.  */
static int
load_oci_index (struct loader *l, json_t *index, json_t *outer, int depth, berth_error_t *err)
{
  json_t *manifests = json_object_get (index, "manifests"), *d;
  size_t i;

  if (json_array_size (manifests) == 0)
    return berth_error (err, 0, "archive: index.json lists no manifests");
  if (depth > 0)
    {
      json_array_foreach (manifests, i, d)
      {
        const char *arch
            = json_string_value (json_object_get (json_object_get (d, "platform"), "architecture"));
        if (arch == NULL || strcmp (arch, config_architecture ()) == 0)
          return load_oci_descriptor (l, d, outer, depth, err);
      }
      return berth_error (err, 0, "archive: no manifest for architecture %s",
                          config_architecture ());
    }
  json_array_foreach (manifests, i, d)
  {
    if (load_oci_descriptor (l, d, NULL, depth, err) < 0)
      return -1;
  }
  return 0;
}

static int
load_oci_layout (struct loader *l, berth_error_t *err)
{
  cleanup_free char *text = NULL;
  json_t *index;
  int r;

  if (read_in (l, "index.json", &text, NULL, err) < 0
      || (index = parse_json (text, "index.json", err)) == NULL)
    return -1;
  r = load_oci_index (l, index, NULL, 0, err);
  json_decref (index);
  return r;
}

static bool
has_file (struct loader *l, const char *path)
{
  int fd = open_in (l, path, NULL);
  if (fd < 0)
    return false;
  close (fd);
  return true;
}

static int
load_from_dir (struct loader *l, berth_error_t *err)
{
  if (has_file (l, "index.json") && has_file (l, "oci-layout"))
    return load_oci_layout (l, err);
  if (has_file (l, "manifest.json"))
    return load_docker_archive (l, err);
  return berth_error (err, 0,
                      "archive: neither a docker-archive (manifest.json) nor an OCI layout "
                      "(oci-layout, index.json)");
}

int
berth_image_load (struct berth_image_store *s, int fd, const char *dir_path, char ***names,
                  berth_error_t *err)
{
  struct loader l = { .s = s, .dir_fd = -1 };
  cleanup_free char *tmp = NULL;
  int gc_lock, r = -1;

  gc_lock = store_lock (s, "gc", false, err);
  if (gc_lock < 0)
    return -1;
  if (dir_path)
    {
      l.dir_fd = open (dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (l.dir_fd < 0)
        berth_error (err, errno, "open `%s`", dir_path);
    }
  else if (store_mkdtemp (s, &tmp, err) == 0)
    {
      l.dir_fd = open (tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (l.dir_fd < 0)
        berth_error (err, errno, "open `%s`", tmp);
      else if (unpack_tar_fd (fd, l.dir_fd, false, err) < 0)
        {
          berth_error_wrap (err, "load");
          close (l.dir_fd);
          l.dir_fd = -1;
        }
    }
  if (l.dir_fd >= 0)
    {
      r = load_from_dir (&l, err);
      close (l.dir_fd);
    }
  if (tmp)
    berth_remove_tree (tmp, NULL);
  close (gc_lock);
  if (r < 0)
    {
      berth_strv_freep (&l.names);
      store_gc_now (s); /* layers of an image that did not load go again */
      return -1;
    }
  *names = l.names;
  return 0;
}
