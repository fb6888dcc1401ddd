/* OCI hooks (runtime-spec "POSIX-platform Hooks"): each hook of a list runs
 * in order as a child process with the container state JSON on its stdin,
 * its own args and env, the runtime's stdout and stderr, no other inherited
 * fd, and an optional timeout after which it is killed.
 *
 * The parent feeds stdin through a non-blocking pipe from the same poll loop
 * that waits for the child (through a pidfd), so a hook that never reads its
 * stdin can neither block the runtime nor outlive its timeout.  SIGPIPE is
 * blocked while writing, and a SIGPIPE raised by a hook that closed stdin
 * early is consumed, so it never reaches the runtime.  */
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

/* How often to look at the child when pidfd_open is not available.  */
#define REAP_POLL_MS 10

/* Everything the parent watches while one hook runs.  */
struct hook_run
{
  pid_t pid;
  int pidfd;        /* -1 when the kernel has no pidfd_open */
  int stdin_fd;     /* write end of the child's stdin; -1 once done */
  int exec_err_fd;  /* read end of the exec error pipe; -1 at EOF */
  const char *data; /* state JSON still to write */
  size_t left;
  int exec_errno; /* errno of a failed execve in the child */
  bool got_epipe;
  const char *cwd; /* the hook's working directory, or NULL: ours */
};

static void
close_fd (int *fd)
{
  berth_closep (fd);
  *fd = -1;
}

static void
hook_run_close (struct hook_run *run)
{
  close_fd (&run->pidfd);
  close_fd (&run->stdin_fd);
  close_fd (&run->exec_err_fd);
}

/* In the child: only async-signal-safe calls from here to execve.  */
static void __attribute__ ((noreturn))
hook_child (const struct berth_hook *hook, const char *cwd, int stdin_fd, int exec_err_fd)
{
  char *default_argv[] = { hook->path, NULL };
  char *empty_env[] = { NULL };
  char *const *argv = hook->args && hook->args[0] ? hook->args : default_argv;
  char *const *envp = hook->env ? hook->env : empty_env;
  sigset_t none;
  int e;

  /* The parent blocked SIGPIPE; the hook starts with nothing blocked.  */
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  /* As runc: hooks see the bundle as their working directory (a bundle
   * removed since create leaves them where the caller is).  */
  if (cwd)
    (void) !chdir (cwd);

  if (stdin_fd == STDIN_FILENO)
    fcntl (stdin_fd, F_SETFD, 0);
  else if (dup2 (stdin_fd, STDIN_FILENO) < 0)
    goto fail;
  /* Park the exec error pipe on fd 3 (close-on-exec) so every fd above it
   * can go.  */
  if (exec_err_fd != 3 && dup3 (exec_err_fd, 3, O_CLOEXEC) < 0)
    goto fail;
  exec_err_fd = 3;
  berth_close_fds_from (4);

  execve (hook->path, argv, envp);
fail:
  e = errno;
  berth_write_all (exec_err_fd, &e, sizeof (e));
  _exit (127);
}

static int
spawn_hook (const struct berth_hook *hook, struct hook_run *run, berth_error_t *err)
{
  cleanup_close int stdin_r = -1, exec_err_w = -1;
  int stdin_p[2], exec_err_p[2];

  if (pipe2 (stdin_p, O_CLOEXEC) < 0)
    return berth_error (err, errno, "pipe");
  stdin_r = stdin_p[0];
  run->stdin_fd = stdin_p[1];
  if (pipe2 (exec_err_p, O_CLOEXEC | O_NONBLOCK) < 0)
    return berth_error (err, errno, "pipe");
  run->exec_err_fd = exec_err_p[0];
  exec_err_w = exec_err_p[1];
  /* Only the parent's end: the hook's stdin stays blocking.  */
  if (fcntl (run->stdin_fd, F_SETFL, O_NONBLOCK) < 0)
    return berth_error (err, errno, "fcntl");

  run->pid = fork ();
  if (run->pid < 0)
    return berth_error (err, errno, "fork");
  if (run->pid == 0)
    hook_child (hook, run->cwd, stdin_r, exec_err_w);
  run->pidfd = berth_pidfd_open (run->pid);
  return 0;
}

static void
feed_stdin (struct hook_run *run)
{
  while (run->left > 0)
    {
      ssize_t w = write (run->stdin_fd, run->data, run->left);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0 && errno == EAGAIN)
        return;
      if (w < 0)
        {
          /* EPIPE: the hook closed its stdin without reading it all, which
           * the spec allows.  */
          run->got_epipe = run->got_epipe || errno == EPIPE;
          break;
        }
      run->data += w;
      run->left -= w;
    }
  close_fd (&run->stdin_fd);
}

static void
read_exec_error (struct hook_run *run)
{
  int e;
  ssize_t r;

  do
    r = read (run->exec_err_fd, &e, sizeof (e));
  while (r < 0 && errno == EINTR);
  if (r < 0 && errno == EAGAIN)
    return;
  if (r == (ssize_t)sizeof (e))
    run->exec_errno = e;
  close_fd (&run->exec_err_fd);
}

