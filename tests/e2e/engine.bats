#!/usr/bin/env bats
# berth's containers, end to end (build/berth, not a runtime test): run in
# the foreground and detached, exit statuses, ps/logs/stop/rm/inspect/exec,
# limits read back from the cgroup, binds, restart policy, names, a -it
# session through a pty, the monitor, stats, attach, cleanup after 200
# `run --rm` and after 50 `run -d` killed with SIGKILL.  Everything lives
# under this file's temp dir (store root and runroot); containers are
# removed after each test.

BERTH_BIN=${BERTH:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/berth}
bats_require_minimum_version 1.5.0
load net_helpers

setup_file() {
	[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; return 1; }
	T=$(mktemp -d /tmp/berth-engine-e2e.XXXXXX)
	export T ROOT=$T/root RUNROOT=$T/run
	# Containers are on the default bridge network (Docker's default): this
	# file's own bridge, subnet and table.
	net_test_env
	mkdir -p "$T/rfs/bin" "$T/rfs/etc"
	cp /bin/busybox "$T/rfs/bin/"
	for c in sh ls cat echo mkdir rm sleep true false id pwd hostname env touch kill ps; do
		ln -s busybox "$T/rfs/bin/$c"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$T/rfs/etc/passwd"
	echo 'app:x:1000:1000:app:/home/app:/bin/sh' >>"$T/rfs/etc/passwd"
	printf 'root:x:0:\napp:x:1000:\n' >"$T/rfs/etc/group"
	printf '#!/bin/sh\necho not executable\n' >"$T/rfs/noexec"
	chmod 644 "$T/rfs/noexec"
	tar -C "$T/rfs" -cf "$T/rfs.tar" .
	b import "$T/rfs.tar" bb >/dev/null || return 1
}

teardown_file() {
	[ -n "${T:-}" ] || return 0
	b rm -f $(b ps -aq 2>/dev/null) >/dev/null 2>&1
	awk -v t="$T/" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l
	rm -rf "$T"
	net_test_cleanup
	# The engine's parent cgroup, shared by all its containers and kept as
	# Docker's /docker is (rmdir fails while another file's container is in it).
	rmdir /sys/fs/cgroup/*/berth /sys/fs/cgroup/berth 2>/dev/null || true
}

teardown() {
	b rm -f $(b ps -aq 2>/dev/null) >/dev/null 2>&1 || true
}

b() { "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" "$@"; }

# Monitors of this file's store (their command line names our runroot).
monitors() { pgrep -f -- "--runroot $RUNROOT monitor" || true; }

# No container, mount, runtime state, monitor or cgroup of ours is left.
host_clean() {
	local i ids
	ids=$(cat "$T/ids" 2>/dev/null || true)
	for i in $(seq 50); do
		[ -z "$(monitors)" ] && break
		sleep 0.1
	done
	[ -z "$(monitors)" ] || { echo "monitors left: $(monitors)"; return 1; }
	[ -z "$(ls -A "$ROOT/containers")" ] || { echo "containers left: $(ls -A "$ROOT/containers")"; return 1; }
	# (seccomp/: the cache of compiled profiles, kept on purpose; the
	# network's lease file and lock, and the empty netns directory, stay:
	# host_net_clean looks inside them.)
	[ -z "$(ls -A "$RUNROOT" 2>/dev/null | grep -v '^netns$\|^networks$\|^seccomp$')" ] ||
		{ echo "state left: $(ls -A "$RUNROOT")"; return 1; }
	host_net_clean "$RUNROOT" $ids || return 1
	# (RUNROOT/netns is a mount of its own, as /run/netns is for `ip netns`.)
	! awk -v t="$T/" -v n="$RUNROOT/netns" 'index($2, t) == 1 && $2 != n' /proc/mounts | grep . ||
		{ echo "mounts left"; return 1; }
	for i in $ids; do
		! ls -d /sys/fs/cgroup/*/berth/"$i" /sys/fs/cgroup/berth/"$i" 2>/dev/null | grep . ||
			{ echo "cgroup of $i left"; return 1; }
	done
	[ -z "$(b ps -aq)" ]
}

cgroup_file() { # PID CONTROLLER FILE
	local path
	path=$(awk -F: -v c="$2" '$2 == c {print $3}' /proc/"$1"/cgroup)
	cat "/sys/fs/cgroup/$2$path/$3"
}

