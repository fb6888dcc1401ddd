/* Reading containers: ps, inspect, logs, wait, top, port.  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"
#include "cleanup.h"
#include "engine/container.h"
#include "util.h"

static const char *
jstr (json_t *o, const char *path)
{
  cleanup_free char *p = strdup (path);
  json_t *cur = o;
  for (char *save = NULL, *k = p ? strtok_r (p, ".", &save) : NULL; k && cur;
       k = strtok_r (NULL, ".", &save))
    cur = json_object_get (cur, k);
  return json_string_value (cur) ?: "";
}

static json_t *
jget (json_t *o, const char *a, const char *b)
{
  return json_object_get (json_object_get (o, a), b);
}

/* "3 seconds" (Docker's HumanDuration) from cli_human_since's "3 seconds ago".  */
static void
human_duration (time_t since, char *buf, size_t size)
{
  size_t n;
  cli_human_since (since, buf, size);
  n = strlen (buf);
  if (n > 4 && strcmp (buf + n - 4, " ago") == 0)
    buf[n - 4] = '\0';
}

static void
status_text (json_t *rec, char *buf, size_t size)
{
  json_t *st = json_object_get (rec, "State");
  const char *s = json_string_value (json_object_get (st, "Status")) ?: "";
  long code = (long)json_integer_value (json_object_get (st, "ExitCode"));
  char d[64];

  if (strcmp (s, "running") == 0 || strcmp (s, "paused") == 0)
    {
      human_duration (berth_engine_parse_time (jstr (st, "StartedAt"), NULL), d, sizeof (d));
      snprintf (buf, size, "Up %s%s", d, strcmp (s, "paused") == 0 ? " (Paused)" : "");
    }
  else if (strcmp (s, "exited") == 0 || strcmp (s, "restarting") == 0)
    {
      cli_human_since (berth_engine_parse_time (jstr (st, "FinishedAt"), NULL), d, sizeof (d));
      snprintf (buf, size, "%s (%ld) %s", s[0] == 'e' ? "Exited" : "Restarting", code, d);
    }
  else
    snprintf (buf, size, "Created");
}

static char *
command_text (json_t *rec, bool trunc)
{
  char *cmd = NULL, *q = NULL;
  size_t len = 0, i;
  json_t *a;
  FILE *f = open_memstream (&cmd, &len);

  if (f == NULL)
    return NULL;
  fputs (jstr (rec, "Path"), f);
  json_array_foreach (json_object_get (rec, "Args"), i, a)
      fprintf (f, " %s", json_string_value (a) ?: "");
  fclose (f);
  if (trunc && strlen (cmd) > 20)
    strcpy (cmd + 19, "…");
  if (asprintf (&q, "\"%s\"", cmd) < 0)
    q = NULL;
  free (cmd);
  return q;
}

struct row
{
  json_t *rec;
  time_t created;
  long created_ns;
};

static int
by_created_desc (const void *a, const void *b)
{
  const struct row *x = a, *y = b;
  if (x->created != y->created)
    return x->created < y->created ? 1 : -1;
  return x->created_ns < y->created_ns ? 1 : x->created_ns > y->created_ns ? -1 : 0;
}

static bool
label_match (json_t *rec, const char *want)
{
  json_t *labels = jget (rec, "Config", "Labels");
  const char *eq = strchr (want, '=');
  cleanup_free char *key = eq ? strndup (want, eq - want) : strdup (want);
  json_t *v = key ? json_object_get (labels, key) : NULL;
  if (v == NULL)
    return false;
  return eq == NULL || strcmp (json_string_value (v) ?: "", eq + 1) == 0;
}

static bool
filters_match (json_t *rec, char **filters, size_t n)
{
  /* Docker: the same key given twice is an OR, different keys an AND.  */
  static const char *const keys[] = { "name", "id", "status", "label" };
  for (size_t k = 0; k < 4; k++)
    {
      bool any = false, ok = false;
      size_t kl = strlen (keys[k]);
      for (size_t i = 0; i < n; i++)
        {
          const char *f = filters[i];
          if (strncmp (f, keys[k], kl) != 0 || f[kl] != '=')
            continue;
          any = true;
          f += kl + 1;
          if (k == 0)
            ok = ok || strstr (jstr (rec, "Name") + 1, f) != NULL;
          else if (k == 1)
            ok = ok || strncmp (jstr (rec, "Id"), f, strlen (f)) == 0;
          else if (k == 2)
            ok = ok || strcmp (jstr (rec, "State.Status"), f) == 0;
          else
            ok = ok || label_match (rec, f);
        }
      if (any && !ok)
        return false;
    }
  return true;
}

