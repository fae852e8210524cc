#!/usr/bin/env bash
# selfupdate.sh - haishin updating itself, against a real nginx.  The
# packages of the component haishin hold this build's own haishind (copied
# in as sbin/haishind) and haishinctl, or, for the failures, a sbin/haishind
# that sleeps, exits 1 or runs a haishind from elsewhere.  It proves:
#   - a first install of haishin is handed over to: the old daemon exits 0,
#     the new pid answers, runs INSTALL/haishin/0.1.0/sbin/haishind and says
#     so, and was named the service's main process (MAINPID=);
#   - a started haishind runs the active haishin in its place (/proc/PID/exe),
#     --once too, and HAISHIN_ACTIVE=1 keeps it from doing so;
#   - an update 0.1.0 -> 0.2.0 is handed over to and recorded;
#   - a new haishind that never answers, that exits 1, or that answers as
#     another executable is killed within [install] self_update_timeout, the
#     previous haishin is active again (byte for byte), FAILED_INSTALL says
#     why, and the old daemon answers status as before;
#   - a hand-over cut off by kill -9 is put back at the next start;
#   - a version whose hand-over failed or was cut off is not tried again
#     (FAILED_INSTALL "haishin V is not tried again: ...") until a newer one.
source "$(dirname "$0")/lib.sh"

HAISHINCTL="$HS_BIN/daemon/haishinctl"
SOCK="$W/client/h.sock"
INST="$W/client/install"
STATE="$W/client/state"
TIMEOUT=8
DPID=""
LPID=""
trap 'stop_all; cleanup' EXIT

ctl() {
	"$HAISHINCTL" --socket "$SOCK" "$@"
}

# json EXPR: evaluates a Python expression on the JSON in $OUT (j).
json() {
	python3 -c 'import json, sys; j = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$OUT" "$1"
}

# answering: NOW is the pid that answers status now ("" when none does),
# and OUT its answer.
answering() {
	NOW=""
	OUT=$(ctl --json status 2>/dev/null) || return 0
	NOW=$(json 'j["daemon"]["pid"]')
}

# wait_answer [NOT_PID]: waits up to 40 s for a daemon (other than NOT_PID)
# to answer: NOW is its pid ("" when none did), OUT its answer.
wait_answer() {
	for _ in $(seq 1 400); do
		answering
		[ -n "$NOW" ] && [ "$NOW" != "${1:-}" ] && return 0
		sleep 0.1
	done
	NOW=""
}

# gone PID: waits up to 20 s for PID to end; false when it did not.
gone() {
	for _ in $(seq 1 200); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

start_daemon() {
	NOTIFY_SOCKET="$W/notify.sock" "$HAISHIND" -c "$W/client/haishin.conf" >>"$W/daemon.log" 2>&1 &
	DPID=$!
}

# stop_pid PID: SIGTERM to a daemon this test started (or handed over to).
stop_pid() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || true
	gone "$1" || kill -KILL "$1" 2>/dev/null || true
}

stop_all() {
	answering
	stop_pid "$NOW"
	stop_pid "$DPID"
	[ -n "$LPID" ] && kill "$LPID" 2>/dev/null || true
	LPID=""
	if [ -f "$W/sleeper.pid" ]; then
		kill -KILL -- "-$(cat "$W/sleeper.pid")" 2>/dev/null || true
	fi
	return 0
}

# The newest history row of haishin, as "STATE REASON".
last_haishin() {
	OUT=$(ctl --json history --component haishin --limit 1)
	json 'j["attempts"][0]["state"] + " " + j["attempts"][0]["reason"]'
}

# mkpkg VERSION KIND: a haishin package tree in $W/src/haishin-VERSION with
# KIND's sbin/haishind: real (this build's haishind, copied), sleeps (never
# answers), exit1, other (runs this build's haishind from where it is).
mkpkg() {
	local d=$W/src/haishin-$1
	mkdir -p "$d/sbin" "$d/bin" "$d/share/haishin"
	cp "$HS_BIN/daemon/haishinctl" "$d/bin/haishinctl"
	echo "haishin $1" >"$d/share/haishin/VERSION"
	case $2 in
	real) cp "$HAISHIND" "$d/sbin/haishind" ;;
	sleeps) printf '#!/bin/sh\necho $$ >%s/sleeper.pid\nwhile :; do sleep 1; done\n' "$W" >"$d/sbin/haishind" ;;
	exit1) printf '#!/bin/sh\necho "haishind %s: cannot start: broken on purpose" >&2\nexit 1\n' "$1" >"$d/sbin/haishind" ;;
	other) printf '#!/bin/sh\nexec %s "$@"\n' "$HAISHIND" >"$d/sbin/haishind" ;;
	esac
	chmod 755 "$d/sbin/haishind"
	publish haishin "$1" "$d"
}

download_now() {
	set +e
	ctl download-now >"$W/dn.out" 2>&1
	RC=$?
	set -e
	LAST=$(tail -n 1 "$W/dn.out")
}

