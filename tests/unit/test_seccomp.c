/* Tests for linux.seccomp: the parser (oci/seccomp.c) with its field
 * errors, and the filter (linux/seccomp_filter.c) loaded in forked children
 * as root: errno, kill, trap, log and notify actions, argument conditions,
 * skipped names, the no_new_privs rule, and the listener hand-over.
 * Children report through their exit status; failed checks are explained
 * on stderr.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <seccomp.h>

#include "cleanup.h"
#include "linux/process.h"
#include "linux/seccomp_cache.h"
#include "linux/seccomp_filter.h"
#include "oci/seccomp.h"
#include "oci/spec.h"
#include "util.h"

#include "testutil.h"

/* A config.json around PROFILE (JSON with single quotes for readability).  */
static char *
config_with (const char *profile)
{
  char *text = NULL;

  assert_true (asprintf (&text,
                         "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\"},"
                         " \"process\": {\"cwd\": \"/\", \"args\": [\"sh\"],"
                         "   \"user\": {\"uid\": 0, \"gid\": 0}},"
                         " \"linux\": {\"seccomp\": %s}}",
                         profile)
               > 0);
  for (char *c = text; *c; c++)
    if (*c == '\'')
      *c = '"';
  return text;
}

static struct berth_spec *
parse_ok (const char *profile)
{
  cleanup_free char *text = config_with (profile);
  cleanup_error berth_error_t err = NULL;
  struct berth_spec *spec = NULL;

  if (berth_spec_parse (text, strlen (text), &spec, &err) < 0)
    fail_msg ("unexpected error: %s", err->msg);
  assert_non_null (spec->linux_.seccomp);
  return spec;
}

static void
assert_parse_error (const char *profile, const char *expected)
{
  cleanup_free char *text = config_with (profile);
  cleanup_error berth_error_t err = NULL;
  struct berth_spec *spec = NULL;

  print_message ("# case %s\n", profile);
  assert_int_equal (berth_spec_parse (text, strlen (text), &spec, &err), -1);
  assert_null (spec);
  assert_non_null (err);
  assert_string_equal (err->msg, expected);
}

/* Parser.  */

static void
test_parse_full (void **state)
{
  struct berth_spec *spec = parse_ok (
      "{'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 38,"
      " 'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],"
      " 'flags': ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG',"
      "           'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],"
      " 'listenerPath': '/run/agent.sock', 'listenerMetadata': 'KEY=value',"
      " 'syscalls': ["
      "   {'names': ['read', 'write'], 'action': 'SCMP_ACT_ALLOW'},"
      "   {'names': ['mkdir'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 1},"
      "   {'names': ['personality'], 'action': 'SCMP_ACT_TRACE',"
      "    'args': [{'index': 0, 'value': 4294967295, 'op': 'SCMP_CMP_EQ'},"
      "             {'index': 5, 'value': 18446744073709551615, 'valueTwo': 7,"
      "              'op': 'SCMP_CMP_MASKED_EQ'}]},"
      "   {'names': ['getppid'], 'action': 'SCMP_ACT_NOTIFY'}]}");
  const struct berth_seccomp *s = spec->linux_.seccomp;

  (void)state;
  assert_int_equal (s->default_action, BERTH_SECCOMP_ACT_ERRNO);
  assert_int_equal (s->default_errno_ret, 38);
  assert_int_equal (s->n_architectures, 3);
  assert_int_equal (s->architectures[0], BERTH_SECCOMP_ARCH_X86_64);
  assert_int_equal (s->architectures[1], BERTH_SECCOMP_ARCH_X86);
  assert_int_equal (s->architectures[2], BERTH_SECCOMP_ARCH_X32);
  assert_int_equal (s->flags, BERTH_SECCOMP_FLAG_TSYNC | BERTH_SECCOMP_FLAG_LOG
                                  | BERTH_SECCOMP_FLAG_SPEC_ALLOW
                                  | BERTH_SECCOMP_FLAG_WAIT_KILLABLE_RECV);
  assert_string_equal (s->listener_path, "/run/agent.sock");
  assert_string_equal (s->listener_metadata, "KEY=value");
  assert_int_equal (s->n_syscalls, 4);
  assert_string_equal (s->syscalls[0].names[0], "read");
  assert_string_equal (s->syscalls[0].names[1], "write");
  assert_null (s->syscalls[0].names[2]);
  assert_int_equal (s->syscalls[0].action, BERTH_SECCOMP_ACT_ALLOW);
  assert_int_equal (s->syscalls[0].n_args, 0);
  assert_int_equal (s->syscalls[1].action, BERTH_SECCOMP_ACT_ERRNO);
  assert_int_equal (s->syscalls[1].errno_ret, 1);
  assert_int_equal (s->syscalls[2].action, BERTH_SECCOMP_ACT_TRACE);
  assert_int_equal (s->syscalls[2].errno_ret, EPERM);
  assert_int_equal (s->syscalls[2].n_args, 2);
  assert_int_equal (s->syscalls[2].args[0].index, 0);
  assert_true (s->syscalls[2].args[0].value == 4294967295u);
  assert_true (s->syscalls[2].args[0].value_two == 0);
  assert_int_equal (s->syscalls[2].args[0].op, BERTH_SECCOMP_CMP_EQ);
  assert_int_equal (s->syscalls[2].args[1].index, 5);
  assert_true (s->syscalls[2].args[1].value == UINT64_MAX);
  assert_true (s->syscalls[2].args[1].value_two == 7);
  assert_int_equal (s->syscalls[2].args[1].op, BERTH_SECCOMP_CMP_MASKED_EQ);
  assert_int_equal (s->syscalls[3].action, BERTH_SECCOMP_ACT_NOTIFY);
  assert_true (berth_seccomp_uses_notify (s));
  berth_spec_free (spec);
}

