/* libberth from a long-lived, multi-threaded caller, through the INSTALLED
 * headers and library only (built by tests/lib/run.sh with pkg-config).
 *
 * A second thread loops malloc/free the whole time (a raw clone while it
 * holds malloc's lock would hang the container init).  One process then
 * runs 100 containers, execs into some of them, and after each checks
 * that its working directory, signal mask, namespaces (including
 * pid_for_children and time_for_children) and open fds are unchanged.
 * Output: TAP.
 *
 * usage: test_libberth STATE_ROOT CONFIG_TEMPLATE
 *   CONFIG_TEMPLATE: a config.json with an absolute root.path, whose
 *   process.args is ["sh","-c","@CMD@"].  */
#define _GNU_SOURCE
#include <berth/berth.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N_CONTAINERS 100

static int test_no;
static int failures;
static atomic_bool stop_thread;
static atomic_long malloc_loops;

static void
tap (bool ok, const char *fmt, ...)
{
  va_list ap;
  printf ("%s %d - ", ok ? "ok" : "not ok", ++test_no);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  printf ("\n");
  fflush (stdout);
  if (!ok)
    failures++;
}

static void *
malloc_loop (void *arg)
{
  (void)arg;
  while (!atomic_load (&stop_thread))
    {
      void *p[16];
      for (int i = 0; i < 16; i++)
        p[i] = malloc (16 + i * 64);
      for (int i = 0; i < 16; i++)
        free (p[i]);
      atomic_fetch_add (&malloc_loops, 1);
    }
  return NULL;
}

/* What the library must leave as it found it.  */
struct snapshot
{
  char cwd[4096];
  sigset_t mask;
  char ns[16][128];
  char fds[4096];
};

static const char *const ns_names[]
    = { "cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children",
        "user",   "uts" };
#define N_NS (sizeof (ns_names) / sizeof (ns_names[0]))

static void
take_snapshot (struct snapshot *s)
{
  DIR *d;
  struct dirent *de;
  size_t used = 0;

  memset (s, 0, sizeof (*s));
  if (getcwd (s->cwd, sizeof (s->cwd)) == NULL)
    strcpy (s->cwd, "?");
  pthread_sigmask (SIG_BLOCK, NULL, &s->mask);
  for (size_t i = 0; i < N_NS; i++)
    {
      char path[64];
      ssize_t n;
      snprintf (path, sizeof (path), "/proc/self/ns/%s", ns_names[i]);
      n = readlink (path, s->ns[i], sizeof (s->ns[i]) - 1);
      if (n < 0)
        strcpy (s->ns[i], "-");
    }
  d = opendir ("/proc/self/fd");
  while (d && (de = readdir (d)))
    {
      if (de->d_name[0] == '.' || atoi (de->d_name) == dirfd (d))
        continue;
      used += snprintf (s->fds + used, sizeof (s->fds) - used, "%s ", de->d_name);
      if (used >= sizeof (s->fds))
        break;
    }
  if (d)
    closedir (d);
}

/* Empty when equal, else what changed.  */
static const char *
snapshot_diff (const struct snapshot *a, const struct snapshot *b)
{
  static char what[9000];

  if (strcmp (a->cwd, b->cwd) != 0)
    return "cwd";
  if (memcmp (&a->mask, &b->mask, sizeof (a->mask)) != 0)
    return "signal mask";
  for (size_t i = 0; i < N_NS; i++)
    if (strcmp (a->ns[i], b->ns[i]) != 0)
      {
        snprintf (what, sizeof (what), "namespace %s: %s -> %s", ns_names[i], a->ns[i], b->ns[i]);
        return what;
      }
  if (strcmp (a->fds, b->fds) != 0)
    {
      snprintf (what, sizeof (what), "fds [%s] -> [%s]", a->fds, b->fds);
      return what;
    }
  return "";
}

static char *
read_file (const char *path)
{
  FILE *f = fopen (path, "re");
  char *buf = NULL;
  size_t len = 0;

  if (f == NULL)
    return NULL;
  if (getdelim (&buf, &len, '\0', f) < 0)
    {
      free (buf);
      buf = NULL;
    }
  fclose (f);
  return buf;
}

