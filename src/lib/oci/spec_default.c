/* Owns the default config.json written by `berth-runtime spec`: the same
 * configuration `runc spec` (and `runc spec --rootless`) produces, with keys
 * in the same order so the two are easy to diff.  */
#include "json_writer.h"
#include "spec.h"

#include <stddef.h>

#include <jansson.h>

#define DEFAULT_OCI_VERSION "1.2.0"

/* Which variant a table entry belongs to.  */
enum variant
{
  BOTH,
  ROOTFUL,
  ROOTLESS,
};

struct default_mount
{
  enum variant variant;
  const char *destination;
  const char *type;
  const char *source;
  const char *options[8]; /* NULL-terminated; none at all means no "options" */
};

/* A rootless container cannot mount sysfs without its own network namespace,
 * so /sys is bind-mounted, and devpts cannot use a gid it has not mapped.  */
static const struct default_mount default_mounts[] = {
  { BOTH, "/proc", "proc", "proc", { NULL } },
  { BOTH, "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k" } },
  { ROOTFUL,
    "/dev/pts",
    "devpts",
    "devpts",
    { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" } },
  { ROOTLESS,
    "/dev/pts",
    "devpts",
    "devpts",
    { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620" } },
  { BOTH, "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" } },
  { BOTH, "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev" } },
  { ROOTFUL, "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro" } },
  { ROOTLESS, "/sys", "none", "/sys", { "rbind", "nosuid", "noexec", "nodev", "ro" } },
  { BOTH, "/sys/fs/cgroup", "cgroup", "cgroup", { "nosuid", "noexec", "nodev", "relatime", "ro" } },
};

static const char *const default_capabilities[]
    = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };

/* Rootless drops the network namespace (no privilege to set it up) and adds a
 * user namespace.  */
static const char *const rootful_namespaces[] = { "pid", "network", "ipc", "uts", "mount", NULL };
static const char *const rootless_namespaces[] = { "pid", "ipc", "uts", "mount", "user", NULL };

static const char *const default_masked_paths[] = {
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/sys/firmware",
  "/proc/scsi",
  NULL,
};

static const char *const default_readonly_paths[]
    = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL };

static json_t *
default_capability_sets (void)
{
  return json_pack ("{s:o, s:o, s:o, s:o}", "bounding", berth_json_string_array (default_capabilities),
                    "effective", berth_json_string_array (default_capabilities), "permitted",
                    berth_json_string_array (default_capabilities), "ambient",
                    berth_json_string_array (default_capabilities));
}

static json_t *
default_process (void)
{
  return json_pack ("{s:b, s:{s:i, s:i}, s:[s], s:[s, s], s:s, s:o, s:[{s:s, s:i, s:i}], s:b}",
                    "terminal", 1, "user", "uid", 0, "gid", 0, "args", "sh", "env",
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "TERM=xterm", "cwd", "/", "capabilities", default_capability_sets (), "rlimits",
                    "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024, "noNewPrivileges", 1);
}

static json_t *
mount_object (const struct default_mount *m)
{
  json_t *o = json_pack ("{s:s, s:s, s:s}", "destination", m->destination, "type", m->type,
                         "source", m->source);

  if (o && m->options[0] && json_object_set_new (o, "options", berth_json_string_array (m->options)) < 0)
    {
      json_decref (o);
      return NULL;
    }
  return o;
}

static json_t *
default_mount_array (bool rootless)
{
  enum variant skip = rootless ? ROOTFUL : ROOTLESS;
  json_t *a = json_array ();

  for (size_t i = 0; a && i < sizeof (default_mounts) / sizeof (default_mounts[0]); i++)
    if (default_mounts[i].variant != skip
        && json_array_append_new (a, mount_object (&default_mounts[i])) < 0)
      {
        json_decref (a);
        return NULL;
      }
  return a;
}

static json_t *
namespace_array (const char *const *types)
{
  json_t *a = json_array ();

  for (; a && *types; types++)
    if (json_array_append_new (a, json_pack ("{s:s}", "type", *types)) < 0)
      {
        json_decref (a);
        return NULL;
      }
  return a;
}

static json_t *
default_linux (bool rootless, uid_t uid, gid_t gid)
{
  json_t *paths = json_pack ("{s:o, s:o}", "maskedPaths", berth_json_string_array (default_masked_paths),
                             "readonlyPaths", berth_json_string_array (default_readonly_paths));
  json_t *l;

  if (paths == NULL)
    return NULL;
  /* A rootless container maps only the caller and cannot use cgroup
   * resources, which is why the device rule goes too.  */
  if (rootless)
    l = json_pack ("{s:[{s:i, s:I, s:i}], s:[{s:i, s:I, s:i}], s:o}", "uidMappings", "containerID",
                   0, "hostID", (json_int_t)uid, "size", 1, "gidMappings", "containerID", 0,
                   "hostID", (json_int_t)gid, "size", 1, "namespaces",
                   namespace_array (rootless_namespaces));
  else
    l = json_pack ("{s:{s:[{s:b, s:s}]}, s:o}", "resources", "devices", "allow", 0, "access", "rwm",
                   "namespaces", namespace_array (rootful_namespaces));
  if (l == NULL || json_object_update (l, paths) < 0)
    {
      json_decref (l);
      l = NULL;
    }
  json_decref (paths);
  return l;
}

char *
berth_spec_default_json (bool rootless, uid_t uid, gid_t gid)
{
  json_t *spec = json_pack (
      "{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", DEFAULT_OCI_VERSION, "process",
      default_process (), "root", "path", "rootfs", "readonly", 1, "hostname", "runc", "mounts",
      default_mount_array (rootless), "linux", default_linux (rootless, uid, gid));
  char *text;

  if (spec == NULL)
    return NULL;
  text = json_dumps (spec, JSON_INDENT (2));
  json_decref (spec);
  return text;
}
