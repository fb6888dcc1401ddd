/* From linux.cgroupsPath to the cgroup's path under each hierarchy root:
 * the cgroupfs form ("/a/b", cleaned, default "/<id>") and the systemd form
 * ("slice:prefix:name" -> "/a.slice/a-b.slice/prefix-name.scope").  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cgroup_internal.h"

#define SLICE_SUFFIX ".slice"

static bool
has_suffix (const char *s, const char *suffix)
{
  size_t n = strlen (s), m = strlen (suffix);
  return n >= m && strcmp (s + n - m, suffix) == 0;
}

/* "/a//./b/" -> "/a/b"; ".." is refused rather than resolved, so that a
 * path never leaves the hierarchy.  */
static int
clean_path (const char *path, char **out, berth_error_t *err)
{
  cleanup_free char *copy = strdup (path);
  cleanup_free char *clean = calloc (1, strlen (path) + 2);
  char *part, *save = NULL;

  if (copy == NULL || clean == NULL)
    return berth_error (err, ENOMEM, "cgroupsPath");
  for (part = strtok_r (copy, "/", &save); part; part = strtok_r (NULL, "/", &save))
    {
      if (strcmp (part, ".") == 0)
        continue;
      if (strcmp (part, "..") == 0)
        return berth_error (err, 0, "cgroupsPath `%s`: `..` is not allowed", path);
      strcat (clean, "/");
      strcat (clean, part);
    }
  if (clean[0] == '\0')
    return berth_error (err, 0, "cgroupsPath `%s`: names the root cgroup", path);
  *out = steal_pointer (&clean);
  return 0;
}

/* systemd's slice naming: "a-b-c.slice" lives at
 * "/a.slice/a-b.slice/a-b-c.slice", "-.slice" is the root ("").  */
static int
expand_slice (const char *slice, char **out, berth_error_t *err)
{
  cleanup_free char *name = NULL;
  cleanup_free char *path = NULL;
  size_t len, used = 0;

  if (strcmp (slice, "-" SLICE_SUFFIX) == 0)
    {
      *out = strdup ("");
      return *out ? 0 : berth_error (err, ENOMEM, "expand slice");
    }
  if (!has_suffix (slice, SLICE_SUFFIX) || strchr (slice, '/'))
    return berth_error (err, 0, "invalid slice name `%s`", slice);
  len = strlen (slice) - strlen (SLICE_SUFFIX);
  name = strndup (slice, len);
  /* Each '-' adds one level: at most len levels of at most len + 7 bytes.  */
  path = calloc (1, (len + 1) * (len + sizeof (SLICE_SUFFIX) + 2));
  if (name == NULL || path == NULL)
    return berth_error (err, ENOMEM, "expand slice");
  if (len == 0 || name[0] == '-' || name[len - 1] == '-' || strstr (name, "--"))
    return berth_error (err, 0, "invalid slice name `%s`", slice);
  for (size_t i = 0; i <= len; i++)
    if (name[i] == '-' || name[i] == '\0')
      used += sprintf (path + used, "/%.*s" SLICE_SUFFIX, (int)i, name);
  *out = steal_pointer (&path);
  return 0;
}

static int
systemd_path (const char *id, const char *cgroups_path, char **out, berth_error_t *err)
{
  cleanup_free char *copy = NULL;
  cleanup_free char *slice_path = NULL;
  const char *slice = "", *prefix = "berth", *name = id;
  char *first, *second;
  int r;

  if (cgroups_path && cgroups_path[0])
    {
      copy = strdup (cgroups_path);
      if (copy == NULL)
        return berth_error (err, ENOMEM, "cgroupsPath");
      first = strchr (copy, ':');
      second = first ? strchr (first + 1, ':') : NULL;
      if (second == NULL || strchr (second + 1, ':'))
        return berth_error (err, 0,
                            "cgroupsPath `%s`: expected \"slice:prefix:name\" for systemd cgroups",
                            cgroups_path);
      *first = *second = '\0';
      slice = copy;
      prefix = first + 1;
      name = second + 1;
    }
  if (name[0] == '\0' || strchr (name, '/') || strchr (prefix, '/'))
    return berth_error (err, 0, "cgroupsPath `%s`: invalid unit name",
                        cgroups_path ? cgroups_path : id);
  if (expand_slice (slice[0] ? slice : "system.slice", &slice_path, err) < 0)
    return berth_error_wrap (err, "cgroupsPath `%s`", cgroups_path ? cgroups_path : "");
  /* A name that is itself a slice is used as is; otherwise a scope.  */
  if (has_suffix (name, SLICE_SUFFIX))
    r = asprintf (out, "%s/%s", slice_path, name);
  else if (prefix[0] == '\0')
    r = asprintf (out, "%s/%s.scope", slice_path, name);
  else
    r = asprintf (out, "%s/%s-%s.scope", slice_path, prefix, name);
  return r < 0 ? berth_error (err, ENOMEM, "cgroupsPath") : 0;
}

int
berth_cgroup_resolve_path (const char *id, const char *cgroups_path, bool systemd, char **path,
                           berth_error_t *err)
{
  cleanup_free char *fallback = NULL;

  if (id == NULL || id[0] == '\0' || strchr (id, '/') || strcmp (id, ".") == 0
      || strcmp (id, "..") == 0)
    return berth_error (err, 0, "invalid container id `%s` for a cgroup", id ? id : "");
  if (systemd)
    return systemd_path (id, cgroups_path, path, err);
  if (cgroups_path && cgroups_path[0])
    return clean_path (cgroups_path, path, err);
  if (asprintf (&fallback, "/%s", id) < 0)
    return berth_error (err, ENOMEM, "cgroupsPath");
  return clean_path (fallback, path, err);
}
