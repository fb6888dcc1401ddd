# Shared helpers for berth's end-to-end OCI runtime tests (bats).
#
# Which runtime is tested is chosen with RUNTIME:
#   bats tests/e2e/                                   # berth: build/berth-runtime
#   RUNTIME=runc bats tests/e2e/                      # reference: runc
#   /work/shared/tools/cgroup-v1-only env RUNTIME=crun bats tests/e2e/
# crun 1.8 refuses this host's hybrid cgroup layout, so it MUST be run under
# cgroup-v1-only (a private mount namespace where the host looks like plain v1).
# Must run as root. E2E_TIMEOUT (seconds, default 30) bounds each runtime call.
#
# Every test file gets a private temp dir with its own --root state dir; every
# test gets its own bundle and container ids. teardown force-deletes whatever
# the test created and then sweeps processes, mounts and cgroups left behind.

: "${RUNTIME:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/berth-runtime}"
RUNTIME_NAME=$(basename "$RUNTIME")
: "${E2E_TIMEOUT:=30}"

# ---------------------------------------------------------------- per file ----

# Build the per-file temp dir, the cached runc-spec config and cached rootfs.
e2e_setup_file() {
	[ "$(id -u)" -eq 0 ] || { echo "e2e tests must run as root" >&2; return 1; }
	command -v "$RUNTIME" >/dev/null || { echo "runtime not found: $RUNTIME" >&2; return 1; }
	E2E_FILE_TMP=$(mktemp -d /tmp/berth-e2e.XXXXXX)
	chmod 0755 "$E2E_FILE_TMP"
	export E2E_FILE_TMP
	export STATE_ROOT="$E2E_FILE_TMP/state"
	mkdir -p "$STATE_ROOT"
	# whether /run/netns existed before this file (ip netns add creates it)
	if [ -e /run/netns ]; then export E2E_HAD_NETNS_DIR=1; else export E2E_HAD_NETNS_DIR=0; fi

	# base config: `runc spec` output (berth's own spec may not be ready),
	# falling back to the runtime under test when runc is missing.
	local d="$E2E_FILE_TMP/spec"
	mkdir -p "$d"
	if command -v runc >/dev/null; then
		(cd "$d" && runc spec) || return 1
	else
		(cd "$d" && "$RUNTIME" spec) || return 1
	fi
	jq '.process.terminal = false
	    | .process.env += ["BERTH_E2E=1"]' "$d/config.json" >"$E2E_FILE_TMP/base-config.json" || return 1

	make_rootfs "$E2E_FILE_TMP/rootfs-cache"
}

e2e_teardown_file() {
	[ -n "${E2E_FILE_TMP:-}" ] && [ -d "$E2E_FILE_TMP" ] || return 0
	local id
	for id in $(known_ids); do
		force_remove "$id"
	done
	kill_marked "$E2E_FILE_TMP"
	unmount_under "$E2E_FILE_TMP"
	if [ "${E2E_HAD_NETNS_DIR:-1}" = 0 ] && [ -d /run/netns ] &&
		[ -z "$(ls -A /run/netns 2>/dev/null)" ]; then
		umount /run/netns 2>/dev/null
		rmdir /run/netns 2>/dev/null
	fi
	rm -rf --one-file-system "$E2E_FILE_TMP"
}

setup_file() { e2e_setup_file; }
teardown_file() { e2e_teardown_file; }

# ---------------------------------------------------------------- bundles -----

# make_rootfs DIR: busybox rootfs with an applet symlink for every applet.
make_rootfs() {
	local r=$1 a
	mkdir -p "$r"/{bin,dev,etc,proc,sys,tmp,root,home/e2e,mnt,run}
	chmod 1777 "$r/tmp"
	cp /bin/busybox "$r/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
	done
	cat >"$r/etc/passwd" <<-'EOF'
		root:x:0:0:root:/root:/bin/sh
		e2e:x:1000:1000:e2e:/home/e2e:/bin/sh
	EOF
	cat >"$r/etc/group" <<-'EOF'
		root:x:0:
		e2e:x:1000:
	EOF
	chown 1000:1000 "$r/home/e2e"
}

# make_bundle DIR: DIR/rootfs (busybox) and DIR/config.json (runc spec, terminal=false).
make_bundle() {
	local b=$1
	mkdir -p "$b"
	chmod 0755 "$b"
	if [ -d "${E2E_FILE_TMP:-}/rootfs-cache" ]; then
		cp -a "$E2E_FILE_TMP/rootfs-cache" "$b/rootfs"
	else
		make_rootfs "$b/rootfs"
	fi
	cp "$E2E_FILE_TMP/base-config.json" "$b/config.json"
}

# cfg [jq options] FILTER: edit the current test's config.json in place.
cfg() {
	local tmp="$BUNDLE/config.json.tmp"
	jq "$@" "$BUNDLE/config.json" >"$tmp" && mv "$tmp" "$BUNDLE/config.json"
}

