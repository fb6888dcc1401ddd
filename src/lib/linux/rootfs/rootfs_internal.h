/* Helpers shared by the files that build the container's mount namespace:
 * rootfs.c (mount plan and execution, pivot_root), tmpcopyup.c and
 * cgroup_mounts.c (attach steps of one planned mount) and devices.c (/dev
 * nodes).  Path resolution inside the rootfs is in resolve.h.  Private to
 * src/lib/linux.  */
#ifndef BERTH_ROOTFS_INTERNAL_H
#define BERTH_ROOTFS_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "resolve.h"
#include "rootfs.h"

#define ATIME_FLAGS (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)
/* Flags a bind remount can change: they belong to the mount, not the
   filesystem.  */
#define PER_MOUNT_FLAGS                                                                            \
  (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NODIRATIME | MS_NOSYMFOLLOW | ATIME_FLAGS)

/* One mount of spec->mounts, planned (rootfs.c) then attached.  */

enum berth_mount_kind
{
  BERTH_MOUNT_BIND,
  BERTH_MOUNT_PROC,
  BERTH_MOUNT_SYSFS,
  BERTH_MOUNT_CGROUP,
  BERTH_MOUNT_TMPFS,
  BERTH_MOUNT_OTHER,
};

struct berth_mount_plan
{
  const struct berth_rootfs_ctx *ctx;
  const struct berth_mount *m;
  struct berth_mount_options o;
  char *dest; /* cleaned destination, for checks and messages */
  enum berth_mount_kind kind;
  bool did_bind; /* the attach step bind mounted: flags need a remount */
};

/* The flags to give mount(2) for a new filesystem of plan P.  */
unsigned long berth_mount_plan_fs_flags (const struct berth_mount_plan *p);

/* Bind SOURCE (recursively if RECURSIVE) onto DESTFD, the resolved
   destination of P; the mount's flags then wait for a remount.  */
int berth_mount_attach_bind (struct berth_mount_plan *p, const char *source, bool recursive,
                             int destfd, berth_error_t *err);

/* mount(2) onto the inode FD holds; DEST names it in the error.  */
int berth_mount_on_fd (const char *source, int fd, const char *dest, const char *fstype,
                       unsigned long flags, const char *data, berth_error_t *err);

/* Bind remount the mount whose root FD is, to its current per-mount flags
   plus SET minus CLEAR.  */
int berth_remount_bind (int fd, const char *dest, unsigned long set, unsigned long clear,
                        berth_error_t *err);

/* An O_PATH fd of the mount just made at DEST below ROOTFD (the fd used to
   mount still holds the directory below it).  */
int berth_reopen_mount (int rootfd, const char *dest, berth_error_t *err);

/* tmpfs with tmpcopyup (tmpcopyup.c): mount a tmpfs on DESTFD and copy what
   was in the directory into it.  */
int berth_attach_tmpfs_copyup (struct berth_mount_plan *p, int rootfd, int destfd,
                               berth_error_t *err);

/* A `type: cgroup` mount (cgroup_mounts.c): the cgroup filesystem of the
   host's layout (v1 or v2), mounted fresh or bound.  */
int berth_attach_cgroup (struct berth_mount_plan *p, int rootfd, int destfd, berth_error_t *err);

/* Populate the container's /dev below ROOTFD (the rootfs, before pivot):
 * the default nodes, linux.devices, the /dev symlinks and /dev/ptmx.  */
int berth_rootfs_create_devices (const struct berth_rootfs_ctx *ctx, int rootfd,
                                 berth_error_t *err);

#endif
