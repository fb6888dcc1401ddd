/* Changing containers: stop, restart, kill, rm, pause, unpause, rename,
 * container prune, and the `container` command group.  */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "engine/network.h"
#include "engine/container.h"
#include "engine/signal_names.h"

typedef int (*per_container_fn) (struct berth_engine *e, const char *id, void *data,
                                 berth_error_t *err);

/* Docker's way: each container in turn, its ref printed on success, the
 * first failure reported last.  */
static int
each_container (struct cli *cli, int argc, char **argv, const char *cmd, per_container_fn fn,
                void *data, bool print, berth_error_t *err)
{
  struct berth_engine *e;
  int ret = 0;

  if (optind >= argc)
    {
      berth_error (err, 0, "%s: a container is needed", cmd);
      return BERTH_EXIT_ERROR;
    }
  if (cli_engine (cli, &e, err) < 0)
    return BERTH_EXIT_ERROR;
  for (int i = optind; i < argc; i++)
    {
      char id[BERTH_ID_LEN + 1];
      berth_error_t e2 = NULL;
      if (berth_engine_find (e, argv[i], id, NULL, &e2) < 0 || fn (e, id, data, &e2) < 0)
        {
          cli_more_error (err, &e2);
          ret = BERTH_EXIT_ERROR;
          continue;
        }
      if (print)
        printf ("%s\n", argv[i]);
    }
  return ret;
}

static int
parse_timeout (const char *cmd, int argc, char **argv, int *timeout, berth_error_t *err)
{
  static const struct option opts[] = {
    { "time", required_argument, NULL, 't' },
    { "timeout", required_argument, NULL, 't' },
    { NULL, 0, NULL, 0 },
  };
  int c;

  *timeout = -1;
  while ((c = getopt_long (argc, argv, "+t:", opts, NULL)) != -1)
    {
      char *end;
      if (c != 't')
        return cli_bad_option (cmd, argc, argv, err);
      *timeout = (int)strtol (optarg, &end, 10);
      if (*end || *timeout < -1)
        {
          berth_error (err, 0, "%s: invalid timeout `%s`", cmd, optarg);
          return BERTH_EXIT_ERROR;
        }
    }
  return 0;
}

static int
do_stop (struct berth_engine *e, const char *id, void *data, berth_error_t *err)
{
  return berth_engine_stop (e, id, 0, *(int *)data, err);
}

int
cmd_stop (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  int timeout;
  if (parse_timeout ("stop", argc, argv, &timeout, err) != 0)
    return BERTH_EXIT_ERROR;
  return each_container (cli, argc, argv, "stop", do_stop, &timeout, true, err);
}

static int
do_restart (struct berth_engine *e, const char *id, void *data, berth_error_t *err)
{
  int status;
  if (berth_engine_stop (e, id, 0, *(int *)data, err) < 0
      || berth_engine_net_restore (e, id, err) < 0)
    return -1;
  return berth_engine_start_detached (e, id, &status, err);
}

int
cmd_restart (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  int timeout;
  if (parse_timeout ("restart", argc, argv, &timeout, err) != 0)
    return BERTH_EXIT_ERROR;
  return each_container (cli, argc, argv, "restart", do_restart, &timeout, true, err);
}

static int
do_kill (struct berth_engine *e, const char *id, void *data, berth_error_t *err)
{
  return berth_engine_kill (e, id, *(int *)data, err);
}

int
cmd_kill (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "signal", required_argument, NULL, 's' },
    { NULL, 0, NULL, 0 },
  };
  int c, sig = SIGKILL;

  while ((c = getopt_long (argc, argv, "+s:", opts, NULL)) != -1)
    {
      if (c != 's')
        return cli_bad_option ("kill", argc, argv, err);
      sig = berth_signal_from_name (optarg);
      if (sig <= 0)
        {
          berth_error (err, 0, "invalid signal: %s", optarg);
          return BERTH_EXIT_ERROR;
        }
    }
  return each_container (cli, argc, argv, "kill", do_kill, &sig, true, err);
}

struct rm_opts
{
  bool force, volumes;
};

static int
do_rm (struct berth_engine *e, const char *id, void *data, berth_error_t *err)
{
  struct rm_opts *o = data;
  return berth_engine_remove (e, id, o->force, o->volumes, err);
}

int
cmd_rm (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "force", no_argument, NULL, 'f' },
    { "volumes", no_argument, NULL, 'v' },
    { NULL, 0, NULL, 0 },
  };
  struct rm_opts o = { 0 };
  int c;

  while ((c = getopt_long (argc, argv, "+fv", opts, NULL)) != -1)
    if (c == 'f')
      o.force = true;
    else if (c == 'v')
      o.volumes = true;
    else
      return cli_bad_option ("rm", argc, argv, err);
  return each_container (cli, argc, argv, "rm", do_rm, &o, true, err);
}

struct pause_op
{
  bool pause;
};

