#!/usr/bin/env bats
# berth's firewall while Debian's docker.io runs: dockerd sets the policy of
# iptables' filter FORWARD chain (with iptables-nft: the nft base chain
# `table ip filter` FORWARD) to drop, which drops what berth's own table
# accepted.  The file starts its own dockerd in the netns that plays the host
# (tests/e2e/fw_helpers.bash; nsenter, not `ip netns exec`, so that dockerd
# keeps the host's cgroup mounts), with its own data root, exec root, pid
# file and socket, and stops it by PID; deleting the netns removes docker0
# and Docker's tables.  It shows that berth's traffic is dropped without its
# one DOCKER-USER rule, and passes with it; the last test does the same
# through the engine (build/berth run -d -p, run inside that netns with its
# own store, runroot, table and bridge).

bats_require_minimum_version 1.5.0
load fw_helpers

stop_dockerd() {
	local pid
	pid=$(cat "$DOCKER_DIR/docker.pid" 2>/dev/null) || pid=${DOCKERD_PID:-}
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null
	# its containerd (a child it normally stops itself)
	local cpid
	cpid=$(cat "$DOCKER_DIR/exec/containerd/containerd.pid" 2>/dev/null) &&
		kill -9 "$cpid" 2>/dev/null
	return 0
}

# The engine (build/berth) run in the netns playing the host, with its own
# store, runroot, table and bridge.
ENGINE="${BERTH:-$BATS_TEST_DIRNAME/../../build/berth}"
E() {
	nsenter --net="/run/netns/$HOST" env BERTH_FW_TABLE="${T}e" BERTH_DEFAULT_BRIDGE="bfe0$R" \
		BERTH_DEFAULT_SUBNET="10.209.$S.0/24" "$ENGINE" --root "$DOCKER_DIR/broot" \
		--runroot "$DOCKER_DIR/brun" "$@"
}

# What the engine made (its containers, its network, with that its table
# and DOCKER-USER rule), also when a test failed.
engine_cleanup() {
	if [ -n "${DOCKER_DIR:-}" ] && [ -d "$DOCKER_DIR/broot" ]; then
		E rm -f $(E ps -aq 2>/dev/null) >/dev/null 2>&1
		E network rm en >/dev/null 2>&1
		rm -f "/run/berth-fw-${T}e.lock"
	fi
	return 0
}

# An HTTP GET from NS (busybox wget crashes in these namespaces).
http_get() {
	in_ns "$1" python3 -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])).read().decode().strip())' "$2" "${3:-2}"
}

teardown() { engine_cleanup; }

