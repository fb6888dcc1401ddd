/* Owns the `run`/`create` flag parser: Docker's flags, Docker's syntax
 * (`-it`, `-m64m`, `--name=x`, `--rm=false`), Docker's checks, one error
 * naming the flag.  The result is a struct berth_run_request.  */
#include "run_options.h"

#include <ctype.h>
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sysinfo.h>

#include "cleanup.h"
#include "engine/signal_names.h"
#include "oci/names.h"
#include "util.h"

#define DEFAULT_SHM_SIZE (64LL << 20)
#define CPU_PERIOD 100000
/* The daemon's floor for -m: below it a container cannot even start.  */
#define MIN_MEMORY (6LL << 20)

struct parse_state
{
  struct berth_run_request *req;
  char *const *envp;
  const char *flag; /* the flag being parsed, as the user wrote it */
  berth_error_t *err;
};

/* Every error names the flag the user typed ("--memory", "-m").  */
#define FLAG_ERROR(st, ...) flag_error (st, __VA_ARGS__)

static int __attribute__ ((format (printf, 2, 3)))
flag_error (struct parse_state *st, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;
  int r;

  va_start (ap, fmt);
  r = vasprintf (&msg, fmt, ap);
  va_end (ap);
  if (r < 0)
    return berth_error (st->err, ENOMEM, "%s", st->flag);
  return berth_error (st->err, 0, "%s: %s", st->flag, msg);
}

static int
oom (struct parse_state *st)
{
  return berth_error (st->err, ENOMEM, "%s", st->flag);
}

static int
strv_push (char ***v, const char *s)
{
  size_t n = berth_strv_len (*v);
  char **nv = realloc (*v, (n + 2) * sizeof (char *));
  char *copy = strdup (s);

  if (nv == NULL || copy == NULL)
    {
      free (copy);
      if (nv)
        *v = nv;
      return -ENOMEM;
    }
  nv[n] = copy;
  nv[n + 1] = NULL;
  *v = nv;
  return 0;
}

static int
set_string (struct parse_state *st, char **field, const char *value)
{
  char *copy = strdup (value);

  if (copy == NULL)
    return oom (st);
  free (*field);
  *field = copy;
  return 0;
}

/* ---- values ---- */

int
berth_parse_size (const char *s, int64_t *out)
{
  static const char units[] = "bkmgtp";
  const char *p = s;
  char *end;
  double value;
  int shift = 0;

  if (s == NULL || !isdigit ((unsigned char)*p))
    return -EINVAL;
  while (isdigit ((unsigned char)*p))
    p++;
  if (*p == '.')
    {
      p++;
      if (!isdigit ((unsigned char)*p))
        return -EINVAL;
      while (isdigit ((unsigned char)*p))
        p++;
    }
  errno = 0;
  value = strtod (s, &end);
  if (errno != 0 || end != p)
    return -EINVAL;
  if (*p == ' ')
    p++;
  if (*p != '\0')
    {
      const char *u = strchr (units, tolower ((unsigned char)*p));

      if (u == NULL)
        return -EINVAL;
      shift = (int)(u - units) * 10;
      p++;
      /* "64mb", "64MiB": a trailing b (after an optional i) is decoration.  */
      if (shift > 0 && tolower ((unsigned char)*p) == 'i')
        p++;
      if (shift > 0 && tolower ((unsigned char)*p) == 'b')
        p++;
      if (*p != '\0')
        return -EINVAL;
    }
  value *= (double)(1ULL << shift);
  if (value >= 0x1p63)
    return -ERANGE;
  *out = (int64_t)value;
  return 0;
}

static int
parse_int_value (struct parse_state *st, const char *value, long min, long max, long *out)
{
  if (!berth_parse_long (value, out))
    return FLAG_ERROR (st, "invalid number \"%s\"", value);
  if (*out < min || *out > max)
    return FLAG_ERROR (st, "%s is out of range [%ld, %ld]", value, min, max);
  return 0;
}

static int
parse_size_value (struct parse_state *st, const char *value, int64_t *out)
{
  if (berth_parse_size (value, out) < 0)
    return FLAG_ERROR (st, "invalid size \"%s\"", value);
  return 0;
}

/* "true"/"false" as Go's strconv.ParseBool reads them, for `--rm=false`.  */
static int
parse_bool_value (struct parse_state *st, const char *value, bool *out)
{
  static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True", NULL };
  static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False", NULL };

  for (size_t i = 0; yes[i]; i++)
    if (strcmp (value, yes[i]) == 0)
      return *out = true, 0;
  for (size_t i = 0; no[i]; i++)
    if (strcmp (value, no[i]) == 0)
      return *out = false, 0;
  return FLAG_ERROR (st, "invalid boolean \"%s\"", value);
}

