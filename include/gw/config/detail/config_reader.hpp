#pragma once
// Turns the located JSON tree into a gateway_config. Each object's keys and values are read by
// its key table (config_keys.hpp); what is here is the structure (which table applies to which
// object: a channel's type, a listener's protocol) and the rules that involve more than one key
// or object: names unique, a serial device used once, mode and data bits, endpoints that
// clash, per-source limits, overlapping routes, route targets. The first problem found becomes a
// config_error that names its position, its key path and what would be acceptable.

#include <gw/config/config_error.hpp>
#include <gw/config/detail/config_keys.hpp>
#include <gw/config/detail/json_document.hpp>
#include <gw/config/detail/value_reader.hpp>
#include <gw/config/gateway_config.hpp>
#include <gw/config/ip_network.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace gw::config::detail {

class config_reader : value_reader {
public:
    config_reader(std::string_view text, std::string_view file)
        : value_reader(text, file, &is_declared_key) {}

    std::variant<gateway_config, config_error> read(const json_value& root) {
        gateway_config c;
        if (read_root(root, c)) {
            return c;
        }
        return std::move(*error());
    }

private:
    template <class Table, class S>
    bool read_key(const Table& table, std::string_view key, const json_value& obj,
                  const path_t& path, S& out) {
        const auto d = std::find_if(std::begin(table), std::end(table),
                                    [&](const key_decl<S>& k) { return k.key == key; });
        return read_keys(std::span(d, 1), obj, path, out);
    }

    bool unique_name(const json_value& obj, const path_t& path, const std::string& name) {
        for (const auto& [other, owner] : names_) {
            if (other == name) {
                return fail_at(*member(obj, "name"), member_path(path, "name"),
                               quote_text(name) + " is already the name of " + owner);
            }
        }
        names_.emplace_back(name, path);
        return true;
    }

    // ---- rules of a serial line, a tcp listener ---------------------------------------------

    /// Called after the owner's name was read: the owner is the last name registered.
    bool line_rules(const json_value& obj, const path_t& path, const serial_line_config& line) {
        const auto& [name, owner] = names_.back();
        for (const auto& [device, user] : devices_) {
            if (device == line.device) {
                return fail_at(*member(obj, "device"), member_path(path, "device"),
                               quote_text(device) + " is already used by " + user);
            }
        }
        devices_.emplace_back(line.device, owner + " (" + quote_text(name) + ")");
        if (line.mode == serial_mode::rtu && line.data_bits != 8) {
            return fail_at(*member(obj, "data_bits"), member_path(path, "data_bits"),
                           "RTU frames need 8 data bits (7 is only for \"mode\": \"ascii\")");
        }
        if (line.mode == serial_mode::ascii && member(obj, "framing") != nullptr) {
            return fail_at(*member(obj, "framing"), member_path(path, "framing"),
                           "\"framing\" only applies to \"mode\": \"rtu\" (ASCII frames end with "
                           "CR LF)");
        }
        return true;
    }
    bool link_rules(const json_value& obj, const path_t& path, const serial_line_config& line) {
        return line_rules(obj, path, line);
    }
    bool link_rules(const json_value&, const path_t&, const tcp_device_config&) { return true; }
    bool link_rules(const json_value&, const path_t&, const simulator_config&) { return true; }

    /// Two sockets cannot listen on the same port when their addresses are equal, when one is
    /// 0.0.0.0 and the other IPv4, or when one is "::" (dual-stack: it covers IPv4 as well).
    static bool endpoints_clash(const tcp_listener_config& a, const tcp_listener_config& b) {
        if (a.port != b.port) {
            return false;
        }
        ip_address x;
        ip_address y;
        parse_ip_address(a.address, x);
        parse_ip_address(b.address, y);
        const auto unspecified = [](const ip_address& z) {
            return std::all_of(z.bytes.begin(), z.bytes.end(),
                               [](std::uint8_t o) { return o == 0; });
        };
        return x == y || (unspecified(x) && (!x.v4 || y.v4)) || (unspecified(y) && (!y.v4 || x.v4));
    }

    static std::string endpoint_text(const tcp_listener_config& t) {
        const bool v6 = t.address.find(':') != std::string::npos;
        return (v6 ? "[" + t.address + "]" : t.address) + ":" + std::to_string(t.port);
    }

