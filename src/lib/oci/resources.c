/* Parser of linux.resources (stub until the cgroups work lands).  */
#include "resources.h"

#include <stdlib.h>

int
berth_resources_read (struct parser *p, json_t *v, void *out)
{
  if (jr_expect_object (p, v) < 0)
    return -1;
  *(struct berth_resources **) out = calloc (1, sizeof (struct berth_resources));
  return 0;
}

int
berth_resources_parse (const char *text, size_t len, struct berth_resources **out,
                       berth_error_t *err)
{
  (void) text;
  (void) len;
  (void) out;
  return berth_error (err, 0, "resources: not supported yet");
}

void
berth_resources_free (struct berth_resources *r)
{
  free (r);
}
