#!/usr/bin/env bash
# faultserver_selftest.sh - exercises faultserver.py with the curl CLI: normal
# serving (ETag, ranges, If-Range, 416), every fault, proxy mode, random
# drops, statistics and TLS.  Exits 0 when every check passes; the last line
# is "N passed, M failed".
# The bash -c snippets take their arguments as $1...: single quotes on purpose.
# shellcheck disable=SC2016
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=faultserver-lib.sh
source "$HERE/faultserver-lib.sh"

# Only loopback traffic: no proxy from the environment.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

PASSED=0
FAILED=0
T=$(mktemp -d "${TMPDIR:-/tmp}/faultserver-st-XXXXXX")
cleanup() {
	fault_stop "$T/srv" 2>/dev/null
	fault_stop "$T/tls" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
[ -n "${FS_DEBUG:-}" ] && trap - EXIT

pass() { echo "ok: $*"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL: $*" >&2; FAILED=$((FAILED + 1)); }
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
	[ -n "${FS_DEBUG:-}" ] && echo "  [$T] RC=$RC CODE=$CODE SZ=$SZ" >&2
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

SIZE=1048576
P=/packages/a.tar.zst
mkdir -p "$T/root/packages" "$T/out"
head -c $SIZE /dev/urandom >"$T/root$P"
echo '{"v": 1}' >"$T/root/manifest.json"
F=$T/root$P
SUM=$(sha256sum <"$F" | cut -d' ' -f1)

# get NAME CURL-ARGS... (URL included): body in $T/out/NAME, headers in
# $T/out/NAME.h; sets RC, CODE (status) and SZ (body bytes).
get() {
	local name=$1
	shift
	RC=0
	CODE=$(curl -s -o "$T/out/$name" -D "$T/out/$name.h" -w '%{http_code}' "$@") || RC=$?
	SZ=$(stat -c %s "$T/out/$name" 2>/dev/null || echo 0)
}
hdr() { # hdr NAME HEADER: the header's value (last response)
	tr -d '\r' <"$T/out/$1.h" | awk -v h="$(echo "$2" | tr '[:upper:]' '[:lower:]')" -F': ' \
		'tolower($1) == h { v = substr($0, length($1) + 3) } END { print v }'
}
same() { cmp -s "$1" "$2"; }
# tailof OFFSET: the file from OFFSET on
tailof() { tail -c +$(($1 + 1)) "$F"; }
# stat_py EXPR: evaluates EXPR over the stats JSON (s)
stat_py() { fault_stats | python3 -c "import json,sys; s=json.load(sys.stdin); print($1)"; }

fault_start "$T/srv" "$T/root" || { echo "0 passed, 1 failed"; exit 1; }
U=${FAULT_URL%/}$P
echo "faultserver on $FAULT_URL"

# ---- normal behaviour ---------------------------------------------------------
get plain "$U"
check "plain GET: 200, byte-exact" test "$RC/$CODE" = 0/200 -a "$(sha256sum <"$T/out/plain" | cut -d' ' -f1)" = "$SUM"
ETAG=$(hdr plain etag)
LM=$(hdr plain last-modified)
check "strong quoted ETag and Last-Modified" bash -c '[[ $1 == \"*\" && -n $2 ]]' _ "$ETAG" "$LM"
get plain2 "$U"
check "ETag stable while the file is unchanged" test "$(hdr plain2 etag)" = "$ETAG"

RC=0
HEADSZ=$(curl -s -I -o /dev/null -D "$T/out/head.h" -w '%{http_code}/%{size_download}' "$U") || RC=$?
check "HEAD: 200, Content-Length, no body" test "$RC/$HEADSZ/$(hdr head content-length)" = "0/200/0/$SIZE"

get tail -r 300000- "$U"
check "Range bytes=N-: 206, right tail, Content-Range" \
	bash -c '[ "$1/$2" = 0/206 ] && cmp -s "$3" <(tail -c +300001 "$4") && [ "$5" = "bytes 300000-1048575/1048576" ]' \
	_ "$RC" "$CODE" "$T/out/tail" "$F" "$(hdr tail content-range)"
get mid -r 1000-1999 "$U"
check "Range bytes=N-M: 206, 1000 bytes" \
	bash -c '[ "$1/$2/$3" = 0/206/1000 ] && cmp -s "$4" <(tail -c +1001 "$5" | head -c 1000)' _ "$RC" "$CODE" "$SZ" "$T/out/mid" "$F"
head -c 400000 "$F" >"$T/out/resume"
RC=0
curl -s -C - -o "$T/out/resume" "$U" || RC=$?
check "curl -C - resumes to the whole file" bash -c '[ "$1" = 0 ] && cmp -s "$2" "$3"' _ "$RC" "$T/out/resume" "$F"
head -c 123456 "$F" >"$T/out/resume2"
RC=0
curl -s -C 123456 -o "$T/out/resume2" "$U" || RC=$?
check "curl -C N resumes to the whole file" bash -c '[ "$1" = 0 ] && cmp -s "$2" "$3"' _ "$RC" "$T/out/resume2" "$F"

get ifr -r 5000- -H "If-Range: $ETAG" "$U"
check "If-Range with the current ETag: 206" test "$CODE/$SZ" = "206/$((SIZE - 5000))"
get ifr2 -r 5000- -H 'If-Range: "stale"' "$U"
check "If-Range with a stale ETag: 200 full" bash -c '[ "$1" = 200 ] && cmp -s "$2" "$3"' _ "$CODE" "$T/out/ifr2" "$F"
get ifr3 -r 5000- -H "If-Range: $LM" "$U"
check "If-Range with the Last-Modified date: 206" test "$CODE/$SZ" = "206/$((SIZE - 5000))"
get ifr4 -r 5000- -H 'If-Range: Thu, 01 Jan 1998 00:00:00 GMT' "$U"
check "If-Range with another date: 200 full" test "$CODE/$SZ" = "200/$SIZE"
get r416 -r $SIZE- "$U"
check "start >= size: 416, Content-Range bytes */SIZE" test "$CODE/$(hdr r416 content-range)" = "416/bytes */$SIZE"
get missing "${FAULT_URL}nope"
check "missing file: 404" test "$CODE" = 404
get escape --path-as-is "${FAULT_URL}packages/../../etc/passwd"
get escape2 "${FAULT_URL}packages/%2e%2e/%2e%2e/etc/passwd"
check "path escape ('..') rejected" test "$CODE" = 400 -a "$(head -c 9 "$T/out/escape")" = "bad path"
RC=0
curl -sv -o /dev/null -o /dev/null "${FAULT_URL}manifest.json" "${FAULT_URL}manifest.json" 2>"$T/out/ka.err" || RC=$?
check "HTTP/1.1 keep-alive: second request reuses the connection" grep -q 'Re-using existing connection' "$T/out/ka.err"

# ---- faults -----------------------------------------------------------------
fault_plan "$P" '[{"drop_after": 100000, "how": "fin"}]'
get dfin "$U"
check "drop_after fin: curl 18, 100000 bytes" test "$RC/$SZ" = 18/100000
fault_plan "$P" '[{"drop_after": 70000, "how": "rst"}]'
get drst "$U"
check "drop_after rst: curl 56 after exactly 70000 bytes" test "$RC/$SZ" = 56/70000
fault_plan "$P" '[{"drop_after": 1000, "how": "fin"}]'
get drange -r 200000- "$U"
check "drop_after honours Range (206, bytes from the offset)" \
	bash -c '[ "$1/$2" = 18/206 ] && cmp -s "$3" <(tail -c +200001 "$4" | head -c 1000)' _ "$RC" "$CODE" "$T/out/drange" "$F"

# curl's low-speed check averages over a window of up to 5 s, so bytes sent
# before the stall delay it: stall from the first byte for the 2 s check.
fault_plan "$P" '[{"stall_after": 0, "seconds": 6}]'
t0=$(date +%s.%N)
get stall --speed-limit 1 --speed-time 2 "$U"
t1=$(date +%s.%N)
check "stall_after 0: curl --speed-limit 1 --speed-time 2 exits 28 after ~2 s" \
	bash -c '[ "$1/$2/$3" = 28/200/0 ] && python3 -c "import sys; d=$5-$4; sys.exit(not 1.5 < d < 4.5)"' _ "$RC" "$CODE" "$SZ" "$t0" "$t1"
fault_plan "$P" '[{"stall_after": 1000, "seconds": 6}]'
t0=$(date +%s.%N)
get stall2 -m 1.5 "$U"
t1=$(date +%s.%N)
check "stall_after 1000: 1000 bytes, then the connection stays open and silent (-m: 28)" \
	bash -c '[ "$1/$2" = 28/1000 ] && cmp -s "$5" <(head -c 1000 "$6") && python3 -c "import sys; d=$4-$3; sys.exit(not 1.3 < d < 4)"' \
	_ "$RC" "$SZ" "$t0" "$t1" "$T/out/stall2" "$F"

fault_plan "$P" '[{"status": 503, "retry_after": "2"}, {"status": 429, "retry_after": "Wed, 21 Oct 2037 07:28:00 GMT"}, {"status": 500}]'
get s503 "$U"
C503=$CODE
get s429 "$U"
C429=$CODE
get s500 "$U"
C500=$CODE
get s200 "$U"
check "status 503 with Retry-After: 2, small body" test "$C503/$(hdr s503 retry-after)/$(head -c 3 "$T/out/s503")" = 503/2/503
check "status 429 with an HTTP-date Retry-After (verbatim)" test "$C429/$(hdr s429 retry-after)" = "429/Wed, 21 Oct 2037 07:28:00 GMT"
check "faults consumed in order, then normal" test "$C500/$(hdr s500 retry-after)/$CODE/$SZ" = "500//200/$SIZE"

fault_plan "$P" '[{"corrupt": [1000, 3000]}, {"corrupt": [1000, 3000]}]'
get corrupt "$U"
CC=$CODE
get corrupt2 -r 2000- "$U"
cmp_py() { # cmp_py OUT OFFSET: prints the differing range [a, b) relative to the file
	python3 - "$F" "$1" "$2" <<'PY'
import sys
f = open(sys.argv[1], "rb").read()
o = open(sys.argv[2], "rb").read()
off = int(sys.argv[3])
f = f[off:off + len(o)]
d = [i for i in range(len(o)) if o[i] != f[i]]
ok = all(o[i] == f[i] ^ 0xFF for i in d)
print("%d-%d %s %d" % (d[0] + off, d[-1] + off + 1, ok, len(d)) if d else "none")
PY
}
check "corrupt: sha256 differs, bytes [1000,3000) XOR 0xFF exactly" \
	test "$CC/$(sha256sum <"$T/out/corrupt" | cut -d' ' -f1 | grep -vc "$SUM")/$(cmp_py "$T/out/corrupt" 0)" = "200/1/1000-3000 True 2000"
check "corrupt uses absolute offsets under Range" test "$(cmp_py "$T/out/corrupt2" 2000)" = "2000-3000 True 1000"

fault_plan "$P" '[{"ignore_range": true}]'
get ignr -r 5000- "$U"
check "ignore_range: 200 with the full body" bash -c '[ "$1" = 200 ] && cmp -s "$2" "$3"' _ "$CODE" "$T/out/ignr" "$F"

fault_plan "$P" '[{"trickle": 20000}]'
t0=$(date +%s.%N)
get trickle -r 0-19999 "$U"
t1=$(date +%s.%N)
check "trickle 20000 B/s: 20000 bytes take ~1 s, byte-exact" \
	bash -c '[ "$1/$2" = 0/20000 ] && cmp -s "$5" <(head -c 20000 "$6") && python3 -c "import sys; d=$4-$3; sys.exit(not 0.9 < d < 3)"' \
	_ "$RC" "$SZ" "$t0" "$t1" "$T/out/trickle" "$F"

fault_plan "$P" '[{"endless": true}]'
RC=0
ENDLESS=$(curl -s -m 1 -D "$T/out/endless.h" -o /dev/null -w '%{size_download}' "$U") || RC=$?
check "endless: no Content-Length, stopped by -m (28), body > size" \
	bash -c '[ "$1" = 28 ] && (( $2 > $3 )) && ! grep -qi "^content-length" "$4"' _ "$RC" "$ENDLESS" "$SIZE" "$T/out/endless.h"
get after-endless "${FAULT_URL}manifest.json"
check "server still answers after the endless client went away" test "$RC/$CODE" = 0/200

fault_plan "$P" '[{"extra": 5000}]'
BEFORE=$(fault_bytes "$P")
get extra "$U"
check "extra: announced length kept; curl (exit 0) keeps exactly the body" \
	bash -c '[ "$1/$2/$5" = "0/200/$6" ] && cmp -s "$3" "$4"' _ "$RC" "$CODE" "$T/out/extra" "$F" "$(hdr extra content-length)" "$SIZE"
sleep 0.2
check "extra: server counted size + 5000 body bytes" test "$(($(fault_bytes "$P") - BEFORE))" = $((SIZE + 5000))
fault_plan "$P" '[{"short": 1000}]'
get short "$U"
check "short: curl 18 with size - 1000 bytes" test "$RC/$SZ/$(hdr short content-length)" = "18/$((SIZE - 1000))/$SIZE"
fault_plan "$P" '[{"no_length": true}]'
get nolen -r 100- "$U"
check "no_length: 200, no Content-Length, full body, close" \
	bash -c '[ "$1/$2" = 0/200 ] && cmp -s "$3" "$4" && ! grep -qi "^content-length" "$5"' _ "$RC" "$CODE" "$T/out/nolen" "$F" "$T/out/nolen.h"
fault_plan "$P" '[{"as_size": 1000}]'
get small "$U"
check "as_size smaller: 200, Content-Length 1000, the file's first 1000 bytes" \
	bash -c '[ "$1/$2/$3" = 0/200/1000 ] && cmp -s "$4" <(head -c 1000 "$5")' _ "$RC" "$CODE" "$(hdr small content-length)" "$T/out/small" "$F"
fault_plan "$P" '[{"as_size": '$((SIZE + 100))'}]'
get big "$U"
check "as_size larger: the whole file, then 100 Zs, Content-Length to match" \
	bash -c '[ "$1/$2/$3" = "0/200/$6" ] && cmp -s "$4" <(cat "$5"; printf "Z%.0s" $(seq 100))' _ "$RC" "$CODE" "$(hdr big content-length)" "$T/out/big" "$F" $((SIZE + 100))
fault_plan "$P" '[{"as_size": 1000}]'
get smallr -r 500- "$U"
check "as_size with a range: 206, Content-Range total 1000" \
	test "$RC/$CODE/$SZ/$(hdr smallr content-range)" = "0/206/500/bytes 500-999/1000"
fault_plan "$P" '[{"as_size": 1000}]'
get small416 -r 2000- "$U"
check "as_size past its end: 416 with total 1000" test "$CODE/$(hdr small416 content-range)" = "416/bytes */1000"
fault_plan "$P" '[{"range_total": 42}]'
get rtotal -r 1000- "$U"
check "range_total: 206, real body, Content-Range total 42" \
	bash -c '[ "$1/$2/$3" = "0/206/bytes 1000-$(($6 - 1))/42" ] && cmp -s "$4" <(tail -c +1001 "$5")' _ "$RC" "$CODE" "$(hdr rtotal content-range)" "$T/out/rtotal" "$F" "$SIZE"
fault_plan "$P" '[{"chunked": true, "as_size": 3000}]'
get chunk "$U"
check "chunked: no Content-Length, 3000 bytes, a clean end (curl exit 0)" \
	bash -c '[ "$1/$2/$3" = 0/200/3000 ] && grep -qi "^transfer-encoding: chunked" "$4" && ! grep -qi "^content-length" "$4"' _ "$RC" "$CODE" "$SZ" "$T/out/chunk.h"
fault_plan "$P" '[{"redirect_loop": true, "times": 10}]'
get redir -L --max-redirs 3 "$U"
check "redirect_loop: 302 to itself, curl --max-redirs 3 exits 47" test "$RC/$CODE/$(hdr redir location)" = "47/302/$P"
check "redirect_loop with times 10: curl followed 3 redirects (4 requests)" \
	test "$(stat_py 'sum(1 for e in s["log"] if e["status"] == 302)')" = 4
fault_plan "$P" '[]'

fault_plan '*' '[{"status": 404}, {"status": 404}]'
fault_plan /manifest.json '[]'
get star1 "${FAULT_URL}manifest.json"
get star2 "${FAULT_URL}other"
get star3 "$U"
S3=$SZ
get star4 "${FAULT_URL}packages/x.bin"
get star5 "${FAULT_URL}other"
check "plan '*': paths without a plan of their own (an empty one exempts)" \
	test "$(head -c 3 "$T/out/star1")/$(head -c 12 "$T/out/star2")/$S3/$(head -c 12 "$T/out/star4")/$(head -c 9 "$T/out/star5")" \
	= "{\"v/404 injected/$SIZE/404 injected/not found"

fault_etag "$P" '"changed"'
get et1 -r 10- -H "If-Range: $ETAG" "$U"
E1=$CODE/$SZ/$(hdr et1 etag)
get et2 -r 10- -H 'If-Range: "changed"' "$U"
check "ETag override: If-Range old -> 200 full, new -> 206" \
	test "$E1 $CODE/$SZ" = "200/$SIZE/\"changed\" 206/$((SIZE - 10))"

# ---- proxy mode ----------------------------------------------------------------
fault_reset
get proxy -x "http://127.0.0.1:$FAULT_PORT" "http://example.invalid$P"
check "proxy mode: absolute URL served byte-exact" bash -c '[ "$1/$2" = 0/200 ] && cmp -s "$3" "$4"' _ "$RC" "$CODE" "$T/out/proxy" "$F"
fault_plan "$P" '[{"status": 503}]'
get proxy2 -x "http://127.0.0.1:$FAULT_PORT" "http://example.invalid$P"
check "proxy mode: counted as proxied, plans apply" test "$CODE/$(stat_py 's["proxied"]')/$(stat_py 's["log"][0]["proxied"]')" = 503/2/True

# ---- random drops ---------------------------------------------------------------
random_run() {
	local out=""
	fault_reset
	fault_random '{"seed": 42, "p": 0.5, "min": 1000, "max": 200000, "how": "mix"}'
	for _ in 1 2 3 4 5 6 7 8; do
		get rnd "$U"
		out="$out $RC:$SZ"
	done
	echo "$out|$(stat_py '[(e["fault"] or {}).get("drop_after") for e in s["log"]]')"
}
R1=$(random_run)
R2=$(random_run)
check "random drops: same seed, same drops ($R1)" test "$R1" = "$R2"
check "random drops: some drop (curl 18/56), some complete" \
	bash -c '[[ $1 == *" 0:1048576"* ]] && [[ $1 =~ (18|56):[0-9]+ ]]' _ "$R1"
check "random drops: drop points in [min, max)" \
	bash -c 'for d in $(echo "$1" | cut -d"|" -f2 | tr -d "[],"); do [ "$d" = None ] || (( d >= 1000 && d < 200000 )) || exit 1; done' _ "$R1"
fault_random '{"p": 0}'
get rnd-off "$U"
check "random drops off with p 0" test "$RC/$SZ" = "0/$SIZE"

# ---- statistics -------------------------------------------------------------------
fault_reset
get st1 "$U"
get st2 -r 1000- -H "If-Range: $ETAG" "$U"
get st3 "${FAULT_URL}manifest.json"
check "stats: requests and body bytes counted (control requests not)" \
	test "$(stat_py 's["requests"], s["total_body_bytes"], s["by_path"]["'$P'"]["requests"]')" = "3 $((SIZE * 2 - 1000 + 9)) 2"
check "fault_bytes total and per path" test "$(fault_bytes)/$(fault_bytes "$P")" = "$((SIZE * 2 - 1000 + 9))/$((SIZE * 2 - 1000))"
check "stats log: range, if_range, status, body_bytes" \
	test "$(stat_py 's["log"][1]["range"], s["log"][1]["if_range"] == "'"${ETAG//\"/\\\"}"'", s["log"][1]["status"], s["log"][1]["body_bytes"], s["log"][0]["range"]')" = "bytes=1000- True 206 $((SIZE - 1000)) None"

# ---- SIGTERM --------------------------------------------------------------------------
fault_plan "$P" '[{"stall_after": 10, "seconds": 30}]'
curl -s -o /dev/null "$U" &
CPID=$!
sleep 0.3
SPID=$(cat "$T/srv/pid")
t0=$(date +%s.%N)
fault_stop "$T/srv"
RC=0
wait "$SPID" || RC=$?
t1=$(date +%s.%N)
wait "$CPID" 2>/dev/null
check "SIGTERM during a stall: exits 0 promptly, port file removed" \
	bash -c '[ "$1" = 0 ] && [ ! -e "$2" ] && python3 -c "import sys; sys.exit(not $4-$3 < 3)"' _ "$RC" "$T/srv/port" "$t0" "$t1"

# ---- TLS ------------------------------------------------------------------------------
openssl req -x509 -newkey ed25519 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
if fault_start "$T/tls" "$T/root" "$T/cert.pem" "$T/key.pem"; then
	UT=${FAULT_URL%/}$P
	get tls-nok "$UT"
	check "TLS: curl without -k fails with 60" test "$RC" = 60
	RC=0
	CODE=$(curl -sv --cacert "$T/cert.pem" -o "$T/out/tls" -w '%{http_code}' "$UT" 2>"$T/out/tls.err") || RC=$?
	check "TLS: --cacert succeeds, byte-exact, ALPN http/1.1" \
		bash -c '[ "$1/$2" = 0/200 ] && cmp -s "$3" "$4" && grep -q "ALPN.*accepted.*http/1.1" "$5"' _ "$RC" "$CODE" "$T/out/tls" "$F" "$T/out/tls.err"
	fault_plan "$P" '[{"drop_after": 5000, "how": "fin"}]'
	get tls-drop --cacert "$T/cert.pem" "$UT"
	check "TLS: control over the TLS port; drop fault applies (curl 18/56)" \
		bash -c '[[ $1 == 18 || $1 == 56 ]] && [ "$2" = 5000 ]' _ "$RC" "$SZ"
	get tls-range --cacert "$T/cert.pem" -r 1000- "$UT"
	check "TLS: range after a drop, connection-level state intact" test "$RC/$CODE/$SZ" = "0/206/$((SIZE - 1000))"
	fault_stop "$T/tls"
else
	fail "TLS server did not start"
fi

if [ -s "$T/srv/stderr.log" ] || [ -s "$T/tls/stderr.log" ]; then
	echo "server stderr:" >&2
	cat "$T/srv/stderr.log" "$T/tls/stderr.log" >&2 2>/dev/null
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
