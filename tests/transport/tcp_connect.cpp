// gw/transport/tcp_connect.hpp: resolve and connect to a downstream device on loopback.
#include <gw/transport/tcp_connect.hpp>
#include <gw/transport/tcp_listener.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <string>

namespace net = gw::net;
using tcp = net::ip::tcp;

TEST_CASE("async_connect_to reaches a listener by address and by name") {
    net::io_context io;
    tcp::acceptor acceptor(io);
    REQUIRE(gw::transport::open_listener(acceptor, *gw::transport::parse_endpoint("127.0.0.1:0")));
    const auto port = acceptor.local_endpoint().port();

    for (const char* host : {"127.0.0.1", "localhost"}) {
        CAPTURE(host);
        tcp::socket socket(io);
        tcp::resolver resolver(io);
        std::optional<gw::transport::error_code> result;
        tcp::endpoint connected;
        gw::transport::async_connect_to(socket, resolver, gw::transport::host_port{host, port},
                                        [&](gw::transport::error_code ec, tcp::endpoint ep) {
                                            result = ec;
                                            connected = ep;
                                        });
        tcp::socket accepted(io);
        acceptor.async_accept(accepted, [](gw::transport::error_code) {});
        io.restart();
        io.run();
        REQUIRE(result);
        CHECK_FALSE(*result);
        CHECK(connected.port() == port);
        CHECK(connected.address() == net::ip::make_address("127.0.0.1"));
        CHECK(accepted.is_open());
    }
}

TEST_CASE("async_connect_to reports a refused connection") {
    net::io_context io;
    tcp::endpoint closed;
    {
        tcp::acceptor probe(io);
        REQUIRE(gw::transport::open_listener(probe, *gw::transport::parse_endpoint("127.0.0.1:0")));
        closed = probe.local_endpoint();
    }  // nothing listens there any more
    tcp::socket socket(io);
    tcp::resolver resolver(io);
    std::optional<gw::transport::error_code> result;
    gw::transport::async_connect_to(
        socket, resolver, gw::transport::host_port{"127.0.0.1", closed.port()},
        [&](gw::transport::error_code ec, tcp::endpoint) { result = ec; });
    io.run();
    REQUIRE(result);
    CHECK(*result == net::error::connection_refused);
}
