/* CVE-2019-5736 protection: the runtime re-executes itself from a copy of
 * its binary that cannot be written, so no container process can reach the
 * host binary through /proc/<pid>/exe (the container init is a clone of
 * `create`, and a user program "#!/proc/self/exe" would run it again).
 *
 * Two ways to get such a copy, tried in this order:
 *   overlay  a private, detached overlayfs mount whose only layers are the
 *            binary's directory and /sys (lower-only overlays are read-only
 *            for good: no upper layer to write to, no mount to remount).
 *            Zero copy, as runc >= 1.2 does; needs CAP_SYS_ADMIN.  Opening
 *            /proc/self/exe for writing then fails with EROFS.
 *   memfd    a copy in a memfd sealed with F_SEAL_SEAL, SHRINK, GROW and
 *            WRITE (runc's cloned_binary; works for rootless too).
 *
 * Cost on the development VM (static 1.1 MB binary; medians of 250 runs
 * of `run` of /bin/true, interleaved): no protection 5.8 ms, overlay
 * 6.9 ms, memfd 8.0 ms (crun 20.1 ms).  Alone (`--version`, hyperfine -N):
 * +0.7 ms overlay, +1.2 ms memfd; the second execve is most of it, the
 * memfd copy ~0.5 ms, the overlay mount ~0.2 ms.  A /proc/self/exe that is
 * already a sealed memfd (a binary bind-mounted from one, as with
 * runc-memfd-bind) is recognised for one open and one fcntl.
 *
 * Call it first thing in main(), before any fd is opened, and only for the
 * commands that start runtime code in a container (create, run, exec): the
 * others never enter a container.  */
#ifndef BERTH_SEALED_EXE_H
#define BERTH_SEALED_EXE_H

enum berth_exe_seal
{
  BERTH_EXE_SEAL_AUTO,    /* overlay, else memfd */
  BERTH_EXE_SEAL_OVERLAY, /* only overlay (tests) */
  BERTH_EXE_SEAL_MEMFD,   /* only memfd (tests) */
};

/* Return 0 when /proc/self/exe is already a sealed copy; otherwise make one
 * and execveat() it with ARGV and ENVP, which does not return.  Returns a
 * negative errno when no copy could be made or executed: the caller should
 * refuse to go on.  After the overlay re-exec, the environment variable
 * that marks it (_BERTH_SEALED_EXE) is removed again.  */
int berth_ensure_sealed_exe (int argc, char **argv, char **envp);

/* The same with a chosen method.  */
int berth_ensure_sealed_exe_with (enum berth_exe_seal method, int argc, char **argv, char **envp);

#endif
