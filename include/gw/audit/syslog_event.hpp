#pragma once
// An audit record as an RFC 5424 message: gw's fields as structured data under the configured
// enterprise number, so that a receiver can filter on them without parsing text.
//
//   <107>1 2026-12-02T09:30:01.123456Z gw1 gw 4711 connection_refused
//     [event@32473 seq="1207" id="2" category="security" outcome="denied" source="modbus"
//      reason="not_in_allowlist"][peer@32473 ip="203.0.113.9" port="50412"] <the text line>
// The text line is the one `gw_gateway --audit-log` prints.
//
// seq is the store's sequence number (0 when the record could not be stored): over TCP and TLS
// the client sends again after a reconnect what it cannot know was written, and seq lets the
// receiver drop the duplicates.

#include <gw/audit/event_codec.hpp>
#include <gw/audit/event_format.hpp>
#include <gw/audit/syslog_message.hpp>
#include <gw/policy/audit_event.hpp>
#include <gw/policy/ip_network.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace gw::audit {

constexpr syslog_severity to_syslog(policy::event_severity s) noexcept {
    switch (s) {
        case policy::event_severity::error:
            return syslog_severity::error;
        case policy::event_severity::warning:
            return syslog_severity::warning;
        case policy::event_severity::notice:
            return syslog_severity::notice;
        case policy::event_severity::info:
            return syslog_severity::informational;
    }
    return syslog_severity::informational;
}

struct syslog_identity {
    std::string hostname;  ///< the gateway's name (gethostname)
    std::string procid;    ///< its pid
    std::uint32_t enterprise = documentation_enterprise_number;
};

inline syslog_message to_syslog_message(std::uint64_t seq, const recorded_event& r,
                                        const syslog_identity& who) {
    const auto& e = r.event;
    syslog_message m;
    m.severity = to_syslog(e.severity);
    m.timestamp =
        std::chrono::sys_time<std::chrono::microseconds>{std::chrono::microseconds{r.utc_us}};
    m.hostname = who.hostname;
    m.procid = who.procid;
    m.msgid = kind_text(e.kind);

    sd_element event{make_sd_id("event", who.enterprise), {}};
    const auto param = [](sd_element& el, std::string_view name, std::string value) {
        el.params.push_back({std::string{name}, std::move(value)});
    };
    param(event, "seq", std::to_string(seq));
    param(event, "id", std::to_string(static_cast<unsigned>(e.kind)));
    param(event, "category", std::string{to_string(e.category)});
    param(event, "outcome", std::string{to_string(e.outcome)});
    if (!r.source.empty()) param(event, "source", std::string{r.source.view()});
    if (const auto why = reason_text(e); !why.empty()) param(event, "reason", std::string{why});
    if (e.repeats != 0) param(event, "repeats", std::to_string(e.repeats));
    param(event, "monotonic_us", std::to_string(r.monotonic_us));
    m.structured_data.push_back(std::move(event));

    if (e.peer_port != 0) {
        sd_element peer{make_sd_id("peer", who.enterprise), {}};
        param(peer, "ip", std::string{policy::format_ip_address(e.peer).view()});
        param(peer, "port", std::to_string(e.peer_port));
        m.structured_data.push_back(std::move(peer));
    }
    if (e.function != 0 || e.unit != 0) {
        sd_element modbus{make_sd_id("modbus", who.enterprise), {}};
        param(modbus, "unit", std::to_string(e.unit));
        if (e.function != 0) param(modbus, "function", std::to_string(e.function));
        if (e.quantity != 0) {
            param(modbus, "address", std::to_string(e.address));
            param(modbus, "quantity", std::to_string(e.quantity));
        }
        m.structured_data.push_back(std::move(modbus));
    }
    if (!e.role.empty()) {
        sd_element identity{make_sd_id("identity", who.enterprise), {}};
        param(identity, "role", std::string{e.role.view()});
        m.structured_data.push_back(std::move(identity));
    }
    m.msg = format_text(seq, r);  // the line `--audit-log` prints, detail included
    return m;
}

}  // namespace gw::audit
