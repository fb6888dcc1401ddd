/* Engine errors that are the user's (a name in use, no such container): the
 * message says it all, so no strerror is appended, yet the status keeps the
 * errno value callers test (EEXIST, ENOENT, EINVAL).  */
#ifndef BERTH_ENGINE_ERROR_H
#define BERTH_ENGINE_ERROR_H

#include "error.h"

#define berth_engine_error(err, status_, ...)                                                      \
  ({                                                                                               \
    berth_error_t *_e = (err);                                                                     \
    int _s = (status_);                                                                            \
    berth_error (_e, 0, __VA_ARGS__);                                                              \
    if (_e && *_e)                                                                                 \
      (*_e)->status = _s;                                                                          \
    -_s;                                                                                           \
  })

#endif
