// libFuzzer harness for the allowlist parser: gw::policy::parse_ip_network / parse_ip_address
// (include/gw/policy/ip_network.hpp), which the allowlist policy matches with and the
// configuration file is read with (gw/config re-exports it). Input: text; up to the first '\n'
// is the network (or address), the rest the peer address or the netmask.
//
// Properties:
//  - an address parses exactly when the C library's inet_pton (AF_INET, else AF_INET6) accepts
//    it, to the same bytes; a parsed IPv4 address prints back to the same text (no leading
//    zeros are accepted, so the form is canonical); an IPv6 one re-parses from its full form;
//  - a parsed network: prefix within 0..32 / 0..128, no host bits, the prefix is the decimal
//    after '/' (no leading zeros), and the network contains its own address; an address +
//    netmask gives the mask's length, and only for contiguous masks; the printer round-trips
//    (parse(format(n)) == n);
//  - contains() agrees with an independent mask computation (IPv4-mapped IPv6 peers match IPv4
//    networks, a mapped network's prefix counts the 96 bits of ::ffff:) for parsed peers and for
//    raw peer bytes, and never reads out of bounds. (An earlier, second parser got mapped
//    prefixes wrong: finding 2 in docs/fuzzing.md; it was removed in favour of this one.)

#include <gw/policy/ip_network.hpp>

#include "../common/fuzz_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace {

namespace policy = gw::policy;

struct u128 {
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;
};

u128 load(const std::array<std::uint8_t, 16>& b) {
    u128 v;
    for (std::size_t k = 0; k < 8; ++k) {
        v.hi = v.hi << 8U | b[k];
        v.lo = v.lo << 8U | b[8 + k];
    }
    return v;
}

u128 mask_of(unsigned prefix) {
    const auto ones = [](unsigned n) -> std::uint64_t {
        return n == 0 ? 0 : (n >= 64 ? ~std::uint64_t{0} : ~std::uint64_t{0} << (64 - n));
    };
    return {ones(prefix > 64 ? 64 : prefix), ones(prefix > 64 ? prefix - 64 : 0)};
}

std::uint32_t load_v4(const std::array<std::uint8_t, 16>& b) {
    return static_cast<std::uint32_t>(b[0]) << 24U | static_cast<std::uint32_t>(b[1]) << 16U |
           static_cast<std::uint32_t>(b[2]) << 8U | b[3];
}

policy::ip_address address_of(const policy::ip_network& n) {
    policy::ip_address a;
    a.bytes = n.address;
    a.v4 = n.v4;
    return a;
}

// An address as 16 bytes in IPv6 space: IPv4 as ::ffff:a.b.c.d, as a dual-stack socket sees it.
std::array<std::uint8_t, 16> in_v6_space(const std::array<std::uint8_t, 16>& bytes, bool v4) {
    if (!v4) {
        return bytes;
    }
    std::array<std::uint8_t, 16> m{};
    m[10] = 0xFF;
    m[11] = 0xFF;
    for (std::size_t k = 0; k < 4; ++k) {
        m[12 + k] = bytes[k];
    }
    return m;
}

// Whether `peer` lies in `n`, computed on 128-bit integers in IPv6 space (the documented rule,
// docs/configuration.md: an IPv4 entry a.b.c.d/p is ::ffff:a.b.c.d/(96+p), so it matches IPv4
// peers however they are reported, and an IPv6 entry covering ::ffff:0:0/96 matches IPv4 peers).
bool reference_contains(const policy::ip_network& n, const policy::ip_address& peer) {
    const unsigned prefix = n.v4 ? 96u + n.prefix_len : n.prefix_len;
    const u128 m = mask_of(prefix);
    const u128 a = load(in_v6_space(n.address, n.v4));
    const u128 b = load(in_v6_space(peer.bytes, peer.v4));
    return (a.hi & m.hi) == (b.hi & m.hi) && (a.lo & m.lo) == (b.lo & m.lo);
}

// What the C library makes of an address literal.
std::optional<policy::ip_address> libc_parse(std::string_view text) {
    if (text.find('\0') != std::string_view::npos) {
        return std::nullopt;  // inet_pton would stop at the NUL
    }
    const std::string s{text};
    policy::ip_address a;
    in_addr v4{};
    if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
        const auto* b = reinterpret_cast<const std::uint8_t*>(&v4);
        for (std::size_t k = 0; k < 4; ++k) {
            a.bytes[k] = b[k];
        }
        a.v4 = true;
        return a;
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
        const auto* b = reinterpret_cast<const std::uint8_t*>(&v6);
        for (std::size_t k = 0; k < 16; ++k) {
            a.bytes[k] = b[k];
        }
        a.v4 = false;
        return a;
    }
    return std::nullopt;
}

bool same_address(const policy::ip_address& a, const policy::ip_address& b) {
    const std::size_t n = a.v4 ? 4 : 16;
    if (a.v4 != b.v4) {
        return false;
    }
    for (std::size_t k = 0; k < n; ++k) {
        if (a.bytes[k] != b.bytes[k]) {
            return false;
        }
    }
    return true;
}

std::string format_v4(const std::array<std::uint8_t, 16>& b) {
    std::array<char, 20> text{};
    const int n = std::snprintf(text.data(), text.size(), "%u.%u.%u.%u", unsigned{b[0]},
                                unsigned{b[1]}, unsigned{b[2]}, unsigned{b[3]});
    return std::string(text.data(), static_cast<std::size_t>(n));
}

