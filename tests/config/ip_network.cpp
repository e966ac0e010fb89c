// Tests include/gw/config/ip_network.hpp: allowlist networks and the addresses they contain.

#include <gw/config/ip_network.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace gw::config;

namespace {

ip_address addr(std::string_view text) {
    ip_address a;
    REQUIRE_MESSAGE(parse_ip_address(text, a), text);
    return a;
}

ip_network net(std::string_view text) {
    const ip_network_result r = parse_ip_network(text);
    REQUIRE_MESSAGE(r.error == ip_network_errc::ok, text);
    return r.network;
}

std::string text_of(const ip_network& n) {
    return std::string(format_ip_network(n).view());
}

}  // namespace

// Usable in constant expressions, so an allowlist can be a compile-time table on a target.
static_assert(parse_ip_network("10.0.0.0/8").network.prefix_len == 8);
static_assert(parse_ip_network("10.0.0.1/8").error == ip_network_errc::host_bits_set);
static_assert(parse_ip_network("192.168.1.0", "255.255.255.128").network.prefix_len == 25);

TEST_CASE("IPv4 addresses: strict dotted quads") {
    CHECK(addr("192.168.1.120").v4);
    CHECK(addr("192.168.1.120").bytes == std::array<std::uint8_t, 16>{192, 168, 1, 120});
    CHECK(addr("0.0.0.0").bytes == std::array<std::uint8_t, 16>{});
    CHECK(addr("255.255.255.255").bytes[3] == 255);
    ip_address a;
    for (const std::string_view bad :
         {"",         "1",        "1.2.3",      "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "01.2.3.4",
          "1.2.3.04", "1..2.3",   ".1.2.3",     "1.2.3.",    " 1.2.3.4",  "1.2.3.4 ",  "-1.2.3.4",
          "+1.2.3.4", "1.2.3.4a", "1000.2.3.4", "0x1.2.3.4", "1.2.3.4/",  "a.b.c.d"}) {
        CHECK_MESSAGE(!parse_ip_address(bad, a), bad);
    }
}

TEST_CASE("IPv6 addresses: every RFC 4291 text form") {
    CHECK(addr("::").bytes == std::array<std::uint8_t, 16>{});
    CHECK_FALSE(addr("::").v4);
    CHECK(addr("::1").bytes[15] == 1);
    CHECK(addr("1::").bytes[1] == 1);
    CHECK(addr("2001:DB8::8:800:200C:417A") == addr("2001:db8:0:0:8:800:200c:417a"));
    CHECK(addr("ff01::101") == addr("ff01:0:0:0:0:0:0:101"));
    CHECK(addr("::ffff:192.168.1.1").bytes ==
          std::array<std::uint8_t, 16>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 1, 1});
    CHECK(addr("64:ff9b::192.0.2.33").bytes[15] == 33);
    CHECK(addr("1:2:3:4:5:6:1.2.3.4").bytes[12] == 1);
    CHECK(addr("1:2:3:4:5:6:7::") == addr("1:2:3:4:5:6:7:0"));  // "::" for one group parses
    ip_address a;
    for (const std::string_view bad : {":",
                                       ":::",
                                       "1::2::3",
                                       "12345::",
                                       "1:2:3:4:5:6:7:8:9",
                                       "1:2:3:4:5:6:7",
                                       "::1%eth0",
                                       "1:",
                                       ":1",
                                       "g::1",
                                       "1.2.3.4::",
                                       "::1.2.3",
                                       "::1.2.3.4.5",
                                       "1:2:3:4:5:6:7:1.2.3.4",
                                       "::1.2.3.4:5",
                                       "1::2:",
                                       "[::1]",
                                       "::-1",
                                       ":: 1",
                                       "1:2:3:4:5:6:7:8::"}) {
        CHECK_MESSAGE(!parse_ip_address(bad, a), bad);
    }
}