/* NetworkSettings.Ports as Docker's PORTS column ("0.0.0.0:8080->80/tcp"),
 * or one mapping a line (SEP "\n") for `port`.  */
static char *
ports_text (json_t *ports, const char *sep)
{
  char *out = NULL;
  size_t len = 0, i;
  const char *k;
  json_t *v, *b;
  bool first = true;
  FILE *f = open_memstream (&out, &len);

  if (f == NULL)
    return NULL;
  json_object_foreach (ports, k, v)
  {
    json_array_foreach (v, i, b)
    {
      const char *ip = json_string_value (json_object_get (b, "HostIp")) ?: "0.0.0.0";
      const char *hp = json_string_value (json_object_get (b, "HostPort")) ?: "";
      if (strcmp (sep, "\n") == 0)
        fprintf (f, "%s -> %s:%s\n", k, ip, hp);
      else
        fprintf (f, "%s%s:%s->%s", first ? "" : sep, ip, hp, k);
      first = false;
    }
  }
  fclose (f);
  return out;
}

static json_t *
ps_fields (json_t *rec, bool trunc)
{
  cleanup_free char *ports = NULL;
  char status[128], created[64], id[65];
  cleanup_free char *cmd = command_text (rec, trunc);
  json_t *labels = jget (rec, "Config", "Labels"), *v;
  cleanup_free char *lab = NULL;
  size_t len = 0;
  const char *k;
  FILE *f = open_memstream (&lab, &len);
  bool first = true;

  json_object_foreach (labels, k, v)
  {
    if (f)
      fprintf (f, "%s%s=%s", first ? "" : ",", k, json_string_value (v) ?: "");
    first = false;
  }
  if (f)
    fclose (f);
  status_text (rec, status, sizeof (status));
  cli_human_since (berth_engine_parse_time (jstr (rec, "Created"), NULL), created,
                   sizeof (created));
  snprintf (id, sizeof (id), "%.*s", trunc ? 12 : 64, jstr (rec, "Id"));
  ports = ports_text (json_object_get (json_object_get (rec, "NetworkSettings"), "Ports"), ", ");
  return json_pack ("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", id, "Image",
                    jstr (rec, "Config.Image"), "Command", cmd ? cmd : "", "CreatedAt",
                    jstr (rec, "Created"), "RunningFor", created, "Status", status, "State",
                    jstr (rec, "State.Status"), "Ports", ports ? ports : "", "Names",
                    jstr (rec, "Name") + 1, "Labels", lab ? lab : "", "Mounts", "");
}

/* Docker's column names for the fields of `ps --format`.  */
static const char *
column_name (const char *field, size_t len)
{
  static const char *const names[][2] = {
    { "ID", "CONTAINER ID" },      { "Image", "IMAGE" },        { "Command", "COMMAND" },
    { "CreatedAt", "CREATED AT" }, { "RunningFor", "CREATED" }, { "Status", "STATUS" },
    { "State", "STATE" },          { "Ports", "PORTS" },        { "Names", "NAMES" },
    { "Labels", "LABELS" },        { "Mounts", "MOUNTS" },
  };
  for (size_t i = 0; i < sizeof (names) / sizeof (names[0]); i++)
    if (strlen (names[i][0]) == len && strncmp (names[i][0], field, len) == 0)
      return names[i][1];
  return NULL;
}

/* `--format "table ..."`: a header from the fields' column names, then the
 * rows, tab-separated cells aligned as Docker's tabwriter does.  */
