/* Parser of linux.resources (runtime-spec 1.2): JSON in, struct
 * berth_resources out.  Types and enumerations are checked here, with the
 * failing field named; whether a limit fits the host is for linux/cgroup*.  */
#include "resources.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

/* Read member KEY of OBJ with FN into OUT; *HAS says whether it was there.  */
static int
read_flagged (struct parser *p, json_t *obj, const char *key, reader_fn fn, void *out, bool *has)
{
  int r = jr_optional (p, obj, key, fn, out);

  if (r < 0)
    return r;
  *has = r > 0;
  return 0;
}

static int
read_u16 (struct parser *p, json_t *v, void *out)
{
  uint64_t u = 0;

  if (!jr_unsigned_value (p, v, &u) || u > UINT16_MAX)
    return jr_fail (p, NULL, "expected unsigned 16-bit integer");
  *(uint16_t *)out = u;
  return 0;
}

/* memory.  */

static int
read_memory (struct parser *p, json_t *v, void *out)
{
  struct berth_memory_resources *m = out;

  if (jr_expect_object (p, v) < 0
      || read_flagged (p, v, "limit", jr_read_i64, &m->limit, &m->has_limit) < 0
      || read_flagged (p, v, "reservation", jr_read_i64, &m->reservation, &m->has_reservation) < 0
      || read_flagged (p, v, "swap", jr_read_i64, &m->swap, &m->has_swap) < 0
      || read_flagged (p, v, "kernel", jr_read_i64, &m->kernel, &m->has_kernel) < 0
      || read_flagged (p, v, "kernelTCP", jr_read_i64, &m->kernel_tcp, &m->has_kernel_tcp) < 0
      || read_flagged (p, v, "swappiness", jr_read_u64, &m->swappiness, &m->has_swappiness) < 0
      || read_flagged (p, v, "disableOOMKiller", jr_read_bool, &m->disable_oom_killer,
                       &m->has_disable_oom_killer)
             < 0
      || read_flagged (p, v, "useHierarchy", jr_read_bool, &m->use_hierarchy, &m->has_use_hierarchy)
             < 0
      || read_flagged (p, v, "checkBeforeUpdate", jr_read_bool, &m->check_before_update,
                       &m->has_check_before_update)
             < 0)
    return -1;
  if (m->has_swappiness && m->swappiness > 100)
    return jr_fail (p, "swappiness", "must be between 0 and 100");
  m->present = true;
  return 0;
}

/* cpu.  */

static int
read_cpu (struct parser *p, json_t *v, void *out)
{
  struct berth_cpu_resources *c = out;

  if (jr_expect_object (p, v) < 0
      || read_flagged (p, v, "shares", jr_read_u64, &c->shares, &c->has_shares) < 0
      || read_flagged (p, v, "quota", jr_read_i64, &c->quota, &c->has_quota) < 0
      || read_flagged (p, v, "burst", jr_read_u64, &c->burst, &c->has_burst) < 0
      || read_flagged (p, v, "period", jr_read_u64, &c->period, &c->has_period) < 0
      || read_flagged (p, v, "realtimeRuntime", jr_read_i64, &c->realtime_runtime,
                       &c->has_realtime_runtime)
             < 0
      || read_flagged (p, v, "realtimePeriod", jr_read_u64, &c->realtime_period,
                       &c->has_realtime_period)
             < 0
      || jr_optional (p, v, "cpus", jr_read_string, &c->cpus) < 0
      || jr_optional (p, v, "mems", jr_read_string, &c->mems) < 0
      || read_flagged (p, v, "idle", jr_read_i64, &c->idle, &c->has_idle) < 0)
    return -1;
  c->present = true;
  return 0;
}

/* pids.  */

static int
read_pids (struct parser *p, json_t *v, void *out)
{
  struct berth_pids_resources *pids = out;

  if (jr_expect_object (p, v) < 0
      || read_flagged (p, v, "limit", jr_read_i64, &pids->limit, &pids->has_limit) < 0)
    return -1;
  pids->present = true;
  return 0;
}

/* blockIO.  */

static int
read_weight_device (struct parser *p, json_t *v, void *out)
{
  struct berth_weight_device *d = out;

  if (jr_expect_object (p, v) < 0 || jr_required (p, v, "major", jr_read_i64, &d->major) < 0
      || jr_required (p, v, "minor", jr_read_i64, &d->minor) < 0
      || read_flagged (p, v, "weight", read_u16, &d->weight, &d->has_weight) < 0
      || read_flagged (p, v, "leafWeight", read_u16, &d->leaf_weight, &d->has_leaf_weight) < 0)
    return -1;
  return 0;
}

