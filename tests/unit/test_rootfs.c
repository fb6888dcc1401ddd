/* Real mount-namespace tests of berth_rootfs_prepare, _pivot and _finalize
 * (needs root; skipped otherwise).
 *
 * Each test builds a busybox rootfs in a temp dir and a struct berth_spec by
 * hand, then runs three processes:
 *   outer     a mount namespace standing for the host, where the temp dir is
 *             a *shared* mount, so a container mount that propagates back
 *             shows up there (a private host "/" would hide such a leak);
 *   container unshare(NEWNS|NEWPID|NEWNET|NEWIPC|NEWUTS), forks
 *   pid 1     which calls prepare/pivot/finalize and checks from inside.
 * Failures travel to the test through a pipe, one line each.  The outer
 * namespace compares its mounts below the temp dir before and after; the
 * test compares the real host's mount table and removes the temp dir,
 * never crossing into another filesystem.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "linux/rootfs/rootfs.h"
#include "linux/rootfs/rootfs_internal.h"
#include "oci/spec.h"
#include "util.h"

#define S(x) ((char *)(x))
#define OPTS(...) opts (f, (char *[]){ __VA_ARGS__, NULL })
#define LEAKED 2                /* outer exit status bit: a mount propagated out */
#define MQUEUE_MAGIC 0x19800202 /* not in <linux/magic.h> */

struct fixture
{
  char *tmpdir; /* realpath of the temp dir */
  char *rootfs; /* tmpdir/rootfs */
  char *host;   /* tmpdir/host: a "host" directory outside the rootfs */
  char *host_mounts_before;
  struct berth_spec spec;
  struct berth_rootfs_ctx ctx;
  char *strings[64]; /* heap strings and vectors the spec points to */
  size_t n_strings;
};

struct scenario
{
  void (*outer_setup) (struct fixture *f);  /* in the outer namespace */
  void (*before_pivot) (struct fixture *f); /* after prepare, host still visible */
  void (*inside) (struct fixture *f);       /* after finalize */
  const char *expect_error;                 /* prepare must fail saying this */
  bool leak_on_purpose;                     /* control: mount without prepare */
  int extra_namespaces;                     /* more CLONE_NEW* for the container */
};

/* Child-side reporting.  */

static int report_fd = -1;
static int failures;

static void __attribute__ ((format (printf, 1, 2))) report (const char *fmt, ...)
{
  char buf[1024];
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (buf, sizeof (buf) - 1, fmt, ap);
  va_end (ap);
  if (n < 0)
    return;
  if ((size_t)n > sizeof (buf) - 2)
    n = sizeof (buf) - 2;
  buf[n++] = '\n';
  berth_write_all (report_fd, buf, n);
}

static bool __attribute__ ((format (printf, 4, 5)))
check_that (bool ok, int line, const char *expr, const char *fmt, ...)
{
  char detail[512] = "";
  int saved = errno;
  va_list ap;

  if (ok)
    return true;
  failures++;
  va_start (ap, fmt);
  vsnprintf (detail, sizeof (detail), fmt, ap);
  va_end (ap);
  report ("line %d: %s %s (errno: %s)", line, expr, detail, strerror (saved));
  return false;
}

#define CHECK(cond, ...) check_that ((cond), __LINE__, #cond, " " __VA_ARGS__)

/* Fixture.  */

static char *
keep (struct fixture *f, char *s)
{
  assert_non_null (s);
  assert_true (f->n_strings < sizeof (f->strings) / sizeof (f->strings[0]));
  f->strings[f->n_strings++] = s;
  return s;
}

static char *
fmt_path (struct fixture *f, const char *fmt, ...)
{
  char *s = NULL;
  va_list ap;

  va_start (ap, fmt);
  assert_true (vasprintf (&s, fmt, ap) >= 0);
  va_end (ap);
  return keep (f, s);
}

/* A heap copy of a NULL-terminated vector, owned by the fixture: the spec
   must outlive the compound literal it was written as.  */
static char **
opts (struct fixture *f, char *const *v)
{
  size_t n = berth_strv_len (v) + 1;
  char **copy = malloc (n * sizeof (*copy));

  assert_non_null (copy);
  memcpy (copy, v, n * sizeof (*copy));
  keep (f, (char *)copy);
  return copy;
}

static void
write_text (const char *path, const char *text)
{
  berth_error_t err = NULL;
  assert_int_equal (berth_write_file (path, text, strlen (text), 0644, &err), 0);
}

static void
make_dir (struct fixture *f, const char *rel)
{
  cleanup_free char *p = NULL;
  berth_error_t err = NULL;
  assert_true (asprintf (&p, "%s/%s", f->rootfs, rel) >= 0);
  assert_int_equal (berth_mkdir_p (p, 0755, &err), 0);
}

static void
make_file (struct fixture *f, const char *rel, const char *text)
{
  cleanup_free char *p = NULL;
  assert_true (asprintf (&p, "%s/%s", f->rootfs, rel) >= 0);
  write_text (p, text);
}

static void
make_link (struct fixture *f, const char *target, const char *rel)
{
  cleanup_free char *p = NULL;
  assert_true (asprintf (&p, "%s/%s", f->rootfs, rel) >= 0);
  assert_int_equal (symlink (target, p), 0);
}

static void
copy_busybox (struct fixture *f)
{
  cleanup_free char *data = NULL;
  cleanup_free char *dest = NULL;
  berth_error_t err = NULL;
  size_t len;
  static const char *const applets[] = { "sh", "ls", "cat", "mount", "test", "echo" };

  assert_int_equal (berth_read_file ("/bin/busybox", &data, &len, &err), 0);
  assert_true (asprintf (&dest, "%s/bin/busybox", f->rootfs) >= 0);
  assert_int_equal (berth_write_file (dest, data, len, 0755, &err), 0);
  assert_int_equal (chmod (dest, 0755), 0);
  for (size_t i = 0; i < sizeof (applets) / sizeof (applets[0]); i++)
    {
      cleanup_free char *link = NULL;
      assert_true (asprintf (&link, "bin/%s", applets[i]) >= 0);
      make_link (f, "busybox", link);
    }
}

