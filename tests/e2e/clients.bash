# Shared helpers for the end-to-end tests that drive the runtime through real
# clients: Podman (podman.bats), containerd's ctr (containerd.bats) and an
# unprivileged user (rootless.bats).
#
#   bats tests/e2e/podman.bats                          # berth: build/berth-runtime
#   RUNTIME=$(command -v runc) bats tests/e2e/podman.bats   # reference: runc
#
# Nothing here touches the network, a registry or the host's default storage:
# the image (localhost/berth-busybox:latest) is made from /bin/busybox, podman
# runs on a private storage/config in a temp dir and containerd is a private
# daemon started for the test file. Everything is removed in teardown_file,
# also after failures. Must run as root (rootless.bats switches user itself).
#
# Features that are still being written (exec, terminals, cgroups, pause, ps)
# are skipped by probing the runtime (skip_unless_runtime_supports), never by
# its name, so the tests turn on by themselves once a feature lands.

: "${RUNTIME:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/berth-runtime}"
case $RUNTIME in
/*) ;;
*/*) RUNTIME=$PWD/$RUNTIME ;;
*) RUNTIME=$(command -v "$RUNTIME" || echo "$RUNTIME") ;;
esac
export RUNTIME
RUNTIME_NAME=$(basename "$RUNTIME")
CLIENTS_IMAGE=localhost/berth-busybox:latest
# podman's default ulimits exceed this host's hard limits
CL_ULIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
# bound on one client call (seconds)
: "${CLIENTS_TIMEOUT:=60}"

# ---------------------------------------------------------------- common ------

# cl_setup_file: per-file temp dir $CL_TMP and the busybox rootfs + its tar.
cl_setup_file() {
	[ "$(id -u)" -eq 0 ] || { echo "these tests must run as root" >&2; return 1; }
	[ -x "$RUNTIME" ] || { echo "runtime not found: $RUNTIME" >&2; return 1; }
	CL_TMP=$(mktemp -d /tmp/berth-clients.XXXXXX) || return 1
	chmod 0755 "$CL_TMP"
	export CL_TMP
	mkdir -p "$CL_TMP/probe-root"
	# the runtime's default state dir (podman uses it): remove it at the end
	# if this file created it
	CL_RT_DEFAULT_ROOT=$("$RUNTIME" --help 2>&1 | grep -E -- '--root' |
		grep -oE '/run/[A-Za-z0-9._-]+' | head -n1)
	CL_RT_DEFAULT_ROOT_EXISTED=1
	[ -z "$CL_RT_DEFAULT_ROOT" ] || [ -e "$CL_RT_DEFAULT_ROOT" ] || CL_RT_DEFAULT_ROOT_EXISTED=0
	export CL_RT_DEFAULT_ROOT CL_RT_DEFAULT_ROOT_EXISTED
	cl_make_rootfs "$CL_TMP/rootfs" || return 1
	tar --numeric-owner -C "$CL_TMP/rootfs" -cf "$CL_TMP/rootfs.tar" . || return 1
}

# cl_teardown_file: kill and unmount whatever is left under $CL_TMP, remove it.
cl_teardown_file() {
	[ -n "${CL_TMP:-}" ] && [ -d "$CL_TMP" ] || return 0
	cl_kill_cmdline "$CL_TMP"
	cl_kill_marked "$CL_TMP"
	cl_unmount_under "$CL_TMP"
	rm -rf --one-file-system "$CL_TMP"
	if [ "${CL_RT_DEFAULT_ROOT_EXISTED:-1}" = 0 ] && [ -d "$CL_RT_DEFAULT_ROOT" ]; then
		rmdir "$CL_RT_DEFAULT_ROOT" 2>/dev/null
	fi
	return 0
}

