#!/usr/bin/env bats
# berth's networks, end to end: the default bridge and user networks
# (create/ls/inspect/rm/connect/disconnect/prune), containers that ping each
# other and their gateway, names and aliases through /etc/hosts, IPv6, the
# per-container /etc files, --network none/host/container:, IPAM under
# concurrency, and no veth, namespace or lease left after 200 run --rm or
# after kill -9 of run -d.  The port mapping and masquerade tests need
# NET-B's firewall: they skip while it answers ENOSYS (no table appears).
#
# Everything is this file's own: store root and runroot in a temp dir,
# bridges bt<tag>*, 10.a.b.0/24 subnets that the host does not route, the
# nftables table bt<tag>; packets go only to addresses the tests made.

BERTH_BIN=${BERTH:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/berth}
bats_require_minimum_version 1.5.0
load net_helpers

setup_file() {
	[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; return 1; }
	T=$(mktemp -d /tmp/berth-net-e2e.XXXXXX)
	export T ROOT=$T/root RUNROOT=$T/run
	net_test_env
	mkdir -p "$T/rfs/bin" "$T/rfs/etc" "$T/rfs/www/cgi-bin"
	cp /bin/busybox "$T/rfs/bin/"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$T/rfs/bin/$a"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$T/rfs/etc/passwd"
	echo hello-from-web >"$T/rfs/www/index.html"
	tar -C "$T/rfs" -cf "$T/rfs.tar" .
	b import "$T/rfs.tar" bb >/dev/null || return 1
}

