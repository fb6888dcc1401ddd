#!/usr/bin/env bats
# seccomp profiles (linux.seccomp): errno and kill actions, allow lists with
# defaultErrnoRet, argument conditions, exec'd processes, a non-root user
# without no_new_privs, malformed profiles; and the capability bounding set.

load helpers

# seccomp JSON: set linux.seccomp of the current bundle.
seccomp() {
	cfg --argjson s "$1" '.linux.seccomp = $s'
}

# status_field NAME TEXT: value of a /proc/PID/status line
status_field() {
	awk -v k="$1:" '$1 == k {print $2}' <<<"$2"
}

# cap_mask CAP...: the hex mask of /proc/PID/status (16 digits) for the caps.
cap_mask() {
	local -A nr=(
		[CAP_CHOWN]=0 [CAP_DAC_OVERRIDE]=1 [CAP_DAC_READ_SEARCH]=2 [CAP_FOWNER]=3
		[CAP_FSETID]=4 [CAP_KILL]=5 [CAP_SETGID]=6 [CAP_SETUID]=7 [CAP_SETPCAP]=8
		[CAP_LINUX_IMMUTABLE]=9 [CAP_NET_BIND_SERVICE]=10 [CAP_NET_BROADCAST]=11
		[CAP_NET_ADMIN]=12 [CAP_NET_RAW]=13 [CAP_IPC_LOCK]=14 [CAP_IPC_OWNER]=15
		[CAP_SYS_MODULE]=16 [CAP_SYS_RAWIO]=17 [CAP_SYS_CHROOT]=18 [CAP_SYS_PTRACE]=19
		[CAP_SYS_PACCT]=20 [CAP_SYS_ADMIN]=21 [CAP_SYS_BOOT]=22 [CAP_SYS_NICE]=23
		[CAP_SYS_RESOURCE]=24 [CAP_SYS_TIME]=25 [CAP_SYS_TTY_CONFIG]=26 [CAP_MKNOD]=27
		[CAP_LEASE]=28 [CAP_AUDIT_WRITE]=29 [CAP_AUDIT_CONTROL]=30 [CAP_SETFCAP]=31
		[CAP_MAC_OVERRIDE]=32 [CAP_MAC_ADMIN]=33 [CAP_SYSLOG]=34 [CAP_WAKE_ALARM]=35
		[CAP_BLOCK_SUSPEND]=36 [CAP_AUDIT_READ]=37 [CAP_PERFMON]=38 [CAP_BPF]=39
		[CAP_CHECKPOINT_RESTORE]=40
	)
	local m=0 c
	for c in "$@"; do
		[ -n "${nr[$c]:-}" ] || { echo "unknown capability $c" >&2; return 1; }
		m=$((m | (1 << nr[$c])))
	done
	printf '%016x\n' "$m"
}

# mkdir and mkdirat fail with ENOSYS, everything else is allowed.
DENY_MKDIR='{"defaultAction": "SCMP_ACT_ALLOW",
	"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}'

@test "seccomp: an errno rule with errnoRet denies mkdir with ENOSYS, other syscalls work" {
	cfg '.root.readonly = false'
	seccomp "$DENY_MKDIR"
	run in_ctr sh -c 'mkdir /tmp/x; echo "rc=$?"; touch /tmp/y && ls /tmp; grep ^Seccomp: /proc/self/status'
	[[ "$output" == *"can't create directory '/tmp/x': Function not implemented"* ]]
	[[ "$output" == *rc=1* ]]
	grep -qx y <<<"$output"
	[ "$(awk '/^Seccomp:/ {print $2}' <<<"$output")" = 2 ]
	[ ! -e "$BUNDLE/rootfs/tmp/x" ]
	[ -e "$BUNDLE/rootfs/tmp/y" ]
}

@test "seccomp: processes started with exec get the container's filter" {
	cfg '.root.readonly = false'
	seccomp "$DENY_MKDIR"
	set_args sleep 300
	run_detached
	run rt exec "$CID" mkdir /tmp/x
	[ "$status" -eq 1 ]
	[[ "$output" == *"Function not implemented"* ]]
	run rt exec "$CID" sh -c 'touch /tmp/y && echo ok; grep ^Seccomp: /proc/self/status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ok ]
	[ "$(echo ${lines[1]})" = "Seccomp: 2" ]
	[ ! -e "$BUNDLE/rootfs/tmp/x" ]
}

