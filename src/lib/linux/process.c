/* The container process's own setup, run by the container init just before
 * execve: rlimits and oom score, executable lookup, user and groups, umask,
 * capability sets and no_new_privs, and the exec itself.  Also the name
 * tables that turn "CAP_*" and "RLIMIT_*" strings into numbers.
 *
 * Ambient capabilities: a capability can only be ambient when it is both
 * permitted and inheritable.  Like runc, an ambient capability that the
 * configuration does not also grant in those two sets is skipped silently
 * rather than failing the container.  */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <grp.h>
#include <signal.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/seccomp_filter.h"
#include "oci/names.h"
#include "util.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

static const char *
capability_name (int cap)
{
  /* A kernel newer than the table may know more capabilities.  */
  const char *name = berth_capability_name (cap);
  return name ? name : "unknown capability";
}

/* Executable lookup.  */

/* The checks runc (through Go's exec.LookPath) makes on a candidate: it must
 * exist, not be a directory, be a regular file and have an execute bit.
 * Returns 0 or an errno value.  */
static int
check_executable (const char *path)
{
  struct stat st;

  if (stat (path, &st) < 0)
    return errno;
  if (S_ISDIR (st.st_mode))
    return EISDIR;
  if (!S_ISREG (st.st_mode) || (st.st_mode & 0111) == 0)
    return EACCES;
  return 0;
}

static int
use_path_as_is (const char *name, char **path, berth_error_t *err)
{
  int r = check_executable (name);

  if (r == EISDIR)
    return berth_error (err, 0, "exec: \"%s\": is a directory", name);
  if (r == EACCES)
    return berth_error (err, EACCES, "exec: \"%s\"", name);
  if (r != 0)
    return berth_error (err, r, "exec: \"%s\": stat", name);
  *path = strdup (name);
  if (*path == NULL)
    return berth_error (err, ENOMEM, "exec: \"%s\"", name);
  return 0;
}

/* Try NAME in one PATH entry of length LEN; an empty entry means the current
 * directory.  Returns 1 and sets *path on a hit, 0 on a miss.  */
static int
try_path_entry (const char *dir, size_t len, const char *name, char **path, berth_error_t *err)
{
  cleanup_free char *candidate = NULL;

  if (len == 0)
    {
      dir = ".";
      len = 1;
    }
  if (asprintf (&candidate, "%.*s/%s", (int)len, dir, name) < 0)
    return berth_error (err, ENOMEM, "exec: \"%s\"", name);
  if (check_executable (candidate) != 0)
    return 0;
  *path = steal_pointer (&candidate);
  return 1;
}

int
berth_process_find_executable (const struct berth_process *process, char **path, berth_error_t *err)
{
  const char *name, *search, *entry;

  if (process == NULL || process->args == NULL || process->args[0] == NULL)
    return berth_error (err, 0, "exec: no command specified");
  name = process->args[0];
  if (strchr (name, '/'))
    return use_path_as_is (name, path, err);

  search = berth_strv_getenv (process->env, "PATH");
  if (search == NULL)
    search = DEFAULT_PATH;
  /* An empty PATH has no entries at all, as in Go's filepath.SplitList.  */
  entry = *name && *search ? search : NULL;
  while (entry)
    {
      const char *end = strchrnul (entry, ':');
      int r = try_path_entry (entry, end - entry, name, path, err);
      if (r != 0)
        return r < 0 ? r : 0;
      entry = *end ? end + 1 : NULL;
    }
  return berth_error (err, 0, "exec: \"%s\": executable file not found in $PATH", name);
}

/* Limits.  */

static int
apply_rlimit (const struct berth_rlimit *rl, berth_error_t *err)
{
  struct rlimit limit = {
    .rlim_cur = rl->soft == UINT64_MAX ? RLIM_INFINITY : (rlim_t)rl->soft,
    .rlim_max = rl->hard == UINT64_MAX ? RLIM_INFINITY : (rlim_t)rl->hard,
  };

  if (setrlimit (rl->resource, &limit) < 0)
    return berth_error (err, errno, "setrlimit `%s`", berth_rlimit_name (rl->resource));
  return 0;
}

static int
write_oom_score_adj (int value, berth_error_t *err)
{
  const char *path = "/proc/self/oom_score_adj";
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  char buf[16];
  int len, r;

  if (fd < 0)
    return berth_error (err, errno, "open `%s`", path);
  len = snprintf (buf, sizeof (buf), "%d", value);
  r = berth_write_all (fd, buf, len);
  if (r < 0)
    return berth_error (err, -r, "write `%s`", path);
  return 0;
}

int
berth_process_apply_limits (const struct berth_process *process, berth_error_t *err)
{
  for (size_t i = 0; i < process->n_rlimits; i++)
    if (apply_rlimit (&process->rlimits[i], err) < 0)
      return berth_error_ret (err);
  if (process->has_oom_score_adj && write_oom_score_adj (process->oom_score_adj, err) < 0)
    return berth_error_wrap (err, "set oomScoreAdj to %d", process->oom_score_adj);
  return 0;
}

/* User and groups.  */

