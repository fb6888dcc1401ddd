# Shared by firewall.bats and firewall_docker.bats: a test topology built
# with `ip` (tests may use it; berth's start path may not), entirely inside
# network namespaces the file creates, so that nothing the tests do (nft
# tables, sysctls, dockerd's rules) touches the real host's network.
#
#   HOST   a netns playing the host: lo, the bridges, a link with the
#          host's own address, veths to OTHER and INET.  berth-fw and dockerd
#          run in it.
#   C1 C2 C4  "containers" on bridge BR1 (network n1), C3 on BR2 (n2),
#          CI on BRI (n3, internal)
#   OTHER  "another machine", reaching the host at $OTHER_HOST_IP
#   INET   "the internet", behind the host at $INET_HOST_IP
# Addresses are 10.2xx.$S.0 with a random S; names end in a random suffix.

FW="${BERTH_FW:-$BATS_TEST_DIRNAME/../../build/berth-fw}"
PROBE="/usr/bin/python3 $BATS_TEST_DIRNAME/../tools/netprobe.py"

fw_names() {
	local r=$1
	export R=$r T=bft$r
	export HOST=bfh$r C1=bfc1$r C2=bfc2$r C3=bfc3$r C4=bfc4$r CI=bfci$r OTHER=bfo$r INET=bfi$r
	export BR1=bfb1$r BR2=bfb2$r BRI=bfbi$r DUM=bfd$r
	export S=$((RANDOM % 200 + 20))
	export N1=10.201.$S N2=10.202.$S NI=10.206.$S
	export OTHER_HOST_IP=10.203.$S.1 OTHER_IP=10.203.$S.2
	export INET_HOST_IP=10.204.$S.1 INET_IP=10.204.$S.2
	export HOST_IP=10.205.$S.1
}

H() { ip netns exec "$HOST" "$@"; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# ask NS PROTO ADDR PORT: the answer of netprobe's server, or failure.
ask() { in_ns "$1" $PROBE ask "$2" "$3" "$4" "${5:-2}" ${6:-}; }

# A "container": netns NS on bridge BR with ADDR/24, default route via GW.
fw_container() {
	local ns=$1 br=$2 addr=$3 gw=$4 hostif=v${1#bf}
	ip netns add "$ns"
	ip -n "$HOST" link add "$hostif" type veth peer name eth0 netns "$ns"
	ip -n "$HOST" link set "$hostif" master "$br" up
	# as the engine does (as Docker does): with br_netfilter loaded, a
	# container reaching its own published port is DNATed at the bridge
	# and sent back out of the port it came in by
	ip -n "$HOST" link set "$hostif" type bridge_slave hairpin on
	ip -n "$ns" addr add "$addr/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" link set lo up
	ip -n "$ns" route add default via "$gw"
}

# A machine next to the host: netns NS joined by a veth, NS_IP/30 and
# HOST_SIDE_IP/30.
fw_peer() {
	local ns=$1 hostif=$2 host_ip=$3 ns_ip=$4
	ip netns add "$ns"
	ip -n "$HOST" link add "$hostif" type veth peer name eth0 netns "$ns"
	ip -n "$HOST" addr add "$host_ip/30" dev "$hostif"
	ip -n "$HOST" link set "$hostif" up
	ip -n "$ns" addr add "$ns_ip/30" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" link set lo up
}

fw_bridge() {
	ip -n "$HOST" link add "$1" type bridge
	ip -n "$HOST" addr add "$2/24" dev "$1"
	ip -n "$HOST" link set "$1" up
}

# Start netprobe's server in NS (PROTO PORT [ADDR [NAME]]); its PID goes to the
# file's list, which teardown kills.
fw_serve() {
	local ns=$1 proto=$2 port=$3
	in_ns "$ns" setsid sh -c 'echo $$ >>"$0"; exec "$@"' "$BATS_FILE_TMPDIR/pids" \
		$PROBE serve "$proto" "$port" ${4:-} ${5:-} </dev/null >/dev/null 2>&1 3>&- &
}

# Wait until a TCP server in NS answers on ADDR PORT.
fw_wait_tcp() {
	for _ in $(seq 50); do
		ask "$1" tcp "$2" "$3" 1 >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "server $1 $2:$3 did not come up" >&2
	return 1
}

# Wait until NS has a UDP socket bound to PORT.
fw_wait_udp() {
	for _ in $(seq 50); do
		in_ns "$1" ss -Hlun "sport = :$2" | grep -q . && return 0
		sleep 0.1
	done
	echo "udp server $1 :$2 did not come up" >&2
	return 1
}

fw_topology() {
	ip netns add "$HOST"
	ip -n "$HOST" link set lo up
	fw_bridge "$BR1" "$N1.1"
	fw_bridge "$BR2" "$N2.1"
	fw_bridge "$BRI" "$NI.1"
	# the host's own address, on a link of its own (a veth pair: this
	# kernel has no dummy driver)
	ip -n "$HOST" link add "$DUM" type veth peer name "${DUM}p"
	ip -n "$HOST" addr add "$HOST_IP/32" dev "$DUM"
	ip -n "$HOST" link set "${DUM}p" up
	ip -n "$HOST" link set "$DUM" up
	fw_container "$C1" "$BR1" "$N1.2" "$N1.1"
	fw_container "$C2" "$BR1" "$N1.3" "$N1.1"
	fw_container "$C4" "$BR1" "$N1.4" "$N1.1"
	fw_container "$C3" "$BR2" "$N2.2" "$N2.1"
	fw_container "$CI" "$BRI" "$NI.2" "$NI.1"
	fw_peer "$OTHER" "ho$R" "$OTHER_HOST_IP" "$OTHER_IP"
	ip -n "$OTHER" route add default via "$OTHER_HOST_IP"
	# INET has no route back to the containers' subnets: only the
	# masquerade can make its answers arrive.
	fw_peer "$INET" "hi$R" "$INET_HOST_IP" "$INET_IP"
	# the containers' servers, and the internet's
	fw_serve "$C1" tcp 80
	fw_serve "$C1" udp 81
	fw_serve "$C3" tcp 80
	fw_serve "$CI" tcp 80
	fw_serve "$INET" tcp 8000
	fw_wait_tcp "$C1" 127.0.0.1 80 && fw_wait_tcp "$C3" 127.0.0.1 80 &&
		fw_wait_tcp "$INET" 127.0.0.1 8000 && fw_wait_udp "$C1" 81
}

# Remove everything the file made; safe to run twice and after a failed
# setup.  Deleting the namespaces removes their links, tables and sysctls.
fw_cleanup() {
	if [ -f "$BATS_FILE_TMPDIR/pids" ]; then
		while read -r pid; do kill "$pid" 2>/dev/null; done <"$BATS_FILE_TMPDIR/pids"
		rm -f "$BATS_FILE_TMPDIR/pids"
	fi
	for ns in "$C1" "$C2" "$C3" "$C4" "$CI" "$OTHER" "$INET" "$HOST"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -f "/run/berth-fw-$T.lock"
	return 0
}
