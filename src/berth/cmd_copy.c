/* berth cp, export and commit: the commands that work on a container's
 * files.  They need only the container's directory in the record store
 * (ROOT/containers/<id>: upper/, work/, rootfs/) and, for a stopped
 * container or for commit, the image in its record ("Image", else
 * "ImageID", else "Config"."Image").
 *
 * A running container's merged root is mounted at rootfs/ and used as it
 * is.  For a stopped one this process enters a private mount namespace and
 * mounts the overlay (the image's layers, the container's upper and work)
 * there: nothing is visible outside it, and it goes away when the command
 * exits.  overlayfs refuses a second mount of the same upper and work
 * directories, so a container started meanwhile fails rather than sharing
 * them.  Container paths are resolved inside that root (lib/linux/rootfs
 * resolve.h: openat2 RESOLVE_IN_ROOT or a confined walk), and the copy
 * never follows a symlink (lib/engine/copy_tree.h).  `cp CTR:SRC -` and
 * `cp - CTR:DEST` stream tar archives as Docker does.  */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "cleanup.h"
#include "engine/copy_tree.h"
#include "engine/store.h"
#include "linux/rootfs/resolve.h"
#include "util.h"

struct ctr
{
  struct berth_store *store;
  char id[BERTH_ID_LEN + 1];
  char *dir;
  char *image; /* from the record */
  char *root;  /* the merged root (dir/rootfs) */
};

static void
ctr_release (struct ctr *c)
{
  berth_store_close (c->store);
  free (c->dir);
  free (c->image);
  free (c->root);
}

static const char *
record_image (json_t *rec)
{
  const char *s = json_string_value (json_object_get (rec, "Image"));

  if (s == NULL || *s == '\0')
    s = json_string_value (json_object_get (rec, "ImageID"));
  if (s == NULL || *s == '\0')
    s = json_string_value (json_object_get (json_object_get (rec, "Config"), "Image"));
  return s && *s ? s : NULL;
}

static int
ctr_open (struct cli *cli, const char *ref, struct ctr *c, berth_error_t *err)
{
  json_t *rec = NULL;
  const char *image;

  memset (c, 0, sizeof (*c));
  if (berth_store_open (cli->root, &c->store, err) < 0
      || berth_store_lookup (c->store, ref, c->id, err) < 0
      || berth_store_read_record (c->store, c->id, &rec, err) < 0)
    return -1;
  image = record_image (rec);
  c->image = image ? strdup (image) : NULL;
  json_decref (rec);
  c->dir = berth_store_container_dir (c->store, c->id);
  if (c->dir == NULL || asprintf (&c->root, "%s/rootfs", c->dir) < 0)
    return berth_error (err, ENOMEM, "container %s", ref);
  if (c->image == NULL)
    return berth_error (err, 0, "container %s: its record names no image", ref);
  return 0;
}

