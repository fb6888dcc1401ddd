/* Path resolution confined to a rootfs, and the fd-path names that let
 * mount(2) and open(2) reach exactly the inode an O_PATH fd holds.  Used by
 * the mount code (rootfs.c, tmpcopyup.c, cgroup_mounts.c) and devices.c.
 * Private to src/lib/linux.  */
#ifndef BERTH_RESOLVE_H
#define BERTH_RESOLVE_H

#include "error.h"

/* What berth_open_in_root creates when the path (or part of it) is missing.  */
enum berth_create
{
  BERTH_CREATE_NONE, /* fail with ENOENT */
  BERTH_CREATE_DIR,  /* missing components become directories (0755) */
  BERTH_CREATE_FILE, /* same, but the last component becomes an empty file */
};

/* Open PATH below the directory ROOTFD as if ROOTFD were "/": ".." stops at
 * ROOTFD and every symlink, absolute or relative, is resolved inside it, so
 * no path can lead outside.  Mount points on the way are crossed.  Returns
 * an O_PATH fd of the result (the top mount when the result is a mount
 * point), or a negative value with *err set.  */
int berth_open_in_root (int rootfd, const char *path, enum berth_create create, berth_error_t *err);

/* The same without the openat2(RESOLVE_IN_ROOT) shortcut: what older
   kernels get, and what creates missing components.  Exposed for tests.  */
int berth_walk_in_root (int rootfd, const char *path, enum berth_create create, berth_error_t *err);

/* "/proc/self/fd/N": the name through which mount(2) reaches exactly the
 * inode an fd holds, whatever happens to the path afterwards.  */
#define BERTH_FD_PATH_SIZE 32
const char *berth_fd_path (int fd, char buf[BERTH_FD_PATH_SIZE]);

/* Lexically clean an absolute path ("//a/./b/../c/" -> "/a/c"); caller
 * frees.  NULL on allocation failure.  */
char *berth_path_clean (const char *path);

/* The target of the symlink an O_PATH|O_NOFOLLOW fd holds; caller frees.
 * NULL with errno set on failure.  */
char *berth_read_link_fd (int fd);

/* Open the directory an O_PATH fd holds for reading (DEST names it in the
 * error).  Returns the fd, or a negative value with *err set.  */
int berth_open_dir_of (int pathfd, const char *dest, berth_error_t *err);

#endif
