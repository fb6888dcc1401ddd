/* Owns the engine's seccomp profiles: berth's copy of Docker's default
 * profile, kept as data in berth's own form (a list of rules, each with the
 * architectures and capabilities it depends on), and the reading of
 * Docker-format profile files (`--security-opt seccomp=FILE`).  Both end as
 * runtime-spec linux.seccomp for this build's architecture and the
 * container's final capability set.
 *
 * The rules follow the profile Docker documents (moby's
 * profiles/seccomp/default.json): everything not allowed fails with EPERM;
 * a base allow list; personality, socket and clone only with harmless
 * arguments; the syscalls a capability unlocks allowed only with it; and
 * clone3 failing with ENOSYS, so C libraries fall back to clone, whose
 * namespace flags the filter can see.  */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "oci/json_writer.h"
#include "cleanup.h"
#include "engine/engine_error.h"
#include "engine/spec.h"
#include "oci/names.h"

/* Architectures as Docker's profile names them (Go's GOARCH).  */
enum
{
  A_AMD64 = 1 << 0,
  A_X86 = 1 << 1,
  A_X32 = 1 << 2,
  A_ARM = 1 << 3,
  A_ARM64 = 1 << 4,
  A_PPC64LE = 1 << 5,
  A_S390 = 1 << 6,
  A_S390X = 1 << 7,
  A_RISCV64 = 1 << 8,
};

static const struct
{
  const char *name;
  unsigned bit;
} arch_names[] = {
  { "amd64", A_AMD64 }, { "x86", A_X86 },         { "386", A_X86 },         { "x32", A_X32 },
  { "arm", A_ARM },     { "arm64", A_ARM64 },     { "ppc64le", A_PPC64LE }, { "s390", A_S390 },
  { "s390x", A_S390X }, { "riscv64", A_RISCV64 },
};

/* This build's architecture, and the seccomp architectures its processes
 * can run (the native one first, then the compat ones).  */
#if defined(__x86_64__)
#define NATIVE_ARCH A_AMD64
static const char *const native_scmp_arches[]
    = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL };
#elif defined(__aarch64__)
#define NATIVE_ARCH A_ARM64
static const char *const native_scmp_arches[] = { "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", NULL };
#elif defined(__i386__)
#define NATIVE_ARCH A_X86
static const char *const native_scmp_arches[] = { "SCMP_ARCH_X86", NULL };
#elif defined(__arm__)
#define NATIVE_ARCH A_ARM
static const char *const native_scmp_arches[] = { "SCMP_ARCH_ARM", NULL };
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_ARCH A_PPC64LE
static const char *const native_scmp_arches[] = { "SCMP_ARCH_PPC64LE", NULL };
#elif defined(__s390x__)
#define NATIVE_ARCH A_S390X
static const char *const native_scmp_arches[] = { "SCMP_ARCH_S390X", "SCMP_ARCH_S390", NULL };
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_ARCH A_RISCV64
static const char *const native_scmp_arches[] = { "SCMP_ARCH_RISCV64", NULL };
#else
#error "berth's seccomp profile does not know this architecture"
#endif

#define CAP(n) (1ULL << (n))

enum rule_action
{
  R_ALLOW,
  R_ERRNO,
};

struct rule_arg
{
  unsigned index;
  uint64_t value;
  uint64_t value_two;
  const char *op;
};

struct rule
{
  const char *const *names;
  enum rule_action action;
  unsigned errno_ret;
  struct rule_arg arg;    /* used when op is set; Docker's rules test one argument at most */
  unsigned only_arches;   /* 0: every architecture */
  unsigned except_arches; /* the rule is dropped on these */
  uint64_t needs_caps;    /* all of them must be in the bounding set */
  uint64_t unless_caps;   /* dropped when any of them is */
  unsigned min_kernel[2]; /* major, minor; {0, 0}: any */
};

