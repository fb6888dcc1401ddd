/* berth's image store: content-addressed blobs (OCI image-spec), one unpacked
 * directory per layer shared by every image that has it, names and tags, the
 * archive formats (docker-archive, OCI layout/archive, rootfs tarballs), images
 * made from host programs, and overlay mounts of an image's layers.
 *
 * This subsystem knows nothing of containers.  The engine asks it for an
 * image's config and for an overlay root over the image's layers; it can
 * install a callback that says whether an image is used by a container.  */
#ifndef BERTH_IMAGE_H
#define BERTH_IMAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <time.h>

#include "error.h"

#define BERTH_IMAGE_DEFAULT_ROOT "/var/lib/berth"

/* overlayfs refuses more lower layers than this (OVL_MAX_STACK).  */
#define BERTH_IMAGE_MAX_LAYERS 500

struct berth_image_store;

/* Whether a container uses image ID ("sha256:<hex>"); filled by the engine.  */
typedef bool (*berth_image_in_use_fn) (const char *image_id, void *data);

/* One image, as the store knows it.  */
struct berth_image
{
  char *id;              /* "sha256:<hex>" of the config blob */
  char *manifest_digest; /* "sha256:<hex>" of the manifest blob */
  char **names;          /* normalized "repo:tag", NULL-terminated (empty: dangling) */
  char **repo_digests;   /* "repo@sha256:<hex>" of registry manifests, NULL-terminated */
  char **diff_ids;       /* "sha256:<hex>" per layer, bottom first, NULL-terminated */
  size_t n_layers;
  int64_t *layer_sizes; /* uncompressed size of each layer, bottom first */
  int64_t size;         /* uncompressed size of all layers, bytes */
  char *created;        /* RFC 3339 from the config ("" when absent) */
  time_t created_sec;   /* the same, parsed (0 when absent) */
  json_t *config;       /* the whole image config document */
};

/* Open (and create when missing) the store at root.  */
int berth_image_store_open (const char *root, struct berth_image_store **out, berth_error_t *err);
void berth_image_store_close (struct berth_image_store *s);
const char *berth_image_store_root (const struct berth_image_store *s);

/* Install the engine's "is this image used by a container" check; rmi without
 * force and prune skip or refuse images for which it returns true.  */
void berth_image_store_set_in_use (struct berth_image_store *s, berth_image_in_use_fn fn,
                                   void *data);

/* Name handling as Docker does for local names: "busybox" is "busybox:latest".
 * Returns a new string or NULL (and *err) when the name is invalid.  */
char *berth_image_normalize_name (const char *name, berth_error_t *err);
/* Split a normalized "repo:tag" into its parts (new strings).  */
int berth_image_split_name (const char *name, char **repo, char **tag, berth_error_t *err);

/* Resolve a name, a full ID or a unique prefix of an ID's hex to the image ID
 * ("sha256:<hex>", new string).  */
int berth_image_resolve (struct berth_image_store *s, const char *ref, char **id,
                         berth_error_t *err);

/* Read one image by name or ID.  */
int berth_image_get (struct berth_image_store *s, const char *ref, struct berth_image **out,
                     berth_error_t *err);
void berth_image_free (struct berth_image *img);

/* Docker's `image inspect` object for img (Id, RepoTags, Created, Config,
 * RootFS, Architecture, Os, Size, ...); new reference.  */
json_t *berth_image_inspect_json (const struct berth_image *img);

/* All images, newest first.  */
int berth_image_list (struct berth_image_store *s, struct berth_image ***out, size_t *n,
                      berth_error_t *err);
void berth_image_list_free (struct berth_image **list, size_t n);

/* Give image src the name dst (moving dst away from any other image).  */
int berth_image_tag (struct berth_image_store *s, const char *src, const char *dst,
                     berth_error_t *err);

/* What a removal did, for the caller to print.  */
struct berth_image_removal
{
  char **untagged; /* names removed, NULL-terminated */
  char **deleted;  /* image IDs deleted, NULL-terminated */
  int64_t reclaimed;
};
void berth_image_removal_clear (struct berth_image_removal *r);

