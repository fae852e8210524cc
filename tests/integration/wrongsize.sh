#!/usr/bin/env bash
# wrongsize.sh - the signed size is the law.  A server whose answer says the
# file has another size than the manifest signed - a 200 of another
# Content-Length, a body that ends cleanly short or runs long, a 206 or a
# 416 of another total - has a wrong file: FAILED_VERIFY, nothing of it
# kept, never an INTERRUPTED that fetches the same wrong bytes on every
# run; a mirror with the right file is used instead, and a wrong delta
# falls back to the full package.  A real drop mid-body stays INTERRUPTED
# with its bytes kept, and the next run resumes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/faultserver-lib.sh"

trap 'fault_stop "$W/fault"; cleanup' EXIT

world_repo
mkdir -p "$W/src/app-1" "$W/src/app-2" "$W/nginx"
echo base >"$W/src/app-1/file"
"$PUBLISH" add "$W/repo" app 1.0 "$W/src/app-1" >/dev/null
"$PUBLISH" sign "$W/repo" --key "$W/man" >/dev/null
fault_start "$W/fault" "$W/repo"
# retries = 4: a wrong file must end the run however many attempts it has.
CLIENT_EXTRA="retries = 4
backoff_max = 2
min_rate = 1000"
client_config "$FAULT_URL"
once
expect_state COMPLETED 0 "app 1.0 installed"

# Version 2: 2 MiB that does not compress.
head -c 2097152 /dev/urandom >"$W/src/app-2/blob"
"$PUBLISH" add "$W/repo" app 2.0 "$W/src/app-2" >/dev/null
"$PUBLISH" sign "$W/repo" --key "$W/man" >/dev/null
chmod -R o+rX "$W/repo"
PKG=/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["components"]["app"]["versions"]["2.0"]["url"])' "$W/repo/index.json")
SIZE=$(stat -c %s "$W/repo$PKG")
cp -a "$W/client" "$W/client.v1"
nginx_start "$W/nginx" "$W/repo"

# fresh [URL [EXTRA]]: the client back at 1.0, nothing downloaded, no faults.
fresh() {
	rm -rf "$W/client"
	cp -a "$W/client.v1" "$W/client"
	CLIENT_EXTRA="retries = 4
backoff_max = 2
min_rate = 1000
${2:-}" client_config "${1:-$FAULT_URL}"
	fault_reset
}

# one_attempt: a single attempt per run, so a drop ends the run.
one_attempt() {
	CLIENT_EXTRA="retries = 1
backoff_max = 2
min_rate = 1000" client_config "$FAULT_URL"
}

journal_offset() {
	sqlite3 "$W/client/state/haishin.db" "select coalesce((select offset from partial where name = '${1:-app}'), -1)"
}

part_size() {
	stat -c %s "$W/client/cache/${1:-app}.part" 2>/dev/null || echo -1
}

# requests PATH: how many GETs of PATH the fault server answered.
requests() {
	fault_stats | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin)["log"] if e["path"] == sys.argv[1]))' "$1"
}

# still_v1 WHAT: nothing was installed, 1.0 is active and byte-exact, and
# nothing of the wrong file is kept.
still_v1() {
	expect_eq "$(readlink "$W/client/install/app/current")" 1.0 "$1: app 1.0 is still active"
	expect_same_tree "$W/client/install/app/current/" "$W/src/app-1/" "$1: app 1.0 byte-exact"
	expect_eq "$(part_size)/$(journal_offset)" "-1/-1" "$1: no part file and no journal kept"
}

installed_v2() {
	expect_eq "$(readlink "$W/client/install/app/current")" 2.0 "$1: app 2.0 is active"
	expect_same_tree "$W/client/install/app/current/" "$W/src/app-2/" "$1: app 2.0 byte-exact"
}

WRONG="(a wrong file on the server)"

# --- a short wrong body: 200, complete, fewer bytes than signed ---------------
fresh
fault_plan "$PKG" '[{"as_size": 100000, "times": 20}]'
once
expect_state FAILED_VERIFY 65 "package 'app' from '${FAULT_URL}${PKG#/}': the server sent 100000 bytes where the signed size is $SIZE $WRONG"
[[ "$LAST" == *"the previous version is still active"* ]] &&
	pass "short wrong body: the reason says the previous version is still active" ||
	fail "short wrong body: the reason does not say what stays: $LAST"
