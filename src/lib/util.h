/* Small file and string helpers shared by every subsystem.  */
#ifndef BERTH_UTIL_H
#define BERTH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <dirent.h>
#include <sys/types.h>

#include "error.h"

/* True only in berth-runtime-weakened, a build for the security tests:
 * the protections that test against escapes through the runtime's own fds
 * (fds closed first, not dumpable, cwd checked, the cgroup recorded
 * before it is made)
 * are skipped there, so a test can show its attack works before showing
 * that berth stops it.  */
#ifdef BERTH_TEST_WEAKENED
#define BERTH_WEAKENED 1
#else
#define BERTH_WEAKENED 0
#endif

/* Read a whole file (NUL-terminated); *len may be NULL.  */
int berth_read_file (const char *path, char **out, size_t *len, berth_error_t *err);
int berth_read_fd (int fd, char **out, size_t *len, berth_error_t *err);

/* Write data to path (create/truncate).  */
int berth_write_file (const char *path, const void *data, size_t len, mode_t mode,
                      berth_error_t *err);

/* Write to path.tmp then rename over path, so readers never see a torn file.  */
int berth_write_file_atomic (const char *path, const void *data, size_t len, mode_t mode,
                             berth_error_t *err);

/* Write all of buf to fd, retrying on EINTR and short writes.  */
int berth_write_all (int fd, const void *buf, size_t len);

/* The fields of /proc/PID/stat that berth reads.  */
struct berth_proc_stat
{
  char state;                    /* field 3: R, S, D, Z, X... */
  unsigned long flags;           /* field 9: the kernel's PF_* flags */
  long num_threads;              /* field 20 */
  unsigned long long start_time; /* field 22: clock ticks since boot */
};

/* Read /proc/PID/stat (pid 0: this process); false when it is gone.  */
bool berth_proc_stat_read (pid_t pid, struct berth_proc_stat *out);

/* Threads of this process (/proc/self/stat field 20); 0 when unknown.  */
long berth_thread_count (void);

/* mkdir -p; existing directories are fine.  */
int berth_mkdir_p (const char *path, mode_t mode, berth_error_t *err);

/* Make DIR (mkdir -p, 0700), then open PATH in it (created 0600) and take
 * an exclusive flock on it: the returned fd holds the lock until closed.  */
int berth_lock_file (const char *dir, const char *path, berth_error_t *err);

/* rm -rf of a directory tree that must not cross mount points.  */
int berth_remove_tree (const char *path, berth_error_t *err);

/* Number of entries of a NULL-terminated vector (0 for NULL).  */
size_t berth_strv_len (char *const *v);

/* Whether the environment vector has NAME=...; returns the value or NULL.  */
const char *berth_strv_getenv (char *const *env, const char *name);

/* Parse a decimal integer fully; returns false on junk or overflow.  */
bool berth_parse_long (const char *s, long *out);

/* Monotonic clock in milliseconds, and a sleep of that unit (for the few
 * places that must poll the kernel, e.g. a cgroup settling).  */
long berth_now_ms (void);
void berth_sleep_ms (long ms);

/* Close every fd except those below KEEP_BELOW and the N_KEEP in KEEP:
 * close_range(2) over the gaps, or, where the kernel (or a seccomp profile)
 * has none, one by one as /proc/self/fd lists them.  No allocation: fit for
 * a cloned child.  0 or -errno (e.g. no /proc without close_range).  */
#define BERTH_FDS_BY_PROC 1U /* flag: skip close_range (tests the fallback) */
int berth_close_fds_except (int keep_below, const int *keep, size_t n_keep, unsigned flags);

/* The first step of a child that becomes a container process, while it
 * still holds whatever its parent had open: keep stdio and the N_PASSED
 * fds from 3 on that are meant for the container (--preserve-fds,
 * LISTEN_FDS; those of them marked close-on-exec are the runtime's own and
 * go too), and the fds the child itself still needs, *OWN[i] (-1 for none;
 * moved above the passed range when they are in it, updated in place).
 * Everything else is closed.  FLAGS as for berth_close_fds_except.  */
int berth_fds_for_container (int n_passed, int *const own[], size_t n_own, unsigned flags);

/* A directory stream of PATH under DIRFD ("." for DIRFD itself), with its
 * own descriptor; NULL with errno set (nothing left open) on failure.  */
DIR *berth_opendir_at (int dirfd, const char *path);

/* Close every fd >= from; 0 or -errno.  */
int berth_close_fds_from (int from);

/* Mark every fd >= from close-on-exec (CLOSE_RANGE_CLOEXEC, or one by one
 * through /proc/self/fd on kernels without it).  */
int berth_cloexec_fds_from (int from);

/* Write PID as text to PATH atomically and safely in a directory others
 * may write: a new file of a random name next to PATH (O_CREAT|O_EXCL|
 * O_NOFOLLOW), renamed over PATH.  */
int berth_write_pid_file (const char *path, pid_t pid, berth_error_t *err);

/* pidfd_open(2) and pidfd_send_signal(2); -1 with errno set on failure.  */
int berth_pidfd_open (pid_t pid);
int berth_pidfd_send_signal (int pidfd, int sig);

/* SIGKILL a child (through pidfd when >= 0, so a reused pid is never hit)
 * and reap it.  Nothing for pid <= 0.  */
void berth_kill_and_reap (pid_t pid, int pidfd);

#endif
