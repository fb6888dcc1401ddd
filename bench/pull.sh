#!/bin/sh
# `berth pull` against `podman pull` (overlay storage) and `skopeo copy` to a
# directory, each from an empty store, for a Debian bookworm image (minbase,
# about 200 MB unpacked) in one layer and in five, served by a local
# docker-registry on 127.0.0.1; and the time from an empty store to the end
# of the first `berth run --rm --network none IMAGE true`.  Medians of N runs.
#
#   bench/pull.sh [N]      (root; default N=3)
#
# The rootfs comes from debootstrap (Debian's archive must be reachable the
# first time) and is cached in $BENCH_CACHE (default /var/cache/berth-bench).
set -eu
N=${1:-3}
HERE=$(cd "$(dirname "$0")/.." && pwd)
BERTH=${BERTH:-$HERE/build/berth}
CACHE=${BENCH_CACHE:-/var/cache/berth-bench}
T=$(mktemp -d /tmp/berth-bench-pull.XXXXXX)
REG_PID=
cleanup() {
	[ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null
	awk -v t="$T/" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l
	rm -rf "$T"
	# the engine's parent cgroup (kept while containers use it, as /docker)
	rmdir /sys/fs/cgroup/*/berth /sys/fs/cgroup/berth 2>/dev/null || true
}
trap cleanup EXIT
trap "exit 1" INT TERM HUP PIPE

if [ ! -x "$CACHE/rootfs/bin/bash" ]; then
	mkdir -p "$CACHE"
	echo "debootstrap bookworm (minbase) into $CACHE/rootfs ..." >&2
	debootstrap --variant=minbase bookworm "$CACHE/rootfs" http://deb.debian.org/debian >"$CACHE/debootstrap.log" 2>&1
fi
R=$CACHE/rootfs

# the layers: one, or five (the rest / usr minus lib and share / the
# multiarch libraries / the rest of usr/lib / usr/share)
mkdir -p "$T/l"
tar -C "$R" --numeric-owner -cf "$T/l/all.tar" .
tar -C "$R" --numeric-owner --exclude=./usr -cf "$T/l/1.tar" .
tar -C "$R" --numeric-owner --exclude=./usr/lib --exclude=./usr/share -cf "$T/l/2.tar" ./usr
tar -C "$R" --numeric-owner -cf "$T/l/3.tar" ./usr/lib/x86_64-linux-gnu
tar -C "$R" --numeric-owner --exclude=./usr/lib/x86_64-linux-gnu -cf "$T/l/4.tar" ./usr/lib
tar -C "$R" --numeric-owner -cf "$T/l/5.tar" ./usr/share
python3 "$HERE/bench/oci-from-tars.py" "$T/one" "$T/l/all.tar"
python3 "$HERE/bench/oci-from-tars.py" "$T/five" "$T/l/1.tar" "$T/l/2.tar" "$T/l/3.tar" "$T/l/4.tar" "$T/l/5.tar"
rm -rf "$T/l"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$T/reg"
cat >"$T/reg.yml" <<EOF2
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $T/reg
http:
  addr: 127.0.0.1:$PORT
EOF2
docker-registry serve "$T/reg.yml" >"$T/reg.log" 2>&1 &
REG_PID=$!
sleep 1
REG=127.0.0.1:$PORT
skopeo copy -q --dest-tls-verify=false "oci:$T/one:latest" "docker://$REG/bench/debian:one"
skopeo copy -q --dest-tls-verify=false "oci:$T/five:latest" "docker://$REG/bench/debian:five"
printf '{"registries": {"%s": {"insecure": true}}}\n' "$REG" >"$T/registries.json"
export BERTH_REGISTRIES_CONF=$T/registries.json

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# time_ms PREP CMD...: PREP (empty the store) untimed, then CMD timed
time_ms() {
	prep=$1
	shift
	sh -c "$prep"
	sync
	s=$(now_ms)
	"$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
	echo $(($(now_ms) - s))
}

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

pm() {
	TMPDIR=$T/pmtmp podman --root "$T/pm" --runroot "$T/pmrun" --storage-driver overlay \
		--cgroup-manager cgroupfs --events-backend none "$@"
}
pm_reset() { echo "podman --root $T/pm --runroot $T/pmrun --storage-driver overlay rmi -af >/dev/null 2>&1; rm -rf $T/pm $T/pmrun; mkdir -p $T/pmtmp"; }

printf '%-6s %10s %10s %10s %8s %8s %14s\n' image berth_ms podman_ms skopeo_ms b/podman b/skopeo first_run_ms
for tag in one five; do
	img=$REG/bench/debian:$tag
	bt= pt= st= rt=
	i=0
	while [ $i -lt "$N" ]; do
		bt="$bt $(time_ms "rm -rf $T/b" "$BERTH" --root "$T/b" pull -q "$img")"
		pt="$pt $(time_ms "$(pm_reset)" pm pull -q --tls-verify=false "$img")"
		st="$st $(time_ms "rm -rf $T/dir" skopeo copy -q --src-tls-verify=false "docker://$img" "dir:$T/dir")"
		rt="$rt $(time_ms "rm -rf $T/r $T/rr" "$BERTH" --root "$T/r" --runroot "$T/rr" run --rm --network none "$img" true)"
		i=$((i + 1))
	done
	b=$(echo $bt | tr ' ' '\n' | median)
	p=$(echo $pt | tr ' ' '\n' | median)
	s=$(echo $st | tr ' ' '\n' | median)
	r=$(echo $rt | tr ' ' '\n' | median)
	printf '%-6s %10s %10s %10s %8s %8s %14s\n' "$tag" "$b" "$p" "$s" \
		"$(awk -v a="$b" -v c="$p" 'BEGIN {printf "%.2f", a / c}')" \
		"$(awk -v a="$b" -v c="$s" 'BEGIN {printf "%.2f", a / c}')" "$r"
done
rm -rf "$T/b" "$T/r" "$T/rr" "$T/dir"
pm_reset >/dev/null
