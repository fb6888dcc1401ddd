/* `kill` and `delete`: ending containers.  */
#include <signal.h>
#include <stdio.h>

#include "runtime.h"

int
cmd_kill (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "all", no_argument, NULL, 'a' },
    { NULL, 0, NULL, 0 },
  };
  bool all = false;
  int c, sig = SIGTERM;
  const char *id;

  while ((c = getopt_long_only (argc, argv, "+a", opts, NULL)) != -1)
    if (c == 'a')
      all = true;
    else
      return berth_error (err, 0, "kill: invalid option `%s`", argv[optind - 1]), 1;
  if (optind >= argc)
    return berth_error (err, 0, "kill: requires a container ID"), 1;
  id = argv[optind];
  if (argc - optind > 2)
    return berth_error (err, 0, "kill: unexpected argument `%s`", argv[optind + 2]), 1;
  if (argc - optind == 2)
    {
      sig = berth_signal_parse (argv[optind + 1]);
      if (sig < 0)
        return berth_error (err, 0, "kill: invalid signal `%s`", argv[optind + 1]), 1;
    }
  return berth_container_kill (&cli->rt, id, sig, all, err) < 0 ? 1 : 0;
}

int
cmd_delete (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "force", no_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
  };
  bool force = false;
  const char *id;
  int c;

  while ((c = getopt_long_only (argc, argv, "+f", opts, NULL)) != -1)
    if (c == 'f')
      force = true;
    else
      return berth_error (err, 0, "delete: invalid option `%s`", argv[optind - 1]), 1;
  if (cli_require_id (argc, argv, "delete", &id, err) < 0)
    return 1;
  return berth_container_delete (&cli->rt, id, force, err) < 0 ? 1 : 0;
}
