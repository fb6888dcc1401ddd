/* Owns struct berth_image_config: read from an image's config JSON (OCI
 * image-spec "application/vnd.oci.image.config.v1+json", which Docker's
 * image configs share), and freed.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "engine/engine_error.h"
#include "engine/spec.h"

static int
read_strv (json_t *obj, const char *key, char ***out, berth_error_t *err)
{
  json_t *a = json_object_get (obj, key);
  size_t i;
  json_t *v;

  *out = NULL;
  if (a == NULL || json_is_null (a))
    return 0;
  if (!json_is_array (a))
    return berth_engine_error (err, EINVAL, "image config: %s: expected an array of strings", key);
  *out = calloc (json_array_size (a) + 1, sizeof (char *));
  if (*out == NULL)
    return berth_error (err, ENOMEM, "image config");
  json_array_foreach (a, i, v)
  {
    if (!json_is_string (v))
      return berth_engine_error (err, EINVAL, "image config: %s[%zu]: expected a string", key, i);
    (*out)[i] = strdup (json_string_value (v));
    if ((*out)[i] == NULL)
      return berth_error (err, ENOMEM, "image config");
  }
  return 0;
}

static int
read_string (json_t *obj, const char *key, char **out, berth_error_t *err)
{
  json_t *v = json_object_get (obj, key);

  *out = NULL;
  if (v == NULL || json_is_null (v))
    return 0;
  if (!json_is_string (v))
    return berth_engine_error (err, EINVAL, "image config: %s: expected a string", key);
  *out = strdup (json_string_value (v));
  return *out ? 0 : berth_error (err, ENOMEM, "image config");
}

/* Labels: {"k": "v"}; ExposedPorts: {"80/tcp": {}} (only the keys count).  */
static int
read_object (json_t *obj, const char *key, struct berth_key_value_list *labels, char ***keys_only,
             berth_error_t *err)
{
  json_t *o = json_object_get (obj, key);
  const char *k;
  json_t *v;
  size_t n;

  if (o == NULL || json_is_null (o))
    return 0;
  if (!json_is_object (o))
    return berth_engine_error (err, EINVAL, "image config: %s: expected an object", key);
  n = json_object_size (o);
  if (keys_only)
    {
      size_t i = 0;

      *keys_only = calloc (n + 1, sizeof (char *));
      if (*keys_only == NULL)
        return berth_error (err, ENOMEM, "image config");
      json_object_foreach (o, k, v)
      {
        (*keys_only)[i] = strdup (k);
        if ((*keys_only)[i++] == NULL)
          return berth_error (err, ENOMEM, "image config");
      }
      return 0;
    }
  labels->keys = calloc (n + 1, sizeof (char *));
  labels->values = calloc (n + 1, sizeof (char *));
  if (labels->keys == NULL || labels->values == NULL)
    return berth_error (err, ENOMEM, "image config");
  json_object_foreach (o, k, v)
  {
    if (!json_is_string (v))
      return berth_engine_error (err, EINVAL, "image config: %s.%s: expected a string", key, k);
    labels->keys[labels->n] = strdup (k);
    labels->values[labels->n] = strdup (json_string_value (v));
    labels->n++;
    if (labels->keys[labels->n - 1] == NULL || labels->values[labels->n - 1] == NULL)
      return berth_error (err, ENOMEM, "image config");
  }
  return 0;
}

int
berth_image_config_parse (const char *text, size_t len, struct berth_image_config **out,
                          berth_error_t *err)
{
  json_error_t jerr;
  json_t *doc = json_loadb (text, len, 0, &jerr);
  json_t *c;
  struct berth_image_config *ic;

  if (doc == NULL)
    return berth_engine_error (err, EINVAL, "image config: %s", jerr.text);
  /* The whole document has the runtime part under "config"; the inner
   * object alone is accepted too.  */
  c = json_object_get (doc, "config");
  if (c == NULL || json_is_null (c))
    c = json_object_get (doc, "config") ? NULL : doc;
  ic = calloc (1, sizeof (*ic));
  if (ic == NULL)
    {
      json_decref (doc);
      return berth_error (err, ENOMEM, "image config");
    }
  if (c && !json_is_object (c))
    {
      berth_engine_error (err, EINVAL, "image config: expected an object");
      goto fail;
    }
  if (c
      && (read_strv (c, "Env", &ic->env, err) < 0 || read_strv (c, "Cmd", &ic->cmd, err) < 0
          || read_strv (c, "Entrypoint", &ic->entrypoint, err) < 0
          || read_string (c, "WorkingDir", &ic->working_dir, err) < 0
          || read_string (c, "User", &ic->user, err) < 0
          || read_string (c, "StopSignal", &ic->stop_signal, err) < 0
          || read_object (c, "Labels", &ic->labels, NULL, err) < 0
          || read_object (c, "ExposedPorts", NULL, &ic->exposed_ports, err) < 0))
    goto fail;
  json_decref (doc);
  *out = ic;
  return 0;

fail:
  json_decref (doc);
  berth_image_config_free (ic);
  return berth_error_ret (err);
}

void
berth_image_config_free (struct berth_image_config *ic)
{
  if (ic == NULL)
    return;
  berth_strv_freep (&ic->env);
  berth_strv_freep (&ic->cmd);
  berth_strv_freep (&ic->entrypoint);
  berth_strv_freep (&ic->exposed_ports);
  free (ic->working_dir);
  free (ic->user);
  free (ic->stop_signal);
  for (size_t i = 0; i < ic->labels.n; i++)
    {
      free (ic->labels.keys[i]);
      free (ic->labels.values[i]);
    }
  free (ic->labels.keys);
  free (ic->labels.values);
  free (ic);
}
