/* berth pull: resolve a reference to a manifest (through a manifest list or
 * OCI index for the platform asked), fetch its config, then its layers in
 * parallel, each decompressed and unpacked while it downloads
 * (layer_stream.c), and record the image under its name and repo digest.
 *
 * Layers are known by the diffIDs in the config: one already in the store
 * is not fetched.  A per-layer lock (tmp/pull-<hex>.lock) makes concurrent
 * pulls of images that share a layer fetch it once.  The compressed bytes
 * are also kept in tmp/partial-<hex> while they arrive: a broken connection
 * is resumed with Range in the same pull, and a pull killed and started
 * again resumes from that file.  A digest mismatch, a truncated download
 * or a malformed manifest is an error that leaves no blob, layer or name
 * behind (layers that were complete and verified may stay, unreferenced,
 * until the next garbage collection; a later pull reuses them).  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "registry.h"
#include "util.h"

#define MAX_PARALLEL 4
#define MAX_RETRIES 5

static const char *const manifest_accept[]
    = { "Accept: " MEDIA_OCI_MANIFEST ", " MEDIA_DOCKER_MANIFEST ", " MEDIA_OCI_INDEX
        ", " MEDIA_DOCKER_LIST,
        NULL };

struct layer_job
{
  const char *digest; /* compressed, from the manifest */
  const char *diff_id;
  int64_t size;
  int line;
  bool present;
};

struct pull
{
  struct berth_image_store *s;
  struct reg_client *c;
  const char *repo;
  char *scope;
  struct progress *progress;
  struct layer_job *jobs;
  size_t n_jobs;
  pthread_mutex_t mu;
  size_t next;
  berth_error_t err; /* the first failure */
};

static int
fetch_document (struct pull *p, const char *kind, const char *ref, char **body, size_t *len,
                char **content_type, berth_error_t *err)
{
  cleanup_free char *url = NULL;
  struct reg_response resp = { 0 };
  struct reg_request req = { .method = "GET", .scope = p->scope, .follow = true };
  bool manifest = strcmp (kind, "manifests") == 0;

  if (asprintf (&url, "/v2/%s/%s/%s", p->repo, kind, ref) < 0)
    return berth_error (err, ENOMEM, "pull");
  req.url = url;
  req.headers = manifest ? manifest_accept : NULL;
  if (reg_do (p->c, &req, &resp, NULL, err) < 0)
    {
      if (resp.status == 404 && manifest)
        {
          reg_response_clear (&resp);
          return berth_error (err, 0, "%s/%s:%s: manifest unknown (not found)",
                              reg_client_host (p->c), p->repo, ref);
        }
      reg_response_clear (&resp);
      return -1;
    }
  *body = resp.body ? resp.body : strdup ("");
  *len = resp.body_len;
  resp.body = NULL;
  if (content_type)
    {
      *content_type = resp.content_type;
      resp.content_type = NULL;
    }
  reg_response_clear (&resp);
  return *body ? 0 : berth_error (err, ENOMEM, "pull");
}

/* Fetch a document that must have digest `digest` (manifests by digest,
 * configs).  */
static int
fetch_verified (struct pull *p, const char *kind, const char *digest, char **body, size_t *len,
                char **content_type, berth_error_t *err)
{
  char got[DIGEST_LEN + 1];
  if (fetch_document (p, kind, digest, body, len, content_type, err) < 0)
    return -1;
  if (digest_buffer (*body, *len, got, err) < 0)
    return -1;
  if (strcmp (got, digest) != 0)
    {
      free (*body);
      *body = NULL;
      return berth_error (err, 0, "%s digest mismatch: expected %s, got %s",
                          strcmp (kind, "blobs") == 0 ? "config" : "manifest", digest, got);
    }
  return 0;
}

/* Check the manifest's shape and build the layer jobs from it and the
 * config's diffIDs.  */
static int
plan_layers (struct pull *p, json_t *manifest, json_t *config, berth_error_t *err)
{
  json_t *layers = json_object_get (manifest, "layers");
  json_t *diffs = json_object_get (json_object_get (config, "rootfs"), "diff_ids");
  size_t i;
  json_t *l;

  if (manifest_check_layers (manifest, config, err) < 0)
    return -1;
  p->n_jobs = json_array_size (layers);
  p->jobs = calloc (p->n_jobs + 1, sizeof (*p->jobs));
  if (p->jobs == NULL)
    return berth_error (err, ENOMEM, "pull");
  json_array_foreach (layers, i, l)
  {
    struct layer_job *j = &p->jobs[i];
    j->digest = json_string_value (json_object_get (l, "digest"));
    j->diff_id = json_string_value (json_array_get (diffs, i));
    j->size = json_integer_value (json_object_get (l, "size"));
    j->line = -1;
  }
  return 0;
}

