#include <gw/core/endian.hpp>

#include <doctest/doctest.h>

#include <array>

using namespace gw;

constexpr std::array<std::uint8_t, 3> be{0x12, 0x34, 0x56};
static_assert(get_u16(be, 0) == 0x1234 && get_u16(be, 1) == 0x3456);
static_assert(high_byte(0xABCD) == 0xAB && low_byte(0xABCD) == 0xCD);

TEST_CASE("put_u16 writes big-endian, get_u16 reads it back") {
    std::array<std::uint8_t, 4> b{};
    put_u16(b, 1, 0xBEEF);
    CHECK(b == std::array<std::uint8_t, 4>{0x00, 0xBE, 0xEF, 0x00});
    CHECK(get_u16(b, 1) == 0xBEEF);
    for (unsigned v = 0; v < 65536; v += 257) {
        put_u16(b, 0, static_cast<std::uint16_t>(v));
        CHECK(get_u16(b, 0) == v);
    }
}
