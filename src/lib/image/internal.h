/* Shared by the files of src/lib/image/ only; the engine uses image.h.  */
#ifndef BERTH_IMAGE_INTERNAL_H
#define BERTH_IMAGE_INTERNAL_H

#include <openssl/evp.h>
#include <stdint.h>

#include "image.h"

#define DIGEST_HEX_LEN 64
#define DIGEST_LEN (7 + DIGEST_HEX_LEN) /* "sha256:" + hex */
#define SHORT_LINK_LEN 20

struct berth_image_store
{
  char *root;
  berth_image_in_use_fn in_use;
  void *in_use_data;
};

/* digest.c: sha256 as "sha256:<hex>".  */
struct hasher
{
  EVP_MD_CTX *ctx;
  uint64_t size;
};
int hasher_init (struct hasher *h, berth_error_t *err);
void hasher_update (struct hasher *h, const void *buf, size_t len);
void hasher_final (struct hasher *h, char out[DIGEST_LEN + 1]);
void hasher_release (struct hasher *h);
int digest_buffer (const void *buf, size_t len, char out[DIGEST_LEN + 1], berth_error_t *err);
/* Whether s is "sha256:" followed by exactly 64 lowercase hex digits.  */
bool digest_valid (const char *s);
/* The hex part of a valid digest.  */
static inline const char *
digest_hex (const char *digest)
{
  return digest + 7;
}

/* store.c: paths, locks and the index of images.  */
char *store_path (const struct berth_image_store *s, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
/* Take one of the store's locks: "gc" is held shared by whoever adds
 * content and exclusive by whoever removes it; "index" guards images.json.
 * Always gc before index.  Returns the fd to close, or negative.  */
int store_lock (struct berth_image_store *s, const char *which, bool exclusive, berth_error_t *err);
/* Record an image whose blobs and layers exist: config bytes become the
 * config blob, a manifest is written, name (may be NULL) points to it.  */
int store_commit_image (struct berth_image_store *s, const char *config, size_t config_len,
                        char *const *diff_ids, char *const *names, char **id, berth_error_t *err);
/* A new temporary directory / file name inside the store's tmp/.  */
/* IMAGE_ID's init layer (init_layer.c), made on first use from its
 * LOWERS (top first): *out is its directory.  */
int store_init_layer (struct berth_image_store *s, const char *image_id, char **lowers, char **out,
                      berth_error_t *err);
int store_mkdtemp (struct berth_image_store *s, char **path, berth_error_t *err);
int store_read_blob (struct berth_image_store *s, const char *digest, char **data, size_t *len,
                     berth_error_t *err);

/* blobs.c: verified writes.  */
struct blob_writer
{
  struct berth_image_store *s;
  int fd;
  char *tmp_path;
  struct hasher h;
  off_t written, flushed; /* bytes written; bytes handed to writeback */
};
int blob_writer_open (struct berth_image_store *s, struct blob_writer *w, berth_error_t *err);
int blob_writer_write (struct blob_writer *w, const void *buf, size_t len, berth_error_t *err);
/* Finish: the digest must equal expected (when not NULL); the blob is
 * renamed into blobs/ unless keep_tmp, which leaves it at w->tmp_path for
 * the caller to check and then blob_writer_commit.  */
int blob_writer_finish (struct blob_writer *w, const char *expected, char out[DIGEST_LEN + 1],
                        berth_error_t *err);
int blob_writer_commit (struct blob_writer *w, const char *digest, berth_error_t *err);
void blob_writer_abort (struct blob_writer *w);
int blob_put (struct berth_image_store *s, const void *data, size_t len, char out[DIGEST_LEN + 1],
              berth_error_t *err);

/* layers.c: add one layer from a (possibly compressed) tar stream.
 * expected_raw: digest of the bytes as read (NULL: not checked);
 * expected_diff: digest of the uncompressed tar (NULL: not checked).  */
int layer_add_fd (struct berth_image_store *s, int fd, const char *expected_raw,
                  const char *expected_diff, char diff_id[DIGEST_LEN + 1], berth_error_t *err);
char *layer_dir (const struct berth_image_store *s, const char *diff_id);

/* unpack.c: extract a tar stream into dest_fd, never outside it; with
 * whiteouts, .wh. entries become overlay whiteouts.  */
int unpack_tar_fd (int tar_fd, int dest_fd, bool whiteouts, berth_error_t *err);

/* index.c: images.json, {"images": {hex: {"manifest", "names", "added"}}}.
 * Callers hold the index lock.  */
int index_read (struct berth_image_store *s, json_t **index, berth_error_t *err);
int index_write (struct berth_image_store *s, json_t *index, berth_error_t *err);
int index_add (json_t *index, const char *hex, const char *manifest, berth_error_t *err);
/* Give name to image hex, taking it from any other image.  */
int index_set_name (json_t *index, const char *hex, const char *name, berth_error_t *err);
bool index_remove_name (json_t *index, const char *name);
json_t *index_images (json_t *index);
/* Resolve ref (name or ID prefix) to the image's hex (borrowed from index);
 * *name is the normalized name matched, or NULL when matched by ID.  */
int index_resolve (json_t *index, const char *ref, const char **hex, char **name,
                   berth_error_t *err);
/* Build the public view of image hex from its index entry and blobs.  */
int image_from_index (struct berth_image_store *s, const char *hex, json_t *entry,
                      struct berth_image **out, berth_error_t *err);

/* gc.c: remove blobs and layers no image references and leftovers in tmp/
 * (callers hold the gc lock exclusively).  Returns bytes freed.  */
int64_t store_gc (struct berth_image_store *s, json_t *index);
/* Take the locks and collect garbage: after a failed load or import, what
 * it added goes again.  The caller holds no store lock.  */
void store_gc_now (struct berth_image_store *s);

/* config.c: a new image config for layers made here (import, from-host).
 * cmd may be NULL.  Returns the JSON text (new string) or NULL.  */
char *config_new (char *const *diff_ids, const char *created_by, const char *comment,
                  const char *cmd);
/* Docker's name for this machine's architecture ("amd64", "arm64", ...).  */
const char *config_architecture (void);

/* unpack.c: the decompressors berth reads (gzip, bzip2, xz, lzma, zstd,
 * lz4), all in-process: never libarchive's fallbacks to external programs
 * on untrusted input.  */
struct archive;
void archive_support_compression (struct archive *a);

/* names.c */
bool name_looks_like_id_prefix (const char *ref);

#endif
