#pragma once
// Counters of one listener (a TCP port or a serial master line), readable while it runs.

#include <gw/gateway/latency_histogram.hpp>

#include <array>
#include <cstdint>

namespace gw::gateway {

struct listener_counters {
    std::uint64_t connections_accepted = 0;
    std::uint64_t connections_refused = 0;
    std::uint64_t connections_active = 0;
    std::uint64_t idle_timeouts = 0;
    std::uint64_t write_timeouts = 0;   ///< masters closed because they stopped reading
    std::uint64_t frame_timeouts = 0;   ///< masters closed with a request begun, not finished
    std::uint64_t evictions = 0;        ///< connections closed to make room for another host
    std::uint64_t accept_failures = 0;  ///< accept() errors (EMFILE, ENFILE, ...), each backed off
    std::uint64_t protocol_errors = 0;  ///< bad MBAP headers, bad CRCs from the master
    std::uint64_t tls_handshakes_failed = 0;   ///< modbus_tls: refused certificates, timeouts
    std::uint64_t tls_handshakes_refused = 0;  ///< modbus_tls: over the handshake caps
    std::uint64_t requests = 0;
    std::uint64_t responses = 0;  ///< answers sent, exceptions included
    /// Exceptions answered, by code (index = code 0x01..0x0B).
    std::array<std::uint64_t, 12> exceptions_by_code{};
    latency_histogram latency;  ///< request received -> answer queued for sending
};

}  // namespace gw::gateway
