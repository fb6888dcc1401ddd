/* Tests for the engine's spec builder (engine/spec.c and its parts): every
 * config is also parsed back with the runtime's own parser (berth_spec_parse),
 * so what the engine writes is what the runtime accepts.  Requests are made
 * with the real flag parser, as the engine will make them.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "engine/spec.h"
#include "oci/names.h"
#include "oci/resources.h"
#include "oci/seccomp.h"
#include "oci/spec.h"
#include "run_options.h"
#include "util.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char *rootfs; /* a tiny image root with /etc/passwd and /etc/group */

static void
put (const char *rel, const char *content)
{
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *path = NULL;

  assert_true (asprintf (&path, "%s/%s", rootfs, rel) > 0);
  if (berth_write_file (path, content, strlen (content), 0644, &err) < 0)
    fail_msg ("%s", err->msg);
}

static int
setup_rootfs (void **state)
{
  cleanup_free char *etc = NULL;

  rootfs = strdup ("/tmp/berth-test-spec-XXXXXX");
  if (mkdtemp (rootfs) == NULL || asprintf (&etc, "%s/etc", rootfs) < 0 || mkdir (etc, 0755) < 0)
    return -1;
  put ("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                     "# a comment\n"
                     "app:x:1000:1000:App:/home/app:/bin/sh\n"
                     "nohome:x:1001:1001::\n");
  put ("etc/group", "root:x:0:\n"
                    "app:x:1000:\n"
                    "staff:x:50:app,other\n"
                    "audio:x:29:other,app\n"
                    "video:x:44:other\n");
  return 0;
}

static int
teardown_rootfs (void **state)
{
  cleanup_error berth_error_t err = NULL;
  int r = berth_remove_tree (rootfs, &err);

  free (rootfs);
  return r;
}

static struct berth_run_request *
request_v (const char *const *args)
{
  cleanup_error berth_error_t err = NULL;
  struct berth_run_request *req = NULL;
  int argc = 0;
  char *envp[] = { NULL };

  while (args[argc])
    argc++;
  if (berth_run_options_parse (argc, (char *const *)args, envp, false, &req, &err) < 0)
    fail_msg ("flags: %s", err->msg);
  return req;
}

#define REQUEST(...) request_v ((const char *const[]){ __VA_ARGS__, NULL })

static char *image_entrypoint[] = { "/entry.sh", NULL };
static char *image_cmd[] = { "serve", "--port", "80", NULL };
static char *image_env[] = { "PATH=/opt/bin:/bin", "LANG=C.UTF-8", "MODE=image", NULL };
static char *label_keys[] = { "org.example.from", "shared" };
static char *label_values[] = { "image", "image" };

static struct berth_image_config test_image = {
  .env = image_env,
  .cmd = image_cmd,
  .entrypoint = image_entrypoint,
  .working_dir = "/srv",
  .labels = { label_keys, label_values, 2 },
};

struct built
{
  json_t *json;
  struct berth_spec *spec;
};

static void
built_free (struct built *b)
{
  json_decref (b->json);
  berth_spec_free (b->spec);
}

/* Build, check that the runtime's parser takes it, and return both views.  */
static int
build_full (const struct berth_spec_params *params, struct built *out, berth_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_error berth_error_t perr = NULL;
  json_error_t jerr;

  memset (out, 0, sizeof (*out));
  if (berth_engine_build_spec (params, &text, err) < 0)
    return -1;
  if (berth_spec_parse (text, strlen (text), &out->spec, &perr) < 0)
    fail_msg ("the runtime rejects the engine's spec: %s", perr->msg);
  out->json = json_loads (text, JSON_DECODE_INT_AS_REAL, &jerr);
  assert_non_null (out->json);
  return 0;
}

static struct built
build (struct berth_run_request *req, const struct berth_image_config *image)
{
  cleanup_error berth_error_t err = NULL;
  struct berth_spec_params params
      = { .req = req, .image = image, .id = ID, .rootfs = rootfs, .init_path = "/usr/bin/true" };
  struct built b;

  if (build_full (&params, &b, &err) < 0)
    fail_msg ("build: %s", err->msg);
  berth_run_request_free (req);
  return b;
}

static json_t *
jpath (json_t *j, const char *path)
{
  cleanup_free char *copy = strdup (path);
  char *save = NULL;

  for (char *k = strtok_r (copy, ".", &save); j && k; k = strtok_r (NULL, ".", &save))
    j = json_object_get (j, k);
  return j;
}

static bool
array_has (json_t *a, const char *s)
{
  size_t i;
  json_t *v;

  json_array_foreach (a, i, v) if (json_is_string (v)
                                   && strcmp (json_string_value (v), s) == 0) return true;
  return false;
}

static json_t *
find_mount (json_t *spec, const char *dest)
{
  size_t i;
  json_t *m;

  json_array_foreach (json_object_get (spec, "mounts"), i,
                      m) if (strcmp (json_string_value (json_object_get (m, "destination")), dest)
                             == 0) return m;
  return NULL;
}

/* The seccomp rules naming SYSCALL: how many, and the first one.  */
static size_t
seccomp_rules_for (json_t *spec, const char *syscall, json_t **first)
{
  size_t i, n = 0;
  json_t *rule;

  if (first)
    *first = NULL;
  json_array_foreach (jpath (spec, "linux.seccomp.syscalls"), i,
                      rule) if (array_has (json_object_get (rule, "names"), syscall))
  {
    if (n++ == 0 && first)
      *first = rule;
  }
  return n;
}

static uint64_t
cap_mask (const char *const *names)
{
  uint64_t m = 0;

  for (; *names; names++)
    {
      int cap = -1;

      for (int c = 0; c < 64; c++)
        if (berth_capability_name (c) && strcmp (berth_capability_name (c), *names) == 0)
          cap = c;
      assert_true (cap >= 0);
      m |= 1ULL << cap;
    }
  return m;
}

