#!/usr/bin/env bats
# Attacks through what the runtime holds while it sets a container up
# (CVE-2024-21626 class): a cwd of /proc/self/fd/N reaching a host fd, host
# fds left in a created container's init, the /proc/self/fd fallback where
# close_range is missing; signals and the terminal mode during a tty
# relay; a create killed with SIGKILL at any moment.
#
# Each attack is first shown to work against build/berth-runtime-weakened,
# the same runtime built with those protections skipped (BERTH_TEST_WEAKENED
# in util.h), then shown to fail against the runtime under test.

load helpers

TOOLS="$BATS_TEST_DIRNAME/../tools"
BUILD="$BATS_TEST_DIRNAME/../../build"
WEAK="$BUILD/berth-runtime-weakened"
NO_CLOSE_RANGE="$BUILD/no-close-range"
REAL_RUNTIME="$RUNTIME"

setup() {
	[ "$RUNTIME_NAME" = berth-runtime ] || skip "berth only (uses its weakened build)"
	[ -x "$WEAK" ] || skip "no $WEAK (meson -Dtests=true)"
	e2e_setup
	# host things a container must never see: a marker in a host directory
	# (opened as fd 8 in the caller) and the host's /etc/debian_version
	# (the busybox rootfs has none; fd 7 is the host's /)
	HOSTDIR="$TEST_TMP/hostdir"
	mkdir -p "$HOSTDIR"
	echo secret >"$HOSTDIR/host-marker"
	[ -e /etc/debian_version ] || skip "needs a host file absent from the rootfs"
}

# The probe a container runs from its cwd: walk up from there and report
# any host file it can reach.  Outside the root, `..` never stops at it.
PROBE='for i in 1 2 3 4 5 6 7 8 9 10; do
	if [ -e host-marker ] || [ -e etc/debian_version ]; then echo "ESCAPED from $PWD"; exit 0; fi
	cd -P .. 2>/dev/null || break
done; echo contained'

# with_runtime BIN VIEW CMD...: CMD with rt using BIN, VIEW v1 (the host
# as it is) or v2 (tests/tools/pure-v2-view)
with_runtime() {
	local bin=$1 view=$2
	shift 2
	if [ "$view" = v2 ]; then
		BERTH_V2_RUNTIME="$bin" RUNTIME="$TOOLS/pure-v2-view" "$@"
	else
		RUNTIME="$bin" "$@"
	fi
}

v2_available() {
	[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]
}

# cwd_attack BIN VIEW: run with process.cwd /proc/self/fd/N, N = 3..20,
# with the host's / as fd 7 and a host directory as fd 8 in the caller;
# prints one line per N ("N: ESCAPED..." / "N: contained" / "N: refused").
cwd_attack() {
	local bin=$1 view=$2 n out id
	set_args sh -c "$PROBE"
	for n in $(seq 3 20); do
		cfg --arg c "/proc/self/fd/$n" '.process.cwd = $c'
		id="$CID-$view-$n"
		echo "$id" >>"$E2E_FILE_TMP/ids"
		if out=$(with_runtime "$bin" "$view" rt run --bundle "$BUNDLE" "$id" </dev/null 2>&1 7</ 8<"$HOSTDIR"); then
			echo "$n: $out"
		else
			echo "$n: refused: $out"
		fi
		with_runtime "$bin" "$view" rt delete --force "$id" >/dev/null 2>&1 || true
	done
}

# exec_cwd_attack BIN VIEW: the same through exec --cwd into a running
# container.
exec_cwd_attack() {
	local bin=$1 view=$2 n out id="$CID-exec-$view"
	echo "$id" >>"$E2E_FILE_TMP/ids"
	set_args sleep 300
	with_runtime "$bin" "$view" rt run --detach --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1 3>&- || return 1
	for n in $(seq 3 20); do
		if out=$(with_runtime "$bin" "$view" rt exec --cwd "/proc/self/fd/$n" "$id" sh -c "$PROBE" </dev/null 2>&1 7</ 8<"$HOSTDIR"); then
			echo "$n: $out"
		else
			echo "$n: refused: $out"
		fi
	done
	with_runtime "$bin" "$view" rt delete --force "$id" >/dev/null 2>&1
}

# check_contained OUTPUT: no N escaped, and every N either ran contained or
# was refused with a one-line reason.
check_contained() {
	! grep ESCAPED <<<"$1"
	[ "$(grep -c -E '^[0-9]+: (contained|refused: .+)$' <<<"$1")" -eq 18 ]
}

