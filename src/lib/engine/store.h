/* The container record store: which containers exist, their IDs and names,
 * and one JSON record each, under ROOT:
 *
 *   ROOT/store.lock                 flock'ed while names are reserved or changed
 *   ROOT/containers/<id>/lock       one flock per container
 *   ROOT/containers/<id>/name       the container's name (written atomically)
 *   ROOT/containers/<id>/record.json  the engine's record; absent until the
 *                                   creator completes it
 *   ROOT/names/<name>               a symlink to <id>: the name's reservation
 *
 * A name is taken by symlink(2), which is atomic, under the store lock.  A
 * name link counts only while containers/<id>/name says the same name, so a
 * rename or removal cut short by a crash leaves a stale link that the next
 * command ignores and removes.  A container without a record whose lock
 * nobody holds is a create that died: the next command removes it.  */
#ifndef BERTH_ENGINE_STORE_H
#define BERTH_ENGINE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "error.h"

#define BERTH_ID_LEN 64

struct berth_store;

struct berth_store_entry
{
  char id[BERTH_ID_LEN + 1];
  char *name;
  bool complete; /* the record was written; false while its creator runs */
};

/* Open (creating the directories of) the store under ROOT.  */
int berth_store_open (const char *root, struct berth_store **out, berth_error_t *err);
void berth_store_close (struct berth_store *store);

/* Reserve a new ID and NAME (NULL: generate an adjective_surname name) for a
 * new container.  Returns the ID and name, and the container's lock fd,
 * held: the caller writes the record with berth_store_write_record and then
 * closes the fd (or keeps it while it works on the container).  A name in use
 * fails with "the container name "x" is already in use by container <id>".  */
int berth_store_create (struct berth_store *store, const char *name, char id[BERTH_ID_LEN + 1],
                        char **name_out, int *lock_fd, berth_error_t *err);

/* The same, without fsync of the name file when !SYNC (for containers
 * that do not outlive their run, see berth_store_write_record_sync).  */
int berth_store_create_sync (struct berth_store *store, const char *name, char id[BERTH_ID_LEN + 1],
                             char **name_out, int *lock_fd, bool sync, berth_error_t *err);

/* Write the record of ID atomically (temporary file, fsync, rename).  The
 * caller holds the container's lock.  */
int berth_store_write_record (struct berth_store *store, const char *id, json_t *record,
                              berth_error_t *err);

/* The same, without the fsync when !SYNC: still atomic against crashes of
 * processes, for state changes that a power loss makes moot anyway (after
 * a reboot nothing runs, and repair corrects a record that says running).  */
int berth_store_write_record_sync (struct berth_store *store, const char *id, json_t *record,
                                   bool sync, berth_error_t *err);

/* Read the record of ID; a container without a record yet fails with ENOENT.  */
int berth_store_read_record (struct berth_store *store, const char *id, json_t **out,
                             berth_error_t *err);

/* Find a container by full ID, full name or unique ID prefix, in that order
 * (Docker's).  "No such container: x" (ENOENT) when none matches, and
 * "multiple IDs found with prefix x" when the prefix is ambiguous.  */
int berth_store_lookup (struct berth_store *store, const char *ref, char id[BERTH_ID_LEN + 1],
                        berth_error_t *err);

/* The name of ID; caller frees.  */
int berth_store_get_name (struct berth_store *store, const char *id, char **name,
                          berth_error_t *err);

/* Take the lock of container ID (blocking unless NONBLOCK; EWOULDBLOCK then).
 * Returns the lock fd; closing it releases the lock.  */
int berth_store_lock (struct berth_store *store, const char *id, bool nonblock, berth_error_t *err);

/* Every container, ordered by ID.  Dead creates found on the way are
 * removed.  Free with berth_store_entries_free.  */
int berth_store_list (struct berth_store *store, struct berth_store_entry **out, size_t *n,
                      berth_error_t *err);
void berth_store_entries_free (struct berth_store_entry *entries, size_t n);

/* Rename ID to NEW_NAME (the same checks as create).  */
int berth_store_rename (struct berth_store *store, const char *id, const char *new_name,
                        berth_error_t *err);

/* Remove ID: its name, record and directory.  The caller holds its lock (or
 * knows nobody else can).  */
int berth_store_remove (struct berth_store *store, const char *id, berth_error_t *err);

/* Remove what crashed commands left: creates that died before their record,
 * name links that no longer name their container, half-removed directories.
 * The other calls do this on the way for what they touch.  */
int berth_store_repair (struct berth_store *store, berth_error_t *err);

/* The directory of ID (ROOT/containers/<id>), for the engine's other files
 * (logs, upper dir); caller frees.  */
char *berth_store_container_dir (struct berth_store *store, const char *id);

/* Whether S is a valid container name ([a-zA-Z0-9][a-zA-Z0-9_.-]+).  */
bool berth_store_valid_name (const char *s);

/* A random "adjective_surname" name into buf (64 bytes).  */
int berth_store_generate_name (char buf[64], berth_error_t *err);

#endif
