#!/bin/sh
# CI smoke test of the benchmarks: bench/smoke.sh <build-dir>
# Runs every benchmark binary for a few seconds and checks it produced its output. It judges
# no figure: timings on a shared CI machine mean nothing.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: bench/smoke.sh <build-dir>" >&2
    exit 2
fi
build=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail() {
    echo "bench smoke: FAIL: $*" >&2
    exit 1
}

[ -x "$build/bench/codec_bench" ] || fail "$build/bench/codec_bench missing (GW_BUILD_BENCH=ON?)"
[ -x "$build/bench/gateway_latency" ] || fail "$build/bench/gateway_latency missing"

"$build/bench/codec_bench" --benchmark_min_time=0.01 \
    --benchmark_out="$tmp/codec.json" --benchmark_out_format=json > "$tmp/codec.txt" 2>&1 ||
    { cat "$tmp/codec.txt" >&2; fail "codec_bench exited with an error"; }
# Every registered benchmark ran, none reported an error.
runs=$(grep -c '"run_type": "iteration"' "$tmp/codec.json" || true)
[ "$runs" -ge 38 ] || fail "codec_bench ran $runs benchmarks, expected 38"
if grep -q '"error_occurred": true' "$tmp/codec.json"; then
    grep -B3 '"error_message"' "$tmp/codec.json" >&2
    fail "a codec benchmark reported an error"
fi
echo "bench smoke: codec_bench ok ($runs benchmarks)"

if [ -x "$build/bench/traffic_monitor_bench" ]; then
    "$build/bench/traffic_monitor_bench" --benchmark_min_time=0.01 > "$tmp/traffic.txt" 2>&1 ||
        { cat "$tmp/traffic.txt" >&2; fail "traffic_monitor_bench exited with an error"; }
    [ "$(grep -c '^record/' "$tmp/traffic.txt")" -eq 4 ] || fail "traffic_monitor_bench ran less than 4"
    echo "bench smoke: traffic_monitor_bench ok"
fi

"$build/bench/gateway_latency" --smoke --out "$tmp" > "$tmp/gateway.txt" 2>&1 ||
    { cat "$tmp/gateway.txt" >&2; fail "gateway_latency exited with an error"; }
for f in gateway_latency.csv gateway_latency_rounds.csv gateway_latency.json latency_cdf.dat; do
    [ -s "$tmp/$f" ] || fail "gateway_latency did not write $f"
done
rows=$(($(wc -l < "$tmp/gateway_latency.csv") - 1))
[ "$rows" -ge 20 ] || fail "gateway_latency.csv has $rows rows, expected at least 20"
echo "bench smoke: gateway_latency ok ($rows scenario rows)"

# The flood figures' script: three short phases (unloaded, pipelined flood, connection flood).
gateway="$build/examples/gateway/gw_gateway"
[ -x "$gateway" ] || fail "$gateway missing (GW_BUILD_EXAMPLES=ON?)"
/usr/bin/python3 "$(dirname "$0")/flood.py" --gateway "$gateway" --smoke --json "$tmp/flood.json" \
    > "$tmp/flood.txt" 2>&1 || { cat "$tmp/flood.txt" >&2; fail "flood.py --smoke failed"; }
grep -q "flood smoke: ok" "$tmp/flood.txt" || fail "flood.py --smoke did not report ok"
echo "bench smoke: flood.py ok"

# The TLS cost figures' script: every path (plain, gw TLS, stunnel) answers, s_time connects.
/usr/bin/python3 "$(dirname "$0")/tls_cost.py" --gateway "$gateway" --smoke > "$tmp/tls.txt" 2>&1 ||
    { cat "$tmp/tls.txt" >&2; fail "tls_cost.py --smoke failed"; }
grep -q "tls cost smoke: ok" "$tmp/tls.txt" || fail "tls_cost.py --smoke did not report ok"
echo "bench smoke: tls_cost.py ok"
