/* Delivery of library messages to the callback the caller registered.  */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "runtime/container.h"

void
berth_log (const struct berth_runtime *rt, enum berth_log_level level, const char *fmt, ...)
{
  char *msg = NULL;
  va_list ap;

  if (rt == NULL || rt->log == NULL || (level == BERTH_LOG_DEBUG && !rt->debug))
    return;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (msg)
    rt->log (level, msg, rt->log_data);
  free (msg);
}

void
berth_log_error (const struct berth_runtime *rt, enum berth_log_level level, berth_error_t *err)
{
  if (err && *err)
    berth_log (rt, level, "%s", (*err)->msg ? (*err)->msg : "error");
  berth_error_release (err);
}
