/* The parsed OCI runtime configuration (runtime-spec 1.2 config.json).  This
 * struct is the only way the configuration moves between subsystems: nothing
 * outside oci/ looks at the JSON.  */
#ifndef BERTH_OCI_SPEC_H
#define BERTH_OCI_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "berth/spec.h"

struct berth_id_mapping
{
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

struct berth_rlimit
{
  int resource; /* RLIMIT_* resolved from "RLIMIT_NOFILE" etc. */
  uint64_t soft;
  uint64_t hard;
};

/* Capability sets as bitmasks of CAP_* numbers (bit n = capability n).
 * Unknown capability names are ignored, as runc does.  */
struct berth_capabilities
{
  bool present; /* process.capabilities given at all */
  uint64_t bounding;
  uint64_t effective;
  uint64_t inheritable;
  uint64_t permitted;
  uint64_t ambient;
};

struct berth_user
{
  uint32_t uid;
  uint32_t gid;
  bool has_umask;
  mode_t umask;
  uint32_t *additional_gids;
  size_t n_additional_gids;
  char *username; /* Windows only in the spec; kept for completeness */
};

struct berth_process
{
  bool terminal;
  bool has_console_size;
  unsigned console_height;
  unsigned console_width;
  char *cwd;    /* required, absolute */
  char **args;  /* NULL-terminated; at least one entry */
  char **env;   /* NULL-terminated; may be empty */
  struct berth_user user;
  struct berth_capabilities capabilities;
  struct berth_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  bool has_oom_score_adj;
  int oom_score_adj;
  char *apparmor_profile;
  char *selinux_label;
};

struct berth_mount
{
  char *destination; /* required, absolute in the container */
  char *source;      /* may be NULL */
  char *type;        /* may be NULL (bind mounts) */
  char **options;    /* NULL-terminated; may be empty */
};

struct berth_hook
{
  char *path;  /* absolute */
  char **args; /* NULL-terminated or NULL */
  char **env;  /* NULL-terminated or NULL */
  int timeout; /* seconds; 0 = none */
};

struct berth_hook_list
{
  struct berth_hook *hooks;
  size_t n;
};

struct berth_hooks
{
  struct berth_hook_list prestart;
  struct berth_hook_list create_runtime;
  struct berth_hook_list create_container;
  struct berth_hook_list start_container;
  struct berth_hook_list poststart;
  struct berth_hook_list poststop;
};

struct berth_namespace
{
  int type;   /* CLONE_NEWPID, CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWIPC,
                 CLONE_NEWUTS, CLONE_NEWUSER, CLONE_NEWCGROUP, CLONE_NEWTIME */
  char *path; /* join this namespace when set; create a new one otherwise */
};

struct berth_device
{
  char *path; /* absolute in the container */
  char type;  /* 'c', 'b', 'u' or 'p' */
  int64_t major;
  int64_t minor;
  bool has_file_mode;
  mode_t file_mode;
  bool has_uid;
  uint32_t uid;
  bool has_gid;
  uint32_t gid;
};

struct berth_key_value
{
  char *key;
  char *value;
};

struct berth_time_offset
{
  bool present;
  int64_t secs;
  uint32_t nanosecs;
};

struct berth_resources; /* oci/resources.h */
struct berth_seccomp;   /* oci/seccomp.h */

struct berth_linux
{
  struct berth_namespace *namespaces;
  size_t n_namespaces;
  struct berth_id_mapping *uid_mappings;
  size_t n_uid_mappings;
  struct berth_id_mapping *gid_mappings;
  size_t n_gid_mappings;
  struct berth_device *devices;
  size_t n_devices;
  struct berth_key_value *sysctl;
  size_t n_sysctl;
  char **masked_paths;   /* NULL-terminated; may be empty */
  char **readonly_paths; /* NULL-terminated; may be empty */
  char *rootfs_propagation; /* "private", "rprivate", "slave", "rslave",
                               "shared", "rshared", "unbindable",
                               "runbindable" or NULL */
  char *mount_label;
  char *cgroups_path;
  struct berth_time_offset time_monotonic;
  struct berth_time_offset time_boottime;
  bool has_personality;
  char *personality_domain; /* "LINUX" or "LINUX32" */
  struct berth_resources *resources; /* linux.resources, NULL when absent */
  struct berth_seccomp *seccomp;     /* linux.seccomp, NULL when absent */
};

struct berth_spec
{
  char *json_text;   /* the document it was parsed from (saved with the state) */
  char *oci_version; /* required */
  char *root_path;   /* root.path, as written (may be relative to the bundle) */
  bool root_readonly;
  char *hostname;
  char *domainname;
  struct berth_process *process; /* NULL when absent (allowed until start) */
  struct berth_mount *mounts;
  size_t n_mounts;
  struct berth_hooks hooks;
  struct berth_key_value *annotations;
  size_t n_annotations;
  struct berth_linux linux_; /* "linux" is a predefined macro in gnu11 */
  bool has_linux;
};

/* Parse config.json text.  A malformed document or a wrong-typed field fails
 * with one error naming the field ("process.user.uid: expected an unsigned
 * integer"); unknown fields are ignored.  */
int berth_spec_parse (const char *text, size_t len, struct berth_spec **out, berth_error_t *err);

/* Read and parse a config.json file.  */
int berth_spec_load (const char *path, struct berth_spec **out, berth_error_t *err);

void berth_spec_free (struct berth_spec *spec);

/* Parse a process object alone (for `exec --process`).  */
int berth_process_parse (const char *text, size_t len, struct berth_process **out,
                         berth_error_t *err);
void berth_process_free (struct berth_process *process);

/* Whether the spec asks for namespace TYPE; *path set to its path or NULL.  */
bool berth_spec_has_namespace (const struct berth_spec *spec, int type, const char **path);

/* The default config.json that `berth-runtime spec` writes, as a JSON text
 * (caller frees).  rootless selects the variant of `runc spec --rootless`.  */
char *berth_spec_default_json (bool rootless, uid_t uid, gid_t gid);

#endif
