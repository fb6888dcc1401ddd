/* linux.resources on cgroup v2: enabling controllers down the path
 * (cgroup.subtree_control), memory, cpu and io with the v1 -> v2
 * conversions runc makes, and the free-form `unified` map.  Limits v2
 * cannot express fail rather than being dropped.  */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cgroup_internal.h"

int
cg_v2_explain_missing (const char *dir, const char *file, berth_error_t *err)
{
  cleanup_free char *controller = strndup (file, strcspn (file, "."));
  cleanup_free char *available = NULL;
  cleanup_error berth_error_t read_err = NULL;

  if (*err == NULL || (*err)->status != ENOENT || controller == NULL
      || strcmp (controller, "cgroup") == 0 || file[strlen (controller)] != '.')
    return berth_error_ret (err);
  if (cg_read (dir, "cgroup.controllers", &available, &read_err) < 0
      || cg_list_has (available, controller))
    return berth_error_ret (err);
  return berth_error (err, 0, "controller `%s` is not available in `%s`", controller, dir);
}

static int
write_v2 (const char *dir, const char *file, const char *value, berth_error_t *err)
{
  if (cg_write (dir, file, value, err) < 0)
    return cg_v2_explain_missing (dir, file, err);
  return 0;
}

/* "max" for a negative limit, the number otherwise.  */
static void
format_limit (char *buf, size_t size, int64_t value)
{
  if (value < 0)
    snprintf (buf, size, "max");
  else
    snprintf (buf, size, "%" PRId64, value);
}

/* Every controller the hierarchy offers, enabled in every ancestor of the
 * cgroup, as runc and crun do (statistics need them even without limits).
 * Best effort: a controller that cannot be enabled shows up when a limit
 * needs its files.  */
void
cg_v2_enable_controllers (const struct berth_cgroup *cg)
{
  cleanup_free char *all = NULL;
  size_t len = 0, rel_len = strlen (cg->path), parent_len = 0;

  for (char **c = cg->v2_controllers; c && *c; c++)
    len += strlen (*c) + 2;
  all = calloc (1, len + 1);
  if (all == NULL || len == 0)
    return;
  for (char **c = cg->v2_controllers; *c; c++)
    {
      strcat (all, all[0] ? " +" : "+");
      strcat (all, *c);
    }
  /* Levels from the hierarchy root to the parent of the leaf.  */
  while (parent_len < rel_len)
    {
      cleanup_free char *level = NULL;
      cleanup_error berth_error_t write_err = NULL;
      const char *next;

      if (asprintf (&level, "%s%.*s", cg->v2.base, (int)parent_len, cg->path) < 0)
        return;
      if (cg_write (level, "cgroup.subtree_control", all, &write_err) < 0)
        for (char **c = cg->v2_controllers; *c; c++)
          {
            berth_error_release (&write_err);
            cg_writef (&write_err, level, "cgroup.subtree_control", "+%s", *c);
          }
      next = strchr (cg->path + parent_len + 1, '/');
      parent_len = next ? (size_t)(next - cg->path) : rel_len;
    }
}

/* memory.  */

static int
check_before_update (const char *dir, const struct berth_memory_resources *m, berth_error_t *err)
{
  uint64_t current, swap_current = 0;
  cleanup_error berth_error_t swap_err = NULL;

  if (cg_read_u64 (dir, "memory.current", &current, err) < 0)
    return berth_error_ret (err);
  if (cg_read_u64 (dir, "memory.swap.current", &swap_current, &swap_err) < 0)
    swap_current = 0; /* no swap accounting */
  if (m->has_limit && m->limit >= 0 && (uint64_t)m->limit <= current)
    return berth_error (err, 0, "memory.limit: %" PRId64 " is not above the current usage %" PRIu64,
                        m->limit, current);
  if (m->has_swap && m->swap > 0 && (uint64_t)m->swap <= current + swap_current)
    return berth_error (err, 0, "memory.swap: %" PRId64 " is not above the current usage %" PRIu64,
                        m->swap, current + swap_current);
  return 0;
}

/* The memory limit the swap conversion subtracts: the one given, else (on
 * update) the one in force.  */
static int64_t
limit_for_swap (const char *dir, const struct berth_memory_resources *m, bool update)
{
  cleanup_error berth_error_t read_err = NULL;
  uint64_t current;

  if (m->has_limit)
    return m->limit;
  if (!update || cg_read_u64 (dir, "memory.max", &current, &read_err) < 0)
    return 0;
  return current == UINT64_MAX ? -1 : (int64_t)current;
}

