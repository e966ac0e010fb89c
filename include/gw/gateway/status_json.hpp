#pragma once
// gateway_status as JSON (Boost.JSON), for the status file and the "status" log line. Kept out of
// gateway.hpp so that the runtime does not need Boost.JSON; a program that includes this header
// also needs Boost.JSON's compiled part once (gw/config/json_impl.hpp).
// Strings are escaped by the serialiser: a device path may hold any byte.

#include <gw/gateway/gateway_status.hpp>

#include <boost/json.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace gw::gateway {

namespace detail {

/// {"code": count} for the codes that occurred, e.g. {"3":1,"10":2}.
inline boost::json::object exceptions_json(const std::array<std::uint64_t, 12>& codes) {
    boost::json::object out;
    for (std::size_t code = 1; code < codes.size(); ++code) {
        if (codes[code] != 0) out[std::to_string(code)] = codes[code];
    }
    return out;
}

}  // namespace detail

inline boost::json::value to_json(const channel_status& c) {
    const auto& k = c.counters;
    return boost::json::object{{"name", c.name},
                               {"link", c.link},
                               {"up", c.up},
                               {"queue_depth", c.queue_depth},
                               {"requests", k.requests},
                               {"transactions", k.transactions},
                               {"responses", k.responses},
                               {"device_exceptions", k.device_exceptions},
                               {"timeouts", k.timeouts},
                               {"retries", k.retries},
                               {"crc_errors", k.crc_errors},
                               {"wrong_unit", k.wrong_unit},
                               {"invalid_responses", k.invalid_responses},
                               {"busy_rejections", k.busy_rejections},
                               {"coalesced", k.coalesced},
                               {"broadcasts", k.broadcasts},
                               {"unexpected_bytes", k.unexpected_bytes},
                               {"transport_failures", k.transport_failures},
                               {"exceptions", detail::exceptions_json(k.exceptions_by_code)}};
}

inline boost::json::value to_json(const listener_status& l) {
    const auto& k = l.counters;
    return boost::json::object{
        {"name", l.name},
        {"port", l.port},
        {"connections_accepted", k.connections_accepted},
        {"connections_refused", k.connections_refused},
        {"connections_active", k.connections_active},
        {"idle_timeouts", k.idle_timeouts},
        {"write_timeouts", k.write_timeouts},
        {"frame_timeouts", k.frame_timeouts},
        {"evictions", k.evictions},
        {"accept_failures", k.accept_failures},
        {"protocol_errors", k.protocol_errors},
        {"tls_handshakes_failed", k.tls_handshakes_failed},
        {"tls_handshakes_refused", k.tls_handshakes_refused},
        {"requests", k.requests},
        {"responses", k.responses},
        {"exceptions", detail::exceptions_json(k.exceptions_by_code)},
        {"latency_us", boost::json::object{{"count", k.latency.count()},
                                           {"mean", k.latency.mean_us()},
                                           {"p50_bound", k.latency.quantile_bound_us(0.5)},
                                           {"p99_bound", k.latency.quantile_bound_us(0.99)},
                                           {"max", k.latency.max_us()}}},
        {"rate_limit",
         boost::json::object{{"requests_refused", l.rate_limit.requests_refused},
                             {"connections_refused", l.rate_limit.connections_refused},
                             {"blocked_refusals", l.rate_limit.blocked_refusals},
                             {"blocks", l.rate_limit.blocks},
                             {"evictions", l.rate_limit.evictions},
                             {"overflow", l.rate_limit.overflow}}}};
}

inline boost::json::value to_json(const gateway_status& s) {
    boost::json::array channels;
    channels.reserve(s.channels.size());
    for (const auto& c : s.channels)
        channels.push_back(to_json(c));
    boost::json::array listeners;
    listeners.reserve(s.listeners.size());
    for (const auto& l : s.listeners)
        listeners.push_back(to_json(l));
    boost::json::array blocked;
    blocked.reserve(s.blocked_sources.size());
    for (const auto& b : s.blocked_sources)
        blocked.push_back(boost::json::object{
            {"listener", b.listener}, {"address", b.address}, {"remaining_s", b.remaining_s}});
    boost::json::object out{{"channels", std::move(channels)},
                            {"listeners", std::move(listeners)},
                            {"blocked_sources", std::move(blocked)},
                            {"events", boost::json::object{{"total", s.events.total},
                                                           {"held", s.events.held},
                                                           {"overwritten", s.events.overwritten}}}};
    if (s.audit.enabled) {
        const auto& a = s.audit;
        boost::json::array syslog;
        for (const auto& x : a.syslog)
            syslog.push_back(boost::json::object{{"server", x.server},
                                                 {"sent", x.sent},
                                                 {"dropped", x.dropped},
                                                 {"reconnects", x.reconnects},
                                                 {"backlog", x.backlog},
                                                 {"connected", x.connected},
                                                 {"last_error", x.last_error}});
        out["audit"] = boost::json::object{{"recorded", a.recorded},
                                           {"filtered", a.filtered},
                                           {"dropped", a.dropped},
                                           {"not_stored", a.not_stored},
                                           {"storage_errors", a.storage_errors},
                                           {"storage_ok", a.storage_ok},
                                           {"last_seq", a.last_seq},
                                           {"held", a.held},
                                           {"capacity", a.capacity},
                                           {"last_error", a.last_error},
                                           {"syslog", std::move(syslog)}};
    }
    return out;
}

/// The status as one line of JSON text.
inline std::string status_json_text(const gateway_status& s) {
    return boost::json::serialize(to_json(s));
}

}  // namespace gw::gateway
