/* berth push: the image's layer blobs and config, then its manifest.  A
 * blob the repository has is skipped (HEAD); one that another repository
 * of the same registry got from this image (its repo digests) is mounted
 * from there; others are uploaded in one PUT, or in PATCH chunks when
 * larger than the chunk size; the manifest (OCI) goes last.  Layers are
 * gzipped into tmp/ first, as Docker pushes them, or (compression "none")
 * go as the store keeps them, uncompressed tars: no CPU spent on a fast
 * link, more bytes.  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "cleanup.h"
#include "registry.h"
#include "util.h"

#define DEFAULT_CHUNK ((int64_t)64 << 20)

struct push
{
  struct berth_image_store *s;
  struct reg_client *c;
  const char *repo;
  char **mount_from; /* other repositories of the registry with this image */
  int64_t chunk;
  int gzip_level; /* 0: layers go uncompressed */
  struct progress *progress;
};

static char *
with_digest (const char *location, const char *digest)
{
  char *out;
  if (asprintf (&out, "%s%sdigest=sha256%%3A%s", location, strchr (location, '?') ? "&" : "?",
                digest_hex (digest))
      < 0)
    return NULL;
  return out;
}

static char *
scope_for (const struct push *p, const char *from)
{
  char *out;
  if (asprintf (&out, "repository:%s:pull,push%s%s%s", p->repo, from ? " repository:" : "",
                from ? from : "", from ? ":pull" : "")
      < 0)
    return NULL;
  return out;
}

/* Upload fd's size bytes to the session at *location.  */
static int
upload (struct push *p, const char *scope, char **location, int fd, int64_t size,
        const char *digest, int line, berth_error_t *err)
{
  static const long created[] = { 201, 0 };
  struct reg_response resp = { 0 };
  int64_t off = 0;

  progress_set (p->progress, line, "Pushing");
  if (size > p->chunk)
    while (off < size)
      {
        int64_t n = size - off < p->chunk ? size - off : p->chunk;
        cleanup_free char *range = NULL;
        struct reg_body body
            = { .fd = fd, .offset = off, .len = n, .content_type = "application/octet-stream" };
        const char *hdrs[] = { NULL, NULL };
        struct reg_request req = {
          .method = "PATCH", .url = *location, .scope = scope, .body = &body, .headers = hdrs
        };
        if (asprintf (&range, "Content-Range: %lld-%lld", (long long)off, (long long)(off + n - 1))
            < 0)
          return berth_error (err, ENOMEM, "push");
        hdrs[0] = range;
        if (reg_do (p->c, &req, &resp, NULL, err) < 0)
          {
            reg_response_clear (&resp);
            return berth_error_wrap (err, "upload %.19s", digest);
          }
        if (resp.location)
          {
            free (*location);
            *location = steal_pointer (&resp.location);
          }
        reg_response_clear (&resp);
        off += n;
        progress_bytes (p->progress, line, off);
      }
  {
    cleanup_free char *url = with_digest (*location, digest);
    struct reg_body body = {
      .fd = fd, .offset = off, .len = size - off, .content_type = "application/octet-stream"
    };
    struct reg_request req = { .method = "PUT", .url = url, .scope = scope, .body = &body };
    int r;
    if (url == NULL)
      return berth_error (err, ENOMEM, "push");
    r = reg_do (p->c, &req, &resp, NULL, err);
    if (r == 0 && resp.status != 201)
      r = berth_error (err, 0, "upload %.19s: HTTP status %ld", digest, resp.status);
    reg_response_clear (&resp);
    (void)created;
    if (r < 0)
      return berth_error_wrap (err, "upload %.19s", digest);
  }
  progress_bytes (p->progress, line, size);
  return 0;
}

