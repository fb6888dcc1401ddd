#!/usr/bin/env bats
# Mounts: isolation, binds, tmpfs, /proc, /dev, devices, masked/readonly
# paths, readonly root, symlink escapes, --no-pivot, rootfsPropagation.

load helpers

# mountinfo_line MOUNTINFO-TEXT MOUNTPOINT: the mountinfo line for a mount point
mountinfo_line() {
	awk -v m="$2" '$5 == m' <<<"$1" | tail -n 1
}

@test "container mounts are invisible from the host" {
	cfg '.mounts += [{"destination": "/e2e-tmp", "type": "tmpfs", "source": "tmpfs"}]'
	set_args sleep 100
	run_detached
	pid=$(state_of "$CID" pid)
	# the container's own view (read from the host through /proc/PID)
	grep -q " /e2e-tmp " /proc/"$pid"/mountinfo
	awk '$5 == "/proc"' /proc/"$pid"/mountinfo | grep -q ' - proc '
	# the host's view: nothing of the bundle, nothing of the container
	! grep -q "$BUNDLE" /proc/self/mountinfo
	! grep -q " /e2e-tmp " /proc/self/mountinfo
	! grep -q "$BUNDLE" /proc/1/mountinfo
}

@test "container mounts are visible inside" {
	cfg '.mounts += [{"destination": "/e2e-tmp", "type": "tmpfs", "source": "tmpfs"}]'
	run in_ctr cat /proc/self/mountinfo
	[ "$status" -eq 0 ]
	[[ "$(mountinfo_line "$output" /e2e-tmp)" == *" - tmpfs "* ]]
}

@test "bind mount rw: host content visible, writes reach the host" {
	mkdir "$TEST_TMP/src"
	echo from-host >"$TEST_TMP/src/hello"
	add_bind "$TEST_TMP/src" /data bind rw
	run in_ctr sh -c 'cat /data/hello && echo from-ctr > /data/new'
	[ "$status" -eq 0 ]
	[ "$output" = from-host ]
	[ "$(cat "$TEST_TMP/src/new")" = from-ctr ]
}

@test "bind mount ro: writes fail with EROFS" {
	mkdir "$TEST_TMP/src"
	echo from-host >"$TEST_TMP/src/hello"
	add_bind "$TEST_TMP/src" /data bind ro
	run in_ctr sh -c 'exec 2>&1; cat /data/hello; touch /data/new; echo rc=$?'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-host ]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *rc=1* ]]
	[ ! -e "$TEST_TMP/src/new" ]
}

@test "bind mount of a single file" {
	echo file-content >"$TEST_TMP/onefile"
	add_bind "$TEST_TMP/onefile" /etc/onefile bind ro
	run in_ctr cat /etc/onefile
	[ "$status" -eq 0 ]
	[ "$output" = file-content ]
}

@test "bind mount flags nosuid,nodev,noexec are applied" {
	mkdir "$TEST_TMP/src"
	add_bind "$TEST_TMP/src" /data bind ro nosuid nodev noexec
	run in_ctr cat /proc/self/mountinfo
	[ "$status" -eq 0 ]
	line=$(mountinfo_line "$output" /data)
	opts=$(awk '{print $6}' <<<"$line")
	for o in ro nosuid nodev noexec; do
		[[ ",$opts," == *",$o,"* ]] || { echo "missing $o in $opts" >&2; false; }
	done
}

@test "tmpfs with size option" {
	cfg '.mounts += [{"destination": "/small", "type": "tmpfs", "source": "tmpfs",
	                  "options": ["size=1m", "mode=1777"]}]'
	run in_ctr sh -c 'grep " /small " /proc/mounts; stat -c %a /small;
		dd if=/dev/zero of=/small/f bs=1024 count=2048 2>/dev/null; echo dd=$?; du -k /small/f'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "tmpfs /small tmpfs "*size=1024k* ]]
	[ "${lines[1]}" = 1777 ]
	[ "${lines[2]}" = dd=1 ]
	[ "$(awk '{print $1}' <<<"${lines[3]}")" -le 1024 ]
}

