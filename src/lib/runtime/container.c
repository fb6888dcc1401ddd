/* The OCI lifecycle seen from the runtime process: create (clone the
 * container init and drive it to "created"), start, run, state, kill,
 * delete and list.  */
#include "container.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/sched.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "hooks.h"
#include "log.h"
#include "linux/cgroup/cgroup.h"
#include "linux/rootfs/rootfs.h"
#include "linux/seccomp_cache.h"
#include "linux/seccomp_filter.h"
#include "linux/terminal.h"
#include "oci/seccomp.h"
#include "util.h"
#include "launch.h"
#include "linux/namespaces.h"

static void
spec_freep (struct berth_spec **s)
{
  berth_spec_free (*s);
}
#define cleanup_spec __attribute__ ((cleanup (spec_freep)))

static void
state_freep (struct berth_state **s)
{
  berth_state_free (*s);
}
#define cleanup_state __attribute__ ((cleanup (state_freep)))

/* snprintf, not strftime, and the calendar date worked out here: glibc's
 * strftime and even gmtime_r load the time zone database (seven syscalls
 * on /etc/localtime) that UTC does not need.  Days since the epoch to
 * year, month, day: the proleptic Gregorian calendar in 400-year eras.  */
static char *
now_rfc3339 (void)
{
  struct timespec ts;
  long long days, secs, era, doe, yoe, doy, mp, year;
  unsigned month, day;
  char *out = NULL;

  clock_gettime (CLOCK_REALTIME, &ts);
  days = ts.tv_sec / 86400;
  secs = ts.tv_sec % 86400;
  if (secs < 0)
    {
      secs += 86400;
      days--;
    }
  days += 719468; /* from 1970-01-01 to 0000-03-01 */
  era = (days >= 0 ? days : days - 146096) / 146097;
  doe = days - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
  month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
  year = yoe + era * 400 + (month <= 2);
  if (asprintf (&out, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%09ldZ", year, month, day, secs / 3600,
                secs / 60 % 60, secs % 60, ts.tv_nsec)
      < 0)
    return NULL;
  return out;
}

/* The uid as text: resolving a name would load NSS on every create.  */
static char *
owner_name (void)
{
  char *s = NULL;
  if (asprintf (&s, "%u", (unsigned) geteuid ()) < 0)
    return NULL;
  return s;
}

/* Fill the state record from the spec; pid set by the caller.  */
static int
state_init (struct berth_state *st, const char *id, const char *bundle, const char *rootfs,
            const struct berth_spec *spec, berth_error_t *err)
{
  st->id = strdup (id);
  st->oci_version = strdup (spec->oci_version);
  st->bundle = strdup (bundle);
  st->rootfs = strdup (rootfs);
  st->created = now_rfc3339 ();
  st->owner = owner_name ();
  if (!st->id || !st->oci_version || !st->bundle || !st->rootfs || !st->created || !st->owner)
    return berth_error (err, ENOMEM, "state of `%s`", id);
  /* Borrowed from the spec: state_release does not free them.  */
  st->annotations = spec->annotations;
  st->n_annotations = spec->n_annotations;
  st->poststart = spec->hooks.poststart;
  st->poststop = spec->hooks.poststop;
  return 0;
}

static void
state_release (struct berth_state *st)
{
  free (st->cgroup);
  free (st->id);
  free (st->oci_version);
  free (st->bundle);
  free (st->rootfs);
  free (st->created);
  free (st->owner);
}

/* Hooks see the bundle as their working directory (in the hook's child:
 * the caller's stays where it is).  */
static int
run_hooks_with_state (const struct berth_hook_list *hooks, const char *kind,
                      const struct berth_state *st, enum berth_status status, berth_error_t *err)
{
  cleanup_free char *json = NULL;

  if (hooks->n == 0)
    return 0;
  json = berth_state_to_json (st, status, false);
  if (json == NULL)
    return berth_error (err, ENOMEM, "%s hooks", kind);
  return berth_hooks_run_in (hooks, kind, json, st->bundle && st->bundle[0] ? st->bundle : NULL,
                             err);
}

static bool
needs_hooks_sync (const struct berth_spec *spec)
{
  const struct berth_hooks *h = &spec->hooks;
  return h->prestart.n || h->create_runtime.n || h->create_container.n || h->start_container.n;
}

static int
resolve_paths (const struct berth_create_options *o, const struct berth_spec *spec,
               char **bundle, char **rootfs, berth_error_t *err)
{
  char buf[PATH_MAX];
  cleanup_free char *joined = NULL;

  /* A spec held in memory needs no bundle: then relative paths are the
   * caller's.  */
  if (o->bundle == NULL && (o->spec || o->spec_json))
    {
      *bundle = strdup ("");
      joined = strdup (spec->root_path);
      if (*bundle == NULL || joined == NULL)
        return berth_error (err, ENOMEM, "root.path");
      if (realpath (joined, buf) == NULL)
        return berth_error (err, errno, "root.path `%s`", joined);
      *rootfs = strdup (buf);
      return 0;
    }
  if (realpath (o->bundle ? o->bundle : ".", buf) == NULL)
    return berth_error (err, errno, "bundle `%s`", o->bundle ? o->bundle : ".");
  *bundle = strdup (buf);
  if (*bundle == NULL)
    return berth_error (err, ENOMEM, "bundle");
  if (spec->root_path[0] == '/')
    joined = strdup (spec->root_path);
  else if (asprintf (&joined, "%s/%s", *bundle, spec->root_path) < 0)
    joined = NULL;
  if (joined == NULL)
    return berth_error (err, ENOMEM, "root.path");
  if (realpath (joined, buf) == NULL)
    return berth_error (err, errno, "root.path `%s`", joined);
  *rootfs = strdup (buf);
  if (*rootfs == NULL)
    return berth_error (err, ENOMEM, "root.path");
  return 0;
}

