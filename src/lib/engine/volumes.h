/* Named volumes (Docker's "local" driver): directories under ROOT/volumes,
 * each with a small JSON record:
 *
 *   ROOT/volumes/.lock              flock'ed while volumes are created or removed
 *   ROOT/volumes/<name>/volume.json Name, Driver, Mountpoint, CreatedAt, Labels,
 *                                   Options (written atomically)
 *   ROOT/volumes/<name>/lock        the volume's own flock (copy-up, removal)
 *   ROOT/volumes/<name>/_data       what containers mount
 *
 * A volume appears by rename(2) of a complete temporary directory and
 * disappears by rename to a ".trash-" name before its tree is removed, so a
 * crash leaves either nothing or a dot-directory the next command clears.
 * Which volumes containers use is the engine's knowledge: it installs a
 * callback.  */
#ifndef BERTH_ENGINE_VOLUMES_H
#define BERTH_ENGINE_VOLUMES_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "engine/spec.h"
#include "error.h"

/* Docker's label on anonymous volumes; `volume prune` without --all removes
 * only volumes that have it.  */
#define BERTH_VOLUME_ANONYMOUS_LABEL "com.docker.volume.anonymous"

struct berth_volume_store;

/* Whether a container uses volume NAME; filled by the engine.  */
typedef bool (*berth_volume_in_use_fn) (const char *name, void *data);

struct berth_volume
{
  char *name;
  char *mountpoint; /* ROOT/volumes/<name>/_data */
  char *created_at; /* RFC 3339 */
  json_t *labels;   /* object of strings */
  json_t *options;  /* object of strings */
  bool anonymous;
};

int berth_volume_store_open (const char *root, struct berth_volume_store **out, berth_error_t *err);
void berth_volume_store_close (struct berth_volume_store *s);
void berth_volume_store_set_in_use (struct berth_volume_store *s, berth_volume_in_use_fn fn,
                                    void *data);

/* Docker's rule for volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+ .  */
bool berth_volume_valid_name (const char *name);

/* Create volume NAME (NULL: an anonymous volume with a random 64-hex name)
 * with LABELS (an object of strings, may be NULL).  An existing NAME is
 * returned as it is, as Docker does.  */
int berth_volume_create (struct berth_volume_store *s, const char *name, json_t *labels,
                         struct berth_volume **out, berth_error_t *err);

/* Read volume NAME; "no such volume: NAME" (ENOENT) when missing.  */
int berth_volume_get (struct berth_volume_store *s, const char *name, struct berth_volume **out,
                      berth_error_t *err);
void berth_volume_free (struct berth_volume *v);

/* Docker's `volume inspect` object (new reference).  */
json_t *berth_volume_inspect_json (const struct berth_volume *v);

/* All volumes, by name.  */
int berth_volume_list (struct berth_volume_store *s, struct berth_volume ***out, size_t *n,
                       berth_error_t *err);
void berth_volume_list_free (struct berth_volume **list, size_t n);

/* Remove volume NAME.  A volume in use is refused (EBUSY) even with FORCE,
 * as Docker does; FORCE makes a missing volume no error.  */
int berth_volume_remove (struct berth_volume_store *s, const char *name, bool force,
                         berth_error_t *err);

/* Remove the anonymous volumes no container uses (ALL: the named ones too).
 * *removed lists their names (NULL-terminated), *reclaimed their bytes.  */
int berth_volume_prune (struct berth_volume_store *s, bool all, char ***removed,
                        long long *reclaimed, berth_error_t *err);

/* A berth_volume_resolver (engine/spec.h) over the store in CTX: the _data
 * path of volume NAME, created when missing; NAME NULL makes an anonymous
 * volume.  */
int berth_volume_resolve (const char *name, char **path, void *ctx, berth_error_t *err);

/* The volume whose _data directory is PATH (a mount source), or NULL.  */
char *berth_volume_name_of_path (struct berth_volume_store *s, const char *path);

/* Docker's copy-up: when volume NAME is empty and CONTAINER_PATH is a
 * directory in the container's root ROOTFS (the merged image root, before
 * the volume is mounted over it), that directory's content, ownership,
 * modes, xattrs, symlinks and hard links are copied into the volume.
 * CONTAINER_PATH is resolved inside ROOTFS (symlinks in the image cannot
 * lead out of it) and nothing is followed while copying.  The copy is made
 * aside and renamed over the empty _data, so it is all or nothing.  */
int berth_volume_copy_up (struct berth_volume_store *s, const char *name, const char *rootfs,
                          const char *container_path, berth_error_t *err);

/* Copy-up for the volume mounts of a run request: MOUNTS is what
 * berth_engine_resolve_mounts made of REQ (same order, mounts[i] from
 * req->mounts[i]) and ROOTFS the container's mounted root, before the start.
 * Binds and tmpfs are skipped, and volumes given with nocopy.  */
int berth_volume_copy_up_mounts (struct berth_volume_store *s, const struct berth_run_request *req,
                                 const struct berth_engine_mount *mounts, size_t n,
                                 const char *rootfs, berth_error_t *err);

#endif
