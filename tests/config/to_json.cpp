// Tests include/gw/config/to_json.hpp: every key written is read back to an equal configuration.

#include "config/config_test_support.hpp"

#include <gw/config/detail/config_keys.hpp>
#include <gw/config/load_config.hpp>
#include <gw/config/to_json.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace gw::config;
using namespace gw::config::test;
using namespace std::chrono_literals;

namespace {

/// Every key of the file format, none at its default.
constexpr std::string_view every_key = R"({
  "channels": [
    { "name": "line1", "type": "serial", "device": "/dev/ttyUSB0", "baud": 9600, "data_bits": 8,
      "parity": "odd", "stop_bits": 2, "mode": "rtu", "framing": "silence",
      "rs485": { "enabled": true, "rts_on_send": false, "rts_after_send": true,
                 "delay_before_send_ms": 25, "delay_after_send_ms": 75 },
      "low_latency": false,
      "response_timeout_ms": 250, "retries": 2, "inter_frame_delay_ms": 5,
      "broadcast_turnaround_ms": 200, "priority_hold_us": 800, "coalesce_reads": true,
      "queue_per_master": 64,
      "reopen_backoff_ms": [200, 10000] },
    { "name": "line2", "type": "serial", "device": "/dev/ttyS\"2\\", "mode": "ascii",
      "data_bits": 7 },
    { "name": "plc2", "type": "tcp", "host": "plc2.example", "port": 5020,
      "protocol": "rtu_over_tcp", "reopen_backoff_ms": [50, 60], "connect_timeout_ms": 1500,
      "reconnect_after_timeouts": 5,
      "tls": { "ca": "/etc/gw/devices-ca.crt", "certificate": "/etc/gw/gw.crt",
               "private_key": "/etc/gw/gw.key", "server_name": "plc2.plant.example" },
      "response_timeout_ms": 3000,
      "retries": 1, "coalesce_reads": true, "queue_per_master": 8 },
    { "name": "sim", "type": "simulator", "units": "100-110", "inter_frame_delay_ms": 1 },
  ],
  "listeners": [
    { "name": "modbus", "protocol": "modbus_tcp", "address": "0.0.0.0", "port": 502,
      "priority": "normal", "max_connections": 16, "max_connections_per_source": 4,
      "idle_timeout_s": 60, "write_timeout_s": 20, "frame_timeout_ms": 750,
      "allowlist": [ "192.168.1.0/24", "2001:db8::/32", "10.0.0.5",
                     { "address": "192.168.2.0", "netmask": "255.255.255.128" } ],
      "rate_limit": { "connection_requests_per_s": 50, "connection_burst": 60,
                      "source_requests_per_s": 0, "source_burst": 0,
                      "listener_requests_per_s": 900, "listener_burst": 1800,
                      "source_connections_per_s": 2, "source_connection_burst": 3,
                      "block_after": 0, "block_window_s": 30, "block_for_s": 600,
                      "audit_window_s": 5, "exempt": [ "10.1.0.0/16", "::1" ] },
      "read_only": true,
      "audit_writes": true,
      "roles_by_source": [ { "network": "10.1.0.0/16", "role": "hmi" },
                           { "network": "10.2.0.7", "role": "viewer" } ] },
    { "name": "priority", "protocol": "rtu_over_tcp", "address": "::1", "port": 7502,
      "priority": "high", "enabled": false },
    { "name": "serial_in", "protocol": "rtu_serial", "device": "/dev/ttyS1", "baud": 115200,
      "data_bits": 8, "parity": "none", "stop_bits": 1, "framing": "predicted",
      "rs485": { "enabled": true }, "low_latency": true, "reopen_backoff_ms": [1, 2],
      "priority": "high" },
    { "name": "secure", "protocol": "modbus_tls", "port": 802,
      "tls": { "certificate": "/etc/gw/server.crt", "private_key": "/etc/gw/server.key",
               "ca": "/etc/gw/ca.crt", "crl": "/etc/gw/ca.crl", "cipher_policy": "compatibility",
               "handshake_timeout_ms": 2500, "max_handshakes": 100,
               "max_handshakes_per_source": 5 } },
  ],
  "routes": [
    { "units": 0, "channel": "line1" },
    { "units": "1-10", "channel": "line1", "map_to": 11 },
    { "units": 11, "channel": "line2" },
    { "units": "20-29", "channel": "plc2", "map_to": 1 },
    { "units": "100-110", "channel": "sim" },
  ],
  "accessible_ip_list": { "active": true, "additional_restrictions": true,
                          "entries": [ "192.168.1.0/24",
                                       { "network": "10.0.0.5", "active": false } ] },
  "limits": { "max_connections": 100 },
  "log": { "level": "warning", "event_log_capacity": 500 },
  "audit": { "capacity": 500, "when_full": "stop", "warn_percent": 90, "durable_security": false,
             "batch_records": 8,
             "events": { "system": "info", "network": "off", "security": "notice",
                         "maintenance": "error", "modbus": "warning", "serial": "info" },
             "reconnaissance": { "threshold": 5, "window_s": 30 },
             "syslog": [ { "host": "127.0.0.1", "port": 5514, "transport": "udp",
                           "level": "info" },
                         { "host": "logs.example.net", "transport": "tls", "level": "warning",
                           "tls": { "ca": "/etc/gw/syslog-ca.crt",
                                    "certificate": "/etc/gw/gw.crt",
                                    "private_key": "/etc/gw/gw.key",
                                    "server_name": "logs.example.net" } } ],
             "enterprise_number": 50316 },
  "authorization": {
    "roles": {
      "hmi": [ { "functions": [3, 16, 23], "units": "1-3", "addresses": "0-99",
                 "access": "read_write" },
               { "functions": [8], "units": 0, "addresses": 0, "access": "read" } ],
      "viewer": [ { "functions": [4], "units": 5, "addresses": "10-10", "access": "write" } ],
      "empty": [],
    },
    "null_role": [ { "functions": [43], "units": "1-247", "addresses": 14, "access": "read" } ],
  },
  "management": {
    "address": "0.0.0.0", "port": 9443, "certificate": "/etc/gw/console.crt",
    "private_key": "/etc/gw/console.key", "max_connections": 8,
    "login_message": "Authorised use only.", "failure_message": "No.", "metrics": "open",
    "lockout": { "enabled": false, "max_failures": 3, "window_s": 60, "lockout_s": 600 },
    "password_policy": { "min_length": 12, "require_upper": true, "require_lower": true,
                         "require_digit": true, "require_symbol": true, "history": 5,
                         "lifetime_days": 90, "warn_days": 7 },
    "sessions": { "idle_s": 600, "absolute_s": 3600, "per_account": 2, "total": 10 },
    "roles": [ { "name": "maintainer", "status": "write", "audit": "read", "monitor": "none",
                 "lines": "write", "services": "read", "security": "read",
                 "accounts": "none" } ],
  },
})";

