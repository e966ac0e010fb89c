// gw::gateway::gateway in-process, on one io_context with everything it talks to: the device
// simulator (examples/simulator) serving the master side of a pty pair, the gateway's serial
// channel on the slave side, a Modbus TCP listener on 127.0.0.1 port 0, and a raw TCP master.
// Built once per Asio flavour (standalone Asio and Boost.Asio).
//
// Nothing sleeps: the io_context runs until the awaited event happened; a watchdog timer only
// bounds a hang (and fails the test if it fires).

#include <gw/codec/mbap.hpp>
#include <gw/gateway/gateway.hpp>
#include <gw/transport/asio.hpp>
#include <gw/transport/pty_pair.hpp>
#include <gw/transport/serial_port.hpp>

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/simulator.hpp"

namespace {

namespace net = gw::net;
using bytes = std::vector<std::uint8_t>;
using gw::transport::error_code;

struct answer {
    std::uint16_t tid = 0;
    std::uint8_t unit = 0;
    bytes pdu;
    friend bool operator==(const answer&, const answer&) = default;
};

doctest::String toString(const answer& a) {
    std::string s = "{tid " + std::to_string(a.tid) + ", unit " + std::to_string(a.unit) + ", pdu";
    for (const auto b : a.pdu)
        s += " " + std::to_string(b);
    return (s + "}").c_str();
}

bytes adu(std::uint16_t tid, std::uint8_t unit, const bytes& pdu) {
    bytes out{static_cast<std::uint8_t>(tid >> 8U),
              static_cast<std::uint8_t>(tid & 0xFFU),
              0,
              0,
              static_cast<std::uint8_t>((pdu.size() + 1) >> 8U),
              static_cast<std::uint8_t>((pdu.size() + 1) & 0xFFU),
              unit};
    out.insert(out.end(), pdu.begin(), pdu.end());
    return out;
}

bytes read_holding(std::uint16_t address, std::uint16_t count) {
    return {3, static_cast<std::uint8_t>(address >> 8U), static_cast<std::uint8_t>(address & 0xFFU),
            static_cast<std::uint8_t>(count >> 8U), static_cast<std::uint8_t>(count & 0xFFU)};
}

bytes read_input(std::uint16_t address, std::uint16_t count) {
    auto pdu = read_holding(address, count);
    pdu[0] = 4;
    return pdu;
}

/// A FC 3/4 answer with the given register values.
bytes registers(std::uint8_t fc, std::initializer_list<std::uint16_t> values) {
    bytes out{fc, static_cast<std::uint8_t>(2 * values.size())};
    for (const auto v : values) {
        out.push_back(static_cast<std::uint8_t>(v >> 8U));
        out.push_back(static_cast<std::uint8_t>(v & 0xFFU));
    }
    return out;
}

/// A Modbus TCP master on the rig's io_context: writes requests, collects answers. Its state is
/// shared with its handlers, so that it may go away while one is still queued.
class tcp_master {
public:
    explicit tcp_master(net::io_context& io) : state_{std::make_shared<state>(io)} {}
    tcp_master(const tcp_master&) = delete;
    tcp_master& operator=(const tcp_master&) = delete;
    ~tcp_master() { close(); }

    void connect(std::uint16_t port, std::function<void()> then) {
        state_->socket.async_connect({net::ip::make_address("127.0.0.1"), port},
                                     [s = state_, then = std::move(then)](error_code ec) {
                                         REQUIRE_MESSAGE(!ec, ec.message());
                                         read(s);
                                         then();
                                     });
    }
    void send(bytes data) {
        auto buffer = std::make_shared<bytes>(std::move(data));
        net::async_write(
            state_->socket, net::buffer(*buffer),
            [buffer](error_code ec, std::size_t) { REQUIRE_MESSAGE(!ec, ec.message()); });
    }
    bool closed() const { return state_->closed; }
    const std::vector<answer>& answers() const { return state_->answers; }
    void close() {
        error_code ignored;
        state_->socket.close(ignored);
    }

private:
    struct state {
        explicit state(net::io_context& io) : socket{io} {}
        net::ip::tcp::socket socket;
        std::array<std::uint8_t, 512> chunk{};
        bytes in;
        std::vector<answer> answers;
        bool closed = false;
    };

