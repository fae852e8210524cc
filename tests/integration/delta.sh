#!/usr/bin/env bash
# delta.sh - updates by delta against the fault-injecting server: a delta is
# used when the cache holds the installed version's tar; the full package
# when it does not; a corrupted delta and a tampered cached base each fall
# back to the full package by themselves; a delta that breaks off resumes;
# every install is byte-exact and the history says which path was taken.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/faultserver-lib.sh"
trap 'fault_stop "$W/fault"; fault_stop "$W/fault2"; cleanup' EXIT

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
expect_eq "$(sqlite3 "$DB" "select saved || ' ' || bytes from history where component = 'app' order by id desc limit 1")" \
	"$((pkg_size - delta_size)) $delta_size" "history: saved = package - delta, bytes = the delta's"

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
grep -Eq "^DOWNLOADING app [0-9]+ of [0-9]+ bytes" "$W/once.out" && ! grep -q "@delta" "$W/once.out" &&
	pass "the delta's progress is reported for the component app" ||
	fail "progress: $(grep DOWNLOADING "$W/once.out" | head -3)"
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

# --- a delta and the full package both missing: the row still says why ----------
version 1.5.6
publish app 1.5.6 "$W/src/app-1.5.6"
mv "$W/repo/$(pkg_url 1.5.6)" "$W/pkg.away"
rm -f "$W/repo/$(delta_url)"
once
expect_state FAILED_CONNECT 69
installed_ok 1.5.5
IFS='|' read -r method state reason <<<"$(last_row)"
expect_eq "$method" fallback "a failed full package after a fallback: history method fallback"
[[ "$reason" == *"the delta from 1.5.5 could not be used"* ]] &&
	pass "a failed full package after a fallback: the reason keeps why the delta was not used" ||
	fail "reason: $reason"
[ -s "$W/client/cache/app.base.tar" ] && pass "a delta that did not arrive leaves the base in the cache" ||
	fail "the base was forgotten"
mv "$W/pkg.away" "$W/repo/$(pkg_url 1.5.6)"
once
expect_state COMPLETED 0
installed_ok 1.5.6

# --- a signed delta that does not rebuild the package: not fetched again --------
# The publisher signed a delta of the right base that rebuilds another tar.
# It is refused with the full package's download failing too; the next run
# goes straight to the full package.
version 1.5.6.1
publish app 1.5.6.1 "$W/src/app-1.5.6.1"
url=$(delta_url)
head -c 1000 /dev/urandom | cat "$W/client/cache/app.base.tar" - >"$W/other.tar"
"$PUBLISH" delta "$W/client/cache/app.base.tar" "$W/other.tar" -o "$W/repo/$url" >/dev/null
python3 - "$W/repo/manifest.json" "$W/repo/$url" "$W/payload.json" <<'PY'
import base64, hashlib, json, sys
env = json.load(open(sys.argv[1]))
m = json.loads(base64.b64decode(env["payload"]))
blob = open(sys.argv[2], "rb").read()
d = m["components"]["app"]["deltas"][0]
d["size"], d["sha256"] = len(blob), hashlib.sha256(blob).hexdigest()
json.dump(m, open(sys.argv[3], "w"))
PY
python3 "$SIGN" application/vnd.haishin.manifest+json "$W/payload.json" "$W/man.key" >"$W/repo/manifest.json"
chmod -R o+rX "$W/repo"
mv "$W/repo/$(pkg_url 1.5.6.1)" "$W/pkg.away"
fault_reset
once
expect_state FAILED_CONNECT 69
installed_ok 1.5.6
IFS='|' read -r method state reason <<<"$(last_row)"
[[ "$reason" == *"rebuilds another tar"* ]] && pass "a wrong signed delta: the reason says it rebuilds another tar" ||
	fail "reason: $reason"
[ -s "$W/client/cache/app.base.tar" ] && pass "a wrong delta leaves the base in the cache" ||
	fail "the base was forgotten for the delta's fault"
mv "$W/pkg.away" "$W/repo/$(pkg_url 1.5.6.1)"
fault_reset
once
expect_state COMPLETED 0
installed_ok 1.5.6.1
expect_eq "$(fault_bytes "/$url")" 0 "the refused delta was not downloaded again"
IFS='|' read -r method state reason <<<"$(last_row)"
[[ "$method" == fallback && "$reason" == *"when it was tried before"* ]] &&
	pass "the history says the delta was refused before" || fail "row: $method $reason"

# --- the next version's delta is used again ------------------------------------
version 1.5.6.2
publish app 1.5.6.2 "$W/src/app-1.5.6.2"
once
expect_state COMPLETED 0 "by delta"
installed_ok 1.5.6.2