static int
set_swap (const char *dir, const struct berth_memory_resources *m, bool update, berth_error_t *err)
{
  int64_t swap = m->has_swap ? m->swap : 0, limit = limit_for_swap (dir, m, update), v2;
  char buf[32];

  if (swap == 0 && !(m->has_limit && m->limit == -1))
    return 0;
  if (cg_swap_to_v2 (swap, limit, &v2, err) < 0)
    return berth_error_ret (err);
  format_limit (buf, sizeof (buf), v2);
  if (cg_write (dir, "memory.swap.max", buf, err) < 0)
    {
      /* Without swap accounting, "no swap" and "unlimited" hold anyway.  */
      if ((*err)->status == ENOENT && (v2 == -1 || v2 == 0))
        {
          berth_error_release (err);
          return 0;
        }
      return berth_error_wrap (err, "memory.swap");
    }
  return 0;
}

static int
check_v1_only_memory (const struct berth_memory_resources *m, berth_error_t *err)
{
  if (m->has_swappiness)
    return berth_error (err, 0, "memory.swappiness: not supported on cgroup v2");
  if (m->has_disable_oom_killer && m->disable_oom_killer)
    return berth_error (err, 0, "memory.disableOOMKiller: not supported on cgroup v2");
  if (m->has_use_hierarchy && !m->use_hierarchy)
    return berth_error (err, 0, "memory.useHierarchy: cgroup v2 is always hierarchical");
  return 0;
}

int
cg_v2_set_memory (const char *dir, const struct berth_memory_resources *m, bool update,
                  berth_error_t *err)
{
  char buf[32];

  if (check_v1_only_memory (m, err) < 0)
    return berth_error_ret (err);
  if (update && m->has_check_before_update && m->check_before_update
      && check_before_update (dir, m, err) < 0)
    return berth_error_ret (err);
  if (set_swap (dir, m, update, err) < 0)
    return berth_error_ret (err);
  if (m->has_limit && m->limit != 0)
    {
      format_limit (buf, sizeof (buf), m->limit);
      if (write_v2 (dir, "memory.max", buf, err) < 0)
        return berth_error_wrap (err, "memory.limit");
    }
  if (m->has_reservation && m->reservation != 0)
    {
      format_limit (buf, sizeof (buf), m->reservation);
      if (write_v2 (dir, "memory.low", buf, err) < 0)
        return berth_error_wrap (err, "memory.reservation");
    }
  return 0;
}

/* cpu.  */

/* cpu.max is "QUOTA PERIOD"; a period given alone keeps the quota in force.  */
static int
set_cpu_max (const char *dir, const struct berth_cpu_resources *c, berth_error_t *err)
{
  bool has_quota = c->has_quota && c->quota != 0, has_period = c->has_period && c->period != 0;
  cleanup_free char *current = NULL;
  cleanup_error berth_error_t read_err = NULL;
  char quota[32], value[64];

  if (!has_quota && !has_period)
    return 0;
  if (has_quota)
    format_limit (quota, sizeof (quota), c->quota);
  else if (cg_read (dir, "cpu.max", &current, &read_err) == 0 && current[0] != '\0')
    snprintf (quota, sizeof (quota), "%.*s", (int)strcspn (current, " \n"), current);
  else
    snprintf (quota, sizeof (quota), "max");
  if (has_period)
    snprintf (value, sizeof (value), "%s %" PRIu64, quota, c->period);
  else
    snprintf (value, sizeof (value), "%s", quota);
  if (write_v2 (dir, "cpu.max", value, err) < 0)
    return berth_error_wrap (err, "cpu.quota");
  return 0;
}

int
cg_v2_set_cpu (const char *dir, const struct berth_cpu_resources *c, berth_error_t *err)
{
  char buf[32];

  if ((c->has_realtime_period && c->realtime_period != 0)
      || (c->has_realtime_runtime && c->realtime_runtime != 0))
    return berth_error (err, 0,
                        "cpu.realtimeRuntime: real-time groups are not supported on cgroup v2");
  if (c->has_shares && c->shares != 0)
    {
      snprintf (buf, sizeof (buf), "%" PRIu64, cg_shares_to_weight (c->shares));
      if (write_v2 (dir, "cpu.weight", buf, err) < 0)
        return berth_error_wrap (err, "cpu.shares");
    }
  if (set_cpu_max (dir, c, err) < 0)
    return berth_error_ret (err);
  if (c->has_burst)
    {
      snprintf (buf, sizeof (buf), "%" PRIu64, c->burst);
      if (write_v2 (dir, "cpu.max.burst", buf, err) < 0)
        return berth_error_wrap (err, "cpu.burst");
    }
  if (c->has_idle)
    {
      snprintf (buf, sizeof (buf), "%" PRId64, c->idle);
      if (write_v2 (dir, "cpu.idle", buf, err) < 0)
        return berth_error_wrap (err, "cpu.idle");
    }
  return 0;
}

