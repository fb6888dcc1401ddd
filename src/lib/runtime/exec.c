/* `exec`: a new process inside a running container: all of its init's
 * namespaces (joined at once through a pidfd), its root, its limits, user
 * and capabilities, optionally a terminal.  The process is a child of the
 * runtime, so a foreground exec returns its exit status.  */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "linux/cgroup/cgroup.h"
#include "linux/lsm_labels.h"
#include "linux/process.h"
#include "linux/seccomp_cache.h"
#include "linux/seccomp_filter.h"
#include "linux/terminal.h"
#include "oci/seccomp.h"
#include "oci/spec.h"
#include "util.h"
#include "launch.h"
#include "linux/namespaces.h"

static void
process_freep (struct berth_process **p)
{
  berth_process_free (*p);
}
#define cleanup_process __attribute__ ((cleanup (process_freep)))

/* --env NAME=VALUE replaces NAME in env or appends it.  */
static int
env_set (char ***env, const char *entry)
{
  const char *eq = strchr (entry, '=');
  size_t key = eq ? (size_t) (eq - entry) : strlen (entry), n = berth_strv_len (*env);
  char **v;

  for (size_t i = 0; i < n; i++)
    if (strncmp ((*env)[i], entry, key) == 0 && (*env)[i][key] == '=')
      {
        free ((*env)[i]);
        (*env)[i] = strdup (entry);
        return (*env)[i] ? 0 : -ENOMEM;
      }
  v = realloc (*env, (n + 2) * sizeof (char *));
  if (v == NULL)
    return -ENOMEM;
  v[n] = strdup (entry);
  v[n + 1] = NULL;
  *env = v;
  return v[n] ? 0 : -ENOMEM;
}

/* A decimal id in [BEGIN, END): digits only, at most 2^32-2 ((uid_t) -1
 * means "unchanged" to the kernel; more would wrap, 4294967296 to root).  */
static bool
parse_id (const char *begin, const char *end, uint32_t *out)
{
  uint64_t v = 0;

  if (begin == end)
    return false;
  for (const char *p = begin; p < end; p++)
    {
      if (*p < '0' || *p > '9')
        return false;
      v = v * 10 + (uint64_t) (*p - '0');
      if (v > UINT32_MAX - 1)
        return false;
    }
  *out = (uint32_t) v;
  return true;
}

static int
parse_user (const char *s, struct berth_user *u, berth_error_t *err)
{
  const char *colon = strchr (s, ':');
  uint32_t uid, gid = u->gid;

  if (!parse_id (s, colon ? colon : s + strlen (s), &uid)
      || (colon && !parse_id (colon + 1, colon + 1 + strlen (colon + 1), &gid)))
    return berth_error (err, 0, "exec: --user `%s`: expected UID[:GID], each 0 to 4294967294",
                        s);
  u->uid = uid;
  u->gid = gid;
  return 0;
}

/* The container's config as saved at create: the base process for inline
 * args (env, user, capabilities, rlimits... as runc does) and its seccomp
 * profile, which every exec'd process gets too.  An edited or removed
 * bundle changes nothing.  Only states of older versions, which saved no
 * config, read the bundle.  */
static int
load_container_spec (const struct berth_state *st, struct berth_spec **out, berth_error_t *err)
{
  cleanup_free char *path = NULL;

  if (st->config)
    return berth_state_spec (st, out, err);
  if (asprintf (&path, "%s/config.json", st->bundle) < 0)
    return berth_error (err, ENOMEM, "exec");
  if (berth_spec_load (path, out, err) < 0)
    return berth_error_wrap (err, "exec: the container's config");
  return 0;
}

static int
build_process (const struct berth_exec_options *o, struct berth_spec *spec,
               struct berth_process **out, berth_error_t *err)
{
  cleanup_process struct berth_process *p = NULL;

