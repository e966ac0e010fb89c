// gw::gateway::channel_driver over a tcp_link, in process, against a scripted downstream TCP
// device on 127.0.0.1 port 0 (expect these request bytes, then reply with those, stay silent, or
// close; in the style of async-mqtt5's test broker). Built once per Asio flavour.
//
// Nothing sleeps: the io_context runs until the awaited event happened; a watchdog timer only
// bounds a hang (and fails the test if it fires). No assertion depends on how long anything took.

#include <gw/gateway/channel_driver.hpp>
#include <gw/gateway/links.hpp>
#include <gw/transport/asio.hpp>
#include <gw/transport/tcp_options.hpp>

#include <doctest/doctest.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "router/test_sink.hpp"

namespace {

namespace net = gw::net;
using tcp = net::ip::tcp;
using bytes = std::vector<std::uint8_t>;
using gw::router::channel_event;
using gw::transport::error_code;
using namespace std::chrono_literals;

constexpr std::uint8_t hi(std::size_t v) {
    return static_cast<std::uint8_t>((v >> 8U) & 0xFFU);
}
constexpr std::uint8_t lo(std::size_t v) {
    return static_cast<std::uint8_t>(v & 0xFFU);
}

const bytes read_request{3, 0, 0, 0, 1};  // FC 3, address 0, one register
const bytes read_answer{3, 2, 0, 42};     // holding[0] = 42

/// An MBAP ADU: transaction id, protocol id, length, unit, pdu.
bytes mbap(std::uint16_t tid, std::uint8_t unit, const bytes& pdu, std::uint16_t protocol = 0) {
    bytes out{hi(tid), lo(tid), hi(protocol), lo(protocol), hi(pdu.size() + 1), lo(pdu.size() + 1),
              unit};
    out.insert(out.end(), pdu.begin(), pdu.end());
    return out;
}

/// A downstream device that follows a script, across connections: each step expects the next
/// request bytes on whichever connection is current, then acts. Counts the connections it
/// accepted, so a test sees the driver reconnect.
class scripted_device {
public:
    enum class action : std::uint8_t { reply, silent, close };

    explicit scripted_device(net::io_context& io) : state_{std::make_shared<state>(io)} {
        state_->acceptor.open(tcp::v4());
        state_->acceptor.set_option(net::socket_base::reuse_address(true));
        state_->acceptor.bind({net::ip::make_address("127.0.0.1"), 0});
        state_->acceptor.listen();
        accept(state_);
    }
    scripted_device(const scripted_device&) = delete;
    scripted_device& operator=(const scripted_device&) = delete;
    ~scripted_device() {
        error_code ignored;
        state_->acceptor.close(ignored);
        if (state_->current) state_->current->close(ignored);
    }

    std::uint16_t port() const { return state_->acceptor.local_endpoint().port(); }
    scripted_device& expect(bytes request, action what, bytes reply = {}) {
        state_->script.push_back({std::move(request), what, std::move(reply)});
        return *this;
    }
    std::size_t connections() const { return state_->connections; }
    std::size_t steps_done() const { return state_->done; }
    /// Whether the current connection was closed by the peer (the driver).
    bool peer_closed() const { return state_->peer_closed; }

private:
    struct step {
        bytes request;
        action what;
        bytes reply;
    };
    struct state {
        explicit state(net::io_context& io) : acceptor{io} {}
        tcp::acceptor acceptor;
        std::shared_ptr<tcp::socket> current;
        std::deque<step> script;
        std::size_t connections = 0;
        std::size_t done = 0;
        bool peer_closed = false;
        bytes in;
    };

    static void accept(const std::shared_ptr<state>& s) {
        s->acceptor.async_accept([s](error_code ec, tcp::socket socket) {
            if (ec) return;
            ++s->connections;
            s->in.clear();
            s->peer_closed = false;
            s->current = std::make_shared<tcp::socket>(std::move(socket));
            read(s, s->current);
            accept(s);
        });
    }

    static void read(const std::shared_ptr<state>& s, const std::shared_ptr<tcp::socket>& socket) {
        auto chunk = std::make_shared<std::array<std::uint8_t, 512>>();
        socket->async_read_some(net::buffer(*chunk),
                                [s, socket, chunk](error_code ec, std::size_t n) {
                                    if (socket != s->current)
                                        return;  // an old connection: its bytes are stale
                                    if (ec) {
                                        s->peer_closed = true;
                                        return;
                                    }
                                    s->in.insert(s->in.end(), chunk->begin(),
                                                 chunk->begin() + static_cast<std::ptrdiff_t>(n));
                                    if (!play(s, *socket)) return;
                                    read(s, socket);
                                });
    }

