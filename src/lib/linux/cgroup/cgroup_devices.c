/* Device access rules: the effective list (linux.resources.devices in order,
 * then runc's always-allowed devices when asked) and its cgroup v1 form,
 * "deny all" then each rule into devices.allow or devices.deny.  The v2
 * form is in cgroup_devices_bpf.c.  */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cgroup_internal.h"

/* runc's AllowedDevices (libcontainer/specconv), in its order.  */
static const struct berth_device_rule default_rules[] = {
  { true, 'c', -1, -1, "m" },    /* mknod of any character device */
  { true, 'b', -1, -1, "m" },    /* and of any block device */
  { true, 'c', 1, 3, "rwm" },    /* /dev/null */
  { true, 'c', 1, 8, "rwm" },    /* /dev/random */
  { true, 'c', 1, 7, "rwm" },    /* /dev/full */
  { true, 'c', 5, 0, "rwm" },    /* /dev/tty */
  { true, 'c', 1, 5, "rwm" },    /* /dev/zero */
  { true, 'c', 1, 9, "rwm" },    /* /dev/urandom */
  { true, 'c', 136, -1, "rwm" }, /* /dev/pts/N */
  { true, 'c', 5, 2, "rwm" },    /* /dev/ptmx */
  { true, 'c', 10, 200, "rwm" }, /* /dev/net/tun */
};

const struct berth_device_rule *
berth_cgroup_default_device_rules (size_t *n)
{
  *n = sizeof (default_rules) / sizeof (default_rules[0]);
  return default_rules;
}

int
cg_device_rules (const struct berth_cgroup *cg, const struct berth_resources *r,
                 struct berth_device_rule **rules, size_t *n, berth_error_t *err)
{
  size_t n_spec = r ? r->n_devices : 0, n_default = 0;
  const struct berth_device_rule *defaults = berth_cgroup_default_device_rules (&n_default);

  if (!cg->default_devices)
    n_default = 0;
  *rules = NULL;
  *n = n_spec + n_default;
  if (*n == 0)
    return 0;
  *rules = calloc (*n, sizeof (**rules));
  if (*rules == NULL)
    return berth_error (err, ENOMEM, "device rules");
  if (n_spec)
    memcpy (*rules, r->devices, n_spec * sizeof (**rules));
  if (n_default)
    memcpy (*rules + n_spec, defaults, n_default * sizeof (**rules));
  return 0;
}

/* "c 1:3 rwm", "a" for all devices, "*" for a wildcard number.  */
static void
format_v1_rule (const struct berth_device_rule *rule, char *buf, size_t size)
{
  char major[24] = "*", minor[24] = "*";

  if (rule->type == 'a')
    {
      snprintf (buf, size, "a");
      return;
    }
  if (rule->major >= 0)
    snprintf (major, sizeof (major), "%" PRId64, rule->major);
  if (rule->minor >= 0)
    snprintf (minor, sizeof (minor), "%" PRId64, rule->minor);
  snprintf (buf, size, "%c %s:%s %s", rule->type, major, minor, rule->access);
}

int
cg_v1_set_devices (const char *dir, const struct berth_device_rule *rules, size_t n,
                   berth_error_t *err)
{
  cleanup_close int allow = -1;
  cleanup_close int deny = -1;

  if (cg_open_write (dir, "devices.deny", &deny, err) < 0
      || cg_open_write (dir, "devices.allow", &allow, err) < 0)
    return berth_error_wrap (err, "devices");
  if (cg_write_line (deny, dir, "devices.deny", "a", err) < 0)
    return berth_error_wrap (err, "devices");
  for (size_t i = 0; i < n; i++)
    {
      char line[80];

      format_v1_rule (&rules[i], line, sizeof (line));
      if (cg_write_line (rules[i].allow ? allow : deny, dir,
                         rules[i].allow ? "devices.allow" : "devices.deny", line, err)
          < 0)
        return berth_error_wrap (err, "devices[%zu]", i);
    }
  return 0;
}
