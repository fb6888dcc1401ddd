/* Tests for the `run`/`create` flag parser (src/berth/run_options.c): each
 * flag, Docker's syntax variants, and one error naming the flag for bad
 * input.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "engine/signal_names.h"
#include "run_options.h"
#include "util.h"

static char *test_envp[] = { "HOME=/root", "FROM_HOST=hostvalue", NULL };

/* Parse a NULL-terminated list of arguments; fails the test on error.  */
static struct berth_run_request *
parse_ok_v (bool create, const char *const *args)
{
  cleanup_error berth_error_t err = NULL;
  struct berth_run_request *req = NULL;
  int argc = 0;

  while (args[argc])
    argc++;
  if (berth_run_options_parse (argc, (char *const *)args, test_envp, create, &req, &err) < 0)
    fail_msg ("unexpected error: %s", err->msg);
  return req;
}

#define PARSE(...) parse_ok_v (false, (const char *const[]){ __VA_ARGS__, NULL })

/* Parse and expect an error whose message contains NEEDLE.  */
static void
expect_error_v (const char *needle, bool create, const char *const *args)
{
  cleanup_error berth_error_t err = NULL;
  struct berth_run_request *req = NULL;
  int argc = 0;

  while (args[argc])
    argc++;
  if (berth_run_options_parse (argc, (char *const *)args, test_envp, create, &req, &err) == 0)
    {
      berth_run_request_free (req);
      fail_msg ("expected an error containing \"%s\"", needle);
    }
  if (strstr (err->msg, needle) == NULL)
    fail_msg ("error \"%s\" does not contain \"%s\"", err->msg, needle);
  /* One line, for the engine's one error line.  */
  assert_null (strchr (err->msg, '\n'));
}

#define EXPECT_ERROR(needle, ...)                                                                  \
  expect_error_v (needle, false, (const char *const[]){ __VA_ARGS__, NULL })

static void
test_sizes (void **state)
{
  static const struct
  {
    const char *s;
    int64_t v;
  } good[] = {
    { "0", 0 },
    { "100", 100 },
    { "100b", 100 },
    { "512k", 512 << 10 },
    { "512K", 512 << 10 },
    { "64m", 64 << 20 },
    { "64M", 64 << 20 },
    { "64mb", 64 << 20 },
    { "64MiB", 64 << 20 },
    { "1g", 1LL << 30 },
    { "1.5g", 3LL << 29 },
    { "2 g", 2LL << 30 },
    { "1t", 1LL << 40 },
  };
  static const char *const bad[] = { "", "m", "-1", "1.", ".5g", "12q", "1gg", "1x", "1bb" };
  int64_t v;

  for (size_t i = 0; i < sizeof (good) / sizeof (good[0]); i++)
    {
      assert_int_equal (berth_parse_size (good[i].s, &v), 0);
      assert_int_equal (v, good[i].v);
    }
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    if (berth_parse_size (bad[i], &v) == 0)
      fail_msg ("size \"%s\" accepted", bad[i]);
}

static void
test_image_and_command (void **state)
{
  struct berth_run_request *req = PARSE ("-it", "--rm", "img", "sh", "-c", "echo hi", "--rm");

  assert_true (req->interactive);
  assert_true (req->tty);
  assert_true (req->rm);
  assert_false (req->detach);
  assert_string_equal (req->image, "img");
  /* Flags stop at the image: what follows belongs to the command.  */
  assert_int_equal (berth_strv_len (req->command), 4);
  assert_string_equal (req->command[0], "sh");
  assert_string_equal (req->command[3], "--rm");
  assert_int_equal (req->shm_size, 64 << 20);
  assert_int_equal (req->network, BERTH_NETWORK_DEFAULT);
  assert_int_equal (req->seccomp_mode, BERTH_SECCOMP_DEFAULT);
  berth_run_request_free (req);

  req = PARSE ("-d", "--", "-img");
  assert_true (req->detach);
  assert_string_equal (req->image, "-img");
  assert_int_equal (berth_strv_len (req->command), 0);
  berth_run_request_free (req);

  req = PARSE ("--rm=false", "--tty=true", "img");
  assert_false (req->rm);
  assert_true (req->tty);
  berth_run_request_free (req);

  EXPECT_ERROR ("requires at least 1 argument", "-d");
  EXPECT_ERROR ("unknown flag: --frobnicate", "--frobnicate", "img");
  EXPECT_ERROR ("unknown shorthand flag: 'z' in -iz", "-iz", "img");
  EXPECT_ERROR ("--rm: invalid boolean", "--rm=maybe", "img");
  EXPECT_ERROR ("--name: flag needs an argument", "--name");
  /* create has no -d.  */
  expect_error_v ("unknown shorthand flag: 'd'", true, (const char *const[]){ "-d", "img", NULL });
  req = parse_ok_v (true, (const char *const[]){ "-i", "img", NULL });
  assert_true (req->create_only);
  berth_run_request_free (req);
}