/* rmi: a name removes that name; an ID (or a name of an image left with no
 * name) removes the image, then layers and blobs nothing references.  An ID
 * of an image with several names, or an image in use, needs force (in use and
 * forced: the names go, the image stays for its containers).  */
int berth_image_remove (struct berth_image_store *s, const char *ref, bool force,
                        struct berth_image_removal *out, berth_error_t *err);

/* Remove dangling (nameless) images not in use, then unreferenced content.  */
int berth_image_prune (struct berth_image_store *s, struct berth_image_removal *out,
                       berth_error_t *err);

/* Import a rootfs tarball (plain, gzip, zstd, xz, bzip2) read from fd as a
 * one-layer image; name may be NULL.  *id is the new image ID.  */
int berth_image_import (struct berth_image_store *s, int fd, const char *name, char **id,
                        berth_error_t *err);

/* Load a docker-archive or OCI archive from fd, or an OCI image layout
 * directory (path given, fd < 0).  *names gets "name" or the ID of each image
 * loaded (NULL-terminated).  */
int berth_image_load (struct berth_image_store *s, int fd, const char *dir_path, char ***names,
                      berth_error_t *err);

enum berth_image_archive_format
{
  BERTH_IMAGE_DOCKER_ARCHIVE,
  BERTH_IMAGE_OCI_ARCHIVE,
};

/* Write the images named by refs to fd as one archive.  */
int berth_image_save (struct berth_image_store *s, char *const *refs, size_t n,
                      enum berth_image_archive_format format, int fd, berth_error_t *err);

/* Build a one-layer image from host programs (found in PATH when not
 * absolute) and the shared libraries they need, with a minimal /etc and
 * /bin/sh.  programs NULL or empty: a default set.  */
int berth_image_from_host (struct berth_image_store *s, const char *name, char *const *programs,
                           char **id, berth_error_t *err);

/* The ELF dependency closure of a host program: the program, its interpreter
 * and every DT_NEEDED library, transitively (absolute host paths, new
 * NULL-terminated vector).  */
int berth_image_elf_closure (const char *program, char ***paths, berth_error_t *err);

/* Write the tree at dir as a layer tar (uncompressed) to fd, never
 * following a symlink.  With upper (an overlay upper directory, for commit),
 * overlay's whiteouts become the image spec's: a 0/0 character device
 * ".wh.NAME", an opaque directory a ".wh..wh..opq" entry in it.  Without
 * it, the tree is written as it is (export of a container's root).  */
int berth_image_write_tar (const char *dir, int fd, bool upper, berth_error_t *err);

/* A new image: base_ref's layers (NULL: none) plus one layer read from
 * layer_fd (a tar, plain or compressed), the base's config with its
 * "config" object replaced by config (NULL: kept), a history entry
 * (created_by, comment).  name may be NULL.  *id is the new image's ID.  */
int berth_image_commit (struct berth_image_store *s, const char *base_ref, int layer_fd,
                        json_t *config, const char *created_by, const char *comment,
                        const char *name, char **id, berth_error_t *err);

/* The image's layer directories, TOP layer first (overlay's lowerdir order),
 * NULL-terminated.  */
int berth_image_lower_dirs (struct berth_image_store *s, const char *ref, char ***dirs,
                            berth_error_t *err);

enum berth_overlay_method
{
  BERTH_OVERLAY_AUTO,   /* fd-based when the kernel has it, else LEGACY */
  BERTH_OVERLAY_FD,     /* fsopen/fsconfig with one fd per layer (Linux 6.13+) */
  BERTH_OVERLAY_LEGACY, /* mount(2) with short l/ link names, within one page */
};

/* Mount an overlay of the image's layers (read-only lowers) with upper and
 * work at target; upper and work NULL: a read-only overlay of the lowers.  */
int berth_image_mount_overlay (struct berth_image_store *s, const char *ref, const char *upper,
                               const char *work, const char *target,
                               enum berth_overlay_method method, berth_error_t *err);

/* The same (method AUTO) with overlay's "volatile" option: the upper
 * layer's filesystem is not synced at fsync or unmount (which took 1-50 ms
 * at the end of every run), for a container whose changes are thrown away
 * with it (--rm).  After a host crash such an overlay cannot be mounted
 * again; the container is removed anyway.  */