static void
set_paused (json_t *rec, void *data)
{
  bool p = *(bool *)data;
  json_t *st = json_object_get (rec, "State");
  json_object_set_new (st, "Paused", json_boolean (p));
  json_object_set_new (st, "Status", json_string (p ? "paused" : "running"));
}

static int
do_pause (struct berth_engine *e, const char *id, void *data, berth_error_t *err)
{
  bool pause = *(bool *)data;
  json_t *rec = NULL;
  bool running, paused;

  if (berth_engine_record (e, id, &rec, err) < 0)
    return -1;
  running = json_is_true (json_object_get (json_object_get (rec, "State"), "Running"));
  paused = json_is_true (json_object_get (json_object_get (rec, "State"), "Paused"));
  json_decref (rec);
  if (!running)
    return berth_error (err, 0, "container %s is not running", id);
  if (pause && paused)
    return berth_error (err, 0, "container %s is already paused", id);
  if (!pause && !paused)
    return berth_error (err, 0, "container %s is not paused", id);
  if ((pause ? berth_container_pause (&e->rt, id, err) : berth_container_resume (&e->rt, id, err))
      < 0)
    return -1;
  return berth_engine_update_record (e, id, set_paused, &pause, err);
}

int
cmd_pause (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  bool p = true;
  optind = 1;
  return each_container (cli, argc, argv, "pause", do_pause, &p, true, err);
}

int
cmd_unpause (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  bool p = false;
  optind = 1;
  return each_container (cli, argc, argv, "unpause", do_pause, &p, true, err);
}

static void
set_name (json_t *rec, void *data)
{
  char buf[300];
  snprintf (buf, sizeof (buf), "/%s", (const char *)data);
  json_object_set_new (rec, "Name", json_string (buf));
}

int
cmd_rename (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  struct berth_engine *e;
  char id[BERTH_ID_LEN + 1];

  if (argc != 3)
    {
      berth_error (err, 0, "rename: CONTAINER and NEW_NAME are needed");
      return BERTH_EXIT_ERROR;
    }
  if (cli_engine (cli, &e, err) < 0 || berth_engine_find (e, argv[1], id, NULL, err) < 0
      || berth_store_rename (e->store, id, argv[2], err) < 0
      || berth_engine_update_record (e, id, set_name, argv[2], err) < 0)
    return BERTH_EXIT_ERROR;
  return 0;
}

int
cmd_container_prune (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  struct berth_store_entry *ents = NULL;
  struct berth_engine *e;
  size_t n = 0;
  bool header = false;

  if (cli_engine (cli, &e, err) < 0 || berth_store_list (e->store, &ents, &n, err) < 0)
    return BERTH_EXIT_ERROR;
  for (size_t i = 0; i < n; i++)
    {
      json_t *rec = NULL;
      berth_error_t e2 = NULL;
      bool running;
      if (!ents[i].complete || berth_engine_record (e, ents[i].id, &rec, &e2) < 0)
        {
          berth_error_release (&e2);
          continue;
        }
      running = json_is_true (json_object_get (json_object_get (rec, "State"), "Running"))
                || json_is_true (json_object_get (json_object_get (rec, "State"), "Restarting"))
                || berth_engine_monitor_alive (e, ents[i].id);
      json_decref (rec);
      if (running)
        continue;
      if (berth_engine_remove (e, ents[i].id, false, false, &e2) < 0)
        {
          berth_error_release (&e2);
          continue;
        }
      if (!header)
        printf ("Deleted Containers:\n");
      header = true;
      printf ("%s\n", ents[i].id);
    }
  if (header)
    printf ("\n");
  printf ("Total reclaimed space: 0B\n");
  berth_store_entries_free (ents, n);
  return 0;
}

int
cmd_container (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct
  {
    const char *name;
    cli_command_fn fn;
  } subs[] = {
    { "run", cmd_run },         { "create", cmd_create },
    { "start", cmd_start },     { "stop", cmd_stop },
    { "restart", cmd_restart }, { "kill", cmd_kill },
    { "rm", cmd_rm },           { "ls", cmd_ps },
    { "list", cmd_ps },         { "ps", cmd_ps },
    { "inspect", cmd_inspect }, { "logs", cmd_logs },
    { "wait", cmd_wait },       { "top", cmd_top },
    { "port", cmd_port },       { "exec", cmd_exec },
    { "pause", cmd_pause },     { "unpause", cmd_unpause },
    { "rename", cmd_rename },   { "prune", cmd_container_prune },
  };
  if (argc < 2)
    {
      berth_error (err, 0, "container: a subcommand is needed");
      return BERTH_EXIT_ERROR;
    }
  for (size_t i = 0; i < sizeof (subs) / sizeof (subs[0]); i++)
    if (strcmp (argv[1], subs[i].name) == 0)
      return subs[i].fn (cli, argc - 1, argv + 1, err);
  berth_error (err, 0, "container: unknown subcommand `%s`", argv[1]);
  return BERTH_EXIT_ERROR;
}
