/* Tests for the config.json parser (oci/spec.c) and the default spec
 * (oci/spec_default.c).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <jansson.h>

#include "cleanup.h"
#include "oci/spec.h"
#include "util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif

#define CAP(n) (UINT64_C (1) << (n))

/* The smallest valid document; error cases patch it.  */
static const char base_config[] = "{\"ociVersion\": \"1.2.0\","
                                  " \"root\": {\"path\": \"rootfs\"},"
                                  " \"process\": {\"cwd\": \"/\", \"args\": [\"sh\"],"
                                  "               \"user\": {\"uid\": 0, \"gid\": 0}},"
                                  " \"linux\": {\"namespaces\": [{\"type\": \"mount\"}]}}";

/* JSON written with single quotes, to keep the test tables readable.  */
static char *
unquote (const char *s)
{
  char *r = strdup (s);
  assert_non_null (r);
  for (char *c = r; *c; c++)
    if (*c == '\'')
      *c = '"';
  return r;
}

/* base_config with PATCH merged in recursively (null removes a member).  */
static char *
patched_config (const char *patch)
{
  cleanup_free char *patch_text = unquote (patch);
  json_error_t je;
  json_auto_t *base = json_loads (base_config, 0, &je);
  json_auto_t *delta = json_loads (patch_text, 0, &je);
  char *text;

  assert_non_null (base);
  if (delta == NULL)
    fail_msg ("bad patch %s: %s", patch, je.text);
  assert_int_equal (json_object_update_recursive (base, delta), 0);
  text = json_dumps (base, JSON_COMPACT);
  assert_non_null (text);
  return text;
}

static struct berth_spec *
parse_ok (const char *text)
{
  cleanup_error berth_error_t err = NULL;
  struct berth_spec *spec = NULL;

  if (berth_spec_parse (text, strlen (text), &spec, &err) < 0)
    fail_msg ("unexpected error: %s", err->msg);
  assert_non_null (spec);
  return spec;
}

static void
assert_text_error (const char *text, const char *expected)
{
  cleanup_error berth_error_t err = NULL;
  struct berth_spec *spec = NULL;

  assert_int_equal (berth_spec_parse (text, strlen (text), &spec, &err), -1);
  assert_null (spec);
  assert_non_null (err);
  assert_string_equal (err->msg, expected);
  assert_int_equal (err->status, 0);
}

struct error_case
{
  const char *patch;
  const char *message;
};

static void
check_cases (const struct error_case *cases, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *text = patched_config (cases[i].patch);
      print_message ("# case %s\n", cases[i].patch);
      assert_text_error (text, cases[i].message);
    }
}

#define CHECK_CASES(c) check_cases ((c), sizeof (c) / sizeof ((c)[0]))

static char *
read_data (const char *name)
{
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *path = NULL;
  char *text = NULL;

  assert_true (asprintf (&path, "%s/%s", TEST_DATA_DIR, name) > 0);
  if (berth_read_file (path, &text, NULL, &err) < 0)
    fail_msg ("%s", err->msg);
  return text;
}

/* A full document: every field is read back.  */

