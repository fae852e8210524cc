#!/usr/bin/env bash
# push.sh - vendor-pushed bundles: `haishin-publish bundle` packs a
# repository; `haishind --once --bundle` and `haishinctl push` install from
# it with no server at all, through the same trust chain; a tampered,
# foreign, hostile, stale or non-bundle file is refused with nothing
# installed.
source "$(dirname "$0")/lib.sh"

SOCK="$W/client/h.sock"
trap 'stop_daemon; cleanup' EXIT

# once_bundle FILE: haishind --once --bundle FILE; sets RC and LAST.
once_bundle() {
	set +e
	"$HAISHIND" -c "$W/client/haishin.conf" --once --bundle "$1" >"$W/once.out" 2>"$W/once.err"
	RC=$?
	set -e
	LAST=$(tail -n 1 "$W/once.out")
}

# repack DIR FILE: a .tar.zst of DIR's contents, as an attacker would make.
repack() {
	(cd "$1" && tar --zstd -cf "$2" -- *)
}

world_repo
# No server: the configured one is a closed port, so every byte installed
# below came from a bundle.
CLIENT_EXTRA="[paths]
socket = $SOCK
[schedule]
boot_delay_max = 3600"
client_config "http://127.0.0.1:1/repo/"
sed -i "/^socket = .*haishind.sock$/d" "$W/client/haishin.conf"

mkdir -p "$W/src/app-1" "$W/src/app-2"
echo "version one" >"$W/src/app-1/file"
head -c 300000 /dev/urandom >"$W/src/app-2/blob"
echo "version two" >"$W/src/app-2/file"
publish app 1.0 "$W/src/app-1"
"$PUBLISH" bundle "$W/repo" -o "$W/b1.bundle" >/dev/null
[ -s "$W/b1.bundle" ] && pass "bundle written" || fail "no bundle"

# --- a foreign bundle: another publisher's keys -----------------------------
mkdir -p "$W/other"
(cd "$W/other" && "$PUBLISH" keygen root >/dev/null && "$PUBLISH" keygen man >/dev/null)
"$PUBLISH" init "$W/other/repo" --root-key "$W/other/root" --manifest-key "$W/other/man" >/dev/null
"$PUBLISH" add "$W/other/repo" app 9.0 "$W/src/app-1" >/dev/null
"$PUBLISH" sign "$W/other/repo" --key "$W/other/man" >/dev/null
"$PUBLISH" bundle "$W/other/repo" -o "$W/foreign.bundle" >/dev/null
once_bundle "$W/foreign.bundle"
expect_state FAILED_VERIFY 65 "signed by unknown keys only"
[ ! -e "$W/client/install/app" ] && pass "foreign bundle: nothing installed" || fail "foreign bundle installed something"

# --- not a bundle, and a hostile archive --------------------------------------
mkdir -p "$W/plain"
echo hi >"$W/plain/x"
repack "$W/plain" "$W/plain.tar.zst"
once_bundle "$W/plain.tar.zst"
expect_state FAILED_VERIFY 65 "not a haishin bundle"
mkdir -p "$W/evil/sub"
echo '{"_type": "bundle", "format": 1}' >"$W/evil/haishin-bundle.json"
ln -s /etc/passwd "$W/evil/sub/link"
repack "$W/evil" "$W/evil.tar.zst"
once_bundle "$W/evil.tar.zst"
expect_state FAILED_VERIFY 65 "bundle"
[ -z "$(ls -A "$W/client/cache" 2>/dev/null | grep bundle || true)" ] &&
	pass "hostile bundle: nothing left in the cache" || fail "a bundle directory was left behind"

# --- the good bundle installs, with no server ----------------------------------
once_bundle "$W/b1.bundle"
expect_state COMPLETED 0 "app 1.0 installed"
expect_eq "$(cat "$W/client/install/app/current/file")" "version one" "the bundle's file is installed"
expect_eq "$(sqlite3 "$W/client/state/haishin.db" "select trigger from history order by id desc limit 1")" push \
	"history records the push"

# --- a tampered package inside a bundle --------------------------------------
publish app 2.0 "$W/src/app-2"
"$PUBLISH" bundle "$W/repo" -o "$W/b2.bundle" >/dev/null
mkdir -p "$W/t"
tar --zstd -xf "$W/b2.bundle" -C "$W/t"
pkg=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["components"]["app"]["versions"]["2.0"]["url"])' "$W/repo/index.json")
python3 - "$W/t/$pkg" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0xFF
open(p, "wb").write(bytes(b))
PY
repack "$W/t" "$W/tampered.bundle"
before=$(tree_digest "$W/client/install")
once_bundle "$W/tampered.bundle"
expect_state FAILED_VERIFY 65 "hash mismatch"
expect_eq "$(tree_digest "$W/client/install")" "$before" "tampered bundle: the installed tree is unchanged"

# --- the resident daemon: haishinctl push --------------------------------------
"$HAISHIND" -c "$W/client/haishin.conf" >>"$W/daemon.log" 2>&1 &
DPID=$!
for _ in $(seq 1 100); do
	[ -S "$SOCK" ] && "$HAISHINCTL" --socket "$SOCK" status >/dev/null 2>&1 && break
	sleep 0.1
done
set +e
"$HAISHINCTL" --socket "$SOCK" push "$W/no-such.bundle" >/dev/null 2>"$W/push.err"
RC=$?
set -e
expect_eq "$RC" 66 "push of a missing file: exit 66"
set +e
"$HAISHINCTL" --socket "$SOCK" push "$W/b2.bundle" >"$W/push.out" 2>&1
RC=$?
set -e
LAST=$(tail -n 1 "$W/push.out")
expect_state COMPLETED 0 "app 2.0 installed"
expect_eq "$(cat "$W/client/install/app/current/file")" "version two" "pushed through the daemon"

# --- a stale bundle: the serial went back ---------------------------------------
set +e
"$HAISHINCTL" --socket "$SOCK" push "$W/b1.bundle" >"$W/push.out" 2>&1
RC=$?
set -e
LAST=$(tail -n 1 "$W/push.out")
expect_state FAILED_VERIFY 65 "rollback"
expect_eq "$(cat "$W/client/install/app/current/file")" "version two" "a stale bundle changes nothing"

# --- only those allowed to change state may push ------------------------------
if [ "$(id -u)" = 0 ] && getent group nogroup >/dev/null && command -v setpriv >/dev/null; then
	stop_daemon
	printf '[control]\ngroup = nogroup\n' >>"$W/client/haishin.conf"
	chmod o+x "$W/client"
	chmod o+r "$W/b2.bundle"
	"$HAISHIND" -c "$W/client/haishin.conf" >>"$W/daemon.log" 2>&1 &
	DPID=$!
	for _ in $(seq 1 100); do
		[ -S "$SOCK" ] && "$HAISHINCTL" --socket "$SOCK" status >/dev/null 2>&1 && break
		sleep 0.1
	done
	set +e
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$HAISHINCTL" --socket "$SOCK" push "$W/b2.bundle" >"$W/push.out" 2>&1
	RC=$?
	set -e
	LAST=$(tail -n 1 "$W/push.out")
	expect_state STOPPED 78 "permission denied"
else
	skip "a member of [control] group may not push (needs root, group nogroup and setpriv)"
fi

finish