TEST_CASE("networks: bare address is one host, prefix, netmask") {
    const ip_network host = net("10.0.0.5");
    CHECK(host.v4);
    CHECK(host.prefix_len == 32);
    CHECK(net("192.168.1.0/24").prefix_len == 24);
    CHECK(net("0.0.0.0/0").prefix_len == 0);
    CHECK(net("2001:db8::/32").prefix_len == 32);
    CHECK(net("::1").prefix_len == 128);
    CHECK(net("::/0").prefix_len == 0);
    CHECK(net("192.168.1.0/255.255.255.0") == net("192.168.1.0/24"));
    CHECK(net("192.168.1.1/255.255.255") == net("192.168.1.1/32"));

    CHECK(parse_ip_network("10.0.0.0/33").error == ip_network_errc::bad_prefix);
    CHECK(parse_ip_network("10.0.0.0/").error == ip_network_errc::bad_prefix);
    CHECK(parse_ip_network("10.0.0.0/08").error == ip_network_errc::bad_prefix);
    CHECK(parse_ip_network("10.0.0.0/-1").error == ip_network_errc::bad_prefix);
    CHECK(parse_ip_network("10.0.0.0/8/8").error == ip_network_errc::bad_prefix);
    CHECK(parse_ip_network("::/129").error == ip_network_errc::bad_prefix);
    CHECK(parse_ip_network("::/1000").error == ip_network_errc::bad_prefix);
    CHECK(parse_ip_network("10.0.0/8").error == ip_network_errc::bad_address);
    CHECK(parse_ip_network("/8").error == ip_network_errc::bad_address);
    CHECK(parse_ip_network("host.example/8").error == ip_network_errc::bad_address);
    CHECK(parse_ip_network("::/255.255.0.0").error == ip_network_errc::netmask_with_ipv6);
    CHECK(parse_ip_network("10.0.0.0/255.0.255.0").error ==
          ip_network_errc::netmask_not_contiguous);
    CHECK(parse_ip_network("10.0.0.0/255.255").error == ip_network_errc::bad_netmask);
}

TEST_CASE("networks: host bits beyond the prefix are refused, with the network as a hint") {
    const ip_network_result r = parse_ip_network("192.168.1.5/24");
    CHECK(r.error == ip_network_errc::host_bits_set);
    CHECK(text_of(r.network) == "192.168.1.0/24");
    CHECK(parse_ip_network("2001:db8::1/32").error == ip_network_errc::host_bits_set);
    CHECK(parse_ip_network("10.0.0.128/25").error == ip_network_errc::ok);
    CHECK(parse_ip_network("10.0.0.129/25").error == ip_network_errc::host_bits_set);
    CHECK(parse_ip_network("192.168.1.5", "255.255.255.0").error == ip_network_errc::host_bits_set);
}

TEST_CASE("netmasks: every contiguous mask maps to its prefix, others are refused") {
    for (unsigned prefix = 0; prefix <= 32; ++prefix) {
        const std::uint32_t bits = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
        const std::string mask =
            std::to_string(bits >> 24) + "." + std::to_string((bits >> 16) & 0xff) + "." +
            std::to_string((bits >> 8) & 0xff) + "." + std::to_string(bits & 0xff);
        const ip_network_result r = parse_ip_network("0.0.0.0", mask);
        CHECK_MESSAGE(r.error == ip_network_errc::ok, mask);
        CHECK_MESSAGE(r.network.prefix_len == prefix, mask);
    }
    for (const std::string_view bad :
         {"255.255.255.1", "0.255.255.255", "255.254.255.0", "128.0.0.1", "255.255.255.253"}) {
        CHECK_MESSAGE(
            parse_ip_network("0.0.0.0", bad).error == ip_network_errc::netmask_not_contiguous, bad);
    }
    for (const std::string_view bad :
         {"", "255", "255.255", "255.255.255.255.0", "255.255.256.0", "ffff:ff00::", "/24", "24"}) {
        CHECK_MESSAGE(parse_ip_network("0.0.0.0", bad).error == ip_network_errc::bad_netmask, bad);
    }
    CHECK(parse_ip_network("2001:db8::", "255.255.0.0").error ==
          ip_network_errc::netmask_with_ipv6);
    CHECK(parse_ip_network("nonsense", "255.255.0.0").error == ip_network_errc::bad_address);
}

// The table of section 3.5 of the MGate MB3000-G2 security hardening guide, row by row: the
// address and netmask fields, and the range of hosts the row says it allows.
TEST_CASE("the MGate allowlist table") {
    struct row {
        std::string_view address, netmask, first, last, outside_below, outside_above;
    };
    const row rows[] = {
        {"192.168.1.120", "255.255.255", "192.168.1.120", "192.168.1.120", "192.168.1.119",
         "192.168.1.121"},
        {"192.168.1.0", "255.255.255.0", "192.168.1.1", "192.168.1.254", "192.168.0.255",
         "192.168.2.0"},
        {"192.168.0.0", "255.255.0.0", "192.168.1.1", "192.168.255.254", "192.167.255.255",
         "192.169.0.0"},
        {"192.168.1.0", "255.255.255.128", "192.168.1.1", "192.168.1.126", "192.168.0.255",
         "192.168.1.128"},
        {"192.168.1.128", "255.255.255.128", "192.168.1.129", "192.168.1.254", "192.168.1.127",
         "192.168.2.0"},
    };
    for (const row& r : rows) {
        const ip_network_result n = parse_ip_network(r.address, r.netmask);
        REQUIRE_MESSAGE(n.error == ip_network_errc::ok, r.address);
        CHECK_MESSAGE(n.network.contains(addr(r.first)), r.first);
        CHECK_MESSAGE(n.network.contains(addr(r.last)), r.last);
        CHECK_MESSAGE(!n.network.contains(addr(r.outside_below)), r.outside_below);
        CHECK_MESSAGE(!n.network.contains(addr(r.outside_above)), r.outside_above);
    }
    // "Any host": the allowlist is off, which an empty list means.
    CHECK(allowlist_permits({}, addr("203.0.113.7").bytes, true));
}

