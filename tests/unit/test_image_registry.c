/* Unit tests of the registry side of the image subsystem: references as
 * Docker reads them, WWW-Authenticate challenges, the auth file, the choice
 * of a platform in a manifest list, and the layer stream's refusal of a
 * wrong digest.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "cleanup.h"
#include "image/registry.h"
#include "util.h"

static void
check_ref (const char *name, const char *reg, const char *repo, const char *tag, const char *digest,
           const char *familiar)
{
  struct berth_image_ref r;
  berth_error_t err = NULL;
  cleanup_free char *f = NULL;

  assert_int_equal (berth_image_ref_parse (name, NULL, &r, &err), 0);
  assert_string_equal (r.registry, reg);
  assert_string_equal (r.repository, repo);
  if (tag)
    assert_string_equal (r.tag, tag);
  else
    assert_null (r.tag);
  if (digest)
    assert_string_equal (r.digest, digest);
  else
    assert_null (r.digest);
  f = berth_image_ref_familiar (&r, false);
  assert_string_equal (f, familiar);
  berth_image_ref_clear (&r);
}

#define D "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void
test_reference_normalisation (void **state)
{
  check_ref ("busybox", "docker.io", "library/busybox", "latest", NULL, "busybox:latest");
  check_ref ("busybox:1.36", "docker.io", "library/busybox", "1.36", NULL, "busybox:1.36");
  check_ref ("docker.io/busybox", "docker.io", "library/busybox", "latest", NULL, "busybox:latest");
  check_ref ("index.docker.io/library/busybox", "docker.io", "library/busybox", "latest", NULL,
             "busybox:latest");
  check_ref ("user/app", "docker.io", "user/app", "latest", NULL, "user/app:latest");
  check_ref ("localhost/app", "localhost", "app", "latest", NULL, "localhost/app:latest");
  check_ref ("127.0.0.1:5000/a/b:v1", "127.0.0.1:5000", "a/b", "v1", NULL, "127.0.0.1:5000/a/b:v1");
  check_ref ("quay.io/org/x@" D, "quay.io", "org/x", NULL, D, "quay.io/org/x:latest");
  check_ref ("host:5000/x:t@" D, "host:5000", "x", "t", D, "host:5000/x:t");
  check_ref ("a__b/c-d.e", "docker.io", "a__b/c-d.e", "latest", NULL, "a__b/c-d.e:latest");
}

static void
test_reference_invalid (void **state)
{
  static const char *const bad[] = { "",   "UPPER", "a//b",    "a:",    "a@sha256:1", "x/y:bad tag",
                                     "-a", "a___b", "host:/x", "a:b:c", "h:port/x",   NULL };
  for (size_t i = 0; bad[i]; i++)
    {
      struct berth_image_ref r;
      berth_error_t err = NULL;
      if (berth_image_ref_parse (bad[i], NULL, &r, &err) == 0)
        fail_msg ("`%s` was accepted", bad[i]);
      berth_error_release (&err);
    }
}

static void
test_reference_default_registry (void **state)
{
  struct berth_image_ref r;
  berth_error_t err = NULL;
  cleanup_free char *digest_form = NULL;

  assert_int_equal (berth_image_ref_parse ("tools/x", "reg.example:5000", &r, &err), 0);
  assert_string_equal (r.registry, "reg.example:5000");
  assert_string_equal (r.repository, "tools/x");
  free (r.digest);
  r.digest = strdup (D);
  digest_form = berth_image_ref_familiar (&r, true);
  assert_string_equal (digest_form, "reg.example:5000/tools/x@" D);
  berth_image_ref_clear (&r);
}

static void
test_challenge_bearer (void **state)
{
  struct auth_challenge c;
  berth_error_t err = NULL;

  assert_int_equal (
      auth_challenge_parse ("Bearer realm=\"https://auth.example/token\",service=\"registry."
                            "example\",scope=\"repository:library/busybox:pull,push\"",
                            &c, &err),
      0);
  assert_string_equal (c.scheme, "bearer");
  assert_string_equal (c.realm, "https://auth.example/token");
  assert_string_equal (c.service, "registry.example");
  assert_string_equal (c.scope, "repository:library/busybox:pull,push");
  auth_challenge_clear (&c);

  /* Spaces, unquoted values, escapes, another challenge after.  */
  assert_int_equal (auth_challenge_parse ("  bearer  realm = \"http://a/t?x=\\\"1\\\"\" , "
                                          "service=svc, Basic realm=\"other\"",
                                          &c, &err),
                    0);
  assert_string_equal (c.realm, "http://a/t?x=\"1\"");
  assert_string_equal (c.service, "svc");
  assert_null (c.scope);
  auth_challenge_clear (&c);
}