static bool
layer_present (struct berth_image_store *s, const char *diff_id)
{
  cleanup_free char *dir = layer_dir (s, diff_id);
  cleanup_free char *blob = store_path (s, "blobs/sha256/%s", digest_hex (diff_id));
  struct stat st;
  return dir && blob && stat (dir, &st) == 0 && stat (blob, &st) == 0;
}

struct download
{
  struct pull *p;
  struct layer_job *j;
  struct layer_stream *ls;
  int partial_fd;
  int64_t partial_len; /* bytes in the partial file when the pull began */
  int64_t received;    /* bytes given to the stream */
  bool first_chunk;
  berth_error_t err;
};

static int
feed_partial (struct download *d)
{
  char buf[1 << 16];
  int64_t off = 0;
  while (off < d->partial_len)
    {
      ssize_t n = pread (d->partial_fd, buf,
                         d->partial_len - off < (int64_t)sizeof (buf) ? d->partial_len - off
                                                                      : (int64_t)sizeof (buf),
                         off);
      if (n <= 0)
        return berth_error (&d->err, n < 0 ? errno : 0, "read the partial layer");
      if (layer_stream_write (d->ls, buf, n, &d->err) < 0)
        return -1;
      off += n;
    }
  d->received = d->partial_len;
  return 0;
}

static int
on_blob (void *data, long status, const void *buf, size_t len)
{
  struct download *d = data;

  if (d->first_chunk)
    {
      d->first_chunk = false;
      if (status == 206 && d->partial_len > 0 && d->received == 0)
        {
          progress_set (d->p->progress, d->j->line, "Resuming");
          if (feed_partial (d) < 0)
            return -1;
        }
      else if (status == 200 && d->received > 0)
        {
          /* The server ignored Range: start the layer over.  */
          layer_stream_abort (d->ls);
          d->ls = NULL;
          d->received = 0;
          if (ftruncate (d->partial_fd, 0) < 0
              || layer_stream_open (d->p->s, d->j->digest, d->j->diff_id, &d->ls, &d->err) < 0)
            return -1;
        }
      else if (status == 200 && d->partial_len > 0)
        {
          if (ftruncate (d->partial_fd, 0) < 0)
            return berth_error (&d->err, errno, "truncate the partial layer");
          d->partial_len = 0;
        }
      progress_set (d->p->progress, d->j->line, "Downloading");
    }
  if (d->received + (int64_t)len > d->j->size)
    return berth_error (&d->err, 0, "layer %.19s: more bytes than its size (%lld)", d->j->digest,
                        (long long)d->j->size);
  if (pwrite (d->partial_fd, buf, len, d->received) != (ssize_t)len)
    return berth_error (&d->err, errno, "write the partial layer");
  if (layer_stream_write (d->ls, buf, len, &d->err) < 0)
    return -1;
  d->received += len;
  progress_bytes (d->p->progress, d->j->line, d->received);
  return 0;
}

