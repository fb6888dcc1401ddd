/* linux.resources of config.json (and of `update --r`): the parsed cgroup
 * limits of runtime-spec 1.2.  Owned by the resources parser; read by
 * linux/cgroup*.  Every scalar has a presence flag, because an absent limit
 * (leave the kernel default alone) is not the same as a limit of 0.  */
#ifndef BERTH_OCI_RESOURCES_H
#define BERTH_OCI_RESOURCES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "json_reader.h"

/* linux.resources.memory; values in bytes, -1 meaning unlimited.  */
struct berth_memory_resources
{
  bool present;
  bool has_limit;
  int64_t limit;
  bool has_reservation;
  int64_t reservation;
  bool has_swap; /* memory+swap, as cgroup v1 counts it */
  int64_t swap;
  bool has_kernel; /* deprecated by the kernel; parsed, never applied */
  int64_t kernel;
  bool has_kernel_tcp; /* likewise */
  int64_t kernel_tcp;
  bool has_swappiness;
  uint64_t swappiness;
  bool has_disable_oom_killer;
  bool disable_oom_killer;
  bool has_use_hierarchy;
  bool use_hierarchy;
  bool has_check_before_update;
  bool check_before_update;
};

/* linux.resources.cpu.  */
struct berth_cpu_resources
{
  bool present;
  bool has_shares;
  uint64_t shares;
  bool has_quota;
  int64_t quota; /* microseconds per period; -1 = unlimited */
  bool has_burst;
  uint64_t burst;
  bool has_period;
  uint64_t period;
  bool has_realtime_runtime;
  int64_t realtime_runtime;
  bool has_realtime_period;
  uint64_t realtime_period;
  char *cpus; /* cpuset list ("0-3,7"); NULL when absent */
  char *mems; /* likewise for memory nodes */
  bool has_idle;
  int64_t idle;
};

struct berth_pids_resources
{
  bool present;
  bool has_limit;
  int64_t limit; /* 0 leaves the limit alone (as runc), < 0 = unlimited */
};

struct berth_weight_device
{
  int64_t major;
  int64_t minor;
  bool has_weight;
  uint16_t weight;
  bool has_leaf_weight;
  uint16_t leaf_weight;
};

struct berth_throttle_device
{
  int64_t major;
  int64_t minor;
  uint64_t rate;
};

struct berth_throttle_list
{
  struct berth_throttle_device *items;
  size_t n;
};

/* linux.resources.blockIO.  */
struct berth_blkio_resources
{
  bool present;
  bool has_weight;
  uint16_t weight; /* 10..1000 */
  bool has_leaf_weight;
  uint16_t leaf_weight;
  struct berth_weight_device *weight_devices;
  size_t n_weight_devices;
  struct berth_throttle_list read_bps;
  struct berth_throttle_list write_bps;
  struct berth_throttle_list read_iops;
  struct berth_throttle_list write_iops;
};

struct berth_hugepage_limit
{
  char *page_size; /* "2MB", "1GB", "64KB" */
  uint64_t limit;
};

struct berth_net_priority
{
  char *name; /* interface */
  uint32_t priority;
};

/* linux.resources.network (cgroup v1 net_cls / net_prio only).  */
struct berth_network_resources
{
  bool present;
  bool has_class_id;
  uint32_t class_id;
  struct berth_net_priority *priorities;
  size_t n_priorities;
};

/* One rule of linux.resources.devices.  */
struct berth_device_rule
{
  bool allow;
  char type;      /* 'a' (all, the default), 'b' or 'c' */
  int64_t major;  /* -1 = any (absent) */
  int64_t minor;  /* -1 = any (absent) */
  char access[4]; /* a subset of "rwm" in that order; "rwm" when absent */
};

/* One entry of linux.resources.rdma.  */
struct berth_rdma_limit
{
  char *device;
  bool has_hca_handles;
  uint32_t hca_handles;
  bool has_hca_objects;
  uint32_t hca_objects;
};

struct berth_resources
{
  struct berth_memory_resources memory;
  struct berth_cpu_resources cpu;
  struct berth_pids_resources pids;
  struct berth_blkio_resources blkio;
  struct berth_network_resources network;
  struct berth_hugepage_limit *hugepage_limits;
  size_t n_hugepage_limits;
  bool has_devices; /* devices given (possibly empty) */
  struct berth_device_rule *devices;
  size_t n_devices;
  struct berth_rdma_limit *rdma;
  size_t n_rdma;
  struct berth_key_value *unified; /* cgroup v2 file name -> value */
  size_t n_unified;
};

/* reader_fn for linux.resources: allocates *(struct berth_resources **) out.  */
int berth_resources_read (struct parser *p, json_t *v, void *out);

/* Parse a resources JSON document alone (`update --r FILE`); errors name the
 * field relative to the document ("memory.limit: expected 64-bit integer").  */
int berth_resources_parse (const char *text, size_t len, struct berth_resources **out,
                           berth_error_t *err);

void berth_resources_free (struct berth_resources *r);

#endif
