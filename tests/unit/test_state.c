/* Unit tests for runtime/state.c: ID validation, reservation and locking,
 * state.json round trip, status derivation, and signal names.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/container.h"
#include "runtime/state.h"
#include "util.h"

static char root[] = "/tmp/berth-test-state.XXXXXX";

static int
setup (void **s)
{
  (void) s;
  strcpy (root, "/tmp/berth-test-state.XXXXXX");
  return mkdtemp (root) ? 0 : -1;
}

static int
teardown (void **s)
{
  berth_error_t err = NULL;
  (void) s;
  berth_remove_tree (root, &err);
  berth_error_release (&err);
  return 0;
}

static void
test_id_validate (void **s)
{
  berth_error_t err = NULL;
  (void) s;
  assert_int_equal (berth_id_validate ("abc-1.2_3+x", &err), 0);
  assert_true (berth_id_validate ("", &err) < 0);
  assert_non_null (strstr (err->msg, "empty"));
  assert_true (berth_id_validate ("../etc", &err) < 0);
  assert_non_null (strstr (err->msg, "../etc"));
  assert_true (berth_id_validate ("a/b", &err) < 0);
  assert_true (berth_id_validate (".hidden", &err) < 0);
  berth_error_release (&err);
}

static void
test_reserve_twice_fails (void **s)
{
  berth_error_t err = NULL;
  char *dir = NULL, *dir2 = NULL;
  int fd = -1, fd2 = -1;
  struct berth_state st = { .id = "c1", .oci_version = "1.2.0", .bundle = "/b", .rootfs = "/b/r",
                            .created = "now", .owner = "root", .pid = 1 };
  (void) s;

  assert_int_equal (berth_state_reserve (root, "c1", &dir, &fd, &err), 0);
  /* Still being created (lock held, no state yet): a second create fails.  */
  assert_true (berth_state_reserve (root, "c1", &dir2, &fd2, &err) < 0);
  assert_non_null (strstr (err->msg, "already exists"));
  berth_error_release (&err);
  assert_int_equal (berth_state_save (dir, &st, &err), 0);
  close (fd);
  /* Created: the state file makes it exist even without the lock.  */
  assert_true (berth_state_reserve (root, "c1", &dir2, &fd2, &err) < 0);
  assert_non_null (strstr (err->msg, "already exists"));
  berth_error_release (&err);
  free (dir);
}

static void
test_reserve_reuses_crashed (void **s)
{
  berth_error_t err = NULL;
  char *dir = NULL;
  char path[512];
  int fd = -1;
  (void) s;

  /* A create that crashed leaves a directory without state.json and no lock.  */
  snprintf (path, sizeof (path), "%s/crashed", root);
  assert_int_equal (mkdir (path, 0700), 0);
  snprintf (path, sizeof (path), "%s/crashed/exec.fifo", root);
  assert_int_equal (mkfifo (path, 0600), 0);
  assert_int_equal (berth_state_reserve (root, "crashed", &dir, &fd, &err), 0);
  assert_int_equal (access (path, F_OK), -1);
  close (fd);
  free (dir);
}

