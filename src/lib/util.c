/* File, directory and string helpers shared by every subsystem.  */
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

int
berth_read_fd (int fd, char **out, size_t *len, berth_error_t *err)
{
  size_t cap = 4096, used = 0;
  cleanup_free char *buf = malloc (cap);

  if (buf == NULL)
    return berth_error (err, ENOMEM, "read");
  for (;;)
    {
      ssize_t r;
      if (used + 1 >= cap)
        {
          char *n = realloc (buf, cap * 2);
          if (n == NULL)
            return berth_error (err, ENOMEM, "read");
          buf = n;
          cap *= 2;
        }
      r = read (fd, buf + used, cap - used - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return berth_error (err, errno, "read");
      if (r == 0)
        break;
      used += r;
    }
  buf[used] = '\0';
  if (len)
    *len = used;
  *out = steal_pointer (&buf);
  return 0;
}

int
berth_read_file (const char *path, char **out, size_t *len, berth_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_error (err, errno, "open `%s`", path);
  if (berth_read_fd (fd, out, len, err) < 0)
    return berth_error_wrap (err, "`%s`", path);
  return 0;
}

int
berth_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t w = write (fd, p, len);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return -errno;
      p += w;
      len -= w;
    }
  return 0;
}

int
berth_write_file (const char *path, const void *data, size_t len, mode_t mode,
                  berth_error_t *err)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  int r;
  if (fd < 0)
    return berth_error (err, errno, "open `%s`", path);
  r = berth_write_all (fd, data, len);
  if (r < 0)
    return berth_error (err, -r, "write `%s`", path);
  return 0;
}

int
berth_write_file_atomic (const char *path, const void *data, size_t len, mode_t mode,
                         berth_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;
  int r;

  if (asprintf (&tmp, "%s.tmp", path) < 0)
    return berth_error (err, ENOMEM, "write `%s`", path);
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return berth_error (err, errno, "open `%s`", tmp);
  r = berth_write_all (fd, data, len);
  if (r < 0)
    {
      unlink (tmp);
      return berth_error (err, -r, "write `%s`", tmp);
    }
  if (rename (tmp, path) < 0)
    {
      int e = errno;
      unlink (tmp);
      return berth_error (err, e, "rename `%s`", path);
    }
  return 0;
}

int
berth_mkdir_p (const char *path, mode_t mode, berth_error_t *err)
{
  cleanup_free char *p = strdup (path);
  char *s;

  if (p == NULL)
    return berth_error (err, ENOMEM, "mkdir `%s`", path);
  for (s = p + 1; *s; s++)
    {
      if (*s != '/')
        continue;
      *s = '\0';
      if (mkdir (p, mode) < 0 && errno != EEXIST)
        return berth_error (err, errno, "mkdir `%s`", p);
      *s = '/';
    }
  if (mkdir (p, mode) < 0 && errno != EEXIST)
    return berth_error (err, errno, "mkdir `%s`", p);
  return 0;
}

static int
remove_tree_at (int parent, const char *name, berth_error_t *err)
{
  cleanup_close int fd = openat (parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (fd < 0)
    {
      if (errno == ENOTDIR || errno == ELOOP)
        goto unlink_file;
      if (errno == ENOENT)
        return 0;
      return berth_error (err, errno, "open `%s`", name);
    }
  d = fdopendir (fd);
  if (d == NULL)
    return berth_error (err, errno, "opendir `%s`", name);
  fd = -1; /* owned by d now */
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (de->d_type == DT_DIR)
        {
          if (remove_tree_at (dirfd (d), de->d_name, err) < 0)
            return berth_error_ret (err);
        }
      else if (unlinkat (dirfd (d), de->d_name, 0) < 0 && errno != ENOENT)
        return berth_error (err, errno, "unlink `%s`", de->d_name);
    }
  if (unlinkat (parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return berth_error (err, errno, "rmdir `%s`", name);
  return 0;

unlink_file:
  if (unlinkat (parent, name, 0) < 0 && errno != ENOENT)
    return berth_error (err, errno, "unlink `%s`", name);
  return 0;
}

int
berth_remove_tree (const char *path, berth_error_t *err)
{
  if (remove_tree_at (AT_FDCWD, path, err) < 0)
    return berth_error_wrap (err, "remove `%s`", path);
  return 0;
}

size_t
berth_strv_len (char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

const char *
berth_strv_getenv (char *const *env, const char *name)
{
  size_t l = strlen (name);
  for (; env && *env; env++)
    if (strncmp (*env, name, l) == 0 && (*env)[l] == '=')
      return *env + l + 1;
  return NULL;
}

bool
berth_parse_long (const char *s, long *out)
{
  char *end;
  long v;
  if (s == NULL || *s == '\0')
    return false;
  errno = 0;
  v = strtol (s, &end, 10);
  if (errno != 0 || *end != '\0')
    return false;
  *out = v;
  return true;
}

void
berth_close_fds_from (int from)
{
#ifdef SYS_close_range
  if (syscall (SYS_close_range, (unsigned) from, ~0U, 0) == 0)
    return;
#endif
  for (int fd = from; fd < 65536; fd++)
    close (fd);
}

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

int
berth_cloexec_fds_from (int from)
{
  DIR *d;
  struct dirent *de;

  if (syscall (SYS_close_range, (unsigned) from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return 0;
  d = opendir ("/proc/self/fd");
  if (d == NULL)
    return -errno;
  while ((de = readdir (d)))
    {
      long fd;
      if (berth_parse_long (de->d_name, &fd) && fd >= from && fd != dirfd (d))
        fcntl ((int) fd, F_SETFD, FD_CLOEXEC);
    }
  closedir (d);
  return 0;
}

int
berth_pidfd_open (pid_t pid)
{
  return (int) syscall (SYS_pidfd_open, pid, 0);
}

int
berth_pidfd_send_signal (int pidfd, int sig)
{
  return (int) syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

void
berth_kill_and_reap (pid_t pid, int pidfd)
{
  if (pid <= 0)
    return;
  if (pidfd < 0 || berth_pidfd_send_signal (pidfd, SIGKILL) < 0)
    kill (pid, SIGKILL);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

long
berth_now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void
berth_sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep (&ts, NULL);
}

long
berth_thread_count (void)
{
  char buf[1024], *p;
  int fd = open ("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read (fd, buf, sizeof (buf) - 1);
  int field = 3;

  if (fd >= 0)
    close (fd);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* comm may hold spaces and parentheses: fields restart after the last ')'.  */
  p = strrchr (buf, ')');
  if (p == NULL || p[1] == '\0')
    return 0;
  for (p += 2; p && field < 20; field++)
    {
      p = strchr (p, ' ');
      if (p)
        p++;
    }
  return p ? strtol (p, NULL, 10) : 0;
}