@test "/proc is a fresh procfs of the container's pid namespace" {
	run in_ctr sh -c 'stat -f -c %T /proc; cat /proc/1/comm; ls -d /proc/[0-9]* | wc -l; true'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = proc ]
	[ "${lines[1]}" = sh ]
	# sh, ls and wc at most
	[ "${lines[2]}" -le 3 ]
}

@test "/dev has null, zero, full, random, urandom, tty" {
	run in_ctr sh -c 'for d in null zero full random urandom tty; do
		stat -c "%n %F %t:%T" /dev/$d; done'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/dev/null character special file 1:3" ]
	[ "${lines[1]}" = "/dev/zero character special file 1:5" ]
	[ "${lines[2]}" = "/dev/full character special file 1:7" ]
	[ "${lines[3]}" = "/dev/random character special file 1:8" ]
	[ "${lines[4]}" = "/dev/urandom character special file 1:9" ]
	[ "${lines[5]}" = "/dev/tty character special file 5:0" ]
}

@test "/dev nodes work: null swallows, zero reads zeros, full gives ENOSPC" {
	run in_ctr sh -c 'exec 2>&1; echo x > /dev/null && echo null-ok;
		head -c 4 /dev/zero | od -An -tx1;
		echo x > /dev/full; echo full=$?;
		head -c 16 /dev/urandom | wc -c'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = null-ok ]
	[ "$(echo ${lines[1]})" = "00 00 00 00" ]
	[[ "$output" == *"No space left on device"* ]]
	[[ "$output" == *full=1* ]]
	[ "${lines[-1]}" = 16 ]
}

@test "/dev/fd and stdio symlinks" {
	run in_ctr sh -c 'readlink /dev/fd; readlink /dev/stdin; readlink /dev/stdout; readlink /dev/stderr'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /proc/self/fd ]
	[ "${lines[1]}" = /proc/self/fd/0 ]
	[ "${lines[2]}" = /proc/self/fd/1 ]
	[ "${lines[3]}" = /proc/self/fd/2 ]
}

@test "devpts is mounted at /dev/pts with a ptmx" {
	run in_ctr sh -c 'cat /proc/self/mountinfo; ls /dev/pts; test -c /dev/pts/ptmx && echo ptmx-ok; test -e /dev/ptmx && echo devptmx-ok'
	[ "$status" -eq 0 ]
	[[ "$(mountinfo_line "$output" /dev/pts)" == *" - devpts "* ]]
	[[ "$output" == *ptmx-ok* ]]
	[[ "$output" == *devptmx-ok* ]]
}

@test "/dev is a tmpfs private to the container" {
	run in_ctr sh -c 'stat -f -c %T /dev; touch /dev/e2e-file && echo ok'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = tmpfs ]
	[ "${lines[1]}" = ok ]
	[ ! -e /dev/e2e-file ]
}

@test "linux.devices entries are created with major/minor/mode/owner" {
	cfg '.linux.devices = [
		{"path": "/dev/e2e-null", "type": "c", "major": 1, "minor": 3, "fileMode": 416, "uid": 0, "gid": 0},
		{"path": "/dev/e2e-blk", "type": "b", "major": 7, "minor": 200, "fileMode": 384, "uid": 1000, "gid": 1000}]'
	run in_ctr sh -c 'stat -c "%n %F %t:%T %a %u:%g" /dev/e2e-null /dev/e2e-blk'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/dev/e2e-null character special file 1:3 640 0:0" ]
	[ "${lines[1]}" = "/dev/e2e-blk block special file 7:c8 600 1000:1000" ]
}

@test "maskedPaths: /proc/kcore (or another masked /proc file) reads empty" {
	for f in /proc/kcore /proc/timer_list /proc/keys; do [ -e "$f" ] && break; done
	[ -e "$f" ] || skip "host has none of /proc/kcore, /proc/timer_list, /proc/keys"
	[ "$(head -c 1 "$f" | wc -c)" -eq 1 ] # readable on the host
	cfg --arg f "$f" '.linux.maskedPaths = ((.linux.maskedPaths // []) + [$f] | unique)'
	run in_ctr sh -c "wc -c < $f; stat -c '%F %t:%T' $f"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = "character special file 1:3" ]
}

