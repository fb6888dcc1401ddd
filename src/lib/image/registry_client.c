/* The HTTP side of the distribution protocol, over libcurl: one client per
 * registry, whose requests (from several threads at once) share connections,
 * DNS and TLS sessions through one CURLSH.  It pings /v2/ once to learn the
 * auth scheme (and, for an insecure registry, whether it speaks HTTPS), then
 * sends each request with basic credentials or a bearer token for the
 * request's scope, fetched from the challenge's realm and cached.  TLS
 * trusts the system CAs plus the CA files (.crt) of certs.d/HOST:PORT/, with the client
 * certificate (.cert and .key) found there; HTTP/2 is used when the server
 * offers it (ALPN).
 *
 * libcurl is loaded with dlopen when a client is first made, not linked:
 * its dependencies (nghttp2, ssh2, ldap, kerberos, rtmp, ...) cost every
 * berth command about 6 ms of dynamic loading, and most commands (a run of
 * an image that is present) never talk to a registry.  The calls below go
 * through a table of the functions used; the names stay libcurl's.  */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "registry.h"
#include "util.h"

#define MAX_TOKENS 16
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

struct token
{
  char *scope;
  char *header; /* "Authorization: Bearer ..." */
};

struct reg_client
{
  char *host; /* as named: "docker.io", "127.0.0.1:5000" */
  char *base; /* "https://registry-1.docker.io" */
  bool verify;
  bool insecure;
  char *user, *pass;
  char *ca_bundle; /* system CAs + certs.d's, or NULL: curl's default */
  size_t ca_len;
  char *client_cert, *client_key;
  CURLSH *share;
  pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
  pthread_mutex_t mu; /* guards what follows */
  struct auth_challenge challenge;
  struct token tokens[MAX_TOKENS];
  size_t n_tokens;
};

#define LIBCURL_SONAME "libcurl.so.4"

static struct
{
  CURLcode (*global_init) (long);
  const char *(*easy_strerror) (CURLcode);
  CURL *(*easy_init) (void);
  CURLcode (*easy_setopt) (CURL *, CURLoption, ...);
  CURLcode (*easy_getinfo) (CURL *, CURLINFO, ...);
  CURLcode (*easy_perform) (CURL *);
  void (*easy_cleanup) (CURL *);
  char *(*easy_escape) (CURL *, const char *, int);
  void (*free) (void *);
  CURLSH *(*share_init) (void);
  CURLSHcode (*share_setopt) (CURLSH *, CURLSHoption, ...);
  CURLSHcode (*share_cleanup) (CURLSH *);
  struct curl_slist *(*slist_append) (struct curl_slist *, const char *);
  void (*slist_free_all) (struct curl_slist *);
  CURLU *(*url) (void);
  CURLUcode (*url_set) (CURLU *, CURLUPart, const char *, unsigned int);
  CURLUcode (*url_get) (const CURLU *, CURLUPart, char **, unsigned int);
  void (*url_cleanup) (CURLU *);
} curl_fn;

#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_share_setopt
#define curl_global_init curl_fn.global_init
#define curl_easy_strerror curl_fn.easy_strerror
#define curl_easy_init curl_fn.easy_init
#define curl_easy_setopt curl_fn.easy_setopt
#define curl_easy_getinfo curl_fn.easy_getinfo
#define curl_easy_perform curl_fn.easy_perform
#define curl_easy_cleanup curl_fn.easy_cleanup
#define curl_easy_escape curl_fn.easy_escape
#define curl_free curl_fn.free
#define curl_share_init curl_fn.share_init
#define curl_share_setopt curl_fn.share_setopt
#define curl_share_cleanup curl_fn.share_cleanup
#define curl_slist_append curl_fn.slist_append
#define curl_slist_free_all curl_fn.slist_free_all
#define curl_url curl_fn.url
#define curl_url_set curl_fn.url_set
#define curl_url_get curl_fn.url_get
#define curl_url_cleanup curl_fn.url_cleanup

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static char global_error[256];

