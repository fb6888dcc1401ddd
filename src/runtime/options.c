/* Flag parsing shared by several commands.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime.h"
#include "util.h"

enum
{
  OPT_BUNDLE = 2000,
  OPT_PID_FILE,
  OPT_CONSOLE_SOCKET,
  OPT_NO_PIVOT,
  OPT_NO_NEW_KEYRING,
  OPT_PRESERVE_FDS,
  OPT_DETACH,
  OPT_NO_SUBREAPER,
  OPT_KEEP,
  OPT_IGNORED_ARG,
};

/* systemd socket activation passes LISTEN_FDS fds from 3 on, meant for us
 * only when LISTEN_PID is our pid: the library is told the count, it reads
 * no environment.  */
static int
listen_fds_from_env (void)
{
  const char *pid = getenv ("LISTEN_PID"), *fds = getenv ("LISTEN_FDS");
  long n, p;

  if (fds == NULL || !berth_parse_long (fds, &n) || n <= 0 || n > 1024)
    return 0;
  if (pid == NULL || !berth_parse_long (pid, &p) || p != getpid ())
    return 0;
  return (int) n;
}

int
cli_parse_create_options (int argc, char **argv, bool for_run, struct berth_create_options *o,
                          berth_error_t *err)
{
  static const struct option opts[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "pid-file", required_argument, NULL, OPT_PID_FILE },
    { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
    { "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
    { "no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING },
    { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
    { "detach", no_argument, NULL, 'd' },
    { "no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER },
    { "keep", no_argument, NULL, OPT_KEEP },
    { "config", required_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
  };
  const char *cmd = for_run ? "run" : "create";
  int c;
  long n;

  while ((c = getopt_long_only (argc, argv, "+b:df:", opts, NULL)) != -1)
    switch (c)
      {
      case 'b':
        o->bundle = optarg;
        break;
      case 'f':
        o->config_path = optarg;
        break;
      case OPT_PID_FILE:
        o->pid_file = optarg;
        break;
      case OPT_CONSOLE_SOCKET:
        o->console_socket = optarg;
        break;
      case OPT_NO_PIVOT:
        o->no_pivot = true;
        break;
      case OPT_NO_NEW_KEYRING:
        o->no_new_keyring = true;
        break;
      case OPT_PRESERVE_FDS:
        if (!berth_parse_long (optarg, &n) || n < 0 || n > 65536)
          return berth_error (err, 0, "%s: --preserve-fds: invalid number `%s`", cmd, optarg);
        o->preserve_fds = (int) n;
        break;
      case 'd':
        if (!for_run)
          return berth_error (err, 0, "%s: unknown option --detach", cmd);
        o->detach = true;
        break;
      case OPT_NO_SUBREAPER:
      case OPT_KEEP:
        break;
      default:
        return berth_error (err, 0, "%s: invalid option `%s`", cmd, argv[optind - 1]);
      }
  o->listen_fds = listen_fds_from_env ();
  return cli_require_id (argc, argv, cmd, &o->id, err);
}

int
cli_require_id (int argc, char **argv, const char *cmd, const char **id, berth_error_t *err)
{
  if (optind >= argc)
    return berth_error (err, 0, "%s: requires a container ID", cmd);
  if (argc - optind > 1)
    return berth_error (err, 0, "%s: unexpected argument `%s`", cmd, argv[optind + 1]);
  *id = argv[optind];
  return 0;
}

int
cli_parse_id_only (int argc, char **argv, const char *cmd, const char **id, berth_error_t *err)
{
  if (getopt_long_only (argc, argv, "+", (struct option[]){ { NULL, 0, NULL, 0 } }, NULL) != -1)
    return berth_error (err, 0, "%s: invalid option `%s`", cmd, argv[optind - 1]);
  return cli_require_id (argc, argv, cmd, id, err);
}
