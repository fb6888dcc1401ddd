/* The container init: the process cloned by `create` that enters the
 * namespaces, builds the root filesystem, drops privileges, reports ready,
 * waits for the queued start signal that only `start` sends (with the
 * state's cookie), and finally becomes the user process.  */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/keyctl.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "hooks.h"
#include "linux/cgroup/cgroup.h"
#include "linux/lsm_labels.h"
#include "linux/process.h"
#include "linux/seccomp_filter.h"
#include "linux/rootfs/rootfs.h"
#include "linux/terminal.h"
#include "util.h"
#include "linux/namespaces.h"

static int
set_hostnames (const struct berth_spec *spec, berth_error_t *err)
{
  if (spec->hostname && spec->hostname[0]
      && sethostname (spec->hostname, strlen (spec->hostname)) < 0)
    return berth_error (err, errno, "set hostname `%s`", spec->hostname);
  if (spec->domainname && spec->domainname[0]
      && setdomainname (spec->domainname, strlen (spec->domainname)) < 0)
    return berth_error (err, errno, "set domainname `%s`", spec->domainname);
  return 0;
}

/* Written through the host's /proc before pivot_root: namespaced sysctls
 * (net.*, kernel.shm*, ...) follow the writer's namespaces.  */
static int
apply_sysctls (const struct berth_spec *spec, berth_error_t *err)
{
  for (size_t i = 0; i < spec->linux_.n_sysctl; i++)
    {
      const struct berth_key_value *kv = &spec->linux_.sysctl[i];
      char path[PATH_MAX];
      int n = snprintf (path, sizeof (path), "/proc/sys/%s", kv->key);

      if (n < 0 || (size_t) n >= sizeof (path) || strstr (kv->key, ".."))
        return berth_error (err, EINVAL, "sysctl `%s`: invalid name", kv->key);
      for (char *p = path + strlen ("/proc/sys/"); *p; p++)
        if (*p == '.')
          *p = '/';
      if (berth_write_file (path, kv->value, strlen (kv->value), 0, err) < 0)
        return berth_error_wrap (err, "sysctl `%s`", kv->key);
    }
  return 0;
}

/* A session keyring of its own, so the container cannot read the host's
 * keys (runc does the same; --no-new-keyring keeps the caller's).  Kernels
 * without keys, or denying them in a user namespace, are not an error.  */
static int
join_session_keyring (const struct berth_launch *l, berth_error_t *err)
{
  char name[1100];

  if (l->opts->no_new_keyring)
    return 0;
  snprintf (name, sizeof (name), "_ses.%s", l->opts->id);
  if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name) < 0 && errno != ENOSYS
      && errno != EPERM && errno != EACCES && errno != EDQUOT)
    return berth_error (err, errno, "join session keyring");
  return 0;
}

/* A new network namespace starts with lo down; programs expect localhost
 * to work (runc brings it up too).  */
static int
bring_up_loopback (berth_error_t *err)
{
  struct ifreq ifr = { 0 };
  cleanup_close int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return berth_error (err, errno, "socket for lo");
  strcpy (ifr.ifr_name, "lo");
  if (ioctl (fd, SIOCGIFFLAGS, &ifr) < 0)
    return berth_error (err, errno, "get flags of lo");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl (fd, SIOCSIFFLAGS, &ifr) < 0)
    return berth_error (err, errno, "bring up lo");
  return 0;
}

static int
set_personality (const struct berth_spec *spec, berth_error_t *err)
{
  unsigned long persona;

  if (!spec->linux_.has_personality)
    return 0;
  persona = strcmp (spec->linux_.personality_domain, "LINUX32") == 0 ? PER_LINUX32 : PER_LINUX;
  if (personality (persona) < 0)
    return berth_error (err, errno, "linux.personality `%s`", spec->linux_.personality_domain);
  return 0;
}

/* Socket activation: the runtime's LISTEN_FDS go to the container's process,
 * which is PID 1 of its pid namespace.  */
