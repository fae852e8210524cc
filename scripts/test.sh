#!/usr/bin/env bash
# test.sh - installs what is missing, builds with -Werror under
# AddressSanitizer and UndefinedBehaviorSanitizer, checks the formatting, and
# runs every test (unit tests and integration tests against a real nginx).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh

build=${HAISHIN_TEST_BUILD:-build/test}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug \
	-DHAISHIN_WERROR=ON -DHAISHIN_SANITIZE=ON >/dev/null
cmake --build "$build" -j"$(nproc)"

# An optimised build finds what -O0 does not (maybe-uninitialized, ...).
cmake -S . -B "$build-release" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DHAISHIN_WERROR=ON -DHAISHIN_TESTS=OFF -DHAISHIN_BENCH=ON >/dev/null
cmake --build "$build-release" -j"$(nproc)" >/dev/null

# The tree stays formatted (.clang-format, STYLE.md).
unformatted=$(git ls-files '*.c' '*.h' | while read -r f; do
	clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || echo "$f"
done)
if [ -n "$unformatted" ]; then
	echo "not clang-formatted:" $unformatted >&2
	exit 1
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j2
