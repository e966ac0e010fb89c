#pragma once
// The configuration the gateway runs with when given none: the built-in simulated serial device
// (units 1-3) reachable from this machine only, on a normal and a priority Modbus TCP port.
// default_config_text() is the same configuration as a commented file to start from
// (gw --print-default-config); the tests check that it parses to default_config().

#include <gw/config/gateway_config.hpp>

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

  // Upstream: where masters connect.
  "listeners": [
    // Ordinary polling masters (the MGate's port 502).
    { "name": "modbus", "protocol": "modbus_tcp", "address": "127.0.0.1", "port": 1502 },
    // Requests from here go ahead of the others in each channel's queue (the MGate's 7502).
    { "name": "priority", "protocol": "modbus_tcp", "address": "127.0.0.1", "port": 1503,
      "priority": "high" },
  ],

  // Unit id -> channel. "map_to" would renumber: { "units": "11-13", "channel": "sim", "map_to": 1 }
  "routes": [
    { "units": "1-3", "channel": "sim" },
  ],

  "limits": { "max_connections": 256 },

  // Events at this severity and above are kept, up to event_log_capacity of them.
  "log": { "level": "notice", "event_log_capacity": 10000 },
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

    listener_config high = normal;
    high.name = "priority";
    high.priority = priority_class::high;
    std::get<tcp_listener_config>(high.endpoint).port = 1503;
    c.listeners.push_back(high);

    c.routes.push_back(route_config{unit_range{1, 3}, "sim", std::nullopt});
    return c;
}

}  // namespace gw::config
