/* Freezing and thawing the container (pause/resume, and a still snapshot
 * while killing): the v1 freezer controller where there is one, else the
 * cgroup v2 core files cgroup.freeze and cgroup.events.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "util.h"
#include "cgroup_internal.h"

#define FREEZE_TIMEOUT_MS 5000

static const char *
v2_freeze_dir (const struct berth_cgroup *cg)
{
  if (cg->has_v2 && cg_file_exists (cg->v2.dir, "cgroup.freeze"))
    return cg->v2.dir;
  return NULL;
}

static int
v1_state_is (const char *dir, const char *state, bool *is, berth_error_t *err)
{
  cleanup_free char *text = NULL;

  if (cg_read (dir, "freezer.state", &text, err) < 0)
    return berth_error_ret (err);
  text[strcspn (text, "\n")] = '\0';
  *is = strcmp (text, state) == 0;
  return 0;
}

static int
v2_frozen_is (const char *dir, bool frozen, bool *is, berth_error_t *err)
{
  uint64_t value;

  if (cg_read_keyed (dir, "cgroup.events", "frozen", &value, err) < 0)
    return berth_error_ret (err);
  *is = (value == 1) == frozen;
  return 0;
}

/* Ask for the state without waiting for it.  */
int
cg_freeze_request (const struct berth_cgroup *cg, bool frozen, berth_error_t *err)
{
  const char *v1 = cg_v1_dir (cg, "freezer"), *v2 = v2_freeze_dir (cg);

  if (v1)
    return cg_write (v1, "freezer.state", frozen ? "FROZEN" : "THAWED", err);
  if (v2)
    return cg_write (v2, "cgroup.freeze", frozen ? "1" : "0", err);
  return berth_error (err, ENOTSUP, "no cgroup freezer for `%s`", cg->path);
}

/* Poll until the kernel reports the state.  A v1 freeze that hangs in
 * FREEZING is nudged by asking again, as runc does.  */
static int
wait_settled (const struct berth_cgroup *cg, bool frozen, berth_error_t *err)
{
  const char *v1 = cg_v1_dir (cg, "freezer");
  long deadline = berth_now_ms () + FREEZE_TIMEOUT_MS;

  for (int round = 0;; round++)
    {
      bool done = false;
      int r = v1 ? v1_state_is (v1, frozen ? "FROZEN" : "THAWED", &done, err)
                 : v2_frozen_is (v2_freeze_dir (cg), frozen, &done, err);

      if (r < 0)
        return r;
      if (done)
        return 0;
      if (berth_now_ms () > deadline)
        return berth_error (err, ETIMEDOUT, "%s `%s`: the kernel did not settle in %d s",
                            frozen ? "freeze" : "thaw", cg->path, FREEZE_TIMEOUT_MS / 1000);
      berth_sleep_ms (round < 10 ? 1 : 10);
      if (v1 && round % 10 == 9 && cg_freeze_request (cg, frozen, err) < 0)
        return berth_error_ret (err);
    }
}

int
berth_cgroup_set_frozen (const struct berth_cgroup *cg, bool frozen, berth_error_t *err)
{
  if (cg_freeze_request (cg, frozen, err) < 0)
    return berth_error_ret (err);
  if (wait_settled (cg, frozen, err) == 0)
    return 0;
  if (frozen)
    {
      cleanup_error berth_error_t thaw_err = NULL;
      cg_freeze_request (cg, false, &thaw_err); /* do not leave it half frozen */
    }
  return berth_error_ret (err);
}

int
berth_cgroup_is_frozen (const struct berth_cgroup *cg, bool *frozen, berth_error_t *err)
{
  const char *v1 = cg_v1_dir (cg, "freezer"), *v2 = v2_freeze_dir (cg);

  *frozen = false;
  if (v1)
    return v1_state_is (v1, "FROZEN", frozen, err);
  if (v2)
    return v2_frozen_is (v2, true, frozen, err);
  return 0;
}
