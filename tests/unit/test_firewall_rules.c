/* Tests for the pure half of the firewall (src/lib/net/firewall_rules.c):
 * name and port validation, the generated nft commands, and the reading of
 * nft's JSON listing.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "net/firewall_rules.h"
#include "util.h"

/* Run a generator into a string.  */
#define GEN(call)                                                                                  \
  ({                                                                                               \
    char *_t = NULL;                                                                               \
    size_t _l = 0;                                                                                 \
    FILE *o = open_memstream (&_t, &_l);                                                           \
    call;                                                                                          \
    fclose (o);                                                                                    \
    _t;                                                                                            \
  })

static struct berth_fw_port
port (const char *proto, const char *host_ip, unsigned hp, const char *ctr_ip, unsigned cp)
{
  struct berth_fw_port p = { 0 };
  snprintf (p.proto, sizeof (p.proto), "%s", proto);
  snprintf (p.host_ip, sizeof (p.host_ip), "%s", host_ip);
  snprintf (p.ctr_ip, sizeof (p.ctr_ip), "%s", ctr_ip);
  p.host_port = hp;
  p.ctr_port = cp;
  return p;
}

static void
test_names (void **state)
{
  (void)state;
  assert_true (fw_name_valid ("berth0", 63));
  assert_true (fw_name_valid ("my_net.v2-a", 63));
  assert_false (fw_name_valid ("", 63));
  assert_false (fw_name_valid ("-x", 63));
  assert_false (fw_name_valid ("a b", 63));
  assert_false (fw_name_valid ("a\"; flush ruleset", 63));
  assert_false (fw_name_valid ("a}", 63));
  assert_false (fw_ifname_valid ("sixteen-chars-xx"));
  assert_true (fw_ifname_valid ("fifteen-chars-x"));
}

static void
expect_error (int ret, berth_error_t *err, const char *part)
{
  assert_true (ret < 0);
  assert_non_null (*err);
  if (strstr ((*err)->msg, part) == NULL)
    fail_msg ("error `%s` does not say `%s`", (*err)->msg, part);
  berth_error_release (err);
}

static void
test_port_validate (void **state)
{
  berth_error_t err = NULL;
  struct berth_fw_port p;
  (void)state;

  p = port ("tcp", "", 8080, "10.1.0.2", 80);
  assert_int_equal (fw_port_validate (&p, true, &err), 0);
  p = port ("udp", "192.0.2.1", 53, "10.1.0.2", 53);
  assert_int_equal (fw_port_validate (&p, true, &err), 0);
  p = port ("tcp", "fd00::1", 443, "fd00:1::3", 443);
  assert_int_equal (fw_port_validate (&p, true, &err), 0);
  p = port ("sct", "", 1, "10.1.0.2", 1);
  expect_error (fw_port_validate (&p, true, &err), &err, "is not tcp or udp");
  p = port ("tcp", "", 0, "10.1.0.2", 80);
  expect_error (fw_port_validate (&p, true, &err), &err, "port 0");
  p = port ("tcp", "", 80, "10.1.0.2", 0);
  expect_error (fw_port_validate (&p, true, &err), &err, "port 0");
  p = port ("tcp", "1.2.3", 80, "10.1.0.2", 80);
  expect_error (fw_port_validate (&p, true, &err), &err, "is not an IP address");
  p = port ("tcp", "", 80, "10.1.0.2 } ; flush ruleset", 80);
  expect_error (fw_port_validate (&p, true, &err), &err, "is not an IP address");
  p = port ("tcp", "", 80, "fd00::2", 80);
  expect_error (fw_port_validate (&p, true, &err), &err, "differ in family");
  p = port ("tcp", "::1", 80, "fd00::2", 80);
  expect_error (fw_port_validate (&p, true, &err), &err, "::1");
  /* the check before the container exists knows no container address */
  p = port ("tcp", "", 8080, "", 0);
  assert_int_equal (fw_port_validate (&p, false, &err), 0);
  expect_error (fw_port_validate (&p, true, &err), &err, "port 0");
  p = port ("tcp", "", 8080, "", 80);
  expect_error (fw_port_validate (&p, true, &err), &err, "is not an IP address");
  p = port ("udp", "fd00::1", 53, "", 0);
  assert_int_equal (fw_port_validate (&p, false, &err), 0);
}

