/* Blobs by digest (blobs/sha256/<hex>), verified on write: content goes to a
 * temporary file in the store, hashed as it is written, and is renamed into
 * place only when its digest is the expected one.  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"
#include "util.h"

int
blob_writer_open (struct berth_image_store *s, struct blob_writer *w, berth_error_t *err)
{
  memset (w, 0, sizeof (*w));
  w->s = s;
  w->fd = -1;
  w->tmp_path = store_path (s, "tmp/blob-XXXXXX");
  if (w->tmp_path == NULL)
    return berth_error (err, ENOMEM, "blob");
  w->fd = mkostemp (w->tmp_path, O_CLOEXEC);
  if (w->fd < 0)
    {
      int e = errno;
      free (w->tmp_path);
      w->tmp_path = NULL;
      return berth_error (err, e, "create a temporary blob in `%s/tmp`", s->root);
    }
  if (fchmod (w->fd, 0644) < 0 || hasher_init (&w->h, err) < 0)
    {
      blob_writer_abort (w);
      return berth_error (err, ENOMEM, "blob");
    }
  return 0;
}

/* Writeback is started every this many bytes, so that the disk writes a
 * large blob while it is still arriving: the fdatasync of the commit then
 * waits for the last piece only, not for the whole layer.  */
#define BLOB_WRITEBACK_STEP (8 << 20)

int
blob_writer_write (struct blob_writer *w, const void *buf, size_t len, berth_error_t *err)
{
  int r = berth_write_all (w->fd, buf, len);
  if (r < 0)
    return berth_error (err, -r, "write `%s`", w->tmp_path);
  hasher_update (&w->h, buf, len);
  w->written += (off_t) len;
  if (w->written - w->flushed >= BLOB_WRITEBACK_STEP)
    {
      /* Only a hint: a failure here shows again at the fdatasync.  */
      (void) sync_file_range (w->fd, w->flushed, w->written - w->flushed, SYNC_FILE_RANGE_WRITE);
      w->flushed = w->written;
    }
  return 0;
}

int
blob_writer_finish (struct blob_writer *w, const char *expected, char out[DIGEST_LEN + 1],
                    berth_error_t *err)
{
  hasher_final (&w->h, out);
  hasher_release (&w->h);
  if (expected && strcmp (expected, out) != 0)
    return berth_error (err, 0, "digest mismatch: expected %s, got %s", expected, out);
  return 0;
}

int
blob_writer_commit (struct blob_writer *w, const char *digest, berth_error_t *err)
{
  cleanup_free char *dst = store_path (w->s, "blobs/sha256/%s", digest_hex (digest));

  if (dst == NULL)
    return berth_error (err, ENOMEM, "blob");
  if (fdatasync (w->fd) < 0)
    return berth_error (err, errno, "sync `%s`", w->tmp_path);
  if (rename (w->tmp_path, dst) < 0)
    return berth_error (err, errno, "rename blob into `%s`", dst);
  free (w->tmp_path);
  w->tmp_path = NULL;
  close (w->fd);
  w->fd = -1;
  return 0;
}

void
blob_writer_abort (struct blob_writer *w)
{
  if (w->tmp_path)
    unlink (w->tmp_path);
  free (w->tmp_path);
  w->tmp_path = NULL;
  if (w->fd >= 0)
    close (w->fd);
  w->fd = -1;
  hasher_release (&w->h);
}

int
blob_put (struct berth_image_store *s, const void *data, size_t len, char out[DIGEST_LEN + 1],
          berth_error_t *err)
{
  struct blob_writer w;
  if (blob_writer_open (s, &w, err) < 0)
    return -1;
  if (blob_writer_write (&w, data, len, err) < 0 || blob_writer_finish (&w, NULL, out, err) < 0
      || blob_writer_commit (&w, out, err) < 0)
    {
      blob_writer_abort (&w);
      return -1;
    }
  return 0;
}
