#!/usr/bin/env bash
# i18n.sh - haishinctl speaks Japanese under ja_JP.UTF-8 and English under C:
# the STOPPED answer of an unreachable daemon and --help, from the catalogue
# the build compiles into $HS_BIN/locale; haishind --once's last line
# (the state word stays, the reason is translated); and po/ja.po leaves
# nothing untranslated or fuzzy.  State and command names stay as they are.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

HAISHINCTL="$HS_BIN/daemon/haishinctl"
PO="$HS_TESTS/../po/ja.po"
MO="$HS_BIN/locale/ja/LC_MESSAGES/haishin.mo"
JA=ja_JP.UTF-8

# ctl LOCALE ARG...: runs haishinctl in LOCALE with the build's catalogue;
# sets RC, OUT (stdout) and ERR (stderr).  LANGUAGE would override the
# locale's language for gettext, so it is unset.
ctl() {
	local loc=$1
	shift
	set +e
	env -u LANGUAGE LANG="$loc" LC_ALL="$loc" HAISHIN_LOCALEDIR="$HS_BIN/locale" \
		"$HAISHINCTL" "$@" >"$W/ctl.out" 2>"$W/ctl.err"
	RC=$?
	set -e
	OUT=$(cat "$W/ctl.out")
	ERR=$(cat "$W/ctl.err")
}

# contains TEXT NEEDLE WHAT: passes when TEXT contains NEEDLE.
contains() {
	if [[ "$1" == *"$2"* ]]; then
		pass "$3"
	else
		fail "$3: '$2' not in: $1"
	fi
}

# lacks TEXT NEEDLE WHAT: passes when TEXT does not contain NEEDLE.
lacks() {
	if [[ "$1" != *"$2"* ]]; then
		pass "$3"
	else
		fail "$3: '$2' found in: $1"
	fi
}

if ! locale -a 2>/dev/null | grep -qi '^ja_JP\.utf-\?8$'; then
	fail "the $JA locale is missing (locale -a): run scripts/setup.sh, which generates it"
	finish
	exit 1
fi
if [ ! -f "$MO" ]; then
	fail "no compiled catalogue at $MO: build the project first"
	finish
	exit 1
fi

# (a) An unreachable daemon, in Japanese: STOPPED stays, the reason is
# translated, and the command to run stays as it is.
ctl "$JA" --socket "$W/none.sock" status
expect_eq "$RC" 78 "ja: status without a daemon exits 78 (STOPPED)"
if [[ "$OUT" == "STOPPED "* ]]; then
	pass "ja: the answer starts with the untranslated state word STOPPED"
else
	fail "ja: the answer does not start with 'STOPPED ': '$OUT' (stderr: $ERR)"
fi
contains "$OUT" "起動していません" "ja: the reason says haishind is not running, in Japanese"
contains "$OUT" "接続できません" "ja: the reason says it cannot connect, in Japanese"
contains "$OUT" "$W/none.sock" "ja: the reason names the socket"
contains "$OUT" "'systemctl start haishind'" "ja: the command to start it stays untranslated"
for english in "is not running" "cannot connect to" "start it with"; do
	lacks "$OUT" "$english" "ja: no English '$english'"
done

# (b) The same in the C locale: the original English.
ctl C --socket "$W/none.sock" status
expect_eq "$RC" 78 "C: status without a daemon exits 78 (STOPPED)"
contains "$OUT" "STOPPED haishind is not running: cannot connect to '$W/none.sock'" \
	"C: the answer is in English"
contains "$OUT" "start it with 'systemctl start haishind'" "C: the advice is in English"
lacks "$OUT" "起動していません" "C: no Japanese"

# (c) --help in Japanese, with the command and option names untranslated.
ctl "$JA" --help
expect_eq "$RC" 0 "ja: --help exits 0"
contains "$OUT" "使い方: haishinctl" "ja: --help starts with the Japanese usage line"
contains "$OUT" "自動更新を有効にします" "ja: --help describes the commands in Japanese"
for word in download-now check-connection --socket --json; do
	contains "$OUT" "$word" "ja: --help keeps '$word'"
done
lacks "$OUT" "turn automatic updates on" "ja: --help has no English description"
ctl C --help
contains "$OUT" "turn automatic updates on" "C: --help is in English"

# (d) haishind --once against a real repository: under ja_JP.UTF-8 the
# state word stays and the reason is Japanese; under C, and with no locale
# variable at all, it is the original English.
# daemon_once ENV...: runs haishind --once with the build's catalogue and
# the given environment; sets RC and LAST (its last line of stdout).
daemon_once() {
	set +e
	env -u LANG -u LC_ALL -u LANGUAGE "$@" HAISHIN_LOCALEDIR="$HS_BIN/locale" \
		"$HAISHIND" -c "$W/client/haishin.conf" --once >"$W/once.out" 2>"$W/once.err"
	RC=$?
	set -e
	LAST=$(tail -n 1 "$W/once.out")
}

world_init
for v in 1.0 1.1 1.2; do
	mkdir -p "$W/src/card-$v"
	echo "card $v" >"$W/src/card-$v/README"
done
publish card 1.0 "$W/src/card-1.0"
daemon_once LANG="$JA" LC_ALL="$JA" LANGUAGE=
expect_eq "$RC" 0 "ja: haishind --once exits 0"
if [[ "$LAST" == "COMPLETED "* ]]; then
	pass "ja: the last line starts with the untranslated state word COMPLETED"
else
	fail "ja: the last line does not start with 'COMPLETED ': '$LAST' ($(cat "$W/once.err"))"
fi
contains "$LAST" "card 1.0 をインストールしました" "ja: the reason says 'installed' in Japanese"
lacks "$LAST" "installed" "ja: no English 'installed'"

publish card 1.1 "$W/src/card-1.1"
daemon_once LANG=C LC_ALL=C
contains "$LAST" "COMPLETED card 1.1 installed" "C: the reason is in English"
lacks "$LAST" "インストール" "C: no Japanese"

publish card 1.2 "$W/src/card-1.2"
daemon_once
contains "$LAST" "COMPLETED card 1.2 installed" "no locale variable: the reason is in English"

# (e) Every message of po/ja.po is translated, none fuzzy.
if stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$PO" 2>&1); then
	pass "msgfmt --check accepts po/ja.po"
else
	fail "msgfmt --check rejects po/ja.po: $stats"
fi
if [[ "$stats" =~ ^[0-9]+\ translated\ messages?\.$ ]]; then
	pass "po/ja.po: $stats (no fuzzy, no untranslated)"
else
	fail "po/ja.po is not fully translated: $stats"
fi
left=$(msgattrib --untranslated --no-obsolete "$PO" | grep -c '^msgid ' || true)
expect_eq "$left" 0 "po/ja.po: no empty msgstr (msgattrib --untranslated)"
left=$(msgattrib --only-fuzzy --no-obsolete "$PO" | grep -c '^msgid ' || true)
expect_eq "$left" 0 "po/ja.po: no fuzzy entries"

finish
