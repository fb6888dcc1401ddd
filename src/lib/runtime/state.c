/* Container state on disk: reservation and locking of IDs, the state file,
 * and the live status derived from the container's process.  */
#include "state.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/cgroup/cgroup.h"
#include "linux/rootfs/rootfs.h"
#include "util.h"

#define STATE_SUFFIX ".json"

static const char *const status_names[] = {
  [BERTH_STATUS_CREATING] = "creating",
  [BERTH_STATUS_CREATED] = "created",
  [BERTH_STATUS_RUNNING] = "running",
  [BERTH_STATUS_STOPPED] = "stopped",
  [BERTH_STATUS_PAUSED] = "paused",
};

const char *
berth_status_name (enum berth_status s)
{
  return status_names[s];
}

int
berth_id_validate (const char *id, berth_error_t *err)
{
  size_t len = id ? strlen (id) : 0;

  if (len == 0)
    return berth_error (err, 0, "container ID must not be empty");
  if (len > 1024)
    return berth_error (err, 0, "container ID `%.32s...` is longer than 1024 bytes", id);
  if (id[0] == '.')
    return berth_error (err, 0, "invalid container ID `%s`: must not start with `.`", id);
  for (const char *p = id; *p; p++)
    if (!isalnum ((unsigned char) *p) && strchr ("_.+-", *p) == NULL)
      return berth_error (err, 0, "invalid container ID `%s`: only [A-Za-z0-9_.+-] allowed", id);
  return 0;
}

static char *
state_file_name (const char *id)
{
  char *name = NULL;
  if (asprintf (&name, "%s" STATE_SUFFIX, id) < 0)
    return NULL;
  return name;
}

static int
open_root (const char *root, bool create, berth_error_t *err)
{
  int fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0 && errno == ENOENT && create)
    {
      if (berth_mkdir_p (root, 0700, err) < 0)
        return berth_error_ret (err);
      fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  if (fd < 0)
    return berth_error (err, errno, "open state root `%s`", root);
  return fd;
}

static struct berth_state *state_from_json (json_t *o);

/* Whether an unlocked state file is a finished create's.  Otherwise a
 * create crashed: remove the cgroup its early record names.  */
static bool
state_file_finished (int fd)
{
  cleanup_free char *text = NULL;
  struct berth_state *st;
  size_t len;
  json_t *o;
  bool finished;

  if (berth_read_fd (fd, &text, &len, NULL) < 0
      || (o = json_loadb (text, len, JSON_DISABLE_EOF_CHECK, NULL)) == NULL)
    return false;
  st = state_from_json (o);
  json_decref (o);
  if (st == NULL)
    return false;
  finished = !st->creating;
  if (!finished && st->cgroup)
    {
      struct berth_cgroup *cg = NULL;
      if (berth_cgroup_load (st->cgroup, &cg, NULL) == 0)
        berth_cgroup_destroy (cg, NULL);
      berth_cgroup_free (cg);
    }
  if (!finished)
    berth_rootfs_unbind_shared (st->rootfs, st->rootfs_mnt_id);
  berth_state_free (st);
  return finished;
}

int
berth_state_reserve (const char *root, const char *id, int *fd_out, berth_error_t *err)
{
  cleanup_close int rootfd = -1;
  cleanup_close int fd = -1;
  cleanup_free char *name = NULL;

  if (berth_id_validate (id, err) < 0)
    return berth_error_ret (err);
  name = state_file_name (id);
  rootfd = open_root (root, true, err);
  if (rootfd < 0)
    return rootfd;
  /* The root lock makes "create the file, then lock it" one step for
   * concurrent creates; it is held for a few syscalls.  */
  if (flock (rootfd, LOCK_EX) < 0)
    return berth_error (err, errno, "lock state root `%s`", root);

  fd = openat (rootfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST)
    {
      cleanup_close int old = openat (rootfd, name, O_RDWR | O_CLOEXEC);
      if (old < 0 || flock (old, LOCK_EX | LOCK_NB) < 0 || state_file_finished (old))
        {
          berth_error (err, EEXIST, "container `%s` already exists", id);
          return berth_error_set_code (err, BERTH_EEXIST);
        }
      /* A create crashed before it wrote the state: take the file over.  */
      if (ftruncate (old, 0) < 0)
        return berth_error (err, errno, "reset stale state of `%s`", id);
      *fd_out = steal_fd (&old);
      return 0;
    }
  if (fd < 0)
    return berth_error (err, errno, "create state of `%s` in `%s`", id, root);
  if (flock (fd, LOCK_EX) < 0)
    return berth_error (err, errno, "lock state of `%s`", id);
  *fd_out = steal_fd (&fd);
  return 0;
}

