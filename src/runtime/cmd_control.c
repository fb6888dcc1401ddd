/* `pause`, `resume`, `ps`, `update`, `events`: a live container's cgroup.  */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "oci/resources.h"
#include "runtime.h"
#include "util.h"

int
cmd_pause (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  const char *id;
  if (cli_parse_id_only (argc, argv, "pause", &id, err) < 0)
    return 1;
  return berth_container_pause (&cli->rt, id, err) < 0 ? 1 : 0;
}

int
cmd_resume (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  const char *id;
  if (cli_parse_id_only (argc, argv, "resume", &id, err) < 0)
    return 1;
  return berth_container_resume (&cli->rt, id, err) < 0 ? 1 : 0;
}

static bool
has_pid (const pid_t *pids, size_t n, long pid)
{
  for (size_t i = 0; i < n; i++)
    if (pids[i] == pid)
      return true;
  return false;
}

/* Table format: the host's ps, filtered to the container's processes (what
 * runc does); extra arguments go to ps (default -ef).  */
static int
ps_table (const pid_t *pids, size_t n, char **ps_args, berth_error_t *err)
{
  int pipefd[2], status;
  cleanup_file FILE *f = NULL;
  char line[4096];
  int pid_col = -1;
  pid_t child;

  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return berth_error (err, errno, "ps");
  child = fork ();
  if (child == 0)
    {
      char *def[] = { "ps", "-ef", NULL };
      size_t k = berth_strv_len (ps_args);
      char **argv = k ? calloc (k + 2, sizeof (char *)) : def;
      if (k)
        {
          argv[0] = "ps";
          memcpy (argv + 1, ps_args, k * sizeof (char *));
        }
      dup2 (pipefd[1], STDOUT_FILENO);
      execvp ("ps", argv);
      _exit (127);
    }
  close (pipefd[1]);
  f = fdopen (pipefd[0], "r");
  while (f && fgets (line, sizeof (line), f))
    {
      char copy[4096], *tok, *save;
      int col = 0;
      long pid;

      if (pid_col < 0)
        {
          /* The header names the PID column.  */
          snprintf (copy, sizeof (copy), "%s", line);
          for (tok = strtok_r (copy, " \t\n", &save); tok; tok = strtok_r (NULL, " \t\n", &save), col++)
            if (strcmp (tok, "PID") == 0)
              pid_col = col;
          fputs (line, stdout);
          continue;
        }
      snprintf (copy, sizeof (copy), "%s", line);
      for (tok = strtok_r (copy, " \t\n", &save); tok && col < pid_col;
           tok = strtok_r (NULL, " \t\n", &save))
        col++;
      if (tok && berth_parse_long (tok, &pid) && has_pid (pids, n, pid))
        fputs (line, stdout);
    }
  waitpid (child, &status, 0);
  if (pid_col < 0)
    return berth_error (err, 0, "ps: no PID column in the output of ps");
  return 0;
}

int
cmd_ps (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
  };
  bool json = false;
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  int c;

  while ((c = getopt_long_only (argc, argv, "+f:", opts, NULL)) != -1)
    if (c == 'f' && (strcmp (optarg, "json") == 0 || strcmp (optarg, "table") == 0))
      json = strcmp (optarg, "json") == 0;
    else
      return berth_error (err, 0, "ps: invalid option `%s`", argv[optind - 1]), 1;
  if (optind >= argc)
    return berth_error (err, 0, "ps: requires a container ID"), 1;
  if (berth_container_pids (&cli->rt, argv[optind], &pids, &n, err) < 0)
    return 1;
  if (json)
    {
      printf ("[");
      for (size_t i = 0; i < n; i++)
        printf ("%s%d", i ? "," : "", pids[i]);
      printf ("]\n");
      return 0;
    }
  return ps_table (pids, n, argv + optind + 1, err) < 0 ? 1 : 0;
}

/* "64m", "1.5g", "512", "1KiB" (bytes); "-1" is unlimited.  Plain decimal
 * only: no sign but that of -1, no exponent, "nan" or "inf", and nothing
 * beyond INT64_MAX bytes.  */
static bool
parse_bytes (const char *s, int64_t *out)
{
  static const char units[] = "kmgtp";
  const char *p = s, *u;
  long double v;
  int64_t mult = 1;

  if (strcmp (s, "-1") == 0)
    {
      *out = -1;
      return true;
    }
  if (!isdigit ((unsigned char) *p))
    return false;
  while (isdigit ((unsigned char) *p))
    p++;
  if (*p == '.')
    {
      if (!isdigit ((unsigned char) p[1]))
        return false;
      for (p++; isdigit ((unsigned char) *p);)
        p++;
    }
  v = strtold (s, NULL);
  if (*p && (u = strchr (units, *p | 0x20)) != NULL)
    {
      mult = 1LL << (10 * (u - units + 1));
      p++;
      if ((*p | 0x20) == 'i')
        p++;
    }
  if ((*p | 0x20) == 'b')
    p++;
  if (*p != '\0')
    return false;
  v *= mult;
  if (v > (long double) INT64_MAX)
    return false;
  *out = (int64_t) v;
  return true;
}

