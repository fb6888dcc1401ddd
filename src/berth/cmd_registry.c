/* Registries: pull, push, login, logout, search, and the pull that
 * run/create do for a missing image (--pull).  The environment is read here,
 * not in the library: $BERTH_REGISTRIES_CONF (the registries file),
 * $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR (the auth file, as Podman),
 * $DOCKER_CONFIG or ~/.docker (Docker's credentials, read only) and
 * $BERTH_PUSH_CHUNK_SIZE (push in PATCH chunks above this size).  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "cleanup.h"
#include "run_options.h"
#include "util.h"

enum
{
  O_TLS_VERIFY = 1000,
  O_AUTHFILE,
  O_CERT_DIR,
  O_PLATFORM,
  O_PASSWORD_STDIN,
  O_ALL,
  O_CREDS,
  O_COMPRESSION_FORMAT,
  O_COMPRESSION_LEVEL,
};

struct reg_opts
{
  struct berth_registry_options o;
  char *auth_file, *docker_config, *password_buf, *creds;
  bool quiet;
};

static void
reg_opts_defaults (struct reg_opts *r)
{
  const char *v;
  memset (r, 0, sizeof (*r));
  r->o.tls_verify = -1;
  r->o.config_path = getenv ("BERTH_REGISTRIES_CONF");
  if ((v = getenv ("REGISTRY_AUTH_FILE")) && *v)
    r->auth_file = strdup (v);
  else if (getuid () != 0 && (v = getenv ("XDG_RUNTIME_DIR")) && *v)
    {
      if (asprintf (&r->auth_file, "%s/containers/auth.json", v) < 0)
        r->auth_file = NULL;
    }
  if ((v = getenv ("DOCKER_CONFIG")) && *v)
    {
      if (asprintf (&r->docker_config, "%s/config.json", v) < 0)
        r->docker_config = NULL;
    }
  else if ((v = getenv ("HOME")) && *v)
    {
      if (asprintf (&r->docker_config, "%s/.docker/config.json", v) < 0)
        r->docker_config = NULL;
    }
  if ((v = getenv ("BERTH_PUSH_CHUNK_SIZE")))
    berth_parse_size (v, &r->o.chunk_size);
  r->o.auth_file = r->auth_file;
  r->o.docker_config = r->docker_config;
}

static void
reg_opts_clear (struct reg_opts *r)
{
  free (r->auth_file);
  free (r->docker_config);
  free (r->password_buf);
  free (r->creds);
}

static int
parse_bool (const char *v, bool *out)
{
  if (v == NULL || strcmp (v, "true") == 0 || strcmp (v, "1") == 0)
    *out = true;
  else if (strcmp (v, "false") == 0 || strcmp (v, "0") == 0)
    *out = false;
  else
    return -1;
  return 0;
}

/* The options every registry command takes; returns 1 when c was one.  */
static int
common_option (struct reg_opts *r, int c, const char *arg, berth_error_t *err)
{
  bool b;
  switch (c)
    {
    case O_TLS_VERIFY:
      if (parse_bool (arg, &b) < 0)
        return berth_error (err, 0, "--tls-verify: invalid value `%s`", arg);
      r->o.tls_verify = b;
      return 1;
    case O_AUTHFILE:
      free (r->auth_file);
      r->auth_file = strdup (arg);
      r->o.auth_file = r->auth_file;
      return 1;
    case O_CERT_DIR:
      r->o.certs_dir = arg;
      return 1;
    case O_CREDS:
      {
        char *colon;
        free (r->creds);
        r->creds = strdup (arg);
        if (r->creds == NULL || (colon = strchr (r->creds, ':')) == NULL)
          return berth_error (err, 0, "--creds: want USER:PASSWORD");
        *colon = '\0';
        r->o.username = r->creds;
        r->o.password = colon + 1;
        return 1;
      }
    case 'q':
      r->quiet = true;
      return 1;
    default:
      return 0;
    }
}

