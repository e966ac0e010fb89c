// gw/gateway/upstream_session.hpp over TLS: upstream_session<net::ssl::stream<tcp::socket>, ...>
// on a loopback TLS listener, with a real pipeline (policies, router) whose one channel answers
// from an in-process Modbus device (gw::server on a static_data_model), asynchronously as a line
// would. The masters are TLS clients (net::ssl::stream) and a plain TCP client, all on one
// io_context. Built once per Asio flavour.
//
// Nothing sleeps: the io_context runs until the awaited event happened; a watchdog timer only
// bounds a hang (and fails the test if it fires).

#include <gw/gateway/upstream_session.hpp>

#include <gw/codec/mbap.hpp>
#include <gw/device/server.hpp>
#include <gw/device/static_data_model.hpp>
#include <gw/gateway/listener_counters.hpp>
#include <gw/gateway/session_table.hpp>
#include <gw/pipeline/pipeline.hpp>
#include <gw/policy/policy_chain.hpp>
#include <gw/router/router.hpp>
#include <gw/tls/context.hpp>
#include <gw/transport/asio.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tls/pki.hpp"

namespace {

namespace net = gw::net;
using bytes = std::vector<std::uint8_t>;
using gw::transport::error_code;
using gw_test::pki;
using tls_stream = net::ssl::stream<net::ip::tcp::socket>;

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

/// Modbus TCP read holding registers (FC 3) from `address`, `count` registers, for `unit`.
bytes read_holding_adu(std::uint16_t tid, std::uint8_t unit, std::uint16_t address,
                       std::uint16_t count) {
    return {static_cast<std::uint8_t>(tid >> 8U),
            static_cast<std::uint8_t>(tid & 0xFFU),
            0,
            0,  // protocol id 0
            0,
            6,  // length: unit + 5 PDU bytes
            unit,
            3,  // FC 3
            static_cast<std::uint8_t>(address >> 8U),
            static_cast<std::uint8_t>(address & 0xFFU),
            static_cast<std::uint8_t>(count >> 8U),
            static_cast<std::uint8_t>(count & 0xFFU)};
}

/// A channel answering from an in-process device: the request is copied and answered from a
/// posted handler, through the session table, as a channel driver delivers a line's answer.
class device_channel {
public:
    using model_type = gw::static_data_model<8, 8, 16, 16>;

    device_channel(net::io_context& io, gw::gateway::session_table& table)
        : io_{io}, table_{table} {
        for (std::uint16_t i = 0; i < model_type::holding_register_count; ++i)
            model_.set_holding_register(i, static_cast<std::uint16_t>(100 + i));
    }

    // The router's Channel interface.
    std::optional<gw::exception_code> submit(const gw::router::request_origin& origin,
                                             gw::router::priority_class /*priority*/,
                                             std::uint8_t /*unit*/,
                                             std::span<const std::uint8_t> pdu) noexcept {
        ++submitted;
        net::post(io_, [this, origin, request = bytes(pdu.begin(), pdu.end())] {
            std::array<std::uint8_t, 253> out{};
            const auto n = device_.handle(request, out);
            if (n != 0) table_.deliver(origin, std::span<const std::uint8_t>{out.data(), n});
        });
        return std::nullopt;
    }
    std::size_t drop_master(gw::router::master_id /*master*/) noexcept { return 0; }

    std::size_t submitted = 0;

private:
    net::io_context& io_;
    gw::gateway::session_table& table_;
    model_type model_;
    gw::server<model_type> device_{model_};
};

using test_router = gw::router::router<device_channel, 1>;
using test_policies = gw::policy::policy_chain<>;
using test_pipeline = gw::pipeline::pipeline<test_router, test_policies>;
using tls_session = gw::gateway::upstream_session<tls_stream, test_pipeline>;

gw::tls::context_result server_context() {
    return gw::tls::make_server_context(
        {.certificate_chain_file = pki("server.crt"), .private_key_file = pki("server.key")});
}

/// A TLS listener on 127.0.0.1 port 0: each accepted socket is wrapped in a TLS stream, the
/// server handshake runs, and only then does an upstream_session start on the stream.
class rig {
public:
    explicit rig(net::ssl::context& server_ctx) : server_ctx_{server_ctx} {
        REQUIRE(router_.add_channel(channel_) == 0);
        REQUIRE(router_.routes().add({1, 1, 0, 0}));
        const net::ip::tcp::endpoint ep{net::ip::make_address("127.0.0.1"), 0};
        acceptor_.open(ep.protocol());
        acceptor_.bind(ep);
        acceptor_.listen();
        accept();
    }
    rig(const rig&) = delete;
    rig& operator=(const rig&) = delete;
    ~rig() {
        error_code ignored;
        acceptor_.close(ignored);
        for (auto& s : sessions_)
            s->close();
        // Let the cancelled handlers run out before their owners go away.
        io_.restart();
        io_.poll();
        sessions_.clear();
    }