/* What any container may call.  */
static const char *const base_allowed[] = {
  "accept",
  "accept4",
  "access",
  "adjtimex",
  "alarm",
  "bind",
  "brk",
  "capget",
  "capset",
  "chdir",
  "chmod",
  "chown",
  "chown32",
  "clock_adjtime",
  "clock_adjtime64",
  "clock_getres",
  "clock_getres_time64",
  "clock_gettime",
  "clock_gettime64",
  "clock_nanosleep",
  "clock_nanosleep_time64",
  "close",
  "close_range",
  "connect",
  "copy_file_range",
  "creat",
  "dup",
  "dup2",
  "dup3",
  "epoll_create",
  "epoll_create1",
  "epoll_ctl",
  "epoll_ctl_old",
  "epoll_pwait",
  "epoll_pwait2",
  "epoll_wait",
  "epoll_wait_old",
  "eventfd",
  "eventfd2",
  "execve",
  "execveat",
  "exit",
  "exit_group",
  "faccessat",
  "faccessat2",
  "fadvise64",
  "fadvise64_64",
  "fallocate",
  "fanotify_mark",
  "fchdir",
  "fchmod",
  "fchmodat",
  "fchown",
  "fchown32",
  "fchownat",
  "fcntl",
  "fcntl64",
  "fdatasync",
  "fgetxattr",
  "flistxattr",
  "flock",
  "fork",
  "fremovexattr",
  "fsetxattr",
  "fstat",
  "fstat64",
  "fstatat64",
  "fstatfs",
  "fstatfs64",
  "fsync",
  "ftruncate",
  "ftruncate64",
  "futex",
  "futex_time64",
  "futex_waitv",
  "futimesat",
  "getcpu",
  "getcwd",
  "getdents",
  "getdents64",
  "getegid",
  "getegid32",
  "geteuid",
  "geteuid32",
  "getgid",
  "getgid32",
  "getgroups",
  "getgroups32",
  "getitimer",
  "getpeername",
  "getpgid",
  "getpgrp",
  "getpid",
  "getppid",
  "getpriority",
  "getrandom",
  "getresgid",
  "getresgid32",
  "getresuid",
  "getresuid32",
  "getrlimit",
  "get_robust_list",
  "getrusage",
  "getsid",
  "getsockname",
  "getsockopt",
  "get_thread_area",
  "gettid",
  "gettimeofday",
  "getuid",
  "getuid32",
  "getxattr",
  "inotify_add_watch",
  "inotify_init",
  "inotify_init1",
  "inotify_rm_watch",
  "io_cancel",
  "ioctl",
  "io_destroy",
  "io_getevents",
  "io_pgetevents",
  "io_pgetevents_time64",
  "ioprio_get",
  "ioprio_set",
  "io_setup",
  "io_submit",
  "io_uring_enter",
  "io_uring_register",
  "io_uring_setup",
  "ipc",
  "kill",
  "landlock_add_rule",
  "landlock_create_ruleset",
  "landlock_restrict_self",
  "lchown",
  "lchown32",
  "lgetxattr",
  "link",
  "linkat",
  "listen",
  "listxattr",
  "llistxattr",
  "_llseek",
  "lremovexattr",
  "lseek",
  "lsetxattr",
  "lstat",
  "lstat64",
  "madvise",
  "membarrier",
  "memfd_create",
  "memfd_secret",
  "mincore",
  "mkdir",
  "mkdirat",
  "mknod",
  "mknodat",
  "mlock",
  "mlock2",
  "mlockall",
  "mmap",
  "mmap2",
  "mprotect",
  "mq_getsetattr",
  "mq_notify",
  "mq_open",
  "mq_timedreceive",
  "mq_timedreceive_time64",
  "mq_timedsend",
  "mq_timedsend_time64",
  "mq_unlink",
  "mremap",
  "msgctl",
  "msgget",
  "msgrcv",
  "msgsnd",
  "msync",
  "munlock",
  "munlockall",
  "munmap",
  "name_to_handle_at",
  "nanosleep",
  "newfstatat",
  "_newselect",
  "open",
  "openat",
  "openat2",
  "pause",
  "pidfd_open",
  "pidfd_send_signal",
  "pipe",
  "pipe2",
  "pkey_alloc",
  "pkey_free",
  "pkey_mprotect",
  "poll",
  "ppoll",
  "ppoll_time64",
  "prctl",
  "pread64",
  "preadv",
  "preadv2",
  "prlimit64",
  "process_mrelease",
  "pselect6",
  "pselect6_time64",
  "pwrite64",
  "pwritev",
  "pwritev2",
  "read",
  "readahead",
  "readlink",
  "readlinkat",
  "readv",
  "recv",
  "recvfrom",
  "recvmmsg",
  "recvmmsg_time64",
  "recvmsg",
  "remap_file_pages",
  "removexattr",
  "rename",
  "renameat",
  "renameat2",
  "restart_syscall",
  "rmdir",
  "rseq",
  "rt_sigaction",
  "rt_sigpending",
  "rt_sigprocmask",
  "rt_sigqueueinfo",
  "rt_sigreturn",
  "rt_sigsuspend",
  "rt_sigtimedwait",
  "rt_sigtimedwait_time64",
  "rt_tgsigqueueinfo",
  "sched_getaffinity",
  "sched_getattr",
  "sched_getparam",
  "sched_get_priority_max",
  "sched_get_priority_min",
  "sched_getscheduler",
  "sched_rr_get_interval",
  "sched_rr_get_interval_time64",
  "sched_setaffinity",
  "sched_setattr",
  "sched_setparam",
  "sched_setscheduler",
  "sched_yield",
  "seccomp",
  "select",
  "semctl",
  "semget",
  "semop",
  "semtimedop",
  "semtimedop_time64",
  "send",
  "sendfile",
  "sendfile64",
  "sendmmsg",
  "sendmsg",
  "sendto",
  "setfsgid",
  "setfsgid32",
  "setfsuid",
  "setfsuid32",
  "setgid",
  "setgid32",
  "setgroups",
  "setgroups32",
  "setitimer",
  "setpgid",
  "setpriority",
  "setregid",
  "setregid32",
  "setresgid",
  "setresgid32",
  "setresuid",
  "setresuid32",
  "setreuid",
  "setreuid32",
  "setrlimit",
  "set_robust_list",
  "setsid",
  "setsockopt",
  "set_thread_area",
  "set_tid_address",
  "setuid",
  "setuid32",
  "setxattr",
  "shmat",
  "shmctl",
  "shmdt",
  "shmget",
  "shutdown",
  "sigaltstack",
  "signalfd",
  "signalfd4",
  "sigprocmask",
  "sigreturn",
  "socketcall",
  "socketpair",
  "splice",
  "stat",
  "stat64",
  "statfs",
  "statfs64",
  "statx",
  "symlink",
  "symlinkat",
  "sync",
  "sync_file_range",
  "syncfs",
  "sysinfo",
  "tee",
  "tgkill",
  "time",
  "timer_create",
  "timer_delete",
  "timer_getoverrun",
  "timer_gettime",
  "timer_gettime64",
  "timer_settime",
  "timer_settime64",
  "timerfd_create",
  "timerfd_gettime",
  "timerfd_gettime64",
  "timerfd_settime",
  "timerfd_settime64",
  "times",
  "tkill",
  "truncate",
  "truncate64",
  "ugetrlimit",
  "umask",
  "uname",
  "unlink",
  "unlinkat",
  "utime",
  "utimensat",
  "utimensat_time64",
  "utimes",
  "vfork",
  "vmsplice",
  "wait4",
  "waitid",
  "waitpid",
  "write",
  "writev",
  NULL,
};