gateway_config every_key_expected() {
    gateway_config c;

    channel_config line1;
    line1.name = "line1";
    serial_line_config s1;
    s1.device = "/dev/ttyUSB0";
    s1.baud = 9600;
    s1.data_bits = 8;
    s1.parity = serial_parity::odd;
    s1.stop_bits = 2;
    s1.mode = serial_mode::rtu;
    s1.framing = serial_framing::silence;
    s1.rs485 = rs485_config{true, false, true, 25ms, 75ms, false};
    s1.low_latency = false;
    s1.reopen_backoff = backoff_config{200ms, 10000ms};
    line1.link = s1;
    line1.response_timeout = 250ms;
    line1.retries = 2;
    line1.inter_frame_delay = 5ms;
    line1.broadcast_turnaround = 200ms;
    line1.priority_hold = 800us;
    line1.coalesce_reads = true;
    line1.queue_per_master = 64;
    c.channels.push_back(line1);

    channel_config line2;
    line2.name = "line2";
    serial_line_config s2;
    s2.device = "/dev/ttyS\"2\\";
    s2.mode = serial_mode::ascii;
    s2.data_bits = 7;
    line2.link = s2;
    c.channels.push_back(line2);

    channel_config plc2;
    plc2.name = "plc2";
    plc2.link = tcp_device_config{.host = "plc2.example",
                                  .port = 5020,
                                  .protocol = tcp_protocol::rtu_over_tcp,
                                  .reconnect_backoff = {50ms, 60ms},
                                  .connect_timeout = 1500ms,
                                  .reconnect_after_timeouts = 5,
                                  .tls = {.ca = "/etc/gw/devices-ca.crt",
                                          .certificate = "/etc/gw/gw.crt",
                                          .private_key = "/etc/gw/gw.key",
                                          .server_name = "plc2.plant.example"}};
    plc2.response_timeout = 3000ms;
    plc2.retries = 1;
    plc2.coalesce_reads = true;
    plc2.queue_per_master = 8;
    c.channels.push_back(plc2);

    channel_config sim;
    sim.name = "sim";
    sim.link = simulator_config{unit_range{100, 110}};
    sim.inter_frame_delay = 1ms;
    c.channels.push_back(sim);

    listener_config modbus;
    modbus.name = "modbus";
    modbus.protocol = listener_protocol::modbus_tcp;
    tcp_listener_config t1;
    t1.address = "0.0.0.0";
    t1.port = 502;
    t1.max_connections = 16;
    t1.max_connections_per_source = 4;
    t1.idle_timeout = 60s;
    t1.write_timeout = 20s;
    t1.frame_timeout = 750ms;
    t1.allowlist = {parse_ip_network("192.168.1.0/24").network,
                    parse_ip_network("2001:db8::/32").network, parse_ip_network("10.0.0.5").network,
                    parse_ip_network("192.168.2.0/25").network};
    t1.rate_limit.connection_requests_per_s = 50;
    t1.rate_limit.connection_burst = 60;
    t1.rate_limit.source_requests_per_s = 0;
    t1.rate_limit.source_burst = 0;
    t1.rate_limit.listener_requests_per_s = 900;
    t1.rate_limit.listener_burst = 1800;
    t1.rate_limit.source_connections_per_s = 2;
    t1.rate_limit.source_connection_burst = 3;
    t1.rate_limit.block_after = 0;
    t1.rate_limit.block_window = 30s;
    t1.rate_limit.block_for = 600s;
    t1.rate_limit.audit_window = 5s;
    t1.rate_limit.exempt = {parse_ip_network("10.1.0.0/16").network,
                            parse_ip_network("::1").network};
    t1.read_only = true;
    t1.audit_writes = true;
    t1.roles_by_source = {{parse_ip_network("10.1.0.0/16").network, "hmi"},
                          {parse_ip_network("10.2.0.7").network, "viewer"}};
    modbus.endpoint = t1;
    c.listeners.push_back(modbus);

    listener_config priority;
    priority.name = "priority";
    priority.protocol = listener_protocol::rtu_over_tcp;
    priority.priority = priority_class::high;
    priority.enabled = false;
    tcp_listener_config t2;
    t2.address = "::1";
    t2.port = 7502;
    priority.endpoint = t2;
    c.listeners.push_back(priority);

    listener_config serial_in;
    serial_in.name = "serial_in";
    serial_in.protocol = listener_protocol::rtu_serial;
    serial_in.priority = priority_class::high;
    serial_line_config s3;
    s3.device = "/dev/ttyS1";
    s3.baud = 115200;
    s3.parity = serial_parity::none;
    s3.rs485.enabled = true;
    s3.reopen_backoff = backoff_config{1ms, 2ms};
    serial_in.endpoint = s3;
    c.listeners.push_back(serial_in);

    listener_config secure;
    secure.name = "secure";
    secure.protocol = listener_protocol::modbus_tls;
    tcp_listener_config t4;
    t4.port = 802;
    t4.tls.certificate = "/etc/gw/server.crt";
    t4.tls.private_key = "/etc/gw/server.key";
    t4.tls.ca = "/etc/gw/ca.crt";
    t4.tls.crl = "/etc/gw/ca.crl";
    t4.tls.ciphers = cipher_policy::compatibility;
    t4.tls.handshake_timeout = 2500ms;
    t4.tls.max_handshakes = 100;
    t4.tls.max_handshakes_per_source = 5;
    secure.endpoint = t4;
    c.listeners.push_back(secure);

    c.routes = {
        route_config{unit_range{0, 0}, "line1", std::nullopt},
        route_config{unit_range{1, 10}, "line1", std::uint8_t{11}},
        route_config{unit_range{11, 11}, "line2", std::nullopt},
        route_config{unit_range{20, 29}, "plc2", std::uint8_t{1}},
        route_config{unit_range{100, 110}, "sim", std::nullopt},
    };
    c.accessible_ip_list.active = true;
    c.accessible_ip_list.additional_restrictions = true;
    c.accessible_ip_list.entries = {{parse_ip_network("192.168.1.0/24").network, true},
                                    {parse_ip_network("10.0.0.5").network, false}};
    c.limits.max_connections = 100;
    c.log = log_config{log_level::warning, 500};
    c.audit.capacity = 500;
    c.audit.when_full = audit_when_full::stop;
    c.audit.warn_percent = 90;
    c.audit.durable_security = false;
    c.audit.batch_records = 8;
    c.audit.events = {event_keep::info,  event_keep::off,     event_keep::notice,
                      event_keep::error, event_keep::warning, event_keep::info};
    c.audit.reconnaissance = {5, std::chrono::seconds{30}};
    syslog_server_config udp;
    udp.host = "127.0.0.1";
    udp.port = 5514;
    udp.level = log_level::info;
    syslog_server_config tls;
    tls.host = "logs.example.net";
    tls.transport = syslog_transport::tls;
    tls.level = log_level::warning;
    tls.tls = {"/etc/gw/syslog-ca.crt", "/etc/gw/gw.crt", "/etc/gw/gw.key", "logs.example.net"};
    c.audit.syslog = {udp, tls};
    c.audit.enterprise_number = 50316;
    authorization_config a;
    a.roles = {
        role_config{
            "hmi",
            {access_rule_config{
                 {3, 16, 23}, unit_range{1, 3}, address_range{0, 99}, rule_access::read_write},
             access_rule_config{{8}, unit_range{0, 0}, address_range{0, 0}, rule_access::read}}},
        role_config{
            "viewer",
            {access_rule_config{{4}, unit_range{5, 5}, address_range{10, 10}, rule_access::write}}},
        role_config{"empty", {}},
    };
    a.null_role = {
        access_rule_config{{43}, unit_range{1, 247}, address_range{14, 14}, rule_access::read}};
    c.authorization = a;
    management_config m;
    m.address = "0.0.0.0";
    m.port = 9443;
    m.certificate = "/etc/gw/console.crt";
    m.private_key = "/etc/gw/console.key";
    m.max_connections = 8;
    m.login_message = "Authorised use only.";
    m.failure_message = "No.";
    m.metrics = metrics_access::open;
    m.lockout = {false, 3, std::chrono::seconds{60}, std::chrono::seconds{600}};
    m.password_policy = {12, true, true, true, true, 5, 90, 7};
    m.sessions = {std::chrono::seconds{600}, std::chrono::seconds{3600}, 2, 10};
    m.roles = {{"maintainer", console_right::write, console_right::read, console_right::none,
                console_right::write, console_right::read, console_right::read,
                console_right::none}};
    c.management = m;
    return c;
}

}  // namespace

