#!/usr/bin/env bash
# rollback.sh - haishinctl rollback and resume against a real haishind and
# nginx: app 1.0 then 2.0 installed; a rollback switches back to 1.0 (byte
# for byte), runs the restart command and 1.0's health check, ends
# COMPLETED and holds app: status says so, and neither download-now nor a
# scheduled check reinstalls 2.0 (STOPPED, with the hold's reason); a
# version not on disk is refused with nothing changed; resume lets 2.0 in
# again; a version newer than the one rolled back from goes in while held
# and lifts the hold; a rollback while an update runs is refused; a
# rollback is no check: the last check's time and a backoff stay; a peer
# that may only read is denied.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/faultserver-lib.sh"

HAISHINCTL="$HS_BIN/daemon/haishinctl"
SOCK="$W/client/h.sock"
DPID=""
trap 'stop_daemon; fault_stop "$W/fault"; cleanup' EXIT

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

# run_ctl ARGS...: haishinctl ARGS; sets RC and LAST (its last line).
run_ctl() {
	set +e
	ctl "$@" >"$W/ctl.out" 2>"$W/ctl.err"
	RC=$?
	set -e
	LAST=$(tail -n 1 "$W/ctl.out")
	[ -n "$LAST" ] || LAST=$(tail -n 1 "$W/ctl.err")
}

# config [EXTRA]: the client's configuration, with EXTRA appended.
config() {
	CLIENT_EXTRA="[paths]
socket = $SOCK
[schedule]
boot_delay_max = ${BOOT_DELAY:-3600}
[restart]
app = echo \"restart \$HAISHIN_VERSION\" >>'$W/restart.log'
${1:-}"
	client_config "${SERVER_URL:-$NGINX_URL}"
	sed -i "/^socket = .*haishind.sock$/d" "$W/client/haishin.conf"
}

# app_src VERSION: a tree whose health check logs its environment.
app_src() {
	mkdir -p "$W/src/app-$1/.haishin"
	echo "version $1" >"$W/src/app-$1/file"
	head -c 100000 /dev/urandom >"$W/src/app-$1/blob"
	cat >"$W/src/app-$1/.haishin/health" <<SH
#!/bin/sh
echo "health \$HAISHIN_COMPONENT \$HAISHIN_VERSION \$HAISHIN_PREVIOUS \$(pwd)" >>'$W/health.log'
SH
	chmod 755 "$W/src/app-$1/.haishin/health"
}

# requests_of VERSION: GETs nginx answered for app VERSION's package.
requests_of() {
	local url
	url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["components"]["app"]["versions"][sys.argv[2]]["url"])' "$W/repo/index.json" "$1")
	grep -c "GET /$url " "$W/nginx/access.log" || true
}

world_init
config
app_src 1.0
app_src 2.0
app_src 3.0
publish app 1.0 "$W/src/app-1.0"
start_daemon
run_ctl download-now
expect_state COMPLETED 0 "app 1.0 installed"
publish app 2.0 "$W/src/app-2.0"
run_ctl download-now
expect_state COMPLETED 0 "app 2.0 installed"
rm -f "$W/health.log" "$W/restart.log"
OUT=$(ctl --json status)
checked=$(json 'j["daemon"]["last_check"]')
sleep 1.1

# --- rollback to the previous version --------------------------------------
run_ctl rollback app
expect_state COMPLETED 0 "rolled back app 2.0 → 1.0 by hand; automatic updates of app are held until 'haishinctl resume app' or a version newer than 2.0"
grep -q "^INSTALLING app: switching from 2.0 to 1.0" "$W/ctl.out" &&
	pass "rollback: its progress is shown" || fail "rollback: no INSTALLING line: $(cat "$W/ctl.out")"
expect_same_tree "$W/client/install/app/current/" "$W/src/app-1.0/" "rollback: current is 1.0, byte for byte"
expect_eq "$(cat "$W/restart.log" 2>/dev/null)" "restart 1.0" "rollback: the restart command ran for 1.0"
expect_eq "$(cat "$W/health.log" 2>/dev/null)" "health app 1.0 2.0 $W/client/install/app/1.0" \
	"rollback: 1.0's health check ran in its directory with its environment"
