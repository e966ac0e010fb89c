#pragma once
// A peer's Asio address as the policies and audit records hold it (policy::ip_address), for the
// gateway's sessions and the management console alike.

#include <gw/policy/ip_network.hpp>
#include <gw/transport/asio.hpp>

#include <algorithm>

namespace gw::gateway {

inline policy::ip_address to_policy_address(const net::ip::address& a) {
    policy::ip_address out;
    if (a.is_v4()) {
        const auto b = a.to_v4().to_bytes();
        std::copy(b.begin(), b.end(), out.bytes.begin());
        out.v4 = true;
    } else {
        const auto b = a.to_v6().to_bytes();
        std::copy(b.begin(), b.end(), out.bytes.begin());
        out.v4 = false;
    }
    return out;
}

/// An IPv4-mapped IPv6 address (the policies' canonical key) as the IPv4 address it stands for.
inline policy::ip_address unmapped(policy::ip_address a) {
    const auto& b = a.bytes;
    const bool mapped = !a.v4 &&
                        std::all_of(b.begin(), b.begin() + 10, [](auto x) { return x == 0; }) &&
                        b[10] == 0xff && b[11] == 0xff;
    if (!mapped) return a;
    policy::ip_address v4;
    std::copy(b.begin() + 12, b.end(), v4.bytes.begin());
    v4.v4 = true;
    return v4;
}

}  // namespace gw::gateway