/* io.  */

/* With BFQ, io.bfq.weight takes the v1 value as is; otherwise io.weight
 * takes it converted.  LINE_PREFIX is "" or "MAJ:MIN ".  */
static int
write_io_weight (const char *dir, const char *line_prefix, uint16_t weight, berth_error_t *err)
{
  char buf[96];

  snprintf (buf, sizeof (buf), "%s%u", line_prefix, (unsigned)weight);
  if (cg_write (dir, "io.bfq.weight", buf, err) == 0)
    return 0;
  if ((*err)->status != ENOENT)
    return berth_error_ret (err);
  berth_error_release (err);
  snprintf (buf, sizeof (buf), "%s%" PRIu64, line_prefix, cg_blkio_weight_to_io_weight (weight));
  return write_v2 (dir, "io.weight", buf, err);
}

static int
write_io_max (int fd, const char *dir, const char *key, const struct berth_throttle_list *list,
              berth_error_t *err)
{
  for (size_t i = 0; i < list->n; i++)
    {
      char line[128];

      snprintf (line, sizeof (line), "%" PRId64 ":%" PRId64 " %s=%" PRIu64, list->items[i].major,
                list->items[i].minor, key, list->items[i].rate);
      if (cg_write_line (fd, dir, "io.max", line, err) < 0)
        return berth_error_ret (err);
    }
  return 0;
}

static int
set_io_max (const char *dir, const struct berth_blkio_resources *b, berth_error_t *err)
{
  cleanup_close int fd = -1;

  if (b->read_bps.n + b->write_bps.n + b->read_iops.n + b->write_iops.n == 0)
    return 0;
  if (cg_open_write (dir, "io.max", &fd, err) < 0)
    return cg_v2_explain_missing (dir, "io.max", err);
  if (write_io_max (fd, dir, "rbps", &b->read_bps, err) < 0
      || write_io_max (fd, dir, "wbps", &b->write_bps, err) < 0
      || write_io_max (fd, dir, "riops", &b->read_iops, err) < 0
      || write_io_max (fd, dir, "wiops", &b->write_iops, err) < 0)
    return berth_error_ret (err);
  return 0;
}

int
cg_v2_set_io (const char *dir, const struct berth_blkio_resources *b, berth_error_t *err)
{
  if (b->has_leaf_weight && b->leaf_weight != 0)
    return berth_error (err, 0, "blockIO.leafWeight: not supported on cgroup v2");
  if (b->has_weight && b->weight != 0 && write_io_weight (dir, "", b->weight, err) < 0)
    return berth_error_wrap (err, "blockIO.weight");
  for (size_t i = 0; i < b->n_weight_devices; i++)
    {
      const struct berth_weight_device *d = &b->weight_devices[i];
      char prefix[64];

      if (!d->has_weight)
        continue; /* leaf weights have no v2 counterpart */
      snprintf (prefix, sizeof (prefix), "%" PRId64 ":%" PRId64 " ", d->major, d->minor);
      if (write_io_weight (dir, prefix, d->weight, err) < 0)
        return berth_error_wrap (err, "blockIO.weightDevice");
    }
  if (set_io_max (dir, b, err) < 0)
    return berth_error_wrap (err, "blockIO");
  return 0;
}

/* unified: each key a file of the container's v2 directory, each line of
 * the value one write.  Written last, so it overrides the rest.  */
static int
write_unified_value (const char *dir, const struct berth_key_value *kv, berth_error_t *err)
{
  cleanup_free char *value = strdup (kv->value);
  cleanup_close int fd = -1;
  char *line, *save = NULL;

  if (value == NULL)
    return berth_error (err, ENOMEM, "unified");
  if (cg_open_write (dir, kv->key, &fd, err) < 0)
    return cg_v2_explain_missing (dir, kv->key, err);
  for (line = strtok_r (value, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    if (cg_write_line (fd, dir, kv->key, line, err) < 0)
      return berth_error_ret (err);
  return 0;
}

int
cg_v2_set_unified (const struct berth_cgroup *cg, const struct berth_key_value *kv, size_t n,
                   berth_error_t *err)
{
  if (n > 0 && !cg->has_v2)
    return berth_error (err, 0, "unified: requires cgroup v2");
  for (size_t i = 0; i < n; i++)
    {
      const char *key = kv[i].key;

      if (key[0] == '\0' || strchr (key, '/') || strcmp (key, ".") == 0 || strcmp (key, "..") == 0)
        return berth_error (err, 0, "unified.%s: invalid cgroup file name", key);
      if (kv[i].value[0] == '\0')
        continue;
      if (write_unified_value (cg->v2.dir, &kv[i], err) < 0)
        return berth_error_wrap (err, "unified.%s", key);
    }
  return 0;
}
