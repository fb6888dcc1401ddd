/* Owns the resolution of `-u` (or the image's User) to numbers, against the
 * image's own /etc/passwd and /etc/group.  Those files are opened inside the
 * rootfs with every symlink resolved there: an image whose /etc/passwd
 * links to the host's must not read the host's.  */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "engine/engine_error.h"
#include "engine/spec.h"
#include "linux/rootfs/resolve.h"
#include "util.h"

/* Read ROOTFS/PATH, resolved inside ROOTFS.  A file that cannot be opened
 * (missing, a symlink loop, not a regular file) reads as empty, as runc
 * takes it: numeric users need none, and names then fail to resolve.  */
static int
read_in_root (const char *rootfs, const char *path, char **out, berth_error_t *err)
{
  cleanup_close int rootfd = open (rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int pathfd = -1;
  cleanup_close int fd = -1;
  cleanup_error berth_error_t open_err = NULL;
  char fdpath[BERTH_FD_PATH_SIZE];
  struct stat st;

  *out = NULL;
  if (rootfd < 0)
    return berth_error (err, errno, "open the rootfs `%s`", rootfs);
  pathfd = berth_open_in_root (rootfd, path, BERTH_CREATE_NONE, &open_err);
  if (pathfd < 0)
    return 0;
  /* A FIFO or device would block or read the host: only regular files.  */
  if (fstat (pathfd, &st) < 0)
    return berth_error (err, errno, "stat `%s` in the image", path);
  if (!S_ISREG (st.st_mode))
    return 0;
  fd = open (berth_fd_path (pathfd, fdpath), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return berth_error (err, errno, "open `%s` in the image", path);
  if (berth_read_fd (fd, out, NULL, err) < 0)
    return berth_error_wrap (err, "read `%s` in the image", path);
  return 0;
}

static bool
parse_id (const char *s, unsigned long *out)
{
  char *end;

  if (!isdigit ((unsigned char)*s))
    return false;
  errno = 0;
  *out = strtoul (s, &end, 10);
  return errno == 0 && *end == '\0' && *out <= 0xfffffffeUL;
}

/* Split one line of a colon-separated database into at most N fields (in
 * place); returns how many it found.  */
static size_t
split_fields (char *line, char **fields, size_t n)
{
  size_t i = 0;

  while (i < n)
    {
      fields[i++] = line;
      line = strchr (line, ':');
      if (line == NULL)
        break;
      *line++ = '\0';
    }
  return i;
}

struct passwd_match
{
  bool found;
  unsigned long uid;
  unsigned long gid;
  char *name;
  char *home;
};

/* Find the user by name, or by uid when BY_UID.  */
static int
find_passwd (char *text, const char *name, bool by_uid, unsigned long uid, struct passwd_match *m)
{
  char *save = NULL;

  for (char *line = text ? strtok_r (text, "\n", &save) : NULL; line;
       line = strtok_r (NULL, "\n", &save))
    {
      char *f[7] = { NULL };
      unsigned long u, g;

      if (line[0] == '#' || line[0] == '+' || line[0] == '-')
        continue;
      if (split_fields (line, f, 7) < 4 || !parse_id (f[2], &u) || !parse_id (f[3], &g))
        continue;
      if (by_uid ? u != uid : strcmp (f[0], name) != 0)
        continue;
      m->found = true;
      m->uid = u;
      m->gid = g;
      m->name = strdup (f[0]);
      m->home = strdup (f[5] && *f[5] ? f[5] : "/");
      if (m->name == NULL || m->home == NULL)
        return -ENOMEM;
      return 0;
    }
  return 0;
}

/* Resolve the group GROUP (name or number) to *gid; when GROUP is NULL,
 * collect the groups listing USER as a member instead.  */
static int
scan_groups (char *text, const char *group, const char *user, struct berth_engine_user *out,
             bool *found)
{
  char *save = NULL;

  *found = false;
  for (char *line = text ? strtok_r (text, "\n", &save) : NULL; line;
       line = strtok_r (NULL, "\n", &save))
    {
      char *f[4] = { NULL };
      unsigned long g;

      if (line[0] == '#' || line[0] == '+' || line[0] == '-')
        continue;
      if (split_fields (line, f, 4) < 3 || !parse_id (f[2], &g))
        continue;
      if (group)
        {
          if (strcmp (f[0], group) == 0)
            {
              out->gid = g;
              *found = true;
              return 0;
            }
          continue;
        }
      if (user == NULL || f[3] == NULL)
        continue;
      for (char *s2 = NULL, *member = strtok_r (f[3], ",", &s2); member;
           member = strtok_r (NULL, ",", &s2))
        if (strcmp (member, user) == 0)
          {
            gid_t *grown
                = realloc (out->additional_gids, (out->n_additional_gids + 1) * sizeof (gid_t));

            if (grown == NULL)
              return -ENOMEM;
            out->additional_gids = grown;
            grown[out->n_additional_gids++] = g;
            break;
          }
    }
  return 0;
}

void
berth_engine_user_release (struct berth_engine_user *user)
{
  free (user->additional_gids);
  free (user->home);
  memset (user, 0, sizeof (*user));
}

int
berth_engine_resolve_user (const char *rootfs, const char *spec, struct berth_engine_user *out,
                           berth_error_t *err)
{
  cleanup_free char *copy = strdup (spec ? spec : "");
  cleanup_free char *passwd = NULL;
  cleanup_free char *group = NULL;
  struct passwd_match m = { 0 };
  char *user_part, *group_part;
  unsigned long id = 0;
  bool numeric_user;
  int r;

  memset (out, 0, sizeof (*out));
  if (copy == NULL)
    return berth_error (err, ENOMEM, "resolve the user");
  user_part = copy;
  group_part = strchr (copy, ':');
  if (group_part)
    *group_part++ = '\0';
  if (*user_part == '\0')
    user_part = (char *)"0";
  if (group_part && *group_part == '\0')
    return berth_engine_error (err, EINVAL, "invalid user \"%s\": empty group", spec);
  if (read_in_root (rootfs, "/etc/passwd", &passwd, err) < 0)
    return berth_error_ret (err);
  numeric_user = parse_id (user_part, &id);
  r = find_passwd (passwd, user_part, numeric_user, numeric_user ? id : 0, &m);
  if (r < 0)
    goto oom;
  if (!m.found && !numeric_user)
    return berth_engine_error (
        err, ENOENT, "unable to find user %s: no matching entries in passwd file", user_part);
  out->uid = numeric_user ? (uid_t)id : (uid_t)m.uid;
  out->gid = m.found ? (gid_t)m.gid : 0;
  out->home = m.found ? steal_pointer (&m.home) : strdup ("/");
  if (out->home == NULL)
    goto oom;
  if (group_part && parse_id (group_part, &id))
    out->gid = (gid_t)id;
  else
    {
      bool found;

      if (read_in_root (rootfs, "/etc/group", &group, err) < 0)
        goto fail;
      /* An explicit group replaces the primary one and adds none; without
       * one, the user's memberships are its supplementary groups.  */
      r = scan_groups (group, group_part, m.found ? m.name : NULL, out, &found);
      if (r < 0)
        goto oom;
      if (group_part && !found)
        {
          berth_engine_error (err, ENOENT,
                              "unable to find group %s: no matching entries in group file",
                              group_part);
          goto fail;
        }
    }
  free (m.name);
  free (m.home);
  return 0;

oom:
  berth_error (err, ENOMEM, "resolve the user");
fail:
  free (m.name);
  free (m.home);
  berth_engine_user_release (out);
  return berth_error_ret (err);
}
