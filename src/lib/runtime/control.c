/* Controlling a live container through its cgroup: pause and resume, its
 * processes, updating its limits, statistics and the event stream (stats
 * at an interval, OOM kills as they happen).  */
#include "container.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/cgroup/cgroup.h"
#include "oci/resources.h"
#include "util.h"

static void
cgroup_freep (struct berth_cgroup **cg)
{
  berth_cgroup_free (*cg);
}
#define cleanup_cgroup __attribute__ ((cleanup (cgroup_freep)))

/* The container's state and cgroup; fails for a container without one
 * (a rootless container on a host that does not delegate cgroups).  */
static int
load_with_cgroup (const struct berth_runtime *rt, const char *id, struct berth_state **st,
                  struct berth_cgroup **cg, berth_error_t *err)
{
  if (berth_state_load (rt->root, id, st, err) < 0)
    return berth_error_ret (err);
  if ((*st)->cgroup == NULL)
    return berth_error (err, ENOTSUP, "container `%s` has no cgroup", id);
  return berth_cgroup_load ((*st)->cgroup, cg, err);
}

static int
set_paused (const struct berth_runtime *rt, const char *id, bool pause, berth_error_t *err)
{
  struct berth_state *st = NULL;
  cleanup_cgroup struct berth_cgroup *cg = NULL;
  enum berth_status want = pause ? BERTH_STATUS_RUNNING : BERTH_STATUS_PAUSED;
  int r = load_with_cgroup (rt, id, &st, &cg, err);

  if (r == 0 && st->status != want)
    r = berth_error (err, 0, "cannot %s container `%s`: it is %s", pause ? "pause" : "resume", id,
                     berth_status_name (st->status));
  if (r == 0)
    r = berth_cgroup_set_frozen (cg, pause, err);
  berth_state_free (st);
  return r;
}

int
berth_container_pause (const struct berth_runtime *rt, const char *id, berth_error_t *err)
{
  return set_paused (rt, id, true, err);
}

int
berth_container_resume (const struct berth_runtime *rt, const char *id, berth_error_t *err)
{
  return set_paused (rt, id, false, err);
}

int
berth_container_pids (const struct berth_runtime *rt, const char *id, pid_t **pids, size_t *n,
                      berth_error_t *err)
{
  struct berth_state *st = NULL;
  cleanup_cgroup struct berth_cgroup *cg = NULL;
  int r = load_with_cgroup (rt, id, &st, &cg, err);

  if (r == 0)
    r = berth_cgroup_get_pids (cg, pids, n, err);
  berth_state_free (st);
  return r;
}

int
berth_container_update (const struct berth_runtime *rt, const char *id,
                        const struct berth_resources *res, berth_error_t *err)
{
  struct berth_state *st = NULL;
  cleanup_cgroup struct berth_cgroup *cg = NULL;
  int r = load_with_cgroup (rt, id, &st, &cg, err);

  if (r == 0 && st->status == BERTH_STATUS_STOPPED)
    r = berth_error (err, 0, "cannot update container `%s`: it is stopped", id);
  if (r == 0)
    r = berth_cgroup_update (cg, res, err);
  berth_state_free (st);
  return r;
}

static json_t *
event (const char *type, const char *id, json_t *data)
{
  json_t *o = json_pack ("{s:s,s:s}", "type", type, "id", id);
  if (data)
    json_object_set_new (o, "data", data);
  return o;
}

int
berth_container_stats (const struct berth_runtime *rt, const char *id, json_t **out,
                       berth_error_t *err)
{
  struct berth_state *st = NULL;
  cleanup_cgroup struct berth_cgroup *cg = NULL;
  json_t *data = NULL;
  int r = load_with_cgroup (rt, id, &st, &cg, err);

  if (r == 0 && st->status == BERTH_STATUS_STOPPED)
    r = berth_error (err, 0, "container `%s` is stopped", id);
  if (r == 0)
    r = berth_cgroup_stats (cg, &data, err);
  if (r == 0)
    *out = event ("stats", id, data);
  berth_state_free (st);
  return r;
}

