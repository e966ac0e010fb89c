// gw/transport/tcp_endpoint.hpp: endpoint text as configuration files write it.
#include <gw/transport/tcp_endpoint.hpp>

#include <doctest/doctest.h>

#include <string>

using gw::transport::host_port;
using gw::transport::parse_endpoint;
using gw::transport::split_host_port;
namespace net = gw::net;

TEST_CASE("parse_endpoint: IPv4 and IPv6 listeners") {
    auto e = parse_endpoint("127.0.0.1:1502");
    REQUIRE(e);
    CHECK(e->address() == net::ip::make_address("127.0.0.1"));
    CHECK(e->port() == 1502);

    e = parse_endpoint("[::1]:1502");
    REQUIRE(e);
    CHECK(e->address().is_v6());
    CHECK(e->address().is_loopback());
    CHECK(e->port() == 1502);

    e = parse_endpoint("0.0.0.0:502");
    REQUIRE(e);
    CHECK(e->address().is_unspecified());
    CHECK(e->address().is_v4());

    e = parse_endpoint("[::]:502");
    REQUIRE(e);
    CHECK(e->address().is_unspecified());
    CHECK(e->address().is_v6());

    e = parse_endpoint("[::ffff:127.0.0.1]:65535");
    REQUIRE(e);
    CHECK(e->address().to_v6().is_v4_mapped());
    CHECK(e->port() == 65535);

    e = parse_endpoint("[fe80::1%lo]:502");  // link-local with a scope
    REQUIRE(e);
    CHECK(e->address().to_v6().scope_id() != 0);

    e = parse_endpoint("127.0.0.1:0");  // ephemeral
    REQUIRE(e);
    CHECK(e->port() == 0);
}

TEST_CASE("parse_endpoint: bad inputs say what is wrong") {
    struct bad {
        const char* text;
        const char* reason;
    };
    const bad cases[] = {
        {"", "empty"},
        {"127.0.0.1", "missing ':port'"},
        {"127.0.0.1:", "port must be"},
        {"127.0.0.1:65536", "port must be"},
        {"127.0.0.1:99999999", "port must be"},
        {"127.0.0.1:-1", "port must be"},
        {"127.0.0.1:+5", "port must be"},
        {"127.0.0.1:50 2", "port must be"},
        {"127.0.0.1:0x1F6", "port must be"},
        {":502", "missing host"},
        {"[]:502", "brackets are for IPv6"},
        {"::1:502", "must be written in brackets"},
        {"[::1]", "missing ':port'"},
        {"[::1]502", "missing ':port'"},
        {"[::1:502", "missing ']'"},
        {"[127.0.0.1]:502", "brackets are for IPv6"},
        {"256.0.0.1:502", "not an IPv4 address"},
        {"1.2.3:502", "not an IPv4 address"},
        {"localhost:502", "not an IPv4 address"},
        {"[::g]:502", "not an IPv6 address"},
        {" 127.0.0.1:502", "invalid character"},
        {"127.0.0.1 :502", "invalid character"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        std::string error;
        CHECK_FALSE(parse_endpoint(c.text, error));
        CHECK_MESSAGE(error.find(c.reason) != std::string::npos, error);
    }
}

TEST_CASE("split_host_port accepts names for downstream devices") {
    std::string error;
    CHECK(split_host_port("plc7.example:502", error) == host_port{"plc7.example", 502});
    CHECK(split_host_port("[fd00::7]:1502", error) == host_port{"fd00::7", 1502});
    CHECK(split_host_port("10.0.0.9:502", error) == host_port{"10.0.0.9", 502});
    CHECK_FALSE(split_host_port("plc7.example", error));
    CHECK_FALSE(split_host_port("plc/7:502", error));
}

TEST_CASE("to_string round-trips through parse_endpoint") {
    for (const char* text :
         {"127.0.0.1:1502", "[::1]:1502", "0.0.0.0:502", "[::]:502", "[fe80::1]:7"}) {
        CAPTURE(text);
        const auto e = parse_endpoint(text);
        REQUIRE(e);
        CHECK(gw::transport::to_string(*e) == text);
    }
}
