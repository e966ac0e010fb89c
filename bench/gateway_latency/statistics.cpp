#include "statistics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace gw_bench {

void result::add(const result& o) {
    latency_us.insert(latency_us.end(), o.latency_us.begin(), o.latency_us.end());
    seconds += o.seconds;
    errors += o.errors;
    gateway_cpu_us += o.gateway_cpu_us;
}

double result::rate() const {
    return seconds > 0 ? static_cast<double>(latency_us.size()) / seconds : 0;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    const auto rank =
        static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

double mean(const std::vector<double>& v) {
    if (v.empty()) return NAN;
    double s = 0;
    for (double x : v)
        s += x;
    return s / static_cast<double>(v.size());
}

double median(std::vector<double> v) {
    v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

stats stats_of(const result& r) {
    const auto& v = r.latency_us;
    return {static_cast<double>(v.size()),
            static_cast<double>(r.errors),
            r.rate(),
            percentile(v, 10),
            percentile(v, 50),
            percentile(v, 99),
            v.empty() ? NAN : *std::max_element(v.begin(), v.end()),
            mean(v),
            v.empty() || r.gateway_cpu_us <= 0 ? NAN
                                               : r.gateway_cpu_us / static_cast<double>(v.size())};
}

const char* const stats_header =
    "replies,errors,rate_per_s,p10_us,p50_us,p99_us,max_us,mean_us,"
    "gateway_cpu_us_per_req";

std::string num(double x, int decimals) {
    if (std::isnan(x)) return "null";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
    return buf;
}

std::string stats_csv(const stats& s) {
    return num(s.replies, 0) + "," + num(s.errors, 0) + "," + num(s.rate) + "," + num(s.p10) + "," +
           num(s.p50) + "," + num(s.p99) + "," + num(s.max) + "," + num(s.mean) + "," +
           num(s.cpu_per_req);
}

}  // namespace gw_bench
