/* Tests for lib/net's pure parts and its stores: addresses and prefixes,
 * the IPAM's choice and its leases under concurrency, network definitions
 * and their checks, Docker's -p syntax, and resolv.conf for a container.
 * Stores live in a temporary root; nothing here makes a link.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "net/net.h"
#include "net/netlink.h"
#include "util.h"

struct fixture
{
  char dir[64];
  char root[96], runroot[96];
  struct berth_net_host h;
};

static int
setup (void **state)
{
  struct fixture *f = calloc (1, sizeof (*f));
  strcpy (f->dir, "/tmp/berth-test-net.XXXXXX");
  if (mkdtemp (f->dir) == NULL)
    return -1;
  snprintf (f->root, sizeof (f->root), "%s/root", f->dir);
  snprintf (f->runroot, sizeof (f->runroot), "%s/run", f->dir);
  memset (&f->h, 0, sizeof (f->h));
  f->h.root = f->root;
  f->h.runroot = f->runroot;
  f->h.default_bridge = "btunit0";
  f->h.default_subnet = "10.251.7.0/24";
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  struct fixture *f = *state;
  berth_remove_tree (f->dir, NULL);
  free (f);
  return 0;
}

static void
test_cidr (void **state)
{
  struct berth_cidr c, ip;
  berth_error_t err = NULL;
  char buf[64];

  (void)state;
  assert_int_equal (berth_cidr_parse ("10.1.2.3/16", &c, &err), 0);
  berth_cidr_format (&c, true, buf);
  assert_string_equal (buf, "10.1.0.0/16");
  assert_int_equal (berth_ip_parse ("10.1.255.7", 0, &ip), 0);
  assert_true (berth_cidr_contains (&c, &ip));
  assert_int_equal (berth_ip_parse ("10.2.0.1", 0, &ip), 0);
  assert_false (berth_cidr_contains (&c, &ip));
  assert_int_equal (berth_cidr_parse ("fd00:1:2::5/64", &c, &err), 0);
  berth_cidr_format (&c, true, buf);
  assert_string_equal (buf, "fd00:1:2::/64");
  assert_true (berth_cidr_parse ("10.1.2.3/33", &c, &err) < 0);
  assert_string_equal (err->msg, "invalid subnet `10.1.2.3/33`: bad prefix length");
  assert_int_equal (err->status, EINVAL);
  berth_error_release (&err);
  assert_true (berth_cidr_parse ("10.1.2.3", &c, &err) < 0);
  berth_error_release (&err);
  assert_true (berth_cidr_parse ("x/8", &c, &err) < 0);
  berth_error_release (&err);
  assert_true (berth_ip_parse ("10.1", 0, &ip) < 0);
}

static bool
taken_set (const char *ip, void *data)
{
  for (const char **t = data; *t; t++)
    if (strcmp (*t, ip) == 0)
      return true;
  return false;
}

static void
test_pick (void **state)
{
  struct berth_cidr s, r, gw, out;
  berth_error_t err = NULL;
  const char *taken[] = { "10.0.0.2", "10.0.0.3", NULL };
  const char *none[] = { NULL };
  char buf[64];

  (void)state;
  berth_cidr_parse ("10.0.0.0/29", &s, NULL);
  berth_ip_parse ("10.0.0.1", 0, &gw);
  /* .0 (network) and .1 (gateway) are skipped, and the taken ones */
  assert_int_equal (berth_ipam_pick (&s, NULL, &gw, taken_set, taken, &out, &err), 0);
  berth_cidr_format (&out, false, buf);
  assert_string_equal (buf, "10.0.0.4");
  /* the broadcast (.7) is never given: .2-.6 taken leaves nothing */
  {
    const char *full[] = { "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6", NULL };
    assert_true (berth_ipam_pick (&s, NULL, &gw, taken_set, full, &out, &err) < 0);
    assert_int_equal (err->status, ENOSPC);
    berth_error_release (&err);
  }
  /* a range inside the subnet */
  berth_cidr_parse ("10.0.0.0/24", &s, NULL);
  berth_cidr_parse ("10.0.0.128/25", &r, NULL);
  assert_int_equal (berth_ipam_pick (&s, &r, &gw, taken_set, none, &out, &err), 0);
  berth_cidr_format (&out, false, buf);
  assert_string_equal (buf, "10.0.0.128");
  /* a gateway elsewhere than .1: .1 is a host then */
  berth_ip_parse ("10.0.0.254", 0, &gw);
  assert_int_equal (berth_ipam_pick (&s, NULL, &gw, taken_set, none, &out, &err), 0);
  berth_cidr_format (&out, false, buf);
  assert_string_equal (buf, "10.0.0.1");
  /* IPv6 */
  berth_cidr_parse ("fd00:aa::/64", &s, NULL);
  berth_ip_parse ("fd00:aa::1", 0, &gw);
  assert_int_equal (berth_ipam_pick (&s, NULL, &gw, taken_set, none, &out, &err), 0);
  berth_cidr_format (&out, false, buf);
  assert_string_equal (buf, "fd00:aa::2");
}

