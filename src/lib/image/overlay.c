/* An image's root for a container: overlayfs over the image's layer
 * directories (read-only lowers, top layer first) with the caller's upper
 * and work directories.
 *
 * Kernel limits: at most 500 lowers (OVL_MAX_STACK), and with mount(2) the
 * whole option string must fit in one page.  fsopen/fsconfig with one
 * "lowerdir+" fd per layer (Linux 6.13+ takes fds) has no string limit at
 * all; older kernels get mount(2) with the short l/<short> link names,
 * relative to the store root (a forked child changes directory, so the
 * caller's cwd is untouched).  */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"
#include "util.h"

static int
lower_dirs (struct berth_image_store *s, const char *ref, char ***dirs, char **id,
            berth_error_t *err)
{
  struct berth_image *img = NULL;
  char **v;

  if (berth_image_get (s, ref, &img, err) < 0)
    return -1;
  if (id && (*id = strdup (img->id)) == NULL)
    {
      berth_image_free (img);
      return berth_error (err, ENOMEM, "lower dirs");
    }
  v = calloc (img->n_layers + 1, sizeof (char *));
  for (size_t i = 0; v && i < img->n_layers; i++)
    {
      v[i] = store_path (s, "layers/%s/diff", digest_hex (img->diff_ids[img->n_layers - 1 - i]));
      if (v[i] == NULL)
        {
          berth_strv_freep (&v);
          v = NULL;
          break;
        }
    }
  berth_image_free (img);
  if (v == NULL)
    return berth_error (err, ENOMEM, "lower dirs");
  *dirs = v;
  return 0;
}

int
berth_image_lower_dirs (struct berth_image_store *s, const char *ref, char ***dirs,
                        berth_error_t *err)
{
  return lower_dirs (s, ref, dirs, NULL, err);
}

/* A container's lowers: the image's init layer on top of its layers.
 * Without the init layer (it could not be made) the runtime makes the
 * mount points in the upper directory, as it would anyway.  */
static void
add_init_layer (struct berth_image_store *s, const char *id, char ***lowers)
{
  cleanup_error berth_error_t ignored = NULL;
  char *init = NULL, **v;
  size_t n = berth_strv_len (*lowers);

  if (store_init_layer (s, id, *lowers, &init, &ignored) < 0)
    return;
  v = realloc (*lowers, (n + 2) * sizeof (char *));
  if (v == NULL)
    {
      free (init);
      return;
    }
  memmove (v + 1, v, (n + 1) * sizeof (char *));
  v[0] = init;
  *lowers = v;
}

/* The kernel's own explanation of a failed fsconfig, when it left one.  */
static int
fs_error (int fsfd, berth_error_t *err, const char *what)
{
  int e = errno;
  char msg[512];
  ssize_t n = read (fsfd, msg, sizeof (msg) - 1);
  if (n > 2)
    {
      msg[n] = '\0';
      msg[strcspn (msg, "\n")] = '\0';
      return berth_error (err, e, "overlay: %s: %s", what, msg + 2);
    }
  return berth_error (err, e, "overlay: %s", what);
}

static int
set_dir_fd (int fsfd, const char *key, const char *path, berth_error_t *err)
{
  cleanup_close int fd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return berth_error (err, errno, "open `%s`", path);
  if (fsconfig (fsfd, FSCONFIG_SET_FD, key, NULL, fd) < 0)
    return fs_error (fsfd, err, key);
  return 0;
}

