/* Safe extraction of a layer tarball into its directory.
 *
 * Every path is resolved component by component from the layer's directory
 * fd with O_NOFOLLOW, so no symlink in the archive (or one made by an earlier
 * entry) is ever followed; ".." is refused; absolute names are taken relative
 * to the layer root; hardlinks may only point at files already in the layer.
 * Ownership, modes, setuid bits and device nodes are taken exactly as the
 * archive says (the store runs as root).  Whiteouts become what overlayfs
 * reads: ".wh.NAME" a 0/0 character device, ".wh..wh..opq" the opaque xattr
 * on the directory.  */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"

#define WHITEOUT_PREFIX ".wh."
#define OPAQUE_NAME ".wh..wh..opq"
#define MAX_DEPTH 256

/* Split name into its components, dropping "", "." and a leading "/":
 * returns the number of components or -1 when a ".." is present.  */
static int
split_path (char *name, char **comps, int max)
{
  int n = 0;
  for (char *save = NULL, *c = strtok_r (name, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      if (strcmp (c, ".") == 0)
        continue;
      if (strcmp (c, "..") == 0 || n == max)
        return -1;
      comps[n++] = c;
    }
  return n;
}

/* Open the directory that holds the last of comps[0..n), walking from root
 * without following symlinks; missing directories are made when create.  */
static int
open_parent (int root_fd, char **comps, int n, bool create, const char *entry, berth_error_t *err)
{
  cleanup_close int fd = fcntl (root_fd, F_DUPFD_CLOEXEC, 3);
  if (fd < 0)
    return berth_error (err, errno, "dup");
  for (int i = 0; i < n - 1; i++)
    {
      int nfd = openat (fd, comps[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (nfd < 0 && errno == ENOENT && create)
        {
          if (mkdirat (fd, comps[i], 0755) < 0 && errno != EEXIST)
            return berth_error (err, errno, "`%s`: mkdir `%s`", entry, comps[i]);
          nfd = openat (fd, comps[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
      if (nfd < 0 && (errno == ELOOP || errno == ENOTDIR))
        return berth_error (err, 0, "`%s`: refusing a path through a symlink or non-directory `%s`",
                            entry, comps[i]);
      if (nfd < 0)
        return berth_error (err, errno, "`%s`: open `%s`", entry, comps[i]);
      close (fd);
      fd = nfd;
    }
  return steal_fd (&fd);
}

/* rm -rf of dfd/name without following symlinks.  */
static int
remove_at (int dfd, const char *name, int depth)
{
  struct stat st;
  if (fstatat (dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : -errno;
  if (S_ISDIR (st.st_mode) && depth < MAX_DEPTH)
    {
      int fd = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      DIR *d;
      struct dirent *de;
      if (fd < 0)
        return -errno;
      d = fdopendir (fd);
      if (d == NULL)
        {
          close (fd);
          return -ENOMEM;
        }
      while ((de = readdir (d)))
        if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
          remove_at (dirfd (d), de->d_name, depth + 1);
      closedir (d);
      return unlinkat (dfd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
    }
  return unlinkat (dfd, name, 0) < 0 ? -errno : 0;
}

/* Make room for an entry: a directory over a directory merges, anything else
 * replaces what an earlier entry of the same name made.  */
static int
clear_name (int dfd, const char *name, bool want_dir, bool *exists_dir)
{
  struct stat st;
  *exists_dir = false;
  if (fstatat (dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : -errno;
  if (want_dir && S_ISDIR (st.st_mode))
    {
      *exists_dir = true;
      return 0;
    }
  return remove_at (dfd, name, 0);
}

static int
apply_xattrs (struct archive_entry *e, int fd, const char *entry, berth_error_t *err)
{
  const char *name;
  const void *value;
  size_t size;

  archive_entry_xattr_reset (e);
  while (archive_entry_xattr_next (e, &name, &value, &size) == ARCHIVE_OK)
    {
      /* overlayfs's own attributes are ours to set, never the archive's.  */
      if (strncmp (name, "trusted.overlay.", 16) == 0)
        continue;
      if (fsetxattr (fd, name, value, size, 0) < 0 && errno != ENOTSUP)
        return berth_error (err, errno, "`%s`: set xattr `%s`", entry, name);
    }
  return 0;
}

/* Owner first, then mode: chown clears setuid/setgid bits.  */
static int
apply_owner_mode (struct archive_entry *e, int fd, const char *entry, berth_error_t *err)
{
  if (fchown (fd, archive_entry_uid (e), archive_entry_gid (e)) < 0)
    return berth_error (err, errno, "`%s`: chown", entry);
  if (fchmod (fd, archive_entry_perm (e) & 07777) < 0)
    return berth_error (err, errno, "`%s`: chmod", entry);
  return 0;
}

static void
entry_times (struct archive_entry *e, struct timespec ts[2])
{
  ts[0].tv_sec = archive_entry_atime_is_set (e) ? archive_entry_atime (e) : archive_entry_mtime (e);
  ts[0].tv_nsec = archive_entry_atime_is_set (e) ? archive_entry_atime_nsec (e) : 0;
  ts[1].tv_sec = archive_entry_mtime (e);
  ts[1].tv_nsec = archive_entry_mtime_nsec (e);
}

static int
extract_file (struct archive *a, struct archive_entry *e, int dfd, const char *name,
              const char *entry, berth_error_t *err)
{
  cleanup_close int fd = -1;
  struct timespec ts[2];
  const void *buf;
  size_t size;
  la_int64_t offset;
  int r;

  fd = openat (dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return berth_error (err, errno, "`%s`: create", entry);
  while ((r = archive_read_data_block (a, &buf, &size, &offset)) == ARCHIVE_OK)
    {
      const char *p = buf;
      while (size > 0)
        {
          ssize_t w = pwrite (fd, p, size, offset);
          if (w < 0 && errno == EINTR)
            continue;
          if (w < 0)
            return berth_error (err, errno, "`%s`: write", entry);
          p += w;
          size -= w;
          offset += w;
        }
    }
  if (r != ARCHIVE_EOF)
    return berth_error (err, 0, "`%s`: %s", entry, archive_error_string (a));
  if (ftruncate (fd, archive_entry_size (e)) < 0)
    return berth_error (err, errno, "`%s`: truncate", entry);
  if (apply_owner_mode (e, fd, entry, err) < 0 || apply_xattrs (e, fd, entry, err) < 0)
    return -1;
  entry_times (e, ts);
  futimens (fd, ts);
  return 0;
}

static int
extract_dir (struct archive_entry *e, int dfd, const char *name, bool exists, const char *entry,
             berth_error_t *err)
{
  cleanup_close int fd = -1;
  if (!exists && mkdirat (dfd, name, 0700) < 0)
    return berth_error (err, errno, "`%s`: mkdir", entry);
  fd = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return berth_error (err, errno, "`%s`: open", entry);
  if (apply_owner_mode (e, fd, entry, err) < 0 || apply_xattrs (e, fd, entry, err) < 0)
    return -1;
  return 0;
}

static int
extract_hardlink (int root_fd, struct archive_entry *e, int dfd, const char *name,
                  const char *entry, berth_error_t *err)
{
  cleanup_free char *target = strdup (archive_entry_hardlink (e));
  cleanup_close int tfd = -1;
  char *comps[MAX_DEPTH];
  int n;

  if (target == NULL)
    return berth_error (err, ENOMEM, "hardlink");
  n = split_path (target, comps, MAX_DEPTH);
  if (n <= 0)
    return berth_error (err, 0, "`%s`: refusing a hardlink outside the layer", entry);
  tfd = open_parent (root_fd, comps, n, false, entry, err);
  if (tfd < 0)
    return berth_error_wrap (err, "hardlink target not in the layer");
  /* flags 0: a symlink target is linked itself, never followed.  */
  if (linkat (tfd, comps[n - 1], dfd, name, 0) < 0)
    return berth_error (err, errno, "`%s`: hardlink to a file not in the layer", entry);
  return 0;
}

static int
extract_other (struct archive_entry *e, int dfd, const char *name, const char *entry,
               berth_error_t *err)
{
  struct timespec ts[2];
  mode_t type = archive_entry_filetype (e);

  if (type == AE_IFLNK)
    {
      if (symlinkat (archive_entry_symlink (e), dfd, name) < 0)
        return berth_error (err, errno, "`%s`: symlink", entry);
    }
  else if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFIFO)
    {
      if (mknodat (dfd, name, type | (archive_entry_perm (e) & 07777), archive_entry_rdev (e)) < 0)
        return berth_error (err, errno, "`%s`: mknod", entry);
    }
  else
    return 0; /* sockets and unknown types are not image content */
  if (fchownat (dfd, name, archive_entry_uid (e), archive_entry_gid (e), AT_SYMLINK_NOFOLLOW) < 0)
    return berth_error (err, errno, "`%s`: chown", entry);
  if (type != AE_IFLNK && fchmodat (dfd, name, archive_entry_perm (e) & 07777, 0) < 0)
    return berth_error (err, errno, "`%s`: chmod", entry);
  entry_times (e, ts);
  utimensat (dfd, name, ts, AT_SYMLINK_NOFOLLOW);
  return 0;
}

static int
extract_whiteout (int dfd, const char *name, const char *entry, berth_error_t *err)
{
  const char *target = name + strlen (WHITEOUT_PREFIX);
  bool dir;

  if (strcmp (name, OPAQUE_NAME) == 0)
    {
      if (fsetxattr (dfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
        return berth_error (err, errno, "`%s`: set the opaque xattr", entry);
      return 0;
    }
  if (strncmp (target, WHITEOUT_PREFIX, strlen (WHITEOUT_PREFIX)) == 0)
    return 0; /* AUFS metadata (.wh..wh.plnk and the like) */
  if (*target == '\0' || strcmp (target, ".") == 0 || strcmp (target, "..") == 0)
    return berth_error (err, 0, "`%s`: invalid whiteout", entry);
  if (clear_name (dfd, target, false, &dir) < 0)
    return berth_error (err, errno, "`%s`: remove", entry);
  if (mknodat (dfd, target, S_IFCHR | 0, makedev (0, 0)) < 0)
    return berth_error (err, errno, "`%s`: make the whiteout", entry);
  return 0;
}

static int
extract_entry (struct archive *a, struct archive_entry *e, int root_fd, bool whiteouts,
               berth_error_t *err)
{
  const char *entry = archive_entry_pathname (e);
  cleanup_free char *path = NULL;
  cleanup_close int dfd = -1;
  char *comps[MAX_DEPTH];
  const char *name;
  bool is_dir = archive_entry_filetype (e) == AE_IFDIR && archive_entry_hardlink (e) == NULL;
  bool exists_dir;
  int n, r;

  if (entry == NULL)
    return berth_error (err, 0, "archive entry without a name");
  path = strdup (entry);
  if (path == NULL)
    return berth_error (err, ENOMEM, "unpack");
  n = split_path (path, comps, MAX_DEPTH);
  if (n < 0)
    return berth_error (err, 0, "`%s`: refusing a path that leaves the layer", entry);
  if (n == 0)
    return 0; /* the layer root itself keeps the store's ownership and mode */
  dfd = open_parent (root_fd, comps, n, true, entry, err);
  if (dfd < 0)
    return -1;
  name = comps[n - 1];
  if (whiteouts && strncmp (name, WHITEOUT_PREFIX, strlen (WHITEOUT_PREFIX)) == 0)
    return extract_whiteout (dfd, name, entry, err);
  r = clear_name (dfd, name, is_dir, &exists_dir);
  if (r < 0)
    return berth_error (err, -r, "`%s`: replace", entry);
  if (archive_entry_hardlink (e))
    return extract_hardlink (root_fd, e, dfd, name, entry, err);
  switch (archive_entry_filetype (e))
    {
    case AE_IFREG:
      return extract_file (a, e, dfd, name, entry, err);
    case AE_IFDIR:
      return extract_dir (e, dfd, name, exists_dir, entry, err);
    default:
      return extract_other (e, dfd, name, entry, err);
    }
}

void
archive_support_compression (struct archive *a)
{
  archive_read_support_filter_gzip (a);
  archive_read_support_filter_bzip2 (a);
  archive_read_support_filter_xz (a);
  archive_read_support_filter_lzma (a);
  archive_read_support_filter_zstd (a);
  archive_read_support_filter_lz4 (a);
}

int
unpack_tar_fd (int tar_fd, int dest_fd, bool whiteouts, berth_error_t *err)
{
  struct archive *a = archive_read_new ();
  struct archive_entry *e;
  int r, ret = 0;

  if (a == NULL)
    return berth_error (err, ENOMEM, "archive");
  archive_support_compression (a);
  archive_read_support_format_tar (a);
  archive_read_support_format_gnutar (a);
  archive_read_support_format_empty (a);
  if (archive_read_open_fd (a, tar_fd, 1 << 16) != ARCHIVE_OK)
    {
      ret = berth_error (err, 0, "read archive: %s", archive_error_string (a));
      goto out;
    }
  while ((r = archive_read_next_header (a, &e)) != ARCHIVE_EOF)
    {
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        {
          ret = berth_error (err, 0, "read archive: %s", archive_error_string (a));
          goto out;
        }
      if (extract_entry (a, e, dest_fd, whiteouts, err) < 0)
        {
          ret = -1;
          goto out;
        }
    }
out:
  archive_read_free (a);
  return ret;
}
