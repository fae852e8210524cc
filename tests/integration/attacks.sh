#!/usr/bin/env bash
# attacks.sh - The Update Framework's threat model, attack by attack, against
# a real client (haishind --once) talking to a real nginx and, where a hostile
# or flaky server is needed, to the fault-injecting server.  Every line names
# its attack: "ok: [rollback] ..." or "FAIL: [rollback] ...".
#
# Each refused attack must end in its terminal state and exit code, with a
# reason that names the check, and leave the installed tree byte for byte as
# it was (tree_digest before and after).  Metadata an attacker would make is
# made by an independent signer (dsse_sign.py), never by haishin's own code.
#
#   arbitrary_package              other bytes of the signed size
#   rollback                       an older manifest; an older root
#   indefinite_freeze              an expired manifest or root, re-served
#   endless_data                   bodies past the signed size; huge metadata
#   mix_and_match                  a vendor entry under another name; pieces
#                                  of two signed manifests
#   malicious_mirror               a mirror (or the primary) serving other bytes
#   fast_forward                   serial 1000 by a leaked key, then recovery
#   key_compromise_below_threshold one of two required manifest keys
#   wrong_vendor                   an entry signed by a vendor that does not
#                                  own the component, or by none
#   slow_retrieval                 a trickling or silent server
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/faultserver-lib.sh"

trap 'fault_stop "$W/fa"; fault_stop "$W/fb"; cleanup' EXIT

MT=application/vnd.haishin.manifest+json
RT=application/vnd.haishin.root+json
export W SIGN
A=setup # the attack under test: every ok/FAIL line names it

ok() { pass "[$A] $*"; }
bad() { fail "[$A] $*"; }

attack() {
	A=$1
	echo "--- [$A] $2"
}

# --- the attacker's toolbox ---------------------------------------------------

# craft.py CODE BASE: runs CODE with p = the payload of envelope BASE (or {}
# when BASE is "") and the helpers below; prints p (or out, when CODE sets
# it) as JSON.
cat >"$W/craft.py" <<'PY'
import base64, hashlib, json, os, subprocess, sys, time

W, SIGN = os.environ["W"], os.environ["SIGN"]
ET = "application/vnd.haishin.entry+json"


def load(path):
    return json.loads(base64.b64decode(json.load(open(path))["payload"]))


def when(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds))


def key(prefix):
    der = subprocess.run(["openssl", "pkey", "-pubin", "-in", f"{W}/{prefix}.pub",
                          "-outform", "DER"], check=True, capture_output=True).stdout
    raw = der[-32:]
    return hashlib.sha256(raw).hexdigest(), {
        "keytype": "ed25519", "public": base64.b64encode(raw).decode()}


def role(r, prefixes, threshold=1):
    """A role of the keys W/PREFIX.pub, which are added to root r."""
    ids = []
    for p in prefixes:
        kid, entry = key(p)
        r["keys"][kid] = entry
        ids.append(kid)
    return {"keyids": ids, "threshold": threshold}


def prune(r):
    """Drops the keys no role of root r names."""
    used = set()
    for x in list(r["roles"].values()) + list(r.get("vendors", {}).values()):
        used.update(x["keyids"])
    r["keys"] = {k: v for k, v in r["keys"].items() if k in used}


def signed(ptype, payload, prefixes):
    path = f"{W}/craft-entry.json"
    with open(path, "w") as f:
        f.write(json.dumps(payload))
    out = subprocess.run([sys.executable, SIGN, ptype, path] +
                         [f"{W}/{k}.key" for k in prefixes],
                         check=True, capture_output=True).stdout
    return json.loads(out)


def comp(name, version):
    """A plain manifest component for a version in the repository's index."""
    ix = json.load(open(os.environ["INDEX"]))["components"][name]
    v = ix["versions"][version]
    return {"version": version, "minimum": ix.get("minimum", version),
            "restart": ix.get("restart", "none"),
            "package": {"url": v["url"], "size": v["size"],
                        "sha256": v["sha256"]}}


def entry(fields, name, vendor, prefixes):
    """{"vendor", "entry"}: fields as the entry for NAME, signed by prefixes."""
    payload = dict(fields, _type="entry", name=name)
    return {"vendor": vendor, "entry": signed(ET, payload, prefixes)}


p = load(sys.argv[2]) if sys.argv[2] else {}
out = None
exec(sys.argv[1])
json.dump(p if out is None else out, sys.stdout)
PY

