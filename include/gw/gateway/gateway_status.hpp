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

/// One remote syslog server, as the audit trail's client sees it.
struct syslog_server_status {
    std::string server;  ///< "tls://logs.example.net:6514"
    std::uint64_t sent = 0;
    std::uint64_t dropped = 0;
    std::uint64_t reconnects = 0;
    std::uint64_t backlog = 0;
    bool connected = false;
    std::string last_error;
};

/// The persistent audit trail (filled by the program that runs one: gw/audit/audit_trail.hpp).
struct audit_trail_status {
    bool enabled = false;
    std::uint64_t recorded = 0;
    std::uint64_t filtered = 0;
    std::uint64_t dropped = 0;
    std::uint64_t not_stored = 0;
    std::uint64_t storage_errors = 0;
    bool storage_ok = true;
    std::uint64_t last_seq = 0;
    std::uint64_t held = 0;
    std::uint64_t capacity = 0;
    std::string last_error;
    std::vector<syslog_server_status> syslog;
};

struct gateway_status {
    std::vector<channel_status> channels;    ///< in plan order
    std::vector<listener_status> listeners;  ///< in plan order
    std::vector<blocked_source_status> blocked_sources;
    event_log_status events;
    audit_trail_status audit;
};

}  // namespace gw::gateway
