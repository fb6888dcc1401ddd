#!/usr/bin/env bats
# berth's image store and image commands, end to end: from-host images,
# import, load of archives made by podman and skopeo, save read back by
# podman, tag/rmi/images/inspect/history/prune, overlay mounts of the layers.
# Not a runtime test: helpers.bash is not used.  Podman and skopeo work on a
# private vfs store in this file's temp dir, so nothing of theirs is left.

BERTH_BIN=${BERTH:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/berth}

setup_file() {
	[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; return 1; }
	T=$(mktemp -d /tmp/berth-image-e2e.XXXXXX)
	export T
	mkdir -p "$T/pm/root" "$T/pm/runroot" "$T/pm/tmp" "$T/rfs/bin" "$T/build"
	# a busybox rootfs
	cp /bin/busybox "$T/rfs/bin/"
	for c in sh ls cat echo mkdir rm; do ln -s busybox "$T/rfs/bin/$c"; done
	tar -C "$T/rfs" -cf "$T/rfs.tar" .
	# a three-layer image built by podman: layer 2 adds /d/x and /one,
	# layer 3 deletes /bin/cat (a whiteout) and remakes /d (opaque)
	pmc import -q "$T/rfs.tar" localhost/berthtest-bb:latest >/dev/null || return 1
	cat >"$T/build/Containerfile" <<-'EOF2'
		FROM localhost/berthtest-bb:latest
		RUN mkdir /d && echo x > /d/x && echo one > /one
		RUN rm /bin/cat && rm -rf /d && mkdir /d && echo y > /d/y
		CMD ["/bin/sh"]
	EOF2
	pmc build --runtime runc --network none -q -t localhost/berthtest-ml:latest "$T/build" >/dev/null || return 1
	pmc save -o "$T/podman-docker.tar" localhost/berthtest-ml:latest || return 1
	pmc save --format oci-archive -o "$T/podman-oci.tar" localhost/berthtest-ml:latest || return 1
	local src="containers-storage:[vfs@$T/pm/root+$T/pm/runroot]localhost/berthtest-ml:latest"
	skopeo copy -q "$src" "oci-archive:$T/skopeo-oci.tar:localhost/berthtest-ml:latest" || return 1
	skopeo copy -q "$src" "docker-archive:$T/skopeo-docker.tar:localhost/berthtest-ml:latest" || return 1
	skopeo copy -q "$src" "oci:$T/skopeo-layout:localhost/berthtest-ml:latest" || return 1
	pmc image inspect --format '{{.Id}}' localhost/berthtest-ml:latest >"$T/ml.id"
}

teardown_file() {
	[ -n "${T:-}" ] || return 0
	pmc rmi -a -f >/dev/null 2>&1
	grep -q " $T/" /proc/mounts && awk -v t="$T/" 'index($2, t) == 1 {print $2}' /proc/mounts |
		sort -r | xargs -r -n1 umount -l
	rm -rf "$T"
}

setup() {
	ROOT=$T/root-$BATS_TEST_NUMBER
	M=$T/m-$BATS_TEST_NUMBER
}

teardown() {
	awk -v t="$T/" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l
	rm -rf "$ROOT" "$T/m-$BATS_TEST_NUMBER"
}

pmc() {
	TMPDIR=$T/pm/tmp podman --root "$T/pm/root" --runroot "$T/pm/runroot" --storage-driver vfs \
		--cgroup-manager cgroupfs --events-backend none "$@"
}

b() { "$BERTH_BIN" --root "$ROOT" "$@"; }

# in_mount IMAGE SCRIPT [mount flags...]: mount IMAGE's overlay in a private
# mount namespace at $M and run SCRIPT there (with $M set).
in_mount() {
	local img=$1 script=$2
	shift 2
	mkdir -p "$M/mnt" "$M/up" "$M/wk"
	unshare -m --propagation private env M="$M" BB="$BERTH_BIN" ROOT="$ROOT" IMG="$img" sh -ec '
		"$BB" --root "$ROOT" image mount "$@" "$IMG" "$M/mnt"
		'"$script" sh "$@"
}

