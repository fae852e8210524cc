#!/usr/bin/env bash
# soak.sh [COMPONENTS] [ROUNDS] - downloads through random connection drops.
# Each round publishes a new version of every component (random, so it does
# not compress) and runs haishind --once until it ends COMPLETED, while the
# fault server drops about half of all responses at a random byte (half with
# FIN, half with RST).  Every package must arrive byte-exact, and the bytes
# served must stay within 5 % of the packages' sizes: downloads resume, they
# do not start over.  ./scripts/test.sh runs 50 components, 1 round.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/faultserver-lib.sh"

N=${1:-50}
ROUNDS=${2:-1}
trap 'fault_stop "$W/fault"; cleanup' EXIT

world_repo
fault_start "$W/fault" "$W/repo"
CLIENT_STALL=5
CLIENT_EXTRA="retries = 100
backoff_max = 2"
client_config "$FAULT_URL"

for round in $(seq 1 "$ROUNDS"); do
	total=0
	for i in $(seq 1 "$N"); do
		d=$W/src/c$i-$round
		mkdir -p "$d"
		head -c $((100000 + RANDOM * 8)) /dev/urandom >"$d/data"
		"$PUBLISH" add "$W/repo" "c$i" "$round.0" "$d" >/dev/null
	done
	"$PUBLISH" sign "$W/repo" --key "$W/man" >/dev/null
	for f in $(python3 -c '
import json, sys
i = json.load(open(sys.argv[1]))
for c in i["components"].values():
    v = c["versions"][sys.argv[2]]
    print(v["size"])' "$W/repo/index.json" "$round.0"); do
		total=$((total + f))
	done
	fault_reset
	fault_random '{"seed": '"$round"', "p": 0.5, "min": 1000, "max": 150000, "how": "mix"}'
	runs=0
	while :; do
		runs=$((runs + 1))
		once
		[ "$RC" -eq 0 ] && break
		[ "$RC" -eq 75 ] && [ "$runs" -lt 20 ] && continue
		break
	done
	expect_state COMPLETED 0
	exact=0
	for i in $(seq 1 "$N"); do
		[ "$(tree_digest "$W/client/install/c$i/current/")" = \
			"$(tree_digest "$W/src/c$i-$round/")" ] && exact=$((exact + 1))
	done
	expect_eq "$exact" "$N" "round $round: all $N packages byte-exact"
	served=$(fault_stats | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(sum(v["body_bytes"] for p, v in s["by_path"].items() if p.startswith("/packages/")))')
	drops=$(fault_stats | python3 -c '
import json, sys
print(sum(1 for x in json.load(sys.stdin)["log"] if x.get("fault")))')
	if [ "$served" -le $((total + total / 20)) ]; then
		pass "round $round: $served bytes served for $total ($drops drops, $runs run(s))"
	else
		fail "round $round: $served bytes served for $total: over 5 % ($drops drops)"
	fi
done

finish