# cl_make_rootfs DIR: busybox rootfs; a symlink for every applet but busybox.
cl_make_rootfs() {
	local r=$1 a
	mkdir -p "$r"/{bin,dev,etc,proc,sys,tmp,root,run,var/tmp,home/user}
	chmod 1777 "$r/tmp" "$r/var/tmp"
	cp /bin/busybox "$r/bin/busybox" || return 1
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
	done
	cat >"$r/etc/passwd" <<-'EOF'
		root:x:0:0:root:/root:/bin/sh
		user:x:1000:1000:user:/home/user:/bin/sh
		nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	EOF
	cat >"$r/etc/group" <<-'EOF'
		root:x:0:
		user:x:1000:
		nogroup:x:65534:
	EOF
	chown 1000:1000 "$r/home/user"
}

# cl_oci_archive LAYER_TAR OUT_TAR NAME: an OCI image layout archive (what
# `ctr images import` reads) with the one uncompressed layer LAYER_TAR, made by
# hand: blobs named by sha256, config, manifest, index.json with the name.
cl_oci_archive() {
	local layer=$1 out=$2 name=$3 d arch ld ls cd cs md ms
	d=$(mktemp -d "$CL_TMP/oci.XXXXXX") || return 1
	mkdir -p "$d/blobs/sha256"
	arch=$(dpkg --print-architecture 2>/dev/null) || arch=amd64
	ld=$(sha256sum "$layer" | cut -d' ' -f1)
	ls=$(stat -c %s "$layer")
	cp "$layer" "$d/blobs/sha256/$ld"
	jq -nc --arg diff "sha256:$ld" --arg arch "$arch" '{
		architecture: $arch, os: "linux",
		config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
		         Cmd: ["/bin/sh"], WorkingDir: "/"},
		rootfs: {type: "layers", diff_ids: [$diff]}}' >"$d/config" || return 1
	cd=$(sha256sum "$d/config" | cut -d' ' -f1)
	cs=$(stat -c %s "$d/config")
	mv "$d/config" "$d/blobs/sha256/$cd"
	jq -nc --arg cd "sha256:$cd" --argjson cs "$cs" --arg ld "sha256:$ld" --argjson ls "$ls" '{
		schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
		config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs},
		layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $ld, size: $ls}]}' \
		>"$d/manifest" || return 1
	md=$(sha256sum "$d/manifest" | cut -d' ' -f1)
	ms=$(stat -c %s "$d/manifest")
	mv "$d/manifest" "$d/blobs/sha256/$md"
	jq -nc --arg md "sha256:$md" --argjson ms "$ms" --arg arch "$arch" --arg name "$name" '{
		schemaVersion: 2,
		manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $md, size: $ms,
		             platform: {architecture: $arch, os: "linux"},
		             annotations: {"io.containerd.image.name": $name,
		                           "org.opencontainers.image.ref.name": ($name | sub(".*:"; ""))}}]}' \
		>"$d/index.json" || return 1
	echo '{"imageLayoutVersion":"1.0.0"}' >"$d/oci-layout"
	tar -C "$d" -cf "$out" oci-layout index.json blobs || return 1
	rm -rf "$d"
}

# cl_unmount_under DIR: lazily unmount every mount at or below DIR.
cl_unmount_under() {
	local m
	cl_mounts_under "$1" | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null
	done
	return 0
}

# cl_mounts_under DIR: mount points (host mount namespace) at or below DIR.
cl_mounts_under() {
	awk '{print $5}' /proc/self/mountinfo | grep -E "^$1(/|$)"
	return 0
}

