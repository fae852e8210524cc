#!/usr/bin/env bash
# once.sh - haishind --once against a real nginx: install, UP_TO_DATE,
# update, and every refusal, each leaving the installed version intact.
source "$(dirname "$0")/lib.sh"

MT=application/vnd.haishin.manifest+json

# Source trees of the published versions.
make_trees() {
	local s=$W/src
	mkdir -p "$s/card-1.0/bin" "$s/card-1.0/share/doc" "$s/card-1.0/empty"
	printf '#!/bin/sh\necho card 1.0\n' >"$s/card-1.0/bin/cardreader"
	chmod 755 "$s/card-1.0/bin/cardreader"
	echo "reads the insurance card" >"$s/card-1.0/share/doc/README"
	ln -s bin/cardreader "$s/card-1.0/run"
	cp -a "$s/card-1.0" "$s/card-1.1"
	printf '#!/bin/sh\necho card 1.1\n' >"$s/card-1.1/bin/cardreader"
	head -c 300000 /dev/urandom >"$s/card-1.1/share/table.bin"
	mkdir -p "$s/face-2.0/lib"
	head -c 200000 /dev/urandom >"$s/face-2.0/lib/libface.so"
}

# edit_manifest PYTHON: rewrites the manifest payload (a dict m) and re-signs
# it with the manifest key, through the independent signer.
edit_manifest() {
	python3 - "$W/repo/manifest.json" "$W/payload.json" "$1" <<'PY'
import base64, json, sys
env = json.load(open(sys.argv[1]))
m = json.loads(base64.b64decode(env["payload"]))
exec(sys.argv[3])
open(sys.argv[2], "w").write(m if isinstance(m, str) else json.dumps(m))
PY
	"$SIGN" "$MT" "$W/payload.json" "$W/man.key" >"$W/repo/manifest.json"
}

# edit_envelope PYTHON: rewrites the envelope (a dict env) without re-signing.
edit_envelope() {
	python3 - "$W/repo/manifest.json" "$1" <<'PY'
import base64, json, sys
env = json.load(open(sys.argv[1]))
exec(sys.argv[2])
open(sys.argv[1], "w").write(env if isinstance(env, str) else json.dumps(env))
PY
}

save_repo() {
	rm -rf "$W/repo.good"
	cp -a "$W/repo" "$W/repo.good"
}

restore_repo() {
	find "$W/repo" -mindepth 1 -delete
	cp -a "$W/repo.good/." "$W/repo/"
	chmod -R o+rX "$W/repo"
}

# refuse NAME STATE CODE TEXT: runs once against the mutated repository and
# checks the state, the reason, and that the installed tree did not change.
refuse() {
	local before after
	before=$(tree_digest "$W/client/install")
	once
	expect_state "$2" "$3" "$4"
	after=$(tree_digest "$W/client/install")
	expect_eq "$after" "$before" "$1: installed version intact"
	restore_repo
}

world_init
make_trees

# --- install two components -------------------------------------------------
publish cardreader 1.0 "$W/src/card-1.0" --restart app
publish facelib 2.0 "$W/src/face-2.0"
once
expect_state COMPLETED_RESTART_REQUIRED 0 "restart cardreader"
expect_same_tree "$W/client/install/cardreader/current/" "$W/src/card-1.0/" \
	"cardreader 1.0 installed byte-exact"
expect_same_tree "$W/client/install/facelib/current/" "$W/src/face-2.0/" \
	"facelib 2.0 installed byte-exact"
expect_eq "$(readlink "$W/client/install/cardreader/current")" "1.0" \
	"current points at 1.0"
expect_eq "$(sqlite3 "$W/client/state/haishin.db" \
	"select count(*) from history where state like 'COMPLETED%'")" 2 \
	"both installs recorded in the history"

# --- nothing new --------------------------------------------------------------
once
expect_state UP_TO_DATE 0 "serial 2"
expect_eq "$(sqlite3 "$W/client/state/haishin.db" \
	"select state from history order by id desc limit 1")" UP_TO_DATE \
	"UP_TO_DATE recorded"

