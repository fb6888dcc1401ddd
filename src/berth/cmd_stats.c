/* berth stats: Docker's resource table (CPU %, memory, network and block
 * I/O, pids) from libberth's cgroup statistics, which read v1, hybrid and v2
 * hierarchies alike.  CPU % needs two samples: the CPU time the cgroup used
 * between them over the wall time between them (Docker's formula, since its
 * system delta is the wall time times the online CPUs).  */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"
#include "cleanup.h"
#include "engine/container.h"
#include "util.h"

#define DEFAULT_FORMAT                                                                             \
  "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}"  \
  "\t{{.PIDs}}"

struct sample
{
  char id[BERTH_ID_LEN + 1];
  char *name;
  bool running;
  bool host_net;
  pid_t pid;
  uint64_t cpu_ns, mem, limit, net_rx, net_tx, blk_r, blk_w, pids;
  struct timespec at;
};

static json_t *
path_get (json_t *o, const char *path)
{
  cleanup_free char *p = strdup (path);
  for (char *save = NULL, *k = p ? strtok_r (p, ".", &save) : NULL; k && o;
       k = strtok_r (NULL, ".", &save))
    o = json_object_get (o, k);
  return o;
}

static uint64_t
u64_at (json_t *o, const char *path)
{
  json_int_t v = json_integer_value (path_get (o, path));
  return v > 0 ? (uint64_t)v : 0;
}

static uint64_t
host_memory (void)
{
  long pages = sysconf (_SC_PHYS_PAGES), page = sysconf (_SC_PAGESIZE);
  return pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
}

/* The container's own interfaces (its netns, seen through its init's
 * /proc/PID/net/dev), loopback left out as Docker does.  */
static void
read_net (struct sample *s)
{
  char path[64], line[512];
  cleanup_file FILE *f = NULL;

  snprintf (path, sizeof (path), "/proc/%d/net/dev", s->pid);
  f = fopen (path, "re");
  while (f && fgets (line, sizeof (line), f))
    {
      char *colon = strchr (line, ':'), *name = line;
      unsigned long long v[9];
      if (colon == NULL)
        continue;
      *colon = '\0';
      while (*name == ' ')
        name++;
      if (strcmp (name, "lo") == 0)
        continue;
      if (sscanf (colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                  &v[3], &v[4], &v[5], &v[6], &v[7], &v[8])
          == 9)
        {
          s->net_rx += v[0];
          s->net_tx += v[8];
        }
    }
}

static void
read_blkio (struct sample *s, json_t *data)
{
  json_t *list = path_get (data, "blkio.ioServiceBytesRecursive"), *e;
  size_t i;

  json_array_foreach (list, i, e)
  {
    const char *op = json_string_value (json_object_get (e, "op"));
    uint64_t v = u64_at (e, "value");
    if (op && strcasecmp (op, "read") == 0)
      s->blk_r += v;
    else if (op && strcasecmp (op, "write") == 0)
      s->blk_w += v;
  }
}

/* One sample of ID; a stopped container (or one that stops meanwhile) has
 * none (shown as "--").  */
static void
fill_sample (struct berth_engine *e, const char *id, struct sample *s)
{
  json_t *rec = NULL, *ev = NULL, *data;
  berth_error_t e2 = NULL;
  uint64_t inactive, host = host_memory ();
  const char *name;

  free (s->name);
  memset (s, 0, sizeof (*s));
  snprintf (s->id, sizeof (s->id), "%s", id);
  clock_gettime (CLOCK_MONOTONIC, &s->at);
  if (berth_engine_record (e, id, &rec, &e2) < 0)
    {
      berth_error_release (&e2);
      return;
    }
  name = json_string_value (json_object_get (rec, "Name")) ?: "";
  s->name = strdup (name[0] == '/' ? name + 1 : name);
  s->running = json_is_true (path_get (rec, "State.Running"));
  s->pid = (pid_t)json_integer_value (path_get (rec, "State.Pid"));
  s->host_net
      = strcmp (json_string_value (path_get (rec, "HostConfig.NetworkMode")) ?: "", "host") == 0;
  json_decref (rec);
  if (!s->running)
    return;
  if (berth_container_stats (&e->rt, id, &ev, &e2) < 0)
    {
      berth_error_release (&e2);
      s->running = false;
      return;
    }
  data = json_object_get (ev, "data");
  s->cpu_ns = u64_at (data, "cpu.usage.total");
  /* Docker's usage leaves out the page cache that can be dropped.  */
  s->mem = u64_at (data, "memory.usage.usage");
  inactive = json_object_get (path_get (data, "memory.raw"), "total_inactive_file")
                 ? u64_at (data, "memory.raw.total_inactive_file")
                 : u64_at (data, "memory.raw.inactive_file");
  s->mem = s->mem > inactive ? s->mem - inactive : 0;
  s->limit = u64_at (data, "memory.usage.limit");
  if (s->limit == 0 || (host && s->limit > host))
    s->limit = host;
  s->pids = u64_at (data, "pids.current");
  read_blkio (s, data);
  if (!s->host_net && s->pid > 0)
    read_net (s);
  json_decref (ev);
}

