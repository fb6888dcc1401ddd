#!/usr/bin/env bats
# cgroups: limits of linux.resources read back inside the container and on
# the host, enforcement (CPU quota, OOM, pids), pause/resume, ps, update,
# events, removal of the cgroups at delete, devices, systemd-style paths.
#
# The host has every v1 controller at /sys/fs/cgroup/<ctrl> and a cgroup2
# mount at /sys/fs/cgroup/unified (hugetlb only). Host-side paths are taken
# from /proc/PID/cgroup of the container's init: runc 1.1.5 nests a relative
# or default cgroupsPath under its own cgroup (here: memory), berth uses the
# path from each hierarchy's root.

load helpers

# cg_dirs_of PID: "CTRL DIR" lines, the host directory of each of the
# process's cgroups (CTRL: a v1 controller, "systemd", or "unified").
cg_dirs_of() {
	local n ctrls path c
	local -a cs
	while IFS=: read -r n ctrls path; do
		if [ -z "$ctrls" ]; then
			echo "unified /sys/fs/cgroup/unified$path"
			continue
		fi
		IFS=, read -ra cs <<<"$ctrls"
		for c in "${cs[@]}"; do
			echo "${c#name=} /sys/fs/cgroup/${c#name=}$path"
		done
	done <"/proc/$1/cgroup"
}

# save_cgroups [ID]: remember the container's cgroup dirs (see cg).
save_cgroups() {
	local id=${1:-$CID} pid
	pid=$(state_of "$id" pid)
	[ "$pid" -gt 0 ] || return 1
	cg_dirs_of "$pid" >"$TEST_TMP/$id.cg"
	[ -s "$TEST_TMP/$id.cg" ]
}

# cg CTRL [ID]: the container's cgroup dir in CTRL's hierarchy.
cg() {
	awk -v c="$1" '$1 == c {print $2}' "$TEST_TMP/${2:-$CID}.cg"
}

# cgv CTRL FILE [ID]: a cgroup file of the container.
cgv() {
	cat "$(cg "$1" "${3:-}")/$2"
}

# cg_hierarchies: mount points of every cgroup hierarchy of the host.
cg_hierarchies() {
	awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/self/mounts | grep '^/sys/fs/cgroup/'
}

# all_cgroups_exist [ID]: the container has a cgroup dir, existing, in every
# hierarchy of the host.
all_cgroups_exist() {
	local h d
	for h in $(cg_hierarchies); do
		d=$(awk -v h="$h" 'index($2, h "/") == 1 {print $2}' "$TEST_TMP/${1:-$CID}.cg")
		[ -n "$d" ] || { echo "no cgroup of the container under $h" >&2; return 1; }
		[ -d "$d" ] || { echo "missing $d" >&2; return 1; }
	done
}

# no_cgroups_left [ID]: none of the container's cgroup dirs exists.
no_cgroups_left() {
	local c d rc=0
	while read -r c d; do
		[ ! -e "$d" ] || { echo "left behind: $d" >&2; rc=1; }
	done <"$TEST_TMP/${1:-$CID}.cg"
	return $rc
}