static void
test_parse_defaults (void **state)
{
  struct berth_spec *spec = parse_ok ("{'defaultAction': 'SCMP_ACT_ERRNO'}");
  const struct berth_seccomp *s = spec->linux_.seccomp;

  (void)state;
  assert_int_equal (s->default_errno_ret, EPERM);
  assert_int_equal (s->n_architectures, 0);
  assert_null (s->architectures);
  assert_int_equal (s->flags, 0);
  assert_null (s->listener_path);
  assert_null (s->listener_metadata);
  assert_int_equal (s->n_syscalls, 0);
  assert_false (berth_seccomp_uses_notify (s));
  assert_false (berth_seccomp_uses_notify (NULL));
  berth_spec_free (spec);

  /* listenerPath alone is ignored by the spec's rules, not refused.  */
  spec = parse_ok ("{'defaultAction': 'SCMP_ACT_ALLOW', 'listenerPath': '/x'}");
  assert_string_equal (spec->linux_.seccomp->listener_path, "/x");
  berth_spec_free (spec);
}

static void
test_parse_all_names (void **state)
{
  const char *name;
  unsigned i;

  (void)state;
  for (i = 0; (name = berth_seccomp_action_name (i)); i++)
    {
      char profile[256];
      struct berth_spec *spec;
      if (i == BERTH_SECCOMP_ACT_NOTIFY)
        continue;
      snprintf (profile, sizeof (profile), "{'defaultAction': '%s'}", name);
      spec = parse_ok (profile);
      assert_int_equal (spec->linux_.seccomp->default_action, i);
      berth_spec_free (spec);
    }
  assert_int_equal (i, 9);
  for (i = 0; (name = berth_seccomp_op_name (i)); i++)
    {
      char profile[256];
      struct berth_spec *spec;
      snprintf (profile, sizeof (profile),
                "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['read'],"
                " 'action': 'SCMP_ACT_LOG', 'args': [{'index': 0, 'value': 1, 'op': '%s'}]}]}",
                name);
      spec = parse_ok (profile);
      assert_int_equal (spec->linux_.seccomp->syscalls[0].args[0].op, i);
      berth_spec_free (spec);
    }
  assert_int_equal (i, 7);
  for (i = 0; (name = berth_seccomp_arch_name (i)); i++)
    {
      char profile[256];
      struct berth_spec *spec;
      snprintf (profile, sizeof (profile),
                "{'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['%s']}", name);
      spec = parse_ok (profile);
      assert_int_equal (spec->linux_.seccomp->architectures[0], i);
      berth_spec_free (spec);
    }
  assert_int_equal (i, 20);
  for (i = 0; berth_seccomp_flag_name (i); i++)
    ;
  assert_int_equal (i, 4);
  assert_string_equal (berth_seccomp_action_name (BERTH_SECCOMP_ACT_KILL_PROCESS),
                       "SCMP_ACT_KILL_PROCESS");
  assert_string_equal (berth_seccomp_arch_name (BERTH_SECCOMP_ARCH_AARCH64), "SCMP_ARCH_AARCH64");
}

static void
test_parse_errors (void **state)
{
  static const struct
  {
    const char *profile;
    const char *message;
  } cases[] = {
    { "[]", "linux.seccomp: expected object" },
    { "{}", "linux.seccomp.defaultAction: required" },
    { "{'defaultAction': 3}", "linux.seccomp.defaultAction: expected string" },
    { "{'defaultAction': 'SCMP_ACT_FOO'}",
      "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\"" },
    { "{'defaultAction': 'SCMP_ACT_NOTIFY', 'listenerPath': '/x'}",
      "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'defaultErrnoRet': 1}",
      "linux.seccomp.defaultErrnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not "
      "SCMP_ACT_ALLOW" },
    { "{'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 65536}",
      "linux.seccomp.defaultErrnoRet: must be at most 65535" },
    { "{'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': -1}",
      "linux.seccomp.defaultErrnoRet: expected unsigned 32-bit integer" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': 'SCMP_ARCH_X86'}",
      "linux.seccomp.architectures: expected array" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['SCMP_ARCH_X86_64', 'x86']}",
      "linux.seccomp.architectures[1]: unknown architecture \"x86\"" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'flags': ['SECCOMP_FILTER_FLAG_NEW_LISTENER']}",
      "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_NEW_LISTENER\"" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'flags': {}}", "linux.seccomp.flags: expected array" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'listenerPath': 1}",
      "linux.seccomp.listenerPath: expected string" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'listenerMetadata': 'm'}",
      "linux.seccomp.listenerMetadata: only valid with listenerPath" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['getppid'],"
      " 'action': 'SCMP_ACT_NOTIFY'}]}",
      "linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': {}}",
      "linux.seccomp.syscalls: expected array" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'action': 'SCMP_ACT_LOG'}]}",
      "linux.seccomp.syscalls[0].names: required" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': [], 'action': 'SCMP_ACT_LOG'}]}",
      "linux.seccomp.syscalls[0].names: must contain at least one entry" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['read', ''],"
      " 'action': 'SCMP_ACT_LOG'}]}",
      "linux.seccomp.syscalls[0].names[1]: empty syscall name" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': [7], 'action': 'SCMP_ACT_LOG'}]}",
      "linux.seccomp.syscalls[0].names[0]: expected string" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['read']}]}",
      "linux.seccomp.syscalls[0].action: required" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
      " {'names': ['a'], 'action': 'SCMP_ACT_LOG'}, {'names': ['b'], 'action': 'SCMP_ACT_LOG'},"
      " {'names': ['c'], 'action': 'SCMP_ACT_LOG'}, {'names': ['d'], 'action': 'SCMP_ACT_FOO'}]}",
      "linux.seccomp.syscalls[3].action: unknown action \"SCMP_ACT_FOO\"" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['read'],"
      " 'action': 'SCMP_ACT_KILL', 'errnoRet': 1}]}",
      "linux.seccomp.syscalls[0].errnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not "
      "SCMP_ACT_KILL" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['read'],"
      " 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 'EPERM'}]}",
      "linux.seccomp.syscalls[0].errnoRet: expected unsigned 32-bit integer" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['read'],"
      " 'action': 'SCMP_ACT_LOG', 'args': {}}]}",
      "linux.seccomp.syscalls[0].args: expected array" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['read'],"
      " 'action': 'SCMP_ACT_LOG', 'args': [{'value': 1, 'op': 'SCMP_CMP_EQ'}]}]}",
      "linux.seccomp.syscalls[0].args[0].index: required" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['read'],"
      " 'action': 'SCMP_ACT_LOG', 'args': [{'index': 6, 'value': 1, 'op': 'SCMP_CMP_EQ'}]}]}",
      "linux.seccomp.syscalls[0].args[0].index: must be at most 5" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['read'],"
      " 'action': 'SCMP_ACT_LOG', 'args': [{'index': 0, 'op': 'SCMP_CMP_EQ'}]}]}",
      "linux.seccomp.syscalls[0].args[0].value: required" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['read'],"
      " 'action': 'SCMP_ACT_LOG', 'args': [{'index': 0, 'value': -1, 'op': 'SCMP_CMP_EQ'}]}]}",
      "linux.seccomp.syscalls[0].args[0].value: expected unsigned 64-bit integer" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['read'],"
      " 'action': 'SCMP_ACT_LOG', 'args': [{'index': 0, 'value': 1, 'valueTwo': 'x',"
      " 'op': 'SCMP_CMP_EQ'}]}]}",
      "linux.seccomp.syscalls[0].args[0].valueTwo: expected unsigned 64-bit integer" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['read'],"
      " 'action': 'SCMP_ACT_LOG', 'args': [{'index': 0, 'value': 1}]}]}",
      "linux.seccomp.syscalls[0].args[0].op: required" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['read'],"
      " 'action': 'SCMP_ACT_LOG', 'args': [{'index': 0, 'value': 1}, {'index': 1, 'value': 1,"
      " 'op': 'SCMP_CMP_BETWEEN'}]}]}",
      "linux.seccomp.syscalls[0].args[0].op: required" },
    { "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['read'],"
      " 'action': 'SCMP_ACT_LOG', 'args': [{'index': 1, 'value': 1,"
      " 'op': 'SCMP_CMP_BETWEEN'}]}]}",
      "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_BETWEEN\"" },
  };

  (void)state;
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    assert_parse_error (cases[i].profile, cases[i].message);
}

