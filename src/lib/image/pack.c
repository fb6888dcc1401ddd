/* A directory tree as a layer tar: the container side's commit (an overlay
 * upper directory, whose whiteouts become the image spec's) and export (a
 * root as it is).  The walk goes by directory fds with O_NOFOLLOW, so a
 * symlink in the tree is archived as a symlink and never followed.  */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"

struct packer
{
  struct archive *a;
  bool upper;
  json_t *inodes; /* "dev:ino" -> first path, for hardlinks */
};

static int
write_header (struct packer *p, struct archive_entry *e, const char *path, berth_error_t *err)
{
  if (archive_write_header (p->a, e) != ARCHIVE_OK)
    return berth_error (err, 0, "tar `%s`: %s", path, archive_error_string (p->a));
  return 0;
}

static int
add_empty_file (struct packer *p, const char *path, berth_error_t *err)
{
  struct archive_entry *e = archive_entry_new ();
  int r;
  archive_entry_set_pathname (e, path);
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_perm (e, 0);
  archive_entry_set_size (e, 0);
  r = write_header (p, e, path, err);
  archive_entry_free (e);
  return r;
}

/* Extended attributes but overlay's own.  */
static void
copy_xattrs (int fd, struct archive_entry *e)
{
  char names[4096];
  ssize_t n = flistxattr (fd, names, sizeof (names));
  for (ssize_t i = 0; i < n; i += strlen (names + i) + 1)
    {
      char value[4096];
      ssize_t v;
      if (strncmp (names + i, "trusted.overlay.", 16) == 0)
        continue;
      v = fgetxattr (fd, names + i, value, sizeof (value));
      if (v >= 0)
        archive_entry_xattr_add_entry (e, names + i, value, v);
    }
}

static int pack_dir (struct packer *p, int dfd, const char *prefix, int depth, berth_error_t *err);

static int
pack_entry (struct packer *p, int dfd, const char *name, const char *path, int depth,
            berth_error_t *err)
{
  struct archive_entry *e;
  cleanup_close int fd = -1;
  struct stat st;
  int r = 0;

  if (fstatat (dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return berth_error (err, errno, "stat `%s`", path);
  if (p->upper && S_ISCHR (st.st_mode) && st.st_rdev == makedev (0, 0))
    {
      cleanup_free char *wh = NULL;
      const char *slash = strrchr (path, '/');
      if (asprintf (&wh, "%.*s.wh.%s", slash ? (int)(slash - path + 1) : 0, path, name) < 0)
        return berth_error (err, ENOMEM, "tar");
      return add_empty_file (p, wh, err);
    }
  if (S_ISSOCK (st.st_mode))
    return 0;
  e = archive_entry_new ();
  archive_entry_copy_stat (e, &st);
  archive_entry_set_pathname (e, path);
  if (S_ISLNK (st.st_mode))
    {
      char target[4096];
      ssize_t n = readlinkat (dfd, name, target, sizeof (target) - 1);
      if (n < 0)
        r = berth_error (err, errno, "readlink `%s`", path);
      else
        {
          target[n] = '\0';
          archive_entry_set_symlink (e, target);
          r = write_header (p, e, path, err);
        }
      archive_entry_free (e);
      return r;
    }
  if (S_ISREG (st.st_mode) || S_ISDIR (st.st_mode))
    {
      fd = openat (dfd, name,
                   O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR (st.st_mode) ? O_DIRECTORY : 0));
      if (fd < 0)
        {
          archive_entry_free (e);
          return berth_error (err, errno, "open `%s`", path);
        }
      copy_xattrs (fd, e);
    }
  if (S_ISREG (st.st_mode) && st.st_nlink > 1)
    {
      char key[64];
      const char *first;
      snprintf (key, sizeof (key), "%lu:%lu", (unsigned long)st.st_dev, (unsigned long)st.st_ino);
      first = json_string_value (json_object_get (p->inodes, key));
      if (first)
        {
          archive_entry_set_size (e, 0);
          archive_entry_set_hardlink (e, first);
          r = write_header (p, e, path, err);
          archive_entry_free (e);
          return r;
        }
      json_object_set_new (p->inodes, key, json_string (path));
    }
  if (!S_ISREG (st.st_mode))
    archive_entry_set_size (e, 0);
  r = write_header (p, e, path, err);
  archive_entry_free (e);
  if (r < 0)
    return r;
  if (S_ISREG (st.st_mode))
    {
      char buf[1 << 16];
      ssize_t n;
      while ((n = read (fd, buf, sizeof (buf))) > 0)
        if (archive_write_data (p->a, buf, n) != n)
          return berth_error (err, 0, "tar `%s`: %s", path, archive_error_string (p->a));
      if (n < 0)
        return berth_error (err, errno, "read `%s`", path);
      return 0;
    }
  if (S_ISDIR (st.st_mode))
    {
      char v[2];
      if (p->upper && fgetxattr (fd, "trusted.overlay.opaque", v, sizeof (v)) == 1 && v[0] == 'y')
        {
          cleanup_free char *opq = NULL;
          if (asprintf (&opq, "%s/.wh..wh..opq", path) < 0)
            return berth_error (err, ENOMEM, "tar");
          if (add_empty_file (p, opq, err) < 0)
            return -1;
        }
      return pack_dir (p, fd, path, depth + 1, err);
    }
  return 0;
}

static int
pack_dir (struct packer *p, int dfd, const char *prefix, int depth, berth_error_t *err)
{
  int fd = fcntl (dfd, F_DUPFD_CLOEXEC, 3);
  struct dirent *de;
  DIR *d;
  int r = 0;

  if (depth > 512)
    return berth_error (err, ELOOP, "tar `%s`: too deep", prefix);
  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return berth_error (err, errno, "opendir `%s`", prefix);
    }
  rewinddir (d);
  while (r == 0 && (de = readdir (d)))
    {
      cleanup_free char *path = NULL;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (asprintf (&path, "%s%s%s", prefix, *prefix ? "/" : "", de->d_name) < 0)
        r = berth_error (err, ENOMEM, "tar");
      else
        r = pack_entry (p, dirfd (d), de->d_name, path, depth, err);
    }
  closedir (d);
  return r;
}

int
berth_image_write_tar (const char *dir, int fd, bool upper, berth_error_t *err)
{
  struct packer p = { .a = archive_write_new (), .upper = upper, .inodes = json_object () };
  cleanup_close int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int r = -1;

  if (dfd < 0)
    r = berth_error (err, errno, "open `%s`", dir);
  else if (p.a == NULL || p.inodes == NULL)
    r = berth_error (err, ENOMEM, "tar");
  else
    {
      archive_write_set_format_pax_restricted (p.a);
      archive_write_set_bytes_in_last_block (p.a, 1);
      if (archive_write_open_fd (p.a, fd) != ARCHIVE_OK)
        r = berth_error (err, 0, "tar: %s", archive_error_string (p.a));
      else if ((r = pack_dir (&p, dfd, "", 0, err)) == 0 && archive_write_close (p.a) != ARCHIVE_OK)
        r = berth_error (err, 0, "tar: %s", archive_error_string (p.a));
    }
  if (p.a)
    archive_write_free (p.a);
  json_decref (p.inodes);
  return r;
}