    bool endpoint_rules(const json_value& obj, const path_t& path, const tcp_listener_config& tcp,
                        std::span<const listener_config> earlier) {
        if (tcp.max_connections_per_source > tcp.max_connections) {
            const json_value* per = member(obj, "max_connections_per_source");
            return fail_at(per != nullptr ? *per : *member(obj, "max_connections"),
                           member_path(path, "max_connections_per_source"),
                           std::to_string(tcp.max_connections_per_source) +
                               " exceeds max_connections (" + std::to_string(tcp.max_connections) +
                               ")");
        }
        for (std::size_t i = 0; i < earlier.size(); ++i) {
            const auto* other = std::get_if<tcp_listener_config>(&earlier[i].endpoint);
            if (other != nullptr && endpoints_clash(tcp, *other)) {
                return fail_at(*member(obj, "port"), member_path(path, "port"),
                               endpoint_text(tcp) + " clashes with " + endpoint_text(*other) +
                                   " of listeners[" + std::to_string(i) + "] (" +
                                   quote_text(earlier[i].name) + ")");
            }
        }
        return true;
    }
    bool endpoint_rules(const json_value& obj, const path_t& path, const serial_line_config& line,
                        std::span<const listener_config>) {
        return line_rules(obj, path, line);
    }

    // ---- channels and listeners ---------------------------------------------------------------

    bool read_channel(const json_value& v, const path_t& path, channel_config& out) {
        if (!expect(v, path, json_kind::object, "an object (a channel)") ||
            !read_key(channel_head_keys, "type", v, path, out)) {
            return false;
        }
        const std::vector<std::string_view> other_links =
            key_names({}, serial_line_keys, tcp_device_keys, simulator_keys);
        const std::string what = "a " + std::string(to_string(out.type())) + " channel";
        return std::visit(
            [&](auto& link) {
                const auto link_keys = keys_of(link);
                return check_keys(v, path,
                                  key_names({}, channel_head_keys, link_keys, channel_option_keys),
                                  what, other_links) &&
                       read_keys(channel_head_keys, v, path, out, "type") &&
                       unique_name(v, path, out.name) && read_keys(link_keys, v, path, link) &&
                       link_rules(v, path, link) && read_keys(channel_option_keys, v, path, out);
            },
            out.link);
    }

    bool read_listener(const json_value& v, const path_t& path, listener_config& out,
                       std::span<const listener_config> earlier) {
        if (!expect(v, path, json_kind::object, "an object (a listener)") ||
            !read_key(listener_head_keys, "protocol", v, path, out)) {
            return false;
        }
        std::string what = "a " + std::string(to_string(out.protocol)) + " listener";
        std::string_view skip;
        if (out.protocol == listener_protocol::rtu_serial) {
            if (const json_value* mode = member(v, "mode")) {
                return fail_at(*mode, member_path(path, "mode"),
                               "an rtu_serial listener always speaks RTU: remove \"mode\"");
            }
            out.endpoint = serial_line_config{};
            what = "an rtu_serial listener";
            skip = "mode";
        }
        // "tls" belongs to modbus_tls listeners, and they cannot go without it.
        if (const json_value* tls = member(v, "tls");
            tls != nullptr && out.protocol != listener_protocol::modbus_tls) {
            return fail_at(*tls, member_path(path, "tls"),
                           "only a modbus_tls listener has \"tls\"");
        } else if (tls == nullptr && out.protocol == listener_protocol::modbus_tls) {
            return fail_at(v, member_path(path, "tls"),
                           "a modbus_tls listener needs \"tls\" (certificate, private_key, ca)");
        }
        const std::vector<std::string_view> other_endpoints =
            key_names({}, tcp_listener_keys, serial_line_keys);
        return std::visit(
            [&](auto& endpoint) {
                const auto keys = keys_of(endpoint);
                return check_keys(v, path, key_names(skip, listener_head_keys, keys), what,
                                  other_endpoints) &&
                       read_keys(listener_head_keys, v, path, out, "protocol") &&
                       unique_name(v, path, out.name) && read_keys(keys, v, path, endpoint, skip) &&
                       endpoint_rules(v, path, endpoint, earlier);
            },
            out.endpoint);
    }

    // ---- routes ------------------------------------------------------------------------------

    bool read_route(const json_value& v, const path_t& path, route_config& out,
                    const gateway_config& c) {
        if (!expect(v, path, json_kind::object, "an object (a route)") ||
            !check_keys(v, path, key_names({}, route_keys), "a route") ||
            !read_keys(route_keys, v, path, out)) {
            return false;
        }
        for (std::size_t i = 0; i < c.routes.size(); ++i) {
            if (c.routes[i].units.overlaps(out.units)) {
                return fail_at(*member(v, "units"), member_path(path, "units"),
                               "units " + format_units(out.units) + " overlap routes[" +
                                   std::to_string(i) + "] (units " +
                                   format_units(c.routes[i].units) + ")");
            }
        }
        if (find_channel(c, out.channel) == nullptr) {
            std::vector<std::string_view> names;
            for (const channel_config& cc : c.channels) {
                names.push_back(cc.name);
            }
            std::string msg = "no channel is named " + quote_text(out.channel);
            if (const auto near = closest(out.channel, names)) {
                msg += " (did you mean \"" + std::string(*near) + "\"?)";
            } else {
                msg += "; the channels are " + join_quoted(names);
            }
            return fail_at(*member(v, "channel"), member_path(path, "channel"), std::move(msg));
        }
        if (out.map_to) {
            const json_value& m = *member(v, "map_to");
            const path_t p = member_path(path, "map_to");
            if (out.units.first == 0) {
                return fail_at(m, p, "a broadcast (unit 0) cannot be mapped to a unit");
            }
            const std::int64_t span = out.units.last - out.units.first;
            if (*out.map_to + span > max_unit) {
                return fail_at(m, p,
                               "units " + format_units(out.units) + " mapped to " +
                                   std::to_string(*out.map_to) + " would reach unit " +
                                   std::to_string(*out.map_to + span) + "; map_to can be at most " +
                                   std::to_string(max_unit - span));
            }
        }
        return true;
    }

