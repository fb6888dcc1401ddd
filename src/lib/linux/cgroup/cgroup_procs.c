/* The container's processes as the cgroup sees them: joining
 * (cgroup.procs), listing, signalling without hitting recycled pids, and
 * killing everything before removal.  */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"
#include "cgroup_internal.h"

#define KILL_TIMEOUT_MS 10000

/* Joining.  */

/* A task still being forked (TASK_NEW) is refused with EINVAL for a moment.  */
static int
write_pid (const char *dir, pid_t pid, berth_error_t *err)
{
  char buf[24];

  snprintf (buf, sizeof (buf), "%d", (int)pid);
  for (int attempt = 0;; attempt++)
    {
      if (cg_write (dir, "cgroup.procs", buf, err) == 0)
        return 0;
      if ((*err)->status != EINVAL || attempt == 4)
        return berth_error_ret (err);
      berth_error_release (err);
      berth_sleep_ms (30);
    }
}

int
berth_cgroup_enter (const struct berth_cgroup *cg, pid_t pid, berth_error_t *err)
{
  for (size_t i = 0; i < cg->n_v1; i++)
    if (write_pid (cg->v1[i].dir, pid, err) < 0)
      return berth_error_wrap (err, "join cgroup `%s`", cg->path);
  if (cg->has_v2 && write_pid (cg->v2.dir, pid, err) < 0)
    return berth_error_wrap (err, "join cgroup `%s`", cg->path);
  return 0;
}

/* Moving a process takes the kernel's global threadgroup lock, whose write
 * side waits for an RCU grace period (10-20 ms on this VM).  A
 * single-threaded process moving itself ("0", the calling thread) through a
 * v1 `tasks` file skips that lock, so the container init and exec'd
 * processes join this way, as root outside a user namespace.  The v2
 * hierarchy has no such path: cgroup.procs there.  */
int
berth_cgroup_enter_self_v1 (const struct berth_cgroup *cg, berth_error_t *err)
{
  for (size_t i = 0; i < cg->n_v1; i++)
    if (cg_write (cg->v1[i].dir, "tasks", "0", err) < 0)
      return berth_error_wrap (err, "join cgroup `%s`", cg->path);
  return 0;
}

int
berth_cgroup_enter_self (const struct berth_cgroup *cg, berth_error_t *err)
{
  if (berth_cgroup_enter_self_v1 (cg, err) < 0)
    return berth_error_ret (err);
  if (cg->has_v2 && cg_write (cg->v2.dir, "cgroup.procs", "0", err) < 0)
    return berth_error_wrap (err, "join cgroup `%s`", cg->path);
  return 0;
}

/* Listing.  */

const char *
cg_primary_dir (const struct berth_cgroup *cg)
{
  static const char *const preferred[] = { "pids", "freezer", "memory", "cpu" };

  if (cg->has_v2)
    return cg->v2.dir;
  for (size_t i = 0; i < sizeof (preferred) / sizeof (preferred[0]); i++)
    if (cg_v1_dir (cg, preferred[i]))
      return cg_v1_dir (cg, preferred[i]);
  return cg->n_v1 ? cg->v1[0].dir : NULL;
}

int
berth_cgroup_get_pids (const struct berth_cgroup *cg, pid_t **pids, size_t *n, berth_error_t *err)
{
  cleanup_free pid_t *found = NULL;
  const char *dir = cg_primary_dir (cg);
  size_t count = 0;

  if (dir && cg_read_pids (dir, true, &found, &count, err) < 0)
    return berth_error_wrap (err, "list processes of cgroup `%s`", cg->path);
  cg_pids_normalize (found, &count);
  *pids = steal_pointer (&found);
  *n = count;
  return 0;
}

/* Every pid in any hierarchy: a process may have left one of them.  */
static int
all_pids (const struct berth_cgroup *cg, pid_t **pids, size_t *n, berth_error_t *err)
{
  *pids = NULL;
  *n = 0;
  for (size_t i = 0; i < cg->n_v1; i++)
    if (cg_read_pids (cg->v1[i].dir, true, pids, n, err) < 0)
      return berth_error_ret (err);
  if (cg->has_v2 && cg_read_pids (cg->v2.dir, true, pids, n, err) < 0)
    return berth_error_ret (err);
  cg_pids_normalize (*pids, n);
  return 0;
}