# cl_kill_marked DIR: SIGKILL the container processes started by these tests
# (their environment carries BERTH_E2E=DIR...).
cl_kill_marked() {
	local f pid n pids
	for n in 1 2 3 4 5; do
		pids=
		for f in $(grep -lzs "^BERTH_E2E=$1" /proc/[0-9]*/environ); do
			pid=${f#/proc/}
			pid=${pid%/environ}
			[ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ] || pids="$pids $pid"
		done
		[ -n "$pids" ] || break
		kill -9 $pids 2>/dev/null
		sleep 0.1
	done
	return 0
}

# cl_kill_cmdline STRING: SIGKILL the processes whose command line contains
# STRING (conmon, containerd, shims and runtime calls naming the temp dir).
cl_kill_cmdline() {
	local f pid n pids
	for n in 1 2 3 4 5; do
		pids=
		for f in $(grep -lFs -- "$1" /proc/[0-9]*/cmdline); do
			pid=${f#/proc/}
			pid=${pid%/cmdline}
			[ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ] || [ "$pid" = "$PPID" ] || pids="$pids $pid"
		done
		[ -n "$pids" ] || break
		kill -9 $pids 2>/dev/null
		sleep 0.1
	done
	return 0
}

# cl_rmdir_cgroup REL: remove the cgroup REL (a path below the root of each
# hierarchy) and its children in every mounted hierarchy, after killing the
# processes of these tests left in them. Only rmdir: a cgroup still in use
# by something else stays.
cl_rmdir_cgroup() {
	local rel=${1#/} top d p i
	[ -n "$rel" ] || return 0
	for top in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
		top=${top%/}
		d="$top/$rel"
		[ -d "$d" ] || continue
		case $(stat -f -c %T "$d" 2>/dev/null) in cgroupfs | cgroup2fs) ;; *) continue ;; esac
		for p in $(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null); do
			grep -qzs "^BERTH_E2E=$CL_TMP" "/proc/$p/environ" && kill -9 "$p" 2>/dev/null
		done
		for i in 1 2 3 4 5 6 7 8 9 10; do
			find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
			[ -d "$d" ] || break
			sleep 0.1
		done
	done
	return 0
}

# cl_cgroup_exists REL: REL exists in some hierarchy.
cl_cgroup_exists() {
	local rel=${1#/} top
	for top in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
		[ -d "${top%/}/$rel" ] && case $(stat -f -c %T "${top%/}/$rel") in
			cgroupfs | cgroup2fs) return 0 ;;
			esac
	done
	return 1
}

# wait_until TRIES(0.1s) CMD...: retry CMD.
wait_until() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# retry_output N PATTERN CMD...: run CMD until its output matches PATTERN
# (grep -E); leaves the last output in $output.
retry_output() {
	local n=$1 pat=$2 i
	shift 2
	for ((i = 0; i < n; i++)); do
		output=$("$@" 2>&1)
		grep -qE -- "$pat" <<<"$output" && return 0
		sleep 0.1
	done
	echo "no match for /$pat/ in: $output" >&2
	return 1
}

# cl_json_array ARG...: a JSON array of the strings ARG.
cl_json_array() {
	local a
	for a in "$@"; do
		jq -n --arg s "$a" '$s'
	done | jq -sc .
}

# runtime_ids_under DIR [ROOT]: ids of runtime containers whose bundle is
# below DIR (in the state dir ROOT, default: the runtime's default).
runtime_ids_under() {
	local -a root=()
	[ -n "${2:-}" ] && root=(--root "$2")
	timeout 10 "$RUNTIME" "${root[@]}" list -f json 2>/dev/null |
		jq -r --arg d "$1/" '.[]? | select((.bundle // "") | startswith($d)) | .id' 2>/dev/null
	return 0
}

# ---------------------------------------------------------------- probes ------
# A feature is probed once per test file; the answer is cached in $CL_TMP.

# runtime_has_command CMD: the runtime knows the subcommand CMD.
runtime_has_command() {
	local out
	"$RUNTIME" "$1" --help >/dev/null 2>&1 </dev/null && return 0
	out=$(timeout 10 "$RUNTIME" --root "$CL_TMP/probe-root" "$1" 2>&1 </dev/null)
	! grep -qiE 'unknown (sub)?command|no help topic|not (yet )?implemented|unsupported (sub)?command|invalid command' <<<"$out"
}

# probe_cgroups: `features` says the runtime manages this host's cgroups
# (v1 controllers here, v2 on a unified host). A runtime without `features`
# (crun 1.8) is assumed to manage them.
probe_cgroups() {
	local f key=v2
	f=$(timeout 10 "$RUNTIME" features 2>/dev/null) || return 0
	jq -e . >/dev/null 2>&1 <<<"$f" || return 0
	[ -d /sys/fs/cgroup/memory ] && [ "$(stat -f -c %T /sys/fs/cgroup/memory)" = cgroupfs ] && key=v1
	jq -e --arg k "$key" '.linux.cgroup[$k] == true' >/dev/null <<<"$f"
}

# probe_terminal: create a container with process.terminal and a console
# socket; the runtime must send a pty master over the socket.
probe_terminal() {
	local d=$CL_TMP/probe-tty py rc=1 rpid
	py=/usr/bin/python3
	[ -x "$py" ] || py=$(command -v python3) || return 0 # cannot tell: run the tests
	rm -rf "$d"
	mkdir -p "$d/bundle"
	(cd "$d/bundle" && "$RUNTIME" spec >/dev/null 2>&1) || (cd "$d/bundle" && runc spec >/dev/null 2>&1) || return 0
	jq --arg r "$CL_TMP/rootfs" '.root = {path: $r, readonly: true}
	    | .process.terminal = true | .process.args = ["true"]
	    | .process.env += ["BERTH_E2E=\($r)-probe"]' \
		"$d/bundle/config.json" >"$d/c.json" && mv "$d/c.json" "$d/bundle/config.json"
	"$py" - "$d/sock" >"$d/recv.out" 2>&1 3>&- <<-'EOF' &
		import os, socket, sys
		s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		s.bind(sys.argv[1]); s.listen(1); s.settimeout(15)
		c, _ = s.accept()
		_, fds, _, _ = socket.recv_fds(c, 4096, 4)
		print("pty" if fds and os.isatty(fds[0]) else "nofd")
	EOF
	rpid=$!
	wait_until 50 test -S "$d/sock"
	timeout 15 "$RUNTIME" --root "$CL_TMP/probe-root" create --console-socket "$d/sock" \
		--bundle "$d/bundle" berth-probe-tty </dev/null >"$d/create.out" 2>&1 3>&-
	timeout 15 "$RUNTIME" --root "$CL_TMP/probe-root" delete --force berth-probe-tty >/dev/null 2>&1
	kill "$rpid" 2>/dev/null
	wait "$rpid" 2>/dev/null
	grep -qx pty "$d/recv.out" && rc=0
	cl_kill_marked "$CL_TMP/rootfs-probe"
	return $rc
}

# probe_rootless: `spec --rootless` works (runc's rootless spec).
probe_rootless() {
	local d=$CL_TMP/probe-rootless
	mkdir -p "$d"
	(cd "$d" && timeout 10 "$RUNTIME" spec --rootless >/dev/null 2>&1) &&
		jq -e '.linux.namespaces | map(.type) | index("user")' "$d/config.json" >/dev/null
}

# runtime_supports FEATURE: exec, terminal, cgroups, pause, ps, update, rootless.
runtime_supports() {
	local c=$CL_TMP/probe.$1 rc
	if [ ! -f "$c" ]; then
		case $1 in
		exec | pause | ps | update | events) runtime_has_command "$1" ;;
		terminal) probe_terminal ;;
		cgroups) probe_cgroups ;;
		rootless) probe_rootless ;;
		*) echo "unknown feature $1" >&2; return 1 ;;
		esac
		echo $? >"$c"
	fi
	rc=$(cat "$c")
	return "$rc"
}