static void
test_challenge_basic_and_bad (void **state)
{
  struct auth_challenge c;
  berth_error_t err = NULL;

  assert_int_equal (auth_challenge_parse ("Basic realm=\"Registry Realm\"", &c, &err), 0);
  assert_string_equal (c.scheme, "basic");
  assert_string_equal (c.realm, "Registry Realm");
  auth_challenge_clear (&c);
  assert_true (auth_challenge_parse ("Bearer service=\"x\"", &c, &err) < 0);
  berth_error_release (&err);
  assert_true (auth_challenge_parse ("", &c, &err) < 0);
  berth_error_release (&err);
}

static void
test_auth_file (void **state)
{
  char dir[] = "/tmp/berth-auth-test.XXXXXX";
  cleanup_free char *path = NULL, *docker = NULL, *user = NULL, *pass = NULL;
  berth_error_t err = NULL;
  struct stat st;

  assert_non_null (mkdtemp (dir));
  assert_true (asprintf (&path, "%s/sub/auth.json", dir) > 0);
  assert_true (asprintf (&docker, "%s/config.json", dir) > 0);
  /* Docker's file names Docker Hub by its v1 URL.  */
  assert_int_equal (berth_write_file (docker,
                                      "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":"
                                      "\"aHViOnNlY3JldA==\"}}}",
                                      strlen ("{\"auths\":{\"https://index.docker.io/v1/\":{"
                                              "\"auth\":\"aHViOnNlY3JldA==\"}}}"),
                                      0600, &err),
                    0);
  assert_int_equal (auth_file_lookup (path, docker, "docker.io", &user, &pass, &err), 0);
  assert_string_equal (user, "hub");
  assert_string_equal (pass, "secret");
  free (user);
  free (pass);

  assert_int_equal (auth_file_store (path, "127.0.0.1:5000", "u", "p:w", &err), 0);
  assert_int_equal (stat (path, &st), 0);
  assert_int_equal (st.st_mode & 0777, 0600);
  assert_int_equal (auth_file_lookup (path, docker, "127.0.0.1:5000", &user, &pass, &err), 0);
  assert_string_equal (user, "u");
  assert_string_equal (pass, "p:w");
  free (user);
  free (pass);
  user = pass = NULL;
  assert_int_equal (auth_file_remove (path, "127.0.0.1:5000", false, &err), 1);
  assert_int_equal (auth_file_remove (path, "127.0.0.1:5000", false, &err), 0);
  assert_int_equal (auth_file_lookup (path, NULL, "127.0.0.1:5000", &user, &pass, &err), 0);
  assert_null (user);
  berth_remove_tree (dir, NULL);
}

