#!/usr/bin/env bats
# berth's firewall, NAT and port mapping (src/lib/net/firewall*.c), driven
# through build/berth-fw in a topology of network namespaces that the file
# makes (tests/e2e/fw_helpers.bash): the "host" is itself a netns, so the
# nft table, forwarding and route_localnet the tests set never touch the
# real host.  Every packet goes to an address the file created.

bats_require_minimum_version 1.5.0
load fw_helpers

setup_file() {
	[ "$(id -u)" -eq 0 ] || { echo "must run as root" >&2; return 1; }
	[ -x "$FW" ] || { echo "build/berth-fw is missing" >&2; return 1; }
	fw_names "$(printf %04x $((RANDOM)))"
	fw_topology || { fw_cleanup; return 1; }
	# forwarding off in the test's host, so that turning it on shows
	H sh -c 'echo 0 > /proc/sys/net/ipv4/ip_forward'
	H "$FW" -t "$T" setup n1 "$BR1" -4 "$N1.0/24" >"$BATS_FILE_TMPDIR/setup1.out" 2>&1 &&
		H "$FW" -t "$T" setup n2 "$BR2" -4 "$N2.0/24" &&
		H "$FW" -t "$T" setup n3 "$BRI" -4 "$NI.0/24" --internal &&
		H "$FW" -t "$T" add n1 c1 "tcp,,18080,$N1.2,80" "udp,,18081,$N1.2,81" &&
		H "$FW" -t "$T" add n2 c3 "tcp,$HOST_IP,18082,$N2.2,80" || { fw_cleanup; return 1; }
	ipv6_topology || { fw_cleanup; return 1; }
}

# An IPv6-only network n6 (bridge BR6, fd42:S::/64) with container C6, and
# IPv6 on the link to INET (fd43:S::/64).
ipv6_topology() {
	export BR6=bfb6$R C6=bfc6$R V6=fd42:$S V6I=fd43:$S
	H sh -c 'echo 0 > /proc/sys/net/ipv6/conf/all/forwarding'
	ip -n "$HOST" link add "$BR6" type bridge
	ip -n "$HOST" addr add "$V6::1/64" dev "$BR6" nodad
	ip -n "$HOST" link set "$BR6" up
	ip netns add "$C6"
	ip -n "$HOST" link add "v${C6#bf}" type veth peer name eth0 netns "$C6"
	ip -n "$HOST" link set "v${C6#bf}" master "$BR6" up
	ip -n "$C6" addr add "$V6::2/64" dev eth0 nodad
	ip -n "$C6" link set eth0 up
	ip -n "$C6" link set lo up
	ip -n "$C6" route add default via "$V6::1"
	ip -n "$HOST" addr add "$V6I::1/64" dev "hi$R" nodad
	ip -n "$INET" addr add "$V6I::2/64" dev eth0 nodad
	fw_serve "$C6" tcp 80 ::
	fw_serve "$INET" tcp 8006 ::
	fw_wait_tcp "$C6" ::1 80 && fw_wait_tcp "$INET" ::1 8006 &&
		H "$FW" -t "$T" setup n6 "$BR6" -6 "$V6::/64" >"$BATS_FILE_TMPDIR/setup6.out" 2>&1
}

teardown_file() {
	[ -n "${C6:-}" ] && ip netns del "$C6" 2>/dev/null
	fw_cleanup
}


