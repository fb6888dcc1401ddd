/* The container process's own setup, in the container init just before
 * execve: rlimits, oom score, user and groups, umask, capabilities,
 * no_new_privs, executable lookup.  */
#ifndef BERTH_PROCESS_H
#define BERTH_PROCESS_H

#include <stdbool.h>

#include "error.h"
#include "oci/spec.h"

/* Resolve process->args[0] against PATH from process->env (default
 * "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") in the
 * current root; fail with "exec `foo`: executable file not found in $PATH"
 * style errors.  Called after pivot_root so it can fail at create time.  */
int berth_process_find_executable (const struct berth_process *process, char **path,
                                   berth_error_t *err);

/* rlimits and oomScoreAdj: done while still fully privileged.  */
/* Make fds[0..2] this process's stdin, stdout and stderr (overlaps with
 * 0..2 allowed).  For a child that is about to become the container's
 * process: the caller passes its stdio as descriptors.  */
int berth_process_install_stdio (const int fds[3], berth_error_t *err);

int berth_process_apply_limits (const struct berth_process *process, berth_error_t *err);

/* setgroups (additionalGids; skipped when setgroups is denied in a user
 * namespace), setresgid, setresuid keeping capabilities across the uid
 * change, umask (default 0022).  */
int berth_process_set_user (const struct berth_process *process, bool setgroups_allowed,
                            berth_error_t *err);

/* Apply the five capability sets (bounding drop, capset, ambient raise) and
 * then PR_SET_NO_NEW_PRIVS when asked.  When process->capabilities.present is
 * false, all capabilities are dropped.  */
int berth_process_apply_capabilities (const struct berth_process *process, berth_error_t *err);

struct berth_seccomp_filter;

/* Drop to the process's user and capabilities with the seccomp filter
 * placed where seccomp_filter.h says (one copy of that order, for the
 * container init and for exec): before set_user without no_new_privs,
 * after the capabilities with it.  install(data) loads the filter and
 * hands on a listener.  With defer, a no_new_privs filter without a
 * listener is left for the caller to install as late as it can
 * (*deferred set); the init does, after waiting for start.  */
int berth_process_confine (const struct berth_process *process, bool setgroups_allowed,
                           const struct berth_seccomp_filter *filter, bool defer,
                           int (*install) (void *data, berth_error_t *err), void *data,
                           bool *deferred, berth_error_t *err);

/* Every signal back to its default action.  Ignored ones would survive
 * execve: a runtime started in the background by a shell ignores SIGINT
 * and SIGQUIT, and a container process started with them ignored cannot
 * even trap them, so forwarding them would do nothing.  */
void berth_process_reset_signals (void);

/* chdir to process->cwd (made first when missing and CREATE), then check
 * with getcwd that it lies inside the current root: a cwd through
 * /proc/self/fd/N or a symlink must not land outside ("cwd ... is outside
 * the container root").  */
int berth_process_enter_cwd (const struct berth_process *process, bool create, berth_error_t *err);

/* execve the resolved path with args and env; returns only on failure.  */
int berth_process_exec (const struct berth_process *process, const char *path,
                        berth_error_t *err);

/* The capability and rlimit name tables (berth_capability_from_name...).  */
#include "oci/names.h"

#endif