static int
check_config (const struct berth_create_options *o, const struct berth_spec *spec,
              berth_error_t *err)
{
  if (spec->process == NULL)
    {
      berth_error (err, 0, "process: required to create a container");
      return berth_error_set_code (err, BERTH_EINVAL);
    }
  /* Only a foreground run (or a library caller) can take the terminal itself.  */
  if (spec->process->terminal && o->console_socket == NULL && !o->want_pty
      && !(o->for_run && !o->detach))
    {
      berth_error (err, 0, "process.terminal: true needs --console-socket");
      return berth_error_set_code (err, BERTH_EINVAL);
    }
  if (berth_namespaces_validate (spec, err) < 0)
    return berth_error_set_code (err, BERTH_EINVAL);
  return 0;
}

/* The spec from memory (borrowed: *owned stays NULL) or from the bundle.  */
static int
load_config (const struct berth_create_options *o, const struct berth_spec **spec,
             struct berth_spec **owned, berth_error_t *err)
{
  cleanup_free char *path = NULL;

  if (o->spec)
    *spec = o->spec;
  else if (o->spec_json)
    {
      if (berth_spec_parse (o->spec_json, strlen (o->spec_json), owned, err) < 0)
        return berth_error_set_code (err, BERTH_EINVAL);
      *spec = *owned;
    }
  if (*spec)
    return check_config (o, *spec, err);
  if (o->config_path)
    path = strdup (o->config_path);
  else if (asprintf (&path, "%s/config.json", o->bundle ? o->bundle : ".") < 0)
    path = NULL;
  if (path == NULL)
    return berth_error (err, ENOMEM, "config");
  if (berth_spec_load (path, owned, err) < 0)
    return berth_error_ret (err);
  *spec = *owned;
  return check_config (o, *spec, err);
}

/* The agent at listenerPath gets the listener and the state (creating).  */
static int
hand_over_seccomp_listener (int sync_fd, pid_t pid, const struct berth_spec *spec,
                            struct berth_state *st, berth_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *json = NULL;

  if (berth_recv_fd (sync_fd, &fd, err) < 0)
    return berth_error_ret (err);
  st->pid = pid;
  json = berth_state_to_json (st, BERTH_STATUS_CREATING, false);
  if (json == NULL)
    return berth_error (err, ENOMEM, "seccomp listener");
  return berth_seccomp_send_listener (spec->linux_.seccomp->listener_path, fd, json,
                                      spec->linux_.seccomp->listener_metadata, err);
}

/* The runtime side of the setup dialogue, until the init reports ready.  */
static int
drive_init (int sync_fd, pid_t *pid, const struct berth_spec *spec, struct berth_state *st,
            const struct berth_cgroup *cg, int *terminal_master, berth_error_t *err)
{
  cleanup_free struct berth_sync_msg *m = malloc (sizeof (*m));

  if (m == NULL)
    return berth_error (err, ENOMEM, "create");
  for (;;)
    {
      if (berth_sync_recv (sync_fd, m, err) < 0)
        return berth_error_ret (err);
      switch (m->type)
        {
        case SYNC_USERNS_READY:
          if (berth_userns_write_mappings (*pid, spec, err) < 0)
            return berth_error_ret (err);
          berth_sync_send (sync_fd, SYNC_USERNS_MAPPED, 0, NULL);
          break;

        case SYNC_CHILD_PID:
          /* The intermediate process exits; the container process is our child too.  */
          waitpid (*pid, NULL, 0);
          *pid = m->value;
          break;

        case SYNC_CGROUP_REQUEST:
          /* Before the init mounts or makes its cgroup namespace (on v1
           * there is no clone into a cgroup).  */
          if (cg == NULL || berth_cgroup_enter (cg, *pid, err) < 0)
            return cg ? berth_error_ret (err) : berth_error (err, EPROTO, "no cgroup to join");
          berth_sync_send (sync_fd, SYNC_CGROUP_JOINED, 0, NULL);
          break;

        case SYNC_HOOKS_REQUEST:
          {
            cleanup_free char *json = NULL;
            st->pid = *pid;
            /* Every hook of create and start sees "created", as with crun:
             * the container exists with its process by then.  */
            if (run_hooks_with_state (&spec->hooks.prestart, "prestart", st,
                                      BERTH_STATUS_CREATED, err)
                    < 0
                || run_hooks_with_state (&spec->hooks.create_runtime, "createRuntime", st,
                                         BERTH_STATUS_CREATED, err)
                       < 0)
              return berth_error_ret (err);
            json = berth_state_to_json (st, BERTH_STATUS_CREATED, false);
            if (json == NULL)
              return berth_error (err, ENOMEM, "hooks");
            berth_sync_send (sync_fd, SYNC_HOOKS_DONE, 0, json);
            break;
          }

        case SYNC_TERMINAL:
          if (berth_recv_fd (sync_fd, terminal_master, err) < 0)
            return berth_error_ret (err);
          break;

        case SYNC_SECCOMP_FD:
          if (hand_over_seccomp_listener (sync_fd, *pid, spec, st, err) < 0)
            return berth_error_ret (err);
          break;

        case SYNC_READY:
          return 0;

        case SYNC_ERROR:
          return berth_error (err, 0, "%s", m->text);

        default:
          return berth_error (err, EPROTO, "unexpected message %u from container init", m->type);
        }
    }
}

