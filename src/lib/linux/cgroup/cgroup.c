/* The life of the container's cgroup: create (directories in every
 * hierarchy, cpuset inheritance, v2 controller delegation, resources),
 * the saved form and its reload, update, the v2 directory descriptor for
 * CLONE_INTO_CGROUP, and destroy.  */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cgroup_internal.h"

static const char *const mode_names[] = {
  [BERTH_CGROUP_MODE_AUTO] = "auto",
  [BERTH_CGROUP_MODE_V1] = "v1",
  [BERTH_CGROUP_MODE_HYBRID] = "hybrid",
  [BERTH_CGROUP_MODE_UNIFIED] = "unified",
};

static void
hierarchy_free (struct cg_hierarchy *h)
{
  free (h->name);
  free (h->base);
  free (h->dir);
}

void
berth_cgroup_free (struct berth_cgroup *cg)
{
  if (cg == NULL)
    return;
  for (size_t i = 0; i < cg->n_v1; i++)
    hierarchy_free (&cg->v1[i]);
  free (cg->v1);
  hierarchy_free (&cg->v2);
  berth_strv_freep (&cg->v2_controllers);
  free (cg->root);
  free (cg->path);
  free (cg);
}

static void
cgroup_freep (struct berth_cgroup **cg)
{
  berth_cgroup_free (*cg);
}

#define cleanup_cgroup __attribute__ ((cleanup (cgroup_freep)))

const char *
berth_cgroup_path (const struct berth_cgroup *cg)
{
  return cg->path;
}

enum berth_cgroup_mode
berth_cgroup_mode (const struct berth_cgroup *cg)
{
  return cg->mode;
}

/* A handle for PATH under ROOT, with the hierarchies found there.  */
static int
cgroup_new (const char *root, enum berth_cgroup_mode mode, const char *path,
            struct berth_cgroup **out, berth_error_t *err)
{
  cleanup_cgroup struct berth_cgroup *cg = calloc (1, sizeof (*cg));

  if (cg == NULL || (cg->root = strdup (root ? root : CG_DEFAULT_ROOT)) == NULL
      || (cg->path = strdup (path)) == NULL)
    return berth_error (err, ENOMEM, "cgroup");
  cg->mode = mode;
  if (mode == BERTH_CGROUP_MODE_AUTO && berth_cgroup_detect_mode (cg->root, &cg->mode, err) < 0)
    return berth_error_ret (err);
  if (cg_layout_discover (cg, err) < 0)
    return berth_error_ret (err);
  *out = steal_pointer (&cg);
  return 0;
}

static void
for_each_hierarchy (const struct berth_cgroup *cg,
                    void (*fn) (const struct berth_cgroup *, const struct cg_hierarchy *))
{
  for (size_t i = 0; i < cg->n_v1; i++)
    fn (cg, &cg->v1[i]);
  if (cg->has_v2)
    fn (cg, &cg->v2);
}

static void
remove_if_made (const struct berth_cgroup *cg, const struct cg_hierarchy *h)
{
  cleanup_error berth_error_t err = NULL;

  if (h->created == 0)
    return;
  cg_remove_tree (cg->fake, h->dir, &err);
  cg_remove_created_parents (cg->fake, h->dir, h->created);
}

/* Create.  */

static int
make_v1_directories (struct berth_cgroup *cg, berth_error_t *err)
{
  for (size_t i = 0; i < cg->n_v1; i++)
    {
      struct cg_hierarchy *h = &cg->v1[i];

      if (cg_mkdir (cg->fake, h->base, cg->path, &h->created, err) < 0)
        return berth_error_ret (err);
      /* Before anything joins: an empty cpuset refuses tasks.  */
      if (cg_list_has (h->name, "cpuset") && cg_v1_init_cpuset (h->base, cg->path, err) < 0)
        return berth_error_ret (err);
    }
  return 0;
}

static int
make_directories (struct berth_cgroup *cg, berth_error_t *err)
{
  if (make_v1_directories (cg, err) < 0)
    return berth_error_ret (err);
  if (!cg->has_v2)
    return 0;
  if (cg_mkdir (cg->fake, cg->v2.base, cg->path, &cg->v2.created, err) < 0)
    return berth_error_ret (err);
  cg_v2_enable_controllers (cg);
  return 0;
}

/* A cgroup that existed before is reused (runc allows it too), but not one
 * that holds processes: destroy would kill them.  */
