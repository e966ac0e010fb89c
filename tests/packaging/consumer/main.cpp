// A user's program: includes gw headers through the gw::gw target and checks one known value.
#include <gw/codec/crc16.hpp>

#include <array>
#include <cstdint>

int main() {
    // CRC-16/MODBUS check value of "123456789".
    constexpr std::array<std::uint8_t, 9> digits{'1', '2', '3', '4', '5', '6', '7', '8', '9'};
    static_assert(gw::crc16(digits) == 0x4B37);
    return gw::crc16(digits) == 0x4B37 ? 0 : 1;
}
