/* A layer that arrives in pieces (a registry download): each piece is hashed
 * as received (the compressed digest), decompressed here (gzip, possibly
 * several members, zstd, or a plain tar: told apart by their magic bytes),
 * written to the store's uncompressed blob (hashed again: the diffID) and
 * into a pipe that a second thread unpacks into a new layer directory in
 * tmp/ with the store's safe unpacker.  So a layer is unpacked while it
 * downloads; nothing is renamed into the store before both digests match.  */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "cleanup.h"
#include "registry.h"
#include "util.h"

enum kind
{
  KIND_SNIFF,
  KIND_PLAIN,
  KIND_GZIP,
  KIND_ZSTD,
};

struct layer_stream
{
  struct berth_image_store *s;
  char expected_raw[DIGEST_LEN + 1];
  char expected_diff[DIGEST_LEN + 1];
  struct hasher raw;
  uint64_t raw_size;
  struct blob_writer w;
  bool w_open;
  enum kind kind;
  unsigned char head[4];
  size_t head_len;
  z_stream z;
  bool z_init, z_end;
  ZSTD_DStream *zs;
  size_t zs_last;
  int pipe_w;
  pthread_t unpacker;
  bool thread;
  int unpack_r_fd;
  int diff_fd;
  char *tmp_dir;
  int unpack_ret;
  berth_error_t unpack_err;
  /* The decompressor failed: the rest is only hashed, so that a wrong
   * download is reported as the digest mismatch it is.  */
  berth_error_t feed_err;
  unsigned char out[1 << 17];
};

static void *
unpack_main (void *p)
{
  struct layer_stream *ls = p;
  char buf[1 << 16];

  ls->unpack_ret = unpack_tar_fd (ls->unpack_r_fd, ls->diff_fd, true, &ls->unpack_err);
  /* Whatever is left (after a tar's end, or a failure) is read away, so the
   * writer never blocks on a full pipe.  */
  for (;;)
    {
      ssize_t n = read (ls->unpack_r_fd, buf, sizeof (buf));
      if (n > 0 || (n < 0 && errno == EINTR))
        continue;
      break;
    }
  close (ls->unpack_r_fd);
  ls->unpack_r_fd = -1;
  return NULL;
}

uint64_t
layer_stream_raw_size (const struct layer_stream *ls)
{
  return ls->raw_size;
}

void
layer_stream_abort (struct layer_stream *ls)
{
  if (ls == NULL)
    return;
  if (ls->pipe_w >= 0)
    close (ls->pipe_w);
  if (ls->thread)
    pthread_join (ls->unpacker, NULL);
  if (ls->unpack_r_fd >= 0)
    close (ls->unpack_r_fd);
  if (ls->diff_fd >= 0)
    close (ls->diff_fd);
  if (ls->tmp_dir)
    berth_remove_tree (ls->tmp_dir, NULL);
  free (ls->tmp_dir);
  berth_error_release (&ls->unpack_err);
  berth_error_release (&ls->feed_err);
  if (ls->w_open)
    blob_writer_abort (&ls->w);
  hasher_release (&ls->raw);
  if (ls->z_init)
    inflateEnd (&ls->z);
  if (ls->zs)
    ZSTD_freeDStream (ls->zs);
  free (ls);
}

int
layer_stream_open (struct berth_image_store *s, const char *expected_raw, const char *expected_diff,
                   struct layer_stream **out, berth_error_t *err)
{
  struct layer_stream *ls = calloc (1, sizeof (*ls));
  int fds[2];

  if (ls == NULL)
    return berth_error (err, ENOMEM, "layer");
  ls->s = s;
  ls->pipe_w = ls->unpack_r_fd = ls->diff_fd = -1;
  snprintf (ls->expected_raw, sizeof (ls->expected_raw), "%s", expected_raw);
  snprintf (ls->expected_diff, sizeof (ls->expected_diff), "%s", expected_diff);
  if (hasher_init (&ls->raw, err) < 0)
    {
      free (ls);
      return -1;
    }
  if (blob_writer_open (s, &ls->w, err) < 0)
    goto fail;
  ls->w_open = true;
  if (layer_unpack_prepare (s, expected_diff, &ls->tmp_dir, &ls->diff_fd, err) < 0)
    goto fail;
  if (pipe2 (fds, O_CLOEXEC) < 0)
    {
      berth_error (err, errno, "pipe");
      goto fail;
    }
  fcntl (fds[1], F_SETPIPE_SZ, 1 << 20);
  ls->unpack_r_fd = fds[0];
  ls->pipe_w = fds[1];
  if ((errno = pthread_create (&ls->unpacker, NULL, unpack_main, ls)) != 0)
    {
      berth_error (err, errno, "start the unpacker");
      goto fail;
    }
  ls->thread = true;
  *out = ls;
  return 0;
fail:
  layer_stream_abort (ls);
  return -1;
}

/* Decompressed bytes: into the blob and the unpacker.  */
static int
emit (struct layer_stream *ls, const void *buf, size_t len, berth_error_t *err)
{
  int r;
  if (len == 0)
    return 0;
  if (blob_writer_write (&ls->w, buf, len, err) < 0)
    return -1;
  r = berth_write_all (ls->pipe_w, buf, len);
  if (r < 0)
    return berth_error (err, -r, "unpack layer");
  return 0;
}

