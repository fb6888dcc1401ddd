/* `spec` and `features`: what the runtime writes and supports.  */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/lsm_labels.h"
#include "oci/names.h"
#include "oci/seccomp.h"
#include "oci/spec.h"
#include "runtime.h"
#include "util.h"

int
cmd_spec (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "rootless", no_argument, NULL, 'r' },
    { NULL, 0, NULL, 0 },
  };
  const char *bundle = ".";
  bool rootless = false;
  cleanup_free char *text = NULL;
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;
  int c;

  while ((c = getopt_long_only (argc, argv, "+b:", opts, NULL)) != -1)
    switch (c)
      {
      case 'b':
        bundle = optarg;
        break;
      case 'r':
        rootless = true;
        break;
      default:
        return berth_error (err, 0, "spec: invalid option `%s`", argv[optind - 1]), 1;
      }
  if (optind < argc)
    return berth_error (err, 0, "spec: unexpected argument `%s`", argv[optind]), 1;
  text = berth_spec_default_json (rootless, getuid (), getgid ());
  if (text == NULL || asprintf (&path, "%s/config.json", bundle) < 0)
    return berth_error (err, ENOMEM, "spec"), 1;
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST)
    return berth_error (err, 0, "spec: `%s` exists already; remove it first", path), 1;
  if (fd < 0)
    return berth_error (err, errno, "spec: create `%s`", path), 1;
  if (berth_write_all (fd, text, strlen (text)) < 0 || berth_write_all (fd, "\n", 1) < 0)
    return berth_error (err, errno, "spec: write `%s`", path), 1;
  return 0;
}

static json_t *strings (const char *const *v);

static json_t *
seccomp_names (const char *(*name) (unsigned))
{
  json_t *a = json_array ();
  const char *n;
  for (unsigned i = 0; (n = name (i)) != NULL; i++)
    json_array_append_new (a, json_string (n));
  return a;
}

/* The capability names berth knows.  */
static json_t *
capability_names (void)
{
  json_t *a = json_array ();
  const char *n;
  for (int cap = 0; (n = berth_capability_name (cap)) != NULL; cap++)
    json_array_append_new (a, json_string (n));
  return a;
}

static json_t *
strings (const char *const *v)
{
  json_t *a = json_array ();
  for (; *v; v++)
    json_array_append_new (a, json_string (*v));
  return a;
}

int
cmd_features (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const char *const hooks[] = { "prestart",     "createRuntime", "createContainer",
                                       "startContainer", "poststart",   "poststop",
                                       NULL };
  static const char *const mount_options[]
      = { "async",  "atime",   "bind",       "defaults",   "dev",         "diratime",
          "dirsync", "exec",   "lazytime",   "mand",       "noatime",     "nodev",
          "nodiratime", "noexec", "nolazytime", "nomand",   "norelatime",  "nostrictatime",
          "nosuid", "nosymfollow", "private", "rbind",     "relatime",    "remount",
          "ro",     "rprivate", "rshared",   "rslave",     "runbindable", "rw",
          "shared", "slave",   "strictatime", "suid",      "sync",        "unbindable",
          NULL };
  static const char *const namespaces[]
      = { "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", NULL };
  json_t *o = json_object (), *lx = json_object ();
  char *text;

  (void) cli;
  if (argc > 1)
    return berth_error (err, 0, "features: unexpected argument `%s`", argv[1]), 1;
  json_object_set_new (o, "ociVersionMin", json_string ("1.0.0"));
  json_object_set_new (o, "ociVersionMax", json_string ("1.2.0"));
  json_object_set_new (o, "hooks", strings (hooks));
  json_object_set_new (o, "mountOptions", strings (mount_options));
  json_object_set_new (lx, "namespaces", strings (namespaces));
  json_object_set_new (lx, "capabilities", capability_names ());
  /* systemd: cgroupsPath in slice:prefix:name form, made on cgroupfs.  */
  json_object_set_new (lx, "cgroup", json_pack ("{s:b,s:b,s:b,s:b,s:b}", "v1", 1, "v2", 1,
                                                "systemd", 1, "systemdUser", 0, "rdma", 1));
  json_object_set_new (lx, "seccomp",
                       json_pack ("{s:b,s:o,s:o,s:o,s:o}", "enabled", 1, "actions",
                                  seccomp_names (berth_seccomp_action_name), "operators",
                                  seccomp_names (berth_seccomp_op_name), "archs",
                                  seccomp_names (berth_seccomp_arch_name), "knownFlags",
                                  seccomp_names (berth_seccomp_flag_name)));
  json_object_set_new (lx, "apparmor", json_pack ("{s:b}", "enabled", berth_lsm_apparmor_enabled ()));
  json_object_set_new (lx, "selinux", json_pack ("{s:b}", "enabled", berth_lsm_selinux_enabled ()));
  json_object_set_new (lx, "intelRdt", json_pack ("{s:b}", "enabled", 0));
  json_object_set_new (lx, "mountExtensions", json_pack ("{s:{s:b}}", "idmap", "enabled", 0));
  json_object_set_new (o, "linux", lx);
  json_object_set_new (o, "annotations",
                       json_pack ("{s:s}", "org.berth.runtime.version", "0.1.0"));
  text = json_dumps (o, JSON_INDENT (2));
  puts (text);
  free (text);
  json_decref (o);
  return 0;
}
