#pragma once
// An IPv4 or IPv6 network (address + prefix length) for allowlists, with a parser for the forms an
// administrator writes ("192.168.1.0/24", "2001:db8::/32", "10.0.0.5", address + netmask as in the
// MGate guide). Heap-free, exception-free and constexpr, so that the allowlist policy can use it
// on any target.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace gw::policy {

/// An address as the socket layer reports it: IPv4 in bytes [0, 4) with `v4` set, or 16 IPv6 bytes.
struct ip_address {
    std::array<std::uint8_t, 16> bytes{};
    bool v4 = false;

    friend constexpr bool operator==(const ip_address&, const ip_address&) = default;
};

/// A network: `address` holds the network's first address in the same layout as ip_address,
/// `prefix_len` is 0..32 for IPv4 and 0..128 for IPv6. Host bits are always zero.
struct ip_network {
    std::array<std::uint8_t, 16> address{};
    std::uint8_t prefix_len = 0;
    bool v4 = false;

    /// Whether the peer `addr` (layout as in ip_address) lies in this network. IPv4 addresses are
    /// compared as IPv4-mapped IPv6 (::ffff:a.b.c.d), the form a dual-stack socket reports them
    /// in, so an IPv4 entry matches both kinds of peer and an IPv6 entry covering ::ffff:0:0/96
    /// matches IPv4 peers.
    constexpr bool contains(const std::array<std::uint8_t, 16>& addr, bool addr_v4) const noexcept;
    constexpr bool contains(const ip_address& addr) const noexcept {
        return contains(addr.bytes, addr.v4);
    }

    friend constexpr bool operator==(const ip_network&, const ip_network&) = default;
};

/// Why a network or address did not parse.
enum class ip_network_errc : std::uint8_t {
    ok,
    bad_address,             ///< not an IPv4 dotted quad or an IPv6 address
    bad_prefix,              ///< prefix after '/' is not a number in 0..32 (IPv4) or 0..128 (IPv6)
    bad_netmask,             ///< not a dotted-quad netmask
    netmask_not_contiguous,  ///< ones then zeros only (255.0.255.0 has no prefix form)
    netmask_with_ipv6,       ///< a netmask only applies to IPv4 (write a prefix length)
    host_bits_set,           ///< the address has bits set beyond the prefix
};

constexpr std::string_view describe(ip_network_errc e) noexcept {
    switch (e) {
        case ip_network_errc::ok:
            return "ok";
        case ip_network_errc::bad_address:
            return "is not an IPv4 or IPv6 address";
        case ip_network_errc::bad_prefix:
            return "has a prefix length that is not 0..32 (IPv4) or 0..128 (IPv6)";
        case ip_network_errc::bad_netmask:
            return "has a netmask that is not a dotted quad such as 255.255.255.0";
        case ip_network_errc::netmask_not_contiguous:
            return "has a netmask whose one bits are not contiguous (such as 255.255.255.0)";
        case ip_network_errc::netmask_with_ipv6:
            return "is IPv6: a netmask only applies to IPv4, write a prefix such as 2001:db8::/32";
        case ip_network_errc::host_bits_set:
            return "has host bits set beyond its prefix";
    }
    return "is invalid";
}

/// A parse result: `network` is meaningful when `error == ip_network_errc::ok`. With
/// host_bits_set, `network` holds the address with the host bits cleared (for a hint).
struct ip_network_result {
    ip_network network{};
    ip_network_errc error = ip_network_errc::ok;

    constexpr explicit operator bool() const noexcept { return error == ip_network_errc::ok; }
};