still_v1 "short wrong body"
expect_eq "$(requests "$PKG")" 1 "short wrong body: the server with the wrong file is asked once in the run"
once
expect_state FAILED_VERIFY 65 "the server sent 100000 bytes"
expect_eq "$(requests "$PKG")" 2 "short wrong body: the second run asks once again, and ends FAILED_VERIFY again, not INTERRUPTED"
still_v1 "short wrong body, second run"

# --- a long wrong body: more bytes than signed, with a Content-Length --------
fresh
fault_plan "$PKG" '[{"as_size": '$((SIZE + 5000))', "times": 20}]'
once
expect_state FAILED_VERIFY 65 "the server sent $((SIZE + 5000)) bytes where the signed size is $SIZE $WRONG"
still_v1 "long wrong body"

# --- chunked: the last chunk marks the end of a short wrong body -----------
fresh
fault_plan "$PKG" '[{"as_size": 300000, "chunked": true, "times": 20}]'
once
expect_state FAILED_VERIFY 65 "the server sent 300000 bytes where the signed size is $SIZE $WRONG"
still_v1 "chunked short wrong body"

# --- chunked and too long: refused at the signed size ---------------------------
fresh
fault_plan "$PKG" '[{"as_size": '$((SIZE + 200000))', "chunked": true, "times": 20}]'
once
expect_state FAILED_VERIFY 65 "endless data: the server sent more than the $SIZE bytes signed $WRONG"
still_v1 "chunked long wrong body"

# --- a 206 with a wrong Content-Range total on resume ----------------------------
fresh
one_attempt
fault_plan "$PKG" '[{"drop_after": 500000}]'
once
expect_state INTERRUPTED 75 "500000 of $SIZE bytes kept"
fault_plan "$PKG" '[{"range_total": '$((SIZE + 1))', "times": 20}]'
once
expect_state FAILED_VERIFY 65 "the server's file is $((SIZE + 1)) bytes where the signed size is $SIZE $WRONG"
expect_eq "$(fault_stats | python3 -c 'import json,sys; l=[x for x in json.load(sys.stdin)["log"] if x["path"]==sys.argv[1]]; print(l[-1]["status"], l[-1]["range"])' "$PKG")" \
	"206 bytes=500000-" "206 wrong total: it answered the resume"
still_v1 "206 wrong total"
once
expect_state COMPLETED 0 "app 2.0 installed"
installed_v2 "206 wrong total, then the right file"

# --- a 416 whose total is another size: the server's file is shorter ----------
fresh
one_attempt
fault_plan "$PKG" '[{"drop_after": 500000}]'
once
expect_state INTERRUPTED 75 "500000 of $SIZE bytes kept"
fault_plan "$PKG" '[{"as_size": 400000, "times": 20}]'
once
expect_state FAILED_VERIFY 65 "the server's file is 400000 bytes where the signed size is $SIZE $WRONG"
still_v1 "416 wrong total"

# --- the primary has the wrong file, the mirror the right one ------------------
fresh "$FAULT_URL" "[server]
mirrors = $NGINX_URL"
fault_plan "$PKG" '[{"as_size": 100000, "times": 20}]'
once
expect_state COMPLETED 0 "app 2.0 installed"
installed_v2 "wrong primary, right mirror"
expect_eq "$(requests "$PKG")" 1 "wrong primary, right mirror: the primary was asked once"
# $body_bytes_sent is the fifth field of the haishin log format
# (scripts/nginx-lib.sh): the request line is three.
served=$(awk -v p="GET $PKG " 'index($0, p) == 1 { n += $5 } END { print n + 0 }' "$W/nginx/access.log")
expect_eq "$served" "$SIZE" "wrong primary, right mirror: the mirror served the whole file"

# A drop on the primary, then the mirror lies about the total when asked to
# resume: the primary goes on from the bytes kept (an answer refused by its
# headers stored nothing), and the mirror is not asked again.  The mirror is
# the same fault server under another name, so the plan below runs in the
# order of the requests: primary, mirror, primary.
fresh "$FAULT_URL" "[server]
mirrors = http://localhost:$FAULT_PORT/"
fault_plan "$PKG" '[{"drop_after": 700000}, {"range_total": 5}]'
once
expect_state COMPLETED 0 "app 2.0 installed"
installed_v2 "drop, then a wrong total on the mirror"
expect_eq "$(fault_stats | python3 -c 'import json,sys; print(" ".join("%s:%s" % (x["status"], x["range"]) for x in json.load(sys.stdin)["log"] if x["path"]==sys.argv[1]))' "$PKG")" \
	"200:None 206:bytes=700000- 206:bytes=700000-" \
	"drop, then a wrong total on the mirror: the primary resumed from byte 700000, the mirror was asked once"

