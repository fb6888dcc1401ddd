/* Container state on disk: reservation and locking of IDs, state.json, and
 * the live status derived from the container's process.  */
#include "state.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../util.h"

static const char *const status_names[] = {
  [BERTH_STATUS_CREATING] = "creating",
  [BERTH_STATUS_CREATED] = "created",
  [BERTH_STATUS_RUNNING] = "running",
  [BERTH_STATUS_STOPPED] = "stopped",
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

static int
open_lock (int dirfd, const char *id, int op, berth_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;

  if (asprintf (&path, "%s/" BERTH_LOCK_FILE, id) < 0)
    return berth_error (err, ENOMEM, "lock");
  fd = openat (dirfd, path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return berth_error (err, errno, "open lock of `%s`", id);
  if (flock (fd, op) < 0)
    return berth_error (err, errno, "lock `%s`", id);
  return steal_fd (&fd);
}

static bool
has_state_file (int dirfd, const char *id)
{
  char path[PATH_MAX];
  snprintf (path, sizeof (path), "%s/" BERTH_STATE_FILE, id);
  return faccessat (dirfd, path, F_OK, 0) == 0;
}

/* The root lock serialises reservation only; it is held for microseconds.  */
int
berth_state_reserve (const char *root, const char *id, char **dir, int *lock_fd,
                     berth_error_t *err)
{
  cleanup_close int rootfd = -1;
  cleanup_close int lockfd = -1;

  if (berth_id_validate (id, err) < 0)
    return berth_error_ret (err);
  rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0 && errno == ENOENT)
    {
      if (berth_mkdir_p (root, 0700, err) < 0)
        return berth_error_ret (err);
      rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  if (rootfd < 0)
    return berth_error (err, errno, "open state root `%s`", root);
  if (flock (rootfd, LOCK_EX) < 0)
    return berth_error (err, errno, "lock state root `%s`", root);

  if (mkdirat (rootfd, id, 0700) < 0)
    {
      if (errno != EEXIST)
        return berth_error (err, errno, "create state directory `%s/%s`", root, id);
      lockfd = open_lock (rootfd, id, LOCK_EX | LOCK_NB, NULL);
      if (lockfd < 0 || has_state_file (rootfd, id))
        return berth_error (err, EEXIST, "container `%s` already exists", id);
      /* A create crashed before writing state: its directory is garbage.  */
      close (steal_fd (&lockfd));
      {
        cleanup_free char *stale = NULL;
        if (asprintf (&stale, "%s/%s", root, id) < 0 || berth_remove_tree (stale, err) < 0)
          return berth_error (err, errno ? errno : ENOMEM, "remove stale `%s`", id);
      }
      if (mkdirat (rootfd, id, 0700) < 0)
        return berth_error (err, errno, "create state directory `%s/%s`", root, id);
    }
  lockfd = open_lock (rootfd, id, LOCK_EX, err);
  if (lockfd < 0)
    return berth_error_ret (err);
  if (asprintf (dir, "%s/%s", root, id) < 0)
    return berth_error (err, ENOMEM, "reserve");
  *lock_fd = steal_fd (&lockfd);
  return 0;
}

int
berth_state_lock (const char *root, const char *id, int *lock_fd, berth_error_t *err)
{
  cleanup_close int rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int fd;

  if (berth_id_validate (id, err) < 0)
    return berth_error_ret (err);
  if (rootfd < 0 || !has_state_file (rootfd, id))
    return berth_error (err, ENOENT, "container `%s` does not exist", id);
  fd = open_lock (rootfd, id, LOCK_EX, err);
  if (fd < 0)
    return berth_error_ret (err);
  *lock_fd = fd;
  return 0;
}

static json_t *
annotations_to_json (const struct berth_state *state)
{
  json_t *o = json_object ();
  for (size_t i = 0; i < state->n_annotations; i++)
    json_object_set_new (o, state->annotations[i].key, json_string (state->annotations[i].value));
  return o;
}

int
berth_state_save (const char *dir, const struct berth_state *state, berth_error_t *err)
{
  json_t *o = json_object ();
  cleanup_free char *text = NULL;
  cleanup_free char *path = NULL;

  json_object_set_new (o, "ociVersion", json_string (state->oci_version));
  json_object_set_new (o, "id", json_string (state->id));
  json_object_set_new (o, "pid", json_integer (state->pid));
  json_object_set_new (o, "pidStartTime", json_integer ((json_int_t) state->pid_start_time));
  json_object_set_new (o, "bundle", json_string (state->bundle));
  json_object_set_new (o, "rootfs", json_string (state->rootfs));
  json_object_set_new (o, "created", json_string (state->created));
  json_object_set_new (o, "owner", json_string (state->owner ? state->owner : ""));
  json_object_set_new (o, "annotations", annotations_to_json (state));
  text = json_dumps (o, JSON_COMPACT);
  json_decref (o);
  if (text == NULL || asprintf (&path, "%s/" BERTH_STATE_FILE, dir) < 0)
    return berth_error (err, ENOMEM, "save state");
  return berth_write_file_atomic (path, text, strlen (text), 0600, err);
}

static char *
dup_json_string (json_t *o, const char *key)
{
  const char *s = json_string_value (json_object_get (o, key));
  return strdup (s ? s : "");
}

unsigned long long
berth_proc_start_time (pid_t pid, bool *zombie)
{
  char path[64], buf[1024];
  cleanup_close int fd = -1;
  ssize_t n;
  char *p;
  unsigned long long start = 0;

  *zombie = false;
  snprintf (path, sizeof (path), "/proc/%d/stat", pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  n = read (fd, buf, sizeof (buf) - 1);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* comm may hold spaces and parentheses: fields restart after the last ')'.  */
  p = strrchr (buf, ')');
  if (p == NULL || p[1] == '\0')
    return 0;
  p += 2;
  *zombie = (*p == 'Z' || *p == 'X');
  /* p is field 3 (state); starttime is field 22.  */
  for (int field = 3; field < 22 && p; field++)
    {
      p = strchr (p, ' ');
      if (p)
        p++;
    }
  if (p)
    start = strtoull (p, NULL, 10);
  return start;
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

static enum berth_status
derive_status (const char *root, const struct berth_state *state)
{
  char path[PATH_MAX];

  if (!berth_state_process_alive (state))
    return BERTH_STATUS_STOPPED;
  snprintf (path, sizeof (path), "%s/%s/" BERTH_FIFO_FILE, root, state->id);
  return access (path, F_OK) == 0 ? BERTH_STATUS_CREATED : BERTH_STATUS_RUNNING;
}

int
berth_state_load (const char *root, const char *id, struct berth_state **out, berth_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *text = NULL;
  json_t *o, *ann;
  json_error_t jerr;
  struct berth_state *s;
  size_t len;

  if (berth_id_validate (id, err) < 0)
    return berth_error_ret (err);
  if (asprintf (&path, "%s/%s/" BERTH_STATE_FILE, root, id) < 0)
    return berth_error (err, ENOMEM, "load state");
  if (berth_read_file (path, &text, &len, NULL) < 0)
    return berth_error (err, ENOENT, "container `%s` does not exist", id);
  o = json_loadb (text, len, 0, &jerr);
  if (o == NULL)
    return berth_error (err, EINVAL, "state of `%s` is corrupt: %s", id, jerr.text);

  s = calloc (1, sizeof (*s));
  s->id = dup_json_string (o, "id");
  s->oci_version = dup_json_string (o, "ociVersion");
  s->bundle = dup_json_string (o, "bundle");
  s->rootfs = dup_json_string (o, "rootfs");
  s->created = dup_json_string (o, "created");
  s->owner = dup_json_string (o, "owner");
  s->pid = (pid_t) json_integer_value (json_object_get (o, "pid"));
  s->pid_start_time = (unsigned long long) json_integer_value (json_object_get (o, "pidStartTime"));
  ann = json_object_get (o, "annotations");
  if (json_is_object (ann) && json_object_size (ann) > 0)
    {
      const char *k;
      json_t *v;
      s->annotations = calloc (json_object_size (ann), sizeof (*s->annotations));
      json_object_foreach (ann, k, v)
      {
        s->annotations[s->n_annotations].key = strdup (k);
        s->annotations[s->n_annotations].value = strdup (json_string_value (v) ?: "");
        s->n_annotations++;
      }
    }
  json_decref (o);
  s->status = derive_status (root, s);
  *out = s;
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
  for (size_t i = 0; i < s->n_annotations; i++)
    {
      free (s->annotations[i].key);
      free (s->annotations[i].value);
    }
  free (s->annotations);
  free (s);
}

char *
berth_state_to_json (const struct berth_state *state, enum berth_status status, bool pretty)
{
  json_t *o = json_object ();
  char *text;

  json_object_set_new (o, "ociVersion", json_string (state->oci_version));
  json_object_set_new (o, "id", json_string (state->id));
  json_object_set_new (o, "status", json_string (berth_status_name (status)));
  if (status != BERTH_STATUS_STOPPED && state->pid > 0)
    json_object_set_new (o, "pid", json_integer (state->pid));
  else
    json_object_set_new (o, "pid", json_integer (0));
  json_object_set_new (o, "bundle", json_string (state->bundle));
  if (state->n_annotations > 0)
    json_object_set_new (o, "annotations", annotations_to_json (state));
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
      if (de->d_name[0] == '.' || !has_state_file (dirfd (d), de->d_name))
        continue;
      if (n == cap)
        {
          char **nv = realloc (v, (cap * 2 + 1) * sizeof (char *));
          if (nv == NULL)
            break;
          v = nv;
          cap *= 2;
        }
      v[n++] = strdup (de->d_name);
      v[n] = NULL;
    }
  *ids = v;
  return 0;
}
