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
