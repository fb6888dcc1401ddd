/* JSON writing helpers shared by the spec generators.  */
#include "json_writer.h"

json_t *
berth_json_string_array (const char *const *v)
{
  json_t *a = json_array ();

  for (; a && *v; v++)
    if (json_array_append_new (a, json_string (*v)) < 0)
      {
        json_decref (a);
        return NULL;
      }
  return a;
}
