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

TEST_CASE("plan_from_config: authorization reaches the plan; without it nothing is enforced") {
    gw::config::gateway_config c;
    gw::config::listener_config l;
    l.name = "modbus";
    gw::config::tcp_listener_config tcp;
    tcp.read_only = true;
    tcp.roles_by_source = {{gw::policy::parse_ip_network("10.1.0.0/16").network, "hmi"}};
    l.endpoint = tcp;
    c.listeners.push_back(l);
    CHECK_FALSE(gw::gateway::plan_from_config(c).authorization.enabled);

    gw::config::authorization_config a;
    a.roles = {{"hmi",
                {{{3, 16}, {1, 3}, {10, 19}, gw::config::rule_access::read_write},
                 {{8}, {0, 0}, {0, 0}, gw::config::rule_access::write}}}};
    a.null_role = {{{4}, {1, 247}, {0, 65535}, gw::config::rule_access::read}};
    c.authorization = a;
    const auto plan = gw::gateway::plan_from_config(c);
    CHECK(plan.authorization.enabled);
    REQUIRE(plan.authorization.roles.size() == 1);
    CHECK(plan.authorization.roles[0].name == "hmi");
    REQUIRE(plan.authorization.roles[0].rules.size() == 2);
    const gw::policy::access_rule& r = plan.authorization.roles[0].rules[0];
    CHECK(r.functions == gw::policy::function_set{3, 16});
    CHECK(r.first_unit == 1);
    CHECK(r.last_unit == 3);
    CHECK(r.first_address == 10);
    CHECK(r.last_address == 19);
    CHECK(r.access == gw::policy::access_mode::read_write);
    CHECK(plan.authorization.roles[0].rules[1].access == gw::policy::access_mode::write);
    REQUIRE(plan.authorization.null_role.size() == 1);
    CHECK(plan.authorization.null_role[0].access == gw::policy::access_mode::read);
    CHECK(plan.listeners[0].read_only);
    REQUIRE(plan.listeners[0].roles_by_source.size() == 1);
    CHECK(plan.listeners[0].roles_by_source[0].role == "hmi");
    CHECK(plan.listeners[0].roles_by_source[0].network ==
          gw::policy::parse_ip_network("10.1.0.0/16").network);
}
