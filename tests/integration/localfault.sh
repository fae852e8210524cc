#!/usr/bin/env bash
# localfault.sh - a fault of the terminal itself is named as local: a part
# file in the cache that cannot be opened (a planted symlink, a directory in
# its place) and a full disk, while downloading or while staging the
# install, end FAILED_INSTALL (exit 73) with a reason that says what is
# wrong on this machine and what to do - never an INTERRUPTED whose resume
# time mends nothing.  The installed version stays active, what a symlink
# points to is never touched, and the bytes already downloaded stay: once
# the fault is mended the next run resumes and completes.
#
# The full-disk cases mount a small tmpfs, so they need root; elsewhere they
# are reported as SKIPPED, not as passed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/faultserver-lib.sh"

MOUNTS=()
unmount_all() {
	local m
	for m in "${MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	MOUNTS=()
}
trap 'unmount_all; fault_stop "$W/fault"; cleanup' EXIT

world_repo
mkdir -p "$W/src/app-1" "$W/src/app-2"
echo base >"$W/src/app-1/file"
"$PUBLISH" add "$W/repo" app 1.0 "$W/src/app-1" >/dev/null
"$PUBLISH" sign "$W/repo" --key "$W/man" >/dev/null
fault_start "$W/fault" "$W/repo"
CLIENT_EXTRA="retries = 4
backoff_max = 2
min_rate = 1000"
client_config "$FAULT_URL"
once
expect_state COMPLETED 0 "app 1.0 installed"

# Version 2: 3 MiB that does not compress.
head -c 3145728 /dev/urandom >"$W/src/app-2/blob"
"$PUBLISH" add "$W/repo" app 2.0 "$W/src/app-2" >/dev/null
"$PUBLISH" sign "$W/repo" --key "$W/man" >/dev/null
PKG=/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["components"]["app"]["versions"]["2.0"]["url"])' "$W/repo/index.json")
SIZE=$(stat -c %s "$W/repo$PKG")
cp -a "$W/client" "$W/client.v1"
CACHE=$W/client/cache
INSTALL=$W/client/install

fresh() {
	unmount_all
	rm -rf "$W/client"
	cp -a "$W/client.v1" "$W/client"
	client_config "$FAULT_URL"
	fault_reset
}

journal_offset() {
	sqlite3 "$W/client/state/haishin.db" "select coalesce((select offset from partial where name = 'app'), -1)"
}

still_v1() {
	expect_eq "$(readlink "$INSTALL/app/current")" 1.0 "$1: app 1.0 is still active"
	expect_same_tree "$INSTALL/app/current/" "$W/src/app-1/" "$1: app 1.0 byte-exact"
}

installed_v2() {
	expect_eq "$(readlink "$INSTALL/app/current")" 2.0 "$1: app 2.0 is active"
	expect_same_tree "$INSTALL/app/current/" "$W/src/app-2/" "$1: app 2.0 byte-exact"
}

# no_resume_time WHAT: the reason promises no time to resume at.
no_resume_time() {
	[[ "$LAST" != *"resumes at"* ]] && pass "$1: no resume time is promised" ||
		fail "$1: a resume time is promised: $LAST"
}

# --- a planted symlink at CACHE/app.part -------------------------------------
fresh
echo precious >"$W/target"
ln -s "$W/target" "$CACHE/app.part"
once
expect_state FAILED_INSTALL 73 "cannot open the partial download '$CACHE/app.part': Too many levels of symbolic links (ELOOP); remove the file '$CACHE/app.part' and try again"
[[ "$LAST" == *"the previous version is still active"* ]] &&
	pass "symlink: the reason says the previous version is still active" || fail "symlink: $LAST"
no_resume_time "symlink"
still_v1 "symlink"
expect_eq "$(cat "$W/target")" precious "symlink: its target is untouched"
expect_eq "$(readlink "$CACHE/app.part")" "$W/target" "symlink: it is left for the user to remove"
expect_eq "$(fault_bytes "$PKG")" 0 "symlink: nothing was downloaded"
rm "$CACHE/app.part"
once
expect_state COMPLETED 0 "app 2.0 installed"
installed_v2 "symlink removed"

# --- a directory in the part file's place ---------------------------------------
fresh
mkdir "$CACHE/app.part"
once
expect_state FAILED_INSTALL 73 "cannot open the partial download '$CACHE/app.part': Is a directory (EISDIR); remove the file '$CACHE/app.part' and try again"
still_v1 "directory"
rmdir "$CACHE/app.part"
once
expect_state COMPLETED 0 "app 2.0 installed"

