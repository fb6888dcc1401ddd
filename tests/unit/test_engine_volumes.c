/* Tests for named volumes (engine/volumes.c) and the symlink-safe tree copy
 * (engine/copy_tree.c): names, records, anonymous volumes, removal and
 * prune with the engine's in-use callback, the resolver, and copy-up from an
 * image root, including an image whose symlinks point at the host's /.
 * Each test uses its own temporary root.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dirent.h>

#include "cleanup.h"
#include "engine/volumes.h"
#include "testutil.h"
#include "util.h"

struct fixture
{
  char *root;
  struct berth_volume_store *vols;
  const char *busy; /* the volume the fake engine says is in use */
};

static int
setup (void **state)
{
  cleanup_error berth_error_t err = NULL;
  struct fixture *f = calloc (1, sizeof (*f));

  f->root = strdup ("/tmp/berth-test-volumes-XXXXXX");
  if (mkdtemp (f->root) == NULL || berth_volume_store_open (f->root, &f->vols, &err) < 0)
    return -1;
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  cleanup_error berth_error_t err = NULL;
  struct fixture *f = *state;

  berth_volume_store_close (f->vols);
  berth_remove_tree (f->root, &err);
  free (f->root);
  free (f);
  return 0;
}

static bool
fake_in_use (const char *name, void *data)
{
  struct fixture *f = data;
  return f->busy && strcmp (name, f->busy) == 0;
}

static char *
path_in (struct fixture *f, const char *rel)
{
  char *p;
  assert_true (asprintf (&p, "%s/%s", f->root, rel) > 0);
  return p;
}

static bool
exists (struct fixture *f, const char *rel)
{
  cleanup_free char *p = path_in (f, rel);
  struct stat st;
  return lstat (p, &st) == 0;
}

static void
test_names (void **state)
{
  assert_true (berth_volume_valid_name ("data"));
  assert_true (berth_volume_valid_name ("a1"));
  assert_true (berth_volume_valid_name ("my_vol.2-x"));
  assert_false (berth_volume_valid_name ("a"));    /* two characters at least */
  assert_false (berth_volume_valid_name ("_abc")); /* starts alphanumeric */
  assert_false (berth_volume_valid_name (".."));
  assert_false (berth_volume_valid_name ("a/b"));
  assert_false (berth_volume_valid_name ("a b"));
  assert_false (berth_volume_valid_name (""));
  assert_false (berth_volume_valid_name (NULL));
}

static void
test_create_record (void **state)
{
  cleanup_error berth_error_t err = NULL;
  struct fixture *f = *state;
  struct berth_volume *v = NULL, *again = NULL;
  json_t *labels = json_pack ("{s:s}", "k", "v"), *j;
  cleanup_free char *text = NULL, *data = NULL, *rec = NULL;

  assert_int_equal (berth_volume_create (f->vols, "data", labels, &v, &err), 0);
  json_decref (labels);
  assert_string_equal (v->name, "data");
  assert_false (v->anonymous);
  assert_string_equal (json_string_value (json_object_get (v->labels, "k")), "v");
  data = path_in (f, "volumes/data/_data");
  assert_string_equal (v->mountpoint, data);
  assert_true (exists (f, "volumes/data/_data"));

  /* The record on disk has Docker's fields.  */
  rec = path_in (f, "volumes/data/volume.json");
  assert_int_equal (berth_read_file (rec, &text, NULL, &err), 0);
  j = json_loads (text, 0, NULL);
  assert_non_null (j);
  assert_string_equal (json_string_value (json_object_get (j, "Driver")), "local");
  assert_string_equal (json_string_value (json_object_get (j, "Mountpoint")), data);
  assert_non_null (json_string_value (json_object_get (j, "CreatedAt")));
  assert_true (json_is_object (json_object_get (j, "Options")));
  json_decref (j);

  /* Creating it again returns it as it is (Docker's create is idempotent).  */
  assert_int_equal (berth_volume_create (f->vols, "data", NULL, &again, &err), 0);
  assert_string_equal (again->created_at, v->created_at);
  assert_non_null (json_object_get (again->labels, "k"));

  /* No temporary is left beside it.  */
  assert_false (exists (f, "volumes/.tmp-data"));
  j = berth_volume_inspect_json (v);
  assert_string_equal (json_string_value (json_object_get (j, "Name")), "data");
  assert_string_equal (json_string_value (json_object_get (j, "Scope")), "local");
  json_decref (j);
  berth_volume_free (v);
  berth_volume_free (again);
}

