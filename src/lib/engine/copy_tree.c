/* Symlink-safe tree copy between directory fds (see copy_tree.h).
 *
 * Every source object is opened O_PATH|O_NOFOLLOW relative to its parent's
 * fd, so a symlink is only ever read (readlinkat), never followed; every
 * destination name is created relative to its parent's fd with O_EXCL or
 * O_NOFOLLOW, so a symlink already at the destination (a container's
 * /etc -> /host trick) is not written through.  */
#include "engine/copy_tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/rootfs/resolve.h"
#include "util.h"

/* Hard links: the first copy of an inode with st_nlink > 1 is remembered
 * (an O_PATH fd of the copy), and later names of the same inode are linked
 * to it.  Bounded, so a tree of many linked files costs no more fds than
 * this; beyond it the names become separate copies.  */
#define MAX_LINKS 256

struct link_entry
{
  dev_t dev;
  ino_t ino;
  int copy_fd;
};

struct copy_ctx
{
  const struct berth_copy_options *opts;
  dev_t dev; /* the source's filesystem: mounts below it are not entered */
  struct link_entry links[MAX_LINKS];
  size_t n_links;
};

static void
ctx_release (struct copy_ctx *ctx)
{
  for (size_t i = 0; i < ctx->n_links; i++)
    close (ctx->links[i].copy_fd);
  ctx->n_links = 0;
}

static int
copy_xattrs (const char *src, const char *dst, berth_error_t *err)
{
  char names[4096], value[65536];
  ssize_t n = listxattr (src, names, sizeof (names));

  if (n < 0)
    return errno == ENOTSUP || errno == ENODATA ? 0 : berth_error (err, errno, "list xattrs");
  for (char *p = names; p < names + n; p += strlen (p) + 1)
    {
      ssize_t len;

      /* overlay's own attributes describe the layer, not the file.  */
      if (strncmp (p, "trusted.overlay.", 16) == 0)
        continue;
      len = getxattr (src, p, value, sizeof (value));
      if (len < 0)
        continue;
      if (setxattr (dst, p, value, len, 0) < 0 && errno != ENOTSUP && errno != EPERM)
        return berth_error (err, errno, "set xattr `%s`", p);
    }
  return 0;
}

int
berth_copy_metadata (int src_fd, int dst_fd, const struct berth_copy_options *opts,
                     berth_error_t *err)
{
  char sbuf[BERTH_FD_PATH_SIZE], dbuf[BERTH_FD_PATH_SIZE];
  const char *src = berth_fd_path (src_fd, sbuf), *dst = berth_fd_path (dst_fd, dbuf);
  struct stat st;

  if (fstat (src_fd, &st) < 0)
    return berth_error (err, errno, "stat");
  /* chown first: it clears the set-user-ID bit chmod then restores.  */
  if (opts->preserve_owner && fchownat (dst_fd, "", st.st_uid, st.st_gid, AT_EMPTY_PATH) < 0)
    return berth_error (err, errno, "chown");
  if (chmod (dst, st.st_mode & 07777) < 0)
    return berth_error (err, errno, "chmod");
  if (opts->preserve_xattrs && copy_xattrs (src, dst, err) < 0)
    return -1;
  struct timespec ts[2] = { st.st_atim, st.st_mtim };
  if (utimensat (AT_FDCWD, dst, ts, 0) < 0)
    return berth_error (err, errno, "set times");
  return 0;
}

static int copy_obj (struct copy_ctx *ctx, int src_fd, const struct stat *st, int dst_dirfd,
                     const char *name, berth_error_t *err);

