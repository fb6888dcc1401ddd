/* The container's seccomp filter: libseccomp builds it from the parsed
 * profile and exports the BPF program, which the init loads with one
 * seccomp(2) call; with SCMP_ACT_NOTIFY the listener fd goes to the agent
 * at listenerPath with the container process state.  See seccomp_filter.h for
 * where the init must install it and why.  */
#include "seccomp_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <seccomp.h>

#include "cleanup.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

struct berth_seccomp_filter
{
  struct sock_filter *insns;
  unsigned short len;
  unsigned long flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
  bool notify;
};

/* Profiles longer than this get libseccomp's binary-tree layout; runc's
 * threshold (libseccomp <= 2.5.4 misbehaves with it and no rules).  */
#define BINARY_TREE_MIN_SYSCALLS 32

static void
seccomp_releasep (scmp_filter_ctx *ctx)
{
  if (*ctx)
    seccomp_release (*ctx);
}
#define cleanup_scmp_ctx __attribute__ ((cleanup (seccomp_releasep)))

/* Name tables: the parser's enums to libseccomp's values.  */

static uint32_t
scmp_action (enum berth_seccomp_action action, unsigned errno_ret)
{
  switch (action)
    {
    case BERTH_SECCOMP_ACT_KILL:
    case BERTH_SECCOMP_ACT_KILL_THREAD:
      return SCMP_ACT_KILL_THREAD;
    case BERTH_SECCOMP_ACT_KILL_PROCESS:
      return SCMP_ACT_KILL_PROCESS;
    case BERTH_SECCOMP_ACT_TRAP:
      return SCMP_ACT_TRAP;
    case BERTH_SECCOMP_ACT_ERRNO:
      return SCMP_ACT_ERRNO (errno_ret);
    case BERTH_SECCOMP_ACT_TRACE:
      return SCMP_ACT_TRACE (errno_ret);
    case BERTH_SECCOMP_ACT_ALLOW:
      return SCMP_ACT_ALLOW;
    case BERTH_SECCOMP_ACT_LOG:
      return SCMP_ACT_LOG;
    case BERTH_SECCOMP_ACT_NOTIFY:
      return SCMP_ACT_NOTIFY;
    }
  return SCMP_ACT_KILL_PROCESS;
}

static enum scmp_compare
scmp_op (enum berth_seccomp_op op)
{
  switch (op)
    {
    case BERTH_SECCOMP_CMP_NE:
      return SCMP_CMP_NE;
    case BERTH_SECCOMP_CMP_LT:
      return SCMP_CMP_LT;
    case BERTH_SECCOMP_CMP_LE:
      return SCMP_CMP_LE;
    case BERTH_SECCOMP_CMP_EQ:
      return SCMP_CMP_EQ;
    case BERTH_SECCOMP_CMP_GE:
      return SCMP_CMP_GE;
    case BERTH_SECCOMP_CMP_GT:
      return SCMP_CMP_GT;
    case BERTH_SECCOMP_CMP_MASKED_EQ:
      return SCMP_CMP_MASKED_EQ;
    }
  return _SCMP_CMP_MIN;
}

