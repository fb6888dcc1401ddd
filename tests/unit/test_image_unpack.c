/* Unit tests of layer unpacking: whiteout conversion, metadata taken as the
 * archive says, and tarballs that try to write outside the layer.  Each
 * escape is first shown to work against the raw mechanism (libarchive's
 * archive_read_extract without its SECURE flags, from inside the layer
 * directory), then shown refused by berth's unpacker with nothing written
 * outside.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "image/internal.h"
#include "testutil.h"
#include "util.h"

struct ent
{
  const char *path;
  char type;       /* f file, d dir, l symlink, h hardlink, c char device */
  const char *arg; /* file data, link target */
  mode_t mode;
  unsigned uid, gid;
};

static char base[64]; /* per test: base/layer, base/outside */

static int
setup (void **state)
{
  strcpy (base, "/tmp/berth-unpack-test.XXXXXX");
  assert_non_null (mkdtemp (base));
  char p[128];
  snprintf (p, sizeof (p), "%s/layer", base);
  assert_int_equal (mkdir (p, 0755), 0);
  snprintf (p, sizeof (p), "%s/outside", base);
  assert_int_equal (mkdir (p, 0755), 0);
  snprintf (p, sizeof (p), "%s/outside/secret", base);
  assert_int_equal (berth_write_file (p, "secret\n", 7, 0644, NULL), 0);
  return 0;
}

static int
teardown (void **state)
{
  berth_remove_tree (base, NULL);
  return 0;
}

static char *
tpath (const char *rel)
{
  char *p;
  assert_true (asprintf (&p, "%s/%s", base, rel) > 0);
  return p;
}

static void
make_tar (const char *out, const struct ent *e, size_t n)
{
  struct archive *a = archive_write_new ();
  archive_write_set_format_pax_restricted (a);
  assert_int_equal (archive_write_open_filename (a, out), ARCHIVE_OK);
  for (size_t i = 0; i < n; i++)
    {
      struct archive_entry *x = archive_entry_new ();
      size_t len = e[i].type == 'f' && e[i].arg ? strlen (e[i].arg) : 0;
      archive_entry_set_pathname (x, e[i].path);
      archive_entry_set_uid (x, e[i].uid);
      archive_entry_set_gid (x, e[i].gid);
      archive_entry_set_mtime (x, 1000000000, 0);
      switch (e[i].type)
        {
        case 'f':
          archive_entry_set_filetype (x, AE_IFREG);
          archive_entry_set_size (x, len);
          break;
        case 'd':
          archive_entry_set_filetype (x, AE_IFDIR);
          break;
        case 'l':
          archive_entry_set_filetype (x, AE_IFLNK);
          archive_entry_set_symlink (x, e[i].arg);
          break;
        case 'h':
          archive_entry_set_filetype (x, AE_IFREG);
          archive_entry_set_hardlink (x, e[i].arg);
          break;
        case 'c':
          archive_entry_set_filetype (x, AE_IFCHR);
          archive_entry_set_rdev (x, makedev (1, 3));
          break;
        }
      archive_entry_set_perm (x, e[i].mode ? e[i].mode : (e[i].type == 'd' ? 0755 : 0644));
      assert_int_equal (archive_write_header (a, x), ARCHIVE_OK);
      if (len)
        assert_int_equal (archive_write_data (a, e[i].arg, len), (la_ssize_t)len);
      archive_entry_free (x);
    }
  assert_int_equal (archive_write_close (a), ARCHIVE_OK);
  archive_write_free (a);
}

/* berth's unpacker on the tarball, into base/layer.  */
static int
berth_unpack (const char *tar, berth_error_t *err)
{
  cleanup_free char *layer = tpath ("layer");
  cleanup_close int dfd = open (layer, O_RDONLY | O_DIRECTORY);
  cleanup_close int tfd = open (tar, O_RDONLY);
  assert_true (dfd >= 0 && tfd >= 0);
  return unpack_tar_fd (tfd, dfd, true, err);
}

/* The weakened setup: libarchive's plain extraction, no SECURE flags.  */
static void
raw_extract (const char *tar)
{
  cleanup_free char *layer = tpath ("layer");
  pid_t pid = fork ();
  int status;
  assert_true (pid >= 0);
  if (pid == 0)
    {
      struct archive *a = archive_read_new ();
      struct archive_entry *e;
      archive_read_support_format_tar (a);
      if (chdir (layer) < 0 || archive_read_open_filename (a, tar, 10240) != ARCHIVE_OK)
        _exit (1);
      while (archive_read_next_header (a, &e) == ARCHIVE_OK)
        archive_read_extract (a, e, 0);
      _exit (0);
    }
  assert_int_equal (waitpid (pid, &status, 0), pid);
}