world_init
CLIENT_EXTRA="[paths]
socket = $SOCK
[schedule]
boot_delay_max = 3600
[install]
self_update_timeout = $TIMEOUT"
client_config "$NGINX_URL"
sed -i "/^socket = .*haishind.sock$/d" "$W/client/haishin.conf"
BUILD_EXE=$(readlink -f "$HAISHIND")

# A service manager's notification socket: what haishind tells it.
python3 - "$W/notify.sock" "$W/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(4096).decode() + "\n")
        f.flush()
PY
LPID=$!
for _ in $(seq 1 50); do [ -S "$W/notify.sock" ] && break; sleep 0.1; done

# --- a first install of haishin is handed over to ---------------------------
start_daemon
wait_answer
P0=$NOW
expect_eq "$P0" "$DPID" "the daemon from the build answers"
expect_eq "$(json 'j["daemon"]["haishin"]')" None "status: it is no installed haishin"
expect_eq "$(json 'j["daemon"]["executable"]')" "$BUILD_EXE" "status: it names its executable"
mkpkg 0.1.0 real
download_now
expect_state COMPLETED 0 "haishin 0.1.0 installed"
if gone "$P0"; then
	set +e
	wait "$P0"
	rc=$?
	set -e
	expect_eq "$rc" 0 "the old daemon exits 0 after the hand-over"
else
	fail "the old daemon did not exit after the hand-over"
fi
DPID=""
wait_answer
P1=$NOW
[ -n "$P1" ] && [ "$P1" != "$P0" ] && pass "a new pid answers ($P1)" || fail "no new daemon answers: $(tail -n 5 "$W/daemon.log")"
expect_eq "$(json 'j["daemon"]["haishin"]')" 0.1.0 "status: the new daemon is haishin 0.1.0"
expect_eq "$(json 'j["daemon"]["executable"]')" "$INST/haishin/0.1.0/sbin/haishind" \
	"status: its executable is the package's"
expect_eq "$(readlink "/proc/$P1/exe")" "$INST/haishin/0.1.0/sbin/haishind" \
	"/proc: the new process runs INSTALL/haishin/0.1.0/sbin/haishind"
grep -qx "MAINPID=$P1" "$W/notify.log" && pass "the service manager was told MAINPID=$P1" ||
	fail "no MAINPID=$P1 in: $(cat "$W/notify.log")"
for _ in $(seq 1 50); do
	[[ "$(last_haishin)" == COMPLETED*"handed over"* ]] && break
	sleep 0.1
done
expect_eq "$(last_haishin)" "COMPLETED the haishind that installed haishin 0.1.0 handed over to it" \
	"history: the hand-over is recorded by the new daemon"
[ ! -e "$STATE/handover" ] && pass "no hand-over marker is left" || fail "STATE/handover is left"
stop_pid "$P1"

# --- the start-up exec of the active haishin ---------------------------------
mkdir -p "$INST/haishin/9.9.9/sbin"
printf '#!/bin/sh\necho "$0 $* ACTIVE=$HAISHIN_ACTIVE" >%s/probe.out\n' "$W" >"$INST/haishin/9.9.9/sbin/haishind"
chmod 755 "$INST/haishin/9.9.9/sbin/haishind"
ln -sfn 9.9.9 "$INST/haishin/current"
once
expect_eq "$(cat "$W/probe.out" 2>/dev/null)" \
	"$INST/haishin/current/sbin/haishind -c $W/client/haishin.conf --once ACTIVE=1" \
	"--once runs the active haishin in its place, with HAISHIN_ACTIVE=1"
rm -f "$W/probe.out"
set +e
HAISHIN_ACTIVE=1 "$HAISHIND" -c "$W/client/haishin.conf" --once >"$W/once.out" 2>"$W/once.err"
set -e
[ ! -e "$W/probe.out" ] && pass "HAISHIN_ACTIVE=1: it runs itself" || fail "HAISHIN_ACTIVE=1 still ran the active haishin"
ln -sfn 0.1.0 "$INST/haishin/current"
rm -rf "$INST/haishin/9.9.9"
start_daemon
wait_answer
P1=$NOW
expect_eq "$P1" "$DPID" "the started daemon keeps its pid"
expect_eq "$(readlink "/proc/$DPID/exe")" "$INST/haishin/0.1.0/sbin/haishind" \
	"/proc: the build's haishind runs the active haishin in its place"
expect_eq "$(json 'j["daemon"]["haishin"]')" 0.1.0 "status: it is haishin 0.1.0"

# --- 0.1.0 -> 0.2.0 is handed over to -------------------------------------------
mkpkg 0.2.0 real
download_now
expect_state COMPLETED 0 "haishin 0.2.0 installed"
gone "$P1" && pass "the 0.1.0 daemon exits" || fail "the 0.1.0 daemon did not exit"
DPID=""
wait_answer "$P1"
P2=$NOW
expect_eq "$(json 'j["daemon"]["haishin"]')" 0.2.0 "status: the new daemon is haishin 0.2.0"
expect_eq "$(readlink "/proc/$P2/exe")" "$INST/haishin/0.2.0/sbin/haishind" \
	"/proc: it runs INSTALL/haishin/0.2.0/sbin/haishind"