count_layers() { ls "$ROOT/layers" | wc -l; }

# no blob, short link or temporary file in the store
store_empty() {
	[ -z "$(ls -A "$ROOT/blobs/sha256" "$ROOT/tmp" "$ROOT/l" "$ROOT/layers" | grep -v ':$' | grep .)" ]
}

@test "from-host: default set runs sh, ls and ps in the image, with a minimal /etc" {
	run b image from-host hosty
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	run in_mount hosty 'chroot "$M/mnt" /bin/sh -c "echo sh-ok; ls /etc; id -un; ls -l /usr/bin/ls"'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *sh-ok* ]]
	[[ "$output" == *passwd* && "$output" == *nsswitch.conf* && "$output" == *resolv.conf* ]]
	[[ "$output" == *root* ]]
	# ps is dynamically linked (libprocps): it runs once /proc is there
	run in_mount hosty 'mount -t proc proc "$M/mnt/proc"; chroot "$M/mnt" ps -o pid,comm; umount "$M/mnt/proc"' --upper "$M/up" --work "$M/wk"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *PID* ]]
	# only the dependency closure, not all of /usr
	[ "$(b image inspect -f '{{.Size}}' hosty)" -lt 40000000 ]
	[ ! -e "$ROOT/layers/$(b image inspect -f '{{json .RootFS.Layers}}' hosty | cut -c10-73)/diff/usr/lib/x86_64-linux-gnu/libarchive.so.13" ]
	run b image inspect -f '{{json .Config.Cmd}}' hosty
	[ "$output" = '["/bin/sh"]' ]
}

@test "from-host: named programs get exactly their ELF closure (jq: libjq, libonig)" {
	command -v jq >/dev/null || skip "jq not installed"
	run b image from-host tiny jq
	[ "$status" -eq 0 ]
	run in_mount tiny 'chroot "$M/mnt" jq -n "1+1"; ls "$M/mnt/usr/bin"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 2 ]
	# sh is always there, grep was not asked for
	[[ "$output" == *dash* ]]
	[[ "$output" != *grep* ]]
	# every library jq loads is in the image, found without ldd
	local lib
	for lib in $(ldd "$(command -v jq)" | grep -oE '/[^ ]+\.so[^ ]*'); do
		in_mount tiny "test -e \"\$M/mnt$lib\""
	done
}

@test "from-host: a missing program is one error line and exit 125" {
	run b image from-host bad no-such-program-xyz
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "berth: "*no-such-program-xyz* ]]
	[ "$(count_layers)" -eq 0 ]
}

@test "import: plain, gzip, zstd and xz tarballs and stdin give the same layer" {
	gzip -c "$T/rfs.tar" >"$T/rfs.tgz"
	zstd -q -c "$T/rfs.tar" >"$T/rfs.tzst"
	xz -c "$T/rfs.tar" >"$T/rfs.txz"
	b import "$T/rfs.tar" plain
	b import "$T/rfs.tgz" gz
	b import "$T/rfs.tzst" zst
	b import - xz <"$T/rfs.txz"
	run b images --format '{{.Repository}}:{{.Tag}}'
	[ "${#lines[@]}" -eq 4 ]
	# one shared layer directory for the four images
	[ "$(count_layers)" -eq 1 ]
	local l
	l=$(b image inspect -f '{{json .RootFS.Layers}}' zst)
	[ "$l" = "$(b image inspect -f '{{json .RootFS.Layers}}' xz)" ]
	run in_mount gz 'chroot "$M/mnt" /bin/sh -c "echo in-busybox"'
	[ "$output" = in-busybox ]
}

