// gw/transport/tcp_options.hpp: keep-alive derived from the response timeout, set and read back
// on a loopback connection; a refused option fails and is named.
#include <gw/transport/tcp_listener.hpp>
#include <gw/transport/tcp_options.hpp>

#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>
#include <string>

namespace net = gw::net;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

namespace {

struct connection {
    net::io_context io;
    tcp::acceptor acceptor{io};
    tcp::socket client{io};
    tcp::socket server{io};
    connection() {
        REQUIRE(
            gw::transport::open_listener(acceptor, *gw::transport::parse_endpoint("127.0.0.1:0")));
        client.connect(acceptor.local_endpoint());
        acceptor.accept(server);
    }
};

template <class Option>
int read_back(tcp::socket& s) {
    Option o;
    gw::transport::error_code ec;
    s.get_option(o, ec);
    REQUIRE_MESSAGE(!ec, ec.message());
    return o.value();
}

}  // namespace

TEST_CASE("keepalive_for: T = the response timeout in whole seconds, at least 1; 4 T in all") {
    using gw::transport::keepalive_for;
    using gw::transport::tcp_keepalive;
    CHECK(keepalive_for(1000ms) == tcp_keepalive{1s, 1s, 3, 4000ms});
    CHECK(keepalive_for(1500ms) == tcp_keepalive{2s, 2s, 3, 8000ms});  // rounded up, not down
    CHECK(keepalive_for(1ms) == tcp_keepalive{1s, 1s, 3, 4000ms});
    CHECK(keepalive_for(60s) == tcp_keepalive{60s, 60s, 3, 240000ms});
}

TEST_CASE("configure_socket with keep-alive: every option set, as read back from the kernel") {
    connection c;
    const auto k = gw::transport::keepalive_for(1500ms);
    const auto r = gw::transport::configure_socket(c.client, k);
    REQUIRE_MESSAGE(r, r.message);
    tcp::no_delay nodelay;
    c.client.get_option(nodelay);
    CHECK(nodelay.value());
    net::socket_base::keep_alive keepalive;
    c.client.get_option(keepalive);
    CHECK(keepalive.value());
    CHECK(read_back<gw::transport::tcp_keep_idle>(c.client) == 2);
    CHECK(read_back<gw::transport::tcp_keep_interval>(c.client) == 2);
    CHECK(read_back<gw::transport::tcp_keep_count>(c.client) == 3);
    CHECK(read_back<gw::transport::tcp_user_timeout>(c.client) == 8000);
}

TEST_CASE("configure_socket with keep-alive: a refused option fails and is named") {
    connection c;
    gw::transport::tcp_keepalive k = gw::transport::keepalive_for(1s);
    SUBCASE("the kernel refuses more than 127 probes") {
        k.probes = 1000;
        const auto r = gw::transport::configure_socket(c.client, k);
        CHECK_FALSE(r);
        CHECK(r.error.value() == EINVAL);
        CHECK(r.message.find("TCP_KEEPCNT to 1000") != std::string::npos);
    }
    SUBCASE("a duration an int cannot hold is refused, not wrapped") {
        k.user_timeout = std::chrono::milliseconds{0x1'0000'0001LL};
        const auto r = gw::transport::configure_socket(c.client, k);
        CHECK_FALSE(r);
        CHECK(r.message.find("TCP_USER_TIMEOUT to 4294967297: out of range") != std::string::npos);
    }
    SUBCASE("a closed socket: the first option already fails") {
        c.client.close();
        const auto r = gw::transport::configure_socket(c.client, k);
        CHECK_FALSE(r);
        CHECK(r.message.find("TCP_NODELAY") != std::string::npos);
    }
}
