/* recvtty: the receiving end of a console socket, for tests.  Listens on a
 * unix socket, takes the pty master a runtime sends over it (SCM_RIGHTS),
 * prints the name the runtime sent, then copies the terminal's output to
 * stdout until it closes, writing INPUT (if given) to it first.
 * usage: recvtty SOCKET [INPUT] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  char name[4096] = { 0 }, control[CMSG_SPACE (sizeof (int))] = { 0 }, buf[4096];
  struct iovec iov = { name, sizeof (name) - 1 };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                       .msg_controllen = sizeof (control) };
  struct cmsghdr *c;
  int lfd, cfd, master;
  ssize_t n;

  if (argc < 2 || strlen (argv[1]) >= sizeof (addr.sun_path))
    {
      fprintf (stderr, "usage: recvtty SOCKET [INPUT]\n");
      return 2;
    }
  strcpy (addr.sun_path, argv[1]);
  lfd = socket (AF_UNIX, SOCK_STREAM, 0);
  unlink (argv[1]);
  if (lfd < 0 || bind (lfd, (struct sockaddr *) &addr, sizeof (addr)) < 0 || listen (lfd, 1) < 0)
    {
      perror ("recvtty: listen");
      return 1;
    }
  /* Tell the caller we listen (it may start the runtime now).  */
  printf ("listening\n");
  fflush (stdout);
  cfd = accept (lfd, NULL, NULL);
  if (cfd < 0 || recvmsg (cfd, &mh, 0) < 0 || (c = CMSG_FIRSTHDR (&mh)) == NULL
      || c->cmsg_type != SCM_RIGHTS)
    {
      fprintf (stderr, "recvtty: no terminal received: %s\n", strerror (errno));
      return 1;
    }
  memcpy (&master, CMSG_DATA (c), sizeof (int));
  printf ("name: %s\n", name);
  fflush (stdout);
  if (argc > 2 && write (master, argv[2], strlen (argv[2])) < 0)
    perror ("recvtty: write");
  while ((n = read (master, buf, sizeof (buf))) > 0)
    if (write (STDOUT_FILENO, buf, n) < 0)
      break;
  unlink (argv[1]);
  return 0;
}