/* A decimal in [min, max] ("-1" is the only negative any flag takes).  */
static bool
parse_ranged (const char *s, long long min, unsigned long long max, long long *out)
{
  unsigned long long u;
  char *end;

  if (min < 0 && strcmp (s, "-1") == 0)
    {
      *out = -1;
      return true;
    }
  if (!isdigit ((unsigned char) *s))
    return false;
  errno = 0;
  u = strtoull (s, &end, 10);
  if (errno != 0 || *end != '\0' || u > max || u > (unsigned long long) LLONG_MAX
      || (long long) u < min)
    return false;
  *out = (long long) u;
  return true;
}

enum
{
  U_RESOURCES = 4000,
  U_BLKIO_WEIGHT,
  U_CPU_PERIOD,
  U_CPU_QUOTA,
  U_CPU_SHARE,
  U_CPU_RT_PERIOD,
  U_CPU_RT_RUNTIME,
  U_CPUSET_CPUS,
  U_CPUSET_MEMS,
  U_MEMORY,
  U_MEMORY_RESERVATION,
  U_MEMORY_SWAP,
  U_KERNEL_MEMORY,
  U_KERNEL_MEMORY_TCP,
  U_PIDS_LIMIT,
  U_IGNORED,
};

static int
update_flag (struct berth_resources *r, int c, const char *name, const char *arg,
             berth_error_t *err)
{
  long long v = 0;
  int64_t bytes = 0;
  long long min = 0;
  unsigned long long max = INT64_MAX;

  switch (c)
    {
    case U_MEMORY:
    case U_MEMORY_RESERVATION:
    case U_MEMORY_SWAP:
    case U_KERNEL_MEMORY:
    case U_KERNEL_MEMORY_TCP:
      if (!parse_bytes (arg, &bytes))
        return berth_error (err, 0,
                            "update: --%s: invalid size `%s` (bytes with an optional k, m, g, t "
                            "or p suffix, at most %" PRId64 ", or -1)",
                            name, arg, INT64_MAX);
      r->memory.present = true;
      if (c == U_MEMORY)
        r->memory.has_limit = true, r->memory.limit = bytes;
      else if (c == U_MEMORY_RESERVATION)
        r->memory.has_reservation = true, r->memory.reservation = bytes;
      else if (c == U_MEMORY_SWAP)
        r->memory.has_swap = true, r->memory.swap = bytes;
      else if (c == U_KERNEL_MEMORY_TCP)
        r->memory.has_kernel_tcp = true, r->memory.kernel_tcp = bytes;
      /* kernel-memory: checked, then ignored as the config's memory.kernel.  */
      return 0;
    case U_CPUSET_CPUS:
      r->cpu.present = true;
      free (r->cpu.cpus);
      r->cpu.cpus = strdup (arg);
      return 0;
    case U_CPUSET_MEMS:
      r->cpu.present = true;
      free (r->cpu.mems);
      r->cpu.mems = strdup (arg);
      return 0;
    case U_IGNORED: /* resctrl schemas: not supported, as in crun */
      return 0;
    case U_BLKIO_WEIGHT:
      min = 10, max = 1000;
      break;
    case U_CPU_QUOTA:
    case U_CPU_RT_RUNTIME:
    case U_PIDS_LIMIT:
      min = -1; /* unlimited */
      break;
    default:
      break;
    }
  if (!parse_ranged (arg, min, max, &v))
    return berth_error (err, 0, "update: --%s: invalid value `%s` (a whole number from %lld to %llu)",
                        name, arg, min, max);
  switch (c)
    {
    case U_BLKIO_WEIGHT:
      r->blkio.present = r->blkio.has_weight = true;
      r->blkio.weight = (uint16_t) v;
      break;
    case U_CPU_PERIOD:
      r->cpu.present = r->cpu.has_period = true;
      r->cpu.period = (uint64_t) v;
      break;
    case U_CPU_QUOTA:
      r->cpu.present = r->cpu.has_quota = true;
      r->cpu.quota = v;
      break;
    case U_CPU_SHARE:
      r->cpu.present = r->cpu.has_shares = true;
      r->cpu.shares = (uint64_t) v;
      break;
    case U_CPU_RT_PERIOD:
      r->cpu.present = r->cpu.has_realtime_period = true;
      r->cpu.realtime_period = (uint64_t) v;
      break;
    case U_CPU_RT_RUNTIME:
      r->cpu.present = r->cpu.has_realtime_runtime = true;
      r->cpu.realtime_runtime = v;
      break;
    case U_PIDS_LIMIT:
      r->pids.present = r->pids.has_limit = true;
      r->pids.limit = v;
      break;
    default:
      break;
    }
  return 0;
}

