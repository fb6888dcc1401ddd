#!/usr/bin/env bats
# berth pull/push/login/logout/search and run --pull against registries this
# file starts on 127.0.0.1 (Debian's docker-registry, distribution 2.8), each
# with its own config, storage and a free port, stopped by PID at the end:
#   A  plain HTTP, open          (multi-layer OCI, Docker schema2, zstd,
#                                 a two-platform index, images sharing layers)
#   B  plain HTTP, basic auth    (htpasswd -B)
#   C  plain HTTP, bearer tokens (tests/tools/token-server.py, JWT RS256)
#   D  HTTPS, a test CA's certificate (certs.d, --tls-verify=false)
#   P  tests/tools/cut-proxy.py in front of A: redirects blobs, cuts or slows them
# Images are written as OCI layouts by tests/tools/make-oci-layout.py and
# pushed with skopeo.  Podman reads berth's push from a private vfs store.
# A private berth store root and runroot per test, in the file's temp dir.

BERTH_BIN=${BERTH:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/berth}
TOOLS=$(cd "$BATS_TEST_DIRNAME/../tools" && pwd)
PY=/usr/bin/python3 # Debian's, with python3-jwt

free_port() {
	$PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_registry NAME PORT [YAML...]: docker-registry on 127.0.0.1:PORT.
start_registry() {
	local name=$1 port=$2
	shift 2
	mkdir -p "$T/$name/store"
	{
		printf 'version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\n'
		printf 'storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n' "$T/$name/store"
		printf 'http:\n  addr: 127.0.0.1:%s\n' "$port"
		for y in "$@"; do printf '%s\n' "$y"; done
	} >"$T/$name/config.yml"
	docker-registry serve "$T/$name/config.yml" >"$T/$name/log" 2>&1 &
	echo $! >"$T/$name.pid"
	wait_port "$port"
}

wait_port() {
	for _ in $(seq 100); do
		$PY -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

push_layout() { # push_layout LAYOUT DEST [skopeo flags...]
	local src=$1 dst=$2
	shift 2
	skopeo copy -q "$@" "oci:$src:latest" "docker://$dst" >/dev/null
}

setup_file() {
	[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; return 1; }
	T=$(mktemp -d /tmp/berth-registry-e2e.XXXXXX)
	export T
	mkdir -p "$T/pm/root" "$T/pm/runroot" "$T/pm/tmp" "$T/home" "$T/tls"
	local mk="$PY $TOOLS/make-oci-layout.py"
	$mk "$T/ml" && $mk "$T/mlz" --compress zstd && $mk "$T/multi" --arch amd64 --arch arm64 &&
		$mk "$T/corrupt" --extra corrupt && $mk "$T/bad" --drop-diff-id && $mk "$T/slow" --extra slow &&
		for i in 1 2 3 4 5; do $mk "$T/s$i" --extra "shared $i" || return 1; done || return 1

	# certificates: a CA and the HTTPS registry's certificate; the token signer
	(
		cd "$T/tls" &&
			openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=berth-test-ca &&
			openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 &&
			printf 'subjectAltName=IP:127.0.0.1\n' >ext &&
			openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile ext &&
			openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=berth-client &&
			printf 'extendedKeyUsage=clientAuth\n' >cext &&
			openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.cert -days 2 -extfile cext &&
			openssl req -x509 -newkey rsa:2048 -nodes -keyout tok.key -out tok.crt -days 2 -subj /CN=berth-test-token
	) >/dev/null 2>&1 || return 1
	htpasswd -Bbc "$T/htpasswd" tester s3cret >/dev/null 2>&1 || return 1

	PA=$(free_port) PB=$(free_port) PC=$(free_port) PD=$(free_port) PT=$(free_port) PP=$(free_port) PE=$(free_port)
	echo "$PA $PB $PC $PD $PT $PP $PE" >"$T/ports"
	start_registry A "$PA" || return 1
	start_registry B "$PB" 'auth:' '  htpasswd:' '    realm: berth-basic' "    path: $T/htpasswd" || return 1
	$PY "$TOOLS/token-server.py" "$T/tls/tok.key" "$T/tls/tok.crt" "$PT" tester s3cret berth-issuer berth-test \
		>"$T/token.log" 2>&1 &
	echo $! >"$T/token.pid"
	wait_port "$PT" || return 1
	start_registry C "$PC" 'auth:' '  token:' "    realm: http://127.0.0.1:$PT/token" '    service: berth-test' \
		'    issuer: berth-issuer' "    rootcertbundle: $T/tls/tok.crt" || return 1
	start_registry D "$PD" '  tls:' "    certificate: $T/tls/server.crt" "    key: $T/tls/server.key" || return 1
	# E wants a client certificate signed by the test CA
	start_registry E "$PE" '  tls:' "    certificate: $T/tls/server.crt" "    key: $T/tls/server.key" \
		'    clientcas:' "      - $T/tls/ca.crt" || return 1
	mkdir -p "$T/client-certs"
	cp "$T/tls/ca.crt" "$T/tls/client.cert" "$T/tls/client.key" "$T/client-certs/"

	local a=127.0.0.1:$PA
	push_layout "$T/ml" "$a/test/ml:oci" --dest-tls-verify=false -f oci &&
		push_layout "$T/ml" "$a/test/ml:docker" --dest-tls-verify=false -f v2s2 &&
		push_layout "$T/mlz" "$a/test/mlz:latest" --dest-tls-verify=false -f oci &&
		skopeo copy -q --all --dest-tls-verify=false "oci:$T/multi:latest" "docker://$a/test/multi:latest" &&
		push_layout "$T/corrupt" "$a/test/corrupt:latest" --dest-tls-verify=false &&
		push_layout "$T/bad" "$a/test/bad:latest" --dest-tls-verify=false &&
		push_layout "$T/slow" "$a/test/slow:latest" --dest-tls-verify=false &&
		for i in 1 2 3 4 5; do push_layout "$T/s$i" "$a/test/s$i:latest" --dest-tls-verify=false || return 1; done &&
		push_layout "$T/ml" "127.0.0.1:$PB/test/ml:latest" --dest-tls-verify=false --dest-creds tester:s3cret &&
		push_layout "$T/ml" "127.0.0.1:$PC/test/ml:latest" --dest-tls-verify=false --dest-creds tester:s3cret &&
		push_layout "$T/ml" "127.0.0.1:$PD/test/ml:latest" --dest-tls-verify=false &&
		push_layout "$T/ml" "127.0.0.1:$PE/test/ml:latest" --dest-cert-dir "$T/client-certs" || return 1

	# plain HTTP registries are "insecure" in berth's registries file
	cat >"$T/registries.json" <<-EOF
		{"registries": {"127.0.0.1:$PA": {"insecure": true}, "127.0.0.1:$PB": {"insecure": true},
		 "127.0.0.1:$PC": {"insecure": true}, "127.0.0.1:$PP": {"insecure": true}}}
	EOF
}

teardown_file() {
	[ -n "${T:-}" ] || return 0
	for p in "$T"/*.pid; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	pmc rmi -a -f >/dev/null 2>&1
	awk -v t="$T/" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l
	rm -rf "$T"
	# The engine's parent cgroup, kept as Docker's /docker is: gone with the
	# last container (rmdir fails while another file's container is in it).
	rmdir /sys/fs/cgroup/*/berth /sys/fs/cgroup/berth 2>/dev/null || true
}

setup() {
	read -r PA PB PC PD PT PP PE <"$T/ports"
	A=127.0.0.1:$PA B=127.0.0.1:$PB C=127.0.0.1:$PC D=127.0.0.1:$PD PX=127.0.0.1:$PP E=127.0.0.1:$PE
	ROOT=$T/root-$BATS_TEST_NUMBER
	RUNROOT=$T/run-$BATS_TEST_NUMBER
	export BERTH_REGISTRIES_CONF=$T/registries.json REGISTRY_AUTH_FILE=$T/auth-$BATS_TEST_NUMBER.json
	export HOME=$T/home
}

teardown() {
	[ -d "$ROOT/containers" ] && "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" rm -f \
		$("$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" ps -aq) >/dev/null 2>&1
	[ -f "$T/proxy.pid" ] && kill "$(cat "$T/proxy.pid")" 2>/dev/null && rm -f "$T/proxy.pid"
	awk -v t="$T/" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l
	rm -rf "$ROOT" "$RUNROOT" "$T/certs.d" "$T/home/.docker"
}

pmc() {
	TMPDIR=$T/pm/tmp env -u REGISTRY_AUTH_FILE podman --root "$T/pm/root" --runroot "$T/pm/runroot" --storage-driver vfs \
		--cgroup-manager cgroupfs --events-backend none "$@"
}

b() { "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" "$@"; }

# the layer digests (compressed) of an OCI layout's single manifest
layer_digests() {
	local m
	m=$(jq -r '.manifests[0].digest' "$1/index.json")
	jq -r '.layers[].digest' "$1/blobs/sha256/${m#sha256:}"
}

# nothing half-written: no partial download, temporary blob or layer dir
store_tmp_clean() {
	[ -z "$(ls "$ROOT/tmp" | grep -v '\.lock$')" ]
}

@test "pull: a three-layer OCI image, then its Docker schema2 form reuses every layer" {
	run b pull "$A/test/ml:oci"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Pull complete"* ]]
	id=$(echo "$output" | tail -1)
	[[ "$id" =~ ^sha256:[0-9a-f]{64}$ ]]
	[ "$(ls "$ROOT/layers" | wc -l)" -eq 3 ]
	run b pull "$A/test/ml:docker"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c 'Already exists')" -eq 3 ]
	[ "$(echo "$output" | tail -1)" = "$id" ]
	run b images --digests --format '{{.Repository}} {{.Tag}} {{.Digest}}'
	[[ "$output" == *"$A/test/ml oci sha256:"* ]]
	run b image inspect --format '{{json .RepoDigests}}' "$A/test/ml:oci"
	[[ "$output" == *"$A/test/ml@sha256:"* ]]
	store_tmp_clean
	# the layers as the image spec says: the whiteout removed /bin/cat
	run b run --rm --network none "$A/test/ml:oci" sh -c 'cat /one /arch; ls /d; test -e /bin/cat || echo nocat'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'one\namd64\nx\ny\nnocat')" ]
}

