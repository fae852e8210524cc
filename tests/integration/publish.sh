#!/usr/bin/env bash
# publish.sh - haishin-publish's trust verbs against a real nginx and
# haishind --once: rotate (the client follows; too few of the old root keys
# are refused), rotating out a compromised manifest key, vendor roles and
# vendor-signed entries (add --vendor-key, endorse, sign's refusal),
# forced entries with and without --allow-downgrade, the publisher's
# side of deltas (add --deltas, the delta verb, the tar fields, bundle), and
# sets (add --set).
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

# --- Deltas: add makes them, sign lists them (docs/repository.md). ---
# make_firmware NAME-VERSION EDITS INSERT: fw.bin, ~1 MB of the same random
# bytes for every version, with EDITS bytes changed and INSERT bytes inserted.
make_firmware() {
	mkdir -p "$W/src/$1"
	python3 - "$W/src/$1/fw.bin" "$2" "$3" <<'PY'
import random, sys
rng = random.Random(42)
b = bytearray(rng.getrandbits(8) for _ in range(1 << 20))
edit = random.Random(int(sys.argv[2]))
for _ in range(int(sys.argv[2])):
    b[edit.randrange(len(b))] = edit.getrandbits(8)
b[4096:4096] = bytes(range(int(sys.argv[3]) % 256)) * (int(sys.argv[3]) // 256 + 1)
open(sys.argv[1], "wb").write(b)
PY
	echo "$1" >"$W/src/$1/VERSION"
}

# index EXPR: evaluates EXPR on index.json (i), versions of fw (v).
index() {
	python3 - "$W/repo/index.json" "$1" <<'PY'
import json, sys
i = json.load(open(sys.argv[1]))
v = i["components"].get("fw", {}).get("versions", {})
print(eval(sys.argv[2]))
PY
}

make_firmware fw-1.0 0 0
make_firmware fw-1.1 40 100
make_firmware fw-1.2 80 300
for v in 1.0 1.1 1.2; do
	"$PUBLISH" add "$W/repo" fw "$v" "$W/src/fw-$v" >"$W/add-$v.out"
done
expect_eq "$(index '[d["from"] for d in v["1.2"]["deltas"]], [d["from"] for d in v["1.1"]["deltas"]], "deltas" in v["1.0"]')" \
	"(['1.1', '1.0'], ['1.0'], False)" "index.json: deltas to 1.2 from 1.1 and 1.0, to 1.1 from 1.0"
expect_eq "$(index 'all(d["base_sha256"] == v[d["from"]]["tar_sha256"] and d["method"] in ("zstd", "sufdiff") for d in v["1.2"]["deltas"])')" \
	True "each delta names its method and its base's tar"
tars_ok=True
for v in 1.0 1.1 1.2; do
	pkg=$W/repo/$(index "v['$v']['url']")
	got="$(zstd -dc "$pkg" | sha256sum | cut -d' ' -f1) $(zstd -dc "$pkg" | wc -c)"
	[ "$got" = "$(index "v['$v']['tar_sha256'] + ' ' + str(v['$v']['tar_size'])")" ] ||
		tars_ok=False
done
expect_eq $tars_ok True "index.json: each version's tar_sha256 and tar_size are its tar's"
expect_eq "$(grep -c '^  delta from 1\.[01]: ' "$W/add-1.2.out")" 2 \
	"add prints the deltas it made"

files_ok=True
sizes=
for url in $(index '" ".join(d["url"] for d in v["1.2"]["deltas"] + v["1.1"]["deltas"])'); do
	f=$W/repo/$url
	want=$(index "[(d['size'], d['sha256']) for d in v['1.2']['deltas'] + v['1.1']['deltas'] if d['url'] == '$url'][0]")
	[ -f "$f" ] && [ "$(stat -c %a "$f")" = 644 ] &&
		[ "$want" = "($(stat -c %s "$f"), '$(sha256sum "$f" | cut -d' ' -f1)')" ] ||
		files_ok=False
	sizes="$sizes $(stat -c %s "$f")"
done
expect_eq $files_ok True "each delta file is in place, 0644, with its listed size and sha256"
echo "delta sizes (1.2 from 1.1, 1.2 from 1.0, 1.1 from 1.0):$sizes bytes; package $(index 'v["1.2"]["size"]') bytes"

sign_with man2
expect_eq "$(payload "$W/repo/manifest.json" 'p["components"]["fw"]["package"]["tar_sha256"] == '"$(index 'repr(v["1.2"]["tar_sha256"])')"' and [d["from"] for d in p["components"]["fw"]["deltas"]]')" \
	"['1.1', '1.0']" "the manifest lists the deltas of fw 1.2, newest base first, with tar_sha256"
expect_eq "$(payload "$W/repo/manifest.json" 'p["components"]["fw"]["deltas"]' | tr -d ' ')" \
	"$(index 'v["1.2"]["deltas"]' | tr -d ' ')" "the manifest's deltas are index.json's"

# The vendor signs its entry with the deltas and the tar (add --vendor-key).
# The deltas to cardreader 1.4 from 1.2 and 1.1 (an 88-byte package each)
# would be as large as its package: only the one from 1.3 is kept.
make_firmware cardreader-1.3 0 0
make_firmware cardreader-1.4 60 200
for v in 1.3 1.4; do
	"$PUBLISH" add "$W/repo" cardreader $v "$W/src/cardreader-$v" \
		--vendor-key "$W/acme" >/dev/null
done
sign_with man2
entry_payload() {
	python3 - "$W/repo/manifest.json" "$1" <<'PY'
import base64, json, sys
p = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
e = json.loads(base64.b64decode(p["components"]["cardreader"]["entry"]["payload"]))
print(eval(sys.argv[2]))
PY
}
expect_eq "$(entry_payload '[d["from"] for d in e["deltas"]], len(e["package"]["tar_sha256"])')" \
	"(['1.3'], 64)" "acme's signed entry of cardreader 1.4 carries its delta and tar"

# An index from before the tar fields: sign learns them from the package.
python3 - "$W/repo/index.json" <<'PY'
import json, sys
i = json.load(open(sys.argv[1]))
for v in i["components"]["app"]["versions"].values():
    v.pop("tar_size", None); v.pop("tar_sha256", None)
json.dump(i, open(sys.argv[1], "w"))
PY
sign_with man2
app_pkg=$W/repo/$(payload "$W/repo/manifest.json" 'p["components"]["app"]["package"]["url"]')
expect_eq "$(payload "$W/repo/manifest.json" 'p["components"]["app"]["package"]["tar_sha256"]')" \
	"$(zstd -dc "$app_pkg" | sha256sum | cut -d' ' -f1)" \
	"sign computes a missing tar_sha256 from the package"
expect_eq "$(python3 -c 'import json,sys; i=json.load(open(sys.argv[1])); print(i["components"]["app"]["versions"][i["components"]["app"]["current"]]["tar_size"])' "$W/repo/index.json")" \
	"$(zstd -dc "$app_pkg" | wc -c)" "and keeps it in index.json"

# An envelope acme signed before entries had tar fields still publishes.
entry_payload 'json.dumps({k: x for k, x in e.items() if k != "deltas"} | {"package": {k: x for k, x in e["package"].items() if not k.startswith("tar_")}}, separators=(",", ":"), sort_keys=True)' |
	tr -d '\n' >"$W/legacy.json"
"$SIGN" application/vnd.haishin.entry+json "$W/legacy.json" "$W/acme.key" >"$W/legacy.env"
python3 - "$W/repo/index.json" "$W/legacy.env" <<'PY'
import json, sys
i = json.load(open(sys.argv[1]))
i["components"]["cardreader"]["versions"]["1.4"]["entry"] = json.load(open(sys.argv[2]))
json.dump(i, open(sys.argv[1], "w"))
PY
"$PUBLISH" sign "$W/repo" --key "$W/man2" >/dev/null 2>"$W/pub.err"
expect_eq "$(entry_payload '"deltas" in e, "tar_sha256" in e["package"]') $(grep -c 'signed it without its tar and deltas' "$W/pub.err")" \
	"(False, False) 1" "an envelope signed without tar and deltas is published as signed, with a note"
"$PUBLISH" endorse "$W/repo" cardreader --vendor-key "$W/acme" >/dev/null
sign_with man2
expect_eq "$(entry_payload '[d["from"] for d in e["deltas"]]')" "['1.3']" \
	"endorsed again, the entry offers its deltas"

# The delta verb, on packages and on plain tars.
old_pkg=$W/repo/$(index 'v["1.0"]["url"]')
new_pkg=$W/repo/$(index 'v["1.2"]["url"]')
"$PUBLISH" delta "$old_pkg" "$new_pkg" -o "$W/d1.delta" >"$W/delta.out"
expect_eq "$(awk '$1 == "size" {print $2}' "$W/delta.out")" "$(stat -c %s "$W/d1.delta")" \
	"delta writes the delta and prints its size"
expect_eq "$(awk '$1 == "sha256" {print $2}' "$W/delta.out") $(awk '$1 == "method" {print $2}' "$W/delta.out")" \
	"$(index '[d["sha256"] + " " + d["method"] for d in v["1.2"]["deltas"] if d["from"] == "1.0"][0]')" \
	"delta on two packages gives add's delta from 1.0 (same bytes)"
expect_eq "$(python3 -c 'import os,sys; print(os.path.getsize(sys.argv[1]) * 20 < os.path.getsize(sys.argv[2]))' "$W/d1.delta" "$new_pkg")" \
	True "the delta is under 5% of the package"
zstd -qdc "$old_pkg" >"$W/old.tar"
zstd -qdc "$new_pkg" >"$W/new.tar"
"$PUBLISH" delta "$W/old.tar" "$W/new.tar" -o "$W/d2.delta" --method zstd >"$W/delta2.out"
"$PUBLISH" delta "$W/old.tar" "$W/new.tar" -o "$W/d3.delta" --method zstd >/dev/null
expect_eq "$(awk '$1 == "method" {print $2}' "$W/delta2.out") $(cmp -s "$W/d2.delta" "$W/d3.delta" && echo same)" \
	"zstd same" "delta --method zstd on plain tars, deterministic"
expect_refused "delta --method with an unknown method is refused" \
	"--method 'bsdiff' is not zstd, sufdiff or best" \
	"$PUBLISH" delta "$W/old.tar" "$W/new.tar" -o "$W/d4.delta" --method bsdiff

# Deterministic: the same version added again makes the same bytes.
for url in $(index '" ".join(d["url"] for d in v["1.2"]["deltas"])'); do
	mv "$W/repo/$url" "$W/repo/$url.saved"
done
before=$(index 'v["1.2"]["deltas"]')
"$PUBLISH" add "$W/repo" fw 1.2 "$W/src/fw-1.2" >/dev/null
same=True
for url in $(index '" ".join(d["url"] for d in v["1.2"]["deltas"])'); do
	cmp -s "$W/repo/$url" "$W/repo/$url.saved" || same=False
	rm -f "$W/repo/$url.saved"
done
expect_eq "$same $([ "$before" = "$(index 'v["1.2"]["deltas"]')" ] && echo True)" \
	"True True" "adding fw 1.2 again makes the same delta bytes"

# --deltas 0 makes none; the tar fields are still there.
make_firmware fw-1.3 120 500
"$PUBLISH" add "$W/repo" fw 1.3 "$W/src/fw-1.3" --deltas 0 >/dev/null
sign_with man2
expect_eq "$(index '"deltas" in v["1.3"], len(v["1.3"]["tar_sha256"])') $(payload "$W/repo/manifest.json" '"deltas" in p["components"]["fw"], p["components"]["fw"]["version"]')" \
	"(False, 64) (False, '1.3')" "add --deltas 0 makes no delta"
expect_refused "--deltas above 8 is refused" "--deltas must be 0 to 8" \
	"$PUBLISH" add "$W/repo" fw 1.3 "$W/src/fw-1.3" --deltas 9

# A bundle keeps to full packages, even when the manifest lists deltas.
make_firmware fw-1.4 160 700
"$PUBLISH" add "$W/repo" fw 1.4 "$W/src/fw-1.4" >/dev/null
sign_with man2
"$PUBLISH" bundle "$W/repo" -o "$W/site.bundle" >/dev/null
expect_eq "$(zstd -qdc "$W/site.bundle" | tar tf - | grep -c '\.delta$' || true) $(zstd -qdc "$W/site.bundle" | tar tf - | grep -c "$(index 'v["1.4"]["sha256"]')")" \
	"0 1" "bundle: the packages, no delta"

# A damaged or missing base does not stop an add: it gives no delta, and the
# publisher says why.  fw 1.3's package loses its zstd magic, 1.2's is gone.
make_firmware fw-1.5 200 900
pkg13=$W/repo/$(index "v['1.3']['url']")
pkg12=$W/repo/$(index "v['1.2']['url']")
cp "$pkg13" "$W/pkg13.keep"
mv "$pkg12" "$W/pkg12.keep"
printf 'XXXX' | dd of="$pkg13" bs=1 conv=notrunc status=none
set +e
"$PUBLISH" add "$W/repo" fw 1.5 "$W/src/fw-1.5" >"$W/add-1.5.out" 2>"$W/add-1.5.err"
rc=$?
set -e
expect_eq "$rc" 0 "add goes on past a damaged and a missing base"
expect_eq "$(index '"1.4" in [d["from"] for d in v["1.5"]["deltas"]], [f for f in ("1.3", "1.2") if f in [d["from"] for d in v["1.5"]["deltas"]]]')" \
	"(True, [])" "fw 1.5: a delta from 1.4, none from the damaged 1.3 or the missing 1.2"
grep -q "fw 1.2: its package is missing from the repository" "$W/add-1.5.err" &&
	pass "the missing base is named" || fail "stderr: $(cat "$W/add-1.5.err")"
grep -q "fw 1.5: no delta from 1.3: .*is not a package" "$W/add-1.5.err" &&
	pass "the damaged base is named" || fail "stderr: $(cat "$W/add-1.5.err")"
cp "$W/pkg13.keep" "$pkg13"
mv "$W/pkg12.keep" "$pkg12"

# An add that fails at its last step (index.json cannot be written: the
# repository's directory is made immutable) removes the package and the
# deltas it wrote.  Needs chattr on the file system, else skipped.
make_firmware fw-1.6 240 1100
if chattr +i "$W/repo" 2>/dev/null; then
	before=$(cd "$W/repo/packages/fw" && ls | sort)
	set +e
	"$PUBLISH" add "$W/repo" fw 1.6 "$W/src/fw-1.6" >"$W/add-1.6.out" 2>&1
	rc=$?
	set -e
	chattr -i "$W/repo"
	[ "$rc" -ne 0 ] && pass "add fails when index.json cannot be written" ||
		fail "add succeeded: $(cat "$W/add-1.6.out")"
	expect_eq "$(cd "$W/repo/packages/fw" && ls | sort)" "$before" \
		"the failed add removed the package and the deltas it wrote"
	expect_eq "$(index '"1.6" in v')" False "index.json does not name fw 1.6"
else
	skip "an add that cannot write index.json removes what it wrote (needs root and a file system with chattr +i)"
fi

# One publisher at a time: while another holds the repository's lock, a
# verb is refused and changes nothing; once it holds the lock, a verb
# removes what a publisher killed mid-work left.
serial_before=$(index 'i["serial"]')
exec 9>"$W/repo/.lock"
flock 9
set +e
"$PUBLISH" sign "$W/repo" --key "$W/man2" >"$W/locked.out" 2>&1
rc=$?
set -e
flock -u 9
exec 9>&-
[ "$rc" -ne 0 ] && grep -q "another haishin-publish is working on" "$W/locked.out" &&
	pass "a second publisher is refused while the lock is held" ||
	fail "locked: exit $rc: $(cat "$W/locked.out")"
expect_eq "$(index 'i["serial"]')" "$serial_before" "the refused publisher changed nothing"
: >"$W/repo/packages/fw/.delta-AbC123"
: >"$W/repo/packages/fw/.pack-XyZ789"
: >"$W/repo/index.json.tmp.4242"
: >"$W/repo/packages/fw/keep.me"
"$PUBLISH" sign "$W/repo" --key "$W/man2" >/dev/null
left=$(cd "$W/repo" && find . -name '.delta-*' -o -name '.pack-*' -o -name '*.json.tmp.*')
expect_eq "$left" "" "the next publisher removes the temporaries of one that was killed"
[ -e "$W/repo/packages/fw/keep.me" ] && pass "other files stay" || fail "keep.me was removed"

# --- Sets: add --set names one, later adds keep it, --set '' ends it. ---
make_tree till-1.0
expect_refused "a set that is not a name is refused" "invalid set name 'Till'" \
	"$PUBLISH" add "$W/repo" till 1.0 "$W/src/till-1.0" --set Till
"$PUBLISH" add "$W/repo" till 1.0 "$W/src/till-1.0" --set till-set >/dev/null
sign_with man2
expect_eq "$(payload "$W/repo/manifest.json" 'p["components"]["till"]["set"], "set" in p["components"]["fw"]')" \
	"('till-set', False)" "the manifest names till's set, and none for fw"
make_tree till-1.1
"$PUBLISH" add "$W/repo" till 1.1 "$W/src/till-1.1" >/dev/null
sign_with man2
expect_eq "$(payload "$W/repo/manifest.json" 'p["components"]["till"]["version"], p["components"]["till"]["set"]')" \
	"('1.1', 'till-set')" "a later add without --set keeps the set"
"$PUBLISH" add "$W/repo" till 1.1 "$W/src/till-1.1" --set '' >/dev/null
sign_with man2
expect_eq "$(payload "$W/repo/manifest.json" '"set" in p["components"]["till"]')" \
	False "--set '' takes the component out of its set"

finish