static void
test_full_config (void **state)
{
  cleanup_free char *text = read_data ("spec_full.json");
  struct berth_spec *spec = parse_ok (text);
  const struct berth_process *proc = spec->process;
  const struct berth_linux *l = &spec->linux_;

  assert_string_equal (spec->oci_version, "1.2.0");
  assert_string_equal (spec->root_path, "/var/lib/berth/rootfs");
  assert_true (spec->root_readonly);
  assert_string_equal (spec->hostname, "box");
  assert_string_equal (spec->domainname, "example.org");

  assert_non_null (proc);
  assert_true (proc->terminal);
  assert_true (proc->has_console_size);
  assert_int_equal (proc->console_height, 25);
  assert_int_equal (proc->console_width, 80);
  assert_int_equal (proc->user.uid, 1000);
  assert_int_equal (proc->user.gid, 1001);
  assert_true (proc->user.has_umask);
  assert_int_equal (proc->user.umask, 022);
  assert_int_equal (proc->user.n_additional_gids, 2);
  assert_int_equal (proc->user.additional_gids[0], 5);
  assert_int_equal (proc->user.additional_gids[1], UINT32_MAX);
  assert_string_equal (proc->user.username, "alice");
  assert_int_equal (berth_strv_len (proc->args), 3);
  assert_string_equal (proc->args[0], "/bin/sh");
  assert_string_equal (proc->args[2], "echo hi");
  assert_int_equal (berth_strv_len (proc->env), 2);
  assert_string_equal (proc->env[1], "HOME=/root");
  assert_string_equal (proc->cwd, "/home/alice");
  assert_true (proc->capabilities.present);
  assert_int_equal (proc->capabilities.bounding, CAP (0) | CAP (21) | CAP (40));
  assert_int_equal (proc->capabilities.effective, CAP (5));
  assert_int_equal (proc->capabilities.inheritable, 0);
  assert_int_equal (proc->capabilities.permitted, CAP (5) | CAP (13));
  assert_int_equal (proc->capabilities.ambient, CAP (39));
  assert_int_equal (proc->n_rlimits, 2);
  assert_int_equal (proc->rlimits[0].resource, RLIMIT_NOFILE);
  assert_int_equal (proc->rlimits[0].soft, 1024);
  assert_int_equal (proc->rlimits[0].hard, 4096);
  assert_int_equal (proc->rlimits[1].resource, RLIMIT_CORE);
  assert_int_equal (proc->rlimits[1].soft, 0);
  assert_int_equal (proc->rlimits[1].hard, INT64_MAX);
  assert_true (proc->no_new_privileges);
  assert_true (proc->has_oom_score_adj);
  assert_int_equal (proc->oom_score_adj, -500);
  assert_string_equal (proc->apparmor_profile, "berth-default");
  assert_string_equal (proc->selinux_label, "system_u:system_r:container_t:s0");

  assert_int_equal (spec->n_mounts, 2);
  assert_string_equal (spec->mounts[0].destination, "/proc");
  assert_string_equal (spec->mounts[0].type, "proc");
  assert_string_equal (spec->mounts[0].source, "proc");
  assert_non_null (spec->mounts[0].options);
  assert_null (spec->mounts[0].options[0]);
  assert_string_equal (spec->mounts[1].destination, "/data");
  assert_null (spec->mounts[1].type);
  assert_string_equal (spec->mounts[1].source, "/srv/data");
  assert_int_equal (berth_strv_len (spec->mounts[1].options), 2);
  assert_string_equal (spec->mounts[1].options[1], "ro");

  assert_int_equal (spec->hooks.prestart.n, 1);
  assert_string_equal (spec->hooks.prestart.hooks[0].path, "/usr/bin/old-hook");
  assert_null (spec->hooks.prestart.hooks[0].args);
  assert_null (spec->hooks.prestart.hooks[0].env);
  assert_int_equal (spec->hooks.prestart.hooks[0].timeout, 0);
  assert_int_equal (spec->hooks.create_runtime.n, 1);
  assert_string_equal (spec->hooks.create_runtime.hooks[0].path, "/usr/bin/net-setup");
  assert_string_equal (spec->hooks.create_runtime.hooks[0].args[1], "up");
  assert_null (spec->hooks.create_runtime.hooks[0].args[2]);
  assert_string_equal (spec->hooks.create_runtime.hooks[0].env[0], "A=1");
  assert_int_equal (spec->hooks.create_runtime.hooks[0].timeout, 5);
  assert_int_equal (spec->hooks.create_container.n, 2);
  assert_string_equal (spec->hooks.create_container.hooks[1].path, "/usr/bin/cc2");
  assert_int_equal (spec->hooks.start_container.n, 1);
  assert_string_equal (spec->hooks.start_container.hooks[0].path, "/usr/bin/sc");
  assert_int_equal (spec->hooks.poststart.n, 1);
  assert_non_null (spec->hooks.poststart.hooks[0].args);
  assert_null (spec->hooks.poststart.hooks[0].args[0]);
  assert_int_equal (spec->hooks.poststop.n, 1);
  assert_int_equal (spec->hooks.poststop.hooks[0].timeout, 30);

  assert_int_equal (spec->n_annotations, 2);
  assert_string_equal (spec->annotations[0].key, "org.example.key");
  assert_string_equal (spec->annotations[0].value, "value");
  assert_string_equal (spec->annotations[1].key, "com.example.empty");
  assert_string_equal (spec->annotations[1].value, "");

  assert_true (spec->has_linux);
  assert_int_equal (l->n_namespaces, 8);
  assert_int_equal (l->namespaces[0].type, CLONE_NEWPID);
  assert_null (l->namespaces[0].path);
  assert_int_equal (l->namespaces[1].type, CLONE_NEWNET);
  assert_string_equal (l->namespaces[1].path, "/var/run/netns/box");
  assert_int_equal (l->namespaces[2].type, CLONE_NEWNS);
  assert_int_equal (l->namespaces[3].type, CLONE_NEWIPC);
  assert_int_equal (l->namespaces[4].type, CLONE_NEWUTS);
  assert_int_equal (l->namespaces[5].type, CLONE_NEWUSER);
  assert_int_equal (l->namespaces[6].type, CLONE_NEWCGROUP);
  assert_int_equal (l->namespaces[7].type, CLONE_NEWTIME);
  assert_int_equal (l->n_uid_mappings, 1);
  assert_int_equal (l->uid_mappings[0].container_id, 0);
  assert_int_equal (l->uid_mappings[0].host_id, 100000);
  assert_int_equal (l->uid_mappings[0].size, 65536);
  assert_int_equal (l->n_gid_mappings, 2);
  assert_int_equal (l->gid_mappings[1].container_id, 1);
  assert_int_equal (l->gid_mappings[1].host_id, 300000);
  assert_int_equal (l->gid_mappings[1].size, 1000);
  assert_int_equal (l->n_devices, 3);
  assert_string_equal (l->devices[0].path, "/dev/fuse");
  assert_int_equal (l->devices[0].type, 'c');
  assert_int_equal (l->devices[0].major, 10);
  assert_int_equal (l->devices[0].minor, 229);
  assert_true (l->devices[0].has_file_mode);
  assert_int_equal (l->devices[0].file_mode, 0666);
  assert_true (l->devices[0].has_uid);
  assert_int_equal (l->devices[0].uid, 0);
  assert_true (l->devices[0].has_gid);
  assert_int_equal (l->devices[1].type, 'b');
  assert_int_equal (l->devices[1].major, 8);
  assert_false (l->devices[1].has_file_mode);
  assert_false (l->devices[1].has_uid);
  assert_false (l->devices[1].has_gid);
  assert_int_equal (l->devices[2].type, 'p');
  assert_string_equal (l->devices[2].path, "/dev/myfifo");
  assert_int_equal (l->n_sysctl, 2);
  assert_string_equal (l->sysctl[0].key, "net.ipv4.ip_forward");
  assert_string_equal (l->sysctl[0].value, "1");
  assert_string_equal (l->sysctl[1].key, "kernel.shmmax");
  assert_string_equal (l->sysctl[1].value, "4294967296");
  assert_int_equal (berth_strv_len (l->masked_paths), 2);
  assert_string_equal (l->masked_paths[1], "/sys/firmware");
  assert_int_equal (berth_strv_len (l->readonly_paths), 1);
  assert_string_equal (l->readonly_paths[0], "/proc/sys");
  assert_string_equal (l->rootfs_propagation, "rslave");
  assert_string_equal (l->mount_label, "system_u:object_r:container_file_t:s0");
  assert_string_equal (l->cgroups_path, "/berth/box");
  assert_true (l->time_monotonic.present);
  assert_int_equal (l->time_monotonic.secs, -86400);
  assert_int_equal (l->time_monotonic.nanosecs, 5);
  assert_true (l->time_boottime.present);
  assert_int_equal (l->time_boottime.secs, 172800);
  assert_int_equal (l->time_boottime.nanosecs, 999999999);
  assert_true (l->has_personality);
  assert_string_equal (l->personality_domain, "LINUX32");

  berth_spec_free (spec);
}

static void
test_minimal_config (void **state)
{
  const char *text = "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"rootfs\"}}";
  struct berth_spec *spec = parse_ok (text);

  assert_string_equal (spec->root_path, "rootfs");
  assert_false (spec->root_readonly);
  assert_null (spec->process);
  assert_null (spec->hostname);
  assert_int_equal (spec->n_mounts, 0);
  assert_int_equal (spec->hooks.poststop.n, 0);
  assert_int_equal (spec->n_annotations, 0);
  assert_false (spec->has_linux);
  /* Vectors the runtime iterates are allocated even when absent.  */
  assert_non_null (spec->linux_.masked_paths);
  assert_null (spec->linux_.masked_paths[0]);
  assert_non_null (spec->linux_.readonly_paths);
  assert_null (spec->linux_.readonly_paths[0]);
  assert_false (berth_spec_has_namespace (spec, CLONE_NEWNS, NULL));
  berth_spec_free (spec);
}