static void
print_table (const char *format, json_t **rows, size_t n, berth_error_t *err)
{
  cleanup_free char *header = NULL;
  char **lines = calloc (n + 1, sizeof (char *));
  size_t hlen = 0, width[32] = { 0 };
  FILE *h = open_memstream (&header, &hlen);

  if (lines == NULL || h == NULL)
    {
      free (lines);
      if (h)
        fclose (h);
      return;
    }
  for (const char *p = format; *p;)
    {
      const char *end = strncmp (p, "{{", 2) == 0 ? strstr (p, "}}") : NULL;
      if (end == NULL)
        {
          if (p[0] == '\\' && p[1] == 't')
            {
              fputc ('\t', h);
              p += 2;
            }
          else
            fputc (*p++, h);
          continue;
        }
      {
        const char *a = p + 2, *b = end, *name;
        while (*a == ' ')
          a++;
        if (strncmp (a, "json ", 5) == 0)
          a += 5;
        while (*a == ' ' || *a == '.')
          a++;
        while (b > a && b[-1] == ' ')
          b--;
        name = column_name (a, (size_t)(b - a));
        if (name)
          fputs (name, h);
        else
          for (const char *c = a; c < b; c++)
            fputc (*c >= 'a' && *c <= 'z' ? *c - 32 : *c, h);
      }
      p = end + 2;
    }
  fclose (h);
  lines[0] = header;
  header = NULL;
  for (size_t i = 0; i < n; i++)
    if (cli_format_json (format, rows[i], &lines[i + 1], err) < 0)
      break;
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i <= n && lines[i]; i++)
      {
        size_t col = 0;
        for (char *cell = lines[i], *next;; cell = next + 1, col++)
          {
            next = strchr (cell, '\t');
            size_t w = next ? (size_t)(next - cell) : strlen (cell);
            if (pass == 0 && col < 32 && next && w > width[col])
              width[col] = w;
            if (pass == 1)
              printf ("%.*s", (int)w, cell);
            if (next == NULL)
              break;
            if (pass == 1)
              printf ("%*s", (int)(col < 32 ? width[col] - w + 3 : 3), "");
          }
        if (pass == 1)
          putchar ('\n');
      }
  for (size_t i = 0; i <= n; i++)
    free (lines[i]);
  free (lines);
}

