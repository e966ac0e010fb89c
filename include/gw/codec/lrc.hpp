#pragma once
// LRC of Modbus ASCII: the two's complement of the 8-bit sum of the binary bytes (unit + PDU).

#include <cstdint>
#include <span>

namespace gw {

constexpr std::uint8_t lrc(std::span<const std::uint8_t> data) noexcept {
    std::uint8_t sum = 0;
    for (std::uint8_t byte : data) {
        sum = static_cast<std::uint8_t>(sum + byte);
    }
    return static_cast<std::uint8_t>(-sum);
}

}  // namespace gw
