#pragma once
// One structured audit event: every policy decision, connection event, timeout, exception and
// channel event becomes one of these (MGate MB3000-G2 guide 3.6: categories and severities).

#include <gw/core/time.hpp>
#include <gw/policy/identity.hpp>
#include <gw/policy/ip_network.hpp>

#include <array>
#include <cstdint>
#include <string_view>

namespace gw::policy {

enum class event_category : std::uint8_t { system, network, security, maintenance, modbus, serial };
/// Syslog-style order: a lower value is more severe (MGate: 1 error ... 4 informational).
enum class event_severity : std::uint8_t { error = 1, warning = 2, notice = 3, info = 4 };

enum class event_kind : std::uint8_t {
    connection_accepted,
    connection_refused,  ///< a policy denied the connection (allowlist, limits)
    connection_closed,
    idle_timeout,
    request_refused,     ///< a policy denied the request
    exception_answered,  ///< the gateway answered a request with a Modbus exception
    channel_event,       ///< see detail: a gw::router::channel_event value
    channel_down,
    channel_up,
    config_loaded,
    config_rejected,
    started,
    stopping,
    accept_failed,  ///< accept() failed for want of descriptors or memory: backing off
};

enum class event_outcome : std::uint8_t { success, denied, failed };

constexpr std::string_view to_string(event_category c) noexcept {
    constexpr std::array<std::string_view, 6> names{"system",      "network", "security",
                                                    "maintenance", "modbus",  "serial"};
    return names[static_cast<std::size_t>(c)];
}
constexpr std::string_view to_string(event_severity s) noexcept {
    constexpr std::array<std::string_view, 5> names{"", "error", "warning", "notice", "info"};
    return names[static_cast<std::size_t>(s)];
}
constexpr std::string_view to_string(event_outcome o) noexcept {
    constexpr std::array<std::string_view, 3> names{"success", "denied", "failed"};
    return names[static_cast<std::size_t>(o)];
}
constexpr std::string_view to_string(event_kind k) noexcept {
    constexpr std::array<std::string_view, 14> names{"connection_accepted",
                                                     "connection_refused",
                                                     "connection_closed",
                                                     "idle_timeout",
                                                     "request_refused",
                                                     "exception_answered",
                                                     "channel_event",
                                                     "channel_down",
                                                     "channel_up",
                                                     "config_loaded",
                                                     "config_rejected",
                                                     "started",
                                                     "stopping",
                                                     "accept_failed"};
    return names[static_cast<std::size_t>(k)];
}

struct audit_event {
    timestamp time{};
    event_category category = event_category::system;
    event_severity severity = event_severity::info;
    event_kind kind = event_kind::started;
    event_outcome outcome = event_outcome::success;
    std::uint16_t source = 0;  ///< listener or channel index the event concerns
    ip_address peer{};         ///< the remote master, where there is one
    std::uint16_t peer_port = 0;
    std::uint8_t reason = 0;  ///< a policy::reason, channel_event or exception_code value
    std::uint8_t unit = 0;
    std::uint8_t function = 0;
    /// For a refusal: like refusals of the same source not audited since the last one that was
    /// (a rate limiter audits a flood once per window, with this count).
    std::uint32_t repeats = 0;
    /// For a request refused by authorization: the address window it asked for (quantity 0:
    /// none) and the role it was checked as (empty: the NULL role).
    std::uint16_t address = 0;
    std::uint16_t quantity = 0;
    role_name role{};
};

}  // namespace gw::policy