@test "run: the container's exit status, 125 for berth's errors, 126 and 127 as Docker" {
	run b run --rm bb sh -c 'echo out; exit 7'
	[ "$status" -eq 7 ]
	[ "$output" = out ]
	run b run --rm bb true
	[ "$status" -eq 0 ]
	# a foreground container is logged too; stdin only with -i
	run b run --name fg bb sh -c 'echo o; echo e >&2; cat; exit 2' <<<"input"
	[ "$status" -eq 2 ]
	[ "$output" = "$(printf 'o\ne')" ] || [ "$output" = "$(printf 'e\no')" ]
	[ "$(b logs fg 2>/dev/null)" = o ] && [ "$(b logs fg 2>&1 >/dev/null)" = e ]
	b rm fg
	[ "$(echo in | b run -i --rm bb cat)" = in ]
	run -127 b run --rm bb nosuchcommand
	[ "$status" -eq 127 ]
	[[ "$output" == *'executable file not found'* ]]
	[ "${#lines[@]}" -eq 1 ]
	run -126 b run --rm bb /noexec
	[ "$status" -eq 126 ]
	run b run --rm --no-such-flag bb true
	[ "$status" -eq 125 ]
	# (--pull never: the default, missing, would ask docker.io)
	run b run --rm --pull never nosuchimage true
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == berth:* ]]
	host_clean
}

@test "run -d, ps, logs (-f, --tail, -t), stop, rm" {
	id=$(b run -d --name web bb sh -c 'echo started; echo oops >&2; trap "echo bye; exit 0" TERM; while true; do sleep 0.2; done')
	[[ "$id" =~ ^[0-9a-f]{64}$ ]]
	echo "$id" >>"$T/ids"
	run b ps
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "CONTAINER ID   IMAGE"*"COMMAND"*"CREATED"*"STATUS"*"PORTS"*"NAMES" ]]
	[[ "${lines[1]}" == "${id:0:12}   bb "*"Up "*" web" ]]
	run b ps --format 'table {{.ID}}\t{{.Names}}'
	[ "${lines[0]}" = "CONTAINER ID   NAMES" ]
	[ "${lines[1]}" = "${id:0:12}   web" ]
	sleep 0.5
	run b logs web
	[ "$output" = "$(printf 'started\noops')" ]
	run b logs -t --tail 1 web
	[[ "$output" =~ ^20[0-9-]+T[0-9:.]+Z\ oops$ ]]
	grep -q '"log":"started\\n","stream":"stdout","time":"' "$ROOT/containers/$id/$id-json.log"
	# logs -f follows until the container stops
	b logs -f web >"$T/follow.out" 2>&1 &
	fpid=$!
	sleep 0.3
	run b stop web
	[ "$status" -eq 0 ]
	[ "$output" = web ]
	wait "$fpid"
	grep -q '^bye$' "$T/follow.out"
	run b ps -a --format '{{.Names}} {{.Status}}'
	[[ "$output" == "web Exited (0) "* ]]
	run b inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}' web
	[ "$output" = "exited 0 false" ]
	b rm web
	host_clean
}

@test "run --rm leaves nothing: mounts, cgroup, runtime state, monitor, record" {
	b run --rm bb true
	id=$(b run -d --rm bb sleep 30)
	echo "$id" >>"$T/ids"
	[ -n "$(monitors)" ]
	grep -q "$ROOT/containers/$id/rootfs" /proc/mounts
	ls -d /sys/fs/cgroup/*/berth/"$id" >/dev/null
	b kill "$id"
	host_clean
	# the engine's parent cgroup stays, as Docker's /docker does
	ls -d /sys/fs/cgroup/*/berth /sys/fs/cgroup/berth 2>/dev/null | grep -q .
}

@test "run --rm mounts the root overlay volatile (no sync of the upper fs at unmount); a kept container's is not" {
	run -0 b run --rm bb cat /proc/self/mountinfo
	echo "$output" | grep ' / / ' | grep -q 'overlay.*volatile'
	run -0 b run --name kept bb cat /proc/self/mountinfo
	echo "$output" | grep ' / / ' | grep -q overlay
	! echo "$output" | grep ' / / ' | grep -q volatile
	b rm kept >/dev/null
}

@test "run loads none of the heavy libraries; the image store's (libarchive, libcrypto) come on first use" {
	# Each library loaded at start costs every exec of berth, twice per run
	# (libarchive alone pulls in libxml2, ICU and libstdc++: ~5 ms): the
	# image store's and the registry's and firewall's go through lazy_lib.h.
	run -0 env LD_DEBUG=files "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" run --rm bb true
	! grep -E 'file=lib(archive|crypto|ssl|xml2|icu[a-z]*|stdc\+\+|curl[a-z-]*|nftables)\.so' <<<"$output"
	run -0 env LD_DEBUG=files "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" import "$T/rfs.tar" lazy
	grep -q 'file=libarchive.so.[0-9]* .*dynamically loaded by' <<<"$output"
	grep -q 'file=libcrypto.so.[0-9]* .*dynamically loaded by' <<<"$output"
	b rmi lazy >/dev/null
	host_clean
}