teardown_file() {
	[ -n "${T:-}" ] || return 0
	b rm -f $(b ps -aq 2>/dev/null) >/dev/null 2>&1
	for n in $(b network ls -q 2>/dev/null); do b network rm "$n" >/dev/null 2>&1; done
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^bt${NET_TAG}"); do
		ip netns del "$ns"
	done
	awk -v t="$T/" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l
	rm -rf "$T"
	net_test_cleanup
	rmdir /sys/fs/cgroup/*/berth /sys/fs/cgroup/berth 2>/dev/null || true
}

teardown() {
	b rm -f $(b ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	# the namespaces playing other machines, and their host ends: their
	# subnets are other tests' networks' subnets
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^bt${NET_TAG}"); do
		ip netns pids "$ns" | xargs -r kill 2>/dev/null
		ip netns del "$ns"
	done
	for l in "bt${NET_TAG}h" "bt${NET_TAG}i"; do
		ip link del "$l" 2>/dev/null || true
	done
	# host processes a test started (its DNS responder, its services)
	if [ -f "$T/pids" ]; then
		xargs -r kill <"$T/pids" 2>/dev/null || true
		rm -f "$T/pids"
	fi
	for n in $(b network ls --format '{{.Name}}' 2>/dev/null | grep -vx 'bridge\|host\|none'); do
		b network rm "$n" >/dev/null 2>&1 || true
	done
}

b() { "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" "$@"; }

# net NAME N [create flags]: a user network on this file's Nth spare /24,
# with a bridge of this file's.
net() {
	local name=$1 n=$2
	shift 2
	b network create --subnet "$(net_subnet "$n")" -o com.docker.network.bridge.name="$(net_bridge "$name")" "$@" "$name" >/dev/null
}

# no_port_elements [ID...]: berth's DNAT maps hold no element at all (no
# container of this file publishes a port any more), none of the IDs in
# particular.
no_port_elements() {
	local m id out
	for m in dnat4_any dnat4_ip dnat6_ip; do
		out=$(nft list map inet "$BERTH_FW_TABLE" "$m" 2>/dev/null) || continue
		for id in "$@"; do
			[[ "$out" != *"$id"* ]] || { echo "$m still has $id: $out"; return 1; }
		done
		[ "$(nft -j list map inet "$BERTH_FW_TABLE" "$m" | jq '[.nftables[].map.elem // empty] | add // [] | length')" -eq 0 ] ||
			{ echo "$m not empty: $out"; return 1; }
	done
}

# no_flows_of SUBNET(/24): no conntrack entry from or to an address of it
# but its gateway (.1).
no_flows_of() {
	local p=${1%.0/24} left
	local re
	re=$(echo "$p" | sed 's/\./\\./g')
	left=$(conntrack -L 2>/dev/null | grep -E "(src|dst)=$re\.([02-9]|[1-9][0-9]{1,2}) " || true)
	[ -z "$left" ] || { echo "conntrack entries left: $left"; return 1; }
}

ip_of() { b inspect -f "{{.NetworkSettings.Networks.$2.IPAddress}}" "$1"; }

# The firewall (NET-B) makes berth's table when a network is first used;
# until it exists the firewall answers ENOSYS and these tests skip.
need_firewall() {
	b run --rm bb true >/dev/null 2>&1 || true
	nft list tables 2>/dev/null | grep -qw "$BERTH_FW_TABLE" ||
		skip "no firewall yet (berth_fw_* answers ENOSYS until NET-B's branch is merged)"
}

@test "the default network: made on first use from BERTH_DEFAULT_BRIDGE/SUBNET, never removable" {
	run b run --rm bb ip -o -4 addr show eth0
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet 10.$NET_A.$NET_B.2/24"* ]]
	ip link show "$BERTH_DEFAULT_BRIDGE" | grep -q UP
	ip -o -4 addr show "$BERTH_DEFAULT_BRIDGE" | grep -q "10.$NET_A.$NET_B.1/24"
	run b network inspect -f '{{.Name}} {{.Driver}} {{json .IPAM.Config}}' bridge
	[ "$output" = "bridge bridge [{\"Subnet\":\"10.$NET_A.$NET_B.0/24\",\"Gateway\":\"10.$NET_A.$NET_B.1\"}]" ]
	run b network rm bridge
	[ "$status" -eq 125 ]
	[ "$output" = "berth: bridge is a pre-defined network and cannot be removed" ]
}

@test "network create/ls/inspect/rm: subnet, gateway, ip-range, internal, mtu, bridge name" {
	net n1 1 --gateway "10.$NET_A.$((NET_B + 1)).254" --ip-range "10.$NET_A.$((NET_B + 1)).128/25" -o mtu=1400 --internal
	run b network ls
	[[ "$output" == *" n1 "* ]]
	# Docker's other pre-defined networks are listed too
	run -0 b network ls --format '{{.Name}} {{.Driver}}'
	[[ "$output" == *"host host"*"none null"* ]]
	run b network rm none
	[ "$output" = "berth: none is a pre-defined network and cannot be removed" ]
	run b network ls -q
	[ "${#lines[@]}" -ge 1 ]
	run b network inspect n1
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg s "$(net_subnet 1)" --arg g "10.$NET_A.$((NET_B + 1)).254" \
		'.[0] | .Name == "n1" and .Internal and .Driver == "bridge" and (.Id | length) == 64
		and .IPAM.Config[0].Subnet == $s and .IPAM.Config[0].Gateway == $g
		and .IPAM.Config[0].IPRange == "10.'"$NET_A.$((NET_B + 1))"'.128/25"
		and .Options["com.docker.network.driver.mtu"] == "1400"'
	b run -d --name c1 --network n1 bb sleep 60
	# the range, the gateway and the MTU, seen from inside
	[ "$(ip_of c1 n1)" = "10.$NET_A.$((NET_B + 1)).128" ] || [ "$(ip_of c1 n1)" = "10.$NET_A.$((NET_B + 1)).129" ]
	run b exec c1 ip link show eth0
	[[ "$output" == *"mtu 1400"* ]]
	# internal: no default route
	run b exec c1 ip route
	[[ "$output" != *default* ]]
	ip link show "$(net_bridge n1)" | grep -q "mtu 1400"
	run b network inspect -f '{{json .Containers}}' n1
	[[ "$output" == *'"Name":"c1"'* ]]
	b rm -f c1
	b network rm n1
	! ip link show "$(net_bridge n1)" 2>/dev/null
	run b network inspect n1
	[ "$status" -eq 125 ]
	[ "$output" = "berth: network n1 not found" ]
}

@test "two containers ping each other and the gateway; stable MAC from the address" {
	b run -d --name p1 bb sleep 60
	b run -d --name p2 bb sleep 60
	ip1=$(ip_of p1 bridge)
	ip2=$(ip_of p2 bridge)
	[ "$ip1" != "$ip2" ]
	b exec p1 ping -c1 -W1 "$ip2"
	b exec p2 ping -c1 -W1 "$ip1"
	b exec p1 ping -c1 -W1 "10.$NET_A.$NET_B.1"
	# Docker's MAC: 02:42 and the IPv4 address
	mac=$(b inspect -f '{{.NetworkSettings.MacAddress}}' p1)
	[ "$mac" = "$(printf '02:42:%02x:%02x:%02x:%02x' ${ip1//./ })" ]
	run b exec p1 cat /sys/class/net/eth0/address
	[ "$output" = "$mac" ]
	# the default route and loopback
	run b exec p1 ip route
	[[ "$output" == *"default via 10.$NET_A.$NET_B.1 dev eth0"* ]]
	b exec p1 ping -c1 -W1 127.0.0.1
	# inspect: Docker's fields
	b inspect p1 | jq -e --arg ip "$ip1" '.[0].NetworkSettings | .IPAddress == $ip
		and .Gateway == "10.'"$NET_A.$NET_B"'.1" and .IPPrefixLen == 24
		and .Networks.bridge.IPAddress == $ip and (.SandboxKey | length) > 0'
}

@test "names and aliases resolve on a user network, kept current as containers come and go" {
	net app 2
	b run -d --name web --network app --network-alias www --network-alias front bb sleep 60
	b run -d --name cli --network app bb sleep 60
	web_ip=$(ip_of web app)
	run b exec cli ping -c1 -W1 web
	[ "$status" -eq 0 ]
	[[ "$output" == *"($web_ip)"* ]]
	b exec cli ping -c1 -W1 www
	b exec cli ping -c1 -W1 front
	# the earlier container learns the later one's name (hosts rewritten in place)
	b exec web ping -c1 -W1 cli
	# a third one joins, then leaves: the others' files follow
	b run -d --name late --network app bb sleep 60
	b exec web grep -w late /etc/hosts
	b rm -f late
	run b exec web cat /etc/hosts
	[[ "$output" != *late* ]]
	# the default bridge has no names, as Docker's
	b run -d --name onbridge bb sleep 60
	run b exec onbridge grep -w web /etc/hosts
	[ "$status" -ne 0 ]
}

@test "two user networks cannot see each other" {
	net left 3
	net right 4
	# a failed name lookup asks the resolver: the network's own gateway
	# (no packet to an address the test did not make)
	b run -d --name l1 --network left --dns "10.$NET_A.$((NET_B + 3)).1" bb sleep 60
	b run -d --name r1 --network right bb sleep 60
	# no name across networks
	run b exec l1 ping -c1 -W1 r1
	[ "$status" -ne 0 ]
	need_firewall
	run b exec l1 ping -c1 -W1 "$(ip_of r1 right)"
	[ "$status" -ne 0 ]
	run b exec r1 ping -c1 -W1 "$(ip_of l1 left)"
	[ "$status" -ne 0 ]
}

@test "IPv6 between two containers on an IPv6 network" {
	net six 5 --ipv6 --subnet "fd${NET_TAG:0:2}:${NET_TAG}::/64"
	b run -d --name s1 --network six bb sleep 60
	b run -d --name s2 --network six bb sleep 60
	a1=$(b inspect -f '{{.NetworkSettings.Networks.six.GlobalIPv6Address}}' s1)
	[[ "$a1" == fd* ]]
	b exec s2 ping -6 -c1 -W2 "$a1"
	b exec s2 ping -6 -c1 -W2 s1
	b exec s1 ping -c1 -W1 s2
}

@test "network connect and disconnect a running container" {
	net front 2
	net back 3
	# (a failed lookup goes to the network's own gateway, see above)
	b run -d --name srv --network front --dns "10.$NET_A.$((NET_B + 2)).1" bb sleep 60
	b run -d --name db --network back --dns "10.$NET_A.$((NET_B + 3)).1" bb sleep 60
	run b exec srv ping -c1 -W1 db
	[ "$status" -ne 0 ]
	b network connect --alias database back srv
	run b exec srv ip -o -4 addr show eth1
	[[ "$output" == *"10.$NET_A.$((NET_B + 3))."* ]]
	b exec srv ping -c1 -W1 db
	b exec db ping -c1 -W1 database
	run b network connect back srv
	[ "$status" -eq 125 ]
	b network disconnect back srv
	run b exec srv ip link show eth1
	[ "$status" -ne 0 ]
	run b exec db grep -w srv /etc/hosts
	[ "$status" -ne 0 ]
	run b network disconnect back srv
	[ "$status" -eq 125 ]
	# a network in use cannot go
	run b network rm front
	[ "$status" -eq 125 ]
	[[ "$output" == "berth: error while removing network: network front id "*" has active endpoints" ]]
	b rm -f srv db
	b network rm front back
}

@test "--ip, --mac-address, --hostname, --add-host, --dns, --dns-search, --dns-option: the /etc files" {
	net fixed 6
	want=10.$NET_A.$((NET_B + 6)).77
	b run -d --name fx --network fixed --ip "$want" --mac-address 02:aa:bb:cc:dd:ee \
		--hostname box --add-host db.local:10.9.9.9 --dns 10.$NET_A.$((NET_B + 6)).53 \
		--dns-search example.test --dns-option ndots:2 bb sleep 60
	run b exec fx ip -o -4 addr show eth0
	[[ "$output" == *"inet $want/24"* ]]
	[ "$(b exec fx cat /sys/class/net/eth0/address)" = 02:aa:bb:cc:dd:ee ]
	[ "$(b exec fx hostname)" = box ]
	[ "$(b exec fx cat /etc/hostname)" = box ]
	run b exec fx cat /etc/hosts
	[[ "$output" == *"127.0.0.1	localhost"* ]]
	[[ "$output" == *"$want	box"* ]]
	[[ "$output" == *"10.9.9.9	db.local"* ]]
	run b exec fx cat /etc/resolv.conf
	[[ "$output" == *"nameserver 10.$NET_A.$((NET_B + 6)).53"* ]]
	[[ "$output" == *"search example.test"* ]]
	[[ "$output" == *"options ndots:2"* ]]
	# the same address twice: refused, nothing left
	run b run -d --name fx2 --network fixed --ip "$want" bb sleep 60
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"address $want is already in use"* ]]
	[ "$(b ps -aq | wc -l)" -eq 1 ]
	# without --dns: the host's resolvers minus loopback ones
	b run -d --name plain bb sleep 60
	run b exec plain cat /etc/resolv.conf
	[[ "$output" != *"nameserver 127."* ]]
	grep -q '^nameserver' <<<"$output"
}

@test "--network none, host and container:NAME" {
	run b run --rm --network none bb ip -o link
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"lo:"* ]]
	run b run --rm --network host bb ip -o link show "$BERTH_DEFAULT_BRIDGE"
	[ "$status" -eq 0 ]
	b run -d --name owner bb sleep 60
	ip=$(ip_of owner bridge)
	run b run --rm --network container:owner bb ip -o -4 addr show eth0
	[[ "$output" == *"inet $ip/"* ]]
	[ "$(b inspect -f '{{.HostConfig.NetworkMode}}' owner)" = bridge ]
	run b run --rm --network container:nosuch bb true
	[ "$status" -eq 125 ]
}

@test "errors: one line, status 125, nothing left" {
	check_error() { # EXPECTED-SUBSTRING CMD...
		local want=$1
		shift
		run b "$@"
		[ "$status" -eq 125 ] || { echo "status $status for $*: $output"; return 1; }
		[ "${#lines[@]}" -eq 1 ] || { echo "lines: $output"; return 1; }
		[[ "$output" == *"$want"* ]] || { echo "output: $output"; return 1; }
	}
	check_error "invalid subnet \`10.1.2.3/33\`" network create --subnet 10.1.2.3/33 bad1
	check_error "invalid subnet \`nonsense\`" network create --subnet nonsense bad2
	check_error "invalid gateway" network create --subnet "$(net_subnet 7)" --gateway 10.250.0.1 bad3
	check_error "invalid ip-range" network create --subnet "$(net_subnet 7)" --ip-range 10.250.0.0/28 bad4
	check_error "invalid mtu" network create --subnet "$(net_subnet 7)" -o mtu=12 bad5
	[ -z "$(b network ls -q --format '{{.Name}}' | grep '^bad')" ]
	net taken 7
	check_error "network with name taken already exists" network create --subnet 10.$NET_A.$((NET_B + 6)).0/24 taken
	check_error "overlaps with network taken" network create --subnet "$(net_subnet 7)" other
	check_error "network nosuch not found" run --rm --network nosuch bb true
	check_error "not in network taken's subnet" run --rm --network taken --ip 10.250.0.9 bb true
	check_error "is the network's gateway" run --rm --network taken --ip "10.$NET_A.$((NET_B + 7)).1" bb true
	check_error "invalid -p" run --rm -p 70000:80 bb true
	check_error "invalid IPv4 address" run --rm --ip 10.1 bb true
	[ -z "$(b ps -aq)" ]
	host_net_clean "$RUNROOT"
}

@test "50 parallel run -d on one network get 50 distinct addresses" {
	net many 1
	for i in $(seq 50); do
		b run -d --network many bb sleep 120 >"$T/par.$i" 2>&1 &
	done
	wait
	run b ps -q
	[ "${#lines[@]}" -eq 50 ]
	b ps -q | while read -r id; do ip_of "$id" many; done >"$T/ips"
	[ "$(sort -u "$T/ips" | grep -c "^10\.$NET_A\.$((NET_B + 1))\.")" -eq 50 ]
	[ "$(jq 'length' "$RUNROOT/networks/many.leases")" -eq 50 ]
	ids=$(b ps -aq --no-trunc)
	b rm -f $ids >/dev/null
	host_net_clean "$RUNROOT" $ids
}

@test "port specs: -p forms in inspect, ps PORTS and berth port; a host port in use is refused" {
	b run -d --name pm -p 127.0.0.1:18081:80 -p 18082:81/udp -p 82 bb sleep 60
	run b port pm
	[[ "$output" == *"80/tcp -> 127.0.0.1:18081"* ]]
	[[ "$output" == *"81/udp -> 0.0.0.0:18082"* ]]
	[[ "$output" == *"82/tcp -> 0.0.0.0:"* ]]
	[ "$(b port pm 80)" = "127.0.0.1:18081" ]
	run b ps --format '{{.Ports}}'
	[[ "$output" == *"127.0.0.1:18081->80/tcp"* ]]
	b inspect pm | jq -e '.[0].HostConfig.PortBindings["81/udp"][0].HostPort == "18082"'
	# -P publishes what the image EXPOSEs
	b commit --change "EXPOSE 8080" pm bbexp >/dev/null
	b run -d --name pa -P bbexp sleep 60
	run b port pa
	[[ "$output" == "8080/tcp -> 0.0.0.0:"* ]]
	need_firewall
	# a port already published, or listened on, is an error before anything is made
	run b run -d --name dup -p 127.0.0.1:18081:80 bb sleep 60
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(b ps -aq | wc -l)" -eq 2 ]
}

@test "a mapped port answers from the host's loopback, its own address, another container and another namespace" {
	need_firewall
	b run -d --name www -p 3033:3000 bb httpd -f -p 3000 -h /www
	sleep 0.3
	[ "$(busybox wget -qO- http://127.0.0.1:3033/)" = hello-from-web ]
	# the host's own address on a namespace of ours: a veth pair host/"far"
	far=bt${NET_TAG}far
	ip netns add "$far"
	ip link add "bt${NET_TAG}h" type veth peer name eth0 netns "$far"
	ip addr add "10.$NET_A.$((NET_B + 5)).1/24" dev "bt${NET_TAG}h"
	ip link set "bt${NET_TAG}h" up
	ip -n "$far" addr add "10.$NET_A.$((NET_B + 5)).2/24" dev eth0
	ip -n "$far" link set eth0 up
	ip -n "$far" link set lo up
	[ "$(busybox wget -qO- "http://10.$NET_A.$((NET_B + 5)).1:3033/")" = hello-from-web ]
	# from "another machine"
	[ "$(ip netns exec "$far" busybox wget -qO- "http://10.$NET_A.$((NET_B + 5)).1:3033/")" = hello-from-web ]
	# from another container, by hairpin through the host's address
	[ "$(b run --rm bb wget -qO- "http://10.$NET_A.$((NET_B + 5)).1:3033/")" = hello-from-web ]
}

@test "a container reaches a namespace playing the internet through the masquerade; an internal network does not" {
	need_firewall
	inet=bt${NET_TAG}net
	ip netns add "$inet"
	ip link add "bt${NET_TAG}i" type veth peer name eth0 netns "$inet"
	ip addr add "10.$NET_A.$((NET_B + 4)).1/24" dev "bt${NET_TAG}i"
	ip link set "bt${NET_TAG}i" up
	ip -n "$inet" addr add "10.$NET_A.$((NET_B + 4)).2/24" dev eth0
	ip -n "$inet" link set eth0 up
	mkdir -p "$T/inet/cgi-bin"
	printf '#!/bin/sh\necho Content-Type: text/plain\necho\necho "$REMOTE_ADDR"\n' >"$T/inet/cgi-bin/ip"
	chmod +x "$T/inet/cgi-bin/ip"
	ip netns exec "$inet" busybox httpd -p "10.$NET_A.$((NET_B + 4)).2:80" -h "$T/inet"
	run b run --rm bb wget -qO- "http://10.$NET_A.$((NET_B + 4)).2/cgi-bin/ip"
	ip netns pids "$inet" | xargs -r kill
	[ "$status" -eq 0 ]
	# the internet sees the host's address, not the container's
	[ "$output" = "10.$NET_A.$((NET_B + 4)).1" ]
	net closed 6 --internal
	run b run --rm --network closed bb ping -c1 -W1 "10.$NET_A.$((NET_B + 4)).2"
	[ "$status" -ne 0 ]
	# a subnet the host routes elsewhere is refused: the host's replies to
	# the network's containers could leave by the other interface
	run b network create --subnet "$(net_subnet 4)" shadow
	[ "$status" -eq 125 ]
	[[ "$output" == *"overlaps with a route of the host"* ]]
}

@test "berth's table deleted between two runs (an admin's flush): the next run sets the network's rules up again" {
	need_firewall
	nft list chain inet "$BERTH_FW_TABLE" in-bridge >/dev/null
	nft delete table inet "$BERTH_FW_TABLE"
	# a run without -p: only the network's own check can bring the rules back
	b run --rm bb true
	nft list chain inet "$BERTH_FW_TABLE" in-bridge >/dev/null
	nft list map inet "$BERTH_FW_TABLE" fwd_in | grep -q "$BERTH_DEFAULT_BRIDGE"
	nft list chain inet "$BERTH_FW_TABLE" guard | grep -q "127.0.0.0/8"
	# and a mapped port works again
	nft delete table inet "$BERTH_FW_TABLE"
	b run -d --name w2 -p 127.0.0.1:3034:3000 bb httpd -f -p 3000 -h /www
	sleep 0.3
	[ "$(busybox wget -qO- http://127.0.0.1:3034/)" = hello-from-web ]
}

@test "only loopback resolvers on the host: the gateway answers DNS (DNAT to the host's resolver); other loopback services stay closed" {
	need_firewall
	lo=127.0.$((RANDOM % 200 + 20)).$((RANDOM % 200 + 20))
	# the host's resolv.conf, as with systemd-resolved: one loopback resolver
	echo "nameserver $lo" >"$T/resolv.conf"
	export BERTH_RESOLV_CONF=$T/resolv.conf
	rm -f "$T/dns.ready"
	python3 "$BATS_TEST_DIRNAME/../tools/dns-responder.py" "$lo" berth-dns-test.example 10.9.8.7 "$T/dns.ready" &
	echo $! >>"$T/pids"
	# and another service of the host, on loopback only
	probe="python3 $BATS_TEST_DIRNAME/../tools/netprobe.py"
	$probe serve tcp 8053 "$lo" secret &
	echo $! >>"$T/pids"
	for i in $(seq 50); do [ -f "$T/dns.ready" ] && break; sleep 0.1; done
	net dnsn 5
	gw=10.$NET_A.$((NET_B + 5)).1
	run -0 b run --rm --network dnsn bb cat /etc/resolv.conf
	[ "$output" = "nameserver $gw" ]
	# UDP: busybox nslookup through the gateway
	run -0 b run --rm --network dnsn bb nslookup berth-dns-test.example
	[[ "$output" == *"10.9.8.7"* ]] || { echo "$output"; false; }
	# TCP: a query with its length prefix, through nc
	python3 -c 'import struct,sys; q=struct.pack("!HHHHHH",0x1234,0x100,1,0,0,0)+b"\x0eberth-dns-test\x07example\x00"+struct.pack("!HH",1,1); sys.stdout.buffer.write(struct.pack("!H",len(q))+q)' >"$T/dnsq"
	run -0 b run --rm --network dnsn -v "$T/dnsq:/q:ro" bb sh -c "nc -w 2 $gw 53 </q | od -An -tx1"
	[[ "$(echo $output)" == *"0a 09 08 07"* ]] || { echo "$output"; false; }
	# the host's loopback-only service: not through the gateway ...
	run b run --rm --network dnsn bb wget -T 2 -qO- "http://$gw:8053/"
	[ "$status" -ne 0 ]
	# ... nor by routing its 127 address to the gateway (route_localnet is
	# on for the bridge): the attack works without the guard ...
	b run -d --name att --network dnsn bb sleep 60
	ns=$(b inspect -f '{{.NetworkSettings.SandboxKey}}' att)
	nsenter --net="$ns" ip addr del 127.0.0.1/8 dev lo
	nsenter --net="$ns" ip route add "$lo/32" via "$gw" dev eth0
	nsenter --net="$ns" sh -c 'echo 1 >/proc/sys/net/ipv4/conf/eth0/route_localnet'
	nft flush chain inet "$BERTH_FW_TABLE" guard
	run -0 nsenter --net="$ns" $probe ask tcp "$lo" 8053 2
	[[ "$output" == "secret from "* ]]
	# ... and fails with it (the next run sets the rules up again)
	nft delete table inet "$BERTH_FW_TABLE"
	b run --rm --network dnsn bb true
	run nsenter --net="$ns" $probe ask tcp "$lo" 8053 2
	[ "$status" -ne 0 ]
	# DNS still answers, and the network's rules go with it
	run -0 b run --rm --network dnsn bb nslookup berth-dns-test.example
	[[ "$output" == *"10.9.8.7"* ]]
	b rm -f att
	b network rm dnsn
	! nft list chain inet "$BERTH_FW_TABLE" dns-dnsn 2>/dev/null
	! nft list map inet "$BERTH_FW_TABLE" dns_in | grep -q "$(net_bridge dnsn)"
}

@test "200 run --rm cycles with -p on a user network leave no veth, namespace, lease, nft element or conntrack entry" {
	net cyc 2
	for i in $(seq 200); do
		# every 10th cycle makes a flow (the gateway's conntrack entry)
		if [ $((i % 10)) -eq 0 ]; then
			set -- ping -c1 -W1 "10.$NET_A.$((NET_B + 2)).1"
		else
			set -- true
		fi
		b run --rm --network cyc -p 127.0.0.1::80 bb "$@" || { echo "cycle $i failed"; return 1; }
	done
	[ -z "$(b ps -aq)" ]
	host_net_clean "$RUNROOT"
	no_port_elements
	no_flows_of "$(net_subnet 2)"
	[ -z "$(ip -o link show master "$(net_bridge cyc)")" ]
	[ -z "$(ip netns list | grep -v "^bt")" ] || true
}

@test "crash: kill -9 of run -d -p at random points (30 rounds), then rm -f, leaves no veth, namespace or lease" {
	net crash 3
	for i in $(seq 30); do
		b run -d --network crash -p 127.0.0.1::80 bb sh -c "ping -c1 -W1 10.$NET_A.$((NET_B + 3)).1; sleep 60" >/dev/null 2>&1 &
		pid=$!
		sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	# a run killed after it spawned the container's monitor: the monitor
	# still makes the container (its record is complete a moment later)
	for i in $(seq 50); do
		busy=
		for d in "$ROOT"/containers/*/; do
			[ -d "$d" ] && [ ! -e "$d/record.json" ] && busy=1
		done
		[ -z "$busy" ] && break
		sleep 0.1
	done
	ids=$(b ps -aq --no-trunc)
	[ -z "$ids" ] || b rm -f $ids >/dev/null
	[ -z "$(b ps -aq)" ] || { b ps -a; false; }
	host_net_clean "$RUNROOT" $ids
	no_port_elements $ids
	no_flows_of "$(net_subnet 3)"
	[ -z "$(ip -o link show master "$(net_bridge crash)")" ] || {
		sleep 2
		[ -z "$(ip -o link show master "$(net_bridge crash)")" ]
	}
	b network rm crash
}