# --- update ---------------------------------------------------------------------
publish cardreader 1.1 "$W/src/card-1.1"
once
expect_state COMPLETED_RESTART_REQUIRED 0 "cardreader 1.1 installed"
expect_same_tree "$W/client/install/cardreader/current/" "$W/src/card-1.1/" \
	"cardreader 1.1 installed byte-exact"
expect_same_tree "$W/client/install/cardreader/1.0/" "$W/src/card-1.0/" \
	"previous version 1.0 kept for rollback"
expect_eq "$(sqlite3 "$W/client/state/haishin.db" \
	"select from_version || '>' || to_version from history order by id desc limit 1")" \
	"1.0>1.1" "history records from and to"
once
expect_state UP_TO_DATE 0

# --- refusals: each leaves the installed version intact ------------------------
save_repo
edit_envelope 'env["signatures"][0]["sig"] = base64.b64encode(bytes(64)).decode()'
refuse "bad signature" FAILED_VERIFY 65 "bad signature"

edit_envelope 'env["signatures"] = []'
refuse "missing signature" FAILED_VERIFY 65 "missing signature"

(cd "$W" && "$PUBLISH" keygen other >/dev/null)
edit_manifest 'm["serial"] += 1'
"$SIGN" "$MT" "$W/payload.json" "$W/other.key" >"$W/repo/manifest.json"
refuse "foreign key" FAILED_VERIFY 65 "unknown keys"

edit_envelope 'p = json.loads(base64.b64decode(env["payload"])); p["components"]["facelib"]["version"] = "9.0"; env["payload"] = base64.b64encode(json.dumps(p).encode()).decode()'
refuse "tampered payload" FAILED_VERIFY 65 "bad signature"

edit_manifest 'm["serial"] -= 1'
refuse "rollback" FAILED_VERIFY 65 "rollback"

edit_manifest 'm["components"]["facelib"]["restart"] = "system"'
refuse "serial reuse" FAILED_VERIFY 65 "serial reuse"

edit_manifest 'm["serial"] += 1; m["expires"] = "2020-01-01T00:00:00Z"'
refuse "expired" FAILED_VERIFY 65 "freeze"

edit_manifest 'm = "{\"_type\": \"manifest\", \"serial\": "'
refuse "malformed JSON" FAILED_VERIFY 65 "malformed JSON"

edit_manifest 'm["serial"] += 1; del m["expires"]'
refuse "missing field" FAILED_VERIFY 65 "'expires' is missing"

edit_manifest 'm["serial"] += 1; del m["components"]["cardreader"]["package"]["sha256"]'
refuse "missing package hash" FAILED_VERIFY 65 "'sha256' is missing"

python3 -c "import sys; sys.stdout.write('{\"payload\": \"' + 'A' * (5 << 20) + '\"}')" >"$W/repo/manifest.json"
refuse "oversized manifest" FAILED_VERIFY 65 "bytes allowed for it"

# A new version whose package is then altered on the server.
# Same tree, new version; no delta, so every check below is of the full
# package (the client falls back to it from a delta: tests/integration/delta.sh).
publish facelib 2.1 "$W/src/face-2.0" --deltas 0
save_repo
pkg=$(ls "$W/repo/packages/facelib/"*.tar.zst | head -n 1)
for f in "$W/repo/packages/facelib/"*.tar.zst; do
	size=$(stat -c %s "$f")
	printf 'X' | dd of="$f" bs=1 seek=$((size / 2)) conv=notrunc status=none
done
refuse "tampered package" FAILED_VERIFY 65 "hash mismatch"

for f in "$W/repo/packages/facelib/"*.tar.zst; do
	head -c 4096 /dev/urandom >>"$f"
done
refuse "package longer than signed" FAILED_VERIFY 65 "where the signed size is"

rm -f "$W/repo/packages/facelib/"*.tar.zst
refuse "package missing" FAILED_CONNECT 69 "404"

