#!/usr/bin/env bash
# health.sh - packages with .haishin/ hooks, made by haishin-publish and
# served by a real nginx, installed by haishind --once: a health check that
# fails switches back (FAILED_INSTALL, exit 73, the check and its last line
# named), that version is not downloaded again, and haishinctl status
# --json shows the health and the block; a set whose second member fails
# is reverted whole; the [restart] command runs after the switch and again
# after a switch back, and an app restarted by it ends COMPLETED.
source "$(dirname "$0")/lib.sh"

HAISHINCTL="$HS_BIN/daemon/haishinctl"
SOCK="$W/client/haishind.sock"
INSTALL="$W/client/install"
DPID=""
trap 'stop_daemon; cleanup' EXIT

ctl() {
	"$HAISHINCTL" --socket "$SOCK" "$@"
}

start_daemon() {
	"$HAISHIND" -c "$W/client/haishin.conf" >>"$W/daemon.log" 2>&1 &
	DPID=$!
	for _ in $(seq 1 100); do
		[ -S "$SOCK" ] && ctl status >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "the daemon did not come up"
	cat "$W/daemon.log" >&2
	return 1
}

stop_daemon() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null || true
	wait "$DPID" 2>/dev/null || true
	DPID=""
}

# json EXPR: evaluates a Python expression on the JSON in $OUT (j).
json() {
	python3 -c 'import json, sys; j = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$OUT" "$1"
}

# make_pkg NAME VERSION HEALTH: a tree whose health check runs HEALTH (a
# shell line), with a pre-install and post-install that log themselves.
make_pkg() {
	local d=$W/src/$1-$2
	mkdir -p "$d/.haishin" "$d/bin"
	printf '#!/bin/sh\necho %s %s\n' "$1" "$2" >"$d/bin/$1"
	head -c 20000 /dev/urandom >"$d/bin/data"
	printf '#!/bin/sh\necho "pre-install $HAISHIN_COMPONENT $HAISHIN_VERSION" >>%s/hooks.log\n' \
		"$W" >"$d/.haishin/pre-install"
	printf '#!/bin/sh\necho "post-install $HAISHIN_COMPONENT $HAISHIN_VERSION" >>%s/hooks.log\n' \
		"$W" >"$d/.haishin/post-install"
	printf '#!/bin/sh\n%s\n' "$3" >"$d/.haishin/health"
	chmod 755 "$d/.haishin/pre-install" "$d/.haishin/post-install" \
		"$d/.haishin/health" "$d/bin/$1"
}

# app_gets: how many files of app (packages, deltas) nginx served.
app_gets() {
	grep -c '^GET /packages/app/' "$W/nginx/access.log" || true
}

world_init
CLIENT_EXTRA="[install]
hook_timeout = 10
health_tries = 2
health_interval = 1
[restart]
app = echo \"\$HAISHIN_VERSION \$(readlink $INSTALL/app/current)\" >>$W/restarts.log
[schedule]
boot_delay_max = 86400"
client_config "$NGINX_URL"

# --- a health check that fails --------------------------------------------
make_pkg app 1.0 'echo "app 1.0 ready"'
publish app 1.0 "$W/src/app-1.0" --restart app
once
expect_state COMPLETED 0 "app 1.0 installed; restarted with its [restart] command"
expect_same_tree "$INSTALL/app/current/" "$W/src/app-1.0/" "app 1.0 installed byte-exact, with its hooks"

make_pkg app 2.0 'echo "checking 127.0.0.1:8080"; echo "port 8080 refused" >&2; exit 1'
publish app 2.0 "$W/src/app-2.0"
once
expect_state FAILED_INSTALL 73 "health check of app 2.0 failed after 2 tries: exit status 1: port 8080 refused; app 1.0 is active again"
expect_same_tree "$INSTALL/app/current/" "$W/src/app-1.0/" "app 1.0 is active again, byte-exact"
[ ! -e "$INSTALL/app/2.0" ] && pass "the failed 2.0 is removed" || fail "app/2.0 is still there"
expect_eq "$(grep -E '^(pre|post)-install app 2.0$' "$W/hooks.log" | tr '\n' '|')" \
	"pre-install app 2.0|post-install app 2.0|" "pre-install, then post-install of 2.0 ran once"