static void
test_name (void **state)
{
  struct berth_run_request *req = PARSE ("--name", "web-1.a_b", "img");

  assert_string_equal (req->name, "web-1.a_b");
  berth_run_request_free (req);
  req = PARSE ("--name=/web", "img");
  assert_string_equal (req->name, "web");
  berth_run_request_free (req);
  EXPECT_ERROR ("--name: invalid container name", "--name", "a", "img");
  EXPECT_ERROR ("--name: invalid container name", "--name", "-web", "img");
  EXPECT_ERROR ("--name: invalid container name", "--name", "we/b", "img");
}

static void
test_env (void **state)
{
  cleanup_free char *path = strdup ("/tmp/berth-test-envfile-XXXXXX");
  const char *content = "# comment\n\nA=1\n  B=two words  \nFROM_HOST\nNOT_IN_HOST\nC=\n";
  int fd = mkstemp (path);
  struct berth_run_request *req;

  assert_true (fd >= 0);
  assert_int_equal (write (fd, content, strlen (content)), (ssize_t)strlen (content));
  close (fd);
  req = PARSE ("-e", "X=1", "--env-file", path, "-eY=2", "--env=FROM_HOST", "-e", "MISSING", "img");
  unlink (path);
  /* In order of appearance; bare names take the caller's value or vanish.  */
  assert_int_equal (berth_strv_len (req->env), 7);
  assert_string_equal (req->env[0], "X=1");
  assert_string_equal (req->env[1], "A=1");
  assert_string_equal (req->env[2], "B=two words  ");
  assert_string_equal (req->env[3], "FROM_HOST=hostvalue");
  assert_string_equal (req->env[4], "C=");
  assert_string_equal (req->env[5], "Y=2");
  assert_string_equal (req->env[6], "FROM_HOST=hostvalue");
  berth_run_request_free (req);

  EXPECT_ERROR ("-e: invalid environment variable \"=x\"", "-e", "=x", "img");
  EXPECT_ERROR ("--env-file: ", "--env-file", "/nonexistent/berth-env", "img");
}

static void
test_env_file_bad_name (void **state)
{
  cleanup_free char *path = strdup ("/tmp/berth-test-envfile-XXXXXX");
  const char *content = "GOOD=1\n\nBAD NAME=2\n";
  int fd = mkstemp (path);

  assert_true (fd >= 0);
  assert_int_equal (write (fd, content, strlen (content)), (ssize_t)strlen (content));
  close (fd);
  EXPECT_ERROR ("line 3: variable name \"BAD NAME\" has white space", "--env-file", path, "img");
  unlink (path);
}

