// examples/custom_gateway/office_hours_policy.hpp: a user's own policy, by time of day.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>

#include "custom_gateway/office_hours_policy.hpp"

namespace {
gw::policy::decision ask(const custom::office_hours_write_policy& p,
                         std::span<const std::uint8_t> pdu) {
    const gw::policy::connection_info c;
    return p.on_request({c, 0, 1, pdu, {}});
}
}  // namespace

TEST_CASE("writes to registers 0-99 are refused outside 06:00-18:00, allowed inside") {
    custom::office_hours_write_policy p;
    unsigned hour = 3;
    p.local_hour = [&] { return hour; };
    const std::array<std::uint8_t, 5> write_10{6, 0x00, 0x0A, 0x12, 0x34};      // FC6 reg 10
    const std::array<std::uint8_t, 5> write_100{6, 0x00, 0x64, 0x12, 0x34};     // FC6 reg 100
    const std::array<std::uint8_t, 5> read_10{3, 0x00, 0x0A, 0x00, 0x01};       // FC3 reg 10
    const std::array<std::uint8_t, 8> write_98_101{16, 0x00, 0x62, 0x00, 0x04,  // FC16 98..101
                                                   8,  0,    0};
    CHECK(ask(p, write_10).answer == gw::exception_code::illegal_function);
    CHECK_FALSE(ask(p, write_10).allowed);
    CHECK(ask(p, write_100).allowed);
    CHECK(ask(p, read_10).allowed);
    CHECK_FALSE(ask(p, write_98_101).allowed);  // overlaps the protected range
    hour = 6;
    CHECK(ask(p, write_10).allowed);
    hour = 17;
    CHECK(ask(p, write_10).allowed);
    hour = 18;
    CHECK_FALSE(ask(p, write_10).allowed);
}

TEST_CASE("FC 23's write part counts, its read part does not") {
    custom::office_hours_write_policy p;
    p.local_hour = [] { return 0U; };
    // read 0..1, write 200..200
    const std::array<std::uint8_t, 12> rw_outside{23, 0, 0, 0, 2, 0, 200, 0, 1, 2, 0, 1};
    // read 200..201, write 50..50
    const std::array<std::uint8_t, 12> rw_inside{23, 0, 200, 0, 2, 0, 50, 0, 1, 2, 0, 1};
    CHECK(ask(p, rw_outside).allowed);
    CHECK_FALSE(ask(p, rw_inside).allowed);
}

TEST_CASE("an empty window never allows, 0-24 always does") {
    custom::office_hours_write_policy p;
    const std::array<std::uint8_t, 5> write_0{6, 0, 0, 0, 1};
    for (unsigned h = 0; h < 24; ++h) {
        p.local_hour = [h] { return h; };
        p.from_hour = p.to_hour = 7;
        CHECK_FALSE(ask(p, write_0).allowed);
        p.from_hour = 0;
        p.to_hour = 24;
        CHECK(ask(p, write_0).allowed);
    }
}