@test "seccomp cache: compiled once into a private entry; an entry others could write is not used" {
	local cache=$RUNROOT/seccomp tamper=$BATS_TEST_DIRNAME/../tools/seccomp-cache-entry.py entry
	b run --rm bb true
	entry=$cache/$(ls "$cache")
	[ "$(ls "$cache" | wc -l)" -eq 1 ]
	[ "$(stat -c '%U %a' "$cache") $(stat -c '%U %a %h' "$entry")" = "root 700 root 600 1" ]
	# the default profile refuses a new user namespace (unconfined: allowed)
	run b run --rm bb busybox unshare -U true
	[ "$status" -eq 1 ]
	b run --rm --security-opt seccomp=unconfined bb busybox unshare -U true
	# the attack, where it works: an entry that passes every check (ours,
	# private) but allows everything decides the filter
	python3 "$tamper" allow-all "$entry"
	b run --rm bb busybox unshare -U true
	# the same entry writable by others: recompiled, and written anew
	python3 "$tamper" allow-all "$entry"
	chmod 666 "$entry"
	run b run --rm bb busybox unshare -U true
	[ "$status" -eq 1 ]
	[ "$(stat -c %a "$entry")" = 600 ]
	# owned by someone else
	python3 "$tamper" allow-all "$entry"
	chown nobody "$entry"
	run b run --rm bb busybox unshare -U true
	[ "$status" -eq 1 ]
	# a symlink to a tampered entry elsewhere
	cp "$entry" "$T/evil"
	python3 "$tamper" allow-all "$T/evil"
	ln -sf "$T/evil" "$entry"
	run b run --rm bb busybox unshare -U true
	[ "$status" -eq 1 ]
	[ ! -L "$entry" ]
	# in a directory others could write
	python3 "$tamper" allow-all "$entry"
	chmod 777 "$cache"
	run b run --rm bb busybox unshare -U true
	chmod 700 "$cache"
	rm -f "$entry"
	[ "$status" -eq 1 ]
	host_clean
}

@test "the container's processes are in its cgroup on every hierarchy, cgroup2 included (clone3 into it on hybrid)" {
	id=$(b run -d bb sleep 3217)
	echo "$id" >>"$T/ids"
	pid=$(pgrep -f '^sleep 3217$')
	[ "$(wc -l </proc/"$pid"/cgroup)" -gt 0 ]
	run grep -v ":/berth/$id\$" /proc/"$pid"/cgroup
	[ -z "$output" ] || { echo "not in the container's cgroup: $output"; false; }
	b rm -f "$id" >/dev/null
}

@test "-m and --cpus are read back from the container's cgroup" {
	id=$(b run -d -m 64m --cpus 0.5 bb sleep 30)
	echo "$id" >>"$T/ids"
	pid=$(b inspect -f '{{.State.Pid}}' "$id")
	[ "$(cgroup_file "$pid" memory memory.limit_in_bytes)" -eq 67108864 ]
	[ "$(cgroup_file "$pid" cpu cpu.cfs_quota_us)" -eq 50000 ]
	[ "$(cgroup_file "$pid" cpu cpu.cfs_period_us)" -eq 100000 ]
	[ "$(b inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}' "$id")" = "67108864 500000000" ]
	b rm -f "$id"
	host_clean
}

@test "-v bind mount: written in the container, read on the host; :ro refused" {
	mkdir -p "$T/data"
	echo host >"$T/data/in"
	run b run --rm -v "$T/data:/data" bb sh -c 'cat /data/in; echo ctr > /data/out'
	[ "$output" = host ]
	[ "$(cat "$T/data/out")" = ctr ]
	run b run --rm -v "$T/data:/data:ro" bb sh -c 'echo x > /data/out2'
	[ "$status" -ne 0 ]
	[ ! -e "$T/data/out2" ]
	host_clean
}

@test "-e, -w, -u, --hostname, --entrypoint" {
	run b run --rm -e FOO=bar -w /tmp -u 1000:1000 --hostname box bb sh -c 'echo $FOO; pwd; id -u; id -g; hostname'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'bar\n/tmp\n1000\n1000\nbox')" ]
	run b run --rm -u app bb id -u
	[ "$output" = 1000 ]
	run b run --rm --entrypoint echo bb hello world
	[ "$output" = "hello world" ]
	host_clean
}

@test "inspect: Docker's fields and -f over any path" {
	id=$(b run -d --name insp -e A=1 -l tier=web bb sleep 30)
	echo "$id" >>"$T/ids"
	run b inspect insp
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.[0] | .Id and .Created and .Path == "sleep" and .Args == ["30"] and .State.Running and .State.Pid > 0 and .Name == "/insp" and .RestartCount == 0 and .HostConfig.NetworkMode == "bridge" and (.NetworkSettings.IPAddress | startswith("10.")) and .Config.Labels.tier == "web" and .GraphDriver.Name == "overlay"'
	echo "$output" | jq -e '.[0].Berth == null'
	[ "$(b inspect -f '{{.Id}}' insp)" = "$id" ]
	[ "$(b inspect -f '{{.State.Running}}' insp)" = true ]
	pid=$(b inspect -f '{{.State.Pid}}' insp)
	[ "$(cat /proc/"$pid"/comm)" = sleep ]
	b inspect -f '{{json .Config.Env}}' insp | jq -e 'index("A=1") != null'
	[ -d "$(b inspect -f '{{.GraphDriver.Data.UpperDir}}' insp)" ]
	[ "$(b inspect -f '{{.GraphDriver.Data.MergedDir}}' insp)" = "$ROOT/containers/$id/rootfs" ]
	run b inspect -f '{{.NoSuchField}}' insp
	[ "$status" -eq 125 ]
	b rm -f insp
	host_clean
}