/* Whether the child has exited; reaps it into *status when so.  */
static int
try_reap (struct hook_run *run, int *status, bool block)
{
  pid_t r;

  do
    r = waitpid (run->pid, status, block ? 0 : WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return -errno;
  return r == run->pid;
}

/* One round of the wait loop: returns 1 when the child was reaped, 0 to go
 * on, or a negative errno.  */
static int
wait_step (struct hook_run *run, int timeout_ms, int *status)
{
  struct pollfd fds[3];
  nfds_t n = 0;
  int r;

  if (run->stdin_fd >= 0)
    fds[n++] = (struct pollfd){ .fd = run->stdin_fd, .events = POLLOUT };
  if (run->exec_err_fd >= 0)
    fds[n++] = (struct pollfd){ .fd = run->exec_err_fd, .events = POLLIN };
  if (run->pidfd >= 0)
    fds[n++] = (struct pollfd){ .fd = run->pidfd, .events = POLLIN };
  else if (timeout_ms < 0 || timeout_ms > REAP_POLL_MS)
    timeout_ms = REAP_POLL_MS;

  r = poll (fds, n, timeout_ms);
  if (r < 0)
    return errno == EINTR ? 0 : -errno;
  for (nfds_t i = 0; i < n; i++)
    {
      if (fds[i].revents == 0)
        continue;
      if (fds[i].fd == run->stdin_fd)
        feed_stdin (run);
      else if (fds[i].fd == run->exec_err_fd)
        read_exec_error (run);
    }
  return try_reap (run, status, false);
}

/* Wait for the hook, feeding its stdin meanwhile.  Returns 1 when reaped, 0
 * on timeout (the child is killed and reaped), or a negative errno.  */
static int
wait_hook (struct hook_run *run, int timeout_s, int *status)
{
  long deadline = timeout_s > 0 ? berth_now_ms () + (long)timeout_s * 1000 : 0;

  for (;;)
    {
      int timeout_ms = -1, r;

      if (timeout_s > 0)
        {
          long now = berth_now_ms ();
          if (now >= deadline)
            {
              berth_kill_and_reap (run->pid, run->pidfd);
              return 0;
            }
          timeout_ms = (int)(deadline - now);
        }
      r = wait_step (run, timeout_ms, status);
      if (r != 0)
        return r;
    }
}

/* Block SIGPIPE for the duration of a hook and, if a write to the hook's
 * stdin raised one that was not pending before, take it off again.  */
struct sigpipe_guard
{
  sigset_t old_mask;
  bool was_pending;
};

static int
sigpipe_guard_enter (struct sigpipe_guard *guard)
{
  sigset_t set, pending;

  sigemptyset (&set);
  sigaddset (&set, SIGPIPE);
  if (pthread_sigmask (SIG_BLOCK, &set, &guard->old_mask) != 0)
    return -1;
  sigemptyset (&pending);
  sigpending (&pending);
  guard->was_pending = sigismember (&pending, SIGPIPE) == 1;
  return 0;
}

static void
sigpipe_guard_leave (struct sigpipe_guard *guard, bool got_epipe)
{
  if (got_epipe && !guard->was_pending)
    {
      sigset_t set;
      struct timespec zero = { 0, 0 };

      sigemptyset (&set);
      sigaddset (&set, SIGPIPE);
      while (sigtimedwait (&set, NULL, &zero) < 0 && errno == EINTR)
        ;
    }
  pthread_sigmask (SIG_SETMASK, &guard->old_mask, NULL);
}

static int
hook_result (const struct hook_run *run, int reaped, int timeout_s, int status, berth_error_t *err)
{
  if (reaped < 0)
    return berth_error (err, -reaped, "wait");
  if (reaped == 0)
    return berth_error (err, 0, "timed out after %ds", timeout_s);
  if (run->exec_errno != 0)
    return berth_error (err, run->exec_errno, "exec");
  if (WIFSIGNALED (status))
    return berth_error (err, 0, "killed by signal %d", WTERMSIG (status));
  if (WIFEXITED (status) && WEXITSTATUS (status) != 0)
    return berth_error (err, 0, "exited with status %d", WEXITSTATUS (status));
  return 0;
}

static int
run_hook (const struct berth_hook *hook, const char *state_json, const char *cwd,
          berth_error_t *err)
{
  struct hook_run run = { .pid = -1, .pidfd = -1, .stdin_fd = -1, .exec_err_fd = -1, .cwd = cwd };
  struct sigpipe_guard guard;
  int status = 0, reaped;

  run.data = state_json ? state_json : "";
  run.left = strlen (run.data);
  if (sigpipe_guard_enter (&guard) < 0)
    return berth_error (err, errno, "block SIGPIPE");
  if (spawn_hook (hook, &run, err) < 0)
    {
      hook_run_close (&run);
      sigpipe_guard_leave (&guard, false);
      return berth_error_ret (err);
    }
  /* Nothing to write is an immediate EOF for the hook.  */
  if (run.left == 0)
    close_fd (&run.stdin_fd);
  reaped = wait_hook (&run, hook->timeout, &status);
  if (reaped < 0)
    berth_kill_and_reap (run.pid, run.pidfd);
  /* The child is gone: whatever it reported before exiting is in the pipe.  */
  if (reaped > 0 && run.exec_err_fd >= 0)
    read_exec_error (&run);
  hook_run_close (&run);
  sigpipe_guard_leave (&guard, run.got_epipe);
  return hook_result (&run, reaped, hook->timeout, status, err);
}

int
berth_hooks_run (const struct berth_hook_list *hooks, const char *kind, const char *state_json,
                 berth_error_t *err)
{
  return berth_hooks_run_in (hooks, kind, state_json, NULL, err);
}

int
berth_hooks_run_in (const struct berth_hook_list *hooks, const char *kind,
                    const char *state_json, const char *cwd, berth_error_t *err)
{
  if (hooks == NULL)
    return 0;
  for (size_t i = 0; i < hooks->n; i++)
    {
      const struct berth_hook *hook = &hooks->hooks[i];
      if (run_hook (hook, state_json, cwd, err) < 0)
        return berth_error_wrap (err, "%s hook `%s`", kind, hook->path);
    }
  return 0;
}