@test "import: a truncated or corrupt archive leaves no blob, layer or name" {
	gzip -c "$T/rfs.tar" >"$T/rfs.tgz"
	head -c 300000 "$T/rfs.tgz" >"$T/trunc.tgz"
	run b import "$T/trunc.tgz" broken
	echo "$output"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	head -c 700000 "$T/rfs.tar" >"$T/trunc.tar"
	run b import "$T/trunc.tar" broken2
	[ "$status" -eq 125 ]
	echo garbage | gzip >"$T/garbage.tgz"
	run b import "$T/garbage.tgz" broken3
	[ "$status" -eq 125 ]
	store_empty
	[ -z "$(b images -q)" ]
}

# check_ml: the three-layer image, mounted: files of every layer, the
# whiteout and the opaque directory.
check_ml() {
	local method=$1
	run in_mount "${2:-localhost/berthtest-ml}" '
		cat "$M/mnt/one"; ls "$M/mnt/d"; test ! -e "$M/mnt/bin/cat" && echo cat-gone
		chroot "$M/mnt" /bin/sh -c "echo written > /new"; test -e "$M/up/new" && echo upper-ok
		grep " $M/mnt " /proc/self/mountinfo' --method "$method" --upper "$M/up" --work "$M/wk"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = one ]
	[ "${lines[1]}" = y ]
	[ "${lines[2]}" = cat-gone ]
	[ "${lines[3]}" = upper-ok ]
}

@test "load: podman's docker-archive, three layers and a whiteout in the overlay (fd-based and legacy mounts)" {
	run b load -i "$T/podman-docker.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: localhost/berthtest-ml:latest" ]
	[ "$(b image inspect -f '{{.Id}}' berthtest-ml)" = "sha256:$(cat "$T/ml.id")" ]
	[ "$(count_layers)" -eq 3 ]
	check_ml fd
	[[ "$output" == *lowerdir+=* ]]
	check_ml legacy
	[[ "$output" == *lowerdir=l/* ]]
	# the layer directory holds overlay's own whiteout form
	local wh
	wh=$(find "$ROOT/layers" -path '*/diff/bin/cat' -type c)
	[ -n "$wh" ]
	[ "$(stat -c %t:%T "$wh")" = 0:0 ]
}

@test "load: a hand-made docker-archive with an opaque directory over two layers" {
	local a=$T/opq
	mkdir -p "$a/l1/d/sub" "$a/l2/d" "$a/out"
	cp -a "$T/rfs/." "$a/l1/"
	echo x >"$a/l1/d/x"
	echo z >"$a/l1/d/sub/z"
	echo new >"$a/l2/d/new"
	: >"$a/l2/d/.wh..wh..opq"
	tar -C "$a/l1" -cf "$a/out/l1.tar" .
	tar -C "$a/l2" -cf "$a/out/l2.tar" .
	local d1 d2
	d1=$(sha256sum "$a/out/l1.tar" | cut -d' ' -f1)
	d2=$(sha256sum "$a/out/l2.tar" | cut -d' ' -f1)
	printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s","sha256:%s"]}}' \
		"$d1" "$d2" >"$a/out/config.json"
	echo '[{"Config":"config.json","RepoTags":["opaque:test"],"Layers":["l1.tar","l2.tar"]}]' >"$a/out/manifest.json"
	tar -C "$a/out" -cf "$a/opq.tar" .
	run b load -i "$a/opq.tar"
	[ "$output" = "Loaded image: opaque:test" ]
	run in_mount opaque:test 'ls -A "$M/mnt/d"; chroot "$M/mnt" /bin/ls /d' --upper "$M/up" --work "$M/wk"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'new\nnew')" ]
	# converted, not copied: the xattr on the directory, no .wh. file
	local dir=$ROOT/layers/$d2/diff/d
	[ "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode())' "$dir")" = y ]
	[ ! -e "$dir/.wh..wh..opq" ]
	rm -rf "$a"
}