static int
read_weight_devices (struct parser *p, json_t *v, void *out)
{
  struct berth_blkio_resources *b = out;
  void *items;

  if (jr_new_items (p, v, sizeof (*b->weight_devices), &items, &b->n_weight_devices) < 0)
    return -1;
  b->weight_devices = items;
  return jr_read_elements (p, v, items, sizeof (*b->weight_devices), read_weight_device);
}

static int
read_throttle_device (struct parser *p, json_t *v, void *out)
{
  struct berth_throttle_device *d = out;

  if (jr_expect_object (p, v) < 0 || jr_required (p, v, "major", jr_read_i64, &d->major) < 0
      || jr_required (p, v, "minor", jr_read_i64, &d->minor) < 0
      || jr_required (p, v, "rate", jr_read_u64, &d->rate) < 0)
    return -1;
  return 0;
}

static int
read_throttle_list (struct parser *p, json_t *v, void *out)
{
  struct berth_throttle_list *list = out;
  void *items;

  if (jr_new_items (p, v, sizeof (*list->items), &items, &list->n) < 0)
    return -1;
  list->items = items;
  return jr_read_elements (p, v, items, sizeof (*list->items), read_throttle_device);
}

static int
read_blkio (struct parser *p, json_t *v, void *out)
{
  struct berth_blkio_resources *b = out;

  if (jr_expect_object (p, v) < 0
      || read_flagged (p, v, "weight", read_u16, &b->weight, &b->has_weight) < 0
      || read_flagged (p, v, "leafWeight", read_u16, &b->leaf_weight, &b->has_leaf_weight) < 0
      || jr_optional (p, v, "weightDevice", read_weight_devices, b) < 0
      || jr_optional (p, v, "throttleReadBpsDevice", read_throttle_list, &b->read_bps) < 0
      || jr_optional (p, v, "throttleWriteBpsDevice", read_throttle_list, &b->write_bps) < 0
      || jr_optional (p, v, "throttleReadIOPSDevice", read_throttle_list, &b->read_iops) < 0
      || jr_optional (p, v, "throttleWriteIOPSDevice", read_throttle_list, &b->write_iops) < 0)
    return -1;
  b->present = true;
  return 0;
}

/* hugepageLimits.  */

/* "2MB", "1GB", "64KB": the spelling of the hugetlb.<size>.* file names.  */
static bool
valid_page_size (const char *s)
{
  size_t digits = strspn (s, "0123456789");

  return digits > 0 && strchr ("KMG", s[digits]) != NULL && s[digits] != '\0'
         && strcmp (s + digits + 1, "B") == 0;
}

static int
read_page_size (struct parser *p, json_t *v, void *out)
{
  if (jr_read_string (p, v, out) < 0)
    return -1;
  if (!valid_page_size (*(char **)out))
    return jr_fail (p, NULL, "invalid page size \"%s\" (expected e.g. \"2MB\")", *(char **)out);
  return 0;
}

static int
read_hugepage_limit (struct parser *p, json_t *v, void *out)
{
  struct berth_hugepage_limit *h = out;

  if (jr_expect_object (p, v) < 0
      || jr_required (p, v, "pageSize", read_page_size, &h->page_size) < 0
      || jr_required (p, v, "limit", jr_read_u64, &h->limit) < 0)
    return -1;
  return 0;
}

static int
read_hugepage_limits (struct parser *p, json_t *v, void *out)
{
  struct berth_resources *r = out;
  void *items;

  if (jr_new_items (p, v, sizeof (*r->hugepage_limits), &items, &r->n_hugepage_limits) < 0)
    return -1;
  r->hugepage_limits = items;
  return jr_read_elements (p, v, items, sizeof (*r->hugepage_limits), read_hugepage_limit);
}

/* network.  */

static int
read_net_priority (struct parser *p, json_t *v, void *out)
{
  struct berth_net_priority *np = out;

  if (jr_expect_object (p, v) < 0 || jr_required (p, v, "name", jr_read_string, &np->name) < 0
      || jr_required (p, v, "priority", jr_read_u32, &np->priority) < 0)
    return -1;
  return 0;
}