static int
check_unpopulated (const struct berth_cgroup *cg, berth_error_t *err)
{
  const struct cg_hierarchy *all[cg->n_v1 + 1];
  size_t n = 0;

  for (size_t i = 0; i < cg->n_v1; i++)
    all[n++] = &cg->v1[i];
  if (cg->has_v2)
    all[n++] = &cg->v2;
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free pid_t *pids = NULL;
      size_t count = 0;

      if (all[i]->created > 0)
        continue;
      if (cg_read_pids (all[i]->dir, true, &pids, &count, err) < 0)
        return berth_error_ret (err);
      if (count > 0)
        return berth_error (err, EBUSY, "`%s` already holds processes (pid %d)", all[i]->dir,
                            (int)pids[0]);
    }
  return 0;
}

/* How many trailing components of H's directory do not exist yet: what
 * make_directories will make (and destroy may remove), barring a race.  */
static unsigned
count_missing (const struct cg_hierarchy *h)
{
  cleanup_free char *dir = strdup (h->dir);
  size_t base = strlen (h->base);
  unsigned n = 0;
  char *slash;

  while (dir && strlen (dir) > base && access (dir, F_OK) < 0 && errno == ENOENT)
    {
      n++;
      slash = strrchr (dir, '/');
      if (slash == NULL)
        break;
      *slash = '\0';
    }
  return n;
}

/* With keep_parents, a cgroup owns only its last directory.  */
static void
disown_parents (struct berth_cgroup *cg, const struct berth_cgroup_config *cfg)
{
  if (!cfg->keep_parents)
    return;
  for (size_t i = 0; i < cg->n_v1; i++)
    if (cg->v1[i].created > 1)
      cg->v1[i].created = 1;
  if (cg->v2.created > 1)
    cg->v2.created = 1;
}

static int
record_before_make (struct berth_cgroup *cg, const struct berth_cgroup_config *cfg,
                    berth_error_t *err)
{
  cleanup_free char *saved = NULL;

  for (size_t i = 0; i < cg->n_v1; i++)
    cg->v1[i].created = count_missing (&cg->v1[i]);
  if (cg->has_v2)
    cg->v2.created = count_missing (&cg->v2);
  disown_parents (cg, cfg);
  saved = berth_cgroup_serialize (cg);
  for (size_t i = 0; i < cg->n_v1; i++)
    cg->v1[i].created = 0;
  cg->v2.created = 0;
  if (saved == NULL)
    return berth_error (err, ENOMEM, "cgroup");
  return cfg->before_make (saved, cfg->before_make_data, err);
}

int
berth_cgroup_create (const struct berth_cgroup_config *cfg, struct berth_cgroup **out,
                     berth_error_t *err)
{
  cleanup_cgroup struct berth_cgroup *cg = NULL;
  cleanup_free char *path = NULL;

  if (berth_cgroup_resolve_path (cfg->id, cfg->cgroups_path, cfg->systemd, &path, err) < 0
      || cgroup_new (cfg->root, cfg->mode, path, &cg, err) < 0)
    return berth_error_wrap (err, "create cgroup");
  cg->default_devices = cfg->default_devices;
  /* A cgroup in use is refused before a record names it: a create killed
   * after the record must not lead delete to another container's cgroup.  */
  if (cfg->before_make
      && (check_unpopulated (cg, err) < 0 || record_before_make (cg, cfg, err) < 0))
    return berth_error_wrap (err, "create cgroup `%s`", cg->path);
  if (make_directories (cg, err) < 0)
    {
      disown_parents (cg, cfg);
      for_each_hierarchy (cg, remove_if_made);
      return berth_error_wrap (err, "create cgroup `%s`", cg->path);
    }
  disown_parents (cg, cfg);
  if (check_unpopulated (cg, err) < 0 || cg_apply (cg, cfg->resources, false, err) < 0)
    {
      for_each_hierarchy (cg, remove_if_made);
      return berth_error_wrap (err, "create cgroup `%s`", cg->path);
    }
  *out = steal_pointer (&cg);
  return 0;
}

/* Use.  */

int
berth_cgroup_update (const struct berth_cgroup *cg, const struct berth_resources *resources,
                     berth_error_t *err)
{
  if (cg_apply (cg, resources, true, err) < 0)
    return berth_error_wrap (err, "update cgroup `%s`", cg->path);
  return 0;
}

int
berth_cgroup_open_dir_fd (const struct berth_cgroup *cg, int *fd, berth_error_t *err)
{
  if (!cg->has_v2)
    return berth_error (err, EOPNOTSUPP, "cgroup `%s`: a directory descriptor needs cgroup v2",
                        cg->path);
  *fd = open (cg->v2.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*fd < 0)
    return berth_error (err, errno, "open `%s`", cg->v2.dir);
  return 0;
}

/* Destroy.  */

/* The common case, a container whose processes are all gone: an empty
 * cgroup goes with one rmdir per hierarchy, no cgroup.procs read first (10
 * hierarchies on v1).  The kernel refuses (EBUSY) to remove a cgroup that
 * still holds a task or a child cgroup, so nothing alive is missed: any
 * refusal sends the whole cgroup the long way, kill and remove the tree.  */
