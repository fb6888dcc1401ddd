#!/usr/bin/env bats
# Namespaces: pid, uts, ipc, net, user, joining by path, cgroup, time.

load helpers

# ns_of_ctr NS: namespace link of the user process of $CID (running).
ns_of_ctr() {
	ns_link "$(state_of "$CID" pid)" "$1"
}

@test "pid ns: the user process is PID 1" {
	# the trailing `true` keeps busybox sh from exec'ing the last command
	run in_ctr sh -c 'echo $$; cat /proc/1/comm; true'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = sh ]
}

@test "pid ns: ps shows only the container's processes" {
	run in_ctr sh -c 'ps -o pid,comm; true'
	[ "$status" -eq 0 ]
	echo "$output" >&2
	# header + sh (pid 1) + ps
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[1]}" =~ ^[[:space:]]*1[[:space:]]+sh$ ]]
	[[ "${lines[2]}" =~ [[:space:]]ps$ ]]
}

@test "pid ns: the container's pid ns differs from the host's" {
	set_args sleep 100
	run_detached
	[ "$(ns_of_ctr pid)" != "$(ns_link self pid)" ]
	# the host sees the container's PID 1 under another pid
	[ "$(state_of "$CID" pid)" -gt 1 ]
}

@test "uts ns: hostname from config" {
	cfg '.hostname = "e2e-host"'
	run in_ctr hostname
	[ "$status" -eq 0 ]
	[ "$output" = e2e-host ]
	[ "$(hostname)" != e2e-host ]
}

@test "uts ns: domainname from config" {
	skip_on runc "runc 1.1 ignores the domainname field"
	cfg '.domainname = "e2e.example"'
	run in_ctr cat /proc/sys/kernel/domainname
	[ "$status" -eq 0 ]
	[ "$output" = e2e.example ]
	[ "$(cat /proc/sys/kernel/domainname)" != e2e.example ]
}

@test "uts ns: sethostname inside does not change the host" {
	host=$(hostname)
	add_caps CAP_SYS_ADMIN
	run in_ctr sh -c 'hostname changed-inside && hostname'
	[ "$status" -eq 0 ]
	[ "$output" = changed-inside ]
	[ "$(hostname)" = "$host" ]
}

@test "uts ns joined by path: hostname and domainname are set in the joined namespace" {
	host=$(hostname)
	hostdom=$(cat /proc/sys/kernel/domainname)
	unshare --uts sleep 300 &
	holder=$!
	defer "kill $holder"
	wait_for eval '[ "$(readlink /proc/'"$holder"'/ns/uts)" != "$(readlink /proc/self/ns/uts)" ]'
	cfg --arg p "/proc/$holder/ns/uts" '.hostname = "e2e-joined" | .domainname = "joined.example"
		| .linux.namespaces |= map(if .type == "uts" then .path = $p else . end)'
	run in_ctr sh -c 'hostname; cat /proc/sys/kernel/domainname; readlink /proc/self/ns/uts'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = e2e-joined ]
	[ "${lines[2]}" = "$(readlink /proc/$holder/ns/uts)" ]
	# the joined namespace keeps the names, the host's are untouched
	[ "$(nsenter -t "$holder" -u hostname)" = e2e-joined ]
	[ "$(hostname)" = "$host" ]
	[ "$(cat /proc/sys/kernel/domainname)" = "$hostdom" ]
	# runc 1.1 ignores domainname
	[ "$RUNTIME_NAME" = runc ] || [ "${lines[1]}" = joined.example ]
}

@test "uts ns: hostname without a uts namespace (the host's) is refused" {
	host=$(hostname)
	cfg '.hostname = "e2e-nouts" | .linux.namespaces |= map(select(.type != "uts"))'
	run in_ctr hostname
	[ "$status" -ne 0 ]
	[ "$(hostname)" = "$host" ]
}

@test "ipc ns: own IPC namespace" {
	run in_ctr readlink /proc/self/ns/ipc
	[ "$status" -eq 0 ]
	[[ "$output" == ipc:\[* ]]
	[ "$output" != "$(ns_link self ipc)" ]
}

@test "ipc ns: a SysV shm segment of the host is not visible inside" {
	# create a host segment through a throwaway busybox-free helper: ipcmk
	command -v ipcmk >/dev/null || skip "ipcmk not installed"
	shmid=$(ipcmk -M 4096 | grep -o '[0-9]*$')
	defer ipcrm -m "$shmid"
	grep -qw "$shmid" /proc/sysvipc/shm
	run in_ctr cat /proc/sysvipc/shm
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ] # header only
}

