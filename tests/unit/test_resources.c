/* Tests for the linux.resources parser (oci/resources.c): every field read
 * back with its presence flag, and malformed input naming its field, both
 * inside config.json and as a standalone `update --r` document.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "oci/resources.h"
#include "oci/spec.h"

/* JSON written with single quotes, to keep the tables readable.  */
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

static struct berth_resources *
parse_ok (const char *doc)
{
  cleanup_free char *text = unquote (doc);
  cleanup_error berth_error_t err = NULL;
  struct berth_resources *r = NULL;

  if (berth_resources_parse (text, strlen (text), &r, &err) < 0)
    fail_msg ("unexpected error: %s", err->msg);
  assert_non_null (r);
  return r;
}

static void
assert_parse_error (const char *doc, const char *expected)
{
  cleanup_free char *text = unquote (doc);
  cleanup_error berth_error_t err = NULL;
  struct berth_resources *r = NULL;

  print_message ("# case %s\n", doc);
  assert_int_equal (berth_resources_parse (text, strlen (text), &r, &err), -1);
  assert_null (r);
  assert_non_null (err);
  assert_string_equal (err->msg, expected);
}

static const char full_doc[]
    = "{'memory': {'limit': 67108864, 'reservation': 33554432, 'swap': 134217728,"
      "            'kernel': 1, 'kernelTCP': 2, 'swappiness': 60, 'disableOOMKiller': true,"
      "            'useHierarchy': false, 'checkBeforeUpdate': true},"
      " 'cpu': {'shares': 1024, 'quota': 20000, 'burst': 5000, 'period': 100000,"
      "         'realtimeRuntime': 950000, 'realtimePeriod': 1000000, 'cpus': '0-1',"
      "         'mems': '0', 'idle': 1},"
      " 'pids': {'limit': 32},"
      " 'blockIO': {'weight': 500, 'leafWeight': 300,"
      "             'weightDevice': [{'major': 8, 'minor': 0, 'weight': 600},"
      "                              {'major': 8, 'minor': 16, 'leafWeight': 100}],"
      "             'throttleReadBpsDevice': [{'major': 8, 'minor': 0, 'rate': 1048576}],"
      "             'throttleWriteBpsDevice': [{'major': 8, 'minor': 0, 'rate': 2097152}],"
      "             'throttleReadIOPSDevice': [{'major': 8, 'minor': 0, 'rate': 100}],"
      "             'throttleWriteIOPSDevice': [{'major': 8, 'minor': 0, 'rate': 200}]},"
      " 'hugepageLimits': [{'pageSize': '2MB', 'limit': 209715200},"
      "                    {'pageSize': '1GB', 'limit': 0}],"
      " 'network': {'classID': 1048577, 'priorities': [{'name': 'eth0', 'priority': 500},"
      "                                                {'name': 'lo', 'priority': 1}]},"
      " 'devices': [{'allow': false, 'access': 'rwm'},"
      "             {'allow': true, 'type': 'c', 'major': 1, 'minor': 3, 'access': 'wr'},"
      "             {'allow': true, 'type': 'b', 'major': 8, 'access': 'm'},"
      "             {'allow': false, 'type': 'c', 'minor': 5}],"
      " 'rdma': {'mlx5_1': {'hcaHandles': 3, 'hcaObjects': 10000}, 'mlx4_0': {'hcaObjects': 7}},"
      " 'unified': {'memory.high': '1073741824', 'io.max': '8:0 rbps=1 wbps=2'}}";

