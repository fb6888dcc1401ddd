#!/usr/bin/env bats
# OCI hooks: order, state on stdin, args/env, failures, timeouts.

load helpers

# The hook dir is bind-mounted into the container at the same absolute path,
# so one script and one log path work for hooks run in the runtime namespace
# and for startContainer (whose path resolves in the container).
setup() {
	e2e_setup
	HOOKS="$TEST_TMP/hooks"
	mkdir -p "$HOOKS"
	chmod 0777 "$HOOKS"
	cat >"$HOOKS/hook.sh" <<-'EOF'
		#!/bin/sh
		# hook.sh KIND [ARGS...]: log KIND, save stdin, args and env
		kind=$1
		dir=$(dirname "$0")
		cat >"$dir/$kind.state"
		echo "$kind" >>"$dir/log"
		shift
		for a in "$@"; do echo "[$a]"; done >"$dir/$kind.args"
		env >"$dir/$kind.env"
		exit 0
	EOF
	chmod 755 "$HOOKS/hook.sh"
	add_bind "$HOOKS" "$HOOKS" bind rw
}

# add_hook KIND [ARG...]: append a hook running hook.sh KIND ARG...
add_hook() {
	local kind=$1 a
	a=$(json_array "$HOOKS/hook.sh" "$@")
	cfg --arg k "$kind" --arg p "$HOOKS/hook.sh" --argjson a "$a" \
		'.hooks[$k] += [{"path": $p, "args": $a, "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "E2E_HOOK='"$kind"'"]}]'
}

all_hooks() {
	local k
	for k in prestart createRuntime createContainer startContainer poststart poststop; do
		add_hook "$k"
	done
}

hook_log() {
	tr '\n' ' ' <"$HOOKS/log" 2>/dev/null | sed 's/ $//'
}

# expect_log "KIND KIND...": the hook log is exactly that (printed if not)
expect_log() {
	local got
	got=$(hook_log)
	[ "$got" = "$1" ] || { echo "hook log: '$got', expected '$1'" >&2; return 1; }
}

@test "all six hooks run in order across create, start, delete" {
	skip_on runc "runc 1.1 runs poststart hooks at create time (fixed in runc 1.2)"
	all_hooks
	set_args true
	create_ctr
	expect_log "prestart createRuntime createContainer"
	rt start "$CID"
	wait_status "$CID" stopped
	expect_log "prestart createRuntime createContainer startContainer poststart"
	rt delete "$CID"
	expect_log "prestart createRuntime createContainer startContainer poststart poststop"
}

@test "each hook runs once: create-phase hooks by create, poststop only at delete" {
	all_hooks
	set_args true
	create_ctr
	[[ "$(hook_log)" == "prestart createRuntime createContainer"* ]]
	[[ "$(hook_log)" != *startContainer* ]]
	rt start "$CID"
	wait_status "$CID" stopped
	[[ " $(hook_log) " == *" startContainer "* ]]
	[[ " $(hook_log) " == *" poststart "* ]]
	[[ "$(hook_log)" != *poststop* ]]
	rt delete "$CID"
	[[ "$(hook_log)" == *" poststop" ]]
	[ "$(sort "$HOOKS/log" | tr '\n' ' ')" = "createContainer createRuntime poststart poststop prestart startContainer " ]
}

@test "startContainer runs after start, not at create" {
	add_hook startContainer
	set_args true
	create_ctr
	sleep 0.3
	[ ! -e "$HOOKS/log" ]
	rt start "$CID"
	wait_for test -s "$HOOKS/log"
	expect_log startContainer
}

@test "poststart runs after start, not at create" {
	skip_on runc "runc 1.1 runs poststart hooks at create time (fixed in runc 1.2)"
	add_hook poststart
	set_args sleep 100
	create_ctr
	sleep 0.3
	[ ! -e "$HOOKS/log" ]
	rt start "$CID"
	# poststart has run by the time start returns
	expect_log poststart
}

@test "hooks run once each with run; poststop last" {
	all_hooks
	run in_ctr true
	[ "$status" -eq 0 ]
	[[ "$(hook_log)" == "prestart createRuntime createContainer "* ]]
	[[ "$(hook_log)" == *" poststop" ]]
	[ "$(sort "$HOOKS/log" | tr '\n' ' ')" = "createContainer createRuntime poststart poststop prestart startContainer " ]
}