# craft BASE CODE: the payload, on stdout.
craft() {
	INDEX=${INDEX:-} python3 "$W/craft.py" "$2" "$1"
}

# signed_as TYPE OUT PAYLOAD_FILE KEY...: an envelope signed by $W/KEY.key.
signed_as() {
	local type=$1 out=$2 payload=$3 k keys=()
	shift 3
	for k; do keys+=("$W/$k.key"); done
	"$SIGN" "$type" "$payload" "${keys[@]}" >"$out.tmp"
	chmod 644 "$out.tmp"
	mv "$out.tmp" "$out"
}

# manifest_as OUT BASE CODE KEY...: BASE's manifest payload changed by CODE,
# signed by the keys.
manifest_as() {
	local out=$1 base=$2 code=$3
	shift 3
	craft "$base" "$code" >"$W/m-payload.json"
	signed_as "$MT" "$out" "$W/m-payload.json" "$@"
}

# root_as OUT BASE CODE KEY...: the same for a root.
root_as() {
	local out=$1 base=$2 code=$3
	shift 3
	craft "$base" "$code" >"$W/r-payload.json"
	signed_as "$RT" "$out" "$W/r-payload.json" "$@"
}

# splice OUT SIGS_FROM PAYLOAD_FROM: PAYLOAD_FROM's payload under SIGS_FROM's
# signatures (pieces of two envelopes).
splice() {
	python3 - "$2" "$3" >"$1" <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
a["payload"] = b["payload"]
json.dump(a, sys.stdout)
PY
}

# served: the web servers run as another user: everything readable.
served() {
	chmod -R o+rX "$W/repo" "$W/evil" 2>/dev/null || true
}

# has_verb VERB: the built haishin-publish offers VERB (HS_ATTACKS_CRAFT=1
# crafts every root with the independent signer instead).
has_verb() {
	[ -z "${HS_ATTACKS_CRAFT:-}" ] && "$PUBLISH" --help 2>&1 | grep -q "^  $1 "
}

# rotate REPO KEY...: the next root names KEY... as the manifest keys
# (threshold 1), signed by the root key.
rotate() {
	local repo=$1 k args=() v
	shift
	if has_verb rotate; then
		for k; do args+=(--new-manifest-key "$W/$k"); done
		"$PUBLISH" rotate "$repo" --root-key "$W/root" "${args[@]}" >/dev/null
	else
		v=$(($(craft "$repo/root.json" 'out = p["version"]') + 1))
		root_as "$repo/$v.root.json" "$repo/root.json" \
			"p['version'] += 1; p['roles']['manifest'] = role(p, [$(printf "'%s', " "$@")]); prune(p)" \
			root
		cp "$repo/$v.root.json" "$repo/root.json"
	fi
	served
}

# vendors REPO: the next root(s) give card-* to acme and face* to beta.
vendors() {
	local repo=$1 v
	if has_verb vendor; then
		"$PUBLISH" vendor "$repo" acme --root-key "$W/root" --vendor-key "$W/acme" \
			--components 'card-*' >/dev/null
		"$PUBLISH" vendor "$repo" beta --root-key "$W/root" --vendor-key "$W/beta" \
			--components 'face*' >/dev/null
	else
		v=$(($(craft "$repo/root.json" 'out = p["version"]') + 1))
		root_as "$repo/$v.root.json" "$repo/root.json" \
			'p["version"] += 1
p["vendors"] = {"acme": dict(role(p, ["acme"]), components=["card-*"]),
                "beta": dict(role(p, ["beta"]), components=["face*"])}' root
		cp "$repo/$v.root.json" "$repo/root.json"
	fi
	served
}

# --- the client ------------------------------------------------------------------

# client_new URL PINNED_ROOT: a new terminal trusting PINNED_ROOT.
client_new() {
	rm -rf "$W/client"
	mkdir -p "$W/client"
	cp "$2" "$W/client/root.json"
	client_config "$1"
}

trust_of() {
	sqlite3 "$W/client/state/haishin.db" \
		"select root_version || '|' || manifest_serial from trust"
}

part_of() {
	stat -c %s "$W/client/cache/$1.part" 2>/dev/null || echo none
}

current_of() {
	readlink "$W/client/install/$1/current" 2>/dev/null || echo none
}

