// Tests include/gw/config/default_config.hpp: the commented default file is the built-in default.

#include "config/config_test_support.hpp"

#include <gw/config/default_config.hpp>
#include <gw/config/load_config.hpp>
#include <gw/config/to_json.hpp>

#include <doctest/doctest.h>

using namespace gw::config;
using namespace gw::config::test;

TEST_CASE("the default configuration text parses to default_config()") {
    const gateway_config c = config_of(default_config_text());
    CHECK(c == default_config());
}

TEST_CASE("the default: simulator units 1-3, loopback listeners on 1502 (normal), 1503 (high)") {
    const gateway_config c = default_config();
    REQUIRE(c.channels.size() == 1);
    CHECK(c.channels[0].name == "sim");
    CHECK(c.channels[0].type() == channel_type::simulator);
    CHECK(std::get<simulator_config>(c.channels[0].link).units == unit_range{1, 3});
    REQUIRE(c.listeners.size() == 2);
    for (const listener_config& l : c.listeners) {
        const auto& t = std::get<tcp_listener_config>(l.endpoint);
        CHECK(t.address == "127.0.0.1");  // closed to the network until configured
        CHECK(t.allowlist.empty());
        CHECK(l.protocol == listener_protocol::modbus_tcp);
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
    const std::string text = document(
        R"({ "name": "line1", "type": "serial", "device": "/dev/ttyUSB0", "baud": 19200,
         "parity": "even", "response_timeout_ms": 1000 },
       { "name": "plc2", "type": "tcp", "host": "192.168.1.20", "port": 502 },
       { "name": "sim", "type": "simulator", "units": "1-3" })",
        tcp_listener,
        R"({ "units": "1-3", "channel": "sim" }, { "units": "11-13", "channel": "sim", "map_to": 1 })");
    CHECK(config_of(text).channels.size() == 3);
}
