#!/usr/bin/env bash
# demo.sh - the main job, end to end, on this machine:
#   a vendor makes keys and publishes two components into a repository,
#   nginx serves it on loopback, a terminal's haishind --once installs them,
#   the vendor publishes an update, the terminal installs it (COMPLETED),
#   and a further check finds nothing to do (UP_TO_DATE).
# Everything lives in a temporary directory, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

./scripts/setup.sh
build=${HAISHIN_DEMO_BUILD:-build/demo}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHAISHIN_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
publish="$top/$build/manifest/tool/haishin-publish"
haishind="$top/$build/daemon/haishind"

# shellcheck source=nginx-lib.sh
source scripts/nginx-lib.sh
w=$(mktemp -d "${TMPDIR:-/tmp}/haishin-demo-XXXXXX")
chmod 755 "$w"
cleanup() {
	nginx_stop "$w/nginx"
	rm -rf "$w"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() {
	printf '$ %s\n' "$*"
	"$@"
}
# once: runs one cycle and shows its terminal state and exit code.
once() {
	local rc=0
	printf '$ haishind -c haishin.conf --once\n'
	"$haishind" -c "$w/terminal/haishin.conf" --once || rc=$?
	printf '(exit code %d)\n' "$rc"
}

step "Vendor: keys and a repository"
cd "$w"
run "$publish" keygen root
run "$publish" keygen manifest
run "$publish" init repo --root-key root --manifest-key manifest

step "Vendor: two components, version 1"
mkdir -p src/cardreader/bin src/linkage/etc
printf '#!/bin/sh\necho "card reader 1.0"\n' >src/cardreader/bin/cardreader
chmod 755 src/cardreader/bin/cardreader
echo "billing endpoint: https://billing.example/" >src/linkage/etc/linkage.conf
run "$publish" add repo cardreader 1.0.0 src/cardreader --restart app
run "$publish" add repo linkage 3.2.0 src/linkage
run "$publish" sign repo --key manifest

step "Server: nginx on loopback serves the repository as static files"
mkdir -p nginx
nginx_start "$w/nginx" "$w/repo"
echo "serving $w/repo at $NGINX_URL"

step "Terminal: configuration and the pinned root of trust"
mkdir -p terminal
cp repo/root.json terminal/root.json
cat >terminal/haishin.conf <<CONF
[server]
url = $NGINX_URL
[trust]
root = $w/terminal/root.json
[paths]
state = $w/terminal/state
cache = $w/terminal/cache
install = $w/terminal/install
socket = $w/terminal/haishind.sock
CONF
cat terminal/haishin.conf

step "Terminal: first check installs both components"
once
(cd terminal/install && find . -printf '%M %p%l\n' | sed 's/current\(.*\)/current -> \1/' | sort -k2)
run terminal/install/cardreader/current/bin/cardreader

step "Vendor: cardreader 1.1.0"
printf '#!/bin/sh\necho "card reader 1.1 (new card format)"\n' >src/cardreader/bin/cardreader
run "$publish" add repo cardreader 1.1.0 src/cardreader --restart none
run "$publish" sign repo --key manifest

step "Terminal: the update is installed"
once
run terminal/install/cardreader/current/bin/cardreader

step "Terminal: nothing new"
once

step "Distribution record (history)"
sqlite3 -header -column terminal/state/haishin.db \
	"select datetime(finished, 'unixepoch') as finished, component, from_version as 'from', to_version as 'to', bytes, state, reason from history order by id"
