/* Container state on disk: one file per container, ROOT/ID.json.  Creating
 * that file reserves the ID, flock on it serialises commands that change the
 * container, and its content is written once, whole, when create is done.
 * Everything else (created/running/stopped) is derived from the container's
 * process, so no command has to rewrite it.  The file is all there is:
 * few inode operations keep create fast on slow filesystems.  */
#ifndef BERTH_STATE_H
#define BERTH_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "oci/spec.h"

enum berth_status
{
  BERTH_STATUS_CREATING,
  BERTH_STATUS_CREATED,
  BERTH_STATUS_RUNNING,
  BERTH_STATUS_STOPPED,
  BERTH_STATUS_PAUSED, /* running, with its cgroup frozen (runc's extra status) */
};

struct berth_state
{
  char *id;
  char *oci_version;
  char *bundle;
  char *rootfs;
  char *created; /* RFC 3339 */
  char *owner;   /* uid of the creator, as text */
  pid_t pid;
  unsigned long long pid_start_time; /* /proc/PID/stat field 22, to spot PID reuse */
  uint64_t init_exe_dev;             /* the container init's executable before it */
  uint64_t init_exe_ino;             /* exec'd the user program: "created" while equal */
  uint64_t start_cookie;             /* the value `start` sends with the start signal */
  struct berth_key_value *annotations;
  size_t n_annotations;
  char *cgroup; /* berth_cgroup_serialize text, NULL when none was made */
  uint64_t rootfs_mnt_id; /* without a mount namespace of its own: the runtime's bind
                             of the rootfs onto itself, detached by delete; else 0 */
  struct berth_hook_list poststart; /* kept for start and delete: the bundle may be gone */
  struct berth_hook_list poststop;
  const char *config_text;  /* create: the spec's JSON, saved whole as "config" */
  void *config;             /* loaded: that "config" (a json_t), NULL in states
                               of older versions */
  bool creating;            /* an early record: create has made the cgroup, not the
                               container yet (what to clean up if it crashes) */
  enum berth_status status; /* derived when loaded, never stored */
  bool oom_killed;          /* derived: stopped, and its cgroup saw an OOM kill */
};

const char *berth_status_name (enum berth_status s);

/* Validate a container ID: non-empty, [A-Za-z0-9_.+-], no leading '.', at most 1024 bytes.  */
int berth_id_validate (const char *id, berth_error_t *err);

/* Reserve ID under root (created if missing): creates ROOT/ID.json, empty,
 * and returns it open and exclusively locked.  "container `ID` already
 * exists" when a live or finished container holds the ID; the file of a
 * create that crashed (unlocked, and empty, torn or an early record) is
 * taken over, the cgroup it names removed.  */
int berth_state_reserve (const char *root, const char *id, int *fd, berth_error_t *err);

/* Write the state into the reserved file, in one write.  With
 * state->creating, an early record that reads as "creating" and tells a
 * later create or delete what a crashed create left (its cgroup).  */
int berth_state_save (int fd, const struct berth_state *state, berth_error_t *err);

/* Lock an existing container exclusively (blocks) and load it from the
 * locked file.  */
int berth_state_lock (const char *root, const char *id, int *fd, struct berth_state **out,
                      berth_error_t *err);

/* Load ROOT/ID.json without locking and derive the status; a file still
 * being written reads as "creating".  "container `ID` does not exist"
 * (errno ENOENT) when there is none.  */
int berth_state_load (const char *root, const char *id, struct berth_state **out,
                      berth_error_t *err);

/* Remove ROOT/ID.json (the caller holds its lock).  */
int berth_state_remove (const char *root, const char *id, berth_error_t *err);

void berth_state_free (struct berth_state *state);

/* The spec saved at create (exec and delete need no bundle).  ENOENT when
 * the state predates saved specs.  */
int berth_state_spec (const struct berth_state *state, struct berth_spec **out,
                      berth_error_t *err);

/* The runtime-spec state JSON for hooks and `state` (caller frees).  */
char *berth_state_to_json (const struct berth_state *state, enum berth_status status, bool pretty);

/* Start time of PID from /proc/PID/stat (0 when it is gone).  Sets *zombie.  */
unsigned long long berth_proc_start_time (pid_t pid, bool *zombie);

/* Whether state->pid is still the container's process (not exited, not a
 * zombie, not a reused PID).  */
bool berth_state_process_alive (const struct berth_state *state);

/* IDs of every container under root (NULL-terminated, caller frees).  */
int berth_state_list_ids (const char *root, char ***ids, berth_error_t *err);

#endif