@test "process.cwd /proc/self/fd/N (3..20) cannot reach a host fd (v1)" {
	run cwd_attack "$WEAK" v1
	echo "weakened: $output"
	[[ "$output" == *"7: ESCAPED"* ]]
	run cwd_attack "$REAL_RUNTIME" v1
	echo "berth: $output"
	check_contained "$output"
}

@test "process.cwd /proc/self/fd/N (3..20) cannot reach a host fd (pure v2)" {
	v2_available || skip "no cgroup2 at /sys/fs/cgroup/unified"
	run cwd_attack "$WEAK" v2
	echo "weakened: $output"
	[[ "$output" == *ESCAPED* ]]
	run cwd_attack "$REAL_RUNTIME" v2
	echo "berth: $output"
	check_contained "$output"
}

@test "exec --cwd /proc/self/fd/N (3..20) cannot reach a host fd (v1)" {
	run exec_cwd_attack "$WEAK" v1
	echo "weakened: $output"
	[[ "$output" == *"7: ESCAPED"* ]]
	run exec_cwd_attack "$REAL_RUNTIME" v1
	echo "berth: $output"
	check_contained "$output"
}

@test "exec --cwd /proc/self/fd/N (3..20) cannot reach a host fd (pure v2)" {
	v2_available || skip "no cgroup2 at /sys/fs/cgroup/unified"
	run exec_cwd_attack "$WEAK" v2
	echo "weakened: $output"
	[[ "$output" == *ESCAPED* ]]
	run exec_cwd_attack "$REAL_RUNTIME" v2
	echo "berth: $output"
	check_contained "$output"
}

@test "a cwd outside the root is refused with one line" {
	cfg '.process.cwd = "/proc/self/fd/7"'
	set_args true
	# the caller passes the host's / on purpose (fd 7 of 3..7); output to
	# a file: a container created by mistake must not hold the test's pipe
	run create_ctr "$CID" --preserve-fds 5 3</dev/null 4</dev/null 5</dev/null 6</dev/null 7</
	[ "$status" -ne 0 ]
	[[ "$output" == *"cwd \`/proc/self/fd/7\` is outside the container root"* ]]
	[ "$(wc -l <<<"$output")" -eq 1 ]
	cfg '.process.cwd = "/proc/self/fd/0"'
	run create_ctr "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cwd \`/proc/self/fd/0\` is not a directory"* ]]
}

# created_init_attack BIN VIEW: create (not start) while the caller holds
# the host's / (7) and a host directory (8); from a process exec'd into
# the created container, try every fd of its init, /proc/1/fd/N, as a way
# out (a directory fd, or the parent of one: `cd -P /proc/1/fd/N/..`).
created_init_attack() {
	local bin=$1 view=$2 id="$CID-c-$view"
	echo "$id" >>"$E2E_FILE_TMP/ids"
	set_args true
	with_runtime "$bin" "$view" rt create --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1 3>&- 7</ 8<"$HOSTDIR" || return 1
	with_runtime "$bin" "$view" rt exec "$id" sh -c 'for n in $(seq 3 30); do
		for d in /proc/1/fd/$n /proc/1/fd/$n/..; do
			( cd -P "$d" 2>/dev/null || exit 0
			  for i in 1 2 3 4 5 6 7 8 9 10; do
				if [ -e host-marker ] || [ -e etc/debian_version ] || [ -e cgroup.procs ]; then echo "ESCAPED through $d"; exit 0; fi
				cd -P .. || break
			  done )
		done
	done; echo probed' </dev/null 2>&1
	with_runtime "$bin" "$view" rt delete --force "$id" >/dev/null 2>&1
}

@test "a process exec'd into a created container finds no host fd in its init (v1 and pure v2)" {
	run created_init_attack "$WEAK" v1
	echo "weakened: $output"
	[[ "$output" == *ESCAPED* ]]
	run created_init_attack "$REAL_RUNTIME" v1
	echo "berth: $output"
	[[ "$output" == probed ]]
	v2_available || skip "no cgroup2 at /sys/fs/cgroup/unified"
	run created_init_attack "$REAL_RUNTIME" v2
	echo "berth v2: $output"
	[[ "$output" == probed ]]
}

