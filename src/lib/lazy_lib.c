/* dlopen on first use: see lazy_lib.h.  */
#include "lazy_lib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

void *
berth_lazy_symbol (const char *soname, const char *name)
{
  /* dlopen of a loaded library only counts a reference: no cache needed,
   * and the handle is kept for the life of the program.  */
  void *h = dlopen (soname, RTLD_NOW | RTLD_LOCAL);
  void *sym = h ? dlsym (h, name) : NULL;

  if (sym == NULL)
    {
      const char *e = dlerror ();
      fprintf (stderr, "berth: cannot load `%s` from %s: %s\n", name, soname, e ? e : "not found");
      _exit (125);
    }
  return sym;
}
