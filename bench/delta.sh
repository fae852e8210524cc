#!/usr/bin/env bash
# delta.sh [RUNS] [PAIR...] - delta size, make time, apply time and apply
# peak RSS of haishin against bsdiff/bspatch, xdelta3 -9 -S djw and
# zstd -19 --long --patch-from, on consecutive releases of real software
# fetched from the npm registry with `npm pack`:
#
#   ts-1     typescript 5.3.3 -> 5.4.2      (large JavaScript)
#   ts-2     typescript 5.4.2 -> 5.4.5
#   esb-1    @esbuild/linux-x64 0.19.11 -> 0.19.12   (a native executable)
#   esb-2    @esbuild/linux-x64 0.19.12 -> 0.20.0
#   esb-3    @esbuild/linux-x64 0.20.0 -> 0.20.1
#
# Inputs are the packages' uncompressed tars (what haishin's deltas
# rebuild).  Times are medians of RUNS (default 3); every applied output is
# compared with the real new tar.  The table goes to stdout and to
# bench/results/delta.md.  Downloads are kept in BENCH_CACHE (default
# ~/.cache/haishin-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
runs=${1:-3}
[ $# -gt 0 ] && shift
pairs=("$@")
[ ${#pairs[@]} -gt 0 ] || pairs=(ts-1 ts-2 esb-1 esb-2 esb-3)

./scripts/setup.sh
for tool in bsdiff bspatch xdelta3 npm; do
	command -v "$tool" >/dev/null || {
		echo "delta.sh: $tool is missing (apt-get install bsdiff xdelta3 npm)" >&2
		exit 1
	}
done
build=build/bench
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DHAISHIN_TESTS=OFF \
	-DHAISHIN_BENCH=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target delta_bench >/dev/null
bench="$top/$build/bench/delta_bench"

cache=${BENCH_CACHE:-$HOME/.cache/haishin-bench}
mkdir -p "$cache"
w=$(mktemp -d "${TMPDIR:-/tmp}/haishin-delta-bench-XXXXXX")
trap 'rm -rf "$w"' EXIT

# tar_of PACKAGE VERSION: the release's uncompressed tar, fetched once.
tar_of() {
	local name=$1 version=$2 safe
	safe=$(echo "$name" | tr '/@' '__')
	local out="$cache/$safe-$version.tar"
	if [ ! -s "$out" ]; then
		(cd "$w" && npm pack --silent "$name@$version" >/dev/null)
		gzip -dc "$w"/*.tgz >"$out.tmp"
		rm -f "$w"/*.tgz
		mv "$out.tmp" "$out"
	fi
	echo "$out"
}

pair() {
	case $1 in
	ts-1) echo "typescript 5.3.3 5.4.2" ;;
	ts-2) echo "typescript 5.4.2 5.4.5" ;;
	esb-1) echo "@esbuild/linux-x64 0.19.11 0.19.12" ;;
	esb-2) echo "@esbuild/linux-x64 0.19.12 0.20.0" ;;
	esb-3) echo "@esbuild/linux-x64 0.20.0 0.20.1" ;;
	*)
		echo "delta.sh: unknown pair '$1'" >&2
		exit 2
		;;
	esac
}

# measure CMD...: runs it, prints "SECONDS PEAK_KIB".
measure() {
	/usr/bin/time -f '%e %M' -o "$w/time" "$@" >/dev/null 2>"$w/err" || {
		cat "$w/err" >&2
		return 1
	}
	cat "$w/time"
}

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# tool OLD NEW: sets SIZE, MAKE, APPLY, RSS (medians) for tool $TOOL.
run_tool() {
	local old=$1 new=$2 i make apply rss m a
	make=() apply=() rss=()
	for ((i = 0; i < runs; i++)); do
		rm -f "$w/delta" "$w/out"
		case $TOOL in
		haishin)
			m=$(measure "$bench" make "$old" "$new" "$w/delta")
			a=$(measure "$bench" apply "$w/delta" "$old" "$w/out")
			;;
		bsdiff)
			m=$(measure bsdiff "$old" "$new" "$w/delta")
			a=$(measure bspatch "$old" "$w/out" "$w/delta")
			;;
		xdelta3)
			m=$(measure xdelta3 -9 -S djw -f -e -s "$old" "$new" "$w/delta")
			a=$(measure xdelta3 -f -d -s "$old" "$w/delta" "$w/out")
			;;
		zstd)
			m=$(measure zstd -q -19 --long=31 -f --patch-from="$old" "$new" -o "$w/delta")
			a=$(measure zstd -q -d --long=31 -f --patch-from="$old" "$w/delta" -o "$w/out")
			;;
		full)
			m=$(measure zstd -q -19 -f "$new" -o "$w/delta")
			a=$(measure zstd -q -d -f "$w/delta" -o "$w/out")
			;;
		esac
		cmp -s "$w/out" "$new" || {
			echo "delta.sh: $TOOL did not rebuild the new tar" >&2
			exit 1
		}
		make+=("${m% *}")
		apply+=("${a% *}")
		rss+=("${a#* }")
	done
	SIZE=$(stat -c %s "$w/delta")
	MAKE=$(printf '%s\n' "${make[@]}" | median)
	APPLY=$(printf '%s\n' "${apply[@]}" | median)
	RSS=$(printf '%s\n' "${rss[@]}" | median)
}

mkdir -p bench/results
{
	echo "| pair | tool | delta bytes | make s | apply s | apply peak RSS MiB |"
	echo "| --- | --- | ---: | ---: | ---: | ---: |"
	for p in "${pairs[@]}"; do
		read -r name from to <<<"$(pair "$p")"
		old=$(tar_of "$name" "$from")
		new=$(tar_of "$name" "$to")
		label="$name $from → $to ($(($(stat -c %s "$new") / 1024)) KiB tar)"
		for TOOL in haishin bsdiff xdelta3 zstd full; do
			run_tool "$old" "$new"
			printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$TOOL" \
				"$SIZE" "$MAKE" "$APPLY" "$((RSS / 1024))"
		done
	done
} | tee bench/results/delta.md
echo "($runs run(s) each, medians; $(nproc) cores; $(date -u +%Y-%m-%d))" | tee -a bench/results/delta.md