static bool
remove_all_if_empty (const struct berth_cgroup *cg)
{
  bool all = true;

  if (cg->fake)
    return false; /* a stand-in directory holds plain files */
  for (size_t i = 0; i <= cg->n_v1; i++)
    {
      const struct cg_hierarchy *h = i < cg->n_v1 ? &cg->v1[i] : cg->has_v2 ? &cg->v2 : NULL;

      if (h == NULL)
        continue;
      if (rmdir (h->dir) < 0 && errno != ENOENT)
        all = false;
      else
        cg_remove_created_parents (cg->fake, h->dir, h->created);
    }
  return all;
}

int
berth_cgroup_destroy (const struct berth_cgroup *cg, berth_error_t *err)
{
  const struct cg_hierarchy *failed = NULL;

  if (remove_all_if_empty (cg))
    return 0;
  if (cg_kill_all (cg, err) < 0)
    return berth_error_wrap (err, "destroy cgroup `%s`", cg->path);
  /* Every hierarchy is tried even when one fails; the first error is kept.  */
  for (size_t i = 0; i <= cg->n_v1; i++)
    {
      const struct cg_hierarchy *h = i < cg->n_v1 ? &cg->v1[i] : cg->has_v2 ? &cg->v2 : NULL;
      cleanup_error berth_error_t one = NULL;

      if (h == NULL)
        continue;
      if (cg_remove_tree (cg->fake, h->dir, failed ? &one : err) < 0)
        failed = failed ? failed : h;
      else
        cg_remove_created_parents (cg->fake, h->dir, h->created);
    }
  if (failed)
    return berth_error_wrap (err, "destroy cgroup `%s`", cg->path);
  return 0;
}

/* The saved form.  */

char *
berth_cgroup_serialize (const struct berth_cgroup *cg)
{
  json_auto_t *doc = json_object ();
  json_t *created = json_object ();

  if (doc == NULL || created == NULL || json_object_set_new (doc, "created", created) < 0
      || json_object_set_new (doc, "mode", json_string (mode_names[cg->mode])) < 0
      || json_object_set_new (doc, "root", json_string (cg->root)) < 0
      || json_object_set_new (doc, "path", json_string (cg->path)) < 0
      || json_object_set_new (doc, "defaultDevices", json_boolean (cg->default_devices)) < 0)
    return NULL;
  for (size_t i = 0; i < cg->n_v1; i++)
    if (json_object_set_new (created, cg->v1[i].name, json_integer (cg->v1[i].created)) < 0)
      return NULL;
  if (cg->has_v2 && json_object_set_new (doc, "createdUnified", json_integer (cg->v2.created)) < 0)
    return NULL;
  return json_dumps (doc, JSON_COMPACT | JSON_SORT_KEYS);
}

static int
mode_from_name (const char *name, enum berth_cgroup_mode *mode)
{
  for (size_t i = BERTH_CGROUP_MODE_V1; i < sizeof (mode_names) / sizeof (mode_names[0]); i++)
    if (name && strcmp (name, mode_names[i]) == 0)
      {
        *mode = (enum berth_cgroup_mode)i;
        return 0;
      }
  return -1;
}

static unsigned
created_count (json_t *v)
{
  json_int_t n = json_is_integer (v) ? json_integer_value (v) : 0;
  return n > 0 && n < 4096 ? (unsigned)n : 0;
}

int
berth_cgroup_load (const char *text, struct berth_cgroup **out, berth_error_t *err)
{
  cleanup_cgroup struct berth_cgroup *cg = NULL;
  json_error_t je;
  json_auto_t *doc = json_loads (text, 0, &je);
  enum berth_cgroup_mode mode;
  const char *path;
  json_t *created;

  if (doc == NULL)
    return berth_error (err, 0, "saved cgroup: invalid JSON: %s", je.text);
  path = json_string_value (json_object_get (doc, "path"));
  if (mode_from_name (json_string_value (json_object_get (doc, "mode")), &mode) < 0 || path == NULL
      || path[0] != '/' || !json_is_string (json_object_get (doc, "root")))
    return berth_error (err, 0, "saved cgroup: missing or invalid mode, root or path");
  if (cgroup_new (json_string_value (json_object_get (doc, "root")), mode, path, &cg, err) < 0)
    return berth_error_wrap (err, "load cgroup `%s`", path);
  cg->default_devices = json_is_true (json_object_get (doc, "defaultDevices"));
  created = json_object_get (doc, "created");
  for (size_t i = 0; i < cg->n_v1; i++)
    cg->v1[i].created = created_count (json_object_get (created, cg->v1[i].name));
  cg->v2.created = created_count (json_object_get (doc, "createdUnified"));
  *out = steal_pointer (&cg);
  return 0;
}
