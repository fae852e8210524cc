#!/usr/bin/env bash
# ctlstatus.sh - what haishinctl says is one truth: a component being
# downloaded shows DOWNLOADING in its status row; a failed check-connection
# has "ok" false with "all_ok", its state and the exit code it exits with;
# haishinctl still finds the socket of a configuration that has a typo
# the daemon refused, saying so as a warning; and a reply too long or cut
# off is STOPPED, saying so.
source "$(dirname "$0")/lib.sh"

trap 'stop_daemon; cleanup' EXIT

world_init
mkdir -p "$W/src/app"
head -c 3000000 /dev/urandom >"$W/src/app/blob"
publish app 1.0.0 "$W/src/app" --deltas 0
# 300 kB/s: the download lasts about ten seconds.
CLIENT_EXTRA="max_rate = 300000
[schedule]
boot_delay_max = 3600" client_config "$NGINX_URL"
start_daemon

# 1. The row of the component being downloaded says DOWNLOADING.
ctl download-now >"$W/dl.out" 2>&1 &
dl=$!
row=""
for _ in $(seq 1 100); do
	row=$(ctl --json status | python3 -c '
import json, sys
j = json.load(sys.stdin)
rows = [c for c in j["components"] if c["name"] == "app"]
print(rows[0]["state"] if rows else "")')
	[ "$row" = DOWNLOADING ] && break
	sleep 0.1
done
expect_eq "$row" "DOWNLOADING" "status: the row of the component being downloaded"
if ctl status | grep -E '^app +- +- +1\.0\.0 .*DOWNLOADING' >/dev/null; then
	pass "status (text): the row says DOWNLOADING"
else
	fail "status (text): $(ctl status)"
fi
wait "$dl" || true
expect_eq "$(tail -n 1 "$W/dl.out" | cut -d' ' -f1)" "COMPLETED" "the download completed"
row=$(ctl --json status | python3 -c '
import json, sys
print(json.load(sys.stdin)["components"][0]["state"])')
expect_eq "$row" "UP_TO_DATE" "after the download the row says UP_TO_DATE"

# 2. A failed check-connection: one object, one truth, with the exit code.
stop_daemon
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CLIENT_EXTRA="[schedule]
boot_delay_max = 3600" client_config "http://127.0.0.1:$port/repo/"
start_daemon
set +e
out=$(ctl --json check-connection 2>/dev/null)
rc=$?
set -e
expect_eq "$rc" "69" "check-connection to a closed port exits 69"
end=$(echo "$out" | tail -n 1)
if echo "$end" | python3 -c '
import json, sys
j = json.load(sys.stdin)
ok = (j["ok"] is False and j["all_ok"] is False and j["exit"] == 69
      and j["state"] == "FAILED_CONNECT" and j["failed_stage"] == "tcp")
sys.exit(0 if ok else 1)'; then
	pass "check-connection --json: ok false with all_ok, state FAILED_CONNECT, exit 69"
else
	fail "check-connection --json: $end"
fi
set +e
ctl check-connection >"$W/cc.out" 2>&1
rc=$?
set -e
if [ "$rc" -eq 69 ] && grep -q "tcp" "$W/cc.out"; then
	pass "check-connection (text) prints the stages and exits 69"
else
	fail "check-connection (text): exit $rc: $(cat "$W/cc.out")"
fi

# 3. A typo in the configuration: the daemon refuses the file on reload,
#    haishinctl still finds the socket it names and warns of the typo.
echo "intervall = 60" >>"$W/client/haishin.conf"
kill -HUP "$DPID"
sleep 0.5
set +e
"$HAISHINCTL" -c "$W/client/haishin.conf" status >"$W/st.out" 2>"$W/st.err"
rc=$?
set -e
expect_eq "$rc" "0" "haishinctl -c with a typo in the file still reaches the daemon"
if grep -q "intervall" "$W/st.err" && grep -qi "warning" "$W/st.err"; then
	pass "haishinctl warns of the typo: $(head -n 1 "$W/st.err")"
else
	fail "no warning of the typo: $(cat "$W/st.err")"
fi
if grep -q "intervall" "$W/daemon.log"; then
	pass "the daemon refused the reload naming the typo"
else
	fail "the daemon log does not name the typo"
fi
stop_daemon

# 4. A broken daemon: a reply line over the client's cap, or one cut off in
#    the middle, is STOPPED saying so, never a hang or a partial answer.
# fake_daemon REPLY: a socket at $W/fake.sock that reads a request line and
#    answers with REPLY's bytes (a Python expression), then closes.
fake_daemon() {
	rm -f "$W/fake.sock"
	python3 - "$W/fake.sock" "$1" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(1)
c, _ = s.accept()
c.recv(4096)
try:
    c.sendall(eval(sys.argv[2]))
except OSError:
    pass
c.close()
PY
	FAKE=$!
	for _ in $(seq 1 50); do
		[ -S "$W/fake.sock" ] && return 0
		sleep 0.1
	done
}
fake_daemon 'b"x" * (3 * 1024 * 1024)'
set +e
out=$("$HAISHINCTL" --socket "$W/fake.sock" status 2>&1)
rc=$?
set -e
wait "$FAKE" || true
[ "$rc" -eq 78 ] && [[ "$out" == "STOPPED haishind sent a reply that is not valid (a line over 2 MiB)"* ]] &&
	pass "a reply line over 2 MiB: STOPPED naming the cap" || fail "reply over the cap: exit $rc: $out"
fake_daemon 'b"{\"type\": \"end\", \"ok\": tr"'
set +e
out=$("$HAISHINCTL" --socket "$W/fake.sock" status 2>&1)
rc=$?
set -e
wait "$FAKE" || true
[ "$rc" -eq 78 ] && [[ "$out" == "STOPPED the daemon closed the connection without an answer"* ]] &&
	pass "a reply cut in the middle of a line: STOPPED, no answer taken" || fail "cut reply: exit $rc: $out"

finish
