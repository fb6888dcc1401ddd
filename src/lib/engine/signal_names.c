/* Owns the table of signal names shared by the engine's flags and records.  */
#include "signal_names.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static const struct
{
  const char *name; /* "SIGHUP" */
  int number;
} signals[] = {
  { "SIGHUP", SIGHUP },       { "SIGINT", SIGINT },       { "SIGQUIT", SIGQUIT },
  { "SIGILL", SIGILL },       { "SIGTRAP", SIGTRAP },     { "SIGABRT", SIGABRT },
  { "SIGIOT", SIGIOT },       { "SIGBUS", SIGBUS },       { "SIGFPE", SIGFPE },
  { "SIGKILL", SIGKILL },     { "SIGUSR1", SIGUSR1 },     { "SIGSEGV", SIGSEGV },
  { "SIGUSR2", SIGUSR2 },     { "SIGPIPE", SIGPIPE },     { "SIGALRM", SIGALRM },
  { "SIGTERM", SIGTERM },     { "SIGSTKFLT", SIGSTKFLT }, { "SIGCHLD", SIGCHLD },
  { "SIGCLD", SIGCHLD },      { "SIGCONT", SIGCONT },     { "SIGSTOP", SIGSTOP },
  { "SIGTSTP", SIGTSTP },     { "SIGTTIN", SIGTTIN },     { "SIGTTOU", SIGTTOU },
  { "SIGURG", SIGURG },       { "SIGXCPU", SIGXCPU },     { "SIGXFSZ", SIGXFSZ },
  { "SIGVTALRM", SIGVTALRM }, { "SIGPROF", SIGPROF },     { "SIGWINCH", SIGWINCH },
  { "SIGIO", SIGIO },         { "SIGPOLL", SIGPOLL },     { "SIGPWR", SIGPWR },
  { "SIGSYS", SIGSYS },
};

/* Real-time signals are named relative to SIGRTMIN/SIGRTMAX, as the kernel's
 * numbering of them depends on what the C library reserves.  */
static int
realtime_from_name (const char *name)
{
  long off = 0;
  int base;
  const char *rest;

  if (strncasecmp (name, "RTMIN", 5) == 0)
    base = SIGRTMIN, rest = name + 5;
  else if (strncasecmp (name, "RTMAX", 5) == 0)
    base = SIGRTMAX, rest = name + 5;
  else
    return -1;
  if (*rest != '\0')
    {
      if ((*rest != '+' && *rest != '-') || !berth_parse_long (rest + 1, &off) || off < 0)
        return -1;
      if (*rest == '-')
        off = -off;
    }
  if (base + off < SIGRTMIN || base + off > SIGRTMAX)
    return -1;
  return base + (int)off;
}

int
berth_signal_from_name (const char *name)
{
  long n;

  if (name == NULL || *name == '\0')
    return -1;
  if (berth_parse_long (name, &n))
    return n >= 1 && n <= SIGRTMAX ? (int)n : -1;
  if (strncasecmp (name, "SIG", 3) == 0)
    name += 3;
  for (size_t i = 0; i < sizeof (signals) / sizeof (signals[0]); i++)
    if (strcasecmp (name, signals[i].name + 3) == 0)
      return signals[i].number;
  return realtime_from_name (name);
}

const char *
berth_signal_name (int sig, char buf[16])
{
  for (size_t i = 0; i < sizeof (signals) / sizeof (signals[0]); i++)
    if (signals[i].number == sig)
      return signals[i].name;
  if (sig >= SIGRTMIN && sig <= SIGRTMAX)
    {
      if (sig == SIGRTMIN)
        snprintf (buf, 16, "SIGRTMIN");
      else
        snprintf (buf, 16, "SIGRTMIN+%d", sig - SIGRTMIN);
      return buf;
    }
  return NULL;
}
