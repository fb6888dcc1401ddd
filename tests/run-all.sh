#!/bin/bash
# Runs every berth test and ends with one line "N passed, N failed, N skipped"
# (a TAP line with a "# SKIP" directive counts as skipped, whether cmocka 1.1
# wrote it "not ok" or bats "ok"):
#  1. unit tests (cmocka, TAP) in the release build and under ASan+UBSan;
#  2. end-to-end tests (bats, as root, real containers) against build/berth-runtime;
#  3. libberth installed and used through pkg-config by a threaded program (tests/lib);
#  4. a fast part of the end-to-end suite against the ASan+UBSan build
#     (lifecycle with berth-runtime, the image tests with berth).
set -u
cd "$(dirname "$0")/.."
top=$PWD
passed=0
failed=0
skipped=0
failures=()

count_tap() { # label, file with TAP output
  local p f s skip='^(not )?ok [0-9]+[^#]*# [Ss][Kk][Ii][Pp]'
  s=$(grep -cE "$skip" "$2")
  p=$(grep -E '^ok ' "$2" | grep -cvE "$skip")
  f=$(grep -E '^not ok ' "$2" | grep -cvE "$skip")
  passed=$((passed + p))
  failed=$((failed + f))
  skipped=$((skipped + s))
  if [ "$f" -gt 0 ]; then
    failures+=("$1:")
    while IFS= read -r l; do failures+=("  $l"); done < <(grep -E '^not ok ' "$2" | grep -vE "$skip")
  fi
  echo "$1: $p passed, $f failed, $s skipped"
}

run_unit() { # build dir, label
  local out="$1/unit.tap" t
  : >"$out"
  for t in "$1"/test_*; do
    [ -f "$t" ] && [ -x "$t" ] || continue
    CMOCKA_MESSAGE_OUTPUT=TAP ASAN_OPTIONS=detect_leaks=1 "$t" >>"$out" 2>&1
    # A crash or sanitizer report without a TAP "not ok" line is a failure too.
    rc=$?
    if [ $rc -ne 0 ] && ! grep -q '^not ok' "$out"; then
      echo "not ok - $(basename "$t") exited with status $rc" >>"$out"
    fi
  done
  count_tap "$2" "$out"
}

run_unit build "unit"
[ -d build-asan ] && run_unit build-asan "unit (asan+ubsan)"

if [ "$(id -u)" = 0 ]; then
  # libberth as an engine uses it: installed, through pkg-config, threaded.
  tests/lib/run.sh build >build/libberth.tap 2>build/libberth.log
  count_tap "libberth (installed, pkg-config)" build/libberth.tap
  # again on a pure cgroup v2 view (clone3 into the cgroup, from the helper)
  BERTH_V2_RUNTIME=$top/tests/lib/run.sh tests/tools/pure-v2-view build \
    >build/libberth-v2.tap 2>build/libberth-v2.log
  count_tap "libberth (pure cgroup v2)" build/libberth-v2.tap
  bats --tap tests/e2e >build/e2e.tap 2>&1
  count_tap "e2e" build/e2e.tap
  if [ -x build-asan/berth-runtime ]; then
    RUNTIME=$top/build-asan/berth-runtime ASAN_OPTIONS=detect_leaks=1 \
      bats --tap tests/e2e/lifecycle.bats >build-asan/e2e.tap 2>&1
    count_tap "e2e (asan+ubsan)" build-asan/e2e.tap
  fi
  if [ -x build-asan/berth ]; then
    BERTH=$top/build-asan/berth ASAN_OPTIONS=detect_leaks=1 \
      bats --tap tests/e2e/image.bats tests/e2e/registry.bats >build-asan/e2e-image.tap 2>&1
    count_tap "e2e image (asan+ubsan)" build-asan/e2e-image.tap
  fi
  if [ -x build-asan/berth-fw ]; then
    BERTH_FW=$top/build-asan/berth-fw ASAN_OPTIONS=detect_leaks=1 \
      bats --tap tests/e2e/firewall.bats >build-asan/e2e-firewall.tap 2>&1
    count_tap "e2e firewall (asan+ubsan)" build-asan/e2e-firewall.tap
  fi
else
  echo "e2e: skipped (needs root)"
fi

if [ ${#failures[@]} -gt 0 ]; then
  printf '%s\n' "failures:" "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