# marked_pids: processes of this test's containers (their env carries the
# marker; the runtime calls of rt carry $TEST_TMP/rt and are excluded).
marked_pids() {
	local f pid
	for f in $(grep -lzs "^BERTH_E2E=$TEST_TMP\$" /proc/[0-9]*/environ); do
		pid=${f#/proc/}
		pid=${pid%/environ}
		pid_alive "$pid" && echo "$pid"
	done
	return 0
}

# need_memsw: skip without swap accounting (memory.memsw.* files).
need_memsw() {
	[ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] || skip "no swap accounting on this host"
}

# key_of FILE KEY: value of a "key value" line.
key_of() {
	awk -v k="$2" '$1 == k {print $2}' "$1"
}

# --------------------------------------------------------------- limits -----

@test "limits: memory, cpu, cpuset and pids read back inside and on the host" {
	need_memsw
	[ "$(nproc --all)" -ge 2 ] || skip "needs a CPU 1 for cpuset.cpus"
	cfg '.linux.resources.memory = {limit: 67108864, reservation: 33554432, swap: 134217728}
	   | .linux.resources.cpu = {shares: 512, quota: 50000, period: 100000, cpus: "1", mems: "0"}
	   | .linux.resources.pids = {limit: 100}'
	set_args sleep 300
	run_detached
	save_cgroups
	all_cgroups_exist
	if [ "$RUNTIME_NAME" != runc ]; then
		# the default path is /<id> in every hierarchy
		for h in $(cg_hierarchies); do
			grep -qx "[a-z]* $h/$CID" "$TEST_TMP/$CID.cg"
		done
	fi
	local want=(67108864 33554432 134217728 512 50000 100000 1 0 100)
	local files=(memory/memory.limit_in_bytes memory/memory.soft_limit_in_bytes
		memory/memory.memsw.limit_in_bytes cpu/cpu.shares cpu/cpu.cfs_quota_us
		cpu/cpu.cfs_period_us cpuset/cpuset.cpus cpuset/cpuset.mems pids/pids.max)
	local i
	for i in "${!files[@]}"; do
		[ "$(cgv "${files[$i]%%/*}" "${files[$i]#*/}")" = "${want[$i]}" ]
	done
	# the container sees its own cgroups at /sys/fs/cgroup/<ctrl>
	run rt exec "$CID" sh -c 'cd /sys/fs/cgroup && cat "$@"' sh "${files[@]}"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq "${#want[@]}" ]
	for i in "${!want[@]}"; do
		[ "${lines[$i]}" = "${want[$i]}" ]
	done
	# and its own process in them
	run rt exec "$CID" cat /sys/fs/cgroup/pids/cgroup.procs
	grep -qx 1 <<<"$output"
	# cpuset 1 holds: the processes run on CPU 1 only
	[ "$(awk '/^Cpus_allowed_list:/ {print $2}' /proc/"$(state_of "$CID" pid)"/status)" = 1 ]
}

@test "limits: memory.kernelTCP is written to memory.kmem.tcp.limit_in_bytes (v1), as crun does" {
	[ -e /sys/fs/cgroup/memory/memory.kmem.tcp.limit_in_bytes ] || skip "no kmem.tcp on this kernel"
	skip_on runc "runc 1.1 ignores kernel memory settings"
	cfg '.linux.resources.memory = {limit: 67108864, kernelTCP: 16777216}'
	set_args sleep 300
	run_detached
	save_cgroups
	[ "$(cgv memory memory.kmem.tcp.limit_in_bytes)" = 16777216 ]
	[ "$(cgv memory memory.limit_in_bytes)" = 67108864 ]
	# kernelTCP alone is applied too, and so is update --kernel-memory-tcp
	[ "$RUNTIME_NAME" = crun ] && return 0
	rt update --kernel-memory-tcp 32m "$CID"
	[ "$(cgv memory memory.kmem.tcp.limit_in_bytes)" = 33554432 ]
	run rt events --stats "$CID"
	[ "$(jq -r .data.memory.kernelTCP.limit <<<"$output")" = 33554432 ]
}

@test "limits: blkio weight" {
	local f
	for f in blkio.weight blkio.bfq.weight ''; do
		[ -n "$f" ] && [ -e "/sys/fs/cgroup/blkio/$f" ] && break
	done
	[ -n "$f" ] || skip "the host's blkio controller has no blkio.weight nor blkio.bfq.weight (no CFQ/BFQ)"
	cfg '.linux.resources.blockIO = {weight: 300}'
	set_args sleep 300
	run_detached
	save_cgroups
	[ "$(cgv blkio "$f" | awk '{print $NF; exit}')" = 300 ]
	run rt exec "$CID" cat "/sys/fs/cgroup/blkio/$f"
	[ "$(awk '{print $NF; exit}' <<<"$output")" = 300 ]
}

