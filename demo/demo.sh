#!/bin/bash
# The seed's first steps, done by berth-runtime: a root filesystem of its own
# (busybox), its own mount, PID, UTS, IPC and network namespaces, /proc fresh,
# and nothing left on the host afterwards.  Then the same with the engine:
# an image from host programs, one `berth run` with limits and a volume,
# exec, logs, stop and rm; two containers on the bridge network pinging
# each other, by address and by name, and a web server through -p.  The
# demo's default network is its own (bridge bdemo0 on a free 10.254.x/24),
# removed at the end, so that it never touches berth0.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
rt=$top/build/berth-runtime
work=$(mktemp -d /tmp/berth-demo.XXXXXX)
root=$work/state
export BERTH_DEFAULT_BRIDGE=bdemo0 BERTH_FW_TABLE=bdemo
for x in $(seq 200 250); do
	ip -4 route show | grep -q "^10\.254\.$x\." || break
done
export BERTH_DEFAULT_SUBNET=10.254.$x.0/24
b() { "$top/build/berth" --root "$work/store" --runroot "$work/run" "$@"; }
cleanup() {
	"$rt" --root "$root" delete --force berth-demo >/dev/null 2>&1 || true
	b rm -f web c1 c2 www n1 n2 >/dev/null 2>&1 || true
	b network rm demo-net >/dev/null 2>&1 || true
	ip link del bdemo0 2>/dev/null || true
	nft delete table inet bdemo 2>/dev/null || true
	awk -v t="$work/" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l
	rm -rf "$work"
	# the engine's parent cgroup (kept while containers use it, as /docker)
	rmdir /sys/fs/cgroup/*/berth /sys/fs/cgroup/berth 2>/dev/null || true
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "a busybox root filesystem (Debian's busybox-static) in $work/bundle"
mkdir -p "$work/bundle/rootfs/bin"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$work/bundle/rootfs/bin/$a"; done
cd "$work/bundle"
"$rt" spec
# The seed's container: own hostname, a shell script as the process.
jq '.process.terminal = false | .hostname = "berth-demo" |
    .process.args = ["sh", "-c", "echo \"pid: $$  hostname: $(hostname)\"; echo processes:; ps; echo mounts:; cat /proc/self/mounts; echo network:; ip -o link"]' \
  config.json >config.new && mv config.new config.json

step "berth-runtime run berth-demo (the process is PID 1 in its own namespaces)"
"$rt" --root "$root" run berth-demo

step "lifecycle: create, state, start, delete"
jq '.process.args = ["sleep", "30"]' config.json >config.new && mv config.new config.json
"$rt" --root "$root" create berth-demo
"$rt" --root "$root" state berth-demo | jq -c '{id, status, pid}'
"$rt" --root "$root" start berth-demo
"$rt" --root "$root" state berth-demo | jq -c '{id, status, pid}'
echo "host mounts naming the container's rootfs: $(grep -c "$work" /proc/self/mountinfo || true)"
"$rt" --root "$root" kill berth-demo KILL
sleep 0.2
"$rt" --root "$root" state berth-demo | jq -c '{id, status}'
"$rt" --root "$root" delete berth-demo
"$rt" --root "$root" list

step "the engine: berth image from-host (host programs and exactly their shared libraries)"
b image from-host walkthrough
b images

step "berth run -d --name web -m 64m --cpus 0.2 -v $work/data1:/data walkthrough ..."
mkdir -p "$work/data1"
echo "written on the host" >"$work/data1/hello"
b run -d --name web -m 64m --cpus 0.2 -v "$work/data1:/data" walkthrough \
  sh -c 'cat /data/hello; echo "written in the container" >/data/reply; while :; do sleep 1; done'
b ps

step "its limits, read inside it (the seed's cfs_quota_us=20000 and a 64 MiB memory limit)"
b exec web sh -c 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/cpu.max;
  cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'

step "berth exec web ps (the walkthrough's nsenter)"
b exec web ps

step "berth logs web, and the volume seen from the host"
sleep 0.3
b logs web
cat "$work/data1/reply"

step "berth stop and rm: nothing left"
b stop -t 1 web
b rm web
b ps -a
echo "host mounts left under the demo's store: $(grep -c "$work/store" /proc/self/mountinfo || true)"

step "two containers on the default bridge network ($BERTH_DEFAULT_SUBNET on bdemo0), pinging each other"
tar -C "$work/bundle/rootfs" -cf "$work/bb.tar" .
b import "$work/bb.tar" bb >/dev/null
mkdir -p "$work/bundle/rootfs/www"
b run -d --name c1 bb sleep 60 >/dev/null
b run -d --name c2 bb sleep 60 >/dev/null
b exec c1 ip -4 -o addr show eth0
b exec c1 ping -c2 "$(b inspect -f '{{.NetworkSettings.IPAddress}}' c2)"
b exec c2 ping -c1 "$(b inspect -f '{{.NetworkSettings.Gateway}}' c2)"

step "a user network: names resolve through /etc/hosts"
x2=$((x + 1))
b network create --subnet 10.254.$x2.0/24 -o com.docker.network.bridge.name=bdemo1 demo-net >/dev/null
b run -d --name n1 --network demo-net --network-alias db bb sleep 60 >/dev/null
b run -d --name n2 --network demo-net bb sleep 60 >/dev/null
b exec n2 ping -c1 db
b network ls

step "a web server in a container: berth run -d -p 3033:3000 ... httpd"
b run -d --name www -p 3033:3000 bb sh -c 'mkdir -p /www; echo hello from the container >/www/index.html; httpd -f -p 3000 -h /www' >/dev/null
b ps
b port www
sleep 0.3
if nft list tables 2>/dev/null | grep -qw bdemo; then
	busybox wget -qO- http://127.0.0.1:3033/
else
	echo "(the port's rules need the firewall, which is not in this build yet)"
fi
b rm -f c1 c2 n1 n2 www >/dev/null
b network rm demo-net
echo "demo done"