@test "each hook receives the state JSON on stdin" {
	all_hooks
	set_args true
	create_ctr
	rt start "$CID"
	wait_status "$CID" stopped
	rt delete "$CID"
	for k in prestart createRuntime createContainer startContainer poststart poststop; do
		f="$HOOKS/$k.state"
		echo "$k: $(cat "$f")" >&2
		[ "$(jq -r .id "$f")" = "$CID" ]
		[ -n "$(jq -r .ociVersion "$f")" ]
		[ "$(jq -r .bundle "$f")" = "$BUNDLE" ]
		[ "$(jq -r .status "$f")" != null ]
	done
	# the runtime-namespace hooks see the container's pid
	[ "$(jq -r .pid "$HOOKS/createRuntime.state")" -gt 0 ]
	[ "$(jq -r .pid "$HOOKS/prestart.state")" = "$(jq -r .pid "$HOOKS/createRuntime.state")" ]
	[ "$(jq -r .pid "$HOOKS/poststart.state")" = "$(jq -r .pid "$HOOKS/createRuntime.state")" ]
}

@test "hook state status: created for the create and start hooks, then running, stopped" {
	skip_on runc "runc 1.1 passes creating to the create hooks and created to poststart (run at create time)"
	skip_on crun "crun 1.8 passes \"starting\" (no spec status) to startContainer"
	all_hooks
	set_args true
	create_ctr
	rt start "$CID"
	wait_status "$CID" stopped
	rt delete "$CID"
	for k in prestart createRuntime createContainer startContainer poststart poststop; do
		echo "$k: $(cat "$HOOKS/$k.state")" >&2
	done
	# as crun: the container exists with its process when these run
	[ "$(jq -r .status "$HOOKS/prestart.state")" = created ]
	[ "$(jq -r .status "$HOOKS/createRuntime.state")" = created ]
	[ "$(jq -r .status "$HOOKS/createContainer.state")" = created ]
	[ "$(jq -r .status "$HOOKS/startContainer.state")" = created ]
	# the process may already have exited when poststart runs
	[[ "$(jq -r .status "$HOOKS/poststart.state")" =~ ^(running|stopped)$ ]]
	[ "$(jq -r .status "$HOOKS/poststop.state")" = stopped ]
}

@test "hook state carries the config's annotations" {
	cfg '.annotations = {"org.berth.e2e": "hooked"}'
	add_hook createRuntime
	run in_ctr true
	[ "$status" -eq 0 ]
	[ "$(jq -r '.annotations["org.berth.e2e"]' "$HOOKS/createRuntime.state")" = hooked ]
}

@test "hook args and env are passed; nothing else of the caller's env" {
	add_hook prestart 'a b' '' c
	add_hook poststop x
	run in_ctr true
	[ "$status" -eq 0 ]
	[ "$(cat "$HOOKS/prestart.args")" = "$(printf '[a b]\n[]\n[c]')" ]
	[ "$(cat "$HOOKS/poststop.args")" = "[x]" ]
	grep -qx E2E_HOOK=prestart "$HOOKS/prestart.env"
	grep -qx E2E_HOOK=poststop "$HOOKS/poststop.env"
	! grep -q '^BATS_' "$HOOKS/prestart.env"
}

@test "hooks of one kind run in the order listed" {
	add_hook createRuntime
	cfg --arg p "$HOOKS/hook.sh" '.hooks.createRuntime += [{"path": $p, "args": [$p, "second"]}]'
	run in_ctr true
	[ "$status" -eq 0 ]
	expect_log "createRuntime second"
}

# a hook that logs and fails
failing_hook() {
	cat >"$HOOKS/fail.sh" <<-'EOF'
		#!/bin/sh
		echo "$1" >>"$(dirname "$0")/log"
		echo "hook $1 failed on purpose" >&2
		exit 3
	EOF
	chmod 755 "$HOOKS/fail.sh"
	cfg --arg k "$1" --arg p "$HOOKS/fail.sh" '.hooks[$k] += [{"path": $p, "args": [$p, $k]}]'
}

