/* Copying a file tree between directory fds without ever following a
 * symlink: used by a volume's copy-up from the image and by `berth cp`.
 * Symlinks are copied as symlinks, hard links within the copied tree stay
 * hard links, and the walk stays on the source's filesystem (a mount inside
 * the source, such as a container's /proc, is not entered).  */
#ifndef BERTH_ENGINE_COPY_TREE_H
#define BERTH_ENGINE_COPY_TREE_H

#include <stdbool.h>

#include "error.h"

struct berth_copy_options
{
  bool preserve_owner;  /* chown to the source's uid/gid (cp -a, copy-up) */
  bool preserve_xattrs; /* copy extended attributes (user., trusted., security.) */
  bool overwrite;       /* replace existing non-directories at the destination */
};

/* Copy the object at SRC_FD (an O_PATH or regular fd of a directory, file or
 * symlink; an O_PATH|O_NOFOLLOW fd for a symlink) to NAME in the directory
 * DST_DIRFD.  An existing directory at NAME is merged into.  */
int berth_copy_tree (int src_fd, int dst_dirfd, const char *name,
                     const struct berth_copy_options *opts, berth_error_t *err);

/* Copy the entries of the directory SRC_DIRFD into the directory DST_DIRFD
 * (not the directory itself).  */
int berth_copy_dir_contents (int src_dirfd, int dst_dirfd, const struct berth_copy_options *opts,
                             berth_error_t *err);

/* Give DST_FD the owner, mode, xattrs and times of SRC_FD (both real fds or
 * O_PATH fds of non-symlinks).  */
int berth_copy_metadata (int src_fd, int dst_fd, const struct berth_copy_options *opts,
                         berth_error_t *err);

#endif
