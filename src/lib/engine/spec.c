/* Owns the assembly of a container's config.json from a run request and an
 * image config: process (args, env, user, cwd, capabilities, rlimits),
 * namespaces, resources, devices and Docker's masked and read-only paths.
 * Mounts are in spec_mounts.c, the seccomp profile in seccomp_profile.c,
 * capabilities in capabilities.c, users in user.c.  */
#include "engine/spec.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "engine/engine_error.h"
#include "engine/spec_internal.h"
#include "oci/names.h"
#include "util.h"

#define OCI_VERSION "1.2.0"
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *const masked_paths[] = {
  "/proc/asound",
  "/proc/acpi",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
  NULL,
};

static const char *const readonly_paths[]
    = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL };

/* The devices any container may use (Docker's cgroup rules): mknod of any
 * device, and read/write of null, zero, full, random, urandom, tty,
 * console, ptmx, the pty slaves and tun.  */
static const struct
{
  char type;
  int major; /* -1: any */
  int minor;
  const char *access;
} default_device_rules[] = {
  { 'c', -1, -1, "m" }, { 'b', -1, -1, "m" },    { 'c', 1, 3, "rwm" }, { 'c', 1, 8, "rwm" },
  { 'c', 1, 7, "rwm" }, { 'c', 5, 0, "rwm" },    { 'c', 1, 5, "rwm" }, { 'c', 1, 9, "rwm" },
  { 'c', 5, 1, "rwm" }, { 'c', 136, -1, "rwm" }, { 'c', 5, 2, "rwm" }, { 'c', 10, 200, "rwm" },
};

json_t *
berth_engine_json_strv (const char *const *v)
{
  json_t *a = json_array ();

  for (; a && v && *v; v++)
    if (json_array_append_new (a, json_string (*v)) < 0)
      {
        json_decref (a);
        return NULL;
      }
  return a;
}

int
berth_engine_strv_push (char ***v, const char *s)
{
  size_t n = berth_strv_len (*v);
  char **nv = realloc (*v, (n + 2) * sizeof (char *));

  if (nv == NULL)
    return -ENOMEM;
  *v = nv;
  nv[n] = strdup (s);
  nv[n + 1] = NULL;
  return nv[n] ? 0 : -ENOMEM;
}

/* ---- args ---- */

int
berth_engine_resolve_args (const struct berth_run_request *req,
                           const struct berth_image_config *image, char ***out, berth_error_t *err)
{
  cleanup_strv char **args = calloc (1, sizeof (char *));
  char *const *entry = image ? image->entrypoint : NULL;
  char *const *cmd = req->command && req->command[0] ? req->command : NULL;

  if (args == NULL)
    return berth_error (err, ENOMEM, "args");
  if (req->has_entrypoint)
    {
      /* --entrypoint drops the image's Cmd: that Cmd was written as
       * arguments for the image's entrypoint, not for this one.  */
      if (req->entrypoint && *req->entrypoint
          && berth_engine_strv_push (&args, req->entrypoint) < 0)
        return berth_error (err, ENOMEM, "args");
    }
  else
    {
      for (; entry && *entry; entry++)
        if (berth_engine_strv_push (&args, *entry) < 0)
          return berth_error (err, ENOMEM, "args");
      if (cmd == NULL && image)
        cmd = image->cmd;
    }
  for (; cmd && *cmd; cmd++)
    if (berth_engine_strv_push (&args, *cmd) < 0)
      return berth_error (err, ENOMEM, "args");
  if (args[0] == NULL)
    return berth_engine_error (err, EINVAL, "no command specified");
  *out = steal_pointer (&args);
  return 0;
}

/* ---- env ---- */

/* Set ENTRY ("NAME=value") in *env, replacing an earlier NAME.  */
static int
env_set (char ***env, const char *entry)
{
  size_t klen = strcspn (entry, "=");

  for (char **p = *env; p && *p; p++)
    if (strncmp (*p, entry, klen) == 0 && ((*p)[klen] == '=' || (*p)[klen] == '\0'))
      {
        char *copy = strdup (entry);

        if (copy == NULL)
          return -ENOMEM;
        free (*p);
        *p = copy;
        return 0;
      }
  return berth_engine_strv_push (env, entry);
}