static json_t *
annotations_to_json (const struct berth_key_value *kv, size_t n)
{
  json_t *o = json_object ();
  for (size_t i = 0; i < n; i++)
    json_object_set_new (o, kv[i].key, json_string (kv[i].value));
  return o;
}

static json_t *
strv_to_json (char *const *v)
{
  json_t *a = json_array ();
  for (; v && *v; v++)
    json_array_append_new (a, json_string (*v));
  return a;
}

static json_t *
hooks_to_json (const struct berth_hook_list *l)
{
  json_t *a = json_array ();
  for (size_t i = 0; i < l->n; i++)
    {
      const struct berth_hook *h = &l->hooks[i];
      json_t *o = json_pack ("{s:s}", "path", h->path);
      if (h->args)
        json_object_set_new (o, "args", strv_to_json (h->args));
      if (h->env)
        json_object_set_new (o, "env", strv_to_json (h->env));
      if (h->timeout > 0)
        json_object_set_new (o, "timeout", json_integer (h->timeout));
      json_array_append_new (a, o);
    }
  return a;
}

int
berth_state_save (int fd, const struct berth_state *st, berth_error_t *err)
{
  json_t *o = json_object ();
  cleanup_free char *text = NULL;
  size_t len;
  int r;

  json_object_set_new (o, "ociVersion", json_string (st->oci_version));
  json_object_set_new (o, "id", json_string (st->id));
  json_object_set_new (o, "pid", json_integer (st->pid));
  json_object_set_new (o, "pidStartTime", json_integer ((json_int_t) st->pid_start_time));
  json_object_set_new (o, "initExeDev", json_integer ((json_int_t) st->init_exe_dev));
  json_object_set_new (o, "initExeIno", json_integer ((json_int_t) st->init_exe_ino));
  json_object_set_new (o, "startCookie", json_integer ((json_int_t) st->start_cookie));
  json_object_set_new (o, "bundle", json_string (st->bundle));
  json_object_set_new (o, "rootfs", json_string (st->rootfs));
  json_object_set_new (o, "created", json_string (st->created));
  json_object_set_new (o, "owner", json_string (st->owner ? st->owner : ""));
  json_object_set_new (o, "annotations", annotations_to_json (st->annotations, st->n_annotations));
  if (st->cgroup)
    json_object_set_new (o, "cgroup", json_string (st->cgroup));
  if (st->rootfs_mnt_id)
    json_object_set_new (o, "rootfsMountId", json_integer ((json_int_t) st->rootfs_mnt_id));
  if (st->creating)
    json_object_set_new (o, "creating", json_true ());
  if (st->poststart.n)
    json_object_set_new (o, "poststart", hooks_to_json (&st->poststart));
  if (st->poststop.n)
    json_object_set_new (o, "poststop", hooks_to_json (&st->poststop));
  text = json_dumps (o, JSON_COMPACT);
  json_decref (o);
  if (text == NULL)
    return berth_error (err, ENOMEM, "save state of `%s`", st->id);
  /* The config as the caller wrote it (it parsed, so it is an object):
   * spliced in, not parsed again and dumped.  */
  if (st->config_text && !st->creating)
    {
      char *whole = NULL;
      size_t n = strlen (text);
      if (asprintf (&whole, "%.*s,\"config\":%s}", (int) (n - 1), text, st->config_text) < 0)
        return berth_error (err, ENOMEM, "save state of `%s`", st->id);
      free (text);
      text = whole;
    }
  /* One write of the whole object over the old one, then cut what is
   * left of the old: a create killed in between leaves the new record
   * followed by a tail that readers ignore (JSON_DISABLE_EOF_CHECK), never
   * an empty file that no longer names the cgroup.  */
  len = strlen (text);
  r = (int) pwrite (fd, text, len, 0);
  if (r < 0 || (size_t) r != len)
    return berth_error (err, r < 0 ? errno : EIO, "save state of `%s`", st->id);
  if (ftruncate (fd, (off_t)len) < 0)
    return berth_error (err, errno, "save state of `%s`", st->id);
  return 0;
}

