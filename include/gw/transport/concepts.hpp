#pragma once
// Transport concepts shared by every platform. No Asio, no OS headers: the bare-metal firmware
// and the Linux gateway satisfy the same requirements, so the framers and the router are written
// once against them. The Asio-based (asynchronous) requirement lives in
// gw/transport/async_stream.hpp.

#include <gw/core/time.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

namespace gw::transport {

// The clock concept and its time type are core vocabulary (gw/core/time.hpp); these names stay
// so that code written against the transport spelling keeps compiling.
using time_point = gw::timestamp;
using gw::clock;

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
