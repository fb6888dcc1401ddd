/* Making a container: its record (Docker's inspect shape), its
 * directories and overlay dirs, its config.json.  The only part of the
 * engine's container code that needs the image store (the monitor does
 * not: it can be a small program).  */
#include "engine/container.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "engine/engine_error.h"
#include "engine/signal_names.h"
#include "engine/spec.h"
#include "engine/volumes.h"
#include "util.h"

static json_t *
strv_json (char *const *v)
{
  json_t *a = json_array ();
  for (size_t i = 0; v && v[i]; i++)
    json_array_append_new (a, json_string (v[i]));
  return a;
}

/* --init's binary: beside berth in a build tree (where berth-monitor is
 * looked for too), else where meson installs it.  */
static char *
init_binary (void)
{
  const char *dir = getenv (BERTH_EXE_DIR_ENV);
  char *path = NULL;

  if (dir && asprintf (&path, "%s/berth-init", dir) >= 0 && access (path, X_OK) == 0)
    return path;
  free (path);
  return strdup (BERTH_LIBEXECDIR "/berth-init");
}
static json_t *
key_values (const struct berth_key_value_list *l)
{
  json_t *o = json_object ();
  for (size_t i = 0; i < l->n; i++)
    json_object_set_new (o, l->keys[i], json_string (l->values[i]));
  return o;
}

static const char *
restart_name (enum berth_restart_policy p)
{
  switch (p)
    {
    case BERTH_RESTART_ON_FAILURE:
      return "on-failure";
    case BERTH_RESTART_ALWAYS:
      return "always";
    case BERTH_RESTART_UNLESS_STOPPED:
      return "unless-stopped";
    default:
      return "no";
    }
}

