/* Layers: a (possibly compressed) tar stream becomes an uncompressed tar blob
 * named by its diffID and one unpacked directory layers/<hex>/diff, shared by
 * every image with that diffID, plus a short link l/<short> for mount
 * option strings.  Nothing is visible in the store until the stream has been
 * read whole, its digests checked and its tar unpacked: the blob and the
 * directory are built in tmp/ and renamed into place.  */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"
#include "registry.h"
#include "util.h"

struct raw_reader
{
  int fd;
  struct hasher h;
  char buf[1 << 16];
  int error;
};

static la_ssize_t
raw_read (struct archive *a, void *data, const void **buf)
{
  struct raw_reader *rr = data;
  ssize_t n;
  do
    n = read (rr->fd, rr->buf, sizeof (rr->buf));
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      rr->error = errno;
      archive_set_error (a, errno, "read: %s", strerror (errno));
      return -1;
    }
  hasher_update (&rr->h, rr->buf, n);
  *buf = rr->buf;
  return n;
}

char *
layer_dir (const struct berth_image_store *s, const char *diff_id)
{
  return store_path (s, "layers/%s", digest_hex (diff_id));
}

/* Decompress fd into the blob writer, hashing the raw bytes too.  */
static int
decompress_into (int fd, struct blob_writer *w, char raw_digest[DIGEST_LEN + 1], berth_error_t *err)
{
  struct raw_reader *rr = calloc (1, sizeof (*rr));
  struct archive *a = archive_read_new ();
  struct archive_entry *e;
  char buf[1 << 16];
  int ret = -1, r;
  ssize_t n;

  if (rr == NULL || a == NULL || hasher_init (&rr->h, err) < 0)
    {
      free (rr);
      if (a)
        archive_read_free (a);
      return berth_error (err, ENOMEM, "layer");
    }
  rr->fd = fd;
  archive_support_compression (a);
  archive_read_support_format_raw (a);
  archive_read_support_format_empty (a);
  if (archive_read_open (a, rr, NULL, raw_read, NULL) != ARCHIVE_OK)
    {
      berth_error (err, 0, "read layer: %s", archive_error_string (a));
      goto out;
    }
  r = archive_read_next_header (a, &e);
  if (r != ARCHIVE_EOF && r != ARCHIVE_OK)
    {
      berth_error (err, 0, "read layer: %s", archive_error_string (a));
      goto out;
    }
  if (r == ARCHIVE_OK)
    while ((n = archive_read_data (a, buf, sizeof (buf))) != 0)
      {
        if (n < 0)
          {
            berth_error (err, 0, "read layer: %s", archive_error_string (a));
            goto out;
          }
        if (blob_writer_write (w, buf, n, err) < 0)
          goto out;
      }
  /* Whatever the decompressor left unread still belongs to the raw digest.  */
  while ((n = read (fd, buf, sizeof (buf))) > 0)
    hasher_update (&rr->h, buf, n);
  hasher_final (&rr->h, raw_digest);
  ret = 0;
out:
  hasher_release (&rr->h);
  archive_read_free (a);
  free (rr);
  return ret;
}

/* A new layer directory in tmp/ with its link file; *diff_fd is its diff/
 * directory to unpack into.  */
int
layer_unpack_prepare (struct berth_image_store *s, const char *diff_id, char **tmp_dir,
                      int *diff_fd, berth_error_t *err)
{
  cleanup_free char *diff = NULL, *link = NULL;

  *diff_fd = -1;
  if (store_mkdtemp (s, tmp_dir, err) < 0)
    return -1;
  if (asprintf (&diff, "%s/diff", *tmp_dir) < 0 || asprintf (&link, "%s/link", *tmp_dir) < 0)
    return berth_error (err, ENOMEM, "layer");
  if (mkdir (diff, 0755) < 0)
    return berth_error (err, errno, "mkdir `%s`", diff);
  if (berth_write_file (link, digest_hex (diff_id), SHORT_LINK_LEN, 0644, err) < 0)
    return -1;
  *diff_fd = open (diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*diff_fd < 0)
    return berth_error (err, errno, "open `%s`", diff);
  return 0;
}

