#!/bin/bash
# Startup benchmark: `RUNTIME run` of /bin/true on one busybox bundle, RUNS
# (default 100) times in a row, for berth (build/berth-runtime), crun and runc,
# with `unshare -fpmuin --mount-proc true` as a baseline; then the peak RSS of
# one run of each runtime. Everything runs under shared/tools/cgroup-v1-only
# (the script re-execs itself there) so all runtimes see the same host.
#
# usage (as root): bench/run-bench.sh
# env: RUNS=100 WARMUP=5 BERTH=path/to/berth-runtime BENCH_JSON=out.json
#      BENCH_TIMER=loop (plain timed loop even when hyperfine is installed)
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF="$REPO/bench/run-bench.sh"
V1ONLY="$REPO/../shared/tools/cgroup-v1-only"

if [ -z "${BERTH_BENCH_INNER:-}" ]; then
	export BERTH_BENCH_INNER=1
	if [ -x "$V1ONLY" ]; then
		exec "$V1ONLY" bash "$SELF" "$@"
	fi
	echo "note: $V1ONLY not found, running on the host's cgroup view (crun may fail)" >&2
fi

[ "$(id -u)" -eq 0 ] || { echo "run-bench.sh must run as root" >&2; exit 1; }
for t in jq; do command -v $t >/dev/null || { echo "missing $t" >&2; exit 1; }; done

RUNS=${RUNS:-100}
WARMUP=${WARMUP:-5}
BERTH=${BERTH:-$REPO/build/berth-runtime}
TAG="bench-$$"
WORK=$(mktemp -d /tmp/berth-bench.XXXXXX)
chmod 0755 "$WORK"
BUNDLE="$WORK/bundle"