static json_t *
build_record (struct berth_engine *e, const struct berth_run_request *req,
              const struct berth_image *img, const struct berth_image_config *ic, const char *id,
              const char *name, const char *spec_text, const struct berth_engine_mount *mounts,
              size_t n_mounts)
{
  cleanup_free char *upper = berth_engine_path (e, id, "upper");
  cleanup_free char *work = berth_engine_path (e, id, "work");
  cleanup_free char *rootfs = berth_engine_path (e, id, "rootfs");
  cleanup_free char *logpath = NULL;
  cleanup_strv char **lowers = NULL;
  json_t *spec = json_loads (spec_text, 0, NULL);
  json_t *proc = json_object_get (spec, "process");
  json_t *args = json_object_get (proc, "args");
  json_t *rec, *state, *hc, *cfg, *mj, *binds, *gd;
  char now[40], nm[300], sigbuf[16];
  const char *stop_signal = NULL;
  int stop_sig = req->stop_signal;
  cleanup_free char *lower_joined = NULL;
  size_t len = 0;

  berth_engine_now (now);
  {
    cleanup_free char *dir = berth_store_container_dir (e->store, id);
    if (asprintf (&logpath, "%s/%s-json.log", dir, id) < 0)
      logpath = NULL;
  }
  if (stop_sig == 0 && ic && ic->stop_signal)
    stop_sig = berth_signal_from_name (ic->stop_signal);
  if (stop_sig <= 0)
    stop_sig = SIGTERM;
  stop_signal = berth_signal_name (stop_sig, sigbuf);

  state = json_pack ("{s:s,s:b,s:b,s:b,s:b,s:b,s:i,s:i,s:s,s:s,s:s}", "Status", "created",
                     "Running", 0, "Paused", 0, "Restarting", 0, "OOMKilled", 0, "Dead", 0, "Pid",
                     0, "ExitCode", 0, "Error", "", "StartedAt", "0001-01-01T00:00:00Z",
                     "FinishedAt", "0001-01-01T00:00:00Z");

  binds = json_array ();
  mj = json_array ();
  for (size_t i = 0; i < req->n_mounts; i++)
    if (req->mounts[i].type == BERTH_RUN_MOUNT_BIND)
      {
        char b[4096];
        snprintf (b, sizeof (b), "%s:%s%s", req->mounts[i].source, req->mounts[i].target,
                  req->mounts[i].readonly ? ":ro" : "");
        json_array_append_new (binds, json_string (b));
      }
  for (size_t i = 0; i < n_mounts; i++)
    {
      const struct berth_run_mount *rm = i < req->n_mounts ? &req->mounts[i] : NULL;
      const char *type = mounts[i].type == BERTH_ENGINE_MOUNT_TMPFS ? "tmpfs" : "bind";
      json_t *m;
      if (rm && rm->type == BERTH_RUN_MOUNT_VOLUME)
        type = "volume";
      m = json_pack ("{s:s,s:s,s:s,s:s,s:b,s:s}", "Type", type, "Source",
                     mounts[i].source ? mounts[i].source : "", "Destination", mounts[i].destination,
                     "Mode", "", "RW", !mounts[i].readonly, "Propagation",
                     mounts[i].propagation ? mounts[i].propagation : "rprivate");
      if (rm && rm->type == BERTH_RUN_MOUNT_VOLUME)
        {
          /* ROOT/volumes/NAME/_data: NAME is the directory above.  */
          const char *s = mounts[i].source, *end = strrchr (s, '/'), *start = end;
          while (start > s && start[-1] != '/')
            start--;
          json_object_set_new (m, "Name", json_stringn (start, end - start));
          json_object_set_new (m, "Driver", json_string ("local"));
          json_object_set_new (m, "Anonymous", json_boolean (rm->source == NULL));
        }
      json_array_append_new (mj, m);
    }

  hc = json_pack (
      "{s:o,s:s,s:{s:s,s:i},s:b,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:I,s:b,s:b,s:{s:s,s:{s:s}}}",
      "Binds", binds, "NetworkMode", req->network == BERTH_NETWORK_HOST ? "host" : "none",
      "RestartPolicy", "Name", restart_name (req->restart), "MaximumRetryCount",
      req->restart_max_retries, "AutoRemove", req->rm, "Runtime", "berth", "Memory",
      (json_int_t)(req->has_memory ? req->memory : 0), "MemorySwap",
      (json_int_t)(req->has_memory_swap ? req->memory_swap : 0), "MemoryReservation",
      (json_int_t)(req->has_memory_reservation ? req->memory_reservation : 0), "NanoCpus",
      (json_int_t)(req->has_cpus && req->cpu_period
                       ? req->cpu_quota * 1000000000LL / (int64_t)req->cpu_period
                       : 0),
      "CpuShares", (json_int_t)(req->has_cpu_shares ? req->cpu_shares : 0), "PidsLimit",
      (json_int_t)(req->has_pids_limit ? req->pids_limit : 0), "CpusetCpus",
      req->cpuset_cpus ? req->cpuset_cpus : "", "ShmSize", (json_int_t)req->shm_size, "Privileged",
      req->privileged, "ReadonlyRootfs", req->read_only, "LogConfig", "Type", "json-file", "Config",
      "max-size", "10m");

  cfg = json_pack (
      "{s:s,s:s,s:b,s:b,s:b,s:b,s:o,s:o,s:s,s:s,s:o,s:o,s:s}", "Hostname",
      json_string_value (json_object_get (spec, "hostname"))
          ? json_string_value (json_object_get (spec, "hostname"))
          : "",
      "User", req->user ? req->user : (ic && ic->user ? ic->user : ""), "AttachStdin",
      req->interactive && !req->detach, "AttachStdout", !req->detach, "Tty", req->tty, "OpenStdin",
      req->interactive, "Env",
      json_deep_copy (json_object_get (proc, "env") ? json_object_get (proc, "env")
                                                    : json_array ()),
      "Cmd",
      req->command && req->command[0]     ? strv_json (req->command)
      : req->has_entrypoint || ic == NULL ? json_null ()
                                          : (ic->cmd ? strv_json (ic->cmd) : json_null ()),
      "Image", req->image, "WorkingDir",
      req->workdir ? req->workdir : (ic && ic->working_dir ? ic->working_dir : ""), "Entrypoint",
      req->has_entrypoint ? (req->entrypoint[0] ? json_pack ("[s]", req->entrypoint) : json_null ())
                          : (ic && ic->entrypoint ? strv_json (ic->entrypoint) : json_null ()),
      "Labels", key_values (&req->labels), "StopSignal", stop_signal);
  if (req->has_stop_timeout)
    json_object_set_new (cfg, "StopTimeout", json_integer (req->stop_timeout));

  if (berth_image_container_lower_dirs (e->images, img->id, &lowers, NULL) == 0)
    {
      FILE *f = open_memstream (&lower_joined, &len);
      for (size_t i = 0; f && lowers[i]; i++)
        fprintf (f, "%s%s", i ? ":" : "", lowers[i]);
      if (f)
        fclose (f);
    }
  gd = json_pack ("{s:s,s:{s:s,s:s,s:s,s:s}}", "Name", "overlay", "Data", "LowerDir",
                  lower_joined ? lower_joined : "", "UpperDir", upper, "WorkDir", work, "MergedDir",
                  rootfs);

  snprintf (nm, sizeof (nm), "/%s", name);
  rec = json_pack (
      "{s:s,s:s,s:s,s:o,s:o,s:s,s:s,s:s,s:i,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:{}}", "Id", id, "Created",
      now, "Path", json_array_size (args) ? json_string_value (json_array_get (args, 0)) : "",
      "Args", json_array_size (args) > 1 ? json_array () : json_array (), "State", state, "Image",
      img->id, "Name", nm, "Driver", "overlay", "RestartCount", 0, "LogPath",
      logpath ? logpath : "", "Platform", "linux", "HostConfig", hc, "Config", cfg, "Mounts", mj,
      "GraphDriver", gd, "NetworkSettings", json_pack ("{s:{}}", "Ports"), "Berth");
  for (size_t i = 1; i < json_array_size (args); i++)
    json_array_append (json_object_get (rec, "Args"), json_array_get (args, i));
  json_decref (spec);
  return rec;
}

