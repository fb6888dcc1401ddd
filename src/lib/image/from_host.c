/* berth image from-host: the walkthrough's root filesystem, made right.
 * Host programs plus exactly the shared objects they need (elf_deps.c), at
 * their host paths with the symlinks on the way (merged /usr: /bin ->
 * usr/bin), a minimal /etc and /bin/sh, written as one layer tar with
 * libarchive and stored like any other layer.  */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"
#include "util.h"

/* No environment is read: the search path is fixed.  */
static const char *const search_path[]
    = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin", NULL };

static const char *const default_programs[] = {
  "sh",     "ls",    "cat",   "echo",     "ps",       "mkdir",    "rm",     "rmdir",  "cp",
  "mv",     "ln",    "sleep", "env",      "id",       "hostname", "grep",   "sed",    "head",
  "tail",   "wc",    "sort",  "uniq",     "tr",       "cut",      "touch",  "chmod",  "chown",
  "find",   "xargs", "date",  "uname",    "true",     "false",    "test",   "kill",   "pwd",
  "df",     "du",    "stat",  "readlink", "basename", "dirname",  "tee",    "printf", "mount",
  "umount", "which", "awk",   "free",     "top",      "pgrep",    "whoami", NULL,
};

static const struct
{
  const char *path, *text;
  mode_t mode;
} etc_files[] = {
  { "etc/passwd",
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
    0644 },
  { "etc/group", "root:x:0:\nnogroup:x:65534:\n", 0644 },
  { "etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n", 0644 },
  { "etc/nsswitch.conf",
    "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\n"
    "protocols: files\nservices: files\n",
    0644 },
  { "etc/resolv.conf", "", 0644 }, /* the engine puts the real one here */
  { "etc/hostname", "localhost\n", 0644 },
};

static const struct
{
  const char *path;
  mode_t mode;
} base_dirs[] = { { "dev", 0755 },      { "proc", 0555 }, { "sys", 0555 }, { "tmp", 01777 },
                  { "root", 0700 },     { "etc", 0755 },  { "run", 0755 }, { "var", 0755 },
                  { "var/tmp", 01777 }, { "home", 0755 } };

struct builder
{
  struct archive *a;
  json_t *added; /* image paths already in the tar */
};

static int
add_entry (struct builder *b, const char *path, const struct stat *st, const char *link_target,
           int data_fd, const char *text, berth_error_t *err)
{
  struct archive_entry *e;
  int r;

  if (json_object_get (b->added, path))
    return 0;
  json_object_set_new (b->added, path, json_true ());
  e = archive_entry_new ();
  if (e == NULL)
    return berth_error (err, ENOMEM, "from-host");
  archive_entry_copy_stat (e, st);
  archive_entry_set_pathname (e, path);
  archive_entry_set_nlink (e, 1);
  if (link_target)
    archive_entry_set_symlink (e, link_target);
  if (!S_ISREG (st->st_mode))
    archive_entry_set_size (e, 0);
  r = archive_write_header (b->a, e);
  archive_entry_free (e);
  if (r != ARCHIVE_OK)
    return berth_error (err, 0, "from-host: `%s`: %s", path, archive_error_string (b->a));
  if (text && archive_write_data (b->a, text, strlen (text)) < 0)
    return berth_error (err, 0, "from-host: `%s`: %s", path, archive_error_string (b->a));
  if (data_fd >= 0)
    {
      char buf[1 << 16];
      ssize_t n;
      while ((n = read (data_fd, buf, sizeof (buf))) > 0)
        if (archive_write_data (b->a, buf, n) != n)
          return berth_error (err, 0, "from-host: `%s`: %s", path, archive_error_string (b->a));
      if (n < 0)
        return berth_error (err, errno, "from-host: read `%s`", path);
    }
  return 0;
}

static int
add_text (struct builder *b, const char *path, const char *text, mode_t mode, berth_error_t *err)
{
  struct stat st = { .st_mode = S_IFREG | mode, .st_size = strlen (text), .st_mtime = time (NULL) };
  return add_entry (b, path, &st, NULL, -1, text, err);
}