@test "net ns: only lo inside" {
	run in_ctr cat /proc/net/dev
	[ "$status" -eq 0 ]
	ifaces=$(tail -n +3 <<<"$output" | cut -d: -f1 | tr -d ' ')
	[ "$ifaces" = lo ]
	run in_ctr readlink /proc/self/ns/net
	[ "$output" != "$(ns_link self net)" ]
}

@test "mount ns: own mount namespace" {
	run in_ctr readlink /proc/self/ns/mnt
	[ "$status" -eq 0 ]
	[[ "$output" == mnt:\[* ]]
	[ "$output" != "$(ns_link self mnt)" ]
}

userns_config() {
	cfg '.linux.namespaces += [{"type": "user"}]
	     | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
	     | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
}

@test "user ns: uid/gid maps inside, host sees uid 100000" {
	userns_config
	mkdir -p "$TEST_TMP/shared"
	chmod 0777 "$TEST_TMP/shared"
	# the rootfs is owned by host root, unmapped inside: make the mount point
	mkdir "$BUNDLE/rootfs/shared"
	add_bind "$TEST_TMP/shared" /shared
	set_args sh -c 'cat /proc/self/uid_map > /shared/uid; cat /proc/self/gid_map > /shared/gid; id -u > /shared/id; exec sleep 100'
	run_detached
	wait_for test -s "$TEST_TMP/shared/id"
	read -r c h s <"$TEST_TMP/shared/uid"
	[ "$c $h $s" = "0 100000 65536" ]
	read -r c h s <"$TEST_TMP/shared/gid"
	[ "$c $h $s" = "0 100000 65536" ]
	[ "$(cat "$TEST_TMP/shared/id")" = 0 ]

	pid=$(state_of "$CID" pid)
	[ "$(awk '/^Uid:/ {print $2}' /proc/"$pid"/status)" = 100000 ]
	[ "$(awk '/^Gid:/ {print $2}' /proc/"$pid"/status)" = 100000 ]
	[ "$(ns_of_ctr user)" != "$(ns_link self user)" ]
	# written by uid 0 inside: owned by 100000 on the host
	[ "$(stat -c %u "$TEST_TMP/shared/id")" = 100000 ]
}

@test "user ns: host root-owned files appear as nobody (overflow uid)" {
	userns_config
	run in_ctr stat -c %u /bin/busybox
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat /proc/sys/kernel/overflowuid)" ]
}

@test "mount ns: without one the container runs chrooted in the runtime's, and delete leaves no mount" {
	# runc 1.1 refuses it while maskedPaths/readonlyPaths are set; crun runs
	# it and leaves its mounts on the host after delete
	skip_on runc "runc 1.1 refuses masked paths without a mount namespace"
	cfg '.linux.namespaces |= map(select(.type != "mount"))'
	share_mnt="$TEST_TMP/shared"
	mkdir -p "$share_mnt"
	echo from-host >"$share_mnt/f"
	add_bind "$share_mnt" /shared rbind ro
	prop=$(findmnt -no PROPAGATION /)
	set_args sh -c 'readlink /proc/self/ns/mnt; readlink /proc/self/root; cat /shared/f;
		ls /proc/self >/dev/null && echo proc-ok; touch /rootfs-write 2>/dev/null || echo root-ro'
	run_detached
	pid=$(state_of "$CID" pid)
	wait_status "$CID" stopped
	run cat "$TEST_TMP/$CID.out"
	[ "${lines[0]}" = "$(ns_link self mnt)" ]
	[ "${lines[1]}" = / ]
	[ "${lines[2]}" = from-host ]
	[ "${lines[3]}" = proc-ok ]
	# root.readonly (runc spec's default) holds inside, and only there
	# (crun 1.8 leaves the root writable without a mount namespace)
	[ "$RUNTIME_NAME" = crun ] || [ "${lines[4]}" = root-ro ]
	touch "$TEST_TMP/host-write"
	# the container's mounts were in the host's namespace, below the rootfs
	grep -q " $BUNDLE/rootfs/proc " /proc/self/mountinfo
	[ "$(findmnt -no PROPAGATION /)" = "$prop" ]
	run rt delete "$CID"
	[ "$status" -eq 0 ]
	if [ "$RUNTIME_NAME" = berth-runtime ]; then
		# berth detaches them (runc and crun leave them mounted)
		! grep -q " $BUNDLE/rootfs" /proc/self/mountinfo
		touch "$BUNDLE/rootfs/host-write"
	fi
}

