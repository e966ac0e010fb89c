#pragma once
// Checks on a gateway_plan before anything runs it: whether it fits the runtime's tables
// (gw/gateway/capacity.hpp) and, for a reload, whether the running gateway can take it live.
// start() and reload() both refuse a plan these checks reject, and --check-config runs them too,
// so a configuration that checks clean is one that starts.

#include <gw/gateway/capacity.hpp>
#include <gw/gateway/gateway_plan.hpp>
#include <gw/policy/accessible_ip_list.hpp>
#include <gw/policy/rate_limit_policy.hpp>
#include <gw/router/route_table.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace gw::gateway {

using plan_route_table = router::route_table<capacity::routes>;
/// The runtime's rate limiter (its settings are checked here before it is given them).
using gateway_rate_limits =
    policy::rate_limit_policy<capacity::listeners, capacity::rate_limit_sources, capacity::masters,
                              capacity::rate_limit_exempt>;
/// The runtime's accessible IP list.
using gateway_accessible_ips = policy::accessible_ip_list<capacity::accessible_ip_entries>;

/// The runtime's authorization policy (its capacities are the configuration's bounds).
using gateway_authorization =
    policy::authorization_policy<capacity::listeners, capacity::authorization_roles,
                                 capacity::authorization_rules, capacity::roles_by_source>;

/// Calls f(settings) with the policy's view of `plan`'s rules (spans into `plan` and into
/// vectors that live for the call) and returns what f returns.
template <class F>
auto with_authorization_settings(const gateway_plan& plan, F&& f) {
    std::vector<policy::role_rules> roles;
    for (const auto& r : plan.authorization.roles)
        roles.push_back({r.name, r.rules});
    std::vector<std::vector<policy::source_role>> sources(plan.listeners.size());
    std::vector<policy::listener_authorization> listeners;
    for (std::size_t i = 0; i < plan.listeners.size(); ++i) {
        for (const auto& sr : plan.listeners[i].roles_by_source)
            sources[i].push_back({sr.network, sr.role});
        // A Modbus/TCP Security listener always checks roles (the point of the certificate's
        // role): without rules, its connections are denied everything rather than allowed it.
        const bool enforced = plan.authorization.enabled ||
                              plan.listeners[i].protocol == listener_protocol::modbus_tls;
        listeners.push_back({enforced, plan.listeners[i].read_only, sources[i]});
    }
    return f(policy::authorization_settings{roles, plan.authorization.null_role, listeners});
}

/// Builds the route table of `plan` into `out`; an error names the first route it cannot take.
inline std::string build_routes(const gateway_plan& plan, plan_route_table& out) {
    out.clear();
    for (std::size_t i = 0; i < plan.routes.size(); ++i) {
        const auto& r = plan.routes[i];
        const std::string which = "routes[" + std::to_string(i) + "] (units " +
                                  std::to_string(r.first_unit) + "-" + std::to_string(r.last_unit) +
                                  ")";
        if (r.channel >= plan.channels.size()) return which + ": no such channel";
        if (out.size() == capacity::routes)
            return which + ": more than " + std::to_string(capacity::routes) + " routes";
        if (!out.add(r)) return which + ": empty, overlaps another route, or maps beyond 247";
    }
    return {};
}

