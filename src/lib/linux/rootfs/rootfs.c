/* The container's mount namespace, as the container init builds it:
 * propagation of "/" made slave (or private) so nothing leaks to the host,
 * the rootfs bound onto itself, spec->mounts planned and mounted in order
 * below it, /dev populated (devices.c), pivot_root, then maskedPaths,
 * readonlyPaths, a read-only root and the final rootfsPropagation.  The
 * attach steps of tmpfs with tmpcopyup (tmpcopyup.c) and of the cgroup
 * filesystem (cgroup_mounts.c) live in their own files.
 *
 * Every destination is resolved inside the rootfs by berth_open_in_root
 * (resolve.c), and mount(2) is given "/proc/self/fd/N" of the resolved
 * O_PATH fd, so a symlink in the image (or swapped in concurrently) cannot
 * send a mount onto the host.  A mount's flags, propagation and recursive
 * attributes are applied afterwards on the mount itself, found again the
 * same way.
 *
 * Propagation: while setting up, "/" is MS_SLAVE|MS_REC (MS_PRIVATE|MS_REC
 * when rootfsPropagation asks for private), as runc does by default; a
 * shared rootfsPropagation is applied only after pivot_root, so it makes a
 * new peer group inside the container and never joins the host's.  */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"
#include "rootfs_internal.h"

#ifndef ST_NOSYMFOLLOW
#define ST_NOSYMFOLLOW 0x2000
#endif

/* Mounting onto a resolved fd; shared with tmpcopyup.c and cgroup_mounts.c.  */

