/* Private to linux/cgroup*.c (and their unit tests): the cgroup handle, the
 * layout of the hierarchies, and the per-subject helpers the public calls in
 * cgroup.h are built from.  */
#ifndef BERTH_LINUX_CGROUP_INTERNAL_H
#define BERTH_LINUX_CGROUP_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"

#define CG_DEFAULT_ROOT "/sys/fs/cgroup"

/* The container's directory in one hierarchy.  */
struct cg_hierarchy
{
  char *name;       /* directory under the root ("cpu,cpuacct", "systemd"); "" for v2 */
  char *base;       /* the hierarchy's root directory */
  char *dir;        /* base + the cgroup path */
  unsigned created; /* trailing components of the path that berth made */
};

struct berth_cgroup
{
  enum berth_cgroup_mode mode;
  bool fake;            /* a stand-in tree of plain files (see cgroup.h) */
  bool default_devices; /* append runc's allowed devices to device rules */
  char *root;
  char *path; /* "/a/b": relative to every hierarchy root */
  struct cg_hierarchy *v1;
  size_t n_v1;
  bool has_v2;
  struct cg_hierarchy v2;
  char **v2_controllers; /* the v2 root's cgroup.controllers; NULL-terminated */
};

/* cgroup_layout.c: which hierarchies exist and where a controller lives.  */
int cg_layout_discover (struct berth_cgroup *cg, berth_error_t *err);
bool cg_root_is_fake (const char *root);
/* The container's directory for CONTROLLER on a v1 hierarchy, or NULL.  */
const char *cg_v1_dir (const struct berth_cgroup *cg, const char *controller);
bool cg_v2_has_controller (const struct berth_cgroup *cg, const char *controller);
/* Where V1NAME (on v1) or V2NAME (on v2) lives: 1 or 2, *dir set; 0 when
 * absent.  V2NAME may be NULL for v1-only controllers.  */
int cg_locate (const struct berth_cgroup *cg, const char *v1name, const char *v2name,
               const char **dir);
/* Whether a whitespace-separated LIST names WORD.  */
bool cg_list_has (const char *list, const char *word);