static int
exec_user_process (const struct berth_launch *l, const char *exe, berth_error_t *err)
{
  struct berth_process p = *l->spec->process;
  size_t n = berth_strv_len (p.env);
  char **env;
  char fds[32];

  if (l->listen_fds <= 0)
    return berth_process_exec (&p, exe, err);
  env = calloc (n + 3, sizeof (char *));
  if (env == NULL)
    return berth_error (err, ENOMEM, "exec");
  memcpy (env, p.env, n * sizeof (char *));
  snprintf (fds, sizeof (fds), "LISTEN_FDS=%d", l->listen_fds);
  env[n] = fds;
  env[n + 1] = "LISTEN_PID=1";
  p.env = env;
  return berth_process_exec (&p, exe, err);
}

/* process.terminal: a pty from the container's own devpts; its master goes
 * to the console socket (or back to the runtime for a foreground run).  */
static int
setup_terminal (struct berth_launch *l, berth_error_t *err)
{
  cleanup_close int master = -1;
  char name[64];

  if (berth_terminal_for_process (l->spec->process, &master, name, err) < 0)
    return berth_error_ret (err);
  if (l->console_fd >= 0)
    {
      if (berth_send_fd (l->console_fd, master, name, err) < 0)
        return berth_error_ret (err);
      close (l->console_fd);
      l->console_fd = -1;
      return 0;
    }
  if (berth_sync_send (l->sync_fd, SYNC_TERMINAL, 0, NULL) < 0)
    return berth_error (err, errno, "send terminal to runtime");
  return berth_send_fd (l->sync_fd, master, name, err);
}

/* Load the container's seccomp filter; a listener fd goes to the runtime,
 * which hands it to the agent at listenerPath.  */
static int
install_seccomp (void *data, berth_error_t *err)
{
  struct berth_launch *l = data;
  int notify_fd = -1;

  if (l->seccomp == NULL)
    return 0;
  if (berth_seccomp_install (l->seccomp, &notify_fd, err) < 0)
    return berth_error_ret (err);
  if (notify_fd < 0)
    return 0;
  /* One sendmsg: the profile may not notify on it, but might on others.  */
  if (berth_sync_send (l->sync_fd, SYNC_SECCOMP_FD, 0, NULL) < 0
      || berth_send_fd (l->sync_fd, notify_fd, "seccomp", err) < 0)
    {
      close (notify_fd);
      return berth_error (err, errno, "send seccomp listener to runtime");
    }
  close (notify_fd);
  return 0;
}

/* Moving a process between cgroup v1 hierarchies waits for an RCU grace
 * period (milliseconds): the runtime does it while we build the rootfs, and
 * we wait for it only where it matters: before a cgroup namespace (rooted
 * where its creator stands), before hooks, and before the user process.  */
static int
request_cgroup (struct berth_launch *l, berth_error_t *err)
{
  /* Joining by ourselves is cheap (no grace period): first choice.  */
  if ((l->born_in_v2 ? berth_cgroup_enter_self_v1 (l->cgroup, NULL)
                     : berth_cgroup_enter_self (l->cgroup, NULL))
      == 0)
    {
      l->wait_cgroup = false;
      if (l->cgroupns_after_join && unshare (CLONE_NEWCGROUP) < 0)
        return berth_error (err, errno, "create cgroup namespace");
      return 0;
    }
  if (berth_sync_send (l->sync_fd, SYNC_CGROUP_REQUEST, 0, NULL) < 0)
    return berth_error (err, errno, "sync with runtime");
  return 0;
}

static int
wait_for_cgroup (struct berth_launch *l, berth_error_t *err)
{
  cleanup_free struct berth_sync_msg *m = malloc (sizeof (*m));

  if (!l->wait_cgroup)
    return 0;
  l->wait_cgroup = false;
  if (m == NULL)
    return berth_error (err, ENOMEM, "cgroup");
  if (berth_sync_expect (l->sync_fd, SYNC_CGROUP_JOINED, m, err) < 0)
    return berth_error_ret (err);
  if (l->cgroupns_after_join && unshare (CLONE_NEWCGROUP) < 0)
    return berth_error (err, errno, "create cgroup namespace");
  return 0;
}

