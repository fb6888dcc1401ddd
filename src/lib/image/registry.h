/* Shared by the registry files of src/lib/image/ (registry_*.c, pull.c,
 * push.c, progress.c, layer_stream.c); the engine uses image.h.  */
#ifndef BERTH_IMAGE_REGISTRY_H
#define BERTH_IMAGE_REGISTRY_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "internal.h"

#define MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MEDIA_OCI_LAYER_TAR "application/vnd.oci.image.layer.v1.tar"

/* A manifest or config is never larger than this.  */
#define REGISTRY_MAX_DOCUMENT (4 << 20)

/* registry_config.c: berth's registries file (JSON):
 *   {"default-registry": "docker.io", "certs-dir": DIR,
 *    "registries": {"HOST[:PORT]": {"insecure": true, "mirrors": ["HOST[:PORT]"]}}}  */
struct registry_config
{
  char *default_registry;
  char *certs_dir; /* NULL: /etc/berth/certs.d, /etc/containers/certs.d, /etc/docker/certs.d */
  json_t *registries;
};
int registry_config_load (const char *path, struct registry_config *c, berth_error_t *err);
void registry_config_clear (struct registry_config *c);
bool registry_config_insecure (const struct registry_config *c, const char *host);
/* The mirrors of host, to try before it (borrowed JSON array or NULL).  */
json_t *registry_config_mirrors (const struct registry_config *c, const char *host);

/* registry_auth.c: WWW-Authenticate challenges and the auth files.  */
struct auth_challenge
{
  char *scheme; /* "basic", "bearer" (lowercase) */
  char *realm;
  char *service;
  char *scope;
};
int auth_challenge_parse (const char *header, struct auth_challenge *c, berth_error_t *err);
void auth_challenge_clear (struct auth_challenge *c);
/* explicit_path, or /run/containers/<uid>/auth.json (Podman's choice).  */
char *auth_file_path (const char *explicit_path);
/* Credentials for host from the auth file, then docker_config (may be
 * NULL); 0 and NULLs when none.  */
int auth_file_lookup (const char *path, const char *docker_config, const char *host, char **user,
                      char **pass, berth_error_t *err);
int auth_file_store (const char *path, const char *host, const char *user, const char *pass,
                     berth_error_t *err);
/* Returns 1 when host had credentials, 0 when not.  */
int auth_file_remove (const char *path, const char *host, bool all, berth_error_t *err);
char *base64_encode (const void *data, size_t len);

/* registry_client.c: one client per registry; its requests may run in
 * several threads at once and share connections (one CURLSH).  */
struct reg_client;

struct reg_response
{
  long status;
  char *content_type;
  char *digest;   /* Docker-Content-Digest */
  char *location; /* Location (made absolute) */
  char *www_authenticate;
  int64_t content_length;
  char *body; /* the body when no sink was given (at most REGISTRY_MAX_DOCUMENT) */
  size_t body_len;
  int curl_code; /* CURLcode of a failed transfer, else 0 */
};
void reg_response_clear (struct reg_response *r);

/* A sink for a response body: called with the status known; returns
 * negative to abort the transfer.  */
typedef int (*reg_sink_fn) (void *data, long status, const void *buf, size_t len);

/* The upload body of a request: a buffer, or len bytes of fd from offset.  */
struct reg_body
{
  const char *buf;
  int fd;
  int64_t offset, len;
  const char *content_type;
};

struct reg_request
{
  const char *method;         /* "GET", "HEAD", "PUT", "POST", "PATCH" */
  const char *url;            /* "/v2/..." or absolute (a Location) */
  const char *scope;          /* "repository:NAME:pull[,push]" (token scope) */
  const char *const *headers; /* extra headers, NULL-terminated */
  const struct reg_body *body;
  reg_sink_fn sink;
  void *sink_data;
  int64_t range_from; /* > 0: "Range: bytes=N-" */
  bool follow;        /* follow redirects (blob downloads) */
};

int reg_client_new (const char *host, const struct berth_registry_options *o,
                    const struct registry_config *cfg, struct reg_client **out, berth_error_t *err);
void reg_client_free (struct reg_client *c);
const char *reg_client_host (const struct reg_client *c);
/* Perform req; a 401 on the first try gets a token (or basic credentials)
 * and one retry.  Transport errors and HTTP statuses >= 400 are errors,
 * except the statuses listed in ok_statuses (0-terminated).  */
int reg_do (struct reg_client *c, const struct reg_request *req, struct reg_response *resp,
            const long *ok_statuses, berth_error_t *err);
/* Whether a failed transfer's CURLcode is worth a retry with Range (the
 * connection broke or stalled).  */
bool reg_error_is_transient (int curl_code);
/* Login check: credentials must give access to /v2/ (basic) or a token.  */
int reg_client_check_login (struct reg_client *c, berth_error_t *err);

/* progress.c: per-layer lines.  */
struct progress;
struct progress *progress_new (FILE *out, int mode);
void progress_free (struct progress *p);
int progress_add (struct progress *p, const char *digest, int64_t total);
void progress_set (struct progress *p, int line, const char *state);
void progress_bytes (struct progress *p, int line, int64_t done);
void progress_message (struct progress *p, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* layer_stream.c: a compressed layer written in pieces as it downloads,
 * decompressed (gzip, zstd or plain) into the store's blob and unpacked
 * by a second thread at the same time.  */
struct layer_stream;
int layer_stream_open (struct berth_image_store *s, const char *expected_raw,
                       const char *expected_diff, struct layer_stream **out, berth_error_t *err);
int layer_stream_write (struct layer_stream *ls, const void *buf, size_t len, berth_error_t *err);
/* Check the digests and install the layer; frees ls either way.  */
int layer_stream_finish (struct layer_stream *ls, char diff_id[DIGEST_LEN + 1], berth_error_t *err);
void layer_stream_abort (struct layer_stream *ls);
uint64_t layer_stream_raw_size (const struct layer_stream *ls);

/* manifest.c: parse a manifest document; *index tells a list (OCI index,
 * Docker manifest list) from an image manifest, whose config digest is
 * checked.  */
int manifest_parse (const char *body, size_t len, const char *content_type, json_t **doc,
                    bool *index, berth_error_t *err);
/* The digest (borrowed) of the entry of a manifest list / OCI index for
 * platform "os/arch[/variant]" (NULL: linux and this machine's).  */
int manifest_choose_platform (json_t *index, const char *platform, const char **digest,
                              berth_error_t *err);
/* The manifest's layers are valid descriptors, as many as the config's
 * diffIDs, and none is foreign.  */
int manifest_check_layers (json_t *manifest, json_t *config, berth_error_t *err);
/* pull.c: record repo@digest on image id (one per repository).  */
int image_record_repo_digest (struct berth_image_store *s, const char *id, const char *repo_digest,
                              berth_error_t *err);

/* layers.c */
int layer_install (struct berth_image_store *s, const char *tmp_dir, const char *diff_id,
                   berth_error_t *err);
int layer_unpack_prepare (struct berth_image_store *s, const char *diff_id, char **tmp_dir,
                          int *diff_fd, berth_error_t *err);

#endif