@test "pull: zstd layers, a fresh store, and by digest" {
	run b pull -q "$A/test/mlz"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	run b run --rm --network none "$A/test/mlz" head /one
	[ "$output" = one ]
	digest=$(b images --digests --format '{{.Digest}}' | head -1)
	rm -rf "$ROOT"
	run b pull "$A/test/mlz@$digest"
	[ "$status" -eq 0 ]
	run b run --rm --network none "$A/test/mlz@$digest" head /d/x
	[ "$output" = x ]
	run b pull "$A/test/mlz@sha256:$(printf '%064d' 0)"
	[ "$status" -eq 125 ]
	[[ "$output" == *"manifest unknown"* ]]
}

@test "pull: a two-platform index resolves to this machine, or to --platform" {
	run b pull "$A/test/multi"
	[ "$status" -eq 0 ]
	run b run --rm --network none "$A/test/multi" head /arch
	[ "$output" = amd64 ]
	run b pull --platform linux/arm64 "$A/test/multi"
	[ "$status" -eq 0 ]
	run b image inspect --format '{{.Architecture}}' "$A/test/multi"
	[ "$output" = arm64 ]
	# the repo digest is the index's, the one to pull this tag by again
	idx=$(skopeo inspect --raw --tls-verify=false "docker://$A/test/multi" | sha256sum | cut -d' ' -f1)
	run b images --digests --format '{{.Digest}}'
	[[ "$output" == *"sha256:$idx"* ]]
	run b pull --platform linux/s390x "$A/test/multi"
	[ "$status" -eq 125 ]
	[[ "$output" == *"no image for platform linux/s390x"*"linux/amd64, linux/arm64"* ]]
}

