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
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <sys/random.h>
#include <inttypes.h>
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

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static bool
fd_is_kept (int fd, int keep_below, const int *keep, size_t n_keep)
{
  if (fd < keep_below)
    return true;
  for (size_t i = 0; i < n_keep; i++)
    if (keep[i] == fd)
      return true;
  return false;
}

/* One fd at a time, as /proc/self/fd lists them (a kernel without
 * close_range).  getdents64 rather than opendir: no allocation, so a
 * cloned child can call it.  /proc/self/fd is read by fd number, so
 * closing what was listed does not skip what follows.  */
static int
apply_by_proc (int keep_below, const int *keep, size_t n_keep, bool cloexec)
{
  char buf[4096];
  int dfd = open ("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (dfd < 0)
    return -errno;
  for (;;)
    {
      long n = syscall (SYS_getdents64, dfd, buf, sizeof (buf));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int e = errno;
          close (dfd);
          return -e;
        }
      if (n == 0)
        break;
      for (long off = 0; off < n;)
        {
          struct dirent64 *de = (struct dirent64 *)(buf + off);
          long fd;
          off += de->d_reclen;
          if (!berth_parse_long (de->d_name, &fd) || fd == dfd
              || fd_is_kept ((int)fd, keep_below, keep, n_keep))
            continue;
          if (!cloexec)
            {
              /* Linux releases the fd whatever close reports (EINTR, EIO).  */
              close ((int)fd);
              continue;
            }
          if (fcntl ((int)fd, F_SETFD, FD_CLOEXEC) < 0 && errno != EBADF)
            {
              int e = errno;
              close (dfd);
              return -e;
            }
        }
    }
  close (dfd);
  return 0;
}

/* close_range over the gaps between the kept fds.  -ENOSYS when the kernel
 * (or a seccomp profile) lacks it.  */
static int
apply_by_close_range (int keep_below, const int *keep, size_t n_keep, bool cloexec)
{
#ifdef SYS_close_range
  unsigned flags = cloexec ? CLOSE_RANGE_CLOEXEC : 0;
  long next = keep_below < 0 ? 0 : keep_below;

  for (;;)
    {
      /* The smallest kept fd at or above next bounds this gap.  */
      long stop = -1;
      for (size_t i = 0; i < n_keep; i++)
        if (keep[i] >= next && (stop < 0 || keep[i] < stop))
          stop = keep[i];
      if (stop < 0)
        return syscall (SYS_close_range, (unsigned)next, ~0U, flags) == 0 ? 0 : -errno;
      if (stop > next && syscall (SYS_close_range, (unsigned)next, (unsigned)stop - 1, flags) < 0)
        return -errno;
      next = stop + 1;
    }
#else
  return -ENOSYS;
#endif
}

static int
apply_fds_except (int keep_below, const int *keep, size_t n_keep, unsigned flags, bool cloexec)
{
  if (!(flags & BERTH_FDS_BY_PROC))
    {
      int r = apply_by_close_range (keep_below, keep, n_keep, cloexec);
      /* EINVAL: CLOSE_RANGE_CLOEXEC is newer (5.11) than close_range.  */
      if (r != -ENOSYS && !(r == -EINVAL && cloexec))
        return r;
    }
  return apply_by_proc (keep_below, keep, n_keep, cloexec);
}

int
berth_close_fds_except (int keep_below, const int *keep, size_t n_keep, unsigned flags)
{
  return apply_fds_except (keep_below, keep, n_keep, flags, false);
}

int
berth_close_fds_from (int from)
{
  return berth_close_fds_except (from, NULL, 0, 0);
}

int
berth_cloexec_fds_from (int from)
{
  return apply_fds_except (from, NULL, 0, 0, true);
}

int
berth_fds_for_container (int n_passed, int *const own[], size_t n_own, unsigned flags)
{
  int keep_below = 3 + (n_passed > 0 ? n_passed : 0);
  int keep[n_own + 1];
  size_t n = 0;
  int r;

  /* Our own fds out of the passed range: the container must get neither
   * them nor a hole where its caller had nothing.  */
  for (size_t i = 0; i < n_own; i++)
    {
      int fd = *own[i];
      if (fd >= 3 && fd < keep_below)
        {
          int moved = fcntl (fd, F_DUPFD_CLOEXEC, keep_below);
          if (moved < 0)
            return -errno;
          close (fd);
          *own[i] = moved;
        }
      if (*own[i] >= 0)
        keep[n++] = *own[i];
    }
  r = berth_close_fds_except (keep_below, keep, n, flags);
  if (r < 0)
    return r;
  /* A hole in the caller's passed range was filled by one of the runtime's
   * own fds, which are all close-on-exec: it would go at execve anyway,
   * and must not be reachable before.  */
  for (int fd = 3; fd < keep_below; fd++)
    {
      int fl = fcntl (fd, F_GETFD);
      if (fl >= 0 && (fl & FD_CLOEXEC))
        close (fd);
    }
  return 0;
}

