/* berth entry point: global flags (`berth [--root DIR] COMMAND ...`),
 * command dispatch, and the one place where errors are printed.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "engine/container.h"
#include "engine/network.h"
#include "linux/sealed_exe.h"

extern char **environ;

static const struct
{
  const char *name;
  cli_command_fn fn;
} commands[] = {
  { "image", cmd_image },     { "images", cmd_images }, { "rmi", cmd_rmi },   { "tag", cmd_tag },
  { "history", cmd_history }, { "import", cmd_import }, { "load", cmd_load }, { "save", cmd_save },
  { "run", cmd_run },         { "create", cmd_create }, { "start", cmd_start }, { "stop", cmd_stop },
  { "restart", cmd_restart }, { "kill", cmd_kill },     { "rm", cmd_rm },       { "ps", cmd_ps },
  { "inspect", cmd_inspect }, { "logs", cmd_logs },     { "wait", cmd_wait },   { "top", cmd_top },
  { "port", cmd_port },       { "exec", cmd_exec },     { "pause", cmd_pause },
  { "unpause", cmd_unpause }, { "rename", cmd_rename }, { "container", cmd_container },
  { "attach", cmd_attach },   { "monitor", cmd_monitor }, { "stats", cmd_stats },
  { "volume", cmd_volume },   { "cp", cmd_cp },         { "export", cmd_export },
  { "commit", cmd_commit },
  { "pull", cmd_pull },       { "push", cmd_push },     { "login", cmd_login },
  { "logout", cmd_logout },   { "search", cmd_search }, { "network", cmd_network },
};

static void
usage (FILE *out)
{
  fprintf (out,
           "Usage: berth [--root DIR] COMMAND [options]\n\n"
           "A daemonless Docker-style container engine.\n\n"
           "Image commands:\n"
           "  images      list images (-q, --format, --no-trunc)\n"
           "  image       from-host, inspect, ls, prune, rm, tag, history, import, load, save,\n"
           "              mount, umount\n"
           "  rmi         remove images (-f)\n"
           "  tag         SRC DST\n"
           "  history     the layers' history of an image\n"
           "  import      FILE|- [NAME]: a rootfs tarball as an image\n"
           "  load        -i FILE|-: a docker-archive, OCI archive or OCI layout\n"
           "  save        -o FILE [--format docker-archive|oci] NAME...\n"
           "  pull        NAME[:TAG|@DIGEST] from a registry (--platform, --tls-verify, -q)\n"
           "  push        IMAGE [DEST] to a registry\n"
           "  login       [-u USER -p PASS | --password-stdin] [REGISTRY]; logout [REGISTRY|--all]\n"
           "  search      REGISTRY[/TERM]: repositories of a registry (_catalog)\n\n"
           "Container commands:\n"
           "  run, create, start, stop, restart, kill, rm, ps, inspect, logs, wait, top,\n"
           "  port, exec, attach, stats, pause, unpause, rename, container prune\n\n"
           "Networks:\n"
           "  network     create, ls, inspect, rm, connect, disconnect, prune\n\n"
           "Volumes and container files:\n"
           "  volume      create, ls, inspect, rm, prune\n"
           "  cp          CONTAINER:SRC DEST | SRC CONTAINER:DEST\n"
           "  export      CONTAINER [-o FILE]: the container's filesystem as a tar\n"
           "  commit      [--change X] [-m MSG] CONTAINER [NAME[:TAG]]\n\n"
           "Global options:\n"
           "  --root DIR  image and container store (default " BERTH_IMAGE_DEFAULT_ROOT ")\n");
}

/* `berth COMMAND --help`: the command's synopsis (Docker's flag names;
 * README and `berth --help` say more).  False for a command without one.  */
