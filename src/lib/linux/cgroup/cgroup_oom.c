/* Out-of-memory events of the container: the count of OOM kills (for a
 * container that died: was it the OOM killer?) and a descriptor that wakes
 * a poll loop on OOM (`events`): v1 through an eventfd registered with
 * cgroup.event_control on memory.oom_control, v2 through inotify on
 * memory.events.  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cleanup.h"
#include "cgroup_internal.h"

struct berth_cgroup_oom_watch
{
  int fd;         /* eventfd (v1) or inotify (v2) */
  int control_fd; /* v1: memory.oom_control, kept open while registered */
  int version;
  char *dir;     /* the container's memory cgroup */
  uint64_t last; /* v2: memory.events "oom" at the last read */
};

int
berth_cgroup_oom_kill_count (const struct berth_cgroup *cg, uint64_t *n, berth_error_t *err)
{
  const char *dir;
  int version = cg_locate (cg, "memory", "memory", &dir);

  *n = 0;
  if (version == 0)
    return 0;
  if (cg_read_keyed (dir, version == 1 ? "memory.oom_control" : "memory.events", "oom_kill", n, err)
      < 0)
    return berth_error_wrap (err, "OOM kill count of `%s`", cg->path);
  return 0;
}

void
berth_cgroup_oom_watch_free (struct berth_cgroup_oom_watch *w)
{
  if (w == NULL)
    return;
  if (w->fd >= 0)
    close (w->fd);
  if (w->control_fd >= 0)
    close (w->control_fd);
  free (w->dir);
  free (w);
}

static void
oom_watch_freep (struct berth_cgroup_oom_watch **w)
{
  berth_cgroup_oom_watch_free (*w);
}

static int
open_v1 (struct berth_cgroup_oom_watch *w, berth_error_t *err)
{
  cleanup_free char *control = NULL;
  char registration[64];

  w->fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (w->fd < 0)
    return berth_error (err, errno, "eventfd");
  if (asprintf (&control, "%s/memory.oom_control", w->dir) < 0)
    return berth_error (err, ENOMEM, "OOM watch");
  w->control_fd = open (control, O_RDONLY | O_CLOEXEC);
  if (w->control_fd < 0)
    return berth_error (err, errno, "open `%s`", control);
  snprintf (registration, sizeof (registration), "%d %d", w->fd, w->control_fd);
  return cg_write (w->dir, "cgroup.event_control", registration, err);
}

static int
open_v2 (struct berth_cgroup_oom_watch *w, berth_error_t *err)
{
  cleanup_free char *events = NULL;

  w->fd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
  if (w->fd < 0)
    return berth_error (err, errno, "inotify_init1");
  if (asprintf (&events, "%s/memory.events", w->dir) < 0)
    return berth_error (err, ENOMEM, "OOM watch");
  if (inotify_add_watch (w->fd, events, IN_MODIFY) < 0)
    return berth_error (err, errno, "watch `%s`", events);
  return cg_read_keyed (w->dir, "memory.events", "oom", &w->last, err);
}

int
berth_cgroup_oom_watch_open (const struct berth_cgroup *cg, struct berth_cgroup_oom_watch **out,
                             berth_error_t *err)
{
  __attribute__ ((cleanup (oom_watch_freep))) struct berth_cgroup_oom_watch *w = NULL;
  const char *dir;
  int version = cg_locate (cg, "memory", "memory", &dir);

  if (version == 0)
    return berth_error (err, ENOTSUP, "watch OOM of `%s`: no memory cgroup controller", cg->path);
  w = calloc (1, sizeof (*w));
  if (w == NULL)
    return berth_error (err, ENOMEM, "OOM watch");
  w->fd = w->control_fd = -1;
  w->version = version;
  if ((w->dir = strdup (dir)) == NULL)
    return berth_error (err, ENOMEM, "OOM watch");
  if ((version == 1 ? open_v1 (w, err) : open_v2 (w, err)) < 0)
    return berth_error_wrap (err, "watch OOM of `%s`", cg->path);
  *out = steal_pointer (&w);
  return 0;
}

int
berth_cgroup_oom_watch_fd (const struct berth_cgroup_oom_watch *w)
{
  return w->fd;
}

/* v1: the eventfd counts notifications; it also fires when the cgroup is
 * removed, which is not an OOM.  */
static int
read_v1 (struct berth_cgroup_oom_watch *w, uint64_t *events, berth_error_t *err)
{
  uint64_t count = 0;

  if (read (w->fd, &count, sizeof (count)) < 0 && errno != EAGAIN)
    return berth_error (err, errno, "read OOM eventfd");
  *events = access (w->dir, F_OK) == 0 ? count : 0;
  return 0;
}

static int
read_v2 (struct berth_cgroup_oom_watch *w, uint64_t *events, berth_error_t *err)
{
  char buf[4096];
  uint64_t now = 0;

  while (read (w->fd, buf, sizeof (buf)) > 0)
    ; /* drain */
  if (cg_read_keyed (w->dir, "memory.events", "oom", &now, err) < 0)
    {
      if ((*err)->status != ENOENT)
        return berth_error_ret (err);
      berth_error_release (err); /* the cgroup is gone */
      now = w->last;
    }
  *events = now > w->last ? now - w->last : 0;
  w->last = now;
  return 0;
}

int
berth_cgroup_oom_watch_read (struct berth_cgroup_oom_watch *w, uint64_t *events, berth_error_t *err)
{
  *events = 0;
  return w->version == 1 ? read_v1 (w, events, err) : read_v2 (w, events, err);
}
