#pragma once
// The audit hook that writes events to the text log, rate limited so that a flood (a scanner
// hammering a closed allowlist, a dead device timing out every poll) is not a log flood.
//
// Events are "similar" when they have the same kind, reason, source (listener or channel index)
// and peer address (not port: a reconnecting master changes port). The first of a key is written
// at once and opens a window (10 s by default); similar events inside the window are only
// counted. The first event after the window, or the window's end, writes
//   "N similar events suppressed: <the first event's line>"
// Windows end on event time (audit_event::time): at the first event of any kind, written or not,
// whose time is past the end, and at the gateway's `stopping` event, which flushes every count.
// The table of keys is bounded (max_keys); a new key in a full table evicts the least recently
// seen one, writing its count first, so nothing is lost silently.
// System events (started, stopping, configuration) are operator actions, never limited.
// Only the text log is limited: the in-memory event_log and the counters see every event.

#include <gw/core/exception_code.hpp>
#include <gw/policy/audit_event.hpp>
#include <gw/policy/decision.hpp>
#include <gw/policy/ip_network.hpp>
#include <gw/router/channel_events.hpp>
#include <gw/transport/concepts.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace gw::gateway {

using log_function = std::function<void(policy::event_severity, std::string_view)>;

/// Writes audit events at or above a severity to the log, rate limited (see above).
struct audit_log_policy {
    static constexpr std::size_t max_keys = 64;

    log_function* log = nullptr;
    policy::event_severity level = policy::event_severity::notice;
    std::chrono::microseconds window = std::chrono::seconds{10};

    void on_event(const policy::audit_event& e) {
        if (log == nullptr || !*log) return;
        if (next_expiry_ && e.time >= *next_expiry_) expire(e.time);
        if (e.kind == policy::event_kind::stopping) expire(std::nullopt);
        if (e.severity > level) return;
        if (e.category == policy::event_category::system) {
            (*log)(e.severity, format(e));
            return;
        }
        const key k = key_of(e);
        entry* found = nullptr;
        for (std::size_t i = 0; i < used_; ++i) {
            if (table_[i].k == k) {
                found = &table_[i];
                break;
            }
        }
        if (found != nullptr && e.time < found->opened + window) {
            ++found->suppressed;
            found->last_seen = e.time;
            next_expiry_ = next_expiry_ ? std::min(*next_expiry_, found->opened + window)
                                        : found->opened + window;
            return;
        }
        if (found == nullptr) {
            found = &make_room();
        } else {
            report(*found);  // its window ended: the count first, then the new first line
        }
        found->k = k;
        found->opened = e.time;
        found->last_seen = e.time;
        found->suppressed = 0;
        found->severity = e.severity;
        found->first_line = format(e);
        (*log)(e.severity, found->first_line);
    }

    /// Keys in the table now (for tests and diagnostics); at most max_keys.
    std::size_t keys() const noexcept { return used_; }

    static std::string format(const policy::audit_event& e) {
        std::string line{to_string(e.category)};
        line += ' ';
        line += to_string(e.kind);
        line += " source=" + std::to_string(e.source);
        if (e.peer_port != 0) {
            line += " peer=";
            line += policy::format_ip_address(e.peer).view();
            line += ":" + std::to_string(e.peer_port);
        }
        switch (e.kind) {
            case policy::event_kind::connection_refused:
            case policy::event_kind::request_refused:
            case policy::event_kind::connection_closed:
            case policy::event_kind::idle_timeout:
                line += " reason=";
                line += to_string(static_cast<policy::reason>(e.reason));
                break;
            case policy::event_kind::channel_event:
                line += " event=";
                line += router::to_string(static_cast<router::channel_event>(e.reason));
                break;
            case policy::event_kind::exception_answered:
                line += " exception=";
                line += to_string(static_cast<exception_code>(e.reason));
                break;
            default:
                break;
        }
        if (e.function != 0 || e.kind == policy::event_kind::channel_event) {
            line += " unit=" + std::to_string(e.unit);
        }
        if (e.function != 0) line += " function=" + std::to_string(e.function);
        if (e.kind == policy::event_kind::request_refused &&
            static_cast<policy::reason>(e.reason) == policy::reason::unauthorized) {
            // Role names come from certificates too: the reader refuses control characters,
            // so the name cannot break the line; "-" is the NULL role.
            line += " role=";
            line += e.role.empty() ? std::string_view{"-"} : e.role.view();
            if (e.quantity != 0) {
                line += " address=" + std::to_string(e.address);
                if (e.quantity > 1)
                    line += "-" + std::to_string(std::uint32_t{e.address} + e.quantity - 1u);
            }
        }
        // A rate-limited flood is logged once per source and window: the count says how many
        // refusals that one line stands for.
        if (e.repeats != 0) line += " repeats=" + std::to_string(e.repeats);
        line += " outcome=";
        line += to_string(e.outcome);
        return line;
    }

private:
    struct key {
        policy::event_kind kind{};
        std::uint8_t reason = 0;
        std::uint16_t source = 0;
        policy::ip_address peer{};
        friend bool operator==(const key& a, const key& b) noexcept {
            return a.kind == b.kind && a.reason == b.reason && a.source == b.source &&
                   a.peer.v4 == b.peer.v4 && a.peer.bytes == b.peer.bytes;
        }
    };
    struct entry {
        key k;
        transport::time_point opened{};
        transport::time_point last_seen{};
        std::uint64_t suppressed = 0;
        policy::event_severity severity = policy::event_severity::info;
        std::string first_line;
    };

    static key key_of(const policy::audit_event& e) noexcept {
        return {e.kind, e.reason, e.source, e.peer_port != 0 ? e.peer : policy::ip_address{}};
    }

    void report(entry& x) {
        if (x.suppressed == 0) return;
        (*log)(x.severity,
               std::to_string(x.suppressed) + " similar events suppressed: " + x.first_line);
        x.suppressed = 0;
    }

    /// Writes the counts of windows that ended by `now` (all of them without `now`) and forgets
    /// their keys.
    void expire(std::optional<transport::time_point> now) {
        next_expiry_.reset();
        std::size_t kept = 0;
        for (std::size_t i = 0; i < used_; ++i) {
            auto& x = table_[i];
            const auto end = x.opened + window;
            if (!now || *now >= end) {
                report(x);
                continue;  // the key is free again: its next event is written at once
            }
            if (x.suppressed > 0) next_expiry_ = next_expiry_ ? std::min(*next_expiry_, end) : end;
            if (kept != i) table_[kept] = std::move(x);
            ++kept;
        }
        used_ = kept;
    }

    /// A free entry; in a full table the least recently seen key is evicted (its count written).
    entry& make_room() {
        if (used_ < max_keys) return table_[used_++];
        auto oldest = std::min_element(
            table_.begin(), table_.end(),
            [](const entry& a, const entry& b) { return a.last_seen < b.last_seen; });
        report(*oldest);
        return *oldest;
    }

    std::array<entry, max_keys> table_{};
    std::size_t used_ = 0;
    std::optional<transport::time_point> next_expiry_;  // the earliest window with a count
};

}  // namespace gw::gateway
