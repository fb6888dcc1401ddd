/* run, create, start, and the hidden `monitor ID` role the detached
 * containers' monitors run in.  */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "berth.h"
#include "engine/network.h"
#include "engine/container.h"
#include "run_options.h"

extern char **environ;

/* --log-opt and --log-driver are not the run parser's: take them out of
 * argv (before the image; later words are the container's command).  */
static int
take_log_options (int *argc, char **argv, int64_t *max_size, berth_error_t *err)
{
  int o = 0;

  for (int i = 0; i < *argc; i++)
    {
      const char *v = NULL;
      if (strcmp (argv[i], "--") == 0)
        {
          while (i < *argc)
            argv[o++] = argv[i++];
          break;
        }
      if ((strcmp (argv[i], "--log-opt") == 0 || strcmp (argv[i], "--log-driver") == 0)
          && i + 1 < *argc)
        {
          v = argv[i][6] == 'o' ? argv[i + 1] : "";
          i++;
        }
      else if (strncmp (argv[i], "--log-opt=", 10) == 0)
        v = argv[i] + 10;
      else if (strncmp (argv[i], "--log-driver=", 13) == 0)
        v = "";
      if (v == NULL)
        {
          argv[o++] = argv[i];
          continue;
        }
      if (strncmp (v, "max-size=", 9) == 0 && berth_parse_size (v + 9, max_size) < 0)
        {
          berth_error (err, 0, "--log-opt: invalid max-size `%s`", v + 9);
          return -1;
        }
    }
  *argc = o;
  return 0;
}

static void
set_log_max (json_t *rec, void *data)
{
  json_t *b = json_object_get (rec, "Berth");
  char s[32];
  if (b == NULL)
    json_object_set_new (rec, "Berth", b = json_object ());
  json_object_set_new (b, "LogMaxSize", json_integer (*(int64_t *)data));
  snprintf (s, sizeof (s), "%lld", (long long)*(int64_t *)data);
  json_object_set_new (
      json_object_get (json_object_get (json_object_get (rec, "HostConfig"), "LogConfig"),
                       "Config"),
      "max-size", json_string (s));
}

static int
run_or_create (struct cli *cli, int argc, char **argv, bool create, berth_error_t *err)
{
  struct berth_run_request *req = NULL;
  struct berth_engine *e;
  char id[BERTH_ID_LEN + 1];
  int64_t max_size = -1;
  int status = BERTH_EXIT_ERROR;
  struct cli_pull pull;

  argc--;
  argv++;
  if (take_log_options (&argc, argv, &max_size, err) < 0
      || cli_take_pull_options (&argc, argv, &pull, err) < 0)
    return BERTH_EXIT_ERROR;
  if (berth_run_options_parse (argc, argv, environ, create, &req, err) < 0)
    return BERTH_EXIT_ERROR;
  if (cli_pull_for_run (cli, &req->image, &pull, err) < 0)
    goto out;
  if (req->rm && req->restart != BERTH_RESTART_NO)
    {
      berth_error (err, 0, "conflicting options: cannot specify both --restart and --rm");
      goto out;
    }
  if (cli_engine (cli, &e, err) < 0 || berth_engine_create (e, req, id, err) < 0)
    goto out;
  if (max_size >= 0 && berth_engine_update_record (e, id, set_log_max, &max_size, err) < 0)
    goto out;
  if (create)
    {
      printf ("%s\n", id);
      status = 0;
      goto out;
    }
  if (req->detach)
    {
      if (berth_engine_start_detached (e, id, &status, err) == 0)
        printf ("%s\n", id);
      goto out;
    }
  fflush (stdout);
  berth_engine_monitor (e, id, -1, true, &status, err);
out:
  berth_run_request_free (req);
  return status;
}

int
cmd_run (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  return run_or_create (cli, argc, argv, false, err);
}

int
cmd_create (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  return run_or_create (cli, argc, argv, true, err);
}

int
cmd_start (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "attach", no_argument, NULL, 'a' },
    { "interactive", no_argument, NULL, 'i' },
    { NULL, 0, NULL, 0 },
  };
  struct berth_engine *e;
  bool attach = false;
  int c, ret = 0;

  while ((c = getopt_long (argc, argv, "+ai", opts, NULL)) != -1)
    if (c == 'a' || c == 'i')
      attach = true;
    else
      return cli_bad_option ("start", argc, argv, err);
  if (optind >= argc)
    {
      berth_error (err, 0, "start: a container is needed");
      return BERTH_EXIT_ERROR;
    }
  if (cli_engine (cli, &e, err) < 0)
    return BERTH_EXIT_ERROR;
  for (int i = optind; i < argc; i++)
    {
      char id[BERTH_ID_LEN + 1];
      berth_error_t e2 = NULL;
      json_t *rec = NULL;
      int status = 0;

      if (berth_engine_find (e, argv[i], id, &rec, &e2) < 0)
        {
          cli_more_error (err, &e2);
          ret = BERTH_EXIT_ERROR;
          continue;
        }
      if (json_is_true (json_object_get (json_object_get (rec, "State"), "Running")))
        {
          json_decref (rec);
          if (!attach)
            printf ("%s\n", argv[i]);
          continue;
        }
      json_decref (rec);
      if (berth_engine_net_restore (e, id, &e2) < 0)
        {
          cli_more_error (err, &e2);
          ret = BERTH_EXIT_ERROR;
          continue;
        }
      if (attach && argc - optind == 1)
        {
          fflush (stdout);
          berth_engine_monitor (e, id, -1, true, &status, err);
          return status;
        }
      if (berth_engine_start_detached (e, id, &status, &e2) < 0)
        {
          cli_more_error (err, &e2);
          ret = BERTH_EXIT_ERROR;
          continue;
        }
      printf ("%s\n", argv[i]);
    }
  return ret;
}

int
cmd_monitor (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  struct berth_engine *e;
  int status;

  /* exec'd as /proc/self/exe: "exe" is no name for ps to show.  */
  prctl (PR_SET_NAME, "berth-monitor", 0, 0, 0);
  /* The `run -d` waiting on fd 3 may be gone (killed): its report is then
   * lost, the container is not.  */
  signal (SIGPIPE, SIG_IGN);
  if (argc != 2)
    {
      berth_error (err, 0, "monitor: an ID is needed");
      return BERTH_EXIT_ERROR;
    }
  if (cli_engine (cli, &e, err) < 0)
    {
      dprintf (3, "125 %s\n", (*err)->msg);
      return BERTH_EXIT_ERROR;
    }
  berth_engine_monitor (e, argv[1], 3, false, &status, err);
  return 0;
}
