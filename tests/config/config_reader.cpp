// Tests include/gw/config/detail/config_reader.hpp: every validation rule, the key path and the
// position of each error, and the values read when the rules are met.

#include "config/config_test_support.hpp"

#include <gw/config/load_config.hpp>

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

using namespace gw::config;
using namespace gw::config::test;

namespace {

/// "line:column" of the first occurrence of `needle` (the tests' documents are ASCII).
std::string where(std::string_view text, std::string_view needle) {
    const std::size_t at = text.find(needle);
    REQUIRE_MESSAGE(at != std::string_view::npos, needle);
    std::size_t line = 1;
    std::size_t column = 1;
    for (std::size_t i = 0; i < at; ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return std::to_string(line) + ":" + std::to_string(column);
}

struct refusal {
    std::string text;
    std::string_view key_path;
    std::string_view message;    ///< the whole message
    std::string_view points_at;  ///< the error's position is the first occurrence of this
};

void check(const std::vector<refusal>& cases) {
    for (const refusal& r : cases) {
        CAPTURE(r.text);
        const config_error e = error_of(r.text);
        CHECK(e.file == "test.json");
        CHECK(e.key_path == r.key_path);
        CHECK(e.message == r.message);
        CHECK(std::to_string(e.line) + ":" + std::to_string(e.column) ==
              where(r.text, r.points_at));
    }
}

std::string serial(std::string_view extra) {
    return with_channel(R"({"name": "line1", "type": "serial", "device": "/dev/ttyUSB0", )" +
                        std::string(extra) + "}");
}

std::string listener(std::string_view extra) {
    return with_listener(R"({"name": "modbus", "protocol": "modbus_tcp", "port": 1502, )" +
                         std::string(extra) + "}");
}

std::string two_listeners(std::string_view a, std::string_view b) {
    return document(serial_channel, std::string(a) + ", " + std::string(b), route);
}

}  // namespace

TEST_CASE("the top level") {
    check({
        {"[]", "", "expected a JSON object at the top level, got an array", "["},
        {"\"x\"", "", "expected a JSON object at the top level, got the string \"x\"", "\""},
        {document(serial_channel, tcp_listener, route, "\"listener\": []"), "listener",
         "unknown key \"listener\" (did you mean \"listeners\"?)", "\"listener\""},
        {document(serial_channel, tcp_listener, route, "\"extras\": {}"), "extras",
         "unknown key \"extras\"; the top level has the keys \"channels\", \"listeners\", "
         "\"routes\", \"accessible_ip_list\", \"limits\", \"log\", \"audit\", \"authorization\", "
         "\"management\"",
         "\"extras\""},
        {"{\"listeners\": [], \"routes\": []}", "", "missing required key \"channels\"", "{"},
        {"{\"channels\": [" + std::string(serial_channel) + "], \"routes\": []}", "",
         "missing required key \"listeners\"", "{"},
        {"{\"channels\": [" + std::string(serial_channel) + "], \"listeners\": [" +
             std::string(tcp_listener) + "], \"rotes\": []}",
         "rotes", "unknown key \"rotes\" (did you mean \"routes\"?)", "\"rotes\""},
        {"{\"channels\": [], \"listeners\": [], \"routes\": []}", "channels",
         "at least one channel is needed", "["},
        {document(serial_channel, "", route), "listeners", "at least one listener is needed", "[]"},
        {document(serial_channel, tcp_listener, ""), "routes", "at least one route is needed",
         "[]"},
        {"{\"channels\": {}}", "channels", "expected an array, got an object", "{}"},
        {"{\"channels\": [1]}", "channels[0]", "expected an object (a channel), got the number 1",
         "1"},
        {document(serial_channel, tcp_listener, route, "\"log\": {}, \"log\": {}"), "log",
         "duplicate key \"log\" (first at line 5, column 1)", "\"log\": {}\n"},
    });
}

TEST_CASE("a missing required key is reported at its object, with a misspelling spotted") {
    check({
        {with_channel(R"({"name": "line1", "tpye": "serial"})"), "channels[0]",
         "missing required key \"type\" (is \"tpye\" a misspelling?)", "{\"name\""},
        {with_channel(R"({"type": "serial", "device": "/dev/ttyS0"})"), "channels[0]",
         "missing required key \"name\"", "{\"type\""},
        {with_channel(R"({"name": "line1", "type": "serial"})"), "channels[0]",
         "missing required key \"device\"", "{\"name\""},
    });
}

TEST_CASE("channel keys: unknown, misplaced, duplicated") {
    check({
        {serial(R"("baudrate": 9600)"), "channels[0].baudrate",
         "unknown key \"baudrate\" (did you mean \"baud\"?)", "\"baudrate\""},
        {serial(R"("speed": 9600)"), "channels[0].speed",
         "unknown key \"speed\"; a serial channel has the keys \"name\", \"type\", \"device\", "
         "\"baud\", \"data_bits\", \"parity\", \"stop_bits\", \"mode\", \"framing\", \"rs485\", "
         "\"low_latency\", \"reopen_backoff_ms\", \"response_timeout_ms\", \"retries\", "
         "\"inter_frame_delay_ms\", \"broadcast_turnaround_ms\", \"priority_hold_us\", "
         "\"coalesce_reads\", \"queue_per_master\"",
         "\"speed\""},
        {serial(R"("host": "10.0.0.1")"), "channels[0].host",
         "key \"host\" does not apply to a serial channel", "\"host\""},
        {with_channel(R"({"name": "plc", "type": "tcp", "host": "10.0.0.1", "baud": 9600})"),
         "channels[0].baud", "key \"baud\" does not apply to a tcp channel", "\"baud\""},
        {with_channel(R"({"name": "sim", "type": "simulator", "units": 1, "device": "/dev/x"})"),
         "channels[0].device", "key \"device\" does not apply to a simulator channel",
         "\"device\""},
        {serial(R"("baud": 9600, "baud": 19200)"), "channels[0].baud",
         "duplicate key \"baud\" (first at line 2, column 76)", "\"baud\": 19200"},
        {serial("\"\\u0001zzzzzz\": 1"), "channels[0]",
         "unknown key \"\\u0001zzzzzz\"; a serial channel "
         "has the keys \"name\", \"type\", \"device\", \"baud\", \"data_bits\", \"parity\", "
         "\"stop_bits\", \"mode\", \"framing\", \"rs485\", \"low_latency\", \"reopen_backoff_ms\", "
         "\"response_timeout_ms\", \"retries\", \"inter_frame_delay_ms\", "
         "\"broadcast_turnaround_ms\", \"priority_hold_us\", \"coalesce_reads\", "
         "\"queue_per_master\"",
         "\"\\u0001"},
    });
}

TEST_CASE("channel type and name") {
    check({
        {with_channel(R"({"name": "x", "type": "rs232"})"), "channels[0].type",
         "\"rs232\" is not one of \"serial\", \"tcp\", \"simulator\"", "\"rs232\""},
        {with_channel(R"({"name": "x", "type": "seriall"})"), "channels[0].type",
         "\"seriall\" is not one of \"serial\", \"tcp\", \"simulator\" (did you mean \"serial\"?)",
         "\"seriall\""},
        {with_channel(R"({"name": "x", "type": 1})"), "channels[0].type",
         "expected one of \"serial\", \"tcp\", \"simulator\", got the number 1", "1}"},
        {with_channel(R"({"name": "line 1", "type": "serial", "device": "/dev/x"})"),
         "channels[0].name",
         "\"line 1\" is not a valid name: use 1 to 64 letters, digits, '_', '-' or '.'",
         "\"line 1\""},
        {with_channel(R"({"name": "", "type": "serial", "device": "/dev/x"})"), "channels[0].name",
         "\"\" is not a valid name: use 1 to 64 letters, digits, '_', '-' or '.'", "\"\""},
        {with_channel(R"({"name": ")" + std::string(65, 'n') +
                      R"(", "type": "serial", "device": "/dev/x"})"),
         "channels[0].name",
         "\"" + std::string(60, 'n') +
             "...\" is not a valid name: use 1 to 64 letters, digits, '_', '-' or '.'",
         "\"nnn"},
        {with_channel(R"({"name": null, "type": "serial"})"), "channels[0].name",
         "expected a string, got null", "null"},
        {document(std::string(serial_channel) +
                      R"(, {"name": "line1", "type": "serial", "device": "/dev/ttyUSB1"})",
                  tcp_listener, route),
         "channels[1].name", "\"line1\" is already the name of channels[0]",
         "\"line1\", \"type\": \"serial\", \"device\": \"/dev/ttyUSB1\""},
        {document(serial_channel, R"({"name": "line1", "protocol": "modbus_tcp", "port": 1})",
                  route),
         "listeners[0].name", "\"line1\" is already the name of channels[0]",
         "\"line1\", \"protocol\""},
    });
    // 64 characters is the longest name.
    const std::string name64(64, 'n');
    const gateway_config c =
        config_of(document(R"({"name": ")" + name64 + R"(", "type": "serial", "device": "/dev/x"})",
                           tcp_listener, R"({"units": 1, "channel": ")" + name64 + "\"}"));
    CHECK(c.channels[0].name == name64);
    CHECK(config_of(document(R"({"name": "A-z_0.9", "type": "simulator", "units": 1})",
                             tcp_listener, R"({"units": 1, "channel": "A-z_0.9"})"))
              .channels[0]
              .name == "A-z_0.9");
}

