/* berth-runtime: runc's command line over the berth core.  Each command is a
 * small file that parses its flags and calls one library function.  */
#ifndef BERTH_RUNTIME_CLI_H
#define BERTH_RUNTIME_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "error.h"
#include "runtime/container.h"

struct cli
{
  struct berth_runtime rt;
  const char *log_path;
  bool log_json;
  const char *argv0;
};

/* Every command: argc/argv start at the command name.  Returns the exit
 * status; on failure sets *err and returns non-zero.  */
typedef int (*cli_command_fn) (struct cli *cli, int argc, char **argv, berth_error_t *err);

int cmd_spec (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_create (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_run (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_start (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_state (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_kill (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_delete (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_list (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_exec (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_pause (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_resume (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_ps (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_update (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_events (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_features (struct cli *cli, int argc, char **argv, berth_error_t *err);

/* Parse the flags shared by create and run into o; *ok_args is the index
 * of the container ID in argv.  */
int cli_parse_create_options (int argc, char **argv, bool for_run,
                              struct berth_create_options *o, berth_error_t *err);

/* Exactly one positional argument (the container ID) after the flags.  */
int cli_require_id (int argc, char **argv, const char *cmd, const char **id, berth_error_t *err);

/* Commands that take no flags, only the container ID.  */
int cli_parse_id_only (int argc, char **argv, const char *cmd, const char **id,
                       berth_error_t *err);

#endif