static void
test_process_flags (void **state)
{
  struct berth_run_request *req
      = PARSE ("-w", "/srv", "-u", "1000:100", "--hostname", "box", "--entrypoint", "/bin/x", "-l",
               "a=b", "--label", "flag", "--label=c=d=e", "img");

  assert_string_equal (req->workdir, "/srv");
  assert_string_equal (req->user, "1000:100");
  assert_string_equal (req->hostname, "box");
  assert_true (req->has_entrypoint);
  assert_string_equal (req->entrypoint, "/bin/x");
  assert_int_equal (req->labels.n, 3);
  assert_string_equal (req->labels.keys[0], "a");
  assert_string_equal (req->labels.values[0], "b");
  assert_string_equal (req->labels.keys[1], "flag");
  assert_string_equal (req->labels.values[1], "");
  assert_string_equal (req->labels.keys[2], "c");
  assert_string_equal (req->labels.values[2], "d=e");
  berth_run_request_free (req);

  req = PARSE ("--entrypoint=", "img");
  assert_true (req->has_entrypoint);
  assert_string_equal (req->entrypoint, "");
  berth_run_request_free (req);

  EXPECT_ERROR ("-w: the working directory \"srv\" is invalid", "-w", "srv", "img");
  EXPECT_ERROR ("-u: invalid user", "-u", ":5", "img");
  EXPECT_ERROR ("--label: invalid label \"=x\"", "--label", "=x", "img");
  EXPECT_ERROR ("--hostname: invalid hostname", "--hostname", "", "img");
}

static void
test_volumes (void **state)
{
  struct berth_run_request *req
      = PARSE ("-v", "/data1:/data", "-v", "/h:/c:ro,z", "-v", "vol:/v", "-v", "/anon", "-v",
               "/h2:/c2:rw,rshared", "-v", "vol2:/v2:nocopy", "img");
  struct berth_run_mount *m = req->mounts;

  assert_int_equal (req->n_mounts, 6);
  assert_int_equal (m[0].type, BERTH_RUN_MOUNT_BIND);
  assert_string_equal (m[0].source, "/data1");
  assert_string_equal (m[0].target, "/data");
  assert_false (m[0].readonly);
  assert_null (m[0].propagation);
  assert_true (m[1].readonly);
  assert_true (m[1].relabel);
  assert_int_equal (m[2].type, BERTH_RUN_MOUNT_VOLUME);
  assert_string_equal (m[2].source, "vol");
  assert_int_equal (m[3].type, BERTH_RUN_MOUNT_VOLUME);
  assert_null (m[3].source);
  assert_string_equal (m[3].target, "/anon");
  assert_string_equal (m[4].propagation, "rshared");
  assert_false (m[4].readonly);
  assert_true (m[5].nocopy);
  berth_run_request_free (req);

  EXPECT_ERROR ("-v: invalid mount \"re/lative:/x\"", "-v", "re/lative:/x", "img");
  EXPECT_ERROR ("-v: invalid mount \"/h:rel:ro\": the destination must be an absolute path", "-v",
                "/h:rel:ro", "img");
  EXPECT_ERROR ("the destination cannot be \"/\"", "-v", "/h:/", "img");
  EXPECT_ERROR ("unknown option \"bogus\"", "-v", "/h:/c:bogus", "img");
  EXPECT_ERROR ("too many colons", "-v", "/a:/b:ro:x", "img");
  EXPECT_ERROR ("-v: invalid mount", "-v", ":/b", "img");
}

