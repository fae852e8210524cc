#!/usr/bin/env bash
# crash.sh [KILLS] - SIGKILLs haishind KILLS times (default 20) in the middle
# of real updates, and checks after every kill that each component under the
# install root is byte for byte its old or its new version, and that the
# next run completes with the newest versions.
#
# The repository (nginx on loopback, [transfer] max_rate slowing the
# downloads) holds three components whose trees change from one version to
# the next (crashkill.py tree): app (a binary that changes a little, updated
# by delta), data (many files and a new megabyte: full packages, a long
# extraction) and docs (text).  Every round publishes new versions of some
# of them and runs one attempt - haishind --once, or the resident haishind
# through 'haishinctl download-now' - which crashkill.py kills at the moment
# the round aims at (PHASES: at a random time, once a download has bytes,
# while a delta is rebuilt, while a staging directory is extracted, once it
# is moved into place, once current changes, while a base is kept, during
# the check, while app's health check runs, while a failed app is switched
# back), sometimes twice in a row.  Every version of app carries a health
# check ([install] health_tries = 2); a round aimed at the switch back
# publishes an app whose check fails, and so do some aimed at the check.
# After each kill:
#   - current is a symbolic link to a version, never to a staging
#     directory, and is either the version recorded before the round or the
#     newest published one; it is missing only before the first install;
#   - its tree's digest (lib.sh's tree_digest: paths, types, modes, links,
#     contents) is that version's source tree's;
#   - every other version directory is that version whole.
# Then an attempt runs to its end: it must end COMPLETED or UP_TO_DATE (exit
# 0) with every component at its newest version, byte-exact, the database
# agreeing, and nothing a kill left behind: no staging directory, no
# half-written base, no part file or journal row, the bases within
# cache_max.  When the newest app fails its check, that attempt must end
# FAILED_INSTALL (exit 73) with app at the version before it, byte-exact,
# and the others at their newest; a good app is published then, and the
# attempt after that must end COMPLETED.
#
# The figures at the end: kills, by the phase the kill hit as the disk, the
# database and the last progress line showed it afterwards (download, delta,
# extract, placed: the new version in place but not current, switched:
# current switched but not recorded, health: a run of the health check under
# way, rollback: every try failed and the failure not yet recorded,
# recorded: after the record, base, check, ...), completed updates (history
# rows), failed health checks switched back, resumed downloads (the log's
# "resuming from byte"), runs that did not complete and broken installs: both
# must be 0.  CRASH_SEED repeats a run; CRASH_LOG=FILE keeps what the
# attempts printed.  scripts/crash.sh runs a long one.
source "$(dirname "$0")/lib.sh"

KILLS=${1:-20}
SEED=${CRASH_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
RANDOM=$SEED
HAISHINCTL="$HS_BIN/daemon/haishinctl"
KILLPY="$HS_TESTS/integration/crashkill.py"
COMPONENTS=(app data docs)
# The moments a kill aims at: crashkill.py's TARGETS (CRASH_PHASES="A B"
# aims at those only).
read -r -a PHASES <<<"${CRASH_PHASES:-random download delta extract placed switch base check health rollback}"
HEALTH_TRIES=2
MARKS=$W/marks
DB=$W/client/state/haishin.db
INSTALL=$W/client/install
CACHE=$W/client/cache
CACHE_MAX=$((12 * 1024 * 1024))
LOG=$W/crash.log
# CRASH_LOG=FILE keeps the attempts' output and logs.
[ -z "${CRASH_LOG:-}" ] || trap 'cp "$LOG" "$CRASH_LOG" 2>/dev/null || true; cleanup' EXIT

declare -A SEQ DIG NEWV OLDV EVER BY_PHASE BAD
GOOD_APP=""
kills=0
rounds=0
broken=0
missed=0
incomplete=0

world_init
CLIENT_EXTRA="max_rate = 1500000
cache_max = $CACHE_MAX
[schedule]
boot_delay_max = 86400
quiet_hours = 00:00-23:59
[install]
health_tries = $HEALTH_TRIES
health_interval = 0"
client_config "$NGINX_URL"
mkdir -p "$MARKS"

# next_version NAME [bad]: writes, digests and adds NAME's next version
# (app's with a health check, one that fails when bad).
next_version() {
	local c=$1 seq v deltas=1 health=()
	seq=$((${SEQ[$c]:-0} + 1))
	SEQ[$c]=$seq
	v=1.$seq
	if [ "$c" = app ]; then
		health=("$MARKS/app-$v" "${2:-good}")
		[ "${2:-good}" = bad ] && BAD[$c@$v]=1
	fi
	python3 "$KILLPY" tree "$c" "$seq" "$W/src/$c-$v" "${health[@]}"
	DIG[$c@$v]=$(tree_digest "$W/src/$c-$v")
	[ "$c" = data ] && deltas=0
	"$PUBLISH" add "$W/repo" "$c" "$v" "$W/src/$c-$v" --deltas "$deltas" >/dev/null
	NEWV[$c]=$v
}

# publish_round TARGET: new versions of a random choice of the components
# (app always when the kill aims at a delta, the health check or the switch
# back; an app whose check fails for the switch back, and for one in three
# kills aimed at the check), signed together.
publish_round() {
	local c any=0 kind=good
	case $1 in
	rollback) kind=bad ;;
	health) [ $((RANDOM % 3)) -ne 0 ] || kind=bad ;;
	esac
	for c in "${COMPONENTS[@]}"; do
		if [ $((RANDOM % 3)) -ne 0 ] || { [ "$c" = app ] &&
			[[ " delta health rollback " == *" $1 "* ]]; }; then
			next_version "$c" "$kind"
			any=1
		fi
	done
	[ "$any" -eq 1 ] || next_version "${COMPONENTS[RANDOM % ${#COMPONENTS[@]}]}"
	sign_repo
}

