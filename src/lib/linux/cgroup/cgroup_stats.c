/* Statistics for `events --stats`: the "data" object of runc's stats event
 * (types/events.go), read from whichever hierarchy carries each
 * controller.  Members marked omitempty in runc are left out when zero;
 * unlimited values (v2 "max") appear as INT64_MAX, the largest JSON
 * integer jansson writes.  Missing files read as zero: statistics are best
 * effort, but a cgroup that does not exist is an error.  */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cgroup_internal.h"

static json_t *
json_u64 (uint64_t v)
{
  return json_integer (v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* Returns 0, or -1 when jansson failed (out of memory).  */
static int
put_u64 (json_t *obj, const char *key, uint64_t v)
{
  return json_object_set_new (obj, key, json_u64 (v));
}

static int
put_u64_omitempty (json_t *obj, const char *key, uint64_t v)
{
  return v == 0 ? 0 : put_u64 (obj, key, v);
}

static int
put_array_omitempty (json_t *obj, const char *key, json_t *array)
{
  if (array == NULL)
    return -1;
  if (json_array_size (array) == 0)
    {
      json_decref (array);
      return 0;
    }
  return json_object_set_new (obj, key, array);
}

/* A number from DIR/FILE; 0 when DIR is NULL or the file is missing or
 * odd.  */
static uint64_t
read_u64 (const char *dir, const char *file)
{
  cleanup_error berth_error_t err = NULL;
  uint64_t v = 0;

  if (dir == NULL || cg_read_u64 (dir, file, &v, &err) < 0)
    return 0;
  return v;
}

static uint64_t
read_keyed (const char *dir, const char *file, const char *key)
{
  cleanup_error berth_error_t err = NULL;
  uint64_t v = 0;

  if (dir == NULL || cg_read_keyed (dir, file, key, &v, &err) < 0)
    return 0;
  return v;
}

static char *
read_text (const char *dir, const char *file)
{
  cleanup_error berth_error_t err = NULL;
  char *text = NULL;

  if (dir == NULL || cg_read (dir, file, &text, &err) < 0)
    return NULL;
  return text;
}

/* "1 2 3" -> [1, 2, 3], multiplied by SCALE.  */
static json_t *
number_list (const char *text, uint64_t scale)
{
  json_t *array = json_array ();
  const char *p = text;

  while (array && p && *p)
    {
      char *end;
      uint64_t v;

      p += strspn (p, " \t\n");
      if (*p == '\0')
        break;
      v = strtoull (p, &end, 10);
      if (end == p || json_array_append_new (array, json_u64 (v * scale)) < 0)
        break;
      p = end;
    }
  return array;
}

/* cpu.  */

/* cpuacct.usage_all: "cpu user system" then one row per cpu.  */
static int
percpu_user_kernel (const char *dir, json_t *usage)
{
  cleanup_free char *text = read_text (dir, "cpuacct.usage_all");
  json_t *user = json_array (), *kernel = json_array ();
  char *line, *save = NULL;

  for (line = text ? strtok_r (text, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned long long cpu, u, k;

      if (sscanf (line, "%llu %llu %llu", &cpu, &u, &k) == 3 && user && kernel)
        {
          json_array_append_new (user, json_u64 (u));
          json_array_append_new (kernel, json_u64 (k));
        }
    }
  if (put_array_omitempty (usage, "percpu_kernel", kernel) < 0
      || put_array_omitempty (usage, "percpu_user", user) < 0)
    return -1;
  return 0;
}

static int
cpu_usage_v1 (const char *dir, json_t *usage)
{
  cleanup_free char *percpu = read_text (dir, "cpuacct.usage_percpu");
  long tick = sysconf (_SC_CLK_TCK);
  uint64_t ns_per_tick = tick > 0 ? 1000000000ULL / (uint64_t)tick : 10000000ULL;

  if (put_u64_omitempty (usage, "total", read_u64 (dir, "cpuacct.usage")) < 0
      || put_array_omitempty (usage, "percpu", number_list (percpu, 1)) < 0
      || percpu_user_kernel (dir, usage) < 0
      || put_u64 (usage, "kernel", read_keyed (dir, "cpuacct.stat", "system") * ns_per_tick) < 0
      || put_u64 (usage, "user", read_keyed (dir, "cpuacct.stat", "user") * ns_per_tick) < 0)
    return -1;
  return 0;
}

static int
cpu_usage_v2 (const char *dir, json_t *usage)
{
  if (put_u64_omitempty (usage, "total", read_keyed (dir, "cpu.stat", "usage_usec") * 1000) < 0
      || put_u64 (usage, "kernel", read_keyed (dir, "cpu.stat", "system_usec") * 1000) < 0
      || put_u64 (usage, "user", read_keyed (dir, "cpu.stat", "user_usec") * 1000) < 0)
    return -1;
  return 0;
}

static int
throttling (const char *dir, bool v2, json_t *t)
{
  uint64_t time = v2 ? read_keyed (dir, "cpu.stat", "throttled_usec") * 1000
                     : read_keyed (dir, "cpu.stat", "throttled_time");

  if (put_u64_omitempty (t, "periods", read_keyed (dir, "cpu.stat", "nr_periods")) < 0
      || put_u64_omitempty (t, "throttledPeriods", read_keyed (dir, "cpu.stat", "nr_throttled")) < 0
      || put_u64_omitempty (t, "throttledTime", time) < 0)
    return -1;
  return 0;
}

/* v2 keeps usage in cpu.stat of every cgroup (a core file), throttling
 * only with the cpu controller.  */
static json_t *
cpu_stats (const struct berth_cgroup *cg)
{
  json_t *cpu = json_object (), *usage = json_object (), *t = json_object ();
  const char *acct = cg_v1_dir (cg, "cpuacct"), *dir = NULL;
  int version = cg_locate (cg, "cpu", "cpu", &dir);

  if (cpu == NULL || json_object_set_new (cpu, "usage", usage) < 0
      || json_object_set_new (cpu, "throttling", t) < 0)
    goto fail;
  if (acct ? cpu_usage_v1 (acct, usage) < 0 : cg->has_v2 && cpu_usage_v2 (cg->v2.dir, usage) < 0)
    goto fail;
  if (version && throttling (dir, version == 2, t) < 0)
    goto fail;
  return cpu;
fail:
  json_decref (cpu);
  return NULL;
}

/* cpuset.  */

/* "0-2,5" -> [0, 1, 2, 5].  */
static json_t *
cpu_list (const char *text)
{
  json_t *array = json_array ();

  for (const char *p = text; array && p && *p;)
    {
      unsigned long lo, hi;
      char *end;

      p += strspn (p, " ,\n");
      if (*p == '\0')
        break;
      lo = hi = strtoul (p, &end, 10);
      if (end == p)
        break;
      if (*end == '-')
        hi = strtoul (end + 1, &end, 10);
      for (unsigned long i = lo; i <= hi && i < 65536; i++)
        json_array_append_new (array, json_integer ((json_int_t)i));
      p = end;
    }
  return array;
}

static json_t *
cpuset_stats (const struct berth_cgroup *cg)
{
  static const char *const flags[]
      = { "cpu_exclusive",      "mem_hardwall",       "mem_exclusive",   "memory_migrate",
          "memory_spread_page", "memory_spread_slab", "memory_pressure", "sched_load_balance" };
  const char *dir = NULL;
  int version = cg_locate (cg, "cpuset", "cpuset", &dir);
  cleanup_free char *cpus = read_text (dir, version == 2 ? "cpuset.cpus.effective" : "cpuset.cpus");
  cleanup_free char *mems = read_text (dir, version == 2 ? "cpuset.mems.effective" : "cpuset.mems");
  json_t *set = json_object ();

  if (set == NULL || put_array_omitempty (set, "cpus", cpu_list (cpus)) < 0
      || put_array_omitempty (set, "mems", cpu_list (mems)) < 0)
    goto fail;
  for (size_t i = 0; i < sizeof (flags) / sizeof (flags[0]); i++)
    {
      char file[64];

      snprintf (file, sizeof (file), "cpuset.%s", flags[i]);
      if (put_u64 (set, flags[i], version == 1 ? read_u64 (dir, file) : 0) < 0)
        goto fail;
    }
  if (json_object_set_new (set, "sched_relax_domain_level", json_integer (0)) < 0)
    goto fail;
  return set;
fail:
  json_decref (set);
  return NULL;
}

/* memory.  */

static json_t *
memory_entry (uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt)
{
  json_t *e = json_object ();

  if (e == NULL || put_u64 (e, "limit", limit) < 0 || put_u64_omitempty (e, "usage", usage) < 0
      || put_u64_omitempty (e, "max", max) < 0 || put_u64 (e, "failcnt", failcnt) < 0)
    {
      json_decref (e);
      return NULL;
    }
  return e;
}

/* v1: PREFIX.usage_in_bytes, .max_usage_in_bytes, .failcnt, .limit_in_bytes.  */
static json_t *
memory_entry_v1 (const char *dir, const char *prefix)
{
  char usage[64], max[64], failcnt[64], limit[64];

  snprintf (usage, sizeof (usage), "%s.usage_in_bytes", prefix);
  snprintf (max, sizeof (max), "%s.max_usage_in_bytes", prefix);
  snprintf (failcnt, sizeof (failcnt), "%s.failcnt", prefix);
  snprintf (limit, sizeof (limit), "%s.limit_in_bytes", prefix);
  return memory_entry (read_u64 (dir, limit), read_u64 (dir, usage), read_u64 (dir, max),
                       read_u64 (dir, failcnt));
}

/* memory.stat as a map.  */
static json_t *
memory_raw (const char *dir)
{
  cleanup_free char *text = read_text (dir, "memory.stat");
  json_t *raw = json_object ();
  char *line, *save = NULL;

  for (line = text ? strtok_r (text, "\n", &save) : NULL; raw && line;
       line = strtok_r (NULL, "\n", &save))
    {
      char *space = strchr (line, ' ');

      if (space == NULL)
        continue;
      *space = '\0';
      put_u64 (raw, line, strtoull (space + 1, NULL, 10));
    }
  return raw;
}

static int
memory_v1 (const char *dir, json_t *mem, json_t *raw)
{
  if (put_u64_omitempty (mem, "cache", json_integer_value (json_object_get (raw, "cache"))) < 0
      || json_object_set_new (mem, "usage", memory_entry_v1 (dir, "memory")) < 0
      || json_object_set_new (mem, "swap", memory_entry_v1 (dir, "memory.memsw")) < 0
      || json_object_set_new (mem, "kernel", memory_entry_v1 (dir, "memory.kmem")) < 0
      || json_object_set_new (mem, "kernelTCP", memory_entry_v1 (dir, "memory.kmem.tcp")) < 0)
    return -1;
  return 0;
}

static uint64_t
saturating_add (uint64_t a, uint64_t b)
{
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* v2 counts swap apart from memory; report memory+swap as v1 did.  */
static int
memory_v2 (const char *dir, json_t *mem, json_t *raw)
{
  uint64_t usage = read_u64 (dir, "memory.current"), limit = read_u64 (dir, "memory.max");
  uint64_t swap_limit = read_u64 (dir, "memory.swap.max");

  if (dir == NULL || !cg_file_exists (dir, "memory.max"))
    limit = dir ? UINT64_MAX : 0;
  if (swap_limit != UINT64_MAX)
    swap_limit = saturating_add (swap_limit, limit);
  if (put_u64_omitempty (mem, "cache", json_integer_value (json_object_get (raw, "file"))) < 0
      || json_object_set_new (mem, "usage",
                              memory_entry (limit, usage, read_u64 (dir, "memory.peak"),
                                            read_keyed (dir, "memory.events", "max")))
             < 0
      || json_object_set_new (mem, "swap",
                              memory_entry (swap_limit,
                                            read_u64 (dir, "memory.swap.current") + usage, 0,
                                            read_keyed (dir, "memory.swap.events", "max")))
             < 0
      || json_object_set_new (mem, "kernel", memory_entry (0, 0, 0, 0)) < 0
      || json_object_set_new (mem, "kernelTCP", memory_entry (0, 0, 0, 0)) < 0)
    return -1;
  return 0;
}

static json_t *
memory_stats (const struct berth_cgroup *cg)
{
  const char *dir = NULL;
  int version = cg_locate (cg, "memory", "memory", &dir);
  json_t *mem = json_object (), *raw = memory_raw (dir);

  if (mem == NULL || raw == NULL)
    goto fail;
  if (version == 1 ? memory_v1 (dir, mem, raw) < 0 : memory_v2 (dir, mem, raw) < 0)
    goto fail;
  if (json_object_size (raw) > 0)
    return json_object_set_new (mem, "raw", raw) < 0 ? (json_decref (mem), NULL) : mem;
  json_decref (raw);
  return mem;
fail:
  json_decref (raw);
  json_decref (mem);
  return NULL;
}

/* pids: "max" reads as no limit, which runc reports as 0.  */
static json_t *
pids_stats (const struct berth_cgroup *cg)
{
  const char *dir = NULL;
  json_t *pids = json_object ();
  uint64_t limit;

  cg_locate (cg, "pids", "pids", &dir);
  limit = read_u64 (dir, "pids.max");
  if (pids == NULL || put_u64_omitempty (pids, "current", read_u64 (dir, "pids.current")) < 0
      || put_u64_omitempty (pids, "limit", limit == UINT64_MAX ? 0 : limit) < 0)
    {
      json_decref (pids);
      return NULL;
    }
  return pids;
}

/* blkio.  */

static json_t *
blkio_entry (unsigned long major, unsigned long minor, const char *op, uint64_t value)
{
  json_t *e = json_object ();

  if (e == NULL || put_u64_omitempty (e, "major", major) < 0
      || put_u64_omitempty (e, "minor", minor) < 0
      || (op && op[0] && json_object_set_new (e, "op", json_string (op)) < 0)
      || put_u64_omitempty (e, "value", value) < 0)
    {
      json_decref (e);
      return NULL;
    }
  return e;
}

/* v1 lines "8:0 Read 4096" (or "8:0 4096"); "Total N" lines are skipped.  */
static json_t *
blkio_v1_list (const char *dir, const char *const *files)
{
  json_t *list = json_array ();

  for (; list && *files && json_array_size (list) == 0; files++)
    {
      cleanup_free char *text = read_text (dir, *files);
      char *line, *save = NULL;

      for (line = text ? strtok_r (text, "\n", &save) : NULL; line;
           line = strtok_r (NULL, "\n", &save))
        {
          unsigned long major, minor;
          unsigned long long value;
          char op[32] = "";

          if (sscanf (line, "%lu:%lu %31s %llu", &major, &minor, op, &value) == 4
              || (op[0] = '\0', sscanf (line, "%lu:%lu %llu", &major, &minor, &value) == 3))
            json_array_append_new (list, blkio_entry (major, minor, op, value));
        }
    }
  return list;
}

static int
blkio_v1 (const char *dir, json_t *blkio)
{
  static const struct
  {
    const char *key;
    const char *files[4];
  } lists[] = {
    { "ioServiceBytesRecursive",
      { "blkio.io_service_bytes_recursive", "blkio.bfq.io_service_bytes_recursive",
        "blkio.throttle.io_service_bytes_recursive", NULL } },
    { "ioServicedRecursive",
      { "blkio.io_serviced_recursive", "blkio.bfq.io_serviced_recursive",
        "blkio.throttle.io_serviced_recursive", NULL } },
    { "ioQueueRecursive", { "blkio.io_queued_recursive", NULL } },
    { "ioServiceTimeRecursive", { "blkio.io_service_time_recursive", NULL } },
    { "ioWaitTimeRecursive", { "blkio.io_wait_time_recursive", NULL } },
    { "ioMergedRecursive", { "blkio.io_merged_recursive", NULL } },
    { "ioTimeRecursive", { "blkio.time_recursive", NULL } },
    { "sectorsRecursive", { "blkio.sectors_recursive", NULL } },
  };

  for (size_t i = 0; i < sizeof (lists) / sizeof (lists[0]); i++)
    if (put_array_omitempty (blkio, lists[i].key, blkio_v1_list (dir, lists[i].files)) < 0)
      return -1;
  return 0;
}

/* v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ...".  */
static int
blkio_v2 (const char *dir, json_t *blkio)
{
  cleanup_free char *text = read_text (dir, "io.stat");
  json_t *bytes = json_array (), *ios = json_array ();
  char *line, *save = NULL;

  for (line = text ? strtok_r (text, "\n", &save) : NULL; bytes && ios && line;
       line = strtok_r (NULL, "\n", &save))
    {
      unsigned long major, minor;
      unsigned long long rbytes = 0, wbytes = 0, rios = 0, wios = 0;
      char *p;

      if (sscanf (line, "%lu:%lu", &major, &minor) != 2)
        continue;
      if ((p = strstr (line, "rbytes=")))
        rbytes = strtoull (p + 7, NULL, 10);
      if ((p = strstr (line, "wbytes=")))
        wbytes = strtoull (p + 7, NULL, 10);
      if ((p = strstr (line, "rios=")))
        rios = strtoull (p + 5, NULL, 10);
      if ((p = strstr (line, "wios=")))
        wios = strtoull (p + 5, NULL, 10);
      json_array_append_new (bytes, blkio_entry (major, minor, "Read", rbytes));
      json_array_append_new (bytes, blkio_entry (major, minor, "Write", wbytes));
      json_array_append_new (ios, blkio_entry (major, minor, "Read", rios));
      json_array_append_new (ios, blkio_entry (major, minor, "Write", wios));
    }
  if (put_array_omitempty (blkio, "ioServiceBytesRecursive", bytes) < 0
      || put_array_omitempty (blkio, "ioServicedRecursive", ios) < 0)
    return -1;
  return 0;
}

static json_t *
blkio_stats (const struct berth_cgroup *cg)
{
  const char *dir = NULL;
  int version = cg_locate (cg, "blkio", "io", &dir);
  json_t *blkio = json_object ();

  if (blkio == NULL || (version == 1 && blkio_v1 (dir, blkio) < 0)
      || (version == 2 && blkio_v2 (dir, blkio) < 0))
    {
      json_decref (blkio);
      return NULL;
    }
  return blkio;
}

/* hugetlb: one entry per page size with a usage file.  */
static json_t *
hugetlb_stats (const struct berth_cgroup *cg)
{
  const char *dir = NULL;
  int version = cg_locate (cg, "hugetlb", "hugetlb", &dir);
  const char *usage_suffix = version == 2 ? ".current" : ".usage_in_bytes";
  cleanup_dir DIR *d = dir ? opendir (dir) : NULL;
  json_t *all = json_object ();
  struct dirent *de;

  while (all && d && (de = readdir (d)))
    {
      char size[32], file[96];
      size_t len = strlen (de->d_name), slen = strlen (usage_suffix);
      json_t *entry;

      if (strncmp (de->d_name, "hugetlb.", 8) != 0 || len <= 8 + slen
          || strcmp (de->d_name + len - slen, usage_suffix) != 0 || len - 8 - slen >= sizeof (size))
        continue;
      snprintf (size, sizeof (size), "%.*s", (int)(len - 8 - slen), de->d_name + 8);
      if (strchr (size, '.'))
        continue; /* hugetlb.2MB.rsvd.* */
      entry = json_object ();
      if (entry == NULL || json_object_set_new (all, size, entry) < 0)
        break;
      put_u64_omitempty (entry, "usage", read_u64 (dir, de->d_name));
      snprintf (file, sizeof (file), "hugetlb.%s.max_usage_in_bytes", size);
      put_u64_omitempty (entry, "max", version == 1 ? read_u64 (dir, file) : 0);
      snprintf (file, sizeof (file), version == 1 ? "hugetlb.%s.failcnt" : "hugetlb.%s.events",
                size);
      put_u64 (entry, "failcnt",
               version == 1 ? read_u64 (dir, file) : read_keyed (dir, file, "max"));
    }
  return all;
}

int
berth_cgroup_stats (const struct berth_cgroup *cg, json_t **data, berth_error_t *err)
{
  json_auto_t *out = json_object ();
  const char *primary = cg_primary_dir (cg);

  if (primary == NULL || access (primary, F_OK) < 0)
    return berth_error (err, primary ? errno : ENOENT, "stats of cgroup `%s`", cg->path);
  if (out == NULL || json_object_set_new (out, "cpu", cpu_stats (cg)) < 0
      || json_object_set_new (out, "cpuset", cpuset_stats (cg)) < 0
      || json_object_set_new (out, "memory", memory_stats (cg)) < 0
      || json_object_set_new (out, "pids", pids_stats (cg)) < 0
      || json_object_set_new (out, "blkio", blkio_stats (cg)) < 0
      || json_object_set_new (out, "hugetlb", hugetlb_stats (cg)) < 0
      || json_object_set_new (out, "intel_rdt", json_object ()) < 0
      || json_object_set_new (out, "network_interfaces", json_null ()) < 0)
    return berth_error (err, ENOMEM, "stats of cgroup `%s`", cg->path);
  *data = steal_pointer (&out);
  return 0;
}