@test "seccomp: SCMP_ACT_ERRNO default with an allow list and defaultErrnoRet" {
	# Enough for busybox sh, ls, id, and for the runtimes' last steps after the
	# filter is loaded (berth's init waits for `start` in sigwaitinfo, hence
	# rt_sigtimedwait; runc's Go runtime needs futex & co). mkdir is missing.
	local allow
	allow=$(json_array read write readv writev pread64 pwrite64 open openat close close_range \
		stat fstat lstat newfstatat statx lseek mmap mprotect munmap brk madvise mremap \
		rt_sigaction rt_sigprocmask rt_sigreturn rt_sigtimedwait sigaltstack ioctl access \
		faccessat faccessat2 pipe pipe2 dup dup2 dup3 fcntl getdents64 getcwd chdir fchdir \
		readlink readlinkat execve execveat exit exit_group wait4 waitid clone clone3 fork \
		vfork kill tgkill tkill getpid getppid gettid getuid geteuid getgid getegid \
		getgroups setgroups setuid setgid setresuid setresgid getresuid getresgid capget \
		capset prctl arch_prctl set_tid_address set_robust_list get_robust_list rseq futex \
		nanosleep clock_nanosleep clock_gettime gettimeofday getrandom prlimit64 getrlimit \
		setrlimit uname umask sendfile poll ppoll select pselect6 epoll_create1 epoll_ctl \
		epoll_wait epoll_pwait sched_yield sched_getaffinity socketpair sendmsg recvmsg \
		sendto recvfrom getsockopt setsockopt shutdown fstatfs statfs sysinfo personality)
	cfg '.root.readonly = false'
	# 95: EOPNOTSUPP, not seccomp's default EPERM
	seccomp "$(jq -n --argjson a "$allow" '{defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 95,
		syscalls: [{names: $a, action: "SCMP_ACT_ALLOW"}]}')"
	set_args sh -c 'echo hi; ls / >/dev/null && echo ls-ok; id -u; mkdir /tmp/x; echo "rc=$?"'
	run run_ctr "$(cid run)"
	[ "${lines[0]}" = hi ]
	[ "${lines[1]}" = ls-ok ]
	[ "${lines[2]}" = 0 ]
	[[ "$output" == *"can't create directory '/tmp/x': Operation not supported"* ]]
	[[ "$output" == *rc=1* ]]
	[ ! -e "$BUNDLE/rootfs/tmp/x" ]
	# and a process exec'd into a container under that profile
	set_args sleep 300
	run_detached
	run rt exec "$CID" sh -c 'echo exec-hi; mkdir /tmp/x; echo "rc=$?"'
	[ "${lines[0]}" = exec-hi ]
	[[ "$output" == *"can't create directory '/tmp/x': Operation not supported"* ]]
	[[ "$output" == *rc=1* ]]
}

@test "seccomp: errno without errnoRet is EPERM" {
	cfg '.root.readonly = false'
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
	run in_ctr sh -c 'mkdir /tmp/x; echo "rc=$?"'
	[[ "$output" == *"can't create directory '/tmp/x': Operation not permitted"* ]]
	[[ "$output" == *rc=1* ]]
}

@test "seccomp: an argument condition denies socket(AF_INET) but not other families" {
	# socket(2, ...) = AF_INET fails with EPROTONOSUPPORT (93); AF_NETLINK (ip)
	# and AF_INET6 still get a socket.
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 93,
			"args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}]}'
	run in_ctr sh -c 'nc -w 1 127.0.0.1 9 </dev/null; echo "inet=$?"
		nc -w 1 ::1 9 </dev/null; echo "inet6=$?"
		ip link show lo && echo netlink-ok'
	[[ "$output" == *inet=1* ]]
	grep -qx 'nc: socket: Protocol not supported' <<<"$output"
	[ "$(grep -c 'Protocol not supported' <<<"$output")" -eq 1 ]
	# the AF_INET6 socket was made: connect fails, not socket
	[[ "$output" == *inet6=1* ]]
	grep -q "nc: can't connect" <<<"$output"
	[[ "$output" == *": lo: "* ]]
	[[ "$output" == *netlink-ok* ]]
}