/// Empty when the plan fits the runtime; otherwise what does not, naming the item.
inline std::string check_plan(const gateway_plan& plan) {
    if (plan.channels.size() > capacity::channels)
        return "too many channels: " + std::to_string(plan.channels.size()) + " (at most " +
               std::to_string(capacity::channels) + ")";
    if (plan.listeners.size() > capacity::listeners)
        return "too many listeners: " + std::to_string(plan.listeners.size()) + " (at most " +
               std::to_string(capacity::listeners) + ")";
    if (plan.max_connections == 0 || plan.max_connections > capacity::masters)
        return "limits.max_connections: " + std::to_string(plan.max_connections) +
               " is outside 1.." + std::to_string(capacity::masters);
    if (plan.event_log_capacity == 0 || plan.event_log_capacity > capacity::event_log)
        return "log.event_log_capacity: " + std::to_string(plan.event_log_capacity) +
               " is outside 1.." + std::to_string(capacity::event_log);
    if (const auto why = gateway_accessible_ips::refusal(plan.accessible_ips.settings());
        !why.empty())
        return "accessible_ip_list: " + std::string(why) + " (at most " +
               std::to_string(capacity::accessible_ip_entries) + " entries)";
    for (const auto& c : plan.channels) {
        if (c.options.queue_per_master == 0 || c.options.queue_per_master > capacity::channel_slots)
            return "channel '" + c.name + "': queue_per_master " +
                   std::to_string(c.options.queue_per_master) + " is outside 1.." +
                   std::to_string(capacity::channel_slots);
        if (const auto* tcp = std::get_if<tcp_link_plan>(&c.link); tcp != nullptr) {
            const auto& t = tcp->tls;
            if (!tcp->uses_tls() &&
                !(t.certificate.empty() && t.private_key.empty() && t.server_name.empty()))
                return "channel '" + c.name + "': tls needs ca (the device is always verified)";
            if (t.certificate.empty() != t.private_key.empty())
                return "channel '" + c.name + "': tls: certificate and private_key go together";
        }
    }
    for (const auto& l : plan.listeners) {
        const std::string which = "listener '" + l.name + "'";
        if (l.allowlist.size() > capacity::allowlist_entries)
            return which + ": " + std::to_string(l.allowlist.size()) +
                   " allowlist entries (at most " + std::to_string(capacity::allowlist_entries) +
                   ")";
        auto rate = l.rate_limit;
        rate.exempt = l.rate_limit_exempt;
        if (const char* why = gateway_rate_limits::refusal(rate))
            return which + ": rate_limit: " + why;
        if (l.limits.max_connections == 0 || l.limits.max_connections > capacity::masters)
            return which + ": max_connections " + std::to_string(l.limits.max_connections) +
                   " is outside 1.." + std::to_string(capacity::masters);
        if (l.limits.max_connections_per_source > l.limits.max_connections)
            return which + ": max_connections_per_source exceeds max_connections";
        if (l.write_timeout.count() <= 0) return which + ": the write timeout must be positive";
        if (l.frame_timeout < frame_deadline::min || l.frame_timeout > frame_deadline::max)
            return which + ": frame_timeout_ms " + std::to_string(l.frame_timeout.count()) +
                   " is outside " + std::to_string(frame_deadline::min.count()) + ".." +
                   std::to_string(frame_deadline::max.count());
        if (!l.roles_by_source.empty() && !plan.authorization.enabled)
            return which + ": roles_by_source needs authorization to be enabled";
        if (l.protocol == listener_protocol::modbus_tls) {
            if (!plan.authorization.enabled)
                return which +
                       ": a modbus_tls listener needs authorization (the rules for the "
                       "roles its client certificates carry)";
            const auto& t = l.tls;
            if (t.handshake_timeout.count() <= 0 ||
                t.handshake_timeout > tls_listener_plan::max_handshake_timeout)
                return which + ": handshake_timeout_ms " +
                       std::to_string(t.handshake_timeout.count()) + " is outside 1.." +
                       std::to_string(tls_listener_plan::max_handshake_timeout.count());
            if (t.max_handshakes == 0 || t.max_handshakes > tls_listener_plan::max_handshakes_bound)
                return which + ": max_handshakes " + std::to_string(t.max_handshakes) +
                       " is outside 1.." + std::to_string(tls_listener_plan::max_handshakes_bound);
            if (t.max_handshakes_per_source == 0 || t.max_handshakes_per_source > t.max_handshakes)
                return which + ": max_handshakes_per_source must be 1..max_handshakes";
            if (t.certificate.empty() || t.private_key.empty() || t.ca.empty())
                return which + ": a modbus_tls listener needs certificate, private_key and ca";
        }
        const auto same_name =
            std::count_if(plan.listeners.begin(), plan.listeners.end(),
                          [&](const listener_plan& o) { return o.name == l.name; });
        if (same_name > 1) return which + ": the name is used twice";
    }
    for (const auto& c : plan.channels) {
        const auto same_name =
            std::count_if(plan.channels.begin(), plan.channels.end(),
                          [&](const channel_plan& o) { return o.name == c.name; });
        if (same_name > 1) return "channel '" + c.name + "': the name is used twice";
    }
    if (const char* why = with_authorization_settings(
            plan, [](const auto& s) { return gateway_authorization::refusal(s); }))
        return std::string{"authorization: "} + why;
    plan_route_table routes;
    return build_routes(plan, routes);
}

inline bool same_link(const std::variant<serial_link_plan, tcp_link_plan>& a,
                      const std::variant<serial_link_plan, tcp_link_plan>& b) {
    if (a.index() != b.index()) return false;
    if (const auto* s = std::get_if<serial_link_plan>(&a))
        return s->settings == std::get<serial_link_plan>(b).settings;
    const auto& x = std::get<tcp_link_plan>(a);
    const auto& y = std::get<tcp_link_plan>(b);
    return x == y;
}

