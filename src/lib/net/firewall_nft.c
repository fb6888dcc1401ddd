/* The firewall's libnftables session: lock, context, listing and applying
 * (see firewall_nft.h).  */
#include "net/firewall_nft.h"

#include <errno.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cleanup.h"

int
fw_session_open (struct fw_session *s, const struct berth_fw_config *cfg, berth_error_t *err)
{
  char path[128];

  s->ctx = NULL;
  s->lock_fd = -1;
  s->table = cfg && cfg->table ? cfg->table : "berth";
  if (!fw_name_valid (s->table, 32))
    return berth_error (err, EINVAL, "firewall table name `%s` is not valid", s->table);
  snprintf (path, sizeof (path), "/run/berth-fw-%s.lock", s->table);
  s->lock_fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (s->lock_fd < 0)
    return berth_error (err, errno, "open `%s`", path);
  while (flock (s->lock_fd, LOCK_EX) < 0)
    if (errno != EINTR)
      {
        int e = errno;
        fw_session_close (s);
        return berth_error (err, e, "lock `%s`", path);
      }
  s->ctx = nft_ctx_new (NFT_CTX_DEFAULT);
  if (s->ctx == NULL)
    {
      fw_session_close (s);
      return berth_error (err, ENOMEM, "libnftables context");
    }
  nft_ctx_buffer_output (s->ctx);
  nft_ctx_buffer_error (s->ctx);
  return 0;
}

void
fw_session_close (struct fw_session *s)
{
  if (s->ctx)
    nft_ctx_free (s->ctx);
  s->ctx = NULL;
  if (s->lock_fd >= 0)
    close (s->lock_fd); /* releases the flock */
  s->lock_fd = -1;
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
fw_list (struct fw_session *s, const char *family, const char *name, char **json,
         berth_error_t *err)
{
  cleanup_free char *cmd = NULL;
  const char *out, *e;

  *json = NULL;
  if (asprintf (&cmd, "list table %s %s", family, name) < 0)
    return berth_error (err, ENOMEM, "list table");
  nft_ctx_output_set_flags (s->ctx, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
  if (nft_run_cmd_from_buffer (s->ctx, cmd) != 0)
    {
      e = nft_ctx_get_error_buffer (s->ctx);
      nft_ctx_output_set_flags (s->ctx, 0);
      if (e && strstr (e, "No such file or directory"))
        return 0; /* no such table */
      return nft_failure (s, "list nftables table", err);
    }
  nft_ctx_output_set_flags (s->ctx, 0);
  out = nft_ctx_get_output_buffer (s->ctx);
  *json = strdup (out ? out : "");
  if (*json == NULL)
    return berth_error (err, ENOMEM, "list table");
  return 0;
}

int
fw_read_state (struct fw_session *s, struct fw_state *st, berth_error_t *err)
{
  cleanup_free char *json = NULL;

  memset (st, 0, sizeof (*st));
  if (fw_list (s, "inet", s->table, &json, err) < 0)
    return -1;
  if (json == NULL)
    return 0;
  return fw_parse_table (json, st, err);
}

int
fw_apply (struct fw_session *s, const char *cmds, berth_error_t *err)
{
  nft_ctx_output_set_flags (s->ctx, 0);
  if (nft_run_cmd_from_buffer (s->ctx, cmds) != 0)
    return nft_failure (s, "nftables", err);
  return 0;
}