# expect_run STATE CODE TEXT WHAT: the last run ended in STATE with exit
# CODE, its reason naming TEXT.
expect_run() {
	local state=$1 code=$2 text=$3 what=$4
	if [ "$RC" -ne "$code" ] || [ "${LAST%% *}" != "$state" ]; then
		bad "$what: expected $state (exit $code), got exit $RC: $LAST"
		sed 's/^/  | /' "$W/once.err" >&2
		return 0
	fi
	if [ -n "$text" ] && [[ "$LAST" != *"$text"* ]]; then
		bad "$what: the reason does not name \"$text\": $LAST"
		return 0
	fi
	ok "$what: $state (exit $code)${text:+, the reason names \"$text\"}"
}

# run_expect STATE CODE TEXT WHAT: once, then expect_run.
run_expect() {
	once
	expect_run "$@"
}

# refuse WHAT TEXT [STATE CODE]: once against the attack in place: refused
# (FAILED_VERIFY, exit 65, by default) naming TEXT, the installed tree intact.
refuse() {
	local what=$1 text=$2 state=${3:-FAILED_VERIFY} code=${4:-65} before
	before=$(tree_digest "$W/client/install")
	once
	expect_run "$state" "$code" "$text" "$what"
	unchanged "$what" "$before"
}

# unchanged WHAT DIGEST: the installed tree still has DIGEST.
unchanged() {
	if [ "$(tree_digest "$W/client/install")" = "$2" ]; then
		ok "$1: installed tree unchanged"
	else
		bad "$1: the installed tree changed"
	fi
}

# --- the worlds -------------------------------------------------------------------

(cd "$W" && for k in root man man2 manB acme beta intruder; do
	"$PUBLISH" keygen "$k" >/dev/null
done)
mkdir -p "$W/repo" "$W/nginx" "$W/src"
nginx_start "$W/nginx" "$W/repo"
for t in app-1 app-2 app-3 card-1 card-2 link-1 face-1 face-2; do
	mkdir -p "$W/src/$t"
	echo "$t" >"$W/src/$t/file"
done
# Version 2 of app: 1 MiB that does not compress, so that transfers take
# long enough to be cut, trickled and spliced.
head -c 1048576 /dev/urandom >"$W/src/app-2/blob"

# The main repository: app 1.0 installed, 2.0 published (serial 2).
R=$W/repo/main
MAIN_URL=${NGINX_URL}main/
"$PUBLISH" init "$R" --root-key "$W/root" --manifest-key "$W/man" >/dev/null
"$PUBLISH" add "$R" app 1.0 "$W/src/app-1" >/dev/null
"$PUBLISH" sign "$R" --key "$W/man" >/dev/null
cp "$R/manifest.json" "$W/m1.json"
served
client_new "$MAIN_URL" "$R/root.json"
run_expect COMPLETED 0 "" "app 1.0 installed"
cp -a "$W/client" "$W/client.v1"
"$PUBLISH" add "$R" app 2.0 "$W/src/app-2" >/dev/null
"$PUBLISH" sign "$R" --key "$W/man" >/dev/null
PKG=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["components"]["app"]["versions"]["2.0"]["url"])' "$R/index.json")
SIZE=$(stat -c %s "$R/$PKG")
cp -a "$R" "$W/main.v2"

# fresh_main [URL]: the client back at app 1.0 (serial 1) pointed at URL,
# and the main repository back at serial 2.
fresh_main() {
	rm -rf "$W/client" "$R"
	cp -a "$W/client.v1" "$W/client"
	cp -a "$W/main.v2" "$R"
	served
	client_config "${1:-$MAIN_URL}"
}

# =============================================================================
attack arbitrary_package "the package replaced by other bytes of its signed size"
fresh_main
head -c "$SIZE" /dev/urandom >"$R/$PKG"
served
refuse "other bytes, same size" "hash mismatch"
expect_eq "$(current_of app)" 1.0 "[$A] app 1.0 still current"
expect_eq "$(part_of app)" none "[$A] the bad bytes are not kept"

# =============================================================================
attack rollback "an older, validly signed manifest; an older root"
fresh_main
run_expect COMPLETED 0 "" "serial 2 accepted, app 2.0 installed"
cp "$W/m1.json" "$R/manifest.json"
refuse "serial 1 served after serial 2" "rollback"
manifest_as "$R/manifest.json" "$W/main.v2/manifest.json" \
	'p["expires"] = when(20 * 86400)' man
refuse "serial 2 again, with other contents" "serial reuse"
expect_eq "$(trust_of)" "1|2" "[$A] the trusted serial is still 2"

