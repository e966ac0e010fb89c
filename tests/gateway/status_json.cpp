// gw::gateway::to_json(gateway_status): the status as JSON that a parser accepts whatever the
// names and device paths hold, with every field reading back equal. Also through a running
// gateway (Boost.Asio) whose channel's device path holds a quote and a backslash.

#include <gw/gateway/gateway.hpp>
#include <gw/gateway/status_json.hpp>
#include <gw/transport/asio.hpp>

#include <doctest/doctest.h>
#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace {

namespace json = boost::json;

gw::gateway::gateway_status sample() {
    gw::gateway::gateway_status s;
    gw::gateway::channel_status c;
    c.name = "line \"A\"";
    c.link = R"(serial /dev/serial/by-id/usb-"odd"\name)";
    c.up = true;
    c.queue_depth = 3;
    c.counters.requests = 10;
    c.counters.transactions = 9;
    c.counters.responses = 7;
    c.counters.device_exceptions = 1;
    c.counters.timeouts = 2;
    c.counters.retries = 4;
    c.counters.crc_errors = 5;
    c.counters.wrong_unit = 6;
    c.counters.invalid_responses = 8;
    c.counters.busy_rejections = 11;
    c.counters.coalesced = 12;
    c.counters.broadcasts = 13;
    c.counters.unexpected_bytes = 14;
    c.counters.transport_failures = 15;
    c.counters.exceptions_by_code[3] = 1;
    c.counters.exceptions_by_code[11] = 2;
    s.channels.push_back(c);
    gw::gateway::listener_status l;
    l.name = "tcp\\0";
    l.port = 1502;
    l.counters.connections_accepted = 21;
    l.counters.connections_refused = 22;
    l.counters.connections_active = 23;
    l.counters.idle_timeouts = 24;
    l.counters.protocol_errors = 25;
    l.counters.frame_timeouts = 28;
    l.counters.requests = 26;
    l.counters.responses = 27;
    l.counters.exceptions_by_code[10] = 3;
    l.counters.latency.record(std::chrono::microseconds{100});
    l.counters.latency.record(std::chrono::microseconds{3000});
    s.listeners.push_back(l);
    s.events = {30, 29, 1};
    return s;
}

std::uint64_t u(const json::value& v) {
    return v.to_number<std::uint64_t>();
}

}  // namespace

TEST_CASE("status JSON: quotes and backslashes in names and paths parse back equal") {
    const auto s = sample();
    const auto text = gw::gateway::status_json_text(s);
    json::error_code ec;
    const auto v = json::parse(text, ec);
    REQUIRE_MESSAGE(!ec, ec.message() << ": " << text);
    const auto& c = v.at("channels").at(0);
    CHECK(c.at("name").as_string() == s.channels[0].name);
    CHECK(c.at("link").as_string() == s.channels[0].link);
    CHECK(c.at("up").as_bool());
    CHECK(u(c.at("queue_depth")) == 3);
    const auto& k = s.channels[0].counters;
    CHECK(u(c.at("requests")) == k.requests);
    CHECK(u(c.at("transactions")) == k.transactions);
    CHECK(u(c.at("responses")) == k.responses);
    CHECK(u(c.at("device_exceptions")) == k.device_exceptions);
    CHECK(u(c.at("timeouts")) == k.timeouts);
    CHECK(u(c.at("retries")) == k.retries);
    CHECK(u(c.at("crc_errors")) == k.crc_errors);
    CHECK(u(c.at("wrong_unit")) == k.wrong_unit);
    CHECK(u(c.at("invalid_responses")) == k.invalid_responses);
    CHECK(u(c.at("busy_rejections")) == k.busy_rejections);
    CHECK(u(c.at("coalesced")) == k.coalesced);
    CHECK(u(c.at("broadcasts")) == k.broadcasts);
    CHECK(u(c.at("unexpected_bytes")) == k.unexpected_bytes);
    CHECK(u(c.at("transport_failures")) == k.transport_failures);
    CHECK(c.at("exceptions") == json::parse(R"({"3":1,"11":2})"));

    const auto& l = v.at("listeners").at(0);
    CHECK(l.at("name").as_string() == "tcp\\0");
    CHECK(u(l.at("port")) == 1502);
    CHECK(u(l.at("connections_accepted")) == 21);
    CHECK(u(l.at("connections_refused")) == 22);
    CHECK(u(l.at("connections_active")) == 23);
    CHECK(u(l.at("idle_timeouts")) == 24);
    CHECK(u(l.at("protocol_errors")) == 25);
    CHECK(u(l.at("frame_timeouts")) == 28);
    CHECK(u(l.at("requests")) == 26);
    CHECK(u(l.at("responses")) == 27);
    CHECK(l.at("exceptions") == json::parse(R"({"10":3})"));
    const auto& lat = l.at("latency_us");
    const auto& h = s.listeners[0].counters.latency;
    CHECK(u(lat.at("count")) == 2);
    CHECK(u(lat.at("mean")) == h.mean_us());
    CHECK(u(lat.at("p50_bound")) == h.quantile_bound_us(0.5));
    CHECK(u(lat.at("p99_bound")) == h.quantile_bound_us(0.99));
    CHECK(u(lat.at("max")) == 3000);

    CHECK(v.at("events") == json::parse(R"({"total":30,"held":29,"overwritten":1})"));
}

TEST_CASE("status JSON: control characters and non-ASCII bytes in a path stay valid JSON") {
    auto s = sample();
    s.channels[0].link = std::string{"serial /dev/tty\x01\n\t\xc3\xa9"};
    json::error_code ec;
    const auto v = json::parse(gw::gateway::status_json_text(s), ec);
    REQUIRE_FALSE(ec);
    CHECK(v.at("channels").at(0).at("link").as_string() == s.channels[0].link);
}

TEST_CASE("status JSON: a gateway whose device path holds a quote and a backslash") {
    gw::net::io_context io;
    gw::gateway::gateway gateway{io, {}};
    gw::gateway::gateway_plan plan;
    gw::gateway::channel_plan line;
    line.name = "odd";
    gw::transport::serial_settings serial;
    serial.device = R"(/nonexistent/a"b\c)";  // never opens: the channel stays down, listed
    serial.baud = 19200;
    line.link = gw::gateway::serial_link_plan{serial};
    plan.channels.push_back(line);
    gw::gateway::listener_plan listener;
    listener.name = "modbus";
    listener.address = "127.0.0.1";
    listener.port = 0;
    plan.listeners.push_back(listener);
    REQUIRE(gateway.start(plan).empty());
    io.poll();  // the open attempt fails and schedules a retry

    const auto status = gateway.status();
    json::error_code ec;
    const auto v = json::parse(gw::gateway::status_json_text(status), ec);
    REQUIRE_FALSE(ec);
    const auto& c = v.at("channels").at(0);
    CHECK(c.at("name").as_string() == "odd");
    CHECK(c.at("link").as_string() == std::string{R"(serial /nonexistent/a"b\c)"});
    CHECK_FALSE(c.at("up").as_bool());
    const auto& l = v.at("listeners").at(0);
    CHECK(l.at("name").as_string() == "modbus");
    CHECK(u(l.at("port")) == gateway.bound_ports().at(0));
    CHECK(u(v.at("events").at("total")) == gateway.events().total());

    bool stopped = false;
    gateway.stop([&] { stopped = true; });
    io.run_for(std::chrono::seconds{5});  // a bound, not a wait: stop completes at once
    CHECK(stopped);
}
