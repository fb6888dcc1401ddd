/* A container without a mount namespace of its own (none in
 * linux.namespaces): as runc and crun do, its mounts are made in the
 * runtime's mount namespace, below the rootfs, and the init chroots into
 * the rootfs instead of pivot_root.  Unlike them, the runtime first binds
 * the rootfs onto itself and remembers that mount's id: every mount of the
 * container sits on that bind (a read-only root stays on it too, never on
 * the filesystem that holds the rootfs), and delete detaches the whole tree
 * in one step, so nothing of the container stays mounted on the host.  */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int
mount_id_at (const char *path, uint64_t *id)
{
  struct statx stx;

  if (statx (AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
    return -errno;
  if (!(stx.stx_mask & STATX_MNT_ID))
    return -ENOTSUP;
  *id = stx.stx_mnt_id;
  return 0;
}

int
berth_rootfs_bind_shared (const char *rootfs, uint64_t *mnt_id, berth_error_t *err)
{
  int r;

  *mnt_id = 0;
  if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return berth_error (err, errno, "bind rootfs `%s` onto itself", rootfs);
  r = mount_id_at (rootfs, mnt_id);
  if (r < 0)
    {
      umount2 (rootfs, MNT_DETACH);
      return berth_error (err, -r, "mount id of rootfs `%s`", rootfs);
    }
  return 0;
}

void
berth_rootfs_unbind_shared (const char *rootfs, uint64_t mnt_id)
{
  uint64_t now = 0;

  /* Only our bind: whatever the caller mounted there stays.  */
  if (rootfs && mnt_id != 0 && mount_id_at (rootfs, &now) == 0 && now == mnt_id)
    umount2 (rootfs, MNT_DETACH | UMOUNT_NOFOLLOW);
}

int
berth_rootfs_chroot (const struct berth_rootfs_ctx *ctx, berth_error_t *err)
{
  if (chdir (ctx->rootfs) < 0)
    return berth_error (err, errno, "chdir `%s`", ctx->rootfs);
  if (chroot (".") < 0)
    return berth_error (err, errno, "chroot `%s`", ctx->rootfs);
  return 0;
}
