/* The container's control group: creation at `create`, limits from
 * linux.resources, process placement, freezing, signalling, statistics, OOM
 * events, and removal at `delete`.  Works on cgroup v1, hybrid (v1 plus a
 * cgroup2 mount at <root>/unified) and pure v2 hosts, detected at run time.
 *
 * Paths.  linux.cgroupsPath is taken relative to the cgroup root of every
 * hierarchy, as crun does: "/a/b" and "a/b" both mean <hierarchy>/a/b; when
 * absent the path is "/<id>".  ".." components are refused.  With
 * --systemd-cgroup the path is "slice:prefix:name" (empty slice =
 * "system.slice", default ":berth:<id>"), which names the directory
 * <expanded slice>/<prefix>-<name>.scope ("-.slice" is the root,
 * "a-b.slice" is "a.slice/a-b.slice"; a name ending in ".slice" is used as
 * is).  No systemd is asked: the directories are made directly on cgroupfs.
 *
 * Controllers.  A controller lives on the v1 hierarchy that carries it, else
 * on the cgroup2 hierarchy when listed in its cgroup.controllers (hybrid hosts
 * may have e.g. hugetlb there).  A limit whose controller is absent fails,
 * as in runc; limits that cgroup v2 cannot express (realtime, swappiness,
 * disableOOMKiller, useHierarchy false, leafWeight, network) fail on v2.
 * memory.kernel is parsed but ignored, as runc and crun do; memory.kernelTCP
 * is written on v1 where memory.kmem.tcp.limit_in_bytes exists, as crun
 * does.  Conversions follow runc: cpu.shares -> cpu.weight, blkio weight -> io.bfq.weight or
 * io.weight, memory.swap (memory+swap) -> memory.swap.max = swap - limit.
 *
 * Devices.  resources.devices is applied in order after an implicit "deny
 * all": v1 through devices.deny/devices.allow, v2 through an eBPF
 * BPF_PROG_TYPE_CGROUP_DEVICE program attached with BPF_F_ALLOW_MULTI
 * (replacing the one berth attached before).  When the config asks for
 * default_devices, runc's list of always-allowed devices (mknod of any
 * device, /dev/null, zero, full, random, urandom, tty, ptmx, pts, tun) is
 * appended after the spec's rules, as runc does; without it,
 * exactly the spec's list applies, and no list at all leaves the devices
 * controller untouched.
 *
 * Use.  create before the container process exists (the limits are in
 * force before it runs); then on pure v2 clone3 (CLONE_INTO_CGROUP) with
 * berth_cgroup_open_dir_fd, elsewhere berth_cgroup_enter (child pid) while
 * the child waits on its sync pipe, before it execs; serialize into the
 * state; load + destroy at delete, whatever became of the container.
 *
 * Stand-in trees.  A root that is not on cgroupfs (a temp directory of plain
 * files, for unit tests) is driven the same way, except that a new
 * directory gets empty copies of its parent's files, as the kernel would
 * populate it, removal deletes those files first, no eBPF program is
 * attached and no process is killed.  There the mode is detected from
 * which cgroup.controllers files exist, or set in the config.  */
#ifndef BERTH_LINUX_CGROUP_H
#define BERTH_LINUX_CGROUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "oci/resources.h"

enum berth_cgroup_mode
{
  BERTH_CGROUP_MODE_AUTO = 0, /* in a config: detect */
  BERTH_CGROUP_MODE_V1,       /* every controller on a v1 hierarchy */
  BERTH_CGROUP_MODE_HYBRID,   /* v1 hierarchies plus cgroup2 at <root>/unified */
  BERTH_CGROUP_MODE_UNIFIED,  /* pure cgroup v2 at <root> */
};