int
cmd_update (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "resources", required_argument, NULL, 'r' },
    { "r", required_argument, NULL, 'r' },
    { "blkio-weight", required_argument, NULL, U_BLKIO_WEIGHT },
    { "cpu-period", required_argument, NULL, U_CPU_PERIOD },
    { "cpu-quota", required_argument, NULL, U_CPU_QUOTA },
    { "cpu-share", required_argument, NULL, U_CPU_SHARE },
    { "cpu-rt-period", required_argument, NULL, U_CPU_RT_PERIOD },
    { "cpu-rt-runtime", required_argument, NULL, U_CPU_RT_RUNTIME },
    { "cpuset-cpus", required_argument, NULL, U_CPUSET_CPUS },
    { "cpuset-mems", required_argument, NULL, U_CPUSET_MEMS },
    { "memory", required_argument, NULL, U_MEMORY },
    { "memory-reservation", required_argument, NULL, U_MEMORY_RESERVATION },
    { "memory-swap", required_argument, NULL, U_MEMORY_SWAP },
    { "pids-limit", required_argument, NULL, U_PIDS_LIMIT },
    { "kernel-memory", required_argument, NULL, U_KERNEL_MEMORY },
    { "kernel-memory-tcp", required_argument, NULL, U_KERNEL_MEMORY_TCP },
    { "l3-cache-schema", required_argument, NULL, U_IGNORED },
    { "mem-bw-schema", required_argument, NULL, U_IGNORED },
    { NULL, 0, NULL, 0 },
  };
  struct berth_resources *res = NULL;
  const char *file = NULL, *id;
  int c, r = 1, idx = 0;

  res = calloc (1, sizeof (*res));
  if (res == NULL)
    return berth_error (err, ENOMEM, "update"), 1;
  while ((c = getopt_long_only (argc, argv, "+r:", opts, &idx)) != -1)
    {
      if (c == 'r')
        file = optarg;
      else if (c == '?' || update_flag (res, c, opts[idx].name, optarg, err) < 0)
        {
          if (c == '?')
            berth_error (err, 0, "update: invalid option `%s`", argv[optind - 1]);
          goto out;
        }
    }
  if (cli_require_id (argc, argv, "update", &id, err) < 0)
    goto out;
  if (file)
    {
      cleanup_free char *text = NULL;
      size_t len;
      /* The JSON document replaces the flags, as in runc.  */
      berth_resources_free (res);
      res = NULL;
      if ((strcmp (file, "-") == 0 ? berth_read_fd (STDIN_FILENO, &text, &len, err)
                                   : berth_read_file (file, &text, &len, err))
              < 0
          || berth_resources_parse (text, len, &res, err) < 0)
        {
          berth_error_wrap (err, "update: --resources `%s`", file);
          goto out;
        }
    }
  r = berth_container_update (&cli->rt, id, res, err) < 0 ? 1 : 0;
out:
  berth_resources_free (res);
  return r;
}

/* runc's stream just ends when the container stops: the library's last
 * "exit" event is for in-process callers.  */
static int
print_event (json_t *event, void *data)
{
  const char *type = json_string_value (json_object_get (event, "type"));
  char *text = type && strcmp (type, "exit") == 0 ? NULL : json_dumps (event, JSON_COMPACT);
  (void) data;
  json_decref (event);
  if (text == NULL)
    return 0;
  puts (text);
  fflush (stdout);
  free (text);
  return 0;
}

/* "5s", "500ms", "1m", or plain seconds.  */
static bool
parse_interval (const char *s, int *ms)
{
  char *end;
  double v = strtod (s, &end);
  double mult = 1000;

  if (end == s || v <= 0)
    return false;
  if (strcmp (end, "ms") == 0)
    mult = 1;
  else if (strcmp (end, "m") == 0)
    mult = 60000;
  else if (*end != '\0' && strcmp (end, "s") != 0)
    return false;
  *ms = (int) (v * mult);
  return *ms > 0;
}

int
cmd_events (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "stats", no_argument, NULL, 's' },
    { "interval", required_argument, NULL, 'i' },
    { NULL, 0, NULL, 0 },
  };
  bool stats_once = false;
  int interval = 5000, c;
  const char *id;

  while ((c = getopt_long_only (argc, argv, "+", opts, NULL)) != -1)
    if (c == 's')
      stats_once = true;
    else if (c == 'i' && parse_interval (optarg, &interval))
      ;
    else
      return berth_error (err, 0, "events: invalid option `%s`", argv[optind - 1]), 1;
  if (cli_require_id (argc, argv, "events", &id, err) < 0)
    return 1;
  if (stats_once)
    {
      json_t *event = NULL;
      if (berth_container_stats (&cli->rt, id, &event, err) < 0)
        return 1;
      print_event (event, NULL);
      return 0;
    }
  return berth_container_events (&cli->rt, id, interval, print_event, NULL, err) < 0 ? 1 : 0;
}
