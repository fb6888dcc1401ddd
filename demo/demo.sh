#!/bin/bash
# The seed's first steps, done by berth-runtime: a root filesystem of its own
# (busybox), its own mount, PID, UTS, IPC and network namespaces, /proc fresh,
# and nothing left on the host afterwards.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
rt=$top/build/berth-runtime
work=$(mktemp -d /tmp/berth-demo.XXXXXX)
root=$work/state
trap '"$rt" --root "$root" delete --force berth-demo >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "a busybox root filesystem (Debian's busybox-static) in $work/bundle"
mkdir -p "$work/bundle/rootfs/bin"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$work/bundle/rootfs/bin/$a"; done
cd "$work/bundle"
"$rt" spec
# The seed's container: own hostname, a shell script as the process.
jq '.process.terminal = false | .hostname = "berth-demo" |
    .process.args = ["sh", "-c", "echo \"pid: $$  hostname: $(hostname)\"; echo processes:; ps; echo mounts:; cat /proc/self/mounts; echo network:; ip -o link"]' \
  config.json >config.new && mv config.new config.json

step "berth-runtime run berth-demo (the process is PID 1 in its own namespaces)"
"$rt" --root "$root" run berth-demo

step "lifecycle: create, state, start, delete"
jq '.process.args = ["sleep", "30"]' config.json >config.new && mv config.new config.json
"$rt" --root "$root" create berth-demo
"$rt" --root "$root" state berth-demo | jq -c '{id, status, pid}'
"$rt" --root "$root" start berth-demo
"$rt" --root "$root" state berth-demo | jq -c '{id, status, pid}'
echo "host mounts naming the container's rootfs: $(grep -c "$work" /proc/self/mountinfo || true)"
"$rt" --root "$root" kill berth-demo KILL
sleep 0.2
"$rt" --root "$root" state berth-demo | jq -c '{id, status}'
"$rt" --root "$root" delete berth-demo
"$rt" --root "$root" list
echo "demo done"
