/* Private to oci/: the primitives of the config.json reader.  A parser keeps
 * the JSON path of the value being read, so every failure names its field
 * ("mounts[2].destination: expected string").  Readers have the shape
 * reader_fn: read V into OUT, return 0 or a negative error.  */
#ifndef BERTH_OCI_JSON_READER_H
#define BERTH_OCI_JSON_READER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "spec.h"

/* Walk state: the JSON path of the value being read, kept in a fixed buffer
 * so that a valid document costs no allocation for error context.  */
struct parser
{
  berth_error_t *err;
  bool ints_as_real; /* document decoded with JSON_DECODE_INT_AS_REAL */
  size_t len;
  char path[512];
};

/* Reads JSON value V into OUT; the parser's path names V.  */
typedef int (*reader_fn) (struct parser *p, json_t *v, void *out);

size_t jr_path_append (struct parser *p, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
/* Fail at the current path, or at its member KEY when KEY is not NULL.  */
int jr_fail (struct parser *p, const char *key, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
size_t jr_path_key (struct parser *p, const char *key);
size_t jr_path_index (struct parser *p, size_t i);
void jr_path_pop (struct parser *p, size_t mark);
int jr_oom (struct parser *p);
json_t *jr_member (json_t *obj, const char *key);
int jr_read_child (struct parser *p, const char *key, json_t *v, reader_fn fn, void *out);
int jr_optional (struct parser *p, json_t *obj, const char *key, reader_fn fn, void *out);
int jr_required (struct parser *p, json_t *obj, const char *key, reader_fn fn, void *out);
int jr_expect_object (struct parser *p, json_t *v);
int jr_new_items (struct parser *p, json_t *v, size_t size, void **items, size_t *n);
int jr_read_elements (struct parser *p, json_t *array, void *items, size_t size, reader_fn fn);
int jr_read_bool (struct parser *p, json_t *v, void *out);
int jr_read_string (struct parser *p, json_t *v, void *out);
int jr_read_path (struct parser *p, json_t *v, void *out);
bool jr_unsigned_value (const struct parser *p, json_t *v, uint64_t *out);
bool jr_signed_value (const struct parser *p, json_t *v, int64_t *out);
int jr_read_u64 (struct parser *p, json_t *v, void *out);
int jr_read_u32 (struct parser *p, json_t *v, void *out);
int jr_read_unsigned (struct parser *p, json_t *v, void *out);
int jr_read_mode (struct parser *p, json_t *v, void *out);
int jr_read_i64 (struct parser *p, json_t *v, void *out);
int jr_read_int (struct parser *p, json_t *v, void *out);
int jr_read_strv (struct parser *p, json_t *v, void *out);
int jr_ensure_strv (struct parser *p, char ***v);
/* Output of jr_read_string_map: an object of strings as key/value pairs.  */
struct string_map
{
  struct berth_key_value **items;
  size_t *n;
};
int jr_read_string_map (struct parser *p, json_t *v, void *out);

#endif
