#pragma once
// How a channel_driver waits before reopening a failed line. Its own header because it is plain
// data: gateway_plan.hpp needs it without pulling in the Asio driver.

#include <chrono>

namespace gw::gateway {

/// The first wait after a failure, doubled at each failed reopen up to `max`.
struct reopen_backoff {
    std::chrono::milliseconds first{100};
    std::chrono::milliseconds max{5000};
};

}  // namespace gw::gateway