/* Filters.  */

static struct berth_seccomp_filter *
prepare_ok (const char *profile)
{
  struct berth_spec *spec = parse_ok (profile);
  cleanup_error berth_error_t err = NULL;
  struct berth_seccomp_filter *f = NULL;

  if (berth_seccomp_prepare (spec->linux_.seccomp, &f, &err) < 0)
    fail_msg ("prepare: %s", err->msg);
  berth_spec_free (spec);
  assert_non_null (f);
  return f;
}

/* Fork; the child installs F and returns fn's result as its exit status
 * (128 + signal when killed).  */
static int
run_filtered (const struct berth_seccomp_filter *f, int (*fn) (void *), void *arg)
{
  int status;
  pid_t pid = fork ();

  if (pid < 0)
    return -1;
  if (pid == 0)
    {
      berth_error_t err = NULL;
      int notify_fd;
      struct rlimit no_core = { 0, 0 };

      /* KILL actions would leave core files behind.  */
      setrlimit (RLIMIT_CORE, &no_core);
      if (berth_seccomp_install (f, &notify_fd, &err) < 0)
        {
          fprintf (stderr, "install: %s\n", err->msg);
          _exit (100);
        }
      /* Straight to the kernel: the sanitizers' _exit makes syscalls a
       * strict profile denies.  */
      syscall (SYS_exit_group, fn (arg));
    }
  if (waitpid (pid, &status, 0) != pid)
    return -1;
  return WIFSIGNALED (status) ? 128 + WTERMSIG (status) : WEXITSTATUS (status);
}

static int
child_mkdir_enosys (void *arg)
{
  (void)arg;
  errno = 0;
  CHECK (syscall (SYS_mkdir, "/nonexistent-berth/x", 0700) == -1);
  CHECK (errno == ENOSYS);
  CHECK (syscall (SYS_getppid) > 0);
  CHECK (access ("/", F_OK) == 0);
  return 0;
}

static void
test_errno_rule (void **state)
{
  cleanup_seccomp_filter struct berth_seccomp_filter *f
      = prepare_ok ("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'],"
                    " 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38}]}");

  (void)state;
  REQUIRE_ROOT ();
  assert_false (berth_seccomp_filter_uses_notify (f));
  assert_true (berth_seccomp_filter_length (f) > 0);
  assert_int_equal (run_filtered (f, child_mkdir_enosys, NULL), 0);
}

/* The cache (seccomp_cache.c): a second prepare of the same profile gives
 * the same program from the entry; another profile gets its own entry; an
 * entry that others may write, or that does not match, is compiled again.  */
static char *
only_entry (const char *dir)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;
  char *path = NULL;
  int n = 0;

  assert_non_null (d);
  while ((de = readdir (d)))
    if (de->d_name[0] != '.')
      {
        n++;
        free (path);
        assert_true (asprintf (&path, "%s/%s", dir, de->d_name) > 0);
      }
  assert_int_equal (n, 1);
  return path;
}

static struct berth_seccomp_filter *
prepare_cached_ok (struct berth_spec *spec, const char *dir)
{
  cleanup_error berth_error_t err = NULL;
  struct berth_seccomp_filter *f = NULL;

  if (berth_seccomp_prepare_cached (spec->linux_.seccomp, dir, &f, &err) < 0)
    fail_msg ("prepare cached: %s", err->msg);
  return f;
}