/* Docker's sizes: binary units for memory (64MiB), decimal ones for I/O.  */
static void
binary_size (uint64_t bytes, char *buf, size_t size)
{
  static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
  double v = (double)bytes;
  size_t i = 0;
  while (v >= 1024 && i < 5)
    {
      v /= 1024;
      i++;
    }
  snprintf (buf, size, "%.4g%s", v, units[i]);
}

static json_t *
row_of (const struct sample *prev, const struct sample *cur, bool no_trunc)
{
  char mem[32], lim[32], rx[32], tx[32], br[32], bw[32], usage[80], net[80], blk[80], cpu[32],
      memp[32], pids[32];
  double wall = (double)(cur->at.tv_sec - prev->at.tv_sec) * 1e9
                + (double)(cur->at.tv_nsec - prev->at.tv_nsec);
  double cpu_pct = 0, mem_pct = 0;

  if (cur->running && prev->running && wall > 0 && cur->cpu_ns > prev->cpu_ns)
    cpu_pct = (double)(cur->cpu_ns - prev->cpu_ns) / wall * 100.0;
  if (cur->limit)
    mem_pct = (double)cur->mem / (double)cur->limit * 100.0;
  binary_size (cur->mem, mem, sizeof (mem));
  binary_size (cur->limit, lim, sizeof (lim));
  cli_human_size ((int64_t)cur->net_rx, rx, sizeof (rx));
  cli_human_size ((int64_t)cur->net_tx, tx, sizeof (tx));
  cli_human_size ((int64_t)cur->blk_r, br, sizeof (br));
  cli_human_size ((int64_t)cur->blk_w, bw, sizeof (bw));
  snprintf (usage, sizeof (usage), "%s / %s", mem, lim);
  snprintf (net, sizeof (net), "%s / %s", rx, tx);
  snprintf (blk, sizeof (blk), "%s / %s", br, bw);
  snprintf (cpu, sizeof (cpu), "%.2f%%", cpu_pct);
  snprintf (memp, sizeof (memp), "%.2f%%", mem_pct);
  snprintf (pids, sizeof (pids), "%llu", (unsigned long long)cur->pids);
  /* Nothing to measure: Docker's "--", not zeros that look measured.  */
  if (!cur->running)
    {
      snprintf (cpu, sizeof (cpu), "--");
      snprintf (usage, sizeof (usage), "-- / --");
      snprintf (memp, sizeof (memp), "--");
      snprintf (net, sizeof (net), "--");
      snprintf (blk, sizeof (blk), "--");
      snprintf (pids, sizeof (pids), "--");
    }
  return json_pack ("{s:s%,s:s%,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", cur->id,
                    no_trunc ? strlen (cur->id) : (size_t)12, "Container", cur->id,
                    no_trunc ? strlen (cur->id) : (size_t)12, "Name", cur->name ?: "", "CPUPerc",
                    cpu, "MemUsage", usage, "MemPerc", memp, "NetIO", net, "BlockIO", blk, "PIDs",
                    pids);
}

/* A "table ..." format: the header from the same template, then the rows;
 * columns padded as Docker's tabwriter does (3 spaces between).  */
