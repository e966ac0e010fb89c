// One master's session, as the master sees it: the idle deadline (which spares a master owed an
// answer), the write deadline and the output bound for a master that stopped reading, the
// bounded graceful stop, and RTU-over-TCP framing. Counters are checked through the status JSON.
//
// Deadlines are set to 1 s (the smallest the plan can say) and only bound how long a test
// takes: no assertion depends on how long anything took.

#include "gateway/rig.hpp"

using namespace gw_test;
using gw::policy::event_kind;
using gw::policy::reason;
using namespace std::chrono_literals;

namespace {

/// A master that sends `count` pipelined copies of a request to `unit` and never reads, with a
/// small receive window; the gateway's sockets get small send buffers too (see
/// shrink_accepted_send_buffers), so its answers stall after a few KB.
std::unique_ptr<tcp_master> flood(rig& r, std::uint16_t port, std::uint8_t unit, const bytes& pdu,
                                  std::size_t count) {
    shrink_accepted_send_buffers(port);
    auto o = from("127.0.0.2");
    o.receive_buffer = 4096;
    o.reads = false;
    auto m = std::make_unique<tcp_master>(r.io(), o);
    bytes burst;
    burst.reserve(count * (7 + pdu.size()));
    for (std::size_t i = 0; i < count; ++i) {
        const auto one = adu(static_cast<std::uint16_t>(i), unit, pdu);
        burst.insert(burst.end(), one.begin(), one.end());
    }
    m->connect(port,
               [m = m.get(), burst = std::move(burst)]() mutable { m->send(std::move(burst)); });
    return m;
}

/// The gateway has queued more answer bytes (9 at least per answer) than the kernel buffers
/// between it and a flooding master hold (about 9 KB once shrunk): some of them are pending in
/// the session, and its write is stuck.
bool answers_pending(const rig& r) {
    return r.counters().responses * 9 > 32 * 1024;
}

}  // namespace

TEST_CASE("idle timeout: an idle master is closed; one owed an answer is answered first") {
    rig r{{.response_delay = 1500ms}};  // the device answers after more than the idle timeout
    r.plan().listeners[0].idle_timeout = 1s;
    r.plan().channels[0].options.response_timeout = 5s;
    const auto port = r.start();

    tcp_master idle{r.io(), from("127.0.0.2")};
    tcp_master waiting{r.io(), from("127.0.0.3")};
    r.connect(idle, port);
    waiting.connect(port, [&] { waiting.send(adu(7, 1, read_holding(4, 2))); });
    r.run_until([&] { return idle.closed() && waiting.closed(); }, "both to be closed");

    CHECK(idle.answers_when_closed() == 0);
    // Closed for idleness only after the answer it was owed had been sent.
    CHECK(waiting.answers_when_closed() == 1);
    REQUIRE(waiting.answers().size() == 1);
    CHECK(waiting.answers()[0] == answer{7, 1, registers(3, {4, 5})});
    CHECK(r.count_events(event_kind::idle_timeout, reason::idle_timeout, address("127.0.0.2")) ==
          1);
    CHECK(r.count_events(event_kind::idle_timeout, reason::idle_timeout, address("127.0.0.3")) ==
          1);
    const auto json = parse_listener_status(r.gateway().status(), "modbus");
    CHECK(json["idle_timeouts"] == 2);
    CHECK(json["connections_active"] == 0);
}