static int
open_rootfs (const struct berth_rootfs_ctx *ctx, berth_error_t *err)
{
  int fd = open (ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return berth_error (err, errno, "open rootfs `%s`", ctx->rootfs);
  return fd;
}

int
berth_mount_on_fd (const char *source, int fd, const char *dest, const char *fstype,
                   unsigned long flags, const char *data, berth_error_t *err)
{
  char target[BERTH_FD_PATH_SIZE];

  if (mount (source, berth_fd_path (fd, target), fstype, flags, data) < 0)
    return berth_error (err, errno, "mount `%s` to `%s`", source ? source : fstype, dest);
  return 0;
}

static const struct
{
  unsigned long st;
  unsigned long ms;
} statfs_flags[] = {
  { ST_RDONLY, MS_RDONLY },     { ST_NOSUID, MS_NOSUID },
  { ST_NODEV, MS_NODEV },       { ST_NOEXEC, MS_NOEXEC },
  { ST_NOATIME, MS_NOATIME },   { ST_NODIRATIME, MS_NODIRATIME },
  { ST_RELATIME, MS_RELATIME }, { ST_NOSYMFOLLOW, MS_NOSYMFOLLOW },
};

/* The per-mount MS_* flags the mount holding FD has now.  */
static int
current_mount_flags (int fd, const char *dest, unsigned long *out, berth_error_t *err)
{
  struct statfs sfs;
  unsigned long flags = 0;

  if (fstatfs (fd, &sfs) < 0)
    return berth_error (err, errno, "statfs `%s`", dest);
  for (size_t i = 0; i < sizeof (statfs_flags) / sizeof (statfs_flags[0]); i++)
    if ((unsigned long)sfs.f_flags & statfs_flags[i].st)
      flags |= statfs_flags[i].ms;
  if (!(flags & (MS_NOATIME | MS_RELATIME)))
    flags |= MS_STRICTATIME;
  *out = flags;
  return 0;
}

/* Change the flags of the mount whose root FD is with a bind remount: the
   flags it has now, plus SET, minus CLEAR.  Starting from the current flags
   keeps what the kernel locks in a user namespace (nosuid, nodev, ... of a
   host mount), where dropping them fails with EPERM.  */
int
berth_remount_bind (int fd, const char *dest, unsigned long set, unsigned long clear,
                    berth_error_t *err)
{
  char target[BERTH_FD_PATH_SIZE];
  unsigned long flags = 0;
  int r = -1;

  if (current_mount_flags (fd, dest, &flags, err) < 0)
    return berth_error_ret (err);
  if (set & ATIME_FLAGS)
    flags &= ~ATIME_FLAGS;
  flags = ((flags | set) & ~clear) & PER_MOUNT_FLAGS;
  /* "/" can be busy for a moment while the kernel drops the old root.  */
  for (int i = 0; i < 5; i++)
    {
      r = mount (NULL, berth_fd_path (fd, target), NULL, MS_REMOUNT | MS_BIND | flags, NULL);
      if (r == 0 || errno != EBUSY)
        break;
      nanosleep (&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
    }
  if (r < 0)
    return berth_error (err, errno, "remount `%s`", dest);
  return 0;
}

/* Find the mount just made at DEST again: resolving crosses onto the new
   mount, where the fd used to mount still holds the directory below it.  */
int
berth_reopen_mount (int rootfd, const char *dest, berth_error_t *err)
{
  struct statx stx;
  cleanup_close int fd = berth_open_in_root (rootfd, dest, BERTH_CREATE_NONE, err);

  if (fd < 0)
    return berth_error_ret (err);
  if (statx (fd, "", AT_EMPTY_PATH, 0, &stx) == 0
      && (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
      && !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
    return berth_error (err, EXDEV, "`%s` changed while it was mounted", dest);
  return steal_fd (&fd);
}

static int
set_propagation (int fd, const char *dest, unsigned long propagation, berth_error_t *err)
{
  char target[BERTH_FD_PATH_SIZE];

  if (mount (NULL, berth_fd_path (fd, target), NULL, propagation, NULL) < 0)
    return berth_error (err, errno, "set propagation of `%s`", dest);
  return 0;
}

static int
set_recursive_attrs (int fd, const char *dest, const struct berth_mount_options *o,
                     berth_error_t *err)
{
  struct mount_attr attr = {
    .attr_set = o->rec_attr_set,
    .attr_clr = o->rec_attr_clr,
  };

  if (syscall (SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof (attr)) < 0)
    return berth_error (err, errno, "set recursive mount attributes of `%s`", dest);
  return 0;
}

/* One mount of spec->mounts, planned then executed.  */

static void
mount_plan_release (struct berth_mount_plan *p)
{
  berth_mount_options_release (&p->o);
  free (p->dest);
}

#define cleanup_mount_plan __attribute__ ((cleanup (mount_plan_release)))

static enum berth_mount_kind
mount_kind_of (const struct berth_mount *m, const struct berth_mount_options *o)
{
  const char *type = m->type ? m->type : "";

  if (o->bind || strcmp (type, "bind") == 0)
    return BERTH_MOUNT_BIND;
  if (strcmp (type, "proc") == 0)
    return BERTH_MOUNT_PROC;
  if (strcmp (type, "sysfs") == 0)
    return BERTH_MOUNT_SYSFS;
  if (strcmp (type, "cgroup") == 0)
    return BERTH_MOUNT_CGROUP;
  if (strcmp (type, "tmpfs") == 0)
    return BERTH_MOUNT_TMPFS;
  return BERTH_MOUNT_OTHER;
}

static int
plan_mount (const struct berth_rootfs_ctx *ctx, const struct berth_mount *m,
            struct berth_mount_plan *p, berth_error_t *err)
{
  p->ctx = ctx;
  p->m = m;
  if (m->destination == NULL || m->destination[0] != '/')
    return berth_error (err, EINVAL, "mount destination `%s` is not absolute",
                        m->destination ? m->destination : "");
  if (berth_mount_options_parse (m->options, &p->o, err) < 0)
    return berth_error_wrap (err, "mount `%s`", m->destination);
  p->dest = berth_path_clean (m->destination);
  if (p->dest == NULL)
    return berth_error (err, ENOMEM, "mount `%s`", m->destination);
  p->kind = mount_kind_of (m, &p->o);
  if (p->kind == BERTH_MOUNT_BIND && m->source == NULL)
    return berth_error (err, EINVAL, "bind mount to `%s` has no source", p->dest);
  if (p->kind == BERTH_MOUNT_OTHER && (m->type == NULL || m->type[0] == '\0'))
    return berth_error (err, EINVAL, "mount to `%s` has no type and is not a bind mount", p->dest);
  /* /dev is populated after it is mounted: make it read-only only then
     (berth_rootfs_finalize), as runc does.  */
  if (p->kind != BERTH_MOUNT_BIND && strcmp (p->dest, "/dev") == 0)
    p->o.flags &= ~MS_RDONLY;
  return 0;
}

/* What a bind mount's destination must be: a directory, or a file when the
   source is not a directory.  */
static int
bind_destination_kind (const struct berth_mount_plan *p, enum berth_create *out, berth_error_t *err)
{
  struct stat st;

  if (stat (p->m->source, &st) < 0)
    return berth_error (err, errno, "bind mount source `%s`", p->m->source);
  *out = S_ISDIR (st.st_mode) ? BERTH_CREATE_DIR : BERTH_CREATE_FILE;
  return 0;
}

static const char *const allowed_proc_binds[] = {
  "/proc/cpuinfo", "/proc/diskstats",
  "/proc/meminfo", "/proc/stat",
  "/proc/swaps",   "/proc/uptime",
  "/proc/loadavg", "/proc/slabinfo",
  "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
};

static bool
source_is_proc (const char *source)
{
  struct statfs sfs;
  return source && statfs (source, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

/* Nothing but a proc may cover /proc, and below it only the few files lxcfs
   emulates may be bound: anything else could hide what procfs protects.
   The resolved destination is checked too, so a symlink cannot reach
   /proc under another name.  */
static int
check_proc_destination (const struct berth_mount_plan *p, int destfd, berth_error_t *err)
{
  struct statfs sfs;
  bool on_procfs = fstatfs (destfd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;

  if (strcmp (p->dest, "/proc") == 0)
    {
      if (p->kind == BERTH_MOUNT_PROC || source_is_proc (p->m->source))
        return 0;
      return berth_error (err, EPERM, "mount to `/proc`: only a proc filesystem may go there");
    }
  if (!on_procfs && strncmp (p->dest, "/proc/", 6) != 0)
    return 0;
  if (p->kind == BERTH_MOUNT_BIND)
    for (size_t i = 0; i < sizeof (allowed_proc_binds) / sizeof (allowed_proc_binds[0]); i++)
      if (strcmp (p->dest, allowed_proc_binds[i]) == 0)
        return 0;
  return berth_error (err, EPERM, "mount to `%s`: destination is inside /proc", p->dest);
}

int
berth_mount_attach_bind (struct berth_mount_plan *p, const char *source, bool recursive, int destfd,
                         berth_error_t *err)
{
  p->did_bind = true;
  return berth_mount_on_fd (source, destfd, p->dest, NULL, MS_BIND | (recursive ? MS_REC : 0), NULL,
                            err);
}

unsigned long
berth_mount_plan_fs_flags (const struct berth_mount_plan *p)
{
  return p->o.flags & ~(MS_BIND | MS_REC);
}

static int
attach_fs (struct berth_mount_plan *p, int destfd, berth_error_t *err)
{
  const char *source = p->m->source ? p->m->source : p->m->type;
  return berth_mount_on_fd (source, destfd, p->dest, p->m->type, berth_mount_plan_fs_flags (p),
                            p->o.data, err);
}

/* sysfs can only be mounted afresh in a network namespace of our own
   (EPERM otherwise in a user namespace): then bind the host's, as runc.  */
static int
attach_sysfs (struct berth_mount_plan *p, int destfd, berth_error_t *err)
{
  char target[BERTH_FD_PATH_SIZE];
  const char *source = p->m->source ? p->m->source : "sysfs";

  if (mount (source, berth_fd_path (destfd, target), "sysfs", berth_mount_plan_fs_flags (p),
             p->o.data)
      == 0)
    return 0;
  if (errno != EPERM)
    return berth_error (err, errno, "mount `%s` to `%s`", source, p->dest);
  if (berth_mount_attach_bind (p, "/sys", true, destfd, err) < 0)
    return berth_error_wrap (err, "mount `%s` to `%s` failed with EPERM, bind of host /sys", source,
                             p->dest);
  return 0;
}

static int
attach_mount (struct berth_mount_plan *p, int rootfd, int destfd, berth_error_t *err)
{
  switch (p->kind)
    {
    case BERTH_MOUNT_BIND:
      return berth_mount_attach_bind (p, p->m->source, p->o.recursive, destfd, err);
    case BERTH_MOUNT_SYSFS:
      return attach_sysfs (p, destfd, err);
    case BERTH_MOUNT_CGROUP:
      return berth_attach_cgroup (p, rootfd, destfd, err);
    case BERTH_MOUNT_TMPFS:
      if (p->o.tmpcopyup)
        return berth_attach_tmpfs_copyup (p, rootfd, destfd, err);
      return attach_fs (p, destfd, err);
    case BERTH_MOUNT_PROC:
    case BERTH_MOUNT_OTHER:
      break;
    }
  return attach_fs (p, destfd, err);
}

/* After attaching: a bind only takes its flags on a remount, and
   propagation and recursive attributes are separate calls.  */
static int
finish_mount (struct berth_mount_plan *p, int rootfd, berth_error_t *err)
{
  cleanup_close int top = -1;
  bool remount = p->did_bind && ((p->o.flags | p->o.clear_flags) & PER_MOUNT_FLAGS);

  if (!remount && p->o.propagation == 0 && !p->o.rec_attr_set && !p->o.rec_attr_clr)
    return 0;
  top = berth_reopen_mount (rootfd, p->dest, err);
  if (top < 0)
    return berth_error_ret (err);
  if (remount
      && berth_remount_bind (top, p->dest, p->o.flags & PER_MOUNT_FLAGS,
                             p->o.clear_flags & PER_MOUNT_FLAGS, err)
             < 0)
    return berth_error_ret (err);
  if (p->o.propagation && set_propagation (top, p->dest, p->o.propagation, err) < 0)
    return berth_error_ret (err);
  if ((p->o.rec_attr_set || p->o.rec_attr_clr)
      && set_recursive_attrs (top, p->dest, &p->o, err) < 0)
    return berth_error_ret (err);
  return 0;
}

static int
mount_one (const struct berth_rootfs_ctx *ctx, const struct berth_mount *m, berth_error_t *err)
{
  cleanup_mount_plan struct berth_mount_plan p = { 0 };
  cleanup_close int rootfd = -1;
  cleanup_close int destfd = -1;
  enum berth_create create = BERTH_CREATE_DIR;

  if (plan_mount (ctx, m, &p, err) < 0)
    return berth_error_ret (err);
  if (p.kind == BERTH_MOUNT_BIND && bind_destination_kind (&p, &create, err) < 0)
    return berth_error_wrap (err, "mount `%s` to `%s`", m->source, p.dest);
  /* Reopened for each mount: an earlier one may have covered "/".  */
  rootfd = open_rootfs (ctx, err);
  if (rootfd < 0)
    return berth_error_ret (err);
  destfd = berth_open_in_root (rootfd, p.dest, create, err);
  if (destfd < 0)
    return berth_error_wrap (err, "mount `%s` to `%s`", m->source ? m->source : m->type, p.dest);
  if (check_proc_destination (&p, destfd, err) < 0)
    return berth_error_ret (err);
  if (attach_mount (&p, rootfd, destfd, err) < 0)
    return berth_error_ret (err);
  return finish_mount (&p, rootfd, err);
}

/* Preparation steps, in order.  */

/* The propagation named by linux.rootfsPropagation, 0 when unset.  */
static int
rootfs_propagation (const struct berth_spec *spec, unsigned long *out, berth_error_t *err)
{
  struct berth_mount_options o;
  char *names[2] = { spec->linux_.rootfs_propagation, NULL };
  int ret = 0;

  *out = 0;
  if (names[0] == NULL)
    return 0;
  if (berth_mount_options_parse (names, &o, err) < 0)
    return berth_error_wrap (err, "linux.rootfsPropagation");
  if (o.propagation == 0 || o.data || o.flags)
    ret = berth_error (err, EINVAL, "linux.rootfsPropagation: unknown value `%s`", names[0]);
  *out = o.propagation;
  berth_mount_options_release (&o);
  return ret;
}

static int
isolate_root (const struct berth_rootfs_ctx *ctx, berth_error_t *err)
{
  unsigned long propagation, flags = MS_SLAVE | MS_REC;

  if (rootfs_propagation (ctx->spec, &propagation, err) < 0)
    return berth_error_ret (err);
  /* The runtime's namespace: its propagation is not ours to change (crun
   * leaves it alone too).  */
  if (ctx->shared_mntns)
    return 0;
  if (propagation & MS_PRIVATE)
    flags = MS_PRIVATE | MS_REC;
  if (mount (NULL, "/", NULL, flags, NULL) < 0)
    return berth_error (err, errno, "make `/` %s", flags & MS_PRIVATE ? "rprivate" : "rslave");
  return 0;
}

/* pivot_root needs the new root to be a mount point.  */
static int
bind_rootfs (const struct berth_rootfs_ctx *ctx, berth_error_t *err)
{
  if (ctx->shared_mntns) /* bound by the runtime (shared_mntns.c) */
    return 0;
  if (mount (ctx->rootfs, ctx->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return berth_error (err, errno, "bind rootfs `%s` onto itself", ctx->rootfs);
  return 0;
}

static int
mount_config_mounts (const struct berth_rootfs_ctx *ctx, berth_error_t *err)
{
  for (size_t i = 0; i < ctx->spec->n_mounts; i++)
    if (mount_one (ctx, &ctx->spec->mounts[i], err) < 0)
      return berth_error_ret (err);
  return 0;
}

/* The mount of spec->mounts at /dev, or NULL.  */
static const struct berth_mount *
find_dev_mount (const struct berth_spec *spec)
{
  const struct berth_mount *found = NULL;

  for (size_t i = 0; i < spec->n_mounts; i++)
    {
      cleanup_free char *dest
          = spec->mounts[i].destination ? berth_path_clean (spec->mounts[i].destination) : NULL;
      if (dest && strcmp (dest, "/dev") == 0)
        found = &spec->mounts[i];
    }
  return found;
}

static bool
is_bind_mount (const struct berth_mount *m)
{
  if (m->type && strcmp (m->type, "bind") == 0)
    return true;
  for (char *const *o = m->options; o && *o; o++)
    if (strcmp (*o, "bind") == 0 || strcmp (*o, "rbind") == 0)
      return true;
  return false;
}

/* /dev is left alone when it is the host's, bound in; otherwise populated
   (runc's rule).  */
static int
populate_dev (const struct berth_rootfs_ctx *ctx, berth_error_t *err)
{
  const struct berth_mount *dev = find_dev_mount (ctx->spec);
  cleanup_close int rootfd = -1;

  if (dev && is_bind_mount (dev))
    return 0;
  rootfd = open_rootfs (ctx, err);
  if (rootfd < 0)
    return berth_error_ret (err);
  return berth_rootfs_create_devices (ctx, rootfd, err);
}

typedef int (*rootfs_step) (const struct berth_rootfs_ctx *ctx, berth_error_t *err);

static const rootfs_step prepare_steps[] = {
  isolate_root,
  bind_rootfs,
  mount_config_mounts,
  populate_dev,
};

int
berth_rootfs_prepare (const struct berth_rootfs_ctx *ctx, berth_error_t *err)
{
  if (ctx->rootfs == NULL || ctx->rootfs[0] != '/')
    return berth_error (err, EINVAL, "rootfs `%s` is not an absolute path",
                        ctx->rootfs ? ctx->rootfs : "");
  for (size_t i = 0; i < sizeof (prepare_steps) / sizeof (prepare_steps[0]); i++)
    if (prepare_steps[i](ctx, err) < 0)
      return berth_error_ret (err);
  return 0;
}

/* pivot_root.  */

/* Whether mount point MP must stay for a chroot into ROOTFS: the rootfs,
   what is below it and what it sits on.  */
static bool
needed_by_rootfs (const char *mp, const char *rootfs)
{
  size_t m = strlen (mp), r = strlen (rootfs);

  if (strcmp (mp, "/") == 0)
    return true;
  if (m <= r && strncmp (rootfs, mp, m) == 0 && (rootfs[m] == '/' || rootfs[m] == '\0'))
    return true;
  return m > r && strncmp (mp, rootfs, r) == 0 && mp[r] == '/';
}

/* mountinfo escapes space, tab, newline and backslash as \ooo.  */
static void
unescape_mountinfo (char *s)
{
  char *out = s;

  for (; *s; s++)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0'
          && s[3] <= '7')
        {
          *out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
          s += 3;
        }
      else
        *out++ = *s;
    }
  *out = '\0';
}

/* Without pivot_root the host's mounts stay attached below the chroot:
   detach all those the rootfs does not need, deepest (last listed) first.
   Best effort, as runc: one that cannot go just stays unreachable.  */
static int
detach_host_mounts (const char *rootfs, berth_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_free char **points = NULL;
  size_t n = 0, cap = 0;

  if (berth_read_file ("/proc/self/mountinfo", &text, NULL, err) < 0)
    return berth_error_ret (err);
  for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n"))
    {
      char *mp = line;
      for (int field = 0; field < 4 && mp; field++)
        {
          mp = strchr (mp, ' ');
          if (mp)
            mp++;
        }
      if (mp == NULL)
        continue;
      mp[strcspn (mp, " ")] = '\0';
      unescape_mountinfo (mp);
      if (needed_by_rootfs (mp, rootfs))
        continue;
      if (n == cap)
        {
          char **grown = realloc (points, (cap = cap ? cap * 2 : 64) * sizeof (*grown));
          if (grown == NULL)
            return berth_error (err, ENOMEM, "list host mounts");
          points = grown;
        }
      points[n++] = mp;
    }
  while (n > 0)
    umount2 (points[--n], MNT_DETACH);
  return 0;
}

static int
move_root (const struct berth_rootfs_ctx *ctx, berth_error_t *err)
{
  if (detach_host_mounts (ctx->rootfs, err) < 0)
    return berth_error_ret (err);
  if (chdir (ctx->rootfs) < 0)
    return berth_error (err, errno, "chdir `%s`", ctx->rootfs);
  if (mount (ctx->rootfs, "/", NULL, MS_MOVE, NULL) < 0)
    return berth_error (err, errno, "move `%s` to `/`", ctx->rootfs);
  if (chroot (".") < 0)
    return berth_error (err, errno, "chroot `%s`", ctx->rootfs);
  return 0;
}

/* pivot_root(".", ".") stacks the old root on top of the new one, at the
   same place; it is then detached from there.  No directory for the old
   root is needed in the image.  */
static int
pivot_into (const struct berth_rootfs_ctx *ctx, berth_error_t *err)
{
  cleanup_close int oldroot = open ("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  cleanup_close int newroot = open (ctx->rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

  if (oldroot < 0)
    return berth_error (err, errno, "open `/`");
  if (newroot < 0)
    return berth_error (err, errno, "open rootfs `%s`", ctx->rootfs);
  if (fchdir (newroot) < 0)
    return berth_error (err, errno, "chdir `%s`", ctx->rootfs);
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return berth_error (err, errno, "pivot_root `%s`", ctx->rootfs);
  if (fchdir (oldroot) < 0)
    return berth_error (err, errno, "chdir to the old root");
  /* The unmount must not propagate to the host's mounts.  */
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return berth_error (err, errno, "make the old root rslave");
  if (umount2 (".", MNT_DETACH) < 0)
    return berth_error (err, errno, "detach the old root");
  return 0;
}

int
berth_rootfs_pivot (const struct berth_rootfs_ctx *ctx, berth_error_t *err)
{
  int r;

  /* No namespace of our own: neither pivot_root nor moving the rootfs to
   * "/" (that would cover the host's root), and the host's mounts stay.  */
  if (ctx->shared_mntns)
    r = berth_rootfs_chroot (ctx, err);
  else
    r = ctx->no_pivot ? move_root (ctx, err) : pivot_into (ctx, err);

  if (r < 0)
    return r;
  if (chdir ("/") < 0)
    return berth_error (err, errno, "chdir `/`");
  return 0;
}

/* After pivot_root.  */

/* A directory gets an empty read-only tmpfs, anything else /dev/null.  */
static int
mask_path (int rootfd, const char *path, berth_error_t *err)
{
  cleanup_close int fd = -1;
  struct stat st;

  fd = berth_open_in_root (rootfd, path, BERTH_CREATE_NONE, err);
  if (fd == -ENOENT || fd == -ENOTDIR)
    {
      berth_error_release (err);
      return 0;
    }
  if (fd < 0)
    return berth_error_wrap (err, "mask `%s`", path);
  if (fstat (fd, &st) < 0)
    return berth_error (err, errno, "mask `%s`", path);
  if (S_ISDIR (st.st_mode))
    return berth_mount_on_fd ("tmpfs", fd, path, "tmpfs", MS_RDONLY, NULL, err);
  return berth_mount_on_fd ("/dev/null", fd, path, NULL, MS_BIND, NULL, err);
}

static int
readonly_path (int rootfd, const char *path, berth_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_close int top = -1;

  fd = berth_open_in_root (rootfd, path, BERTH_CREATE_NONE, err);
  if (fd == -ENOENT || fd == -ENOTDIR)
    {
      berth_error_release (err);
      return 0;
    }
  if (fd < 0)
    return berth_error_wrap (err, "make `%s` read-only", path);
  {
    char source[BERTH_FD_PATH_SIZE];
    if (berth_mount_on_fd (berth_fd_path (fd, source), fd, path, NULL, MS_BIND | MS_REC, NULL, err)
        < 0)
      return berth_error_ret (err);
  }
  top = berth_reopen_mount (rootfd, path, err);
  if (top < 0)
    return berth_error_ret (err);
  return berth_remount_bind (top, path, MS_RDONLY, 0, err);
}

static int
apply_path_list (char *const *paths, int (*apply) (int, const char *, berth_error_t *),
                 berth_error_t *err)
{
  cleanup_close int rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

  if (rootfd < 0)
    return berth_error (err, errno, "open `/`");
  for (char *const *p = paths; p && *p; p++)
    if (apply (rootfd, *p, err) < 0)
      return berth_error_ret (err);
  return 0;
}

static int
apply_readonly_paths (const struct berth_rootfs_ctx *ctx, berth_error_t *err)
{
  return apply_path_list (ctx->spec->linux_.readonly_paths, readonly_path, err);
}

static int
apply_masked_paths (const struct berth_rootfs_ctx *ctx, berth_error_t *err)
{
  return apply_path_list (ctx->spec->linux_.masked_paths, mask_path, err);
}

static int
remount_ro (const char *path, berth_error_t *err)
{
  cleanup_close int fd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    return berth_error (err, errno, "open `%s`", path);
  return berth_remount_bind (fd, path, MS_RDONLY, 0, err);
}

/* A /dev asked read-only was mounted writable to be populated.  */
static int
readonly_dev (const struct berth_rootfs_ctx *ctx, berth_error_t *err)
{
  const struct berth_mount *dev = find_dev_mount (ctx->spec);
  struct berth_mount_options o;
  bool ro;

  if (dev == NULL || is_bind_mount (dev))
    return 0;
  if (berth_mount_options_parse (dev->options, &o, err) < 0)
    return berth_error_wrap (err, "mount `/dev`");
  ro = o.flags & MS_RDONLY;
  berth_mount_options_release (&o);
  return ro ? remount_ro ("/dev", err) : 0;
}

static int
readonly_root (const struct berth_rootfs_ctx *ctx, berth_error_t *err)
{
  return ctx->spec->root_readonly ? remount_ro ("/", err) : 0;
}

static int
final_propagation (const struct berth_rootfs_ctx *ctx, berth_error_t *err)
{
  unsigned long propagation;

  if (rootfs_propagation (ctx->spec, &propagation, err) < 0)
    return berth_error_ret (err);
  if (propagation && mount (NULL, "/", NULL, propagation, NULL) < 0)
    return berth_error (err, errno, "set propagation of `/` to `%s`",
                        ctx->spec->linux_.rootfs_propagation);
  return 0;
}

static const rootfs_step finalize_steps[] = {
  apply_readonly_paths, apply_masked_paths, readonly_dev, readonly_root, final_propagation,
};

int
berth_rootfs_finalize (const struct berth_rootfs_ctx *ctx, berth_error_t *err)
{
  for (size_t i = 0; i < sizeof (finalize_steps) / sizeof (finalize_steps[0]); i++)
    if (finalize_steps[i](ctx, err) < 0)
      return berth_error_ret (err);
  return 0;
}
