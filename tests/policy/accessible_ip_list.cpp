#include <gw/policy/accessible_ip_list.hpp>

#include <doctest/doctest.h>

#include <array>

using namespace gw::policy;

namespace {
ip_address ip(std::string_view text) {
    return *parse_ip_address(text);
}
accessible_ip_entry entry(std::string_view network, bool active = true) {
    return {parse_ip_network(network).network, active};
}
connection_info from(std::string_view address) {
    connection_info c;
    c.peer = ip(address);
    return c;
}
}  // namespace

// The MGate 5000 guide's table (3.4), row by row, for a listed host and for any other one.
TEST_CASE("the list off: protocol and services are allowed for every host") {
    accessible_ip_list<4> l;
    const std::array entries{entry("192.168.1.0/24")};
    REQUIRE(l.set({.list_active = false, .additional_restrictions = false, .entries = entries}));
    for (const auto* host : {"192.168.1.7", "203.0.113.9"}) {
        CHECK(l.admits(ip(host), access::protocol));
        CHECK(l.admits(ip(host), access::service));
        CHECK(l.on_connect(from(host)).allowed);
    }
}

TEST_CASE("the list on: a host outside it loses protocol communication, keeps the services") {
    accessible_ip_list<4> l;
    const std::array entries{entry("192.168.1.0/24")};
    REQUIRE(l.set({.list_active = true, .additional_restrictions = false, .entries = entries}));
    CHECK(l.admits(ip("192.168.1.7"), access::protocol));
    CHECK(l.admits(ip("192.168.1.7"), access::service));
    CHECK_FALSE(l.admits(ip("192.168.2.7"), access::protocol));
    CHECK(l.admits(ip("192.168.2.7"), access::service));
    const auto refused = l.on_connect(from("192.168.2.7"));
    CHECK_FALSE(refused.allowed);
    CHECK(refused.why == reason::not_accessible);
    CHECK(l.on_connect(from("192.168.1.255")).allowed);  // the network's last address
}

TEST_CASE("additional restrictions: a host outside the list loses the services as well") {
    accessible_ip_list<4> l;
    const std::array entries{entry("10.0.0.5")};
    REQUIRE(l.set({.list_active = true, .additional_restrictions = true, .entries = entries}));
    CHECK(l.admits(ip("10.0.0.5"), access::protocol));
    CHECK(l.admits(ip("10.0.0.5"), access::service));
    CHECK_FALSE(l.admits(ip("10.0.0.6"), access::protocol));
    CHECK_FALSE(l.admits(ip("10.0.0.6"), access::service));
}

TEST_CASE("an inactive entry stays in the list and admits nobody") {
    accessible_ip_list<4> l;
    const std::array entries{entry("10.0.0.0/8"), entry("192.168.1.0/24", false)};
    REQUIRE(l.set({.list_active = true, .additional_restrictions = true, .entries = entries}));
    CHECK(l.entries().size() == 2);
    CHECK_FALSE(l.entries()[1].active);
    CHECK(l.admits(ip("10.1.2.3"), access::protocol));
    CHECK_FALSE(l.admits(ip("192.168.1.7"), access::protocol));
    CHECK_FALSE(l.admits(ip("192.168.1.7"), access::service));
}

TEST_CASE("an IPv4 host seen as IPv4-mapped IPv6 by a dual-stack socket is the same host") {
    accessible_ip_list<4> l;
    const std::array entries{entry("127.0.0.2")};
    REQUIRE(l.set({.list_active = true, .entries = entries}));
    CHECK(l.admits(ip("::ffff:127.0.0.2"), access::protocol));
    CHECK_FALSE(l.admits(ip("::ffff:127.0.0.3"), access::protocol));
}

TEST_CASE("settings that cannot be honoured are refused and the old list stays") {
    accessible_ip_list<2> l;
    const std::array one{entry("127.0.0.2")};
    REQUIRE(l.set({.list_active = true, .entries = one}));

    // The guide's box can only be ticked with the list on: refused, not ignored.
    CHECK_FALSE(l.set({.list_active = false, .additional_restrictions = true, .entries = one}));
    CHECK(accessible_ip_list<2>::refusal({.additional_restrictions = true}) ==
          "additional restrictions need the list to be active");
    // More entries than the table holds: refused, never truncated.
    const std::array three{entry("10.0.0.1"), entry("10.0.0.2"), entry("10.0.0.3")};
    CHECK_FALSE(l.set({.list_active = true, .entries = three}));
    // An active list that admits nobody would lock every host out.
    const std::array inactive{entry("10.0.0.1", false)};
    CHECK_FALSE(l.set({.list_active = true, .entries = inactive}));
    CHECK_FALSE(l.set({.list_active = true}));
    // Inactive entries are fine while the list is off.
    CHECK(accessible_ip_list<2>::refusal({.list_active = false, .entries = inactive}).empty());

    // Still the first list.
    CHECK(l.list_active());
    CHECK(l.admits(ip("127.0.0.2"), access::protocol));
    CHECK_FALSE(l.admits(ip("10.0.0.1"), access::protocol));
}

TEST_CASE("the list is usable in constant expressions (no heap, no OS)") {
    constexpr bool admitted = [] {
        accessible_ip_list<1> l;
        const std::array e{accessible_ip_entry{parse_ip_network("10.0.0.0/8").network, true}};
        if (!l.set({.list_active = true, .entries = e})) return false;
        return l.admits(*parse_ip_address("10.9.9.9"), access::protocol) &&
               !l.admits(*parse_ip_address("11.0.0.1"), access::protocol);
    }();
    static_assert(admitted);
}
