/* Tests for the container record store (engine/store.c): IDs, names,
 * lookups, records, locks, the repair of what crashed commands leave, and
 * name reservation racing between processes.  Each test uses its own
 * temporary root.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "engine/store.h"
#include "util.h"

struct fixture
{
  char *root;
  struct berth_store *store;
};

static int
setup (void **state)
{
  cleanup_error berth_error_t err = NULL;
  struct fixture *f = calloc (1, sizeof (*f));

  f->root = strdup ("/tmp/berth-test-store-XXXXXX");
  if (mkdtemp (f->root) == NULL || berth_store_open (f->root, &f->store, &err) < 0)
    return -1;
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  cleanup_error berth_error_t err = NULL;
  struct fixture *f = *state;
  int r;

  berth_store_close (f->store);
  r = berth_remove_tree (f->root, &err);
  free (f->root);
  free (f);
  return r;
}

/* Create a container with a record; returns its ID in id.  */
static void
create_complete (struct berth_store *s, const char *name, char id[BERTH_ID_LEN + 1],
                 char **name_out)
{
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *got = NULL;
  json_t *rec;
  int lock = -1;

  if (berth_store_create (s, name, id, &got, &lock, &err) < 0)
    fail_msg ("create: %s", err->msg);
  rec = json_pack ("{s:s}", "Image", "img");
  if (berth_store_write_record (s, id, rec, &err) < 0)
    fail_msg ("write: %s", err->msg);
  json_decref (rec);
  close (lock);
  if (name_out)
    *name_out = steal_pointer (&got);
}

static void
expect_lookup_error (struct berth_store *s, const char *ref, const char *needle)
{
  cleanup_error berth_error_t err = NULL;
  char id[BERTH_ID_LEN + 1];

  if (berth_store_lookup (s, ref, id, &err) == 0)
    fail_msg ("lookup of \"%s\" succeeded (%s)", ref, id);
  if (strstr (err->msg, needle) == NULL)
    fail_msg ("error \"%s\" does not contain \"%s\"", err->msg, needle);
}

static void
test_create_lookup_record (void **state)
{
  struct fixture *f = *state;
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *name = NULL;
  char id[BERTH_ID_LEN + 1], found[BERTH_ID_LEN + 1], prefix[13];
  json_t *rec = NULL;
  int lock = -1;

  assert_int_equal (berth_store_create (f->store, "web", id, &name, &lock, &err), 0);
  assert_string_equal (name, "web");
  assert_int_equal (strlen (id), 64);
  for (int i = 0; i < 64; i++)
    assert_true (isxdigit ((unsigned char)id[i]) && !isupper ((unsigned char)id[i]));
  /* Before its record, a live create is found but has no record.  */
  assert_int_equal (berth_store_lookup (f->store, "web", found, &err), 0);
  assert_int_equal (berth_store_read_record (f->store, id, &rec, &err), -ENOENT);
  berth_error_release (&err);

  rec = json_pack ("{s:s, s:i}", "Image", "busybox", "Pid", 42);
  assert_int_equal (berth_store_write_record (f->store, id, rec, &err), 0);
  json_decref (rec);
  close (lock);
  assert_int_equal (berth_store_read_record (f->store, id, &rec, &err), 0);
  assert_string_equal (json_string_value (json_object_get (rec, "Image")), "busybox");
  assert_int_equal (json_integer_value (json_object_get (rec, "Pid")), 42);
  json_decref (rec);

  assert_int_equal (berth_store_lookup (f->store, id, found, &err), 0);
  assert_string_equal (found, id);
  assert_int_equal (berth_store_lookup (f->store, "web", found, &err), 0);
  assert_string_equal (found, id);
  memcpy (prefix, id, 12);
  prefix[12] = '\0';
  assert_int_equal (berth_store_lookup (f->store, prefix, found, &err), 0);
  assert_string_equal (found, id);
  expect_lookup_error (f->store, "nothere", "No such container: nothere");
  expect_lookup_error (f->store, "", "empty container name");
  {
    cleanup_free char *got = NULL;
    assert_int_equal (berth_store_get_name (f->store, id, &got, &err), 0);
    assert_string_equal (got, "web");
  }
}