# --- the primary fails, the mirror has no deltas: fall back, from the primary ---
# Three tries of the delta: the primary's 503, the mirror's 404, the primary's
# 503 again.  The last error is the primary's, yet the mirror's 404 says the
# delta is not to be had.
version 1.5.7
publish app 1.5.7 "$W/src/app-1.5.7"
url=$(delta_url)
mkdir -p "$W/mirror"
cp -a "$W/repo/." "$W/mirror/"
rm -f "$W/mirror/$url"
primary=$FAULT_URL
fault_start "$W/fault2" "$W/mirror"
mirror=$FAULT_URL
FAULT_URL=$primary
fault_reset
fault_plan "/$url" '[{"status": 503, "times": 50}]'
CLIENT_EXTRA="retries = 3
[server]
mirrors = $mirror" client_config "$primary"
once
expect_state COMPLETED 0
installed_ok 1.5.7
IFS='|' read -r method state reason <<<"$(last_row)"
expect_eq "$method" fallback "the primary fails and the mirror lacks the delta: fallback"
FAULT_URL=$mirror fault_stop "$W/fault2"
FAULT_URL=$primary
fault_reset
client_config "$FAULT_URL"
ls "$W/client/cache" | grep -q '\.part$' && fail "part files left in the cache: $(ls "$W/client/cache")" ||
	pass "no part file left in the cache"

# --- cache_max bounds all the bases together: the oldest leaves ------------------
mkdir -p "$W/src/lib-1.0" "$W/src/lib-1.1"
head -c 1500000 /dev/urandom >"$W/src/lib-1.0/lib.bin"
cp "$W/src/lib-1.0/lib.bin" "$W/src/lib-1.1/lib.bin"
echo 1.1 >"$W/src/lib-1.1/VERSION"
base_size=$(stat -c %s "$W/client/cache/app.base.tar")
printf 'cache_max = %d\n' $((base_size + base_size / 2)) >>"$W/client/haishin.conf"
publish lib 1.0 "$W/src/lib-1.0"
once
expect_state COMPLETED 0
[ -s "$W/client/cache/lib.base.tar" ] && [ ! -e "$W/client/cache/app.base.tar" ] &&
	[ ! -e "$W/client/cache/app.base.sha256" ] &&
	pass "cache_max: the new base of lib pushed out the older base of app" ||
	fail "cache_max: the cache holds $(ls "$W/client/cache")"
publish lib 1.1 "$W/src/lib-1.1"
once
expect_state COMPLETED 0
method=$(sqlite3 "$DB" "select method from history where component = 'lib' order by id desc limit 1")
[[ "$method" == delta-* ]] && pass "cache_max: the base kept is used for lib's delta ($method)" ||
	fail "cache_max: lib 1.1 went in by '$method'"
# Two updates in one run, room for one base.  app goes first (in full: its
# base left the cache); keeping its base must not push out lib's, which lib's
# delta is about to use.
version 1.5.8
publish app 1.5.8 "$W/src/app-1.5.8"
mkdir -p "$W/src/lib-1.2"
cp "$W/src/lib-1.1/lib.bin" "$W/src/lib-1.2/lib.bin"
echo 1.2 >"$W/src/lib-1.2/VERSION"
publish lib 1.2 "$W/src/lib-1.2"
once
expect_state COMPLETED 0
installed_ok 1.5.8
method=$(sqlite3 "$DB" "select method from history where component = 'lib' order by id desc limit 1")
[[ "$method" == delta-* ]] && pass "cache_max: lib's base stayed for its delta in the same run ($method)" ||
	fail "cache_max: lib 1.2 went in by '$method'"
[ -s "$W/client/cache/lib.base.tar" ] && [ ! -e "$W/client/cache/app.base.tar" ] &&
	pass "cache_max: lib's new base kept, app's not (no room beside a base still needed)" ||
	fail "cache_max: the cache holds $(ls "$W/client/cache")"
: >"$W/client/cache/app.base.tar.tmp"
: >"$W/client/cache/lib.tar.new"
: >"$W/client/cache/app.base.sha256.tmp.1234"
: >"$W/client/cache/not-ours.tar.new.keep"
sed -i 's/^cache_max = .*/cache_max = 0/' "$W/client/haishin.conf"
once
expect_state UP_TO_DATE 0
left=$(cd "$W/client/cache" && ls | grep -E '\.base\.|\.tar\.new$' || true)
expect_eq "$left" "" "cache_max = 0: the next run leaves no base and no leftover in the cache"
[ -e "$W/client/cache/not-ours.tar.new.keep" ] && pass "the sweep leaves files that are not its own" ||
	fail "the sweep removed a file that is not its own"
sed -i '/^cache_max = /d' "$W/client/haishin.conf"

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
