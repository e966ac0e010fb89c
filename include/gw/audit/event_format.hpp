#pragma once
// Recorded events for people and programs: one text line, or one JSON object per line (the
// formats of `gw_gateway --audit-log`), and the RFC 3339 time they share.

#include <gw/audit/event_codec.hpp>
#include <gw/core/exception_code.hpp>
#include <gw/policy/audit_event.hpp>
#include <gw/policy/decision.hpp>
#include <gw/policy/ip_network.hpp>
#include <gw/router/channel_events.hpp>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

namespace gw::audit {

/// "2026-12-02T09:30:01.123456Z" (RFC 3339, UTC, microseconds).
inline std::string format_rfc3339(std::int64_t utc_us) {
    std::int64_t secs = utc_us / 1'000'000;
    std::int64_t micros = utc_us % 1'000'000;
    if (micros < 0) {
        micros += 1'000'000;
        --secs;
    }
    const auto t = static_cast<std::time_t>(secs);
    std::tm tm{};
    if (gmtime_r(&t, &tm) == nullptr) return "-";
    char buf[80];  // room for any int year: the compiler checks the worst case
    (void)std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                        static_cast<int>(micros));
    return buf;
}

/// What the event's reason byte means for its kind ("" when the kind has none).
inline std::string_view reason_text(const policy::audit_event& e) {
    using policy::event_kind;
    switch (e.kind) {
        case event_kind::connection_refused:
        case event_kind::request_refused:
        case event_kind::connection_closed:
        case event_kind::idle_timeout:
        case event_kind::reconnaissance_suspected:
            return to_string(static_cast<policy::reason>(e.reason));
        case event_kind::channel_event:
            return router::to_string(static_cast<router::channel_event>(e.reason));
        case event_kind::exception_answered:
            return to_string(static_cast<exception_code>(e.reason));
        default:
            return {};
    }
}

/// The name of the event's kind, or its number when this build does not know it.
inline std::string kind_text(policy::event_kind k) {
    const auto name = to_string(k);
    return name.empty() ? "event_" + std::to_string(static_cast<unsigned>(k)) : std::string{name};
}

/// Appends `s` with '"' and control characters replaced by '_', so that no text from outside
/// (a certificate's role, a configured name) can end the line or fake a field.
inline void put_safe(std::string& line, std::string_view s) {
    for (const char c : s)
        line += (c == '"' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '_' : c;
}

/// One line: `seq time severity category kind key=value...`.
inline std::string format_text(std::uint64_t seq, const recorded_event& r) {
    const auto& e = r.event;
    std::string line = std::to_string(seq) + ' ' + format_rfc3339(r.utc_us) + ' ';
    line += to_string(e.severity);
    line += ' ';
    line += to_string(e.category);
    line += ' ';
    line += kind_text(e.kind);
    line += " id=" + std::to_string(static_cast<unsigned>(e.kind));
    if (!r.source.empty()) {
        line += " source=";
        put_safe(line, r.source.view());
    }
    if (e.peer_port != 0) {
        line += " peer=";
        line += policy::format_ip_address(e.peer).view();
        line += ':' + std::to_string(e.peer_port);
    }
    if (const auto why = reason_text(e); !why.empty()) {
        line += " reason=";
        line += why;
    }
    if (e.function != 0 || e.unit != 0) line += " unit=" + std::to_string(e.unit);
    if (e.function != 0) line += " function=" + std::to_string(e.function);
    if (e.quantity != 0) {
        line += " address=" + std::to_string(e.address) + '-' +
                std::to_string(std::uint32_t{e.address} + e.quantity - 1u);
    }
    if (!e.role.empty()) {
        line += " role=";
        put_safe(line, e.role.view());
    }
    if (e.repeats != 0) line += " repeats=" + std::to_string(e.repeats);
    line += " outcome=";
    line += to_string(e.outcome);
    if (!e.detail.empty()) {
        line += " detail=\"";
        put_safe(line, e.detail.view());
        line += '"';
    }
    return line;
}

namespace detail {
inline void json_string(std::string& out, std::string_view s) {
    out += '"';
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            char buf[8];
            (void)std::snprintf(buf, sizeof buf, "\\u%04x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    out += '"';
}
}  // namespace detail

/// One JSON object (no newline): every field, by name.
inline std::string format_json(std::uint64_t seq, const recorded_event& r) {
    const auto& e = r.event;
    std::string o = "{\"seq\":" + std::to_string(seq) + ",\"time\":\"" + format_rfc3339(r.utc_us) +
                    "\",\"monotonic_us\":" + std::to_string(r.monotonic_us) + ",\"category\":\"";
    o += to_string(e.category);
    o += "\",\"severity\":\"";
    o += to_string(e.severity);
    o += "\",\"id\":" + std::to_string(static_cast<unsigned>(e.kind)) + ",\"type\":";
    detail::json_string(o, kind_text(e.kind));
    o += ",\"source\":";
    detail::json_string(o, r.source.view());
    o += ",\"source_index\":" + std::to_string(e.source);
    if (e.peer_port != 0) {
        o += ",\"peer\":\"";
        o += policy::format_ip_address(e.peer).view();
        o += "\",\"peer_port\":" + std::to_string(e.peer_port);
    }
    if (const auto why = reason_text(e); !why.empty()) {
        o += ",\"reason\":";
        detail::json_string(o, why);
    }
    if (e.function != 0 || e.unit != 0) o += ",\"unit\":" + std::to_string(e.unit);
    if (e.function != 0) o += ",\"function\":" + std::to_string(e.function);
    if (e.quantity != 0) {
        o += ",\"address\":" + std::to_string(e.address) +
             ",\"quantity\":" + std::to_string(e.quantity);
    }
    if (!e.role.empty()) {
        o += ",\"role\":";
        detail::json_string(o, e.role.view());
    }
    if (e.repeats != 0) o += ",\"repeats\":" + std::to_string(e.repeats);
    o += ",\"outcome\":\"";
    o += to_string(e.outcome);
    o += '"';
    if (!e.detail.empty()) {
        o += ",\"detail\":";
        detail::json_string(o, e.detail.view());
    }
    o += '}';
    return o;
}

}  // namespace gw::audit