/* 0 when the linked libseccomp does not know the architecture.  */
static uint32_t
scmp_arch (enum berth_seccomp_arch arch)
{
  switch (arch)
    {
    case BERTH_SECCOMP_ARCH_X86:
      return SCMP_ARCH_X86;
    case BERTH_SECCOMP_ARCH_X86_64:
      return SCMP_ARCH_X86_64;
    case BERTH_SECCOMP_ARCH_X32:
      return SCMP_ARCH_X32;
    case BERTH_SECCOMP_ARCH_ARM:
      return SCMP_ARCH_ARM;
    case BERTH_SECCOMP_ARCH_AARCH64:
      return SCMP_ARCH_AARCH64;
    case BERTH_SECCOMP_ARCH_MIPS:
      return SCMP_ARCH_MIPS;
    case BERTH_SECCOMP_ARCH_MIPS64:
      return SCMP_ARCH_MIPS64;
    case BERTH_SECCOMP_ARCH_MIPS64N32:
      return SCMP_ARCH_MIPS64N32;
    case BERTH_SECCOMP_ARCH_MIPSEL:
      return SCMP_ARCH_MIPSEL;
    case BERTH_SECCOMP_ARCH_MIPSEL64:
      return SCMP_ARCH_MIPSEL64;
    case BERTH_SECCOMP_ARCH_MIPSEL64N32:
      return SCMP_ARCH_MIPSEL64N32;
    case BERTH_SECCOMP_ARCH_PPC:
      return SCMP_ARCH_PPC;
    case BERTH_SECCOMP_ARCH_PPC64:
      return SCMP_ARCH_PPC64;
    case BERTH_SECCOMP_ARCH_PPC64LE:
      return SCMP_ARCH_PPC64LE;
    case BERTH_SECCOMP_ARCH_S390:
      return SCMP_ARCH_S390;
    case BERTH_SECCOMP_ARCH_S390X:
      return SCMP_ARCH_S390X;
    case BERTH_SECCOMP_ARCH_PARISC:
      return SCMP_ARCH_PARISC;
    case BERTH_SECCOMP_ARCH_PARISC64:
      return SCMP_ARCH_PARISC64;
    case BERTH_SECCOMP_ARCH_RISCV64:
      return SCMP_ARCH_RISCV64;
    case BERTH_SECCOMP_ARCH_LOONGARCH64:
#ifdef SCMP_ARCH_LOONGARCH64
      return SCMP_ARCH_LOONGARCH64;
#else
      return 0;
#endif
    }
  return 0;
}

/* seccomp(2) flags for the profile's flags.  WAIT_KILLABLE_RECV only means
 * something for a listener (the kernel refuses it without one), and TSYNC
 * with a listener needs TSYNC_ESRCH to report failure as an error.  */
static unsigned long
kernel_flags (const struct berth_seccomp *s, bool notify)
{
  unsigned long flags = 0;

  if (s->flags & BERTH_SECCOMP_FLAG_TSYNC)
    flags |= SECCOMP_FILTER_FLAG_TSYNC;
  if (s->flags & BERTH_SECCOMP_FLAG_LOG)
    flags |= SECCOMP_FILTER_FLAG_LOG;
  if (s->flags & BERTH_SECCOMP_FLAG_SPEC_ALLOW)
    flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  if (!notify)
    return flags;
  flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  if (s->flags & BERTH_SECCOMP_FLAG_WAIT_KILLABLE_RECV)
    flags |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  if (s->flags & BERTH_SECCOMP_FLAG_TSYNC)
    flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  return flags;
}

/* The init hands the listener over with sendmsg after the filter is in:
 * notifying it would wait for an agent that cannot have the fd yet.  */
static int
check_notify_rules (const struct berth_seccomp *s, berth_error_t *err)
{
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      const struct berth_seccomp_syscall *sc = &s->syscalls[i];
      if (sc->action != BERTH_SECCOMP_ACT_NOTIFY)
        continue;
      for (char **n = sc->names; *n; n++)
        if (strcmp (*n, "sendmsg") == 0)
          return berth_error (err, EINVAL,
                              "seccomp: SCMP_ACT_NOTIFY cannot be used for sendmsg: the container "
                              "init hands the listener over with it");
    }
  return 0;
}

static int
add_architectures (scmp_filter_ctx ctx, const struct berth_seccomp *s, berth_error_t *err)
{
  for (size_t i = 0; i < s->n_architectures; i++)
    {
      uint32_t arch = scmp_arch (s->architectures[i]);
      int r;

      if (arch == 0)
        return berth_error (err, ENOTSUP, "seccomp: architecture %s not supported by libseccomp",
                            berth_seccomp_arch_name (s->architectures[i]));
      r = seccomp_arch_add (ctx, arch);
      if (r < 0 && r != -EEXIST)
        return berth_error (err, -r, "seccomp: add architecture %s",
                            berth_seccomp_arch_name (s->architectures[i]));
    }
  return 0;
}

