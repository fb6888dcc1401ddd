/* Containers of the engine: lookup with repair, records, stop/kill/remove.
 * Creation is in create.c, the monitor in monitor.c.  */
#include "engine/container.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "engine/engine_error.h"
#include "engine/volumes.h"
#include "engine/signal_names.h"
#include "engine/spec.h"
#include "util.h"

int
berth_engine_open (const char *root, const char *runroot, struct berth_image_store *images,
                   struct berth_engine **out, berth_error_t *err)
{
  struct berth_engine *e = calloc (1, sizeof (*e));
  struct berth_context_options o = { 0 };
  cleanup_free char *seccomp_cache = NULL;

  if (e == NULL)
    return berth_error (err, ENOMEM, "engine");
  e->images = images;
  e->root = strdup (root);
  e->runroot = strdup (runroot);
  if (e->root == NULL || e->runroot == NULL)
    {
      berth_engine_close (e);
      return berth_error (err, ENOMEM, "engine");
    }
  /* Absolute from here on: paths in the spec and records, and the
   * monitor's command line.  */
  if (e->root[0] != '/' || e->runroot[0] != '/')
    {
      char *abs_root = NULL, *abs_run = NULL;
      if (berth_mkdir_p (e->root, 0700, err) < 0 || berth_mkdir_p (e->runroot, 0700, err) < 0
          || (abs_root = realpath (e->root, NULL)) == NULL
          || (abs_run = realpath (e->runroot, NULL)) == NULL)
        {
          int saved = errno;
          free (abs_root);
          berth_engine_close (e);
          return *err ? berth_error_ret (err) : berth_error (err, saved, "realpath `%s`", root);
        }
      free (e->root);
      free (e->runroot);
      e->root = abs_root;
      e->runroot = abs_run;
    }
  if (berth_store_open (e->root, &e->store, err) < 0
      || berth_volume_store_open (e->root, &e->volumes, err) < 0)
    {
      berth_engine_close (e);
      return berth_error_ret (err);
    }
  o.root = e->runroot;
  /* Compiling the default profile is most of a short run's time.  */
  if (asprintf (&seccomp_cache, "%s/seccomp", e->runroot) < 0)
    seccomp_cache = NULL;
  o.seccomp_cache_dir = seccomp_cache;
  /* /berth stays, as Docker's /docker does.  */
  o.keep_cgroup_parents = true;
  if (berth_context_new (&o, &e->ctx, err) < 0)
    {
      berth_engine_close (e);
      return berth_error_ret (err);
    }
  e->rt = (struct berth_runtime){ .root = e->runroot };
  *out = e;
  return 0;
}

void
berth_engine_close (struct berth_engine *e)
{
  if (e == NULL)
    return;
  berth_store_close (e->store);
  berth_volume_store_close (e->volumes);
  berth_context_free (e->ctx);
  free (e->root);
  free (e->runroot);
  free (e->net);
  free (e);
}

char *
berth_engine_path (struct berth_engine *e, const char *id, const char *name)
{
  cleanup_free char *dir = berth_store_container_dir (e->store, id);
  char *p = NULL;

  if (dir == NULL || asprintf (&p, "%s/%s", dir, name) < 0)
    return NULL;
  return p;
}

