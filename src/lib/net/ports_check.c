/* Whether host ports can be published, checked before a container is made
 * (berth_fw_ports_check): not asked for twice, not published by another
 * berth container (berth's table), and not in use on the host, which a bind
 * of the same address and port tells (a DNAT rule would otherwise silently
 * steal a listening service's traffic).  */
#include "net/firewall.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "net/firewall_nft.h"
#include "net/firewall_rules.h"

/* Bind a socket like a server on that port would.  SO_REUSEADDR for TCP,
 * so that connections in TIME_WAIT are no conflict but a listener is.  */
static int
bind_test (const struct berth_fw_port *p, berth_error_t *err)
{
  bool v6 = strchr (p->host_ip, ':') != NULL;
  struct sockaddr_storage ss = { 0 };
  socklen_t len;
  cleanup_close int fd = -1;
  int one = 1;

  if (v6)
    {
      struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
      a->sin6_family = AF_INET6;
      a->sin6_port = htons (p->host_port);
      inet_pton (AF_INET6, p->host_ip, &a->sin6_addr);
      len = sizeof (*a);
    }
  else
    {
      struct sockaddr_in *a = (struct sockaddr_in *)&ss;
      a->sin_family = AF_INET;
      a->sin_port = htons (p->host_port);
      if (p->host_ip[0])
        inet_pton (AF_INET, p->host_ip, &a->sin_addr);
      else
        a->sin_addr.s_addr = htonl (INADDR_ANY);
      len = sizeof (*a);
    }
  fd = socket (v6 ? AF_INET6 : AF_INET,
               (strcmp (p->proto, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return berth_error (err, errno, "check host port %u/%s", (unsigned)p->host_port, p->proto);
  if (strcmp (p->proto, "tcp") == 0)
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one));
  if (bind (fd, (struct sockaddr *)&ss, len) == 0)
    return 0;
  if (errno == EADDRINUSE)
    return berth_user_error (err, EADDRINUSE, "host port %u/%s is already in use",
                          (unsigned)p->host_port, p->proto);
  if (errno == EADDRNOTAVAIL)
    return berth_user_error (err, EADDRNOTAVAIL, "host address %s is not an address of this host",
                          p->host_ip);
  return berth_error (err, errno, "check host port %u/%s", (unsigned)p->host_port, p->proto);
}

int
berth_fw_ports_check (const struct berth_fw_config *cfg, const struct berth_fw_port *ports,
                      size_t n, berth_error_t *err)
{
  struct fw_session s = { .lock_fd = -1 };
  struct fw_state st = { 0 };
  int ret = 0;

  for (size_t i = 0; i < n; i++)
    {
      if (fw_port_validate (&ports[i], false, err) < 0)
        return -1;
      for (size_t j = 0; j < i; j++)
        if (fw_ports_clash (&ports[i], &ports[j]))
          return berth_user_error (err, EINVAL, "host port %u/%s is published twice",
                                (unsigned)ports[i].host_port, ports[i].proto);
    }
  if (n == 0)
    return 0;
  if (fw_session_open (&s, cfg, err) < 0 || fw_read_state (&s, FW_READ_PORTS, &st, err) < 0)
    {
      fw_session_close (&s);
      return -1;
    }
  for (size_t i = 0; i < n && ret == 0; i++)
    for (size_t j = 0; j < st.n_ports && ret == 0; j++)
      if (fw_ports_clash (&ports[i], &st.ports[j].port))
        ret = berth_user_error (err, EADDRINUSE, "host port %u/%s is already published by %s",
                             (unsigned)ports[i].host_port, ports[i].proto, st.ports[j].owner);
  fw_state_free (&st);
  fw_session_close (&s);
  for (size_t i = 0; i < n && ret == 0; i++)
    ret = bind_test (&ports[i], err);
  return ret;
}
