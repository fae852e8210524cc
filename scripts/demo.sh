#!/usr/bin/env bash
# demo.sh - the main job, end to end, on this machine:
#   a vendor makes keys and publishes two components into a repository,
#   nginx serves it on loopback, the terminal's resident haishind starts,
#   `haishinctl download-now` installs them with a progress bar, the vendor
#   publishes an update, the terminal installs it (COMPLETED), a further
#   check finds nothing to do (UP_TO_DATE); then, during the clinic's quiet
#   hours, a forced fix goes in at once while an ordinary update waits, and
#   a technician pushes a signed bundle that installs with no server; status,
#   history and check-connection show what happened.
# Everything lives in a temporary directory, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

./scripts/setup.sh
build=${HAISHIN_DEMO_BUILD:-build/demo}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHAISHIN_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
publish="$top/$build/publish/haishin-publish"
haishind="$top/$build/daemon/haishind"
haishinctl="$top/$build/daemon/haishinctl"

# shellcheck source=nginx-lib.sh
source scripts/nginx-lib.sh
w=$(mktemp -d "${TMPDIR:-/tmp}/haishin-demo-XXXXXX")
chmod 755 "$w"
daemon_pid=""
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	nginx_stop "$w/nginx"
	rm -rf "$w"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() {
	printf '$ %s\n' "$*"
	"$@"
}
# ctl ARGS: runs haishinctl and shows its exit code.
ctl() {
	local rc=0
	printf '$ haishinctl %s\n' "$*"
	"$haishinctl" --socket "$w/terminal/haishind.sock" "$@" || rc=$?
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
mkdir -p src/cardreader/share
head -c 12000000 /dev/urandom >src/cardreader/share/card-tables.bin
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
[transfer]
max_rate = 4000000   # 4 MB/s, so the progress can be seen
[schedule]
boot_delay_max = 600 # the demo asks by itself: download-now
CONF
cat terminal/haishin.conf

step "Terminal: the resident daemon"
"$haishind" -c "$w/terminal/haishin.conf" >"$w/terminal/haishind.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 50); do
	[ -S terminal/haishind.sock ] && break
	sleep 0.1
done
ctl status

step "Terminal: download now installs both components"
ctl download-now
(cd terminal/install && find . -printf '%M %p%l\n' | sed 's/current\(.*\)/current -> \1/' | sort -k2)
run terminal/install/cardreader/current/bin/cardreader

step "Vendor: cardreader 1.1.0"
printf '#!/bin/sh\necho "card reader 1.1 (new card format)"\n' >src/cardreader/bin/cardreader
run "$publish" add repo cardreader 1.1.0 src/cardreader --restart none
run "$publish" sign repo --key manifest

step "Terminal: the update is installed"
ctl download-now
run terminal/install/cardreader/current/bin/cardreader

step "Terminal: nothing new"
ctl download-now

step "Vendor: an ordinary linkage update, and an urgent cardreader fix, forced"
echo "billing endpoint: https://billing.example/v2" >src/linkage/etc/linkage.conf
run "$publish" add repo linkage 3.3.0 src/linkage
printf '#!/bin/sh\necho "card reader 1.1.1 (security fix)"\n' >src/cardreader/bin/cardreader
run "$publish" add repo cardreader 1.1.1 src/cardreader --forced \
	--deadline "$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)"
run "$publish" sign repo --key manifest

step "Terminal: restarted inside the clinic's quiet hours"
quiet="$(date -d '-1 min' +%H:%M)-$(date -d '+2 hours' +%H:%M)"
kill "$daemon_pid"
wait "$daemon_pid" 2>/dev/null || true
sed -i "s/^boot_delay_max = .*/boot_delay_max = 0/" terminal/haishin.conf
printf 'quiet_hours = %s\n' "$quiet" >>terminal/haishin.conf
grep -A3 '^\[schedule\]' terminal/haishin.conf
"$haishind" -c "$w/terminal/haishin.conf" >>"$w/terminal/haishind.log" 2>&1 &
daemon_pid=$!
# The boot check: the forced fix is installed at once; linkage waits.
for _ in $(seq 1 100); do
	[ "$(readlink terminal/install/cardreader/current 2>/dev/null)" = 1.1.1 ] && break
	sleep 0.2
done
sleep 1
ctl history --limit 2
run terminal/install/cardreader/current/bin/cardreader

step "Vendor: a bundle for a site without the network"
run "$publish" bundle repo -o site.bundle
ls -l site.bundle

step "Technician: pushes the bundle (no server is needed for it)"
ctl push site.bundle
cat terminal/install/linkage/current/etc/linkage.conf

step "Terminal: what happened, and whether the server is reachable"
ctl status
ctl history
ctl verify
ctl check-connection

step "Terminal: automatic updates off for a while, then on again"
ctl disable --reason "clinic closed for renovation"
ctl status
ctl enable

step "Terminal: the daemon's log"
cat "$w/terminal/haishind.log"