/* Mount points of /proc/self/mountinfo, one a line, that KEEP accepts.  */
static char *
mount_points (bool (*keep_point) (const char *mp, const char *arg), const char *arg)
{
  cleanup_free char *text = NULL;
  char *out = strdup (""), *save = NULL;
  berth_error_t err = NULL;

  if (out == NULL || berth_read_file ("/proc/self/mountinfo", &text, NULL, &err) < 0)
    {
      berth_error_release (&err);
      return out;
    }
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *mp = line, *joined = NULL;
      for (int i = 0; i < 4 && mp; i++)
        if ((mp = strchr (mp, ' ')))
          mp++;
      if (mp == NULL)
        continue;
      mp[strcspn (mp, " ")] = '\0';
      if (!keep_point (mp, arg))
        continue;
      if (asprintf (&joined, "%s%s\n", out, mp) < 0)
        break;
      free (out);
      out = joined;
    }
  return out;
}

static bool
is_under (const char *mp, const char *dir)
{
  size_t n = strlen (dir);
  return strncmp (mp, dir, n) == 0 && (mp[n] == '\0' || mp[n] == '/');
}

static bool
any_point (const char *mp, const char *arg)
{
  return true;
}

static int
setup (void **state)
{
  struct fixture *f;
  char tmpl[] = "/tmp/berth-rootfs-XXXXXX";

  if (geteuid () != 0)
    {
      *state = NULL;
      return 0;
    }
  f = calloc (1, sizeof (*f));
  assert_non_null (f);
  assert_non_null (mkdtemp (tmpl));
  f->tmpdir = realpath (tmpl, NULL);
  assert_non_null (f->tmpdir);
  f->rootfs = fmt_path (f, "%s/rootfs", f->tmpdir);
  f->host = fmt_path (f, "%s/host", f->tmpdir);
  assert_int_equal (mkdir (f->rootfs, 0755), 0);
  assert_int_equal (mkdir (f->host, 0755), 0);
  static const char *const dirs[] = { "bin", "proc", "sys", "dev", "etc", "tmp", "mnt" };
  for (size_t i = 0; i < sizeof (dirs) / sizeof (dirs[0]); i++)
    make_dir (f, dirs[i]);
  copy_busybox (f);
  make_file (f, "etc/hostname", "inside-rootfs\n");

  f->spec.oci_version = S ("1.2.0");
  f->spec.root_path = f->rootfs;
  f->spec.has_linux = true;
  f->ctx.spec = &f->spec;
  f->ctx.rootfs = f->rootfs;
  f->ctx.in_new_netns = true;
  f->host_mounts_before = mount_points (any_point, NULL);
  *state = f;
  return 0;
}

/* rm -rf that never leaves the temp dir's filesystem: a leaked mount below
   it is reported and its contents left alone.  */
static int
remove_same_dev (int parent, const char *name, dev_t dev)
{
  cleanup_close int fd = openat (parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  struct stat st;

  if (fd < 0)
    return unlinkat (parent, name, 0) == 0 || errno == ENOENT ? 0 : -errno;
  if (fstat (fd, &st) < 0 || st.st_dev != dev)
    return -EXDEV;
  d = fdopendir (fd);
  if (d == NULL)
    return -errno;
  fd = -1;
  while ((de = readdir (d)))
    {
      int r;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      r = remove_same_dev (dirfd (d), de->d_name, dev);
      if (r < 0)
        return r;
    }
  return unlinkat (parent, name, AT_REMOVEDIR) == 0 ? 0 : -errno;
}

static int
teardown (void **state)
{
  struct fixture *f = *state;
  cleanup_free char *left = NULL;
  struct stat st;

  if (f == NULL)
    return 0;
  left = mount_points (is_under, f->tmpdir);
  assert_int_equal (stat (f->tmpdir, &st), 0);
  assert_int_equal (remove_same_dev (AT_FDCWD, f->tmpdir, st.st_dev), 0);
  assert_int_equal (stat (f->tmpdir, &st), -1);
  assert_int_equal (errno, ENOENT);
  for (size_t i = 0; i < f->n_strings; i++)
    free (f->strings[i]);
  free (f->host_mounts_before);
  free (f->tmpdir);
  free (f);
  assert_string_equal (left, "");
  return 0;
}

/* The processes.  */

/* cmocka catches crashes to report them and run the next test: a crashed
   child must die instead of running the rest of the suite on its own.  */
static pid_t
fork_child (void)
{
  static const int signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS };
  pid_t pid = fork ();

  if (pid == 0)
    for (size_t i = 0; i < sizeof (signals) / sizeof (signals[0]); i++)
      signal (signals[i], SIG_DFL);
  return pid;
}

static void
run_pid1 (struct fixture *f, const struct scenario *sc)
{
  berth_error_t err = NULL;
  int r;

  alarm (30);
  if (sc->leak_on_purpose)
    {
      cleanup_free char *p = NULL;
      if (asprintf (&p, "%s/tmp", f->rootfs) < 0 || mount ("tmpfs", p, "tmpfs", 0, NULL) < 0)
        report ("control mount failed: %s", strerror (errno));
      _exit (0);
    }
  r = berth_rootfs_prepare (&f->ctx, &err);
  if (sc->expect_error)
    {
      if (CHECK (r < 0, "prepare should fail with `%s`", sc->expect_error))
        CHECK (strstr (err->msg, sc->expect_error) != NULL, "got `%s`", err->msg);
      _exit (failures ? 1 : 0);
    }
  if (r < 0)
    {
      report ("prepare: %s", err->msg);
      _exit (1);
    }
  if (sc->before_pivot)
    sc->before_pivot (f);
  if (berth_rootfs_pivot (&f->ctx, &err) < 0)
    {
      report ("pivot: %s", err->msg);
      _exit (1);
    }
  if (berth_rootfs_finalize (&f->ctx, &err) < 0)
    {
      report ("finalize: %s", err->msg);
      _exit (1);
    }
  if (sc->inside)
    sc->inside (f);
  _exit (failures ? 1 : 0);
}

static int
wait_exit_status (pid_t pid, const char *who)
{
  int status;

  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      {
        report ("waitpid %s: %s", who, strerror (errno));
        return 1;
      }
  if (WIFSIGNALED (status))
    {
      report ("%s killed by signal %d", who, WTERMSIG (status));
      return 1;
    }
  return WEXITSTATUS (status);
}

static void
run_container (struct fixture *f, const struct scenario *sc)
{
  pid_t pid;

  if (unshare (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
               | sc->extra_namespaces)
      < 0)
    {
      report ("unshare container namespaces: %s", strerror (errno));
      _exit (1);
    }
  pid = fork_child ();
  if (pid < 0)
    {
      report ("fork pid 1: %s", strerror (errno));
      _exit (1);
    }
  if (pid == 0)
    run_pid1 (f, sc);
  _exit (wait_exit_status (pid, "pid 1") ? 1 : 0);
}

