#include <gw/policy/connection_limit_policy.hpp>

#include <doctest/doctest.h>

using namespace gw::policy;

namespace {
connection_info from(std::uint16_t listener, std::string_view address) {
    connection_info c;
    c.listener = listener;
    c.peer = *parse_ip_address(address);
    return c;
}
}  // namespace

TEST_CASE("per-source, per-listener and global limits each refuse the connection beyond them") {
    connection_limit_policy<2, 8> p;
    p.set(0, connection_limits{3, 2});
    p.set(1, connection_limits{10, 10});
    p.set_global_limit(4);

    CHECK(p.on_connect(from(0, "127.0.0.2")).allowed);
    CHECK(p.on_connect(from(0, "127.0.0.2")).allowed);
    CHECK(p.on_connect(from(0, "127.0.0.2")).why == reason::too_many_from_source);
    CHECK(p.on_connect(from(0, "127.0.0.3")).allowed);
    CHECK(p.on_connect(from(0, "127.0.0.4")).why == reason::too_many_connections);  // listener full
    CHECK(p.on_connect(from(1, "127.0.0.4")).allowed);
    CHECK(p.on_connect(from(1, "127.0.0.5")).why == reason::too_many_connections);  // global
    CHECK(p.total() == 4);

    p.on_disconnect(from(0, "127.0.0.2"));
    CHECK(p.on_connect(from(0, "127.0.0.2")).allowed);
}

TEST_CASE("an IPv4 peer counts the same whether seen as IPv4 or IPv4-mapped IPv6") {
    connection_limit_policy<1, 8> p;
    p.set(0, connection_limits{10, 1});
    CHECK(p.on_connect(from(0, "127.0.0.2")).allowed);
    CHECK_FALSE(p.on_connect(from(0, "::ffff:127.0.0.2")).allowed);
}
