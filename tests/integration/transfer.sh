#!/usr/bin/env bash
# transfer.sh - downloads that survive the real network, against the
# fault-injecting server: drops, stalls, busy and broken servers, wrong and
# endless bodies, changed files, mirrors, TLS, a proxy, a rate limit, and a
# run killed mid-download.  Each case checks the terminal state, the bytes on
# disk and served, and that the installed version is intact.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/faultserver-lib.sh"

trap 'fault_stop "$W/fault"; fault_stop "$W/fault-tls"; cleanup' EXIT

world_repo
mkdir -p "$W/src/app-1" "$W/src/app-2"
echo base >"$W/src/app-1/file"
"$PUBLISH" add "$W/repo" app 1.0 "$W/src/app-1" >/dev/null
"$PUBLISH" sign "$W/repo" --key "$W/man" >/dev/null
fault_start "$W/fault" "$W/repo"
CLIENT_STALL=2
CLIENT_EXTRA="retries = 4
backoff_max = 3
min_rate = 1000"
client_config "$FAULT_URL"
once
expect_state COMPLETED 0 "app 1.0 installed"

# Version 2: 3 MiB that does not compress, so bytes on the wire are bytes
# of the package.
head -c 3145728 /dev/urandom >"$W/src/app-2/blob"
"$PUBLISH" add "$W/repo" app 2.0 "$W/src/app-2" >/dev/null
"$PUBLISH" sign "$W/repo" --key "$W/man" >/dev/null
PKG=/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["components"]["app"]["versions"]["2.0"]["url"])' "$W/repo/index.json")
SIZE=$(stat -c %s "$W/repo$PKG")
cp -a "$W/client" "$W/client.v1"

# one_attempt_config: a single attempt per run, so a fault ends the run.
one_attempt_config() {
	CLIENT_EXTRA="retries = 1
backoff_max = 3
min_rate = 1000" client_config "$FAULT_URL"
}

# fresh: the client back at version 1, nothing downloaded, no faults.
fresh() {
	rm -rf "$W/client"
	cp -a "$W/client.v1" "$W/client"
	client_config "${1:-$FAULT_URL}"
	fault_reset
}

journal_offset() {
	sqlite3 "$W/client/state/haishin.db" "select coalesce((select offset from partial where name = 'app'), -1)"
}

part_size() {
	stat -c %s "$W/client/cache/app.part" 2>/dev/null || echo -1
}

# installed_ok VERSION: current points there, byte-exact.
installed_ok() {
	local src=$W/src/app-1
	[ "$1" = 2.0 ] && src=$W/src/app-2
	expect_eq "$(readlink "$W/client/install/app/current")" "$1" "$2: current is $1"
	expect_same_tree "$W/client/install/app/current/" "$src/" "$2: $1 byte-exact"
}

# served_within PERCENT WHAT: the package's bytes served stay within
# PERCENT of its size (a resume, not a restart).
served_within() {
	local served
	served=$(fault_bytes "$PKG")
	if [ "$served" -le $((SIZE + SIZE * $1 / 100)) ]; then
		pass "$2: $served bytes served for $SIZE"
	else
		fail "$2: $served bytes served for $SIZE (over $1 %)"
	fi
}

# --- a drop, closed with FIN and with RST: resumed in the same run ----------
for how in fin rst; do
	fresh
	fault_plan "$PKG" "[{\"drop_after\": 1000000, \"how\": \"$how\"}]"
	once
	expect_state COMPLETED 0 "app 2.0 installed"
	installed_ok 2.0 "drop ($how)"
	served_within 1 "drop ($how)"
	expect_eq "$(fault_stats | python3 -c 'import json,sys; l=[x for x in json.load(sys.stdin)["log"] if x["path"]==sys.argv[1]]; print(l[1]["range"])' "$PKG")" \
		"bytes=1000000-" "drop ($how): the retry asked for the rest"
done