static void
run_outer (struct fixture *f, const struct scenario *sc)
{
  cleanup_free char *before = NULL;
  cleanup_free char *after = NULL;
  int status;
  pid_t pid;

  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0
      || mount (f->tmpdir, f->tmpdir, NULL, MS_BIND, NULL) < 0
      || mount (NULL, f->tmpdir, NULL, MS_SHARED, NULL) < 0)
    {
      report ("outer namespace: %s", strerror (errno));
      _exit (1);
    }
  if (sc->outer_setup)
    sc->outer_setup (f);
  before = mount_points (is_under, f->tmpdir);
  pid = fork_child ();
  if (pid < 0)
    _exit (1);
  if (pid == 0)
    run_container (f, sc);
  status = wait_exit_status (pid, "container") ? 1 : 0;
  after = mount_points (is_under, f->tmpdir);
  if (strcmp (before, after) != 0)
    {
      report ("mounts leaked to the outer namespace:\n%s", after);
      status |= LEAKED;
    }
  _exit (status | (failures ? 1 : 0));
}

/* Run SC; returns the outer process's exit status, *messages what the
   processes reported.  */
static int
run_scenario (struct fixture *f, const struct scenario *sc, char **messages)
{
  char buf[4096];
  char *out = strdup ("");
  size_t len = 0;
  int fds[2], status;
  pid_t pid;

  assert_non_null (out);
  assert_int_equal (pipe2 (fds, O_CLOEXEC), 0);
  pid = fork_child ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      close (fds[0]);
      report_fd = fds[1];
      run_outer (f, sc);
    }
  close (fds[1]);
  for (;;)
    {
      ssize_t n = read (fds[0], buf, sizeof (buf));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      out = realloc (out, len + n + 1);
      assert_non_null (out);
      memcpy (out + len, buf, n);
      len += n;
      out[len] = '\0';
    }
  close (fds[0]);
  assert_int_equal (waitpid (pid, &status, 0), pid);
  *messages = out;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

/* How many lines of TEXT are exactly LINE.  */
static size_t
count_lines (const char *text, const char *line)
{
  size_t n = 0, len = strlen (line);

  for (const char *p = text; *p; p = strchrnul (p, '\n'), p += *p ? 1 : 0)
    if (strncmp (p, line, len) == 0 && (p[len] == '\n' || p[len] == '\0'))
      n++;
  return n;
}

/* Host-side verdict: the scenario passed, and the host's mount table has no
   new mount below the temp dir or on a path the container mounted.  */
static void
expect_success (struct fixture *f, const struct scenario *sc)
{
  cleanup_free char *messages = NULL;
  cleanup_free char *after = NULL;
  cleanup_free char *after_copy = NULL;
  int status = run_scenario (f, sc, &messages);
  char *save = NULL;

  if (status != 0 || messages[0] != '\0')
    {
      print_error ("scenario failed (status %d):\n%s", status, messages);
      free (steal_pointer (&messages));
      fail ();
    }
  after = mount_points (any_point, NULL);
  after_copy = strdup (after);
  assert_non_null (after_copy);
  for (char *mp = strtok_r (after, "\n", &save); mp; mp = strtok_r (NULL, "\n", &save))
    {
      static const char *const watched[] = { "/", "/etc", "/proc", "/sys", "/dev", "/tmp", "/mnt" };
      bool suspicious = is_under (mp, f->tmpdir);
      for (size_t i = 0; i < sizeof (watched) / sizeof (watched[0]); i++)
        suspicious |= strcmp (mp, watched[i]) == 0;
      if (suspicious && count_lines (after_copy, mp) > count_lines (f->host_mounts_before, mp))
        fail_msg ("mount leaked to the host: %s", mp);
    }
}

/* In-container helpers.  */

static long
fs_type (const char *path)
{
  struct statfs sfs;
  return statfs (path, &sfs) == 0 ? (long)sfs.f_type : -1;
}

static bool
is_read_only (const char *path)
{
  struct statvfs s;
  return statvfs (path, &s) == 0 && (s.f_flag & ST_RDONLY);
}

static bool
is_char_device (const char *path, unsigned maj, unsigned min)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISCHR (st.st_mode) && major (st.st_rdev) == maj
         && minor (st.st_rdev) == min;
}

static bool
link_is (const char *path, const char *target)
{
  char buf[256];
  ssize_t n = readlink (path, buf, sizeof (buf) - 1);
  if (n < 0)
    return false;
  buf[n] = '\0';
  return strcmp (buf, target) == 0;
}

static bool
file_is (const char *path, const char *text)
{
  cleanup_free char *data = NULL;
  berth_error_t err = NULL;
  bool same;

  if (berth_read_file (path, &data, NULL, &err) < 0)
    {
      berth_error_release (&err);
      return false;
    }
  same = strcmp (data, text) == 0;
  return same;
}

static int
create_fails_with (const char *path)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0)
    {
      close (fd);
      unlink (path);
      return 0;
    }
  return errno;
}

static int
run_shell (const char *command)
{
  pid_t pid = fork_child ();
  int status;

  if (pid == 0)
    {
      execl ("/bin/sh", "sh", "-c", command, (char *)NULL);
      _exit (127);
    }
  if (pid < 0 || waitpid (pid, &status, 0) < 0)
    return -1;
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static bool
mountinfo_mentions (const char *needle)
{
  cleanup_free char *text = NULL;
  berth_error_t err = NULL;

  if (berth_read_file ("/proc/self/mountinfo", &text, NULL, &err) < 0)
    {
      berth_error_release (&err);
      return true;
    }
  return strstr (text, needle) != NULL;
}

/* The propagation fields of the mount at "/", from mountinfo.  */
static char *
root_mount_line (void)
{
  cleanup_free char *text = NULL;
  berth_error_t err = NULL;
  char *save = NULL;

  if (berth_read_file ("/proc/self/mountinfo", &text, NULL, &err) < 0)
    {
      berth_error_release (&err);
      return NULL;
    }
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *mp = line;
      for (int i = 0; i < 4 && mp; i++)
        if ((mp = strchr (mp, ' ')))
          mp++;
      if (mp && strncmp (mp, "/ ", 2) == 0)
        return strdup (line);
    }
  return NULL;
}

/* Scenario: the default runc spec's mounts.  */

