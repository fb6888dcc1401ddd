/* Unit tests for runtime/state.c: ID validation, reservation and locking,
 * the state file round trip, status derivation, and signal names.  */
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

static struct berth_state
sample_state (const char *id)
{
  struct berth_state st = { .id = (char *) id, .oci_version = "1.2.0", .bundle = "/bundle",
                            .rootfs = "/bundle/rootfs", .created = "2026-01-01T00:00:00Z",
                            .owner = "0" };
  return st;
}

static void
test_reserve_twice_fails (void **s)
{
  berth_error_t err = NULL;
  int fd = -1, fd2 = -1;
  struct berth_state st = sample_state ("c1");
  (void) s;

  assert_int_equal (berth_state_reserve (root, "c1", &fd, &err), 0);
  /* Still being created (locked, empty): a second create fails.  */
  assert_true (berth_state_reserve (root, "c1", &fd2, &err) < 0);
  assert_non_null (strstr (err->msg, "already exists"));
  berth_error_release (&err);
  assert_int_equal (berth_state_save (fd, &st, &err), 0);
  close (fd);
  /* Created: a complete state makes it exist even without the lock.  */
  assert_true (berth_state_reserve (root, "c1", &fd2, &err) < 0);
  assert_non_null (strstr (err->msg, "already exists"));
  berth_error_release (&err);
}

static void
test_reserve_reuses_crashed (void **s)
{
  berth_error_t err = NULL;
  char path[512];
  int fd = -1;
  (void) s;

  /* A create that crashed leaves a torn state file and no lock.  */
  snprintf (path, sizeof (path), "%s/crashed.json", root);
  assert_int_equal (berth_write_file (path, "{\"id\":", 6, 0600, &err), 0);
  assert_int_equal (berth_state_reserve (root, "crashed", &fd, &err), 0);
  {
    struct stat sb;
    assert_int_equal (fstat (fd, &sb), 0);
    assert_int_equal (sb.st_size, 0);
  }
  close (fd);
}

static void
test_creating_while_empty (void **s)
{
  berth_error_t err = NULL;
  struct berth_state *got = NULL;
  int fd;
  (void) s;

  assert_int_equal (berth_state_reserve (root, "busy", &fd, &err), 0);
  assert_int_equal (berth_state_load (root, "busy", &got, &err), 0);
  assert_int_equal (got->status, BERTH_STATUS_CREATING);
  berth_state_free (got);
  close (fd);
}

static void
test_crashed_create_locks_as_stopped (void **s)
{
  berth_error_t err = NULL;
  struct berth_state *got = NULL;
  int fd, lfd;
  (void) s;

  /* A create that died before writing its state: the lock is free.  */
  assert_int_equal (berth_state_reserve (root, "dead", &fd, &err), 0);
  close (fd);
  assert_int_equal (berth_state_lock (root, "dead", &lfd, &got, &err), 0);
  assert_int_equal (got->status, BERTH_STATUS_STOPPED);
  berth_state_free (got);
  close (lfd);
}

