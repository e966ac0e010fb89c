#pragma once
// The audit hook that hands every event to a sink outside the engine: the gateway program's
// audit trail (gw/audit/audit_trail.hpp), which stores it and sends it to syslog on its own
// thread. The hook runs on the io thread, so the sink must only queue (audit_trail::push
// copies the event into a bounded queue and returns).
//
// The sink gets the name of the event's source (the listener's or the channel's configured
// name) with it, so that a record read back later names what it concerns.

#include <gw/policy/audit_event.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace gw::gateway {

using event_sink = std::function<void(const policy::audit_event&, std::string_view source)>;

/// Whether the event's `source` indexes the channels (else the listeners).
constexpr bool concerns_channel(policy::event_kind k) noexcept {
    using policy::event_kind;
    return k == event_kind::channel_event || k == event_kind::channel_down ||
           k == event_kind::channel_up || k == event_kind::device_lost ||
           k == event_kind::device_recovered;
}

struct event_sink_policy {
    const event_sink* sink = nullptr;
    std::vector<std::string> listener_names;
    std::vector<std::string> channel_names;

    void on_event(const policy::audit_event& e) {
        if (sink == nullptr || !*sink) return;
        const auto& names = concerns_channel(e.kind) ? channel_names : listener_names;
        const bool named = e.category != policy::event_category::system && e.source < names.size();
        (*sink)(e, named ? std::string_view{names[e.source]} : std::string_view{});
    }
};

}  // namespace gw::gateway