/* Push the blob digest whose bytes are in path (NULL: the store's blob).  */
static int
push_blob (struct push *p, const char *digest, const char *blob_path, berth_error_t *err)
{
  static const long not_found[] = { 404, 0 };
  cleanup_free char *path
      = blob_path ? strdup (blob_path) : store_path (p->s, "blobs/sha256/%s", digest_hex (digest));
  cleanup_free char *url = NULL, *scope = NULL, *location = NULL;
  cleanup_close int fd = -1;
  struct reg_response resp = { 0 };
  struct stat st;
  int line;

  if (path == NULL || asprintf (&url, "/v2/%s/blobs/%s", p->repo, digest) < 0
      || (scope = scope_for (p, NULL)) == NULL)
    return berth_error (err, ENOMEM, "push");
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &st) < 0)
    return berth_error (err, errno, "open `%s`", path);
  line = progress_add (p->progress, digest, st.st_size);
  {
    struct reg_request req = { .method = "HEAD", .url = url, .scope = scope };
    if (reg_do (p->c, &req, &resp, not_found, err) < 0)
      return -1;
    if (resp.status == 200)
      {
        reg_response_clear (&resp);
        progress_set (p->progress, line, "Layer already exists");
        return 0;
      }
    reg_response_clear (&resp);
  }
  for (size_t i = 0; p->mount_from && p->mount_from[i]; i++)
    {
      cleanup_free char *murl = NULL, *mscope = scope_for (p, p->mount_from[i]);
      struct reg_request req = { .method = "POST", .scope = mscope };
      if (mscope == NULL
          || asprintf (&murl, "/v2/%s/blobs/uploads/?mount=%s&from=%s", p->repo, digest,
                       p->mount_from[i])
                 < 0)
        return berth_error (err, ENOMEM, "push");
      req.url = murl;
      if (reg_do (p->c, &req, &resp, NULL, err) < 0)
        return -1;
      if (resp.status == 201)
        {
          char msg[300];
          reg_response_clear (&resp);
          snprintf (msg, sizeof (msg), "Mounted from %s", p->mount_from[i]);
          progress_set (p->progress, line, msg);
          return 0;
        }
      /* 202: the registry opened an upload instead.  */
      location = steal_pointer (&resp.location);
      reg_response_clear (&resp);
      if (location)
        break;
    }
  if (location == NULL)
    {
      cleanup_free char *uurl = NULL;
      struct reg_request req = { .method = "POST", .scope = scope };
      if (asprintf (&uurl, "/v2/%s/blobs/uploads/", p->repo) < 0)
        return berth_error (err, ENOMEM, "push");
      req.url = uurl;
      if (reg_do (p->c, &req, &resp, NULL, err) < 0)
        return -1;
      location = steal_pointer (&resp.location);
      reg_response_clear (&resp);
      if (location == NULL)
        return berth_error (err, 0, "%s: upload of %.19s: no Location", reg_client_host (p->c),
                            digest);
    }
  if (upload (p, scope, &location, fd, st.st_size, digest, line, err) < 0)
    return -1;
  progress_set (p->progress, line, "Pushed");
  return 0;
}

/* One layer as pushed: the store's tar, or a gzip of it in tmp/.  */
struct pushed_layer
{
  char digest[DIGEST_LEN + 1];
  int64_t size;
  char *tmp_path; /* the gzip (removed after the push), or NULL */
};

/* Gzip the layer tar diff_id into tmp/ (deterministic: no name, no time, so
 * the same layer compresses to the same digest at every push).  */
