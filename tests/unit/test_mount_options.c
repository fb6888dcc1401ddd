/* Unit tests of berth_mount_options_parse: flags set and cleared,
 * propagation, recursive attributes, data joining and rejected lists.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/mount.h>

#include "error.h"
#include "linux/rootfs/rootfs.h"

/* Parse a NULL-terminated list given inline.  */
#define PARSE(out, err, ...)                                                                       \
  berth_mount_options_parse ((char *const[]){ __VA_ARGS__, NULL }, (out), (err))

static void
test_empty (void **state)
{
  struct berth_mount_options o;
  berth_error_t err = NULL;

  assert_int_equal (berth_mount_options_parse (NULL, &o, &err), 0);
  assert_int_equal (o.flags, 0);
  assert_int_equal (o.clear_flags, 0);
  assert_int_equal (o.propagation, 0);
  assert_false (o.bind);
  assert_false (o.recursive);
  assert_false (o.tmpcopyup);
  assert_null (o.data);
  berth_mount_options_release (&o);

  assert_int_equal (berth_mount_options_parse ((char *const[]){ NULL }, &o, &err), 0);
  assert_int_equal (o.flags, 0);
  assert_null (o.data);

  /* Empty strings and "defaults" change nothing.  */
  assert_int_equal (PARSE (&o, &err, "", "defaults"), 0);
  assert_int_equal (o.flags, 0);
  assert_int_equal (o.clear_flags, 0);
  assert_null (o.data);
  assert_null (err);
}

static const struct
{
  const char *name;
  unsigned long flag;
} set_options[] = {
  { "ro", MS_RDONLY },
  { "nosuid", MS_NOSUID },
  { "nodev", MS_NODEV },
  { "noexec", MS_NOEXEC },
  { "sync", MS_SYNCHRONOUS },
  { "dirsync", MS_DIRSYNC },
  { "remount", MS_REMOUNT },
  { "mand", MS_MANDLOCK },
  { "noatime", MS_NOATIME },
  { "nodiratime", MS_NODIRATIME },
  { "relatime", MS_RELATIME },
  { "strictatime", MS_STRICTATIME },
  { "nosymfollow", MS_NOSYMFOLLOW },
  { "lazytime", MS_LAZYTIME },
  { "iversion", MS_I_VERSION },
  { "silent", MS_SILENT },
};

static void
test_each_set_option (void **state)
{
  for (size_t i = 0; i < sizeof (set_options) / sizeof (set_options[0]); i++)
    {
      struct berth_mount_options o;
      berth_error_t err = NULL;

      assert_int_equal (PARSE (&o, &err, (char *)set_options[i].name), 0);
      assert_int_equal (o.flags, set_options[i].flag);
      assert_int_equal (o.clear_flags & set_options[i].flag, 0);
      assert_int_equal (o.propagation, 0);
      assert_null (o.data);
      berth_mount_options_release (&o);
    }
}

static const struct
{
  const char *name;
  unsigned long flag;
} clear_options[] = {
  { "rw", MS_RDONLY },
  { "suid", MS_NOSUID },
  { "dev", MS_NODEV },
  { "exec", MS_NOEXEC },
  { "async", MS_SYNCHRONOUS },
  { "nomand", MS_MANDLOCK },
  { "atime", MS_NOATIME },
  { "diratime", MS_NODIRATIME },
  { "norelatime", MS_RELATIME },
  { "nostrictatime", MS_STRICTATIME },
  { "symfollow", MS_NOSYMFOLLOW },
  { "nolazytime", MS_LAZYTIME },
  { "noiversion", MS_I_VERSION },
  { "loud", MS_SILENT },
};

static void
test_each_clear_option (void **state)
{
  for (size_t i = 0; i < sizeof (clear_options) / sizeof (clear_options[0]); i++)
    {
      struct berth_mount_options o;
      berth_error_t err = NULL;

      assert_int_equal (PARSE (&o, &err, (char *)clear_options[i].name), 0);
      assert_int_equal (o.flags, 0);
      assert_int_equal (o.clear_flags, clear_options[i].flag);
      berth_mount_options_release (&o);
    }
}

