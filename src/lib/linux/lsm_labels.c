/* AppArmor and SELinux for the container process: whether each is enabled
 * on the host, and the exec label written to procfs so that the user
 * program's execve enters the configured profile or label.  */
#include "lsm_labels.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "lsm_labels_internal.h"

#define APPARMOR_ENABLED_PATH "/sys/module/apparmor/parameters/enabled"
#define SELINUX_ENFORCE_PATH "/sys/fs/selinux/enforce"

/* -1 until asked; the answer does not change while we run.  */
static int apparmor_enabled = -1;
static int selinux_enabled = -1;

static bool
read_apparmor_enabled (void)
{
  cleanup_close int fd = open (APPARMOR_ENABLED_PATH, O_RDONLY | O_CLOEXEC);
  char c;

  return fd >= 0 && read (fd, &c, 1) == 1 && c == 'Y';
}

bool
berth_lsm_apparmor_enabled (void)
{
  if (apparmor_enabled < 0)
    apparmor_enabled = read_apparmor_enabled ();
  return apparmor_enabled;
}

bool
berth_lsm_selinux_enabled (void)
{
  if (selinux_enabled < 0)
    selinux_enabled = access (SELINUX_ENFORCE_PATH, F_OK) == 0;
  return selinux_enabled;
}

/* The exec attribute of the calling thread: LSM's own directory first
 * (Linux 5.1+, needed when several LSMs are stacked), then the shared
 * file.  */
static int
open_exec_attr (const char *lsm, berth_error_t *err)
{
  char path[64];
  int fd = -1;

  if (lsm)
    {
      snprintf (path, sizeof (path), "/proc/thread-self/attr/%s/exec", lsm);
      fd = open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    }
  if (fd < 0 && (lsm == NULL || errno == ENOENT))
    {
      snprintf (path, sizeof (path), "/proc/thread-self/attr/exec");
      fd = open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    }
  if (fd < 0)
    return berth_error (err, errno, "open `%s`", path);
  return fd;
}

int
berth_lsm_write_exec_attr (const char *lsm, const char *value, berth_error_t *err)
{
  cleanup_close int fd = open_exec_attr (lsm, err);
  size_t len = strlen (value);
  struct statfs sfs;
  ssize_t n;

  if (fd < 0)
    return fd;
  if (fstatfs (fd, &sfs) < 0)
    return berth_error (err, errno, "statfs exec attribute");
  if (sfs.f_type != PROC_SUPER_MAGIC)
    return berth_error (err, EPERM, "exec attribute is not on procfs");
  /* The kernel takes the attribute in one write.  */
  do
    n = write (fd, value, len);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return berth_error (err, errno, "write exec attribute");
  if ((size_t)n != len)
    return berth_error (err, EIO, "short write of exec attribute");
  return 0;
}

static int
set_apparmor_profile (const char *profile, berth_error_t *err)
{
  cleanup_free char *cmd = NULL;

  if (asprintf (&cmd, "exec %s", profile) < 0)
    return berth_error (err, ENOMEM, "apparmor profile");
  if (berth_lsm_write_exec_attr ("apparmor", cmd, err) < 0)
    return berth_error_wrap (err, "apply apparmor profile `%s`", profile);
  return 0;
}

static int
set_selinux_label (const char *label, berth_error_t *err)
{
  if (berth_lsm_write_exec_attr (NULL, label, err) < 0)
    return berth_error_wrap (err, "set selinux label `%s`", label);
  return 0;
}

int
berth_lsm_set_exec_label (const struct berth_process *p, berth_error_t *err)
{
  const char *profile = p->apparmor_profile, *label = p->selinux_label;

  if (profile && *profile && berth_lsm_apparmor_enabled ()
      && set_apparmor_profile (profile, err) < 0)
    return berth_error_ret (err);
  if (label && *label && berth_lsm_selinux_enabled () && set_selinux_label (label, err) < 0)
    return berth_error_ret (err);
  return 0;
}

int
berth_lsm_set_mount_label (const char *mount_label, berth_error_t *err)
{
  /* See lsm_labels.h: SELinux mount labelling is not supported yet.  */
  (void)mount_label;
  (void)err;
  return 0;
}
