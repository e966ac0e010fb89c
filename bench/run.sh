#!/bin/sh
# Full benchmark run: bench/run.sh [build-dir] [gateway_latency options...]
#   build-dir defaults to build/release (cmake --preset release && cmake --build --preset release)
# Writes to docs/benchmarks/: machine.txt, codec_bench.json/.csv, codec_tables.md,
# codec_decode.dat, gateway_latency*.csv/.json, gateway_tables.md, latency_cdf.dat and the
# plots latency_cdf.png and codec_decode.png. Takes about 6 minutes on 2 cores.
#
# Both benchmarks put the two sides of every comparison in the same run, interleaved:
# codec_bench with Google Benchmark's random interleaving of repetitions, gateway_latency by
# alternating the direct and the gateway path within each round. Figures are medians.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-$root/build/release}
[ $# -gt 0 ] && shift
out=$root/docs/benchmarks
mkdir -p "$out"

for tool in "$build/bench/codec_bench" "$build/bench/gateway_latency"; do
    if [ ! -x "$tool" ]; then
        echo "run.sh: $tool not found: configure with -DGW_BUILD_BENCH=ON (the release preset) and build" >&2
        exit 1
    fi
done

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "kernel: $(uname -sr)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) online"
    echo "virtualisation: $(systemd-detect-virt 2>/dev/null || echo unknown)"
    echo "compiler: $(g++ --version | head -1)"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "busiest processes before:"
    ps -eo pcpu,ni,comm --sort=-pcpu | head -6 | sed 's/^/  /'
} > "$out/machine.txt"

echo "== codec_bench (about 2 minutes)"
"$build/bench/codec_bench" \
    --benchmark_enable_random_interleaving=true \
    --benchmark_repetitions=9 \
    --benchmark_min_time=0.1 \
    --benchmark_report_aggregates_only=true \
    --benchmark_out="$out/codec_bench.json" --benchmark_out_format=json
python3 "$here/summarise.py" codec "$out/codec_bench.json"

echo "== gateway_latency (about 4 minutes)"
"$build/bench/gateway_latency" --out "$out" --rounds 5 "$@"
python3 "$here/summarise.py" gateway "$out/gateway_latency.json"

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"

if command -v gnuplot > /dev/null; then
    gnuplot -e "dir='$out'" "$here/plot.gp"
else
    echo "run.sh: gnuplot not found (Debian: gnuplot-nox): no plots" >&2
fi
echo "== results in $out"