/* On cgroup v2 the init is born in its cgroup (clone3 with
 * CLONE_INTO_CGROUP): no migration, and so no wait for the RCU grace
 * period a migration takes, and on pure v2 its cgroup namespace can come
 * with the clone.  On a hybrid layout the v2 cgroup is joined this way too
 * (a cgroup.procs write there cost 12 ms), and the init joins the v1
 * hierarchies itself through `tasks`.  Returns the pid (0 in the child), or
 * -2 when the plain clone must do (no v2 cgroup, namespaces joined in the
 * init, or an older kernel).  */
static pid_t
clone_into_cgroup (struct berth_launch *l, int extra_flags)
{
  struct clone_args args = { 0 };
  bool wait_cgroup = l->wait_cgroup, cgroupns_after_join = l->cgroupns_after_join;
  enum berth_cgroup_mode mode;
  cleanup_close int dir_fd = -1;
  pid_t pid;

  /* Open for this one call: the child closes its copy as its first step.  */
  if (l->cgroup == NULL || l->join_in_init)
    return -2;
  mode = berth_cgroup_mode (l->cgroup);
  if ((mode != BERTH_CGROUP_MODE_UNIFIED && mode != BERTH_CGROUP_MODE_HYBRID)
      || berth_cgroup_open_dir_fd (l->cgroup, &dir_fd, NULL) < 0)
    return -2;
  args.flags = (uint64_t) (l->clone_flags | extra_flags) | CLONE_INTO_CGROUP;
  if (mode == BERTH_CGROUP_MODE_UNIFIED)
    {
      /* What the child finds in its copy of l: nothing left to join.  */
      l->wait_cgroup = false;
      l->cgroupns_after_join = false;
      if (cgroupns_after_join)
        args.flags |= CLONE_NEWCGROUP;
    }
  else
    l->born_in_v2 = true;
  args.exit_signal = SIGCHLD;
  args.cgroup = (uint64_t)dir_fd;
  pid = (pid_t) syscall (SYS_clone3, &args, sizeof (args));
  if (pid >= 0)
    return pid;
  l->wait_cgroup = wait_cgroup;
  l->cgroupns_after_join = cgroupns_after_join;
  l->born_in_v2 = false;
  return -2;
}

/* The raw clone of the init (0 in the child never returns).  */
static pid_t
clone_init (struct berth_launch *l, int extra_flags)
{
  pid_t pid = clone_into_cgroup (l, extra_flags);

  if (pid == -2)
    pid = (pid_t) syscall (SYS_clone, l->clone_flags | extra_flags | SIGCHLD, NULL, NULL, NULL,
                           NULL);
  if (pid == 0)
    berth_init_main (l);
  return pid;
}

/* A caller with threads: another thread may hold malloc's lock (or any
 * other) at the moment of a raw clone, and the init, which mallocs and
 * loads libseccomp, would wait on it forever.  glibc's fork() resets those
 * locks in the child, so a helper forked first is a safe single-threaded
 * place to clone from; it clones the init as our child (CLONE_PARENT),
 * reports its pid and exits.  A single-threaded caller clones directly,
 * saving the fork.  */
static pid_t
clone_init_via_helper (struct berth_launch *l, const char *pidns_path, berth_error_t *err)
{
  int p[2];
  pid_t helper, pid = -1;
  ssize_t n;
  int status;

  if (pipe2 (p, O_CLOEXEC) < 0)
    return berth_error (err, errno, "pipe");
  helper = fork ();
  if (helper < 0)
    {
      close (p[0]);
      close (p[1]);
      return berth_error (err, errno, "fork");
    }
  if (helper == 0)
    {
      close (p[0]);
      /* The helper stands for us: the init checks its parent is us.  */
      if (pidns_path && pidns_path[0] && berth_namespace_enter (pidns_path, CLONE_NEWPID, NULL) < 0)
        pid = -errno;
      else
        {
          pid = clone_init (l, CLONE_PARENT);
          if (pid < 0)
            pid = -errno;
        }
      berth_write_all (p[1], &pid, sizeof (pid));
      _exit (0);
    }
  close (p[1]);
  do
    n = read (p[0], &pid, sizeof (pid));
  while (n < 0 && errno == EINTR);
  close (p[0]);
  while (waitpid (helper, &status, 0) < 0 && errno == EINTR)
    ;
  if (n != sizeof (pid))
    return berth_error (err, EPROTO, "clone container init: the helper died");
  if (pid < 0)
    return berth_error (err, -pid, "clone container init");
  return pid;
}

/* Clone the container init.  Namespaces made by clone when possible (one
 * syscall, and a new user namespace then owns all the others).  */
