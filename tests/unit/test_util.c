/* Tests for the file and string helpers (util.c).  Each test works in its own
 * temporary directory.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <sys/wait.h>
#include <dirent.h>
#include <stdbool.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

static int
make_tmpdir (void **state)
{
  char *dir = strdup ("/tmp/berth-test-util-XXXXXX");

  if (dir == NULL || mkdtemp (dir) == NULL)
    {
      free (dir);
      return -1;
    }
  *state = dir;
  return 0;
}

static int
remove_tmpdir (void **state)
{
  cleanup_error berth_error_t err = NULL;
  char *dir = *state;
  int r = berth_remove_tree (dir, &err);

  free (dir);
  return r;
}

static char *
join (const char *dir, const char *name)
{
  char *p = NULL;

  assert_true (asprintf (&p, "%s/%s", dir, name) > 0);
  return p;
}

static void
put (const char *path, const char *content)
{
  cleanup_error berth_error_t err = NULL;

  if (berth_write_file (path, content, strlen (content), 0644, &err) < 0)
    fail_msg ("%s", err->msg);
}

static bool
exists (const char *path)
{
  struct stat st;
  return lstat (path, &st) == 0;
}

/* Reading and writing.  */

static void
test_write_then_read (void **state)
{
  cleanup_free char *path = join (*state, "f");
  cleanup_free char *data = NULL;
  cleanup_error berth_error_t err = NULL;
  size_t len = 0;
  struct stat st;

  assert_int_equal (berth_write_file (path, "hello\0world", 11, 0640, &err), 0);
  assert_int_equal (berth_read_file (path, &data, &len, &err), 0);
  assert_null (err);
  assert_int_equal (len, 11);
  assert_memory_equal (data, "hello\0world", 11);
  assert_int_equal (data[11], '\0');
  assert_int_equal (stat (path, &st), 0);
  assert_int_equal (st.st_mode & 0777 & ~0640, 0);
}

static void
test_write_truncates (void **state)
{
  cleanup_free char *path = join (*state, "f");
  cleanup_free char *data = NULL;
  cleanup_error berth_error_t err = NULL;

  put (path, "a long first content");
  put (path, "short");
  assert_int_equal (berth_read_file (path, &data, NULL, &err), 0);
  assert_string_equal (data, "short");
}

static void
test_read_empty_file (void **state)
{
  cleanup_free char *path = join (*state, "empty");
  cleanup_free char *data = NULL;
  cleanup_error berth_error_t err = NULL;
  size_t len = 99;

  put (path, "");
  assert_int_equal (berth_read_file (path, &data, &len, &err), 0);
  assert_int_equal (len, 0);
  assert_string_equal (data, "");
}

/* Larger than the reader's first buffer, so it has to grow.  */
static void
test_read_large_file (void **state)
{
  cleanup_free char *path = join (*state, "big");
  cleanup_free char *buf = malloc (100000);
  cleanup_free char *data = NULL;
  cleanup_error berth_error_t err = NULL;
  size_t len = 0;

  assert_non_null (buf);
  for (size_t i = 0; i < 100000; i++)
    buf[i] = 'a' + i % 26;
  assert_int_equal (berth_write_file (path, buf, 100000, 0600, &err), 0);
  assert_int_equal (berth_read_file (path, &data, &len, &err), 0);
  assert_int_equal (len, 100000);
  assert_memory_equal (data, buf, 100000);
  assert_int_equal (data[100000], '\0');
}

static void
test_read_missing_file (void **state)
{
  cleanup_free char *path = join (*state, "missing");
  cleanup_free char *expected = NULL;
  cleanup_error berth_error_t err = NULL;
  char *data = NULL;

  assert_int_equal (berth_read_file (path, &data, NULL, &err), -ENOENT);
  assert_null (data);
  assert_true (asprintf (&expected, "open `%s`: %s", path, strerror (ENOENT)) > 0);
  assert_string_equal (err->msg, expected);
}

static void
test_read_directory_fails (void **state)
{
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *expected = NULL;
  char *data = NULL;

  assert_int_equal (berth_read_file (*state, &data, NULL, &err), -EISDIR);
  assert_true (asprintf (&expected, "`%s`: read: %s", (char *)*state, strerror (EISDIR)) > 0);
  assert_string_equal (err->msg, expected);
}

