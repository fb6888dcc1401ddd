/* Tests for the error message chain (error.c).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static void
test_error_without_errno (void **state)
{
  berth_error_t err = NULL;

  assert_int_equal (berth_error (&err, 0, "bad value %d in `%s`", 42, "x"), -1);
  assert_non_null (err);
  assert_string_equal (err->msg, "bad value 42 in `x`");
  assert_int_equal (err->status, 0);
  assert_int_equal (berth_error_ret (&err), -1);
  berth_error_release (&err);
  assert_null (err);
}

static void
test_error_with_errno (void **state)
{
  berth_error_t err = NULL;
  char expected[256];

  assert_int_equal (berth_error (&err, ENOENT, "open `%s`", "/nope"), -ENOENT);
  snprintf (expected, sizeof (expected), "open `/nope`: %s", strerror (ENOENT));
  assert_string_equal (err->msg, expected);
  assert_int_equal (err->status, ENOENT);
  assert_int_equal (berth_error_ret (&err), -ENOENT);
  berth_error_release (&err);
}

static void
test_error_wrap_chain (void **state)
{
  berth_error_t err = NULL;
  char expected[256];

  berth_error (&err, EPERM, "mount `%s`", "/proc");
  assert_int_equal (berth_error_wrap (&err, "rootfs `%s`", "/b/rootfs"), -EPERM);
  assert_int_equal (berth_error_wrap (&err, "create container %s", "c1"), -EPERM);
  snprintf (expected, sizeof (expected),
            "create container c1: rootfs `/b/rootfs`: mount `/proc`: %s", strerror (EPERM));
  assert_string_equal (err->msg, expected);
  assert_int_equal (err->status, EPERM);
  berth_error_release (&err);
}

static void
test_error_wrap_without_errno (void **state)
{
  berth_error_t err = NULL;

  berth_error (&err, 0, "process.cwd: required");
  assert_int_equal (berth_error_wrap (&err, "%s", "config.json"), -1);
  assert_string_equal (err->msg, "config.json: process.cwd: required");
  berth_error_release (&err);
}

static void
test_error_wrap_nothing (void **state)
{
  berth_error_t err = NULL;

  assert_int_equal (berth_error_wrap (&err, "context"), -1);
  assert_null (err);
  assert_int_equal (berth_error_wrap (NULL, "context"), -1);
}

/* A second error replaces the first without leaking it (LeakSanitizer).  */
static void
test_error_replaces_previous (void **state)
{
  berth_error_t err = NULL;

  berth_error (&err, EACCES, "first");
  assert_int_equal (berth_error (&err, 0, "second"), -1);
  assert_string_equal (err->msg, "second");
  assert_int_equal (err->status, 0);
  berth_error_release (&err);
}

static void
test_error_null_out (void **state)
{
  assert_int_equal (berth_error (NULL, EINVAL, "ignored"), -EINVAL);
  assert_int_equal (berth_error (NULL, 0, "ignored"), -1);
}

static void
test_error_ret_without_error (void **state)
{
  berth_error_t err = NULL;

  assert_int_equal (berth_error_ret (&err), -1);
  assert_int_equal (berth_error_ret (NULL), -1);
}

static void
test_error_release_is_idempotent (void **state)
{
  berth_error_t err = NULL;

  berth_error_release (NULL);
  berth_error_release (&err);
  berth_error (&err, 0, "x");
  berth_error_release (&err);
  assert_null (err);
  berth_error_release (&err);
}

static int
fails_with_cleanup (char *seen, size_t size)
{
  cleanup_error berth_error_t err = NULL;

  berth_error (&err, ENOSPC, "write");
  snprintf (seen, size, "%s", err->msg);
  return berth_error_ret (&err);
}

static void
test_cleanup_error (void **state)
{
  char seen[128];
  char expected[128];

  assert_int_equal (fails_with_cleanup (seen, sizeof (seen)), -ENOSPC);
  snprintf (expected, sizeof (expected), "write: %s", strerror (ENOSPC));
  assert_string_equal (seen, expected);
}

static void
test_error_long_message (void **state)
{
  berth_error_t err = NULL;
  char big[5000];

  memset (big, 'a', sizeof (big) - 1);
  big[sizeof (big) - 1] = '\0';
  berth_error (&err, 0, "%s", big);
  berth_error_wrap (&err, "ctx");
  assert_int_equal (strlen (err->msg), strlen ("ctx: ") + sizeof (big) - 1);
  assert_true (strncmp (err->msg, "ctx: aaa", 8) == 0);
  berth_error_release (&err);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_error_without_errno),
    cmocka_unit_test (test_error_with_errno),
    cmocka_unit_test (test_error_wrap_chain),
    cmocka_unit_test (test_error_wrap_without_errno),
    cmocka_unit_test (test_error_wrap_nothing),
    cmocka_unit_test (test_error_replaces_previous),
    cmocka_unit_test (test_error_null_out),
    cmocka_unit_test (test_error_ret_without_error),
    cmocka_unit_test (test_error_release_is_idempotent),
    cmocka_unit_test (test_cleanup_error),
    cmocka_unit_test (test_error_long_message),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