namespace detail {

constexpr bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/// Strict dotted quad: four decimal parts 0..255, no leading zeros (inet_aton would read "010"
/// as octal; refusing it avoids a silent disagreement with other tools).
constexpr bool parse_ipv4(std::string_view s, std::uint8_t* out) noexcept {
    std::size_t i = 0;
    for (int part = 0; part < 4; ++part) {
        if (part > 0) {
            if (i >= s.size() || s[i] != '.') {
                return false;
            }
            ++i;
        }
        const std::size_t start = i;
        unsigned value = 0;
        // By hand, not std::from_chars: this parser is constexpr (allowlists can be checked at
        // compile time, and the core runs on bare metal), and from_chars is constexpr only
        // from C++23.
        while (i < s.size() && is_digit(s[i]) && i - start < 3) {
            value = value * 10 + static_cast<unsigned>(s[i] - '0');
            ++i;
        }
        const std::size_t digits = i - start;
        if (digits == 0 || value > 255 || (digits > 1 && s[start] == '0')) {
            return false;
        }
        out[part] = static_cast<std::uint8_t>(value);
    }
    return i == s.size();
}

/// RFC 4291 section 2.2 text forms: eight groups, one "::", an embedded dotted quad at the end.
/// Zone indices ("%eth0") are refused: an allowlist entry is not bound to an interface.
constexpr bool parse_ipv6(std::string_view s, std::uint8_t* out) noexcept {
    std::array<std::uint16_t, 8> groups{};
    std::size_t count = 0;
    constexpr std::size_t no_gap = 9;
    std::size_t gap = no_gap;  // index in `groups` where "::" stands
    std::size_t i = 0;
    if (s.size() < 2) {
        return false;
    }
    if (s[0] == ':') {
        if (s[1] != ':') {
            return false;
        }
        gap = 0;
        i = 2;
    }
    while (i < s.size()) {
        std::size_t end = i;
        bool dotted = false;
        while (end < s.size() && s[end] != ':') {
            dotted = dotted || s[end] == '.';
            ++end;
        }
        if (dotted) {
            // The embedded IPv4 form takes the last two groups and must end the text.
            std::array<std::uint8_t, 4> v4{};
            if (end != s.size() || count > 6 || !parse_ipv4(s.substr(i, end - i), v4.data())) {
                return false;
            }
            groups[count++] = static_cast<std::uint16_t>((v4[0] << 8) | v4[1]);
            groups[count++] = static_cast<std::uint16_t>((v4[2] << 8) | v4[3]);
            i = end;
            break;
        }
        if (end == i || end - i > 4 || count == 8) {
            return false;
        }
        unsigned value = 0;
        for (std::size_t k = i; k < end; ++k) {
            const int h = hex_value(s[k]);
            if (h < 0) {
                return false;
            }
            value = value * 16 + static_cast<unsigned>(h);
        }
        groups[count++] = static_cast<std::uint16_t>(value);
        i = end;
        if (i == s.size()) {
            break;
        }
        ++i;  // the ':'
        if (i < s.size() && s[i] == ':') {
            if (gap != no_gap || count == 8) {
                return false;  // a second "::", or one after eight groups
            }
            gap = count;
            ++i;
        } else if (i == s.size()) {
            return false;  // a single trailing ':'
        }
    }
    if (gap == no_gap ? count != 8 : count > 7) {
        return false;
    }
    std::array<std::uint16_t, 8> full{};
    const std::size_t tail = gap == no_gap ? 0 : count - gap;
    const std::size_t head = gap == no_gap ? count : gap;
    for (std::size_t k = 0; k < head; ++k) {
        full[k] = groups[k];
    }
    for (std::size_t k = 0; k < tail; ++k) {
        full[8 - tail + k] = groups[gap + k];
    }
    for (std::size_t k = 0; k < 8; ++k) {
        out[2 * k] = static_cast<std::uint8_t>(full[k] >> 8);
        out[2 * k + 1] = static_cast<std::uint8_t>(full[k] & 0xff);
    }
    return true;
}

/// The 16-byte IPv6 view of an address: IPv4 becomes ::ffff:a.b.c.d.
constexpr std::array<std::uint8_t, 16> as_ipv6(const std::array<std::uint8_t, 16>& a,
                                               bool v4) noexcept {
    if (!v4) {
        return a;
    }
    std::array<std::uint8_t, 16> m{};
    m[10] = 0xff;
    m[11] = 0xff;
    m[12] = a[0];
    m[13] = a[1];
    m[14] = a[2];
    m[15] = a[3];
    return m;
}

constexpr bool prefix_equal(const std::array<std::uint8_t, 16>& a,
                            const std::array<std::uint8_t, 16>& b, unsigned prefix) noexcept {
    std::size_t k = 0;
    for (; prefix >= 8; prefix -= 8, ++k) {
        if (a[k] != b[k]) {
            return false;
        }
    }
    if (prefix == 0) {
        return true;
    }
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - prefix));
    return (a[k] & mask) == (b[k] & mask);
}

/// Clears the bits beyond `prefix`; returns whether any was set.
constexpr bool clear_host_bits(std::array<std::uint8_t, 16>& a, unsigned prefix,
                               unsigned width) noexcept {
    bool any = false;
    for (unsigned bit = prefix; bit < width; ++bit) {
        const auto mask = static_cast<std::uint8_t>(0x80 >> (bit % 8));
        if ((a[bit / 8] & mask) != 0) {
            any = true;
            a[bit / 8] = static_cast<std::uint8_t>(a[bit / 8] & ~mask);
        }
    }
    return any;
}

