# shellcheck shell=bash
# faultserver-lib.sh - start and steer faultserver.py (a fault-injecting HTTP
# file server on a free loopback port).  Sourced by the integration tests.
#
#   fault_start DIR ROOT [CERT KEY]  starts it serving ROOT (https with CERT
#                                    and KEY); port file, pid and logs under
#                                    DIR; sets FAULT_PORT and FAULT_URL
#   fault_stop DIR                   stops it
#   fault_plan PATH 'JSON-ARRAY'     faults for the next requests of PATH
#                                    ("*": any path without its own plan)
#   fault_random 'JSON'              random drops, e.g. '{"seed":1,"p":0.5,
#                                    "min":1000,"max":200000,"how":"mix"}'
#   fault_etag PATH ETAG             validator override for PATH
#   fault_reset                      clears plans, random mode, overrides, stats
#   fault_stats                      prints the statistics (JSON)
#   fault_bytes [PATH]               prints the body bytes sent (for PATH)
#
# The control functions talk to the server last started (FAULT_URL).

FAULTSERVER=${FAULTSERVER:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/faultserver.py}

# fault_json_str STRING: STRING as a JSON string literal.
fault_json_str() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

# fault_curl ARGS...: curl against the control endpoints.
fault_curl() {
	local k=()
	case ${FAULT_URL:?fault_start first} in https:*) k=(-k) ;; esac
	curl -sS --noproxy '*' --max-time 10 "${k[@]}" "$@"
}

# fault_post ENDPOINT JSON: on failure, prints the server's answer.
fault_post() {
	local out rc=0
	out=$(fault_curl --fail-with-body -X POST -H 'Content-Type: application/json' \
		--data-binary "$2" "${FAULT_URL}_control/$1" 2>&1) || rc=$?
	[ "$rc" = 0 ] || echo "fault_post $1: $out" >&2
	return "$rc"
}

fault_start() {
	local dir=$1 root=$2 cert=${3:-} key=${4:-} pid scheme=http
	local args=(--root "$root" --port-file "$dir/port")
	mkdir -p "$dir"
	rm -f "$dir/port"
	if [ -n "$cert" ]; then
		args+=(--tls-cert "$cert" --tls-key "$key")
		scheme=https
	fi
	python3 "$FAULTSERVER" "${args[@]}" </dev/null >>"$dir/stdout.log" 2>>"$dir/stderr.log" &
	pid=$!
	echo "$pid" >"$dir/pid"
	for _ in $(seq 1 100); do
		[ -s "$dir/port" ] && break
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "faultserver exited; see $dir/stderr.log" >&2
			return 1
		fi
		sleep 0.05
	done
	if [ ! -s "$dir/port" ]; then
		echo "faultserver did not start; see $dir/stderr.log" >&2
		return 1
	fi
	FAULT_PORT=$(cat "$dir/port")
	FAULT_URL="$scheme://127.0.0.1:$FAULT_PORT/"
	export FAULT_PORT FAULT_URL
	# Wait until it answers.
	for _ in $(seq 1 100); do
		if fault_curl -f -o /dev/null "${FAULT_URL}_control/stats" 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	echo "faultserver does not answer; see $dir/stderr.log" >&2
	return 1
}

fault_stop() {
	local dir=$1 pid
	[ -f "$dir/pid" ] || return 0
	pid=$(cat "$dir/pid" 2>/dev/null) || return 0
	rm -f "$dir/pid"
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -9 "$pid" 2>/dev/null || true
}

fault_plan() {
	fault_post plan "{\"path\": $(fault_json_str "$1"), \"faults\": $2}"
}

fault_random() {
	fault_post random "$1"
}

fault_etag() {
	fault_post etag "{\"path\": $(fault_json_str "$1"), \"etag\": $(fault_json_str "$2")}"
}

fault_reset() {
	fault_post reset '{}'
}

fault_stats() {
	fault_curl -f "${FAULT_URL}_control/stats" && echo
}

fault_bytes() {
	fault_stats | python3 -c '
import json, sys
s = json.load(sys.stdin)
if len(sys.argv) > 1:
    print(s["by_path"].get(sys.argv[1], {}).get("body_bytes", 0))
else:
    print(s["total_body_bytes"])
' "$@"
}