@test "maskedPaths: /sys/firmware is an empty directory" {
	[ -n "$(ls -A /sys/firmware 2>/dev/null)" ] || skip "host /sys/firmware is empty"
	cfg '.linux.maskedPaths = ((.linux.maskedPaths // []) + ["/sys/firmware"] | unique)'
	run in_ctr sh -c 'test -d /sys/firmware && echo dir; ls -A /sys/firmware | wc -l'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = dir ]
	[ "${lines[1]}" = 0 ]
}

@test "maskedPaths: a directory and a file of the rootfs are hidden" {
	mkdir "$BUNDLE/rootfs/secret-dir"
	echo top-secret >"$BUNDLE/rootfs/secret-dir/s"
	echo top-secret >"$BUNDLE/rootfs/etc/secret-file"
	cfg '.linux.maskedPaths += ["/secret-dir", "/etc/secret-file"]'
	run in_ctr sh -c 'exec 2>&1; ls -A /secret-dir | wc -l; cat /etc/secret-file | wc -c; cat /secret-dir/s'
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[[ "$output" != *top-secret* ]]
	[ "$status" -ne 0 ]
}

@test "readonlyPaths: /proc/sys is read-only" {
	run in_ctr sh -c 'echo 1 > /proc/sys/kernel/domainname; echo rc=$?; grep " /proc/sys " /proc/self/mountinfo'
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *rc=1* ]]
	line=$(awk '$5 == "/proc/sys"' <<<"$output")
	[[ ",$(awk '{print $6}' <<<"$line")," == *,ro,* ]]
}

@test "readonlyPaths: a rootfs dir is read-only while the rest is writable" {
	mkdir "$BUNDLE/rootfs/rodir"
	cfg '.root.readonly = false | .linux.readonlyPaths += ["/rodir"]'
	run in_ctr sh -c 'touch /rodir/x; echo rc=$?; touch /rw-file && echo rw-ok'
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *rc=1* ]]
	[[ "$output" == *rw-ok* ]]
	[ ! -e "$BUNDLE/rootfs/rodir/x" ]
	[ -e "$BUNDLE/rootfs/rw-file" ]
}

@test "root.readonly: the root is read-only" {
	cfg '.root.readonly = true'
	run in_ctr sh -c 'touch /x; echo rc=$?; grep -E "^[^ ]+ / " /proc/mounts'
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *rc=1* ]]
	[ ! -e "$BUNDLE/rootfs/x" ]
}

@test "root.readonly false: the root is writable" {
	cfg '.root.readonly = false'
	run in_ctr sh -c 'echo hi > /x && cat /x'
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	[ "$(cat "$BUNDLE/rootfs/x")" = hi ]
}

@test "a rootfs symlink to a host path used as mount destination stays in the rootfs" {
	target="/tmp/berth-e2e-escape-$BATS_TEST_NUMBER-$$"
	defer "umount -l $target 2>/dev/null; rm -rf --one-file-system $target"
	# the host path exists with its own content; so does the in-rootfs target
	mkdir "$target"
	echo host-only >"$target/host"
	mkdir -p "$BUNDLE/rootfs/$target"
	ln -s "$target" "$BUNDLE/rootfs/escape"
	mkdir "$TEST_TMP/src"
	echo marker >"$TEST_TMP/src/m"
	add_bind "$TEST_TMP/src" /escape bind rw
	run in_ctr sh -c "cat /escape/m; cat $target/m; ls $target; grep -c ' $target ' /proc/self/mountinfo"
	[ "$status" -eq 0 ]
	# inside, the mount landed on the in-rootfs target of the link
	[ "$output" = "$(printf 'marker\nmarker\nm\n1')" ]
	# the host path was not mounted on and is unchanged
	! grep -q " $target " /proc/self/mountinfo
	[ "$(ls "$target")" = host ]
	[ ! -e "$target/m" ]
}