@test "exec into a running container: output, status, -e -w -u, -d" {
	id=$(b run -d bb sleep 30)
	echo "$id" >>"$T/ids"
	run b exec "$id" sh -c 'echo in; exit 5'
	[ "$status" -eq 5 ]
	[ "$output" = in ]
	run b exec -e X=y -w /etc -u 1000 "${id:0:8}" sh -c 'echo $X; pwd; id -u'
	[ "$output" = "$(printf 'y\n/etc\n1000')" ]
	# same pid namespace as the container's init
	run b exec "$id" cat /proc/1/comm
	[ "$output" = sleep ]
	b exec -d "$id" sh -c 'echo d > /mark'
	sleep 0.3
	[ "$(b exec "$id" cat /mark)" = d ]
	run -127 b exec "$id" nosuch
	[ "$status" -eq 127 ]
	# -it: a pty of its own
	run python3 "$BATS_TEST_DIRNAME/../tools/pty-drive.py" 'send:echo in$((2+3)); tty; exit 4\n;;expect:in5' -- "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" exec -it "$id" sh
	[ "$status" -eq 4 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	b rm -f "$id"
	run b exec "$id" true
	[ "$status" -eq 125 ]
	host_clean
}

@test "--init: berth-init is PID 1, reaps an orphan, passes the exit status on" {
	# Without --init the command is PID 1 itself.
	run b run --rm bb sh -c 'echo $$'
	[ "$status" -eq 0 ] && [ "$output" = 1 ]
	run b run --rm --init bb sh -c 'sleep 0.2 & echo $$; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" != 1 ]
	run b run --rm --init bb cat /proc/1/cmdline
	[[ "$output" == /sbin/berth-init* ]]
}

@test "named volume: copied up from the image when empty, kept after rm, refused to rm while in use" {
	b run --rm -v data:/etc bb sh -c 'ls /etc; echo added >/etc/new'
	[ -f "$ROOT/volumes/data/_data/passwd" ]
	[ "$(cat "$ROOT/volumes/data/_data/new")" = added ]
	# Not empty any more: no second copy-up over what the container wrote.
	run b run --rm -v data:/etc bb cat /etc/new
	[ "$output" = added ]
	id=$(b run -d -v data:/data bb sleep 30)
	run b volume rm data
	[ "$status" -ne 0 ]
	b rm -f "$id" >/dev/null
	b volume rm data
	[ ! -e "$ROOT/volumes/data" ]
}

@test "restart on-failure:2 restarts twice and counts it" {
	id=$(b run -d --restart on-failure:2 bb sh -c 'echo run; exit 4')
	echo "$id" >>"$T/ids"
	for i in $(seq 50); do
		[ "$(b inspect -f '{{.State.Status}}' "$id")" = exited ] && [ -z "$(monitors)" ] && break
		sleep 0.1
	done
	[ "$(b inspect -f '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' "$id")" = "2 exited 4" ]
	[ "$(b logs "$id" | grep -c run)" -eq 3 ]
	b rm "$id"
	# always: restarts after a clean exit too, until stopped
	id=$(b run -d --restart always bb sh -c 'sleep 0.1')
	echo "$id" >>"$T/ids"
	sleep 1
	[ "$(b inspect -f '{{.RestartCount}}' "$id")" -ge 2 ]
	b stop "$id"
	[ "$(b inspect -f '{{.State.Running}} {{.State.Restarting}}' "$id")" = "false false" ]
	b rm "$id"
	host_clean
}

@test "run --restart without -d: exits with the first status, the restarts go on detached (Docker's); --rm refused" {
	run b run --name fr1 --restart on-failure:2 bb sh -c 'echo once; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = once ]
	b inspect -f '{{.Id}}' fr1 >>"$T/ids"
	for i in $(seq 100); do
		[ "$(b inspect -f '{{.RestartCount}} {{.State.Status}}' fr1)" = "2 exited" ] && [ -z "$(monitors)" ] && break
		sleep 0.1
	done
	[ "$(b inspect -f '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' fr1)" = "2 exited 3" ]
	[ "$(b logs fr1 | grep -c once)" -eq 3 ]
	b rm fr1
	# a clean exit is not restarted: nothing goes on after the run
	run b run --name fr2 --restart on-failure bb true
	[ "$status" -eq 0 ]
	[ -z "$(monitors)" ]
	[ "$(b inspect -f '{{.RestartCount}} {{.State.Status}}' fr2)" = "0 exited" ]
	b rm fr2
	run b run --rm --restart always bb true
	[ "$status" -eq 125 ]
	[[ $output == *--restart*--rm* ]]
	host_clean
}

@test "COMMAND --help prints the command's usage, status 0" {
	for c in run create start stop rm ps logs exec attach cp commit images volume; do
		run b "$c" --help
		[ "$status" -eq 0 ]
		[[ $output == "Usage: berth $c "* ]]
	done
}

@test "names are unique, IDs match by unique prefix, rename" {
	id=$(b create --name one bb true)
	echo "$id" >>"$T/ids"
	run b create --name one bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *'"one" is already in use'* ]]
	[ "$(b inspect -f '{{.Name}}' "${id:0:5}")" = /one ]
	run b inspect nosuch
	[ "$status" -eq 125 ]
	b rename one two
	[ "$(b inspect -f '{{.Name}}' "$id")" = /two ]
	b create --name one bb true >/dev/null
	[ "$(b ps -a --filter name=two -q)" = "${id:0:12}" ]
	[ "$(b ps -a -q | wc -l)" -eq 2 ]
	[ "$(b ps -a --filter status=created -q | wc -l)" -eq 2 ]
	run b ps -q
	[ -z "$output" ]
	b rm one two
	host_clean
}