static void
test_cache (void **state)
{
  static const char profile[] = "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': "
                                "['mkdir'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38}]}";
  char base[] = "/tmp/berth-test-seccomp-cache-XXXXXX";
  cleanup_free char *dir = NULL, *entry = NULL;
  cleanup_error berth_error_t err = NULL;
  struct berth_spec *spec = parse_ok (profile), *other;
  struct berth_seccomp_filter *fresh, *cached;
  unsigned len;
  struct stat st;

  (void)state;
  assert_non_null (mkdtemp (base));
  assert_true (asprintf (&dir, "%s/seccomp", base) > 0);
  fresh = prepare_cached_ok (spec, dir);
  entry = only_entry (dir);
  assert_int_equal (stat (entry, &st), 0);
  assert_int_equal (st.st_mode & 0777, 0600);
  len = berth_seccomp_filter_length (fresh);
  cached = prepare_cached_ok (spec, dir);
  assert_int_equal (berth_seccomp_filter_length (cached), len);
  assert_memory_equal (berth_seccomp_filter_program (cached), berth_seccomp_filter_program (fresh),
                       len * 8);
  assert_int_equal (berth_seccomp_filter_uses_notify (cached), false);
  if (geteuid () == 0)
    assert_int_equal (run_filtered (cached, child_mkdir_enosys, NULL), 0);
  berth_seccomp_filter_free (cached);
  /* a torn entry (a crash mid-write, or a power loss) is a miss */
  assert_int_equal (truncate (entry, st.st_size - 3), 0);
  cached = prepare_cached_ok (spec, dir);
  assert_int_equal (berth_seccomp_filter_length (cached), len);
  assert_int_equal (stat (entry, &st), 0);
  berth_seccomp_filter_free (cached);
  /* writable by others: not trusted, written anew */
  assert_int_equal (chmod (entry, 0666), 0);
  berth_seccomp_filter_free (prepare_cached_ok (spec, dir));
  assert_int_equal (stat (entry, &st), 0);
  assert_int_equal (st.st_mode & 0777, 0600);
  /* another profile: another entry */
  other = parse_ok ("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'],"
                    " 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 1}]}");
  berth_seccomp_filter_free (prepare_cached_ok (other, dir));
  {
    cleanup_dir DIR *d = opendir (dir);
    struct dirent *de;
    int n = 0;
    while (d && (de = readdir (d)))
      n += de->d_name[0] != '.';
    assert_int_equal (n, 2);
  }
  /* no directory: no cache, still a filter */
  berth_seccomp_filter_free (prepare_cached_ok (spec, NULL));
  berth_seccomp_filter_free (fresh);
  berth_spec_free (other);
  berth_spec_free (spec);
  assert_int_equal (berth_remove_tree (base, &err), 0);
}

/* Everything fails with the default errno but exiting.  */
static int
child_default_errno (void *arg)
{
  (void)arg;
  errno = 0;
  if (syscall (SYS_getppid) != -1 || errno != ENOSYS)
    return 1;
  if (syscall (SYS_mkdir, "/nonexistent-berth/x", 0700) != -1 || errno != ENOSYS)
    return 2;
  return 0;
}

static void
test_default_errno (void **state)
{
  cleanup_seccomp_filter struct berth_seccomp_filter *f = prepare_ok (
      "{'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 38,"
      " 'syscalls': [{'names': ['exit_group', 'exit'], 'action': 'SCMP_ACT_ALLOW'}]}");

  (void)state;
  REQUIRE_ROOT ();
  assert_int_equal (run_filtered (f, child_default_errno, NULL), 0);
}

static int
child_socket_rules (void *arg)
{
  const char *mode = arg;
  int fd;

  errno = 0;
  if (strcmp (mode, "and") == 0)
    {
      /* AF_INET and SOCK_DGRAM together are denied, each alone is not.  */
      CHECK (socket (AF_INET, SOCK_DGRAM, 0) == -1 && errno == EACCES);
      CHECK ((fd = socket (AF_INET, SOCK_STREAM, 0)) >= 0 && close (fd) == 0);
      CHECK ((fd = socket (AF_UNIX, SOCK_DGRAM, 0)) >= 0 && close (fd) == 0);
    }
  else if (strcmp (mode, "or") == 0)
    {
      /* Two conditions on argument 0: either denies.  */
      CHECK (socket (AF_INET, SOCK_STREAM, 0) == -1 && errno == EACCES);
      errno = 0;
      CHECK (socket (AF_INET6, SOCK_STREAM, 0) == -1 && errno == EACCES);
      CHECK ((fd = socket (AF_UNIX, SOCK_STREAM, 0)) >= 0 && close (fd) == 0);
    }
  else
    {
      /* MASKED_EQ: (type & SOCK_CLOEXEC) == SOCK_CLOEXEC is denied.  */
      CHECK (socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0) == -1 && errno == EACCES);
      CHECK ((fd = socket (AF_UNIX, SOCK_STREAM, 0)) >= 0 && close (fd) == 0);
    }
  return 0;
}

static void
test_arg_conditions (void **state)
{
  char masked[512];
  cleanup_seccomp_filter struct berth_seccomp_filter *and_filter
      = prepare_ok ("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['socket'],"
                    " 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 13, 'args': ["
                    "   {'index': 0, 'value': 2, 'op': 'SCMP_CMP_EQ'},"
                    "   {'index': 1, 'value': 2, 'op': 'SCMP_CMP_EQ'}]}]}");
  cleanup_seccomp_filter struct berth_seccomp_filter *or_filter
      = prepare_ok ("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['socket'],"
                    " 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 13, 'args': ["
                    "   {'index': 0, 'value': 2, 'op': 'SCMP_CMP_EQ'},"
                    "   {'index': 0, 'value': 10, 'op': 'SCMP_CMP_EQ'}]}]}");
  cleanup_seccomp_filter struct berth_seccomp_filter *masked_filter = NULL;

  (void)state;
  assert_int_equal (AF_INET, 2);
  assert_int_equal (AF_INET6, 10);
  assert_int_equal (SOCK_DGRAM, 2);
  snprintf (masked, sizeof (masked),
            "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['socket'],"
            " 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 13, 'args': ["
            "   {'index': 1, 'value': %d, 'valueTwo': %d, 'op': 'SCMP_CMP_MASKED_EQ'}]}]}",
            SOCK_CLOEXEC, SOCK_CLOEXEC);
  masked_filter = prepare_ok (masked);
  REQUIRE_ROOT ();
  assert_int_equal (run_filtered (and_filter, child_socket_rules, "and"), 0);
  assert_int_equal (run_filtered (or_filter, child_socket_rules, "or"), 0);
  assert_int_equal (run_filtered (masked_filter, child_socket_rules, "masked"), 0);
}

