#!/bin/bash
# Installs libberth into a temporary root (meson install --destdir), builds
# tests/lib/test_libberth.c against the INSTALLED headers and library with
# pkg-config only, and runs it (TAP on stdout).  As root.
# usage: tests/lib/run.sh [BUILD_DIR]
# (a sanitizer build: LIBTEST_PRELOAD="$(gcc -print-file-name=libasan.so)")
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
tmp=$(mktemp -d /tmp/berth-libtest.XXXXXX)
root="$tmp/state"
cleanup() {
	local id
	for id in $(ls "$root" 2>/dev/null | sed -n 's/\.json$//p'); do
		"$build/berth-runtime" --root "$root" delete --force "$id" >/dev/null 2>&1
	done
	rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT
fail() { echo "1..1"; echo "not ok 1 - libberth: $*"; exit 1; }

meson install -C "$build" --destdir "$tmp/inst" --no-rebuild --quiet >"$tmp/install.log" 2>&1 ||
	fail "meson install: $(tail -3 "$tmp/install.log")"
pc=$(dirname "$(find "$tmp/inst" -name berth.pc | head -1)")
[ -n "$pc" ] || fail "no berth.pc installed"
export PKG_CONFIG_PATH=$pc PKG_CONFIG_SYSROOT_DIR=$tmp/inst
flags=$(pkg-config --cflags --libs berth) || fail "pkg-config berth"
# Nothing but the installed prefix on the include path: no internal header.
cc -std=gnu11 -Wall -Wextra -Werror -o "$tmp/test_libberth" "$top/tests/lib/test_libberth.c" \
	$flags -lpthread 2>"$tmp/cc.log" || fail "compile: $(head -5 "$tmp/cc.log")"
libdir=$(dirname "$(find "$tmp/inst" -name 'libberth.so.0' | head -1)")

# A busybox rootfs (as tests/e2e/helpers.bash make_rootfs) and a config
# whose command the test fills in.
r="$tmp/rootfs"
mkdir -p "$r"/{bin,dev,proc,sys,tmp,etc}
cp /bin/busybox "$r/bin/busybox"
for a in sh echo sleep true cat; do ln -s busybox "$r/bin/$a"; done
mkdir -p "$tmp/spec"
(cd "$tmp/spec" && "$build/berth-runtime" spec) || fail "berth-runtime spec"
jq --arg root "$r" '.root.path = $root | .process.terminal = false
	| .process.args = ["sh", "-c", "@CMD@"]' "$tmp/spec/config.json" >"$tmp/config.tmpl" ||
	fail "jq"
# LIBTEST_PRELOAD: e.g. libasan.so for a sanitizer build of the library.
# LIBTEST_MODE=single-threaded: no second thread (to time the direct clone).
LD_PRELOAD=${LIBTEST_PRELOAD:-} LD_LIBRARY_PATH=$libdir "$tmp/test_libberth" "$root" "$tmp/config.tmpl" \
	${LIBTEST_MODE:-}