static int
read_net_priorities (struct parser *p, json_t *v, void *out)
{
  struct berth_network_resources *n = out;
  void *items;

  if (jr_new_items (p, v, sizeof (*n->priorities), &items, &n->n_priorities) < 0)
    return -1;
  n->priorities = items;
  return jr_read_elements (p, v, items, sizeof (*n->priorities), read_net_priority);
}

static int
read_network (struct parser *p, json_t *v, void *out)
{
  struct berth_network_resources *n = out;

  if (jr_expect_object (p, v) < 0
      || read_flagged (p, v, "classID", jr_read_u32, &n->class_id, &n->has_class_id) < 0
      || jr_optional (p, v, "priorities", read_net_priorities, n) < 0)
    return -1;
  n->present = true;
  return 0;
}

/* devices.  */

static int
read_rule_type (struct parser *p, json_t *v, void *out)
{
  const char *s;

  if (!json_is_string (v))
    return jr_fail (p, NULL, "expected string");
  s = json_string_value (v);
  if (s[0] == '\0' || s[1] != '\0' || strchr ("abc", s[0]) == NULL)
    return jr_fail (p, NULL, "unknown device type \"%s\" (expected \"a\", \"b\" or \"c\")", s);
  *(char *)out = s[0];
  return 0;
}

/* A non-empty combination of r, w and m, stored in rwm order.  */
static int
read_rule_access (struct parser *p, json_t *v, void *out)
{
  char *access = out;
  bool r = false, w = false, m = false;
  const char *s;

  if (!json_is_string (v))
    return jr_fail (p, NULL, "expected string");
  s = json_string_value (v);
  for (const char *c = s; *c; c++)
    {
      bool *bit = *c == 'r' ? &r : *c == 'w' ? &w : *c == 'm' ? &m : NULL;
      if (bit == NULL || *bit)
        return jr_fail (p, NULL, "invalid access \"%s\" (expected a combination of r, w, m)", s);
      *bit = true;
    }
  if (!r && !w && !m)
    return jr_fail (p, NULL, "invalid access \"\" (expected a combination of r, w, m)");
  snprintf (access, 4, "%s%s%s", r ? "r" : "", w ? "w" : "", m ? "m" : "");
  return 0;
}

static int
read_device_rule (struct parser *p, json_t *v, void *out)
{
  struct berth_device_rule *d = out;

  d->type = 'a';
  d->major = -1;
  d->minor = -1;
  strcpy (d->access, "rwm");
  if (jr_expect_object (p, v) < 0 || jr_required (p, v, "allow", jr_read_bool, &d->allow) < 0
      || jr_optional (p, v, "type", read_rule_type, &d->type) < 0
      || jr_optional (p, v, "major", jr_read_i64, &d->major) < 0
      || jr_optional (p, v, "minor", jr_read_i64, &d->minor) < 0
      || jr_optional (p, v, "access", read_rule_access, d->access) < 0)
    return -1;
  if (d->major < -1)
    return jr_fail (p, "major", "must be -1 (any) or a device number");
  if (d->minor < -1)
    return jr_fail (p, "minor", "must be -1 (any) or a device number");
  return 0;
}

static int
read_device_rules (struct parser *p, json_t *v, void *out)
{
  struct berth_resources *r = out;
  void *items;

  if (jr_new_items (p, v, sizeof (*r->devices), &items, &r->n_devices) < 0)
    return -1;
  r->devices = items;
  r->has_devices = true;
  return jr_read_elements (p, v, items, sizeof (*r->devices), read_device_rule);
}

/* rdma: an object of device name -> limits.  */

static int
read_rdma_limit (struct parser *p, json_t *v, void *out)
{
  struct berth_rdma_limit *l = out;

  if (jr_expect_object (p, v) < 0
      || read_flagged (p, v, "hcaHandles", jr_read_u32, &l->hca_handles, &l->has_hca_handles) < 0
      || read_flagged (p, v, "hcaObjects", jr_read_u32, &l->hca_objects, &l->has_hca_objects) < 0)
    return -1;
  return 0;
}

static int
read_rdma (struct parser *p, json_t *v, void *out)
{
  struct berth_resources *r = out;
  const char *device;
  json_t *limits;

  if (jr_expect_object (p, v) < 0)
    return -1;
  if (json_object_size (v) == 0)
    return 0;
  r->rdma = calloc (json_object_size (v), sizeof (*r->rdma));
  if (r->rdma == NULL)
    return jr_oom (p);
  json_object_foreach (v, device, limits)
  {
    struct berth_rdma_limit *l = &r->rdma[r->n_rdma++];

    l->device = strdup (device);
    if (l->device == NULL)
      return jr_oom (p);
    if (strchr (device, ' ') || strchr (device, '\n') || device[0] == '\0')
      return jr_fail (p, device, "invalid device name");
    if (jr_read_child (p, device, limits, read_rdma_limit, l) < 0)
      return -1;
  }
  return 0;
}