@test "setup turns on forwarding and says so; route_localnet on the bridges; one table of berth's" {
	grep -qx "forwarding enabled" "$BATS_FILE_TMPDIR/setup1.out"
	[ "$(H cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
	[ "$(H cat /proc/sys/net/ipv4/conf/$BR1/route_localnet)" = 1 ]
	# an internal network has no published ports, so no route_localnet
	[ "$(H cat /proc/sys/net/ipv4/conf/$BRI/route_localnet)" = 0 ]
	run -0 H nft list tables
	[ "$output" = "table inet $T" ]
	# a second setup of the same network changes nothing and says nothing
	run -0 H "$FW" -t "$T" setup n1 "$BR1" -4 "$N1.0/24"
	[ -z "$output" ]
	run -0 H nft list map inet "$T" fwd_in
	[ "$(grep -o '"n1"' <<<"$output" | wc -l)" = 1 ]
}

@test "a mapped port answers from the host's loopback (TCP and UDP), masqueraded to the bridge address" {
	run -0 ask "$HOST" tcp 127.0.0.1 18080
	[ "$output" = "from $N1.1" ]
	run -0 ask "$HOST" udp 127.0.0.1 18081
	[ "$output" = "from $N1.1" ]
}

@test "a mapped port answers from the host's own address (TCP and UDP)" {
	run -0 ask "$HOST" tcp "$HOST_IP" 18080
	[ "$output" = "from $HOST_IP" ]
	run -0 ask "$HOST" udp "$HOST_IP" 18081
	[ "$output" = "from $HOST_IP" ]
	# a port published on one address only answers there, not on loopback
	run -0 ask "$HOST" tcp "$HOST_IP" 18082
	[ "$output" = "from $HOST_IP" ]
	run ! ask "$HOST" tcp 127.0.0.1 18082 1
}

@test "a mapped port answers another machine (TCP and UDP), which is seen with its own address" {
	run -0 ask "$OTHER" tcp "$OTHER_HOST_IP" 18080
	[ "$output" = "from $OTHER_IP" ]
	run -0 ask "$OTHER" udp "$OTHER_HOST_IP" 18081
	[ "$output" = "from $OTHER_IP" ]
	# but not the container's address itself: only published ports come in
	run ! ask "$OTHER" tcp "$N1.2" 80 1
}

@test "hairpin: containers reach a published port through the host address, also their own" {
	run -0 ask "$C2" tcp "$HOST_IP" 18080
	[ "$output" = "from $N1.1" ]
	run -0 ask "$C2" udp "$HOST_IP" 18081
	[ "$output" = "from $N1.1" ]
	run -0 ask "$C1" tcp "$HOST_IP" 18080
	[ "$output" = "from $N1.1" ]
	# a container on another network reaches a published port too
	# (masqueraded to the address of the bridge it leaves by)
	run -0 ask "$C3" tcp "$HOST_IP" 18080
	[ "$output" = "from $N1.1" ]
}

@test "a container reaches the internet through the masquerade, seen as the host's address" {
	run -0 ask "$C1" tcp "$INET_IP" 8000
	[ "$output" = "from $INET_HOST_IP" ]
	run -0 ask "$C3" tcp "$INET_IP" 8000
	[ "$output" = "from $INET_HOST_IP" ]
}

@test "an internal network cannot get out, and publishes no port" {
	# the same request from a normal network works (previous test); from
	# the internal one it does not
	run ! ask "$CI" tcp "$INET_IP" 8000 1
	run ! ask "$CI" tcp "$N1.2" 80 1
	run ! ask "$C1" tcp "$NI.2" 80 1
	# but the host still reaches it on its bridge
	run -0 ask "$HOST" tcp "$NI.2" 80
	run -1 H "$FW" -t "$T" add n3 ci "tcp,,18083,$NI.2,80"
	[[ "$output" == *"network \`n3\` is internal"* ]]
}

@test "two networks cannot reach each other; the same network can" {
	run -0 ask "$C2" tcp "$N1.2" 80
	[ "$output" = "from $N1.3" ]
	run ! ask "$C3" tcp "$N1.2" 80 1
	run ! ask "$C1" tcp "$N2.2" 80 1
	# what stops it is berth's forward rules: with them emptied, the same
	# request is routed (masqueraded: n2 leaves by another bridge)
	H nft flush chain inet "$T" forward
	run -0 ask "$C3" tcp "$N1.2" 80
	[ "$output" = "from $N1.1" ]
	H "$FW" -t "$T" setup n2 "$BR2" -4 "$N2.0/24"
	run ! ask "$C3" tcp "$N1.2" 80 1
}

@test "ports_check refuses a port with a listener, a port another owner has, a port asked twice" {
	fw_serve "$HOST" tcp 18090
	fw_serve "$HOST" udp 18091 127.0.0.1
	fw_wait_tcp "$HOST" 127.0.0.1 18090
	fw_wait_udp "$HOST" 18091
	run -1 H "$FW" -t "$T" check "tcp,,18090,$N1.4,80"
	[ "$output" = "berth-fw: host port 18090/tcp is already in use" ]
	run -1 H "$FW" -t "$T" check "udp,,18091,$N1.4,80"
	[[ "$output" == *"host port 18091/udp is already in use"* ]]
	run -1 H "$FW" -t "$T" check "tcp,,18080,$N1.4,80"
	[[ "$output" == *"host port 18080/tcp is already published by c1"* ]]
	run -1 H "$FW" -t "$T" check "tcp,$HOST_IP,18080,$N1.4,80"
	[[ "$output" == *"already published by c1"* ]]
	run -1 H "$FW" -t "$T" check "tcp,,18092,$N1.4,80" "tcp,$HOST_IP,18092,$N1.4,81"
	[[ "$output" == *"host port 18092/tcp is published twice"* ]]
	run -1 H "$FW" -t "$T" check "tcp,10.99.99.99,18092,$N1.4,80"
	[[ "$output" == *"host address 10.99.99.99 is not an address of this host"* ]]
	# free ports pass, the same number in the other protocol too, and
	# without a container address (the engine checks before it has one)
	run -0 H "$FW" -t "$T" check "tcp,,18092,$N1.4,80" "udp,,18080,$N1.4,80"
	run -0 H "$FW" -t "$T" check "tcp,,18092,,0"
	# and the add of a clashing port fails without touching c1's
	run -1 H "$FW" -t "$T" add n1 c4 "tcp,,18080,$N1.4,80"
	run -0 ask "$HOST" tcp "$HOST_IP" 18080
	[ "$output" = "from $HOST_IP" ]
}

@test "ports_add is idempotent and replaces an owner's ports; owners lists them" {
	run -0 H "$FW" -t "$T" add n1 c2 "tcp,,18085,$N1.2,80"
	run -0 H "$FW" -t "$T" add n1 c2 "tcp,,18085,$N1.2,80"
	run -0 H nft list map inet "$T" dnat4_any
	[ "$(grep -o 'c2 n1' <<<"$output" | wc -l)" = 1 ]
	run -0 H "$FW" -t "$T" add n1 c2 "tcp,,18086,$N1.2,80"
	run -0 ask "$HOST" tcp "$HOST_IP" 18086
	run ! ask "$HOST" tcp "$HOST_IP" 18085 1
	run -0 H "$FW" -t "$T" owners
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "c1 c2 c3 " ]
	run -0 H "$FW" -t "$T" remove c2
	run -0 H "$FW" -t "$T" owners
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "c1 c3 " ]
	run ! ask "$HOST" tcp "$HOST_IP" 18086 1
	# removing an owner without rules is no error
	run -0 H "$FW" -t "$T" remove c2
}

