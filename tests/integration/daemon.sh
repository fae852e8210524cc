#!/usr/bin/env bash
# daemon.sh - the resident haishind and haishinctl: status answers while a
# download runs; concurrent download-now clients share one attempt and one
# terminal state; disable is never silent; kill -9 mid-download resumes;
# the four "no popup" situations each end in their own recorded state;
# --json parses; a daemon that is not running is STOPPED, never silence.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/faultserver-lib.sh"

SOCK="$W/client/h.sock"
trap 'stop_daemon; fault_stop "$W/fault"; cleanup' EXIT

# json EXPR: evaluates a Python expression on the JSON in $OUT (j).
json() {
	python3 -c 'import json, sys; j = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$OUT" "$1"
}

world_repo
mkdir -p "$W/src/app-1" "$W/src/app-2" "$W/src/app-3"
echo one >"$W/src/app-1/file"
head -c 4000000 /dev/urandom >"$W/src/app-2/blob"
head -c 4000000 /dev/urandom >"$W/src/app-3/blob"
"$PUBLISH" add "$W/repo" app 1.0 "$W/src/app-1" >/dev/null
"$PUBLISH" sign "$W/repo" --key "$W/man" >/dev/null
fault_start "$W/fault" "$W/repo"
CLIENT_EXTRA="retries = 1
backoff_max = 3
min_rate = 1000
[paths]
socket = $SOCK
[schedule]
boot_delay_max = 0"
client_config "$FAULT_URL"
sed -i "/^socket = .*haishind.sock$/d" "$W/client/haishin.conf"

# --- not running: every command says so, STOPPED, exit 78 ------------------
set +e
OUT=$(ctl status 2>&1)
RC=$?
set -e
[ "$RC" -eq 78 ] && [[ "$OUT" == STOPPED*"not running"* ]] &&
	pass "no daemon: STOPPED, exit 78" || fail "no daemon: exit $RC: $OUT"

# --- the boot check installs 1.0 by itself ------------------------------------
start_daemon
for _ in $(seq 1 100); do
	OUT=$(ctl --json status)
	[ "$(json 'j["daemon"]["last_result"] and j["daemon"]["last_result"]["state"]')" = COMPLETED ] && break
	sleep 0.1
done
expect_eq "$(json 'j["components"][0]["installed"]')" 1.0 "boot check installed app 1.0"
expect_eq "$(json 'j["components"][0]["state"]')" UP_TO_DATE "status: app up to date"

# --- nothing to do: UP_TO_DATE --------------------------------------------------
set +e
ctl download-now >"$W/dn.out" 2>&1
RC=$?
set -e
LAST=$(tail -n 1 "$W/dn.out")
expect_state UP_TO_DATE 0 "manifest serial 1"

# --- a slow download: status answers at once, showing DOWNLOADING with rate --------
"$PUBLISH" add "$W/repo" app 2.0 "$W/src/app-2" >/dev/null
"$PUBLISH" sign "$W/repo" --key "$W/man" >/dev/null
PKG=/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["components"]["app"]["versions"]["2.0"]["url"])' "$W/repo/index.json")
fault_plan "$PKG" '[{"trickle": 1000000}]'
for i in 1 2 3; do
	ctl download-now >"$W/dn$i.out" 2>&1 &
	eval "C$i=\$!"
done
seen=0
slowest=0
for _ in $(seq 1 40); do
	start=$(date +%s%N)
	OUT=$(ctl --json status)
	took=$((($(date +%s%N) - start) / 1000000))
	[ "$took" -gt "$slowest" ] && slowest=$took
	if [ "$(json 'j["daemon"]["state"]')" = DOWNLOADING ] &&
		[ "$(json 'j["daemon"]["progress"].get("rate", 0) > 0')" = True ]; then
		seen=$((seen + 1))
	fi
	sleep 0.1
done
[ "$seen" -gt 0 ] && pass "status during the download: DOWNLOADING with a rate ($seen times)" ||
	fail "status never showed DOWNLOADING with a rate"