static void
add_default_mounts (struct fixture *f)
{
  static struct berth_mount mounts[] = {
    { S ("/proc"), S ("proc"), S ("proc"), NULL },
    { S ("/dev"), S ("tmpfs"), S ("tmpfs"), NULL },
    { S ("/dev/pts"), S ("devpts"), S ("devpts"), NULL },
    { S ("/dev/shm"), S ("shm"), S ("tmpfs"), NULL },
    { S ("/dev/mqueue"), S ("mqueue"), S ("mqueue"), NULL },
    { S ("/sys"), S ("sysfs"), S ("sysfs"), NULL },
    { S ("/sys/fs/cgroup"), S ("cgroup"), S ("cgroup"), NULL },
  };
  mounts[1].options = OPTS (S ("nosuid"), S ("strictatime"), S ("mode=755"), S ("size=65536k"));
  mounts[2].options = OPTS (S ("nosuid"), S ("noexec"), S ("newinstance"), S ("ptmxmode=0666"),
                            S ("mode=0620"), S ("gid=5"));
  mounts[3].options
      = OPTS (S ("nosuid"), S ("noexec"), S ("nodev"), S ("mode=1777"), S ("size=65536k"));
  mounts[4].options = OPTS (S ("nosuid"), S ("noexec"), S ("nodev"));
  mounts[5].options = OPTS (S ("nosuid"), S ("noexec"), S ("nodev"), S ("ro"));
  mounts[6].options = OPTS (S ("nosuid"), S ("noexec"), S ("nodev"), S ("relatime"), S ("ro"));
  f->spec.mounts = mounts;
  f->spec.n_mounts = sizeof (mounts) / sizeof (mounts[0]);
}

/* Mount points the default scenario makes; anything else (the host's, or
   the temp dir) must not be visible.  */
static bool
not_configured (const char *mp, const char *arg)
{
  static const char *const configured[] = { "/",
                                            "/proc",
                                            "/dev",
                                            "/dev/pts",
                                            "/dev/shm",
                                            "/dev/mqueue",
                                            "/sys",
                                            "/proc/sys",
                                            "/proc/sysrq-trigger",
                                            "/etc/ro-dir",
                                            "/sys/firmware",
                                            "/etc/secret",
                                            "/etc/secret-dir" };

  if (is_under (mp, "/sys/fs/cgroup"))
    return false;
  for (size_t i = 0; i < sizeof (configured) / sizeof (configured[0]); i++)
    if (strcmp (mp, configured[i]) == 0)
      return false;
  return true;
}

static void
default_inside (struct fixture *f)
{
  struct stat st;

  /* A fresh proc of the new pid namespace.  */
  CHECK (getpid () == 1);
  CHECK (link_is ("/proc/self", "1"));
  CHECK (fs_type ("/proc") == PROC_SUPER_MAGIC);
  CHECK (access ("/proc/2", F_OK) < 0, "only pid 1 should exist");

  /* The rootfs is "/" and the host is gone.  */
  CHECK (file_is ("/etc/hostname", "inside-rootfs\n"));
  {
    cleanup_free char *unexpected = mount_points (not_configured, NULL);
    CHECK (unexpected[0] == '\0', "unexpected mounts:\n%s", unexpected);
  }

  /* /dev.  */
  CHECK (fs_type ("/dev") == TMPFS_MAGIC);
  CHECK (is_char_device ("/dev/null", 1, 3));
  CHECK (stat ("/dev/null", &st) == 0 && (st.st_mode & 07777) == 0666, "mode %o",
         st.st_mode & 07777);
  CHECK (is_char_device ("/dev/zero", 1, 5));
  CHECK (is_char_device ("/dev/full", 1, 7));
  CHECK (is_char_device ("/dev/random", 1, 8));
  CHECK (is_char_device ("/dev/urandom", 1, 9));
  CHECK (is_char_device ("/dev/tty", 5, 0));
  CHECK (is_char_device ("/dev/custom/mynull", 1, 3));
  CHECK (stat ("/dev/custom/mynull", &st) == 0 && (st.st_mode & 07777) == 0600 && st.st_uid == 1000
             && st.st_gid == 1001,
         "mode %o uid %u gid %u", st.st_mode & 07777, st.st_uid, st.st_gid);
  CHECK (link_is ("/dev/fd", "/proc/self/fd"));
  CHECK (link_is ("/dev/stdin", "/proc/self/fd/0"));
  CHECK (link_is ("/dev/stdout", "/proc/self/fd/1"));
  CHECK (link_is ("/dev/stderr", "/proc/self/fd/2"));
  CHECK (link_is ("/dev/ptmx", "pts/ptmx"));
  CHECK ((access ("/proc/kcore", F_OK) == 0) == (access ("/dev/core", F_OK) == 0));
  CHECK (fs_type ("/dev/pts") == DEVPTS_SUPER_MAGIC);
  {
    int ptmx = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    CHECK (ptmx >= 0, "open /dev/ptmx");
    if (ptmx >= 0)
      close (ptmx);
  }
  CHECK (fs_type ("/dev/shm") == TMPFS_MAGIC);
  CHECK (fs_type ("/dev/mqueue") == MQUEUE_MAGIC);

  /* /sys read-only, with the cgroup hierarchies.  */
  CHECK (fs_type ("/sys") == SYSFS_MAGIC);
  CHECK (is_read_only ("/sys"));
  CHECK (mkdir ("/sys/berth-test", 0755) < 0 && errno == EROFS);
  if (fs_type ("/sys/fs/cgroup") == TMPFS_MAGIC)
    {
      CHECK (is_read_only ("/sys/fs/cgroup"));
      if (access ("/sys/fs/cgroup/memory", F_OK) == 0)
        {
          CHECK (fs_type ("/sys/fs/cgroup/memory") == CGROUP_SUPER_MAGIC);
          CHECK (is_read_only ("/sys/fs/cgroup/memory"));
        }
    }
  else
    CHECK (fs_type ("/sys/fs/cgroup") == CGROUP2_SUPER_MAGIC);

  /* maskedPaths: a directory gets an empty read-only tmpfs, a file
     /dev/null; missing ones are skipped.  */
  CHECK (fs_type ("/sys/firmware") == TMPFS_MAGIC);
  CHECK (is_read_only ("/sys/firmware"));
  CHECK (is_char_device ("/etc/secret", 1, 3));
  CHECK (file_is ("/etc/secret", ""));
  CHECK (create_fails_with ("/etc/secret-dir/x") == EROFS);

  /* readonlyPaths.  */
  CHECK (open ("/proc/sys/kernel/hostname", O_WRONLY | O_CLOEXEC) < 0 && errno == EROFS);
  CHECK (create_fails_with ("/etc/ro-dir/x") == EROFS);
  CHECK (create_fails_with ("/tmp/writable") == 0, "the root stays writable");

  /* rslave by default: never shared with the host.  */
  {
    cleanup_free char *root = root_mount_line ();
    CHECK (root && strstr (root, "shared:") == NULL, "`%s`", root ? root : "");
  }

  /* A program of the image runs.  */
  CHECK (run_shell ("test -c /dev/null && test -d /proc/1 && echo ok > /dev/null") == 0);
}

