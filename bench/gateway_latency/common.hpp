#pragma once
// gateway_latency: what every part of the driver shares (clock, byte vectors, fatal errors).

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace gw_bench {

using clk = std::chrono::steady_clock;
using bytes = std::vector<std::uint8_t>;

/// Prints the error, runs the cleanup set by on_die (stops every child process), exits 1.
[[noreturn]] void die(const std::string& what);
/// What die() runs first, so that no child process outlives a failed run.
void on_die(std::function<void()> cleanup);

inline double us_between(clk::time_point a, clk::time_point b) {
    return std::chrono::duration<double, std::micro>(b - a).count();
}

inline clk::time_point after(clk::time_point from, double seconds) {
    return from + std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(seconds));
}

}  // namespace gw_bench
