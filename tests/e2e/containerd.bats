#!/usr/bin/env bats
# containerd (1.6, io.containerd.runc.v2 shim) driving the runtime under test
# through `ctr run --runc-binary $RUNTIME`, on a private containerd started
# for this file (see clients.bash). Each test leaves nothing: no task, no
# container, no runtime state, no mount (checked in teardown).

load clients

bats_require_minimum_version 1.5.0

setup_file() { containerd_setup_file; }
teardown_file() { containerd_teardown_file; }
setup() { containerd_setup; }
teardown() { containerd_teardown; }

TERMINABLE='trap "exit 0" TERM; while :; do sleep 0.1; done'

@test "ctr run --rm prints the output" {
	run --separate-stderr ctr_run --rm -- "$CTR_ID" echo hi
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
}

@test "ctr run --rm returns the exit code and passes stdin" {
	run --separate-stderr ctr_run --rm -- "$CTR_ID" sh -c 'echo out; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = out ]
	# the container reads exactly three lines: ctr 1.6 loses the stdin EOF
	# (CloseIO) when the input ends while the task is still being created
	feed() { printf 'a\nb\nc\n' | ctr_run --rm -- "$CTR_ID" sh -c 'read a; read b; read c; echo "$a$b$c"'; }
	run --separate-stderr feed
	[ "$status" -eq 0 ]
	[ "$output" = abc ]
}

@test "ctr run -d: task ls shows RUNNING; kill SIGKILL stops it; task rm and container rm clean up" {
	run ctr_run -d -- "$CTR_ID" sleep 1000
	[ "$status" -eq 0 ]
	[ "$(task_status "$CTR_ID")" = RUNNING ]
	# the pid containerd reports is the container's init, in our marked env
	local pid
	pid=$(ctr_ task ls | awk -v id="$CTR_ID" '$1 == id {print $2}')
	[ "$pid" -gt 1 ]
	grep -qzs "^BERTH_E2E=$CL_TMP" "/proc/$pid/environ"
	run ctr_ task kill -s SIGKILL "$CTR_ID"
	[ "$status" -eq 0 ]
	wait_until 50 eval '[ "$(task_status "$CTR_ID")" = STOPPED ]'
	run ctr_ task rm "$CTR_ID"
	[ "$status" -eq 0 ]
	[ -z "$(task_status "$CTR_ID")" ]
	run ctr_ container rm "$CTR_ID"
	[ "$status" -eq 0 ]
	run ctr_ containers ls -q
	[ -z "$output" ]
}

# nothing of container ID left: runtime state, cgroup, mounts of the task
nothing_left_of() {
	[ -z "$(timeout 10 "$RUNTIME" --root "$CD_RUNC_ROOT/$CD_NS" list -q 2>/dev/null)" ]
	! cl_cgroup_exists "$CD_NS/$1"
	[ -z "$(cl_mounts_under "$CD_DIR/state")" ]
}

@test "ctr task kill -a after the task exited succeeds (runc's kill --all), then the task is deleted" {
	run ctr_run -d -- "$CTR_ID" sh -c 'exit 7'
	[ "$status" -eq 0 ]
	wait_until 50 eval '[ "$(task_status "$CTR_ID")" = STOPPED ]'
	# the shim runs `kill --all ID 9`: runc exits 0 on a stopped container,
	# and any error would reach the client
	run ctr_ task kill -a -s SIGKILL "$CTR_ID"
	[ "$status" -eq 0 ]
	# a plain kill fails (as runc's), in the words the shim reads as "already
	# finished", not as an unknown runtime error
	run ctr_ task kill -s SIGKILL "$CTR_ID"
	[[ "$output" == *"process already finished"* ]]
	[[ "$output" != *"unknown error"* ]]
	run ctr_ task rm "$CTR_ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"exit code 7"* ]]
	run ctr_ container rm "$CTR_ID"
	[ "$status" -eq 0 ]
	nothing_left_of "$CTR_ID"
}

@test "ctr: a task in a joined pid namespace exits; the shim's kill --all of its leftovers works, nothing is left" {
	# a pid namespace of another process (as a Kubernetes pod shares its
	# sandbox's): on the init's exit the shim kills what is left with
	# `kill --all ID 9`, and logs an error if the runtime fails it
	# (marked: teardown_file kills it if the test fails)
	BERTH_E2E="$CL_TMP/holder" unshare -p -f --mount-proc sleep 300 </dev/null >/dev/null 2>&1 3>&- &
	local holder=$! nspid
	wait_until 50 eval '[ -n "$(pgrep -P '"$holder"' sleep)" ]'
	nspid=$(pgrep -P "$holder" sleep)
	run ctr_run -d --with-ns "pid:/proc/$nspid/ns/pid" -- "$CTR_ID" sh -c 'sleep 100 & exit 3'
	[ "$status" -eq 0 ]
	wait_until 50 eval '[ "$(task_status "$CTR_ID")" = STOPPED ]'
	run ctr_ task kill -a -s SIGKILL "$CTR_ID"
	[ "$status" -eq 0 ]
	run ctr_ task rm "$CTR_ID"
	[ "$status" -eq 0 ]
	run ctr_ container rm "$CTR_ID"
	[ "$status" -eq 0 ]
	kill "$nspid" "$holder" 2>/dev/null
	# the background sleep went with the cgroup, which is gone
	nothing_left_of "$CTR_ID"
	! grep -E "failed to kill init's children|not running" "$CD_DIR/containerd.log"
}