int
cmd_ps (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "all", no_argument, NULL, 'a' },
    { "quiet", no_argument, NULL, 'q' },
    { "last", required_argument, NULL, 'n' },
    { "latest", no_argument, NULL, 'l' },
    { "filter", required_argument, NULL, 'f' },
    { "format", required_argument, NULL, 'F' },
    { "no-trunc", no_argument, NULL, 'T' },
    { "size", no_argument, NULL, 's' },
    { NULL, 0, NULL, 0 },
  };
  bool all = false, quiet = false, trunc = true;
  long last = -1;
  const char *format = NULL;
  char *filters[32];
  size_t n_filters = 0, n = 0, n_rows = 0;
  struct berth_store_entry *ents = NULL;
  struct berth_engine *e;
  struct row *rows;
  int c;

  while ((c = getopt_long (argc, argv, "aqn:lf:s", opts, NULL)) != -1)
    switch (c)
      {
      case 'a':
        all = true;
        break;
      case 'q':
        quiet = true;
        break;
      case 'n':
        if (!berth_parse_long (optarg, &last))
          {
            berth_error (err, 0, "ps: invalid --last `%s`", optarg);
            return BERTH_EXIT_ERROR;
          }
        break;
      case 'l':
        last = 1;
        break;
      case 'f':
        if (n_filters == 32 || !strchr (optarg, '=')
            || (strncmp (optarg, "name=", 5) && strncmp (optarg, "id=", 3)
                && strncmp (optarg, "status=", 7) && strncmp (optarg, "label=", 6)))
          {
            berth_error (err, 0, "ps: invalid filter `%s`", optarg);
            return BERTH_EXIT_ERROR;
          }
        filters[n_filters++] = optarg;
        break;
      case 'F':
        format = optarg;
        break;
      case 'T':
        trunc = false;
        break;
      case 's':
        break;
      default:
        return cli_bad_option ("ps", argc, argv, err);
      }
  if (last >= 0)
    all = true;
  for (size_t i = 0; i < n_filters; i++)
    if (strncmp (filters[i], "status=", 7) == 0)
      all = true;
  if (cli_engine (cli, &e, err) < 0 || berth_store_list (e->store, &ents, &n, err) < 0)
    return BERTH_EXIT_ERROR;
  rows = calloc (n + 1, sizeof (*rows));
  for (size_t i = 0; rows && i < n; i++)
    {
      json_t *rec = NULL;
      berth_error_t e2 = NULL;
      if (!ents[i].complete || berth_engine_record (e, ents[i].id, &rec, &e2) < 0)
        {
          berth_error_release (&e2);
          continue;
        }
      rows[n_rows].rec = rec;
      rows[n_rows].created
          = berth_engine_parse_time (jstr (rec, "Created"), &rows[n_rows].created_ns);
      n_rows++;
    }
  berth_store_entries_free (ents, n);
  if (rows == NULL)
    return berth_error (err, ENOMEM, "ps"), BERTH_EXIT_ERROR;
  qsort (rows, n_rows, sizeof (*rows), by_created_desc);
  if (last >= 0 && (size_t)last < n_rows)
    {
      for (size_t i = (size_t)last; i < n_rows; i++)
        json_decref (rows[i].rec);
      n_rows = (size_t)last;
    }
  bool table = false;
  if (format && strncmp (format, "table", 5) == 0)
    {
      table = true;
      format += 5;
      while (*format == ' ')
        format++;
      if (*format == '\0')
        format = NULL; /* the default table */
    }
  {
    static const char *const cols[]
        = { "ID", "Image", "Command", "RunningFor", "Status", "Ports", "Names" };
    static const char *const heads[]
        = { "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES" };
    json_t **shown = calloc (n_rows + 1, sizeof (json_t *));
    size_t n_shown = 0, width[7];

    for (size_t k = 0; k < 7; k++)
      width[k] = strlen (heads[k]);
    for (size_t i = 0; shown && i < n_rows; i++)
      {
        json_t *rec = rows[i].rec;
        bool running = json_is_true (jget (rec, "State", "Running"))
                       || json_is_true (jget (rec, "State", "Restarting"));
        if ((all || running) && filters_match (rec, filters, n_filters))
          {
            json_t *f = ps_fields (rec, trunc);
            shown[n_shown++] = f;
            for (size_t k = 0; k < 7; k++)
              {
                const char *s = json_string_value (json_object_get (f, cols[k])) ?: "";
                size_t w = strlen (s);
                /* the ellipsis is one column wide, three bytes */
                if (strstr (s, "…"))
                  w -= 2;
                if (w > width[k])
                  width[k] = w;
              }
          }
      }
    if (!quiet && !format)
      {
        for (size_t k = 0; k < 7; k++)
          printf ("%-*s%s", k < 6 ? (int)width[k] : 0, heads[k], k < 6 ? "   " : "\n");
      }
    if (table && format && !quiet)
      {
        print_table (format, shown, n_shown, err);
        for (size_t i = 0; i < n_shown; i++)
          json_decref (shown[i]);
        n_shown = 0;
      }
    for (size_t i = 0; i < n_shown; i++)
      {
        if (quiet)
          printf ("%s\n", json_string_value (json_object_get (shown[i], "ID")));
        else if (format)
          {
            cleanup_free char *line = NULL;
            if (cli_format_json (format, shown[i], &line, err) < 0)
              break;
            printf ("%s\n", line);
          }
        else
          for (size_t k = 0; k < 7; k++)
            {
              const char *s = json_string_value (json_object_get (shown[i], cols[k])) ?: "";
              int pad = (int)width[k] + (strstr (s, "…") ? 2 : 0);
              printf ("%-*s%s", k < 6 ? pad : 0, s, k < 6 ? "   " : "\n");
            }
        json_decref (shown[i]);
      }
    free (shown);
  }
  for (size_t i = 0; i < n_rows; i++)
    json_decref (rows[i].rec);
  free (rows);
  return *err ? BERTH_EXIT_ERROR : 0;
}

