/* Garbage collection: with no reference counts, the content to keep is what
 * the index's images reference (config, manifest, layer blobs and layer
 * directories); everything else is removed.  Runs under the exclusive gc
 * lock, so no writer is between "blob written" and "image recorded", and
 * tmp/ holds only leftovers of crashed writers.  */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"
#include "util.h"

struct keep
{
  char **hex;
  size_t n, cap;
};

static void
keep_add (struct keep *k, const char *digest)
{
  if (!digest_valid (digest))
    return;
  if (k->n == k->cap)
    {
      size_t cap = k->cap ? k->cap * 2 : 64;
      char **n = realloc (k->hex, cap * sizeof (char *));
      if (n == NULL)
        return;
      k->hex = n;
      k->cap = cap;
    }
  k->hex[k->n] = strdup (digest_hex (digest));
  if (k->hex[k->n])
    k->n++;
}

static bool
keep_has (const struct keep *k, const char *hex)
{
  for (size_t i = 0; i < k->n; i++)
    if (strcmp (k->hex[i], hex) == 0)
      return true;
  return false;
}

/* Collect what the images reference.  Returns false when some image could
 * not be read: then nothing is removed rather than too much.  */
static bool
collect (struct berth_image_store *s, json_t *index, struct keep *k)
{
  const char *hex;
  json_t *e;

  json_object_foreach (index_images (index), hex, e)
  {
    cleanup_free char *mtext = NULL, *cfg = NULL;
    const char *mdigest = json_string_value (json_object_get (e, "manifest"));
    json_t *m, *l;
    size_t i;

    if (asprintf (&cfg, "sha256:%s", hex) < 0)
      return false;
    keep_add (k, cfg);
    keep_add (k, mdigest);
    if (store_read_blob (s, mdigest, &mtext, NULL, NULL) < 0)
      return false;
    m = json_loads (mtext, 0, NULL);
    if (m == NULL)
      return false;
    json_array_foreach (json_object_get (m, "layers"), i, l)
    {
      keep_add (k, json_string_value (json_object_get (l, "digest")));
    }
    json_decref (m);
  }
  return true;
}

static int64_t
sweep (struct berth_image_store *s, const char *dir, const struct keep *k, bool all)
{
  cleanup_free char *path = store_path (s, "%s", dir);
  cleanup_dir DIR *d = path ? opendir (path) : NULL;
  struct dirent *de;
  int64_t freed = 0;

  if (d == NULL)
    return 0;
  while ((de = readdir (d)))
    {
      cleanup_free char *p = NULL;
      struct stat st;
      if (de->d_name[0] == '.' || (!all && keep_has (k, de->d_name)))
        continue;
      if (asprintf (&p, "%s/%s", path, de->d_name) < 0 || lstat (p, &st) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        berth_remove_tree (p, NULL);
      else
        {
          if (strcmp (dir, "blobs/sha256") == 0)
            freed += st.st_size;
          unlink (p);
        }
    }
  return freed;
}

/* Short links whose layer is gone.  */
static void
sweep_links (struct berth_image_store *s)
{
  cleanup_free char *path = store_path (s, "l");
  cleanup_dir DIR *d = path ? opendir (path) : NULL;
  struct dirent *de;

  if (d == NULL)
    return;
  while ((de = readdir (d)))
    {
      struct stat st;
      if (de->d_name[0] != '.' && fstatat (dirfd (d), de->d_name, &st, 0) < 0 && errno == ENOENT)
        unlinkat (dirfd (d), de->d_name, 0);
    }
}

int64_t
store_gc (struct berth_image_store *s, json_t *index)
{
  struct keep k = { 0 };
  int64_t freed = 0;

  if (collect (s, index, &k))
    {
      freed += sweep (s, "blobs/sha256", &k, false);
      sweep (s, "layers", &k, false);
      sweep (s, "init", &k, false);
      sweep_links (s);
      sweep (s, "tmp", &k, true);
    }
  for (size_t i = 0; i < k.n; i++)
    free (k.hex[i]);
  free (k.hex);
  return freed;
}

void
store_gc_now (struct berth_image_store *s)
{
  cleanup_close int gc_lock = store_lock (s, "gc", true, NULL);
  cleanup_close int lock = -1;
  json_t *index = NULL;

  if (gc_lock < 0)
    return;
  lock = store_lock (s, "index", true, NULL);
  if (lock >= 0 && index_read (s, &index, NULL) == 0)
    store_gc (s, index);
  json_decref (index);
}