/* The template with @CMD@ replaced.  */
static char *
config_for (const char *tmpl, const char *cmd)
{
  const char *at = strstr (tmpl, "@CMD@");
  char *out = NULL;

  if (at == NULL)
    return NULL;
  if (asprintf (&out, "%.*s%s%s", (int)(at - tmpl), tmpl, cmd, at + 5) < 0)
    return NULL;
  return out;
}

static void
log_cb (enum berth_log_level level, const char *msg, void *data)
{
  (void)data;
  fprintf (stderr, "# libberth log %d: %s\n", (int)level, msg);
}

static bool
read_exactly (int fd, const char *want)
{
  char buf[256];
  size_t len = strlen (want), got = 0;
  while (got < len)
    {
      ssize_t n = read (fd, buf + got, sizeof (buf) - 1 - got);
      if (n <= 0)
        break;
      got += (size_t)n;
    }
  buf[got] = '\0';
  return strcmp (buf, want) == 0;
}

/* Read until the text shows up (a pty echoes CRLF, in pieces).  */
static bool
read_until (int fd, const char *want)
{
  char buf[1024];
  size_t got = 0;
  while (got < sizeof (buf) - 1)
    {
      ssize_t n = read (fd, buf + got, sizeof (buf) - 1 - got);
      if (n <= 0)
        return false;
      got += (size_t)n;
      buf[got] = '\0';
      if (strstr (buf, want))
        return true;
    }
  return false;
}

/* One container: create (stdio to our pipe), lookup, start, maybe exec
 * into it, wait, delete.  Returns an error text or NULL.  */
static const char *
one_container (berth_context *ctx, const char *tmpl, int i, int devnull)
{
  static char why[512];
  char id[64], cmd[128];
  bool with_exec = i % 5 == 0;
  struct berth_container_info *info = NULL;
  struct berth_process_handle h = { .pidfd = -1, .pty_master = -1 }, eh = { .pidfd = -1 };
  berth_error_t err = NULL;
  char *json;
  int out[2], stdio[3], status = -1;
  const char *fail = NULL;

  snprintf (id, sizeof (id), "libtest-%d-%d", (int)getpid (), i);
  if (with_exec)
    snprintf (cmd, sizeof (cmd), "echo up; exec sleep 30");
  else
    snprintf (cmd, sizeof (cmd), "echo hello %d; exit %d", i, i % 7);
  json = config_for (tmpl, cmd);
  if (json == NULL || pipe2 (out, O_CLOEXEC) < 0)
    return "config or pipe";
  stdio[0] = devnull;
  stdio[1] = out[1];
  stdio[2] = out[1];
  {
    struct berth_create_params p = { .id = id, .spec_json = json, .stdio = stdio };
    if (berth_create (ctx, &p, &h, &err) < 0)
      {
        snprintf (why, sizeof (why), "create: %s", berth_error_message (err));
        fail = why;
        goto out;
      }
  }
  close (out[1]);
  out[1] = -1;
  if (berth_lookup (ctx, id, &info, &err) < 0 || info->status != BERTH_CONTAINER_CREATED
      || info->pid != h.pid || strcmp (info->id, id) != 0)
    {
      fail = "lookup after create: not created, or another pid";
      goto out;
    }
  if (berth_start (ctx, id, &err) < 0)
    {
      snprintf (why, sizeof (why), "start: %s", berth_error_message (err));
      fail = why;
      goto out;
    }
  if (with_exec)
    {
      char *const args[] = { "sh", "-c", "echo exec; exit 7", NULL };
      struct berth_exec_params ep = { .id = id, .args = args, .stdio = stdio };
      int estatus = -1;
      if (!read_exactly (out[0], "up\n"))
        {
          fail = "container output";
          goto out;
        }
      /* Through a second pipe: exec's stdout is ours to choose.  */
      int eout[2];
      if (pipe2 (eout, O_CLOEXEC) < 0)
        {
          fail = "pipe";
          goto out;
        }
      stdio[1] = stdio[2] = eout[1];
      if (berth_exec (ctx, &ep, &eh, &err) < 0)
        {
          snprintf (why, sizeof (why), "exec: %s", berth_error_message (err));
          close (eout[0]);
          close (eout[1]);
          fail = why;
          goto out;
        }
      close (eout[1]);
      if (berth_wait (eh.pidfd, &estatus, &err) < 0 || estatus != 7
          || !read_exactly (eout[0], "exec\n"))
        {
          snprintf (why, sizeof (why), "exec: status %d, want 7", estatus);
          fail = why;
        }
      close (eout[0]);
      close (eh.pidfd);
      if (fail)
        goto out;
      if (berth_kill (ctx, id, SIGKILL, false, &err) < 0)
        {
          fail = "kill";
          goto out;
        }
      if (berth_wait (h.pidfd, &status, &err) < 0 || status != 128 + SIGKILL)
        {
          snprintf (why, sizeof (why), "wait after kill: status %d", status);
          fail = why;
          goto out;
        }
    }
  else
    {
      char want[64];
      snprintf (want, sizeof (want), "hello %d\n", i);
      if (!read_exactly (out[0], want))
        {
          fail = "container output";
          goto out;
        }
      if (berth_wait (h.pidfd, &status, &err) < 0 || status != i % 7)
        {
          snprintf (why, sizeof (why), "wait: status %d, want %d", status, i % 7);
          fail = why;
          goto out;
        }
    }
  if (berth_delete (ctx, id, false, &err) < 0)
    {
      snprintf (why, sizeof (why), "delete: %s", berth_error_message (err));
      fail = why;
      goto out;
    }
  berth_container_info_free (info);
  info = NULL;
  if (berth_lookup (ctx, id, &info, &err) == 0 || berth_error_code (err) != BERTH_ENOENT)
    fail = "lookup after delete: want BERTH_ENOENT";
out:
  if (fail)
    {
      berth_error_t ignored = NULL;
      berth_delete (ctx, id, true, &ignored);
      berth_error_release (&ignored);
    }
  berth_error_release (&err);
  berth_container_info_free (info);
  if (h.pidfd >= 0)
    close (h.pidfd);
  if (out[1] >= 0)
    close (out[1]);
  close (out[0]);
  free (json);
  return fail;
}

