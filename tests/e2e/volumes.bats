#!/usr/bin/env bats
# berth's named volumes (`berth volume ...`), the --init reaper
# (build/berth-init) as PID 1 of a PID namespace and of a berth-runtime
# container, and the container file commands cp, export and commit against
# a container directory made here: a record (build/container-record) for an
# image imported from the busybox rootfs, its overlay mounted with `berth
# image mount` ("running") or not mounted at all ("stopped").

bats_require_minimum_version 1.5.0
load helpers

BERTH_BIN=${BERTH:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/berth}
BUILD=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build
INIT=$BUILD/berth-init

setup_file() {
	e2e_setup_file || return 1
	# one image store for the file: the busybox rootfs as image "bb"
	export BROOT=$E2E_FILE_TMP/broot
	tar -C "$E2E_FILE_TMP/rootfs-cache" -cf "$E2E_FILE_TMP/bb.tar" . || return 1
	"$BERTH_BIN" --root "$BROOT" import "$E2E_FILE_TMP/bb.tar" bb >/dev/null || return 1
}

teardown_file() { e2e_teardown_file; }

setup() {
	e2e_setup
	ROOT=$TEST_TMP/root
}

teardown() {
	# container overlays mounted by a test live under BROOT
	unmount_under "$BROOT/containers"
	e2e_teardown
}

b() { "$BERTH_BIN" --root "$ROOT" "$@"; }
bb() { "$BERTH_BIN" --root "$BROOT" "$@"; }

# mkctr NAME: a container of image bb in BROOT; sets D to its directory.
mkctr() {
	local id
	id=$("$BUILD/container-record" "$BROOT" bb "$1") || return 1
	D=$BROOT/containers/$id
	mkdir -p "$D/upper" "$D/work" "$D/rootfs"
	defer "rm -rf --one-file-system '$D' '$BROOT/names/$1'"
}

# start_ctr: the merged root mounted at D/rootfs, as for a running container.
start_ctr() { bb image mount --upper "$D/upper" --work "$D/work" bb "$D/rootfs"; }

# ---------------------------------------------------------------- volumes ----

@test "volume create, ls, inspect, rm" {
	run b volume create --label team=a --label x data
	[ "$status" -eq 0 ] && [ "$output" = data ]
	run b volume create
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	anon=$output
	run b volume ls
	[ "${lines[0]}" = "DRIVER    VOLUME NAME" ]
	[[ "$output" == *"local     data"* ]] && [[ "$output" == *"$anon"* ]]
	run b volume ls -q --filter name=dat
	[ "$output" = data ]
	run b volume ls -q --filter label=team=a
	[ "$output" = data ]
	run b volume inspect data
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.[0].Driver')" = local ]
	[ "$(echo "$output" | jq -r '.[0].Labels.team')" = a ]
	[ "$(echo "$output" | jq -r '.[0].Mountpoint')" = "$ROOT/volumes/data/_data" ]
	[ -d "$ROOT/volumes/data/_data" ]
	run b volume inspect -f '{{.Name}} {{.Driver}}' data
	[ "$output" = "data local" ]
	# creating an existing name returns it
	echo keep >"$ROOT/volumes/data/_data/f"
	run b volume create data
	[ "$status" -eq 0 ] && [ -f "$ROOT/volumes/data/_data/f" ]
	run b volume rm data "$anon"
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/volumes/data" ]
	[ -z "$(b volume ls -q)" ]
	# nothing left but the store's lock
	[ "$(ls -A "$ROOT/volumes")" = .lock ]
}

@test "volume errors: invalid names, missing volumes; one line, status 125" {
	for n in 'a' '_x' 'a/b' '../up' 'a b'; do
		run b volume create "$n"
		[ "$status" -eq 125 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"invalid volume name"* ]]
	done
	[ ! -e "$TEST_TMP/up" ] && [ ! -e "$ROOT/up" ]
	run b volume inspect nope
	[ "$status" -eq 125 ] && [ "$output" = "berth: no such volume: nope" ]
	run b volume rm nope
	[ "$status" -eq 125 ]
	run b volume rm -f nope
	[ "$status" -eq 0 ]
	run b volume frob
	[ "$status" -eq 125 ]
}