/* /etc/hosts, /etc/hostname and /etc/resolv.conf from the container dir
 * (written by the network setup), unless the user mounts something there. */
static int
add_etc_mounts (struct berth_engine *e, const char *id, struct berth_engine_mount **mounts,
                size_t *n, berth_error_t *err)
{
  static const char *const files[] = { "hosts", "hostname", "resolv.conf" };

  for (size_t i = 0; i < 3; i++)
    {
      char dest[32];
      bool taken = false;
      struct berth_engine_mount *m;
      snprintf (dest, sizeof (dest), "/etc/%s", files[i]);
      for (size_t j = 0; j < *n; j++)
        taken = taken || strcmp ((*mounts)[j].destination, dest) == 0;
      if (taken)
        continue;
      m = realloc (*mounts, (*n + 1) * sizeof (*m));
      if (m == NULL)
        return berth_error (err, ENOMEM, "mounts");
      *mounts = m;
      m = &m[*n];
      memset (m, 0, sizeof (*m));
      m->type = BERTH_ENGINE_MOUNT_BIND;
      m->source = berth_engine_path (e, id, files[i]);
      m->destination = strdup (dest);
      (*n)++;
      /* The network setup writes the file (once), before anything starts.  */
      if (m->source == NULL || m->destination == NULL)
        return berth_error (err, ENOMEM, "mounts");
    }
  return 0;
}

static bool
net_makes_objects (json_t *plan)
{
  return json_array_size (json_object_get (plan, "Endpoints")) > 0
         || json_object_get (plan, "FwOwner") != NULL;
}

