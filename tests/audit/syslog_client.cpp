// gw/audit/syslog_client.hpp in process: settings refused at start(), the severity filter and
// octet counting on a loopback TCP server, the replay after a connection the server closed, and
// on_failure for a refused connection. Every wait is an event on the io_context (run_for bounds
// a test that would otherwise hang; it is not the synchronisation).
#include <gw/audit/syslog_client.hpp>

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using gw::audit::syslog_server_settings;
using gw::audit::syslog_severity;
using gw::audit::syslog_transport;
namespace net = gw::net;
using tcp = net::ip::tcp;

syslog_server_settings tcp_server(std::uint16_t port) {
    syslog_server_settings s;
    s.transport = syslog_transport::tcp;
    s.host = "127.0.0.1";
    s.port = port;
    s.backoff = {1ms, 2ms};
    return s;
}

std::string start_error(std::vector<syslog_server_settings> servers) {
    net::io_context io;
    gw::audit::syslog_client client{io.get_executor(), std::move(servers)};
    return client.start();
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

/// A message whose whole RFC 5424 text is known: "<PRI>1 - - gw - - - text".
gw::audit::syslog_message message(syslog_severity severity, std::string text) {
    gw::audit::syslog_message m;
    m.timestamp = {};
    m.severity = severity;
    m.msg = std::move(text);
    return m;
}

std::string framed(std::string_view pri, std::string_view text) {
    std::string body =
        "<" + std::string{pri} + ">1 1970-01-01T00:00:00.000000Z - gw - - - " + std::string{text};
    std::string out;
    gw::audit::append_octet_counted(body, out);
    return out;
}

/// Accepts one connection at a time and collects what each sent, until `until` says stop.
struct collector {
    explicit collector(net::io_context& io)
        : acceptor{io, {net::ip::make_address("127.0.0.1"), 0}} {}
    tcp::acceptor acceptor;
    std::vector<std::string> connections;
    std::shared_ptr<tcp::socket> socket;
    std::array<char, 4096> buffer{};

    std::uint16_t port() const { return acceptor.local_endpoint().port(); }

    /// `on_data(connection index)` runs after each read; it may close the connection.
    template <class F>
    void accept(F on_data) {
        socket = std::make_shared<tcp::socket>(acceptor.get_executor());
        acceptor.async_accept(*socket, [this, on_data](gw::transport::error_code ec) {
            if (ec) return;
            connections.emplace_back();
            read(on_data, socket);
        });
    }
    template <class F>
    void read(F on_data, std::shared_ptr<tcp::socket> s) {
        s->async_read_some(net::buffer(buffer),
                           [this, on_data, s](gw::transport::error_code ec, std::size_t n) {
                               if (ec) return;
                               connections.back().append(buffer.data(), n);
                               if (on_data(connections.size() - 1)) read(on_data, s);
                           });
    }
};

}  // namespace

TEST_CASE("syslog client: start() refuses settings it cannot apply, naming the server") {
    CHECK(start_error({}) == "syslog: no server");
    CHECK(start_error({tcp_server(1), tcp_server(2), tcp_server(3), tcp_server(4)}) ==
          "syslog: 4 servers, at most 3");
    auto no_host = tcp_server(1);
    no_host.host.clear();
    CHECK(start_error({tcp_server(1), no_host}) == "syslog server 2: host is empty");
    auto no_backlog = tcp_server(1);
    no_backlog.backlog_capacity = 0;
    CHECK(start_error({no_backlog}) == "syslog server 1: backlog capacity is 0");
    auto tiny = tcp_server(1);
    tiny.transport = syslog_transport::udp;
    tiny.max_datagram = 100;
    CHECK(contains(start_error({tiny}), "max_datagram below 480"));
    auto tls = tcp_server(1);
    tls.transport = syslog_transport::tls;  // no CA: the server would not be verified
    CHECK(contains(start_error({tls}),
                   "syslog server 1: tls: TLS client context: ca_file is required"));
}

TEST_CASE("syslog client: TCP, octet counted, only messages at or above the minimum severity") {
    net::io_context io;
    collector server{io};
    auto settings = tcp_server(server.port());
    settings.minimum_severity = syslog_severity::warning;
    gw::audit::syslog_client client{io.get_executor(), {settings}};
    REQUIRE(client.start().empty());
    const std::string expected = framed("107", "first") + framed("108", "third");
    server.accept([&](std::size_t) {
        if (server.connections[0].size() < expected.size()) return true;
        io.stop();
        return false;
    });
    client.post(message(syslog_severity::error, "first"));    // 13 * 8 + 3
    client.post(message(syslog_severity::notice, "second"));  // below warning: filtered
    client.post(message(syslog_severity::warning, "third"));  // 13 * 8 + 4
    io.run_for(10s);
    REQUIRE(server.connections.size() == 1);
    CHECK(server.connections[0] == expected);
    const auto c = client.counters().at(0);
    CHECK(c.filtered == 1);
    CHECK(c.connected);
}

TEST_CASE("syslog client: a connection the server closes is replaced and its messages replayed") {
    net::io_context io;
    collector server{io};
    gw::audit::syslog_client client{io.get_executor(), {tcp_server(server.port())}};
    REQUIRE(client.start().empty());
    const std::string one = framed("110", "one");
    const std::string two = framed("110", "two");
    std::function<bool(std::size_t)> on_data = [&](std::size_t i) {
        if (i == 0 && server.connections[0] == one) {
            server.socket->close();  // read, then gone: the client cannot know it was read
            server.accept(on_data);
            client.post(message(syslog_severity::informational, "two"));
            return false;
        }
        if (i == 1 && server.connections[1].size() >= one.size() + two.size()) {
            io.stop();
            return false;
        }
        return true;
    };
    server.accept(on_data);
    client.post(message(syslog_severity::informational, "one"));
    io.run_for(10s);
    REQUIRE(server.connections.size() == 2);
    CHECK(server.connections[1] == one + two);  // "one" again first, then the new one
    const auto c = client.counters().at(0);
    CHECK(c.reconnects == 1);
    CHECK(c.dropped == 0);
}

TEST_CASE("syslog client: a refused connection is reported through on_failure") {
    net::io_context io;
    std::uint16_t closed_port = 0;
    {
        tcp::acceptor a{io, {net::ip::make_address("127.0.0.1"), 0}};
        closed_port = a.local_endpoint().port();
    }
    std::vector<std::string> failures;
    gw::audit::syslog_client client{
        io.get_executor(), {tcp_server(closed_port)}, [&](std::size_t index, std::string why) {
            CHECK(index == 0);
            failures.push_back(why);
            io.stop();
        }};
    REQUIRE(client.start().empty());
    io.run_for(10s);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0] ==
          "tcp 127.0.0.1:" + std::to_string(closed_port) + ": connect: Connection refused");
    CHECK(contains(client.counters().at(0).last_error, "Connection refused"));
}