int
cmd_inspect (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' },
    { "type", required_argument, NULL, 't' },
    { "size", no_argument, NULL, 's' },
    { NULL, 0, NULL, 0 },
  };
  const char *format = NULL, *type = NULL;
  struct berth_engine *e;
  json_t *all = json_array ();
  int c, ret = 0;

  while ((c = getopt_long (argc, argv, "f:s", opts, NULL)) != -1)
    if (c == 'f')
      format = optarg;
    else if (c == 't')
      type = optarg;
    else if (c != 's')
      return cli_bad_option ("inspect", argc, argv, err);
  if (optind >= argc)
    {
      berth_error (err, 0, "inspect: a container or image is needed");
      return BERTH_EXIT_ERROR;
    }
  if (cli_engine (cli, &e, err) < 0)
    return BERTH_EXIT_ERROR;
  for (int i = optind; i < argc; i++)
    {
      char id[BERTH_ID_LEN + 1];
      berth_error_t e2 = NULL;
      json_t *rec = NULL;

      if ((type == NULL || strcmp (type, "container") == 0)
          && berth_engine_find (e, argv[i], id, &rec, &e2) == 0)
        json_object_del (rec, "Berth");
      else if (type == NULL || strcmp (type, "image") == 0)
        {
          struct berth_image *img = NULL;
          berth_error_release (&e2);
          if (berth_image_get (e->images, argv[i], &img, &e2) == 0)
            {
              rec = berth_image_inspect_json (img);
              berth_image_free (img);
            }
          else
            {
              berth_error_release (&e2);
              berth_error (&e2, 0, "No such object: %s", argv[i]);
            }
        }
      if (rec == NULL)
        {
          cli_more_error (err, &e2);
          ret = BERTH_EXIT_ERROR;
          continue;
        }
      json_array_append_new (all, rec);
    }
  if (format)
    {
      size_t i;
      json_t *rec;
      json_array_foreach (all, i, rec)
      {
        cleanup_free char *line = NULL;
        berth_error_t e2 = NULL;
        if (cli_format_json (format, rec, &line, &e2) < 0)
          {
            cli_more_error (err, &e2);
            ret = BERTH_EXIT_ERROR;
            break;
          }
        printf ("%s\n", line);
      }
    }
  else
    {
      char *s = json_dumps (all, JSON_INDENT (4) | JSON_PRESERVE_ORDER);
      if (s)
        printf ("%s\n", s);
      free (s);
    }
  json_decref (all);
  return ret;
}

/* ---- logs ---- */

struct logs_opts
{
  bool timestamps;
  time_t since;
};

static void
print_log_line (const char *line, const struct logs_opts *o)
{
  json_t *j = json_loads (line, 0, NULL);
  const char *text, *stream, *t;
  if (j == NULL)
    return;
  text = json_string_value (json_object_get (j, "log")) ?: "";
  stream = json_string_value (json_object_get (j, "stream")) ?: "stdout";
  t = json_string_value (json_object_get (j, "time")) ?: "";
  if (o->since == 0 || berth_engine_parse_time (t, NULL) >= o->since)
    {
      FILE *f = strcmp (stream, "stderr") == 0 ? stderr : stdout;
      if (o->timestamps)
        fprintf (f, "%s ", t);
      fputs (text, f);
      fflush (f);
    }
  json_decref (j);
}

static time_t
parse_since (const char *s)
{
  char *end;
  double v = strtod (s, &end);
  time_t t;
  if (end != s && *end == '\0')
    return (time_t)v;
  if (end != s && (strcmp (end, "s") == 0 || strcmp (end, "m") == 0 || strcmp (end, "h") == 0))
    return time (NULL) - (time_t)(v * (*end == 's' ? 1 : *end == 'm' ? 60 : 3600));
  t = berth_engine_parse_time (s, NULL);
  return t ? t : -1;
}