static int
copy_contents (struct copy_ctx *ctx, int src_dirfd, int dst_dirfd, berth_error_t *err)
{
  int dfd = openat (src_dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (dfd < 0)
    return berth_error (err, errno, "open directory");
  d = fdopendir (dfd);
  if (d == NULL)
    {
      close (dfd);
      return berth_error (err, errno, "open directory");
    }
  while ((errno = 0, de = readdir (d)) != NULL)
    {
      cleanup_close int fd = -1;
      struct stat st;

      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      fd = openat (dirfd (d), de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 || fstat (fd, &st) < 0)
        return berth_error (err, errno, "open `%s`", de->d_name);
      if (copy_obj (ctx, fd, &st, dst_dirfd, de->d_name, err) < 0)
        return berth_error_wrap (err, "%s", de->d_name);
    }
  if (errno != 0)
    return berth_error (err, errno, "read directory");
  return 0;
}

static int
copy_data (int in, int out, berth_error_t *err)
{
  char buf[65536];

  for (;;)
    {
      ssize_t n = copy_file_range (in, NULL, out, NULL, 1 << 30, 0);

      if (n == 0)
        return 0;
      if (n > 0)
        continue;
      if (errno == EINTR)
        continue;
      if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
        return berth_error (err, errno, "copy");
      break;
    }
  for (;;)
    {
      ssize_t n = read (in, buf, sizeof (buf));

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return berth_error (err, errno, "read");
      if (n == 0)
        return 0;
      if (berth_write_all (out, buf, n) < 0)
        return berth_error (err, errno, "write");
    }
}

/* Make room for NAME in DST_DIRFD when overwriting: an existing
 * non-directory goes (a symlink there is removed, not followed).  */
static int
clear_name (struct copy_ctx *ctx, int dst_dirfd, const char *name, berth_error_t *err)
{
  struct stat st;

  if (fstatat (dst_dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : berth_error (err, errno, "stat");
  if (S_ISDIR (st.st_mode))
    return berth_error (err, EISDIR, "cannot overwrite directory");
  if (!ctx->opts->overwrite)
    return berth_error (err, EEXIST, "exists");
  if (unlinkat (dst_dirfd, name, 0) < 0)
    return berth_error (err, errno, "remove");
  return 0;
}

static struct link_entry *
find_link (struct copy_ctx *ctx, const struct stat *st)
{
  for (size_t i = 0; i < ctx->n_links; i++)
    if (ctx->links[i].dev == st->st_dev && ctx->links[i].ino == st->st_ino)
      return &ctx->links[i];
  return NULL;
}

static void
remember_link (struct copy_ctx *ctx, const struct stat *st, int dst_dirfd, const char *name)
{
  int fd;

  if (st->st_nlink < 2 || ctx->n_links >= MAX_LINKS)
    return;
  fd = openat (dst_dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return;
  ctx->links[ctx->n_links++] = (struct link_entry){ st->st_dev, st->st_ino, fd };
}

static int
copy_regular (struct copy_ctx *ctx, int src_fd, const struct stat *st, int dst_dirfd,
              const char *name, berth_error_t *err)
{
  char buf[BERTH_FD_PATH_SIZE];
  cleanup_close int in = -1, out = -1;
  struct link_entry *l = find_link (ctx, st);

  if (clear_name (ctx, dst_dirfd, name, err) < 0)
    return -1;
  if (l
      && linkat (AT_FDCWD, berth_fd_path (l->copy_fd, buf), dst_dirfd, name, AT_SYMLINK_FOLLOW)
             == 0)
    return 0;
  /* Reopening the O_PATH fd reaches exactly the inode it holds.  */
  in = open (berth_fd_path (src_fd, buf), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (in < 0)
    return berth_error (err, errno, "open");
  out = openat (dst_dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0)
    return berth_error (err, errno, "create");
  if (copy_data (in, out, err) < 0 || berth_copy_metadata (src_fd, out, ctx->opts, err) < 0)
    return -1;
  remember_link (ctx, st, dst_dirfd, name);
  return 0;
}

static int
copy_symlink (struct copy_ctx *ctx, int src_fd, const struct stat *st, int dst_dirfd,
              const char *name, berth_error_t *err)
{
  cleanup_free char *target = berth_read_link_fd (src_fd);

  if (target == NULL)
    return berth_error (err, errno, "readlink");
  if (clear_name (ctx, dst_dirfd, name, err) < 0)
    return -1;
  if (symlinkat (target, dst_dirfd, name) < 0)
    return berth_error (err, errno, "symlink");
  if (ctx->opts->preserve_owner
      && fchownat (dst_dirfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
    return berth_error (err, errno, "chown");
  struct timespec ts[2] = { st->st_atim, st->st_mtim };
  (void)utimensat (dst_dirfd, name, ts, AT_SYMLINK_NOFOLLOW);
  return 0;
}

static int
copy_dir (struct copy_ctx *ctx, int src_fd, int dst_dirfd, const char *name, berth_error_t *err)
{
  cleanup_close int src = -1, dst = -1;

  if (mkdirat (dst_dirfd, name, 0700) < 0 && errno != EEXIST)
    return berth_error (err, errno, "mkdir");
  /* O_NOFOLLOW: an existing symlink at NAME is an error, not a way out.  */
  dst = openat (dst_dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dst < 0)
    return berth_error (err, errno, "open destination directory");
  src = openat (src_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (src < 0)
    return berth_error (err, errno, "open directory");
  if (copy_contents (ctx, src, dst, err) < 0)
    return -1;
  return berth_copy_metadata (src, dst, ctx->opts, err);
}

static int
copy_special (struct copy_ctx *ctx, int src_fd, const struct stat *st, int dst_dirfd,
              const char *name, berth_error_t *err)
{
  cleanup_close int dst = -1;

  if (S_ISSOCK (st->st_mode))
    return 0; /* a socket is a live endpoint, nothing to copy */
  if (clear_name (ctx, dst_dirfd, name, err) < 0)
    return -1;
  if (mknodat (dst_dirfd, name, st->st_mode & S_IFMT, st->st_rdev) < 0)
    return berth_error (err, errno, "mknod");
  dst = openat (dst_dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (dst < 0)
    return berth_error (err, errno, "open");
  return berth_copy_metadata (src_fd, dst, ctx->opts, err);
}

static int
copy_obj (struct copy_ctx *ctx, int src_fd, const struct stat *st, int dst_dirfd, const char *name,
          berth_error_t *err)
{
  if (st->st_dev != ctx->dev)
    return 0; /* a mount below the source: not part of its tree */
  if (S_ISDIR (st->st_mode))
    return copy_dir (ctx, src_fd, dst_dirfd, name, err);
  if (S_ISREG (st->st_mode))
    return copy_regular (ctx, src_fd, st, dst_dirfd, name, err);
  if (S_ISLNK (st->st_mode))
    return copy_symlink (ctx, src_fd, st, dst_dirfd, name, err);
  return copy_special (ctx, src_fd, st, dst_dirfd, name, err);
}

int
berth_copy_tree (int src_fd, int dst_dirfd, const char *name, const struct berth_copy_options *opts,
                 berth_error_t *err)
{
  struct copy_ctx ctx = { .opts = opts };
  struct stat st;
  int r;

  if (fstat (src_fd, &st) < 0)
    return berth_error (err, errno, "stat");
  ctx.dev = st.st_dev;
  r = copy_obj (&ctx, src_fd, &st, dst_dirfd, name, err);
  ctx_release (&ctx);
  return r;
}

int
berth_copy_dir_contents (int src_dirfd, int dst_dirfd, const struct berth_copy_options *opts,
                         berth_error_t *err)
{
  struct copy_ctx ctx = { .opts = opts };
  struct stat st;
  int r;

  if (fstat (src_dirfd, &st) < 0)
    return berth_error (err, errno, "stat");
  ctx.dev = st.st_dev;
  r = copy_contents (&ctx, src_dirfd, dst_dirfd, err);
  ctx_release (&ctx);
  return r;
}
