/* Files and directories of cgroupfs: writing control files (one write(2)
 * per value, as the kernel wants), reading numbers and keyed files, making
 * and removing cgroup directories, reading cgroup.procs.  A stand-in tree of
 * plain files (unit tests) gets the kernel's part done by hand: new
 * directories are populated with their parent's file names, and removal
 * deletes the files first.  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"
#include "cgroup_internal.h"

int
cg_open_write (const char *dir, const char *file, int *fd, berth_error_t *err)
{
  cleanup_free char *path = NULL;

  if (asprintf (&path, "%s/%s", dir, file) < 0)
    return berth_error (err, ENOMEM, "open `%s`", file);
  *fd = open (path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (*fd < 0)
    return berth_error (err, errno, "open `%s`", path);
  return 0;
}

/* One line, newline-terminated, in one write(2): the kernel parses each
 * write on its own (and strips the newline), a plain file keeps lines
 * apart.  */
int
cg_write_line (int fd, const char *dir, const char *file, const char *line, berth_error_t *err)
{
  cleanup_free char *buf = NULL;
  int len = asprintf (&buf, "%s\n", line);
  int r;

  if (len < 0)
    return berth_error (err, ENOMEM, "write `%s/%s`", dir, file);
  r = berth_write_all (fd, buf, len);
  if (r < 0)
    return berth_error (err, -r, "write `%s` to `%s/%s`", line, dir, file);
  return 0;
}

int
cg_write (const char *dir, const char *file, const char *value, berth_error_t *err)
{
  cleanup_close int fd = -1;
  int r;

  if (cg_open_write (dir, file, &fd, err) < 0)
    return berth_error_ret (err);
  r = berth_write_all (fd, value, strlen (value));
  if (r < 0)
    return berth_error (err, -r, "write `%s` to `%s/%s`", value, dir, file);
  return 0;
}

int
cg_writef (berth_error_t *err, const char *dir, const char *file, const char *fmt, ...)
{
  cleanup_free char *value = NULL;
  va_list ap;
  int r;

  va_start (ap, fmt);
  r = vasprintf (&value, fmt, ap);
  va_end (ap);
  if (r < 0)
    return berth_error (err, ENOMEM, "write `%s/%s`", dir, file);
  return cg_write (dir, file, value, err);
}

int
cg_read (const char *dir, const char *file, char **out, berth_error_t *err)
{
  cleanup_free char *path = NULL;

  if (asprintf (&path, "%s/%s", dir, file) < 0)
    return berth_error (err, ENOMEM, "read `%s`", file);
  return berth_read_file (path, out, NULL, err);
}

static int
parse_u64 (const char *s, uint64_t *out)
{
  char *end;

  while (*s == ' ' || *s == '\t')
    s++;
  if (strncmp (s, "max", 3) == 0 && (s[3] == '\0' || s[3] == '\n' || s[3] == ' '))
    {
      *out = UINT64_MAX;
      return 0;
    }
  if (*s < '0' || *s > '9')
    return -1;
  errno = 0;
  *out = strtoull (s, &end, 10);
  if (errno != 0 || (*end != '\0' && *end != '\n' && *end != ' '))
    return -1;
  return 0;
}

int
cg_read_u64 (const char *dir, const char *file, uint64_t *out, berth_error_t *err)
{
  cleanup_free char *text = NULL;

  if (cg_read (dir, file, &text, err) < 0)
    return berth_error_ret (err);
  if (parse_u64 (text, out) < 0)
    return berth_error (err, EINVAL, "parse `%s/%s`", dir, file);
  return 0;
}

int
cg_read_keyed (const char *dir, const char *file, const char *key, uint64_t *out,
               berth_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t klen = strlen (key);
  char *line, *save = NULL;

  *out = 0;
  if (cg_read (dir, file, &text, err) < 0)
    return berth_error_ret (err);
  for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    if (strncmp (line, key, klen) == 0 && line[klen] == ' ')
      {
        if (parse_u64 (line + klen + 1, out) < 0)
          return berth_error (err, EINVAL, "parse `%s` in `%s/%s`", key, dir, file);
        return 0;
      }
  return 0;
}

bool
cg_file_exists (const char *dir, const char *file)
{
  cleanup_free char *path = NULL;

  if (asprintf (&path, "%s/%s", dir, file) < 0)
    return false;
  return access (path, F_OK) == 0;
}

/* The kernel fills a new cgroup with control files; a stand-in tree gets
 * empty files named like its parent's.  */
static int
populate_like_parent (const char *parent, const char *dir, berth_error_t *err)
{
  cleanup_dir DIR *d = opendir (parent);
  struct dirent *de;

  if (d == NULL)
    return berth_error (err, errno, "opendir `%s`", parent);
  while ((de = readdir (d)))
    {
      cleanup_free char *path = NULL;
      cleanup_close int fd = -1;

      if (de->d_type != DT_REG)
        continue;
      if (asprintf (&path, "%s/%s", dir, de->d_name) < 0)
        return berth_error (err, ENOMEM, "populate `%s`", dir);
      fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0)
        return berth_error (err, errno, "create `%s`", path);
    }
  return 0;
}

/* The components of REL under BASE, made one by one.  SEP is the '/' before
 * the component being made; FIRST_MADE the length of the first made one.  */
