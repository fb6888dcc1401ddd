/* Unit tests of the image store: digests, verified blob writes, name
 * normalisation, and that a failed import leaves nothing behind.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "cleanup.h"
#include "image/internal.h"
#include "testutil.h"
#include "util.h"

/* Each test: base/store is the store, base/ holds the test's own files.  */
static int
make_store (void **state)
{
  char tmpl[] = "/tmp/berth-image-test.XXXXXX", path[64];
  struct berth_image_store *s = NULL;
  berth_error_t err = NULL;
  char *dir = mkdtemp (tmpl);
  assert_non_null (dir);
  snprintf (path, sizeof (path), "%s/store", dir);
  assert_int_equal (berth_image_store_open (path, &s, &err), 0);
  *state = s;
  return 0;
}

static int
remove_store (void **state)
{
  struct berth_image_store *s = *state;
  cleanup_free char *base = store_path (s, "..");
  cleanup_free char *abs = realpath (base, NULL);
  assert_non_null (abs);
  assert_non_null (strstr (abs, "/tmp/berth-image-test."));
  berth_remove_tree (abs, NULL);
  berth_image_store_close (s);
  return 0;
}

static size_t
count_entries (struct berth_image_store *s, const char *sub)
{
  cleanup_free char *p = store_path (s, "%s", sub);
  cleanup_dir DIR *d = opendir (p);
  struct dirent *de;
  size_t n = 0;
  assert_non_null (d);
  while ((de = readdir (d)))
    if (de->d_name[0] != '.')
      n++;
  return n;
}

