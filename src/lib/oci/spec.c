/* Owns the config.json parser: JSON text in, struct berth_spec out, with one
 * error naming the offending field ("mounts[2].destination: expected string")
 * when the document does not follow runtime-spec 1.2.  Capability, rlimit and
 * namespace names are resolved here with private tables, so oci/ has no link
 * dependency on linux/.  */
#include "spec.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <jansson.h>

#include "cleanup.h"
#include "json_reader.h"
#include "names.h"
#include "resources.h"
#include "seccomp.h"
#include "util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif

/* Name tables.  */

struct name_value
{
  const char *name;
  int value;
};

static const struct name_value namespace_types[] = {
  { "pid", CLONE_NEWPID },       { "network", CLONE_NEWNET }, { "mount", CLONE_NEWNS },
  { "ipc", CLONE_NEWIPC },       { "uts", CLONE_NEWUTS },     { "user", CLONE_NEWUSER },
  { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

static const char *const propagation_modes[] = {
  "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable",
};

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

static const struct name_value *
lookup (const struct name_value *table, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (table[i].name, name) == 0)
      return &table[i];
  return NULL;
}

static const char *
name_of (const struct name_value *table, size_t n, int value)
{
  for (size_t i = 0; i < n; i++)
    if (table[i].value == value)
      return table[i].name;
  return "?";
}

/* process.capabilities.  */

static int
read_capability_set (struct parser *p, json_t *v, void *out)
{
  uint64_t *mask = out;
  size_t i;
  json_t *name;

  if (!json_is_array (v))
    return jr_fail (p, NULL, "expected array");
  json_array_foreach (v, i, name)
  {
    int cap;

    if (!json_is_string (name))
      {
        size_t mark = jr_path_index (p, i);
        int r = jr_fail (p, NULL, "expected string");
        jr_path_pop (p, mark);
        return r;
      }
    cap = berth_capability_from_name (json_string_value (name));
    if (cap >= 0) /* unknown names are ignored, as runc does */
      *mask |= UINT64_C (1) << cap;
  }
  return 0;
}

static int
read_capabilities (struct parser *p, json_t *v, void *out)
{
  struct berth_capabilities *caps = out;

  if (jr_expect_object (p, v) < 0)
    return -1;
  caps->present = true;
  if (jr_optional (p, v, "bounding", read_capability_set, &caps->bounding) < 0
      || jr_optional (p, v, "effective", read_capability_set, &caps->effective) < 0
      || jr_optional (p, v, "inheritable", read_capability_set, &caps->inheritable) < 0
      || jr_optional (p, v, "permitted", read_capability_set, &caps->permitted) < 0
      || jr_optional (p, v, "ambient", read_capability_set, &caps->ambient) < 0)
    return -1;
  return 0;
}

/* process.rlimits.  */

static int
read_rlimit_type (struct parser *p, json_t *v, void *out)
{
  int resource;

  if (!json_is_string (v))
    return jr_fail (p, NULL, "expected string");
  resource = berth_rlimit_from_name (json_string_value (v));
  if (resource < 0)
    return jr_fail (p, NULL, "unknown rlimit type \"%s\"", json_string_value (v));
  *(int *)out = resource;
  return 0;
}

static int
read_rlimit (struct parser *p, json_t *v, void *out)
{
  struct berth_rlimit *rl = out;

  if (jr_expect_object (p, v) < 0 || jr_required (p, v, "type", read_rlimit_type, &rl->resource) < 0
      || jr_required (p, v, "soft", jr_read_u64, &rl->soft) < 0
      || jr_required (p, v, "hard", jr_read_u64, &rl->hard) < 0)
    return -1;
  return 0;
}

static int
read_rlimits (struct parser *p, json_t *v, void *out)
{
  struct berth_process *proc = out;
  void *items;

  if (jr_new_items (p, v, sizeof (struct berth_rlimit), &items, &proc->n_rlimits) < 0)
    return -1;
  proc->rlimits = items;
  if (jr_read_elements (p, v, proc->rlimits, sizeof (*proc->rlimits), read_rlimit) < 0)
    return -1;
  for (size_t i = 0; i < proc->n_rlimits; i++)
    for (size_t j = 0; j < i; j++)
      if (proc->rlimits[i].resource == proc->rlimits[j].resource)
        {
          size_t mark = jr_path_index (p, i);
          int r = jr_fail (
              p, "type", "duplicate rlimit type \"%s\"",
              berth_rlimit_name (proc->rlimits[i].resource));
          jr_path_pop (p, mark);
          return r;
        }
  return 0;
}

/* process.user, process.consoleSize.  */

static int
read_additional_gids (struct parser *p, json_t *v, void *out)
{
  struct berth_user *user = out;
  void *items;

  if (jr_new_items (p, v, sizeof (uint32_t), &items, &user->n_additional_gids) < 0)
    return -1;
  user->additional_gids = items;
  return jr_read_elements (p, v, user->additional_gids, sizeof (uint32_t), jr_read_u32);
}

static int
read_user (struct parser *p, json_t *v, void *out)
{
  struct berth_user *user = out;
  int r;

  if (jr_expect_object (p, v) < 0 || jr_optional (p, v, "uid", jr_read_u32, &user->uid) < 0
      || jr_optional (p, v, "gid", jr_read_u32, &user->gid) < 0)
    return -1;
  r = jr_optional (p, v, "umask", jr_read_mode, &user->umask);
  if (r < 0)
    return r;
  user->has_umask = r > 0;
  if (jr_optional (p, v, "additionalGids", read_additional_gids, user) < 0
      || jr_optional (p, v, "username", jr_read_string, &user->username) < 0)
    return -1;
  return 0;
}

static int
read_console_size (struct parser *p, json_t *v, void *out)
{
  struct berth_process *proc = out;

  if (jr_expect_object (p, v) < 0
      || jr_required (p, v, "height", jr_read_unsigned, &proc->console_height) < 0
      || jr_required (p, v, "width", jr_read_unsigned, &proc->console_width) < 0)
    return -1;
  proc->has_console_size = true;
  return 0;
}

/* process.  */

static int
read_process (struct parser *p, json_t *v, void *out)
{
  struct berth_process *proc = out;
  int r;

  if (jr_expect_object (p, v) < 0
      || jr_optional (p, v, "terminal", jr_read_bool, &proc->terminal) < 0
      || jr_optional (p, v, "consoleSize", read_console_size, proc) < 0
      || jr_optional (p, v, "user", read_user, &proc->user) < 0
      || jr_required (p, v, "args", jr_read_strv, &proc->args) < 0)
    return -1;
  if (proc->args[0] == NULL)
    return jr_fail (p, "args", "must not be empty");
  if (jr_optional (p, v, "env", jr_read_strv, &proc->env) < 0 || jr_ensure_strv (p, &proc->env) < 0
      || jr_required (p, v, "cwd", jr_read_path, &proc->cwd) < 0
      || jr_optional (p, v, "capabilities", read_capabilities, &proc->capabilities) < 0
      || jr_optional (p, v, "rlimits", read_rlimits, proc) < 0
      || jr_optional (p, v, "noNewPrivileges", jr_read_bool, &proc->no_new_privileges) < 0)
    return -1;
  r = jr_optional (p, v, "oomScoreAdj", jr_read_int, &proc->oom_score_adj);
  if (r < 0)
    return r;
  proc->has_oom_score_adj = r > 0;
  if (jr_optional (p, v, "apparmorProfile", jr_read_string, &proc->apparmor_profile) < 0
      || jr_optional (p, v, "selinuxLabel", jr_read_string, &proc->selinux_label) < 0)
    return -1;
  return 0;
}

static int
read_process_object (struct parser *p, json_t *v, void *out)
{
  struct berth_process **proc = out;

  *proc = calloc (1, sizeof (**proc));
  if (*proc == NULL)
    return jr_oom (p);
  return read_process (p, v, *proc);
}

/* root, mounts.  */

static int
read_root (struct parser *p, json_t *v, void *out)
{
  struct berth_spec *spec = out;

  if (jr_expect_object (p, v) < 0
      || jr_required (p, v, "path", jr_read_string, &spec->root_path) < 0
      || jr_optional (p, v, "readonly", jr_read_bool, &spec->root_readonly) < 0)
    return -1;
  if (spec->root_path[0] == '\0')
    return jr_fail (p, "path", "must not be empty");
  return 0;
}

static int
read_mount (struct parser *p, json_t *v, void *out)
{
  struct berth_mount *m = out;

  if (jr_expect_object (p, v) < 0
      || jr_required (p, v, "destination", jr_read_string, &m->destination) < 0
      || jr_optional (p, v, "source", jr_read_string, &m->source) < 0
      || jr_optional (p, v, "type", jr_read_string, &m->type) < 0
      || jr_optional (p, v, "options", jr_read_strv, &m->options) < 0
      || jr_ensure_strv (p, &m->options) < 0)
    return -1;
  if (m->destination[0] == '\0')
    return jr_fail (p, "destination", "must not be empty");
  return 0;
}

static int
read_mounts (struct parser *p, json_t *v, void *out)
{
  struct berth_spec *spec = out;
  void *items;

  if (jr_new_items (p, v, sizeof (struct berth_mount), &items, &spec->n_mounts) < 0)
    return -1;
  spec->mounts = items;
  return jr_read_elements (p, v, spec->mounts, sizeof (*spec->mounts), read_mount);
}

/* hooks.  */

static int
read_hook (struct parser *p, json_t *v, void *out)
{
  struct berth_hook *h = out;
  int r;

  if (jr_expect_object (p, v) < 0 || jr_required (p, v, "path", jr_read_path, &h->path) < 0
      || jr_optional (p, v, "args", jr_read_strv, &h->args) < 0
      || jr_optional (p, v, "env", jr_read_strv, &h->env) < 0)
    return -1;
  r = jr_optional (p, v, "timeout", jr_read_int, &h->timeout);
  if (r < 0)
    return r;
  if (r > 0 && h->timeout <= 0)
    return jr_fail (p, "timeout", "must be greater than zero");
  return 0;
}

static int
read_hook_list (struct parser *p, json_t *v, void *out)
{
  struct berth_hook_list *list = out;
  void *items;

  if (jr_new_items (p, v, sizeof (struct berth_hook), &items, &list->n) < 0)
    return -1;
  list->hooks = items;
  return jr_read_elements (p, v, list->hooks, sizeof (*list->hooks), read_hook);
}

static int
read_hooks (struct parser *p, json_t *v, void *out)
{
  struct berth_hooks *h = out;

  if (jr_expect_object (p, v) < 0
      || jr_optional (p, v, "prestart", read_hook_list, &h->prestart) < 0
      || jr_optional (p, v, "createRuntime", read_hook_list, &h->create_runtime) < 0
      || jr_optional (p, v, "createContainer", read_hook_list, &h->create_container) < 0
      || jr_optional (p, v, "startContainer", read_hook_list, &h->start_container) < 0
      || jr_optional (p, v, "poststart", read_hook_list, &h->poststart) < 0
      || jr_optional (p, v, "poststop", read_hook_list, &h->poststop) < 0)
    return -1;
  return 0;
}

/* linux.namespaces.  */

static int
read_namespace_type (struct parser *p, json_t *v, void *out)
{
  const struct name_value *t;

  if (!json_is_string (v))
    return jr_fail (p, NULL, "expected string");
  t = lookup (namespace_types, N_ELEMENTS (namespace_types), json_string_value (v));
  if (t == NULL)
    return jr_fail (p, NULL, "unknown namespace type \"%s\"", json_string_value (v));
  *(int *)out = t->value;
  return 0;
}

static int
read_namespace (struct parser *p, json_t *v, void *out)
{
  struct berth_namespace *ns = out;

  if (jr_expect_object (p, v) < 0 || jr_required (p, v, "type", read_namespace_type, &ns->type) < 0
      || jr_optional (p, v, "path", jr_read_string, &ns->path) < 0)
    return -1;
  return 0;
}

static int
read_namespaces (struct parser *p, json_t *v, void *out)
{
  struct berth_linux *l = out;
  void *items;
  int seen = 0;

  if (jr_new_items (p, v, sizeof (struct berth_namespace), &items, &l->n_namespaces) < 0)
    return -1;
  l->namespaces = items;
  if (jr_read_elements (p, v, l->namespaces, sizeof (*l->namespaces), read_namespace) < 0)
    return -1;
  for (size_t i = 0; i < l->n_namespaces; i++)
    {
      if (seen & l->namespaces[i].type)
        {
          size_t mark = jr_path_index (p, i);
          int r = jr_fail (
              p, "type", "duplicate namespace type \"%s\"",
              name_of (namespace_types, N_ELEMENTS (namespace_types), l->namespaces[i].type));
          jr_path_pop (p, mark);
          return r;
        }
      seen |= l->namespaces[i].type;
    }
  return 0;
}

/* linux.uidMappings, linux.gidMappings.  */

static int
read_id_mapping (struct parser *p, json_t *v, void *out)
{
  struct berth_id_mapping *m = out;

  if (jr_expect_object (p, v) < 0
      || jr_required (p, v, "containerID", jr_read_u32, &m->container_id) < 0
      || jr_required (p, v, "hostID", jr_read_u32, &m->host_id) < 0
      || jr_required (p, v, "size", jr_read_u32, &m->size) < 0)
    return -1;
  return 0;
}

static int
read_uid_mappings (struct parser *p, json_t *v, void *out)
{
  struct berth_linux *l = out;
  void *items;

  if (jr_new_items (p, v, sizeof (struct berth_id_mapping), &items, &l->n_uid_mappings) < 0)
    return -1;
  l->uid_mappings = items;
  return jr_read_elements (p, v, l->uid_mappings, sizeof (*l->uid_mappings), read_id_mapping);
}

static int
read_gid_mappings (struct parser *p, json_t *v, void *out)
{
  struct berth_linux *l = out;
  void *items;

  if (jr_new_items (p, v, sizeof (struct berth_id_mapping), &items, &l->n_gid_mappings) < 0)
    return -1;
  l->gid_mappings = items;
  return jr_read_elements (p, v, l->gid_mappings, sizeof (*l->gid_mappings), read_id_mapping);
}

/* linux.devices.  */

static int
read_device_type (struct parser *p, json_t *v, void *out)
{
  const char *s;

  if (!json_is_string (v))
    return jr_fail (p, NULL, "expected string");
  s = json_string_value (v);
  if (s[0] == '\0' || s[1] != '\0' || strchr ("cbup", s[0]) == NULL)
    return jr_fail (p, NULL, "unknown device type \"%s\"", s);
  *(char *)out = s[0];
  return 0;
}

static int
read_device (struct parser *p, json_t *v, void *out)
{
  struct berth_device *d = out;
  int (*device_number) (struct parser *, json_t *, const char *, reader_fn, void *);
  int r;

  if (jr_expect_object (p, v) < 0 || jr_required (p, v, "path", jr_read_path, &d->path) < 0
      || jr_required (p, v, "type", read_device_type, &d->type) < 0)
    return -1;
  /* A fifo has no device numbers; the others must name theirs.  */
  device_number = d->type == 'p' ? jr_optional : jr_required;
  if (device_number (p, v, "major", jr_read_i64, &d->major) < 0
      || device_number (p, v, "minor", jr_read_i64, &d->minor) < 0)
    return -1;
  r = jr_optional (p, v, "fileMode", jr_read_mode, &d->file_mode);
  if (r < 0)
    return r;
  d->has_file_mode = r > 0;
  r = jr_optional (p, v, "uid", jr_read_u32, &d->uid);
  if (r < 0)
    return r;
  d->has_uid = r > 0;
  r = jr_optional (p, v, "gid", jr_read_u32, &d->gid);
  if (r < 0)
    return r;
  d->has_gid = r > 0;
  return 0;
}

static int
read_devices (struct parser *p, json_t *v, void *out)
{
  struct berth_linux *l = out;
  void *items;

  if (jr_new_items (p, v, sizeof (struct berth_device), &items, &l->n_devices) < 0)
    return -1;
  l->devices = items;
  return jr_read_elements (p, v, l->devices, sizeof (*l->devices), read_device);
}

/* linux.timeOffsets, linux.personality, linux.rootfsPropagation.  */

static int
read_time_offset (struct parser *p, json_t *v, void *out)
{
  struct berth_time_offset *t = out;

  if (jr_expect_object (p, v) < 0 || jr_optional (p, v, "secs", jr_read_i64, &t->secs) < 0
      || jr_optional (p, v, "nanosecs", jr_read_u32, &t->nanosecs) < 0)
    return -1;
  if (t->nanosecs >= 1000000000)
    return jr_fail (p, "nanosecs", "must be less than 1000000000");
  t->present = true;
  return 0;
}

static int
read_time_offsets (struct parser *p, json_t *v, void *out)
{
  struct berth_linux *l = out;
  const char *clock;
  json_t *value;

  if (jr_expect_object (p, v) < 0)
    return -1;
  json_object_foreach (v, clock, value)
  {
    struct berth_time_offset *t;

    if (strcmp (clock, "monotonic") == 0)
      t = &l->time_monotonic;
    else if (strcmp (clock, "boottime") == 0)
      t = &l->time_boottime;
    else
      return jr_fail (p, clock, "unknown clock");
    if (jr_read_child (p, clock, value, read_time_offset, t) < 0)
      return -1;
  }
  return 0;
}

static int
check_strings (struct parser *p, json_t *v, void *out)
{
  size_t i;
  json_t *s;

  if (!json_is_array (v))
    return jr_fail (p, NULL, "expected array");
  json_array_foreach (v, i, s) if (!json_is_string (s))
  {
    size_t mark = jr_path_index (p, i);
    int r = jr_fail (p, NULL, "expected string");
    jr_path_pop (p, mark);
    return r;
  }
  return 0;
}

static int
read_personality (struct parser *p, json_t *v, void *out)
{
  struct berth_linux *l = out;
  const char *domain;

  if (jr_expect_object (p, v) < 0
      || jr_required (p, v, "domain", jr_read_string, &l->personality_domain) < 0)
    return -1;
  domain = l->personality_domain;
  if (strcmp (domain, "LINUX") != 0 && strcmp (domain, "LINUX32") != 0)
    return jr_fail (p, "domain", "unknown personality domain \"%s\"", domain);
  /* No flags are defined yet; only their shape is checked.  */
  if (jr_optional (p, v, "flags", check_strings, NULL) < 0)
    return -1;
  l->has_personality = true;
  return 0;
}

static int
read_propagation (struct parser *p, json_t *v, void *out)
{
  const char *mode;

  if (!json_is_string (v))
    return jr_fail (p, NULL, "expected string");
  mode = json_string_value (v);
  for (size_t i = 0; i < N_ELEMENTS (propagation_modes); i++)
    if (strcmp (mode, propagation_modes[i]) == 0)
      return jr_read_string (p, v, out);
  return jr_fail (p, NULL, "unknown propagation \"%s\"", mode);
}

/* linux.  */

static int
read_linux (struct parser *p, json_t *v, void *out)
{
  struct berth_linux *l = out;
  struct string_map sysctl = { &l->sysctl, &l->n_sysctl };

  if (jr_expect_object (p, v) < 0 || jr_optional (p, v, "namespaces", read_namespaces, l) < 0
      || jr_optional (p, v, "uidMappings", read_uid_mappings, l) < 0
      || jr_optional (p, v, "gidMappings", read_gid_mappings, l) < 0
      || jr_optional (p, v, "devices", read_devices, l) < 0
      || jr_optional (p, v, "sysctl", jr_read_string_map, &sysctl) < 0
      || jr_optional (p, v, "maskedPaths", jr_read_strv, &l->masked_paths) < 0
      || jr_optional (p, v, "readonlyPaths", jr_read_strv, &l->readonly_paths) < 0
      || jr_optional (p, v, "rootfsPropagation", read_propagation, &l->rootfs_propagation) < 0
      || jr_optional (p, v, "mountLabel", jr_read_string, &l->mount_label) < 0
      || jr_optional (p, v, "cgroupsPath", jr_read_string, &l->cgroups_path) < 0
      || jr_optional (p, v, "timeOffsets", read_time_offsets, l) < 0
      || jr_optional (p, v, "personality", read_personality, l) < 0
      || jr_optional (p, v, "resources", berth_resources_read, &l->resources) < 0
      || jr_optional (p, v, "seccomp", berth_seccomp_read, &l->seccomp) < 0)
    return -1;
  return 0;
}

/* The document.  */

static int
read_spec (struct parser *p, json_t *v, struct berth_spec *spec)
{
  struct string_map annotations = { &spec->annotations, &spec->n_annotations };
  int r;

  if (jr_required (p, v, "ociVersion", jr_read_string, &spec->oci_version) < 0)
    return -1;
  if (jr_member (v, "root") == NULL)
    return jr_fail (p, "root.path", "required");
  if (jr_optional (p, v, "root", read_root, spec) < 0
      || jr_optional (p, v, "hostname", jr_read_string, &spec->hostname) < 0
      || jr_optional (p, v, "domainname", jr_read_string, &spec->domainname) < 0
      || jr_optional (p, v, "process", read_process_object, &spec->process) < 0
      || jr_optional (p, v, "mounts", read_mounts, spec) < 0
      || jr_optional (p, v, "hooks", read_hooks, &spec->hooks) < 0
      || jr_optional (p, v, "annotations", jr_read_string_map, &annotations) < 0)
    return -1;
  r = jr_optional (p, v, "linux", read_linux, &spec->linux_);
  if (r < 0)
    return r;
  spec->has_linux = r > 0;
  if (jr_ensure_strv (p, &spec->linux_.masked_paths) < 0
      || jr_ensure_strv (p, &spec->linux_.readonly_paths) < 0)
    return -1;
  return 0;
}

/* Decode TEXT; SOURCE names it in syntax errors.  Integers too big for
 * jansson make us decode again with numbers as doubles (see jr_read_u64).  */
static json_t *
decode (const char *text, size_t len, const char *source, struct parser *p)
{
  json_error_t je;
  json_t *root = json_loadb (text, len, 0, &je);

  if (root == NULL && json_error_code (&je) == json_error_numeric_overflow)
    {
      p->ints_as_real = true;
      root = json_loadb (text, len, JSON_DECODE_INT_AS_REAL, &je);
    }
  if (root == NULL)
    {
      berth_error (p->err, 0, "%s: invalid JSON at line %d column %d: %s", source, je.line,
                   je.column, je.text);
      return NULL;
    }
  if (!json_is_object (root))
    {
      json_decref (root);
      berth_error (p->err, 0, "%s: expected a JSON object", source);
      return NULL;
    }
  return root;
}

static void
spec_freep (struct berth_spec **spec)
{
  berth_spec_free (*spec);
}

/* SOURCE names the text in errors: syntax errors always start with it, and
 * field errors too when PREFIX_FIELDS (a file was read).  */
static int
spec_from_text (const char *text, size_t len, const char *source, bool prefix_fields,
                struct berth_spec **out, berth_error_t *err)
{
  __attribute__ ((cleanup (spec_freep))) struct berth_spec *spec = NULL;
  struct parser p = { .err = err };
  json_auto_t *root = decode (text, len, source, &p);

  if (root == NULL)
    return -1;
  spec = calloc (1, sizeof (*spec));
  if (spec == NULL)
    return berth_error (err, ENOMEM, "%s", source);
  if (read_spec (&p, root, spec) < 0)
    return prefix_fields ? berth_error_wrap (err, "%s", source) : berth_error_ret (err);
  /* Saved with the container's state as written: exec needs no bundle.  */
  spec->json_text = strndup (text, len);
  if (spec->json_text == NULL)
    return berth_error (err, ENOMEM, "%s", source);
  *out = steal_pointer (&spec);
  return 0;
}

int
berth_spec_parse (const char *text, size_t len, struct berth_spec **out, berth_error_t *err)
{
  return spec_from_text (text, len, "config.json", false, out, err);
}

int
berth_spec_load (const char *path, struct berth_spec **out, berth_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len;

  if (berth_read_file (path, &text, &len, err) < 0)
    return berth_error_ret (err);
  return spec_from_text (text, len, path, true, out, err);
}

int
berth_process_parse (const char *text, size_t len, struct berth_process **out, berth_error_t *err)
{
  struct parser p = { .err = err };
  json_auto_t *root = decode (text, len, "process.json", &p);
  struct berth_process *proc = NULL;
  size_t mark;

  if (root == NULL)
    return -1;
  mark = jr_path_key (&p, "process");
  if (read_process_object (&p, root, &proc) < 0)
    {
      berth_process_free (proc);
      return berth_error_ret (err);
    }
  jr_path_pop (&p, mark);
  *out = proc;
  return 0;
}

bool
berth_spec_has_namespace (const struct berth_spec *spec, int type, const char **path)
{
  if (path)
    *path = NULL;
  if (spec == NULL || !spec->has_linux)
    return false;
  for (size_t i = 0; i < spec->linux_.n_namespaces; i++)
    if (spec->linux_.namespaces[i].type == type)
      {
        if (path)
          *path = spec->linux_.namespaces[i].path;
        return true;
      }
  return false;
}

/* Release.  */

static void
strv_free (char **v)
{
  berth_strv_freep (&v);
}

static void
key_values_free (struct berth_key_value *kv, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (kv[i].key);
      free (kv[i].value);
    }
  free (kv);
}