static void
test_invalid_and_missing (void **state)
{
  cleanup_error berth_error_t err = NULL;
  struct fixture *f = *state;
  struct berth_volume *v = NULL;

  assert_true (berth_volume_create (f->vols, "../escape", NULL, &v, &err) < 0);
  assert_int_equal (err->status, EINVAL);
  assert_false (exists (f, "escape"));
  berth_error_release (&err);
  assert_true (berth_volume_get (f->vols, "nope", &v, &err) < 0);
  assert_int_equal (err->status, ENOENT);
  assert_string_equal (err->msg, "no such volume: nope");
  berth_error_release (&err);
  /* A name that is no volume name cannot reach a file beside the store.  */
  assert_true (berth_volume_get (f->vols, "..", &v, &err) < 0);
}

static void
test_anonymous (void **state)
{
  cleanup_error berth_error_t err = NULL;
  struct fixture *f = *state;
  struct berth_volume *v = NULL;

  assert_int_equal (berth_volume_create (f->vols, NULL, NULL, &v, &err), 0);
  assert_int_equal (strlen (v->name), 64);
  assert_int_equal (strspn (v->name, "0123456789abcdef"), 64);
  assert_true (v->anonymous);
  assert_non_null (json_object_get (v->labels, BERTH_VOLUME_ANONYMOUS_LABEL));
  berth_volume_free (v);
}

static void
test_remove_in_use (void **state)
{
  cleanup_error berth_error_t err = NULL;
  struct fixture *f = *state;

  berth_volume_store_set_in_use (f->vols, fake_in_use, f);
  assert_int_equal (berth_volume_create (f->vols, "busy", NULL, NULL, &err), 0);
  f->busy = "busy";
  /* Refused in use, with force too, as Docker refuses.  */
  assert_true (berth_volume_remove (f->vols, "busy", false, &err) < 0);
  assert_int_equal (err->status, EBUSY);
  assert_string_equal (err->msg, "remove busy: volume is in use");
  berth_error_release (&err);
  assert_true (berth_volume_remove (f->vols, "busy", true, &err) < 0);
  berth_error_release (&err);
  assert_true (exists (f, "volumes/busy/_data"));

  f->busy = NULL;
  assert_int_equal (berth_volume_remove (f->vols, "busy", false, &err), 0);
  assert_false (exists (f, "volumes/busy"));
  assert_false (exists (f, "volumes/.trash-busy"));
  /* Missing: an error, unless forced.  */
  assert_true (berth_volume_remove (f->vols, "busy", false, &err) < 0);
  assert_int_equal (err->status, ENOENT);
  berth_error_release (&err);
  assert_int_equal (berth_volume_remove (f->vols, "busy", true, &err), 0);
}

static void
test_prune (void **state)
{
  cleanup_error berth_error_t err = NULL;
  struct fixture *f = *state;
  struct berth_volume *a1 = NULL, *a2 = NULL, **list = NULL;
  char **removed = NULL;
  long long reclaimed = 0;
  size_t n = 0;

  berth_volume_store_set_in_use (f->vols, fake_in_use, f);
  assert_int_equal (berth_volume_create (f->vols, "named", NULL, NULL, &err), 0);
  assert_int_equal (berth_volume_create (f->vols, NULL, NULL, &a1, &err), 0);
  assert_int_equal (berth_volume_create (f->vols, NULL, NULL, &a2, &err), 0);
  {
    cleanup_free char *p = NULL;
    assert_true (asprintf (&p, "%s/f", a1->mountpoint) > 0);
    assert_int_equal (berth_write_file (p, "12345678", 8, 0644, &err), 0);
  }
  f->busy = a2->name;

  /* Default: the anonymous ones not in use.  */
  assert_int_equal (berth_volume_prune (f->vols, false, &removed, &reclaimed, &err), 0);
  assert_non_null (removed[0]);
  assert_string_equal (removed[0], a1->name);
  assert_null (removed[1]);
  assert_true (reclaimed > 0);
  for (size_t i = 0; removed[i]; i++)
    free (removed[i]);
  free (removed);

  /* --all: the named one too, never the one in use.  */
  assert_int_equal (berth_volume_prune (f->vols, true, &removed, &reclaimed, &err), 0);
  assert_non_null (removed[0]);
  assert_string_equal (removed[0], "named");
  assert_null (removed[1]);
  for (size_t i = 0; removed[i]; i++)
    free (removed[i]);
  free (removed);

  assert_int_equal (berth_volume_list (f->vols, &list, &n, &err), 0);
  assert_int_equal (n, 1);
  assert_string_equal (list[0]->name, a2->name);
  berth_volume_list_free (list, n);
  berth_volume_free (a1);
  berth_volume_free (a2);
}