static void
test_net_validate (void **state)
{
  berth_error_t err = NULL;
  struct berth_fw_net n = { .name = "n1", .bridge = "berth0", .subnet4 = "10.1.0.0/16" };
  (void)state;

  assert_int_equal (fw_net_validate (&n, &err), 0);
  n.subnet6 = "fd00:1::/64";
  assert_int_equal (fw_net_validate (&n, &err), 0);
  n.subnet6 = "10.2.0.0/16";
  expect_error (fw_net_validate (&n, &err), &err, "is not an IPv6 prefix");
  n.subnet6 = NULL;
  n.subnet4 = "10.1.0.0/33";
  expect_error (fw_net_validate (&n, &err), &err, "is not an IPv4 prefix");
  n.subnet4 = "10.1.0.0";
  expect_error (fw_net_validate (&n, &err), &err, "is not an IPv4 prefix");
  n.subnet4 = "10.1.0.0/16";
  n.bridge = "a-bridge-name-too-long";
  expect_error (fw_net_validate (&n, &err), &err, "bridge name");
  n.bridge = "berth0";
  n.name = "a-network-name-of-sixty-four-characters-which-is-one-too-many-xy";
  expect_error (fw_net_validate (&n, &err), &err, "is longer than 63 characters");
  n.name = "n 1";
  expect_error (fw_net_validate (&n, &err), &err, "not usable in firewall rules");
  /* the resolver goes into a rule: an IPv4 loopback address, nothing else */
  n.name = "n1";
  n.gateway4 = "10.1.0.1";
  n.dns4 = "127.0.0.53";
  assert_int_equal (fw_net_validate (&n, &err), 0);
  n.dns4 = "10.0.0.53";
  expect_error (fw_net_validate (&n, &err), &err, "not an IPv4 loopback address");
  n.dns4 = "127.0.0.53:53 accept";
  expect_error (fw_net_validate (&n, &err), &err, "not an IPv4 loopback address");
  n.dns4 = "127.0.0.53";
  n.gateway4 = "10.1.0.1 drop";
  expect_error (fw_net_validate (&n, &err), &err, "not an IPv4 loopback address");
}

static void
test_gen_network_dns (void **state)
{
  struct berth_fw_net n = { .name = "web",
                            .bridge = "berth1",
                            .subnet4 = "10.1.0.0/16",
                            .gateway4 = "10.1.0.1",
                            .dns4 = "127.0.0.53" };
  cleanup_free char *text = GEN (fw_gen_network (o, "berth", &n));
  n.dns4 = NULL;
  cleanup_free char *none = GEN (fw_gen_network (o, "berth", &n));
  n.dns4 = "127.0.0.53";
  n.internal = true;
  cleanup_free char *internal = GEN (fw_gen_network (o, "berth", &n));
  (void)state;

  assert_non_null (strstr (text, "flush chain inet berth dns-web\n"
                                 "add rule inet berth dns-web ip daddr 10.1.0.1 meta l4proto "
                                 "{ tcp, udp } th dport 53 dnat ip to 127.0.0.53:53\n"));
  assert_non_null (strstr (
      text, "add element inet berth dns_in { \"berth1\" comment \"web\" : jump dns-web }\n"));
  /* without a loopback resolver (or on an internal network): the chain is
   * empty and the bridge has no element */
  assert_non_null (strstr (none, "flush chain inet berth dns-web\n"));
  assert_null (strstr (none, "dnat ip to"));
  assert_null (strstr (none, "dns_in"));
  assert_null (strstr (internal, "dnat ip to"));
  assert_null (strstr (internal, "dns_in"));
}