static pid_t
spawn_init (struct berth_launch *l, berth_error_t *err)
{
  const char *pidns_path = NULL;
  int new_flags = berth_namespaces_new_flags (l->spec) & ~CLONE_NEWTIME;
  cleanup_close int saved_pidns = -1;
  pid_t pid;

  berth_spec_has_namespace (l->spec, CLONE_NEWPID, &pidns_path);
  l->join_in_init = berth_namespaces_any_join (l->spec, CLONE_NEWPID);
  /* An engine's container joins a network namespace made for it and
   * creates every other one.  Cloning those (into the cgroup, no migration
   * and its RCU wait, no extra clone for the pid namespace) and joining the
   * network namespace first thing in the init costs ~20 ms less than the
   * join-then-unshare path.  Not with a new user namespace: the init would
   * lose its privileges over the host's network namespace.  */
  l->join_net_late = l->join_in_init
                     && !berth_namespaces_any_join (l->spec, CLONE_NEWPID | CLONE_NEWNET)
                     && !(new_flags & CLONE_NEWUSER);
  if (l->join_net_late)
    l->join_in_init = false;
  l->clone_flags = l->join_in_init ? 0 : new_flags;
  if (l->cgroupns_after_join)
    l->clone_flags &= ~CLONE_NEWCGROUP;

  if (berth_thread_count () != 1)
    return clone_init_via_helper (l, pidns_path, err);
  /* Single-threaded: our pid_for_children goes back before we return.  */
  if (pidns_path && pidns_path[0])
    {
      saved_pidns = open ("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
      if (berth_namespace_enter (pidns_path, CLONE_NEWPID, err) < 0)
        return berth_error_ret (err);
    }
  pid = clone_init (l, 0);
  if (pid < 0)
    pid = berth_error (err, errno, "clone container init");
  if (saved_pidns >= 0)
    setns (saved_pidns, CLONE_NEWPID);
  return pid;
}

/* The early state record: it names the cgroup before create makes any
 * directory of it, so a create killed at any point leaves nothing that a
 * later delete or create cannot find.  */
struct early_record
{
  int fd;
  struct berth_state *st;
};

static int
save_early_record (const char *saved_cgroup, void *data, berth_error_t *err)
{
  struct early_record *rec = data;
  char *text = strdup (saved_cgroup);
  int r;

  if (text == NULL)
    return berth_error (err, ENOMEM, "state of `%s`", rec->st->id);
  free (rec->st->cgroup);
  rec->st->cgroup = text;
  rec->st->creating = true;
  r = berth_state_save (rec->fd, rec->st, err);
  rec->st->creating = false;
  return r;
}

/* The container's cgroup, with its limits in force before the init runs.
 * An unprivileged runtime asked for no limits goes on without one when it
 * cannot make it (a rootless container on a host that does not delegate
 * cgroups), as runc does.  */
static int
make_cgroup (const struct berth_runtime *rt, const char *id, const struct berth_spec *spec,
             struct early_record *rec, struct berth_cgroup **out, berth_error_t *err)
{
  struct berth_cgroup_config cfg = {
    .before_make = BERTH_WEAKENED ? NULL : save_early_record,
    .before_make_data = rec,
    .id = id,
    .cgroups_path = spec->linux_.cgroups_path,
    .systemd = rt->systemd_cgroup,
    .resources = spec->linux_.resources,
    .default_devices = geteuid () == 0,
    .keep_parents = rt->keep_cgroup_parents,
  };
  berth_error_t local = NULL;

  *out = NULL;
  if (berth_cgroup_create (&cfg, out, &local) == 0)
    return 0;
  if (geteuid () != 0 && spec->linux_.resources == NULL)
    {
      berth_error_release (&local);
      return 0;
    }
  *err = local;
  return berth_error_wrap (err, "cgroup");
}

/* What `start` and `status` need to know the init by: its executable
 * before exec, and a random cookie for the start signal.  */
static int
init_identity (struct berth_state *st, berth_error_t *err)
{
  struct stat sb;

  if (stat ("/proc/self/exe", &sb) < 0)
    return berth_error (err, errno, "stat /proc/self/exe");
  st->init_exe_dev = sb.st_dev;
  st->init_exe_ino = sb.st_ino;
  if (getrandom (&st->start_cookie, sizeof (st->start_cookie), 0) != sizeof (st->start_cookie))
    return berth_error (err, errno, "getrandom");
  /* Kept positive so it survives JSON integers.  */
  st->start_cookie &= INT64_MAX;
  return 0;
}

/* Tell the init its state is saved, and wait until it has stopped dying
 * with us (it closes its end).  */
static int
confirm_state_saved (int sync_fd, berth_error_t *err)
{
  char c;
  ssize_t r;

  if (berth_sync_send (sync_fd, SYNC_STATE_SAVED, 0, NULL) < 0)
    return berth_error (err, errno, "sync with container init");
  do
    r = recv (sync_fd, &c, 1, 0);
  while (r < 0 && errno == EINTR);
  if (r != 0)
    return berth_error (err, r < 0 ? errno : EPROTO, "container init did not finish setup");
  return 0;
}

/* The shared core of create and run: on success the container is "created"
 * and *pid_out is its process, our child.  */
static int
create_container (const struct berth_runtime *rt, const struct berth_create_options *o,
                  pid_t *pid_out, int *terminal_master, berth_error_t *err)
{
  cleanup_close int console_fd = -1;
  struct berth_cgroup *cg = NULL;
  cleanup_spec struct berth_spec *owned_spec = NULL;
  const struct berth_spec *spec = NULL;
  cleanup_free char *bundle = NULL;
  cleanup_free char *rootfs = NULL;
  cleanup_close int state_fd = -1;
  cleanup_close int sync_parent = -1;
  struct berth_state st = { 0 };
  struct berth_launch l = { 0 };
  struct early_record rec;
  sigset_t start_set, caller_mask;
  int socks[2] = { -1, -1 };
  pid_t pid = -1;
  bool zombie;
  int r;

  if (berth_id_validate (o->id, err) < 0)
    return berth_error_set_code (err, BERTH_EINVAL);
  if (load_config (o, &spec, &owned_spec, err) < 0
      || resolve_paths (o, spec, &bundle, &rootfs, err) < 0)
    return berth_error_ret (err);
  /* As runc, relative paths in the config (bind sources) and hooks see the
   * bundle as their working directory: the init and each hook's child go
   * there, never the caller.  */
  if (berth_state_reserve (rt->root, o->id, &state_fd, err) < 0)
    return berth_error_ret (err);

  r = state_init (&st, o->id, bundle, rootfs, spec, err);
  st.config_text = spec->json_text;
  if (r < 0)
    goto fail;
  /* No mount namespace: the container's mounts go to ours, on a bind that
   * delete detaches (the early records name it too).  */
  if (!berth_spec_has_namespace (spec, CLONE_NEWNS, NULL)
      && (r = berth_rootfs_bind_shared (rootfs, &st.rootfs_mnt_id, err)) < 0)
    goto fail;
  rec = (struct early_record){ .fd = state_fd, .st = &st };
  r = make_cgroup (rt, o->id, spec, &rec, &cg, err);
  if (r < 0)
    goto fail;
  free (st.cgroup);
  st.cgroup = NULL;
  if (cg || st.rootfs_mnt_id)
    {
      /* Now with the directories create really made (the early record
       * guessed them from what did not exist), and the rootfs bind.  */
      if (cg && (st.cgroup = berth_cgroup_serialize (cg)) == NULL)
        {
          r = berth_error (err, ENOMEM, "state of `%s`", o->id);
          goto fail;
        }
      st.creating = true;
      r = berth_state_save (state_fd, &st, err);
      st.creating = false;
      if (r < 0)
        goto fail;
    }
  r = init_identity (&st, err);
  if (r < 0)
    goto fail;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, socks) < 0)
    {
      r = berth_error (err, errno, "socketpair");
      goto fail;
    }
  sync_parent = socks[0];
  if (spec->process->terminal && o->console_socket)
    {
      console_fd = berth_console_socket_connect (o->console_socket, err);
      if (console_fd < 0)
        {
          r = console_fd;
          goto fail;
        }
    }

  l = (struct berth_launch){
    .rt = rt,
    .opts = o,
    .spec = spec,
    .rootfs = rootfs,
    .sync_fd = socks[1],
    .lock_fd = state_fd,
    .start_cookie = st.start_cookie,
    .need_hooks_sync = needs_hooks_sync (spec),
    .runtime_pid = getpid (),
    .runtime_unprivileged = geteuid () != 0,
    .listen_fds = o->listen_fds,
    .bundle = bundle[0] ? bundle : NULL,
    .console_fd = console_fd,
    .wait_cgroup = cg != NULL,
    .cgroup_path = cg ? berth_cgroup_path (cg) : NULL,
    .cgroup = cg,
    .cgroupns_after_join = cg && (berth_namespaces_new_flags (spec) & CLONE_NEWCGROUP),
  };
  if (o->stdio && !spec->process->terminal)
    {
      l.has_stdio = true;
      memcpy (l.stdio, o->stdio, sizeof (l.stdio));
    }
  if (spec->linux_.seccomp
      && berth_seccomp_prepare_cached (spec->linux_.seccomp, rt->seccomp_cache, &l.seccomp, err)
             < 0)
    {
      r = berth_error_ret (err);
      close (socks[1]);
      goto fail;
    }
  /* Blocked from before the clone, so a start signal can never be lost;
   * the init inherits the block, the caller's thread gets its mask back.  */
  sigemptyset (&start_set);
  sigaddset (&start_set, BERTH_START_SIGNAL);
  pthread_sigmask (SIG_BLOCK, &start_set, &caller_mask);
  l.exec_sigmask = caller_mask;
  pid = spawn_init (&l, err);
  pthread_sigmask (SIG_SETMASK, &caller_mask, NULL);
  berth_seccomp_filter_free (l.seccomp);
  close (socks[1]);
  close (steal_fd (&console_fd));
  if (pid < 0)
    {
      r = pid;
      goto fail;
    }
  berth_log (rt, BERTH_LOG_DEBUG, "create `%s`: init %d cloned, bundle `%s`, rootfs `%s`", o->id,
             pid, bundle, rootfs);
  r = drive_init (sync_parent, &pid, spec, &st, cg, terminal_master, err);
  if (r < 0)
    goto fail;
  berth_log (rt, BERTH_LOG_DEBUG, "create `%s`: container process %d ready", o->id, pid);

  st.pid = pid;
  st.pid_start_time = berth_proc_start_time (pid, &zombie);
  r = berth_state_save (state_fd, &st, err);
  if (r < 0)
    goto fail;
  if (o->pid_file)
    {
      r = berth_write_pid_file (o->pid_file, pid, err);
      if (r < 0)
        goto fail;
    }
  r = confirm_state_saved (sync_parent, err);
  if (r < 0)
    goto fail;
  *pid_out = pid;
  berth_cgroup_free (cg);
  state_release (&st);
  return 0;

