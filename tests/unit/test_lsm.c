/* Tests for linux/lsm_labels.c: the enabled checks against this host, and
 * exec labels (ignored for an LSM that is not enabled, applied or refused
 * in a forked child when it is).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/lsm_labels.h"
#include "linux/lsm_labels_internal.h"

static bool
host_apparmor_enabled (void)
{
  cleanup_file FILE *f = fopen ("/sys/module/apparmor/parameters/enabled", "re");
  return f && fgetc (f) == 'Y';
}

static bool
host_selinux_enabled (void)
{
  return access ("/sys/fs/selinux/enforce", F_OK) == 0;
}

static void
test_apparmor_enabled (void **state)
{
  (void)state;
  assert_int_equal (berth_lsm_apparmor_enabled (), host_apparmor_enabled ());
  /* Cached: the same answer again.  */
  assert_int_equal (berth_lsm_apparmor_enabled (), host_apparmor_enabled ());
  print_message ("# apparmor %s on this host\n", host_apparmor_enabled () ? "enabled" : "disabled");
}

static void
test_selinux_enabled (void **state)
{
  (void)state;
  assert_int_equal (berth_lsm_selinux_enabled (), host_selinux_enabled ());
  assert_int_equal (berth_lsm_selinux_enabled (), host_selinux_enabled ());
  print_message ("# selinux %s on this host\n", host_selinux_enabled () ? "enabled" : "disabled");
}

/* Run berth_lsm_set_exec_label for P in a child (the label must not stick
 * to the test process); returns its result, and the message in MSG.  */
static int
set_label_in_child (const struct berth_process *p, char *msg, size_t len)
{
  int fds[2], status;
  ssize_t n;
  pid_t pid;

  assert_int_equal (pipe2 (fds, O_CLOEXEC), 0);
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      berth_error_t err = NULL;
      int r = berth_lsm_set_exec_label (p, &err);
      if (err)
        dprintf (fds[1], "%s", err->msg);
      _exit (r < 0 ? -r : 0);
    }
  close (fds[1]);
  n = read (fds[0], msg, len - 1);
  msg[n > 0 ? n : 0] = '\0';
  close (fds[0]);
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  return -WEXITSTATUS (status);
}

static void
test_no_labels (void **state)
{
  struct berth_process unset = { 0 };
  struct berth_process empty = { .apparmor_profile = "", .selinux_label = "" };
  char msg[256];

  (void)state;
  assert_int_equal (set_label_in_child (&unset, msg, sizeof (msg)), 0);
  assert_string_equal (msg, "");
  assert_int_equal (set_label_in_child (&empty, msg, sizeof (msg)), 0);
  assert_string_equal (msg, "");
}

static void
test_apparmor_profile (void **state)
{
  struct berth_process p = { .apparmor_profile = "berth-test-no-such-profile" };
  char msg[256];
  int r;

  (void)state;
  r = set_label_in_child (&p, msg, sizeof (msg));
  if (!host_apparmor_enabled ())
    {
      /* Ignored, as crun does.  */
      assert_int_equal (r, 0);
      assert_string_equal (msg, "");
      return;
    }
  /* AppArmor refuses a profile that is not loaded, takes "unconfined".  */
  assert_true (r < 0);
  assert_non_null (strstr (msg, "apply apparmor profile `berth-test-no-such-profile`: "));
  p.apparmor_profile = "unconfined";
  assert_int_equal (set_label_in_child (&p, msg, sizeof (msg)), 0);
}

static void
test_selinux_label (void **state)
{
  struct berth_process p = { .selinux_label = "system_u:system_r:berth_no_such_t:s0" };
  char msg[256];
  int r;

  (void)state;
  r = set_label_in_child (&p, msg, sizeof (msg));
  if (!host_selinux_enabled ())
    {
      assert_int_equal (r, 0);
      assert_string_equal (msg, "");
      return;
    }
  assert_true (r < 0);
  assert_non_null (strstr (msg, "set selinux label `system_u:system_r:berth_no_such_t:s0`: "));
}

/* The procfs write itself, in a child: with no LSM taking exec labels the
 * kernel refuses the value; the error names what failed.  */
static void
test_write_exec_attr (void **state)
{
  int status;
  pid_t pid;

  (void)state;
  if (host_apparmor_enabled () || host_selinux_enabled ())
    {
      print_message ("# an LSM takes exec labels here\n");
      skip ();
    }
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      berth_error_t err = NULL;
      int r = berth_lsm_write_exec_attr ("apparmor", "exec unconfined", &err);
      _exit (r == -EINVAL && strcmp (err->msg, "write exec attribute: Invalid argument") == 0 ? 0
                                                                                              : 1);
    }
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  assert_int_equal (WEXITSTATUS (status), 0);
}

static void
test_mount_label (void **state)
{
  berth_error_t err = NULL;

  (void)state;
  assert_int_equal (berth_lsm_set_mount_label ("system_u:object_r:container_file_t:s0", &err), 0);
  assert_int_equal (berth_lsm_set_mount_label (NULL, &err), 0);
  assert_null (err);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_apparmor_enabled), cmocka_unit_test (test_selinux_enabled),
    cmocka_unit_test (test_no_labels),        cmocka_unit_test (test_apparmor_profile),
    cmocka_unit_test (test_selinux_label),    cmocka_unit_test (test_write_exec_attr),
    cmocka_unit_test (test_mount_label),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
