/* `exec`: run a process in a running container.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"
#include "util.h"

enum
{
  OPT_PID_FILE = 3000,
  OPT_CONSOLE_SOCKET,
  OPT_CWD,
  OPT_NO_NEW_PRIVS,
  OPT_PRESERVE_FDS,
  OPT_IGNORED,
};

/* Append to a NULL-terminated vector of borrowed strings.  */
static int
push (char ***v, size_t *n, char *s)
{
  char **nv = realloc (*v, (*n + 2) * sizeof (char *));
  if (nv == NULL)
    return -1;
  nv[(*n)++] = s;
  nv[*n] = NULL;
  *v = nv;
  return 0;
}

int
cmd_exec (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "process", required_argument, NULL, 'p' },
    { "tty", no_argument, NULL, 't' },
    { "detach", no_argument, NULL, 'd' },
    { "pid-file", required_argument, NULL, OPT_PID_FILE },
    { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
    { "cwd", required_argument, NULL, OPT_CWD },
    { "env", required_argument, NULL, 'e' },
    { "user", required_argument, NULL, 'u' },
    { "cap", required_argument, NULL, 'c' },
    { "no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS },
    { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
    { "additional-gids", required_argument, NULL, 'g' },
    { "process-label", required_argument, NULL, OPT_IGNORED },
    { "apparmor", required_argument, NULL, OPT_IGNORED },
    { "cgroup", required_argument, NULL, OPT_IGNORED },
    { "ignore-paused", no_argument, NULL, OPT_IGNORED },
    { NULL, 0, NULL, 0 },
  };
  struct berth_exec_options o = { 0 };
  char **env = NULL, **caps = NULL;
  size_t n_env = 0, n_caps = 0;
  int c, status = 0, r = 1;
  long n;

  while ((c = getopt_long_only (argc, argv, "+p:tde:u:c:g:", opts, NULL)) != -1)
    switch (c)
      {
      case 'p':
        o.process_path = optarg;
        break;
      case 't':
        o.tty = true;
        break;
      case 'd':
        o.detach = true;
        break;
      case OPT_PID_FILE:
        o.pid_file = optarg;
        break;
      case OPT_CONSOLE_SOCKET:
        o.console_socket = optarg;
        break;
      case OPT_CWD:
        o.cwd = optarg;
        break;
      case 'e':
        if (push (&env, &n_env, optarg) < 0)
          goto out;
        break;
      case 'u':
        o.user = optarg;
        break;
      case 'c':
        if (push (&caps, &n_caps, optarg) < 0)
          goto out;
        break;
      case OPT_NO_NEW_PRIVS:
        o.no_new_privs = true;
        break;
      case OPT_PRESERVE_FDS:
        if (!berth_parse_long (optarg, &n) || n < 0 || n > 65536)
          {
            berth_error (err, 0, "exec: --preserve-fds: invalid number `%s`", optarg);
            goto out;
          }
        o.preserve_fds = (int) n;
        break;
      case 'g':
      case OPT_IGNORED:
        break;
      default:
        berth_error (err, 0, "exec: invalid option `%s`", argv[optind - 1]);
        goto out;
      }
  if (optind >= argc)
    {
      berth_error (err, 0, "exec: requires a container ID");
      goto out;
    }
  o.id = argv[optind];
  o.args = argv + optind + 1;
  o.env = env;
  o.caps = caps;
  if (o.process_path == NULL && argc - optind < 2)
    {
      berth_error (err, 0, "exec: requires a command (or --process)");
      goto out;
    }
  r = berth_container_exec (&cli->rt, &o, &status, err) < 0 ? 1 : status;
out:
  free (env);
  free (caps);
  return r;
}