static bool
command_help (const char *cmd)
{
  static const struct
  {
    const char *name, *usage;
  } help[] = {
    { "run", "run [OPTIONS] IMAGE [COMMAND [ARG...]]: create and start a container\n"
             "  -d -i -t --rm --name -e --env-file -w -u --hostname --entrypoint -l\n"
             "  -v --mount --read-only --tmpfs -m --memory-swap --memory-reservation\n"
             "  --cpus --cpu-shares --cpuset-cpus --pids-limit --ulimit --oom-score-adj\n"
             "  --cap-add --cap-drop --privileged --security-opt --device --shm-size\n"
             "  --init --restart --stop-signal --stop-timeout --log-opt --pull\n"
             "  --network --ip --ip6 --network-alias --mac-address -p -P --add-host\n"
             "  --dns --dns-search --dns-option" },
    { "create", "create [OPTIONS] IMAGE [COMMAND [ARG...]]: the options of run, not started" },
    { "start", "start [-a] [-i] CONTAINER..." },
    { "stop", "stop [-t SECONDS] CONTAINER..." },
    { "restart", "restart [-t SECONDS] CONTAINER..." },
    { "kill", "kill [-s SIGNAL] CONTAINER..." },
    { "rm", "rm [-f] [-v] CONTAINER..." },
    { "ps", "ps [-a] [-q] [-n N] [-l] [-s] [--no-trunc] [--filter K=V] [--format TEMPLATE]" },
    { "inspect", "inspect [-f TEMPLATE] CONTAINER|IMAGE..." },
    { "logs", "logs [-f] [--tail N] [--since TIME] [-t] CONTAINER" },
    { "wait", "wait CONTAINER..." },
    { "top", "top CONTAINER" },
    { "port", "port CONTAINER" },
    { "exec", "exec [-d] [-i] [-t] [-u USER] [-w DIR] [-e VAR=VALUE] [--privileged] CONTAINER "
              "COMMAND [ARG...]" },
    { "attach", "attach [--detach-keys KEYS] [--no-stdin] [--sig-proxy=true|false] CONTAINER" },
    { "stats", "stats [-a] [--no-stream] [--no-trunc] [--format TEMPLATE] [CONTAINER...]" },
    { "pause", "pause CONTAINER..." },
    { "unpause", "unpause CONTAINER..." },
    { "rename", "rename CONTAINER NEW_NAME" },
    { "cp", "cp [-a] [-L] CONTAINER:SRC DEST|- | SRC|- CONTAINER:DEST" },
    { "export", "export [-o FILE] CONTAINER" },
    { "commit", "commit [-a AUTHOR] [-c X] [-m MSG] [-p] CONTAINER [NAME[:TAG]]" },
    { "images", "images [-q] [--no-trunc] [--format TEMPLATE]" },
    { "rmi", "rmi [-f] IMAGE..." },
    { "tag", "tag SOURCE TARGET" },
    { "history", "history IMAGE" },
    { "import", "import FILE|- [NAME[:TAG]]" },
    { "load", "load -i FILE|-" },
    { "save", "save -o FILE [--format docker-archive|oci] IMAGE..." },
    { "volume", "volume create|ls|inspect|rm|prune" },
    { "image", "image from-host|inspect|ls|prune|rm|tag|history|import|load|save|mount|umount" },
    { "container", "container COMMAND: the container commands, and prune" },
    { "network", "network create|ls|inspect|rm|connect|disconnect|prune" },
    { "pull", "pull [-q] [--platform OS/ARCH] [--tls-verify=false] NAME[:TAG|@DIGEST]" },
    { "push", "push [-q] [--tls-verify=false] NAME [DESTINATION]" },
    { "login", "login [-u USER] [-p PASSWORD | --password-stdin] REGISTRY" },
    { "logout", "logout REGISTRY" },
    { "search", "search [--tls-verify=false] REGISTRY/TERM" },
  };

  for (size_t i = 0; i < sizeof (help) / sizeof (help[0]); i++)
    if (strcmp (cmd, help[i].name) == 0)
      {
        printf ("Usage: berth %s\n", help[i].usage);
        return true;
      }
  return false;
}

void
cli_notice (const char *msg)
{
  fprintf (stderr, "berth: %s\n", msg);
}

int
cli_images (struct cli *cli, struct berth_image_store **out, berth_error_t *err)
{
  if (cli->images == NULL)
    {
      if (berth_image_store_open (cli->root, &cli->images, err) < 0)
        return -1;
      /* rmi and prune keep images that containers use.  */
      if (berth_engine_open (cli->root, cli->runroot, cli->images, &cli->engine, err) < 0
          || berth_engine_net_enable (cli->engine, cli_notice, err) < 0)
        return -1;
      berth_image_store_set_in_use (cli->images, berth_engine_image_in_use, cli->engine);
    }
  *out = cli->images;
  return 0;
}

int
cli_engine (struct cli *cli, struct berth_engine **out, berth_error_t *err)
{
  struct berth_image_store *images;

  if (cli->engine == NULL)
    {
      if (cli_images (cli, &images, err) < 0)
        return -1;
      if (cli->engine == NULL
          && berth_engine_open (cli->root, cli->runroot, images, &cli->engine, err) < 0)
        return -1;
    }
  *out = cli->engine;
  return 0;
}

void
cli_more_error (berth_error_t *err, berth_error_t *e)
{
  if (*err == NULL)
    *err = *e;
  else
    {
      fprintf (stderr, "berth: %s\n", (*e)->msg);
      berth_error_release (e);
    }
  *e = NULL;
}

int
cli_bad_option (const char *cmd, int argc, char **argv, berth_error_t *err)
{
  const char *opt = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
  berth_error (err, 0, "%s: invalid option or missing argument `%s`", cmd, opt);
  return BERTH_EXIT_ERROR;
}