@test "route_localnet guard: a container cannot reach the host's loopback-only services" {
	# a service of the host bound to 127.0.0.1 only
	fw_serve "$HOST" tcp 18095 127.0.0.1
	fw_wait_tcp "$HOST" 127.0.0.1 18095
	# the attacker (root in its netns) routes 127.0.0.1 to the gateway
	# (without its own 127.0.0.1, which would make the answers martian)
	ip -n "$C4" addr del 127.0.0.1/8 dev lo
	ip -n "$C4" route add 127.0.0.1/32 via "$N1.1" dev eth0
	in_ns "$C4" sh -c 'echo 1 > /proc/sys/net/ipv4/conf/eth0/route_localnet'
	# weakened: without the guard rules, route_localnet lets it in
	H nft flush chain inet "$T" guard
	run -0 ask "$C4" tcp 127.0.0.1 18095
	[ "$output" = "from $N1.4" ]
	# berth's guard (restored by a setup) stops it
	H "$FW" -t "$T" setup n1 "$BR1" -4 "$N1.0/24"
	run ! ask "$C4" tcp 127.0.0.1 18095 1
	# while the published port still answers on the host's loopback
	run -0 ask "$HOST" tcp 127.0.0.1 18080
}

@test "network and owner names cannot inject nft syntax" {
	run -1 H "$FW" -t "$T" setup 'x; flush ruleset' "$BR1" -4 "$N1.0/24"
	[[ "$output" == *"is not usable in firewall rules"* ]]
	run -1 H "$FW" -t "$T" add n1 'c"9' "tcp,,18087,$N1.2,80"
	run -1 H "$FW" -t "$T" add n1 c9 "tcp,,18087,$N1.2 } ; flush ruleset,80"
	run -0 H nft list tables
	[ "$output" = "table inet $T" ]
}

@test "removing an owner's ports forgets their DNATed flows; forget drops an address's flows" {
	fw_serve "$C2" udp 81 0.0.0.0 c2
	fw_wait_udp "$C2" 81
	# a UDP client that keeps its source port
	run -0 ask "$OTHER" udp "$OTHER_HOST_IP" 18081 2 40000
	[ "$output" = "from $OTHER_IP" ]
	# weakened: the rule removed without forgetting the flow, as a bare
	# nft delete does; the port goes to c2, yet the client still reaches c1
	H nft delete element inet "$T" dnat4_any "{ udp . 18081 }"
	H "$FW" -t "$T" add n1 c5 "udp,,18081,$N1.3,81"
	run -0 ask "$OTHER" udp "$OTHER_HOST_IP" 18081 2 40000
	[ "$output" = "from $OTHER_IP" ]
	H "$FW" -t "$T" remove c5
	H "$FW" -t "$T" add n1 c1 "tcp,,18080,$N1.2,80" "udp,,18081,$N1.2,81"
	run -0 ask "$OTHER" udp "$OTHER_HOST_IP" 18081 2 40000
	[ -n "$(H conntrack -L -p udp --reply-src "$N1.2" 2>/dev/null)" ]
	# berth's removal forgets c1's flows, so the same client reaches c2
	H "$FW" -t "$T" remove c1
	[ -z "$(H conntrack -L -p udp --reply-src "$N1.2" 2>/dev/null)" ]
	H "$FW" -t "$T" add n1 c5 "udp,,18081,$N1.3,81"
	run -0 ask "$OTHER" udp "$OTHER_HOST_IP" 18081 2 40000
	[ "$output" = "c2 from $OTHER_IP" ]
	H "$FW" -t "$T" remove c5
	H "$FW" -t "$T" add n1 c1 "tcp,,18080,$N1.2,80" "udp,,18081,$N1.2,81"
	# forget: every flow from or to an address (a container's, on removal)
	run -0 ask "$C1" tcp "$INET_IP" 8000
	run -0 ask "$HOST" tcp "$HOST_IP" 18080
	[ -n "$(H conntrack -L -s "$N1.2" 2>/dev/null)" ]
	[ -n "$(H conntrack -L --reply-src "$N1.2" 2>/dev/null)" ]
	run -0 H "$FW" forget "$N1.2"
	[ -z "$(H conntrack -L -s "$N1.2" 2>/dev/null)" ]
	[ -z "$(H conntrack -L --reply-src "$N1.2" 2>/dev/null)" ]
	run -0 H "$FW" forget "$N1.2"
	run -1 H "$FW" forget "not-an-address"
}

