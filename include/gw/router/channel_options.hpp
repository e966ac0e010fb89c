#pragma once
// How one channel (a serial line or a downstream Modbus TCP device) runs its bus transactions.

#include <gw/codec/rtu_framer.hpp>

#include <chrono>
#include <cstdint>

namespace gw::router {

/// The wire format on the channel's side.
enum class channel_framing : std::uint8_t {
    rtu,    ///< Modbus RTU on a serial line (or RTU-over-TCP to a device)
    ascii,  ///< Modbus ASCII on a serial line
    mbap,   ///< Modbus TCP to a downstream device
};

/// The longest priority hold the configuration and command line accept: a tenth of a second is
/// already far beyond any master's round trip on a LAN.
inline constexpr std::chrono::microseconds max_priority_hold{100'000};

struct channel_options {
    channel_framing framing = channel_framing::rtu;
    /// predicted: a reply is complete the moment its last byte arrives (no t3.5 wait);
    /// silence: wait for t3.5 of silence (for devices using user-defined function codes).
    rtu_framing rtu_mode = rtu_framing::predicted;
    rtu_timing timing = rtu_timing_for_baud(19200);
    /// ASCII: the longest gap allowed between two characters of one reply.
    std::chrono::microseconds ascii_char_timeout{std::chrono::milliseconds{1000}};
    std::chrono::microseconds response_timeout{std::chrono::milliseconds{1000}};
    std::uint8_t retries = 0;  ///< extra attempts after a timeout, bad CRC or wrong-unit reply
    /// Silence kept on the bus between the end of one transaction and the next request. Zero by
    /// default: a slave that has answered is listening again; raise it for slow devices.
    std::chrono::microseconds inter_frame_delay{0};
    /// After a broadcast (unit 0) no reply comes; slaves need this long to act on it.
    std::chrono::microseconds broadcast_turnaround{std::chrono::milliseconds{100}};
    /// Priority hold: after answering a high-priority master, normal requests wait this long
    /// before the next goes on the bus, so that the priority master's next request (one round
    /// trip away, typically 0.1-1 ms) finds the bus free instead of a normal transaction just
    /// started. A high request ends the hold at once. Off (0) by default: it trades the normal
    /// masters' throughput for the priority master's latency. Each hold the priority master
    /// does not use costs up to this much idle bus time per priority answer; one it uses costs
    /// its round trip. Size it to the priority master's round trip, well under one transaction.
    std::chrono::microseconds priority_hold{0};
    bool coalesce_reads = false;  ///< serve identical queued reads of several masters at once
    std::uint16_t queue_per_master = 32;  ///< MGate default; overflow answers exception 0x06
};

}  // namespace gw::router