int
cmd_image (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct
  {
    const char *name;
    cli_command_fn fn;
  } subs[] = {
    { "from-host", cmd_from_host },
    { "inspect", cmd_image_inspect },
    { "ls", cmd_images },
    { "list", cmd_images },
    { "prune", cmd_image_prune },
    { "rm", cmd_rmi },
    { "tag", cmd_tag },
    { "history", cmd_history },
    { "import", cmd_import },
    { "load", cmd_load },
    { "save", cmd_save },
    { "mount", cmd_image_mount },
    { "umount", cmd_image_umount },
  };
  if (argc < 2)
    {
      berth_error (err, 0,
                   "image: a subcommand is needed (from-host, inspect, ls, prune, rm, "
                   "tag, history, import, load, save)");
      return BERTH_EXIT_ERROR;
    }
  for (size_t i = 0; i < sizeof (subs) / sizeof (subs[0]); i++)
    if (strcmp (argv[1], subs[i].name) == 0)
      return subs[i].fn (cli, argc - 1, argv + 1, err);
  berth_error (err, 0, "image: unknown subcommand `%s`", argv[1]);
  return BERTH_EXIT_ERROR;
}

enum
{
  OPT_ROOT = 1000,
  OPT_RUNROOT,
  OPT_HELP,
  OPT_VERSION,
};

static const struct option global_options[] = {
  { "root", required_argument, NULL, OPT_ROOT },
  { "runroot", required_argument, NULL, OPT_RUNROOT },
  { "help", no_argument, NULL, OPT_HELP },
  { "version", no_argument, NULL, OPT_VERSION },
  { NULL, 0, NULL, 0 },
};

int
main (int argc, char **argv)
{
  struct cli cli = { .root = BERTH_IMAGE_DEFAULT_ROOT };
  berth_error_t err = NULL;
  int c, status = -1;

  opterr = 0; /* one error line, ours */
  cli.runroot = getenv ("BERTH_RUNROOT");
  if (cli.runroot == NULL || cli.runroot[0] != '/')
    cli.runroot = BERTH_ENGINE_DEFAULT_RUNROOT;

  while ((c = getopt_long (argc, argv, "+hv", global_options, NULL)) != -1)
    switch (c)
      {
      case OPT_ROOT:
        cli.root = optarg;
        break;
      case OPT_RUNROOT:
        cli.runroot = optarg;
        break;
      case 'h':
      case OPT_HELP:
        usage (stdout);
        return 0;
      case 'v':
      case OPT_VERSION:
        printf ("berth version 0.1.0\n");
        return 0;
      default:
        usage (stderr);
        return BERTH_EXIT_ERROR;
      }
  if (optind >= argc)
    {
      usage (stderr);
      return BERTH_EXIT_ERROR;
    }
  if (optind + 1 < argc && strcmp (argv[optind + 1], "--help") == 0 && command_help (argv[optind]))
    return 0;
  /* Commands that create or exec containers in this process (libberth
   * clones the container's init from us) run from a sealed copy of the
   * binary, so a container cannot overwrite it through /proc/self/exe
   * (CVE-2019-5736), as berth-runtime does.  */
  {
    static const char *const sealed[] = { "run", "start", "exec", "monitor" };
    const char *cmd = argv[optind];
    if (strcmp (cmd, "container") == 0 && optind + 1 < argc)
      cmd = argv[optind + 1];
    for (size_t i = 0; i < sizeof (sealed) / sizeof (sealed[0]); i++)
      if (strcmp (cmd, sealed[i]) == 0)
        {
          int r;
          /* The sealed copy has no directory of ours around it: where
           * berth-monitor is, is told to the copy.  */
          char self[4096];
          ssize_t n = readlink ("/proc/self/exe", self, sizeof (self) - 1);
          if (getenv (BERTH_EXE_DIR_ENV) == NULL && n > 0)
            {
              char *slash;
              self[n] = '\0';
              slash = strrchr (self, '/');
              if (slash && self[0] == '/' && access (self, X_OK) == 0)
                {
                  *slash = '\0';
                  setenv (BERTH_EXE_DIR_ENV, self[0] ? self : "/", 1);
                }
            }
          r = berth_ensure_sealed_exe (argc, argv, environ);
          if (r < 0)
            {
              fprintf (stderr, "berth: cannot run from a sealed copy of the binary: %s\n",
                       strerror (-r));
              return BERTH_EXIT_ERROR;
            }
        }
  }
  for (size_t i = 0; i < sizeof (commands) / sizeof (commands[0]); i++)
    if (strcmp (argv[optind], commands[i].name) == 0)
      {
        char **sub = argv + optind;
        int subc = argc - optind;
        optind = 0; /* each command parses its own flags */
        status = commands[i].fn (&cli, subc, sub, &err);
        break;
      }
  if (status < 0)
    {
      berth_error (&err, 0, "unknown command `%s` (see `berth --help`)", argv[optind]);
      status = BERTH_EXIT_ERROR;
    }
  berth_engine_close (cli.engine);
  berth_image_store_close (cli.images);
  if (fflush (stdout) != 0 && status == 0)
    {
      berth_error (&err, errno, "write to stdout");
      status = BERTH_EXIT_ERROR;
    }
  if (err)
    {
      fprintf (stderr, "berth: %s\n", err->msg);
      berth_error_release (&err);
      return status ? status : BERTH_EXIT_ERROR;
    }
  return status;
}