/* A name no one can have prepared: "DIR/.NAME.XXXXXXXXXXXXXXXX".  */
static int
random_sibling (const char *path, char **out)
{
  const char *slash = strrchr (path, '/');
  uint64_t rnd;

  if (getrandom (&rnd, sizeof (rnd), 0) != sizeof (rnd))
    return -errno;
  if (slash)
    {
      if (asprintf (out, "%.*s/.%s.%016" PRIx64, (int)(slash - path), path, slash + 1, rnd) < 0)
        return -ENOMEM;
    }
  else if (asprintf (out, ".%s.%016" PRIx64, path, rnd) < 0)
    return -ENOMEM;
  return 0;
}

int
berth_write_pid_file (const char *path, pid_t pid, berth_error_t *err)
{
  char buf[32];
  int len = snprintf (buf, sizeof (buf), "%d", (int)pid);

  for (int attempt = 0; attempt < 8; attempt++)
    {
      cleanup_free char *tmp = NULL;
      cleanup_close int fd = -1;
      int r = random_sibling (path, &tmp);

      if (r < 0)
        return berth_error (err, -r, "pid file `%s`", path);
      /* O_EXCL|O_NOFOLLOW: never through a file or link someone else put
       * there; the rename then replaces the target name, never what it
       * points to.  */
      fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (fd < 0 && errno == EEXIST)
        continue;
      if (fd < 0)
        return berth_error (err, errno, "pid file `%s`: create `%s`", path, tmp);
      r = berth_write_all (fd, buf, len);
      if (r == 0 && close (steal_fd (&fd)) < 0)
        r = -errno;
      if (r == 0 && rename (tmp, path) < 0)
        r = -errno;
      if (r < 0)
        {
          unlink (tmp);
          return berth_error (err, -r, "pid file `%s`", path);
        }
      return 0;
    }
  return berth_error (err, EEXIST, "pid file `%s`: no unique temporary name", path);
}

DIR *
berth_opendir_at (int dirfd, const char *path)
{
  int fd = openat (dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d;

  if (fd < 0)
    return NULL;
  d = fdopendir (fd);
  if (d == NULL)
    {
      int e = errno;
      close (fd);
      errno = e;
    }
  return d;
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

bool
berth_proc_stat_read (pid_t pid, struct berth_proc_stat *out)
{
  char path[64], buf[1024], *p;
  int fd, field;
  ssize_t n;

  if (pid > 0)
    snprintf (path, sizeof (path), "/proc/%d/stat", pid);
  else
    strcpy (path, "/proc/self/stat");
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  n = read (fd, buf, sizeof (buf) - 1);
  close (fd);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  /* comm may hold spaces and parentheses: fields restart after the last ')'.  */
  p = strrchr (buf, ')');
  if (p == NULL || p[1] == '\0')
    return false;
  *out = (struct berth_proc_stat){ .state = p[2] };
  for (p += 2, field = 3; p && field < 22; field++)
    {
      p = strchr (p, ' ');
      if (p == NULL)
        return false;
      p++;
      if (field + 1 == 9)
        out->flags = strtoul (p, NULL, 10);
      else if (field + 1 == 20)
        out->num_threads = strtol (p, NULL, 10);
    }
  out->start_time = strtoull (p, NULL, 10);
  return true;
}

long
berth_thread_count (void)
{
  struct berth_proc_stat s;

  return berth_proc_stat_read (0, &s) ? s.num_threads : 0;
}

int
berth_lock_file (const char *dir, const char *path, berth_error_t *err)
{
  int fd;

  if (berth_mkdir_p (dir, 0700, err) < 0)
    return -1;
  fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return berth_error (err, errno, "open `%s`", path);
  if (flock (fd, LOCK_EX) < 0)
    {
      int e = errno;
      close (fd);
      return berth_error (err, e, "lock `%s`", path);
    }
  return fd;
}