/* Later options override earlier ones, as with mount(8).  */
static void
test_last_one_wins (void **state)
{
  struct berth_mount_options o;
  berth_error_t err = NULL;

  assert_int_equal (PARSE (&o, &err, "ro", "rw"), 0);
  assert_int_equal (o.flags & MS_RDONLY, 0);
  assert_int_equal (o.clear_flags, MS_RDONLY);

  assert_int_equal (PARSE (&o, &err, "rw", "nosuid", "ro", "suid"), 0);
  assert_int_equal (o.flags, MS_RDONLY);
  assert_int_equal (o.clear_flags, MS_NOSUID);

  assert_int_equal (PARSE (&o, &err, "noexec", "exec", "noexec"), 0);
  assert_int_equal (o.flags, MS_NOEXEC);
  assert_int_equal (o.clear_flags, 0);
}

/* The atime modes exclude each other: the last one is the mode.  */
static void
test_atime_modes (void **state)
{
  struct berth_mount_options o;
  berth_error_t err = NULL;

  assert_int_equal (PARSE (&o, &err, "noatime", "strictatime"), 0);
  assert_int_equal (o.flags, MS_STRICTATIME);
  assert_int_equal (o.clear_flags, MS_NOATIME | MS_RELATIME);

  assert_int_equal (PARSE (&o, &err, "strictatime", "relatime", "nodiratime"), 0);
  assert_int_equal (o.flags, MS_RELATIME | MS_NODIRATIME);
  assert_int_equal (o.clear_flags, MS_NOATIME | MS_STRICTATIME);
}

static void
test_bind (void **state)
{
  struct berth_mount_options o;
  berth_error_t err = NULL;

  assert_int_equal (PARSE (&o, &err, "bind"), 0);
  assert_true (o.bind);
  assert_false (o.recursive);
  assert_int_equal (o.flags, MS_BIND);

  assert_int_equal (PARSE (&o, &err, "rbind", "ro", "nosuid"), 0);
  assert_true (o.bind);
  assert_true (o.recursive);
  assert_int_equal (o.flags, MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID);
  assert_int_equal (o.propagation, 0);

  assert_int_equal (PARSE (&o, &err, "bind", "rbind"), 0);
  assert_true (o.recursive);
}