TEST_CASE("serial line values and ranges") {
    check({
        {with_channel(R"({"name": "l", "type": "serial", "device": "ttyUSB0"})"),
         "channels[0].device", "\"ttyUSB0\" is not an absolute device path such as /dev/ttyUSB0",
         "\"ttyUSB0\""},
        {with_channel(R"({"name": "l", "type": "serial", "device": "/"})"), "channels[0].device",
         "\"/\" is not an absolute device path such as /dev/ttyUSB0", "\"/\""},
        {serial(R"("baud": 49)"), "channels[0].baud", "49 is out of range 50..4000000", "49"},
        {serial(R"("baud": 4000001)"), "channels[0].baud", "4000001 is out of range 50..4000000",
         "4000001"},
        {serial(R"("baud": "9600")"), "channels[0].baud",
         "expected a whole number in 50..4000000, got the string \"9600\"", "\"9600\""},
        {serial(R"("data_bits": 6)"), "channels[0].data_bits", "6 is out of range 7..8", "6"},
        {serial(R"("data_bits": 9)"), "channels[0].data_bits", "9 is out of range 7..8", "9"},
        {serial(R"("data_bits": 7)"), "channels[0].data_bits",
         "RTU frames need 8 data bits (7 is only for \"mode\": \"ascii\")", "7"},
        {serial(R"("mode": "rtu", "data_bits": 7)"), "channels[0].data_bits",
         "RTU frames need 8 data bits (7 is only for \"mode\": \"ascii\")", "7"},
        {serial(R"("parity": "EVEN")"), "channels[0].parity",
         "\"EVEN\" is not one of \"none\", \"even\", \"odd\"", "\"EVEN\""},
        {serial(R"("stop_bits": 0)"), "channels[0].stop_bits", "0 is out of range 1..2", "0}"},
        {serial(R"("stop_bits": 1.5)"), "channels[0].stop_bits",
         "expected a whole number in 1..2, got 1.5", "1.5"},
        {serial(R"("mode": "binary")"), "channels[0].mode",
         "\"binary\" is not one of \"rtu\", \"ascii\"", "\"binary\""},
        {serial(R"("mode": "ascii", "framing": "silence")"), "channels[0].framing",
         "\"framing\" only applies to \"mode\": \"rtu\" (ASCII frames end with CR LF)",
         "\"silence\""},
        {serial(R"("framing": "fast")"), "channels[0].framing",
         "\"fast\" is not one of \"predicted\", \"silence\"", "\"fast\""},
        {serial(R"("low_latency": "yes")"), "channels[0].low_latency",
         "expected true or false, got the string \"yes\"", "\"yes\""},
        {serial(R"("rs485": true)"), "channels[0].rs485", "expected an object, got true", "true"},
        {serial(R"("rs485": {"enable": true})"), "channels[0].rs485.enable",
         "unknown key \"enable\" (did you mean \"enabled\"?)", "\"enable\""},
        {serial(R"("rs485": {"enabled": 1})"), "channels[0].rs485.enabled",
         "expected true or false, got the number 1", "1}"},
        {serial(R"("rs485": {"delay_before_send_ms": 101})"),
         "channels[0].rs485.delay_before_send_ms", "101 is out of range 0..100", "101"},
        {serial(R"("rs485": {"delay_after_send_ms": -1})"), "channels[0].rs485.delay_after_send_ms",
         "-1 is out of range 0..100", "-1"},
        {serial(R"("rs485": {"delay_after_send_ms": 1.5})"),
         "channels[0].rs485.delay_after_send_ms", "expected a whole number in 0..100, got 1.5",
         "1.5"},
        // The old microsecond keys were truncated to milliseconds: refused, naming the new key.
        {serial(R"("rs485": {"enabled": true, "delay_before_send_us": 500})"),
         "channels[0].rs485.delay_before_send_us",
         "RS-485 delays are whole milliseconds, the unit of the kernel's RS-485 driver: use "
         "\"delay_before_send_ms\" (0..100)",
         "\"delay_before_send_us\""},
        {serial(R"("rs485": {"delay_after_send_us": 0})"), "channels[0].rs485.delay_after_send_us",
         "RS-485 delays are whole milliseconds, the unit of the kernel's RS-485 driver: use "
         "\"delay_after_send_ms\" (0..100)",
         "\"delay_after_send_us\""},
        {serial(R"("reopen_backoff_ms": 100)"), "channels[0].reopen_backoff_ms",
         "expected [initial, max] in milliseconds such as [100, 5000], got the number 100", "100}"},
        {serial(R"("reopen_backoff_ms": [100])"), "channels[0].reopen_backoff_ms",
         "expected [initial, max] in milliseconds such as [100, 5000], got an array", "[100]"},
        {serial(R"("reopen_backoff_ms": [0, 100])"), "channels[0].reopen_backoff_ms[0]",
         "0 is out of range 1..300000", "0, 100"},
        {serial(R"("reopen_backoff_ms": [1, 300001])"), "channels[0].reopen_backoff_ms[1]",
         "300001 is out of range 1..300000", "300001"},
        {serial(R"("reopen_backoff_ms": [5000, 100])"), "channels[0].reopen_backoff_ms",
         "the initial delay 5000 exceeds the maximum 100", "[5000"},
    });
}

TEST_CASE("channel timing and queueing ranges") {
    check({
        {serial(R"("response_timeout_ms": 0)"), "channels[0].response_timeout_ms",
         "0 is out of range 1..60000", "0}"},
        {serial(R"("response_timeout_ms": 60001)"), "channels[0].response_timeout_ms",
         "60001 is out of range 1..60000", "60001"},
        {serial(R"("retries": 11)"), "channels[0].retries", "11 is out of range 0..10", "11"},
        {serial(R"("retries": -1)"), "channels[0].retries", "-1 is out of range 0..10", "-1"},
        {serial(R"("inter_frame_delay_ms": 60001)"), "channels[0].inter_frame_delay_ms",
         "60001 is out of range 0..60000", "60001"},
        {serial(R"("broadcast_turnaround_ms": 60001)"), "channels[0].broadcast_turnaround_ms",
         "60001 is out of range 0..60000", "60001"},
        {serial(R"("priority_hold_us": 100001)"), "channels[0].priority_hold_us",
         "100001 is out of range 0..100000", "100001"},
        {serial(R"("priority_hold_us": -1)"), "channels[0].priority_hold_us",
         "-1 is out of range 0..100000", "-1"},
        {serial(R"("coalesce_reads": 0)"), "channels[0].coalesce_reads",
         "expected true or false, got the number 0", "0}"},
        {serial(R"("queue_per_master": 0)"), "channels[0].queue_per_master",
         "0 is out of range 1..1024", "0}"},
        {serial(R"("queue_per_master": 1025)"), "channels[0].queue_per_master",
         "1025 is out of range 1..1024", "1025"},
    });
    // The edges themselves are accepted.
    const gateway_config lo = config_of(serial(
        R"("baud": 50, "response_timeout_ms": 1, "retries": 0, "inter_frame_delay_ms": 0, )"
        R"("broadcast_turnaround_ms": 0, "queue_per_master": 1, "reopen_backoff_ms": [1, 1])"));
    const channel_config& l = lo.channels[0];
    CHECK(std::get<serial_line_config>(l.link).baud == 50);
    CHECK(l.response_timeout == std::chrono::milliseconds{1});
    CHECK(l.queue_per_master == 1);
    CHECK(std::get<serial_line_config>(l.link).reopen_backoff.max == std::chrono::milliseconds{1});
    const gateway_config hi = config_of(serial(
        R"("baud": 4000000, "response_timeout_ms": 60000, "retries": 10, )"
        R"("inter_frame_delay_ms": 60000, "broadcast_turnaround_ms": 60000, )"
        R"("priority_hold_us": 100000, "queue_per_master": 1024, "reopen_backoff_ms": [300000, 300000], )"
        R"("mode": "ascii", "data_bits": 7, "stop_bits": 2, "parity": "none")"));
    const channel_config& h = hi.channels[0];
    const auto& line = std::get<serial_line_config>(h.link);
    CHECK(line.baud == 4000000);
    CHECK(line.data_bits == 7);
    CHECK(line.mode == serial_mode::ascii);
    CHECK(line.parity == serial_parity::none);
    CHECK(line.stop_bits == 2);
    CHECK(h.retries == 10);
    CHECK(h.queue_per_master == 1024);
    CHECK(h.broadcast_turnaround == std::chrono::milliseconds{60000});
    CHECK(h.priority_hold == std::chrono::microseconds{100000});
}