int
berth_engine_merge_env (const struct berth_run_request *req, const struct berth_image_config *image,
                        const char *hostname, char ***out, berth_error_t *err)
{
  cleanup_strv char **env = calloc (1, sizeof (char *));
  cleanup_free char *host = NULL;

  if (env == NULL || asprintf (&host, "HOSTNAME=%s", hostname) < 0)
    return berth_error (err, ENOMEM, "env");
  if (env_set (&env, DEFAULT_PATH) < 0 || env_set (&env, host) < 0
      || (req->tty && env_set (&env, "TERM=xterm") < 0))
    return berth_error (err, ENOMEM, "env");
  for (char **p = image ? image->env : NULL; p && *p; p++)
    if (env_set (&env, *p) < 0)
      return berth_error (err, ENOMEM, "env");
  for (char **p = req->env; p && *p; p++)
    if (env_set (&env, *p) < 0)
      return berth_error (err, ENOMEM, "env");
  *out = steal_pointer (&env);
  return 0;
}

/* ---- process ---- */

static json_t *
capability_array (uint64_t caps)
{
  json_t *a = json_array ();

  for (int cap = 0; a && cap < 64; cap++)
    if ((caps & (1ULL << cap)) && berth_capability_name (cap)
        && json_array_append_new (a, json_string (berth_capability_name (cap))) < 0)
      {
        json_decref (a);
        return NULL;
      }
  return a;
}

/* -1 is "unlimited": RLIM_INFINITY, 2^64-1, which a jansson integer cannot
 * hold.  A real number stands for it until the text is made; the spec has
 * no other reals, and only a token outside strings is replaced.  */
#define RLIM_PLACEHOLDER 1.25e-300
#define RLIM_INFINITY_TEXT "18446744073709551615"

static json_t *
rlimit_value (int64_t v)
{
  return v < 0 ? json_real (RLIM_PLACEHOLDER) : json_integer (v);
}

static json_t *
rlimits_json (const struct berth_run_request *req, berth_error_t *err)
{
  json_t *a = json_array ();

  for (size_t i = 0; a && i < req->n_ulimits; i++)
    {
      cleanup_free char *name = NULL;
      json_t *o;

      if (asprintf (&name, "RLIMIT_%s", req->ulimits[i].name) < 0)
        break;
      for (char *p = name; *p; p++)
        *p = toupper ((unsigned char)*p);
      if (berth_rlimit_from_name (name) < 0)
        {
          json_decref (a);
          berth_engine_error (err, EINVAL, "unknown ulimit \"%s\"", req->ulimits[i].name);
          return NULL;
        }
      o = json_pack ("{s:s, s:o, s:o}", "type", name, "soft", rlimit_value (req->ulimits[i].soft),
                     "hard", rlimit_value (req->ulimits[i].hard));
      if (o == NULL || json_array_append_new (a, o) < 0)
        {
          json_decref (a);
          a = NULL;
        }
    }
  if (a == NULL)
    berth_error (err, ENOMEM, "rlimits");
  return a;
}