static void
test_full_document (void **state)
{
  struct berth_resources *r = parse_ok (full_doc);
  const struct berth_memory_resources *m = &r->memory;
  const struct berth_cpu_resources *c = &r->cpu;
  const struct berth_blkio_resources *b = &r->blkio;

  assert_true (m->present);
  assert_true (m->has_limit && m->limit == 67108864);
  assert_true (m->has_reservation && m->reservation == 33554432);
  assert_true (m->has_swap && m->swap == 134217728);
  assert_true (m->has_kernel && m->kernel == 1);
  assert_true (m->has_kernel_tcp && m->kernel_tcp == 2);
  assert_true (m->has_swappiness && m->swappiness == 60);
  assert_true (m->has_disable_oom_killer && m->disable_oom_killer);
  assert_true (m->has_use_hierarchy && !m->use_hierarchy);
  assert_true (m->has_check_before_update && m->check_before_update);

  assert_true (c->present);
  assert_true (c->has_shares && c->shares == 1024);
  assert_true (c->has_quota && c->quota == 20000);
  assert_true (c->has_burst && c->burst == 5000);
  assert_true (c->has_period && c->period == 100000);
  assert_true (c->has_realtime_runtime && c->realtime_runtime == 950000);
  assert_true (c->has_realtime_period && c->realtime_period == 1000000);
  assert_string_equal (c->cpus, "0-1");
  assert_string_equal (c->mems, "0");
  assert_true (c->has_idle && c->idle == 1);

  assert_true (r->pids.present && r->pids.has_limit && r->pids.limit == 32);

  assert_true (b->present);
  assert_true (b->has_weight && b->weight == 500);
  assert_true (b->has_leaf_weight && b->leaf_weight == 300);
  assert_int_equal (b->n_weight_devices, 2);
  assert_true (b->weight_devices[0].major == 8 && b->weight_devices[0].minor == 0);
  assert_true (b->weight_devices[0].has_weight && b->weight_devices[0].weight == 600);
  assert_false (b->weight_devices[0].has_leaf_weight);
  assert_true (b->weight_devices[1].minor == 16 && !b->weight_devices[1].has_weight);
  assert_true (b->weight_devices[1].has_leaf_weight && b->weight_devices[1].leaf_weight == 100);
  assert_int_equal (b->read_bps.n, 1);
  assert_int_equal (b->read_bps.items[0].rate, 1048576);
  assert_int_equal (b->write_bps.items[0].rate, 2097152);
  assert_int_equal (b->read_iops.items[0].rate, 100);
  assert_int_equal (b->write_iops.items[0].rate, 200);
  assert_int_equal (b->write_iops.items[0].major, 8);

  assert_int_equal (r->n_hugepage_limits, 2);
  assert_string_equal (r->hugepage_limits[0].page_size, "2MB");
  assert_int_equal (r->hugepage_limits[0].limit, 209715200);
  assert_string_equal (r->hugepage_limits[1].page_size, "1GB");

  assert_true (r->network.present && r->network.has_class_id);
  assert_int_equal (r->network.class_id, 1048577);
  assert_int_equal (r->network.n_priorities, 2);
  assert_string_equal (r->network.priorities[0].name, "eth0");
  assert_int_equal (r->network.priorities[0].priority, 500);
  assert_string_equal (r->network.priorities[1].name, "lo");

  assert_true (r->has_devices);
  assert_int_equal (r->n_devices, 4);
  assert_false (r->devices[0].allow);
  assert_int_equal (r->devices[0].type, 'a');
  assert_int_equal (r->devices[0].major, -1);
  assert_int_equal (r->devices[0].minor, -1);
  assert_string_equal (r->devices[0].access, "rwm");
  assert_true (r->devices[1].allow);
  assert_int_equal (r->devices[1].type, 'c');
  assert_int_equal (r->devices[1].major, 1);
  assert_int_equal (r->devices[1].minor, 3);
  assert_string_equal (r->devices[1].access, "rw"); /* normalised order */
  assert_int_equal (r->devices[2].type, 'b');
  assert_int_equal (r->devices[2].minor, -1);
  assert_string_equal (r->devices[2].access, "m");
  assert_int_equal (r->devices[3].major, -1);
  assert_int_equal (r->devices[3].minor, 5);
  assert_string_equal (r->devices[3].access, "rwm"); /* absent: all */

  assert_int_equal (r->n_rdma, 2);
  for (size_t i = 0; i < r->n_rdma; i++)
    if (strcmp (r->rdma[i].device, "mlx5_1") == 0)
      {
        assert_true (r->rdma[i].has_hca_handles && r->rdma[i].hca_handles == 3);
        assert_true (r->rdma[i].has_hca_objects && r->rdma[i].hca_objects == 10000);
      }
    else
      {
        assert_string_equal (r->rdma[i].device, "mlx4_0");
        assert_false (r->rdma[i].has_hca_handles);
        assert_int_equal (r->rdma[i].hca_objects, 7);
      }

  assert_int_equal (r->n_unified, 2);
  for (size_t i = 0; i < r->n_unified; i++)
    if (strcmp (r->unified[i].key, "memory.high") == 0)
      assert_string_equal (r->unified[i].value, "1073741824");
    else
      assert_string_equal (r->unified[i].value, "8:0 rbps=1 wbps=2");
  berth_resources_free (r);
}

