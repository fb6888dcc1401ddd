/* Owns the container's mount list: Docker's default mounts (/proc, /dev,
 * /dev/pts, /dev/shm sized by --shm-size, /dev/mqueue, /sys and its cgroup
 * view read-only), the request's binds, volumes and tmpfs, and the --init
 * binary.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "engine/engine_error.h"
#include "engine/spec_internal.h"
#include "util.h"

struct default_mount
{
  const char *destination;
  const char *type;
  const char *source;
  const char *options[8];
};

static const struct default_mount default_mounts[] = {
  { "/proc", "proc", "proc", { "nosuid", "noexec", "nodev", NULL } },
  { "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k", NULL } },
  { "/dev/pts",
    "devpts",
    "devpts",
    { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL } },
  { "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro", NULL } },
  { "/sys/fs/cgroup", "cgroup", "cgroup", { "nosuid", "noexec", "nodev", "relatime", "ro", NULL } },
  { "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev", NULL } },
  /* /dev/shm is added with its size.  */
};

/* DEST is PARENT or below it.  */
static bool
at_or_under (const char *dest, const char *parent)
{
  size_t n = strlen (parent);

  while (n > 1 && parent[n - 1] == '/')
    n--;
  return strncmp (dest, parent, n) == 0 && (dest[n] == '\0' || dest[n] == '/' || n == 1);
}

static size_t
depth (const char *path)
{
  size_t d = 0;

  for (const char *p = path; *p; p++)
    if (*p == '/' && p[1] != '/' && p[1] != '\0')
      d++;
  return d;
}

static bool
replaced_by_user (const struct berth_spec_params *p, const char *dest)
{
  for (size_t i = 0; i < p->n_mounts; i++)
    if (at_or_under (dest, p->mounts[i].destination))
      return true;
  if (p->req->init && at_or_under (dest, BERTH_INIT_CONTAINER_PATH))
    return true;
  return false;
}

static json_t *
mount_json (const char *dest, const char *type, const char *source, json_t *options)
{
  json_t *o = json_pack ("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source",
                         source, "options", options);

  return o;
}

static json_t *
default_mount_json (const struct default_mount *m, bool privileged)
{
  json_t *opts = json_array ();

  for (const char *const *o = m->options; opts && *o; o++)
    {
      /* A privileged container gets /sys and its cgroups writable.  */
      if (privileged && strcmp (*o, "ro") == 0 && strncmp (m->destination, "/sys", 4) == 0)
        continue;
      json_array_append_new (opts, json_string (*o));
    }
  return opts ? mount_json (m->destination, m->type, m->source, opts) : NULL;
}

static json_t *
shm_mount_json (int64_t size)
{
  char sz[40];

  if (size % 1024 == 0)
    snprintf (sz, sizeof (sz), "size=%lldk", (long long)(size / 1024));
  else
    snprintf (sz, sizeof (sz), "size=%lld", (long long)size);
  return mount_json ("/dev/shm", "tmpfs", "shm",
                     json_pack ("[s, s, s, s, s]", "nosuid", "noexec", "nodev", "mode=1777", sz));
}

/* tmpfs options: Docker's noexec,nosuid,nodev, which the user's exec, suid
 * and dev undo, then the user's own data.  */
static json_t *
tmpfs_options (const struct berth_engine_mount *m)
{
  cleanup_free char *data = m->tmpfs_options ? strdup (m->tmpfs_options) : NULL;
  bool noexec = true, nosuid = true, nodev = true;
  json_t *opts = json_array (), *user = json_array ();
  char *save = NULL;

  if (opts == NULL || user == NULL || (m->tmpfs_options && data == NULL))
    goto fail;
  for (char *o = data ? strtok_r (data, ",", &save) : NULL; o; o = strtok_r (NULL, ",", &save))
    {
      if (strcmp (o, "exec") == 0)
        noexec = false;
      else if (strcmp (o, "suid") == 0)
        nosuid = false;
      else if (strcmp (o, "dev") == 0)
        nodev = false;
      else if (strcmp (o, "noexec") && strcmp (o, "nosuid") && strcmp (o, "nodev"))
        json_array_append_new (user, json_string (o));
    }
  if ((noexec && json_array_append_new (opts, json_string ("noexec")) < 0)
      || (nosuid && json_array_append_new (opts, json_string ("nosuid")) < 0)
      || (nodev && json_array_append_new (opts, json_string ("nodev")) < 0)
      || json_array_extend (opts, user) < 0
      || (m->readonly && json_array_append_new (opts, json_string ("ro")) < 0))
    goto fail;
  json_decref (user);
  return opts;

fail:
  json_decref (opts);
  json_decref (user);
  return NULL;
}

static json_t *
engine_mount_json (const struct berth_engine_mount *m)
{
  if (m->type == BERTH_ENGINE_MOUNT_TMPFS)
    return mount_json (m->destination, "tmpfs", "tmpfs", tmpfs_options (m));
  return mount_json (m->destination, "bind", m->source,
                     json_pack ("[s, s, s]", "rbind", m->propagation ? m->propagation : "rprivate",
                                m->readonly ? "ro" : "rw"));
}

