#include <gw/device/static_data_model.hpp>

#include <doctest/doctest.h>

#include <array>

using namespace gw;

namespace {
using model = static_data_model<20, 12, 10, 4>;
constexpr auto e02 = std::optional<exception_code>{exception_code::illegal_data_address};
}  // namespace

TEST_CASE("coils pack LSB first, unused high bits zero") {
    model m;
    for (std::size_t i : {0U, 2U, 3U, 8U, 10U}) {
        m.set_coil(i, true);
    }
    std::array<std::uint8_t, 2> out{0xFF, 0xFF};
    CHECK_FALSE(m.read_coils(0, 11, out));
    CHECK(out[0] == 0x0D);  // coils 7..0 = 0000 1101
    CHECK(out[1] == 0x05);  // coils 10..8 = 101, bits 7..3 zero
    std::array<std::uint8_t, 1> one{};
    CHECK_FALSE(m.read_coils(2, 2, one));
    CHECK(one[0] == 0x03);
}

TEST_CASE("writing coils unpacks them") {
    model m;
    const std::array<std::uint8_t, 2> in{0xCD, 0x01};  // the spec's FC15 example, 10 coils
    CHECK_FALSE(m.write_coils(5, 10, in));
    const bool expected[10] = {1, 0, 1, 1, 0, 0, 1, 1, 1, 0};
    for (std::size_t i = 0; i < 10; ++i) {
        CHECK(m.coil(5 + i) == expected[i]);
    }
    CHECK_FALSE(m.coil(4));
    CHECK_FALSE(m.coil(15));
}

TEST_CASE("registers travel big-endian") {
    model m;
    const std::array<std::uint8_t, 4> in{0x12, 0x34, 0xAB, 0xCD};
    CHECK_FALSE(m.write_registers(8, 2, in));
    CHECK(m.holding_register(8) == 0x1234);
    CHECK(m.holding_register(9) == 0xABCD);
    std::array<std::uint8_t, 4> out{};
    CHECK_FALSE(m.read_holding_registers(8, 2, out));
    CHECK(out == in);
    m.set_input_register(3, 0xBEEF);
    std::array<std::uint8_t, 2> one{};
    CHECK_FALSE(m.read_input_registers(3, 1, one));
    CHECK(one == std::array<std::uint8_t, 2>{0xBE, 0xEF});
    m.set_discrete_input(11, true);
    CHECK_FALSE(m.read_discrete_inputs(11, 1, std::span{one}.first(1)));
    CHECK(one[0] == 0x01);
}

TEST_CASE("past the end of any table: 02, nothing changed") {
    model m;
    std::array<std::uint8_t, 32> buf{};
    CHECK(m.read_coils(20, 1, buf) == e02);
    CHECK(m.read_coils(15, 6, buf) == e02);
    CHECK_FALSE(m.read_coils(15, 5, buf));
    CHECK(m.read_discrete_inputs(12, 1, buf) == e02);
    CHECK(m.read_holding_registers(9, 2, buf) == e02);
    CHECK(m.read_input_registers(4, 1, buf) == e02);
    CHECK(m.read_input_registers(0xFFFF, 1, buf) == e02);
    buf.fill(0xFF);
    CHECK(m.write_coils(19, 2, buf) == e02);
    CHECK_FALSE(m.coil(19));
    CHECK(m.write_registers(10, 1, buf) == e02);
    CHECK(m.write_registers(9, 2, buf) == e02);
    CHECK(m.holding_register(9) == 0);
}

TEST_CASE("usable at compile time") {
    constexpr auto value = [] {
        model m;
        const std::uint8_t in[] = {0x00, 0x2A};
        m.write_registers(0, 1, in);
        return m.holding_register(0);
    }();
    static_assert(value == 42);
    CHECK(value == 42);
}