OUT=$(ctl --json status)
expect_eq "$(json '[(b["what"], b["component"], b["from"], b["since"] is not None) for b in j["daemon"]["blocked_by"] if b["what"] == "held"]')" \
	"[('held', 'app', '2.0', True)]" "status: blocked_by says app is held, from 2.0, since when"
expect_eq "$(json '(j["components"][0]["installed"], j["components"][0]["held"]["from"], j["components"][0]["required"])')" \
	"('1.0', '2.0', False)" "status: app at 1.0, held"
expect_eq "$(json 'j["daemon"]["last_check"]')" "$checked" "status: a rollback is not a check"
ctl status >"$W/status.out"
grep -q "held after a rollback: app since .*rolled back from 2.0; 'haishinctl resume app' lifts it" "$W/status.out" &&
	pass "status for a person names the hold" || fail "status: $(cat "$W/status.out")"
env -u LANGUAGE LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 HAISHIN_LOCALEDIR="$HS_BIN/locale" \
	"$HAISHINCTL" --socket "$SOCK" status >"$W/status.ja" 2>&1 || true
grep -q "ロールバック後の保留: app は .* から保留中 (2.0 から戻しました); 'haishinctl resume app' で解除できます" "$W/status.ja" &&
	grep -q "UPDATE_AVAILABLE (保留中)" "$W/status.ja" &&
	pass "status in Japanese names the hold" || fail "status in Japanese: $(cat "$W/status.ja")"
OUT=$(ctl --json history --limit 1)
expect_eq "$(json '[j["attempts"][0][k] for k in ("trigger", "method", "component", "from", "to", "state")]')" \
	"['manual', 'rollback', 'app', '2.0', '1.0', 'COMPLETED']" "history: the rollback's row"

# --- held: download-now does not reinstall 2.0 ------------------------------
before=$(requests_of 2.0)
run_ctl download-now
expect_state STOPPED 78 "app is held at 1.0 since "
[[ "$LAST" == *"(rolled back from 2.0 by hand): 'haishinctl resume app' lifts it" ]] &&
	pass "download-now while held: the reason says why and how to lift it" || fail "held reason: $LAST"
expect_eq "$(requests_of 2.0)" "$before" "download-now while held: 2.0 is not downloaded again"
expect_same_tree "$W/client/install/app/current/" "$W/src/app-1.0/" "download-now while held: 1.0 stays"

# --- a version that is not on disk: refused, nothing changed ----------------
run_ctl rollback app 0.9
expect_state FAILED_INSTALL 73 "app 0.9 is not on disk; versions on disk: 1.0, 2.0"
expect_same_tree "$W/client/install/app/current/" "$W/src/app-1.0/" "a refused rollback changes nothing"
run_ctl rollback App
expect_eq "$RC" 64 "a name that is not a component's is a usage error"

# --- held: a scheduled check does not reinstall 2.0 either ------------------
stop_daemon
BOOT_DELAY=0 config
start_daemon
for _ in $(seq 1 100); do
	OUT=$(ctl --json history --limit 1)
	[ "$(json 'j["attempts"][0]["trigger"]')" = boot ] && break
	sleep 0.1
done
expect_eq "$(json '(j["attempts"][0]["trigger"], j["attempts"][0]["state"], "is held at 1.0" in j["attempts"][0]["reason"])')" \
	"('boot', 'STOPPED', True)" "the scheduled check while held: STOPPED, held"
expect_same_tree "$W/client/install/app/current/" "$W/src/app-1.0/" "the scheduled check while held: 1.0 stays"
stop_daemon
config
start_daemon

# --- resume: 2.0 goes in again ------------------------------------------------
run_ctl resume app
expect_eq "$RC:$LAST" "0:automatic updates of app go on again: the hold after the rollback from 2.0 is lifted" "resume lifts the hold"
OUT=$(ctl --json status)
expect_eq "$(json '[b for b in j["daemon"]["blocked_by"] if b["what"] == "held"]')" "[]" "status after resume: not held"
run_ctl download-now
expect_state COMPLETED 0 "app 2.0 installed"
expect_same_tree "$W/client/install/app/current/" "$W/src/app-2.0/" "after resume: current is 2.0, byte for byte"
run_ctl resume app
expect_eq "$RC:$LAST" "0:app was not held: nothing changed" "resume of a component not held"

