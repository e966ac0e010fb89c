#pragma once
// One structured audit event: every policy decision, connection event, timeout, exception and
// channel event becomes one of these (MGate MB3000-G2 guide 3.6: categories and severities).

#include <gw/core/time.hpp>
#include <gw/policy/identity.hpp>
#include <gw/policy/ip_network.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gw::policy {

enum class event_category : std::uint8_t { system, network, security, maintenance, modbus, serial };
/// Syslog-style order: a lower value is more severe (MGate: 1 error ... 4 informational).
enum class event_severity : std::uint8_t { error = 1, warning = 2, notice = 3, info = 4 };

/// The event types. Each value is the type's stable numeric id: it is stored in the audit
/// store, sent in syslog's structured data and documented in docs/audit.md, so a value never
/// changes meaning. New types take new numbers; a retired type's number is never reused.
enum class event_kind : std::uint8_t {
    connection_accepted = 1,
    connection_refused = 2,  ///< a policy or TLS refused the connection (reason says which)
    connection_closed = 3,
    idle_timeout = 4,
    request_refused = 5,     ///< a policy denied the request (authorization, rate limit, ...)
    exception_answered = 6,  ///< the gateway answered a request with a Modbus exception
    channel_event = 7,       ///< see reason: a gw::router::channel_event value
    channel_down = 8,
    channel_up = 9,
    config_loaded = 10,  ///< at start and at each reload; detail summarises what changed
    config_rejected = 11,
    started = 12,
    stopping = 13,
    accept_failed = 14,  ///< accept() failed for want of descriptors or memory: backing off
    write_request = 15,  ///< a write passed every policy (listener option audit_writes)
    reconnaissance_suspected = 16,  ///< many refusals or unknown units from one source
    device_lost = 17,               ///< a unit that answered stopped answering (all retries)
    device_recovered = 18,          ///< a lost unit answered again
    audit_cleared = 19,             ///< the audit store was emptied by an operator
    audit_nearly_full = 20,         ///< the store's fill level crossed the warning level
    audit_full = 21,                ///< the store is full (and overwrites, or stops recording)
    audit_storage_failed = 22,      ///< a write or sync of the store failed (errno in detail)
    audit_storage_recovered = 23,   ///< the store accepts records again after a failure
    audit_tampering_detected = 24,  ///< the store's hash chain or checksums do not verify
    audit_events_dropped = 25,      ///< the audit queue was full: detail says how many
    syslog_failed = 26,             ///< a syslog server could not be reached or verified
    // The management console: detail names the account ("account=NAME ...").
    login_succeeded = 27,
    login_failed = 28,     ///< wrong name or password, or a locked account or source
    account_locked = 29,   ///< too many failures: the account or the source waits
    account_created = 30,  ///< also the first administrator (detail: "first administrator")
    account_deleted = 31,
    account_changed = 32,  ///< password changed or reset, unlocked, role changed
    session_ended = 33,    ///< logout, terminated by an administrator, idle or absolute timeout
    setting_changed = 34,  ///< a change made in the console (detail: what)
};
/// One past the highest id: arrays indexed by kind have this many entries.
inline constexpr std::size_t event_kind_count = 35;

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
/// The type's name ("" for a number that names no type, e.g. one read from a newer store).
constexpr std::string_view to_string(event_kind k) noexcept {
    constexpr std::array<std::string_view, event_kind_count> names{"",
                                                                   "connection_accepted",
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
                                                                   "accept_failed",
                                                                   "write_request",
                                                                   "reconnaissance_suspected",
                                                                   "device_lost",
                                                                   "device_recovered",
                                                                   "audit_cleared",
                                                                   "audit_nearly_full",
                                                                   "audit_full",
                                                                   "audit_storage_failed",
                                                                   "audit_storage_recovered",
                                                                   "audit_tampering_detected",
                                                                   "audit_events_dropped",
                                                                   "syslog_failed",
                                                                   "login_succeeded",
                                                                   "login_failed",
                                                                   "account_locked",
                                                                   "account_created",
                                                                   "account_deleted",
                                                                   "account_changed",
                                                                   "session_ended",
                                                                   "setting_changed"};
    const auto i = static_cast<std::size_t>(k);
    return i < names.size() ? names[i] : std::string_view{};
}

/// Free text that goes with an event (a configuration summary, an errno text, a TLS reason).
/// Bounded so that events stay fixed-size and heap-free; longer text is cut (detail only).
using event_detail = bounded_string<200>;

/// Sets `d` to `text`, cut at the bound (detail is descriptive, never a key or a name).
constexpr void set_detail(event_detail& d, std::string_view text) noexcept {
    (void)d.assign(text.substr(0, event_detail::capacity()));
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
    event_detail detail{};
};

}  // namespace gw::policy