static int
set_additional_groups (const struct berth_user *user, berth_error_t *err)
{
  cleanup_free gid_t *gids = NULL;

  if (user->n_additional_gids > 0)
    {
      gids = calloc (user->n_additional_gids, sizeof (*gids));
      if (gids == NULL)
        return berth_error (err, ENOMEM, "setgroups");
      for (size_t i = 0; i < user->n_additional_gids; i++)
        gids[i] = user->additional_gids[i];
    }
  if (setgroups (user->n_additional_gids, gids) < 0)
    return berth_error (err, errno, "setgroups");
  return 0;
}

int
berth_process_set_user (const struct berth_process *process, bool setgroups_allowed,
                        berth_error_t *err)
{
  const struct berth_user *user = &process->user;

  /* Without KEEPCAPS the permitted set is cleared when every uid leaves 0,
   * and berth_process_apply_capabilities would have nothing to keep.  */
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return berth_error (err, errno, "prctl PR_SET_KEEPCAPS");
  if (setgroups_allowed && set_additional_groups (user, err) < 0)
    return berth_error_ret (err);
  if (setresgid (user->gid, user->gid, user->gid) < 0)
    return berth_error (err, errno, "setresgid %u", (unsigned)user->gid);
  if (setresuid (user->uid, user->uid, user->uid) < 0)
    return berth_error (err, errno, "setresuid %u", (unsigned)user->uid);
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return berth_error (err, errno, "prctl PR_SET_KEEPCAPS");
  umask (user->has_umask ? user->umask : 0022);
  return 0;
}

/* Capabilities.  */

struct cap_sets
{
  uint64_t effective;
  uint64_t permitted;
  uint64_t inheritable;
};

static int
cap_get (struct cap_sets *sets)
{
  struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2];

  memset (data, 0, sizeof (data));
  if (syscall (SYS_capget, &header, data) < 0)
    return -errno;
  sets->effective = data[0].effective | ((uint64_t)data[1].effective << 32);
  sets->permitted = data[0].permitted | ((uint64_t)data[1].permitted << 32);
  sets->inheritable = data[0].inheritable | ((uint64_t)data[1].inheritable << 32);
  return 0;
}

static int
cap_set (const struct cap_sets *sets)
{
  struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2] = {
    { (uint32_t)sets->effective, (uint32_t)sets->permitted, (uint32_t)sets->inheritable },
    { (uint32_t)(sets->effective >> 32), (uint32_t)(sets->permitted >> 32),
      (uint32_t)(sets->inheritable >> 32) },
  };

  if (syscall (SYS_capset, &header, data) < 0)
    return -errno;
  return 0;
}

/* The highest capability number the running kernel knows.  */
static int
last_capability (void)
{
  cleanup_free char *text = NULL;
  long value;
  int cap;

  if (berth_read_file ("/proc/sys/kernel/cap_last_cap", &text, NULL, NULL) == 0)
    {
      text[strcspn (text, "\n")] = '\0';
      if (berth_parse_long (text, &value) && value >= 0 && value < 64)
        return (int)value;
    }
  /* /proc may not be mounted yet: probe the bounding set instead.  */
  for (cap = 0; cap < 63; cap++)
    if (prctl (PR_CAPBSET_READ, cap + 1, 0, 0, 0) < 0)
      break;
  return cap;
}

