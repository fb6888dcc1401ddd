/* Owns the translation of an OCI mount's "options" list into mount(2)
 * arguments: MS_* flags to set and to clear, the propagation change made
 * by a separate mount call, recursive mount_setattr(2) attributes ("rro")
 * and the filesystem data string made of every option we do not know.
 *
 * Later options override earlier ones ("ro,rw" is read-write), as with
 * mount(8).  Two different propagation types in one list are rejected:
 * the kernel cannot apply them in a single call and their order would be
 * a guess.  */
#include "rootfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "cleanup.h"

enum option_kind
{
  OPT_SET,         /* set value in flags */
  OPT_CLEAR,       /* clear value from flags */
  OPT_ATIME,       /* one of the mutually exclusive atime modes */
  OPT_BIND,        /* MS_BIND, value MS_REC for "rbind" */
  OPT_PROPAGATION, /* value is MS_PRIVATE etc., maybe |MS_REC */
  OPT_REC_SET,     /* MOUNT_ATTR_* set recursively */
  OPT_REC_CLEAR,   /* MOUNT_ATTR_* cleared recursively */
  OPT_REC_ATIME,   /* recursive atime mode: value is the MOUNT_ATTR_* atime */
  OPT_TMPCOPYUP,
  OPT_IGNORE,
  OPT_UNSUPPORTED,
};

struct option_def
{
  const char *name;
  enum option_kind kind;
  unsigned long value;
};

#define ATIME_FLAGS (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)