# ---------------------------------------------------------------- cleanup ----
cleanup() {
	local name id d
	for name in berth crun runc; do
		local rt
		rt=$(rt_path "$name") || continue
		[ -d "$WORK/root-$name" ] || continue
		for id in $(ls "$WORK/root-$name" 2>/dev/null); do
			timeout 20 "$rt" --root "$WORK/root-$name" delete --force "$id" >/dev/null 2>&1
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
	rm -rf --one-file-system "$WORK"
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
use_hyperfine() { [ "${BENCH_TIMER:-}" != loop ] && command -v hyperfine >/dev/null; }

# stats FILE (one duration in seconds per line) -> "mean median min stddev" (ms)
stats() {
	sort -g "$1" | awk '{ v[NR] = $1 * 1000; s += v[NR] }
		END { m = s / NR; for (i = 1; i <= NR; i++) d += (v[i] - m) ^ 2
		      med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%.2f %.2f %.2f %.2f\n", m, med, v[1], sqrt(d / NR) }'
}

# bench NAME CMD... : RUNS timed runs; "{i}" in an argument becomes the run
# number (unique container ids). Writes $WORK/NAME.times; returns non-zero if
# any run failed.
bench() {
	local name=$1 i a
	shift
	local -a cmd
	: >"$WORK/$name.times"
	# warm-up (page cache, binaries)
	for ((i = 1; i <= WARMUP; i++)); do
		cmd=()
		for a in "$@"; do cmd+=("${a//\{i\}/w$i}"); done
		"${cmd[@]}" >/dev/null 2>"$WORK/$name.err" </dev/null || return 1
	done
	if use_hyperfine; then
		local -a hf=(hyperfine -N --style none --export-json "$WORK/$name.json")
		local q
		q=$(printf '%q ' "$@")
		q=${q//\\\{i\\\}/\{i\}} # %q escapes the braces of {i}
		if [[ "$q" == *"{i}"* ]]; then
			hf+=(--runs 1 -L i "$(seq -s, 1 "$RUNS")")
		else
			hf+=(--runs "$RUNS")
		fi
		"${hf[@]}" "$q" >"$WORK/$name.hf" 2>&1 </dev/null || { cat "$WORK/$name.hf" >"$WORK/$name.err"; return 1; }
		jq -r '.results[].times[]' "$WORK/$name.json" >"$WORK/$name.times"
	else
		local t0
		for ((i = 1; i <= RUNS; i++)); do
			cmd=()
			for a in "$@"; do cmd+=("${a//\{i\}/$i}"); done
			t0=$EPOCHREALTIME
			"${cmd[@]}" >/dev/null 2>"$WORK/$name.err" </dev/null || return 1
			awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.6f\n", b - a }' >>"$WORK/$name.times"
		done
	fi
}

# peak RSS (KiB) of one run
peak_rss() {
	local name=$1 rt=$2
	[ -x /usr/bin/time ] || { echo "n/a (apt-get install time)"; return; }
	/usr/bin/time -f %M -o "$WORK/$name.rss" "$rt" --root "$WORK/root-$name" run --bundle "$BUNDLE" "$TAG-$name-rss" \
		>/dev/null 2>&1 </dev/null && tail -n 1 "$WORK/$name.rss" || echo failed
}

# ---------------------------------------------------------------- main -------
make_bundle
echo "berth bench: $RUNS x 'run /bin/true' per runtime (warm-up $WARMUP), $(uname -r)"
if [ -n "${BERTH_BENCH_INNER:-}" ] && ! grep -q ' /sys/fs/cgroup/unified ' /proc/self/mountinfo; then
	echo "host view: cgroup v1 only (cgroup-v1-only)"
fi
echo "timing: $(use_hyperfine && hyperfine --version || echo 'plain timed loop')"
echo

declare -A MEAN RSS NOTE
for name in berth crun runc; do
	rt=$(rt_path "$name")
	if [ -z "$rt" ]; then
		if [ "$name" = berth ]; then NOTE[$name]="berth-runtime not built"; else NOTE[$name]="$name not installed"; fi
		echo "${NOTE[$name]}"
		continue
	fi
	mkdir -p "$WORK/root-$name"
	# one probe run: a runtime that cannot run a container is reported, not timed
	rc=0
	timeout 30 "$rt" --root "$WORK/root-$name" run --bundle "$WORK/probe" "$TAG-$name-probe" \
		>/dev/null 2>"$WORK/$name.err" </dev/null || rc=$?
	if [ "$rc" -ne 42 ]; then
		NOTE[$name]="$name failed the probe (exit $rc, want 42): $(head -c 200 "$WORK/$name.err" | tr '\n' ' ')"
		echo "${NOTE[$name]}"
		timeout 20 "$rt" --root "$WORK/root-$name" delete --force "$TAG-$name-probe" >/dev/null 2>&1
		continue
	fi
	if bench "$name" "$rt" --root "$WORK/root-$name" run --bundle "$BUNDLE" "$TAG-$name-{i}"; then
		MEAN[$name]=$(stats "$WORK/$name.times")
	else
		NOTE[$name]="$name failed during the runs: $(head -c 200 "$WORK/$name.err" | tr '\n' ' ')"
		echo "${NOTE[$name]}"
	fi
	RSS[$name]=$(peak_rss "$name" "$rt")
done
if bench unshare unshare -fpmuin --mount-proc true; then
	MEAN[unshare]=$(stats "$WORK/unshare.times")
else
	NOTE[unshare]="unshare failed: $(head -c 200 "$WORK/unshare.err")"
	echo "${NOTE[unshare]}"
fi

# exec of /bin/true into a running container, same runtimes
for name in berth crun runc; do
	[ -n "${MEAN[$name]:-}" ] || continue
	rt=$(rt_path "$name")
	id="$TAG-$name-sleeper"
	if ! timeout 30 "$rt" --root "$WORK/root-$name" run --detach --bundle "$WORK/sleeper" "$id" \
		>/dev/null 2>"$WORK/exec-$name.err" </dev/null; then
		NOTE[exec-$name]="$name could not start the exec target: $(head -c 200 "$WORK/exec-$name.err")"
		echo "${NOTE[exec-$name]}"
		continue
	fi
	if bench "exec-$name" "$rt" --root "$WORK/root-$name" exec "$id" /bin/true; then
		MEAN[exec-$name]=$(stats "$WORK/exec-$name.times")
	else
		NOTE[exec-$name]="$name exec failed: $(head -c 200 "$WORK/exec-$name.err" | tr '\n' ' ')"
		echo "${NOTE[exec-$name]}"
	fi
	timeout 20 "$rt" --root "$WORK/root-$name" delete --force "$id" >/dev/null 2>&1
done

echo
printf '%-10s %10s %10s %10s %10s\n' runtime "mean ms" "median ms" "min ms" "stddev ms"
for name in berth crun runc unshare; do
	if [ -n "${MEAN[$name]:-}" ]; then
		read -r mean med min sd <<<"${MEAN[$name]}"
		printf '%-10s %10s %10s %10s %10s\n' "$name" "$mean" "$med" "$min" "$sd"
	else
		printf '%-10s %10s\n' "$name" "-"
	fi
done

ratio() {
	local a=${MEAN[$1]:-} b=${MEAN[$2]:-}
	if [ -n "$a" ] && [ -n "$b" ]; then
		awk -v a="${a%% *}" -v b="${b%% *}" 'BEGIN { printf "%.2f", a / b }'
	else
		echo "n/a"
	fi
}
echo
echo "berth/crun    $(ratio berth crun)"
echo "berth/runc    $(ratio berth runc)"
echo "berth/unshare $(ratio berth unshare)"

echo
echo "exec of /bin/true into a running container ($RUNS times):"
printf '%-10s %10s %10s %10s %10s\n' runtime "mean ms" "median ms" "min ms" "stddev ms"
for name in berth crun runc; do
	if [ -n "${MEAN[exec-$name]:-}" ]; then
		read -r mean med min sd <<<"${MEAN[exec-$name]}"
		printf '%-10s %10s %10s %10s %10s\n' "$name" "$mean" "$med" "$min" "$sd"
	fi
done
echo "exec berth/crun  $(ratio exec-berth exec-crun)"
echo "exec berth/runc  $(ratio exec-berth exec-runc)"

echo
echo "peak RSS of one run (max resident set size, KiB, /usr/bin/time -f %M):"
for name in berth crun runc; do
	printf '  %-8s %s\n' "$name" "${RSS[$name]:-${NOTE[$name]:-n/a}}"
done

if [ -n "${BENCH_JSON:-}" ]; then
	{
		for name in berth crun runc unshare; do
			m=${MEAN[$name]:-}
			jq -n --arg n "$name" --arg m "${m%% *}" --arg r "${RSS[$name]:-}" --arg note "${NOTE[$name]:-}" \
				'{name: $n, mean_ms: ($m | tonumber? // null), peak_rss_kib: ($r | tonumber? // null), note: $note}'
		done
	} | jq -s --argjson runs "$RUNS" '{runs: $runs, results: .}' >"$BENCH_JSON"
	echo "results: $BENCH_JSON"
fi
