#!/usr/bin/env bats
# Rootless containers: the runtime under test run by the unprivileged user
# berth-rootless (created idempotently, with /etc/subuid and /etc/subgid
# ranges) on a bundle and state dir that user owns. On this cgroup v1 host a
# rootless container gets no cgroup limits, so none are checked.

load clients

bats_require_minimum_version 1.5.0

setup_file() {
	cl_setup_file || return 1
	rootless_ensure_user || return 1
	RL_UID=$(id -u "$RL_USER")
	RL_GID=$(id -g "$RL_USER")
	export RL_UID RL_GID
	# the runtime must be reachable by the user: copy it if it is not
	RL_RUNTIME=$RUNTIME
	if ! runuser -u "$RL_USER" -- test -x "$RUNTIME"; then
		mkdir -p "$CL_TMP/bin"
		cp "$RUNTIME" "$CL_TMP/bin/" && RL_RUNTIME=$CL_TMP/bin/$(basename "$RUNTIME")
	fi
	export RL_RUNTIME
}

teardown_file() {
	cl_teardown_file
}

setup() {
	skip_unless_runtime_supports rootless
	# a host precondition: the runtime opens /dev/null inside as the user
	if [ "$(stat -c %a /dev/null)" != 666 ]; then
		echo "host /dev/null has mode $(stat -c %a /dev/null), not 666: something changed it" >&2
		return 1
	fi
	RL_DIR=$CL_TMP/t$BATS_TEST_NUMBER
	BUNDLE=$RL_DIR/bundle
	CID=berth-rootless-$BATS_TEST_NUMBER-$$
	mkdir -p "$RL_DIR"/{state,xdg} "$BUNDLE"
	cp -a "$CL_TMP/rootfs" "$BUNDLE/rootfs"
	chown -R "$RL_UID:$RL_GID" "$RL_DIR"
	chmod 0700 "$RL_DIR/state" "$RL_DIR/xdg"
}

teardown() {
	[ -n "${RL_DIR:-}" ] || return 0
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -n "${status+x}" ]; then
		printf 'last run: status=%s output:\n%s\n' "$status" "${output:-}" >&2
		[ -z "${stderr:-}" ] || printf 'stderr:\n%s\n' "$stderr" >&2
	fi
	as_user "$RL_RUNTIME" --root "$RL_DIR/state" delete --force "$CID" >/dev/null 2>&1
	cl_kill_marked "$RL_DIR"
	cl_unmount_under "$RL_DIR"
	rm -rf --one-file-system "$RL_DIR"
}

# as_user CMD...: CMD as berth-rootless, with a clean environment and its own
# XDG_RUNTIME_DIR; the cwd is the bundle.
as_user() {
	(cd "$BUNDLE" && runuser -u "$RL_USER" -- env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME="$RL_DIR" XDG_RUNTIME_DIR="$RL_DIR/xdg" BERTH_E2E="$RL_DIR/rt" \
		timeout -k 5 30 "$@" </dev/null 3>&-)
}

# rrt ARGS...: the runtime as the user with the test's state dir.
rrt() {
	as_user "$RL_RUNTIME" --root "$RL_DIR/state" "$@"
}

# rrt_detached ARGS...: rrt with stdout/stderr in files (printed on failure).
rrt_detached() {
	local rc=0
	rrt "$@" >"$RL_DIR/out" 2>"$RL_DIR/err" || rc=$?
	[ $rc -eq 0 ] || cat "$RL_DIR/err" "$RL_DIR/out"
	return $rc
}

# rootless_spec: `spec --rootless` as the user, then: no terminal, writable
# root, the test marker in the environment, process.args = ARGS.
rootless_spec() {
	rrt spec --rootless || return 1
	local a
	a=$(cl_json_array "$@") || return 1
	jq --argjson a "$a" --arg m "BERTH_E2E=$RL_DIR" \
		'.process.terminal = false | .root.readonly = false
		 | .process.args = $a | .process.env += [$m]' \
		"$BUNDLE/config.json" >"$BUNDLE/c.json" &&
		mv "$BUNDLE/c.json" "$BUNDLE/config.json" &&
		chown "$RL_UID:$RL_GID" "$BUNDLE/config.json"
}

