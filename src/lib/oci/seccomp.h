/* linux.seccomp of config.json (runtime-spec 1.2): the parsed profile.
 * Owned by the seccomp parser; read by linux/seccomp.c, which turns it into
 * a BPF filter.  Names ("SCMP_ACT_ERRNO", "SCMP_ARCH_X86_64") are resolved
 * here with private tables, so oci/ has no link dependency on libseccomp.  */
#ifndef BERTH_OCI_SECCOMP_H
#define BERTH_OCI_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "json_reader.h"

enum berth_seccomp_action
{
  BERTH_SECCOMP_ACT_KILL, /* libseccomp's SCMP_ACT_KILL, the same as KILL_THREAD */
  BERTH_SECCOMP_ACT_KILL_PROCESS,
  BERTH_SECCOMP_ACT_KILL_THREAD,
  BERTH_SECCOMP_ACT_TRAP,
  BERTH_SECCOMP_ACT_ERRNO,
  BERTH_SECCOMP_ACT_TRACE,
  BERTH_SECCOMP_ACT_ALLOW,
  BERTH_SECCOMP_ACT_LOG,
  BERTH_SECCOMP_ACT_NOTIFY,
};

enum berth_seccomp_op
{
  BERTH_SECCOMP_CMP_NE,
  BERTH_SECCOMP_CMP_LT,
  BERTH_SECCOMP_CMP_LE,
  BERTH_SECCOMP_CMP_EQ,
  BERTH_SECCOMP_CMP_GE,
  BERTH_SECCOMP_CMP_GT,
  BERTH_SECCOMP_CMP_MASKED_EQ, /* (arg & value) == valueTwo */
};

enum berth_seccomp_arch
{
  BERTH_SECCOMP_ARCH_X86,
  BERTH_SECCOMP_ARCH_X86_64,
  BERTH_SECCOMP_ARCH_X32,
  BERTH_SECCOMP_ARCH_ARM,
  BERTH_SECCOMP_ARCH_AARCH64,
  BERTH_SECCOMP_ARCH_MIPS,
  BERTH_SECCOMP_ARCH_MIPS64,
  BERTH_SECCOMP_ARCH_MIPS64N32,
  BERTH_SECCOMP_ARCH_MIPSEL,
  BERTH_SECCOMP_ARCH_MIPSEL64,
  BERTH_SECCOMP_ARCH_MIPSEL64N32,
  BERTH_SECCOMP_ARCH_PPC,
  BERTH_SECCOMP_ARCH_PPC64,
  BERTH_SECCOMP_ARCH_PPC64LE,
  BERTH_SECCOMP_ARCH_S390,
  BERTH_SECCOMP_ARCH_S390X,
  BERTH_SECCOMP_ARCH_PARISC,
  BERTH_SECCOMP_ARCH_PARISC64,
  BERTH_SECCOMP_ARCH_RISCV64,
  BERTH_SECCOMP_ARCH_LOONGARCH64, /* known to runc; needs libseccomp >= 2.6 */
};

/* linux.seccomp.flags, as a bit set.  */
enum
{
  BERTH_SECCOMP_FLAG_TSYNC = 1 << 0,
  BERTH_SECCOMP_FLAG_LOG = 1 << 1,
  BERTH_SECCOMP_FLAG_SPEC_ALLOW = 1 << 2,
  BERTH_SECCOMP_FLAG_WAIT_KILLABLE_RECV = 1 << 3,
};

/* The largest index of a syscall argument (syscalls take at most six).  */
#define BERTH_SECCOMP_MAX_ARG_INDEX 5

struct berth_seccomp_arg
{
  unsigned index; /* 0..BERTH_SECCOMP_MAX_ARG_INDEX */
  uint64_t value;
  uint64_t value_two; /* 0 when absent */
  enum berth_seccomp_op op;
};

struct berth_seccomp_syscall
{
  char **names; /* NULL-terminated; at least one non-empty name */
  enum berth_seccomp_action action;
  unsigned errno_ret; /* ERRNO and TRACE only: errnoRet, EPERM when absent */
  struct berth_seccomp_arg *args;
  size_t n_args;
};

struct berth_seccomp
{
  enum berth_seccomp_action default_action; /* never NOTIFY (checked here) */
  unsigned default_errno_ret;               /* ERRNO and TRACE only: EPERM when absent */
  enum berth_seccomp_arch *architectures;
  size_t n_architectures;
  unsigned flags;          /* BERTH_SECCOMP_FLAG_* */
  char *listener_path;     /* set whenever a rule uses SCMP_ACT_NOTIFY */
  char *listener_metadata; /* only with listener_path */
  struct berth_seccomp_syscall *syscalls;
  size_t n_syscalls;
};

/* reader_fn for linux.seccomp: allocates *(struct berth_seccomp **) out.
 * Besides types, it checks what the spec asks of a profile: known names,
 * errnoRet only with SCMP_ACT_ERRNO/SCMP_ACT_TRACE, listenerPath when
 * SCMP_ACT_NOTIFY is used, listenerMetadata only with listenerPath, and
 * SCMP_ACT_NOTIFY not as the default action (as runc: every syscall of
 * the init after the filter, including handing over the listener, would
 * wait for an agent that does not have the listener yet).  */
int berth_seccomp_read (struct parser *p, json_t *v, void *out);

void berth_seccomp_free (struct berth_seccomp *s);

/* Whether some rule uses SCMP_ACT_NOTIFY (a listener fd is then made).  */
bool berth_seccomp_uses_notify (const struct berth_seccomp *s);

/* Spec names of the values ("SCMP_ACT_ERRNO"), NULL past the last one, so
 * callers such as `features` can list them.  */
const char *berth_seccomp_action_name (unsigned action);
const char *berth_seccomp_op_name (unsigned op);
const char *berth_seccomp_arch_name (unsigned arch);
const char *berth_seccomp_flag_name (unsigned bit_index);

#endif
