#pragma once
// gateway_latency: what one measurement window yields, and the figures made of it.

#include <cstddef>
#include <string>
#include <vector>

namespace gw_bench {

struct result {
    std::vector<double> latency_us;
    double seconds = 0;  // the measurement window
    std::size_t errors = 0;
    double gateway_cpu_us = 0;  // CPU the gateway used during the window

    void add(const result& o);
    double rate() const;
};

/// Nearest-rank percentile (NaN for no samples).
double percentile(std::vector<double> v, double p);
double mean(const std::vector<double>& v);
/// Median ignoring NaNs (NaN if nothing is left).
double median(std::vector<double> v);

/// The figures of one row.
struct stats {
    double replies, errors, rate, p10, p50, p99, max, mean, cpu_per_req;
};
stats stats_of(const result& r);

extern const char* const stats_header;
std::string stats_csv(const stats& s);
/// A number for CSV/JSON: "null" for NaN.
std::string num(double x, int decimals = 1);

}  // namespace gw_bench