# --- held, and a version newer than the one rolled back from --------------------
run_ctl rollback app 1.0
expect_state COMPLETED 0 "rolled back app 2.0 → 1.0 by hand"
publish app 3.0 "$W/src/app-3.0"
run_ctl download-now
expect_state COMPLETED 0 "app 3.0 installed; restarted with its [restart] command; the hold of app is lifted: 3.0 is newer than 2.0, the version rolled back from"
expect_same_tree "$W/client/install/app/current/" "$W/src/app-3.0/" "3.0 went in while held, byte for byte"
OUT=$(ctl --json status)
expect_eq "$(json '(j["components"][0]["held"], [b for b in j["daemon"]["blocked_by"] if b["what"] == "held"])')" \
	"(None, [])" "the newer version lifted the hold"

# --- a rollback while an update runs is refused -----------------------------------
stop_daemon
config "[transfer]
max_rate = 300000"
start_daemon
mkdir -p "$W/src/app-4.0"
head -c 3000000 /dev/urandom >"$W/src/app-4.0/blob"
publish app 4.0 "$W/src/app-4.0"
ctl download-now >"$W/dn.out" 2>&1 &
dn=$!
for _ in $(seq 1 100); do
	OUT=$(ctl --json status)
	[ "$(json 'j["daemon"]["state"]')" = DOWNLOADING ] && break
	sleep 0.1
done
run_ctl rollback app
expect_state STOPPED 78 "another update is running: run 'haishinctl rollback app' again when it has ended"
wait "$dn" || true
expect_eq "$(tail -n 1 "$W/dn.out" | cut -d' ' -f1-3)" "COMPLETED app 4.0" "the update under way went on"

# --- a rollback leaves the schedule's backoff as it is ------------------------
stop_daemon
fault_start "$W/fault" "$W/repo"
SERVER_URL=$FAULT_URL config
start_daemon
mkdir -p "$W/src/app-5.0"
echo "version 5.0" >"$W/src/app-5.0/file"
publish app 5.0 "$W/src/app-5.0"
fault_plan "/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["components"]["app"]["versions"]["5.0"]["url"])' "$W/repo/index.json")" \
	'[{"status": 503, "retry_after": "3600"}]'
run_ctl download-now
expect_state INTERRUPTED 75 "resumes at"
OUT=$(ctl --json status)
next=$(json 'j["daemon"]["next_check"]')
run_ctl rollback app
expect_state COMPLETED 0 "rolled back app 4.0 → 3.0 by hand"
OUT=$(ctl --json status)
expect_eq "$(json '(j["daemon"]["next_check"], sorted(b["what"] for b in j["daemon"]["blocked_by"]))')" \
	"('$next', ['backoff', 'boot_delay', 'held'])" "after a rollback the backoff and the next check stand"

# --- a peer that may only read is denied ----------------------------------------------
if [ "$(id -u)" = 0 ] && getent group nogroup >/dev/null && command -v setpriv >/dev/null; then
	stop_daemon
	config "[control]
group = nogroup"
	chmod o+x "$W/client"
	start_daemon
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$HAISHINCTL" --socket "$SOCK" "$@"; }
	set +e
	as_nobody rollback app >"$W/ctl.out" 2>&1
	RC=$?
	set -e
	LAST=$(tail -n 1 "$W/ctl.out")
	expect_state STOPPED 78 "permission denied: a rollback needs root"
	set +e
	OUT=$(as_nobody --json rollback app 2>/dev/null)
	set -e
	expect_eq "$(json '(j["code"], j["state"], j["exit"])')" "('denied', 'STOPPED', 78)" \
		"rollback refused: --json end line has code, state and exit"
	set +e
	as_nobody resume app >/dev/null 2>&1
	RC=$?
	set -e
	expect_eq "$RC" 77 "resume refused with 77"
	expect_same_tree "$W/client/install/app/current/" "$W/src/app-3.0/" "a denied rollback changes nothing"
else
	skip "a peer that may only read may not roll back or resume (needs root, group nogroup and setpriv)"
fi

finish
