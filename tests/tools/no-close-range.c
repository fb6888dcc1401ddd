/* no-close-range CMD [ARG...]: run CMD where close_range(2) fails with
 * ENOSYS, as on kernels before 5.9, so the tests can drive the runtime's
 * /proc/self/fd fallback.  The filter is inherited by every child (the
 * container init too).  With no_new_privs: root needs no CAP_SYS_ADMIN
 * for it then either.  */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  scmp_filter_ctx ctx;
  int r;

  if (argc < 2)
    {
      fprintf (stderr, "usage: no-close-range CMD [ARG...]\n");
      return 2;
    }
  ctx = seccomp_init (SCMP_ACT_ALLOW);
  if (ctx == NULL)
    return 1;
  r = seccomp_rule_add (ctx, SCMP_ACT_ERRNO (ENOSYS), seccomp_syscall_resolve_name ("close_range"),
                        0);
  if (r == 0)
    r = seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (r == 0)
    r = seccomp_load (ctx);
  if (r < 0)
    {
      fprintf (stderr, "no-close-range: seccomp: %s\n", strerror (-r));
      return 1;
    }
  seccomp_release (ctx);
  execvp (argv[1], argv + 1);
  fprintf (stderr, "no-close-range: exec %s: %s\n", argv[1], strerror (errno));
  return 127;
}