static int
child_personality (void *arg)
{
  (void)arg;
  errno = 0;
  /* Querying (0xffffffff) is denied; setting PER_LINUX is not.  */
  CHECK (personality (0xffffffff) == -1 && errno == EOPNOTSUPP);
  CHECK (personality (PER_LINUX) >= 0);
  return 0;
}

static void
test_arg_personality (void **state)
{
  cleanup_seccomp_filter struct berth_seccomp_filter *f
      = prepare_ok ("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['personality'],"
                    " 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 95,"
                    " 'args': [{'index': 0, 'value': 4294967295, 'op': 'SCMP_CMP_EQ'}]}]}");

  (void)state;
  REQUIRE_ROOT ();
  assert_int_equal (run_filtered (f, child_personality, NULL), 0);
}

static int
child_mkdir (void *arg)
{
  (void)arg;
  syscall (SYS_mkdir, "/nonexistent-berth/x", 0700);
  return 0;
}

static void
test_kill_actions (void **state)
{
  static const char *const actions[]
      = { "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL" };

  (void)state;
  REQUIRE_ROOT ();
  for (size_t i = 0; i < 3; i++)
    {
      char profile[256];
      cleanup_seccomp_filter struct berth_seccomp_filter *f = NULL;

      snprintf (profile, sizeof (profile),
                "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'],"
                " 'action': '%s'}]}",
                actions[i]);
      f = prepare_ok (profile);
      assert_int_equal (run_filtered (f, child_mkdir, NULL), 128 + SIGSYS);
    }
}

static volatile sig_atomic_t trapped_syscall = -1;

static void
on_sigsys (int sig, siginfo_t *si, void *ctx)
{
  (void)sig;
  (void)ctx;
  trapped_syscall = si->si_syscall;
}

static int
child_trap (void *arg)
{
  (void)arg;
  syscall (SYS_mkdir, "/nonexistent-berth/x", 0700);
  CHECK (trapped_syscall == SYS_mkdir);
  return 0;
}

static void
test_trap (void **state)
{
  cleanup_seccomp_filter struct berth_seccomp_filter *f
      = prepare_ok ("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'],"
                    " 'action': 'SCMP_ACT_TRAP'}]}");
  struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO }, old;

  (void)state;
  REQUIRE_ROOT ();
  /* Installed before fork so the child has it before the filter.  */
  assert_int_equal (sigaction (SIGSYS, &sa, &old), 0);
  assert_int_equal (run_filtered (f, child_trap, NULL), 0);
  sigaction (SIGSYS, &old, NULL);
}

static int
child_log (void *arg)
{
  char cwd[256];

  (void)arg;
  CHECK (getcwd (cwd, sizeof (cwd)) != NULL);
  return 0;
}

static void
test_log_and_flags (void **state)
{
  cleanup_seccomp_filter struct berth_seccomp_filter *f = prepare_ok (
      "{'defaultAction': 'SCMP_ACT_ALLOW',"
      " 'flags': ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG',"
      "           'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],"
      " 'syscalls': [{'names': ['getcwd'], 'action': 'SCMP_ACT_LOG'}]}");

  (void)state;
  REQUIRE_ROOT ();
  assert_int_equal (run_filtered (f, child_log, NULL), 0);
}

/* Names this kernel or libseccomp does not know are skipped; a socketcall
 * (a pseudo-syscall on x86_64) too; a rule equal to the default is dropped
 * (libseccomp would refuse it).  */
static void
test_unknown_names_skipped (void **state)
{
  cleanup_seccomp_filter struct berth_seccomp_filter *f = prepare_ok (
      "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
      " {'names': ['no_such_syscall_berth', 'mkdir', 'socketcall'], 'action': 'SCMP_ACT_ERRNO',"
      "  'errnoRet': 38},"
      " {'names': ['getppid'], 'action': 'SCMP_ACT_ALLOW'}]}");

  (void)state;
  REQUIRE_ROOT ();
  assert_int_equal (run_filtered (f, child_mkdir_enosys, NULL), 0);
}

/* Past 32 rules libseccomp is asked for its binary-tree layout.  */
static void
test_long_profile (void **state)
{
  static const char *const names[] = {
    "rmdir",         "chmod",      "fchmod",      "chown",       "fchown",        "lchown",
    "link",          "symlink",    "unlink",      "rename",      "mknod",         "utime",
    "utimes",        "acct",       "swapon",      "swapoff",     "reboot",        "sethostname",
    "setdomainname", "iopl",       "ioperm",      "init_module", "delete_module", "quotactl",
    "kexec_load",    "add_key",    "request_key", "keyctl",      "ioprio_set",    "migrate_pages",
    "mbind",         "move_pages", "pivot_root",  "umount2",     "mkdir",
  };
  size_t n = sizeof (names) / sizeof (names[0]);
  cleanup_free char *profile = malloc (128 * n + 128);
  cleanup_seccomp_filter struct berth_seccomp_filter *f = NULL;
  char *end;

  (void)state;
  assert_non_null (profile);
  end = profile + sprintf (profile, "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [");
  for (size_t i = 0; i < n; i++)
    end += sprintf (end, "%s{'names': ['%s'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38}",
                    i ? ", " : "", names[i]);
  strcpy (end, "]}");
  assert_true (n > 32);
  f = prepare_ok (profile);
  REQUIRE_ROOT ();
  assert_int_equal (run_filtered (f, child_mkdir_enosys, NULL), 0);
}