int
cmd_logs (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "follow", no_argument, NULL, 'f' },      { "tail", required_argument, NULL, 'n' },
    { "since", required_argument, NULL, 'S' }, { "timestamps", no_argument, NULL, 't' },
    { "details", no_argument, NULL, 'd' },     { NULL, 0, NULL, 0 },
  };
  struct logs_opts o = { 0 };
  bool follow = false;
  long tail = -1;
  struct berth_engine *e;
  char id[BERTH_ID_LEN + 1];
  json_t *rec = NULL;
  cleanup_free char *path = NULL, *old = NULL, *all = NULL;
  size_t all_len = 0;
  off_t pos = 0;
  ino_t ino = 0;
  int c;

  while ((c = getopt_long (argc, argv, "fn:t", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        follow = true;
        break;
      case 'n':
        if (strcmp (optarg, "all") != 0 && !berth_parse_long (optarg, &tail))
          {
            berth_error (err, 0, "logs: invalid --tail `%s`", optarg);
            return BERTH_EXIT_ERROR;
          }
        break;
      case 'S':
        o.since = parse_since (optarg);
        if (o.since < 0)
          {
            berth_error (err, 0, "logs: invalid --since `%s`", optarg);
            return BERTH_EXIT_ERROR;
          }
        break;
      case 't':
        o.timestamps = true;
        break;
      case 'd':
        break;
      default:
        return cli_bad_option ("logs", argc, argv, err);
      }
  if (argc - optind != 1)
    {
      berth_error (err, 0, "logs: one container is needed");
      return BERTH_EXIT_ERROR;
    }
  if (cli_engine (cli, &e, err) < 0 || berth_engine_find (e, argv[optind], id, &rec, err) < 0)
    return BERTH_EXIT_ERROR;
  path = strdup (jstr (rec, "LogPath"));
  json_decref (rec);
  if (path == NULL || asprintf (&old, "%s.1", path) < 0)
    return berth_error (err, ENOMEM, "logs"), BERTH_EXIT_ERROR;
  {
    /* The rotated file first, then the current one.  */
    cleanup_free char *a = NULL, *b = NULL;
    size_t al = 0, bl = 0;
    struct stat st;
    berth_read_file (old, &a, &al, NULL);
    {
      cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd >= 0 && fstat (fd, &st) == 0)
        {
          ino = st.st_ino;
          berth_read_fd (fd, &b, &bl, NULL);
          pos = (off_t)bl;
        }
    }
    all = malloc (al + bl + 1);
    if (all == NULL)
      return berth_error (err, ENOMEM, "logs"), BERTH_EXIT_ERROR;
    if (al)
      memcpy (all, a, al);
    if (bl)
      memcpy (all + al, b, bl);
    all_len = al + bl;
    all[all_len] = '\0';
  }
  {
    /* Whole lines only; --tail counts from the end.  */
    size_t start = 0, nlines = 0;
    for (size_t i = 0; i < all_len; i++)
      if (all[i] == '\n')
        nlines++;
    if (tail >= 0 && (size_t)tail < nlines)
      {
        size_t skip = nlines - (size_t)tail;
        for (size_t i = 0; i < all_len && skip; i++)
          if (all[i] == '\n' && --skip == 0)
            start = i + 1;
      }
    for (char *line = all + start, *nl; (nl = strchr (line, '\n')); line = nl + 1)
      {
        *nl = '\0';
        print_log_line (line, &o);
      }
  }
  if (!follow)
    return 0;
  {
    char *pending = NULL;
    size_t plen = 0;
    for (;;)
      {
        bool alive = berth_engine_monitor_alive (e, id);
        struct stat st;
        cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && fstat (fd, &st) == 0)
          {
            char buf[65536];
            ssize_t n;
            if (st.st_ino != ino)
              {
                ino = st.st_ino; /* rotated: a new file from its start */
                pos = 0;
              }
            lseek (fd, pos, SEEK_SET);
            while ((n = read (fd, buf, sizeof (buf))) > 0)
              {
                char *grown = realloc (pending, plen + (size_t)n + 1);
                if (grown == NULL)
                  break;
                pending = grown;
                memcpy (pending + plen, buf, (size_t)n);
                plen += (size_t)n;
                pos += n;
              }
            if (pending)
              {
                size_t used = 0;
                pending[plen] = '\0';
                for (char *line = pending, *nl; (nl = strchr (line, '\n')); line = nl + 1)
                  {
                    *nl = '\0';
                    print_log_line (line, &o);
                    used = (size_t)(nl + 1 - pending);
                  }
                memmove (pending, pending + used, plen - used);
                plen -= used;
              }
          }
        if (!alive)
          break;
        berth_sleep_ms (100);
      }
    free (pending);
  }
  return 0;
}