static void
add_default_paths (struct fixture *f)
{
  static struct berth_device devices[] = {
    { .path = S ("/dev/custom/mynull"),
      .type = 'c',
      .major = 1,
      .minor = 3,
      .has_file_mode = true,
      .file_mode = 0600,
      .has_uid = true,
      .uid = 1000,
      .has_gid = true,
      .gid = 1001 },
  };
  make_file (f, "etc/secret", "secret\n");
  make_dir (f, "etc/secret-dir");
  make_dir (f, "etc/ro-dir");
  f->spec.linux_.masked_paths
      = OPTS (S ("/proc/kcore"), S ("/sys/firmware"), S ("/etc/secret"), S ("/etc/secret-dir"),
              S ("/does/not/exist"), S ("/etc/hostname/not-a-dir"));
  f->spec.linux_.readonly_paths
      = OPTS (S ("/proc/sys"), S ("/proc/sysrq-trigger"), S ("/etc/ro-dir"), S ("/not/there"));
  f->spec.linux_.devices = devices;
  f->spec.linux_.n_devices = 1;
}

static void
test_default_spec (void **state)
{
  struct fixture *f = *state;
  const struct scenario sc = { .inside = default_inside };

  if (f == NULL)
    skip ();
  add_default_mounts (f);
  add_default_paths (f);
  expect_success (f, &sc);
}

/* The harness itself: a mount made without prepare does propagate to the
   outer namespace, so the leak checks of the other tests mean something.  */
static void
test_harness_sees_leaks (void **state)
{
  struct fixture *f = *state;
  const struct scenario sc = { .leak_on_purpose = true };
  cleanup_free char *messages = NULL;

  if (f == NULL)
    skip ();
  assert_int_equal (run_scenario (f, &sc, &messages) & LEAKED, LEAKED);
}

/* Scenario: destinations through symlinks and ".." stay inside.  */

static void
add_escape_mounts (struct fixture *f)
{
  static struct berth_mount mounts[8];
  char *rel = fmt_path (f, "../../../../../../../../..%s/host", f->tmpdir);

  mkdir (fmt_path (f, "%s/host2", f->tmpdir), 0755);
  write_text (fmt_path (f, "%s/file.txt", f->host), "from the host\n");
  make_dir (f, "a/b");
  make_link (f, "/etc", "etc-link");
  make_link (f, rel, "a/b/rel");
  make_link (f, "../../a/b/../../etc-link/../mnt", "chain");
  make_link (f, "loop2", "loop1");
  make_link (f, "loop1", "loop2");
  mounts[0] = (struct berth_mount){ S ("/proc"), S ("proc"), S ("proc"), NULL };
  mounts[1] = (struct berth_mount){ S ("/etc-link"), S ("tmpfs"), S ("tmpfs"), NULL };
  mounts[2] = (struct berth_mount){ S ("/etc-link/hostfile"), fmt_path (f, "%s/file.txt", f->host),
                                    S ("bind"), OPTS (S ("bind"), S ("ro")) };
  mounts[3] = (struct berth_mount){ S ("/a/b/rel/sub"), S ("tmpfs"), S ("tmpfs"), NULL };
  mounts[4] = (struct berth_mount){ fmt_path (f, "/../../..%s/host2", f->tmpdir), S ("tmpfs"),
                                    S ("tmpfs"), NULL };
  mounts[5] = (struct berth_mount){ S ("/chain/x"), S ("tmpfs"), S ("tmpfs"), NULL };
  f->spec.mounts = mounts;
  f->spec.n_mounts = 6;
}

/* Before pivot the host is visible: nothing was mounted or created there.  */
static void
escape_before_pivot (struct fixture *f)
{
  struct stat host, etc, root, sub;

  CHECK (fs_type ("/etc") != TMPFS_MAGIC || fs_type ("/") == TMPFS_MAGIC);
  CHECK (stat ("/etc", &etc) == 0 && stat ("/", &root) == 0 && etc.st_dev == root.st_dev,
         "host /etc was covered");
  CHECK (access ("/etc/hostfile", F_OK) < 0, "file created in host /etc");
  CHECK (stat (f->host, &host) == 0 && stat (f->tmpdir, &sub) == 0 && host.st_dev == sub.st_dev,
         "host dir was covered");
  CHECK (access (fmt_path (f, "%s/sub", f->host), F_OK) < 0, "dir created in the host dir");
  CHECK (stat (fmt_path (f, "%s/host2", f->tmpdir), &host) == 0 && host.st_dev == sub.st_dev,
         "host2 was covered");
  CHECK (access ("/mnt/x", F_OK) < 0 || fs_type ("/mnt/x") != TMPFS_MAGIC);
}

static void
escape_inside (struct fixture *f)
{
  CHECK (fs_type ("/etc") == TMPFS_MAGIC, "/etc-link -> /etc resolved inside");
  CHECK (file_is ("/etc/hostfile", "from the host\n"));
  CHECK (create_fails_with ("/etc/hostfile") == EROFS);
  CHECK (fs_type (fmt_path (f, "%s/host/sub", f->tmpdir)) == TMPFS_MAGIC,
         "relative symlink resolved inside");
  CHECK (fs_type (fmt_path (f, "%s/host2", f->tmpdir)) == TMPFS_MAGIC, "`..` clamped at /");
  CHECK (fs_type ("/mnt/x") == TMPFS_MAGIC, "symlink chain resolved inside");
}

static void
test_symlink_escapes (void **state)
{
  struct fixture *f = *state;
  const struct scenario sc = { .before_pivot = escape_before_pivot, .inside = escape_inside };

  if (f == NULL)
    skip ();
  add_escape_mounts (f);
  expect_success (f, &sc);
  /* The rootfs got the mount points, the host dir nothing.  */
  assert_int_equal (access (fmt_path (f, "%s%s/host/sub", f->rootfs, f->tmpdir), F_OK), 0);
  assert_int_equal (access (fmt_path (f, "%s/sub", f->host), F_OK), -1);
}

