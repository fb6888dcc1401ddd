/* CVE-2019-5736 protection: re-execute the runtime from a read-only
 * overlayfs view of its binary, or else from a sealed memfd copy, so that
 * /proc/self/exe of every runtime process is a file nobody can write.
 * See sealed_exe.h for the methods and their cost.  */
#include "sealed_exe.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cleanup.h"

#ifndef OVERLAYFS_SUPER_MAGIC
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

#define BASE_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* Set for the re-exec from an overlay: the mount id of that overlay.  An
 * overlay cannot carry seals, and a detached mount is not in mountinfo, so
 * the new process learns this way which mount its binary must be on.  */
#define MARKER "_BERTH_SEALED_EXE"

/* The second, empty-for-us lower layer (overlayfs wants two without an
 * upper one).  Only the kernel creates entries in sysfs, so no file there
 * can stand in for the binary; the binary's directory is the top layer.  */
#define DUMMY_LOWER "/sys"

static bool
is_sealed_memfd (int fd)
{
  int seals = fcntl (fd, F_GET_SEALS);
  return seals >= 0 && (seals & BASE_SEALS) == BASE_SEALS;
}

static int
mount_id_of (int fd, uint64_t *id)
{
  struct statx stx;

  if (statx (fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0)
    return -errno;
  if (!(stx.stx_mask & STATX_MNT_ID))
    return -ENOTSUP;
  *id = stx.stx_mnt_id;
  return 0;
}

/* Whether FD is on a read-only overlay with the mount id the marker names. */
static bool
is_marked_overlay (int fd)
{
  const char *marker = getenv (MARKER);
  struct statfs sfs;
  uint64_t id = 0;
  char *end;
  unsigned long long want;

  errno = 0;
  want = strtoull (marker, &end, 10);
  if (errno || *end)
    return false;
  if (fstatfs (fd, &sfs) < 0 || sfs.f_type != OVERLAYFS_SUPER_MAGIC || !(sfs.f_flags & ST_RDONLY))
    return false;
  return mount_id_of (fd, &id) == 0 && id == want;
}

/* Overlay lowerdir syntax: ':' separates layers and '\' escapes.  */
static char *
escape_lowerdir (const char *dir)
{
  char *out = malloc (strlen (dir) * 2 + 1), *o = out;

  if (out == NULL)
    return NULL;
  for (const char *c = dir; *c; c++)
    {
      if (*c == ':' || *c == '\\')
        *o++ = '\\';
      *o++ = *c;
    }
  *o = '\0';
  return out;
}

/* A detached, read-only overlay mount with DIR on top; returns its fd.  */
static int
mount_overlay (const char *dir)
{
  cleanup_free char *escaped = escape_lowerdir (dir);
  cleanup_free char *lower = NULL;
  cleanup_close int ctx = -1;
  int mnt;

  if (escaped == NULL || asprintf (&lower, "%s:%s", escaped, DUMMY_LOWER) < 0)
    return -ENOMEM;
  ctx = fsopen ("overlay", FSOPEN_CLOEXEC);
  if (ctx < 0)
    return -errno;
  if (fsconfig (ctx, FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0)
    return -errno;
  /* Not needed, and with layers on two filesystems it would log noise.  */
  fsconfig (ctx, FSCONFIG_SET_STRING, "xino", "off", 0);
  if (fsconfig (ctx, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return -errno;
  mnt = fsmount (ctx, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
  return mnt < 0 ? -errno : mnt;
}

/* The binary behind EXE_FD seen through a private overlay, as an O_PATH fd;
 * *mnt_id is the overlay's mount id.  */
static int
overlay_copy (int exe_fd, uint64_t *mnt_id)
{
  char path[PATH_MAX];
  cleanup_close int mnt = -1;
  cleanup_close int fd = -1;
  struct stat want, got;
  ssize_t n = readlink ("/proc/self/exe", path, sizeof (path) - 1);
  char *slash;
  int r;

  if (n <= 0 || (size_t)n >= sizeof (path) - 1)
    return n < 0 ? -errno : -ENAMETOOLONG;
  path[n] = '\0';
  slash = strrchr (path, '/');
  /* A deleted or replaced binary (" (deleted)") is not found: memfd then. */
  if (path[0] != '/' || slash == path)
    return -ENOENT;
  *slash = '\0';
  mnt = mount_overlay (path);
  if (mnt < 0)
    return mnt;
  fd = openat (mnt, slash + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  /* overlayfs keeps the real inode number of a non-directory (xino off).  */
  if (fstat (exe_fd, &want) < 0 || fstat (fd, &got) < 0)
    return -errno;
  if (!S_ISREG (got.st_mode) || got.st_ino != want.st_ino || got.st_size != want.st_size)
    return -ESTALE;
  r = mount_id_of (fd, mnt_id);
  if (r < 0)
    return r;
  return steal_fd (&fd);
}

static int
create_exec_memfd (void)
{
  int fd = memfd_create ("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);

  /* Kernels before 6.3 do not know MFD_EXEC; their memfds are executable.  */
  if (fd < 0 && errno == EINVAL)
    fd = memfd_create ("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  return fd < 0 ? -errno : fd;
}

/* A sealed memfd copy of the binary behind EXE_FD.  */
static int
memfd_copy (int exe_fd)
{
  cleanup_close int fd = create_exec_memfd ();
  struct stat st;
  off_t offset = 0;

  if (fd < 0)
    return fd;
  if (fstat (exe_fd, &st) < 0)
    return -errno;
  while (offset < st.st_size)
    {
      ssize_t n = sendfile (fd, exe_fd, &offset, (size_t)(st.st_size - offset));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return n < 0 ? -errno : -EIO;
    }
  /* F_SEAL_EXEC (Linux 6.3) keeps the mode bits; optional.  */
  fcntl (fd, F_ADD_SEALS, F_SEAL_EXEC);
  if (fcntl (fd, F_ADD_SEALS, BASE_SEALS) < 0)
    return -errno;
  return steal_fd (&fd);
}

/* ENVP without any marker, plus MARKER_ENTRY when not NULL.  */
static char **
exec_env (char **envp, char *marker_entry)
{
  size_t n = 0, j = 0;
  char **env;

  while (envp && envp[n])
    n++;
  env = calloc (n + 2, sizeof (char *));
  if (env == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++)
    if (strncmp (envp[i], MARKER "=", sizeof (MARKER)) != 0)
      env[j++] = envp[i];
  if (marker_entry)
    env[j] = marker_entry;
  return env;
}

/* Make the copy with METHOD and execute it; returns only on failure.  */
static int
reexec (enum berth_exe_seal method, int exe_fd, char **argv, char **envp)
{
  cleanup_free char *marker = NULL;
  cleanup_free char **env = NULL;
  cleanup_close int fd = -1;
  uint64_t mnt_id = 0;

  if (method != BERTH_EXE_SEAL_MEMFD)
    {
      fd = overlay_copy (exe_fd, &mnt_id);
      if (fd >= 0 && asprintf (&marker, MARKER "=%" PRIu64, mnt_id) < 0)
        return -ENOMEM;
      if (fd < 0 && method == BERTH_EXE_SEAL_OVERLAY)
        return fd;
    }
  if (fd < 0)
    fd = memfd_copy (exe_fd);
  if (fd < 0)
    return fd;
  env = exec_env (envp, marker);
  if (env == NULL)
    return -ENOMEM;
  execveat (fd, "", argv, env, AT_EMPTY_PATH);
  return -errno;
}

/* Set once the marker was checked and removed: later calls in this process
 * (and its clones) have nothing left to check it with.  */
static bool overlay_verified;

int
berth_ensure_sealed_exe_with (enum berth_exe_seal method, int argc, char **argv, char **envp)
{
  cleanup_close int exe_fd = -1;

  (void)argc;
  if (overlay_verified)
    return 0;
  exe_fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe_fd < 0)
    return -errno;
  if (is_sealed_memfd (exe_fd))
    return 0;
  if (getenv (MARKER))
    {
      if (is_marked_overlay (exe_fd))
        {
          unsetenv (MARKER);
          overlay_verified = true;
          return 0;
        }
      /* A marker that does not match must not send us round again.  */
      if (method == BERTH_EXE_SEAL_OVERLAY)
        return -ELOOP;
      method = BERTH_EXE_SEAL_MEMFD;
    }
  return reexec (method, exe_fd, argv, envp);
}

int
berth_ensure_sealed_exe (int argc, char **argv, char **envp)
{
  return berth_ensure_sealed_exe_with (BERTH_EXE_SEAL_AUTO, argc, argv, envp);
}