constexpr bool parse_prefix(std::string_view s, unsigned max, unsigned& out) noexcept {
    if (s.empty() || s.size() > 3 || (s.size() > 1 && s[0] == '0')) {
        return false;
    }
    unsigned value = 0;
    for (const char c : s) {
        if (!is_digit(c)) {
            return false;
        }
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    out = value;
    return value <= max;
}

/// A dotted-quad netmask to a prefix length. "255.255.255" (three octets) is read as
/// 255.255.255.255: the MGate guide's allowlist table writes a single host's netmask that way.
constexpr ip_network_errc netmask_prefix(std::string_view s, unsigned& prefix) noexcept {
    std::array<std::uint8_t, 4> m{};
    if (s == "255.255.255") {
        prefix = 32;
        return ip_network_errc::ok;
    }
    if (!parse_ipv4(s, m.data())) {
        return ip_network_errc::bad_netmask;
    }
    const std::uint32_t bits = (std::uint32_t{m[0]} << 24) | (std::uint32_t{m[1]} << 16) |
                               (std::uint32_t{m[2]} << 8) | std::uint32_t{m[3]};
    unsigned ones = 0;
    while (ones < 32 && (bits & (0x80000000u >> ones)) != 0) {
        ++ones;
    }
    // Contiguous: every bit after the leading ones is zero.
    if (ones < 32 && (bits << ones) != 0) {
        return ip_network_errc::netmask_not_contiguous;
    }
    prefix = ones;
    return ip_network_errc::ok;
}

constexpr ip_network_result make_network(const ip_address& a, unsigned prefix) noexcept {
    ip_network_result r;
    r.network.address = a.bytes;
    r.network.v4 = a.v4;
    r.network.prefix_len = static_cast<std::uint8_t>(prefix);
    if (clear_host_bits(r.network.address, prefix, a.v4 ? 32u : 128u)) {
        r.error = ip_network_errc::host_bits_set;
    }
    return r;
}

}  // namespace detail

constexpr bool ip_network::contains(const std::array<std::uint8_t, 16>& addr,
                                    bool addr_v4) const noexcept {
    const unsigned prefix = v4 ? 96u + prefix_len : prefix_len;
    return detail::prefix_equal(detail::as_ipv6(address, v4), detail::as_ipv6(addr, addr_v4),
                                prefix);
}

/// Parses "a.b.c.d" or an IPv6 address (no zone index). Returns false on anything else.
constexpr bool parse_ip_address(std::string_view text, ip_address& out) noexcept {
    ip_address a;
    if (detail::parse_ipv4(text, a.bytes.data())) {
        a.v4 = true;
    } else if (!detail::parse_ipv6(text, a.bytes.data())) {
        return false;
    }
    out = a;
    return true;
}

/// The same, for callers that only need to know whether it parsed.
constexpr std::optional<ip_address> parse_ip_address(std::string_view text) noexcept {
    ip_address a;
    if (!parse_ip_address(text, a)) return std::nullopt;
    return a;
}

/// The form connection tables compare by: IPv4 as IPv4-mapped IPv6, so one host is one key
/// whichever way a socket reported it.
constexpr std::array<std::uint8_t, 16> canonical_bytes(const ip_address& a) noexcept {
    return detail::as_ipv6(a.bytes, a.v4);
}

/// Parses "address", "address/prefix" or "a.b.c.d/netmask". A bare address is a single host
/// (/32 or /128).
constexpr ip_network_result parse_ip_network(std::string_view text) noexcept {
    const std::size_t slash = text.find('/');
    ip_address a;
    if (!parse_ip_address(text.substr(0, slash), a)) {
        return {{}, ip_network_errc::bad_address};
    }
    if (slash == std::string_view::npos) {
        return detail::make_network(a, a.v4 ? 32u : 128u);
    }
    const std::string_view suffix = text.substr(slash + 1);
    unsigned prefix = 0;
    if (suffix.find('.') != std::string_view::npos) {
        if (!a.v4) {
            return {{}, ip_network_errc::netmask_with_ipv6};
        }
        const ip_network_errc e = detail::netmask_prefix(suffix, prefix);
        if (e != ip_network_errc::ok) {
            return {{}, e};
        }
    } else if (!detail::parse_prefix(suffix, a.v4 ? 32u : 128u, prefix)) {
        return {{}, ip_network_errc::bad_prefix};
    }
    return detail::make_network(a, prefix);
}