static struct berth_network *
make_net (struct fixture *f, const char *name, const char *subnet, const char *ip_range)
{
  struct berth_network_create c = { .name = name, .subnet = subnet, .ip_range = ip_range };
  struct berth_network *n = NULL;
  berth_error_t err = NULL;
  int r = berth_network_create (&f->h, &c, &n, &err);
  if (r < 0)
    fail_msg ("create %s: %s", name, err->msg);
  return n;
}

static void
test_lease_release (void **state)
{
  struct fixture *f = *state;
  struct berth_network *n = make_net (f, "n1", "10.251.8.0/24", NULL);
  berth_error_t err = NULL;
  char a[64], b[64], c[64], six[64];
  cleanup_strv char **owners = NULL;

  assert_int_equal (berth_ipam_lease (&f->h, n, "o1", NULL, NULL, NULL, a, six, &err), 0);
  assert_string_equal (a, "10.251.8.2");
  assert_string_equal (six, "");
  assert_int_equal (berth_ipam_lease (&f->h, n, "o2", NULL, "10.251.8.9", NULL, b, NULL, &err), 0);
  assert_string_equal (b, "10.251.8.9");
  /* taken, the gateway, the network, the broadcast, outside */
  assert_true (berth_ipam_lease (&f->h, n, "o3", NULL, "10.251.8.9", NULL, c, NULL, &err) < 0);
  assert_string_equal (err->msg, "address 10.251.8.9 is already in use");
  berth_error_release (&err);
  assert_true (berth_ipam_lease (&f->h, n, "o3", NULL, "10.251.8.1", NULL, c, NULL, &err) < 0);
  berth_error_release (&err);
  assert_true (berth_ipam_lease (&f->h, n, "o3", NULL, "10.251.8.0", NULL, c, NULL, &err) < 0);
  berth_error_release (&err);
  assert_true (berth_ipam_lease (&f->h, n, "o3", NULL, "10.251.8.255", NULL, c, NULL, &err) < 0);
  berth_error_release (&err);
  assert_true (berth_ipam_lease (&f->h, n, "o3", NULL, "10.9.9.9", NULL, c, NULL, &err) < 0);
  assert_string_equal (err->msg, "address 10.9.9.9 is not in the network's subnet 10.251.8.0/24");
  berth_error_release (&err);
  assert_int_equal (berth_ipam_owners (&f->h, "n1", &owners, &err), 0);
  assert_int_equal (berth_strv_len (owners), 2);
  /* released addresses come back */
  assert_int_equal (berth_ipam_release (&f->h, "n1", "o1", &err), 0);
  assert_int_equal (berth_ipam_lease (&f->h, n, "o3", NULL, NULL, NULL, c, NULL, &err), 0);
  assert_string_equal (c, "10.251.8.2");
  /* releasing an owner without a lease is fine */
  assert_int_equal (berth_ipam_release (&f->h, "n1", "nobody", &err), 0);
  berth_network_free (n);
}

