#!/usr/bin/env bash
# dblost.sh - rollback protection outlives the state database.
#
# The terminal installs app 1.0 (manifest serial 1), then 2.0 (serial 2).
# The server then replays the older, still unexpired serial-1 manifest after
# the database was emptied, deleted, zeroed or restored from an older copy:
# each time the client must stop (STOPPED, naming the file and what to do)
# and leave 2.0 active, never install 1.0 over it.  haishind --reinit then
# rebuilds the database keeping the floor, so the replay is refused as a
# rollback and the newer manifest is UP_TO_DATE again.  The resident daemon
# with a damaged database stays up and says STOPPED; a disabled daemon says
# STOPPED too.
source "$(dirname "$0")/lib.sh"

world_init
DB="$W/client/state/haishin.db"
APP="$W/client/install/app"

mkdir -p "$W/app1" "$W/app2"
echo "one" >"$W/app1/file"
echo "two" >"$W/app2/file"
publish app 1.0.0 "$W/app1" --deltas 0
once
expect_state COMPLETED 0 "app"
cp "$W/repo/manifest.json" "$W/old-manifest.json"
cp "$DB" "$W/db-at-1.0"
publish app 2.0.0 "$W/app2" --deltas 0
cp "$W/repo/manifest.json" "$W/new-manifest.json"
once
expect_state COMPLETED 0 "app"
expect_eq "$(readlink "$APP/current")" "2.0.0" "2.0.0 is active"
before=$(tree_digest "$W/client/install")

# replay: the old manifest is served again.
replay() {
	cp "$W/old-manifest.json" "$W/repo/manifest.json"
	chmod o+r "$W/repo/manifest.json"
}
# serve_new: the newest manifest is served again.
serve_new() {
	cp "$W/new-manifest.json" "$W/repo/manifest.json"
	chmod o+r "$W/repo/manifest.json"
}

# expect_floor_held WHAT: the last run stopped and 2.0 is still active.
expect_floor_held() {
	expect_state STOPPED 78 "$2"
	if [[ "$LAST" != *"haishind --reinit"* ]]; then
		fail "$1: the reason does not say what to do: $LAST"
	else
		pass "$1: the reason says what to do"
	fi
	expect_eq "$(tree_digest "$W/client/install")" "$before" \
		"$1: the install is untouched (2.0.0 active)"
}

# keep_db / restore_db: the sound database, kept aside between cases.
cp "$DB" "$W/db-sound"
restore_db() {
	rm -f "$DB" "$DB-wal" "$DB-shm"
	cp "$W/db-sound" "$DB"
}

# 1. An emptied database (a 0-byte file) and a replayed older manifest.
replay
: >"$DB"
rm -f "$DB-wal" "$DB-shm"
once
expect_floor_held "emptied database, older manifest replayed" \
	"serial 2"

# 2. A deleted database.
rm -f "$DB" "$DB-wal" "$DB-shm"
once
expect_floor_held "deleted database, older manifest replayed" "serial 2"

# 3. A zeroed database (its size kept, every byte zero): damaged, STOPPED,
#    not FAILED_INSTALL.
restore_db
size=$(stat -c %s "$DB")
head -c "$size" /dev/zero >"$DB"
rm -f "$DB-wal" "$DB-shm"
once
expect_floor_held "zeroed database, older manifest replayed" "damaged"

# 4. A database restored from an older copy (taken at 1.0, serial 1).
rm -f "$DB" "$DB-wal" "$DB-shm"
cp "$W/db-at-1.0" "$DB"
once
expect_floor_held "database restored from an older copy" "older than"

# 5. haishind --reinit keeps the floor: the replay is a rollback, the newer
#    manifest is up to date, and the damaged file is kept.
restore_db
: >"$DB"
set +e
"$HAISHIND" -c "$W/client/haishin.conf" --reinit >"$W/reinit.out" 2>&1
rc=$?
set -e
expect_eq "$rc" "0" "--reinit rebuilds a damaged database"
if grep -q "serial 2" "$W/reinit.out" && grep -q "app 2.0.0" "$W/reinit.out"; then
	pass "--reinit reports the floor it kept (serial 2, app 2.0.0)"
