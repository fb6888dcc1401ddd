/* A cache of compiled seccomp programs.  libseccomp takes ~15 ms to
 * compile Docker's default profile (most of a `run` of /bin/true); the
 * same profile on the same kernel and libseccomp always compiles to the
 * same program, so it is compiled once and kept in a directory the caller
 * names (the engine: RUNROOT/seccomp, on tmpfs, so a reboot into another
 * kernel starts empty).
 *
 * An entry is found by a 64-bit hash, but only used when its whole key
 * matches byte for byte: the profile as the filter builder sees it (every
 * field that reaches the BPF), the cache format, the libseccomp version and
 * the kernel's uname; a checksum covers key and program.  The entry, and the
 * directory, must be owned by the caller's euid and writable by nobody else,
 * the file a regular one with one link, opened without following symlinks;
 * the kernel checks the program again when it is loaded.  Anything else
 * (missing, foreign, torn, mismatched) is a miss: the profile is compiled
 * and the entry written anew (temporary file, then rename; no fsync: a torn
 * entry after a crash fails the size or checksum check).  The cache is only
 * as trusted as its directory: whoever can write there as the caller can
 * choose the container's filter, so it must not be shared with other
 * users.  */
#ifndef BERTH_SECCOMP_CACHE_H
#define BERTH_SECCOMP_CACHE_H

#include "error.h"
#include "linux/seccomp_filter.h"

/* berth_seccomp_prepare, through the cache in DIR (made, mode 0700, when
 * missing; its parent must exist).  DIR NULL: no cache.  Failing to read or
 * write the cache is not an error.  */
int berth_seccomp_prepare_cached (const struct berth_seccomp *s, const char *dir,
                                  struct berth_seccomp_filter **out, berth_error_t *err);

#endif