static void
test_name_conflict_and_invalid (void **state)
{
  struct fixture *f = *state;
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *name2 = NULL;
  char id[BERTH_ID_LEN + 1], id2[BERTH_ID_LEN + 1];
  int lock = -1;

  create_complete (f->store, "db", id, NULL);
  assert_int_equal (berth_store_create (f->store, "db", id2, &name2, &lock, &err), -EEXIST);
  assert_non_null (strstr (err->msg, "the container name \"db\" is already in use by container"));
  assert_non_null (strstr (err->msg, id));
  berth_error_release (&err);
  assert_true (berth_store_create (f->store, "-bad", id2, &name2, &lock, &err) < 0);
  assert_non_null (strstr (err->msg, "invalid container name"));
  berth_error_release (&err);
  /* Nothing was left behind by the failed creates.  */
  {
    struct berth_store_entry *e = NULL;
    size_t n = 0;

    assert_int_equal (berth_store_list (f->store, &e, &n, &err), 0);
    assert_int_equal (n, 1);
    berth_store_entries_free (e, n);
  }
}

static void
test_generated_names (void **state)
{
  struct fixture *f = *state;
  cleanup_error berth_error_t err = NULL;
  struct berth_store_entry *e = NULL;
  size_t n = 0;

  for (int i = 0; i < 30; i++)
    {
      cleanup_free char *name = NULL;
      char id[BERTH_ID_LEN + 1];
      char *us;

      create_complete (f->store, NULL, id, &name);
      us = strchr (name, '_');
      assert_non_null (us);
      assert_true (us > name && us[1] != '\0');
      assert_true (berth_store_valid_name (name));
    }
  assert_int_equal (berth_store_list (f->store, &e, &n, &err), 0);
  assert_int_equal (n, 30);
  for (size_t i = 0; i < n; i++)
    {
      assert_true (e[i].complete);
      if (i > 0)
        assert_true (strcmp (e[i - 1].id, e[i].id) < 0);
      for (size_t j = 0; j < i; j++)
        assert_string_not_equal (e[i].name, e[j].name);
    }
  berth_store_entries_free (e, n);
}

static void
test_ambiguous_prefix (void **state)
{
  struct fixture *f = *state;
  char ids[17][BERTH_ID_LEN + 1];
  char prefix[2] = { 0 };

  /* 17 IDs over 16 first digits: two share one.  */
  for (int i = 0; i < 17; i++)
    create_complete (f->store, NULL, ids[i], NULL);
  for (int i = 0; i < 17 && !prefix[0]; i++)
    for (int j = 0; j < i; j++)
      if (ids[i][0] == ids[j][0])
        prefix[0] = ids[i][0];
  assert_true (prefix[0] != 0);
  expect_lookup_error (f->store, prefix, "multiple IDs found with prefix");
}

static void
test_remove_and_rename (void **state)
{
  struct fixture *f = *state;
  cleanup_error berth_error_t err = NULL;
  char a[BERTH_ID_LEN + 1], b[BERTH_ID_LEN + 1], found[BERTH_ID_LEN + 1];
  cleanup_free char *dir = NULL;

  create_complete (f->store, "alpha", a, NULL);
  create_complete (f->store, "beta", b, NULL);
  assert_int_equal (berth_store_rename (f->store, a, "gamma", &err), 0);
  expect_lookup_error (f->store, "alpha", "No such container");
  assert_int_equal (berth_store_lookup (f->store, "gamma", found, &err), 0);
  assert_string_equal (found, a);
  assert_int_equal (berth_store_rename (f->store, a, "beta", &err), -EEXIST);
  berth_error_release (&err);
  assert_true (berth_store_rename (f->store, a, "gamma", &err) < 0);
  assert_non_null (strstr (err->msg, "same name"));
  berth_error_release (&err);
  assert_true (berth_store_rename (f->store, a, "x", &err) < 0);
  berth_error_release (&err);
  /* The old name is free again.  */
  create_complete (f->store, "alpha", found, NULL);

  dir = berth_store_container_dir (f->store, b);
  assert_int_equal (berth_store_remove (f->store, b, &err), 0);
  assert_int_equal (access (dir, F_OK), -1);
  expect_lookup_error (f->store, "beta", "No such container");
  expect_lookup_error (f->store, b, "No such container");
  assert_int_equal (berth_store_remove (f->store, b, &err), -ENOENT);
  berth_error_release (&err);
  create_complete (f->store, "beta", b, NULL);
}

