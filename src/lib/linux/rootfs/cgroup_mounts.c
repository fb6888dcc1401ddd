/* The cgroup filesystem seen inside the container, for every mount of
 * `type: cgroup`: on a cgroup v2 host, cgroup2 mounted fresh (it shows the
 * container's own cgroup when the container has a cgroup namespace of its
 * own), else the process's cgroup bound from the host; on a v1 (or hybrid)
 * host, a tmpfs holding one directory per hierarchy the process is in
 * (each mounted fresh in a new cgroup namespace, else bound from the host)
 * and the host's symlinks between them ("cpu" -> "cpu,cpuacct").  Only the
 * mounts: creating and configuring the container's cgroup is cgroup*.c.  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"
#include "rootfs_internal.h"

#define HOST_CGROUP_ROOT "/sys/fs/cgroup"

/* The line of /proc/self/cgroup for the hierarchy mounted at
   /sys/fs/cgroup/NAME: controllers "NAME", "name=NAME", or the v2
   hierarchy for "unified".  Sets *controllers and *path into TEXT.  */
static bool
find_cgroup_hierarchy (char *text, const char *name, const char **controllers, const char **path)
{
  for (char *line = text, *next; line && *line; line = next)
    {
      char *c, *pth;

      next = strchr (line, '\n');
      if (next)
        *next++ = '\0';
      c = strchr (line, ':');
      pth = c ? strchr (c + 1, ':') : NULL;
      if (pth == NULL)
        continue;
      *pth++ = '\0';
      c++;
      if (strcmp (c, name) == 0 || (strncmp (c, "name=", 5) == 0 && strcmp (c + 5, name) == 0)
          || (*c == '\0' && strcmp (name, "unified") == 0))
        {
          *controllers = c;
          *path = pth;
          return true;
        }
    }
  return false;
}

/* The host directory to bind for a hierarchy: the process's own cgroup when
   it exists there, like runc, else the hierarchy's root.  */
static char *
cgroup_bind_source (const char *name, const char *path)
{
  char *source = NULL;
  struct stat st;

  if (strcmp (path, "/") != 0 && asprintf (&source, HOST_CGROUP_ROOT "/%s%s", name, path) >= 0
      && stat (source, &st) == 0 && S_ISDIR (st.st_mode))
    return source;
  free (source);
  source = NULL;
  if (asprintf (&source, HOST_CGROUP_ROOT "/%s", name) < 0)
    return NULL;
  return source;
}

/* One v1 hierarchy (or the hybrid "unified" one) below the tmpfs: mounted
   afresh in a cgroup namespace of our own, else bound from the host.  */
