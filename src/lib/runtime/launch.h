/* Private to runtime/: what the runtime process (create) and the container
 * init it clones share, and the messages they exchange on the sync socket
 * (exec's child speaks the same messages).  */
#ifndef BERTH_LAUNCH_H
#define BERTH_LAUNCH_H

#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>

#include "error.h"
#include "oci/spec.h"
#include "container.h"

struct berth_seccomp_filter;
struct berth_cgroup;

enum berth_sync_type
{
  SYNC_USERNS_READY = 1, /* init -> runtime: write my uid/gid maps */
  SYNC_USERNS_MAPPED,    /* runtime -> init */
  SYNC_CHILD_PID,        /* init -> runtime: the container process is this PID */
  SYNC_HOOKS_REQUEST,    /* init -> runtime: mounts done, run prestart/createRuntime */
  SYNC_HOOKS_DONE,       /* runtime -> init: text = state JSON ("created") for the
                            in-container hooks */
  SYNC_READY,            /* init -> runtime: set up, about to wait for start */
  SYNC_TERMINAL,         /* init -> runtime: the pty master follows with SCM_RIGHTS */
  SYNC_SECCOMP_FD,       /* init -> runtime: the seccomp listener follows with SCM_RIGHTS */
  SYNC_CGROUP_REQUEST,   /* init -> runtime: put me in the container's cgroup */
  SYNC_CGROUP_JOINED,    /* runtime -> init: done (then the init makes its cgroup
                            namespace) */
  SYNC_STATE_SAVED,      /* runtime -> init: the state is on disk; the init then
                            stops dying with the runtime and closes its end */
  SYNC_ERROR,            /* init -> runtime: value = errno, text = message */
};

#define BERTH_SYNC_TEXT_MAX 65536

/* `start` releases the created init with this signal, queued with the
 * container's cookie; the init has it blocked from birth so it waits
 * pending, and takes it with sigwaitinfo.  No fifo, no file.  */
#define BERTH_START_SIGNAL (SIGRTMIN + 1)

struct berth_sync_msg
{
  uint32_t type;
  int32_t value;
  char text[BERTH_SYNC_TEXT_MAX];
};

int berth_sync_send (int fd, enum berth_sync_type type, int value, const char *text);
/* Receives one message; *msg is heap-allocated by the caller.  EOF gives
 * an error "container init exited".  */
int berth_sync_recv (int fd, struct berth_sync_msg *msg, berth_error_t *err);
/* The same, 1 for a message, 0 at EOF (the peer exec'd or exited).  */
int berth_sync_recv_or_eof (int fd, struct berth_sync_msg *msg, berth_error_t *err);
/* Receive and require TYPE (turning SYNC_ERROR into the error it carries).  */
int berth_sync_expect (int fd, enum berth_sync_type type, struct berth_sync_msg *msg,
                       berth_error_t *err);

struct berth_launch
{
  const struct berth_runtime *rt;
  const struct berth_create_options *opts;
  const struct berth_spec *spec;
  const char *rootfs;   /* absolute, resolved */
  const char *bundle;   /* the init's working directory (relative bind
                           sources), or NULL: the caller's */
  bool has_stdio;       /* stdio: the caller's fds for the process's 0, 1, 2 */
  int stdio[3];
  int sync_fd;          /* init's end */
  int lock_fd;          /* the runtime's container lock: init must not hold it */
  uint64_t start_cookie; /* `start` sends it with BERTH_START_SIGNAL */
  sigset_t exec_sigmask; /* the mask the user process starts with */
  int clone_flags;      /* namespaces created by clone */
  bool join_in_init;    /* namespaces by path (not pid) are joined in init */
  bool join_net_late;   /* only the network namespace is joined by path: clone
                           makes the others, the init joins it first */
  bool need_hooks_sync; /* prestart/createRuntime/createContainer/startContainer present */
  pid_t runtime_pid;
  bool runtime_unprivileged; /* our uid maps need us dumpable while it writes them */
  int listen_fds; /* socket activation: LISTEN_FDS passed to the container */
  int console_fd; /* connected --console-socket, or -1: then a terminal's
                     master goes to the runtime over the sync socket */
  struct berth_seccomp_filter *seccomp; /* compiled before the clone, or NULL */
  bool wait_cgroup;         /* the runtime puts us in a cgroup: wait for it before
                               making a cgroup namespace (rooted where we stand) */
  const char *cgroup_path;  /* that cgroup's path, for the cgroup mounts made meanwhile */
  const struct berth_cgroup *cgroup; /* the runtime's, inherited by fork: the init joins
                                        it itself when it can (see enter_self) */
  bool cgroupns_after_join; /* unshare the cgroup namespace once placed in the cgroup */
  bool born_in_v2;          /* hybrid: cloned into the v2 cgroup, so only the v1
                               hierarchies are left to join */
};

/* Wait for our child PID, passing it the signals in FORWARD that we get;
 * *exit_status is its status, 128+signal when killed.  */
int berth_wait_forwarding (pid_t pid, const sigset_t *forward, int *exit_status,
                           berth_error_t *err);

/* The same, after relaying the pty MASTER (when >= 0) to our stdin and
 * stdout, with TERM, INT, HUP and QUIT forwarded during the relay too; the
 * signals in FORWARD stay blocked from the relay to the end of the wait.  */
int berth_relay_and_wait (pid_t pid, int master, const sigset_t *forward, int *exit_status,
                          berth_error_t *err);

/* The container init: entered in the cloned child; never returns.  */
__attribute__ ((noreturn)) void berth_init_main (struct berth_launch *l);

#endif
