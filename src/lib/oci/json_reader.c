/* The primitives of the config.json reader: JSON path bookkeeping, typed
 * readers for scalars, vectors and maps, and errors that name the field.  */
#include "json_reader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cleanup.h"

/* Path bookkeeping.  */

size_t
jr_path_append (struct parser *p, const char *fmt, ...)
{
  size_t mark = p->len, room = sizeof (p->path) - p->len;
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (p->path + p->len, room, fmt, ap);
  va_end (ap);
  if (n > 0)
    p->len += (size_t)n < room ? (size_t)n : room - 1;
  return mark;
}

size_t
jr_path_key (struct parser *p, const char *key)
{
  return jr_path_append (p, p->len ? ".%s" : "%s", key);
}

size_t
jr_path_index (struct parser *p, size_t i)
{
  return jr_path_append (p, "[%zu]", i);
}

void
jr_path_pop (struct parser *p, size_t mark)
{
  p->len = mark;
  p->path[mark] = '\0';
}

/* Fail at the current path, or at its jr_member KEY when KEY is not NULL.  */
int
jr_fail (struct parser *p, const char *key, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  size_t mark = key ? jr_path_key (p, key) : p->len;
  va_list ap;
  int r;

  va_start (ap, fmt);
  r = vasprintf (&msg, fmt, ap);
  va_end (ap);
  if (r < 0)
    msg = NULL;
  r = berth_error (p->err, 0, "%s: %s", p->path, msg ? msg : "invalid value");
  jr_path_pop (p, mark);
  return r;
}

int
jr_oom (struct parser *p)
{
  return berth_error (p->err, ENOMEM, "%s", p->path);
}

/* Member access.  JSON null counts as absent, as in the Go bindings.  */

json_t *
jr_member (json_t *obj, const char *key)
{
  json_t *v = json_object_get (obj, key);
  return json_is_null (v) ? NULL : v;
}

/* Read V, the jr_member KEY of the current value, with FN.  */
int
jr_read_child (struct parser *p, const char *key, json_t *v, reader_fn fn, void *out)
{
  size_t mark = jr_path_key (p, key);
  int r = fn (p, v, out);
  jr_path_pop (p, mark);
  return r;
}

/* Read jr_member KEY of OBJ with FN.  Returns 1 when read, 0 when absent.  */
int
jr_optional (struct parser *p, json_t *obj, const char *key, reader_fn fn, void *out)
{
  json_t *v = jr_member (obj, key);
  int r;

  if (v == NULL)
    return 0;
  r = jr_read_child (p, key, v, fn, out);
  return r < 0 ? r : 1;
}

int
jr_required (struct parser *p, json_t *obj, const char *key, reader_fn fn, void *out)
{
  if (jr_member (obj, key) == NULL)
    return jr_fail (p, key, "required");
  return jr_optional (p, obj, key, fn, out);
}

int
jr_expect_object (struct parser *p, json_t *v)
{
  return json_is_object (v) ? 0 : jr_fail (p, NULL, "expected object");
}

/* Type-check array V and allocate *ITEMS for its elements (NULL when empty),
 * setting *N first so a later failure still frees what was allocated.  */
int
jr_new_items (struct parser *p, json_t *v, size_t size, void **items, size_t *n)
{
  size_t count;

  if (!json_is_array (v))
    return jr_fail (p, NULL, "expected array");
  count = json_array_size (v);
  *items = NULL;
  if (count == 0)
    return 0;
  *items = calloc (count, size);
  if (*items == NULL)
    return jr_oom (p);
  *n = count;
  return 0;
}

int
jr_read_elements (struct parser *p, json_t *array, void *items, size_t size, reader_fn fn)
{
  size_t i;
  json_t *v;

  json_array_foreach (array, i, v)
  {
    size_t mark = jr_path_index (p, i);
    int r = fn (p, v, (char *)items + i * size);
    jr_path_pop (p, mark);
    if (r < 0)
      return r;
  }
  return 0;
}

/* Scalars.  */

int
jr_read_bool (struct parser *p, json_t *v, void *out)
{
  if (!json_is_boolean (v))
    return jr_fail (p, NULL, "expected boolean");
  *(bool *)out = json_is_true (v);
  return 0;
}

int
jr_read_string (struct parser *p, json_t *v, void *out)
{
  char **dst = out;

  if (!json_is_string (v))
    return jr_fail (p, NULL, "expected string");
  free (*dst);
  *dst = strdup (json_string_value (v));
  return *dst ? 0 : jr_oom (p);
}