@test "volume rm refuses a volume in use (even with -f); prune keeps it" {
	b volume create used
	b volume create spare
	b volume create
	# a container record that mounts "used" (the engine's Docker-style Mounts)
	"$BUILD/container-record" "$ROOT" bb user '{"Mounts": [{"Type": "volume", "Name": "used"}]}'
	run b volume rm used
	[ "$status" -eq 125 ] && [[ "$output" == *"remove used: volume is in use"* ]]
	run b volume rm -f used
	[ "$status" -eq 125 ]
	[ -d "$ROOT/volumes/used/_data" ]
	run b volume ls -q --filter dangling=true
	[[ "$output" != *used* ]] && [[ "$output" == *spare* ]]
	# prune: the anonymous one only
	run b volume prune -f
	[ "$status" -eq 0 ] && [[ "$output" == *"Deleted Volumes:"* ]]
	[ "$(b volume ls -q | sort | tr '\n' ' ')" = "spare used " ]
	# --all: the named ones too, never the one in use
	run b volume prune -f --all
	[ "$status" -eq 0 ]
	[ "$(b volume ls -q)" = used ]
	# a bind of the volume's path counts as a use too
	b volume create bound
	"$BUILD/container-record" "$ROOT" bb binder "{\"Binds\": [\"$ROOT/volumes/bound/_data\"]}"
	run b volume rm bound
	[ "$status" -eq 125 ]
}

# ---------------------------------------------------------------- --init -----

# zombies_under PID: children of PID that are zombies.
zombies_under() { ps --ppid "$1" -o stat= | grep -c '^Z' || true; }

@test "berth-init as PID 1 reaps orphans; without it they stay zombies" {
	[ -x "$INIT" ]
	# Control: a PID 1 that never reaps (sleep) leaves the orphans as zombies.
	unshare -fp --mount-proc sh -c '(sleep 0.1 &); (sleep 0.1 &); exec sleep 3' &
	upid=$!
	sleep 1
	pid1=$(pgrep -P "$upid")
	[ "$(zombies_under "$pid1")" -eq 2 ]
	kill -9 "$pid1" "$upid" 2>/dev/null || true
	wait "$upid" || true
	# berth-init: the same orphans are reaped.
	unshare -fp --mount-proc "$INIT" -- sh -c '(sleep 0.1 &); (sleep 0.1 &); exec sleep 3' &
	upid=$!
	sleep 1
	pid1=$(pgrep -P "$upid")
	[ "$(cat /proc/"$pid1"/comm)" = berth-init ]
	[ "$(zombies_under "$pid1")" -eq 0 ]
	# what is left under it: the command alone
	[ "$(ps --ppid "$pid1" -o comm=)" = sleep ]
	wait "$upid"
}

@test "berth-init passes the exit status on: code, 128+signal, 127" {
	run unshare -fp --mount-proc "$INIT" -- sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run unshare -fp --mount-proc "$INIT" sh -c 'kill -USR1 $$'
	[ "$status" -eq $((128 + 10)) ]
	run -127 unshare -fp --mount-proc "$INIT" -- /nonexistent
	[ "$status" -eq 127 ]
	run "$INIT"
	[ "$status" -eq 125 ]
}

@test "berth-init forwards signals to the command" {
	out=$TEST_TMP/sig.out
	for sig in TERM HUP USR1 USR2 INT QUIT WINCH; do
		unshare -fp --mount-proc "$INIT" -- sh -c "trap 'echo got $sig; exit 3' $sig; echo ready; while :; do sleep 0.05; done" >"$out" &
		upid=$!
		for i in $(seq 50); do grep -q ready "$out" && break; sleep 0.05; done
		pid1=$(pgrep -P "$upid")
		kill -s "$sig" "$pid1"
		for i in $(seq 100); do kill -0 "$pid1" 2>/dev/null || break; sleep 0.05; done
		kill -9 "$pid1" 2>/dev/null || true # not forwarded: fail, do not hang
		rc=0
		wait "$upid" || rc=$?
		echo "$sig: $rc" >&2
		[ "$rc" -eq 3 ]
		grep -q "got $sig" "$out"
	done
}

@test "berth-init is small and static" {
	size=$(stat -c %s "$INIT")
	echo "berth-init: $size bytes" >&3
	[ "$size" -lt 1000000 ]
	run file "$INIT"
	[[ "$output" == *"statically linked"* ]]
}

@test "berth-init as PID 1 of a berth-runtime container (bind-mounted read-only)" {
	add_bind "$INIT" /sbin/berth-init rbind ro
	set_args /sbin/berth-init -- sh -c '(sleep 0.1 &); (sleep 0.1 &); sleep 0.6; echo parent=$PPID; ps -o stat,comm; exit 7'
	run run_ctr
	[ "$status" -eq 7 ]
	[[ "$output" == *"parent=1"* ]]
	# no zombie (state Z) among the processes listed
	! echo "$output" | grep -E '^ *Z' 
	[[ "$output" == *berth-init* ]]
}

# ---------------------------------------------------------------- cp ---------

