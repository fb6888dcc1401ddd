#!/usr/bin/env bats
# Podman (4.3, conmon) driving the runtime under test: `podman --runtime
# $RUNTIME` on a private store (see clients.bash). Each test leaves nothing:
# no podman container, no runtime state, no mount (checked in teardown).

load clients

bats_require_minimum_version 1.5.0

setup_file() { podman_setup_file; }
teardown_file() { podman_teardown_file; }
setup() { podman_setup; }
teardown() { podman_teardown; }

# run_d ARGS...: podman run -d with the common options; sets $ID.
run_d() {
	ID=$(pm run -d "${PM_RUN_OPTS[@]}" "$@") || { echo "podman run -d failed: $ID" >&2; return 1; }
	ID=$(tail -n1 <<<"$ID")
}

# a container that exits 0 on SIGTERM (a plain `sleep` as pid 1 ignores it)
TERMINABLE='trap "exit 0" TERM; while :; do sleep 0.1; done'

ctr_status() {
	pm inspect --format '{{.State.Status}}' "$1"
}

@test "podman run --rm prints the output and returns the exit code" {
	run --separate-stderr pm run --rm "${PM_RUN_OPTS[@]}" "$CLIENTS_IMAGE" echo hello
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
	run --separate-stderr pm run --rm "${PM_RUN_OPTS[@]}" "$CLIENTS_IMAGE" sh -c 'echo out; echo err >&2; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = out ]
	[[ "$stderr" == *err* ]]
}

@test "podman run -i passes stdin through" {
	feed() {
		printf 'line1\nline2\n' | pm run -i --rm "${PM_RUN_OPTS[@]}" "$CLIENTS_IMAGE" sh -c 'wc -l; echo done'
	}
	run --separate-stderr feed
	[ "$status" -eq 0 ]
	[ "${lines[0]}" -eq 2 ]
	[ "${lines[1]}" = "done" ]
}

@test "podman run honors user, workdir, env, hostname and --read-only" {
	run --separate-stderr pm run --rm "${PM_RUN_OPTS[@]}" --user 1000:1000 --workdir /tmp \
		--env FOO=bar --hostname berth-host --read-only "$CLIENTS_IMAGE" \
		sh -c 'id -u; id -g; pwd; echo "$FOO"; hostname; if touch /x 2>/dev/null; then echo rw; else echo ro; fi'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	[ "${lines[2]}" = /tmp ]
	[ "${lines[3]}" = bar ]
	[ "${lines[4]}" = berth-host ]
	[ "${lines[5]}" = ro ]
}

