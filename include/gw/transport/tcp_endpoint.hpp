#pragma once
// Text <-> TCP endpoint, as configuration files write them: "127.0.0.1:1502", "[::1]:1502",
// "0.0.0.0:502", "[::]:502". IPv6 addresses need brackets, so "host:port" is never ambiguous.

#include <gw/transport/asio.hpp>
#include <gw/transport/detail/concat.hpp>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gw::transport {

/// A host (IP literal or name, brackets removed) and a port, not resolved.
struct host_port {
    std::string host;
    std::uint16_t port = 0;

    friend bool operator==(const host_port&, const host_port&) = default;
};

namespace detail {
/// "'text': reason"
inline std::string problem(std::string_view text, std::string_view reason) {
    return concat({"'", text, "': ", reason});
}

inline std::optional<std::uint16_t> parse_port(std::string_view text) noexcept {
    std::uint16_t value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc{} || ptr != end) {
        return std::nullopt;
    }
    return value;
}
}  // namespace detail

/// Splits "host:port" or "[ipv6]:port". Host names are accepted (for downstream devices); port 0
/// is accepted (an ephemeral listener port). On failure returns nullopt and says why in `error`.
inline std::optional<host_port> split_host_port(std::string_view text, std::string& error) {
    error.clear();
    std::string_view host;
    std::string_view port;
    if (text.empty()) {
        error = "empty endpoint (expected host:port, e.g. 127.0.0.1:502 or [::1]:502)";
        return std::nullopt;
    }
    if (text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) {
            error = detail::problem(text, "missing ']' after the IPv6 address");
            return std::nullopt;
        }
        host = text.substr(1, close - 1);
        const auto rest = text.substr(close + 1);
        if (rest.empty() || rest.front() != ':') {
            error = detail::problem(text, "missing ':port' after ']'");
            return std::nullopt;
        }
        port = rest.substr(1);
        if (host.find(':') == std::string_view::npos) {
            error = detail::problem(text, "brackets are for IPv6 addresses only");
            return std::nullopt;
        }
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            error = detail::problem(text, "missing ':port'");
            return std::nullopt;
        }
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) {
            error = detail::problem(text,
                                    "an IPv6 address must be written in brackets, e.g. [::1]:502");
            return std::nullopt;
        }
    }
    if (host.empty()) {
        error = detail::problem(text, "missing host (use 0.0.0.0 or [::] for any address)");
        return std::nullopt;
    }
    for (const char c : host) {
        if (c <= ' ' || c == '/' || c == '[' || c == ']' || static_cast<unsigned char>(c) >= 0x7F) {
            error = detail::problem(text, "invalid character in host");
            return std::nullopt;
        }
    }
    const auto number = detail::parse_port(port);
    if (!number) {
        error = detail::problem(text, "port must be a number from 0 to 65535");
        return std::nullopt;
    }
    return host_port{std::string(host), *number};
}

/// Parses a numeric endpoint (no name resolution: a listener binds to an address). IPv6 scope
/// ids are accepted inside the brackets ("[fe80::1%eth0]:502").
inline std::optional<net::ip::tcp::endpoint> parse_endpoint(std::string_view text,
                                                            std::string& error) {
    const auto hp = split_host_port(text, error);
    if (!hp) {
        return std::nullopt;
    }
    error_code ec;
    const bool bracketed = text.front() == '[';
    net::ip::address address;
    if (bracketed) {
        address = net::ip::make_address_v6(hp->host, ec);
    } else {
        address = net::ip::make_address_v4(hp->host, ec);
    }
    if (ec) {
        error = detail::problem(text, detail::concat({"'", hp->host, "' is not an IP",
                                                      bracketed ? "v6" : "v4", " address"}));
        return std::nullopt;
    }
    return net::ip::tcp::endpoint(address, hp->port);
}

inline std::optional<net::ip::tcp::endpoint> parse_endpoint(std::string_view text) {
    std::string ignored;
    return parse_endpoint(text, ignored);
}

/// The inverse of parse_endpoint: "[::1]:502" for IPv6, "127.0.0.1:502" for IPv4.
inline std::string to_string(const net::ip::tcp::endpoint& endpoint) {
    const auto address = endpoint.address();
    const auto port = std::to_string(endpoint.port());
    if (address.is_v6()) {
        return detail::concat({"[", address.to_string(), "]:", port});
    }
    return detail::concat({address.to_string(), ":", port});
}

}  // namespace gw::transport