static char *
dup_json_string (json_t *o, const char *key)
{
  const char *s = json_string_value (json_object_get (o, key));
  return strdup (s ? s : "");
}

/* False when out of memory (*out is then NULL); a missing array is NULL.  */
static bool
strv_from_json (json_t *a, char ***out)
{
  size_t n = json_array_size (a);
  char **v;

  *out = NULL;
  if (!json_is_array (a))
    return true;
  v = calloc (n + 1, sizeof (char *));
  if (v == NULL)
    return false;
  for (size_t i = 0; i < n; i++)
    if ((v[i] = strdup (json_string_value (json_array_get (a, i)) ?: "")) == NULL)
      {
        berth_strv_freep (&v);
        return false;
      }
  *out = v;
  return true;
}

/* False when out of memory; what was read is in l for hooks_free.  */
static bool
hooks_from_json (json_t *a, struct berth_hook_list *l)
{
  size_t n = json_array_size (a);
  if (n == 0)
    return true;
  l->hooks = calloc (n, sizeof (*l->hooks));
  if (l->hooks == NULL)
    return false;
  l->n = n;
  for (size_t i = 0; i < n; i++)
    {
      json_t *h = json_array_get (a, i);
      l->hooks[i].path = dup_json_string (h, "path");
      if (l->hooks[i].path == NULL
          || !strv_from_json (json_object_get (h, "args"), &l->hooks[i].args)
          || !strv_from_json (json_object_get (h, "env"), &l->hooks[i].env))
        return false;
      l->hooks[i].timeout = (int) json_integer_value (json_object_get (h, "timeout"));
    }
  return true;
}

static void
hooks_free (struct berth_hook_list *l)
{
  for (size_t i = 0; i < l->n; i++)
    {
      berth_strv_freep (&l->hooks[i].args);
      berth_strv_freep (&l->hooks[i].env);
      free (l->hooks[i].path);
    }
  free (l->hooks);
}

/* PF_EXITING of include/linux/sched.h: set as a process enters do_exit.  */
#define PROC_PF_EXITING 0x4UL

/* Whether SIGKILL is queued for PID and not yet acted on: kill(2) returns
 * before the target runs, and nothing but its exit can follow.  */
static bool
sigkill_pending (pid_t pid)
{
  char path[64];
  cleanup_file FILE *f = NULL;
  cleanup_free char *line = NULL;
  size_t cap = 0;
  bool pending = false;

  snprintf (path, sizeof (path), "/proc/%d/status", pid);
  f = fopen (path, "re");
  if (f == NULL)
    return false;
  while (getline (&line, &cap, f) > 0)
    if (strncmp (line, "ShdPnd:", 7) == 0 || strncmp (line, "SigPnd:", 7) == 0)
      {
        unsigned long long mask = strtoull (line + 7, NULL, 16);
        if (mask & (1ULL << (SIGKILL - 1)))
          pending = true;
      }
  return pending;
}

unsigned long long
berth_proc_start_time (pid_t pid, bool *zombie)
{
  struct berth_proc_stat s;

  *zombie = false;
  if (!berth_proc_stat_read (pid, &s))
    return 0;
  /* A process that got SIGKILL runs in the kernel's exit path for a while
   * (a pid namespace's init waits there for the namespace to empty) before
   * it turns Z: it will never run user code again, so it counts as exited,
   * as `kill KILL; delete` expects.  */
  *zombie = s.state == 'Z' || s.state == 'X' || (s.flags & PROC_PF_EXITING);
  return s.start_time;
}

