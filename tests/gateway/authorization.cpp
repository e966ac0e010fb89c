// Modbus authorization by role, as masters see it: roles by source network on a plain listener
// (127.0.0.2 a viewer, 127.0.0.3 an operator, 127.0.0.4 no role), exception 01 for what a role
// may not do, the audit event and log line of each denial, and a read-only listener.

#include "gateway/rig.hpp"

using namespace gw_test;
using gw::policy::event_kind;
using gw::policy::reason;

namespace {

bytes write_register(std::uint16_t address, std::uint16_t value) {
    return {6, static_cast<std::uint8_t>(address >> 8U), static_cast<std::uint8_t>(address & 0xFFU),
            static_cast<std::uint8_t>(value >> 8U), static_cast<std::uint8_t>(value & 0xFFU)};
}

gw::policy::access_rule rule(gw::policy::function_set f, gw::policy::access_mode m,
                             std::uint16_t first = 0, std::uint16_t last = 65535) {
    gw::policy::access_rule r;
    r.functions = f;
    r.access = m;
    r.first_address = first;
    r.last_address = last;
    return r;
}

/// viewer reads holding registers 0-99; operator reads and writes them all.
void demo_rules(gw::gateway::gateway_plan& plan) {
    plan.authorization.enabled = true;
    plan.authorization.roles = {
        {"viewer", {rule({3}, gw::policy::access_mode::read, 0, 99)}},
        {"operator", {rule({3, 6, 16}, gw::policy::access_mode::read_write)}},
    };
    for (auto& l : plan.listeners)
        l.roles_by_source = {{network("127.0.0.2"), "viewer"}, {network("127.0.0.3"), "operator"}};
}

const answer illegal_function(std::uint16_t tid, std::uint8_t fc) {
    return answer{tid, 1, bytes{static_cast<std::uint8_t>(fc | 0x80U), 0x01}};
}

}  // namespace

TEST_CASE("authorization: roles by source network; denials are exception 01, audited") {
    rig r;
    demo_rules(r.plan());
    const auto port = r.start();

    tcp_master viewer{r.io(), from("127.0.0.2")};
    r.connect(viewer, port);
    CHECK(r.ask(viewer, 1, 1, read_holding(0, 2)) == answer{1, 1, registers(3, {0, 1})});
    const auto device_before = r.device_requests();
    CHECK(r.ask(viewer, 2, 1, write_register(5, 77)) == illegal_function(2, 6));
    CHECK(r.ask(viewer, 3, 1, read_holding(99, 2)) == illegal_function(3, 3));  // one past 99
    CHECK(r.device_requests() == device_before);  // refused before the bus
    CHECK(r.count_events(event_kind::request_refused, reason::unauthorized, address("127.0.0.2")) ==
          2);
    // The audit event carries role, function code, unit and address range, and so does the log.
    const auto& events = r.gateway().events();
    bool found = false;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const auto& e = events[i];
        if (e.kind != event_kind::request_refused || e.function != 6) continue;
        found = true;
        CHECK(e.role.view() == "viewer");
        CHECK(e.unit == 1);
        CHECK(e.address == 5);
        CHECK(e.quantity == 1);
        CHECK(e.peer == address("127.0.0.2"));
    }
    CHECK(found);
    CHECK(r.logged("reason=unauthorized unit=1 function=6 role=viewer address=5 outcome=denied"));
    // The text log writes one line per source and window (audit_log_policy): the second denial
    // is counted there, and is in the event log above.

    tcp_master op{r.io(), from("127.0.0.3")};
    r.connect(op, port);
    CHECK(r.ask(op, 1, 1, write_register(5, 77)) == answer{1, 1, write_register(5, 77)});
    CHECK(r.ask(op, 2, 1, read_holding(5, 1)) == answer{2, 1, registers(3, {77})});

    // No role: the NULL role, which has no rules here.
    tcp_master nobody{r.io(), from("127.0.0.4")};
    r.connect(nobody, port);
    CHECK(r.ask(nobody, 1, 1, read_holding(0, 1)) == illegal_function(1, 3));
    CHECK(r.logged("function=3 role=- address=0 outcome=denied"));
}

TEST_CASE("authorization: a read-only listener denies the operator's write, serves its read") {
    rig r;
    auto second = r.plan().listeners[0];
    second.name = "readonly";
    second.read_only = true;
    r.plan().listeners.push_back(second);
    demo_rules(r.plan());
    r.start();
    const auto ro_port = r.gateway().bound_ports()[1];

    tcp_master op{r.io(), from("127.0.0.3")};
    r.connect(op, ro_port);
    CHECK(r.ask(op, 1, 1, write_register(5, 9)) == illegal_function(1, 6));
    CHECK(r.ask(op, 2, 1, read_holding(5, 1)) == answer{2, 1, registers(3, {5})});
    CHECK(r.logged("role=operator address=5"));
}

TEST_CASE("authorization: a plan the policy cannot hold is a start error, nothing listens") {
    rig r;
    demo_rules(r.plan());
    r.plan().listeners[0].roles_by_source.push_back({network("10.0.0.0/8"), "ghost"});
    const auto error = r.gateway().start(r.plan());
    CHECK(error == "authorization: roles_by_source names a role that is not defined");
    CHECK(r.gateway().bound_ports().empty());

    rig without;
    without.plan().listeners[0].roles_by_source = {{network("10.0.0.0/8"), "viewer"}};
    CHECK(without.gateway().start(without.plan()) ==
          "listener 'modbus': roles_by_source needs authorization to be enabled");
}
