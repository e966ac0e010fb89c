// Tests include/gw/config/default_config.hpp: the commented default file is the built-in default.

#include "config/config_test_support.hpp"

#include <gw/config/default_config.hpp>
#include <gw/config/detail/config_keys.hpp>
#include <gw/config/load_config.hpp>
#include <gw/config/to_json.hpp>

#include <boost/json/parse.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <string_view>

using namespace gw::config;
using namespace gw::config::test;
namespace bj = boost::json;

namespace {

// The examples the default text shows in comments, as they read uncommented.
constexpr std::string_view serial_example =
    R"({ "name": "line1", "type": "serial", "device": "/dev/ttyUSB0", "baud": 19200,
         "parity": "even", "response_timeout_ms": 1000 })";
constexpr std::string_view tcp_example =
    R"({ "name": "plc2", "type": "tcp", "host": "192.168.1.20", "port": 502 })";
constexpr std::string_view route_example = R"({ "units": "11-13", "channel": "sim", "map_to": 1 })";

/// `text` without comment markers and white space: where a commented example can be found.
std::string squeezed(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text.substr(i, 2) == "//") {
            ++i;
        } else if (std::isspace(static_cast<unsigned char>(text[i])) == 0) {
            out += text[i];
        }
    }
    return out;
}

/// Every optional key `o` gives a value shows its declared default, unless it is in `chosen` (a
/// value picked for this configuration); keys without a default (map_to) show a choice.
template <class... Tables>
void check_shown_defaults(const bj::object& o, const std::set<std::string_view>& chosen,
                          const Tables&... tables) {
    for (const auto& m : o) {
        CAPTURE(m.key());
        bool declared = false;
        const auto check_in = [&](const auto& table) {
            using S = typename std::remove_cvref_t<decltype(table[0])>::owner;
            for (const auto& d : table) {
                if (d.key != std::string_view(m.key())) {
                    continue;
                }
                declared = true;
                if (d.required || chosen.count(d.key) != 0) {
                    continue;
                }
                const auto shown = d.write(S{});
                if (shown && shown->is_object()) {  // limits, log: each key shown
                    for (const auto& inner : m.value().as_object()) {
                        CHECK(shown->as_object().at(inner.key()) == inner.value());
                    }
                } else if (shown) {
                    CHECK(m.value() == *shown);
                }
            }
        };
        (check_in(tables), ...);
        CHECK_MESSAGE(declared, "not a declared key");
    }
}

void check_channel(const bj::object& o) {
    using namespace gw::config::detail;
    const bj::string& type = o.at("type").as_string();
    if (type == "serial") {
        check_shown_defaults(o, {}, channel_head_keys, serial_line_keys, channel_option_keys);
    } else if (type == "tcp") {
        check_shown_defaults(o, {}, channel_head_keys, tcp_device_keys, channel_option_keys);
    } else {
        check_shown_defaults(o, {}, channel_head_keys, simulator_keys, channel_option_keys);
    }
}

bj::object parsed(std::string_view text) {
    bj::parse_options options;
    options.allow_comments = true;
    options.allow_trailing_commas = true;
    return bj::parse(bj::string_view(text.data(), text.size()), {}, options).as_object();
}

}  // namespace

TEST_CASE("the default configuration text parses to default_config()") {
    const gateway_config c = config_of(default_config_text());
    CHECK(c == default_config());
}