  if (o->process_json)
    {
      if (berth_process_parse (o->process_json, strlen (o->process_json), &p, err) < 0)
        {
          berth_error_wrap (err, "exec: process");
          return berth_error_set_code (err, BERTH_EINVAL);
        }
    }
  else if (o->process_path)
    {
      cleanup_free char *text = NULL;
      size_t len;
      if (berth_read_file (o->process_path, &text, &len, err) < 0
          || berth_process_parse (text, len, &p, err) < 0)
        return berth_error_wrap (err, "exec: --process");
    }
  else
    {
      size_t n = berth_strv_len (o->args);
      if (n == 0)
        return berth_error (err, 0, "exec: no command given (args or --process)");
      if (spec->process == NULL)
        return berth_error (err, 0, "exec: the container's config has no process");
      p = steal_pointer (&spec->process);
      berth_strv_freep (&p->args);
      p->args = calloc (n + 1, sizeof (char *));
      if (p->args == NULL)
        return berth_error (err, ENOMEM, "exec: args");
      for (size_t i = 0; i < n; i++)
        if ((p->args[i] = strdup (o->args[i])) == NULL)
          return berth_error (err, ENOMEM, "exec: args");
      p->terminal = o->tty;
      if (o->cwd)
        {
          free (p->cwd);
          p->cwd = strdup (o->cwd);
          if (p->cwd == NULL)
            return berth_error (err, ENOMEM, "exec: --cwd");
        }
    }
  for (char *const *e = o->env; e && *e; e++)
    if (env_set (&p->env, *e) < 0)
      return berth_error (err, ENOMEM, "exec: --env");
  if (o->user && parse_user (o->user, &p->user, err) < 0)
    return berth_error_ret (err);
  for (char *const *c = o->caps; c && *c; c++)
    {
      int cap = berth_capability_from_name (*c);
      uint64_t bit;
      if (cap < 0)
        return berth_error (err, 0, "exec: --cap: unknown capability `%s`", *c);
      bit = UINT64_C (1) << cap;
      p->capabilities.present = true;
      p->capabilities.bounding |= bit;
      p->capabilities.effective |= bit;
      p->capabilities.permitted |= bit;
      p->capabilities.inheritable |= bit;
      p->capabilities.ambient |= bit;
    }
  if (o->no_new_privs)
    p->no_new_privileges = true;
  if (p->cwd == NULL || p->cwd[0] != '/')
    return berth_error (err, 0, "exec: cwd `%s` must be an absolute path", p->cwd ?: "");
  if (p->terminal && o->console_socket == NULL && o->detach && !o->want_pty)
    return berth_error (err, 0, "exec: a terminal with --detach needs --console-socket");
  *out = steal_pointer (&p);
  return 0;
}

/* Namespaces of the container init that differ from ours: joining our own
 * user namespace again is an error, and the others would be no-ops.  */