# --- a stall: no bytes for stall_timeout ----------------------------------
fresh
fault_plan "$PKG" '[{"stall_after": 500000, "seconds": 30}]'
once
expect_state COMPLETED 0 "app 2.0 installed"
grep -q "stalled" "$W/once.err" && pass "stall named in the log" || fail "stall not named: $(cat "$W/once.err")"
served_within 1 "stall"

# --- a busy server: 503 and 429 with Retry-After, then a 500 ---------------
fresh
fault_plan "$PKG" '[{"status": 503, "retry_after": "2"}, {"status": 429, "retry_after": "1"}, {"status": 500}]'
start=$(date +%s)
once
took=$(($(date +%s) - start))
expect_state COMPLETED 0 "app 2.0 installed"
[ "$took" -ge 3 ] && pass "Retry-After honoured (${took}s)" || fail "Retry-After not honoured: ${took}s"

# A Retry-After beyond backoff_max ends the run, with the time to come back.
fresh
fault_plan "$PKG" '[{"status": 503, "retry_after": "3600"}]'
once
expect_state INTERRUPTED 75 "resumes at"
installed_ok 1.0 "busy server"
when=$(sed -n 's/.*resumes at \([0-9TZ:-]*\).*/\1/p' <<<"$LAST")
wait_s=$(($(date -d "$when" +%s) - $(date +%s)))
[ "$wait_s" -ge 3500 ] && pass "busy server: resumes in ${wait_s}s, after its Retry-After" ||
	fail "busy server: resumes in ${wait_s}s, before its Retry-After of 3600"

# --- a busy or forbidding primary hands over to a live mirror at once -------
for fault in '{"status": 503, "retry_after": "60"}' '{"status": 403}'; do
	fresh
	CLIENT_EXTRA="retries = 4
backoff_max = 3
min_rate = 1000
[server]
mirrors = http://localhost:${FAULT_URL##*:}" client_config "$FAULT_URL"
	fault_plan "$PKG" "[$fault]"
	start=$(date +%s)
	once
	took=$(($(date +%s) - start))
	expect_state COMPLETED 0 "app 2.0 installed"
	[ "$took" -lt 30 ] && pass "$fault: the mirror served at once (${took}s)" ||
		fail "$fault: took ${took}s"
done

# --- a body without a length ------------------------------------------------
fresh
fault_plan "$PKG" '[{"no_length": true}]'
once
expect_state COMPLETED 0 "app 2.0 installed"
installed_ok 2.0 "no Content-Length"

# --- the package is not there -----------------------------------------------
fresh
fault_plan "$PKG" '[{"status": 404, "times": 10}]'
once
expect_state FAILED_CONNECT 69 "404"
installed_ok 1.0 "404"

# --- a redirect loop ---------------------------------------------------------
fresh
fault_plan "$PKG" '[{"redirect_loop": true, "times": 50}]'
once
expect_state FAILED_CONNECT 69 "redirect loop"
installed_ok 1.0 "redirect loop"

# --- body shorter than announced: resumed ------------------------------------
fresh
fault_plan "$PKG" '[{"short": 100000}]'
once
expect_state COMPLETED 0 "app 2.0 installed"
served_within 1 "short body"

# --- body longer than announced: only the announced bytes count -------------
fresh
fault_plan "$PKG" '[{"extra": 5000}]'
once
expect_state COMPLETED 0 "app 2.0 installed"

# --- an endless body: refused at the signed size, nothing kept ---------------
fresh
fault_plan "$PKG" '[{"endless": true, "times": 10}]'
once
expect_state FAILED_VERIFY 65 "endless data"
expect_eq "$(part_size)" -1 "endless: the part file is discarded"
installed_ok 1.0 "endless"