# json_array ARG...: a JSON array of strings (any bytes but NUL).
json_array() {
	local -a ja=() refs=()
	local i=0 x
	for x in "$@"; do
		ja+=(--arg "a$i" "$x")
		refs+=("\$a$i")
		i=$((i + 1))
	done
	jq -nc "${ja[@]}" "[$(IFS=,; echo "${refs[*]}")]"
}

# set_args ARG...: process.args of the current bundle.
set_args() {
	local a
	a=$(json_array "$@") || return 1
	cfg --argjson a "$a" '.process.args = $a'
}

# add_bind SRC DEST [opt...]: append a bind mount (default options: rbind, rw).
add_bind() {
	local src=$1 dst=$2 o
	shift 2
	[ $# -gt 0 ] || set -- rbind rw
	o=$(json_array "$@")
	cfg --arg s "$src" --arg d "$dst" --argjson o "$o" \
		'.mounts += [{"destination": $d, "type": "bind", "source": $s, "options": $o}]'
}

# add_caps CAP...: add capabilities to every set but ambient.
add_caps() {
	local c
	c=$(json_array "$@")
	cfg --argjson c "$c" '.process.capabilities |= with_entries(
		if .key == "ambient" then . else .value = ((.value // []) + $c | unique) end)'
}

# ---------------------------------------------------------------- per test ----

e2e_setup() {
	TEST_TMP=$(mktemp -d "$E2E_FILE_TMP/t$BATS_TEST_NUMBER.XXXXXX")
	chmod 0755 "$TEST_TMP"
	BUNDLE="$TEST_TMP/bundle"
	CID="berth-e2e-$BATS_TEST_NUMBER-$$"
	echo "$CID" >>"$E2E_FILE_TMP/ids"
	make_bundle "$BUNDLE"
	# mark the container processes of this test (see kill_marked)
	cfg --arg m "BERTH_E2E=$TEST_TMP" '.process.env |= map(if startswith("BERTH_E2E=") then $m else . end)'
}

e2e_teardown() {
	local id
	[ -n "${TEST_TMP:-}" ] || return 0
	# on failure show what the last `run` saw
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -n "${status+x}" ]; then
		printf 'last run: status=%s output:\n%s\n' "$status" "${output:-}" >&2
	fi
	for id in $(known_ids); do
		case $id in "$CID" | "$CID"-*) force_remove "$id" ;; esac
	done
	kill_marked "$TEST_TMP"
	if [ -f "$TEST_TMP/cleanup" ]; then
		while read -r line; do eval "$line" || true; done <"$TEST_TMP/cleanup"
	fi
	unmount_under "$TEST_TMP"
	rm -rf --one-file-system "$TEST_TMP"
}

setup() { e2e_setup; }
teardown() { e2e_teardown; }

# defer CMD: run CMD (a shell string) in teardown.
defer() { echo "$*" >>"$TEST_TMP/cleanup"; }

# cid N: an extra unique container id for this test.
cid() {
	echo "$CID-$1" >>"$E2E_FILE_TMP/ids"
	echo "$CID-$1"
}

# ids this file created plus whatever is in the state dir.
known_ids() {
	{
		cat "$E2E_FILE_TMP/ids" 2>/dev/null
		ls "$STATE_ROOT" 2>/dev/null
		timeout 10 "$RUNTIME" --root "$STATE_ROOT" list -q 2>/dev/null
	} | grep -E '^[A-Za-z0-9][A-Za-z0-9_.-]*$' | sort -u
}

# kill_marked DIR: SIGKILL every process whose environment carries
# BERTH_E2E=DIR... : runtime processes started by rt (and their forks) and
# container processes (the bundle's process.env carries it).
kill_marked() {
	local f pid n pids
	for n in 1 2 3 4 5; do
		pids=
		for f in $(grep -lzs "^BERTH_E2E=$1" /proc/[0-9]*/environ); do
			pid=${f#/proc/}
			pid=${pid%/environ}
			[ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ] || pids="$pids $pid"
		done
		[ -n "$pids" ] || break
		kill -9 $pids 2>/dev/null
		sleep 0.1
	done
	return 0
}

# force_remove ID: delete --force, then kill/unmount/rmdir anything left.
force_remove() {
	local id=$1 pid p d
	pid=$(timeout 10 "$RUNTIME" --root "$STATE_ROOT" state "$id" 2>/dev/null | jq -r '.pid // 0' 2>/dev/null)
	timeout 20 "$RUNTIME" --root "$STATE_ROOT" delete --force "$id" >/dev/null 2>&1
	if [ -n "$pid" ] && [ "$pid" -gt 1 ] 2>/dev/null && kill -0 "$pid" 2>/dev/null &&
		grep -q BERTH_E2E /proc/"$pid"/environ 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null
	fi
	# cgroups named after the container: kill what is still in them, remove them.
	# Under cgroup-v1-only the unified mount is gone and a runtime may leave
	# plain dirs in the tmpfs beneath it: remove those too (never trust their
	# "cgroup.procs" pids).
	for d in $(find /sys/fs/cgroup -mindepth 2 -maxdepth 8 -depth -type d -name "$id" 2>/dev/null); do
		case $(stat -f -c %T "$d" 2>/dev/null) in
		cgroupfs | cgroup2fs)
			for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
			local i
			for i in 1 2 3 4 5 6 7 8 9 10; do rmdir "$d" 2>/dev/null && break; sleep 0.1; done
			;;
		tmpfs) rm -rf --one-file-system "$d" ;;
		esac
	done
	rm -rf --one-file-system "${STATE_ROOT:?}/$id" 2>/dev/null
	return 0
}

