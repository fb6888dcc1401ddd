/* Helpers for the code that writes OCI JSON (the default spec, the engine's
 * spec builder and its seccomp profile).  */
#ifndef BERTH_OCI_JSON_WRITER_H
#define BERTH_OCI_JSON_WRITER_H

#include <jansson.h>

/* A JSON array of the strings of a NULL-terminated vector; NULL when out of
 * memory.  */
json_t *berth_json_string_array (const char *const *v);

#endif