static int
process_json (const struct berth_spec_params *p, const char *hostname, uint64_t caps, json_t **out,
              berth_error_t *err)
{
  const struct berth_run_request *req = p->req;
  const struct berth_image_config *image = p->image;
  cleanup_strv char **args = NULL;
  cleanup_strv char **env = NULL;
  struct berth_engine_user user = { 0 };
  const char *user_spec = req->user ? req->user : image ? image->user : NULL;
  const char *cwd = req->workdir                                         ? req->workdir
                    : image && image->working_dir && *image->working_dir ? image->working_dir
                                                                         : "/";
  json_t *gids, *process, *capj, *rlimits;
  cleanup_free char *home = NULL;

  if (berth_engine_resolve_args (req, image, &args, err) < 0
      || berth_engine_merge_env (req, image, hostname, &env, err) < 0)
    return berth_error_ret (err);
  if (p->req->init)
    {
      size_t n = berth_strv_len (args);
      char **with_init = calloc (n + 3, sizeof (char *));

      if (with_init == NULL)
        return berth_error (err, ENOMEM, "args");
      with_init[0] = strdup (BERTH_INIT_CONTAINER_PATH);
      with_init[1] = strdup ("--");
      memcpy (with_init + 2, args, n * sizeof (char *));
      free (args);
      args = with_init;
      if (args[0] == NULL || args[1] == NULL)
        return berth_error (err, ENOMEM, "args");
    }
  if (berth_engine_resolve_user (p->rootfs, user_spec, &user, err) < 0)
    return berth_error_ret (err);
  if (berth_strv_getenv (env, "HOME") == NULL)
    {
      if (asprintf (&home, "HOME=%s", user.home) < 0 || berth_engine_strv_push (&env, home) < 0)
        {
          berth_engine_user_release (&user);
          return berth_error (err, ENOMEM, "env");
        }
    }
  gids = json_array ();
  for (size_t i = 0; gids && i < user.n_additional_gids; i++)
    json_array_append_new (gids, json_integer (user.additional_gids[i]));
  /* A non-root user gets the bounding set only, as Docker does: execve
   * would leave a non-root process no effective or permitted capabilities
   * either, and a container must not differ from what its program expects.  */
  if (user.uid == 0)
    capj = json_pack ("{s:o, s:o, s:o}", "bounding", capability_array (caps), "effective",
                      capability_array (caps), "permitted", capability_array (caps));
  else
    capj = json_pack ("{s:o}", "bounding", capability_array (caps));
  process = json_pack ("{s:b, s:{s:I, s:I}, s:o, s:o, s:s, s:o, s:b}", "terminal", req->tty, "user",
                       "uid", (json_int_t)user.uid, "gid", (json_int_t)user.gid, "args",
                       berth_engine_json_strv ((const char *const *)args), "env",
                       berth_engine_json_strv ((const char *const *)env), "cwd", cwd,
                       "capabilities", capj, "noNewPrivileges", req->no_new_privileges);
  berth_engine_user_release (&user);
  if (process == NULL)
    {
      json_decref (gids);
      return berth_error (err, ENOMEM, "process");
    }
  if (json_array_size (gids))
    json_object_set (json_object_get (process, "user"), "additionalGids", gids);
  json_decref (gids);
  if (req->n_ulimits)
    {
      rlimits = rlimits_json (req, err);
      if (rlimits == NULL || json_object_set_new (process, "rlimits", rlimits) < 0)
        {
          json_decref (process);
          return rlimits ? berth_error (err, ENOMEM, "rlimits") : berth_error_ret (err);
        }
    }
  if (req->has_oom_score_adj)
    json_object_set_new (process, "oomScoreAdj", json_integer (req->oom_score_adj));
  *out = process;
  return 0;
}

/* ---- devices ---- */

static json_t *
device_rule (bool allow, char type, int64_t major, int64_t minor, const char *access)
{
  json_t *o = json_pack ("{s:b, s:s}", "allow", allow, "access", access);
  char t[2] = { type, 0 };

  if (o && type && json_object_set_new (o, "type", json_string (t)) < 0)
    goto fail;
  if (o && major >= 0 && json_object_set_new (o, "major", json_integer (major)) < 0)
    goto fail;
  if (o && minor >= 0 && json_object_set_new (o, "minor", json_integer (minor)) < 0)
    goto fail;
  return o;
fail:
  json_decref (o);
  return NULL;
}

static json_t *
device_node (const char *path, const struct stat *st)
{
  return json_pack ("{s:s, s:s, s:I, s:I, s:i, s:i, s:i}", "path", path, "type",
                    S_ISBLK (st->st_mode) ? "b" : "c", "major", (json_int_t)major (st->st_rdev),
                    "minor", (json_int_t)minor (st->st_rdev), "fileMode",
                    (int)(st->st_mode & 07777), "uid", 0, "gid", 0);
}

/* --privileged gets every device node of the host's /dev, as Docker gives
 * them (the pty, shm and mqueue mounts have their own).  */
static int
add_host_devices (const char *dir, json_t *devices)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;

  if (d == NULL)
    return 0;
  while ((de = readdir (d)))
    {
      cleanup_free char *path = NULL;
      struct stat st;

      if (de->d_name[0] == '.')
        continue;
      if (asprintf (&path, "%s/%s", dir, de->d_name) < 0)
        return -ENOMEM;
      if (lstat (path, &st) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        {
          if (strcmp (path, "/dev/pts") == 0 || strcmp (path, "/dev/shm") == 0
              || strcmp (path, "/dev/mqueue") == 0)
            continue;
          if (add_host_devices (path, devices) < 0)
            return -ENOMEM;
          continue;
        }
      if (!S_ISCHR (st.st_mode) && !S_ISBLK (st.st_mode))
        continue;
      /* The container's console and ptmx come from its own devpts.  */
      if (strcmp (path, "/dev/console") == 0 || strcmp (path, "/dev/ptmx") == 0)
        continue;
      if (json_array_append_new (devices, device_node (path, &st)) < 0)
        return -ENOMEM;
    }
  return 0;
}

