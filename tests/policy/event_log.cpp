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
