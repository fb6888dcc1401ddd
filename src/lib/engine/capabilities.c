/* Owns the container's capability set: Docker's default set, adjusted by
 * --cap-add/--cap-drop and --privileged as Docker adjusts it.  */
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "engine/spec.h"
#include "oci/names.h"

#define CAP(n) (1ULL << (n))

static const int default_caps[] = {
  CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
  CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
  CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
  CAP_KILL,    CAP_AUDIT_WRITE,
};

uint64_t
berth_engine_default_capabilities (void)
{
  uint64_t mask = 0;

  for (size_t i = 0; i < sizeof (default_caps) / sizeof (default_caps[0]); i++)
    mask |= CAP (default_caps[i]);
  return mask;
}

/* Every capability berth knows, the kernel knows and this process may hand
 * on (its bounding set): "ALL" must not name one capset(2) would refuse,
 * as it would when berth itself runs with a reduced bounding set.  */
static uint64_t
all_capabilities (void)
{
  int last = -1;
  uint64_t mask = 0;
  FILE *f = fopen ("/proc/sys/kernel/cap_last_cap", "re");

  if (f)
    {
      if (fscanf (f, "%d", &last) != 1)
        last = -1;
      fclose (f);
    }
  for (int cap = 0; cap < 64 && berth_capability_name (cap); cap++)
    if ((last < 0 || cap <= last) && prctl (PR_CAPBSET_READ, cap, 0, 0, 0) != 0)
      mask |= CAP (cap);
  return mask;
}

static bool
has_all (char *const *list)
{
  for (; list && *list; list++)
    if (strcmp (*list, "ALL") == 0)
      return true;
  return false;
}

static uint64_t
mask_of (char *const *list)
{
  uint64_t mask = 0;

  for (; list && *list; list++)
    {
      int cap = berth_capability_from_name (*list);

      if (cap >= 0 && cap < 64)
        mask |= CAP (cap);
    }
  return mask;
}

uint64_t
berth_engine_capabilities (const struct berth_run_request *req)
{
  if (req->privileged)
    return all_capabilities ();
  /* --cap-add ALL wins over --cap-drop ALL, and the named drops still apply;
   * with --cap-drop ALL only the named adds remain (Docker's order).  */
  if (has_all (req->cap_add))
    return all_capabilities () & ~mask_of (req->cap_drop);
  if (has_all (req->cap_drop))
    return mask_of (req->cap_add);
  return (berth_engine_default_capabilities () & ~mask_of (req->cap_drop)) | mask_of (req->cap_add);
}
