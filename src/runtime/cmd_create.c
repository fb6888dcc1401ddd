/* `create`, `run` and `start`: the lifecycle commands.  */
#include <stdio.h>

#include "runtime.h"

int
cmd_create (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  struct berth_create_options o = { 0 };

  if (cli_parse_create_options (argc, argv, false, &o, err) < 0)
    return 1;
  return berth_container_create (&cli->rt, &o, NULL, err) < 0 ? 1 : 0;
}

int
cmd_run (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  struct berth_create_options o = { 0 };
  int status = 0;

  if (cli_parse_create_options (argc, argv, true, &o, err) < 0)
    return 1;
  if (berth_container_run (&cli->rt, &o, &status, err) < 0)
    return 1;
  return status;
}

int
cmd_start (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  const char *id;

  if (cli_parse_id_only (argc, argv, "start", &id, err) < 0)
    return 1;
  return berth_container_start (&cli->rt, id, err) < 0 ? 1 : 0;
}
