/* exec: a process in a running container, through libberth's exec with
 * the container's saved process as the base (seccomp, capabilities,
 * rlimits...) and -u/-w/-e/-t on top.  */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth.h"
#include "cleanup.h"
#include "engine/container.h"
#include "engine/spec.h"
#include "runtime/launch.h"
#include "util.h"

/* The process object: the container's, with the exec's changes.  */
static char *
exec_process (struct berth_engine *e, const char *id, char **args, const char *user,
              const char *cwd, char **env, bool tty, berth_error_t *err)
{
  cleanup_free char *spec_path = berth_engine_path (e, id, "config.json");
  cleanup_free char *rootfs = berth_engine_path (e, id, "rootfs");
  json_t *spec = spec_path ? json_load_file (spec_path, 0, NULL) : NULL;
  json_t *proc, *a, *envj;
  char *text;

  if (spec == NULL || (proc = json_object_get (spec, "process")) == NULL)
    {
      json_decref (spec);
      berth_error (err, 0, "exec: cannot read the spec of %s", id);
      return NULL;
    }
  a = json_array ();
  for (size_t i = 0; args[i]; i++)
    json_array_append_new (a, json_string (args[i]));
  json_object_set_new (proc, "args", a);
  json_object_set_new (proc, "terminal", json_boolean (tty));
  if (cwd)
    json_object_set_new (proc, "cwd", json_string (cwd));
  envj = json_object_get (proc, "env");
  for (size_t i = 0; env && env[i]; i++)
    {
      size_t k = strcspn (env[i], "="), j;
      json_t *v;
      bool replaced = false;
      json_array_foreach (envj, j, v)
      {
        const char *s = json_string_value (v);
        if (s && strncmp (s, env[i], k) == 0 && s[k] == '=')
          {
            json_array_set_new (envj, j, json_string (env[i]));
            replaced = true;
            break;
          }
      }
      if (!replaced)
        json_array_append_new (envj, json_string (env[i]));
    }
  if (user)
    {
      struct berth_engine_user u = { 0 };
      json_t *gids = json_array ();
      if (berth_engine_resolve_user (rootfs, user, &u, err) < 0)
        {
          json_decref (gids);
          json_decref (spec);
          return NULL;
        }
      for (size_t i = 0; i < u.n_additional_gids; i++)
        json_array_append_new (gids, json_integer (u.additional_gids[i]));
      json_object_set_new (proc, "user",
                           json_pack ("{s:I,s:I,s:o}", "uid", (json_int_t)u.uid, "gid",
                                      (json_int_t)u.gid, "additionalGids", gids));
      berth_engine_user_release (&u);
    }
  text = json_dumps (proc, JSON_COMPACT);
  json_decref (spec);
  if (text == NULL)
    berth_error (err, ENOMEM, "exec");
  return text;
}

static int
exec_status (berth_error_t *err)
{
  const char *m = (*err)->msg;
  if (strstr (m, "executable file not found") || strstr (m, "No such file"))
    return 127;
  if (strstr (m, "exec: ") && ((*err)->status == EACCES || strstr (m, "is a directory")))
    return 126;
  return BERTH_EXIT_ERROR;
}

/* exec -d: the process must outlive us, and libberth's exec makes it our
 * child: a session of its own reaps it; we wait only for it to start.  */
static int
exec_detached (struct berth_engine *e, const struct berth_exec_params *p, berth_error_t *err)
{
  int fds[2];
  pid_t child;
  char buf[4096];
  ssize_t n;

  if (pipe2 (fds, O_CLOEXEC) < 0)
    return berth_error (err, errno, "pipe"), BERTH_EXIT_ERROR;
  child = fork ();
  if (child < 0)
    return berth_error (err, errno, "fork"), BERTH_EXIT_ERROR;
  if (child == 0)
    {
      struct berth_process_handle h = { .pidfd = -1, .pty_master = -1 };
      berth_error_t e2 = NULL;
      int status;
      close (fds[0]);
      setsid ();
      if (fork () != 0)
        _exit (0);
      if (berth_exec (e->ctx, p, &h, &e2) < 0)
        {
          dprintf (fds[1], "%d %s", exec_status (&e2), e2->msg);
          _exit (1);
        }
      close (fds[1]);
      berth_wait (h.pidfd, &status, &e2);
      _exit (0);
    }
  close (fds[1]);
  waitpid (child, NULL, 0);
  n = read (fds[0], buf, sizeof (buf) - 1);
  close (fds[0]);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  {
    char *msg;
    int st = (int)strtol (buf, &msg, 10);
    berth_error (err, 0, "%s", *msg ? msg + 1 : msg);
    return st;
  }
}

