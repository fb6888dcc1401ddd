/* Tests for hooks.c: order, stdin state, args and env, failures (exit
 * status, signal, timeout, missing executable), SIGPIPE and fd hygiene.
 * Hooks are /bin/sh scripts writing into a temp dir; none writes to stdout,
 * which carries the TAP output.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "hooks.h"
#include "util.h"

static char tmpdir[64];

static int
setup (void **state)
{
  (void)state;
  strcpy (tmpdir, "/tmp/berth-test-hooks-XXXXXX");
  return mkdtemp (tmpdir) ? 0 : -1;
}

static int
teardown (void **state)
{
  cleanup_error berth_error_t err = NULL;
  (void)state;
  return berth_remove_tree (tmpdir, &err);
}

/* A "/bin/sh -c SCRIPT" hook; SCRIPT may use %s for the temp dir (up to
 * twice).  The strings are owned by the caller's struct shell_hook.  */
struct shell_hook
{
  char *script;
  char *args[4];
  struct berth_hook hook;
};

static void
shell_hook_init (struct shell_hook *h, const char *fmt, char **env, int timeout)
{
  assert_true (asprintf (&h->script, fmt, tmpdir, tmpdir) > 0);
  h->args[0] = "sh";
  h->args[1] = "-c";
  h->args[2] = h->script;
  h->args[3] = NULL;
  h->hook
      = (struct berth_hook){ .path = "/bin/sh", .args = h->args, .env = env, .timeout = timeout };
}

static char *
read_tmp (const char *name)
{
  cleanup_free char *path = NULL;
  cleanup_error berth_error_t err = NULL;
  char *text = NULL;

  assert_true (asprintf (&path, "%s/%s", tmpdir, name) > 0);
  if (berth_read_file (path, &text, NULL, &err) < 0)
    return NULL;
  return text;
}

static void
test_order (void **state)
{
  struct shell_hook h[3];
  struct berth_hook hooks[3];
  struct berth_hook_list list = { hooks, 3 };
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *text = NULL;

  (void)state;
  shell_hook_init (&h[0], "echo 1 >> %s/order", NULL, 5);
  shell_hook_init (&h[1], "echo 2 >> %s/order", NULL, 0);
  shell_hook_init (&h[2], "echo 3 >> %s/order", NULL, 5);
  for (int i = 0; i < 3; i++)
    hooks[i] = h[i].hook;
  assert_int_equal (berth_hooks_run (&list, "prestart", "{}", &err), 0);
  assert_null (err);
  text = read_tmp ("order");
  assert_string_equal (text, "1\n2\n3\n");
  for (int i = 0; i < 3; i++)
    free (h[i].script);
}

static void
test_failure_stops_list (void **state)
{
  struct shell_hook h[3];
  struct berth_hook hooks[3];
  struct berth_hook_list list = { hooks, 3 };
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *text = NULL;

  (void)state;
  shell_hook_init (&h[0], "echo 1 >> %s/order", NULL, 0);
  shell_hook_init (&h[1], "exit 3", NULL, 0);
  shell_hook_init (&h[2], "echo 3 >> %s/order", NULL, 0);
  for (int i = 0; i < 3; i++)
    hooks[i] = h[i].hook;
  assert_true (berth_hooks_run (&list, "createRuntime", "{}", &err) < 0);
  assert_string_equal (err->msg, "createRuntime hook `/bin/sh`: exited with status 3");
  text = read_tmp ("order");
  assert_string_equal (text, "1\n");
  for (int i = 0; i < 3; i++)
    free (h[i].script);
}

static void
run_stdin_hook (const char *json)
{
  struct shell_hook h;
  struct berth_hook_list list = { &h.hook, 1 };
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *text = NULL;

  shell_hook_init (&h, "cat > %s/state", NULL, 10);
  assert_int_equal (berth_hooks_run (&list, "poststart", json, &err), 0);
  text = read_tmp ("state");
  assert_non_null (text);
  assert_string_equal (text, json);
  free (h.script);
}