# skip_unless_runtime_supports FEATURE...: skip when a probe says no.
skip_unless_runtime_supports() {
	local f
	for f in "$@"; do
		runtime_supports "$f" || skip "$RUNTIME_NAME does not support $f (probed)"
	done
	return 0
}

# ---------------------------------------------------------------- podman ------
# Private everything: storage (vfs) in $PM_DIR/root, run root, libpod tmp dir,
# containers.conf (cgroupfs, file events, no network, file locks), an empty
# registries.conf. The runtime's own state dir is its default (podman 4.3
# drops --runtime-flag in its cleanup process); teardown removes every state
# entry whose bundle is below $PM_DIR.

podman_setup_file() {
	cl_setup_file || return 1
	command -v podman >/dev/null || { echo "podman is not installed" >&2; return 1; }
	PM_DIR=$CL_TMP/podman
	mkdir -p "$PM_DIR"/{root,runroot,libpod,vartmp,netconf}
	export PM_DIR
	# host paths podman 4.3 creates even with a private store: removed at
	# the end when this file created them
	local p v=""
	for p in /run/containers /var/lib/containers /run/libpod; do
		[ -e "$p" ] || v="$v $p"
	done
	export PM_NEW_HOST_PATHS=$v
	if cl_cgroup_exists libpod_parent; then export PM_HAD_LIBPOD_PARENT=1; else export PM_HAD_LIBPOD_PARENT=0; fi
	cat >"$PM_DIR/containers.conf" <<-EOF
		[containers]
		netns = "none"
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		events_logfile_path = "$PM_DIR/events.log"
		tmp_dir = "$PM_DIR/libpod"
		static_dir = "$PM_DIR/root/libpod"
		volume_path = "$PM_DIR/root/volumes"
		lock_type = "file"
		[network]
		network_config_dir = "$PM_DIR/netconf"
	EOF
	cat >"$PM_DIR/storage.conf" <<-EOF
		[storage]
		driver = "vfs"
		runroot = "$PM_DIR/runroot"
		graphroot = "$PM_DIR/root"
	EOF
	: >"$PM_DIR/registries.conf"
	export CONTAINERS_CONF=$PM_DIR/containers.conf
	export CONTAINERS_STORAGE_CONF=$PM_DIR/storage.conf
	export CONTAINERS_REGISTRIES_CONF=$PM_DIR/registries.conf
	pm_global
	# image import writes a blob-info cache to /var/lib/containers/cache
	# whatever --root says: give it a throw-away tmpfs there
	local made=0
	[ -d /var/lib/containers ] || { mkdir -p /var/lib/containers && made=1; }
	unshare -m sh -c 'mount -t tmpfs -o mode=0700 berth-e2e /var/lib/containers && exec "$@"' sh \
		env TMPDIR="$PM_DIR/vartmp" timeout -k 5 "$CLIENTS_TIMEOUT" podman "${PM_GLOBAL[@]}" \
		import --change 'CMD ["/bin/sh"]' "$CL_TMP/rootfs.tar" "$CLIENTS_IMAGE" \
		</dev/null >"$PM_DIR/import.out" 2>&1 3>&-
	local rc=$?
	[ $made = 0 ] || rmdir /var/lib/containers 2>/dev/null
	[ $rc = 0 ] || { cat "$PM_DIR/import.out" >&2; return 1; }
}

