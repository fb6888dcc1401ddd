/* Named volumes: the store under ROOT/volumes, their records, removal and
 * prune, the resolver the spec builder calls, and Docker's copy-up of the
 * image's content into an empty volume (see volumes.h).  */
#include "engine/volumes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "engine/copy_tree.h"
#include "engine/engine_error.h"
#include "linux/rootfs/resolve.h"
#include "util.h"

#define RECORD_FILE "volume.json"
#define DATA_DIR "_data"
#define COPYUP_DIR "_copyup"
#define TMP_PREFIX ".tmp-"
#define TRASH_PREFIX ".trash-"

struct berth_volume_store
{
  char *path; /* ROOT/volumes */
  int fd;
  berth_volume_in_use_fn in_use;
  void *in_use_data;
};

int
berth_volume_store_open (const char *root, struct berth_volume_store **out, berth_error_t *err)
{
  struct berth_volume_store *s = calloc (1, sizeof (*s));

  if (s == NULL || asprintf (&s->path, "%s/volumes", root) < 0)
    {
      free (s);
      return berth_error (err, ENOMEM, "open volume store");
    }
  if (berth_mkdir_p (s->path, 0700, err) < 0)
    goto fail;
  {
    /* Mountpoints are absolute, as the mounts need them.  */
    char *abs = realpath (s->path, NULL);
    if (abs == NULL)
      {
        berth_error (err, errno, "open `%s`", s->path);
        goto fail;
      }
    free (s->path);
    s->path = abs;
  }
  s->fd = open (s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->fd < 0)
    {
      berth_error (err, errno, "open `%s`", s->path);
      goto fail;
    }
  *out = s;
  return 0;
fail:
  free (s->path);
  free (s);
  return -1;
}

void
berth_volume_store_close (struct berth_volume_store *s)
{
  if (s == NULL)
    return;
  close (s->fd);
  free (s->path);
  free (s);
}

void
berth_volume_store_set_in_use (struct berth_volume_store *s, berth_volume_in_use_fn fn, void *data)
{
  s->in_use = fn;
  s->in_use_data = data;
}

bool
berth_volume_valid_name (const char *name)
{
  size_t n = name ? strlen (name) : 0;

  if (n < 2 || n > 255)
    return false;
  for (size_t i = 0; i < n; i++)
    {
      char c = name[i];
      bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
        return false;
    }
  return true;
}

void
berth_volume_free (struct berth_volume *v)
{
  if (v == NULL)
    return;
  free (v->name);
  free (v->mountpoint);
  free (v->created_at);
  json_decref (v->labels);
  json_decref (v->options);
  free (v);
}

void
berth_volume_list_free (struct berth_volume **list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    berth_volume_free (list[i]);
  free (list);
}

/* The store lock: creation and removal are serialized, so a name is never
 * made and removed at once and stale temporaries are cleared safely.  */
