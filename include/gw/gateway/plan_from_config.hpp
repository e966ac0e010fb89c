#pragma once
// gw::config::gateway_config (what the operator wrote) -> gw::gateway_plan (what the
// engine runs): the bridge a program uses to run a gateway from a configuration file. Simulator
// channels are given a device path by the caller, who starts the simulators (the gateway
// program does; a program without simulators passes nothing and such a channel stays down).

#include <gw/config/gateway_config.hpp>
#include <gw/gateway/gateway_plan.hpp>

#include <functional>
#include <string>

namespace gw::gateway {

inline transport::serial_settings to_serial_settings(const config::serial_line_config& s) {
    transport::serial_settings out;
    out.device = s.device;
    out.baud = s.baud;
    out.data_bits = s.data_bits;
    out.parity = s.parity;
    out.stop_bits = s.stop_bits;
    out.rs485 = s.rs485;  // one type from the file to TIOCSRS485: nothing to convert or round
    out.low_latency = s.low_latency;
    return out;
}

/// The engine's settings from a listener's "rate_limit" object (exempt networks: the plan's
/// rate_limit_exempt, which owns them).
inline policy::rate_limit_settings to_rate_limit_settings(const config::rate_limit_config& c) {
    policy::rate_limit_settings s;
    s.requests_per_connection = {c.connection_requests_per_s, c.connection_burst};
    s.requests_per_source = {c.source_requests_per_s, c.source_burst};
    s.requests_per_listener = {c.listener_requests_per_s, c.listener_burst};
    s.connections_per_source = {c.source_connections_per_s, c.source_connection_burst};
    s.block_after = c.block_after;
    s.block_window = c.block_window;
    s.block_for = c.block_for;
    s.audit_window = c.audit_window;
    return s;
}

inline policy::access_rule to_access_rule(const config::access_rule_config& c) {
    policy::access_rule r;
    for (const std::uint8_t fc : c.functions)
        (void)r.functions.add(fc);  // 1..127, as the reader accepts them
    r.first_unit = c.units.first;
    r.last_unit = c.units.last;
    r.first_address = c.addresses.first;
    r.last_address = c.addresses.last;
    r.access = c.access == config::rule_access::read    ? policy::access_mode::read
               : c.access == config::rule_access::write ? policy::access_mode::write
                                                        : policy::access_mode::read_write;
    return r;
}

inline std::vector<policy::access_rule> to_access_rules(
    const std::vector<config::access_rule_config>& rules) {
    std::vector<policy::access_rule> out;
    for (const auto& r : rules)
        out.push_back(to_access_rule(r));
    return out;
}

/// `simulator_device(name)` returns the serial device a simulator channel's simulator serves.
inline gateway_plan plan_from_config(
    const config::gateway_config& c,
    const std::function<std::string(const std::string&)>& simulator_device = {}) {
    gateway_plan plan;
    plan.accessible_ips = {c.accessible_ip_list.active,
                           c.accessible_ip_list.additional_restrictions,
                           c.accessible_ip_list.entries};
    plan.max_connections = c.limits.max_connections;
    plan.event_log_capacity = c.log.event_log_capacity;
    if (c.authorization) {
        plan.authorization.enabled = true;
        for (const auto& role : c.authorization->roles)
            plan.authorization.roles.push_back({role.name, to_access_rules(role.rules)});
        plan.authorization.null_role = to_access_rules(c.authorization->null_role);
    }
    for (const auto& ch : c.channels) {
        channel_plan p;
        p.name = ch.name;
        p.options.response_timeout = ch.response_timeout;
        p.options.retries = ch.retries;
        p.options.inter_frame_delay = ch.inter_frame_delay;
        p.options.broadcast_turnaround = ch.broadcast_turnaround;
        p.options.priority_hold = ch.priority_hold;
        p.options.coalesce_reads = ch.coalesce_reads;
        p.options.queue_per_master = ch.queue_per_master;
        if (const auto* s = std::get_if<config::serial_line_config>(&ch.link)) {
            p.link = serial_link_plan{to_serial_settings(*s)};
            p.options.framing = s->mode == config::serial_mode::ascii
                                    ? router::channel_framing::ascii
                                    : router::channel_framing::rtu;
            p.options.rtu_mode = s->framing == config::serial_framing::silence
                                     ? rtu_framing::silence
                                     : rtu_framing::predicted;
            p.options.timing = rtu_timing_for_baud(s->baud);
            p.backoff = {s->reopen_backoff.initial, s->reopen_backoff.max};
        } else if (const auto* t = std::get_if<config::tcp_device_config>(&ch.link)) {
            tcp_link_plan link;
            link.host = t->host;
            link.port = t->port;
            link.connect_timeout = t->connect_timeout;
            link.reconnect_after_timeouts = t->reconnect_after_timeouts;
            link.tls = {.ca = t->tls.ca,
                        .certificate = t->tls.certificate,
                        .private_key = t->tls.private_key,
                        .server_name = t->tls.server_name};
            p.link = link;
            p.options.framing = t->protocol == config::tcp_protocol::rtu_over_tcp
                                    ? router::channel_framing::rtu
                                    : router::channel_framing::mbap;
            // RTU frames on a TCP stream: gaps between segments never end a frame.
            p.options.rtu_mode = rtu_framing::stream;
            p.backoff = {t->reconnect_backoff.initial, t->reconnect_backoff.max};
        } else {
            transport::serial_settings sim;
            sim.device = simulator_device ? simulator_device(ch.name) : std::string{};
            sim.baud = 115200;
            sim.parity = transport::parity::none;
            p.link = serial_link_plan{sim};
            p.options.timing = rtu_timing_for_baud(sim.baud);
        }
        plan.channels.push_back(std::move(p));
    }
    for (const auto& l : c.listeners) {
        listener_plan p;
        p.name = l.name;
        p.priority = l.priority;
        p.enabled = l.enabled;
        p.protocol = l.protocol;
        if (const auto* t = std::get_if<config::tcp_listener_config>(&l.endpoint)) {
            p.address = t->address;
            p.port = t->port;
            p.limits = {t->max_connections, t->max_connections_per_source};
            if (t->idle_timeout.count() > 0) p.idle_timeout = t->idle_timeout;
            p.write_timeout = t->write_timeout;
            p.frame_timeout = t->frame_timeout;
            p.allowlist = t->allowlist;  // the config holds policy networks
            p.rate_limit = to_rate_limit_settings(t->rate_limit);
            p.rate_limit_exempt = t->rate_limit.exempt;
            p.read_only = t->read_only;
            p.audit_writes = t->audit_writes;
            for (const auto& sr : t->roles_by_source)
                p.roles_by_source.push_back({sr.network, sr.role});
            p.tls = {.certificate = t->tls.certificate,
                     .private_key = t->tls.private_key,
                     .ca = t->tls.ca,
                     .crl = t->tls.crl,
                     .ciphers = t->tls.ciphers,
                     .handshake_timeout = t->tls.handshake_timeout,
                     .max_handshakes = t->tls.max_handshakes,
                     .max_handshakes_per_source = t->tls.max_handshakes_per_source};
        } else {
            p.serial = to_serial_settings(std::get<config::serial_line_config>(l.endpoint));
        }
        plan.listeners.push_back(std::move(p));
    }
    for (const auto& r : c.routes) {
        router::route route;
        route.first_unit = r.units.first;
        route.last_unit = r.units.last;
        route.map_to = r.map_to.value_or(0);
        for (std::size_t i = 0; i < c.channels.size(); ++i) {
            if (c.channels[i].name == r.channel) route.channel = static_cast<std::uint16_t>(i);
        }
        plan.routes.push_back(route);
    }
    return plan;
}

}  // namespace gw::gateway
