/* The container's seccomp filter: compiled from the parsed linux.seccomp
 * with libseccomp, loaded with seccomp(2), and the SCMP_ACT_NOTIFY listener
 * handed to the agent at linux.seccomp.listenerPath.
 *
 * Two phases, so that the step in the container init is a single syscall:
 *   berth_seccomp_prepare   compile to BPF in memory; any time before the
 *                           init needs it (best in `create` before the
 *                           clone: the init inherits the compiled program);
 *   berth_seccomp_install   seccomp(SECCOMP_SET_MODE_FILTER) in the init.
 *
 * Where the init and exec install it (berth_process_confine in process.c
 * keeps the one copy of this order; runc uses it too; seccomp(2) without
 * no_new_privs needs CAP_SYS_ADMIN, so it depends on noNewPrivileges):
 *   - process.noNewPrivileges true: after berth_process_apply_capabilities
 *     (which sets PR_SET_NO_NEW_PRIVS), as late as possible, so that few of
 *     the runtime's own syscalls run under the container's profile;
 *   - noNewPrivileges false: before berth_process_set_user and
 *     berth_process_apply_capabilities, while the init still holds
 *     CAP_SYS_ADMIN; the container's capability set usually lacks it, and
 *     installing afterwards would fail with EACCES.  The profile then also
 *     filters the runtime's setresuid/capset/prctl calls, as with runc.
 * Every syscall after the install (the sync with `create`, waiting for
 * `start`, startContainer hooks, execve) must be allowed by the profile.
 *
 * With SCMP_ACT_NOTIFY, install returns the listener fd (close-on-exec).
 * The init must hand it to `create` over the sync socket *before* the sync
 * that finishes the handshake, with one sendmsg: until the agent holds the
 * fd, a notified syscall would block forever.  That is why prepare refuses
 * NOTIFY for sendmsg (runc refuses it for write, which its init uses), and
 * the parser refuses NOTIFY as the default action.  `create` (outside the
 * container, so listenerPath resolves on the host) then calls
 * berth_seccomp_send_listener with the state JSON ("creating") before it
 * lets the init go on.  */
#ifndef BERTH_SECCOMP_FILTER_H
#define BERTH_SECCOMP_FILTER_H

#include <stdbool.h>

#include "error.h"
#include "oci/seccomp.h"

struct berth_seccomp_filter; /* compiled BPF program and seccomp(2) flags */

/* Compile S.  Unknown syscall names (not on this kernel/arch or unknown to
 * libseccomp) are skipped, as runc does; so are rules whose action equals
 * the default action.  Arg conditions of one rule are ANDed, except when two
 * name the same argument index: then, as in runc, each condition becomes a
 * rule of its own (ORed).  defaultErrnoRet/errnoRet default to EPERM.  */
int berth_seccomp_prepare (const struct berth_seccomp *s, struct berth_seccomp_filter **out,
                           berth_error_t *err);

/* Load the filter into the calling thread (all threads with
 * SECCOMP_FILTER_FLAG_TSYNC).  *notify_fd is the listener fd when the
 * profile uses SCMP_ACT_NOTIFY, -1 otherwise.  */
int berth_seccomp_install (const struct berth_seccomp_filter *f, int *notify_fd,
                           berth_error_t *err);

/* Whether the filter produces a listener fd.  */
bool berth_seccomp_filter_uses_notify (const struct berth_seccomp_filter *f);

/* Number of BPF instructions (for tests and debugging).  */
unsigned berth_seccomp_filter_length (const struct berth_seccomp_filter *f);

/* The compiled program of F (struct sock_filter[berth_seccomp_filter_length]),
 * owned by F: what seccomp_cache.c keeps.  */
const void *berth_seccomp_filter_program (const struct berth_seccomp_filter *f);

/* A filter for S from a program compiled before (LEN instructions, copied):
 * the seccomp(2) flags and the listener come from S as with
 * berth_seccomp_prepare, the program is taken as it is.  */
int berth_seccomp_filter_from_program (const struct berth_seccomp *s, const void *insns,
                                       unsigned len, struct berth_seccomp_filter **out,
                                       berth_error_t *err);

void berth_seccomp_filter_free (struct berth_seccomp_filter *f);

/* Connect to the AF_UNIX SOCK_STREAM socket at LISTENER_PATH and send the
 * runtime-spec "container process state":
 *   {"ociVersion", "fds": ["seccompFd"], "pid", "metadata", "state"}
 * where state is STATE_JSON (the `state` output; ociVersion and pid are
 * taken from it) and metadata is omitted when METADATA is NULL; NOTIFY_FD
 * goes with the first sendmsg as SCM_RIGHTS.  One message per connection,
 * closed afterwards, as the spec asks.  */
int berth_seccomp_send_listener (const char *listener_path, int notify_fd, const char *state_json,
                                 const char *metadata, berth_error_t *err);

static inline void
berth_seccomp_filter_freep (struct berth_seccomp_filter **f)
{
  berth_seccomp_filter_free (*f);
}
#define cleanup_seccomp_filter __attribute__ ((cleanup (berth_seccomp_filter_freep)))

#endif