static struct scmp_arg_cmp
make_condition (const struct berth_seccomp_arg *a)
{
  /* For MASKED_EQ libseccomp takes the mask first, as the spec's value.  */
  struct scmp_arg_cmp c = {
    .arg = a->index,
    .op = scmp_op (a->op),
    .datum_a = a->value,
    .datum_b = a->value_two,
  };
  return c;
}

static bool
has_repeated_index (const struct berth_seccomp_syscall *sc)
{
  unsigned seen = 0;

  for (size_t i = 0; i < sc->n_args; i++)
    {
      unsigned bit = 1u << sc->args[i].index;
      if (seen & bit)
        return true;
      seen |= bit;
    }
  return false;
}

/* The rules of SC for syscall NR.  Conditions on distinct arguments form one
 * rule (all must match); with an argument named twice, runc's semantics:
 * one rule per condition (any may match).  */
static int
add_syscall_rules (scmp_filter_ctx ctx, int nr, uint32_t action,
                   const struct berth_seccomp_syscall *sc)
{
  struct scmp_arg_cmp conds[BERTH_SECCOMP_MAX_ARG_INDEX + 1];
  int r;

  if (has_repeated_index (sc))
    {
      for (size_t i = 0; i < sc->n_args; i++)
        {
          conds[0] = make_condition (&sc->args[i]);
          r = seccomp_rule_add_array (ctx, action, nr, 1, conds);
          if (r < 0)
            return r;
        }
      return 0;
    }
  /* Distinct indexes, so there are at most six.  */
  for (size_t i = 0; i < sc->n_args; i++)
    conds[i] = make_condition (&sc->args[i]);
  return seccomp_rule_add_array (ctx, action, nr, (unsigned)sc->n_args, conds);
}

static int
add_rules (scmp_filter_ctx ctx, const struct berth_seccomp *s, uint32_t default_action,
           berth_error_t *err)
{
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      const struct berth_seccomp_syscall *sc = &s->syscalls[i];
      uint32_t action = scmp_action (sc->action, sc->errno_ret);

      /* libseccomp refuses a rule that repeats the default; it is a no-op.  */
      if (action == default_action)
        continue;
      for (char **name = sc->names; *name; name++)
        {
          int nr = seccomp_syscall_resolve_name (*name);
          int r;

          /* Not a syscall here (newer kernel, other arch): runc skips it.  */
          if (nr == __NR_SCMP_ERROR)
            continue;
          r = add_syscall_rules (ctx, nr, action, sc);
          if (r < 0)
            return berth_error (err, -r, "seccomp: add rule for `%s` (syscalls[%zu])", *name, i);
        }
    }
  return 0;
}

/* Export the program of CTX into F->insns.  libseccomp 2.5 exports to an
 * fd only; a memfd keeps it in memory.  */
static int
export_program (scmp_filter_ctx ctx, struct berth_seccomp_filter *f, berth_error_t *err)
{
  cleanup_close int fd = memfd_create ("berth-seccomp", MFD_CLOEXEC);
  struct stat st;
  ssize_t got;
  size_t n;
  int r;

  if (fd < 0)
    return berth_error (err, errno, "seccomp: memfd_create");
  r = seccomp_export_bpf (ctx, fd);
  if (r < 0)
    return berth_error (err, -r, "seccomp: export BPF");
  if (fstat (fd, &st) < 0)
    return berth_error (err, errno, "seccomp: fstat exported BPF");
  n = (size_t)st.st_size / sizeof (struct sock_filter);
  if (n == 0 || n > USHRT_MAX || n * sizeof (struct sock_filter) != (size_t)st.st_size)
    return berth_error (err, EINVAL, "seccomp: unexpected BPF program size %jd",
                        (intmax_t)st.st_size);
  f->insns = malloc ((size_t)st.st_size);
  if (f->insns == NULL)
    return berth_error (err, ENOMEM, "seccomp: BPF program");
  got = pread (fd, f->insns, (size_t)st.st_size, 0);
  if (got != st.st_size)
    return berth_error (err, got < 0 ? errno : EIO, "seccomp: read exported BPF");
  f->len = (unsigned short)n;
  return 0;
}

