// The audit record payload: what encode_event writes is what decode_event reads, byte for byte
// as documented; every truncation and every out-of-range field is refused, never guessed at.
#include <gw/audit/event_codec.hpp>
#include <gw/policy/decision.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

using namespace gw;
using audit::event_decode_status;

namespace {

audit::recorded_event sample() {
    audit::recorded_event r;
    auto& e = r.event;
    e.kind = policy::event_kind::request_refused;
    e.category = policy::event_category::security;
    e.severity = policy::event_severity::warning;
    e.outcome = policy::event_outcome::denied;
    e.source = 2;
    e.peer = *policy::parse_ip_address("192.168.1.7");
    e.peer_port = 0xc350;  // 50000
    e.reason = static_cast<std::uint8_t>(policy::reason::unauthorized);
    e.unit = 5;
    e.function = 0x06;
    e.repeats = 3;
    e.address = 0x0010;
    e.quantity = 1;
    (void)e.role.assign("viewer");
    policy::set_detail(e.detail, "x");
    r.utc_us = 0x0102030405060708;
    r.monotonic_us = 0x1112131415161718;
    (void)r.source.assign("tls");
    return r;
}

std::vector<std::byte> encoded(const audit::recorded_event& r) {
    std::array<std::byte, audit::max_event_payload> buf{};
    const auto n = audit::encode_event(r, buf);
    return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)};
}

std::vector<std::byte> bytes(std::initializer_list<int> v) {
    std::vector<std::byte> out;
    for (const int x : v)
        out.push_back(static_cast<std::byte>(x));
    return out;
}

}  // namespace

TEST_CASE("the payload, byte by byte") {
    const auto expected = bytes({
        0x01,                                            // version 1
        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,  // utc_us, little-endian
        0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11,  // monotonic_us
        0x02,                                            // category: security
        0x02,                                            // severity: warning
        0x05,                                            // kind: request_refused (id 5)
        0x01,                                            // outcome: denied
        0x02, 0x00,                                      // source index 2
        0x03, 't',  'l',  's',                           // source name
        0x04, 192,  168,  1,    7,                       // IPv4 peer
        0x50, 0xc3,                                      // peer port 50000
        0x06,                                            // reason: unauthorized
        0x05,                                            // unit 5
        0x06,                                            // function 6
        0x03, 0x00, 0x00, 0x00,                          // repeats 3
        0x10, 0x00,                                      // address 0x0010
        0x01, 0x00,                                      // quantity 1
        0x06, 'v',  'i',  'e',  'w',  'e',  'r',         // role
        0x01, 'x',                                       // detail
    });
    CHECK(encoded(sample()) == expected);
}

TEST_CASE("round trip: IPv4, IPv6, no peer, the longest texts") {
    auto r = sample();
    audit::recorded_event back;
    REQUIRE(audit::decode_event(encoded(r), back) == event_decode_status::ok);
    CHECK(back.event.role.view() == "viewer");
    CHECK(back.event.peer.v4);
    CHECK(back.event.peer.bytes == r.event.peer.bytes);
    CHECK(back.source.view() == "tls");
    CHECK(back.utc_us == r.utc_us);

    r.event.peer = *policy::parse_ip_address("2001:db8::7");
    REQUIRE(audit::decode_event(encoded(r), back) == event_decode_status::ok);
    CHECK_FALSE(back.event.peer.v4);
    CHECK(back.event.peer.bytes == r.event.peer.bytes);

    r.event.peer_port = 0;
    r.event.peer = {};
    REQUIRE(audit::decode_event(encoded(r), back) == event_decode_status::ok);
    CHECK(back.event.peer_port == 0);

    const std::string longest(policy::event_detail::capacity(), 'd');
    policy::set_detail(r.event.detail, longest + "cut");
    CHECK(r.event.detail.view() == longest);  // cut at the bound
    (void)r.source.assign(std::string(audit::source_name::capacity(), 's'));
    (void)r.event.role.assign(std::string(policy::role_name::capacity(), 'r'));
    const auto wire = encoded(r);
    CHECK(wire.size() <= audit::max_event_payload);
    REQUIRE(audit::decode_event(wire, back) == event_decode_status::ok);
    CHECK(back.event.detail.view() == longest);
}

TEST_CASE("every truncation is refused, and so are trailing bytes") {
    const auto wire = encoded(sample());
    audit::recorded_event out;
    for (std::size_t n = 0; n < wire.size(); ++n) {
        CAPTURE(n);
        CHECK(audit::decode_event(std::span(wire).first(n), out) == event_decode_status::truncated);
    }
    auto longer = wire;
    longer.push_back(std::byte{0});
    CHECK(audit::decode_event(longer, out) == event_decode_status::trailing);
}

TEST_CASE("out-of-range fields are refused") {
    const auto wire = encoded(sample());
    audit::recorded_event out;
    const auto with = [&](std::size_t at, int value) {
        auto w = wire;
        w[at] = static_cast<std::byte>(value);
        return audit::decode_event(w, out);
    };
    CHECK(with(0, 2) == event_decode_status::bad_version);
    CHECK(with(17, 6) == event_decode_status::bad_field);   // category
    CHECK(with(18, 0) == event_decode_status::bad_field);   // severity 0
    CHECK(with(18, 5) == event_decode_status::bad_field);   // severity 5
    CHECK(with(19, 0) == event_decode_status::bad_field);   // kind 0 names no type
    CHECK(with(20, 3) == event_decode_status::bad_field);   // outcome
    CHECK(with(27, 5) == event_decode_status::bad_field);   // address family
    CHECK(with(23, 65) == event_decode_status::truncated);  // source name longer than the record
    // A kind this build does not name (a newer gw wrote it) is kept, by number.
    CHECK(with(19, 200) == event_decode_status::ok);
    CHECK(static_cast<unsigned>(out.event.kind) == 200);
}
