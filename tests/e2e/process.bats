#!/usr/bin/env bats
# The container process: cwd, env, user, umask, rlimits, no_new_privs,
# capabilities, oom_score_adj, stdio, --preserve-fds, sysctl.

load helpers

# status_field NAME TEXT: value of a /proc/PID/status line
status_field() {
	awk -v k="$1:" '$1 == k {print $2}' <<<"$2"
}

@test "cwd" {
	cfg '.process.cwd = "/tmp"'
	run in_ctr pwd
	[ "$status" -eq 0 ]
	[ "$output" = /tmp ]
}

@test "cwd that does not exist in the rootfs is created" {
	cfg '.root.readonly = false | .process.cwd = "/made/by/runtime"'
	run in_ctr pwd
	[ "$status" -eq 0 ]
	[ "$output" = /made/by/runtime ]
}

@test "env: exactly the configured environment" {
	cfg '.process.env = ["PATH=/bin", "FOO=bar", "WITH_SPACE=a b=c"]'
	run in_ctr env
	[ "$status" -eq 0 ]
	[[ "$output" == *FOO=bar* ]]
	[[ "$output" == *"WITH_SPACE=a b=c"* ]]
	[[ "$output" == *PATH=/bin* ]]
	# nothing leaks from the caller's environment
	[[ "$output" != *BATS_* ]]
	[[ "$output" != *BERTH_E2E* ]]
}

@test "args: argv is passed verbatim" {
	run in_ctr sh -c 'for a in "$@"; do echo "[$a]"; done' argv0 'a b' '' "it's"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "[a b]" ]
	[ "${lines[1]}" = "[]" ]
	[ "${lines[2]}" = "[it's]" ]
}

@test "binary is found through PATH of process.env" {
	mkdir "$BUNDLE/rootfs/opt"
	printf '#!/bin/sh\necho from-opt\n' >"$BUNDLE/rootfs/opt/e2e-tool"
	chmod 755 "$BUNDLE/rootfs/opt/e2e-tool"
	cfg '.process.env = ["PATH=/opt:/bin"]'
	run in_ctr e2e-tool
	[ "$status" -eq 0 ]
	[ "$output" = from-opt ]
}

@test "user: uid, gid and additionalGids" {
	cfg '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20]}'
	run in_ctr sh -c 'id -u; id -g; id -G; grep -E "^(Uid|Gid|Groups):" /proc/self/status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	groups=" ${lines[2]} "
	[[ "$groups" == *" 10 "* ]]
	[[ "$groups" == *" 20 "* ]]
	[[ "$output" == *"Uid:"*"1000"*"1000"*"1000"*"1000"* ]]
	[ "$(grep '^Groups:' <<<"$output" | tr -s ' \t' ' ' | sed 's/ $//')" = "Groups: 10 20" ]
}

@test "user: root by default with no supplementary groups" {
	run in_ctr sh -c 'id -u; id -g; grep "^Groups:" /proc/self/status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[ "$(echo ${lines[2]})" = "Groups:" ]
}

@test "user: a non-root user cannot write root-owned files" {
	cfg '.root.readonly = false | .process.user = {"uid": 1000, "gid": 1000}'
	run in_ctr sh -c 'touch /etc/x; echo rc=$?; touch /home/e2e/x && echo home-ok'
	[[ "$output" == *"Permission denied"* ]]
	[[ "$output" == *rc=1* ]]
	[[ "$output" == *home-ok* ]]
	[ "$(stat -c %u:%g "$BUNDLE/rootfs/home/e2e/x")" = 1000:1000 ]
}

@test "umask" {
	cfg '.root.readonly = false | .process.user.umask = 63'
	run in_ctr sh -c 'umask; touch /newfile; stat -c %a /newfile'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0077 ]
	[ "${lines[1]}" = 600 ]
}

@test "rlimits: RLIMIT_NOFILE soft and hard" {
	cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 777, "hard": 888}]'
	run in_ctr sh -c 'ulimit -n; ulimit -Hn'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 777 ]
	[ "${lines[1]}" = 888 ]
}

@test "rlimits: several limits at once" {
	cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200},
	                         {"type": "RLIMIT_NPROC", "soft": 1234, "hard": 1234},
	                         {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]'
	run in_ctr cat /proc/self/limits
	[ "$status" -eq 0 ]
	grep -Eq '^Max open files +100 +200 ' <<<"$output"
	grep -Eq '^Max processes +1234 +1234 ' <<<"$output"
	grep -Eq '^Max core file size +0 +0 ' <<<"$output"
}

