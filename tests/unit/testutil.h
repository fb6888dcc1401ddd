/* Helpers shared by the unit tests that run checks as root in child
 * processes.  Include after <cmocka.h>.  */
#ifndef BERTH_TESTUTIL_H
#define BERTH_TESTUTIL_H

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

/* cmocka's skip() reads as a failure to meson's TAP parser: return instead. */
#define REQUIRE_ROOT()                                                                             \
  do                                                                                               \
    {                                                                                              \
      if (geteuid () != 0)                                                                         \
        {                                                                                          \
          print_message ("# skipped: needs root\n");                                               \
          return;                                                                                  \
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
