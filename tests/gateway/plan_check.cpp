// The reload diff, on plain plans: what needs a restart (the reload is refused and names it) and
// what an applied reload reports as changed. No Asio: plan_check.hpp is plain data.
#include <gw/gateway/plan_check.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>

namespace {

using namespace gw::gateway;
using namespace std::chrono_literals;

gateway_plan two_lines() {
    gateway_plan p;
    channel_plan a;
    a.name = "line1";
    a.link = serial_link_plan{};
    channel_plan b;
    b.name = "plc";
    b.link = tcp_link_plan{"10.0.0.5", 502};
    p.channels = {a, b};
    listener_plan l;
    l.name = "modbus";
    l.port = 502;
    p.listeners = {l};
    p.routes = {{1, 10, 0, 0}, {11, 20, 1, 0}};
    return p;
}

}  // namespace

TEST_CASE("a plan equal to the running one needs no restart and changes nothing") {
    const auto p = two_lines();
    CHECK(changes_needing_restart(p, p).empty());
    CHECK(describe_changes(p, p) == "nothing changed");
}

TEST_CASE("added, removed and relinked channels and listeners need a restart, each named") {
    const auto running = two_lines();
    auto next = running;
    next.channels.erase(next.channels.begin());  // line1 removed
    channel_plan c;
    c.name = "line2";
    c.link = serial_link_plan{};
    next.channels.push_back(c);                                  // line2 added
    std::get<tcp_link_plan>(next.channels[0].link).port = 5020;  // plc relinked
    next.listeners[0].port = 1502;                               // modbus moved
    listener_plan extra;
    extra.name = "priority";
    next.listeners.push_back(extra);
    const auto r = changes_needing_restart(running, next);
    REQUIRE(r.size() == 5);
    CHECK(r[0] == "channel 'plc': its link settings changed");
    CHECK(r[1] == "channel 'line2' is new");
    CHECK(r[2] == "channel 'line1' was removed");
    CHECK(r[3] == "listener 'modbus': its address, port, protocol or line changed");
    CHECK(r[4] == "listener 'priority' is new");
}

TEST_CASE("a changed reopen backoff is a link change; a changed timeout is not") {
    const auto running = two_lines();
    auto next = running;
    next.channels[0].backoff.max = running.channels[0].backoff.max + 1ms;
    CHECK(changes_needing_restart(running, next).size() == 1);
    next = running;
    next.channels[0].options.response_timeout = 250ms;
    CHECK(changes_needing_restart(running, next).empty());
}

TEST_CASE("an applied reload names what it changed") {
    const auto before = two_lines();
    auto after = before;
    after.routes[1].last_unit = 30;
    after.channels[1].options.priority_hold = 800us;
    const auto network = gw::policy::parse_ip_network("127.0.0.2");
    REQUIRE(network);
    after.listeners[0].allowlist.push_back(network.network);
    after.listeners[0].idle_timeout = 60s;
    after.max_connections = 64;
    CHECK(describe_changes(before, after) ==
          "routes (2), channel 'plc' options, listener 'modbus' allowlist (1 entries), "
          "listener 'modbus' limits, timeouts or priority, limits");
}

TEST_CASE("only the event log capacity changed") {
    const auto before = two_lines();
    auto after = before;
    after.event_log_capacity = 50;
    CHECK(describe_changes(before, after) == "event log capacity");
}

TEST_CASE("a frame timeout outside the engine's bounds is refused; a changed one is reloadable") {
    auto p = two_lines();
    CHECK(check_plan(p).empty());
    p.listeners[0].frame_timeout = frame_deadline::min - 1ms;
    CHECK(check_plan(p) == "listener 'modbus': frame_timeout_ms 9 is outside 10..60000");
    p.listeners[0].frame_timeout = frame_deadline::max + 1ms;
    CHECK(check_plan(p) == "listener 'modbus': frame_timeout_ms 60001 is outside 10..60000");
    const auto before = two_lines();
    auto after = before;
    after.listeners[0].frame_timeout = 500ms;
    CHECK(changes_needing_restart(before, after).empty());
    CHECK(describe_changes(before, after) == "listener 'modbus' limits, timeouts or priority");
}

TEST_CASE("authorization: an impossible database is a plan error; a changed one is reported") {
    const gateway_plan base = two_lines();
    CHECK(check_plan(base).empty());  // no authorization: nothing to check

    gateway_plan many = base;
    many.authorization.enabled = true;
    gw::policy::access_rule read;
    read.functions = {3};
    for (std::size_t i = 0; i <= capacity::authorization_roles; ++i)
        many.authorization.roles.push_back({"r" + std::to_string(i), {read}});
    CHECK(check_plan(many) == "authorization: too many roles");
    many.authorization.roles.pop_back();
    CHECK(check_plan(many).empty());  // exactly the capacity

    gateway_plan rules = base;
    rules.authorization.enabled = true;
    rules.authorization.null_role.assign(capacity::authorization_rules + 1, read);
    CHECK(check_plan(rules) == "authorization: too many rules for the NULL role");

    gateway_plan off = base;
    off.listeners[0].roles_by_source = {{gw::policy::parse_ip_network("10.0.0.0/8").network, "r"}};
    CHECK(check_plan(off) ==
          "listener 'modbus': roles_by_source needs authorization to be enabled");

    gateway_plan changed = base;
    changed.authorization.enabled = true;
    changed.listeners[0].read_only = true;
    CHECK(changes_needing_restart(base, changed).empty());  // applied live
    CHECK(describe_changes(base, changed) ==
          "listener 'modbus' authorization, authorization rules");
}

TEST_CASE("a TCP listener switched off or on is a live change; a serial one needs a restart") {
    const auto running = two_lines();
    auto next = running;
    next.listeners[0].enabled = false;
    CHECK(changes_needing_restart(running, next).empty());
    CHECK(describe_changes(running, next) == "listener 'modbus' disabled");
    CHECK(describe_changes(next, running) == "listener 'modbus' enabled");

    auto serial = running;
    serial.listeners[0].protocol = listener_protocol::rtu_serial;
    auto serial_off = serial;
    serial_off.listeners[0].enabled = false;
    const auto why = changes_needing_restart(serial, serial_off);
    REQUIRE(why.size() == 1);
    CHECK(why[0] == "listener 'modbus': a serial listener is switched on or off at start");
}