#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* The namespace flags of clone(2) (CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC
 * | NEWUSER | NEWPID | NEWNET): without CAP_SYS_ADMIN, clone may only be
 * called with none of them.  */
#define CLONE_NAMESPACE_FLAGS 0x7E020000ULL

static const struct rule rules[] = {
  { .names = base_allowed, .action = R_ALLOW },
  /* Before 4.8, ptrace could bypass seccomp.  */
  { .names = NAMES ("process_vm_readv", "process_vm_writev", "ptrace"),
    .action = R_ALLOW,
    .min_kernel = { 4, 8 } },
  /* AF_VSOCK (40) reaches the host.  */
  { .names = NAMES ("socket"), .action = R_ALLOW, .arg = { 0, 40, 0, "SCMP_CMP_NE" } },
  /* personality only to the harmless domains: PER_LINUX, PER_LINUX32,
   * UNAME26, PER_LINUX32|UNAME26, and the query 0xffffffff.  */
  { .names = NAMES ("personality"), .action = R_ALLOW, .arg = { 0, 0x0, 0, "SCMP_CMP_EQ" } },
  { .names = NAMES ("personality"), .action = R_ALLOW, .arg = { 0, 0x8, 0, "SCMP_CMP_EQ" } },
  { .names = NAMES ("personality"), .action = R_ALLOW, .arg = { 0, 0x20000, 0, "SCMP_CMP_EQ" } },
  { .names = NAMES ("personality"), .action = R_ALLOW, .arg = { 0, 0x20008, 0, "SCMP_CMP_EQ" } },
  { .names = NAMES ("personality"),
    .action = R_ALLOW,
    .arg = { 0, 0xffffffffULL, 0, "SCMP_CMP_EQ" } },
  /* Architecture-specific calls.  */
  { .names = NAMES ("sync_file_range2", "swapcontext"),
    .action = R_ALLOW,
    .only_arches = A_PPC64LE },
  { .names = NAMES ("arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
                    "cacheflush", "set_tls"),
    .action = R_ALLOW,
    .only_arches = A_ARM | A_ARM64 },
  { .names = NAMES ("arch_prctl"), .action = R_ALLOW, .only_arches = A_AMD64 | A_X32 },
  { .names = NAMES ("modify_ldt"), .action = R_ALLOW, .only_arches = A_AMD64 | A_X32 | A_X86 },
  { .names = NAMES ("s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"),
    .action = R_ALLOW,
    .only_arches = A_S390 | A_S390X },
  { .names = NAMES ("riscv_flush_icache"), .action = R_ALLOW, .only_arches = A_RISCV64 },
  /* What a capability unlocks.  */
  { .names = NAMES ("open_by_handle_at"),
    .action = R_ALLOW,
    .needs_caps = CAP (CAP_DAC_READ_SEARCH) },
  { .names = NAMES ("bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen",
                    "fspick", "lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree",
                    "perf_event_open", "quotactl", "quotactl_fd", "setdomainname", "sethostname",
                    "setns", "syslog", "umount", "umount2", "unshare"),
    .action = R_ALLOW,
    .needs_caps = CAP (CAP_SYS_ADMIN) },
  /* clone without namespace flags (s390 swaps the first two arguments).  */
  { .names = NAMES ("clone"),
    .action = R_ALLOW,
    .arg = { 0, CLONE_NAMESPACE_FLAGS, 0, "SCMP_CMP_MASKED_EQ" },
    .unless_caps = CAP (CAP_SYS_ADMIN),
    .except_arches = A_S390 | A_S390X },
  { .names = NAMES ("clone"),
    .action = R_ALLOW,
    .arg = { 1, CLONE_NAMESPACE_FLAGS, 0, "SCMP_CMP_MASKED_EQ" },
    .unless_caps = CAP (CAP_SYS_ADMIN),
    .only_arches = A_S390 | A_S390X },
  /* clone3's flags are behind a pointer the filter cannot read: ENOSYS makes
   * C libraries fall back to clone.  */
  { .names = NAMES ("clone3"),
    .action = R_ERRNO,
    .errno_ret = ENOSYS,
    .unless_caps = CAP (CAP_SYS_ADMIN) },
  { .names = NAMES ("reboot"), .action = R_ALLOW, .needs_caps = CAP (CAP_SYS_BOOT) },
  { .names = NAMES ("chroot"), .action = R_ALLOW, .needs_caps = CAP (CAP_SYS_CHROOT) },
  { .names = NAMES ("delete_module", "init_module", "finit_module"),
    .action = R_ALLOW,
    .needs_caps = CAP (CAP_SYS_MODULE) },
  { .names = NAMES ("acct"), .action = R_ALLOW, .needs_caps = CAP (CAP_SYS_PACCT) },
  { .names = NAMES ("kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
                    "process_vm_writev", "ptrace"),
    .action = R_ALLOW,
    .needs_caps = CAP (CAP_SYS_PTRACE) },
  { .names = NAMES ("iopl", "ioperm"), .action = R_ALLOW, .needs_caps = CAP (CAP_SYS_RAWIO) },
  { .names = NAMES ("settimeofday", "stime", "clock_settime", "clock_settime64"),
    .action = R_ALLOW,
    .needs_caps = CAP (CAP_SYS_TIME) },
  { .names = NAMES ("vhangup"), .action = R_ALLOW, .needs_caps = CAP (CAP_SYS_TTY_CONFIG) },
  { .names = NAMES ("get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"),
    .action = R_ALLOW,
    .needs_caps = CAP (CAP_SYS_NICE) },
  { .names = NAMES ("syslog"), .action = R_ALLOW, .needs_caps = CAP (CAP_SYSLOG) },
  { .names = NAMES ("bpf"), .action = R_ALLOW, .needs_caps = CAP (CAP_BPF) },
  { .names = NAMES ("perf_event_open"), .action = R_ALLOW, .needs_caps = CAP (CAP_PERFMON) },
};