#define COMMON_OPTIONS                                                                             \
  { "tls-verify", optional_argument, NULL, O_TLS_VERIFY },                                         \
      { "authfile", required_argument, NULL, O_AUTHFILE },                                         \
      { "cert-dir", required_argument, NULL, O_CERT_DIR },                                         \
      { "creds", required_argument, NULL, O_CREDS },                                               \
  {                                                                                                \
    "quiet", no_argument, NULL, 'q'                                                                \
  }

static void
set_progress (struct reg_opts *r, FILE *out)
{
  r->o.out = out;
  r->o.progress = r->quiet ? 0 : isatty (fileno (out)) ? 2 : 1;
}

int
cmd_pull (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    COMMON_OPTIONS,
    { "platform", required_argument, NULL, O_PLATFORM },
    { NULL, 0, NULL, 0 },
  };
  struct reg_opts r;
  struct berth_image_store *s;
  cleanup_free char *id = NULL;
  int c, ret = BERTH_EXIT_ERROR;

  reg_opts_defaults (&r);
  optind = 1;
  while ((c = getopt_long (argc, argv, "+q", opts, NULL)) != -1)
    {
      int k = common_option (&r, c, optarg, err);
      if (k < 0)
        goto out;
      if (k)
        continue;
      if (c == O_PLATFORM)
        r.o.platform = optarg;
      else
        {
          ret = cli_bad_option ("pull", argc, argv, err);
          goto out;
        }
    }
  if (optind + 1 != argc)
    {
      berth_error (err, 0, "\"berth pull\" requires exactly 1 argument: NAME[:TAG|@DIGEST]");
      goto out;
    }
  set_progress (&r, stdout);
  if (cli_images (cli, &s, err) < 0 || berth_image_pull (s, argv[optind], &r.o, &id, err) < 0)
    goto out;
  printf ("%s\n", id);
  ret = 0;
out:
  reg_opts_clear (&r);
  return ret;
}

int
cmd_push (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    COMMON_OPTIONS,
    { "compression-format", required_argument, NULL, O_COMPRESSION_FORMAT },
    { "compression-level", required_argument, NULL, O_COMPRESSION_LEVEL },
    { NULL, 0, NULL, 0 },
  };
  struct reg_opts r;
  struct berth_image_store *s;
  cleanup_free char *digest = NULL;
  bool gzip = true;
  long level = 6;
  int c, ret = BERTH_EXIT_ERROR;

  reg_opts_defaults (&r);
  optind = 1;
  while ((c = getopt_long (argc, argv, "+q", opts, NULL)) != -1)
    {
      int k = common_option (&r, c, optarg, err);
      if (k < 0)
        goto out;
      if (k)
        continue;
      if (c == O_COMPRESSION_FORMAT
          && (strcmp (optarg, "gzip") == 0 || strcmp (optarg, "none") == 0))
        gzip = optarg[0] == 'g';
      else if (c == O_COMPRESSION_FORMAT)
        {
          berth_error (err, 0, "--compression-format: gzip or none, not `%s`", optarg);
          goto out;
        }
      else if (c == O_COMPRESSION_LEVEL && berth_parse_long (optarg, &level) && level >= 1
               && level <= 9)
        ;
      else if (c == O_COMPRESSION_LEVEL)
        {
          berth_error (err, 0, "--compression-level: 1 to 9, not `%s`", optarg);
          goto out;
        }
      else
        {
          ret = cli_bad_option ("push", argc, argv, err);
          goto out;
        }
    }
  r.o.push_gzip = gzip ? (int)level : 0;
  if (optind >= argc || argc - optind > 2)
    {
      berth_error (err, 0, "\"berth push\" requires IMAGE [DESTINATION]");
      goto out;
    }
  set_progress (&r, stdout);
  if (cli_images (cli, &s, err) < 0
      || berth_image_push (s, argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL, &r.o,
                           &digest, err)
             < 0)
    goto out;
  if (r.quiet)
    printf ("%s\n", digest);
  ret = 0;
out:
  reg_opts_clear (&r);
  return ret;
}

