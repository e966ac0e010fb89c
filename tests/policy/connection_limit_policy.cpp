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
ip_address canonical(std::string_view address) {
    return ip_address{canonical_bytes(*parse_ip_address(address)), false};
}
}  // namespace

TEST_CASE("per-source, per-listener and global limits each refuse the connection beyond them") {
    connection_limit_policy<2, 8> p;
    REQUIRE(p.set(0, connection_limits{3, 1}));
    REQUIRE(p.set(1, connection_limits{10, 10}));
    p.set_global_limit(4);

    CHECK(p.on_connect(from(0, "127.0.0.2")).allowed);
    CHECK(p.on_connect(from(0, "127.0.0.2")).why == reason::too_many_from_source);
    CHECK(p.on_connect(from(0, "127.0.0.3")).allowed);
    CHECK(p.on_connect(from(0, "127.0.0.4")).allowed);
    // Full, and every host holds one: nobody may take another's slot.
    CHECK(p.on_connect(from(0, "127.0.0.5")).why == reason::too_many_connections);
    CHECK(p.on_connect(from(1, "127.0.0.5")).allowed);
    CHECK(p.on_connect(from(1, "127.0.0.6")).why == reason::too_many_connections);  // global
    CHECK(p.total() == 4);

    p.on_disconnect(from(0, "127.0.0.2"));
    CHECK(p.on_connect(from(0, "127.0.0.2")).allowed);
}

TEST_CASE("an IPv4 peer counts the same whether seen as IPv4 or IPv4-mapped IPv6") {
    connection_limit_policy<1, 8> p;
    REQUIRE(p.set(0, connection_limits{10, 1}));
    CHECK(p.on_connect(from(0, "127.0.0.2")).allowed);
    CHECK_FALSE(p.on_connect(from(0, "::ffff:127.0.0.2")).allowed);
}

TEST_CASE("by default one host may take every slot of a listener") {
    connection_limit_policy<1, 64> p;
    REQUIRE(p.set(0, connection_limits{}));  // 32 slots, no per-source cap
    for (int i = 0; i < 32; ++i) {
        const auto d = p.on_connect(from(0, "127.0.0.2"));
        REQUIRE(d.allowed);
        CHECK_FALSE(d.make_room);
    }
    CHECK(p.held_by(0, *parse_ip_address("127.0.0.2")) == 32);
    // The same host once more: nobody else is waiting, the listener is full.
    CHECK(p.on_connect(from(0, "127.0.0.2")).why == reason::too_many_connections);
}

TEST_CASE("a newcomer on a full listener takes a slot from the host holding the most") {
    connection_limit_policy<1, 64> p;
    REQUIRE(p.set(0, connection_limits{4, 0}));
    for (int i = 0; i < 3; ++i)
        REQUIRE(p.on_connect(from(0, "127.0.0.2")).allowed);
    REQUIRE(p.on_connect(from(0, "127.0.0.3")).allowed);  // full: .2 holds 3, .3 holds 1

    const auto d = p.on_connect(from(0, "127.0.0.4"));
    REQUIRE(d.allowed);
    REQUIRE(d.make_room);
    CHECK(d.evict_from == canonical("127.0.0.2"));
    // The front end closes one of .2's connections.
    p.on_disconnect(from(0, "127.0.0.2"));
    CHECK(p.on_listener(0) == 4);

    // .5 arrives: .2 holds 2, .3 and .4 one each: .2 gives way again.
    const auto e = p.on_connect(from(0, "127.0.0.5"));
    REQUIRE(e.make_room);
    CHECK(e.evict_from == canonical("127.0.0.2"));
    p.on_disconnect(from(0, "127.0.0.2"));

    // Now everyone holds one: a sixth host cannot lock any of them out.
    CHECK(p.on_connect(from(0, "127.0.0.6")).why == reason::too_many_connections);
    // And a host holding one cannot take the slot of another holding one.
    CHECK(p.on_connect(from(0, "127.0.0.3")).why == reason::too_many_connections);
}

TEST_CASE("eviction is per listener: a host heavy on another listener is not touched") {
    connection_limit_policy<2, 64> p;
    REQUIRE(p.set(0, connection_limits{2, 0}));
    REQUIRE(p.set(1, connection_limits{8, 0}));
    for (int i = 0; i < 5; ++i)
        REQUIRE(p.on_connect(from(1, "127.0.0.2")).allowed);
    REQUIRE(p.on_connect(from(0, "127.0.0.3")).allowed);
    REQUIRE(p.on_connect(from(0, "127.0.0.4")).allowed);
    CHECK(p.on_connect(from(0, "127.0.0.2")).why == reason::too_many_connections);
}

TEST_CASE("an explicit per-source cap still refuses, even with room on the listener") {
    connection_limit_policy<1, 64> p;
    REQUIRE(p.set(0, connection_limits{32, 2}));
    REQUIRE(p.on_connect(from(0, "127.0.0.2")).allowed);
    REQUIRE(p.on_connect(from(0, "127.0.0.2")).allowed);
    CHECK(p.on_connect(from(0, "127.0.0.2")).why == reason::too_many_from_source);
}

TEST_CASE("set refuses a listener index beyond the table") {
    connection_limit_policy<2, 8> p;
    CHECK_FALSE(p.set(2, connection_limits{}));
}