/* The runtime writes our uid and gid maps.  An unprivileged runtime can
 * only open our /proc files while we are dumpable: for that moment only
 * (nothing of the host is open here any more, see berth_init_main).  */
static int
await_userns_mapping (struct berth_launch *l, berth_error_t *err)
{
  cleanup_free struct berth_sync_msg *m = malloc (sizeof (*m));
  int r;

  if (m == NULL)
    return berth_error (err, ENOMEM, "user namespace");
  if (l->runtime_unprivileged)
    prctl (PR_SET_DUMPABLE, 1, 0, 0, 0);
  if (berth_sync_send (l->sync_fd, SYNC_USERNS_READY, 0, NULL) < 0)
    r = berth_error (err, errno, "sync with runtime");
  else
    r = berth_sync_expect (l->sync_fd, SYNC_USERNS_MAPPED, m, err);
  if (l->runtime_unprivileged && prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 && r == 0)
    r = berth_error (err, errno, "prctl PR_SET_DUMPABLE");
  return r;
}

/* When a namespace other than pid is joined by path, namespaces cannot all
 * be made by clone: join first, then unshare the new ones, then fork the
 * container process into the new pid namespace as a sibling of ourselves
 * (CLONE_PARENT) so `run` can still wait for it.  Returns 0 in the process
 * that continues as the container init.  */
static int
join_then_unshare (struct berth_launch *l, bool *userns_new, berth_error_t *err)
{
  int want = berth_namespaces_new_flags (l->spec) & ~CLONE_NEWTIME;
  int unshare_flags = want & ~CLONE_NEWPID;
  pid_t child;

  if (berth_namespaces_join (l->spec, CLONE_NEWPID, err) < 0)
    return berth_error_ret (err);
  if (unshare_flags && unshare (unshare_flags) < 0)
    return berth_error (err, errno, "unshare namespaces");
  if (unshare_flags & CLONE_NEWUSER)
    {
      if (await_userns_mapping (l, err) < 0)
        return berth_error_ret (err);
      *userns_new = false; /* mapped already */
    }
  if (!(want & CLONE_NEWPID))
    return 0;
  if (unshare (CLONE_NEWPID) < 0)
    return berth_error (err, errno, "unshare pid namespace");
  child = (pid_t) syscall (SYS_clone, CLONE_PARENT, NULL, NULL, NULL, NULL);
  if (child < 0)
    return berth_error (err, errno, "clone container process");
  if (child == 0)
    {
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      return 0;
    }
  berth_sync_send (l->sync_fd, SYNC_CHILD_PID, child, NULL);
  _exit (0);
}

/* The runtime runs prestart and createRuntime, and sends the state for the
 * hooks run here, createContainer and startContainer: "created" (crun's
 * choice; the spec names no other status for them).  */
static int
wait_for_hooks (struct berth_launch *l, char **created, berth_error_t *err)
{
  cleanup_free struct berth_sync_msg *m = malloc (sizeof (*m));

  if (m == NULL)
    return berth_error (err, ENOMEM, "hooks");
  if (berth_sync_send (l->sync_fd, SYNC_HOOKS_REQUEST, 0, NULL) < 0)
    return berth_error (err, errno, "sync with runtime");
  if (berth_sync_expect (l->sync_fd, SYNC_HOOKS_DONE, m, err) < 0)
    return berth_error_ret (err);
  *created = strdup (m->text);
  if (*created == NULL)
    return berth_error (err, ENOMEM, "hooks");
  return 0;
}

/* After READY the runtime saves the state; until it says so, the init must
 * still die with it, or a crashed create would leave an init without state.  */
static int
finish_handshake (struct berth_launch *l, berth_error_t *err)
{
  cleanup_free struct berth_sync_msg *m = malloc (sizeof (*m));

  if (m == NULL)
    return berth_error (err, ENOMEM, "sync");
  if (berth_sync_send (l->sync_fd, SYNC_READY, 0, NULL) < 0)
    return berth_error (err, errno, "sync with runtime");
  if (berth_sync_expect (l->sync_fd, SYNC_STATE_SAVED, m, err) < 0)
    return berth_error_ret (err);
  prctl (PR_SET_PDEATHSIG, 0);
  close (l->sync_fd);
  l->sync_fd = -1;
  return 0;
}

