// gw::gateway::gateway in-process, on one io_context with everything it talks to (rig.hpp): the
// device simulator on a pty pair, the gateway's serial channel, a Modbus TCP listener on
// 127.0.0.1 port 0, and a raw TCP master. Built once per Asio flavour (standalone Asio and
// Boost.Asio).

#include "gateway/rig.hpp"

using namespace gw_test;

TEST_CASE("gateway: a Modbus TCP request reaches the simulated device over the pty and back") {
    rig r;
    const auto port = r.start();
    CHECK(r.logged("listener modbus on 127.0.0.1:" + std::to_string(port)));
    tcp_master m{r.io()};
    m.connect(port, [&] { m.send(adu(0x0102, 1, read_holding(0, 5))); });
    r.run_until([&] { return m.answers().size() == 1; }, "the answer");
    CHECK(m.answers()[0] == answer{0x0102, 1, registers(3, {0, 1, 2, 3, 4})});
}

TEST_CASE("gateway: pipelined requests, gateway-made exceptions and a remapped unit") {
    rig r;
    const auto port = r.start();
    tcp_master m{r.io()};
    m.connect(port, [&] {
        bytes burst;
        for (const auto& a : {adu(7, 2, read_input(0, 2)),       // device unit 2
                              adu(8, 9, read_holding(0, 1)),     // no route: 0x0A
                              adu(9, 1, read_holding(0, 0)),     // quantity 0: 0x03
                              adu(10, 11, read_input(5, 1))}) {  // unit 11 -> device unit 2
            burst.insert(burst.end(), a.begin(), a.end());
        }
        m.send(burst);
    });
    r.run_until([&] { return m.answers().size() == 4; }, "four answers");
    // The gateway's own answers are written at once; the device's follow in bus order.
    CHECK(m.answers()[0] == answer{8, 9, {0x83, 0x0A}});
    CHECK(m.answers()[1] == answer{9, 1, {0x83, 0x03}});
    CHECK(m.answers()[2] == answer{7, 2, registers(4, {2000, 2001})});
    CHECK(m.answers()[3] == answer{10, 11, registers(4, {2005})});

    const auto status = r.gateway().status();
    REQUIRE(status.channels.size() == 1);
    const auto& line = status.channels[0].counters;
    CHECK(line.requests == 2);
    CHECK(line.transactions == 2);
    CHECK(line.responses == 2);
    REQUIRE(status.listeners.size() == 1);
    const auto& modbus = status.listeners[0].counters;
    CHECK(modbus.requests == 4);
    CHECK(modbus.exceptions_by_code[3] == 1);
    CHECK(modbus.exceptions_by_code[10] == 1);
}

TEST_CASE("gateway: reload changes a route for an established connection") {
    rig r;
    const auto port = r.start();
    tcp_master m{r.io()};
    m.connect(port, [&] { m.send(adu(1, 12, read_input(0, 1))); });
    r.run_until([&] { return m.answers().size() == 1; }, "the first answer");
    CHECK(m.answers()[0] == answer{1, 12, {0x84, 0x0A}});

    auto next = r.plan();
    next.routes.push_back({12, 12, 0, 3});  // unit 12 is device unit 3
    CHECK(r.gateway().reload(next).empty());
    m.send(adu(2, 12, read_input(0, 1)));
    r.run_until([&] { return m.answers().size() == 2; }, "the answer after the reload");
    CHECK(m.answers()[1] == answer{2, 12, registers(4, {3000})});
}

TEST_CASE("gateway: stop answers the request in flight, then closes the connection") {
    rig r;
    const auto port = r.start();
    tcp_master m{r.io()};
    bool stopping = false;
    bool stopped = false;
    // Stop the moment the device has the request: it is then on the bus, in flight.
    r.simulator().on_log = [&](std::string_view) {
        if (stopping) return;
        stopping = true;
        r.gateway().stop([&] { stopped = true; });
    };
    m.connect(port, [&] { m.send(adu(5, 3, read_holding(100, 2))); });
    r.run_until([&] { return stopped && m.closed(); }, "the stop and the close");
    REQUIRE(m.answers().size() == 1);
    CHECK(m.answers()[0] == answer{5, 3, registers(3, {100, 101})});
    CHECK(r.logged("system stopping"));
}