[ "$slowest" -lt 2000 ] && pass "status answered within ${slowest} ms during the download" ||
	fail "status took ${slowest} ms during the download"
for i in 1 2 3; do
	eval "wait \$C$i" || true
done
for i in 1 2 3; do
	expect_eq "$(tail -n 1 "$W/dn$i.out" | cut -d' ' -f1-3)" "COMPLETED app 2.0" \
		"download-now client $i ends with the attempt's state"
done
expect_eq "$(fault_stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["by_path"][sys.argv[1]]["requests"])' "$PKG")" 1 \
	"three clients, one download"

# --- interrupted: a drop with retries = 1 ----------------------------------------
"$PUBLISH" add "$W/repo" app 3.0 "$W/src/app-3" >/dev/null
"$PUBLISH" sign "$W/repo" --key "$W/man" >/dev/null
PKG3=/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["components"]["app"]["versions"]["3.0"]["url"])' "$W/repo/index.json")
fault_plan "$PKG3" '[{"status": 503, "retry_after": "3600"}]'
set +e
ctl download-now >"$W/dn.out" 2>&1
RC=$?
set -e
LAST=$(tail -n 1 "$W/dn.out")
expect_state INTERRUPTED 75 "resumes at"
OUT=$(ctl --json status)
expect_eq "$(json '[b["what"] for b in j["daemon"]["blocked_by"]]')" "['backoff']" \
	"status: a backoff holds scheduled updates back"
expect_eq "$(json 'abs(__import__("calendar").timegm(__import__("time").strptime(j["daemon"]["next_check"], "%Y-%m-%dT%H:%M:%SZ")) - __import__("time").time() - 3600) < 120')" True \
	"status: the next check is at the time the server gave, not an interval later"

# --- a client that hangs up while waiting costs the daemon nothing -----------
cpu() { awk '{print $14 + $15}' "/proc/$DPID/stat"; }
timeout 1 "$HAISHINCTL" --socket "$SOCK" check-connection >/dev/null 2>&1 || true
before=$(cpu)
sleep 2
after=$(cpu)
[ $((after - before)) -lt 50 ] && pass "a client gone mid-request: $((after - before)) CPU ticks in 2 s" ||
	fail "the daemon spins after a client hung up: $((after - before)) ticks in 2 s"

# --- idle connections cannot lock others out ---------------------------------------
python3 - "$SOCK" <<'PY' &
import socket, sys, time
socks = []
for _ in range(40):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    socks.append(s)
time.sleep(15)
PY
idle=$!
sleep 12
set +e
ctl status >/dev/null 2>&1
RC=$?
set -e
kill "$idle" 2>/dev/null || true
wait "$idle" 2>/dev/null || true
expect_eq "$RC" 0 "40 idle connections are dropped after 10 s; status answers"

# --- a reason in Japanese: kept whole, or refused whole ------------------------
long=$(python3 -c 'print("改装工事のため休診" * 12)')
set +e
ctl disable --reason "$long" >/dev/null 2>&1
RC=$?
set -e
[ "$RC" -ne 0 ] && pass "a reason too long to keep is refused" || fail "a 324-byte reason was accepted"
ctl disable --reason "改装工事のため休診" >/dev/null
OUT=$(ctl --json status)
expect_eq "$(json 'j["daemon"]["disabled_reason"]')" "改装工事のため休診" "a Japanese reason is kept whole"
ctl enable >/dev/null

# --- notifications off: a run nobody watched is still recorded ------------------
OUT=$(ctl --json history --limit 1)
expect_eq "$(json 'j["attempts"][0]["state"]')" INTERRUPTED "history records the attempt"