@test "run/create: --pull missing pulls once, never refuses, always pulls again" {
	run b run --rm --network none --pull never "$A/test/ml:oci" true
	[ "$status" -eq 125 ]
	run b run --rm --network none "$A/test/ml:oci" head /one
	[ "$status" -eq 0 ]
	[[ "$output" == *"Unable to find image"*"one" ]]
	# present: the registry is not asked
	n0=$(wc -l <"$T/A/log")
	run b run --rm --network none "$A/test/ml:oci" head /one
	[ "$output" = one ]
	[ "$(wc -l <"$T/A/log")" -eq "$n0" ]
	run b create --pull=always --network none "$A/test/ml:oci" true
	[ "$status" -eq 0 ]
	[[ "$output" == *"Already exists"* ]]
	b rm -f "${lines[-1]}" >/dev/null
	run b run --rm --network none --pull bogus "$A/test/ml:oci" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--pull"* ]]
}

@test "push: a committed image is pulled back by podman and skopeo; chunked upload; cross-repo mount" {
	b pull -q "$A/test/ml:oci" >/dev/null
	b run --name c1 --network none "$A/test/ml:oci" sh -c 'echo committed > /new'
	b commit c1 "$A/test/committed:v1" >/dev/null
	b rm c1 >/dev/null
	run b push "$A/test/committed:v1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Pushed"* ]]
	[[ "$output" == *"v1: digest: sha256:"* ]]
	# podman (its own store) pulls it and finds the new layer's file
	pmc pull -q --tls-verify=false "$A/test/committed:v1" >/dev/null
	run pmc image inspect --format '{{len .RootFS.Layers}}' "$A/test/committed:v1"
	[ "$output" = 4 ]
	skopeo copy -q --src-tls-verify=false "docker://$A/test/committed:v1" "oci:$T/back:v1"
	m=$(jq -r '.manifests[0].digest' "$T/back/index.json")
	top=$(jq -r '.layers[-1].digest' "$T/back/blobs/sha256/${m#sha256:}")
	jq -e '.layers[-1].mediaType == "application/vnd.oci.image.layer.v1.tar+gzip"' "$T/back/blobs/sha256/${m#sha256:}"
	gzip -dc "$T/back/blobs/sha256/${top#sha256:}" | tar -xOf - new | grep -qx committed
	rm -rf "$T/back"
	# --compression-format none: the store's tars as they are
	run b push --compression-format none "$A/test/committed:v1" "$A/test/plain:v1"
	[ "$status" -eq 0 ]
	skopeo inspect --raw --tls-verify=false "docker://$A/test/plain:v1" |
		jq -e '[.layers[].mediaType] | unique == ["application/vnd.oci.image.layer.v1.tar"]'
	pmc pull -q --tls-verify=false "$A/test/plain:v1" >/dev/null
	# another repository of the same registry: the blobs are mounted, not sent
	n0=$(wc -l <"$T/A/log")
	run b push "$A/test/committed:v1" "$A/test/copy:v1"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c 'Mounted from test/committed')" -eq 5 ]
	tail -n +"$n0" "$T/A/log" | grep -q 'POST /v2/test/copy/blobs/uploads/?mount='
	# small chunks (to another registry, which has none of the blobs): PATCH
	# uploads with Content-Range, then the closing PUT
	n0=$(wc -l <"$T/D/log")
	BERTH_PUSH_CHUNK_SIZE=100000 run b push --tls-verify=false "$A/test/committed:v1" "$D/test/chunked:v1"
	[ "$status" -eq 0 ]
	[ "$(tail -n +"$n0" "$T/D/log" | grep -c '"PATCH /v2/test/chunked/blobs/uploads/')" -gt 5 ]
	run pmc pull -q --tls-verify=false "$D/test/chunked:v1"
	[ "$status" -eq 0 ]
	# pushed image's digest is shown like a pulled one's
	run b images --digests --format '{{.Repository}} {{.Digest}}'
	[[ "$output" == *"$A/test/committed sha256:"* ]]
}