static void
test_stale_temporaries_cleared (void **state)
{
  cleanup_error berth_error_t err = NULL;
  struct fixture *f = *state;
  struct berth_volume **list = NULL;
  cleanup_free char *tmp = path_in (f, "volumes/.tmp-half/_data");
  cleanup_free char *trash = path_in (f, "volumes/.trash-gone/_data");
  size_t n = 0;

  /* What a create or rm killed midway leaves: not listed, cleared by the
   * next create.  */
  assert_int_equal (berth_mkdir_p (tmp, 0700, &err), 0);
  assert_int_equal (berth_mkdir_p (trash, 0700, &err), 0);
  assert_int_equal (berth_volume_list (f->vols, &list, &n, &err), 0);
  assert_int_equal (n, 0);
  free (list);
  assert_int_equal (berth_volume_create (f->vols, "next", NULL, NULL, &err), 0);
  assert_false (exists (f, "volumes/.tmp-half"));
  assert_false (exists (f, "volumes/.trash-gone"));
}

static void
test_resolver (void **state)
{
  cleanup_error berth_error_t err = NULL;
  struct fixture *f = *state;
  cleanup_free char *p1 = NULL, *p2 = NULL, *anon = NULL, *name = NULL;
  berth_volume_resolver resolve = berth_volume_resolve;

  assert_int_equal (resolve ("auto", &p1, f->vols, &err), 0);
  assert_true (exists (f, "volumes/auto/_data"));
  assert_int_equal (resolve ("auto", &p2, f->vols, &err), 0);
  assert_string_equal (p1, p2);
  assert_int_equal (resolve (NULL, &anon, f->vols, &err), 0);
  name = berth_volume_name_of_path (f->vols, anon);
  assert_non_null (name);
  assert_int_equal (strlen (name), 64);
  assert_null (berth_volume_name_of_path (f->vols, "/etc"));
  assert_true (resolve ("bad/name", &p2, f->vols, &err) < 0);
}

/* An "image root": /data with a file (owner, mode, xattr), a subdirectory,
 * a relative symlink, a symlink to /, two hard links and an empty dir; and
 * /evil -> / (absolute) at the top.  */
static char *
make_image_root (struct fixture *f)
{
  cleanup_error berth_error_t err = NULL;
  char *r = path_in (f, "image");
  cleanup_free char *p = NULL;

  assert_true (asprintf (&p, "%s/data/sub/empty", r) > 0);
  assert_int_equal (berth_mkdir_p (p, 0755, &err), 0);
  free (p);
  assert_true (asprintf (&p, "%s/data/file", r) > 0);
  assert_int_equal (berth_write_file (p, "content", 7, 0640, &err), 0);
  assert_int_equal (chown (p, 1234, 5678), 0);
  assert_int_equal (chmod (p, 04750), 0);
  (void)setxattr (p, "user.berth", "x", 1, 0); /* not every fs has user xattrs */
  free (p);
  assert_true (asprintf (&p, "%s/data/sub/link1", r) > 0);
  assert_int_equal (berth_write_file (p, "hl", 2, 0644, &err), 0);
  {
    cleanup_free char *p2 = NULL;
    assert_true (asprintf (&p2, "%s/data/link2", r) > 0);
    assert_int_equal (link (p, p2), 0);
  }
  free (p);
  assert_true (asprintf (&p, "%s/data/rel", r) > 0);
  assert_int_equal (symlink ("file", p), 0);
  free (p);
  assert_true (asprintf (&p, "%s/data/root", r) > 0);
  assert_int_equal (symlink ("/", p), 0);
  free (p);
  assert_true (asprintf (&p, "%s/evil", r) > 0);
  assert_int_equal (symlink ("/", p), 0);
  free (p);
  assert_true (asprintf (&p, "%s/data", r) > 0);
  assert_int_equal (chown (p, 42, 43), 0);
  assert_int_equal (chmod (p, 0750), 0);
  return r;
}

