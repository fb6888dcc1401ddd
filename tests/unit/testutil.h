/* Helpers shared by the unit tests that run checks as root in child
 * processes.  Include after <cmocka.h>.  */
#ifndef BERTH_TESTUTIL_H
#define BERTH_TESTUTIL_H

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

/* A test that cannot run shows as skipped, never as passed.  cmocka 1.1
 * prints "not ok N # SKIP": meson runs the tests through tap-skip.sh, which
 * makes that the TAP "ok N # SKIP"; tests/run-all.sh counts either as
 * skipped.  First statement of a test (cmocka counts a skip in a setup as
 * an error).  */
#define REQUIRE_ROOT()                                                                             \
  do                                                                                               \
    {                                                                                              \
      if (geteuid () != 0)                                                                         \
        {                                                                                          \
          print_message ("# needs root\n");                                                        \
          skip ();                                                                                 \
        }                                                                                          \
    }                                                                                              \
  while (0)

/* In a child process (a function returning its exit status): fail with the
 * condition's text and errno.  */
#define CHECK(cond)                                                                                \
  do                                                                                               \
    {                                                                                              \
      if (!(cond))                                                                                 \
        {                                                                                          \
          fprintf (stderr, "child check failed at line %d: %s (errno %d)\n", __LINE__, #cond,      \
                   errno);                                                                         \
          return 1;                                                                                \
        }                                                                                          \
    }                                                                                              \
  while (0)

#endif
