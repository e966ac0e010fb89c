#pragma once
// Which master asked. Core vocabulary because every engine layer speaks of it: the router keeps
// per-master queues by it, policies see it on each request, the gateway's session table maps it
// back to a connection.

#include <cstdint>

namespace gw {

/// Index of a connected master in the gateway's session table. Channels keep per-master queues
/// indexed by it, which is what makes scheduling fair between masters.
using master_id = std::uint16_t;

}  // namespace gw