static void
test_copy_up (void **state)
{
  REQUIRE_ROOT ();
  cleanup_error berth_error_t err = NULL;
  struct fixture *f = *state;
  cleanup_free char *img = make_image_root (f);
  cleanup_free char *vol = NULL, *p = NULL;
  struct stat st, st2;
  char buf[64];
  ssize_t n;

  assert_int_equal (berth_volume_resolve ("cu", &vol, f->vols, &err), 0);
  assert_int_equal (berth_volume_copy_up (f->vols, "cu", img, "/data", &err), 0);

  /* The directory's own owner and mode, the file's, its content and xattr. */
  assert_int_equal (stat (vol, &st), 0);
  assert_int_equal (st.st_uid, 42);
  assert_int_equal (st.st_gid, 43);
  assert_int_equal (st.st_mode & 07777, 0750);
  assert_true (asprintf (&p, "%s/file", vol) > 0);
  assert_int_equal (stat (p, &st), 0);
  assert_int_equal (st.st_uid, 1234);
  assert_int_equal (st.st_gid, 5678);
  assert_int_equal (st.st_mode & 07777, 04750); /* chown did not eat the setuid bit */
  n = getxattr (p, "user.berth", buf, sizeof (buf));
  if (n >= 0)
    assert_memory_equal (buf, "x", 1);
  free (p);
  /* Symlinks copied as symlinks, never followed.  */
  assert_true (asprintf (&p, "%s/rel", vol) > 0);
  n = readlink (p, buf, sizeof (buf));
  assert_int_equal (n, 4);
  assert_memory_equal (buf, "file", 4);
  free (p);
  assert_true (asprintf (&p, "%s/root", vol) > 0);
  assert_int_equal (lstat (p, &st), 0);
  assert_true (S_ISLNK (st.st_mode));
  free (p);
  /* Hard links stay linked; the empty directory is there.  */
  assert_true (asprintf (&p, "%s/sub/link1", vol) > 0);
  assert_int_equal (stat (p, &st), 0);
  free (p);
  assert_true (asprintf (&p, "%s/link2", vol) > 0);
  assert_int_equal (stat (p, &st2), 0);
  assert_int_equal (st.st_ino, st2.st_ino);
  free (p);
  assert_true (asprintf (&p, "%s/sub/empty", vol) > 0);
  assert_int_equal (stat (p, &st), 0);
  assert_true (S_ISDIR (st.st_mode));
  assert_false (exists (f, "volumes/cu/_copyup"));
}

static void
test_copy_up_only_empty (void **state)
{
  REQUIRE_ROOT ();
  cleanup_error berth_error_t err = NULL;
  struct fixture *f = *state;
  cleanup_free char *img = make_image_root (f);
  cleanup_free char *vol = NULL, *p = NULL;

  assert_int_equal (berth_volume_resolve ("full", &vol, f->vols, &err), 0);
  assert_true (asprintf (&p, "%s/mine", vol) > 0);
  assert_int_equal (berth_write_file (p, "m", 1, 0644, &err), 0);
  assert_int_equal (berth_volume_copy_up (f->vols, "full", img, "/data", &err), 0);
  assert_false (exists (f, "volumes/full/_data/file"));
  assert_true (exists (f, "volumes/full/_data/mine"));
  /* A path missing in the image, or a file: nothing, no error.  */
  free (vol);
  assert_int_equal (berth_volume_resolve ("none", &vol, f->vols, &err), 0);
  assert_int_equal (berth_volume_copy_up (f->vols, "none", img, "/nothing/here", &err), 0);
  assert_int_equal (berth_volume_copy_up (f->vols, "none", img, "/data/file", &err), 0);
  assert_false (exists (f, "volumes/none/_data/file"));
}

/* The image's /evil -> / must not lead copy-up to the host's /etc.  The
 * attack first works against the raw mechanism (the path joined to the root
 * and opened): it reaches the host's /etc/passwd.  */