# Both have the wrong file: FAILED_VERIFY naming it, nothing kept.
fresh "$FAULT_URL" "[server]
mirrors = http://localhost:$FAULT_PORT/"
fault_plan "$PKG" '[{"as_size": 100000, "times": 20}]'
once
expect_state FAILED_VERIFY 65 "$WRONG"
expect_eq "$(requests "$PKG")" 2 "both wrong: each server asked once"
still_v1 "both wrong"

# The primary has the wrong file, the mirror does not have it at all.
fresh "$FAULT_URL" "[server]
mirrors = http://localhost:$FAULT_PORT/"
fault_plan "$PKG" '[{"as_size": 100000}, {"status": 404, "times": 20}]'
once
expect_state FAILED_VERIFY 65 "the server sent 100000 bytes where the signed size is $SIZE $WRONG; HTTP: 404"
still_v1 "wrong primary, mirror without it"

# --- a real drop mid-body is still INTERRUPTED, and the next run resumes -------
for mode in '"drop_after": 800000, "how": "rst"' '"drop_after": 800000, "how": "fin"' '"no_length": true, "drop_after": 800000'; do
	fresh
	one_attempt
	fault_plan "$PKG" "[{$mode}]"
	once
	expect_state INTERRUPTED 75 "800000 of $SIZE bytes kept"
	expect_eq "$(journal_offset)/$(part_size)" "800000/800000" "drop ($mode): 800000 bytes journaled and on disk"
	once
	expect_state COMPLETED 0 "app 2.0 installed"
	installed_v2 "drop ($mode), then resumed"
	expect_eq "$(fault_bytes "$PKG")" "$SIZE" "drop ($mode): the next run asked only for the rest"
done

# --- a delta of the wrong size falls back to the full package ------------------
cp -a "$W/client" "$W/client.v2"
mkdir -p "$W/src/app-3"
cp "$W/src/app-2/blob" "$W/src/app-3/blob"
printf 'version 3' | dd of="$W/src/app-3/blob" bs=1 seek=4096 conv=notrunc status=none
"$PUBLISH" add "$W/repo" app 3.0 "$W/src/app-3" >/dev/null
"$PUBLISH" sign "$W/repo" --key "$W/man" >/dev/null
chmod -R o+rX "$W/repo"
DELTA=/$(python3 - "$W/repo/manifest.json" <<'PY'
import base64, json, sys
env = json.load(open(sys.argv[1]))
m = json.loads(base64.b64decode(env["payload"]))
print(m["components"]["app"]["deltas"][0]["url"])
PY
)
DELTA_SIZE=$(stat -c %s "$W/repo$DELTA")
PKG3=/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["components"]["app"]["versions"]["3.0"]["url"])' "$W/repo/index.json")
[ "$DELTA_SIZE" -lt $((SIZE / 10)) ] && pass "the manifest offers a small delta from 2.0 ($DELTA_SIZE bytes)" ||
	fail "delta of $DELTA_SIZE bytes for a $SIZE-byte package"
fault_reset
fault_plan "$DELTA" '[{"as_size": 10, "times": 20}]'
once
expect_state COMPLETED 0 "app 3.0 installed"
expect_same_tree "$W/client/install/app/current/" "$W/src/app-3/" "wrong delta: app 3.0 byte-exact from the full package"
IFS='|' read -r method reason <<<"$(sqlite3 "$W/client/state/haishin.db" "select method || '|' || reason from history where component = 'app' order by id desc limit 1")"
expect_eq "$method" fallback "wrong delta: history method fallback"
[[ "$reason" == *"the delta from 2.0 could not be used"*"the server sent 10 bytes where the signed size is $DELTA_SIZE $WRONG"* ]] &&
	pass "wrong delta: the history says the delta was a wrong file" || fail "wrong delta: reason: $reason"
expect_eq "$(requests "$PKG3")" 1 "wrong delta: the full package was fetched once"
expect_eq "$(part_size 'app@delta')/$(journal_offset 'app@delta')" "-1/-1" "wrong delta: nothing of it kept"

# A delta that breaks off is still resumed as a delta.
rm -rf "$W/client"
cp -a "$W/client.v2" "$W/client"
one_attempt
fault_reset
fault_plan "$DELTA" '[{"drop_after": 100, "how": "rst"}]'
once
expect_state INTERRUPTED 75 "100 of $DELTA_SIZE bytes kept"
once
expect_state COMPLETED 0 "by delta"

finish
