#include <gw/policy/ip_network.hpp>

#include <doctest/doctest.h>

using namespace gw::policy;

namespace {
ip_address addr(std::string_view s) {
    const auto a = parse_ip_address(s);
    REQUIRE(a);
    return *a;
}
ip_network net(std::string_view a, std::string_view mask) {
    const auto r = parse_ip_network(a, mask);
    REQUIRE(r);
    return r.network;
}
}  // namespace

// The MGate MB3000-G2 hardening guide 3.5 table, row by row.
TEST_CASE("the MGate allowlist examples admit exactly their documented ranges") {
    const auto single = net("192.168.1.120", "255.255.255");  // the guide's 3-octet mask
    CHECK(single.prefix_len == 32);
    CHECK(single.contains(addr("192.168.1.120")));
    CHECK_FALSE(single.contains(addr("192.168.1.121")));

    const auto c24 = net("192.168.1.0", "255.255.255.0");
    CHECK(c24.contains(addr("192.168.1.1")));
    CHECK(c24.contains(addr("192.168.1.254")));
    CHECK_FALSE(c24.contains(addr("192.168.2.1")));

    const auto b16 = net("192.168.0.0", "255.255.0.0");
    CHECK(b16.contains(addr("192.168.255.254")));
    CHECK_FALSE(b16.contains(addr("192.169.0.1")));

    const auto low = net("192.168.1.0", "255.255.255.128");
    CHECK(low.contains(addr("192.168.1.126")));
    CHECK_FALSE(low.contains(addr("192.168.1.129")));

    const auto high = net("192.168.1.128", "255.255.255.128");
    CHECK(high.contains(addr("192.168.1.129")));
    CHECK(high.contains(addr("192.168.1.254")));
    CHECK_FALSE(high.contains(addr("192.168.1.126")));
}

TEST_CASE("prefix notation, IPv6, and IPv4-mapped peers") {
    const auto v6 = parse_ip_network("2001:db8::/32");
    REQUIRE(v6);
    CHECK(v6.network.contains(addr("2001:db8:1::5")));
    CHECK_FALSE(v6.network.contains(addr("2001:db9::1")));
    CHECK_FALSE(v6.network.contains(addr("10.0.0.1")));

    const auto loop = parse_ip_network("127.0.0.2");
    REQUIRE(loop);
    CHECK(loop.network.prefix_len == 32);
    CHECK(loop.network.contains(addr("::ffff:127.0.0.2")));  // a dual-stack socket's view
    CHECK_FALSE(loop.network.contains(addr("::ffff:127.0.0.3")));

    const auto any6 = parse_ip_network("::/0");
    REQUIRE(any6);
    CHECK(any6.network.contains(addr("::1")));

    // An IPv4-mapped network keeps its IPv6 prefix: ::ffff:10.0.0.0/104 is 10.0.0.0/8
    // (found by fuzz/ip_network in an earlier parser).
    const auto mapped = parse_ip_network("::ffff:10.0.0.0/104");
    REQUIRE(mapped);
    CHECK(mapped.network.contains(addr("10.1.2.3")));
    CHECK_FALSE(mapped.network.contains(addr("11.0.0.1")));
}

TEST_CASE("malformed networks are refused with the reason") {
    CHECK(parse_ip_network("192.168.1.5/24").error == ip_network_errc::host_bits_set);
    CHECK(parse_ip_network("192.168.1.0/33").error == ip_network_errc::bad_prefix);
    CHECK(parse_ip_network("192.168.1.0/").error == ip_network_errc::bad_prefix);
    CHECK(parse_ip_network("256.1.1.1").error == ip_network_errc::bad_address);
    CHECK(parse_ip_network("1.2.3").error == ip_network_errc::bad_address);
    CHECK(parse_ip_network("01.2.3.4").error == ip_network_errc::bad_address);
    CHECK(parse_ip_network("1::2::3").error == ip_network_errc::bad_address);
    CHECK(parse_ip_network("1:2:3:4:5:6:7:8:9").error == ip_network_errc::bad_address);
    CHECK(parse_ip_network("").error == ip_network_errc::bad_address);
    CHECK(parse_ip_network("192.168.1.0", "255.0.255.0").error ==
          ip_network_errc::netmask_not_contiguous);
    CHECK(parse_ip_network("192.168.1.1", "255.255.255.0").error == ip_network_errc::host_bits_set);
}

TEST_CASE("IPv6 text forms parse to the same bytes") {
    CHECK(addr("::1").bytes[15] == 1);
    CHECK(addr("0:0:0:0:0:0:0:1").bytes == addr("::1").bytes);
    CHECK(addr("::ffff:10.0.0.1").bytes[12] == 10);
    CHECK(addr("fe80::").bytes[0] == 0xfe);
    static_assert(parse_ip_address("10.1.2.3").has_value());
}