/* "https://host:5000/v2/" or "host:5000": the host key; none is Docker Hub.  */
static char *
registry_arg (const char *arg)
{
  const char *p = arg ? strstr (arg, "://") : NULL;
  char *h;
  if (arg == NULL)
    return strdup ("docker.io");
  p = p ? p + 3 : arg;
  h = strndup (p, strcspn (p, "/"));
  if (h && (strcmp (h, "index.docker.io") == 0 || strcmp (h, "registry-1.docker.io") == 0))
    {
      free (h);
      h = strdup ("docker.io");
    }
  return h;
}

int
cmd_login (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    COMMON_OPTIONS,
    { "username", required_argument, NULL, 'u' },
    { "password", required_argument, NULL, 'p' },
    { "password-stdin", no_argument, NULL, O_PASSWORD_STDIN },
    { NULL, 0, NULL, 0 },
  };
  struct reg_opts r;
  cleanup_free char *host = NULL;
  bool from_stdin = false;
  int c, ret = BERTH_EXIT_ERROR;

  reg_opts_defaults (&r);
  optind = 1;
  while ((c = getopt_long (argc, argv, "+u:p:", opts, NULL)) != -1)
    {
      int k = common_option (&r, c, optarg, err);
      if (k < 0)
        goto out;
      if (k)
        continue;
      if (c == 'u')
        r.o.username = optarg;
      else if (c == 'p')
        r.o.password = optarg;
      else if (c == O_PASSWORD_STDIN)
        from_stdin = true;
      else
        {
          ret = cli_bad_option ("login", argc, argv, err);
          goto out;
        }
    }
  if (from_stdin)
    {
      size_t n = 0;
      if (berth_read_fd (0, &r.password_buf, &n, err) < 0)
        goto out;
      while (n > 0 && (r.password_buf[n - 1] == '\n' || r.password_buf[n - 1] == '\r'))
        r.password_buf[--n] = '\0';
      r.o.password = r.password_buf;
    }
  if (r.o.username == NULL || r.o.password == NULL)
    {
      berth_error (err, 0, "login: give --username and --password (or --password-stdin)");
      goto out;
    }
  host = registry_arg (optind < argc ? argv[optind] : NULL);
  if (host == NULL)
    {
      berth_error (err, ENOMEM, "login");
      goto out;
    }
  if (berth_registry_login (host, &r.o, err) < 0)
    goto out;
  printf ("Login Succeeded!\n");
  ret = 0;
out:
  reg_opts_clear (&r);
  return ret;
}

int
cmd_logout (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    COMMON_OPTIONS,
    { "all", no_argument, NULL, O_ALL },
    { NULL, 0, NULL, 0 },
  };
  struct reg_opts r;
  cleanup_free char *host = NULL;
  bool all = false;
  int c, ret = BERTH_EXIT_ERROR;

  reg_opts_defaults (&r);
  optind = 1;
  while ((c = getopt_long (argc, argv, "+a", opts, NULL)) != -1)
    {
      int k = common_option (&r, c, optarg, err);
      if (k < 0)
        goto out;
      if (k)
        continue;
      if (c == O_ALL || c == 'a')
        all = true;
      else
        {
          ret = cli_bad_option ("logout", argc, argv, err);
          goto out;
        }
    }
  host = registry_arg (optind < argc ? argv[optind] : NULL);
  if (host == NULL || berth_registry_logout (host, &r.o, all, err) < 0)
    goto out;
  if (all)
    printf ("Removed login credentials for all registries\n");
  else
    printf ("Removed login credentials for %s\n", host);
  ret = 0;
out:
  reg_opts_clear (&r);
  return ret;
}