static void
global_init (void)
{
  static const char *const names[] = {
    "curl_global_init",  "curl_easy_strerror",  "curl_easy_init",    "curl_easy_setopt",
    "curl_easy_getinfo", "curl_easy_perform",   "curl_easy_cleanup", "curl_easy_escape",
    "curl_free",         "curl_share_init",     "curl_share_setopt", "curl_share_cleanup",
    "curl_slist_append", "curl_slist_free_all", "curl_url",          "curl_url_set",
    "curl_url_get",      "curl_url_cleanup",
  };
  void **slots = (void **)&curl_fn;
  void *h = dlopen (LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
  CURLcode code;

  _Static_assert(sizeof (curl_fn) == sizeof (names) / sizeof (names[0]) * sizeof (void *),
                 "one name per libcurl function");
  if (h == NULL)
    {
      snprintf (global_error, sizeof (global_error), "load " LIBCURL_SONAME ": %s", dlerror ());
      return;
    }
  for (size_t i = 0; i < sizeof (names) / sizeof (names[0]); i++)
    if ((slots[i] = dlsym (h, names[i])) == NULL)
      {
        snprintf (global_error, sizeof (global_error), LIBCURL_SONAME ": no %s", names[i]);
        return;
      }
  code = curl_global_init (CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK)
    snprintf (global_error, sizeof (global_error), "libcurl: %s", curl_easy_strerror (code));
}

static void
share_lock (CURL *h, curl_lock_data data, curl_lock_access access, void *p)
{
  struct reg_client *c = p;
  pthread_mutex_lock (&c->share_locks[data]);
}

static void
share_unlock (CURL *h, curl_lock_data data, void *p)
{
  struct reg_client *c = p;
  pthread_mutex_unlock (&c->share_locks[data]);
}

void
reg_response_clear (struct reg_response *r)
{
  free (r->content_type);
  free (r->digest);
  free (r->location);
  free (r->www_authenticate);
  free (r->body);
  memset (r, 0, sizeof (*r));
}

bool
reg_error_is_transient (int code)
{
  switch (code)
    {
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_COULDNT_CONNECT:
      return true;
    default:
      return false;
    }
}

/* certs.d: the first of the candidate directories that has HOST.  */
static char *
certs_dir_for (const char *host, const struct berth_registry_options *o,
               const struct registry_config *cfg)
{
  const char *dirs[] = { o->certs_dir, cfg->certs_dir, "/etc/berth/certs.d",
                         "/etc/containers/certs.d", "/etc/docker/certs.d" };
  for (size_t i = 0; i < sizeof (dirs) / sizeof (dirs[0]); i++)
    {
      char *p;
      struct stat st;
      if (dirs[i] == NULL)
        continue;
      if (asprintf (&p, "%s/%s", dirs[i], host) < 0)
        return NULL;
      if (stat (p, &st) == 0 && S_ISDIR (st.st_mode))
        return p;
      free (p);
      /* An explicit directory is the only one looked at.  */
      if (i < 2)
        return NULL;
    }
  return NULL;
}

static int
append_file (char **buf, size_t *len, const char *path, berth_error_t *err)
{
  cleanup_free char *data = NULL;
  size_t n;
  char *nb;

  if (berth_read_file (path, &data, &n, err) < 0)
    return -1;
  nb = realloc (*buf, *len + n + 2);
  if (nb == NULL)
    return berth_error (err, ENOMEM, "CA bundle");
  memcpy (nb + *len, data, n);
  *len += n;
  nb[(*len)++] = '\n';
  nb[*len] = '\0';
  *buf = nb;
  return 0;
}

static bool
has_suffix (const char *s, const char *suffix)
{
  size_t n = strlen (s), m = strlen (suffix);
  return n >= m && strcmp (s + n - m, suffix) == 0;
}

/* Docker's certs.d layout: *.crt are CAs, X.cert with X.key a client
 * certificate.  */
static int
load_certs (struct reg_client *c, const char *dir, berth_error_t *err)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;
  bool have_ca = false;
  struct stat st;

  if (d == NULL)
    return berth_error (err, errno, "open `%s`", dir);
  while ((de = readdir (d)))
    {
      cleanup_free char *p = NULL;
      if (asprintf (&p, "%s/%s", dir, de->d_name) < 0)
        return berth_error (err, ENOMEM, "certs");
      if (has_suffix (de->d_name, ".crt"))
        {
          if (!have_ca && stat (SYSTEM_CA_BUNDLE, &st) == 0
              && append_file (&c->ca_bundle, &c->ca_len, SYSTEM_CA_BUNDLE, err) < 0)
            return -1;
          have_ca = true;
          if (append_file (&c->ca_bundle, &c->ca_len, p, err) < 0)
            return -1;
        }
      else if (has_suffix (de->d_name, ".cert"))
        {
          free (c->client_cert);
          c->client_cert = steal_pointer (&p);
          free (c->client_key);
          if (asprintf (&c->client_key, "%.*s.key", (int)(strlen (c->client_cert) - 5),
                        c->client_cert)
              < 0)
            c->client_key = NULL;
          if (c->client_key == NULL || stat (c->client_key, &st) < 0)
            return berth_error (err, 0, "client certificate `%s` without its .key", c->client_cert);
        }
    }
  return 0;
}