static void
test_gen_network (void **state)
{
  struct berth_fw_net n
      = { .name = "web", .bridge = "berth1", .subnet4 = "10.1.2.3/16", .subnet6 = "fd00:1::5/64" };
  cleanup_free char *text = GEN (fw_gen_network (o, "berth", &n));
  (void)state;

  /* host bits are cleared: nft refuses them */
  assert_non_null (strstr (
      text, "add element inet berth nat4 { 10.1.0.0/16 comment \"web\" : jump nat-web }\n"));
  assert_non_null (strstr (
      text, "add element inet berth nat6 { fd00:1::/64 comment \"web\" : jump nat-web }\n"));
  assert_non_null (strstr (text, "add rule inet berth nat-web oifname != \"berth1\" masquerade\n"));
  assert_non_null (strstr (text, "add rule inet berth nat-web ct status dnat masquerade\n"));
  assert_non_null (strstr (
      text, "add element inet berth fwd_in { \"berth1\" comment \"web\" : jump in-web }\n"));
  assert_non_null (strstr (
      text, "add element inet berth fwd_out { \"berth1\" comment \"web\" : jump out-web }\n"));
  /* isolation, and the mark on what is accepted */
  assert_non_null (strstr (text, "add rule inet berth in-web oifname @bridges drop\n"));
  assert_non_null (
      strstr (text, "add rule inet berth in-web meta mark set meta mark | 0x01000000 accept\n"));
  assert_non_null (strstr (
      text,
      "add rule inet berth out-web ct status dnat meta mark set meta mark | 0x01000000 accept\n"));
  /* out-NET ends in a drop: no way in except replies and published ports */
  assert_non_null (strstr (text, "add rule inet berth out-web drop\n"));
  assert_null (strstr (text, "internal"));
}

static void
test_gen_network_internal (void **state)
{
  struct berth_fw_net n
      = { .name = "priv", .bridge = "berth2", .subnet4 = "10.3.0.0/24", .internal = true };
  cleanup_free char *text = GEN (fw_gen_network (o, "berth", &n));
  (void)state;

  assert_non_null (
      strstr (text, "add element inet berth internal { \"berth2\" comment \"priv\" }\n"));
  assert_non_null (
      strstr (text, "add rule inet berth in-priv oifname \"berth2\" meta mark set meta mark | "
                    "0x01000000 accept\nadd rule inet berth in-priv drop\n"));
  assert_null (strstr (text, "masquerade"));
  assert_null (strstr (text, "nat4"));
  assert_null (strstr (text, "established"));
}