# The manifest key rotates (root 2 names man2), which signs serials 3 and 4.
cp "$W/main.v2/manifest.json" "$R/manifest.json"
rotate "$R" man2
"$PUBLISH" sign "$R" --key "$W/man2" >/dev/null
cp "$R/manifest.json" "$W/m3.json"
served
run_expect UP_TO_DATE 0 "" "root 2, serial 3 accepted"
"$PUBLISH" sign "$R" --key "$W/man2" >/dev/null
served
run_expect UP_TO_DATE 0 "" "serial 4 accepted"
expect_eq "$(trust_of)" "2|4" "[$A] root 2 and serial 4 trusted"

# Root 1 put back in the state directory and served, with its manifest.
cp "$R/1.root.json" "$W/client/state/root.json"
cp "$R/1.root.json" "$R/root.json"
cp "$W/m1.json" "$R/manifest.json"
refuse "root 1 in the state directory and on the server" "rollback"
expect_eq "$(trust_of)" "2|4" "[$A] still root 2, serial 4"
# Root 1 in the state directory while the server serves root 2 and replays
# serial 3: walking 1 -> 2 again must not reset the serial baseline.
cp "$R/2.root.json" "$R/root.json"
cp "$R/1.root.json" "$W/client/state/root.json"
cp "$W/m3.json" "$R/manifest.json"
refuse "root 1 in the state directory, serial 3 replayed under root 2" "rollback"
rm -f "$W/client/state/root.json"
refuse "the stored root lost, serial 3 replayed under root 2" "rollback"
expect_eq "$(trust_of)" "2|4" "[$A] still root 2, serial 4"

# =============================================================================
attack indefinite_freeze "expired metadata, validly signed, served again"
fresh_main
run_expect COMPLETED 0 "" "serial 2 accepted, app 2.0 installed"
manifest_as "$R/manifest.json" "$W/main.v2/manifest.json" \
	'p["serial"] = 3; p["expires"] = when(3)' man
expires=$(($(date +%s) + 3))
run_expect UP_TO_DATE 0 "" "serial 3, expiring in 3 s, accepted"
while [ "$(date +%s)" -le "$expires" ]; do sleep 0.2; done
refuse "serial 3 re-served after it expired" "freeze"
manifest_as "$R/manifest.json" "$W/main.v2/manifest.json" \
	'p["serial"] = 4; p["expires"] = "2020-01-01T00:00:00Z"' man
refuse "a new serial, already expired" "freeze"
expect_eq "$(trust_of)" "1|3" "[$A] the trusted serial is still 3"
# An expired root: root 2, signed by the root key, expired long ago.
manifest_as "$R/manifest.json" "$W/main.v2/manifest.json" \
	'p["serial"] = 5; p["expires"] = when(86400)' man
root_as "$R/2.root.json" "$R/1.root.json" \
	'p["version"] = 2; p["expires"] = "2020-01-01T00:00:00Z"' root
cp "$R/2.root.json" "$R/root.json"
served
refuse "root 2, validly signed, expired" "freeze"
expect_eq "$(trust_of)" "1|3" "[$A] nothing was accepted under the expired root"

# =============================================================================
attack endless_data "bodies longer than signed, metadata over its cap"
fault_start "$W/fa" "$R"
FA_URL=$FAULT_URL
CLIENT_EXTRA="retries = 2
min_rate = 1000
backoff_max = 1"
fresh_main "$FA_URL"
fault_reset
fault_plan "/$PKG" '[{"endless": true, "times": 10}]'
refuse "an endless package body" "endless data"
expect_eq "$(part_of app)" none "[$A] endless: nothing kept"
served_bytes=$(fault_bytes "/$PKG")
if [ "$served_bytes" -le $((SIZE + 16 * 1048576)) ]; then
	ok "endless: the client stopped reading ($served_bytes bytes sent for $SIZE signed)"
else
	bad "endless: $served_bytes bytes sent for $SIZE signed"
fi

fresh_main "$FA_URL"
fault_reset
head -c 2097152 /dev/urandom >>"$R/$PKG"
# Its Content-Length says so: refused before a byte is stored.
refuse "the package file 2 MiB over its signed size" "the server sent $((SIZE + 2097152)) bytes where the signed size is $SIZE"
expect_eq "$(part_of app)" none "[$A] over-long file: nothing kept"

