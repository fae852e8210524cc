#!/usr/bin/env bash
# delta.sh - updates by delta against the fault-injecting server: a delta is
# used when the cache holds the installed version's tar; the full package
# when it does not; a corrupted delta and a tampered cached base each fall
# back to the full package by themselves; a delta that breaks off resumes;
# every install is byte-exact and the history says which path was taken.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/faultserver-lib.sh"
trap 'fault_stop "$W/fault"; cleanup' EXIT

DB="$W/client/state/haishin.db"

# last_row: "method|state|reason" of the newest history row of app.
last_row() {
	sqlite3 "$DB" "select method || '|' || state || '|' || reason from history where component = 'app' order by id desc limit 1"
}

# version V: a ~1.5 MB tree that changes a little from one version to the
# next (a few bytes patched in a binary, a line of text), plus EXTRA bytes
# of new random data.
version() {
	local v=$1 extra=${2:-0}
	mkdir -p "$W/src/app-$v/bin"
	cp "$W/blob" "$W/src/app-$v/bin/app"
	printf 'version %s' "$v" | dd of="$W/src/app-$v/bin/app" bs=1 seek=4096 conv=notrunc status=none
	echo "app $v" >"$W/src/app-$v/VERSION"
	[ "$extra" -eq 0 ] || head -c "$extra" /dev/urandom >"$W/src/app-$v/new.bin"
}

# installed_ok V: the active tree is version V's, byte for byte.
installed_ok() {
	expect_eq "$(tree_digest "$W/client/install/app/current/")" "$(tree_digest "$W/src/app-$1/")" \
		"app $1 is installed byte-exact"
}

pkg_url() {
	python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["components"]["app"]["versions"][sys.argv[2]]; print(c["url"])' \
		"$W/repo/index.json" "$1"
}

delta_url() {
	python3 - "$W/repo/manifest.json" <<'PY'
import base64, json, sys
env = json.load(open(sys.argv[1]))
m = json.loads(base64.b64decode(env["payload"]))
print(m["components"]["app"]["deltas"][0]["url"])
PY
}

world_repo
head -c 1500000 /dev/urandom >"$W/blob"
fault_start "$W/fault" "$W/repo"
CLIENT_EXTRA="retries = 1"
client_config "$FAULT_URL"

# --- the first install is the full package, and its tar is kept -------------
version 1.0
publish app 1.0 "$W/src/app-1.0"
once
expect_state COMPLETED 0 "app 1.0 installed"
installed_ok 1.0
[ -s "$W/client/cache/app.base.tar" ] && pass "the installed version's tar is kept as the next base" ||
	fail "no base kept in the cache"

# --- a delta from the installed version ------------------------------------------
version 1.1
publish app 1.1 "$W/src/app-1.1"
url=$(delta_url)
[ -n "$url" ] && pass "the manifest offers a delta from 1.0" || fail "no delta in the manifest"
fault_reset
once
expect_state COMPLETED 0 "by delta"
installed_ok 1.1
IFS='|' read -r method state reason <<<"$(last_row)"
[[ "$method" == delta-* ]] && pass "history: method $method" || fail "history method '$method'"
[[ "$reason" == *"saved"* ]] && pass "history: the bytes saved ($reason)" || fail "no bytes saved in: $reason"
pkg_size=$(stat -c %s "$W/repo/$(pkg_url 1.1)")
delta_size=$(stat -c %s "$W/repo/$url")
[ "$delta_size" -lt $((pkg_size / 10)) ] && pass "the delta ($delta_size B) is under a tenth of the package ($pkg_size B)" ||
	fail "delta $delta_size B vs package $pkg_size B"
requests=$(fault_stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["by_path"].get(sys.argv[1], {}).get("requests", 0))' "/$(pkg_url 1.1)")
expect_eq "$requests" 0 "the full package was not downloaded"

# --- no base in the cache: the full package, and the history says why ----------
rm -f "$W/client/cache/app.base.tar" "$W/client/cache/app.base.sha256"
version 1.2
publish app 1.2 "$W/src/app-1.2"
once
expect_state COMPLETED 0
installed_ok 1.2
IFS='|' read -r method state reason <<<"$(last_row)"
expect_eq "$method" fallback "no base: history method fallback"
[[ "$reason" == *"no base of 1.1"* ]] && pass "no base: the reason says so" || fail "reason: $reason"

# --- a corrupted delta: refused, then the full package ------------------------
version 1.3
publish app 1.3 "$W/src/app-1.3"
url=$(delta_url)
fault_reset
fault_plan "/$url" '[{"corrupt": [100, 120], "times": 10}]'
once
expect_state COMPLETED 0
installed_ok 1.3
IFS='|' read -r method state reason <<<"$(last_row)"
expect_eq "$method" fallback "a corrupted delta: history method fallback"
[[ "$reason" == *"could not be used"* ]] && pass "a corrupted delta: the reason says so" || fail "reason: $reason"

# --- a tampered cached base: the delta's check refuses it, full package --------
python3 - "$W/client/cache/app.base.tar" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[10000] ^= 0xFF
open(p, "wb").write(bytes(b))
PY
version 1.4
publish app 1.4 "$W/src/app-1.4"
fault_reset
once
expect_state COMPLETED 0
installed_ok 1.4
IFS='|' read -r method state reason <<<"$(last_row)"
expect_eq "$method" fallback "a tampered base: history method fallback"
[[ "$reason" == *"base"* ]] && pass "a tampered base: the reason names the base" || fail "reason: $reason"

# --- a delta that breaks off resumes -------------------------------------------
version 1.5 400000
publish app 1.5 "$W/src/app-1.5"
url=$(delta_url)
fault_reset
fault_plan "/$url" '[{"drop_after": 150000, "how": "rst"}, {"drop_after": 150000, "how": "rst"}]'
once
expect_state INTERRUPTED 75
installed_ok 1.4
fault_reset
once
expect_state COMPLETED 0 "by delta"
installed_ok 1.5
sent=$(fault_stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["by_path"].get(sys.argv[1], {}).get("body_bytes", -1))' "/$url")
delta_size=$(stat -c %s "$W/repo/$url")
[ "$sent" -ge 0 ] && [ "$sent" -lt "$delta_size" ] &&
	pass "the delta resumed: $sent of $delta_size bytes sent the second time" ||
	fail "the delta did not resume ($sent of $delta_size bytes sent)"

# --- a delta missing on the server (a mirror without deltas): full package -----
version 1.5.5
publish app 1.5.5 "$W/src/app-1.5.5"
rm -f "$W/repo/$(delta_url)"
once
expect_state COMPLETED 0
installed_ok 1.5.5
IFS='|' read -r method state reason <<<"$(last_row)"
expect_eq "$method" fallback "a missing delta: history method fallback"

# --- deltas off: always the full package ----------------------------------------
printf 'deltas = no\n' >>"$W/client/haishin.conf"
version 1.6
publish app 1.6 "$W/src/app-1.6"
once
expect_state COMPLETED 0
installed_ok 1.6
IFS='|' read -r method state reason <<<"$(last_row)"
expect_eq "$method" full "deltas = no: the full package"

finish
