#pragma once
// What the gateway reports about itself, as plain values: a snapshot the io thread fills in one
// cheap copy (gateway::status()) and hands to another thread to serialise (status_json.hpp) and
// write, so that neither formatting nor disk I/O runs on the io thread.

#include <gw/gateway/listener_counters.hpp>
#include <gw/policy/rate_limit_policy.hpp>
#include <gw/router/channel_events.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gw::gateway {

struct channel_status {
    std::string name;
    std::string link;  ///< "serial /dev/ttyUSB0", "tcp 10.0.0.5:502": outside text, any bytes
    bool up = false;
    std::size_t queue_depth = 0;
    router::channel_counters counters;  ///< every counter, exceptions by code included
};

struct listener_status {
    std::string name;
    std::uint16_t port = 0;                  ///< the bound TCP port; 0 for a serial master line
    listener_counters counters;              ///< connections, requests, exceptions by code, latency
    policy::rate_limit_counters rate_limit;  ///< refusals, blocks, evictions
};

/// A source the rate limiter blocks now, and for how much longer.
struct blocked_source_status {
    std::string listener;
    std::string address;
    std::uint64_t remaining_s = 0;  ///< rounded up
};

struct event_log_status {
    std::uint64_t total = 0;        ///< events ever recorded
    std::uint64_t held = 0;         ///< events in memory now
    std::uint64_t overwritten = 0;  ///< oldest events lost to the bound
};

struct gateway_status {
    std::vector<channel_status> channels;    ///< in plan order
    std::vector<listener_status> listeners;  ///< in plan order
    std::vector<blocked_source_status> blocked_sources;
    event_log_status events;
};

}  // namespace gw::gateway