static void
test_gen_table (void **state)
{
  cleanup_free char *decl = GEN (fw_gen_table (o, "t1"));
  cleanup_free char *rules = GEN (fw_gen_table_rules (o, "t1"));
  (void)state;

  /* declarations are all "add": idempotent */
  for (char *line = decl; line && *line;
       line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
    assert_int_equal (strncmp (line, "add ", 4), 0);
  assert_non_null (strstr (
      decl, "add chain inet t1 forward { type filter hook forward priority -10; policy accept; }"));
  assert_non_null (strstr (rules, "add rule inet t1 prerouting iifname vmap @dns_in\n"
                                  "add rule inet t1 prerouting fib daddr type local jump ports\n"));
  assert_non_null (strstr (rules, "add rule inet t1 output fib daddr type local jump ports\n"));
  assert_non_null (strstr (rules, "add rule inet t1 postrouting ip saddr 127.0.0.0/8 oifname "
                                  "@bridges ct status dnat masquerade\n"));
  assert_non_null (
      strstr (rules, "add rule inet t1 guard iifname @bridges ip daddr 127.0.0.0/8 drop\n"));
  assert_non_null (
      strstr (rules, "add rule inet t1 guard iifname @bridges ip saddr 127.0.0.0/8 drop\n"));
  /* the specific-address map before the every-address one */
  assert_true (strstr (rules, "@dnat4_ip") < strstr (rules, "@dnat4_any"));
}

static void
test_gen_ports_add (void **state)
{
  struct berth_fw_port p[3]
      = { port ("tcp", "", 8080, "10.1.0.2", 80), port ("udp", "192.0.2.1", 53, "10.1.0.2", 5353),
          port ("tcp", "fd00::1", 443, "fd00:1::3", 8443) };
  cleanup_free char *text = GEN (fw_gen_ports_add (o, "berth", "web", "abc123", p, 3));
  (void)state;

  assert_string_equal (
      text,
      "create element inet berth dnat4_any { tcp . 8080 comment \"abc123 web\" : 10.1.0.2 . 80 }\n"
      "create element inet berth dnat4_ip { 192.0.2.1 . udp . 53 comment \"abc123 web\" : 10.1.0.2 "
      ". 5353 }\n"
      "create element inet berth dnat6_ip { fd00::1 . tcp . 443 comment \"abc123 web\" : fd00:1::3 "
      ". 8443 }\n");
}

static char *
read_data (const char *name)
{
  char path[512];
  char *text = NULL;
  size_t len;
  berth_error_t err = NULL;

  snprintf (path, sizeof (path), "%s/%s", TEST_DATA_DIR, name);
  if (berth_read_file (path, &text, &len, &err) < 0)
    fail_msg ("read %s: %s", path, err->msg);
  return text;
}

/* firewall_table.json: `nft -j -a list table inet berth` of a real table:
 * n1 (bfu1, 10.1.0.0/16, fd00:1::/64) and n2 (bfu2, internal); its port
 * maps (c1 publishing tcp 8080 and udp 192.0.2.1:53, c2 [fd00:1::1]:8443)
 * are ignored by this reader.  */
static void
test_parse_table (void **state)
{
  cleanup_free char *json = read_data ("firewall_table.json");
  berth_error_t err = NULL;
  struct fw_state st;
  const struct fw_net_entry *n1, *n2;
  (void)state;

  assert_int_equal (fw_parse_table (json, &st, &err), 0);
  assert_true (st.exists);
  assert_int_equal (st.n_nets, 2);
  n1 = fw_state_net (&st, "n1");
  n2 = fw_state_net (&st, "n2");
  assert_non_null (n1);
  assert_non_null (n2);
  assert_string_equal (n1->bridge, "bfu1");
  assert_string_equal (n1->subnet4, "10.1.0.0/16");
  assert_string_equal (n1->subnet6, "fd00:1::/64");
  assert_false (n1->internal);
  assert_int_equal (n1->seen, FW_IN_FWD_IN | FW_IN_FWD_OUT | FW_IN_BRIDGES);
  assert_string_equal (n2->bridge, "bfu2");
  assert_true (n2->internal);
  assert_string_equal (n2->subnet4, "");
  assert_null (fw_state_net (&st, "n3"));

  /* the ports are not read from nft's listing but from the kernel's
   * elements (firewall_ports_read.c): the same three, as raw keys and data */
  assert_int_equal (st.n_ports, 0);
  static const unsigned char any_key[] = { 6, 0, 0, 0, 0x1f, 0x90, 0, 0 };
  static const unsigned char any_data[] = { 10, 1, 0, 2, 0, 80, 0, 0 };
  static const unsigned char ip_key[] = { 192, 0, 2, 1, 17, 0, 0, 0, 0, 53, 0, 0 };
  static const unsigned char ip_data[] = { 10, 1, 0, 2, 0, 53, 0, 0 };
  static const unsigned char ip6_key[]
      = { 0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 6, 0, 0, 0, 0x20, 0xfb, 0, 0 };
  static const unsigned char ip6_data[]
      = { 0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0x01, 0xbb, 0, 0 };
  assert_int_equal (fw_parse_port_elem (&st, "dnat4_any", any_key, sizeof (any_key), any_data,
                                        sizeof (any_data), "c1 n1", &err),
                    0);
  assert_int_equal (fw_parse_port_elem (&st, "dnat4_ip", ip_key, sizeof (ip_key), ip_data,
                                        sizeof (ip_data), "c1 n1", &err),
                    0);
  assert_int_equal (fw_parse_port_elem (&st, "dnat6_ip", ip6_key, sizeof (ip6_key), ip6_data,
                                        sizeof (ip6_data), "c2 n1", &err),
                    0);
  /* not berth's (no comment, or not "OWNER NETWORK"), or truncated: skipped */
  assert_int_equal (fw_parse_port_elem (&st, "dnat4_any", any_key, sizeof (any_key), any_data,
                                        sizeof (any_data), "", &err),
                    0);
  assert_int_equal (fw_parse_port_elem (&st, "dnat4_any", any_key, sizeof (any_key), any_data,
                                        sizeof (any_data), "someone", &err),
                    0);
  assert_int_equal (fw_parse_port_elem (&st, "dnat4_ip", any_key, sizeof (any_key), any_data,
                                        sizeof (any_data), "c1 n1", &err),
                    0);
  assert_int_equal (st.n_ports, 3);
  for (size_t i = 0; i < st.n_ports; i++)
    {
      struct fw_port_entry *e = &st.ports[i];
      assert_string_equal (e->network, "n1");
      if (e->port.host_port == 8080)
        {
          assert_string_equal (e->owner, "c1");
          assert_string_equal (e->port.proto, "tcp");
          assert_string_equal (e->port.host_ip, "");
          assert_string_equal (e->port.ctr_ip, "10.1.0.2");
          assert_int_equal (e->port.ctr_port, 80);
        }
      else if (e->port.host_port == 53)
        {
          assert_string_equal (e->owner, "c1");
          assert_string_equal (e->port.proto, "udp");
          assert_string_equal (e->port.host_ip, "192.0.2.1");
          assert_int_equal (e->port.ctr_port, 53);
        }
      else
        {
          assert_int_equal (e->port.host_port, 8443);
          assert_string_equal (e->owner, "c2");
          assert_string_equal (e->port.host_ip, "fd00:1::1");
          assert_string_equal (e->port.ctr_ip, "fd00:1::3");
          assert_int_equal (e->port.ctr_port, 443);
        }
    }

  /* what an owner's removal and a network's teardown delete */
  cleanup_free char *del = GEN (fw_gen_ports_delete (o, "berth", &st, "c1"));
  assert_string_equal (del, "delete element inet berth dnat4_any { tcp . 8080 }\n"
                            "delete element inet berth dnat4_ip { 192.0.2.1 . udp . 53 }\n");
  cleanup_free char *none = GEN (assert_int_equal (fw_gen_ports_delete (o, "berth", &st, "c9"), 0));
  assert_string_equal (none, "");
  cleanup_free char *td = GEN (fw_gen_network_delete (o, "berth", &st, "n1", true));
  assert_non_null (strstr (td, "delete element inet berth fwd_in { \"bfu1\" }\n"));
  assert_non_null (strstr (td, "delete element inet berth nat4 { 10.1.0.0/16 }\n"));
  assert_non_null (strstr (td, "delete element inet berth nat6 { fd00:1::/64 }\n"));
  assert_non_null (strstr (td, "delete element inet berth dnat6_ip { fd00:1::1 . tcp . 8443 }\n"));
  assert_non_null (strstr (td, "flush chain inet berth in-n1\ndelete chain inet berth in-n1\n"));
  assert_null (strstr (td, "9999"));
  assert_null (strstr (td, "internal"));
  /* a re-setup keeps the ports and the chains */
  assert_non_null (strstr (td, "delete element inet berth dns_in { \"bfu1\" }\n"));
  assert_non_null (strstr (td, "flush chain inet berth dns-n1\ndelete chain inet berth dns-n1\n"));
  cleanup_free char *re = GEN (fw_gen_network_delete (o, "berth", &st, "n1", false));
  assert_null (strstr (re, "dnat"));
  assert_null (strstr (re, "chain inet"));
  assert_non_null (strstr (re, "delete element inet berth dns_in { \"bfu1\" }\n"));
  cleanup_free char *td2 = GEN (fw_gen_network_delete (o, "berth", &st, "n2", true));
  assert_non_null (strstr (td2, "delete element inet berth internal { \"bfu2\" }\n"));
  assert_null (strstr (td2, "nat4"));
  fw_state_free (&st);
}

static void
test_parse_garbage (void **state)
{
  berth_error_t err = NULL;
  struct fw_state st;
  (void)state;

  expect_error (fw_parse_table ("{ not json", &st, &err), &err, "read firewall table");
  assert_int_equal (fw_parse_table ("{\"nftables\": [{\"metainfo\": {}}]}", &st, &err), 0);
  assert_false (st.exists);
  assert_int_equal (st.n_nets + st.n_ports, 0);
  fw_state_free (&st);
}

static void
test_clash (void **state)
{
  struct berth_fw_port any = port ("tcp", "", 80, "10.1.0.2", 80);
  struct berth_fw_port one = port ("tcp", "192.0.2.1", 80, "10.1.0.3", 80);
  struct berth_fw_port two = port ("tcp", "192.0.2.2", 80, "10.1.0.3", 80);
  struct berth_fw_port udp = port ("udp", "", 80, "10.1.0.3", 80);
  struct berth_fw_port other = port ("tcp", "", 81, "10.1.0.3", 80);
  struct berth_fw_port v6 = port ("tcp", "fd00::1", 80, "fd00::3", 80);
  (void)state;

  assert_true (fw_ports_clash (&any, &one));
  assert_true (fw_ports_clash (&one, &any));
  assert_true (fw_ports_clash (&one, &one));
  assert_false (fw_ports_clash (&one, &two));
  assert_false (fw_ports_clash (&any, &udp));
  assert_false (fw_ports_clash (&any, &other));
  /* "every address" is IPv4 only */
  assert_false (fw_ports_clash (&any, &v6));
}

/* firewall_docker.json: an iptables-nft filter table with FORWARD policy
 * drop, DOCKER-USER, berth's rule (handle 3) and another table's (4).  */
static void
test_parse_docker (void **state)
{
  cleanup_free char *json = read_data ("firewall_docker.json");
  berth_error_t err = NULL;
  struct fw_docker_state ds = { 0 };
  (void)state;

  assert_int_equal (fw_parse_docker (json, "berth", &ds, &err), 0);
  assert_true (ds.forward_drop);
  assert_true (ds.has_docker_user);
  assert_int_equal (ds.n_handles, 1);
  assert_int_equal (ds.handles[0], 3);
  memset (&ds, 0, sizeof (ds));
  assert_int_equal (fw_parse_docker (json, "other", &ds, &err), 0);
  assert_int_equal (ds.n_handles, 1);
  assert_int_equal (ds.handles[0], 4);
  memset (&ds, 0, sizeof (ds));
  assert_int_equal (fw_parse_docker ("{\"nftables\": []}", "berth", &ds, &err), 0);
  assert_false (ds.forward_drop);
  assert_false (ds.has_docker_user);

  cleanup_free char *rule = GEN (fw_gen_docker_rule (o, "ip", "berth"));
  assert_string_equal (
      rule, "insert rule ip filter DOCKER-USER oifname != \"docker*\" oifname != \"br-*\" "
            "meta mark & 0x01000000 == 0x01000000 counter accept comment \"berth:berth\"\n");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_names),         cmocka_unit_test (test_port_validate),
    cmocka_unit_test (test_net_validate),  cmocka_unit_test (test_gen_table),
    cmocka_unit_test (test_gen_network),   cmocka_unit_test (test_gen_network_internal),
    cmocka_unit_test (test_gen_ports_add), cmocka_unit_test (test_parse_table),
    cmocka_unit_test (test_parse_garbage), cmocka_unit_test (test_clash),
    cmocka_unit_test (test_parse_docker),  cmocka_unit_test (test_gen_network_dns),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