@test "-it: a session through a pty, exit status passed on" {
	command -v script >/dev/null || skip "no script(1)"
	run sh -c "(sleep 1; echo 'echo hi\$((1+1)); exit 3') | script -eqc '$BERTH_BIN --root $ROOT --runroot $RUNROOT run -it --rm bb sh' /dev/null"
	[ "$status" -eq 3 ]
	[[ "$output" == *hi2* ]]
	host_clean
}

@test "attach to a -dit container: type, detach with ctrl-p ctrl-q, attach again, exit status" {
	drive=$BATS_TEST_DIRNAME/../tools/pty-drive.py
	id=$(b run -dit bb sh)
	echo "$id" >>"$T/ids"
	run python3 "$drive" 'send:\n;;send:echo hi$((1+1))\n;;expect:hi2;;send:\x10\x11' -- "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" attach "$id"
	[ "$status" -eq 0 ]
	[[ "$output" == *"read escape sequence"* ]]
	[ "$(b inspect -f '{{.State.Running}}' "$id")" = true ]
	# other detach keys
	run python3 "$drive" 'send:\n;;send:\x01;;send:x' -- "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" attach --detach-keys ctrl-a,x "$id"
	[ "$status" -eq 0 ]
	[ "$(b inspect -f '{{.State.Running}}' "$id")" = true ]
	run python3 "$drive" 'send:\n;;send:exit 5\n' -- "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" attach "$id"
	[ "$status" -eq 5 ]
	[ "$(b inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id")" = "exited 5" ]
	b logs "$id" | grep -q hi2
	run b attach "$id"
	[ "$status" -eq 125 ]
	b rm "$id"
	host_clean
}

@test "attach to a container without -t: live stdout and stderr apart, the container's exit status" {
	b run -d --name na1 bb sh -c 'sleep 1; for i in 0 1 2; do echo out$i; echo err$i >&2; sleep 0.2; done; exit 4' >/dev/null
	run --separate-stderr b attach na1 </dev/null
	[ "$status" -eq 4 ]
	[ "$output" = "$(printf 'out0\nout1\nout2')" ]
	[ "$stderr" = "$(printf 'err0\nerr1\nerr2')" ]
	run b attach na1
	[ "$status" -eq 125 ]
}

@test "attach to a -di container without -t: stdin forwarded, detach keys, attach again, exit status" {
	b run -di --name na2 bb sh -c 'while read x; do [ "$x" = quit ] && exit 3; echo got $x; done' >/dev/null
	# the detach keys leave it running
	run b attach na2 < <(printf 'one\n'; sleep 0.5; printf '\020\021')
	[ "$status" -eq 0 ]
	[[ $output == *"got one"* ]]
	[ "$(b inspect -f '{{.State.Running}}' na2)" = true ]
	run b attach na2 < <(printf 'two\n'; sleep 0.5; printf 'quit\n'; sleep 5)
	[ "$status" -eq 3 ]
	[[ $output == *"got two"* ]]
	[ "$(b inspect -f '{{.State.ExitCode}}' na2)" = 3 ]
}

@test "attach without -t: its signals reach the container (--sig-proxy), not with --sig-proxy=false" {
	local prog='trap "echo got-term; exit 7" TERM; while :; do sleep 0.1; done'
	b run -d --name sp1 bb sh -c "$prog" >/dev/null
	# (not through b(): $! must be berth itself, not a subshell)
	"$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" attach sp1 >"$T/sp1.out" 2>&1 </dev/null &
	apid=$!
	sleep 1
	kill -TERM "$apid"
	st=0
	wait "$apid" || st=$?
	[ "$st" -eq 7 ]
	grep -q got-term "$T/sp1.out"
	[ "$(b inspect -f '{{.State.Status}} {{.State.ExitCode}}' sp1)" = "exited 7" ]
	# not proxied: attach ends by the signal, the container runs on
	b run -d --name sp2 bb sh -c "$prog" >/dev/null
	"$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" attach --sig-proxy=false sp2 >"$T/sp2.out" 2>&1 </dev/null &
	apid=$!
	sleep 1
	kill -TERM "$apid"
	st=0
	wait "$apid" || st=$?
	[ "$st" -eq 143 ]
	[ "$(b inspect -f '{{.State.Running}}' sp2)" = true ]
	! grep -q got-term "$T/sp2.out"
	b rm -f sp1 sp2 >/dev/null
	host_clean
}