/// The MGate form: an IPv4 address field and a netmask field.
constexpr ip_network_result parse_ip_network(std::string_view address,
                                             std::string_view netmask) noexcept {
    ip_address a;
    if (!parse_ip_address(address, a)) {
        return {{}, ip_network_errc::bad_address};
    }
    if (!a.v4) {
        return {{}, ip_network_errc::netmask_with_ipv6};
    }
    unsigned prefix = 0;
    const ip_network_errc e = detail::netmask_prefix(netmask, prefix);
    if (e != ip_network_errc::ok) {
        return {{}, e};
    }
    return detail::make_network(a, prefix);
}

/// An allowlist decision: an empty list allows everyone (the MGate "allowlist off" state).
constexpr bool allowlist_permits(std::span<const ip_network> list,
                                 const std::array<std::uint8_t, 16>& addr, bool addr_v4) noexcept {
    if (list.empty()) {
        return true;
    }
    for (const ip_network& n : list) {
        if (n.contains(addr, addr_v4)) {
            return true;
        }
    }
    return false;
}

/// Text of an address or network in a fixed buffer (longest: 45 + "/128").
struct ip_text {
    std::array<char, 52> data{};
    std::size_t size = 0;

    constexpr std::string_view view() const noexcept { return {data.data(), size}; }
    constexpr void push(char c) noexcept {
        if (size < data.size()) {
            data[size++] = c;
        }
    }
    constexpr void push_decimal(unsigned v) noexcept {
        char digits[10]{};
        int n = 0;
        do {
            digits[n++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v != 0);
        while (n > 0) {
            push(digits[--n]);
        }
    }
};

namespace detail {

constexpr void format_ipv4(ip_text& t, const std::uint8_t* b) noexcept {
    for (int k = 0; k < 4; ++k) {
        if (k > 0) {
            t.push('.');
        }
        t.push_decimal(b[k]);
    }
}

/// RFC 5952: lowercase, no leading zeros, the longest run (>= 2) of zero groups as "::", and
/// IPv4-mapped addresses with a dotted quad.
constexpr void format_ipv6(ip_text& t, const std::array<std::uint8_t, 16>& b) noexcept {
    std::array<unsigned, 8> g{};
    for (std::size_t k = 0; k < 8; ++k) {
        g[k] = (unsigned{b[2 * k]} << 8) | b[2 * k + 1];
    }
    const bool mapped =
        g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 0xffff;
    const std::size_t groups = mapped ? 6 : 8;
    std::size_t best = 8;
    std::size_t best_len = 1;
    for (std::size_t k = 0; k < groups;) {
        if (g[k] != 0) {
            ++k;
            continue;
        }
        std::size_t e = k;
        while (e < groups && g[e] == 0) {
            ++e;
        }
        if (e - k > best_len) {
            best = k;
            best_len = e - k;
        }
        k = e;
    }
    constexpr char hex[] = "0123456789abcdef";
    for (std::size_t k = 0; k < groups; ++k) {
        if (k == best) {
            t.push(':');
            t.push(':');
            k += best_len - 1;
            continue;
        }
        if (k > 0 && k != best + best_len) {
            t.push(':');
        }
        bool started = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            const unsigned nibble = (g[k] >> shift) & 0xf;
            if (nibble != 0 || started || shift == 0) {
                t.push(hex[nibble]);
                started = true;
            }
        }
    }
    if (mapped) {
        if (best + best_len != 6) {
            t.push(':');
        }
        format_ipv4(t, b.data() + 12);
    }
}

}  // namespace detail

constexpr ip_text format_ip_address(const ip_address& a) noexcept {
    ip_text t;
    if (a.v4) {
        detail::format_ipv4(t, a.bytes.data());
    } else {
        detail::format_ipv6(t, a.bytes);
    }
    return t;
}

/// "a.b.c.d/n" or "v6/n"; a single host (/32, /128) is written without the prefix.
constexpr ip_text format_ip_network(const ip_network& n) noexcept {
    ip_text t = format_ip_address(ip_address{n.address, n.v4});
    if (n.prefix_len != (n.v4 ? 32 : 128)) {
        t.push('/');
        t.push_decimal(n.prefix_len);
    }
    return t;
}

}  // namespace gw::policy
