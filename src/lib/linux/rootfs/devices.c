/* Owns the contents of the container's /dev: the default device nodes
 * (null, zero, full, random, urandom, tty), linux.devices with their mode
 * and owner, the symlinks into /proc/self/fd, /dev/core and /dev/ptmx.
 *
 * In a new user namespace mknod(2) of a device is refused: the host's node
 * is bound onto an empty file instead, as runc does (its mode and owner are
 * then the host's).  A node that already exists is left as it is.  */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "rootfs_internal.h"

static const struct berth_device default_devices[] = {
  { .path = "/dev/null", .type = 'c', .major = 1, .minor = 3 },
  { .path = "/dev/zero", .type = 'c', .major = 1, .minor = 5 },
  { .path = "/dev/full", .type = 'c', .major = 1, .minor = 7 },
  { .path = "/dev/random", .type = 'c', .major = 1, .minor = 8 },
  { .path = "/dev/urandom", .type = 'c', .major = 1, .minor = 9 },
  { .path = "/dev/tty", .type = 'c', .major = 5, .minor = 0 },
};

static const struct
{
  const char *name;
  const char *target;
} dev_symlinks[] = {
  { "fd", "/proc/self/fd" },
  { "stdin", "/proc/self/fd/0" },
  { "stdout", "/proc/self/fd/1" },
  { "stderr", "/proc/self/fd/2" },
};

static int
device_file_type (const struct berth_device *dev, mode_t *out, berth_error_t *err)
{
  switch (dev->type)
    {
    case 'c':
    case 'u':
      *out = S_IFCHR;
      return 0;
    case 'b':
      *out = S_IFBLK;
      return 0;
    case 'p':
      *out = S_IFIFO;
      return 0;
    default:
      return berth_error (err, EINVAL, "device `%s`: unknown type `%c`", dev->path, dev->type);
    }
}

/* Open the directory a device goes in (created inside the rootfs when
   missing) and point *name at its last component.  */
static int
open_device_parent (int rootfd, const char *clean, const char **name, berth_error_t *err)
{
  const char *slash = strrchr (clean, '/');
  cleanup_free char *parent = strndup (clean, slash == clean ? 1 : (size_t)(slash - clean));

  if (parent == NULL)
    return berth_error (err, ENOMEM, "open parent directory");
  *name = slash + 1;
  if (**name == '\0')
    return berth_error (err, EINVAL, "not a file path");
  return berth_open_in_root (rootfd, parent, BERTH_CREATE_DIR, err);
}

/* Mode and owner, set through an fd of the node just made so a symlink
   swapped in cannot redirect them.  */
static int
set_node_attributes (int dirfd, const char *name, const char *path, mode_t type, mode_t perm,
                     uid_t uid, gid_t gid, berth_error_t *err)
{
  char fdpath[BERTH_FD_PATH_SIZE];
  cleanup_close int fd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;

  if (fd < 0 || fstat (fd, &st) < 0)
    return berth_error (err, errno, "device `%s`", path);
  if ((st.st_mode & S_IFMT) != type)
    return berth_error (err, EEXIST, "device `%s`: replaced while being created", path);
  /* Usually right from mknod already (made as root, umask 0): skip.  */
  if ((st.st_uid != uid || st.st_gid != gid) && fchownat (fd, "", uid, gid, AT_EMPTY_PATH) < 0)
    return berth_error (err, errno, "chown device `%s`", path);
  if ((st.st_mode & 07777) != perm && chmod (berth_fd_path (fd, fdpath), perm) < 0)
    return berth_error (err, errno, "chmod device `%s`", path);
  return 0;
}

static int
bind_host_device (int dirfd, const char *name, const char *path, berth_error_t *err)
{
  char target[BERTH_FD_PATH_SIZE];
  cleanup_close int fd = -1;

  fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return errno == EEXIST ? 0 : berth_error (err, errno, "create `%s`", path);
  close (steal_fd (&fd));
  fd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return berth_error (err, errno, "open `%s`", path);
  if (mount (path, berth_fd_path (fd, target), NULL, MS_BIND, NULL) < 0)
    return berth_error (err, errno, "bind host device `%s`", path);
  return 0;
}

