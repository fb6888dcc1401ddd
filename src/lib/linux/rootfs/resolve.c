/* Resolution of paths inside the rootfs, for every mount destination,
 * /dev node and masked or read-only path: berth_open_in_root treats a
 * directory fd as "/", so ".." stops there and every symlink (absolute or
 * relative, present in the image or swapped in concurrently) is resolved
 * inside it.  openat2(RESOLVE_IN_ROOT) answers in one call when the path
 * exists; otherwise a component-by-component walk over a stack of O_PATH
 * fds, the authority and the only way that creates what is missing.  Also
 * owns the "/proc/self/fd/N" names through which mount(2) and open(2)
 * reach exactly the inode such an fd holds.  */
#include "resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

#define MAX_SYMLINKS 40

const char *
berth_fd_path (int fd, char buf[BERTH_FD_PATH_SIZE])
{
  snprintf (buf, BERTH_FD_PATH_SIZE, "/proc/self/fd/%d", fd);
  return buf;
}

char *
berth_path_clean (const char *path)
{
  char *out = malloc (strlen (path) + 2);
  size_t o = 1;

  if (out == NULL)
    return NULL;
  out[0] = '/';
  while (*path)
    {
      const char *end;
      size_t n;

      while (*path == '/')
        path++;
      if (*path == '\0')
        break;
      end = strchrnul (path, '/');
      n = end - path;
      if (n == 2 && path[0] == '.' && path[1] == '.')
        {
          while (o > 1 && out[o - 1] != '/')
            o--;
          if (o > 1)
            o--;
        }
      else if (!(n == 1 && path[0] == '.'))
        {
          if (o > 1)
            out[o++] = '/';
          memcpy (out + o, path, n);
          o += n;
        }
      path = end;
    }
  out[o] = '\0';
  return out;
}

/* The directories walked so far; ".." pops one, so it never goes above the
   root and never depends on where a directory has been moved since.  */
struct fd_stack
{
  int *fds;
  size_t n;
  size_t cap;
};

static void
fd_stack_clear (struct fd_stack *s)
{
  while (s->n > 0)
    close (s->fds[--s->n]);
}

static void
fd_stack_release (struct fd_stack *s)
{
  fd_stack_clear (s);
  free (s->fds);
}

#define cleanup_fd_stack __attribute__ ((cleanup (fd_stack_release)))

static int
fd_stack_push (struct fd_stack *s, int fd)
{
  if (s->n == s->cap)
    {
      size_t cap = s->cap ? s->cap * 2 : 16;
      int *fds = realloc (s->fds, cap * sizeof (*fds));
      if (fds == NULL)
        {
          close (fd);
          return -ENOMEM;
        }
      s->fds = fds;
      s->cap = cap;
    }
  s->fds[s->n++] = fd;
  return 0;
}

static void
fd_stack_pop (struct fd_stack *s)
{
  if (s->n > 0)
    close (s->fds[--s->n]);
}

/* Open one component without following it, creating it when asked.  */
static int
open_component (int dirfd, const char *name, enum berth_create create)
{
  int fd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

  if (fd >= 0 || errno != ENOENT || create == BERTH_CREATE_NONE)
    return fd;
  if (create == BERTH_CREATE_FILE)
    {
      fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (fd < 0 && errno != EEXIST)
        return -1;
      if (fd >= 0)
        close (fd);
    }
  else if (mkdirat (dirfd, name, 0755) < 0 && errno != EEXIST)
    return -1;
  return openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
}

char *
berth_read_link_fd (int fd)
{
  char buf[PATH_MAX];
  ssize_t n = readlinkat (fd, "", buf, sizeof (buf) - 1);

  if (n < 0)
    return NULL;
  buf[n] = '\0';
  return strdup (buf);
}

/* Whether nothing but slashes is left.  */
static bool
is_last (const char *rest)
{
  return rest[strspn (rest, "/")] == '\0';
}

/* State of one walk: what is left to resolve, and where we are.  */
struct walk
{
  int rootfd;
  char *todo; /* owned buffer; cursor points into it */
  char *cursor;
  struct fd_stack stack;
  int links;
};

static void
walk_release (struct walk *w)
{
  free (w->todo);
  fd_stack_release (&w->stack);
}

#define cleanup_walk __attribute__ ((cleanup (walk_release)))