bool
berth_state_process_alive (const struct berth_state *state)
{
  bool zombie;
  unsigned long long start;

  if (state->pid <= 0)
    return false;
  start = berth_proc_start_time (state->pid, &zombie);
  return start != 0 && !zombie && start == state->pid_start_time;
}

/* A frozen cgroup makes a running container "paused"; v1 freezer.state or
 * v2 cgroup.freeze, read through the cgroup subsystem.  */
static bool
cgroup_frozen (const struct berth_state *st)
{
  struct berth_cgroup *cg = NULL;
  bool frozen = false;

  if (st->cgroup == NULL || berth_cgroup_load (st->cgroup, &cg, NULL) < 0)
    return false;
  if (berth_cgroup_is_frozen (cg, &frozen, NULL) < 0)
    frozen = false;
  berth_cgroup_free (cg);
  return frozen;
}

/* Until delete removes it, the cgroup remembers an OOM kill.  */
static bool
cgroup_oom_killed (const struct berth_state *st)
{
  struct berth_cgroup *cg = NULL;
  uint64_t n = 0;

  if (st->cgroup == NULL || berth_cgroup_load (st->cgroup, &cg, NULL) < 0)
    return false;
  if (berth_cgroup_oom_kill_count (cg, &n, NULL) < 0)
    n = 0;
  berth_cgroup_free (cg);
  return n > 0;
}

static enum berth_status
derive_status (const struct berth_state *st)
{
  char path[64];
  struct stat sb;
  bool frozen;

  if (!berth_state_process_alive (st))
    return BERTH_STATUS_STOPPED;
  /* Until it execs the user program, the init runs the runtime's binary.  */
  snprintf (path, sizeof (path), "/proc/%d/exe", st->pid);
  /* The init is not dumpable until it execs: only a privileged caller may
   * look at its exe.  Otherwise no executable any more: it is exiting.  */
  if (stat (path, &sb) < 0)
    return errno == EACCES ? BERTH_STATUS_CREATED : BERTH_STATUS_STOPPED;
  frozen = cgroup_frozen (st);
  /* Killed but not yet scheduled to act on it (a loaded machine): it will
   * only exit, so `kill KILL` then at once `delete` finds it stopped.  A
   * frozen one stays paused until thawed, as with runc and crun.  */
  if (!frozen && sigkill_pending (st->pid))
    return BERTH_STATUS_STOPPED;
  if (sb.st_dev == st->init_exe_dev && sb.st_ino == st->init_exe_ino)
    return BERTH_STATUS_CREATED;
  return frozen ? BERTH_STATUS_PAUSED : BERTH_STATUS_RUNNING;
}

static struct berth_state *
state_from_json (json_t *o)
{
  struct berth_state *s = calloc (1, sizeof (*s));
  json_t *ann;

  if (s == NULL)
    return NULL;
  s->id = dup_json_string (o, "id");
  s->oci_version = dup_json_string (o, "ociVersion");
  s->bundle = dup_json_string (o, "bundle");
  s->rootfs = dup_json_string (o, "rootfs");
  s->created = dup_json_string (o, "created");
  s->owner = dup_json_string (o, "owner");
  s->pid = (pid_t) json_integer_value (json_object_get (o, "pid"));
  s->pid_start_time = (unsigned long long) json_integer_value (json_object_get (o, "pidStartTime"));
  s->init_exe_dev = (uint64_t) json_integer_value (json_object_get (o, "initExeDev"));
  s->init_exe_ino = (uint64_t) json_integer_value (json_object_get (o, "initExeIno"));
  s->start_cookie = (uint64_t) json_integer_value (json_object_get (o, "startCookie"));
  if (!s->id || !s->oci_version || !s->bundle || !s->rootfs || !s->created || !s->owner)
    goto oom;
  s->rootfs_mnt_id = (uint64_t) json_integer_value (json_object_get (o, "rootfsMountId"));
  ann = json_object_get (o, "annotations");
  if (json_is_object (ann) && json_object_size (ann) > 0)
    {
      const char *k;
      json_t *v;
      s->annotations = calloc (json_object_size (ann), sizeof (*s->annotations));
      if (s->annotations == NULL)
        goto oom;
      json_object_foreach (ann, k, v)
      {
        struct berth_key_value *kv = &s->annotations[s->n_annotations++];
        kv->key = strdup (k);
        kv->value = strdup (json_string_value (v) ?: "");
        if (kv->key == NULL || kv->value == NULL)
          goto oom;
      }
    }
  s->creating = json_is_true (json_object_get (o, "creating"));
  if (json_string_value (json_object_get (o, "cgroup"))
      && (s->cgroup = strdup (json_string_value (json_object_get (o, "cgroup")))) == NULL)
    goto oom;
  if (!hooks_from_json (json_object_get (o, "poststart"), &s->poststart)
      || !hooks_from_json (json_object_get (o, "poststop"), &s->poststop))
    goto oom;
  s->config = json_incref (json_object_get (o, "config"));
  return s;

oom:
  berth_state_free (s);
  return NULL;
}

