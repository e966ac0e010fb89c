#include <gw/policy/allowlist_policy.hpp>

#include <doctest/doctest.h>

#include <array>

using namespace gw::policy;

namespace {
connection_info from(std::uint16_t listener, std::string_view address) {
    connection_info c;
    c.listener = listener;
    c.peer = *parse_ip_address(address);
    return c;
}
}  // namespace

TEST_CASE("an empty allowlist admits everyone (the MGate toggle closed)") {
    allowlist_policy<2, 4> p;
    CHECK(p.on_connect(from(0, "203.0.113.9")).allowed);
}

TEST_CASE("each listener has its own list") {
    allowlist_policy<2, 4> p;
    const std::array<ip_network, 1> only_2{parse_ip_network("127.0.0.2").network};
    REQUIRE(p.set(0, only_2));
    CHECK(p.on_connect(from(0, "127.0.0.2")).allowed);
    const auto refused = p.on_connect(from(0, "127.0.0.3"));
    CHECK_FALSE(refused.allowed);
    CHECK(refused.why == reason::not_in_allowlist);
    CHECK(p.on_connect(from(1, "127.0.0.3")).allowed);  // listener 1 has no list
    CHECK_FALSE(p.set(2, only_2));                      // no such listener
}