@test "after a reboot (RUNROOT, bridge and leases gone) start makes the network again, same addresses" {
	net rb 4
	b run -d --name r1 --network rb bb sleep 60
	b run -d --name r2 --network rb bb sleep 60
	ip1=$(ip_of r1 rb)
	ip2=$(ip_of r2 rb)
	b stop -t 0 r1 r2
	# what a reboot takes: the namespaces, the leases, the bridge
	for f in "$RUNROOT"/netns/*; do umount "$f" && rm -f "$f"; done
	rm -f "$RUNROOT"/networks/*
	ip link del "$(net_bridge rb)"
	b start r1 r2
	[ "$(ip_of r1 rb)" = "$ip1" ]
	[ "$(ip_of r2 rb)" = "$ip2" ]
	b exec r1 ping -c1 -W1 r2
	b exec r2 ping -c1 -W1 "10.$NET_A.$((NET_B + 4)).1"
	ids=$(b ps -aq --no-trunc)
	b rm -f r1 r2
	host_net_clean "$RUNROOT" $ids
}

@test "run -d --rm: berth-monitor hands the removal to berth rm, which undoes the network; network prune" {
	net gone 5
	id=$(b run -d --rm --network gone bb sleep 0.3)
	for i in $(seq 50); do
		[ -z "$(b ps -aq)" ] && break
		sleep 0.1
	done
	[ -z "$(b ps -aq)" ]
	host_net_clean "$RUNROOT" "$id"
	# prune removes unused user networks, never the default one
	net unused 6
	b run -d --name keep --network gone bb sleep 60
	run b network prune -f
	[ "$status" -eq 0 ]
	[[ "$output" == *unused* ]]
	[[ "$output" != *gone* ]]
	run b network ls --format '{{.Name}}'
	[[ "$output" == *gone* ]]
	[[ "$output" != *unused* ]]
	! ip link show "$(net_bridge unused)" 2>/dev/null
}