static void
test_mount_flag (void **state)
{
  struct berth_run_request *req
      = PARSE ("--mount", "type=bind,source=/h,target=/c,readonly", "--mount",
               "type=volume,src=myvol,dst=/v,volume-nocopy=true", "--mount",
               "type=tmpfs,destination=/t,tmpfs-size=64m,tmpfs-mode=1770", "--mount",
               "type=bind,src=/a,target=/b,bind-propagation=rslave,ro=false", "--mount",
               "target=/anon", "img");
  struct berth_run_mount *m = req->mounts;

  assert_int_equal (req->n_mounts, 5);
  assert_int_equal (m[0].type, BERTH_RUN_MOUNT_BIND);
  assert_string_equal (m[0].source, "/h");
  assert_string_equal (m[0].target, "/c");
  assert_true (m[0].readonly);
  assert_int_equal (m[1].type, BERTH_RUN_MOUNT_VOLUME);
  assert_string_equal (m[1].source, "myvol");
  assert_true (m[1].nocopy);
  assert_int_equal (m[2].type, BERTH_RUN_MOUNT_TMPFS);
  assert_string_equal (m[2].tmpfs_options, "size=67108864,mode=1770");
  assert_string_equal (m[3].propagation, "rslave");
  assert_false (m[3].readonly);
  assert_int_equal (m[4].type, BERTH_RUN_MOUNT_VOLUME);
  assert_null (m[4].source);
  berth_run_request_free (req);

  EXPECT_ERROR ("--mount: invalid mount type \"nfs\"", "--mount", "type=nfs,target=/x", "img");
  EXPECT_ERROR ("type=bind needs a source", "--mount", "type=bind,target=/x", "img");
  EXPECT_ERROR ("a bind source must be an absolute path", "--mount",
                "type=bind,source=rel,target=/x", "img");
  EXPECT_ERROR ("target is required", "--mount", "type=tmpfs", "img");
  EXPECT_ERROR ("unknown field \"colour\"", "--mount", "target=/x,colour=red", "img");
  EXPECT_ERROR ("tmpfs options need type=tmpfs", "--mount", "type=bind,src=/a,dst=/b,tmpfs-size=1m",
                "img");
  EXPECT_ERROR ("--mount: invalid size", "--mount", "type=tmpfs,dst=/b,tmpfs-size=lots", "img");
  EXPECT_ERROR ("invalid tmpfs-mode", "--mount", "type=tmpfs,dst=/b,tmpfs-mode=999", "img");
  EXPECT_ERROR ("must be a key=value pair", "--mount", "type=tmpfs,dst=/b,junk", "img");
}

static void
test_tmpfs_and_read_only (void **state)
{
  struct berth_run_request *req
      = PARSE ("--read-only", "--tmpfs", "/run:size=64m,exec", "--tmpfs", "/tmp", "img");

  assert_true (req->read_only);
  assert_int_equal (req->n_mounts, 2);
  assert_int_equal (req->mounts[0].type, BERTH_RUN_MOUNT_TMPFS);
  assert_string_equal (req->mounts[0].target, "/run");
  assert_string_equal (req->mounts[0].tmpfs_options, "size=64m,exec");
  assert_null (req->mounts[1].tmpfs_options);
  berth_run_request_free (req);
  EXPECT_ERROR ("--tmpfs: invalid mount \"run\"", "--tmpfs", "run", "img");
}

static void
test_memory (void **state)
{
  struct berth_run_request *req
      = PARSE ("-m", "64m", "--memory-swap", "128m", "--memory-reservation", "32m", "img");

  assert_true (req->has_memory);
  assert_int_equal (req->memory, 64 << 20);
  assert_true (req->has_memory_swap);
  assert_int_equal (req->memory_swap, 128 << 20);
  assert_int_equal (req->memory_reservation, 32 << 20);
  berth_run_request_free (req);

  req = PARSE ("-m64m", "--memory-swap=-1", "img");
  assert_int_equal (req->memory, 64 << 20);
  assert_int_equal (req->memory_swap, -1);
  berth_run_request_free (req);

  req = PARSE ("--memory=1.5g", "img");
  assert_int_equal (req->memory, 3LL << 29);
  assert_false (req->has_memory_swap);
  berth_run_request_free (req);

  EXPECT_ERROR ("-m: invalid size \"12q\"", "-m", "12q", "img");
  EXPECT_ERROR ("--memory: minimum memory limit allowed is 6MB", "--memory", "1m", "img");
  EXPECT_ERROR ("--memory-swap: set a memory limit", "--memory-swap", "1g", "img");
  EXPECT_ERROR ("--memory-swap: memory+swap must be at least the memory limit", "-m", "1g",
                "--memory-swap", "512m", "img");
  EXPECT_ERROR ("--memory-reservation: the reservation must be smaller", "-m", "64m",
                "--memory-reservation", "128m", "img");
}