static void
hook_list_free (struct berth_hook_list *list)
{
  for (size_t i = 0; i < list->n; i++)
    {
      free (list->hooks[i].path);
      strv_free (list->hooks[i].args);
      strv_free (list->hooks[i].env);
    }
  free (list->hooks);
}

static void
linux_free (struct berth_linux *l)
{
  for (size_t i = 0; i < l->n_namespaces; i++)
    free (l->namespaces[i].path);
  free (l->namespaces);
  free (l->uid_mappings);
  free (l->gid_mappings);
  for (size_t i = 0; i < l->n_devices; i++)
    free (l->devices[i].path);
  free (l->devices);
  key_values_free (l->sysctl, l->n_sysctl);
  strv_free (l->masked_paths);
  strv_free (l->readonly_paths);
  free (l->rootfs_propagation);
  free (l->mount_label);
  free (l->cgroups_path);
  free (l->personality_domain);
  berth_resources_free (l->resources);
  berth_seccomp_free (l->seccomp);
}

void
berth_process_free (struct berth_process *process)
{
  if (process == NULL)
    return;
  free (process->cwd);
  strv_free (process->args);
  strv_free (process->env);
  free (process->user.additional_gids);
  free (process->user.username);
  free (process->rlimits);
  free (process->apparmor_profile);
  free (process->selinux_label);
  free (process);
}

void
berth_spec_free (struct berth_spec *spec)
{
  if (spec == NULL)
    return;
  free (spec->json_text);
  free (spec->oci_version);
  free (spec->root_path);
  free (spec->hostname);
  free (spec->domainname);
  berth_process_free (spec->process);
  for (size_t i = 0; i < spec->n_mounts; i++)
    {
      free (spec->mounts[i].destination);
      free (spec->mounts[i].source);
      free (spec->mounts[i].type);
      strv_free (spec->mounts[i].options);
    }
  free (spec->mounts);
  hook_list_free (&spec->hooks.prestart);
  hook_list_free (&spec->hooks.create_runtime);
  hook_list_free (&spec->hooks.create_container);
  hook_list_free (&spec->hooks.start_container);
  hook_list_free (&spec->hooks.poststart);
  hook_list_free (&spec->hooks.poststop);
  key_values_free (spec->annotations, spec->n_annotations);
  linux_free (&spec->linux_);
  free (spec);
}