cleanup_all() {
	engine_cleanup
	[ -n "${DOCKER_DIR:-}" ] && stop_dockerd
	fw_cleanup
	if [ -n "${DOCKER_DIR:-}" ] && [ -d "$DOCKER_DIR" ]; then
		grep -o " $DOCKER_DIR[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
		rm -rf "$DOCKER_DIR"
	fi
	# The engine's parent cgroup, kept as Docker's /docker is: gone with the
	# last container (rmdir fails while another file's container is in it).
	rmdir /sys/fs/cgroup/*/berth /sys/fs/cgroup/berth 2>/dev/null || true
	return 0
}

setup_file() {
	[ "$(id -u)" -eq 0 ] || { echo "must run as root" >&2; return 1; }
	[ -x "$FW" ] || { echo "build/berth-fw is missing" >&2; return 1; }
	command -v dockerd >/dev/null || skip "dockerd (docker.io) is not installed"
	fw_names "$(printf %04x $((RANDOM)))"
	export DOCKER_DIR
	DOCKER_DIR=$(mktemp -d /tmp/berth-fw-docker.XXXXXX)
	fw_topology || { cleanup_all; return 1; }
	# Docker sets the drop policy only when it turns forwarding on itself
	H sh -c 'echo 0 > /proc/sys/net/ipv4/ip_forward'
	nsenter --net="/run/netns/$HOST" setsid dockerd --data-root "$DOCKER_DIR/data" \
		--exec-root "$DOCKER_DIR/exec" --pidfile "$DOCKER_DIR/docker.pid" \
		-H "unix://$DOCKER_DIR/docker.sock" --bip "10.207.$S.1/24" \
		</dev/null >"$DOCKER_DIR/dockerd.log" 2>&1 3>&- &
	export DOCKERD_PID=$!
	for _ in $(seq 300); do
		H nft list chain ip filter DOCKER-USER >/dev/null 2>&1 &&
			H nft list chain ip filter FORWARD 2>/dev/null | grep -q "policy drop" && break
		sleep 0.1
	done
	H nft list chain ip filter FORWARD | grep -q "policy drop" ||
		{ tail -20 "$DOCKER_DIR/dockerd.log" >&2; cleanup_all; return 1; }
	H "$FW" -t "$T" setup n1 "$BR1" -4 "$N1.0/24" &&
		H "$FW" -t "$T" add n1 c1 "tcp,,18080,$N1.2,80" "udp,,18081,$N1.2,81" ||
		{ cleanup_all; return 1; }
}

teardown_file() { cleanup_all; }

# The berth rule in DOCKER-USER: its handle, or nothing.
berth_rule_handle() {
	H nft -a list chain ip filter DOCKER-USER | sed -n "s/.*comment \"berth:$T\" # handle \([0-9]*\)$/\1/p"
}

@test "Docker's FORWARD chain drops by policy; berth adds one rule to DOCKER-USER and nothing else" {
	run -0 H nft list chain ip filter FORWARD
	[[ "$output" == *"policy drop"* ]]
	run -0 H nft list chain ip filter DOCKER-USER
	[ "$(grep -c "berth:$T" <<<"$output")" = 1 ]
	# a rule iptables-nft can still read and show (Docker runs iptables)
	run -0 H iptables -S DOCKER-USER
	[[ "$output" == *"-m mark --mark 0x1000000/0x1000000"*"-j ACCEPT"* ]]
	# berth's table and Docker's, nothing else
	run -0 H nft list tables
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "table inet $T table ip filter table ip nat " ]
	# a second setup does not add a second rule
	H "$FW" -t "$T" setup n1 "$BR1" -4 "$N1.0/24"
	[ "$(berth_rule_handle | wc -l)" = 1 ]
}

@test "without the DOCKER-USER rule Docker's policy drops berth's traffic; with it, ports and masquerade work" {
	# weakened: the rule removed
	H nft delete rule ip filter DOCKER-USER handle "$(berth_rule_handle)"
	run ! ask "$OTHER" tcp "$OTHER_HOST_IP" 18080 1
	run ! ask "$OTHER" udp "$OTHER_HOST_IP" 18081 1
	run ! ask "$C1" tcp "$INET_IP" 8000 1
	# berth puts it back on its next setup (or ports add)
	H "$FW" -t "$T" add n1 c1 "tcp,,18080,$N1.2,80" "udp,,18081,$N1.2,81"
	[ -n "$(berth_rule_handle)" ]
	run -0 ask "$OTHER" tcp "$OTHER_HOST_IP" 18080
	[ "$output" = "from $OTHER_IP" ]
	run -0 ask "$OTHER" udp "$OTHER_HOST_IP" 18081
	[ "$output" = "from $OTHER_IP" ]
	run -0 ask "$C1" tcp "$INET_IP" 8000
	[ "$output" = "from $INET_HOST_IP" ]
	run -0 ask "$HOST" tcp 127.0.0.1 18080
	run -0 ask "$HOST" tcp "$HOST_IP" 18080
	run -0 ask "$C2" tcp "$HOST_IP" 18080
	# container to container on the bridge (br_netfilter puts bridged
	# traffic through the same FORWARD chain)
	run -0 ask "$C2" tcp "$N1.2" 80
}

@test "berth's isolation still holds under Docker: other networks and unpublished ports stay closed" {
	H "$FW" -t "$T" setup n2 "$BR2" -4 "$N2.0/24"
	run ! ask "$C3" tcp "$N1.2" 80 1
	run ! ask "$OTHER" tcp "$N1.2" 80 1
	H "$FW" -t "$T" teardown n2
}

@test "the last teardown removes berth's table and its DOCKER-USER rule, and leaves Docker's alone" {
	H "$FW" -t "$T" teardown n1
	[ -z "$(berth_rule_handle)" ]
	run -0 H nft list tables
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "table ip filter table ip nat " ]
	run -0 H iptables -S FORWARD
	[[ "$output" == *"-j DOCKER-USER"* ]]
}

@test "through the engine: berth run -d -p answers another machine and reaches the internet under Docker's drop policy" {
	[ -x "$ENGINE" ] || skip "build/berth is missing"
	mkdir -p "$DOCKER_DIR/rfs/bin" "$DOCKER_DIR/rfs/www"
	cp /bin/busybox "$DOCKER_DIR/rfs/bin/"
	for a in sh httpd nc; do ln -sf busybox "$DOCKER_DIR/rfs/bin/$a"; done
	echo hello-from-berth >"$DOCKER_DIR/rfs/www/index.html"
	tar -C "$DOCKER_DIR/rfs" -cf "$DOCKER_DIR/rfs.tar" .
	E import "$DOCKER_DIR/rfs.tar" bb >/dev/null
	E network create --subnet "10.208.$S.0/24" -o com.docker.network.bridge.name="bfe$R" en
	E run -d --name web --network en -p 18090:80 bb httpd -f -p 80 -h /www
	# Docker's policy is in place, and berth's rule for its engine table
	run -0 H nft list chain ip filter FORWARD
	[[ "$output" == *"policy drop"* ]]
	rule() { H nft -a list chain ip filter DOCKER-USER | sed -n "s/.*comment \"berth:${T}e\" # handle \([0-9]*\)$/\1/p"; }
	[ -n "$(rule)" ]
	for _ in $(seq 30); do http_get "$OTHER" "http://$OTHER_HOST_IP:18090/" 1 >/dev/null 2>&1 && break; sleep 0.1; done
	# "another machine", through the DNAT of the host's address
	run -0 http_get "$OTHER" "http://$OTHER_HOST_IP:18090/"
	[ "$output" = hello-from-berth ]
	# "the internet", through the masquerade: it sees the host's address
	run -0 E run --rm --network en bb sh -c "nc -w 2 $INET_IP 8000 </dev/null"
	[ "$output" = "from $INET_HOST_IP" ]
	# weakened: berth's DOCKER-USER rule gone (as when dockerd starts after
	# berth's network was set up), Docker's policy drops both ways ...
	[ -z "$(berth_rule_handle)" ] # (the berth-fw tests' rule went with their table)
	H nft delete rule ip filter DOCKER-USER handle "$(rule)"
	run ! http_get "$OTHER" "http://$OTHER_HOST_IP:18090/" 1
	# ... and the next run finds it missing and puts it back
	run -0 E run --rm --network en bb sh -c "nc -w 2 $INET_IP 8000 </dev/null"
	[ "$output" = "from $INET_HOST_IP" ]
	[ -n "$(rule)" ]
	run -0 http_get "$OTHER" "http://$OTHER_HOST_IP:18090/"
	[ "$output" = hello-from-berth ]
	# removed with the network: its table and its DOCKER-USER rule
	E rm -f web
	E network rm en
	[ -z "$(rule)" ]
	! H nft list table inet "${T}e" 2>/dev/null
}