/* Docker's container and volume name syntax.  */
static bool
valid_name (const char *s)
{
  if (!isalnum ((unsigned char)s[0]) || s[1] == '\0')
    return false;
  for (const char *p = s + 1; *p; p++)
    if (!isalnum ((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
      return false;
  return true;
}

/* A cpuset list: "0-3,7,9-10".  */
static bool
valid_cpu_list (const char *s)
{
  const char *p = s;

  if (*p == '\0')
    return false;
  for (;;)
    {
      char *end;
      unsigned long a, b;

      if (!isdigit ((unsigned char)*p))
        return false;
      a = strtoul (p, &end, 10);
      p = end;
      if (*p == '-')
        {
          if (!isdigit ((unsigned char)p[1]))
            return false;
          b = strtoul (p + 1, &end, 10);
          p = end;
          if (b < a)
            return false;
        }
      if (*p == '\0')
        return true;
      if (*p != ',')
        return false;
      p++;
    }
}

/* ---- environment ---- */

static const char *
lookup_env (char *const *envp, const char *name)
{
  size_t len = strlen (name);

  for (; envp && *envp; envp++)
    if (strncmp (*envp, name, len) == 0 && (*envp)[len] == '=')
      return *envp + len + 1;
  return NULL;
}

/* "NAME=value" is taken as is; a bare "NAME" takes the caller's value, and
 * is dropped when the caller has none (Docker's rule).  */
static int
add_env (struct parse_state *st, const char *entry)
{
  const char *eq = strchr (entry, '=');
  cleanup_free char *built = NULL;

  if (eq == entry || *entry == '\0')
    return FLAG_ERROR (st, "invalid environment variable \"%s\"", entry);
  if (eq == NULL)
    {
      const char *v = lookup_env (st->envp, entry);

      if (v == NULL)
        return 0;
      if (asprintf (&built, "%s=%s", entry, v) < 0)
        return oom (st);
      entry = built;
    }
  if (strv_push (&st->req->env, entry) < 0)
    return oom (st);
  return 0;
}

static int
add_env_file (struct parse_state *st, const char *path)
{
  cleanup_free char *text = NULL;
  cleanup_error berth_error_t read_err = NULL;
  unsigned lineno = 0;
  char *next;

  if (berth_read_file (path, &text, NULL, &read_err) < 0)
    return FLAG_ERROR (st, "%s", read_err->msg);
  for (char *line = text; line && *line; line = next)
    {
      char *name_end;

      next = strchr (line, '\n');
      if (next)
        *next++ = '\0';
      lineno++;
      /* Docker trims the left only: a value keeps its trailing blanks.  */
      while (isspace ((unsigned char)*line))
        line++;
      if (*line == '\0' || *line == '#')
        continue;
      if (*line == '=')
        return FLAG_ERROR (st, "%s: line %u: variable without a name", path, lineno);
      name_end = line + strcspn (line, "=");
      for (char *p = line; p < name_end; p++)
        if (isspace ((unsigned char)*p))
          return FLAG_ERROR (st, "%s: line %u: variable name \"%.*s\" has white space", path,
                             lineno, (int)(name_end - line), line);
      if (add_env (st, line) < 0)
        return -1;
    }
  return 0;
}

/* ---- mounts ---- */

static struct berth_run_mount *
new_mount (struct parse_state *st)
{
  struct berth_run_request *req = st->req;
  struct berth_run_mount *m = realloc (req->mounts, (req->n_mounts + 1) * sizeof (*m));

  if (m == NULL)
    return NULL;
  req->mounts = m;
  m = &req->mounts[req->n_mounts++];
  memset (m, 0, sizeof (*m));
  return m;
}

static bool
is_propagation (const char *s)
{
  static const char *const modes[]
      = { "private", "rprivate", "shared", "rshared", "slave", "rslave", NULL };

  for (size_t i = 0; modes[i]; i++)
    if (strcmp (s, modes[i]) == 0)
      return true;
  return false;
}

static int
check_target (struct parse_state *st, const char *spec, const char *target)
{
  if (target == NULL || target[0] != '/')
    return FLAG_ERROR (st, "invalid mount \"%s\": the destination must be an absolute path", spec);
  if (target[strspn (target, "/")] == '\0')
    return FLAG_ERROR (st, "invalid mount \"%s\": the destination cannot be \"/\"", spec);
  return 0;
}

/* Fill source and type from the part before the first ':' of -v: an
 * absolute path is a bind mount, anything else names a volume.  */
static int
set_mount_source (struct parse_state *st, struct berth_run_mount *m, const char *spec,
                  const char *source)
{
  if (source[0] == '/')
    m->type = BERTH_RUN_MOUNT_BIND;
  else if (valid_name (source))
    m->type = BERTH_RUN_MOUNT_VOLUME;
  else
    return FLAG_ERROR (st,
                       "invalid mount \"%s\": \"%s\" is neither an absolute host path nor a "
                       "volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)",
                       spec, source);
  m->source = strdup (source);
  return m->source ? 0 : oom (st);
}

/* -v [SOURCE:]TARGET[:OPTIONS]; OPTIONS is a comma list of ro, rw, z, Z,
 * nocopy and a propagation mode.  */
static int
add_volume_flag (struct parse_state *st, const char *spec)
{
  cleanup_free char *copy = strdup (spec);
  char *parts[4] = { NULL };
  size_t n = 0;
  struct berth_run_mount *m;
  char *opts = NULL;

  if (copy == NULL)
    return oom (st);
  for (char *p = copy, *colon; n < 4; p = colon + 1)
    {
      parts[n++] = p;
      colon = strchr (p, ':');
      if (colon == NULL)
        break;
      *colon = '\0';
      if (n == 3)
        return FLAG_ERROR (st, "invalid mount \"%s\": too many colons", spec);
    }
  if (parts[0][0] == '\0' || (n > 1 && parts[1][0] == '\0'))
    return FLAG_ERROR (st, "invalid mount \"%s\"", spec);
  m = new_mount (st);
  if (m == NULL)
    return oom (st);
  if (n == 1)
    {
      /* "/data": an anonymous volume.  */
      m->type = BERTH_RUN_MOUNT_VOLUME;
      if (check_target (st, spec, parts[0]) < 0)
        return -1;
      m->target = strdup (parts[0]);
    }
  else if (n == 2 && parts[1][0] != '/')
    {
      /* "/data:ro" is an anonymous volume with options, as Docker reads it.  */
      m->type = BERTH_RUN_MOUNT_VOLUME;
      if (check_target (st, spec, parts[0]) < 0)
        return -1;
      m->target = strdup (parts[0]);
      opts = parts[1];
    }
  else
    {
      if (set_mount_source (st, m, spec, parts[0]) < 0 || check_target (st, spec, parts[1]) < 0)
        return -1;
      m->target = strdup (parts[1]);
      opts = n == 3 ? parts[2] : NULL;
    }
  if (m->target == NULL)
    return oom (st);
  for (char *save = NULL, *o = opts ? strtok_r (opts, ",", &save) : NULL; o;
       o = strtok_r (NULL, ",", &save))
    {
      if (strcmp (o, "ro") == 0)
        m->readonly = true;
      else if (strcmp (o, "rw") == 0)
        m->readonly = false;
      else if (strcmp (o, "z") == 0 || strcmp (o, "Z") == 0)
        m->relabel = true;
      else if (strcmp (o, "nocopy") == 0 && m->type == BERTH_RUN_MOUNT_VOLUME)
        m->nocopy = true;
      else if (is_propagation (o) && m->type == BERTH_RUN_MOUNT_BIND)
        {
          if (set_string (st, &m->propagation, o) < 0)
            return -1;
        }
      else if (strcmp (o, "consistent") == 0 || strcmp (o, "cached") == 0
               || strcmp (o, "delegated") == 0)
        ; /* macOS hints, ignored on Linux as Docker does */
      else
        return FLAG_ERROR (st, "invalid mount \"%s\": unknown option \"%s\"", spec, o);
    }
  return 0;
}

/* The comma-separated key=value list of --mount.  */
static int
add_mount_flag (struct parse_state *st, const char *spec)
{
  cleanup_free char *copy = strdup (spec);
  cleanup_free char *tmpfs_opts = NULL;
  char *source = NULL, *target = NULL, *type = "volume", *propagation = NULL;
  bool readonly = false, nocopy = false, has_tmpfs_option = false;
  struct berth_run_mount *m;

  if (copy == NULL)
    return oom (st);
  for (char *save = NULL, *f = strtok_r (copy, ",", &save); f; f = strtok_r (NULL, ",", &save))
    {
      char *value = strchr (f, '=');

      if (value)
        *value++ = '\0';
      if (strcmp (f, "readonly") == 0 || strcmp (f, "ro") == 0)
        {
          if (value && parse_bool_value (st, value, &readonly) < 0)
            return -1;
          if (value == NULL)
            readonly = true;
          continue;
        }
      if (value == NULL)
        return FLAG_ERROR (st, "invalid field \"%s\": must be a key=value pair", f);
      if (strcmp (f, "type") == 0)
        type = value;
      else if (strcmp (f, "source") == 0 || strcmp (f, "src") == 0)
        source = value;
      else if (strcmp (f, "target") == 0 || strcmp (f, "destination") == 0
               || strcmp (f, "dst") == 0)
        target = value;
      else if (strcmp (f, "bind-propagation") == 0)
        {
          if (!is_propagation (value))
            return FLAG_ERROR (st, "invalid bind-propagation \"%s\"", value);
          propagation = value;
        }
      else if (strcmp (f, "volume-nocopy") == 0)
        {
          if (parse_bool_value (st, value, &nocopy) < 0)
            return -1;
        }
      else if (strcmp (f, "tmpfs-size") == 0 || strcmp (f, "tmpfs-mode") == 0)
        {
          cleanup_free char *old = steal_pointer (&tmpfs_opts);
          int64_t size;
          unsigned long mode;
          char *end;
          int r;

          has_tmpfs_option = true;
          if (f[6] == 's')
            {
              if (parse_size_value (st, value, &size) < 0)
                return -1;
              r = asprintf (&tmpfs_opts, "%s%ssize=%lld", old ? old : "", old ? "," : "",
                            (long long)size);
            }
          else
            {
              errno = 0;
              mode = strtoul (value, &end, 8);
              if (errno || *end || end == value || mode > 07777)
                return FLAG_ERROR (st, "invalid tmpfs-mode \"%s\"", value);
              r = asprintf (&tmpfs_opts, "%s%smode=%lo", old ? old : "", old ? "," : "", mode);
            }
          if (r < 0)
            return oom (st);
        }
      else if (strcmp (f, "consistency") == 0)
        ;
      else
        return FLAG_ERROR (st, "unknown field \"%s\"", f);
    }
  m = new_mount (st);
  if (m == NULL)
    return oom (st);
  if (strcmp (type, "bind") == 0)
    {
      m->type = BERTH_RUN_MOUNT_BIND;
      if (source == NULL)
        return FLAG_ERROR (st, "invalid mount \"%s\": type=bind needs a source", spec);
      if (source[0] != '/')
        return FLAG_ERROR (st, "invalid mount \"%s\": a bind source must be an absolute path",
                           spec);
    }
  else if (strcmp (type, "volume") == 0)
    {
      m->type = BERTH_RUN_MOUNT_VOLUME;
      if (source && !valid_name (source))
        return FLAG_ERROR (st, "invalid mount \"%s\": invalid volume name \"%s\"", spec, source);
    }
  else if (strcmp (type, "tmpfs") == 0)
    {
      m->type = BERTH_RUN_MOUNT_TMPFS;
      if (source)
        return FLAG_ERROR (st, "invalid mount \"%s\": type=tmpfs takes no source", spec);
    }
  else
    return FLAG_ERROR (st, "invalid mount type \"%s\" (bind, volume or tmpfs)", type);
  if (propagation && m->type != BERTH_RUN_MOUNT_BIND)
    return FLAG_ERROR (st, "invalid mount \"%s\": bind-propagation needs type=bind", spec);
  if (nocopy && m->type != BERTH_RUN_MOUNT_VOLUME)
    return FLAG_ERROR (st, "invalid mount \"%s\": volume-nocopy needs type=volume", spec);
  if (has_tmpfs_option && m->type != BERTH_RUN_MOUNT_TMPFS)
    return FLAG_ERROR (st, "invalid mount \"%s\": tmpfs options need type=tmpfs", spec);
  if (target == NULL)
    return FLAG_ERROR (st, "invalid mount \"%s\": target is required", spec);
  if (check_target (st, spec, target) < 0)
    return -1;
  m->readonly = readonly;
  m->nocopy = nocopy;
  m->tmpfs_options = steal_pointer (&tmpfs_opts);
  if ((source && (m->source = strdup (source)) == NULL) || (m->target = strdup (target)) == NULL
      || (propagation && (m->propagation = strdup (propagation)) == NULL))
    return oom (st);
  return 0;
}

/* --tmpfs /run[:OPTIONS], OPTIONS being tmpfs mount data as mount(8) takes it.  */
static int
add_tmpfs_flag (struct parse_state *st, const char *spec)
{
  const char *colon = strchr (spec, ':');
  cleanup_free char *target = colon ? strndup (spec, colon - spec) : strdup (spec);
  struct berth_run_mount *m;

  if (target == NULL)
    return oom (st);
  if (check_target (st, spec, target) < 0)
    return -1;
  if (colon && colon[1] == '\0')
    return FLAG_ERROR (st, "invalid tmpfs \"%s\": empty options", spec);
  m = new_mount (st);
  if (m == NULL)
    return oom (st);
  m->type = BERTH_RUN_MOUNT_TMPFS;
  m->target = steal_pointer (&target);
  if (colon && (m->tmpfs_options = strdup (colon + 1)) == NULL)
    return oom (st);
  return 0;
}

/* ---- other structured flags ---- */

static int
add_label (struct parse_state *st, const char *spec)
{
  struct berth_key_value_list *l = &st->req->labels;
  const char *eq = strchr (spec, '=');
  char **keys, **values;

  if (*spec == '\0' || eq == spec)
    return FLAG_ERROR (st, "invalid label \"%s\": empty key", spec);
  keys = realloc (l->keys, (l->n + 1) * sizeof (char *));
  if (keys == NULL)
    return oom (st);
  l->keys = keys;
  values = realloc (l->values, (l->n + 1) * sizeof (char *));
  if (values == NULL)
    return oom (st);
  l->values = values;
  keys[l->n] = eq ? strndup (spec, eq - spec) : strdup (spec);
  values[l->n] = strdup (eq ? eq + 1 : "");
  l->n++;
  if (keys[l->n - 1] == NULL || values[l->n - 1] == NULL)
    return oom (st);
  return 0;
}

static int
add_ulimit (struct parse_state *st, const char *spec)
{
  struct berth_run_request *req = st->req;
  cleanup_free char *name = NULL;
  cleanup_free char *rlimit_name = NULL;
  const char *eq = strchr (spec, '=');
  const char *colon;
  long soft, hard;
  struct berth_run_ulimit *u;

  if (eq == NULL || eq == spec)
    return FLAG_ERROR (st, "invalid ulimit \"%s\": expected NAME=SOFT[:HARD]", spec);
  name = strndup (spec, eq - spec);
  if (name == NULL || asprintf (&rlimit_name, "RLIMIT_%s", name) < 0)
    return oom (st);
  for (char *p = rlimit_name; *p; p++)
    *p = toupper ((unsigned char)*p);
  if (berth_rlimit_from_name (rlimit_name) < 0)
    return FLAG_ERROR (st, "invalid ulimit \"%s\": unknown limit \"%s\"", spec, name);
  colon = strchr (eq + 1, ':');
  {
    cleanup_free char *soft_s = colon ? strndup (eq + 1, colon - eq - 1) : strdup (eq + 1);

    if (soft_s == NULL)
      return oom (st);
    if (!berth_parse_long (soft_s, &soft) || soft < -1)
      return FLAG_ERROR (st, "invalid ulimit \"%s\": bad soft limit", spec);
  }
  hard = soft;
  if (colon && (!berth_parse_long (colon + 1, &hard) || hard < -1))
    return FLAG_ERROR (st, "invalid ulimit \"%s\": bad hard limit", spec);
  /* -1 is unlimited, so compare as the kernel does (unsigned).  */
  if ((uint64_t)(int64_t)soft > (uint64_t)(int64_t)hard)
    return FLAG_ERROR (st, "invalid ulimit \"%s\": soft limit must not exceed the hard limit",
                       spec);
  for (char *p = name; *p; p++)
    *p = tolower ((unsigned char)*p);
  /* A later --ulimit of the same name replaces the earlier one.  */
  for (size_t i = 0; i < req->n_ulimits; i++)
    if (strcmp (req->ulimits[i].name, name) == 0)
      {
        req->ulimits[i].soft = soft;
        req->ulimits[i].hard = hard;
        return 0;
      }
  u = realloc (req->ulimits, (req->n_ulimits + 1) * sizeof (*u));
  if (u == NULL)
    return oom (st);
  req->ulimits = u;
  u[req->n_ulimits++] = (struct berth_run_ulimit){ steal_pointer (&name), soft, hard };
  return 0;
}

static int
add_capability (struct parse_state *st, char ***list, const char *spec)
{
  cleanup_free char *name = NULL;

  if (strcasecmp (spec, "ALL") == 0)
    return strv_push (list, "ALL") < 0 ? oom (st) : 0;
  if (asprintf (&name, "%s%s", strncasecmp (spec, "CAP_", 4) == 0 ? "" : "CAP_", spec) < 0)
    return oom (st);
  for (char *p = name; *p; p++)
    *p = toupper ((unsigned char)*p);
  if (berth_capability_from_name (name) < 0)
    return FLAG_ERROR (st, "unknown capability \"%s\"", spec);
  return strv_push (list, name) < 0 ? oom (st) : 0;
}

/* --security-opt KEY[=:]VALUE, of which berth knows no-new-privileges and
 * seccomp.  */
static int
add_security_opt (struct parse_state *st, const char *spec)
{
  struct berth_run_request *req = st->req;
  size_t klen = strcspn (spec, "=:");
  const char *value = spec[klen] ? spec + klen + 1 : NULL;

  if (strncmp (spec, "no-new-privileges", klen) == 0 && klen == 17)
    {
      req->no_new_privileges = true;
      return value ? parse_bool_value (st, value, &req->no_new_privileges) : 0;
    }
  if (strncmp (spec, "seccomp", klen) == 0 && klen == 7)
    {
      if (value == NULL || *value == '\0')
        return FLAG_ERROR (st, "seccomp needs a value: unconfined or a profile file");
      if (strcmp (value, "unconfined") == 0)
        {
          req->seccomp_mode = BERTH_SECCOMP_UNCONFINED;
          return 0;
        }
      req->seccomp_mode = BERTH_SECCOMP_FILE;
      return set_string (st, &req->seccomp_file, value);
    }
  return FLAG_ERROR (st, "unsupported option \"%s\" (no-new-privileges, seccomp=FILE|unconfined)",
                     spec);
}

static bool
valid_permissions (const char *s)
{
  if (*s == '\0' || strlen (s) > 3)
    return false;
  for (const char *p = s; *p; p++)
    if (!strchr ("rwm", *p) || strchr (p + 1, *p))
      return false;
  return true;
}

/* --device HOST[:CONTAINER][:PERMISSIONS]  */
static int
add_device (struct parse_state *st, const char *spec)
{
  struct berth_run_request *req = st->req;
  cleanup_free char *copy = strdup (spec);
  char *parts[3] = { NULL };
  size_t n = 0;
  const char *host, *ctr, *perms = "rwm";
  struct berth_run_device *d;

  if (copy == NULL)
    return oom (st);
  for (char *save = NULL, *p = strtok_r (copy, ":", &save); p; p = strtok_r (NULL, ":", &save))
    {
      if (n == 3)
        return FLAG_ERROR (st, "invalid device \"%s\"", spec);
      parts[n++] = p;
    }
  if (n == 0)
    return FLAG_ERROR (st, "invalid device \"%s\"", spec);
  host = ctr = parts[0];
  if (n == 2 && valid_permissions (parts[1]))
    perms = parts[1];
  else if (n >= 2)
    ctr = parts[1];
  if (n == 3)
    perms = parts[2];
  if (host[0] != '/' || ctr[0] != '/')
    return FLAG_ERROR (st, "invalid device \"%s\": paths must be absolute", spec);
  if (!valid_permissions (perms))
    return FLAG_ERROR (st, "invalid device \"%s\": bad permissions \"%s\" (some of rwm)", spec,
                       perms);
  d = realloc (req->devices, (req->n_devices + 1) * sizeof (*d));
  if (d == NULL)
    return oom (st);
  req->devices = d;
  d = &d[req->n_devices++];
  *d = (struct berth_run_device){ strdup (host), strdup (ctr), strdup (perms) };
  if (d->host_path == NULL || d->container_path == NULL || d->permissions == NULL)
    return oom (st);
  return 0;
}

static int
set_restart (struct parse_state *st, const char *value)
{
  struct berth_run_request *req = st->req;
  const char *colon = strchr (value, ':');
  size_t len = colon ? (size_t)(colon - value) : strlen (value);
  long n = 0;

  req->restart_max_retries = 0;
  if (strncmp (value, "no", len) == 0 && len == 2)
    req->restart = BERTH_RESTART_NO;
  else if (strncmp (value, "always", len) == 0 && len == 6)
    req->restart = BERTH_RESTART_ALWAYS;
  else if (strncmp (value, "unless-stopped", len) == 0 && len == 14)
    req->restart = BERTH_RESTART_UNLESS_STOPPED;
  else if (strncmp (value, "on-failure", len) == 0 && len == 10)
    req->restart = BERTH_RESTART_ON_FAILURE;
  else
    return FLAG_ERROR (st,
                       "invalid restart policy \"%s\" (no, on-failure[:N], always, "
                       "unless-stopped)",
                       value);
  if (colon)
    {
      if (req->restart != BERTH_RESTART_ON_FAILURE)
        return FLAG_ERROR (st, "a maximum retry count needs on-failure, not \"%.*s\"", (int)len,
                           value);
      if (!berth_parse_long (colon + 1, &n) || n < 0 || n > INT_MAX)
        return FLAG_ERROR (st, "invalid maximum retry count \"%s\"", colon + 1);
      req->restart_max_retries = (int)n;
    }
  return 0;
}

static int
set_cpus (struct parse_state *st, const char *value)
{
  struct berth_run_request *req = st->req;
  char *end;
  double cpus;
  int ncpu = get_nprocs_conf ();

  errno = 0;
  cpus = strtod (value, &end);
  if (errno || end == value || *end != '\0' || !isdigit ((unsigned char)value[0]) || cpus != cpus)
    return FLAG_ERROR (st, "invalid number \"%s\"", value);
  if (cpus == 0)
    {
      /* 0 means "no limit", as Docker takes it.  */
      req->has_cpus = false;
      return 0;
    }
  if (cpus < 0.01 || cpus > ncpu)
    return FLAG_ERROR (st, "range of CPUs is from 0.01 to %d.00, as there are only %d CPUs", ncpu,
                       ncpu);
  req->has_cpus = true;
  req->cpu_period = CPU_PERIOD;
  req->cpu_quota = (int64_t)(cpus * CPU_PERIOD + 0.5);
  return 0;
}

static int
set_network (struct parse_state *st, const char *value)
{
  struct berth_run_request *req = st->req;

  free (req->network_name);
  req->network_name = NULL;
  if (strcmp (value, "none") == 0)
    req->network = BERTH_NETWORK_NONE;
  else if (strcmp (value, "host") == 0)
    req->network = BERTH_NETWORK_HOST;
  else if (strcmp (value, "default") == 0 || strcmp (value, "bridge") == 0)
    req->network = BERTH_NETWORK_DEFAULT;
  else if (strncmp (value, "container:", 10) == 0 && value[10])
    {
      req->network = BERTH_NETWORK_CONTAINER;
      return set_string (st, &req->network_name, value + 10);
    }
  else if (valid_name (value))
    {
      req->network = BERTH_NETWORK_NAMED;
      return set_string (st, &req->network_name, value);
    }
  else
    return FLAG_ERROR (st, "invalid network \"%s\"", value);
  return 0;
}

/* ---- the flag table ---- */

enum opt
{
  O_DETACH,
  O_INTERACTIVE,
  O_TTY,
  O_RM,
  O_NAME,
  O_ENV,
  O_ENV_FILE,
  O_WORKDIR,
  O_USER,
  O_HOSTNAME,
  O_ENTRYPOINT,
  O_LABEL,
  O_VOLUME,
  O_MOUNT,
  O_READ_ONLY,
  O_TMPFS,
  O_MEMORY,
  O_MEMORY_SWAP,
  O_MEMORY_RESERVATION,
  O_CPUS,
  O_CPU_SHARES,
  O_CPUSET_CPUS,
  O_PIDS_LIMIT,
  O_ULIMIT,
  O_OOM_SCORE_ADJ,
  O_CAP_ADD,
  O_CAP_DROP,
  O_PRIVILEGED,
  O_SECURITY_OPT,
  O_DEVICE,
  O_SHM_SIZE,
  O_INIT,
  O_RESTART,
  O_STOP_SIGNAL,
  O_STOP_TIMEOUT,
  O_NETWORK,
  O_PUBLISH,
  O_PUBLISH_ALL,
  O_IP,
  O_IP6,
  O_MAC_ADDRESS,
  O_NETWORK_ALIAS,
  O_DNS,
  O_DNS_SEARCH,
  O_DNS_OPTION,
  O_ADD_HOST,
};

struct option_def
{
  const char *name;
  char short_name; /* 0 when none */
  bool has_arg;
  enum opt id;
};

static const struct option_def options[] = {
  { "detach", 'd', false, O_DETACH },
  { "interactive", 'i', false, O_INTERACTIVE },
  { "tty", 't', false, O_TTY },
  { "rm", 0, false, O_RM },
  { "name", 0, true, O_NAME },
  { "env", 'e', true, O_ENV },
  { "env-file", 0, true, O_ENV_FILE },
  { "workdir", 'w', true, O_WORKDIR },
  { "user", 'u', true, O_USER },
  { "hostname", 'h', true, O_HOSTNAME },
  { "entrypoint", 0, true, O_ENTRYPOINT },
  { "label", 'l', true, O_LABEL },
  { "volume", 'v', true, O_VOLUME },
  { "mount", 0, true, O_MOUNT },
  { "read-only", 0, false, O_READ_ONLY },
  { "tmpfs", 0, true, O_TMPFS },
  { "memory", 'm', true, O_MEMORY },
  { "memory-swap", 0, true, O_MEMORY_SWAP },
  { "memory-reservation", 0, true, O_MEMORY_RESERVATION },
  { "cpus", 0, true, O_CPUS },
  { "cpu-shares", 'c', true, O_CPU_SHARES },
  { "cpuset-cpus", 0, true, O_CPUSET_CPUS },
  { "pids-limit", 0, true, O_PIDS_LIMIT },
  { "ulimit", 0, true, O_ULIMIT },
  { "oom-score-adj", 0, true, O_OOM_SCORE_ADJ },
  { "cap-add", 0, true, O_CAP_ADD },
  { "cap-drop", 0, true, O_CAP_DROP },
  { "privileged", 0, false, O_PRIVILEGED },
  { "security-opt", 0, true, O_SECURITY_OPT },
  { "device", 0, true, O_DEVICE },
  { "shm-size", 0, true, O_SHM_SIZE },
  { "init", 0, false, O_INIT },
  { "restart", 0, true, O_RESTART },
  { "stop-signal", 0, true, O_STOP_SIGNAL },
  { "stop-timeout", 0, true, O_STOP_TIMEOUT },
  { "network", 0, true, O_NETWORK },
  { "net", 0, true, O_NETWORK },
  { "publish", 'p', true, O_PUBLISH },
  { "publish-all", 'P', false, O_PUBLISH_ALL },
  { "ip", 0, true, O_IP },
  { "ip6", 0, true, O_IP6 },
  { "mac-address", 0, true, O_MAC_ADDRESS },
  { "network-alias", 0, true, O_NETWORK_ALIAS },
  { "net-alias", 0, true, O_NETWORK_ALIAS },
  { "dns", 0, true, O_DNS },
  { "dns-search", 0, true, O_DNS_SEARCH },
  { "dns-option", 0, true, O_DNS_OPTION },
  { "dns-opt", 0, true, O_DNS_OPTION },
  { "add-host", 0, true, O_ADD_HOST },
};

static int
set_bool_flag (struct parse_state *st, enum opt id, bool value)
{
  struct berth_run_request *req = st->req;

  switch (id)
    {
    case O_DETACH:
      req->detach = value;
      break;
    case O_INTERACTIVE:
      req->interactive = value;
      break;
    case O_TTY:
      req->tty = value;
      break;
    case O_RM:
      req->rm = value;
      break;
    case O_READ_ONLY:
      req->read_only = value;
      break;
    case O_PRIVILEGED:
      req->privileged = value;
      break;
    case O_INIT:
      req->init = value;
      break;
    case O_PUBLISH_ALL:
      req->publish_all = value;
      break;
    default:
      return FLAG_ERROR (st, "internal error: not a boolean flag");
    }
  return 0;
}

static int
apply_option (struct parse_state *st, enum opt id, const char *value)
{
  struct berth_run_request *req = st->req;
  long n;

  switch (id)
    {
    case O_NAME:
      {
        const char *name = value[0] == '/' ? value + 1 : value;

        if (!valid_name (name))
          return FLAG_ERROR (st,
                             "invalid container name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] "
                             "are allowed, at least two characters",
                             value);
        return set_string (st, &req->name, name);
      }
    case O_ENV:
      return add_env (st, value);
    case O_ENV_FILE:
      return add_env_file (st, value);
    case O_WORKDIR:
      if (value[0] != '/')
        return FLAG_ERROR (st,
                           "the working directory \"%s\" is invalid: it must be an absolute "
                           "path",
                           value);
      return set_string (st, &req->workdir, value);
    case O_USER:
      if (*value == '\0' || *value == ':')
        return FLAG_ERROR (st, "invalid user \"%s\"", value);
      return set_string (st, &req->user, value);
    case O_HOSTNAME:
      if (*value == '\0' || strlen (value) > 64)
        return FLAG_ERROR (st, "invalid hostname \"%s\": 1 to 64 characters", value);
      return set_string (st, &req->hostname, value);
    case O_ENTRYPOINT:
      req->has_entrypoint = true;
      return set_string (st, &req->entrypoint, value);
    case O_LABEL:
      return add_label (st, value);
    case O_VOLUME:
      return add_volume_flag (st, value);
    case O_MOUNT:
      return add_mount_flag (st, value);
    case O_TMPFS:
      return add_tmpfs_flag (st, value);
    case O_MEMORY:
      if (parse_size_value (st, value, &req->memory) < 0)
        return -1;
      if (req->memory != 0 && req->memory < MIN_MEMORY)
        return FLAG_ERROR (st, "minimum memory limit allowed is 6MB");
      req->has_memory = req->memory != 0;
      return 0;
    case O_MEMORY_SWAP:
      if (strcmp (value, "-1") == 0)
        req->memory_swap = -1;
      else if (parse_size_value (st, value, &req->memory_swap) < 0)
        return -1;
      req->has_memory_swap = req->memory_swap != 0;
      return 0;
    case O_MEMORY_RESERVATION:
      if (parse_size_value (st, value, &req->memory_reservation) < 0)
        return -1;
      req->has_memory_reservation = req->memory_reservation != 0;
      return 0;
    case O_CPUS:
      return set_cpus (st, value);
    case O_CPU_SHARES:
      if (parse_int_value (st, value, 0, 262144, &n) < 0)
        return -1;
      req->has_cpu_shares = n != 0;
      req->cpu_shares = (uint64_t)n;
      return 0;
    case O_CPUSET_CPUS:
      if (!valid_cpu_list (value))
        return FLAG_ERROR (st, "invalid CPU list \"%s\" (as 0-3,7)", value);
      return set_string (st, &req->cpuset_cpus, value);
    case O_PIDS_LIMIT:
      if (parse_int_value (st, value, -1, LONG_MAX, &n) < 0)
        return -1;
      req->has_pids_limit = true;
      req->pids_limit = n;
      return 0;
    case O_ULIMIT:
      return add_ulimit (st, value);
    case O_OOM_SCORE_ADJ:
      if (parse_int_value (st, value, -1000, 1000, &n) < 0)
        return -1;
      req->has_oom_score_adj = true;
      req->oom_score_adj = (int)n;
      return 0;
    case O_CAP_ADD:
      return add_capability (st, &req->cap_add, value);
    case O_CAP_DROP:
      return add_capability (st, &req->cap_drop, value);
    case O_SECURITY_OPT:
      return add_security_opt (st, value);
    case O_DEVICE:
      return add_device (st, value);
    case O_SHM_SIZE:
      if (parse_size_value (st, value, &req->shm_size) < 0)
        return -1;
      if (req->shm_size <= 0)
        return FLAG_ERROR (st, "the size must be greater than 0");
      return 0;
    case O_RESTART:
      return set_restart (st, value);
    case O_STOP_SIGNAL:
      req->stop_signal = berth_signal_from_name (value);
      if (req->stop_signal < 0)
        return FLAG_ERROR (st, "invalid signal \"%s\"", value);
      return 0;
    case O_STOP_TIMEOUT:
      if (parse_int_value (st, value, -1, INT_MAX, &n) < 0)
        return -1;
      req->has_stop_timeout = true;
      req->stop_timeout = (int)n;
      return 0;
    case O_NETWORK:
      return set_network (st, value);
    case O_PUBLISH:
      if (*value == '\0')
        return FLAG_ERROR (st, "empty port mapping");
      return strv_push (&req->publish, value) < 0 ? oom (st) : 0;
    case O_IP:
    case O_IP6:
      {
        struct in6_addr a;
        if (inet_pton (id == O_IP ? AF_INET : AF_INET6, value, &a) != 1)
          return FLAG_ERROR (st, "invalid IP%s address \"%s\"", id == O_IP ? "v4" : "v6", value);
        return set_string (st, id == O_IP ? &req->ip : &req->ip6, value);
      }
    case O_MAC_ADDRESS:
      {
        unsigned b[6];
        char extra;
        if (sscanf (value, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &extra)
                != 6
            || b[0] > 255 || (b[0] & 1))
          return FLAG_ERROR (st, "invalid MAC address \"%s\"", value);
        return set_string (st, &req->mac_address, value);
      }
    case O_NETWORK_ALIAS:
      if (!valid_name (value) && strchr (value, '.') == NULL)
        return FLAG_ERROR (st, "invalid network alias \"%s\"", value);
      return strv_push (&req->aliases, value) < 0 ? oom (st) : 0;
    case O_DNS:
      {
        struct in6_addr a;
        if (inet_pton (AF_INET, value, &a) != 1 && inet_pton (AF_INET6, value, &a) != 1)
          return FLAG_ERROR (st, "invalid DNS server \"%s\": an IP address", value);
        return strv_push (&req->dns, value) < 0 ? oom (st) : 0;
      }
    case O_DNS_SEARCH:
      return strv_push (&req->dns_search, value) < 0 ? oom (st) : 0;
    case O_DNS_OPTION:
      return strv_push (&req->dns_options, value) < 0 ? oom (st) : 0;
    case O_ADD_HOST:
      {
        const char *c = strchr (value, ':');
        struct in6_addr a;
        if (c == NULL || c == value
            || (inet_pton (AF_INET, c + 1, &a) != 1 && inet_pton (AF_INET6, c + 1, &a) != 1
                && strcmp (c + 1, "host-gateway") != 0))
          return FLAG_ERROR (st, "invalid --add-host \"%s\": HOST:IP expected", value);
        return strv_push (&req->add_hosts, value) < 0 ? oom (st) : 0;
      }
    default:
      return FLAG_ERROR (st, "internal error: flag takes no value");
    }
}

static const struct option_def *
find_long (const char *name, size_t len)
{
  for (size_t i = 0; i < sizeof (options) / sizeof (options[0]); i++)
    if (strlen (options[i].name) == len && strncmp (options[i].name, name, len) == 0)
      return &options[i];
  return NULL;
}

static const struct option_def *
find_short (char c)
{
  for (size_t i = 0; i < sizeof (options) / sizeof (options[0]); i++)
    if (options[i].short_name == c)
      return &options[i];
  return NULL;
}

static bool
allowed (struct parse_state *st, const struct option_def *def)
{
  return !(st->req->create_only && def->id == O_DETACH);
}

/* "--name=value", "--name value", "--rm", "--rm=false".  Returns how many
 * arguments it used, or -1.  */
static int
parse_long_flag (struct parse_state *st, int argc, char *const *argv, int i)
{
  const char *arg = argv[i] + 2;
  const char *eq = strchr (arg, '=');
  size_t len = eq ? (size_t)(eq - arg) : strlen (arg);
  const struct option_def *def = find_long (arg, len);
  char flag[64];

  snprintf (flag, sizeof (flag), "--%.*s", (int)len, arg);
  st->flag = flag;
  if (def == NULL || !allowed (st, def))
    return berth_error (st->err, 0, "unknown flag: %s", flag);
  if (!def->has_arg)
    {
      bool value = true;

      if (eq && parse_bool_value (st, eq + 1, &value) < 0)
        return -1;
      return set_bool_flag (st, def->id, value) < 0 ? -1 : 1;
    }
  if (eq)
    return apply_option (st, def->id, eq + 1) < 0 ? -1 : 1;
  if (i + 1 >= argc)
    return FLAG_ERROR (st, "flag needs an argument");
  return apply_option (st, def->id, argv[i + 1]) < 0 ? -1 : 2;
}

/* "-it", "-dit", "-m64m", "-m 64m", "-e=X" (pflag keeps the "=" off).  */
static int
parse_short_flags (struct parse_state *st, int argc, char *const *argv, int i)
{
  const char *arg = argv[i];
  char flag[3] = { '-', 0, 0 };

  for (const char *p = arg + 1; *p; p++)
    {
      const struct option_def *def = find_short (*p);

      flag[1] = *p;
      st->flag = flag;
      if (def == NULL || !allowed (st, def))
        return berth_error (st->err, 0, "unknown shorthand flag: '%c' in %s", *p, arg);
      if (!def->has_arg)
        {
          if (set_bool_flag (st, def->id, true) < 0)
            return -1;
          continue;
        }
      if (p[1] != '\0')
        return apply_option (st, def->id, p[1] == '=' ? p + 2 : p + 1) < 0 ? -1 : 1;
      if (i + 1 >= argc)
        return FLAG_ERROR (st, "flag needs an argument");
      return apply_option (st, def->id, argv[i + 1]) < 0 ? -1 : 2;
    }
  return 1;
}

/* Checks that involve more than one flag, as Docker makes them.  */
static int
check_combinations (struct parse_state *st)
{
  struct berth_run_request *req = st->req;

  if (req->has_memory_swap && req->memory_swap > 0)
    {
      st->flag = "--memory-swap";
      if (!req->has_memory)
        return FLAG_ERROR (st, "set a memory limit (-m) too when setting memory+swap");
      if (req->memory_swap < req->memory)
        return FLAG_ERROR (st, "memory+swap must be at least the memory limit");
    }
  if (req->has_memory_reservation && req->has_memory && req->memory_reservation > req->memory)
    {
      st->flag = "--memory-reservation";
      return FLAG_ERROR (st, "the reservation must be smaller than the memory limit");
    }
  if (req->rm && req->restart != BERTH_RESTART_NO)
    {
      st->flag = "--restart";
      return FLAG_ERROR (st, "conflicts with --rm");
    }
  return 0;
}

int
berth_run_options_parse (int argc, char *const *argv, char *const *envp, bool create,
                         struct berth_run_request **out, berth_error_t *err)
{
  struct berth_run_request *req = calloc (1, sizeof (*req));
  struct parse_state st = { req, envp, "", err };
  int i = 0;

  if (req == NULL)
    return berth_error (err, ENOMEM, "run");
  req->create_only = create;
  req->shm_size = DEFAULT_SHM_SIZE;
  while (i < argc)
    {
      const char *arg = argv[i];
      int used;

      if (strcmp (arg, "--") == 0)
        {
          i++;
          break;
        }
      if (arg[0] != '-' || arg[1] == '\0')
        break;
      if (arg[1] == '-')
        used = parse_long_flag (&st, argc, argv, i);
      else
        used = parse_short_flags (&st, argc, argv, i);
      if (used < 0)
        goto fail;
      i += used;
    }
  if (i >= argc)
    {
      berth_error (err, 0, "\"%s\" requires at least 1 argument: IMAGE [COMMAND] [ARG...]",
                   create ? "create" : "run");
      goto fail;
    }
  req->image = strdup (argv[i++]);
  req->command = calloc (argc - i + 1, sizeof (char *));
  if (req->image == NULL || req->command == NULL)
    {
      oom (&st);
      goto fail;
    }
  for (int j = 0; i < argc; i++, j++)
    if ((req->command[j] = strdup (argv[i])) == NULL)
      {
        oom (&st);
        goto fail;
      }
  if (check_combinations (&st) < 0)
    goto fail;
  *out = req;
  return 0;

fail:
  berth_run_request_free (req);
  return berth_error_ret (err);
}