fail:
  berth_kill_and_reap (pid, -1);
  {
    berth_error_t ignored = NULL;
    if (cg)
      berth_cgroup_destroy (cg, &ignored);
    berth_error_release (&ignored);
    berth_state_remove (rt->root, o->id, &ignored);
    berth_error_release (&ignored);
  }
  berth_rootfs_unbind_shared (rootfs, st.rootfs_mnt_id);
  berth_cgroup_free (cg);
  state_release (&st);
  return r;
}

int
berth_container_create_process (const struct berth_runtime *rt,
                                const struct berth_create_options *o, pid_t *pid,
                                int *pty_master, berth_error_t *err)
{
  *pty_master = -1;
  return create_container (rt, o, pid, pty_master, err);
}

int
berth_container_create (const struct berth_runtime *rt, const struct berth_create_options *o,
                        pid_t *pid, berth_error_t *err)
{
  pid_t p;
  if (create_container (rt, o, &p, NULL, err) < 0)
    return berth_error_ret (err);
  if (pid)
    *pid = p;
  return 0;
}

static int
send_start_signal (const struct berth_state *st, int pidfd, berth_error_t *err)
{
  siginfo_t si = { 0 };

  si.si_signo = BERTH_START_SIGNAL;
  si.si_code = SI_QUEUE;
  si.si_pid = getpid ();
  si.si_uid = getuid ();
  si.si_value.sival_ptr = (void *) (uintptr_t) st->start_cookie;
  if (syscall (SYS_pidfd_send_signal, pidfd, BERTH_START_SIGNAL, &si, 0) < 0)
    return berth_error (err, errno, "cannot start container `%s`", st->id);
  return 0;
}

