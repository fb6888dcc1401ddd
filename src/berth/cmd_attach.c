/* attach: the terminal of a running -t container, or the live stdout and
 * stderr of one without (and its stdin when it was started with -i),
 * through its monitor's attach socket; the detach keys (ctrl-p ctrl-q, or
 * --detach-keys) leave it running.  Without a terminal, the signals we get
 * go to the container (--sig-proxy, on by default, as Docker's); with one,
 * ctrl-c and the like are keys for the container's terminal.  Ends with the
 * container, with its exit status.  */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "berth.h"
#include "cleanup.h"
#include "engine/container.h"
#include "util.h"

/* "ctrl-p,ctrl-q" (Docker's form: ctrl-<letter> or single characters)
 * into bytes.  */
static int
parse_detach_keys (const char *spec, char *out, size_t *n)
{
  cleanup_free char *copy = strdup (spec);
  *n = 0;
  for (char *save = NULL, *k = copy ? strtok_r (copy, ",", &save) : NULL; k;
       k = strtok_r (NULL, ",", &save))
    {
      if (*n == 8)
        return -1;
      if (strncmp (k, "ctrl-", 5) == 0 && k[5] && !k[6])
        {
          char c = k[5];
          if (c >= 'a' && c <= 'z')
            out[(*n)++] = (char)(c - 'a' + 1);
          else if (c >= '@' && c <= '_')
            out[(*n)++] = (char)(c - '@');
          else
            return -1;
        }
      else if (k[0] && !k[1])
        out[(*n)++] = k[0];
      else
        return -1;
    }
  return *n ? 0 : -1;
}

/* The output of a container without a terminal comes in frames (monitor.c:
 * an 8-byte header with the stream and the length, then the data): pass
 * each to our stdout or stderr.  Returns -1 when a write fails.  */
struct demux
{
  unsigned char head[8];
  size_t have; /* bytes of head[] read */
  size_t left; /* data bytes of the current frame still to come */
  int fd;      /* where they go */
};

static int
demux_feed (struct demux *d, const char *buf, size_t len)
{
  while (len > 0)
    {
      if (d->left == 0)
        {
          size_t take = sizeof (d->head) - d->have;
          if (take > len)
            take = len;
          memcpy (d->head + d->have, buf, take);
          d->have += take;
          buf += take;
          len -= take;
          if (d->have < sizeof (d->head))
            return 0;
          d->have = 0;
          d->fd = d->head[0] == 2 ? STDERR_FILENO : STDOUT_FILENO;
          d->left = (size_t)d->head[4] << 24 | (size_t)d->head[5] << 16 | (size_t)d->head[6] << 8
                    | (size_t)d->head[7];
          continue;
        }
      {
        size_t take = d->left < len ? d->left : len;
        if (berth_write_all (d->fd, buf, take) < 0)
          return -1;
        d->left -= take;
        buf += take;
        len -= take;
      }
    }
  return 0;
}