# Bytes past an honest Content-Length are never read: the signed bytes are
# installed, byte-exact, and nothing beyond them is kept.
fresh_main "$FA_URL"
fault_reset
fault_plan "/$PKG" '[{"extra": 1048576}]'
run_expect COMPLETED 0 "" "1 MiB past Content-Length ignored"
expect_same_tree "$W/client/install/app/current/" "$W/src/app-2/" \
	"[$A] extra bytes: app 2.0 byte-exact"
# The installed package is not kept whole (its tar is, as the next delta's
# base), and no part file holds the extra bytes.
expect_eq "$(part_of app)" none "[$A] extra bytes: no part file left"
expect_eq "$(sha256sum <"$W/client/cache/app.base.tar" | cut -d' ' -f1)" \
	"$(zstd -qdc "$R/$PKG" | sha256sum | cut -d' ' -f1)" \
	"[$A] extra bytes: the kept base is exactly the signed package's tar"

fresh_main "$FA_URL"
fault_reset
python3 - "$R/manifest.json" <<'PY'
import base64, json, sys
pad = base64.b64encode(b"x" * (3 * 1024 * 1024 + 512 * 1024)).decode()
json.dump({"payloadType": "application/vnd.haishin.manifest+json",
           "payload": pad, "signatures": []}, open(sys.argv[1], "w"))
PY
served
refuse "a manifest.json of $(($(stat -c %s "$R/manifest.json") / 1024)) KiB" "4194304"
fresh_main "$FA_URL"
fault_reset
fault_plan /manifest.json '[{"endless": true, "times": 10}]'
refuse "an endless manifest.json" "4194304"
fault_reset
fault_plan /root.json '[{"endless": true, "times": 10}]'
refuse "an endless root.json" "524288"
fault_reset

# =============================================================================
attack malicious_mirror "a mirror or the primary serving other bytes"
# $W/evil: the repository as a malicious mirror serves it: other bytes of
# the signed size, and a manifest whose payload was edited.
rm -rf "$W/evil"
cp -a "$W/main.v2" "$W/evil"
head -c "$SIZE" /dev/urandom >"$W/evil/$PKG"
python3 - "$W/evil/manifest.json" <<'PY'
import base64, json, sys
env = json.load(open(sys.argv[1]))
m = json.loads(base64.b64decode(env["payload"]))
m["components"]["app"]["package"]["sha256"] = "0" * 64
env["payload"] = base64.b64encode(json.dumps(m).encode()).decode()
json.dump(env, open(sys.argv[1], "w"))
PY
fault_start "$W/fb" "$W/evil"
FB_URL=$FAULT_URL
served

# mirror_config PRIMARY MIRROR
mirror_config() {
	CLIENT_EXTRA="retries = 4
min_rate = 1000
backoff_max = 1
[server]
mirrors = $2" client_config "$1"
}

# never_evil WHAT: app is at 1.0 as before, or at 2.0 byte-exact: never the
# mirror's bytes.
never_evil() {
	local cur
	cur=$(current_of app)
	case $cur in
	1.0) expect_same_tree "$W/client/install/app/current/" "$W/src/app-1/" \
		"[$A] $1: still app 1.0 (refused)" ;;
	2.0) expect_same_tree "$W/client/install/app/current/" "$W/src/app-2/" \
		"[$A] $1: app 2.0 byte-exact from the honest server" ;;
	*) bad "$1: app is at '$cur'" ;;
	esac
}

# The primary is honest but drops; the first mirror then serves other bytes
# for the rest of the file.
fresh_main
mirror_config "$FA_URL" "$FB_URL"
FAULT_URL=$FA_URL fault_reset
FAULT_URL=$FB_URL fault_reset
FAULT_URL=$FA_URL fault_plan "/$PKG" '[{"drop_after": 300000}]'
once
case $RC in
0) expect_run COMPLETED 0 "" "honest primary, tampering mirror" ;;
*) expect_run FAILED_VERIFY 65 "hash mismatch" "honest primary, tampering mirror" ;;
esac
never_evil "honest primary, tampering mirror"
evil_sent=$(FAULT_URL=$FB_URL fault_bytes "/$PKG")
if [ "$evil_sent" -gt 0 ]; then
	ok "honest primary, tampering mirror: the mirror was used ($evil_sent bytes)"
else
	bad "honest primary, tampering mirror: the mirror was never asked"
fi