    static void read(const std::shared_ptr<state>& s) {
        s->socket.async_read_some(net::buffer(s->chunk), [s](error_code ec, std::size_t n) {
            if (ec) {
                s->closed = true;
                return;
            }
            s->in.insert(s->in.end(), s->chunk.begin(),
                         s->chunk.begin() + static_cast<std::ptrdiff_t>(n));
            for (;;) {
                const auto r = gw::decode_mbap(std::span<const std::uint8_t>{s->in});
                if (r.status != gw::decode_status::frame) break;
                s->answers.push_back({r.frame.header.transaction_id, r.frame.header.unit,
                                      bytes(r.frame.pdu.begin(), r.frame.pdu.end())});
                s->in.erase(s->in.begin(), s->in.begin() + static_cast<std::ptrdiff_t>(r.consumed));
            }
            read(s);
        });
    }

    std::shared_ptr<state> state_;
};

/// The simulator on a pty, and a gateway whose one channel is that pty's slave side.
class rig {
public:
    rig() : pty_{gw::transport::pty_pair::create()}, device_port_{io_} {
        REQUIRE_FALSE(device_port_.assign(pty_.release_master(), "pty master"));
        gw::sim::simulator_settings sim;
        sim.device.units = {1, 2, 3};
        sim.baud = 115200;
        simulator_ =
            std::make_unique<gw::sim::simulator<gw::transport::serial_port>>(device_port_, sim);
        simulator_->start();

        gw::gateway::channel_plan line;
        line.name = "line";
        gw::transport::serial_settings serial;
        serial.device = pty_.slave_path();
        serial.baud = 115200;
        serial.parity = gw::transport::parity::none;
        line.link = gw::gateway::serial_link_plan{serial};
        line.options.timing = gw::rtu_timing_for_baud(115200);
        plan_.channels.push_back(line);

        gw::gateway::listener_plan listener;
        listener.name = "modbus";
        listener.address = "127.0.0.1";
        listener.port = 0;
        plan_.listeners.push_back(listener);

        plan_.routes.push_back({1, 3, 0, 0});    // units 1-3 as they are
        plan_.routes.push_back({11, 11, 0, 2});  // unit 11 is device unit 2
    }
    rig(const rig&) = delete;
    rig& operator=(const rig&) = delete;
    ~rig() {
        simulator_->stop();
        // Let the cancelled handlers run out before their owners go away.
        io_.restart();
        io_.poll();
    }

    net::io_context& io() { return io_; }
    gw::gateway::gateway& gateway() { return gateway_; }
    gw::sim::simulator<gw::transport::serial_port>& simulator() { return *simulator_; }
    gw::gateway::gateway_plan& plan() { return plan_; }
    const std::vector<std::string>& log() const { return log_; }
    bool logged(std::string_view text) const {
        for (const auto& line : log_)
            if (line.find(text) != std::string::npos) return true;
        return false;
    }

    /// Starts the gateway and waits until its channel is up.
    std::uint16_t start() {
        REQUIRE(gateway_.start(plan_).empty());
        const auto ports = gateway_.bound_ports();
        REQUIRE(ports.size() == 1);
        REQUIRE(ports[0] != 0);
        run_until([&] { return logged("channel line up"); }, "the channel to come up");
        return ports[0];
    }

    /// Runs the io_context until `done()` holds; fails if that takes longer than the watchdog.
    void run_until(const std::function<bool()>& done, const char* what) {
        bool expired = false;
        net::steady_timer watchdog{io_};
        watchdog.expires_after(std::chrono::seconds{15});
        watchdog.async_wait([&](error_code ec) { expired = !ec; });
        io_.restart();
        while (!done() && !expired)
            io_.run_one();
        watchdog.cancel();
        io_.poll();
        REQUIRE_MESSAGE(!expired, "timed out waiting for " << what);
    }

private:
    net::io_context io_;
    gw::transport::pty_pair pty_;
    gw::transport::serial_port device_port_;
    std::unique_ptr<gw::sim::simulator<gw::transport::serial_port>> simulator_;
    std::vector<std::string> log_;
    gw::gateway::gateway gateway_{io_, [this](gw::policy::event_severity, std::string_view line) {
                                      log_.emplace_back(line);
                                  }};
    gw::gateway::gateway_plan plan_;
};

}  // namespace

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