@test "ctr task kill sends SIGTERM by default; the task exits with its own code" {
	run ctr_run -d -- "$CTR_ID" sh -c "$TERMINABLE"
	[ "$status" -eq 0 ]
	run ctr_ task kill "$CTR_ID"
	[ "$status" -eq 0 ]
	wait_until 50 eval '[ "$(task_status "$CTR_ID")" = STOPPED ]'
	run ctr_ task rm "$CTR_ID"
	[ "$status" -eq 0 ]
	ctr_ container rm "$CTR_ID"
}

@test "ctr task exec runs in the container and returns the exit code" {
	skip_unless_runtime_supports exec
	run ctr_run -d -- "$CTR_ID" sleep 1000
	[ "$status" -eq 0 ]
	run --separate-stderr ctr_exec --exec-id e1 "$CTR_ID" sh -c 'echo in; tr "\0" " " </proc/1/cmdline'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = in ]
	[ "${lines[1]}" = "sleep 1000 " ]
	run --separate-stderr ctr_exec --exec-id e2 "$CTR_ID" sh -c 'exit 7'
	[ "$status" -eq 7 ]
	ctr_ task kill -s SIGKILL "$CTR_ID"
	wait_until 50 eval '[ "$(task_status "$CTR_ID")" = STOPPED ]'
	ctr_ task rm "$CTR_ID"
	ctr_ container rm "$CTR_ID"
}

@test "ctr run -t and task exec -t get a pseudo-terminal" {
	skip_unless_runtime_supports terminal
	run ctr_tty run -t --rm --runc-binary "$RUNTIME" --runc-root "$CD_RUNC_ROOT" --fifo-dir "$CD_DIR/fifo" \
		--env "BERTH_E2E=$CL_TMP" "$CLIENTS_IMAGE" "$CTR_ID" sh -c 'tty; echo ok'
	[ "$status" -eq 0 ]
	[[ "$output" == */dev/pts/* ]]
	[[ "$output" == *ok* ]]
	runtime_supports exec || return 0
	run ctr_run -d -- "$CTR_ID" sleep 1000
	[ "$status" -eq 0 ]
	run ctr_tty task exec -t --fifo-dir "$CD_DIR/fifo" --exec-id t1 "$CTR_ID" sh -c 'tty; echo ok2'
	[ "$status" -eq 0 ]
	[[ "$output" == */dev/pts/* ]]
	[[ "$output" == *ok2* ]]
	ctr_ task kill -s SIGKILL "$CTR_ID"
	wait_until 50 eval '[ "$(task_status "$CTR_ID")" = STOPPED ]'
	ctr_ task rm "$CTR_ID"
	ctr_ container rm "$CTR_ID"
}

@test "ctr task pause and resume" {
	skip_unless_runtime_supports pause
	run ctr_run -d -- "$CTR_ID" sleep 1000
	[ "$status" -eq 0 ]
	run ctr_ task pause "$CTR_ID"
	[ "$status" -eq 0 ]
	[ "$(task_status "$CTR_ID")" = PAUSED ]
	run ctr_ task resume "$CTR_ID"
	[ "$status" -eq 0 ]
	[ "$(task_status "$CTR_ID")" = RUNNING ]
	ctr_ task kill -s SIGKILL "$CTR_ID"
	wait_until 50 eval '[ "$(task_status "$CTR_ID")" = STOPPED ]'
	ctr_ task rm "$CTR_ID"
	ctr_ container rm "$CTR_ID"
}

@test "ctr task ps lists the container's processes" {
	skip_unless_runtime_supports ps
	run ctr_run -d -- "$CTR_ID" sleep 1000
	[ "$status" -eq 0 ]
	local pid
	pid=$(ctr_ task ls | awk -v id="$CTR_ID" '$1 == id {print $2}')
	run --separate-stderr ctr_ task ps "$CTR_ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$pid"* ]]
	ctr_ task kill -s SIGKILL "$CTR_ID"
	wait_until 50 eval '[ "$(task_status "$CTR_ID")" = STOPPED ]'
	ctr_ task rm "$CTR_ID"
	ctr_ container rm "$CTR_ID"
}