# sign_repo: signs what next_version added, readable by nginx's workers.
sign_repo() {
	"$PUBLISH" sign "$W/repo" --key "$W/man" >/dev/null
	chmod -R o+rX "$W/repo"
}

recorded() {
	sqlite3 -readonly "$DB" "select version from installed where name = '$1'" 2>/dev/null || true
}

# attempt MODE TARGET: one attempt through crashkill.py; sets OUT.
attempt() {
	OUT=$(python3 "$KILLPY" run --mode "$1" --target "$2" --seed "$RANDOM" \
		--haishind "$HAISHIND" --haishinctl "$HAISHINCTL" \
		--conf "$W/client/haishin.conf" --socket "$W/client/haishind.sock" \
		--install "$INSTALL" --cache "$CACHE" --state "$W/client/state" \
		--components "$(
			IFS=,
			echo "${COMPONENTS[*]}"
		)" --log "$LOG" --timeout 180 \
		--health "$MARKS/app-${NEWV[app]}" --health-version "${NEWV[app]}" \
		--health-tries "$HEALTH_TRIES")
}

# want NAME: the version NAME must be at once an attempt ran to its end:
# the newest, or for an app whose check fails, the one before it.
want() {
	if [ -n "${BAD[$1@${NEWV[$1]}]:-}" ]; then
		echo "$GOOD_APP"
	else
		echo "${NEWV[$1]}"
	fi
}

broke() {
	broken=$((broken + 1))
	fail "$*"
}

# check_kill WHAT: every component is exactly its old or its new version.
check_kill() {
	local what=$1 c dir v got
	for c in "${COMPONENTS[@]}"; do
		dir=$INSTALL/$c
		[ -n "$(recorded "$c")" ] && EVER[$c]=1
		if [ ! -e "$dir/current" ] && [ ! -L "$dir/current" ]; then
			[ -z "${EVER[$c]:-}" ] || broke "$what: $c has no current after it was installed"
			continue
		fi
		if [ ! -L "$dir/current" ]; then
			broke "$what: $c/current is not a symbolic link"
			continue
		fi
		v=$(readlink "$dir/current")
		case $v in
		*.staging | */*)
			broke "$what: $c/current points at '$v'"
			continue
			;;
		esac
		if [ "$v" != "${OLDV[$c]:-}" ] && [ "$v" != "${NEWV[$c]}" ]; then
			broke "$what: $c/current is $v, neither the old ${OLDV[$c]:--} nor the new ${NEWV[$c]}"
			continue
		fi
		got=$(tree_digest "$dir/current/")
		[ "$got" = "${DIG[$c@$v]:-}" ] ||
			broke "$what: $c/current ($v) is not version $v byte for byte"
	done
	check_kept "$what"
}

# check_kept WHAT: a version directory beside current is that version whole
# (what a rollback would switch to), never one half removed.
check_kept() {
	local c d v
	for c in "${COMPONENTS[@]}"; do
		for d in "$INSTALL/$c"/*; do
			v=${d##*/}
			if [ ! -d "$d" ] || [ -L "$d" ] || [ -z "${DIG[$c@$v]:-}" ]; then
				continue
			fi
			[ "$(tree_digest "$d")" = "${DIG[$c@$v]}" ] ||
				broke "$1: $c/$v is there but not version $v byte for byte"
		done
	done
}