static void
test_platform_choice (void **state)
{
  json_t *index = json_loads (
      "{\"schemaVersion\":2,\"manifests\":["
      "{\"digest\":\"sha256:1111111111111111111111111111111111111111111111111111111111111111\","
      "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}},"
      "{\"digest\":\"sha256:2222222222222222222222222222222222222222222222222222222222222222\","
      "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
      "{\"digest\":\"sha256:3333333333333333333333333333333333333333333333333333333333333333\","
      "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}}]}",
      0, NULL);
  berth_error_t err = NULL;
  const char *d = NULL;

  assert_non_null (index);
  assert_int_equal (manifest_choose_platform (index, "linux/amd64", &d, &err), 0);
  assert_memory_equal (d, "sha256:2222", 11);
  assert_int_equal (manifest_choose_platform (index, "linux/arm64", &d, &err), 0);
  assert_memory_equal (d, "sha256:1111", 11);
  assert_int_equal (manifest_choose_platform (index, "linux/arm/v7", &d, &err), 0);
  assert_memory_equal (d, "sha256:3333", 11);
  assert_true (manifest_choose_platform (index, "linux/arm/v6", &d, &err) < 0);
  assert_non_null (strstr (berth_error_message (err), "linux/arm/v7"));
  berth_error_release (&err);
  assert_true (manifest_choose_platform (index, "windows/amd64", &d, &err) < 0);
  berth_error_release (&err);
  json_decref (index);
}

#define CFG                                                                                        \
  "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" D         \
  "\",\"size\":2}"

static int
parse (const char *text, const char *ctype, json_t **doc, bool *index, berth_error_t *err)
{
  return manifest_parse (text, strlen (text), ctype, doc, index, err);
}

static void
expect_parse_error (const char *text, const char *ctype, const char *msg)
{
  berth_error_t err = NULL;
  json_t *doc = NULL;
  bool index;
  if (parse (text, ctype, &doc, &index, &err) == 0)
    fail_msg ("accepted: %s", text);
  assert_null (doc);
  if (strstr (berth_error_message (err), msg) == NULL)
    fail_msg ("`%s` lacks `%s`", berth_error_message (err), msg);
  berth_error_release (&err);
}

static void
test_manifest_parse (void **state)
{
  berth_error_t err = NULL;
  json_t *doc = NULL;
  bool index = true;

  /* OCI, Docker schema 2 (mediaType in the body or only in Content-Type) */
  assert_int_equal (parse ("{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_OCI_MANIFEST "\"," CFG
                           ",\"layers\":[]}",
                           NULL, &doc, &index, &err),
                    0);
  assert_false (index);
  json_decref (doc);
  assert_int_equal (parse ("{\"schemaVersion\":2," CFG ",\"layers\":[]}", MEDIA_DOCKER_MANIFEST,
                           &doc, &index, &err),
                    0);
  assert_false (index);
  json_decref (doc);
  /* an index, told by its shape when nothing names it */
  assert_int_equal (
      parse ("{\"schemaVersion\":2,\"manifests\":[]}", "application/json", &doc, &index, &err), 0);
  assert_true (index);
  json_decref (doc);
  assert_int_equal (
      parse ("{\"schemaVersion\":2,\"manifests\":[]}", MEDIA_DOCKER_LIST, &doc, &index, &err), 0);
  assert_true (index);
  json_decref (doc);

  expect_parse_error ("{\"schemaVersion\":2,", NULL, "not a JSON object");
  expect_parse_error ("[1]", NULL, "not a JSON object");
  expect_parse_error ("{\"schemaVersion\":1,\"fsLayers\":[]}",
                      "application/vnd.docker.distribution.manifest.v1+prettyjws", "schema 1");
  expect_parse_error ("{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:12\"}}", NULL,
                      "no valid config digest");
  expect_parse_error ("{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_OCI_INDEX "\"}", NULL,
                      "no \"manifests\"");
  expect_parse_error ("{\"schemaVersion\":2,\"mediaType\":\"application/x-other\"," CFG "}", NULL,
                      "unsupported manifest type");
}