int
cmd_attach (struct cli *cli, int argc, char **argv, berth_error_t *err)
{
  static const struct option opts[] = {
    { "detach-keys", required_argument, NULL, 'k' },
    { "no-stdin", no_argument, NULL, 'n' },
    { "sig-proxy", optional_argument, NULL, 's' },
    { NULL, 0, NULL, 0 },
  };
  char keys[8] = { 0x10, 0x11 };
  size_t n_keys = 2, matched = 0;
  bool no_stdin = false, detached = false, raw = false, sig_proxy = true;
  static const int proxied[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM };
  sigset_t proxy_set, old_mask;
  cleanup_close int sigfd = -1;
  struct berth_engine *e;
  char id[BERTH_ID_LEN + 1];
  cleanup_free char *dir = NULL;
  cleanup_close int dfd = -1, sock = -1;
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  struct termios saved;
  json_t *rec = NULL;
  bool running, tty, open_stdin;
  struct demux demux = { 0 };
  int c, status = 0;

  while ((c = getopt_long (argc, argv, "+", opts, NULL)) != -1)
    if (c == 'k')
      {
        if (parse_detach_keys (optarg, keys, &n_keys) < 0)
          {
            berth_error (err, 0, "attach: invalid detach keys `%s`", optarg);
            return BERTH_EXIT_ERROR;
          }
      }
    else if (c == 'n')
      no_stdin = true;
    else if (c == 's')
      {
        if (optarg == NULL || strcmp (optarg, "true") == 0 || strcmp (optarg, "1") == 0)
          sig_proxy = true;
        else if (strcmp (optarg, "false") == 0 || strcmp (optarg, "0") == 0)
          sig_proxy = false;
        else
          {
            berth_error (err, 0, "attach: invalid --sig-proxy value `%s`", optarg);
            return BERTH_EXIT_ERROR;
          }
      }
    else
      return cli_bad_option ("attach", argc, argv, err);
  if (argc - optind != 1)
    {
      berth_error (err, 0, "attach: one container is needed");
      return BERTH_EXIT_ERROR;
    }
  if (cli_engine (cli, &e, err) < 0 || berth_engine_find (e, argv[optind], id, &rec, err) < 0)
    return BERTH_EXIT_ERROR;
  running = json_is_true (json_object_get (json_object_get (rec, "State"), "Running"));
  tty = json_is_true (json_object_get (json_object_get (rec, "Config"), "Tty"));
  open_stdin = json_is_true (json_object_get (json_object_get (rec, "Config"), "OpenStdin"));
  json_decref (rec);
  if (!running)
    {
      berth_error (err, 0, "cannot attach to a stopped container, start it first");
      return BERTH_EXIT_ERROR;
    }
  /* Without -i the container has no stdin to take ours.  */
  if (!open_stdin)
    no_stdin = true;
  dir = berth_store_container_dir (e->store, id);
  dfd = dir ? open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
  sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  snprintf (sa.sun_path, sizeof (sa.sun_path), "/proc/self/fd/%d/attach.sock", dfd);
  if (dfd < 0 || sock < 0 || connect (sock, (struct sockaddr *)&sa, sizeof (sa)) < 0)
    {
      berth_error (err, errno, "attach to %s", id);
      return BERTH_EXIT_ERROR;
    }
  /* Taken through a signalfd while we relay, passed on with `kill`.  */
  sigemptyset (&proxy_set);
  if (sig_proxy && !tty)
    {
      for (size_t i = 0; i < sizeof (proxied) / sizeof (proxied[0]); i++)
        sigaddset (&proxy_set, proxied[i]);
      sigprocmask (SIG_BLOCK, &proxy_set, &old_mask);
      sigfd = signalfd (-1, &proxy_set, SFD_CLOEXEC | SFD_NONBLOCK);
    }
  if (tty && !no_stdin && isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved) == 0)
    {
      struct termios t = saved;
      cfmakeraw (&t);
      raw = tcsetattr (STDIN_FILENO, TCSANOW, &t) == 0;
    }
  for (;;)
    {
      struct pollfd p[3] = { { .fd = sock, .events = POLLIN },
                             { .fd = no_stdin ? -1 : STDIN_FILENO, .events = POLLIN },
                             { .fd = sigfd, .events = POLLIN } };
      char buf[4096], out[4096 + 8];
      ssize_t got;
      size_t o = 0;

      if (poll (p, 3, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (p[2].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          while (read (sigfd, &si, sizeof (si)) == sizeof (si))
            {
              berth_error_t e2 = NULL;
              /* A container that has just ended: its end comes on the
               * socket.  */
              if (berth_engine_kill (e, id, (int)si.ssi_signo, &e2) < 0)
                berth_error_release (&e2);
            }
        }
      if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
        {
          got = read (sock, buf, sizeof (buf));
          if (got <= 0)
            break; /* the container ended */
          if (tty)
            berth_write_all (STDOUT_FILENO, buf, (size_t)got);
          else if (demux_feed (&demux, buf, (size_t)got) < 0)
            break;
        }
      if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
        {
          got = read (STDIN_FILENO, buf, sizeof (buf));
          if (got <= 0)
            {
              no_stdin = true;
              continue;
            }
          /* Hold back a prefix of the detach keys until it is complete or
           * broken.  */
          for (ssize_t i = 0; i < got && !detached; i++)
            {
              if (buf[i] == keys[matched])
                {
                  if (++matched == n_keys)
                    detached = true;
                  continue;
                }
              memcpy (out + o, keys, matched);
              o += matched;
              matched = 0;
              if (buf[i] == keys[0])
                {
                  matched = 1;
                  if (n_keys == 1)
                    detached = true;
                  continue;
                }
              out[o++] = buf[i];
            }
          if (o && berth_write_all (sock, out, o) < 0)
            break;
          if (detached)
            break;
        }
    }
  if (raw)
    tcsetattr (STDIN_FILENO, TCSANOW, &saved);
  if (sig_proxy && !tty)
    {
      if (sigfd >= 0)
        close (steal_fd (&sigfd));
      sigprocmask (SIG_SETMASK, &old_mask, NULL);
    }
  if (detached)
    {
      fprintf (stderr, "\r\nread escape sequence\r\n");
      return 0;
    }
  /* The container ended: its status, as `docker attach` exits with it.  */
  if (berth_engine_wait_stopped (e, id, 10000, err) > 0
      && berth_engine_record (e, id, &rec, NULL) == 0)
    {
      status
          = (int)json_integer_value (json_object_get (json_object_get (rec, "State"), "ExitCode"));
      json_decref (rec);
    }
  berth_error_release (err);
  return status;
}
