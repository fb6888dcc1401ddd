#!/bin/bash
# Startup benchmark: `RUNTIME run` of /bin/true on one busybox bundle, RUNS
# (default 100) rounds, for berth (build/berth-runtime), crun and runc, with
# `unshare -fpmuin --mount-proc true` as a baseline; `exec` of /bin/true into
# a running container the same way; then the peak RSS of one run of each
# runtime. Everything runs under shared/tools/cgroup-v1-only (the script
# re-execs itself there) so all runtimes see the same host.
#
# The whole measurement is done twice by default: with the runtimes' state
# (--root) on a tmpfs, as /run is on a booted system, and on disk (ext4
# under /var/tmp here), where every inode operation costs real time.  All
# runtimes get the same kind of state directory in each pass.
#
# usage (as root): bench/run-bench.sh [--state tmpfs|disk|both]
# env: RUNS=100 WARMUP=5 BERTH=path/to/berth-runtime BENCH_JSON=out.json
#      BENCH_STATE=both (same as --state)  BENCH_DISK_DIR=/var/tmp (where the
#      on-disk state goes; must not be a tmpfs)
#      BENCH_TIMER is ignored (the timer is always a plain loop)
# Ratios are of medians.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF="$REPO/bench/run-bench.sh"
# shared/ sits next to the main checkout, two levels up from a worktree
V1ONLY=
for d in "$REPO/../shared" "$REPO/../../shared" /work/shared; do
	[ -x "$d/tools/cgroup-v1-only" ] && { V1ONLY="$d/tools/cgroup-v1-only"; break; }
done

if [ -z "${BERTH_BENCH_INNER:-}" ]; then
	export BERTH_BENCH_INNER=1
	if [ -n "$V1ONLY" ]; then
		exec "$V1ONLY" bash "$SELF" "$@"
	fi
	echo "note: shared/tools/cgroup-v1-only not found, running on the host's cgroup view (crun may fail)" >&2
fi

[ "$(id -u)" -eq 0 ] || { echo "run-bench.sh must run as root" >&2; exit 1; }
for t in jq; do command -v $t >/dev/null || { echo "missing $t" >&2; exit 1; }; done

STATE_MODE=${BENCH_STATE:-both}
while [ $# -gt 0 ]; do
	case $1 in
	--state) STATE_MODE=${2:-}; shift 2 || true ;;
	--state=*) STATE_MODE=${1#--state=}; shift ;;
	*) echo "usage: run-bench.sh [--state tmpfs|disk|both]" >&2; exit 2 ;;
	esac
done
case $STATE_MODE in
tmpfs) MODES=(tmpfs) ;;
disk) MODES=(disk) ;;
both) MODES=(tmpfs disk) ;;
*) echo "--state: tmpfs, disk or both, not '$STATE_MODE'" >&2; exit 2 ;;
esac

RUNS=${RUNS:-100}
WARMUP=${WARMUP:-5}
BERTH=${BERTH:-$REPO/build/berth-runtime}
TAG="bench-$$"
WORK=$(mktemp -d /tmp/berth-bench.XXXXXX)
chmod 0755 "$WORK"
BUNDLE="$WORK/bundle"
# The runtimes' state goes on a tmpfs (as /run is on a booted system; this
# machine has no init to mount one) and then on disk, where the disk's
# metadata latency adds to every create and delete.  The tmpfs lives in the
# private mount namespace of cgroup-v1-only and goes with it.
TMPFS_STATE="$WORK/state"
mkdir -p "$TMPFS_STATE"
if [ -n "${BERTH_BENCH_INNER:-}" ]; then
	mount -t tmpfs -o size=64m berth-bench "$TMPFS_STATE" || true