/* Scenario: bind mounts, ro vs rro, and a tmpfs below the source.  */

static void
bind_outer_setup (struct fixture *f)
{
  char *sub = fmt_path (f, "%s/tree/sub", f->host);
  cleanup_error berth_error_t err = NULL;

  if (berth_mkdir_p (sub, 0755, &err) < 0 || mount ("tmpfs", sub, "tmpfs", 0, NULL) < 0)
    report ("outer setup: %s", err ? err->msg : strerror (errno));
}

static void
add_bind_mounts (struct fixture *f)
{
  static struct berth_mount mounts[4];
  char *tree = fmt_path (f, "%s/tree", f->host);

  mounts[0] = (struct berth_mount){ S ("/proc"), S ("proc"), S ("proc"), NULL };
  mounts[1] = (struct berth_mount){ S ("/mnt/ro"), tree, S ("bind"), OPTS (S ("rbind"), S ("ro")) };
  mounts[2] = (struct berth_mount){ S ("/mnt/rro"), tree, NULL,
                                    OPTS (S ("rbind"), S ("rro"), S ("nosuid"), S ("rprivate")) };
  mounts[3] = (struct berth_mount){ S ("/mnt/rw"), tree, S ("bind"), OPTS (S ("bind")) };
  f->spec.mounts = mounts;
  f->spec.n_mounts = 4;
}

static void
bind_inside (struct fixture *f)
{
  struct statvfs s;

  CHECK (create_fails_with ("/mnt/ro/x") == EROFS);
  CHECK (create_fails_with ("/mnt/ro/sub/x") == 0, "ro is not recursive");
  CHECK (create_fails_with ("/mnt/rro/x") == EROFS);
  CHECK (create_fails_with ("/mnt/rro/sub/x") == EROFS, "rro is recursive");
  CHECK (statvfs ("/mnt/rro", &s) == 0 && (s.f_flag & ST_NOSUID));
  CHECK (create_fails_with ("/mnt/rw/x") == 0);
  CHECK (fs_type ("/mnt/rw/sub") != TMPFS_MAGIC, "bind is not recursive");
}

static void
test_bind_mounts (void **state)
{
  struct fixture *f = *state;
  const struct scenario sc = { .outer_setup = bind_outer_setup, .inside = bind_inside };

  if (f == NULL)
    skip ();
  add_bind_mounts (f);
  expect_success (f, &sc);
}

/* Scenario: no pivot_root.  */

static void
no_pivot_inside (struct fixture *f)
{
  CHECK (getpid () == 1);
  CHECK (link_is ("/proc/self", "1"));
  CHECK (file_is ("/etc/hostname", "inside-rootfs\n"));
  CHECK (is_char_device ("/dev/null", 1, 3));
  CHECK (access (f->tmpdir, F_OK) < 0, "the host is still visible");
  {
    cleanup_free char *points = mount_points (any_point, NULL);
    CHECK (strcmp (points, "/\n/proc\n/dev\n/dev/pts\n") == 0, "mounts:\n%s", points);
  }
  CHECK (run_shell ("test -c /dev/zero") == 0);
}

static void
test_no_pivot (void **state)
{
  struct fixture *f = *state;
  const struct scenario sc = { .inside = no_pivot_inside };

  if (f == NULL)
    skip ();
  add_default_mounts (f);
  f->spec.n_mounts = 3; /* proc, /dev, /dev/pts */
  f->ctx.no_pivot = true;
  expect_success (f, &sc);
}

/* Scenario: devices bound from the host (as in a user namespace), tmpfs
   with tmpcopyup, read-only root, rshared root and a read-only /dev.  */

static void
add_copyup_mounts (struct fixture *f)
{
  static struct berth_mount mounts[3];

  make_dir (f, "data/sub");
  make_file (f, "data/hello", "hello\n");
  make_file (f, "data/sub/nested", "nested\n");
  make_link (f, "hello", "data/link");
  assert_int_equal (chmod (fmt_path (f, "%s/data/hello", f->rootfs), 0640), 0);
  mounts[0] = (struct berth_mount){ S ("/proc"), S ("proc"), S ("proc"), NULL };
  mounts[1] = (struct berth_mount){ S ("/dev"), S ("tmpfs"), S ("tmpfs"),
                                    OPTS (S ("nosuid"), S ("mode=755"), S ("ro")) };
  mounts[2] = (struct berth_mount){ S ("/data"), S ("tmpfs"), S ("tmpfs"),
                                    OPTS (S ("tmpcopyup"), S ("mode=755"), S ("rshared")) };
  f->spec.mounts = mounts;
  f->spec.n_mounts = 3;
  f->spec.root_readonly = true;
  f->spec.linux_.rootfs_propagation = S ("rshared");
  f->ctx.in_new_userns = true;
}

static void
copyup_inside (struct fixture *f)
{
  struct stat st;

  CHECK (is_char_device ("/dev/null", 1, 3));
  CHECK (mountinfo_mentions (" /dev/null "), "/dev/null should be a bind of the host's");
  CHECK (is_read_only ("/dev"));
  CHECK (link_is ("/dev/fd", "/proc/self/fd"));

  CHECK (fs_type ("/data") == TMPFS_MAGIC);
  CHECK (file_is ("/data/hello", "hello\n"));
  CHECK (stat ("/data/hello", &st) == 0 && (st.st_mode & 07777) == 0640);
  CHECK (file_is ("/data/sub/nested", "nested\n"));
  CHECK (link_is ("/data/link", "hello"));
  CHECK (create_fails_with ("/data/new") == 0, "the tmpfs is writable");

  CHECK (is_read_only ("/"));
  CHECK (mkdir ("/newdir", 0755) < 0 && errno == EROFS);
  {
    cleanup_free char *root = root_mount_line ();
    CHECK (root && strstr (root, "shared:") != NULL, "`%s`", root ? root : "");
  }
  /* Mounts made now stay inside: the outer namespace checks.  */
  CHECK (mount ("tmpfs", "/tmp", "tmpfs", 0, NULL) == 0);
}