static void
test_architectures (void **state)
{
  cleanup_seccomp_filter struct berth_seccomp_filter *native = prepare_ok (
      "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir', 'socketcall'],"
      " 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38}]}");
  cleanup_seccomp_filter struct berth_seccomp_filter *multi
      = prepare_ok ("{'defaultAction': 'SCMP_ACT_ALLOW',"
                    " 'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],"
                    " 'syscalls': [{'names': ['mkdir', 'socketcall'], 'action': 'SCMP_ACT_ERRNO',"
                    " 'errnoRet': 38}]}");
  struct berth_spec *spec = parse_ok ("{'defaultAction': 'SCMP_ACT_ALLOW',"
                                      " 'architectures': ['SCMP_ARCH_LOONGARCH64']}");
  cleanup_error berth_error_t err = NULL;
  struct berth_seccomp_filter *none = NULL;

  (void)state;
  /* Each extra architecture adds its own checks.  */
  assert_true (berth_seccomp_filter_length (multi) > berth_seccomp_filter_length (native));
#ifndef SCMP_ARCH_LOONGARCH64
  assert_int_equal (berth_seccomp_prepare (spec->linux_.seccomp, &none, &err), -ENOTSUP);
  assert_string_equal (err->msg, "seccomp: architecture SCMP_ARCH_LOONGARCH64 not supported by "
                                 "libseccomp: Operation not supported");
  assert_null (none);
#endif
  berth_spec_free (spec);
  REQUIRE_ROOT ();
  assert_int_equal (run_filtered (multi, child_mkdir_enosys, NULL), 0);
}

static void
test_notify_on_sendmsg_refused (void **state)
{
  struct berth_spec *spec
      = parse_ok ("{'defaultAction': 'SCMP_ACT_ALLOW', 'listenerPath': '/x', 'syscalls': ["
                  " {'names': ['getppid', 'sendmsg'], 'action': 'SCMP_ACT_NOTIFY'}]}");
  cleanup_error berth_error_t err = NULL;
  struct berth_seccomp_filter *f = NULL;

  (void)state;
  assert_int_equal (berth_seccomp_prepare (spec->linux_.seccomp, &f, &err), -EINVAL);
  assert_null (f);
  assert_string_equal (err->msg, "seccomp: SCMP_ACT_NOTIFY cannot be used for sendmsg: the "
                                 "container init hands the listener over with it: Invalid "
                                 "argument");
  berth_spec_free (spec);
}

/* no_new_privs: without it an unprivileged process cannot install a filter
 * (which is why the init installs before dropping capabilities then).  */
static int
child_nnp (void *arg)
{
  const struct berth_seccomp_filter *f = arg;
  berth_error_t err = NULL;
  int notify_fd;

  CHECK (setresuid (65534, 65534, 65534) == 0);
  CHECK (berth_seccomp_install (f, &notify_fd, &err) == -EACCES);
  CHECK (strcmp (err->msg, "install seccomp filter (without no_new_privs it needs "
                           "CAP_SYS_ADMIN): Permission denied")
         == 0);
  berth_error_release (&err);
  CHECK (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
  CHECK (berth_seccomp_install (f, &notify_fd, &err) == 0);
  CHECK (notify_fd == -1);
  return child_mkdir_enosys (NULL);
}

static void
test_no_new_privs (void **state)
{
  cleanup_seccomp_filter struct berth_seccomp_filter *f
      = prepare_ok ("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'],"
                    " 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38}]}");
  int status;
  pid_t pid;

  (void)state;
  REQUIRE_ROOT ();
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    _exit (child_nnp (f));
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  assert_int_equal (WEXITSTATUS (status), 0);
}

/* The listener.  fd passing for the test's own plumbing.  */

static int
send_fd (int sock, int fd)
{
  char byte = 'f';
  union
  {
    struct cmsghdr h;
    char buf[CMSG_SPACE (sizeof (int))];
  } control = { 0 };
  struct iovec iov = { &byte, 1 };
  struct msghdr mh = { .msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = control.buf,
                       .msg_controllen = sizeof (control.buf) };
  struct cmsghdr *c = CMSG_FIRSTHDR (&mh);

  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));
  return sendmsg (sock, &mh, 0) == 1 ? 0 : -1;
}

/* Receive a message of up to LEN-1 bytes and one fd (-1 when none).  */
static ssize_t
recv_with_fd (int sock, char *buf, size_t len, int *fd)
{
  union
  {
    struct cmsghdr h;
    char buf[CMSG_SPACE (sizeof (int))];
  } control = { 0 };
  struct iovec iov = { buf, len - 1 };
  struct msghdr mh = { .msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = control.buf,
                       .msg_controllen = sizeof (control.buf) };
  struct cmsghdr *c;
  ssize_t n = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC);

  *fd = -1;
  if (n < 0)
    return n;
  buf[n] = '\0';
  c = CMSG_FIRSTHDR (&mh);
  if (c && c->cmsg_type == SCM_RIGHTS)
    memcpy (fd, CMSG_DATA (c), sizeof (int));
  return n;
}

/* Read the whole message of the connection (the fd with its first part).  */
static ssize_t
recv_all_with_fd (int sock, char *buf, size_t len, int *fd)
{
  size_t used = 0;
  int extra;
  ssize_t n = recv_with_fd (sock, buf, len, fd);

  if (n <= 0)
    return n;
  used = (size_t)n;
  while (used + 1 < len && (n = recv_with_fd (sock, buf + used, len - used, &extra)) > 0)
    {
      used += (size_t)n;
      if (extra >= 0)
        close (extra);
    }
  return (ssize_t)used;
}

