/* libberth errors: every fallible call takes a berth_error_t out-parameter
 * and returns a negative value; the error carries one message line and a
 * code an engine can map to its own exit codes.  */
#ifndef BERTH_PUBLIC_ERROR_H
#define BERTH_PUBLIC_ERROR_H

#ifndef BERTH_EXPORT
#define BERTH_EXPORT __attribute__ ((visibility ("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

struct berth_error;
typedef struct berth_error *berth_error_t;

enum berth_error_code
{
  BERTH_OK = 0,
  BERTH_EFAILED,  /* the operation failed (see the message and berth_error_errno) */
  BERTH_ENOENT,   /* no such container */
  BERTH_EEXIST,   /* a container with that ID exists already */
  BERTH_ESTATE,   /* the container is in the wrong state for the operation */
  BERTH_EINVAL,   /* invalid argument or spec */
};

/* BERTH_OK for NULL.  */
BERTH_EXPORT enum berth_error_code berth_error_code (const struct berth_error *err);
/* "cannot start container `x`: it is running, not created"; "" for NULL.  */
BERTH_EXPORT const char *berth_error_message (const struct berth_error *err);
/* The errno value behind the failure, 0 when there is none.  */
BERTH_EXPORT int berth_error_errno (const struct berth_error *err);
/* Free and reset *err; safe on NULL.  */
BERTH_EXPORT void berth_error_release (berth_error_t *err);

#ifdef __cplusplus
}
#endif

#endif