struct last_event
{
  char text[4096];
};

static int
keep_last_event (const char *event_json, void *data)
{
  struct last_event *l = data;
  snprintf (l->text, sizeof (l->text), "%s", event_json);
  return 0;
}

int
main (int argc, char **argv)
{
  struct berth_context_options co = { 0 };
  berth_context *ctx = NULL;
  berth_error_t err = NULL;
  pthread_t thread;
  struct timespec t0, t1;
  char *tmpl;
  int devnull;

  if (argc != 3 && !(argc == 4 && strcmp (argv[3], "single-threaded") == 0))
    {
      fprintf (stderr, "usage: %s STATE_ROOT CONFIG_TEMPLATE [single-threaded]\n", argv[0]);
      return 2;
    }
  tmpl = read_file (argv[2]);
  devnull = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  co.root = argv[1];
  co.log = log_cb;
  printf ("1..%d\n", N_CONTAINERS + 9);
  tap (tmpl != NULL && devnull >= 0, "config template read");
  tap (berth_context_new (&co, &ctx, &err) == 0, "context");
  if (ctx == NULL)
    return 1;
  /* single-threaded: for timing the direct clone against the helper.  */
  if (argc == 3)
    pthread_create (&thread, NULL, malloc_loop, NULL);

  /* The checks below can fail: a chdir, a blocked signal and a leaked fd
   * each show up as a difference.  */
  {
    struct snapshot a, b, c, d;
    sigset_t set, old;
    char cwd[4096];
    int fd;
    bool ok;

    take_snapshot (&a);
    ok = getcwd (cwd, sizeof (cwd)) != NULL && chdir ("/proc") == 0;
    take_snapshot (&b);
    ok = ok && chdir (cwd) == 0;
    sigemptyset (&set);
    sigaddset (&set, SIGRTMIN + 1);
    pthread_sigmask (SIG_BLOCK, &set, &old);
    take_snapshot (&c);
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    fd = dup (devnull);
    take_snapshot (&d);
    close (fd);
    tap (ok && strcmp (snapshot_diff (&a, &b), "cwd") == 0
             && strcmp (snapshot_diff (&a, &c), "signal mask") == 0
             && strncmp (snapshot_diff (&a, &d), "fds", 3) == 0,
         "the snapshot sees a chdir, a blocked signal and a leaked fd");
  }

  /* The error codes an engine maps to its own exit codes.  */
  {
    struct berth_container_info *info = NULL;
    bool ok = berth_lookup (ctx, "no-such-container", &info, &err) < 0
              && berth_error_code (err) == BERTH_ENOENT;
    berth_error_release (&err);
    ok = ok && berth_start (ctx, "no-such-container", &err) < 0
         && berth_error_code (err) == BERTH_ENOENT;
    berth_error_release (&err);
    tap (ok, "unknown container: BERTH_ENOENT");
  }

  clock_gettime (CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < N_CONTAINERS; i++)
    {
      struct snapshot before, after;
      const char *fail, *diff;

      take_snapshot (&before);
      fail = one_container (ctx, tmpl, i, devnull);
      take_snapshot (&after);
      diff = snapshot_diff (&before, &after);
      tap (fail == NULL && diff[0] == '\0', "container %d%s: %s%s", i,
           i % 5 == 0 ? " (with exec)" : "", fail ? fail : "ran", diff[0] ? diff : "");
    }

  clock_gettime (CLOCK_MONOTONIC, &t1);
  printf ("# %d containers (create, start, wait, delete; exec into 1 in 5): %.2f ms each, %s\n",
          N_CONTAINERS,
          ((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6) / N_CONTAINERS,
          argc == 3 ? "with a second thread" : "single-threaded");

  /* A created container cannot be started twice: the wrong state.  */
  {
    char *json = config_for (tmpl, "exit 0");
    struct berth_create_params p = { .id = "libtest-state", .spec_json = json };
    struct berth_process_handle h = { .pidfd = -1 };
    int status;
    bool ok = berth_create (ctx, &p, &h, &err) == 0 && berth_start (ctx, p.id, &err) == 0
              && berth_wait (h.pidfd, &status, &err) == 0 && berth_start (ctx, p.id, &err) < 0
              && berth_error_code (err) == BERTH_ESTATE;
    berth_error_release (&err);
    ok = ok && berth_delete (ctx, p.id, false, &err) == 0;
    berth_error_release (&err);
    if (h.pidfd >= 0)
      close (h.pidfd);
    free (json);
    tap (ok, "start of a stopped container: BERTH_ESTATE");
  }

  /* process.terminal: the pty master comes back from create, and from an
   * exec with tty; no console socket.  */
  {
    char *json = config_for (tmpl, "echo in-pty; exec sleep 30");
    char *t = json ? strstr (json, "\"terminal\": false") : NULL;
    struct berth_create_params p = { .id = "libtest-pty", .spec_json = json };
    struct berth_process_handle h = { .pidfd = -1, .pty_master = -1 };
    struct berth_process_handle eh = { .pidfd = -1, .pty_master = -1 };
    char *const args[] = { "sh", "-c", "echo exec-pty; exit 3", NULL };
    struct berth_exec_params ep = { .id = "libtest-pty", .args = args, .tty = true };
    int status = -1;
    bool ok;

    if (t)
      memcpy (t, "\"terminal\":  true", strlen ("\"terminal\": false"));
    ok = t && berth_create (ctx, &p, &h, &err) == 0 && h.pty_master >= 0
         && berth_start (ctx, p.id, &err) == 0 && read_until (h.pty_master, "in-pty")
         && berth_exec (ctx, &ep, &eh, &err) == 0 && eh.pty_master >= 0
         && read_until (eh.pty_master, "exec-pty") && berth_wait (eh.pidfd, &status, &err) == 0
         && status == 3;
    if (!ok)
      fprintf (stderr, "# pty: %s\n", berth_error_message (err));
    berth_error_release (&err);
    berth_delete (ctx, p.id, true, &err);
    berth_error_release (&err);
    for (int *fd = (int[]){ h.pidfd, h.pty_master, eh.pidfd, eh.pty_master, -2 }; *fd != -2; fd++)
      if (*fd >= 0)
        close (*fd);
    free (json);
    tap (ok, "process.terminal and exec tty: the pty master comes back (exec status %d)", status);
  }

  /* berth_relay copies the master's output to the caller's fd until the
   * container's side closes, and hands SIGTERM on to the container.  */
  {
    char *json = config_for (tmpl, "echo relayed; trap 'echo got-term; exit 7' TERM; "
                                   "echo ready; while :; do sleep 0.05; done");
    char *t = json ? strstr (json, "\"terminal\": false") : NULL;
    struct berth_create_params p = { .id = "libtest-relay", .spec_json = json };
    struct berth_process_handle h = { .pidfd = -1, .pty_master = -1 };
    int out[2] = { -1, -1 }, status = -1;
    char buf[4096] = "";
    ssize_t n = 0;
    bool ok;

    if (t)
      memcpy (t, "\"terminal\":  true", strlen ("\"terminal\": false"));
    ok = t && pipe2 (out, O_CLOEXEC) == 0 && berth_create (ctx, &p, &h, &err) == 0
         && berth_start (ctx, p.id, &err) == 0 && read_until (h.pty_master, "ready");
    if (ok)
      {
        /* The TERM arrives while the relay runs: it must reach the
         * container, whose trap then ends the relay.  */
        /* To this thread: the other one does not block TERM, and a signal
         * for the process could go there (a threaded caller of
         * berth_relay blocks the relayed signals in every thread).  */
        pid_t self = getpid (), tid = gettid ();
        pid_t killer = fork ();
        if (killer == 0)
          {
            usleep (200000);
            syscall (SYS_tgkill, self, tid, SIGTERM);
            _exit (0);
          }
        struct berth_relay_params rp = { .master = h.pty_master, .in_fd = -1, .out_fd = out[1],
                                         .tty_fd = -1, .pidfd = h.pidfd };
        sigset_t term, old;
        sigemptyset (&term);
        sigaddset (&term, SIGTERM);
        pthread_sigmask (SIG_BLOCK, &term, &old);
        ok = berth_relay (&rp, &err) == 0 && berth_wait (h.pidfd, &status, &err) == 0
             && status == 7;
        pthread_sigmask (SIG_SETMASK, &old, NULL);
        waitpid (killer, NULL, 0);
        close (out[1]);
        out[1] = -1;
        n = read (out[0], buf, sizeof (buf) - 1);
        buf[n > 0 ? n : 0] = '\0';
        ok = ok && strstr (buf, "got-term") != NULL;
      }
    if (!ok)
      fprintf (stderr, "# relay: %s (output `%s`)\n", berth_error_message (err), buf);
    berth_error_release (&err);
    berth_delete (ctx, p.id, true, &err);
    berth_error_release (&err);
    for (int *fd = (int[]){ h.pidfd, h.pty_master, out[0], out[1], -2 }; *fd != -2; fd++)
      if (*fd >= 0)
        close (*fd);
    free (json);
    tap (ok, "berth_relay: output relayed, SIGTERM handed on (status %d)", status);
  }

  /* The event stream ends with the exit and its status (we are the
   * parent: seen without reaping, berth_wait still gets it).  */
  {
    char *json = config_for (tmpl, "sleep 0.3; exit 5");
    struct berth_create_params p = { .id = "libtest-events", .spec_json = json };
    struct berth_process_handle h = { .pidfd = -1 };
    struct last_event last = { 0 };
    int status = -1;
    bool ok = berth_create (ctx, &p, &h, &err) == 0 && berth_start (ctx, p.id, &err) == 0
              && berth_events (ctx, p.id, 100, keep_last_event, &last, &err) == 0;
    if (!ok)
      fprintf (stderr, "# events: %s\n", berth_error_message (err));
    berth_error_release (&err);
    ok = ok && strstr (last.text, "\"type\":\"exit\"") && strstr (last.text, "\"status\":5")
         && berth_wait (h.pidfd, &status, &err) == 0 && status == 5;
    berth_error_release (&err);
    berth_delete (ctx, p.id, true, &err);
    berth_error_release (&err);
    if (h.pidfd >= 0)
      close (h.pidfd);
    free (json);
    tap (ok, "events end with {\"type\":\"exit\",...,\"status\":5}: %s (wait: %d)", last.text,
         status);
  }

  atomic_store (&stop_thread, true);
  if (argc == 3)
    pthread_join (thread, NULL);
  tap (argc == 4 || atomic_load (&malloc_loops) > 0, "the malloc thread ran alongside (%ld loops)",
       (long)atomic_load (&malloc_loops));
  berth_context_free (ctx);
  free (tmpl);
  return failures ? 1 : 0;
}