# The primary corrupts every response; the mirror (nginx) is honest.
fresh_main
mirror_config "$FA_URL" "$MAIN_URL"
FAULT_URL=$FA_URL fault_reset
FAULT_URL=$FA_URL fault_plan "/$PKG" '[{"corrupt": [1000, 2000], "times": 20}]'
once
case $RC in
0) expect_run COMPLETED 0 "" "tampering primary, honest mirror" ;;
*) expect_run FAILED_VERIFY 65 "hash mismatch" "tampering primary, honest mirror" ;;
esac
never_evil "tampering primary, honest mirror"

# Both tamper: refused, nothing installed, nothing kept.
fresh_main
mirror_config "$FA_URL" "$FB_URL"
FAULT_URL=$FA_URL fault_reset
FAULT_URL=$FA_URL fault_plan "/$PKG" '[{"corrupt": [1000, 2000], "times": 20}]'
refuse "primary and mirror both tampering" "hash mismatch"
expect_eq "$(part_of app)" none "[$A] both tampering: nothing kept"

# The primary is busy; the mirror serves an edited manifest.
fresh_main
mirror_config "$FA_URL" "$FB_URL"
FAULT_URL=$FA_URL fault_reset
FAULT_URL=$FA_URL fault_plan /manifest.json '[{"status": 503, "times": 20}]'
refuse "busy primary, the mirror's manifest edited" "bad signature"
FAULT_URL=$FA_URL fault_reset
FAULT_URL=$FB_URL fault_stop "$W/fb"
FAULT_URL=$FA_URL

# =============================================================================
attack fast_forward "a leaked manifest key signs serial 1000; the root rotates it out"
F=$W/repo/ff
"$PUBLISH" init "$F" --root-key "$W/root" --manifest-key "$W/man" >/dev/null
for v in 1 2 3; do
	"$PUBLISH" add "$F" app "$v.0" "$W/src/app-$v" >/dev/null
done
INDEX=$F/index.json
manifest_as "$F/manifest.json" "" \
	'p = {"_type": "manifest", "serial": 1, "expires": when(86400),
      "components": {"app": comp("app", "1.0")}}' man
served
client_new "${NGINX_URL}ff/" "$F/root.json"
run_expect COMPLETED 0 "" "app 1.0 installed (serial 1)"
manifest_as "$F/manifest.json" "$F/manifest.json" 'p["serial"] = 1000' man
run_expect UP_TO_DATE 0 "" "the leaked key's serial 1000 accepted (validly signed)"
expect_eq "$(trust_of)" "1|1000" "[$A] serial 1000 trusted"
# The operator rotates the manifest key.  A terminal that checks after the
# new root is up but before the new manifest is must not be stuck later.
rotate "$F" man2
refuse "root 2 up, the leaked key's manifest still served" "unknown keys"
manifest_as "$F/manifest.json" "$F/manifest.json" \
	'p["serial"] = 5; p["components"]["app"] = comp("app", "2.0")' man2
run_expect COMPLETED 0 "" "serial 5 by the new key accepted"
expect_same_tree "$W/client/install/app/current/" "$W/src/app-2/" \
	"[$A] app 2.0 installed byte-exact"
expect_eq "$(trust_of)" "2|5" "[$A] root 2, serial 5 trusted"
cp "$F/manifest.json" "$W/ff5.json"
manifest_as "$F/manifest.json" "$W/ff5.json" \
	'p["serial"] = 1001; p["components"]["app"] = comp("app", "3.0")' man
refuse "the leaked key's serial 1001" "unknown keys"
manifest_as "$F/manifest.json" "$W/ff5.json" \
	'p["serial"] = 4; p["components"]["app"] = comp("app", "3.0")' man2
refuse "the new key's serial 4, below 5" "rollback"
expect_eq "$(trust_of)" "2|5" "[$A] still root 2, serial 5"

# =============================================================================
attack key_compromise_below_threshold "one of two required manifest keys"
T=$W/repo/thr
"$PUBLISH" init "$T" --root-key "$W/root" --manifest-key "$W/man" \
	--manifest-key "$W/manB" --manifest-threshold 2 >/dev/null
"$PUBLISH" add "$T" app 1.0 "$W/src/app-1" >/dev/null
"$PUBLISH" add "$T" app 3.0 "$W/src/app-3" >/dev/null
INDEX=$T/index.json
manifest_as "$T/manifest.json" "" \
	'p = {"_type": "manifest", "serial": 1, "expires": when(86400),
      "components": {"app": comp("app", "1.0")}}' man manB
