/* The firewall's libnftables session: lock, context, listing and applying
 * (see firewall_nft.h).  */
#include "net/firewall_nft.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cleanup.h"

/* The libnftables context and the nfnetlink socket are kept for the life
 * of the process (per process: a forked child makes its own).  Closing a
 * NETLINK_NETFILTER socket right after a transaction waits for the
 * kernel's release of the transaction, an RCU grace period: 10-14 ms per
 * call here, more than all the rest of a call.  The mutex serializes the
 * threads of one process; the flock, the processes.  Both descriptors are
 * close-on-exec, and a container's init closes what it does not know.  */
static pthread_mutex_t process_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nft_ctx *cached_ctx;
static struct mnl_socket *cached_nfnl;
static pid_t cached_pid;

static void
forget_after_fork (void)
{
  if (cached_pid == getpid ())
    return;
  /* the parent's: not to be used (nor freed: it is the parent's socket) */
  cached_ctx = NULL;
  cached_nfnl = NULL;
  cached_pid = getpid ();
}

void
fw_process_lock (void)
{
  pthread_mutex_lock (&process_lock);
  forget_after_fork ();
}

void
fw_process_unlock (void)
{
  pthread_mutex_unlock (&process_lock);
}

struct mnl_socket *
fw_nfnl (berth_error_t *err)
{
  if (cached_nfnl)
    return cached_nfnl;
  cached_nfnl = mnl_socket_open2 (NETLINK_NETFILTER, SOCK_CLOEXEC);
  if (cached_nfnl == NULL)
    {
      berth_error (err, errno, "netfilter netlink socket");
      return NULL;
    }
  if (mnl_socket_bind (cached_nfnl, 0, MNL_SOCKET_AUTOPID) < 0)
    {
      berth_error (err, errno, "netfilter netlink socket");
      mnl_socket_close (cached_nfnl);
      cached_nfnl = NULL;
    }
  return cached_nfnl;
}

void
fw_nfnl_discard (void)
{
  if (cached_nfnl)
    mnl_socket_close (cached_nfnl);
  cached_nfnl = NULL;
}

uint32_t
fw_nfnl_seq (void)
{
  static uint32_t seq;
  if (seq == 0)
    seq = (uint32_t)getpid () << 16;
  return ++seq;
}

int
fw_session_open (struct fw_session *s, const struct berth_fw_config *cfg, berth_error_t *err)
{
  char path[128];

  s->ctx = NULL;
  s->lock_fd = -1;
  s->locked = false;
  s->table = cfg && cfg->table ? cfg->table : "berth";
  if (!fw_name_valid (s->table, 32))
    return berth_user_error (err, EINVAL, "firewall table name `%s` is not valid", s->table);
  snprintf (path, sizeof (path), "/run/berth-fw-%s.lock", s->table);
  s->lock_fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (s->lock_fd < 0)
    return berth_error (err, errno, "open `%s`", path);
  fw_process_lock ();
  s->locked = true;
  while (flock (s->lock_fd, LOCK_EX) < 0)
    if (errno != EINTR)
      {
        int e = errno;
        fw_session_close (s);
        return berth_error (err, e, "lock `%s`", path);
      }
  if (cached_ctx == NULL)
    {
      cached_ctx = nft_ctx_new (NFT_CTX_DEFAULT);
      if (cached_ctx == NULL)
        {
          fw_session_close (s);
          return berth_error (err, ENOMEM, "libnftables context");
        }
      nft_ctx_buffer_output (cached_ctx);
      nft_ctx_buffer_error (cached_ctx);
    }
  s->ctx = cached_ctx;
  return 0;
}

void
fw_session_close (struct fw_session *s)
{
  s->ctx = NULL;
  if (s->lock_fd >= 0)
    close (s->lock_fd); /* releases the flock */
  s->lock_fd = -1;
  if (s->locked)
    fw_process_unlock ();
  s->locked = false;
}

/* nft's error output is "Error: what\ncommand\n   ^^^"; the first line
 * says it.  */
static int
nft_failure (struct fw_session *s, const char *what, berth_error_t *err)
{
  const char *e = nft_ctx_get_error_buffer (s->ctx);
  size_t len;

  if (e == NULL || *e == '\0')
    e = "nft failed";
  if (strncmp (e, "Error: ", 7) == 0)
    e += 7;
  len = strcspn (e, "\n");
  return berth_error (err, 0, "%s: %.*s", what, (int)len, e);
}

int
fw_list (struct fw_session *s, const char *what, char **json, berth_error_t *err)
{
  cleanup_free char *cmd = NULL;
  const char *out, *e;

  *json = NULL;
  if (asprintf (&cmd, "list %s", what) < 0)
    return berth_error (err, ENOMEM, "list %s", what);
  nft_ctx_output_set_flags (s->ctx, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
  if (nft_run_cmd_from_buffer (s->ctx, cmd) != 0)
    {
      e = nft_ctx_get_error_buffer (s->ctx);
      nft_ctx_output_set_flags (s->ctx, 0);
      if (e && strstr (e, "No such file or directory"))
        return 0; /* not there */
      return nft_failure (s, "list nftables objects", err);
    }
  nft_ctx_output_set_flags (s->ctx, 0);
  out = nft_ctx_get_output_buffer (s->ctx);
  *json = strdup (out ? out : "");
  if (*json == NULL)
    return berth_error (err, ENOMEM, "list %s", what);
  return 0;
}

/* `list TYPE inet TABLE NAME` as JSON; *json NULL when it is not there. */
static int
list_object (struct fw_session *s, const char *type, const char *name, char **json,
             berth_error_t *err)
{
  cleanup_free char *what = NULL;

  *json = NULL;
  if (asprintf (&what, "%s inet %s %s", type, s->table, name) < 0)
    return berth_error (err, ENOMEM, "list %s", name);
  return fw_list (s, what, json, err);
}

/* The networks' sets and maps are small and listed by nft; the port maps,
 * which grow with the containers, are read from the kernel directly
 * (firewall_ports_read.c).  */
int
fw_read_state (struct fw_session *s, unsigned what, struct fw_state *st, berth_error_t *err)
{
  static const struct
  {
    const char *type, *name;
    unsigned what;
  } objects[]
      = { { "map", "fwd_in", FW_READ_NETS_BRIEF }, { "set", "internal", FW_READ_NETS_BRIEF },
          { "map", "fwd_out", FW_READ_NETS },      { "set", "bridges", FW_READ_NETS },
          { "map", "nat4", FW_READ_NETS },         { "map", "nat6", FW_READ_NETS } };

  memset (st, 0, sizeof (*st));
  for (size_t i = 0; i < sizeof (objects) / sizeof (objects[0]); i++)
    {
      cleanup_free char *json = NULL;
      if ((objects[i].what & what) != objects[i].what)
        continue;
      if (list_object (s, objects[i].type, objects[i].name, &json, err) < 0)
        goto fail;
      if (json == NULL)
        continue;
      st->exists = true;
      if (fw_parse_more (json, st, err) < 0)
        goto fail;
    }
  if ((what & FW_READ_PORTS) && fw_read_ports (s->table, st, err) < 0)
    goto fail;
  return 0;

fail:
  fw_state_free (st);
  return -1;
}

int
fw_apply (struct fw_session *s, const char *cmds, berth_error_t *err)
{
  nft_ctx_output_set_flags (s->ctx, 0);
  if (nft_run_cmd_from_buffer (s->ctx, cmds) != 0)
    return nft_failure (s, "nftables", err);
  return 0;
}
