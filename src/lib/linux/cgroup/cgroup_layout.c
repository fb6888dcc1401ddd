/* The shape of the host's cgroup hierarchies: v1, hybrid or pure v2 (from
 * the filesystem magic of the root and of <root>/unified), the v1
 * hierarchies under the root (one directory each, named after its
 * controllers, "systemd" for name=systemd), the controllers the cgroup2
 * hierarchy offers, and on which of them a controller lives.  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cgroup_internal.h"

static long
fs_magic (const char *path)
{
  struct statfs st;

  if (statfs (path, &st) < 0)
    return 0;
  return (long)st.f_type;
}

static bool
is_cgroupfs (const char *path)
{
  long magic = fs_magic (path);
  return magic == CGROUP_SUPER_MAGIC || magic == CGROUP2_SUPER_MAGIC;
}

/* A stand-in tree: not the system root, and neither on cgroupfs nor holding
 * a cgroupfs mount.  */
bool
cg_root_is_fake (const char *root)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (strcmp (root, CG_DEFAULT_ROOT) == 0 || is_cgroupfs (root))
    return false;
  d = opendir (root);
  while (d && (de = readdir (d)))
    {
      cleanup_free char *child = NULL;

      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      if (asprintf (&child, "%s/%s", root, de->d_name) > 0 && is_cgroupfs (child))
        return false;
    }
  return true;
}

int
berth_cgroup_detect_mode (const char *root, enum berth_cgroup_mode *mode, berth_error_t *err)
{
  cleanup_free char *unified = NULL;
  struct statfs st;

  if (root == NULL)
    root = CG_DEFAULT_ROOT;
  if (statfs (root, &st) < 0)
    return berth_error (err, errno, "statfs `%s`", root);
  if (asprintf (&unified, "%s/unified", root) < 0)
    return berth_error (err, ENOMEM, "detect cgroup mode");
  if (st.f_type == CGROUP2_SUPER_MAGIC)
    *mode = BERTH_CGROUP_MODE_UNIFIED;
  else if (fs_magic (unified) == CGROUP2_SUPER_MAGIC)
    *mode = BERTH_CGROUP_MODE_HYBRID;
  else if (cg_root_is_fake (root) && cg_file_exists (root, "cgroup.controllers"))
    *mode = BERTH_CGROUP_MODE_UNIFIED;
  else if (cg_root_is_fake (root) && cg_file_exists (unified, "cgroup.controllers"))
    *mode = BERTH_CGROUP_MODE_HYBRID;
  else
    *mode = BERTH_CGROUP_MODE_V1;
  return 0;
}

bool
cg_list_has (const char *list, const char *word)
{
  size_t len = strlen (word);

  for (const char *p = list; p && *p;)
    {
      size_t n;

      p += strspn (p, " \t\n,");
      n = strcspn (p, " \t\n,");
      if (n == len && strncmp (p, word, len) == 0)
        return true;
      p += n;
    }
  return false;
}

static int
compare_hierarchies (const void *a, const void *b)
{
  return strcmp (((const struct cg_hierarchy *)a)->name, ((const struct cg_hierarchy *)b)->name);
}

static int
set_hierarchy (struct cg_hierarchy *h, const char *name, const char *base, const char *path)
{
  h->name = strdup (name);
  h->base = strdup (base);
  if (h->name == NULL || h->base == NULL || asprintf (&h->dir, "%s%s", base, path) < 0)
    return -1;
  return 0;
}

/* Whether ROOT/NAME is a v1 hierarchy: a real directory (the cpu ->
 * cpu,cpuacct symlinks are skipped) on cgroup v1 (or anything, in a
 * stand-in tree).  */