static int
gzip_layer (struct push *p, const char *diff_id, struct pushed_layer *out, berth_error_t *err)
{
  cleanup_free char *src = store_path (p->s, "blobs/sha256/%s", digest_hex (diff_id));
  cleanup_close int in = -1, fd = -1;
  unsigned char ibuf[1 << 16], obuf[1 << 16];
  struct hasher h;
  z_stream z = { 0 };
  int r = 0, flush = Z_NO_FLUSH;

  out->tmp_path = store_path (p->s, "tmp/push-XXXXXX");
  if (src == NULL || out->tmp_path == NULL)
    return berth_error (err, ENOMEM, "push");
  in = open (src, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return berth_error (err, errno, "open `%s`", src);
  fd = mkostemp (out->tmp_path, O_CLOEXEC);
  if (fd < 0)
    {
      free (out->tmp_path);
      out->tmp_path = NULL;
      return berth_error (err, errno, "create a temporary file in the store");
    }
  if (hasher_init (&h, err) < 0)
    return -1;
  if (deflateInit2 (&z, p->gzip_level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    {
      hasher_release (&h);
      return berth_error (err, ENOMEM, "gzip");
    }
  do
    {
      ssize_t n = read (in, ibuf, sizeof (ibuf));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          r = berth_error (err, errno, "read `%s`", src);
          break;
        }
      flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
      z.next_in = ibuf;
      z.avail_in = n;
      do
        {
          size_t have;
          int zr;
          z.next_out = obuf;
          z.avail_out = sizeof (obuf);
          zr = deflate (&z, flush);
          if (zr == Z_STREAM_ERROR)
            {
              r = berth_error (err, 0, "gzip failed");
              break;
            }
          have = sizeof (obuf) - z.avail_out;
          hasher_update (&h, obuf, have);
          if (berth_write_all (fd, obuf, have) < 0)
            r = berth_error (err, errno, "write `%s`", out->tmp_path);
        }
      while (r == 0 && z.avail_out == 0);
    }
  while (r == 0 && flush != Z_FINISH);
  deflateEnd (&z);
  if (r < 0)
    {
      hasher_release (&h);
      return -1;
    }
  out->size = z.total_out;
  hasher_final (&h, out->digest);
  hasher_release (&h);
  return 0;
}

static char *
build_manifest (const struct berth_image *img, size_t config_len, const struct pushed_layer *layers,
                const char *layer_type)
{
  json_t *m = json_pack ("{s:i,s:s,s:{s:s,s:s,s:I}}", "schemaVersion", 2, "mediaType",
                         MEDIA_OCI_MANIFEST, "config", "mediaType", MEDIA_OCI_CONFIG, "digest",
                         img->id, "size", (json_int_t)config_len);
  json_t *arr = json_array ();
  char *text;

  for (size_t i = 0; i < img->n_layers; i++)
    json_array_append_new (arr, json_pack ("{s:s,s:s,s:I}", "mediaType", layer_type, "digest",
                                           layers[i].digest, "size", (json_int_t)layers[i].size));
  json_object_set_new (m, "layers", arr);
  text = json_dumps (m, JSON_COMPACT);
  json_decref (m);
  return text;
}

/* The layers to push: the store's tars as they are, or gzipped.  */
static int
prepare_layers (struct push *p, const struct berth_image *img, struct pushed_layer *layers,
                berth_error_t *err)
{
  for (size_t i = 0; i < img->n_layers; i++)
    {
      if (p->gzip_level > 0)
        {
          int line = progress_add (p->progress, img->diff_ids[i], 0);
          progress_set (p->progress, line, "Compressing");
          if (gzip_layer (p, img->diff_ids[i], &layers[i], err) < 0)
            return -1;
          progress_set (p->progress, line, "Compressed");
        }
      else
        {
          cleanup_free char *path
              = store_path (p->s, "blobs/sha256/%s", digest_hex (img->diff_ids[i]));
          struct stat st;
          if (path == NULL || stat (path, &st) < 0)
            return berth_error (err, errno, "layer blob %s", img->diff_ids[i]);
          snprintf (layers[i].digest, sizeof (layers[i].digest), "%s", img->diff_ids[i]);
          layers[i].size = st.st_size;
        }
    }
  return 0;
}

/* Other repositories of this registry that got this image from us or
 * gave it to us: blobs can be mounted from them.  */
static char **
mount_sources (const struct berth_image *img, const struct berth_image_ref *dest)
{
  size_t n = berth_strv_len (img->repo_digests), k = 0;
  char **out = calloc (n + 1, sizeof (char *));

  for (size_t i = 0; out && i < n; i++)
    {
      cleanup_free char *repo = strndup (img->repo_digests[i], strcspn (img->repo_digests[i], "@"));
      struct berth_image_ref r;
      if (repo == NULL || berth_image_ref_parse (repo, NULL, &r, NULL) < 0)
        continue;
      if (strcmp (r.registry, dest->registry) == 0 && strcmp (r.repository, dest->repository) != 0)
        out[k++] = steal_pointer (&r.repository);
      berth_image_ref_clear (&r);
    }
  return out;
}

int
berth_image_push (struct berth_image_store *s, const char *src, const char *dest,
                  const struct berth_registry_options *o, char **digest, berth_error_t *err)
{
  struct registry_config cfg;
  struct berth_image_ref ref = { 0 };
  struct berth_image *img = NULL;
  struct push p = { .s = s };
  struct pushed_layer *layers = NULL;
  cleanup_free char *config = NULL, *manifest = NULL, *url = NULL, *scope = NULL;
  cleanup_free char *repo_digest = NULL;
  char mdigest[DIGEST_LEN + 1];
  size_t config_len;
  int ret = -1;

  if (registry_config_load (o->config_path, &cfg, err) < 0)
    return -1;
  if (berth_image_get (s, src, &img, err) < 0)
    goto out;
  if (dest == NULL && img->names[0] == NULL)
    {
      berth_error (err, 0, "image `%s` has no name to push to: give a destination", src);
      goto out;
    }
  if (berth_image_ref_parse (dest ? dest : src, cfg.default_registry, &ref, err) < 0)
    goto out;
  if (ref.digest)
    {
      berth_error (err, 0, "cannot push to a digest reference `%s`", dest ? dest : src);
      goto out;
    }
  p.repo = ref.repository;
  p.chunk = o->chunk_size > 0 ? o->chunk_size : DEFAULT_CHUNK;
  p.gzip_level = o->push_gzip;
  p.mount_from = mount_sources (img, &ref);
  p.progress = progress_new (o->out, o->progress);
  if (store_read_blob (s, img->id, &config, &config_len, err) < 0)
    goto out;
  if (reg_client_new (ref.registry, o, &cfg, &p.c, err) < 0)
    goto out;
  layers = calloc (img->n_layers + 1, sizeof (*layers));
  if (layers == NULL)
    {
      berth_error (err, ENOMEM, "push");
      goto out;
    }
  if (prepare_layers (&p, img, layers, err) < 0)
    goto out;
  for (size_t i = 0; i < img->n_layers; i++)
    if (push_blob (&p, layers[i].digest, layers[i].tmp_path, err) < 0)
      goto out;
  if (push_blob (&p, img->id, NULL, err) < 0)
    goto out;
  manifest = build_manifest (img, config_len, layers,
                             p.gzip_level > 0 ? MEDIA_OCI_LAYER_TAR "+gzip" : MEDIA_OCI_LAYER_TAR);
  if (manifest == NULL)
    {
      berth_error (err, ENOMEM, "manifest");
      goto out;
    }
  if (digest_buffer (manifest, strlen (manifest), mdigest, err) < 0)
    goto out;
  if (asprintf (&url, "/v2/%s/manifests/%s", ref.repository, ref.tag) < 0
      || (scope = scope_for (&p, NULL)) == NULL)
    {
      berth_error (err, ENOMEM, "push");
      goto out;
    }
  {
    struct reg_body body
        = { .buf = manifest, .len = strlen (manifest), .content_type = MEDIA_OCI_MANIFEST };
    struct reg_request req = { .method = "PUT", .url = url, .scope = scope, .body = &body };
    struct reg_response resp = { 0 };
    int r = reg_do (p.c, &req, &resp, NULL, err);
    reg_response_clear (&resp);
    if (r < 0)
      {
        berth_error_wrap (err, "push manifest");
        goto out;
      }
  }
  ref.digest = strdup (mdigest);
  repo_digest = berth_image_ref_familiar (&ref, true);
  if (repo_digest == NULL || image_record_repo_digest (s, img->id, repo_digest, err) < 0)
    goto out;
  progress_message (p.progress, "%s: digest: %s size: %zu", ref.tag, mdigest, strlen (manifest));
  *digest = strdup (mdigest);
  ret = *digest ? 0 : berth_error (err, ENOMEM, "push");
out:
  for (size_t i = 0; layers && img && i < img->n_layers; i++)
    if (layers[i].tmp_path)
      {
        unlink (layers[i].tmp_path);
        free (layers[i].tmp_path);
      }
  free (layers);
  progress_free (p.progress);
  reg_client_free (p.c);
  berth_strv_freep (&p.mount_from);
  berth_image_free (img);
  berth_image_ref_clear (&ref);
  registry_config_clear (&cfg);
  return ret;
}

int
berth_registry_login (const char *registry, const struct berth_registry_options *o,
                      berth_error_t *err)
{
  struct registry_config cfg;
  struct reg_client *c = NULL;
  int r;

  if (o->username == NULL || o->password == NULL)
    return berth_error (err, 0, "login: a username and a password are needed");
  if (registry_config_load (o->config_path, &cfg, err) < 0)
    return -1;
  r = reg_client_new (registry, o, &cfg, &c, err);
  if (r == 0)
    r = reg_client_check_login (c, err);
  if (r == 0)
    r = auth_file_store (o->auth_file, registry, o->username, o->password, err);
  reg_client_free (c);
  registry_config_clear (&cfg);
  return r;
}

int
berth_registry_logout (const char *registry, const struct berth_registry_options *o, bool all,
                       berth_error_t *err)
{
  int r = auth_file_remove (o->auth_file, registry, all, err);
  if (r == 0 && !all)
    return berth_error (err, 0, "not logged in to %s", registry);
  return r < 0 ? -1 : 0;
}

char *
berth_registry_auth_path (const struct berth_registry_options *o)
{
  return auth_file_path (o->auth_file);
}

int
berth_registry_catalog (const char *registry, const struct berth_registry_options *o, char ***repos,
                        berth_error_t *err)
{
  struct registry_config cfg;
  struct reg_client *c = NULL;
  struct reg_response resp = { 0 };
  struct reg_request req
      = { .method = "GET", .url = "/v2/_catalog?n=1000", .scope = "registry:catalog:*" };
  json_t *j = NULL, *v;
  size_t i;
  int r;

  if (registry_config_load (o->config_path, &cfg, err) < 0)
    return -1;
  r = reg_client_new (registry, o, &cfg, &c, err);
  if (r == 0)
    r = reg_do (c, &req, &resp, NULL, err);
  if (r == 0)
    {
      j = json_loads (resp.body ? resp.body : "", 0, NULL);
      v = json_object_get (j, "repositories");
      *repos = calloc (json_array_size (v) + 1, sizeof (char *));
      if (!json_is_array (v) || *repos == NULL)
        r = berth_error (err, 0, "%s: malformed _catalog answer", registry);
      else
        for (i = 0; i < json_array_size (v); i++)
          (*repos)[i] = strdup (json_string_value (json_array_get (v, i)) ?: "");
    }
  json_decref (j);
  reg_response_clear (&resp);
  reg_client_free (c);
  registry_config_clear (&cfg);
  return r;
}