static void
test_save_load_roundtrip (void **s)
{
  berth_error_t err = NULL;
  char *json;
  int fd, lfd = -1;
  bool zombie;
  struct stat exe;
  struct berth_key_value ann[] = { { "k1", "v1" } };
  char *hook_args[] = { "h", "x", NULL };
  struct berth_hook hook = { .path = "/bin/true", .args = hook_args, .timeout = 5 };
  struct berth_state st = sample_state ("rt");
  struct berth_state *got = NULL;
  (void) s;

  st.annotations = ann;
  st.n_annotations = 1;
  st.poststop = (struct berth_hook_list){ &hook, 1 };
  st.pid = getpid ();
  st.pid_start_time = berth_proc_start_time (getpid (), &zombie);
  st.start_cookie = 0x123456789abcdefULL;
  assert_true (st.pid_start_time > 0);
  assert_false (zombie);
  assert_int_equal (berth_state_reserve (root, "rt", &fd, &err), 0);
  assert_int_equal (berth_state_save (fd, &st, &err), 0);
  close (fd);
  assert_int_equal (berth_state_load (root, "rt", &got, &err), 0);
  assert_string_equal (got->bundle, "/bundle");
  assert_string_equal (got->rootfs, "/bundle/rootfs");
  assert_int_equal (got->pid, getpid ());
  assert_true (got->start_cookie == 0x123456789abcdefULL);
  assert_int_equal (got->n_annotations, 1);
  assert_string_equal (got->annotations[0].value, "v1");
  assert_int_equal (got->poststop.n, 1);
  assert_string_equal (got->poststop.hooks[0].path, "/bin/true");
  assert_string_equal (got->poststop.hooks[0].args[1], "x");
  assert_int_equal (got->poststop.hooks[0].timeout, 5);
  assert_int_equal (got->poststart.n, 0);
  /* Alive and not running the recorded init executable: running.  */
  assert_int_equal (got->status, BERTH_STATUS_RUNNING);
  json = berth_state_to_json (got, got->status, false);
  assert_non_null (strstr (json, "\"status\":\"running\""));
  assert_non_null (strstr (json, "\"annotations\":{\"k1\":\"v1\"}"));
  free (json);
  berth_state_free (got);

  /* Still running the init executable: created.  */
  assert_int_equal (stat ("/proc/self/exe", &exe), 0);
  st.init_exe_dev = exe.st_dev;
  st.init_exe_ino = exe.st_ino;
  assert_int_equal (berth_state_lock (root, "rt", &lfd, &got, &err), 0);
  berth_state_free (got);
  assert_int_equal (berth_state_save (lfd, &st, &err), 0);
  close (lfd);
  assert_int_equal (berth_state_load (root, "rt", &got, &err), 0);
  assert_int_equal (got->status, BERTH_STATUS_CREATED);
  berth_state_free (got);

  /* A reused PID (other start time) is stopped.  */
  st.pid_start_time += 1;
  assert_int_equal (berth_state_lock (root, "rt", &lfd, &got, &err), 0);
  berth_state_free (got);
  assert_int_equal (berth_state_save (lfd, &st, &err), 0);
  close (lfd);
  assert_int_equal (berth_state_load (root, "rt", &got, &err), 0);
  assert_int_equal (got->status, BERTH_STATUS_STOPPED);
  berth_state_free (got);

  assert_int_equal (berth_state_remove (root, "rt", &err), 0);
  assert_true (berth_state_load (root, "rt", &got, &err) < 0);
  berth_error_release (&err);
}

/* The spec goes into the state file whole, in the same single write, and
 * comes back as a parsed spec (exec needs no bundle); the early record of
 * a create in progress carries none.  */
static void
test_config_saved_with_state (void **s)
{
  static const char config[]
      = "{ \"ociVersion\": \"1.2.0\", \"root\": { \"path\": \"/r\" },\n"
        "  \"process\": { \"cwd\": \"/\", \"args\": [\"sh\", \"-c\", \"echo }{\"],\n"
        "               \"env\": [\"SAVED=yes\"], \"user\": { \"uid\": 7, \"gid\": 8 } } }";
  berth_error_t err = NULL;
  struct berth_state st = sample_state ("cfg");
  struct berth_state *got = NULL;
  struct berth_spec *spec = NULL;
  int fd;
  (void) s;

  st.pid = getpid ();
  st.config_text = config;
  assert_int_equal (berth_state_reserve (root, "cfg", &fd, &err), 0);
  st.creating = true;
  assert_int_equal (berth_state_save (fd, &st, &err), 0);
  assert_int_equal (berth_state_load (root, "cfg", &got, &err), 0);
  assert_null (got->config);
  assert_true (berth_state_spec (got, &spec, &err) < 0);
  assert_int_equal (err->status, ENOENT);
  berth_error_release (&err);
  berth_state_free (got);

  st.creating = false;
  assert_int_equal (berth_state_save (fd, &st, &err), 0);
  close (fd);
  assert_int_equal (berth_state_load (root, "cfg", &got, &err), 0);
  assert_string_equal (got->bundle, "/bundle");
  assert_non_null (got->config);
  assert_int_equal (berth_state_spec (got, &spec, &err), 0);
  assert_string_equal (spec->process->args[2], "echo }{");
  assert_string_equal (spec->process->env[0], "SAVED=yes");
  assert_int_equal (spec->process->user.uid, 7);
  assert_string_equal (spec->root_path, "/r");
  berth_spec_free (spec);
  berth_state_free (got);
  assert_int_equal (berth_state_remove (root, "cfg", &err), 0);
}