static int
download_layer (struct pull *p, struct layer_job *j, berth_error_t *err)
{
  cleanup_free char *partial = store_path (p->s, "tmp/partial-%s", digest_hex (j->digest));
  cleanup_free char *url = NULL;
  struct download d = { .p = p, .j = j, .partial_fd = -1 };
  char diff[DIGEST_LEN + 1];
  struct stat st;
  int ret = -1;

  if (partial == NULL || asprintf (&url, "/v2/%s/blobs/%s", p->repo, j->digest) < 0)
    return berth_error (err, ENOMEM, "pull");
  d.partial_fd = open (partial, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (d.partial_fd < 0 || fstat (d.partial_fd, &st) < 0)
    return berth_error (err, errno, "open `%s`", partial);
  d.partial_len = st.st_size > j->size ? 0 : st.st_size;
  if (layer_stream_open (p->s, j->digest, j->diff_id, &d.ls, err) < 0)
    goto out;
  if (d.partial_len == j->size && j->size > 0)
    {
      if (feed_partial (&d) < 0)
        {
          *err = steal_pointer (&d.err);
          goto out;
        }
    }
  for (int attempt = 0; d.received < j->size || (j->size == 0 && attempt == 0); attempt++)
    {
      struct reg_request req = { .method = "GET",
                                 .url = url,
                                 .scope = p->scope,
                                 .follow = true,
                                 .sink = on_blob,
                                 .sink_data = &d };
      struct reg_response resp = { 0 };
      int r;

      req.range_from = attempt == 0 ? d.partial_len : d.received;
      d.first_chunk = true;
      r = reg_do (p->c, &req, &resp, NULL, err);
      if (r == 0 && d.first_chunk && d.partial_len > 0 && d.received == 0 && resp.status == 206)
        r = feed_partial (&d); /* nothing more came: the file was whole */
      if (r < 0 && d.err)
        {
          berth_error_release (err);
          *err = steal_pointer (&d.err);
          reg_response_clear (&resp);
          goto out;
        }
      if (r < 0 && !(reg_error_is_transient (resp.curl_code) && attempt < MAX_RETRIES))
        {
          reg_response_clear (&resp);
          goto out;
        }
      reg_response_clear (&resp);
      if (r < 0)
        {
          berth_error_release (err);
          progress_set (p->progress, j->line, "Retrying");
          berth_sleep_ms (200 * (attempt + 1));
          continue;
        }
      if (d.received < j->size)
        {
          berth_error (err, 0, "layer %.19s: truncated: got %lld of %lld bytes", j->digest,
                       (long long)d.received, (long long)j->size);
          goto out;
        }
    }
  progress_set (p->progress, j->line, "Verifying");
  {
    struct layer_stream *ls = steal_pointer (&d.ls);
    int r = layer_stream_finish (ls, diff, err);
    /* Verified or wrong, the bytes are never resumed from again.  */
    unlink (partial);
    if (r < 0)
      goto out;
  }
  progress_set (p->progress, j->line, "Pull complete");
  ret = 0;
out:
  layer_stream_abort (d.ls);
  berth_error_release (&d.err);
  if (d.partial_fd >= 0)
    close (d.partial_fd);
  return ret;
}

static int
pull_one (struct pull *p, struct layer_job *j, berth_error_t *err)
{
  cleanup_free char *lock_path = store_path (p->s, "tmp/pull-%s.lock", digest_hex (j->digest));
  cleanup_close int lock = -1;

  if (lock_path == NULL)
    return berth_error (err, ENOMEM, "pull");
  lock = open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0)
    return berth_error (err, errno, "open `%s`", lock_path);
  while (flock (lock, LOCK_EX) < 0)
    if (errno != EINTR)
      return berth_error (err, errno, "lock `%s`", lock_path);
  /* Another pull may have brought it while we waited.  */
  if (layer_present (p->s, j->diff_id))
    {
      progress_set (p->progress, j->line, "Already exists");
      return 0;
    }
  return download_layer (p, j, err);
}

static void *
worker (void *data)
{
  struct pull *p = data;
  for (;;)
    {
      berth_error_t e = NULL;
      struct layer_job *j = NULL;

      pthread_mutex_lock (&p->mu);
      while (p->next < p->n_jobs && p->err == NULL)
        {
          j = &p->jobs[p->next++];
          if (!j->present)
            break;
          j = NULL;
        }
      pthread_mutex_unlock (&p->mu);
      if (j == NULL)
        return NULL;
      if (pull_one (p, j, &e) < 0)
        {
          pthread_mutex_lock (&p->mu);
          if (p->err == NULL)
            p->err = e;
          else
            berth_error_release (&e);
          pthread_mutex_unlock (&p->mu);
        }
    }
}

static int
fetch_layers (struct pull *p, berth_error_t *err)
{
  pthread_t threads[MAX_PARALLEL];
  size_t n_threads = 0, todo = 0;

  for (size_t i = 0; i < p->n_jobs; i++)
    {
      struct layer_job *j = &p->jobs[i];
      j->line = progress_add (p->progress, j->digest, j->size);
      j->present = layer_present (p->s, j->diff_id);
      progress_set (p->progress, j->line, j->present ? "Already exists" : "Waiting");
      todo += !j->present;
    }
  for (size_t i = 0; i < MAX_PARALLEL && i < todo; i++)
    if (pthread_create (&threads[n_threads], NULL, worker, p) == 0)
      n_threads++;
  if (todo > 0 && n_threads == 0)
    return berth_error (err, errno, "start the downloads");
  for (size_t i = 0; i < n_threads; i++)
    pthread_join (threads[i], NULL);
  if (p->err)
    {
      *err = steal_pointer (&p->err);
      return -1;
    }
  return 0;
}

