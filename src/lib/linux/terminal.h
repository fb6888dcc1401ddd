/* Pseudo-terminals of containers: making a pty inside the container's
 * devpts, handing its master to a console socket (what conmon and
 * containerd's shim listen on), making the slave the process's controlling
 * terminal, and relaying a master to the caller's own terminal.  */
#ifndef BERTH_TERMINAL_H
#define BERTH_TERMINAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* Open a new pty through /dev/ptmx of the current root; *master and *slave
 * are CLOEXEC.  Sets the window size when rows/cols are non-zero.  */
int berth_pty_open (int *master, int *slave, unsigned rows, unsigned cols, berth_error_t *err);

/* Make slave the controlling terminal of a new session and stdin, stdout
 * and stderr of the calling process.  */
int berth_pty_make_controlling (int slave, berth_error_t *err);

struct berth_process;

/* The terminal of process P: a new pty (P's console size) whose slave is
 * owned by P's user and becomes our controlling terminal and stdin, stdout
 * and stderr.  *master is for the caller to hand on; name is the pty's
 * path ("/dev/pts/N"), which runc sends along with it.  */
int berth_terminal_for_process (const struct berth_process *p, int *master, char name[64],
                                berth_error_t *err);

/* Connect to the console socket at path (a unix stream socket).  */
int berth_console_socket_connect (const char *path, berth_error_t *err);

/* Send fd with SCM_RIGHTS on a connected unix socket; name is the payload
 * (runc sends the pty's name).  */
int berth_send_fd (int sock, int fd, const char *name, berth_error_t *err);

/* Receive one fd sent with berth_send_fd.  */
int berth_recv_fd (int sock, int *fd, berth_error_t *err);

/* A relay between a container's pty master and the caller's terminal.  */
struct berth_terminal_relay
{
  int master; /* the container's pty master */
  int in_fd;  /* the caller's input, copied to the master; -1 for none */
  int out_fd; /* the caller's output, where the master's output goes */
  int tty_fd; /* the caller's terminal, or -1: raw mode while relaying (its
                 mode is restored on every return), and its window size
                 copied to the master at the start and on SIGWINCH */
  /* On SIGWINCH (and at the start, with a tty_fd) instead of copying the
   * size of tty_fd; NULL for that default.  */
  void (*resize) (int master, void *data);
  void *resize_data;
  int pidfd; /* SIGTERM, SIGINT, SIGHUP and SIGQUIT the caller gets while
                relaying are sent to it; -1 to leave them alone */
};

/* Relay until the master's output ends (every holder of the slave closed
 * it).  The calling thread's signal mask is restored on return; a caller
 * that wants relayed signals arriving after the last read to wait for it
 * blocks them itself beforehand.  */
int berth_terminal_relay (const struct berth_terminal_relay *relay, berth_error_t *err);

#endif