static int
namespaces_to_join (pid_t pid)
{
  static const struct
  {
    const char *name;
    int flag;
  } ns[] = { { "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS },       { "pid", CLONE_NEWPID },
             { "net", CLONE_NEWNET },   { "ipc", CLONE_NEWIPC },      { "uts", CLONE_NEWUTS },
             { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME } };
  int flags = 0;

  for (size_t i = 0; i < sizeof (ns) / sizeof (ns[0]); i++)
    {
      char path[64];
      struct stat theirs, ours;
      snprintf (path, sizeof (path), "/proc/%d/ns/%s", pid, ns[i].name);
      if (stat (path, &theirs) < 0)
        continue;
      snprintf (path, sizeof (path), "/proc/self/ns/%s", ns[i].name);
      if (stat (path, &ours) < 0 || theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev)
        flags |= ns[i].flag;
    }
  return flags;
}

struct exec_child
{
  const struct berth_exec_options *o;
  const struct berth_process *p;
  int pidfd;
  int root_fd;
  int sync_fd; /* child's end of the sync socket (launch.h messages) */
  int console_fd;
  int join_flags;
  int children_flags; /* pid and time: they apply to our children only */
  const struct berth_seccomp_filter *seccomp;
  const struct berth_cgroup *cgroup;
  bool setgroups_allowed; /* false in a rootless container's user namespace */
};

static int
install_seccomp (void *data, berth_error_t *err)
{
  struct exec_child *c = data;
  int notify_fd = -1;

  if (c->seccomp == NULL)
    return 0;
  if (berth_seccomp_install (c->seccomp, &notify_fd, err) < 0)
    return berth_error_ret (err);
  if (notify_fd >= 0)
    {
      int r = berth_sync_send (c->sync_fd, SYNC_SECCOMP_FD, 0, NULL);
      if (r == 0)
        r = berth_send_fd (c->sync_fd, notify_fd, "seccomp", err);
      else
        r = berth_error (err, -r, "send seccomp listener");
      close (notify_fd);
      return r;
    }
  return 0;
}

/* pid and time namespaces take effect for children: once joined, clone
 * the process that goes on as the caller's child (CLONE_PARENT), tell the
 * caller its pid, and exit.  Here, not in the caller, so the caller's
 * thread never has them joined.  Returns in the new process only.  */
static int
fork_in_children_namespaces (struct exec_child *c, berth_error_t *err)
{
  pid_t child;

  if (c->children_flags == 0)
    return 0;
  child = (pid_t) syscall (SYS_clone, CLONE_PARENT, NULL, NULL, NULL, NULL);
  if (child < 0)
    return berth_error (err, errno, "clone into the container's pid namespace");
  if (child == 0)
    {
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      return 0;
    }
  berth_sync_send (c->sync_fd, SYNC_CHILD_PID, child, NULL);
  _exit (0);
}

static int
exec_child_setup (struct exec_child *c, berth_error_t *err)
{
  const struct berth_process *p = c->p;
  cleanup_free char *exe = NULL;
  int r;

  /* Into the container's cgroup first, by ourselves: cheap (see
   * berth_cgroup_enter_self), and we are still root outside its namespaces.  */
  if (c->cgroup && berth_cgroup_enter_self (c->cgroup, err) < 0)
    return berth_error_ret (err);
  if ((c->join_flags | c->children_flags)
      && setns (c->pidfd, c->join_flags | c->children_flags) < 0)
    return berth_error (err, errno, "join the container's namespaces");
  if (fork_in_children_namespaces (c, err) < 0)
    return berth_error_ret (err);
  close (c->pidfd);
  c->pidfd = -1;
  /* The init's root, not the mount namespace's: right after --no-pivot too.  */
  if (fchdir (c->root_fd) < 0 || chroot (".") < 0)
    return berth_error (err, errno, "enter the container's root");
  close (c->root_fd);
  c->root_fd = -1;
  if (berth_process_apply_limits (p, err) < 0)
    return berth_error_ret (err);
  if (p->terminal)
    {
      cleanup_close int master = -1;
      char name[64];
      if (berth_terminal_for_process (p, &master, name, err) < 0)
        return berth_error_ret (err);
      if (c->console_fd < 0 && berth_sync_send (c->sync_fd, SYNC_TERMINAL, 0, NULL) < 0)
        return berth_error (err, errno, "send terminal");
      if (berth_send_fd (c->console_fd >= 0 ? c->console_fd : c->sync_fd, master, name, err) < 0)
        return berth_error_ret (err);
    }
  if (berth_process_enter_cwd (p, false, err) < 0)
    return berth_error_wrap (err, "exec");
  if (berth_process_find_executable (p, &exe, err) < 0)
    return berth_error_ret (err);
  /* The same order as the container init (see seccomp_filter.h).  */
  if (berth_process_confine (p, c->setgroups_allowed, c->seccomp, false, install_seccomp, c, NULL,
                             err)
      < 0)
    return berth_error_ret (err);
  if (berth_lsm_set_exec_label (p, err) < 0)
    return berth_error_ret (err);
  r = berth_cloexec_fds_from (3 + c->o->preserve_fds);
  if (r < 0)
    return berth_error (err, -r, "mark fds close-on-exec");
  berth_process_reset_signals ();
  /* A detached process outlives the runtime; pdeathsig would survive exec.  */
  prctl (PR_SET_PDEATHSIG, 0);
  return berth_process_exec (p, exe, err);
}

__attribute__ ((noreturn)) static void
exec_child_main (struct exec_child *c)
{
  berth_error_t err = NULL;
  int *const own[] = { &c->sync_fd, &c->console_fd, &c->pidfd, &c->root_fd };
  sigset_t none;
  int r;

  /* First: we hold every fd the runtime had (the host's cgroup directory
   * for clone3 among them); keep only the passed ones and the four we use,
   * two of which go as soon as they are used.  Then not dumpable until
   * execve, so the container cannot reach into us meanwhile.  */
  /* The caller's stdio goes in place before the rest is closed.  */
  if (c->o->stdio && !c->p->terminal && berth_process_install_stdio (c->o->stdio, &err) < 0)
    goto fail;
  r = BERTH_WEAKENED ? 0 : berth_fds_for_container (c->o->preserve_fds, own, 4, 0);
  if (r == 0 && !BERTH_WEAKENED && prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    r = -errno;
  if (r < 0)
    {
      berth_error (&err, -r, "exec: close the runtime's fds");
      goto fail;
    }
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  exec_child_setup (c, &err);
fail:
  berth_sync_send (c->sync_fd, SYNC_ERROR, err ? err->status : 0,
                   err && err->msg ? err->msg : "exec failed");
  _exit (127);
}

/* The child's verdict, in launch.h's messages: EOF (its end closed on
 * exec) is success; SYNC_ERROR its failure; SYNC_TERMINAL and
 * SYNC_SECCOMP_FD come with an fd: the pty master for us, the seccomp
 * listener for the agent; SYNC_CHILD_PID names the process that replaced
 * the one we forked (pid namespace joined).  */
static int
await_exec (int sync_fd, pid_t *pid, int *master, const struct berth_spec *spec,
            const struct berth_state *st, berth_error_t *err)
{
  cleanup_free struct berth_sync_msg *m = malloc (sizeof (*m));

  if (m == NULL)
    return berth_error (err, ENOMEM, "exec");
  for (;;)
    {
      int fd = -1, r = berth_sync_recv_or_eof (sync_fd, m, err);

      if (r < 0)
        return r;
      if (r == 0)
        return 0;
      switch (m->type)
        {
        case SYNC_ERROR:
          return berth_error (err, 0, "%s", m->text);
        case SYNC_CHILD_PID:
          while (waitpid (*pid, NULL, 0) < 0 && errno == EINTR)
            ;
          *pid = m->value;
          break;
        case SYNC_TERMINAL:
          if (berth_recv_fd (sync_fd, &fd, err) < 0)
            return berth_error_ret (err);
          if (*master >= 0)
            close (*master);
          *master = fd;
          break;
        case SYNC_SECCOMP_FD:
          {
            cleanup_free char *json = NULL;
            if (berth_recv_fd (sync_fd, &fd, err) < 0)
              return berth_error_ret (err);
            if (spec->linux_.seccomp == NULL)
              {
                close (fd);
                break;
              }
            json = berth_state_to_json (st, st->status, false);
            r = berth_seccomp_send_listener (spec->linux_.seccomp->listener_path, fd, json,
                                             spec->linux_.seccomp->listener_metadata, err);
            close (fd);
            if (r < 0)
              return r;
            break;
          }
        default:
          return berth_error (err, EPROTO, "unexpected message %u from exec child", m->type);
        }
    }
}

/* A foreground exec passes on every signal that can be caught and is not
 * about our own faults.  */
static int
relay_and_wait (pid_t pid, int master, int *exit_status, berth_error_t *err)
{
  sigset_t set;

  sigemptyset (&set);
  for (int s = 1; s < 32; s++)
    if (s != SIGKILL && s != SIGSTOP && s != SIGCHLD && s != SIGSEGV && s != SIGBUS
        && s != SIGILL && s != SIGFPE)
      sigaddset (&set, s);
  return berth_relay_and_wait (pid, master, &set, exit_status, err);
}

/* On pure cgroup v2 the process is born in the container's cgroup (clone3
 * with CLONE_INTO_CGROUP: no migration); elsewhere it joins it itself.  */
static pid_t
fork_into_cgroup (struct exec_child *c, const struct berth_cgroup *cg)
{
  cleanup_close int dirfd = -1;
  struct clone_args args = { .exit_signal = SIGCHLD, .flags = CLONE_INTO_CGROUP };
  pid_t pid;

  /* A raw clone in a caller with threads could leave malloc's lock held
   * in the child: glibc's fork() then.  */
  if (cg && berth_cgroup_mode (cg) == BERTH_CGROUP_MODE_UNIFIED && berth_thread_count () == 1
      && berth_cgroup_open_dir_fd (cg, &dirfd, NULL) == 0)
    {
      args.cgroup = (uint64_t) dirfd;
      c->cgroup = NULL;
      pid = (pid_t) syscall (SYS_clone3, &args, sizeof (args));
      if (pid >= 0)
        return pid;
      c->cgroup = cg;
    }
  return fork ();
}

int
berth_container_exec_spawn (const struct berth_runtime *rt, const struct berth_exec_options *o,
                            pid_t *pid_out, int *pty_master, berth_error_t *err)
{
  struct berth_state *st = NULL;
  struct berth_spec *spec = NULL;
  cleanup_seccomp_filter struct berth_seccomp_filter *filter = NULL;
  cleanup_process struct berth_process *p = NULL;
  struct berth_cgroup *cg = NULL;
  cleanup_close int pidfd = -1, root_fd = -1, console_fd = -1, master = -1;
  int socks[2], r;
  char path[64];
  struct exec_child c;
  pid_t pid;

  *pty_master = -1;
  if (berth_state_load (rt->root, o->id, &st, err) < 0)
    return berth_error_ret (err);
  if (st->status != BERTH_STATUS_RUNNING && st->status != BERTH_STATUS_CREATED)
    {
      berth_error (err, 0, "cannot exec in container `%s`: it is %s", o->id,
                   berth_status_name (st->status));
      r = berth_error_set_code (err, BERTH_ESTATE);
      goto out;
    }
  r = load_container_spec (st, &spec, err);
  if (r < 0)
    goto out;
  r = build_process (o, spec, &p, err);
  if (r < 0)
    goto out;
  if (spec->linux_.seccomp)
    {
      r = berth_seccomp_prepare_cached (spec->linux_.seccomp, rt->seccomp_cache, &filter, err);
      if (r < 0)
        goto out;
    }
  /* The exec'd process counts against the container's limits.  */
  if (st->cgroup && (r = berth_cgroup_load (st->cgroup, &cg, err)) < 0)
    goto out;
  pidfd = berth_pidfd_open (st->pid);
  snprintf (path, sizeof (path), "/proc/%d/root", st->pid);
  root_fd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (pidfd < 0 || root_fd < 0 || !berth_state_process_alive (st))
    {
      berth_error (err, ESRCH, "cannot exec in container `%s`: its process is gone", o->id);
      r = berth_error_set_code (err, BERTH_ESTATE);
      goto out;
    }
  if (p->terminal && o->console_socket)
    {
      console_fd = berth_console_socket_connect (o->console_socket, err);
      if (console_fd < 0)
        {
          r = console_fd;
          goto out;
        }
    }
  c = (struct exec_child){ .o = o, .p = p, .pidfd = pidfd, .root_fd = root_fd,
                           .console_fd = console_fd,
                           .join_flags = namespaces_to_join (st->pid), .seccomp = filter,
                           .cgroup = cg,
                           .setgroups_allowed = berth_userns_setgroups_allowed (st->pid) };
  /* pid and time namespaces apply to children: the child joins them and
   * forks once more (see fork_in_children_namespaces).  */
  c.children_flags = c.join_flags & (CLONE_NEWPID | CLONE_NEWTIME);
  c.join_flags &= ~c.children_flags;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, socks) < 0)
    {
      r = berth_error (err, errno, "socketpair");
      goto out;
    }
  c.sync_fd = socks[1];
  /* Cached now: inside the container, /sys is the container's.  */
  berth_lsm_apparmor_enabled ();
  berth_lsm_selinux_enabled ();
  pid = fork_into_cgroup (&c, cg);
  if (pid == 0)
    exec_child_main (&c);
  close (socks[1]);
  if (pid < 0)
    {
      close (socks[0]);
      r = berth_error (err, errno, "fork");
      goto out;
    }
  r = await_exec (socks[0], &pid, &master, spec, st, err);
  close (socks[0]);
  if (r < 0)
    {
      berth_kill_and_reap (pid, -1);
      goto out;
    }
  berth_log (rt, BERTH_LOG_DEBUG, "exec in `%s`: process %d", o->id, pid);
  *pid_out = pid;
  *pty_master = steal_fd (&master);
out:
  berth_cgroup_free (cg);
  berth_spec_free (spec);
  berth_state_free (st);
  return r;
}

int
berth_container_exec (const struct berth_runtime *rt, const struct berth_exec_options *o,
                      int *exit_status, berth_error_t *err)
{
  cleanup_close int master = -1;
  pid_t pid;

  if (berth_container_exec_spawn (rt, o, &pid, &master, err) < 0)
    return berth_error_ret (err);
  if (o->pid_file && berth_write_pid_file (o->pid_file, pid, err) < 0)
    return berth_error_ret (err);
  *exit_status = 0;
  if (o->detach)
    return 0;
  return relay_and_wait (pid, master, exit_status, err);
}