@test "attach --no-stdin to a -di container: what we type does not reach it" {
	local prog='sleep 0.5; read -t 2 x; echo "read:[$x]"'
	b run -di --name ns1 bb sh -c "$prog" >/dev/null
	run b attach --no-stdin ns1 < <(printf 'typed\n'; sleep 4)
	[ "$status" -eq 0 ]
	[[ $output == *"read:[]"* ]]
	# the same without --no-stdin: it does
	b run -di --name ns2 bb sh -c "$prog" >/dev/null
	run b attach ns2 < <(printf 'typed\n'; sleep 4)
	[ "$status" -eq 0 ]
	[[ $output == *"read:[typed]"* ]]
	b rm ns1 ns2 >/dev/null
	host_clean
}

@test "stats of a stopped container: -- in every measured column, as Docker" {
	b create --name st4 bb true >/dev/null
	run b stats --no-stream --format '{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.MemPerc}}|{{.NetIO}}|{{.BlockIO}}|{{.PIDs}}' st4
	[ "$status" -eq 0 ]
	[ "$output" = "st4|--|-- / --|--|--|--|--" ]
	run b stats --no-stream st4
	[[ ${lines[1]} == *" st4 "*"--"*"-- / --"* ]]
	b rm st4
	host_clean
}

@test "stop -t, kill -s, pause/unpause, top, wait, restart, port, container prune" {
	id=$(b run -d --name c1 bb sleep 100)
	echo "$id" >>"$T/ids"
	run b top c1
	[ "$status" -eq 0 ]
	[[ "$output" == *"sleep 100"* ]]
	b pause c1
	[ "$(b inspect -f '{{.State.Status}} {{.State.Paused}}' c1)" = "paused true" ]
	[[ "$(b ps --format '{{.Status}}')" == *"(Paused)" ]]
	b unpause c1
	[ "$(b inspect -f '{{.State.Status}}' c1)" = running ]
	run b port c1
	[ "$status" -eq 0 ] && [ -z "$output" ]
	pid1=$(b inspect -f '{{.State.Pid}}' c1)
	b restart -t 1 c1
	pid2=$(b inspect -f '{{.State.Pid}}' c1)
	[ "$pid1" != "$pid2" ] && [ "$(b inspect -f '{{.State.Running}}' c1)" = true ]
	b wait c1 >"$T/wait.out" &
	wpid=$!
	# sleep as PID 1 has no handler: the kernel drops USR1, KILL ends it
	b kill -s USR1 c1
	[ "$(b inspect -f '{{.State.Running}}' c1)" = true ]
	b kill c1
	wait "$wpid"
	[ "$(cat "$T/wait.out")" = 137 ]
	b run -d --name c2 bb sleep 100 >/dev/null
	start=$(date +%s)
	b stop -t 1 c2
	[ $(($(date +%s) - start)) -le 3 ]
	[ "$(b inspect -f '{{.State.ExitCode}}' c2)" = 137 ]
	run b rm "$id"
	[ "$status" -eq 0 ]
	b run -d --name c3 bb sleep 100 >/dev/null
	run b rm c3
	[ "$status" -eq 125 ]
	b stop -t 0 c3
	b create bb true >/dev/null
	run b container prune
	[ "$status" -eq 0 ]
	[[ "$output" == "Deleted Containers:"* ]]
	[ -z "$(b ps -aq)" ]
	host_clean
}

@test "stats: MEM LIMIT from -m, CPU % of a busy loop, --no-stream prints one table, --format" {
	b run -d -m 64m --name st1 bb sh -c 'while :; do :; done' >/dev/null
	b run -d --name st2 bb sleep 60 >/dev/null
	run b stats --no-stream st1
	[ "$status" -eq 0 ]
	echo "$output"
	[ "${#lines[@]}" -eq 2 ]
	[[ ${lines[0]} == "CONTAINER ID   NAME   CPU %"*"MEM USAGE / LIMIT"*"MEM %"*"NET I/O"*"BLOCK I/O"*"PIDS" ]]
	[[ ${lines[1]} == *" st1 "*" / 64MiB "* ]]
	cpu=$(echo "${lines[1]}" | awk '{print $3}')
	awk -v c="${cpu%\%}" 'BEGIN { exit !(c > 0) }'
	# no names: every running container, one row each
	run b stats --no-stream
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	run b stats --no-stream --format '{{.Name}}:{{.MemUsage}}:{{.PIDs}}' st1
	[ "$status" -eq 0 ]
	[[ $output == st1:*" / 64MiB:1" ]]
	run b stats --no-stream --no-trunc --format '{{.ID}}' st1
	[ "$output" = "$(b inspect -f '{{.Id}}' st1)" ]
	# streaming on a terminal: cleared and redrawn once a second
	run timeout 3.5 script -qc "$BERTH_BIN --root $ROOT --runroot $RUNROOT stats st1" /dev/null
	[ "$(grep -c 'CONTAINER ID' <<<"$output")" -ge 2 ]
	[[ $output == *$'\e[2J'* ]]
	run b stats --no-stream nosuch
	[ "$status" -eq 125 ]
}