static int
devices_json (const struct berth_run_request *req, json_t **nodes_out, json_t **rules_out,
              berth_error_t *err)
{
  json_t *nodes = json_array ();
  json_t *rules = json_array ();

  if (nodes == NULL || rules == NULL)
    goto oom;
  if (req->privileged)
    {
      if (add_host_devices ("/dev", nodes) < 0
          || json_array_append_new (rules, device_rule (true, 0, -1, -1, "rwm")) < 0)
        goto oom;
    }
  else
    {
      if (json_array_append_new (rules, device_rule (false, 0, -1, -1, "rwm")) < 0)
        goto oom;
      for (size_t i = 0; i < sizeof (default_device_rules) / sizeof (default_device_rules[0]); i++)
        if (json_array_append_new (rules, device_rule (true, default_device_rules[i].type,
                                                       default_device_rules[i].major,
                                                       default_device_rules[i].minor,
                                                       default_device_rules[i].access))
            < 0)
          goto oom;
    }
  for (size_t i = 0; i < req->n_devices; i++)
    {
      const struct berth_run_device *d = &req->devices[i];
      struct stat st;

      if (stat (d->host_path, &st) < 0)
        {
          berth_error (err, errno, "--device `%s`", d->host_path);
          goto fail;
        }
      if (!S_ISCHR (st.st_mode) && !S_ISBLK (st.st_mode))
        {
          berth_engine_error (err, EINVAL, "--device `%s`: not a device node", d->host_path);
          goto fail;
        }
      if (json_array_append_new (nodes, device_node (d->container_path, &st)) < 0
          || json_array_append_new (rules, device_rule (true, S_ISBLK (st.st_mode) ? 'b' : 'c',
                                                        major (st.st_rdev), minor (st.st_rdev),
                                                        d->permissions))
                 < 0)
        goto oom;
    }
  *nodes_out = nodes;
  *rules_out = rules;
  return 0;

oom:
  berth_error (err, ENOMEM, "devices");
fail:
  json_decref (nodes);
  json_decref (rules);
  return berth_error_ret (err);
}

/* ---- resources ---- */

static json_t *
resources_json (const struct berth_spec_params *p, json_t *device_rules)
{
  const struct berth_run_request *req = p->req;
  json_t *r = json_object ();
  json_t *mem = json_object ();
  json_t *cpu = json_object ();

  if (r == NULL || mem == NULL || cpu == NULL)
    goto fail;
  if (req->has_memory)
    {
      json_object_set_new (mem, "limit", json_integer (req->memory));
      /* Docker's default: as much swap as memory, unless told otherwise.  */
      if (!p->swap_unsupported)
        json_object_set_new (
            mem, "swap", json_integer (req->has_memory_swap ? req->memory_swap : 2 * req->memory));
    }
  else if (req->has_memory_swap && req->memory_swap == -1 && !p->swap_unsupported)
    json_object_set_new (mem, "swap", json_integer (-1));
  if (req->has_memory_reservation)
    json_object_set_new (mem, "reservation", json_integer (req->memory_reservation));
  if (req->has_cpu_shares)
    json_object_set_new (cpu, "shares", json_integer ((json_int_t)req->cpu_shares));
  if (req->has_cpus)
    {
      json_object_set_new (cpu, "quota", json_integer (req->cpu_quota));
      json_object_set_new (cpu, "period", json_integer ((json_int_t)req->cpu_period));
    }
  if (req->cpuset_cpus)
    json_object_set_new (cpu, "cpus", json_string (req->cpuset_cpus));
  if (json_object_size (mem))
    json_object_set (r, "memory", mem);
  if (json_object_size (cpu))
    json_object_set (r, "cpu", cpu);
  if (req->has_pids_limit && req->pids_limit != 0)
    json_object_set_new (
        r, "pids",
        json_pack ("{s:I}", "limit", (json_int_t)(req->pids_limit < 0 ? -1 : req->pids_limit)));
  json_object_set (r, "devices", device_rules);
  json_decref (mem);
  json_decref (cpu);
  return r;

fail:
  json_decref (r);
  json_decref (mem);
  json_decref (cpu);
  return NULL;
}