@test "podman run -d: ps shows it running, logs has its output, rm -f removes it" {
	run_d "$CLIENTS_IMAGE" sh -c 'echo started; exec sleep 1000'
	run --separate-stderr pm ps --no-trunc --format '{{.ID}} {{.Status}}'
	[ "$status" -eq 0 ]
	[[ "$output" == "$ID Up"* ]]
	[ "$(ctr_status "$ID")" = running ]
	retry_output 50 started pm logs "$ID"
	run pm rm -f -t 0 "$ID"
	[ "$status" -eq 0 ]
	run --separate-stderr pm ps -a -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "podman exec sees the container's pid namespace and hostname" {
	skip_unless_runtime_supports exec
	run_d --hostname berth-exec "$CLIENTS_IMAGE" sleep 1000
	run --separate-stderr pm exec "$ID" sh -c 'tr "\\0" " " </proc/1/cmdline'
	[ "$status" -eq 0 ]
	[ "$output" = "sleep 1000 " ]
	run --separate-stderr pm exec "$ID" hostname
	[ "$status" -eq 0 ]
	[ "$output" = berth-exec ]
	# exit code, user and env of the exec'd process
	run --separate-stderr pm exec -u 1000 -e X=y "$ID" sh -c 'id -u; echo "$X"; exit 5'
	[ "$status" -eq 5 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = y ]
	pm rm -f -t 0 "$ID"
}

@test "podman exec -it gets a pseudo-terminal" {
	skip_unless_runtime_supports exec terminal
	run_d "$CLIENTS_IMAGE" sleep 1000
	run pm_tty exec -it "$ID" sh -c 'tty; echo ok; exit 4'
	[ "$status" -eq 4 ]
	[[ "$output" == */dev/pts/* ]]
	[[ "$output" == *ok* ]]
	pm rm -f -t 0 "$ID"
}

@test "podman run -it gets a pseudo-terminal" {
	skip_unless_runtime_supports terminal
	# podman 4.3 may attach to the terminal after a very quick container has
	# already written (a known client race, podman#9859): wait a little first
	run pm_tty run -it --rm "${PM_RUN_OPTS[@]}" "$CLIENTS_IMAGE" sh -c 'sleep 0.5; tty; stty size; echo ok; exit 6'
	[ "$status" -eq 6 ]
	[[ "$output" == */dev/pts/* ]]
	[[ "$output" == *ok* ]]
}

@test "podman stop -t 2 stops a container with SIGTERM and rm removes it" {
	run_d "$CLIENTS_IMAGE" sh -c "$TERMINABLE"
	local t0=$SECONDS
	run pm stop -t 2 "$ID"
	[ "$status" -eq 0 ]
	[ $((SECONDS - t0)) -lt 2 ]
	[ "$(ctr_status "$ID")" = exited ]
	[ "$(pm inspect --format '{{.State.ExitCode}}' "$ID")" -eq 0 ]
	run pm rm "$ID"
	[ "$status" -eq 0 ]
	run --separate-stderr pm ps -a -q
	[ -z "$output" ]
}

@test "podman stop falls back to SIGKILL when SIGTERM is ignored" {
	run_d "$CLIENTS_IMAGE" sleep 1000
	run pm stop -t 1 "$ID"
	[ "$status" -eq 0 ]
	[ "$(ctr_status "$ID")" = exited ]
	[ "$(pm inspect --format '{{.State.ExitCode}}' "$ID")" -eq 137 ]
	pm rm "$ID"
}

@test "podman kill delivers the signal to the container" {
	run_d "$CLIENTS_IMAGE" sh -c 'trap "echo got-usr1" USR1; echo ready; while :; do sleep 0.1; done'
	retry_output 50 ready pm logs "$ID"
	run pm kill -s USR1 "$ID"
	[ "$status" -eq 0 ]
	retry_output 50 got-usr1 pm logs "$ID"
	[ "$(ctr_status "$ID")" = running ]
	pm rm -f -t 0 "$ID"
}

@test "podman inspect follows created, initialized, running, exited" {
	ID=$(pm create "${PM_RUN_OPTS[@]}" "$CLIENTS_IMAGE" sh -c "$TERMINABLE" | tail -n1)
	[ -n "$ID" ]
	[ "$(ctr_status "$ID")" = created ]
	# init: the runtime's create without start
	run pm init "$ID"
	[ "$status" -eq 0 ]
	[ "$(ctr_status "$ID")" = initialized ]
	[ "$(pm inspect --format '{{.State.Pid}}' "$ID")" -gt 0 ]
	run pm start "$ID"
	[ "$status" -eq 0 ]
	[ "$(ctr_status "$ID")" = running ]
	run pm kill -s KILL "$ID"
	[ "$status" -eq 0 ]
	run --separate-stderr pm wait "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = 137 ]
	[ "$(ctr_status "$ID")" = exited ]
	# a stopped container starts again (runtime delete + create + start)
	run pm start "$ID"
	[ "$status" -eq 0 ]
	[ "$(ctr_status "$ID")" = running ]
	pm stop -t 2 "$ID"
	[ "$(ctr_status "$ID")" = exited ]
	pm rm "$ID"
}

@test "podman pause and unpause" {
	skip_unless_runtime_supports pause
	run_d "$CLIENTS_IMAGE" sleep 1000
	run pm pause "$ID"
	[ "$status" -eq 0 ]
	[ "$(ctr_status "$ID")" = paused ]
	run pm unpause "$ID"
	[ "$status" -eq 0 ]
	[ "$(ctr_status "$ID")" = running ]
	pm rm -f -t 0 "$ID"
}

@test "podman run -m 64m: the memory limit is visible inside" {
	skip_unless_runtime_supports cgroups
	run --separate-stderr pm run --rm "${PM_RUN_OPTS[@]}" -m 64m "$CLIENTS_IMAGE" \
		sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'
	[ "$status" -eq 0 ]
	[ "$output" = 67108864 ]
}

@test "podman run --cpus 0.2 sets a CFS quota of 20000" {
	skip_unless_runtime_supports cgroups
	run --separate-stderr pm run --rm "${PM_RUN_OPTS[@]}" --cpus 0.2 "$CLIENTS_IMAGE" \
		sh -c 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/cpu.max'
	[ "$status" -eq 0 ]
	[[ "$output" = 20000 || "$output" = "20000 100000" ]]
}
