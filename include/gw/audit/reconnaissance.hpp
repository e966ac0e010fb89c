#pragma once
// Signs of reconnaissance: one source collecting many refusals (connections the allowlist or the
// accessible IP list refused, failed TLS handshakes, requests denied) or many answers "no such
// unit" (0x0A, a route scan) within a window. The first time a source reaches the threshold in a
// window, one reconnaissance_suspected event (security, warning) says so with the count; the
// source is then quiet until its window ends, so a scan is one event, not thousands.
//
// Runs on the audit trail's worker, after the events happened: nothing on the io thread. The
// table of sources is bounded (max_sources); a new source in a full table replaces the one seen
// least recently (its partial count is forgotten: a slow scan from many addresses is what the
// rate limiter and the refusals themselves record).

#include <gw/core/exception_code.hpp>
#include <gw/policy/audit_event.hpp>
#include <gw/policy/decision.hpp>
#include <gw/policy/ip_network.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace gw::audit {

struct reconnaissance_settings {
    std::uint32_t threshold = 20;  ///< signs from one source within the window (0: off)
    std::chrono::seconds window{60};
};

class reconnaissance_detector {
public:
    static constexpr std::size_t max_sources = 256;

    explicit reconnaissance_detector(reconnaissance_settings s = {}) noexcept : settings_{s} {}

    /// Whether `e` is a sign of reconnaissance (a refusal, or a no-such-unit answer).
    static constexpr bool is_sign(const policy::audit_event& e) noexcept {
        using policy::event_kind;
        if (e.peer_port == 0) return false;
        if (e.kind == event_kind::connection_refused || e.kind == event_kind::request_refused)
            return static_cast<policy::reason>(e.reason) != policy::reason::shutting_down;
        return e.kind == event_kind::exception_answered &&
               static_cast<exception_code>(e.reason) == exception_code::gateway_path_unavailable;
    }

    /// Counts `e`; returns the reconnaissance_suspected event when its source reaches the
    /// threshold. `now_us`: the event's monotonic time.
    std::optional<policy::audit_event> observe(const policy::audit_event& e,
                                               std::int64_t now_us) noexcept {
        if (settings_.threshold == 0 || !is_sign(e)) return std::nullopt;
        const auto key = policy::canonical_bytes(e.peer);
        const auto window_us =
            std::chrono::duration_cast<std::chrono::microseconds>(settings_.window).count();
        entry* found = nullptr;
        for (std::size_t i = 0; i < used_; ++i) {
            if (table_[i].source == key) {
                found = &table_[i];
                break;
            }
        }
        if (found == nullptr) {
            if (used_ < max_sources) {
                found = &table_[used_++];
            } else {
                found = std::min_element(
                    table_.begin(), table_.end(),
                    [](const entry& a, const entry& b) { return a.last_us < b.last_us; });
            }
            *found = entry{key, now_us, now_us, 0, false};
        }
        if (now_us - found->opened_us >= window_us) *found = entry{key, now_us, now_us, 0, false};
        found->last_us = now_us;
        ++found->count;
        if (found->reported || found->count < settings_.threshold) return std::nullopt;
        found->reported = true;
        policy::audit_event r;
        r.time = e.time;
        r.kind = policy::event_kind::reconnaissance_suspected;
        r.category = policy::event_category::security;
        r.severity = policy::event_severity::warning;
        r.outcome = policy::event_outcome::denied;
        r.source = e.source;
        r.peer = e.peer;
        r.peer_port = e.peer_port;
        r.reason = e.reason;
        if (e.kind == policy::event_kind::exception_answered) r.reason = 0;
        r.repeats = found->count;
        policy::set_detail(r.detail, e.kind == policy::event_kind::exception_answered
                                         ? "requests for units without a route"
                                         : "refused connections or requests");
        return r;
    }

    std::size_t sources() const noexcept { return used_; }

private:
    struct entry {
        std::array<std::uint8_t, 16> source{};
        std::int64_t opened_us = 0;
        std::int64_t last_us = 0;
        std::uint32_t count = 0;
        bool reported = false;
    };
    reconnaissance_settings settings_;
    std::array<entry, max_sources> table_{};
    std::size_t used_ = 0;
};

}  // namespace gw::audit