@test "auth: basic — anonymous refused, wrong password refused, login/logout, auth file 0600" {
	run b pull "$B/test/ml"
	[ "$status" -eq 125 ]
	[[ "$output" == *"unauthorized"* ]]
	run b login -u tester -p wrong "$B"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "berth: "*"unauthorized: wrong username or password"* ]]
	[ ! -e "$REGISTRY_AUTH_FILE" ]
	run sh -c "echo s3cret | '$BERTH_BIN' --root '$ROOT' login -u tester --password-stdin $B"
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$REGISTRY_AUTH_FILE")" = 600 ]
	jq -e --arg h "$B" '.auths[$h].auth' "$REGISTRY_AUTH_FILE"
	run b pull "$B/test/ml"
	[ "$status" -eq 0 ]
	run b logout "$B"
	[ "$status" -eq 0 ]
	rm -rf "$ROOT"
	run b pull "$B/test/ml"
	[ "$status" -eq 125 ]
	run b logout "$B"
	[ "$status" -eq 125 ]
}

@test "auth: bearer tokens — challenge, token endpoint, scopes; ~/.docker/config.json and credential helpers" {
	run b pull "$C/test/ml"
	[ "$status" -eq 125 ]
	[[ "$output" == *"unauthorized"* ]]
	run b login -u tester -p nope "$C"
	[ "$status" -eq 125 ]
	[[ "$output" == *"wrong username or password"* ]]
	run b login -u tester -p s3cret "$C"
	[ "$status" -eq 0 ]
	run b pull "$C/test/ml"
	[ "$status" -eq 0 ]
	grep -q 'scope=repository%3Atest%2Fml%3Apull' "$T/token.log"
	# push asks for pull,push
	run b push "$C/test/ml" "$C/test/pushed:latest"
	[ "$status" -eq 0 ]
	grep -q 'scope=repository%3Atest%2Fpushed%3Apull%2Cpush' "$T/token.log"
	b logout "$C"
	# Docker's file, as `docker login` writes it
	mkdir -p "$HOME/.docker"
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$C" "$(printf tester:s3cret | base64)" >"$HOME/.docker/config.json"
	rm -rf "$ROOT"
	run b pull "$C/test/ml"
	[ "$status" -eq 0 ]
	# a credential helper named by credHelpers (docker-credential-NAME get)
	mkdir -p "$T/bin"
	cat >"$T/bin/docker-credential-berthtest" <<-EOF
		#!/bin/sh
		read -r host
		echo "\$host" >>"$T/helper.log"
		[ "\$host" = "$C" ] || { echo "credentials not found in native keychain"; exit 1; }
		echo '{"ServerURL":"$C","Username":"tester","Secret":"s3cret"}'
	EOF
	chmod +x "$T/bin/docker-credential-berthtest"
	printf '{"auths":{},"credHelpers":{"%s":"berthtest"}}' "$C" >"$HOME/.docker/config.json"
	rm -rf "$ROOT"
	PATH=$T/bin:$PATH run b pull "$C/test/ml"
	[ "$status" -eq 0 ]
	grep -qx "$C" "$T/helper.log"
	# credsStore, for every registry; a helper that knows nothing is no error
	printf '{"auths":{},"credsStore":"berthtest"}' >"$HOME/.docker/config.json"
	PATH=$T/bin:$PATH run b pull "$A/test/ml:oci"
	[ "$status" -eq 0 ]
	rm -rf "$T/bin" "$T/helper.log"
}

