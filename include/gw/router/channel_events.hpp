#pragma once
// What a channel reports besides answers: every drop, retry and failure is visible (an audit
// event and a counter), never silent.

#include <gw/core/exception_code.hpp>

#include <array>
#include <cstdint>
#include <string_view>

namespace gw::router {

enum class channel_event : std::uint8_t {
    queue_full,        ///< request refused with 0x06: the master's queue or the pool is full
    coalesced,         ///< request attached to an identical queued read
    timeout,           ///< no reply within the response timeout
    bad_crc,           ///< a reply failed its CRC / LRC check
    wrong_unit,        ///< a reply came from another unit than the one addressed
    invalid_response,  ///< a reply that does not answer the request (function, byte count, echo)
    retry,             ///< the request was sent again
    gave_up,           ///< all attempts failed: answered 0x0B
    unexpected_bytes,  ///< bytes arrived while no reply was awaited (a late or stray frame)
    broadcast_sent,    ///< a unit-0 request was sent; no reply is awaited
    transport_failed,  ///< the line or connection failed: queued requests answered 0x0B
    /// An MBAP header error from a downstream TCP device: the stream cannot resynchronise; the
    /// driver must close and reopen the connection (the attempt has failed already).
    framing_lost,
};

constexpr std::string_view to_string(channel_event e) noexcept {
    switch (e) {
        case channel_event::queue_full:
            return "queue_full";
        case channel_event::coalesced:
            return "coalesced";
        case channel_event::timeout:
            return "timeout";
        case channel_event::bad_crc:
            return "bad_crc";
        case channel_event::wrong_unit:
            return "wrong_unit";
        case channel_event::invalid_response:
            return "invalid_response";
        case channel_event::retry:
            return "retry";
        case channel_event::gave_up:
            return "gave_up";
        case channel_event::unexpected_bytes:
            return "unexpected_bytes";
        case channel_event::broadcast_sent:
            return "broadcast_sent";
        case channel_event::transport_failed:
            return "transport_failed";
        case channel_event::framing_lost:
            return "framing_lost";
    }
    return "unknown";
}

/// Counters of one channel, readable while it runs.
struct channel_counters {
    std::uint64_t requests = 0;           ///< accepted into the queue (including coalesced)
    std::uint64_t transactions = 0;       ///< requests put on the bus (first attempts)
    std::uint64_t responses = 0;          ///< normal replies from the device
    std::uint64_t device_exceptions = 0;  ///< exception replies from the device
    std::uint64_t timeouts = 0;
    std::uint64_t retries = 0;
    std::uint64_t crc_errors = 0;
    std::uint64_t wrong_unit = 0;
    std::uint64_t invalid_responses = 0;
    std::uint64_t busy_rejections = 0;
    std::uint64_t coalesced = 0;
    std::uint64_t broadcasts = 0;
    std::uint64_t unexpected_bytes = 0;
    std::uint64_t transport_failures = 0;
    /// Exception answers by code (index = code, 0x01..0x0B), device-sent and gateway-made alike.
    std::array<std::uint64_t, 12> exceptions_by_code{};
};

}  // namespace gw::router
