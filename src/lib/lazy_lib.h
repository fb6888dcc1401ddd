/* Libraries loaded on first use instead of at program start.
 *
 * berth links libarchive and libcrypto for the image commands, but `run`
 * never calls them: loaded at start, they and what they pull in (libxml2,
 * ICU, libstdc++...) cost ~5 ms at every exec of berth, twice per run (the
 * sealed re-exec, sealed_exe.h).  A file of stubs (image/lazy_archive.c,
 * image/lazy_crypto.c) defines each function the program uses with its
 * library's own prototype, so the compiler checks every stub against the
 * library's header; the first call dlopen()s the library by its soname and
 * looks the function up, later calls go straight to it.  The program is
 * then linked without the library.
 *
 * A library that cannot be loaded ends the program with one error line
 * and status 125, as the dynamic loader would have done at start.  */
#ifndef BERTH_LAZY_LIB_H
#define BERTH_LAZY_LIB_H

/* The address of NAME in the library SONAME (loaded on the first call,
 * RTLD_LOCAL: its symbols stay out of the program's namespace).  Does not
 * return when either cannot be found.  */
void *berth_lazy_symbol (const char *soname, const char *name);

#define BERTH_LAZY_FN_(soname, name)                                                               \
  static __typeof__ (name) *fn_;                                                                   \
  __typeof__ (name) *f_ = __atomic_load_n (&fn_, __ATOMIC_ACQUIRE);                                \
  if (f_ == NULL)                                                                                  \
    {                                                                                              \
      f_ = (__typeof__ (name) *)berth_lazy_symbol (soname, #name);                                 \
      __atomic_store_n (&fn_, f_, __ATOMIC_RELEASE);                                               \
    }

/* A stub: RET NAME PARAMS that calls the library's NAME with ARGS.  */
#define BERTH_LAZY(soname, ret, name, params, args)                                                \
  ret name params                                                                                  \
  {                                                                                                \
    BERTH_LAZY_FN_ (soname, name)                                                                  \
    return f_ args;                                                                                \
  }

#define BERTH_LAZY_VOID(soname, name, params, args)                                                \
  void name params                                                                                 \
  {                                                                                                \
    BERTH_LAZY_FN_ (soname, name)                                                                  \
    f_ args;                                                                                       \
  }

#endif