# unmount_under DIR: lazily unmount every host mount at or below DIR.
unmount_under() {
	local m
	awk '{print $5}' /proc/self/mountinfo | grep -E "^$1(/|$)" | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null
	done
	return 0
}

# ---------------------------------------------------------------- runtime -----

# rt ARGS...: the runtime under test with this file's private state root.
rt() {
	local rc=0 t0=$SECONDS
	BERTH_E2E="${TEST_TMP:-$E2E_FILE_TMP}/rt" \
		timeout -k 5 "$E2E_TIMEOUT" "$RUNTIME" --root "$STATE_ROOT" "$@" || rc=$?
	if [ $rc -eq 124 ] || { [ $rc -eq 137 ] && [ $((SECONDS - t0)) -ge "$E2E_TIMEOUT" ]; }; then
		echo "e2e: '$RUNTIME $*' timed out after ${E2E_TIMEOUT}s" >&2
		# the runtime hung: kill it, its forks and the container processes so
		# that nothing keeps bats' pipes open
		kill_marked "${TEST_TMP:-$E2E_FILE_TMP}"
	fi
	return $rc
}

# create_ctr [ID [runtime create options...]]: create from $BUNDLE with a pid file
# $TEST_TMP/ID.pid. The container's stdio (and the runtime's) go to
# $TEST_TMP/ID.out and ID.err, so nothing holds bats' pipes. On failure the
# runtime's stderr is printed (for `run create_ctr`).
create_ctr() {
	local id=${1:-$CID} rc=0
	[ $# -gt 0 ] && shift
	rt create --bundle "$BUNDLE" --pid-file "$TEST_TMP/$id.pid" "$@" "$id" \
		</dev/null >"$TEST_TMP/$id.out" 2>"$TEST_TMP/$id.err" 3>&- || rc=$?
	[ $rc -eq 0 ] || cat "$TEST_TMP/$id.err" "$TEST_TMP/$id.out"
	return $rc
}

# run_detached [ID]: run --detach, stdio to files like create_ctr.
run_detached() {
	local id=${1:-$CID} rc=0
	rt run --detach --bundle "$BUNDLE" --pid-file "$TEST_TMP/$id.pid" "$id" \
		</dev/null >"$TEST_TMP/$id.out" 2>"$TEST_TMP/$id.err" 3>&- || rc=$?
	[ $rc -eq 0 ] || cat "$TEST_TMP/$id.err" "$TEST_TMP/$id.out"
	return $rc
}

# run_ctr [ID]: foreground run of $BUNDLE; stdin is /dev/null.
run_ctr() {
	rt run --bundle "$BUNDLE" "${1:-$CID}" </dev/null 3>&-
}

# in_ctr ARG...: set process.args and run in the foreground (use with `run`).
in_ctr() {
	set_args "$@" && run_ctr
}

# state_of ID FIELD: one field of `state` (jq path without the dot).
state_of() {
	rt state "$1" | jq -r ".$2"
}

# wait_status ID STATUS [tries of 0.1s]: until state reports STATUS.
wait_status() {
	local i n=${3:-100}
	for ((i = 0; i < n; i++)); do
		[ "$(rt state "$1" 2>/dev/null | jq -r .status 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
	done
	echo "container $1 did not reach status $2 (now: $(rt state "$1" 2>&1))" >&2
	return 1
}

# wait_for CMD...: retry CMD for up to 10s.
wait_for() {
	local i
	for ((i = 0; i < 100; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# pid_alive PID: the process exists and is not a zombie (the host's init may
# be slow to reap orphans).
pid_alive() {
	local st
	st=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# pid_gone PID
pid_gone() { ! pid_alive "$1"; }

# skip_on RUNTIME-NAME REASON: skip only when testing that reference runtime.
skip_on() {
	[ "$RUNTIME_NAME" = "$1" ] && skip "$1: $2"
	return 0
}

# ns_inode PID NS: "net:[1234]" style link of a process' namespace.
ns_link() {
	readlink "/proc/$1/ns/$2"
}
