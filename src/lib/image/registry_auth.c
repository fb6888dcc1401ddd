/* Registry authentication data: WWW-Authenticate challenges (RFC 7235, as
 * registries send them: `Bearer realm="...",service="...",scope="..."`) and
 * credentials in Docker's config format ({"auths": {HOST: {"auth":
 * base64("user:password")}}}), in berth's auth file (Podman's path,
 * mode 0600) and read from Docker's ~/.docker/config.json; either may name
 * a credential helper ("credHelpers": {HOST: NAME}, "credsStore": NAME):
 * `docker-credential-NAME get` reads HOST on stdin and answers
 * {"Username", "Secret"}.  */

extern char **environ;
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "registry.h"
#include "util.h"

void
auth_challenge_clear (struct auth_challenge *c)
{
  free (c->scheme);
  free (c->realm);
  free (c->service);
  free (c->scope);
  memset (c, 0, sizeof (*c));
}

/* One token or quoted-string value at *p (quotes and backslash escapes
 * removed); advances *p.  */
static char *
param_value (const char **p)
{
  const char *s = *p;
  char *out, *o;

  if (*s != '"')
    {
      size_t n = strcspn (s, ", \t");
      *p = s + n;
      return strndup (s, n);
    }
  s++;
  out = o = malloc (strlen (s) + 1);
  if (out == NULL)
    return NULL;
  while (*s && *s != '"')
    {
      if (*s == '\\' && s[1])
        s++;
      *o++ = *s++;
    }
  *o = '\0';
  *p = *s == '"' ? s + 1 : s;
  return out;
}

int
auth_challenge_parse (const char *header, struct auth_challenge *c, berth_error_t *err)
{
  const char *p = header;
  size_t n;

  memset (c, 0, sizeof (*c));
  while (*p == ' ' || *p == '\t')
    p++;
  n = strcspn (p, " \t,");
  if (n == 0)
    return berth_error (err, 0, "empty WWW-Authenticate challenge");
  c->scheme = strndup (p, n);
  if (c->scheme == NULL)
    return berth_error (err, ENOMEM, "challenge");
  for (char *q = c->scheme; *q; q++)
    *q = tolower ((unsigned char)*q);
  p += n;
  for (;;)
    {
      const char *key;
      size_t klen;
      char *value;

      while (*p == ' ' || *p == '\t' || *p == ',')
        p++;
      if (*p == '\0')
        break;
      key = p;
      klen = strcspn (p, "= \t,");
      p += klen;
      while (*p == ' ' || *p == '\t')
        p++;
      if (*p != '=')
        break; /* the next challenge's scheme: only the first one is read */
      p++;
      while (*p == ' ' || *p == '\t')
        p++;
      value = param_value (&p);
      if (value == NULL)
        {
          auth_challenge_clear (c);
          return berth_error (err, ENOMEM, "challenge");
        }
      if (klen == 5 && strncasecmp (key, "realm", 5) == 0 && c->realm == NULL)
        c->realm = value;
      else if (klen == 7 && strncasecmp (key, "service", 7) == 0 && c->service == NULL)
        c->service = value;
      else if (klen == 5 && strncasecmp (key, "scope", 5) == 0 && c->scope == NULL)
        c->scope = value;
      else
        free (value);
    }
  if (strcmp (c->scheme, "bearer") == 0 && c->realm == NULL)
    {
      auth_challenge_clear (c);
      return berth_error (err, 0, "bearer challenge without a realm: `%s`", header);
    }
  return 0;
}

char *
base64_encode (const void *data, size_t len)
{
  char *out = malloc (4 * ((len + 2) / 3) + 1);
  if (out)
    EVP_EncodeBlock ((unsigned char *)out, data, len);
  return out;
}

static int
base64_decode (const char *in, char **out)
{
  size_t n = strlen (in);
  unsigned char *buf = malloc (n / 4 * 3 + 4);
  int len;

  if (buf == NULL || n % 4 != 0)
    {
      free (buf);
      return -1;
    }
  len = EVP_DecodeBlock (buf, (const unsigned char *)in, n);
  if (len < 0)
    {
      free (buf);
      return -1;
    }
  /* EVP_DecodeBlock counts the padding as bytes.  */
  while (n > 0 && in[n - 1] == '=' && len > 0)
    {
      n--;
      len--;
    }
  buf[len] = '\0';
  *out = (char *)buf;
  return 0;
}