    net::io_context& io() { return io_; }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    device_channel& channel() { return channel_; }
    gw::gateway::session_table& table() { return table_; }
    const gw::gateway::listener_counters& counters() const { return counters_; }
    tls_session& session(std::size_t i) { return *sessions_.at(i); }
    std::size_t sessions_started() const { return sessions_.size(); }
    std::size_t handshake_failures() const { return handshake_failures_; }
    const std::string& last_handshake_error() const { return last_handshake_error_; }

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
    void accept() {
        acceptor_.async_accept([this](error_code ec, net::ip::tcp::socket socket) {
            if (ec) return;
            auto stream = std::make_shared<tls_stream>(std::move(socket), server_ctx_);
            stream->async_handshake(net::ssl::stream_base::server, [this, stream](error_code hs) {
                if (hs) {
                    // The stream (and its socket) goes with the last reference: no session.
                    ++handshake_failures_;
                    last_handshake_error_ = gw::tls::describe_error(*stream, hs);
                    return;
                }
                start_session(std::move(*stream));
            });
            accept();
        });
    }

    void start_session(tls_stream stream) {
        error_code ec;
        const auto peer = stream.lowest_layer().remote_endpoint(ec);
        REQUIRE_FALSE(ec);
        gw::policy::connection_info info;
        info.listener = 0;
        info.peer.v4 = true;
        const auto b = peer.address().to_v4().to_bytes();
        std::copy(b.begin(), b.end(), info.peer.bytes.begin());
        info.peer_port = peer.port();
        gw::gateway::session_options options;
        auto session = std::make_shared<tls_session>(std::move(stream), pipeline_, table_,
                                                     counters_, info, options);
        const auto id = table_.acquire(*session);
        REQUIRE(id);
        REQUIRE(session->start(*id));
        sessions_.push_back(session);
    }

    net::io_context io_;
    net::ssl::context& server_ctx_;
    gw::gateway::session_table table_{4};
    device_channel channel_{io_, table_};
    test_router router_;
    test_policies policies_;
    test_pipeline pipeline_{router_, policies_};
    gw::gateway::listener_counters counters_;
    net::ip::tcp::acceptor acceptor_{io_};
    std::vector<std::shared_ptr<tls_session>> sessions_;
    std::size_t handshake_failures_ = 0;
    std::string last_handshake_error_;
};

/// A Modbus TCP master over `Stream`: a TLS client (handshake after connect) or a plain TCP
/// socket. Its state is shared with its handlers, so that it may go away while one is queued.
template <class Stream>
class master {
public:
    static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

    explicit master(net::io_context& io) requires(!is_tls)
        : state_{std::make_shared<state>(Stream{io})} {}
    master(net::io_context& io, net::ssl::context& ctx) requires is_tls
        : state_{std::make_shared<state>(Stream{io, ctx})} {
        // The server's certificate must also name the address connected to.
        state_->stream.set_verify_callback(net::ssl::host_name_verification("127.0.0.1"));
    }
    master(const master&) = delete;
    master& operator=(const master&) = delete;
    ~master() {
        error_code ignored;
        state_->stream.lowest_layer().close(ignored);
    }

    /// Connects (and, over TLS, handshakes), then runs `then` if that succeeded.
    void connect(std::uint16_t port, std::function<void()> then) {
        state_->stream.lowest_layer().async_connect(
            {net::ip::make_address("127.0.0.1"), port},
            [s = state_, then = std::move(then)](error_code ec) {
                REQUIRE_MESSAGE(!ec, ec.message());
                if constexpr (is_tls) {
                    s->stream.async_handshake(net::ssl::stream_base::client,
                                              [s, then](error_code hs) {
                                                  s->handshake_error = hs;
                                                  s->handshake_done = true;
                                                  if (hs) return;
                                                  read(s);
                                                  then();
                                              });
                } else {
                    read(s);
                    then();
                }
            });
    }
    void send(bytes data) {
        auto buffer = std::make_shared<bytes>(std::move(data));
        net::async_write(state_->stream, net::buffer(*buffer),
                         [s = state_, buffer](error_code ec, std::size_t) { s->write_error = ec; });
    }