static void
test_copy_up_symlink_escape (void **state)
{
  REQUIRE_ROOT ();
  cleanup_error berth_error_t err = NULL;
  struct fixture *f = *state;
  cleanup_free char *img = make_image_root (f);
  cleanup_free char *vol = NULL, *naive = NULL;
  struct berth_engine_mount m = { .type = BERTH_ENGINE_MOUNT_BIND };
  struct berth_run_mount rm = { .type = BERTH_RUN_MOUNT_VOLUME, .source = "evil" };
  struct berth_run_request req = { .mounts = &rm, .n_mounts = 1 };
  struct stat st;

  assert_true (asprintf (&naive, "%s/evil/etc/passwd", img) > 0);
  assert_int_equal (stat (naive, &st), 0); /* the naive join escapes */

  assert_int_equal (berth_volume_resolve ("evil", &vol, f->vols, &err), 0);
  m.source = vol;
  m.destination = "/evil/etc";
  assert_int_equal (berth_volume_copy_up_mounts (f->vols, &req, &m, 1, img, &err), 0);
  /* /evil/etc resolves to the image's own /etc, which does not exist.  */
  assert_false (exists (f, "volumes/evil/_data/passwd"));
  assert_false (exists (f, "volumes/evil/_data/hostname"));

  /* Through a ".." chain too.  */
  m.destination = "/data/../../../../etc";
  assert_int_equal (berth_volume_copy_up_mounts (f->vols, &req, &m, 1, img, &err), 0);
  assert_false (exists (f, "volumes/evil/_data/passwd"));

  /* And /evil/data is the image's /data: copied, its "root" symlink as a
   * symlink, nothing of the host's / below it.  */
  m.destination = "/evil/data";
  assert_int_equal (berth_volume_copy_up_mounts (f->vols, &req, &m, 1, img, &err), 0);
  assert_true (exists (f, "volumes/evil/_data/file"));
  {
    cleanup_free char *root_link = NULL;
    assert_true (asprintf (&root_link, "%s/root", vol) > 0);
    assert_int_equal (lstat (root_link, &st), 0);
    assert_true (S_ISLNK (st.st_mode));
  }

  /* nocopy, or a plain bind of the same directory: no copy-up.  */
  {
    cleanup_free char *v2 = NULL;
    assert_int_equal (berth_volume_resolve ("nocopy", &v2, f->vols, &err), 0);
    m.source = v2;
    rm.nocopy = true;
    assert_int_equal (berth_volume_copy_up_mounts (f->vols, &req, &m, 1, img, &err), 0);
    rm.nocopy = false;
    rm.type = BERTH_RUN_MOUNT_BIND;
    assert_int_equal (berth_volume_copy_up_mounts (f->vols, &req, &m, 1, img, &err), 0);
    assert_false (exists (f, "volumes/nocopy/_data/file"));
    rm.type = BERTH_RUN_MOUNT_VOLUME;
    assert_int_equal (berth_volume_copy_up_mounts (f->vols, &req, &m, 1, img, &err), 0);
    assert_true (exists (f, "volumes/nocopy/_data/file"));
  }
}

/* 20 processes create the same name and remove it at once: each create
 * succeeds or finds it, nothing is half-made, and no temporary is left.  */
static void
test_concurrent_create_remove (void **state)
{
  struct fixture *f = *state;
  struct berth_volume **list = NULL;
  cleanup_error berth_error_t err = NULL;
  size_t n = 0;
  pid_t pids[20];

  for (int i = 0; i < 20; i++)
    {
      pids[i] = fork ();
      assert_true (pids[i] >= 0);
      if (pids[i] == 0)
        {
          berth_error_t e = NULL;
          struct berth_volume_store *s = NULL;
          int r = berth_volume_store_open (f->root, &s, &e);
          if (r == 0)
            r = berth_volume_create (s, i % 2 ? "same" : NULL, NULL, NULL, &e);
          if (r == 0 && i % 5 == 0)
            r = berth_volume_remove (s, "same", true, &e);
          _exit (r == 0 ? 0 : 1);
        }
    }
  for (int i = 0; i < 20; i++)
    {
      int status;
      assert_int_equal (waitpid (pids[i], &status, 0), pids[i]);
      assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    }
  assert_int_equal (berth_volume_list (f->vols, &list, &n, &err), 0);
  /* the ten anonymous ones, and "same" unless a remove came last */
  assert_true (n == 10 || n == 11);
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *rel = NULL;
      assert_true (asprintf (&rel, "volumes/%s/_data", list[i]->name) > 0);
      assert_true (exists (f, rel));
    }
  berth_volume_list_free (list, n);
  {
    cleanup_free char *dir = path_in (f, "volumes");
    DIR *d = opendir (dir);
    struct dirent *de;
    assert_non_null (d);
    while ((de = readdir (d)) != NULL)
      assert_false (strncmp (de->d_name, ".tmp-", 5) == 0
                    || strncmp (de->d_name, ".trash-", 7) == 0);
    closedir (d);
  }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_names),
    cmocka_unit_test_setup_teardown (test_create_record, setup, teardown),
    cmocka_unit_test_setup_teardown (test_invalid_and_missing, setup, teardown),
    cmocka_unit_test_setup_teardown (test_anonymous, setup, teardown),
    cmocka_unit_test_setup_teardown (test_remove_in_use, setup, teardown),
    cmocka_unit_test_setup_teardown (test_prune, setup, teardown),
    cmocka_unit_test_setup_teardown (test_stale_temporaries_cleared, setup, teardown),
    cmocka_unit_test_setup_teardown (test_resolver, setup, teardown),
    cmocka_unit_test_setup_teardown (test_copy_up, setup, teardown),
    cmocka_unit_test_setup_teardown (test_copy_up_only_empty, setup, teardown),
    cmocka_unit_test_setup_teardown (test_copy_up_symlink_escape, setup, teardown),
    cmocka_unit_test_setup_teardown (test_concurrent_create_remove, setup, teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
