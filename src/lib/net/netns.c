/* Network namespaces made by berth: one per container that has its own
 * network, bind-mounted at RUNROOT/netns/<owner> (as `ip netns` does) so
 * that it outlives the container's processes until the container is
 * removed.  The calling thread unshares, mounts and goes back to its own
 * namespace before returning.  */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "net/net.h"
#include "net/netlink.h"
#include "util.h"

char *
berth_netns_path (const struct berth_net_host *h, const char *owner)
{
  char *p = NULL;
  if (asprintf (&p, "%s/netns/%s", h->runroot, owner) < 0)
    return NULL;
  return p;
}

/* The directory is a shared mount of its own, as with `ip netns`: an
 * unmount there reaches every mount namespace that copied it, so no copy
 * keeps a removed namespace (and its veth) alive.  */
static int
netns_dir (const struct berth_net_host *h, berth_error_t *err)
{
  cleanup_free char *dir = NULL;

  if (asprintf (&dir, "%s/netns", h->runroot) < 0)
    return berth_error (err, ENOMEM, "netns");
  if (berth_mkdir_p (dir, 0755, err) < 0)
    return -1;
  if (mount (NULL, dir, NULL, MS_SHARED | MS_REC, NULL) == 0)
    return 0;
  if (errno != EINVAL)
    return berth_error (err, errno, "make `%s` shared", dir);
  if (mount (dir, dir, NULL, MS_BIND | MS_REC, NULL) < 0
      || mount (NULL, dir, NULL, MS_SHARED | MS_REC, NULL) < 0)
    return berth_error (err, errno, "mount `%s`", dir);
  return 0;
}

int
berth_netns_create (const struct berth_net_host *h, const char *owner, char **path_out,
                    berth_error_t *err)
{
  cleanup_free char *path = berth_netns_path (h, owner);
  cleanup_close int self = -1, fd = -1, ns = -1;
  int r = -1;

  if (path == NULL)
    return berth_error (err, ENOMEM, "netns");
  if (netns_dir (h, err) < 0)
    return -1;
  fd = open (path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0)
    return berth_error (err, errno, "create `%s`", path);
  self = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    {
      berth_error (err, errno, "open `/proc/thread-self/ns/net`");
      goto fail;
    }
  if (unshare (CLONE_NEWNET) < 0)
    {
      berth_error (err, errno, "unshare the network namespace");
      goto fail;
    }
  r = mount ("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL);
  if (r < 0)
    berth_error (err, errno, "bind-mount the network namespace at `%s`", path);
  if (setns (self, CLONE_NEWNET) < 0)
    abort (); /* never left in the new namespace */
  if (r < 0)
    goto fail;
  ns = open (path, O_RDONLY | O_CLOEXEC);
  if (ns < 0 || berth_nl_loopback_up (ns, err) < 0)
    {
      if (ns < 0)
        berth_error (err, errno, "open `%s`", path);
      umount2 (path, MNT_DETACH);
      r = -1;
      goto fail;
    }
  if (path_out)
    *path_out = steal_pointer (&path);
  return 0;
fail:
  unlink (path);
  return -1;
}

bool
berth_netns_exists (const char *path)
{
  struct statfs st;
  /* A file left by a create cut short is not a namespace: only a mounted
   * nsfs counts.  */
  return statfs (path, &st) == 0 && st.f_type == NSFS_MAGIC;
}

int
berth_netns_remove (const char *path, berth_error_t *err)
{
  if (umount2 (path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return berth_error (err, errno, "unmount `%s`", path);
  if (unlink (path) < 0 && errno != ENOENT)
    return berth_error (err, errno, "remove `%s`", path);
  return 0;
}
