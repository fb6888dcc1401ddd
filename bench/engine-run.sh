#!/bin/sh
# `berth run --rm IMAGE true` against `podman run --rm` with the same
# busybox image (imported into both), --network none, Podman with runc and
# with crun; and the resident memory of one detached container's monitor
# next to Podman's conmon.  Everything in a temp dir; medians of N runs.
#
#   bench/engine-run.sh [N]     (root; default N=20)
set -eu
N=${1:-20}
HERE=$(cd "$(dirname "$0")/.." && pwd)
BERTH=${BERTH:-$HERE/build/berth}
T=$(mktemp -d /tmp/berth-bench-engine.XXXXXX)
# berth's default network is the bench's own (never berth0 or 172.17/16).
export BERTH_DEFAULT_BRIDGE=bbench$$ BERTH_DEFAULT_SUBNET=10.254.$(($$ % 250)).0/24 BERTH_FW_TABLE=bbench$$
cleanup() {
	"$BERTH" --root "$T/root" --runroot "$T/run" rm -f $("$BERTH" --root "$T/root" --runroot "$T/run" ps -aq) >/dev/null 2>&1 || true
	pmc rm -af -t 0 >/dev/null 2>&1 || true
	pmc rmi -af >/dev/null 2>&1 || true
	awk -v t="$T/" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l
	rm -rf "$T"
	# the engine's parent cgroup (kept while containers use it, as /docker)
	rmdir /sys/fs/cgroup/*/berth /sys/fs/cgroup/berth 2>/dev/null || true
	ip link del "$BERTH_DEFAULT_BRIDGE" 2>/dev/null || true
	nft delete table inet "$BERTH_FW_TABLE" 2>/dev/null || true
}
trap cleanup EXIT
trap "exit 1" INT TERM HUP PIPE
pmc() {
	TMPDIR=$T/pm/tmp podman --root "$T/pm/root" --runroot "$T/pm/run" --storage-driver vfs \
		--cgroup-manager cgroupfs --events-backend none "$@"
}
b() { "$BERTH" --root "$T/root" --runroot "$T/run" "$@"; }

mkdir -p "$T/rfs/bin" "$T/pm/tmp"
cp /bin/busybox "$T/rfs/bin/"
for c in sh true sleep; do ln -s busybox "$T/rfs/bin/$c"; done
tar -C "$T/rfs" -cf "$T/rfs.tar" .
b import "$T/rfs.tar" bench >/dev/null
pmc import -q "$T/rfs.tar" localhost/bench:latest >/dev/null

# median wall time in ms of N runs of "$@", after two untimed runs (caches
# filled: berth's compiled seccomp profile, Podman's storage) and a sync,
# so that one contender's writeback is not charged to the next
median_ms() {
	"$@" >/dev/null 2>&1 || true
	"$@" >/dev/null 2>&1 || true
	sync
	i=0
	while [ $i -lt "$N" ]; do
		s=$(date +%s%N)
		"$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
		e=$(date +%s%N)
		echo $(((e - s) / 1000))
		i=$((i + 1))
	done | sort -n | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.1f\n", m / 1000}'
}

UL="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
tb=$(median_ms b run --rm --network none bench true)
tbr=$(median_ms b run --rm bench true)
trunc=$(median_ms pmc run --rm --network none --runtime runc $UL localhost/bench true)
tcrun=$(median_ms /work/shared/tools/cgroup-v1-only podman --root "$T/pm/root" --runroot "$T/pm/run" \
	--storage-driver vfs --cgroup-manager cgroupfs --events-backend none \
	run --rm --network none --runtime crun $UL localhost/bench true) || tcrun=n/a
echo "run --rm true, median of $N (ms):"
echo "  berth            $tb   (--network none, as Podman below)"
echo "  berth, bridge    $tbr   (the default network: netns, veth, lease, /etc files)"
echo "  podman (runc)    $trunc   ratio berth/podman $(echo "$tb $trunc" | awk '{printf "%.3f", $1/$2}')"
if [ "$tcrun" != n/a ]; then
	echo "  podman (crun)    $tcrun   ratio berth/podman $(echo "$tb $tcrun" | awk '{printf "%.3f", $1/$2}')"
else
	echo "  podman (crun)    failed"
fi

# one detached container each: monitor vs conmon
id=$(b run -d bench sleep 60)
pid=$(pgrep -f -- "--runroot $T/run monitor $id")
pmc run -d --network none --runtime runc $UL localhost/bench sleep 60 >/dev/null
cpid=$(pgrep -f -- "conmon .*$T/pm" | head -1)
sleep 1
mem() { printf "RSS %5s kB  PSS %5s kB  private %5s kB" "$(ps -o rss= -p "$1" | tr -d ' ')" \
	"$(awk '/^Pss:/ {print $2}' /proc/"$1"/smaps_rollup)" \
	"$(awk '/^Private_(Clean|Dirty):/ {s += $2} END {print s}' /proc/"$1"/smaps_rollup)"; }
echo "per-container monitor:"
echo "  berth-monitor  $(mem "$pid")"
echo "  conmon         $(mem "$cpid")"
b rm -f "$id" >/dev/null
pmc rm -af -t 0 >/dev/null 2>&1

# M detached sleep containers each: wall time, monitor memory per container
M=${2:-100}
sum_mem() { # PIDS... -> "RSS PSS" totals in kB
	for p in "$@"; do
		echo "$(ps -o rss= -p "$p") $(awk '/^Pss:/ {print $2}' /proc/"$p"/smaps_rollup)"
	done | awk '{r += $1; p += $2} END {print r, p}'
}
s=$(date +%s%N)
i=0; while [ $i -lt "$M" ]; do b run -d bench sleep 600 >/dev/null; i=$((i + 1)); done
e=$(date +%s%N)
set -- $(sum_mem $(pgrep -f -- "--runroot $T/run monitor"))
echo "$M x run -d sleep:"
echo "  berth   $(((e - s) / 1000000)) ms; per container: monitor RSS $(($1 / M)) kB, PSS $(($2 / M)) kB"
s=$(date +%s%N)
i=0; while [ $i -lt "$M" ]; do pmc run -d --network none --runtime runc $UL localhost/bench sleep 600 >/dev/null; i=$((i + 1)); done
e=$(date +%s%N)
set -- $(sum_mem $(pgrep -f -- "conmon .*$T/pm"))
echo "  podman  $(((e - s) / 1000000)) ms; per container: conmon RSS $(($1 / M)) kB, PSS $(($2 / M)) kB"
