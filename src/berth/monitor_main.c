/* berth-monitor: the monitor of one detached container, as a program of
 * its own: statically linked, with libberth and the engine's record store
 * but none of the image store's libraries (libarchive, libcrypto and what
 * they pull in), so that what sits beside every container for its whole
 * life stays small.  `berth` starts it (berth_engine_start_detached) as
 *
 *   berth-monitor --root ROOT --runroot RUNROOT monitor ID    (fd 3: report)
 *
 * and falls back to its own hidden `berth monitor` role (the same code)
 * when it is not installed beside it.  */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "engine/container.h"
#include "linux/sealed_exe.h"

extern char **environ;

int
main (int argc, char **argv)
{
  const char *root = BERTH_IMAGE_DEFAULT_ROOT, *runroot = BERTH_ENGINE_DEFAULT_RUNROOT;
  struct berth_engine *e = NULL;
  berth_error_t err = NULL;
  int i, status;

  /* First, before any fd is opened: the container's init is cloned from
   * us, so we run from a sealed copy of the binary (CVE-2019-5736).  */
  if (berth_ensure_sealed_exe (argc, argv, environ) < 0)
    {
      dprintf (3, "125 berth-monitor: cannot run from a sealed copy of the binary\n");
      return 125;
    }
  prctl (PR_SET_NAME, "berth-monitor", 0, 0, 0);
  /* The `run -d` waiting on fd 3 may be gone (killed): its report is then
   * lost, the container is not.  */
  signal (SIGPIPE, SIG_IGN);
  for (i = 1; i + 1 < argc && argv[i][0] == '-'; i += 2)
    if (strcmp (argv[i], "--root") == 0)
      root = argv[i + 1];
    else if (strcmp (argv[i], "--runroot") == 0)
      runroot = argv[i + 1];
    else
      break;
  if (argc - i != 2 || strcmp (argv[i], "monitor") != 0)
    {
      dprintf (3, "125 berth-monitor: usage: berth-monitor --root DIR --runroot DIR monitor ID\n");
      return 125;
    }
  if (berth_engine_open (root, runroot, NULL, &e, &err) < 0)
    {
      dprintf (3, "125 %s\n", err->msg);
      return 125;
    }
  berth_engine_monitor (e, argv[i + 1], 3, false, &status, &err);
  berth_error_release (&err);
  if (berth_engine_monitor_handoff (e, argv[i + 1]))
    {
      /* A --rm container with a network: berth, which links lib/net,
       * removes it (and its veth, lease, namespace, rules).  */
      const char *dir = getenv (BERTH_EXE_DIR_ENV);
      char berth[4096];
      snprintf (berth, sizeof (berth), "%s/berth", dir ? dir : "/usr/bin");
      berth_engine_close (e);
      close (3);
      {
        int fd = open ("/dev/null", O_RDWR);
        if (fd >= 0)
          {
            dup2 (fd, 0), dup2 (fd, 1), dup2 (fd, 2);
            if (fd > 2)
              close (fd);
          }
      }
      execl (berth, "berth", "--root", root, "--runroot", runroot, "rm", "-f", argv[i + 1],
             (char *)NULL);
      return 0;
    }
  berth_engine_close (e);
  return 0;
}
