/* Registry manifests (image-spec and Docker's distribution formats): an
 * image manifest (OCI or Docker schema 2) or a list of them (OCI index,
 * Docker manifest list), told apart by mediaType, the Content-Type, or their
 * shape; the entry of a list for a platform; and the checks that a manifest
 * and its config describe the same layers.  Docker schema 1 is refused.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "registry.h"

static bool
is_index (const char *mt)
{
  return strncmp (mt, MEDIA_OCI_INDEX, strlen (MEDIA_OCI_INDEX)) == 0
         || strncmp (mt, MEDIA_DOCKER_LIST, strlen (MEDIA_DOCKER_LIST)) == 0;
}

static bool
is_manifest (const char *mt)
{
  return strncmp (mt, MEDIA_OCI_MANIFEST, strlen (MEDIA_OCI_MANIFEST)) == 0
         || strncmp (mt, MEDIA_DOCKER_MANIFEST, strlen (MEDIA_DOCKER_MANIFEST)) == 0;
}

static const char *
media_type (json_t *doc, const char *content_type)
{
  const char *m = json_string_value (json_object_get (doc, "mediaType"));
  if (m)
    return m;
  if (content_type && (is_index (content_type) || is_manifest (content_type)))
    return content_type;
  /* An OCI index without mediaType has "manifests", a manifest "config".  */
  return json_object_get (doc, "manifests") ? MEDIA_OCI_INDEX : MEDIA_OCI_MANIFEST;
}

/* The platform asked: "os/arch[/variant]", default this machine's.  */
static int
parse_platform (const char *s, char **os, char **arch, char **variant, berth_error_t *err)
{
  cleanup_free char *copy = strdup (s ? s : "linux");
  char *a, *v;

  if (copy == NULL)
    return berth_error (err, ENOMEM, "platform");
  a = strchr (copy, '/');
  if (a)
    *a++ = '\0';
  v = a ? strchr (a, '/') : NULL;
  if (v)
    *v++ = '\0';
  if (*copy == '\0' || (a && *a == '\0'))
    return berth_error (err, 0, "invalid platform `%s` (want os/arch[/variant])", s);
  *os = strdup (copy);
  *arch = strdup (a ? a : config_architecture ());
  *variant = v && *v ? strdup (v) : NULL;
  return 0;
}

int
manifest_choose_platform (json_t *index, const char *platform, const char **digest,
                          berth_error_t *err)
{
  cleanup_free char *os = NULL, *arch = NULL, *variant = NULL, *seen = NULL;
  size_t i, seen_len = 0;
  json_t *m;

  if (parse_platform (platform, &os, &arch, &variant, err) < 0)
    return -1;
  json_array_foreach (json_object_get (index, "manifests"), i, m)
  {
    json_t *pl = json_object_get (m, "platform");
    const char *mos = json_string_value (json_object_get (pl, "os"));
    const char *march = json_string_value (json_object_get (pl, "architecture"));
    const char *mvar = json_string_value (json_object_get (pl, "variant"));
    const char *d = json_string_value (json_object_get (m, "digest"));
    if (mos && march)
      {
        char *ns;
        if (asprintf (&ns, "%s%s%s/%s%s%s", seen ? seen : "", seen ? ", " : "", mos, march,
                      mvar ? "/" : "", mvar ? mvar : "")
            >= 0)
          {
            free (seen);
            seen = ns;
            seen_len++;
          }
      }
    if (mos == NULL || march == NULL || strcmp (mos, os) != 0 || strcmp (march, arch) != 0)
      continue;
    if (variant && mvar && strcmp (variant, mvar) != 0)
      continue;
    if (!digest_valid (d))
      return berth_error (err, 0, "malformed index: invalid digest for %s/%s", os, arch);
    *digest = d;
    return 0;
  }
  return berth_error (err, 0, "no image for platform %s/%s%s%s in the manifest list (it has: %s)",
                      os, arch, variant ? "/" : "", variant ? variant : "",
                      seen ? seen : "nothing");
}

int
manifest_parse (const char *body, size_t len, const char *content_type, json_t **doc, bool *index,
                berth_error_t *err)
{
  json_error_t jerr;
  const char *mt, *config_digest;
  json_t *d = json_loadb (body, len, 0, &jerr);

  *doc = NULL;
  if (!json_is_object (d))
    {
      json_decref (d);
      return berth_error (err, 0, "malformed manifest: not a JSON object (%s)", jerr.text);
    }
  mt = media_type (d, content_type);
  if (json_integer_value (json_object_get (d, "schemaVersion")) != 2)
    {
      berth_error (err, 0, "unsupported manifest: schemaVersion is not 2%s",
                   strstr (mt, "v1") || json_object_get (d, "fsLayers")
                       ? " (Docker schema 1 is obsolete)"
                       : "");
      json_decref (d);
      return -1;
    }
  *index = is_index (mt);
  if (*index)
    {
      if (!json_is_array (json_object_get (d, "manifests")))
        {
          json_decref (d);
          return berth_error (err, 0, "malformed index: no \"manifests\" array");
        }
      *doc = d;
      return 0;
    }
  if (!is_manifest (mt))
    {
      berth_error (err, 0, "unsupported manifest type `%s`", mt);
      json_decref (d);
      return -1;
    }
  config_digest = json_string_value (json_object_get (json_object_get (d, "config"), "digest"));
  if (!digest_valid (config_digest))
    {
      json_decref (d);
      return berth_error (err, 0, "malformed manifest: no valid config digest");
    }
  *doc = d;
  return 0;
}

int
manifest_check_layers (json_t *manifest, json_t *config, berth_error_t *err)
{
  json_t *layers = json_object_get (manifest, "layers");
  json_t *diffs = json_object_get (json_object_get (config, "rootfs"), "diff_ids");
  size_t i;
  json_t *l;

  if (!json_is_array (layers) || !json_is_array (diffs))
    return berth_error (err, 0, "malformed manifest or config: no layers or diff_ids");
  if (json_array_size (layers) != json_array_size (diffs))
    return berth_error (err, 0, "malformed image: %zu layers but %zu diff_ids",
                        json_array_size (layers), json_array_size (diffs));
  if (json_array_size (layers) > BERTH_IMAGE_MAX_LAYERS)
    return berth_error (err, 0, "image has too many layers (%zu)", json_array_size (layers));
  json_array_foreach (layers, i, l)
  {
    const char *mt = json_string_value (json_object_get (l, "mediaType"));
    json_t *size = json_object_get (l, "size");
    if (!digest_valid (json_string_value (json_object_get (l, "digest")))
        || !digest_valid (json_string_value (json_array_get (diffs, i))) || !json_is_integer (size)
        || json_integer_value (size) < 0)
      return berth_error (err, 0, "malformed manifest: layer %zu has no valid digest or size", i);
    if (mt && strstr (mt, "foreign"))
      return berth_error (err, 0, "layer %zu is a foreign layer (%s): not supported", i, mt);
  }
  return 0;
}