static void
reset_layer (void)
{
  cleanup_free char *layer = tpath ("layer");
  berth_remove_tree (layer, NULL);
  assert_int_equal (mkdir (layer, 0755), 0);
}

static void
test_whiteouts (void **state)
{
  REQUIRE_ROOT ();
  static const struct ent e[] = {
    { "a/", 'd' },           { "a/keep", 'f', "k" }, { "a/.wh..wh..opq", 'f', "" },
    { ".wh.gone", 'f', "" }, { "b/", 'd' },          { "b/.wh.x", 'f', "" },
  };
  cleanup_free char *tar = tpath ("w.tar"), *gone = tpath ("layer/gone");
  cleanup_free char *x = tpath ("layer/b/x"), *a = tpath ("layer/a"),
                    *wh = tpath ("layer/.wh.gone");
  cleanup_free char *keep = tpath ("layer/a/keep"), *opq = tpath ("layer/a/.wh..wh..opq");
  cleanup_error berth_error_t err = NULL;
  struct stat st;
  char v[8] = "";

  make_tar (tar, e, sizeof (e) / sizeof (e[0]));
  assert_int_equal (berth_unpack (tar, &err), 0);
  assert_int_equal (lstat (gone, &st), 0);
  assert_true (S_ISCHR (st.st_mode) && st.st_rdev == makedev (0, 0));
  assert_int_equal (lstat (x, &st), 0);
  assert_true (S_ISCHR (st.st_mode) && st.st_rdev == makedev (0, 0));
  assert_int_equal (getxattr (a, "trusted.overlay.opaque", v, sizeof (v)), 1);
  assert_int_equal (v[0], 'y');
  assert_int_equal (access (keep, F_OK), 0);
  assert_int_equal (lstat (wh, &st), -1);
  assert_int_equal (lstat (opq, &st), -1);
}

static void
test_metadata_as_archive_says (void **state)
{
  REQUIRE_ROOT ();
  static const struct ent e[] = {
    { "dev/", 'd' },
    { "dev/null", 'c', NULL, 0666 },
    { "bin/", 'd' },
    { "bin/suid", 'f', "#!/bin/sh\n", 04755, 1000, 1001 },
    { "bin/link", 'l', "suid", 0777, 5, 6 },
    { "bin/hard", 'h', "bin/suid" },
    { "/etc/abs", 'f', "abs" },
  };
  cleanup_free char *tar = tpath ("m.tar"), *dev = tpath ("layer/dev/null");
  cleanup_free char *suid = tpath ("layer/bin/suid"), *lnk = tpath ("layer/bin/link");
  cleanup_free char *hard = tpath ("layer/bin/hard"), *abs = tpath ("layer/etc/abs");
  cleanup_error berth_error_t err = NULL;
  struct stat st, st2;

  make_tar (tar, e, sizeof (e) / sizeof (e[0]));
  assert_int_equal (berth_unpack (tar, &err), 0);
  assert_int_equal (lstat (dev, &st), 0);
  assert_true (S_ISCHR (st.st_mode) && st.st_rdev == makedev (1, 3));
  assert_int_equal (st.st_mode & 07777, 0666);
  assert_int_equal (lstat (suid, &st), 0);
  assert_int_equal (st.st_mode & 07777, 04755);
  assert_int_equal (st.st_uid, 1000);
  assert_int_equal (st.st_gid, 1001);
  assert_int_equal (st.st_mtime, 1000000000);
  assert_int_equal (lstat (lnk, &st2), 0);
  assert_true (S_ISLNK (st2.st_mode) && st2.st_uid == 5 && st2.st_gid == 6);
  assert_int_equal (lstat (hard, &st2), 0);
  assert_int_equal (st2.st_ino, st.st_ino);
  /* an absolute name lands in the layer, not on the host */
  assert_int_equal (access (abs, F_OK), 0);
  assert_int_equal (access ("/etc/abs", F_OK), -1);
}

struct escape
{
  const char *name;
  struct ent e[3];
  size_t n;
  const char *outside; /* relative to base (or absolute): must not appear */
  bool raw_demo;       /* the raw mechanism is shown to write it */
};