static bool
is_v1_hierarchy (const struct berth_cgroup *cg, int rootfd, const char *name)
{
  cleanup_free char *path = NULL;
  struct stat st;

  if (name[0] == '.' || strcmp (name, "unified") == 0)
    return false;
  if (fstatat (rootfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR (st.st_mode))
    return false;
  if (cg->fake)
    return true;
  return asprintf (&path, "%s/%s", cg->root, name) > 0 && fs_magic (path) == CGROUP_SUPER_MAGIC;
}

static int
add_v1_hierarchy (struct berth_cgroup *cg, const char *name, berth_error_t *err)
{
  cleanup_free char *base = NULL;
  struct cg_hierarchy *grown = realloc (cg->v1, (cg->n_v1 + 1) * sizeof (*cg->v1));

  if (grown == NULL)
    return berth_error (err, ENOMEM, "list cgroup hierarchies");
  cg->v1 = grown;
  memset (&cg->v1[cg->n_v1], 0, sizeof (*cg->v1));
  cg->n_v1++;
  if (asprintf (&base, "%s/%s", cg->root, name) < 0
      || set_hierarchy (&cg->v1[cg->n_v1 - 1], name, base, cg->path) < 0)
    return berth_error (err, ENOMEM, "list cgroup hierarchies");
  return 0;
}

/* The v1 hierarchies of the host's /sys/fs/cgroup, as last listed, for a
 * second: one `run` loads its container's cgroup seven times, and each
 * listing costs two syscalls per hierarchy (ten on a hybrid host).  A
 * process that lives longer lists them again each second, so a hierarchy
 * mounted or unmounted meanwhile is seen.  */
#define V1_MEMO_MAX 32
#define V1_MEMO_TTL_NS 1000000000LL
static struct
{
  pthread_mutex_t lock;
  char *names[V1_MEMO_MAX];
  size_t n;
  long long at_ns; /* CLOCK_MONOTONIC of the listing; 0: none */
} v1_memo = { .lock = PTHREAD_MUTEX_INITIALIZER };

static long long
monotonic_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* From the memo when it is fresh: true with CG's hierarchies filled.  */
static bool
v1_from_memo (struct berth_cgroup *cg, bool *failed, berth_error_t *err)
{
  bool hit;

  pthread_mutex_lock (&v1_memo.lock);
  hit = v1_memo.at_ns != 0 && monotonic_ns () - v1_memo.at_ns < V1_MEMO_TTL_NS;
  for (size_t i = 0; hit && i < v1_memo.n && !*failed; i++)
    *failed = add_v1_hierarchy (cg, v1_memo.names[i], err) < 0;
  pthread_mutex_unlock (&v1_memo.lock);
  return hit;
}

static void
v1_to_memo (const struct berth_cgroup *cg)
{
  pthread_mutex_lock (&v1_memo.lock);
  for (size_t i = 0; i < v1_memo.n; i++)
    free (v1_memo.names[i]);
  v1_memo.n = 0;
  v1_memo.at_ns = 0;
  if (cg->n_v1 <= V1_MEMO_MAX)
    {
      for (size_t i = 0; i < cg->n_v1 && (v1_memo.names[i] = strdup (cg->v1[i].name)); i++)
        v1_memo.n++;
      if (v1_memo.n == cg->n_v1)
        v1_memo.at_ns = monotonic_ns ();
    }
  pthread_mutex_unlock (&v1_memo.lock);
}

static int
discover_v1 (struct berth_cgroup *cg, berth_error_t *err)
{
  bool memo = !cg->fake && strcmp (cg->root, CG_DEFAULT_ROOT) == 0, failed = false;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (memo && v1_from_memo (cg, &failed, err))
    return failed ? berth_error_ret (err) : 0;
  d = opendir (cg->root);
  if (d == NULL)
    return berth_error (err, errno, "opendir `%s`", cg->root);
  while ((de = readdir (d)))
    if (is_v1_hierarchy (cg, dirfd (d), de->d_name) && add_v1_hierarchy (cg, de->d_name, err) < 0)
      return berth_error_ret (err);
  if (cg->n_v1 > 1)
    qsort (cg->v1, cg->n_v1, sizeof (*cg->v1), compare_hierarchies);
  if (memo)
    v1_to_memo (cg);
  return 0;
}

static int
read_v2_controllers (struct berth_cgroup *cg, berth_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_error berth_error_t read_err = NULL;
  char *word, *save = NULL;
  size_t n = 0;

  if (cg_read (cg->v2.base, "cgroup.controllers", &text, &read_err) < 0
      && read_err->status != ENOENT)
    return berth_error (err, read_err->status, "%s", read_err->msg);
  cg->v2_controllers = calloc (text ? strlen (text) / 2 + 2 : 1, sizeof (char *));
  if (cg->v2_controllers == NULL)
    return berth_error (err, ENOMEM, "read cgroup controllers");
  for (word = text ? strtok_r (text, " \n", &save) : NULL; word;
       word = strtok_r (NULL, " \n", &save))
    if ((cg->v2_controllers[n++] = strdup (word)) == NULL)
      return berth_error (err, ENOMEM, "read cgroup controllers");
  return 0;
}

static int
discover_v2 (struct berth_cgroup *cg, berth_error_t *err)
{
  cleanup_free char *base = NULL;

  if (cg->mode == BERTH_CGROUP_MODE_UNIFIED)
    base = strdup (cg->root);
  else if (asprintf (&base, "%s/unified", cg->root) < 0)
    base = NULL;
  if (base == NULL || set_hierarchy (&cg->v2, "", base, cg->path) < 0)
    return berth_error (err, ENOMEM, "locate cgroup v2");
  cg->has_v2 = true;
  return read_v2_controllers (cg, err);
}

int
cg_layout_discover (struct berth_cgroup *cg, berth_error_t *err)
{
  cg->fake = cg_root_is_fake (cg->root);
  if (cg->mode != BERTH_CGROUP_MODE_UNIFIED && discover_v1 (cg, err) < 0)
    return berth_error_ret (err);
  if (cg->mode != BERTH_CGROUP_MODE_V1 && discover_v2 (cg, err) < 0)
    return berth_error_ret (err);
  return 0;
}

const char *
cg_v1_dir (const struct berth_cgroup *cg, const char *controller)
{
  for (size_t i = 0; i < cg->n_v1; i++)
    if (cg_list_has (cg->v1[i].name, controller))
      return cg->v1[i].dir;
  return NULL;
}

bool
cg_v2_has_controller (const struct berth_cgroup *cg, const char *controller)
{
  for (char **c = cg->v2_controllers; cg->has_v2 && c && *c; c++)
    if (strcmp (*c, controller) == 0)
      return true;
  return false;
}

int
cg_locate (const struct berth_cgroup *cg, const char *v1name, const char *v2name, const char **dir)
{
  *dir = v1name ? cg_v1_dir (cg, v1name) : NULL;
  if (*dir)
    return 1;
  if (v2name && cg_v2_has_controller (cg, v2name))
    {
      *dir = cg->v2.dir;
      return 2;
    }
  return 0;
}