static int
compare_depth (const void *a, const void *b)
{
  const struct berth_engine_mount *const *x = a, *const *y = b;
  size_t dx = depth ((*x)->destination), dy = depth ((*y)->destination);

  if (dx != dy)
    return dx < dy ? -1 : 1;
  /* qsort is not stable: keep the command line's order among equals.  */
  return *x < *y ? -1 : *x > *y;
}

int
berth_engine_mounts_json (const struct berth_spec_params *p, json_t **out, berth_error_t *err)
{
  cleanup_free const struct berth_engine_mount **sorted = NULL;
  json_t *a = json_array ();

  if (a == NULL)
    return berth_error (err, ENOMEM, "mounts");
  for (size_t i = 0; i < sizeof (default_mounts) / sizeof (default_mounts[0]); i++)
    if (!replaced_by_user (p, default_mounts[i].destination)
        && json_array_append_new (a, default_mount_json (&default_mounts[i], p->req->privileged))
               < 0)
      goto oom;
  if (!replaced_by_user (p, "/dev/shm")
      && json_array_append_new (a, shm_mount_json (p->req->shm_size)) < 0)
    goto oom;
  /* Parents before children, so /a/b is not hidden by a later /a.  */
  sorted = calloc (p->n_mounts + 1, sizeof (*sorted));
  if (sorted == NULL)
    goto oom;
  for (size_t i = 0; i < p->n_mounts; i++)
    {
      if (p->mounts[i].destination == NULL || p->mounts[i].destination[0] != '/'
          || (p->mounts[i].type == BERTH_ENGINE_MOUNT_BIND
              && (p->mounts[i].source == NULL || p->mounts[i].source[0] != '/')))
        {
          json_decref (a);
          return berth_engine_error (err, EINVAL, "mount `%s`: needs absolute paths",
                                     p->mounts[i].destination ? p->mounts[i].destination : "");
        }
      sorted[i] = &p->mounts[i];
    }
  qsort (sorted, p->n_mounts, sizeof (*sorted), compare_depth);
  for (size_t i = 0; i < p->n_mounts; i++)
    if (json_array_append_new (a, engine_mount_json (sorted[i])) < 0)
      goto oom;
  if (p->req->init
      && json_array_append_new (a, mount_json (BERTH_INIT_CONTAINER_PATH, "bind", p->init_path,
                                               json_pack ("[s, s, s]", "bind", "ro", "rprivate")))
             < 0)
    goto oom;
  *out = a;
  return 0;

oom:
  json_decref (a);
  return berth_error (err, ENOMEM, "mounts");
}

/* ---- request mounts to engine mounts ---- */

void
berth_engine_mounts_free (struct berth_engine_mount *mounts, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (mounts[i].source);
      free (mounts[i].destination);
      free (mounts[i].propagation);
      free (mounts[i].tmpfs_options);
    }
  free (mounts);
}

int
berth_engine_resolve_mounts (const struct berth_run_request *req, berth_volume_resolver resolve,
                             void *ctx, struct berth_engine_mount **out, size_t *n_out,
                             berth_error_t *err)
{
  struct berth_engine_mount *mounts = calloc (req->n_mounts + 1, sizeof (*mounts));
  size_t n = 0;

  if (mounts == NULL)
    return berth_error (err, ENOMEM, "mounts");
  for (size_t i = 0; i < req->n_mounts; i++, n++)
    {
      const struct berth_run_mount *rm = &req->mounts[i];
      struct berth_engine_mount *m = &mounts[n];

      m->readonly = rm->readonly;
      m->destination = strdup (rm->target);
      if (m->destination == NULL)
        goto oom;
      switch (rm->type)
        {
        case BERTH_RUN_MOUNT_TMPFS:
          m->type = BERTH_ENGINE_MOUNT_TMPFS;
          if (rm->tmpfs_options && (m->tmpfs_options = strdup (rm->tmpfs_options)) == NULL)
            goto oom;
          break;
        case BERTH_RUN_MOUNT_BIND:
          m->type = BERTH_ENGINE_MOUNT_BIND;
          if ((m->source = strdup (rm->source)) == NULL
              || (rm->propagation && (m->propagation = strdup (rm->propagation)) == NULL))
            goto oom;
          break;
        case BERTH_RUN_MOUNT_VOLUME:
          m->type = BERTH_ENGINE_MOUNT_BIND;
          if (resolve == NULL)
            {
              berth_engine_error (err, ENOTSUP, "volume for `%s`: no volume store", rm->target);
              goto fail;
            }
          if (resolve (rm->source, &m->source, ctx, err) < 0)
            {
              berth_error_wrap (err, "volume `%s`", rm->source ? rm->source : rm->target);
              goto fail;
            }
          break;
        }
    }
  *out = mounts;
  *n_out = n;
  return 0;

oom:
  berth_error (err, ENOMEM, "mounts");
fail:
  berth_engine_mounts_free (mounts, n + 1);
  return berth_error_ret (err);
}