static bool
kernel_at_least (unsigned major, unsigned minor)
{
  struct utsname u;
  unsigned ma = 0, mi = 0;

  if (major == 0 && minor == 0)
    return true;
  if (uname (&u) < 0 || sscanf (u.release, "%u.%u", &ma, &mi) != 2)
    return false;
  return ma > major || (ma == major && mi >= minor);
}

static bool
rule_applies (const struct rule *r, uint64_t caps)
{
  if (r->only_arches && !(r->only_arches & NATIVE_ARCH))
    return false;
  if (r->except_arches & NATIVE_ARCH)
    return false;
  if ((caps & r->needs_caps) != r->needs_caps)
    return false;
  if (caps & r->unless_caps)
    return false;
  return kernel_at_least (r->min_kernel[0], r->min_kernel[1]);
}

static json_t *
rule_json (const struct rule *r)
{
  json_t *o = json_pack ("{s:o, s:s}", "names", berth_json_string_array (r->names), "action",
                         r->action == R_ALLOW ? "SCMP_ACT_ALLOW" : "SCMP_ACT_ERRNO");

  if (o && r->action == R_ERRNO
      && json_object_set_new (o, "errnoRet", json_integer (r->errno_ret)) < 0)
    goto fail;
  if (o && r->arg.op
      && json_object_set_new (o, "args",
                              json_pack ("[{s:i, s:I, s:I, s:s}]", "index", (int)r->arg.index,
                                         "value", (json_int_t)r->arg.value, "valueTwo",
                                         (json_int_t)r->arg.value_two, "op", r->arg.op))
             < 0)
    goto fail;
  return o;

fail:
  json_decref (o);
  return NULL;
}

