#pragma once
// Big-endian 16-bit access, the byte order of every Modbus field (the CRC excepted).

#include <cstddef>
#include <cstdint>
#include <span>

namespace gw {

/// Reads the big-endian u16 at `offset`. Precondition: offset + 2 <= bytes.size().
constexpr std::uint16_t get_u16(std::span<const std::uint8_t> bytes, std::size_t offset) noexcept {
    return static_cast<std::uint16_t>((bytes[offset] << 8) | bytes[offset + 1]);
}

/// Writes `value` big-endian at `offset`. Precondition: offset + 2 <= bytes.size().
constexpr void put_u16(std::span<std::uint8_t> bytes, std::size_t offset,
                       std::uint16_t value) noexcept {
    bytes[offset] = static_cast<std::uint8_t>(value >> 8);
    bytes[offset + 1] = static_cast<std::uint8_t>(value & 0xFF);
}

constexpr std::uint8_t high_byte(std::uint16_t value) noexcept {
    return static_cast<std::uint8_t>(value >> 8);
}
constexpr std::uint8_t low_byte(std::uint16_t value) noexcept {
    return static_cast<std::uint8_t>(value & 0xFF);
}

}  // namespace gw