int
cmd_wait (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  struct berth_engine *e;
  int ret = 0;

  if (argc < 2)
    {
      berth_error (err, 0, "wait: a container is needed");
      return BERTH_EXIT_ERROR;
    }
  if (cli_engine (cli, &e, err) < 0)
    return BERTH_EXIT_ERROR;
  for (int i = 1; i < argc; i++)
    {
      char id[BERTH_ID_LEN + 1];
      berth_error_t e2 = NULL;
      json_t *rec = NULL;
      if (berth_engine_find (e, argv[i], id, NULL, &e2) < 0
          || berth_engine_wait_stopped (e, id, -1, &e2) < 0
          || berth_engine_record (e, id, &rec, &e2) < 0)
        {
          cli_more_error (err, &e2);
          ret = BERTH_EXIT_ERROR;
          continue;
        }
      printf ("%lld\n", (long long)json_integer_value (jget (rec, "State", "ExitCode")));
      json_decref (rec);
    }
  return ret;
}

int
cmd_top (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  struct berth_engine *e;
  char id[BERTH_ID_LEN + 1];
  cleanup_free pid_t *pids = NULL;
  cleanup_free char *list = NULL;
  size_t n = 0, len = 0;
  FILE *f;
  pid_t child;
  int status;

  if (argc < 2)
    {
      berth_error (err, 0, "top: a container is needed");
      return BERTH_EXIT_ERROR;
    }
  if (cli_engine (cli, &e, err) < 0 || berth_engine_find (e, argv[1], id, NULL, err) < 0)
    return BERTH_EXIT_ERROR;
  if (berth_container_pids (&e->rt, id, &pids, &n, err) < 0 || n == 0)
    {
      if (*err == NULL)
        berth_error (err, 0, "container %s is not running", id);
      return BERTH_EXIT_ERROR;
    }
  f = open_memstream (&list, &len);
  for (size_t i = 0; f && i < n; i++)
    fprintf (f, "%s%d", i ? "," : "", pids[i]);
  if (f)
    fclose (f);
  fflush (stdout);
  child = fork ();
  if (child == 0)
    {
      if (argc > 2)
        {
          /* `top C ps-options`: as Docker, the options replace -f.  */
          char **av = calloc ((size_t)argc + 3, sizeof (char *));
          av[0] = "ps";
          for (int i = 2; i < argc; i++)
            av[i - 1] = argv[i];
          av[argc - 1] = "-p";
          av[argc] = list;
          execvp ("ps", av);
        }
      else
        execlp ("ps", "ps", "-f", "-p", list, (char *)NULL);
      _exit (127);
    }
  if (child < 0 || waitpid (child, &status, 0) < 0)
    return berth_error (err, errno, "top: ps"), BERTH_EXIT_ERROR;
  return WIFEXITED (status) && WEXITSTATUS (status) == 0 ? 0 : BERTH_EXIT_ERROR;
}

int
cmd_port (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  struct berth_engine *e;
  char id[BERTH_ID_LEN + 1];

  if (argc < 2)
    {
      berth_error (err, 0, "port: a container is needed");
      return BERTH_EXIT_ERROR;
    }
  json_t *rec = NULL, *ports;
  cleanup_free char *text = NULL;

  if (cli_engine (cli, &e, err) < 0 || berth_engine_find (e, argv[1], id, &rec, err) < 0)
    return BERTH_EXIT_ERROR;
  ports = json_object_get (json_object_get (rec, "NetworkSettings"), "Ports");
  if (argc > 2)
    {
      /* port CONTAINER 80[/tcp]: that mapping's host side only.  */
      char key[32];
      json_t *one, *b;
      size_t i;
      snprintf (key, sizeof (key), "%s%s", argv[2], strchr (argv[2], '/') ? "" : "/tcp");
      one = json_object_get (ports, key);
      if (one == NULL)
        {
          json_decref (rec);
          berth_error (err, 0, "no public port '%s' published for %s", key, argv[1]);
          return BERTH_EXIT_ERROR;
        }
      json_array_foreach (one, i, b)
          printf ("%s:%s\n", json_string_value (json_object_get (b, "HostIp")),
                  json_string_value (json_object_get (b, "HostPort")));
      json_decref (rec);
      return 0;
    }
  text = ports_text (ports, "\n");
  if (text)
    fputs (text, stdout);
  json_decref (rec);
  return 0;
}