PM_GLOBAL=()
pm_global() {
	PM_GLOBAL=(--runtime "$RUNTIME" --root "$PM_DIR/root" --runroot "$PM_DIR/runroot"
		--storage-driver vfs --cgroup-manager cgroupfs --events-backend file
		--tmpdir "$PM_DIR/libpod")
}
if [ -n "${PM_DIR:-}" ]; then pm_global; fi

podman_teardown_file() {
	[ -n "${PM_DIR:-}" ] && [ -d "$PM_DIR" ] || { cl_teardown_file; return 0; }
	pm_global
	pm rm -a -f -t 0 >/dev/null 2>&1
	pm_purge_runtime_state
	local ids id p
	ids=$(pm_event_ids)
	cl_kill_cmdline "$PM_DIR"
	cl_kill_marked "$CL_TMP"
	pm_purge_runtime_state
	cl_unmount_under "$CL_TMP"
	for id in $ids; do
		cl_rmdir_cgroup "libpod_parent/libpod-$id"
		cl_rmdir_cgroup "libpod_parent/libpod-conmon-$id"
	done
	[ "${PM_HAD_LIBPOD_PARENT:-1}" = 1 ] || cl_rmdir_cgroup libpod_parent
	cl_teardown_file
	for p in ${PM_NEW_HOST_PATHS:-}; do
		rm -rf --one-file-system "$p"
	done
	return 0
}

