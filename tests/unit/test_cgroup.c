/* Tests for the cgroup subsystem (linux/cgroup*.c) as pure logic and
 * against stand-in trees of plain files laid out like cgroupfs (v1,
 * hybrid, unified): paths, detection, what create/update write where,
 * conversions, destroy, the saved form, freezer, pids, stats, OOM counts,
 * and the device filter generator run in a small eBPF interpreter.  The
 * real-kernel tests are in test_cgroup_host.c.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/cgroup/cgroup.h"
#include "linux/cgroup/cgroup_internal.h"
#include "oci/resources.h"
#include "util.h"

/* Stand-in trees.  */

struct hierarchy_layout
{
  const char *name;
  const char *files[32]; /* "name" or "name=content" */
};

static const struct hierarchy_layout v1_layout[] = {
  { "cpu",
    { "cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.cfs_burst_us", "cpu.rt_period_us",
      "cpu.rt_runtime_us", "cpu.idle", "cpu.stat" } },
  { "cpuacct", { "cpuacct.usage", "cpuacct.usage_percpu", "cpuacct.stat", "cpuacct.usage_all" } },
  { "cpuset", { "cpuset.cpus=0-3\n", "cpuset.mems=0\n", "cpuset.cpu_exclusive" } },
  { "memory",
    { "memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes",
      "memory.swappiness", "memory.oom_control", "memory.use_hierarchy", "memory.usage_in_bytes",
      "memory.max_usage_in_bytes", "memory.failcnt", "memory.memsw.usage_in_bytes", "memory.stat",
      "cgroup.event_control" } },
  { "devices", { "devices.allow", "devices.deny", "devices.list" } },
  { "freezer", { "freezer.state=THAWED\n" } },
  { "blkio",
    { "blkio.weight", "blkio.leaf_weight", "blkio.weight_device", "blkio.leaf_weight_device",
      "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
      "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device",
      "blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_serviced_recursive" } },
  { "pids", { "pids.max", "pids.current" } },
  { "hugetlb",
    { "hugetlb.2MB.limit_in_bytes", "hugetlb.2MB.usage_in_bytes", "hugetlb.2MB.max_usage_in_bytes",
      "hugetlb.2MB.failcnt", "hugetlb.2MB.rsvd.limit_in_bytes",
      "hugetlb.2MB.rsvd.usage_in_bytes" } },
  { "net_cls,net_prio", { "net_cls.classid", "net_prio.ifpriomap" } },
  { "systemd", { "" } },
};

static const struct hierarchy_layout v2_layout = {
  "",
  { "cgroup.controllers=cpuset cpu io memory hugetlb pids rdma\n",
    "cgroup.subtree_control",
    "cgroup.freeze",
    "cgroup.events=populated 0\nfrozen 0\n",
    "cgroup.kill",
    "cpu.max",
    "cpu.weight",
    "cpu.max.burst",
    "cpu.idle",
    "cpu.stat",
    "cpuset.cpus",
    "cpuset.mems",
    "cpuset.cpus.effective",
    "memory.max",
    "memory.swap.max",
    "memory.low",
    "memory.high",
    "memory.current",
    "memory.swap.current",
    "memory.events",
    "memory.stat",
    "memory.peak",
    "pids.max",
    "pids.current",
    "io.weight",
    "io.max",
    "io.stat",
    "hugetlb.2MB.max",
    "hugetlb.2MB.current",
    "hugetlb.2MB.events",
    "rdma.max" },
};

static const struct hierarchy_layout hybrid_unified_layout = {
  "unified",
  { "cgroup.controllers=hugetlb\n", "cgroup.subtree_control", "cgroup.freeze",
    "cgroup.events=populated 0\nfrozen 0\n", "cgroup.kill", "cpu.stat", "hugetlb.2MB.max",
    "hugetlb.2MB.rsvd.max", "hugetlb.2MB.current", "hugetlb.2MB.events" },
};

static void
write_text (const char *path, const char *text)
{
  cleanup_error berth_error_t err = NULL;

  if (berth_write_file (path, text, strlen (text), 0644, &err) < 0)
    fail_msg ("%s", err->msg);
}

static void
make_layout (const char *root, const struct hierarchy_layout *h)
{
  cleanup_free char *dir = NULL;
  cleanup_error berth_error_t err = NULL;

  assert_true (asprintf (&dir, "%s/%s", root, h->name) > 0);
  assert_int_equal (berth_mkdir_p (dir, 0755, &err), 0);
  for (size_t i = 0; i < 32 && h->files[i]; i++)
    {
      cleanup_free char *name = strdup (h->files[i]);
      cleanup_free char *path = NULL;
      char *eq = strchr (name, '=');

      if (name[0] == '\0')
        continue;
      if (eq)
        *eq = '\0';
      assert_true (asprintf (&path, "%s/%s", dir, name) > 0);
      write_text (path, eq ? eq + 1 : "");
    }
  /* Every cgroup has these.  */
  {
    cleanup_free char *procs = NULL;
    assert_true (asprintf (&procs, "%s/cgroup.procs", dir) > 0);
    write_text (procs, "");
  }
}

/* Every tree made by a test is removed by its teardown, also when the
 * test fails half-way (cmocka leaves by longjmp, past cleanup handlers).  */
static char *roots[8];
static size_t n_roots;

static char *
new_root (void)
{
  char *root = strdup ("/tmp/berth-test-cgroup-XXXXXX");

  assert_non_null (root);
  assert_non_null (mkdtemp (root));
  assert_true (n_roots < sizeof (roots) / sizeof (roots[0]));
  roots[n_roots++] = root;
  return root;
}

static int
remove_roots (void **state)
{
  for (; n_roots > 0; n_roots--)
    {
      cleanup_error berth_error_t err = NULL;

      berth_remove_tree (roots[n_roots - 1], &err);
      free (roots[n_roots - 1]);
    }
  return 0;
}

static char *
make_v1_tree (bool with_hugetlb)
{
  char *root = new_root ();
  cleanup_free char *link = NULL;

  for (size_t i = 0; i < sizeof (v1_layout) / sizeof (v1_layout[0]); i++)
    if (with_hugetlb || strcmp (v1_layout[i].name, "hugetlb") != 0)
      make_layout (root, &v1_layout[i]);
  /* The cpu -> cpu,cpuacct style links are not hierarchies of their own.  */
  assert_true (asprintf (&link, "%s/net_cls", root) > 0);
  assert_int_equal (symlink ("net_cls,net_prio", link), 0);
  return root;
}

static char *
make_v2_tree (void)
{
  char *root = new_root ();
  make_layout (root, &v2_layout);
  return root;
}

static char *
make_hybrid_tree (void)
{
  char *root = new_root ();

  for (size_t i = 0; i < sizeof (v1_layout) / sizeof (v1_layout[0]); i++)
    if (strcmp (v1_layout[i].name, "hugetlb") != 0
        && strcmp (v1_layout[i].name, "net_cls,net_prio") != 0)
      make_layout (root, &v1_layout[i]);
  make_layout (root, &hybrid_unified_layout);
  return root;
}

/* The content of ROOT/REL ("" when empty); fails when missing.  */
static char *
slurp (const char *root, const char *rel)
{
  cleanup_free char *path = NULL;
  cleanup_error berth_error_t err = NULL;
  char *text = NULL;

  assert_true (asprintf (&path, "%s/%s", root, rel) > 0);
  if (berth_read_file (path, &text, NULL, &err) < 0)
    fail_msg ("%s", err->msg);
  return text;
}