@test "TLS: a self-signed CA is refused; trusted through certs.d/HOST:PORT/ca.crt; --tls-verify=false" {
	run b pull "$D/test/ml"
	[ "$status" -eq 125 ]
	[[ "$output" == *"certificate"* ]]
	mkdir -p "$T/certs.d/$D"
	cp "$T/tls/ca.crt" "$T/certs.d/$D/ca.crt"
	run b pull --cert-dir "$T/certs.d" "$D/test/ml"
	[ "$status" -eq 0 ]
	# HTTP/2, offered by the registry over TLS, was used
	grep -q '"GET /v2/test/ml/blobs/sha256:[0-9a-f]* HTTP/2.0" 200' "$T/D/log"
	rm -rf "$ROOT"
	run b pull --tls-verify=false "$D/test/ml"
	[ "$status" -eq 0 ]
	# the CA of another registry does not help
	mv "$T/certs.d/$D" "$T/certs.d/127.0.0.1:1"
	rm -rf "$ROOT"
	run b pull --cert-dir "$T/certs.d" "$D/test/ml"
	[ "$status" -eq 125 ]
}

@test "TLS: a client certificate from certs.d (client.cert, client.key)" {
	mkdir -p "$T/certs.d/$E"
	cp "$T/tls/ca.crt" "$T/certs.d/$E/"
	run b pull --cert-dir "$T/certs.d" "$E/test/ml"
	[ "$status" -eq 125 ]
	cp "$T/tls/client.cert" "$T/tls/client.key" "$T/certs.d/$E/"
	run b pull --cert-dir "$T/certs.d" "$E/test/ml"
	[ "$status" -eq 0 ]
	# a certificate without its key is an error of its own
	rm "$T/certs.d/$E/client.key"
	run b pull --cert-dir "$T/certs.d" "$E/test/ml"
	[ "$status" -eq 125 ]
	[[ "$output" == *"without its .key"* ]]
}

