#include <gw/policy/token_bucket.hpp>

#include <doctest/doctest.h>

#include <chrono>

using namespace gw::policy;
using namespace std::chrono_literals;
using gw::timestamp;

TEST_CASE("a fresh bucket gives its burst, then refuses until time refills it") {
    const rate_limit l{10, 3};
    token_bucket b;
    const timestamp t0 = 5s;
    CHECK(b.try_take(l, t0));
    CHECK(b.try_take(l, t0));
    CHECK(b.try_take(l, t0));
    CHECK_FALSE(b.try_take(l, t0));  // time did not advance: nothing refilled
    CHECK_FALSE(b.try_take(l, t0 + 99ms));
    CHECK(b.try_take(l, t0 + 100ms));  // 10/s: one token in 100 ms, exactly
    CHECK_FALSE(b.try_take(l, t0 + 100ms));
}

TEST_CASE("refill is exact integer arithmetic: no drift over many small steps") {
    const rate_limit l{3, 2};
    token_bucket b;
    timestamp t = 0us;
    REQUIRE(b.try_take(l, t));
    REQUIRE(b.try_take(l, t));
    // 3 tokens/s in 1 us steps: a token every 333'333.3 us, never early.
    int taken = 0;
    for (int i = 0; i < 1'000'000; ++i) {
        t += 1us;
        if (b.try_take(l, t)) ++taken;
    }
    CHECK(taken == 3);
    CHECK(b.micro_tokens() == 0);
}

TEST_CASE("a long silence fills the bucket to its burst, not beyond") {
    const rate_limit l{1'000'000, 5};
    token_bucket b;
    b.refill(l, 0us);
    for (int i = 0; i < 5; ++i)
        REQUIRE(b.try_take(l, 0us));
    b.refill(l, timestamp{INT64_MAX / 2});  // elapsed * rate would overflow
    CHECK(b.tokens() == 5);
}

TEST_CASE("time going backwards refills nothing, and the lost time is not given twice") {
    const rate_limit l{1, 1};
    token_bucket b;
    REQUIRE(b.try_take(l, 10s));
    CHECK_FALSE(b.try_take(l, 5s));   // backwards
    CHECK_FALSE(b.try_take(l, 10s));  // back to where it was: still nothing
    CHECK_FALSE(b.try_take(l, 10s + 999ms));
    CHECK(b.try_take(l, 11s));
}

TEST_CASE("a disabled limit always has a token; validity") {
    token_bucket b;
    for (int i = 0; i < 1000; ++i)
        REQUIRE(b.try_take(rate_limit{}, 0us));
    CHECK(rate_limit{}.valid());
    CHECK(rate_limit{5, 1}.valid());
    CHECK_FALSE(rate_limit{5, 0}.valid());
    CHECK_FALSE(rate_limit{rate_limit::max_rate + 1, 10}.valid());
}

TEST_CASE("lowering the burst caps the tokens held") {
    token_bucket b;
    b.refill(rate_limit{10, 10}, 0us);
    CHECK(b.tokens() == 10);
    b.refill(rate_limit{10, 2}, 0us);
    CHECK(b.tokens() == 2);
}