# A signed manifest pointing at a hostile archive: it must not install.
mkdir -p "$W/evil"
python3 - "$W/evil/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    i = tarfile.TarInfo("ok.txt"); data = b"fine\n"; i.size = len(data)
    t.addfile(i, io.BytesIO(data))
    i = tarfile.TarInfo("../../escaped.txt"); i.size = len(data)
    t.addfile(i, io.BytesIO(data))
PY
zstd -q -19 "$W/evil/evil.tar" -o "$W/repo/packages/facelib/evil.tar.zst"
sha=$(sha256sum "$W/repo/packages/facelib/evil.tar.zst" | cut -d' ' -f1)
size=$(stat -c %s "$W/repo/packages/facelib/evil.tar.zst")
chmod -R o+rX "$W/repo"
edit_manifest "m['serial'] += 1; m['components']['facelib']['version'] = '3.0'; m['components']['facelib']['package'] = {'url': 'packages/facelib/evil.tar.zst', 'size': $size, 'sha256': '$sha'}"
refuse "hostile archive" FAILED_INSTALL 73 "the previous version is still active"
expect_eq "$(find "$W" -name escaped.txt | wc -l)" 0 "nothing escaped the staging directory"
expect_eq "$(ls "$W/client/install/facelib" | grep -c staging || true)" 0 \
	"no staging directory left behind"

# A root the client does not trust.
cp "$W/client/root.json" "$W/root.pinned"
(cd "$W" && "$PUBLISH" keygen root2 >/dev/null && "$PUBLISH" keygen man2 >/dev/null)
"$PUBLISH" init "$W/other-repo" --root-key "$W/root2" --manifest-key "$W/man2" >/dev/null
cp "$W/other-repo/root.json" "$W/client/root.json"
refuse "foreign root" FAILED_VERIFY 65 "signed by unknown keys"
cp "$W/root.pinned" "$W/client/root.json"

# Untrusted text cannot fake the last line of output.
edit_envelope 'env["payloadType"] = "x\nUP_TO_DATE all is well"'
refuse "newline in payload type" FAILED_VERIFY 65 "payload type"
expect_eq "$(wc -l <"$W/once.out")" 2 "the forged line was not printed"

# What is active must be what is recorded: a database that refuses the
# install switches current back.
python3 - "$W/repo/index.json" <<'PY'
import json, sys
i = json.load(open(sys.argv[1])); i["serial"] = 50
json.dump(i, open(sys.argv[1], "w"))
PY
"$PUBLISH" sign "$W/repo" --key "$W/man" >/dev/null
chmod -R o+rX "$W/repo"
save_repo
sqlite3 "$W/client/state/haishin.db" "create trigger refuse before insert on installed begin select raise(abort, 'disk says no'); end"
refuse "database refuses the install" FAILED_INSTALL 73 "disk says no"
expect_eq "$(readlink "$W/client/install/facelib/current")" "2.0" \
	"current switched back to 2.0"
sqlite3 "$W/client/state/haishin.db" "drop trigger refuse"
sqlite3 "$W/client/state/haishin.db" "create trigger refuse before update on trust begin select raise(abort, 'full'); end"
sqlite3 "$W/client/state/haishin.db" "create trigger refuse2 before insert on trust begin select raise(abort, 'full'); end"
refuse "database refuses the trust state" FAILED_INSTALL 73 "full"
sqlite3 "$W/client/state/haishin.db" "drop trigger refuse; drop trigger refuse2"

# A dead server.
client_config "http://127.0.0.1:1/"
refuse "dead server" FAILED_CONNECT 69 "TCP"
client_config "$NGINX_URL"

# The hostile manifest was validly signed, so the client accepted its serial:
# the publisher moves past it, and the good repository installs.
python3 - "$W/repo/index.json" <<'PY'
import json, sys
i = json.load(open(sys.argv[1])); i["serial"] = 100
json.dump(i, open(sys.argv[1], "w"))
PY
"$PUBLISH" sign "$W/repo" --key "$W/man" >/dev/null
chmod -R o+rX "$W/repo"
once
expect_state COMPLETED 0 "facelib 2.1 installed"
expect_same_tree "$W/client/install/facelib/current/" "$W/src/face-2.0/" \
	"facelib 2.1 byte-exact after all refusals"

finish
