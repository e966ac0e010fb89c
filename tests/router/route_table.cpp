#include <gw/router/route_table.hpp>

#include <doctest/doctest.h>

using gw::router::route;
using gw::router::route_table;

TEST_CASE("a unit inside a route goes to its channel with its own id") {
    route_table<4> t;
    REQUIRE(t.add(route{1, 10, 2, 0}));
    const auto target = t.lookup(5);
    REQUIRE(target);
    CHECK(target->channel == 2);
    CHECK(target->unit == 5);
    CHECK_FALSE(t.lookup(11));
    CHECK_FALSE(t.lookup(0));
}

TEST_CASE("remapping maps a virtual range linearly onto real ids") {
    route_table<4> t;
    REQUIRE(t.add(route{101, 103, 0, 1}));  // virtual 101..103 -> real 1..3 on channel 0
    CHECK(t.lookup(101)->unit == 1);
    CHECK(t.lookup(103)->unit == 3);
    CHECK_FALSE(t.lookup(104));
}

TEST_CASE("overlapping, empty, out-of-range and excess routes are refused") {
    route_table<2> t;
    REQUIRE(t.add(route{1, 10, 0, 0}));
    CHECK_FALSE(t.add(route{10, 12, 1, 0}));    // shares unit 10
    CHECK_FALSE(t.add(route{5, 4, 1, 0}));      // empty range
    CHECK_FALSE(t.add(route{20, 30, 1, 240}));  // 240 + 10 > 247
    REQUIRE(t.add(route{11, 12, 1, 0}));
    CHECK_FALSE(t.add(route{13, 13, 1, 0}));  // table full
    CHECK(t.size() == 2);
}

TEST_CASE("one route per unit id fits, and every unit finds its own") {
    route_table<248> t;
    for (unsigned u = 0; u <= 247; ++u) {
        REQUIRE(t.add(route{static_cast<std::uint8_t>(u), static_cast<std::uint8_t>(u),
                            static_cast<std::uint16_t>(u % 7), 0}));
    }
    CHECK(t.size() == 248);
    for (unsigned u = 0; u <= 247; ++u) {
        const auto target = t.lookup(static_cast<std::uint8_t>(u));
        REQUIRE(target);
        CHECK(target->channel == u % 7);
        CHECK(target->unit == u);
    }
    CHECK_FALSE(t.lookup(248));
    CHECK_FALSE(t.lookup(255));
    t.clear();
    CHECK_FALSE(t.lookup(5));  // the index is cleared with the table
}

TEST_CASE("a refused route leaves the index untouched") {
    route_table<4> t;
    REQUIRE(t.add(route{1, 10, 0, 0}));
    CHECK_FALSE(t.add(route{5, 20, 1, 0}));  // overlaps
    CHECK(t.lookup(15) == std::nullopt);
    CHECK(t.lookup(5)->channel == 0);
}