static bool
is_mount_point (const char *path)
{
  struct statx stx;

  return statx (AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) == 0
         && (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
         && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* The container's merged root at c->root: the running container's mount,
 * or the overlay mounted in a private namespace of this process (read-only
 * unless WRITABLE).  */
static int
ctr_mount (struct cli *cli, struct ctr *c, bool writable, berth_error_t *err)
{
  cleanup_free char *upper = NULL, *work = NULL;
  struct berth_image_store *s;

  if (is_mount_point (c->root))
    return 0;
  if (asprintf (&upper, "%s/upper", c->dir) < 0 || asprintf (&work, "%s/work", c->dir) < 0)
    return berth_error (err, ENOMEM, "mount container %s", c->id);
  if (unshare (CLONE_NEWNS) < 0)
    return berth_error (err, errno, "unshare the mount namespace");
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return berth_error (err, errno, "make the mounts private");
  if ((mkdir (c->root, 0700) < 0 && errno != EEXIST) || (mkdir (upper, 0755) < 0 && errno != EEXIST)
      || (mkdir (work, 0700) < 0 && errno != EEXIST))
    return berth_error (err, errno, "container directories of %s", c->id);
  if (cli_images (cli, &s, err) < 0
      || berth_image_mount_container (s, c->image, upper, work, c->root, err) < 0)
    return berth_error_wrap (err, "mount container %s", c->id);
  if (!writable && mount (NULL, c->root, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
    return berth_error (err, errno, "remount container %s read-only", c->id);
  return 0;
}

/* "CTR:PATH" names a container path when CTR has no slash and the argument
 * does not start like a local path, as Docker reads it.  */
static bool
split_container_arg (const char *arg, char **ctr, const char **path)
{
  const char *colon = strchr (arg, ':');

  if (colon == NULL || colon == arg || arg[0] == '/' || arg[0] == '.'
      || memchr (arg, '/', colon - arg) != NULL)
    return false;
  *ctr = strndup (arg, colon - arg);
  *path = colon + 1;
  return *ctr != NULL;
}

/* basename without modifying the argument; "/" and "" give ".".  */
static char *
base_of (const char *path)
{
  cleanup_free char *p = strdup (path);
  char *b;

  if (p == NULL)
    return NULL;
  while (strlen (p) > 1 && p[strlen (p) - 1] == '/')
    p[strlen (p) - 1] = '\0';
  b = basename (p);
  return strdup (strcmp (b, "/") == 0 || *b == '\0' ? "." : b);
}

static char *
dir_of (const char *path)
{
  cleanup_free char *p = strdup (path);

  return p ? strdup (dirname (p)) : NULL;
}

static bool
ends_with_dot (const char *path)
{
  size_t n = strlen (path);
  return (n >= 2 && strcmp (path + n - 2, "/.") == 0) || strcmp (path, ".") == 0;
}

/* The O_PATH fd of PATH inside ROOTFD.  Its last component is not followed
 * unless FOLLOW (cp -L); the rest resolves inside the root.  */
static int
open_container_path (int rootfd, const char *path, bool follow, berth_error_t *err)
{
  cleanup_free char *dir = NULL, *base = NULL;
  cleanup_close int dfd = -1;
  int fd;

  if (follow || ends_with_dot (path))
    return berth_open_in_root (rootfd, path, BERTH_CREATE_NONE, err);
  dir = dir_of (path);
  base = base_of (path);
  if (dir == NULL || base == NULL)
    return berth_error (err, ENOMEM, "resolve `%s`", path);
  dfd = berth_open_in_root (rootfd, dir, BERTH_CREATE_NONE, err);
  if (dfd < 0)
    return -1;
  if (strcmp (base, ".") == 0)
    return steal_fd (&dfd);
  fd = openat (dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return berth_error (err, errno, "`%s`", path);
  return fd;
}

/* Where a copy of SRC (a directory when SRC_IS_DIR) goes for destination
 * DEST_FD (O_PATH of DEST, or -1 when DEST does not exist, with PARENT_FD
 * its parent): into DEST as SRC's basename when DEST is a directory (its
 * content when SRC ends with "/."), else as DEST itself.  Fills the
 * directory fd to create in and the name.  */
static int
place (int dest_fd, int parent_fd, const char *dest, const char *src, bool src_is_dir, int *dir_out,
       char **name_out, berth_error_t *err)
{
  struct stat st;

  if (dest_fd >= 0 && fstat (dest_fd, &st) == 0 && S_ISDIR (st.st_mode))
    {
      *dir_out = berth_open_dir_of (dest_fd, dest, err);
      if (*dir_out < 0)
        return -1;
      *name_out = src_is_dir && ends_with_dot (src) ? NULL : base_of (src);
      return 0;
    }
  if (dest_fd >= 0 && src_is_dir)
    return berth_error (err, ENOTDIR, "cannot copy a directory to file `%s`", dest);
  *dir_out = berth_open_dir_of (parent_fd, dest, err);
  if (*dir_out < 0)
    return -1;
  *name_out = base_of (dest);
  return 0;
}

static int
copy_into (int src_fd, int dir_fd, const char *name, const struct berth_copy_options *o,
           berth_error_t *err)
{
  struct stat st;

  if (name)
    return berth_copy_tree (src_fd, dir_fd, name, o, err);
  /* "SRC/." into an existing directory: its entries, not itself.  */
  {
    cleanup_close int d = berth_open_dir_of (src_fd, "source", err);
    if (d < 0 || fstat (d, &st) < 0)
      return -1;
    return berth_copy_dir_contents (d, dir_fd, o, err);
  }
}

static int
cp_from_container (struct ctr *c, const char *src, const char *dest, bool follow,
                   const struct berth_copy_options *o, berth_error_t *err)
{
  cleanup_close int rootfd = -1, sfd = -1, dfd = -1, pfd = -1, dir = -1;
  cleanup_free char *name = NULL, *parent = NULL;
  struct stat st;

  rootfd = open (c->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return berth_error (err, errno, "open `%s`", c->root);
  sfd = open_container_path (rootfd, src, follow, err);
  if (sfd < 0 || fstat (sfd, &st) < 0)
    return berth_error_wrap (err, "%s:%s", c->id, src);
  /* The host side is the user's own: paths there resolve normally.  */
  dfd = open (dest, O_PATH | O_CLOEXEC);
  if (dfd < 0)
    {
      parent = dir_of (dest);
      pfd = parent ? open (parent, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
      if (pfd < 0)
        return berth_error (err, errno, "`%s`", dest);
    }
  if (place (dfd, pfd, dest, src, S_ISDIR (st.st_mode), &dir, &name, err) < 0)
    return -1;
  return copy_into (sfd, dir, name, o, err);
}

static int
cp_to_container (struct ctr *c, const char *src, const char *dest, bool follow,
                 const struct berth_copy_options *o, berth_error_t *err)
{
  cleanup_close int rootfd = -1, sfd = -1, dfd = -1, pfd = -1, dir = -1;
  cleanup_free char *name = NULL, *parent = NULL;
  struct stat st;

  sfd = open (src, O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
  if (sfd < 0 || fstat (sfd, &st) < 0)
    return berth_error (err, errno, "`%s`", src);
  rootfd = open (c->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return berth_error (err, errno, "open `%s`", c->root);
  /* The destination resolves inside the container's root; a symlink at its
   * last component is replaced by the copy, never written through.  */
  dfd = berth_open_in_root (rootfd, dest, BERTH_CREATE_NONE, err);
  if (dfd < 0)
    {
      if ((*err)->status != ENOENT)
        return berth_error_wrap (err, "%s:%s", c->id, dest);
      berth_error_release (err);
    }
  {
    struct stat dst;
    if (dfd >= 0 && fstat (dfd, &dst) == 0 && !S_ISDIR (dst.st_mode))
      {
        close (dfd);
        dfd = -1;
      }
  }
  if (dfd < 0)
    {
      parent = dir_of (dest);
      pfd = parent ? berth_open_in_root (rootfd, parent, BERTH_CREATE_NONE, err) : -1;
      if (pfd < 0)
        return parent ? berth_error_wrap (err, "%s:%s", c->id, dest)
                      : berth_error (err, ENOMEM, "cp");
    }
  if (place (dfd, pfd, dest, src, S_ISDIR (st.st_mode), &dir, &name, err) < 0)
    return -1;
  return copy_into (sfd, dir, name, o, err);
}

/* `cp CTR:SRC -`: SRC as a tar on stdout, its entries under SRC's
 * basename as Docker writes them.  A tmpfs in a private mount namespace
 * holds one name, SRC's basename, onto which the resolved SRC is
 * bind-mounted (by its fd, so the path is not resolved again); a symlink is
 * copied there instead (a symlink cannot be a mount point).  The tar writer
 * never follows a symlink.  */
static int
cp_to_tar (struct ctr *c, const char *src, bool follow, berth_error_t *err)
{
  cleanup_close int rootfd = -1, sfd = -1, tfd = -1;
  cleanup_free char *tmp = NULL, *base = NULL, *target = NULL;
  char buf[BERTH_FD_PATH_SIZE];
  struct stat st;
  int r = -1;

  /* First the namespace: a bind's source must be a mount of the
   * namespace the bind is made in, so the fds are opened in it.  */
  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return berth_error (err, errno, "unshare the mount namespace");
  rootfd = open (c->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return berth_error (err, errno, "open `%s`", c->root);
  sfd = open_container_path (rootfd, src, follow, err);
  if (sfd < 0 || fstat (sfd, &st) < 0)
    return berth_error_wrap (err, "%s:%s", c->id, src);
  base = base_of (src);
  if (base && strcmp (base, ".") == 0)
    {
      /* "DIR/." names DIR's entries; its own name is the archive's top.  */
      cleanup_free char *parent = dir_of (src);
      free (base);
      base = parent ? base_of (parent) : NULL;
    }
  if (base && strcmp (base, ".") == 0)
    {
      free (base);
      base = strdup ("rootfs"); /* the whole root */
    }
  if (base == NULL)
    return berth_error (err, ENOMEM, "cp");
  if (asprintf (&tmp, "%s/cp-XXXXXX", c->dir) < 0 || mkdtemp (tmp) == NULL)
    return berth_error (err, errno, "temporary directory in `%s`", c->dir);
  if (mount ("tmpfs", tmp, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=64m") < 0)
    {
      berth_error (err, errno, "mount a temporary directory");
      goto out;
    }
  if (asprintf (&target, "%s/%s", tmp, base) < 0)
    {
      berth_error (err, ENOMEM, "cp");
      goto out;
    }
  tfd = open (tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (tfd < 0)
    {
      berth_error (err, errno, "open `%s`", tmp);
      goto out;
    }
  if (S_ISDIR (st.st_mode) || S_ISREG (st.st_mode))
    {
      int made = S_ISDIR (st.st_mode) ? mkdirat (tfd, base, 0700)
                                      : mknodat (tfd, base, S_IFREG | 0600, 0);
      if (made < 0 || mount (berth_fd_path (sfd, buf), target, NULL, MS_BIND, NULL) < 0)
        {
          berth_error (err, errno, "bind `%s`", src);
          goto out;
        }
    }
  else
    {
      static const struct berth_copy_options o = { .preserve_owner = true };
      if (berth_copy_tree (sfd, tfd, base, &o, err) < 0)
        goto out;
    }
  r = berth_image_write_tar (tmp, 1, false, err);
out:
  if (target)
    umount2 (target, MNT_DETACH);
  umount2 (tmp, MNT_DETACH);
  rmdir (tmp);
  return r;
}

/* `cp - CTR:DEST`: a tar from stdin extracted into the directory DEST.
 * It is unpacked on the host first, into a temporary directory beside the
 * container's, by libarchive with its guards against "..", absolute paths
 * and writing through symlinks; then copied into the container by the
 * symlink-safe copy.  */
static int
extract_stdin (const char *dir, berth_error_t *err)
{
  struct archive *in = archive_read_new (), *out = archive_write_disk_new ();
  struct archive_entry *e;
  int r = 0, cwd = open (".", O_PATH | O_DIRECTORY | O_CLOEXEC), ar;

  if (in == NULL || out == NULL || cwd < 0)
    r = berth_error (err, ENOMEM, "tar");
  else if (chdir (dir) < 0)
    r = berth_error (err, errno, "chdir `%s`", dir);
  if (r == 0)
    {
      archive_read_support_format_tar (in);
      archive_read_support_filter_all (in);
      archive_write_disk_set_options (
          out, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER
                   | ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_NODOTDOT
                   | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
      if (archive_read_open_fd (in, 0, 1 << 16) != ARCHIVE_OK)
        r = berth_error (err, 0, "tar: %s", archive_error_string (in));
    }
  while (r == 0 && (ar = archive_read_next_header (in, &e)) != ARCHIVE_EOF)
    {
      const void *block;
      size_t size;
      la_int64_t off;

      if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN)
        {
          r = berth_error (err, 0, "tar: %s", archive_error_string (in));
          break;
        }
      if (archive_write_header (out, e) != ARCHIVE_OK)
        {
          r = berth_error (err, 0, "tar: %s", archive_error_string (out));
          break;
        }
      while ((ar = archive_read_data_block (in, &block, &size, &off)) == ARCHIVE_OK)
        if (archive_write_data_block (out, block, size, off) != ARCHIVE_OK)
          {
            ar = ARCHIVE_FATAL;
            break;
          }
      if (ar != ARCHIVE_EOF || archive_write_finish_entry (out) != ARCHIVE_OK)
        r = berth_error (err, 0, "tar: %s", archive_error_string (in));
    }
  if (cwd >= 0 && fchdir (cwd) < 0 && r == 0)
    r = berth_error (err, errno, "chdir back");
  if (cwd >= 0)
    close (cwd);
  if (out)
    {
      archive_write_close (out);
      archive_write_free (out);
    }
  if (in)
    archive_read_free (in);
  return r;
}

static int
cp_from_tar (struct ctr *c, const char *dest, berth_error_t *err)
{
  static const struct berth_copy_options o
      = { .preserve_owner = true, .preserve_xattrs = true, .overwrite = true };
  cleanup_close int rootfd = -1, dfd = -1, dir = -1, tfd = -1;
  cleanup_free char *tmp = NULL;
  berth_error_t ignored = NULL;
  int r;

  rootfd = open (c->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return berth_error (err, errno, "open `%s`", c->root);
  dfd = berth_open_in_root (rootfd, dest, BERTH_CREATE_NONE, err);
  if (dfd < 0)
    return berth_error_wrap (err, "%s:%s", c->id, dest);
  dir = berth_open_dir_of (dfd, dest, err);
  if (dir < 0)
    return -1;
  if (asprintf (&tmp, "%s/cp-XXXXXX", c->dir) < 0 || mkdtemp (tmp) == NULL)
    return berth_error (err, errno, "temporary directory in `%s`", c->dir);
  r = extract_stdin (tmp, err);
  if (r == 0)
    {
      tfd = open (tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      r = tfd < 0 ? berth_error (err, errno, "open `%s`", tmp)
                  : berth_copy_dir_contents (tfd, dir, &o, err);
    }
  if (berth_remove_tree (tmp, &ignored) < 0)
    berth_error_release (&ignored);
  return r;
}

int
cmd_cp (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "archive", no_argument, NULL, 'a' },
    { "follow-link", no_argument, NULL, 'L' },
    { NULL, 0, NULL, 0 },
  };
  struct berth_copy_options o = { .overwrite = true };
  cleanup_free char *src_ctr = NULL, *dst_ctr = NULL;
  const char *src_path = NULL, *dst_path = NULL;
  bool follow = false;
  struct ctr c;
  int c_, r;

  while ((c_ = getopt_long (argc, argv, "aL", opts, NULL)) != -1)
    if (c_ == 'a')
      o.preserve_owner = o.preserve_xattrs = true;
    else if (c_ == 'L')
      follow = true;
    else
      return cli_bad_option ("cp", argc, argv, err);
  if (argc - optind != 2)
    {
      berth_error (err, 0, "cp: CONTAINER:SRC DEST or SRC CONTAINER:DEST is needed");
      return BERTH_EXIT_ERROR;
    }
  split_container_arg (argv[optind], &src_ctr, &src_path);
  split_container_arg (argv[optind + 1], &dst_ctr, &dst_path);
  if ((src_ctr == NULL) == (dst_ctr == NULL))
    {
      berth_error (err, 0, "cp: exactly one of SRC and DEST must be CONTAINER:PATH");
      return BERTH_EXIT_ERROR;
    }
  if (src_ctr && strcmp (argv[optind + 1], "-") == 0 && isatty (1))
    {
      berth_error (err, 0, "cp: refusing to write a tar to a terminal");
      return BERTH_EXIT_ERROR;
    }
  r = ctr_open (cli, src_ctr ? src_ctr : dst_ctr, &c, err);
  if (r == 0)
    r = ctr_mount (cli, &c, dst_ctr != NULL, err);
  if (r == 0 && src_ctr && strcmp (argv[optind + 1], "-") == 0)
    r = cp_to_tar (&c, *src_path ? src_path : "/", follow, err);
  else if (r == 0 && strcmp (argv[optind], "-") == 0)
    r = cp_from_tar (&c, *dst_path ? dst_path : "/", err);
  else if (r == 0 && src_ctr)
    r = cp_from_container (&c, *src_path ? src_path : "/", argv[optind + 1], follow, &o, err);
  else if (r == 0)
    r = cp_to_container (&c, argv[optind], *dst_path ? dst_path : "/", follow, &o, err);
  ctr_release (&c);
  return r < 0 ? BERTH_EXIT_ERROR : 0;
}

int
cmd_export (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "output", required_argument, NULL, 'o' },
    { NULL, 0, NULL, 0 },
  };
  const char *output = NULL;
  cleanup_close int fd = -1;
  struct ctr c;
  int c_, r;

  while ((c_ = getopt_long (argc, argv, "o:", opts, NULL)) != -1)
    if (c_ == 'o')
      output = optarg;
    else
      return cli_bad_option ("export", argc, argv, err);
  if (argc - optind != 1)
    {
      berth_error (err, 0, "export: one CONTAINER is needed");
      return BERTH_EXIT_ERROR;
    }
  if (output == NULL && isatty (1))
    {
      berth_error (err, 0, "export: refusing to write a tar to a terminal (use -o or redirect)");
      return BERTH_EXIT_ERROR;
    }
  r = ctr_open (cli, argv[optind], &c, err);
  if (r == 0)
    r = ctr_mount (cli, &c, false, err);
  if (r == 0 && output)
    {
      fd = open (output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0)
        r = berth_error (err, errno, "open `%s`", output);
    }
  if (r == 0)
    r = berth_image_write_tar (c.root, output ? fd : 1, false, err);
  ctr_release (&c);
  return r < 0 ? BERTH_EXIT_ERROR : 0;
}

/* ---- commit --change: the Dockerfile instructions Docker accepts ---- */

static json_t *
command_json (const char *rest, berth_error_t *err)
{
  json_t *a;

  if (*rest == '[')
    {
      size_t i;
      json_t *v;
      a = json_loads (rest, 0, NULL);
      if (!json_is_array (a))
        goto bad;
      json_array_foreach (a, i, v) if (!json_is_string (v)) goto bad;
      return a;
    bad:
      json_decref (a);
      berth_error (err, 0, "invalid JSON array `%s`", rest);
      return NULL;
    }
  return json_pack ("[s, s, s]", "/bin/sh", "-c", rest);
}

static void
set_env (json_t *config, const char *k, size_t klen, const char *v)
{
  json_t *env = json_object_get (config, "Env"), *e;
  cleanup_free char *kv = NULL;
  size_t i;

  if (!json_is_array (env))
    {
      env = json_array ();
      json_object_set_new (config, "Env", env);
    }
  if (asprintf (&kv, "%.*s=%s", (int)klen, k, v) < 0)
    return;
  json_array_foreach (env, i, e)
  {
    const char *s = json_string_value (e);
    if (s && strncmp (s, k, klen) == 0 && s[klen] == '=')
      {
        json_array_set_new (env, i, json_string (kv));
        return;
      }
  }
  json_array_append_new (env, json_string (kv));
}

static json_t *
object_field (json_t *config, const char *name)
{
  json_t *o = json_object_get (config, name);

  if (!json_is_object (o))
    {
      o = json_object ();
      json_object_set_new (config, name, o);
    }
  return o;
}

/* Words of REST, with surrounding double quotes removed from values.  */
static char **
words (const char *rest)
{
  char **v = calloc (strlen (rest) / 2 + 2, sizeof (char *));
  size_t n = 0;

  while (v && *rest)
    {
      const char *start = rest;
      bool quoted = false;
      char *w, *q;

      while (*rest && (quoted || (*rest != ' ' && *rest != '\t')))
        quoted ^= *rest++ == '"';
      w = strndup (start, rest - start);
      for (q = w; q && (q = strchr (q, '"')) != NULL;)
        memmove (q, q + 1, strlen (q));
      v[n++] = w;
      while (*rest == ' ' || *rest == '\t')
        rest++;
    }
  return v;
}

static int
apply_change (json_t *config, const char *change, berth_error_t *err)
{
  const char *rest = change;
  cleanup_strv char **w = NULL;
  size_t ilen;

  while (*rest && *rest != ' ' && *rest != '\t' && *rest != '=')
    rest++;
  ilen = rest - change;
  while (*rest == ' ' || *rest == '\t')
    rest++;
#define IS(x) (ilen == strlen (x) && strncasecmp (change, x, ilen) == 0)
  if (IS ("CMD") || IS ("ENTRYPOINT"))
    {
      json_t *a = command_json (rest, err);
      if (a == NULL)
        return berth_error_wrap (err, "--change `%s`", change);
      json_object_set_new (config, IS ("CMD") ? "Cmd" : "Entrypoint", a);
      return 0;
    }
  if (IS ("WORKDIR") || IS ("USER") || IS ("STOPSIGNAL"))
    {
      json_object_set_new (config,
                           IS ("WORKDIR") ? "WorkingDir"
                           : IS ("USER")  ? "User"
                                          : "StopSignal",
                           json_string (rest));
      return 0;
    }
  w = words (rest);
  if (w == NULL)
    return berth_error (err, ENOMEM, "--change");
  if (IS ("ENV"))
    {
      const char *eq = strchr (rest, '=');
      const char *sp = strpbrk (rest, " \t");
      if (eq == NULL || (sp && sp < eq))
        {
          /* "ENV K V": the rest of the line is the value.  */
          if (sp == NULL)
            return berth_error (err, 0, "--change `%s`: ENV needs K=V", change);
          const char *v = sp;
          while (*v == ' ' || *v == '\t')
            v++;
          set_env (config, rest, sp - rest, v);
          return 0;
        }
      for (size_t i = 0; w[i]; i++)
        {
          const char *e = strchr (w[i], '=');
          if (e == NULL)
            return berth_error (err, 0, "--change `%s`: ENV needs K=V", change);
          set_env (config, w[i], e - w[i], e + 1);
        }
      return 0;
    }
  if (IS ("LABEL"))
    {
      json_t *labels = object_field (config, "Labels");
      for (size_t i = 0; w[i]; i++)
        {
          const char *e = strchr (w[i], '=');
          cleanup_free char *k = e ? strndup (w[i], e - w[i]) : NULL;
          if (k == NULL || *k == '\0')
            return berth_error (err, 0, "--change `%s`: LABEL needs k=v", change);
          json_object_set_new (labels, k, json_string (e + 1));
        }
      return 0;
    }
  if (IS ("EXPOSE"))
    {
      json_t *ports = object_field (config, "ExposedPorts");
      for (size_t i = 0; w[i]; i++)
        {
          cleanup_free char *p = NULL;
          if (asprintf (&p, "%s%s", w[i], strchr (w[i], '/') ? "" : "/tcp") < 0)
            return berth_error (err, ENOMEM, "--change");
          json_object_set_new (ports, p, json_object ());
        }
      return 0;
    }
  if (IS ("VOLUME"))
    {
      json_t *vols = object_field (config, "Volumes");
      if (*rest == '[')
        {
          json_t *a = command_json (rest, err), *v;
          size_t i;
          if (a == NULL)
            return berth_error_wrap (err, "--change `%s`", change);
          json_array_foreach (a, i, v)
              json_object_set_new (vols, json_string_value (v), json_object ());
          json_decref (a);
          return 0;
        }
      for (size_t i = 0; w[i]; i++)
        json_object_set_new (vols, w[i], json_object ());
      return 0;
    }
#undef IS
  return berth_error (err, 0,
                      "--change `%s`: only CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, "
                      "VOLUME and WORKDIR are supported",
                      change);
}

int
cmd_commit (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "change", required_argument, NULL, 'c' },
    { "message", required_argument, NULL, 'm' },
    { "author", required_argument, NULL, 'a' },
    { "pause", optional_argument, NULL, 'p' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_free char **changes = calloc (argc + 1, sizeof (char *));
  cleanup_free char *upper = NULL, *id = NULL;
  const char *message = "";
  struct berth_image_store *s;
  struct berth_image *base = NULL;
  cleanup_close int fd = -1;
  json_t *config = NULL;
  size_t n_changes = 0;
  struct ctr c;
  int c_, r;

  if (changes == NULL)
    return berth_error (err, ENOMEM, "commit"), BERTH_EXIT_ERROR;
  while ((c_ = getopt_long (argc, argv, "c:m:a:p", opts, NULL)) != -1)
    if (c_ == 'c')
      changes[n_changes++] = optarg;
    else if (c_ == 'm')
      message = optarg;
    else if (c_ != 'p' && c_ != 'a') /* --author: not kept (commit takes no author) */
      return cli_bad_option ("commit", argc, argv, err);
  if (argc - optind < 1 || argc - optind > 2)
    {
      berth_error (err, 0, "commit: CONTAINER [NAME[:TAG]] is needed");
      return BERTH_EXIT_ERROR;
    }
  r = ctr_open (cli, argv[optind], &c, err);
  if (r == 0)
    r = cli_images (cli, &s, err);
  if (r == 0)
    r = berth_image_get (s, c.image, &base, err);
  if (r == 0)
    {
      json_t *cfg = json_object_get (base->config, "config");
      config = json_is_object (cfg) ? json_deep_copy (cfg) : json_object ();
      for (size_t i = 0; i < n_changes && r == 0; i++)
        r = apply_change (config, changes[i], err);
    }
  if (r == 0)
    {
      /* The layer goes to an unnamed file beside the container: nothing is
       * left behind if this command dies.  */
      if (asprintf (&upper, "%s/upper", c.dir) < 0)
        r = berth_error (err, ENOMEM, "commit");
      else if ((fd = open (c.dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) < 0)
        r = berth_error (err, errno, "commit: temporary file in `%s`", c.dir);
    }
  if (r == 0)
    r = berth_image_write_tar (upper, fd, true, err);
  if (r == 0 && lseek (fd, 0, SEEK_SET) < 0)
    r = berth_error (err, errno, "commit: rewind the layer");
  if (r == 0)
    {
      cleanup_free char *created_by = NULL;
      if (asprintf (&created_by, "berth commit %s", c.id) < 0)
        r = berth_error (err, ENOMEM, "commit");
      else
        r = berth_image_commit (s, c.image, fd, config, created_by, message,
                                argc - optind == 2 ? argv[optind + 1] : NULL, &id, err);
    }
  if (r == 0)
    puts (id);
  json_decref (config);
  berth_image_free (base);
  ctr_release (&c);
  return r < 0 ? BERTH_EXIT_ERROR : 0;
}
