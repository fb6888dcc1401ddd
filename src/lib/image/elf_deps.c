/* The ELF dependency closure of a host program, found the way the dynamic
 * loader finds it, without running it (no ldd): PT_INTERP and DT_NEEDED
 * from <elf.h> structures, each name resolved against DT_RPATH/DT_RUNPATH
 * ($ORIGIN too), /etc/ld.so.cache and the standard (multiarch) library
 * directories, keeping only objects of the program's class and machine.
 * A script's "#!" interpreter is part of its closure.  */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"
#include "util.h"

struct elf_file
{
  const unsigned char *map;
  size_t size;
  const Elf64_Ehdr *eh;
};

struct closure
{
  json_t *seen;  /* path -> true */
  json_t *queue; /* paths still to read */
  int machine;
  const char *cache;
  size_t cache_len;
};

static bool
elf_ok (const unsigned char *m, size_t size)
{
  return size >= sizeof (Elf64_Ehdr) && memcmp (m, ELFMAG, SELFMAG) == 0
         && m[EI_CLASS] == ELFCLASS64 && m[EI_DATA] == ELFDATA2LSB;
}

/* The machine of a 64-bit little-endian ELF file, or -1.  */
static int
elf_machine_of (const char *path)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  unsigned char h[sizeof (Elf64_Ehdr)];
  if (fd < 0 || read (fd, h, sizeof (h)) != (ssize_t)sizeof (h) || !elf_ok (h, sizeof (h)))
    return -1;
  return ((Elf64_Ehdr *)h)->e_machine;
}

static bool
in_file (const struct elf_file *f, uint64_t off, uint64_t len)
{
  return off <= f->size && len <= f->size - off;
}

/* File offset of a virtual address, through the PT_LOAD segments.  */
static int64_t
vaddr_to_offset (const struct elf_file *f, uint64_t vaddr)
{
  const Elf64_Phdr *ph = (const Elf64_Phdr *)(f->map + f->eh->e_phoff);
  for (int i = 0; i < f->eh->e_phnum; i++)
    if (ph[i].p_type == PT_LOAD && vaddr >= ph[i].p_vaddr && vaddr < ph[i].p_vaddr + ph[i].p_filesz)
      return vaddr - ph[i].p_vaddr + ph[i].p_offset;
  return -1;
}

static const char *
str_at (const struct elf_file *f, int64_t strtab, uint64_t off)
{
  if (strtab < 0 || !in_file (f, strtab + off, 1))
    return NULL;
  const char *s = (const char *)f->map + strtab + off;
  return memchr (s, '\0', f->size - (strtab + off)) ? s : NULL;
}

static void
enqueue (struct closure *c, const char *path)
{
  if (json_object_get (c->seen, path))
    return;
  json_object_set_new (c->seen, path, json_true ());
  json_array_append_new (c->queue, json_string (path));
}

static bool
try_dir (struct closure *c, const char *dir, const char *name, char **out)
{
  cleanup_free char *p = NULL;
  if (asprintf (&p, "%s/%s", dir, name) < 0)
    return false;
  if (access (p, R_OK) == 0 && elf_machine_of (p) == c->machine)
    {
      *out = steal_pointer (&p);
      return true;
    }
  return false;
}

static bool
try_path_list (struct closure *c, const char *list, const char *origin, const char *name,
               char **out)
{
  cleanup_free char *copy = list ? strdup (list) : NULL;
  for (char *save = NULL, *d = copy ? strtok_r (copy, ":", &save) : NULL; d;
       d = strtok_r (NULL, ":", &save))
    {
      cleanup_free char *dir = NULL;
      if (strncmp (d, "$ORIGIN", 7) == 0 || strncmp (d, "${ORIGIN}", 9) == 0)
        {
          const char *rest = d + (d[1] == '{' ? 9 : 7);
          if (asprintf (&dir, "%s%s", origin, rest) < 0)
            continue;
        }
      else if ((dir = strdup (d)) == NULL)
        continue;
      if (try_dir (c, dir, name, out))
        return true;
    }
  return false;
}

