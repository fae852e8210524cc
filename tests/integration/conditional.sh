#!/usr/bin/env bash
# conditional.sh - a check with nothing new costs the server two 304s: root.json
# and manifest.json are conditional GETs (If-None-Match, If-Modified-Since)
# carrying the validators of the last verified copies, against a real nginx
# whose access log shows what each request carried and got.  A 304 keeps the
# local copy, which is verified again (expiry included); no copy, no
# validators; validators go only to the base URL they came from.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/faultserver-lib.sh"

trap 'fault_stop "$W/fa"; cleanup' EXIT

MT=application/vnd.haishin.manifest+json
LOG=$W/nginx/access.log
DB=$W/client/state/haishin.db

# run: once, remembering where nginx's log stood before it.
run() {
	MARK=$(wc -l <"$LOG")
	once
}

# got PATH: what nginx answered to this run's GETs of /PATH ("200 304 ...").
got() {
	tail -n +$((MARK + 1)) "$LOG" |
		awk -v p="/$1" '$1 == "GET" && $2 == p { printf "%s%s", s, $4; s = " " }'
}

# got_bytes PATH: the body bytes of those answers.
got_bytes() {
	tail -n +$((MARK + 1)) "$LOG" |
		awk -v p="/$1" '$1 == "GET" && $2 == p { printf "%s%s", s, $5; s = " " }'
}

# sent PATH: the If-None-Match this run's GETs of /PATH carried ("-": none).
sent() {
	tail -n +$((MARK + 1)) "$LOG" |
		awk -v p="/$1" '$1 == "GET" && $2 == p { printf "%s%s", s, $8; s = " " }' |
		tr -d '"'
}

# settle: a second on, so that the next answer's Date is past the
# Last-Modified of what was just published (validators of a file modified
# within the second of the answer are not kept: nginx's ETag is mtime-size).
settle() {
	sleep 1.1
}

trust() {
	sqlite3 "$DB" "select $1 from trust"
}

world_init
mkdir -p "$W/src/a1" "$W/src/a2"
echo one >"$W/src/a1/file"
echo two >"$W/src/a2/file"
publish app 1.0 "$W/src/a1"
settle

# --- the first check: everything whole ----------------------------------------
run
expect_state COMPLETED 0 "app 1.0"
expect_eq "$(got root.json) $(got manifest.json)" "200 200" \
	"first_check_gets_200_for_both"
expect_eq "$(sent root.json) $(sent manifest.json)" "- -" \
	"first_check_sends_no_validators"

# --- nothing new: two 304s without a body ---------------------------------------
contact=$(trust last_contact)
settle
run
expect_state UP_TO_DATE 0 "manifest serial 1"
expect_eq "$(got root.json) $(got manifest.json)" "304 304" \
	"nothing_new_is_304_for_root_and_manifest"
expect_eq "$(got_bytes root.json) $(got_bytes manifest.json)" "0 0" \
	"nothing_new_sends_no_body"
if [[ "$(sent manifest.json)" == *\\x22*\\x22 ]]; then
	pass "nothing_new_sends_the_etag_as_if_none_match"
else
	fail "nothing_new_sends_the_etag_as_if_none_match: sent '$(sent manifest.json)'"
fi
if [ "$(trust last_contact)" -gt "$contact" ]; then
	pass "a_304_updates_last_contact"
else
	fail "a_304_updates_last_contact: still $(trust last_contact)"
fi
expect_eq "$(trust manifest_serial)" 1 "a_304_keeps_the_serial"

# --- a new manifest: 200 for it, root.json still 304 ----------------------------
publish app 2.0 "$W/src/a2"
settle
run
expect_state COMPLETED 0 "app 2.0"
expect_eq "$(got root.json) $(got manifest.json)" "304 200" \
	"new_sign_gets_200_for_the_manifest"
expect_eq "$(trust manifest_serial)" 2 "new_sign_serial_2_trusted"
expect_eq "$(readlink "$W/client/install/app/current")" 2.0 \
	"new_sign_installs_app_2.0"
run
expect_state UP_TO_DATE 0 "manifest serial 2"
expect_eq "$(got root.json) $(got manifest.json)" "304 304" \
	"after_the_update_nothing_new_is_304_again"

# --- the stored copy gone or changed: no validators, 200 ------------------------
rm "$W/client/state/manifest.json"
run
expect_state UP_TO_DATE 0 "manifest serial 2"
expect_eq "$(got manifest.json) $(sent manifest.json)" "200 -" \
	"stored_manifest_deleted_no_validators_200"