@test "noNewPrivileges true" {
	cfg '.process.noNewPrivileges = true'
	run in_ctr grep NoNewPrivs /proc/self/status
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "NoNewPrivs: 1" ]
}

@test "noNewPrivileges false" {
	cfg '.process.noNewPrivileges = false'
	run in_ctr grep NoNewPrivs /proc/self/status
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "NoNewPrivs: 0" ]
}

@test "capabilities of a root process match the config" {
	# CAP_CHOWN=0 CAP_KILL=5 CAP_NET_BIND_SERVICE=10
	cfg '.process.capabilities = {
		"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"effective": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"inheritable": ["CAP_KILL"],
		"ambient": ["CAP_KILL"]}'
	run in_ctr cat /proc/self/status
	[ "$status" -eq 0 ]
	[ "$(status_field CapBnd "$output")" = 0000000000000421 ]
	[ "$(status_field CapPrm "$output")" = 0000000000000421 ]
	[ "$(status_field CapEff "$output")" = 0000000000000421 ]
	[ "$(status_field CapInh "$output")" = 0000000000000020 ]
	[ "$(status_field CapAmb "$output")" = 0000000000000020 ]
}

@test "capabilities of a non-root process: ambient caps survive exec" {
	cfg '.process.user = {"uid": 1000, "gid": 1000}
	   | .process.capabilities = {
		"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"inheritable": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"ambient": ["CAP_KILL", "CAP_NET_BIND_SERVICE"]}'
	run in_ctr cat /proc/self/status
	[ "$status" -eq 0 ]
	[ "$(status_field CapBnd "$output")" = 0000000000000421 ]
	[ "$(status_field CapPrm "$output")" = 0000000000000420 ]
	[ "$(status_field CapEff "$output")" = 0000000000000420 ]
	[ "$(status_field CapInh "$output")" = 0000000000000420 ]
	[ "$(status_field CapAmb "$output")" = 0000000000000420 ]
}

@test "capabilities: an empty set drops everything" {
	cfg '.process.capabilities = {"bounding": [], "effective": [], "permitted": [], "inheritable": [], "ambient": []}'
	run in_ctr sh -c 'grep ^Cap /proc/self/status; chown 1000 /tmp; echo rc=$?'
	for f in CapInh CapPrm CapEff CapBnd CapAmb; do
		[ "$(status_field "$f" "$output")" = 0000000000000000 ]
	done
	[[ "$output" == *rc=1* ]]
}

@test "capabilities are enforced: CAP_CHOWN allows chown, its absence denies it" {
	cfg '.root.readonly = false'
	add_caps CAP_CHOWN
	run in_ctr sh -c 'touch /f && chown 1000 /f && stat -c %u /f'
	[ "$status" -eq 0 ]
	[ "$output" = 1000 ]
}

@test "oomScoreAdj" {
	cfg '.process.oomScoreAdj = 123'
	run in_ctr cat /proc/self/oom_score_adj
	[ "$status" -eq 0 ]
	[ "$output" = 123 ]
}

@test "stdio: stdout and stderr reach the caller separately" {
	set_args sh -c 'echo to-out; echo to-err >&2; echo out2'
	rc=0
	rt run --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_TMP/o" 2>"$TEST_TMP/e" 3>&- || rc=$?
	[ "$rc" -eq 0 ]
	[ "$(cat "$TEST_TMP/o")" = "$(printf 'to-out\nout2')" ]
	[ "$(cat "$TEST_TMP/e")" = to-err ]
}

@test "stdio: stdin reaches the process" {
	set_args cat
	run bash -c 'echo hi | "$0" --root "$1" run --bundle "$2" "$3"' "$RUNTIME" "$STATE_ROOT" "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
}

@test "stdio: large output is not truncated" {
	set_args sh -c 'i=0; while [ $i -lt 20000 ]; do echo "line $i"; i=$((i+1)); done'
	rc=0
	rt run --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_TMP/o" 3>&- || rc=$?
	[ "$rc" -eq 0 ]
	[ "$(wc -l <"$TEST_TMP/o")" -eq 20000 ]
	[ "$(tail -n 1 "$TEST_TMP/o")" = "line 19999" ]
}

@test "stdio: run --detach passes the caller's stdio to the container" {
	set_args sh -c 'echo detached-out; echo detached-err >&2'
	run_detached
	wait_status "$CID" stopped
	[ "$(cat "$TEST_TMP/$CID.out")" = detached-out ]
	[ "$(cat "$TEST_TMP/$CID.err")" = detached-err ]
}

@test "--preserve-fds: an extra fd 3 is readable inside" {
	echo through-fd3 >"$TEST_TMP/fd3"
	set_args sh -c 'cat <&3; readlink /proc/self/fd/4 || echo no-fd4'
	rc=0
	rt run --preserve-fds 1 --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_TMP/o" 2>&1 3<"$TEST_TMP/fd3" 4</dev/null || rc=$?
	cat "$TEST_TMP/o" >&2
	[ "$rc" -eq 0 ]
	[ "$(head -n 1 "$TEST_TMP/o")" = through-fd3 ]
	# only one extra fd was preserved
	grep -q no-fd4 "$TEST_TMP/o"
}

@test "without --preserve-fds no extra fd leaks into the container" {
	set_args sh -c 'ls /proc/self/fd'
	rc=0
	rt run --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_TMP/o" 2>/dev/null 3<"$BUNDLE/config.json" 7</dev/null || rc=$?
	[ "$rc" -eq 0 ]
	# 0 1 2 and the fd of ls' directory stream
	[ "$(sort -n "$TEST_TMP/o" | tr '\n' ' ')" = "0 1 2 3 " ]
}

@test "sysctl: net.ipv4.ip_forward in the container's netns" {
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	run in_ctr cat /proc/sys/net/ipv4/ip_forward
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
}

@test "sysctl: kernel.shm_rmid_forced in the container's ipc ns; host unchanged" {
	before=$(cat /proc/sys/kernel/shm_rmid_forced)
	want=$((1 - before))
	cfg --arg v "$want" '.linux.sysctl = {"kernel.shm_rmid_forced": $v}'
	run in_ctr cat /proc/sys/kernel/shm_rmid_forced
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	[ "$(cat /proc/sys/kernel/shm_rmid_forced)" = "$before" ]
}

@test "sysctl: a non-namespaced sysctl is rejected" {
	cfg '.linux.sysctl = {"kernel.panic": "5"}'
	before=$(cat /proc/sys/kernel/panic)
	run in_ctr true
	[ "$status" -ne 0 ]
	[ "$(cat /proc/sys/kernel/panic)" = "$before" ]
}

@test "socket activation: LISTEN_FDS pass only when LISTEN_PID is the runtime's own pid" {
	[[ "$RUNTIME_NAME" == berth* ]] || skip "berth reads LISTEN_FDS in its CLI"
	echo through-listen-fd >"$TEST_TMP/fd3"
	set_args sh -c 'echo "fds=$LISTEN_FDS pid=$LISTEN_PID"; cat <&3 2>/dev/null || echo no-fd3'
	# sh's $$ is the runtime's pid after exec: LISTEN_PID matches
	BERTH_E2E="$TEST_TMP/rt" LISTEN_FDS=1 sh -c 'LISTEN_PID=$$ exec "$0" --root "$1" run --bundle "$2" "$3"' \
		"$RUNTIME" "$STATE_ROOT" "$BUNDLE" "$CID" </dev/null >"$TEST_TMP/o" 2>&1 3<"$TEST_TMP/fd3"
	cat "$TEST_TMP/o" >&2
	[ "$(head -n 1 "$TEST_TMP/o")" = "fds=1 pid=1" ]
	grep -q through-listen-fd "$TEST_TMP/o"
	# no LISTEN_PID, or another process's: the fds are not for us
	for pid in unset 1; do
		if [ "$pid" = unset ]; then unset LISTEN_PID; else export LISTEN_PID=$pid; fi
		LISTEN_FDS=1 rt run --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_TMP/o" 2>&1 3<"$TEST_TMP/fd3"
		cat "$TEST_TMP/o" >&2
		[ "$(head -n 1 "$TEST_TMP/o")" = "fds= pid=" ]
		grep -q no-fd3 "$TEST_TMP/o"
	done
	unset LISTEN_PID
}
