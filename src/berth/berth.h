/* berth: the Docker-style engine's command line.  Each command group is a
 * small file that parses its flags and calls the library; main.c owns the
 * global flags, dispatch and the one place errors are printed.  */
#ifndef BERTH_CLI_H
#define BERTH_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>

#include "error.h"
#include "image/image.h"

/* Docker's exit status for the engine's own errors.  */
#define BERTH_EXIT_ERROR 125

struct berth_engine;

struct cli
{
  const char *root;
  const char *runroot;              /* runtime state; hidden --runroot, $BERTH_RUNROOT */
  struct berth_image_store *images; /* opened on first use */
  struct berth_engine *engine;      /* opened on first use */
};

/* argc/argv start at the command name.  Returns the exit status; on failure
 * sets *err and returns BERTH_EXIT_ERROR.  */
typedef int (*cli_command_fn) (struct cli *cli, int argc, char **argv, berth_error_t *err);

int cli_images (struct cli *cli, struct berth_image_store **out, berth_error_t *err);
/* The container engine (and the image store it uses).  */
int cli_engine (struct cli *cli, struct berth_engine **out, berth_error_t *err);
/* What berth tells the user on stderr (not an error).  */
void cli_notice (const char *msg);
/* Print a second and later error of a command that goes on (rm a b c).  */
void cli_more_error (berth_error_t *err, berth_error_t *e);
/* getopt failed: the error line for it.  */
int cli_bad_option (const char *cmd, int argc, char **argv, berth_error_t *err);

/* format.c: Go-template field substitution over JSON ("{{.A.B}}",
 * "{{json .A}}"), "\t" and "\n" escapes.  */
int cli_format_json (const char *tmpl, json_t *obj, char **out, berth_error_t *err);
void cli_human_size (int64_t bytes, char *buf, size_t size);
void cli_human_since (time_t t, char *buf, size_t size);

int cmd_images (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_image_inspect (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_history (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_rmi (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_image_prune (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_tag (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_import (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_load (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_save (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_from_host (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_image_mount (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_image_umount (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_image (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_volume (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_cp (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_export (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_commit (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_network (struct cli *cli, int argc, char **argv, berth_error_t *err);

/* Registries (cmd_registry.c).  */
int cmd_pull (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_push (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_login (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_logout (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_search (struct cli *cli, int argc, char **argv, berth_error_t *err);
/* run/create --pull missing|always|never and --platform.  */
struct cli_pull
{
  const char *policy;
  const char *platform;
};
int cli_take_pull_options (int *argc, char **argv, struct cli_pull *p, berth_error_t *err);
int cli_pull_for_run (struct cli *cli, char **image, const struct cli_pull *p,
                      berth_error_t *err);

/* Containers.  */
int cmd_run (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_create (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_start (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_monitor (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_stop (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_restart (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_kill (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_rm (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_pause (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_unpause (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_rename (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_container_prune (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_ps (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_inspect (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_logs (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_wait (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_top (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_port (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_exec (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_attach (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_stats (struct cli *cli, int argc, char **argv, berth_error_t *err);
int cmd_container (struct cli *cli, int argc, char **argv, berth_error_t *err);

#endif
