/* sha256 digests in OCI form ("sha256:<hex>") over OpenSSL's libcrypto.  */
#include <errno.h>
#include <string.h>

#include "internal.h"

int
hasher_init (struct hasher *h, berth_error_t *err)
{
  h->size = 0;
  h->ctx = EVP_MD_CTX_new ();
  if (h->ctx == NULL || EVP_DigestInit_ex (h->ctx, EVP_sha256 (), NULL) != 1)
    {
      hasher_release (h);
      return berth_error (err, ENOMEM, "sha256");
    }
  return 0;
}

void
hasher_update (struct hasher *h, const void *buf, size_t len)
{
  EVP_DigestUpdate (h->ctx, buf, len);
  h->size += len;
}

void
hasher_final (struct hasher *h, char out[DIGEST_LEN + 1])
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;

  EVP_DigestFinal_ex (h->ctx, md, &n);
  memcpy (out, "sha256:", 7);
  for (unsigned int i = 0; i < n && i < 32; i++)
    sprintf (out + 7 + 2 * i, "%02x", md[i]);
  out[DIGEST_LEN] = '\0';
}

void
hasher_release (struct hasher *h)
{
  if (h->ctx)
    EVP_MD_CTX_free (h->ctx);
  h->ctx = NULL;
}

int
digest_buffer (const void *buf, size_t len, char out[DIGEST_LEN + 1], berth_error_t *err)
{
  struct hasher h;
  if (hasher_init (&h, err) < 0)
    return -1;
  hasher_update (&h, buf, len);
  hasher_final (&h, out);
  hasher_release (&h);
  return 0;
}

bool
digest_valid (const char *s)
{
  if (s == NULL || strncmp (s, "sha256:", 7) != 0 || strlen (s) != DIGEST_LEN)
    return false;
  for (const char *p = s + 7; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return false;
  return true;
}
