/* Compiled seccomp programs kept by key: see seccomp_cache.h for what the
 * key holds and when an entry is trusted.
 *
 * An entry (DIR/<hash as 16 hex digits>):
 *   struct entry_header, then the key (key_len bytes), then the program
 *   (n_insns struct sock_filter); checksum is FNV-1a over key and program.  */
#include "seccomp_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <seccomp.h>

#include "cleanup.h"
#include "oci/seccomp.h"
#include "util.h"

/* Bump when the way seccomp_filter.c builds a program changes.  */
#define CACHE_FORMAT "berth-seccomp-bpf-1"
#define ENTRY_MAGIC 0x6370636573687462ULL /* "bthsecpc" */
#define MAX_KEY_LEN (1u << 20)

struct entry_header
{
  uint64_t magic;
  uint32_t key_len;
  uint32_t n_insns;
  uint64_t checksum;
};

struct buf
{
  char *data;
  size_t len, cap;
  bool failed;
};

static void
buf_add (struct buf *b, const void *p, size_t n)
{
  if (b->failed)
    return;
  if (b->len + n > b->cap)
    {
      size_t cap = b->cap ? b->cap * 2 : 4096;
      char *d;
      while (cap < b->len + n)
        cap *= 2;
      d = realloc (b->data, cap);
      if (d == NULL)
        {
          b->failed = true;
          return;
        }
      b->data = d;
      b->cap = cap;
    }
  memcpy (b->data + b->len, p, n);
  b->len += n;
}

static void
buf_u64 (struct buf *b, uint64_t v)
{
  buf_add (b, &v, sizeof (v));
}

static void
buf_str (struct buf *b, const char *s)
{
  buf_add (b, s, strlen (s) + 1);
}

/* The key: everything the compiled program depends on.  Fixed-width
 * numbers and NUL-terminated strings, counts before lists, so that two
 * different profiles never serialize alike.  */
static void
make_key (const struct berth_seccomp *s, struct buf *b)
{
  const struct scmp_version *v = seccomp_version ();
  struct utsname u;

  buf_str (b, CACHE_FORMAT);
  buf_u64 (b, ((uint64_t)v->major << 32) | ((uint64_t)v->minor << 16) | v->micro);
  if (uname (&u) == 0)
    {
      buf_str (b, u.machine);
      buf_str (b, u.release);
      buf_str (b, u.version);
    }
  buf_u64 (b, s->default_action);
  buf_u64 (b, s->default_errno_ret);
  buf_u64 (b, s->flags);
  buf_u64 (b, s->n_architectures);
  for (size_t i = 0; i < s->n_architectures; i++)
    buf_u64 (b, s->architectures[i]);
  buf_u64 (b, s->n_syscalls);
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      const struct berth_seccomp_syscall *sc = &s->syscalls[i];
      buf_u64 (b, berth_strv_len (sc->names));
      for (char **n = sc->names; *n; n++)
        buf_str (b, *n);
      buf_u64 (b, sc->action);
      buf_u64 (b, sc->errno_ret);
      buf_u64 (b, sc->n_args);
      for (size_t j = 0; j < sc->n_args; j++)
        {
          buf_u64 (b, sc->args[j].index);
          buf_u64 (b, sc->args[j].value);
          buf_u64 (b, sc->args[j].value_two);
          buf_u64 (b, sc->args[j].op);
        }
    }
}

static uint64_t
fnv1a (uint64_t h, const void *p, size_t n)
{
  const unsigned char *c = p;
  for (size_t i = 0; i < n; i++)
    h = (h ^ c[i]) * 0x100000001b3ULL;
  return h;
}
#define FNV_BASIS 0xcbf29ce484222325ULL

/* Owned by us and writable by nobody else.  */
static bool
trusted (const struct stat *st)
{
  return st->st_uid == geteuid () && (st->st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

static int
open_dir (const char *dir, bool create)
{
  struct stat st;
  int fd;

  if (create && mkdir (dir, 0700) < 0 && errno != EEXIST)
    return -1;
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -1;
  if (fstat (fd, &st) < 0 || !trusted (&st))
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* The program for KEY from entry NAME, or NULL.  */
static struct sock_filter *
lookup (int dirfd, const char *name, const struct buf *key, unsigned *n_insns)
{
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  cleanup_free char *data = NULL;
  struct entry_header h;
  struct stat st;
  size_t prog_len;

  if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_nlink != 1 || !trusted (&st)
      || (size_t)st.st_size < sizeof (h) + key->len)
    return NULL;
  data = malloc ((size_t)st.st_size);
  if (data == NULL || pread (fd, data, (size_t)st.st_size, 0) != st.st_size)
    return NULL;
  memcpy (&h, data, sizeof (h));
  prog_len = (size_t)h.n_insns * sizeof (struct sock_filter);
  if (h.magic != ENTRY_MAGIC || h.key_len != key->len || h.n_insns == 0
      || (size_t)st.st_size != sizeof (h) + key->len + prog_len
      || memcmp (data + sizeof (h), key->data, key->len) != 0
      || fnv1a (FNV_BASIS, data + sizeof (h), key->len + prog_len) != h.checksum)
    return NULL;
  *n_insns = h.n_insns;
  memmove (data, data + sizeof (h) + key->len, prog_len);
  return (struct sock_filter *)steal_pointer (&data);
}

/* Best effort: a temporary file renamed over NAME.  */
static void
store (int dirfd, const char *name, const struct buf *key, const void *insns, unsigned n)
{
  size_t prog_len = (size_t)n * sizeof (struct sock_filter);
  struct entry_header h = { .magic = ENTRY_MAGIC, .key_len = (uint32_t)key->len, .n_insns = n };
  char tmp[64];
  int fd;

  h.checksum = fnv1a (fnv1a (FNV_BASIS, key->data, key->len), insns, prog_len);
  snprintf (tmp, sizeof (tmp), ".%s.%d.tmp", name, (int)getpid ());
  fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  if (berth_write_all (fd, &h, sizeof (h)) < 0 || berth_write_all (fd, key->data, key->len) < 0
      || berth_write_all (fd, insns, prog_len) < 0 || close (fd) < 0
      || renameat (dirfd, tmp, dirfd, name) < 0)
    unlinkat (dirfd, tmp, 0);
}

int
berth_seccomp_prepare_cached (const struct berth_seccomp *s, const char *dir,
                              struct berth_seccomp_filter **out, berth_error_t *err)
{
  struct buf key = { 0 };
  cleanup_close int dirfd = -1;
  cleanup_free struct sock_filter *prog = NULL;
  char name[17];
  unsigned n = 0;
  int r;

  if (dir == NULL)
    return berth_seccomp_prepare (s, out, err);
  make_key (s, &key);
  if (key.failed || key.len > MAX_KEY_LEN)
    {
      free (key.data);
      return berth_seccomp_prepare (s, out, err);
    }
  snprintf (name, sizeof (name), "%016llx",
            (unsigned long long)fnv1a (FNV_BASIS, key.data, key.len));
  dirfd = open_dir (dir, true);
  if (dirfd >= 0 && (prog = lookup (dirfd, name, &key, &n)) != NULL)
    {
      r = berth_seccomp_filter_from_program (s, prog, n, out, err);
      free (key.data);
      return r;
    }
  r = berth_seccomp_prepare (s, out, err);
  if (r == 0 && dirfd >= 0)
    store (dirfd, name, &key, berth_seccomp_filter_program (*out),
           berth_seccomp_filter_length (*out));
  free (key.data);
  return r;
}