# --- a full disk under the cache while downloading ------------------------------
# mib_ok WHAT N NEED: N MiB is what is still to be written (NEED bytes),
# rounded up.
mib_ok() {
	local want=$((($3 + 1048575) / 1048576))
	[ "$2" = "$want" ] && pass "$1: asks to free $2 MiB, what is still to come" ||
		fail "$1: asks to free $2 MiB, $want expected for $3 bytes"
}

# small_fs DIR SIZE: DIR (its contents kept) on a tmpfs of SIZE; false when
# that cannot be done here.
small_fs() {
	local keep=$W/keep.$$
	[ "$(id -u)" = 0 ] || return 1
	rm -rf "$keep"
	cp -a "$1" "$keep"
	mount -t tmpfs -o "size=$2" tmpfs "$1" 2>/dev/null || { rm -rf "$keep"; return 1; }
	MOUNTS+=("$1")
	cp -a "$keep/." "$1/"
	rm -rf "$keep"
}

fresh
if small_fs "$CACHE" 8m; then
	# 2 MiB free: the download stops after about two thirds.
	dd if=/dev/zero of="$CACHE/filler" bs=1M count=6 status=none
	once
	expect_state FAILED_INSTALL 73 "the disk is full: free at least"
	kept=$(journal_offset)
	mib=$(sed -n 's/.*free at least \([0-9]*\) MiB.*/\1/p' <<<"$LAST")
	[[ "$LAST" == *"MiB in '$CACHE' (needed for package 'app'), then try again"* ]] &&
		pass "full cache: the reason names the directory and the package" || fail "full cache: $LAST"
	mib_ok "full cache" "$mib" $((SIZE - kept))
	[[ "$LAST" == *"$kept of $SIZE bytes kept"* ]] && pass "full cache: the reason says the $kept bytes kept" ||
		fail "full cache: the bytes kept are not named: $LAST"
	no_resume_time "full cache"
	still_v1 "full cache"
	[ "$kept" -gt 1000000 ] && [ "$(stat -c %s "$CACHE/app.part")" -ge "$kept" ] &&
		pass "full cache: the part file and its journal ($kept bytes) are kept" ||
		fail "full cache: $kept bytes journaled, part file $(stat -c %s "$CACHE/app.part" 2>&1)"
	served_before=$(fault_bytes "$PKG")
	rm "$CACHE/filler"
	once
	expect_state COMPLETED 0 "app 2.0 installed"
	installed_v2 "full cache, then room"
	served=$(($(fault_bytes "$PKG") - served_before))
	expect_eq "$served" $((SIZE - kept)) "full cache, then room: the next run fetched only the rest"
	expect_eq "$(sqlite3 "$W/client/state/haishin.db" "select method from history where component = 'app' order by id desc limit 1")" \
		resumed "full cache, then room: history says resumed"
else
	skip "full cache: cannot mount a tmpfs here (needs root)"
fi

# --- a full disk under the install root while staging -----------------------------
fresh
if small_fs "$INSTALL" 8m; then
	dd if=/dev/zero of="$INSTALL/filler" bs=1M count=6 status=none
	once
	expect_state FAILED_INSTALL 73 "the disk is full: free at least"
	[[ "$LAST" == *"MiB in '$INSTALL' (needed for app 2.0), then try again"* ]] &&
		pass "full install root: the reason names the directory and the version" || fail "full install root: $LAST"
	still_v1 "full install root"
	[ ! -e "$INSTALL/app/2.0.staging" ] && [ ! -e "$INSTALL/app/2.0" ] &&
		pass "full install root: no staging left behind" || fail "full install root: $(ls "$INSTALL/app")"
	[ "$(journal_offset)" -ge 0 ] && [ -s "$CACHE/app.part" ] &&
		pass "full install root: the verified download is kept" || fail "full install root: the download is gone"
	served_before=$(fault_bytes "$PKG")
	rm "$INSTALL/filler"
	once
	expect_state COMPLETED 0 "app 2.0 installed"
	installed_v2 "full install root, then room"
	served=$(($(fault_bytes "$PKG") - served_before))
	[ "$served" -lt $((SIZE / 2)) ] && pass "full install root, then room: not fetched again ($served bytes)" ||
		fail "full install root, then room: $served bytes fetched again"
else
	skip "full install root: cannot mount a tmpfs here (needs root)"
fi

finish