@test "load: podman's oci-archive, skopeo's oci-archive, docker-archive and OCI layout, gzip too" {
	local f
	for f in podman-oci.tar skopeo-oci.tar skopeo-docker.tar; do
		rm -rf "$ROOT"
		run b load -i "$T/$f"
		echo "$f: $output"
		[ "$status" -eq 0 ]
		[ "$output" = "Loaded image: localhost/berthtest-ml:latest" ]
		[ "$(b image inspect -f '{{.Id}}' berthtest-ml)" = "sha256:$(cat "$T/ml.id")" ]
		check_ml auto
	done
	rm -rf "$ROOT"
	run b load -i "$T/skopeo-layout"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: localhost/berthtest-ml:latest" ]
	rm -rf "$ROOT"
	gzip -c "$T/podman-docker.tar" | b load
	check_ml auto
}

@test "load: a layer that does not match its digest is refused and nothing stays" {
	mkdir -p "$T/bad" && tar -C "$T/bad" -xf "$T/podman-docker.tar"
	local layer
	layer=$(jq -r '.[0].Layers[2]' "$T/bad/manifest.json")
	tar -C "$T/rfs" -cf "$T/bad/$layer" .
	tar -C "$T/bad" -cf "$T/bad.tar" .
	run b load -i "$T/bad.tar"
	echo "$output"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"digest mismatch"* ]]
	store_empty
	[ -z "$(b images -q)" ]
	rm -rf "$T/bad" "$T/bad.tar"
}

