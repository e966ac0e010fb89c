// include/gw/gateway/plan_from_config.hpp: what the file says reaches the plan unchanged (RS-485
// delays in milliseconds, the TCP connect deadline).

#include <gw/transport/detail/rs485.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <variant>

#include <gw/gateway/plan_from_config.hpp>

using namespace std::chrono_literals;

TEST_CASE("plan_from_config: RS-485 delays pass through in milliseconds, down to the kernel's") {
    gw::config::serial_line_config line;
    line.device = "/dev/ttyS1";
    line.rs485.enabled = true;
    line.rs485.delay_before_send = 7ms;
    line.rs485.delay_after_send = gw::transport::max_rs485_delay;
    const auto settings = gw::gateway::to_serial_settings(line);
    CHECK(settings.rs485 == line.rs485);
    CHECK(gw::transport::invalid_reason(settings).empty());
    const serial_rs485 conf = gw::transport::detail::to_kernel(settings.rs485);
    CHECK(conf.delay_rts_before_send == 7);
    CHECK(conf.delay_rts_after_send == 100);
    CHECK((conf.flags & SER_RS485_ENABLED) != 0);
}

TEST_CASE("plan_from_config: a tcp channel's connect timeout and reconnect count reach its plan") {
    gw::config::gateway_config c;
    gw::config::channel_config ch;
    ch.name = "plc";
    gw::config::tcp_device_config tcp;
    tcp.host = "127.0.0.1";
    tcp.port = 5020;
    tcp.connect_timeout = 750ms;
    tcp.reconnect_after_timeouts = 7;
    ch.link = tcp;
    c.channels.push_back(ch);
    const auto plan = gw::gateway::plan_from_config(c, [](const std::string&) { return ""; });
    REQUIRE(plan.channels.size() == 1);
    const auto& link = std::get<gw::gateway::tcp_link_plan>(plan.channels[0].link);
    CHECK(link.host == "127.0.0.1");
    CHECK(link.port == 5020);
    CHECK(link.connect_timeout == 750ms);
    CHECK(link.reconnect_after_timeouts == 7);
}
