/* The cgroup v2 device filter: device rules compiled to an eBPF program of
 * type BPF_PROG_TYPE_CGROUP_DEVICE (raw instructions, no libbpf), loaded
 * and attached to the container's cgroup with bpf(2).
 *
 * The program sees struct bpf_cgroup_dev_ctx {access_type = access << 16 |
 * type, major, minor} and returns 1 to allow.  Rules are tested last to
 * first, so the last matching rule decides, as when the list is applied in
 * order; nothing matching means deny.  An allow rule matches when it grants
 * every requested access bit, a deny rule when it denies any of them.  */
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "cgroup_internal.h"

/* Instruction builders.  */

static struct bpf_insn
insn (uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
  struct bpf_insn i = { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
  return i;
}

#define LOAD_U32(dst, src, off) insn (BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define AND_IMM(dst, imm) insn (BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH_IMM(dst, imm) insn (BPF_ALU64 | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define MOV_REG(dst, src) insn (BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV_IMM(dst, imm) insn (BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, off) insn (BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define JEQ_IMM(dst, imm, off) insn (BPF_JMP | BPF_JEQ | BPF_K, dst, 0, off, imm)
#define JNE_REG(dst, src, off) insn (BPF_JMP | BPF_JNE | BPF_X, dst, src, off, 0)
#define EXIT() insn (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Registers after the prologue.  */
enum
{
  R_RET = 0,
  R_TMP = 1, /* the context, then scratch */
  R_TYPE = 2,
  R_ACCESS = 3,
  R_MAJOR = 4,
  R_MINOR = 5,
};

#define MAX_RULE_INSNS 8

struct program
{
  struct bpf_insn *insns;
  size_t n;
};

static void
emit (struct program *p, struct bpf_insn i)
{
  p->insns[p->n++] = i;
}

static uint32_t
rule_access_bits (const struct berth_device_rule *rule)
{
  uint32_t bits = 0;

  for (const char *c = rule->access; *c; c++)
    bits |= *c == 'r' ? BPF_DEVCG_ACC_READ : *c == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
  return bits;
}

/* One rule: conditional jumps past the block on mismatch, then the
 * verdict.  Returns whether the rule matches everything (nothing after it
 * can run, and the verifier refuses unreachable code).  */
static bool
emit_rule (struct program *p, const struct berth_device_rule *rule)
{
  const uint32_t all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
  uint32_t access = rule_access_bits (rule);
  bool any_device = rule->type == 'a';
  bool check_type = !any_device, check_access = access != all;
  bool check_major = !any_device && rule->major >= 0, check_minor = !any_device && rule->minor >= 0;
  size_t len = 2 + check_type + 3 * check_access + check_major + check_minor, start = p->n;

#define SKIP_REST() ((int16_t)(len - (p->n - start) - 1))
  if (check_type)
    emit (p, JNE_IMM (R_TYPE, rule->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR,
                      SKIP_REST ()));
  if (check_access)
    {
      emit (p, MOV_REG (R_TMP, R_ACCESS));
      emit (p, AND_IMM (R_TMP, access));
      if (rule->allow)
        emit (p, JNE_REG (R_TMP, R_ACCESS, SKIP_REST ()));
      else
        emit (p, JEQ_IMM (R_TMP, 0, SKIP_REST ()));
    }
  if (check_major)
    emit (p, JNE_IMM (R_MAJOR, (int32_t)rule->major, SKIP_REST ()));
  if (check_minor)
    emit (p, JNE_IMM (R_MINOR, (int32_t)rule->minor, SKIP_REST ()));
#undef SKIP_REST
  emit (p, MOV_IMM (R_RET, rule->allow ? 1 : 0));
  emit (p, EXIT ());
  return len == 2;
}

int
cg_devices_bpf_build (const struct berth_device_rule *rules, size_t n, struct bpf_insn **insns,
                      size_t *n_insns, berth_error_t *err)
{
  struct program p = { calloc (6 + 2 + n * MAX_RULE_INSNS, sizeof (struct bpf_insn)), 0 };
  bool complete = false;

  if (p.insns == NULL)
    return berth_error (err, ENOMEM, "device filter");
  for (size_t i = 0; i < n; i++)
    if (rules[i].major > INT32_MAX || rules[i].minor > INT32_MAX)
      {
        free (p.insns);
        return berth_error (err, 0, "devices[%zu]: device number too large", i);
      }
  emit (&p, LOAD_U32 (R_TYPE, R_TMP, 0));
  emit (&p, AND_IMM (R_TYPE, 0xffff));
  emit (&p, LOAD_U32 (R_ACCESS, R_TMP, 0));
  emit (&p, RSH_IMM (R_ACCESS, 16));
  emit (&p, LOAD_U32 (R_MAJOR, R_TMP, 4));
  emit (&p, LOAD_U32 (R_MINOR, R_TMP, 8));
  for (size_t i = n; i-- > 0 && !complete;)
    complete = emit_rule (&p, &rules[i]);
  if (!complete)
    {
      emit (&p, MOV_IMM (R_RET, 0));
      emit (&p, EXIT ());
    }
  *insns = p.insns;
  *n_insns = p.n;
  return 0;
}

/* bpf(2).  */

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int)syscall (__NR_bpf, cmd, attr, sizeof (*attr));
}

