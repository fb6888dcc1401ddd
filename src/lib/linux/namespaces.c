/* Linux namespaces of a container: creation flags, joining by path, user
 * namespace mappings and time namespace offsets.  */
#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

static const struct
{
  int type;
  const char *name;
} namespace_names[] = {
  { CLONE_NEWUSER, "user" },     { CLONE_NEWPID, "pid" },     { CLONE_NEWNS, "mount" },
  { CLONE_NEWNET, "network" },   { CLONE_NEWIPC, "ipc" },     { CLONE_NEWUTS, "uts" },
  { CLONE_NEWCGROUP, "cgroup" }, { CLONE_NEWTIME, "time" },
};

const char *
berth_namespace_name (int type)
{
  for (size_t i = 0; i < sizeof (namespace_names) / sizeof (namespace_names[0]); i++)
    if (namespace_names[i].type == type)
      return namespace_names[i].name;
  return "unknown";
}

int
berth_namespaces_new_flags (const struct berth_spec *spec)
{
  int flags = 0;
  for (size_t i = 0; i < spec->linux_.n_namespaces; i++)
    if (spec->linux_.namespaces[i].path == NULL || spec->linux_.namespaces[i].path[0] == '\0')
      flags |= spec->linux_.namespaces[i].type;
  return flags;
}

bool
berth_namespaces_any_join (const struct berth_spec *spec, int except)
{
  for (size_t i = 0; i < spec->linux_.n_namespaces; i++)
    {
      const struct berth_namespace *ns = &spec->linux_.namespaces[i];
      if (ns->path && ns->path[0] && !(ns->type & except))
        return true;
    }
  return false;
}

int
berth_namespace_enter (const char *path, int type, berth_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_error (err, errno, "open %s namespace `%s`", berth_namespace_name (type), path);
  if (setns (fd, type) < 0)
    return berth_error (err, errno, "join %s namespace `%s`", berth_namespace_name (type), path);
  return 0;
}

int
berth_namespaces_join (const struct berth_spec *spec, int except, berth_error_t *err)
{
  const char *path;

  /* The user namespace first: the others are then joined with its privileges.  */
  if (!(except & CLONE_NEWUSER) && berth_spec_has_namespace (spec, CLONE_NEWUSER, &path) && path
      && path[0])
    if (berth_namespace_enter (path, CLONE_NEWUSER, err) < 0)
      return berth_error_ret (err);
  for (size_t i = 0; i < spec->linux_.n_namespaces; i++)
    {
      const struct berth_namespace *ns = &spec->linux_.namespaces[i];
      if (ns->type == CLONE_NEWUSER || (ns->type & except) || ns->path == NULL || !ns->path[0])
        continue;
      if (berth_namespace_enter (ns->path, ns->type, err) < 0)
        return berth_error_ret (err);
    }
  return 0;
}

static int
write_id_map (pid_t pid, const char *file, const struct berth_id_mapping *m, size_t n,
              berth_error_t *err)
{
  char path[64];
  char buf[4096];
  size_t used = 0;

  for (size_t i = 0; i < n; i++)
    {
      int w = snprintf (buf + used, sizeof (buf) - used, "%u %u %u\n", m[i].container_id,
                        m[i].host_id, m[i].size);
      if (w < 0 || (size_t) w >= sizeof (buf) - used)
        return berth_error (err, E2BIG, "%s: too many mappings", file);
      used += w;
    }
  snprintf (path, sizeof (path), "/proc/%d/%s", pid, file);
  if (berth_write_file (path, buf, used, 0, err) < 0)
    return berth_error_wrap (err, "write %s", file);
  return 0;
}

/* An unprivileged user may map only itself, once; anything more goes
 * through the setuid helpers of shadow (newuidmap/newgidmap), which check
 * /etc/subuid and /etc/subgid.  */
static bool
needs_helper (const struct berth_id_mapping *m, size_t n, uint32_t self)
{
  return geteuid () != 0 && (n > 1 || m[0].host_id != self || m[0].size != 1);
}