static void
test_cpu_and_pids (void **state)
{
  struct berth_run_request *req = PARSE ("--cpus", "0.2", "--cpu-shares", "512", "--cpuset-cpus",
                                         "0-1,3", "--pids-limit", "100", "img");

  assert_true (req->has_cpus);
  assert_int_equal (req->cpu_quota, 20000);
  assert_int_equal (req->cpu_period, 100000);
  assert_true (req->has_cpu_shares);
  assert_int_equal (req->cpu_shares, 512);
  assert_string_equal (req->cpuset_cpus, "0-1,3");
  assert_true (req->has_pids_limit);
  assert_int_equal (req->pids_limit, 100);
  berth_run_request_free (req);

  req = PARSE ("--cpus=1.5", "-c", "2", "--pids-limit=-1", "img");
  assert_int_equal (req->cpu_quota, 150000);
  assert_int_equal (req->cpu_shares, 2);
  assert_int_equal (req->pids_limit, -1);
  berth_run_request_free (req);

  EXPECT_ERROR ("--cpus: invalid number \"lots\"", "--cpus", "lots", "img");
  EXPECT_ERROR ("--cpus: range of CPUs is from 0.01", "--cpus", "100000", "img");
  EXPECT_ERROR ("--cpus: invalid number \"-1\"", "--cpus", "-1", "img");
  EXPECT_ERROR ("--cpu-shares: invalid number", "--cpu-shares", "x", "img");
  EXPECT_ERROR ("--cpuset-cpus: invalid CPU list \"3-1\"", "--cpuset-cpus", "3-1", "img");
  EXPECT_ERROR ("--cpuset-cpus: invalid CPU list", "--cpuset-cpus", "0,,1", "img");
  EXPECT_ERROR ("--pids-limit: -5 is out of range", "--pids-limit", "-5", "img");
}

static void
test_ulimit_and_oom (void **state)
{
  struct berth_run_request *req
      = PARSE ("--ulimit", "nofile=1024:2048", "--ulimit", "NPROC=50", "--ulimit", "nofile=4096",
               "--ulimit", "core=-1", "--oom-score-adj", "-500", "img");

  assert_int_equal (req->n_ulimits, 3);
  assert_string_equal (req->ulimits[0].name, "nofile");
  /* the later --ulimit nofile wins */
  assert_int_equal (req->ulimits[0].soft, 4096);
  assert_int_equal (req->ulimits[0].hard, 4096);
  assert_string_equal (req->ulimits[1].name, "nproc");
  assert_int_equal (req->ulimits[1].soft, 50);
  assert_int_equal (req->ulimits[2].soft, -1);
  assert_true (req->has_oom_score_adj);
  assert_int_equal (req->oom_score_adj, -500);
  berth_run_request_free (req);

  EXPECT_ERROR ("--ulimit: invalid ulimit \"bogus=1\": unknown limit", "--ulimit", "bogus=1",
                "img");
  EXPECT_ERROR ("soft limit must not exceed the hard limit", "--ulimit", "nofile=10:5", "img");
  EXPECT_ERROR ("expected NAME=SOFT[:HARD]", "--ulimit", "nofile", "img");
  EXPECT_ERROR ("bad soft limit", "--ulimit", "nofile=x", "img");
  EXPECT_ERROR ("--oom-score-adj: 1001 is out of range [-1000, 1000]", "--oom-score-adj", "1001",
                "img");
}

static void
test_security (void **state)
{
  struct berth_run_request *req = PARSE (
      "--cap-add", "net_admin", "--cap-add=CAP_SYS_TIME", "--cap-drop", "all", "--privileged",
      "--security-opt", "no-new-privileges", "--security-opt", "seccomp=unconfined", "img");

  assert_int_equal (berth_strv_len (req->cap_add), 2);
  assert_string_equal (req->cap_add[0], "CAP_NET_ADMIN");
  assert_string_equal (req->cap_add[1], "CAP_SYS_TIME");
  assert_string_equal (req->cap_drop[0], "ALL");
  assert_true (req->privileged);
  assert_true (req->no_new_privileges);
  assert_int_equal (req->seccomp_mode, BERTH_SECCOMP_UNCONFINED);
  berth_run_request_free (req);

  req = PARSE ("--security-opt", "seccomp=/etc/profile.json", "--security-opt",
               "no-new-privileges:false", "img");
  assert_int_equal (req->seccomp_mode, BERTH_SECCOMP_FILE);
  assert_string_equal (req->seccomp_file, "/etc/profile.json");
  assert_false (req->no_new_privileges);
  berth_run_request_free (req);

  EXPECT_ERROR ("--cap-add: unknown capability \"FLY\"", "--cap-add", "FLY", "img");
  EXPECT_ERROR ("--cap-drop: unknown capability", "--cap-drop", "CAP_", "img");
  EXPECT_ERROR ("--security-opt: unsupported option \"apparmor=x\"", "--security-opt", "apparmor=x",
                "img");
  EXPECT_ERROR ("--security-opt: seccomp needs a value", "--security-opt", "seccomp=", "img");
}