@test "save: docker-archive and OCI archive are read back by podman load" {
	b image from-host hosty ls
	b tag hosty localhost/berthtest-saved:v1
	b load -i "$T/podman-docker.tar"
	local id
	id=$(b image inspect -f '{{.Id}}' hosty)
	b save -o "$T/s-docker.tar" localhost/berthtest-saved:v1 berthtest-ml
	run pmc load -i "$T/s-docker.tar"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(pmc image inspect -f '{{.Id}}' localhost/berthtest-saved:v1)" = "${id#sha256:}" ]
	pmc rmi -f localhost/berthtest-saved:v1 >/dev/null
	b save --format oci -o "$T/s-oci.tar" localhost/berthtest-saved:v1
	run pmc load -i "$T/s-oci.tar"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(pmc image inspect -f '{{.Id}}' localhost/berthtest-saved:v1)" = "${id#sha256:}" ]
	pmc rmi -f localhost/berthtest-saved:v1 >/dev/null
	# and by berth itself, in a fresh store
	ROOT=$T/root-again b load -i "$T/s-oci.tar"
	[ "$(ROOT=$T/root-again b image inspect -f '{{.Id}}' localhost/berthtest-saved:v1)" = "$id" ]
	rm -rf "$T/root-again" "$T/s-docker.tar" "$T/s-oci.tar"
	# a failed save leaves no file
	run b save -o "$T/none.tar" no-such-image
	[ "$status" -eq 125 ]
	[ ! -e "$T/none.tar" ]
	[ -z "$(ls "$T" | grep berth-tmp)" ]
}

@test "images, tag, inspect, history: Docker's shapes" {
	b import "$T/rfs.tar" busybox
	run b images
	[ "${lines[0]}" = "$(printf 'REPOSITORY   TAG      IMAGE ID       CREATED                  SIZE')" ] ||
		[[ "${lines[0]}" == REPOSITORY*TAG*"IMAGE ID"*CREATED*SIZE ]]
	[[ "${lines[1]}" == busybox*latest* ]]
	b tag busybox busybox:1.0
	b tag busybox:latest example.com:5000/team/bb:v2
	run b images --format '{{.Repository}}|{{.Tag}}|{{.ID}}'
	echo "$output"
	[ "${#lines[@]}" -eq 3 ]
	local id
	id=$(b image inspect -f '{{.Id}}' busybox)
	[[ "$output" == *"example.com:5000/team/bb|v2|${id:7:12}"* ]]
	[ "$(b images -q)" = "${id:7:12}" ]
	[ "$(b images -q --no-trunc)" = "$id" ]
	# by unique ID prefix, with or without sha256:
	[ "$(b image inspect -f '{{.Id}}' "${id:7:6}")" = "$id" ]
	[ "$(b image inspect -f '{{.Id}}' "sha256:${id:7:6}")" = "$id" ]
	run b image inspect busybox
	[ "$(jq -r '.[0].RepoTags | length' <<<"$output")" = 3 ]
	[ "$(jq -r '.[0].RootFS.Type' <<<"$output")" = layers ]
	[ "$(jq -r '.[0].RootFS.Layers | length' <<<"$output")" = 1 ]
	[ "$(jq -r '.[0].Os' <<<"$output")" = linux ]
	[ "$(jq -r '.[0].Architecture' <<<"$output")" = amd64 ]
	[ "$(jq -r '.[0].Size' <<<"$output")" -gt 1000000 ]
	[[ "$(jq -r '.[0].Created' <<<"$output")" =~ ^20[0-9-]+T ]]
	b load -i "$T/podman-docker.tar"
	run b history berthtest-ml
	echo "$output"
	[[ "${lines[0]}" == IMAGE*CREATED*"CREATED BY"*SIZE*COMMENT ]]
	[[ "${lines[1]}" == "$(cat "$T/ml.id" | cut -c1-12)"* ]]
	[[ "$output" == *"rm /bin/cat"* ]]
	[ "$(grep -c '<missing>' <<<"$output")" -ge 3 ]
	run b image inspect no-such
	[ "$status" -eq 125 ]
	[ "$output" = "berth: no such image: no-such" ]
	run b tag busybox 'Bad:Name'
	[ "$status" -eq 125 ]
	[[ "$output" == "berth: invalid reference format"* ]]
}

@test "rmi and prune: names first, then images, then layers nothing references" {
	b import "$T/rfs.tar" one
	b load -i "$T/podman-docker.tar"
	b tag one two
	# podman imported the same tar: its bottom layer is ours, stored once
	[ "$(count_layers)" -eq 3 ]
	run b rmi one
	[ "$output" = "Untagged: one:latest" ]
	local id
	id=$(b image inspect -f '{{.Id}}' two)
	# by ID while two names point at it: refused without -f
	b tag two three
	run b rmi "${id:7:12}"
	[ "$status" -eq 125 ]
	[[ "$output" == *"must be forced"* ]]
	run b rmi -f "${id:7:12}"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Untagged: two:latest"* && "$output" == *"Untagged: three:latest"* ]]
	[[ "$output" == *"Deleted: $id"* ]]
	# the shared layer stays for the loaded image
	[ "$(count_layers)" -eq 3 ]
	[ "$(ls "$ROOT/l" | wc -l)" -eq 3 ]
	# a dangling image: only prune removes it
	b tag berthtest-ml keep
	b import "$T/rfs.tar" dangling
	b tag berthtest-ml dangling
	[ "$(b images --format '{{.Repository}}' | grep -c '<none>')" -eq 1 ]
	run b image prune
	echo "$output"
	[[ "$output" == *"Deleted Images:"* && "$output" == *"Total reclaimed space:"* ]]
	[ "$(b images --format '{{.Repository}}' | grep -c '<none>')" -eq 0 ]
	[ "$(count_layers)" -eq 3 ]
	run b rmi berthtest-ml keep dangling nothing-here
	[ "$status" -eq 125 ]
	[[ "$output" == *"no such image: nothing-here"* ]]
	[ -z "$(b images -q)" ]
	store_empty
}

@test "berth's own errors: exit 125 and one line" {
	run b nosuchcommand
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	run b images --bogus
	[ "$status" -eq 125 ]
	[[ "$output" == "berth: "* ]]
	run b load -i /nonexistent
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	run b load -i "$T/rfs.tar"
	[ "$status" -eq 125 ]
	[[ "$output" == *"neither a docker-archive"* ]]
}

# make_many_layers N DIR: a docker-archive of N one-file layers in DIR/out.tar
make_many_layers() {
	local n=$1 d=$2 i ids=() layers=()
	mkdir -p "$d/out"
	for ((i = 0; i < n; i++)); do
		mkdir -p "$d/l$i"
		echo "$i" >"$d/l$i/f$i"
		tar -C "$d/l$i" -cf "$d/out/$i.tar" .
		ids+=("sha256:$(sha256sum "$d/out/$i.tar" | cut -d' ' -f1)")
		layers+=("$i.tar")
	done
	printf '%s\n' "${ids[@]}" | jq -R . | jq -s '{architecture:"amd64",os:"linux",config:{},rootfs:{type:"layers",diff_ids:.}}' >"$d/out/config.json"
	printf '%s\n' "${layers[@]}" | jq -R . | jq -s '[{Config:"config.json",RepoTags:["many:layers"],Layers:.}]' >"$d/out/manifest.json"
	tar -C "$d/out" -cf "$d/out.tar" .
}

@test "overlay limits: 200 layers mount fd-based (the legacy option string would not fit a page), 501 are refused" {
	make_many_layers 200 "$T/many"
	run b load -i "$T/many/out.tar"
	[ "$status" -eq 0 ]
	run in_mount many:layers 'cat "$M/mnt/f0" "$M/mnt/f199"; ls "$M/mnt" | wc -l' --method fd
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "0 199 200" ]
	run in_mount many:layers 'true' --method legacy
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"more than a page"* ]]
	# 501 layers: more than overlayfs stacks, refused before any layer is read
	jq '.rootfs.diff_ids |= . + [range(301) | "sha256:" + ("0" * 64)]' "$T/many/out/config.json" >"$T/many/c2"
	mv "$T/many/c2" "$T/many/out/config.json"
	tar -C "$T/many/out" -cf "$T/many/out501.tar" .
	run b load -i "$T/many/out501.tar"
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"more than overlayfs can stack"* ]]
	rm -rf "$T/many"
}

