#!/usr/bin/env bash
# crash.sh [KILLS] - the crash harness for as many kills as asked (default
# 200): haishind is SIGKILLed at random and at chosen moments of real updates
# (a download, a delta's rebuild, an extraction, around the switch, the
# keeping of a base, a health check, the switch back of a failed one), and
# after every kill each installed component must be
# byte for byte its old or its new version, and the next run must complete
# (tests/integration/crash.sh says how).  It prints the figures: kills, by
# phase, completed updates, broken installs (must be 0), resumed downloads.
# ./scripts/test.sh runs a short one.
#
# HS_BIN=DIR uses that build instead of building build/crash (optimised);
# CRASH_SEED repeats a run; CRASH_LOG=FILE keeps what the attempts printed.
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-200}

if [ -z "${HS_BIN:-}" ]; then
	./scripts/setup.sh
	build=${HAISHIN_CRASH_BUILD:-build/crash}
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHAISHIN_TESTS=OFF >/dev/null
	cmake --build "$build" -j"$(nproc)" >/dev/null
	HS_BIN="$PWD/$build"
fi
HS_BIN=$(cd "$HS_BIN" && pwd)
HS_BIN="$HS_BIN" HS_TESTS="$PWD/tests" bash tests/integration/crash.sh "$kills"
