/* Pull and push progress, one line per layer as Docker shows it.  On a
 * terminal (mode 2) the block of lines is redrawn in place (at most every
 * 100 ms, and at each change of state) with bytes, a bar and the rate;
 * otherwise (mode 1) a plain line is printed at each change of state only.
 * Called from the download threads, hence the lock.  */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "util.h"

struct line
{
  char id[13];
  char state[32];
  int64_t total, done;
  long start_ms;
};

struct progress
{
  FILE *out;
  int mode;
  pthread_mutex_t mu;
  struct line *lines;
  int n, cap;
  int drawn; /* lines on screen to move back over */
  long last_draw;
};

struct progress *
progress_new (FILE *out, int mode)
{
  struct progress *p;
  if (mode == 0 || out == NULL)
    return NULL;
  p = calloc (1, sizeof (*p));
  if (p == NULL)
    return NULL;
  p->out = out;
  p->mode = mode;
  pthread_mutex_init (&p->mu, NULL);
  return p;
}

static void
human (int64_t b, char *buf, size_t n)
{
  if (b >= 1000 * 1000)
    snprintf (buf, n, "%.1fMB", b / 1e6);
  else if (b >= 1000)
    snprintf (buf, n, "%.1fkB", b / 1e3);
  else
    snprintf (buf, n, "%lldB", (long long)b);
}

static void
draw_line (struct progress *p, struct line *l)
{
  char done[24], total[24], rate[24];
  long ms = berth_now_ms () - l->start_ms;

  if (strcmp (l->state, "Downloading") != 0 && strcmp (l->state, "Pushing") != 0)
    {
      fprintf (p->out, "\033[2K%s: %s\n", l->id, l->state);
      return;
    }
  human (l->done, done, sizeof (done));
  human (l->total, total, sizeof (total));
  human (ms > 0 ? l->done * 1000 / ms : 0, rate, sizeof (rate));
  {
    char bar[51];
    int fill = l->total > 0 ? (int)(l->done * 50 / l->total) : 0;
    memset (bar, ' ', 50);
    memset (bar, '=', fill > 50 ? 50 : fill);
    if (fill < 50)
      bar[fill] = '>';
    bar[50] = '\0';
    fprintf (p->out, "\033[2K%s: %s [%s] %s/%s %s/s\n", l->id, l->state, bar, done, total, rate);
  }
}

/* Called with mu held.  */
static void
redraw (struct progress *p, bool force)
{
  long now = berth_now_ms ();
  if (p->mode != 2 || (!force && now - p->last_draw < 100))
    return;
  p->last_draw = now;
  if (p->drawn > 0)
    fprintf (p->out, "\033[%dA", p->drawn);
  for (int i = 0; i < p->n; i++)
    draw_line (p, &p->lines[i]);
  p->drawn = p->n;
  fflush (p->out);
}

void
progress_free (struct progress *p)
{
  if (p == NULL)
    return;
  pthread_mutex_lock (&p->mu);
  redraw (p, true);
  pthread_mutex_unlock (&p->mu);
  pthread_mutex_destroy (&p->mu);
  free (p->lines);
  free (p);
}

int
progress_add (struct progress *p, const char *digest, int64_t total)
{
  int i;
  if (p == NULL)
    return -1;
  pthread_mutex_lock (&p->mu);
  if (p->n == p->cap)
    {
      int cap = p->cap ? p->cap * 2 : 16;
      struct line *nl = realloc (p->lines, cap * sizeof (*nl));
      if (nl == NULL)
        {
          pthread_mutex_unlock (&p->mu);
          return -1;
        }
      p->lines = nl;
      p->cap = cap;
    }
  i = p->n++;
  memset (&p->lines[i], 0, sizeof (p->lines[i]));
  snprintf (p->lines[i].id, sizeof (p->lines[i].id), "%.12s",
            strncmp (digest, "sha256:", 7) == 0 ? digest + 7 : digest);
  p->lines[i].total = total;
  pthread_mutex_unlock (&p->mu);
  return i;
}

void
progress_set (struct progress *p, int line, const char *state)
{
  if (p == NULL || line < 0)
    return;
  pthread_mutex_lock (&p->mu);
  snprintf (p->lines[line].state, sizeof (p->lines[line].state), "%s", state);
  if (strcmp (state, "Downloading") == 0 || strcmp (state, "Pushing") == 0)
    p->lines[line].start_ms = berth_now_ms ();
  if (p->mode == 1)
    {
      fprintf (p->out, "%s: %s\n", p->lines[line].id, state);
      fflush (p->out);
    }
  else
    redraw (p, true);
  pthread_mutex_unlock (&p->mu);
}

void
progress_bytes (struct progress *p, int line, int64_t done)
{
  if (p == NULL || line < 0)
    return;
  pthread_mutex_lock (&p->mu);
  p->lines[line].done = done;
  redraw (p, false);
  pthread_mutex_unlock (&p->mu);
}

void
progress_message (struct progress *p, const char *fmt, ...)
{
  va_list ap;
  if (p == NULL)
    return;
  pthread_mutex_lock (&p->mu);
  redraw (p, true);
  p->drawn = 0; /* the message goes below the block, which is not redrawn again */
  p->n = 0;
  va_start (ap, fmt);
  vfprintf (p->out, fmt, ap);
  va_end (ap);
  fputc ('\n', p->out);
  fflush (p->out);
  pthread_mutex_unlock (&p->mu);
}
