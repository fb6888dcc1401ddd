/* `berth run` and `berth create` flags, parsed as Docker parses them, into
 * one engine request.  Nothing here runs anything.  */
#ifndef BERTH_RUN_OPTIONS_H
#define BERTH_RUN_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/run_request.h"
#include "error.h"

/* Parse ARGV (ARGV[0] is the first flag, not the command name).  Flags stop at
 * the first argument that is not one (the image), or after "--".  ENVP is the
 * environment that `-e NAME` and bare names in --env-file are looked up in
 * (the caller's, usually).  CREATE selects `create`, which has no -d.  On
 * error *err names the flag ("--memory: invalid size \"12q\""); the engine
 * exits 125 with it.  */
int berth_run_options_parse (int argc, char *const *argv, char *const *envp, bool create,
                             struct berth_run_request **out, berth_error_t *err);

/* A size as Docker reads one: a decimal number (fractions allowed) with an
 * optional unit b, k, m, g, t or p (any case, binary multiples, optionally
 * followed by "b" or "ib"): "64m", "1.5g", "512k", "100".  */
int berth_parse_size (const char *s, int64_t *out);

#endif