@test "concurrency: parallel loads, imports and removals keep the store whole" {
	local i pids=()
	for i in 1 2 3 4 5 6; do
		b load -q -i "$T/podman-docker.tar" &
		pids+=($!)
		b import "$T/rfs.tar" "imp$i" >/dev/null &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	# one image loaded six times, six names for one imported layer
	[ "$(b images --format '{{.Repository}}' | sort | uniq | wc -l)" -eq 7 ]
	[ "$(count_layers)" -eq 3 ]
	[ -z "$(ls -A "$ROOT/tmp")" ]
	pids=()
	for i in 1 2 3 4 5 6; do
		b rmi "imp$i" >/dev/null &
		pids+=($!)
	done
	b load -q -i "$T/podman-docker.tar" &
	pids+=($!)
	for i in "${pids[@]}"; do wait "$i"; done
	[ "$(b images --format '{{.Repository}}')" = localhost/berthtest-ml ]
	check_ml auto
	b rmi berthtest-ml
	store_empty
}

@test "a load killed with SIGKILL leaves nothing a later command does not remove" {
	make_many_layers 300 "$T/kill"
	local i
	for i in 05 1 2; do
		# berth itself, not a subshell running b: $! is what gets the SIGKILL
		"$BERTH_BIN" --root "$ROOT" load -i "$T/kill/out.tar" >/dev/null 2>&1 &
		sleep 0.$i
		kill -9 $! 2>/dev/null || true
		wait $! 2>/dev/null || true
	done
	# the kills did land halfway: content without an image
	[ -z "$(b images -q)" ]
	[ "$(count_layers)" -gt 0 ] || [ -n "$(ls -A "$ROOT/tmp")" ]
	# a later load of the same archive works
	b load -i "$T/kill/out.tar"
	[ "$(b images -q | wc -l)" -eq 1 ]
	b rmi many:layers
	store_empty
	rm -rf "$T/kill"
}