    /// Runs the steps whose request is complete; false when the connection was closed.
    static bool play(const std::shared_ptr<state>& s, tcp::socket& socket) {
        while (!s->script.empty() && s->in.size() >= s->script.front().request.size()) {
            step st = std::move(s->script.front());
            s->script.pop_front();
            const bytes got(s->in.begin(),
                            s->in.begin() + static_cast<std::ptrdiff_t>(st.request.size()));
            s->in.erase(s->in.begin(),
                        s->in.begin() + static_cast<std::ptrdiff_t>(st.request.size()));
            CHECK_MESSAGE(got == st.request, "script step " << s->done << ": unexpected request");
            ++s->done;
            if (st.what == action::close) {
                error_code ignored;
                socket.close(ignored);
                return false;
            }
            if (st.what == action::reply) {
                auto out = std::make_shared<bytes>(std::move(st.reply));
                net::async_write(socket, net::buffer(*out), [out](error_code, std::size_t) {});
            }
        }
        if (s->script.empty() && !s->in.empty()) {
            FAIL_CHECK("the device got bytes its script does not expect");
            s->in.clear();
        }
        return true;
    }

    std::shared_ptr<state> state_;
};

/// What the driver tells the gateway, recorded.
struct recording_driver_sink {
    struct answer {
        gw::router::request_origin origin;
        bytes pdu;
    };
    std::vector<answer> answers;
    std::vector<channel_event> events;
    std::vector<std::string> downs;
    std::size_t ups = 0;
    // The traffic tap, when a test sets one: the frames as the driver reported them.
    struct frame {
        gw::gateway::traffic_direction direction;
        bytes data;
    };
    std::vector<frame> frames;
    gw::gateway::traffic_tap tap;
    const gw::gateway::traffic_tap* traffic_tap_of() const { return tap ? &tap : nullptr; }
    void record_traffic() {
        tap = [this](const gw::gateway::traffic_frame& f) {
            frames.push_back({f.direction, {f.bytes.begin(), f.bytes.end()}});
        };
    }

    void deliver(const gw::router::request_origin& origin, std::span<const std::uint8_t> pdu) {
        answers.push_back({origin, {pdu.begin(), pdu.end()}});
    }
    void on_channel_event(std::size_t, channel_event e, const gw::router::request_origin&) {
        events.push_back(e);
    }
    void on_channel_down(std::size_t, const std::string& why) { downs.push_back(why); }
    void on_channel_up(std::size_t) { ++ups; }
    bool saw(channel_event e) const {
        for (const auto x : events)
            if (x == e) return true;
        return false;
    }
};

using driver_type = gw::gateway::channel_driver<gw::gateway::tcp_link, recording_driver_sink>;

const bytes gateway_target_failed{0x83, 0x0B};

class rig {
public:
    rig() = default;
    rig(const rig&) = delete;
    rig& operator=(const rig&) = delete;
    ~rig() {
        if (driver_) driver_->stop();
        // Let the cancelled handlers run out before their owners go away.
        io_.restart();
        io_.poll();
    }

    net::io_context& io() { return io_; }
    recording_driver_sink& sink() { return sink_; }
    driver_type& driver() { return *driver_; }

    /// A plan for the device on 127.0.0.1:port, and options for `framing`.
    static gw::gateway::tcp_link_plan plan_for(std::uint16_t port) {
        gw::gateway::tcp_link_plan plan;
        plan.host = "127.0.0.1";
        plan.port = port;
        return plan;
    }
    static gw::router::channel_options options_for(gw::router::channel_framing framing) {
        gw::router::channel_options o;
        o.framing = framing;
        o.response_timeout = 5s;  // never reached where a test expects an answer
        return o;
    }

    void start(const gw::gateway::tcp_link_plan& plan, const gw::router::channel_options& options) {
        driver_ = std::make_shared<driver_type>(
            io_.get_executor(), 0, gw::gateway::tcp_link{io_.get_executor(), plan}, options, sink_,
            gw::gateway::reopen_backoff{1ms, 1ms});
        driver_->start();
    }

