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

#include "error.h"
#include "net/firewall_rules.h"

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

static struct berth_fw_port __attribute__ ((unused))
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
  (void) state;
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

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_names),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
