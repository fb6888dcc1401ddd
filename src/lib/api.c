/* The public API (include/berth/): thin wrappers that turn the library's
 * internal structs into the plain C structs and opaque handles callers see.
 * Only what is declared with BERTH_EXPORT leaves the shared library.  */
#include "berth/berth.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/cgroup/cgroup.h"
#include "linux/terminal.h"
#include "runtime/container.h"
#include "util.h"

struct berth_context
{
  struct berth_runtime rt;
  char *root;
  char *seccomp_cache;
};

int
berth_context_new (const struct berth_context_options *o, berth_context **out, berth_error_t *err)
{
  berth_context *ctx;

  if (o == NULL || o->root == NULL || o->root[0] != '/')
    {
      berth_error (err, EINVAL, "context: the state root must be an absolute path");
      return berth_error_set_code (err, BERTH_EINVAL);
    }
  ctx = calloc (1, sizeof (*ctx));
  if (ctx == NULL || (ctx->root = strdup (o->root)) == NULL
      || (o->seccomp_cache_dir && (ctx->seccomp_cache = strdup (o->seccomp_cache_dir)) == NULL))
    {
      if (ctx)
        free (ctx->root);
      free (ctx);
      return berth_error (err, ENOMEM, "context");
    }
  ctx->rt = (struct berth_runtime){ .root = ctx->root,
                                    .systemd_cgroup = o->systemd_cgroup,
                                    .rootless = o->rootless,
                                    .debug = o->debug,
                                    .log = o->log,
                                    .log_data = o->log_data,
                                    .seccomp_cache = ctx->seccomp_cache,
                                    .keep_cgroup_parents = o->keep_cgroup_parents };
  *out = ctx;
  return 0;
}

void
berth_context_free (berth_context *ctx)
{
  if (ctx == NULL)
    return;
  free (ctx->root);
  free (ctx->seccomp_cache);
  free (ctx);
}

/* The process is our child and not reaped: its pid cannot be reused yet.  */
static int
fill_handle (pid_t pid, int pty_master, struct berth_process_handle *out, berth_error_t *err)
{
  int pidfd = berth_pidfd_open (pid);

  if (pidfd < 0)
    {
      int e = errno;
      if (pty_master >= 0)
        close (pty_master);
      return berth_error (err, e, "pidfd_open %d", pid);
    }
  out->pid = pid;
  out->pidfd = pidfd;
  out->pty_master = pty_master;
  return 0;
}

int
berth_create (berth_context *ctx, const struct berth_create_params *p,
              struct berth_process_handle *out, berth_error_t *err)
{
  struct berth_create_options o = {
    .id = p->id,
    .spec = p->spec,
    .spec_json = p->spec_json,
    .bundle = p->bundle,
    .pid_file = p->pid_file,
    .no_pivot = p->no_pivot,
    .no_new_keyring = p->no_new_keyring,
    .preserve_fds = p->preserve_fds,
    .listen_fds = p->listen_fds,
    .stdio = p->stdio,
    .want_pty = true,
  };
  int master = -1;
  pid_t pid;

  if (p->spec == NULL && p->spec_json == NULL)
    {
      berth_error (err, EINVAL, "create: no spec given");
      return berth_error_set_code (err, BERTH_EINVAL);
    }
  if (berth_container_create_process (&ctx->rt, &o, &pid, &master, err) < 0)
    return berth_error_ret (err);
  if (fill_handle (pid, master, out, err) < 0)
    {
      berth_error_t ignored = NULL;
      berth_container_delete (&ctx->rt, p->id, true, &ignored);
      berth_error_release (&ignored);
      return berth_error_ret (err);
    }
  return 0;
}

int
berth_start (berth_context *ctx, const char *id, berth_error_t *err)
{
  return berth_container_start (&ctx->rt, id, err);
}

int
berth_kill (berth_context *ctx, const char *id, int sig, bool all, berth_error_t *err)
{
  return berth_container_kill (&ctx->rt, id, sig, all, err);
}

int
berth_delete (berth_context *ctx, const char *id, bool force, berth_error_t *err)
{
  return berth_container_delete (&ctx->rt, id, force, err);
}