@test "a dangling rootfs symlink to a host path: refused or kept in the rootfs" {
	target="/tmp/berth-e2e-escape-$BATS_TEST_NUMBER-$$"
	defer "umount -l $target 2>/dev/null; rm -rf --one-file-system $target"
	[ ! -e "$target" ]
	ln -s "$target" "$BUNDLE/rootfs/escape"
	mkdir "$TEST_TMP/src"
	echo marker >"$TEST_TMP/src/m"
	add_bind "$TEST_TMP/src" /escape bind rw
	run in_ctr sh -c "cat $target/m; cat /escape/m"
	# the host path was neither created nor mounted on
	[ ! -e "$target" ]
	! grep -q " $target " /proc/self/mountinfo
	# either the runtime refuses, or the mount is inside the rootfs
	if [ "$status" -eq 0 ]; then
		[ "$output" = "$(printf 'marker\nmarker')" ]
		[ -d "$BUNDLE/rootfs/$target" ]
	fi
}

@test "a ../ escape in a mount destination stays in the rootfs" {
	mkdir "$TEST_TMP/src"
	echo marker >"$TEST_TMP/src/m"
	add_bind "$TEST_TMP/src" /../../../e2e-dotdot bind rw
	run in_ctr cat /e2e-dotdot/m
	[ "$status" -eq 0 ]
	[ "$output" = marker ]
	[ ! -e /e2e-dotdot ]
}

@test "--no-pivot: the container still sees only its rootfs" {
	echo in-rootfs >"$BUNDLE/rootfs/etc/marker"
	set_args sh -c "cat /etc/marker; test -e '$BATS_TEST_DIRNAME' && echo host-visible; cat /proc/1/comm; true"
	run rt run --no-pivot --bundle "$BUNDLE" "$CID" </dev/null 3>&-
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = in-rootfs ]
	[[ "$output" != *host-visible* ]]
	[ "${lines[1]}" = sh ]
}

@test "rootfsPropagation private: the root mount has no peer group" {
	cfg '.linux.rootfsPropagation = "private"'
	run in_ctr cat /proc/self/mountinfo
	[ "$status" -eq 0 ]
	line=$(mountinfo_line "$output" /)
	echo "$line" >&2
	[ -n "$line" ]
	[[ "$line" != *shared:* ]]
	[[ "$line" != *master:* ]]
}

@test "rootfsPropagation shared: the root mount is shared" {
	skip_on runc "runc 1.1 does not apply rootfsPropagation to the pivoted root mount"
	cfg '.linux.rootfsPropagation = "shared"'
	run in_ctr cat /proc/self/mountinfo
	[ "$status" -eq 0 ]
	line=$(mountinfo_line "$output" /)
	echo "$line" >&2
	[[ "$line" == *" shared:"* ]]
}

@test "rootfsPropagation unbindable: the root mount is unbindable" {
	skip_on runc "runc 1.1 fails with EINVAL on rootfsPropagation unbindable"
	cfg '.linux.rootfsPropagation = "unbindable"'
	run in_ctr cat /proc/self/mountinfo
	[ "$status" -eq 0 ]
	line=$(mountinfo_line "$output" /)
	echo "$line" >&2
	[[ "$line" == *" unbindable "* ]]
}

@test "rslave bind of a shared host dir: later host mounts propagate in" {
	mkdir -p "$TEST_TMP/src/sub"
	mount --bind "$TEST_TMP/src" "$TEST_TMP/src"
	mount --make-shared "$TEST_TMP/src"
	add_bind "$TEST_TMP/src" /data rbind rslave
	# the default rootfs propagation is runtime-specific (crun: rprivate)
	cfg '.linux.rootfsPropagation = "rslave"'
	set_args sh -c 'while [ ! -e /data/sub/m ]; do sleep 0.05; done; cat /data/sub/m; sleep 100'
	run_detached
	pid=$(state_of "$CID" pid)
	awk '$5 == "/data"' /proc/"$pid"/mountinfo | grep -q ' master:'
	mount -t tmpfs e2e-prop "$TEST_TMP/src/sub"
	echo propagated >"$TEST_TMP/src/sub/m"
	wait_for grep -q propagated "$TEST_TMP/$CID.out"
	awk '$5 == "/data/sub"' /proc/"$pid"/mountinfo | grep -q ' - tmpfs e2e-prop '
}