TEST_CASE("write deadline: a master that stopped reading is closed; others are served meanwhile") {
    rig r;
    r.plan().listeners[0].write_timeout = 1s;
    const auto port = r.start();
    auto stuck = flood(r, port, 1, read_holding(0, 125), 100'000);
    r.run_until([&] { return answers_pending(r); }, "the flooding master's answers to pile up");

    // The io thread is not blocked by the stuck write: another master is served.
    tcp_master other{r.io(), from("127.0.0.3")};
    r.connect(other, port);
    CHECK(r.ask(other, 1, 2, read_input(0, 1)) == answer{1, 2, registers(4, {2000})});
    CHECK(r.counters().write_timeouts == 0);  // served while the stuck one was still there

    r.run_until([&] { return r.counters().write_timeouts == 1; }, "the write deadline");
    // What the stuck master sees when it reads at last: the connection is gone.
    stuck->start_reading();
    r.run_until([&] { return stuck->closed(); }, "the stuck master to see the close");
    CHECK(r.count_events(event_kind::connection_closed, reason::write_timeout,
                         address("127.0.0.2")) == 1);
    CHECK(r.ask(other, 2, 2, read_input(1, 1)) == answer{2, 2, registers(4, {2001})});
    const auto json = parse_listener_status(r.gateway().status(), "modbus");
    CHECK(json["write_timeouts"] == 1);
    CHECK(json["connections_active"] == 1);
}

TEST_CASE("backpressure: a master that does not read its answers stops being read") {
    rig r;
    r.plan().listeners[0].write_timeout = 1s;
    const auto port = r.start();
    constexpr std::size_t request_size = 12;
    auto stuck = flood(r, port, 1, read_holding(0, 125), 100'000);
    r.run_until([&] { return r.counters().write_timeouts == 1 && stuck->written(); },
                "the write deadline");

    // What the master got into the gateway's direction (its kernel took it), against what the
    // gateway read: reading paused once its answers exceeded the session's output bound (64 KB,
    // about 7,300 of the smallest answers), so the rest was never read, nor sent to the device.
    const auto sent = stuck->bytes_sent() / request_size;
    const auto read = r.counters().requests;
    INFO("sent " << sent << ", read " << read << ", device saw " << r.device_requests());
    CHECK(sent > 50'000);
    CHECK(read < 20'000);
    CHECK(r.device_requests() <= read);
    CHECK(r.device_requests() * 10 < sent);
}

TEST_CASE("graceful stop: bounded by stop_flush_timeout when a master does not read") {
    rig r;
    r.plan().stop_flush_timeout = 100ms;  // the write deadline (10 s) is not what ends it
    const auto port = r.start();
    // Unit 9 has no route: every answer is the gateway's own 0x0A, so no channel holds the stop.
    auto stuck = flood(r, port, 9, read_holding(0, 1), 100'000);
    r.run_until([&] { return answers_pending(r); }, "the flooding master's answers to pile up");

    bool done = false;
    r.gateway().stop([&] { done = true; });
    r.run_until([&] { return done; }, "the stop to finish");
    stuck->start_reading();
    r.run_until([&] { return stuck->closed(); }, "the stuck master to see the close");
    CHECK(r.count_events(event_kind::connection_closed, reason::shutting_down,
                         address("127.0.0.2")) == 1);
    CHECK(r.counters().write_timeouts == 0);
    CHECK(r.gateway().sessions_active() == 0);

    // Nothing of the gateway is left on the io_context: with the rig's own parts stopped, run()
    // returns (run_for only bounds a hang).
    r.simulator().stop();
    stuck->close();
    r.io().restart();
    r.io().run_for(10s);
    CHECK(r.io().stopped());
}

TEST_CASE("RTU-over-TCP: RTU ADUs in, RTU ADUs out, pipelined") {
    rig r;
    gw::gateway::listener_plan rtu;
    rtu.name = "rtu";
    rtu.protocol = gw::gateway::listener_protocol::rtu_over_tcp;
    rtu.address = "127.0.0.1";
    rtu.port = 0;
    r.plan().listeners.push_back(rtu);
    r.start();
    const auto port = r.gateway().bound_ports()[1];

    auto o = from("127.0.0.2");
    o.rtu = true;
    tcp_master m{r.io(), o};
    const auto request1 = rtu_adu(1, read_holding(0, 2));
    const auto request2 = rtu_adu(11, read_input(5, 1));  // unit 11 is device unit 2
    auto both = request1;
    both.insert(both.end(), request2.begin(), request2.end());
    m.connect(port, [&] { m.send(both); });
    auto expected = rtu_adu(1, registers(3, {0, 1}));
    const auto answer2 = rtu_adu(11, registers(4, {2005}));
    expected.insert(expected.end(), answer2.begin(), answer2.end());
    r.run_until([&] { return m.raw().size() >= expected.size(); }, "two RTU answers");
    CHECK(m.raw() == expected);
    CHECK(parse_listener_status(r.gateway().status(), "rtu")["requests"] == 2);
}

// A TCP stream has no silences that mean anything: RTU-over-TCP is framed as a stream, so a
// gap far beyond t3.5 (1.75 ms) between two segments of one request must not end the frame.
TEST_CASE("RTU-over-TCP: a request split across two segments with a gap is answered") {
    rig r;
    gw::gateway::listener_plan rtu;
    rtu.name = "rtu";
    rtu.protocol = gw::gateway::listener_protocol::rtu_over_tcp;
    rtu.address = "127.0.0.1";
    rtu.port = 0;
    r.plan().listeners.push_back(rtu);
    r.start();
    const auto port = r.gateway().bound_ports()[1];

    auto o = from("127.0.0.2");
    o.rtu = true;
    tcp_master m{r.io(), o};
    const auto request = rtu_adu(1, read_holding(0, 2));
    r.connect(m, port);
    m.send(bytes(request.begin(), request.begin() + 3));
    // A pause, not a synchronisation: the answer is owed however long the gap is.
    r.run_for(20ms);
    m.send(bytes(request.begin() + 3, request.end()));
    const auto expected = rtu_adu(1, registers(3, {0, 1}));
    r.run_until([&] { return m.raw().size() >= expected.size(); }, "the RTU answer");
    CHECK(m.raw() == expected);
}

// Slow clients (slowloris on Modbus TCP): a request begun must be completed within the
// listener's frame timeout. The timeouts here only bound how long a test takes: a master that
// stops halfway is closed whenever the deadline falls, and the honest masters' gaps are tiny
// next to their deadline.
TEST_CASE("frame deadline: a master that stops halfway through a request is closed and audited") {
    rig r;
    r.plan().listeners[0].frame_timeout = 50ms;
    const auto port = r.start();

    tcp_master half{r.io(), from("127.0.0.2")};
    const auto request = adu(1, 1, read_holding(0, 2));
    // The MBAP header and the function code: the length field promises five more bytes.
    half.connect(port, [&] { half.send(bytes(request.begin(), request.begin() + 8)); });
    r.run_until([&] { return half.closed(); }, "the half request to be closed");
    CHECK(half.answers().empty());
    CHECK(r.device_requests() == 0);
    CHECK(r.count_events(event_kind::connection_closed, reason::frame_timeout,
                         address("127.0.0.2")) == 1);
    CHECK(r.logged("security connection_closed source=0 peer=127.0.0.2:"));
    CHECK(r.logged("reason=frame_timeout outcome=denied"));

    // Others are served as ever.
    tcp_master other{r.io(), from("127.0.0.3")};
    r.connect(other, port);
    CHECK(r.ask(other, 1, 2, read_input(0, 1)) == answer{1, 2, registers(4, {2000})});
    const auto json = parse_listener_status(r.gateway().status(), "modbus");
    CHECK(json["frame_timeouts"] == 1);
    CHECK(json["connections_active"] == 1);
}

TEST_CASE("frame deadline: a master trickling a request is closed though it is never idle") {
    rig r;
    r.plan().listeners[0].idle_timeout = 1s;
    r.plan().listeners[0].frame_timeout = 50ms;
    const auto port = r.start();

    // The longest request (253-byte PDU), one byte every 10 ms: 2.6 s to complete it, far past
    // its deadline, while every byte is activity the idle timeout sees.
    bytes request = adu(1, 1, bytes(253, 0x03));
    tcp_master slow{r.io(), from("127.0.0.2")};
    r.connect(slow, port);
    std::size_t sent = 0;
    while (!slow.closed() && sent < request.size()) {
        slow.send(bytes{request[sent++]});
        r.run_for(10ms);
    }
    r.run_until([&] { return slow.closed(); }, "the trickling master to be closed");
    INFO("sent " << sent << " of " << request.size() << " bytes");
    CHECK(sent < request.size());
    CHECK(r.counters().frame_timeouts == 1);
    CHECK(r.counters().idle_timeouts == 0);
    CHECK(r.count_events(event_kind::connection_closed, reason::frame_timeout,
                         address("127.0.0.2")) == 1);
}

TEST_CASE("frame deadline: byte by byte within it is served; the time between requests is free") {
    rig r;  // the default frame timeout, 2 s
    const auto port = r.start();

    tcp_master m{r.io(), from("127.0.0.3")};
    r.connect(m, port);
    // A complete request and the first byte of the next in one segment: the deadline is armed
    // for the second, whose other bytes then come one by one.
    auto first = adu(1, 1, read_holding(0, 2));
    const auto second = adu(2, 11, read_input(5, 1));
    first.push_back(second[0]);
    m.send(first);
    for (std::size_t i = 1; i < second.size(); ++i) {
        r.run_for(5ms);
        m.send(bytes{second[i]});
    }
    r.run_until([&] { return m.answers().size() == 2 || m.closed(); }, "two answers");
    REQUIRE(m.answers().size() == 2);
    CHECK(m.answers()[0] == answer{1, 1, registers(3, {0, 1})});
    CHECK(m.answers()[1] == answer{2, 11, registers(4, {2005})});

    // Longer than the deadline with no request begun: the timer armed above falls due with
    // nothing partial and stops; the connection stays.
    r.run_for(2500ms);
    CHECK_FALSE(m.closed());
    CHECK(r.ask(m, 3, 1, read_holding(4, 1)) == answer{3, 1, registers(3, {4})});
    CHECK(r.counters().frame_timeouts == 0);
}

TEST_CASE("frame deadline: RTU-over-TCP, an incomplete RTU ADU is closed") {
    rig r;
    gw::gateway::listener_plan rtu;
    rtu.name = "rtu";
    rtu.protocol = gw::gateway::listener_protocol::rtu_over_tcp;
    rtu.address = "127.0.0.1";
    rtu.port = 0;
    rtu.frame_timeout = 50ms;
    r.plan().listeners.push_back(rtu);
    r.start();
    const auto port = r.gateway().bound_ports()[1];

    auto o = from("127.0.0.2");
    o.rtu = true;
    tcp_master m{r.io(), o};
    const auto request = rtu_adu(1, read_holding(0, 2));
    m.connect(port, [&] { m.send(bytes(request.begin(), request.end() - 2)); });  // no CRC
    r.run_until([&] { return m.closed(); }, "the incomplete ADU to be closed");
    CHECK(m.raw().empty());
    CHECK(r.device_requests() == 0);
    CHECK(r.counters(1).frame_timeouts == 1);
    CHECK(r.count_events(event_kind::connection_closed, reason::frame_timeout,
                         address("127.0.0.2")) == 1);
}
