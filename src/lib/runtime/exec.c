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
#include "linux/cgroup/cgroup.h"
#include "linux/lsm_labels.h"
#include "linux/process.h"
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

/* The container's config: the base process for inline args (env, user,
 * capabilities, rlimits... as runc does) and its seccomp profile, which
 * every exec'd process gets too.  */
static int
load_container_spec (const struct berth_state *st, struct berth_spec **out, berth_error_t *err)
{
  cleanup_free char *path = NULL;

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

  if (o->process_path)
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
      for (size_t i = 0; p->args && i < n; i++)
        p->args[i] = strdup (o->args[i]);
      p->terminal = o->tty;
      if (o->cwd)
        {
          free (p->cwd);
          p->cwd = strdup (o->cwd);
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
  if (p->terminal && o->console_socket == NULL && o->detach)
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
  int sync_fd; /* child's end: error text, or the pty master */
  int console_fd;
  int join_flags;
  const struct berth_seccomp_filter *seccomp;
  const struct berth_cgroup *cgroup;
  bool setgroups_allowed; /* false in a rootless container's user namespace */
};

static int
install_seccomp (struct exec_child *c, berth_error_t *err)
{
  int notify_fd = -1;

  if (c->seccomp == NULL)
    return 0;
  if (berth_seccomp_install (c->seccomp, &notify_fd, err) < 0)
    return berth_error_ret (err);
  if (notify_fd >= 0)
    {
      int r = berth_send_fd (c->sync_fd, notify_fd, "seccomp", err);
      close (notify_fd);
      return r;
    }
  return 0;
}

static int
exec_child_setup (struct exec_child *c, berth_error_t *err)
{
  const struct berth_process *p = c->p;
  cleanup_free char *exe = NULL;

  /* Into the container's cgroup first, by ourselves: cheap (see
   * berth_cgroup_enter_self), and we are still root outside its namespaces.  */
  if (c->cgroup && berth_cgroup_enter_self (c->cgroup, err) < 0)
    return berth_error_ret (err);
  if (c->join_flags && setns (c->pidfd, c->join_flags) < 0)
    return berth_error (err, errno, "join the container's namespaces");
  /* The init's root, not the mount namespace's: right after --no-pivot too.  */
  if (fchdir (c->root_fd) < 0 || chroot (".") < 0)
    return berth_error (err, errno, "enter the container's root");
  if (berth_process_apply_limits (p, err) < 0)
    return berth_error_ret (err);
  if (p->terminal)
    {
      cleanup_close int master = -1;
      char name[64];
      if (berth_terminal_for_process (p, &master, name, err) < 0
          || berth_send_fd (c->console_fd >= 0 ? c->console_fd : c->sync_fd, master, name, err) < 0)
        return berth_error_ret (err);
    }
  if (chdir (p->cwd) < 0)
    return berth_error (err, errno, "exec: chdir to cwd `%s`", p->cwd);
  if (berth_process_find_executable (p, &exe, err) < 0)
    return berth_error_ret (err);
  /* The same order as the container init (see seccomp_filter.h).  */
  if (!p->no_new_privileges && install_seccomp (c, err) < 0)
    return berth_error_ret (err);
  if (berth_process_set_user (p, c->setgroups_allowed, err) < 0
      || berth_process_apply_capabilities (p, err) < 0)
    return berth_error_ret (err);
  if (p->no_new_privileges && install_seccomp (c, err) < 0)
    return berth_error_ret (err);
  if (berth_lsm_set_exec_label (p, err) < 0)
    return berth_error_ret (err);
  berth_cloexec_fds_from (3 + c->o->preserve_fds);
  /* A detached process outlives the runtime; pdeathsig would survive exec.  */
  prctl (PR_SET_PDEATHSIG, 0);
  return berth_process_exec (p, exe, err);
}

__attribute__ ((noreturn)) static void
exec_child_main (struct exec_child *c)
{
  berth_error_t err = NULL;
  sigset_t none;

  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  exec_child_setup (c, &err);
  if (err && err->msg)
    send (c->sync_fd, err->msg, strlen (err->msg), MSG_NOSIGNAL);
  _exit (127);
}

/* The child's verdict: EOF (its end closed on exec) is success; a datagram
 * of text is its error; a datagram with an fd is the pty master for us, or
 * (named "seccomp") the seccomp listener for the agent.  */
static int
await_exec (int sync_fd, int *master, const struct berth_spec *spec, const struct berth_state *st,
            berth_error_t *err)
{
  for (;;)
    {
      char buf[4096];
      char control[CMSG_SPACE (sizeof (int))] = { 0 };
      struct iovec iov = { buf, sizeof (buf) - 1 };
      struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                           .msg_controllen = sizeof (control) };
      struct cmsghdr *cm;
      ssize_t n = recvmsg (sync_fd, &mh, MSG_CMSG_CLOEXEC);
      int fd;

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return 0;
      buf[n] = '\0';
      cm = CMSG_FIRSTHDR (&mh);
      if (cm == NULL || cm->cmsg_type != SCM_RIGHTS)
        return berth_error (err, 0, "%s", buf);
      memcpy (&fd, CMSG_DATA (cm), sizeof (int));
      if (strcmp (buf, "seccomp") == 0 && spec->linux_.seccomp)
        {
          cleanup_free char *json = berth_state_to_json (st, st->status, false);
          int r = berth_seccomp_send_listener (spec->linux_.seccomp->listener_path, fd, json,
                                               spec->linux_.seccomp->listener_metadata, err);
          close (fd);
          if (r < 0)
            return r;
          continue;
        }
      *master = fd;
    }
}