/* No event tells of an exec: poll the derived status (only when poststart
 * hooks need it).  */
static void
wait_for_exec (const struct berth_runtime *rt, const struct berth_state *st)
{
  for (int i = 0; i < 10000; i++)
    {
      struct berth_state *now = NULL;
      enum berth_status s = BERTH_STATUS_STOPPED;
      if (berth_state_load (rt->root, st->id, &now, NULL) == 0)
        s = now->status;
      berth_state_free (now);
      if (s != BERTH_STATUS_CREATED)
        return;
      usleep (1000);
    }
}

int
berth_container_start (const struct berth_runtime *rt, const char *id, berth_error_t *err)
{
  cleanup_close int lock_fd = -1;
  cleanup_close int pidfd = -1;
  cleanup_state struct berth_state *st = NULL;

  if (berth_state_lock (rt->root, id, &lock_fd, &st, err) < 0)
    return berth_error_ret (err);
  /* The pidfd first, then the identity: a pid reused since the status was
   * derived fails the start-time check, and the signal goes to the process
   * the pidfd holds, never to a newcomer.  */
  if (st->status == BERTH_STATUS_CREATED && st->pid > 0)
    pidfd = berth_pidfd_open (st->pid);
  if (pidfd >= 0 && !berth_state_process_alive (st))
    st->status = BERTH_STATUS_STOPPED;
  if (st->status != BERTH_STATUS_CREATED || pidfd < 0)
    {
      berth_error (err, 0, "cannot start container `%s`: it is %s, not created", id,
                   berth_status_name (pidfd < 0 ? BERTH_STATUS_STOPPED : st->status));
      return berth_error_set_code (err, BERTH_ESTATE);
    }
  if (send_start_signal (st, pidfd, err) < 0)
    return berth_error_ret (err);
  if (st->poststart.n)
    {
      /* poststart runs after the user program was executed (and so after
       * startContainer): wait for the init to exec, or to die trying.
       * poststart failures are warnings in the spec: the container runs on.  */
      berth_error_t warning = NULL;
      wait_for_exec (rt, st);
      if (run_hooks_with_state (&st->poststart, "poststart", st, BERTH_STATUS_RUNNING, &warning)
          < 0)
        berth_log_error (rt, BERTH_LOG_WARNING, &warning);
    }
  return 0;
}

/* Signals a foreground `run` passes on to the container process.  */
static const int forwarded_signals[]
    = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP };

int
berth_wait_forwarding (pid_t pid, const sigset_t *forward, int *exit_status, berth_error_t *err)
{
  sigset_t set = *forward, old;
  int status;

  sigaddset (&set, SIGCHLD);
  pthread_sigmask (SIG_BLOCK, &set, &old);
  for (;;)
    {
      siginfo_t si;
      pid_t w = waitpid (pid, &status, WNOHANG);
      if (w == pid)
        break;
      if (w < 0 && errno != EINTR)
        {
          pthread_sigmask (SIG_SETMASK, &old, NULL);
          return berth_error (err, errno, "wait for container process");
        }
      if (sigwaitinfo (&set, &si) > 0 && si.si_signo != SIGCHLD)
        kill (pid, si.si_signo);
    }
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  if (WIFEXITED (status))
    *exit_status = WEXITSTATUS (status);
  else if (WIFSIGNALED (status))
    *exit_status = 128 + WTERMSIG (status);
  else
    *exit_status = 255;
  return 0;
}

static void
forwarded_set (sigset_t *set)
{
  sigemptyset (set);
  for (size_t i = 0; i < sizeof (forwarded_signals) / sizeof (int); i++)
    sigaddset (set, forwarded_signals[i]);
}

int
berth_relay_and_wait (pid_t pid, int master, const sigset_t *forward, int *exit_status,
                      berth_error_t *err)
{
  sigset_t old;
  int r = 0, e;

  /* Blocked across relay and wait: a signal that comes between the two
   * waits pending for the wait to forward, instead of killing us.  */
  e = pthread_sigmask (SIG_BLOCK, forward, &old);
  if (e != 0)
    return berth_error (err, e, "block signals");
  if (master >= 0)
    {
      cleanup_close int pidfd = berth_pidfd_open (pid); /* our child: not reused */
      struct berth_terminal_relay relay = {
        .master = master,
        .in_fd = STDIN_FILENO,
        .out_fd = STDOUT_FILENO,
        .tty_fd = isatty (STDIN_FILENO) ? STDIN_FILENO : -1,
        .pidfd = pidfd,
      };
      /* A relay that fails still leaves the process to wait for.  */
      r = berth_terminal_relay (&relay, err);
    }
  {
    berth_error_t werr = NULL;
    int w = berth_wait_forwarding (pid, forward, exit_status, r < 0 ? &werr : err);
    berth_error_release (&werr);
    if (r == 0)
      r = w;
  }
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  return r;
}

int
berth_container_run (const struct berth_runtime *rt, const struct berth_create_options *o,
                     int *exit_status, berth_error_t *err)
{
  struct berth_create_options ro = *o;
  cleanup_close int master = -1;
  sigset_t forward;
  pid_t pid;
  int r;

  ro.for_run = true;
  if (create_container (rt, &ro, &pid, &master, err) < 0)
    return berth_error_ret (err);
  if (berth_container_start (rt, o->id, err) < 0)
    {
      berth_error_t ignored = NULL;
      berth_container_delete (rt, o->id, true, &ignored);
      berth_error_release (&ignored);
      return berth_error_ret (err);
    }
  *exit_status = 0;
  if (o->detach)
    return 0;
  /* A terminal of our own: relay it until the container's side closes,
   * forwarding signals meanwhile too.  */
  forwarded_set (&forward);
  r = berth_relay_and_wait (pid, master, &forward, exit_status, err);
  {
    berth_error_t derr = NULL;
    if (berth_container_delete (rt, o->id, true, &derr) < 0 && r == 0)
      {
        *err = derr;
        return berth_error_ret (err);
      }
    berth_error_release (&derr);
  }
  return r;
}