static void
test_concurrent_leases (void **state)
{
  struct fixture *f = *state;
  struct berth_network *n = make_net (f, "par", "10.251.9.0/24", NULL);
  json_t *leases = NULL;
  enum
  {
    N = 40
  };
  pid_t pids[N];

  for (int i = 0; i < N; i++)
    {
      pids[i] = fork ();
      if (pids[i] == 0)
        {
          char owner[16], a[64];
          berth_error_t err = NULL;
          snprintf (owner, sizeof (owner), "owner%d", i);
          _exit (berth_ipam_lease (&f->h, n, owner, NULL, NULL, NULL, a, NULL, &err) < 0);
        }
    }
  for (int i = 0; i < N; i++)
    {
      int st;
      waitpid (pids[i], &st, 0);
      assert_true (WIFEXITED (st) && WEXITSTATUS (st) == 0);
    }
  /* one address per owner: none given twice (the leases are keyed by it) */
  assert_int_equal (berth_ipam_entries (&f->h, "par", &leases, NULL), 0);
  assert_int_equal (json_object_size (leases), N);
  json_decref (leases);
  berth_network_free (n);
}

static void
test_network_checks (void **state)
{
  struct fixture *f = *state;
  struct berth_network *n = NULL, *g = NULL;
  berth_error_t err = NULL;
  struct berth_network_create c = { 0 };
  char *opts[] = { "mtu=1400", "com.docker.network.bridge.name=btunit1", NULL };
  char *bad_mtu[] = { "mtu=20", NULL };

  c.name = "good";
  c.subnet = "10.251.10.0/24";
  c.gateway = "10.251.10.254";
  c.ip_range = "10.251.10.64/26";
  c.internal = true;
  c.options = opts;
  assert_int_equal (berth_network_create (&f->h, &c, &n, &err), 0);
  assert_string_equal (n->bridge, "btunit1");
  assert_int_equal (n->mtu, 1400);
  assert_true (n->internal);
  assert_string_equal (n->gateway4, "10.251.10.254");
  /* read back, by name and by ID prefix */
  assert_int_equal (berth_network_get (&f->h, "good", &g, &err), 0);
  assert_string_equal (g->ip_range4, "10.251.10.64/26");
  berth_network_free (g);
  {
    char prefix[8];
    snprintf (prefix, sizeof (prefix), "%.6s", n->id);
    assert_int_equal (berth_network_get (&f->h, prefix, &g, &err), 0);
    assert_string_equal (g->name, "good");
    berth_network_free (g);
  }
  /* the same name, an overlapping subnet, the same bridge */
  assert_true (berth_network_create (&f->h, &c, &g, &err) < 0);
  assert_string_equal (err->msg, "network with name good already exists");
  berth_error_release (&err);
  c.name = "other";
  c.options = NULL;
  c.ip_range = NULL;
  c.gateway = NULL;
  c.subnet = "10.251.0.0/16";
  assert_true (berth_network_create (&f->h, &c, &g, &err) < 0);
  assert_string_equal (err->msg, "subnet 10.251.0.0/16 overlaps with network good");
  berth_error_release (&err);
  c.subnet = "10.251.11.0/24";
  c.gateway = "10.251.12.1";
  assert_true (berth_network_create (&f->h, &c, &g, &err) < 0);
  berth_error_release (&err);
  c.gateway = NULL;
  c.options = bad_mtu;
  assert_true (berth_network_create (&f->h, &c, &g, &err) < 0);
  assert_string_equal (err->msg, "invalid mtu `20`: 68 to 65535");
  berth_error_release (&err);
  c.options = NULL;
  c.subnet = "fd00::/64";
  assert_true (berth_network_create (&f->h, &c, &g, &err) < 0);
  assert_string_equal (err->msg, "invalid subnet `fd00::/64`: IPv6 needs --ipv6");
  berth_error_release (&err);
  c.ipv6 = true;
  c.subnet = "10.251.11.0/24";
  c.subnet6 = "fd00:251::/64";
  assert_int_equal (berth_network_create (&f->h, &c, &g, &err), 0);
  assert_string_equal (g->gateway6, "fd00:251::1");
  berth_network_free (g);
  /* none and host are not names a network can take; unknown ones fail */
  c.name = "host";
  assert_true (berth_network_create (&f->h, &c, &g, &err) < 0);
  berth_error_release (&err);
  assert_true (berth_network_get (&f->h, "nosuch", &g, &err) < 0);
  assert_string_equal (err->msg, "network nosuch not found");
  assert_int_equal (err->status, ENOENT);
  berth_error_release (&err);
  /* the default network comes from the host settings */
  assert_int_equal (berth_network_get (&f->h, "bridge", &g, &err), 0);
  assert_string_equal (g->bridge, "btunit0");
  assert_string_equal (g->subnet4, "10.251.7.0/24");
  assert_string_equal (g->gateway4, "10.251.7.1");
  berth_network_free (g);
  assert_true (berth_network_remove (&f->h, "bridge", false, &err) < 0);
  berth_error_release (&err);
  assert_true (berth_network_remove (&f->h, "good", true, &err) < 0);
  assert_int_equal (err->status, EBUSY);
  berth_error_release (&err);
  berth_network_free (n);
}

