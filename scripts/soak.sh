#!/usr/bin/env bash
# soak.sh [SECONDS] [COMPONENTS] - the transfer soak for as long as asked
# (default 600 s): rounds of COMPONENTS (default 50) downloads through random
# connection drops, each byte-exact, with the bytes served within 5 % of the
# packages' sizes.  ./scripts/test.sh runs one short round.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
components=${2:-50}

./scripts/setup.sh
build=${HAISHIN_SOAK_BUILD:-build/soak}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHAISHIN_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null

end=$(($(date +%s) + seconds))
rounds=0
while [ "$(date +%s)" -lt "$end" ]; do
	rounds=$((rounds + 1))
	HS_BIN="$PWD/$build" HS_TESTS="$PWD/tests" \
		bash tests/integration/soak.sh "$components" 3 | tail -n 4
done
echo "soak: $rounds x 3 rounds of $components downloads passed"