fi
DISK_BASE=${BENCH_DISK_DIR:-/var/tmp}
DISK_STATE=
if [[ " ${MODES[*]} " == *" disk "* ]]; then
	DISK_STATE=$(mktemp -d "$DISK_BASE/berth-bench-state.XXXXXX") || exit 1
	if [ "$(stat -f -c %T "$DISK_STATE")" = tmpfs ]; then
		echo "note: $DISK_BASE is a tmpfs; set BENCH_DISK_DIR to a directory on disk" >&2
	fi
fi
STATE=$TMPFS_STATE

# ---------------------------------------------------------------- cleanup ----
cleanup() {
	local name id d st
	for st in "$TMPFS_STATE" $DISK_STATE; do
		for name in berth crun runc; do
			local rt
			rt=$(rt_path "$name") || continue
			[ -d "$st/root-$name" ] || continue
			for id in $(ls "$st/root-$name" 2>/dev/null); do
				id=${id%.json} # berth keeps ID.json
				timeout 20 "$rt" --root "$st/root-$name" delete --force "$id" >/dev/null 2>&1
			done
		done
	done
	# cgroups named after our containers; under cgroup-v1-only a runtime may
	# also leave plain dirs in the tmpfs beneath the unmounted cgroup2 mount
	for d in $(find /sys/fs/cgroup -mindepth 2 -maxdepth 8 -depth -type d -name "$TAG-*" 2>/dev/null); do
		case $(stat -f -c %T "$d" 2>/dev/null) in
		cgroupfs | cgroup2fs) rmdir "$d" 2>/dev/null ;;
		tmpfs) rm -rf --one-file-system "$d" ;;
		esac
	done
	umount "$TMPFS_STATE" 2>/dev/null
	rm -rf --one-file-system "$WORK"
	[ -n "$DISK_STATE" ] && rm -rf --one-file-system "$DISK_STATE"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rt_path() {
	case $1 in
	berth) [ -x "$BERTH" ] && echo "$BERTH" ;;
	*) command -v "$1" ;;
	esac
}

# ---------------------------------------------------------------- bundle -----
make_bundle() {
	local r="$BUNDLE/rootfs" a
	mkdir -p "$r"/{bin,dev,etc,proc,sys,tmp,root}
	cp /bin/busybox "$r/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
	printf 'root:x:0:\n' >"$r/etc/group"
	local spec="$WORK/spec" gen
	mkdir -p "$spec"
	for gen in runc crun "$BERTH"; do
		command -v "$gen" >/dev/null || continue
		(cd "$spec" && rm -f config.json && "$gen" spec >/dev/null 2>&1) && [ -s "$spec/config.json" ] && break
	done
	[ -s "$spec/config.json" ] || { echo "cannot generate a config.json (no runc/crun)" >&2; exit 1; }
	jq '.process.terminal = false | .process.args = ["/bin/true"]' "$spec/config.json" >"$BUNDLE/config.json"
	# probe bundle: same rootfs, exits 42 (proves the process really ran)
	mkdir -p "$WORK/probe"
	jq --arg r "$r" '.root.path = $r | .process.args = ["/bin/sh", "-c", "exit 42"]' \
		"$BUNDLE/config.json" >"$WORK/probe/config.json"
	# exec bench: a long-running container to exec /bin/true into
	mkdir -p "$WORK/sleeper"
	jq --arg r "$r" '.root.path = $r | .process.args = ["/bin/sleep", "3600"]' \
		"$BUNDLE/config.json" >"$WORK/sleeper/config.json"
}