# pm_event_ids: every container id podman reported an event for.
pm_event_ids() {
	[ -f "$PM_DIR/events.log" ] || return 0
	jq -r 'select(.Type == "container") | .ID // empty' "$PM_DIR/events.log" 2>/dev/null | sort -u
}

# pm_purge_runtime_state: delete --force the runtime's containers made here.
pm_purge_runtime_state() {
	local id
	for id in $(runtime_ids_under "$PM_DIR"); do
		timeout 20 "$RUNTIME" delete --force "$id" >/dev/null 2>&1
	done
}

# pm ARGS...: podman on the private store with the runtime under test.
pm() {
	TMPDIR="$PM_DIR/vartmp" timeout -k 5 "$CLIENTS_TIMEOUT" podman "${PM_GLOBAL[@]}" "$@" 3>&-
}

# pm_tty ARGS...: podman ARGS on a pseudo-terminal (util-linux script).
pm_tty() {
	local cmd
	cmd=$(printf '%q ' env TMPDIR="$PM_DIR/vartmp" podman "${PM_GLOBAL[@]}" "$@")
	timeout -k 5 "$CLIENTS_TIMEOUT" script -qec "$cmd" /dev/null </dev/null 3>&-
}

# options for podman run/create: no pull, no network, ulimits, test marker.
PM_RUN_OPTS=(--pull never --network none "${CL_ULIMITS[@]}")
pm_run_opts() {
	PM_RUN_OPTS=(--pull never --network none "${CL_ULIMITS[@]}" --env "BERTH_E2E=$CL_TMP")
}

podman_setup() {
	pm_global
	pm_run_opts
}

# After each test nothing may be left: no podman container, no runtime state
# for a bundle under $PM_DIR, no mount below $PM_DIR (checked only when the
# test passed; everything is cleaned either way).
podman_teardown() {
	local left="" ids m i
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -n "${status+x}" ]; then
		printf 'last run: status=%s output:\n%s\n' "$status" "${output:-}" >&2
		[ -z "${stderr:-}" ] || printf 'stderr:\n%s\n' "$stderr" >&2
	fi
	for i in $(seq 50); do
		ids=$(pm ps -a -q --no-trunc 2>/dev/null)
		left=$ids$(runtime_ids_under "$PM_DIR")$(cl_mounts_under "$PM_DIR")
		[ -z "$left" ] && break
		sleep 0.1
	done
	[ -z "$left" ] && return 0
	ids=$(pm ps -a -q --no-trunc 2>/dev/null)
	m=$(cl_mounts_under "$PM_DIR")
	left="podman containers: [$(echo $ids)] runtime state: [$(echo $(runtime_ids_under "$PM_DIR"))] mounts: [$(echo $m)]"
	[ -n "$ids" ] && pm rm -f -t 0 $ids >/dev/null 2>&1
	pm_purge_runtime_state
	cl_kill_marked "$CL_TMP"
	cl_unmount_under "$PM_DIR/runroot"
	if [ -n "${BATS_TEST_COMPLETED:-}" ]; then
		echo "left behind after the test: $left" >&2
		return 1
	fi
	return 0
}

# ---------------------------------------------------------------- containerd --
# A private containerd: root, state, sockets in $CD_DIR; cri and the other
# host-touching plugins disabled; its own namespace; the runc shim told to use
# the runtime under test (--runc-binary) with a private state root
# (--runc-root).

: "${CD_NS:=berth-e2e}"