@test "registries file: default registry for short names, mirrors tried first, a failing mirror skipped" {
	cat >"$T/mirrors.json" <<-EOF
		{"default-registry": "$A",
		 "registries": {"$A": {"insecure": true, "mirrors": ["$D"]},
		                "127.0.0.1:9": {"mirrors": ["$A"]}}}
	EOF
	export BERTH_REGISTRIES_CONF=$T/mirrors.json
	# a short name goes to the default registry
	run b pull test/ml:oci
	[ "$status" -eq 0 ]
	[[ "$output" == *"from $A"* ]]
	run b images --format '{{.Repository}}:{{.Tag}}'
	[ "$output" = "$A/test/ml:oci" ]
	# nothing listens on 127.0.0.1:9: its mirror serves
	run b pull 127.0.0.1:9/test/ml:docker
	[ "$status" -eq 0 ]
	run b run --rm --network none 127.0.0.1:9/test/ml:docker head /one
	[ "$output" = one ]
	# A's mirror (D) is untrusted HTTPS: A itself serves
	run b pull "$A/test/mlz"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Pulling $A/test/mlz from $D"*"$D: "*"certificate"*"Pulling $A/test/mlz from $A"* ]]
	echo '{"registries": 3}' >"$T/bad.json"
	BERTH_REGISTRIES_CONF=$T/bad.json run b pull test/ml:oci
	[ "$status" -eq 125 ]
	[[ "$output" == *"registries config"* ]]
}

@test "safety: a blob corrupted on the registry's disk is a digest error and nothing is stored" {
	d=$(layer_digests "$T/corrupt" | tail -1)
	f="$T/A/store/docker/registry/v2/blobs/sha256/${d:7:2}/${d#sha256:}/data"
	[ -f "$f" ]
	cp "$f" "$T/blob.orig"
	printf 'XXXX' | dd of="$f" bs=1 seek=20 conv=notrunc 2>/dev/null
	run b pull "$A/test/corrupt"
	cp "$T/blob.orig" "$f"
	[ "$status" -eq 125 ]
	[ "$(echo "$output" | grep -c '^berth: ')" -eq 1 ]
	[[ "$output" == *"digest mismatch"* ]]
	[ "$(b images -q | wc -l)" -eq 0 ]
	store_tmp_clean
	# the corrupt layer's directory is not there (its diffID)
	[ ! -e "$ROOT/layers/$(jq -r '.rootfs.diff_ids[-1]' "$T/corrupt/blobs/sha256/$(jq -r .config.digest "$T/corrupt/blobs/sha256/$(jq -r '.manifests[0].digest' "$T/corrupt/index.json" | cut -c8-)" | cut -c8-)" | cut -c8-)" ]
	# and a malformed image (a diffID short) is one clear error too
	run b pull "$A/test/bad"
	[ "$status" -eq 125 ]
	[[ "$output" == *"malformed image: 3 layers but 2 diff_ids"* ]]
	[ "$(b images -q | wc -l)" -eq 0 ]
}

@test "resume: a cut connection is resumed with Range after a redirect" {
	$PY "$TOOLS/cut-proxy.py" "$PP" "$PA" "$T/proxy.log" 20000 &
	echo $! >"$T/proxy.pid"
	wait_port "$PP"
	: >"$T/proxy.log"
	run b pull "$PX/test/ml:oci"
	[ "$status" -eq 0 ]
	big=$(layer_digests "$T/ml" | head -1)
	grep -q "GET /v2/test/ml/blobs/$big - 307" "$T/proxy.log"
	grep -q "GET /_r/v2/test/ml/blobs/$big - 200" "$T/proxy.log"
	grep -q "GET /_r/v2/test/ml/blobs/$big bytes=20000- 206" "$T/proxy.log"
	run b run --rm --network none "$PX/test/ml:oci" head /one
	[ "$output" = one ]
	store_tmp_clean
}