static void
assert_file (const char *root, const char *rel, const char *expected)
{
  cleanup_free char *text = slurp (root, rel);

  if (strcmp (text, expected) != 0)
    fail_msg ("%s: expected \"%s\", found \"%s\"", rel, expected, text);
}

static bool
exists (const char *root, const char *rel)
{
  cleanup_free char *path = NULL;

  assert_true (asprintf (&path, "%s/%s", root, rel) > 0);
  return access (path, F_OK) == 0;
}

static void
put (const char *root, const char *rel, const char *text)
{
  cleanup_free char *path = NULL;

  assert_true (asprintf (&path, "%s/%s", root, rel) > 0);
  write_text (path, text);
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

static void
cgroup_freep (struct berth_cgroup **cg)
{
  berth_cgroup_free (*cg);
}

#define cleanup_resources __attribute__ ((cleanup (resources_freep)))
#define cleanup_cgroup __attribute__ ((cleanup (cgroup_freep)))

static struct berth_cgroup *
create_ok (const char *root, const char *id, const char *path, bool systemd,
           const struct berth_resources *r)
{
  struct berth_cgroup_config cfg
      = { .id = id, .cgroups_path = path, .systemd = systemd, .resources = r, .root = root };
  cleanup_error berth_error_t err = NULL;
  struct berth_cgroup *cg = NULL;

  if (berth_cgroup_create (&cfg, &cg, &err) < 0)
    fail_msg ("create: %s", err->msg);
  return cg;
}

static void
create_fails (const char *root, const char *path, const struct berth_resources *r,
              const char *expected)
{
  struct berth_cgroup_config cfg
      = { .id = "c1", .cgroups_path = path, .resources = r, .root = root };
  cleanup_error berth_error_t err = NULL;
  struct berth_cgroup *cg = NULL;

  assert_int_equal (berth_cgroup_create (&cfg, &cg, &err) < 0, 1);
  assert_null (cg);
  if (strstr (err->msg, expected) == NULL)
    fail_msg ("expected \"%s\" in \"%s\"", expected, err->msg);
}

static void
destroy_ok (struct berth_cgroup *cg)
{
  cleanup_error berth_error_t err = NULL;

  if (berth_cgroup_destroy (cg, &err) < 0)
    fail_msg ("destroy: %s", err->msg);
}

/* Paths.  */

static void
test_resolve_path (void **state)
{
  static const struct
  {
    const char *id, *path;
    bool systemd;
    const char *expected; /* or the error, after "!" */
  } cases[] = {
    { "c1", NULL, false, "/c1" },
    { "c1", "", false, "/c1" },
    { "c1", "foo/bar", false, "/foo/bar" },
    { "c1", "/a//./b/", false, "/a/b" },
    { "c1", "/a/../b", false, "!cgroupsPath `/a/../b`: `..` is not allowed" },
    { "c1", "/", false, "!cgroupsPath `/`: names the root cgroup" },
    { "a/b", NULL, false, "!invalid container id `a/b` for a cgroup" },
    { "c1", NULL, true, "/system.slice/berth-c1.scope" },
    { "c1", "system.slice:docker:abc", true, "/system.slice/docker-abc.scope" },
    { "c1", "-.slice:p:n", true, "/p-n.scope" },
    { "c1", "a-b-c.slice:p:n", true, "/a.slice/a-b.slice/a-b-c.slice/p-n.scope" },
    { "c1", ":p:n", true, "/system.slice/p-n.scope" },
    { "c1", "user.slice::n", true, "/user.slice/n.scope" },
    { "c1", "machine.slice:p:x.slice", true, "/machine.slice/x.slice" },
    { "c1", "a:b", true, "!cgroupsPath `a:b`: expected \"slice:prefix:name\" for systemd cgroups" },
    { "c1", "a:b:c:d", true, "!expected \"slice:prefix:name\"" },
    { "c1", "a--b.slice:p:n", true,
      "!cgroupsPath `a--b.slice:p:n`: invalid slice name `a--b.slice`" },
    { "c1", "-a.slice:p:n", true, "!invalid slice name `-a.slice`" },
    { "c1", "foo:p:n", true, "!invalid slice name `foo`" },
    { "c1", "a/b.slice:p:n", true, "!invalid slice name `a/b.slice`" },
    { "c1", "system.slice:p:", true, "!invalid unit name" },
  };

  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      cleanup_error berth_error_t err = NULL;
      cleanup_free char *path = NULL;
      int r = berth_cgroup_resolve_path (cases[i].id, cases[i].path, cases[i].systemd, &path, &err);

      print_message ("# case %s %s\n", cases[i].id, cases[i].path ? cases[i].path : "(null)");
      if (cases[i].expected[0] == '!')
        {
          assert_int_equal (r, -1);
          if (strstr (err->msg, cases[i].expected + 1) == NULL)
            fail_msg ("expected \"%s\" in \"%s\"", cases[i].expected + 1, err->msg);
        }
      else
        {
          if (r < 0)
            fail_msg ("%s", err->msg);
          assert_string_equal (path, cases[i].expected);
        }
    }
}

static void
test_detect_mode (void **state)
{
  char *v1 = make_v1_tree (true);
  char *v2 = make_v2_tree ();
  char *hybrid = make_hybrid_tree ();
  cleanup_error berth_error_t err = NULL;
  enum berth_cgroup_mode mode;

  assert_int_equal (berth_cgroup_detect_mode (v1, &mode, &err), 0);
  assert_int_equal (mode, BERTH_CGROUP_MODE_V1);
  assert_int_equal (berth_cgroup_detect_mode (v2, &mode, &err), 0);
  assert_int_equal (mode, BERTH_CGROUP_MODE_UNIFIED);
  assert_int_equal (berth_cgroup_detect_mode (hybrid, &mode, &err), 0);
  assert_int_equal (mode, BERTH_CGROUP_MODE_HYBRID);
  assert_true (cg_root_is_fake (v1));
  assert_false (cg_root_is_fake ("/sys/fs/cgroup"));
  assert_int_equal (berth_cgroup_detect_mode ("/nonexistent-berth", &mode, &err), -ENOENT);
}

/* Create on v1: every value in its file.  */

static const char v1_resources[]
    = "{'memory': {'limit': 67108864, 'swap': 134217728, 'reservation': 33554432,"
      "            'swappiness': 60, 'disableOOMKiller': true, 'kernel': 1},"
      " 'cpu': {'shares': 512, 'quota': 20000, 'period': 100000, 'burst': 1000, 'idle': 0,"
      "         'cpus': '1'},"
      " 'pids': {'limit': 32},"
      " 'blockIO': {'weight': 500, 'weightDevice': [{'major': 8, 'minor': 0, 'weight': 600}],"
      "             'throttleReadBpsDevice': [{'major': 8, 'minor': 0, 'rate': 1048576},"
      "                                       {'major': 8, 'minor': 16, 'rate': 5}]},"
      " 'hugepageLimits': [{'pageSize': '2MB', 'limit': 209715200}],"
      " 'network': {'classID': 1048577, 'priorities': [{'name': 'eth0', 'priority': 5}]},"
      " 'devices': [{'allow': false, 'access': 'rwm'},"
      "             {'allow': true, 'type': 'c', 'major': 1, 'minor': 3, 'access': 'rw'},"
      "             {'allow': false, 'type': 'b', 'major': 8, 'access': 'm'}]}";