static int
print_table (const char *format, json_t **rows, size_t n, bool table, berth_error_t *err)
{
  static json_t *header;
  char **lines = calloc (n + 1, sizeof (char *));
  size_t widths[32] = { 0 };
  int ret = 0;

  if (lines == NULL)
    return berth_error (err, ENOMEM, "stats");
  if (header == NULL)
    header = json_pack ("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", "CONTAINER ID", "Container",
                        "CONTAINER", "Name", "NAME", "CPUPerc", "CPU %", "MemUsage",
                        "MEM USAGE / LIMIT", "MemPerc", "MEM %", "NetIO", "NET I/O", "BlockIO",
                        "BLOCK I/O", "PIDs", "PIDS");
  for (size_t i = 0; i <= n && ret == 0; i++)
    {
      if (i == 0 && !table)
        continue;
      ret = cli_format_json (format, i == 0 ? header : rows[i - 1], &lines[i], err);
    }
  /* Column widths over every line's tab-separated cells.  */
  for (size_t i = 0; ret == 0 && i <= n; i++)
    {
      size_t col = 0;
      for (char *p = lines[i]; p && col < 32; col++)
        {
          char *tab = strchr (p, '\t');
          size_t len = tab ? (size_t)(tab - p) : strlen (p);
          if (tab && len > widths[col])
            widths[col] = len;
          p = tab ? tab + 1 : NULL;
        }
    }
  for (size_t i = 0; ret == 0 && i <= n; i++)
    {
      size_t col = 0;
      if (lines[i] == NULL)
        continue;
      for (char *p = lines[i]; p; col++)
        {
          char *tab = strchr (p, '\t');
          if (tab)
            printf ("%-*.*s   ", (int)widths[col < 32 ? col : 31], (int)(tab - p), p);
          else
            fputs (p, stdout);
          p = tab ? tab + 1 : NULL;
        }
      putchar ('\n');
    }
  for (size_t i = 0; i <= n; i++)
    free (lines[i]);
  free (lines);
  return ret;
}

static volatile sig_atomic_t interrupted;

static void
on_interrupt (int sig)
{
  (void)sig;
  interrupted = 1;
}

/* The containers to show: those named, else the running ones (every one
 * with -a).  */
static int
pick (struct berth_engine *e, int argc, char **argv, bool all, struct sample **out, size_t *n,
      berth_error_t *err)
{
  struct berth_store_entry *ents = NULL;
  size_t n_ents = 0;
  struct sample *s;

  *n = 0;
  if (argc > 0)
    {
      s = calloc ((size_t)argc, sizeof (*s));
      if (s == NULL)
        return berth_error (err, ENOMEM, "stats");
      for (int i = 0; i < argc; i++)
        if (berth_engine_find (e, argv[i], s[i].id, NULL, err) < 0)
          {
            free (s);
            return -1;
          }
      *out = s;
      *n = (size_t)argc;
      return 0;
    }
  if (berth_store_list (e->store, &ents, &n_ents, err) < 0)
    return -1;
  s = calloc (n_ents + 1, sizeof (*s));
  for (size_t i = 0; s && i < n_ents; i++)
    {
      json_t *rec = NULL;
      berth_error_t e2 = NULL;
      if (!ents[i].complete || berth_engine_record (e, ents[i].id, &rec, &e2) < 0)
        {
          berth_error_release (&e2);
          continue;
        }
      if (all || json_is_true (path_get (rec, "State.Running")))
        snprintf (s[(*n)++].id, sizeof (s->id), "%s", ents[i].id);
      json_decref (rec);
    }
  berth_store_entries_free (ents, n_ents);
  if (s == NULL)
    return berth_error (err, ENOMEM, "stats");
  *out = s;
  return 0;
}

