/* Container state on disk under the runtime root: one directory per
 * container holding state.json (written atomically), the config it was
 * created from, the exec fifo while it is "created", and a lock file.  */
#ifndef BERTH_STATE_H
#define BERTH_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "../error.h"
#include "../oci/spec.h"

enum berth_status
{
  BERTH_STATUS_CREATING,
  BERTH_STATUS_CREATED,
  BERTH_STATUS_RUNNING,
  BERTH_STATUS_STOPPED,
};

struct berth_state
{
  char *id;
  char *oci_version;
  char *bundle;
  char *rootfs;
  char *created; /* RFC 3339 */
  char *owner;
  pid_t pid;
  unsigned long long pid_start_time; /* /proc/PID/stat field 22, to spot PID reuse */
  struct berth_key_value *annotations;
  size_t n_annotations;
  enum berth_status status; /* derived by berth_state_load, never stored */
};

const char *berth_status_name (enum berth_status s);

/* Validate a container ID: non-empty, [A-Za-z0-9_.+-], no leading '.', at most 1024 bytes.  */
int berth_id_validate (const char *id, berth_error_t *err);

/* Reserve ID under root for a new container: creates root/ID and returns the
 * directory's path and a held exclusive lock fd.  Fails with "container `ID`
 * already exists" when a live or finished container holds the ID; a
 * directory left by a create that crashed is removed and reused.  */
int berth_state_reserve (const char *root, const char *id, char **dir, int *lock_fd,
                         berth_error_t *err);

/* Lock an existing container's directory exclusively (blocks).  */
int berth_state_lock (const char *root, const char *id, int *lock_fd, berth_error_t *err);

/* Write state.json atomically into dir.  */
int berth_state_save (const char *dir, const struct berth_state *state, berth_error_t *err);

/* Load root/ID/state.json and derive the live status from the process
 * (alive and same start time; created while the exec fifo exists).
 * "container `ID` does not exist" when there is none (errno ENOENT).  */
int berth_state_load (const char *root, const char *id, struct berth_state **out,
                      berth_error_t *err);

void berth_state_free (struct berth_state *state);

/* The runtime-spec state JSON for hooks and `state` (caller frees).  */
char *berth_state_to_json (const struct berth_state *state, enum berth_status status, bool pretty);

/* Start time of PID from /proc/PID/stat (0 when it is gone).  Sets *zombie.  */
unsigned long long berth_proc_start_time (pid_t pid, bool *zombie);

/* Whether state->pid is still the container's process (not exited, not a zombie, not reused).  */
bool berth_state_process_alive (const struct berth_state *state);

/* Paths inside a container's state directory.  */
#define BERTH_STATE_FILE "state.json"
#define BERTH_CONFIG_FILE "config.json"
#define BERTH_FIFO_FILE "exec.fifo"
#define BERTH_LOCK_FILE "lock"

/* IDs of every container under root (NULL-terminated, caller frees).  */
int berth_state_list_ids (const char *root, char ***ids, berth_error_t *err);

#endif
