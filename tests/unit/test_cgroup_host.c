/* Tests of the cgroup subsystem on the real kernel (root only; skipped
 * otherwise): create under the host's hierarchies, a forked child entered
 * and seen there, limits read back, freeze and thaw, pids, signals, stats,
 * destroy leaving nothing, the cgroup v2 paths (freezer, cgroup.kill,
 * CLONE_INTO_CGROUP, the eBPF device filter) on the cgroup2 mount (the
 * hybrid host's <root>/unified, or the root of a pure v2 host), and a real
 * OOM kill.  Every cgroup is named berth-test-*; the teardown removes what
 * a failed test left.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/cgroup/cgroup.h"
#include "oci/resources.h"
#include "util.h"

#define HOST_ROOT "/sys/fs/cgroup"

static enum berth_cgroup_mode host_mode;
static const char *v2_root; /* the cgroup2 mount: NULL (default root) or .../unified */
static bool have_v2;
static char *v2_subtree_before; /* the cgroup2 root's subtree_control, to restore */

/* What a test made, for the teardown.  */
static struct berth_cgroup *made[4];
static size_t n_made;
static pid_t children[4];
static size_t n_children;
static char node_paths[2][64];

static char *
read_text (const char *fmt, ...)
{
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *path = NULL;
  char *text = NULL;
  va_list ap;

  va_start (ap, fmt);
  assert_true (vasprintf (&path, fmt, ap) > 0);
  va_end (ap);
  if (berth_read_file (path, &text, NULL, &err) < 0)
    fail_msg ("%s", err->msg);
  return text;
}

static bool
path_exists (const char *fmt, ...)
{
  cleanup_free char *path = NULL;
  va_list ap;

  va_start (ap, fmt);
  assert_true (vasprintf (&path, fmt, ap) > 0);
  va_end (ap);
  return access (path, F_OK) == 0;
}

static struct berth_resources *
resources (const char *json)
{
  cleanup_free char *text = strdup (json);
  cleanup_error berth_error_t err = NULL;
  struct berth_resources *r = NULL;

  for (char *c = text; *c; c++)
    if (*c == '\'')
      *c = '"';
  if (berth_resources_parse (text, strlen (text), &r, &err) < 0)
    fail_msg ("%s", err->msg);
  return r;
}

static void
resources_freep (struct berth_resources **r)
{
  berth_resources_free (*r);
}

#define cleanup_resources __attribute__ ((cleanup (resources_freep)))

static struct berth_cgroup *
create_ok (const char *root, const char *path, const struct berth_resources *r)
{
  struct berth_cgroup_config cfg
      = { .id = "berth-test", .cgroups_path = path, .resources = r, .root = root };
  cleanup_error berth_error_t err = NULL;
  struct berth_cgroup *cg = NULL;

  if (berth_cgroup_create (&cfg, &cg, &err) < 0)
    fail_msg ("create: %s", err->msg);
  assert_true (n_made < 4);
  made[n_made++] = cg;
  return cg;
}

/* The cgroup path of this test run, so that parallel runs do not meet.  */
static char *
test_path (const char *name)
{
  char *path = NULL;

  assert_true (asprintf (&path, "/berth-test-%d/%s", (int)getpid (), name) > 0);
  return path;
}

/* A child that waits for a byte on GO, then runs FN (if any) and exits with
 * its result; without FN it sleeps until killed.  */
static pid_t
spawn (int (*fn) (void *), void *arg, int *go)
{
  int fds[2];
  pid_t pid;

  assert_int_equal (pipe2 (fds, O_CLOEXEC), 0);
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      char c;

      close (fds[1]);
      if (read (fds[0], &c, 1) != 1)
        _exit (100);
      if (fn)
        _exit (fn (arg));
      for (;;)
        pause ();
    }
  close (fds[0]);
  *go = fds[1];
  assert_true (n_children < 4);
  children[n_children++] = pid;
  return pid;
}

static void
release (int go)
{
  assert_int_equal (write (go, "x", 1), 1);
  close (go);
}

static int
wait_child (pid_t pid)
{
  int status = 0;

  assert_int_equal (waitpid (pid, &status, 0), pid);
  for (size_t i = 0; i < n_children; i++)
    if (children[i] == pid)
      children[i] = 0;
  return status;
}