/* Record repo@digest on the image (what `images --digests` shows), taking
 * it from any other image that had it (a tag moved on the registry).  */
static int
add_repo_digest (struct berth_image_store *s, const char *id, const char *repo_digest,
                 berth_error_t *err)
{
  cleanup_close int lock = store_lock (s, "index", true, err);
  json_t *index = NULL, *e, *digests, *x;
  size_t i;
  int r = -1;

  if (lock < 0 || index_read (s, &index, err) < 0)
    return -1;
  e = json_object_get (index_images (index), digest_hex (id));
  if (e == NULL)
    {
      r = berth_error (err, 0, "image %.19s vanished", id);
      goto out;
    }
  digests = json_object_get (e, "digests");
  if (!json_is_array (digests))
    json_object_set_new (e, "digests", digests = json_array ());
  /* And the digest belongs to this image only.  */
  {
    const char *k;
    json_t *o;
    json_object_foreach (index_images (index), k, o)
    {
      json_array_foreach (json_object_get (o, "digests"), i, x)
      {
        if (strcmp (json_string_value (x), repo_digest) == 0)
          {
            json_array_remove (json_object_get (o, "digests"), i);
            break;
          }
      }
    }
  }
  json_array_append_new (digests, json_string (repo_digest));
  r = index_write (s, index, err);
out:
  json_decref (index);
  return r;
}

int
image_record_repo_digest (struct berth_image_store *s, const char *id, const char *repo_digest,
                          berth_error_t *err)
{
  return add_repo_digest (s, id, repo_digest, err);
}

/* Manifest (resolved through an index), then config, then layers.  */
static int
pull_from (struct pull *p, const struct berth_image_ref *ref,
           const struct berth_registry_options *o, char **id, berth_error_t *err)
{
  cleanup_free char *body = NULL, *ctype = NULL, *config_text = NULL, *familiar = NULL;
  cleanup_free char *repo_digest = NULL;
  cleanup_strv char **diff_ids = NULL;
  char manifest_digest[DIGEST_LEN + 1], top_digest[DIGEST_LEN + 1];
  json_t *doc = NULL, *config = NULL;
  const char *config_digest;
  bool is_index = false;
  size_t len, clen;
  int ret = -1, gc_lock = -1;
  struct berth_image_ref named = *ref;

  if (ref->digest)
    {
      if (fetch_verified (p, "manifests", ref->digest, &body, &len, &ctype, err) < 0)
        return -1;
    }
  else if (fetch_document (p, "manifests", ref->tag, &body, &len, &ctype, err) < 0)
    return -1;
  if (digest_buffer (body, len, manifest_digest, err) < 0)
    return -1;
  /* The digest to pull this again by: the list's, when it is a list.  */
  memcpy (top_digest, manifest_digest, sizeof (top_digest));
  if (manifest_parse (body, len, ctype, &doc, &is_index, err) < 0)
    goto out;
  if (is_index)
    {
      const char *d = NULL;
      if (manifest_choose_platform (doc, o->platform, &d, err) < 0)
        goto out;
      snprintf (manifest_digest, sizeof (manifest_digest), "%s", d);
      free (body);
      free (ctype);
      body = ctype = NULL;
      json_decref (doc);
      doc = NULL;
      if (fetch_verified (p, "manifests", manifest_digest, &body, &len, &ctype, err) < 0
          || manifest_parse (body, len, ctype, &doc, &is_index, err) < 0)
        goto out;
      if (is_index)
        {
          berth_error (err, 0, "malformed index: entry %.19s is an index too", manifest_digest);
          goto out;
        }
    }
  config_digest = json_string_value (json_object_get (json_object_get (doc, "config"), "digest"));
  if (fetch_verified (p, "blobs", config_digest, &config_text, &clen, NULL, err) < 0)
    goto out;
  config = json_loadb (config_text, clen, 0, NULL);
  if (!json_is_object (config))
    {
      berth_error (err, 0, "malformed image config %.19s", config_digest);
      goto out;
    }
  if (plan_layers (p, doc, config, err) < 0)
    goto out;

  gc_lock = store_lock (p->s, "gc", false, err);
  if (gc_lock < 0 || fetch_layers (p, err) < 0)
    goto out;
  diff_ids = calloc (p->n_jobs + 1, sizeof (char *));
  for (size_t i = 0; diff_ids && i < p->n_jobs; i++)
    diff_ids[i] = strdup (p->jobs[i].diff_id);
  named.digest = top_digest;
  familiar = ref->tag ? berth_image_ref_familiar (ref, false) : NULL;
  repo_digest = berth_image_ref_familiar (&named, true);
  if (diff_ids == NULL || repo_digest == NULL || (ref->tag && familiar == NULL))
    {
      berth_error (err, ENOMEM, "pull");
      goto out;
    }
  {
    char *names[] = { familiar, NULL };
    if (store_commit_image (p->s, config_text, clen, diff_ids, familiar ? names : NULL, id, err)
        < 0)
      goto out;
  }
  if (add_repo_digest (p->s, *id, repo_digest, err) < 0)
    goto out;
  progress_message (p->progress, "Digest: %s", top_digest);
  ret = 0;
out:
  if (gc_lock >= 0)
    close (gc_lock);
  json_decref (doc);
  json_decref (config);
  return ret;
}

