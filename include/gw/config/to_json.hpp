#pragma once
// Writes a configuration back as JSON that parse_config() reads into an equal gateway_config:
// every key is written, defaults included, so a saved file documents what the gateway runs with.
// The keys and their order come from the key tables (detail/config_keys.hpp); the values are
// Boost.JSON values, serialised (and escaped) by Boost.JSON, laid out for people to read.
//
// Needs Boost.JSON's compiled part once in the program: gw/config/json_impl.hpp, or Boost::json.

#include <gw/config/detail/config_keys.hpp>
#include <gw/config/detail/json_pretty.hpp>
#include <gw/config/gateway_config.hpp>

#include <boost/json/value.hpp>

#include <string>
#include <utility>
#include <variant>

namespace gw::config {

namespace detail {

/// Appends `from`'s members to `to`: an object made of a head, its variant's keys and a tail.
inline boost::json::object& append(boost::json::object& to, boost::json::object from) {
    for (auto& m : from) {
        to.emplace(m.key(), std::move(m.value()));
    }
    return to;
}

}  // namespace detail

/// The configuration as a Boost.JSON value, keys in declaration order. Throws only
/// std::bad_alloc.
inline boost::json::value to_json_value(const gateway_config& c) {
    namespace bj = boost::json;
    using namespace detail;
    const auto link_keys = [](const auto& link) { return write_keys(keys_of(link), link); };
    // An rtu_serial listener has no "mode": it always speaks RTU.
    const auto endpoint_keys = [](const auto& e) { return write_keys(keys_of(e), e, "mode"); };
    bj::object out;
    bj::array& channels = out["channels"].emplace_array();
    for (const channel_config& ch : c.channels) {
        bj::object o = write_keys(channel_head_keys, ch);
        append(o, std::visit(link_keys, ch.link));
        channels.emplace_back(std::move(append(o, write_keys(channel_option_keys, ch))));
    }
    bj::array& listeners = out["listeners"].emplace_array();
    for (const listener_config& l : c.listeners) {
        bj::object o = write_keys(listener_head_keys, l);
        listeners.emplace_back(std::move(append(o, std::visit(endpoint_keys, l.endpoint))));
    }
    bj::array& routes = out["routes"].emplace_array();
    for (const route_config& r : c.routes) {
        routes.emplace_back(write_keys(route_keys, r));
    }
    return std::move(append(out, write_keys(document_object_keys, c)));
}

/// The configuration as JSON text (2-space indentation, every key present). Throws only
/// std::bad_alloc.
inline std::string to_json(const gateway_config& c) {
    std::string out;
    detail::write_pretty(to_json_value(c), out);
    out += '\n';
    return out;
}

}  // namespace gw::config