/* ---- namespaces and the rest of linux ---- */

static json_t *
namespaces_json (const struct berth_spec_params *p)
{
  static const char *const always[] = { "pid", "ipc", "uts", "mount", "cgroup", NULL };
  json_t *a = json_array ();

  for (const char *const *t = always; a && *t; t++)
    json_array_append_new (a, json_pack ("{s:s}", "type", *t));
  if (a && p->req->network != BERTH_NETWORK_HOST)
    {
      json_t *ns = json_pack ("{s:s}", "type", "network");

      if (ns && p->netns_path)
        json_object_set_new (ns, "path", json_string (p->netns_path));
      json_array_append_new (a, ns);
    }
  return a;
}

static int
hostname_of (const struct berth_spec_params *p, char buf[72])
{
  if (p->req->hostname)
    snprintf (buf, 72, "%s", p->req->hostname);
  else if (p->req->network == BERTH_NETWORK_HOST)
    {
      /* Sharing the host's network, Docker shows the host's name.  */
      if (gethostname (buf, 65) < 0)
        return -errno;
      buf[64] = '\0';
    }
  else
    snprintf (buf, 72, "%.12s", p->id);
  return 0;
}

static json_t *
annotations_json (const struct berth_spec_params *p)
{
  json_t *o = json_object ();
  const struct berth_key_value_list *lists[]
      = { p->image ? &p->image->labels : NULL, &p->req->labels };

  for (size_t l = 0; o && l < 2; l++)
    for (size_t i = 0; lists[l] && i < lists[l]->n; i++)
      json_object_set_new (o, lists[l]->keys[i], json_string (lists[l]->values[i]));
  return o;
}

static int
seccomp_json (const struct berth_spec_params *p, uint64_t caps, json_t **out, berth_error_t *err)
{
  cleanup_free char *text = NULL;

  *out = NULL;
  if (p->req->privileged || p->req->seccomp_mode == BERTH_SECCOMP_UNCONFINED)
    return 0;
  if (p->req->seccomp_mode == BERTH_SECCOMP_FILE
      && berth_read_file (p->req->seccomp_file, &text, NULL, err) < 0)
    return berth_error_wrap (err, "--security-opt seccomp");
  if (berth_engine_seccomp (caps, text, out, err) < 0)
    return p->req->seccomp_mode == BERTH_SECCOMP_FILE
               ? berth_error_wrap (err, "--security-opt seccomp=%s", p->req->seccomp_file)
               : berth_error_ret (err);
  return 0;
}

/* Shared or slave binds only propagate when the root's propagation lets
 * them (Docker's rule): a shared bind makes the root shared, a slave one
 * makes it rslave; otherwise the runtime's default (rprivate) stays.  */
static const char *
rootfs_propagation (const struct berth_spec_params *p)
{
  const char *root = NULL;

  for (size_t i = 0; i < p->n_mounts; i++)
    {
      const char *m = p->mounts[i].propagation;

      if (p->mounts[i].type != BERTH_ENGINE_MOUNT_BIND || m == NULL)
        continue;
      if (strcmp (m, "shared") == 0 || strcmp (m, "rshared") == 0)
        return "shared";
      if (strcmp (m, "slave") == 0 || strcmp (m, "rslave") == 0)
        root = "rslave";
    }
  return root;
}

static int
linux_json (const struct berth_spec_params *p, uint64_t caps, json_t **out, berth_error_t *err)
{
  const struct berth_run_request *req = p->req;
  json_t *nodes = NULL, *rules = NULL, *seccomp = NULL, *l;
  cleanup_free char *cgroups_path = NULL;

  if (p->cgroups_path == NULL && asprintf (&cgroups_path, "/berth/%s", p->id) < 0)
    return berth_error (err, ENOMEM, "linux");
  if (devices_json (req, &nodes, &rules, err) < 0)
    return berth_error_ret (err);
  if (seccomp_json (p, caps, &seccomp, err) < 0)
    {
      json_decref (nodes);
      json_decref (rules);
      return berth_error_ret (err);
    }
  l = json_pack ("{s:o, s:o, s:o, s:s}", "namespaces", namespaces_json (p), "resources",
                 resources_json (p, rules), "devices", nodes, "cgroupsPath",
                 p->cgroups_path ? p->cgroups_path : cgroups_path);
  json_decref (rules);
  if (l && rootfs_propagation (p)
      && json_object_set_new (l, "rootfsPropagation", json_string (rootfs_propagation (p))) < 0)
    {
      json_decref (l);
      l = NULL;
    }
  if (l == NULL)
    {
      json_decref (seccomp);
      return berth_error (err, ENOMEM, "linux");
    }
  /* Privileged containers see /proc and /sys whole, as on Docker.  */
  if (!req->privileged
      && (json_object_set_new (l, "maskedPaths", berth_engine_json_strv (masked_paths)) < 0
          || json_object_set_new (l, "readonlyPaths", berth_engine_json_strv (readonly_paths)) < 0))
    {
      json_decref (seccomp);
      json_decref (l);
      return berth_error (err, ENOMEM, "linux");
    }
  if (seccomp && json_object_set_new (l, "seccomp", seccomp) < 0)
    {
      json_decref (l);
      return berth_error (err, ENOMEM, "linux");
    }
  *out = l;
  return 0;
}