void
berth_engine_now (char buf[40])
{
  struct timespec ts;
  struct tm tm;

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  snprintf (buf, 40, "%04d-%02d-%02dT%02d:%02d:%02d.%09dZ", (tm.tm_year + 1900) % 10000,
            (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
            tm.tm_sec % 100, (int)(ts.tv_nsec % 1000000000));
}

time_t
berth_engine_parse_time (const char *s, long *nsec)
{
  struct tm tm = { 0 };
  const char *rest;

  if (nsec)
    *nsec = 0;
  if (s == NULL || (rest = strptime (s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
    return 0;
  if (*rest == '.' && nsec)
    {
      long n = 0;
      int digits = 0;
      for (rest++; *rest >= '0' && *rest <= '9'; rest++, digits++)
        if (digits < 9)
          n = n * 10 + (*rest - '0');
      for (; digits < 9; digits++)
        n *= 10;
      *nsec = n;
    }
  return timegm (&tm);
}

/* ---- records ---- */

int
berth_engine_update_record (struct berth_engine *e, const char *id, berth_record_fn fn, void *data,
                            berth_error_t *err)
{
  cleanup_close int lock = berth_store_lock (e->store, id, false, err);
  json_t *rec = NULL;
  int r;

  if (lock < 0)
    return lock;
  if (berth_store_read_record (e->store, id, &rec, err) < 0)
    return berth_error_ret (err);
  fn (rec, data);
  /* State changes (starting, running, exited, paused, renamed): atomic,
   * not fsync'ed; only the record's first version is (create.c).  */
  r = berth_store_write_record_sync (e->store, id, rec, false, err);
  json_decref (rec);
  return r;
}

bool
berth_engine_monitor_alive (struct berth_engine *e, const char *id)
{
  cleanup_free char *path = berth_engine_path (e, id, "monitor.lock");
  cleanup_close int fd = path ? open (path, O_RDONLY | O_CLOEXEC) : -1;

  if (fd < 0)
    return false;
  return flock (fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

struct stopped
{
  int exit_code;
  const char *error;
};

static void
mark_stopped (json_t *rec, void *data)
{
  const struct stopped *s = data;
  json_t *state = json_object_get (rec, "State");
  char now[40];

  berth_engine_now (now);
  json_object_set_new (state, "Status", json_string ("exited"));
  json_object_set_new (state, "Running", json_false ());
  json_object_set_new (state, "Paused", json_false ());
  json_object_set_new (state, "Restarting", json_false ());
  json_object_set_new (state, "Pid", json_integer (0));
  json_object_set_new (state, "ExitCode", json_integer (s->exit_code));
  if (s->error)
    json_object_set_new (state, "Error", json_string (s->error));
  json_object_set_new (state, "FinishedAt", json_string (now));
}

/* What a monitor leaves when it dies: the runtime's state (the container
 * is killed with it), the rootfs mount.  */
static void
clean_runtime (struct berth_engine *e, const char *id)
{
  cleanup_free char *rootfs = berth_engine_path (e, id, "rootfs");
  cleanup_error berth_error_t ignored = NULL;

  if (berth_delete (e->ctx, id, true, &ignored) < 0)
    berth_error_release (&ignored);
  if (rootfs)
    while (umount2 (rootfs, MNT_DETACH) == 0)
      ;
}

static bool
record_running (json_t *rec)
{
  json_t *st = json_object_get (rec, "State");
  return json_is_true (json_object_get (st, "Running"))
         || json_is_true (json_object_get (st, "Restarting"))
         || json_is_true (json_object_get (json_object_get (rec, "Berth"), "Starting"));
}

static void
clear_starting (json_t *rec, void *data)
{
  json_object_del (json_object_get (rec, "Berth"), "Starting");
}

int
berth_engine_record (struct berth_engine *e, const char *id, json_t **record, berth_error_t *err)
{
  json_t *rec = NULL;

  if (berth_store_read_record (e->store, id, &rec, err) < 0)
    return berth_error_ret (err);
  if (record_running (rec) && !berth_engine_monitor_alive (e, id))
    {
      /* Its monitor was killed: take the container's lock, look again (the
       * monitor may have finished meanwhile), and repair.  */
      cleanup_close int lock = berth_store_lock (e->store, id, false, err);
      if (lock < 0)
        {
          json_decref (rec);
          return lock;
        }
      json_decref (rec);
      rec = NULL;
      if (berth_store_read_record (e->store, id, &rec, err) < 0)
        return berth_error_ret (err);
      if (record_running (rec) && !berth_engine_monitor_alive (e, id))
        {
          bool was_running
              = json_is_true (json_object_get (json_object_get (rec, "State"), "Running"));
          struct stopped s = { was_running ? 137 : 128, "the container's monitor died" };
          clean_runtime (e, id);
          if (was_running
              || json_is_true (json_object_get (json_object_get (rec, "State"), "Restarting")))
            mark_stopped (rec, &s);
          clear_starting (rec, NULL);
          if (json_is_true (json_object_get (json_object_get (rec, "HostConfig"), "AutoRemove")))
            {
              /* --rm: what its monitor would have done.  */
              json_decref (rec);
              if (berth_store_remove (e->store, id, err) < 0)
                return berth_error_ret (err);
              return berth_engine_error (err, ENOENT, "No such container: %s", id);
            }
          if (berth_store_write_record (e->store, id, rec, err) < 0)
            {
              json_decref (rec);
              return berth_error_ret (err);
            }
        }
    }
  if (record)
    *record = rec;
  else
    json_decref (rec);
  return 0;
}

int
berth_engine_find (struct berth_engine *e, const char *ref, char id[BERTH_ID_LEN + 1],
                   json_t **record, berth_error_t *err)
{
  if (berth_store_lookup (e->store, ref, id, err) < 0)
    return berth_error_ret (err);
  if (berth_engine_record (e, id, record, err) < 0)
    {
      if (*err && (*err)->status == ENOENT)
        {
          berth_error_release (err);
          return berth_engine_error (err, ENOENT, "No such container: %s", ref);
        }
      return berth_error_ret (err);
    }
  return 0;
}

/* ---- stop, kill, remove ---- */

int
berth_engine_wait_stopped (struct berth_engine *e, const char *id, long timeout_ms,
                           berth_error_t *err)
{
  long deadline = timeout_ms < 0 ? -1 : berth_now_ms () + timeout_ms;
  long delay = 2;

  for (;;)
    {
      json_t *rec = NULL;
      bool running;
      if (berth_engine_record (e, id, &rec, err) < 0)
        {
          /* Removed meanwhile (--rm): stopped for good.  */
          if (*err && (*err)->status == ENOENT)
            {
              berth_error_release (err);
              return 1;
            }
          return berth_error_ret (err);
        }
      running = record_running (rec) || berth_engine_monitor_alive (e, id);
      json_decref (rec);
      if (!running)
        return 1;
      if (deadline >= 0 && berth_now_ms () >= deadline)
        return 0;
      berth_sleep_ms (delay);
      if (delay < 50)
        delay *= 2;
    }
}

static void
set_stop_requested (json_t *rec, void *data)
{
  json_t *b = json_object_get (rec, "Berth");
  if (b == NULL)
    json_object_set_new (rec, "Berth", b = json_object ());
  json_object_set_new (b, "StopRequested", json_true ());
}

/* SIGKILL until the monitor says stopped: a container still starting
 * (its runtime state not there yet, or created and not started) may miss
 * one signal.  */
static int
kill_until_stopped (struct berth_engine *e, const char *id, bool paused, berth_error_t *err)
{
  long deadline = berth_now_ms () + 30000;

  for (;;)
    {
      cleanup_error berth_error_t ignored = NULL;
      int r;
      if (paused)
        berth_container_resume (&e->rt, id, &ignored);
      berth_error_release (&ignored);
      berth_kill (e->ctx, id, SIGKILL, true, &ignored);
      r = berth_engine_wait_stopped (e, id, 200, err);
      if (r != 0)
        return r < 0 ? r : 0;
      if (berth_now_ms () >= deadline)
        return berth_engine_error (err, ETIMEDOUT, "container %s did not stop", id);
    }
}

int
berth_engine_kill (struct berth_engine *e, const char *id, int sig, berth_error_t *err)
{
  json_t *rec = NULL;
  bool running;

  if (berth_engine_record (e, id, &rec, err) < 0)
    return berth_error_ret (err);
  running = json_is_true (json_object_get (json_object_get (rec, "State"), "Running"));
  json_decref (rec);
  if (!running)
    return berth_engine_error (err, EINVAL, "cannot kill container %s: container is not running",
                               id);
  if (berth_kill (e->ctx, id, sig, false, err) < 0)
    return berth_error_ret (err);
  return 0;
}

int
berth_engine_stop (struct berth_engine *e, const char *id, int sig, int timeout, berth_error_t *err)
{
  json_t *rec = NULL, *cfg;
  int r;

  if (berth_engine_record (e, id, &rec, err) < 0)
    return berth_error_ret (err);
  cfg = json_object_get (rec, "Config");
  if (sig <= 0)
    sig = berth_signal_from_name (json_string_value (json_object_get (cfg, "StopSignal")));
  if (sig <= 0)
    sig = SIGTERM;
  if (timeout < 0)
    timeout = json_is_integer (json_object_get (cfg, "StopTimeout"))
                  ? (int)json_integer_value (json_object_get (cfg, "StopTimeout"))
                  : 10;
  if (!record_running (rec) && !berth_engine_monitor_alive (e, id))
    {
      json_decref (rec);
      return 0;
    }
  json_decref (rec);
  if (berth_engine_update_record (e, id, set_stop_requested, NULL, err) < 0)
    return berth_error_ret (err);
  {
    cleanup_error berth_error_t ignored = NULL;
    berth_kill (e->ctx, id, sig, false, &ignored);
  }
  r = berth_engine_wait_stopped (e, id, timeout * 1000L, err);
  if (r != 0)
    return r < 0 ? r : 0;
  return kill_until_stopped (e, id, false, err);
}

static void
remove_anonymous_volumes (struct berth_engine *e, json_t *rec)
{
  size_t i;
  json_t *m;

  json_array_foreach (json_object_get (rec, "Mounts"), i, m)
  {
    if (json_is_true (json_object_get (m, "Anonymous")))
      {
        cleanup_free char *path = NULL;
        cleanup_error berth_error_t ignored = NULL;
        if (asprintf (&path, "%s/volumes/%s", e->root,
                      json_string_value (json_object_get (m, "Name")))
            >= 0)
          berth_remove_tree (path, &ignored);
      }
  }
}

int
berth_engine_remove (struct berth_engine *e, const char *id, bool force, bool volumes,
                     berth_error_t *err)
{
  json_t *rec = NULL;
  cleanup_close int lock = -1;

  if (berth_engine_record (e, id, &rec, err) < 0)
    return berth_error_ret (err);
  if (record_running (rec) || berth_engine_monitor_alive (e, id))
    {
      bool paused = json_is_true (json_object_get (json_object_get (rec, "State"), "Paused"));
      json_decref (rec);
      if (!force)
        return berth_engine_error (
            err, EBUSY,
            "cannot remove container %s: container is %s: stop the container before removing "
            "or force remove",
            id, paused ? "paused" : "running");
      if (berth_engine_update_record (e, id, set_stop_requested, NULL, err) < 0)
        return berth_error_ret (err);
      if (kill_until_stopped (e, id, paused, err) < 0)
        return berth_error_ret (err);
      if (berth_engine_record (e, id, &rec, err) < 0)
        {
          /* A --rm monitor removed it meanwhile.  */
          if (*err && (*err)->status == ENOENT)
            {
              berth_error_release (err);
              return 0;
            }
          return berth_error_ret (err);
        }
    }
  lock = berth_store_lock (e->store, id, false, err);
  if (lock < 0)
    {
      json_decref (rec);
      return lock;
    }
  clean_runtime (e, id);
  if (e->net_ops)
    e->net_ops->release (e, id, rec);
  if (volumes)
    remove_anonymous_volumes (e, rec);
  json_decref (rec);
  return berth_store_remove (e->store, id, err);
}

bool
berth_engine_image_in_use (const char *image_id, void *data)
{
  struct berth_engine *e = data;
  struct berth_store_entry *ents = NULL;
  size_t n = 0;
  bool used = false;

  if (berth_store_list (e->store, &ents, &n, NULL) < 0)
    return true; /* when in doubt, keep the image */
  for (size_t i = 0; i < n && !used; i++)
    {
      json_t *rec = NULL;
      if (berth_store_read_record (e->store, ents[i].id, &rec, NULL) < 0)
        continue;
      used = strcmp (json_string_value (json_object_get (rec, "Image")) ?: "", image_id) == 0;
      json_decref (rec);
    }
  berth_store_entries_free (ents, n);
  return used;
}