static int
load_program (const struct bpf_insn *insns, size_t n, int *fd, berth_error_t *err)
{
  static const char license[] = "Apache-2.0";
  cleanup_free char *log = NULL;
  union bpf_attr attr;
  int e;

  memset (&attr, 0, sizeof (attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uintptr_t)insns;
  attr.insn_cnt = (uint32_t)n;
  attr.license = (uintptr_t)license;
  *fd = sys_bpf (BPF_PROG_LOAD, &attr);
  if (*fd >= 0)
    return 0;
  e = errno;
  /* Once more with the verifier's log, for the error message.  */
  log = calloc (1, 16384);
  if (log && e != EPERM && e != ENOSYS)
    {
      attr.log_level = 1;
      attr.log_buf = (uintptr_t)log;
      attr.log_size = 16384;
      sys_bpf (BPF_PROG_LOAD, &attr);
      log[16383] = '\0';
      if (log[0])
        return berth_error (err, e, "load device filter (%s)", log);
    }
  return berth_error (err, e, "load device filter");
}

/* Ids of the device programs attached directly to the cgroup.  */
static int
query_programs (int dirfd, uint32_t *ids, uint32_t *n, berth_error_t *err)
{
  union bpf_attr attr;

  memset (&attr, 0, sizeof (attr));
  attr.query.target_fd = dirfd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uintptr_t)ids;
  attr.query.prog_cnt = *n;
  if (sys_bpf (BPF_PROG_QUERY, &attr) < 0)
    return berth_error (err, errno, "query device filters");
  *n = attr.query.prog_cnt;
  return 0;
}

static int
attach_program (int dirfd, int prog, berth_error_t *err)
{
  union bpf_attr attr;

  memset (&attr, 0, sizeof (attr));
  attr.target_fd = dirfd;
  attr.attach_bpf_fd = prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &attr) < 0)
    return berth_error (err, errno, "attach device filter");
  return 0;
}

static int
detach_program_id (int dirfd, uint32_t id, berth_error_t *err)
{
  cleanup_close int prog = -1;
  union bpf_attr attr;

  memset (&attr, 0, sizeof (attr));
  attr.prog_id = id;
  prog = sys_bpf (BPF_PROG_GET_FD_BY_ID, &attr);
  if (prog < 0)
    return errno == ENOENT ? 0 : berth_error (err, errno, "open device filter %u", id);
  memset (&attr, 0, sizeof (attr));
  attr.target_fd = dirfd;
  attr.attach_bpf_fd = prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  if (sys_bpf (BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
    return berth_error (err, errno, "detach device filter %u", id);
  return 0;
}

int
cg_devices_bpf_apply (int dirfd, const struct berth_device_rule *rules, size_t n,
                      berth_error_t *err)
{
  cleanup_free struct bpf_insn *insns = NULL;
  cleanup_close int prog = -1;
  uint32_t old[64];
  uint32_t n_old = sizeof (old) / sizeof (old[0]);
  size_t n_insns;

  if (cg_devices_bpf_build (rules, n, &insns, &n_insns, err) < 0
      || load_program (insns, n_insns, &prog, err) < 0
      || query_programs (dirfd, old, &n_old, err) < 0)
    return berth_error_ret (err);
  /* The new filter goes in before the old ones leave, so that no moment is
   * without one.  */
  if (attach_program (dirfd, prog, err) < 0)
    return berth_error_ret (err);
  for (uint32_t i = 0; i < n_old; i++)
    if (detach_program_id (dirfd, old[i], err) < 0)
      return berth_error_ret (err);
  return 0;
}