static void
test_save_load_roundtrip (void **s)
{
  berth_error_t err = NULL;
  char *dir = NULL, *json;
  int fd;
  bool zombie;
  struct berth_key_value ann[] = { { "k1", "v1" } };
  struct berth_state st = { .id = "rt", .oci_version = "1.2.0", .bundle = "/bundle",
                            .rootfs = "/bundle/rootfs", .created = "2026-01-01T00:00:00Z",
                            .owner = "root", .annotations = ann, .n_annotations = 1 };
  struct berth_state *got = NULL;
  (void) s;

  st.pid = getpid ();
  st.pid_start_time = berth_proc_start_time (getpid (), &zombie);
  assert_true (st.pid_start_time > 0);
  assert_false (zombie);
  assert_int_equal (berth_state_reserve (root, "rt", &dir, &fd, &err), 0);
  assert_int_equal (berth_state_save (dir, &st, &err), 0);
  assert_int_equal (berth_state_load (root, "rt", &got, &err), 0);
  assert_string_equal (got->bundle, "/bundle");
  assert_string_equal (got->rootfs, "/bundle/rootfs");
  assert_int_equal (got->pid, getpid ());
  assert_int_equal (got->n_annotations, 1);
  assert_string_equal (got->annotations[0].value, "v1");
  /* Alive, no fifo: running.  */
  assert_int_equal (got->status, BERTH_STATUS_RUNNING);
  json = berth_state_to_json (got, got->status, false);
  assert_non_null (strstr (json, "\"status\":\"running\""));
  assert_non_null (strstr (json, "\"annotations\":{\"k1\":\"v1\"}"));
  free (json);
  berth_state_free (got);

  /* With the exec fifo: created.  */
  {
    char fifo[512];
    snprintf (fifo, sizeof (fifo), "%s/exec.fifo", dir);
    assert_int_equal (mkfifo (fifo, 0600), 0);
    assert_int_equal (berth_state_load (root, "rt", &got, &err), 0);
    assert_int_equal (got->status, BERTH_STATUS_CREATED);
    berth_state_free (got);
  }
  /* A reused PID (other start time) is stopped.  */
  st.pid_start_time += 1;
  assert_int_equal (berth_state_save (dir, &st, &err), 0);
  assert_int_equal (berth_state_load (root, "rt", &got, &err), 0);
  assert_int_equal (got->status, BERTH_STATUS_STOPPED);
  berth_state_free (got);
  close (fd);
  free (dir);
}

static void
test_zombie_is_stopped (void **s)
{
  pid_t pid = fork ();
  bool zombie = false;
  (void) s;
  if (pid == 0)
    _exit (0);
  usleep (100000);
  berth_proc_start_time (pid, &zombie);
  assert_true (zombie);
  waitpid (pid, NULL, 0);
}

static void
test_load_missing (void **s)
{
  berth_error_t err = NULL;
  struct berth_state *got = NULL;
  (void) s;
  assert_true (berth_state_load (root, "nope", &got, &err) < 0);
  assert_non_null (strstr (err->msg, "does not exist"));
  assert_int_equal (err->status, ENOENT);
  berth_error_release (&err);
}

static void
test_list_ids (void **s)
{
  berth_error_t err = NULL;
  char **ids = NULL;
  char *dir;
  int fd;
  struct berth_state st = { .id = "x", .oci_version = "1", .bundle = "/", .rootfs = "/",
                            .created = "", .owner = "" };
  (void) s;
  assert_int_equal (berth_state_reserve (root, "listed", &dir, &fd, &err), 0);
  assert_int_equal (berth_state_save (dir, &st, &err), 0);
  close (fd);
  free (dir);
  assert_int_equal (berth_state_reserve (root, "unsaved", &dir, &fd, &err), 0);
  assert_int_equal (berth_state_list_ids (root, &ids, &err), 0);
  assert_int_equal (berth_strv_len (ids), 1);
  assert_string_equal (ids[0], "listed");
  for (char **p = ids; *p; p++)
    free (*p);
  free (ids);
  close (fd);
  free (dir);
}

static void
test_signal_parse (void **s)
{
  (void) s;
  assert_int_equal (berth_signal_parse ("KILL"), SIGKILL);
  assert_int_equal (berth_signal_parse ("SIGTERM"), SIGTERM);
  assert_int_equal (berth_signal_parse ("sigusr1"), SIGUSR1);
  assert_int_equal (berth_signal_parse ("9"), 9);
  assert_int_equal (berth_signal_parse ("RTMIN+2"), SIGRTMIN + 2);
  assert_int_equal (berth_signal_parse ("SIGRTMAX"), SIGRTMAX);
  assert_int_equal (berth_signal_parse ("0"), -1);
  assert_int_equal (berth_signal_parse ("100"), -1);
  assert_int_equal (berth_signal_parse ("NOPE"), -1);
  assert_int_equal (berth_signal_parse (""), -1);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_id_validate),
    cmocka_unit_test_setup_teardown (test_reserve_twice_fails, setup, teardown),
    cmocka_unit_test_setup_teardown (test_reserve_reuses_crashed, setup, teardown),
    cmocka_unit_test_setup_teardown (test_save_load_roundtrip, setup, teardown),
    cmocka_unit_test (test_zombie_is_stopped),
    cmocka_unit_test_setup_teardown (test_load_missing, setup, teardown),
    cmocka_unit_test_setup_teardown (test_list_ids, setup, teardown),
    cmocka_unit_test (test_signal_parse),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
