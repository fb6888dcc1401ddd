/* tmpcopyup: a tmpfs mounted over a directory of the rootfs starts with a
 * copy of what that directory held (files, directories, symlinks and
 * device nodes, with owner, mode and times), and is made read-only only
 * once the copy is done.  Owns the recursive copy between two directory
 * fds and the attach step of a tmpfs mount that asks for it; everything is
 * reached through fds resolved inside the rootfs, never through paths.  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"
#include "rootfs_internal.h"

static int copy_dir_contents (int srcfd, int dstfd, berth_error_t *err);

static int
copy_file_data (int in, int out, const char *name, berth_error_t *err)
{
  char buf[65536];

  for (;;)
    {
      ssize_t n = read (in, buf, sizeof (buf));
      int r;
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return berth_error (err, errno, "read `%s`", name);
      if (n == 0)
        return 0;
      r = berth_write_all (out, buf, n);
      if (r < 0)
        return berth_error (err, -r, "write `%s`", name);
    }
}

static int
copy_node (int srcdir, int dstdir, const char *name, const struct stat *st, berth_error_t *err)
{
  cleanup_close int in = -1;
  cleanup_close int out = -1;
  cleanup_free char *target = NULL;

  switch (st->st_mode & S_IFMT)
    {
    case S_IFDIR:
      if (mkdirat (dstdir, name, 0700) < 0)
        return berth_error (err, errno, "mkdir `%s`", name);
      in = openat (srcdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      out = openat (dstdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (in < 0 || out < 0)
        return berth_error (err, errno, "open `%s`", name);
      return copy_dir_contents (in, out, err);
    case S_IFREG:
      in = openat (srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (in < 0)
        return berth_error (err, errno, "open `%s`", name);
      out = openat (dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (out < 0)
        return berth_error (err, errno, "create `%s`", name);
      return copy_file_data (in, out, name, err);
    case S_IFLNK:
      in = openat (srcdir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      target = in >= 0 ? berth_read_link_fd (in) : NULL;
      if (target == NULL)
        return berth_error (err, errno, "readlink `%s`", name);
      if (symlinkat (target, dstdir, name) < 0)
        return berth_error (err, errno, "symlink `%s`", name);
      return 0;
    default:
      if (mknodat (dstdir, name, st->st_mode, st->st_rdev) < 0)
        return berth_error (err, errno, "mknod `%s`", name);
      return 0;
    }
}

/* Owner, then mode (chown clears set-id bits), then times.  */
static int
copy_metadata (int dstdir, const char *name, const struct stat *st, berth_error_t *err)
{
  struct timespec times[2] = { st->st_atim, st->st_mtim };

  /* In a user namespace an owner outside the mapping (shown as the
     overflow id) cannot be given: the copy keeps ours.  */
  if (fchownat (dstdir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EINVAL
      && errno != EPERM)
    return berth_error (err, errno, "chown `%s`", name);
  if (!S_ISLNK (st->st_mode) && fchmodat (dstdir, name, st->st_mode & 07777, 0) < 0)
    return berth_error (err, errno, "chmod `%s`", name);
  if (utimensat (dstdir, name, times, AT_SYMLINK_NOFOLLOW) < 0)
    return berth_error (err, errno, "set times of `%s`", name);
  return 0;
}

static int
copy_dir_contents (int srcfd, int dstfd, berth_error_t *err)
{
  int fd = dup (srcfd);
  cleanup_dir DIR *dir = fd >= 0 ? fdopendir (fd) : NULL;
  struct dirent *de;

  if (dir == NULL)
    {
      if (fd >= 0)
        close (fd);
      return berth_error (err, errno, "opendir");
    }
  while ((errno = 0, de = readdir (dir)))
    {
      struct stat st;

      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (fstatat (srcfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return berth_error (err, errno, "stat `%s`", de->d_name);
      if (copy_node (srcfd, dstfd, de->d_name, &st, err) < 0
          || copy_metadata (dstfd, de->d_name, &st, err) < 0)
        return berth_error_wrap (err, "copy `%s`", de->d_name);
    }
  if (errno != 0)
    return berth_error (err, errno, "readdir");
  return 0;
}

/* tmpfs with tmpcopyup: what was in the directory is copied into the new
   tmpfs, then the tmpfs is made read-only if asked.  */
int
berth_attach_tmpfs_copyup (struct berth_mount_plan *p, int rootfd, int destfd, berth_error_t *err)
{
  cleanup_close int below = berth_open_dir_of (destfd, p->dest, err);
  cleanup_close int top = -1;
  cleanup_close int topdir = -1;
  const char *source = p->m->source ? p->m->source : "tmpfs";
  unsigned long flags = berth_mount_plan_fs_flags (p);

  if (below < 0)
    return berth_error_ret (err);
  if (berth_mount_on_fd (source, destfd, p->dest, "tmpfs", flags & ~MS_RDONLY, p->o.data, err) < 0)
    return berth_error_ret (err);
  top = berth_reopen_mount (rootfd, p->dest, err);
  if (top < 0)
    return berth_error_ret (err);
  topdir = berth_open_dir_of (top, p->dest, err);
  if (topdir < 0)
    return berth_error_ret (err);
  if (copy_dir_contents (below, topdir, err) < 0)
    return berth_error_wrap (err, "tmpcopyup `%s`", p->dest);
  if ((flags & MS_RDONLY) && berth_remount_bind (top, p->dest, MS_RDONLY, 0, err) < 0)
    return berth_error_ret (err);
  return 0;
}