/* The exit status of a process that has just exited: seen without reaping
 * it by its parent (waitid WNOWAIT), else by anyone from /proc/PID/stat's
 * exit_code (field 52) while it is a zombie; -1 when it is gone already.  */
static int
exit_status_of (pid_t pid, int pidfd)
{
  siginfo_t si = { 0 };
  char path[64], buf[2048], *p;
  cleanup_close int fd = -1;
  ssize_t n;
  int field = 3;
  long code;

  if (waitid (P_PIDFD, (id_t) pidfd, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
    return si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
  snprintf (path, sizeof (path), "/proc/%d/stat", pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  n = fd < 0 ? -1 : read (fd, buf, sizeof (buf) - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  p = strrchr (buf, ')');
  if (p == NULL || p[1] == '\0' || (p[2] != 'Z' && p[2] != 'X'))
    return -1;
  for (p += 2; p && field < 52; field++)
    {
      p = strchr (p, ' ');
      if (p)
        p++;
    }
  if (p == NULL || !berth_parse_long (strtok (p, " \n"), &code))
    return -1;
  return WIFEXITED (code) ? WEXITSTATUS (code) : 128 + WTERMSIG (code);
}

/* Stats every interval and OOM kills as they come, until the container's
 * process is gone (a pidfd says so: then an "exit" event with its status)
 * or emit returns non-zero.  */
int
berth_container_events (const struct berth_runtime *rt, const char *id, int interval_ms,
                        berth_event_fn emit, void *data, berth_error_t *err)
{
  struct berth_state *st = NULL;
  cleanup_cgroup struct berth_cgroup *cg = NULL;
  struct berth_cgroup_oom_watch *watch = NULL;
  cleanup_close int pidfd = -1;
  int r = load_with_cgroup (rt, id, &st, &cg, err);

  if (r < 0)
    goto out;
  if (st->status == BERTH_STATUS_STOPPED)
    {
      r = berth_error (err, 0, "container `%s` is stopped", id);
      goto out;
    }
  /* Pinned first, then checked: a reused pid is not the container.  */
  pidfd = berth_pidfd_open (st->pid);
  if (pidfd < 0 || !berth_state_process_alive (st))
    {
      r = berth_error (err, 0, "container `%s` is stopped", id);
      goto out;
    }
  /* No memory controller, no OOM events: stats alone then.  */
  if (berth_cgroup_oom_watch_open (cg, &watch, NULL) < 0)
    watch = NULL;
  for (;;)
    {
      struct pollfd p[2] = { { pidfd, POLLIN, 0 },
                             { watch ? berth_cgroup_oom_watch_fd (watch) : -1, POLLIN, 0 } };
      json_t *data_obj = NULL;
      int n = poll (p, 2, interval_ms);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          r = berth_error (err, errno, "events");
          break;
        }
      if (p[1].revents & POLLIN)
        {
          uint64_t count = 0;
          if (berth_cgroup_oom_watch_read (watch, &count, NULL) == 0 && count > 0
              && emit (event ("oom", id, NULL), data) != 0)
            break;
        }
      if (p[0].revents & POLLIN)
        {
          emit (event ("exit", id,
                       json_pack ("{s:i}", "status", exit_status_of (st->pid, pidfd))),
                data);
          break;
        }
      if (n == 0 && berth_cgroup_stats (cg, &data_obj, NULL) == 0
          && emit (event ("stats", id, data_obj), data) != 0)
        break;
    }
out:
  berth_cgroup_oom_watch_free (watch);
  berth_state_free (st);
  return r;
}

int
berth_container_oom_killed (const struct berth_runtime *rt, const char *id, bool *killed,
                            berth_error_t *err)
{
  struct berth_state *st = NULL;
  cleanup_cgroup struct berth_cgroup *cg = NULL;
  uint64_t n = 0;
  int r = load_with_cgroup (rt, id, &st, &cg, err);

  if (r == 0)
    r = berth_cgroup_oom_kill_count (cg, &n, err);
  *killed = n > 0;
  berth_state_free (st);
  return r;
}
