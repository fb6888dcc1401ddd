/* OCI hooks: run each hook of a list in order, with the container state JSON
 * on its stdin, its own args and env, and its timeout.  */
#ifndef BERTH_HOOKS_H
#define BERTH_HOOKS_H

#include "error.h"
#include "oci/spec.h"

/* Runs the hooks in order; the first that fails (non-zero exit, signal,
 * timeout, exec failure) stops the list with an error naming the kind
 * ("createRuntime hook `/path`: exited with status 3").  */
int berth_hooks_run (const struct berth_hook_list *hooks, const char *kind,
                     const char *state_json, berth_error_t *err);

/* The same, each hook started in directory cwd (NULL: ours), so the caller
 * need not chdir.  */
int berth_hooks_run_in (const struct berth_hook_list *hooks, const char *kind,
                        const char *state_json, const char *cwd, berth_error_t *err);

#endif