static void
test_read_fd_pipe (void **state)
{
  cleanup_free char *data = NULL;
  cleanup_error berth_error_t err = NULL;
  int fds[2];
  size_t len;

  assert_int_equal (pipe (fds), 0);
  assert_int_equal (berth_write_all (fds[1], "through a pipe", 14), 0);
  close (fds[1]);
  assert_int_equal (berth_read_fd (fds[0], &data, &len, &err), 0);
  close (fds[0]);
  assert_int_equal (len, 14);
  assert_string_equal (data, "through a pipe");
}

static void
test_write_all_bad_fd (void **state)
{
  assert_int_equal (berth_write_all (-1, "x", 1), -EBADF);
  assert_int_equal (berth_write_all (-1, "", 0), 0);
}

static void
test_write_file_missing_dir (void **state)
{
  cleanup_free char *path = join (*state, "no/such/file");
  cleanup_free char *expected = NULL;
  cleanup_error berth_error_t err = NULL;

  assert_int_equal (berth_write_file (path, "x", 1, 0600, &err), -ENOENT);
  assert_true (asprintf (&expected, "open `%s`: %s", path, strerror (ENOENT)) > 0);
  assert_string_equal (err->msg, expected);
}

/* Atomic writes.  */

static void
test_atomic_write_replaces (void **state)
{
  cleanup_free char *path = join (*state, "state.json");
  cleanup_free char *tmp = join (*state, "state.json.tmp");
  cleanup_free char *data = NULL;
  cleanup_error berth_error_t err = NULL;
  struct stat before, after;

  put (path, "old");
  assert_int_equal (stat (path, &before), 0);
  assert_int_equal (berth_write_file_atomic (path, "new content", 11, 0600, &err), 0);
  assert_int_equal (berth_read_file (path, &data, NULL, &err), 0);
  assert_string_equal (data, "new content");
  assert_false (exists (tmp));
  /* A rename, not a rewrite in place: readers holding the old file keep it.  */
  assert_int_equal (stat (path, &after), 0);
  assert_true (before.st_ino != after.st_ino);
}

static void
test_atomic_write_creates (void **state)
{
  cleanup_free char *path = join (*state, "fresh");
  cleanup_free char *data = NULL;
  cleanup_error berth_error_t err = NULL;
  struct stat st;

  assert_int_equal (berth_write_file_atomic (path, "1", 1, 0600, &err), 0);
  assert_int_equal (berth_read_file (path, &data, NULL, &err), 0);
  assert_string_equal (data, "1");
  assert_int_equal (stat (path, &st), 0);
  assert_int_equal (st.st_mode & 0777 & ~0600, 0);
}

static void
test_atomic_write_missing_dir (void **state)
{
  cleanup_free char *path = join (*state, "nodir/f");
  cleanup_free char *expected = NULL;
  cleanup_error berth_error_t err = NULL;

  assert_int_equal (berth_write_file_atomic (path, "x", 1, 0600, &err), -ENOENT);
  assert_true (asprintf (&expected, "open `%s.tmp`: %s", path, strerror (ENOENT)) > 0);
  assert_string_equal (err->msg, expected);
}

/* The rename fails when the target is a non-empty directory; the temporary
 * file must not be left behind.  */
static void
test_atomic_write_rename_fails (void **state)
{
  cleanup_free char *path = join (*state, "d");
  cleanup_free char *inner = join (*state, "d/x");
  cleanup_free char *tmp = join (*state, "d.tmp");
  cleanup_error berth_error_t err = NULL;

  assert_int_equal (mkdir (path, 0700), 0);
  put (inner, "x");
  assert_true (berth_write_file_atomic (path, "x", 1, 0600, &err) < 0);
  assert_true (strncmp (err->msg, "rename `", 8) == 0);
  assert_false (exists (tmp));
}

/* mkdir -p.  */