expect_eq "$(tr '\n' '|' <"$W/restarts.log")" "1.0 1.0|2.0 2.0|1.0 1.0|" \
	"the restart command ran after each switch, and again for 1.0 after the switch back"

gets=$(app_gets)
expect_eq "$gets" 2 "app 1.0 and 2.0 were downloaded once each"
once
expect_state FAILED_INSTALL 73 "app 2.0 is not tried again: its install failed at"
[[ "$LAST" == *"(health check of app 2.0 failed after 2 tries: exit status 1: port 8080 refused); waiting for a newer version" ]] &&
	pass "the reason says why and what it waits for" || fail "reason: $LAST"
expect_eq "$(app_gets)" "$gets" "the failed version is not downloaded again"

start_daemon
OUT=$(ctl --json status)
expect_eq "$(json '[(c["health"]["ok"], c["health"]["detail"]) for c in j["components"] if c["name"] == "app"]')" \
	"[(False, '2.0: exit status 1: port 8080 refused')]" "status --json: app's last health check"
expect_eq "$(json '[b for b in j["daemon"]["blocked_by"] if b["what"] == "failed_version"]')" \
	"[{'what': 'failed_version', 'component': 'app', 'version': '2.0', 'until': None}]" \
	"status --json: blocked_by names the failed version"
TEXT=$(LANG=C.UTF-8 ctl status)
[[ "$TEXT" == *"a version that failed to install: app 2.0 (waiting for a newer version)"* ]] &&
	pass "haishinctl status prints the failed version" || fail "status: $TEXT"
[[ "$TEXT" == *"FAILED 2.0: exit status 1: port 8080 refused"* ]] &&
	pass "haishinctl status prints the failed health check" || fail "status: $TEXT"
stop_daemon

# --- the next version, restarted by its command: COMPLETED ------------------
make_pkg app 2.1 'echo "app 2.1 listening"'
publish app 2.1 "$W/src/app-2.1"
once
expect_state COMPLETED 0 "app 2.1 installed; restarted with its [restart] command"
expect_same_tree "$INSTALL/app/current/" "$W/src/app-2.1/" "app 2.1 installed byte-exact"
expect_eq "$(tail -n 1 "$W/restarts.log")" "2.1 2.1" "the restart command saw 2.1 switched in"

# --- a set: the second member fails, both are reverted ------------------------
make_pkg lib 1.0 'exit 0'
make_pkg ui 1.0 'exit 0'
publish lib 1.0 "$W/src/lib-1.0" --set till
publish ui 1.0 "$W/src/ui-1.0" --set till
once
expect_state COMPLETED 0 "ui 1.0 installed"
make_pkg lib 2.0 'exit 0'
make_pkg ui 2.0 'echo "ui needs lib 3"; exit 1'
publish lib 2.0 "$W/src/lib-2.0"
publish ui 2.0 "$W/src/ui-2.0"
once
expect_state FAILED_INSTALL 73 "ui: health check of ui 2.0 failed after 2 tries: exit status 1: ui needs lib 3; ui 1.0 is active again"
[[ "$LAST" == *"lib: reverted with its set 'till': health check of ui 2.0 failed"*"; lib 1.0 is active again"* ]] &&
	pass "lib says it was reverted with its set" || fail "line: $LAST"
expect_same_tree "$INSTALL/lib/current/" "$W/src/lib-1.0/" "lib 1.0 is active again, byte-exact"
expect_same_tree "$INSTALL/ui/current/" "$W/src/ui-1.0/" "ui 1.0 is active again, byte-exact"
expect_eq "$(sqlite3 "$W/client/state/haishin.db" "select name || ' ' || version from installed where name in ('lib', 'ui') order by name" | tr '\n' '|')" \
	"lib 1.0|ui 1.0|" "the database still records both at 1.0"
start_daemon
OUT=$(ctl --json status)
expect_eq "$(json 'sorted((c["name"], c["set"]) for c in j["components"] if c["set"])')" \
	"[('lib', 'till'), ('ui', 'till')]" "status --json: both are in set 'till'"
stop_daemon

finish
