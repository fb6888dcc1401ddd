#!/usr/bin/env bats
# Container lifecycle: create/start/state/kill/delete/run/list/spec/features.

load helpers

# a host dir bind-mounted at /shared inside the container
share_dir() {
	mkdir -p "$TEST_TMP/shared"
	chmod 0777 "$TEST_TMP/shared"
	add_bind "$TEST_TMP/shared" /shared
}

@test "create: state is created, pid-file matches, user process not started yet" {
	share_dir
	set_args sh -c 'echo started > /shared/x'
	create_ctr

	run rt state "$CID"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = created ]
	pid=$(jq -r .pid <<<"$output")
	[ "$pid" -gt 0 ]
	[ "$(cat "$TEST_TMP/$CID.pid")" = "$pid" ]
	pid_alive "$pid"

	# the init process exists but is blocked before exec of the user process
	sleep 0.5
	[ ! -e "$TEST_TMP/shared/x" ]
	[ "$(jq -r .status <<<"$(rt state "$CID")")" = created ]
}

@test "start: runs the user process; status running then stopped" {
	share_dir
	set_args sh -c 'echo started > /shared/x; while [ ! -e /shared/go ]; do sleep 0.05; done'
	create_ctr
	[ ! -e "$TEST_TMP/shared/x" ]

	run rt start "$CID"
	[ "$status" -eq 0 ]
	wait_for test -s "$TEST_TMP/shared/x"
	[ "$(cat "$TEST_TMP/shared/x")" = started ]
	[ "$(state_of "$CID" status)" = running ]

	touch "$TEST_TMP/shared/go"
	wait_status "$CID" stopped
}

@test "delete removes a stopped container; state then fails" {
	set_args true
	create_ctr
	rt start "$CID"
	wait_status "$CID" stopped

	run rt delete "$CID"
	[ "$status" -eq 0 ]
	run rt state "$CID"
	[ "$status" -ne 0 ]
	[ ! -e "$STATE_ROOT/$CID" ]
}

@test "run returns the exit status of the process" {
	run in_ctr sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run in_ctr true
	[ "$status" -eq 0 ]
}

@test "run: a process killed by a signal gives 128+N" {
	set_args sleep 100
	rt run --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_TMP/out" 2>&1 3>&- &
	bg=$!
	wait_status "$CID" running
	rt kill "$CID" KILL
	rc=0
	wait "$bg" || rc=$?
	[ "$rc" -eq 137 ]
}

@test "run --detach returns at once with the container running" {
	set_args sleep 100
	SECONDS=0
	run_detached
	[ "$SECONDS" -lt 5 ]
	[ "$(state_of "$CID" status)" = running ]
	pid=$(state_of "$CID" pid)
	[ "$(cat "$TEST_TMP/$CID.pid")" = "$pid" ]
	[ "$(cat /proc/"$pid"/comm)" = sleep ]
}

@test "start fails on a running container" {
	set_args sleep 100
	create_ctr
	rt start "$CID"
	wait_status "$CID" running
	run rt start "$CID"
	[ "$status" -ne 0 ]
	[ "$(state_of "$CID" status)" = running ]
}

@test "start fails on a stopped container" {
	set_args true
	create_ctr
	rt start "$CID"
	wait_status "$CID" stopped
	run rt start "$CID"
	[ "$status" -ne 0 ]
}

@test "delete of a running container needs --force" {
	set_args sleep 100
	run_detached
	pid=$(state_of "$CID" pid)

	run rt delete "$CID"
	[ "$status" -ne 0 ]
	pid_alive "$pid"
	[ "$(state_of "$CID" status)" = running ]

	run rt delete --force "$CID"
	[ "$status" -eq 0 ]
	wait_for pid_gone "$pid"
	run rt state "$CID"
	[ "$status" -ne 0 ]
}

@test "delete --force of a created container removes it and its init process" {
	set_args true
	create_ctr
	pid=$(state_of "$CID" pid)
	pid_alive "$pid"
	run rt delete --force "$CID"
	[ "$status" -eq 0 ]
	wait_for pid_gone "$pid"
	run rt list -q
	[ -z "$output" ]
}