static int
lock_store (struct berth_volume_store *s, berth_error_t *err)
{
  int fd = openat (s->fd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

  if (fd < 0)
    return berth_error (err, errno, "open `%s/.lock`", s->path);
  while (flock (fd, LOCK_EX) < 0)
    if (errno != EINTR)
      {
        int e = errno;
        close (fd);
        return berth_error (err, e, "lock `%s/.lock`", s->path);
      }
  return fd;
}

static int
lock_volume (struct berth_volume_store *s, const char *name, bool nonblock, berth_error_t *err)
{
  cleanup_free char *rel = NULL;
  int fd;

  if (asprintf (&rel, "%s/lock", name) < 0)
    return berth_error (err, ENOMEM, "lock volume %s", name);
  fd = openat (s->fd, rel, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return berth_error (err, errno, "lock volume %s", name);
  while (flock (fd, LOCK_EX | (nonblock ? LOCK_NB : 0)) < 0)
    if (errno != EINTR)
      {
        int e = errno;
        close (fd);
        return berth_error (err, e, "lock volume %s", name);
      }
  return fd;
}

static struct berth_volume *
volume_from_json (struct berth_volume_store *s, const char *name, json_t *j)
{
  struct berth_volume *v = calloc (1, sizeof (*v));
  const char *created = json_string_value (json_object_get (j, "CreatedAt"));
  json_t *labels = json_object_get (j, "Labels"), *options = json_object_get (j, "Options");

  if (v == NULL)
    return NULL;
  v->name = strdup (name);
  v->created_at = strdup (created ? created : "");
  v->labels = json_is_object (labels) ? json_incref (labels) : json_object ();
  v->options = json_is_object (options) ? json_incref (options) : json_object ();
  v->anonymous = json_object_get (v->labels, BERTH_VOLUME_ANONYMOUS_LABEL) != NULL;
  if (v->name == NULL || v->created_at == NULL
      || asprintf (&v->mountpoint, "%s/%s/" DATA_DIR, s->path, name) < 0)
    {
      v->mountpoint = NULL;
      berth_volume_free (v);
      return NULL;
    }
  return v;
}

json_t *
berth_volume_inspect_json (const struct berth_volume *v)
{
  return json_pack ("{s:s, s:s, s:s, s:s, s:O, s:O, s:s}", "CreatedAt", v->created_at, "Driver",
                    "local", "Mountpoint", v->mountpoint, "Name", v->name, "Labels", v->labels,
                    "Options", v->options, "Scope", "local");
}

int
berth_volume_get (struct berth_volume_store *s, const char *name, struct berth_volume **out,
                  berth_error_t *err)
{
  cleanup_free char *rel = NULL, *text = NULL;
  cleanup_close int fd = -1;
  json_error_t jerr;
  json_t *j;

  if (!berth_volume_valid_name (name))
    return berth_engine_error (err, ENOENT, "no such volume: %s", name);
  if (asprintf (&rel, "%s/" RECORD_FILE, name) < 0)
    return berth_error (err, ENOMEM, "volume %s", name);
  fd = openat (s->fd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT)
    return berth_engine_error (err, ENOENT, "no such volume: %s", name);
  if (fd < 0)
    return berth_error (err, errno, "open `%s/%s`", s->path, rel);
  if (berth_read_fd (fd, &text, NULL, err) < 0)
    return berth_error_wrap (err, "volume %s", name);
  j = json_loads (text, 0, &jerr);
  if (!json_is_object (j))
    {
      json_decref (j);
      return berth_error (err, 0, "volume %s: invalid record: %s", name, jerr.text);
    }
  *out = volume_from_json (s, name, j);
  json_decref (j);
  return *out ? 0 : berth_error (err, ENOMEM, "volume %s", name);
}

static int
random_name (char buf[65], berth_error_t *err)
{
  unsigned char bytes[32];

  if (getrandom (bytes, sizeof (bytes), 0) != sizeof (bytes))
    return berth_error (err, errno, "getrandom");
  for (size_t i = 0; i < sizeof (bytes); i++)
    snprintf (buf + 2 * i, 3, "%02x", bytes[i]);
  return 0;
}

static void
rfc3339_now (char buf[40])
{
  struct timespec ts;
  struct tm tm;

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Remove a directory under the store by name (a temporary or trash one).  */
static int
remove_entry (struct berth_volume_store *s, const char *entry, berth_error_t *err)
{
  cleanup_free char *p = NULL;

  if (asprintf (&p, "%s/%s", s->path, entry) < 0)
    return berth_error (err, ENOMEM, "remove `%s`", entry);
  return berth_remove_tree (p, err);
}

/* Clear what crashed commands left (under the store lock).  */
static void
clear_stale (struct berth_volume_store *s)
{
  cleanup_dir DIR *d = berth_opendir_at (s->fd, ".");
  struct dirent *de;

  if (d == NULL)
    return;
  while ((de = readdir (d)) != NULL)
    if (strncmp (de->d_name, TMP_PREFIX, strlen (TMP_PREFIX)) == 0
        || strncmp (de->d_name, TRASH_PREFIX, strlen (TRASH_PREFIX)) == 0)
      {
        berth_error_t ignored = NULL;
        if (remove_entry (s, de->d_name, &ignored) < 0)
          berth_error_release (&ignored);
      }
}

static int
write_new_volume (struct berth_volume_store *s, const char *name, json_t *labels,
                  berth_error_t *err)
{
  cleanup_free char *tmp = NULL, *tmp_path = NULL, *text = NULL, *data = NULL;
  cleanup_close int dfd = -1, lfd = -1;
  char created[40];
  json_t *rec;

  rfc3339_now (created);
  if (asprintf (&tmp, TMP_PREFIX "%s", name) < 0 || asprintf (&tmp_path, "%s/%s", s->path, tmp) < 0
      || asprintf (&data, "%s/%s/" DATA_DIR, s->path, name) < 0)
    return berth_error (err, ENOMEM, "create volume %s", name);
  if (mkdirat (s->fd, tmp, 0700) < 0)
    return berth_error (err, errno, "create volume %s", name);
  dfd = openat (s->fd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0 || mkdirat (dfd, DATA_DIR, 0755) < 0)
    return berth_error (err, errno, "create volume %s", name);
  lfd = openat (dfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lfd < 0)
    return berth_error (err, errno, "create volume %s", name);
  rec = json_pack ("{s:s, s:s, s:s, s:s, s:O, s:{}}", "Name", name, "Driver", "local", "Mountpoint",
                   data, "CreatedAt", created, "Labels", labels, "Options");
  text = rec ? json_dumps (rec, JSON_INDENT (2) | JSON_SORT_KEYS) : NULL;
  json_decref (rec);
  if (text == NULL)
    return berth_error (err, ENOMEM, "create volume %s", name);
  {
    cleanup_free char *rp = NULL;
    if (asprintf (&rp, "%s/" RECORD_FILE, tmp_path) < 0)
      return berth_error (err, ENOMEM, "create volume %s", name);
    if (berth_write_file_atomic (rp, text, strlen (text), 0600, err) < 0)
      return berth_error_wrap (err, "create volume %s", name);
  }
  if (fsync (dfd) < 0 || renameat (s->fd, tmp, s->fd, name) < 0 || fsync (s->fd) < 0)
    return berth_error (err, errno, "create volume %s", name);
  return 0;
}

int
berth_volume_create (struct berth_volume_store *s, const char *name, json_t *labels,
                     struct berth_volume **out, berth_error_t *err)
{
  cleanup_close int lock = -1;
  char anon[65];
  json_t *l;
  struct stat st;
  int r;

  if (name && !berth_volume_valid_name (name))
    return berth_engine_error (err, EINVAL,
                               "invalid volume name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
                               "allowed",
                               name);
  l = labels ? json_deep_copy (labels) : json_object ();
  if (l == NULL)
    return berth_error (err, ENOMEM, "create volume");
  if (name == NULL)
    {
      if (random_name (anon, err) < 0)
        {
          json_decref (l);
          return -1;
        }
      name = anon;
      json_object_set_new (l, BERTH_VOLUME_ANONYMOUS_LABEL, json_string (""));
    }
  lock = lock_store (s, err);
  if (lock < 0)
    {
      json_decref (l);
      return -1;
    }
  clear_stale (s);
  if (fstatat (s->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    r = 0; /* Docker: creating an existing volume returns it */
  else
    r = write_new_volume (s, name, l, err);
  json_decref (l);
  if (r < 0)
    {
      berth_error_t ignored = NULL;
      cleanup_free char *tmp = NULL;
      if (asprintf (&tmp, TMP_PREFIX "%s", name) >= 0 && remove_entry (s, tmp, &ignored) < 0)
        berth_error_release (&ignored);
      return -1;
    }
  if (out == NULL)
    return 0;
  return berth_volume_get (s, name, out, err);
}

static int
compare_volumes (const void *a, const void *b)
{
  return strcmp ((*(struct berth_volume *const *)a)->name,
                 (*(struct berth_volume *const *)b)->name);
}

int
berth_volume_list (struct berth_volume_store *s, struct berth_volume ***out, size_t *n,
                   berth_error_t *err)
{
  cleanup_dir DIR *d = berth_opendir_at (s->fd, ".");
  struct berth_volume **list = NULL;
  size_t count = 0;
  struct dirent *de;

  if (d == NULL)
    return berth_error (err, errno, "open `%s`", s->path);
  while ((de = readdir (d)) != NULL)
    {
      struct berth_volume *v, **grown;
      berth_error_t e = NULL;

      if (de->d_name[0] == '.')
        continue; /* ".lock", temporaries and trash */
      if (berth_volume_get (s, de->d_name, &v, &e) < 0)
        {
          /* Removed meanwhile, or not a volume: not listed.  */
          berth_error_release (&e);
          continue;
        }
      grown = realloc (list, (count + 1) * sizeof (*list));
      if (grown == NULL)
        {
          berth_volume_free (v);
          berth_volume_list_free (list, count);
          return berth_error (err, ENOMEM, "list volumes");
        }
      list = grown;
      list[count++] = v;
    }
  if (count > 1)
    qsort (list, count, sizeof (*list), compare_volumes);
  *out = list;
  *n = count;
  return 0;
}

static bool
in_use (struct berth_volume_store *s, const char *name)
{
  return s->in_use && s->in_use (name, s->in_use_data);
}

/* Under the store lock: move NAME to the trash (atomic: it is gone for every
 * other command), then remove the tree.  */
static int
remove_locked (struct berth_volume_store *s, const char *name, berth_error_t *err)
{
  cleanup_close int vlock = lock_volume (s, name, true, err);
  cleanup_free char *trash = NULL;

  if (vlock < 0)
    {
      if ((*err)->status == EWOULDBLOCK)
        {
          berth_error_release (err);
          return berth_engine_error (err, EBUSY, "remove %s: volume is in use", name);
        }
      return -1;
    }
  if (asprintf (&trash, TRASH_PREFIX "%s", name) < 0)
    return berth_error (err, ENOMEM, "remove volume %s", name);
  if (renameat (s->fd, name, s->fd, trash) < 0)
    return berth_error (err, errno, "remove volume %s", name);
  return remove_entry (s, trash, err);
}

int
berth_volume_remove (struct berth_volume_store *s, const char *name, bool force, berth_error_t *err)
{
  cleanup_close int lock = -1;
  struct berth_volume *v = NULL;

  lock = lock_store (s, err);
  if (lock < 0)
    return -1;
  if (berth_volume_get (s, name, &v, err) < 0)
    {
      if (force && (*err)->status == ENOENT)
        {
          berth_error_release (err);
          return 0;
        }
      return -1;
    }
  berth_volume_free (v);
  if (in_use (s, name))
    return berth_engine_error (err, EBUSY, "remove %s: volume is in use", name);
  return remove_locked (s, name, err);
}

static long long tree_bytes;

static int
add_size (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  if (flag == FTW_F)
    tree_bytes += (long long)st->st_blocks * 512;
  return 0;
}

int
berth_volume_prune (struct berth_volume_store *s, bool all, char ***removed, long long *reclaimed,
                    berth_error_t *err)
{
  cleanup_close int lock = -1;
  struct berth_volume **list = NULL;
  size_t n = 0, k = 0;
  char **names;

  *removed = NULL;
  *reclaimed = 0;
  lock = lock_store (s, err);
  if (lock < 0)
    return -1;
  clear_stale (s);
  if (berth_volume_list (s, &list, &n, err) < 0)
    return -1;
  names = calloc (n + 1, sizeof (*names));
  if (names == NULL)
    {
      berth_volume_list_free (list, n);
      return berth_error (err, ENOMEM, "prune volumes");
    }
  for (size_t i = 0; i < n; i++)
    {
      berth_error_t e = NULL;

      if ((!all && !list[i]->anonymous) || in_use (s, list[i]->name))
        continue;
      tree_bytes = 0;
      nftw (list[i]->mountpoint, add_size, 16, FTW_PHYS | FTW_MOUNT);
      if (remove_locked (s, list[i]->name, &e) < 0)
        {
          /* Busy meanwhile (a copy-up): kept, as Docker keeps volumes in use.  */
          berth_error_release (&e);
          continue;
        }
      *reclaimed += tree_bytes;
      names[k++] = strdup (list[i]->name);
    }
  berth_volume_list_free (list, n);
  *removed = names;
  return 0;
}

int
berth_volume_resolve (const char *name, char **path, void *ctx, berth_error_t *err)
{
  struct berth_volume_store *s = ctx;
  struct berth_volume *v = NULL;

  if (name == NULL || berth_volume_get (s, name, &v, err) < 0)
    {
      if (name && (*err)->status != ENOENT)
        return -1;
      if (name)
        berth_error_release (err);
      if (berth_volume_create (s, name, NULL, &v, err) < 0)
        return -1;
    }
  *path = strdup (v->mountpoint);
  berth_volume_free (v);
  return *path ? 0 : berth_error (err, ENOMEM, "volume");
}

char *
berth_volume_name_of_path (struct berth_volume_store *s, const char *path)
{
  size_t n = strlen (s->path), len;
  const char *name, *end;

  if (path == NULL || strncmp (path, s->path, n) != 0 || path[n] != '/')
    return NULL;
  name = path + n + 1;
  end = strchr (name, '/');
  if (end == NULL || strcmp (end, "/" DATA_DIR) != 0)
    return NULL;
  len = end - name;
  {
    char *r = strndup (name, len);
    if (r && !berth_volume_valid_name (r))
      {
        free (r);
        return NULL;
      }
    return r;
  }
}

static bool
dir_is_empty (int dirfd)
{
  cleanup_dir DIR *d = berth_opendir_at (dirfd, ".");
  struct dirent *de;

  if (d == NULL)
    return false;
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      return false;
  return true;
}

int
berth_volume_copy_up (struct berth_volume_store *s, const char *name, const char *rootfs,
                      const char *container_path, berth_error_t *err)
{
  static const struct berth_copy_options opts = { .preserve_owner = true, .preserve_xattrs = true };
  cleanup_close int vlock = -1, vfd = -1, dfd = -1, rootfd = -1, src = -1;
  struct berth_volume *v = NULL;
  struct stat st;

  if (berth_volume_get (s, name, &v, err) < 0)
    return -1;
  berth_volume_free (v);
  vlock = lock_volume (s, name, false, err);
  if (vlock < 0)
    return -1;
  vfd = openat (s->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (vfd < 0)
    return berth_error (err, errno, "volume %s", name);
  dfd = openat (vfd, DATA_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return berth_error (err, errno, "volume %s", name);
  if (!dir_is_empty (dfd))
    return 0; /* Docker copies into an empty volume only */

  rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return berth_error (err, errno, "open `%s`", rootfs);
  src = berth_open_in_root (rootfd, container_path, BERTH_CREATE_NONE, err);
  if (src < 0)
    {
      if ((*err)->status != ENOENT)
        return berth_error_wrap (err, "copy up `%s` into volume %s", container_path, name);
      berth_error_release (err); /* nothing in the image there */
      return 0;
    }
  if (fstat (src, &st) < 0)
    return berth_error (err, errno, "stat `%s`", container_path);
  if (!S_ISDIR (st.st_mode))
    return 0;

  /* Copied aside, then renamed over the empty _data: a crash or a failure
   * leaves the volume empty (and copied next time), never half-filled.  */
  {
    cleanup_free char *copy = NULL;
    berth_error_t ignored = NULL;
    if (asprintf (&copy, "%s/%s/" COPYUP_DIR, s->path, name) < 0)
      return berth_error (err, ENOMEM, "copy up");
    if (berth_remove_tree (copy, &ignored) < 0)
      berth_error_release (&ignored);
  }
  if (berth_copy_tree (src, vfd, COPYUP_DIR, &opts, err) < 0)
    return berth_error_wrap (err, "copy up `%s` into volume %s", container_path, name);
  if (renameat (vfd, COPYUP_DIR, vfd, DATA_DIR) < 0)
    {
      int e = errno;
      cleanup_free char *copy = NULL;
      berth_error_t ignored = NULL;
      if (asprintf (&copy, "%s/%s/" COPYUP_DIR, s->path, name) >= 0
          && berth_remove_tree (copy, &ignored) < 0)
        berth_error_release (&ignored);
      if (e == ENOTEMPTY || e == EEXIST)
        return 0; /* written meanwhile: no longer empty, nothing to copy */
      return berth_error (err, e, "copy up into volume %s", name);
    }
  if (fsync (vfd) < 0)
    return berth_error (err, errno, "copy up into volume %s", name);
  return 0;
}

int
berth_volume_copy_up_mounts (struct berth_volume_store *s, const struct berth_run_request *req,
                             const struct berth_engine_mount *mounts, size_t n, const char *rootfs,
                             berth_error_t *err)
{
  for (size_t i = 0; i < n && i < req->n_mounts; i++)
    {
      cleanup_free char *name = NULL;

      if (req->mounts[i].type != BERTH_RUN_MOUNT_VOLUME || req->mounts[i].nocopy
          || mounts[i].type != BERTH_ENGINE_MOUNT_BIND)
        continue;
      name = berth_volume_name_of_path (s, mounts[i].source);
      if (name && berth_volume_copy_up (s, name, rootfs, mounts[i].destination, err) < 0)
        return -1;
    }
  return 0;
}