static void
test_state_on_stdin (void **state)
{
  const char *json = "{\"ociVersion\":\"1.2.0\",\"id\":\"abc\",\"status\":\"created\","
                     "\"pid\":42,\"bundle\":\"/run/bundle\",\"annotations\":{}}";
  size_t big_len = 300 * 1024;
  cleanup_free char *big = malloc (big_len + 1);

  (void)state;
  run_stdin_hook (json);
  /* Far more than a pipe buffer.  */
  memset (big, 'x', big_len);
  big[0] = '"';
  big[big_len - 1] = '"';
  big[big_len] = '\0';
  run_stdin_hook (big);
}

static void
test_args_and_env (void **state)
{
  char *args[] = { "sh", "-c", NULL, "zero", "one", NULL };
  char *env[] = { "FOO=bar", "BAZ=qux", NULL };
  struct berth_hook hook = { .path = "/bin/sh", .args = args, .env = env };
  struct berth_hook_list list = { &hook, 1 };
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *script = NULL, *text = NULL;

  (void)state;
  assert_true (asprintf (&script,
                         "printf '%%s|%%s|%%s|%%s' \"$0\" \"$1\" \"$FOO\" \"$BAZ\" > %s/out",
                         tmpdir)
               > 0);
  args[2] = script;
  assert_int_equal (berth_hooks_run (&list, "createContainer", "{}", &err), 0);
  text = read_tmp ("out");
  assert_string_equal (text, "zero|one|bar|qux");
}

static void
test_env_not_inherited (void **state)
{
  struct shell_hook h;
  struct berth_hook_list list = { &h.hook, 1 };
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *text = NULL;

  (void)state;
  setenv ("BERTH_HOOK_LEAK", "leaked", 1);
  shell_hook_init (&h, "printf %%s \"${BERTH_HOOK_LEAK-unset}\" > %s/out", NULL, 0);
  assert_int_equal (berth_hooks_run (&list, "prestart", "{}", &err), 0);
  unsetenv ("BERTH_HOOK_LEAK");
  text = read_tmp ("out");
  assert_string_equal (text, "unset");
  free (h.script);
}

/* Without args, argv is just the path; sh then reads its script from stdin. */
static void
test_default_argv (void **state)
{
  struct berth_hook hook = { .path = "/bin/sh" };
  struct berth_hook_list list = { &hook, 1 };
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *script = NULL, *text = NULL;

  (void)state;
  assert_true (asprintf (&script, "printf %%s \"$0\" > %s/out\n", tmpdir) > 0);
  assert_int_equal (berth_hooks_run (&list, "startContainer", script, &err), 0);
  text = read_tmp ("out");
  assert_string_equal (text, "/bin/sh");
}

static void
test_exit_status_and_signal (void **state)
{
  struct shell_hook h;
  struct berth_hook_list list = { &h.hook, 1 };
  cleanup_error berth_error_t err = NULL;

  (void)state;
  shell_hook_init (&h, "cat > /dev/null; exit 42", NULL, 0);
  assert_true (berth_hooks_run (&list, "poststop", "{}", &err) < 0);
  assert_string_equal (err->msg, "poststop hook `/bin/sh`: exited with status 42");
  berth_error_release (&err);
  free (h.script);

  shell_hook_init (&h, "kill -9 $$", NULL, 0);
  assert_true (berth_hooks_run (&list, "prestart", "{}", &err) < 0);
  assert_string_equal (err->msg, "prestart hook `/bin/sh`: killed by signal 9");
  free (h.script);
}

