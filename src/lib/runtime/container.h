/* The OCI lifecycle of one container: create, start, run, state, kill,
 * delete, list.  Every front end (berth-runtime, berth, tests) calls these.  */
#ifndef BERTH_CONTAINER_H
#define BERTH_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "berth/container.h"
#include "error.h"
#include "state.h"

struct berth_runtime
{
  const char *root; /* state root, e.g. /run/berth-runtime */
  bool systemd_cgroup;
  bool rootless;
  bool debug;
  berth_log_fn log; /* warnings and debug lines (see log.h), may be NULL */
  void *log_data;
  const char *seccomp_cache; /* compiled seccomp programs (seccomp_cache.h); NULL: none */
  bool keep_cgroup_parents;  /* see berth_cgroup_config.keep_parents */
};

struct berth_create_options
{
  const char *id;
  const struct berth_spec *spec; /* the spec in memory; else spec_json; else: */
  const char *spec_json;
  const char *bundle;         /* directory with config.json; NULL = cwd (or none
                                 with spec/spec_json) */
  const char *config_path;    /* overrides bundle/config.json when set */
  const char *pid_file;       /* may be NULL */
  const char *console_socket; /* may be NULL */
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds; /* fds 3 .. 3+N-1 pass to the container */
  int listen_fds;   /* socket activation: fds after the preserved ones */
  const int *stdio; /* the container process's 0, 1, 2; NULL: ours */
  bool want_pty;    /* a terminal's master comes back to the caller */
  bool detach;      /* run only */
  bool for_run;     /* set by berth_container_run */
};

/* create: set up everything and leave the process blocked before exec.
 * On return the container is "created".  *pid (may be NULL) gets its PID.  */
int berth_container_create (const struct berth_runtime *rt, const struct berth_create_options *o,
                            pid_t *pid, berth_error_t *err);

/* create for the library: also the pty master (process.terminal without a
 * console socket), or -1.  */
int berth_container_create_process (const struct berth_runtime *rt,
                                    const struct berth_create_options *o, pid_t *pid,
                                    int *pty_master, berth_error_t *err);

/* start: release the created process to exec the user program; poststart hooks.  */
int berth_container_start (const struct berth_runtime *rt, const char *id, berth_error_t *err);

/* run: create + start; unless detached, forward signals, wait, delete, and
 * give the process's exit status (128+signal when killed) in *exit_status.  */
int berth_container_run (const struct berth_runtime *rt, const struct berth_create_options *o,
                         int *exit_status, berth_error_t *err);

/* state: the runtime-spec state JSON (caller frees).  */
int berth_container_state (const struct berth_runtime *rt, const char *id, char **json,
                           berth_error_t *err);

/* kill: send sig to the container process, or to all of its processes.  */
int berth_container_kill (const struct berth_runtime *rt, const char *id, int sig, bool all,
                          berth_error_t *err);

/* delete: remove a stopped (or created) container; force kills a running one.
 * Runs poststop hooks.  */
int berth_container_delete (const struct berth_runtime *rt, const char *id, bool force,
                            berth_error_t *err);

/* Every container under the root, loaded with live status.  */
int berth_container_list (const struct berth_runtime *rt, struct berth_state ***states,
                          size_t *n, berth_error_t *err);

struct berth_exec_options
{
  const char *id;
  const char *process_path;   /* --process FILE: a process JSON */
  const char *process_json;   /* or the process JSON itself */
  char *const *args;          /* or inline args on top of the container's process */
  const char *cwd;            /* --cwd */
  char *const *env;           /* --env NAME=VALUE, NULL-terminated */
  const char *user;           /* --user UID[:GID] */
  char *const *caps;          /* --cap CAP_X, added to every set */
  bool no_new_privs;          /* --no-new-privs */
  bool tty;                   /* --tty */
  bool detach;                /* --detach */
  const char *pid_file;       /* --pid-file */
  const char *console_socket; /* --console-socket */
  int preserve_fds;           /* --preserve-fds */
  const int *stdio;           /* the process's 0, 1, 2; NULL: ours */
  bool want_pty;              /* a terminal's master comes back to the caller */
};

/* exec up to the process's execve: *pid is our child, *pty_master its
 * terminal (or -1).  */
int berth_container_exec_spawn (const struct berth_runtime *rt, const struct berth_exec_options *o,
                                pid_t *pid, int *pty_master, berth_error_t *err);

/* exec: run a new process in a running container; unless detached, wait for
 * it and give its exit status (128+signal when killed).  */
int berth_container_exec (const struct berth_runtime *rt, const struct berth_exec_options *o,
                          int *exit_status, berth_error_t *err);

struct berth_resources;

/* pause/resume: freeze and thaw the container's cgroup.  */
int berth_container_pause (const struct berth_runtime *rt, const char *id, berth_error_t *err);
int berth_container_resume (const struct berth_runtime *rt, const char *id, berth_error_t *err);

/* Every process of the container (caller frees *pids).  */
int berth_container_pids (const struct berth_runtime *rt, const char *id, pid_t **pids, size_t *n,
                          berth_error_t *err);

/* Change the limits of a live container (only the fields given).  */
int berth_container_update (const struct berth_runtime *rt, const char *id,
                            const struct berth_resources *res, berth_error_t *err);

/* One {"type":"stats","id":..,"data":{..}} event, in runc's shape.  */
int berth_container_stats (const struct berth_runtime *rt, const char *id, json_t **event,
                           berth_error_t *err);

/* Event stream: emit gets each event (and owns it); non-zero stops.  */
typedef int (*berth_event_fn) (json_t *event, void *data);
int berth_container_events (const struct berth_runtime *rt, const char *id, int interval_ms,
                            berth_event_fn emit, void *data, berth_error_t *err);

/* Whether the kernel's OOM killer has killed a process of the container.  */
int berth_container_oom_killed (const struct berth_runtime *rt, const char *id, bool *killed,
                                berth_error_t *err);

/* Signal name ("KILL", "SIGKILL") or number ("9") to a number; -1 if invalid.  */
int berth_signal_parse (const char *s);

#endif
