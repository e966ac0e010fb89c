#pragma once
// The configuration the gateway runs with when given none: the built-in simulated serial device
// (units 1-3) reachable from this machine only, on a normal and a priority Modbus TCP port and a
// Modbus/TCP Security (mutual TLS) port, with roles: "operator" reads and writes, "viewer" reads.
// default_config_text() is the same configuration as a commented file to start from
// (gw --print-default-config); the tests check that it parses to default_config().

#include <gw/config/gateway_config.hpp>
#include <gw/config/ip_network.hpp>

#include <string_view>

namespace gw::config {

inline constexpr std::string_view default_config_text() noexcept {
    return R"json(// gw gateway configuration: JSON with comments (// and /* */) and trailing commas.
// Every key is described in docs/configuration.md; unknown keys are errors.
//
// This is the built-in default: a simulated serial device answering units 1-3, reachable from
// this machine only. Replace the simulator with "serial" or "tcp" channels, and open the
// listeners to the network ("address": "0.0.0.0") with an allowlist.
{
  // Downstream: where requests go.
  "channels": [
    // A serial line would be:
    //   { "name": "line1", "type": "serial", "device": "/dev/ttyUSB0", "baud": 19200,
    //     "parity": "even", "response_timeout_ms": 1000 },
    // and a Modbus TCP device:
    //   { "name": "plc2", "type": "tcp", "host": "192.168.1.20", "port": 502 },
    { "name": "sim", "type": "simulator", "units": "1-3" },
  ],

  // Upstream: where masters connect. Plain Modbus TCP has no credentials: a plain listener's
  // masters get their role from their source address (here: this machine is "operator").
  "listeners": [
    // Ordinary polling masters (the MGate's port 502).
    { "name": "modbus", "protocol": "modbus_tcp", "address": "127.0.0.1", "port": 1502,
      "roles_by_source": [ { "network": "127.0.0.0/8", "role": "operator" } ] },
    // Requests from here go ahead of the others in each channel's queue (the MGate's 7502).
    { "name": "priority", "protocol": "modbus_tcp", "address": "127.0.0.1", "port": 1503,
      "priority": "high",
      "roles_by_source": [ { "network": "127.0.0.0/8", "role": "operator" } ] },
    // Modbus/TCP Security (the standard's port 802): mutual TLS, the role from the client's
    // certificate. Relative paths are in the state directory (--state-dir), where the
    // built-in default makes a demo PKI on first start: a CA, this server's certificate, and
    // client certificates "operator", "viewer" and "guest" (no role).
    { "name": "secure", "protocol": "modbus_tls", "address": "127.0.0.1", "port": 1802,
      "tls": { "certificate": "pki/server.crt", "private_key": "pki/server.key",
               "ca": "pki/ca.crt" } },
  ],

  // Unit id -> channel. "map_to" would renumber: { "units": "11-13", "channel": "sim", "map_to": 1 }
  "routes": [
    { "units": "1-3", "channel": "sim" },
  ],

  // What each role may do (default deny: a role, or the NULL role of a master without one,
  // gets only what a rule grants). "operator" reads and writes, "viewer" only reads.
  "authorization": {
    "roles": {
      "operator": [ { "functions": [1, 2, 3, 4, 5, 6, 15, 16, 23], "access": "read_write" } ],
      "viewer": [ { "functions": [1, 2, 3, 4], "access": "read" } ],
    },
  },

  "limits": { "max_connections": 256 },

  // Events at this severity and above are kept, up to event_log_capacity of them.
  "log": { "level": "notice", "event_log_capacity": 10000 },

  // The HTTPS management console and REST API. There is no default account: the first
  // administrator is created from this machine (the console's first-run page, or
  // gw_gateway --create-admin NAME), and until then the console listens on 127.0.0.1 only.
  // Its certificate is self-signed (made in the state directory) unless you give one.
  "management": {
    "address": "127.0.0.1", "port": 8443,
    "login_message": "gw gateway: authorised users only. Every action is recorded.",
    "lockout": { "max_failures": 5, "window_s": 300, "lockout_s": 300 },
    "password_policy": { "min_length": 12 },
  },
}
)json";
}

/// The same configuration as a value. Throws only std::bad_alloc.
inline gateway_config default_config() {
    gateway_config c;
    channel_config sim;
    sim.name = "sim";
    sim.link = simulator_config{unit_range{1, 3}};
    c.channels.push_back(sim);

    listener_config normal;
    normal.name = "modbus";
    normal.protocol = listener_protocol::modbus_tcp;
    normal.priority = priority_class::normal;
    tcp_listener_config normal_tcp;
    normal_tcp.address = "127.0.0.1";
    normal_tcp.port = 1502;
    normal.endpoint = normal_tcp;
    c.listeners.push_back(normal);

    auto& normal_endpoint = std::get<tcp_listener_config>(c.listeners.back().endpoint);
    normal_endpoint.roles_by_source = {{parse_ip_network("127.0.0.0/8").network, "operator"}};

    listener_config high = c.listeners.back();
    high.name = "priority";
    high.priority = priority_class::high;
    std::get<tcp_listener_config>(high.endpoint).port = 1503;
    c.listeners.push_back(high);

    listener_config secure;
    secure.name = "secure";
    secure.protocol = listener_protocol::modbus_tls;
    tcp_listener_config secure_tcp;
    secure_tcp.port = 1802;
    secure_tcp.tls.certificate = "pki/server.crt";
    secure_tcp.tls.private_key = "pki/server.key";
    secure_tcp.tls.ca = "pki/ca.crt";
    secure.endpoint = secure_tcp;
    c.listeners.push_back(secure);

    authorization_config authorization;
    access_rule_config operate;
    operate.functions = {1, 2, 3, 4, 5, 6, 15, 16, 23};
    operate.access = rule_access::read_write;
    access_rule_config view;
    view.functions = {1, 2, 3, 4};
    authorization.roles = {{"operator", {operate}}, {"viewer", {view}}};
    c.authorization = authorization;

    c.routes.push_back(route_config{unit_range{1, 3}, "sim", std::nullopt});

    management_config m;
    m.login_message = "gw gateway: authorised users only. Every action is recorded.";
    m.password_policy.min_length = 12;
    c.management = m;
    return c;
}

}  // namespace gw::config
