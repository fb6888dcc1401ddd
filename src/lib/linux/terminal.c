/* Pseudo-terminals: pty creation in the container, console sockets, and the
 * relay that attaches a container's terminal to the caller's.  */
#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "oci/spec.h"
#include "util.h"

int
berth_pty_open (int *master_out, int *slave_out, unsigned rows, unsigned cols,
                berth_error_t *err)
{
  cleanup_close int master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  int slave, unlock = 0;

  if (master < 0)
    return berth_error (err, errno, "open /dev/ptmx");
  if (ioctl (master, TIOCSPTLCK, &unlock) < 0)
    return berth_error (err, errno, "unlock pty");
  /* The peer through the master fd: no path lookup that a container could
   * have redirected.  */
  slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return berth_error (err, errno, "open pty peer");
  if (rows && cols)
    {
      struct winsize ws = { .ws_row = rows, .ws_col = cols };
      if (ioctl (master, TIOCSWINSZ, &ws) < 0)
        {
          close (slave);
          return berth_error (err, errno, "set terminal size");
        }
    }
  *master_out = steal_fd (&master);
  *slave_out = slave;
  return 0;
}

int
berth_pty_make_controlling (int slave, berth_error_t *err)
{
  if (setsid () < 0)
    return berth_error (err, errno, "setsid");
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return berth_error (err, errno, "set controlling terminal");
  for (int fd = 0; fd < 3; fd++)
    if (dup2 (slave, fd) < 0)
      return berth_error (err, errno, "dup pty to fd %d", fd);
  if (slave > 2)
    close (slave);
  return 0;
}

int
berth_terminal_for_process (const struct berth_process *p, int *master_out, char name[64],
                            berth_error_t *err)
{
  cleanup_close int master = -1;
  int slave = -1;

  if (berth_pty_open (&master, &slave, p->has_console_size ? p->console_height : 0,
                      p->has_console_size ? p->console_width : 0, err)
      < 0)
    return berth_error_ret (err);
  if (ptsname_r (master, name, 64) != 0)
    snprintf (name, 64, "/dev/pts/unknown");
  /* The process owns its terminal, as with a login.  */
  if (fchown (slave, p->user.uid, p->user.gid) < 0 && errno != EINVAL)
    {
      close (slave);
      return berth_error (err, errno, "chown terminal");
    }
  if (berth_pty_make_controlling (slave, err) < 0)
    return berth_error_ret (err);
  *master_out = steal_fd (&master);
  return 0;
}

int
berth_console_socket_connect (const char *path, berth_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (strlen (path) >= sizeof (addr.sun_path))
    return berth_error (err, ENAMETOOLONG, "console socket `%s`", path);
  strcpy (addr.sun_path, path);
  if (fd < 0)
    return berth_error (err, errno, "console socket");
  if (connect (fd, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    return berth_error (err, errno, "connect to console socket `%s`", path);
  return steal_fd (&fd);
}

int
berth_send_fd (int sock, int fd, const char *name, berth_error_t *err)
{
  char control[CMSG_SPACE (sizeof (int))] = { 0 };
  struct iovec iov = { (void *) name, strlen (name) + 1 };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                       .msg_controllen = sizeof (control) };
  struct cmsghdr *c = CMSG_FIRSTHDR (&mh);

  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));
  for (;;)
    {
      if (sendmsg (sock, &mh, MSG_NOSIGNAL) >= 0)
        return 0;
      if (errno != EINTR)
        return berth_error (err, errno, "send terminal");
    }
}

int
berth_recv_fd (int sock, int *fd, berth_error_t *err)
{
  char name[4096];
  char control[CMSG_SPACE (sizeof (int))] = { 0 };
  struct iovec iov = { name, sizeof (name) };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                       .msg_controllen = sizeof (control) };
  struct cmsghdr *c;
  ssize_t r;

  do
    r = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return berth_error (err, errno, "receive terminal");
  c = CMSG_FIRSTHDR (&mh);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS)
    return berth_error (err, EPROTO, "receive terminal: no file descriptor");
  memcpy (fd, CMSG_DATA (c), sizeof (int));
  return 0;
}

static void
copy_window_size (int from, int to)
{
  struct winsize ws;
  if (ioctl (from, TIOCGWINSZ, &ws) == 0)
    ioctl (to, TIOCSWINSZ, &ws);
}

/* Forward what is readable on from to to; false at EOF or error.  */
static bool
pump (int from, int to)
{
  char buf[8192];
  ssize_t n = read (from, buf, sizeof (buf));
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  return berth_write_all (to, buf, n) == 0;
}

/* The signals a relay takes: what a user at the terminal sends to the
 * foreground program goes to the container's process.  */
static const int relayed_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };

static void
on_signal (const struct berth_terminal_relay *r, const struct signalfd_siginfo *si)
{
  if (si->ssi_signo == SIGWINCH)
    {
      if (r->resize)
        r->resize (r->master, r->resize_data);
      else if (r->tty_fd >= 0)
        copy_window_size (r->tty_fd, r->master);
      return;
    }
  if (r->pidfd >= 0)
    berth_pidfd_send_signal (r->pidfd, (int)si->ssi_signo);
}

static int
relay_loop (const struct berth_terminal_relay *r, int sfd, berth_error_t *err)
{
  bool in_open = r->in_fd >= 0;

  for (;;)
    {
      struct pollfd p[3] = { { r->master, POLLIN, 0 },
                             { in_open ? r->in_fd : -1, POLLIN, 0 },
                             { sfd, POLLIN, 0 } };
      if (poll (p, 3, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return berth_error (err, errno, "terminal relay: poll");
        }
      if (p[2].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          while (read (sfd, &si, sizeof (si)) == sizeof (si))
            on_signal (r, &si);
        }
      if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) && !pump (r->in_fd, r->master))
        in_open = false;
      /* The end: every holder of the slave is gone (EIO), or our output is.  */
      if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && !pump (r->master, r->out_fd))
        return 0;
    }
}

int
berth_terminal_relay (const struct berth_terminal_relay *r, berth_error_t *err)
{
  struct termios saved, raw;
  bool restore_tty = false;
  sigset_t set, old;
  int sfd, e, ret;

  sigemptyset (&set);
  sigaddset (&set, SIGWINCH);
  if (r->pidfd >= 0)
    for (size_t i = 0; i < sizeof (relayed_signals) / sizeof (relayed_signals[0]); i++)
      sigaddset (&set, relayed_signals[i]);
  e = pthread_sigmask (SIG_BLOCK, &set, &old);
  if (e != 0)
    return berth_error (err, e, "terminal relay: block signals");
  sfd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0)
    {
      ret = berth_error (err, errno, "terminal relay: signalfd");
      goto out;
    }
  if (r->tty_fd >= 0 && tcgetattr (r->tty_fd, &saved) == 0)
    {
      raw = saved;
      cfmakeraw (&raw);
      if (tcsetattr (r->tty_fd, TCSANOW, &raw) < 0)
        {
          ret = berth_error (err, errno, "terminal relay: raw mode");
          goto out;
        }
      restore_tty = true;
      if (r->resize)
        r->resize (r->master, r->resize_data);
      else
        copy_window_size (r->tty_fd, r->master);
    }
  ret = relay_loop (r, sfd, err);

out:
  /* Whatever happened, the caller gets its terminal and its mask back.  A
   * relayed signal that came after our last read stays pending, for the
   * caller's mask to decide (run and exec keep them blocked and forward).  */
  if (restore_tty)
    tcsetattr (r->tty_fd, TCSANOW, &saved);
  if (sfd >= 0)
    close (sfd);
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  return ret;
}