static void
test_ports (void **state)
{
  struct berth_fw_port *p = NULL;
  size_t n = 0;
  berth_error_t err = NULL;

  (void)state;
  assert_int_equal (berth_port_parse ("8080:80", &p, &n, &err), 0);
  assert_int_equal (berth_port_parse ("127.0.0.1:53:53/udp", &p, &n, &err), 0);
  assert_int_equal (berth_port_parse ("3000", &p, &n, &err), 0);
  assert_int_equal (berth_port_parse ("127.0.0.1::9000", &p, &n, &err), 0);
  assert_int_equal (berth_port_parse ("[::1]:8443:443", &p, &n, &err), 0);
  assert_int_equal (berth_port_parse ("7000-7002:8000-8002", &p, &n, &err), 0);
  assert_int_equal (n, 8);
  assert_string_equal (p[0].proto, "tcp");
  assert_int_equal (p[0].host_port, 8080);
  assert_int_equal (p[0].ctr_port, 80);
  assert_string_equal (p[0].host_ip, "");
  assert_string_equal (p[1].proto, "udp");
  assert_string_equal (p[1].host_ip, "127.0.0.1");
  assert_int_equal (p[2].host_port, 0);
  assert_int_equal (p[2].ctr_port, 3000);
  assert_string_equal (p[3].host_ip, "127.0.0.1");
  assert_int_equal (p[3].host_port, 0);
  assert_string_equal (p[4].host_ip, "::1");
  assert_int_equal (p[4].host_port, 8443);
  assert_int_equal (p[7].host_port, 7002);
  assert_int_equal (p[7].ctr_port, 8002);
  {
    static const char *const bad[]
        = { "70000:80", "80/sctp", "a:b", "1.2.3:80:80", "8000-8001:80-82", "0:80", "" };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
      {
        if (berth_port_parse (bad[i], &p, &n, &err) == 0)
          fail_msg ("`%s` was accepted", bad[i]);
        assert_int_equal (err->status, EINVAL);
        berth_error_release (&err);
      }
  }
  free (p);
}