    Stream& stream() { return state_->stream; }
    bool handshake_done() const { return state_->handshake_done; }
    const error_code& handshake_error() const { return state_->handshake_error; }
    bool closed() const { return state_->closed; }
    const error_code& read_error() const { return state_->read_error; }
    const std::vector<answer>& answers() const { return state_->answers; }
    std::size_t bytes_received() const { return state_->received; }

private:
    struct state {
        explicit state(Stream s) : stream{std::move(s)} {}
        Stream stream;
        std::array<std::uint8_t, 512> chunk{};
        bytes in;
        std::size_t received = 0;
        std::vector<answer> answers;
        bool handshake_done = false;
        error_code handshake_error;
        error_code write_error;
        error_code read_error;
        bool closed = false;
    };

    static void read(const std::shared_ptr<state>& s) {
        s->stream.async_read_some(net::buffer(s->chunk), [s](error_code ec, std::size_t n) {
            if (ec) {
                s->read_error = ec;
                s->closed = true;
                return;
            }
            s->received += n;
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

using tls_master = master<tls_stream>;
using plain_master = master<net::ip::tcp::socket>;

bool offered(const char* suite) {
    const std::string_view name{suite != nullptr ? suite : ""};
    return std::find(gw::tls::offered_suites.begin(), gw::tls::offered_suites.end(), name) !=
           gw::tls::offered_suites.end();
}

}  // namespace

TEST_CASE("tls session: a TLS master's read is answered by an upstream_session on ssl::stream") {
    auto server = server_context();
    REQUIRE_MESSAGE(server, server.error);
    auto client = gw::tls::make_client_context({.ca_file = pki("server.crt")});
    REQUIRE_MESSAGE(client, client.error);
    rig r{*server.context};
    tls_master m{r.io(), *client.context};
    m.connect(r.port(), [&] { m.send(read_holding_adu(0x0102, 1, 2, 3)); });
    r.run_until([&] { return m.answers().size() == 1 || m.closed() || r.handshake_failures(); },
                "the answer");
    REQUIRE_MESSAGE(!m.handshake_error(), m.handshake_error().message());
    REQUIRE(m.answers().size() == 1);
    // FC 3, 6 bytes, registers 2..4 of the device: 102, 103, 104.
    CHECK(m.answers()[0] == answer{0x0102, 1, {3, 6, 0, 102, 0, 103, 0, 104}});

    // What was negotiated is TLS 1.2 or 1.3, with one of the suites gw offers.
    const std::string version = wolfSSL_get_version(m.stream().native_handle());
    CHECK((version == "TLSv1.3" || version == "TLSv1.2"));
    CHECK_MESSAGE(offered(wolfSSL_get_cipher_name(m.stream().native_handle())),
                  wolfSSL_get_cipher_name(m.stream().native_handle()));

    CHECK(r.sessions_started() == 1);
    CHECK(r.channel().submitted == 1);
    CHECK(r.counters().requests == 1);
    CHECK(r.counters().responses == 1);
    CHECK(r.counters().connections_active == 1);
    CHECK(r.table().active() == 1);
}

TEST_CASE("tls session: TLS 1.2 only, with the suite Modbus/TCP Security names for ECC") {
    gw::tls::server_settings s{pki("server.crt"), pki("server.key"),
                               "ECDHE-ECDSA-AES128-GCM-SHA256"};
    auto server = gw::tls::make_server_context(s);
    REQUIRE_MESSAGE(server, server.error);
    auto client = gw::tls::make_client_context({.ca_file = pki("server.crt")});
    REQUIRE_MESSAGE(client, client.error);
    rig r{*server.context};
    tls_master m{r.io(), *client.context};
    m.connect(r.port(), [&] { m.send(read_holding_adu(7, 1, 0, 1)); });
    r.run_until([&] { return m.answers().size() == 1 || m.closed() || r.handshake_failures(); },
                "the answer");
    REQUIRE_MESSAGE(!m.handshake_error(), gw::tls::describe_error(m.stream(), m.handshake_error())
                                              << "; server: " << r.last_handshake_error());
    REQUIRE(m.answers().size() == 1);
    CHECK(m.answers()[0] == answer{7, 1, {3, 2, 0, 100}});
    CHECK(std::string{wolfSSL_get_version(m.stream().native_handle())} == "TLSv1.2");
    CHECK(std::string{wolfSSL_get_cipher_name(m.stream().native_handle())} ==
          "ECDHE-ECDSA-AES128-GCM-SHA256");
}

TEST_CASE("tls session: teardown closes the TLS connection; the master sees it truncated") {
    auto server = server_context();
    REQUIRE_MESSAGE(server, server.error);
    auto client = gw::tls::make_client_context({.ca_file = pki("server.crt")});
    REQUIRE_MESSAGE(client, client.error);
    rig r{*server.context};
    tls_master m{r.io(), *client.context};
    m.connect(r.port(), [&] { m.send(read_holding_adu(1, 1, 0, 1)); });
    r.run_until([&] { return m.answers().size() == 1 || m.closed(); }, "the answer");
    REQUIRE(m.answers().size() == 1);
    REQUIRE(r.sessions_started() == 1);

    r.session(0).close(gw::policy::reason::idle_timeout);
    r.run_until([&] { return m.closed(); }, "the master to see the close");
    // teardown closes the TCP socket without a close_notify (docs/transport.md says why).
    CHECK_MESSAGE(m.read_error() == net::ssl::error::stream_truncated, m.read_error().message());
    CHECK_FALSE(r.session(0).is_open());
    CHECK(r.counters().connections_active == 0);
    CHECK(r.counters().idle_timeouts == 1);
    CHECK(r.table().active() == 0);
}

TEST_CASE("tls session: a plain TCP master gets no Modbus answer and no session starts") {
    auto server = server_context();
    REQUIRE_MESSAGE(server, server.error);
    rig r{*server.context};
    plain_master m{r.io()};
    m.connect(r.port(), [&] { m.send(read_holding_adu(0x0102, 1, 0, 1)); });
    r.run_until([&] { return m.closed() && r.handshake_failures() == 1; },
                "the refused handshake and the close");
    MESSAGE("server handshake: " << r.last_handshake_error());
    CHECK(m.answers().empty());  // whatever came back (an alert, or nothing) is not an MBAP frame
    CHECK(r.sessions_started() == 0);
    CHECK(r.channel().submitted == 0);
    CHECK(r.counters().requests == 0);
    CHECK(r.table().active() == 0);
}

TEST_CASE("tls session: a master that does not trust the server's certificate does not talk") {
    auto server = server_context();
    REQUIRE_MESSAGE(server, server.error);
    auto client =
        gw::tls::make_client_context({.ca_file = pki("other.crt")});  // a CA the server lacks
    REQUIRE_MESSAGE(client, client.error);
    rig r{*server.context};
    tls_master m{r.io(), *client.context};
    m.connect(r.port(), [&] { FAIL("the handshake must not succeed"); });
    r.run_until([&] { return m.handshake_done() && r.handshake_failures() == 1; },
                "both handshakes to fail");
    CHECK(m.handshake_error());
    MESSAGE("client handshake: " << gw::tls::describe_error(m.stream(), m.handshake_error()));
    CHECK(r.sessions_started() == 0);
    CHECK(r.channel().submitted == 0);
}

TEST_CASE("tls session: a TLS 1.1 master is refused by gw's context, not by wolfSSL's default") {
    // The same TLS 1.1 client succeeds against a context left at wolfSSL's defaults (so it
    // really speaks TLS 1.1), and fails against gw's (so the minimum version is what refused).
    net::ssl::context old_client{net::ssl::context::tlsv11_client};
    old_client.load_verify_file(pki("server.crt"));
    old_client.set_verify_mode(net::ssl::verify_peer);

    net::ssl::context permissive{net::ssl::context::tls_server};
    permissive.use_certificate_chain_file(pki("server.crt"));
    permissive.use_private_key_file(pki("server.key"), net::ssl::context::pem);
    {
        rig r{permissive};
        tls_master m{r.io(), old_client};
        m.connect(r.port(), [&] { m.send(read_holding_adu(3, 1, 0, 1)); });
        r.run_until([&] { return m.answers().size() == 1 || m.handshake_error(); },
                    "the permissive server's answer");
        REQUIRE_MESSAGE(!m.handshake_error(), m.handshake_error().message());
        CHECK(std::string{wolfSSL_get_version(m.stream().native_handle())} == "TLSv1.1");
    }

    auto server = server_context();
    REQUIRE_MESSAGE(server, server.error);
    rig r{*server.context};
    tls_master m{r.io(), old_client};
    m.connect(r.port(), [&] { FAIL("the handshake must not succeed"); });
    r.run_until([&] { return m.handshake_done() && r.handshake_failures() == 1; },
                "both handshakes to fail");
    CHECK(m.handshake_error());
    MESSAGE("server handshake: " << r.last_handshake_error());
    CHECK(r.sessions_started() == 0);
}