static void
test_optional_fields_absent (void **state)
{
  cleanup_free char *text = patched_config ("{'process': {'user': null}}");
  struct berth_spec *spec = parse_ok (text);

  assert_non_null (spec->process->env);
  assert_null (spec->process->env[0]);
  assert_false (spec->process->terminal);
  assert_false (spec->process->has_console_size);
  assert_false (spec->process->user.has_umask);
  assert_int_equal (spec->process->user.uid, 0);
  assert_null (spec->process->user.additional_gids);
  assert_false (spec->process->capabilities.present);
  assert_false (spec->process->has_oom_score_adj);
  assert_int_equal (spec->process->n_rlimits, 0);
  assert_true (spec->has_linux);
  assert_false (spec->linux_.has_personality);
  assert_false (spec->linux_.time_monotonic.present);
  assert_null (spec->linux_.rootfs_propagation);
  berth_spec_free (spec);
}

static void
test_null_means_absent (void **state)
{
  const char *text = "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"r\", \"readonly\": null},"
                     " \"hostname\": null, \"linux\": {\"sysctl\": null}}";
  struct berth_spec *spec = parse_ok (text);

  assert_false (spec->root_readonly);
  assert_null (spec->hostname);
  assert_int_equal (spec->linux_.n_sysctl, 0);
  berth_spec_free (spec);
}

static void
test_has_namespace (void **state)
{
  cleanup_free char *text = patched_config (
      "{'linux': {'namespaces': [{'type': 'pid'}, {'type': 'network', 'path': '/run/netns/x'}]}}");
  struct berth_spec *spec = parse_ok (text);
  const char *path = "unset";

  assert_true (berth_spec_has_namespace (spec, CLONE_NEWPID, &path));
  assert_null (path);
  assert_true (berth_spec_has_namespace (spec, CLONE_NEWNET, &path));
  assert_string_equal (path, "/run/netns/x");
  path = "unset";
  assert_false (berth_spec_has_namespace (spec, CLONE_NEWUSER, &path));
  assert_null (path);
  assert_false (berth_spec_has_namespace (spec, CLONE_NEWNS, NULL));
  assert_false (berth_spec_has_namespace (NULL, CLONE_NEWNS, NULL));
  berth_spec_free (spec);
}

static void
test_unknown_capabilities_ignored (void **state)
{
  cleanup_free char *text = patched_config (
      "{'process': {'capabilities': {'effective': ['CAP_SETUID', 'CAP_FUTURE', 'SETGID', "
      "'cap_kill', 'CAP_']}}}");
  struct berth_spec *spec = parse_ok (text);

  assert_true (spec->process->capabilities.present);
  assert_int_equal (spec->process->capabilities.effective, CAP (7));
  assert_int_equal (spec->process->capabilities.bounding, 0);
  berth_spec_free (spec);
}

static void
test_all_capability_names (void **state)
{
  static const char *const names[] = { "CHOWN",
                                       "DAC_OVERRIDE",
                                       "DAC_READ_SEARCH",
                                       "FOWNER",
                                       "FSETID",
                                       "KILL",
                                       "SETGID",
                                       "SETUID",
                                       "SETPCAP",
                                       "LINUX_IMMUTABLE",
                                       "NET_BIND_SERVICE",
                                       "NET_BROADCAST",
                                       "NET_ADMIN",
                                       "NET_RAW",
                                       "IPC_LOCK",
                                       "IPC_OWNER",
                                       "SYS_MODULE",
                                       "SYS_RAWIO",
                                       "SYS_CHROOT",
                                       "SYS_PTRACE",
                                       "SYS_PACCT",
                                       "SYS_ADMIN",
                                       "SYS_BOOT",
                                       "SYS_NICE",
                                       "SYS_RESOURCE",
                                       "SYS_TIME",
                                       "SYS_TTY_CONFIG",
                                       "MKNOD",
                                       "LEASE",
                                       "AUDIT_WRITE",
                                       "AUDIT_CONTROL",
                                       "SETFCAP",
                                       "MAC_OVERRIDE",
                                       "MAC_ADMIN",
                                       "SYSLOG",
                                       "WAKE_ALARM",
                                       "BLOCK_SUSPEND",
                                       "AUDIT_READ",
                                       "PERFMON",
                                       "BPF",
                                       "CHECKPOINT_RESTORE" };

  for (size_t i = 0; i < sizeof (names) / sizeof (names[0]); i++)
    {
      cleanup_free char *patch = NULL;
      cleanup_free char *text = NULL;
      struct berth_spec *spec;

      assert_true (
          asprintf (&patch, "{'process': {'capabilities': {'permitted': ['CAP_%s']}}}", names[i])
          > 0);
      text = patched_config (patch);
      spec = parse_ok (text);
      assert_int_equal (spec->process->capabilities.permitted, CAP (i));
      berth_spec_free (spec);
    }
}

