/* libcrypto, loaded on first use (see lazy_lib.h): the sha256 of
 * digest.c and the base64 of the registries' auth.  A function newly used needs its line here.  */
#include <openssl/evp.h>

#include "lazy_lib.h"

#ifndef BERTH_LIBCRYPTO_SONAME
#define BERTH_LIBCRYPTO_SONAME "libcrypto.so.3"
#endif
#define CRYPTO BERTH_LIBCRYPTO_SONAME

/* clang-format off */
BERTH_LAZY (CRYPTO, EVP_MD_CTX *, EVP_MD_CTX_new, (void), ())
BERTH_LAZY_VOID (CRYPTO, EVP_MD_CTX_free, (EVP_MD_CTX *a0), (a0))
BERTH_LAZY (CRYPTO, int, EVP_DigestInit_ex, (EVP_MD_CTX *a0, const EVP_MD *a1, ENGINE *a2), (a0, a1, a2))
BERTH_LAZY (CRYPTO, int, EVP_DigestUpdate, (EVP_MD_CTX *a0, const void *a1, size_t a2), (a0, a1, a2))
BERTH_LAZY (CRYPTO, int, EVP_DigestFinal_ex, (EVP_MD_CTX *a0, unsigned char *a1, unsigned int *a2), (a0, a1, a2))
BERTH_LAZY (CRYPTO, const EVP_MD *, EVP_sha256, (void), ())
BERTH_LAZY (CRYPTO, int, EVP_EncodeBlock, (unsigned char *a0, const unsigned char *a1, int a2), (a0, a1, a2))
BERTH_LAZY (CRYPTO, int, EVP_DecodeBlock, (unsigned char *a0, const unsigned char *a1, int a2), (a0, a1, a2))
/* clang-format on */