static double
elapsed_since (const struct timespec *start)
{
  struct timespec now;
  clock_gettime (CLOCK_MONOTONIC, &now);
  return (now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
}

static void
test_timeout (void **state)
{
  char *args[] = { "sleep", "10", NULL };
  struct berth_hook hook = { .path = "/bin/sleep", .args = args, .timeout = 1 };
  struct berth_hook_list list = { &hook, 1 };
  cleanup_error berth_error_t err = NULL;
  struct timespec start;
  double took;

  (void)state;
  clock_gettime (CLOCK_MONOTONIC, &start);
  assert_true (berth_hooks_run (&list, "createRuntime", "{}", &err) < 0);
  took = elapsed_since (&start);
  assert_string_equal (err->msg, "createRuntime hook `/bin/sleep`: timed out after 1s");
  assert_true (took >= 0.9 && took < 3.0);
}

static void
test_missing_executable (void **state)
{
  struct berth_hook hook = { .path = "/nonexistent/hook" };
  struct berth_hook_list list = { &hook, 1 };
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *plain = NULL, *want = NULL;
  int fd;

  (void)state;
  assert_true (berth_hooks_run (&list, "prestart", "{}", &err) < 0);
  assert_string_equal (err->msg,
                       "prestart hook `/nonexistent/hook`: exec: No such file or directory");
  berth_error_release (&err);

  assert_true (asprintf (&plain, "%s/plain", tmpdir) > 0);
  fd = open (plain, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  assert_true (fd >= 0);
  close (fd);
  hook.path = plain;
  assert_true (berth_hooks_run (&list, "prestart", "{}", &err) < 0);
  assert_true (asprintf (&want, "prestart hook `%s`: exec: Permission denied", plain) > 0);
  assert_string_equal (err->msg, want);
}

/* A hook that never reads a large state must not kill the runtime with
 * SIGPIPE, nor leave one pending or blocked.  */
static void
test_no_sigpipe (void **state)
{
  struct berth_hook hook = { .path = "/bin/true" };
  struct berth_hook_list list = { &hook, 1 };
  cleanup_error berth_error_t err = NULL;
  size_t len = 1024 * 1024;
  cleanup_free char *big = malloc (len + 1);
  struct sigaction dfl = { .sa_handler = SIG_DFL }, old;
  sigset_t pending, mask;

  (void)state;
  memset (big, ' ', len);
  big[len] = '\0';
  sigemptyset (&dfl.sa_mask);
  assert_int_equal (sigaction (SIGPIPE, &dfl, &old), 0);
  for (int i = 0; i < 3; i++)
    assert_int_equal (berth_hooks_run (&list, "poststart", big, &err), 0);
  sigpending (&pending);
  assert_false (sigismember (&pending, SIGPIPE));
  sigprocmask (SIG_SETMASK, NULL, &mask);
  assert_false (sigismember (&mask, SIGPIPE));
  sigaction (SIGPIPE, &old, NULL);
}

static void
test_fds_not_inherited (void **state)
{
  char *args[] = { "sh", "-c", NULL, NULL };
  struct berth_hook hook = { .path = "/bin/sh", .args = args };
  struct berth_hook_list list = { &hook, 1 };
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *script = NULL;
  int fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);

  (void)state;
  /* Above fd 3 (which the hook child reuses) and without O_CLOEXEC.  */
  assert_int_equal (dup2 (fd, 40), 40);
  close (fd);
  fd = 40;
  /* The hook fails when it has fd (or fd 3, the exec error pipe) open.  */
  assert_true (asprintf (&script, "test ! -e /proc/$$/fd/%d && test ! -e /proc/$$/fd/3", fd) > 0);
  args[2] = script;
  assert_int_equal (berth_hooks_run (&list, "prestart", "{}", &err), 0);
  close (fd);
}

static void
test_empty_list (void **state)
{
  struct berth_hook_list list = { NULL, 0 };
  cleanup_error berth_error_t err = NULL;

  (void)state;
  assert_int_equal (berth_hooks_run (&list, "prestart", "{}", &err), 0);
  assert_int_equal (berth_hooks_run (NULL, "prestart", "{}", &err), 0);
  assert_null (err);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_order, setup, teardown),
    cmocka_unit_test_setup_teardown (test_failure_stops_list, setup, teardown),
    cmocka_unit_test_setup_teardown (test_state_on_stdin, setup, teardown),
    cmocka_unit_test_setup_teardown (test_args_and_env, setup, teardown),
    cmocka_unit_test_setup_teardown (test_env_not_inherited, setup, teardown),
    cmocka_unit_test_setup_teardown (test_default_argv, setup, teardown),
    cmocka_unit_test_setup_teardown (test_exit_status_and_signal, setup, teardown),
    cmocka_unit_test_setup_teardown (test_timeout, setup, teardown),
    cmocka_unit_test_setup_teardown (test_missing_executable, setup, teardown),
    cmocka_unit_test_setup_teardown (test_no_sigpipe, setup, teardown),
    cmocka_unit_test_setup_teardown (test_fds_not_inherited, setup, teardown),
    cmocka_unit_test_setup_teardown (test_empty_list, setup, teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
