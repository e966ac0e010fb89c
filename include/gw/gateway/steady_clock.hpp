#pragma once
// The Linux clock of the engine: std::chrono::steady_clock in microseconds.

#include <gw/transport/concepts.hpp>

#include <chrono>

namespace gw::gateway {

struct steady_clock {
    // An instance method: clocks are used through instances (transport::clock), so a test or a
    // port can substitute one with state.
    // NOLINTNEXTLINE(readability-convert-member-functions-to-static)
    transport::time_point now() const noexcept {
        return std::chrono::duration_cast<transport::time_point>(
            std::chrono::steady_clock::now().time_since_epoch());
    }
    static std::chrono::steady_clock::time_point to_steady(transport::time_point t) noexcept {
        return std::chrono::steady_clock::time_point{
            std::chrono::duration_cast<std::chrono::steady_clock::duration>(t)};
    }
};
static_assert(transport::clock<steady_clock>);

}  // namespace gw::gateway
