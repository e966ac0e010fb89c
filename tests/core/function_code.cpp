#include <gw/core/function_code.hpp>

#include <doctest/doctest.h>

using namespace gw;

static_assert(is_exception(0x83) && !is_exception(0x03));
static_assert(is_user_defined(65) && is_user_defined(72) && !is_user_defined(73));
static_assert(is_user_defined(100) && is_user_defined(110) && !is_user_defined(99));
static_assert(is_public(to_byte(function_code::encapsulated_interface)) && !is_public(9));

TEST_CASE("is_public is exactly the set of function_code enumerators") {
    const int known[] = {1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 15, 16, 17, 20, 21, 22, 23, 24, 43};
    int count = 0;
    for (int fc = 0; fc < 256; ++fc) {
        bool expected = false;
        for (int k : known) {
            expected = expected || k == fc;
        }
        INFO("fc " << fc);
        CHECK(is_public(static_cast<std::uint8_t>(fc)) == expected);
        count += is_public(static_cast<std::uint8_t>(fc)) ? 1 : 0;
    }
    CHECK(count == 19);
}

TEST_CASE("user-defined ranges are 65-72 and 100-110, disjoint from the public codes") {
    int count = 0;
    for (int fc = 0; fc < 256; ++fc) {
        const auto b = static_cast<std::uint8_t>(fc);
        if (is_user_defined(b)) {
            ++count;
            CHECK_FALSE(is_public(b));
            CHECK_FALSE(is_exception(b));
        }
    }
    CHECK(count == 8 + 11);
}

TEST_CASE("is_exception is the high bit") {
    for (int fc = 0; fc < 256; ++fc) {
        CHECK(is_exception(static_cast<std::uint8_t>(fc)) == (fc >= 0x80));
    }
}
