#pragma once
// An IP network (address + prefix) for allowlists, with a bounded, heap-free parser of the forms
// an operator writes: "192.168.1.0/24", "10.0.0.5", "2001:db8::/32", "::1", and an IPv4 address
// with a netmask (MGate MB3000-G2 guide 3.5). IPv4-mapped IPv6 peers (::ffff:a.b.c.d) match
// IPv4 networks, since a dual-stack listener sees IPv4 clients that way.

#include <gw/policy/audit_event.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace gw::policy {

namespace detail {

constexpr std::optional<std::array<std::uint8_t, 4>> parse_ipv4(std::string_view s) noexcept {
    std::array<std::uint8_t, 4> out{};
    std::size_t part = 0;
    std::size_t i = 0;
    while (part < 4) {
        if (i >= s.size() || s[i] < '0' || s[i] > '9') return std::nullopt;
        unsigned value = 0;
        std::size_t digits = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            value = value * 10 + static_cast<unsigned>(s[i] - '0');
            if (++digits > 3 || value > 255) return std::nullopt;
            ++i;
        }
        if (digits > 1 && s[i - digits] == '0') return std::nullopt;  // no octal-looking "010"
        out[part++] = static_cast<std::uint8_t>(value);
        if (part < 4) {
            if (i >= s.size() || s[i] != '.') return std::nullopt;
            ++i;
        }
    }
    if (i != s.size()) return std::nullopt;
    return out;
}

constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

constexpr std::optional<std::array<std::uint8_t, 16>> parse_ipv6(std::string_view s) noexcept {
    std::array<std::uint16_t, 8> groups{};
    std::size_t count = 0;
    std::optional<std::size_t> gap;  // index in groups where "::" stands
    std::size_t i = 0;
    if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
    } else if (!s.empty() && s[0] == ':') {
        return std::nullopt;
    }
    while (i < s.size()) {
        if (count == 8) return std::nullopt;
        // An embedded IPv4 tail (::ffff:1.2.3.4) takes the last two groups.
        const auto rest = s.substr(i);
        if (rest.find('.') != std::string_view::npos && rest.find(':') == std::string_view::npos) {
            const auto v4 = parse_ipv4(rest);
            if (!v4 || count > 6) return std::nullopt;
            groups[count++] = static_cast<std::uint16_t>((*v4)[0] << 8 | (*v4)[1]);
            groups[count++] = static_cast<std::uint16_t>((*v4)[2] << 8 | (*v4)[3]);
            i = s.size();
            break;
        }
        unsigned value = 0;
        std::size_t digits = 0;
        while (i < s.size() && hex_value(s[i]) >= 0) {
            value = value * 16 + static_cast<unsigned>(hex_value(s[i]));
            if (++digits > 4) return std::nullopt;
            ++i;
        }
        if (digits == 0) return std::nullopt;
        groups[count++] = static_cast<std::uint16_t>(value);
        if (i == s.size()) break;
        if (s[i] != ':') return std::nullopt;
        ++i;
        if (i < s.size() && s[i] == ':') {
            if (gap) return std::nullopt;  // only one "::"
            gap = count;
            ++i;
        } else if (i == s.size()) {
            return std::nullopt;  // trailing single ':'
        }
    }
    if (gap ? count > 7 : count != 8) return std::nullopt;
    std::array<std::uint16_t, 8> full{};
    if (gap) {
        const std::size_t tail = count - *gap;
        for (std::size_t k = 0; k < *gap; ++k)
            full[k] = groups[k];
        for (std::size_t k = 0; k < tail; ++k)
            full[8 - tail + k] = groups[*gap + k];
    } else {
        full = groups;
    }
    std::array<std::uint8_t, 16> out{};
    for (std::size_t k = 0; k < 8; ++k) {
        out[2 * k] = static_cast<std::uint8_t>(full[k] >> 8);
        out[2 * k + 1] = static_cast<std::uint8_t>(full[k] & 0xFF);
    }
    return out;
}

}  // namespace detail

/// Parses a literal IPv4 or IPv6 address (no prefix).
constexpr std::optional<ip_address> parse_ip_address(std::string_view s) noexcept {
    if (const auto v4 = detail::parse_ipv4(s)) {
        ip_address a;
        for (std::size_t k = 0; k < 4; ++k)
            a.bytes[k] = (*v4)[k];
        a.v4 = true;
        return a;
    }
    if (const auto v6 = detail::parse_ipv6(s)) return ip_address{*v6, false};
    return std::nullopt;
}

/// The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d), else the address itself.
constexpr ip_address unmap(const ip_address& a) noexcept {
    if (a.v4) return a;
    for (std::size_t k = 0; k < 10; ++k) {
        if (a.bytes[k] != 0) return a;
    }
    if (a.bytes[10] != 0xFF || a.bytes[11] != 0xFF) return a;
    ip_address v4;
    for (std::size_t k = 0; k < 4; ++k)
        v4.bytes[k] = a.bytes[12 + k];
    v4.v4 = true;
    return v4;
}

