#!/usr/bin/env bats
# exec into a running container, and terminals: console sockets for run and
# exec, the foreground relay, exit statuses.

load helpers

RECVTTY="$BATS_TEST_DIRNAME/../../build/recvtty"

# A running container whose process sleeps; hostname known.
start_sleeper() {
	cfg '.hostname = "exechost" | .root.readonly = false'
	set_args sleep 300
	run_detached
}

@test "exec joins the container's pid namespace, hostname and root" {
	start_sleeper
	run rt exec "$CID" sh -c 'echo "$$ $(hostname)"; cat /proc/1/cmdline | tr "\0" " "; ls /'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *" exechost" ]]
	# a low PID inside the container's namespace, not a host PID
	[ "$(cut -d' ' -f1 <<<"${lines[0]}")" -lt 100 ]
	[[ "${lines[1]}" == "sleep 300"* ]]
	[[ "$output" == *bin* ]]
	# the same namespaces as the container process
	local pid
	pid=$(state_of "$CID" pid)
	run rt exec "$CID" sh -c 'for n in net mnt uts ipc; do readlink /proc/self/ns/$n; done'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(ns_link "$pid" net)" ]
	[ "${lines[1]}" = "$(ns_link "$pid" mnt)" ]
	[ "${lines[2]}" = "$(ns_link "$pid" uts)" ]
	[ "${lines[3]}" = "$(ns_link "$pid" ipc)" ]
}

@test "exec returns the process's exit status, 128+signal when killed" {
	start_sleeper
	run rt exec "$CID" sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run rt exec "$CID" sh -c 'kill -TERM $$'
	[ "$status" -eq $((128 + 15)) ]
}

@test "exec --cwd, --env and --user" {
	start_sleeper
	run rt exec --cwd /tmp --env FOO=bar --env PATH=/bin --user 1000:1000 "$CID" sh -c 'pwd; echo "$FOO $PATH"; id -u; id -g'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /tmp ]
	[ "${lines[1]}" = "bar /bin" ]
	[ "${lines[2]}" = 1000 ]
	[ "${lines[3]}" = 1000 ]
}

@test "exec --user out of range is refused, never wrapped to root" {
	skip_on runc "runc 1.1 runs --user 4294967296 as uid 0 and refuses ids above 2147483647"
	start_sleeper
	local u
	for u in -1 4294967296 4294967295 1000:-1 1000:4294967296 18446744073709551616 abc '' 5: :5; do
		run rt exec --user "$u" "$CID" id -u
		[ "$status" -ne 0 ] || { echo "accepted --user '$u': $output" >&2; return 1; }
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"--user"* ]]
	done
	run rt exec --user 4294967294:4294967294 "$CID" sh -c 'id -u; id -g'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 4294967294 ]
	[ "${lines[1]}" = 4294967294 ]
}

@test "exec --process takes a process JSON" {
	start_sleeper
	jq -n '{cwd: "/", args: ["sh", "-c", "echo from-json $X"], env: ["X=1", "PATH=/bin"], user: {uid: 0, gid: 0}}' >"$TEST_TMP/p.json"
	run rt exec --process "$TEST_TMP/p.json" "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = "from-json 1" ]
}

@test "exec --cap adds a capability, --no-new-privs sets it" {
	start_sleeper
	local before after
	run rt exec "$CID" sh -c 'grep CapEff /proc/self/status'
	before=$(awk '/CapEff/ {print $2}' <<<"$output")
	run rt exec --cap CAP_SYS_ADMIN --no-new-privs "$CID" sh -c 'grep -E "CapEff|NoNewPrivs" /proc/self/status'
	[ "$status" -eq 0 ]
	[[ "$output" == *"NoNewPrivs:"*1* ]]
	after=$(awk '/CapEff/ {print $2}' <<<"$output")
	# CAP_SYS_ADMIN is bit 21
	[ $((0x$after & (1 << 21))) -ne 0 ]
	[ $((0x$before & (1 << 21))) -eq 0 ]
}

