/* berth error type: a message chain carried up to the top level, which prints
 * it as one line. Nothing below main() prints or exits. */
#ifndef BERTH_ERROR_H
#define BERTH_ERROR_H

#include <stdarg.h>

#include "berth/error.h"

struct berth_error
{
  int status; /* errno value, 0 when the failure has no errno */
  char *msg;  /* full message chain, "ctx: ctx: cause: strerror" */
  int code;   /* enum berth_error_code, BERTH_OK (0) = not classified: failed */
};

/* Set *err to a new error built from fmt; when errno_ is non-zero its strerror
 * is appended.  Always returns a negative value (-errno_ or -1) so callers can
 * write "return berth_error (err, errno, "open `%s`", path);".  */
int berth_error (berth_error_t *err, int errno_, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Prefix the existing error with context: "fmt: previous message".  Returns
 * the same negative value as the error it wraps.  */
int berth_error_wrap (berth_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Classify the error in *err (enum berth_error_code); returns the same
 * negative value, so "return berth_error_set_code (err, BERTH_ESTATE);".  */
int berth_error_set_code (berth_error_t *err, int code);

/* The negative return value matching an error (for re-returning it).  */
int berth_error_ret (const berth_error_t *err);

/* A user's mistake or a conflict (a name in use, a bad subnet, no such
 * container): the message says it all, so no strerror is appended, yet the
 * status keeps the errno value callers test (EEXIST, ENOENT, EINVAL).
 * Returns -status_.  */
#define berth_user_error(err, status_, ...)                                                        \
  ({                                                                                               \
    berth_error_t *_e = (err);                                                                     \
    int _s = (status_);                                                                            \
    berth_error (_e, 0, __VA_ARGS__);                                                              \
    if (_e && *_e)                                                                                 \
      (*_e)->status = _s;                                                                          \
    -_s;                                                                                           \
  })

#define cleanup_error __attribute__ ((cleanup (berth_error_release)))

#endif