static int
run_map_helper (const char *helper, pid_t pid, const struct berth_id_mapping *m, size_t n,
                berth_error_t *err)
{
  char **argv = calloc (3 * n + 3, sizeof (char *));
  char pidbuf[32];
  size_t a = 0;
  int status = -1;
  pid_t child;

  if (argv == NULL)
    return berth_error (err, ENOMEM, "%s", helper);
  snprintf (pidbuf, sizeof (pidbuf), "%d", pid);
  argv[a++] = (char *) helper;
  argv[a++] = pidbuf;
  for (size_t i = 0; i < n; i++)
    {
      if (asprintf (&argv[a++], "%u", m[i].container_id) < 0
          || asprintf (&argv[a++], "%u", m[i].host_id) < 0
          || asprintf (&argv[a++], "%u", m[i].size) < 0)
        break;
    }
  child = fork ();
  if (child == 0)
    {
      execvp (helper, argv);
      _exit (127);
    }
  if (child > 0)
    waitpid (child, &status, 0);
  for (size_t i = 2; i < a; i++)
    free (argv[i]);
  free (argv);
  if (child < 0)
    return berth_error (err, errno, "fork %s", helper);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return berth_error (err, 0, "%s failed (status %d): check /etc/sub%cid", helper,
                        WIFEXITED (status) ? WEXITSTATUS (status) : -1,
                        helper[3] == 'u' ? 'u' : 'g');
  return 0;
}

int
berth_userns_write_mappings (pid_t pid, const struct berth_spec *spec, berth_error_t *err)
{
  const struct berth_linux *l = &spec->linux_;
  struct berth_id_mapping self_uid, self_gid;
  const struct berth_id_mapping *um = l->uid_mappings, *gm = l->gid_mappings;
  size_t nu = l->n_uid_mappings, ng = l->n_gid_mappings;

  /* No mappings given: map root in the container to ourselves.  */
  if (nu == 0)
    {
      self_uid = (struct berth_id_mapping){ 0, geteuid (), 1 };
      um = &self_uid;
      nu = 1;
    }
  if (ng == 0)
    {
      self_gid = (struct berth_id_mapping){ 0, getegid (), 1 };
      gm = &self_gid;
      ng = 1;
    }
  if (needs_helper (um, nu, geteuid ()) || needs_helper (gm, ng, getegid ()))
    {
      if (run_map_helper ("newuidmap", pid, um, nu, err) < 0)
        return berth_error_ret (err);
      return run_map_helper ("newgidmap", pid, gm, ng, err);
    }
  if (geteuid () != 0)
    {
      char path[64];
      snprintf (path, sizeof (path), "/proc/%d/setgroups", pid);
      if (berth_write_file (path, "deny", 4, 0, err) < 0)
        return berth_error_ret (err);
    }
  if (write_id_map (pid, "uid_map", um, nu, err) < 0)
    return berth_error_ret (err);
  return write_id_map (pid, "gid_map", gm, ng, err);
}