TEST_CASE("tcp and simulator channels") {
    const auto tcp = [](std::string_view extra) {
        return with_channel(R"({"name": "line1", "type": "tcp", )" + std::string(extra) + "}");
    };
    check({
        {tcp(R"("port": 502)"), "channels[0]", "missing required key \"host\"", "{\"name\""},
        {tcp(R"("host": "")"), "channels[0].host", "\"\" is not an IP address or a host name",
         "\"\""},
        {tcp(R"("host": "192.168.1.300")"), "channels[0].host",
         "\"192.168.1.300\" is not an IP address or a host name", "\"192"},
        {tcp(R"("host": "fe80::1%eth0")"), "channels[0].host",
         "\"fe80::1%eth0\" is not an IP address or a host name", "\"fe80"},
        {tcp(R"("host": "-plc.local")"), "channels[0].host",
         "\"-plc.local\" is not an IP address or a host name", "\"-plc"},
        {tcp(R"("host": "plc..local")"), "channels[0].host",
         "\"plc..local\" is not an IP address or a host name", "\"plc."},
        {tcp(R"("host": "plc_2")"), "channels[0].host",
         "\"plc_2\" is not an IP address or a host name", "\"plc_2\""},
        {tcp(R"("host": "10.0.0.1", "port": 0)"), "channels[0].port", "0 is out of range 1..65535",
         "0}"},
        // A "tls" object never means plain TCP: its ca is required and cannot be empty.
        {tcp(R"("host": "10.0.0.1", "tls": {"ca": ""})"), "channels[0].tls.ca",
         "\"\" is not a file path", "\"\"}"},
        {tcp(R"("host": "10.0.0.1", "tls": {"certificate": "c.crt"})"), "channels[0].tls",
         "missing required key \"ca\"", "{\"certificate\""},
        {tcp(R"("host": "10.0.0.1", "tls": {"ca": "a.crt", "server_name": "plc_2"})"),
         "channels[0].tls.server_name", "\"plc_2\" is not an IP address or a host name",
         "\"plc_2\""},
        {tcp(R"("host": "10.0.0.1", "tls": {"ca": "a.crt", "sni": "x"})"), "channels[0].tls.sni",
         "unknown key \"sni\"; \"tls\" has the keys \"ca\", \"certificate\", \"private_key\", "
         "\"server_name\"",
         "\"sni\""},
        {tcp(R"("host": "10.0.0.1", "connect_timeout_ms": 0)"), "channels[0].connect_timeout_ms",
         "0 is out of range 1..60000", "0}"},
        {tcp(R"("host": "10.0.0.1", "connect_timeout_ms": 60001)"),
         "channels[0].connect_timeout_ms", "60001 is out of range 1..60000", "60001}"},
        {tcp(R"("host": "10.0.0.1", "reconnect_after_timeouts": 0)"),
         "channels[0].reconnect_after_timeouts", "0 is out of range 1..100", "0}"},
        {tcp(R"("host": "10.0.0.1", "reconnect_after_timeouts": 101)"),
         "channels[0].reconnect_after_timeouts", "101 is out of range 1..100", "101}"},
        {tcp(R"("host": "10.0.0.1", "reconnect_after_timeouts": true)"),
         "channels[0].reconnect_after_timeouts", "expected a whole number in 1..100, got true",
         "true}"},
        {serial(R"("reconnect_after_timeouts": 3)"), "channels[0].reconnect_after_timeouts",
         "key \"reconnect_after_timeouts\" does not apply to a serial channel",
         "\"reconnect_after_timeouts\""},
        {serial(R"("connect_timeout_ms": 100)"), "channels[0].connect_timeout_ms",
         "key \"connect_timeout_ms\" does not apply to a serial channel", "\"connect_timeout_ms\""},
        {tcp(R"("host": "10.0.0.1", "protocol": "rtu")"), "channels[0].protocol",
         "\"rtu\" is not one of \"modbus_tcp\", \"rtu_over_tcp\" (did you mean \"rtu_over_tcp\"?)",
         "\"rtu\""},
        {with_channel(R"({"name": "line1", "type": "simulator"})"), "channels[0]",
         "missing required key \"units\"", "{\"name\""},
        {with_channel(R"({"name": "line1", "type": "simulator", "units": "0-3"})"),
         "channels[0].units", "unit 0 is out of range 1..247", "\"0-3\""},
        {with_channel(R"({"name": "line1", "type": "simulator", "units": 248})"),
         "channels[0].units", "248 is out of range 1..247", "248"},
    });
    for (const std::string_view host : {"10.0.0.1", "::1", "plc-2.example.com", "PLC2", "a"}) {
        const gateway_config c = config_of(tcp(R"("host": ")" + std::string(host) + "\""));
        CHECK(std::get<tcp_device_config>(c.channels[0].link).host == host);
    }
    const gateway_config c =
        config_of(tcp(R"("host": "10.0.0.1", "port": 5020, "protocol": "rtu_over_tcp", )"
                      R"("reopen_backoff_ms": [10, 20])"));
    const auto& t = std::get<tcp_device_config>(c.channels[0].link);
    CHECK(t.port == 5020);
    CHECK(t.protocol == tcp_protocol::rtu_over_tcp);
    CHECK(t.reconnect_backoff.initial == std::chrono::milliseconds{10});
    CHECK(t.connect_timeout == std::chrono::milliseconds{3000});  // the default
    CHECK(t.reconnect_after_timeouts == 3);                       // the default
    CHECK(c.channels[0].type() == channel_type::tcp);
    for (const std::int64_t ms : {1, 60000}) {
        const gateway_config d =
            config_of(tcp(R"("host": "10.0.0.1", "connect_timeout_ms": )" + std::to_string(ms)));
        CHECK(std::get<tcp_device_config>(d.channels[0].link).connect_timeout ==
              std::chrono::milliseconds{ms});
    }
    for (const int n : {1, 100}) {
        const gateway_config d = config_of(
            tcp(R"("host": "10.0.0.1", "reconnect_after_timeouts": )" + std::to_string(n)));
        CHECK(std::get<tcp_device_config>(d.channels[0].link).reconnect_after_timeouts == n);
    }
}

TEST_CASE("serial devices are used once") {
    check({
        {document(std::string(serial_channel) +
                      R"(, {"name": "line2", "type": "serial", "device": "/dev/ttyUSB0"})",
                  tcp_listener, route),
         "channels[1].device", "\"/dev/ttyUSB0\" is already used by channels[0] (\"line1\")",
         "\"/dev/ttyUSB0\"}]"},
        {document(serial_channel,
                  R"({"name": "s", "protocol": "rtu_serial", "device": "/dev/ttyUSB0"})", route),
         "listeners[0].device", "\"/dev/ttyUSB0\" is already used by channels[0] (\"line1\")",
         "\"/dev/ttyUSB0\"}],\n\"routes"},
    });
}