static void
test_locks (void **state)
{
  struct fixture *f = *state;
  cleanup_error berth_error_t err = NULL;
  char id[BERTH_ID_LEN + 1];
  int held, again;

  create_complete (f->store, "locked", id, NULL);
  held = berth_store_lock (f->store, id, false, &err);
  assert_true (held >= 0);
  again = berth_store_lock (f->store, id, true, &err);
  assert_int_equal (again, -EWOULDBLOCK);
  berth_error_release (&err);
  close (held);
  again = berth_store_lock (f->store, id, true, &err);
  assert_true (again >= 0);
  close (again);
  assert_true (berth_store_lock (f->store, "../../etc", true, &err) < 0);
}

/* A create killed before its record: the next command that meets it removes
 * it and frees its name.  A create still running is left alone.  */
static void
test_dead_create_repaired (void **state)
{
  struct fixture *f = *state;
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *name = NULL;
  char id[BERTH_ID_LEN + 1], live[BERTH_ID_LEN + 1], found[BERTH_ID_LEN + 1];
  struct berth_store_entry *e = NULL;
  size_t n = 0;
  int live_lock = -1;
  int status;
  pid_t pid = fork ();

  assert_true (pid >= 0);
  if (pid == 0)
    {
      char child_id[BERTH_ID_LEN + 1];
      char *child_name;
      int lock;
      berth_error_t child_err = NULL;

      /* The "crash": exit while holding the reservation, with no record.  */
      _exit (berth_store_create (f->store, "crashed", child_id, &child_name, &lock, &child_err)
             < 0);
    }
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);

  /* Still in progress: held by this process.  */
  assert_int_equal (berth_store_create (f->store, "creating", live, &name, &live_lock, &err), 0);

  expect_lookup_error (f->store, "crashed", "No such container");
  assert_int_equal (berth_store_list (f->store, &e, &n, &err), 0);
  assert_int_equal (n, 1);
  assert_string_equal (e[0].id, live);
  assert_false (e[0].complete);
  berth_store_entries_free (e, n);
  assert_int_equal (berth_store_lookup (f->store, "creating", found, &err), 0);

  /* The name of the dead create can be taken again.  */
  create_complete (f->store, "crashed", id, NULL);
  close (live_lock);
  /* Now the second one is dead too; repair removes it.  */
  assert_int_equal (berth_store_repair (f->store, &err), 0);
  expect_lookup_error (f->store, "creating", "No such container");
  assert_int_equal (berth_store_lookup (f->store, "crashed", found, &err), 0);
  assert_string_equal (found, id);
}

/* A rename cut short leaves a name link whose container has another name;
 * a half-removed container leaves a trash directory.  Neither counts, and
 * repair removes both.  */
static void
test_stale_links_and_trash (void **state)
{
  struct fixture *f = *state;
  cleanup_error berth_error_t err = NULL;
  cleanup_free char *link = NULL;
  cleanup_free char *trash = NULL;
  cleanup_free char *junk = NULL;
  char id[BERTH_ID_LEN + 1], other[BERTH_ID_LEN + 1];

  create_complete (f->store, "real", id, NULL);
  assert_true (asprintf (&link, "%s/names/ghost", f->root) > 0);
  assert_int_equal (symlink (id, link), 0);
  expect_lookup_error (f->store, "ghost", "No such container");
  assert_true (asprintf (&trash, "%s/containers/.trash-%s", f->root, id) > 0);
  assert_int_equal (mkdir (trash, 0700), 0);
  assert_true (asprintf (&junk, "%s/file", trash) > 0);
  assert_int_equal (berth_write_file (junk, "x", 1, 0600, &err), 0);

  /* The stale link does not block the name.  */
  create_complete (f->store, "ghost", other, NULL);
  assert_int_equal (berth_store_repair (f->store, &err), 0);
  assert_int_equal (access (trash, F_OK), -1);
  assert_int_equal (berth_store_lookup (f->store, "ghost", id, &err), 0);
  assert_string_equal (id, other);
}

/* Twenty processes reserve the same name at the same moment: exactly one
 * gets it, the others get the "in use" error, and the store holds one
 * container.  */
