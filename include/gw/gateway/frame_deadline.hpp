#pragma once
// The deadline for a complete request once its first byte has arrived (slowloris on Modbus TCP:
// a master that trickles a frame byte by byte, or stops halfway, would otherwise hold a slot
// forever, since each byte also defeats the idle timeout). Defined once here: the session, the
// plan check and the configuration reader (listener key `frame_timeout_ms`) all use these.

#include <chrono>

namespace gw::gateway::frame_deadline {

/// Below this, a frame split over two TCP segments on an ordinary LAN could already miss it.
inline constexpr std::chrono::milliseconds min{10};
/// A frame is at most 260 bytes: a minute covers any link that can carry Modbus at all.
inline constexpr std::chrono::milliseconds max{60'000};
/// Covers a few TCP retransmissions (200 ms minimum RTO, doubling) of the frame's later
/// segments; a cellular link with long stalls may need more.
inline constexpr std::chrono::milliseconds fallback{2'000};

}  // namespace gw::gateway::frame_deadline