int
cmd_exec (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "detach", no_argument, NULL, 'd' },        { "interactive", no_argument, NULL, 'i' },
    { "tty", no_argument, NULL, 't' },           { "user", required_argument, NULL, 'u' },
    { "workdir", required_argument, NULL, 'w' }, { "env", required_argument, NULL, 'e' },
    { "privileged", no_argument, NULL, 'P' },    { NULL, 0, NULL, 0 },
  };
  bool detach = false, interactive = false, tty = false;
  const char *user = NULL, *cwd = NULL;
  cleanup_free char **env = calloc ((size_t)argc + 1, sizeof (char *));
  size_t n_env = 0;
  struct berth_engine *e;
  char id[BERTH_ID_LEN + 1];
  cleanup_free char *proc = NULL;
  cleanup_close int devnull = -1;
  json_t *rec = NULL;
  bool running;
  int c, status = 0;

  if (env == NULL)
    return berth_error (err, ENOMEM, "exec"), BERTH_EXIT_ERROR;
  while ((c = getopt_long (argc, argv, "+ditu:w:e:", opts, NULL)) != -1)
    switch (c)
      {
      case 'd':
        detach = true;
        break;
      case 'i':
        interactive = true;
        break;
      case 't':
        tty = true;
        break;
      case 'u':
        user = optarg;
        break;
      case 'w':
        cwd = optarg;
        break;
      case 'e':
        if (strchr (optarg, '='))
          env[n_env++] = optarg;
        else if (getenv (optarg))
          {
            char *kv = NULL;
            if (asprintf (&kv, "%s=%s", optarg, getenv (optarg)) >= 0)
              env[n_env++] = kv; /* lives until exit */
          }
        break;
      case 'P':
        break;
      default:
        return cli_bad_option ("exec", argc, argv, err);
      }
  if (argc - optind < 2)
    {
      berth_error (err, 0, "exec: a container and a command are needed");
      return BERTH_EXIT_ERROR;
    }
  if (cli_engine (cli, &e, err) < 0 || berth_engine_find (e, argv[optind], id, &rec, err) < 0)
    return BERTH_EXIT_ERROR;
  running = json_is_true (json_object_get (json_object_get (rec, "State"), "Running"));
  json_decref (rec);
  if (!running)
    {
      berth_error (err, 0, "container %s is not running", id);
      return BERTH_EXIT_ERROR;
    }
  proc = exec_process (e, id, argv + optind + 1, user, cwd, env, tty && !detach, err);
  if (proc == NULL)
    return BERTH_EXIT_ERROR;
  devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
  {
    int stdio[3] = { interactive && !detach ? STDIN_FILENO : devnull,
                     detach ? devnull : STDOUT_FILENO, detach ? devnull : STDERR_FILENO };
    struct berth_exec_params p = { .id = id, .process_json = proc, .stdio = stdio };
    struct berth_process_handle h = { .pidfd = -1, .pty_master = -1 };
    sigset_t fwd;

    if (detach)
      return exec_detached (e, &p, err);
    if (berth_exec (e->ctx, &p, &h, err) < 0)
      return exec_status (err);
    sigemptyset (&fwd);
    sigaddset (&fwd, SIGTERM);
    sigaddset (&fwd, SIGINT);
    sigaddset (&fwd, SIGHUP);
    sigaddset (&fwd, SIGQUIT);
    if (berth_relay_and_wait (h.pid, h.pty_master, &fwd, &status, err) < 0)
      status = BERTH_EXIT_ERROR;
    if (h.pty_master >= 0)
      close (h.pty_master);
    close (h.pidfd);
  }
  return status;
}
