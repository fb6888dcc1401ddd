/* Owns the error message chain used by every fallible function in berth.  */
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
vformat (const char *fmt, va_list ap)
{
  char *s = NULL;
  if (vasprintf (&s, fmt, ap) < 0)
    return NULL;
  return s;
}

int
berth_error (berth_error_t *err, int errno_, const char *fmt, ...)
{
  va_list ap;
  char *base;
  struct berth_error *e;

  if (err == NULL)
    return errno_ ? -errno_ : -1;

  va_start (ap, fmt);
  base = vformat (fmt, ap);
  va_end (ap);

  e = calloc (1, sizeof (*e));
  if (e == NULL)
    {
      free (base);
      return -ENOMEM;
    }
  e->status = errno_;
  if (errno_ != 0 && base != NULL)
    {
      if (asprintf (&e->msg, "%s: %s", base, strerror (errno_)) < 0)
        e->msg = NULL;
      free (base);
    }
  else
    e->msg = base;

  berth_error_release (err);
  *err = e;
  return errno_ ? -errno_ : -1;
}

int
berth_error_wrap (berth_error_t *err, const char *fmt, ...)
{
  va_list ap;
  char *ctx, *joined = NULL;

  if (err == NULL || *err == NULL)
    return -1;

  va_start (ap, fmt);
  ctx = vformat (fmt, ap);
  va_end (ap);
  if (ctx != NULL && asprintf (&joined, "%s: %s", ctx, (*err)->msg ? (*err)->msg : "error") >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = joined;
    }
  free (ctx);
  return berth_error_ret (err);
}

int
berth_error_ret (const berth_error_t *err)
{
  if (err == NULL || *err == NULL || (*err)->status == 0)
    return -1;
  return -(*err)->status;
}

void
berth_error_release (berth_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}

int
berth_error_set_code (berth_error_t *err, int code)
{
  if (err && *err)
    (*err)->code = code;
  return berth_error_ret (err);
}

enum berth_error_code
berth_error_code (const struct berth_error *err)
{
  if (err == NULL)
    return BERTH_OK;
  return err->code ? (enum berth_error_code) err->code : BERTH_EFAILED;
}

const char *
berth_error_message (const struct berth_error *err)
{
  return err && err->msg ? err->msg : "";
}

int
berth_error_errno (const struct berth_error *err)
{
  return err ? err->status : 0;
}
