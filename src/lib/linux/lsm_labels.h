/* Linux security modules for the container process: the AppArmor profile
 * (process.apparmorProfile) and SELinux label (process.selinuxLabel) it
 * runs under after execve, and linux.mountLabel.
 *
 * A label for an LSM the host does not run is ignored, as crun does, so a
 * config written for an AppArmor or SELinux host still runs elsewhere.
 * (runc refuses a selinuxLabel when SELinux is disabled, and fails to write
 * an AppArmor profile when AppArmor is absent.)  */
#ifndef BERTH_LSM_LABELS_H
#define BERTH_LSM_LABELS_H

#include <stdbool.h>

#include "error.h"
#include "oci/spec.h"

/* /sys/module/apparmor/parameters/enabled reads "Y".  The answer is cached
 * for the life of the process (and its clones): ask first on the host side,
 * before the container's /sys replaces the host's.  */
bool berth_lsm_apparmor_enabled (void);

/* /sys/fs/selinux/enforce exists (selinuxfs mounted: SELinux is active).
 * Cached like berth_lsm_apparmor_enabled.  */
bool berth_lsm_selinux_enabled (void);

/* Arrange for the next execve to enter P's AppArmor profile ("exec NAME"
 * to /proc/thread-self/attr/apparmor/exec, or attr/exec on kernels without
 * the per-LSM directory) and SELinux label (to attr/exec).  Unset or empty
 * values, and LSMs that are not enabled, are skipped.  The attr file must
 * be on procfs (a /proc mounted over by the container config would
 * otherwise swallow the write, CVE-2019-16884).
 *
 * Call it in the container init as the last step before execve of the user
 * program, after the startContainer hooks: the label is inherited across
 * fork, so set earlier it would also apply to hook processes the init
 * starts.  The write must be allowed by the seccomp profile when the filter
 * is already in (noNewPrivileges false, see linux/seccomp_filter.h).  */
int berth_lsm_set_exec_label (const struct berth_process *p, berth_error_t *err);

/* linux.mountLabel: accepted and not applied.  Applying it means a
 * context= option on the tmpfs/mqueue/devpts mounts and an fscreate label
 * while mounting, which only matters on SELinux hosts; berth does not
 * support SELinux mount labelling yet.  Returns 0.  */
int berth_lsm_set_mount_label (const char *mount_label, berth_error_t *err);

#endif