static int
attach_cgroup_hierarchy (struct berth_mount_plan *p, int tmpfsdir, const char *name,
                         char *cgroup_text, bool defer_flags, berth_error_t *err)
{
  cleanup_free char *cgroups = strdup (cgroup_text);
  cleanup_free char *source = NULL;
  cleanup_free char *dest = NULL;
  cleanup_close int fd = -1;
  cleanup_close int top = -1;
  const char *controllers, *path;
  unsigned long flags = berth_mount_plan_fs_flags (p) & PER_MOUNT_FLAGS;

  if (cgroups == NULL || asprintf (&dest, "%s/%s", p->dest, name) < 0)
    return berth_error (err, ENOMEM, "mount cgroup `%s`", name);
  if (!find_cgroup_hierarchy (cgroups, name, &controllers, &path))
    return 0; /* not a hierarchy this process is in */
  if (p->ctx->cgroup_path)
    path = p->ctx->cgroup_path;
  if (mkdirat (tmpfsdir, name, 0755) < 0 && errno != EEXIST)
    return berth_error (err, errno, "mkdir `%s`", dest);
  fd = openat (tmpfsdir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return berth_error (err, errno, "open `%s`", dest);

  if (p->ctx->in_new_cgroupns)
    {
      char target[BERTH_FD_PATH_SIZE];
      bool v2 = *controllers == '\0';
      if (mount ("cgroup", berth_fd_path (fd, target), v2 ? "cgroup2" : "cgroup", flags,
                 v2 ? NULL : controllers)
          == 0)
        return 0;
    }

  source = cgroup_bind_source (name, path);
  if (source == NULL)
    return berth_error (err, ENOMEM, "mount cgroup `%s`", name);
  if (berth_mount_on_fd (source, fd, dest, NULL, MS_BIND | MS_REC, NULL, err) < 0)
    return berth_error_ret (err);
  if (defer_flags)
    return 0; /* set for the whole tree at once: set_tree_flags */
  top = openat (tmpfsdir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (top < 0)
    return berth_error (err, errno, "open `%s`", dest);
  return berth_remount_bind (top, dest, flags, p->o.clear_flags & PER_MOUNT_FLAGS, err);
}

static int
copy_cgroup_symlink (int hostdir, int tmpfsdir, const char *name, berth_error_t *err)
{
  char target[PATH_MAX];
  ssize_t n = readlinkat (hostdir, name, target, sizeof (target) - 1);

  if (n < 0)
    return berth_error (err, errno, "readlink `" HOST_CGROUP_ROOT "/%s`", name);
  target[n] = '\0';
  if (symlinkat (target, tmpfsdir, name) < 0 && errno != EEXIST)
    return berth_error (err, errno, "symlink `%s`", name);
  return 0;
}

/* The mount flags SET (and CLEAR) on the tmpfs at TOP and every bind below
   it, in one mount_setattr instead of a remount per hierarchy (ten on v1:
   about 0.2 ms).  Only the bits named change, so flags the kernel locks on
   a bind (in a user namespace) are kept without being restated.  Returns
   -ENOSYS (kernels before 5.12) for the caller to remount one by one.  */
static int
set_tree_flags (int top, unsigned long set, unsigned long clear)
{
  static const struct
  {
    unsigned long ms;
    uint64_t attr;
  } map[] = {
    { MS_RDONLY, MOUNT_ATTR_RDONLY },         { MS_NOSUID, MOUNT_ATTR_NOSUID },
    { MS_NODEV, MOUNT_ATTR_NODEV },           { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
    { MS_NODIRATIME, MOUNT_ATTR_NODIRATIME }, { MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW },
  };
  struct mount_attr attr = { 0 };

  for (size_t i = 0; i < sizeof (map) / sizeof (map[0]); i++)
    {
      if (set & map[i].ms)
        attr.attr_set |= map[i].attr;
      else if (clear & map[i].ms)
        attr.attr_clr |= map[i].attr;
    }
  /* atime is one field: name it whole, then the one mode wanted.  */
  if (set & ATIME_FLAGS)
    {
      attr.attr_clr |= MOUNT_ATTR__ATIME;
      attr.attr_set |= (set & MS_NOATIME)       ? MOUNT_ATTR_NOATIME
                       : (set & MS_STRICTATIME) ? MOUNT_ATTR_STRICTATIME
                                                : MOUNT_ATTR_RELATIME;
    }
  if (mount_setattr (top, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof (attr)) < 0)
    return -errno;
  return 0;
}

/* Without mount_setattr: remount each hierarchy below TMPFSDIR.  */
static int
remount_each (struct berth_mount_plan *p, int tmpfsdir, unsigned long set, unsigned long clear,
              berth_error_t *err)
{
  cleanup_dir DIR *d = fdopendir (dup (tmpfsdir));
  struct dirent *de;

  if (d == NULL)
    return berth_error (err, errno, "open `%s`", p->dest);
  while ((de = readdir (d)))
    {
      cleanup_close int fd = -1;
      struct statx stx;

      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      fd = openat (tmpfsdir, de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        return berth_error (err, errno, "open `%s/%s`", p->dest, de->d_name);
      if (statx (fd, "", AT_EMPTY_PATH, 0, &stx) < 0
          || !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
        continue;
      if (berth_remount_bind (fd, p->dest, set, clear, err) < 0)
        return berth_error_ret (err);
    }
  return 0;
}

/* cgroup v1 host: a tmpfs with one directory per hierarchy of the host's
   /sys/fs/cgroup, and its symlinks ("cpu" -> "cpu,cpuacct").  */
static int
attach_cgroup_v1 (struct berth_mount_plan *p, int rootfd, int destfd, berth_error_t *err)
{
  cleanup_free char *cgroups = NULL;
  cleanup_close int top = -1;
  cleanup_close int dir = -1;
  cleanup_dir DIR *host = NULL;
  unsigned long flags = berth_mount_plan_fs_flags (p) & ~MS_RDONLY;
  unsigned long bind_set = berth_mount_plan_fs_flags (p) & PER_MOUNT_FLAGS;
  unsigned long bind_clear = p->o.clear_flags & PER_MOUNT_FLAGS;
  struct dirent *de;
  int r;

  if (berth_read_file ("/proc/self/cgroup", &cgroups, NULL, err) < 0)
    return berth_error_ret (err);
  if (berth_mount_on_fd ("tmpfs", destfd, p->dest, "tmpfs", flags, "mode=755", err) < 0)
    return berth_error_ret (err);
  top = berth_reopen_mount (rootfd, p->dest, err);
  if (top < 0)
    return berth_error_ret (err);
  dir = berth_open_dir_of (top, p->dest, err);
  if (dir < 0)
    return berth_error_ret (err);
  host = opendir (HOST_CGROUP_ROOT);
  if (host == NULL)
    return berth_error (err, errno, "open `" HOST_CGROUP_ROOT "`");
  while ((de = readdir (host)))
    {
      r = 0;
      if (de->d_name[0] == '.')
        continue;
      if (de->d_type == DT_LNK)
        r = copy_cgroup_symlink (dirfd (host), dir, de->d_name, err);
      else if (de->d_type == DT_DIR)
        r = attach_cgroup_hierarchy (p, dir, de->d_name, cgroups, true, err);
      if (r < 0)
        return berth_error_wrap (err, "mount `cgroup` to `%s`", p->dest);
    }
  /* The binds get the mount's flags, the tmpfs has them but read-only.  */
  r = set_tree_flags (top, bind_set, bind_clear);
  if (r == 0)
    return 0;
  if (r != -ENOSYS)
    return berth_error (err, -r, "set the flags of `%s`", p->dest);
  if (remount_each (p, dir, bind_set, bind_clear, err) < 0)
    return berth_error_ret (err);
  if ((p->o.flags & MS_RDONLY) && berth_remount_bind (top, p->dest, MS_RDONLY, 0, err) < 0)
    return berth_error_ret (err);
  return 0;
}

/* cgroup v2 host: mount cgroup2; where that is refused (no cgroup namespace
   of our own in a user namespace), bind the process's cgroup.  */
static int
attach_cgroup_v2 (struct berth_mount_plan *p, int destfd, berth_error_t *err)
{
  char target[BERTH_FD_PATH_SIZE];
  cleanup_free char *cgroups = NULL;
  cleanup_free char *source = NULL;
  const char *controllers, *path;

  if (mount ("cgroup2", berth_fd_path (destfd, target), "cgroup2", berth_mount_plan_fs_flags (p),
             p->o.data)
      == 0)
    return 0;
  if (errno != EPERM && errno != EBUSY)
    return berth_error (err, errno, "mount `cgroup2` to `%s`", p->dest);
  if (berth_read_file ("/proc/self/cgroup", &cgroups, NULL, err) < 0)
    return berth_error_ret (err);
  if (!find_cgroup_hierarchy (cgroups, "unified", &controllers, &path))
    path = "/";
  if (p->ctx->cgroup_path)
    path = p->ctx->cgroup_path;
  if (asprintf (&source, HOST_CGROUP_ROOT "%s", strcmp (path, "/") == 0 ? "" : path) < 0)
    return berth_error (err, ENOMEM, "mount `cgroup2` to `%s`", p->dest);
  return berth_mount_attach_bind (p, source, true, destfd, err);
}

int
berth_attach_cgroup (struct berth_mount_plan *p, int rootfd, int destfd, berth_error_t *err)
{
  struct statfs sfs;

  if (statfs (HOST_CGROUP_ROOT, &sfs) < 0)
    return berth_error (err, errno, "statfs `" HOST_CGROUP_ROOT "`");
  if (sfs.f_type == CGROUP2_SUPER_MAGIC)
    return attach_cgroup_v2 (p, destfd, err);
  return attach_cgroup_v1 (p, rootfd, destfd, err);
}