static void
test_copyup_userns_devices_readonly_root (void **state)
{
  struct fixture *f = *state;
  const struct scenario sc = { .inside = copyup_inside };

  if (f == NULL)
    skip ();
  add_copyup_mounts (f);
  expect_success (f, &sc);
  /* Writes went to the tmpfs, not to the image.  */
  assert_int_equal (access (fmt_path (f, "%s/data/new", f->rootfs), F_OK), -1);
}

/* Scenario: a cgroup namespace of its own: hierarchies mounted afresh,
   rooted at the namespace's root rather than bound from the host.  */

/* Field 4 of mountinfo (the mount's root in its filesystem) for MP.  */
static char *
mount_root_of (const char *mp)
{
  cleanup_free char *text = NULL;
  berth_error_t err = NULL;
  char *save = NULL, *found = NULL;

  if (berth_read_file ("/proc/self/mountinfo", &text, NULL, &err) < 0)
    {
      berth_error_release (&err);
      return NULL;
    }
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *root = line, *point;
      for (int i = 0; i < 3 && root; i++)
        if ((root = strchr (root, ' ')))
          root++;
      if (root == NULL || (point = strchr (root, ' ')) == NULL)
        continue;
      *point++ = '\0';
      point[strcspn (point, " ")] = '\0';
      if (strcmp (point, mp) == 0)
        {
          free (found);
          found = strdup (root);
        }
    }
  return found;
}

static void
cgroupns_inside (struct fixture *f)
{
  const char *hierarchy
      = fs_type ("/sys/fs/cgroup") == TMPFS_MAGIC ? "/sys/fs/cgroup/memory" : "/sys/fs/cgroup";
  cleanup_free char *root = mount_root_of (hierarchy);

  CHECK (fs_type (hierarchy) == CGROUP_SUPER_MAGIC || fs_type (hierarchy) == CGROUP2_SUPER_MAGIC);
  CHECK (is_read_only (hierarchy));
  CHECK (root && strcmp (root, "/") == 0, "`%s` root `%s`", hierarchy, root ? root : "");
}

static void
test_cgroup_namespace (void **state)
{
  struct fixture *f = *state;
  const struct scenario sc = { .inside = cgroupns_inside, .extra_namespaces = CLONE_NEWCGROUP };
  static struct berth_mount mounts[3];

  if (f == NULL)
    skip ();
  mounts[0] = (struct berth_mount){ S ("/proc"), S ("proc"), S ("proc"), NULL };
  mounts[1] = (struct berth_mount){ S ("/sys"), S ("sysfs"), S ("sysfs"), OPTS (S ("ro")) };
  mounts[2] = (struct berth_mount){ S ("/sys/fs/cgroup"), S ("cgroup"), S ("cgroup"),
                                    OPTS (S ("nosuid"), S ("ro")) };
  f->spec.mounts = mounts;
  f->spec.n_mounts = 3;
  f->ctx.in_new_cgroupns = true;
  expect_success (f, &sc);
}

/* berth_open_in_root and the walk alone, on a tree of hostile symlinks:
   every path lands inside the root (no privilege needed).  */

struct resolve_case
{
  const char *path;
  const char *expect; /* path below the root, or NULL */
  int error;          /* expected errno when expect is NULL */
};

static void
check_resolution (int rootfd, const char *root, const struct resolve_case *c, bool walk_only)
{
  berth_error_t err = NULL;
  int fd = walk_only ? berth_walk_in_root (rootfd, c->path, BERTH_CREATE_NONE, &err)
                     : berth_open_in_root (rootfd, c->path, BERTH_CREATE_NONE, &err);

  if (c->expect == NULL)
    {
      if (fd >= 0)
        fail_msg ("`%s` resolved, expected errno %d", c->path, c->error);
      assert_int_equal (err->status, c->error);
      berth_error_release (&err);
      return;
    }
  if (fd < 0)
    fail_msg ("`%s`: %s", c->path, err->msg);
  {
    cleanup_free char *expected = NULL;
    struct stat got, want;
    assert_true (asprintf (&expected, "%s/%s", root, c->expect) >= 0);
    assert_int_equal (fstat (fd, &got), 0);
    assert_int_equal (stat (expected, &want), 0);
    close (fd);
    if (got.st_ino != want.st_ino || got.st_dev != want.st_dev)
      fail_msg ("`%s` did not resolve to `%s`", c->path, c->expect);
  }
}

static void
test_open_in_root (void **state)
{
  char tmpl[] = "/tmp/berth-resolve-XXXXXX";
  cleanup_free char *tmp = NULL;
  cleanup_free char *root = NULL;
  cleanup_free char *outside = NULL;
  cleanup_free char *absesc = NULL;
  cleanup_close int rootfd = -1;
  berth_error_t err = NULL;
  struct stat st;
  const struct resolve_case cases[] = {
    { "/", ".", 0 },
    { "/a/b", "a/b", 0 },
    { "a//b/./", "a/b", 0 },
    { "/abs", "a/b", 0 },
    { "/abs/..", "a", 0 },
    { "/up", ".", 0 },
    { "/up/a", "a", 0 },
    { "/../../../a", "a", 0 },
    { "/dotdot/b", "a/b", 0 },
    { "/file-link", "a/file", 0 },
    { "/esc", "outside", 0 },
    { "/absesc", NULL, ENOENT },
    { "/inside", "outside", 0 },
    { "/loop1", NULL, ELOOP },
    { "/a/file/x", NULL, ENOTDIR },
  };

  assert_non_null (mkdtemp (tmpl));
  tmp = realpath (tmpl, NULL);
  assert_non_null (tmp);
  assert_true (asprintf (&root, "%s/root", tmp) >= 0);
  assert_true (asprintf (&outside, "%s/outside", tmp) >= 0);
  assert_true (asprintf (&absesc, "%s/outside", tmp) >= 0);
  assert_int_equal (mkdir (root, 0755), 0);
  assert_int_equal (mkdir (outside, 0755), 0);
  {
    struct fixture fx = { .rootfs = root };
    struct fixture *f = &fx;
    make_dir (f, "a/b");
    make_dir (f, "outside");
    make_file (f, "a/file", "x");
    make_link (f, "/a/b", "abs");
    make_link (f, "../../../..", "up");
    make_link (f, "a/b/../../a", "dotdot");
    make_link (f, "a/file", "file-link");
    make_link (f, "../../outside", "esc");
    make_link (f, absesc, "absesc");
    make_link (f, "/../outside", "inside");
    make_link (f, "loop2", "loop1");
    make_link (f, "loop1", "loop2");
    make_link (f, "/new/dir", "dangling");
  }
  rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_true (rootfd >= 0);

  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      check_resolution (rootfd, root, &cases[i], false);
      check_resolution (rootfd, root, &cases[i], true);
    }

  /* Creation follows the same rules: what is made is made inside.  */
  {
    int fd = berth_open_in_root (rootfd, "/dangling/sub", BERTH_CREATE_DIR, &err);
    assert_true (fd >= 0);
    assert_int_equal (fstat (fd, &st), 0);
    assert_true (S_ISDIR (st.st_mode));
    close (fd);
    fd = berth_open_in_root (rootfd, "/esc/made-by-test", BERTH_CREATE_FILE, &err);
    assert_true (fd >= 0);
    assert_int_equal (fstat (fd, &st), 0);
    assert_true (S_ISREG (st.st_mode));
    close (fd);
    fd = berth_open_in_root (rootfd, "/absesc/deep/file", BERTH_CREATE_FILE, &err);
    assert_true (fd >= 0);
    close (fd);
  }
  {
    cleanup_free char *p1 = NULL;
    cleanup_free char *p2 = NULL;
    cleanup_free char *p3 = NULL;
    cleanup_free char *p4 = NULL;
    assert_true (asprintf (&p1, "%s/new/dir/sub", root) >= 0);
    assert_true (asprintf (&p2, "%s/outside/made-by-test", root) >= 0);
    assert_true (asprintf (&p3, "%s%s/deep/file", root, absesc) >= 0);
    assert_true (asprintf (&p4, "%s/made-by-test", outside) >= 0);
    assert_int_equal (access (p1, F_OK), 0);
    assert_int_equal (access (p2, F_OK), 0);
    assert_int_equal (access (p3, F_OK), 0);
    assert_int_equal (access (p4, F_OK), -1);
  }
  {
    DIR *d = opendir (outside);
    int entries = 0;
    assert_non_null (d);
    while (readdir (d))
      entries++;
    closedir (d);
    assert_int_equal (entries, 2); /* nothing made outside the root */
  }
  assert_int_equal (stat (tmp, &st), 0);
  assert_int_equal (remove_same_dev (AT_FDCWD, tmp, st.st_dev), 0);
}