@test "limits: hugetlb limit on the cgroup2 mount" {
	grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null ||
		skip "no hugetlb controller on /sys/fs/cgroup/unified"
	grep -q '^Hugepagesize: *2048 kB' /proc/meminfo || skip "no 2 MB huge pages"
	skip_on runc "1.1.5 wants hugetlb as a v1 controller on a hybrid host: 'cannot set hugetlb limit'"
	cfg '.linux.resources.hugepageLimits = [{pageSize: "2MB", limit: 4194304}]'
	set_args sleep 300
	run_detached
	save_cgroups
	[ -e "$(cg unified)/hugetlb.2MB.max" ]
	[ "$(cgv unified hugetlb.2MB.max)" = 4194304 ]
	run rt exec "$CID" cat /sys/fs/cgroup/unified/hugetlb.2MB.max
	[ "$status" -eq 0 ]
	[ "$output" = 4194304 ]
}

# ---------------------------------------------------------- enforcement -----

@test "cpu: a busy loop under quota 20000/period 100000 gets about 20% of a CPU" {
	cfg '.linux.resources.cpu = {quota: 20000, period: 100000}'
	set_args sh -c 'while :; do :; done'
	run_detached
	save_cgroups
	sleep 0.3
	local u0 u1 t0 t1 pct
	u0=$(cgv cpuacct cpuacct.usage)
	t0=$(date +%s%N)
	sleep 2
	u1=$(cgv cpuacct cpuacct.usage)
	t1=$(date +%s%N)
	pct=$(((u1 - u0) * 100 / (t1 - t0)))
	echo "busy loop used $pct% of a CPU" >&2
	[ "$pct" -ge 10 ]
	[ "$pct" -le 30 ]
	# it was throttled
	[ "$(key_of "$(cg cpu)/cpu.stat" nr_throttled)" -gt 0 ]
}

@test "memory: a memory hog under a 32 MiB limit is OOM-killed, run exits 137" {
	need_memsw
	cfg '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
	run in_ctr sh -c 'x=a; while :; do x=$x$x; done'
	[ "$status" -eq 137 ]
}

@test "memory: OOM kill is streamed by events and counted in memory.oom_control" {
	need_memsw
	cfg '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
	set_args tail /dev/zero
	create_ctr
	save_cgroups
	rt events --interval 1s "$CID" </dev/null >"$TEST_TMP/events" 2>&1 3>&- &
	defer "kill $! 2>/dev/null"
	# the first stats line: events has set up its OOM watch
	wait_for grep -q '"type":"stats"' "$TEST_TMP/events"
	rt start "$CID"
	wait_status "$CID" stopped
	wait_for grep -q '"type":"oom"' "$TEST_TMP/events"
	[ "$(grep '"type":"oom"' "$TEST_TMP/events" | head -n 1 | jq -r .id)" = "$CID" ]
	[ "$(key_of "$(cg memory)/memory.oom_control" oom_kill)" -ge 1 ]
	# it reached its limit
	[ "$(cgv memory memory.max_usage_in_bytes)" -ge $((30 << 20)) ]
	rt delete "$CID"
	no_cgroups_left
}

@test "memory: state shows oomKilled for an OOM-killed container only" {
	skip_on runc "1.1.5 has no oomKilled in state"
	need_memsw
	cfg '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
	set_args tail /dev/zero
	run_detached
	wait_status "$CID" stopped
	[ "$(state_of "$CID" oomKilled)" = true ]
	# a container that exited on its own
	local other
	other=$(cid ok)
	set_args true
	run_detached "$other"
	wait_status "$other" stopped
	[ "$(state_of "$other" oomKilled)" != true ]
	[ "$(state_of "$CID" status)" = stopped ]
}

@test "pids: a fork bomb is held at pids.limit 20, gets EAGAIN, and is cleaned up" {
	cfg '.linux.resources.pids = {limit: 20}'
	# orphans are not reaped by the init (exec'd sleep): the bomb saturates
	set_args sh -c 'f() { f | f & }; f; exec sleep 300'
	run_detached
	save_cgroups
	[ "$(cgv pids pids.max)" = 20 ]
	local i n max=0
	for ((i = 0; i < 20; i++)); do
		n=$(cgv pids pids.current)
		[ "$n" -gt "$max" ] && max=$n
		sleep 0.05
	done
	echo "pids.current at most $max" >&2
	[ "$max" -le 20 ]
	[ "$max" -ge 15 ]
	# forks failed with EAGAIN inside and were counted
	wait_for grep -q "can't fork: Resource temporarily unavailable" "$TEST_TMP/$CID.err"
	[ "$(key_of "$(cg pids)/pids.events" max)" -ge 1 ]
	local pids
	pids=$(cat "$(cg pids)/cgroup.procs")
	local t0=$SECONDS
	rt delete --force "$CID"
	[ $((SECONDS - t0)) -le 5 ]
	no_cgroups_left
	for i in $pids; do pid_gone "$i"; done
	[ -z "$(marked_pids)" ]
}