/* Only `start` knows the cookie (state files are private to root): a stray
 * signal of the same number does not start the container.  */
static int
wait_for_start (const struct berth_launch *l, berth_error_t *err)
{
  sigset_t set;
  siginfo_t si;

  sigemptyset (&set);
  sigaddset (&set, BERTH_START_SIGNAL);
  for (;;)
    {
      int r = sigwaitinfo (&set, &si);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return berth_error (err, errno, "wait for start");
      if (si.si_code == SI_QUEUE && (uint64_t) (uintptr_t) si.si_value.sival_ptr == l->start_cookie)
        return 0;
    }
}

static int
init_run (struct berth_launch *l, berth_error_t *err)
{
  const struct berth_spec *spec = l->spec;
  const struct berth_process *proc = spec->process;
  bool userns_new = (l->clone_flags & CLONE_NEWUSER) != 0;
  int new_flags = berth_namespaces_new_flags (spec);
  int r;
  cleanup_free char *state_created = NULL;
  cleanup_free char *exe = NULL;
  bool seccomp_late = false;
  struct berth_rootfs_ctx rctx = {
    .spec = spec,
    .rootfs = l->rootfs,
    .no_pivot = l->opts->no_pivot,
    .in_new_userns = (new_flags & CLONE_NEWUSER) != 0,
    .in_new_netns = (new_flags & CLONE_NEWNET) != 0,
    .in_new_cgroupns = (new_flags & CLONE_NEWCGROUP) != 0,
    .shared_mntns = !berth_spec_has_namespace (spec, CLONE_NEWNS, NULL),
  };

  if (l->join_net_late && berth_namespaces_join (spec, ~CLONE_NEWNET, err) < 0)
    return berth_error_ret (err);
  if (l->join_in_init && join_then_unshare (l, &userns_new, err) < 0)
    return berth_error_ret (err);
  if (userns_new && await_userns_mapping (l, err) < 0)
    return berth_error_ret (err);
  if ((new_flags & CLONE_NEWUSER) && (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0))
    return berth_error (err, errno, "become root in the user namespace");
  if ((new_flags & CLONE_NEWTIME) && berth_timens_enter_new (spec, err) < 0)
    return berth_error_ret (err);
  if (set_hostnames (spec, err) < 0 || apply_sysctls (spec, err) < 0
      || join_session_keyring (l, err) < 0)
    return berth_error_ret (err);
  if ((new_flags & CLONE_NEWNET) && bring_up_loopback (err) < 0)
    return berth_error_ret (err);

  if (l->wait_cgroup && request_cgroup (l, err) < 0)
    return berth_error_ret (err);
  if (l->cgroupns_after_join && wait_for_cgroup (l, err) < 0)
    return berth_error_ret (err);
  rctx.cgroup_path = l->wait_cgroup ? l->cgroup_path : NULL;
  /* Asked now, while /sys is the host's: the answers are cached.  */
  berth_lsm_apparmor_enabled ();
  berth_lsm_selinux_enabled ();
  if (berth_rootfs_prepare (&rctx, err) < 0)
    return berth_error_ret (err);
  if (wait_for_cgroup (l, err) < 0)
    return berth_error_ret (err);
  if (l->need_hooks_sync)
    {
      if (wait_for_hooks (l, &state_created, err) < 0)
        return berth_error_ret (err);
      if (berth_hooks_run (&spec->hooks.create_container, "createContainer", state_created, err)
          < 0)
        return berth_error_ret (err);
    }
  if (berth_rootfs_pivot (&rctx, err) < 0 || berth_rootfs_finalize (&rctx, err) < 0)
    return berth_error_ret (err);

  if (berth_process_apply_limits (proc, err) < 0 || set_personality (spec, err) < 0)
    return berth_error_ret (err);
  if (proc->terminal && setup_terminal (l, err) < 0)
    return berth_error_ret (err);
  if (berth_process_enter_cwd (proc, true, err) < 0)
    return berth_error_ret (err);
  if (berth_process_find_executable (proc, &exe, err) < 0)
    return berth_error_ret (err);
  /* The order shared with exec (seccomp_filter.h); a no_new_privs filter
   * without a listener waits until after start.  */
  if (berth_process_confine (proc, berth_userns_setgroups_allowed (0), l->seccomp, true,
                             install_seccomp, l, &seccomp_late, err)
      < 0)
    return berth_error_ret (err);

  /* What setup opened since (rootfs, terminal) is closed or CLOEXEC;
   * this is a second line behind the first step of berth_init_main.  */
  r = berth_cloexec_fds_from (3 + l->opts->preserve_fds + l->listen_fds);
  if (r < 0)
    return berth_error (err, -r, "mark fds close-on-exec");

  if (finish_handshake (l, err) < 0)
    return berth_error_ret (err);

  if (wait_for_start (l, err) < 0)
    return berth_error_ret (err);
  if (l->need_hooks_sync
      && berth_hooks_run (&spec->hooks.start_container, "startContainer", state_created, err) < 0)
    return berth_error_ret (err);
  /* With no_new_privs the filter goes in as late as it can: the runtime's
   * own waiting for start needs no place in the container's profile.  */
  if (seccomp_late && install_seccomp (l, err) < 0)
    return berth_error_ret (err);
  /* Last, so startContainer hooks do not run under the container's label.  */
  if (berth_lsm_set_exec_label (proc, err) < 0)
    return berth_error_ret (err);
  berth_process_reset_signals ();
  sigprocmask (SIG_SETMASK, &l->exec_sigmask, NULL);
  return exec_user_process (l, exe, err);
}