static int
build_spec_json (const struct berth_spec_params *p, json_t **out, berth_error_t *err)
{
  char hostname[72];
  uint64_t caps = berth_engine_capabilities (p->req);
  json_t *process = NULL, *linux_ = NULL, *mounts = NULL, *spec;
  int r;

  if (p->id == NULL || strlen (p->id) < 12 || p->rootfs == NULL || p->rootfs[0] != '/')
    return berth_engine_error (err, EINVAL,
                               "build the spec: an ID and an absolute rootfs are needed");
  if (p->req->init && (p->init_path == NULL || p->init_path[0] != '/'))
    return berth_engine_error (err, EINVAL, "--init: no init binary to mount");
  r = hostname_of (p, hostname);
  if (r < 0)
    return berth_error (err, -r, "gethostname");
  if (process_json (p, hostname, caps, &process, err) < 0)
    return berth_error_ret (err);
  if (linux_json (p, caps, &linux_, err) < 0 || berth_engine_mounts_json (p, &mounts, err) < 0)
    {
      json_decref (process);
      json_decref (linux_);
      return berth_error_ret (err);
    }
  spec = json_pack ("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o, s:o}", "ociVersion", OCI_VERSION,
                    "process", process, "root", "path", p->rootfs, "readonly", p->req->read_only,
                    "hostname", hostname, "mounts", mounts, "annotations", annotations_json (p),
                    "linux", linux_);
  if (spec == NULL)
    return berth_error (err, ENOMEM, "build the spec");
  *out = spec;
  return 0;
}

/* Dump SPEC, turning the RLIM_INFINITY placeholders into the number.  */
static char *
dump_spec (json_t *spec)
{
  cleanup_free char *text = json_dumps (spec, JSON_COMPACT);
  cleanup_free char *placeholder = NULL;
  size_t plen, ilen = strlen (RLIM_INFINITY_TEXT);
  char *out, *w;
  const char *r;
  bool in_string = false;
  json_t *real = json_real (RLIM_PLACEHOLDER);

  placeholder = real ? json_dumps (real, JSON_ENCODE_ANY) : NULL;
  json_decref (real);
  if (text == NULL || placeholder == NULL)
    return NULL;
  plen = strlen (placeholder);
  /* Room for the number even where it is longer than the placeholder.  */
  out = malloc (strlen (text) / plen * ilen + strlen (text) + 1);
  if (out == NULL)
    return NULL;
  /* Only a token that starts outside any string is the placeholder.  */
  for (r = text, w = out; *r;)
    {
      if (!in_string && *r == placeholder[0] && strncmp (r, placeholder, plen) == 0)
        {
          memcpy (w, RLIM_INFINITY_TEXT, ilen);
          w += ilen;
          r += plen;
          continue;
        }
      if (in_string && *r == '\\' && r[1])
        {
          *w++ = *r++;
          *w++ = *r++;
          continue;
        }
      if (*r == '"')
        in_string = !in_string;
      *w++ = *r++;
    }
  *w = '\0';
  return out;
}

int
berth_engine_build_spec (const struct berth_spec_params *p, char **out, berth_error_t *err)
{
  json_t *spec = NULL;

  if (build_spec_json (p, &spec, err) < 0)
    return berth_error_ret (err);
  *out = dump_spec (spec);
  json_decref (spec);
  if (*out == NULL)
    return berth_error (err, ENOMEM, "build the spec");
  return 0;
}
