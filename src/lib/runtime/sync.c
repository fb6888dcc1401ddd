/* Messages between `create` and the container init on their socketpair.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "launch.h"

int
berth_sync_send (int fd, enum berth_sync_type type, int value, const char *text)
{
  struct
  {
    uint32_t type;
    int32_t value;
  } head = { type, value };
  size_t tlen = text ? strlen (text) : 0;
  struct iovec iov[2] = { { &head, sizeof (head) }, { (void *) text, tlen } };
  struct msghdr mh = { .msg_iov = iov, .msg_iovlen = text ? 2 : 1 };

  if (tlen >= BERTH_SYNC_TEXT_MAX)
    iov[1].iov_len = BERTH_SYNC_TEXT_MAX - 1;
  for (;;)
    {
      ssize_t r = sendmsg (fd, &mh, MSG_NOSIGNAL);
      if (r >= 0)
        return 0;
      if (errno != EINTR)
        return -errno;
    }
}

int
berth_sync_recv_or_eof (int fd, struct berth_sync_msg *msg, berth_error_t *err)
{
  ssize_t r;

  do
    r = recv (fd, msg, sizeof (*msg) - 1, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return berth_error (err, errno, "read from container init");
  if (r == 0)
    return 0;
  if ((size_t) r < offsetof (struct berth_sync_msg, text))
    return berth_error (err, EPROTO, "short message from container init");
  ((char *) msg)[r] = '\0';
  return 1;
}

int
berth_sync_recv (int fd, struct berth_sync_msg *msg, berth_error_t *err)
{
  int r = berth_sync_recv_or_eof (fd, msg, err);

  if (r == 0)
    return berth_error (err, EPIPE, "container init exited during setup");
  return r < 0 ? r : 0;
}

int
berth_sync_expect (int fd, enum berth_sync_type type, struct berth_sync_msg *msg,
                   berth_error_t *err)
{
  if (berth_sync_recv (fd, msg, err) < 0)
    return berth_error_ret (err);
  if (msg->type == SYNC_ERROR)
    return berth_error (err, 0, "%s", msg->text);
  if (msg->type != type)
    return berth_error (err, EPROTO, "unexpected message %u from container init", msg->type);
  return 0;
}