static const struct
{
  const char *name;
  unsigned long propagation;
} propagation_options[] = {
  { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
  { "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
  { "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
  { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

static void
test_propagation (void **state)
{
  for (size_t i = 0; i < sizeof (propagation_options) / sizeof (propagation_options[0]); i++)
    {
      struct berth_mount_options o;
      berth_error_t err = NULL;

      assert_int_equal (PARSE (&o, &err, "rbind", (char *)propagation_options[i].name), 0);
      assert_int_equal (o.propagation, propagation_options[i].propagation);
      /* Propagation is a separate mount call: never mixed into flags.  */
      assert_int_equal (o.flags, MS_BIND | MS_REC);
    }
}

static void
test_propagation_same_type_twice (void **state)
{
  struct berth_mount_options o;
  berth_error_t err = NULL;

  assert_int_equal (PARSE (&o, &err, "shared", "rshared"), 0);
  assert_int_equal (o.propagation, MS_SHARED | MS_REC);
  assert_null (err);
}

static void
test_conflicting_propagation (void **state)
{
  struct berth_mount_options o;
  berth_error_t err = NULL;

  assert_true (PARSE (&o, &err, "size=1k", "rprivate", "rshared") < 0);
  assert_non_null (err);
  assert_int_equal (err->status, EINVAL);
  assert_non_null (strstr (err->msg, "rshared"));
  assert_null (o.data); /* released on failure */
  berth_error_release (&err);

  assert_true (PARSE (&o, &err, "slave", "unbindable") < 0);
  assert_non_null (err);
  berth_error_release (&err);
}

static void
test_recursive_attributes (void **state)
{
  struct berth_mount_options o;
  berth_error_t err = NULL;

  assert_int_equal (PARSE (&o, &err, "rbind", "rro", "rnosuid", "rnodev", "rnoexec"), 0);
  assert_int_equal (o.rec_attr_set,
                    MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  assert_int_equal (o.rec_attr_clr, 0);
  /* They are not the non-recursive flags.  */
  assert_int_equal (o.flags, MS_BIND | MS_REC);

  assert_int_equal (PARSE (&o, &err, "rro", "rrw", "rsuid", "rdev", "rexec"), 0);
  assert_int_equal (o.rec_attr_set, 0);
  assert_int_equal (o.rec_attr_clr,
                    MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);

  assert_int_equal (PARSE (&o, &err, "rnosymfollow", "rnodiratime"), 0);
  assert_int_equal (o.rec_attr_set, MOUNT_ATTR_NOSYMFOLLOW | MOUNT_ATTR_NODIRATIME);
}

/* The kernel changes atime as a whole: clear carries the whole mask.  */
static void
test_recursive_atime (void **state)
{
  struct berth_mount_options o;
  berth_error_t err = NULL;

  assert_int_equal (PARSE (&o, &err, "rnoatime"), 0);
  assert_int_equal (o.rec_attr_set, MOUNT_ATTR_NOATIME);
  assert_int_equal (o.rec_attr_clr, MOUNT_ATTR__ATIME);

  assert_int_equal (PARSE (&o, &err, "rro", "rnoatime", "rstrictatime"), 0);
  assert_int_equal (o.rec_attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_STRICTATIME);
  assert_int_equal (o.rec_attr_clr, MOUNT_ATTR__ATIME);

  assert_int_equal (PARSE (&o, &err, "rnoatime", "rrelatime"), 0);
  assert_int_equal (o.rec_attr_set, MOUNT_ATTR_RELATIME);
  assert_int_equal (o.rec_attr_clr, MOUNT_ATTR__ATIME);
}

static void
test_data_joined_in_order (void **state)
{
  struct berth_mount_options o;
  berth_error_t err = NULL;

  assert_int_equal (PARSE (&o, &err, "nosuid", "strictatime", "mode=755", "size=65536k"), 0);
  assert_int_equal (o.flags, MS_NOSUID | MS_STRICTATIME);
  assert_string_equal (o.data, "mode=755,size=65536k");
  berth_mount_options_release (&o);

  assert_int_equal (
      PARSE (&o, &err, "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
      0);
  assert_int_equal (o.flags, MS_NOSUID | MS_NOEXEC);
  assert_string_equal (o.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  berth_mount_options_release (&o);

  assert_int_equal (PARSE (&o, &err, "lowerdir=/a:/b", "ro", "upperdir=/u,workdir=/w", "acl"), 0);
  assert_int_equal (o.flags, MS_RDONLY);
  assert_string_equal (o.data, "lowerdir=/a:/b,upperdir=/u,workdir=/w,acl");
  berth_mount_options_release (&o);
  berth_mount_options_release (&o); /* twice is fine */
  assert_null (o.data);
}

/* A known name with a value is not that option: it is data.  */
static void
test_known_name_with_value_is_data (void **state)
{
  struct berth_mount_options o;
  berth_error_t err = NULL;

  assert_int_equal (PARSE (&o, &err, "ro=1", "RO", "bind "), 0);
  assert_int_equal (o.flags, 0);
  assert_false (o.bind);
  assert_string_equal (o.data, "ro=1,RO,bind ");
  berth_mount_options_release (&o);
}

static void
test_tmpcopyup (void **state)
{
  struct berth_mount_options o;
  berth_error_t err = NULL;

  assert_int_equal (PARSE (&o, &err, "tmpcopyup", "mode=1777"), 0);
  assert_true (o.tmpcopyup);
  assert_string_equal (o.data, "mode=1777");
  assert_int_equal (o.flags, 0);
  berth_mount_options_release (&o);
}

static void
test_idmap_not_supported (void **state)
{
  const char *names[] = { "idmap", "ridmap" };

  for (size_t i = 0; i < 2; i++)
    {
      struct berth_mount_options o;
      berth_error_t err = NULL;

      assert_true (PARSE (&o, &err, "mode=755", "rbind", (char *)names[i]) < 0);
      assert_non_null (err);
      assert_int_equal (err->status, ENOTSUP);
      assert_non_null (strstr (err->msg, names[i]));
      assert_null (o.data);
      berth_error_release (&err);
    }
}

static void
test_release_null (void **state)
{
  berth_mount_options_release (NULL);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_empty),
    cmocka_unit_test (test_each_set_option),
    cmocka_unit_test (test_each_clear_option),
    cmocka_unit_test (test_last_one_wins),
    cmocka_unit_test (test_atime_modes),
    cmocka_unit_test (test_bind),
    cmocka_unit_test (test_propagation),
    cmocka_unit_test (test_propagation_same_type_twice),
    cmocka_unit_test (test_conflicting_propagation),
    cmocka_unit_test (test_recursive_attributes),
    cmocka_unit_test (test_recursive_atime),
    cmocka_unit_test (test_data_joined_in_order),
    cmocka_unit_test (test_known_name_with_value_is_data),
    cmocka_unit_test (test_tmpcopyup),
    cmocka_unit_test (test_idmap_not_supported),
    cmocka_unit_test (test_release_null),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