static void
test_mkdir_p_nested (void **state)
{
  cleanup_free char *path = join (*state, "a/b/c/d");
  cleanup_error berth_error_t err = NULL;
  struct stat st;

  assert_int_equal (berth_mkdir_p (path, 0755, &err), 0);
  assert_int_equal (stat (path, &st), 0);
  assert_true (S_ISDIR (st.st_mode));
  /* Existing directories are fine.  */
  assert_int_equal (berth_mkdir_p (path, 0755, &err), 0);
  assert_int_equal (berth_mkdir_p (*state, 0755, &err), 0);
  assert_null (err);
}

static void
test_mkdir_p_trailing_slash (void **state)
{
  cleanup_free char *path = join (*state, "x/y/");
  cleanup_free char *dir = join (*state, "x/y");
  cleanup_error berth_error_t err = NULL;
  struct stat st;

  assert_int_equal (berth_mkdir_p (path, 0700, &err), 0);
  assert_int_equal (stat (dir, &st), 0);
  assert_true (S_ISDIR (st.st_mode));
}

static void
test_mkdir_p_through_file (void **state)
{
  cleanup_free char *file = join (*state, "file");
  cleanup_free char *path = join (*state, "file/sub");
  cleanup_free char *expected = NULL;
  cleanup_error berth_error_t err = NULL;

  put (file, "x");
  assert_int_equal (berth_mkdir_p (path, 0755, &err), -ENOTDIR);
  assert_true (asprintf (&expected, "mkdir `%s`: %s", path, strerror (ENOTDIR)) > 0);
  assert_string_equal (err->msg, expected);
}

/* rm -rf.  */

static void
test_remove_tree (void **state)
{
  cleanup_free char *top = join (*state, "tree");
  cleanup_free char *deep = join (*state, "tree/a/b/c");
  cleanup_free char *f1 = join (*state, "tree/f");
  cleanup_free char *f2 = join (*state, "tree/a/b/c/g");
  cleanup_free char *outside = join (*state, "outside");
  cleanup_free char *outside_file = join (*state, "outside/keep");
  cleanup_free char *link = join (*state, "tree/a/link");
  cleanup_free char *empty = join (*state, "tree/a/empty");
  cleanup_error berth_error_t err = NULL;

  assert_int_equal (berth_mkdir_p (deep, 0755, &err), 0);
  assert_int_equal (berth_mkdir_p (outside, 0755, &err), 0);
  assert_int_equal (berth_mkdir_p (empty, 0755, &err), 0);
  put (f1, "1");
  put (f2, "2");
  put (outside_file, "keep me");
  /* A symlink to a directory is removed, never followed.  */
  assert_int_equal (symlink (outside, link), 0);

  assert_int_equal (berth_remove_tree (top, &err), 0);
  assert_null (err);
  assert_false (exists (top));
  assert_true (exists (outside_file));
}

static void
test_remove_tree_missing_and_file (void **state)
{
  cleanup_free char *missing = join (*state, "missing");
  cleanup_free char *file = join (*state, "plain");
  cleanup_error berth_error_t err = NULL;

  assert_int_equal (berth_remove_tree (missing, &err), 0);
  put (file, "x");
  assert_int_equal (berth_remove_tree (file, &err), 0);
  assert_false (exists (file));
}

static void
test_remove_tree_top_symlink (void **state)
{
  cleanup_free char *target = join (*state, "target");
  cleanup_free char *target_file = join (*state, "target/f");
  cleanup_free char *link = join (*state, "link");
  cleanup_error berth_error_t err = NULL;

  assert_int_equal (mkdir (target, 0755), 0);
  put (target_file, "x");
  assert_int_equal (symlink (target, link), 0);
  assert_int_equal (berth_remove_tree (link, &err), 0);
  assert_false (exists (link));
  assert_true (exists (target_file));
}

/* String vectors.  */

static void
test_strv_len (void **state)
{
  char *empty[] = { NULL };
  char *three[] = { "a", "b", "c", NULL };

  assert_int_equal (berth_strv_len (NULL), 0);
  assert_int_equal (berth_strv_len (empty), 0);
  assert_int_equal (berth_strv_len (three), 3);
}