static void
destroy_ok (struct berth_cgroup *cg)
{
  cleanup_error berth_error_t err = NULL;

  if (berth_cgroup_destroy (cg, &err) < 0)
    fail_msg ("destroy: %s", err->msg);
}

/* Whether the directory of PATH is gone from every hierarchy.  */
static void
assert_gone_everywhere (const char *path)
{
  cleanup_dir DIR *d = opendir (HOST_ROOT);
  struct dirent *de;

  assert_non_null (d);
  while ((de = readdir (d)))
    if (de->d_name[0] != '.' && path_exists ("%s/%s%s", HOST_ROOT, de->d_name, path))
      fail_msg ("%s/%s%s is left", HOST_ROOT, de->d_name, path);
  if (host_mode == BERTH_CGROUP_MODE_UNIFIED && path_exists ("%s%s", HOST_ROOT, path))
    fail_msg ("%s%s is left", HOST_ROOT, path);
}

static void
rmdir_everywhere (const char *fmt_top)
{
  cleanup_dir DIR *d = opendir (HOST_ROOT);
  struct dirent *de;
  char path[512];

  while (d && (de = readdir (d)))
    if (de->d_name[0] != '.')
      {
        snprintf (path, sizeof (path), "%s/%s%s", HOST_ROOT, de->d_name, fmt_top);
        rmdir (path);
      }
  snprintf (path, sizeof (path), "%s%s", HOST_ROOT, fmt_top);
  rmdir (path);
}

static bool
cg_word_in (const char *list, const char *word)
{
  size_t len = strlen (word);

  for (const char *p = strstr (list, word); p; p = strstr (p + 1, word))
    if ((p == list || p[-1] == ' ') && (p[len] == '\0' || p[len] == ' ' || p[len] == '\n'))
      return true;
  return false;
}

static int
group_setup (void **state)
{
  cleanup_error berth_error_t err = NULL;

  if (geteuid () != 0 || berth_cgroup_detect_mode (NULL, &host_mode, &err) < 0)
    return 0;
  have_v2 = host_mode != BERTH_CGROUP_MODE_V1;
  v2_root = host_mode == BERTH_CGROUP_MODE_HYBRID ? HOST_ROOT "/unified" : NULL;
  if (have_v2)
    v2_subtree_before = read_text ("%s/cgroup.subtree_control", v2_root ? v2_root : HOST_ROOT);
  return 0;
}

/* Nothing else under the cgroup2 root that could be using a controller.  */
static bool
v2_root_unused (const char *root)
{
  cleanup_dir DIR *d = opendir (root);
  struct dirent *de;

  while (d && (de = readdir (d)))
    if (de->d_type == DT_DIR && de->d_name[0] != '.')
      return false;
  return d != NULL;
}

/* Undo the controllers berth enabled at the cgroup2 root for the tests,
 * unless other cgroups (other users of the host) appeared meanwhile.  */
static int
group_teardown (void **state)
{
  cleanup_free char *now = NULL;
  cleanup_free char *path = NULL;
  cleanup_error berth_error_t err = NULL;
  const char *root = v2_root ? v2_root : HOST_ROOT;
  char *word, *save = NULL;

  if (v2_subtree_before == NULL || host_mode != BERTH_CGROUP_MODE_HYBRID || !v2_root_unused (root)
      || asprintf (&path, "%s/cgroup.subtree_control", root) < 0
      || berth_read_file (path, &now, NULL, &err) < 0)
    goto out;
  for (word = strtok_r (now, " \n", &save); word; word = strtok_r (NULL, " \n", &save))
    if (!cg_word_in (v2_subtree_before, word))
      {
        cleanup_free char *minus = NULL;

        if (asprintf (&minus, "-%s", word) > 0)
          berth_write_file (path, minus, strlen (minus), 0644, &err);
        berth_error_release (&err);
      }
out:
  free (v2_subtree_before);
  return 0;
}

/* First statement of every test (cmocka counts a skip in a setup as an
 * error).  */
#define REQUIRE_ROOT()                                                                             \
  do                                                                                               \
    {                                                                                              \
      if (geteuid () != 0)                                                                         \
        skip ();                                                                                   \
    }                                                                                              \
  while (0)

