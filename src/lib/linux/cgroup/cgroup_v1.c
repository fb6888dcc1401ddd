/* linux.resources on cgroup v1 controllers: memory, cpu, cpuset
 * initialisation, blkio, net_cls and net_prio.  Each writer gets the
 * container's directory in the controller's hierarchy and writes only what
 * the spec gives.  */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cgroup_internal.h"

/* memory.  */

static int
write_i64 (const char *dir, const char *file, int64_t value, berth_error_t *err)
{
  return cg_writef (err, dir, file, "%" PRId64, value);
}

/* memory.checkBeforeUpdate: refuse a limit below what is in use now.  */
static int
check_usage_below (const char *dir, const char *usage_file, int64_t limit, berth_error_t *err)
{
  uint64_t usage;

  if (limit < 0)
    return 0;
  if (cg_read_u64 (dir, usage_file, &usage, err) < 0)
    return berth_error_ret (err);
  if ((uint64_t)limit <= usage)
    return berth_error (err, 0, "memory.limit: %" PRId64 " is not above the current usage %" PRIu64,
                        limit, usage);
  return 0;
}

/* memory.memsw.limit_in_bytes counts memory+swap and must stay >= the memory
 * limit at every step, so the order of the two writes depends on whether
 * the limits grow or shrink (as runc does it).  */
static int
set_limit_and_swap (const char *dir, const struct berth_memory_resources *m, berth_error_t *err)
{
  bool has_swap = m->has_swap && m->swap != 0;
  int64_t swap = m->swap;
  bool swap_first = false;

  if (m->has_limit && m->limit == -1 && !has_swap
      && cg_file_exists (dir, "memory.memsw.limit_in_bytes"))
    {
      has_swap = true; /* unlimited memory: unlimited memory+swap too */
      swap = -1;
    }
  if (m->has_limit && has_swap)
    {
      cleanup_error berth_error_t read_err = NULL;
      uint64_t current = 0;

      if (cg_read_u64 (dir, "memory.limit_in_bytes", &current, &read_err) < 0)
        current = 0;
      swap_first = swap == -1 || current < (uint64_t)swap;
    }
  if (swap_first && write_i64 (dir, "memory.memsw.limit_in_bytes", swap, err) < 0)
    return berth_error_wrap (err, "memory.swap");
  if (m->has_limit && write_i64 (dir, "memory.limit_in_bytes", m->limit, err) < 0)
    return berth_error_wrap (err, "memory.limit");
  if (!swap_first && has_swap && write_i64 (dir, "memory.memsw.limit_in_bytes", swap, err) < 0)
    return berth_error_wrap (err, "memory.swap");
  return 0;
}

int
cg_v1_set_memory (const char *dir, const struct berth_memory_resources *m, bool update,
                  berth_error_t *err)
{
  if (update && m->has_check_before_update && m->check_before_update && m->has_limit
      && check_usage_below (dir, "memory.usage_in_bytes", m->limit, err) < 0)
    return berth_error_ret (err);
  if (set_limit_and_swap (dir, m, err) < 0)
    return berth_error_ret (err);
  if (m->has_reservation && write_i64 (dir, "memory.soft_limit_in_bytes", m->reservation, err) < 0)
    return berth_error_wrap (err, "memory.reservation");
  if (m->has_swappiness && cg_writef (err, dir, "memory.swappiness", "%" PRIu64, m->swappiness) < 0)
    return berth_error_wrap (err, "memory.swappiness");
  if (m->has_disable_oom_killer
      && cg_write (dir, "memory.oom_control", m->disable_oom_killer ? "1" : "0", err) < 0)
    return berth_error_wrap (err, "memory.disableOOMKiller");
  if (m->has_use_hierarchy
      && cg_write (dir, "memory.use_hierarchy", m->use_hierarchy ? "1" : "0", err) < 0)
    return berth_error_wrap (err, "memory.useHierarchy");
  /* kernel: the kernel deprecated (5.4) and then dropped (6.1) the kmem
   * limit; runc and crun ignore it.  The TCP buffer limit stayed: crun
   * writes it where the file is (runc 1.1 ignores it).  */
  if (m->has_kernel_tcp
      && write_i64 (dir, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp, err) < 0)
    {
      if ((*err)->status != ENOENT)
        return berth_error_wrap (err, "memory.kernelTCP");
      berth_error_release (err);
    }
  return 0;
}