static void
test_devices_and_shm (void **state)
{
  struct berth_run_request *req
      = PARSE ("--device", "/dev/fuse", "--device", "/dev/sda:/dev/xvda:r", "--device",
               "/dev/null:rw", "--shm-size", "128m", "img");

  assert_int_equal (req->n_devices, 3);
  assert_string_equal (req->devices[0].host_path, "/dev/fuse");
  assert_string_equal (req->devices[0].container_path, "/dev/fuse");
  assert_string_equal (req->devices[0].permissions, "rwm");
  assert_string_equal (req->devices[1].container_path, "/dev/xvda");
  assert_string_equal (req->devices[1].permissions, "r");
  assert_string_equal (req->devices[2].container_path, "/dev/null");
  assert_string_equal (req->devices[2].permissions, "rw");
  assert_int_equal (req->shm_size, 128 << 20);
  berth_run_request_free (req);

  EXPECT_ERROR ("--device: invalid device \"dev/fuse\": paths must be absolute", "--device",
                "dev/fuse", "img");
  EXPECT_ERROR ("bad permissions \"rwx\"", "--device", "/dev/a:/dev/b:rwx", "img");
  EXPECT_ERROR ("--shm-size: invalid size", "--shm-size", "big", "img");
  EXPECT_ERROR ("--shm-size: the size must be greater than 0", "--shm-size", "0", "img");
}

static void
test_network_flags (void **state)
{
  struct berth_run_request *req = PARSE (
      "--network", "container:web", "--ip", "10.1.2.3", "--ip6", "fd00::5", "--mac-address",
      "02:aa:bb:cc:dd:ee", "--network-alias", "db", "--net-alias", "db2", "--dns", "10.0.0.53",
      "--dns-search", "x.test", "--dns-option", "ndots:2", "--add-host", "h:10.9.9.9", "-P", "img");

  (void)state;
  assert_int_equal (req->network, BERTH_NETWORK_CONTAINER);
  assert_string_equal (req->network_name, "web");
  assert_string_equal (req->ip, "10.1.2.3");
  assert_string_equal (req->ip6, "fd00::5");
  assert_string_equal (req->mac_address, "02:aa:bb:cc:dd:ee");
  assert_string_equal (req->aliases[1], "db2");
  assert_string_equal (req->dns[0], "10.0.0.53");
  assert_string_equal (req->dns_search[0], "x.test");
  assert_string_equal (req->dns_options[0], "ndots:2");
  assert_string_equal (req->add_hosts[0], "h:10.9.9.9");
  assert_true (req->publish_all);
  berth_run_request_free (req);

  EXPECT_ERROR ("invalid IPv4 address \"10.1\"", "--ip", "10.1", "img");
  EXPECT_ERROR ("invalid MAC address", "--mac-address", "03:00:00:00:00:01", "img");
  EXPECT_ERROR ("invalid DNS server", "--dns", "dns.example", "img");
  EXPECT_ERROR ("invalid --add-host", "--add-host", "nocolon", "img");
}

