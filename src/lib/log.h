/* Messages for the caller's log callback: warnings the library would
 * otherwise drop (a failing poststart or poststop hook) and --debug lines.  */
#ifndef BERTH_LOG_H
#define BERTH_LOG_H

#include "berth/container.h"
#include "error.h"

struct berth_runtime;

void berth_log (const struct berth_runtime *rt, enum berth_log_level level, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* A warning made of an error ("poststop hook `/x`: exited with status 1"),
 * which it releases.  */
void berth_log_error (const struct berth_runtime *rt, enum berth_log_level level,
                      berth_error_t *err);

#endif
