/* libberth: create and run OCI containers in-process.  pkg-config: berth.  */
#ifndef BERTH_PUBLIC_BERTH_H
#define BERTH_PUBLIC_BERTH_H

#include <berth/error.h>
#include <berth/spec.h>
#include <berth/container.h>

#endif