static int
build_filter (const struct berth_seccomp *s, struct berth_seccomp_filter *f, berth_error_t *err)
{
  uint32_t default_action = scmp_action (s->default_action, s->default_errno_ret);
  cleanup_scmp_ctx scmp_filter_ctx ctx = seccomp_init (default_action);

  if (ctx == NULL)
    return berth_error (err, EINVAL, "seccomp: init filter with default action %s",
                        berth_seccomp_action_name (s->default_action));
  if (s->n_syscalls > BINARY_TREE_MIN_SYSCALLS)
    seccomp_attr_set (ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2); /* best effort */
  if (add_architectures (ctx, s, err) < 0 || add_rules (ctx, s, default_action, err) < 0)
    return berth_error_ret (err);
  return export_program (ctx, f, err);
}

int
berth_seccomp_prepare (const struct berth_seccomp *s, struct berth_seccomp_filter **out,
                       berth_error_t *err)
{
  cleanup_seccomp_filter struct berth_seccomp_filter *f = NULL;

  *out = NULL;
  if (check_notify_rules (s, err) < 0)
    return berth_error_ret (err);
  f = calloc (1, sizeof (*f));
  if (f == NULL)
    return berth_error (err, ENOMEM, "seccomp filter");
  f->notify = berth_seccomp_uses_notify (s);
  f->flags = kernel_flags (s, f->notify);
  if (build_filter (s, f, err) < 0)
    return berth_error_ret (err);
  *out = steal_pointer (&f);
  return 0;
}

int
berth_seccomp_install (const struct berth_seccomp_filter *f, int *notify_fd, berth_error_t *err)
{
  struct sock_fprog prog = { .len = f->len, .filter = f->insns };
  long r;

  *notify_fd = -1;
  r = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &prog);
  if (r < 0 && errno == EACCES)
    return berth_error (err, errno,
                        "install seccomp filter (without no_new_privs it needs "
                        "CAP_SYS_ADMIN)");
  if (r < 0)
    return berth_error (err, errno, "install seccomp filter");
  /* Without a listener, TSYNC reports a thread that could not follow by
   * returning its id.  */
  if (!f->notify && r > 0)
    return berth_error (err, ESRCH, "install seccomp filter: thread %ld could not be synced", r);
  if (f->notify)
    *notify_fd = (int)r;
  return 0;
}

bool
berth_seccomp_filter_uses_notify (const struct berth_seccomp_filter *f)
{
  return f->notify;
}

unsigned
berth_seccomp_filter_length (const struct berth_seccomp_filter *f)
{
  return f->len;
}

const void *
berth_seccomp_filter_program (const struct berth_seccomp_filter *f)
{
  return f->insns;
}

int
berth_seccomp_filter_from_program (const struct berth_seccomp *s, const void *insns, unsigned len,
                                   struct berth_seccomp_filter **out, berth_error_t *err)
{
  cleanup_seccomp_filter struct berth_seccomp_filter *f = NULL;

  *out = NULL;
  if (len == 0 || len > USHRT_MAX)
    return berth_error (err, EINVAL, "seccomp: BPF program of %u instructions", len);
  if (check_notify_rules (s, err) < 0)
    return berth_error_ret (err);
  f = calloc (1, sizeof (*f));
  if (f == NULL || (f->insns = malloc (len * sizeof (struct sock_filter))) == NULL)
    return berth_error (err, ENOMEM, "seccomp filter");
  memcpy (f->insns, insns, len * sizeof (struct sock_filter));
  f->len = (unsigned short)len;
  f->notify = berth_seccomp_uses_notify (s);
  f->flags = kernel_flags (s, f->notify);
  *out = steal_pointer (&f);
  return 0;
}

