/* The container's OCI runtime configuration (runtime-spec 1.2), built from
 * a run request, the image's config and the prepared rootfs, with Docker's
 * secure defaults: its capability set, its seccomp profile (berth's copy),
 * masked and read-only /proc and /sys paths, and its default mounts.  */
#ifndef BERTH_ENGINE_SPEC_H
#define BERTH_ENGINE_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "engine/run_request.h"
#include "error.h"

/* The parts of an image's config (OCI image-spec "config") a container
 * starts from.  Vectors are NULL-terminated; NULL means absent.  */
struct berth_image_config
{
  char **env;
  char **cmd;
  char **entrypoint;
  char *working_dir;
  char *user;
  char **exposed_ports; /* "80/tcp" */
  struct berth_key_value_list labels;
  char *stop_signal;
};

/* Read the image config JSON: the whole OCI/Docker image config document
 * (its "config" object is used) or that object alone.  A wrong-typed field
 * fails with one error naming it.  */
int berth_image_config_parse (const char *text, size_t len, struct berth_image_config **out,
                              berth_error_t *err);
void berth_image_config_free (struct berth_image_config *config);

/* A mount of the container, its source resolved on the host.  */
enum berth_engine_mount_type
{
  BERTH_ENGINE_MOUNT_BIND,
  BERTH_ENGINE_MOUNT_TMPFS,
};

struct berth_engine_mount
{
  enum berth_engine_mount_type type;
  char *source;      /* bind: absolute host path; tmpfs: NULL */
  char *destination; /* absolute in the container */
  bool readonly;
  char *propagation;   /* bind: NULL = rprivate */
  char *tmpfs_options; /* tmpfs: user data ("size=64m,exec") or NULL */
};

/* Looks up (creating if needed) the host directory of volume NAME; NAME is
 * NULL for an anonymous volume, which the resolver names.  *path is
 * allocated.  */
typedef int (*berth_volume_resolver) (const char *name, char **path, void *ctx, berth_error_t *err);

/* Turn the request's -v/--mount/--tmpfs into engine mounts, volumes through
 * RESOLVE (which may be NULL when the request has none).  */
int berth_engine_resolve_mounts (const struct berth_run_request *req, berth_volume_resolver resolve,
                                 void *ctx, struct berth_engine_mount **out, size_t *n,
                                 berth_error_t *err);
void berth_engine_mounts_free (struct berth_engine_mount *mounts, size_t n);

struct berth_spec_params
{
  const struct berth_run_request *req;
  const struct berth_image_config *image; /* may be NULL: an empty config */
  const char *id;                         /* 64 hex digits */
  const char *rootfs;                     /* absolute host path of the container's root */
  const struct berth_engine_mount *mounts;
  size_t n_mounts;
  const char *init_path;    /* --init: host path of berth's init, bind-mounted at
                               BERTH_INIT_CONTAINER_PATH; required with --init */
  const char *netns_path;   /* join this network namespace instead of a new one; NULL */
  const char *cgroups_path; /* NULL: "/berth/<id>" */
  bool swap_unsupported;    /* the host cannot limit swap: leave memory.swap unset */
};

/* Where --init's binary appears in the container; args become
 * [BERTH_INIT_CONTAINER_PATH, "--", entrypoint..., cmd...].  */
#define BERTH_INIT_CONTAINER_PATH "/sbin/berth-init"

/* Build the config.json text (caller frees).  Fails with one error when
 * nothing is to run ("no command specified"), a user or group is not in the
 * image, a device is not a device, or a seccomp file is unreadable.  */
int berth_engine_build_spec (const struct berth_spec_params *params, char **out,
                             berth_error_t *err);

/* ---- the parts, exposed for the engine and the tests ---- */

/* Docker's default capabilities, adjusted by --cap-add/--cap-drop (ALL
 * included) and --privileged, as a bit mask of CAP_* numbers.  */
uint64_t berth_engine_capabilities (const struct berth_run_request *req);
uint64_t berth_engine_default_capabilities (void);

/* linux.seccomp for the final capability set: berth's copy of Docker's
 * default profile, or the Docker-format profile in PROFILE_TEXT when not
 * NULL, with its architecture and capability conditions applied for this
 * build's architecture.  */
int berth_engine_seccomp (uint64_t caps, const char *profile_text, json_t **out,
                          berth_error_t *err);

/* The process args Docker runs: --entrypoint (even empty) replaces the
 * image's entrypoint and drops its Cmd; otherwise the image's entrypoint,
 * then the command given or else the image's Cmd.  */
int berth_engine_resolve_args (const struct berth_run_request *req,
                               const struct berth_image_config *image, char ***out,
                               berth_error_t *err);

struct berth_engine_user
{
  uid_t uid;
  gid_t gid;
  gid_t *additional_gids;
  size_t n_additional_gids;
  char *home; /* from the passwd entry; "/" when none */
};

/* Resolve "uid", "uid:gid", "name", "name:group" (and mixes) against
 * ROOTFS/etc/passwd and ROOTFS/etc/group, both opened inside ROOTFS so no
 * symlink in the image can point them at the host's.  NULL or "" is root.  */
int berth_engine_resolve_user (const char *rootfs, const char *spec, struct berth_engine_user *out,
                               berth_error_t *err);
void berth_engine_user_release (struct berth_engine_user *user);

/* The environment: PATH (default), HOSTNAME, TERM with a tty, then the
 * image's, then the request's; a later NAME replaces an earlier one.  */
int berth_engine_merge_env (const struct berth_run_request *req,
                            const struct berth_image_config *image, const char *hostname,
                            char ***out, berth_error_t *err);

#endif
