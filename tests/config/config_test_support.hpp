#pragma once
// Helpers shared by the configuration tests.

#include <gw/config/load_config.hpp>

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <variant>

namespace gw::config::test {

/// The configuration `text` parses to; fails the test (with the error) if it does not parse.
inline gateway_config config_of(std::string_view text) {
    auto r = parse_config(text, "test.json");
    if (auto* e = std::get_if<config_error>(&r)) {
        FAIL_CHECK("unexpected error: " << e->to_string());
        return {};
    }
    return std::get<gateway_config>(std::move(r));
}

/// The error `text` is refused with; fails the test if it parses.
inline config_error error_of(std::string_view text) {
    auto r = parse_config(text, "test.json");
    if (auto* e = std::get_if<config_error>(&r)) {
        return *e;
    }
    FAIL_CHECK("expected an error for: " << text);
    return {};
}

/// A valid document around the given pieces (each on one line, so columns are predictable).
inline std::string document(std::string_view channels, std::string_view listeners,
                            std::string_view routes, std::string_view extra = {}) {
    std::string s = "{\n\"channels\": [";
    s += channels;
    s += "],\n\"listeners\": [";
    s += listeners;
    s += "],\n\"routes\": [";
    s += routes;
    s += "]";
    if (!extra.empty()) {
        s += ",\n";
        s += extra;
    }
    s += "\n}\n";
    return s;
}

inline constexpr std::string_view serial_channel =
    R"({"name": "line1", "type": "serial", "device": "/dev/ttyUSB0"})";
inline constexpr std::string_view tcp_listener =
    R"({"name": "modbus", "protocol": "modbus_tcp", "port": 1502})";
inline constexpr std::string_view route = R"({"units": "1-3", "channel": "line1"})";

/// A document whose only unusual part is `channel` (line 2).
inline std::string with_channel(std::string_view channel) {
    return document(channel, tcp_listener, route);
}
/// A document whose only unusual part is `listener` (line 3).
inline std::string with_listener(std::string_view listener) {
    return document(serial_channel, listener, route);
}
/// A document whose only unusual part is the routes list (line 4).
inline std::string with_routes(std::string_view routes) {
    return document(serial_channel, tcp_listener, routes);
}

}  // namespace gw::config::test
