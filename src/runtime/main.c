/* berth-runtime entry point: global flags, command dispatch, and the one
 * place where errors are printed (to stderr and to --log).  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "linux/sealed_exe.h"
#include "runtime.h"

#define DEFAULT_ROOT "/run/berth-runtime"

static const struct
{
  const char *name;
  cli_command_fn fn;
  bool starts_container; /* runs our code inside a container */
} commands[] = {
  { "spec", cmd_spec, false },     { "create", cmd_create, true }, { "run", cmd_run, true },
  { "exec", cmd_exec, true },      { "start", cmd_start, false },  { "state", cmd_state, false },
  { "kill", cmd_kill, false },     { "delete", cmd_delete, false }, { "list", cmd_list, false },
  { "features", cmd_features, false }, { "pause", cmd_pause, false },  { "resume", cmd_resume, false },
  { "ps", cmd_ps, false },         { "update", cmd_update, false }, { "events", cmd_events, false },
};

static void
usage (FILE *out)
{
  fprintf (out, "Usage: berth-runtime [global options] COMMAND [options] [ID]\n\n"
                "An OCI runtime with runc's command line.\n\n"
                "Commands: spec, create, start, run, exec, state, kill, delete, list, pause, resume,\n"
                "          ps, update, events, features\n\n"
                "Global options:\n"
                "  --root DIR          state directory (default " DEFAULT_ROOT ")\n"
                "  --log FILE          also write errors to FILE\n"
                "  --log-format FMT    text or json\n"
                "  --debug             verbose logging\n"
                "  --systemd-cgroup    accepted for compatibility\n"
                "  --rootless VALUE    accepted for compatibility\n");
}

static void
json_escape (FILE *f, const char *s)
{
  for (; *s; s++)
    {
      if (*s == '"' || *s == '\\')
        fprintf (f, "\\%c", *s);
      else if ((unsigned char) *s < 0x20)
        fprintf (f, "\\u%04x", *s);
      else
        fputc (*s, f);
    }
}