/* Parse an open state file.  An empty or torn file is a create in progress.  */
static int
load_from_fd (int fd, const char *id, struct berth_state **out, berth_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len;
  json_t *o;
  struct berth_state *s;

  if (berth_read_fd (fd, &text, &len, err) < 0)
    return berth_error_wrap (err, "state of `%s`", id);
  o = json_loadb (text, len, JSON_DISABLE_EOF_CHECK, NULL);
  if (o == NULL)
    {
      s = calloc (1, sizeof (*s));
      if (s == NULL)
        return berth_error (err, ENOMEM, "state of `%s`", id);
      s->id = strdup (id);
      s->oci_version = strdup ("");
      s->bundle = strdup ("");
      s->status = BERTH_STATUS_CREATING;
      if (!s->id || !s->oci_version || !s->bundle)
        {
          berth_state_free (s);
          return berth_error (err, ENOMEM, "state of `%s`", id);
        }
      *out = s;
      return 0;
    }
  s = state_from_json (o);
  json_decref (o);
  if (s == NULL)
    return berth_error (err, ENOMEM, "state of `%s`", id);
  if (s->creating)
    {
      s->status = BERTH_STATUS_CREATING;
      *out = s;
      return 0;
    }
  s->status = derive_status (s);
  if (s->status == BERTH_STATUS_STOPPED)
    s->oom_killed = cgroup_oom_killed (s);
  *out = s;
  return 0;
}

static int
open_state (const char *root, const char *id, int flags, berth_error_t *err)
{
  cleanup_close int rootfd = -1;
  cleanup_free char *name = NULL;
  int fd;

  if (berth_id_validate (id, err) < 0)
    return berth_error_ret (err);
  name = state_file_name (id);
  rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  fd = rootfd < 0 ? -1 : openat (rootfd, name, flags | O_CLOEXEC);
  if (fd < 0)
    {
      berth_error (err, ENOENT, "container `%s` does not exist", id);
      return berth_error_set_code (err, BERTH_ENOENT);
    }
  return fd;
}

int
berth_state_load (const char *root, const char *id, struct berth_state **out, berth_error_t *err)
{
  cleanup_close int fd = open_state (root, id, O_RDONLY, err);
  if (fd < 0)
    return fd;
  return load_from_fd (fd, id, out, err);
}

int
berth_state_lock (const char *root, const char *id, int *fd_out, struct berth_state **out,
                  berth_error_t *err)
{
  cleanup_close int fd = open_state (root, id, O_RDWR, err);
  struct stat st;

  if (fd < 0)
    return fd;
  if (flock (fd, LOCK_EX) < 0)
    return berth_error (err, errno, "lock state of `%s`", id);
  /* Deleted while we waited for the lock.  */
  if (fstat (fd, &st) < 0 || st.st_nlink == 0)
    {
      berth_error (err, ENOENT, "container `%s` does not exist", id);
      return berth_error_set_code (err, BERTH_ENOENT);
    }
  if (load_from_fd (fd, id, out, err) < 0)
    return berth_error_ret (err);
  /* We hold the lock, so no create is writing this state: an incomplete
   * one is what a create that crashed left, and nothing runs.  */
  if ((*out)->status == BERTH_STATUS_CREATING)
    (*out)->status = BERTH_STATUS_STOPPED;
  *fd_out = steal_fd (&fd);
  return 0;
}

