#!/usr/bin/env bash
# ctlfair.sh - no local user can jam the control socket: a request over 4096
# bytes gets the "invalid" end line and a clean close; a client that stops
# reading its reply is dropped after the write deadline while others are
# served; a slow but reading download-now client keeps its events to the
# end; a user who may only read holds at most its share of the slots, never
# the reserve, so root's haishinctl is served even when read-only users
# fill every other slot (then the oldest of them is evicted).  The checks
# that need other uids run as root only, and say SKIPPED otherwise.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/faultserver-lib.sh"

PEER="$HS_TESTS/integration/ctlpeer.py"
SOCK="$W/client/h.sock"
LOG="$DAEMON_LOG"
PY=/usr/bin/python3 # the system's, which any uid may run
BG=()
trap 'for p in "${BG[@]}"; do kill "$p" 2>/dev/null || true; done; stop_daemon; fault_stop "$W/fault"; cleanup' EXIT

# field FILE LINE EXPR: a Python expression on line LINE (1-based) of FILE (j).
field() {
	sed -n "$2p" "$1" | "$PY" -c 'import json, sys; j = json.loads(sys.stdin.read()); print(eval(sys.argv[1]))' "$3"
}

# wait_lines FILE N: waits (30 s at most) until FILE has N lines.
wait_lines() {
	for _ in $(seq 1 300); do
		[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# peer_as UID OUT ARGS...: ctlpeer.py as UID (group nogroup, no others) in the
# background, its reports in OUT.
peer_as() {
	local uid=$1 out=$2
	shift 2
	setpriv --reuid="$uid" --regid=nogroup --clear-groups \
		"$PY" "$PEER" "$@" >"$out" 2>>"$W/peer.err" &
	BG+=($!)
}

IS_ROOT=false
if [ "$(id -u)" = 0 ] && getent group nogroup >/dev/null && command -v setpriv >/dev/null; then
	IS_ROOT=true
fi

world_repo
mkdir -p "$W/src/app-1" "$W/src/app-2"
echo one >"$W/src/app-1/file"
head -c 1500000 /dev/urandom >"$W/src/app-2/blob"
"$PUBLISH" add "$W/repo" app 1.0 "$W/src/app-1" >/dev/null
"$PUBLISH" sign "$W/repo" --key "$W/man" >/dev/null
fault_start "$W/fault" "$W/repo"
CLIENT_EXTRA="[paths]
socket = $SOCK
[schedule]
boot_delay_max = 0"
if $IS_ROOT; then
	# Any uid in group nogroup may connect, and may only read.
	CLIENT_EXTRA="$CLIENT_EXTRA
[control]
group = nogroup"
	chmod o+x "$W/client"
fi
client_config "$FAULT_URL"
sed -i "/^socket = .*haishind.sock$/d" "$W/client/haishin.conf"
start_daemon

# A history long enough that its reply cannot all wait in the socket's
# buffers: 1000 rows of about 700 bytes.
# The boot check may be writing its own row: wait for its lock.
sqlite3 -cmd ".timeout 10000" "$W/client/state/haishin.db" "
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
INSERT INTO history (started, finished, \"trigger\", component, from_version,
  to_version, method, bytes, state, reason)
SELECT 1000000 + i, 1000001 + i, 'schedule', 'app', '0.9', '1.0', 'full', 1,
  'FAILED_CONNECT', 'row ' || i || ': ' || printf('%.500c', 'r') FROM n;"
HISTORY='{"cmd": "history", "limit": 1000}'
FULL=$("$PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n"); print(len(s.makefile("rb").read()))' "$SOCK" "$HISTORY")
[ "$FULL" -gt 600000 ] && pass "a history reply of $FULL bytes to stall on" ||
	fail "the history reply is only $FULL bytes"

# --- the request size limit: 4096 bytes with the newline -----------------------
"$PY" "$PEER" oversize "$SOCK" 4096 >"$W/ok4096"
expect_eq "$(field "$W/ok4096" 1 '(j["reply"]["code"], "pad" in j["reply"]["error"], j["end"])')" \
	"('invalid', True, 'eof')" "a 4096-byte request is read whole (refused for its unknown field)"
for size in 4097 100000; do
	"$PY" "$PEER" oversize "$SOCK" "$size" >"$W/over"
	expect_eq "$(field "$W/over" 1 '(j["reply"]["type"], j["reply"]["ok"], j["reply"]["code"], j["reply"]["error"])')" \
		"('end', False, 'invalid', 'request longer than 4096 bytes')" \
		"a $size-byte request: the invalid end line"
	expect_eq "$(field "$W/over" 1 'j["end"]')" eof "a $size-byte request: then a clean close, not a reset"
done
grep -q "uid $(id -u) pid [0-9]*: refused: request longer than 4096 bytes" "$LOG" &&
	pass "the log names the peer of an oversized request" ||
	fail "no log line for the oversized request"

# --- a client that stops reading is dropped after the write deadline ------------
# Meanwhile a download-now client that reads slowly (a line every 0.2 s)
# follows a 15 s download to its end.
"$PUBLISH" add "$W/repo" app 2.0 "$W/src/app-2" >/dev/null
"$PUBLISH" sign "$W/repo" --key "$W/man" >/dev/null
PKG=/$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["components"]["app"]["versions"]["2.0"]["url"])' "$W/repo/index.json")
fault_plan "$PKG" '[{"trickle": 100000}]'
"$PY" "$PEER" slowread "$SOCK" '{"cmd": "download-now"}' 0.2 >"$W/slow" &
BG+=($!)
slow=$!
"$PY" "$PEER" hold "$SOCK" 2 --line "$HISTORY" --hold 14 >"$W/stall" &
BG+=($!)
wait_lines "$W/stall" 1 || fail "the stalled readers did not report"
expect_eq "$(field "$W/stall" 1 'j["held"]')" 2 "two clients ask for the history and do not read"
start=$(date +%s%N)
OUT=$(ctl status 2>&1) && [[ "$OUT" == *IDLE* || "$OUT" == *DOWNLOADING* || "$OUT" == *CHECKING* ]] &&
	pass "status is answered meanwhile ($(((($(date +%s%N) - start) / 1000000))) ms)" ||
	fail "status while two replies stall: $OUT"
sleep 4
grep -q "no progress" "$LOG" && fail "a stalled reader was dropped before the deadline" ||
	pass "a stalled reader is kept for a while"
wait_lines "$W/stall" 2 || fail "the stalled readers did not report their end"
expect_eq "$(field "$W/stall" 2 '(j["closed"], j["open"], j["how"])')" "(2, 0, ['eof', 'eof'])" \
	"both stalled readers are closed by the daemon after the write deadline"
expect_eq "$(field "$W/stall" 2 'all(0 < n < '"$FULL"' for n in j["bytes"])')" True \
	"they got part of the reply, not all of it ($(field "$W/stall" 2 'j["bytes"]') of $FULL bytes)"
[ "$(grep -c "uid $(id -u) pid [0-9]*: dropped after 10 s: .*no progress" "$LOG")" -eq 2 ] &&
	pass "the log names each dropped reader once" || fail "expected two drop lines: $(grep dropped "$LOG")"
wait "$slow" || true
expect_eq "$(field "$W/slow" 1 '(j["last"]["state"], j["end"], j["lines"] > 10)')" "('COMPLETED', 'eof', True)" \
	"a slow reader of download-now gets its events and the end of a 15 s download"
fault_reset

# --- read-only users: a share each, never the reserve ----------------------------
if ! $IS_ROOT; then
	skip "the per-user share, the reserve and eviction (needs root, group nogroup and setpriv: they run other uids)"
	finish
	exit
fi
: >"$W/peer.err"
# One user opens 6 idle connections: it holds 4, the others are refused.
peer_as 61001 "$W/u1" hold "$SOCK" 6 --hold 30
wait_lines "$W/u1" 1 || fail "uid 61001 did not report"
expect_eq "$(field "$W/u1" 1 'j["held"]')" 4 "a read-only user holds 4 connections"
expect_eq "$(field "$W/u1" 1 'len(j["refused"]), all(r.startswith("unavailable:") and "61001" in r for r in j["refused"])')" \
	"(2, True)" "its 5th and 6th are refused, naming the user"
grep -q "uid 61001 pid [0-9]*: refused: it holds the 4 connections" "$LOG" && pass "the refusal is logged with uid and pid" ||
	fail "no log line for the refused connections"
# Six more users take 4 each: 28 read-only connections in all.
for u in 61002 61003 61004 61005 61006 61007; do
	peer_as "$u" "$W/u$u" hold "$SOCK" 4 --hold 30
done
held=0
for u in 61002 61003 61004 61005 61006 61007; do
	wait_lines "$W/u$u" 1 || fail "uid $u did not report"
	held=$((held + $(field "$W/u$u" 1 'j["held"]')))
done
expect_eq "$held" 24 "six more read-only users hold 4 each"
# An eighth finds every slot open to read-only users taken.
peer_as 61008 "$W/u8" hold "$SOCK" 2 --hold 30
wait_lines "$W/u8" 1 || fail "uid 61008 did not report"
expect_eq "$(field "$W/u8" 1 'j["held"], len(j["refused"])')" "(0, 2)" \
	"with 28 read-only connections held, another read-only user is refused"
OUT=$(setpriv --reuid=61008 --regid=nogroup --clear-groups "$HAISHINCTL" --socket "$SOCK" status 2>&1) &&
	fail "a read-only haishinctl took a reserved slot: $OUT" ||
	pass "read-only haishinctl is refused too: $OUT"
# Root is served from the reserve.
set +e
OUT=$(ctl status 2>&1)
RC=$?
set -e
[ "$RC" -eq 0 ] && [[ "$OUT" == *IDLE* ]] && pass "root's haishinctl status is served (exit 0, IDLE)" ||
	fail "root's status with read-only users everywhere: exit $RC: $OUT"
# Root fills the reserve itself; its next client evicts the oldest reader.
"$PY" "$PEER" hold "$SOCK" 4 --hold 30 >"$W/root4" &
BG+=($!)
wait_lines "$W/root4" 1 || fail "root's idle clients did not report"
expect_eq "$(field "$W/root4" 1 'j["held"]')" 4 "root holds the 4 reserved slots"
set +e
OUT=$(ctl status 2>&1)
RC=$?
set -e
[ "$RC" -eq 0 ] && [[ "$OUT" == *IDLE* ]] && pass "with all 32 slots taken, root's status is still served" ||
	fail "root's status with a full table: exit $RC: $OUT"
grep -q "uid 61001 pid [0-9]*: evicted" "$LOG" && pass "a read-only client was evicted for root, and logged" ||
	fail "no eviction logged: $(grep -i evict "$LOG")"
for p in "${BG[@]}"; do kill "$p" 2>/dev/null || true; done
BG=()
for _ in $(seq 1 50); do
	# the daemon sees the peers gone at once
	setpriv --reuid=61009 --regid=nogroup --clear-groups "$HAISHINCTL" --socket "$SOCK" status >/dev/null 2>&1 && break
	sleep 0.1
done

# A read-only user that asks for the history on 8 connections and reads
# nothing: 4 are served, then dropped at the write deadline.
peer_as 61009 "$W/u9" hold "$SOCK" 8 --line "$HISTORY" --hold 14
wait_lines "$W/u9" 1 || fail "uid 61009 did not report"
expect_eq "$(field "$W/u9" 1 'j["held"], len(j["refused"])')" "(4, 4)" \
	"a read-only user stalling on history replies is served on 4 connections only"
set +e
OUT=$(ctl status 2>&1)
RC=$?
set -e
[ "$RC" -eq 0 ] && pass "root's status meanwhile: exit 0" || fail "root's status: exit $RC: $OUT"
wait_lines "$W/u9" 2 || fail "uid 61009 did not report its end"
expect_eq "$(field "$W/u9" 2 'j["closed"]')" 4 "its 4 stalled replies are dropped after the write deadline"
OUT=$(setpriv --reuid=61009 --regid=nogroup --clear-groups "$HAISHINCTL" --socket "$SOCK" status 2>&1) &&
	pass "then that user's status is served again" || fail "the user is still locked out: $OUT"
[ ! -s "$W/peer.err" ] || { fail "the peers said:"; cat "$W/peer.err" >&2; }

finish
