/* Image references as Docker reads them: [REGISTRY/]PATH[:TAG][@DIGEST].
 * A first path component is a registry when it has a '.' or a ':' or is
 * "localhost"; otherwise the registry is the default (docker.io), where a
 * one-component path lives under "library/".  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"

#define DOCKER_HUB "docker.io"

static bool
is_alnum_lower (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A path component: lowercase alnum runs joined by one '.', one or two '_',
 * or any number of '-'.  */
static bool
valid_path_component (const char *c, size_t n)
{
  if (n == 0 || !is_alnum_lower (c[0]) || !is_alnum_lower (c[n - 1]))
    return false;
  for (size_t i = 0; i < n; i++)
    {
      if (is_alnum_lower (c[i]) || c[i] == '-')
        continue;
      if (c[i] == '.' && c[i + 1] != '.')
        continue;
      if (c[i] == '_' && (c[i + 1] != '_' || c[i + 2] != '_'))
        continue;
      if (c[i] == '_' && i > 0 && c[i - 1] == '_')
        continue;
      return false;
    }
  return true;
}

static bool
valid_path (const char *p)
{
  if (*p == '\0' || strlen (p) > 255)
    return false;
  for (;;)
    {
      const char *slash = strchr (p, '/');
      size_t n = slash ? (size_t)(slash - p) : strlen (p);
      if (!valid_path_component (p, n))
        return false;
      if (!slash)
        return true;
      p = slash + 1;
    }
}

/* host[:port]: letters, digits, '.', '-' (or a bracketed IPv6 address).  */
static bool
valid_registry (const char *r)
{
  const char *colon = strrchr (r, ':');
  size_t n = strlen (r);

  if (n == 0)
    return false;
  if (r[0] == '[')
    {
      const char *close = strchr (r, ']');
      if (close == NULL)
        return false;
      colon = close[1] == ':' ? close + 1 : NULL;
      if (close[1] != '\0' && colon == NULL)
        return false;
    }
  else
    for (const char *p = r; *p && p != colon; p++)
      if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
            || *p == '.' || *p == '-'))
        return false;
  if (colon)
    {
      if (colon[1] == '\0')
        return false;
      for (const char *p = colon + 1; *p; p++)
        if (*p < '0' || *p > '9')
          return false;
    }
  return true;
}

static bool
valid_tag_string (const char *t)
{
  size_t n = strlen (t);
  if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-')
    return false;
  for (; *t; t++)
    if (!(is_alnum_lower (*t) || (*t >= 'A' && *t <= 'Z') || *t == '_' || *t == '.' || *t == '-'))
      return false;
  return true;
}

void
berth_image_ref_clear (struct berth_image_ref *r)
{
  free (r->registry);
  free (r->repository);
  free (r->tag);
  free (r->digest);
  memset (r, 0, sizeof (*r));
}

int
berth_image_ref_parse (const char *name, const char *default_registry, struct berth_image_ref *out,
                       berth_error_t *err)
{
  cleanup_free char *s = NULL, *path = NULL;
  const char *slash, *last_slash;
  char *at, *colon;

  memset (out, 0, sizeof (*out));
  if (name == NULL || *name == '\0')
    return berth_error (err, 0, "empty image name");
  if ((s = strdup (name)) == NULL)
    return berth_error (err, ENOMEM, "reference");
  if ((at = strchr (s, '@')))
    {
      *at = '\0';
      if (!digest_valid (at + 1))
        return berth_error (err, 0, "invalid reference `%s`: bad digest", name);
      out->digest = strdup (at + 1);
    }
  last_slash = strrchr (s, '/');
  colon = strrchr (s, ':');
  if (colon && (last_slash == NULL || colon > last_slash))
    {
      *colon = '\0';
      if (!valid_tag_string (colon + 1))
        {
          berth_image_ref_clear (out);
          return berth_error (err, 0, "invalid reference `%s`: bad tag", name);
        }
      out->tag = strdup (colon + 1);
    }
  slash = strchr (s, '/');
  if (slash
      && (memchr (s, '.', slash - s) || memchr (s, ':', slash - s)
          || (slash - s == 9 && strncmp (s, "localhost", 9) == 0) || memchr (s, '[', slash - s)))
    {
      out->registry = strndup (s, slash - s);
      path = strdup (slash + 1);
    }
  else
    {
      out->registry = strdup (default_registry ? default_registry : DOCKER_HUB);
      path = strdup (s);
    }
  if (out->registry == NULL || path == NULL)
    {
      berth_image_ref_clear (out);
      return berth_error (err, ENOMEM, "reference");
    }
  if (strcmp (out->registry, "index.docker.io") == 0
      || strcmp (out->registry, "registry-1.docker.io") == 0)
    {
      free (out->registry);
      out->registry = strdup (DOCKER_HUB);
    }
  if (!valid_registry (out->registry) || !valid_path (path))
    {
      berth_image_ref_clear (out);
      return berth_error (err, 0, "invalid reference format: `%s`", name);
    }
  if (strcmp (out->registry, DOCKER_HUB) == 0 && strchr (path, '/') == NULL)
    {
      if (asprintf (&out->repository, "library/%s", path) < 0)
        out->repository = NULL;
    }
  else
    out->repository = steal_pointer (&path);
  if (out->tag == NULL && out->digest == NULL)
    out->tag = strdup ("latest");
  if (out->repository == NULL || out->registry == NULL || (out->tag == NULL && out->digest == NULL))
    {
      berth_image_ref_clear (out);
      return berth_error (err, ENOMEM, "reference");
    }
  return 0;
}

char *
berth_image_ref_repo (const struct berth_image_ref *r)
{
  char *out;
  if (asprintf (&out, "%s/%s", r->registry, r->repository) < 0)
    return NULL;
  return out;
}

char *
berth_image_ref_familiar (const struct berth_image_ref *r, bool with_digest)
{
  const char *repo = r->repository;
  char *out;
  int n;

  if (strcmp (r->registry, DOCKER_HUB) == 0)
    {
      if (strncmp (repo, "library/", 8) == 0 && strchr (repo + 8, '/') == NULL)
        repo += 8;
      n = with_digest ? asprintf (&out, "%s@%s", repo, r->digest ? r->digest : "")
                      : asprintf (&out, "%s:%s", repo, r->tag ? r->tag : "latest");
    }
  else
    n = with_digest ? asprintf (&out, "%s/%s@%s", r->registry, repo, r->digest ? r->digest : "")
                    : asprintf (&out, "%s/%s:%s", r->registry, repo, r->tag ? r->tag : "latest");
  return n < 0 ? NULL : out;
}
