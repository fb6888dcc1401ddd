/* Engine errors that are the user's (a name in use, no such container):
 * berth_user_error (error.h) under the engine's name.  */
#ifndef BERTH_ENGINE_ERROR_H
#define BERTH_ENGINE_ERROR_H

#include "error.h"

#define berth_engine_error berth_user_error

#endif