int
cmd_stats (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[]
      = { { "no-stream", no_argument, NULL, 's' },    { "all", no_argument, NULL, 'a' },
          { "format", required_argument, NULL, 'f' }, { "no-trunc", no_argument, NULL, 'T' },
          { "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 } };
  struct berth_engine *e;
  bool stream = true, all = false, no_trunc = false, table = true, named,
       tty = isatty (STDOUT_FILENO);
  const char *format = DEFAULT_FORMAT;
  struct sample *prev = NULL, *cur = NULL;
  size_t n = 0;
  int c, ret = 0;

  optind = 1;
  while ((c = getopt_long (argc, argv, "+af:h", opts, NULL)) != -1)
    switch (c)
      {
      case 's':
        stream = false;
        break;
      case 'a':
        all = true;
        break;
      case 'f':
        format = optarg;
        break;
      case 'T':
        no_trunc = true;
        break;
      case 'h':
        printf ("Usage: berth stats [-a] [--no-stream] [--no-trunc] [--format TEMPLATE] "
                "[CONTAINER...]\n");
        return 0;
      default:
        return cli_bad_option ("stats", argc, argv, err);
      }
  if (strcmp (format, "json") == 0)
    format = "{{json .}}";
  if (strncmp (format, "table", 5) == 0)
    {
      format += 5;
      format += strspn (format, " ");
      if (*format == '\0')
        format = DEFAULT_FORMAT + 6;
    }
  else
    table = false;
  named = optind < argc;
  if (cli_engine (cli, &e, err) < 0
      || pick (e, argc - optind, argv + optind, all, &prev, &n, err) < 0)
    return BERTH_EXIT_ERROR;
  cur = calloc (n + 1, sizeof (*cur));
  if (cur == NULL)
    {
      free (prev);
      return berth_error (err, ENOMEM, "stats"), BERTH_EXIT_ERROR;
    }
  signal (SIGINT, on_interrupt);
  signal (SIGTERM, on_interrupt);
  for (size_t i = 0; i < n; i++)
    {
      char id[BERTH_ID_LEN + 1];
      snprintf (id, sizeof (id), "%s", prev[i].id);
      prev[i].name = NULL;
      fill_sample (e, id, &prev[i]);
    }
  while (!interrupted)
    {
      json_t **rows = calloc (n + 1, sizeof (json_t *));
      bool any_running = false;

      /* The first frame, too, compares two samples: a second apart when
       * streaming (as Docker's refresh), half of one for a snapshot.  */
      berth_sleep_ms (stream ? 1000 : 500);
      for (size_t i = 0; rows && i < n; i++)
        {
          fill_sample (e, prev[i].id, &cur[i]);
          rows[i] = row_of (&prev[i], &cur[i], no_trunc);
          any_running |= cur[i].running;
        }
      if (rows == NULL)
        return berth_error (err, ENOMEM, "stats"), BERTH_EXIT_ERROR;
      if (stream && tty)
        fputs ("\033[2J\033[H", stdout);
      ret = print_table (format, rows, n, table, err);
      fflush (stdout);
      for (size_t i = 0; i < n; i++)
        json_decref (rows[i]);
      free (rows);
      {
        struct sample *t = prev;
        prev = cur;
        cur = t;
      }
      /* Named containers that have all stopped: nothing more to show.  */
      if (ret < 0 || !stream || (named && !any_running))
        break;
      if (!named)
        {
          /* Containers started or gone since: pick again.  */
          struct sample *fresh = NULL;
          size_t m = 0;
          berth_error_t e2 = NULL;
          if (pick (e, 0, NULL, all, &fresh, &m, &e2) == 0)
            {
              for (size_t i = 0; i < m; i++)
                {
                  char id[BERTH_ID_LEN + 1];
                  snprintf (id, sizeof (id), "%s", fresh[i].id);
                  fill_sample (e, id, &fresh[i]);
                }
              for (size_t i = 0; i < n; i++)
                free (prev[i].name), free (cur[i].name);
              free (prev);
              free (cur);
              prev = fresh;
              n = m;
              cur = calloc (n + 1, sizeof (*cur));
              if (cur == NULL)
                return berth_error (err, ENOMEM, "stats"), BERTH_EXIT_ERROR;
            }
          berth_error_release (&e2);
        }
    }
  for (size_t i = 0; i < n; i++)
    free (prev[i].name), free (cur[i].name);
  free (prev);
  free (cur);
  return ret < 0 ? BERTH_EXIT_ERROR : 0;
}