/* /etc/ld.so.cache, glibc's "new" format: a header, then entries of
 * (flags, key offset, value offset, osversion, hwcap), offsets counted from
 * the header's start.  */
static bool
try_ld_cache (struct closure *c, const char *name, char **out)
{
  static const char magic[] = "glibc-ld.so.cache1.1";
  const char *base;
  uint32_t nlibs;

  if (c->cache == NULL)
    return false;
  base = memmem (c->cache, c->cache_len, magic, sizeof (magic) - 1);
  if (base == NULL || (size_t)(base - c->cache) + 48 > c->cache_len)
    return false;
  memcpy (&nlibs, base + 20, 4);
  size_t avail = c->cache_len - (base - c->cache);
  for (uint32_t i = 0; i < nlibs && 48 + (size_t)(i + 1) * 24 <= avail; i++)
    {
      uint32_t key, value;
      memcpy (&key, base + 48 + i * 24 + 4, 4);
      memcpy (&value, base + 48 + i * 24 + 8, 4);
      if (key >= avail || value >= avail || !memchr (base + key, '\0', avail - key)
          || !memchr (base + value, '\0', avail - value))
        continue;
      if (strcmp (base + key, name) == 0 && access (base + value, R_OK) == 0
          && elf_machine_of (base + value) == c->machine)
        {
          *out = strdup (base + value);
          return *out != NULL;
        }
    }
  return false;
}

static bool
try_default_dirs (struct closure *c, const char *name, char **out)
{
  struct utsname u;
  char triplet[80];
  const char *dirs[] = { NULL, NULL, "/lib64", "/usr/lib64", "/lib", "/usr/lib", NULL };
  char d0[128], d1[128];

  uname (&u);
  snprintf (triplet, sizeof (triplet), "%s-linux-gnu", u.machine);
  snprintf (d0, sizeof (d0), "/lib/%s", triplet);
  snprintf (d1, sizeof (d1), "/usr/lib/%s", triplet);
  dirs[0] = d0;
  dirs[1] = d1;
  for (int i = 0; dirs[i]; i++)
    if (try_dir (c, dirs[i], name, out))
      return true;
  return false;
}

static int
resolve_needed (struct closure *c, const char *name, const char *rpath, const char *runpath,
                const char *origin, const char *who, berth_error_t *err)
{
  cleanup_free char *found = NULL;
  if (strchr (name, '/'))
    found = strdup (name);
  else if (!(runpath == NULL && try_path_list (c, rpath, origin, name, &found))
           && !try_path_list (c, runpath, origin, name, &found) && !try_ld_cache (c, name, &found)
           && !try_default_dirs (c, name, &found))
    return berth_error (err, ENOENT, "`%s` needs `%s`, which is not found", who, name);
  if (found == NULL)
    return berth_error (err, ENOMEM, "elf");
  enqueue (c, found);
  return 0;
}

static int
read_dynamic (struct closure *c, const struct elf_file *f, const char *path, berth_error_t *err)
{
  const Elf64_Phdr *ph = (const Elf64_Phdr *)(f->map + f->eh->e_phoff);
  cleanup_free char *dir_copy = strdup (path);
  const char *origin = dir_copy ? dirname (dir_copy) : ".";
  const Elf64_Dyn *dyn = NULL;
  size_t ndyn = 0;
  int64_t strtab = -1;
  const char *rpath = NULL, *runpath = NULL;

  for (int i = 0; i < f->eh->e_phnum; i++)
    {
      if (ph[i].p_type == PT_INTERP && in_file (f, ph[i].p_offset, ph[i].p_filesz)
          && ph[i].p_filesz > 1 && f->map[ph[i].p_offset + ph[i].p_filesz - 1] == '\0')
        enqueue (c, (const char *)f->map + ph[i].p_offset);
      if (ph[i].p_type == PT_DYNAMIC && in_file (f, ph[i].p_offset, ph[i].p_filesz))
        {
          dyn = (const Elf64_Dyn *)(f->map + ph[i].p_offset);
          ndyn = ph[i].p_filesz / sizeof (Elf64_Dyn);
        }
    }
  for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++)
    if (dyn[i].d_tag == DT_STRTAB)
      strtab = vaddr_to_offset (f, dyn[i].d_un.d_ptr);
  if (strtab < 0)
    return 0; /* static */
  for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++)
    if (dyn[i].d_tag == DT_RPATH)
      rpath = str_at (f, strtab, dyn[i].d_un.d_val);
    else if (dyn[i].d_tag == DT_RUNPATH)
      runpath = str_at (f, strtab, dyn[i].d_un.d_val);
  for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++)
    if (dyn[i].d_tag == DT_NEEDED)
      {
        const char *name = str_at (f, strtab, dyn[i].d_un.d_val);
        if (name == NULL)
          return berth_error (err, 0, "`%s`: corrupt DT_NEEDED", path);
        if (resolve_needed (c, name, rpath, runpath, origin, path, err) < 0)
          return -1;
      }
  return 0;
}