# nothing of $CID may be left: no state, no process
assert_nothing_left() {
	run rt list -q
	[ -z "$output" ]
	run rt state "$CID"
	[ "$status" -ne 0 ]
	[ -z "$(grep -lzs "^BERTH_E2E=$TEST_TMP\$" /proc/[0-9]*/environ)" ]
}

@test "a failing prestart hook makes create fail and leaves nothing behind" {
	failing_hook prestart
	add_hook createContainer
	set_args sleep 100
	run create_ctr
	[ "$status" -ne 0 ]
	expect_log prestart
	assert_nothing_left
}

@test "a failing createRuntime hook makes create fail and leaves nothing behind" {
	failing_hook createRuntime
	add_hook createContainer
	set_args sleep 100
	run create_ctr
	[ "$status" -ne 0 ]
	expect_log createRuntime
	assert_nothing_left
}

@test "a failing createContainer hook makes create fail and leaves nothing behind" {
	failing_hook createContainer
	set_args sleep 100
	run create_ctr
	[ "$status" -ne 0 ]
	expect_log createContainer
	assert_nothing_left
}

@test "a failing poststop hook does not keep delete from removing the container" {
	failing_hook poststop
	set_args true
	create_ctr
	rt start "$CID"
	wait_status "$CID" stopped
	run rt delete "$CID"
	expect_log poststop
	run rt state "$CID"
	[ "$status" -ne 0 ]
}

@test "a hook that exceeds its timeout fails create" {
	dur="29.$$"
	cat >"$HOOKS/slow.sh" <<-EOF
		#!/bin/sh
		echo slow >>"\$(dirname "\$0")/log"
		exec sleep $dur
	EOF
	chmod 755 "$HOOKS/slow.sh"
	cfg --arg p "$HOOKS/slow.sh" '.hooks.createRuntime = [{"path": $p, "timeout": 1}]'
	set_args sleep 100
	SECONDS=0
	run create_ctr
	[ "$status" -ne 0 ]
	[ "$SECONDS" -lt 10 ]
	expect_log slow
	assert_nothing_left
	# the hook process was killed
	wait_for eval "! pgrep -f 'sleep $dur' >/dev/null"
}

@test "a hook with a nonexistent path fails create" {
	cfg '.hooks.prestart = [{"path": "/nonexistent/hook"}]'
	set_args sleep 100
	run create_ctr
	[ "$status" -ne 0 ]
	assert_nothing_left
}

@test "hooks run in the bundle directory, while the runtime does not chdir" {
	cat >"$HOOKS/cwd.sh" <<-'EOF'
		#!/bin/sh
		pwd >"$(dirname "$0")/$1.cwd"
	EOF
	chmod 755 "$HOOKS/cwd.sh"
	cfg --arg p "$HOOKS/cwd.sh" '.hooks.createRuntime = [{"path": $p, "args": [$p, "createRuntime"]}]
		| .hooks.poststop = [{"path": $p, "args": [$p, "poststop"]}]'
	set_args true
	create_ctr
	[ "$(cat "$HOOKS/createRuntime.cwd")" = "$(cd "$BUNDLE" && pwd -P)" ]
	rt start "$CID"
	wait_status "$CID" stopped
	(cd / && rt delete "$CID")
	# runc runs poststop where `delete` runs; berth in the bundle, as at create
	[[ "$RUNTIME_NAME" != berth* ]] || [ "$(cat "$HOOKS/poststop.cwd")" = "$(cd "$BUNDLE" && pwd -P)" ]
}

@test "a failing poststart or poststop hook is a warning in --log, and on stderr with --debug" {
	[[ "$RUNTIME_NAME" == berth* ]] || skip "berth's log callback"
	failing_hook poststart
	failing_hook poststop
	set_args true
	create_ctr
	run rt --log "$TEST_TMP/log" start "$CID"
	[ "$status" -eq 0 ]
	# without --debug the CLI's stderr is as before (the hook's own stderr only)
	[[ "$output" != *"warning"* ]]
	grep -q 'level=warning msg="poststart hook .*fail.sh.*status 3' "$TEST_TMP/log"
	wait_status "$CID" stopped
	run rt --debug delete "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"berth-runtime: warning: poststop hook"*"exited with status 3"* ]]
}