@test "rootless: spec --rootless maps container root to the calling user" {
	run rrt spec --rootless
	[ "$status" -eq 0 ]
	[ "$(stat -c %u "$BUNDLE/config.json")" = "$RL_UID" ]
	run jq -c '.linux.uidMappings' "$BUNDLE/config.json"
	[ "$output" = "[{\"containerID\":0,\"hostID\":$RL_UID,\"size\":1}]" ]
	run jq -c '.linux.gidMappings' "$BUNDLE/config.json"
	[ "$output" = "[{\"containerID\":0,\"hostID\":$RL_GID,\"size\":1}]" ]
	jq -e '.linux.namespaces | map(.type) | index("user")' "$BUNDLE/config.json"
}

@test "rootless: run as the user: uid 0 inside, the single mapping, a writable /tmp" {
	rootless_spec sh -c 'id -u; id -g; cat /proc/self/uid_map; cat /proc/self/gid_map; touch /tmp/x && echo touched'
	run --separate-stderr rrt run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[ "$(echo ${lines[2]})" = "0 $RL_UID 1" ]
	[ "$(echo ${lines[3]})" = "0 $RL_GID 1" ]
	[ "${lines[4]}" = touched ]
	# the file belongs to the user on the host
	[ "$(stat -c %u:%g "$BUNDLE/rootfs/tmp/x")" = "$RL_UID:$RL_GID" ]
	# run removed the container
	run rrt state "$CID"
	[ "$status" -ne 0 ]
}

@test "rootless: several id mappings through newuidmap/newgidmap" {
	command -v newuidmap >/dev/null && command -v newgidmap >/dev/null ||
		skip "newuidmap/newgidmap missing (package uidmap)"
	local su sg
	su=$(rootless_subid /etc/subuid)
	sg=$(rootless_subid /etc/subgid)
	[ -n "$su" ] && [ -n "$sg" ]
	rootless_spec sh -c 'cat /proc/self/uid_map; cat /proc/self/gid_map; touch /tmp/y && chown 1000:1000 /tmp/y && echo chowned'
	jq --argjson u "$RL_UID" --argjson g "$RL_GID" --argjson su "$su" --argjson sg "$sg" '
		.linux.uidMappings = [{containerID: 0, hostID: $u, size: 1}, {containerID: 1, hostID: $su, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: $g, size: 1}, {containerID: 1, hostID: $sg, size: 65536}]
		| .process.capabilities |= with_entries(if .key == "ambient" then . else .value += ["CAP_CHOWN"] end)' \
		"$BUNDLE/config.json" >"$BUNDLE/c.json" && mv "$BUNDLE/c.json" "$BUNDLE/config.json"
	chown "$RL_UID:$RL_GID" "$BUNDLE/config.json"
	run --separate-stderr rrt run "$CID"
	[ "$status" -eq 0 ]
	[ "$(echo ${lines[0]})" = "0 $RL_UID 1" ]
	[ "$(echo ${lines[1]})" = "1 $su 65536" ]
	[ "$(echo ${lines[2]})" = "0 $RL_GID 1" ]
	[ "$(echo ${lines[3]})" = "1 $sg 65536" ]
	[ "${lines[4]}" = chowned ]
	# container uid 1000 is subordinate id su+999 on the host
	[ "$(stat -c %u:%g "$BUNDLE/rootfs/tmp/y")" = "$((su + 999)):$((sg + 999))" ]
}

@test "rootless: run -d, state, kill and delete clean up" {
	rootless_spec sleep 1000
	# the detached container keeps its stdio: files, not bats' pipes
	run rrt_detached run -d "$CID"
	[ "$status" -eq 0 ]
	run rrt state "$CID"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = running ]
	local pid
	pid=$(jq -r .pid <<<"$output")
	[ "$pid" -gt 1 ]
	# the container's init runs as the user on the host
	[ "$(stat -c %u "/proc/$pid")" = "$RL_UID" ]
	run rrt kill "$CID" KILL
	[ "$status" -eq 0 ]
	wait_until 100 eval '[ "$(rrt state "$CID" 2>/dev/null | jq -r .status)" = stopped ]'
	run rrt delete "$CID"
	[ "$status" -eq 0 ]
	run rrt state "$CID"
	[ "$status" -ne 0 ]
	[ -z "$(ls -A "$RL_DIR/state")" ]
	! kill -0 "$pid" 2>/dev/null || [ "$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null)" = Z ]
}
