/* Image names as Docker handles local names: "repo[:tag]", tag "latest" by
 * default; digests ("@sha256:...") are not names of local images here.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"

static bool
is_lower_alnum (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
valid_tag (const char *t)
{
  size_t n = strlen (t);
  if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-')
    return false;
  for (; *t; t++)
    if (!(is_lower_alnum (*t) || (*t >= 'A' && *t <= 'Z') || *t == '_' || *t == '.' || *t == '-'))
      return false;
  return true;
}

/* A path component: alnum runs joined by '.', '_', '__' or '-' runs.  The
 * first component may also be a registry host with a port.  */
static bool
valid_component (const char *c, size_t n, bool first)
{
  if (n == 0 || !is_lower_alnum (c[0]))
    return false;
  for (size_t i = 0; i < n; i++)
    {
      char ch = c[i];
      if (is_lower_alnum (ch) || ch == '.' || ch == '_' || ch == '-')
        continue;
      if (first && (ch == ':' || (ch >= 'A' && ch <= 'Z')))
        continue;
      return false;
    }
  return c[n - 1] != '.' && c[n - 1] != '_' && c[n - 1] != '-';
}

static bool
valid_repo (const char *r)
{
  bool first = true;
  if (strlen (r) > 255)
    return false;
  for (;;)
    {
      const char *slash = strchr (r, '/');
      size_t n = slash ? (size_t)(slash - r) : strlen (r);
      if (!valid_component (r, n, first && slash != NULL))
        return false;
      if (!slash)
        return true;
      r = slash + 1;
      first = false;
    }
}

char *
berth_image_normalize_name (const char *name, berth_error_t *err)
{
  cleanup_free char *repo = NULL;
  const char *slash, *colon, *tag = "latest";
  char *out;

  if (name == NULL || *name == '\0')
    {
      berth_error (err, 0, "empty image name");
      return NULL;
    }
  if (strchr (name, '@'))
    {
      berth_error (err, 0, "invalid reference `%s`: digest references are not supported", name);
      return NULL;
    }
  slash = strrchr (name, '/');
  colon = strrchr (name, ':');
  if (colon && (slash == NULL || colon > slash))
    {
      repo = strndup (name, colon - name);
      tag = colon + 1;
    }
  else
    repo = strdup (name);
  if (repo == NULL)
    {
      berth_error (err, ENOMEM, "name");
      return NULL;
    }
  if (!valid_repo (repo) || !valid_tag (tag))
    {
      berth_error (err, 0, "invalid reference format: `%s`", name);
      return NULL;
    }
  if (asprintf (&out, "%s:%s", repo, tag) < 0)
    {
      berth_error (err, ENOMEM, "name");
      return NULL;
    }
  return out;
}

int
berth_image_split_name (const char *name, char **repo, char **tag, berth_error_t *err)
{
  cleanup_free char *n = berth_image_normalize_name (name, err);
  char *colon;
  if (n == NULL)
    return -1;
  colon = strrchr (n, ':');
  *repo = strndup (n, colon - n);
  *tag = strdup (colon + 1);
  if (*repo == NULL || *tag == NULL)
    return berth_error (err, ENOMEM, "name");
  return 0;
}

/* Docker reads a bare run of hex digits (optionally "sha256:"-prefixed) as an
 * ID prefix when no name matches.  */
bool
name_looks_like_id_prefix (const char *ref)
{
  if (strncmp (ref, "sha256:", 7) == 0)
    ref += 7;
  if (*ref == '\0' || strlen (ref) > DIGEST_HEX_LEN)
    return false;
  for (; *ref; ref++)
    if (!((*ref >= '0' && *ref <= '9') || (*ref >= 'a' && *ref <= 'f')))
      return false;
  return true;
}