for _ in $(seq 1 50); do
	[[ "$(last_haishin)" == COMPLETED*"handed over"* ]] && break
	sleep 0.1
done
expect_eq "$(last_haishin)" "COMPLETED haishin 0.1.0 handed over to 0.2.0" "history: handed over"

# fails KIND VERSION TEXT: publishes a haishin that cannot take over; the
# 0.2.0 daemon ($P2) puts 0.2.0 back within the timeout, records TEXT and
# serves again.
fails() {
	local kind=$1 v=$2 text=$3 t0
	mkpkg "$v" "$kind"
	t0=$(date +%s)
	download_now
	expect_state COMPLETED 0 "haishin $v installed"
	for _ in $(seq 1 400); do
		answering
		[ -n "$NOW" ] && [[ "$(last_haishin)" == "FAILED_INSTALL the new haishin $v "* ]] && break
		sleep 0.1
	done
	expect_eq "$NOW" "$P2" "$kind: the 0.2.0 daemon answers status again"
	[ $(($(date +%s) - t0)) -le $((TIMEOUT + 10)) ] && pass "$kind: back within the timeout" ||
		fail "$kind: back only after $(($(date +%s) - t0)) s"
	expect_eq "$(readlink "$INST/haishin/current")" 0.2.0 "$kind: current names 0.2.0 again"
	expect_same_tree "$INST/haishin/current/" "$W/src/haishin-0.2.0" "$kind: 0.2.0 is active, byte for byte"
	[ ! -e "$INST/haishin/$v" ] && pass "$kind: $v is removed" || fail "$kind: $INST/haishin/$v is left"
	expect_eq "$(last_haishin)" "FAILED_INSTALL the new haishin $v did not report healthy within $TIMEOUT s: $text; haishin 0.2.0 is active again" \
		"$kind: history says why"
	OUT=$(ctl --json status)
	expect_eq "$(json '[c["installed"] for c in j["components"] if c["name"] == "haishin"][0]')" 0.2.0 \
		"$kind: status: haishin 0.2.0 installed"
	[ ! -e "$STATE/handover" ] && pass "$kind: no marker is left" || fail "$kind: STATE/handover is left"
	download_now
	expect_state FAILED_INSTALL 73 "haishin $v is not tried again: its install failed at"
	expect_state FAILED_INSTALL 73 "(the new haishin $v did not report healthy within $TIMEOUT s: $text); waiting for a newer version"
	[ ! -e "$INST/haishin/$v" ] && pass "$kind: $v is not installed again" || fail "$kind: $v was installed again"
}

fails sleeps 0.3.0 "it did not answer 'status' on '$SOCK'"
if [ -f "$W/sleeper.pid" ] && ! kill -0 "$(cat "$W/sleeper.pid")" 2>/dev/null; then
	pass "sleeps: the new process was killed"
else
	fail "sleeps: the new process is still there"
fi
rm -f "$W/sleeper.pid"
fails exit1 0.4.0 "it exited with status 1: haishind 0.4.0: cannot start: broken on purpose"
fails other 0.5.0 "it answered as haishind 0.1.0 from '$BUILD_EXE', not as haishin 0.5.0"

# --- a hand-over cut off by kill -9 is put back at the next start ---------------
mkpkg 0.6.0 sleeps
ctl download-now >"$W/dn.out" 2>&1 || true
for _ in $(seq 1 100); do [ -f "$W/sleeper.pid" ] && break; sleep 0.1; done
kill -KILL "$P2"
kill -KILL -- "-$(cat "$W/sleeper.pid")" 2>/dev/null || true
rm -f "$W/sleeper.pid"
expect_eq "$(readlink "$INST/haishin/current")" 0.6.0 "cut off: current names 0.6.0"
[ -e "$STATE/handover" ] && pass "cut off: the marker is left" || fail "cut off: no marker"
start_daemon
wait_answer
P3=$NOW
expect_eq "$P3" "$DPID" "cut off: the next start answers"
expect_eq "$(readlink "/proc/$P3/exe")" "$INST/haishin/0.2.0/sbin/haishind" \
	"cut off: the next start runs haishin 0.2.0"
expect_eq "$(readlink "$INST/haishin/current")" 0.2.0 "cut off: current names 0.2.0 again"
expect_eq "$(last_haishin)" "FAILED_INSTALL the hand-over to haishin 0.6.0 was cut off before it reported healthy (haishind stopped, was killed or lost power); haishin 0.2.0 is active again" \
	"cut off: history says so"
[ ! -e "$STATE/handover" ] && pass "cut off: the marker is gone" || fail "cut off: STATE/handover is left"
download_now
expect_state FAILED_INSTALL 73 "haishin 0.6.0 is not tried again: its install failed at"
expect_state FAILED_INSTALL 73 "(the hand-over to haishin 0.6.0 was cut off before it reported healthy (haishind stopped, was killed or lost power)); waiting for a newer version"

stop_all
DPID=""
finish