static void
test_strv_getenv (void **state)
{
  char *env[] = { "PATHX=wrong", "PATH=/bin:/usr/bin", "EMPTY=", "NOEQUALS", "HOME=/root", NULL };

  assert_string_equal (berth_strv_getenv (env, "PATH"), "/bin:/usr/bin");
  assert_string_equal (berth_strv_getenv (env, "HOME"), "/root");
  assert_string_equal (berth_strv_getenv (env, "EMPTY"), "");
  assert_null (berth_strv_getenv (env, "NOEQUALS"));
  assert_null (berth_strv_getenv (env, "PAT"));
  assert_null (berth_strv_getenv (env, "TERM"));
  assert_null (berth_strv_getenv (NULL, "PATH"));
}

static void
test_strv_freep (void **state)
{
  char **v = calloc (3, sizeof (char *));

  assert_non_null (v);
  v[0] = strdup ("a");
  v[1] = strdup ("b");
  berth_strv_freep (&v); /* LeakSanitizer checks that all three went */
  v = NULL;
  berth_strv_freep (&v);
}

/* Numbers.  */

static void
test_parse_long (void **state)
{
  long v = 7;
  char big[64];

  assert_true (berth_parse_long ("0", &v));
  assert_int_equal (v, 0);
  assert_true (berth_parse_long ("12345", &v));
  assert_int_equal (v, 12345);
  assert_true (berth_parse_long ("-42", &v));
  assert_int_equal (v, -42);
  snprintf (big, sizeof (big), "%ld", LONG_MAX);
  assert_true (berth_parse_long (big, &v));
  assert_true (v == LONG_MAX);
  snprintf (big, sizeof (big), "%ld", LONG_MIN);
  assert_true (berth_parse_long (big, &v));
  assert_true (v == LONG_MIN);

  v = 7;
  assert_false (berth_parse_long (NULL, &v));
  assert_false (berth_parse_long ("", &v));
  assert_false (berth_parse_long ("12a", &v));
  assert_false (berth_parse_long ("abc", &v));
  assert_false (berth_parse_long ("1.5", &v));
  assert_false (berth_parse_long ("99999999999999999999999", &v));
  assert_false (berth_parse_long ("-99999999999999999999999", &v));
  assert_int_equal (v, 7); /* untouched on failure */
}

/* Descriptors.  */

static void
test_close_fds_from (void **state)
{
  int fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);

  assert_true (fd >= 0);
  assert_int_equal (dup2 (fd, 600), 600);
  assert_int_equal (dup2 (fd, 700), 700);
  berth_close_fds_from (650);
  assert_true (fcntl (600, F_GETFD) >= 0);
  assert_int_equal (fcntl (700, F_GETFD), -1);
  assert_int_equal (errno, EBADF);
  assert_true (fcntl (fd, F_GETFD) >= 0);
  close (600);
  close (fd);
}

/* Whether fd is open.  */
static bool
fd_open (int fd)
{
  return fcntl (fd, F_GETFD) >= 0;
}

static void
check_close_fds_except (unsigned flags)
{
  int fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  const int keep[] = { 802, 900 };

  assert_true (fd >= 0 && fd < 800);
  for (int i = 800; i <= 803; i++)
    assert_int_equal (dup2 (fd, i), i);
  assert_int_equal (dup2 (fd, 900), 900);
  assert_int_equal (dup2 (fd, 1000), 1000);
  assert_int_equal (berth_close_fds_except (801, keep, 2, flags), 0);
  assert_true (fd_open (800)); /* below keep_below */
  assert_false (fd_open (801));
  assert_true (fd_open (802));
  assert_false (fd_open (803));
  assert_true (fd_open (900));
  assert_false (fd_open (1000));
  assert_true (fd_open (fd));
  close (800);
  close (802);
  close (900);
  close (fd);
}

static void
test_close_fds_except_close_range (void **state)
{
  check_close_fds_except (0);
}

/* The path for kernels without close_range, forced.  */
static void
test_close_fds_except_by_proc (void **state)
{
  check_close_fds_except (BERTH_FDS_BY_PROC);
}

/* In a child (it closes nearly everything): fd 3 passed to the container,
 * fd 4 a runtime fd (CLOEXEC) in a hole of the passed range, fd 5 the
 * child's own (sync) in that range, fd 9 the caller's but not passed, fd
 * 20 the child's own (console).  Exit status: 0, or the failed check.  */
