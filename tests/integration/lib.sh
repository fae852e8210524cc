# shellcheck shell=bash
# lib.sh - helpers for the integration tests: a temporary world with keys, a
# repository served by a real nginx on loopback, a client configuration, and
# assertions.  Sourced by each test; HS_BIN is the build directory.

set -euo pipefail

HS_TESTS=${HS_TESTS:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
HS_BIN=${HS_BIN:?HS_BIN must name the build directory}
PUBLISH="$HS_BIN/publish/haishin-publish"
HAISHIND="$HS_BIN/daemon/haishind"
SIGN="$HS_TESTS/integration/dsse_sign.py"
# shellcheck source=../../scripts/nginx-lib.sh
source "$HS_TESTS/../scripts/nginx-lib.sh"

PASSED=0
FAILED=0
SKIPPED=0

W=$(mktemp -d "${TMPDIR:-/tmp}/hs-it-XXXXXX")
chmod 755 "$W"
cleanup() {
	stop_daemon
	nginx_stop "$W/nginx"
	rm -rf "$W"
}
trap cleanup EXIT

# The resident daemon: start_daemon runs haishind on the client's
# configuration (its log in DAEMON_LOG) until its socket SOCK answers;
# stop_daemon ends it with SIGTERM; ctl runs haishinctl on SOCK.  A test
# that names another socket in its configuration sets SOCK first.
HAISHINCTL="$HS_BIN/daemon/haishinctl"
SOCK="$W/client/haishind.sock"
DAEMON_LOG="$W/daemon.log"
DPID=""

ctl() {
	"$HAISHINCTL" --socket "$SOCK" "$@"
}

start_daemon() {
	"$HAISHIND" -c "$W/client/haishin.conf" >>"$DAEMON_LOG" 2>&1 &
	DPID=$!
	for _ in $(seq 1 100); do
		[ -S "$SOCK" ] && ctl status >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "the daemon did not come up"
	sed 's/^/  | /' "$DAEMON_LOG" >&2
	return 1
}

stop_daemon() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null || true
	wait "$DPID" 2>/dev/null || true
	DPID=""
}

fail() {
	echo "FAIL: $*" >&2
	FAILED=$((FAILED + 1))
}

pass() {
	echo "ok: $*"
	PASSED=$((PASSED + 1))
}

# skip WHAT: a check that cannot run here (it needs root, or a tool this
# machine lacks) is reported and counted as skipped, never as passed.
skip() {
	echo "SKIPPED: $*"
	SKIPPED=$((SKIPPED + 1))
}

# Makes keys and a repository at $W/repo.
world_repo() {
	(cd "$W" && "$PUBLISH" keygen root >/dev/null && "$PUBLISH" keygen man >/dev/null)
	"$PUBLISH" init "$W/repo" --root-key "$W/root" --manifest-key "$W/man" >/dev/null
	mkdir -p "$W/client"
	cp "$W/repo/root.json" "$W/client/root.json"
}

# Makes keys and a repository served by nginx, and a client config.
world_init() {
	world_repo
	mkdir -p "$W/nginx"
	nginx_start "$W/nginx" "$W/repo"
	client_config "$NGINX_URL"
}

# client_config URL: the client's configuration; CLIENT_EXTRA is appended.
client_config() {
	cat >"$W/client/haishin.conf" <<CONF
[server]
url = $1
[trust]
root = $W/client/root.json
[paths]
state = $W/client/state
cache = $W/client/cache
install = $W/client/install
socket = $W/client/haishind.sock
[transfer]
stall_timeout = ${CLIENT_STALL:-5}
connect_timeout = 5
backoff_initial = ${CLIENT_BACKOFF:-0}
${CLIENT_EXTRA:-}
CONF
}

# publish NAME VERSION DIR [add options]: adds and signs.
publish() {
	local name=$1 version=$2 dir=$3
	shift 3
	"$PUBLISH" add "$W/repo" "$name" "$version" "$dir" "$@" >/dev/null
	"$PUBLISH" sign "$W/repo" --key "$W/man" >/dev/null
	chmod -R o+rX "$W/repo"
}

# once: runs haishind --once; sets RC and LAST (its last line of stdout).
once() {
	set +e
	"$HAISHIND" -c "$W/client/haishin.conf" --once >"$W/once.out" 2>"$W/once.err"
	RC=$?
	set -e
	LAST=$(tail -n 1 "$W/once.out")
}

# expect_state STATE CODE [TEXT]: the last run ended so.
expect_state() {
	local what="$1 (exit $2)${3:+, \"$3\"}"
	if [ "$RC" -ne "$2" ] || [ "${LAST%% *}" != "$1" ]; then
		fail "expected $what, got exit $RC: $LAST"
		[ -f "$W/once.err" ] && sed 's/^/  | /' "$W/once.err" >&2
		return 0
	fi
	if [ -n "${3:-}" ] && [[ "$LAST" != *"$3"* ]]; then
		fail "expected $what, got: $LAST"
		return 0
	fi
	pass "$what"
}

# tree_digest DIR: one digest over every path, type, mode, link and content.
tree_digest() {
	(cd "$1" && find . -printf '%p %y %m %l\n' | LC_ALL=C sort &&
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum) |
		sha256sum | cut -d' ' -f1
}

# expect_same_tree A B: byte-exact, modes (masked to 0755) and links.
expect_same_tree() {
	if [ "$(tree_digest "$1")" = "$(tree_digest "$2")" ]; then
		pass "$3"
	else
		fail "$3: trees differ"
		diff -r --no-dereference "$1" "$2" >&2 || true
	fi
}

expect_eq() {
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3: expected '$2', got '$1'"
	fi
}

# finish: the counts; fails when a check failed, else returns 77 (ctest's
# "skipped") when one was skipped.
finish() {
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	[ "$FAILED" -eq 0 ] || return 1
	[ "$SKIPPED" -eq 0 ] || return 77
}
