// gw/transport/tcp_listener.hpp and tcp_options.hpp on loopback.
#include <gw/transport/tcp_listener.hpp>
#include <gw/transport/tcp_options.hpp>

#include <doctest/doctest.h>

#include <string>

namespace net = gw::net;
using tcp = net::ip::tcp;

TEST_CASE("open_listener: IPv4 and IPv6 loopback, reuse_address, v6_only") {
    net::io_context io;
    for (const char* text : {"127.0.0.1:0", "[::1]:0"}) {
        CAPTURE(text);
        const auto endpoint = gw::transport::parse_endpoint(text);
        REQUIRE(endpoint);
        tcp::acceptor acceptor(io);
        const auto r = gw::transport::open_listener(acceptor, *endpoint);
        REQUIRE_MESSAGE(r, r.message);
        REQUIRE(acceptor.is_open());
        const auto bound = acceptor.local_endpoint();
        CHECK(bound.address() == endpoint->address());
        CHECK(bound.port() != 0);

        net::socket_base::reuse_address reuse;
        acceptor.get_option(reuse);
        CHECK(reuse.value());
        if (endpoint->address().is_v6()) {
            net::ip::v6_only v6only;
            acceptor.get_option(v6only);
            CHECK(v6only.value());
        }

        // A client connects; the accepted socket gets the Modbus options.
        tcp::socket client(io);
        client.connect(bound);
        tcp::socket server(io);
        acceptor.accept(server);
        CHECK_FALSE(gw::transport::configure_socket(server));
        tcp::no_delay nodelay;
        server.get_option(nodelay);
        CHECK(nodelay.value());
        net::socket_base::keep_alive keepalive;
        server.get_option(keepalive);
        CHECK(keepalive.value());
    }
}

TEST_CASE("open_listener: [::] and 0.0.0.0 on the same port do not clash") {
    net::io_context io;
    tcp::acceptor v6(io);
    auto r = gw::transport::open_listener(v6, *gw::transport::parse_endpoint("[::]:0"));
    REQUIRE_MESSAGE(r, r.message);
    const auto port = v6.local_endpoint().port();
    tcp::acceptor v4(io);
    r = gw::transport::open_listener(v4, tcp::endpoint(net::ip::address_v4::any(), port));
    CHECK_MESSAGE(r, r.message);
}

TEST_CASE("open_listener: a taken port fails with a message naming the endpoint") {
    net::io_context io;
    tcp::acceptor first(io);
    REQUIRE(gw::transport::open_listener(first, *gw::transport::parse_endpoint("127.0.0.1:0")));
    const auto taken = first.local_endpoint();

    tcp::acceptor second(io);
    const auto r = gw::transport::open_listener(second, taken);
    CHECK_FALSE(r);
    CHECK(r.error == net::error::address_in_use);
    CHECK(r.message.find(gw::transport::to_string(taken)) != std::string::npos);
    CHECK(r.message.find("bind") != std::string::npos);
    CHECK_FALSE(second.is_open());
}
