/* Tests for linux/sealed_exe.c.  The test binary is its own helper: run as
 * "test_sealed_exe --helper METHOD", it calls berth_ensure_sealed_exe_with,
 * which re-executes it from the sealed copy, and then checks what
 * /proc/self/exe has become; it reports through its exit status and
 * explains failures on stderr.  An alarm set before the first exec
 * survives it, so a re-exec loop fails the test instead of hanging.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/sealed_exe.h"

#define OVERLAYFS_MAGIC 0x794c7630
#define MARKER "_BERTH_SEALED_EXE"
#define ALL_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

#include "testutil.h"

/* The helper's side.  */

static bool
exe_is_sealed_memfd (void)
{
  cleanup_close int fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  int seals = fd >= 0 ? fcntl (fd, F_GET_SEALS) : -1;
  return seals >= 0 && (seals & ALL_SEALS) == ALL_SEALS;
}

static bool
exe_is_readonly_overlay (void)
{
  struct statfs sfs;
  return statfs ("/proc/self/exe", &sfs) == 0 && sfs.f_type == OVERLAYFS_MAGIC
         && (sfs.f_flags & ST_RDONLY);
}

static int
check_memfd (void)
{
  char link[PATH_MAX] = "";

  CHECK (exe_is_sealed_memfd ());
  CHECK (readlink ("/proc/self/exe", link, sizeof (link) - 1) > 0);
  CHECK (strncmp (link, "/memfd:berth-runtime", 20) == 0);
  errno = 0;
  CHECK (open ("/proc/self/exe", O_WRONLY | O_CLOEXEC) < 0);
  CHECK (errno == ETXTBSY || errno == EPERM);
  return 0;
}

static int
check_overlay (void)
{
  CHECK (exe_is_readonly_overlay ());
  CHECK (!exe_is_sealed_memfd ());
  errno = 0;
  CHECK (open ("/proc/self/exe", O_WRONLY | O_CLOEXEC) < 0);
  CHECK (errno == EROFS);
  /* O_PATH and then a write reopen through /proc/self/fd: the CVE's path.  */
  {
    char path[64];
    cleanup_close int fd = open ("/proc/self/exe", O_PATH | O_CLOEXEC);
    CHECK (fd >= 0);
    snprintf (path, sizeof (path), "/proc/self/fd/%d", fd);
    errno = 0;
    CHECK (open (path, O_WRONLY | O_CLOEXEC) < 0 && errno == EROFS);
  }
  return 0;
}

static int
helper (const char *mode, int argc, char **argv, char **envp)
{
  enum berth_exe_seal method = BERTH_EXE_SEAL_AUTO;
  int r;

  if (strcmp (mode, "memfd") == 0 || strcmp (mode, "stale") == 0)
    method = strcmp (mode, "memfd") == 0 ? BERTH_EXE_SEAL_MEMFD : BERTH_EXE_SEAL_AUTO;
  else if (strcmp (mode, "overlay") == 0 || strcmp (mode, "loop") == 0)
    method = BERTH_EXE_SEAL_OVERLAY;
  /* A marker that names no overlay we run from: never trusted.  */
  if ((strcmp (mode, "stale") == 0 || strcmp (mode, "loop") == 0) && !exe_is_sealed_memfd ())
    setenv (MARKER, "123456789", 1);
  if (strcmp (mode, "loop") == 0)
    {
      CHECK (berth_ensure_sealed_exe_with (method, argc, argv, environ) == -ELOOP);
      return 0;
    }
  r = berth_ensure_sealed_exe_with (method, argc, argv, environ);
  /* Only the re-executed process gets here, finding its exe sealed.  */
  CHECK (r == 0);
  CHECK (getenv (MARKER) == NULL);
  /* Asking again changes nothing.  */
  CHECK (berth_ensure_sealed_exe (argc, argv, environ) == 0);
  if (strcmp (mode, "memfd") == 0 || strcmp (mode, "stale") == 0)
    return check_memfd ();
  if (strcmp (mode, "overlay") == 0)
    return check_overlay ();
  /* auto: the overlay as root, a memfd otherwise.  */
  if (geteuid () == 0)
    return check_overlay ();
  return exe_is_readonly_overlay () ? check_overlay () : check_memfd ();
}

/* The test's side.  */

static char self_path[PATH_MAX];

static int
run_helper (const char *mode)
{
  int status;
  pid_t pid = fork ();

  if (pid < 0)
    return -1;
  if (pid == 0)
    {
      char *args[] = { self_path, "--helper", (char *)mode, NULL };
      alarm (10);
      execv (self_path, args);
      _exit (127);
    }
  if (waitpid (pid, &status, 0) != pid)
    return -1;
  return WIFSIGNALED (status) ? 128 + WTERMSIG (status) : WEXITSTATUS (status);
}

static void
test_memfd (void **state)
{
  (void)state;
  assert_int_equal (run_helper ("memfd"), 0);
}

static void
test_overlay (void **state)
{
  (void)state;
  REQUIRE_ROOT ();
  assert_int_equal (run_helper ("overlay"), 0);
}

static void
test_auto (void **state)
{
  (void)state;
  assert_int_equal (run_helper ("auto"), 0);
}

static void
test_stale_marker_uses_memfd (void **state)
{
  (void)state;
  assert_int_equal (run_helper ("stale"), 0);
}

static void
test_stale_marker_no_loop (void **state)
{
  (void)state;
  assert_int_equal (run_helper ("loop"), 0);
}

int
main (int argc, char **argv, char **envp)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_memfd),
    cmocka_unit_test (test_overlay),
    cmocka_unit_test (test_auto),
    cmocka_unit_test (test_stale_marker_uses_memfd),
    cmocka_unit_test (test_stale_marker_no_loop),
  };
  ssize_t n;

  if (argc == 3 && strcmp (argv[1], "--helper") == 0)
    return helper (argv[2], argc, argv, envp);
  n = readlink ("/proc/self/exe", self_path, sizeof (self_path) - 1);
  if (n <= 0)
    return 1;
  self_path[n] = '\0';
  return cmocka_run_group_tests (tests, NULL, NULL);
}
