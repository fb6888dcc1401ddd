/* The container's mount namespace: rootfs bind, config mounts, /dev, pivot_root,
 * masked and read-only paths.  Runs in the container init, after it entered
 * its namespaces and before the user process is executed.  */
#ifndef BERTH_ROOTFS_H
#define BERTH_ROOTFS_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "oci/spec.h"

struct berth_rootfs_ctx
{
  const struct berth_spec *spec;
  const char *rootfs;  /* absolute host path of the root filesystem, symlinks resolved */
  bool no_pivot;       /* --no-pivot: MS_MOVE + chroot instead of pivot_root */
  bool in_new_userns;  /* device nodes cannot be mknod'ed: bind them from the host */
  bool in_new_netns;   /* sysfs can only be mounted fresh in a new net namespace */
  bool in_new_cgroupns;
  bool shared_mntns;   /* no mount namespace of its own: the runtime has bound the
                          rootfs already, "/" keeps its propagation, chroot */
  const char *cgroup_path; /* the container's cgroup (same in every hierarchy) when the
                              runtime is still moving us there: bind that one, not the
                              one /proc/self/cgroup shows now; NULL: ours */
};

/* Before pivot_root: make mount propagation private (the seed's leak must not
 * happen), bind the rootfs onto itself, mount every entry of spec->mounts in
 * order (destinations created safely inside the rootfs: no symlink may lead a
 * mount outside it), create /dev nodes (defaults and linux.devices) and the
 * /dev symlinks (fd, stdin, stdout, stderr, ptmx, core when /proc/kcore).  */
int berth_rootfs_prepare (const struct berth_rootfs_ctx *ctx, berth_error_t *err);

/* pivot_root into the rootfs (or chroot with no_pivot), detach the old root,
 * chdir("/").  */
int berth_rootfs_pivot (const struct berth_rootfs_ctx *ctx, berth_error_t *err);

/* After pivot: maskedPaths, readonlyPaths, root.readonly, and the final
 * rootfsPropagation of "/".  */
int berth_rootfs_finalize (const struct berth_rootfs_ctx *ctx, berth_error_t *err);

/* Without a mount namespace of the container's own (shared_mntns.c): the
 * runtime binds the rootfs onto itself before the init mounts below it and
 * gets that mount's id; unbind detaches the bind and all below it when the
 * mount at ROOTFS still is that one.  */
int berth_rootfs_bind_shared (const char *rootfs, uint64_t *mnt_id, berth_error_t *err);
void berth_rootfs_unbind_shared (const char *rootfs, uint64_t mnt_id);
/* chroot into the rootfs (berth_rootfs_pivot does it when shared_mntns).  */
int berth_rootfs_chroot (const struct berth_rootfs_ctx *ctx, berth_error_t *err);

/* Parsed mount options of one OCI mount (pure; unit tested).  */
struct berth_mount_options
{
  unsigned long flags;       /* MS_* for mount(2) */
  unsigned long clear_flags; /* flags explicitly cleared ("rw", "suid", ...) */
  unsigned long propagation; /* MS_PRIVATE|MS_SLAVE|MS_SHARED|MS_UNBINDABLE, maybe |MS_REC */
  bool bind;                 /* "bind" or "rbind" */
  bool recursive;            /* "rbind" */
  char *data;                /* comma-joined unknown options for the filesystem, or NULL */
  unsigned long rec_attr_set; /* MOUNT_ATTR_* set on the whole tree ("rro", "rnosuid", ...) */
  unsigned long rec_attr_clr; /* MOUNT_ATTR_* cleared on the whole tree ("rrw", "rsuid", ...) */
  bool tmpcopyup;             /* tmpfs: copy the directory's previous contents into it */
};
int berth_mount_options_parse (char *const *options, struct berth_mount_options *out,
                               berth_error_t *err);
void berth_mount_options_release (struct berth_mount_options *o);

#endif