@test "stats on the pure cgroup v2 view: CPU % of a busy loop" {
	local V="$BATS_TEST_DIRNAME/../tools/pure-v2-view"
	export BERTH_V2_RUNTIME=$BERTH_BIN
	"$V" --root "$ROOT" --runroot "$RUNROOT" run -d --name st3 bb sh -c 'while :; do :; done' >/dev/null
	run "$V" --root "$ROOT" --runroot "$RUNROOT" stats --no-stream --format '{{.Name}} {{.CPUPerc}}' st3
	"$V" --root "$ROOT" --runroot "$RUNROOT" rm -f st3 >/dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == "st3 "* ]]
	awk -v c="${output#st3 }" 'BEGIN { sub(/%/, "", c); exit !(c > 0) }'
}

@test "logs rotate at --log-opt max-size, one old file kept, logs reads both" {
	id=$(b run -d --log-opt max-size=20k bb sh -c 'i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); done')
	echo "$id" >>"$T/ids"
	[ "$(b wait "$id")" = 0 ]
	log=$ROOT/containers/$id/$id-json.log
	[ "$(stat -c %s "$log.1")" -le 20480 ]
	[ "$(stat -c %s "$log")" -le 20480 ]
	[ ! -e "$log.2" ]
	[ "$(b logs "$id" | tail -1)" = "line 1999" ]
	# the lines logs prints are consecutive: nothing lost within the kept files
	first=$(b logs "$id" | head -1 | cut -d' ' -f2)
	[ "$(b logs "$id" | wc -l)" -eq $((2000 - first)) ]
	b rm "$id"
	host_clean
}

@test "20 run -d at once: 20 containers, unique names, all running, then removed" {
	for i in $(seq 20); do
		b run -d bb sleep 60 >>"$T/par.ids" &
	done
	wait
	[ "$(sort -u "$T/par.ids" | wc -l)" -eq 20 ]
	cat "$T/par.ids" >>"$T/ids"
	[ "$(b ps -q | wc -l)" -eq 20 ]
	[ "$(b ps --format '{{.Names}}' | sort -u | wc -l)" -eq 20 ]
	b rm -f $(cat "$T/par.ids") >/dev/null
	host_clean
}

@test "rm -f during start: nothing runs on, nothing is left" {
	for i in $(seq 15); do
		id=$(b create bb sleep 100)
		echo "$id" >>"$T/ids"
		b start "$id" >/dev/null 2>&1 &
		sleep "0.0$((RANDOM % 5))"
		b rm -f "$id" >/dev/null
		wait
	done
	! pgrep -f "^sleep 100$"
	host_clean
}

# CVE-2019-5736: keep an O_PATH fd of /proc/PID/exe of a process that runs
# berth's code next to a container, and reopen it for writing once the
# process is gone.  Prints "written" when the attack works.
exe_attack() { # PID WAIT_CMD...
	local pid=$1
	shift
	python3 -c '
import os, sys, subprocess
fd = os.open("/proc/%s/exe" % sys.argv[1], os.O_PATH)
subprocess.run(sys.argv[2:])
try:
    w = os.open("/proc/self/fd/%d" % fd, os.O_WRONLY | os.O_APPEND)
    os.write(w, b"\0")
    print("written")
except OSError as e:
    print("refused:", e.strerror)
' "$pid" "$@"
}

@test "the monitor and a foreground run execute from a sealed copy of their binary (CVE-2019-5736)" {
	# the attack works against a process run from a plain binary
	cp "$(command -v sleep)" "$T/plain"
	"$T/plain" 1 &
	run exe_attack $! sleep 1.5
	[ "$output" = written ]
	sum_m=$(sha256sum <"$(dirname "$BERTH_BIN")/berth-monitor")
	sum_b=$(sha256sum <"$BERTH_BIN")
	id=$(b run -d bb sleep 60)
	echo "$id" >>"$T/ids"
	run exe_attack "$(monitors)" "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" rm -f "$id"
	[[ "${lines[-1]}" == refused:* ]]
	b run --rm bb sleep 1 &
	sleep 0.5
	run exe_attack $! sleep 1.5
	[[ "${lines[-1]}" == refused:* ]]
	[ "$(sha256sum <"$(dirname "$BERTH_BIN")/berth-monitor")" = "$sum_m" ]
	[ "$(sha256sum <"$BERTH_BIN")" = "$sum_b" ]
	host_clean
}

