#include <gw/audit/event_filter.hpp>
#include <gw/audit/reconnaissance.hpp>

#include <doctest/doctest.h>

using namespace gw;

namespace {
policy::audit_event refusal_from(std::string_view address) {
    policy::audit_event e;
    e.kind = policy::event_kind::connection_refused;
    e.category = policy::event_category::security;
    e.severity = policy::event_severity::warning;
    e.peer = *policy::parse_ip_address(address);
    e.peer_port = 40000;
    e.reason = static_cast<std::uint8_t>(policy::reason::not_in_allowlist);
    return e;
}
constexpr std::int64_t second = 1'000'000;
}  // namespace

TEST_CASE("one event when a source reaches the threshold, then quiet until its window ends") {
    audit::reconnaissance_detector d{{3, std::chrono::seconds{60}}};
    const auto e = refusal_from("203.0.113.9");
    CHECK_FALSE(d.observe(e, 0));
    CHECK_FALSE(d.observe(e, 1 * second));
    const auto r = d.observe(e, 2 * second);
    REQUIRE(r);
    CHECK(r->kind == policy::event_kind::reconnaissance_suspected);
    CHECK(r->category == policy::event_category::security);
    CHECK(r->repeats == 3);
    CHECK(r->peer.bytes == e.peer.bytes);
    for (int i = 0; i < 100; ++i)
        CHECK_FALSE(d.observe(e, 3 * second));
    // A new window: counted again from one.
    CHECK_FALSE(d.observe(e, 61 * second));
    CHECK_FALSE(d.observe(e, 62 * second));
    CHECK(d.observe(e, 63 * second));
}

TEST_CASE("sources are counted apart; accepted connections are no sign; a scan of units is") {
    audit::reconnaissance_detector d{{2, std::chrono::seconds{60}}};
    CHECK_FALSE(d.observe(refusal_from("203.0.113.9"), 0));
    CHECK_FALSE(d.observe(refusal_from("203.0.113.10"), 0));
    auto ok = refusal_from("203.0.113.9");
    ok.kind = policy::event_kind::connection_accepted;
    CHECK_FALSE(d.observe(ok, 0));
    policy::audit_event unknown_unit = refusal_from("203.0.113.9");
    unknown_unit.kind = policy::event_kind::exception_answered;
    unknown_unit.reason = static_cast<std::uint8_t>(exception_code::gateway_path_unavailable);
    const auto r = d.observe(unknown_unit, 1);
    REQUIRE(r);
    CHECK(r->detail.view() == "requests for units without a route");
}

TEST_CASE("the table is bounded: a full table replaces the source seen least recently") {
    audit::reconnaissance_detector d{{2, std::chrono::seconds{60}}};
    for (std::size_t i = 0; i < audit::reconnaissance_detector::max_sources + 10; ++i) {
        const auto a = "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256);
        CHECK_FALSE(d.observe(refusal_from(a), static_cast<std::int64_t>(i)));
    }
    CHECK(d.sources() == audit::reconnaissance_detector::max_sources);
}

TEST_CASE("threshold 0 is off") {
    audit::reconnaissance_detector d{{0, std::chrono::seconds{60}}};
    for (int i = 0; i < 1000; ++i)
        CHECK_FALSE(d.observe(refusal_from("203.0.113.9"), i));
}

TEST_CASE("events settings: per category; security notices cannot be filtered away") {
    audit::event_filter f;
    policy::audit_event e;
    e.category = policy::event_category::network;
    e.severity = policy::event_severity::info;
    CHECK_FALSE(f.keeps(e));  // network: notice and above by default
    e.severity = policy::event_severity::notice;
    CHECK(f.keeps(e));
    e.category = policy::event_category::security;
    e.severity = policy::event_severity::info;
    CHECK(f.keeps(e));  // every security event by default
    CHECK(f.refusal().empty());
    f.least_severe[static_cast<std::size_t>(policy::event_category::network)] =
        audit::keep_level::off;
    e.category = policy::event_category::network;
    e.severity = policy::event_severity::error;
    CHECK_FALSE(f.keeps(e));
    f.least_severe[static_cast<std::size_t>(policy::event_category::security)] =
        audit::keep_level::warning;
    CHECK_FALSE(f.refusal().empty());
}
