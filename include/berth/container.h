/* libberth: the OCI lifecycle of containers, called in-process.
 *
 * The library leaves the calling process as it found it: it does not
 * chdir, leaves no signal mask changed and no namespace joined, reads
 * nothing from the caller's environment or argv, and is safe to call from a
 * process with threads (see berth_create).  Every call takes a context
 * (state root, log callback) made once.  */
#ifndef BERTH_PUBLIC_CONTAINER_H
#define BERTH_PUBLIC_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <berth/error.h>
#include <berth/spec.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct berth_context berth_context;

enum berth_log_level
{
  BERTH_LOG_ERROR,
  BERTH_LOG_WARNING, /* e.g. a failing poststart or poststop hook */
  BERTH_LOG_INFO,
  BERTH_LOG_DEBUG,   /* only when berth_context_options.debug */
};

/* Called from the thread that made the call; msg is one line, no newline.  */
typedef void (*berth_log_fn) (enum berth_log_level level, const char *msg, void *data);

struct berth_context_options
{
  const char *root; /* state directory, e.g. /run/berth (made when missing) */
  bool systemd_cgroup;
  bool rootless;
  bool debug;        /* deliver BERTH_LOG_DEBUG messages too */
  berth_log_fn log;  /* may be NULL: messages are dropped */
  void *log_data;
  /* Optional: a directory, private to the caller's euid, where compiled
   * seccomp programs are kept, so that a profile is compiled once per
   * kernel and libseccomp rather than at every create and exec.  */
  const char *seccomp_cache_dir;
  /* Leave the parents of the containers' cgroups (e.g. /berth of
   * /berth/<id>) in place when the last container goes, as Docker leaves
   * /docker: saves making and removing them at every container.  */
  bool keep_cgroup_parents;
};

BERTH_EXPORT int berth_context_new (const struct berth_context_options *o, berth_context **out,
                                    berth_error_t *err);
BERTH_EXPORT void berth_context_free (berth_context *ctx);

/* A process the call started: a child of the caller.  */
struct berth_process_handle
{
  pid_t pid;
  int pidfd;      /* for berth_wait and poll(2); the caller closes it */
  int pty_master; /* process.terminal: the pty's master (the caller closes it), else -1 */
};

struct berth_create_params
{
  const char *id;
  const berth_spec *spec; /* the spec, or NULL and: */
  const char *spec_json;  /* its JSON text */
  /* Optional: relative paths of the spec (root.path, bind sources) are
   * resolved against it, and hooks run in it.  The spec is saved with the
   * container's state: exec and delete never read the bundle again.  */
  const char *bundle;
  /* stdin, stdout and stderr of the container process, or NULL for the
   * caller's own 0, 1, 2.  Ignored with process.terminal (the pty is).  */
  const int *stdio;
  int preserve_fds; /* the caller's fds 3 .. 3+N-1 pass to the container */
  int listen_fds;   /* socket activation: that many fds from 3 are passed as
                       LISTEN_FDS, LISTEN_PID=1 (after the preserved ones) */
  bool no_pivot;
  bool no_new_keyring;
  const char *pid_file; /* written after create; may be NULL */
};

/* Create the container: on return it is "created", its process waits for
 * berth_start.  out->pidfd tells when it exits (berth_wait).
 *
 * The container's init is cloned from a single-threaded process: when the
 * caller has more than one thread, a short-lived helper is forked first
 * (glibc's fork leaves malloc usable in it) and clones the init as the
 * caller's child (CLONE_PARENT), so the init may use malloc and libseccomp.  */
BERTH_EXPORT int berth_create (berth_context *ctx, const struct berth_create_params *p,
                               struct berth_process_handle *out, berth_error_t *err);

/* Let the created process exec the user program; runs poststart hooks
 * (their failures reach the log callback as warnings).  */
BERTH_EXPORT int berth_start (berth_context *ctx, const char *id, berth_error_t *err);