TEST_CASE("contains: IPv4-mapped IPv6 peers match IPv4 entries and the other way round") {
    const ip_network lan = net("192.168.1.0/24");
    CHECK(lan.contains(addr("192.168.1.77")));
    CHECK(lan.contains(addr("::ffff:192.168.1.77")));
    CHECK_FALSE(lan.contains(addr("::ffff:192.168.2.77")));
    CHECK_FALSE(lan.contains(addr("::192.168.1.77")));  // IPv4-compatible is not mapped
    CHECK_FALSE(lan.contains(addr("2001:db8::1")));
    // A peer given as raw bytes, as the socket layer would.
    CHECK(lan.contains(std::array<std::uint8_t, 16>{192, 168, 1, 1}, true));

    const ip_network mapped = net("::ffff:192.168.1.0/120");
    CHECK(mapped.contains(addr("192.168.1.9")));
    CHECK_FALSE(mapped.contains(addr("192.168.2.9")));

    const ip_network doc = net("2001:db8::/32");
    CHECK(doc.contains(addr("2001:db8:ffff::1")));
    CHECK_FALSE(doc.contains(addr("2001:db9::1")));
    CHECK_FALSE(doc.contains(addr("32.1.13.184")));  // 2001:0db8 as IPv4 bytes: no match

    CHECK(net("0.0.0.0/0").contains(addr("8.8.8.8")));
    CHECK(net("0.0.0.0/0").contains(addr("::ffff:8.8.8.8")));
    CHECK_FALSE(net("0.0.0.0/0").contains(addr("::1")));
    CHECK(net("::/0").contains(addr("::1")));

    CHECK(net("::1").contains(addr("::1")));
    CHECK_FALSE(net("::1").contains(addr("::2")));
    CHECK(net("10.0.0.5").contains(addr("10.0.0.5")));
    CHECK_FALSE(net("10.0.0.5").contains(addr("10.0.0.4")));
}

TEST_CASE("contains: prefixes that end inside a byte") {
    const ip_network n = net("10.0.0.0/9");  // 10.0.0.0 - 10.127.255.255
    CHECK(n.contains(addr("10.127.255.255")));
    CHECK_FALSE(n.contains(addr("10.128.0.0")));
    const ip_network v6 = net("2001:db8:8000::/33");
    CHECK(v6.contains(addr("2001:db8:ffff::")));
    CHECK_FALSE(v6.contains(addr("2001:db8:7fff::")));
}

TEST_CASE("allowlist_permits: any entry admits") {
    const std::vector<ip_network> list = {net("10.0.0.5"), net("192.168.1.0/24"),
                                          net("2001:db8::/32")};
    CHECK(allowlist_permits(list, addr("10.0.0.5").bytes, true));
    CHECK(allowlist_permits(list, addr("::ffff:10.0.0.5").bytes, false));
    CHECK(allowlist_permits(list, addr("192.168.1.200").bytes, true));
    CHECK(allowlist_permits(list, addr("2001:db8::42").bytes, false));
    CHECK_FALSE(allowlist_permits(list, addr("10.0.0.6").bytes, true));
    CHECK_FALSE(allowlist_permits(list, addr("::1").bytes, false));
}

TEST_CASE("format: canonical text (RFC 5952) that parses back to the same network") {
    const std::pair<std::string_view, std::string_view> cases[] = {
        {"10.0.0.5", "10.0.0.5"},
        {"10.0.0.5/32", "10.0.0.5"},
        {"192.168.1.0/255.255.255.0", "192.168.1.0/24"},
        {"0.0.0.0/0", "0.0.0.0/0"},
        {"::", "::"},
        {"::/0", "::/0"},
        {"::1", "::1"},
        {"1::", "1::"},
        {"2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
        {"2001:0db8::0001", "2001:db8::1"},
        {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
        {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
        {"2001:db8::/32", "2001:db8::/32"},
        {"::ffff:192.168.1.1", "::ffff:192.168.1.1"},
        {"::ffff:c0a8:100/120", "::ffff:192.168.1.0/120"},
        {"::ffff:0:0/96", "::ffff:0.0.0.0/96"},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
        {"fe80:0:0:0:1:0:0:0", "fe80::1:0:0:0"},
    };
    for (const auto& [in, out] : cases) {
        const ip_network n = net(in);
        CHECK(text_of(n) == out);
        CHECK(net(text_of(n)) == n);
    }
    const ip_address longest = addr("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
    CHECK(format_ip_address(longest).view() == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}