/* A foreground exec passes on every signal that can be caught and is not
 * about our own faults.  */
static int
wait_exit_status (pid_t pid, int *exit_status, berth_error_t *err)
{
  sigset_t set;

  sigemptyset (&set);
  for (int s = 1; s < 32; s++)
    if (s != SIGKILL && s != SIGSTOP && s != SIGCHLD && s != SIGSEGV && s != SIGBUS
        && s != SIGILL && s != SIGFPE)
      sigaddset (&set, s);
  return berth_wait_forwarding (pid, &set, exit_status, err);
}

/* On pure cgroup v2 the process is born in the container's cgroup (clone3
 * with CLONE_INTO_CGROUP: no migration); elsewhere it joins it itself.  */
static pid_t
fork_into_cgroup (struct exec_child *c, const struct berth_cgroup *cg)
{
  cleanup_close int dirfd = -1;
  struct clone_args args = { .exit_signal = SIGCHLD, .flags = CLONE_INTO_CGROUP };
  pid_t pid;

  if (cg && berth_cgroup_mode (cg) == BERTH_CGROUP_MODE_UNIFIED
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
berth_container_exec (const struct berth_runtime *rt, const struct berth_exec_options *o,
                      int *exit_status, berth_error_t *err)
{
  struct berth_state *st = NULL;
  struct berth_spec *spec = NULL;
  cleanup_seccomp_filter struct berth_seccomp_filter *filter = NULL;
  cleanup_process struct berth_process *p = NULL;
  struct berth_cgroup *cg = NULL;
  cleanup_close int pidfd = -1, root_fd = -1, console_fd = -1, master = -1;
  int socks[2], children_flags, r;
  char path[64];
  struct exec_child c;
  pid_t pid;

  if (berth_state_load (rt->root, o->id, &st, err) < 0)
    return berth_error_ret (err);
  if (st->status != BERTH_STATUS_RUNNING && st->status != BERTH_STATUS_CREATED)
    {
      r = berth_error (err, 0, "cannot exec in container `%s`: it is %s", o->id,
                       berth_status_name (st->status));
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
      r = berth_seccomp_prepare (spec->linux_.seccomp, &filter, err);
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
      r = berth_error (err, ESRCH, "cannot exec in container `%s`: its process is gone", o->id);
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
  /* pid and time namespaces apply to children: join them here, the rest in
   * the child, all through the init's pidfd.  */
  children_flags = c.join_flags & (CLONE_NEWPID | CLONE_NEWTIME);
  c.join_flags &= ~children_flags;
  if (children_flags && setns (pidfd, children_flags) < 0)
    {
      r = berth_error (err, errno, "join the container's pid namespace");
      goto out;
    }
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
  r = await_exec (socks[0], &master, spec, st, err);
  close (socks[0]);
  if (r < 0)
    {
      waitpid (pid, NULL, 0);
      goto out;
    }
  if (o->pid_file)
    {
      char buf[32];
      int n = snprintf (buf, sizeof (buf), "%d", pid);
      r = berth_write_file_atomic (o->pid_file, buf, n, 0644, err);
      if (r < 0)
        goto out;
    }
  *exit_status = 0;
  if (!o->detach)
    {
      if (master >= 0)
        berth_terminal_relay (master, NULL);
      r = wait_exit_status (pid, exit_status, err);
    }
out:
  berth_cgroup_free (cg);
  berth_spec_free (spec);
  berth_state_free (st);
  return r;
}