else
	fail "--reinit report: $(cat "$W/reinit.out")"
fi
if ls "$W/client/state/" | grep -q '^haishin.db.damaged-'; then
	pass "--reinit keeps the damaged file beside the new one"
else
	fail "no haishin.db.damaged-* kept"
fi
once
expect_state FAILED_VERIFY 65 "rollback"
expect_eq "$(tree_digest "$W/client/install")" "$before" \
	"after --reinit the replay installs nothing"
serve_new
once
expect_state UP_TO_DATE 0 "serial 2"
set +e
"$HAISHIND" -c "$W/client/haishin.conf" --reinit >"$W/reinit.out" 2>&1
rc=$?
set -e
if [ "$rc" -ne 0 ] && grep -q "sound" "$W/reinit.out"; then
	pass "--reinit leaves a sound database alone"
else
	fail "--reinit on a sound database: exit $rc: $(cat "$W/reinit.out")"
fi

# 6. The resident daemon with a damaged database stays up and says STOPPED.
cp "$DB" "$W/db-sound"
for kind in zeroed emptied; do
	restore_db
	if [ "$kind" = zeroed ]; then
		head -c "$(stat -c %s "$DB")" /dev/zero >"$DB"
	else
		: >"$DB"
	fi
	replay
	start_daemon
	set +e
	out=$(ctl status 2>&1)
	json=$(ctl --json status 2>&1)
	dl=$(ctl download-now 2>&1)
	dlrc=$?
	set -e
	if [[ "$out" == *STOPPED* && "$out" == *"--reinit"* ]]; then
		pass "$kind database: status says STOPPED and what to do"
	else
		fail "$kind database: status: $out"
	fi
	if echo "$json" | python3 -c '
import json, sys
d = json.load(sys.stdin)["daemon"]
sys.exit(0 if d["state"] == "STOPPED" and "reinit" in d["reason"] else 1)'; then
		pass "$kind database: status --json has state STOPPED with the reason"
	else
		fail "$kind database: status --json: $json"
	fi
	last=$(echo "$dl" | tail -n 1)
	if [ "$dlrc" -eq 78 ] && [[ "$last" == STOPPED* ]]; then
		pass "$kind database: download-now ends STOPPED (exit 78)"
	else
		fail "$kind database: download-now: exit $dlrc: $last"
	fi
	stop_daemon
	expect_eq "$(tree_digest "$W/client/install")" "$before" \
		"$kind database: the daemon installed nothing"
done

# 7. Disabled means STOPPED, visibly, with the reason.
restore_db
serve_new
start_daemon
ctl disable --reason "clinic closed" >/dev/null
set +e
out=$(ctl status 2>&1)
json=$(ctl --json status 2>&1)
set -e
if [[ "$(echo "$out" | head -n 1)" == *STOPPED* && "$out" == *"clinic closed"* ]]; then
	pass "disabled: status says STOPPED with the reason"
else
	fail "disabled: status: $out"
fi
if echo "$json" | python3 -c '
import json, sys
d = json.load(sys.stdin)["daemon"]
sys.exit(0 if d["state"] == "STOPPED" and "clinic closed" in d["reason"] else 1)'; then
	pass "disabled: status --json has state STOPPED with the reason"
else
	fail "disabled: status --json: $json"
fi
ctl enable >/dev/null
json=$(ctl --json status 2>&1)
if echo "$json" | python3 -c '
import json, sys
d = json.load(sys.stdin)["daemon"]
sys.exit(0 if d["state"] == "IDLE" and d["reason"] == "" else 1)'; then
	pass "enabled again: state IDLE"
else
	fail "enabled again: status --json: $json"
fi
stop_daemon

finish