    // ---- the document ------------------------------------------------------------------------

    /// The list under `d.key`: present, an array, d.lo..d.hi long, each element read by `one`.
    template <class T, class F>
    bool read_list(const json_value& root, const key_decl<gateway_config>& d,
                   std::string_view element, std::vector<T>& out, F&& one) {
        const json_value* v = member(root, d.key);
        const path_t path(d.key);
        if (v == nullptr) {
            return missing(root, {}, d.key);
        }
        if (v->kind != json_kind::array) {
            return wrong_type(*v, path, "an array");
        }
        if (v->elements.empty()) {
            return fail_at(*v, path, "at least one " + std::string(element) + " is needed");
        }
        const auto max = static_cast<std::size_t>(d.hi);
        if (v->elements.size() > max) {
            return fail_at(v->elements[max], element_path(path, max),
                           "more than " + std::to_string(max) + " " + path);
        }
        for (std::size_t i = 0; i < v->elements.size(); ++i) {
            T t;
            if (!one(v->elements[i], element_path(path, i), t)) {
                return false;
            }
            out.push_back(std::move(t));
        }
        return true;
    }

    bool read_root(const json_value& root, gateway_config& c) {
        const auto& [channels, listeners, routes] = document_list_keys;
        return expect(root, {}, json_kind::object, "a JSON object at the top level") &&
               check_keys(root, {}, key_names({}, document_list_keys, document_object_keys),
                          "the top level") &&
               read_list(root, channels, "channel", c.channels,
                         [&](const json_value& v, const path_t& p, channel_config& ch) {
                             return read_channel(v, p, ch);
                         }) &&
               read_list(root, listeners, "listener", c.listeners,
                         [&](const json_value& v, const path_t& p, listener_config& l) {
                             return read_listener(v, p, l, c.listeners);
                         }) &&
               read_list(root, routes, "route", c.routes,
                         [&](const json_value& v, const path_t& p, route_config& r) {
                             return read_route(v, p, r, c);
                         }) &&
               read_keys(document_object_keys, root, {}, c) && authorization_rules(root, c);
    }

    /// Each roles_by_source rule names a role of `authorization.roles` (read after the
    /// listeners, so checked here, at the rule's "role").
    bool authorization_rules(const json_value& root, const gateway_config& c) {
        const json_value& listeners = *member(root, "listeners");
        for (std::size_t i = 0; i < c.listeners.size(); ++i) {
            const auto* tcp = std::get_if<tcp_listener_config>(&c.listeners[i].endpoint);
            if (tcp == nullptr) continue;
            for (std::size_t k = 0; k < tcp->roles_by_source.size(); ++k) {
                const std::string& role = tcp->roles_by_source[k].role;
                const json_value& rule =
                    member(listeners.elements[i], "roles_by_source")->elements[k];
                const path_t p =
                    element_path(member_path(element_path("listeners", i), "roles_by_source"), k) +
                    ".role";
                if (!c.authorization) {
                    return fail_at(*member(rule, "role"), p,
                                   "roles_by_source needs an \"authorization\" object that "
                                   "defines the role " +
                                       quote_text(role));
                }
                const auto& roles = c.authorization->roles;
                if (std::none_of(roles.begin(), roles.end(),
                                 [&](const role_config& r) { return r.name == role; })) {
                    std::vector<std::string_view> names;
                    for (const role_config& r : roles) {
                        names.push_back(r.name);
                    }
                    std::string msg =
                        "no role is named " + quote_text(role) + " in authorization.roles";
                    if (const auto near = closest(role, names)) {
                        msg += " (did you mean \"" + std::string(*near) + "\"?)";
                    }
                    return fail_at(*member(rule, "role"), p, std::move(msg));
                }
            }
        }
        return true;
    }

    std::vector<std::pair<std::string, path_t>> names_;    // channel and listener names
    std::vector<std::pair<std::string, path_t>> devices_;  // serial devices in use, and by whom
};

}  // namespace gw::config::detail
