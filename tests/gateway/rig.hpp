#pragma once
// The in-process rig of the gateway tests: on one io_context, the device simulator
// (examples/simulator) serving the master side of a pty pair, a gw::gateway::gateway whose serial
// channel is the slave side, its listeners on 127.0.0.1 port 0, and raw TCP masters, each bound
// to its own loopback source address (127.0.0.2, .3, ...) when a test needs distinct hosts.
//
// Nothing sleeps: the io_context runs until the awaited event happened; a watchdog timer only
// bounds a hang (and fails the test if it fires).

#include <gw/codec/mbap.hpp>
#include <gw/codec/rtu_framer.hpp>
#include <gw/gateway/gateway.hpp>
#include <gw/policy/ip_network.hpp>
#include <gw/transport/asio.hpp>
#include <gw/transport/pty_pair.hpp>
#include <gw/transport/serial_port.hpp>

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/status_fields.hpp"
#include "simulator/simulator.hpp"

namespace gw_test {

namespace net = gw::net;
using bytes = std::vector<std::uint8_t>;
using gw::transport::error_code;

struct answer {
    std::uint16_t tid = 0;
    std::uint8_t unit = 0;
    bytes pdu;
    friend bool operator==(const answer&, const answer&) = default;
};

inline doctest::String toString(const answer& a) {
    std::string s = "{tid " + std::to_string(a.tid) + ", unit " + std::to_string(a.unit) + ", pdu";
    for (const auto b : a.pdu)
        s += " " + std::to_string(b);
    return (s + "}").c_str();
}

inline bytes adu(std::uint16_t tid, std::uint8_t unit, const bytes& pdu) {
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

/// unit + PDU + CRC.
inline bytes rtu_adu(std::uint8_t unit, const bytes& pdu) {
    bytes out(pdu.size() + 3);
    REQUIRE(gw::encode_rtu(unit, pdu, out) == out.size());
    return out;
}

inline bytes read_holding(std::uint16_t address, std::uint16_t count) {
    return {3, static_cast<std::uint8_t>(address >> 8U), static_cast<std::uint8_t>(address & 0xFFU),
            static_cast<std::uint8_t>(count >> 8U), static_cast<std::uint8_t>(count & 0xFFU)};
}

inline bytes read_input(std::uint16_t address, std::uint16_t count) {
    auto pdu = read_holding(address, count);
    pdu[0] = 4;
    return pdu;
}

/// A FC 3/4 answer with the given register values.
inline bytes registers(std::uint8_t fc, std::initializer_list<std::uint16_t> values) {
    bytes out{fc, static_cast<std::uint8_t>(2 * values.size())};
    for (const auto v : values) {
        out.push_back(static_cast<std::uint8_t>(v >> 8U));
        out.push_back(static_cast<std::uint8_t>(v & 0xFFU));
    }
    return out;
}

inline gw::policy::ip_network network(std::string_view text) {
    const auto r = gw::policy::parse_ip_network(text);
    REQUIRE_MESSAGE(static_cast<bool>(r), text);
    return r.network;
}

inline gw::policy::ip_address address(std::string_view text) {
    const auto a = gw::policy::parse_ip_address(text);
    REQUIRE_MESSAGE(a.has_value(), text);
    return *a;
}

struct master_options {
    /// The loopback address the master connects from: the gateway sees it as the peer.
    std::string source = "127.0.0.1";
    /// SO_RCVBUF, set before connecting so that the window is small from the start.
    std::optional<int> receive_buffer;
    /// false: the master never reads its answers (it stopped reading).
    bool reads = true;
    /// true: answers are RTU ADUs (RTU-over-TCP) and are collected as raw bytes.
    bool rtu = false;
};

/// A master connecting from `source` (127.0.0.2, .3 ...: distinct hosts to the gateway).
inline master_options from(std::string source) {
    master_options o;
    o.source = std::move(source);
    return o;
}

/// A Modbus TCP (or RTU-over-TCP) master on the rig's io_context: writes requests in order,
/// collects answers. Its socket is opened and bound when it is made (so its descriptor exists
/// before connect); its state is shared with its handlers, so that it may go away while one is
/// still queued.
class tcp_master {
public:
    explicit tcp_master(net::io_context& io, master_options options = {})
        : state_{std::make_shared<state>(io, std::move(options))} {
        auto& s = *state_;
        s.socket.open(net::ip::tcp::v4());
        if (s.options.receive_buffer)
            s.socket.set_option(net::socket_base::receive_buffer_size{*s.options.receive_buffer});
        s.socket.bind({net::ip::make_address(s.options.source), 0});
    }
    tcp_master(const tcp_master&) = delete;
    tcp_master& operator=(const tcp_master&) = delete;
    ~tcp_master() { close(); }

    void connect(std::uint16_t port, std::function<void()> then = {}) {
        state_->socket.async_connect({net::ip::make_address("127.0.0.1"), port},
                                     [s = state_, then = std::move(then)](error_code ec) {
                                         REQUIRE_MESSAGE(!ec, ec.message());
                                         s->connected = true;
                                         if (s->options.reads) read(s);
                                         if (then) then();
                                     });
    }
    /// Queues `data` behind what is being written. A write error (the gateway closed the
    /// connection) is recorded, not fatal: refused and closed masters are what some tests want.
    void send(bytes data) {
        state_->outbox.push_back(std::move(data));
        if (state_->outbox.size() == 1) write(state_);
    }
    /// A master that did not read starts now: it sees what is left, and whether it was closed.
    void start_reading() {
        if (state_->options.reads) return;
        state_->options.reads = true;
        if (state_->connected) read(state_);
    }
    bool connected() const { return state_->connected; }
    /// The gateway closed the connection (or reset it): seen by the read loop, or by a write.
    bool closed() const { return state_->closed; }
    /// Everything queued has been written or has failed.
    bool written() const { return state_->outbox.empty(); }
    std::size_t bytes_sent() const { return state_->bytes_sent; }
    const std::vector<answer>& answers() const { return state_->answers; }
    /// Answers received before the connection closed (when closed() holds).
    std::size_t answers_when_closed() const { return state_->answers_when_closed; }
    const bytes& raw() const { return state_->in; }
    void close() {
        error_code ignored;
        state_->socket.close(ignored);
    }

private:
    struct state {
        state(net::io_context& io, master_options o) : socket{io}, options{std::move(o)} {}
        net::ip::tcp::socket socket;
        master_options options;
        std::array<std::uint8_t, 512> chunk{};
        bytes in;
        std::vector<answer> answers;
        std::deque<bytes> outbox;
        std::size_t bytes_sent = 0;
        std::size_t answers_when_closed = 0;
        bool connected = false;
        bool closed = false;

        void mark_closed() {
            if (closed) return;
            closed = true;
            answers_when_closed = answers.size();
        }
    };

    static void write(const std::shared_ptr<state>& s) {
        net::async_write(s->socket, net::buffer(s->outbox.front()),
                         [s](error_code ec, std::size_t n) {
                             s->bytes_sent += n;
                             if (ec) {
                                 s->mark_closed();
                                 s->outbox.clear();
                                 return;
                             }
                             s->outbox.pop_front();
                             if (!s->outbox.empty()) write(s);
                         });
    }

    static void read(const std::shared_ptr<state>& s) {
        s->socket.async_read_some(net::buffer(s->chunk), [s](error_code ec, std::size_t n) {
            if (ec) {
                s->mark_closed();
                return;
            }
            s->in.insert(s->in.end(), s->chunk.begin(),
                         s->chunk.begin() + static_cast<std::ptrdiff_t>(n));
            while (!s->options.rtu) {
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

/// Shrinks the send buffer of the gateway's listening socket on `port`; the sockets it accepts
/// inherit it. Loopback autotunes send buffers to megabytes, so without this a master that
/// stops reading would have to be sent megabytes before the gateway's write stalls; with it the
/// kernel holds about 9 KB, well below the session's own bound (64 KB).
inline void shrink_accepted_send_buffers(std::uint16_t port, int size = 4096) {
    bool found = false;
    for (const auto& entry : std::filesystem::directory_iterator{"/proc/self/fd"}) {
        const int fd = std::atoi(entry.path().filename().c_str());
        struct stat st {};
        if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
        int listening = 0;
        socklen_t len = sizeof listening;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || listening == 0)
            continue;
        sockaddr_in local{};
        len = sizeof local;
        if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0 ||
            local.sin_family != AF_INET || ntohs(local.sin_port) != port)
            continue;
        REQUIRE(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size) == 0);
        found = true;
    }
    REQUIRE_MESSAGE(found, "no listening socket on port " << port);
}

struct rig_options {
    /// How long the simulated device takes to answer each request.
    std::chrono::microseconds response_delay{0};
};

/// The simulator on a pty, and a gateway whose one channel is that pty's slave side, with one
/// Modbus TCP listener "modbus" on 127.0.0.1 port 0. Tests edit plan() before start().
class rig {
public:
    explicit rig(rig_options options = {})
        : pty_{gw::transport::pty_pair::create()}, device_port_{io_} {
        REQUIRE_FALSE(device_port_.assign(pty_.release_master(), "pty master"));
        gw::sim::simulator_settings sim;
        sim.device.units = {1, 2, 3};
        sim.baud = 115200;
        sim.response_delay = options.response_delay;
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
    /// Requests the simulated device has received (checked frames).
    std::uint64_t device_requests() const { return simulator_->device().counters().requests; }
    gw::gateway::gateway_plan& plan() { return plan_; }
    const std::vector<std::string>& log() const { return log_; }
    bool logged(std::string_view text) const { return count_logged(text) > 0; }
    std::size_t count_logged(std::string_view text) const {
        std::size_t n = 0;
        for (const auto& line : log_)
            n += line.find(text) != std::string::npos ? 1U : 0U;
        return n;
    }
    const gw::gateway::listener_counters& counters(std::size_t listener = 0) const {
        return gateway_.counters_of_listener(listener);
    }

    /// Events in the gateway's event log of `kind` (and `why`, and from `peer`, when given).
    std::size_t count_events(gw::policy::event_kind kind,
                             std::optional<gw::policy::reason> why = std::nullopt,
                             std::optional<gw::policy::ip_address> peer = std::nullopt) const {
        const auto& log = gateway_.events();
        std::size_t n = 0;
        for (std::size_t i = 0; i < log.size(); ++i) {
            const auto& e = log[i];
            if (e.kind != kind) continue;
            if (why && e.reason != static_cast<std::uint8_t>(*why)) continue;
            if (peer && !(e.peer == *peer)) continue;
            ++n;
        }
        return n;
    }

    /// Starts the gateway and waits until its channel is up; returns the first listener's port.
    std::uint16_t start() {
        const auto error = gateway_.start(plan_);
        REQUIRE_MESSAGE(error.empty(), error);
        const auto ports = gateway_.bound_ports();
        REQUIRE(ports.size() == plan_.listeners.size());
        REQUIRE(ports[0] != 0);
        run_until([&] { return logged("channel line up"); }, "the channel to come up");
        return ports[0];
    }

    /// Runs the io_context until `done()` holds; fails if that takes longer than the watchdog.
    void run_until(const std::function<bool()>& done, const char* what,
                   std::chrono::milliseconds watchdog_after = std::chrono::seconds{15}) {
        bool expired = false;
        net::steady_timer watchdog{io_};
        watchdog.expires_after(watchdog_after);
        watchdog.async_wait([&](error_code ec) { expired = !ec; });
        io_.restart();
        while (!done() && !expired)
            io_.run_one();
        watchdog.cancel();
        io_.poll();
        REQUIRE_MESSAGE(!expired, "timed out waiting for " << std::string{what});
    }

    /// Runs the io_context for `d` (a pause in the test, never a synchronisation).
    void run_for(std::chrono::milliseconds d) {
        bool fired = false;
        net::steady_timer t{io_};
        t.expires_after(d);
        t.async_wait([&](error_code) { fired = true; });
        run_until([&] { return fired; }, "a pause");
    }

    /// Connects `m` and waits until it is connected (the gateway may refuse it right after).
    void connect(tcp_master& m, std::uint16_t port) {
        m.connect(port);
        run_until([&] { return m.connected(); }, "the connection");
    }

    /// Sends one request and waits for its answer (or for the connection to close).
    answer ask(tcp_master& m, std::uint16_t tid, std::uint8_t unit, const bytes& pdu) {
        const auto before = m.answers().size();
        m.send(adu(tid, unit, pdu));
        run_until([&] { return m.answers().size() > before || m.closed(); }, "an answer");
        REQUIRE_MESSAGE(m.answers().size() == before + 1, "closed instead of answered");
        return m.answers().back();
    }

    /// A peer the gateway must refuse: it connects, sends a request, and is closed without
    /// having been answered (and the device never saw the request).
    void expect_refused(tcp_master& m, std::uint16_t port) {
        const auto device_before = device_requests();
        m.connect(port, [&] { m.send(adu(0x0BAD, 1, read_holding(0, 1))); });
        run_until([&] { return m.closed(); }, "the refused connection to close");
        CHECK(m.answers().empty());
        CHECK(device_requests() == device_before);
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

}  // namespace gw_test