containerd_setup_file() {
	cl_setup_file || return 1
	command -v containerd >/dev/null && command -v ctr >/dev/null ||
		{ echo "containerd is not installed" >&2; return 1; }
	CD_DIR=$CL_TMP/containerd
	CD_SOCK=$CD_DIR/containerd.sock
	CD_RUNC_ROOT=$CD_DIR/runc
	export CD_DIR CD_SOCK CD_RUNC_ROOT
	# a namespace of its own: also the name of ctr's parent cgroup
	export CD_NS="berth-e2e-$$"
	if [ -e /run/containerd ]; then export CD_HAD_RUN=1; else export CD_HAD_RUN=0; fi
	mkdir -p "$CD_DIR" "$CD_RUNC_ROOT"
	cat >"$CD_DIR/config.toml" <<-EOF
		version = 2
		root = "$CD_DIR/root"
		state = "$CD_DIR/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt",
		  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
		  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper",
		  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
		[grpc]
		  address = "$CD_SOCK"
		[ttrpc]
		  address = "$CD_SOCK.ttrpc"
		[debug]
		  address = ""
		[metrics]
		  address = ""
	EOF
	containerd --config "$CD_DIR/config.toml" --log-level warn \
		</dev/null >"$CD_DIR/containerd.log" 2>&1 3>&- &
	echo $! >"$CD_DIR/containerd.pid"
	if ! wait_until 100 ctr_ version >/dev/null 2>&1; then
		echo "containerd did not come up:" >&2
		cat "$CD_DIR/containerd.log" >&2
		return 1
	fi
	cl_oci_archive "$CL_TMP/rootfs.tar" "$CD_DIR/image.tar" "$CLIENTS_IMAGE" || return 1
	ctr_ images import "$CD_DIR/image.tar" >"$CD_DIR/import.out" 2>&1 ||
		{ cat "$CD_DIR/import.out" >&2; return 1; }
}

containerd_teardown_file() {
	[ -n "${CD_DIR:-}" ] && [ -d "$CD_DIR" ] || { cl_teardown_file; return 0; }
	local pid i c
	if [ -S "$CD_SOCK" ]; then
		for c in $(ctr_ task ls -q 2>/dev/null); do
			ctr_ task kill -s SIGKILL "$c" >/dev/null 2>&1
			ctr_ task rm -f "$c" >/dev/null 2>&1
		done
		for c in $(ctr_ containers ls -q 2>/dev/null); do
			ctr_ containers rm "$c" >/dev/null 2>&1
		done
	fi
	pid=$(cat "$CD_DIR/containerd.pid" 2>/dev/null)
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null
		for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null
	fi
	# shims outlive containerd; they name the socket on their command line
	cl_kill_cmdline "$CD_SOCK"
	cl_kill_marked "$CL_TMP"
	for c in $(timeout 10 "$RUNTIME" --root "$CD_RUNC_ROOT/$CD_NS" list -q 2>/dev/null); do
		timeout 20 "$RUNTIME" --root "$CD_RUNC_ROOT/$CD_NS" delete --force "$c" >/dev/null 2>&1
	done
	cl_unmount_under "$CL_TMP"
	cl_rmdir_cgroup "$CD_NS"
	cl_teardown_file
	# containerd 1.6 puts shim sockets in /run/containerd/s whatever its state dir is
	if [ "${CD_HAD_RUN:-1}" = 0 ] && [ -d /run/containerd ]; then
		find /run/containerd -depth -type d -empty -delete 2>/dev/null
	fi
	return 0
}

# ctr_ ARGS...: ctr on the private daemon and namespace.
ctr_() {
	timeout -k 5 "$CLIENTS_TIMEOUT" ctr -a "$CD_SOCK" -n "$CD_NS" "$@" 3>&-
}

# ctr_run [run options...] -- ID ARGS...: ctr run of the test image with the runtime under test.
ctr_run() {
	local -a opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	ctr_ run --runc-binary "$RUNTIME" --runc-root "$CD_RUNC_ROOT" --fifo-dir "$CD_DIR/fifo" \
		--env "BERTH_E2E=$CL_TMP" "${opts[@]}" "$CLIENTS_IMAGE" "$@"
}

# ctr_exec ARGS...: ctr task exec (IO fifos in the private dir).
ctr_exec() {
	ctr_ task exec --fifo-dir "$CD_DIR/fifo" "$@"
}