static void
test_v1_create (void **state)
{
  char *root = make_v1_tree (true);
  cleanup_resources struct berth_resources *r = resources (v1_resources);
  cleanup_cgroup struct berth_cgroup *cg = create_ok (root, "c1", "/berth-test/c1", false, r);

  assert_int_equal (berth_cgroup_mode (cg), BERTH_CGROUP_MODE_V1);
  assert_string_equal (berth_cgroup_path (cg), "/berth-test/c1");
  /* A directory in every hierarchy, the named systemd one included.  */
  for (size_t i = 0; i < sizeof (v1_layout) / sizeof (v1_layout[0]); i++)
    {
      cleanup_free char *rel = NULL;
      assert_true (asprintf (&rel, "%s/berth-test/c1", v1_layout[i].name) > 0);
      assert_true (exists (root, rel));
    }
  assert_int_equal (cg->n_v1, sizeof (v1_layout) / sizeof (v1_layout[0]));
  assert_file (root, "memory/berth-test/c1/memory.limit_in_bytes", "67108864");
  assert_file (root, "memory/berth-test/c1/memory.memsw.limit_in_bytes", "134217728");
  assert_file (root, "memory/berth-test/c1/memory.soft_limit_in_bytes", "33554432");
  assert_file (root, "memory/berth-test/c1/memory.swappiness", "60");
  assert_file (root, "memory/berth-test/c1/memory.oom_control", "1");
  assert_file (root, "memory/berth-test/c1/memory.use_hierarchy", "");
  assert_file (root, "cpu/berth-test/c1/cpu.shares", "512");
  assert_file (root, "cpu/berth-test/c1/cpu.cfs_quota_us", "20000");
  assert_file (root, "cpu/berth-test/c1/cpu.cfs_period_us", "100000");
  assert_file (root, "cpu/berth-test/c1/cpu.cfs_burst_us", "1000");
  assert_file (root, "cpu/berth-test/c1/cpu.idle", "0");
  assert_file (root, "cpu/berth-test/c1/cpu.rt_runtime_us", "");
  /* cpuset: the intermediate level inherits, the leaf gets the spec's cpus.  */
  assert_file (root, "cpuset/berth-test/cpuset.cpus", "0-3");
  assert_file (root, "cpuset/berth-test/cpuset.mems", "0");
  assert_file (root, "cpuset/berth-test/c1/cpuset.cpus", "1");
  assert_file (root, "cpuset/berth-test/c1/cpuset.mems", "0");
  assert_file (root, "pids/berth-test/c1/pids.max", "32");
  assert_file (root, "blkio/berth-test/c1/blkio.weight", "500");
  assert_file (root, "blkio/berth-test/c1/blkio.weight_device", "8:0 600\n");
  assert_file (root, "blkio/berth-test/c1/blkio.leaf_weight_device", "");
  assert_file (root, "blkio/berth-test/c1/blkio.throttle.read_bps_device", "8:0 1048576\n8:16 5\n");
  assert_file (root, "hugetlb/berth-test/c1/hugetlb.2MB.limit_in_bytes", "209715200");
  assert_file (root, "hugetlb/berth-test/c1/hugetlb.2MB.rsvd.limit_in_bytes", "209715200");
  assert_file (root, "net_cls,net_prio/berth-test/c1/net_cls.classid", "1048577");
  assert_file (root, "net_cls,net_prio/berth-test/c1/net_prio.ifpriomap", "eth0 5\n");
  /* Deny all, then the rules in order, each into its file.  */
  assert_file (root, "devices/berth-test/c1/devices.deny", "a\na\nb 8:* m\n");
  assert_file (root, "devices/berth-test/c1/devices.allow", "c 1:3 rw\n");
  destroy_ok (cg);
  assert_false (exists (root, "memory/berth-test"));
  assert_false (exists (root, "systemd/berth-test"));
  assert_true (exists (root, "memory"));
}