/* cpu.  */

/* cfs_period_us before cfs_quota_us, except that a period shrinking below
 * what the current quota allows is refused (EINVAL) until the quota is in.  */
static int
set_quota_and_period (const char *dir, const struct berth_cpu_resources *c, berth_error_t *err)
{
  bool has_quota = c->has_quota && c->quota != 0;
  bool period_pending = false;

  if (c->has_period && c->period != 0
      && cg_writef (err, dir, "cpu.cfs_period_us", "%" PRIu64, c->period) < 0)
    {
      if (!has_quota || (*err)->status != EINVAL)
        return berth_error_wrap (err, "cpu.period");
      berth_error_release (err);
      period_pending = true;
    }
  if (has_quota && write_i64 (dir, "cpu.cfs_quota_us", c->quota, err) < 0)
    return berth_error_wrap (err, "cpu.quota");
  if (period_pending && cg_writef (err, dir, "cpu.cfs_period_us", "%" PRIu64, c->period) < 0)
    return berth_error_wrap (err, "cpu.period");
  return 0;
}

int
cg_v1_set_cpu (const char *dir, const struct berth_cpu_resources *c, berth_error_t *err)
{
  if (c->has_shares && c->shares != 0
      && cg_writef (err, dir, "cpu.shares", "%" PRIu64, c->shares) < 0)
    return berth_error_wrap (err, "cpu.shares");
  /* Real-time budget first: a task already SCHED_RR cannot join a group
   * without one.  */
  if (c->has_realtime_period && c->realtime_period != 0
      && cg_writef (err, dir, "cpu.rt_period_us", "%" PRIu64, c->realtime_period) < 0)
    return berth_error_wrap (err, "cpu.realtimePeriod");
  if (c->has_realtime_runtime && write_i64 (dir, "cpu.rt_runtime_us", c->realtime_runtime, err) < 0)
    return berth_error_wrap (err, "cpu.realtimeRuntime");
  if (set_quota_and_period (dir, c, err) < 0)
    return berth_error_ret (err);
  if (c->has_burst && cg_writef (err, dir, "cpu.cfs_burst_us", "%" PRIu64, c->burst) < 0)
    return berth_error_wrap (err, "cpu.burst");
  if (c->has_idle && write_i64 (dir, "cpu.idle", c->idle, err) < 0)
    return berth_error_wrap (err, "cpu.idle");
  return 0;
}

/* cpuset: a v1 cpuset cgroup starts with empty cpus and mems, and a task
 * cannot join it until both are set; give every level of the path its
 * parent's values where it has none.  */
static int
inherit_cpuset_file (const char *parent, const char *dir, const char *file, berth_error_t *err)
{
  cleanup_free char *own = NULL;
  cleanup_free char *inherited = NULL;

  if (cg_read (dir, file, &own, err) < 0)
    return berth_error_ret (err);
  if (own[strspn (own, " \n")] != '\0')
    return 0;
  if (cg_read (parent, file, &inherited, err) < 0)
    return berth_error_ret (err);
  inherited[strcspn (inherited, "\n")] = '\0';
  if (inherited[0] == '\0')
    return berth_error (err, 0, "`%s/%s` is empty: cannot inherit it", parent, file);
  return cg_write (dir, file, inherited, err);
}

int
cg_v1_init_cpuset (const char *base, const char *rel, berth_error_t *err)
{
  size_t parent_len = 0, len = strlen (rel);

  while (parent_len < len)
    {
      const char *next = strchr (rel + parent_len + 1, '/');
      size_t child_len = next ? (size_t)(next - rel) : len;
      cleanup_free char *parent = NULL;
      cleanup_free char *dir = NULL;

      if (asprintf (&parent, "%s%.*s", base, (int)parent_len, rel) < 0
          || asprintf (&dir, "%s%.*s", base, (int)child_len, rel) < 0)
        return berth_error (err, ENOMEM, "initialise cpuset");
      if (inherit_cpuset_file (parent, dir, "cpuset.cpus", err) < 0
          || inherit_cpuset_file (parent, dir, "cpuset.mems", err) < 0)
        return berth_error_wrap (err, "initialise cpuset");
      parent_len = child_len;
    }
  return 0;
}

/* blkio.  */

