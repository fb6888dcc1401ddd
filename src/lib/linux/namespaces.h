/* Linux namespaces of a container: which to create at clone, which to join
 * by path, user namespace ID mappings and time namespace offsets.  */
#ifndef BERTH_NAMESPACES_H
#define BERTH_NAMESPACES_H

#include <sys/types.h>

#include "error.h"
#include "oci/spec.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* "pid", "network", ... for CLONE_NEW* (as in config.json).  */
const char *berth_namespace_name (int type);

/* CLONE_NEW* flags of the namespaces the spec asks to create (no path).  */
int berth_namespaces_new_flags (const struct berth_spec *spec);

/* Whether any namespace other than pid has a path to join.  */
bool berth_namespaces_any_join (const struct berth_spec *spec, int except);

/* setns() into every namespace with a path, user first, skipping the types in
 * except (a CLONE_NEW* mask).  */
int berth_namespaces_join (const struct berth_spec *spec, int except, berth_error_t *err);

/* Open a namespace path and setns into it (checks it is of that type).  */
int berth_namespace_enter (const char *path, int type, berth_error_t *err);

/* Write uid_map, setgroups and gid_map of PID from the spec's mappings.
 * An unprivileged caller gets "deny" written to setgroups first.  */
int berth_userns_write_mappings (pid_t pid, const struct berth_spec *spec, berth_error_t *err);

/* Whether processes in PID's user namespace (0: ours) may call setgroups:
 * a rootless container's namespace denies it.  */
bool berth_userns_setgroups_allowed (pid_t pid);

/* Create a new time namespace with the spec's offsets and move the calling
 * process into it.  */
int berth_timens_enter_new (const struct berth_spec *spec, berth_error_t *err);

/* Checks that cannot be made by the parser alone: hostname needs a new UTS
 * namespace, mappings need a user namespace, timeOffsets a time namespace,
 * sysctl of net.* a network namespace...  */
int berth_namespaces_validate (const struct berth_spec *spec, berth_error_t *err);

#endif