/* Whatever a test left, also after a failure.  */
static int
teardown (void **state)
{
  char top[64];

  for (size_t i = 0; i < n_children; i++)
    if (children[i] > 0)
      {
        kill (children[i], SIGKILL);
        waitpid (children[i], NULL, 0);
      }
  n_children = 0;
  for (; n_made > 0; n_made--)
    {
      cleanup_error berth_error_t err = NULL;

      berth_cgroup_destroy (made[n_made - 1], &err);
      berth_cgroup_free (made[n_made - 1]);
    }
  snprintf (top, sizeof (top), "/berth-test-%d", (int)getpid ());
  rmdir_everywhere (top);
  if (v2_root)
    {
      char path[128];
      snprintf (path, sizeof (path), "%s%s", v2_root, top);
      rmdir (path);
    }
  for (size_t i = 0; i < 2; i++)
    if (node_paths[i][0])
      {
        unlink (node_paths[i]);
        node_paths[i][0] = '\0';
      }
  return 0;
}

/* v1 / hybrid (or v2) at the host root: the whole life of a container's
 * cgroup.  */
static void
test_host_lifecycle (void **state)
{
  REQUIRE_ROOT ();
  cleanup_free char *path = test_path ("life");
  cleanup_resources struct berth_resources *r
      = resources ("{'memory': {'limit': 67108864}, 'cpu': {'quota': 20000, 'period': 100000,"
                   " 'cpus': '0'}, 'pids': {'limit': 64},"
                   " 'hugepageLimits': [{'pageSize': '2MB', 'limit': 4194304}]}");
  struct berth_cgroup *cg = create_ok (NULL, path, r);
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *proc = NULL;
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  bool frozen = false;
  int go, status;
  pid_t child = spawn (NULL, NULL, &go);

  if (berth_cgroup_enter (cg, child, &err) < 0)
    fail_msg ("%s", err->msg);
  release (go);
  /* The child is in the cgroup of every hierarchy.  */
  proc = read_text ("/proc/%d/cgroup", (int)child);
  for (char *line = strtok (proc, "\n"); line; line = strtok (NULL, "\n"))
    if (strstr (line, path) == NULL)
      fail_msg ("child not in %s: %s", path, line);
  if (host_mode != BERTH_CGROUP_MODE_UNIFIED)
    {
      cleanup_free char *limit = read_text ("%s/memory%s/memory.limit_in_bytes", HOST_ROOT, path);
      cleanup_free char *quota = read_text ("%s/cpu%s/cpu.cfs_quota_us", HOST_ROOT, path);
      cleanup_free char *cpus = read_text ("%s/cpuset%s/cpuset.cpus", HOST_ROOT, path);
      cleanup_free char *mems = read_text ("%s/cpuset%s/cpuset.mems", HOST_ROOT, path);
      cleanup_free char *pmax = read_text ("%s/pids%s/pids.max", HOST_ROOT, path);

      assert_string_equal (limit, "67108864\n");
      assert_string_equal (quota, "20000\n");
      assert_string_equal (cpus, "0\n");
      assert_true (mems[0] != '\n'); /* inherited */
      assert_string_equal (pmax, "64\n");
    }
  if (host_mode == BERTH_CGROUP_MODE_HYBRID)
    {
      cleanup_free char *huge = read_text ("%s/unified%s/hugetlb.2MB.max", HOST_ROOT, path);
      assert_string_equal (huge, "4194304\n");
    }
  assert_int_equal (berth_cgroup_get_pids (cg, &pids, &n, &err), 0);
  assert_int_equal (n, 1);
  assert_int_equal (pids[0], child);

  /* Freeze through whichever freezer the host has (v1 freezer here).  */
  if (berth_cgroup_set_frozen (cg, true, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_int_equal (berth_cgroup_is_frozen (cg, &frozen, &err), 0);
  assert_true (frozen);
  if (host_mode != BERTH_CGROUP_MODE_UNIFIED)
    {
      cleanup_free char *state_text = read_text ("%s/freezer%s/freezer.state", HOST_ROOT, path);
      assert_string_equal (state_text, "FROZEN\n");
    }
  assert_int_equal (berth_cgroup_set_frozen (cg, false, &err), 0);
  assert_int_equal (berth_cgroup_is_frozen (cg, &frozen, &err), 0);
  assert_false (frozen);

  assert_int_equal (berth_cgroup_signal_all (cg, SIGTERM, &err), 0);
  status = wait_child (child);
  assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGTERM);
  destroy_ok (cg);
  assert_gone_everywhere (path);
}

/* delete after a container died badly: frozen, with a forked grandchild.  */
static int
fork_and_sleep (void *arg)
{
  if (fork () == 0)
    for (;;)
      pause ();
  for (;;)
    pause ();
  return 0;
}

/* Alive: neither gone nor a zombie waiting for a reaper.  */
static bool
process_alive (pid_t pid)
{
  cleanup_free char *path = NULL;
  cleanup_free char *stat = NULL;
  cleanup_error berth_error_t err = NULL;
  char *paren;

  assert_true (asprintf (&path, "/proc/%d/stat", (int)pid) > 0);
  if (berth_read_file (path, &stat, NULL, &err) < 0)
    return false;
  paren = strrchr (stat, ')');
  return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

static void
test_host_destroy_kills_frozen (void **state)
{
  REQUIRE_ROOT ();
  cleanup_free char *path = test_path ("frozen");
  struct berth_cgroup *cg = create_ok (NULL, path, NULL);
  cleanup_error berth_error_t err = NULL;
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  int go, status;
  pid_t child = spawn (fork_and_sleep, NULL, &go);

  assert_int_equal (berth_cgroup_enter (cg, child, &err), 0);
  release (go);
  for (int i = 0; i < 200 && n < 2; i++)
    {
      free (pids);
      pids = NULL;
      assert_int_equal (berth_cgroup_get_pids (cg, &pids, &n, &err), 0);
      usleep (5000);
    }
  assert_int_equal (n, 2);
  assert_int_equal (berth_cgroup_set_frozen (cg, true, &err), 0);
  if (berth_cgroup_destroy (cg, &err) < 0)
    fail_msg ("%s", err->msg);
  status = wait_child (child);
  assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  assert_false (process_alive (pids[0] == child ? pids[1] : pids[0])); /* the grandchild too */
  assert_gone_everywhere (path);
}

static void
test_host_failed_create_leaves_nothing (void **state)
{
  REQUIRE_ROOT ();
  cleanup_free char *path = test_path ("bad/c1");
  cleanup_resources struct berth_resources *r
      = resources ("{'pids': {'limit': 5}, 'cpu': {'period': 1}}");
  struct berth_cgroup_config cfg = { .id = "berth-test", .cgroups_path = path, .resources = r };
  cleanup_error berth_error_t err = NULL;
  struct berth_cgroup *cg = NULL;
  char top[64];

  assert_true (berth_cgroup_create (&cfg, &cg, &err) < 0);
  assert_non_null (strstr (err->msg, "cpu.period"));
  snprintf (top, sizeof (top), "/berth-test-%d", (int)getpid ());
  assert_gone_everywhere (top);
}

static void
test_host_stats_and_update (void **state)
{
  REQUIRE_ROOT ();
  cleanup_free char *path = test_path ("stats");
  cleanup_resources struct berth_resources *r = resources ("{'pids': {'limit': 10}}");
  cleanup_resources struct berth_resources *more = resources ("{'pids': {'limit': 20},"
                                                              " 'memory': {'limit': 33554432}}");
  struct berth_cgroup *cg = create_ok (NULL, path, r);
  cleanup_error berth_error_t err = NULL;
  json_auto_t *data = NULL;
  int go;
  pid_t child = spawn (NULL, NULL, &go);

  assert_int_equal (berth_cgroup_enter (cg, child, &err), 0);
  release (go);
  usleep (20000);
  if (berth_cgroup_update (cg, more, &err) < 0)
    fail_msg ("%s", err->msg);
  if (berth_cgroup_stats (cg, &data, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_int_equal (
      json_integer_value (json_object_get (json_object_get (data, "pids"), "current")), 1);
  assert_int_equal (json_integer_value (json_object_get (json_object_get (data, "pids"), "limit")),
                    20);
  assert_int_equal (json_integer_value (json_object_get (
                        json_object_get (json_object_get (data, "memory"), "usage"), "limit")),
                    33554432);
  assert_true (json_integer_value (json_object_get (
                   json_object_get (json_object_get (data, "cpu"), "usage"), "total"))
               > 0);
  assert_true (json_is_object (json_object_get (json_object_get (data, "memory"), "raw")));
  destroy_ok (cg);
  assert_gone_everywhere (path);
}

/* v1 devices controller (hybrid and v1 hosts).  */
static int
try_open (void *arg)
{
  int fd = open ((const char *)arg, O_RDONLY);

  if (fd < 0)
    return errno == EPERM ? 1 : 2;
  close (fd);
  return 0;
}

static const char *
make_node (int slot, unsigned major, unsigned minor)
{
  snprintf (node_paths[slot], sizeof (node_paths[slot]), "/tmp/berth-test-node-%d-%d",
            (int)getpid (), slot);
  unlink (node_paths[slot]);
  assert_int_equal (mknod (node_paths[slot], S_IFCHR | 0666, makedev (major, minor)), 0);
  return node_paths[slot];
}

static int
open_in_cgroup (struct berth_cgroup *cg, const char *node)
{
  cleanup_error berth_error_t err = NULL;
  int go, status;
  pid_t child = spawn (try_open, (void *)node, &go);

  if (berth_cgroup_enter (cg, child, &err) < 0)
    fail_msg ("%s", err->msg);
  release (go);
  status = wait_child (child);
  assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static void
test_host_v1_devices (void **state)
{
  REQUIRE_ROOT ();
  cleanup_free char *path = test_path ("dev1");
  cleanup_resources struct berth_resources *r
      = resources ("{'devices': [{'allow': false, 'access': 'rwm'},"
                   " {'allow': true, 'type': 'c', 'major': 1, 'minor': 3, 'access': 'rw'}]}");
  struct berth_cgroup *cg;
  cleanup_free char *list = NULL;
  const char *null_node, *zero_node;

  if (host_mode == BERTH_CGROUP_MODE_UNIFIED)
    skip ();
  cg = create_ok (NULL, path, r);
  list = read_text ("%s/devices%s/devices.list", HOST_ROOT, path);
  assert_string_equal (list, "c 1:3 rw\n");
  null_node = make_node (0, 1, 3);
  zero_node = make_node (1, 1, 5);
  assert_int_equal (open_in_cgroup (cg, null_node), 0);
  assert_int_equal (open_in_cgroup (cg, zero_node), 1); /* EPERM */
  destroy_ok (cg);
  assert_gone_everywhere (path);
}

/* The cgroup2 mount: freezer, cgroup.kill, CLONE_INTO_CGROUP, eBPF.  */

static int
query_device_programs (const char *dir)
{
  cleanup_close int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  uint32_t ids[8];
  union bpf_attr attr;

  assert_true (fd >= 0);
  memset (&attr, 0, sizeof (attr));
  attr.query.target_fd = fd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uintptr_t)ids;
  attr.query.prog_cnt = 8;
  assert_int_equal (syscall (__NR_bpf, BPF_PROG_QUERY, &attr, sizeof (attr)), 0);
  return (int)attr.query.prog_cnt;
}

static void
test_host_v2_devices_bpf (void **state)
{
  REQUIRE_ROOT ();
  cleanup_free char *path = test_path ("bpf");
  cleanup_free char *dir = NULL;
  cleanup_resources struct berth_resources *r
      = resources ("{'devices': [{'allow': false, 'access': 'rwm'},"
                   " {'allow': true, 'type': 'c', 'major': 1, 'minor': 5, 'access': 'rwm'}]}");
  cleanup_resources struct berth_resources *r2
      = resources ("{'devices': [{'allow': true, 'type': 'a', 'access': 'rwm'},"
                   " {'allow': false, 'type': 'c', 'major': 1, 'minor': 5, 'access': 'r'}]}");
  cleanup_error berth_error_t err = NULL;
  struct berth_cgroup *cg;
  const char *null_node, *zero_node;

  if (!have_v2)
    skip ();
  cg = create_ok (v2_root, path, r);
  assert_int_equal (berth_cgroup_mode (cg), BERTH_CGROUP_MODE_UNIFIED);
  assert_true (asprintf (&dir, "%s%s", v2_root ? v2_root : HOST_ROOT, path) > 0);
  assert_int_equal (query_device_programs (dir), 1);
  null_node = make_node (0, 1, 3);
  zero_node = make_node (1, 1, 5);
  assert_int_equal (open_in_cgroup (cg, null_node), 1); /* denied by the filter */
  assert_int_equal (open_in_cgroup (cg, zero_node), 0);
  /* update replaces the program rather than stacking a second one.  */
  if (berth_cgroup_update (cg, r2, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_int_equal (query_device_programs (dir), 1);
  assert_int_equal (open_in_cgroup (cg, null_node), 0);
  assert_int_equal (open_in_cgroup (cg, zero_node), 1);
  destroy_ok (cg);
  assert_false (path_exists ("%s", dir));
}

struct clone_check
{
  const char *path;
};

static void
test_host_v2_lifecycle (void **state)
{
  REQUIRE_ROOT ();
  cleanup_free char *path = test_path ("v2");
  cleanup_free char *dir = NULL;
  cleanup_free char *events = NULL;
  cleanup_free char *proc = NULL;
  cleanup_free char *expected = NULL;
  cleanup_error berth_error_t err = NULL;
  cleanup_close int dirfd = -1;
  struct berth_cgroup *cg;
  bool frozen = false;
  int go, status;
  pid_t child, cloned;

  if (!have_v2)
    skip ();
  cg = create_ok (v2_root, path, NULL);
  assert_true (asprintf (&dir, "%s%s", v2_root ? v2_root : HOST_ROOT, path) > 0);
  assert_true (asprintf (&expected, "0::%s\n", path) > 0);
  child = spawn (NULL, NULL, &go);
  assert_int_equal (berth_cgroup_enter (cg, child, &err), 0);
  release (go);
  proc = read_text ("/proc/%d/cgroup", (int)child);
  assert_non_null (strstr (proc, expected));

  /* cgroup.freeze, settled when cgroup.events says so.  */
  if (berth_cgroup_set_frozen (cg, true, &err) < 0)
    fail_msg ("%s", err->msg);
  events = read_text ("%s/cgroup.events", dir);
  assert_non_null (strstr (events, "frozen 1"));
  assert_int_equal (berth_cgroup_is_frozen (cg, &frozen, &err), 0);
  assert_true (frozen);
  assert_int_equal (berth_cgroup_set_frozen (cg, false, &err), 0);
  assert_int_equal (berth_cgroup_is_frozen (cg, &frozen, &err), 0);
  assert_false (frozen);

  /* clone3 (CLONE_INTO_CGROUP) with the directory descriptor.  */
  if (berth_cgroup_open_dir_fd (cg, &dirfd, &err) < 0)
    fail_msg ("%s", err->msg);
  {
    struct clone_args args;

    memset (&args, 0, sizeof (args));
    args.flags = CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = (uint64_t)dirfd;
    cloned = (pid_t)syscall (__NR_clone3, &args, sizeof (args));
    assert_true (cloned >= 0);
    if (cloned == 0)
      {
        char buf[512] = "";
        int fd = open ("/proc/self/cgroup", O_RDONLY);
        ssize_t len = fd >= 0 ? read (fd, buf, sizeof (buf) - 1) : -1;

        _exit (len > 0 && strstr (buf, expected) ? 0 : 1);
      }
    assert_int_equal (waitpid (cloned, &status, 0), cloned);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  }

  /* destroy with the child alive: cgroup.kill.  */
  destroy_ok (cg);
  status = wait_child (child);
  assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  assert_false (path_exists ("%s", dir));
}

/* Hybrid: the v2 directory, for clone3 into it (the v1 hierarchies are
 * joined separately); plain v1 has none.  */
static void
test_host_dir_fd_needs_v2 (void **state)
{
  REQUIRE_ROOT ();
  cleanup_free char *path = test_path ("fd");
  cleanup_error berth_error_t err = NULL;
  struct berth_cgroup *cg;
  int fd = -1;

  if (host_mode == BERTH_CGROUP_MODE_UNIFIED)
    skip ();
  cg = create_ok (NULL, path, NULL);
  if (host_mode == BERTH_CGROUP_MODE_HYBRID)
    {
      struct statfs sfs;
      assert_int_equal (berth_cgroup_open_dir_fd (cg, &fd, &err), 0);
      assert_int_equal (fstatfs (fd, &sfs), 0);
      assert_true (sfs.f_type == CGROUP2_SUPER_MAGIC);
      close (fd);
    }
  else
    assert_int_equal (berth_cgroup_open_dir_fd (cg, &fd, &err), -EOPNOTSUPP);
  destroy_ok (cg);
}

/* A real OOM kill under a 20 MiB limit.  */
static int
allocate_100m (void *arg)
{
  size_t size = 100 << 20;
  volatile char *p = malloc (size); /* volatile: the stores must happen */

  if (p == NULL)
    return 2;
  for (size_t i = 0; i < size; i += 4096)
    p[i] = 1;
  return 0;
}

static void
test_host_oom (void **state)
{
  REQUIRE_ROOT ();
  cleanup_free char *path = test_path ("oom");
  cleanup_resources struct berth_resources *r
      = resources ("{'memory': {'limit': 20971520, 'swap': 20971520}}");
  struct berth_cgroup *cg = create_ok (NULL, path, r);
  cleanup_error berth_error_t err = NULL;
  struct berth_cgroup_oom_watch *w = NULL;
  struct pollfd pfd;
  uint64_t kills = 0, events = 0;
  int go, status;
  pid_t child;

  if (berth_cgroup_oom_watch_open (cg, &w, &err) < 0)
    fail_msg ("%s", err->msg);
  child = spawn (allocate_100m, NULL, &go);
  assert_int_equal (berth_cgroup_enter (cg, child, &err), 0);
  release (go);
  status = wait_child (child);
  if (!WIFSIGNALED (status) || WTERMSIG (status) != SIGKILL)
    fail_msg ("child status 0x%x, not killed", status);
  assert_int_equal (berth_cgroup_oom_kill_count (cg, &kills, &err), 0);
  assert_true (kills >= 1);
  pfd.fd = berth_cgroup_oom_watch_fd (w);
  pfd.events = POLLIN;
  assert_int_equal (poll (&pfd, 1, 2000), 1);
  assert_int_equal (berth_cgroup_oom_watch_read (w, &events, &err), 0);
  assert_true (events >= 1);
  berth_cgroup_oom_watch_free (w);
  destroy_ok (cg);
  assert_gone_everywhere (path);
}

/* Hybrid only: the same cgroup in the v1 hierarchies and on the unified
 * mount, joined by one enter.  */
static void
test_host_saved_form (void **state)
{
  REQUIRE_ROOT ();
  cleanup_free char *path = test_path ("saved");
  struct berth_cgroup *cg = create_ok (NULL, path, NULL);
  cleanup_free char *text = berth_cgroup_serialize (cg);
  cleanup_error berth_error_t err = NULL;
  struct berth_cgroup *loaded = NULL;

  assert_non_null (text);
  if (berth_cgroup_load (text, &loaded, &err) < 0)
    fail_msg ("%s", err->msg);
  made[n_made++] = loaded;
  assert_int_equal (berth_cgroup_mode (loaded), host_mode);
  destroy_ok (loaded);
  assert_gone_everywhere (path);
  {
    char top[64];
    snprintf (top, sizeof (top), "/berth-test-%d", (int)getpid ());
    assert_gone_everywhere (top); /* the parent berth made went too */
  }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_teardown (test_host_lifecycle, teardown),
    cmocka_unit_test_teardown (test_host_destroy_kills_frozen, teardown),
    cmocka_unit_test_teardown (test_host_failed_create_leaves_nothing, teardown),
    cmocka_unit_test_teardown (test_host_stats_and_update, teardown),
    cmocka_unit_test_teardown (test_host_v1_devices, teardown),
    cmocka_unit_test_teardown (test_host_v2_devices_bpf, teardown),
    cmocka_unit_test_teardown (test_host_v2_lifecycle, teardown),
    cmocka_unit_test_teardown (test_host_dir_fd_needs_v2, teardown),
    cmocka_unit_test_teardown (test_host_oom, teardown),
    cmocka_unit_test_teardown (test_host_saved_form, teardown),
  };
  return cmocka_run_group_tests (tests, group_setup, group_teardown);
}
