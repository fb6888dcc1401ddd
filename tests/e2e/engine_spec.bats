#!/usr/bin/env bats
# The engine's config.json (src/lib/engine/spec.c), built from `berth run`
# flags by tests/tools/engine-spec and run by the runtime under test: Docker's
# capabilities, seccomp profile, masked and read-only paths, default mounts,
# limits, users and mounts, checked from inside real containers.  The
# security defaults are each shown to matter: the same attempt succeeds with
# the protection switched off (--privileged or seccomp=unconfined).

load helpers

ENGINE_SPEC="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/engine-spec"
ecg_parent() { echo "berth-e2e-engine-${E2E_FILE_TMP##*/}"; }

setup_file() {
	e2e_setup_file || return 1
	[ -x "$ENGINE_SPEC" ] || { echo "build tests/tools/engine-spec first" >&2; return 1; }
}

teardown_file() {
	e2e_teardown_file
	# the cgroup parent of this file's containers
	local d
	for d in $(find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -depth -type d -name "$(ecg_parent)" 2>/dev/null); do
		rmdir "$d" 2>/dev/null
	done
	return 0
}

# espec [RUN FLAGS...] IMAGE [CMD...]: write the engine's config.json for
# these flags into the bundle (with the e2e process marker kept); ECID names
# the container (its cgroup) when it is not $CID.
espec() {
	local rc=0
	: "${ID:=$(new_id)}"
	"$ENGINE_SPEC" "$BUNDLE/rootfs" "$ID" "/$(ecg_parent)/${ECID:-$CID}" "${IMAGE_CONFIG:--}" "$@" \
		>"$BUNDLE/config.json" || rc=$?
	[ $rc -eq 0 ] || return $rc
	cfg --arg m "BERTH_E2E=$TEST_TMP" '.process.env += [$m]'
}

# new_id: 64 hex digits, as the engine's IDs.
new_id() {
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'
}

# erun [RUN FLAGS...] IMAGE CMD...: build and run in the foreground (use with `run`).
erun() {
	espec "$@" && run_ctr
}

status_field() {
	awk -v k="$1:" '$1 == k {print $2}' <<<"$2"
}

@test "engine spec: the runtime takes it; Docker's 14 capabilities, no more" {
	run erun img sh -c 'grep -E "^Cap(Bnd|Eff|Prm|Inh|Amb):" /proc/self/status'
	[ "$status" -eq 0 ]
	# CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE
	# NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP = 0x00000000a80425fb
	[ "$(status_field CapBnd "$output")" = 00000000a80425fb ]
	[ "$(status_field CapEff "$output")" = 00000000a80425fb ]
	[ "$(status_field CapInh "$output")" = 0000000000000000 ]
	run erun --cap-drop ALL --cap-add NET_ADMIN img sh -c 'grep ^CapBnd: /proc/self/status'
	[ "$(status_field CapBnd "$output")" = 0000000000001000 ]
}

@test "engine spec: the default seccomp profile refuses a user namespace; unconfined allows it" {
	# creating a user namespace needs no capability: only the profile stops it
	run erun img sh -c 'unshare -U true; echo rc=$?; grep ^Seccomp: /proc/self/status'
	[[ "$output" == *"rc=1"* ]]
	[[ "$output" == *"Operation not permitted"* ]]
	[ "$(status_field Seccomp "$output")" = 2 ]
	# the same attempt without the profile works
	run erun --security-opt seccomp=unconfined img sh -c 'unshare -U true; echo rc=$?; grep ^Seccomp: /proc/self/status'
	[[ "$output" == *"rc=0"* ]]
	[ "$(status_field Seccomp "$output")" = 0 ]
}

@test "engine spec: mount is refused by the profile without CAP_SYS_ADMIN, allowed with it" {
	run erun img sh -c 'mkdir -p /tmp/m && mount -t tmpfs t /tmp/m; echo rc=$?'
	[[ "$output" == *"rc=1"* ]]
	run erun --cap-add SYS_ADMIN img sh -c 'mkdir -p /tmp/m && mount -t tmpfs t /tmp/m; echo rc=$?'
	[[ "$output" == *"rc=0"* ]]
}