std::string format_v6_full(const std::array<std::uint8_t, 16>& b) {
    std::string s;
    for (std::size_t k = 0; k < 8; ++k) {
        std::array<char, 8> group{};
        const int n = std::snprintf(group.data(), group.size(), "%s%x", k == 0 ? "" : ":",
                                    unsigned{b[2 * k]} << 8U | b[2 * k + 1]);
        s.append(group.data(), static_cast<std::size_t>(n));
    }
    return s;
}

void check_address(std::string_view text) {
    const auto ours = policy::parse_ip_address(text);
    const auto theirs = libc_parse(text);
    GW_FUZZ_CHECK(ours.has_value() == theirs.has_value());
    if (!ours) {
        return;
    }
    GW_FUZZ_CHECK(same_address(*ours, *theirs));
    if (ours->v4) {
        GW_FUZZ_CHECK(format_v4(ours->bytes) == text);
    } else {
        const auto again = policy::parse_ip_address(format_v6_full(ours->bytes));
        GW_FUZZ_CHECK(again && same_address(*again, *ours));
    }
}

bool host_bits_clear(const policy::ip_network& n) {
    const std::size_t total = n.v4 ? 32 : 128;
    for (std::size_t bit = n.prefix_len; bit < total; ++bit) {
        if ((n.address[bit / 8] & (0x80U >> (bit % 8))) != 0) {
            return false;
        }
    }
    return true;
}

std::optional<policy::ip_network> check_network(std::string_view text) {
    const auto r = policy::parse_ip_network(text);
    const std::size_t slash = text.find('/');
    if (!r) {
        return std::nullopt;
    }
    const policy::ip_network& n = r.network;
    GW_FUZZ_CHECK(policy::parse_ip_address(text.substr(0, slash)).has_value());
    const unsigned max = n.v4 ? 32 : 128;
    GW_FUZZ_CHECK(n.prefix_len <= max);
    if (slash == std::string_view::npos) {
        GW_FUZZ_CHECK(n.prefix_len == max);
    } else if (text.find('.', slash) != std::string_view::npos) {
        // "a.b.c.d/255.255.255.0": the netmask form, written with a slash.
        const auto same = policy::parse_ip_network(text.substr(0, slash), text.substr(slash + 1));
        GW_FUZZ_CHECK(static_cast<bool>(same) && same.network == n);
    } else {
        unsigned value = 0;
        const std::string_view digits = text.substr(slash + 1);
        GW_FUZZ_CHECK(!digits.empty());
        GW_FUZZ_CHECK(digits.size() == 1 || digits[0] != '0');  // no leading zeros
        for (const char c : digits) {
            GW_FUZZ_CHECK(c >= '0' && c <= '9');
            value = value * 10 + static_cast<unsigned>(c - '0');
        }
        GW_FUZZ_CHECK(value == n.prefix_len);
    }
    GW_FUZZ_CHECK(host_bits_clear(n));
    GW_FUZZ_CHECK(n.contains(address_of(n)));
    GW_FUZZ_CHECK(reference_contains(n, address_of(n)));
    const auto printed = policy::format_ip_network(n);
    const auto again = policy::parse_ip_network(printed.view());
    GW_FUZZ_CHECK(static_cast<bool>(again) && again.network == n);
    return n;
}

void check_netmask(std::string_view address, std::string_view netmask) {
    const auto r = policy::parse_ip_network(address, netmask);
    if (!r) {
        return;
    }
    const policy::ip_network& n = r.network;
    GW_FUZZ_CHECK(n.v4 && n.prefix_len <= 32 && host_bits_clear(n));
    std::uint32_t mask = 0xFFFFFFFFu;
    if (const auto m = policy::parse_ip_address(netmask)) {
        GW_FUZZ_CHECK(m->v4);
        mask = load_v4(m->bytes);
    } else {
        GW_FUZZ_CHECK(netmask == "255.255.255");
    }
    const std::uint32_t expected = n.prefix_len == 0 ? 0 : ~std::uint32_t{0} << (32 - n.prefix_len);
    GW_FUZZ_CHECK(mask == expected);
    GW_FUZZ_CHECK(n.contains(address_of(n)));
}

void check_contains(const policy::ip_network& n, const policy::ip_address& peer) {
    GW_FUZZ_CHECK(n.contains(peer) == reference_contains(n, peer));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view all{reinterpret_cast<const char*>(data), size};
    const std::size_t newline = all.find('\n');
    const std::string_view first = all.substr(0, newline);
    const std::string_view second =
        newline == std::string_view::npos ? std::string_view{} : all.substr(newline + 1);

    check_address(first);
    check_address(second);
    const auto network = check_network(first);
    check_netmask(first, second);
    if (network) {
        if (const auto peer = policy::parse_ip_address(second)) {
            check_contains(*network, *peer);
        }
        // Any peer bytes: the last 17 bytes of the input, family from the first of them.
        if (size >= 17) {
            policy::ip_address raw;
            raw.v4 = (data[size - 17] & 1U) != 0;
            for (std::size_t k = 0; k < 16; ++k) {
                raw.bytes[k] = data[size - 16 + k];
            }
            check_contains(*network, raw);
        }
    }
    return 0;
}