TEST_CASE("every key is read into the model") {
    const gateway_config parsed = config_of(every_key);
    const gateway_config expected = every_key_expected();
    // Piece by piece first, so that a difference names its part.
    REQUIRE(parsed.channels.size() == expected.channels.size());
    for (std::size_t i = 0; i < expected.channels.size(); ++i) {
        CHECK_MESSAGE(parsed.channels[i] == expected.channels[i], expected.channels[i].name);
    }
    REQUIRE(parsed.listeners.size() == expected.listeners.size());
    for (std::size_t i = 0; i < expected.listeners.size(); ++i) {
        CHECK_MESSAGE(parsed.listeners[i] == expected.listeners[i], expected.listeners[i].name);
    }
    CHECK(parsed.routes == expected.routes);
    CHECK(parsed.accessible_ip_list == expected.accessible_ip_list);
    CHECK(parsed.limits == expected.limits);
    CHECK(parsed.log == expected.log);
    CHECK(parsed.audit == expected.audit);
    CHECK(parsed.authorization == expected.authorization);
    CHECK(parsed.management == expected.management);
    CHECK(parsed == expected);
}

TEST_CASE("to_json writes every key and reads back to an equal configuration") {
    const gateway_config c = every_key_expected();
    const std::string text = to_json(c);
    CHECK(config_of(text) == c);
    CHECK(to_json(config_of(text)) == text);  // stable
    // Every declared key is written (defaults too, so the saved file shows what runs), but
    // the allowlist entry object's: entries are written as strings.
    detail::for_each_key_table([&](std::string_view section, auto table) {
        for (const auto& d : table) {
            const std::string key = "\"" + std::string(d.key) + "\"";
            CHECK_MESSAGE((text.find(key) != std::string::npos || section == "Allowlist entries"),
                          key);
        }
    });
    // Networks are written in prefix form, and a single host without its /32.
    CHECK(text.find(R"("allowlist": ["192.168.1.0/24", "2001:db8::/32", "10.0.0.5", )"
                    R"("192.168.2.0/25"])") != std::string::npos);
    CHECK(text.find(R"("device": "/dev/ttyS\"2\\")") != std::string::npos);
    // An active accessible entry is a plain network, an inactive one keeps its switch.
    CHECK(text.find(R"("192.168.1.0/24",)") != std::string::npos);
    CHECK(text.find(R"("network": "10.0.0.5")") != std::string::npos);
    // ASCII lines have no "framing" (it is refused there); the rtu_serial listener no "mode".
    CHECK(text.find(R"("mode": "ascii",
      "rs485")") != std::string::npos);
}

TEST_CASE("to_json layout") {
    const gateway_config c =
        config_of(document(R"({"name": "sim", "type": "simulator", "units": 7})", tcp_listener,
                           R"({"units": 7, "channel": "sim"})"));
    CHECK(to_json(c) == R"({
  "channels": [
    {
      "name": "sim",
      "type": "simulator",
      "units": 7,
      "response_timeout_ms": 1000,
      "retries": 0,
      "inter_frame_delay_ms": 0,
      "broadcast_turnaround_ms": 100,
      "priority_hold_us": 0,
      "coalesce_reads": false,
      "queue_per_master": 32
    }
  ],
  "listeners": [
    {
      "name": "modbus",
      "protocol": "modbus_tcp",
      "priority": "normal",
      "enabled": true,
      "address": "127.0.0.1",
      "port": 1502,
      "max_connections": 32,
      "max_connections_per_source": 0,
      "idle_timeout_s": 300,
      "write_timeout_s": 10,
      "frame_timeout_ms": 2000,
      "allowlist": [],
      "rate_limit": {
        "connection_requests_per_s": 100,
        "connection_burst": 200,
        "source_requests_per_s": 500,
        "source_burst": 1000,
        "listener_requests_per_s": 5000,
        "listener_burst": 10000,
        "source_connections_per_s": 20,
        "source_connection_burst": 40,
        "block_after": 100,
        "block_window_s": 10,
        "block_for_s": 300,
        "audit_window_s": 10,
        "exempt": []
      },
      "read_only": false,
      "audit_writes": false,
      "roles_by_source": []
    }
  ],
  "routes": [
    {
      "units": 7,
      "channel": "sim"
    }
  ],
  "accessible_ip_list": {
    "active": false,
    "additional_restrictions": false,
    "entries": []
  },
  "limits": {
    "max_connections": 256
  },
  "log": {
    "level": "notice",
    "event_log_capacity": 10000
  },
  "audit": {
    "capacity": 10000,
    "when_full": "overwrite",
    "warn_percent": 80,
    "durable_security": true,
    "batch_records": 64,
    "events": {
      "system": "notice",
      "network": "notice",
      "security": "info",
      "maintenance": "notice",
      "modbus": "notice",
      "serial": "notice"
    },
    "reconnaissance": {
      "threshold": 20,
      "window_s": 60
    },
    "syslog": [],
    "enterprise_number": 32473
  }
}
)");
}

TEST_CASE("strings are escaped") {
    gateway_config c = every_key_expected();
    std::get<serial_line_config>(c.channels[0].link).device = "/dev/\x01\t\n\r\"\\\x7f\xc3\xa9";
    const std::string text = to_json(c);
    CHECK(text.find(R"("/dev/\u0001\t\n\r\"\\)"
                    "\x7f\xc3\xa9\"") != std::string::npos);
}