/* What a pull killed with SIGKILL left in tmp/ (a half-written blob, a
 * half-unpacked layer) goes when no other writer is at work, at the start
 * of the next pull; the partial downloads and their locks stay, to resume.  */
static void
sweep_stale_tmp (struct berth_image_store *s)
{
  cleanup_free char *lock_path = store_path (s, "gc.lock");
  cleanup_free char *tmp = store_path (s, "tmp");
  cleanup_close int lock = -1;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (lock_path == NULL || tmp == NULL)
    return;
  lock = open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0 || flock (lock, LOCK_EX | LOCK_NB) < 0)
    return;
  d = opendir (tmp);
  while (d && (de = readdir (d)))
    {
      cleanup_free char *p = NULL;
      if (strncmp (de->d_name, "blob-", 5) != 0 && strncmp (de->d_name, "dir-", 4) != 0)
        continue;
      if (asprintf (&p, "%s/%s", tmp, de->d_name) < 0)
        continue;
      if (de->d_name[0] == 'd')
        berth_remove_tree (p, NULL);
      else
        unlink (p);
    }
}

int
berth_image_pull (struct berth_image_store *s, const char *name,
                  const struct berth_registry_options *o, char **id, berth_error_t *err)
{
  struct registry_config cfg;
  struct berth_image_ref ref;
  json_t *mirrors, *m;
  size_t i, n_hosts;
  int ret = -1;

  if (registry_config_load (o->config_path, &cfg, err) < 0)
    return -1;
  if (berth_image_ref_parse (name, cfg.default_registry, &ref, err) < 0)
    {
      registry_config_clear (&cfg);
      return -1;
    }
  sweep_stale_tmp (s);
  /* The mirrors first, then the registry itself.  */
  mirrors = registry_config_mirrors (&cfg, ref.registry);
  n_hosts = json_array_size (mirrors) + 1;
  for (i = 0; i < n_hosts; i++)
    {
      const char *host = i + 1 < n_hosts && (m = json_array_get (mirrors, i))
                             ? json_string_value (m)
                             : ref.registry;
      struct pull p = { .s = s, .repo = ref.repository };
      berth_error_t e = NULL;

      if (host == NULL)
        continue;
      pthread_mutex_init (&p.mu, NULL);
      if (asprintf (&p.scope, "repository:%s:pull", ref.repository) < 0)
        p.scope = NULL;
      p.progress = progress_new (o->out, o->progress);
      if (p.scope == NULL)
        berth_error (&e, ENOMEM, "pull");
      else
        {
          progress_message (p.progress, "Pulling %s from %s", name, host);
          if (reg_client_new (host, o, &cfg, &p.c, &e) == 0)
            ret = pull_from (&p, &ref, o, id, &e);
        }
      progress_free (p.progress);
      reg_client_free (p.c);
      free (p.scope);
      free (p.jobs);
      berth_error_release (&p.err);
      pthread_mutex_destroy (&p.mu);
      berth_error_release (err);
      if (ret == 0)
        break;
      /* A mirror that failed is said in the progress, then the next is tried;
       * the last endpoint's error is the one reported.  */
      if (i + 1 < n_hosts && o->progress && o->out && e)
        fprintf (o->out, "%s: %s\n", host, berth_error_message (e));
      *err = e;
    }
  berth_image_ref_clear (&ref);
  registry_config_clear (&cfg);
  return ret;
}
