/* Tests for linux/process.c: name tables, executable lookup, and (in forked
 * children, as root) limits, user switch, capability sets and exec.  Children
 * report through their exit status; failed checks are explained on stderr.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/process.h"
#include "util.h"

#define CAP_BIT(n) (UINT64_C (1) << (n))
#define NET_BIND_SERVICE 10
#define NET_RAW 13

/* Fork, run fn in the child and return its exit status (128 + signal when
 * killed).  */
static int
run_in_child (int (*fn) (void *), void *arg)
{
  int status;
  pid_t pid = fork ();

  if (pid < 0)
    return -1;
  if (pid == 0)
    _exit (fn (arg));
  if (waitpid (pid, &status, 0) != pid)
    return -1;
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return WEXITSTATUS (status);
}

#define CHECK(cond)                                                                                \
  do                                                                                               \
    {                                                                                              \
      if (!(cond))                                                                                 \
        {                                                                                          \
          fprintf (stderr, "child check failed at line %d: %s\n", __LINE__, #cond);                \
          return 1;                                                                                \
        }                                                                                          \
    }                                                                                              \
  while (0)

#define CHECK_OK(call, errp)                                                                       \
  do                                                                                               \
    {                                                                                              \
      if ((call) < 0)                                                                              \
        {                                                                                          \
          fprintf (stderr, "line %d: %s\n", __LINE__, *(errp) ? (*(errp))->msg : "?");             \
          return 2;                                                                                \
        }                                                                                          \
    }                                                                                              \
  while (0)

/* Name tables.  */

static void
test_capability_names (void **state)
{
  (void)state;
  assert_int_equal (berth_capability_from_name ("CAP_CHOWN"), 0);
  assert_int_equal (berth_capability_from_name ("CAP_NET_BIND_SERVICE"), 10);
  assert_int_equal (berth_capability_from_name ("CAP_SYS_ADMIN"), 21);
  assert_int_equal (berth_capability_from_name ("CAP_AUDIT_READ"), 37);
  assert_int_equal (berth_capability_from_name ("CAP_PERFMON"), 38);
  assert_int_equal (berth_capability_from_name ("CAP_BPF"), 39);
  assert_int_equal (berth_capability_from_name ("CAP_CHECKPOINT_RESTORE"), 40);
  assert_int_equal (berth_capability_from_name ("CAP_NOPE"), -1);
  assert_int_equal (berth_capability_from_name ("cap_chown"), -1);
  assert_int_equal (berth_capability_from_name ("CHOWN"), -1);
  assert_int_equal (berth_capability_from_name (""), -1);
  assert_int_equal (berth_capability_from_name (NULL), -1);
  assert_int_equal (berth_capability_from_name ("CAP_DAC_OVERRIDE"), 1);
  assert_int_equal (berth_capability_from_name ("CAP_SETPCAP"), 8);
  assert_int_equal (berth_capability_from_name ("CAP_MKNOD"), 27);
  assert_int_equal (berth_capability_from_name ("CAP_WAKE_ALARM"), 35);
}

static void
test_rlimit_names (void **state)
{
  static const struct
  {
    const char *name;
    int resource;
  } all[] = {
    { "RLIMIT_CPU", RLIMIT_CPU },           { "RLIMIT_FSIZE", RLIMIT_FSIZE },
    { "RLIMIT_DATA", RLIMIT_DATA },         { "RLIMIT_STACK", RLIMIT_STACK },
    { "RLIMIT_CORE", RLIMIT_CORE },         { "RLIMIT_RSS", RLIMIT_RSS },
    { "RLIMIT_NPROC", RLIMIT_NPROC },       { "RLIMIT_NOFILE", RLIMIT_NOFILE },
    { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },   { "RLIMIT_AS", RLIMIT_AS },
    { "RLIMIT_LOCKS", RLIMIT_LOCKS },       { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
    { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
    { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },     { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  };
  (void)state;
  assert_int_equal (sizeof (all) / sizeof (all[0]), 16);
  for (size_t i = 0; i < 16; i++)
    assert_int_equal (berth_rlimit_from_name (all[i].name), all[i].resource);
  assert_int_equal (berth_rlimit_from_name ("RLIMIT_BOGUS"), -1);
  assert_int_equal (berth_rlimit_from_name ("NOFILE"), -1);
  assert_int_equal (berth_rlimit_from_name ("rlimit_nofile"), -1);
  assert_int_equal (berth_rlimit_from_name (NULL), -1);
}

/* Executable lookup: a temp tree with
 *   a/foo 0755  a/noexec 0644  a/adir/    a/only 0755
 *   b/foo 0755  b/noexec 0755  b/adir 0755
 *   plain 0644  */

struct tree
{
  char dir[64];
  int saved_cwd;
};

static void
make_file (const char *dir, const char *name, mode_t mode)
{
  cleanup_free char *path = NULL;
  int fd;

  assert_true (asprintf (&path, "%s/%s", dir, name) > 0);
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  assert_true (fd >= 0);
  assert_int_equal (write (fd, "#!/bin/sh\n", 10), 10);
  close (fd);
  assert_int_equal (chmod (path, mode), 0);
}

static int
tree_setup (void **state)
{
  struct tree *t = calloc (1, sizeof (*t));
  char sub[128];

  strcpy (t->dir, "/tmp/berth-test-process-XXXXXX");
  if (mkdtemp (t->dir) == NULL)
    return -1;
  t->saved_cwd = open (".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  snprintf (sub, sizeof (sub), "%s/a", t->dir);
  mkdir (sub, 0755);
  snprintf (sub, sizeof (sub), "%s/a/adir", t->dir);
  mkdir (sub, 0755);
  snprintf (sub, sizeof (sub), "%s/b", t->dir);
  mkdir (sub, 0755);
  snprintf (sub, sizeof (sub), "%s/a", t->dir);
  make_file (sub, "foo", 0755);
  make_file (sub, "noexec", 0644);
  make_file (sub, "only", 0755);
  snprintf (sub, sizeof (sub), "%s/b", t->dir);
  make_file (sub, "foo", 0755);
  make_file (sub, "noexec", 0755);
  make_file (sub, "adir", 0755);
  make_file (t->dir, "plain", 0644);
  *state = t;
  return 0;
}

static int
tree_teardown (void **state)
{
  struct tree *t = *state;
  cleanup_error berth_error_t err = NULL;

  if (fchdir (t->saved_cwd) < 0)
    return -1;
  close (t->saved_cwd);
  if (berth_remove_tree (t->dir, &err) < 0)
    return -1;
  free (t);
  return 0;
}

/* Look NAME up with env entry PATH_ENV (NULL: no PATH at all); returns the
 * result or NULL, and the error text in *msg.  */
static char *
lookup (const char *name, const char *path_env, char **msg)
{
  char *args[] = { (char *)name, NULL };
  char *env_with[] = { "HOME=/root", (char *)path_env, NULL };
  char *env_without[] = { "HOME=/root", NULL };
  struct berth_process process = { .args = args, .env = path_env ? env_with : env_without };
  cleanup_error berth_error_t err = NULL;
  char *out = NULL;

  *msg = NULL;
  if (berth_process_find_executable (&process, &out, &err) < 0)
    {
      assert_null (out);
      *msg = strdup (err->msg);
      return NULL;
    }
  assert_null (err);
  return out;
}

static char *
tree_path (const struct tree *t, const char *fmt, const char *rel)
{
  char *s = NULL;
  assert_true (asprintf (&s, fmt, t->dir, rel) > 0);
  return s;
}

static void
test_find_path_order (void **state)
{
  struct tree *t = *state;
  cleanup_free char *path_env = NULL, *path_env2 = NULL, *got = NULL, *want = NULL, *msg = NULL;

  assert_true (asprintf (&path_env, "PATH=/nonexistent:%s/a:%s/b", t->dir, t->dir) > 0);
  got = lookup ("foo", path_env, &msg);
  want = tree_path (t, "%s/a/%s", "foo");
  assert_non_null (got);
  assert_string_equal (got, want);
  free (got);
  free (want);

  /* b first now.  */
  assert_true (asprintf (&path_env2, "PATH=%s/b:%s/a", t->dir, t->dir) > 0);
  got = lookup ("foo", path_env2, &msg);
  want = tree_path (t, "%s/b/%s", "foo");
  assert_string_equal (got, want);
  free (got);
  free (want);

  /* Only in the second entry.  */
  got = lookup ("only", path_env2, &msg);
  want = tree_path (t, "%s/a/%s", "only");
  assert_string_equal (got, want);
}

static void
test_find_skips_non_executable (void **state)
{
  struct tree *t = *state;
  cleanup_free char *path_env = NULL, *got = NULL, *want = NULL, *msg = NULL;

  assert_true (asprintf (&path_env, "PATH=%s/a:%s/b", t->dir, t->dir) > 0);
  /* a/noexec has no x bit, a/adir is a directory: both are passed over.  */
  got = lookup ("noexec", path_env, &msg);
  want = tree_path (t, "%s/b/%s", "noexec");
  assert_string_equal (got, want);
  free (got);
  free (want);
  got = lookup ("adir", path_env, &msg);
  want = tree_path (t, "%s/b/%s", "adir");
  assert_string_equal (got, want);
}

static void
test_find_relative_entries (void **state)
{
  struct tree *t = *state;
  cleanup_free char *got = NULL, *msg = NULL;

  assert_int_equal (chdir (t->dir), 0);
  got = lookup ("foo", "PATH=/nonexistent:b:a", &msg);
  assert_string_equal (got, "b/foo");
  free (got);

  /* An empty entry is the current directory.  */
  assert_int_equal (chdir ("a"), 0);
  got = lookup ("foo", "PATH=/nonexistent::/bin", &msg);
  assert_string_equal (got, "./foo");
  free (got);
  got = lookup ("only", "PATH=/nonexistent:", &msg);
  assert_string_equal (got, "./only");
  free (got);

  /* A name with a slash is used as is, relative to the cwd.  */
  got = lookup ("./foo", "PATH=/nonexistent", &msg);
  assert_string_equal (got, "./foo");
  assert_int_equal (fchdir (t->saved_cwd), 0);
}

static void
test_find_missing (void **state)
{
  struct tree *t = *state;
  cleanup_free char *path_env = NULL, *got = NULL, *msg = NULL;

  assert_true (asprintf (&path_env, "PATH=%s/a:%s/b", t->dir, t->dir) > 0);
  got = lookup ("missing", path_env, &msg);
  assert_null (got);
  assert_string_equal (msg, "exec: \"missing\": executable file not found in $PATH");
  free (msg);

  /* Only a directory of that name: not found.  */
  free (path_env);
  assert_true (asprintf (&path_env, "PATH=%s/a", t->dir) > 0);
  got = lookup ("adir", path_env, &msg);
  assert_null (got);
  assert_string_equal (msg, "exec: \"adir\": executable file not found in $PATH");
  free (msg);

  /* An empty PATH has no entries.  */
  got = lookup ("sh", "PATH=", &msg);
  assert_null (got);
  assert_string_equal (msg, "exec: \"sh\": executable file not found in $PATH");
  free (msg);

  got = lookup ("", "PATH=/bin", &msg);
  assert_null (got);
  assert_string_equal (msg, "exec: \"\": executable file not found in $PATH");
}

static void
test_find_absolute (void **state)
{
  struct tree *t = *state;
  cleanup_free char *p = NULL, *got = NULL, *want = NULL, *msg = NULL;

  p = tree_path (t, "%s/a/%s", "foo");
  got = lookup (p, "PATH=/nonexistent", &msg);
  assert_string_equal (got, p);
  free (p);

  p = tree_path (t, "%s/%s", "nope");
  assert_null (lookup (p, NULL, &msg));
  assert_true (asprintf (&want, "exec: \"%s\": stat: No such file or directory", p) > 0);
  assert_string_equal (msg, want);
  free (p);
  free (want);
  free (msg);

  p = tree_path (t, "%s/a/%s", "adir");
  assert_null (lookup (p, NULL, &msg));
  assert_true (asprintf (&want, "exec: \"%s\": is a directory", p) > 0);
  assert_string_equal (msg, want);
  free (p);
  free (want);
  free (msg);

  p = tree_path (t, "%s/%s", "plain");
  assert_null (lookup (p, NULL, &msg));
  assert_true (asprintf (&want, "exec: \"%s\": Permission denied", p) > 0);
  assert_string_equal (msg, want);
}

static void
test_find_default_path (void **state)
{
  static const char *const dirs[]
      = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin" };
  cleanup_free char *got = NULL, *msg = NULL;
  char *args[] = { "sh", NULL };
  struct berth_process process = { .args = args, .env = NULL };
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *got2 = NULL;
  char want[64];

  (void)state;
  /* The first default directory that has sh.  */
  want[0] = '\0';
  for (size_t i = 0; i < sizeof (dirs) / sizeof (dirs[0]) && !want[0]; i++)
    {
      snprintf (want, sizeof (want), "%s/sh", dirs[i]);
      if (access (want, X_OK) != 0)
        want[0] = '\0';
    }
  assert_true (want[0] != '\0');
  got = lookup ("sh", NULL, &msg);
  assert_string_equal (got, want);
  /* A NULL env also means the default PATH.  */
  assert_int_equal (berth_process_find_executable (&process, &got2, &err), 0);
  assert_string_equal (got2, want);
}

static void
test_find_no_args (void **state)
{
  char *args[] = { NULL };
  struct berth_process process = { .args = args };
  cleanup_error berth_error_t err = NULL;
  char *out = NULL;

  (void)state;
  assert_true (berth_process_find_executable (&process, &out, &err) < 0);
  assert_null (out);
  assert_non_null (err);
}

/* Limits.  */

static int
limits_child (void *arg)
{
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *oom = NULL;
  struct berth_rlimit rlimits[] = {
    { RLIMIT_NOFILE, 100, 200 },
    { RLIMIT_CORE, UINT64_MAX, UINT64_MAX },
  };
  struct berth_process process
      = { .rlimits = rlimits, .n_rlimits = 2, .has_oom_score_adj = true, .oom_score_adj = 123 };
  struct rlimit rl;

  (void)arg;
  CHECK_OK (berth_process_apply_limits (&process, &err), &err);
  CHECK (getrlimit (RLIMIT_NOFILE, &rl) == 0);
  CHECK (rl.rlim_cur == 100 && rl.rlim_max == 200);
  CHECK (getrlimit (RLIMIT_CORE, &rl) == 0);
  CHECK (rl.rlim_cur == RLIM_INFINITY && rl.rlim_max == RLIM_INFINITY);
  CHECK_OK (berth_read_file ("/proc/self/oom_score_adj", &oom, NULL, &err), &err);
  CHECK (strcmp (oom, "123\n") == 0);
  return 0;
}

static int
limits_error_child (void *arg)
{
  cleanup_error berth_error_t err = NULL;
  struct berth_rlimit rlimits[] = { { RLIMIT_NOFILE, 300, 200 } };
  struct berth_process process = { .rlimits = rlimits, .n_rlimits = 1 };

  (void)arg;
  CHECK (berth_process_apply_limits (&process, &err) < 0);
  CHECK (strcmp (err->msg, "setrlimit `RLIMIT_NOFILE`: Invalid argument") == 0);
  return 0;
}

static void
test_apply_limits (void **state)
{
  (void)state;
  if (geteuid () != 0)
    skip ();
  assert_int_equal (run_in_child (limits_child, NULL), 0);
  assert_int_equal (run_in_child (limits_error_child, NULL), 0);
}

/* User and capabilities.  */

static int
read_status_mask (const char *key, uint64_t *out)
{
  cleanup_free char *text = NULL;
  const char *line;
  size_t klen = strlen (key);
  unsigned long long v;

  if (berth_read_file ("/proc/self/status", &text, NULL, NULL) < 0)
    return -1;
  for (line = text; line && *line; line = strchr (line, '\n'), line = line ? line + 1 : NULL)
    if (strncmp (line, key, klen) == 0 && line[klen] == ':')
      {
        if (sscanf (line + klen + 1, "%llx", &v) != 1)
          return -1;
        *out = v;
        return 0;
      }
  return -1;
}

static int
check_caps (uint64_t inh, uint64_t prm, uint64_t eff, uint64_t bnd, uint64_t amb)
{
  uint64_t v;

  CHECK (read_status_mask ("CapInh", &v) == 0 && v == inh);
  CHECK (read_status_mask ("CapPrm", &v) == 0 && v == prm);
  CHECK (read_status_mask ("CapEff", &v) == 0 && v == eff);
  CHECK (read_status_mask ("CapBnd", &v) == 0 && v == bnd);
  CHECK (read_status_mask ("CapAmb", &v) == 0 && v == amb);
  return 0;
}

static void
fill_unprivileged (struct berth_process *p, uint32_t *gids)
{
  const uint64_t nbs = CAP_BIT (NET_BIND_SERVICE);

  p->user.uid = 1000;
  p->user.gid = 1000;
  p->user.additional_gids = gids;
  p->user.n_additional_gids = 2;
  p->user.has_umask = true;
  p->user.umask = 027;
  p->capabilities = (struct berth_capabilities){ .present = true,
                                                 .bounding = nbs,
                                                 .effective = nbs,
                                                 .inheritable = nbs,
                                                 .permitted = nbs,
                                                 /* NET_RAW is neither permitted
                                                  * nor inheritable: skipped.  */
                                                 .ambient = nbs | CAP_BIT (NET_RAW) };
  p->no_new_privileges = true;
}

static int
unprivileged_child (void *arg)
{
  cleanup_error berth_error_t err = NULL;
  uint32_t gids[] = { 10, 20 };
  struct berth_process process = { 0 };
  const uint64_t nbs = CAP_BIT (NET_BIND_SERVICE);
  uid_t r, e, s;
  gid_t rg, eg, sg, groups[8];
  mode_t mask;

  (void)arg;
  fill_unprivileged (&process, gids);
  CHECK_OK (berth_process_set_user (&process, true, &err), &err);
  CHECK_OK (berth_process_apply_capabilities (&process, &err), &err);

  CHECK (getresuid (&r, &e, &s) == 0 && r == 1000 && e == 1000 && s == 1000);
  CHECK (getresgid (&rg, &eg, &sg) == 0 && rg == 1000 && eg == 1000 && sg == 1000);
  CHECK (getgroups (8, groups) == 2 && groups[0] == 10 && groups[1] == 20);
  mask = umask (0);
  CHECK (mask == 027);
  CHECK (prctl (PR_GET_KEEPCAPS, 0, 0, 0, 0) == 0);
  CHECK (prctl (PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1);
  return check_caps (nbs, nbs, nbs, nbs, nbs);
}

static int
drop_all_child (void *arg)
{
  cleanup_error berth_error_t err = NULL;
  struct berth_process process = { 0 };
  gid_t before[64], after[64];
  int n_before, n_after;

  (void)arg;
  /* uid 0 kept, setgroups denied, no capabilities object at all.  */
  n_before = getgroups (64, before);
  CHECK (n_before >= 0);
  CHECK_OK (berth_process_set_user (&process, false, &err), &err);
  CHECK_OK (berth_process_apply_capabilities (&process, &err), &err);
  n_after = getgroups (64, after);
  CHECK (n_after == n_before && memcmp (before, after, n_after * sizeof (gid_t)) == 0);
  CHECK (umask (0) == 0022);
  CHECK (prctl (PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0);
  return check_caps (0, 0, 0, 0, 0);
}

static int
root_some_caps_child (void *arg)
{
  cleanup_error berth_error_t err = NULL;
  struct berth_process process = { 0 };
  const uint64_t bnd = CAP_BIT (0) | CAP_BIT (21) | CAP_BIT (40);
  const uint64_t prm = CAP_BIT (0) | CAP_BIT (21);

  (void)arg;
  process.capabilities = (struct berth_capabilities){
    .present = true,
    .bounding = bnd | CAP_BIT (63), /* beyond the kernel's caps: ignored */
    .permitted = prm,
    .effective = CAP_BIT (21),
    .inheritable = 0,
    .ambient = CAP_BIT (21), /* not inheritable: skipped */
  };
  CHECK_OK (berth_process_set_user (&process, true, &err), &err);
  CHECK_OK (berth_process_apply_capabilities (&process, &err), &err);
  CHECK (getgroups (0, NULL) == 0);
  return check_caps (0, prm, CAP_BIT (21), bnd, 0);
}

static void
test_set_user_and_capabilities (void **state)
{
  (void)state;
  if (geteuid () != 0)
    skip ();
  assert_int_equal (run_in_child (unprivileged_child, NULL), 0);
  assert_int_equal (run_in_child (drop_all_child, NULL), 0);
  assert_int_equal (run_in_child (root_some_caps_child, NULL), 0);
}

/* Exec.  */

static int
exec_child (void *arg)
{
  cleanup_error berth_error_t err = NULL;
  char *args[] = { "sh", "-c", "test \"$FOO\" = bar && test -z \"$HOME\" && exit 7", NULL };
  char *env[] = { "FOO=bar", NULL };
  struct berth_process process = { .args = args, .env = env };
  cleanup_free char *path = NULL;

  (void)arg;
  CHECK_OK (berth_process_find_executable (&process, &path, &err), &err);
  berth_process_exec (&process, path, &err);
  return 1;
}

/* The whole sequence as the container init runs it: the ambient capability
 * must be effective after exec for the unprivileged user.  */
static int
exec_unprivileged_child (void *arg)
{
  cleanup_error berth_error_t err = NULL;
  uint32_t gids[] = { 10, 20 };
  char *args[] = { "sh", "-c",
                   "test \"$(id -u)\" = 1000 && grep -q '^CapEff:.*0000000000000400$' "
                   "/proc/self/status && exit 9",
                   NULL };
  char *env[] = { "PATH=/usr/bin:/bin", NULL };
  struct berth_process process = { .args = args, .env = env };
  cleanup_free char *path = NULL;

  (void)arg;
  fill_unprivileged (&process, gids);
  process.no_new_privileges = false;
  CHECK_OK (berth_process_find_executable (&process, &path, &err), &err);
  CHECK_OK (berth_process_set_user (&process, true, &err), &err);
  CHECK_OK (berth_process_apply_capabilities (&process, &err), &err);
  berth_process_exec (&process, path, &err);
  return 1;
}

static void
test_exec (void **state)
{
  cleanup_error berth_error_t err = NULL;
  char *args[] = { "x", NULL };
  struct berth_process process = { .args = args };

  (void)state;
  assert_int_equal (run_in_child (exec_child, NULL), 7);
  if (geteuid () == 0)
    assert_int_equal (run_in_child (exec_unprivileged_child, NULL), 9);

  /* A failed execve returns, so this is safe in the test process itself.  */
  assert_true (berth_process_exec (&process, "/nonexistent/x", &err) < 0);
  assert_string_equal (err->msg, "exec `/nonexistent/x`: No such file or directory");
  assert_int_equal (err->status, ENOENT);
}

/* stdio from descriptors, even when they overlap 0..2 (stdout and
 * stderr swapped here).  */
static int
stdio_child (void *arg)
{
  cleanup_error berth_error_t err = NULL;
  int out[2], errp[2], fds[3];
  char buf[16] = { 0 };

  (void) arg;
  CHECK (pipe (out) == 0 && pipe (errp) == 0);
  CHECK (dup2 (out[1], 1) == 1 && dup2 (errp[1], 2) == 2);
  fds[0] = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  fds[1] = 2;
  fds[2] = 1;
  CHECK_OK (berth_process_install_stdio (fds, &err), &err);
  CHECK (write (1, "to-err", 6) == 6 && write (2, "to-out", 6) == 6);
  CHECK (read (errp[0], buf, 6) == 6 && strcmp (buf, "to-err") == 0);
  CHECK (read (out[0], buf, 6) == 6 && strcmp (buf, "to-out") == 0);
  CHECK (read (0, buf, 1) == 0);
  /* Installed fds survive exec: no close-on-exec.  */
  CHECK (fcntl (0, F_GETFD) == 0 && fcntl (1, F_GETFD) == 0 && fcntl (2, F_GETFD) == 0);
  fds[0] = 99;
  CHECK (berth_process_install_stdio (fds, &err) < 0);
  return 0;
}

static void
test_install_stdio (void **state)
{
  (void) state;
  assert_int_equal (run_in_child (stdio_child, NULL), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_capability_names),
    cmocka_unit_test (test_rlimit_names),
    cmocka_unit_test_setup_teardown (test_find_path_order, tree_setup, tree_teardown),
    cmocka_unit_test_setup_teardown (test_find_skips_non_executable, tree_setup, tree_teardown),
    cmocka_unit_test_setup_teardown (test_find_relative_entries, tree_setup, tree_teardown),
    cmocka_unit_test_setup_teardown (test_find_missing, tree_setup, tree_teardown),
    cmocka_unit_test_setup_teardown (test_find_absolute, tree_setup, tree_teardown),
    cmocka_unit_test (test_find_default_path),
    cmocka_unit_test (test_find_no_args),
    cmocka_unit_test (test_apply_limits),
    cmocka_unit_test (test_set_user_and_capabilities),
    cmocka_unit_test (test_exec),
    cmocka_unit_test (test_install_stdio),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