static void
test_digest_known_vector (void **state)
{
  char d[DIGEST_LEN + 1];
  assert_int_equal (digest_buffer ("abc", 3, d, NULL), 0);
  assert_string_equal (d,
                       "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert_true (digest_valid (d));
  assert_false (
      digest_valid ("sha256:BA7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  assert_false (digest_valid ("sha256:ba78"));
  assert_false (
      digest_valid ("sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  assert_false (
      digest_valid ("sha256:../../../../etc/passwd/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static void
test_blob_verified_on_write (void **state)
{
  struct berth_image_store *s = *state;
  cleanup_error berth_error_t err = NULL;
  char d[DIGEST_LEN + 1];
  struct blob_writer w;

  /* right digest: renamed into blobs/sha256/<hex> */
  assert_int_equal (blob_put (s, "abc", 3, d, &err), 0);
  cleanup_free char *p = store_path (s, "blobs/sha256/%s", digest_hex (d));
  assert_int_equal (access (p, F_OK), 0);

  /* wrong digest: an error, and neither the blob nor its temporary file */
  assert_int_equal (blob_writer_open (s, &w, &err), 0);
  assert_int_equal (blob_writer_write (&w, "abd", 3, &err), 0);
  assert_true (blob_writer_finish (&w, d, (char[DIGEST_LEN + 1]){ 0 }, &err) < 0);
  assert_non_null (strstr (err->msg, "digest mismatch"));
  blob_writer_abort (&w);
  assert_int_equal (count_entries (s, "tmp"), 0);
  assert_int_equal (count_entries (s, "blobs/sha256"), 1);
}

static void
test_name_normalisation (void **state)
{
  static const struct
  {
    const char *in, *out;
  } ok[] = {
    { "busybox", "busybox:latest" },
    { "busybox:latest", "busybox:latest" },
    { "busybox:1.36", "busybox:1.36" },
    { "library/busybox", "library/busybox:latest" },
    { "localhost/foo:v1", "localhost/foo:v1" },
    { "localhost:5000/a/b", "localhost:5000/a/b:latest" },
    { "localhost:5000/a/b:c", "localhost:5000/a/b:c" },
    { "my-app_1.x", "my-app_1.x:latest" },
  };
  static const char *const bad[]
      = { "",       "Busybox",    "busybox:",    "a//b", "-a", "a:b:c", "busybox@sha256:abcd",
          "a/../b", "with space", "busybox:.tag" };
  for (size_t i = 0; i < sizeof (ok) / sizeof (ok[0]); i++)
    {
      cleanup_error berth_error_t err = NULL;
      cleanup_free char *n = berth_image_normalize_name (ok[i].in, &err);
      assert_non_null (n);
      assert_string_equal (n, ok[i].out);
    }
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      cleanup_error berth_error_t err = NULL;
      char *n = berth_image_normalize_name (bad[i], &err);
      if (n)
        fail_msg ("`%s` accepted as `%s`", bad[i], n);
      assert_non_null (err);
    }
  cleanup_free char *repo = NULL, *tag = NULL;
  assert_int_equal (berth_image_split_name ("localhost:5000/a", &repo, &tag, NULL), 0);
  assert_string_equal (repo, "localhost:5000/a");
  assert_string_equal (tag, "latest");
  assert_true (name_looks_like_id_prefix ("3a1b75"));
  assert_true (name_looks_like_id_prefix ("sha256:3a1b75"));
  assert_false (name_looks_like_id_prefix ("busybox"));
}

/* A tar of one file, gzip-compressed by the gzip tool.  */
static void
make_gzip_tar (const char *dir, const char *out)
{
  char cmd[1024];
  snprintf (cmd, sizeof (cmd),
            "mkdir -p %s/src && echo hello > %s/src/f && tar -C %s/src -czf %s . && rm -rf %s/src",
            dir, dir, dir, out, dir);
  assert_int_equal (system (cmd), 0);
}

static void
assert_store_empty (struct berth_image_store *s)
{
  struct berth_image **list = NULL;
  size_t n = 0;
  assert_int_equal (count_entries (s, "blobs/sha256"), 0);
  assert_int_equal (count_entries (s, "layers"), 0);
  assert_int_equal (count_entries (s, "l"), 0);
  assert_int_equal (count_entries (s, "tmp"), 0);
  assert_int_equal (berth_image_list (s, &list, &n, NULL), 0);
  assert_int_equal (n, 0);
  berth_image_list_free (list, n);
}

static void
test_truncated_gzip_leaves_nothing (void **state)
{
  struct berth_image_store *s = *state;
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *tgz = store_path (s, "../t.tgz"), *id = NULL;
  cleanup_close int fd = -1;
  struct stat st;

  make_gzip_tar (berth_image_store_root (s), tgz);
  /* the whole archive imports: the test's archive is good */
  fd = open (tgz, O_RDONLY);
  assert_int_equal (berth_image_import (s, fd, "good", &id, &err), 0);
  close (fd);
  struct berth_image_removal r = { 0 };
  assert_int_equal (berth_image_remove (s, "good", false, &r, &err), 0);
  berth_image_removal_clear (&r);
  assert_store_empty (s);

  assert_int_equal (stat (tgz, &st), 0);
  assert_int_equal (truncate (tgz, st.st_size - 12), 0);
  fd = open (tgz, O_RDONLY);
  assert_true (berth_image_import (s, fd, "broken", &id, &err) < 0);
  assert_non_null (err);
  assert_null (strchr (err->msg, '\n'));
  assert_store_empty (s);
  unlink (tgz);
}

static void
test_layer_diffid_mismatch_leaves_nothing (void **state)
{
  struct berth_image_store *s = *state;
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *tgz = store_path (s, "../m.tgz");
  cleanup_close int fd = -1;
  char diff[DIGEST_LEN + 1];

  make_gzip_tar (berth_image_store_root (s), tgz);
  fd = open (tgz, O_RDONLY);
  assert_true (
      layer_add_fd (s, fd, NULL,
                    "sha256:0000000000000000000000000000000000000000000000000000000000000000", diff,
                    &err)
      < 0);
  assert_non_null (strstr (err->msg, "digest mismatch"));
  assert_store_empty (s);
  unlink (tgz);
}

static void
test_tag_resolve_remove (void **state)
{
  struct berth_image_store *s = *state;
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *tgz = store_path (s, "../r.tgz"), *id = NULL, *id2 = NULL;
  struct berth_image_removal r = { 0 };
  cleanup_close int fd = -1;

  make_gzip_tar (berth_image_store_root (s), tgz);
  fd = open (tgz, O_RDONLY);
  assert_int_equal (berth_image_import (s, fd, "one", &id, &err), 0);
  assert_int_equal (berth_image_tag (s, "one", "two:v2", &err), 0);
  assert_int_equal (berth_image_resolve (s, "two:v2", &id2, &err), 0);
  assert_string_equal (id, id2);
  free (id2);
  /* unique ID prefix */
  char prefix[16];
  snprintf (prefix, sizeof (prefix), "%.10s", id + 7);
  assert_int_equal (berth_image_resolve (s, prefix, &id2, &err), 0);
  assert_string_equal (id, id2);
  /* by ID with two names: refused without force */
  assert_true (berth_image_remove (s, id, false, &r, &err) < 0);
  berth_error_release (&err);
  /* one name: untag only */
  assert_int_equal (berth_image_remove (s, "one", false, &r, &err), 0);
  assert_null (r.deleted);
  berth_image_removal_clear (&r);
  assert_true (count_entries (s, "layers") == 1);
  /* last name: the image and its content go */
  assert_int_equal (berth_image_remove (s, "two:v2", false, &r, &err), 0);
  assert_non_null (r.deleted);
  berth_image_removal_clear (&r);
  assert_store_empty (s);
  unlink (tgz);
}

static bool
always_used (const char *id, void *data)
{
  (void)id;
  (void)data;
  return true;
}

static void
test_in_use_hook (void **state)
{
  struct berth_image_store *s = *state;
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *tgz = store_path (s, "../u.tgz"), *id = NULL;
  struct berth_image_removal r = { 0 };
  cleanup_close int fd = -1;

  make_gzip_tar (berth_image_store_root (s), tgz);
  fd = open (tgz, O_RDONLY);
  assert_int_equal (berth_image_import (s, fd, "used", &id, &err), 0);
  berth_image_store_set_in_use (s, always_used, NULL);
  assert_true (berth_image_remove (s, "used", false, &r, &err) < 0);
  assert_non_null (strstr (err->msg, "used by a container"));
  berth_error_release (&err);
  /* forced: untagged, the image stays for its container; prune keeps it */
  assert_int_equal (berth_image_remove (s, "used", true, &r, &err), 0);
  assert_null (r.deleted);
  berth_image_removal_clear (&r);
  assert_int_equal (berth_image_prune (s, &r, &err), 0);
  assert_null (r.deleted);
  berth_image_removal_clear (&r);
  berth_image_store_set_in_use (s, NULL, NULL);
  assert_int_equal (berth_image_prune (s, &r, &err), 0);
  assert_non_null (r.deleted);
  berth_image_removal_clear (&r);
  assert_store_empty (s);
  unlink (tgz);
}

static char *
join (const char *dir, const char *rel)
{
  char *p;
  assert_true (asprintf (&p, "%s/%s", dir, rel) > 0);
  return p;
}

/* The names in a tar, one string "name\n" each.  */
static char *
tar_names (const char *path)
{
  struct archive *a = archive_read_new ();
  struct archive_entry *e;
  size_t size = 0;
  char *out = NULL;
  FILE *f = open_memstream (&out, &size);
  archive_read_support_format_tar (a);
  assert_int_equal (archive_read_open_filename (a, path, 10240), ARCHIVE_OK);
  while (archive_read_next_header (a, &e) == ARCHIVE_OK)
    fprintf (f, "%s\n", archive_entry_pathname (e));
  archive_read_free (a);
  fclose (f);
  return out;
}

static void
test_commit_upper_dir (void **state)
{
  REQUIRE_ROOT ();
  struct berth_image_store *s = *state;
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *tgz = store_path (s, "../c.tgz"), *base = NULL, *id = NULL;
  cleanup_free char *up = store_path (s, "../upper"), *tar = store_path (s, "../layer.tar");
  cleanup_free char *names = NULL, *p = NULL, *dir = NULL;
  struct berth_image *img = NULL;
  cleanup_close int fd = -1;
  struct stat st;
  char v[4] = "";

  make_gzip_tar (berth_image_store_root (s), tgz);
  fd = open (tgz, O_RDONLY);
  assert_int_equal (berth_image_import (s, fd, "base", &base, &err), 0);
  close (fd);
  /* an overlay upper dir: a new file, the base's f deleted, an opaque dir */
  assert_int_equal (mkdir (up, 0755), 0);
  free (p);
  p = join (up, "new");
  assert_int_equal (berth_write_file (p, "n", 1, 0644, NULL), 0);
  free (p);
  p = join (up, "f");
  assert_int_equal (mknod (p, S_IFCHR, makedev (0, 0)), 0);
  free (p);
  p = join (up, "d");
  assert_int_equal (mkdir (p, 0755), 0);
  assert_int_equal (setxattr (p, "trusted.overlay.opaque", "y", 1, 0), 0);
  free (p);
  p = join (up, "d/y");
  assert_int_equal (berth_write_file (p, "y", 1, 0644, NULL), 0);

  fd = open (tar, O_RDWR | O_CREAT | O_TRUNC, 0600);
  assert_int_equal (berth_image_write_tar (up, fd, true, &err), 0);
  names = tar_names (tar);
  assert_non_null (strstr (names, ".wh.f\n"));
  assert_non_null (strstr (names, "d/.wh..wh..opq\n"));
  assert_non_null (strstr (names, "d/y\n"));
  assert_non_null (strstr (names, "new\n"));
  assert_null (strstr (names, "\nf\n"));

  json_t *config = json_pack ("{s:[s]}", "Cmd", "/bin/true");
  assert_int_equal (lseek (fd, 0, SEEK_SET), 0);
  assert_int_equal (
      berth_image_commit (s, "base", fd, config, "berth commit", "a test", "committed", &id, &err),
      0);
  json_decref (config);
  assert_int_equal (berth_image_get (s, "committed", &img, &err), 0);
  assert_int_equal (img->n_layers, 2);
  assert_string_equal (json_string_value (json_array_get (
                           json_object_get (json_object_get (img->config, "config"), "Cmd"), 0)),
                       "/bin/true");
  assert_int_equal (json_array_size (json_object_get (img->config, "history")), 2);
  /* the new layer has overlay's whiteout forms again */
  dir = store_path (s, "layers/%s/diff", digest_hex (img->diff_ids[1]));
  free (p);
  p = join (dir, "f");
  assert_int_equal (lstat (p, &st), 0);
  assert_true (S_ISCHR (st.st_mode) && st.st_rdev == makedev (0, 0));
  free (p);
  p = join (dir, "d");
  assert_int_equal (getxattr (p, "trusted.overlay.opaque", v, sizeof (v)), 1);
  berth_image_free (img);
  berth_remove_tree (up, NULL);
  unlink (tar);
  unlink (tgz);
}

#define STORE_TEST(f) cmocka_unit_test_setup_teardown (f, make_store, remove_store)

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_digest_known_vector),
    STORE_TEST (test_blob_verified_on_write),
    cmocka_unit_test (test_name_normalisation),
    STORE_TEST (test_truncated_gzip_leaves_nothing),
    STORE_TEST (test_layer_diffid_mismatch_leaves_nothing),
    STORE_TEST (test_tag_resolve_remove),
    STORE_TEST (test_in_use_hook),
    STORE_TEST (test_commit_upper_dir),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
