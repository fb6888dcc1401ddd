/* libberth: an OCI runtime spec (config.json) parsed once, held in memory,
 * and handed to berth_create.  */
#ifndef BERTH_PUBLIC_SPEC_H
#define BERTH_PUBLIC_SPEC_H

#include <stddef.h>

#include <berth/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct berth_spec berth_spec;

/* Parse config.json text (len bytes).  */
BERTH_EXPORT int berth_spec_parse (const char *text, size_t len, berth_spec **out,
                                   berth_error_t *err);
/* Read and parse a config.json file.  */
BERTH_EXPORT int berth_spec_load (const char *path, berth_spec **out, berth_error_t *err);
BERTH_EXPORT void berth_spec_free (berth_spec *spec);

#ifdef __cplusplus
}
#endif

#endif