static bool
outside_written (const char *o)
{
  cleanup_free char *p = o[0] == '/' ? strdup (o) : tpath (o);
  struct stat st;
  if (strcmp (o, "outside/secret") == 0) /* linked from the layer */
    return stat (p, &st) == 0 && st.st_nlink > 1;
  return lstat (p, &st) == 0;
}

static void
test_escapes_refused (void **state)
{
  REQUIRE_ROOT ();
  char abs_outside[128], tmp_target[128], abs_secret[128];
  snprintf (abs_outside, sizeof (abs_outside), "%s/outside", base);
  snprintf (abs_secret, sizeof (abs_secret), "%s/outside/secret", base);
  snprintf (tmp_target, sizeof (tmp_target), "s%s/outside/through-root", base);
  char tmp_check[128];
  snprintf (tmp_check, sizeof (tmp_check), "%s/outside/through-root", base);
  const struct escape cases[] = {
    { "dotdot", { { "../x", 'f', "pwned" } }, 1, "x", true },
    { "abs-dotdot", { { "/abs/../../x", 'f', "pwned" } }, 1, "x", false },
    { "symlink-to-root", { { "s", 'l', "/" }, { tmp_target, 'f', "pwned" } }, 2, tmp_check, true },
    { "symlink-dir", { { "d", 'l', abs_outside }, { "d/f", 'f', "pwned" } }, 2, "outside/f", true },
    { "symlink-relative",
      { { "r", 'l', "../outside" }, { "r/g", 'f', "pwned" } },
      2,
      "outside/g",
      true },
    { "hardlink-outside", { { "h", 'h', abs_secret } }, 1, "outside/secret", true },
    { "hardlink-dotdot", { { "h", 'h', "../outside/secret" } }, 1, "outside/secret", false },
  };
  struct stat passwd_before, passwd_after;
  cleanup_free char *tar = tpath ("e.tar");

  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      cleanup_error berth_error_t err = NULL;
      const struct escape *c = &cases[i];
      make_tar (tar, c->e, c->n);
      if (c->raw_demo)
        {
          reset_layer ();
          raw_extract (tar);
          if (!outside_written (c->outside))
            fail_msg ("%s: the raw extraction did not escape: the test proves nothing", c->name);
          /* undo what the raw extraction did outside */
          cleanup_free char *o = c->outside[0] == '/' ? strdup (c->outside) : tpath (c->outside);
          if (strcmp (c->outside, "outside/secret") != 0)
            unlink (o);
        }
      reset_layer ();
      assert_false (outside_written (c->outside));
      if (berth_unpack (tar, &err) == 0)
        fail_msg ("%s: accepted", c->name);
      print_message ("# %s: %s\n", c->name, err->msg);
      if (outside_written (c->outside))
        fail_msg ("%s: wrote outside the layer", c->name);
    }

  /* a hardlink to the host's /etc/passwd: refused, /etc/passwd untouched */
  {
    const struct ent e[] = { { "p", 'h', "/etc/passwd" } };
    cleanup_error berth_error_t err = NULL;
    reset_layer ();
    make_tar (tar, e, 1);
    assert_int_equal (stat ("/etc/passwd", &passwd_before), 0);
    assert_true (berth_unpack (tar, &err) < 0);
    assert_int_equal (stat ("/etc/passwd", &passwd_after), 0);
    assert_int_equal (passwd_before.st_nlink, passwd_after.st_nlink);
    assert_int_equal (passwd_before.st_size, passwd_after.st_size);
  }
}

static void
test_truncated_tar_refused (void **state)
{
  static const struct ent e[] = { { "big", 'f', NULL } };
  cleanup_free char *tar = tpath ("t.tar");
  cleanup_error berth_error_t err = NULL;
  char data[20000];
  struct ent big = e[0];
  memset (data, 'x', sizeof (data) - 1);
  data[sizeof (data) - 1] = '\0';
  big.arg = data;
  make_tar (tar, &big, 1);
  assert_int_equal (truncate (tar, 8192), 0);
  assert_true (berth_unpack (tar, &err) < 0);
  assert_non_null (strstr (err->msg, "runcated"));
}

#define T(f) cmocka_unit_test_setup_teardown (f, setup, teardown)

int
main (void)
{
  const struct CMUnitTest tests[] = {
    T (test_whiteouts),
    T (test_metadata_as_archive_says),
    T (test_escapes_refused),
    T (test_truncated_tar_refused),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