int berth_image_mount_overlay_volatile (struct berth_image_store *s, const char *ref,
                                        const char *upper, const char *work, const char *target,
                                        berth_error_t *err);

/* A container's root: as berth_image_mount_overlay (method AUTO), with the
 * image's init layer (init_layer.c) as the topmost lower, made on first
 * use.  berth_image_mount_overlay_volatile has it too.  */
int berth_image_mount_container (struct berth_image_store *s, const char *ref, const char *upper,
                                 const char *work, const char *target, berth_error_t *err);
/* The lowers of such a root (the init layer first), as for dirs above.  */
int berth_image_container_lower_dirs (struct berth_image_store *s, const char *ref, char ***dirs,
                                      berth_error_t *err);

/* Registries (reference.c, registry_*.c, pull.c, push.c): names as Docker
 * reads them, and images pulled from and pushed to OCI distribution
 * registries.  Only these files use libcurl.  */
struct berth_image_ref
{
  char *registry;   /* "docker.io", "host", "host:port" */
  char *repository; /* "library/busybox" */
  char *tag;        /* NULL when only a digest was given */
  char *digest;     /* "sha256:<hex>" or NULL */
};

/* Parse NAME[:TAG][@DIGEST]: "busybox" is docker.io/library/busybox:latest
 * (default_registry NULL: docker.io), a first component with '.' or ':' or
 * "localhost" is a registry.  */
int berth_image_ref_parse (const char *name, const char *default_registry,
                           struct berth_image_ref *out, berth_error_t *err);
void berth_image_ref_clear (struct berth_image_ref *r);
/* "registry/repository" (new string).  */
char *berth_image_ref_repo (const struct berth_image_ref *r);
/* The short form berth stores and shows: docker.io/library/x:t is "x:t",
 * docker.io/u/x:t is "u/x:t", else "registry/repository:tag"; with
 * with_digest, "...@digest" instead of the tag.  New string.  */
char *berth_image_ref_familiar (const struct berth_image_ref *r, bool with_digest);

struct berth_registry_options
{
  const char *config_path; /* NULL: /etc/berth/registries.json */
  const char *auth_file;   /* NULL: /run/containers/<uid>/auth.json (as Podman) */
  const char *docker_config; /* ~/.docker/config.json, read after auth_file (may be NULL) */
  const char *certs_dir;   /* NULL: the config's, else the default certs.d directories */
  int tls_verify;          /* -1: as configured; 0: no (allows plain HTTP); 1: yes */
  const char *username;    /* credentials for this call (login), else the auth file's */
  const char *password;
  const char *platform; /* "os/arch[/variant]"; NULL: this machine */
  int progress;         /* 0: none, 1: plain lines, 2: live lines (a terminal) */
  FILE *out;            /* where progress goes */
  int64_t chunk_size;   /* push: blobs larger than this go in PATCH chunks (0: 64 MiB) */
  int push_gzip;        /* push: gzip level of the layers (1-9), 0: uncompressed tars */
};

/* Pull name (from the registry, or its mirrors) into the store; *id is the
 * image ID.  Layers already in the store are not fetched.  */
int berth_image_pull (struct berth_image_store *s, const char *name,
                      const struct berth_registry_options *o, char **id, berth_error_t *err);
/* Push local image src to dest (NULL: src's name); *digest is the
 * manifest's digest.  */
int berth_image_push (struct berth_image_store *s, const char *src, const char *dest,
                      const struct berth_registry_options *o, char **digest, berth_error_t *err);
/* Check the credentials in o against registry and store them.  */
int berth_registry_login (const char *registry, const struct berth_registry_options *o,
                          berth_error_t *err);
/* Remove stored credentials of registry (all: of every registry).  */
int berth_registry_logout (const char *registry, const struct berth_registry_options *o, bool all,
                           berth_error_t *err);
/* The auth file berth writes (new string).  */
char *berth_registry_auth_path (const struct berth_registry_options *o);
/* Repositories a registry lists (_catalog), NULL-terminated.  */
int berth_registry_catalog (const char *registry, const struct berth_registry_options *o,
                            char ***repos, berth_error_t *err);

#endif
