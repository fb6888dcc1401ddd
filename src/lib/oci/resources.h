/* linux.resources of config.json (and of `update --r`): the parsed cgroup
 * limits.  Owned by the resources parser; read by linux/cgroup*.  */
#ifndef BERTH_OCI_RESOURCES_H
#define BERTH_OCI_RESOURCES_H

#include <jansson.h>

#include "../error.h"
#include "json_reader.h"

struct berth_resources
{
  int placeholder; /* replaced by the cgroups work */
};

/* reader_fn for linux.resources: allocates *(struct berth_resources **) out.  */
int berth_resources_read (struct parser *p, json_t *v, void *out);

/* Parse a resources JSON document alone (`update --r FILE`).  */
int berth_resources_parse (const char *text, size_t len, struct berth_resources **out,
                           berth_error_t *err);

void berth_resources_free (struct berth_resources *r);

#endif