# ---------------------------------------------------------------- measure ----
# stats FILE (one duration in seconds per line) -> "mean median min stddev" (ms)
stats() {
	sort -g "$1" | awk '{ v[NR] = $1 * 1000; s += v[NR] }
		END { m = s / NR; for (i = 1; i <= NR; i++) d += (v[i] - m) ^ 2
		      med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%.2f %.2f %.2f %.2f\n", m, med, v[1], sqrt(d / NR) }'
}

# peak RSS (KiB) of one run
peak_rss() {
	local name=$1 rt=$2
	[ -x /usr/bin/time ] || { echo "n/a (apt-get install time)"; return; }
	/usr/bin/time -f %M -o "$WORK/$name.rss" "$rt" --root "$STATE/root-$name" run --bundle "$BUNDLE" "$TAG-$name-rss" \
		>/dev/null 2>&1 </dev/null && tail -n 1 "$WORK/$name.rss" || echo failed
}

# ---------------------------------------------------------------- main -------
# Runtimes are measured round-robin (one run of each per round, the order
# rotating), never one after the other: every container leaves a network
# namespace for the kernel to tear down in the background, and that backlog
# slows whatever runs next.  Interleaving gives every runtime the same machine.

# one_run NAME I: time one `run` (or the unshare baseline) into NAME.times.
# Nothing but the command itself between the two clock reads: the path is
# looked up before (a $(...) there is a fork of bash, ~1 ms), and unshare
# gets the same redirections as the runtimes.
one_run() {
	local name=$1 i=$2 rt t0
	if [ "$name" = unshare ]; then
		t0=$EPOCHREALTIME
		unshare -fpmuin --mount-proc true >/dev/null 2>"$WORK/$name.err" </dev/null || return 1
	else
		rt=${RT_PATH[$name]}
		t0=$EPOCHREALTIME
		"$rt" --root "$STATE/root-$name" run --bundle "$BUNDLE" "$TAG-$name-$i" >/dev/null 2>"$WORK/$name.err" </dev/null || return 1
	fi
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.6f\n", b - a }' >>"$WORK/$name.times"
}

# one_exec NAME: time one exec of /bin/true into NAME's sleeper
one_exec() {
	local name=$1 rt=${RT_PATH[$1]} t0
	t0=$EPOCHREALTIME
	"$rt" --root "$STATE/root-$name" exec "$TAG-$name-sleeper" /bin/true >/dev/null 2>"$WORK/exec-$name.err" </dev/null || return 1
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.6f\n", b - a }' >>"$WORK/exec-$name.times"
}

# rotated_order I NAME...: NAME... rotated by I, so that over the rounds
# every runtime follows every other one equally often (what ran just
# before still has its namespaces torn down in the background).
rotated_order() {
	local i=$1
	shift
	local -a all=("$@")
	local n=${#all[@]} k
	for ((k = 0; k < n; k++)); do echo "${all[$(((i + k) % n))]}"; done
}

# ratio A B: median of A / median of B
ratio() {
	local a=${MEAN[$1]:-} b=${MEAN[$2]:-} ma mb
	if [ -n "$a" ] && [ -n "$b" ]; then
		read -r _ ma _ <<<"$a"
		read -r _ mb _ <<<"$b"
		awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.2f", a / b }'
	else
		echo "n/a"
	fi
}

declare -A MEAN RSS NOTE FAILED RT_PATH
for name in berth crun runc; do RT_PATH[$name]=$(rt_path "$name"); done
declare -a RUNNERS EXECERS
JSON_PARTS=()

# bench_pass MODE: the whole measurement with the state in $STATE
bench_pass() {
	local mode=$1 name rt rc i mean med min sd
	MEAN=() RSS=() NOTE=() FAILED=() RUNNERS=() EXECERS=()
	echo "== state on $mode ($STATE, $(stat -f -c %T "$STATE"))"
	for name in berth crun runc; do
		rt=$(rt_path "$name")
		if [ -z "$rt" ]; then
			if [ "$name" = berth ]; then NOTE[$name]="berth-runtime not built"; else NOTE[$name]="$name not installed"; fi
			echo "${NOTE[$name]}"
			continue
		fi
		mkdir -p "$STATE/root-$name"
		# one probe run: a runtime that cannot run a container is reported, not timed
		rc=0
		timeout 30 "$rt" --root "$STATE/root-$name" run --bundle "$WORK/probe" "$TAG-$name-probe" \
			>/dev/null 2>"$WORK/$name.err" </dev/null || rc=$?
		if [ "$rc" -ne 42 ]; then
			NOTE[$name]="$name failed the probe (exit $rc, want 42): $(head -c 200 "$WORK/$name.err" | tr '\n' ' ')"
			echo "${NOTE[$name]}"
			timeout 20 "$rt" --root "$STATE/root-$name" delete --force "$TAG-$name-probe" >/dev/null 2>&1
			continue
		fi
		RUNNERS+=("$name")
	done

	for name in "${RUNNERS[@]}" unshare; do : >"$WORK/$name.times"; done
	for ((i = 1; i <= WARMUP + RUNS; i++)); do
		for name in $(rotated_order "$i" "${RUNNERS[@]}" unshare); do
			[ -n "${FAILED[$name]:-}" ] && continue
			one_run "$name" "$mode-$i" || FAILED[$name]=1
		done
		[ "$i" -eq "$WARMUP" ] && for name in "${RUNNERS[@]}" unshare; do : >"$WORK/$name.times"; done
	done
	for name in "${RUNNERS[@]}" unshare; do
		if [ -n "${FAILED[$name]:-}" ]; then
			NOTE[$name]="$name failed during the runs: $(head -c 200 "$WORK/$name.err" 2>/dev/null | tr '\n' ' ')"
			echo "${NOTE[$name]}"
		else
			MEAN[$name]=$(stats "$WORK/$name.times")
		fi
	done
	for name in "${RUNNERS[@]}"; do
		RSS[$name]=$(peak_rss "$name" "$(rt_path "$name")")
	done

	# exec of /bin/true into a running container, same rounds
	for name in "${RUNNERS[@]}"; do
		rt=$(rt_path "$name")
		if timeout 30 "$rt" --root "$STATE/root-$name" run --detach --bundle "$WORK/sleeper" "$TAG-$name-sleeper" \
			>/dev/null 2>"$WORK/exec-$name.err" </dev/null; then
			EXECERS+=("$name")
			: >"$WORK/exec-$name.times"
		else
			NOTE[exec-$name]="$name could not start the exec target: $(head -c 200 "$WORK/exec-$name.err")"
			echo "${NOTE[exec-$name]}"
		fi
	done
	for ((i = 1; i <= WARMUP + RUNS; i++)); do
		for name in $(rotated_order "$i" "${EXECERS[@]}"); do
			[ -n "${FAILED[exec-$name]:-}" ] && continue
			one_exec "$name" || FAILED[exec-$name]=1
		done
		[ "$i" -eq "$WARMUP" ] && for name in "${EXECERS[@]}"; do : >"$WORK/exec-$name.times"; done
	done
	for name in "${EXECERS[@]}"; do
		if [ -n "${FAILED[exec-$name]:-}" ]; then
			NOTE[exec-$name]="$name exec failed: $(head -c 200 "$WORK/exec-$name.err" | tr '\n' ' ')"
			echo "${NOTE[exec-$name]}"
		else
			MEAN[exec-$name]=$(stats "$WORK/exec-$name.times")
		fi
		timeout 20 "$(rt_path "$name")" --root "$STATE/root-$name" delete --force "$TAG-$name-sleeper" >/dev/null 2>&1
	done

	echo
	echo "run of /bin/true ($RUNS rounds), state on $mode:"
	printf '%-10s %10s %10s %10s %10s\n' runtime "mean ms" "median ms" "min ms" "stddev ms"
	for name in berth crun runc unshare; do
		if [ -n "${MEAN[$name]:-}" ]; then
			read -r mean med min sd <<<"${MEAN[$name]}"
			printf '%-10s %10s %10s %10s %10s\n' "$name" "$mean" "$med" "$min" "$sd"
		else
			printf '%-10s %10s\n' "$name" "-"
		fi
	done
	# ratios of medians: one slow outlier (a kernel grace period, a page cache
	# miss) moves a mean but not a median
	echo
	echo "[$mode] berth/crun    $(ratio berth crun)"
	echo "[$mode] berth/runc    $(ratio berth runc)"
	echo "[$mode] berth/unshare $(ratio berth unshare)"

	echo
	echo "exec of /bin/true into a running container ($RUNS times), state on $mode:"
	printf '%-10s %10s %10s %10s %10s\n' runtime "mean ms" "median ms" "min ms" "stddev ms"
	for name in berth crun runc; do
		if [ -n "${MEAN[exec-$name]:-}" ]; then
			read -r mean med min sd <<<"${MEAN[exec-$name]}"
			printf '%-10s %10s %10s %10s %10s\n' "$name" "$mean" "$med" "$min" "$sd"
		fi
	done
	echo "[$mode] exec berth/crun  $(ratio exec-berth exec-crun)"
	echo "[$mode] exec berth/runc  $(ratio exec-berth exec-runc)"

	echo
	echo "peak RSS of one run (max resident set size, KiB, /usr/bin/time -f %M):"
	for name in berth crun runc; do
		printf '  %-8s %s\n' "$name" "${RSS[$name]:-${NOTE[$name]:-n/a}}"
	done
	echo

	if [ -n "${BENCH_JSON:-}" ]; then
		local m
		JSON_PARTS+=("$(for name in berth crun runc unshare; do
			m=${MEAN[$name]:-}
			read -r _ med _ <<<"${m:-x x}"
			jq -n --arg s "$mode" --arg n "$name" --arg m "${m%% *}" --arg med "$med" --arg r "${RSS[$name]:-}" --arg note "${NOTE[$name]:-}" \
				'{state: $s, name: $n, mean_ms: ($m | tonumber? // null), median_ms: ($med | tonumber? // null), peak_rss_kib: ($r | tonumber? // null), note: $note}'
		done)")
	fi
}

make_bundle
echo "berth bench: $RUNS rounds of 'run /bin/true' and 'exec /bin/true', one of each runtime per round (warm-up $WARMUP), $(uname -r), state on: ${MODES[*]}"
if [ -n "${BERTH_BENCH_INNER:-}" ] && ! grep -q ' /sys/fs/cgroup/unified ' /proc/self/mountinfo; then
	echo "host view: cgroup v1 only (cgroup-v1-only)"
fi
echo

declare -A SUMMARY
for mode in "${MODES[@]}"; do
	case $mode in
	tmpfs) STATE=$TMPFS_STATE ;;
	disk) STATE=$DISK_STATE ;;
	esac
	bench_pass "$mode"
	SUMMARY[$mode]=$(printf '%-6s %8s %8s %8s %8s   %5s %5s %5s' "$mode" \
		"$(read -r _ m _ <<<"${MEAN[berth]:-- -}"; echo "$m")" "$(read -r _ m _ <<<"${MEAN[crun]:-- -}"; echo "$m")" \
		"$(read -r _ m _ <<<"${MEAN[runc]:-- -}"; echo "$m")" "$(read -r _ m _ <<<"${MEAN[unshare]:-- -}"; echo "$m")" \
		"$(ratio berth crun)" "$(ratio berth runc)" "$(ratio berth unshare)")
done

echo "summary, run of /bin/true, medians (ms) and ratios of medians:"
printf '%-6s %8s %8s %8s %8s   %5s %5s %5s\n' state berth crun runc unshare /crun /runc /unsh
for mode in "${MODES[@]}"; do echo "${SUMMARY[$mode]}"; done

if [ -n "${BENCH_JSON:-}" ]; then
	printf '%s\n' "${JSON_PARTS[@]}" | jq -s --argjson runs "$RUNS" '{runs: $runs, results: .}' >"$BENCH_JSON"
	echo "results: $BENCH_JSON"
fi
