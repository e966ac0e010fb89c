#pragma once
// The capacities of the gateway runtime: how many channels, listeners, routes, masters and
// allowlist entries its fixed tables hold. This is the one place they are defined: the engine's
// tables are sized from these constants and the configuration reader accepts exactly these
// bounds, so a configuration that passes --check-config fits the running tables (a larger one
// is an error naming the key, never a silently truncated policy).

#include <cstddef>
#include <cstdint>

namespace gw::gateway::capacity {

/// Downstream channels (serial lines and TCP devices).
inline constexpr std::size_t channels = 32;
/// Listeners (TCP, RTU-over-TCP and serial master lines).
inline constexpr std::size_t listeners = 16;
/// Routes: one per unit id at most (1..247 and the broadcast 0).
inline constexpr std::size_t routes = 248;
/// Connected masters across every listener: the session table and the connection counters.
inline constexpr std::size_t masters = 256;
/// Allowlist entries per listener (the MGate MB3000-G2 holds 16).
inline constexpr std::size_t allowlist_entries = 64;
/// Entries of the device-wide accessible IP list (the MGate 5000 holds 16).
inline constexpr std::size_t accessible_ip_entries = 16;
/// Source addresses the rate limiter tracks (all listeners together). When full, the least
/// recently seen unblocked source gives way (gw/policy/rate_limit_policy.hpp).
inline constexpr std::size_t rate_limit_sources = 1024;
/// Networks per listener that are rate limited but never blocked.
inline constexpr std::size_t rate_limit_exempt = 16;
/// Authorization roles (the NULL role not counted), rules per role (and for the NULL role),
/// and roles-by-source-network rules per listener.
inline constexpr std::size_t authorization_roles = 32;
inline constexpr std::size_t authorization_rules = 32;
inline constexpr std::size_t roles_by_source = 16;
/// In-memory audit events (the MGate MB3000-G2 keeps 10,000, guide 3.6). The configured
/// `log.event_log_capacity` may be smaller, never larger.
inline constexpr std::size_t event_log = 10'000;
/// The persistent audit store (audit.capacity): records kept, at least and at most. The store
/// keeps two segments of half the capacity each, so the ring never holds fewer than half.
inline constexpr std::size_t audit_records_min = 100;
inline constexpr std::size_t audit_records_max = 1'000'000;
/// Batched audit appends synced at the latest after this many (audit.batch_records).
inline constexpr std::size_t audit_batch_max = 4096;
/// Remote syslog servers (audit.syslog), as the MGate's three.
inline constexpr std::size_t syslog_servers = 3;
/// Requests queued per channel (all masters together); beyond it a master gets 0x06.
inline constexpr std::size_t channel_slots = 1024;
/// Requests one master may have queued on one channel (`queue_per_master`).
inline constexpr std::size_t queue_per_master = channel_slots;

/// The management console (config `management`): HTTPS connections at once, login sessions,
/// the login and failure messages' length.
inline constexpr std::size_t console_connections = 256;
inline constexpr std::size_t console_sessions = 256;
inline constexpr std::size_t console_message_bytes = 1024;
/// Console accounts, at most.
inline constexpr std::size_t console_accounts = 64;
/// Custom console roles (management.roles), besides administrator and operator.
inline constexpr std::size_t console_custom_roles = 16;
/// management.lockout.max_failures and management.password_policy bounds.
inline constexpr std::size_t login_failures_max = 100;
inline constexpr std::size_t password_length_min = 8;
inline constexpr std::size_t password_length_max = 256;
inline constexpr std::size_t password_history_max = 24;

}  // namespace gw::gateway::capacity