static int
add_dir (struct builder *b, const char *path, mode_t mode, berth_error_t *err)
{
  struct stat st = { .st_mode = S_IFDIR | mode, .st_mtime = time (NULL) };
  return add_entry (b, path, &st, NULL, -1, NULL, err);
}

/* Copy host path into the image at the same place, with every symlink met
 * on the way (as a symlink) and what it points to.  */
static int
add_host_path (struct builder *b, const char *host_path, berth_error_t *err)
{
  char resolved[PATH_MAX] = "", pending[PATH_MAX * 2];
  int links = 0;

  if (snprintf (pending, sizeof (pending), "%s", host_path) >= (int)sizeof (pending))
    return berth_error (err, ENAMETOOLONG, "`%s`", host_path);
  while (pending[0])
    {
      char comp[NAME_MAX + 1], cand[PATH_MAX];
      char *p = pending, *slash;
      struct stat st;
      size_t n;

      while (*p == '/')
        p++;
      slash = strchr (p, '/');
      n = slash ? (size_t)(slash - p) : strlen (p);
      if (n == 0)
        break;
      if (n > NAME_MAX)
        return berth_error (err, ENAMETOOLONG, "`%s`", host_path);
      memcpy (comp, p, n);
      comp[n] = '\0';
      memmove (pending, p + n, strlen (p + n) + 1);
      if (strcmp (comp, ".") == 0)
        continue;
      if (strcmp (comp, "..") == 0)
        {
          char *last = strrchr (resolved, '/');
          if (last)
            *last = '\0';
          continue;
        }
      if (snprintf (cand, sizeof (cand), "%s/%s", resolved, comp) >= (int)sizeof (cand))
        return berth_error (err, ENAMETOOLONG, "`%s`", host_path);
      if (lstat (cand, &st) < 0)
        return berth_error (err, errno, "`%s`", cand);
      if (S_ISLNK (st.st_mode))
        {
          char target[PATH_MAX], rest[PATH_MAX * 4];
          ssize_t len = readlink (cand, target, sizeof (target) - 1);
          if (len < 0)
            return berth_error (err, errno, "readlink `%s`", cand);
          target[len] = '\0';
          if (++links > 40)
            return berth_error (err, ELOOP, "`%s`", host_path);
          if (add_entry (b, cand + 1, &st, target, -1, NULL, err) < 0)
            return -1;
          if (target[0] == '/')
            resolved[0] = '\0';
          if (snprintf (rest, sizeof (rest), "%s/%s", target, pending) >= (int)sizeof (rest)
              || strlen (rest) >= sizeof (pending))
            return berth_error (err, ENAMETOOLONG, "`%s`", host_path);
          strcpy (pending, rest);
          continue;
        }
      if (S_ISDIR (st.st_mode))
        {
          if (add_entry (b, cand + 1, &st, NULL, -1, NULL, err) < 0)
            return -1;
        }
      else if (S_ISREG (st.st_mode))
        {
          cleanup_close int fd = open (cand, O_RDONLY | O_CLOEXEC);
          if (fd < 0)
            return berth_error (err, errno, "open `%s`", cand);
          if (add_entry (b, cand + 1, &st, NULL, fd, NULL, err) < 0)
            return -1;
        }
      strcpy (resolved, cand);
    }
  return 0;
}

static char *
find_program (const char *name)
{
  if (strchr (name, '/'))
    return access (name, X_OK) == 0 ? strdup (name) : NULL;
  for (int i = 0; search_path[i]; i++)
    {
      char *p;
      if (asprintf (&p, "%s/%s", search_path[i], name) < 0)
        return NULL;
      if (access (p, X_OK) == 0)
        return p;
      free (p);
    }
  return NULL;
}