struct transfer
{
  struct reg_response *resp;
  const struct reg_request *req;
  CURL *h;
  bool to_sink;
  bool sink_failed;
  int64_t upload_pos;
};

static size_t
on_header (char *line, size_t size, size_t n, void *p)
{
  struct transfer *t = p;
  size_t len = size * n, klen;
  char **slot = NULL;
  const char *v;
  char *end;

  if (len >= 5 && strncmp (line, "HTTP/", 5) == 0)
    {
      /* A new response (after a redirect or 100-continue): forget the last.  */
      free (t->resp->location);
      free (t->resp->content_type);
      free (t->resp->digest);
      free (t->resp->www_authenticate);
      t->resp->location = t->resp->content_type = t->resp->digest = NULL;
      t->resp->www_authenticate = NULL;
      t->resp->content_length = -1;
      return len;
    }
  v = memchr (line, ':', len);
  if (v == NULL)
    return len;
  klen = v - line;
  if (klen == 8 && strncasecmp (line, "location", 8) == 0)
    slot = &t->resp->location;
  else if (klen == 12 && strncasecmp (line, "content-type", 12) == 0)
    slot = &t->resp->content_type;
  else if (klen == 21 && strncasecmp (line, "docker-content-digest", 21) == 0)
    slot = &t->resp->digest;
  else if (klen == 16 && strncasecmp (line, "www-authenticate", 16) == 0)
    slot = &t->resp->www_authenticate;
  else if (klen == 14 && strncasecmp (line, "content-length", 14) == 0)
    {
      t->resp->content_length = strtoll (v + 1, &end, 10);
      return len;
    }
  if (slot == NULL || *slot)
    return len;
  v++;
  while (v < line + len && (*v == ' ' || *v == '\t'))
    v++;
  end = line + len;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
    end--;
  *slot = strndup (v, end - v);
  return len;
}

static size_t
on_data (char *buf, size_t size, size_t n, void *p)
{
  struct transfer *t = p;
  size_t len = size * n;
  long status = 0;
  char *nb;

  curl_easy_getinfo (t->h, CURLINFO_RESPONSE_CODE, &status);
  if (t->req->sink && status >= 200 && status < 300)
    {
      if (t->req->sink (t->req->sink_data, status, buf, len) < 0)
        {
          t->sink_failed = true;
          return 0;
        }
      return len;
    }
  if (t->resp->body_len + len > REGISTRY_MAX_DOCUMENT)
    return 0;
  nb = realloc (t->resp->body, t->resp->body_len + len + 1);
  if (nb == NULL)
    return 0;
  memcpy (nb + t->resp->body_len, buf, len);
  t->resp->body = nb;
  t->resp->body_len += len;
  nb[t->resp->body_len] = '\0';
  return len;
}

static size_t
on_read (char *buf, size_t size, size_t n, void *p)
{
  struct transfer *t = p;
  const struct reg_body *b = t->req->body;
  size_t want = size * n;
  int64_t left = b->len - t->upload_pos;
  ssize_t r;

  if ((int64_t)want > left)
    want = left;
  if (want == 0)
    return 0;
  if (b->buf)
    {
      memcpy (buf, b->buf + t->upload_pos, want);
      r = want;
    }
  else
    {
      do
        r = pread (b->fd, buf, want, b->offset + t->upload_pos);
      while (r < 0 && errno == EINTR);
      if (r <= 0)
        return CURL_READFUNC_ABORT;
    }
  t->upload_pos += r;
  return r;
}