static int
walk_dirfd (const struct walk *w)
{
  return w->stack.n ? w->stack.fds[w->stack.n - 1] : w->rootfd;
}

/* Split off the next component; false when none is left.  */
static bool
walk_next (struct walk *w, char **name, char **rest)
{
  while (*w->cursor == '/')
    w->cursor++;
  if (*w->cursor == '\0')
    return false;
  *name = w->cursor;
  *rest = strchrnul (w->cursor, '/');
  if (**rest)
    *(*rest)++ = '\0';
  w->cursor = *rest;
  return true;
}

/* A symlink: go on with its target followed by what was left, from the
   root when the target is absolute.  Consumes FD.  */
static int
walk_follow (struct walk *w, int fd, const char *rest)
{
  cleanup_free char *target = berth_read_link_fd (fd);
  char *next = NULL;

  close (fd);
  if (target == NULL)
    return -errno;
  if (++w->links > MAX_SYMLINKS)
    return -ELOOP;
  if (target[0] == '/')
    fd_stack_clear (&w->stack);
  if (asprintf (&next, "%s/%s", target, rest) < 0)
    return -ENOMEM;
  free (w->todo);
  w->todo = w->cursor = next;
  return 0;
}

/* Resolve one component NAME (REST is what follows it).  */
static int
walk_step (struct walk *w, const char *name, const char *rest, enum berth_create create)
{
  enum berth_create mode = is_last (rest) ? create : create ? BERTH_CREATE_DIR : BERTH_CREATE_NONE;
  struct stat st;
  int fd;

  if (strcmp (name, ".") == 0)
    return 0;
  if (strcmp (name, "..") == 0)
    {
      fd_stack_pop (&w->stack);
      return 0;
    }
  fd = open_component (walk_dirfd (w), name, mode);
  if (fd < 0)
    return -errno;
  if (fstat (fd, &st) < 0)
    {
      int e = errno;
      close (fd);
      return -e;
    }
  if (S_ISLNK (st.st_mode))
    return walk_follow (w, fd, rest);
  if (!is_last (rest) && !S_ISDIR (st.st_mode))
    {
      close (fd);
      return -ENOTDIR;
    }
  return fd_stack_push (&w->stack, fd);
}

/* The component-by-component walk: the authority, and the only way that
   can create what is missing.  ".." pops the stack of directories walked,
   so it never goes above the root whatever is renamed meanwhile.  */
int
berth_walk_in_root (int rootfd, const char *path, enum berth_create create, berth_error_t *err)
{
  cleanup_walk struct walk w = { .rootfd = rootfd, .todo = strdup (path) };
  char *name, *rest;
  int r, fd;

  if (w.todo == NULL)
    return berth_error (err, ENOMEM, "resolve `%s`", path);
  w.cursor = w.todo;
  while (walk_next (&w, &name, &rest))
    {
      r = walk_step (&w, name, rest, create);
      if (r < 0)
        return berth_error (err, -r, "resolve `%s`", path);
    }
  if (w.stack.n > 0)
    return w.stack.fds[--w.stack.n];
  fd = openat (rootfd, ".", O_PATH | O_CLOEXEC);
  if (fd < 0)
    return berth_error (err, errno, "resolve `%s`", path);
  return fd;
}

/* openat2(RESOLVE_IN_ROOT) gives the same answer in one call when the path
   exists; any failure (old kernel, seccomp, missing path) goes to the walk,
   which is authoritative.  */
static int
openat2_in_root (int rootfd, const char *path)
{
#ifdef SYS_openat2
  struct open_how how = {
    .flags = O_PATH | O_CLOEXEC,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  return syscall (SYS_openat2, rootfd, path, &how, sizeof (how));
#else
  errno = ENOSYS;
  return -1;
#endif
}

int
berth_open_in_root (int rootfd, const char *path, enum berth_create create, berth_error_t *err)
{
  int fd = openat2_in_root (rootfd, path);

  if (fd >= 0)
    return fd;
  return berth_walk_in_root (rootfd, path, create, err);
}

int
berth_open_dir_of (int pathfd, const char *dest, berth_error_t *err)
{
  char path[BERTH_FD_PATH_SIZE];
  int fd = open (berth_fd_path (pathfd, path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    return berth_error (err, errno, "open `%s`", dest);
  return fd;
}