static int
feed_gzip (struct layer_stream *ls, const unsigned char *buf, size_t len, berth_error_t *err)
{
  ls->z.next_in = (unsigned char *)buf;
  ls->z.avail_in = len;
  while (ls->z.avail_in > 0)
    {
      int r;
      if (ls->z_end)
        {
          /* Another gzip member follows the one that ended.  */
          inflateReset (&ls->z);
          ls->z_end = false;
        }
      ls->z.next_out = ls->out;
      ls->z.avail_out = sizeof (ls->out);
      r = inflate (&ls->z, Z_NO_FLUSH);
      if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
        return berth_error (err, 0, "layer %.19s: gzip: %s", ls->expected_raw,
                            ls->z.msg ? ls->z.msg : "corrupt data");
      if (emit (ls, ls->out, sizeof (ls->out) - ls->z.avail_out, err) < 0)
        return -1;
      if (r == Z_STREAM_END)
        ls->z_end = true;
    }
  return 0;
}

static int
feed_zstd (struct layer_stream *ls, const unsigned char *buf, size_t len, berth_error_t *err)
{
  ZSTD_inBuffer in = { buf, len, 0 };
  while (in.pos < in.size)
    {
      ZSTD_outBuffer o = { ls->out, sizeof (ls->out), 0 };
      size_t r = ZSTD_decompressStream (ls->zs, &o, &in);
      if (ZSTD_isError (r))
        return berth_error (err, 0, "layer %.19s: zstd: %s", ls->expected_raw,
                            ZSTD_getErrorName (r));
      ls->zs_last = r;
      if (emit (ls, ls->out, o.pos, err) < 0)
        return -1;
    }
  return 0;
}

static int
feed (struct layer_stream *ls, const unsigned char *buf, size_t len, berth_error_t *err)
{
  switch (ls->kind)
    {
    case KIND_GZIP:
      return feed_gzip (ls, buf, len, err);
    case KIND_ZSTD:
      return feed_zstd (ls, buf, len, err);
    default:
      return emit (ls, buf, len, err);
    }
}

/* Choose the decompressor from the first four bytes.  */
static int
sniff (struct layer_stream *ls, berth_error_t *err)
{
  static const unsigned char zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
  if (ls->head_len >= 2 && ls->head[0] == 0x1f && ls->head[1] == 0x8b)
    {
      ls->kind = KIND_GZIP;
      if (inflateInit2 (&ls->z, 15 + 16) != Z_OK)
        return berth_error (err, ENOMEM, "gzip");
      ls->z_init = true;
    }
  else if (ls->head_len == 4 && memcmp (ls->head, zstd_magic, 4) == 0)
    {
      ls->kind = KIND_ZSTD;
      ls->zs = ZSTD_createDStream ();
      if (ls->zs == NULL)
        return berth_error (err, ENOMEM, "zstd");
      ZSTD_initDStream (ls->zs);
    }
  else
    ls->kind = KIND_PLAIN;
  return feed (ls, ls->head, ls->head_len, err);
}

int
layer_stream_write (struct layer_stream *ls, const void *buf, size_t len, berth_error_t *err)
{
  const unsigned char *p = buf;

  hasher_update (&ls->raw, buf, len);
  ls->raw_size += len;
  if (ls->feed_err)
    return 0;
  if (ls->kind == KIND_SNIFF)
    {
      size_t n = sizeof (ls->head) - ls->head_len;
      if (n > len)
        n = len;
      memcpy (ls->head + ls->head_len, p, n);
      ls->head_len += n;
      p += n;
      len -= n;
      if (ls->head_len < sizeof (ls->head))
        return 0;
      if (sniff (ls, &ls->feed_err) < 0)
        return 0;
    }
  feed (ls, p, len, &ls->feed_err);
  return 0;
}

int
layer_stream_finish (struct layer_stream *ls, char diff_id[DIGEST_LEN + 1], berth_error_t *err)
{
  char raw[DIGEST_LEN + 1];
  cleanup_free char *blob = NULL;
  struct stat st;
  int ret = -1;

  if (ls->kind == KIND_SNIFF && ls->feed_err == NULL)
    sniff (ls, &ls->feed_err);
  hasher_final (&ls->raw, raw);
  if (strcmp (raw, ls->expected_raw) != 0)
    {
      berth_error (err, 0, "layer digest mismatch: expected %s, got %s", ls->expected_raw, raw);
      goto out;
    }
  if (ls->feed_err)
    {
      *err = steal_pointer (&ls->feed_err);
      goto out;
    }
  if ((ls->kind == KIND_GZIP && !ls->z_end) || (ls->kind == KIND_ZSTD && ls->zs_last != 0))
    {
      berth_error (err, 0, "layer %.19s: truncated compressed data", ls->expected_raw);
      goto out;
    }
  close (ls->pipe_w);
  ls->pipe_w = -1;
  pthread_join (ls->unpacker, NULL);
  ls->thread = false;
  if (ls->unpack_ret < 0)
    {
      berth_error (err, 0, "unpack layer %.19s: %s", ls->expected_diff,
                   ls->unpack_err && ls->unpack_err->msg ? ls->unpack_err->msg : "failed");
      goto out;
    }
  if (blob_writer_finish (&ls->w, ls->expected_diff, diff_id, err) < 0)
    {
      berth_error_wrap (err, "layer %.19s diffID", ls->expected_raw);
      goto out;
    }
  blob = store_path (ls->s, "blobs/sha256/%s", digest_hex (diff_id));
  if (blob == NULL)
    {
      berth_error (err, ENOMEM, "layer");
      goto out;
    }
  if (stat (blob, &st) < 0 && blob_writer_commit (&ls->w, diff_id, err) < 0)
    goto out;
  if (layer_install (ls->s, ls->tmp_dir, diff_id, err) < 0)
    goto out;
  free (ls->tmp_dir);
  ls->tmp_dir = NULL;
  ret = 0;
out:
  layer_stream_abort (ls);
  return ret;
}
