/* Output helpers shared by the commands: Go-template field substitution over
 * a JSON object (what `--format` does in Docker for the common cases), and
 * Docker's human-readable sizes and ages.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "berth.h"
#include "cleanup.h"

/* Walk ".A.B" from obj; "." is obj itself.  */
static json_t *
lookup (json_t *obj, const char *path, size_t len)
{
  cleanup_free char *p = strndup (path, len);
  json_t *cur = obj;
  if (p == NULL || p[0] != '.')
    return NULL;
  for (char *save = NULL, *k = strtok_r (p + 1, ".", &save); k && cur;
       k = strtok_r (NULL, ".", &save))
    cur = json_object_get (cur, k);
  return cur;
}

/* As Go's text/template prints a value: strings bare, lists "[a b]", maps
 * "map[k:v]" (keys sorted); {{json ...}} prints JSON instead.  */
static void
print_value (FILE *f, json_t *v, bool as_json)
{
  if (as_json)
    {
      char *s = json_dumps (v, JSON_COMPACT | JSON_ENCODE_ANY);
      if (s)
        fputs (s, f);
      free (s);
      return;
    }
  switch (json_typeof (v))
    {
    case JSON_STRING:
      fputs (json_string_value (v), f);
      break;
    case JSON_NULL:
      fputs ("<no value>", f);
      break;
    case JSON_ARRAY:
      {
        size_t i;
        json_t *x;
        fputc ('[', f);
        json_array_foreach (v, i, x)
        {
          if (i)
            fputc (' ', f);
          print_value (f, x, false);
        }
        fputc (']', f);
        break;
      }
    case JSON_OBJECT:
      {
        char *sorted = json_dumps (v, JSON_SORT_KEYS | JSON_COMPACT);
        json_t *o = sorted ? json_loads (sorted, JSON_DECODE_ANY, NULL) : NULL;
        const char *k;
        json_t *x;
        bool first = true;
        fputs ("map[", f);
        json_object_foreach (o, k, x)
        {
          fprintf (f, "%s%s:", first ? "" : " ", k);
          print_value (f, x, false);
          first = false;
        }
        fputc (']', f);
        json_decref (o);
        free (sorted);
        break;
      }
    default:
      {
        char *s = json_dumps (v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (s)
          fputs (s, f);
        free (s);
      }
    }
}

int
cli_format_json (const char *tmpl, json_t *obj, char **out, berth_error_t *err)
{
  size_t size = 0;
  FILE *f = open_memstream (out, &size);
  const char *p = tmpl;

  if (f == NULL)
    return berth_error (err, ENOMEM, "format");
  while (*p)
    {
      if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n'))
        {
          fputc (p[1] == 't' ? '\t' : '\n', f);
          p += 2;
          continue;
        }
      if (strncmp (p, "{{", 2) != 0)
        {
          fputc (*p++, f);
          continue;
        }
      const char *end = strstr (p, "}}"), *a = p + 2, *b;
      bool as_json = false;
      json_t *v;
      if (end == NULL)
        {
          fclose (f);
          return berth_error (err, 0, "template: unclosed action in `%s`", tmpl);
        }
      while (*a == ' ')
        a++;
      if (strncmp (a, "json ", 5) == 0)
        {
          as_json = true;
          a += 5;
          while (*a == ' ')
            a++;
        }
      b = end;
      while (b > a && b[-1] == ' ')
        b--;
      v = lookup (obj, a, b - a);
      if (v == NULL)
        {
          fclose (f);
          return berth_error (err, 0, "template: can't evaluate field `%.*s`", (int)(b - a), a);
        }
      print_value (f, v, as_json);
      p = end + 2;
    }
  fclose (f);
  return 0;
}

void
cli_human_size (int64_t bytes, char *buf, size_t size)
{
  static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
  double v = bytes;
  size_t i = 0;
  while (v >= 1000 && i < 5)
    {
      v /= 1000;
      i++;
    }
  snprintf (buf, size, "%.3g%s", v, units[i]);
}

void
cli_human_since (time_t t, char *buf, size_t size)
{
  long s = (long)(time (NULL) - t), m = s / 60, h = m / 60;
  if (t == 0)
    snprintf (buf, size, "N/A");
  else if (s < 1)
    snprintf (buf, size, "Less than a second ago");
  else if (s == 1)
    snprintf (buf, size, "1 second ago");
  else if (s < 60)
    snprintf (buf, size, "%ld seconds ago", s);
  else if (m == 1)
    snprintf (buf, size, "About a minute ago");
  else if (m < 60)
    snprintf (buf, size, "%ld minutes ago", m);
  else if (h == 1)
    snprintf (buf, size, "About an hour ago");
  else if (h < 48)
    snprintf (buf, size, "%ld hours ago", h);
  else if (h < 24 * 7 * 2)
    snprintf (buf, size, "%ld days ago", h / 24);
  else if (h < 24 * 30 * 2)
    snprintf (buf, size, "%ld weeks ago", h / 24 / 7);
  else if (h < 24 * 365 * 2)
    snprintf (buf, size, "%ld months ago", h / 24 / 30);
  else
    snprintf (buf, size, "%ld years ago", h / 24 / 365);
}