@test "exec --detach with --pid-file leaves the process running" {
	start_sleeper
	# detached: its stdio must not be bats' pipes, which it would hold open
	rt exec --detach --pid-file "$TEST_TMP/e.pid" "$CID" sleep 100 </dev/null >/dev/null 2>&1
	local pid
	pid=$(cat "$TEST_TMP/e.pid")
	pid_alive "$pid"
	[ "$(ns_link "$pid" pid)" = "$(ns_link "$(state_of "$CID" pid)" pid)" ]
}

@test "exec of a missing program fails with a clear error and no process" {
	start_sleeper
	run rt exec "$CID" /nope
	[ "$status" -ne 0 ]
	[[ "$output" == *'"/nope"'* ]]
	[ "$(echo "$output" | wc -l)" -eq 1 ]
}

@test "exec into a stopped or missing container fails" {
	set_args true
	run_detached
	wait_status "$CID" stopped
	run rt exec "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *stopped* ]]
	run rt exec nonexistent-ctr true
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "exec --tty sends the pty master over --console-socket" {
	start_sleeper
	"$RECVTTY" "$TEST_TMP/c.sock" >"$TEST_TMP/tty.out" 2>&1 &
	defer "kill $! 2>/dev/null"
	wait_for grep -q listening "$TEST_TMP/tty.out"
	run rt exec --tty --console-socket "$TEST_TMP/c.sock" "$CID" sh -c 'tty; echo on-tty'
	[ "$status" -eq 0 ]
	wait_for grep -q on-tty "$TEST_TMP/tty.out"
	grep -q '^name: /dev/pts/' "$TEST_TMP/tty.out"
	grep -q '^/dev/pts/[0-9]' "$TEST_TMP/tty.out"
}

@test "run with process.terminal sends the master over --console-socket" {
	cfg '.process.terminal = true | .process.consoleSize = {height: 33, width: 101}'
	set_args sh -c 'tty; stty size; echo done'
	"$RECVTTY" "$TEST_TMP/c.sock" >"$TEST_TMP/tty.out" 2>&1 &
	defer "kill $! 2>/dev/null"
	wait_for grep -q listening "$TEST_TMP/tty.out"
	run rt run --console-socket "$TEST_TMP/c.sock" --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	wait_for grep -q done "$TEST_TMP/tty.out"
	grep -q '^/dev/pts/0' "$TEST_TMP/tty.out"
	grep -q '^33 101' "$TEST_TMP/tty.out"
}

@test "foreground run with a terminal and no console socket relays it" {
	cfg '.process.terminal = true'
	set_args sh -c 'tty; echo relayed'
	run script -qec "$RUNTIME --root $STATE_ROOT run --bundle $BUNDLE $CID" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *relayed* ]]
}

@test "create with a terminal needs a console socket" {
	cfg '.process.terminal = true'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *console-socket* ]]
	run rt state "$CID"
	[ "$status" -ne 0 ]
}

@test "exec uses the config saved at create: an edited, then removed bundle changes nothing" {
	# The rootfs lives outside the bundle, so the bundle can go.
	mv "$BUNDLE/rootfs" "$TEST_TMP/rootfs"
	cfg --arg r "$TEST_TMP/rootfs" '.root.path = $r | .process.env += ["SAVED=at-create"]'
	start_sleeper
	# Against a runtime that reads config.json on exec, this edit would show.
	cfg '.process.env |= map(if startswith("SAVED=") then "SAVED=edited" else . end)
		| .process.user.uid = 1000'
	run rt exec "$CID" sh -c 'echo "$SAVED $(id -u)"'
	[ "$status" -eq 0 ]
	[ "$output" = "at-create 0" ]
	rm -rf "$BUNDLE"
	run rt exec "$CID" sh -c 'echo "$SAVED"'
	[ "$status" -eq 0 ]
	[ "$output" = "at-create" ]
	run rt delete --force "$CID"
	[ "$status" -eq 0 ]
}