TEST_CASE("listener keys and values") {
    check({
        {with_listener(R"({"name": "m", "port": 1502})"), "listeners[0]",
         "missing required key \"protocol\"", "{\"name\": \"m\""},
        {with_listener(R"({"name": "m", "protocol": "tcp", "port": 1502})"),
         "listeners[0].protocol",
         "\"tcp\" is not one of \"modbus_tcp\", \"rtu_over_tcp\", \"rtu_serial\", \"modbus_tls\"",
         "\"tcp\""},
        {with_listener(R"({"name": "m", "protocol": "modbus_tcp"})"), "listeners[0]",
         "missing required key \"port\"", "{\"name\": \"m\""},
        {listener(R"("port": 2)"), "listeners[0].port",
         "duplicate key \"port\" (first at line 3, "
         "column 60)",
         "\"port\": 2"},
        {with_listener(R"({"name": "m", "protocol": "modbus_tcp", "port": 65536})"),
         "listeners[0].port", "65536 is out of range 1..65535", "65536"},
        {with_listener(R"({"name": "m", "protocol": "modbus_tcp", "port": "502"})"),
         "listeners[0].port", "expected a whole number in 1..65535, got the string \"502\"",
         "\"502\""},
        {listener(R"("address": "localhost")"), "listeners[0].address",
         "\"localhost\" is not an IP address (such as 127.0.0.1, 0.0.0.0, ::1 or ::)",
         "\"localhost\""},
        {listener(R"("address": 127)"), "listeners[0].address",
         "expected a string, got the "
         "number 127",
         "127"},
        {listener(R"("priority": "urgent")"), "listeners[0].priority",
         "\"urgent\" is not one of \"normal\", \"high\"", "\"urgent\""},
        // The bound is the runtime's session table (gw/gateway/capacity.hpp: 256 masters).
        {listener(R"("max_connections": 0)"), "listeners[0].max_connections",
         "0 is out of range 1..256", "0}"},
        {listener(R"("max_connections": 257)"), "listeners[0].max_connections",
         "257 is out of range 1..256", "257"},
        {listener(R"("max_connections_per_source": 257)"),
         "listeners[0].max_connections_per_source", "257 is out of range 0..256", "257"},
        {listener(R"("max_connections": 4, "max_connections_per_source": 5)"),
         "listeners[0].max_connections_per_source", "5 exceeds max_connections (4)", "5}"},
        {listener(R"("idle_timeout_s": 86401)"), "listeners[0].idle_timeout_s",
         "86401 is out of range 0..86400", "86401"},
        {listener(R"("write_timeout_s": 0)"), "listeners[0].write_timeout_s",
         "0 is out of range 1..3600", "0}"},
        // No "off": a request begun and never finished is never legitimate.
        {listener(R"("frame_timeout_ms": 0)"), "listeners[0].frame_timeout_ms",
         "0 is out of range 10..60000", "0}"},
        {listener(R"("frame_timeout_ms": 60001)"), "listeners[0].frame_timeout_ms",
         "60001 is out of range 10..60000", "60001}"},
        {listener(R"("baud": 9600)"), "listeners[0].baud",
         "key \"baud\" does not apply to a modbus_tcp listener", "\"baud\""},
        {with_listener(R"({"name": "m", "protocol": "modbus_tls", "port": 802})"),
         "listeners[0].tls", "a modbus_tls listener needs \"tls\" (certificate, private_key, ca)",
         "{\"name\": \"m\""},
        {with_listener(R"({"name": "m", "protocol": "modbus_tcp", "port": 1, "tls": {}})"),
         "listeners[0].tls", "only a modbus_tls listener has \"tls\"", "{}"},
        {with_listener(R"({"name": "m", "protocol": "modbus_tls", "port": 1, "tls": )"
                       R"({"certificate": "c", "private_key": "k"}})"),
         "listeners[0].tls", "missing required key \"ca\"", "{\"certificate\""},
        {with_listener(R"({"name": "m", "protocol": "modbus_tls", "port": 1, "tls": )"
                       R"({"certificate": "c", "private_key": "k", "ca": "a", )"
                       R"("max_handshakes": 4, "max_handshakes_per_source": 5}})"),
         "listeners[0].tls.max_handshakes_per_source", "exceeds max_handshakes (4)", "5}"},
        {with_listener(R"({"name": "m", "protocol": "modbus_tls", "port": 1, "tls": )"
                       R"({"certificate": "c", "private_key": "k", "ca": "a", )"
                       R"("cipher_policy": "null"}})"),
         "listeners[0].tls.cipher_policy",
         "\"null\" is not one of \"intermediate\", \"compatibility\"", "\"null\""},
        {with_listener(R"({"name": "m", "protocol": "rtu_over_tcp", "port": 1, "device": "/x"})"),
         "listeners[0].device", "key \"device\" does not apply to a rtu_over_tcp listener",
         "\"device\": \"/x\""},
        {listener(R"("prot": 1)"), "listeners[0].prot",
         "unknown key \"prot\" (did you mean \"port\"?)", "\"prot\""},
    });
    const gateway_config c =
        config_of(listener(R"("address": "::", "priority": "high", "max_connections": 256, )"
                           R"("max_connections_per_source": 256, "idle_timeout_s": 0, )"
                           R"("write_timeout_s": 3600, "frame_timeout_ms": 60000)"));
    const listener_config& l = c.listeners[0];
    CHECK(l.priority == priority_class::high);
    const auto& t = std::get<tcp_listener_config>(l.endpoint);
    CHECK(t.address == "::");
    CHECK(t.max_connections == 256);
    CHECK(t.max_connections_per_source == 256);
    CHECK(t.idle_timeout == std::chrono::seconds{0});
    CHECK(t.write_timeout == std::chrono::seconds{3600});
    CHECK(t.frame_timeout == std::chrono::milliseconds{60'000});
    // Defaults: loopback only, normal priority, no allowlist.
    const gateway_config defaults = config_of(with_listener(tcp_listener));
    const auto& d = std::get<tcp_listener_config>(defaults.listeners[0].endpoint);
    CHECK(d.address == "127.0.0.1");
    CHECK(d.allowlist.empty());
    CHECK(d.max_connections == 32);
    // No cap of its own: one host may use every slot (fair eviction keeps others from lockout).
    CHECK(d.max_connections_per_source == 0);
    CHECK(d.max_connections == 32);
    // A listener smaller than 32 needs no per-source setting to be valid.
    CHECK(std::get<tcp_listener_config>(
              config_of(listener(R"("max_connections": 4)")).listeners[0].endpoint)
              .max_connections == 4);
    CHECK(d.write_timeout == std::chrono::seconds{10});
    CHECK(d.frame_timeout == std::chrono::milliseconds{2'000});
}

TEST_CASE("no two listeners on the same address and port") {
    const auto tcp = [](std::string_view name, std::string_view address, int port) {
        return R"({"name": ")" + std::string(name) +
               R"(", "protocol": "modbus_tcp", "address": ")" + std::string(address) +
               R"(", "port": )" + std::to_string(port) + "}";
    };
    check({
        {two_listeners(tcp("a", "127.0.0.1", 502), tcp("b", "127.0.0.1", 502)), "listeners[1].port",
         "127.0.0.1:502 clashes with 127.0.0.1:502 of listeners[0] (\"a\")", "502}]"},
        {two_listeners(tcp("a", "0.0.0.0", 502), tcp("b", "127.0.0.1", 502)), "listeners[1].port",
         "127.0.0.1:502 clashes with 0.0.0.0:502 of listeners[0] (\"a\")", "502}]"},
        {two_listeners(tcp("a", "::1", 502), tcp("b", "::", 502)), "listeners[1].port",
         "[::]:502 clashes with [::1]:502 of listeners[0] (\"a\")", "502}]"},
        {two_listeners(tcp("a", "::", 502), tcp("b", "10.0.0.1", 502)), "listeners[1].port",
         "10.0.0.1:502 clashes with [::]:502 of listeners[0] (\"a\")", "502}]"},
        {two_listeners(tcp("a", "::1", 502), tcp("b", "0:0::1", 502)), "listeners[1].port",
         "[0:0::1]:502 clashes with [::1]:502 of listeners[0] (\"a\")", "502}]"},
        {two_listeners(tcp("a", "127.0.0.1", 502),
                       R"({"name": "b", "protocol": "rtu_over_tcp", "port": 502})"),
         "listeners[1].port", "127.0.0.1:502 clashes with 127.0.0.1:502 of listeners[0] (\"a\")",
         "502}]"},
    });
    // Different ports, or different specific addresses, or IPv4 wildcard next to IPv6: fine.
    CHECK(config_of(two_listeners(tcp("a", "127.0.0.1", 502), tcp("b", "127.0.0.1", 503)))
              .listeners.size() == 2);
    CHECK(config_of(two_listeners(tcp("a", "127.0.0.1", 502), tcp("b", "127.0.0.2", 502)))
              .listeners.size() == 2);
    CHECK(
        config_of(two_listeners(tcp("a", "0.0.0.0", 502), tcp("b", "::1", 502))).listeners.size() ==
        2);
}

TEST_CASE("rtu_serial listeners: a master on a serial line") {
    const auto serial_in = [](std::string_view extra) {
        return with_listener(
            R"({"name": "serial_in", "protocol": "rtu_serial", "device": "/dev/ttyS1")" +
            std::string(extra) + "}");
    };
    check({
        {serial_in(R"(, "mode": "rtu")"), "listeners[0].mode",
         "an rtu_serial listener always speaks RTU: remove \"mode\"", "\"rtu\""},
        {serial_in(R"(, "port": 502)"), "listeners[0].port",
         "key \"port\" does not apply to an rtu_serial listener", "\"port\""},
        {serial_in(R"(, "data_bits": 7)"), "listeners[0].data_bits",
         "RTU frames need 8 data bits (7 is only for \"mode\": \"ascii\")", "7}"},
        {with_listener(R"({"name": "serial_in", "protocol": "rtu_serial"})"), "listeners[0]",
         "missing required key \"device\"", "{\"name\": \"serial_in\""},
    });
    const gateway_config c = config_of(
        serial_in(R"(, "baud": 9600, "parity": "none", "stop_bits": 2, "priority": "high", )"
                  R"("rs485": {"enabled": true, "rts_on_send": false, "rts_after_send": true, )"
                  R"("delay_before_send_ms": 0, "delay_after_send_ms": 100}, )"
                  R"("framing": "silence", "low_latency": false, "reopen_backoff_ms": [50, 60])"));
    const listener_config& l = c.listeners[0];
    CHECK(l.protocol == listener_protocol::rtu_serial);
    CHECK(l.priority == priority_class::high);
    const auto& s = std::get<serial_line_config>(l.endpoint);
    CHECK(s.device == "/dev/ttyS1");
    CHECK(s.baud == 9600);
    CHECK(s.parity == serial_parity::none);
    CHECK(s.stop_bits == 2);
    CHECK(s.mode == serial_mode::rtu);
    CHECK(s.framing == serial_framing::silence);
    CHECK_FALSE(s.low_latency);
    CHECK(s.rs485.enabled);
    CHECK_FALSE(s.rs485.rts_on_send);
    CHECK(s.rs485.rts_after_send);
    CHECK(s.rs485.delay_before_send == std::chrono::milliseconds{0});  // the bounds: 0 and 100
    CHECK(s.rs485.delay_after_send == std::chrono::milliseconds{100});
    CHECK(s.reopen_backoff.initial == std::chrono::milliseconds{50});
}

TEST_CASE("allowlist entries") {
    check({
        {listener(R"("allowlist": "10.0.0.0/8")"), "listeners[0].allowlist",
         "expected an array of addresses and networks, got the string \"10.0.0.0/8\"",
         "\"10.0.0.0/8\""},
        {listener(R"("allowlist": ["192.168.1.5/24"])"), "listeners[0].allowlist[0]",
         "\"192.168.1.5/24\" has host bits set: write \"192.168.1.0/24\" for the network, or "
         "\"192.168.1.5\" for the one host",
         "\"192.168.1.5/24\""},
        {listener(R"("allowlist": ["10.0.0.1", "2001:db8::1/32"])"), "listeners[0].allowlist[1]",
         "\"2001:db8::1/32\" has host bits set: write \"2001:db8::/32\" for the network, or "
         "\"2001:db8::1\" for the one host",
         "\"2001"},
        {listener(R"("allowlist": ["10.0.0.256"])"), "listeners[0].allowlist[0]",
         "\"10.0.0.256\" is not an IPv4 or IPv6 address", "\"10.0.0.256\""},
        {listener(R"("allowlist": ["10.0.0.0/33"])"), "listeners[0].allowlist[0]",
         "\"10.0.0.0/33\" has a prefix length that is not 0..32 (IPv4) or 0..128 (IPv6)",
         "\"10.0.0.0/33\""},
        {listener(R"("allowlist": ["10.0.0.0/255.0.255.0"])"), "listeners[0].allowlist[0]",
         "\"10.0.0.0/255.0.255.0\" has a netmask whose one bits are not contiguous (such as "
         "255.255.255.0)",
         "\"10.0.0.0/255"},
        {listener(R"("allowlist": [24])"), "listeners[0].allowlist[0]",
         "expected an address or network such as \"192.168.1.0/24\", or {\"address\": ..., "
         "\"netmask\": ...}, got the number 24",
         "24]"},
        {listener(R"("allowlist": [{"address": "192.168.1.0", "netmask": "255.0.255.0"}])"),
         "listeners[0].allowlist[0].netmask",
         "\"255.0.255.0\" is not a netmask with contiguous ones such as 255.255.255.0 (or "
         "255.255.255 for one host)",
         "\"255.0.255.0\""},
        {listener(R"("allowlist": [{"address": "192.168.1.0", "netmask": "255.255"}])"),
         "listeners[0].allowlist[0].netmask",
         "\"255.255\" is not a netmask with contiguous ones such as 255.255.255.0 (or "
         "255.255.255 for one host)",
         "\"255.255\""},
        {listener(R"("allowlist": [{"address": "192.168.1.5", "netmask": "255.255.255.0"}])"),
         "listeners[0].allowlist[0].address",
         "\"192.168.1.5\" has host bits set for netmask 255.255.255.0: the network address is "
         "192.168.1.0",
         "\"192.168.1.5\""},
        {listener(R"("allowlist": [{"address": "2001:db8::", "netmask": "255.255.0.0"}])"),
         "listeners[0].allowlist[0].address",
         "\"2001:db8::\" is IPv6: a netmask only applies to IPv4, write a prefix such as "
         "2001:db8::/32",
         "\"2001"},
        {listener(R"("allowlist": [{"address": "192.168.1.0"}])"), "listeners[0].allowlist[0]",
         "missing required key \"netmask\"", "{\"address\""},
        {listener(R"("allowlist": [{"address": "192.168.1.0", "mask": "255.255.255.0"}])"),
         "listeners[0].allowlist[0].mask",
         "unknown key \"mask\"; an allowlist entry has the keys \"address\", \"netmask\"",
         "\"mask\""},
    });
    std::string many = "\"allowlist\": [";
    // 64 entries is what the runtime's allowlist table holds (gw/gateway/capacity.hpp): the
    // 65th is an error here, never an allowlist silently left out at start or reload.
    for (int i = 0; i <= 64; ++i) {
        many += (i == 0 ? "\"10.0." : ", \"10.0.") + std::to_string(i / 256) + "." +
                std::to_string(i % 256) + "\"";
    }
    many += "]";
    const config_error e = error_of(listener(many));
    CHECK(e.key_path == "listeners[0].allowlist[64]");
    CHECK(e.message == "more than 64 allowlist entries");
}

TEST_CASE("rate_limit: every refusal names its key") {
    check({
        {listener(R"("rate_limit": 5)"), "listeners[0].rate_limit",
         "expected an object, got the number 5", "5}"},
        {listener(R"("rate_limit": {"requests_per_s": 5})"),
         "listeners[0].rate_limit.requests_per_s",
         "unknown key \"requests_per_s\"; \"rate_limit\" has the keys "
         "\"connection_requests_per_s\", \"connection_burst\", \"source_requests_per_s\", "
         "\"source_burst\", \"listener_requests_per_s\", \"listener_burst\", "
         "\"source_connections_per_s\", \"source_connection_burst\", \"block_after\", "
         "\"block_window_s\", \"block_for_s\", \"audit_window_s\", \"exempt\"",
         "\"requests_per_s\""},
        {listener(R"("rate_limit": {"connection_requests_per_s": 1000001})"),
         "listeners[0].rate_limit.connection_requests_per_s", "1000001 is out of range 0..1000000",
         "1000001"},
        {listener(R"("rate_limit": {"connection_requests_per_s": 10, "connection_burst": 0})"),
         "listeners[0].rate_limit.connection_burst",
         "a rate needs a burst of at least 1 (each default burst is twice its rate)", "0}"},
        {listener(R"("rate_limit": {"block_for_s": 0})"), "listeners[0].rate_limit.block_for_s",
         "0 is out of range 1..86400", "0}"},
        {listener(R"("rate_limit": {"exempt": ["10.0.0.1/8"]})"),
         "listeners[0].rate_limit.exempt[0]",
         "\"10.0.0.1/8\" has host bits set: write \"10.0.0.0/8\" for the network, or "
         "\"10.0.0.1\" for the one host",
         "\"10.0.0.1/8\""},
    });
    std::string many = "\"rate_limit\": {\"exempt\": [";
    for (int i = 0; i <= 16; ++i)
        many += (i == 0 ? "\"10.0.0." : ", \"10.0.0.") + std::to_string(i) + "\"";
    many += "]}";
    const config_error e = error_of(listener(many));
    CHECK(e.key_path == "listeners[0].rate_limit.exempt[16]");
    CHECK(e.message == "more than 16 exempt networks");
    // A rate of 0 turns its bucket off and needs no burst.
    const gateway_config off = config_of(listener(
        R"("rate_limit": {"connection_requests_per_s": 0, "connection_burst": 0, "block_after": 0})"));
    const auto& r = std::get<tcp_listener_config>(off.listeners[0].endpoint).rate_limit;
    CHECK(r.connection_requests_per_s == 0);
    CHECK(r.block_after == 0);
    CHECK(r.source_requests_per_s == 500);  // the others keep their defaults
}

// Section 3.5 of the MGate MB3000-G2 hardening guide, as written in this file format: both the
// MGate's address + netmask fields and the equivalent prefix strings give the same networks.
TEST_CASE("the MGate allowlist table, translated") {
    const gateway_config c = config_of(listener(R"("allowlist": [
        {"address": "192.168.1.120", "netmask": "255.255.255"},
        {"address": "192.168.1.0", "netmask": "255.255.255.0"},
        {"address": "192.168.0.0", "netmask": "255.255.0.0"},
        {"address": "192.168.1.0", "netmask": "255.255.255.128"},
        {"address": "192.168.1.128", "netmask": "255.255.255.128"},
        "192.168.1.120", "192.168.1.0/24", "192.168.0.0/16", "192.168.1.0/25", "192.168.1.128/25",
        "192.168.1.0/255.255.255.0", "2001:db8::/32", "::1"])"));
    const auto& list = std::get<tcp_listener_config>(c.listeners[0].endpoint).allowlist;
    REQUIRE(list.size() == 13);
    for (std::size_t i = 0; i < 5; ++i) {
        CHECK(list[i] == list[i + 5]);
    }
    CHECK(list[10] == list[6]);
    CHECK(list[0].prefix_len == 32);
    CHECK(list[3].prefix_len == 25);
    CHECK(list[11].prefix_len == 32);
    CHECK_FALSE(list[11].v4);
    // "Any host" is the allowlist switched off: no key, or an empty list.
    CHECK(std::get<tcp_listener_config>(
              config_of(listener(R"("allowlist": [])")).listeners[0].endpoint)
              .allowlist.empty());
}

TEST_CASE("routes: units, channels, remapping, overlaps") {
    check({
        {with_routes(R"({"channel": "line1"})"), "routes[0]", "missing required key \"units\"",
         "{\"channel\""},
        {with_routes(R"({"units": 1})"), "routes[0]", "missing required key \"channel\"",
         "{\"units\""},
        {with_routes(R"({"units": 248, "channel": "line1"})"), "routes[0].units",
         "248 is out of range 0..247", "248"},
        {with_routes(R"({"units": -1, "channel": "line1"})"), "routes[0].units",
         "-1 is out of range 0..247", "-1"},
        {with_routes(R"({"units": "1-300", "channel": "line1"})"), "routes[0].units",
         "unit 300 is out of range 0..247", "\"1-300\""},
        {with_routes(R"({"units": "10-1", "channel": "line1"})"), "routes[0].units",
         "the range 10-1 is reversed (write 1-10)", "\"10-1\""},
        {with_routes(R"({"units": "1..5", "channel": "line1"})"), "routes[0].units",
         "\"1..5\" is not a unit id or a range such as \"1-10\"", "\"1..5\""},
        {with_routes(R"({"units": "1-", "channel": "line1"})"), "routes[0].units",
         "\"1-\" is not a unit id or a range such as \"1-10\"", "\"1-\""},
        {with_routes(R"({"units": " 1", "channel": "line1"})"), "routes[0].units",
         "\" 1\" is not a unit id or a range such as \"1-10\"", "\" 1\""},
        {with_routes(R"({"units": "1-2-3", "channel": "line1"})"), "routes[0].units",
         "\"1-2-3\" is not a unit id or a range such as \"1-10\"", "\"1-2-3\""},
        {with_routes(R"({"units": "0001", "channel": "line1"})"), "routes[0].units",
         "\"0001\" is not a unit id or a range such as \"1-10\"", "\"0001\""},
        {with_routes(R"({"units": [1, 2], "channel": "line1"})"), "routes[0].units",
         "expected a unit id in 0..247 or a range such as \"1-10\", got an array", "[1, 2]"},
        {with_routes(R"({"units": 2.5, "channel": "line1"})"), "routes[0].units",
         "expected a whole number in 0..247, got 2.5", "2.5"},
        {with_routes(R"({"units": "0-5", "channel": "line1"})"), "routes[0].units",
         "unit 0 (broadcast) can only be routed on its own: write \"units\": 0", "\"0-5\""},
        {with_routes(R"({"units": 0, "channel": "line1", "map_to": 1})"), "routes[0].map_to",
         "a broadcast (unit 0) cannot be mapped to a unit", "1}"},
        {with_routes(R"({"units": 1, "channel": "line2"})"), "routes[0].channel",
         "no channel is named \"line2\" (did you mean \"line1\"?)", "\"line2\""},
        {with_routes(R"({"units": 1, "channel": "plc"})"), "routes[0].channel",
         "no channel is named \"plc\"; the channels are \"line1\"", "\"plc\""},
        {with_routes(R"({"units": 1, "channel": "line1", "map_to": 0})"), "routes[0].map_to",
         "0 is out of range 1..247", "0}"},
        {with_routes(R"({"units": "1-10", "channel": "line1", "map_to": 239})"), "routes[0].map_to",
         "units 1-10 mapped to 239 would reach unit 248; map_to can be at most 238", "239"},
        {with_routes(R"({"units": "1-5", "channel": "line1"}, {"units": 5, "channel": "line1"})"),
         "routes[1].units", "units 5 overlap routes[0] (units 1-5)", "5, \"channel\""},
        {with_routes(R"({"units": 9, "channel": "line1"}, {"units": "1-20", "channel": "line1"})"),
         "routes[1].units", "units 1-20 overlap routes[0] (units 9)", "\"1-20\""},
        {with_routes(R"({"units": 0, "channel": "line1"}, {"units": "0", "channel": "line1"})"),
         "routes[1].units", "units 0 overlap routes[0] (units 0)", "\"0\""},
        {with_routes(R"({"units": 1, "chanel": "line1"})"), "routes[0].chanel",
         "unknown key \"chanel\" (did you mean \"channel\"?)", "\"chanel\""},
    });
    const gateway_config c = config_of(
        with_routes(R"({"units": 0, "channel": "line1"}, {"units": "5", "channel": "line1"}, )"
                    R"({"units": "10-19", "channel": "line1", "map_to": 1}, )"
                    R"({"units": "238-247", "channel": "line1", "map_to": 238}, )"
                    R"({"units": 20, "channel": "line1", "map_to": 247})"));
    REQUIRE(c.routes.size() == 5);
    CHECK(c.routes[0].units == unit_range{0, 0});
    CHECK_FALSE(c.routes[0].map_to.has_value());
    CHECK(c.routes[1].units == unit_range{5, 5});
    CHECK(c.routes[1].device_unit(5) == 5);
    CHECK(c.routes[2].units == unit_range{10, 19});
    CHECK(c.routes[2].device_unit(10) == 1);
    CHECK(c.routes[2].device_unit(19) == 10);
    CHECK(c.routes[3].device_unit(247) == 247);
    CHECK(c.routes[4].device_unit(20) == 247);
    CHECK(find_route(c, 15) == &c.routes[2]);
    CHECK(find_route(c, 4) == nullptr);
    CHECK(find_channel(c, "line1") == &c.channels[0]);
    CHECK(find_channel(c, "nope") == nullptr);
}

TEST_CASE("list lengths are bounded") {
    std::string routes;
    for (int u = 0; u <= 247; ++u) {
        routes += (u == 0 ? "" : ", ") + std::string(R"({"units": )") + std::to_string(u) +
                  R"(, "channel": "line1"})";
    }
    CHECK(config_of(with_routes(routes)).routes.size() == 248);
    const config_error e = error_of(with_routes(routes + R"(, {"units": 1, "channel": "line1"})"));
    CHECK(e.key_path == "routes[248]");
    CHECK(e.message == "more than 248 routes");

    std::string channels;
    for (int i = 0; i <= 32; ++i) {
        channels += (i == 0 ? "" : ", ") + std::string(R"({"name": "c)") + std::to_string(i) +
                    R"(", "type": "simulator", "units": 1})";
    }
    const config_error c = error_of(document(channels, tcp_listener, route));
    CHECK(c.key_path == "channels[32]");
    CHECK(c.message == "more than 32 channels");

    std::string listeners;
    for (int i = 0; i <= 16; ++i) {
        listeners += (i == 0 ? "" : ", ") + std::string(R"({"name": "l)") + std::to_string(i) +
                     R"(", "protocol": "modbus_tcp", "port": )" + std::to_string(1000 + i) + "}";
    }
    const config_error l = error_of(document(serial_channel, listeners, route));
    CHECK(l.key_path == "listeners[16]");
    CHECK(l.message == "more than 16 listeners");
}

