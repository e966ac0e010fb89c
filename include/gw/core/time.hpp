#pragma once
// The engine's time vocabulary. Framers measure t1.5/t3.5 silences with it, the router response
// timeouts and turnarounds, policies stamp events with it. It is a count of microseconds since
// an epoch each platform picks (boot, on a microcontroller and under Linux's steady_clock): only
// differences and order mean anything, never the value itself.
//
// It is a std::chrono::duration rather than a std::chrono::time_point on purpose (see
// docs/architecture.md, "Time"): a SysTick count is one, and every caller's arithmetic (now - last,
// deadline - now, t0 + 150ms) already reads the same either way.

#include <chrono>
#include <concepts>

namespace gw {

/// An instant on the engine's monotonic clock: microseconds since the platform's epoch.
using timestamp = std::chrono::microseconds;

/// A monotonic microsecond clock: SysTick on a microcontroller, steady_clock on Linux, a plain
/// variable in a test. Used through an instance, so a clock may carry state.
template <class C>
concept clock = requires(const C& c) {
    { c.now() } -> std::same_as<timestamp>;
};

}  // namespace gw