static const struct option_def option_defs[] = {
  { "defaults", OPT_IGNORE, 0 },
  { "ro", OPT_SET, MS_RDONLY },
  { "rw", OPT_CLEAR, MS_RDONLY },
  { "nosuid", OPT_SET, MS_NOSUID },
  { "suid", OPT_CLEAR, MS_NOSUID },
  { "nodev", OPT_SET, MS_NODEV },
  { "dev", OPT_CLEAR, MS_NODEV },
  { "noexec", OPT_SET, MS_NOEXEC },
  { "exec", OPT_CLEAR, MS_NOEXEC },
  { "sync", OPT_SET, MS_SYNCHRONOUS },
  { "async", OPT_CLEAR, MS_SYNCHRONOUS },
  { "dirsync", OPT_SET, MS_DIRSYNC },
  { "remount", OPT_SET, MS_REMOUNT },
  { "mand", OPT_SET, MS_MANDLOCK },
  { "nomand", OPT_CLEAR, MS_MANDLOCK },
  { "noatime", OPT_ATIME, MS_NOATIME },
  { "atime", OPT_CLEAR, MS_NOATIME },
  { "relatime", OPT_ATIME, MS_RELATIME },
  { "norelatime", OPT_CLEAR, MS_RELATIME },
  { "strictatime", OPT_ATIME, MS_STRICTATIME },
  { "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
  { "nodiratime", OPT_SET, MS_NODIRATIME },
  { "diratime", OPT_CLEAR, MS_NODIRATIME },
  { "nosymfollow", OPT_SET, MS_NOSYMFOLLOW },
  { "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW },
  { "lazytime", OPT_SET, MS_LAZYTIME },
  { "nolazytime", OPT_CLEAR, MS_LAZYTIME },
  { "iversion", OPT_SET, MS_I_VERSION },
  { "noiversion", OPT_CLEAR, MS_I_VERSION },
  { "silent", OPT_SET, MS_SILENT },
  { "loud", OPT_CLEAR, MS_SILENT },
  { "bind", OPT_BIND, 0 },
  { "rbind", OPT_BIND, MS_REC },
  { "private", OPT_PROPAGATION, MS_PRIVATE },
  { "rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC },
  { "shared", OPT_PROPAGATION, MS_SHARED },
  { "rshared", OPT_PROPAGATION, MS_SHARED | MS_REC },
  { "slave", OPT_PROPAGATION, MS_SLAVE },
  { "rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC },
  { "unbindable", OPT_PROPAGATION, MS_UNBINDABLE },
  { "runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC },
  { "rro", OPT_REC_SET, MOUNT_ATTR_RDONLY },
  { "rrw", OPT_REC_CLEAR, MOUNT_ATTR_RDONLY },
  { "rnosuid", OPT_REC_SET, MOUNT_ATTR_NOSUID },
  { "rsuid", OPT_REC_CLEAR, MOUNT_ATTR_NOSUID },
  { "rnodev", OPT_REC_SET, MOUNT_ATTR_NODEV },
  { "rdev", OPT_REC_CLEAR, MOUNT_ATTR_NODEV },
  { "rnoexec", OPT_REC_SET, MOUNT_ATTR_NOEXEC },
  { "rexec", OPT_REC_CLEAR, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", OPT_REC_SET, MOUNT_ATTR_NODIRATIME },
  { "rdiratime", OPT_REC_CLEAR, MOUNT_ATTR_NODIRATIME },
  { "rnosymfollow", OPT_REC_SET, MOUNT_ATTR_NOSYMFOLLOW },
  { "rsymfollow", OPT_REC_CLEAR, MOUNT_ATTR_NOSYMFOLLOW },
  /* The kernel changes atime only as a whole mode; the "no" forms fall
     back to the default relatime, except rnorelatime which asks for
     the opposite of relatime.  */
  { "rrelatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "rnoatime", OPT_REC_ATIME, MOUNT_ATTR_NOATIME },
  { "rstrictatime", OPT_REC_ATIME, MOUNT_ATTR_STRICTATIME },
  { "ratime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "rnostrictatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "rnorelatime", OPT_REC_ATIME, MOUNT_ATTR_STRICTATIME },
  { "tmpcopyup", OPT_TMPCOPYUP, 0 },
  { "idmap", OPT_UNSUPPORTED, 0 },
  { "ridmap", OPT_UNSUPPORTED, 0 },
};

static const struct option_def *
find_option (const char *name)
{
  for (size_t i = 0; i < sizeof (option_defs) / sizeof (option_defs[0]); i++)
    if (strcmp (option_defs[i].name, name) == 0)
      return &option_defs[i];
  return NULL;
}

static int
append_data (char **data, const char *option, berth_error_t *err)
{
  char *joined = NULL;

  if (*data == NULL)
    joined = strdup (option);
  else if (asprintf (&joined, "%s,%s", *data, option) < 0)
    joined = NULL;
  if (joined == NULL)
    return berth_error (err, ENOMEM, "mount option `%s`", option);
  free (*data);
  *data = joined;
  return 0;
}

static int
set_propagation (struct berth_mount_options *o, const char *name, unsigned long value,
                 berth_error_t *err)
{
  unsigned long type = value & ~MS_REC;

  if (o->propagation != 0 && (o->propagation & ~MS_REC) != type)
    return berth_error (err, EINVAL, "mount option `%s`: conflicts with an earlier propagation",
                        name);
  o->propagation |= value;
  return 0;
}

static int
apply_option (struct berth_mount_options *o, const char *name, berth_error_t *err)
{
  const struct option_def *def = find_option (name);

  if (def == NULL)
    return append_data (&o->data, name, err);

  switch (def->kind)
    {
    case OPT_SET:
      o->flags |= def->value;
      o->clear_flags &= ~def->value;
      break;
    case OPT_CLEAR:
      o->flags &= ~def->value;
      o->clear_flags |= def->value;
      break;
    case OPT_ATIME:
      o->flags = (o->flags & ~ATIME_FLAGS) | def->value;
      o->clear_flags = (o->clear_flags | ATIME_FLAGS) & ~def->value;
      break;
    case OPT_BIND:
      o->bind = true;
      o->flags |= MS_BIND | def->value;
      if (def->value & MS_REC)
        o->recursive = true;
      break;
    case OPT_PROPAGATION:
      return set_propagation (o, name, def->value, err);
    case OPT_REC_SET:
      o->rec_attr_set |= def->value;
      o->rec_attr_clr &= ~def->value;
      break;
    case OPT_REC_CLEAR:
      o->rec_attr_clr |= def->value;
      o->rec_attr_set &= ~def->value;
      break;
    case OPT_REC_ATIME:
      o->rec_attr_set = (o->rec_attr_set & ~MOUNT_ATTR__ATIME) | def->value;
      o->rec_attr_clr |= MOUNT_ATTR__ATIME;
      break;
    case OPT_TMPCOPYUP:
      o->tmpcopyup = true;
      break;
    case OPT_IGNORE:
      break;
    case OPT_UNSUPPORTED:
      return berth_error (err, ENOTSUP, "mount option `%s`", name);
    }
  return 0;
}

int
berth_mount_options_parse (char *const *options, struct berth_mount_options *out,
                           berth_error_t *err)
{
  memset (out, 0, sizeof (*out));
  for (char *const *p = options; p && *p; p++)
    {
      if (**p == '\0')
        continue;
      if (apply_option (out, *p, err) < 0)
        {
          berth_mount_options_release (out);
          return berth_error_ret (err);
        }
    }
  return 0;
}

void
berth_mount_options_release (struct berth_mount_options *o)
{
  if (o == NULL)
    return;
  free (o->data);
  o->data = NULL;
}