static const char *const docker_defaults[] = { "CAP_CHOWN",
                                               "CAP_DAC_OVERRIDE",
                                               "CAP_FSETID",
                                               "CAP_FOWNER",
                                               "CAP_MKNOD",
                                               "CAP_NET_RAW",
                                               "CAP_SETGID",
                                               "CAP_SETUID",
                                               "CAP_SETFCAP",
                                               "CAP_SETPCAP",
                                               "CAP_NET_BIND_SERVICE",
                                               "CAP_SYS_CHROOT",
                                               "CAP_KILL",
                                               "CAP_AUDIT_WRITE",
                                               NULL };

static void
test_defaults (void **state)
{
  struct built b = build (REQUEST ("img"), &test_image);
  struct berth_process *proc = b.spec->process;
  static const char *const masked[] = { "/proc/asound",
                                        "/proc/acpi",
                                        "/proc/kcore",
                                        "/proc/keys",
                                        "/proc/latency_stats",
                                        "/proc/timer_list",
                                        "/proc/timer_stats",
                                        "/proc/sched_debug",
                                        "/proc/scsi",
                                        "/sys/firmware",
                                        "/sys/devices/virtual/powercap",
                                        NULL };
  static const char *const readonly[]
      = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL };
  static const int namespaces[]
      = { CLONE_NEWPID, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWNET };

  /* Capabilities: exactly Docker's 14, in every set but inheritable/ambient.  */
  assert_true (proc->capabilities.present);
  assert_int_equal (proc->capabilities.bounding, cap_mask (docker_defaults));
  assert_int_equal (proc->capabilities.effective, cap_mask (docker_defaults));
  assert_int_equal (proc->capabilities.permitted, cap_mask (docker_defaults));
  assert_int_equal (proc->capabilities.inheritable, 0);
  assert_int_equal (proc->capabilities.ambient, 0);
  assert_false (proc->no_new_privileges);
  assert_false (proc->terminal);

  /* Masked and read-only paths.  */
  assert_int_equal (berth_strv_len (b.spec->linux_.masked_paths), 11);
  for (size_t i = 0; masked[i]; i++)
    assert_true (array_has (jpath (b.json, "linux.maskedPaths"), masked[i]));
  assert_int_equal (berth_strv_len (b.spec->linux_.readonly_paths), 5);
  for (size_t i = 0; readonly[i]; i++)
    assert_true (array_has (jpath (b.json, "linux.readonlyPaths"), readonly[i]));

  for (size_t i = 0; i < sizeof (namespaces) / sizeof (namespaces[0]); i++)
    {
      const char *path = "x";
      assert_true (berth_spec_has_namespace (b.spec, namespaces[i], &path));
      assert_null (path);
    }
  assert_false (berth_spec_has_namespace (b.spec, CLONE_NEWUSER, NULL));

  assert_string_equal (b.spec->hostname, "0123456789ab");
  assert_string_equal (b.spec->root_path, rootfs);
  assert_false (b.spec->root_readonly);
  assert_string_equal (b.spec->linux_.cgroups_path, "/berth/" ID);
  assert_string_equal (proc->cwd, "/srv");
  assert_int_equal (proc->user.uid, 0);
  assert_int_equal (proc->user.gid, 0);
  assert_null (proc->rlimits);

  /* Default mounts.  */
  {
    static const char *const dests[] = { "/proc",          "/dev",        "/dev/pts", "/sys",
                                         "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm", NULL };
    for (size_t i = 0; dests[i]; i++)
      if (find_mount (b.json, dests[i]) == NULL)
        fail_msg ("no default mount at %s", dests[i]);
    assert_true (
        array_has (json_object_get (find_mount (b.json, "/dev/shm"), "options"), "size=65536k"));
    assert_true (array_has (json_object_get (find_mount (b.json, "/sys"), "options"), "ro"));
    assert_true (
        array_has (json_object_get (find_mount (b.json, "/sys/fs/cgroup"), "options"), "ro"));
  }

  /* Devices: deny all, then Docker's list.  */
  {
    json_t *rules = jpath (b.json, "linux.resources.devices");
    json_t *first = json_array_get (rules, 0);

    assert_false (json_is_true (json_object_get (first, "allow")));
    assert_string_equal (json_string_value (json_object_get (first, "access")), "rwm");
    assert_int_equal (json_array_size (rules), 13);
    assert_int_equal (json_array_size (jpath (b.json, "linux.devices")), 0);
  }

  /* Labels of the image become annotations.  */
  assert_string_equal (json_string_value (jpath (b.json, "annotations.shared")), "image");
  built_free (&b);
}