/// What a reload from `running` to `next` would need a restart for: channels or listeners
/// added or removed, a changed link, listener address, port, protocol or serial line. Empty:
/// everything in `next` can be applied live. Channels and listeners are matched by name.
inline std::vector<std::string> changes_needing_restart(const gateway_plan& running,
                                                        const gateway_plan& next) {
    std::vector<std::string> out;
    for (const auto& c : next.channels) {
        const auto it = std::find_if(running.channels.begin(), running.channels.end(),
                                     [&](const channel_plan& o) { return o.name == c.name; });
        if (it == running.channels.end()) {
            out.push_back("channel '" + c.name + "' is new");
        } else if (!same_link(it->link, c.link) || it->backoff.first != c.backoff.first ||
                   it->backoff.max != c.backoff.max) {
            out.push_back("channel '" + c.name + "': its link settings changed");
        }
    }
    for (const auto& c : running.channels) {
        if (std::none_of(next.channels.begin(), next.channels.end(),
                         [&](const channel_plan& o) { return o.name == c.name; }))
            out.push_back("channel '" + c.name + "' was removed");
    }
    for (const auto& l : next.listeners) {
        const auto it = std::find_if(running.listeners.begin(), running.listeners.end(),
                                     [&](const listener_plan& o) { return o.name == l.name; });
        if (it == running.listeners.end()) {
            out.push_back("listener '" + l.name + "' is new");
        } else if (it->address != l.address || it->port != l.port || it->protocol != l.protocol ||
                   !(it->serial == l.serial)) {
            out.push_back("listener '" + l.name + "': its address, port, protocol or line changed");
        } else if (!(it->tls == l.tls)) {
            // The context (keys, CA, CRL) is made when the listener opens.
            out.push_back("listener '" + l.name + "': its TLS settings changed");
        } else if (it->enabled != l.enabled && l.protocol == listener_protocol::rtu_serial) {
            out.push_back("listener '" + l.name +
                          "': a serial listener is switched on or off "
                          "at start");
        } else if (it->audit_writes != l.audit_writes) {
            // Connections take the option when they open: a live change would leave the open
            // ones unaudited (or audited against the new setting).
            out.push_back("listener '" + l.name + "': audit_writes changed");
        }
    }
    for (const auto& l : running.listeners) {
        if (std::none_of(next.listeners.begin(), next.listeners.end(),
                         [&](const listener_plan& o) { return o.name == l.name; }))
            out.push_back("listener '" + l.name + "' was removed");
    }
    return out;
}

/// One line for the log: what an applied reload changed (only what can change live; the plans
/// have the same channels and listeners, in the same order, as changes_needing_restart ensured).
inline std::string describe_changes(const gateway_plan& before, const gateway_plan& after) {
    std::vector<std::string> parts;
    if (before.routes.size() != after.routes.size() ||
        !std::equal(before.routes.begin(), before.routes.end(), after.routes.begin(),
                    [](const router::route& a, const router::route& b) {
                        return a.first_unit == b.first_unit && a.last_unit == b.last_unit &&
                               a.channel == b.channel && a.map_to == b.map_to;
                    }))
        parts.push_back("routes (" + std::to_string(after.routes.size()) + ")");
    for (std::size_t i = 0; i < after.channels.size(); ++i) {
        const auto& a = before.channels[i].options;
        const auto& b = after.channels[i].options;
        if (a.response_timeout != b.response_timeout || a.retries != b.retries ||
            a.inter_frame_delay != b.inter_frame_delay || a.priority_hold != b.priority_hold ||
            a.broadcast_turnaround != b.broadcast_turnaround ||
            a.coalesce_reads != b.coalesce_reads || a.queue_per_master != b.queue_per_master ||
            a.framing != b.framing || a.rtu_mode != b.rtu_mode)
            parts.push_back("channel '" + after.channels[i].name + "' options");
    }
    for (std::size_t i = 0; i < after.listeners.size(); ++i) {
        const auto& a = before.listeners[i];
        const auto& b = after.listeners[i];
        if (a.allowlist != b.allowlist)
            parts.push_back("listener '" + b.name + "' allowlist (" +
                            std::to_string(b.allowlist.size()) + " entries)");
        if (a.limits != b.limits || a.idle_timeout != b.idle_timeout ||
            a.write_timeout != b.write_timeout || a.frame_timeout != b.frame_timeout ||
            a.priority != b.priority)
            parts.push_back("listener '" + b.name + "' limits, timeouts or priority");
        if (!a.rate_limit.same_limits(b.rate_limit) || a.rate_limit_exempt != b.rate_limit_exempt)
            parts.push_back("listener '" + b.name + "' rate limits");
        if (a.read_only != b.read_only || a.roles_by_source != b.roles_by_source)
            parts.push_back("listener '" + b.name + "' authorization");
        if (a.enabled != b.enabled)
            parts.push_back("listener '" + b.name + "' " + (b.enabled ? "enabled" : "disabled"));
    }
    if (before.accessible_ips != after.accessible_ips)
        parts.push_back("accessible IP list (" +
                        std::string(after.accessible_ips.list_active ? "active" : "inactive") +
                        ", " + std::to_string(after.accessible_ips.entries.size()) + " entries)");
    if (!(before.authorization == after.authorization)) parts.push_back("authorization rules");
    if (before.max_connections != after.max_connections) parts.push_back("limits");
    if (before.event_log_capacity != after.event_log_capacity)
        parts.push_back("event log capacity");
    if (parts.empty()) return "nothing changed";
    std::string out;
    for (const auto& p : parts)
        out += (out.empty() ? "" : ", ") + p;
    return out;
}

}  // namespace gw::gateway