# --------------------------------------------------- pause, ps, update ------

# counter_above FILE N: FILE holds a number greater than N.
counter_above() {
	[ "$(cat "$1")" -gt "$2" ]
}

@test "pause and resume: frozen cgroup, the counter stops, then advances again" {
	cfg '.root.readonly = false'
	set_args sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/c.new; mv /tmp/c.new /tmp/c; usleep 20000; done'
	run_detached
	save_cgroups
	local c="$BUNDLE/rootfs/tmp/c" a b
	wait_for test -s "$c"
	rt pause "$CID"
	[ "$(state_of "$CID" status)" = paused ]
	[ "$(cgv freezer freezer.state)" = FROZEN ]
	a=$(cat "$c")
	sleep 0.5
	b=$(cat "$c")
	[ "$a" = "$b" ]
	[ "$(state_of "$CID" status)" = paused ]
	run rt pause "$CID"
	[ "$status" -ne 0 ]
	rt resume "$CID"
	[ "$(state_of "$CID" status)" = running ]
	[ "$(cgv freezer freezer.state)" = THAWED ]
	wait_for counter_above "$c" "$b"
	run rt resume "$CID"
	[ "$status" -ne 0 ]
}

@test "ps: json lists the cgroup's pids, the table has a PID header and the process" {
	set_args sleep 300
	run_detached
	save_cgroups
	rt exec --detach "$CID" sleep 301 </dev/null >/dev/null 2>&1
	run rt ps --format json "$CID"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[]' <<<"$output" | sort -n | tr '\n' ' ')" = \
		"$(sort -n "$(cg pids)/cgroup.procs" | tr '\n' ' ')" ]
	[ "$(jq length <<<"$output")" -eq 2 ]
	run rt ps "$CID"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID* ]]
	[ "${#lines[@]}" -eq 3 ]
	[[ "$output" == *"sleep 300"* ]]
	[[ "$output" == *"sleep 301"* ]]
	# the PID column holds the init's host pid
	local pid col
	pid=$(state_of "$CID" pid)
	col=$(awk 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == "PID") print i}' <<<"$output")
	awk -v c="$col" 'NR > 1 {print $c}' <<<"$output" | grep -qx "$pid"
}

@test "update: flags and --resources change the cgroup files" {
	set_args sleep 300
	run_detached
	save_cgroups
	rt update --memory 64m --cpu-quota 30000 --pids-limit 50 "$CID"
	[ "$(cgv memory memory.limit_in_bytes)" = 67108864 ]
	[ "$(cgv cpu cpu.cfs_quota_us)" = 30000 ]
	[ "$(cgv pids pids.max)" = 50 ]
	run rt exec "$CID" cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max
	[ "${lines[0]}" = 67108864 ]
	[ "${lines[1]}" = 50 ]
	jq -n '{memory: {limit: 100663296, reservation: 50331648}, cpu: {shares: 256, quota: 40000,
		period: 200000}, pids: {limit: 40}}' >"$TEST_TMP/res.json"
	rt update --resources "$TEST_TMP/res.json" "$CID"
	[ "$(cgv memory memory.limit_in_bytes)" = 100663296 ]
	[ "$(cgv memory memory.soft_limit_in_bytes)" = 50331648 ]
	[ "$(cgv cpu cpu.shares)" = 256 ]
	[ "$(cgv cpu cpu.cfs_quota_us)" = 40000 ]
	[ "$(cgv cpu cpu.cfs_period_us)" = 200000 ]
	[ "$(cgv pids pids.max)" = 40 ]
	# still running
	[ "$(state_of "$CID" status)" = running ]
}

