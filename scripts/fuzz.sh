#!/usr/bin/env bash
# fuzz.sh - runs the libFuzzer targets of tests/fuzz (docs/fuzzing.md).
#
# usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#   SECONDS  how long each target runs (default 60)
#   TARGET   envelope, root, config, unpack, ctlproto, delta (default: all)
#
# Builds build-fuzz/ (HAISHIN_FUZZ_BUILD) with clang, the libraries under
# -fsanitize=fuzzer-no-link,address,undefined and each target linked with
# libFuzzer (HAISHIN_FUZZ=ON).  Each target starts from a scratch copy of
# tests/fuzz/corpus/TARGET, so the committed corpus does not grow, with
# tests/fuzz/TARGET.dict when there is one.  Prints the executions per
# target; fails when a target found a crash, a leak or a timeout, naming the
# file that reproduces it (kept in build-fuzz/artifacts/TARGET/).  Replay
# one with build-fuzz/tests/fuzz_TARGET FILE.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-60}
[ $# -gt 0 ] && shift
case $secs in
'' | *[!0-9]*)
	echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
	exit 2
	;;
esac
all=(envelope root config unpack ctlproto delta)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
for t in "${targets[@]}"; do
	[ -d "tests/fuzz/corpus/$t" ] || {
		echo "fuzz: unknown target '$t' (one of: ${all[*]})" >&2
		exit 2
	}
done

build=${HAISHIN_FUZZ_BUILD:-build-fuzz}
flags="-g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all"
flags="$flags -fsanitize=fuzzer-no-link,address,undefined"
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE= \
	-DCMAKE_C_FLAGS="$flags" -DHAISHIN_FUZZ=ON -DHAISHIN_WERROR=OFF \
	-DHAISHIN_SANITIZE=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" \
	--target "${targets[@]/#/fuzz_}" >"$build/build.log" 2>&1 || {
	tail -n 40 "$build/build.log" >&2
	exit 1
}

# Scratch space: tmpfs when there is one (fuzz_unpack fsyncs every file).
scratch_root=${TMPDIR:-/tmp}
[ -d /dev/shm ] && [ -w /dev/shm ] && scratch_root=/dev/shm
scratch=$(mktemp -d "$scratch_root/hs-fuzz-XXXXXX")
trap 'rm -rf "$scratch"' EXIT

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=0
for t in "${targets[@]}"; do
	work=$scratch/$t
	artifacts=$PWD/$build/artifacts/$t
	mkdir -p "$work/corpus" "$work/tmp" "$artifacts"
	cp tests/fuzz/corpus/"$t"/* "$work/corpus/"
	seeds=$(find "$work/corpus" -type f | wc -l)
	args=(-max_total_time="$secs" -timeout=25 -print_final_stats=1
		-artifact_prefix="$artifacts/")
	[ -f "tests/fuzz/$t.dict" ] && args+=(-dict="tests/fuzz/$t.dict")
	log=$PWD/$build/fuzz_$t.log
	rc=0
	start=$SECONDS
	TMPDIR=$work/tmp "$build/tests/fuzz_$t" "${args[@]}" "$work/corpus" \
		>"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	found=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log")
	grown=$(find "$work/corpus" -type f | wc -l)
	echo "fuzz_$t: ${execs:-?} executions in $((SECONDS - start)) s," \
		"corpus $seeds -> $grown inputs"
	if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
		failed=1
		echo "fuzz_$t: FAILED (exit $rc), log $log" >&2
		grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: )' "$log" >&2 || true
		for f in $found; do
			echo "fuzz_$t: reproduce with $build/tests/fuzz_$t $f" >&2
		done
	fi
done
exit $failed