static void
test_default_seccomp (void **state)
{
  struct built b = build (REQUEST ("img"), &test_image);
  struct berth_seccomp *sc = b.spec->linux_.seccomp;
  json_t *rule;

  assert_non_null (sc);
  assert_int_equal (sc->default_action, BERTH_SECCOMP_ACT_ERRNO);
  assert_int_equal (sc->default_errno_ret, EPERM);
#if defined(__x86_64__)
  assert_int_equal (sc->n_architectures, 3);
  assert_int_equal (sc->architectures[0], BERTH_SECCOMP_ARCH_X86_64);
  assert_true (seccomp_rules_for (b.json, "arch_prctl", NULL) == 1);
  assert_true (seccomp_rules_for (b.json, "modify_ldt", NULL) == 1);
#endif
  /* Another architecture's calls are not there.  */
  assert_int_equal (seccomp_rules_for (b.json, "s390_runtime_instr", NULL), 0);
  assert_int_equal (seccomp_rules_for (b.json, "read", NULL), 1);
  assert_int_equal (seccomp_rules_for (b.json, "execve", NULL), 1);
  /* What capabilities the container lacks unlock nothing.  */
  static const char *const refused[] = { "mount",
                                         "umount2",
                                         "unshare",
                                         "setns",
                                         "bpf",
                                         "reboot",
                                         "kexec_load",
                                         "init_module",
                                         "acct",
                                         "kcmp",
                                         "iopl",
                                         "settimeofday",
                                         "open_by_handle_at",
                                         "perf_event_open",
                                         "syslog",
                                         "keyctl",
                                         "add_key",
                                         NULL };
  for (size_t i = 0; refused[i]; i++)
    if (seccomp_rules_for (b.json, refused[i], NULL))
      fail_msg ("%s is allowed without its capability", refused[i]);
  /* chroot comes with the default CAP_SYS_CHROOT.  */
  assert_int_equal (seccomp_rules_for (b.json, "chroot", NULL), 1);
  /* ptrace: only the kernel-version group (>= 4.8), no CAP_SYS_PTRACE one.  */
  assert_int_equal (seccomp_rules_for (b.json, "ptrace", NULL), 1);
  /* clone only without namespace flags; clone3 says ENOSYS.  */
  assert_int_equal (seccomp_rules_for (b.json, "clone", &rule), 1);
  assert_string_equal (
      json_string_value (jpath (json_array_get (json_object_get (rule, "args"), 0), "op")),
      "SCMP_CMP_MASKED_EQ");
  assert_true (json_number_value (
                   json_object_get (json_array_get (json_object_get (rule, "args"), 0), "value"))
               == 0x7E020000);
  assert_int_equal (seccomp_rules_for (b.json, "clone3", &rule), 1);
  assert_string_equal (json_string_value (json_object_get (rule, "action")), "SCMP_ACT_ERRNO");
  assert_true (json_number_value (json_object_get (rule, "errnoRet")) == ENOSYS);
  /* socket: not AF_VSOCK; personality: five harmless values.  */
  assert_int_equal (seccomp_rules_for (b.json, "socket", &rule), 1);
  assert_string_equal (
      json_string_value (jpath (json_array_get (json_object_get (rule, "args"), 0), "op")),
      "SCMP_CMP_NE");
  assert_int_equal (seccomp_rules_for (b.json, "personality", NULL), 5);
  built_free (&b);
}

static void
test_capability_flags (void **state)
{
  struct built b
      = build (REQUEST ("--cap-add", "sys_admin", "--cap-drop", "NET_RAW", "img"), &test_image);
  uint64_t caps = b.spec->process->capabilities.bounding;

  assert_true (caps & (1ULL << CAP_SYS_ADMIN));
  assert_false (caps & (1ULL << CAP_NET_RAW));
  assert_true (caps & (1ULL << CAP_CHOWN));
  /* CAP_SYS_ADMIN unlocks its group, and lifts the clone restrictions.  */
  assert_int_equal (seccomp_rules_for (b.json, "mount", NULL), 1);
  assert_int_equal (seccomp_rules_for (b.json, "unshare", NULL), 1);
  assert_int_equal (seccomp_rules_for (b.json, "clone3", NULL), 1);
  {
    json_t *rule;
    assert_int_equal (seccomp_rules_for (b.json, "clone", &rule), 1);
    assert_null (json_object_get (rule, "args"));
    assert_int_equal (seccomp_rules_for (b.json, "clone3", &rule), 1);
    assert_string_equal (json_string_value (json_object_get (rule, "action")), "SCMP_ACT_ALLOW");
  }
  built_free (&b);

  b = build (REQUEST ("--cap-drop", "ALL", "--cap-add", "CHOWN", "img"), &test_image);
  assert_int_equal (b.spec->process->capabilities.bounding, 1ULL << CAP_CHOWN);
  assert_int_equal (seccomp_rules_for (b.json, "chroot", NULL), 0);
  built_free (&b);

  b = build (REQUEST ("--cap-add", "ALL", "--cap-drop", "sys_ptrace", "img"), &test_image);
  caps = b.spec->process->capabilities.bounding;
  assert_true (caps & (1ULL << CAP_SYS_MODULE));
  assert_false (caps & (1ULL << CAP_SYS_PTRACE));
  assert_int_equal (seccomp_rules_for (b.json, "kcmp", NULL), 0);
  assert_int_equal (seccomp_rules_for (b.json, "init_module", NULL), 1);
  built_free (&b);

  b = build (REQUEST ("--cap-add", "SYS_PTRACE", "img"), &test_image);
  assert_int_equal (seccomp_rules_for (b.json, "kcmp", NULL), 1);
  assert_int_equal (seccomp_rules_for (b.json, "ptrace", NULL), 2);
  built_free (&b);
}

static void
test_privileged (void **state)
{
  struct built b = build (REQUEST ("--privileged", "--cap-drop", "ALL", "img"), &test_image);
  json_t *rule = json_array_get (jpath (b.json, "linux.resources.devices"), 0);

  /* All capabilities whatever was dropped, no filter, nothing masked.  */
  assert_true (b.spec->process->capabilities.bounding & (1ULL << CAP_SYS_ADMIN));
  assert_true (b.spec->process->capabilities.bounding & (1ULL << CAP_NET_RAW));
  assert_null (b.spec->linux_.seccomp);
  assert_int_equal (berth_strv_len (b.spec->linux_.masked_paths), 0);
  assert_int_equal (berth_strv_len (b.spec->linux_.readonly_paths), 0);
  assert_false (array_has (json_object_get (find_mount (b.json, "/sys"), "options"), "ro"));
  assert_true (json_is_true (json_object_get (rule, "allow")));
  assert_int_equal (json_array_size (jpath (b.json, "linux.resources.devices")), 1);
  /* The host's devices, /dev/null among them.  */
  {
    bool null_found = false;
    for (size_t i = 0; i < b.spec->linux_.n_devices; i++)
      if (strcmp (b.spec->linux_.devices[i].path, "/dev/null") == 0)
        null_found = b.spec->linux_.devices[i].major == 1 && b.spec->linux_.devices[i].minor == 3;
    assert_true (null_found);
  }
  built_free (&b);
}

