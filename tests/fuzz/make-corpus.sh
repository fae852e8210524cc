#!/usr/bin/env bash
# make-corpus.sh - regenerates the seed inputs of the fuzz corpus
# (tests/fuzz/corpus/NAME/seed-*): real envelopes, roots and packages made
# by haishin-publish with fresh keys, near-valid and hostile variants of
# them (make-corpus.py), and configuration files.  Other files of the corpus
# (regress-*: inputs that once found a bug) are kept.
#
# usage: tests/fuzz/make-corpus.sh [BUILD_DIR]
#   BUILD_DIR holds a built haishin-publish (default: build).
# Needs python3, openssl, zstd and GNU tar (scripts/setup.sh).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "${1:-$top/build}" && pwd)
publish=$bin/publish/haishin-publish
corpus=$top/tests/fuzz/corpus
[ -x "$publish" ] || {
	echo "make-corpus: no $publish (build first)" >&2
	exit 1
}

w=$(mktemp -d "${TMPDIR:-/tmp}/hs-corpus-XXXXXX")
trap 'rm -rf "$w"' EXIT

# Keys, and two repositories: one key per role, and two keys per role with
# threshold 2.
(cd "$w" && for k in root1 root2 man1 man2; do
	"$publish" keygen "$k" >/dev/null
done)
"$publish" init "$w/repo1" --root-key "$w/root1" --manifest-key "$w/man1" \
	>/dev/null
"$publish" init "$w/repo2" --root-key "$w/root1" --root-key "$w/root2" \
	--manifest-key "$w/man1" --manifest-key "$w/man2" \
	--root-threshold 2 --manifest-threshold 2 >/dev/null

# Two small trees as packages: files, a directory, a symlink, modes.
mkdir -p "$w/tree1/bin" "$w/tree1/etc" "$w/tree2/share/doc"
printf '#!/bin/sh\necho cardreader\n' >"$w/tree1/bin/cardreader"
chmod 755 "$w/tree1/bin/cardreader"
printf 'port = /dev/ttyS0\n' >"$w/tree1/etc/cardreader.conf"
ln -s ../etc/cardreader.conf "$w/tree1/bin/conf"
printf 'printer driver\n' >"$w/tree2/share/doc/README"
"$publish" add "$w/repo1" cardreader 2.1.0 "$w/tree1" --minimum 2.0.0 \
	--restart app >/dev/null
"$publish" add "$w/repo1" printer 1.0.0-rc.1+build.7 "$w/tree2" \
	--restart system >/dev/null
"$publish" sign "$w/repo1" --key "$w/man1" >/dev/null
"$publish" sign "$w/repo2" --key "$w/man1" --key "$w/man2" >/dev/null

for t in envelope root config unpack; do
	mkdir -p "$corpus/$t"
	rm -f "$corpus/$t"/seed-*
done
cp "$top/scripts/haishin.conf" "$corpus/config/seed-shipped.conf"
python3 "$top/tests/fuzz/make-corpus.py" "$w" "$corpus" \
	"$top/tests/integration/dsse_sign.py"
"$top/tests/fuzz/make-delta-corpus.sh" "$publish" "$corpus"
du -sh "$corpus"/*
