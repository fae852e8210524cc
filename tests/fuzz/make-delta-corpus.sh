#!/usr/bin/env bash
# make-delta-corpus.sh - regenerates the seeds of the delta fuzz target
# (tests/fuzz/corpus/delta/seed-*): deltas of both methods from the fixed
# base of fuzz_delta.c (fuzz_delta_base(): the same bytes are written here)
# to a text edit, a binary edit, an empty, an identical and an unrelated
# result, each after the target's switch byte 0 (the delta as made), and a
# few variants.
# Called by make-corpus.sh; regress-* files are kept.
#
# usage: tests/fuzz/make-delta-corpus.sh PUBLISH CORPUS_DIR
set -euo pipefail

publish=$1
corpus=$2/delta
w=$(mktemp -d "${TMPDIR:-/tmp}/hs-delta-corpus-XXXXXX")
trap 'rm -rf "$w"' EXIT

python3 - "$w" <<'PY'
import sys

w = sys.argv[1]
base = b"".join(b"line %d: haishin delta fuzz base\n" % i for i in range(200))
base += bytes((i * 131 + 7) & 0xFF for i in range(2048))
text = base.replace(b"line 17:", b"LINE 17:").replace(b"line 150: haishin", b"line 150: HAISHIN")
binary = bytearray(base)
binary[5000:5000] = bytes(range(40))
binary[8000] ^= 0xFF
results = {
    "text": text + b"a new last line\n",
    "binary": bytes(binary),
    "empty": b"",
    "same": base,
    "other": bytes((i * 7) & 0xFF for i in range(3000)),
}
open(f"{w}/base", "wb").write(base)
for name, data in results.items():
    open(f"{w}/r-{name}", "wb").write(data)
PY

mkdir -p "$corpus"
rm -f "$corpus"/seed-*
for r in text binary empty same other; do
	for m in zstd sufdiff; do
		"$publish" delta "$w/base" "$w/r-$r" -o "$w/d" --method "$m" >/dev/null
		{
			printf '\0'
			cat "$w/d"
		} >"$corpus/seed-$m-$r"
	done
done
# Switch 1: the base fields rewritten by the target (here a no-op), and a
# delta cut inside its payload.
for m in zstd sufdiff; do
	{
		printf '\1'
		tail -c +2 "$corpus/seed-$m-text"
	} >"$corpus/seed-$m-text-fixed"
	head -c 120 "$corpus/seed-$m-binary" >"$corpus/seed-$m-binary-cut"
done