TEST_CASE("limits and log") {
    const auto extra = [](std::string_view e) {
        return document(serial_channel, tcp_listener, route, e);
    };
    check({
        {extra(R"("limits": {"max_connections": 0})"), "limits.max_connections",
         "0 is out of range 1..256", "0}"},
        {extra(R"("limits": {"max_connections": 257})"), "limits.max_connections",
         "257 is out of range 1..256", "257"},
        {extra(R"("limits": {"connections": 5})"), "limits.connections",
         "unknown key \"connections\"; \"limits\" has the keys \"max_connections\"",
         "\"connections\""},
        {extra(R"("limits": 5)"), "limits", "expected an object, got the number 5", "5\n}"},
        {extra(R"("log": {"level": "inf"})"), "log.level",
         "\"inf\" is not one of \"debug\", \"info\", \"notice\", \"warning\", \"error\" (did you "
         "mean \"info\"?)",
         "\"inf\""},
        {extra(R"("log": {"event_log_capacity": 0})"), "log.event_log_capacity",
         "0 is out of range 1..10000", "0}"},
        {extra(R"("log": {"event_log_capacity": 10001})"), "log.event_log_capacity",
         "10001 is out of range 1..10000", "10001"},
        {extra(R"("log": [])"), "log", "expected an object, got an array", "[]\n"},
    });
    const gateway_config c =
        config_of(extra(R"("limits": {"max_connections": 256}, )"
                        R"("log": {"level": "debug", "event_log_capacity": 10000})"));
    CHECK(c.limits.max_connections == 256);
    CHECK(c.log.level == log_level::debug);
    CHECK(c.log.event_log_capacity == 10000);
    const gateway_config d = config_of(extra(""));
    CHECK(d.limits.max_connections == 256);
    CHECK(d.log.level == log_level::notice);
    CHECK(d.log.event_log_capacity == 10000);
}

