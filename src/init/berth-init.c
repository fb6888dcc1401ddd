/* berth-init: the tiny PID 1 of `berth run --init`.
 *
 *   berth-init [--] COMMAND [ARG...]
 *
 * It forks COMMAND as its only direct child, forwards every catchable signal
 * it receives to that child, reaps every process that ends under it (the
 * orphans the kernel reparents to PID 1 included), and exits with COMMAND's
 * status: its exit code, or 128+N when a signal N killed it.
 *
 * Signals are blocked and taken synchronously with sigwaitinfo, so no
 * handler runs between fork and exec and nothing is async-signal-unsafe.
 * The child gets the original (empty) mask back before exec.  As PID 1 of a
 * PID namespace it also makes itself a subreaper when it is not PID 1 (as in
 * `docker run --init` under another init), so orphans still come to it.
 *
 * Built static and small (no stdio); bind-mounted read-only into the
 * container, it must not depend on anything in the image.  */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void
say (const char *a, const char *b)
{
  /* No stdio: it would double the binary.  */
  (void)!write (2, "berth-init: ", 12);
  (void)!write (2, a, strlen (a));
  if (b)
    {
      (void)!write (2, b, strlen (b));
    }
  (void)!write (2, "\n", 1);
}

/* Signals that must not be forwarded: the child's own stop and job-control
 * notifications (SIGCHLD is how we learn to reap), and the ones that cannot
 * be caught anyway.  SIGTSTP/SIGTTIN/SIGTTOU are forwarded: the kernel
 * ignores them for PID 1, which would make `docker kill -s TSTP` a no-op.  */
static int
forwarded (int sig)
{
  return sig != SIGCHLD && sig != SIGKILL && sig != SIGSTOP;
}

int
main (int argc, char **argv)
{
  sigset_t all, old;
  pid_t child;
  int i = 1;

  if (i < argc && strcmp (argv[i], "--") == 0)
    i++;
  if (i >= argc)
    {
      say ("usage: berth-init [--] COMMAND [ARG...]", NULL);
      return 125;
    }
  if (getpid () != 1)
    (void)prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

  sigfillset (&all);
  sigprocmask (SIG_SETMASK, &all, &old);

  child = fork ();
  if (child < 0)
    {
      say ("fork: ", strerror (errno));
      return 125;
    }
  if (child == 0)
    {
      /* Its own process group, so a terminal's job control and a kill of
       * the group reach the command and its children as they would
       * without an init; then the caller's mask, and the command.  */
      (void)setpgid (0, 0);
      if (isatty (0))
        (void)tcsetpgrp (0, getpid ());
      /* Default dispositions: an ignored SIGINT or SIGQUIT inherited from
       * whatever started us (a background job of a shell) would otherwise
       * pass through exec and make the command deaf to the very signals
       * forwarded to it.  */
      for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
          signal (sig, SIG_DFL);
      sigprocmask (SIG_SETMASK, &old, NULL);
      execvp (argv[i], argv + i);
      say (argv[i], errno == ENOENT ? ": command not found" : ": cannot execute");
      _exit (errno == ENOENT ? 127 : 126);
    }

  for (;;)
    {
      siginfo_t si;
      int sig = sigwaitinfo (&all, &si);

      if (sig < 0)
        continue; /* EINTR */
      if (sig != SIGCHLD)
        {
          if (forwarded (sig))
            (void)kill (child, sig);
          continue;
        }
      /* Reap everything that has ended: several SIGCHLDs coalesce into one.  */
      for (;;)
        {
          int status;
          pid_t pid = waitpid (-1, &status, WNOHANG);

          if (pid <= 0)
            break;
          if (pid != child)
            continue;
          /* The command ended; leave the rest of its group to the kernel (it
           * kills them when PID 1 exits) and pass its status on.  */
          if (WIFEXITED (status))
            return WEXITSTATUS (status);
          if (WIFSIGNALED (status))
            return 128 + WTERMSIG (status);
        }
    }
}