int
berth_container_state (const struct berth_runtime *rt, const char *id, char **json,
                       berth_error_t *err)
{
  cleanup_state struct berth_state *st = NULL;

  if (berth_state_load (rt->root, id, &st, err) < 0)
    return berth_error_ret (err);
  *json = berth_state_to_json (st, st->status, true);
  if (*json == NULL)
    return berth_error (err, ENOMEM, "state of `%s`", id);
  return 0;
}

/* Pin PID with a pidfd, check it is still in the pid namespace TARGET (it
 * may have been reused since /proc was read), then signal the pinned one.  */
static void
signal_if_in_pidns (pid_t pid, const char *target, int sig)
{
  cleanup_close int pidfd = berth_pidfd_open (pid);
  char path[64], link[64];
  ssize_t n;

  if (pidfd < 0)
    return;
  snprintf (path, sizeof (path), "/proc/%d/ns/pid", pid);
  n = readlink (path, link, sizeof (link) - 1);
  if (n < 0)
    return;
  link[n] = '\0';
  if (strcmp (link, target) == 0)
    berth_pidfd_send_signal (pidfd, sig);
}

/* Every process in the container's pid namespace (without cgroups, the pid
 * namespace is what makes "all" of a container).  */
static int
kill_all_in_pidns (const struct berth_state *st, int sig)
{
  char path[64], target[64], link[64];
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  ssize_t n;

  snprintf (path, sizeof (path), "/proc/%d/ns/pid", st->pid);
  n = readlink (path, target, sizeof (target) - 1);
  if (n < 0)
    return -errno;
  target[n] = '\0';
  d = opendir ("/proc");
  if (d == NULL)
    return -errno;
  while ((de = readdir (d)))
    {
      long pid;
      if (!berth_parse_long (de->d_name, &pid))
        continue;
      snprintf (path, sizeof (path), "/proc/%ld/ns/pid", pid);
      n = readlink (path, link, sizeof (link) - 1);
      if (n < 0)
        continue;
      link[n] = '\0';
      if (strcmp (link, target) == 0)
        signal_if_in_pidns ((pid_t)pid, target, sig);
    }
  return 0;
}

static bool
has_own_pidns (pid_t pid)
{
  char a[64], b[64], path[64];
  ssize_t n, m;
  snprintf (path, sizeof (path), "/proc/%d/ns/pid", pid);
  n = readlink (path, a, sizeof (a));
  m = readlink ("/proc/self/ns/pid", b, sizeof (b));
  return n > 0 && m > 0 && (n != m || memcmp (a, b, n) != 0);
}

/* Every process of the container: its cgroup when it has one, else its pid
 * namespace when that is its own.  */
static void
signal_all (const struct berth_state *st, int sig)
{
  struct berth_cgroup *cg = NULL;

  if (st->cgroup && berth_cgroup_load (st->cgroup, &cg, NULL) == 0)
    {
      berth_cgroup_signal_all (cg, sig, NULL);
      berth_cgroup_free (cg);
      return;
    }
  if (has_own_pidns (st->pid))
    kill_all_in_pidns (st, sig);
}

/* Kill of a container whose process is gone.  As runc and crun do, --all
 * still reaches whatever is left in its cgroup and succeeds (containerd's
 * shim runs `kill --all ID 9` after the init exited and takes any error as
 * a failure), while a plain kill fails with the words the shim and Podman
 * look for ("container not running") to tell "already exited" from a real
 * error.  */
static int
not_running (const struct berth_state *st, int sig, bool all, berth_error_t *err)
{
  if (!all)
    {
      berth_error (err, ESRCH, "cannot kill container `%s`: container not running", st->id);
      return berth_error_set_code (err, BERTH_ESTATE);
    }
  /* Only the cgroup: the pid namespace died with its init, and st->pid
   * may name another process by now.  */
  if (st->cgroup)
    {
      struct berth_cgroup *cg = NULL;
      if (berth_cgroup_load (st->cgroup, &cg, NULL) == 0)
        berth_cgroup_signal_all (cg, sig, NULL);
      berth_cgroup_free (cg);
    }
  return 0;
}

static int
signal_container (const struct berth_state *st, int sig, bool all, berth_error_t *err)
{
  cleanup_close int pidfd = berth_pidfd_open (st->pid);

  if (pidfd < 0 || !berth_state_process_alive (st))
    return not_running (st, sig, all, err);
  if (all)
    signal_all (st, sig);
  if (berth_pidfd_send_signal (pidfd, sig) < 0 && errno != ESRCH)
    return berth_error (err, errno, "kill container `%s`", st->id);
  return 0;
}

int
berth_container_kill (const struct berth_runtime *rt, const char *id, int sig, bool all,
                      berth_error_t *err)
{
  cleanup_state struct berth_state *st = NULL;

  if (berth_state_load (rt->root, id, &st, err) < 0)
    return berth_error_ret (err);
  if (st->status == BERTH_STATUS_STOPPED)
    return not_running (st, sig, all, err);
  return signal_container (st, sig, all, err);
}