@test "concurrent adds: distinct ports all land, one port goes to exactly one owner" {
	local i ok=0
	for i in $(seq 20); do
		H "$FW" -t "$T" add n1 "par$i" "tcp,,$((19000 + i)),$N1.4,80" &
	done
	wait
	run -0 H "$FW" -t "$T" owners
	[ "$(grep -c '^par' <<<"$output")" = 20 ]
	for i in $(seq 10); do
		H "$FW" -t "$T" add n1 "same$i" "tcp,,19500,$N1.4,80" 2>/dev/null &
	done
	wait
	run -0 H "$FW" -t "$T" owners
	[ "$(grep -c '^same' <<<"$output")" = 1 ]
	for i in $(seq 20); do H "$FW" -t "$T" remove "par$i"; done
	for i in $(seq 10); do H "$FW" -t "$T" remove "same$i"; done
	run -0 H "$FW" -t "$T" owners
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "c1 c3 " ]
}

@test "kill -9 in the middle of adds leaves whole owners or none, all removable" {
	local i pid
	for i in $(seq 30); do
		# (ip netns exec execs berth-fw: $! is berth-fw itself)
		ip netns exec "$HOST" "$FW" -t "$T" add n1 "k$i" "tcp,,$((19600 + i)),$N1.4,80" \
			"udp,,$((19600 + i)),$N1.4,80" &
		pid=$!
		sleep "$(printf '0.%03d' $((RANDOM % 12)))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	# each owner has both of its ports or none (one transaction each)
	for i in $(seq 30); do
		n=$(H nft list map inet "$T" dnat4_any | grep -c "\"k$i n1\"" || true)
		[ "$n" = 0 ] || [ "$n" = 2 ]
	done
	# the lock of a killed call is not left held
	for i in $(seq 30); do timeout 10 ip netns exec "$HOST" "$FW" -t "$T" remove "k$i"; done
	run -0 H "$FW" -t "$T" owners
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "c1 c3 " ]
}

@test "IPv6: forwarding turned on, masquerade to the internet, a port published on an IPv6 host address" {
	grep -qx "forwarding enabled" "$BATS_FILE_TMPDIR/setup6.out"
	[ "$(H cat /proc/sys/net/ipv6/conf/all/forwarding)" = 1 ]
	run -0 ask "$C6" tcp "$V6I::2" 8006
	[ "$output" = "from $V6I::1" ]
	H "$FW" -t "$T" add n6 c6 "tcp,$V6I::1,18086,$V6::2,80"
	run -0 ask "$INET" tcp "$V6I::1" 18086
	[ "$output" = "from $V6I::2" ]
	# only published ports come in
	in_ns "$INET" ip -6 route add "$V6::/64" via "$V6I::1"
	run ! ask "$INET" tcp "$V6::2" 80 1
	run -0 H "$FW" -t "$T" remove c6
	run ! ask "$INET" tcp "$V6I::1" 18086 1
}

@test "teardown removes a network's rules and ports; the last one removes the table" {
	run -0 H "$FW" -t "$T" teardown n2
	run -0 H "$FW" -t "$T" owners
	[ "$output" = "c1" ]
	run -0 H nft list table inet "$T"
	[[ "$output" != *"in-n2"* && "$output" != *"\"n2\""* ]]
	run ! ask "$HOST" tcp "$HOST_IP" 18082 1
	run -0 H "$FW" -t "$T" teardown n2
	run -0 H "$FW" -t "$T" teardown n1
	run -0 H "$FW" -t "$T" teardown n3
	run -0 H "$FW" -t "$T" teardown n6
	run -0 H nft list ruleset
	[ -z "$output" ]
	run -0 H "$FW" -t "$T" teardown n1
	run -0 H "$FW" -t "$T" owners
	[ -z "$output" ]
}