@test "rmi refuses an image a container uses, unless -f" {
	b tag bb bb2
	b create --name user bb2 true >/dev/null
	run b rmi "$(b images -q bb2 | head -1)"
	[ "$status" -eq 125 ]
	b rm user
	b rmi bb2
}

@test "the monitor's resident memory" {
	id=$(b run -d bb sleep 30)
	echo "$id" >>"$T/ids"
	m=$(monitors)
	[ -n "$m" ]
	rss=$(ps -o rss= -p "$m")
	pss=$(awk '/^Pss:/ {print $2}' /proc/"$m"/smaps_rollup)
	echo "# monitor RSS ${rss} kB, PSS ${pss} kB" >&3
	[ "$(cat /proc/"$m"/comm)" = berth-monitor ]
	# Podman's conmon is ~2 MB here; the target is at most half of that
	[ "$rss" -lt 1024 ]
	b rm -f "$id"
	host_clean
}

@test "200 run --rm cycles leave no mount, cgroup, directory, state, monitor or fd" {
	fds_before=$(ls /proc/self/fd | wc -l)
	for i in $(seq 200); do
		b run --rm bb true || return 1
	done
	for i in $(seq 5); do
		b run -d --rm bb true >>"$T/ids" || return 1
	done
	sleep 0.5
	host_clean
	[ -z "$(ls -A "$ROOT/containers")" ]
	# (volumes/.lock is the volume store's own lock file, there for good.)
	[ -z "$(ls -A "$ROOT/volumes" 2>/dev/null | grep -vx .lock)" ]
	[ "$(ls /proc/self/fd | wc -l)" -eq "$fds_before" ]
}

@test "crash: kill -9 of run -d at random points (50 rounds), then ps -a and rm -f leave the host clean" {
	for i in $(seq 50); do
		b run -d bb sleep 100 >/dev/null 2>&1 &
		p=$!
		sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	# kill -9 of a monitor and of a foreground run too
	id=$(b run -d bb sleep 100)
	kill -9 "$(monitors | head -1)"
	b run bb sleep 100 &
	p=$!
	sleep 0.5
	kill -9 "$p"
	wait "$p" 2>/dev/null || true
	run b ps -a
	[ "$status" -eq 0 ]
	b ps -a --no-trunc -q >>"$T/ids"
	b rm -f $(b ps -aq)
	for i in $(seq 30); do
		pgrep -f "^sleep 100$" >/dev/null || break
		sleep 0.1
	done
	! pgrep -f "^sleep 100$"
	host_clean
}

@test "init layer: the mount points live in one shared layer per image, not in each upper; it goes with the image" {
	local id1 id2 il oid
	b run --name il1 --network none bb true
	b run --name il2 --network none bb true
	id1=$(b inspect -f '{{.Id}}' il1)
	id2=$(b inspect -f '{{.Id}}' il2)
	# a run that wrote nothing leaves its upper empty: no proc, sys, dev, etc
	[ -z "$(ls -A "$ROOT/containers/$id1/upper")" ] || { ls -lA "$ROOT/containers/$id1/upper"; false; }
	[ -z "$(ls -A "$ROOT/containers/$id2/upper")" ]
	il=$ROOT/init/$(b image inspect -f '{{.Id}}' bb | sed 's/^sha256://')
	[ "$(ls "$ROOT/init" | wc -l)" -eq 1 ] && [ -d "$il/proc" ] && [ -f "$il/etc/hosts" ]
	# the image's own /etc files show through the init layer's etc
	b run --rm --network none bb cat /etc/passwd | grep -q '^app:'
	b rm il1 il2 >/dev/null
	# an image whose /etc/hosts is a symlink: no /etc/hosts in its init
	# layer; the engine's hosts file is still what the container reads
	mkdir -p "$T/il/bin" "$T/il/etc"
	cp /bin/busybox "$T/il/bin/" && ln -s busybox "$T/il/bin/sh" && ln -s busybox "$T/il/bin/cat"
	ln -s /elsewhere/hosts "$T/il/etc/hosts"
	tar -C "$T/il" -cf "$T/il.tar" .
	oid=$(b import "$T/il.tar" iltest | sed 's/^sha256://')
	run -0 b run --rm --network none iltest cat /etc/hosts
	[[ $output == *"127.0.0.1	localhost"* ]]
	[ -d "$ROOT/init/$oid/etc" ] && [ ! -e "$ROOT/init/$oid/etc/hosts" ] && [ ! -L "$ROOT/init/$oid/etc/hosts" ]
	[ -f "$ROOT/init/$oid/etc/hostname" ]
	b rmi iltest >/dev/null
	[ ! -e "$ROOT/init/$oid" ] && [ -d "$il" ]
	rm -rf "$T/il" "$T/il.tar"
}
