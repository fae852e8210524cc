#!/usr/bin/env bash
# forced.sh - required updates and the schedule, with a resident haishind:
# during quiet hours an ordinary update waits (recorded STOPPED, naming what
# waits) while a forced one goes in at once; with automatic updates off the
# scheduled check still looks and reports the required update (STOPPED);
# once on again, a required update known from the last manifest does not
# wait for the boot delay (trigger "forced"), and history says why.
source "$(dirname "$0")/lib.sh"

SOCK="$W/client/h.sock"
trap 'stop_daemon; cleanup' EXIT

# schedule BOOT_DELAY [QUIET]: rewrites the [schedule] section.
schedule() {
	sed -i '/^\[schedule\]$/,$d' "$W/client/haishin.conf"
	printf '[schedule]\nboot_delay_max = %s\n' "$1" >>"$W/client/haishin.conf"
	[ -z "${2:-}" ] || printf 'quiet_hours = %s\n' "$2" >>"$W/client/haishin.conf"
}

# newest N: waits until the history has N rows, then puts the newest in $ROW
# as "trigger|component|state|reason".
newest() {
	for _ in $(seq 1 150); do
		[ "$(sqlite3 "$W/client/state/haishin.db" 'select count(*) from history' 2>/dev/null || echo 0)" -ge "$1" ] && break
		sleep 0.1
	done
	ROW=$(sqlite3 "$W/client/state/haishin.db" \
		"select trigger || '|' || component || '|' || state || '|' || reason from history order by id desc limit 1")
}

json() {
	python3 -c 'import json, sys; j = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$OUT" "$1"
}

world_init
CLIENT_EXTRA="[paths]
socket = $SOCK"
client_config "$NGINX_URL"
sed -i "/^socket = .*haishind.sock$/d" "$W/client/haishin.conf"
quiet="$(date -d '-2 min' +%H:%M)-$(date -d '+2 hours' +%H:%M)"
mkdir -p "$W/src"
for v in 1.0 1.1 1.2; do
	mkdir -p "$W/src/app-$v"
	echo "app $v" >"$W/src/app-$v/file"
done

# --- quiet hours: an ordinary update waits, and says so -----------------------
publish app 1.0 "$W/src/app-1.0"
schedule 0 "$quiet"
start_daemon
newest 1
expect_eq "$ROW" "boot||STOPPED|quiet hours until $(date -d '+2 hours' +%H:%M); waiting: app - → 1.0" \
	"quiet hours: the boot check records what waits"
[ ! -e "$W/client/install/app" ] && pass "quiet hours: nothing installed" || fail "installed during quiet hours"
stop_daemon

# --- quiet hours: a forced entry does not wait --------------------------------
publish app 1.1 "$W/src/app-1.1" --forced
start_daemon
newest 3
expect_eq "$(sqlite3 "$W/client/state/haishin.db" "select trigger || '|' || state || '|' || reason from history where component = 'app'")" \
	"boot|COMPLETED|app 1.1 installed (forced by its publisher)" \
	"quiet hours: the forced entry is installed at the boot check"
expect_eq "$(cat "$W/client/install/app/current/file")" "app 1.1" "app 1.1 is active"
stop_daemon

# --- off: the scheduled check still looks, and names the required update ------
publish app 1.2 "$W/src/app-1.2" --minimum 1.2
schedule 3600 # no boot check while it is being disabled
start_daemon
ctl disable --reason "clinic closed" >/dev/null
stop_daemon
schedule 0
n=$(sqlite3 "$W/client/state/haishin.db" 'select count(*) from history')
start_daemon
newest $((n + 1))
expect_eq "$ROW" "boot||STOPPED|automatic updates are disabled: clinic closed; waiting: app 1.1 → 1.2 (required)" \
	"off: STOPPED, naming the required update"
expect_eq "$(cat "$W/client/install/app/current/file")" "app 1.1" "off: nothing installed"
OUT=$(ctl --json status)
expect_eq "$(json '[(c["name"], c["state"], c["required"]) for c in j["components"]]')" "[('app', 'BELOW_MINIMUM', True)]" \
	"status: app is below its minimum, required"
set +e
ctl verify >/dev/null
RC=$?
set -e
expect_eq "$RC" 1 "verify fails while app is below its minimum"
stop_daemon

# --- on again: a known required update does not wait for the boot delay -------
schedule 3600
start_daemon
n=$(sqlite3 "$W/client/state/haishin.db" 'select count(*) from history')
ctl enable >/dev/null
newest $((n + 1))
expect_eq "$ROW" "forced|app|COMPLETED|app 1.2 installed (required: 1.1 was below the minimum 1.2)" \
	"on, with a one-hour boot delay: the required update went in at once"
OUT=$(ctl --json status)
expect_eq "$(json '__import__("calendar").timegm(__import__("time").strptime(j["daemon"]["next_check"], "%Y-%m-%dT%H:%M:%SZ")) - __import__("time").time() > 20000')" True \
	"that check counts: the next is an interval later"
set +e
ctl verify >/dev/null
RC=$?
set -e
expect_eq "$RC" 0 "verify passes again"
stop_daemon

finish