static int
wait_gone (const struct berth_state *st, int timeout_ms)
{
  cleanup_close int pidfd = berth_pidfd_open (st->pid);
  struct pollfd p = { .fd = pidfd, .events = POLLIN };
  bool ended;

  /* Not our process any more (a reused pid): nothing to wait for.  One
   * that is exiting is waited for: a pid namespace's init stays in its
   * exit path until the namespace is empty, and delete returns when the
   * container's processes are gone, not when they are on their way.  */
  if (pidfd < 0 || berth_proc_start_time (st->pid, &ended) != st->pid_start_time)
    return 0;
  /* A pidfd is readable once the process exits (zombie counts as gone).  */
  if (poll (&p, 1, timeout_ms) == 1)
    return 0;
  return -ETIMEDOUT;
}

int
berth_container_delete (const struct berth_runtime *rt, const char *id, bool force,
                        berth_error_t *err)
{
  cleanup_close int lock_fd = -1;
  cleanup_state struct berth_state *st = NULL;

  if (berth_state_lock (rt->root, id, &lock_fd, &st, err) < 0)
    return berth_error_ret (err);
  /* The spec: deleting a container that is not stopped is an error and has
   * no effect (runc deletes created ones; runtime-tools checks the spec).  */
  if (st->status != BERTH_STATUS_STOPPED && !force)
    {
      berth_error (err, 0, "cannot delete container `%s` that is %s: kill it first or use "
                           "--force", id, berth_status_name (st->status));
      return berth_error_set_code (err, BERTH_ESTATE);
    }
  if (st->status != BERTH_STATUS_STOPPED)
    {
      signal_container (st, SIGKILL, true, NULL);
      if (st->status != BERTH_STATUS_PAUSED && wait_gone (st, 10000) < 0)
        return berth_error (err, ETIMEDOUT, "container `%s` did not die after SIGKILL", id);
    }
  /* Whatever became of the processes, the cgroup goes: destroy kills what
   * is left (a paused container too) and removes the directories.  */
  if (st->cgroup)
    {
      struct berth_cgroup *cg = NULL;
      int r = berth_cgroup_load (st->cgroup, &cg, err);
      if (r == 0)
        r = berth_cgroup_destroy (cg, err);
      berth_cgroup_free (cg);
      if (r < 0)
        return berth_error_wrap (err, "delete container `%s`", id);
    }
  /* Its processes are gone: the mounts it made in our namespace go too.  */
  berth_rootfs_unbind_shared (st->rootfs, st->rootfs_mnt_id);
  if (st->poststop.n)
    {
      /* poststop failures are warnings in the spec: delete goes on.  */
      berth_error_t warning = NULL;
      if (run_hooks_with_state (&st->poststop, "poststop", st, BERTH_STATUS_STOPPED, &warning) < 0)
        berth_log_error (rt, BERTH_LOG_WARNING, &warning);
    }
  return berth_state_remove (rt->root, id, err);
}

int
berth_container_list (const struct berth_runtime *rt, struct berth_state ***states, size_t *n,
                      berth_error_t *err)
{
  cleanup_strv char **ids = NULL;
  size_t count, used = 0;
  struct berth_state **v;

  if (berth_state_list_ids (rt->root, &ids, err) < 0)
    return berth_error_ret (err);
  count = berth_strv_len (ids);
  v = calloc (count + 1, sizeof (*v));
  if (v == NULL)
    return berth_error (err, ENOMEM, "list");
  for (size_t i = 0; i < count; i++)
    if (berth_state_load (rt->root, ids[i], &v[used], NULL) == 0)
      used++;
  *states = v;
  *n = used;
  return 0;
}

static const struct
{
  const char *name;
  int sig;
} signal_names[] = {
  { "HUP", SIGHUP },     { "INT", SIGINT },       { "QUIT", SIGQUIT },   { "ILL", SIGILL },
  { "TRAP", SIGTRAP },   { "ABRT", SIGABRT },     { "IOT", SIGIOT },     { "BUS", SIGBUS },
  { "FPE", SIGFPE },     { "KILL", SIGKILL },     { "USR1", SIGUSR1 },   { "SEGV", SIGSEGV },
  { "USR2", SIGUSR2 },   { "PIPE", SIGPIPE },     { "ALRM", SIGALRM },   { "TERM", SIGTERM },
  { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },   { "CONT", SIGCONT },   { "STOP", SIGSTOP },
  { "TSTP", SIGTSTP },   { "TTIN", SIGTTIN },     { "TTOU", SIGTTOU },   { "URG", SIGURG },
  { "XCPU", SIGXCPU },   { "XFSZ", SIGXFSZ },     { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
  { "WINCH", SIGWINCH }, { "IO", SIGIO },         { "POLL", SIGPOLL },   { "PWR", SIGPWR },
  { "SYS", SIGSYS },
};

int
berth_signal_parse (const char *s)
{
  long n;

  if (s == NULL || *s == '\0')
    return -1;
  if (berth_parse_long (s, &n))
    return (n > 0 && n < NSIG) ? (int) n : -1;
  if (strncasecmp (s, "SIG", 3) == 0)
    s += 3;
  if (strncasecmp (s, "RTMIN", 5) == 0 || strncasecmp (s, "RTMAX", 5) == 0)
    {
      long off = 0;
      if (s[5] && !berth_parse_long (s + 5, &off))
        return -1;
      n = (toupper ((unsigned char) s[2]) == 'M' && toupper ((unsigned char) s[3]) == 'I')
              ? SIGRTMIN + off
              : SIGRTMAX + off;
      return (n >= SIGRTMIN && n <= SIGRTMAX) ? (int) n : -1;
    }
  for (size_t i = 0; i < sizeof (signal_names) / sizeof (signal_names[0]); i++)
    if (strcasecmp (s, signal_names[i].name) == 0)
      return signal_names[i].sig;
  return -1;
}
