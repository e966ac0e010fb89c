#pragma once
// A telnet_decoder handler that writes what it is told as text ("data:41 ff", "will:44",
// "com:1=9600"...), with adjacent data runs merged: how the stream was cut must not show.

#include <gw/device_server/telnet_codec.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace gw::test {

inline std::string hex(std::span<const std::uint8_t> b) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    for (const auto v : b) {
        if (!s.empty()) {
            s += ' ';
        }
        s += digits[v >> 4U];
        s += digits[v & 0xFU];
    }
    return s;
}

struct telnet_recorder {
    std::vector<std::string> events;
    std::size_t data_calls = 0;
    std::vector<std::uint8_t> data;  // all data bytes, in order

    void on_data(std::span<const std::uint8_t> run) {
        ++data_calls;
        data.insert(data.end(), run.begin(), run.end());
        if (!events.empty() && events.back().starts_with("data:")) {
            events.back() += " " + hex(run);
        } else {
            events.push_back("data:" + hex(run));
        }
    }
    void on_option(device_server::telnet_verb v, std::uint8_t option) {
        using device_server::telnet_verb;
        const char* name = v == telnet_verb::will   ? "will:"
                           : v == telnet_verb::wont ? "wont:"
                           : v == telnet_verb::do_  ? "do:"
                                                    : "dont:";
        events.push_back(name + std::to_string(option));
    }
    void on_com_port(const device_server::com_port_command& c) {
        std::string s = "com:" + std::to_string(c.raw_code);
        if (c.has_value) {
            s += "=" + std::to_string(c.value);
        }
        if (c.text_size > 0) {
            s += " text:" + hex(c.signature());
        }
        events.push_back(s);
    }
    void on_malformed(device_server::telnet_malformed m) {
        using device_server::telnet_malformed;
        events.push_back(m == telnet_malformed::too_long          ? "bad:too_long"
                         : m == telnet_malformed::bad_length      ? "bad:length"
                         : m == telnet_malformed::unknown_command ? "bad:unknown"
                                                                  : "bad:unterminated");
    }
    void on_command(std::uint8_t c) { events.push_back("cmd:" + std::to_string(c)); }
    void on_subnegotiation(std::uint8_t option, std::span<const std::uint8_t> payload) {
        events.push_back("sb:" + std::to_string(option) + " " + hex(payload));
    }
};

}  // namespace gw::test