char *
auth_file_path (const char *explicit_path)
{
  char *out;
  if (explicit_path && *explicit_path)
    return strdup (explicit_path);
  if (asprintf (&out, "/run/containers/%u/auth.json", (unsigned)getuid ()) < 0)
    return NULL;
  return out;
}

/* "https://index.docker.io/v1/" and "http://host:5000/v2" name hosts too.  */
static char *
key_host (const char *key)
{
  const char *p = strstr (key, "://");
  char *h;
  p = p ? p + 3 : key;
  h = strndup (p, strcspn (p, "/"));
  if (h && (strcmp (h, "index.docker.io") == 0 || strcmp (h, "registry-1.docker.io") == 0))
    {
      free (h);
      h = strdup ("docker.io");
    }
  return h;
}

/* Run docker-credential-NAME get for host.  Returns 1 with credentials, 0
 * when the helper has none, negative on failure.  */
static int
run_helper (const char *name, const char *host, char **user, char **pass, berth_error_t *err)
{
  cleanup_free char *prog = NULL, *out = NULL;
  int in_pipe[2] = { -1, -1 }, out_pipe[2] = { -1, -1 }, status, ret = -1;
  posix_spawn_file_actions_t fa;
  char *argv[3];
  pid_t pid;
  size_t len = 0;
  json_t *j;

  if (asprintf (&prog, "docker-credential-%s", name) < 0)
    return berth_error (err, ENOMEM, "credential helper");
  if (strchr (name, '/'))
    return berth_error (err, 0, "invalid credential helper name `%s`", name);
  if (pipe2 (in_pipe, O_CLOEXEC) < 0 || pipe2 (out_pipe, O_CLOEXEC) < 0)
    {
      ret = berth_error (err, errno, "pipe");
      goto out;
    }
  argv[0] = prog;
  argv[1] = (char *)"get";
  argv[2] = NULL;
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_adddup2 (&fa, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2 (&fa, out_pipe[1], 1);
  errno = posix_spawnp (&pid, prog, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy (&fa);
  if (errno != 0)
    {
      ret = berth_error (err, errno, "run `%s`", prog);
      goto out;
    }
  close (in_pipe[0]);
  close (out_pipe[1]);
  in_pipe[0] = out_pipe[1] = -1;
  {
    /* A helper that exits early must not kill us with SIGPIPE.  */
    sigset_t pipe_set, old;
    sigemptyset (&pipe_set);
    sigaddset (&pipe_set, SIGPIPE);
    pthread_sigmask (SIG_BLOCK, &pipe_set, &old);
    berth_write_all (in_pipe[1], host, strlen (host));
    close (in_pipe[1]);
    in_pipe[1] = -1;
    {
      struct timespec zero = { 0, 0 };
      while (sigtimedwait (&pipe_set, NULL, &zero) > 0)
        ;
    }
    pthread_sigmask (SIG_SETMASK, &old, NULL);
  }
  berth_read_fd (out_pipe[0], &out, &len, NULL);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      /* "credentials not found in native keychain": nothing for this host.  */
      ret = out && strstr (out, "not found")
                ? 0
                : berth_error (err, 0, "`%s get` failed for %s", prog, host);
      goto out;
    }
  j = out ? json_loads (out, 0, NULL) : NULL;
  if (!json_is_string (json_object_get (j, "Username"))
      || !json_is_string (json_object_get (j, "Secret")))
    ret = berth_error (err, 0, "`%s get`: no Username and Secret in its answer", prog);
  else
    {
      *user = strdup (json_string_value (json_object_get (j, "Username")));
      *pass = strdup (json_string_value (json_object_get (j, "Secret")));
      ret = 1;
    }
  json_decref (j);
out:
  for (int i = 0; i < 2; i++)
    {
      if (in_pipe[i] >= 0)
        close (in_pipe[i]);
      if (out_pipe[i] >= 0)
        close (out_pipe[i]);
    }
  return ret;
}

static int
lookup_in (const char *path, const char *host, char **user, char **pass, berth_error_t *err)
{
  json_error_t jerr;
  json_t *root, *v;
  const char *k;
  struct stat st;
  int ret = 0;

  if (path == NULL || stat (path, &st) < 0)
    return 0;
  root = json_load_file (path, 0, &jerr);
  if (root == NULL)
    return berth_error (err, 0, "auth file `%s`: %s", path, jerr.text);
  json_object_foreach (json_object_get (root, "credHelpers"), k, v)
  {
    cleanup_free char *h = key_host (k);
    if (h && strcmp (h, host) == 0 && json_is_string (v))
      {
        ret = run_helper (json_string_value (v), host, user, pass, err);
        json_decref (root);
        return ret;
      }
  }
  json_object_foreach (json_object_get (root, "auths"), k, v)
  {
    cleanup_free char *h = key_host (k), *decoded = NULL;
    const char *auth = json_string_value (json_object_get (v, "auth"));
    char *colon;
    if (h == NULL || strcmp (h, host) != 0 || auth == NULL)
      continue;
    if (base64_decode (auth, &decoded) < 0 || (colon = strchr (decoded, ':')) == NULL)
      {
        ret = berth_error (err, 0, "auth file `%s`: invalid \"auth\" for `%s`", path, k);
        break;
      }
    *colon = '\0';
    *user = strdup (decoded);
    *pass = strdup (colon + 1);
    ret = 1;
    break;
  }
  if (ret == 0 && json_is_string (json_object_get (root, "credsStore")))
    ret = run_helper (json_string_value (json_object_get (root, "credsStore")), host, user, pass,
                      err);
  json_decref (root);
  return ret;
}

int
auth_file_lookup (const char *path, const char *docker_config, const char *host, char **user,
                  char **pass, berth_error_t *err)
{
  cleanup_free char *p = auth_file_path (path);
  int r;

  *user = *pass = NULL;
  r = lookup_in (p, host, user, pass, err);
  if (r == 0)
    r = lookup_in (docker_config, host, user, pass, err);
  return r < 0 ? -1 : 0;
}

static int
load_or_new (const char *path, json_t **root, berth_error_t *err)
{
  json_error_t jerr;
  struct stat st;

  if (stat (path, &st) < 0)
    *root = json_object ();
  else if ((*root = json_load_file (path, 0, &jerr)) == NULL || !json_is_object (*root))
    {
      json_decref (*root);
      return berth_error (err, 0, "auth file `%s`: %s", path, jerr.text);
    }
  if (!json_is_object (json_object_get (*root, "auths")))
    json_object_set_new (*root, "auths", json_object ());
  return 0;
}

static int
save (const char *path, json_t *root, berth_error_t *err)
{
  cleanup_free char *text = json_dumps (root, JSON_INDENT (1) | JSON_SORT_KEYS);
  cleanup_free char *dir = strdup (path);
  char *slash;

  if (text == NULL || dir == NULL)
    return berth_error (err, ENOMEM, "auth file");
  if ((slash = strrchr (dir, '/')) && slash != dir)
    {
      *slash = '\0';
      if (berth_mkdir_p (dir, 0700, err) < 0)
        return -1;
    }
  return berth_write_file_atomic (path, text, strlen (text), 0600, err);
}

int
auth_file_store (const char *path, const char *host, const char *user, const char *pass,
                 berth_error_t *err)
{
  cleanup_free char *p = auth_file_path (path), *pair = NULL, *b64 = NULL;
  json_t *root = NULL;
  int r;

  if (p == NULL || asprintf (&pair, "%s:%s", user, pass) < 0
      || (b64 = base64_encode (pair, strlen (pair))) == NULL)
    return berth_error (err, ENOMEM, "auth file");
  if (load_or_new (p, &root, err) < 0)
    return -1;
  json_object_set_new (json_object_get (root, "auths"), host, json_pack ("{s:s}", "auth", b64));
  r = save (p, root, err);
  json_decref (root);
  return r;
}

int
auth_file_remove (const char *path, const char *host, bool all, berth_error_t *err)
{
  cleanup_free char *p = auth_file_path (path);
  json_t *root = NULL, *auths;
  const char *k;
  json_t *v;
  void *tmp;
  int found = 0;

  if (p == NULL)
    return berth_error (err, ENOMEM, "auth file");
  if (load_or_new (p, &root, err) < 0)
    return -1;
  auths = json_object_get (root, "auths");
  json_object_foreach_safe (auths, tmp, k, v)
  {
    cleanup_free char *h = key_host (k);
    if (all || (h && strcmp (h, host) == 0))
      {
        json_object_del (auths, k);
        found = 1;
      }
  }
  if (found && save (p, root, err) < 0)
    found = -1;
  json_decref (root);
  return found;
}