int
cg_mkdir (bool fake, const char *base, const char *rel, unsigned *created, berth_error_t *err)
{
  cleanup_free char *path = NULL;
  size_t first_made = 0;
  char *sep;

  *created = 0;
  if (asprintf (&path, "%s%s", base, rel) < 0)
    return berth_error (err, ENOMEM, "mkdir `%s%s`", base, rel);
  for (sep = path + strlen (base); sep != NULL;)
    {
      char *next = strchr (sep + 1, '/');
      cleanup_free char *parent = strndup (path, sep - path);
      int r = 0;

      if (next)
        *next = '\0';
      if (parent == NULL)
        r = berth_error (err, ENOMEM, "mkdir `%s`", path);
      else if (mkdir (path, 0755) == 0)
        {
          if ((*created)++ == 0)
            first_made = strlen (path);
          if (fake)
            r = populate_like_parent (parent, path, err);
        }
      else if (errno != EEXIST)
        r = berth_error (err, errno, "mkdir `%s`", path);
      if (next)
        *next = '/';
      if (r < 0)
        {
          /* Leave nothing half made.  */
          cleanup_error berth_error_t undo_err = NULL;

          if (*created > 0)
            {
              path[first_made] = '\0';
              cg_remove_tree (fake, path, &undo_err);
            }
          *created = 0;
          return r;
        }
      sep = next;
    }
  return 0;
}

static void
sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep (&ts, NULL);
}

/* rmdir, retrying EBUSY: a cgroup whose last task is still exiting is busy
 * for a moment.  */
static int
rmdir_retrying (const char *dir, berth_error_t *err)
{
  for (int attempt = 0;; attempt++)
    {
      if (rmdir (dir) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY || attempt >= 100)
        return berth_error (err, errno, "rmdir `%s`", dir);
      sleep_ms (attempt < 10 ? 1 : 10);
    }
}

int
cg_remove_tree (bool fake, const char *dir, berth_error_t *err)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;

  if (d == NULL)
    return errno == ENOENT ? 0 : berth_error (err, errno, "opendir `%s`", dir);
  while ((de = readdir (d)))
    {
      cleanup_free char *child = NULL;

      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (de->d_type != DT_DIR && !fake)
        continue;
      if (asprintf (&child, "%s/%s", dir, de->d_name) < 0)
        return berth_error (err, ENOMEM, "remove `%s`", dir);
      if (de->d_type == DT_DIR)
        {
          if (cg_remove_tree (fake, child, err) < 0)
            return berth_error_ret (err);
        }
      else if (unlink (child) < 0 && errno != ENOENT)
        return berth_error (err, errno, "unlink `%s`", child);
    }
  return rmdir_retrying (dir, err);
}

/* A stand-in directory holds plain files even when no cgroup is below it:
 * empty it unless it has sub-directories.  */
static void
empty_fake_dir (const char *dir)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;

  while (d && (de = readdir (d)))
    if (de->d_type == DT_DIR && strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      return;
  if (d)
    rewinddir (d);
  while (d && (de = readdir (d)))
    if (de->d_type == DT_REG)
      unlinkat (dirfd (d), de->d_name, 0);
}

void
cg_remove_created_parents (bool fake, const char *dir, unsigned created)
{
  cleanup_free char *path = strdup (dir);

  for (unsigned i = 1; path && i < created; i++)
    {
      char *slash = strrchr (path, '/');

      if (slash == NULL || slash == path)
        return;
      *slash = '\0';
      if (fake)
        empty_fake_dir (path);
      if (rmdir (path) < 0)
        return; /* in use by another container, or not empty */
    }
}

static int
append_pid (pid_t **pids, size_t *n, pid_t pid)
{
  pid_t *grown = realloc (*pids, (*n + 1) * sizeof (pid_t));

  if (grown == NULL)
    return -1;
  grown[(*n)++] = pid;
  *pids = grown;
  return 0;
}

static int
read_procs_file (const char *dir, pid_t **pids, size_t *n, berth_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_error berth_error_t read_err = NULL;
  char *line, *save = NULL;

  if (cg_read (dir, "cgroup.procs", &text, &read_err) < 0)
    {
      if (read_err->status == ENOENT)
        return 0; /* the cgroup went away */
      return berth_error (err, read_err->status, "%s", read_err->msg);
    }
  for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      long pid;

      if (!berth_parse_long (line, &pid) || pid <= 0)
        return berth_error (err, EINVAL, "parse `%s/cgroup.procs`: `%s`", dir, line);
      if (append_pid (pids, n, (pid_t)pid) < 0)
        return berth_error (err, ENOMEM, "read `%s/cgroup.procs`", dir);
    }
  return 0;
}

int
cg_read_pids (const char *dir, bool recursive, pid_t **pids, size_t *n, berth_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (read_procs_file (dir, pids, n, err) < 0)
    return berth_error_ret (err);
  if (!recursive)
    return 0;
  d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : berth_error (err, errno, "opendir `%s`", dir);
  while ((de = readdir (d)))
    {
      cleanup_free char *child = NULL;

      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (asprintf (&child, "%s/%s", dir, de->d_name) < 0)
        return berth_error (err, ENOMEM, "read pids of `%s`", dir);
      if (cg_read_pids (child, true, pids, n, err) < 0)
        return berth_error_ret (err);
    }
  return 0;
}

static int
compare_pids (const void *a, const void *b)
{
  pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
  return (x > y) - (x < y);
}

void
cg_pids_normalize (pid_t *pids, size_t *n)
{
  size_t out = 0;

  if (*n == 0)
    return;
  qsort (pids, *n, sizeof (*pids), compare_pids);
  for (size_t i = 0; i < *n; i++)
    if (out == 0 || pids[out - 1] != pids[i])
      pids[out++] = pids[i];
  *n = out;
}
