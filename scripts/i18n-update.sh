#!/usr/bin/env bash
# i18n-update.sh - extracts the translatable strings of the files listed in
# po/POTFILES into po/haishin.pot, then merges them into po/ja.po (or creates
# it).  Run it after changing a message; translate the new entries in
# po/ja.po; the build compiles it with msgfmt --check.
set -euo pipefail
cd "$(dirname "$0")/.."

sources=()
while read -r f; do
	case "$f" in
	'' | '#'*) continue ;;
	esac
	if [ -f "$f" ]; then
		sources+=("$f")
	else
		echo "i18n-update: '$f' is listed in po/POTFILES but missing, skipping" >&2
	fi
done <po/POTFILES
if [ ${#sources[@]} -eq 0 ]; then
	echo "i18n-update: none of the files in po/POTFILES exists" >&2
	exit 1
fi

# hs_err_set(e, code, FORMAT, ...), hs_err_prefix(e, FORMAT, ...) and
# hs_err_short(e, got, want, FORMAT, ...) (common/fileio.h)
# translate their formats (common/hs_err.c); _() may carry a format too.
xgettext --keyword=_ --keyword=N_ --keyword=hs_err_set:3 \
	--keyword=hs_err_prefix:2 --keyword=hs_err_short:4 \
	--flag=hs_err_set:3:c-format --flag=hs_err_short:4:c-format \
	--flag=hs_err_prefix:2:c-format --flag=_:1:pass-c-format \
	--from-code=UTF-8 --language=C \
	--add-comments=TRANSLATORS: --package-name=haishin --force-po \
	-o po/haishin.pot "${sources[@]}"

if [ -f po/ja.po ]; then
	msgmerge --quiet --update --backup=none po/ja.po po/haishin.pot
else
	msginit --input=po/haishin.pot --output-file=po/ja.po \
		--locale=ja_JP.UTF-8 --no-translator
fi