BERTH_EXPORT int berth_kill (berth_context *ctx, const char *id, int sig, bool all,
                             berth_error_t *err);

/* Remove a stopped container (force: kill it first); runs poststop hooks.  */
BERTH_EXPORT int berth_delete (berth_context *ctx, const char *id, bool force,
                               berth_error_t *err);

struct berth_exec_params
{
  const char *id;
  const char *process_json; /* a runtime-spec process object; or: */
  char *const *args;        /* args on top of the container's saved process */
  const char *cwd;          /* with args: override process.cwd */
  char *const *env;         /* with args: NAME=VALUE set on top, NULL-terminated */
  bool tty;                 /* with args: a pty, its master in out->pty_master */
  const int *stdio;         /* as for create: NULL = the caller's 0, 1, 2 */
  int preserve_fds;
};

/* Start a process in a running (or created) container with the settings
 * saved at create (seccomp, labels, rlimits, capabilities, user...).  */
BERTH_EXPORT int berth_exec (berth_context *ctx, const struct berth_exec_params *p,
                             struct berth_process_handle *out, berth_error_t *err);

/* Wait for a process of berth_create or berth_exec (a child of the caller)
 * to exit and reap it: *exit_status is its exit code, 128+signal when
 * killed.  */
BERTH_EXPORT int berth_wait (int pidfd, int *exit_status, berth_error_t *err);

/* Relay the pty master of berth_create or berth_exec (process.terminal,
 * or an exec with tty) until the container's side closes it.  */
struct berth_relay_params
{
  int master; /* the pty master */
  int in_fd;  /* copied to the master; -1 for none */
  int out_fd; /* where the master's output goes */
  int tty_fd; /* the caller's terminal, or -1: raw mode while relaying (the
                 mode is restored on every return), its window size copied
                 to the master at the start and on SIGWINCH */
  /* Called instead of copying tty_fd's size (at the start with a tty_fd,
   * and on SIGWINCH); NULL for that default.  */
  void (*resize) (int master, void *data);
  void *resize_data;
  int pidfd; /* SIGTERM, SIGINT, SIGHUP and SIGQUIT the caller gets while
                relaying are sent to it; -1 to leave them alone */
};

/* The calling thread's signal mask is restored on return.  */
BERTH_EXPORT int berth_relay (const struct berth_relay_params *p, berth_error_t *err);

enum berth_container_status
{
  BERTH_CONTAINER_CREATING,
  BERTH_CONTAINER_CREATED,
  BERTH_CONTAINER_RUNNING,
  BERTH_CONTAINER_STOPPED,
  BERTH_CONTAINER_PAUSED,
};

struct berth_annotation
{
  char *key;
  char *value;
};

struct berth_container_info
{
  char *id;
  enum berth_container_status status;
  pid_t pid; /* 0 when stopped */
  char *created; /* RFC 3339, UTC */
  char *bundle;  /* "" when created from a spec alone */
  char *rootfs;
  struct berth_annotation *annotations;
  size_t n_annotations;
  char *cgroup_path; /* NULL when the container has no cgroup of its own */
  bool oom_killed;
};

/* BERTH_ENOENT when there is no such container.  */
BERTH_EXPORT int berth_lookup (berth_context *ctx, const char *id,
                               struct berth_container_info **out, berth_error_t *err);
BERTH_EXPORT void berth_container_info_free (struct berth_container_info *info);

/* Events as JSON text, in runc's shape ({"type":"stats"|"oom"|"exit",...}):
 * the last is {"type":"exit","id":..,"data":{"status":N}} when the
 * container stops (status -1 when nobody could see it).  A non-zero return
 * from fn stops the stream.  */
typedef int (*berth_event_cb) (const char *event_json, void *data);
BERTH_EXPORT int berth_events (berth_context *ctx, const char *id, int interval_ms,
                               berth_event_cb fn, void *data, berth_error_t *err);

#ifdef __cplusplus
}
#endif

#endif
