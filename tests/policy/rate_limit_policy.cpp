#include <gw/policy/policy_chain.hpp>
#include <gw/policy/rate_limit_policy.hpp>

#include <doctest/doctest.h>

#include <array>
#include <chrono>

using namespace gw::policy;
using namespace std::chrono_literals;
using gw::exception_code;
using gw::timestamp;

namespace {
connection_info conn(std::string_view address, std::uint16_t port = 1000,
                     std::uint16_t listener = 0, timestamp now = 0us) {
    connection_info c;
    c.listener = listener;
    c.peer = *parse_ip_address(address);
    c.peer_port = port;
    c.now = now;
    return c;
}
constexpr std::array<std::uint8_t, 5> read_pdu{0x03, 0x00, 0x00, 0x00, 0x01};
request_info req(const connection_info& c, timestamp now) {
    return request_info{c, gw::master_id{}, 1, read_pdu, now};
}
/// Settings with only what a test looks at switched on.
rate_limit_settings quiet() {
    rate_limit_settings s;
    s.requests_per_connection = {};
    s.requests_per_source = {};
    s.requests_per_listener = {};
    s.connections_per_source = {};
    s.block_after = 0;
    return s;
}
}  // namespace

TEST_CASE("the defaults are valid and never throttle a poller at 50 requests a second") {
    rate_limit_policy<2, 8, 8> p;
    REQUIRE(p.set(0, rate_limit_settings{}));
    const auto c = conn("127.0.0.2");
    REQUIRE(p.on_connect(c).allowed);
    for (int i = 0; i < 50 * 600; ++i) {  // ten minutes, one request every 20 ms
        REQUIRE(p.on_request(req(c, timestamp{i * 20'000})).allowed);
    }
    CHECK(p.counters(0).requests_refused == 0);
}

TEST_CASE("per connection: the burst passes, the next is refused with 0x06, time refills") {
    rate_limit_policy<1, 8, 8> p;
    auto s = quiet();
    s.requests_per_connection = {10, 5};
    REQUIRE(p.set(0, s));
    const auto c = conn("127.0.0.2");
    REQUIRE(p.on_connect(c).allowed);
    for (int i = 0; i < 5; ++i)
        REQUIRE(p.on_request(req(c, 1s)).allowed);
    const auto d = p.on_request(req(c, 1s));
    CHECK_FALSE(d.allowed);
    CHECK(d.why == reason::rate_limited);
    CHECK(d.answer == exception_code::server_device_busy);
    CHECK(p.on_request(req(c, 1s + 100ms)).allowed);
    CHECK_FALSE(p.on_request(req(c, 1s + 100ms)).allowed);
    // Another connection of the same source has its own bucket.
    const auto c2 = conn("127.0.0.2", 1001);
    REQUIRE(p.on_connect(c2).allowed);
    CHECK(p.on_request(req(c2, 1s + 100ms)).allowed);
    CHECK(p.counters(0).requests_refused == 2);
}

TEST_CASE("per source: one host's connections share its bucket; other hosts are unaffected") {
    rate_limit_policy<1, 8, 8> p;
    auto s = quiet();
    s.requests_per_connection = {100, 100};
    s.requests_per_source = {10, 4};
    REQUIRE(p.set(0, s));
    const auto a1 = conn("127.0.0.2", 1);
    const auto a2 = conn("127.0.0.2", 2);
    const auto b = conn("127.0.0.3", 1);
    for (const auto& c : {a1, a2, b})
        REQUIRE(p.on_connect(c).allowed);
    CHECK(p.on_request(req(a1, 0us)).allowed);
    CHECK(p.on_request(req(a2, 0us)).allowed);
    CHECK(p.on_request(req(a1, 0us)).allowed);
    CHECK(p.on_request(req(a2, 0us)).allowed);
    // .2 flooding on either connection is refused ...
    for (int i = 0; i < 100; ++i) {
        CHECK_FALSE(p.on_request(req(a1, 0us)).allowed);
        CHECK_FALSE(p.on_request(req(a2, 0us)).allowed);
    }
    // ... .3 still has its whole burst.
    for (int i = 0; i < 4; ++i)
        CHECK(p.on_request(req(b, 0us)).allowed);
    CHECK_FALSE(p.on_request(req(b, 0us)).allowed);
}

TEST_CASE("a refused request takes no token from the buckets that had one") {
    rate_limit_policy<1, 8, 8> p;
    auto s = quiet();
    s.requests_per_connection = {1, 1};
    s.requests_per_source = {1, 3};
    REQUIRE(p.set(0, s));
    const auto a1 = conn("127.0.0.2", 1);
    const auto a2 = conn("127.0.0.2", 2);
    CHECK(p.on_request(req(a1, 0us)).allowed);
    CHECK_FALSE(p.on_request(req(a1, 0us)).allowed);  // a1's own bucket is empty
    CHECK_FALSE(p.on_request(req(a1, 0us)).allowed);
    // The source bucket still holds two: a2 gets them.
    CHECK(p.on_request(req(a2, 0us)).allowed);
    CHECK_FALSE(p.on_request(req(a2, 0us)).allowed);
}

TEST_CASE("per listener: all sources together") {
    rate_limit_policy<2, 8, 8> p;
    auto s = quiet();
    s.requests_per_listener = {1, 3};
    REQUIRE(p.set(0, s));
    REQUIRE(p.set(1, s));
    CHECK(p.on_request(req(conn("127.0.0.2"), 0us)).allowed);
    CHECK(p.on_request(req(conn("127.0.0.3"), 0us)).allowed);
    CHECK(p.on_request(req(conn("127.0.0.4"), 0us)).allowed);
    CHECK_FALSE(p.on_request(req(conn("127.0.0.5"), 0us)).allowed);
    CHECK(p.on_request(req(conn("127.0.0.5", 1, 1), 0us)).allowed);  // listener 1: its own
}

TEST_CASE("new connections per source are refused at accept beyond their rate") {
    rate_limit_policy<1, 8, 64> p;
    auto s = quiet();
    s.connections_per_source = {2, 3};
    REQUIRE(p.set(0, s));
    for (std::uint16_t i = 0; i < 3; ++i)
        REQUIRE(p.on_connect(conn("127.0.0.2", i, 0, 0us)).allowed);
    const auto d = p.on_connect(conn("127.0.0.2", 9, 0, 0us));
    CHECK_FALSE(d.allowed);
    CHECK(d.why == reason::rate_limited);
    CHECK(p.on_connect(conn("127.0.0.3", 9, 0, 0us)).allowed);
    CHECK(p.on_connect(conn("127.0.0.2", 10, 0, 500ms)).allowed);
    CHECK(p.counters(0).connections_refused == 1);
}

TEST_CASE("a source over its limits N times in the window is blocked, then the block expires") {
    rate_limit_policy<1, 8, 8> p;
    auto s = quiet();
    s.requests_per_source = {1, 1};
    s.block_after = 5;
    s.block_window = 10s;
    s.block_for = 60s;
    REQUIRE(p.set(0, s));
    const auto a = conn("127.0.0.2");
    const auto b = conn("127.0.0.3");
    REQUIRE(p.on_request(req(a, 0us)).allowed);
    // Four refusals: the first audited, three suppressed. The fifth blocks, and is audited as
    // source_blocked even inside the audit window, with the suppressed count.
    for (int i = 0; i < 4; ++i)
        REQUIRE(p.on_request(req(a, 1ms)).why == reason::rate_limited);
    const auto blocking = p.on_request(req(a, 1ms));
    CHECK(blocking.why == reason::source_blocked);
    CHECK(blocking.audit);
    CHECK(blocking.repeats == 3);
    CHECK(p.is_blocked(0, a.peer, 1ms));
    CHECK_FALSE(p.is_blocked(0, b.peer, 1ms));
    CHECK(p.counters(0).blocks == 1);
    // Blocked: even with tokens back, requests and connections are refused.
    const auto d = p.on_request(req(a, 30s));
    CHECK(d.why == reason::source_blocked);
    CHECK(d.answer == exception_code::server_device_busy);
    CHECK(p.on_connect(conn("127.0.0.2", 5, 0, 30s)).why == reason::source_blocked);
    CHECK(p.on_request(req(b, 30s)).allowed);

    std::array<blocked_source, 4> list{};
    REQUIRE(p.blocked_sources(30s, list) == 1);
    CHECK(list[0].listener == 0);
    CHECK(list[0].address == ip_address{canonical_bytes(a.peer), false});
    CHECK(list[0].remaining == 30s + 1ms);

    CHECK(p.on_request(req(a, 60s + 1ms)).allowed);  // expired
    CHECK(p.blocked_sources(60s + 1ms, list) == 0);
}

TEST_CASE("refusals spread over more than the window do not block") {
    rate_limit_policy<1, 8, 8> p;
    auto s = quiet();
    s.requests_per_source = {1, 1};
    s.block_after = 3;
    s.block_window = 10s;
    REQUIRE(p.set(0, s));
    const auto a = conn("127.0.0.2");
    for (int w = 0; w < 5; ++w) {
        const timestamp t = std::chrono::seconds{11 * w};
        REQUIRE(p.on_request(req(a, t)).allowed);
        CHECK_FALSE(p.on_request(req(a, t)).allowed);
        CHECK_FALSE(p.on_request(req(a, t)).allowed);
    }
    CHECK(p.counters(0).blocks == 0);
}

TEST_CASE("exempt networks are rate limited but never blocked") {
    rate_limit_policy<1, 8, 8> p;
    auto s = quiet();
    s.requests_per_source = {1, 1};
    s.block_after = 2;
    const std::array<ip_network, 1> exempt{parse_ip_network("127.0.0.0/30").network};
    s.exempt = exempt;
    REQUIRE(p.set(0, s));
    REQUIRE(p.exempt_networks(0).size() == 1);
    CHECK(p.exempt_networks(0)[0] == exempt[0]);
    const auto a = conn("127.0.0.2");
    REQUIRE(p.on_request(req(a, 0us)).allowed);
    for (int i = 0; i < 50; ++i)
        CHECK(p.on_request(req(a, 0us)).why == reason::rate_limited);
    CHECK_FALSE(p.is_blocked(0, a.peer, 0us));
    const auto b = conn("127.0.0.5");  // outside the /30
    REQUIRE(p.on_request(req(b, 0us)).allowed);
    CHECK_FALSE(p.on_request(req(b, 0us)).allowed);
    CHECK_FALSE(p.on_request(req(b, 0us)).allowed);
    CHECK(p.is_blocked(0, b.peer, 0us));
}

TEST_CASE("a flood is audited once per source per window, with the count of the others") {
    rate_limit_policy<1, 8, 8> p;
    auto s = quiet();
    s.requests_per_source = {1, 1};
    s.audit_window = 10s;
    REQUIRE(p.set(0, s));
    const auto a = conn("127.0.0.2");
    const auto b = conn("127.0.0.3");
    REQUIRE(p.on_request(req(a, 0us)).allowed);
    REQUIRE(p.on_request(req(b, 0us)).allowed);
    const auto first = p.on_request(req(a, 0us));
    CHECK(first.audit);
    CHECK(first.repeats == 0);
    for (int i = 0; i < 7; ++i)
        CHECK_FALSE(p.on_request(req(a, 0us)).audit);
    CHECK(p.on_request(req(b, 0us)).audit);      // another source: its own window
    REQUIRE(p.on_request(req(a, 10s)).allowed);  // refilled
    const auto next = p.on_request(req(a, 10s));
    CHECK(next.audit);  // a new window
    CHECK(next.repeats == 7);
    const auto again = p.on_request(req(a, 10s));
    CHECK_FALSE(again.audit);
}

namespace {
struct recorder {
    std::array<audit_event, 16> events{};
    std::size_t size = 0;
    void on_event(const audit_event& e) noexcept {
        if (size < events.size()) events[size++] = e;
    }
};
}  // namespace

TEST_CASE("policy_chain emits only the audited refusals, with their repeat count") {
    policy_chain<rate_limit_policy<1, 8, 8>, recorder> chain;
    auto s = quiet();
    s.requests_per_source = {1, 1};
    REQUIRE(chain.get<rate_limit_policy<1, 8, 8>>().set(0, s));
    const auto a = conn("127.0.0.2");
    REQUIRE(chain.on_request(req(a, 0us)).allowed);
    for (int i = 0; i < 20; ++i)
        REQUIRE_FALSE(chain.on_request(req(a, 0us)).allowed);
    REQUIRE(chain.on_request(req(a, 20s)).allowed);
    REQUIRE_FALSE(chain.on_request(req(a, 20s)).allowed);
    const auto& r = chain.get<recorder>();
    REQUIRE(r.size == 2);
    CHECK(r.events[0].kind == event_kind::request_refused);
    CHECK(r.events[0].reason == static_cast<std::uint8_t>(reason::rate_limited));
    CHECK(r.events[0].repeats == 0);
    CHECK(r.events[1].repeats == 19);
}

TEST_CASE("a full source table evicts the least recently seen unblocked source") {
    rate_limit_policy<1, 3, 8> p;
    auto s = quiet();
    s.requests_per_source = {1, 1};
    REQUIRE(p.set(0, s));
    // .2, .3, .4 spend their token; .2 is seen again later than .3.
    CHECK(p.on_request(req(conn("127.0.0.2"), 1us)).allowed);
    CHECK(p.on_request(req(conn("127.0.0.3"), 2us)).allowed);
    CHECK(p.on_request(req(conn("127.0.0.4"), 3us)).allowed);
    CHECK_FALSE(p.on_request(req(conn("127.0.0.2"), 4us)).allowed);  // seen at 4s-1us
    CHECK(p.on_request(req(conn("127.0.0.5"), 4us)).allowed);        // evicts .3 (seen at 2us)
    CHECK(p.counters(0).evictions == 1);
    // .2 was kept: its bucket is still empty (a fresh entry would be full).
    CHECK_FALSE(p.on_request(req(conn("127.0.0.2"), 4us)).allowed);
}

TEST_CASE("a table full of blocked sources: newcomers share one overflow bucket, never unlimited") {
    rate_limit_policy<1, 2, 8> p;
    auto s = quiet();
    s.requests_per_source = {1, 2};
    s.block_after = 1;
    s.block_for = 60s;
    REQUIRE(p.set(0, s));
    for (const auto* who : {"127.0.0.2", "127.0.0.3"}) {
        const auto c = conn(who);
        REQUIRE(p.on_request(req(c, 0us)).allowed);
        REQUIRE(p.on_request(req(c, 0us)).allowed);
        REQUIRE_FALSE(p.on_request(req(c, 0us)).allowed);
        REQUIRE(p.is_blocked(0, c.peer, 0us));
    }
    // Two newcomers share the overflow entry's burst of two.
    CHECK(p.on_request(req(conn("127.0.0.4"), 1s)).allowed);
    CHECK(p.on_request(req(conn("127.0.0.5"), 1s)).allowed);
    CHECK(p.on_request(req(conn("127.0.0.4"), 1s)).allowed == false);
    CHECK(p.on_request(req(conn("127.0.0.6"), 1s)).why == reason::rate_limited);
    CHECK(p.counters(0).overflow == 4);
    // The blocked sources stayed blocked, and the overflow entry is never blocked.
    CHECK(p.is_blocked(0, *parse_ip_address("127.0.0.2"), 1s));
    CHECK(p.on_request(req(conn("127.0.0.7"), 2s)).allowed);
}

TEST_CASE("a full connection table refuses the connection") {
    rate_limit_policy<1, 8, 2> p;
    REQUIRE(p.set(0, quiet()));
    REQUIRE(p.on_connect(conn("127.0.0.2", 1)).allowed);
    REQUIRE(p.on_connect(conn("127.0.0.2", 2)).allowed);
    CHECK(p.on_connect(conn("127.0.0.2", 3)).why == reason::too_many_connections);
    p.on_disconnect(conn("127.0.0.2", 1));
    CHECK(p.on_connect(conn("127.0.0.2", 3)).allowed);
}

TEST_CASE("invalid settings are refused and the old ones stay") {
    rate_limit_policy<2, 8, 8, 2> p;
    auto good = quiet();
    good.requests_per_source = {7, 7};
    REQUIRE(p.set(1, good));
    auto bad = good;
    bad.requests_per_source = {5, 0};  // a rate without a burst
    CHECK_FALSE(p.set(1, bad));
    bad = good;
    bad.connections_per_source = {rate_limit::max_rate + 1, 1};
    CHECK_FALSE(p.set(1, bad));
    bad = good;
    bad.block_after = 3;
    bad.block_window = 0s;
    CHECK_FALSE(p.set(1, bad));
    bad = good;
    bad.block_after = 3;
    bad.block_for = -1s;
    CHECK_FALSE(p.set(1, bad));
    bad = good;
    bad.audit_window = 0s;
    CHECK_FALSE(p.set(1, bad));
    const std::array<ip_network, 3> three{};
    bad = good;
    bad.exempt = three;
    CHECK_FALSE(p.set(1, bad));
    CHECK_FALSE(p.set(2, good));  // no such listener
    CHECK(p.settings(1).requests_per_source == rate_limit{7, 7});
    // Auto-block off: a zero window is fine.
    bad = good;
    bad.block_after = 0;
    bad.block_window = 0s;
    CHECK(p.set(1, bad));
}

TEST_CASE("time going backwards neither refills nor lifts a block early") {
    rate_limit_policy<1, 8, 8> p;
    auto s = quiet();
    s.requests_per_source = {1, 1};
    s.block_after = 2;
    s.block_for = 60s;
    REQUIRE(p.set(0, s));
    const auto a = conn("127.0.0.2");
    REQUIRE(p.on_request(req(a, 100s)).allowed);
    CHECK_FALSE(p.on_request(req(a, 100s)).allowed);
    CHECK_FALSE(p.on_request(req(a, 50s)).allowed);  // back in time: no refill, still counts
    // The second refusal blocked it for 60 s from the latest instant seen (100 s).
    CHECK(p.is_blocked(0, a.peer, 100s));
    CHECK(p.on_request(req(a, 120s)).why == reason::source_blocked);
    CHECK(p.on_request(req(a, 10s)).why == reason::source_blocked);
    CHECK(p.on_request(req(a, 160s)).allowed);
}

TEST_CASE("IPv4 and IPv4-mapped IPv6 are one source; unblock lifts a block") {
    rate_limit_policy<1, 8, 8> p;
    auto s = quiet();
    s.requests_per_source = {1, 1};
    s.block_after = 1;
    REQUIRE(p.set(0, s));
    REQUIRE(p.on_request(req(conn("127.0.0.2"), 0us)).allowed);
    CHECK_FALSE(p.on_request(req(conn("::ffff:127.0.0.2"), 0us)).allowed);
    CHECK(p.is_blocked(0, *parse_ip_address("127.0.0.2"), 0us));
    CHECK(p.unblock(0, *parse_ip_address("::ffff:127.0.0.2")));
    CHECK_FALSE(p.unblock(0, *parse_ip_address("127.0.0.2")));
    CHECK(p.on_request(req(conn("127.0.0.2"), 1s)).allowed);
}