/* Absent is not zero: nothing given, nothing flagged.  */
static void
test_presence (void **state)
{
  struct berth_resources *r = parse_ok ("{'memory': {'limit': 0}, 'cpu': {}, 'devices': []}");

  assert_true (r->memory.present);
  assert_true (r->memory.has_limit);
  assert_int_equal (r->memory.limit, 0);
  assert_false (r->memory.has_swap || r->memory.has_reservation || r->memory.has_swappiness);
  assert_true (r->cpu.present);
  assert_false (r->cpu.has_shares || r->cpu.has_quota || r->cpu.has_period);
  assert_null (r->cpu.cpus);
  assert_false (r->pids.present);
  assert_false (r->blkio.present);
  assert_false (r->network.present);
  assert_true (r->has_devices);
  assert_int_equal (r->n_devices, 0);
  berth_resources_free (r);

  r = parse_ok ("{'memory': null, 'cpu': {'quota': -1, 'shares': 18446744073709551615}}");
  assert_false (r->memory.present);
  assert_false (r->has_devices);
  assert_int_equal (r->cpu.quota, -1);
  assert_true (r->cpu.shares == UINT64_MAX);
  berth_resources_free (r);
}

static void
test_standalone_errors (void **state)
{
  static const struct
  {
    const char *doc, *msg;
  } cases[] = {
    { "{'memory': {'limit': 'x'}}", "memory.limit: expected 64-bit integer" },
    { "{'memory': {'swappiness': 101}}", "memory.swappiness: must be between 0 and 100" },
    { "{'memory': {'swappiness': -1}}", "memory.swappiness: expected unsigned 64-bit integer" },
    { "{'memory': {'disableOOMKiller': 1}}", "memory.disableOOMKiller: expected boolean" },
    { "{'memory': []}", "memory: expected object" },
    { "{'cpu': {'shares': -2}}", "cpu.shares: expected unsigned 64-bit integer" },
    { "{'cpu': {'cpus': 3}}", "cpu.cpus: expected string" },
    { "{'cpu': {'idle': 1.5}}", "cpu.idle: expected 64-bit integer" },
    { "{'pids': {'limit': '10'}}", "pids.limit: expected 64-bit integer" },
    { "{'blockIO': {'weight': 70000}}", "blockIO.weight: expected unsigned 16-bit integer" },
    { "{'blockIO': {'weightDevice': [{'major': 8}]}}", "blockIO.weightDevice[0].minor: required" },
    { "{'blockIO': {'throttleReadBpsDevice': [{'major': 8, 'minor': 0}]}}",
      "blockIO.throttleReadBpsDevice[0].rate: required" },
    { "{'blockIO': {'throttleWriteIOPSDevice': {}}}",
      "blockIO.throttleWriteIOPSDevice: expected array" },
    { "{'hugepageLimits': [{'pageSize': '2M', 'limit': 1}]}",
      "hugepageLimits[0].pageSize: invalid page size \"2M\" (expected e.g. \"2MB\")" },
    { "{'hugepageLimits': [{'pageSize': '2MB'}]}", "hugepageLimits[0].limit: required" },
    { "{'network': {'classID': -1}}", "network.classID: expected unsigned 32-bit integer" },
    { "{'network': {'priorities': [{'name': 'eth0'}]}}",
      "network.priorities[0].priority: required" },
    { "{'devices': [{'access': 'rwm'}]}", "devices[0].allow: required" },
    { "{'devices': [{'allow': true, 'type': 'x'}]}",
      "devices[0].type: unknown device type \"x\" (expected \"a\", \"b\" or \"c\")" },
    { "{'devices': [{'allow': true, 'access': 'rwx'}]}",
      "devices[0].access: invalid access \"rwx\" (expected a combination of r, w, m)" },
    { "{'devices': [{'allow': true, 'access': 'rr'}]}",
      "devices[0].access: invalid access \"rr\" (expected a combination of r, w, m)" },
    { "{'devices': [{'allow': true, 'access': ''}]}",
      "devices[0].access: invalid access \"\" (expected a combination of r, w, m)" },
    { "{'devices': [{'allow': true}, {'allow': true, 'major': -2}]}",
      "devices[1].major: must be -1 (any) or a device number" },
    { "{'rdma': {'mlx5_1': 3}}", "rdma.mlx5_1: expected object" },
    { "{'rdma': {'mlx5_1': {'hcaHandles': -1}}}",
      "rdma.mlx5_1.hcaHandles: expected unsigned 32-bit integer" },
    { "{'unified': {'../memory.max': '1'}}", "unified.../memory.max: invalid cgroup file name" },
    { "{'unified': {'..': '1'}}", "unified...: invalid cgroup file name" },
    { "{'unified': {'memory.max': 1}}", "unified.memory.max: expected string" },
    { "{'unified': []}", "unified: expected object" },
    { "[]", "resources: expected a JSON object" },
  };

  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    assert_parse_error (cases[i].doc, cases[i].msg);
}