/* search REGISTRY[/TERM]: the registry's _catalog, filtered by TERM.  */
int
cmd_search (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    COMMON_OPTIONS,
    { NULL, 0, NULL, 0 },
  };
  struct reg_opts r;
  cleanup_free char *host = NULL;
  cleanup_strv char **repos = NULL;
  const char *term = "";
  int c, ret = BERTH_EXIT_ERROR;

  reg_opts_defaults (&r);
  optind = 1;
  while ((c = getopt_long (argc, argv, "+", opts, NULL)) != -1)
    {
      int k = common_option (&r, c, optarg, err);
      if (k < 0)
        goto out;
      if (k == 0)
        {
          ret = cli_bad_option ("search", argc, argv, err);
          goto out;
        }
    }
  if (optind + 1 != argc)
    {
      berth_error (err, 0, "\"berth search\" requires REGISTRY[/TERM]");
      goto out;
    }
  host = strndup (argv[optind], strcspn (argv[optind], "/"));
  if (argv[optind][strlen (host)] == '/')
    term = argv[optind] + strlen (host) + 1;
  if (berth_registry_catalog (host, &r.o, &repos, err) < 0)
    goto out;
  printf ("NAME\n");
  for (size_t i = 0; repos[i]; i++)
    if (strstr (repos[i], term))
      printf ("%s/%s\n", host, repos[i]);
  ret = 0;
out:
  reg_opts_clear (&r);
  return ret;
}

/* run/create: take --pull and --platform out of argv (before the image, as
 * for --log-opt).  */
int
cli_take_pull_options (int *argc, char **argv, struct cli_pull *p, berth_error_t *err)
{
  int o = 0;

  p->policy = "missing";
  p->platform = NULL;
  for (int i = 0; i < *argc; i++)
    {
      const char **slot = NULL, *v = NULL;
      if (strcmp (argv[i], "--") == 0)
        {
          while (i < *argc)
            argv[o++] = argv[i++];
          break;
        }
      if (strcmp (argv[i], "--pull") == 0 || strcmp (argv[i], "--platform") == 0)
        {
          if (i + 1 >= *argc)
            return berth_error (err, 0, "%s needs a value", argv[i]);
          slot = argv[i][3] == 'u' ? &p->policy : &p->platform;
          v = argv[++i];
        }
      else if (strncmp (argv[i], "--pull=", 7) == 0)
        {
          slot = &p->policy;
          v = argv[i] + 7;
        }
      else if (strncmp (argv[i], "--platform=", 11) == 0)
        {
          slot = &p->platform;
          v = argv[i] + 11;
        }
      if (slot == NULL)
        {
          argv[o++] = argv[i];
          continue;
        }
      *slot = v;
    }
  *argc = o;
  if (strcmp (p->policy, "missing") != 0 && strcmp (p->policy, "always") != 0
      && strcmp (p->policy, "never") != 0)
    return berth_error (err, 0, "--pull: want missing, always or never, not `%s`", p->policy);
  return 0;
}

/* Pull *image when the policy says so; *image becomes the ID when the
 * name pulled is not the one the store resolves (another default
 * registry).  Nothing here touches libcurl for an image that is present
 * and --pull=missing.  */
int
cli_pull_for_run (struct cli *cli, char **image, const struct cli_pull *p, berth_error_t *err)
{
  struct berth_image_store *s;
  cleanup_free char *id = NULL, *found = NULL;
  struct reg_opts r;
  berth_error_t e = NULL;
  int ret;

  if (cli_images (cli, &s, err) < 0)
    return -1;
  if (strcmp (p->policy, "always") != 0)
    {
      if (berth_image_resolve (s, *image, &found, &e) == 0 || strcmp (p->policy, "never") == 0)
        {
          if (e)
            *err = e;
          return e ? -1 : 0;
        }
      berth_error_release (&e);
    }
  reg_opts_defaults (&r);
  r.o.platform = p->platform;
  set_progress (&r, stderr);
  if (strcmp (p->policy, "missing") == 0)
    fprintf (stderr, "Unable to find image '%s' locally\n", *image);
  ret = berth_image_pull (s, *image, &r.o, &id, err);
  reg_opts_clear (&r);
  if (ret < 0)
    return -1;
  if (berth_image_resolve (s, *image, &found, NULL) < 0 || strcmp (found, id) != 0)
    {
      free (*image);
      *image = steal_pointer (&id);
    }
  return 0;
}
