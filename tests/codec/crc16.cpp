#include <gw/codec/crc16.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <vector>

using namespace gw;

namespace {
constexpr std::array<std::uint8_t, 9> check_string{'1', '2', '3', '4', '5', '6', '7', '8', '9'};
// Read holding registers, unit 17 (Modbus over Serial Line, 6.2.2 style example).
constexpr std::array<std::uint8_t, 8> spec_adu{0x11,         // unit 17
                                               0x03,         // read holding registers
                                               0x00, 0x6B,   // address 107
                                               0x00, 0x03,   // quantity 3
                                               0x76, 0x87};  // CRC 0x8776, low byte first
// The classic "read 10 registers from 0 at unit 1" frame.
constexpr std::array<std::uint8_t, 8> classic_adu{0x01, 0x03, 0x00, 0x00, 0x00, 0x0A, 0xC5, 0xCD};
}  // namespace

// Evaluated at compile time: the bitwise path.
static_assert(crc16(check_string) == 0x4B37);  // CRC-16/MODBUS check value (reveng catalogue)
static_assert(crc16(std::span<const std::uint8_t>{}) == 0xFFFF);
static_assert(crc16(std::span{spec_adu}.first(6)) == 0x8776);
static_assert(crc16(std::span{classic_adu}.first(6)) == 0xCDC5);
static_assert(crc16_ok(spec_adu) && crc16_ok(classic_adu));
static_assert(crc16(spec_adu) == 0);  // the residue of a correct frame is zero
static_assert(detail::crc16_tables[0][1] == 0xC0C1 && detail::crc16_tables[0][0x80] == 0xA001);

TEST_CASE("published vectors at run time (slice-by-8 path)") {
    CHECK(crc16(check_string) == 0x4B37);
    CHECK(crc16(std::span{spec_adu}.first(6)) == 0x8776);
    CHECK(crc16(std::span{classic_adu}.first(6)) == 0xCDC5);
    CHECK(crc16_ok(spec_adu));
    CHECK(crc16(std::span<const std::uint8_t>{}) == 0xFFFF);
}

TEST_CASE("slice-by-8 equals bitwise for every length and alignment") {
    std::vector<std::uint8_t> data(300);
    std::uint32_t x = 0x12345678;
    for (auto& b : data) {
        x = x * 1664525U + 1013904223U;
        b = static_cast<std::uint8_t>(x >> 24);
    }
    for (std::size_t offset = 0; offset < 9; ++offset) {
        for (std::size_t len = 0; len + offset <= data.size(); ++len) {
            const auto part = std::span<const std::uint8_t>{data}.subspan(offset, len);
            REQUIRE(detail::crc16_sliced(0xFFFF, part) == detail::crc16_bitwise(0xFFFF, part));
        }
    }
}

TEST_CASE("crc16_update continues a CRC over split data") {
    for (std::size_t cut = 0; cut <= check_string.size(); ++cut) {
        const auto a = std::span{check_string}.first(cut);
        const auto b = std::span{check_string}.subspan(cut);
        CHECK(crc16_update(crc16(a), b) == 0x4B37);
    }
}

TEST_CASE("crc16_ok rejects every single-bit error and short input") {
    auto adu = spec_adu;
    for (std::size_t i = 0; i < adu.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            adu[i] = static_cast<std::uint8_t>(adu[i] ^ (1U << bit));
            CHECK_FALSE(crc16_ok(adu));
            adu[i] = static_cast<std::uint8_t>(adu[i] ^ (1U << bit));
        }
    }
    CHECK(crc16_ok(adu));
    CHECK_FALSE(crc16_ok(std::span{adu}.first(1)));
    // Two bytes whose "CRC" is that of nothing: 0xFFFF.
    const std::uint8_t ff[] = {0xFF, 0xFF};
    CHECK(crc16_ok(ff));
}
