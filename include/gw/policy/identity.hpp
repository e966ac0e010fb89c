#pragma once
// Who is at the other end of a connection, beyond its address: the identity a TLS client
// certificate (or, later, a console login) established, and the role the authorization policy
// checks. Fixed-size, so that policies stay heap-free on every target.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gw::policy {

/// A string of at most N bytes stored inline; assign() refuses (returns false) what is longer,
/// never truncates: a truncated role could name another role.
template <std::size_t N>
class bounded_string {
public:
    constexpr bounded_string() noexcept = default;

    [[nodiscard]] constexpr bool assign(std::string_view text) noexcept {
        if (text.size() > N) return false;
        std::copy(text.begin(), text.end(), bytes_.begin());
        size_ = static_cast<std::uint8_t>(text.size());
        return true;
    }
    constexpr std::string_view view() const noexcept { return {bytes_.data(), size_}; }
    constexpr bool empty() const noexcept { return size_ == 0; }
    static constexpr std::size_t capacity() noexcept { return N; }

    friend constexpr bool operator==(const bounded_string& a, const bounded_string& b) noexcept {
        return a.view() == b.view();
    }

private:
    static_assert(N <= 255, "the size is kept in a byte");
    std::array<char, N> bytes_{};
    std::uint8_t size_ = 0;
};

/// Where a connection's role came from.
enum class identity_source : std::uint8_t {
    none,                ///< nobody vouched for this connection (plain Modbus TCP)
    client_certificate,  ///< a TLS client certificate checked against the configured CA
    source_network,      ///< a listener rule assigned a role to the peer's network
};

struct connection_identity {
    identity_source source = identity_source::none;
    bounded_string<64> subject;  ///< e.g. the certificate's common name
    bounded_string<64> role;  ///< Modbus/TCP Security role (1.3.6.1.4.1.50316.802.1); empty: none
};

}  // namespace gw::policy
