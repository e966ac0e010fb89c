# gnuplot -e "dir='docs/benchmarks'" bench/plot.gp
# Latency distributions (direct vs through the gateway) from latency_cdf.dat, written by
# gateway_latency: column 1 is the percentile, then one column per line and path.
if (!exists("dir")) dir = "docs/benchmarks"

# With wire time the tails (scheduling stalls of a loaded machine) would squash the body of
# the distribution: those panels show it up to the 98th percentile (data row 980).
min(a, b) = a < b ? a : b
max(a, b) = a > b ? a : b
stats dir."/latency_cdf.dat" every ::0::979 using 4 nooutput
w115_lo = STATS_min; w115_hi = STATS_max
stats dir."/latency_cdf.dat" every ::0::979 using 5 nooutput
w115_lo = min(w115_lo, STATS_min); w115_hi = max(w115_hi, STATS_max)
stats dir."/latency_cdf.dat" every ::0::979 using 6 nooutput
w9600_lo = STATS_min; w9600_hi = STATS_max
stats dir."/latency_cdf.dat" every ::0::979 using 7 nooutput
w9600_lo = min(w9600_lo, STATS_min); w9600_hi = max(w9600_hi, STATS_max)

set terminal pngcairo size 1400,560 font "DejaVu Sans,11"
set output dir."/latency_cdf.png"
set datafile missing "NaN"
set key bottom right
set grid
set ylabel "percentile of requests"
set yrange [0:100]
set logscale x 10
set xlabel "latency, microseconds (log scale)"

set multiplot layout 1,3 title "One Modbus master, one request at a time: RTU master on the pty (direct) vs Modbus TCP through gw\\_gateway"
set title "fast: pty without wire time"
plot dir."/latency_cdf.dat" using 2:1 with lines lw 2 lc rgb "#1f77b4" title "direct", \
     ""                       using 3:1 with lines lw 2 lc rgb "#d62728" title "gateway"
unset logscale x
set xlabel "latency, microseconds"
set xtics autofreq rotate by -30
set xrange [0.98 * w115_lo:1.02 * w115_hi]
set title "w115200: simulator wire time, 115200 baud (to p98)"
plot dir."/latency_cdf.dat" using 4:1 with lines lw 2 lc rgb "#1f77b4" title "direct", \
     ""                       using 5:1 with lines lw 2 lc rgb "#d62728" title "gateway"
set xrange [0.98 * w9600_lo:1.02 * w9600_hi]
set title "w9600: simulator wire time, 9600 baud (to p98)"
plot dir."/latency_cdf.dat" using 6:1 with lines lw 2 lc rgb "#1f77b4" title "direct", \
     ""                       using 7:1 with lines lw 2 lc rgb "#d62728" title "gateway"
unset multiplot
unset xtics
set xtics
set xrange [*:*]

# Per-frame decode: gw against libmodbus, from codec_bench.csv (what,path,side,case,clock,ns,MB/s).
set output dir."/codec_decode.png"
set terminal pngcairo size 1100,500 font "DejaVu Sans,11"
unset logscale x
set logscale y 10
set datafile separator ","
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [*:*]
set key top left
set ylabel "time per frame, ns (log scale)"
set xlabel ""
set xtics rotate by -15
set title "Decode + check one RTU frame: in memory (CPU time) and on a pty (wall time, read() to checked)"
plot dir."/codec_decode.dat" using 2:xtic(1) title "gw" lc rgb "#d62728", \
     ""                      using 3 title "libmodbus 3.1.6" lc rgb "#1f77b4"
