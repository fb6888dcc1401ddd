#!/usr/bin/env bats
# The pure cgroup v2 code path: every runtime call goes through
# tests/tools/pure-v2-view, where /sys/fs/cgroup is the cgroup2 hierarchy
# alone.  On a pure v2 host that is /sys/fs/cgroup itself and the runtime runs
# directly; on a hybrid one (this test machine) the cgroup2 mount at
# /sys/fs/cgroup/unified is shown there in a private mount namespace.  The
# hybrid mount carries no memory/cpu controllers, so limits are covered by
# the unit tests against directory trees; what runs here is the v2
# lifecycle: clone into the cgroup, freeze, kill, eBPF devices, removal.

load helpers

# The runtime under test, wrapped; the wrapper execs $BERTH_V2_RUNTIME.
export BERTH_V2_RUNTIME="$RUNTIME"
RUNTIME="$BATS_TEST_DIRNAME/../tools/pure-v2-view"
# the host's cgroup2 hierarchy: /sys/fs/cgroup on a pure v2 host
if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
	V2=/sys/fs/cgroup
else
	V2=/sys/fs/cgroup/unified
fi

setup() {
	[ "$RUNTIME_NAME" = berth-runtime ] || skip "berth's v2 path only"
	[ "$(stat -f -c %T $V2 2>/dev/null)" = cgroup2fs ] || skip "no cgroup2 hierarchy (neither /sys/fs/cgroup nor /sys/fs/cgroup/unified)"
	e2e_setup
	# `runc spec` on a pure v2 host adds a cgroup namespace: the tests that
	# want one add it themselves
	cfg '.linux.namespaces |= map(select(.type != "cgroup"))'
}

@test "v2: the container process is born in its own cgroup" {
	set_args sh -c 'cat /proc/self/cgroup'
	run run_ctr
	[ "$status" -eq 0 ]
	[[ "$output" == *"0::/$CID"* ]]
	# removed with the container
	[ ! -d "$V2/$CID" ]
}

@test "v2: a cgroup namespace roots the container at its cgroup" {
	cfg '.linux.namespaces += [{"type": "cgroup"}]'
	set_args sh -c 'cat /proc/self/cgroup'
	run run_ctr
	[ "$status" -eq 0 ]
	[[ "$output" == *"0::/"* ]]
	[[ "$output" != *"$CID"* ]]
}

@test "v2: exec joins the cgroup; pause and resume through cgroup.freeze; ps lists both" {
	set_args sleep 300
	run_detached
	run rt exec "$CID" cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	[[ "$output" == *"0::/$CID"* ]]
	rt exec --detach "$CID" sleep 200 </dev/null >/dev/null 2>&1
	run rt ps --format json "$CID"
	[ "$status" -eq 0 ]
	[ "$(jq length <<<"$output")" -eq 2 ]
	[ "$(sort <<<"$(jq -r '.[]' <<<"$output")")" = "$(sort "$V2/$CID/cgroup.procs")" ]
	rt pause "$CID"
	[ "$(state_of "$CID" status)" = paused ]
	grep -q '^frozen 1' "$V2/$CID/cgroup.events"
	rt resume "$CID"
	[ "$(state_of "$CID" status)" = running ]
	grep -q '^frozen 0' "$V2/$CID/cgroup.events"
	rt delete --force "$CID"
	[ ! -d "$V2/$CID" ]
}

@test "v2: devices are enforced by an eBPF program" {
	cfg '.root.readonly = false
	     | .linux.devices = [{"path": "/dev/e2e-fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438}]
	     | .linux.resources.devices = [{"allow": false, "access": "rwm"}]'
	set_args sh -c 'cat /dev/e2e-fuse 2>&1; echo x > /dev/null && echo null-ok'
	run run_ctr
	[ "$status" -eq 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" == *null-ok* ]]
}

@test "v2: delete --force of a paused container leaves no cgroup and no process" {
	set_args sleep 300
	run_detached
	local pid
	pid=$(state_of "$CID" pid)
	rt pause "$CID"
	rt delete --force "$CID"
	[ ! -d "$V2/$CID" ]
	wait_for pid_gone "$pid"
}
