/* linux.seccomp of config.json: the parsed seccomp profile.  Owned by the
 * seccomp parser; read by linux/seccomp.c.  */
#ifndef BERTH_OCI_SECCOMP_H
#define BERTH_OCI_SECCOMP_H

#include <jansson.h>

#include "../error.h"
#include "json_reader.h"

struct berth_seccomp
{
  int placeholder; /* replaced by the seccomp work */
};

/* reader_fn for linux.seccomp: allocates *(struct berth_seccomp **) out.  */
int berth_seccomp_read (struct parser *p, json_t *v, void *out);

void berth_seccomp_free (struct berth_seccomp *s);

#endif
