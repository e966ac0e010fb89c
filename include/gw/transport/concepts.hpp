#pragma once
// Transport concepts shared by every platform. No Asio, no OS headers: the bare-metal firmware
// and the Linux gateway satisfy the same requirements, so the framers and the router are written
// once against them. The Asio-based (asynchronous) requirement lives in
// gw/transport/async_stream.hpp.

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

namespace gw::transport {

/// Time as the core sees it: microseconds since an epoch the platform chooses (boot, usually).
/// Framers use it for t1.5/t3.5 silence detection, the router for response timeouts.
using time_point = std::chrono::microseconds;

/// A monotonic microsecond clock: SysTick on a microcontroller, steady_clock on Linux.
template <class C>
concept clock = requires(const C& c) {
    { c.now() } -> std::same_as<time_point>;
};

/// A non-blocking byte port polled from a main loop (a UART driver on bare metal, a pty in a test).
/// read_some returns how many bytes it copied into `in` (0 when none are waiting) and never blocks;
/// write_some returns how many bytes of `out` it accepted (possibly fewer than offered).
template <class P>
concept polled_byte_port = requires(P& p, std::span<std::uint8_t> in,
                                    std::span<const std::uint8_t> out) {
    { p.read_some(in) } -> std::same_as<std::size_t>;
    { p.write_some(out) } -> std::same_as<std::size_t>;
};

}  // namespace gw::transport
