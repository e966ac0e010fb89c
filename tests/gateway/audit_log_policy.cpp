// gw::gateway::audit_log_policy: the text log of audit events, rate limited per key (kind,
// reason, source, peer address) within a window. The clock is the events' own time, so the
// tests set it: no sleeps, no real clock.

#include <gw/gateway/audit_log_policy.hpp>
#include <gw/policy/event_log.hpp>
#include <gw/policy/policy_chain.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace std::chrono_literals;
using gw::gateway::audit_log_policy;
using gw::policy::audit_event;
using gw::policy::event_category;
using gw::policy::event_kind;
using gw::policy::event_severity;
using gw::transport::time_point;

/// A policy whose log lines are collected.
struct logged {
    std::vector<std::string> lines;
    gw::gateway::log_function log = [this](event_severity, std::string_view text) {
        lines.emplace_back(text);
    };
    audit_log_policy policy;
    logged() { policy.log = &log; }
    logged(const logged&) = delete;
    logged& operator=(const logged&) = delete;
};

gw::policy::ip_address v4(std::uint8_t last) {
    gw::policy::ip_address a;
    a.v4 = true;
    a.bytes[0] = 192;
    a.bytes[1] = 0;
    a.bytes[2] = 2;
    a.bytes[3] = last;
    return a;
}

/// A refused connection from 192.0.2.<host>:<port> on listener `source` at time t.
audit_event refused(time_point t, std::uint8_t host = 1, std::uint16_t port = 40000,
                    std::uint16_t source = 0) {
    audit_event e;
    e.time = t;
    e.kind = event_kind::connection_refused;
    e.category = event_category::security;
    e.severity = event_severity::warning;
    e.outcome = gw::policy::event_outcome::denied;
    e.reason = static_cast<std::uint8_t>(gw::policy::reason::not_in_allowlist);
    e.source = source;
    e.peer = v4(host);
    e.peer_port = port;
    return e;
}

const std::string first_refusal =
    "security connection_refused source=0 peer=192.0.2.1:40000 reason=not_in_allowlist "
    "outcome=denied";

}  // namespace

TEST_CASE("audit_log_policy: a line names the event's category, kind, source, peer and reason") {
    logged l;
    l.policy.on_event(refused(time_point{0}));
    CHECK(l.lines == std::vector<std::string>{first_refusal});
}

TEST_CASE("audit_log_policy: similar events within the window are written once, then counted") {
    logged l;
    const time_point t0{1'000'000};
    l.policy.on_event(refused(t0));
    // Same key (the port changes with every reconnect, the key ignores it).
    for (int i = 1; i <= 99; ++i)
        l.policy.on_event(refused(t0 + i * 100ms, 1, static_cast<std::uint16_t>(40000 + i)));
    CHECK(l.lines.size() == 1);
    // The first event after the window: the count of the window, then this event's own line.
    l.policy.on_event(refused(t0 + 10s, 1, 41000));
    CHECK(l.lines ==
          std::vector<std::string>{first_refusal, "99 similar events suppressed: " + first_refusal,
                                   "security connection_refused source=0 peer=192.0.2.1:41000 "
                                   "reason=not_in_allowlist outcome=denied"});
}

TEST_CASE("audit_log_policy: a window's count is written by the first event of any kind after it") {
    logged l;
    const time_point t0{0};
    l.policy.on_event(refused(t0));
    l.policy.on_event(refused(t0 + 1s));
    l.policy.on_event(refused(t0 + 2s));
    CHECK(l.lines.size() == 1);
    // An event of another kind, below the log level even, ends the window on time.
    audit_event accepted;
    accepted.time = t0 + 10s;
    accepted.kind = event_kind::connection_accepted;
    accepted.severity = event_severity::info;
    l.policy.on_event(accepted);
    CHECK(l.lines ==
          std::vector<std::string>{first_refusal, "2 similar events suppressed: " + first_refusal});
}

TEST_CASE("audit_log_policy: different keys are limited separately") {
    logged l;
    const time_point t0{0};
    l.policy.on_event(refused(t0, 1));
    l.policy.on_event(refused(t0, 2));            // another peer address
    l.policy.on_event(refused(t0, 1, 40000, 3));  // another listener
    l.policy.on_event(refused(t0 + 1s, 1));       // suppressed
    auto other_reason = refused(t0 + 1s, 1);
    other_reason.reason = static_cast<std::uint8_t>(gw::policy::reason::too_many_from_source);
    l.policy.on_event(other_reason);
    CHECK(l.lines.size() == 4);
    CHECK(l.policy.keys() == 4);
}

TEST_CASE("audit_log_policy: the gateway's stopping event writes every pending count first") {
    logged l;
    const time_point t0{0};
    l.policy.on_event(refused(t0));
    l.policy.on_event(refused(t0 + 1s));
    audit_event stopping;
    stopping.time = t0 + 2s;
    stopping.kind = event_kind::stopping;
    stopping.category = event_category::system;
    stopping.severity = event_severity::notice;
    l.policy.on_event(stopping);
    CHECK(l.lines == std::vector<std::string>{first_refusal,
                                              "1 similar events suppressed: " + first_refusal,
                                              "system stopping source=0 outcome=success"});
}

TEST_CASE("audit_log_policy: system events are never limited") {
    logged l;
    audit_event loaded;
    loaded.kind = event_kind::config_loaded;
    loaded.category = event_category::system;
    loaded.severity = event_severity::notice;
    for (int i = 0; i < 3; ++i) {
        loaded.time = time_point{0} + i * 1ms;
        l.policy.on_event(loaded);
    }
    CHECK(l.lines.size() == 3);
}

TEST_CASE(
    "audit_log_policy: the key table is bounded; the least recently seen key is evicted "
    "with its count written") {
    logged l;
    const time_point t0{0};
    l.policy.on_event(refused(t0, 1));
    l.policy.on_event(refused(t0 + 1ms, 1));  // key 1 has a count of 1
    // Fill the table with other keys (other listeners), all seen after key 1.
    for (std::uint16_t s = 1; s < audit_log_policy::max_keys; ++s)
        l.policy.on_event(refused(t0 + 2ms, 1, 40000, s));
    CHECK(l.policy.keys() == audit_log_policy::max_keys);
    CHECK(l.lines.size() == audit_log_policy::max_keys);
    // One more key: key 1 is the least recently seen, so it goes, and its count is not lost.
    l.policy.on_event(refused(t0 + 3ms, 1, 40000, 999));
    CHECK(l.policy.keys() == audit_log_policy::max_keys);
    REQUIRE(l.lines.size() == audit_log_policy::max_keys + 2);
    CHECK(l.lines[audit_log_policy::max_keys] == "1 similar events suppressed: " + first_refusal);
}

TEST_CASE("audit_log_policy: events below the level are not written and not limited") {
    logged l;
    l.policy.level = event_severity::error;
    l.policy.on_event(refused(time_point{0}));
    CHECK(l.lines.empty());
    CHECK(l.policy.keys() == 0);
}

TEST_CASE("audit_log_policy: the in-memory event log still records every event") {
    gw::policy::policy_chain<gw::policy::event_log<256>, audit_log_policy> chain;
    std::vector<std::string> lines;
    gw::gateway::log_function log = [&](event_severity, std::string_view text) {
        lines.emplace_back(text);
    };
    chain.get<audit_log_policy>().log = &log;
    for (int i = 0; i < 100; ++i)
        chain.emit(refused(time_point{0} + i * 10ms));
    CHECK(chain.get<gw::policy::event_log<256>>().total() == 100);
    CHECK(lines.size() == 1);
}