static void
test_invalid_json (void **state)
{
  cleanup_error berth_error_t err = NULL;
  struct berth_resources *r = NULL;
  const char text[] = "{\"memory\": ";

  assert_int_equal (berth_resources_parse (text, strlen (text), &r, &err), -1);
  assert_non_null (strstr (err->msg, "resources: invalid JSON at line 1"));
}

/* Inside config.json the paths start at linux.resources.  */
static void
test_in_config (void **state)
{
  static const struct
  {
    const char *resources, *msg;
  } cases[] = {
    { "{'memory': {'limit': 'x'}}", "linux.resources.memory.limit: expected 64-bit integer" },
    { "{'devices': [{'allow': true, 'type': 'p'}]}",
      "linux.resources.devices[0].type: unknown device type \"p\" (expected \"a\", \"b\" or "
      "\"c\")" },
    { "{'cpu': {'period': -5}}", "linux.resources.cpu.period: expected unsigned 64-bit integer" },
    { "7", "linux.resources: expected object" },
  };

  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      cleanup_free char *doc = NULL;
      cleanup_free char *text = NULL;
      cleanup_error berth_error_t err = NULL;
      struct berth_spec *spec = NULL;

      assert_true (asprintf (&doc,
                             "{'ociVersion': '1.2.0', 'root': {'path': 'rootfs'},"
                             " 'linux': {'resources': %s}}",
                             cases[i].resources)
                   > 0);
      text = unquote (doc);
      assert_int_equal (berth_spec_parse (text, strlen (text), &spec, &err), -1);
      assert_string_equal (err->msg, cases[i].msg);
    }
}

/* A whole config.json carries the parsed resources.  */
static void
test_config_carries_resources (void **state)
{
  cleanup_free char *doc = NULL;
  cleanup_free char *text = NULL;
  cleanup_error berth_error_t err = NULL;
  struct berth_spec *spec = NULL;

  assert_true (asprintf (&doc,
                         "{'ociVersion': '1.2.0', 'root': {'path': 'rootfs'},"
                         " 'linux': {'resources': %s}}",
                         full_doc)
               > 0);
  text = unquote (doc);
  if (berth_spec_parse (text, strlen (text), &spec, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_non_null (spec->linux_.resources);
  assert_int_equal (spec->linux_.resources->cpu.quota, 20000);
  assert_int_equal (spec->linux_.resources->n_devices, 4);
  berth_spec_free (spec);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_full_document),     cmocka_unit_test (test_presence),
    cmocka_unit_test (test_standalone_errors), cmocka_unit_test (test_invalid_json),
    cmocka_unit_test (test_in_config),         cmocka_unit_test (test_config_carries_resources),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
