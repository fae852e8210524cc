#!/usr/bin/env bash
# transfer.sh [SIZE_MIB] [RUNS] - download + verify speed and memory.
#
# A file of SIZE_MIB (default 1024) random MiB is served by nginx on
# loopback.  Each run times, one after the other:
#   curl -o FILE                     the transfer alone, no verification
#   curl -o FILE && sha256sum FILE   the usual way to verify a download
#   haishin (bench/transfer_bench)   haishin's transfer layer: resumable
#                                    download, SHA-256 in a stream, verify
# and reports medians, the ratios against both curl variants, and the peak
# RSS of each.  The results go to stdout and to bench/results/transfer.md.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
size_mib=${1:-1024}
runs=${2:-5}

./scripts/setup.sh
build=build/bench
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DHAISHIN_TESTS=OFF \
	-DHAISHIN_BENCH=ON >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
bench="$top/$build/bench/transfer_bench"

# shellcheck source=../scripts/nginx-lib.sh
source scripts/nginx-lib.sh
w=$(mktemp -d "${TMPDIR:-/tmp}/haishin-bench-XXXXXX")
chmod 755 "$w"
trap 'nginx_stop "$w/nginx"; rm -rf "$w"' EXIT
mkdir -p "$w/root" "$w/out" "$w/nginx"
head -c $((size_mib * 1048576)) /dev/urandom >"$w/root/file.bin"
sha=$(sha256sum "$w/root/file.bin" | cut -d' ' -f1)
size=$(stat -c %s "$w/root/file.bin")
nginx_start "$w/nginx" "$w/root"

# measure NAME CMD...: appends "seconds rss_kib" to $w/NAME.
measure() {
	local name=$1
	shift
	/usr/bin/time -f "%e %M" -o "$w/t" "$@" >/dev/null
	cat "$w/t" >>"$w/$name"
	rm -rf "${w:?}/out/"*
	sync
}

for i in $(seq 1 "$runs"); do
	measure curl curl -s -o "$w/out/f" "${NGINX_URL}file.bin"
	measure curl_sha sh -c "curl -s -o '$w/out/f' '${NGINX_URL}file.bin' && sha256sum '$w/out/f'"
	measure haishin "$bench" "$NGINX_URL" file.bin "$size" "$sha" "$w/out"
	echo "run $i of $runs done" >&2
done

median() {
	sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
t_curl=$(cut -d' ' -f1 "$w/curl" | median)
t_sha=$(cut -d' ' -f1 "$w/curl_sha" | median)
t_hs=$(cut -d' ' -f1 "$w/haishin" | median)
r_curl=$(cut -d' ' -f2 "$w/curl" | sort -n | tail -1)
r_hs=$(cut -d' ' -f2 "$w/haishin" | sort -n | tail -1)
mkdir -p bench/results
{
	echo "# transfer: ${size_mib} MiB over loopback nginx, median of $runs runs"
	echo
	echo "\`bench/transfer.sh $size_mib $runs\` on $(nproc) cores, $(date -u +%Y-%m-%d)"
	echo
	echo "| what | median s | ratio to curl -o | peak RSS KiB |"
	echo "| --- | --- | --- | --- |"
	echo "| curl -o | $t_curl | 1.00 | $r_curl |"
	echo "| curl -o && sha256sum | $t_sha | $(echo "scale=2; $t_sha / $t_curl" | bc) | - |"
	echo "| haishin download + verify | $t_hs | $(echo "scale=2; $t_hs / $t_curl" | bc) | $r_hs |"
	echo
	echo "haishin / (curl -o && sha256sum) = $(echo "scale=2; $t_hs / $t_sha" | bc)"
} | tee bench/results/transfer.md