int
berth_timens_enter_new (const struct berth_spec *spec, berth_error_t *err)
{
  const struct berth_linux *l = &spec->linux_;
  char buf[256];
  int used = 0;
  cleanup_close int fd = -1;

  if (unshare (CLONE_NEWTIME) < 0)
    return berth_error (err, errno, "create time namespace");
  if (l->time_monotonic.present)
    used += snprintf (buf + used, sizeof (buf) - used, "monotonic %lld %u\n",
                      (long long) l->time_monotonic.secs, l->time_monotonic.nanosecs);
  if (l->time_boottime.present)
    used += snprintf (buf + used, sizeof (buf) - used, "boottime %lld %u\n",
                      (long long) l->time_boottime.secs, l->time_boottime.nanosecs);
  if (used > 0 && berth_write_file ("/proc/self/timens_offsets", buf, used, 0, err) < 0)
    return berth_error_wrap (err, "set time offsets");
  /* unshare only moves our children; join the new namespace ourselves.  */
  fd = open ("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns (fd, CLONE_NEWTIME) < 0)
    return berth_error (err, errno, "enter time namespace");
  return 0;
}

/* Does the namespace of TYPE belong to the container (new or joined),
 * rather than the host's?  */
static bool
own_namespace (const struct berth_spec *spec, int type)
{
  return berth_spec_has_namespace (spec, type, NULL);
}

/* Only sysctls that live in a namespace the container has of its own may be
 * set: anything else would change the host.  */
static int
validate_sysctl (const struct berth_spec *spec, const char *key, berth_error_t *err)
{
  static const char *const ipc_keys[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                          "kernel.sem",    "kernel.shmall", "kernel.shmmax",
                                          "kernel.shmmni", "kernel.shm_rmid_forced", NULL };

  for (const char *const *k = ipc_keys; *k; k++)
    if (strcmp (key, *k) == 0)
      goto ipc;
  if (strncmp (key, "fs.mqueue.", 10) == 0)
    goto ipc;
  if (strncmp (key, "net.", 4) == 0)
    {
      if (own_namespace (spec, CLONE_NEWNET))
        return 0;
      return berth_error (err, 0, "linux.sysctl: `%s` needs a network namespace of the container",
                          key);
    }
  if (strcmp (key, "kernel.hostname") == 0 || strcmp (key, "kernel.domainname") == 0)
    {
      if (own_namespace (spec, CLONE_NEWUTS))
        return 0;
      return berth_error (err, 0, "linux.sysctl: `%s` needs a uts namespace of the container",
                          key);
    }
  return berth_error (err, 0, "linux.sysctl: `%s` is not namespaced and would change the host",
                      key);
ipc:
  if (own_namespace (spec, CLONE_NEWIPC))
    return 0;
  return berth_error (err, 0, "linux.sysctl: `%s` needs an ipc namespace of the container", key);
}

int
berth_namespaces_validate (const struct berth_spec *spec, berth_error_t *err)
{
  int created = berth_namespaces_new_flags (spec);
  const char *path;
  bool user = berth_spec_has_namespace (spec, CLONE_NEWUSER, &path);

  /* A uts namespace joined by path takes the names too (runc and crun set
   * them there): only the host's own, shared, is refused.  */
  if (spec->hostname && spec->hostname[0] && !own_namespace (spec, CLONE_NEWUTS))
    return berth_error (err, 0, "hostname: requires a uts namespace");
  if (spec->domainname && spec->domainname[0] && !own_namespace (spec, CLONE_NEWUTS))
    return berth_error (err, 0, "domainname: requires a uts namespace");
  if ((spec->linux_.n_uid_mappings || spec->linux_.n_gid_mappings) && !user)
    return berth_error (err, 0, "linux.uidMappings: requires a user namespace");
  if ((created & CLONE_NEWUSER) && spec->linux_.n_uid_mappings == 0 && geteuid () == 0)
    return berth_error (err, 0, "linux.uidMappings: required with a new user namespace");
  if ((spec->linux_.time_monotonic.present || spec->linux_.time_boottime.present)
      && !(created & CLONE_NEWTIME))
    return berth_error (err, 0, "linux.timeOffsets: requires a new time namespace");
  for (size_t i = 0; i < spec->linux_.n_sysctl; i++)
    if (validate_sysctl (spec, spec->linux_.sysctl[i].key, err) < 0)
      return berth_error_ret (err);
  return 0;
}

bool
berth_userns_setgroups_allowed (pid_t pid)
{
  char path[64], buf[16] = { 0 };
  cleanup_close int fd = -1;

  if (pid > 0)
    snprintf (path, sizeof (path), "/proc/%d/setgroups", pid);
  else
    snprintf (path, sizeof (path), "/proc/self/setgroups");
  fd = open (path, O_RDONLY | O_CLOEXEC);
  return fd < 0 || read (fd, buf, sizeof (buf) - 1) <= 0 || strncmp (buf, "deny", 4) != 0;
}