int
jr_read_path (struct parser *p, json_t *v, void *out)
{
  if (jr_read_string (p, v, out) < 0)
    return -1;
  if (**(char **)out != '/')
    return jr_fail (p, NULL, "must be an absolute path");
  return 0;
}

/* Integers.  A document holding an integer beyond 64 bits (an rlimit of
 * 18446744073709551615, say) is decoded with every number as a double; then
 * integral doubles are accepted, and 2^64 stands for UINT64_MAX.  */

bool
jr_unsigned_value (const struct parser *p, json_t *v, uint64_t *out)
{
  if (json_is_integer (v))
    {
      json_int_t i = json_integer_value (v);
      *out = (uint64_t)i;
      return i >= 0;
    }
  if (p->ints_as_real && json_is_real (v))
    {
      double d = json_real_value (v);
      if (!(d >= 0 && d <= 18446744073709551616.0))
        return false;
      if (d == 18446744073709551616.0)
        {
          *out = UINT64_MAX;
          return true;
        }
      *out = (uint64_t)d;
      return (double)*out == d;
    }
  return false;
}

bool
jr_signed_value (const struct parser *p, json_t *v, int64_t *out)
{
  if (json_is_integer (v))
    {
      *out = json_integer_value (v);
      return true;
    }
  if (p->ints_as_real && json_is_real (v))
    {
      double d = json_real_value (v);
      if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
        return false;
      *out = (int64_t)d;
      return (double)*out == d;
    }
  return false;
}

int
jr_read_u64 (struct parser *p, json_t *v, void *out)
{
  if (!jr_unsigned_value (p, v, out))
    return jr_fail (p, NULL, "expected unsigned 64-bit integer");
  return 0;
}

int
jr_read_u32 (struct parser *p, json_t *v, void *out)
{
  uint64_t u = 0;

  if (!jr_unsigned_value (p, v, &u) || u > UINT32_MAX)
    return jr_fail (p, NULL, "expected unsigned 32-bit integer");
  *(uint32_t *)out = u;
  return 0;
}

int
jr_read_unsigned (struct parser *p, json_t *v, void *out)
{
  uint32_t u = 0;

  if (jr_read_u32 (p, v, &u) < 0)
    return -1;
  *(unsigned *)out = u;
  return 0;
}

int
jr_read_mode (struct parser *p, json_t *v, void *out)
{
  uint32_t u = 0;

  if (jr_read_u32 (p, v, &u) < 0)
    return -1;
  *(mode_t *)out = u;
  return 0;
}

int
jr_read_i64 (struct parser *p, json_t *v, void *out)
{
  if (!jr_signed_value (p, v, out))
    return jr_fail (p, NULL, "expected 64-bit integer");
  return 0;
}

int
jr_read_int (struct parser *p, json_t *v, void *out)
{
  int64_t i = 0;

  if (!jr_signed_value (p, v, &i) || i < INT32_MIN || i > INT32_MAX)
    return jr_fail (p, NULL, "expected 32-bit integer");
  *(int *)out = (int)i;
  return 0;
}

/* String vectors and maps.  */

int
jr_read_strv (struct parser *p, json_t *v, void *out)
{
  char ***dst = out;
  size_t i;
  json_t *s;

  if (!json_is_array (v))
    return jr_fail (p, NULL, "expected array");
  *dst = calloc (json_array_size (v) + 1, sizeof (char *));
  if (*dst == NULL)
    return jr_oom (p);
  json_array_foreach (v, i, s)
  {
    size_t mark = jr_path_index (p, i);
    int r = jr_read_string (p, s, &(*dst)[i]);
    jr_path_pop (p, mark);
    if (r < 0)
      return r;
  }
  return 0;
}

/* Vectors the rest of berth iterates without a NULL check.  */
int
jr_ensure_strv (struct parser *p, char ***v)
{
  if (*v == NULL)
    *v = calloc (1, sizeof (char *));
  return *v ? 0 : jr_oom (p);
}

int
jr_read_string_map (struct parser *p, json_t *v, void *out)
{
  struct string_map *map = out;
  const char *key;
  json_t *value;
  size_t i = 0;

  if (jr_expect_object (p, v) < 0)
    return -1;
  if (json_object_size (v) == 0)
    return 0;
  *map->items = calloc (json_object_size (v), sizeof (**map->items));
  if (*map->items == NULL)
    return jr_oom (p);
  json_object_foreach (v, key, value)
  {
    struct berth_key_value *kv = &(*map->items)[i++];
    *map->n = i;
    kv->key = strdup (key);
    if (kv->key == NULL)
      return jr_oom (p);
    if (jr_read_child (p, key, value, jr_read_string, &kv->value) < 0)
      return -1;
  }
  return 0;
}
