#!/usr/bin/env bash
# root.sh - the chain of roots: a rotated manifest key is followed through
# N.root.json, a revoked key is refused, and losing the stored root cannot
# roll the client back to a root it has moved past.
source "$(dirname "$0")/lib.sh"

RT=application/vnd.haishin.root+json

# make_root VERSION MANIFEST_KEY_PREFIX SIGNER_KEY...: a root payload like
# repo/1.root.json's with another version and manifest key, signed by the
# given private keys (independent signer).
make_root() {
	local version=$1 mkey=$2
	shift 2
	python3 - "$W/repo/1.root.json" "$version" "$mkey.pub" >"$W/root-payload.json" <<'PY'
import base64, hashlib, json, subprocess, sys
env = json.load(open(sys.argv[1]))
r = json.loads(base64.b64decode(env["payload"]))
der = subprocess.run(["openssl", "pkey", "-pubin", "-in", sys.argv[3],
                      "-outform", "DER"], check=True,
                     capture_output=True).stdout
raw = der[-32:]
kid = hashlib.sha256(raw).hexdigest()
for old in r["roles"]["manifest"]["keyids"]:
    if old not in r["roles"]["root"]["keyids"]:
        r["keys"].pop(old, None)
r["keys"][kid] = {"keytype": "ed25519", "public": base64.b64encode(raw).decode()}
r["roles"]["manifest"] = {"keyids": [kid], "threshold": 1}
r["version"] = int(sys.argv[2])
print(json.dumps(r))
PY
	"$SIGN" "$RT" "$W/root-payload.json" "$@"
}

world_init
mkdir -p "$W/src/app"
echo one >"$W/src/app/file"
publish app 1.0 "$W/src/app"
once
expect_state COMPLETED 0 "app 1.0"

# Rotate the manifest key: root 2 names man2, signed by the root key (which
# is both the old and the new root role).
(cd "$W" && "$PUBLISH" keygen man2 >/dev/null && "$PUBLISH" keygen intruder >/dev/null)
make_root 2 "$W/man2" "$W/root.key" >"$W/root2.json"
cp "$W/root2.json" "$W/repo/2.root.json"
cp "$W/root2.json" "$W/repo/root.json"
echo two >"$W/src/app/file"
"$PUBLISH" add "$W/repo" app 2.0 "$W/src/app" >/dev/null
"$PUBLISH" sign "$W/repo" --key "$W/man2" >/dev/null
chmod -R o+rX "$W/repo"
once
expect_state COMPLETED 0 "app 2.0 installed"
expect_eq "$(sqlite3 "$W/client/state/haishin.db" "select root_version from trust")" 2 \
	"root version 2 trusted"
cp -a "$W/repo" "$W/repo.v2"

# The revoked key signs a newer manifest, and the server serves root 1.
"$PUBLISH" sign "$W/repo" --key "$W/man2" >/dev/null # keeps serials apart
cp "$W/repo/1.root.json" "$W/repo/root.json"
echo evil >"$W/src/app/file"
"$PUBLISH" add "$W/repo" app 9.0 "$W/src/app" >/dev/null
"$PUBLISH" sign "$W/repo" --key "$W/man" >/dev/null
chmod -R o+rX "$W/repo"
once
expect_state FAILED_VERIFY 65 "signed by unknown keys"
echo garbage >"$W/client/state/root.json"
once
expect_state FAILED_VERIFY 65 "rollback"
expect_eq "$(cat "$W/client/install/app/current/file")" two \
	"the revoked key installed nothing"

# With the stored root lost, the chain is walked again from the pinned root.
rm -f "$W/client/state/root.json"
find "$W/repo" -mindepth 1 -delete
cp -a "$W/repo.v2/." "$W/repo/"
"$PUBLISH" sign "$W/repo" --key "$W/man2" --expires 2 >/dev/null
"$PUBLISH" sign "$W/repo" --key "$W/man2" >/dev/null
chmod -R o+rX "$W/repo"
once
expect_state UP_TO_DATE 0 "at the latest version"

# A root 3 signed only by a new root key, not by root 2's: refused.
(cd "$W" && "$PUBLISH" keygen root3 >/dev/null)
make_root 3 "$W/man2" "$W/root3.key" >"$W/root3.json"
cp "$W/root3.json" "$W/repo/3.root.json"
cp "$W/root3.json" "$W/repo/root.json"
chmod -R o+rX "$W/repo"
once
expect_state FAILED_VERIFY 65 "by the current root's keys"
expect_eq "$(sqlite3 "$W/client/state/haishin.db" "select root_version from trust")" 2 \
	"still at root version 2"

finish