@test "mount ns: without one, a create killed -9 mid-way leaves no mount after delete" {
	[ "$RUNTIME_NAME" = berth-runtime ] || skip "berth's crash recovery"
	cfg '.linux.namespaces |= map(select(.type != "mount"))
	     | .hooks.createRuntime = [{"path": "/bin/sleep", "args": ["sleep", "3"]}]'
	set_args sleep 300
	rt create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 &
	# the container's /proc is mounted (on the host) while the hook runs
	wait_for grep -q " $BUNDLE/rootfs/proc " /proc/self/mountinfo
	local rt_pid
	rt_pid=$(pgrep -f -- "^$RUNTIME --root .* create --bundle $BUNDLE $CID" | head -1)
	[ -n "$rt_pid" ]
	kill -9 "$rt_pid"
	wait || true
	run rt delete "$CID"
	[ "$status" -eq 0 ]
	! grep -q " $BUNDLE/rootfs" /proc/self/mountinfo
}

@test "join an existing network namespace by path" {
	ns="berth-e2e-$BATS_TEST_NUMBER-$$"
	ip netns add "$ns"
	defer ip netns delete "$ns"
	want="net:[$(stat -L -c %i "/var/run/netns/$ns")]"
	cfg --arg p "/var/run/netns/$ns" \
		'.linux.namespaces |= map(if .type == "network" then .path = $p else . end)'
	run in_ctr readlink /proc/self/ns/net
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	[ "$output" != "$(ns_link self net)" ]
}

@test "join an existing namespace: changes inside persist in the joined netns" {
	ns="berth-e2e-$BATS_TEST_NUMBER-$$"
	ip netns add "$ns"
	defer ip netns delete "$ns"
	cfg --arg p "/var/run/netns/$ns" \
		'.linux.namespaces |= map(if .type == "network" then .path = $p else . end)'
	add_caps CAP_NET_ADMIN
	run in_ctr ip link set lo up
	[ "$status" -eq 0 ]
	ip netns exec "$ns" ip -o link show lo | grep -q 'UP'
}

@test "cgroup ns: own cgroup namespace rooted at the container's cgroup" {
	cfg '.linux.namespaces += [{"type": "cgroup"}]'
	run in_ctr sh -c 'readlink /proc/self/ns/cgroup; cat /proc/self/cgroup'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == cgroup:\[* ]]
	[ "${lines[0]}" != "$(ns_link self cgroup)" ]
	# every hierarchy looks like the root from inside
	tail -n +2 <<<"$output" | while IFS=: read -r _ _ path; do
		[ "$path" = / ] || { echo "not root: $path" >&2; exit 1; }
	done
}

@test "without cgroup ns in the config the host's cgroup ns is kept" {
	cfg '.linux.namespaces |= map(select(.type != "cgroup"))'
	run in_ctr readlink /proc/self/ns/cgroup
	[ "$status" -eq 0 ]
	[ "$output" = "$(ns_link self cgroup)" ]
}

@test "time ns: boottime and monotonic offsets" {
	skip_on runc "runc 1.1 has no time namespace support"
	cfg '.linux.namespaces += [{"type": "time"}]
	     | .linux.timeOffsets = {"boottime": {"secs": 86400000, "nanosecs": 0},
	                             "monotonic": {"secs": 172800000, "nanosecs": 0}}'
	host_up=$(cut -d. -f1 /proc/uptime)
	run in_ctr sh -c 'readlink /proc/self/ns/time; cat /proc/uptime; cat /proc/self/timens_offsets'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" != "$(ns_link self time)" ]
	up=$(cut -d. -f1 <<<"${lines[1]}")
	[ "$up" -ge $((host_up + 86400000)) ]
	[ "$up" -lt $((host_up + 86400000 + 60)) ]
	grep -Eq '^(boottime|7)[[:space:]]+86400000[[:space:]]+0$' <<<"$output"
	grep -Eq '^(monotonic|1)[[:space:]]+172800000[[:space:]]+0$' <<<"$output"
}
