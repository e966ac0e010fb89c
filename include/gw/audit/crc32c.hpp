#pragma once
// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the check of every audit record
// (record.hpp). Castagnoli rather than the zlib CRC-32: better error detection at these lengths
// and a CPU instruction on x86 and ARMv8 should the table ever be too slow. Table-driven, the
// table built at compile time; freestanding (no OS headers, no heap, no exceptions).
// Check value: crc32c("123456789") == 0xE3069283 (RFC 3720 B.4 and the usual catalogues).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace gw::audit {

namespace detail {
constexpr std::array<std::uint32_t, 256> make_crc32c_table() noexcept {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int bit = 0; bit < 8; ++bit) {
            c = (c & 1U) != 0 ? (c >> 1) ^ 0x82F63B78U : c >> 1;
        }
        table[i] = c;
    }
    return table;
}
inline constexpr std::array<std::uint32_t, 256> crc32c_table = make_crc32c_table();
}  // namespace detail

/// Continues a running CRC-32C: start from crc32c_init, finish with crc32c_final (or use
/// crc32c() for one buffer).
inline constexpr std::uint32_t crc32c_init = 0xFFFFFFFFU;

constexpr std::uint32_t crc32c_update(std::uint32_t state,
                                      std::span<const std::byte> data) noexcept {
    for (const std::byte b : data) {
        state =
            detail::crc32c_table[(state ^ static_cast<std::uint32_t>(b)) & 0xFFU] ^ (state >> 8);
    }
    return state;
}

constexpr std::uint32_t crc32c_final(std::uint32_t state) noexcept {
    return ~state;
}

constexpr std::uint32_t crc32c(std::span<const std::byte> data) noexcept {
    return crc32c_final(crc32c_update(crc32c_init, data));
}

}  // namespace gw::audit