cp "$T/manifest.json" "$W/thr1.json"
served
client_new "${NGINX_URL}thr/" "$T/root.json"
run_expect COMPLETED 0 "" "app 1.0 installed (signed by both keys)"
NEXT='p["serial"] = 2; p["components"]["app"] = comp("app", "3.0")'
manifest_as "$T/manifest.json" "$W/thr1.json" "$NEXT" man
refuse "signed by the compromised key only" "too few valid signatures"
manifest_as "$T/manifest.json" "$W/thr1.json" "$NEXT" man man
refuse "the compromised key's signature twice" "too few valid signatures"
manifest_as "$T/manifest.json" "$W/thr1.json" "$NEXT" man intruder
refuse "the compromised key and an unknown key" "too few valid signatures"
# The intruder's signature filed under the other manifest key's id.
python3 - "$T/manifest.json" "$W/manB.pub" <<'PY'
import base64, hashlib, json, subprocess, sys
env = json.load(open(sys.argv[1]))
der = subprocess.run(["openssl", "pkey", "-pubin", "-in", sys.argv[2],
                      "-outform", "DER"], check=True, capture_output=True).stdout
env["signatures"][1]["keyid"] = hashlib.sha256(der[-32:]).hexdigest()
json.dump(env, open(sys.argv[1], "w"))
PY
refuse "a forged signature under the other key's id" "too few valid signatures"
manifest_as "$T/manifest.json" "$W/thr1.json" "$NEXT" man manB
run_expect COMPLETED 0 "" "signed by both keys: app 3.0 installed"

# =============================================================================
# The vendor world: acme owns card-*, beta owns face*, app is the manifest
# role's own.  Root 1 has no vendors; the roots after it add them.
V=$W/repo/vend
"$PUBLISH" init "$V" --root-key "$W/root" --manifest-key "$W/man" >/dev/null
"$PUBLISH" add "$V" app 1.0 "$W/src/app-1" >/dev/null
"$PUBLISH" add "$V" card-reader 1.0 "$W/src/card-1" >/dev/null
"$PUBLISH" add "$V" card-reader 2.0 "$W/src/card-2" >/dev/null
"$PUBLISH" add "$V" card-link 1.0 "$W/src/link-1" >/dev/null
"$PUBLISH" add "$V" facelib 1.0 "$W/src/face-1" >/dev/null
"$PUBLISH" add "$V" facelib 2.0 "$W/src/face-2" >/dev/null
vendors "$V"
INDEX=$V/index.json
VSERIAL=1
# vend_manifest CODE: the next serial, every component at 1.0 and signed by
# its owner, then CODE (the attack), signed by the manifest key.
vend_manifest() {
	VSERIAL=$((VSERIAL + 1))
	manifest_as "$V/manifest.json" "" \
		"p = {'_type': 'manifest', 'serial': $VSERIAL, 'expires': when(86400),
     'components': {
       'app': comp('app', '1.0'),
       'card-reader': entry(comp('card-reader', '1.0'), 'card-reader', 'acme', ['acme']),
       'card-link': entry(comp('card-link', '1.0'), 'card-link', 'acme', ['acme']),
       'facelib': entry(comp('facelib', '1.0'), 'facelib', 'beta', ['beta'])}}
c = p['components']
$1" man
	served
}
vend_manifest ""
cp "$V/manifest.json" "$W/vend-good.json"
client_new "${NGINX_URL}vend/" "$V/1.root.json"
A=setup
run_expect COMPLETED 0 "" "vendor world: four components installed, each signed by its owner"

# =============================================================================
attack mix_and_match "signed pieces put together in a way no signer made"
vend_manifest "c['card-link'] = entry(comp('card-reader', '2.0'), 'card-reader', 'acme', ['acme'])"
refuse "card-link carrying acme's signed entry for card-reader" "mix-and-match"
# A manifest made of two signed manifests: the next one's payload under the
# accepted one's signatures, and the accepted one's card-reader piece in the
# next one's payload.
vend_manifest "c['card-reader'] = entry(comp('card-reader', '2.0'), 'card-reader', 'acme', ['acme'])"
cp "$V/manifest.json" "$W/vend-next.json"
splice "$V/manifest.json" "$W/vend-good.json" "$W/vend-next.json"
served
refuse "the next payload under the accepted manifest's signatures" "bad signature"
python3 - "$W/vend-next.json" "$W/vend-good.json" >"$V/manifest.json" <<'PY'
import base64, json, sys
nxt, good = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
n = json.loads(base64.b64decode(nxt["payload"]))
g = json.loads(base64.b64decode(good["payload"]))
n["components"]["card-link"] = g["components"]["card-reader"]
nxt["payload"] = base64.b64encode(json.dumps(n).encode()).decode()
json.dump(nxt, sys.stdout)
PY
served
refuse "a piece of the accepted manifest spliced into the next" "bad signature"