# --- disable: scheduled checks are STOPPED with the reason ----------------------
ctl disable --reason "clinic renovation" >/dev/null
OUT=$(ctl --json status)
expect_eq "$(json 'j["daemon"]["enabled"]')" False "status: disabled"
expect_eq "$(json 'j["daemon"]["disabled_reason"]')" "clinic renovation" "status: the reason"
stop_daemon
start_daemon
for _ in $(seq 1 50); do
	OUT=$(ctl --json history --limit 1)
	[ "$(json 'j["attempts"][0]["state"]')" = STOPPED ] && break
	sleep 0.1
done
expect_eq "$(json 'j["attempts"][0]["state"]')" STOPPED "a scheduled check while disabled is recorded STOPPED"
expect_eq "$(json '"clinic renovation" in j["attempts"][0]["reason"]')" True "with the reason"
ctl enable >/dev/null
OUT=$(ctl --json status)
expect_eq "$(json 'j["daemon"]["enabled"]')" True "enabled again"

# --- kill -9 mid-download, then a restart resumes and completes -----------------
fault_reset
fault_plan "$PKG3" '[{"trickle": 200000}]'
ctl download-now >/dev/null 2>&1 &
for _ in $(seq 1 100); do
	off=$(sqlite3 "$W/client/state/haishin.db" "select coalesce((select offset from partial where name='app'), 0)")
	[ "$off" -gt 100000 ] && break
	sleep 0.1
done
kill -9 "$DPID"
wait "$DPID" 2>/dev/null || true
DPID=""
[ "$off" -gt 0 ] && pass "kill -9 at $off journaled bytes" || { fail "nothing journaled before kill -9"; tail -5 "$W/daemon.log" >&2; }
start_daemon # its boot check resumes the download by itself
for _ in $(seq 1 300); do
	OUT=$(ctl --json history --limit 1)
	[ "$(json 'j["attempts"][0]["state"]')" = COMPLETED ] && break
	sleep 0.1
done
expect_eq "$(json 'j["attempts"][0]["to"] + " " + j["attempts"][0]["method"]')" "3.0 resumed" \
	"after kill -9, the restarted daemon resumed the download"
OUT=$(ctl --json history --limit 5)
expect_eq "$(json 'any(a["state"] == "INTERRUPTED" and "stopped during this attempt" in a["reason"] and a["trigger"] == "manual" for a in j["attempts"])')" True \
	"the attempt cut off by kill -9 is recorded INTERRUPTED, with its trigger"
set +e
ctl download-now >"$W/dn.out" 2>&1
RC=$?
set -e
LAST=$(tail -n 1 "$W/dn.out")
expect_state UP_TO_DATE 0 "serial 3"

# --- history filters: component, a time window, and refusals that name the field
OUT=$(ctl --json history --component app --limit 1000)
expect_eq "$(json 'len(j["attempts"]) > 0 and all(a["component"] == "app" for a in j["attempts"])')" True \
	"history --component app: only app's rows"
OUT=$(ctl --json history --until 2000-01-01)
expect_eq "$(json 'len(j["attempts"])')" 0 "history --until 2000-01-01: nothing that old"
OUT=$(ctl --json history --since 2000-01-01 --until 2999-01-01 --limit 2)
expect_eq "$(json 'len(j["attempts"])')" 2 "history --since/--until with --limit 2: two rows"
OUT=$(printf '{"cmd": "history", "sinse": "2026-01-01T00:00:00Z"}\n' |
	python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read()); print(s.makefile().readline())' "$SOCK")
expect_eq "$(json 'j["ok"], j["code"], "sinse" in j["error"]')" "(False, 'invalid', True)" \
	"an unknown request field is refused, naming it"

# --- status answers during an install, which shows INSTALLING ----------------
mkdir -p "$W/src/app-4"
for i in $(seq 1 1500); do echo "file $i" >"$W/src/app-4/f$i"; done
"$PUBLISH" add "$W/repo" app 4.0 "$W/src/app-4" >/dev/null
"$PUBLISH" sign "$W/repo" --key "$W/man" >/dev/null
fault_reset
: >"$W/states"
# One process asks for status every 10 ms and writes down the state seen,
# or NO-ANSWER when a reply takes over a second.
python3 - "$SOCK" "$W/states" <<'PY' &
import json, socket, sys, time
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        try:
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(1.0)
            s.connect(sys.argv[1])
            s.sendall(b'{"cmd": "status"}\n')
            j = json.loads(s.makefile().readline())
            out.write(j["daemon"]["state"] + "\n")
            s.close()
        except (OSError, ValueError, KeyError):
            out.write("NO-ANSWER\n")
        time.sleep(0.01)