static int
fds_for_container_child (unsigned flags)
{
  int null = fcntl (open ("/dev/null", O_RDONLY | O_CLOEXEC), F_DUPFD, 100);
  int sync_fd = 5, console_fd = 20;
  int *const own[] = { &sync_fd, &console_fd };

  if (null < 0 || dup2 (null, 3) != 3 || dup3 (null, 4, O_CLOEXEC) != 4
      || dup3 (null, 5, O_CLOEXEC) != 5 || dup2 (null, 9) != 9 || dup3 (null, 20, O_CLOEXEC) != 20)
    return 10;
  close (null);
  if (berth_fds_for_container (3, own, 2, flags) < 0)
    return 11;
  if (!fd_open (0) || !fd_open (1) || !fd_open (2))
    return 1;
  if (!fd_open (3))
    return 2;
  if (fd_open (4))
    return 3;
  if (sync_fd < 6 || !fd_open (sync_fd) || fd_open (5))
    return 4;
  if (fd_open (9))
    return 5;
  if (console_fd != 20 || !fd_open (20))
    return 6;
  for (int fd = 6; fd < 1024; fd++)
    if (fd != sync_fd && fd != 20 && fd_open (fd))
      return 7;
  return 0;
}

static void
check_fds_for_container (unsigned flags)
{
  int status;
  pid_t pid = fork ();

  assert_true (pid >= 0);
  if (pid == 0)
    _exit (fds_for_container_child (flags));
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  assert_int_equal (WEXITSTATUS (status), 0);
}

static void
test_fds_for_container (void **state)
{
  check_fds_for_container (0);
}

static void
test_fds_for_container_by_proc (void **state)
{
  check_fds_for_container (BERTH_FDS_BY_PROC);
}

/* The attack on the raw mechanism: close-on-exec marking leaves a host
 * directory reachable as a cwd until execve; closing does not.  */
static int
cwd_through_fd_child (void)
{
  int fd = open ("/", O_RDONLY | O_DIRECTORY);
  char path[64];

  if (fd < 0)
    return 10;
  snprintf (path, sizeof (path), "/proc/self/fd/%d", fd);
  if (berth_cloexec_fds_from (3) < 0)
    return 11;
  if (chdir (path) < 0)
    return 1; /* marking alone would have protected us: not so */
  if (berth_close_fds_except (3, NULL, 0, BERTH_FDS_BY_PROC) < 0)
    return 12;
  if (chdir (path) == 0 || errno != ENOENT)
    return 2;
  return 0;
}

static void
test_cloexec_is_not_enough (void **state)
{
  int status;
  pid_t pid = fork ();

  assert_true (pid >= 0);
  if (pid == 0)
    _exit (cwd_through_fd_child ());
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  assert_int_equal (WEXITSTATUS (status), 0);
}

/* Pid files.  */

static size_t
count_entries (const char *dir)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;
  size_t n = 0;

  assert_non_null (d);
  while ((de = readdir (d)))
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      n++;
  return n;
}

static void
test_pid_file_writes (void **state)
{
  cleanup_free char *path = join (*state, "ctr.pid");
  cleanup_free char *data = NULL;
  cleanup_error berth_error_t err = NULL;

  assert_int_equal (berth_write_pid_file (path, 1234, &err), 0);
  assert_int_equal (berth_read_file (path, &data, NULL, &err), 0);
  assert_string_equal (data, "1234");
  free (steal_pointer (&data));
  assert_int_equal (berth_write_pid_file (path, 99, &err), 0);
  assert_int_equal (berth_read_file (path, &data, NULL, &err), 0);
  assert_string_equal (data, "99");
  /* No temporary file left behind.  */
  assert_int_equal (count_entries (*state), 1);
}

/* Someone who may write the pid file's directory plants links: at the
 * predictable temporary name the old atomic write used, and at the target.
 * The pid file helper writes through neither.  */