struct berth_cgroup_config
{
  const char *id;                          /* container id; required */
  const char *cgroups_path;                /* linux.cgroupsPath; NULL or "" for the default */
  bool systemd;                            /* --systemd-cgroup: cgroups_path is slice:prefix:name */
  const struct berth_resources *resources; /* NULL for none */
  bool default_devices;                    /* append runc's always-allowed devices (see above) */
  const char *root;                        /* NULL for /sys/fs/cgroup */
  enum berth_cgroup_mode mode;             /* AUTO: statfs of root and root/unified */
  /* Called by create once the directories are known and before any is
   * made, with the saved form (berth_cgroup_serialize) of what create is
   * about to make: the caller records it first, so that a create killed
   * half-way leaves nothing that no record names.  Failing stops create.
   * NULL for none.  */
  int (*before_make) (const char *saved, void *data, berth_error_t *err);
  void *before_make_data;
  /* The parents create makes stay when the cgroup is destroyed (an engine's
   * /berth, shared by its containers as Docker's /docker is): only the
   * container's own directory is the container's.  */
  bool keep_parents;
};

struct berth_cgroup;

/* The mode of the hierarchy at ROOT (NULL for /sys/fs/cgroup): cgroup2 magic
 * on ROOT is unified, on ROOT/unified hybrid, otherwise v1.  */
int berth_cgroup_detect_mode (const char *root, enum berth_cgroup_mode *mode, berth_error_t *err);

/* The cgroup path (relative to each hierarchy root, starting with "/") that
 * create would use; pure, for callers that show or check it.  */
int berth_cgroup_resolve_path (const char *id, const char *cgroups_path, bool systemd, char **path,
                               berth_error_t *err);

/* Make the container's cgroup in every hierarchy (v1: each controller
 * hierarchy and name=systemd, copying cpuset.cpus/mems down to new cpuset
 * directories; v2: enabling the available controllers in every ancestor's
 * cgroup.subtree_control) and apply cfg->resources.  An existing directory
 * is reused unless it holds processes.  On failure nothing berth made is
 * left behind.  */
int berth_cgroup_create (const struct berth_cgroup_config *cfg, struct berth_cgroup **out,
                         berth_error_t *err);

/* Move PID into the cgroup of every hierarchy (cgroup.procs).  */
int berth_cgroup_enter (const struct berth_cgroup *cg, pid_t pid, berth_error_t *err);

/* The calling process (single-threaded) moves itself: on v1 through `tasks`,
 * which spares the global lock and its RCU grace period that
 * berth_cgroup_enter of another process waits for.  Needs write access to
 * the host's cgroupfs (root, not in a new user namespace).  */
int berth_cgroup_enter_self (const struct berth_cgroup *cg, berth_error_t *err);

/* The same for the v1 hierarchies only: for a process born in its v2
 * cgroup by clone3 (CLONE_INTO_CGROUP) on a hybrid layout.  */
int berth_cgroup_enter_self_v1 (const struct berth_cgroup *cg, berth_error_t *err);

/* An O_PATH|O_DIRECTORY|O_CLOEXEC descriptor of the v2 cgroup, for
 * clone3 (CLONE_INTO_CGROUP) (caller closes).  Fails with EOPNOTSUPP
 * without a v2 hierarchy; on a hybrid layout the v1 hierarchies still need
 * joining (berth_cgroup_enter_self_v1).  */
int berth_cgroup_open_dir_fd (const struct berth_cgroup *cg, int *fd, berth_error_t *err);

/* Text to keep in the container state (JSON: mode, root, path, which
 * directories berth made); berth_cgroup_load takes it back.  NULL on OOM.  */
char *berth_cgroup_serialize (const struct berth_cgroup *cg);
int berth_cgroup_load (const char *text, struct berth_cgroup **out, berth_error_t *err);

void berth_cgroup_free (struct berth_cgroup *cg);

/* The relative path ("/berth-1") and the mode in use.  */
const char *berth_cgroup_path (const struct berth_cgroup *cg);
enum berth_cgroup_mode berth_cgroup_mode (const struct berth_cgroup *cg);