static int
default_profile (uint64_t caps, json_t **out, berth_error_t *err)
{
  json_t *syscalls = json_array ();
  json_t *profile;

  if (syscalls == NULL)
    return berth_error (err, ENOMEM, "seccomp profile");
  for (size_t i = 0; i < sizeof (rules) / sizeof (rules[0]); i++)
    if (rule_applies (&rules[i], caps)
        && json_array_append_new (syscalls, rule_json (&rules[i])) < 0)
      {
        json_decref (syscalls);
        return berth_error (err, ENOMEM, "seccomp profile");
      }
  profile
      = json_pack ("{s:s, s:i, s:o, s:o}", "defaultAction", "SCMP_ACT_ERRNO", "defaultErrnoRet",
                   EPERM, "architectures", berth_json_string_array (native_scmp_arches), "syscalls", syscalls);
  if (profile == NULL)
    return berth_error (err, ENOMEM, "seccomp profile");
  *out = profile;
  return 0;
}

/* ---- Docker-format profile files ---- */

static unsigned
arch_bit (const char *name)
{
  for (size_t i = 0; i < sizeof (arch_names) / sizeof (arch_names[0]); i++)
    if (strcmp (arch_names[i].name, name) == 0)
      return arch_names[i].bit;
  return 0;
}

/* An "arches" list matches this build's architecture.  */
static bool
arches_match (json_t *list)
{
  size_t i;
  json_t *v;

  json_array_foreach (list, i,
                      v) if (json_is_string (v)
                             && (arch_bit (json_string_value (v)) & NATIVE_ARCH)) return true;
  return false;
}

static int
caps_of (json_t *list, uint64_t *mask, berth_error_t *err)
{
  size_t i;
  json_t *v;

  *mask = 0;
  json_array_foreach (list, i, v)
  {
    int cap = json_is_string (v) ? berth_capability_from_name (json_string_value (v)) : -1;

    if (cap < 0)
      return berth_engine_error (err, EINVAL, "seccomp profile: unknown capability in a condition");
    *mask |= CAP (cap);
  }
  return 0;
}