@test "engine spec: masked /proc paths read empty; --privileged shows them" {
	[ "$(head -c 1 /proc/timer_list 2>/dev/null | wc -c)" = 1 ] || skip "no /proc/timer_list on this kernel"
	run erun img sh -c 'wc -c </proc/timer_list; ls /sys/firmware | wc -l'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	run erun --privileged img sh -c 'wc -c </proc/timer_list'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" -gt 0 ]
}

@test "engine spec: /proc/sys is read-only; --privileged can write it (in its own netns)" {
	run erun img sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward; echo rc=$?'
	[[ "$output" == *"rc=1"* ]] || [[ "$output" == *"rc=2"* ]]
	[[ "$output" == *"Read-only file system"* ]]
	run erun --privileged img sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward; echo rc=$?; cat /proc/sys/net/ipv4/ip_forward'
	[[ "$output" == *"rc=0"* ]]
	[ "${lines[-1]}" = 1 ]
}

@test "engine spec: namespaces, hostname from the ID, only loopback, default mounts" {
	ID=$(new_id)
	run erun img sh -c 'hostname; echo $HOSTNAME; ls /sys/class/net; grep -E " /dev/(shm|mqueue|pts) " /proc/mounts | cut -d" " -f2,3; df -k /dev/shm | tail -1'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "${ID:0:12}" ]
	[ "${lines[1]}" = "${ID:0:12}" ]
	[ "${lines[2]}" = lo ]
	[[ "$output" == *"/dev/shm tmpfs"* ]]
	[[ "$output" == *"/dev/mqueue mqueue"* ]]
	[[ "$output" == *"/dev/pts devpts"* ]]
	[ "$(awk '{print $2}' <<<"${lines[-1]}")" = 65536 ]
	run erun --shm-size 8m --hostname box img sh -c 'hostname; df -k /dev/shm | tail -1'
	[ "${lines[0]}" = box ]
	[ "$(awk '{print $2}' <<<"${lines[-1]}")" = 8192 ]
}

@test "engine spec: --network host keeps the host's network and name" {
	run erun --network host img sh -c 'hostname; ls /sys/class/net | wc -l'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(hostname)" ]
	[ "${lines[1]}" -ge 1 ]
	[ "$(readlink /proc/self/ns/net)" != "" ]
}

@test "engine spec: -u by name resolves in the image; env and workdir as Docker merges them" {
	IMAGE_CONFIG='{"Env": ["PATH=/bin", "FROM=image", "KEEP=1"], "WorkingDir": "/tmp", "Cmd": ["false"]}'
	run erun -u e2e -e FROM=flag img sh -c 'id; echo "$HOME $FROM $KEEP $PATH"; pwd; grep -E "^Cap(Eff|Bnd):" /proc/self/status'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "uid=1000(e2e) gid=1000(e2e)"* ]]
	[ "${lines[1]}" = "/home/e2e flag 1 /bin" ]
	[ "${lines[2]}" = /tmp ]
	# not root: no effective capabilities, Docker's bounding set
	[ "$(status_field CapEff "$output")" = 0000000000000000 ]
	[ "$(status_field CapBnd "$output")" = 00000000a80425fb ]
	run espec -u nobody img true
	[ "$status" -eq 125 ]
	[[ "$output" == *"unable to find user nobody"* ]]
}

@test "engine spec: the image's Entrypoint and Cmd, --entrypoint dropping Cmd" {
	IMAGE_CONFIG='{"Entrypoint": ["echo", "entry"], "Cmd": ["image-cmd"]}'
	run erun img
	[ "$output" = "entry image-cmd" ]
	run erun img given
	[ "$output" = "entry given" ]
	run erun --entrypoint echo img
	[ "$output" = "" ]
	run erun --entrypoint "" img echo alone
	[ "$output" = "alone" ]
}

