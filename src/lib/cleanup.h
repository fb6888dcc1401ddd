/* Scope-bound release helpers: a variable declared with one of these is
 * released when it goes out of scope, so early returns cannot leak.  */
#ifndef BERTH_CLEANUP_H
#define BERTH_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void
berth_freep (void *p)
{
  free (*(void **) p);
}

static inline void
berth_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}

static inline void
berth_fclosep (FILE **f)
{
  if (*f)
    fclose (*f);
}

static inline void
berth_closedirp (DIR **d)
{
  if (*d)
    closedir (*d);
}

/* Free a NULL-terminated string vector.  */
static inline void
berth_strv_freep (char ***v)
{
  if (*v == NULL)
    return;
  for (char **p = *v; *p; p++)
    free (*p);
  free (*v);
}

#define cleanup_free __attribute__ ((cleanup (berth_freep)))
#define cleanup_close __attribute__ ((cleanup (berth_closep)))
#define cleanup_file __attribute__ ((cleanup (berth_fclosep)))
#define cleanup_dir __attribute__ ((cleanup (berth_closedirp)))
#define cleanup_strv __attribute__ ((cleanup (berth_strv_freep)))

/* Hand ownership out of a cleanup variable.  */
#define steal_pointer(pp)                                                                          \
  ({                                                                                               \
    __typeof__ (*(pp)) _p = *(pp);                                                                 \
    *(pp) = NULL;                                                                                  \
    _p;                                                                                            \
  })
#define steal_fd(fdp)                                                                              \
  ({                                                                                               \
    int _fd = *(fdp);                                                                              \
    *(fdp) = -1;                                                                                   \
    _fd;                                                                                           \
  })

#endif
