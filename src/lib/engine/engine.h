/* The engine subsystem's public header: what the `berth` front and the
 * engine's own commands use.
 *   run_request.h   the parsed `run`/`create` request
 *   spec.h          the container's config.json, with Docker's defaults
 *   store.h         container records, IDs, names and locks under the root
 *   signal_names.h  signal names as Docker accepts them
 * (spec.h also has the image config the spec starts from.)  */
#ifndef BERTH_ENGINE_H
#define BERTH_ENGINE_H

#include "engine/run_request.h"
#include "engine/signal_names.h"
#include "engine/spec.h"
#include "engine/store.h"

#endif