static void
test_security_opts (void **state)
{
  cleanup_free char *profile = NULL;
  struct built b = build (REQUEST ("--security-opt", "seccomp=unconfined", "--security-opt",
                                   "no-new-privileges", "img"),
                          &test_image);

  assert_null (b.spec->linux_.seccomp);
  assert_true (b.spec->process->no_new_privileges);
  built_free (&b);

  /* A profile in Docker's format: archMap and conditions are applied.  */
  assert_true (asprintf (&profile, "%s/profile.json", rootfs) > 0);
  put ("profile.json",
       "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,"
       " \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\","
       "   \"subArchitectures\": [\"SCMP_ARCH_X86\"]},"
       "  {\"architecture\": \"SCMP_ARCH_AARCH64\", \"subArchitectures\": [\"SCMP_ARCH_ARM\"]}],"
       " \"syscalls\": ["
       "  {\"names\": [\"read\", \"write\", \"exit_group\"], \"action\": \"SCMP_ACT_ALLOW\"},"
       "  {\"name\": \"getpid\", \"action\": \"SCMP_ACT_ALLOW\"},"
       "  {\"names\": [\"mount\"], \"action\": \"SCMP_ACT_ALLOW\","
       "   \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},"
       "  {\"names\": [\"uname\"], \"action\": \"SCMP_ACT_ALLOW\","
       "   \"excludes\": {\"caps\": [\"CAP_CHOWN\"]}},"
       "  {\"names\": [\"s390_only\"], \"action\": \"SCMP_ACT_ALLOW\","
       "   \"includes\": {\"arches\": [\"s390x\"]}},"
       "  {\"names\": [\"new_enough\"], \"action\": \"SCMP_ACT_ALLOW\","
       "   \"includes\": {\"minKernel\": \"3.0\"}, \"comment\": \"x\"},"
       "  {\"names\": [\"future\"], \"action\": \"SCMP_ACT_ALLOW\","
       "   \"includes\": {\"minKernel\": \"99.0\"}}]}");
  {
    cleanup_free char *flag = NULL;
    assert_true (asprintf (&flag, "seccomp=%s", profile) > 0);
    b = build (REQUEST ("--security-opt", flag, "img"), &test_image);
  }
  assert_non_null (b.spec->linux_.seccomp);
  assert_int_equal (b.spec->linux_.seccomp->default_errno_ret, 1);
#if defined(__x86_64__)
  assert_int_equal (b.spec->linux_.seccomp->n_architectures, 2);
#endif
  assert_int_equal (seccomp_rules_for (b.json, "read", NULL), 1);
  assert_int_equal (seccomp_rules_for (b.json, "getpid", NULL), 1);
  assert_int_equal (seccomp_rules_for (b.json, "mount", NULL), 0);
  assert_int_equal (seccomp_rules_for (b.json, "uname", NULL), 0);
  assert_int_equal (seccomp_rules_for (b.json, "s390_only", NULL), 0);
  assert_int_equal (seccomp_rules_for (b.json, "new_enough", NULL), 1);
  assert_int_equal (seccomp_rules_for (b.json, "future", NULL), 0);
  built_free (&b);

  /* Unreadable or broken profile: one error naming the flag.  */
  {
    cleanup_error berth_error_t err = NULL;
    struct berth_run_request *req
        = REQUEST ("--security-opt", "seccomp=/nonexistent/profile.json", "img");
    struct berth_spec_params params
        = { .req = req, .image = &test_image, .id = ID, .rootfs = rootfs };
    struct built bad;

    assert_true (build_full (&params, &bad, &err) < 0);
    assert_non_null (strstr (err->msg, "--security-opt seccomp"));
    berth_run_request_free (req);
    berth_error_release (&err);
    put ("profile.json", "{\"syscalls\": 3}");
    {
      cleanup_free char *flag = NULL;
      assert_true (asprintf (&flag, "seccomp=%s", profile) > 0);
      req = REQUEST ("--security-opt", flag, "img");
    }
    params.req = req;
    assert_true (build_full (&params, &bad, &err) < 0);
    assert_non_null (strstr (err->msg, "no defaultAction"));
    berth_run_request_free (req);
  }
}

struct args_case
{
  char **image_entry;
  char **image_cmd;
  const char *flag_entrypoint; /* NULL: not given */
  const char *const *command;
  const char *const *expected; /* NULL: "no command specified" */
};

static void
test_args_resolution (void **state)
{
  static char *entry[] = { "/entry.sh", "-x", NULL };
  static char *cmd[] = { "serve", NULL };
  const struct args_case cases[] = {
    /* image entrypoint + image cmd */
    { entry, cmd, NULL, NULL, (const char *const[]){ "/entry.sh", "-x", "serve", NULL } },
    /* a command replaces the image's Cmd, not its entrypoint */
    { entry, cmd, NULL, (const char *const[]){ "sh", NULL },
      (const char *const[]){ "/entry.sh", "-x", "sh", NULL } },
    /* --entrypoint replaces the entrypoint and drops the image's Cmd */
    { entry, cmd, "/bin/ls", NULL, (const char *const[]){ "/bin/ls", NULL } },
    { entry, cmd, "/bin/ls", (const char *const[]){ "-l", NULL },
      (const char *const[]){ "/bin/ls", "-l", NULL } },
    /* --entrypoint "" clears it: the command alone runs */
    { entry, cmd, "", (const char *const[]){ "sh", "-c", "x", NULL },
      (const char *const[]){ "sh", "-c", "x", NULL } },
    { entry, cmd, "", NULL, NULL },
    /* no entrypoint: Cmd, or the command */
    { NULL, cmd, NULL, NULL, (const char *const[]){ "serve", NULL } },
    { NULL, cmd, NULL, (const char *const[]){ "top", NULL }, (const char *const[]){ "top", NULL } },
    { NULL, NULL, NULL, NULL, NULL },
  };

  for (size_t c = 0; c < sizeof (cases) / sizeof (cases[0]); c++)
    {
      cleanup_error berth_error_t err = NULL;
      cleanup_strv char **args = NULL;
      struct berth_image_config image
          = { .entrypoint = cases[c].image_entry, .cmd = cases[c].image_cmd };
      struct berth_run_request req = { .has_entrypoint = cases[c].flag_entrypoint != NULL,
                                       .entrypoint = (char *)cases[c].flag_entrypoint,
                                       .command = (char **)cases[c].command };
      int r = berth_engine_resolve_args (&req, &image, &args, &err);

      if (cases[c].expected == NULL)
        {
          assert_true (r < 0);
          assert_string_equal (err->msg, "no command specified");
          continue;
        }
      if (r < 0)
        fail_msg ("case %zu: %s", c, err->msg);
      assert_int_equal (berth_strv_len (args), berth_strv_len ((char *const *)cases[c].expected));
      for (size_t i = 0; args[i]; i++)
        assert_string_equal (args[i], cases[c].expected[i]);
    }
}