static void
test_v1_default_devices (void **state)
{
  char *root = make_v1_tree (true);
  struct berth_cgroup_config cfg = { .id = "c2", .root = root, .default_devices = true };
  cleanup_cgroup struct berth_cgroup *cg = NULL;
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *allow = NULL;
  size_t n;

  assert_int_equal (berth_cgroup_default_device_rules (&n)[0].access[0], 'm');
  assert_int_equal (n, 11);
  /* No resources at all: still deny all, then runc's defaults.  */
  if (berth_cgroup_create (&cfg, &cg, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_file (root, "devices/c2/devices.deny", "a\n");
  allow = slurp (root, "devices/c2/devices.allow");
  assert_non_null (strstr (allow, "c *:* m\nb *:* m\nc 1:3 rwm\nc 1:8 rwm\n"));
  assert_non_null (strstr (allow, "c 136:* rwm\nc 5:2 rwm\nc 10:200 rwm\n"));
  destroy_ok (cg);
}

/* Create on v2: conversions, cgroup.subtree_control on the way down.  */

static const char v2_resources[]
    = "{'memory': {'limit': 67108864, 'swap': 134217728, 'reservation': 33554432},"
      " 'cpu': {'shares': 512, 'quota': 20000, 'period': 100000, 'burst': 1000, 'idle': 1,"
      "         'cpus': '0-1', 'mems': '0'},"
      " 'pids': {'limit': -1},"
      " 'blockIO': {'weight': 500,"
      "             'throttleReadBpsDevice': [{'major': 8, 'minor': 0, 'rate': 1048576}],"
      "             'throttleWriteIOPSDevice': [{'major': 8, 'minor': 0, 'rate': 7}]},"
      " 'hugepageLimits': [{'pageSize': '2MB', 'limit': 4194304}],"
      " 'rdma': {'mlx5_1': {'hcaHandles': 3, 'hcaObjects': 10000}},"
      " 'devices': [{'allow': false, 'access': 'rwm'}],"
      " 'unified': {'memory.high': '50331648'}}";

static void
test_v2_create (void **state)
{
  char *root = make_v2_tree ();
  cleanup_resources struct berth_resources *r = resources (v2_resources);
  cleanup_cgroup struct berth_cgroup *cg = create_ok (root, "c1", "/berth-test/a/c1", false, r);
  const char *all = "+cpuset +cpu +io +memory +hugetlb +pids +rdma";

  assert_int_equal (berth_cgroup_mode (cg), BERTH_CGROUP_MODE_UNIFIED);
  assert_file (root, "cgroup.subtree_control", all);
  assert_file (root, "berth-test/cgroup.subtree_control", all);
  assert_file (root, "berth-test/a/cgroup.subtree_control", all);
  assert_file (root, "berth-test/a/c1/cgroup.subtree_control", "");
  assert_file (root, "berth-test/a/c1/cpu.max", "20000 100000");
  assert_file (root, "berth-test/a/c1/cpu.weight", "59");
  assert_file (root, "berth-test/a/c1/cpu.max.burst", "1000");
  assert_file (root, "berth-test/a/c1/cpu.idle", "1");
  assert_file (root, "berth-test/a/c1/cpuset.cpus", "0-1");
  assert_file (root, "berth-test/a/c1/cpuset.mems", "0");
  assert_file (root, "berth-test/a/c1/memory.max", "67108864");
  assert_file (root, "berth-test/a/c1/memory.swap.max", "67108864"); /* swap - limit */
  assert_file (root, "berth-test/a/c1/memory.low", "33554432");
  assert_file (root, "berth-test/a/c1/memory.high", "50331648\n");
  assert_file (root, "berth-test/a/c1/pids.max", "max");
  assert_file (root, "berth-test/a/c1/io.weight", "4950"); /* no BFQ: converted */
  assert_file (root, "berth-test/a/c1/io.max", "8:0 rbps=1048576\n8:0 wiops=7\n");
  assert_file (root, "berth-test/a/c1/hugetlb.2MB.max", "4194304");
  assert_file (root, "berth-test/a/c1/rdma.max", "mlx5_1 hca_handle=3 hca_object=10000\n");
  destroy_ok (cg);
  assert_false (exists (root, "berth-test"));
  assert_true (exists (root, "cgroup.controllers"));
}

static void
test_v2_bfq_and_quota_forms (void **state)
{
  char *root = make_v2_tree ();
  cleanup_resources struct berth_resources *r
      = resources ("{'cpu': {'quota': -1}, 'blockIO': {'weight': 500,"
                   " 'weightDevice': [{'major': 8, 'minor': 16, 'weight': 100}]},"
                   " 'memory': {'limit': -1}}");
  cleanup_cgroup struct berth_cgroup *cg = NULL;

  put (root, "io.bfq.weight", "");
  cg = create_ok (root, "c1", NULL, false, r);
  assert_file (root, "c1/cpu.max", "max");
  /* BFQ takes the v1 value as is; the device line came last.  */
  assert_file (root, "c1/io.bfq.weight", "8:16 100");
  assert_file (root, "c1/io.weight", "");
  assert_file (root, "c1/memory.max", "max");
  assert_file (root, "c1/memory.swap.max", "max"); /* unlimited memory: swap too */
  destroy_ok (cg);
}

static void
test_v2_refusals_leave_nothing (void **state)
{
  char *root = make_v2_tree ();
  static const struct
  {
    const char *json, *msg;
  } cases[] = {
    { "{'cpu': {'realtimeRuntime': 1000}}",
      "cpu.realtimeRuntime: real-time groups are not supported on cgroup v2" },
    { "{'network': {'classID': 1}}", "network: not supported on cgroup v2" },
    { "{'memory': {'swappiness': 10}}", "memory.swappiness: not supported on cgroup v2" },
    { "{'memory': {'disableOOMKiller': true}}",
      "memory.disableOOMKiller: not supported on cgroup v2" },
    { "{'memory': {'swap': 100}}", "memory.swap: cannot limit swap without a memory limit" },
    { "{'memory': {'limit': 200, 'swap': 100}}",
      "memory+swap limit 100 is lower than the memory limit 200" },
    { "{'blockIO': {'leafWeight': 10}}", "blockIO.leafWeight: not supported on cgroup v2" },
    { "{'hugepageLimits': [{'pageSize': '1GB', 'limit': 1}]}",
      "hugepageLimits[0]: page size 1GB is not supported" },
    { "{'unified': {'misc.max': 'x'}}", "unified.misc.max: controller `misc` is not available in" },
    { "{'unified': {'cgroup.nope': 'x'}}", "unified.cgroup.nope: open" },
  };

  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      cleanup_resources struct berth_resources *r = resources (cases[i].json);

      print_message ("# case %s\n", cases[i].json);
      create_fails (root, "/berth-test/deep/c1", r, cases[i].msg);
      assert_false (exists (root, "berth-test"));
    }
}

/* Hybrid: hugetlb lives on the unified mount here, the rest on v1.  */
static void
test_hybrid_create (void **state)
{
  char *root = make_hybrid_tree ();
  cleanup_resources struct berth_resources *r
      = resources ("{'memory': {'limit': 1048576}, 'cpu': {'quota': 20000, 'period': 100000},"
                   " 'hugepageLimits': [{'pageSize': '2MB', 'limit': 2097152}],"
                   " 'unified': {'hugetlb.2MB.rsvd.max': '4194304'}}");
  cleanup_resources struct berth_resources *net = resources ("{'network': {'classID': 7}}");
  cleanup_resources struct berth_resources *bad_unified
      = resources ("{'unified': {'memory.high': '1'}}");
  cleanup_cgroup struct berth_cgroup *cg = create_ok (root, "c1", NULL, false, r);

  assert_int_equal (berth_cgroup_mode (cg), BERTH_CGROUP_MODE_HYBRID);
  assert_file (root, "memory/c1/memory.limit_in_bytes", "1048576");
  assert_file (root, "cpu/c1/cpu.cfs_quota_us", "20000");
  assert_file (root, "unified/cgroup.subtree_control", "+hugetlb");
  assert_file (root, "unified/c1/hugetlb.2MB.max", "2097152");
  assert_file (root, "unified/c1/hugetlb.2MB.rsvd.max", "4194304\n"); /* unified overrides */
  assert_true (exists (root, "systemd/c1"));
  destroy_ok (cg);
  assert_false (exists (root, "unified/c1"));
  assert_false (exists (root, "memory/c1"));

  create_fails (root, NULL, net, "network.classID: the net_cls cgroup controller is not available");
  create_fails (root, NULL, bad_unified,
                "unified.memory.high: controller `memory` is not available");
  assert_false (exists (root, "memory/c1"));
  assert_false (exists (root, "unified/c1"));
}

static void
test_v1_refusals (void **state)
{
  char *root = make_v1_tree (false);
  cleanup_resources struct berth_resources *unified
      = resources ("{'unified': {'memory.high': '1'}}");
  cleanup_resources struct berth_resources *huge
      = resources ("{'hugepageLimits': [{'pageSize': '2MB', 'limit': 1}]}");

  create_fails (root, NULL, unified, "unified: requires cgroup v2");
  create_fails (root, NULL, huge, "hugepageLimits: the hugetlb cgroup controller is not available");
  assert_false (exists (root, "memory/c1"));
  assert_false (exists (root, "cpu/c1"));
}

/* Update: only what is given is written.  */

static void
test_update (void **state)
{
  char *root = make_v2_tree ();
  cleanup_resources struct berth_resources *initial
      = resources ("{'cpu': {'quota': 20000, 'period': 100000}, 'memory': {'limit': 67108864}}");
  cleanup_resources struct berth_resources *period = resources ("{'cpu': {'period': 50000}}");
  cleanup_resources struct berth_resources *swap = resources ("{'memory': {'swap': 100663296}}");
  cleanup_resources struct berth_resources *checked
      = resources ("{'memory': {'limit': 50000000, 'checkBeforeUpdate': true}}");
  cleanup_cgroup struct berth_cgroup *cg = create_ok (root, "c1", NULL, false, initial);
  cleanup_error berth_error_t err = NULL;

  assert_int_equal (berth_cgroup_update (cg, period, &err), 0);
  assert_file (root, "c1/cpu.max", "20000 50000"); /* the quota in force is kept */
  assert_int_equal (berth_cgroup_update (cg, swap, &err), 0);
  assert_file (root, "c1/memory.swap.max", "33554432"); /* minus the limit in force */
  assert_file (root, "c1/memory.max", "67108864");
  put (root, "c1/memory.current", "100000000\n");
  assert_int_equal (berth_cgroup_update (cg, checked, &err), -1);
  assert_string_equal (err->msg, "update cgroup `/c1`: memory.limit: 50000000 is not above the "
                                 "current usage 100000000");
  assert_file (root, "c1/memory.max", "67108864");
  destroy_ok (cg);
}

static void
test_update_v1 (void **state)
{
  char *root = make_v1_tree (true);
  cleanup_resources struct berth_resources *initial
      = resources ("{'devices': [{'allow': false, 'access': 'rwm'}], 'pids': {'limit': 10}}");
  cleanup_resources struct berth_resources *more = resources ("{'pids': {'limit': 20}}");
  cleanup_resources struct berth_resources *checked
      = resources ("{'memory': {'limit': 1000, 'checkBeforeUpdate': true}}");
  cleanup_cgroup struct berth_cgroup *cg = create_ok (root, "c1", NULL, false, initial);
  cleanup_error berth_error_t err = NULL;

  put (root, "devices/c1/devices.deny", "kept");
  assert_int_equal (berth_cgroup_update (cg, more, &err), 0);
  assert_file (root, "pids/c1/pids.max", "20");
  assert_file (root, "devices/c1/devices.deny", "kept"); /* no devices given: untouched */
  put (root, "memory/c1/memory.usage_in_bytes", "4096\n");
  assert_int_equal (berth_cgroup_update (cg, checked, &err), -1);
  assert_non_null (strstr (err->msg, "memory.limit: 1000 is not above the current usage 4096"));
  destroy_ok (cg);
}

/* Destroy and the saved form.  */

static void
test_systemd_paths_and_destroy (void **state)
{
  char *root = make_v1_tree (true);
  cleanup_free char *keep = NULL;
  cleanup_cgroup struct berth_cgroup *cg = NULL;
  cleanup_error berth_error_t err = NULL;

  /* One ancestor exists before in one hierarchy only.  */
  assert_true (asprintf (&keep, "%s/memory/machine.slice", root) > 0);
  assert_int_equal (mkdir (keep, 0755), 0);
  cg = create_ok (root, "c1", "machine-test.slice:berth:c1", true, NULL);
  assert_string_equal (berth_cgroup_path (cg), "/machine.slice/machine-test.slice/berth-c1.scope");
  assert_true (exists (root, "cpu/machine.slice/machine-test.slice/berth-c1.scope/cpu.shares"));
  assert_true (exists (root, "memory/machine.slice/machine-test.slice/berth-c1.scope"));
  /* The container made a cgroup of its own inside.  */
  assert_int_equal (
      cg_mkdir (true, keep, "/machine-test.slice/berth-c1.scope/inner", &(unsigned){ 0 }, &err), 0);
  destroy_ok (cg);
  assert_true (exists (root, "memory/machine.slice"));
  assert_false (exists (root, "memory/machine.slice/machine-test.slice"));
  assert_false (exists (root, "cpu/machine.slice"));
  /* Idempotent.  */
  destroy_ok (cg);
}

static void
test_existing_cgroup (void **state)
{
  char *root = make_v2_tree ();
  cleanup_cgroup struct berth_cgroup *cg = create_ok (root, "c1", NULL, false, NULL);
  cleanup_cgroup struct berth_cgroup *again = NULL;

  /* A cgroup that exists is reused; one with processes is refused.  */
  put (root, "c1/cgroup.procs", "4242\n");
  create_fails (root, "/c1", NULL, "already holds processes (pid 4242)");
  assert_true (exists (root, "c1"));
  put (root, "c1/cgroup.procs", "");
  again = create_ok (root, "c1", NULL, false, NULL);
  destroy_ok (again);
  assert_false (exists (root, "c1"));
}

static void
test_serialize_load (void **state)
{
  char *root = make_hybrid_tree ();
  cleanup_cgroup struct berth_cgroup *cg = create_ok (root, "c1", "/berth-test/x/c1", false, NULL);
  cleanup_cgroup struct berth_cgroup *loaded = NULL;
  cleanup_free char *text = berth_cgroup_serialize (cg);
  cleanup_free char *again = NULL;
  cleanup_error berth_error_t err = NULL;

  assert_non_null (text);
  assert_non_null (strstr (text, "\"mode\":\"hybrid\""));
  assert_non_null (strstr (text, "\"path\":\"/berth-test/x/c1\""));
  assert_non_null (strstr (text, "\"createdUnified\":3"));
  if (berth_cgroup_load (text, &loaded, &err) < 0)
    fail_msg ("%s", err->msg);
  again = berth_cgroup_serialize (loaded);
  assert_string_equal (text, again);
  destroy_ok (loaded);
  assert_false (exists (root, "memory/berth-test"));
  assert_false (exists (root, "unified/berth-test"));

  assert_int_equal (berth_cgroup_load ("{", &loaded, &err), -1);
  assert_non_null (strstr (err->msg, "saved cgroup: invalid JSON"));
  berth_error_release (&err);
  assert_int_equal (
      berth_cgroup_load ("{\"mode\":\"v3\",\"root\":\"/\",\"path\":\"/x\"}", &loaded, &err), -1);
  assert_string_equal (err->msg, "saved cgroup: missing or invalid mode, root or path");
}

/* Freezer, processes, OOM count, stats in stand-in trees.  */

static void
test_freezer (void **state)
{
  char *v1 = make_v1_tree (true);
  char *v2 = make_v2_tree ();
  cleanup_cgroup struct berth_cgroup *a = create_ok (v1, "c1", NULL, false, NULL);
  cleanup_cgroup struct berth_cgroup *b = create_ok (v2, "c1", NULL, false, NULL);
  cleanup_error berth_error_t err = NULL;
  bool frozen = true;

  assert_int_equal (berth_cgroup_is_frozen (a, &frozen, &err), 0); /* empty freezer.state */
  assert_false (frozen);
  assert_int_equal (berth_cgroup_set_frozen (a, true, &err), 0);
  assert_file (v1, "freezer/c1/freezer.state", "FROZEN");
  assert_int_equal (berth_cgroup_is_frozen (a, &frozen, &err), 0);
  assert_true (frozen);
  assert_int_equal (berth_cgroup_set_frozen (a, false, &err), 0);
  assert_file (v1, "freezer/c1/freezer.state", "THAWED");

  /* v2: the kernel's cgroup.events answer is played by the test.  */
  put (v2, "c1/cgroup.events", "populated 1\nfrozen 1\n");
  assert_int_equal (berth_cgroup_set_frozen (b, true, &err), 0);
  assert_file (v2, "c1/cgroup.freeze", "1");
  assert_int_equal (berth_cgroup_is_frozen (b, &frozen, &err), 0);
  assert_true (frozen);
  put (v2, "c1/cgroup.events", "populated 1\nfrozen 0\n");
  assert_int_equal (berth_cgroup_set_frozen (b, false, &err), 0);
  assert_file (v2, "c1/cgroup.freeze", "0");
  assert_int_equal (berth_cgroup_is_frozen (b, &frozen, &err), 0);
  assert_false (frozen);
  destroy_ok (a);
  destroy_ok (b);
}

static void
test_pids_listing (void **state)
{
  char *root = make_v2_tree ();
  cleanup_cgroup struct berth_cgroup *cg = create_ok (root, "c1", NULL, false, NULL);
  cleanup_error berth_error_t err = NULL;
  cleanup_free pid_t *pids = NULL;
  unsigned made = 0;
  size_t n = 0;

  assert_int_equal (berth_cgroup_enter (cg, 12345, &err), 0);
  assert_file (root, "c1/cgroup.procs", "12345");
  assert_int_equal (cg_mkdir (true, root, "/c1/inner", &made, &err), 0);
  assert_int_equal (made, 1);
  put (root, "c1/inner/cgroup.procs", "777\n12345\n");
  assert_int_equal (berth_cgroup_get_pids (cg, &pids, &n, &err), 0);
  assert_int_equal (n, 2);
  assert_int_equal (pids[0], 777);
  assert_int_equal (pids[1], 12345);
  put (root, "c1/inner/cgroup.procs", "");
  put (root, "c1/cgroup.procs", "");
  destroy_ok (cg);
  assert_false (exists (root, "c1"));
}

static void
test_oom_count (void **state)
{
  char *v1 = make_v1_tree (true);
  char *v2 = make_v2_tree ();
  char *hybrid = make_hybrid_tree ();
  cleanup_cgroup struct berth_cgroup *a = create_ok (v1, "c1", NULL, false, NULL);
  cleanup_cgroup struct berth_cgroup *b = create_ok (v2, "c1", NULL, false, NULL);
  cleanup_cgroup struct berth_cgroup *c = create_ok (hybrid, "c1", NULL, false, NULL);
  cleanup_error berth_error_t err = NULL;
  struct berth_cgroup_oom_watch *w = NULL;
  uint64_t count = 99, events = 99;

  put (v1, "memory/c1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
  assert_int_equal (berth_cgroup_oom_kill_count (a, &count, &err), 0);
  assert_int_equal (count, 3);
  put (v2, "c1/memory.events", "low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\noom_group_kill 0\n");
  assert_int_equal (berth_cgroup_oom_kill_count (b, &count, &err), 0);
  assert_int_equal (count, 2);

  /* v2 watch: inotify on memory.events, events counted from "oom".  */
  assert_int_equal (berth_cgroup_oom_watch_open (b, &w, &err), 0);
  assert_true (berth_cgroup_oom_watch_fd (w) >= 0);
  put (v2, "c1/memory.events", "low 0\nhigh 0\nmax 9\noom 5\noom_kill 4\n");
  assert_int_equal (berth_cgroup_oom_watch_read (w, &events, &err), 0);
  assert_int_equal (events, 3);
  assert_int_equal (berth_cgroup_oom_watch_read (w, &events, &err), 0);
  assert_int_equal (events, 0);
  berth_cgroup_oom_watch_free (w);

  /* No memory controller on the hybrid's unified side nor... it is on v1.  */
  put (hybrid, "memory/c1/memory.oom_control", "oom_kill 1\n");
  assert_int_equal (berth_cgroup_oom_kill_count (c, &count, &err), 0);
  assert_int_equal (count, 1);
  destroy_ok (a);
  destroy_ok (b);
  destroy_ok (c);
}

static json_int_t
jint (json_t *root, const char *path)
{
  cleanup_free char *copy = strdup (path);
  char *save = NULL;
  json_t *v = root;

  for (char *key = strtok_r (copy, ".", &save); key; key = strtok_r (NULL, ".", &save))
    v = json_object_get (v, key);
  if (!json_is_integer (v))
    fail_msg ("%s: not an integer", path);
  return json_integer_value (v);
}

static void
test_stats_v1 (void **state)
{
  char *root = make_v1_tree (true);
  cleanup_cgroup struct berth_cgroup *cg = create_ok (root, "c1", NULL, false, NULL);
  cleanup_error berth_error_t err = NULL;
  json_auto_t *data = NULL;
  json_t *blk;

  put (root, "cpuacct/c1/cpuacct.usage", "123456\n");
  put (root, "cpuacct/c1/cpuacct.usage_percpu", "100 200 \n");
  put (root, "cpuacct/c1/cpuacct.usage_all", "cpu user system\n0 10 20\n1 30 40\n");
  put (root, "cpuacct/c1/cpuacct.stat", "user 3\nsystem 4\n");
  put (root, "cpu/c1/cpu.stat", "nr_periods 10\nnr_throttled 2\nthrottled_time 5000\n");
  put (root, "memory/c1/memory.usage_in_bytes", "8192\n");
  put (root, "memory/c1/memory.limit_in_bytes", "9223372036854771712\n");
  put (root, "memory/c1/memory.failcnt", "0\n");
  put (root, "memory/c1/memory.stat", "cache 4096\nrss 8192\n");
  put (root, "pids/c1/pids.current", "3\n");
  put (root, "pids/c1/pids.max", "max\n");
  put (root, "blkio/c1/blkio.throttle.io_service_bytes_recursive",
       "8:0 Read 100\n8:0 Write 0\nTotal 100\n");
  put (root, "hugetlb/c1/hugetlb.2MB.usage_in_bytes", "2097152\n");
  put (root, "hugetlb/c1/hugetlb.2MB.failcnt", "1\n");
  assert_int_equal (berth_cgroup_stats (cg, &data, &err), 0);
  assert_int_equal (jint (data, "cpu.usage.total"), 123456);
  assert_int_equal (json_array_size (json_object_get (
                        json_object_get (json_object_get (data, "cpu"), "usage"), "percpu")),
                    2);
  assert_int_equal (jint (data, "cpu.usage.user"), 3 * (1000000000 / sysconf (_SC_CLK_TCK)));
  assert_int_equal (jint (data, "cpu.usage.kernel"), 4 * (1000000000 / sysconf (_SC_CLK_TCK)));
  assert_int_equal (jint (data, "cpu.throttling.periods"), 10);
  assert_int_equal (jint (data, "cpu.throttling.throttledPeriods"), 2);
  assert_int_equal (jint (data, "cpu.throttling.throttledTime"), 5000);
  assert_int_equal (jint (data, "memory.cache"), 4096);
  assert_int_equal (jint (data, "memory.usage.usage"), 8192);
  assert_int_equal (jint (data, "memory.usage.limit"), 9223372036854771712LL);
  assert_int_equal (jint (data, "memory.usage.failcnt"), 0);
  assert_null (
      json_object_get (json_object_get (json_object_get (data, "memory"), "usage"), "max"));
  assert_int_equal (jint (data, "memory.raw.rss"), 8192);
  assert_int_equal (jint (data, "memory.swap.limit"), 0);
  assert_int_equal (jint (data, "pids.current"), 3);
  assert_null (json_object_get (json_object_get (data, "pids"), "limit"));
  blk = json_object_get (json_object_get (data, "blkio"), "ioServiceBytesRecursive");
  assert_int_equal (json_array_size (blk), 2);
  assert_string_equal (json_string_value (json_object_get (json_array_get (blk, 0), "op")), "Read");
  assert_int_equal (jint (json_array_get (blk, 0), "value"), 100);
  assert_null (json_object_get (json_array_get (blk, 1), "value")); /* omitempty */
  assert_int_equal (jint (data, "hugetlb.2MB.usage"), 2097152);
  assert_int_equal (jint (data, "hugetlb.2MB.failcnt"), 1);
  assert_int_equal (json_object_size (json_object_get (data, "hugetlb")), 1); /* not rsvd */
  assert_int_equal (json_array_size (json_object_get (json_object_get (data, "cpuset"), "cpus")),
                    4);
  destroy_ok (cg);
}

static void
test_stats_v2 (void **state)
{
  char *root = make_v2_tree ();
  cleanup_cgroup struct berth_cgroup *cg = create_ok (root, "c1", NULL, false, NULL);
  cleanup_error berth_error_t err = NULL;
  json_auto_t *data = NULL;
  json_t *blk;

  put (root, "c1/cpu.stat",
       "usage_usec 100\nuser_usec 60\nsystem_usec 40\nnr_periods 5\n"
       "nr_throttled 1\nthrottled_usec 7\n");
  put (root, "c1/memory.current", "1000\n");
  put (root, "c1/memory.max", "max\n");
  put (root, "c1/memory.swap.current", "24\n");
  put (root, "c1/memory.swap.max", "0\n");
  put (root, "c1/memory.events", "low 0\nhigh 0\nmax 6\noom 0\noom_kill 0\n");
  put (root, "c1/memory.stat", "anon 10\nfile 20\n");
  put (root, "c1/memory.peak", "2000\n");
  put (root, "c1/pids.current", "2\n");
  put (root, "c1/pids.max", "100\n");
  put (root, "c1/io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n");
  put (root, "c1/hugetlb.2MB.current", "0\n");
  put (root, "c1/hugetlb.2MB.events", "max 3\n");
  put (root, "c1/cpuset.cpus.effective", "0-1,3\n");
  assert_int_equal (berth_cgroup_stats (cg, &data, &err), 0);
  assert_int_equal (jint (data, "cpu.usage.total"), 100000);
  assert_int_equal (jint (data, "cpu.usage.user"), 60000);
  assert_int_equal (jint (data, "cpu.usage.kernel"), 40000);
  assert_int_equal (jint (data, "cpu.throttling.throttledTime"), 7000);
  assert_int_equal (jint (data, "memory.usage.usage"), 1000);
  assert_int_equal (jint (data, "memory.usage.limit"), INT64_MAX); /* max */
  assert_int_equal (jint (data, "memory.usage.max"), 2000);
  assert_int_equal (jint (data, "memory.usage.failcnt"), 6);
  assert_int_equal (jint (data, "memory.swap.usage"), 1024);
  assert_int_equal (jint (data, "memory.swap.limit"), INT64_MAX);
  assert_int_equal (jint (data, "memory.cache"), 20);
  assert_int_equal (jint (data, "pids.limit"), 100);
  blk = json_object_get (json_object_get (data, "blkio"), "ioServicedRecursive");
  assert_int_equal (json_array_size (blk), 2);
  assert_int_equal (jint (json_array_get (blk, 1), "value"), 2);
  assert_int_equal (jint (data, "hugetlb.2MB.failcnt"), 3);
  assert_null (
      json_object_get (json_object_get (json_object_get (data, "hugetlb"), "2MB"), "usage"));
  assert_int_equal (json_array_size (json_object_get (json_object_get (data, "cpuset"), "cpus")),
                    3);
  assert_true (json_is_null (json_object_get (data, "network_interfaces")));
  destroy_ok (cg);
  json_decref (steal_pointer (&data));
  assert_int_equal (berth_cgroup_stats (cg, &data, &err), -ENOENT);
}

/* Conversions.  */

static void
test_conversions (void **state)
{
  cleanup_error berth_error_t err = NULL;
  int64_t v;

  assert_int_equal (cg_shares_to_weight (0), 0);
  assert_int_equal (cg_shares_to_weight (2), 1);
  assert_int_equal (cg_shares_to_weight (3), 2);
  assert_int_equal (cg_shares_to_weight (100), 17);
  assert_int_equal (cg_shares_to_weight (512), 59);
  assert_int_equal (cg_shares_to_weight (1024), 100);
  assert_int_equal (cg_shares_to_weight (2048), 174);
  assert_int_equal (cg_shares_to_weight (10000), 627);
  assert_int_equal (cg_shares_to_weight (262143), 10000);
  assert_int_equal (cg_shares_to_weight (1000000), 10000);
  assert_int_equal (cg_blkio_weight_to_io_weight (0), 0);
  assert_int_equal (cg_blkio_weight_to_io_weight (10), 1);
  assert_int_equal (cg_blkio_weight_to_io_weight (500), 4950);
  assert_int_equal (cg_blkio_weight_to_io_weight (1000), 10000);
  assert_int_equal (cg_swap_to_v2 (0, -1, &v, &err), 0);
  assert_int_equal (v, -1);
  assert_int_equal (cg_swap_to_v2 (-1, 100, &v, &err), 0);
  assert_int_equal (v, -1);
  assert_int_equal (cg_swap_to_v2 (0, 100, &v, &err), 0);
  assert_int_equal (v, 0);
  assert_int_equal (cg_swap_to_v2 (300, 100, &v, &err), 0);
  assert_int_equal (v, 200);
  assert_int_equal (cg_swap_to_v2 (100, 100, &v, &err), 0);
  assert_int_equal (v, 0);
  assert_int_equal (cg_swap_to_v2 (300, -1, &v, &err), -1);
}

/* The device filter, run by a minimal interpreter of the instructions it
 * uses (and nothing else: anything unexpected fails the test).  */

struct dev_request
{
  char type;
  const char *access;
  uint32_t major, minor;
};

static int
run_filter (const struct bpf_insn *insns, size_t n, struct dev_request req)
{
  uint64_t reg[11] = { 0 };
  uint32_t ctx[3], access = 0;

  for (const char *c = req.access; *c; c++)
    access |= *c == 'r'   ? BPF_DEVCG_ACC_READ
              : *c == 'w' ? BPF_DEVCG_ACC_WRITE
                          : BPF_DEVCG_ACC_MKNOD;
  ctx[0] = access << 16 | (req.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
  ctx[1] = req.major;
  ctx[2] = req.minor;
  for (size_t pc = 0, steps = 0; steps < 1000; steps++, pc++)
    {
      const struct bpf_insn *i;
      bool jump = false;

      assert_true (pc < n);
      i = &insns[pc];
      switch (i->code)
        {
        case BPF_LDX | BPF_MEM | BPF_W:
          assert_int_equal (i->src_reg, 1);
          assert_true (i->off == 0 || i->off == 4 || i->off == 8);
          reg[i->dst_reg] = ctx[i->off / 4];
          break;
        case BPF_ALU64 | BPF_AND | BPF_K:
          reg[i->dst_reg] &= (uint64_t)(int64_t)i->imm;
          break;
        case BPF_ALU64 | BPF_RSH | BPF_K:
          reg[i->dst_reg] >>= i->imm;
          break;
        case BPF_ALU64 | BPF_MOV | BPF_X:
          reg[i->dst_reg] = reg[i->src_reg];
          break;
        case BPF_ALU64 | BPF_MOV | BPF_K:
          reg[i->dst_reg] = (uint64_t)(int64_t)i->imm;
          break;
        case BPF_JMP | BPF_JNE | BPF_K:
          jump = reg[i->dst_reg] != (uint64_t)(int64_t)i->imm;
          break;
        case BPF_JMP | BPF_JEQ | BPF_K:
          jump = reg[i->dst_reg] == (uint64_t)(int64_t)i->imm;
          break;
        case BPF_JMP | BPF_JNE | BPF_X:
          jump = reg[i->dst_reg] != reg[i->src_reg];
          break;
        case BPF_JMP | BPF_EXIT:
          return (int)reg[0];
        default:
          fail_msg ("unexpected opcode 0x%x at %zu", i->code, pc);
        }
      if (jump)
        pc += i->off;
    }
  fail_msg ("no exit");
  return -1;
}

static void
check_filter (const struct berth_device_rule *rules, size_t n_rules, const struct dev_request *reqs,
              const int *expected, size_t n)
{
  cleanup_error berth_error_t err = NULL;
  cleanup_free struct bpf_insn *insns = NULL;
  size_t n_insns = 0;

  if (cg_devices_bpf_build (rules, n_rules, &insns, &n_insns, &err) < 0)
    fail_msg ("%s", err->msg);
  /* The verifier refuses unreachable code: the last instruction exits.  */
  assert_int_equal (insns[n_insns - 1].code, BPF_JMP | BPF_EXIT);
  for (size_t i = 0; i < n; i++)
    {
      int got = run_filter (insns, n_insns, reqs[i]);
      if (got != expected[i])
        fail_msg ("request %zu (%c %u:%u %s): expected %d, got %d", i, reqs[i].type, reqs[i].major,
                  reqs[i].minor, reqs[i].access, expected[i], got);
    }
}

static void
test_bpf_program_shape (void **state)
{
  const struct berth_device_rule one[] = { { true, 'c', 1, 3, "rwm" } };
  const struct berth_device_rule all[] = { { true, 'a', -1, -1, "rwm" } };
  cleanup_error berth_error_t err = NULL;
  cleanup_free struct bpf_insn *insns = NULL;
  cleanup_free struct bpf_insn *insns2 = NULL;
  size_t n = 0, n2 = 0;

  assert_int_equal (cg_devices_bpf_build (one, 1, &insns, &n, &err), 0);
  /* 6 prologue loads, the rule (type, major, minor, verdict), default deny.  */
  assert_int_equal (n, 13);
  assert_int_equal (insns[6].code, BPF_JMP | BPF_JNE | BPF_K);
  assert_int_equal (insns[6].imm, BPF_DEVCG_DEV_CHAR);
  assert_int_equal (insns[6].off, 4);
  assert_int_equal (insns[7].imm, 1);
  assert_int_equal (insns[7].off, 3);
  assert_int_equal (insns[8].imm, 3);
  assert_int_equal (insns[8].off, 2);
  assert_int_equal (insns[9].imm, 1);
  assert_int_equal (insns[11].code, BPF_ALU64 | BPF_MOV | BPF_K);
  assert_int_equal (insns[11].imm, 0);
  /* A rule for everything ends the program: nothing after it could run.  */
  assert_int_equal (cg_devices_bpf_build (all, 1, &insns2, &n2, &err), 0);
  assert_int_equal (n2, 8);
  assert_int_equal (insns2[6].imm, 1);
}

static void
test_bpf_program_semantics (void **state)
{
  const struct berth_device_rule deny_then_null[] = {
    { false, 'a', -1, -1, "rwm" },
    { true, 'c', 1, 3, "rw" },
  };
  const struct dev_request r1[] = {
    { 'c', "r", 1, 3 }, { 'c', "rw", 1, 3 }, { 'c', "m", 1, 3 },
    { 'c', "r", 1, 5 }, { 'b', "r", 1, 3 },
  };
  const int e1[] = { 1, 1, 0, 0, 0 };
  const struct berth_device_rule allow_then_deny_write[] = {
    { true, 'a', -1, -1, "rwm" },
    { false, 'c', 1, 3, "w" },
  };
  const struct dev_request r2[] = {
    { 'c', "r", 1, 3 }, { 'c', "w", 1, 3 }, { 'c', "rw", 1, 3 },
    { 'c', "w", 1, 5 }, { 'b', "w", 1, 3 },
  };
  const int e2[] = { 1, 0, 0, 1, 1 };
  const struct berth_device_rule wildcards[] = {
    { false, 'a', -1, -1, "rwm" },
    { true, 'c', 136, -1, "rwm" },
    { true, 'b', -1, 0, "r" },
    { false, 'c', 136, 7, "rwm" },
  };
  const struct dev_request r3[] = {
    { 'c', "rw", 136, 0 }, { 'c', "r", 136, 7 }, { 'b', "r", 8, 0 },
    { 'b', "rw", 8, 0 },   { 'b', "r", 8, 1 },   { 'c', "r", 1, 3 },
  };
  const int e3[] = { 1, 0, 1, 0, 0, 0 };
  size_t n_defaults;
  const struct berth_device_rule *defaults = berth_cgroup_default_device_rules (&n_defaults);
  const struct dev_request r4[] = {
    { 'c', "m", 8, 8 },    { 'b', "m", 8, 0 },  { 'b', "r", 8, 0 },     { 'c', "rw", 1, 3 },
    { 'c', "rw", 136, 2 }, { 'c', "rw", 5, 1 }, { 'c', "rw", 10, 200 },
  };
  const int e4[] = { 1, 1, 0, 1, 1, 0, 1 };
  const struct dev_request r5[] = { { 'c', "r", 1, 3 }, { 'b', "m", 0, 0 } };
  const int e5[] = { 0, 0 };

  check_filter (deny_then_null, 2, r1, e1, 5);
  check_filter (allow_then_deny_write, 2, r2, e2, 5);
  check_filter (wildcards, 4, r3, e3, 6);
  check_filter (defaults, n_defaults, r4, e4, 7);
  check_filter (NULL, 0, r5, e5, 2); /* no rules: deny */
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_teardown (test_resolve_path, remove_roots),
    cmocka_unit_test_teardown (test_detect_mode, remove_roots),
    cmocka_unit_test_teardown (test_v1_create, remove_roots),
    cmocka_unit_test_teardown (test_v1_default_devices, remove_roots),
    cmocka_unit_test_teardown (test_v2_create, remove_roots),
    cmocka_unit_test_teardown (test_v2_bfq_and_quota_forms, remove_roots),
    cmocka_unit_test_teardown (test_v2_refusals_leave_nothing, remove_roots),
    cmocka_unit_test_teardown (test_hybrid_create, remove_roots),
    cmocka_unit_test_teardown (test_v1_refusals, remove_roots),
    cmocka_unit_test_teardown (test_update, remove_roots),
    cmocka_unit_test_teardown (test_update_v1, remove_roots),
    cmocka_unit_test_teardown (test_systemd_paths_and_destroy, remove_roots),
    cmocka_unit_test_teardown (test_existing_cgroup, remove_roots),
    cmocka_unit_test_teardown (test_serialize_load, remove_roots),
    cmocka_unit_test_teardown (test_freezer, remove_roots),
    cmocka_unit_test_teardown (test_pids_listing, remove_roots),
    cmocka_unit_test_teardown (test_oom_count, remove_roots),
    cmocka_unit_test_teardown (test_stats_v1, remove_roots),
    cmocka_unit_test_teardown (test_stats_v2, remove_roots),
    cmocka_unit_test_teardown (test_conversions, remove_roots),
    cmocka_unit_test_teardown (test_bpf_program_shape, remove_roots),
    cmocka_unit_test_teardown (test_bpf_program_semantics, remove_roots),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