static void
set_tls (struct reg_client *c, CURL *h)
{
  curl_easy_setopt (h, CURLOPT_SSL_VERIFYPEER, c->verify ? 1L : 0L);
  curl_easy_setopt (h, CURLOPT_SSL_VERIFYHOST, c->verify ? 2L : 0L);
  if (c->ca_bundle)
    {
      struct curl_blob blob = { c->ca_bundle, c->ca_len, CURL_BLOB_NOCOPY };
      curl_easy_setopt (h, CURLOPT_CAINFO_BLOB, &blob);
    }
  if (c->client_cert)
    {
      curl_easy_setopt (h, CURLOPT_SSLCERT, c->client_cert);
      curl_easy_setopt (h, CURLOPT_SSLKEY, c->client_key);
    }
}

static CURL *
new_handle (struct reg_client *c)
{
  CURL *h = curl_easy_init ();
  if (h == NULL)
    return NULL;
  curl_easy_setopt (h, CURLOPT_SHARE, c->share);
  curl_easy_setopt (h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (h, CURLOPT_USERAGENT,
                    "berth/"
                    "0.1");
  curl_easy_setopt (h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
  curl_easy_setopt (h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (h, CURLOPT_CONNECTTIMEOUT, 30L);
  /* Fewer, larger pieces for the layer stream (16 KiB by default).  */
  curl_easy_setopt (h, CURLOPT_BUFFERSIZE, 256L << 10);
  /* A stalled transfer is a broken one: it is retried with Range.  */
  curl_easy_setopt (h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt (h, CURLOPT_LOW_SPEED_TIME, 30L);
  set_tls (c, h);
  return h;
}

/* One HTTP exchange, no auth logic.  */
static int
perform (struct reg_client *c, const struct reg_request *req, const char *auth,
         struct reg_response *resp, berth_error_t *err)
{
  struct transfer t = { .resp = resp, .req = req };
  struct curl_slist *hdrs = NULL;
  cleanup_free char *url = NULL, *range = NULL, *ctype = NULL;
  char errbuf[CURL_ERROR_SIZE] = "";
  CURLcode code;
  int ret = 0;

  reg_response_clear (resp);
  resp->content_length = -1;
  if (strncmp (req->url, "http://", 7) == 0 || strncmp (req->url, "https://", 8) == 0)
    url = strdup (req->url);
  else if (asprintf (&url, "%s%s", c->base, req->url) < 0)
    url = NULL;
  t.h = new_handle (c);
  if (url == NULL || t.h == NULL)
    {
      if (t.h)
        curl_easy_cleanup (t.h);
      return berth_error (err, ENOMEM, "request");
    }
  curl_easy_setopt (t.h, CURLOPT_URL, url);
  curl_easy_setopt (t.h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (t.h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt (t.h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt (t.h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt (t.h, CURLOPT_WRITEDATA, &t);
  if (req->follow)
    {
      curl_easy_setopt (t.h, CURLOPT_FOLLOWLOCATION, 1L);
      curl_easy_setopt (t.h, CURLOPT_MAXREDIRS, 5L);
    }
  if (strcmp (req->method, "HEAD") == 0)
    curl_easy_setopt (t.h, CURLOPT_NOBODY, 1L);
  else if (strcmp (req->method, "GET") != 0)
    {
      int64_t len = req->body ? req->body->len : 0;
      curl_easy_setopt (t.h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt (t.h, CURLOPT_CUSTOMREQUEST, req->method);
      curl_easy_setopt (t.h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
      curl_easy_setopt (t.h, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt (t.h, CURLOPT_READDATA, &t);
      hdrs = curl_slist_append (hdrs, "Expect:");
      if (req->body && req->body->content_type
          && asprintf (&ctype, "Content-Type: %s", req->body->content_type) >= 0)
        hdrs = curl_slist_append (hdrs, ctype);
    }
  if (auth)
    hdrs = curl_slist_append (hdrs, auth);
  if (req->range_from > 0
      && asprintf (&range, "Range: bytes=%lld-", (long long)req->range_from) >= 0)
    hdrs = curl_slist_append (hdrs, range);
  for (size_t i = 0; req->headers && req->headers[i]; i++)
    hdrs = curl_slist_append (hdrs, req->headers[i]);
  curl_easy_setopt (t.h, CURLOPT_HTTPHEADER, hdrs);

  code = curl_easy_perform (t.h);
  curl_easy_getinfo (t.h, CURLINFO_RESPONSE_CODE, &resp->status);
  if (code != CURLE_OK)
    {
      resp->curl_code = code;
      if (t.sink_failed)
        ret = -1; /* the sink set *err */
      else
        ret = berth_error (err, 0, "%s %s: %s", req->method, url,
                           errbuf[0] ? errbuf : curl_easy_strerror (code));
    }
  else if (resp->location && strncmp (resp->location, "http", 4) != 0)
    {
      /* A relative Location is relative to the URL asked.  */
      char *abs = NULL;
      CURLU *u = curl_url ();
      if (u && curl_url_set (u, CURLUPART_URL, url, 0) == CURLUE_OK
          && curl_url_set (u, CURLUPART_URL, resp->location, 0) == CURLUE_OK
          && curl_url_get (u, CURLUPART_URL, &abs, 0) == CURLUE_OK)
        {
          free (resp->location);
          resp->location = strdup (abs);
          curl_free (abs);
        }
      curl_url_cleanup (u);
    }
  curl_slist_free_all (hdrs);
  curl_easy_cleanup (t.h);
  return ret;
}

static char *
basic_header (const char *user, const char *pass)
{
  cleanup_free char *pair = NULL, *b64 = NULL;
  char *out;
  if (asprintf (&pair, "%s:%s", user, pass) < 0
      || (b64 = base64_encode (pair, strlen (pair))) == NULL
      || asprintf (&out, "Authorization: Basic %s", b64) < 0)
    return NULL;
  return out;
}

/* The registry's own words from an error body ({"errors": [{"code",
 * "message"}]}), else the status.  */
static int
status_error (struct reg_client *c, const struct reg_request *req, struct reg_response *resp,
              berth_error_t *err)
{
  json_t *j = resp->body ? json_loads (resp->body, 0, NULL) : NULL;
  json_t *e0 = json_array_get (json_object_get (j, "errors"), 0);
  const char *code = json_string_value (json_object_get (e0, "code"));
  const char *msg = json_string_value (json_object_get (e0, "message"));
  int r;

  if (resp->status == 401)
    r = berth_error (err, 0, "%s: unauthorized: %s", c->host,
                     c->user ? "wrong username or password, or no access"
                             : "authentication required (berth login)");
  else if (code)
    r = berth_error (err, 0, "%s %s: %ld %s: %s", req->method, req->url, resp->status, code,
                     msg ? msg : "");
  else
    r = berth_error (err, 0, "%s %s: HTTP status %ld", req->method, req->url, resp->status);
  json_decref (j);
  return r;
}

/* A bearer token for scope from the challenge's realm.  Called with mu held.  */
static int
fetch_token (struct reg_client *c, const char *scope, char **header, berth_error_t *err)
{
  cleanup_free char *url = NULL, *auth = NULL;
  struct reg_response resp = { 0 };
  struct reg_request req = { .method = "GET" };
  cleanup_free char *scopes = NULL;
  char *svc = NULL;
  CURL *h = curl_easy_init ();
  const char *tok;
  json_t *j;
  int ret = -1;

  if (h == NULL)
    return berth_error (err, ENOMEM, "token");
  if (c->challenge.service)
    svc = curl_easy_escape (h, c->challenge.service, 0);
  /* "a b" asks for two scopes: one scope= parameter each.  */
  scopes = strdup ("");
  for (const char *p = scope ? scope : ""; scopes && *p;)
    {
      size_t n = strcspn (p, " ");
      char *e = n ? curl_easy_escape (h, p, n) : NULL, *ns;
      if (e && asprintf (&ns, "%s&scope=%s", scopes, e) >= 0)
        {
          free (scopes);
          scopes = ns;
        }
      curl_free (e);
      p += n;
      while (*p == ' ')
        p++;
    }
  if (scopes == NULL
      || asprintf (&url, "%s%sservice=%s%s", c->challenge.realm,
                   strchr (c->challenge.realm, '?') ? "&" : "?", svc ? svc : "", scopes)
             < 0)
    url = NULL;
  curl_free (svc);
  curl_easy_cleanup (h);
  if (url == NULL)
    return berth_error (err, ENOMEM, "token");
  if (c->user && (auth = basic_header (c->user, c->pass)) == NULL)
    return berth_error (err, ENOMEM, "token");
  req.url = url;
  if (perform (c, &req, auth, &resp, err) < 0)
    return berth_error_wrap (err, "%s: token", c->host);
  if (resp.status == 401 || resp.status == 403)
    {
      ret = berth_error (err, 0, "%s: unauthorized: %s", c->host,
                         c->user ? "wrong username or password" : "authentication required");
      goto out;
    }
  if (resp.status != 200)
    {
      ret = berth_error (err, 0, "%s: token endpoint answered HTTP status %ld", c->host,
                         resp.status);
      goto out;
    }
  j = json_loads (resp.body ? resp.body : "", 0, NULL);
  tok = json_string_value (json_object_get (j, "token"));
  if (tok == NULL)
    tok = json_string_value (json_object_get (j, "access_token"));
  if (tok == NULL)
    ret = berth_error (err, 0, "%s: token endpoint answered no token", c->host);
  else if (asprintf (header, "Authorization: Bearer %s", tok) < 0)
    ret = berth_error (err, ENOMEM, "token");
  else
    ret = 0;
  json_decref (j);
out:
  reg_response_clear (&resp);
  return ret;
}

/* The Authorization header for scope (new string, or NULL for none).  */
static int
auth_for (struct reg_client *c, const char *scope, bool refresh, char **header, berth_error_t *err)
{
  const char *key = scope ? scope : "";
  int ret = 0;

  *header = NULL;
  pthread_mutex_lock (&c->mu);
  if (c->challenge.scheme == NULL)
    goto out;
  if (strcmp (c->challenge.scheme, "basic") == 0)
    {
      if (c->user && (*header = basic_header (c->user, c->pass)) == NULL)
        ret = berth_error (err, ENOMEM, "auth");
      goto out;
    }
  if (strcmp (c->challenge.scheme, "bearer") != 0)
    {
      ret = berth_error (err, 0, "%s: unsupported auth scheme `%s`", c->host, c->challenge.scheme);
      goto out;
    }
  for (size_t i = 0; i < c->n_tokens; i++)
    if (strcmp (c->tokens[i].scope, key) == 0)
      {
        if (!refresh)
          {
            *header = strdup (c->tokens[i].header);
            goto out;
          }
        free (c->tokens[i].scope);
        free (c->tokens[i].header);
        c->tokens[i] = c->tokens[--c->n_tokens];
        break;
      }
  if (fetch_token (c, key, header, err) < 0)
    {
      ret = -1;
      goto out;
    }
  if (c->n_tokens < MAX_TOKENS)
    {
      c->tokens[c->n_tokens].scope = strdup (key);
      c->tokens[c->n_tokens].header = strdup (*header);
      if (c->tokens[c->n_tokens].scope && c->tokens[c->n_tokens].header)
        c->n_tokens++;
    }
out:
  pthread_mutex_unlock (&c->mu);
  return ret;
}

static bool
status_ok (long status, const long *ok)
{
  if (status >= 200 && status < 400)
    return true;
  for (; ok && *ok; ok++)
    if (*ok == status)
      return true;
  return false;
}

int
reg_do (struct reg_client *c, const struct reg_request *req, struct reg_response *resp,
        const long *ok_statuses, berth_error_t *err)
{
  for (int attempt = 0;; attempt++)
    {
      cleanup_free char *auth = NULL;
      if (auth_for (c, req->scope, attempt > 0, &auth, err) < 0)
        return -1;
      if (perform (c, req, auth, resp, err) < 0)
        return -1;
      if (resp->status == 401 && attempt == 0 && resp->www_authenticate)
        {
          /* A new challenge (another realm, or a token that expired).  */
          struct auth_challenge ch;
          if (auth_challenge_parse (resp->www_authenticate, &ch, NULL) == 0)
            {
              pthread_mutex_lock (&c->mu);
              auth_challenge_clear (&c->challenge);
              c->challenge = ch;
              pthread_mutex_unlock (&c->mu);
              if (strcmp (ch.scheme, "basic") != 0 || c->user)
                continue;
            }
        }
      if (!status_ok (resp->status, ok_statuses))
        return status_error (c, req, resp, err);
      return 0;
    }
}

/* GET /v2/: learns the scheme of auth and, for an insecure registry,
 * whether to speak plain HTTP.  */
static int
ping (struct reg_client *c, berth_error_t *err)
{
  struct reg_request req = { .method = "GET", .url = "/v2/" };
  struct reg_response resp = { 0 };
  int r = perform (c, &req, NULL, &resp, err);

  if (r < 0 && c->insecure && strncmp (c->base, "https://", 8) == 0)
    {
      char *http;
      if (asprintf (&http, "http://%s", c->base + 8) < 0)
        return berth_error (err, ENOMEM, "ping");
      free (c->base);
      c->base = http;
      berth_error_release (err);
      r = perform (c, &req, NULL, &resp, err);
    }
  if (r < 0)
    {
      reg_response_clear (&resp);
      return berth_error_wrap (err, "registry `%s`", c->host);
    }
  if (resp.status == 401 && resp.www_authenticate)
    r = auth_challenge_parse (resp.www_authenticate, &c->challenge, err);
  else if (resp.status == 404)
    r = berth_error (err, 0, "`%s` is not a registry (no /v2/)", c->host);
  reg_response_clear (&resp);
  return r;
}

int
reg_client_new (const char *host, const struct berth_registry_options *o,
                const struct registry_config *cfg, struct reg_client **out, berth_error_t *err)
{
  struct reg_client *c;
  cleanup_free char *certs = NULL;
  const char *endpoint = strcmp (host, "docker.io") == 0 ? "registry-1.docker.io" : host;

  pthread_once (&global_once, global_init);
  if (global_error[0])
    return berth_error (err, 0, "%s", global_error);
  c = calloc (1, sizeof (*c));
  if (c == NULL)
    return berth_error (err, ENOMEM, "registry client");
  pthread_mutex_init (&c->mu, NULL);
  for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
    pthread_mutex_init (&c->share_locks[i], NULL);
  c->host = strdup (host);
  c->insecure = o->tls_verify == 0 || (o->tls_verify < 0 && registry_config_insecure (cfg, host));
  c->verify = !c->insecure;
  if (asprintf (&c->base, "https://%s", endpoint) < 0)
    c->base = NULL;
  c->share = curl_share_init ();
  if (c->host == NULL || c->base == NULL || c->share == NULL)
    {
      reg_client_free (c);
      return berth_error (err, ENOMEM, "registry client");
    }
  curl_share_setopt (c->share, CURLSHOPT_LOCKFUNC, share_lock);
  curl_share_setopt (c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
  curl_share_setopt (c->share, CURLSHOPT_USERDATA, c);
  curl_share_setopt (c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  curl_share_setopt (c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt (c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  if (o->username)
    {
      c->user = strdup (o->username);
      c->pass = strdup (o->password ? o->password : "");
    }
  else if (auth_file_lookup (o->auth_file, o->docker_config, host, &c->user, &c->pass, err) < 0)
    {
      reg_client_free (c);
      return -1;
    }
  certs = certs_dir_for (host, o, cfg);
  if ((certs && load_certs (c, certs, err) < 0) || ping (c, err) < 0)
    {
      reg_client_free (c);
      return -1;
    }
  *out = c;
  return 0;
}

void
reg_client_free (struct reg_client *c)
{
  if (c == NULL)
    return;
  if (c->share)
    curl_share_cleanup (c->share);
  for (size_t i = 0; i < c->n_tokens; i++)
    {
      free (c->tokens[i].scope);
      free (c->tokens[i].header);
    }
  auth_challenge_clear (&c->challenge);
  pthread_mutex_destroy (&c->mu);
  for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
    pthread_mutex_destroy (&c->share_locks[i]);
  free (c->host);
  free (c->base);
  free (c->user);
  free (c->pass);
  free (c->ca_bundle);
  free (c->client_cert);
  free (c->client_key);
  free (c);
}

const char *
reg_client_host (const struct reg_client *c)
{
  return c->host;
}

int
reg_client_check_login (struct reg_client *c, berth_error_t *err)
{
  cleanup_free char *auth = NULL;
  struct reg_request req = { .method = "GET", .url = "/v2/" };
  struct reg_response resp = { 0 };
  int r;

  if (c->challenge.scheme == NULL)
    return 0; /* an open registry takes any login, as Docker's does */
  if (auth_for (c, NULL, true, &auth, err) < 0)
    return -1;
  r = perform (c, &req, auth, &resp, err);
  if (r == 0 && resp.status == 401)
    r = berth_error (err, 0, "%s: unauthorized: wrong username or password", c->host);
  else if (r == 0 && resp.status >= 400)
    r = berth_error (err, 0, "%s: /v2/ answered HTTP status %ld", c->host, resp.status);
  reg_response_clear (&resp);
  return r;
}