static void
test_all_rlimit_names (void **state)
{
  static const struct
  {
    const char *name;
    int value;
  } limits[] = {
    { "RLIMIT_CPU", RLIMIT_CPU },           { "RLIMIT_FSIZE", RLIMIT_FSIZE },
    { "RLIMIT_DATA", RLIMIT_DATA },         { "RLIMIT_STACK", RLIMIT_STACK },
    { "RLIMIT_CORE", RLIMIT_CORE },         { "RLIMIT_RSS", RLIMIT_RSS },
    { "RLIMIT_NPROC", RLIMIT_NPROC },       { "RLIMIT_NOFILE", RLIMIT_NOFILE },
    { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },   { "RLIMIT_AS", RLIMIT_AS },
    { "RLIMIT_LOCKS", RLIMIT_LOCKS },       { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
    { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
    { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },     { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  };

  for (size_t i = 0; i < sizeof (limits) / sizeof (limits[0]); i++)
    {
      cleanup_free char *patch = NULL;
      cleanup_free char *text = NULL;
      struct berth_spec *spec;

      assert_true (asprintf (&patch,
                             "{'process': {'rlimits': [{'type': '%s', 'soft': 1, 'hard': 2}]}}",
                             limits[i].name)
                   > 0);
      text = patched_config (patch);
      spec = parse_ok (text);
      assert_int_equal (spec->process->n_rlimits, 1);
      assert_int_equal (spec->process->rlimits[0].resource, limits[i].value);
      berth_spec_free (spec);
    }
}

static void
test_all_propagation_modes (void **state)
{
  static const char *const modes[] = { "private", "rprivate", "slave",      "rslave",
                                       "shared",  "rshared",  "unbindable", "runbindable" };

  for (size_t i = 0; i < sizeof (modes) / sizeof (modes[0]); i++)
    {
      cleanup_free char *patch = NULL;
      cleanup_free char *text = NULL;
      struct berth_spec *spec;

      assert_true (asprintf (&patch, "{'linux': {'rootfsPropagation': '%s'}}", modes[i]) > 0);
      text = patched_config (patch);
      spec = parse_ok (text);
      assert_string_equal (spec->linux_.rootfs_propagation, modes[i]);
      berth_spec_free (spec);
    }
}

/* A document with MEMBERS (single-quoted JSON) after ociVersion and root;
 * for texts jansson cannot patch, such as integers beyond 64 bits.  */
static char *
document (const char *members)
{
  cleanup_free char *doc = NULL;

  assert_true (asprintf (&doc, "{'ociVersion': '1.2.0', 'root': {'path': 'r'}, %s}", members) > 0);
  return unquote (doc);
}

/* Integers beyond jansson's 64-bit signed range (RLIM_INFINITY written as
 * 18446744073709551615 by Go tools) must still parse.  */
static void
test_huge_integers (void **state)
{
  cleanup_free char *text = document (
      "'process': {'cwd': '/', 'args': ['sh'], 'user': {'uid': 4294967295}, 'rlimits': "
      "[{'type': 'RLIMIT_NOFILE', 'soft': 1024, 'hard': 18446744073709551615}, {'type': "
      "'RLIMIT_CORE', 'soft': 0, 'hard': 9223372036854775807}]}, 'linux': {'timeOffsets': "
      "{'boottime': {'secs': -9223372036854775808}}}");
  struct berth_spec *spec = parse_ok (text);

  assert_int_equal (spec->process->user.uid, UINT32_MAX);
  assert_int_equal (spec->process->rlimits[0].soft, 1024);
  assert_true (spec->process->rlimits[0].hard == UINT64_MAX);
  assert_int_equal (spec->process->rlimits[1].soft, 0);
  assert_true (spec->linux_.time_boottime.secs == INT64_MIN);
  berth_spec_free (spec);
}

static void
test_huge_integer_errors (void **state)
{
  static const struct error_case cases[] = {
    { "'process': {'cwd': '/', 'args': ['sh'], 'rlimits': [{'type': 'RLIMIT_NOFILE', 'soft': 1, "
      "'hard': 36893488147419103232}]}",
      "process.rlimits[0].hard: expected unsigned 64-bit integer" },
    { "'process': {'cwd': '/', 'args': ['sh'], 'user': {'uid': 1.5}, 'rlimits': [{'type': "
      "'RLIMIT_NOFILE', 'soft': 1, 'hard': 18446744073709551615}]}",
      "process.user.uid: expected unsigned 32-bit integer" },
    { "'process': {'cwd': '/', 'args': ['sh'], 'user': {'gid': -1}, 'rlimits': [{'type': "
      "'RLIMIT_NOFILE', 'soft': 1, 'hard': 18446744073709551615}]}",
      "process.user.gid: expected unsigned 32-bit integer" },
    { "'process': {'cwd': '/', 'args': ['sh'], 'user': {'uid': 4294967296}, 'rlimits': "
      "[{'type': 'RLIMIT_NOFILE', 'soft': 1, 'hard': 18446744073709551615}]}",
      "process.user.uid: expected unsigned 32-bit integer" },
    { "'process': {'cwd': '/', 'args': ['sh'], 'oomScoreAdj': 1e30, 'rlimits': [{'type': "
      "'RLIMIT_NOFILE', 'soft': 1, 'hard': 18446744073709551615}]}",
      "process.oomScoreAdj: expected 32-bit integer" },
    { "'linux': {'devices': [{'path': '/dev/x', 'type': 'c', 'major': 1e19, 'minor': "
      "18446744073709551615}]}",
      "linux.devices[0].major: expected 64-bit integer" },
    { "'linux': {'devices': [{'path': '/dev/x', 'type': 'c', 'major': 1, 'minor': "
      "18446744073709551615}]}",
      "linux.devices[0].minor: expected 64-bit integer" },
  };

  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      cleanup_free char *text = document (cases[i].patch);
      print_message ("# case %s\n", cases[i].patch);
      assert_text_error (text, cases[i].message);
    }
}

/* Malformed documents.  */

static void
test_invalid_json (void **state)
{
  assert_text_error ("{\n  \"ociVersion\": \"1.2.0\",\n  \"root\": ,\n}",
                     "config.json: invalid JSON at line 3 column 11: unexpected token near ','");
  assert_text_error ("", "config.json: invalid JSON at line 1 column 0: '[' or '{' expected near "
                         "end of file");
  assert_text_error (
      "{\"ociVersion\": \"1.2.0\"} x",
      "config.json: invalid JSON at line 1 column 25: end of file expected near 'x'");
  assert_text_error ("[]", "config.json: expected a JSON object");
  assert_text_error ("\"config\"", "config.json: invalid JSON at line 1 column 8: '[' or '{' "
                                   "expected near '\"config\"'");
}

static void
test_invalid_json_not_nul_terminated (void **state)
{
  const char text[] = "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"r\"}}GARBAGE";
  cleanup_error berth_error_t err = NULL;
  struct berth_spec *spec = NULL;

  /* Only LEN bytes are parsed.  */
  assert_int_equal (berth_spec_parse (text, strlen (text) - 7, &spec, &err), 0);
  assert_string_equal (spec->root_path, "r");
  berth_spec_free (spec);
}

static void
test_top_level_errors (void **state)
{
  static const struct error_case cases[] = {
    { "{'ociVersion': null}", "ociVersion: required" },
    { "{'ociVersion': 1}", "ociVersion: expected string" },
    { "{'root': null}", "root.path: required" },
    { "{'root': {'path': null}}", "root.path: required" },
    { "{'root': {'path': ''}}", "root.path: must not be empty" },
    { "{'root': {'path': ['rootfs']}}", "root.path: expected string" },
    { "{'root': 'rootfs'}", "root: expected object" },
    { "{'root': {'readonly': 'yes'}}", "root.readonly: expected boolean" },
    { "{'hostname': 5}", "hostname: expected string" },
    { "{'domainname': []}", "domainname: expected string" },
    { "{'mounts': {}}", "mounts: expected array" },
    { "{'mounts': ['tmpfs']}", "mounts[0]: expected object" },
    { "{'mounts': [{'destination': '/a'}, {'destination': '/b'}, {'destination': 5}]}",
      "mounts[2].destination: expected string" },
    { "{'mounts': [{'type': 'tmpfs'}]}", "mounts[0].destination: required" },
    { "{'mounts': [{'destination': ''}]}", "mounts[0].destination: must not be empty" },
    { "{'mounts': [{'destination': '/x', 'source': 1}]}", "mounts[0].source: expected string" },
    { "{'mounts': [{'destination': '/x', 'type': true}]}", "mounts[0].type: expected string" },
    { "{'mounts': [{'destination': '/x', 'options': 'ro'}]}", "mounts[0].options: expected array" },
    { "{'mounts': [{'destination': '/x', 'options': ['ro', 0]}]}",
      "mounts[0].options[1]: expected string" },
    { "{'annotations': []}", "annotations: expected object" },
    { "{'annotations': {'a': 'b', 'org.x': 1}}", "annotations.org.x: expected string" },
  };
  CHECK_CASES (cases);
}

static void
test_process_errors (void **state)
{
  static const struct error_case cases[] = {
    { "{'process': []}", "process: expected object" },
    { "{'process': {'terminal': 1}}", "process.terminal: expected boolean" },
    { "{'process': {'consoleSize': 80}}", "process.consoleSize: expected object" },
    { "{'process': {'consoleSize': {'height': 10}}}", "process.consoleSize.width: required" },
    { "{'process': {'consoleSize': {'height': -1, 'width': 1}}}",
      "process.consoleSize.height: expected unsigned 32-bit integer" },
    { "{'process': {'user': 0}}", "process.user: expected object" },
    { "{'process': {'user': {'uid': -1}}}", "process.user.uid: expected unsigned 32-bit integer" },
    { "{'process': {'user': {'uid': 4294967296}}}",
      "process.user.uid: expected unsigned 32-bit integer" },
    { "{'process': {'user': {'uid': '0'}}}", "process.user.uid: expected unsigned 32-bit integer" },
    { "{'process': {'user': {'uid': 1.0}}}", "process.user.uid: expected unsigned 32-bit integer" },
    { "{'process': {'user': {'gid': true}}}",
      "process.user.gid: expected unsigned 32-bit integer" },
    { "{'process': {'user': {'umask': '022'}}}",
      "process.user.umask: expected unsigned 32-bit integer" },
    { "{'process': {'user': {'additionalGids': 5}}}",
      "process.user.additionalGids: expected array" },
    { "{'process': {'user': {'additionalGids': [1, 'a']}}}",
      "process.user.additionalGids[1]: expected unsigned 32-bit integer" },
    { "{'process': {'user': {'username': 1}}}", "process.user.username: expected string" },
    { "{'process': {'args': null}}", "process.args: required" },
    { "{'process': {'args': []}}", "process.args: must not be empty" },
    { "{'process': {'args': 'sh'}}", "process.args: expected array" },
    { "{'process': {'args': ['sh', 1]}}", "process.args[1]: expected string" },
    { "{'process': {'env': [null]}}", "process.env[0]: expected string" },
    { "{'process': {'env': {}}}", "process.env: expected array" },
    { "{'process': {'cwd': null}}", "process.cwd: required" },
    { "{'process': {'cwd': 'tmp'}}", "process.cwd: must be an absolute path" },
    { "{'process': {'cwd': ''}}", "process.cwd: must be an absolute path" },
    { "{'process': {'cwd': 7}}", "process.cwd: expected string" },
    { "{'process': {'capabilities': []}}", "process.capabilities: expected object" },
    { "{'process': {'capabilities': {'bounding': 'CAP_KILL'}}}",
      "process.capabilities.bounding: expected array" },
    { "{'process': {'capabilities': {'ambient': ['CAP_KILL', 3]}}}",
      "process.capabilities.ambient[1]: expected string" },
    { "{'process': {'rlimits': {}}}", "process.rlimits: expected array" },
    { "{'process': {'rlimits': [5]}}", "process.rlimits[0]: expected object" },
    { "{'process': {'rlimits': [{'type': 'RLIMIT_BOGUS', 'soft': 1, 'hard': 1}]}}",
      "process.rlimits[0].type: unknown rlimit type \"RLIMIT_BOGUS\"" },
    { "{'process': {'rlimits': [{'soft': 1, 'hard': 1}]}}", "process.rlimits[0].type: required" },
    { "{'process': {'rlimits': [{'type': 'RLIMIT_NOFILE', 'hard': 1}]}}",
      "process.rlimits[0].soft: required" },
    { "{'process': {'rlimits': [{'type': 'RLIMIT_NOFILE', 'soft': 1}]}}",
      "process.rlimits[0].hard: required" },
    { "{'process': {'rlimits': [{'type': 'RLIMIT_NOFILE', 'soft': -1, 'hard': 1}]}}",
      "process.rlimits[0].soft: expected unsigned 64-bit integer" },
    { "{'process': {'rlimits': [{'type': 'RLIMIT_NOFILE', 'soft': 1, 'hard': 1}, {'type': "
      "'RLIMIT_CORE', 'soft': 1, 'hard': 1}, {'type': 'RLIMIT_NOFILE', 'soft': 2, 'hard': 2}]}}",
      "process.rlimits[2].type: duplicate rlimit type \"RLIMIT_NOFILE\"" },
    { "{'process': {'noNewPrivileges': 'true'}}", "process.noNewPrivileges: expected boolean" },
    { "{'process': {'oomScoreAdj': 2147483648}}", "process.oomScoreAdj: expected 32-bit integer" },
    { "{'process': {'oomScoreAdj': 0.5}}", "process.oomScoreAdj: expected 32-bit integer" },
    { "{'process': {'apparmorProfile': 1}}", "process.apparmorProfile: expected string" },
    { "{'process': {'selinuxLabel': {}}}", "process.selinuxLabel: expected string" },
  };
  CHECK_CASES (cases);
}

static void
test_hooks_errors (void **state)
{
  static const struct error_case cases[] = {
    { "{'hooks': []}", "hooks: expected object" },
    { "{'hooks': {'createContainer': {'path': '/h'}}}", "hooks.createContainer: expected array" },
    { "{'hooks': {'poststop': [{'args': []}]}}", "hooks.poststop[0].path: required" },
    { "{'hooks': {'createRuntime': [{'path': '/ok'}, {'path': 'rel/hook'}]}}",
      "hooks.createRuntime[1].path: must be an absolute path" },
    { "{'hooks': {'prestart': [{'path': 5}]}}", "hooks.prestart[0].path: expected string" },
    { "{'hooks': {'prestart': [{'path': '/h', 'timeout': 0}]}}",
      "hooks.prestart[0].timeout: must be greater than zero" },
    { "{'hooks': {'poststart': [{'path': '/h', 'timeout': -3}]}}",
      "hooks.poststart[0].timeout: must be greater than zero" },
    { "{'hooks': {'poststart': [{'path': '/h', 'timeout': '5'}]}}",
      "hooks.poststart[0].timeout: expected 32-bit integer" },
    { "{'hooks': {'startContainer': [{'path': '/h', 'env': [1]}]}}",
      "hooks.startContainer[0].env[0]: expected string" },
    { "{'hooks': {'poststart': [{'path': '/h', 'args': 'x'}]}}",
      "hooks.poststart[0].args: expected array" },
  };
  CHECK_CASES (cases);
}

static void
test_linux_errors (void **state)
{
  static const struct error_case cases[] = {
    { "{'linux': []}", "linux: expected object" },
    { "{'linux': {'namespaces': {}}}", "linux.namespaces: expected array" },
    { "{'linux': {'namespaces': [{'type': 'foo'}]}}",
      "linux.namespaces[0].type: unknown namespace type \"foo\"" },
    { "{'linux': {'namespaces': [{'type': 'net'}]}}",
      "linux.namespaces[0].type: unknown namespace type \"net\"" },
    { "{'linux': {'namespaces': [{'path': '/proc/1/ns/pid'}]}}",
      "linux.namespaces[0].type: required" },
    { "{'linux': {'namespaces': [{'type': 1}]}}", "linux.namespaces[0].type: expected string" },
    { "{'linux': {'namespaces': [{'type': 'pid'}, {'type': 'uts'}, {'type': 'pid'}]}}",
      "linux.namespaces[2].type: duplicate namespace type \"pid\"" },
    { "{'linux': {'namespaces': [{'type': 'network', 'path': 1}]}}",
      "linux.namespaces[0].path: expected string" },
    { "{'linux': {'uidMappings': [{'containerID': 0, 'hostID': -5, 'size': 1}]}}",
      "linux.uidMappings[0].hostID: expected unsigned 32-bit integer" },
    { "{'linux': {'gidMappings': [{'containerID': 0, 'hostID': 0}]}}",
      "linux.gidMappings[0].size: required" },
    { "{'linux': {'gidMappings': [{'hostID': 0, 'size': 1}]}}",
      "linux.gidMappings[0].containerID: required" },
    { "{'linux': {'uidMappings': {}}}", "linux.uidMappings: expected array" },
    { "{'linux': {'devices': [{'path': '/dev/x', 'type': 'x', 'major': 1, 'minor': 1}]}}",
      "linux.devices[0].type: unknown device type \"x\"" },
    { "{'linux': {'devices': [{'path': '/dev/x', 'type': 'cc', 'major': 1, 'minor': 1}]}}",
      "linux.devices[0].type: unknown device type \"cc\"" },
    { "{'linux': {'devices': [{'path': '/dev/x', 'type': '', 'major': 1, 'minor': 1}]}}",
      "linux.devices[0].type: unknown device type \"\"" },
    { "{'linux': {'devices': [{'path': '/dev/x', 'major': 1, 'minor': 1}]}}",
      "linux.devices[0].type: required" },
    { "{'linux': {'devices': [{'path': '/dev/x', 'type': 'c', 'minor': 1}]}}",
      "linux.devices[0].major: required" },
    { "{'linux': {'devices': [{'path': '/dev/x', 'type': 'u', 'major': 1}]}}",
      "linux.devices[0].minor: required" },
    { "{'linux': {'devices': [{'path': '/dev/x', 'type': 'b', 'major': 'a', 'minor': 1}]}}",
      "linux.devices[0].major: expected 64-bit integer" },
    { "{'linux': {'devices': [{'type': 'c', 'major': 1, 'minor': 1}]}}",
      "linux.devices[0].path: required" },
    { "{'linux': {'devices': [{'path': 'dev/x', 'type': 'c', 'major': 1, 'minor': 1}]}}",
      "linux.devices[0].path: must be an absolute path" },
    { "{'linux': {'devices': [{'path': '/dev/p', 'type': 'p', 'fileMode': -1}]}}",
      "linux.devices[0].fileMode: expected unsigned 32-bit integer" },
    { "{'linux': {'devices': [{'path': '/dev/p', 'type': 'p', 'uid': 'root'}]}}",
      "linux.devices[0].uid: expected unsigned 32-bit integer" },
    { "{'linux': {'devices': [{'path': '/dev/p', 'type': 'p', 'gid': []}]}}",
      "linux.devices[0].gid: expected unsigned 32-bit integer" },
    { "{'linux': {'sysctl': []}}", "linux.sysctl: expected object" },
    { "{'linux': {'sysctl': {'net.ipv4.ip_forward': 1}}}",
      "linux.sysctl.net.ipv4.ip_forward: expected string" },
    { "{'linux': {'maskedPaths': [1]}}", "linux.maskedPaths[0]: expected string" },
    { "{'linux': {'readonlyPaths': '/proc'}}", "linux.readonlyPaths: expected array" },
    { "{'linux': {'rootfsPropagation': 'sideways'}}",
      "linux.rootfsPropagation: unknown propagation \"sideways\"" },
    { "{'linux': {'rootfsPropagation': 1}}", "linux.rootfsPropagation: expected string" },
    { "{'linux': {'mountLabel': 1}}", "linux.mountLabel: expected string" },
    { "{'linux': {'cgroupsPath': false}}", "linux.cgroupsPath: expected string" },
    { "{'linux': {'timeOffsets': []}}", "linux.timeOffsets: expected object" },
    { "{'linux': {'timeOffsets': {'realtime': {'secs': 1}}}}",
      "linux.timeOffsets.realtime: unknown clock" },
    { "{'linux': {'timeOffsets': {'monotonic': {'secs': '1'}}}}",
      "linux.timeOffsets.monotonic.secs: expected 64-bit integer" },
    { "{'linux': {'timeOffsets': {'boottime': {'nanosecs': 1000000000}}}}",
      "linux.timeOffsets.boottime.nanosecs: must be less than 1000000000" },
    { "{'linux': {'timeOffsets': {'boottime': 5}}}",
      "linux.timeOffsets.boottime: expected object" },
    { "{'linux': {'personality': {'domain': 'WINDOWS'}}}",
      "linux.personality.domain: unknown personality domain \"WINDOWS\"" },
    { "{'linux': {'personality': {}}}", "linux.personality.domain: required" },
    { "{'linux': {'personality': {'domain': 'LINUX', 'flags': [1]}}}",
      "linux.personality.flags[0]: expected string" },
    { "{'linux': {'personality': {'domain': 'LINUX', 'flags': 'x'}}}",
      "linux.personality.flags: expected array" },
  };
  CHECK_CASES (cases);
}

/* The error names the first bad field in document order of our walk, and the
 * partially built spec is released (checked by LeakSanitizer).  */
static void
test_error_after_partial_parse (void **state)
{
  cleanup_free char *text = read_data ("spec_full.json");
  json_error_t je;
  json_auto_t *doc = json_loads (text, 0, &je);
  cleanup_free char *bad = NULL;

  assert_non_null (doc);
  json_object_set_new (json_object_get (json_object_get (doc, "linux"), "personality"), "domain",
                       json_string ("NONE"));
  bad = json_dumps (doc, 0);
  assert_text_error (bad, "linux.personality.domain: unknown personality domain \"NONE\"");
}

/* Loading from a file.  */

static void
test_load (void **state)
{
  cleanup_error berth_error_t err = NULL;
  struct berth_spec *spec = NULL;

  assert_int_equal (berth_spec_load (TEST_DATA_DIR "/spec_full.json", &spec, &err), 0);
  assert_null (err);
  assert_string_equal (spec->hostname, "box");
  berth_spec_free (spec);
}

static void
test_load_errors (void **state)
{
  char dir[] = "/tmp/berth-test-spec-XXXXXX";
  cleanup_free char *path = NULL;
  cleanup_free char *expected = NULL;
  cleanup_error berth_error_t err = NULL;
  struct berth_spec *spec = NULL;
  const char bad_json[] = "{\"ociVersion\": }";
  const char bad_field[] = "{\"ociVersion\": \"1\", \"root\": {\"path\": \"r\"}, \"hostname\": 1}";

  assert_non_null (mkdtemp (dir));
  assert_true (asprintf (&path, "%s/config.json", dir) > 0);

  assert_int_equal (berth_spec_load (path, &spec, &err), -ENOENT);
  assert_null (spec);
  assert_true (strncmp (err->msg, "open `", 6) == 0);
  berth_error_release (&err);

  assert_int_equal (berth_write_file (path, bad_json, strlen (bad_json), 0600, &err), 0);
  assert_int_equal (berth_spec_load (path, &spec, &err), -1);
  assert_true (
      asprintf (&expected, "%s: invalid JSON at line 1 column 16: unexpected token near '}'", path)
      > 0);
  assert_string_equal (err->msg, expected);
  berth_error_release (&err);
  free (expected);

  assert_int_equal (berth_write_file (path, bad_field, strlen (bad_field), 0600, &err), 0);
  assert_int_equal (berth_spec_load (path, &spec, &err), -1);
  assert_true (asprintf (&expected, "%s: hostname: expected string", path) > 0);
  assert_string_equal (err->msg, expected);
  assert_null (spec);

  assert_int_equal (unlink (path), 0);
  assert_int_equal (rmdir (dir), 0);
}

/* Standalone process objects (exec --process).  */

static void
test_process_parse (void **state)
{
  cleanup_free char *text = unquote (
      "{'terminal': false, 'user': {'uid': 5, 'gid': 6, 'additionalGids': [7]}, 'args': ['ps', "
      "'aux'], 'cwd': '/tmp', 'env': ['A=b'], 'capabilities': {'bounding': ['CAP_KILL']}, "
      "'rlimits': [{'type': 'RLIMIT_NPROC', 'soft': 10, 'hard': 20}], 'noNewPrivileges': true, "
      "'oomScoreAdj': 100, 'apparmorProfile': 'p', 'selinuxLabel': 'l', 'consoleSize': "
      "{'height': 1, 'width': 2}}");
  cleanup_error berth_error_t err = NULL;
  struct berth_process *proc = NULL;

  assert_int_equal (berth_process_parse (text, strlen (text), &proc, &err), 0);
  assert_non_null (proc);
  assert_false (proc->terminal);
  assert_int_equal (proc->user.uid, 5);
  assert_int_equal (proc->user.gid, 6);
  assert_int_equal (proc->user.additional_gids[0], 7);
  assert_string_equal (proc->args[1], "aux");
  assert_null (proc->args[2]);
  assert_string_equal (proc->cwd, "/tmp");
  assert_string_equal (proc->env[0], "A=b");
  assert_int_equal (proc->capabilities.bounding, CAP (5));
  assert_int_equal (proc->rlimits[0].resource, RLIMIT_NPROC);
  assert_int_equal (proc->rlimits[0].hard, 20);
  assert_true (proc->no_new_privileges);
  assert_int_equal (proc->oom_score_adj, 100);
  assert_string_equal (proc->apparmor_profile, "p");
  assert_string_equal (proc->selinux_label, "l");
  assert_int_equal (proc->console_width, 2);
  berth_process_free (proc);
  berth_process_free (NULL);
}

static void
test_process_parse_errors (void **state)
{
  static const struct error_case cases[] = {
    { "{'args': ['sh']}", "process.cwd: required" },
    { "{'cwd': '/'}", "process.args: required" },
    { "{'cwd': 'x', 'args': ['sh']}", "process.cwd: must be an absolute path" },
    { "{'cwd': '/', 'args': ['sh'], 'user': {'uid': -2}}",
      "process.user.uid: expected unsigned 32-bit integer" },
    { "{'cwd': '/', 'args': ['sh'], 'rlimits': [{'type': 'RLIMIT_X', 'soft': 1, 'hard': 1}]}",
      "process.rlimits[0].type: unknown rlimit type \"RLIMIT_X\"" },
    { "[1]", "process.json: expected a JSON object" },
    { "{'cwd': ",
      "process.json: invalid JSON at line 1 column 8: unexpected token near end of file" },
  };

  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      cleanup_free char *text = unquote (cases[i].patch);
      cleanup_error berth_error_t err = NULL;
      struct berth_process *proc = NULL;

      print_message ("# case %s\n", cases[i].patch);
      assert_int_equal (berth_process_parse (text, strlen (text), &proc, &err), -1);
      assert_null (proc);
      assert_string_equal (err->msg, cases[i].message);
    }
}

/* The default spec.  */

/* TEXT must be the JSON that FIXTURE holds (as written by `runc spec`), apart
 * from ociVersion; key order included.  */
static void
assert_same_as_runc (const char *text, const char *fixture)
{
  cleanup_free char *runc_text = read_data (fixture);
  json_error_t je;
  json_auto_t *ours = json_loads (text, 0, &je);
  json_auto_t *runc = json_loads (runc_text, 0, &je);
  cleanup_free char *runc_dump = NULL;

  assert_non_null (ours);
  assert_non_null (runc);
  assert_string_equal (json_string_value (json_object_get (ours, "ociVersion")), "1.2.0");
  json_object_set_new (runc, "ociVersion", json_string ("1.2.0"));
  assert_true (json_equal (ours, runc));
  runc_dump = json_dumps (runc, JSON_INDENT (2));
  assert_string_equal (text, runc_dump);
}

static void
test_default_matches_runc (void **state)
{
  cleanup_free char *text = berth_spec_default_json (false, 1000, 1000);

  assert_non_null (text);
  assert_same_as_runc (text, "spec_runc_default.json");
}

static void
test_default_rootless_matches_runc (void **state)
{
  /* The fixture was written by `runc spec --rootless` running as root.  */
  cleanup_free char *text = berth_spec_default_json (true, 0, 0);

  assert_non_null (text);
  assert_same_as_runc (text, "spec_runc_rootless.json");
}

static void
test_default_parses (void **state)
{
  cleanup_free char *text = berth_spec_default_json (false, 0, 0);
  struct berth_spec *spec = parse_ok (text);
  const uint64_t caps = CAP (29) | CAP (5) | CAP (10);

  assert_string_equal (spec->root_path, "rootfs");
  assert_true (spec->root_readonly);
  assert_string_equal (spec->hostname, "runc");
  assert_true (spec->process->terminal);
  assert_string_equal (spec->process->args[0], "sh");
  assert_null (spec->process->args[1]);
  assert_int_equal (berth_strv_len (spec->process->env), 2);
  assert_string_equal (spec->process->cwd, "/");
  assert_int_equal (spec->process->capabilities.bounding, caps);
  assert_int_equal (spec->process->capabilities.effective, caps);
  assert_int_equal (spec->process->capabilities.permitted, caps);
  assert_int_equal (spec->process->capabilities.ambient, caps);
  assert_int_equal (spec->process->capabilities.inheritable, 0);
  assert_int_equal (spec->process->n_rlimits, 1);
  assert_int_equal (spec->process->rlimits[0].resource, RLIMIT_NOFILE);
  assert_int_equal (spec->process->rlimits[0].soft, 1024);
  assert_true (spec->process->no_new_privileges);
  assert_int_equal (spec->n_mounts, 7);
  assert_string_equal (spec->mounts[2].destination, "/dev/pts");
  assert_string_equal (spec->mounts[2].options[5], "gid=5");
  assert_string_equal (spec->mounts[5].type, "sysfs");
  assert_int_equal (spec->linux_.n_namespaces, 5);
  assert_true (berth_spec_has_namespace (spec, CLONE_NEWNET, NULL));
  assert_false (berth_spec_has_namespace (spec, CLONE_NEWUSER, NULL));
  assert_int_equal (spec->linux_.n_uid_mappings, 0);
  assert_int_equal (berth_strv_len (spec->linux_.masked_paths), 10);
  assert_int_equal (berth_strv_len (spec->linux_.readonly_paths), 5);
  berth_spec_free (spec);
}

static void
test_default_rootless_parses (void **state)
{
  cleanup_free char *text = berth_spec_default_json (true, 1234, 5678);
  struct berth_spec *spec = parse_ok (text);

  assert_int_equal (spec->linux_.n_uid_mappings, 1);
  assert_int_equal (spec->linux_.uid_mappings[0].container_id, 0);
  assert_int_equal (spec->linux_.uid_mappings[0].host_id, 1234);
  assert_int_equal (spec->linux_.uid_mappings[0].size, 1);
  assert_int_equal (spec->linux_.n_gid_mappings, 1);
  assert_int_equal (spec->linux_.gid_mappings[0].host_id, 5678);
  assert_int_equal (spec->linux_.gid_mappings[0].size, 1);
  assert_true (berth_spec_has_namespace (spec, CLONE_NEWUSER, NULL));
  assert_false (berth_spec_has_namespace (spec, CLONE_NEWNET, NULL));
  assert_int_equal (spec->linux_.n_namespaces, 5);
  assert_int_equal (spec->n_mounts, 7);
  assert_int_equal (berth_strv_len (spec->mounts[2].options), 5);
  assert_string_equal (spec->mounts[5].destination, "/sys");
  assert_string_equal (spec->mounts[5].type, "none");
  assert_string_equal (spec->mounts[5].source, "/sys");
  assert_string_equal (spec->mounts[5].options[0], "rbind");
  berth_spec_free (spec);
}

static void
test_default_rootless_large_ids (void **state)
{
  cleanup_free char *text = berth_spec_default_json (true, 4294967294u, 4294967294u);
  struct berth_spec *spec = parse_ok (text);

  assert_int_equal (spec->linux_.uid_mappings[0].host_id, 4294967294u);
  assert_int_equal (spec->linux_.gid_mappings[0].host_id, 4294967294u);
  berth_spec_free (spec);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_full_config),
    cmocka_unit_test (test_minimal_config),
    cmocka_unit_test (test_optional_fields_absent),
    cmocka_unit_test (test_null_means_absent),
    cmocka_unit_test (test_has_namespace),
    cmocka_unit_test (test_unknown_capabilities_ignored),
    cmocka_unit_test (test_all_capability_names),
    cmocka_unit_test (test_all_rlimit_names),
    cmocka_unit_test (test_all_propagation_modes),
    cmocka_unit_test (test_huge_integers),
    cmocka_unit_test (test_huge_integer_errors),
    cmocka_unit_test (test_invalid_json),
    cmocka_unit_test (test_invalid_json_not_nul_terminated),
    cmocka_unit_test (test_top_level_errors),
    cmocka_unit_test (test_process_errors),
    cmocka_unit_test (test_hooks_errors),
    cmocka_unit_test (test_linux_errors),
    cmocka_unit_test (test_error_after_partial_parse),
    cmocka_unit_test (test_load),
    cmocka_unit_test (test_load_errors),
    cmocka_unit_test (test_process_parse),
    cmocka_unit_test (test_process_parse_errors),
    cmocka_unit_test (test_default_matches_runc),
    cmocka_unit_test (test_default_rootless_matches_runc),
    cmocka_unit_test (test_default_parses),
    cmocka_unit_test (test_default_rootless_parses),
    cmocka_unit_test (test_default_rootless_large_ids),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