PY
poller=$!
set +e
ctl download-now >"$W/dn.out" 2>&1
RC=$?
set -e
kill "$poller" 2>/dev/null || true
wait "$poller" 2>/dev/null || true
LAST=$(tail -n 1 "$W/dn.out")
expect_state COMPLETED 0 "app 4.0 installed"
grep -q '^INSTALLING$' "$W/states" && pass "status answered during the install and showed INSTALLING ($(grep -c . "$W/states") answers)" ||
	fail "status never showed INSTALLING: $(sort "$W/states" | uniq -c | tr '\n' ' ')"
grep -q '^NO-ANSWER$' "$W/states" && fail "status went unanswered during the attempt" || pass "every status request during the attempt was answered"

# --- verify and --json ----------------------------------------------------------------
set +e
ctl verify >/dev/null
RC=$?
set -e
expect_eq "$RC" 0 "verify: every component at or above its minimum"
for cmd in status history verify; do
	ctl --json "$cmd" | python3 -c 'import json, sys; [json.loads(l) for l in sys.stdin]' &&
		pass "--json $cmd parses" || fail "--json $cmd does not parse"
done

# --- an update that needs a reboot holds scheduled updates back --------------
mkdir -p "$W/src/driver"
echo driver >"$W/src/driver/file"
"$PUBLISH" add "$W/repo" driver 1.0 "$W/src/driver" --restart system >/dev/null
"$PUBLISH" sign "$W/repo" --key "$W/man" >/dev/null
set +e
ctl download-now >"$W/dn.out" 2>&1
RC=$?
set -e
LAST=$(tail -n 1 "$W/dn.out")
expect_state COMPLETED_RESTART_REQUIRED 0 "restart the system"
OUT=$(ctl --json status)
expect_eq "$(json '"restart_pending" in [b["what"] for b in j["daemon"]["blocked_by"]]')" True \
	"status: a pending reboot holds updates back"

# --- a fact that cannot be read holds updates back, and says why ------------
# block WHAT: the reason of status's WHAT block ("-" when none, "" when the
# block carries no reason).
block() {
	OUT=$(ctl --json status)
	json "next((b.get('reason', '') for b in j['daemon']['blocked_by'] if b['what'] == '$1'), '-')"
}
DB="$W/client/state/haishin.db"
asked=$(sqlite3 -cmd ".timeout 10000" "$DB" "select value from settings where key = 'system_restart_asked'")
sqlite3 -cmd ".timeout 10000" "$DB" "update settings set value = 'soon' where key = 'system_restart_asked'"
why=$(block restart_pending)
[[ "$why" == *"holds 'soon' as the time a restart of the system was asked for"*"only required updates go in"* ]] &&
	pass "an unreadable restart flag counts as pending and status says why" ||
	fail "unreadable restart flag: blocked_by reason '$why'"
ctl status | grep -q "a restart is pending: the state database holds 'soon'" &&
	pass "haishinctl status shows the reason of the block" || fail "haishinctl status: $(ctl status)"
expect_eq "$(grep -c "holds 'soon' as the time" "$W/daemon.log")" 1 \
	"the unreadable restart flag is logged once, however often status asks"
sqlite3 -cmd ".timeout 10000" "$DB" "update settings set value = '$asked' where key = 'system_restart_asked'"
expect_eq "$(block restart_pending)" "" "a readable restart flag again: the block has no reason"
grep -q "the restart flag can be read again" "$W/daemon.log" &&
	pass "the restart flag's recovery is logged" || fail "no recovery line for the restart flag"