@test "safety: a download cut again and again fails after its retries; nothing stored" {
	$PY "$TOOLS/cut-proxy.py" "$PP" "$PA" "$T/proxy.log" 20000 0 always &
	echo $! >"$T/proxy.pid"
	wait_port "$PP"
	: >"$T/proxy.log"
	run b pull "$PX/test/ml:oci"
	[ "$status" -eq 125 ]
	[ "$(echo "$output" | grep -c '^berth: ')" -eq 1 ]
	[[ "$output" == *"Retrying"* ]]
	big=$(layer_digests "$T/ml" | head -1)
	# the first try and five resumed ones
	[ "$(grep -c "GET /_r/v2/test/ml/blobs/$big" "$T/proxy.log")" -eq 6 ]
	[ "$(b images -q | wc -l)" -eq 0 ]
	[ -z "$(ls "$ROOT/tmp" | grep -E '^(blob|dir)-')" ]
	# what arrived is kept to resume from
	[ "$(stat -c %s "$ROOT/tmp/partial-${big#sha256:}")" -eq 120000 ]
}

@test "resume: a pull killed with SIGKILL, then pulled again, reuses what it had" {
	# a slow link: 16 KiB every 50 ms
	$PY "$TOOLS/cut-proxy.py" "$PP" "$PA" "$T/proxy.log" 0 0.05 &
	echo $! >"$T/proxy.pid"
	wait_port "$PP"
	: >"$T/proxy.log"
	big=$(layer_digests "$T/slow" | head -1)
	"$BERTH_BIN" --root "$ROOT" pull "$PX/test/slow" >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[ -s "$ROOT/tmp/partial-${big#sha256:}" ] && [ "$(stat -c %s "$ROOT/tmp/partial-${big#sha256:}")" -gt 100000 ] && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" || true
	have=$(stat -c %s "$ROOT/tmp/partial-${big#sha256:}")
	[ "$have" -gt 0 ]
	[ "$(b images -q | wc -l)" -eq 0 ]
	run b pull "$PX/test/slow"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Resuming"* ]]
	# the small layers finished before the kill: not fetched again
	[ "$(echo "$output" | grep -c 'Already exists')" -ge 2 ]
	grep -q "GET /_r/v2/test/slow/blobs/$big bytes=$have- 206" "$T/proxy.log"
	run b run --rm --network none "$PX/test/slow" head /extra
	[ "$output" = slow ]
	store_tmp_clean
}

@test "parallel: 10 pulls of images sharing layers fetch each layer once; the store is consistent" {
	n0=$(wc -l <"$T/A/log")
	pids=()
	for i in 1 2 3 4 5 1 2 3 4 5; do
		b pull -q "$A/test/s$i" >"$T/par-$i-$RANDOM.out" 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	rm -f "$T"/par-*.out
	[ "$(b images -q | sort -u | wc -l)" -eq 5 ]
	[ "$(ls "$ROOT/layers" | wc -l)" -eq 8 ]
	for i in 1 2 3 4 5; do
		for d in $(layer_digests "$T/s$i"); do
			c=$(tail -n +"$n0" "$T/A/log" | grep -c "\"GET /v2/test/s[0-9]/blobs/$d HTTP/1.1\" 200")
			[ "$c" -eq 1 ] || { echo "layer $d fetched $c times"; false; }
		done
		run b run --rm --network none "$A/test/s$i" head /extra
		[ "$output" = "shared $i" ]
	done
	store_tmp_clean
}

@test "progress: live lines on a terminal, plain lines otherwise, -q the ID only" {
	run $PY "$TOOLS/pty-drive.py" -- "$BERTH_BIN" --root "$ROOT" pull "$A/test/ml:oci"
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\e['*"A"* ]]
	[[ "$output" == *"Pull complete"* ]]
	rm -rf "$ROOT"
	run b pull "$A/test/ml:oci"
	[[ "$output" != *$'\e'* ]]
	[ "$(echo "$output" | grep -c ': Downloading')" -eq 3 ]
	rm -rf "$ROOT"
	run b pull -q "$A/test/ml:oci"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
}

@test "search: a registry's _catalog; names as Docker reads them" {
	run b search "$A/test/s"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$A/test/s1"* ]]
	[[ "$output" != *"test/ml"* ]]
	run b pull "UPPER/case"
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid reference format"* ]]
}
