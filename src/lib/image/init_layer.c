/* An image's init layer (Docker's idea): the mount points every container
 * needs (/proc, /sys, /dev, /etc/hosts, ...) that the image lacks, made once
 * per image in ROOT/init/<image hex> and shared read-only, as the topmost
 * lower, by all its containers.  Without it each run creates them in its
 * upper directory, an inode create on the store's disk each (0.2-0.7 ms on
 * ext4 here).
 *
 * It holds an entry only where the image's layers have nothing at that path
 * and a plain directory at each parent: a directory over an image's file,
 * symlink or whiteout would shadow it wrongly, so such a path is left to
 * the runtime, as without the layer.  A parent the image has (etc) is
 * copied with its mode, owner and times, as the topmost dir decides them.
 *
 * Made in tmp/ under the shared gc lock (gc empties tmp/ only under the
 * exclusive one) and renamed into place: a racing maker's rename fails and
 * it uses the winner's.  gc removes the layer with its image.  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"
#include "util.h"

static const struct
{
  const char *path;
  bool dir;
} entries[] = {
  { "proc", true },
  { "sys", true },
  { "dev", true },
  { "etc", true },
  { "etc/hosts", false },
  { "etc/hostname", false },
  { "etc/resolv.conf", false },
};

/* The topmost layer's lstat of PATH; false when no layer has it.  */
static bool
image_lstat (char **lowers, const char *path, struct stat *st)
{
  for (size_t i = 0; lowers[i]; i++)
    {
      char p[PATH_MAX];
      if (snprintf (p, sizeof (p), "%s/%s", lowers[i], path) >= (int)sizeof (p))
        return true; /* too long to tell: treat as present */
      if (lstat (p, st) == 0)
        return true;
    }
  return false;
}

/* PATH's parents are plain directories (or absent) in the image and PATH
 * itself is absent.  */
static bool
wanted (char **lowers, const char *path)
{
  char buf[64];
  struct stat st;
  snprintf (buf, sizeof (buf), "%s", path);
  for (char *slash = strchr (buf, '/'); slash; slash = strchr (slash + 1, '/'))
    {
      *slash = '\0';
      if (image_lstat (lowers, buf, &st) && !S_ISDIR (st.st_mode))
        return false;
      *slash = '/';
    }
  return !image_lstat (lowers, path, &st);
}

/* Make parent directory NAME in DIR like the image's, if the image has it.  */
static int
make_dir (char **lowers, const char *dir, const char *name, berth_error_t *err)
{
  char p[PATH_MAX];
  struct stat st;
  snprintf (p, sizeof (p), "%s/%s", dir, name);
  if (mkdir (p, 0755) < 0 && errno != EEXIST)
    return berth_error (err, errno, "mkdir `%s`", p);
  if (image_lstat (lowers, name, &st))
    {
      struct timespec t[2] = { st.st_atim, st.st_mtim };
      if (lchown (p, st.st_uid, st.st_gid) < 0 || chmod (p, st.st_mode & 07777) < 0
          || utimensat (AT_FDCWD, p, t, AT_SYMLINK_NOFOLLOW) < 0)
        return berth_error (err, errno, "copy the attributes of `%s`", name);
    }
  return 0;
}

static int
populate (char **lowers, const char *dir, berth_error_t *err)
{
  for (size_t i = 0; i < sizeof (entries) / sizeof (entries[0]); i++)
    {
      const char *path = entries[i].path, *slash = strrchr (path, '/');
      char p[PATH_MAX];
      int fd;

      if (!wanted (lowers, path))
        continue;
      if (slash)
        {
          char parent[64];
          snprintf (parent, sizeof (parent), "%.*s", (int)(slash - path), path);
          if (make_dir (lowers, dir, parent, err) < 0)
            return -1;
        }
      snprintf (p, sizeof (p), "%s/%s", dir, path);
      if (entries[i].dir)
        {
          if (mkdir (p, 0755) < 0 && errno != EEXIST)
            return berth_error (err, errno, "mkdir `%s`", p);
          continue;
        }
      fd = open (p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0)
        return berth_error (err, errno, "create `%s`", p);
      close (fd);
    }
  return 0;
}

int
store_init_layer (struct berth_image_store *s, const char *image_id, char **lowers, char **out,
                  berth_error_t *err)
{
  cleanup_free char *path = store_path (s, "init/%s", digest_hex (image_id));
  cleanup_free char *top = NULL, *tmp = NULL;
  cleanup_close int gc_lock = -1;
  struct stat st;

  if (path == NULL)
    return berth_error (err, ENOMEM, "init layer");
  if (stat (path, &st) == 0)
    goto done;
  gc_lock = store_lock (s, "gc", false, err);
  if (gc_lock < 0)
    return -1;
  top = store_path (s, "init");
  if (top == NULL)
    return berth_error (err, ENOMEM, "init layer");
  if (mkdir (top, 0700) < 0 && errno != EEXIST)
    return berth_error (err, errno, "mkdir `%s`", top);
  if (store_mkdtemp (s, &tmp, err) < 0)
    return -1;
  if (chmod (tmp, 0755) < 0 || populate (lowers, tmp, err) < 0)
    {
      if (err && *err == NULL)
        berth_error (err, errno, "init layer");
      berth_remove_tree (tmp, NULL);
      return -1;
    }
  if (rename (tmp, path) < 0)
    {
      int e = errno;
      berth_remove_tree (tmp, NULL);
      /* Another run made it first: use that one.  */
      if (e != EEXIST && e != ENOTEMPTY)
        return berth_error (err, e, "rename `%s` to `%s`", tmp, path);
    }
done:
  *out = path;
  path = NULL;
  return 0;
}