static int
unpack_into_tmp (struct berth_image_store *s, const char *tar_path, const char *diff_id,
                 char **tmp_dir, berth_error_t *err)
{
  cleanup_free char *diff = NULL, *link = NULL;
  cleanup_close int tar_fd = -1, diff_fd = -1;

  if (store_mkdtemp (s, tmp_dir, err) < 0)
    return -1;
  if (asprintf (&diff, "%s/diff", *tmp_dir) < 0 || asprintf (&link, "%s/link", *tmp_dir) < 0)
    return berth_error (err, ENOMEM, "layer");
  if (mkdir (diff, 0755) < 0)
    return berth_error (err, errno, "mkdir `%s`", diff);
  diff_fd = open (diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  tar_fd = open (tar_path, O_RDONLY | O_CLOEXEC);
  if (diff_fd < 0 || tar_fd < 0)
    return berth_error (err, errno, "open `%s`", diff_fd < 0 ? diff : tar_path);
  if (unpack_tar_fd (tar_fd, diff_fd, true, err) < 0)
    return berth_error_wrap (err, "unpack layer %.19s", diff_id);
  if (berth_write_file (link, digest_hex (diff_id), SHORT_LINK_LEN, 0644, err) < 0)
    return -1;
  return 0;
}

/* Rename the finished directory (if any) into layers/ (another process may have won
 * the race for the same layer: then ours goes) and add its short link.  */
int
layer_install (struct berth_image_store *s, const char *tmp_dir, const char *diff_id,
               berth_error_t *err)
{
  cleanup_free char *dst = layer_dir (s, diff_id);
  cleanup_free char *link = NULL, *target = NULL;

  if (tmp_dir && rename (tmp_dir, dst) < 0)
    {
      if (errno != EEXIST && errno != ENOTEMPTY)
        return berth_error (err, errno, "rename layer into `%s`", dst);
      berth_remove_tree (tmp_dir, NULL);
    }
  link = store_path (s, "l/%.*s", SHORT_LINK_LEN, digest_hex (diff_id));
  if (asprintf (&target, "../layers/%s/diff", digest_hex (diff_id)) < 0 || link == NULL)
    return berth_error (err, ENOMEM, "layer");
  if (symlink (target, link) < 0 && errno != EEXIST)
    return berth_error (err, errno, "symlink `%s`", link);
  return 0;
}

int
layer_add_fd (struct berth_image_store *s, int fd, const char *expected_raw,
              const char *expected_diff, char diff_id[DIGEST_LEN + 1], berth_error_t *err)
{
  cleanup_free char *tmp_dir = NULL, *dir = NULL, *blob = NULL;
  char raw[DIGEST_LEN + 1];
  struct blob_writer w;
  struct stat st;

  if (blob_writer_open (s, &w, err) < 0)
    return -1;
  if (decompress_into (fd, &w, raw, err) < 0)
    goto fail;
  if (expected_raw && strcmp (expected_raw, raw) != 0)
    {
      berth_error (err, 0, "layer digest mismatch: expected %s, got %s", expected_raw, raw);
      goto fail;
    }
  if (blob_writer_finish (&w, expected_diff, diff_id, err) < 0)
    {
      berth_error_wrap (err, "layer diffID");
      goto fail;
    }
  dir = layer_dir (s, diff_id);
  blob = store_path (s, "blobs/sha256/%s", digest_hex (diff_id));
  if (dir == NULL || blob == NULL)
    {
      berth_error (err, ENOMEM, "layer");
      goto fail;
    }
  if (stat (dir, &st) < 0 && unpack_into_tmp (s, w.tmp_path, diff_id, &tmp_dir, err) < 0)
    goto fail;
  if (stat (blob, &st) == 0)
    blob_writer_abort (&w);
  else if (blob_writer_commit (&w, diff_id, err) < 0)
    goto fail;
  if (layer_install (s, tmp_dir, diff_id, err) < 0)
    goto fail;
  return 0;
fail:
  blob_writer_abort (&w);
  if (tmp_dir)
    berth_remove_tree (tmp_dir, NULL);
  return -1;
}