static void
test_env_and_user (void **state)
{
  struct built b
      = build (REQUEST ("-t", "-e", "MODE=flag", "-e", "EXTRA=1", "-u", "app", "img"), &test_image);
  char **env = b.spec->process->env;

  /* Image env over the defaults, flags over the image.  */
  assert_string_equal (berth_strv_getenv (env, "PATH"), "/opt/bin:/bin");
  assert_string_equal (berth_strv_getenv (env, "HOSTNAME"), "0123456789ab");
  assert_string_equal (berth_strv_getenv (env, "TERM"), "xterm");
  assert_string_equal (berth_strv_getenv (env, "MODE"), "flag");
  assert_string_equal (berth_strv_getenv (env, "EXTRA"), "1");
  assert_string_equal (berth_strv_getenv (env, "LANG"), "C.UTF-8");
  assert_string_equal (berth_strv_getenv (env, "HOME"), "/home/app");
  assert_true (b.spec->process->terminal);
  assert_int_equal (b.spec->process->user.uid, 1000);
  assert_int_equal (b.spec->process->user.gid, 1000);
  assert_int_equal (b.spec->process->user.n_additional_gids, 2);
  assert_int_equal (b.spec->process->user.additional_gids[0], 50);
  assert_int_equal (b.spec->process->user.additional_gids[1], 29);
  /* Not root: the bounding set only, as Docker.  */
  assert_int_equal (b.spec->process->capabilities.bounding, cap_mask (docker_defaults));
  assert_int_equal (b.spec->process->capabilities.effective, 0);
  assert_int_equal (b.spec->process->capabilities.permitted, 0);
  built_free (&b);

  /* No image: PATH default; HOME given is kept.  */
  b = build (REQUEST ("-e", "HOME=/x", "img", "sh"), NULL);
  env = b.spec->process->env;
  assert_string_equal (berth_strv_getenv (env, "PATH"),
                       "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  assert_string_equal (berth_strv_getenv (env, "HOME"), "/x");
  assert_null (berth_strv_getenv (env, "TERM"));
  assert_string_equal (b.spec->process->cwd, "/");
  built_free (&b);
}

static void
resolve_ok (const char *spec, uid_t uid, gid_t gid, size_t n_groups, const char *home)
{
  cleanup_error berth_error_t err = NULL;
  struct berth_engine_user u;

  if (berth_engine_resolve_user (rootfs, spec, &u, &err) < 0)
    fail_msg ("user %s: %s", spec, err->msg);
  assert_int_equal (u.uid, uid);
  assert_int_equal (u.gid, gid);
  assert_int_equal (u.n_additional_gids, n_groups);
  assert_string_equal (u.home, home);
  berth_engine_user_release (&u);
}

static void
resolve_fails (const char *spec, const char *needle)
{
  cleanup_error berth_error_t err = NULL;
  struct berth_engine_user u;

  if (berth_engine_resolve_user (rootfs, spec, &u, &err) == 0)
    fail_msg ("user %s resolved", spec);
  if (strstr (err->msg, needle) == NULL)
    fail_msg ("\"%s\" lacks \"%s\"", err->msg, needle);
}

static void
test_user_resolution (void **state)
{
  resolve_ok (NULL, 0, 0, 0, "/root");
  resolve_ok ("app", 1000, 1000, 2, "/home/app");
  resolve_ok ("1000", 1000, 1000, 2, "/home/app");
  resolve_ok ("app:staff", 1000, 50, 0, "/home/app");
  resolve_ok ("app:44", 1000, 44, 0, "/home/app");
  resolve_ok ("1234", 1234, 0, 0, "/");
  resolve_ok ("1234:video", 1234, 44, 0, "/");
  resolve_ok ("nohome", 1001, 1001, 0, "/");
  resolve_fails ("ghost", "unable to find user ghost: no matching entries in passwd file");
  resolve_fails ("app:ghosts", "unable to find group ghosts");
  resolve_fails ("app:", "empty group");
}

/* The image's /etc/passwd and /etc/group as symlinks to the host's: opened
 * as plain paths they show the host's users; resolved inside the rootfs
 * they name the image's own files (here: themselves, so nothing), and a
 * link to another file of the image is followed inside it.  */
static void
test_user_files_stay_in_rootfs (void **state)
{
  cleanup_free char *evil = strdup ("/tmp/berth-test-spec-evil-XXXXXX");
  cleanup_free char *etc = NULL, *passwd = NULL, *group = NULL, *text = NULL;
  cleanup_free char *inner = NULL, *inner_passwd = NULL;
  cleanup_error berth_error_t err = NULL;
  char *saved = rootfs;
  size_t len;

  assert_non_null (mkdtemp (evil));
  assert_true (asprintf (&etc, "%s/etc", evil) > 0 && asprintf (&passwd, "%s/passwd", etc) > 0
               && asprintf (&group, "%s/group", etc) > 0 && asprintf (&inner, "%s/inner", evil) > 0
               && asprintf (&inner_passwd, "%s/passwd", inner) > 0);
  assert_int_equal (mkdir (etc, 0755), 0);
  assert_int_equal (symlink ("/etc/passwd", passwd), 0);
  assert_int_equal (symlink ("../../../../../../../../etc/group", group), 0);

  /* The attack works against a plain open: the host's users show through.  */
  assert_int_equal (berth_read_file (passwd, &text, &len, &err), 0);
  assert_non_null (strstr (text, "daemon:"));
  free (steal_pointer (&text));
  assert_int_equal (berth_read_file (group, &text, &len, &err), 0);
  assert_non_null (strstr (text, "daemon:"));

  rootfs = evil;
  resolve_fails ("daemon", "unable to find user daemon");
  resolve_fails ("0:daemon", "unable to find group daemon");
  resolve_ok ("0", 0, 0, 0, "/");

  /* A link to a file of the image itself is followed, inside it.  */
  assert_int_equal (mkdir (inner, 0755), 0);
  assert_int_equal (berth_write_file (inner_passwd, "daemon:x:7:7::/d:/bin/sh\n", 25, 0644, &err),
                    0);
  assert_int_equal (unlink (passwd), 0);
  assert_int_equal (symlink ("../../inner/passwd", passwd), 0);
  resolve_ok ("daemon", 7, 7, 0, "/d");
  rootfs = saved;
  assert_int_equal (berth_remove_tree (evil, &err), 0);
}

static void
test_resources_and_limits (void **state)
{
  struct built b
      = build (REQUEST ("-m", "64m", "--memory-reservation", "32m", "--cpus", "0.2", "--cpu-shares",
                        "512", "--cpuset-cpus", "0", "--pids-limit", "100", "--ulimit",
                        "nofile=1024:2048", "--ulimit", "core=-1", "--oom-score-adj", "300", "img"),
               &test_image);
  struct berth_resources *r = b.spec->linux_.resources;
  struct berth_process *p = b.spec->process;

  assert_true (r->memory.has_limit);
  assert_int_equal (r->memory.limit, 64 << 20);
  assert_true (r->memory.has_swap);
  assert_int_equal (r->memory.swap, 128 << 20); /* Docker: twice the memory */
  assert_int_equal (r->memory.reservation, 32 << 20);
  assert_int_equal (r->cpu.quota, 20000);
  assert_int_equal (r->cpu.period, 100000);
  assert_int_equal (r->cpu.shares, 512);
  assert_string_equal (r->cpu.cpus, "0");
  assert_int_equal (r->pids.limit, 100);
  assert_int_equal (p->n_rlimits, 2);
  assert_int_equal (p->rlimits[0].resource, RLIMIT_NOFILE);
  assert_int_equal (p->rlimits[0].soft, 1024);
  assert_int_equal (p->rlimits[0].hard, 2048);
  assert_int_equal (p->rlimits[1].resource, RLIMIT_CORE);
  assert_true (p->rlimits[1].soft == RLIM_INFINITY);
  assert_true (p->rlimits[1].hard == RLIM_INFINITY);
  assert_true (p->has_oom_score_adj);
  assert_int_equal (p->oom_score_adj, 300);
  built_free (&b);

  b = build (REQUEST ("-m", "64m", "--memory-swap", "-1", "img"), &test_image);
  assert_int_equal (b.spec->linux_.resources->memory.swap, -1);
  assert_false (b.spec->linux_.resources->cpu.has_quota);
  assert_false (b.spec->linux_.resources->pids.present);
  built_free (&b);

  /* A host without swap accounting gets no swap limit.  */
  {
    cleanup_error berth_error_t err = NULL;
    struct berth_run_request *req = REQUEST ("-m", "64m", "img");
    struct berth_spec_params params = {
      .req = req, .image = &test_image, .id = ID, .rootfs = rootfs, .swap_unsupported = true
    };

    assert_int_equal (build_full (&params, &b, &err), 0);
    assert_false (b.spec->linux_.resources->memory.has_swap);
    assert_int_equal (b.spec->linux_.resources->memory.limit, 64 << 20);
    built_free (&b);
    berth_run_request_free (req);
  }

  /* A label that reads like the internal RLIM_INFINITY stand-in stays a
   * string.  */
  {
    struct built l = build (
        REQUEST ("--ulimit", "core=-1", "-l", "x=1.25e-300", "-l", "y=\\\"1.25e-300", "img"),
        &test_image);
    assert_string_equal (json_string_value (jpath (l.json, "annotations.x")), "1.25e-300");
    assert_string_equal (json_string_value (jpath (l.json, "annotations.y")), "\\\"1.25e-300");
    assert_true (l.spec->process->rlimits[0].soft == RLIM_INFINITY);
    built_free (&l);
  }
}

static void
test_devices (void **state)
{
  struct built b = build (REQUEST ("--device", "/dev/null:/dev/mynull:r", "img"), &test_image);
  json_t *rules = jpath (b.json, "linux.resources.devices");
  json_t *last = json_array_get (rules, json_array_size (rules) - 1);

  assert_int_equal (b.spec->linux_.n_devices, 1);
  assert_string_equal (b.spec->linux_.devices[0].path, "/dev/mynull");
  assert_int_equal (b.spec->linux_.devices[0].type, 'c');
  assert_int_equal (b.spec->linux_.devices[0].major, 1);
  assert_int_equal (b.spec->linux_.devices[0].minor, 3);
  assert_true (json_is_true (json_object_get (last, "allow")));
  assert_string_equal (json_string_value (json_object_get (last, "access")), "r");
  assert_true (json_number_value (json_object_get (last, "major")) == 1);
  built_free (&b);

  {
    cleanup_error berth_error_t err = NULL;
    struct berth_run_request *req = REQUEST ("--device", "/etc/hostname", "img");
    struct berth_spec_params params
        = { .req = req, .image = &test_image, .id = ID, .rootfs = rootfs };

    assert_true (build_full (&params, &b, &err) < 0);
    assert_string_equal (err->msg, "--device `/etc/hostname`: not a device node");
    berth_run_request_free (req);
  }
}

static int
fake_volumes (const char *name, char **path, void *ctx, berth_error_t *err)
{
  if (name && strcmp (name, "broken") == 0)
    return berth_error (err, EIO, "volume store unavailable");
  return asprintf (path, "/var/lib/berth/volumes/%s/_data", name ? name : "anon") < 0 ? -1 : 0;
}

static void
test_mounts (void **state)
{
  cleanup_error berth_error_t err = NULL;
  struct berth_run_request *req
      = REQUEST ("-v", "/data1/sub:/data/sub:ro", "-v", "/data1:/data", "-v", "vol:/v", "-v",
                 "/anon", "--tmpfs", "/run:size=64m,exec", "--mount",
                 "type=tmpfs,dst=/dev/shm,tmpfs-size=1m", "--read-only", "--init", "img");
  struct berth_engine_mount *mounts = NULL;
  size_t n = 0;
  struct berth_spec_params params = { .req = req,
                                      .image = &test_image,
                                      .id = ID,
                                      .rootfs = rootfs,
                                      .init_path = "/usr/libexec/berth-init" };
  struct built b;
  json_t *m;
  size_t i, idx_data = 0, idx_sub = 0;

  assert_int_equal (berth_engine_resolve_mounts (req, fake_volumes, NULL, &mounts, &n, &err), 0);
  assert_int_equal (n, 6);
  assert_string_equal (mounts[2].source, "/var/lib/berth/volumes/vol/_data");
  assert_string_equal (mounts[3].source, "/var/lib/berth/volumes/anon/_data");
  params.mounts = mounts;
  params.n_mounts = n;
  assert_int_equal (build_full (&params, &b, &err), 0);

  assert_true (b.spec->root_readonly);
  assert_null (b.spec->linux_.rootfs_propagation);
  /* Parents before children, whatever the command-line order.  */
  json_array_foreach (json_object_get (b.json, "mounts"), i, m)
  {
    const char *d = json_string_value (json_object_get (m, "destination"));
    if (strcmp (d, "/data") == 0)
      idx_data = i;
    if (strcmp (d, "/data/sub") == 0)
      idx_sub = i;
  }
  assert_true (idx_data < idx_sub);
  m = find_mount (b.json, "/data/sub");
  assert_string_equal (json_string_value (json_object_get (m, "type")), "bind");
  assert_true (array_has (json_object_get (m, "options"), "rbind"));
  assert_true (array_has (json_object_get (m, "options"), "rprivate"));
  assert_true (array_has (json_object_get (m, "options"), "ro"));
  m = find_mount (b.json, "/run");
  assert_true (array_has (json_object_get (m, "options"), "size=64m"));
  assert_false (array_has (json_object_get (m, "options"), "noexec"));
  assert_true (array_has (json_object_get (m, "options"), "nosuid"));
  /* The user's /dev/shm replaces the default one.  */
  {
    size_t shm = 0;
    json_array_foreach (
        json_object_get (b.json, "mounts"), i,
        m) if (strcmp (json_string_value (json_object_get (m, "destination")), "/dev/shm") == 0)
    {
      shm++;
      assert_true (array_has (json_object_get (m, "options"), "size=1048576"));
    }
    assert_int_equal (shm, 1);
  }
  /* --init: the init is mounted and runs first.  */
  m = find_mount (b.json, BERTH_INIT_CONTAINER_PATH);
  assert_non_null (m);
  assert_string_equal (json_string_value (json_object_get (m, "source")),
                       "/usr/libexec/berth-init");
  assert_string_equal (b.spec->process->args[0], BERTH_INIT_CONTAINER_PATH);
  assert_string_equal (b.spec->process->args[1], "--");
  assert_string_equal (b.spec->process->args[2], "/entry.sh");
  built_free (&b);
  berth_engine_mounts_free (mounts, n);

  /* Shared and slave binds set the root's propagation, as Docker.  */
  berth_run_request_free (req);
  req = REQUEST ("-v", "/a:/a:rslave", "img");
  assert_int_equal (berth_engine_resolve_mounts (req, NULL, NULL, &mounts, &n, &err), 0);
  params = (struct berth_spec_params){
    .req = req, .image = &test_image, .id = ID, .rootfs = rootfs, .mounts = mounts, .n_mounts = n
  };
  assert_int_equal (build_full (&params, &b, &err), 0);
  assert_string_equal (b.spec->linux_.rootfs_propagation, "rslave");
  built_free (&b);
  berth_engine_mounts_free (mounts, n);
  berth_run_request_free (req);
  req = REQUEST ("-v", "/a:/a:rslave", "--mount",
                 "type=bind,src=/b,dst=/b,bind-propagation=rshared", "img");
  assert_int_equal (berth_engine_resolve_mounts (req, NULL, NULL, &mounts, &n, &err), 0);
  params.req = req;
  params.mounts = mounts;
  params.n_mounts = n;
  assert_int_equal (build_full (&params, &b, &err), 0);
  assert_string_equal (b.spec->linux_.rootfs_propagation, "shared");
  assert_true (array_has (json_object_get (find_mount (b.json, "/b"), "options"), "rshared"));
  built_free (&b);
  berth_engine_mounts_free (mounts, n);

  /* A volume the resolver cannot give fails with its name.  */
  berth_run_request_free (req);
  req = REQUEST ("-v", "broken:/b", "img");
  assert_true (berth_engine_resolve_mounts (req, fake_volumes, NULL, &mounts, &n, &err) < 0);
  assert_string_equal (err->msg, "volume `broken`: volume store unavailable: Input/output error");
  berth_error_release (&err);
  assert_true (berth_engine_resolve_mounts (req, NULL, NULL, &mounts, &n, &err) < 0);
  berth_error_release (&err);
  /* --init without an init binary.  */
  berth_run_request_free (req);
  req = REQUEST ("--init", "img");
  params
      = (struct berth_spec_params){ .req = req, .image = &test_image, .id = ID, .rootfs = rootfs };
  assert_true (build_full (&params, &b, &err) < 0);
  assert_non_null (strstr (err->msg, "--init"));
  berth_run_request_free (req);
}

static void
test_network_and_hostname (void **state)
{
  char host[65] = "";
  struct built b = build (REQUEST ("--network", "host", "img"), &test_image);

  assert_false (berth_spec_has_namespace (b.spec, CLONE_NEWNET, NULL));
  assert_int_equal (gethostname (host, sizeof (host) - 1), 0);
  assert_string_equal (b.spec->hostname, host);
  built_free (&b);

  b = build (
      REQUEST ("--network", "none", "--hostname", "box", "-w", "/tmp", "-l", "shared=flag", "img"),
      &test_image);
  assert_true (berth_spec_has_namespace (b.spec, CLONE_NEWNET, NULL));
  assert_string_equal (b.spec->hostname, "box");
  assert_string_equal (berth_strv_getenv (b.spec->process->env, "HOSTNAME"), "box");
  assert_string_equal (b.spec->process->cwd, "/tmp");
  assert_string_equal (json_string_value (jpath (b.json, "annotations.shared")), "flag");
  built_free (&b);

  {
    cleanup_error berth_error_t err = NULL;
    struct berth_run_request *req = REQUEST ("img");
    struct berth_spec_params params = { .req = req,
                                        .image = &test_image,
                                        .id = ID,
                                        .rootfs = rootfs,
                                        .netns_path = "/run/berth/netns/x",
                                        .cgroups_path = "/custom/x" };
    const char *path = NULL;

    assert_int_equal (build_full (&params, &b, &err), 0);
    assert_true (berth_spec_has_namespace (b.spec, CLONE_NEWNET, &path));
    assert_string_equal (path, "/run/berth/netns/x");
    assert_string_equal (b.spec->linux_.cgroups_path, "/custom/x");
    built_free (&b);
    berth_run_request_free (req);
  }
}

static void
test_image_config_parse (void **state)
{
  cleanup_error berth_error_t err = NULL;
  struct berth_image_config *ic = NULL;
  const char *doc = "{\"architecture\": \"amd64\", \"os\": \"linux\", \"config\": {"
                    "\"Env\": [\"PATH=/usr/bin\", \"A=1\"], \"Cmd\": [\"nginx\", \"-g\"],"
                    " \"Entrypoint\": null, \"WorkingDir\": \"/srv\", \"User\": \"app\","
                    " \"StopSignal\": \"SIGQUIT\", \"Labels\": {\"k\": \"v\"},"
                    " \"ExposedPorts\": {\"80/tcp\": {}}},"
                    " \"rootfs\": {\"type\": \"layers\", \"diff_ids\": []}}";

  assert_int_equal (berth_image_config_parse (doc, strlen (doc), &ic, &err), 0);
  assert_string_equal (ic->env[1], "A=1");
  assert_string_equal (ic->cmd[0], "nginx");
  assert_null (ic->entrypoint);
  assert_string_equal (ic->working_dir, "/srv");
  assert_string_equal (ic->user, "app");
  assert_string_equal (ic->stop_signal, "SIGQUIT");
  assert_int_equal (ic->labels.n, 1);
  assert_string_equal (ic->labels.values[0], "v");
  assert_string_equal (ic->exposed_ports[0], "80/tcp");
  assert_null (ic->exposed_ports[1]);
  berth_image_config_free (ic);

  /* The inner object alone, and an empty config.  */
  assert_int_equal (
      berth_image_config_parse ("{\"Cmd\": [\"sh\"]}", strlen ("{\"Cmd\": [\"sh\"]}"), &ic, &err),
      0);
  assert_string_equal (ic->cmd[0], "sh");
  berth_image_config_free (ic);
  assert_int_equal (
      berth_image_config_parse ("{\"config\": null}", strlen ("{\"config\": null}"), &ic, &err), 0);
  assert_null (ic->cmd);
  berth_image_config_free (ic);

  assert_true (
      berth_image_config_parse ("{\"Cmd\": \"sh\"}", strlen ("{\"Cmd\": \"sh\"}"), &ic, &err) < 0);
  assert_string_equal (err->msg, "image config: Cmd: expected an array of strings");
  berth_error_release (&err);
  assert_true (berth_image_config_parse ("{\"Env\": [1]}", strlen ("{\"Env\": [1]}"), &ic, &err)
               < 0);
  assert_string_equal (err->msg, "image config: Env[0]: expected a string");
  berth_error_release (&err);
  assert_true (berth_image_config_parse ("{\"Labels\": {\"a\": 1}}",
                                         strlen ("{\"Labels\": {\"a\": 1}}"), &ic, &err)
               < 0);
  assert_string_equal (err->msg, "image config: Labels.a: expected a string");
  berth_error_release (&err);
  assert_true (berth_image_config_parse ("{", strlen ("{"), &ic, &err) < 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_defaults),
    cmocka_unit_test (test_default_seccomp),
    cmocka_unit_test (test_capability_flags),
    cmocka_unit_test (test_privileged),
    cmocka_unit_test (test_security_opts),
    cmocka_unit_test (test_args_resolution),
    cmocka_unit_test (test_env_and_user),
    cmocka_unit_test (test_user_resolution),
    cmocka_unit_test (test_user_files_stay_in_rootfs),
    cmocka_unit_test (test_resources_and_limits),
    cmocka_unit_test (test_devices),
    cmocka_unit_test (test_mounts),
    cmocka_unit_test (test_network_and_hostname),
    cmocka_unit_test (test_image_config_parse),
  };

  return cmocka_run_group_tests (tests, setup_rootfs, teardown_rootfs);
}