static void
test_manifest_layers (void **state)
{
  static const struct
  {
    const char *layers, *diffs, *msg;
  } cases[] = {
    { "[{\"digest\":\"" D "\",\"size\":3}]", "[\"" D "\"]", NULL },
    { "[{\"digest\":\"" D "\",\"size\":3}]", "[]", "1 layers but 0 diff_ids" },
    { "[{\"digest\":\"sha256:00\",\"size\":3}]", "[\"" D "\"]", "no valid digest" },
    { "[{\"digest\":\"" D "\"}]", "[\"" D "\"]", "no valid digest or size" },
    { "[{\"digest\":\"" D "\",\"size\":-1}]", "[\"" D "\"]", "no valid digest or size" },
    { "[{\"digest\":\"" D "\",\"size\":3,\"mediaType\":"
      "\"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\"}]",
      "[\"" D "\"]", "foreign layer" },
    { "{}", "[]", "no layers" },
  };
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      cleanup_free char *m = NULL, *c = NULL;
      berth_error_t err = NULL;
      json_t *mj, *cj;
      assert_true (asprintf (&m, "{\"layers\":%s}", cases[i].layers) > 0);
      assert_true (asprintf (&c, "{\"rootfs\":{\"diff_ids\":%s}}", cases[i].diffs) > 0);
      mj = json_loads (m, 0, NULL);
      cj = json_loads (c, 0, NULL);
      assert_non_null (mj);
      assert_non_null (cj);
      if (cases[i].msg == NULL)
        assert_int_equal (manifest_check_layers (mj, cj, &err), 0);
      else
        {
          assert_true (manifest_check_layers (mj, cj, &err) < 0);
          if (strstr (berth_error_message (err), cases[i].msg) == NULL)
            fail_msg ("case %zu: `%s`", i, berth_error_message (err));
          berth_error_release (&err);
        }
      json_decref (mj);
      json_decref (cj);
    }
}

/* A gzip layer whose bytes do not match the expected digest: refused, and
 * nothing of it stays in the store.  */
static void
test_layer_stream_mismatch (void **state)
{
  char dir[] = "/tmp/berth-stream-test.XXXXXX", store[80];
  struct berth_image_store *s = NULL;
  struct layer_stream *ls = NULL;
  berth_error_t err = NULL;
  char tar[1024] = { 0 }, diff[DIGEST_LEN + 1], gz[2048];
  uLongf gz_len = sizeof (gz);
  cleanup_free char *layers = NULL;

  assert_non_null (mkdtemp (dir));
  snprintf (store, sizeof (store), "%s/store", dir);
  assert_int_equal (berth_image_store_open (store, &s, &err), 0);
  assert_int_equal (compress2 ((Bytef *)gz, &gz_len, (Bytef *)tar, sizeof (tar), 6), Z_OK);
  assert_int_equal (layer_stream_open (s, D, D, &ls, &err), 0);
  assert_int_equal (layer_stream_write (ls, gz, gz_len, &err), 0);
  assert_true (layer_stream_finish (ls, diff, &err) < 0);
  assert_non_null (strstr (berth_error_message (err), "digest mismatch"));
  berth_error_release (&err);
  layers = store_path (s, "layers");
  {
    char cmd[512];
    snprintf (cmd, sizeof (cmd), "test -z \"$(find %s/layers %s/tmp %s/blobs/sha256 -mindepth 1)\"",
              store, store, store);
    if (system (cmd) != 0)
      {
        snprintf (cmd, sizeof (cmd), "ls -AR %s >&2", store);
        system (cmd);
        fail ();
      }
  }
  berth_image_store_close (s);
  berth_remove_tree (dir, NULL);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_reference_normalisation),
    cmocka_unit_test (test_reference_invalid),
    cmocka_unit_test (test_reference_default_registry),
    cmocka_unit_test (test_challenge_bearer),
    cmocka_unit_test (test_challenge_basic_and_bad),
    cmocka_unit_test (test_auth_file),
    cmocka_unit_test (test_platform_choice),
    cmocka_unit_test (test_manifest_parse),
    cmocka_unit_test (test_manifest_layers),
    cmocka_unit_test (test_layer_stream_mismatch),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