/* cgroup_fs.c: files of one cgroup directory.  */
int cg_write (const char *dir, const char *file, const char *value, berth_error_t *err);
int cg_writef (berth_error_t *err, const char *dir, const char *file, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
/* A descriptor for writing several lines, one write(2) each.  */
int cg_open_write (const char *dir, const char *file, int *fd, berth_error_t *err);
int cg_write_line (int fd, const char *dir, const char *file, const char *line, berth_error_t *err);
int cg_read (const char *dir, const char *file, char **out, berth_error_t *err);
/* A file's single number; "max" reads as UINT64_MAX.  */
int cg_read_u64 (const char *dir, const char *file, uint64_t *out, berth_error_t *err);
/* The value of KEY in a "key value" per line file; 0 and *out = 0 when the
 * key is absent.  */
int cg_read_keyed (const char *dir, const char *file, const char *key, uint64_t *out,
                   berth_error_t *err);
bool cg_file_exists (const char *dir, const char *file);
/* mkdir -p REL under BASE; *created = the trailing components made.  A
 * fake tree's new directories get empty copies of their parent's files.  */
int cg_mkdir (bool fake, const char *base, const char *rel, unsigned *created, berth_error_t *err);
/* Remove DIR and its sub-cgroups, bottom up, retrying EBUSY for a while;
 * missing is fine.  */
int cg_remove_tree (bool fake, const char *dir, berth_error_t *err);
/* Remove DIR's ancestors that berth made (CREATED counts DIR itself) while
 * they are empty.  */
void cg_remove_created_parents (bool fake, const char *dir, unsigned created);
/* The pids in DIR/cgroup.procs and, when RECURSIVE, in every sub-cgroup;
 * appended to *pids (sorted and deduplicated by cg_pids_normalize).  */
int cg_read_pids (const char *dir, bool recursive, pid_t **pids, size_t *n, berth_error_t *err);
void cg_pids_normalize (pid_t *pids, size_t *n);

/* cgroup_apply.c: linux.resources onto the hierarchies.  */
int cg_apply (const struct berth_cgroup *cg, const struct berth_resources *r, bool update,
              berth_error_t *err);

/* cgroup_v1.c: writers for v1 controllers; DIR is the container's
 * directory in the controller's hierarchy.  */
int cg_v1_set_memory (const char *dir, const struct berth_memory_resources *m, bool update,
                      berth_error_t *err);
int cg_v1_set_cpu (const char *dir, const struct berth_cpu_resources *c, berth_error_t *err);
int cg_v1_init_cpuset (const char *base, const char *rel, berth_error_t *err);
int cg_v1_set_blkio (const char *dir, const struct berth_blkio_resources *b, berth_error_t *err);
int cg_v1_set_net_cls (const char *dir, uint32_t class_id, berth_error_t *err);
int cg_v1_set_net_prio (const char *dir, const struct berth_network_resources *n,
                        berth_error_t *err);

/* cgroup_v2.c: writers for cgroup v2; DIR is the container's directory.  */
void cg_v2_enable_controllers (const struct berth_cgroup *cg);
int cg_v2_set_memory (const char *dir, const struct berth_memory_resources *m, bool update,
                      berth_error_t *err);
int cg_v2_set_cpu (const char *dir, const struct berth_cpu_resources *c, berth_error_t *err);
int cg_v2_set_io (const char *dir, const struct berth_blkio_resources *b, berth_error_t *err);
int cg_v2_set_unified (const struct berth_cgroup *cg, const struct berth_key_value *kv, size_t n,
                       berth_error_t *err);
/* Turn a failed write's ENOENT into "controller `x` is not available".  */
int cg_v2_explain_missing (const char *dir, const char *file, berth_error_t *err);

/* Writers shared by both versions (same file names).  */
int cg_set_cpuset (const char *dir, const struct berth_cpu_resources *c, berth_error_t *err);
int cg_set_pids (const char *dir, int64_t limit, berth_error_t *err);
int cg_set_hugetlb (const char *dir, int version, const struct berth_hugepage_limit *h, size_t n,
                    berth_error_t *err);
int cg_set_rdma (const char *dir, const struct berth_rdma_limit *l, size_t n, berth_error_t *err);

/* cgroup_convert.c: v1 -> v2 value conversions, as runc does them.  */
uint64_t cg_shares_to_weight (uint64_t shares);
uint64_t cg_blkio_weight_to_io_weight (uint64_t weight);
/* memory.swap.max from the spec's memory+swap SWAP and memory LIMIT (0 =
 * unset for both); -1 is "max".  */
int cg_swap_to_v2 (int64_t swap, int64_t limit, int64_t *out, berth_error_t *err);

/* cgroup_devices.c: device rules.  */
/* The effective list: resources' rules then, with default_devices, runc's;
 * *n = 0 when there is nothing to apply.  */
int cg_device_rules (const struct berth_cgroup *cg, const struct berth_resources *r,
                     struct berth_device_rule **rules, size_t *n, berth_error_t *err);
int cg_v1_set_devices (const char *dir, const struct berth_device_rule *rules, size_t n,
                       berth_error_t *err);

/* cgroup_devices_bpf.c: the v2 device filter.  */
struct bpf_insn;
/* The program for RULES (deny unless the last matching rule allows).  */
int cg_devices_bpf_build (const struct berth_device_rule *rules, size_t n, struct bpf_insn **insns,
                          size_t *n_insns, berth_error_t *err);
/* Load the program for RULES and attach it to the cgroup at DIRFD with
 * BPF_F_ALLOW_MULTI, detaching the device programs attached there before.  */
int cg_devices_bpf_apply (int dirfd, const struct berth_device_rule *rules, size_t n,
                          berth_error_t *err);

/* cgroup_freeze.c.  */
int cg_freeze_request (const struct berth_cgroup *cg, bool frozen, berth_error_t *err);

/* cgroup_procs.c.  */
int cg_kill_all (const struct berth_cgroup *cg, berth_error_t *err);
/* The directory whose cgroup.procs lists the container's processes.  */
const char *cg_primary_dir (const struct berth_cgroup *cg);

#endif