/* What an engine maps to its own exit codes.  */
static void
test_error_codes (void **s)
{
  berth_error_t err = NULL;
  struct berth_state *got = NULL;
  int fd, fd2;
  (void) s;

  assert_int_equal (berth_error_code (NULL), BERTH_OK);
  assert_true (berth_state_load (root, "nope", &got, &err) < 0);
  assert_int_equal (berth_error_code (err), BERTH_ENOENT);
  assert_int_equal (berth_error_errno (err), ENOENT);
  /* Context added on the way up keeps the code.  */
  berth_error_wrap (&err, "lookup");
  assert_int_equal (berth_error_code (err), BERTH_ENOENT);
  assert_non_null (strstr (berth_error_message (err), "lookup: container `nope` does not exist"));
  assert_int_equal (berth_state_reserve (root, "dup", &fd, &err), 0);
  assert_true (berth_state_reserve (root, "dup", &fd2, &err) < 0);
  assert_int_equal (berth_error_code (err), BERTH_EEXIST);
  close (fd);
  /* Not classified: failed.  */
  berth_error (&err, EIO, "disk");
  assert_int_equal (berth_error_code (err), BERTH_EFAILED);
  berth_error_release (&err);
  assert_string_equal (berth_error_message (err), "");
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
  int fd;
  (void) s;
  assert_true (berth_state_load (root, "nope", &got, &err) < 0);
  assert_non_null (strstr (err->msg, "does not exist"));
  assert_int_equal (err->status, ENOENT);
  assert_true (berth_state_lock (root, "nope", &fd, &got, &err) < 0);
  assert_non_null (strstr (err->msg, "does not exist"));
  berth_error_release (&err);
}

static void
test_list_ids (void **s)
{
  berth_error_t err = NULL;
  char **ids = NULL;
  int fd, fd2;
  char junk[512];
  struct berth_state st = sample_state ("listed");
  (void) s;
  assert_int_equal (berth_state_reserve (root, "listed", &fd, &err), 0);
  assert_int_equal (berth_state_save (fd, &st, &err), 0);
  assert_int_equal (berth_state_reserve (root, "a.b", &fd2, &err), 0);
  snprintf (junk, sizeof (junk), "%s/not-a-state", root);
  assert_int_equal (berth_write_file (junk, "x", 1, 0600, &err), 0);
  assert_int_equal (berth_state_list_ids (root, &ids, &err), 0);
  assert_int_equal (berth_strv_len (ids), 2);
  assert_true ((strcmp (ids[0], "listed") == 0 && strcmp (ids[1], "a.b") == 0)
               || (strcmp (ids[1], "listed") == 0 && strcmp (ids[0], "a.b") == 0));
  for (char **p = ids; *p; p++)
    free (*p);
  free (ids);
  close (fd);
  close (fd2);
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
    cmocka_unit_test_setup_teardown (test_creating_while_empty, setup, teardown),
    cmocka_unit_test_setup_teardown (test_crashed_create_locks_as_stopped, setup, teardown),
    cmocka_unit_test_setup_teardown (test_save_load_roundtrip, setup, teardown),
    cmocka_unit_test_setup_teardown (test_config_saved_with_state, setup, teardown),
    cmocka_unit_test_setup_teardown (test_error_codes, setup, teardown),
    cmocka_unit_test (test_zombie_is_stopped),
    cmocka_unit_test_setup_teardown (test_load_missing, setup, teardown),
    cmocka_unit_test_setup_teardown (test_list_ids, setup, teardown),
    cmocka_unit_test (test_signal_parse),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