enum class network_parse_error : std::uint8_t {
    none,
    bad_address,
    bad_prefix,
    bad_netmask,    ///< not a contiguous IPv4 mask
    host_bits_set,  ///< e.g. 192.168.1.5/24: the operator meant another network
};

constexpr std::string_view to_string(network_parse_error e) noexcept {
    switch (e) {
        case network_parse_error::none:
            return "ok";
        case network_parse_error::bad_address:
            return "not an IPv4 or IPv6 address";
        case network_parse_error::bad_prefix:
            return "prefix length out of range";
        case network_parse_error::bad_netmask:
            return "netmask is not a contiguous IPv4 mask";
        case network_parse_error::host_bits_set:
            return "address has bits set outside the prefix";
    }
    return "unknown";
}

struct ip_network {
    ip_address address{};
    std::uint8_t prefix_len = 0;

    constexpr bool contains(const ip_address& peer) const noexcept {
        const ip_address p = unmap(peer);
        const ip_address net = unmap(address);
        if (p.v4 != net.v4) return false;
        std::size_t bits = prefix_len;
        for (std::size_t k = 0; bits > 0; ++k) {
            const std::size_t take = bits >= 8 ? 8 : bits;
            const auto mask = static_cast<std::uint8_t>(0xFF00u >> take);
            if ((p.bytes[k] & mask) != (net.bytes[k] & mask)) return false;
            bits -= take;
        }
        return true;
    }
};

struct network_parse_result {
    std::optional<ip_network> network;
    network_parse_error error = network_parse_error::none;
};

namespace detail {
constexpr network_parse_error check_host_bits(const ip_network& n) noexcept {
    const std::size_t total = n.address.v4 ? 32 : 128;
    for (std::size_t bit = n.prefix_len; bit < total; ++bit) {
        if (n.address.bytes[bit / 8] & (0x80u >> (bit % 8)))
            return network_parse_error::host_bits_set;
    }
    return network_parse_error::none;
}
}  // namespace detail

/// "a.b.c.d", "a.b.c.d/n", "v6", "v6/n".
constexpr network_parse_result parse_ip_network(std::string_view s) noexcept {
    const auto slash = s.find('/');
    const auto addr = parse_ip_address(s.substr(0, slash));
    if (!addr) return {std::nullopt, network_parse_error::bad_address};
    const unsigned max = addr->v4 ? 32 : 128;
    unsigned prefix = max;
    if (slash != std::string_view::npos) {
        const auto digits = s.substr(slash + 1);
        if (digits.empty() || digits.size() > 3)
            return {std::nullopt, network_parse_error::bad_prefix};
        prefix = 0;
        for (char c : digits) {
            if (c < '0' || c > '9') return {std::nullopt, network_parse_error::bad_prefix};
            prefix = prefix * 10 + static_cast<unsigned>(c - '0');
        }
        if (prefix > max) return {std::nullopt, network_parse_error::bad_prefix};
    }
    const ip_network n{*addr, static_cast<std::uint8_t>(prefix)};
    if (const auto e = detail::check_host_bits(n); e != network_parse_error::none)
        return {std::nullopt, e};
    return {n, network_parse_error::none};
}

/// An IPv4 address with a dotted netmask, MGate style. A three-octet mask ("255.255.255", as in
/// the guide's table for a single host) is read as 255.255.255.255.
constexpr network_parse_result parse_ip_network(std::string_view address,
                                                std::string_view netmask) noexcept {
    const auto addr = detail::parse_ipv4(address);
    if (!addr) return {std::nullopt, network_parse_error::bad_address};
    auto mask = detail::parse_ipv4(netmask);
    if (!mask && netmask == "255.255.255") mask = std::array<std::uint8_t, 4>{255, 255, 255, 255};
    if (!mask) return {std::nullopt, network_parse_error::bad_netmask};
    const std::uint32_t m = static_cast<std::uint32_t>((*mask)[0]) << 24 |
                            static_cast<std::uint32_t>((*mask)[1]) << 16 |
                            static_cast<std::uint32_t>((*mask)[2]) << 8 | (*mask)[3];
    // Contiguous: the complement plus one is a power of two.
    const std::uint32_t inverted = ~m;
    if ((inverted & (inverted + 1)) != 0) return {std::nullopt, network_parse_error::bad_netmask};
    std::uint8_t prefix = 0;
    for (std::uint32_t bit = 0x80000000u; bit != 0 && (m & bit); bit >>= 1)
        ++prefix;
    ip_network n;
    for (std::size_t k = 0; k < 4; ++k)
        n.address.bytes[k] = (*addr)[k];
    n.address.v4 = true;
    n.prefix_len = prefix;
    if (const auto e = detail::check_host_bits(n); e != network_parse_error::none)
        return {std::nullopt, e};
    return {n, network_parse_error::none};
}

}  // namespace gw::policy