TEST_CASE(
    "the default: simulator units 1-3, loopback listeners on 1502 (normal), 1503 (high), "
    "1802 (Modbus/TCP Security), roles operator and viewer") {
    const gateway_config c = default_config();
    REQUIRE(c.channels.size() == 1);
    CHECK(c.channels[0].name == "sim");
    CHECK(c.channels[0].type() == channel_type::simulator);
    CHECK(std::get<simulator_config>(c.channels[0].link).units == unit_range{1, 3});
    REQUIRE(c.listeners.size() == 3);
    for (const listener_config& l : c.listeners) {
        const auto& t = std::get<tcp_listener_config>(l.endpoint);
        CHECK(t.address == "127.0.0.1");  // closed to the network until configured
        CHECK(t.allowlist.empty());
    }
    CHECK(c.listeners[0].protocol == listener_protocol::modbus_tcp);
    CHECK(c.listeners[1].protocol == listener_protocol::modbus_tcp);
    CHECK(c.listeners[2].protocol == listener_protocol::modbus_tls);
    const auto& secure = std::get<tcp_listener_config>(c.listeners[2].endpoint);
    CHECK(secure.port == 1802);
    CHECK(secure.tls.certificate == "pki/server.crt");  // relative: in the state directory
    // A modbus_tls listener needs rules, and the plain ones get theirs from the source address.
    REQUIRE(c.authorization.has_value());
    REQUIRE(c.authorization->roles.size() == 2);
    CHECK(c.authorization->roles[0].name == "operator");
    CHECK(c.authorization->roles[1].name == "viewer");
    CHECK(c.authorization->roles[1].rules.at(0).access == rule_access::read);
    CHECK(c.authorization->null_role.empty());  // a master without a role gets nothing
    for (std::size_t i : {0U, 1U}) {
        const auto& t = std::get<tcp_listener_config>(c.listeners[i].endpoint);
        REQUIRE(t.roles_by_source.size() == 1);
        CHECK(t.roles_by_source[0].role == "operator");
    }
    CHECK(std::get<tcp_listener_config>(c.listeners[0].endpoint).port == 1502);
    CHECK(c.listeners[0].priority == priority_class::normal);
    CHECK(std::get<tcp_listener_config>(c.listeners[1].endpoint).port == 1503);
    CHECK(c.listeners[1].priority == priority_class::high);
    REQUIRE(c.routes.size() == 1);
    CHECK(c.routes[0].units == unit_range{1, 3});
    CHECK(c.routes[0].channel == "sim");
    CHECK_FALSE(c.routes[0].map_to.has_value());
    CHECK(c.limits == limits_config{});
    CHECK(c.log == log_config{});
}

TEST_CASE("the default round-trips through to_json") {
    CHECK(config_of(to_json(default_config())) == default_config());
}

TEST_CASE("the commented-out examples in the default text are valid too") {
    // Uncommenting the examples must give a working file: check them as the file shows them.
    const std::string squeezed_text = squeezed(default_config_text());
    for (const std::string_view example : {serial_example, tcp_example, route_example}) {
        CHECK_MESSAGE(squeezed_text.find(squeezed(example)) != std::string::npos, example);
    }
    const std::string text = document(
        std::string(serial_example) + ", " + std::string(tcp_example) +
            R"(, { "name": "sim", "type": "simulator", "units": "1-3" })",
        tcp_listener, R"({ "units": "1-3", "channel": "sim" }, )" + std::string(route_example));
    CHECK(config_of(text).channels.size() == 3);
}

TEST_CASE("the values the default text shows for optional keys are the declared defaults") {
    using namespace gw::config::detail;
    const bj::object root = parsed(default_config_text());
    check_shown_defaults(root, {}, document_list_keys, document_object_keys);
    for (const auto& ch : root.at("channels").as_array()) {
        check_channel(ch.as_object());
    }
    for (const std::string_view example : {serial_example, tcp_example}) {
        check_channel(parsed(example));
    }
    const bj::array& listeners = root.at("listeners").as_array();
    REQUIRE(listeners.size() == 3);
    check_shown_defaults(listeners[0].as_object(), {"roles_by_source"}, listener_head_keys,
                         tcp_listener_keys);
    // The priority listener is the point of the second one: its priority is a choice.
    check_shown_defaults(listeners[1].as_object(), {"priority", "roles_by_source"},
                         listener_head_keys, tcp_listener_keys);
    check_shown_defaults(listeners[2].as_object(), {"tls"}, listener_head_keys, tcp_listener_keys);
    for (const auto& r : root.at("routes").as_array()) {
        check_shown_defaults(r.as_object(), {}, route_keys);
    }
    check_shown_defaults(parsed(route_example), {}, route_keys);
}