@test "update: memory and swap limits grow and shrink together" {
	# v1 wants memsw >= memory at every step: the writes must be ordered
	need_memsw
	cfg '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
	set_args sleep 300
	run_detached
	save_cgroups
	rt update --memory 64m --memory-swap 64m "$CID"
	[ "$(cgv memory memory.limit_in_bytes)" = 67108864 ]
	[ "$(cgv memory memory.memsw.limit_in_bytes)" = 67108864 ]
	rt update --memory 16m --memory-swap 16m "$CID"
	[ "$(cgv memory memory.limit_in_bytes)" = 16777216 ]
	[ "$(cgv memory memory.memsw.limit_in_bytes)" = 16777216 ]
	run rt events --stats "$CID"
	[ "$(jq -r .data.memory.usage.limit <<<"$output")" = 16777216 ]
}

@test "update: numeric flags out of range are refused with one line, the cgroup unchanged" {
	skip_on runc "runc 1.1 exits 0 on invalid values and wraps overflowing sizes"
	cfg '.linux.resources.memory = {limit: 67108864} | .linux.resources.pids = {limit: 30}'
	set_args sleep 300
	run_detached
	save_cgroups
	local bad=(
		--memory 1e30 --memory nan --memory inf --memory -5 --memory 99999999999999999999
		--memory 9000000t --memory 0x10 --memory ''
		--memory-reservation -2 --memory-swap 1e3 --kernel-memory-tcp nan --kernel-memory 1e99
		--cpu-period -1 --cpu-period 18446744073709551616 --cpu-share -2 --cpu-share 1.5
		--cpu-quota -2 --cpu-quota 9223372036854775808 --cpu-rt-period -1
		--cpu-rt-runtime 99999999999999999999 --cpu-rt-runtime x
		--blkio-weight 70000 --blkio-weight -1 --blkio-weight 5
		--pids-limit -5 --pids-limit 99999999999999999999 --pids-limit 1e3
	)
	local i
	for ((i = 0; i < ${#bad[@]}; i += 2)); do
		run rt update "${bad[i]}" "${bad[i + 1]}" "$CID"
		[ "$status" -ne 0 ] || { echo "accepted: ${bad[i]} ${bad[i + 1]}" >&2; return 1; }
		[ "${#lines[@]}" -eq 1 ] || { echo "not one line: $output" >&2; return 1; }
		[[ "$output" == *"${bad[i]}"* ]]
	done
	[ "$(cgv memory memory.limit_in_bytes)" = 67108864 ]
	[ "$(cgv pids pids.max)" = 30 ]
	# the edges still pass: -1 is unlimited, fractions and suffixes are sizes
	rt update --memory 1.5m --pids-limit -1 --cpu-quota -1 "$CID"
	[ "$(cgv memory memory.limit_in_bytes)" = 1572864 ]
	[ "$(cgv pids pids.max)" = max ]
	rt update --memory -1 "$CID"
	[ "$(cgv memory memory.limit_in_bytes)" -gt 1000000000000 ]
}

@test "update: a stopped container is refused and its cgroup is unchanged" {
	cfg '.linux.resources.pids = {limit: 30}'
	set_args true
	create_ctr
	save_cgroups
	rt start "$CID"
	wait_status "$CID" stopped
	run rt update --pids-limit 50 "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *stopped* || "$output" == *"not running"* ]]
	[ "$(cgv pids pids.max)" = 30 ]
}

@test "events --stats prints one stats line with memory, pids and cpu usage" {
	set_args sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exec sleep 300'
	run_detached
	rt exec "$CID" true
	run rt events --stats "$CID"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	local j=${lines[0]}
	[ "$(jq -r .type <<<"$j")" = stats ]
	[ "$(jq -r .id <<<"$j")" = "$CID" ]
	[ "$(jq -r '.data.memory.usage.usage' <<<"$j")" -gt 0 ]
	[ "$(jq -r '.data.pids.current' <<<"$j")" -ge 1 ]
	[ "$(jq -r '.data.cpu.usage.total' <<<"$j")" -gt 0 ]
}

# -------------------------------------------------------------- cleanup -----

@test "cleanup: delete removes the cgroup in every hierarchy" {
	set_args true
	create_ctr
	save_cgroups
	all_cgroups_exist
	rt start "$CID"
	wait_status "$CID" stopped
	# a stopped container keeps its cgroups until delete
	all_cgroups_exist
	rt delete "$CID"
	no_cgroups_left
}

@test "cleanup: delete --force of a running container with exec'd processes" {
	set_args sleep 300
	run_detached
	save_cgroups
	local i
	for i in 1 2 3; do
		rt exec --detach --pid-file "$TEST_TMP/e$i.pid" "$CID" sleep 30$i </dev/null >/dev/null 2>&1
	done
	[ "$(wc -l <"$(cg pids)/cgroup.procs")" -eq 4 ]
	local pids
	pids=$(cat "$(cg pids)/cgroup.procs")
	rt delete --force "$CID"
	no_cgroups_left
	for i in $pids; do pid_gone "$i"; done
	[ -z "$(marked_pids)" ]
	run rt state "$CID"
	[ "$status" -ne 0 ]
}

@test "cleanup: delete --force of a paused container" {
	set_args sleep 300
	run_detached
	save_cgroups
	rt exec --detach "$CID" sleep 301 </dev/null >/dev/null 2>&1
	local pids
	pids=$(cat "$(cg pids)/cgroup.procs")
	rt pause "$CID"
	[ "$(cgv freezer freezer.state)" = FROZEN ]
	# frozen tasks die only once thawed
	local t0=$SECONDS i
	rt delete --force "$CID"
	[ $((SECONDS - t0)) -le 5 ]
	no_cgroups_left
	for i in $pids; do wait_for pid_gone "$i"; done
	[ -z "$(marked_pids)" ]
}

@test "cleanup: a container killed with SIGKILL from the host, then delete" {
	set_args sleep 300
	run_detached
	save_cgroups
	rt exec --detach --pid-file "$TEST_TMP/e.pid" "$CID" sleep 301 </dev/null >/dev/null 2>&1
	local pid epid
	pid=$(state_of "$CID" pid)
	epid=$(cat "$TEST_TMP/e.pid")
	kill -9 "$pid"
	wait_status "$CID" stopped
	# the pid namespace went with its init
	wait_for pid_gone "$epid"
	all_cgroups_exist
	rt delete "$CID"
	no_cgroups_left
	[ -z "$(marked_pids)" ]
}

@test "cleanup: linux.cgroupsPath berth-e2e-parent/<id> is used and removed" {
	defer "for d in \$(find /sys/fs/cgroup -maxdepth 6 -type d -name berth-e2e-parent); do rmdir \"\$d/$CID\" \"\$d\"; done 2>/dev/null"
	cfg --arg p "berth-e2e-parent/$CID" '.linux.cgroupsPath = $p'
	set_args sleep 300
	run_detached
	save_cgroups
	all_cgroups_exist
	local c d
	while read -r c d; do
		[[ "$d" == */berth-e2e-parent/"$CID" ]]
		if [ "$RUNTIME_NAME" != runc ]; then
			[[ "$d" == /sys/fs/cgroup/*/berth-e2e-parent/"$CID" ]]
			[ "$d" = "/sys/fs/cgroup/$c/berth-e2e-parent/$CID" ]
		fi
	done <"$TEST_TMP/$CID.cg"
	run rt exec "$CID" cat /sys/fs/cgroup/pids/cgroup.procs
	[ "$status" -eq 0 ]
	rt delete --force "$CID"
	no_cgroups_left
}

# -------------------------------------------------------------- devices -----

# As runc does, the runtime appends its default allow list (null, zero,
# full, random, urandom, tty, pts, ptmx, tun; mknod of anything) after the
# rules of linux.resources.devices: those devices cannot be denied.
@test "devices: the default allow list comes after the config's rules" {
	cfg '.linux.resources.devices = [{allow: false, access: "rwm"},
		{allow: false, type: "c", major: 1, minor: 5, access: "rwm"}]'
	set_args sh -c 'head -c 4 /dev/zero | wc -c; echo x >/dev/null && echo null-ok; sleep 300'
	run_detached
	save_cgroups
	wait_for grep -q null-ok "$TEST_TMP/$CID.out"
	grep -qx 4 "$TEST_TMP/$CID.out"
	grep -qx 'c 1:5 rwm' "$(cg devices)/devices.list"
}

# the fuse device (c 10:229) is outside the runtimes' default allow list
# (null, zero, full, random, urandom, tty, console pts, ptmx, tun) and can be
# opened without capabilities.
add_fuse_dev() {
	[ -c /dev/fuse ] || skip "no /dev/fuse on the host"
	cfg '.linux.devices = [{path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 438, uid: 0, gid: 0}]'
}

@test "devices: a device node outside the default list is denied by the cgroup" {
	add_fuse_dev
	set_args sh -c 'ls -l /dev/fuse; true </dev/fuse && echo fuse-open
		echo x >/dev/null && echo null-ok; head -c 4 /dev/zero | wc -c; sleep 300'
	run_detached
	save_cgroups
	wait_for grep -q null-ok "$TEST_TMP/$CID.out"
	run cat "$TEST_TMP/$CID.out" "$TEST_TMP/$CID.err"
	[[ "$output" == *"crw-rw-rw-"*"10,"*"229"*"/dev/fuse"* ]]
	[[ "$output" == *"can't open /dev/fuse: Operation not permitted"* ]]
	[[ "$output" != *fuse-open* ]]
	grep -qx 4 "$TEST_TMP/$CID.out"
	# the host's devices cgroup allows /dev/null, not 10:229
	grep -qx 'c 1:3 rwm' "$(cg devices)/devices.list"
	[ -z "$(grep '^c 10:229 ' "$(cg devices)/devices.list")" ]
	# exec'd processes are in the same devices cgroup
	run rt exec "$CID" sh -c 'true </dev/fuse && echo exec-open'
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" != *exec-open* ]]
}

@test "devices: an allow rule in linux.resources.devices opens it" {
	add_fuse_dev
	cfg '.linux.resources.devices = [{allow: false, access: "rwm"},
		{allow: true, type: "c", major: 10, minor: 229, access: "rw"}]'
	set_args sh -c 'true </dev/fuse && echo fuse-open; true <>/dev/fuse && echo fuse-rw; sleep 300'
	run_detached
	save_cgroups
	wait_for grep -q fuse-rw "$TEST_TMP/$CID.out"
	grep -q fuse-open "$TEST_TMP/$CID.out"
	grep -qx 'c 10:229 rw' "$(cg devices)/devices.list"
	# exec'd processes are in the same devices cgroup
	run rt exec "$CID" sh -c 'true </dev/fuse && echo exec-open'
	[ "$output" = exec-open ]
}

# -------------------------------------------------------------- systemd -----

@test "--systemd-cgroup: slice:prefix:name is system.slice/berth-<id>.scope, removed at delete" {
	skip_on runc "systemd is not running here: 'cannot use systemd cgroups manager'"
	local h
	for h in $(cg_hierarchies); do
		[ -d "$h/system.slice" ] || defer "rmdir '$h/system.slice' 2>/dev/null"
	done
	defer "rmdir /sys/fs/cgroup/*/system.slice/berth-$CID.scope 2>/dev/null"
	cfg --arg p "system.slice:berth:$CID" '.linux.cgroupsPath = $p'
	set_args sleep 300
	rt --systemd-cgroup run --detach --bundle "$BUNDLE" "$CID" \
		</dev/null >"$TEST_TMP/$CID.out" 2>"$TEST_TMP/$CID.err" 3>&- || {
		cat "$TEST_TMP/$CID.err"
		false
	}
	save_cgroups
	all_cgroups_exist
	for h in $(cg_hierarchies); do
		grep -qx "[a-z]* $h/system.slice/berth-$CID.scope" "$TEST_TMP/$CID.cg"
	done
	rt --systemd-cgroup delete --force "$CID"
	no_cgroups_left
}
