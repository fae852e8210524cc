#!/usr/bin/env bash
# publish.sh - haishin-publish's trust verbs against a real nginx and
# haishind --once: rotate (the client follows; too few of the old root keys
# are refused), rotating out a compromised manifest key, vendor roles and
# vendor-signed entries (add --vendor-key, endorse, sign's refusal), and
# forced entries with and without --allow-downgrade.
source "$(dirname "$0")/lib.sh"

MT=application/vnd.haishin.manifest+json
DB=$W/client/state/haishin.db

# expect_refused WHAT TEXT COMMAND...: the publisher refuses, saying TEXT.
expect_refused() {
	local what=$1 text=$2
	shift 2
	if "$@" >"$W/pub.out" 2>"$W/pub.err"; then
		fail "$what: the publisher accepted it"
	elif ! grep -qF -- "$text" "$W/pub.err"; then
		fail "$what: expected \"$text\", got: $(cat "$W/pub.err")"
	else
		pass "$what"
	fi
}

# make_tree NAME-VERSION: a source tree whose file names its version.
make_tree() {
	mkdir -p "$W/src/$1"
	echo "$1" >"$W/src/$1/file"
}

# sign_with KEY...: signs the manifest with these manifest keys.
sign_with() {
	local args=() k
	for k in "$@"; do
		args+=(--key "$W/$k")
	done
	"$PUBLISH" sign "$W/repo" "${args[@]}" >/dev/null
	chmod -R o+rX "$W/repo"
}

installed() {
	sqlite3 "$DB" "select version from installed where name = '$1'"
}

root_version() {
	sqlite3 "$DB" "select root_version from trust"
}

# payload FILE PYTHON: evaluates PYTHON on the envelope's payload (p).
payload() {
	python3 - "$1" "$2" <<'PY'
import base64, json, sys
p = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
print(eval(sys.argv[2]))
PY
}

world_init
(cd "$W" && for k in root2 man2 acme intruder; do
	"$PUBLISH" keygen "$k" >/dev/null
done)
make_tree app-1.0
publish app 1.0 "$W/src/app-1.0"
once
expect_state COMPLETED 0 "app 1.0"

# --- Rotation: root 2 has two root keys and threshold 2. ---
"$PUBLISH" rotate "$W/repo" --root-key "$W/root" --new-root-key "$W/root" \
	--new-root-key "$W/root2" --root-threshold 2 >/dev/null
chmod -R o+rX "$W/repo"
if cmp -s "$W/repo/2.root.json" "$W/repo/root.json"; then
	pass "rotate writes 2.root.json and root.json, the same bytes"
else
	fail "2.root.json and root.json differ"
fi
expect_eq "$(stat -c %a "$W/repo/2.root.json") $(stat -c %a "$W/repo/root.json")" \
	"644 644" "the new root is readable by everyone"
expect_eq "$(payload "$W/repo/root.json" 'p["roles"]["root"]["threshold"]')" 2 \
	"root 2: root threshold 2"
make_tree app-2.0
publish app 2.0 "$W/src/app-2.0"
once
expect_state COMPLETED 0 "app 2.0"
expect_eq "$(root_version)" 2 "the client follows the rotation to root 2"

expect_refused "rotate with 1 of root 2's 2 root keys is refused" \
	"the root role of root 2 needs 2 signatures" \
	"$PUBLISH" rotate "$W/repo" --root-key "$W/root" --new-manifest-key "$W/man2"
expect_refused "rotate with a key outside the root role is refused" \
	"key '$W/intruder' is not in the root role of root 2" \
	"$PUBLISH" rotate "$W/repo" --root-key "$W/root" --root-key "$W/intruder"
expect_eq "$(ls "$W/repo" | grep -c 'root\.json$') $(payload "$W/repo/root.json" 'p["version"]')" \
	"3 2" "a refused rotation writes nothing"

# --- Rotating out a compromised manifest key (docs/repository.md). ---
"$PUBLISH" rotate "$W/repo" --root-key "$W/root" --root-key "$W/root2" \
	--new-manifest-key "$W/man2" >/dev/null
chmod -R o+rX "$W/repo"
expect_refused "sign with the rotated-out manifest key is refused" \
	"key '$W/man' is not in the manifest role of root 3" \
	"$PUBLISH" sign "$W/repo" --key "$W/man"
# Whoever holds the old key signs a newer manifest on their own.
python3 - "$W/repo/manifest.json" "$W/evil.json" <<'PY'
import base64, json, sys
m = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
m["serial"] += 1
open(sys.argv[2], "w").write(json.dumps(m))
PY
"$SIGN" "$MT" "$W/evil.json" "$W/man.key" >"$W/repo/manifest.json"
chmod -R o+rX "$W/repo"
once
expect_state FAILED_VERIFY 65 "manifest: signed by unknown keys only"
expect_eq "$(payload "$W/client/state/root.json" 'p["version"]')" 3 \
	"the client took root 3, which revoked the old key"
expect_eq "$(installed app)" 2.0 "the old key's manifest installed nothing"
make_tree app-3.0
"$PUBLISH" add "$W/repo" app 3.0 "$W/src/app-3.0" >/dev/null
sign_with man2
once
expect_state COMPLETED 0 "app 3.0"
expect_eq "$(installed app)" 3.0 "app 3.0 installed"

# --- A vendor role: acme owns card*. ---
"$PUBLISH" vendor "$W/repo" acme --vendor-key "$W/acme" --components 'card*' \
	--root-key "$W/root" --root-key "$W/root2" >/dev/null
