#include <gw/codec/lrc.hpp>

#include <doctest/doctest.h>

#include <array>

using namespace gw;

// Modbus over Serial Line 6.2.1: unit 0x11, read holding registers 107, 3 -> LRC 0x7E.
constexpr std::array<std::uint8_t, 6> example{0x11,         // unit 17
                                              0x03,         // read holding registers
                                              0x00, 0x6B,   // address 107
                                              0x00, 0x03};  // quantity 3
static_assert(lrc(example) == 0x7E);
static_assert(lrc(std::span<const std::uint8_t>{}) == 0x00);

TEST_CASE("LRC: the sum of the bytes and their LRC is zero modulo 256") {
    CHECK(lrc(example) == 0x7E);
    std::array<std::uint8_t, 64> data{};
    for (std::size_t n = 0; n < data.size(); ++n) {
        data[n] = static_cast<std::uint8_t>(n * 37 + 11);
        const auto part = std::span{data}.first(n + 1);
        unsigned sum = lrc(part);
        for (auto b : part) {
            sum += b;
        }
        CHECK(sum % 256 == 0);
    }
    const std::uint8_t overflow[] = {0xFF, 0xFF, 0x02};  // sum 0x200 -> 0x00
    CHECK(lrc(overflow) == 0x00);
}
