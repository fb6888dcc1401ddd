/* The monitor of one container: it creates the container through libberth
 * (so the container's init is its child and it alone reaps it), logs its
 * output in Docker's json-file format, records how it ended, applies the
 * restart policy and cleans up.  A detached container's monitor is this
 * program re-executed (`berth monitor ID`, a small fresh process rather than
 * a fork of the command that holds the image store's state); a foreground
 * `run` is its own monitor, with the container on its terminal.  */
#include "engine/container.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "runtime/launch.h"
#include "util.h"

/* ---- json-file logs ---- */

struct log_file
{
  char *path;
  int fd;
  int64_t size;
  int64_t max;
};

struct log_stream
{
  const char *name;
  int fd;
  int echo_fd; /* a foreground run's own stdout/stderr, or -1 */
  size_t len;
  char buf[8192];
};

static void
log_rotate (struct log_file *l)
{
  char old[4096];

  snprintf (old, sizeof (old), "%s.1", l->path);
  if (l->fd >= 0)
    close (l->fd);
  rename (l->path, old);
  l->fd = open (l->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
  l->size = 0;
}

/* One json-file entry: {"log":"TEXT","stream":"stdout","time":"..."}.  */
static void
log_write (struct log_file *l, const char *stream, const char *data, size_t len)
{
  static const char hex[] = "0123456789abcdef";
  char out[8192 * 6 + 128], now[40];
  size_t o = 0;

  if (l->fd < 0)
    return;
  o += (size_t)snprintf (out, sizeof (out), "{\"log\":\"");
  for (size_t i = 0; i < len; i++)
    {
      unsigned char c = (unsigned char)data[i];
      if (c == '"' || c == '\\')
        {
          out[o++] = '\\';
          out[o++] = (char)c;
        }
      else if (c == '\n')
        {
          out[o++] = '\\';
          out[o++] = 'n';
        }
      else if (c == '\t')
        {
          out[o++] = '\\';
          out[o++] = 't';
        }
      else if (c == '\r')
        {
          out[o++] = '\\';
          out[o++] = 'r';
        }
      else if (c < 0x20)
        {
          memcpy (out + o, "\\u00", 4);
          o += 4;
          out[o++] = hex[c >> 4];
          out[o++] = hex[c & 15];
        }
      else
        out[o++] = (char)c;
    }
  berth_engine_now (now);
  o += (size_t)snprintf (out + o, sizeof (out) - o, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n",
                         stream, now);
  if (l->max > 0 && l->size > 0 && l->size + (int64_t)o > l->max)
    log_rotate (l);
  if (berth_write_all (l->fd, out, o) == 0)
    l->size += (int64_t)o;
}

/* Append what fd has to the stream's buffer and log every whole line (and a
 * full buffer as a partial line).  Returns 0 at EOF, 1 when more may come.  */
/* Clients of `berth attach`: on a -t container's terminal, or on the
 * output (and, with -i, the stdin pipe) of one without a terminal.  */
#define MAX_ATTACH 8
struct attach
{
  int listen_fd; /* -1: none */
  int master;    /* where clients' input goes: the pty's master or the stdin
                    pipe; -1: input is dropped */
  /* No terminal: stdout and stderr are separate, so each chunk goes out
   * behind an 8-byte header as Docker's attach stream has it: the stream
   * (1 stdout, 2 stderr), three zero bytes, the length (32-bit big
   * endian).  */
  bool framed;
  int clients[MAX_ATTACH];
};

static void
attach_send (struct attach *a, int stream, const char *data, size_t len)
{
  unsigned char head[8] = { (unsigned char)stream,
                            0,
                            0,
                            0,
                            (unsigned char)(len >> 24),
                            (unsigned char)(len >> 16),
                            (unsigned char)(len >> 8),
                            (unsigned char)len };

  for (int i = 0; a && i < MAX_ATTACH; i++)
    if (a->clients[i] >= 0
        && ((a->framed && berth_write_all (a->clients[i], head, sizeof (head)) < 0)
            || berth_write_all (a->clients[i], data, len) < 0))
      {
        /* A client that cannot keep up is dropped, the container is not
         * held back.  */
        close (a->clients[i]);
        a->clients[i] = -1;
      }
}

static int
log_pump (struct log_file *l, struct log_stream *s, struct attach *a)
{
  ssize_t n = read (s->fd, s->buf + s->len, sizeof (s->buf) - s->len);
  char *nl;

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 1;
  if (n <= 0)
    {
      if (s->len)
        log_write (l, s->name, s->buf, s->len);
      s->len = 0;
      return 0;
    }
  attach_send (a, strcmp (s->name, "stderr") == 0 ? 2 : 1, s->buf + s->len, (size_t)n);
  /* A reader that went away (`run ... | head -1`) stops the echo, not the
   * container or its log.  */
  if (s->echo_fd >= 0 && berth_write_all (s->echo_fd, s->buf + s->len, (size_t)n) < 0)
    s->echo_fd = -1;
  s->len += (size_t)n;
  while ((nl = memchr (s->buf, '\n', s->len)))
    {
      size_t line = (size_t)(nl - s->buf) + 1;
      /* A pty ends lines with \r\n: log them as Docker does, \r included.  */
      log_write (l, s->name, s->buf, line);
      memmove (s->buf, s->buf + line, s->len - line);
      s->len -= line;
    }
  if (s->len == sizeof (s->buf))
    {
      log_write (l, s->name, s->buf, s->len);
      s->len = 0;
    }
  return 1;
}

/* The monitor then sits in poll for the container's life, with the code of
 * the image store, the spec builder and libarchive's dependencies mapped
 * and touched from the start: give those pages back (they fault in again
 * from the page cache if a restart needs them), and the heap's free memory.
 * Pages other processes map too (libc) are left alone by the kernel.  */
static void
shed_memory (void)
{
#ifdef MADV_PAGEOUT
  FILE *f = fopen ("/proc/self/maps", "re");
  char line[512];

  while (f && fgets (line, sizeof (line), f))
    {
      unsigned long start, end;
      char perms[8];
      int path = 0;
      if (sscanf (line, "%lx-%lx %7s %*s %*s %*s %n", &start, &end, perms, &path) < 3)
        continue;
      if (path == 0 || line[path] != '/' || perms[1] == 'w')
        continue;
      madvise ((void *)start, end - start, MADV_PAGEOUT);
    }
  if (f)
    fclose (f);
#endif
  malloc_trim (0);
}

/* The attach socket of a detached container: ROOT/containers/<id>/attach.sock,
 * bound through /proc/self/fd so that no sun_path limit applies to the
 * store's path; root only (0600).  -1 when it cannot be made: the container
 * runs on without attach.  */
static int
attach_listen (struct berth_engine *e, const char *id)
{
  cleanup_free char *dir = berth_store_container_dir (e->store, id);
  cleanup_close int dfd = dir ? open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  int fd;

  if (dfd < 0)
    return -1;
  unlinkat (dfd, "attach.sock", 0);
  snprintf (sa.sun_path, sizeof (sa.sun_path), "/proc/self/fd/%d/attach.sock", dfd);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (bind (fd, (struct sockaddr *)&sa, sizeof (sa)) < 0
      || fchmodat (dfd, "attach.sock", 0600, 0) < 0 || listen (fd, MAX_ATTACH) < 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* ---- the overlay root ---- */

static bool
is_mountpoint (const char *path)
{
  cleanup_free char *parent = strdup (path);
  struct stat a, b;
  char *slash = parent ? strrchr (parent, '/') : NULL;

  if (slash == NULL)
    return false;
  *slash = '\0';
  return stat (path, &a) == 0 && stat (parent, &b) == 0 && a.st_dev != b.st_dev;
}

/* Mount the overlay of LOWERS (colon-separated, top first, as the record's
 * GraphDriver.Data.LowerDir has them: the image store wrote them at create)
 * with UPPER and WORK at TARGET.  One fsconfig call per layer, so no option
 * string limits the number of layers; mount(2) with the joined string on
 * kernels without "lowerdir+" (before 6.8).  The monitor needs nothing of
 * the image store this way.  */
static int
mount_overlay (const char *lowers, const char *upper, const char *work, const char *target,
               berth_error_t *err)
{
  cleanup_free char *copy = strdup (lowers);
  cleanup_free char *opts = NULL;
  int fs, mnt = -1;

  if (copy == NULL)
    return berth_error (err, ENOMEM, "overlay");
  if (*lowers == '\0')
    return berth_error (err, EINVAL, "overlay: the record has no layers");
  fs = (int)syscall (SYS_fsopen, "overlay", 1 /* FSOPEN_CLOEXEC */);
  if (fs >= 0)
    {
      bool ok = true;
      for (char *save = NULL, *l = strtok_r (copy, ":", &save); l && ok;
           l = strtok_r (NULL, ":", &save))
        ok = syscall (SYS_fsconfig, fs, 1 /* FSCONFIG_SET_STRING */, "lowerdir+", l, 0) == 0;
      ok = ok && syscall (SYS_fsconfig, fs, 1, "upperdir", upper, 0) == 0
           && syscall (SYS_fsconfig, fs, 1, "workdir", work, 0) == 0
           && syscall (SYS_fsconfig, fs, 6 /* FSCONFIG_CMD_CREATE */, NULL, NULL, 0) == 0;
      if (ok)
        mnt = (int)syscall (SYS_fsmount, fs, 1 /* FSMOUNT_CLOEXEC */, 0);
      close (fs);
      if (mnt >= 0)
        {
          int r = (int)syscall (SYS_move_mount, mnt, "", AT_FDCWD, target,
                                4 /* MOVE_MOUNT_F_EMPTY_PATH */);
          int e = errno;
          close (mnt);
          if (r < 0)
            return berth_error (err, e, "move the overlay to `%s`", target);
          return 0;
        }
    }
  if (asprintf (&opts, "lowerdir=%s,upperdir=%s,workdir=%s", lowers, upper, work) < 0)
    return berth_error (err, ENOMEM, "overlay");
  if (mount ("overlay", target, "overlay", 0, opts) < 0)
    return berth_error (err, errno, "mount the overlay at `%s`", target);
  return 0;
}

/* ---- the record ---- */

struct started
{
  pid_t pid;
  pid_t monitor;
  bool stop_requested; /* out: a stop or rm -f came while we started */
};

static void
mark_running (json_t *rec, void *data)
{
  struct started *s = data;
  json_t *state = json_object_get (rec, "State"), *b = json_object_get (rec, "Berth");
  char now[40];

  s->stop_requested = json_is_true (json_object_get (b, "StopRequested"));

  berth_engine_now (now);
  json_object_set_new (state, "Status", json_string ("running"));
  json_object_set_new (state, "Running", json_true ());
  json_object_set_new (state, "Restarting", json_false ());
  json_object_set_new (state, "Paused", json_false ());
  json_object_set_new (state, "OOMKilled", json_false ());
  json_object_set_new (state, "Pid", json_integer (s->pid));
  json_object_set_new (state, "ExitCode", json_integer (0));
  json_object_set_new (state, "Error", json_string (""));
  json_object_set_new (state, "StartedAt", json_string (now));
  json_object_del (b, "Starting");
  json_object_set_new (b, "MonitorPid", json_integer (s->monitor));
}

static void
mark_starting (json_t *rec, void *data)
{
  json_t *b = json_object_get (rec, "Berth");
  if (b == NULL)
    json_object_set_new (rec, "Berth", b = json_object ());
  json_object_set_new (b, "Starting", json_true ());
  json_object_del (b, "StopRequested");
}

struct ended
{
  int exit_code;
  bool oom;
  bool restarting;
  const char *error; /* could not start */
};

static void
mark_ended (json_t *rec, void *data)
{
  const struct ended *x = data;
  json_t *state = json_object_get (rec, "State");
  char now[40];

  berth_engine_now (now);
  json_object_del (json_object_get (rec, "Berth"), "Starting");
  json_object_set_new (state, "Running", json_false ());
  json_object_set_new (state, "Paused", json_false ());
  json_object_set_new (state, "Pid", json_integer (0));
  json_object_set_new (state, "ExitCode", json_integer (x->exit_code));
  json_object_set_new (state, "OOMKilled", json_boolean (x->oom));
  json_object_set_new (state, "Restarting", json_boolean (x->restarting));
  if (x->error)
    {
      json_object_set_new (state, "Error", json_string (x->error));
      /* Never started: Docker leaves it "created".  */
      if (strcmp (json_string_value (json_object_get (state, "StartedAt")) ?: "",
                  "0001-01-01T00:00:00Z")
          == 0)
        return;
    }
  json_object_set_new (state, "Status", json_string (x->restarting ? "restarting" : "exited"));
  json_object_set_new (state, "FinishedAt", json_string (now));
  if (x->restarting)
    json_object_set_new (
        rec, "RestartCount",
        json_integer (json_integer_value (json_object_get (rec, "RestartCount")) + 1));
}

/* Exit status of `run` for a container that could not start, as Docker's:
 * 127 when the command is not found, 126 when it cannot be executed.  */
static int
start_failure_status (const berth_error_t e)
{
  const char *m = e && e->msg ? e->msg : "";
  if (strstr (m, "executable file not found") || strstr (m, "no such file or directory")
      || strstr (m, "No such file or directory"))
    return 127;
  if (strstr (m, "exec: ")
      && (e->status == EACCES || strstr (m, "is a directory") || strstr (m, "Permission denied")))
    return 126;
  return 125;
}

static void
report (int *sync_fd, int status, const char *msg)
{
  if (*sync_fd < 0)
    return;
  dprintf (*sync_fd, "%d %s\n", status, msg ? msg : "");
  close (*sync_fd);
  *sync_fd = -1;
}

static bool
should_restart (json_t *rec, int status)
{
  json_t *pol = json_object_get (json_object_get (rec, "HostConfig"), "RestartPolicy");
  const char *name = json_string_value (json_object_get (pol, "Name")) ?: "no";
  long max = (long)json_integer_value (json_object_get (pol, "MaximumRetryCount"));
  long count = (long)json_integer_value (json_object_get (rec, "RestartCount"));

  if (json_is_true (json_object_get (json_object_get (rec, "Berth"), "StopRequested")))
    return false;
  if (strcmp (name, "always") == 0 || strcmp (name, "unless-stopped") == 0)
    return true;
  if (strcmp (name, "on-failure") == 0)
    return status != 0 && (max <= 0 || count < max);
  return false;
}

static bool
stop_requested (struct berth_engine *e, const char *id)
{
  json_t *rec = NULL;
  bool r;
  if (berth_store_read_record (e->store, id, &rec, NULL) < 0)
    return true;
  r = json_is_true (json_object_get (json_object_get (rec, "Berth"), "StopRequested"));
  json_decref (rec);
  return r;
}

/* Relay the container's output into its log until it exits; returns its
 * exit status.  */
static int
log_until_exit (struct log_file *l, struct log_stream *streams, size_t n, int pidfd,
                struct attach *a, int sigfd)
{
  struct pollfd p[5 + MAX_ATTACH];
  bool exited = false;
  long deadline = 0;
  int status = 255;

  for (;;)
    {
      size_t np = 0;
      int timeout = -1;
      for (size_t i = 0; i < n; i++)
        if (streams[i].fd >= 0)
          p[np++] = (struct pollfd){ .fd = streams[i].fd, .events = POLLIN };
      if (!exited)
        {
          p[np++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
          if (a->listen_fd >= 0)
            p[np++] = (struct pollfd){ .fd = a->listen_fd, .events = POLLIN };
          if (sigfd >= 0)
            p[np++] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
          for (int i = 0; i < MAX_ATTACH; i++)
            if (a->clients[i] >= 0)
              p[np++] = (struct pollfd){ .fd = a->clients[i], .events = POLLIN };
        }
      else
        {
          /* Output still buffered after the exit is logged; a writer that
           * outlives the container (none should: the pid namespace goes
           * with its init) does not keep us.  */
          long left = deadline - berth_now_ms ();
          if (np == 0 || left <= 0)
            break;
          timeout = (int)left;
        }
      if (poll (p, np, timeout) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      for (size_t k = 0; k < np; k++)
        {
          if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
          if (p[k].fd == pidfd && !exited)
            {
              berth_error_t ignored = NULL;
              if (berth_wait (pidfd, &status, &ignored) < 0)
                berth_error_release (&ignored);
              exited = true;
              deadline = berth_now_ms () + 500;
              continue;
            }
          if (p[k].fd == sigfd && !exited)
            {
              struct signalfd_siginfo si;
              while (read (sigfd, &si, sizeof (si)) == sizeof (si))
                berth_pidfd_send_signal (pidfd, (int)si.ssi_signo);
              continue;
            }
          if (p[k].fd == a->listen_fd && !exited)
            {
              int c = accept4 (a->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
              int i = 0;
              while (i < MAX_ATTACH && a->clients[i] >= 0)
                i++;
              if (c >= 0 && i < MAX_ATTACH)
                a->clients[i] = c;
              else if (c >= 0)
                close (c);
              continue;
            }
          for (int i = 0; i < MAX_ATTACH && !exited; i++)
            if (a->clients[i] == p[k].fd)
              {
                char buf[4096];
                ssize_t got = read (a->clients[i], buf, sizeof (buf));
                if (got <= 0
                    || (a->master >= 0 && berth_write_all (a->master, buf, (size_t)got) < 0))
                  {
                    close (a->clients[i]);
                    a->clients[i] = -1;
                  }
              }
          for (size_t i = 0; i < n; i++)
            if (streams[i].fd == p[k].fd && log_pump (l, &streams[i], a) == 0)
              {
                close (streams[i].fd);
                streams[i].fd = -1;
              }
        }
    }
  /* Attached clients see the container end: their connection closes.  */
  for (int i = 0; i < MAX_ATTACH; i++)
    if (a->clients[i] >= 0)
      {
        close (a->clients[i]);
        a->clients[i] = -1;
      }
  for (size_t i = 0; i < n; i++)
    if (streams[i].fd >= 0)
      {
        if (streams[i].len)
          log_write (l, streams[i].name, streams[i].buf, streams[i].len);
        close (streams[i].fd);
        streams[i].fd = -1;
      }
  return status;
}

static void
forwarded_signals (sigset_t *set)
{
  static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
  sigemptyset (set);
  for (size_t i = 0; i < sizeof (sigs) / sizeof (sigs[0]); i++)
    sigaddset (set, sigs[i]);
}

/* --rm: the record and everything it names go.  A container with host
 * network objects (Berth.Net) needs lib/net to undo them: a program without
 * it (berth-monitor) leaves the record for `berth rm`, which it runs once it
 * is done (berth_engine_monitor_handoff).  */
static void
auto_remove_container (struct berth_engine *e, const char *id)
{
  berth_error_t ignored = NULL;
  cleanup_close int lock = berth_store_lock (e->store, id, false, &ignored);
  json_t *rec = NULL;

  if (berth_store_read_record (e->store, id, &rec, &ignored) == 0
      && json_object_get (json_object_get (rec, "Berth"), "Net"))
    {
      if (e->net_ops == NULL)
        {
          json_decref (rec);
          return;
        }
      e->net_ops->release (e, id, rec);
    }
  berth_error_release (&ignored);
  json_decref (rec);
  /* Our own lock goes first: the directory goes with everything in it.  */
  if (berth_store_remove (e->store, id, &ignored) < 0)
    berth_error_release (&ignored);
}

bool
berth_engine_monitor_handoff (struct berth_engine *e, const char *id)
{
  berth_error_t ignored = NULL;
  json_t *rec = NULL;
  bool r;

  if (e->net_ops || berth_store_read_record (e->store, id, &rec, &ignored) < 0)
    {
      berth_error_release (&ignored);
      return false;
    }
  r = json_is_true (json_object_get (json_object_get (rec, "HostConfig"), "AutoRemove"))
      && json_object_get (json_object_get (rec, "Berth"), "Net") != NULL;
  json_decref (rec);
  return r;
}

int
berth_engine_monitor (struct berth_engine *e, const char *id, int sync_fd, bool foreground,
                      int *exit_status, berth_error_t *err)
{
  cleanup_free char *lock_path = berth_engine_path (e, id, "monitor.lock");
  cleanup_free char *spec_path = berth_engine_path (e, id, "config.json");
  cleanup_free char *rootfs = berth_engine_path (e, id, "rootfs");
  cleanup_free char *upper = berth_engine_path (e, id, "upper");
  cleanup_free char *work = berth_engine_path (e, id, "work");
  cleanup_free char *spec = NULL, *lowers = NULL;
  cleanup_close int mlock = -1, devnull = -1;
  struct log_file log = { .fd = -1, .max = BERTH_LOG_DEFAULT_MAX_SIZE };
  json_t *rec = NULL;
  bool tty, interactive, mounted = false, auto_remove, hand_over = false, removed_next;
  long backoff = 100;
  size_t len;
  int status = 0;

  *exit_status = BERTH_EXIT_STATUS_ERROR;
  if (!lock_path || !spec_path || !rootfs || !upper || !work)
    return berth_error (err, ENOMEM, "monitor");
  mlock = open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (mlock < 0)
    {
      berth_error (err, errno, "open `%s`", lock_path);
      goto fail_report;
    }
  if (flock (mlock, LOCK_EX | LOCK_NB) < 0)
    {
      berth_error (err, 0, "container %s is already running", id);
      goto fail_report;
    }
  if (berth_read_file (spec_path, &spec, &len, err) < 0
      || berth_engine_update_record (e, id, mark_starting, NULL, err) < 0
      || berth_store_read_record (e->store, id, &rec, err) < 0)
    goto fail_report;
  lowers = strdup (json_string_value (json_object_get (
                       json_object_get (json_object_get (rec, "GraphDriver"), "Data"), "LowerDir"))
                       ?: "");
  tty = json_is_true (json_object_get (json_object_get (rec, "Config"), "Tty"));
  interactive = json_is_true (json_object_get (json_object_get (rec, "Config"), "OpenStdin"));
  auto_remove = json_is_true (json_object_get (json_object_get (rec, "HostConfig"), "AutoRemove"));
  {
    json_t *m = json_object_get (json_object_get (rec, "Berth"), "LogMaxSize");
    if (json_is_integer (m))
      log.max = json_integer_value (m);
  }
  log.path = strdup (json_string_value (json_object_get (rec, "LogPath")) ?: "");
  json_decref (rec);
  rec = NULL;
  devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (!(foreground && tty) && log.path && log.path[0])
    {
      log.fd = open (log.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
      struct stat st;
      if (log.fd >= 0 && fstat (log.fd, &st) == 0)
        log.size = st.st_size;
    }

  for (;;)
    {
      struct berth_process_handle h = { .pidfd = -1, .pty_master = -1 };
      struct berth_create_params cp = { .id = id, .spec_json = spec };
      struct log_stream streams[2] = { { .name = "stdout", .fd = -1, .echo_fd = -1 },
                                       { .name = "stderr", .fd = -1, .echo_fd = -1 } };
      int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, in[2] = { -1, -1 }, stdio[3];
      struct ended end = { 0 };
      int r;

      /* A stale runtime state (a killed monitor's) is in the way.  */
      {
        berth_error_t ignored = NULL;
        if (berth_delete (e->ctx, id, true, &ignored) < 0)
          berth_error_release (&ignored);
      }
      if (!mounted && is_mountpoint (rootfs))
        mounted = true; /* by `run` (create.c), or a killed monitor: the same overlay */
      if (!mounted)
        {
          if (mount_overlay (lowers ? lowers : "", upper, work, rootfs, err) < 0)
            goto fail_ended;
          mounted = true;
        }
      if (foreground && tty)
        {
          stdio[0] = interactive ? STDIN_FILENO : devnull;
          stdio[1] = STDOUT_FILENO;
          stdio[2] = STDERR_FILENO;
        }
      else
        {
          /* Detached, or a foreground run without a terminal: the output
           * goes through us into the log (and, in the foreground, on to
           * our own stdout and stderr).  */
          if (!tty && (pipe2 (out, O_CLOEXEC) < 0 || pipe2 (errp, O_CLOEXEC) < 0))
            {
              berth_error (err, errno, "pipe");
              goto fail_ended;
            }
          stdio[0] = foreground && interactive ? STDIN_FILENO : devnull;
          /* Detached with -i and no terminal: a pipe we hold the other end
           * of, for what `attach` clients type.  Non-blocking: a container
           * that does not read drops the client, it does not stop us.  */
          if (!foreground && !tty && interactive)
            {
              if (pipe2 (in, O_CLOEXEC) < 0)
                {
                  berth_error (err, errno, "pipe");
                  for (int i = 0; i < 2; i++)
                    close (out[i]), close (errp[i]);
                  goto fail_ended;
                }
              fcntl (in[1], F_SETFL, O_NONBLOCK);
              stdio[0] = in[0];
            }
          stdio[1] = tty ? devnull : out[1];
          stdio[2] = tty ? devnull : errp[1];
        }
      cp.stdio = stdio;
      r = berth_create (e->ctx, &cp, &h, err);
      if (out[1] >= 0)
        close (out[1]);
      if (errp[1] >= 0)
        close (errp[1]);
      if (in[0] >= 0)
        close (in[0]);
      streams[0].fd = tty ? h.pty_master : out[0];
      streams[1].fd = errp[0];
      if (r < 0)
        {
          for (int i = 0; i < 2; i++)
            if (streams[i].fd >= 0)
              close (streams[i].fd);
          if (in[1] >= 0)
            close (in[1]);
          goto fail_ended;
        }
      if (berth_start (e->ctx, id, err) < 0)
        {
          berth_kill_and_reap (h.pid, h.pidfd);
          close (h.pidfd);
          for (int i = 0; i < 2; i++)
            if (streams[i].fd >= 0)
              close (streams[i].fd);
          if (in[1] >= 0)
            close (in[1]);
          goto fail_ended;
        }
      {
        struct started s = { h.pid, getpid () };
        berth_error_t ignored = NULL;
        if (berth_engine_update_record (e, id, mark_running, &s, &ignored) < 0)
          berth_error_release (&ignored);
        /* Its signal may have come before there was a process to get it.  */
        if (s.stop_requested)
          berth_pidfd_send_signal (h.pidfd, SIGKILL);
      }
      report (&sync_fd, 0, "");

      if (foreground && !tty)
        {
          struct attach none = { .listen_fd = -1, .master = -1 };
          struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
          sigset_t fwd, old_mask;
          int sigfd;

          for (int i = 0; i < MAX_ATTACH; i++)
            none.clients[i] = -1;
          streams[0].echo_fd = STDOUT_FILENO;
          streams[1].echo_fd = STDERR_FILENO;
          /* Blocked only now: the container's init was cloned with our
           * mask as it was.  */
          forwarded_signals (&fwd);
          sigprocmask (SIG_BLOCK, &fwd, &old_mask);
          sigaction (SIGPIPE, &ign, &old_pipe);
          sigfd = signalfd (-1, &fwd, SFD_CLOEXEC | SFD_NONBLOCK);
          status = log_until_exit (&log, streams, 2, h.pidfd, &none, sigfd);
          if (sigfd >= 0)
            {
              struct signalfd_siginfo si;
              while (read (sigfd, &si, sizeof (si)) == sizeof (si))
                ; /* for a container that is gone */
              close (sigfd);
            }
          sigaction (SIGPIPE, &old_pipe, NULL);
          sigprocmask (SIG_SETMASK, &old_mask, NULL);
        }
      else if (foreground)
        {
          sigset_t fwd;
          forwarded_signals (&fwd);
          r = berth_relay_and_wait (h.pid, tty ? h.pty_master : -1, &fwd, &status, err);
          if (h.pty_master >= 0)
            close (h.pty_master);
          if (r < 0)
            {
              berth_error_release (err);
              status = 255;
            }
        }
      else
        {
          struct attach a
              = { .listen_fd = -1, .master = tty ? h.pty_master : in[1], .framed = !tty };
          for (int i = 0; i < MAX_ATTACH; i++)
            a.clients[i] = -1;
          a.listen_fd = attach_listen (e, id);
          shed_memory ();
          status = log_until_exit (&log, streams, tty ? 1 : 2, h.pidfd, &a, -1);
          if (a.listen_fd >= 0)
            close (a.listen_fd);
          if (in[1] >= 0)
            close (in[1]);
        }
      close (h.pidfd);

      {
        struct berth_container_info *info = NULL;
        berth_error_t ignored = NULL;
        if (berth_lookup (e->ctx, id, &info, &ignored) == 0)
          end.oom = info->oom_killed;
        berth_container_info_free (info);
        berth_error_release (&ignored);
        if (berth_delete (e->ctx, id, true, &ignored) < 0)
          berth_error_release (&ignored);
      }
      end.exit_code = status;
      removed_next = false;
      if (berth_store_read_record (e->store, id, &rec, NULL) == 0)
        {
          end.restarting = should_restart (rec, status);
          removed_next = auto_remove && !end.restarting
                         && (e->net_ops || !json_object_get (json_object_get (rec, "Berth"), "Net"));
          json_decref (rec);
          rec = NULL;
        }
      if (!end.restarting)
        {
          while (umount2 (rootfs, MNT_DETACH) == 0)
            ;
          mounted = false;
        }
      /* --rm, removed by us next (done:): its last state is no crash
       * repair's business (a record still "running" whose monitor is gone
       * is repaired and removed alike), so it is not written.  */
      if (!removed_next)
        {
          berth_error_t ignored = NULL;
          if (berth_engine_update_record (e, id, mark_ended, &end, &ignored) < 0)
            berth_error_release (&ignored);
        }
      if (!end.restarting)
        break;
      /* A foreground run ends with the container's first exit, and its
       * status, as `docker run` does without -d; the restarts go on in the
       * background, under a detached monitor (see done:).  */
      if (foreground)
        {
          hand_over = true;
          break;
        }
      /* Docker's back-off: 100 ms doubling; a stop meanwhile ends it.  */
      for (long waited = 0; waited < backoff; waited += 50)
        {
          if (stop_requested (e, id))
            goto stopped;
          berth_sleep_ms (50);
        }
      if (stop_requested (e, id))
        goto stopped;
      if (backoff < 60000)
        backoff *= 2;
    }
  *exit_status = status;
  goto done;

stopped:
  {
    struct ended end = { .exit_code = status };
    berth_error_t ignored = NULL;
    while (umount2 (rootfs, MNT_DETACH) == 0)
      ;
    if (berth_engine_update_record (e, id, mark_ended, &end, &ignored) < 0)
      berth_error_release (&ignored);
  }
  *exit_status = status;
  goto done;

fail_ended:
  {
    struct ended end
        = { .exit_code = start_failure_status (*err), .error = *err ? (*err)->msg : "" };
    berth_error_t ignored = NULL;
    if (mounted)
      while (umount2 (rootfs, MNT_DETACH) == 0)
        ;
    if (berth_engine_update_record (e, id, mark_ended, &end, &ignored) < 0)
      berth_error_release (&ignored);
    *exit_status = end.exit_code;
  }
  report (&sync_fd, *exit_status, *err ? (*err)->msg : "");
  if (auto_remove)
    auto_remove_container (e, id);
  if (log.fd >= 0)
    close (log.fd);
  free (log.path);
  return -1;

fail_report:
  *exit_status = BERTH_EXIT_STATUS_ERROR;
  report (&sync_fd, *exit_status, *err ? (*err)->msg : "");
  if (log.fd >= 0)
    close (log.fd);
  free (log.path);
  return -1;

done:
  if (log.fd >= 0)
    close (log.fd);
  free (log.path);
  if (auto_remove)
  if (auto_remove)
    auto_remove_container (e, id);
  if (hand_over)
    {
      berth_error_t ignored = NULL;
      int started;
      /* The new monitor takes the monitor lock: ours goes first.  A start
       * that fails is in the record, as a detached restart's would be.  */
      close (steal_fd (&mlock));
      if (berth_engine_start_detached (e, id, &started, &ignored) < 0)
        berth_error_release (&ignored);
    }
  return 0;
}

int
berth_engine_start_detached (struct berth_engine *e, const char *id, int *exit_status,
                             berth_error_t *err)
{
  int p[2];
  pid_t pid;
  char buf[4096];
  size_t got = 0;
  ssize_t n;

  *exit_status = BERTH_EXIT_STATUS_ERROR;
  if (pipe2 (p, O_CLOEXEC) < 0)
    return berth_error (err, errno, "pipe");
  pid = fork ();
  if (pid < 0)
    {
      close (p[0]);
      close (p[1]);
      return berth_error (err, errno, "fork");
    }
  if (pid == 0)
    {
      /* The monitor: its own session, no terminal, fd 3 to report on; a
       * second fork leaves it to the host's init (or subreaper).  */
      int fd = open ("/dev/null", O_RDWR);
      if (fork () != 0)
        _exit (0);
      setsid ();
      if (fd >= 0)
        {
          dup2 (fd, 0);
          dup2 (fd, 1);
          dup2 (fd, 2);
        }
      if (dup2 (p[1], 3) < 0)
        _exit (125);
      {
        /* berth-monitor beside us (see src/berth/monitor_main.c), else our
         * own `monitor` role.  */
        char self[4096], *slash;
        const char *dir = getenv (BERTH_EXE_DIR_ENV); /* see main.c */
        ssize_t n = dir ? (ssize_t)snprintf (self, sizeof (self) - 32, "%s/x", dir)
                        : readlink ("/proc/self/exe", self, sizeof (self) - 32);
        if (n > 0 && n < (ssize_t)sizeof (self) - 32)
          {
            self[n] = '\0';
            slash = strrchr (self, '/');
            if (slash)
              {
                strcpy (slash + 1, "berth-monitor");
                execl (self, "berth-monitor", "--root", e->root, "--runroot", e->runroot, "monitor",
                       id, (char *)NULL);
              }
          }
      }
      execl ("/proc/self/exe", "berth", "--root", e->root, "--runroot", e->runroot, "monitor", id,
             (char *)NULL);
      dprintf (3, "125 exec the monitor: %s\n", strerror (errno));
      _exit (125);
    }
  close (p[1]);
  waitpid (pid, NULL, 0);
  while (got < sizeof (buf) - 1 && (n = read (p[0], buf + got, sizeof (buf) - 1 - got)) != 0)
    {
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      got += (size_t)n;
    }
  close (p[0]);
  buf[got] = '\0';
  if (got == 0)
    return berth_error (err, 0, "the monitor of %s died before it started the container", id);
  {
    char *msg = NULL;
    long st = strtol (buf, &msg, 10);
    if (st == 0)
      {
        *exit_status = 0;
        return 0;
      }
    if (msg && *msg == ' ')
      msg++;
    msg[strcspn (msg, "\n")] = '\0';
    *exit_status = (int)st;
    return berth_error (err, 0, "%s", msg);
  }
}
