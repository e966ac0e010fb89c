#include <gw/audit/event_format.hpp>
#include <gw/policy/decision.hpp>

#include <doctest/doctest.h>

using namespace gw;

namespace {
audit::recorded_event refused() {
    audit::recorded_event r;
    auto& e = r.event;
    e.kind = policy::event_kind::connection_refused;
    e.category = policy::event_category::security;
    e.severity = policy::event_severity::warning;
    e.outcome = policy::event_outcome::denied;
    e.peer = *policy::parse_ip_address("203.0.113.9");
    e.peer_port = 50412;
    e.reason = static_cast<std::uint8_t>(policy::reason::not_in_allowlist);
    r.utc_us = 1'764'667'801'123'456;  // 2025-12-02T09:30:01.123456Z
    r.monotonic_us = 42;
    (void)r.source.assign("modbus");
    return r;
}
}  // namespace

TEST_CASE("RFC 3339 with microseconds, before and after the epoch") {
    CHECK(audit::format_rfc3339(0) == "1970-01-01T00:00:00.000000Z");
    CHECK(audit::format_rfc3339(1'764'667'801'123'456) == "2025-12-02T09:30:01.123456Z");
    CHECK(audit::format_rfc3339(-1) == "1969-12-31T23:59:59.999999Z");
}

TEST_CASE("a text line and a JSON object per record") {
    const auto r = refused();
    CHECK(audit::format_text(1207, r) ==
          "1207 2025-12-02T09:30:01.123456Z warning security connection_refused id=2 "
          "source=modbus peer=203.0.113.9:50412 reason=not_in_allowlist outcome=denied");
    CHECK(audit::format_json(1207, r) ==
          R"({"seq":1207,"time":"2025-12-02T09:30:01.123456Z","monotonic_us":42,)"
          R"("category":"security","severity":"warning","id":2,"type":"connection_refused",)"
          R"("source":"modbus","source_index":0,"peer":"203.0.113.9","peer_port":50412,)"
          R"("reason":"not_in_allowlist","outcome":"denied"})");
}

TEST_CASE("texts from outside cannot break a line or a JSON string") {
    auto r = refused();
    (void)r.event.role.assign("a\"b\\c\n");
    policy::set_detail(r.event.detail, "x\"y\nz");
    const auto json = audit::format_json(1, r);
    CHECK(json.find(R"("role":"a\"b\\c\u000a")") != std::string::npos);
    CHECK(json.find(R"("detail":"x\"y\u000az")") != std::string::npos);
    const auto text = audit::format_text(1, r);
    CHECK(text.find('\n') == std::string::npos);
    CHECK(text.find(R"(detail="x_y_z")") != std::string::npos);
}

TEST_CASE("a kind this build does not know is printed by number") {
    auto r = refused();
    r.event.kind = static_cast<policy::event_kind>(200);
    CHECK(audit::format_text(1, r).find(" event_200 id=200 ") != std::string::npos);
}