expect_eq "$(got root.json)" 304 "stored_manifest_deleted_root_still_304"
run
expect_eq "$(got manifest.json)" 304 "stored_manifest_back_304_again"
echo >>"$W/client/state/manifest.json"
run
expect_state UP_TO_DATE 0 "manifest serial 2"
expect_eq "$(got manifest.json) $(sent manifest.json)" "200 -" \
	"stored_manifest_altered_no_validators_200"

# --- validators only toward the base they came from --------------------------------
ln -s . "$W/repo/mirror"
client_config "${NGINX_URL}mirror/"
run
expect_state UP_TO_DATE 0 "manifest serial 2"
expect_eq "$(got mirror/root.json) $(got mirror/manifest.json)" "200 200" \
	"another_base_gets_no_validators"
run
expect_eq "$(got mirror/root.json) $(got mirror/manifest.json)" "304 304" \
	"another_base_then_its_own_validators"
client_config "$NGINX_URL"
run
expect_eq "$(got root.json) $(got manifest.json)" "200 200" \
	"back_to_the_first_base_no_validators_of_the_other"

# --- a Last-Modified not a second older than the answer: not kept -----------------
touch -d '+1 hour' "$W/repo/manifest.json"
run
expect_eq "$(got manifest.json)" 200 "future_last_modified_fetched_whole"
run
expect_state UP_TO_DATE 0 "manifest serial 2"
expect_eq "$(got manifest.json) $(sent manifest.json)" "200 -" \
	"validators_too_young_are_not_kept"
touch "$W/repo/manifest.json"
settle
run
run
expect_eq "$(got manifest.json)" 304 "settled_validators_kept_again"

# --- root.json 304 with the stored root lost: the chain is walked again ------------
(cd "$W" && "$PUBLISH" keygen man2 >/dev/null)
"$PUBLISH" rotate "$W/repo" --root-key "$W/root" --new-manifest-key "$W/man2" >/dev/null
"$PUBLISH" sign "$W/repo" --key "$W/man2" >/dev/null
chmod -R o+rX "$W/repo"
settle
run
expect_state UP_TO_DATE 0 "manifest serial 3"
expect_eq "$(got root.json) $(got 2.root.json) $(got manifest.json)" "200 200 200" \
	"rotation_root_json_200_chain_walked"
expect_eq "$(trust root_version)" 2 "rotation_root_2_trusted"
run
expect_eq "$(got root.json) $(got 2.root.json)" "304 " \
	"rotation_then_304_and_no_chain_file"
rm "$W/client/state/root.json"
run
expect_state UP_TO_DATE 0 "manifest serial 3"
expect_eq "$(got root.json) $(got 2.root.json)" "304 200" \
	"root_304_stored_root_lost_chain_walked_again"
expect_eq "$(sent 2.root.json)" "-" "chain_files_are_not_conditional"

# --- a 304 on an expired manifest: FAILED_VERIFY, expired ----------------------------
python3 - "$W/repo/manifest.json" "$W/payload.json" <<'PY'
import base64, json, sys, time
env = json.load(open(sys.argv[1]))
m = json.loads(base64.b64decode(env["payload"]))
m["serial"] += 1
m["expires"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 6))
open(sys.argv[2], "w").write(json.dumps(m))
PY
expires=$(($(date +%s) + 6))
"$SIGN" "$MT" "$W/payload.json" "$W/man2.key" >"$W/repo/manifest.json"
chmod o+r "$W/repo/manifest.json"
settle
run
expect_state UP_TO_DATE 0 "manifest serial 4"
expect_eq "$(got manifest.json)" 200 "short_lived_manifest_accepted"
while [ "$(date +%s)" -le "$expires" ]; do sleep 0.2; done
run
expect_state FAILED_VERIFY 65 "expired"
expect_eq "$(got manifest.json)" 304 "expired_manifest_304_stored_copy_checked"
expect_eq "$(trust manifest_serial)" 4 "expired_manifest_serial_unchanged"

# --- a 304 to a request without validators is an error naming it ------------------
fault_start "$W/fa" "$W/repo"
rm -rf "$W/client/state" "$W/client/cache" "$W/client/install"
CLIENT_EXTRA="retries = 2" client_config "$FAULT_URL"
fault_plan /manifest.json '[{"status": 304, "times": 10}]'
once
expect_state FAILED_CONNECT 69 "304 (not modified)"
if [[ "$LAST" == *"sent no validators"* ]]; then
	pass "unasked_304_is_an_error_naming_it"
else
	fail "unasked_304_is_an_error_naming_it: $LAST"
fi

finish