void
berth_seccomp_filter_free (struct berth_seccomp_filter *f)
{
  if (f == NULL)
    return;
  free (f->insns);
  free (f);
}

/* The listener.  */

/* The runtime-spec "container process state" around STATE_JSON.  */
static char *
process_state_text (const char *state_json, const char *metadata, berth_error_t *err)
{
  json_error_t je;
  json_auto_t *state = json_loads (state_json, 0, &je);
  json_auto_t *msg = NULL;
  json_t *version, *pid;
  char *text;

  if (state == NULL || !json_is_object (state))
    {
      berth_error (err, EINVAL, "container state: %s", state ? "expected object" : je.text);
      return NULL;
    }
  version = json_object_get (state, "ociVersion");
  pid = json_object_get (state, "pid");
  if (!json_is_string (version) || !json_is_integer (pid))
    {
      berth_error (err, EINVAL, "container state: ociVersion and pid required");
      return NULL;
    }
  msg = json_pack ("{s:O, s:[s], s:O, s:O}", "ociVersion", version, "fds", "seccompFd", "pid", pid,
                   "state", state);
  if (msg == NULL
      || (metadata && json_object_set_new (msg, "metadata", json_string (metadata)) < 0))
    {
      berth_error (err, ENOMEM, "container process state");
      return NULL;
    }
  text = json_dumps (msg, JSON_COMPACT);
  if (text == NULL)
    berth_error (err, ENOMEM, "container process state");
  return text;
}

/* A socket connected to PATH.  sun_path holds 108 bytes; a longer path is
 * reached through an O_PATH fd on the socket inode.  */
static int
connect_unix (const char *path, berth_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cleanup_close int path_fd = -1;

  if (fd < 0)
    return berth_error (err, errno, "socket");
  if (strlen (path) < sizeof (addr.sun_path))
    strcpy (addr.sun_path, path);
  else
    {
      path_fd = open (path, O_PATH | O_CLOEXEC);
      if (path_fd < 0)
        return berth_error (err, errno, "open");
      snprintf (addr.sun_path, sizeof (addr.sun_path), "/proc/self/fd/%d", path_fd);
    }
  if (connect (fd, (struct sockaddr *)&addr, sizeof (addr)) < 0)
    return berth_error (err, errno, "connect");
  return steal_fd (&fd);
}

/* Send TEXT on SOCK, FD going with the first sendmsg as the spec asks.  */
static int
send_text_with_fd (int sock, const char *text, int fd, berth_error_t *err)
{
  union
  {
    struct cmsghdr h;
    char buf[CMSG_SPACE (sizeof (int))];
  } control;
  size_t len = strlen (text), done = 0;
  struct iovec iov = { (void *)text, len };
  struct msghdr mh = {
    .msg_iov = &iov,
    .msg_iovlen = 1,
    .msg_control = control.buf,
    .msg_controllen = sizeof (control.buf),
  };
  struct cmsghdr *c;

  memset (&control, 0, sizeof (control));
  c = CMSG_FIRSTHDR (&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));
  while (done < len)
    {
      ssize_t n = sendmsg (sock, &mh, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return berth_error (err, errno, "send");
      done += (size_t)n;
      iov.iov_base = (char *)text + done;
      iov.iov_len = len - done;
      mh.msg_control = NULL;
      mh.msg_controllen = 0;
    }
  return 0;
}

int
berth_seccomp_send_listener (const char *listener_path, int notify_fd, const char *state_json,
                             const char *metadata, berth_error_t *err)
{
  cleanup_free char *text = process_state_text (state_json, metadata, err);
  cleanup_close int sock = -1;

  if (text == NULL)
    return berth_error_wrap (err, "seccomp listener `%s`", listener_path);
  sock = connect_unix (listener_path, err);
  if (sock < 0 || send_text_with_fd (sock, text, notify_fd, err) < 0)
    return berth_error_wrap (err, "seccomp listener `%s`", listener_path);
  return 0;
}