# check_done WHAT: after an attempt that ran to its end.
check_done() {
	local what=$1 c v left sum=0 f
	for c in "${COMPONENTS[@]}"; do
		v=$(want "$c")
		if [ "$(readlink "$INSTALL/$c/current" 2>/dev/null)" != "$v" ]; then
			broke "$what: $c/current is '$(readlink "$INSTALL/$c/current" 2>/dev/null)', not $v"
		elif [ "$(tree_digest "$INSTALL/$c/current/")" != "${DIG[$c@$v]}" ]; then
			broke "$what: $c $v is not byte-exact"
		fi
		[ "$(recorded "$c")" = "$v" ] ||
			broke "$what: the database records $c '$(recorded "$c")', not $v"
		[ "$c" = app ] && GOOD_APP=$v
		EVER[$c]=1
	done
	[ -z "${BAD[app@${NEWV[app]}]:-}" ] || [ ! -e "$INSTALL/app/${NEWV[app]}" ] ||
		broke "$what: app ${NEWV[app]}, whose check failed, is still on disk"
	left=$(
		cd "$W/client"
		find install -mindepth 2 -maxdepth 2 -name '*.staging'
		find cache -mindepth 1 -maxdepth 1 \( -name '*.part' -o -name '*.tar.new' \
			-o -name '*.tmp' -o -name '*.tmp.*' -o -name 'bundle.*' \)
	)
	[ -z "$left" ] || fail "$what: left behind: $(echo "$left" | tr '\n' ' ')"
	left=$(sqlite3 -readonly "$DB" "select name from partial" 2>/dev/null)
	[ -z "$left" ] || fail "$what: journal rows left: $(echo "$left" | tr '\n' ' ')"
	for f in "$CACHE"/*.base.tar; do
		[ -e "$f" ] || continue
		[ -s "${f%.tar}.sha256" ] || fail "$what: $(basename "$f") without its SHA-256"
		sum=$((sum + $(stat -c %s "$f")))
	done
	[ "$sum" -le "$CACHE_MAX" ] || fail "$what: the bases take $sum bytes, over cache_max $CACHE_MAX"
}

# The first versions, installed without a kill: the bases for deltas.
for c in "${COMPONENTS[@]}"; do
	next_version "$c"
done
sign_repo
attempt once none
[[ "$OUT" == "ended 0 COMPLETED"* ]] || fail "the first install: $OUT"
check_done "the first install"

echo "seed $SEED: $KILLS kills"
while [ "$kills" -lt "$KILLS" ]; do
	rounds=$((rounds + 1))
	target=${PHASES[RANDOM % ${#PHASES[@]}]}
	publish_round "$target"
	for c in "${COMPONENTS[@]}"; do
		OLDV[$c]=$(recorded "$c")
	done
	n=1
	[ $((RANDOM % 4)) -eq 0 ] && n=2
	for _ in $(seq 1 "$n"); do
		mode=once
		[ $((RANDOM % 3)) -eq 0 ] && mode=daemon
		attempt "$mode" "$target"
		case $OUT in
		killed*)
			kills=$((kills + 1))
			phase=${OUT#killed }
			BY_PHASE[$phase]=$((${BY_PHASE[$phase]:-0} + 1))
			echo "kill $kills (round $rounds, $mode): aimed at $target, hit $phase"
			check_kill "round $rounds, kill $kills ($mode, aimed at $target, hit $phase)"
			;;
		ended*)
			missed=$((missed + 1))
			echo "round $rounds ($mode): aimed at $target, the attempt ended first: ${OUT#ended }"
			;;
		*)
			incomplete=$((incomplete + 1))
			fail "round $rounds ($mode, aimed at $target): $OUT"
			;;
		esac
		target=${PHASES[RANDOM % ${#PHASES[@]}]}
	done
	mode=once
	[ $((RANDOM % 3)) -eq 0 ] && mode=daemon
	attempt "$mode" none
	if [ -n "${BAD[app@${NEWV[app]}]:-}" ]; then
		if [[ "$OUT" != "ended 73 FAILED_INSTALL"* ]]; then
			incomplete=$((incomplete + 1))
			fail "round $rounds: the run after the kill ($mode), app ${NEWV[app]} failing its check, did not end FAILED_INSTALL: $OUT"
		fi
		check_done "round $rounds, the run after the kill ($mode), app ${NEWV[app]} failing its check"
		next_version app good
		sign_repo
		attempt once none
	fi
	if [[ "$OUT" != "ended 0 COMPLETED"* ]] && [[ "$OUT" != "ended 0 UP_TO_DATE"* ]]; then
		incomplete=$((incomplete + 1))
		fail "round $rounds: the run after the kill ($mode) did not complete: $OUT"
	fi
	check_done "round $rounds, the run after the kill ($mode)"
done

completed=$(sqlite3 -readonly "$DB" "select count(*) from history where component <> '' and state like 'COMPLETED%'")
resumed=$(grep -c "resuming from byte" "$LOG" || true)
switched_back=$(sqlite3 -readonly "$DB" "select count(*) from history where component = 'app' and state = 'FAILED_INSTALL' and reason like 'health check of app %'")
phases=""
for p in $(printf '%s\n' "${!BY_PHASE[@]}" | sort); do
	phases="$phases${phases:+, }$p ${BY_PHASE[$p]}"
done
echo "kills: $kills in $rounds rounds (seed $SEED)"
echo "kills by phase: $phases"
echo "attempts that ended before their kill: $missed"
echo "completed updates: $completed"
echo "failed health checks switched back: $switched_back"
echo "resumed downloads: $resumed"
echo "runs that did not complete: $incomplete"
echo "broken installs: $broken"
if [ "$broken" -eq 0 ] && [ "$incomplete" -eq 0 ]; then
	pass "$kills kills: every install old or new, every next run completed"
else
	fail "$broken broken install(s), $incomplete run(s) that did not complete"
fi
finish