/* The weight files are blkio.bfq.* with the BFQ scheduler and blkio.* with
 * the old CFQ; use whichever this kernel has (runc prefers BFQ).  */
static const char *
weight_file (const char *dir, const char *bfq, const char *cfq)
{
  return cg_file_exists (dir, bfq) ? bfq : cfq;
}

static int
write_weight_devices (const char *dir, const struct berth_blkio_resources *b, bool leaf,
                      berth_error_t *err)
{
  const char *file
      = leaf ? weight_file (dir, "blkio.bfq.leaf_weight_device", "blkio.leaf_weight_device")
             : weight_file (dir, "blkio.bfq.weight_device", "blkio.weight_device");
  cleanup_close int fd = -1;

  for (size_t i = 0; i < b->n_weight_devices; i++)
    {
      const struct berth_weight_device *d = &b->weight_devices[i];
      char line[96];

      if (!(leaf ? d->has_leaf_weight : d->has_weight))
        continue;
      if (fd < 0 && cg_open_write (dir, file, &fd, err) < 0)
        return berth_error_ret (err);
      snprintf (line, sizeof (line), "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
                (unsigned)(leaf ? d->leaf_weight : d->weight));
      if (cg_write_line (fd, dir, file, line, err) < 0)
        return berth_error_ret (err);
    }
  return 0;
}

static int
write_throttle (const char *dir, const char *file, const struct berth_throttle_list *list,
                berth_error_t *err)
{
  cleanup_close int fd = -1;

  if (list->n == 0)
    return 0;
  if (cg_open_write (dir, file, &fd, err) < 0)
    return berth_error_ret (err);
  for (size_t i = 0; i < list->n; i++)
    {
      char line[96];

      snprintf (line, sizeof (line), "%" PRId64 ":%" PRId64 " %" PRIu64, list->items[i].major,
                list->items[i].minor, list->items[i].rate);
      if (cg_write_line (fd, dir, file, line, err) < 0)
        return berth_error_ret (err);
    }
  return 0;
}

int
cg_v1_set_blkio (const char *dir, const struct berth_blkio_resources *b, berth_error_t *err)
{
  if (b->has_weight && b->weight != 0
      && cg_writef (err, dir, weight_file (dir, "blkio.bfq.weight", "blkio.weight"), "%u",
                    (unsigned)b->weight)
             < 0)
    return berth_error_wrap (err, "blockIO.weight");
  if (b->has_leaf_weight && b->leaf_weight != 0
      && cg_writef (err, dir, "blkio.leaf_weight", "%u", (unsigned)b->leaf_weight) < 0)
    return berth_error_wrap (err, "blockIO.leafWeight");
  if (write_weight_devices (dir, b, false, err) < 0 || write_weight_devices (dir, b, true, err) < 0)
    return berth_error_wrap (err, "blockIO.weightDevice");
  if (write_throttle (dir, "blkio.throttle.read_bps_device", &b->read_bps, err) < 0
      || write_throttle (dir, "blkio.throttle.write_bps_device", &b->write_bps, err) < 0
      || write_throttle (dir, "blkio.throttle.read_iops_device", &b->read_iops, err) < 0
      || write_throttle (dir, "blkio.throttle.write_iops_device", &b->write_iops, err) < 0)
    return berth_error_wrap (err, "blockIO");
  return 0;
}

/* network.  */

int
cg_v1_set_net_cls (const char *dir, uint32_t class_id, berth_error_t *err)
{
  if (cg_writef (err, dir, "net_cls.classid", "%" PRIu32, class_id) < 0)
    return berth_error_wrap (err, "network.classID");
  return 0;
}

int
cg_v1_set_net_prio (const char *dir, const struct berth_network_resources *n, berth_error_t *err)
{
  cleanup_close int fd = -1;

  if (cg_open_write (dir, "net_prio.ifpriomap", &fd, err) < 0)
    return berth_error_wrap (err, "network.priorities");
  for (size_t i = 0; i < n->n_priorities; i++)
    {
      cleanup_free char *line = NULL;

      if (asprintf (&line, "%s %" PRIu32, n->priorities[i].name, n->priorities[i].priority) < 0)
        return berth_error (err, ENOMEM, "network.priorities");
      if (cg_write_line (fd, dir, "net_prio.ifpriomap", line, err) < 0)
        return berth_error_wrap (err, "network.priorities");
    }
  return 0;
}