static void
test_resolv (void **state)
{
  const char *host = "# generated\nnameserver 127.0.0.53\nnameserver 10.0.0.2\n"
                     "nameserver ::1\nsearch corp.test\noptions edns0\n";
  const char *loopback_only = "nameserver 127.0.0.53\nsearch x\n";
  char *dns[] = { "10.1.1.1", NULL }, *search[] = { "a.test", "b.test", NULL };
  char *opts[] = { "ndots:3", NULL };
  char *r;

  (void)state;
  r = berth_net_resolv_conf (host, NULL, NULL, NULL, "10.5.0.1");
  assert_string_equal (r, "# generated\nnameserver 10.0.0.2\nsearch corp.test\noptions edns0\n");
  free (r);
  /* only loopback resolvers: the gateway */
  r = berth_net_resolv_conf (loopback_only, NULL, NULL, NULL, "10.5.0.1");
  assert_string_equal (r, "search x\nnameserver 10.5.0.1\n");
  free (r);
  /* --dns, --dns-search, --dns-option replace the host's lines */
  r = berth_net_resolv_conf (host, dns, search, opts, "10.5.0.1");
  assert_string_equal (r,
                       "# generated\nnameserver 10.1.1.1\nsearch a.test b.test\noptions ndots:3\n");
  free (r);
  r = berth_net_resolv_conf (NULL, NULL, NULL, NULL, NULL);
  assert_string_equal (r, "nameserver 8.8.8.8\n");
  free (r);
  /* the resolver the gateway stands for: only with loopback resolvers */
  char lo[16];
  assert_true (berth_net_loopback_resolver (loopback_only, lo));
  assert_string_equal (lo, "127.0.0.53");
  assert_true (berth_net_loopback_resolver ("nameserver ::1\nnameserver 127.0.1.1\n", lo));
  assert_string_equal (lo, "127.0.1.1");
  assert_false (berth_net_loopback_resolver (host, lo));
  assert_false (berth_net_loopback_resolver ("nameserver ::1\n", lo));
  assert_false (berth_net_loopback_resolver ("nameserver\n127.0.0.1\n", lo));
  assert_false (berth_net_loopback_resolver (NULL, lo));
}

static int notices;

static void
count_notice (const char *msg)
{
  (void)msg;
  notices++;
}

/* 172.17.0.0/16 already routed on the host: the default network takes a
 * free /16 and says so.  In a network namespace of the test's own, where a
 * bridge with 172.17.0.1/16 makes that route.  */
static void
test_default_subnet_routed (void **state)
{
  struct fixture *f = *state;
  pid_t pid;
  int st;

  if (geteuid () != 0)
    skip ();
  pid = fork ();
  if (pid == 0)
    {
      struct berth_nl_addr a = { .family = AF_INET, .addr = { 172, 17, 0, 1 }, .prefix = 16 };
      struct berth_network *n = NULL;
      berth_error_t err = NULL;
      bool routed = false;
      if (unshare (CLONE_NEWNET) < 0 || berth_nl_bridge_ensure ("x0", 0, &a, NULL, &err) < 0)
        _exit (2);
      if (berth_nl_route_overlaps (a.addr, 16, &routed, &err) < 0 || !routed)
        _exit (3);
      f->h.default_subnet = NULL;
      f->h.notice = count_notice;
      if (berth_network_get (&f->h, "bridge", &n, &err) < 0)
        _exit (4);
      _exit (strcmp (n->subnet4, "172.18.0.0/16") == 0 && strcmp (n->gateway4, "172.18.0.1") == 0
                     && strcmp (n->bridge, "btunit0") == 0 && notices == 1
                 ? 0
                 : 5);
    }
  assert_true (pid > 0);
  assert_int_equal (waitpid (pid, &st, 0), pid);
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_cidr),
    cmocka_unit_test (test_pick),
    cmocka_unit_test_setup_teardown (test_lease_release, setup, teardown),
    cmocka_unit_test_setup_teardown (test_concurrent_leases, setup, teardown),
    cmocka_unit_test_setup_teardown (test_network_checks, setup, teardown),
    cmocka_unit_test (test_ports),
    cmocka_unit_test (test_resolv),
    cmocka_unit_test_setup_teardown (test_default_subnet_routed, setup, teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
