#pragma once
// Who asked: enough to answer the right master with the right transaction id and unit id.

#include <gw/core/master_id.hpp>
#include <gw/core/time.hpp>

#include <cstddef>
#include <cstdint>

namespace gw::router {

/// Scheduling class of a request, from the listener it arrived on (MGate: port 502 normal,
/// port 7502 priority). A high request waiting on a channel always goes before a normal one.
enum class priority_class : std::uint8_t { normal = 0, high = 1 };
inline constexpr std::size_t priority_class_count = 2;

using gw::master_id;  // core vocabulary; the router's spelling stays

struct request_origin {
    master_id master = 0;
    std::uint16_t transaction_id = 0;  ///< MBAP transaction id, echoed in the answer (0 on serial)
    std::uint8_t unit = 0;             ///< unit id as the master addressed it (before remapping)
    timestamp received_at{};
};

}  // namespace gw::router
