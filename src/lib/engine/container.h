/* The engine's containers: records shaped like Docker's `inspect` object,
 * the overlay root under ROOT/containers/<id>/{upper,work,rootfs}, and the
 * lifecycle over libberth (in-process) with a monitor per running
 * container.
 *
 * The monitor is the only process that creates, reaps and deletes the
 * container in the runtime: libberth makes the container's init a child of
 * its caller, so the monitor calls berth_create itself.  It holds
 * ROOT/containers/<id>/monitor.lock (flock) for its whole life; a record
 * that says running while nobody holds that lock belongs to a monitor that
 * was killed, and any later command repairs it (runtime state deleted,
 * rootfs unmounted, the record marked exited).  */
#ifndef BERTH_ENGINE_CONTAINER_H
#define BERTH_ENGINE_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "berth/container.h"
#include "engine/run_request.h"
#include "engine/store.h"
#include "error.h"
#include "image/image.h"
#include "runtime/container.h"

#define BERTH_ENGINE_DEFAULT_RUNROOT "/run/berth"
/* Docker's status for the engine's own errors.  */
#define BERTH_EXIT_STATUS_ERROR 125
/* The directory of the berth binary, set by berth before it re-executes
 * itself from a sealed copy: berth-monitor is looked up there.  */
#define BERTH_EXE_DIR_ENV "_BERTH_EXE_DIR"
/* Docker's default for --log-opt max-size.  */
#define BERTH_LOG_DEFAULT_MAX_SIZE (10 * 1024 * 1024)

struct berth_volume_store;
struct berth_engine;
struct berth_image_config;

/* Networking, plugged in by programs that link lib/net (berth; not the
 * static berth-monitor, which hands a networked --rm container's removal
 * to `berth rm`).  engine/network.c has the implementation.  */
struct berth_engine_net_ops
{
  /* Before anything is made: check the request (networks exist, ports
   * parse and are free, --ip fits) and plan the host objects into *plan
   * (recorded as Berth.Net before any is made); *netns_path is the
   * namespace the container joins (NULL: a new one from the runtime, or
   * none for host).  */
  int (*plan) (struct berth_engine *e, const struct berth_run_request *req,
               const struct berth_image_config *ic, const char *id, const char *name, json_t **plan,
               char **netns_path, berth_error_t *err);
  /* After the record is written: make what the plan says, fill the
   * record's NetworkSettings, write hosts/hostname/resolv.conf.  */
  int (*setup) (struct berth_engine *e, const char *id, const struct berth_run_request *req,
                json_t *rec, berth_error_t *err);
  /* Undo everything the record's Berth.Net names; missing pieces are fine. */
  void (*release) (struct berth_engine *e, const char *id, json_t *rec);
};

struct berth_engine
{
  char *root;
  char *runroot;
  struct berth_store *store;
  struct berth_volume_store *volumes; /* named volumes under root */
  struct berth_image_store *images; /* not owned */
  berth_context *ctx;               /* libberth, state under runroot */
  struct berth_runtime rt;          /* the same root, for pause/resume/pids */
  const struct berth_engine_net_ops *net_ops; /* NULL: no networking but none/host */
  void *net;                                  /* the ops' state */
};

int berth_engine_open (const char *root, const char *runroot, struct berth_image_store *images,
                       struct berth_engine **out, berth_error_t *err);
void berth_engine_close (struct berth_engine *e);

/* Make a container from REQ: record, name, upper/work dirs, config.json.
 * *id gets its ID.  */
int berth_engine_create (struct berth_engine *e, const struct berth_run_request *req,
                         char id[BERTH_ID_LEN + 1], berth_error_t *err);

/* Run the monitor of ID in the calling process: create and start the
 * container, report to sync_fd (when >= 0: "0\n" once started, or
 * "STATUS message\n"), relay or log its output, reap it, apply the restart
 * policy, clean up.  FOREGROUND: the container gets our stdio (or its pty
 * is relayed to it) and signals are forwarded.  *exit_status is what `run`
 * exits with: the container's status, or 125/126/127 when it could not
 * start.  */
int berth_engine_monitor (struct berth_engine *e, const char *id, int sync_fd, bool foreground,
                          int *exit_status, berth_error_t *err);

/* After berth_engine_monitor in a program without networking: whether
 * ID's --rm removal is left to `berth rm -f` (it has host network
 * objects).  */
bool berth_engine_monitor_handoff (struct berth_engine *e, const char *id);

/* Start ID detached: a monitor process (this program re-executed as
 * `berth monitor`) and wait for it to report.  *exit_status as above.  */
int berth_engine_start_detached (struct berth_engine *e, const char *id, int *exit_status,
                                 berth_error_t *err);

/* Find a container by ID, prefix or name, and repair what a killed command
 * left of it.  *record (may be NULL) gets its record.  */
int berth_engine_find (struct berth_engine *e, const char *ref, char id[BERTH_ID_LEN + 1],
                       json_t **record, berth_error_t *err);

/* Read ID's record after repairing it (see above).  */
int berth_engine_record (struct berth_engine *e, const char *id, json_t **record,
                         berth_error_t *err);

/* Update ID's record under its lock: fn changes the record in place.  */
typedef void (*berth_record_fn) (json_t *record, void *data);
int berth_engine_update_record (struct berth_engine *e, const char *id, berth_record_fn fn,
                                void *data, berth_error_t *err);

/* Whether ID's monitor runs.  */
bool berth_engine_monitor_alive (struct berth_engine *e, const char *id);

/* Stop: SIG (0: the container's stop signal), then SIGKILL after TIMEOUT
 * seconds (< 0: the container's own).  No restart follows.  */
int berth_engine_stop (struct berth_engine *e, const char *id, int sig, int timeout,
                       berth_error_t *err);
int berth_engine_kill (struct berth_engine *e, const char *id, int sig, berth_error_t *err);

/* Remove ID (FORCE: stop it first; VOLUMES: its anonymous volumes too).  */
int berth_engine_remove (struct berth_engine *e, const char *id, bool force, bool volumes,
                         berth_error_t *err);

/* Wait until ID is not running (up to timeout_ms, < 0 forever); 1 when it
 * stopped, 0 on timeout.  */
int berth_engine_wait_stopped (struct berth_engine *e, const char *id, long timeout_ms,
                               berth_error_t *err);

/* Paths: ROOT/containers/<id>/NAME; caller frees.  */
char *berth_engine_path (struct berth_engine *e, const char *id, const char *name);

/* Current time as RFC 3339 with nanoseconds, UTC.  */
void berth_engine_now (char buf[40]);
/* Parse such a time (seconds only); 0 when unparsable.  */
time_t berth_engine_parse_time (const char *s, long *nsec);

/* The image-store hook: whether a container record uses IMAGE_ID.  */
bool berth_engine_image_in_use (const char *image_id, void *data);

#endif