int
berth_state_remove (const char *root, const char *id, berth_error_t *err)
{
  cleanup_free char *path = NULL;
  if (asprintf (&path, "%s/%s" STATE_SUFFIX, root, id) < 0)
    return berth_error (err, ENOMEM, "remove state of `%s`", id);
  if (unlink (path) < 0 && errno != ENOENT)
    return berth_error (err, errno, "remove state of `%s`", id);
  return 0;
}

void
berth_state_free (struct berth_state *s)
{
  if (s == NULL)
    return;
  free (s->id);
  free (s->oci_version);
  free (s->bundle);
  free (s->rootfs);
  free (s->created);
  free (s->owner);
  free (s->cgroup);
  for (size_t i = 0; i < s->n_annotations; i++)
    {
      free (s->annotations[i].key);
      free (s->annotations[i].value);
    }
  free (s->annotations);
  hooks_free (&s->poststart);
  hooks_free (&s->poststop);
  json_decref ((json_t *) s->config);
  free (s);
}

int
berth_state_spec (const struct berth_state *st, struct berth_spec **out, berth_error_t *err)
{
  cleanup_free char *text = NULL;

  if (st->config == NULL)
    return berth_error (err, ENOENT, "container `%s`: no config saved with its state", st->id);
  text = json_dumps ((json_t *) st->config, JSON_COMPACT);
  if (text == NULL)
    return berth_error (err, ENOMEM, "container `%s`: config", st->id);
  if (berth_spec_parse (text, strlen (text), out, err) < 0)
    return berth_error_wrap (err, "container `%s`: the config saved at create", st->id);
  return 0;
}

char *
berth_state_to_json (const struct berth_state *state, enum berth_status status, bool pretty)
{
  json_t *o = json_object ();
  char *text;

  json_object_set_new (o, "ociVersion", json_string (state->oci_version));
  json_object_set_new (o, "id", json_string (state->id));
  json_object_set_new (o, "status", json_string (berth_status_name (status)));
  json_object_set_new (o, "pid", json_integer (status == BERTH_STATUS_STOPPED ? 0 : state->pid));
  json_object_set_new (o, "bundle", json_string (state->bundle));
  if (state->n_annotations > 0)
    json_object_set_new (o, "annotations",
                         annotations_to_json (state->annotations, state->n_annotations));
  /* Beyond the spec's fields, which it allows: why the container stopped.  */
  if (status == BERTH_STATUS_STOPPED && state->oom_killed)
    json_object_set_new (o, "oomKilled", json_true ());
  text = json_dumps (o, pretty ? JSON_INDENT (2) : JSON_COMPACT);
  json_decref (o);
  return text;
}

int
berth_state_list_ids (const char *root, char ***ids, berth_error_t *err)
{
  cleanup_dir DIR *d = opendir (root);
  struct dirent *de;
  size_t n = 0, cap = 8;
  char **v = calloc (cap + 1, sizeof (char *));

  if (v == NULL)
    return berth_error (err, ENOMEM, "list");
  if (d == NULL)
    {
      if (errno == ENOENT)
        {
          *ids = v;
          return 0;
        }
      free (v);
      return berth_error (err, errno, "open state root `%s`", root);
    }
  while ((de = readdir (d)))
    {
      size_t len = strlen (de->d_name);
      if (de->d_name[0] == '.' || len <= strlen (STATE_SUFFIX)
          || strcmp (de->d_name + len - strlen (STATE_SUFFIX), STATE_SUFFIX) != 0)
        continue;
      if (n == cap)
        {
          char **nv = realloc (v, (cap * 2 + 1) * sizeof (char *));
          if (nv == NULL)
            break;
          v = nv;
          cap *= 2;
        }
      v[n] = strndup (de->d_name, len - strlen (STATE_SUFFIX));
      if (v[n] == NULL)
        {
          berth_strv_freep (&v);
          return berth_error (err, ENOMEM, "list");
        }
      v[++n] = NULL;
    }
  *ids = v;
  return 0;
}