/* unified: cgroup v2 file name -> value.  The names must stay inside the
 * container's cgroup directory.  */
static int
read_unified (struct parser *p, json_t *v, void *out)
{
  struct berth_resources *r = out;
  struct string_map map = { &r->unified, &r->n_unified };
  const char *key;
  json_t *value;

  if (jr_expect_object (p, v) < 0)
    return -1;
  json_object_foreach (v, key, value)
  {
    if (key[0] == '\0' || strchr (key, '/') || strcmp (key, ".") == 0 || strcmp (key, "..") == 0)
      return jr_fail (p, key, "invalid cgroup file name");
  }
  return jr_read_string_map (p, v, &map);
}

/* The object.  */

static int
read_resources (struct parser *p, json_t *v, struct berth_resources *r)
{
  if (jr_expect_object (p, v) < 0 || jr_optional (p, v, "memory", read_memory, &r->memory) < 0
      || jr_optional (p, v, "cpu", read_cpu, &r->cpu) < 0
      || jr_optional (p, v, "pids", read_pids, &r->pids) < 0
      || jr_optional (p, v, "blockIO", read_blkio, &r->blkio) < 0
      || jr_optional (p, v, "hugepageLimits", read_hugepage_limits, r) < 0
      || jr_optional (p, v, "network", read_network, &r->network) < 0
      || jr_optional (p, v, "devices", read_device_rules, r) < 0
      || jr_optional (p, v, "rdma", read_rdma, r) < 0
      || jr_optional (p, v, "unified", read_unified, r) < 0)
    return -1;
  return 0;
}

int
berth_resources_read (struct parser *p, json_t *v, void *out)
{
  struct berth_resources *r = calloc (1, sizeof (*r));

  if (r == NULL)
    return jr_oom (p);
  /* Stored before reading so that the caller frees a half-read object.  */
  *(struct berth_resources **)out = r;
  return read_resources (p, v, r);
}

static void
resources_freep (struct berth_resources **r)
{
  berth_resources_free (*r);
}

int
berth_resources_parse (const char *text, size_t len, struct berth_resources **out,
                       berth_error_t *err)
{
  __attribute__ ((cleanup (resources_freep))) struct berth_resources *r = NULL;
  struct parser p = { .err = err };
  json_auto_t *root = NULL;
  json_error_t je;

  root = json_loadb (text, len, 0, &je);
  if (root == NULL && json_error_code (&je) == json_error_numeric_overflow)
    {
      p.ints_as_real = true;
      root = json_loadb (text, len, JSON_DECODE_INT_AS_REAL, &je);
    }
  if (root == NULL)
    return berth_error (err, 0, "resources: invalid JSON at line %d column %d: %s", je.line,
                        je.column, je.text);
  if (!json_is_object (root))
    return berth_error (err, 0, "resources: expected a JSON object");
  if (berth_resources_read (&p, root, &r) < 0)
    return berth_error_ret (err);
  *out = steal_pointer (&r);
  return 0;
}

static void
throttle_list_free (struct berth_throttle_list *list)
{
  free (list->items);
}

void
berth_resources_free (struct berth_resources *r)
{
  if (r == NULL)
    return;
  free (r->cpu.cpus);
  free (r->cpu.mems);
  free (r->blkio.weight_devices);
  throttle_list_free (&r->blkio.read_bps);
  throttle_list_free (&r->blkio.write_bps);
  throttle_list_free (&r->blkio.read_iops);
  throttle_list_free (&r->blkio.write_iops);
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    free (r->hugepage_limits[i].page_size);
  free (r->hugepage_limits);
  for (size_t i = 0; i < r->network.n_priorities; i++)
    free (r->network.priorities[i].name);
  free (r->network.priorities);
  free (r->devices);
  for (size_t i = 0; i < r->n_rdma; i++)
    free (r->rdma[i].device);
  free (r->rdma);
  for (size_t i = 0; i < r->n_unified; i++)
    {
      free (r->unified[i].key);
      free (r->unified[i].value);
    }
  free (r->unified);
  free (r);
}