static int
listen_at (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  assert_true (fd >= 0);
  if (strlen (path) < sizeof (addr.sun_path))
    {
      strcpy (addr.sun_path, path);
      assert_int_equal (bind (fd, (struct sockaddr *)&addr, sizeof (addr)), 0);
    }
  else
    {
      /* Bind through the directory: a relative name from inside it.  */
      char *dir = strdup (path), *slash = strrchr (dir, '/');
      int saved = open (".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      *slash = '\0';
      assert_int_equal (chdir (dir), 0);
      strcpy (addr.sun_path, slash + 1);
      assert_int_equal (bind (fd, (struct sockaddr *)&addr, sizeof (addr)), 0);
      assert_int_equal (fchdir (saved), 0);
      close (saved);
      free (dir);
    }
  assert_int_equal (listen (fd, 1), 0);
  return fd;
}

static const char state_json[]
    = "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":4242,"
      "\"bundle\":\"/b\",\"annotations\":{\"k\":\"v\"}}";

/* The agent's view of a connection: the process state, checked, and the
 * fd that came with it.  */
static int
agent_accept (int listen_fd, const char *metadata, int *fd)
{
  char buf[4096];
  json_error_t je;
  json_t *msg, *state;
  cleanup_close int conn = accept4 (listen_fd, NULL, NULL, SOCK_CLOEXEC);
  int ok;

  CHECK (conn >= 0);
  CHECK (recv_all_with_fd (conn, buf, sizeof (buf), fd) > 0);
  CHECK (*fd >= 0);
  msg = json_loads (buf, 0, &je);
  CHECK (msg != NULL);
  state = json_object_get (msg, "state");
  ok = json_is_object (state)
       && strcmp (json_string_value (json_object_get (msg, "ociVersion")), "1.2.0") == 0
       && json_integer_value (json_object_get (msg, "pid")) == 4242
       && json_array_size (json_object_get (msg, "fds")) == 1
       && strcmp (json_string_value (json_array_get (json_object_get (msg, "fds"), 0)), "seccompFd")
              == 0
       && strcmp (json_string_value (json_object_get (state, "id")), "c1") == 0
       && strcmp (json_string_value (json_object_get (state, "status")), "creating") == 0
       && (metadata
               ? json_is_string (json_object_get (msg, "metadata"))
                     && strcmp (json_string_value (json_object_get (msg, "metadata")), metadata)
                            == 0
               : json_object_get (msg, "metadata") == NULL);
  json_decref (msg);
  CHECK (ok);
  return 0;
}

/* The agent: take the listener, answer one getppid with 4242.  */
static int
agent_main (int listen_fd)
{
  struct seccomp_notif *req = NULL;
  struct seccomp_notif_resp *resp = NULL;
  int fd = -1;

  if (agent_accept (listen_fd, "MKNOD=/dev/null", &fd) != 0)
    return 1;
  CHECK (seccomp_notify_alloc (&req, &resp) == 0);
  CHECK (seccomp_notify_receive (fd, req) == 0);
  CHECK (req->data.nr == SYS_getppid);
  resp->id = req->id;
  resp->val = 4242;
  resp->error = 0;
  resp->flags = 0;
  CHECK (seccomp_notify_respond (fd, resp) == 0);
  seccomp_notify_free (req, resp);
  return 0;
}

/* The container: install, hand the listener to the runtime, then see the
 * agent's answer.  */
static int
container_main (const struct berth_seccomp_filter *f, int runtime_sock)
{
  berth_error_t err = NULL;
  int notify_fd;

  if (berth_seccomp_install (f, &notify_fd, &err) < 0)
    {
      fprintf (stderr, "install: %s\n", err->msg);
      return 2;
    }
  CHECK (notify_fd >= 0);
  CHECK (fcntl (notify_fd, F_GETFD) & FD_CLOEXEC);
  CHECK (send_fd (runtime_sock, notify_fd) == 0);
  close (notify_fd);
  CHECK (syscall (SYS_getppid) == 4242);
  return 0;
}

static int
wait_status (pid_t pid)
{
  int status;

  if (waitpid (pid, &status, 0) != pid)
    return -1;
  return WIFSIGNALED (status) ? 128 + WTERMSIG (status) : WEXITSTATUS (status);
}

static void
test_notify (void **state)
{
  char dir[] = "/tmp/berth-test-seccomp-XXXXXX";
  cleanup_free char *sock_path = NULL;
  cleanup_free char *profile = NULL;
  cleanup_seccomp_filter struct berth_seccomp_filter *f = NULL;
  cleanup_error berth_error_t err = NULL;
  int pair[2], listen_fd, notify_fd, byte;
  pid_t agent, container;

  (void)state;
  REQUIRE_ROOT ();
  assert_non_null (mkdtemp (dir));
  assert_true (asprintf (&sock_path, "%s/agent.sock", dir) > 0);
  assert_true (asprintf (&profile,
                         "{'defaultAction': 'SCMP_ACT_ALLOW', 'listenerPath': '%s',"
                         " 'listenerMetadata': 'MKNOD=/dev/null',"
                         " 'flags': ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],"
                         " 'syscalls': [{'names': ['getppid'], 'action': 'SCMP_ACT_NOTIFY'}]}",
                         sock_path)
               > 0);
  f = prepare_ok (profile);
  assert_true (berth_seccomp_filter_uses_notify (f));
  listen_fd = listen_at (sock_path);
  agent = fork ();
  assert_true (agent >= 0);
  if (agent == 0)
    _exit (agent_main (listen_fd));
  close (listen_fd);
  assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  container = fork ();
  assert_true (container >= 0);
  if (container == 0)
    _exit (container_main (f, pair[1]));
  close (pair[1]);

  /* The runtime: pass the listener on with the state.  */
  {
    char buf[8];
    assert_true (recv_with_fd (pair[0], buf, sizeof (buf), &notify_fd) == 1);
  }
  assert_true (notify_fd >= 0);
  if (berth_seccomp_send_listener (sock_path, notify_fd, state_json, "MKNOD=/dev/null", &err) < 0)
    fail_msg ("send listener: %s", err->msg);
  close (notify_fd);
  close (pair[0]);
  byte = wait_status (agent);
  assert_int_equal (byte, 0);
  assert_int_equal (wait_status (container), 0);
  assert_int_equal (berth_remove_tree (dir, &err), 0);
}

/* A listener path longer than sun_path, no metadata; any fd will do.  */
static void
test_send_listener_long_path (void **state)
{
  char dir[] = "/tmp/berth-test-seccomp-XXXXXX";
  char path[512];
  cleanup_error berth_error_t err = NULL;
  int listen_fd, pipe_fds[2], fd = -1;
  size_t len;
  pid_t agent;

  (void)state;
  assert_non_null (mkdtemp (dir));
  len = (size_t)snprintf (path, sizeof (path), "%s/", dir);
  while (len < 150)
    {
      path[len++] = 'd';
      path[len] = '\0';
    }
  assert_int_equal (mkdir (path, 0700), 0);
  strcat (path, "/agent.sock");
  assert_true (strlen (path) > sizeof (((struct sockaddr_un *)0)->sun_path));
  listen_fd = listen_at (path);
  agent = fork ();
  assert_true (agent >= 0);
  if (agent == 0)
    {
      int r = agent_accept (listen_fd, NULL, &fd);
      char c = 0;
      /* The fd is the pipe's read end: what the runtime wrote arrives.  */
      if (r == 0 && (read (fd, &c, 1) != 1 || c != 'p'))
        r = 3;
      _exit (r);
    }
  close (listen_fd);
  assert_int_equal (pipe2 (pipe_fds, O_CLOEXEC), 0);
  assert_int_equal (write (pipe_fds[1], "p", 1), 1);
  if (berth_seccomp_send_listener (path, pipe_fds[0], state_json, NULL, &err) < 0)
    fail_msg ("send listener: %s", err->msg);
  close (pipe_fds[0]);
  close (pipe_fds[1]);
  assert_int_equal (wait_status (agent), 0);
  assert_int_equal (berth_remove_tree (dir, &err), 0);
}

static void
test_send_listener_errors (void **state)
{
  cleanup_error berth_error_t err = NULL;

  (void)state;
  assert_true (
      berth_seccomp_send_listener ("/nonexistent-berth/agent.sock", 0, state_json, NULL, &err) < 0);
  assert_string_equal (err->msg, "seccomp listener `/nonexistent-berth/agent.sock`: connect: No "
                                 "such file or directory");
  berth_error_release (&err);
  assert_int_equal (berth_seccomp_send_listener ("/x", 0, "{\"id\": \"c1\"}", NULL, &err), -EINVAL);
  assert_string_equal (err->msg,
                       "seccomp listener `/x`: container state: ociVersion and pid required: "
                       "Invalid argument");
  berth_error_release (&err);
  assert_int_equal (berth_seccomp_send_listener ("/x", 0, "{", NULL, &err), -EINVAL);
  assert_non_null (strstr (err->msg, "seccomp listener `/x`: container state: "));
}

/* berth_process_confine: the one copy of the order that the init and exec
 * share.  The installer only records when it is called (who we are, and
 * whether no_new_privs is set by then).  */
struct confine_probe
{
  int calls;
  uid_t euid;
  int nnp;
};

static int
record_install (void *data, berth_error_t *err)
{
  struct confine_probe *p = data;
  (void) err;
  p->calls++;
  p->euid = geteuid ();
  p->nnp = prctl (PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  return 0;
}

struct confine_case
{
  bool nnp, defer, notify;
  int calls;       /* want */
  uid_t euid;      /* want, when called */
  bool deferred;   /* want */
};

static int
confine_child (void *arg)
{
  const struct confine_case *c = arg;
  struct berth_seccomp_filter *f
      = prepare_ok (c->notify ? "{'defaultAction': 'SCMP_ACT_ALLOW', 'listenerPath': '/x',"
                                " 'syscalls': [{'names': ['getppid'], 'action': 'SCMP_ACT_NOTIFY'}]}"
                              : "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names':"
                                " ['getppid'], 'action': 'SCMP_ACT_ERRNO'}]}");
  struct berth_process p = { .user = { .uid = 1000, .gid = 1000 },
                             .no_new_privileges = c->nnp };
  struct confine_probe probe = { 0 };
  berth_error_t err = NULL;
  bool deferred = !c->deferred;

  CHECK (berth_process_confine (&p, true, f, c->defer, record_install, &probe, &deferred, &err)
         == 0);
  CHECK (probe.calls == c->calls);
  CHECK (deferred == c->deferred);
  CHECK (c->calls == 0 || probe.euid == c->euid);
  /* With no_new_privs the filter goes in after it is set.  */
  CHECK (c->calls == 0 || probe.nnp == (c->nnp ? 1 : 0));
  berth_seccomp_filter_free (f);
  return 0;
}

static void
test_confine_order (void **state)
{
  static const struct confine_case cases[] = {
    /* no_new_privs off: before dropping to the user (needs CAP_SYS_ADMIN).  */
    { false, false, false, 1, 0, false },
    { false, true, false, 1, 0, false },
    /* on: after the user and capabilities (exec).  */
    { true, false, false, 1, 1000, false },
    /* on, deferred (the init, after start); a listener cannot wait.  */
    { true, true, false, 0, 0, true },
    { true, true, true, 1, 1000, false },
  };
  (void) state;
  REQUIRE_ROOT ();
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      pid_t pid = fork ();
      int status;
      assert_true (pid >= 0);
      if (pid == 0)
        _exit (confine_child ((void *) &cases[i]));
      assert_int_equal (waitpid (pid, &status, 0), pid);
      if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        fail_msg ("confine case %zu failed (status %d)", i, status);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_parse_full),
    cmocka_unit_test (test_parse_defaults),
    cmocka_unit_test (test_parse_all_names),
    cmocka_unit_test (test_parse_errors),
    cmocka_unit_test (test_errno_rule),
    cmocka_unit_test (test_cache),
    cmocka_unit_test (test_default_errno),
    cmocka_unit_test (test_arg_conditions),
    cmocka_unit_test (test_arg_personality),
    cmocka_unit_test (test_kill_actions),
    cmocka_unit_test (test_trap),
    cmocka_unit_test (test_log_and_flags),
    cmocka_unit_test (test_unknown_names_skipped),
    cmocka_unit_test (test_long_profile),
    cmocka_unit_test (test_architectures),
    cmocka_unit_test (test_notify_on_sendmsg_refused),
    cmocka_unit_test (test_no_new_privs),
    cmocka_unit_test (test_notify),
    cmocka_unit_test (test_confine_order),
    cmocka_unit_test (test_send_listener_long_path),
    cmocka_unit_test (test_send_listener_errors),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