/* Whether a Docker-format rule applies, from its "includes" and "excludes".  */
static int
file_rule_applies (json_t *rule, uint64_t caps, berth_error_t *err)
{
  json_t *inc = json_object_get (rule, "includes");
  json_t *exc = json_object_get (rule, "excludes");
  uint64_t mask;

  if (json_is_object (inc))
    {
      json_t *arches = json_object_get (inc, "arches");
      json_t *capl = json_object_get (inc, "caps");
      json_t *min_kernel = json_object_get (inc, "minKernel");

      if (json_array_size (arches) && !arches_match (arches))
        return 0;
      if (json_array_size (capl))
        {
          if (caps_of (capl, &mask, err) < 0)
            return -1;
          if ((caps & mask) != mask)
            return 0;
        }
      if (json_is_string (min_kernel))
        {
          unsigned ma = 0, mi = 0;

          if (sscanf (json_string_value (min_kernel), "%u.%u", &ma, &mi) < 1)
            return berth_engine_error (err, EINVAL, "seccomp profile: bad minKernel \"%s\"",
                                       json_string_value (min_kernel));
          if (!kernel_at_least (ma, mi))
            return 0;
        }
    }
  if (json_is_object (exc))
    {
      json_t *arches = json_object_get (exc, "arches");
      json_t *capl = json_object_get (exc, "caps");

      if (json_array_size (arches) && arches_match (arches))
        return 0;
      if (json_array_size (capl))
        {
          if (caps_of (capl, &mask, err) < 0)
            return -1;
          if (caps & mask)
            return 0;
        }
    }
  return 1;
}

/* The architectures of a Docker profile: "architectures", or the "archMap"
 * entry of this build's architecture with its sub-architectures.  */
static json_t *
file_architectures (json_t *profile)
{
  json_t *direct = json_object_get (profile, "architectures");
  json_t *map = json_object_get (profile, "archMap");
  size_t i;
  json_t *entry;

  if (json_array_size (direct))
    return json_deep_copy (direct);
  json_array_foreach (map, i, entry)
  {
    const char *arch = json_string_value (json_object_get (entry, "architecture"));
    json_t *subs = json_object_get (entry, "subArchitectures");
    json_t *out;

    if (arch == NULL || strcmp (arch, native_scmp_arches[0]) != 0)
      continue;
    out = json_pack ("[s]", arch);
    if (out && json_is_array (subs))
      json_array_extend (out, subs);
    return out;
  }
  return NULL;
}

static int
file_profile (uint64_t caps, const char *text, json_t **out, berth_error_t *err)
{
  json_error_t jerr;
  json_t *profile = json_loads (text, 0, &jerr);
  json_t *result = NULL, *syscalls, *rules_in, *rule, *arches;
  static const char *const copied[]
      = { "defaultAction", "defaultErrnoRet", "flags", "listenerPath", "listenerMetadata", NULL };
  size_t i;

  if (profile == NULL || !json_is_object (profile))
    {
      json_decref (profile);
      return berth_engine_error (err, EINVAL, "seccomp profile: %s",
                                 profile ? "not a JSON object" : jerr.text);
    }
  if (!json_is_string (json_object_get (profile, "defaultAction")))
    {
      json_decref (profile);
      return berth_engine_error (err, EINVAL, "seccomp profile: no defaultAction");
    }
  result = json_object ();
  syscalls = json_array ();
  if (result == NULL || syscalls == NULL || json_object_set_new (result, "syscalls", syscalls) < 0)
    goto oom;
  for (size_t k = 0; copied[k]; k++)
    {
      json_t *v = json_object_get (profile, copied[k]);

      if (v && json_object_set (result, copied[k], v) < 0)
        goto oom;
    }
  arches = file_architectures (profile);
  if (arches && json_object_set_new (result, "architectures", arches) < 0)
    goto oom;
  rules_in = json_object_get (profile, "syscalls");
  json_array_foreach (rules_in, i, rule)
  {
    json_t *copy, *name;
    int r = file_rule_applies (rule, caps, err);

    if (r < 0)
      goto fail;
    if (r == 0)
      continue;
    copy = json_deep_copy (rule);
    if (copy == NULL || json_array_append_new (syscalls, copy) < 0)
      goto oom;
    json_object_del (copy, "includes");
    json_object_del (copy, "excludes");
    json_object_del (copy, "comment");
    /* Old profiles name one syscall with "name".  */
    name = json_object_get (copy, "name");
    if (name && !json_object_get (copy, "names"))
      {
        if (json_object_set_new (copy, "names", json_pack ("[O]", name)) < 0)
          goto oom;
        json_object_del (copy, "name");
      }
  }
  json_decref (profile);
  *out = result;
  return 0;

oom:
  berth_error (err, ENOMEM, "seccomp profile");
fail:
  json_decref (profile);
  json_decref (result);
  return berth_error_ret (err);
}

int
berth_engine_seccomp (uint64_t caps, const char *profile_text, json_t **out, berth_error_t *err)
{
  if (profile_text)
    return file_profile (caps, profile_text, out, err);
  return default_profile (caps, out, err);
}
