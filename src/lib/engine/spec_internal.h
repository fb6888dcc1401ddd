/* Shared between the files that build the engine's spec (spec.c,
 * spec_mounts.c); not for other subsystems.  */
#ifndef BERTH_ENGINE_SPEC_INTERNAL_H
#define BERTH_ENGINE_SPEC_INTERNAL_H

#include <jansson.h>

#include "engine/spec.h"

/* A JSON array of the strings of a NULL-terminated vector (NULL: empty).  */
json_t *berth_engine_json_strv (const char *const *v);

/* Append a copy of S to the NULL-terminated vector *V; -ENOMEM on failure.  */
int berth_engine_strv_push (char ***v, const char *s);

/* The "mounts" array: Docker's defaults, then the container's mounts
 * (replacing defaults at or under the same destination), parents first.  */
int berth_engine_mounts_json (const struct berth_spec_params *p, json_t **out, berth_error_t *err);

#endif