@test "seccomp: SCMP_ACT_KILL on uname kills the process with SIGSYS (exit 159)" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["uname"], "action": "SCMP_ACT_KILL"}]}'
	# no core file of the killed process in the container
	cfg '.process.rlimits = [{"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]'
	run in_ctr uname -a
	[ "$status" -eq $((128 + 31)) ]
	# other programs run
	run in_ctr echo alive
	[ "$status" -eq 0 ]
	[ "$output" = alive ]
}

@test "seccomp: noNewPrivileges false and a non-root user: the filter is loaded" {
	cfg '.process.noNewPrivileges = false | .process.user = {"uid": 1000, "gid": 1000}'
	seccomp "$DENY_MKDIR"
	run in_ctr sh -c 'id -u; grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status; mkdir /tmp/x; echo "rc=$?"'
	[ "${lines[0]}" = 1000 ]
	[ "$(status_field NoNewPrivs "$output")" = 0 ]
	[ "$(status_field Seccomp "$output")" = 2 ]
	# ENOSYS from the filter, not EACCES/EROFS from the file system
	[[ "$output" == *"Function not implemented"* ]]
	[[ "$output" == *rc=1* ]]
}

@test "seccomp: an unknown action fails create, naming the field" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_BOGUS"}]}'
	set_args true
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *SCMP_ACT_BOGUS* ]]
	# runc 1.1.5 does not name the field: "... is not a valid action for seccomp"
	if [ "$RUNTIME_NAME" != runc ]; then
		[ "$(wc -l <<<"$output")" -eq 1 ]
		[[ "$output" == *'linux.seccomp.syscalls[0].action'* ]]
	fi
	run rt state "$CID"
	[ "$status" -ne 0 ]
}

@test "seccomp: an unknown defaultAction is refused" {
	set_args true
	seccomp '{"defaultAction": "SCMP_ACT_NOPE"}'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *SCMP_ACT_NOPE* ]]
	if [ "$RUNTIME_NAME" != runc ]; then
		[[ "$output" == *linux.seccomp.defaultAction* ]]
		[ "$(wc -l <<<"$output")" -eq 1 ]
	fi
	run rt state "$CID"
	[ "$status" -ne 0 ]
}

@test "seccomp: errnoRet on an allow rule is refused" {
	skip_on runc "1.1.5 ignores errnoRet on an SCMP_ACT_ALLOW rule (the spec says MUST fail)"
	set_args true
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO"},
			{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW", "errnoRet": 5}]}'
	run create_ctr
	[ "$status" -ne 0 ]
	[ "$(wc -l <<<"$output")" -eq 1 ]
	[[ "$output" == *'linux.seccomp.syscalls[1].errnoRet'* ]]
	run rt state "$CID"
	[ "$status" -ne 0 ]
}

@test "capabilities: CapBnd is exactly the config's bounding set (runc spec default)" {
	local want
	want=$(cap_mask $(jq -r '.process.capabilities.bounding[]' "$BUNDLE/config.json"))
	# CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE
	[ "$want" = 0000000020000420 ]
	run in_ctr cat /proc/self/status
	[ "$status" -eq 0 ]
	[ "$(status_field CapBnd "$output")" = "$want" ]
	[ "$(status_field CapEff "$output")" = \
		"$(cap_mask $(jq -r '.process.capabilities.effective[]' "$BUNDLE/config.json"))" ]
}

@test "capabilities: CapBnd is exactly a docker-like default set, with seccomp" {
	local caps
	caps=(CAP_CHOWN CAP_DAC_OVERRIDE CAP_FSETID CAP_FOWNER CAP_MKNOD CAP_NET_RAW CAP_SETGID
		CAP_SETUID CAP_SETFCAP CAP_SETPCAP CAP_NET_BIND_SERVICE CAP_SYS_CHROOT CAP_KILL
		CAP_AUDIT_WRITE)
	cfg --argjson c "$(json_array "${caps[@]}")" '.process.capabilities = {bounding: $c,
		effective: $c, permitted: $c, inheritable: [], ambient: []}'
	seccomp "$DENY_MKDIR"
	run in_ctr cat /proc/self/status
	[ "$status" -eq 0 ]
	[ "$(status_field CapBnd "$output")" = "$(cap_mask "${caps[@]}")" ]
	[ "$(status_field CapBnd "$output")" = 00000000a80425fb ]
	[ "$(status_field CapPrm "$output")" = 00000000a80425fb ]
	[ "$(status_field CapInh "$output")" = 0000000000000000 ]
}