# init_fds BIN [WRAPPER...]: create with --preserve-fds 1 (fd 3) while the
# caller also holds the host's / (7) and a host directory (9); print the
# fds the created init has open, then delete it.
init_fds() {
	local bin=$1 pid rc=0
	shift
	set_args true
	echo "$CID" >>"$E2E_FILE_TMP/ids"
	RUNTIME="$bin" "$@" "$bin" --root "$STATE_ROOT" create --preserve-fds 1 --bundle "$BUNDLE" \
		--pid-file "$TEST_TMP/pid" "$CID" </dev/null >/dev/null 2>"$TEST_TMP/err" \
		3<"$HOSTDIR/host-marker" 7</ 9<"$HOSTDIR" || rc=$?
	[ $rc -eq 0 ] || { cat "$TEST_TMP/err"; return 1; }
	pid=$(cat "$TEST_TMP/pid")
	ls /proc/"$pid"/fd | sort -n | tr '\n' ' '
	echo
	RUNTIME="$bin" rt delete --force "$CID"
}

@test "a created container's init holds only stdio and the preserved fds" {
	run init_fds "$WEAK"
	echo "weakened: $output"
	[ "$status" -eq 0 ]
	[ "$output" != "0 1 2 3 " ]
	run init_fds "$REAL_RUNTIME"
	echo "berth: $output"
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2 3 " ]
}

@test "no fd of the caller reaches the container where close_range is missing" {
	[ -x "$NO_CLOSE_RANGE" ] || skip "no $NO_CLOSE_RANGE"
	# the tool's filter is in force
	run "$NO_CLOSE_RANGE" grep '^Seccomp:' /proc/self/status
	[[ "$output" == *2 ]]
	run init_fds "$WEAK" "$NO_CLOSE_RANGE"
	echo "weakened: $output"
	[ "$output" != "0 1 2 3 " ]
	run init_fds "$REAL_RUNTIME" "$NO_CLOSE_RANGE"
	echo "berth: $output"
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2 3 " ]
	# and the cwd attack through fd 7, from the container's own view
	set_args sh -c "$PROBE"
	cfg '.process.cwd = "/proc/self/fd/7"'
	run "$NO_CLOSE_RANGE" "$REAL_RUNTIME" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$CID" </dev/null 7</
	echo "berth: $output"
	[[ "$output" != *ESCAPED* ]]
}

# listen_probe [VAR=VALUE...]: a foreground run with a host file as fd 3
# and the given environment, the runtime exec'd by a shell so that
# LISTEN_PID=self names the runtime itself.
listen_probe() {
	local id="$CID-l$RANDOM"
	echo "$id" >>"$E2E_FILE_TMP/ids"
	env "$@" sh -c '[ "$LISTEN_PID" = self ] && export LISTEN_PID=$$; exec "$0" --root "$1" run --bundle "$2" "$3"' \
		"$RUNTIME" "$STATE_ROOT" "$BUNDLE" "$id" </dev/null 3<"$HOSTDIR/host-marker"
}

@test "LISTEN_FDS is honoured only with a LISTEN_PID that names the runtime" {
	set_args sh -c '[ -e /proc/self/fd/3 ] && echo fd3:yes || echo fd3:no; echo "LISTEN_FDS=${LISTEN_FDS:-none}"'
	run listen_probe LISTEN_FDS=1 LISTEN_PID=self
	[ "$status" -eq 0 ]
	[[ "$output" == *fd3:yes*"LISTEN_FDS=1"* ]]
	# meant for some other process (inherited): not for the container
	run listen_probe LISTEN_FDS=1
	[ "$status" -eq 0 ]
	[[ "$output" == *fd3:no*"LISTEN_FDS=none"* ]]
	run listen_probe LISTEN_FDS=1 LISTEN_PID=1
	[ "$status" -eq 0 ]
	[[ "$output" == *fd3:no*"LISTEN_FDS=none"* ]]
}