# ctr_tty ARGS...: ctr ARGS on a pseudo-terminal (ARGS should name
# --fifo-dir "$CD_DIR/fifo": ctr's default is /run/containerd/fifo).
ctr_tty() {
	local cmd
	cmd=$(printf '%q ' ctr -a "$CD_SOCK" -n "$CD_NS" "$@")
	timeout -k 5 "$CLIENTS_TIMEOUT" script -qec "$cmd" /dev/null </dev/null 3>&-
}

# task_status ID: RUNNING, STOPPED, PAUSED... from `ctr task ls`.
task_status() {
	ctr_ task ls 2>/dev/null | awk -v id="$1" '$1 == id {print $3}'
}

containerd_setup() {
	CTR_ID="c$BATS_TEST_NUMBER"
}

# After each test: no task, no container, no runtime state, no mount of the
# test's container (checked only when the test passed).
containerd_teardown() {
	local left="" i c
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -n "${status+x}" ]; then
		printf 'last run: status=%s output:\n%s\n' "$status" "${output:-}" >&2
		[ -z "${stderr:-}" ] || printf 'stderr:\n%s\n' "$stderr" >&2
	fi
	for i in $(seq 50); do
		left=$(ctr_ task ls -q 2>/dev/null)$(ctr_ containers ls -q 2>/dev/null)$(
			timeout 10 "$RUNTIME" --root "$CD_RUNC_ROOT/$CD_NS" list -q 2>/dev/null
		)$(cl_mounts_under "$CD_DIR/state")
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	left="tasks: [$(echo $(ctr_ task ls -q 2>/dev/null))] containers: [$(echo $(ctr_ containers ls -q 2>/dev/null))] runtime state: [$(echo $(timeout 10 "$RUNTIME" --root "$CD_RUNC_ROOT/$CD_NS" list -q 2>/dev/null))] mounts: [$(echo $(cl_mounts_under "$CD_DIR/state"))]"
	for c in $(ctr_ task ls -q 2>/dev/null); do
		ctr_ task kill -s SIGKILL "$c" >/dev/null 2>&1
		ctr_ task rm -f "$c" >/dev/null 2>&1
	done
	for c in $(ctr_ containers ls -q 2>/dev/null); do
		ctr_ containers rm "$c" >/dev/null 2>&1
	done
	cl_kill_marked "$CL_TMP"
	if [ -n "${BATS_TEST_COMPLETED:-}" ]; then
		echo "left behind after the test: $left" >&2
		return 1
	fi
	return 0
}

# ---------------------------------------------------------------- rootless ----

RL_USER=berth-rootless

# rootless_ensure_user: the unprivileged user berth-rootless (a free uid, its
# own group) with 65536 subordinate uids and gids. Idempotent; the user stays.
rootless_ensure_user() {
	local u
	if ! id -u "$RL_USER" >/dev/null 2>&1; then
		u=2000
		while getent passwd "$u" >/dev/null || getent group "$u" >/dev/null; do
			u=$((u + 1))
		done
		useradd --uid "$u" --user-group --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$RL_USER" || return 1
	fi
	local f
	for f in /etc/subuid /etc/subgid; do
		[ -f "$f" ] || touch "$f"
		grep -q "^$RL_USER:" "$f" && continue
		local start
		start=$(awk -F: '{e = $2 + $3; if (e > m) m = e} END {print (m > 100000 ? m : 100000)}' \
			/etc/subuid /etc/subgid)
		# round up to a multiple of 65536
		start=$(((start + 65535) / 65536 * 65536))
		if [ "$f" = /etc/subuid ]; then
			usermod --add-subuids "$start-$((start + 65535))" "$RL_USER" || return 1
		else
			usermod --add-subgids "$start-$((start + 65535))" "$RL_USER" || return 1
		fi
	done
}

# rootless_subid FILE: the start of the user's first range in /etc/subuid|subgid.
rootless_subid() {
	awk -F: -v u="$RL_USER" '$1 == u {print $2; exit}' "$1"
}
