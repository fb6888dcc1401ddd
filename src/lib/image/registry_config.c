/* berth's registries file: the registry of short names, per-registry
 * mirrors and insecure (plain HTTP or unverified TLS) registries, and the
 * certs.d directory.  JSON, at /etc/berth/registries.json unless the caller
 * names another; a missing file means Docker's defaults.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "registry.h"

#define DEFAULT_CONFIG "/etc/berth/registries.json"

void
registry_config_clear (struct registry_config *c)
{
  free (c->default_registry);
  free (c->certs_dir);
  json_decref (c->registries);
  memset (c, 0, sizeof (*c));
}

int
registry_config_load (const char *path, struct registry_config *c, berth_error_t *err)
{
  json_error_t jerr;
  json_t *root, *v;
  struct stat st;

  memset (c, 0, sizeof (*c));
  if (path == NULL || *path == '\0')
    path = DEFAULT_CONFIG;
  if (stat (path, &st) < 0 && errno == ENOENT)
    root = json_object ();
  else if ((root = json_load_file (path, 0, &jerr)) == NULL || !json_is_object (root))
    {
      json_decref (root);
      return berth_error (err, 0, "registries config `%s`: %s", path,
                          root ? "not an object" : jerr.text);
    }
  v = json_object_get (root, "default-registry");
  c->default_registry = strdup (json_is_string (v) ? json_string_value (v) : "docker.io");
  v = json_object_get (root, "certs-dir");
  c->certs_dir = json_is_string (v) ? strdup (json_string_value (v)) : NULL;
  c->registries = json_incref (json_object_get (root, "registries"));
  json_decref (root);
  if (c->default_registry == NULL)
    return berth_error (err, ENOMEM, "registries config");
  if (c->registries && !json_is_object (c->registries))
    {
      registry_config_clear (c);
      return berth_error (err, 0, "registries config `%s`: \"registries\" is not an object", path);
    }
  return 0;
}

static json_t *
entry (const struct registry_config *c, const char *host)
{
  return c->registries ? json_object_get (c->registries, host) : NULL;
}

bool
registry_config_insecure (const struct registry_config *c, const char *host)
{
  return json_is_true (json_object_get (entry (c, host), "insecure"));
}

json_t *
registry_config_mirrors (const struct registry_config *c, const char *host)
{
  json_t *m = json_object_get (entry (c, host), "mirrors");
  return json_is_array (m) ? m : NULL;
}
