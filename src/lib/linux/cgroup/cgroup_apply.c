/* linux.resources onto the hierarchies: for each group of limits, find the
 * hierarchy of its controller (v1, or v2 on hybrid and unified hosts), fail
 * when there is none, and hand over to the version's writer.  The writers
 * that are the same on both versions (cpuset, pids, hugetlb, rdma) live
 * here too.  */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cgroup_internal.h"

static int
write_file (const char *dir, int version, const char *file, const char *value, berth_error_t *err)
{
  if (cg_write (dir, file, value, err) < 0)
    return version == 2 ? cg_v2_explain_missing (dir, file, err) : berth_error_ret (err);
  return 0;
}

static int
missing_controller (const char *field, const char *controller, berth_error_t *err)
{
  return berth_error (err, 0, "%s: the %s cgroup controller is not available", field, controller);
}

/* Shared writers.  */

int
cg_set_cpuset (const char *dir, const struct berth_cpu_resources *c, berth_error_t *err)
{
  if (c->cpus && c->cpus[0] && cg_write (dir, "cpuset.cpus", c->cpus, err) < 0)
    return berth_error_wrap (err, "cpu.cpus");
  if (c->mems && c->mems[0] && cg_write (dir, "cpuset.mems", c->mems, err) < 0)
    return berth_error_wrap (err, "cpu.mems");
  return 0;
}

int
cg_set_pids (const char *dir, int64_t limit, berth_error_t *err)
{
  char buf[32];

  if (limit == 0)
    return 0; /* unset, as in runc */
  if (limit < 0)
    snprintf (buf, sizeof (buf), "max");
  else
    snprintf (buf, sizeof (buf), "%" PRId64, limit);
  if (cg_write (dir, "pids.max", buf, err) < 0)
    return berth_error_wrap (err, "pids.limit");
  return 0;
}

int
cg_set_hugetlb (const char *dir, int version, const struct berth_hugepage_limit *h, size_t n,
                berth_error_t *err)
{
  const char *suffix = version == 2 ? "max" : "limit_in_bytes";

  for (size_t i = 0; i < n; i++)
    {
      char file[64], rsvd[64], value[32];

      snprintf (file, sizeof (file), "hugetlb.%s.%s", h[i].page_size, suffix);
      snprintf (rsvd, sizeof (rsvd), "hugetlb.%s.rsvd.%s", h[i].page_size, suffix);
      snprintf (value, sizeof (value), "%" PRIu64, h[i].limit);
      if (!cg_file_exists (dir, file))
        return berth_error (err, 0, "hugepageLimits[%zu]: page size %s is not supported", i,
                            h[i].page_size);
      if (write_file (dir, version, file, value, err) < 0)
        return berth_error_wrap (err, "hugepageLimits[%zu]", i);
      /* Reservations count too since 5.7; limit them alike, as runc does.  */
      if (cg_file_exists (dir, rsvd) && write_file (dir, version, rsvd, value, err) < 0)
        return berth_error_wrap (err, "hugepageLimits[%zu]", i);
    }
  return 0;
}

int
cg_set_rdma (const char *dir, const struct berth_rdma_limit *l, size_t n, berth_error_t *err)
{
  cleanup_close int fd = -1;

  if (cg_open_write (dir, "rdma.max", &fd, err) < 0)
    return berth_error_wrap (err, "rdma");
  for (size_t i = 0; i < n; i++)
    {
      char line[256];
      int used = snprintf (line, sizeof (line), "%s", l[i].device);

      if (l[i].has_hca_handles)
        used += snprintf (line + used, sizeof (line) - used, " hca_handle=%" PRIu32,
                          l[i].hca_handles);
      if (l[i].has_hca_objects)
        snprintf (line + used, sizeof (line) - used, " hca_object=%" PRIu32, l[i].hca_objects);
      if (cg_write_line (fd, dir, "rdma.max", line, err) < 0)
        return berth_error_wrap (err, "rdma.%s", l[i].device);
    }
  return 0;
}

/* Dispatch.  */

static bool
memory_has_settings (const struct berth_memory_resources *m)
{
  /* kernel is ignored, kernelTCP is v1 only (below); checkBeforeUpdate sets
   * nothing.  */
  return m->has_limit || m->has_reservation || m->has_swap || m->has_swappiness
         || m->has_disable_oom_killer || m->has_use_hierarchy;
}

static int
apply_memory (const struct berth_cgroup *cg, const struct berth_memory_resources *m, bool update,
              berth_error_t *err)
{
  const char *dir;
  int version;

  bool tcp_only = !memory_has_settings (m) && m->has_kernel_tcp;

  if (!memory_has_settings (m) && !tcp_only)
    return 0;
  version = cg_locate (cg, "memory", "memory", &dir);
  /* kernelTCP alone is best effort, as with crun: cgroup v2 has no such
   * limit.  */
  if (tcp_only && version != 1)
    return 0;
  if (version == 0)
    return missing_controller ("memory", "memory", err);
  return version == 1 ? cg_v1_set_memory (dir, m, update, err)
                      : cg_v2_set_memory (dir, m, update, err);
}

static bool
cpu_has_settings (const struct berth_cpu_resources *c)
{
  return c->has_shares || c->has_quota || c->has_period || c->has_burst || c->has_realtime_runtime
         || c->has_realtime_period || c->has_idle;
}

static int
apply_cpu (const struct berth_cgroup *cg, const struct berth_cpu_resources *c, berth_error_t *err)
{
  const char *dir;
  int version;

  if (!cpu_has_settings (c))
    return 0;
  version = cg_locate (cg, "cpu", "cpu", &dir);
  if (version == 0)
    return missing_controller ("cpu", "cpu", err);
  return version == 1 ? cg_v1_set_cpu (dir, c, err) : cg_v2_set_cpu (dir, c, err);
}

