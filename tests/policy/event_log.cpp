#include <gw/policy/event_log.hpp>

#include <doctest/doctest.h>

using namespace gw::policy;

TEST_CASE("a full log overwrites the oldest event and counts what it overwrote") {
    event_log<3> log;
    for (std::uint8_t i = 0; i < 5; ++i) {
        audit_event e;
        e.unit = i;
        e.category = i % 2 == 0 ? event_category::network : event_category::security;
        log.on_event(e);
    }
    CHECK(log.size() == 3);
    CHECK(log.total() == 5);
    CHECK(log.overwritten() == 2);
    CHECK(log[0].unit == 2);  // the oldest still held
    CHECK(log.newest().unit == 4);
    CHECK(log.count(event_category::network) == 3);
    CHECK(log.count(event_category::security) == 2);
}

TEST_CASE("a configured capacity below the storage is honoured, and shrinking keeps the newest") {
    event_log<8> log;
    CHECK_FALSE(log.set_capacity(0));
    CHECK_FALSE(log.set_capacity(9));  // beyond the storage: refused, not clamped
    CHECK(log.capacity() == 8);
    for (std::uint8_t i = 0; i < 6; ++i) {
        audit_event e;
        e.unit = i;
        log.on_event(e);
    }
    REQUIRE(log.set_capacity(4));
    CHECK(log.size() == 4);
    CHECK(log.overwritten() == 2);
    CHECK(log[0].unit == 2);
    CHECK(log.newest().unit == 5);
    for (std::uint8_t i = 6; i < 11; ++i) {
        audit_event e;
        e.unit = i;
        log.on_event(e);
    }
    CHECK(log.size() == 4);  // never more than configured
    CHECK(log[0].unit == 7);
    CHECK(log[3].unit == 10);
    CHECK(log.overwritten() == 7);
    REQUIRE(log.set_capacity(8));  // growing keeps everything held
    CHECK(log.size() == 4);
    audit_event e;
    e.unit = 11;
    log.on_event(e);
    CHECK(log.size() == 5);
    CHECK(log[0].unit == 7);
    CHECK(log.newest().unit == 11);
}