static bool
swap_unsupported (void)
{
  struct stat st;
  /* v1: memsw only with swap accounting; v2: memory.swap.max under the
   * unified root's children (checked on the root's controllers).  */
  if (stat ("/sys/fs/cgroup/memory", &st) == 0)
    return access ("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) < 0;
  return false;
}

int
berth_engine_create (struct berth_engine *e, const struct berth_run_request *req,
                     char id[BERTH_ID_LEN + 1], berth_error_t *err)
{
  struct berth_image *img = NULL;
  struct berth_image_config *ic = NULL;
  struct berth_engine_mount *mounts = NULL;
  size_t n_mounts = 0, n_user_mounts = 0;
  cleanup_free char *name = NULL, *dir = NULL, *rootfs = NULL, *upper = NULL, *work = NULL;
  cleanup_free char *spec = NULL, *cfg_text = NULL, *spec_path = NULL, *init_path = NULL;
  cleanup_close int lock = -1;
  cleanup_free char *netns_path = NULL;
  json_t *rec = NULL, *net_plan = NULL;
  bool mounted = false, net_made = false;
  int r = -1;

  if (e->net_ops == NULL
      && (req->network == BERTH_NETWORK_NAMED || req->network == BERTH_NETWORK_CONTAINER))
    return berth_engine_error (err, EINVAL, "network %s: no networking in this program",
                               req->network_name);
  if (berth_image_get (e->images, req->image, &img, err) < 0)
    return berth_error_ret (err);
  {
    json_t *c = json_object_get (img->config, "config");
    cfg_text = c ? json_dumps (c, JSON_COMPACT) : strdup ("{}");
  }
  if (cfg_text == NULL || berth_image_config_parse (cfg_text, strlen (cfg_text), &ic, err) < 0)
    {
      if (cfg_text == NULL)
        berth_error (err, ENOMEM, "image config");
      berth_image_free (img);
      return -1;
    }
  /* A --rm container does not outlive its run: a power loss ends it, so its
   * files need not reach the disk before it starts (atomic renames keep
   * them whole against crashes of berth; what a power loss leaves of them
   * is an empty record, a dead create that ps and rm clean up).  Saves
   * two fsyncs, 1-15 ms each.  */
  if (berth_store_create_sync (e->store, req->name, id, &name, &lock, !req->rm, err) < 0)
    goto out;
  dir = berth_store_container_dir (e->store, id);
  rootfs = berth_engine_path (e, id, "rootfs");
  upper = berth_engine_path (e, id, "upper");
  work = berth_engine_path (e, id, "work");
  spec_path = berth_engine_path (e, id, "config.json");
  if (!dir || !rootfs || !upper || !work || !spec_path)
    {
      berth_error (err, ENOMEM, "create");
      goto fail;
    }
  if (mkdir (rootfs, 0700) < 0 || mkdir (upper, 0755) < 0 || mkdir (work, 0700) < 0)
    {
      berth_error (err, errno, "create the container's directories");
      goto fail;
    }
  if (berth_engine_resolve_mounts (req, berth_volume_resolve, e->volumes, &mounts, &n_mounts, err) < 0)
    goto fail;
  /* The network is planned (and checked: the network exists, the ports
   * are free) before anything of it is made; it is made once the record
   * that names it is written.  */
  n_user_mounts = n_mounts;
  if (e->net_ops)
    {
      if (e->net_ops->plan (e, req, ic, id, name, &net_plan, &netns_path, err) < 0
          || add_etc_mounts (e, id, &mounts, &n_mounts, err) < 0)
        goto fail;
    }
  /* The rootfs is mounted while the spec is built: -u NAME is looked up in
   * the image's /etc/passwd.  */
  if ((req->rm ? berth_image_mount_overlay_volatile (e->images, img->id, upper, work, rootfs, err)
               : berth_image_mount_container (e->images, img->id, upper, work, rootfs, err))
      < 0)
    goto fail;
  mounted = true;
  /* An empty volume mounted where the image has content gets it first.  */
  if (berth_volume_copy_up_mounts (e->volumes, req, mounts, n_user_mounts, rootfs, err) < 0)
    goto fail;
  if (req->init && (init_path = init_binary ()) == NULL)
    {
      berth_error (err, ENOMEM, "--init");
      goto fail;
    }
  {
    struct berth_run_request r2 = *req;
    struct berth_spec_params p = {
      .req = &r2,
      .image = ic,
      .id = id,
      .rootfs = rootfs,
      .mounts = mounts,
      .n_mounts = n_mounts,
      .swap_unsupported = swap_unsupported (),
      .init_path = init_path,
      .netns_path = netns_path,
    };
    if (e->net_ops == NULL && r2.network == BERTH_NETWORK_DEFAULT)
      r2.network = BERTH_NETWORK_NONE;
    if (berth_engine_build_spec (&p, &spec, err) < 0)
      goto fail;
  }
  /* `run` starts it at once: the monitor finds the root mounted (an
   * unmount costs a grace period, ~10 ms).  `create` leaves nothing
   * mounted.  */
  if (req->create_only)
    {
      umount2 (rootfs, MNT_DETACH);
      mounted = false;
    }
  if (berth_write_file_atomic (spec_path, spec, strlen (spec), 0600, err) < 0)
    goto fail;
  rec = build_record (e, req, img, ic, id, name, spec, mounts, n_user_mounts);
  if (rec == NULL)
    {
      berth_error (err, ENOMEM, "record");
      goto fail;
    }
  if (net_plan)
    json_object_set (json_object_get (rec, "Berth"), "Net", net_plan);
  /* Records first: a record names the network objects (a netns, leases,
   * firewall rules) before they exist, so that a crash repair finds them.
   * A network without such objects (none, host, another container's)
   * makes only files in the container's directory: it is set up before
   * the record's one write, which then carries its settings too.  */
  if (e->net_ops && !net_makes_objects (net_plan))
    {
      if (e->net_ops->setup (e, id, req, rec, err) < 0)
        goto fail;
      net_made = true;
    }
  if (berth_store_write_record_sync (e->store, id, rec, !req->rm, err) < 0)
    goto fail;
  if (e->net_ops && !net_made)
    {
      /* setup undoes its own work when it fails.  */
      if (e->net_ops->setup (e, id, req, rec, err) < 0)
        goto fail;
      net_made = true;
      /* No fsync: the objects it adds do not outlive a power loss.  */
      if (berth_store_write_record_sync (e->store, id, rec, false, err) < 0)
        goto fail;
    }
  r = 0;
  goto out;
fail:
  if (net_made)
    e->net_ops->release (e, id, rec);
  if (mounted)
    umount2 (rootfs, MNT_DETACH);
  {
    cleanup_error berth_error_t ignored = NULL;
    berth_store_remove (e->store, id, &ignored);
  }
out:
  json_decref (rec);
  json_decref (net_plan);
  berth_engine_mounts_free (mounts, n_mounts);
  berth_image_config_free (ic);
  berth_image_free (img);
  return r;
}