static int
create_device (const struct berth_rootfs_ctx *ctx, int rootfd, const struct berth_device *dev,
               berth_error_t *err)
{
  cleanup_free char *clean = NULL;
  cleanup_close int dirfd = -1;
  const char *name = NULL;
  mode_t type = 0, perm = dev->has_file_mode ? dev->file_mode & 07777 : 0666;

  if (dev->path == NULL || dev->path[0] != '/')
    return berth_error (err, EINVAL, "device `%s`: path is not absolute",
                        dev->path ? dev->path : "");
  if (device_file_type (dev, &type, err) < 0)
    return berth_error_ret (err);
  clean = berth_path_clean (dev->path);
  if (clean == NULL)
    return berth_error (err, ENOMEM, "device `%s`", dev->path);
  dirfd = open_device_parent (rootfd, clean, &name, err);
  if (dirfd < 0)
    return berth_error_wrap (err, "device `%s`", dev->path);

  if (ctx->in_new_userns && type != S_IFIFO)
    return bind_host_device (dirfd, name, clean, err);
  {
    /* The mode asked for, not one the umask cut: saves the chmod.  */
    mode_t old_umask = umask (0);
    int r = mknodat (dirfd, name, type | perm, makedev (dev->major, dev->minor));
    int saved = errno;
    umask (old_umask);
    if (r < 0)
      return saved == EEXIST ? 0 : berth_error (err, saved, "mknod `%s`", clean);
  }
  return set_node_attributes (dirfd, name, clean, type, perm, dev->has_uid ? dev->uid : 0,
                              dev->has_gid ? dev->gid : 0, err);
}

static bool
listed_in_spec (const struct berth_spec *spec, const char *path)
{
  for (size_t i = 0; i < spec->linux_.n_devices; i++)
    {
      cleanup_free char *clean
          = spec->linux_.devices[i].path ? berth_path_clean (spec->linux_.devices[i].path) : NULL;
      if (clean && strcmp (clean, path) == 0)
        return true;
    }
  return false;
}

static int
create_symlinks (int devfd, berth_error_t *err)
{
  for (size_t i = 0; i < sizeof (dev_symlinks) / sizeof (dev_symlinks[0]); i++)
    if (symlinkat (dev_symlinks[i].target, devfd, dev_symlinks[i].name) < 0 && errno != EEXIST)
      return berth_error (err, errno, "symlink `/dev/%s`", dev_symlinks[i].name);
  if (access ("/proc/kcore", F_OK) == 0 && symlinkat ("/proc/kcore", devfd, "core") < 0
      && errno != EEXIST)
    return berth_error (err, errno, "symlink `/dev/core`");
  return 0;
}

/* /dev/ptmx must be the devpts instance of the container (pts/ptmx), never
   a node of the host's shared one.  */
static int
create_ptmx (int devfd, berth_error_t *err)
{
  if (unlinkat (devfd, "ptmx", 0) < 0 && errno != ENOENT)
    return berth_error (err, errno, "remove `/dev/ptmx`");
  if (symlinkat ("pts/ptmx", devfd, "ptmx") < 0)
    return berth_error (err, errno, "symlink `/dev/ptmx`");
  return 0;
}

int
berth_rootfs_create_devices (const struct berth_rootfs_ctx *ctx, int rootfd, berth_error_t *err)
{
  const struct berth_linux *l = &ctx->spec->linux_;
  cleanup_close int devfd = berth_open_in_root (rootfd, "/dev", BERTH_CREATE_DIR, err);

  if (devfd < 0)
    return berth_error_ret (err);
  for (size_t i = 0; i < l->n_devices; i++)
    if (create_device (ctx, rootfd, &l->devices[i], err) < 0)
      return berth_error_ret (err);
  for (size_t i = 0; i < sizeof (default_devices) / sizeof (default_devices[0]); i++)
    if (!listed_in_spec (ctx->spec, default_devices[i].path)
        && create_device (ctx, rootfd, &default_devices[i], err) < 0)
      return berth_error_ret (err);
  if (create_symlinks (devfd, err) < 0 || create_ptmx (devfd, err) < 0)
    return berth_error_ret (err);
  return 0;
}