chmod -R o+rX "$W/repo"
expect_eq "$(payload "$W/repo/root.json" 'p["version"], p["vendors"]["acme"]["components"]')" \
	"(4, ['card*'])" "root 4 gives card* to vendor acme"
make_tree cardreader-1.0
expect_refused "add --vendor-key with a key that is not acme's is refused" \
	"key '$W/intruder' is not in vendor 'acme' of root 4" \
	"$PUBLISH" add "$W/repo" cardreader 1.0 "$W/src/cardreader-1.0" \
	--vendor-key "$W/intruder"
"$PUBLISH" add "$W/repo" cardreader 1.0 "$W/src/cardreader-1.0" \
	--vendor-key "$W/acme" >/dev/null
sign_with man2
expect_eq "$(payload "$W/repo/manifest.json" 'p["components"]["cardreader"]["vendor"]')" \
	acme "the manifest carries acme's signed entry"
once
expect_state COMPLETED 0 "cardreader 1.0"
expect_eq "$(installed cardreader) $(root_version)" "1.0 4" \
	"cardreader 1.0 installed under root 4"

make_tree cardreader-1.1
"$PUBLISH" add "$W/repo" cardreader 1.1 "$W/src/cardreader-1.1" >/dev/null
expect_refused "sign refuses an owned entry acme has not signed" \
	"run 'haishin-publish endorse $W/repo cardreader --vendor-key" \
	"$PUBLISH" sign "$W/repo" --key "$W/man2"
expect_eq "$(grep -c "component 'cardreader' is owned by vendor 'acme'" "$W/pub.err")" 1 \
	"the refusal names the component and the vendor"
"$PUBLISH" endorse "$W/repo" cardreader --vendor-key "$W/acme" >/dev/null
"$PUBLISH" add "$W/repo" cardreader 1.1 "$W/src/cardreader-1.1" \
	--minimum 1.1 >/dev/null
expect_refused "sign refuses an entry changed after acme signed it" \
	"entry 1.1 changed after 'acme' signed it" \
	"$PUBLISH" sign "$W/repo" --key "$W/man2"
"$PUBLISH" endorse "$W/repo" cardreader --vendor-key "$W/acme" >/dev/null
sign_with man2
once
expect_state COMPLETED 0 "cardreader 1.1"
expect_eq "$(installed cardreader)" 1.1 "cardreader 1.1 installed"

# --- Forced entries. ---
make_tree app-2.5
expect_refused "--allow-downgrade without --forced is refused" "add --forced" \
	"$PUBLISH" add "$W/repo" app 2.5 "$W/src/app-2.5" --allow-downgrade
"$PUBLISH" add "$W/repo" app 2.5 "$W/src/app-2.5" --forced --allow-downgrade \
	--deadline 2030-01-01T00:00:00Z >/dev/null
sign_with man2
expect_eq "$(payload "$W/repo/manifest.json" 'p["components"]["app"]["version"], p["components"]["app"]["forced"]')" \
	"('2.5', {'allow_downgrade': True, 'deadline': '2030-01-01T00:00:00Z'})" \
	"the manifest names app 2.5, forced, downgrade allowed"
once
expect_state COMPLETED 0 "forced"
expect_eq "$(installed app)" 2.5 "the forced entry downgraded app 3.0 to 2.5"
expect_eq "$(sqlite3 "$DB" "select from_version || '>' || to_version from history
	where component = 'app' and reason like '%forced%' order by id desc limit 1")" \
	"3.0>2.5" "the history says the downgrade was forced"

make_tree app-4.0
"$PUBLISH" add "$W/repo" app 4.0 "$W/src/app-4.0" >/dev/null
sign_with man2
once
expect_state COMPLETED 0 "app 4.0"
make_tree app-3.5
"$PUBLISH" add "$W/repo" app 3.5 "$W/src/app-3.5" --forced >/dev/null
sign_with man2
expect_eq "$(payload "$W/repo/manifest.json" 'p["components"]["app"]["version"], p["components"]["app"]["forced"]')" \
	"('3.5', {'allow_downgrade': False})" \
	"the manifest names app 3.5, forced, no downgrade"
once
expect_state UP_TO_DATE 0
expect_eq "$(installed app)" 4.0 "a forced entry without --allow-downgrade does not downgrade"

# --- A root key replaced (root2 out, root3 in); the vendor stays. ---
(cd "$W" && "$PUBLISH" keygen root3 >/dev/null)
"$PUBLISH" rotate "$W/repo" --root-key "$W/root" --root-key "$W/root2" \
	--new-root-key "$W/root" --new-root-key "$W/root3" >/dev/null
chmod -R o+rX "$W/repo"
expect_eq "$(payload "$W/repo/root.json" 'p["version"], list(p["vendors"]), p["roles"]["root"]["threshold"]')" \
	"(5, ['acme'], 2)" "root 5 keeps vendor acme and the threshold"
make_tree cardreader-1.2
"$PUBLISH" add "$W/repo" cardreader 1.2 "$W/src/cardreader-1.2" \
	--vendor-key "$W/acme" >/dev/null
sign_with man2
once
expect_state COMPLETED 0 "cardreader 1.2"
expect_eq "$(installed cardreader) $(root_version)" "1.2 5" \
	"the client follows root 5"
expect_refused "the replaced root key no longer signs a root" \
	"key '$W/root2' is not in the root role of root 5" \
	"$PUBLISH" rotate "$W/repo" --root-key "$W/root" --root-key "$W/root2"

finish