int
berth_exec (berth_context *ctx, const struct berth_exec_params *p, struct berth_process_handle *out,
            berth_error_t *err)
{
  struct berth_exec_options o = {
    .id = p->id,
    .process_json = p->process_json,
    .args = p->args,
    .cwd = p->cwd,
    .env = p->env,
    .tty = p->tty,
    .stdio = p->stdio,
    .preserve_fds = p->preserve_fds,
    .want_pty = true,
    .detach = true,
  };
  int master = -1;
  pid_t pid;

  if (p->process_json == NULL && (p->args == NULL || p->args[0] == NULL))
    {
      berth_error (err, EINVAL, "exec: no process given");
      return berth_error_set_code (err, BERTH_EINVAL);
    }
  if (berth_container_exec_spawn (&ctx->rt, &o, &pid, &master, err) < 0)
    return berth_error_ret (err);
  if (fill_handle (pid, master, out, err) < 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      return berth_error_ret (err);
    }
  return 0;
}

int
berth_wait (int pidfd, int *exit_status, berth_error_t *err)
{
  siginfo_t si = { 0 };

  while (waitid (P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0)
    if (errno != EINTR)
      return berth_error (err, errno, "wait");
  if (si.si_code == CLD_EXITED)
    *exit_status = si.si_status;
  else
    *exit_status = 128 + si.si_status;
  return 0;
}

int
berth_relay (const struct berth_relay_params *p, berth_error_t *err)
{
  struct berth_terminal_relay r = {
    .master = p->master,
    .in_fd = p->in_fd,
    .out_fd = p->out_fd,
    .tty_fd = p->tty_fd,
    .resize = p->resize,
    .resize_data = p->resize_data,
    .pidfd = p->pidfd,
  };

  return berth_terminal_relay (&r, err);
}

static enum berth_container_status
public_status (enum berth_status s)
{
  switch (s)
    {
    case BERTH_STATUS_CREATING:
      return BERTH_CONTAINER_CREATING;
    case BERTH_STATUS_CREATED:
      return BERTH_CONTAINER_CREATED;
    case BERTH_STATUS_RUNNING:
      return BERTH_CONTAINER_RUNNING;
    case BERTH_STATUS_PAUSED:
      return BERTH_CONTAINER_PAUSED;
    case BERTH_STATUS_STOPPED:
    default:
      return BERTH_CONTAINER_STOPPED;
    }
}

int
berth_lookup (berth_context *ctx, const char *id, struct berth_container_info **out,
              berth_error_t *err)
{
  struct berth_state *st = NULL;
  struct berth_container_info *info;

  if (berth_state_load (ctx->rt.root, id, &st, err) < 0)
    return berth_error_ret (err);
  info = calloc (1, sizeof (*info));
  if (info == NULL)
    {
      berth_state_free (st);
      return berth_error (err, ENOMEM, "lookup");
    }
  info->id = steal_pointer (&st->id);
  info->status = public_status (st->status);
  info->pid = st->status == BERTH_STATUS_STOPPED ? 0 : st->pid;
  info->created = steal_pointer (&st->created);
  info->bundle = steal_pointer (&st->bundle);
  info->rootfs = steal_pointer (&st->rootfs);
  info->oom_killed = st->oom_killed;
  if (st->cgroup)
    {
      struct berth_cgroup *cg = NULL;
      if (berth_cgroup_load (st->cgroup, &cg, NULL) == 0 && berth_cgroup_path (cg))
        info->cgroup_path = strdup (berth_cgroup_path (cg));
      berth_cgroup_free (cg);
    }
  /* Same layout: a key and a value, both strings the info now owns.  */
  info->annotations = calloc (st->n_annotations + 1, sizeof (*info->annotations));
  for (size_t i = 0; info->annotations && i < st->n_annotations; i++)
    {
      info->annotations[i].key = steal_pointer (&st->annotations[i].key);
      info->annotations[i].value = steal_pointer (&st->annotations[i].value);
      info->n_annotations++;
    }
  berth_state_free (st);
  *out = info;
  return 0;
}

void
berth_container_info_free (struct berth_container_info *info)
{
  if (info == NULL)
    return;
  free (info->id);
  free (info->created);
  free (info->bundle);
  free (info->rootfs);
  free (info->cgroup_path);
  for (size_t i = 0; i < info->n_annotations; i++)
    {
      free (info->annotations[i].key);
      free (info->annotations[i].value);
    }
  free (info->annotations);
  free (info);
}

struct event_relay
{
  berth_event_cb fn;
  void *data;
};

static int
relay_event (json_t *event, void *data)
{
  struct event_relay *r = data;
  char *text = json_dumps (event, JSON_COMPACT);
  int ret = text ? r->fn (text, r->data) : 0;

  free (text);
  json_decref (event);
  return ret;
}

int
berth_events (berth_context *ctx, const char *id, int interval_ms, berth_event_cb fn, void *data,
              berth_error_t *err)
{
  struct event_relay r = { fn, data };
  return berth_container_events (&ctx->rt, id, interval_ms, relay_event, &r, err);
}