static void
test_concurrent_same_name (void **state)
{
  struct fixture *f = *state;
  cleanup_error berth_error_t err = NULL;
  struct berth_store_entry *e = NULL;
  size_t n = 0;
  pid_t pids[20];
  int go[2];
  int winners = 0, losers = 0;

  assert_int_equal (pipe (go), 0);
  for (int i = 0; i < 20; i++)
    {
      pids[i] = fork ();
      assert_true (pids[i] >= 0);
      if (pids[i] == 0)
        {
          char c, id[BERTH_ID_LEN + 1];
          char *name;
          int lock;
          berth_error_t child_err = NULL;
          struct berth_store *s;
          json_t *rec;

          close (go[1]);
          /* Each process opens the store itself, as separate commands do.  */
          if (berth_store_open (f->root, &s, &child_err) < 0 || read (go[0], &c, 1) != 0)
            _exit (3);
          if (berth_store_create (s, "race", id, &name, &lock, &child_err) < 0)
            _exit (child_err->status == EEXIST ? 1 : 2);
          rec = json_pack ("{s:i}", "Winner", (int)getpid ());
          _exit (berth_store_write_record (s, id, rec, &child_err) < 0 ? 2 : 0);
        }
    }
  close (go[0]);
  close (go[1]); /* everyone's read returns at once */
  for (int i = 0; i < 20; i++)
    {
      int status;

      assert_int_equal (waitpid (pids[i], &status, 0), pids[i]);
      assert_true (WIFEXITED (status));
      if (WEXITSTATUS (status) == 0)
        winners++;
      else if (WEXITSTATUS (status) == 1)
        losers++;
    }
  assert_int_equal (winners, 1);
  assert_int_equal (losers, 19);
  assert_int_equal (berth_store_list (f->store, &e, &n, &err), 0);
  assert_int_equal (n, 1);
  assert_string_equal (e[0].name, "race");
  assert_true (e[0].complete);
  berth_store_entries_free (e, n);
}

/* Twenty processes create unnamed containers at once: twenty containers,
 * twenty names, nothing lost.  */
static void
test_concurrent_generated (void **state)
{
  struct fixture *f = *state;
  cleanup_error berth_error_t err = NULL;
  struct berth_store_entry *e = NULL;
  size_t n = 0;
  pid_t pids[20];

  for (int i = 0; i < 20; i++)
    {
      pids[i] = fork ();
      assert_true (pids[i] >= 0);
      if (pids[i] == 0)
        {
          char id[BERTH_ID_LEN + 1];
          char *name;
          int lock;
          berth_error_t child_err = NULL;
          struct berth_store *s;
          json_t *rec = json_pack ("{}");

          if (berth_store_open (f->root, &s, &child_err) < 0
              || berth_store_create (s, NULL, id, &name, &lock, &child_err) < 0
              || berth_store_write_record (s, id, rec, &child_err) < 0)
            _exit (1);
          _exit (0);
        }
    }
  for (int i = 0; i < 20; i++)
    {
      int status;

      assert_int_equal (waitpid (pids[i], &status, 0), pids[i]);
      assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    }
  assert_int_equal (berth_store_list (f->store, &e, &n, &err), 0);
  assert_int_equal (n, 20);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < i; j++)
      assert_string_not_equal (e[i].name, e[j].name);
  berth_store_entries_free (e, n);
}

/* A worker that never stops: creates (named from a small pool, so names
 * collide, or generated), renames and removes, as concurrent commands do.  */