TEST_CASE("audit: every refusal names its key; security events cannot be filtered away") {
    const auto extra = [](std::string_view e) {
        return document(serial_channel, tcp_listener, route, e);
    };
    check({
        {extra(R"("audit": {"capacity": 99})"), "audit.capacity", "99 is out of range 100..1000000",
         "99"},
        {extra(R"("audit": {"when_full": "wrap"})"), "audit.when_full",
         "\"wrap\" is not one of \"overwrite\", \"stop\"", "\"wrap\""},
        {extra(R"("audit": {"warn_percent": 0})"), "audit.warn_percent", "0 is out of range 1..100",
         "0}"},
        // Never fail open: a filter that would drop security notices is refused, not applied.
        {extra(R"("audit": {"events": {"security": "warning"}})"), "audit.events.security",
         "security events of notice and above are always recorded: use \"notice\" or \"info\"",
         "\"warning\""},
        {extra(R"("audit": {"events": {"security": "off"}})"), "audit.events.security",
         "security events of notice and above are always recorded: use \"notice\" or \"info\"",
         "\"off\""},
        {extra(R"("audit": {"syslog": [{"host": "127.0.0.1", "transport": "tls"}]})"),
         "audit.syslog[0].transport",
         "transport \"tls\" needs a \"tls\" object with a \"ca\": the server's certificate "
         "is always checked",
         "\"tls\"}"},
        {extra(R"("audit": {"syslog": [{"host": "h", "tls": {"ca": "ca.crt"}}]})"),
         "audit.syslog[0].tls", "a \"tls\" object needs transport \"tls\"", "{\"ca\""},
        {extra(R"("audit": {"syslog": [{"host": "h", "transport": "tls", "tls": {"ca": ""}}]})"),
         "audit.syslog[0].tls.ca", "\"\" is not a file path", "\"\"}"},
        {extra(R"("audit": {"syslog": [{"host": "not a host"}]})"), "audit.syslog[0].host",
         "\"not a host\" is not an IP address or a host name", "\"not a host\""},
        {extra(R"("audit": {"syslog": [{"host": "a"}, {"host": "b"}, {"host": "c"}, )"
               R"({"host": "d"}]})"),
         "audit.syslog[3]", "more than 3 syslog servers", "{\"host\": \"d\"}"},
    });
    const gateway_config c = config_of(extra(R"("audit": {"events": {"security": "notice"}})"));
    CHECK(c.audit.events.security == event_keep::notice);
    CHECK(c.audit.capacity == 10000);
    const gateway_config d = config_of(extra(""));
    CHECK(d.audit.events.security == event_keep::info);
    CHECK(d.audit.syslog.empty());
}

