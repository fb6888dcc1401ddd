/* Parser of linux.seccomp: name tables for actions, operators,
 * architectures and flags, the readers of the profile, and the checks the
 * runtime-spec asks for.  Errors name the field
 * ("linux.seccomp.syscalls[3].action: unknown action \"SCMP_ACT_FOO\"").  */
#include "seccomp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

/* Indexed by the enums of seccomp.h.  */
static const char *const action_names[] = {
  "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
  "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY",
};

static const char *const op_names[] = {
  "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
  "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};

static const char *const arch_names[] = {
  "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
  "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
  "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
  "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
};

/* Bit n of berth_seccomp.flags.  */
static const char *const flag_names[] = {
  "SECCOMP_FILTER_FLAG_TSYNC",
  "SECCOMP_FILTER_FLAG_LOG",
  "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

/* errno values travel in the 16-bit data of a seccomp return value.  */
#define MAX_ERRNO_RET 65535

const char *
berth_seccomp_action_name (unsigned action)
{
  return action < N_ELEMENTS (action_names) ? action_names[action] : NULL;
}

const char *
berth_seccomp_op_name (unsigned op)
{
  return op < N_ELEMENTS (op_names) ? op_names[op] : NULL;
}

const char *
berth_seccomp_arch_name (unsigned arch)
{
  return arch < N_ELEMENTS (arch_names) ? arch_names[arch] : NULL;
}

const char *
berth_seccomp_flag_name (unsigned bit_index)
{
  return bit_index < N_ELEMENTS (flag_names) ? flag_names[bit_index] : NULL;
}

/* Read string V as the index of its name in TABLE; WHAT names the kind in
 * the error ("unknown action \"SCMP_ACT_FOO\"").  */
static int
read_name (struct parser *p, json_t *v, const char *const *table, size_t n, const char *what,
           unsigned *out)
{
  const char *s;

  if (!json_is_string (v))
    return jr_fail (p, NULL, "expected string");
  s = json_string_value (v);
  for (size_t i = 0; i < n; i++)
    if (strcmp (table[i], s) == 0)
      {
        *out = (unsigned)i;
        return 0;
      }
  return jr_fail (p, NULL, "unknown %s \"%s\"", what, s);
}

static int
read_action (struct parser *p, json_t *v, void *out)
{
  unsigned i = 0;

  if (read_name (p, v, action_names, N_ELEMENTS (action_names), "action", &i) < 0)
    return -1;
  *(enum berth_seccomp_action *)out = i;
  return 0;
}

static int
read_op (struct parser *p, json_t *v, void *out)
{
  unsigned i = 0;

  if (read_name (p, v, op_names, N_ELEMENTS (op_names), "operator", &i) < 0)
    return -1;
  *(enum berth_seccomp_op *)out = i;
  return 0;
}

static int
read_arch (struct parser *p, json_t *v, void *out)
{
  unsigned i = 0;

  if (read_name (p, v, arch_names, N_ELEMENTS (arch_names), "architecture", &i) < 0)
    return -1;
  *(enum berth_seccomp_arch *)out = i;
  return 0;
}

static int
read_flag (struct parser *p, json_t *v, void *out)
{
  unsigned i = 0;

  if (read_name (p, v, flag_names, N_ELEMENTS (flag_names), "flag", &i) < 0)
    return -1;
  *(unsigned *)out |= 1u << i;
  return 0;
}

static int
read_flags (struct parser *p, json_t *v, void *out)
{
  unsigned *flags = out;
  size_t i;
  json_t *f;

  if (!json_is_array (v))
    return jr_fail (p, NULL, "expected array");
  json_array_foreach (v, i, f)
  {
    size_t mark = jr_path_index (p, i);
    int r = read_flag (p, f, flags);
    jr_path_pop (p, mark);
    if (r < 0)
      return r;
  }
  return 0;
}

static int
read_architectures (struct parser *p, json_t *v, void *out)
{
  struct berth_seccomp *s = out;
  void *items;

  if (jr_new_items (p, v, sizeof (enum berth_seccomp_arch), &items, &s->n_architectures) < 0)
    return -1;
  s->architectures = items;
  return jr_read_elements (p, v, s->architectures, sizeof (*s->architectures), read_arch);
}

static bool
action_takes_errno (enum berth_seccomp_action action)
{
  return action == BERTH_SECCOMP_ACT_ERRNO || action == BERTH_SECCOMP_ACT_TRACE;
}

/* errnoRet (or defaultErrnoRet, named KEY) of OBJ for ACTION: the spec
 * wants an error when the action takes no errno; EPERM when absent.  */
static int
read_errno_ret (struct parser *p, json_t *obj, const char *key, enum berth_seccomp_action action,
                unsigned *out)
{
  int r;

  *out = EPERM;
  r = jr_optional (p, obj, key, jr_read_unsigned, out);
  if (r <= 0)
    return r;
  if (!action_takes_errno (action))
    return jr_fail (p, key, "only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not %s",
                    action_names[action]);
  if (*out > MAX_ERRNO_RET)
    return jr_fail (p, key, "must be at most %d", MAX_ERRNO_RET);
  return 0;
}

/* linux.seccomp.syscalls[].args[].  */
static int
read_arg (struct parser *p, json_t *v, void *out)
{
  struct berth_seccomp_arg *a = out;

  if (jr_expect_object (p, v) < 0 || jr_required (p, v, "index", jr_read_unsigned, &a->index) < 0)
    return -1;
  if (a->index > BERTH_SECCOMP_MAX_ARG_INDEX)
    return jr_fail (p, "index", "must be at most %d", BERTH_SECCOMP_MAX_ARG_INDEX);
  if (jr_required (p, v, "value", jr_read_u64, &a->value) < 0
      || jr_optional (p, v, "valueTwo", jr_read_u64, &a->value_two) < 0
      || jr_required (p, v, "op", read_op, &a->op) < 0)
    return -1;
  return 0;
}

static int
read_args (struct parser *p, json_t *v, void *out)
{
  struct berth_seccomp_syscall *sc = out;
  void *items;

  if (jr_new_items (p, v, sizeof (struct berth_seccomp_arg), &items, &sc->n_args) < 0)
    return -1;
  sc->args = items;
  return jr_read_elements (p, v, sc->args, sizeof (*sc->args), read_arg);
}

static int
read_names (struct parser *p, json_t *v, void *out)
{
  char ***names = out;

  if (jr_read_strv (p, v, names) < 0)
    return -1;
  if ((*names)[0] == NULL)
    return jr_fail (p, NULL, "must contain at least one entry");
  for (size_t i = 0; (*names)[i]; i++)
    if ((*names)[i][0] == '\0')
      {
        size_t mark = jr_path_index (p, i);
        int r = jr_fail (p, NULL, "empty syscall name");
        jr_path_pop (p, mark);
        return r;
      }
  return 0;
}

/* linux.seccomp.syscalls[].  */
static int
read_syscall (struct parser *p, json_t *v, void *out)
{
  struct berth_seccomp_syscall *sc = out;

  if (jr_expect_object (p, v) < 0 || jr_required (p, v, "names", read_names, &sc->names) < 0
      || jr_required (p, v, "action", read_action, &sc->action) < 0
      || read_errno_ret (p, v, "errnoRet", sc->action, &sc->errno_ret) < 0
      || jr_optional (p, v, "args", read_args, sc) < 0)
    return -1;
  return 0;
}

static int
read_syscalls (struct parser *p, json_t *v, void *out)
{
  struct berth_seccomp *s = out;
  void *items;

  if (jr_new_items (p, v, sizeof (struct berth_seccomp_syscall), &items, &s->n_syscalls) < 0)
    return -1;
  s->syscalls = items;
  return jr_read_elements (p, v, s->syscalls, sizeof (*s->syscalls), read_syscall);
}

bool
berth_seccomp_uses_notify (const struct berth_seccomp *s)
{
  if (s == NULL)
    return false;
  for (size_t i = 0; i < s->n_syscalls; i++)
    if (s->syscalls[i].action == BERTH_SECCOMP_ACT_NOTIFY)
      return true;
  return false;
}

/* The listener rules of the spec, checked once the whole object is read.  */
static int
check_listener (struct parser *p, const struct berth_seccomp *s)
{
  if (s->default_action == BERTH_SECCOMP_ACT_NOTIFY)
    return jr_fail (p, "defaultAction", "SCMP_ACT_NOTIFY cannot be the default action");
  if (s->listener_metadata && s->listener_path == NULL)
    return jr_fail (p, "listenerMetadata", "only valid with listenerPath");
  if (berth_seccomp_uses_notify (s) && s->listener_path == NULL)
    return jr_fail (p, "listenerPath", "required when SCMP_ACT_NOTIFY is used");
  return 0;
}

static int
read_seccomp (struct parser *p, json_t *v, struct berth_seccomp *s)
{
  if (jr_required (p, v, "defaultAction", read_action, &s->default_action) < 0
      || read_errno_ret (p, v, "defaultErrnoRet", s->default_action, &s->default_errno_ret) < 0
      || jr_optional (p, v, "architectures", read_architectures, s) < 0
      || jr_optional (p, v, "flags", read_flags, &s->flags) < 0
      || jr_optional (p, v, "listenerPath", jr_read_string, &s->listener_path) < 0
      || jr_optional (p, v, "listenerMetadata", jr_read_string, &s->listener_metadata) < 0
      || jr_optional (p, v, "syscalls", read_syscalls, s) < 0)
    return -1;
  return check_listener (p, s);
}

int
berth_seccomp_read (struct parser *p, json_t *v, void *out)
{
  struct berth_seccomp **dst = out;

  if (jr_expect_object (p, v) < 0)
    return -1;
  /* Stored before reading, so the spec's cleanup frees a partial profile.  */
  *dst = calloc (1, sizeof (**dst));
  if (*dst == NULL)
    return jr_oom (p);
  return read_seccomp (p, v, *dst);
}

static void
syscall_free (struct berth_seccomp_syscall *sc)
{
  if (sc->names)
    for (char **n = sc->names; *n; n++)
      free (*n);
  free (sc->names);
  free (sc->args);
}

void
berth_seccomp_free (struct berth_seccomp *s)
{
  if (s == NULL)
    return;
  for (size_t i = 0; i < s->n_syscalls; i++)
    syscall_free (&s->syscalls[i]);
  free (s->syscalls);
  free (s->architectures);
  free (s->listener_path);
  free (s->listener_metadata);
  free (s);
}
