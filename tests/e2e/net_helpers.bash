# Networking settings for tests that run berth containers: every file gets
# its own default bridge (bt + random), its own 10.x.y.0/24 subnets and its
# own nftables table, so that no test touches berth0, 172.17.0.0/16 or a
# real berth's rules.  Source it, call net_test_env in setup_file and
# net_test_cleanup in teardown_file.

# net_test_env: export BERTH_DEFAULT_BRIDGE, BERTH_DEFAULT_SUBNET,
# BERTH_FW_TABLE, and NET_TAG (a short random tag) and NET_PREFIX ("10.a.b",
# a /24 for the default network; net_subnet N gives more).
net_test_env() {
	local a b i
	NET_TAG=$(printf '%04x' $((RANDOM % 65536)))
	for i in $(seq 50); do
		a=$((RANDOM % 200 + 20))
		b=$((RANDOM % 32 * 8))
		# 8 consecutive /24s, none routed on the host
		ip -4 route show | grep -q "^10\.$a\.$((b / 8 * 8))\." && continue
		ip -4 route show | grep -q "^10\.$a\.0\.0/16\|^10\.0\.0\.0/8" && continue
		break
	done
	export NET_TAG NET_A=$a NET_B=$b
	export BERTH_DEFAULT_BRIDGE=bt${NET_TAG}d
	export BERTH_DEFAULT_SUBNET=10.$a.$b.0/24
	export BERTH_FW_TABLE=bt${NET_TAG}
}

# net_subnet N (1..7): the Nth spare /24 of this file ("10.a.b+N.0/24").
net_subnet() { echo "10.$NET_A.$((NET_B + $1)).0/24"; }
# net_bridge NAME: a bridge name of this file (bt<tag><name>, 15 chars max).
net_bridge() { echo "bt${NET_TAG}$1"; }

# Everything of this file's tag: bridges, veths of removed containers are
# the kernel's once their namespace is gone; the nftables table.
net_test_cleanup() {
	[ -n "${NET_TAG:-}" ] || return 0
	local l
	for l in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^bt${NET_TAG}"); do
		ip link del "$l" 2>/dev/null || true
	done
	nft delete table inet "$BERTH_FW_TABLE" 2>/dev/null || true
	nft delete table ip "$BERTH_FW_TABLE" 2>/dev/null || true
	nft delete table ip6 "$BERTH_FW_TABLE" 2>/dev/null || true
	return 0
}

# host_net_clean RUNROOT [ID...]: no berth netns mount or lease is left, and
# no veth of the IDs (veths go with their namespace, in the background:
# wait a little for them).
host_net_clean() {
	local run=$1 i id left
	shift
	for i in $(seq 50); do
		left=
		for id in "$@"; do
			ip link show "vb${id:0:11}0" >/dev/null 2>&1 && left="$left vb${id:0:11}0"
		done
		[ -z "$left" ] && break
		sleep 0.1
	done
	[ -z "$left" ] || { echo "veths left:$left"; return 1; }
	if [ -d "$run/netns" ] && [ -n "$(ls -A "$run/netns")" ]; then
		echo "netns left: $(ls -A "$run/netns")"
		return 1
	fi
	! grep -qs '"owner"' "$run"/networks/*.leases || { echo "leases left: $(cat "$run"/networks/*.leases)"; return 1; }
	! awk -v r="$run/netns/" 'index($5, r) == 1' /proc/self/mountinfo | grep . || { echo "netns mounts left"; return 1; }
	return 0
}