static void
test_path_clean (void **state)
{
  static const char *const cases[][2] = {
    { "/", "/" },
    { "", "/" },
    { "//a//b/", "/a/b" },
    { "/a/./b/.", "/a/b" },
    { "/a/../..", "/" },
    { "/../../x", "/x" },
    { "a/b/../c", "/a/c" },
    { "/a/b/../../c/", "/c" },
    { "/..a/b..", "/..a/b.." },
  };

  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      cleanup_free char *clean = berth_path_clean (cases[i][0]);
      assert_string_equal (clean, cases[i][1]);
    }
}

/* Scenarios that must fail, with the message chain.  */

static void
expect_prepare_error (struct fixture *f, const char *message)
{
  const struct scenario sc = { .expect_error = message };
  cleanup_free char *messages = NULL;
  int status = run_scenario (f, &sc, &messages);

  if (status != 0 || messages[0] != '\0')
    {
      print_error ("expected `%s` (status %d):\n%s", message, status, messages);
      free (steal_pointer (&messages));
      fail ();
    }
}

static void
set_one_mount (struct fixture *f, struct berth_mount m)
{
  static struct berth_mount mounts[2];
  mounts[0] = (struct berth_mount){ S ("/proc"), S ("proc"), S ("proc"), NULL };
  mounts[1] = m;
  f->spec.mounts = mounts;
  f->spec.n_mounts = 2;
}

static void
test_errors (void **state)
{
  struct fixture *f = *state;

  if (f == NULL)
    skip ();
  make_link (f, "loop2", "loop1");
  make_link (f, "loop1", "loop2");
  make_link (f, "/proc/sys", "procsys");

  set_one_mount (f, (struct berth_mount){ S ("/mnt"), S ("none"), S ("bogusfs"), NULL });
  expect_prepare_error (f, "mount `none` to `/mnt`: No such device");

  set_one_mount (f, (struct berth_mount){ S ("/loop1/x"), S ("tmpfs"), S ("tmpfs"), NULL });
  expect_prepare_error (f, "mount `tmpfs` to `/loop1/x`: resolve `/loop1/x`: Too many levels");

  set_one_mount (
      f, (struct berth_mount){ S ("/proc/kmsg"), S ("/dev/null"), S ("bind"), OPTS (S ("bind")) });
  expect_prepare_error (f, "mount to `/proc/kmsg`: destination is inside /proc");

  set_one_mount (f, (struct berth_mount){ S ("/procsys/kernel"), S ("tmpfs"), S ("tmpfs"), NULL });
  expect_prepare_error (f, "mount to `/procsys/kernel`: destination is inside /proc");

  set_one_mount (f, (struct berth_mount){ S ("/mnt"), NULL, S ("bind"), OPTS (S ("rbind")) });
  expect_prepare_error (f, "bind mount to `/mnt` has no source");

  set_one_mount (f, (struct berth_mount){ S ("/mnt"), S ("tmpfs"), S ("tmpfs"),
                                          OPTS (S ("private"), S ("shared")) });
  expect_prepare_error (f, "mount `/mnt`: mount option `shared`: conflicts");

  set_one_mount (f, (struct berth_mount){ S ("/mnt"), S ("/nonexistent/source"), S ("bind"),
                                          OPTS (S ("bind")) });
  expect_prepare_error (f, "bind mount source `/nonexistent/source`: No such file");

  f->spec.linux_.rootfs_propagation = S ("sideways");
  expect_prepare_error (f, "linux.rootfsPropagation: unknown value `sideways`");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_harness_sees_leaks, setup, teardown),
    cmocka_unit_test_setup_teardown (test_default_spec, setup, teardown),
    cmocka_unit_test_setup_teardown (test_symlink_escapes, setup, teardown),
    cmocka_unit_test_setup_teardown (test_bind_mounts, setup, teardown),
    cmocka_unit_test_setup_teardown (test_no_pivot, setup, teardown),
    cmocka_unit_test_setup_teardown (test_copyup_userns_devices_readonly_root, setup, teardown),
    cmocka_unit_test_setup_teardown (test_cgroup_namespace, setup, teardown),
    cmocka_unit_test_setup_teardown (test_errors, setup, teardown),
    cmocka_unit_test (test_open_in_root),
    cmocka_unit_test (test_path_clean),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