static int
apply_cpuset (const struct berth_cgroup *cg, const struct berth_cpu_resources *c,
              berth_error_t *err)
{
  const char *dir;

  if (!(c->cpus && c->cpus[0]) && !(c->mems && c->mems[0]))
    return 0;
  if (cg_locate (cg, "cpuset", "cpuset", &dir) == 0)
    return missing_controller ("cpu.cpus", "cpuset", err);
  return cg_set_cpuset (dir, c, err);
}

static int
apply_pids (const struct berth_cgroup *cg, const struct berth_pids_resources *p, berth_error_t *err)
{
  const char *dir;

  if (!p->has_limit || p->limit == 0)
    return 0;
  if (cg_locate (cg, "pids", "pids", &dir) == 0)
    return missing_controller ("pids", "pids", err);
  return cg_set_pids (dir, p->limit, err);
}

static bool
blkio_has_settings (const struct berth_blkio_resources *b)
{
  return b->has_weight || b->has_leaf_weight || b->n_weight_devices || b->read_bps.n
         || b->write_bps.n || b->read_iops.n || b->write_iops.n;
}

static int
apply_blkio (const struct berth_cgroup *cg, const struct berth_blkio_resources *b,
             berth_error_t *err)
{
  const char *dir;
  int version;

  if (!blkio_has_settings (b))
    return 0;
  version = cg_locate (cg, "blkio", "io", &dir);
  if (version == 0)
    return missing_controller ("blockIO", cg->mode == BERTH_CGROUP_MODE_UNIFIED ? "io" : "blkio",
                               err);
  return version == 1 ? cg_v1_set_blkio (dir, b, err) : cg_v2_set_io (dir, b, err);
}

static int
apply_hugetlb (const struct berth_cgroup *cg, const struct berth_resources *r, berth_error_t *err)
{
  const char *dir;
  int version;

  if (r->n_hugepage_limits == 0)
    return 0;
  version = cg_locate (cg, "hugetlb", "hugetlb", &dir);
  if (version == 0)
    return missing_controller ("hugepageLimits", "hugetlb", err);
  return cg_set_hugetlb (dir, version, r->hugepage_limits, r->n_hugepage_limits, err);
}

/* net_cls and net_prio exist on v1 only.  */
static int
apply_network (const struct berth_cgroup *cg, const struct berth_network_resources *n,
               berth_error_t *err)
{
  const char *cls = cg_v1_dir (cg, "net_cls"), *prio = cg_v1_dir (cg, "net_prio");

  if (!n->has_class_id && n->n_priorities == 0)
    return 0;
  if (cg->mode == BERTH_CGROUP_MODE_UNIFIED)
    return berth_error (err, 0, "network: not supported on cgroup v2");
  if (n->has_class_id && cls == NULL)
    return missing_controller ("network.classID", "net_cls", err);
  if (n->n_priorities && prio == NULL)
    return missing_controller ("network.priorities", "net_prio", err);
  if (n->has_class_id && cg_v1_set_net_cls (cls, n->class_id, err) < 0)
    return berth_error_ret (err);
  if (n->n_priorities && cg_v1_set_net_prio (prio, n, err) < 0)
    return berth_error_ret (err);
  return 0;
}

static int
apply_rdma (const struct berth_cgroup *cg, const struct berth_resources *r, berth_error_t *err)
{
  const char *dir;

  if (r->n_rdma == 0)
    return 0;
  if (cg_locate (cg, "rdma", "rdma", &dir) == 0)
    return missing_controller ("rdma", "rdma", err);
  return cg_set_rdma (dir, r->rdma, r->n_rdma, err);
}

/* v1: the devices controller; v2: an eBPF program on the directory (not
 * possible in a stand-in tree).  */
static int
apply_devices (const struct berth_cgroup *cg, const struct berth_resources *r, bool update,
               berth_error_t *err)
{
  cleanup_free struct berth_device_rule *rules = NULL;
  cleanup_close int dirfd = -1;
  const char *dir = cg_v1_dir (cg, "devices");
  size_t n = 0;

  if (update && (r == NULL || !r->has_devices))
    return 0; /* update keeps the devices unless given new ones */
  if (cg_device_rules (cg, r, &rules, &n, err) < 0)
    return berth_error_ret (err);
  if (n == 0)
    return 0;
  if (dir)
    return cg_v1_set_devices (dir, rules, n, err);
  if (!cg->has_v2)
    return missing_controller ("devices", "devices", err);
  if (cg->fake)
    return 0;
  dirfd = open (cg->v2.dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dirfd < 0)
    return berth_error (err, errno, "open `%s`", cg->v2.dir);
  if (cg_devices_bpf_apply (dirfd, rules, n, err) < 0)
    return berth_error_wrap (err, "devices");
  return 0;
}

int
cg_apply (const struct berth_cgroup *cg, const struct berth_resources *r, bool update,
          berth_error_t *err)
{
  if (apply_devices (cg, r, update, err) < 0)
    return berth_error_ret (err);
  if (r == NULL)
    return 0;
  if (apply_cpuset (cg, &r->cpu, err) < 0 || apply_memory (cg, &r->memory, update, err) < 0
      || apply_cpu (cg, &r->cpu, err) < 0 || apply_pids (cg, &r->pids, err) < 0
      || apply_blkio (cg, &r->blkio, err) < 0 || apply_hugetlb (cg, r, err) < 0
      || apply_network (cg, &r->network, err) < 0 || apply_rdma (cg, r, err) < 0
      || cg_v2_set_unified (cg, r->unified, r->n_unified, err) < 0)
    return berth_error_ret (err);
  return 0;
}