mv "$W/client/cache" "$W/cache.away"
why=$(block low_disk)
[[ "$why" == *"the free space of the cache '$W/client/cache' cannot be read (No such file or directory)"* ]] &&
	pass "free space that cannot be read counts as low and status says why" ||
	fail "unreadable free space: blocked_by reason '$why'"
block low_disk >/dev/null
expect_eq "$(grep -c "the free space of the cache .* cannot be read" "$W/daemon.log")" 1 \
	"the unreadable free space is logged once"
mv "$W/cache.away" "$W/client/cache"
expect_eq "$(block low_disk)" "-" "the cache is back: low_disk is gone"

# --- SIGHUP: settings reload; held paths say they wait for a restart ----------
cp "$W/client/haishin.conf" "$W/conf.bak"
sed -i "s|^socket = .*|socket = $W/client/other.sock|" "$W/client/haishin.conf"
kill -HUP "$DPID"
for _ in $(seq 1 50); do
	grep -q "configuration reloaded" "$W/daemon.log" && break
	sleep 0.1
done
grep -q "socket changed to '$W/client/other.sock'; it takes effect when haishind restarts" "$W/daemon.log" &&
	pass "reload: a new socket path is logged as waiting for a restart" || fail "reload did not name the held socket path"
ctl status >/dev/null && pass "reload: the socket in use still answers" || fail "reload: the socket stopped answering"
cp "$W/conf.bak" "$W/client/haishin.conf"

# --- SIGTERM during check-connection: the daemon stops at once ----------------
fault_reset
fault_plan /manifest.json '[{"stall_after": 0, "seconds": 120}]'
ctl --json check-connection >"$W/cc.out" 2>&1 &
cc=$!
for _ in $(seq 1 100); do
	[ "$(fault_stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["by_path"].get("/manifest.json", {}).get("requests", 0))')" -gt 0 ] && break
	sleep 0.1
done
start=$(date +%s%N)
kill -TERM "$DPID"
wait "$DPID" 2>/dev/null || true
DPID=""
took=$((($(date +%s%N) - start) / 1000000))
wait "$cc" 2>/dev/null || true
[ "$took" -lt 10000 ] && pass "SIGTERM during check-connection: the daemon exited in ${took} ms" ||
	fail "SIGTERM during check-connection took ${took} ms"
OUT=$(tail -n 1 "$W/cc.out")
expect_eq "$(json '(j["failed_stage"], "stopped" in [s for s in j["stages"] if s["stage"] == "http"][0]["detail"])')" "('http', True)" \
	"the waiting client gets the stages so far, http marked stopped"
fault_reset

# --- a peer in the socket's group may read, not change ----------------------
if [ "$(id -u)" = 0 ] && getent group nogroup >/dev/null && command -v setpriv >/dev/null; then
	stop_daemon
	printf '[control]\ngroup = nogroup\n' >>"$W/client/haishin.conf"
	chmod o+x "$W/client"
	start_daemon
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$HAISHINCTL" --socket "$SOCK" "$@"; }
	set +e
	as_nobody status >/dev/null 2>&1
	RC=$?
	set -e
	expect_eq "$RC" 0 "a member of [control] group reads status"
	set +e
	as_nobody disable >/dev/null 2>"$W/nobody.err"
	RC=$?
	set -e
	expect_eq "$RC" 77 "but disable is refused with 77"
	set +e
	as_nobody download-now >"$W/dn.out" 2>&1
	RC=$?
	set -e
	LAST=$(tail -n 1 "$W/dn.out")
	expect_state STOPPED 78 "permission denied"
	set +e
	OUT=$(as_nobody --json download-now 2>/dev/null)
	set -e
	expect_eq "$(json '(j["code"], j["state"], j["exit"])')" "('denied', 'STOPPED', 78)" \
		"download-now refused: --json end line has code, state and exit"
else
	skip "a member of [control] group reads status but may not change anything (needs root, group nogroup and setpriv)"
fi

finish
