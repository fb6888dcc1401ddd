/* Owns the container record store: IDs, name reservations, records, and the
 * repair of what a crashed command left (the layout is in store.h).  Every
 * path is reached through the store's directory fds, so a store moved or
 * replaced while a command runs cannot redirect it.  */
#include "store.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "engine/engine_error.h"
#include "util.h"

#define RECORD_FILE "record.json"
#define TRASH_PREFIX ".trash-"

struct berth_store
{
  char *root;
  char *containers_path;
  int root_fd;
  int containers_fd;
  int names_fd;
};

static bool
is_id (const char *s)
{
  size_t i;

  for (i = 0; s[i]; i++)
    if (!isxdigit ((unsigned char)s[i]) || isupper ((unsigned char)s[i]))
      return false;
  return i == BERTH_ID_LEN;
}

bool
berth_store_valid_name (const char *s)
{
  if (s == NULL || !isalnum ((unsigned char)s[0]) || s[1] == '\0' || strlen (s) > 128)
    return false;
  for (const char *p = s + 1; *p; p++)
    if (!isalnum ((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
      return false;
  return true;
}

static int
open_dir_at (int dirfd, const char *name, const char *what, berth_error_t *err)
{
  int fd;

  if (mkdirat (dirfd, name, 0700) < 0 && errno != EEXIST)
    return berth_error (err, errno, "mkdir `%s`", what);
  fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return berth_error (err, errno, "open `%s`", what);
  return fd;
}

int
berth_store_open (const char *root, struct berth_store **out, berth_error_t *err)
{
  struct berth_store *s;
  int r;

  if (berth_mkdir_p (root, 0700, err) < 0)
    return berth_error_ret (err);
  s = calloc (1, sizeof (*s));
  if (s == NULL)
    return berth_error (err, ENOMEM, "open store `%s`", root);
  s->root_fd = s->containers_fd = s->names_fd = -1;
  s->root = strdup (root);
  if (s->root == NULL || asprintf (&s->containers_path, "%s/containers", root) < 0)
    {
      s->containers_path = NULL;
      berth_store_close (s);
      return berth_error (err, ENOMEM, "open store `%s`", root);
    }
  s->root_fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->root_fd < 0)
    {
      r = berth_error (err, errno, "open `%s`", root);
      berth_store_close (s);
      return r;
    }
  s->containers_fd = open_dir_at (s->root_fd, "containers", s->containers_path, err);
  if (s->containers_fd >= 0)
    s->names_fd = open_dir_at (s->root_fd, "names", "names", err);
  if (s->names_fd < 0)
    {
      berth_store_close (s);
      return berth_error_ret (err);
    }
  *out = s;
  return 0;
}

void
berth_store_close (struct berth_store *s)
{
  if (s == NULL)
    return;
  berth_closep (&s->root_fd);
  berth_closep (&s->containers_fd);
  berth_closep (&s->names_fd);
  free (s->root);
  free (s->containers_path);
  free (s);
}

char *
berth_store_container_dir (struct berth_store *s, const char *id)
{
  char *p;

  return asprintf (&p, "%s/%s", s->containers_path, id) < 0 ? NULL : p;
}

/* The store lock, held while names are reserved, changed or released, and
 * while dead creates are removed.  */
static int
lock_store (struct berth_store *s, berth_error_t *err)
{
  int fd = openat (s->root_fd, "store.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

  if (fd < 0)
    return berth_error (err, errno, "open `%s/store.lock`", s->root);
  while (flock (fd, LOCK_EX) < 0)
    if (errno != EINTR)
      {
        int e = errno;
        close (fd);
        return berth_error (err, e, "lock `%s/store.lock`", s->root);
      }
  return fd;
}

static int
open_lock_file (struct berth_store *s, const char *id, berth_error_t *err)
{
  cleanup_free char *rel = NULL;
  int fd;

  if (asprintf (&rel, "%s/lock", id) < 0)
    return berth_error (err, ENOMEM, "lock container %s", id);
  fd = openat (s->containers_fd, rel, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return berth_error (err, errno, "open the lock of container %s", id);
  return fd;
}

int
berth_store_lock (struct berth_store *s, const char *id, bool nonblock, berth_error_t *err)
{
  int fd;

  if (!is_id (id))
    return berth_engine_error (err, EINVAL, "invalid container ID `%s`", id);
  fd = open_lock_file (s, id, err);
  if (fd < 0)
    return fd;
  while (flock (fd, LOCK_EX | (nonblock ? LOCK_NB : 0)) < 0)
    if (errno != EINTR)
      {
        int e = errno;
        close (fd);
        return berth_error (err, e, "lock container %s", id);
      }
  return fd;
}

/* An empty record counts as none: what a power loss can leave of a record
 * written without fsync (renamed, its data never on disk), so such a
 * container is a dead create that ps and rm clean up.  */
static bool
has_record (struct berth_store *s, const char *id)
{
  char rel[BERTH_ID_LEN + sizeof ("/" RECORD_FILE)];
  struct stat st;

  snprintf (rel, sizeof (rel), "%.64s/%s", id, RECORD_FILE);
  return fstatat (s->containers_fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_size > 0;
}

/* A create that died: no record, and nobody holds the container's lock (its
 * creator holds it from the reservation until the record is written).  The
 * caller holds the store lock, so no create can be between its mkdir and its
 * flock.  When true, *lock_fd holds the lock for the removal.  */
static bool
is_dead_create (struct berth_store *s, const char *id, int *lock_fd)
{
  cleanup_error berth_error_t ignored = NULL;
  int fd;

  if (has_record (s, id))
    return false;
  fd = berth_store_lock (s, id, true, &ignored);
  if (fd < 0)
    return ignored && ignored->status == ENOENT; /* no directory: nothing alive */
  /* The record may have been written between the two checks.  */
  if (has_record (s, id))
    {
      close (fd);
      return false;
    }
  if (lock_fd)
    *lock_fd = fd;
  else
    close (fd);
  return true;
}

static char *
read_name_file (struct berth_store *s, const char *id)
{
  cleanup_free char *rel = NULL;
  cleanup_close int fd = -1;
  char *name = NULL;
  cleanup_error berth_error_t ignored = NULL;
  size_t len;

  if (asprintf (&rel, "%s/name", id) < 0)
    return NULL;
  fd = openat (s->containers_fd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 || berth_read_fd (fd, &name, &len, &ignored) < 0)
    return NULL;
  return name;
}

/* Write DATA into DIRFD/NAME through a temporary file, fsync'ed (unless
 * !SYNC), then renamed, so a reader (or a crash) sees the old or the new
 * file whole.  */
static int
write_atomic_at_sync (int dirfd, const char *name, const char *data, size_t len, bool sync,
                      berth_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;
  int r;

  if (asprintf (&tmp, "%s.tmp", name) < 0)
    return berth_error (err, ENOMEM, "write `%s`", name);
  fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return berth_error (err, errno, "open `%s`", tmp);
  r = berth_write_all (fd, data, len);
  if (r == 0 && sync && fsync (fd) < 0)
    r = -errno;
  if (r == 0 && renameat (dirfd, tmp, dirfd, name) < 0)
    r = -errno;
  if (r < 0)
    {
      unlinkat (dirfd, tmp, 0);
      return berth_error (err, -r, "write `%s`", name);
    }
  return 0;
}

static int
write_name_file (struct berth_store *s, const char *id, const char *name, bool sync,
                 berth_error_t *err)
{
  cleanup_close int dirfd
      = openat (s->containers_fd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

  if (dirfd < 0)
    return berth_error (err, errno, "open container %s", id);
  return write_atomic_at_sync (dirfd, "name", name, strlen (name), sync, err);
}

/* Whom the name link NAME reserves the name for: 1 with *id set when the
 * link is valid (its container says the same name and is not a dead
 * create), 0 when there is no valid link.  */
static int
name_owner (struct berth_store *s, const char *name, char id[BERTH_ID_LEN + 1])
{
  char target[BERTH_ID_LEN + 2];
  ssize_t n = readlinkat (s->names_fd, name, target, sizeof (target) - 1);
  cleanup_free char *recorded = NULL;

  if (n != BERTH_ID_LEN)
    return 0;
  target[n] = '\0';
  if (!is_id (target))
    return 0;
  recorded = read_name_file (s, target);
  if (recorded == NULL || strcmp (recorded, name) != 0)
    return 0;
  if (is_dead_create (s, target, NULL))
    return 0;
  memcpy (id, target, BERTH_ID_LEN + 1);
  return 1;
}

/* Unlink the name link NAME when it points at ID.  */
static void
release_name (struct berth_store *s, const char *name, const char *id)
{
  char target[BERTH_ID_LEN + 2];
  ssize_t n = readlinkat (s->names_fd, name, target, sizeof (target) - 1);

  if (n == BERTH_ID_LEN && memcmp (target, id, BERTH_ID_LEN) == 0)
    unlinkat (s->names_fd, name, 0);
}

/* Remove a container directory: renamed out of the way first, so a crash in
 * the middle of the removal leaves a trash directory, never a container
 * with half its files; its name link (NAME, when given) goes after the
 * rename, so a crash in between leaves a stale link, never a container
 * without its name.  Caller holds the store lock.  */
static int
remove_container_dir (struct berth_store *s, const char *id, const char *name, berth_error_t *err)
{
  char trash[sizeof (TRASH_PREFIX) + BERTH_ID_LEN];
  cleanup_free char *path = NULL;

  snprintf (trash, sizeof (trash), TRASH_PREFIX "%.64s", id);
  /* The engine mounts the container's root at <id>/rootfs: a command that
   * died with it mounted must not make the removal walk into the image.  */
  if (asprintf (&path, "%s/%s/rootfs", s->containers_path, id) >= 0)
    while (umount2 (path, MNT_DETACH) == 0)
      ;
  free (path);
  path = NULL;
  if (renameat (s->containers_fd, id, s->containers_fd, trash) < 0 && errno != ENOENT)
    return berth_error (err, errno, "remove container %s", id);
  if (name)
    release_name (s, name, id);
  if (asprintf (&path, "%s/%s", s->containers_path, trash) < 0)
    return berth_error (err, ENOMEM, "remove container %s", id);
  if (access (path, F_OK) < 0)
    return 0;
  return berth_remove_tree (path, err);
}

static int
remove_dead_create (struct berth_store *s, const char *id, berth_error_t *err)
{
  cleanup_free char *name = read_name_file (s, id);

  return remove_container_dir (s, id, name, err);
}

/* Take NAME for ID.  Caller holds the store lock.  */
static int
reserve_name (struct berth_store *s, const char *name, const char *id, berth_error_t *err)
{
  for (int attempt = 0; attempt < 2; attempt++)
    {
      char owner[BERTH_ID_LEN + 1];

      if (symlinkat (id, s->names_fd, name) == 0)
        return 0;
      if (errno != EEXIST)
        return berth_error (err, errno, "reserve the name `%s`", name);
      if (name_owner (s, name, owner))
        return berth_engine_error (
            err, EEXIST,
            "the container name \"%s\" is already in use by container %s; remove "
            "or rename that container to reuse the name",
            name, owner);
      /* A stale link: a rename, removal or create cut short.  */
      {
        char target[BERTH_ID_LEN + 2];
        ssize_t n = readlinkat (s->names_fd, name, target, sizeof (target) - 1);

        if (n == BERTH_ID_LEN)
          {
            target[n] = '\0';
            if (is_id (target) && is_dead_create (s, target, NULL))
              {
                cleanup_error berth_error_t ignored = NULL;
                remove_dead_create (s, target, &ignored);
              }
          }
      }
      if (unlinkat (s->names_fd, name, 0) < 0 && errno != ENOENT)
        return berth_error (err, errno, "remove the stale name `%s`", name);
    }
  return berth_engine_error (err, EEXIST, "reserve the name `%s`", name);
}

/* A new random ID.  Like Docker, never one whose 12-digit short form is all
 * decimal digits: it would read as a number (a PID, a count) where short IDs
 * are shown or typed.  */
static int
new_id (char id[BERTH_ID_LEN + 1], berth_error_t *err)
{
  unsigned char bytes[BERTH_ID_LEN / 2];

  do
    {
      size_t got = 0;

      while (got < sizeof (bytes))
        {
          ssize_t n = getrandom (bytes + got, sizeof (bytes) - got, 0);

          if (n < 0 && errno != EINTR)
            return berth_error (err, errno, "getrandom");
          if (n > 0)
            got += n;
        }
      for (size_t i = 0; i < sizeof (bytes); i++)
        snprintf (id + 2 * i, 3, "%02x", bytes[i]);
    }
  while (strspn (id, "0123456789") >= 12);
  return 0;
}

/* A generated name that is free: Docker's way, a few random tries, then a
 * digit appended.  Caller holds the store lock.  */
static int
pick_free_name (struct berth_store *s, char name[72], berth_error_t *err)
{
  for (int attempt = 0; attempt < 20; attempt++)
    {
      char owner[BERTH_ID_LEN + 1];
      char base[64];

      if (berth_store_generate_name (base, err) < 0)
        return berth_error_ret (err);
      if (attempt < 10)
        snprintf (name, 72, "%s", base);
      else
        snprintf (name, 72, "%s%d", base, attempt - 10);
      if (!name_owner (s, name, owner))
        return 0;
    }
  return berth_engine_error (err, EEXIST, "no free container name found; give one with --name");
}

int
berth_store_create (struct berth_store *s, const char *name, char id[BERTH_ID_LEN + 1],
                    char **name_out, int *lock_fd, berth_error_t *err)
{
  return berth_store_create_sync (s, name, id, name_out, lock_fd, true, err);
}

int
berth_store_create_sync (struct berth_store *s, const char *name, char id[BERTH_ID_LEN + 1],
                         char **name_out, int *lock_fd, bool sync, berth_error_t *err)
{
  cleanup_close int store_lock = -1;
  cleanup_close int lock = -1;
  char generated[72];
  char *copy;

  if (name && !berth_store_valid_name (name))
    return berth_engine_error (err, EINVAL,
                               "invalid container name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
                               "allowed",
                               name);
  store_lock = lock_store (s, err);
  if (store_lock < 0)
    return store_lock;
  if (name == NULL)
    {
      if (pick_free_name (s, generated, err) < 0)
        return berth_error_ret (err);
      name = generated;
    }
  for (;;)
    {
      if (new_id (id, err) < 0)
        return berth_error_ret (err);
      if (mkdirat (s->containers_fd, id, 0700) == 0)
        break;
      if (errno != EEXIST)
        return berth_error (err, errno, "create container directory");
    }
  lock = berth_store_lock (s, id, true, err);
  if (lock < 0 || write_name_file (s, id, name, sync, err) < 0
      || reserve_name (s, name, id, err) < 0)
    {
      cleanup_error berth_error_t ignored = NULL;

      remove_container_dir (s, id, NULL, &ignored);
      return berth_error_ret (err);
    }
  copy = strdup (name);
  if (copy == NULL)
    {
      cleanup_error berth_error_t ignored = NULL;

      remove_container_dir (s, id, name, &ignored);
      return berth_error (err, ENOMEM, "create container");
    }
  *name_out = copy;
  *lock_fd = steal_fd (&lock);
  return 0;
}

int
berth_store_write_record (struct berth_store *s, const char *id, json_t *record, berth_error_t *err)
{
  return berth_store_write_record_sync (s, id, record, true, err);
}

int
berth_store_write_record_sync (struct berth_store *s, const char *id, json_t *record, bool sync,
                               berth_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_close int dirfd = -1;

  if (!is_id (id))
    return berth_engine_error (err, EINVAL, "invalid container ID `%s`", id);
  text = json_dumps (record, JSON_INDENT (2) | JSON_SORT_KEYS);
  if (text == NULL)
    return berth_error (err, ENOMEM, "serialise the record of %s", id);
  dirfd = openat (s->containers_fd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (dirfd < 0)
    return berth_error (err, errno, "open container %s", id);
  if (write_atomic_at_sync (dirfd, RECORD_FILE, text, strlen (text), sync, err) < 0)
    return berth_error_wrap (err, "container %s", id);
  return 0;
}

int
berth_store_read_record (struct berth_store *s, const char *id, json_t **out, berth_error_t *err)
{
  char rel[BERTH_ID_LEN + sizeof ("/" RECORD_FILE)];
  cleanup_close int fd = -1;
  cleanup_free char *text = NULL;
  json_error_t jerr;
  size_t len;

  if (!is_id (id))
    return berth_engine_error (err, EINVAL, "invalid container ID `%s`", id);
  snprintf (rel, sizeof (rel), "%.64s/%s", id, RECORD_FILE);
  fd = openat (s->containers_fd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return berth_error (err, errno, "read the record of container %s", id);
  if (berth_read_fd (fd, &text, &len, err) < 0)
    return berth_error_wrap (err, "read the record of container %s", id);
  *out = json_loadb (text, len, 0, &jerr);
  if (*out == NULL)
    return berth_engine_error (err, EINVAL, "the record of container %s: %s", id, jerr.text);
  return 0;
}

static bool
container_exists (struct berth_store *s, const char *id)
{
  struct stat st;

  return fstatat (s->containers_fd, id, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode);
}

int
berth_store_lookup (struct berth_store *s, const char *ref, char id[BERTH_ID_LEN + 1],
                    berth_error_t *err)
{
  cleanup_dir DIR *dir = NULL;
  struct dirent *de;
  size_t len = strlen (ref);
  int found = 0;

  if (len == 0)
    return berth_engine_error (err, EINVAL, "empty container name or ID");
  if (is_id (ref) && container_exists (s, ref) && !is_dead_create (s, ref, NULL))
    {
      memcpy (id, ref, BERTH_ID_LEN + 1);
      return 0;
    }
  if (berth_store_valid_name (ref) && name_owner (s, ref, id))
    return 0;
  dir = berth_opendir_at (s->containers_fd, ".");
  if (dir == NULL)
    return berth_error (err, errno, "read `%s`", s->containers_path);
  while ((de = readdir (dir)))
    {
      if (!is_id (de->d_name) || strncmp (de->d_name, ref, len) != 0
          || is_dead_create (s, de->d_name, NULL))
        continue;
      if (found++)
        return berth_engine_error (err, EINVAL, "multiple IDs found with prefix %s", ref);
      memcpy (id, de->d_name, BERTH_ID_LEN + 1);
    }
  if (!found)
    return berth_engine_error (err, ENOENT, "No such container: %s", ref);
  return 0;
}

int
berth_store_get_name (struct berth_store *s, const char *id, char **name, berth_error_t *err)
{
  if (!is_id (id))
    return berth_engine_error (err, EINVAL, "invalid container ID `%s`", id);
  *name = read_name_file (s, id);
  if (*name == NULL)
    return berth_error (err, errno ? errno : ENOENT, "read the name of container %s", id);
  return 0;
}

void
berth_store_entries_free (struct berth_store_entry *entries, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (entries[i].name);
  free (entries);
}

static int
compare_entries (const void *a, const void *b)
{
  return strcmp (((const struct berth_store_entry *)a)->id,
                 ((const struct berth_store_entry *)b)->id);
}

/* A write killed between its temporary file and the rename leaves the
 * temporary behind; with the container's lock free, nobody is writing it.  */
static void
remove_stale_temporaries (struct berth_store *s, const char *id)
{
  cleanup_error berth_error_t ignored = NULL;
  cleanup_close int lock = berth_store_lock (s, id, true, &ignored);
  char rel[BERTH_ID_LEN + sizeof ("/" RECORD_FILE ".tmp")];

  if (lock < 0)
    return;
  snprintf (rel, sizeof (rel), "%.64s/%s.tmp", id, RECORD_FILE);
  unlinkat (s->containers_fd, rel, 0);
  snprintf (rel, sizeof (rel), "%.64s/name.tmp", id);
  unlinkat (s->containers_fd, rel, 0);
}

/* Walk the container directories under the store lock, removing dead
 * creates and trash; collect the rest when OUT is given.  */
static int
scan_containers (struct berth_store *s, struct berth_store_entry **out, size_t *n_out,
                 berth_error_t *err)
{
  cleanup_dir DIR *dir = NULL;
  struct berth_store_entry *entries = NULL;
  size_t n = 0;
  struct dirent *de;

  dir = berth_opendir_at (s->containers_fd, ".");
  if (dir == NULL)
    return berth_error (err, errno, "read `%s`", s->containers_path);
  while ((de = readdir (dir)))
    {
      cleanup_close int dead_lock = -1;
      struct berth_store_entry *grown;

      if (strncmp (de->d_name, TRASH_PREFIX, strlen (TRASH_PREFIX)) == 0)
        {
          cleanup_free char *path = NULL;
          cleanup_error berth_error_t ignored = NULL;

          if (asprintf (&path, "%s/%s/rootfs", s->containers_path, de->d_name) >= 0)
            while (umount2 (path, MNT_DETACH) == 0)
              ;
          free (path);
          path = NULL;
          if (asprintf (&path, "%s/%s", s->containers_path, de->d_name) >= 0)
            berth_remove_tree (path, &ignored);
          continue;
        }
      if (!is_id (de->d_name))
        continue;
      if (is_dead_create (s, de->d_name, &dead_lock))
        {
          if (remove_dead_create (s, de->d_name, err) < 0)
            goto fail;
          continue;
        }
      if (out == NULL)
        {
          remove_stale_temporaries (s, de->d_name);
          continue;
        }
      grown = realloc (entries, (n + 1) * sizeof (*entries));
      if (grown == NULL)
        {
          berth_error (err, ENOMEM, "list containers");
          goto fail;
        }
      entries = grown;
      memcpy (entries[n].id, de->d_name, BERTH_ID_LEN + 1);
      entries[n].name = read_name_file (s, de->d_name);
      entries[n].complete = has_record (s, de->d_name);
      if (entries[n++].name == NULL && (entries[n - 1].name = strdup ("")) == NULL)
        {
          berth_error (err, ENOMEM, "list containers");
          goto fail;
        }
    }
  if (out)
    {
      if (n > 1)
        qsort (entries, n, sizeof (*entries), compare_entries);
      *out = entries;
      *n_out = n;
    }
  return 0;

fail:
  berth_store_entries_free (entries, n);
  return berth_error_ret (err);
}

int
berth_store_list (struct berth_store *s, struct berth_store_entry **out, size_t *n,
                  berth_error_t *err)
{
  cleanup_close int store_lock = lock_store (s, err);

  if (store_lock < 0)
    return store_lock;
  *out = NULL;
  *n = 0;
  return scan_containers (s, out, n, err);
}

int
berth_store_rename (struct berth_store *s, const char *id, const char *new_name, berth_error_t *err)
{
  cleanup_close int store_lock = -1;
  cleanup_free char *old = NULL;

  if (!is_id (id))
    return berth_engine_error (err, EINVAL, "invalid container ID `%s`", id);
  if (!berth_store_valid_name (new_name))
    return berth_engine_error (err, EINVAL,
                               "invalid container name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
                               "allowed",
                               new_name);
  store_lock = lock_store (s, err);
  if (store_lock < 0)
    return store_lock;
  old = read_name_file (s, id);
  if (old == NULL)
    return berth_engine_error (err, ENOENT, "No such container: %s", id);
  if (strcmp (old, new_name) == 0)
    return berth_engine_error (err, EINVAL,
                               "renaming a container with the same name as its current "
                               "name");
  /* Order matters for a crash: the new link, then the name file (the
   * switch), then the old link, each step leaving only stale links.  */
  if (reserve_name (s, new_name, id, err) < 0)
    return berth_error_ret (err);
  if (write_name_file (s, id, new_name, true, err) < 0)
    {
      release_name (s, new_name, id);
      return berth_error_ret (err);
    }
  release_name (s, old, id);
  return 0;
}

int
berth_store_remove (struct berth_store *s, const char *id, berth_error_t *err)
{
  cleanup_close int store_lock = -1;
  cleanup_free char *name = NULL;

  if (!is_id (id))
    return berth_engine_error (err, EINVAL, "invalid container ID `%s`", id);
  store_lock = lock_store (s, err);
  if (store_lock < 0)
    return store_lock;
  if (!container_exists (s, id))
    return berth_engine_error (err, ENOENT, "No such container: %s", id);
  name = read_name_file (s, id);
  return remove_container_dir (s, id, name, err);
}

int
berth_store_repair (struct berth_store *s, berth_error_t *err)
{
  cleanup_close int store_lock = lock_store (s, err);
  cleanup_dir DIR *dir = NULL;
  struct dirent *de;

  if (store_lock < 0)
    return store_lock;
  if (scan_containers (s, NULL, NULL, err) < 0)
    return berth_error_ret (err);
  dir = berth_opendir_at (s->names_fd, ".");
  if (dir == NULL)
    return berth_error (err, errno, "read `%s/names`", s->root);
  while ((de = readdir (dir)))
    {
      char owner[BERTH_ID_LEN + 1];

      if (de->d_name[0] == '.')
        continue;
      if (!name_owner (s, de->d_name, owner) && unlinkat (s->names_fd, de->d_name, 0) < 0
          && errno != ENOENT)
        return berth_error (err, errno, "remove the stale name `%s`", de->d_name);
    }
  return 0;
}