void
berth_init_main (struct berth_launch *l)
{
  berth_error_t err = NULL;
  int *const own[] = { &l->sync_fd, &l->console_fd };
  int r;

  /* First, before anything can go wrong: we hold every fd the runtime had
   * (clone copies them; its cleanup attributes never run here): the state
   * lock (flock belongs to the open file, which we share), the runtime's
   * end of the sync socket, the host's cgroup directory for clone3, a
   * saved pid namespace.  A cwd of /proc/self/fd/N, or a process exec'd
   * into the created container, must find none of them.  */
  /* The caller's stdio goes in place before the rest is closed.  */
  if (l->has_stdio && berth_process_install_stdio (l->stdio, &err) < 0)
    goto fail;
  if (BERTH_WEAKENED)
    r = close (l->lock_fd) < 0 ? -errno : 0; /* all the old code did */
  else
    r = berth_fds_for_container (l->opts->preserve_fds + l->listen_fds, own, 2, 0);
  /* No core dump, no ptrace, /proc/<pid> owned by root while we run
   * runtime code with host resources at hand; execve restores it.  */
  if (r == 0 && !BERTH_WEAKENED && prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    r = -errno;
  if (r < 0)
    {
      berth_sync_send (l->sync_fd, SYNC_ERROR, -r, "container init: close the runtime's fds");
      _exit (127);
    }
  /* If `create` dies while we set up, die too: nothing half-made survives.  */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (l->bundle && chdir (l->bundle) < 0)
    {
      berth_error (&err, errno, "chdir to bundle `%s`", l->bundle);
      goto fail;
    }
  /* In a new pid namespace our parent is outside it and getppid() is 0.  */
  if (getppid () != l->runtime_pid && getppid () != 0)
    _exit (1);
  init_run (l, &err);
fail:
  if (l->sync_fd >= 0)
    berth_sync_send (l->sync_fd, SYNC_ERROR, err ? err->status : 0,
                     err && err->msg ? err->msg : "container init failed");
  else if (err && err->msg)
    {
      /* After `create` returned there is nobody to tell but stderr.  */
      dprintf (STDERR_FILENO, "berth-runtime: %s\n", err->msg);
    }
  _exit (127);
}