static int
add_program (struct builder *b, const char *name, bool required, berth_error_t *err)
{
  cleanup_free char *path = find_program (name);
  cleanup_strv char **closure = NULL;

  if (path == NULL)
    return required ? berth_error (err, ENOENT, "program `%s` not found on the host", name) : 0;
  if (berth_image_elf_closure (path, &closure, err) < 0)
    return -1;
  for (size_t i = 0; closure[i]; i++)
    if (add_host_path (b, closure[i], err) < 0)
      return -1;
  return 0;
}

static int
write_rootfs (int fd, char *const *programs, berth_error_t *err)
{
  struct builder b = { .a = archive_write_new (), .added = json_object () };
  bool given = programs && programs[0];
  int ret = -1;

  if (b.a == NULL || b.added == NULL)
    {
      berth_error (err, ENOMEM, "from-host");
      goto out;
    }
  archive_write_set_format_pax_restricted (b.a);
  if (archive_write_open_fd (b.a, fd) != ARCHIVE_OK)
    {
      berth_error (err, 0, "from-host: %s", archive_error_string (b.a));
      goto out;
    }
  for (size_t i = 0; i < sizeof (base_dirs) / sizeof (base_dirs[0]); i++)
    if (add_dir (&b, base_dirs[i].path, base_dirs[i].mode, err) < 0)
      goto out;
  for (size_t i = 0; i < sizeof (etc_files) / sizeof (etc_files[0]); i++)
    if (add_text (&b, etc_files[i].path, etc_files[i].text, etc_files[i].mode, err) < 0)
      goto out;
  /* /bin/sh always: the image's default command.  */
  if (add_program (&b, "/bin/sh", true, err) < 0)
    goto out;
  for (size_t i = 0; given && programs[i]; i++)
    if (add_program (&b, programs[i], true, err) < 0)
      goto out;
  for (size_t i = 0; !given && default_programs[i]; i++)
    if (add_program (&b, default_programs[i], false, err) < 0)
      goto out;
  if (archive_write_close (b.a) != ARCHIVE_OK)
    {
      berth_error (err, 0, "from-host: %s", archive_error_string (b.a));
      goto out;
    }
  ret = 0;
out:
  if (b.a)
    archive_write_free (b.a);
  json_decref (b.added);
  return ret;
}

int
berth_image_from_host (struct berth_image_store *s, const char *name, char *const *programs,
                       char **id, berth_error_t *err)
{
  cleanup_free char *norm = berth_image_normalize_name (name, err);
  cleanup_free char *tmp = NULL, *config = NULL, *created_by = NULL;
  cleanup_close int fd = -1, gc_lock = -1;
  char diff[DIGEST_LEN + 1];
  char *diff_ids[2] = { diff, NULL };
  char *names[2] = { norm, NULL };
  size_t len = 64;
  FILE *f;
  int r;

  if (norm == NULL)
    return -1;
  gc_lock = store_lock (s, "gc", false, err);
  if (gc_lock < 0)
    return -1;
  tmp = store_path (s, "tmp/rootfs-XXXXXX");
  if (tmp == NULL || (fd = mkostemp (tmp, O_CLOEXEC)) < 0)
    return berth_error (err, errno, "from-host: temporary file");
  unlink (tmp); /* the open fd is all we need */
  if (write_rootfs (fd, programs, err) < 0)
    return -1;
  if (lseek (fd, 0, SEEK_SET) < 0)
    return berth_error (err, errno, "from-host: seek");
  if (layer_add_fd (s, fd, NULL, NULL, diff, err) < 0)
    return berth_error_wrap (err, "from-host");
  f = open_memstream (&created_by, &len);
  if (f == NULL)
    return berth_error (err, ENOMEM, "from-host");
  fprintf (f, "berth image from-host %s", norm);
  for (size_t i = 0; programs && programs[i]; i++)
    fprintf (f, " %s", programs[i]);
  fclose (f);
  config = config_new (diff_ids, created_by, "", "/bin/sh");
  if (config == NULL)
    return berth_error (err, ENOMEM, "from-host");
  r = store_commit_image (s, config, strlen (config), diff_ids, names, id, err);
  if (r < 0)
    {
      close (steal_fd (&gc_lock));
      store_gc_now (s);
    }
  return r;
}