static void
test_pid_file_does_not_follow_links (void **state)
{
  cleanup_free char *path = join (*state, "ctr.pid");
  cleanup_free char *tmp = join (*state, "ctr.pid.tmp");
  cleanup_free char *victim = join (*state, "victim");
  cleanup_free char *data = NULL;
  cleanup_error berth_error_t err = NULL;
  struct stat st;

  put (victim, "precious");
  assert_int_equal (symlink (victim, tmp), 0);
  /* The attack works on the plain atomic write: it writes through the link.  */
  assert_int_equal (berth_write_file_atomic (path, "1", 1, 0644, &err), 0);
  assert_int_equal (berth_read_file (victim, &data, NULL, &err), 0);
  assert_string_equal (data, "1");
  free (steal_pointer (&data));
  put (victim, "precious");
  assert_int_equal (unlink (path), 0);
  assert_int_equal (symlink (victim, tmp), 0);
  assert_int_equal (symlink (victim, path), 0);

  assert_int_equal (berth_write_pid_file (path, 42, &err), 0);
  assert_int_equal (berth_read_file (victim, &data, NULL, &err), 0);
  assert_string_equal (data, "precious");
  free (steal_pointer (&data));
  assert_int_equal (lstat (path, &st), 0);
  assert_true (S_ISREG (st.st_mode)); /* the link was replaced, not followed */
  assert_int_equal (berth_read_file (path, &data, NULL, &err), 0);
  assert_string_equal (data, "42");
}

static void
test_pid_file_missing_dir (void **state)
{
  cleanup_free char *path = join (*state, "nodir/ctr.pid");
  cleanup_error berth_error_t err = NULL;

  assert_int_equal (berth_write_pid_file (path, 1, &err), -ENOENT);
  assert_true (strncmp (err->msg, "pid file `", 10) == 0);
}

#define TMP_TEST(f) cmocka_unit_test_setup_teardown (f, make_tmpdir, remove_tmpdir)

static void *
park (void *arg)
{
  int *fds = arg;
  char c;
  /* Until the test closes the pipe.  */
  while (read (fds[0], &c, 1) > 0)
    ;
  return NULL;
}

/* create clones the init directly only from a single-threaded caller.  */
static void
test_thread_count (void **state)
{
  pthread_t t;
  int fds[2];
  (void) state;
  assert_int_equal (berth_thread_count (), 1);
  assert_int_equal (pipe (fds), 0);
  assert_int_equal (pthread_create (&t, NULL, park, fds), 0);
  assert_int_equal (berth_thread_count (), 2);
  close (fds[1]);
  pthread_join (t, NULL);
  close (fds[0]);
  assert_int_equal (berth_thread_count (), 1);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    TMP_TEST (test_write_then_read),
    TMP_TEST (test_write_truncates),
    TMP_TEST (test_read_empty_file),
    TMP_TEST (test_read_large_file),
    TMP_TEST (test_read_missing_file),
    TMP_TEST (test_read_directory_fails),
    cmocka_unit_test (test_read_fd_pipe),
    cmocka_unit_test (test_write_all_bad_fd),
    TMP_TEST (test_write_file_missing_dir),
    TMP_TEST (test_atomic_write_replaces),
    TMP_TEST (test_atomic_write_creates),
    TMP_TEST (test_atomic_write_missing_dir),
    TMP_TEST (test_atomic_write_rename_fails),
    TMP_TEST (test_mkdir_p_nested),
    TMP_TEST (test_mkdir_p_trailing_slash),
    TMP_TEST (test_mkdir_p_through_file),
    TMP_TEST (test_remove_tree),
    TMP_TEST (test_remove_tree_missing_and_file),
    TMP_TEST (test_remove_tree_top_symlink),
    cmocka_unit_test (test_strv_len),
    cmocka_unit_test (test_strv_getenv),
    cmocka_unit_test (test_strv_freep),
    cmocka_unit_test (test_parse_long),
    cmocka_unit_test (test_close_fds_from),
    cmocka_unit_test (test_thread_count),
    cmocka_unit_test (test_close_fds_except_close_range),
    cmocka_unit_test (test_close_fds_except_by_proc),
    cmocka_unit_test (test_fds_for_container),
    cmocka_unit_test (test_fds_for_container_by_proc),
    cmocka_unit_test (test_cloexec_is_not_enough),
    TMP_TEST (test_pid_file_writes),
    TMP_TEST (test_pid_file_does_not_follow_links),
    TMP_TEST (test_pid_file_missing_dir),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