/* One line to --log, in its format.  */
static void
log_to_file (const struct cli *cli, const char *level, const char *msg)
{
  if (cli->log_path)
    {
      FILE *f = fopen (cli->log_path, "ae");
      char ts[64];
      time_t now = time (NULL);
      struct tm tm;
      if (f == NULL)
        return;
      gmtime_r (&now, &tm);
      strftime (ts, sizeof (ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
      if (cli->log_json)
        {
          fprintf (f, "{\"level\":\"%s\",\"msg\":\"", level);
          json_escape (f, msg);
          fprintf (f, "\",\"time\":\"%s\"}\n", ts);
        }
      else
        fprintf (f, "time=\"%s\" level=%s msg=\"%s\"\n", ts, level, msg);
      fclose (f);
    }
}

static void
report_error (const struct cli *cli, const char *msg)
{
  fprintf (stderr, "berth-runtime: %s\n", msg);
  log_to_file (cli, "error", msg);
}

/* The library's log callback: warnings (a failing poststart or poststop
 * hook) go to --log, and with --debug to stderr too, as debug lines do.  */
static void
library_log (enum berth_log_level level, const char *msg, void *data)
{
  const struct cli *cli = data;
  const char *name = level == BERTH_LOG_ERROR     ? "error"
                     : level == BERTH_LOG_WARNING ? "warning"
                     : level == BERTH_LOG_INFO    ? "info"
                                                  : "debug";

  if (cli->rt.debug)
    fprintf (stderr, "berth-runtime: %s: %s\n", name, msg);
  log_to_file (cli, name, msg);
}

/* An unprivileged caller cannot write /run: like runc, use its runtime dir.  */
static const char *
rootless_root (char *buf, size_t size)
{
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  if (xdg && *xdg)
    snprintf (buf, size, "%s/berth-runtime", xdg);
  else
    snprintf (buf, size, "/tmp/berth-runtime-%u", (unsigned) geteuid ());
  return buf;
}

enum
{
  OPT_ROOT = 1000,
  OPT_LOG,
  OPT_LOG_FORMAT,
  OPT_DEBUG,
  OPT_SYSTEMD_CGROUP,
  OPT_ROOTLESS,
  OPT_CRIU,
  OPT_HELP,
  OPT_VERSION,
};

static const struct option global_options[] = {
  { "root", required_argument, NULL, OPT_ROOT },
  { "log", required_argument, NULL, OPT_LOG },
  { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
  { "debug", no_argument, NULL, OPT_DEBUG },
  { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP },
  { "rootless", required_argument, NULL, OPT_ROOTLESS },
  { "criu", required_argument, NULL, OPT_CRIU },
  { "help", no_argument, NULL, OPT_HELP },
  { "version", no_argument, NULL, OPT_VERSION },
  { NULL, 0, NULL, 0 },
};

int
main (int argc, char **argv)
{
  struct cli cli = { .rt = { .root = DEFAULT_ROOT }, .argv0 = argv[0] };
  berth_error_t err = NULL;
  char root_buf[4096];
  bool root_given = false;
  int c, status;

  /* "+": stop at the command name; its own flags are parsed by it.  */
  while ((c = getopt_long_only (argc, argv, "+hv", global_options, NULL)) != -1)
    switch (c)
      {
      case OPT_ROOT:
        cli.rt.root = optarg;
        root_given = true;
        break;
      case OPT_LOG:
        cli.log_path = optarg;
        break;
      case OPT_LOG_FORMAT:
        if (strcmp (optarg, "json") != 0 && strcmp (optarg, "text") != 0)
          {
            fprintf (stderr, "berth-runtime: --log-format: unknown format `%s`\n", optarg);
            return 1;
          }
        cli.log_json = strcmp (optarg, "json") == 0;
        break;
      case OPT_DEBUG:
        cli.rt.debug = true;
        break;
      case OPT_SYSTEMD_CGROUP:
        cli.rt.systemd_cgroup = true;
        break;
      case OPT_ROOTLESS:
        cli.rt.rootless = strcmp (optarg, "true") == 0;
        break;
      case OPT_CRIU:
        break;
      case 'h':
      case OPT_HELP:
        usage (stdout);
        return 0;
      case 'v':
      case OPT_VERSION:
        printf ("berth-runtime version 0.1.0\nspec: 1.2.0\n");
        return 0;
      default:
        usage (stderr);
        return 1;
      }
  if (optind >= argc)
    {
      usage (stderr);
      return 1;
    }
  if (!root_given && geteuid () != 0)
    cli.rt.root = rootless_root (root_buf, sizeof (root_buf));
  cli.rt.log = library_log;
  cli.rt.log_data = &cli;
  for (size_t i = 0; i < sizeof (commands) / sizeof (commands[0]); i++)
    {
      if (strcmp (argv[optind], commands[i].name) != 0)
        continue;
      /* Commands that leave our code running inside a container run from a
       * sealed copy of the binary, so the container cannot overwrite it
       * through /proc/self/exe (CVE-2019-5736).  */
      if (commands[i].starts_container)
        {
          int r = berth_ensure_sealed_exe (argc, argv, environ);
          if (r < 0)
            {
              char msg[256];
              snprintf (msg, sizeof (msg), "cannot run from a sealed copy of the binary: %s",
                        strerror (-r));
              report_error (&cli, msg);
              return 1;
            }
        }
      argc -= optind;
      argv += optind;
      optind = 0; /* fresh getopt for the command */
      opterr = 0; /* the command reports a bad flag itself, in one line */
      status = commands[i].fn (&cli, argc, argv, &err);
      if (status != 0 && err)
        report_error (&cli, err->msg ? err->msg : "error");
      berth_error_release (&err);
      return status;
    }
  {
    char msg[256];
    snprintf (msg, sizeof (msg), "unknown command `%s`", argv[optind]);
    report_error (&cli, msg);
  }
  return 1;
}
