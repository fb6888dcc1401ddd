/* libnftables, loaded on first use (see lazy_lib.h): the firewall's calls.
 * Linked, it and what it pulls in (libnftnl, libxtables, libgmp) would load
 * at every exec of berth, also for `run --network none` and every command
 * that never touches a firewall.  A function newly used needs its line
 * here.  */
#include <nftables/libnftables.h>

#include "lazy_lib.h"

#ifndef BERTH_LIBNFTABLES_SONAME
#define BERTH_LIBNFTABLES_SONAME "libnftables.so.1"
#endif
#define NFT BERTH_LIBNFTABLES_SONAME

/* clang-format off */
BERTH_LAZY (NFT, struct nft_ctx *, nft_ctx_new, (uint32_t a0), (a0))
BERTH_LAZY_VOID (NFT, nft_ctx_free, (struct nft_ctx *a0), (a0))
BERTH_LAZY_VOID (NFT, nft_ctx_output_set_flags, (struct nft_ctx *a0, unsigned int a1), (a0, a1))
BERTH_LAZY (NFT, int, nft_ctx_buffer_output, (struct nft_ctx *a0), (a0))
BERTH_LAZY (NFT, const char *, nft_ctx_get_output_buffer, (struct nft_ctx *a0), (a0))
BERTH_LAZY (NFT, int, nft_ctx_buffer_error, (struct nft_ctx *a0), (a0))
BERTH_LAZY (NFT, const char *, nft_ctx_get_error_buffer, (struct nft_ctx *a0), (a0))
BERTH_LAZY (NFT, int, nft_run_cmd_from_buffer, (struct nft_ctx *a0, const char *a1), (a0, a1))
/* clang-format on */