static int
mount_fd_based (char **lowers, const char *upper, const char *work, bool vol, const char *target,
                berth_error_t *err)
{
  cleanup_close int fsfd = fsopen ("overlay", FSOPEN_CLOEXEC);
  cleanup_close int mfd = -1;

  if (fsfd < 0)
    return berth_error (err, errno, "fsopen overlay");
  for (size_t i = 0; lowers[i]; i++)
    if (set_dir_fd (fsfd, "lowerdir+", lowers[i], err) < 0)
      return -1;
  if (upper
      && (set_dir_fd (fsfd, "upperdir", upper, err) < 0
          || set_dir_fd (fsfd, "workdir", work, err) < 0))
    return -1;
  if (upper && vol && fsconfig (fsfd, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0)
    return fs_error (fsfd, err, "volatile");
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return fs_error (fsfd, err, "create");
  mfd = fsmount (fsfd, FSMOUNT_CLOEXEC, upper ? 0 : MOUNT_ATTR_RDONLY);
  if (mfd < 0)
    return berth_error (err, errno, "fsmount overlay");
  if (move_mount (mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return berth_error (err, errno, "move_mount overlay to `%s`", target);
  return 0;
}

/* "lowerdir=l/A:l/B,upperdir=U,workdir=W", relative to the store root.  */
static int
legacy_options (struct berth_image_store *s, char **lowers, const char *upper, const char *work,
                bool vol, char **out, berth_error_t *err)
{
  size_t cap = 80 + (upper ? strlen (upper) + strlen (work) : 0), len = 0;
  long page = sysconf (_SC_PAGESIZE);
  char *o;

  for (size_t i = 0; lowers[i]; i++)
    cap += DIGEST_LEN + 8; /* l/<short> or init/<hex> */
  o = malloc (cap);
  if (o == NULL)
    return berth_error (err, ENOMEM, "overlay options");
  len = sprintf (o, "lowerdir=");
  for (size_t i = 0; lowers[i]; i++)
    {
      /* lowers[i] is ROOT/layers/<hex>/diff: its short name is the hex's
       * head; or ROOT/init/<hex>, an init layer.  */
      const char *rel = lowers[i] + strlen (s->root) + 1;
      if (strncmp (rel, "init/", 5) == 0)
        len += sprintf (o + len, "%s%s", i ? ":" : "", rel);
      else
        len += sprintf (o + len, "%sl/%.*s", i ? ":" : "", SHORT_LINK_LEN,
                        rel + strlen ("layers/"));
    }
  if (upper)
    len += sprintf (o + len, ",upperdir=%s,workdir=%s%s", upper, work, vol ? ",volatile" : "");
  if ((long)len >= page)
    {
      free (o);
      return berth_error (err, E2BIG, "overlay mount options need %zu bytes, more than a page",
                          len);
    }
  *out = o;
  return 0;
}

static int
mount_legacy (struct berth_image_store *s, char **lowers, const char *upper, const char *work,
              bool vol, const char *target, berth_error_t *err)
{
  cleanup_free char *opts = NULL, *abs_target = realpath (target, NULL);
  cleanup_free char *abs_upper = upper ? realpath (upper, NULL) : NULL;
  cleanup_free char *abs_work = work ? realpath (work, NULL) : NULL;
  int status;
  pid_t pid;

  if (abs_target == NULL || (upper && (abs_upper == NULL || abs_work == NULL)))
    return berth_error (err, errno, "overlay: resolve the target, upper and work directories");
  if (legacy_options (s, lowers, abs_upper, abs_work, vol, &opts, err) < 0)
    return -1;
  pid = fork ();
  if (pid < 0)
    return berth_error (err, errno, "fork");
  if (pid == 0)
    {
      if (chdir (s->root) < 0)
        _exit (errno);
      if (mount ("overlay", abs_target, "overlay", upper ? 0 : MS_RDONLY, opts) < 0)
        _exit (errno);
      _exit (0);
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return berth_error (err, errno, "waitpid");
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return berth_error (err, WIFEXITED (status) ? WEXITSTATUS (status) : EINTR,
                        "mount overlay on `%s`", target);
  return 0;
}

/* A single read-only layer needs no overlay (which wants two lowers when
 * it has no upper): a read-only bind mount is the same view.  */
static int
mount_single_ro (const char *lower, const char *target, berth_error_t *err)
{
  if (mount (lower, target, NULL, MS_BIND, NULL) < 0)
    return berth_error (err, errno, "bind `%s` on `%s`", lower, target);
  if (mount (NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
    {
      int e = errno;
      umount2 (target, MNT_DETACH);
      return berth_error (err, e, "remount `%s` read-only", target);
    }
  return 0;
}

static int
mount_overlay (struct berth_image_store *s, const char *ref, const char *upper, const char *work,
               bool vol, bool init, const char *target, enum berth_overlay_method method,
               berth_error_t *err)
{
  cleanup_strv char **lowers = NULL;
  cleanup_free char *id = NULL;
  size_t n;

  if ((upper == NULL) != (work == NULL))
    return berth_error (err, EINVAL, "overlay: upper and work go together");
  if (lower_dirs (s, ref, &lowers, &id, err) < 0)
    return -1;
  if (init && lowers[0] && berth_strv_len (lowers) < BERTH_IMAGE_MAX_LAYERS)
    add_init_layer (s, id, &lowers);
  n = berth_strv_len (lowers);
  if (n == 0)
    return berth_error (err, 0, "image `%s` has no layers", ref);
  if (n > BERTH_IMAGE_MAX_LAYERS)
    return berth_error (err, 0, "image `%s` has %zu layers, overlayfs takes at most %d", ref, n,
                        BERTH_IMAGE_MAX_LAYERS);
  if (upper == NULL && n == 1)
    return mount_single_ro (lowers[0], target, err);
  if (method == BERTH_OVERLAY_LEGACY)
    return mount_legacy (s, lowers, upper, work, vol, target, err);
  if (mount_fd_based (lowers, upper, work, vol, target, err) == 0)
    return 0;
  if (method == BERTH_OVERLAY_FD || ((*err)->status != EINVAL && (*err)->status != ENOSYS))
    return -1;
  /* Kernels before 6.13 refuse an fd for lowerdir+: fall back.  */
  berth_error_release (err);
  return mount_legacy (s, lowers, upper, work, vol, target, err);
}

int
berth_image_mount_overlay (struct berth_image_store *s, const char *ref, const char *upper,
                           const char *work, const char *target, enum berth_overlay_method method,
                           berth_error_t *err)
{
  return mount_overlay (s, ref, upper, work, false, false, target, method, err);
}

int
berth_image_mount_overlay_volatile (struct berth_image_store *s, const char *ref,
                                    const char *upper, const char *work, const char *target,
                                    berth_error_t *err)
{
  return mount_overlay (s, ref, upper, work, true, true, target, BERTH_OVERLAY_AUTO, err);
}

int
berth_image_mount_container (struct berth_image_store *s, const char *ref, const char *upper,
                             const char *work, const char *target, berth_error_t *err)
{
  return mount_overlay (s, ref, upper, work, false, true, target, BERTH_OVERLAY_AUTO, err);
}

int
berth_image_container_lower_dirs (struct berth_image_store *s, const char *ref, char ***dirs,
                                  berth_error_t *err)
{
  cleanup_free char *id = NULL;

  if (lower_dirs (s, ref, dirs, &id, err) < 0)
    return -1;
  if ((*dirs)[0] && berth_strv_len (*dirs) < BERTH_IMAGE_MAX_LAYERS)
    add_init_layer (s, id, dirs);
  return 0;
}