# --- corrupt bytes: discarded and fetched again; twice is FAILED_VERIFY -----
fresh
fault_plan "$PKG" '[{"corrupt": [1000, 2000]}]'
once
expect_state COMPLETED 0 "app 2.0 installed"
installed_ok 2.0 "corrupt once"
fresh
fault_plan "$PKG" '[{"corrupt": [1000, 2000], "times": 2}]'
once
expect_state FAILED_VERIFY 65 "hash mismatch"
expect_eq "$(part_size)" -1 "corrupt twice: nothing kept"
installed_ok 1.0 "corrupt twice"

# --- a server that ignores Range restarts the file cleanly -------------------
fresh
fault_plan "$PKG" '[{"drop_after": 1000000}, {"ignore_range": true}]'
once
expect_state COMPLETED 0 "app 2.0 installed"
installed_ok 2.0 "ignore Range"

# --- the file changed between attempts (new ETag): If-Range restarts it ------
fresh
one_attempt_config
fault_plan "$PKG" '[{"drop_after": 1000000}]'
once
expect_state INTERRUPTED 75 "of $SIZE bytes kept"
expect_eq "$(journal_offset)" 1000000 "interrupted: 1000000 bytes journaled"
expect_eq "$(part_size)" 1000000 "interrupted: 1000000 bytes in the part file"
installed_ok 1.0 "interrupted"
fault_etag "$PKG" '"changed"'
once
expect_state COMPLETED 0 "app 2.0 installed"
expect_eq "$(fault_stats | python3 -c 'import json,sys; l=[x for x in json.load(sys.stdin)["log"] if x["path"]==sys.argv[1]]; print(l[-1]["status"], l[-1]["if_range"] is not None)' "$PKG")" \
	"200 True" "changed ETag: If-Range sent, whole file sent back"
installed_ok 2.0 "changed ETag"

# --- INTERRUPTED, then the next run resumes ----------------------------------
fresh
one_attempt_config
fault_plan "$PKG" '[{"drop_after": 2000000, "how": "rst"}]'
once
expect_state INTERRUPTED 75 "2000000 of $SIZE bytes kept"
once
expect_state COMPLETED 0 "app 2.0 installed"
served_within 1 "resumed in the next run"
expect_eq "$(sqlite3 "$W/client/state/haishin.db" "select method from history where state = 'COMPLETED' order by id desc limit 1")" \
	resumed "history says resumed"

# --- a trickle below min_rate is a stall; above it, a slow download ----------
fresh
CLIENT_EXTRA="retries = 1
backoff_max = 3
min_rate = 100000" client_config "$FAULT_URL"
fault_plan "$PKG" '[{"trickle": 20000}]'
once
expect_state INTERRUPTED 75 "stalled"
installed_ok 1.0 "trickle"
[ "$(journal_offset)" -gt 0 ] && pass "trickle: bytes kept" || fail "trickle: nothing kept"

# --- a 416 for the kept offset restarts the file -----------------------------
fresh
one_attempt_config
fault_plan "$PKG" '[{"drop_after": 1000000}]'
once
expect_state INTERRUPTED 75
fault_plan "$PKG" '[{"status": 416}]'
once
expect_state COMPLETED 0 "app 2.0 installed"
installed_ok 2.0 "416"

# --- mirrors: a dead base hands over to the next, resuming the part ----------
fresh
CLIENT_EXTRA="retries = 6
backoff_max = 3
min_rate = 1000
[server]
mirrors = http://127.0.0.1:1/ $FAULT_URL" client_config "http://127.0.0.1:1/"
fault_plan "$PKG" '[{"drop_after": 1500000}]'
once
expect_state COMPLETED 0 "app 2.0 installed"
installed_ok 2.0 "mirror handover"
served_within 1 "mirror handover"
expect_eq "$(fault_stats | python3 -c 'import json,sys; l=[x for x in json.load(sys.stdin)["log"] if x["path"]==sys.argv[1]]; print(len(l), l[-1]["range"])' "$PKG")" \
	"2 bytes=1500000-" "mirror handover: the mirror resumed the part file"

