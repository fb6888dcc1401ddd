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

/* Relay between the caller's stdin/stdout and master until the master
 * closes, with stdin in raw mode when it is a terminal and window size
 * changes (SIGWINCH) passed on.  Returns when output ends.  */
int berth_terminal_relay (int master, berth_error_t *err);

#endif