@test "cp both directions, stopped container (overlay mounted privately)" {
	mkctr cpstop
	echo hello >"$TEST_TMP/in.txt"
	mkdir -p "$TEST_TMP/tree/sub" && echo x >"$TEST_TMP/tree/sub/x" && ln -s x "$TEST_TMP/tree/sub/l"
	run bb cp "$TEST_TMP/in.txt" cpstop:/tmp/
	[ "$status" -eq 0 ]
	[ "$(cat "$D/upper/tmp/in.txt")" = hello ]
	run bb cp "$TEST_TMP/tree" cpstop:/opt
	[ "$status" -eq 0 ]
	[ "$(cat "$D/upper/opt/sub/x")" = x ] && [ "$(readlink "$D/upper/opt/sub/l")" = x ]
	# nothing stays mounted in the host's namespace
	! grep -q " $D/rootfs " /proc/mounts
	# out: a file from the image, a directory, a file copied in before
	run bb cp cpstop:/etc/passwd "$TEST_TMP/passwd"
	[ "$status" -eq 0 ] && grep -q '^e2e:x:1000' "$TEST_TMP/passwd"
	run bb cp cpstop:/opt "$TEST_TMP/optcopy"
	[ "$status" -eq 0 ] && [ "$(cat "$TEST_TMP/optcopy/sub/x")" = x ]
	mkdir "$TEST_TMP/into"
	run bb cp cpstop:/tmp/in.txt "$TEST_TMP/into"
	[ "$status" -eq 0 ] && [ "$(cat "$TEST_TMP/into/in.txt")" = hello ]
	run bb cp cpstop:/nonexistent "$TEST_TMP/x"
	[ "$status" -eq 125 ]
	run bb cp "$TEST_TMP/in.txt" "$TEST_TMP/other"
	[ "$status" -eq 125 ]
}

@test "cp into a running container goes through its merged root" {
	mkctr cprun
	start_ctr
	echo live >"$TEST_TMP/live.txt"
	run bb cp "$TEST_TMP/live.txt" cprun:/root/
	[ "$status" -eq 0 ]
	[ "$(cat "$D/rootfs/root/live.txt")" = live ]
	echo made-inside >"$D/rootfs/tmp/inside"
	run bb cp cprun:/tmp/inside "$TEST_TMP/got"
	[ "$status" -eq 0 ] && [ "$(cat "$TEST_TMP/got")" = made-inside ]
}

@test "cp is safe against symlinks in the container (attack first shown on the raw mount)" {
	mkctr cpevil
	hostdir=$TEST_TMP/host-target
	mkdir "$hostdir"
	# the container's own files: /escape -> /, /into-host -> a host directory
	ln -s / "$D/upper/escape"
	ln -s "$hostdir" "$D/upper/into-host"
	echo payload >"$TEST_TMP/payload"
	start_ctr
	# The attacks work against the raw mechanism (paths joined on the host):
	grep -q '^root:' "$D/rootfs/escape/etc/shadow"       # the host's shadow
	cp "$TEST_TMP/payload" "$D/rootfs/into-host/"         # lands on the host
	[ -f "$hostdir/payload" ]
	rm "$hostdir/payload"
	# berth cp resolves inside the container's root:
	run bb cp cpevil:/escape/etc/passwd "$TEST_TMP/p"
	[ "$status" -eq 0 ]
	grep -q '^e2e:x:1000' "$TEST_TMP/p"                  # the container's passwd
	! cmp -s "$TEST_TMP/p" /etc/passwd
	run bb cp cpevil:/escape/etc/shadow "$TEST_TMP/s"     # no shadow in the image
	[ "$status" -eq 125 ]
	[ ! -e "$TEST_TMP/s" ]
	run bb cp "$TEST_TMP/payload" cpevil:/into-host/payload
	[ -z "$(ls -A "$hostdir")" ]
	run bb cp "$TEST_TMP/payload" cpevil:/into-host
	[ -z "$(ls -A "$hostdir")" ]
	# a symlink at the destination is replaced, not written through
	[ -f "$D/upper/into-host" ] && [ ! -L "$D/upper/into-host" ]
	# copying a symlink out copies the link itself
	run bb cp cpevil:/escape "$TEST_TMP/esc"
	[ "$status" -eq 0 ] && [ "$(readlink "$TEST_TMP/esc")" = / ]
}

# ---------------------------------------------------------------- export -----

@test "export writes the container's merged filesystem as a tar" {
	mkctr exp
	echo added >"$TEST_TMP/added"
	bb cp "$TEST_TMP/added" exp:/added
	run bb export -o "$TEST_TMP/exp.tar" exp
	[ "$status" -eq 0 ]
	tar -tf "$TEST_TMP/exp.tar" >"$TEST_TMP/list"
	grep -qx './bin/busybox\|bin/busybox' "$TEST_TMP/list"
	grep -qx './added\|added' "$TEST_TMP/list"
	[ "$(tar -xOf "$TEST_TMP/exp.tar" ./added 2>/dev/null || tar -xOf "$TEST_TMP/exp.tar" added)" = added ]
	# to stdout too
	bb export exp | tar -t | grep -q 'etc/passwd'
	run bb export nosuch -o "$TEST_TMP/x.tar"
	[ "$status" -eq 125 ] && [[ "$output" == *"No such container"* ]]
}