/* Apply RESOURCES to a live cgroup (`update`).  Only what RESOURCES gives
 * is written; memory.checkBeforeUpdate refuses a limit below the current
 * usage.  Devices are replaced when RESOURCES has a devices list.  */
int berth_cgroup_update (const struct berth_cgroup *cg, const struct berth_resources *resources,
                         berth_error_t *err);

/* Freeze or thaw, waiting until the kernel reports the new state (v1
 * freezer.state FROZEN/THAWED, else v2 cgroup.freeze and cgroup.events
 * "frozen").  A freeze that does not settle within 5 s is undone and
 * fails with ETIMEDOUT.  */
int berth_cgroup_set_frozen (const struct berth_cgroup *cg, bool frozen, berth_error_t *err);
int berth_cgroup_is_frozen (const struct berth_cgroup *cg, bool *frozen, berth_error_t *err);

/* Every process in the cgroup and its descendants (malloc'd, sorted).  */
int berth_cgroup_get_pids (const struct berth_cgroup *cg, pid_t **pids, size_t *n,
                           berth_error_t *err);

/* Send SIG to every process in the cgroup and its descendants.  Each pid is
 * pinned with a pidfd and checked to still be in the cgroup before the
 * signal, so a recycled pid is never hit.  */
int berth_cgroup_signal_all (const struct berth_cgroup *cg, int sig, berth_error_t *err);

/* Kill every process left (cgroup.kill where the kernel has it, else freeze,
 * SIGKILL every pid, thaw, until empty) and remove the directories, the
 * container's own sub-cgroups included, in every hierarchy; ancestors are
 * removed when berth made them and they are empty.  Idempotent: missing
 * directories are fine.  Fails with EBUSY when processes do not go within
 * 10 s.  */
int berth_cgroup_destroy (const struct berth_cgroup *cg, berth_error_t *err);

/* The "data" object of `events --stats` in runc's shape: cpu {usage {total,
 * percpu, percpu_kernel, percpu_user, kernel, user}, throttling {periods,
 * throttledPeriods, throttledTime}}, cpuset, memory {cache, usage, swap,
 * kernel, kernelTCP {limit, usage, max, failcnt}, raw {memory.stat}}, pids
 * {current, limit}, blkio {ioServiceBytesRecursive, ioServicedRecursive, ...
 * [{major, minor, op, value}]}, hugetlb {"2MB": {usage, max, failcnt}}.
 * Times in ns.  Members follow runc's omitempty rules.  */
int berth_cgroup_stats (const struct berth_cgroup *cg, json_t **data, berth_error_t *err);

/* How many processes of the cgroup the OOM killer killed (v1
 * memory.oom_control, v2 memory.events "oom_kill"); 0 without a memory
 * controller.  */
int berth_cgroup_oom_kill_count (const struct berth_cgroup *cg, uint64_t *n, berth_error_t *err);

/* OOM events for a poll loop.  berth_cgroup_oom_watch_fd is readable
 * (POLLIN) when something may have happened; then
 * berth_cgroup_oom_watch_read tells how many OOM events (the cgroup hit its
 * memory limit: v1 eventfd notifications via cgroup.event_control, v2 growth
 * of memory.events "oom", watched with inotify) occurred since the last
 * read, possibly 0.  Without a memory controller opening fails (ENOTSUP).  */
struct berth_cgroup_oom_watch;
int berth_cgroup_oom_watch_open (const struct berth_cgroup *cg, struct berth_cgroup_oom_watch **out,
                                 berth_error_t *err);
int berth_cgroup_oom_watch_fd (const struct berth_cgroup_oom_watch *w);
int berth_cgroup_oom_watch_read (struct berth_cgroup_oom_watch *w, uint64_t *events,
                                 berth_error_t *err);
void berth_cgroup_oom_watch_free (struct berth_cgroup_oom_watch *w);

/* runc's always-allowed device rules (see default_devices above).  */
const struct berth_device_rule *berth_cgroup_default_device_rules (size_t *n);

#endif