static void __attribute__ ((noreturn)) churn (const char *root, unsigned seed)
{
  berth_error_t err = NULL;
  struct berth_store *s;

  if (berth_store_open (root, &s, &err) < 0)
    _exit (3);
  for (;;)
    {
      char id[BERTH_ID_LEN + 1], name[8];
      char *got;
      int lock, op = rand_r (&seed) % 4;
      struct berth_store_entry *e = NULL;
      size_t n = 0;

      snprintf (name, sizeof (name), "w%u", rand_r (&seed) % 6);
      berth_error_release (&err);
      if (op <= 1)
        {
          if (berth_store_create (s, op ? name : NULL, id, &got, &lock, &err) == 0)
            {
              json_t *rec
                  = json_pack ("{s:s, s:s}", "Id", id, "Pad", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");

              berth_store_write_record (s, id, rec, &err);
              json_decref (rec);
              free (got);
              close (lock);
            }
          continue;
        }
      if (berth_store_list (s, &e, &n, &err) < 0 || n == 0)
        {
          berth_store_entries_free (e, n);
          continue;
        }
      memcpy (id, e[rand_r (&seed) % n].id, sizeof (id));
      berth_store_entries_free (e, n);
      if (op == 2)
        berth_store_rename (s, id, name, &err);
      else
        {
          lock = berth_store_lock (s, id, true, &err);
          if (lock >= 0)
            {
              berth_store_remove (s, id, &err);
              close (lock);
            }
        }
    }
}

/* Kill -9 busy workers at random moments, many times: after each round the
 * store is consistent (every container complete, found by its name and ID,
 * its record whole; no name without its container; no trash left).  */
static void
test_kill9_at_random_points (void **state)
{
  struct fixture *f = *state;
  unsigned seed = (unsigned)getpid ();

  for (int round = 0; round < 40; round++)
    {
      cleanup_error berth_error_t err = NULL;
      struct berth_store_entry *e = NULL;
      size_t n = 0, links = 0;
      pid_t pids[4];
      cleanup_dir DIR *dir = NULL;
      cleanup_free char *names_dir = NULL;
      cleanup_free char *containers_dir = NULL;
      struct dirent *de;

      for (int i = 0; i < 4; i++)
        {
          pids[i] = fork ();
          assert_true (pids[i] >= 0);
          if (pids[i] == 0)
            churn (f->root, seed + round * 4 + i);
        }
      usleep (2000 + rand_r (&seed) % 30000);
      for (int i = 0; i < 4; i++)
        kill (pids[i], SIGKILL);
      for (int i = 0; i < 4; i++)
        assert_int_equal (waitpid (pids[i], NULL, 0), pids[i]);

      assert_int_equal (berth_store_repair (f->store, &err), 0);
      assert_int_equal (berth_store_list (f->store, &e, &n, &err), 0);
      for (size_t i = 0; i < n; i++)
        {
          char found[BERTH_ID_LEN + 1];
          json_t *rec = NULL;

          if (!e[i].complete)
            fail_msg ("round %d: %s is incomplete with no creator alive", round, e[i].id);
          if (berth_store_lookup (f->store, e[i].name, found, &err) < 0)
            fail_msg ("round %d: name %s of %s: %s", round, e[i].name, e[i].id, err->msg);
          assert_string_equal (found, e[i].id);
          assert_int_equal (berth_store_lookup (f->store, e[i].id, found, &err), 0);
          if (berth_store_read_record (f->store, e[i].id, &rec, &err) < 0)
            fail_msg ("round %d: record of %s: %s", round, e[i].id, err->msg);
          assert_string_equal (json_string_value (json_object_get (rec, "Id")), e[i].id);
          json_decref (rec);
          for (size_t j = 0; j < i; j++)
            assert_string_not_equal (e[i].name, e[j].name);
        }
      /* One name link per container, nothing else; no trash, no temporaries.  */
      assert_true (asprintf (&names_dir, "%s/names", f->root) > 0);
      dir = opendir (names_dir);
      assert_non_null (dir);
      while ((de = readdir (dir)))
        if (de->d_name[0] != '.')
          links++;
      assert_int_equal (links, n);
      closedir (steal_pointer (&dir));
      assert_true (asprintf (&containers_dir, "%s/containers", f->root) > 0);
      dir = opendir (containers_dir);
      while ((de = readdir (dir)))
        {
          cleanup_free char *tmp = NULL;

          assert_true (strncmp (de->d_name, ".trash-", 7) != 0);
          if (de->d_name[0] == '.')
            continue;
          assert_true (asprintf (&tmp, "%s/%s/record.json.tmp", containers_dir, de->d_name) > 0);
          assert_int_equal (access (tmp, F_OK), -1);
        }
      berth_store_entries_free (e, n);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_create_lookup_record, setup, teardown),
    cmocka_unit_test_setup_teardown (test_name_conflict_and_invalid, setup, teardown),
    cmocka_unit_test_setup_teardown (test_generated_names, setup, teardown),
    cmocka_unit_test_setup_teardown (test_ambiguous_prefix, setup, teardown),
    cmocka_unit_test_setup_teardown (test_remove_and_rename, setup, teardown),
    cmocka_unit_test_setup_teardown (test_locks, setup, teardown),
    cmocka_unit_test_setup_teardown (test_dead_create_repaired, setup, teardown),
    cmocka_unit_test_setup_teardown (test_stale_links_and_trash, setup, teardown),
    cmocka_unit_test_setup_teardown (test_concurrent_same_name, setup, teardown),
    cmocka_unit_test_setup_teardown (test_concurrent_generated, setup, teardown),
    cmocka_unit_test_setup_teardown (test_kill9_at_random_points, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
