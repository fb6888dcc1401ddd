/* Signal names as Docker accepts them (`--stop-signal`, `kill -s`, an image's
 * StopSignal): "SIGTERM", "TERM", "term", "15", "SIGRTMIN+3".  */
#ifndef BERTH_ENGINE_SIGNAL_NAMES_H
#define BERTH_ENGINE_SIGNAL_NAMES_H

/* The signal number, or -1 when NAME is not a signal.  */
int berth_signal_from_name (const char *name);

/* "SIGTERM" for 15 ("SIGRTMIN+3" for real-time ones); NULL when unknown.
 * Returns a static string, or buf (at least 16 bytes) for real-time ones.  */
const char *berth_signal_name (int sig, char buf[16]);

#endif