@test "engine spec: -m, --cpus, --pids-limit, --ulimit and --oom-score-adj reach the kernel" {
	run erun -m 64m --cpus 0.2 --pids-limit 50 --ulimit nofile=100:200 --oom-score-adj 300 img sh -c '
		cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max
		cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cut -d" " -f1 /sys/fs/cgroup/cpu.max
		cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max
		ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 67108864 ]
	[ "${lines[1]}" = 20000 ]
	[ "${lines[2]}" = 50 ]
	[ "${lines[3]}" = 100 ]
	[ "${lines[4]}" = 200 ]
	[ "${lines[5]}" = 300 ]
}

@test "engine spec: --read-only root with a --tmpfs, -v read-only and read-write binds" {
	mkdir -p "$TEST_TMP/data"
	echo hello >"$TEST_TMP/data/f"
	run erun --read-only --tmpfs /run:size=1m -v "$TEST_TMP/data:/ro:ro" -v "$TEST_TMP/data:/rw" img sh -c '
		touch /x 2>/dev/null; echo root=$?
		touch /run/x; echo run=$?
		cat /ro/f; touch /ro/g 2>/dev/null; echo ro=$?
		echo w >/rw/g; echo rw=$?'
	[ "$status" -eq 0 ]
	[[ "$output" == *"root=1"* ]]
	[[ "$output" == *"run=0"* ]]
	[[ "$output" == *"hello"* ]]
	[[ "$output" == *"ro=1"* ]]
	[[ "$output" == *"rw=0"* ]]
	[ "$(cat "$TEST_TMP/data/g")" = w ]
}

@test "engine spec: --device adds the node; other devices stay closed to the cgroup" {
	run erun --device /dev/null:/dev/mynull img sh -c '
		echo x >/dev/mynull; echo dev=$?
		mknod /tmp/zero c 1 5 && head -c 1 /tmp/zero >/dev/null; echo allowed=$?
		mknod /tmp/mem c 1 1 && head -c 1 /tmp/mem >/dev/null; echo mem=$?'
	[ "$status" -eq 0 ]
	[[ "$output" == *"dev=0"* ]]
	[[ "$output" == *"allowed=0"* ]]
	[[ "$output" == *"mem=1"* ]]
}

@test "engine spec: --security-opt no-new-privileges sets the flag" {
	run erun --security-opt no-new-privileges img grep NoNewPrivs /proc/self/status
	[ "$(status_field NoNewPrivs "$output")" = 1 ]
	run erun img grep NoNewPrivs /proc/self/status
	[ "$(status_field NoNewPrivs "$output")" = 0 ]
}

@test "engine spec: a slave bind sees a mount made later on the host; a private one does not" {
	local probe='for i in $(seq 30); do [ -f /s/sub/f ] && { cat /s/sub/f; exit 0; }; sleep 0.1; done; echo missing'
	local second main=$BUNDLE
	mkdir -p "$TEST_TMP/src"
	mount --bind "$TEST_TMP/src" "$TEST_TMP/src"
	mount --make-shared "$TEST_TMP/src"
	defer "umount -l '$TEST_TMP/src/sub' 2>/dev/null; umount -l '$TEST_TMP/src' 2>/dev/null"
	mkdir -p "$TEST_TMP/src/sub" "$TEST_TMP/other"
	echo seen >"$TEST_TMP/other/f"
	espec -v "$TEST_TMP/src:/s:rslave" img sh -c "$probe"
	[ "$(jq -r .linux.rootfsPropagation "$BUNDLE/config.json")" = rslave ]
	run_detached
	# the same without propagation (Docker's default rprivate)
	second=$(cid private)
	BUNDLE="$TEST_TMP/b2"
	make_bundle "$BUNDLE"
	ECID=$second ID= espec -v "$TEST_TMP/src:/s" img sh -c "$probe"
	run_detached "$second"
	BUNDLE=$main
	mount --bind "$TEST_TMP/other" "$TEST_TMP/src/sub"
	wait_status "$CID" stopped 100
	wait_status "$second" stopped 100
	[ "$(cat "$TEST_TMP/$CID.out")" = seen ]
	[ "$(cat "$TEST_TMP/$second.out")" = missing ]
}