static int
scan_one (struct closure *c, const char *path, bool first, berth_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  struct elf_file f = { 0 };
  struct stat st;
  void *m;
  int r = 0;

  if (fd < 0 || fstat (fd, &st) < 0)
    return berth_error (err, errno, "open `%s`", path);
  if (!S_ISREG (st.st_mode) || st.st_size < 4)
    return 0;
  m = mmap (NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (m == MAP_FAILED)
    return berth_error (err, errno, "mmap `%s`", path);
  f.map = m;
  f.size = st.st_size;
  if (f.map[0] == '#' && f.map[1] == '!')
    {
      /* "#!/path/interp [arg]": the interpreter's closure is needed too */
      size_t i = 2, j;
      while (i < f.size && (f.map[i] == ' ' || f.map[i] == '\t'))
        i++;
      for (j = i;
           j < f.size && j - i < 4096 && f.map[j] != ' ' && f.map[j] != '\t' && f.map[j] != '\n';
           j++)
        ;
      if (j > i && f.map[i] == '/')
        {
          cleanup_free char *interp = strndup ((const char *)f.map + i, j - i);
          if (interp)
            enqueue (c, interp);
        }
    }
  else if (elf_ok (f.map, f.size))
    {
      f.eh = (const Elf64_Ehdr *)f.map;
      if (first)
        c->machine = f.eh->e_machine;
      if (!in_file (&f, f.eh->e_phoff, (uint64_t)f.eh->e_phnum * sizeof (Elf64_Phdr)))
        r = berth_error (err, 0, "`%s`: corrupt program headers", path);
      else
        r = read_dynamic (c, &f, path, err);
    }
  munmap (m, st.st_size);
  return r;
}

int
berth_image_elf_closure (const char *program, char ***paths, berth_error_t *err)
{
  struct closure c = { .seen = json_object (), .queue = json_array (), .machine = -1 };
  cleanup_free char *cache = NULL;
  char **out = NULL;
  size_t i, n;
  int ret = -1;

  if (berth_read_file ("/etc/ld.so.cache", &cache, &c.cache_len, NULL) == 0)
    c.cache = cache;
  if (c.machine < 0)
    c.machine = elf_machine_of ("/proc/self/exe");
  enqueue (&c, program);
  for (i = 0; i < json_array_size (c.queue); i++)
    if (scan_one (&c, json_string_value (json_array_get (c.queue, i)), i == 0, err) < 0)
      goto out;
  n = json_array_size (c.queue);
  out = calloc (n + 1, sizeof (char *));
  for (i = 0; out && i < n; i++)
    if ((out[i] = strdup (json_string_value (json_array_get (c.queue, i)))) == NULL)
      {
        berth_strv_freep (&out);
        out = NULL;
        break;
      }
  if (out == NULL)
    {
      berth_error (err, ENOMEM, "elf");
      goto out;
    }
  *paths = out;
  ret = 0;
out:
  json_decref (c.seen);
  json_decref (c.queue);
  return ret;
}