# --- all bases dead: FAILED_CONNECT naming TCP --------------------------------
fresh "http://127.0.0.1:1/"
once
expect_state FAILED_CONNECT 69 "TCP"
installed_ok 1.0 "dead server"

# --- bandwidth limit ------------------------------------------------------------
fresh
CLIENT_EXTRA="max_rate = 1048576" client_config "$FAULT_URL"
start=$(date +%s.%N)
once
took=$(echo "$(date +%s.%N) - $start" | bc)
expect_state COMPLETED 0 "app 2.0 installed"
if [ "$(echo "$took >= 2.3" | bc)" = 1 ]; then
	pass "max_rate 1 MiB/s: 3 MiB took ${took}s"
else
	fail "max_rate ignored: 3 MiB took ${took}s"
fi

# --- through a proxy --------------------------------------------------------------
fresh "http://updates.example.invalid/"
CLIENT_EXTRA="[server]
proxy = $FAULT_URL" client_config "http://updates.example.invalid/"
once
expect_state COMPLETED 0 "app 2.0 installed"
proxied=$(fault_stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["proxied"])')
[ "$proxied" -ge 3 ] && pass "proxy used ($proxied requests)" || fail "proxy not used ($proxied)"

# --- TLS: an unknown certificate fails naming TLS; with ca_file it works ------
openssl req -x509 -newkey ed25519 -keyout "$W/tls.key" -out "$W/tls.crt" -days 2 \
	-nodes -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
fault_start "$W/fault-tls" "$W/repo" "$W/tls.crt" "$W/tls.key"
TLS_URL=$FAULT_URL
fresh "$TLS_URL"
once
expect_state FAILED_CONNECT 69 "TLS"
CLIENT_EXTRA="[server]
ca_file = $W/tls.crt" client_config "$TLS_URL"
once
expect_state COMPLETED 0 "app 2.0 installed"
fault_stop "$W/fault-tls"
FAULT_URL=http://127.0.0.1:$(cat "$W/fault/port")/

# --- kill -9 mid-download, then a new run resumes from the journal ---------------
fresh
fault_plan "$PKG" '[{"trickle": 400000}]'
"$HAISHIND" -c "$W/client/haishin.conf" --once >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do
	[ "$(journal_offset)" -gt 500000 ] && break
	sleep 0.1
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
kept=$(journal_offset)
[ "$kept" -gt 0 ] && pass "kill -9: $kept bytes journaled" || fail "kill -9: nothing journaled"
once
expect_state COMPLETED 0 "app 2.0 installed"
installed_ok 2.0 "after kill -9"
served_within 40 "after kill -9"
expect_eq "$(fault_stats | python3 -c 'import json,sys; l=[x for x in json.load(sys.stdin)["log"] if x["path"]==sys.argv[1]]; print(l[-1]["range"], l[-1]["if_range"] is not None)' "$PKG")" \
	"bytes=$kept- True" "after kill -9: resumed from the journaled offset, with If-Range"

# --- DNS: inside a network namespace whose resolver does not answer -------------
if ip netns add "hs-dns-$$" 2>/dev/null; then
	mkdir -p "/etc/netns/hs-dns-$$"
	echo "nameserver 127.0.0.1" >"/etc/netns/hs-dns-$$/resolv.conf"
	ip netns exec "hs-dns-$$" ip link set lo up
	fresh "http://updates.example.invalid/"
	set +e
	ip netns exec "hs-dns-$$" "$HAISHIND" -c "$W/client/haishin.conf" --once >"$W/once.out" 2>"$W/once.err"
	RC=$?
	set -e
	LAST=$(tail -n 1 "$W/once.out")
	expect_state FAILED_CONNECT 69 "DNS"
	ip netns del "hs-dns-$$"
	rm -rf "/etc/netns/hs-dns-$$"
else
	skip "a DNS failure ends FAILED_CONNECT naming DNS (needs root and network namespaces: ip netns add)"
fi

finish