@test "kill by name KILL" {
	set_args sleep 100
	run_detached
	run rt kill "$CID" KILL
	[ "$status" -eq 0 ]
	wait_status "$CID" stopped
}

@test "kill by name SIGTERM is delivered to the process" {
	share_dir
	set_args sh -c 'trap "echo got-term > /shared/t; exit 3" TERM; touch /shared/ready; while :; do sleep 0.05; done'
	run_detached
	wait_for test -e "$TEST_TMP/shared/ready"
	run rt kill "$CID" SIGTERM
	[ "$status" -eq 0 ]
	wait_status "$CID" stopped
	[ "$(cat "$TEST_TMP/shared/t")" = got-term ]
}

@test "kill by number 9" {
	set_args sleep 100
	run_detached
	pid=$(state_of "$CID" pid)
	run rt kill "$CID" 9
	[ "$status" -eq 0 ]
	wait_status "$CID" stopped
	pid_gone "$pid"
}

@test "kill --all signals every process of the container" {
	share_dir
	set_args sh -c 'sleep 100 & echo $! > /shared/child; exec sleep 101'
	run_detached
	wait_for test -s "$TEST_TMP/shared/child"
	pid=$(state_of "$CID" pid)
	# the background sleep as seen from the host: a child of the init process
	child=$(cat /proc/"$pid"/task/*/children | tr -s ' ' '\n' | grep -m1 .)
	[ -n "$child" ]
	[ "$(cat /proc/"$child"/comm)" = sleep ]

	run rt kill --all "$CID" KILL
	[ "$status" -eq 0 ]
	wait_status "$CID" stopped
	wait_for pid_gone "$child"
}

@test "kill on a stopped container fails with \"container not running\", kill --all succeeds" {
	set_args true
	create_ctr
	rt start "$CID"
	wait_status "$CID" stopped
	# runc 1.1 and crun: plain kill exits 1, kill --all exits 0
	run rt kill "$CID" KILL
	[ "$status" -ne 0 ]
	# containerd's shim and Podman match these words to mean "already exited"
	[[ "$output" == *"container not running"* ]]
	run rt kill --all "$CID" KILL
	[ "$status" -eq 0 ]
	run rt kill --all "$CID" 9
	[ "$status" -eq 0 ]
	# a missing container: the words containerd and Podman match for "gone"
	run rt kill --all "$CID-none" 9
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	run rt delete "$CID-none"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	run rt delete "$CID"
	[ "$status" -eq 0 ]
}

@test "kill KILL then at once delete: the dying process reads as stopped" {
	set_args sleep 100
	local i
	for i in $(seq 1 20); do
		create_ctr
		rt start "$CID"
		"$RUNTIME" --root "$STATE_ROOT" kill "$CID" KILL
		run "$RUNTIME" --root "$STATE_ROOT" delete "$CID"
		[ "$status" -eq 0 ]
		[ ! -e "$STATE_ROOT/$CID" ]
	done
}

@test "a paused container killed -9 stays paused until resumed, then reads as stopped" {
	set_args sleep 100
	run_detached
	pid=$(state_of "$CID" pid)
	rt pause "$CID"
	kill -9 "$pid"
	sleep 0.2
	# frozen with SIGKILL pending: runc and crun report paused too
	[ "$(state_of "$CID" status)" = paused ]
	rt resume "$CID"
	wait_status "$CID" stopped
	run rt delete "$CID"
	[ "$status" -eq 0 ]
}

@test "an exited container init not yet reaped (zombie) reads as stopped and is deleted" {
	set_args sleep 100
	# a child subreaper that never waits: the container init, orphaned when
	# the runtime exits, becomes its child and stays a zombie once killed
	python3 - "$RUNTIME" "$STATE_ROOT" "$BUNDLE" "$CID" "$TEST_TMP" <<-'PY' &
		import ctypes, os, subprocess, sys, time
		rt, root, bundle, cid, tmp = sys.argv[1:]
		ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
		subprocess.run([rt, "--root", root, "run", "--detach", "--bundle", bundle, cid],
		               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)
		open(tmp + "/started", "w").close()
		time.sleep(60)
	PY
	local holder=$!
	defer "kill $holder"
	wait_for test -e "$TEST_TMP/started"
	pid=$(state_of "$CID" pid)
	[ "$(awk '{print $4}' /proc/"$pid"/stat)" = "$holder" ]
	kill -9 "$pid"
	wait_for eval '[ "$(awk "{print \$3}" /proc/'"$pid"'/stat)" = Z ]'
	[ "$(state_of "$CID" status)" = stopped ]
	run rt delete "$CID"
	[ "$status" -eq 0 ]
	# still unreaped, still there: the runtime did not need it gone
	[ "$(awk '{print $3}' /proc/"$pid"/stat)" = Z ]
	kill "$holder"
}

@test "state JSON has ociVersion, id, status, pid, absolute bundle and annotations" {
	cfg '.annotations = {"org.berth.e2e": "yes", "second": "2"}'
	set_args sleep 100
	run_detached
	run rt state "$CID"
	[ "$status" -eq 0 ]
	jq -e . <<<"$output" >/dev/null
	[ -n "$(jq -r .ociVersion <<<"$output")" ]
	[ "$(jq -r .ociVersion <<<"$output")" != null ]
	[ "$(jq -r .id <<<"$output")" = "$CID" ]
	[ "$(jq -r .status <<<"$output")" = running ]
	[ "$(jq -r .pid <<<"$output")" = "$(cat "$TEST_TMP/$CID.pid")" ]
	[ "$(jq -r .bundle <<<"$output")" = "$BUNDLE" ]
	[[ "$(jq -r .bundle <<<"$output")" == /* ]]
	[ "$(jq -r '.annotations["org.berth.e2e"]' <<<"$output")" = yes ]
	[ "$(jq -r '.annotations.second' <<<"$output")" = 2 ]
}

@test "state: bundle is absolute when created with a relative --bundle" {
	set_args sleep 100
	(cd "$TEST_TMP" && rt create --bundle bundle "$CID" </dev/null >/dev/null 2>&1 3>&-)
	[ "$(state_of "$CID" bundle)" = "$BUNDLE" ]
}

@test "state of an unknown container fails" {
	run rt state "$CID-nope"
	[ "$status" -ne 0 ]
}

@test "list shows the container in the table and in JSON" {
	set_args sleep 100
	run_detached
	run rt list
	[ "$status" -eq 0 ]
	grep -q "^$CID[[:space:]]" <<<"$output"
	grep "^$CID[[:space:]]" <<<"$output" | grep -q running

	run rt list -q
	[ "$status" -eq 0 ]
	[ "$output" = "$CID" ]

	run rt list --format json
	[ "$status" -eq 0 ]
	[ "$(jq -r 'type' <<<"$output")" = array ]
	[ "$(jq -r --arg id "$CID" '[.[] | select(.id == $id)] | length' <<<"$output")" -eq 1 ]
	[ "$(jq -r --arg id "$CID" '.[] | select(.id == $id) | .status' <<<"$output")" = running ]
}

@test "list with no containers: JSON is an empty array" {
	run rt list --format json
	[ "$status" -eq 0 ]
	[ "$(jq -r 'if . == null then 0 else length end' <<<"$output")" -eq 0 ]
}

@test "two concurrent creates of one id: exactly one succeeds, the other says exists" {
	skip_on runc "runc 1.1.5 races here: often both creates fail (file exists / unable to store init state)"
	set_args sleep 100
	for i in 1 2; do
		(
			rc=0
			rt create --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_TMP/c$i.out" 2>&1 3>&- || rc=$?
			echo "$rc" >"$TEST_TMP/c$i.rc"
		) &
	done
	wait
	rc1=$(cat "$TEST_TMP/c1.rc") rc2=$(cat "$TEST_TMP/c2.rc")
	echo "rc1=$rc1 rc2=$rc2" >&2
	cat "$TEST_TMP"/c?.out >&2
	if [ "$rc1" -eq 0 ]; then
		[ "$rc2" -ne 0 ]
		grep -qi exists "$TEST_TMP/c2.out"
	else
		[ "$rc2" -eq 0 ]
		grep -qi exists "$TEST_TMP/c1.out"
	fi
	[ "$(state_of "$CID" status)" = created ]
}

@test "create of an id that already exists fails" {
	set_args sleep 100
	create_ctr
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *exists* ]]
	[ "$(state_of "$CID" status)" = created ]
}

@test "create with a nonexistent binary fails and leaves no state" {
	set_args /bin/does-not-exist
	run create_ctr
	[ "$status" -ne 0 ]
	run rt list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run rt state "$CID"
	[ "$status" -ne 0 ]
}

@test "create with malformed config.json fails with a one-line error" {
	echo '{"ociVersion": "1.0.2", "process": {' >"$BUNDLE/config.json"
	rc=0
	rt create --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err" 3>&- || rc=$?
	cat "$TEST_TMP/err" >&2
	[ "$rc" -ne 0 ]
	[ "$(wc -l <"$TEST_TMP/err")" -eq 1 ]
	run rt list -q
	[ -z "$output" ]
}

@test "create with a missing config.json fails" {
	rm "$BUNDLE/config.json"
	run create_ctr
	[ "$status" -ne 0 ]
	[ -n "$output" ]
}

@test "container whose init was killed -9 after create can be deleted" {
	set_args sleep 100
	create_ctr
	pid=$(state_of "$CID" pid)
	kill -9 "$pid"
	wait_for pid_gone "$pid"
	wait_status "$CID" stopped
	run rt delete "$CID"
	[ "$status" -eq 0 ]
	run rt list -q
	[ -z "$output" ]
}

@test "spec writes a config.json with process.args [\"sh\"]" {
	mkdir "$TEST_TMP/spec"
	cd "$TEST_TMP/spec"
	run "$RUNTIME" spec
	[ "$status" -eq 0 ]
	jq -e . config.json >/dev/null
	[ "$(jq -c .process.args config.json)" = '["sh"]' ]
	[ "$(jq -r .root.path config.json)" = rootfs ]
	[ -n "$(jq -r .ociVersion config.json)" ]
}

@test "spec refuses to overwrite an existing config.json" {
	mkdir "$TEST_TMP/spec"
	echo '{"keep": 1}' >"$TEST_TMP/spec/config.json"
	cd "$TEST_TMP/spec"
	run "$RUNTIME" spec
	[ "$status" -ne 0 ]
	[ "$(jq -r .keep config.json)" = 1 ]
}

@test "features outputs JSON with ociVersionMin and ociVersionMax" {
	run "$RUNTIME" features
	[ "$status" -eq 0 ]
	[[ "$(jq -r .ociVersionMin <<<"$output")" == 1.* ]]
	[[ "$(jq -r .ociVersionMax <<<"$output")" == 1.* ]]
}

@test "a create killed -9 mid-way leaves nothing running, and its leftovers are cleaned by delete and by a new create" {
	[ "$RUNTIME_NAME" = berth-runtime ] || skip "berth's crash recovery"
	cfg '.hooks.createRuntime = [{"path": "/bin/sleep", "args": ["sleep", "3"]}]'
	set_args sleep 300
	rt create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 &
	# the cgroup exists while the hook runs: the runtime is half-way
	wait_for test -d "/sys/fs/cgroup/pids/$CID"
	local rt_pid
	# the runtime, not `timeout` around it nor the init it forked (higher pid)
	rt_pid=$(pgrep -f -- "^$RUNTIME --root .* create --bundle $BUNDLE $CID" | head -1)
	[ -n "$rt_pid" ]
	kill -9 "$rt_pid"
	wait || true
	[ "$(state_of "$CID" status)" = creating ]
	# the container init died with it (nothing left in its cgroup)
	wait_for eval '[ -z "$(cat /sys/fs/cgroup/pids/'"$CID"'/cgroup.procs 2>/dev/null)" ]'
	run rt delete "$CID"
	[ "$status" -eq 0 ]
	[ ! -d "/sys/fs/cgroup/pids/$CID" ]
	run rt state "$CID"
	[ "$status" -ne 0 ]
	# and the same kill, then a new create of the same ID, which takes over
	rt create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 &
	wait_for test -d "/sys/fs/cgroup/pids/$CID"
	rt_pid=$(pgrep -f -- "^$RUNTIME --root .* create --bundle $BUNDLE $CID" | head -1)
	kill -9 "$rt_pid"
	wait || true
	cfg 'del(.hooks)'
	run create_ctr
	[ "$status" -eq 0 ]
	[ "$(state_of "$CID" status)" = created ]
}
