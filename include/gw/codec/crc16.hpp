#pragma once
// CRC-16/MODBUS: init 0xFFFF, reflected polynomial 0xA001 (0x8005), no final xor. On the wire
// the low byte goes first. Published check value: crc16("123456789") == 0x4B37.
//
// At compile time a plain bitwise loop runs (short, obviously right); at run time a slice-by-8
// table walk (eight tables generated constexpr, 4 KiB of read-only data) processes eight bytes
// per step, which matters because every serial byte passes through here.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

namespace gw {

inline constexpr std::uint16_t crc16_init = 0xFFFF;
inline constexpr std::uint16_t crc16_polynomial = 0xA001;  ///< 0x8005 reflected

namespace detail {

constexpr std::uint16_t crc16_bitwise(std::uint16_t crc,
                                      std::span<const std::uint8_t> data) noexcept {
    for (std::uint8_t byte : data) {
        crc = static_cast<std::uint16_t>(crc ^ byte);
        for (int bit = 0; bit < 8; ++bit) {
            const bool lsb = (crc & 1U) != 0;
            crc = static_cast<std::uint16_t>(crc >> 1);
            if (lsb) {
                crc = static_cast<std::uint16_t>(crc ^ crc16_polynomial);
            }
        }
    }
    return crc;
}

using crc16_table_set = std::array<std::array<std::uint16_t, 256>, 8>;

// tables[0][b]: CRC contribution of byte b; tables[k][b]: of byte b followed by k zero bytes.
constexpr crc16_table_set make_crc16_tables() noexcept {
    crc16_table_set tables{};
    for (std::size_t b = 0; b < 256; ++b) {
        const std::uint8_t byte[1] = {static_cast<std::uint8_t>(b)};
        tables[0][b] = crc16_bitwise(0, byte);
    }
    for (std::size_t k = 1; k < 8; ++k) {
        for (std::size_t b = 0; b < 256; ++b) {
            const std::uint16_t prev = tables[k - 1][b];
            tables[k][b] = static_cast<std::uint16_t>((prev >> 8) ^ tables[0][prev & 0xFF]);
        }
    }
    return tables;
}

inline constexpr crc16_table_set crc16_tables = make_crc16_tables();

inline std::uint16_t crc16_sliced(std::uint16_t crc, std::span<const std::uint8_t> data) noexcept {
    const auto& t = crc16_tables;
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    while (n >= 8) {
        // The 16-bit state only overlaps the first two bytes of the block.
        const std::uint16_t x = static_cast<std::uint16_t>(crc ^ (p[0] | (p[1] << 8)));
        crc = static_cast<std::uint16_t>(t[7][x & 0xFF] ^ t[6][x >> 8] ^ t[5][p[2]] ^ t[4][p[3]] ^
                                         t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]]);
        p += 8;
        n -= 8;
    }
    while (n-- > 0) {
        crc = static_cast<std::uint16_t>((crc >> 8) ^ t[0][(crc ^ *p++) & 0xFF]);
    }
    return crc;
}

}  // namespace detail

/// Continues a CRC over more data (start with crc16_init).
constexpr std::uint16_t crc16_update(std::uint16_t crc,
                                     std::span<const std::uint8_t> data) noexcept {
    if (std::is_constant_evaluated()) {
        return detail::crc16_bitwise(crc, data);
    }
    return detail::crc16_sliced(crc, data);
}

/// CRC-16/MODBUS of `data`.
constexpr std::uint16_t crc16(std::span<const std::uint8_t> data) noexcept {
    return crc16_update(crc16_init, data);
}

/// Does `adu` (payload followed by its CRC, low byte first) carry a correct CRC?
constexpr bool crc16_ok(std::span<const std::uint8_t> adu) noexcept {
    if (adu.size() < 2) {
        return false;
    }
    const std::size_t n = adu.size() - 2;
    const std::uint16_t crc = crc16(adu.first(n));
    return adu[n] == static_cast<std::uint8_t>(crc & 0xFF) &&
           adu[n + 1] == static_cast<std::uint8_t>(crc >> 8);
}

}  // namespace gw