# The program that counts the four signals, in the container.
TRAPPER='n=0
	for s in TERM INT HUP QUIT; do trap "echo got-$s; n=\$((n+1))" $s; done
	echo ready
	i=0; while [ $n -lt 4 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
	echo done-$n'

# relay_signals RUNTIME-ARGS...: run the runtime with these arguments in
# the foreground under script(1) (a terminal), send it TERM, INT, HUP and
# QUIT once the container is ready; the container must get each, and the
# terminal's mode must be what it was.
relay_signals() {
	local cmd="$RUNTIME --root $STATE_ROOT $*"
	# a non-default mode, so that a raw mode left behind shows
	script -qfec "stty -echo; stty -g >$TEST_TMP/before; $cmd; echo rc=\$?; stty -g >$TEST_TMP/after" /dev/null \
		</dev/null >"$TEST_TMP/out" 2>&1 &
	local spid=$! rpid sig
	defer "kill -9 $spid 2>/dev/null"
	wait_for grep -q ready "$TEST_TMP/out" || { cat "$TEST_TMP/out"; false; }
	rpid=$(pgrep -f -- "^$RUNTIME --root $STATE_ROOT $1 ")
	[ -n "$rpid" ]
	for sig in TERM INT HUP QUIT; do
		kill -s "$sig" "$rpid"
		wait_for grep -q "got-$sig" "$TEST_TMP/out" || { cat -A "$TEST_TMP/out"; ps -ef --forest | grep -B2 -A3 "$rpid"; false; }
	done
	wait "$spid"
	cat "$TEST_TMP/out"
	grep -q done-4 "$TEST_TMP/out"
	grep -q rc=0 "$TEST_TMP/out"
	[ -s "$TEST_TMP/before" ]
	[ "$(cat "$TEST_TMP/before")" = "$(cat "$TEST_TMP/after")" ]
}

@test "a foreground run relaying a terminal forwards TERM, INT, HUP, QUIT and restores the terminal" {
	command -v script >/dev/null || skip "no script(1)"
	cfg '.process.terminal = true'
	set_args sh -c "$TRAPPER"
	relay_signals run --bundle "$BUNDLE" "$CID"
}

@test "a foreground exec --tty forwards TERM, INT, HUP, QUIT and restores the terminal" {
	command -v script >/dev/null || skip "no script(1)"
	set_args sleep 300
	run_detached
	relay_signals exec --tty "$CID" sh -c "'$TRAPPER'"
}

# race ROUNDS BIN PREFIX [STOP_AT_FIRST]: create (with a cgroup), SIGKILL
# at a random 0-100 ms, delete --force; prints the ids whose cgroup,
# state, mount or process is left over.
race() {
	local n=$1 bin=$2 prefix=$3 stop=${4:-} i id p left
	for ((i = 0; i < n; i++)); do
		id="$prefix-$i"
		BERTH_E2E="$TEST_TMP/rt" "$bin" --root "$STATE_ROOT" create --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1 3>&- &
		p=$!
		sleep "$(printf '0.%03d' $((RANDOM % 101)))"
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
		timeout 20 "$bin" --root "$STATE_ROOT" delete --force "$id" >/dev/null 2>&1
		if [ -n "$stop" ] && [ -n "$(find /sys/fs/cgroup/*/ -maxdepth 2 -type d -name "$id" 2>/dev/null)" ]; then
			echo "cgroup $id"
			return 0
		fi
	done
	sleep 0.5
	find /sys/fs/cgroup/*/ -maxdepth 2 -type d -name "$prefix-*" 2>/dev/null | sed 's/^/cgroup /'
	ls "$STATE_ROOT" | grep -F "$prefix-" | sed 's/^/state /'
	grep -F "$BUNDLE" /proc/self/mountinfo | sed 's/^/mount /'
	for p in $(grep -lzs "^BERTH_E2E=$TEST_TMP" /proc/[0-9]*/environ); do
		p=${p#/proc/}
		echo "process ${p%/environ}"
	done
}

cleanup_race() {
	local d
	for d in $(find /sys/fs/cgroup/*/ -maxdepth 2 -type d -name "$1-*" 2>/dev/null); do
		rmdir "$d" 2>/dev/null
	done
	return 0
}

@test "a create killed with SIGKILL at a random moment leaves nothing after delete --force (1000 rounds)" {
	set_args sleep 300
	[ "$(jq -r '.linux.resources != null' "$BUNDLE/config.json")" = true ]
	defer "cleanup_race w$$; cleanup_race r$$"
	# the weakened build makes the cgroup before its record names it
	run race 600 "$WEAK" "w$$" stop
	echo "weakened: $output"
	[[ "$output" == *cgroup* ]]
	cleanup_race "w$$"
	local t0=$SECONDS
	run race 1000 "$REAL_RUNTIME" "r$$"
	echo "berth: $output ($((SECONDS - t0)) s)"
	[ -z "$output" ]
}