static int
drop_bounding_set (uint64_t keep, int last_cap, berth_error_t *err)
{
  for (int cap = 0; cap <= last_cap; cap++)
    {
      int present;

      if (keep & (UINT64_C (1) << cap))
        continue;
      present = prctl (PR_CAPBSET_READ, cap, 0, 0, 0);
      if (present < 0)
        return berth_error (err, errno, "prctl PR_CAPBSET_READ %d", cap);
      if (present && prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
        return berth_error (err, errno, "drop `%s` from the bounding set", capability_name (cap));
    }
  return 0;
}

static int
raise_ambient (const struct cap_sets *sets, uint64_t ambient, int last_cap, berth_error_t *err)
{
  uint64_t allowed = ambient & sets->permitted & sets->inheritable;

  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    {
      /* A kernel without ambient capabilities has none to clear.  */
      if (errno == EINVAL && allowed == 0)
        return 0;
      return berth_error (err, errno, "clear ambient capabilities");
    }
  for (int cap = 0; cap <= last_cap; cap++)
    if ((allowed & (UINT64_C (1) << cap))
        && prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      return berth_error (err, errno, "raise ambient `%s`", capability_name (cap));
  return 0;
}

int
berth_process_apply_capabilities (const struct berth_process *process, berth_error_t *err)
{
  const struct berth_capabilities *caps = &process->capabilities;
  int last_cap = last_capability ();
  uint64_t valid = last_cap >= 63 ? UINT64_MAX : (UINT64_C (1) << (last_cap + 1)) - 1;
  struct cap_sets current = { 0, 0, 0 }, wanted = { 0, 0, 0 };
  uint64_t bounding = 0, ambient = 0;
  int r;

  if (caps->present)
    {
      bounding = caps->bounding & valid;
      ambient = caps->ambient & valid;
      wanted.effective = caps->effective & valid;
      wanted.permitted = caps->permitted & valid;
      wanted.inheritable = caps->inheritable & valid;
    }

  /* After a uid change the effective set is empty while the permitted set
   * was kept: make it effective again, since dropping from the bounding set
   * needs CAP_SETPCAP.  */
  r = cap_get (&current);
  if (r < 0)
    return berth_error (err, -r, "capget");
  current.effective = current.permitted;
  r = cap_set (&current);
  if (r < 0)
    return berth_error (err, -r, "capset");

  if (drop_bounding_set (bounding, last_cap, err) < 0)
    return berth_error_ret (err);
  r = cap_set (&wanted);
  if (r < 0)
    return berth_error (err, -r, "capset");
  if (raise_ambient (&wanted, ambient, last_cap, err) < 0)
    return berth_error_ret (err);
  if (process->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return berth_error (err, errno, "prctl PR_SET_NO_NEW_PRIVS");
  return 0;
}

/* Signals.  */

void
berth_process_reset_signals (void)
{
  struct sigaction sa = { .sa_handler = SIG_DFL };

  sigemptyset (&sa.sa_mask);
  /* Numbers libc keeps for itself, KILL and STOP just fail.  */
  for (int sig = 1; sig < NSIG; sig++)
    sigaction (sig, &sa, NULL);
}

/* Working directory.  */

/* Where chdir landed, as the kernel sees it from our root: a directory
 * outside it (an fd of the host's reached through /proc/self/fd/N, a
 * symlink in /proc) reads as "(unreachable)/..." or not starting with "/".
 * The raw syscall: glibc turns that answer into ENOENT.  */
static int
check_cwd_inside_root (const char *cwd, berth_error_t *err)
{
  char buf[PATH_MAX + 1];
  long n = syscall (SYS_getcwd, buf, sizeof (buf));

  if (n < 0 && errno == ENAMETOOLONG)
    return 0; /* deep, but the kernel would have said unreachable first */
  if (n < 0)
    return berth_error (err, errno, "cwd `%s`: getcwd", cwd);
  if (n == 0 || buf[0] != '/')
    return berth_error (err, 0, "cwd `%s` is outside the container root", cwd);
  return 0;
}

int
berth_process_enter_cwd (const struct berth_process *process, bool create, berth_error_t *err)
{
  const char *cwd = process->cwd;

  if (cwd == NULL || cwd[0] != '/')
    return berth_error (err, EINVAL, "cwd `%s` must be an absolute path", cwd ? cwd : "");
  if (chdir (cwd) < 0)
    {
      int e = errno;
      if (e == ENOTDIR)
        return berth_error (err, 0, "cwd `%s` is not a directory", cwd);
      if (e != ENOENT || !create)
        return berth_error (err, e, "chdir to cwd `%s`", cwd);
      if (berth_mkdir_p (cwd, 0755, err) < 0)
        return berth_error_wrap (err, "create cwd");
      if (chdir (cwd) < 0)
        return berth_error (err, errno, "chdir to cwd `%s`", cwd);
    }
  return BERTH_WEAKENED ? 0 : check_cwd_inside_root (cwd, err);
}

/* Exec.  */

int
berth_process_exec (const struct berth_process *process, const char *path, berth_error_t *err)
{
  char *empty_env[] = { NULL };

  execve (path, process->args, process->env ? process->env : empty_env);
  return berth_error (err, errno, "exec `%s`", path);
}

int
berth_process_install_stdio (const int fds[3], berth_error_t *err)
{
  int tmp[3];

  /* Copies above 2 first, so installing one cannot clobber another.  */
  for (int i = 0; i < 3; i++)
    {
      tmp[i] = fcntl (fds[i], F_DUPFD_CLOEXEC, 3);
      if (tmp[i] < 0)
        return berth_error (err, errno, "stdio fd %d", fds[i]);
    }
  for (int i = 0; i < 3; i++)
    {
      if (dup2 (tmp[i], i) < 0)
        return berth_error (err, errno, "install stdio fd %d", fds[i]);
      close (tmp[i]);
    }
  return 0;
}

int
berth_process_confine (const struct berth_process *p, bool setgroups_allowed,
                       const struct berth_seccomp_filter *filter, bool defer,
                       int (*install) (void *data, berth_error_t *err), void *data,
                       bool *deferred, berth_error_t *err)
{
  if (deferred)
    *deferred = false;
  /* Without no_new_privs, seccomp(2) needs CAP_SYS_ADMIN: install while we
   * still hold it.  */
  if (filter && !p->no_new_privileges && install (data, err) < 0)
    return berth_error_ret (err);
  if (berth_process_set_user (p, setgroups_allowed, err) < 0
      || berth_process_apply_capabilities (p, err) < 0)
    return berth_error_ret (err);
  if (filter == NULL || !p->no_new_privileges)
    return 0;
  /* With it, as late as possible; a listener must still reach the
   * runtime before the handshake ends, so it cannot wait.  */
  if (defer && !berth_seccomp_filter_uses_notify (filter))
    {
      *deferred = true;
      return 0;
    }
  return install (data, err);
}