TEST_CASE("accessible_ip_list: the switches, the entries, and every refusal naming its key") {
    const auto extra = [](std::string_view e) {
        return document(serial_channel, tcp_listener, route, e);
    };
    const gateway_config c = config_of(
        extra(R"("accessible_ip_list": {"active": true, "additional_restrictions": true, )"
              R"("entries": ["192.168.1.0/24", {"address": "10.0.0.0", "netmask": "255.0.0.0"}, )"
              R"({"network": "172.16.0.0/12", "active": false}, {"network": "10.9.9.9"}]})"));
    CHECK(c.accessible_ip_list.active);
    CHECK(c.accessible_ip_list.additional_restrictions);
    REQUIRE(c.accessible_ip_list.entries.size() == 4);
    CHECK(c.accessible_ip_list.entries[0].network ==
          gw::policy::parse_ip_network("192.168.1.0/24").network);
    CHECK(c.accessible_ip_list.entries[0].active);
    CHECK(c.accessible_ip_list.entries[1].network ==
          gw::policy::parse_ip_network("10.0.0.0/8").network);
    CHECK_FALSE(c.accessible_ip_list.entries[2].active);
    CHECK(c.accessible_ip_list.entries[3].active);
    // Absent: off, as the MGate ships.
    CHECK_FALSE(config_of(extra("")).accessible_ip_list.active);

    check({
        {extra(R"("accessible_ip_list": {"additional_restrictions": true})"),
         "accessible_ip_list.additional_restrictions",
         "additional restrictions need the list to be active", "true}"},
        {extra(R"("accessible_ip_list": {"active": true})"), "accessible_ip_list.entries",
         "an active list needs at least one active entry (it would refuse every host)",
         "{\"active\""},
        {extra(R"("accessible_ip_list": {"active": true, "entries": [{"network": "10.0.0.1", )"
               R"("active": false}]})"),
         "accessible_ip_list.entries",
         "an active list needs at least one active entry (it would refuse every host)",
         "[{\"network\": \"10.0.0.1\""},
        {extra(R"("accessible_ip_list": {"entries": [{"active": false}]})"),
         "accessible_ip_list.entries[0]", "missing required key \"network\"",
         "{\"active\": false}"},
        {extra(R"("accessible_ip_list": {"entries": [{"network": 5}]})"),
         "accessible_ip_list.entries[0].network",
         "expected an address or network such as \"192.168.1.0/24\", got the number 5", "5}"},
        {extra(R"("accessible_ip_list": {"entries": ["10.0.0.1/8"]})"),
         "accessible_ip_list.entries[0]",
         "\"10.0.0.1/8\" has host bits set: write \"10.0.0.0/8\" for the network, or "
         "\"10.0.0.1\" for the one host",
         "\"10.0.0.1/8\""},
        {extra(R"("accessible_ip_list": {"entries": [{"network": "10.0.0.1", "on": true}]})"),
         "accessible_ip_list.entries[0].on",
         "unknown key \"on\"; an accessible IP entry has the keys \"network\", \"active\"",
         "\"on\""},
        {extra(R"("accessible_ip_list": {"enabled": true})"), "accessible_ip_list.enabled",
         "unknown key \"enabled\"; \"accessible_ip_list\" has the keys \"active\", "
         "\"additional_restrictions\", \"entries\"",
         "\"enabled\""},
    });
    std::string many = R"("accessible_ip_list": {"entries": [)";
    for (int i = 0; i <= 16; ++i)
        many += (i == 0 ? "\"10.0.0." : ", \"10.0.0.") + std::to_string(i) + "\"";
    many += "]}";
    const config_error e = error_of(extra(many));
    CHECK(e.key_path == "accessible_ip_list.entries[16]");
    CHECK(e.message == "more than 16 accessible IP entries");
}