# ---------------------------------------------------------------- commit -----

@test "commit: a new layer from the upper dir with a whiteout, --change applied" {
	mkctr com
	start_ctr
	rm "$D/rootfs/etc/group"              # a deletion: overlay's whiteout in upper
	echo new >"$D/rootfs/newfile"
	umount "$D/rootfs"
	run bb commit --change 'CMD ["/bin/sh","-c","cat /newfile"]' --change 'ENV K=V' \
		--change 'WORKDIR /tmp' --change 'LABEL who=me' --change 'EXPOSE 8080' -m 'my msg' com committed:v1
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	id=$output
	run bb image inspect committed:v1
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.[0].Id')" = "$id" ]
	[ "$(echo "$output" | jq '.[0].RootFS.Layers | length')" -eq 2 ]
	[ "$(echo "$output" | jq -c '.[0].Config.Cmd')" = '["/bin/sh","-c","cat /newfile"]' ]
	echo "$output" | jq -e '.[0].Config.Env | index("K=V")'
	[ "$(echo "$output" | jq -r '.[0].Config.WorkingDir')" = /tmp ]
	[ "$(echo "$output" | jq -r '.[0].Config.Labels.who')" = me ]
	echo "$output" | jq -e '.[0].Config.ExposedPorts["8080/tcp"]'
	bb history committed:v1 | grep -q 'my msg'
	# the new layer's tar holds the image spec's whiteout for /etc/group
	bb save -o "$TEST_TMP/c.tar" committed:v1
	mkdir "$TEST_TMP/c" && tar -C "$TEST_TMP/c" -xf "$TEST_TMP/c.tar"
	top=$(jq -r '.[0].Layers[-1]' "$TEST_TMP/c/manifest.json")
	tar -tf "$TEST_TMP/c/$top" >"$TEST_TMP/top.list"
	grep -q 'etc/.wh.group$' "$TEST_TMP/top.list"
	grep -q 'newfile$' "$TEST_TMP/top.list"
	# the new image's root: /etc/group gone, /newfile there
	mkdir "$TEST_TMP/m"
	bb image mount committed:v1 "$TEST_TMP/m"
	[ ! -e "$TEST_TMP/m/etc/group" ] && [ "$(cat "$TEST_TMP/m/newfile")" = new ]
	[ -e "$TEST_TMP/m/etc/passwd" ]
	umount "$TEST_TMP/m"
	run bb commit --change 'ONBUILD x' com
	[ "$status" -eq 125 ]
}

@test "cp with tar streams: CTR:SRC - and - CTR:DEST; a tar escaping with .. is refused" {
	mkctr cptar
	run bash -c "'$BERTH_BIN' --root '$BROOT' cp cptar:/etc - | tar -t"
	[ "$status" -eq 0 ] && [[ "$output" == *"etc/passwd"* ]]
	# a single file keeps its name; a symlink stays a symlink
	[ "$(bb cp cptar:/etc/passwd - | tar -t)" = passwd ]
	bb cp cptar:/bin/sh - | tar -tv | grep -q '^l.* sh -> busybox'
	# in: a tree with a symlink to /
	mkdir -p "$TEST_TMP/src/d" && echo z >"$TEST_TMP/src/d/z" && ln -s / "$TEST_TMP/src/d/rootlink"
	tar -C "$TEST_TMP/src" -cf - d | bb cp - cptar:/tmp
	[ "$(cat "$D/upper/tmp/d/z")" = z ] && [ "$(readlink "$D/upper/tmp/d/rootlink")" = / ]
	# a tar with a ../ entry: refused, nothing written outside
	python3 -c '
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w")
i = tarfile.TarInfo("../../../../../../../../tmp/berth-cp-pwned-'"$$"'")
i.size = 1
t.addfile(i, io.BytesIO(b"x"))
t.close()' "$TEST_TMP/evil.tar"
	# the raw mechanism (tar told to trust the names) writes outside
	mkdir "$TEST_TMP/x"
	defer "rm -f /tmp/berth-cp-pwned-$$"
	tar -C "$TEST_TMP/x" -P -xf "$TEST_TMP/evil.tar"
	[ -e "/tmp/berth-cp-pwned-$$" ]
	rm "/tmp/berth-cp-pwned-$$"
	run bb cp - cptar:/ <"$TEST_TMP/evil.tar"
	[ "$status" -eq 125 ]
	[ ! -e "/tmp/berth-cp-pwned-$$" ]
	# no temporary directory is left in the container's directory
	[ -z "$(ls -d "$D"/cp-* 2>/dev/null)" ]
	! grep -q " $D/" /proc/mounts
}