/* Signalling.  */

/* Whether /proc/PID/cgroup puts PID in the cgroup or below it.  */
static bool
pid_in_cgroup (const struct berth_cgroup *cg, pid_t pid)
{
  cleanup_free char *proc = NULL;
  cleanup_free char *text = NULL;
  cleanup_error berth_error_t err = NULL;
  size_t len = strlen (cg->path);
  char *line, *save = NULL;

  if (asprintf (&proc, "/proc/%d/cgroup", (int)pid) < 0
      || berth_read_file (proc, &text, NULL, &err) < 0)
    return false;
  for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *path = strchr (line, ':');

      path = path ? strchr (path + 1, ':') : NULL;
      if (path && strncmp (path + 1, cg->path, len) == 0
          && (path[1 + len] == '\0' || path[1 + len] == '/'))
        return true;
    }
  return false;
}

/* The pid is pinned with a pidfd first and then checked to be in the
 * cgroup, so that a pid recycled since cgroup.procs was read is left
 * alone.  */
static int
signal_member (const struct berth_cgroup *cg, pid_t pid, int sig, berth_error_t *err)
{
  cleanup_close int pidfd = berth_pidfd_open (pid);

  if (pidfd < 0 && errno == ESRCH)
    return 0;
  if (pidfd < 0 && errno != ENOSYS)
    return berth_error (err, errno, "pidfd_open %d", (int)pid);
  if (!pid_in_cgroup (cg, pid))
    return 0;
  if (pidfd < 0)
    {
      if (kill (pid, sig) < 0 && errno != ESRCH)
        return berth_error (err, errno, "kill %d", (int)pid);
      return 0;
    }
  if (syscall (__NR_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 && errno != ESRCH)
    return berth_error (err, errno, "signal %d", (int)pid);
  return 0;
}

int
berth_cgroup_signal_all (const struct berth_cgroup *cg, int sig, berth_error_t *err)
{
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;

  if (berth_cgroup_get_pids (cg, &pids, &n, err) < 0)
    return berth_error_ret (err);
  for (size_t i = 0; i < n; i++)
    if (signal_member (cg, pids[i], sig, err) < 0)
      return berth_error_wrap (err, "signal cgroup `%s`", cg->path);
  return 0;
}

/* Killing.  */

/* cgroup.kill (Linux 5.14) kills the whole subtree at once, frozen tasks
 * and racing forks included.  */
static void
kill_by_kill_file (const struct berth_cgroup *cg)
{
  cleanup_error berth_error_t err = NULL;

  if (!cg->fake && cg->has_v2 && cg_file_exists (cg->v2.dir, "cgroup.kill"))
    cg_write (cg->v2.dir, "cgroup.kill", "1", &err);
}

/* One round without cgroup.kill: freeze so nothing forks meanwhile,
 * SIGKILL each pid, thaw so that frozen tasks (v1) can die.  */
static int
kill_round (const struct berth_cgroup *cg, const pid_t *pids, size_t n, berth_error_t *err)
{
  cleanup_error berth_error_t freeze_err = NULL;
  bool froze = cg_freeze_request (cg, true, &freeze_err) == 0;
  int r = 0;

  for (size_t i = 0; i < n && r == 0; i++)
    r = signal_member (cg, pids[i], SIGKILL, err);
  if (froze)
    cg_freeze_request (cg, false, &freeze_err);
  return r;
}

int
cg_kill_all (const struct berth_cgroup *cg, berth_error_t *err)
{
  long deadline = berth_now_ms () + KILL_TIMEOUT_MS;

  if (cg->fake)
    return 0; /* a stand-in tree lists no real processes */
  kill_by_kill_file (cg);
  for (int round = 0;; round++)
    {
      cleanup_free pid_t *pids = NULL;
      size_t n = 0;

      if (all_pids (cg, &pids, &n, err) < 0)
        return berth_error_ret (err);
      if (n == 0)
        return 0;
      if (berth_now_ms () > deadline)
        return berth_error (err, EBUSY, "%zu processes (pid %d first) survive SIGKILL in `%s`", n,
                            (int)pids[0], cg->path);
      if (round > 0 && kill_round (cg, pids, n, err) < 0)
        return berth_error_ret (err);
      berth_sleep_ms (round < 10 ? 2 : 20);
    }
}