static void
test_lifecycle_flags (void **state)
{
  struct berth_run_request *req = PARSE (
      "-d", "--init", "--restart", "on-failure:3", "--stop-signal", "SIGUSR1", "--stop-timeout",
      "20", "--network", "none", "-p", "8080:80", "-p", "127.0.0.1:53:53/udp", "img");

  assert_true (req->init);
  assert_int_equal (req->restart, BERTH_RESTART_ON_FAILURE);
  assert_int_equal (req->restart_max_retries, 3);
  assert_int_equal (req->stop_signal, SIGUSR1);
  assert_true (req->has_stop_timeout);
  assert_int_equal (req->stop_timeout, 20);
  assert_int_equal (req->network, BERTH_NETWORK_NONE);
  assert_int_equal (berth_strv_len (req->publish), 2);
  assert_string_equal (req->publish[1], "127.0.0.1:53:53/udp");
  berth_run_request_free (req);

  req = PARSE ("--restart=unless-stopped", "--stop-signal", "9", "--network", "host", "img");
  assert_int_equal (req->restart, BERTH_RESTART_UNLESS_STOPPED);
  assert_int_equal (req->stop_signal, SIGKILL);
  assert_int_equal (req->network, BERTH_NETWORK_HOST);
  berth_run_request_free (req);

  req = PARSE ("--restart", "always", "--stop-signal", "term", "--network", "mynet", "img");
  assert_int_equal (req->restart, BERTH_RESTART_ALWAYS);
  assert_int_equal (req->stop_signal, SIGTERM);
  assert_int_equal (req->network, BERTH_NETWORK_NAMED);
  assert_string_equal (req->network_name, "mynet");
  berth_run_request_free (req);

  req = PARSE ("--restart", "no", "--rm", "--stop-signal", "RTMIN+2", "img");
  assert_int_equal (req->restart, BERTH_RESTART_NO);
  assert_int_equal (req->stop_signal, SIGRTMIN + 2);
  berth_run_request_free (req);

  EXPECT_ERROR ("--restart: invalid restart policy \"sometimes\"", "--restart", "sometimes", "img");
  EXPECT_ERROR ("--restart: a maximum retry count needs on-failure", "--restart", "always:3",
                "img");
  EXPECT_ERROR ("--restart: invalid maximum retry count", "--restart", "on-failure:x", "img");
  EXPECT_ERROR ("--restart: conflicts with --rm", "--rm", "--restart", "always", "img");
  EXPECT_ERROR ("--stop-signal: invalid signal \"SIGFOO\"", "--stop-signal", "SIGFOO", "img");
  EXPECT_ERROR ("--stop-signal: invalid signal \"99\"", "--stop-signal", "99", "img");
  EXPECT_ERROR ("--stop-timeout: invalid number", "--stop-timeout", "soon", "img");
  EXPECT_ERROR ("--network: invalid network \"a b\"", "--network", "a b", "img");
  EXPECT_ERROR ("-p: empty port mapping", "-p", "", "img");
}

static void
test_signal_names (void **state)
{
  char buf[16];

  assert_int_equal (berth_signal_from_name ("SIGTERM"), SIGTERM);
  assert_int_equal (berth_signal_from_name ("hup"), SIGHUP);
  assert_int_equal (berth_signal_from_name ("SIGRTMAX-1"), SIGRTMAX - 1);
  assert_int_equal (berth_signal_from_name ("0"), -1);
  assert_int_equal (berth_signal_from_name ("SIGRTMIN+99"), -1);
  assert_string_equal (berth_signal_name (SIGKILL, buf), "SIGKILL");
  assert_string_equal (berth_signal_name (SIGRTMIN + 3, buf), "SIGRTMIN+3");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_sizes),
    cmocka_unit_test (test_image_and_command),
    cmocka_unit_test (test_name),
    cmocka_unit_test (test_env),
    cmocka_unit_test (test_env_file_bad_name),
    cmocka_unit_test (test_process_flags),
    cmocka_unit_test (test_volumes),
    cmocka_unit_test (test_mount_flag),
    cmocka_unit_test (test_tmpfs_and_read_only),
    cmocka_unit_test (test_memory),
    cmocka_unit_test (test_cpu_and_pids),
    cmocka_unit_test (test_ulimit_and_oom),
    cmocka_unit_test (test_security),
    cmocka_unit_test (test_devices_and_shm),
    cmocka_unit_test (test_lifecycle_flags),
    cmocka_unit_test (test_network_flags),
    cmocka_unit_test (test_signal_names),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