TEST_CASE("authorization: absent, nothing is enforced; present, roles and rules are read") {
    CHECK_FALSE(config_of(listener(R"("read_only": true)")).authorization.has_value());
    const gateway_config c = config_of(
        document(serial_channel,
                 R"({"name": "modbus", "protocol": "modbus_tcp", "port": 1502,
            "roles_by_source": [{"network": "127.0.0.2", "role": "viewer"}]})",
                 route, R"("authorization": {"roles": {"viewer": [{"functions": [3, 4]}]}})"));
    REQUIRE(c.authorization.has_value());
    REQUIRE(c.authorization->roles.size() == 1);
    const access_rule_config& r = c.authorization->roles[0].rules[0];
    CHECK(r.functions == std::vector<std::uint8_t>{3, 4});
    CHECK(r.units == unit_range{1, 247});  // the defaults
    CHECK(r.addresses == address_range{0, 65535});
    CHECK(r.access == rule_access::read);
    CHECK(c.authorization->null_role.empty());  // the NULL role: denied everything
}

TEST_CASE("authorization: every refusal names its key") {
    const auto auth = [](std::string_view body) {
        return document(serial_channel, tcp_listener, route,
                        "\"authorization\": " + std::string(body));
    };
    check({
        {auth("5"), "authorization", "expected an object, got the number 5", "5\n"},
        {auth(R"({"rolls": {}})"), "authorization.rolls",
         "unknown key \"rolls\" (did you mean \"roles\"?)", "\"rolls\""},
        {auth(R"({"roles": {"bad name": []}})"), "authorization.roles",
         "\"bad name\" is not a valid role name: use 1 to 64 letters, digits, '_', '-' or '.'",
         "\"bad name\""},
        {auth(R"({"roles": {"a": [], "a": []}})"), "authorization.roles.a",
         "the role \"a\" is defined twice", "\"a\": []}"},
        {auth(R"({"roles": {"a": [{"access": "read"}]}})"), "authorization.roles.a[0]",
         "missing required key \"functions\"", "{\"access\""},
        {auth(R"({"roles": {"a": [{"functions": []}]}})"), "authorization.roles.a[0].functions",
         "a rule needs at least one function code", "[]"},
        {auth(R"({"roles": {"a": [{"functions": [128]}]}})"),
         "authorization.roles.a[0].functions[0]", "128 is out of range 1..127", "128"},
        {auth(R"({"roles": {"a": [{"functions": [3, 3]}]}})"),
         "authorization.roles.a[0].functions[1]", "function code 3 is listed twice", "3]"},
        {auth(R"({"roles": {"a": [{"functions": [3], "addresses": "9-2"}]}})"),
         "authorization.roles.a[0].addresses", "the range 9-2 is reversed", "\"9-2\""},
        {auth(R"({"roles": {"a": [{"functions": [3], "addresses": "0-65536"}]}})"),
         "authorization.roles.a[0].addresses",
         "\"0-65536\" is not an address or a range such as \"0-99\" (0..65535)", "\"0-65536\""},
        {auth(R"({"roles": {"a": [{"functions": [3], "units": 248}]}})"),
         "authorization.roles.a[0].units", "248 is out of range 0..247", "248"},
        {auth(R"({"roles": {"a": [{"functions": [3], "access": "all"}]}})"),
         "authorization.roles.a[0].access",
         "\"all\" is not one of \"read\", \"write\", \"read_write\"", "\"all\""},
        {auth(R"({"null_role": [{"functions": [3], "colour": 1}]})"),
         "authorization.null_role[0].colour",
         "unknown key \"colour\"; a rule has the keys \"functions\", \"units\", \"addresses\", "
         "\"access\"",
         "\"colour\""},
        {document(serial_channel,
                  R"({"name": "modbus", "protocol": "modbus_tcp", "port": 1502,
            "roles_by_source": [{"network": "10.0.0.0/8", "role": "hmi"}]})",
                  route),
         "listeners[0].roles_by_source[0].role",
         "roles_by_source needs an \"authorization\" object that defines the role \"hmi\"",
         "\"hmi\""},
        {document(serial_channel,
                  R"({"name": "modbus", "protocol": "modbus_tcp", "port": 1502,
            "roles_by_source": [{"network": "10.0.0.0/8", "role": "hmj"}]})",
                  route, R"("authorization": {"roles": {"hmi": []}})"),
         "listeners[0].roles_by_source[0].role",
         "no role is named \"hmj\" in authorization.roles (did you mean \"hmi\"?)", "\"hmj\""},
        {listener(R"("roles_by_source": [{"network": "10.0.0.1/8", "role": "hmi"}])"),
         "listeners[0].roles_by_source[0].network",
         "\"10.0.0.1/8\" has host bits set: write \"10.0.0.0/8\" for the network, or "
         "\"10.0.0.1\" for the one host",
         "\"10.0.0.1/8\""},
    });
    // The capacities: 33 roles, 33 rules.
    std::string roles = R"({"roles": {)";
    for (int i = 0; i <= 32; ++i)
        roles += (i == 0 ? "\"r" : ", \"r") + std::to_string(i) + "\": []";
    roles += "}}";
    const config_error e = error_of(auth(roles));
    CHECK(e.key_path == "authorization.roles.r32");
    CHECK(e.message == "more than 32 roles");
    std::string rules = R"({"null_role": [)";
    for (int i = 0; i <= 32; ++i)
        rules += std::string(i == 0 ? "" : ", ") + R"({"functions": [3]})";
    rules += "]}";
    const config_error e2 = error_of(auth(rules));
    CHECK(e2.key_path == "authorization.null_role[32]");
    CHECK(e2.message == "more than 32 rules");
}

TEST_CASE("management.roles: custom console roles, each right named, built-in names refused") {
    using gw::config::console_right;
    const auto with_roles = [](std::string_view roles) {
        return document(serial_channel, tcp_listener, route,
                        std::string{R"("management": {"roles": )"} + std::string{roles} + "}");
    };
    const auto c = config_of(with_roles(R"([{"name": "maintainer", "lines": "write"}])"));
    REQUIRE(c.management);
    REQUIRE(c.management->roles.size() == 1);
    const auto& r = c.management->roles[0];
    CHECK(r.name == "maintainer");
    CHECK(r.lines == console_right::write);
    CHECK(r.status == console_right::read);  // the defaults: watch, change nothing
    CHECK(r.monitor == console_right::read);
    CHECK(r.audit == console_right::none);
    CHECK(r.security == console_right::none);
    CHECK(r.accounts == console_right::none);
    check({
        {with_roles(R"([{"name": "operator"}])"), "management.roles[0].name",
         "\"operator\" is a built-in role: choose another name", "\"operator\""},
        {with_roles(R"([{"name": "Ops"}])"), "management.roles[0].name",
         "a role name is 1 to 32 of a-z 0-9 _ -", "\"Ops\""},
        {with_roles(R"([{"name": "m"}, {"name": "m"}])"), "management.roles[1].name",
         "a second role named \"m\"", "\"m\"}]"},
        {with_roles(R"([{"name": "m", "lines": "all"}])"), "management.roles[0].lines",
         "\"all\" is not one of \"none\", \"read\", \"write\"", "\"all\""},
        {with_roles(R"([{"lines": "read"}])"), "management.roles[0]",
         "missing required key \"name\"", "{\"lines\""},
    });
}