    /// Submits a read of holding register 0 of unit 1 from `master`.
    void submit(gw::router::master_id master, std::uint16_t tid) {
        gw::router::request_origin origin;
        origin.master = master;
        origin.transaction_id = tid;
        origin.unit = 1;
        const auto refused =
            driver_->submit(origin, gw::router::priority_class::normal, 1, read_request);
        REQUIRE_FALSE(refused);
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
    recording_driver_sink sink_;
    std::shared_ptr<driver_type> driver_;
};

bool mentions(const std::vector<std::string>& lines, std::string_view text) {
    for (const auto& l : lines)
        if (l.find(text) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("channel_driver over TCP: a request and its answer over MBAP") {
    rig r;
    scripted_device device{r.io()};
    device.expect(mbap(1, 1, read_request), scripted_device::action::reply,
                  mbap(1, 1, read_answer));
    r.start(rig::plan_for(device.port()), rig::options_for(gw::router::channel_framing::mbap));
    r.run_until([&] { return r.sink().ups == 1; }, "the connection");
    r.submit(1, 77);
    r.run_until([&] { return r.sink().answers.size() == 1; }, "the answer");
    CHECK(r.sink().answers[0].pdu == read_answer);
    CHECK(r.sink().answers[0].origin.transaction_id == 77);
    CHECK(device.connections() == 1);
    CHECK(r.sink().downs.empty());
}

TEST_CASE("channel_driver over TCP: a request and its answer as RTU over TCP") {
    rig r;
    scripted_device device{r.io()};
    device.expect(gw::test::rtu(1, read_request), scripted_device::action::reply,
                  gw::test::rtu(1, read_answer));
    r.start(rig::plan_for(device.port()), rig::options_for(gw::router::channel_framing::rtu));
    r.run_until([&] { return r.sink().ups == 1; }, "the connection");
    r.submit(1, 5);
    r.run_until([&] { return r.sink().answers.size() == 1; }, "the answer");
    CHECK(r.sink().answers[0].pdu == read_answer);
}

TEST_CASE("channel_driver: the traffic tap sees each frame as on the wire, a bad one too") {
    using gw::gateway::traffic_direction;
    rig r;
    r.sink().record_traffic();
    auto corrupt = gw::test::rtu(1, read_answer);
    corrupt.back() ^= 0xFF;  // a CRC that does not match
    scripted_device device{r.io()};
    device.expect(gw::test::rtu(1, read_request), scripted_device::action::reply, corrupt);
    device.expect(gw::test::rtu(1, read_request), scripted_device::action::reply,
                  gw::test::rtu(1, read_answer));
    auto options = rig::options_for(gw::router::channel_framing::rtu);
    options.retries = 1;
    options.response_timeout = 200ms;  // the bad reply is dropped: the retry follows this
    r.start(rig::plan_for(device.port()), options);
    r.run_until([&] { return r.sink().ups == 1; }, "the connection");
    r.submit(1, 5);
    r.run_until([&] { return r.sink().answers.size() == 1; }, "the answer");
    CHECK(r.sink().answers[0].pdu == read_answer);
    const auto& f = r.sink().frames;
    REQUIRE(f.size() == 4);
    CHECK(f[0].direction == traffic_direction::to_device);
    CHECK(f[0].data == gw::test::rtu(1, read_request));
    CHECK(f[1].direction == traffic_direction::from_device);
    CHECK(f[1].data == corrupt);  // reported as it came, CRC and all
    CHECK(f[2].direction == traffic_direction::to_device);
    CHECK(f[2].data == gw::test::rtu(1, read_request));
    CHECK(f[3].direction == traffic_direction::from_device);
    CHECK(f[3].data == gw::test::rtu(1, read_answer));
}

TEST_CASE("channel_driver over TCP: a connect that stays pending fails at its deadline") {
    rig r;
    // A listener with backlog 0 and one connection it never accepts: its accept queue is full,
    // so the kernel drops the next SYN and that connect stays pending (loopback only).
    tcp::acceptor full{r.io()};
    full.open(tcp::v4());
    full.bind({net::ip::make_address("127.0.0.1"), 0});
    full.listen(0);
    tcp::socket filler{r.io()};
    filler.connect(full.local_endpoint());
    tcp_info info{};
    socklen_t len = sizeof info;
    REQUIRE(::getsockopt(full.native_handle(), IPPROTO_TCP, TCP_INFO, &info, &len) == 0);
    // For a listener, tcpi_unacked is the accept queue's length and tcpi_sacked its limit.
    REQUIRE_MESSAGE(info.tcpi_unacked > info.tcpi_sacked, "the accept queue must be full");

    auto plan = rig::plan_for(full.local_endpoint().port());
    plan.connect_timeout = 200ms;
    const auto started = std::chrono::steady_clock::now();
    r.start(plan, rig::options_for(gw::router::channel_framing::mbap));
    r.run_until([&] { return !r.sink().downs.empty(); }, "the connect deadline");
    const auto elapsed = std::chrono::steady_clock::now() - started;
    MESSAGE("connect deadline 200 ms: reported down after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms");
    CHECK(r.sink().ups == 0);
    CHECK(mentions(r.sink().downs, "tcp 127.0.0.1:" + std::to_string(plan.port) +
                                       ": connect: no connection within 200 ms"));
    // While down, a request is answered 0x0B at once.
    gw::router::request_origin origin;
    origin.unit = 1;
    CHECK(r.driver().submit(origin, gw::router::priority_class::normal, 1, read_request) ==
          gw::exception_code::gateway_target_failed);

    // Room in the queue: a later attempt (after the backoff) connects.
    tcp::socket accepted = full.accept();
    r.run_until([&] { return r.sink().ups == 1; }, "the reconnection");
    CHECK(r.sink().downs.size() == 1);  // reported once, not per attempt
}

TEST_CASE(
    "channel_driver over TCP: keep-alive follows the response timeout, as the kernel has it") {
    rig r;
    scripted_device device{r.io()};
    auto options = rig::options_for(gw::router::channel_framing::mbap);
    options.response_timeout = 1500ms;
    r.start(rig::plan_for(device.port()), options);
    r.run_until([&] { return r.sink().ups == 1; }, "the connection");

    const auto& socket = r.driver().link().stream();
    const auto get = [&](auto option) {
        error_code ec;
        socket.get_option(option, ec);
        REQUIRE_MESSAGE(!ec, ec.message());
        return option.value();
    };
    CHECK(get(net::socket_base::keep_alive{}));
    CHECK(get(tcp::no_delay{}));
    CHECK(get(gw::transport::tcp_keep_idle{}) == 2);  // 1.5 s rounded up to whole seconds
    CHECK(get(gw::transport::tcp_keep_interval{}) == 2);
    CHECK(get(gw::transport::tcp_keep_count{}) == 3);
    CHECK(get(gw::transport::tcp_user_timeout{}) == 8000);
    CHECK(r.driver().link().keepalive() == gw::transport::keepalive_for(1500ms));
}

TEST_CASE("channel_driver over TCP: 3 timed-out transactions in a row reopen the connection") {
    rig r;
    scripted_device device{r.io()};
    using act = scripted_device::action;
    // Two timeouts, an answer (the count starts again), then three timeouts: the connection is
    // presumed dead and reopened; the request after that is answered on the new connection.
    device.expect(mbap(1, 1, read_request), act::silent)
        .expect(mbap(2, 1, read_request), act::silent)
        .expect(mbap(3, 1, read_request), act::reply, mbap(3, 1, read_answer))
        .expect(mbap(4, 1, read_request), act::silent)
        .expect(mbap(5, 1, read_request), act::silent)
        .expect(mbap(6, 1, read_request), act::silent)
        .expect(mbap(7, 1, read_request), act::reply, mbap(7, 1, read_answer));
    auto options = rig::options_for(gw::router::channel_framing::mbap);
    options.response_timeout = 20ms;
    auto plan = rig::plan_for(device.port());
    REQUIRE(plan.reconnect_after_timeouts == 3);  // the default
    r.start(plan, options);
    r.run_until([&] { return r.sink().ups == 1; }, "the connection");

    auto& answers = r.sink().answers;
    for (std::uint16_t tid = 1; tid <= 5; ++tid) {
        r.submit(1, tid);
        r.run_until([&] { return answers.size() == tid; }, "an answer");
    }
    CHECK(answers[0].pdu == gateway_target_failed);
    CHECK(answers[1].pdu == gateway_target_failed);
    CHECK(answers[2].pdu == read_answer);
    CHECK(answers[3].pdu == gateway_target_failed);
    CHECK(answers[4].pdu == gateway_target_failed);
    CHECK(device.connections() == 1);  // the answer reset the count: 2 in a row so far
    CHECK(r.sink().downs.empty());

    // The third in a row; a second master's request waits behind it and is answered 0x0B when
    // the connection is dropped, without reaching the device.
    r.submit(1, 6);
    r.submit(2, 60);
    r.run_until([&] { return answers.size() == 7; }, "both answers");
    CHECK(answers[5].pdu == gateway_target_failed);
    CHECK(answers[6].pdu == gateway_target_failed);
    CHECK(answers[6].origin.master == 2);
    REQUIRE(r.sink().downs.size() == 1);
    CHECK(r.sink().downs[0] == "tcp 127.0.0.1:" + std::to_string(device.port()) +
                                   ": 3 transactions in a row timed out: the connection is "
                                   "presumed dead");
    r.run_until([&] { return device.connections() == 2 && r.sink().ups == 2; }, "the reconnection");
    CHECK(r.driver().counters().transport_failures == 1);

    r.submit(1, 7);
    r.run_until([&] { return answers.size() == 8; }, "the answer on the new connection");
    CHECK(answers[7].pdu == read_answer);
    CHECK(device.steps_done() == 7);
}

TEST_CASE("channel_driver over TCP: framing_lost closes and reopens the connection") {
    rig r;
    scripted_device device{r.io()};
    using act = scripted_device::action;
    device.expect(mbap(1, 1, read_request), act::silent)
        .expect(mbap(2, 1, read_request), act::reply, mbap(2, 1, read_answer));
    r.start(rig::plan_for(device.port()), rig::options_for(gw::router::channel_framing::mbap));
    r.run_until([&] { return r.sink().ups == 1; }, "the connection");
    r.submit(1, 1);
    r.run_until([&] { return device.steps_done() == 1; }, "the request on the wire");

    // What the engine reports on an MBAP bad_header (the router's channel, on its branch).
    gw::router::request_origin origin;
    origin.master = 1;
    origin.transaction_id = 1;
    origin.unit = 1;
    r.driver().report_engine_event(channel_event::framing_lost, origin);
    REQUIRE(r.sink().answers.size() == 1);  // at once: the master waits for nothing
    CHECK(r.sink().answers[0].pdu == gateway_target_failed);
    CHECK(mentions(r.sink().downs, "MBAP header error from the device"));
    r.run_until([&] { return device.connections() == 2 && r.sink().ups == 2; }, "the reconnection");
    r.submit(1, 2);
    r.run_until([&] { return r.sink().answers.size() == 2; }, "the answer on the new connection");
    CHECK(r.sink().answers[1].pdu == read_answer);
}

TEST_CASE("channel_driver over TCP: a reply with a bad MBAP header") {
    rig r;
    scripted_device device{r.io()};
    using act = scripted_device::action;
    device.expect(mbap(1, 1, read_request), act::reply, mbap(1, 1, read_answer, 1));
    r.start(rig::plan_for(device.port()), rig::options_for(gw::router::channel_framing::mbap));
    r.run_until([&] { return r.sink().ups == 1; }, "the connection");
    r.submit(1, 1);
    r.run_until([&] { return r.sink().answers.size() == 1; }, "the answer");
    CHECK(r.sink().answers[0].pdu == gateway_target_failed);
    CHECK(r.sink().saw(channel_event::invalid_response));
    // The engine reports framing_lost for it once the router's change is in; from then on the
    // connection must be reopened. Until then this case only checks the master's answer.
    if (r.sink().saw(channel_event::framing_lost)) {
        CHECK(mentions(r.sink().downs, "MBAP header error"));
        r.run_until([&] { return device.connections() == 2 && r.sink().ups == 2; },
                    "the reconnection");
    } else {
        MESSAGE("this build's engine does not report framing_lost on a bad MBAP header yet");
    }
}

TEST_CASE("channel_driver over TCP: the device closing answers 0x0B and the driver reconnects") {
    rig r;
    scripted_device device{r.io()};
    using act = scripted_device::action;
    device.expect(mbap(1, 1, read_request), act::close)
        .expect(mbap(2, 1, read_request), act::reply, mbap(2, 1, read_answer));
    r.start(rig::plan_for(device.port()), rig::options_for(gw::router::channel_framing::mbap));
    r.run_until([&] { return r.sink().ups == 1; }, "the connection");
    r.submit(1, 1);
    r.run_until([&] { return r.sink().answers.size() == 1; }, "the answer");
    CHECK(r.sink().answers[0].pdu == gateway_target_failed);
    CHECK(mentions(r.sink().downs, "tcp 127.0.0.1:" + std::to_string(device.port()) + ": read: "));
    CHECK(r.sink().saw(channel_event::transport_failed));
    r.run_until([&] { return device.connections() == 2 && r.sink().ups == 2; }, "the reconnection");
    r.submit(1, 2);
    r.run_until([&] { return r.sink().answers.size() == 2; }, "the answer on the new connection");
    CHECK(r.sink().answers[1].pdu == read_answer);
}