# =============================================================================
attack wrong_vendor "entries signed by a vendor that does not own them, or by none"
vend_manifest "c['card-reader'] = entry(comp('card-reader', '2.0'), 'card-reader', 'beta', ['beta'])"
refuse "beta signs acme's card-reader" "wrong vendor"
vend_manifest "c['card-reader'] = entry(comp('card-reader', '2.0'), 'card-reader', 'acme', ['beta'])"
refuse "beta signs acme's card-reader, labelled acme" "vendor 'acme'"
vend_manifest "c['card-reader'] = comp('card-reader', '2.0')"
refuse "acme's card-reader unsigned (the manifest key alone)" "not signed by 'acme'"
vend_manifest "c['card-reader'] = entry(comp('card-reader', '2.0'), 'card-reader', 'acme', ['man'])"
refuse "acme's card-reader signed by the manifest key" "vendor 'acme'"
vend_manifest "c['facelib'] = entry(comp('facelib', '2.0'), 'facelib', 'acme', ['acme'])"
refuse "acme signs beta's facelib" "wrong vendor"
vend_manifest "c['app'] = entry(comp('app', '1.0'), 'app', 'acme', ['acme'])"
refuse "acme signs app, which no vendor owns" "wrong vendor"
vend_manifest "c['card-reader'] = entry(comp('card-reader', '2.0'), 'card-reader', 'acme', ['acme'])"
run_expect COMPLETED 0 "" "acme signs its own card-reader 2.0: installed"
expect_same_tree "$W/client/install/card-reader/current/" "$W/src/card-2/" \
	"[$A] card-reader 2.0 byte-exact"

# =============================================================================
attack slow_retrieval "a server that trickles or falls silent"
# slow_run WHAT TEXT: once, INTERRUPTED in bounded time, bytes kept.
slow_run() {
	local before start took kept
	before=$(tree_digest "$W/client/install")
	start=$(date +%s)
	once
	took=$(($(date +%s) - start))
	expect_run INTERRUPTED 75 "$2" "$1"
	if [ "$took" -le 20 ]; then
		ok "$1: ended in ${took}s, not hanging"
	else
		bad "$1: took ${took}s"
	fi
	kept=$(part_of app)
	if [ "$kept" != none ] && [ "$kept" -gt 0 ] && [ "$kept" -lt "$SIZE" ]; then
		ok "$1: $kept bytes kept for the resume"
	else
		bad "$1: bytes kept: $kept"
	fi
	unchanged "$1" "$before"
}
CLIENT_STALL=2
CLIENT_EXTRA="retries = 1
min_rate = 100000"
fresh_main "$FA_URL"
fault_reset
fault_plan "/$PKG" '[{"trickle": 20000}]'
slow_run "a trickle of 20 kB/s below min_rate 100 kB/s" "stalled"
fault_plan "/$PKG" '[{"stall_after": 200000, "seconds": 60}]'
slow_run "silence after 200000 bytes" "stalled"
before=$(tree_digest "$W/client/install")
fault_plan /manifest.json '[{"trickle": 50, "times": 5}]'
start=$(date +%s)
once
took=$(($(date +%s) - start))
expect_run FAILED_CONNECT 69 "stalled" "manifest.json trickled at 50 B/s"
if [ "$took" -le 20 ]; then
	ok "trickled manifest: ended in ${took}s, not hanging"
else
	bad "trickled manifest: took ${took}s"
fi
unchanged "trickled manifest" "$before"
fault_reset
run_expect COMPLETED 0 "" "the server well again: app 2.0 installed"
expect_same_tree "$W/client/install/app/current/" "$W/src/app-2/" \
	"[$A] app 2.0 byte-exact from the kept bytes and the rest"
expect_eq "$(sqlite3 "$W/client/state/haishin.db" "select method from history where state = 'COMPLETED' order by id desc limit 1")" \
	resumed "[$A] history says resumed"

finish
