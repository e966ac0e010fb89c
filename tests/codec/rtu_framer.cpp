#include <gw/codec/rtu_framer.hpp>

#include "parsegrind.hpp"
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace gw;
using namespace std::chrono_literals;
using gw::test::cat;
using gw::test::error;
using gw::test::frame;
using gw::test::frame_event;
using gw::test::parsegrind;
using gw::test::pdu_pairs;
using bytes = std::vector<std::uint8_t>;
using transport::time_point;

namespace {

constexpr rtu_timing timing_9600 = rtu_timing_for_baud(9600);

rtu_framer predicted(pdu_direction dir = pdu_direction::request) {
    return rtu_framer{dir, rtu_framing::predicted, timing_9600};
}
rtu_framer silence(pdu_direction dir = pdu_direction::request) {
    return rtu_framer{dir, rtu_framing::silence, timing_9600};
}

bytes rtu(std::uint8_t unit, const bytes& pdu) {
    bytes out(pdu.size() + 3);
    REQUIRE(encode_rtu(unit, pdu, out) == out.size());
    return out;
}

// After the input, a silence long enough for any framing.
constexpr time_point quiet{1'000'000};

// Read holding registers 107..109 at unit 17 (the specification's example).
const bytes spec_request{0x11,         // unit 17
                         0x03,         // function: read holding registers
                         0x00, 0x6B,   // starting address 107
                         0x00, 0x03,   // quantity 3
                         0x76, 0x87};  // CRC 0x8776, low byte first
const bytes spec_pdu{0x03, 0x00, 0x6B, 0x00, 0x03};

bool is_opaque(const gw::test::pdu_pair& v) {
    return v.name.find("return query data") != std::string_view::npos;
}

}  // namespace

// --- compile time ----------------------------------------------------------------------------

// The framer works in constant evaluation and can be constinit (bare metal: no static constructor).
constinit rtu_framer global_framer{pdu_direction::request, rtu_framing::predicted, timing_9600};

constexpr bool decodes_at_compile_time() {
    rtu_framer f{pdu_direction::request, rtu_framing::predicted, timing_9600};
    const std::uint8_t adu[] = {0x11, 0x03, 0x00, 0x6B, 0x00, 0x03, 0x76, 0x87};
    const decode_result r = f.put(adu, time_point{0});
    return r.status == decode_status::frame && r.consumed == 8 && f.unit() == 0x11 &&
           f.pdu().size() == 5;
}
static_assert(decodes_at_compile_time());

TEST_CASE("a constinit framer works at run time") {
    CHECK(global_framer.put(spec_request, time_point{0}).status == decode_status::frame);
    global_framer.reset();
}

// --- timing ------------------------------------------------------------------------------------

static_assert(rtu_timing_for_baud(9600).t1_5 == 1719us);  // 1.5 * 11 / 9600 s, rounded up
static_assert(rtu_timing_for_baud(9600).t3_5 == 4011us);  // 3.5 * 11 / 9600 s, rounded up
static_assert(rtu_timing_for_baud(19200).t1_5 == 860us);  // still computed at 19200
static_assert(rtu_timing_for_baud(19200).t3_5 == 2006us);
static_assert(rtu_timing_for_baud(19201).t1_5 == 750us);  // fixed above 19200
static_assert(rtu_timing_for_baud(115200).t3_5 == 1750us);
static_assert(rtu_timing_for_baud(1200).t3_5 == 32084us);

TEST_CASE("encode_rtu: the specification's example and the limits") {
    CHECK(rtu(0x11, spec_pdu) == spec_request);
    bytes out(3);
    CHECK(encode_rtu(1, bytes{}, out) == 0);
    CHECK(encode_rtu(1, bytes{0x07}, std::span{out}.first(2)) == 0);
    const bytes big(254, 0x41);
    bytes big_out(300);
    CHECK(encode_rtu(1, big, big_out) == 0);
    CHECK(encode_rtu(1, std::span{big}.first(253), big_out) == 256);
}

// --- every function code, both directions, every split ----------------------------------------

TEST_CASE("predicted mode: every vector completes on its last byte, without silence") {
    for (const auto& v : pdu_pairs()) {
        INFO(v.name.data());
        if (is_opaque(v)) {
            continue;
        }
        parsegrind(predicted(pdu_direction::request), rtu(0x11, v.request),
                   {frame(0x11, v.request)});
        parsegrind(predicted(pdu_direction::response), rtu(0x11, v.response),
                   {frame(0x11, v.response)});
    }
}

TEST_CASE("predicted mode: FC8 return query data falls back to silence") {
    const auto& v = pdu_pairs()[7];
    REQUIRE(is_opaque(v));
    parsegrind(predicted(pdu_direction::request), rtu(1, v.request), {}, std::nullopt);
    parsegrind(predicted(pdu_direction::request), rtu(1, v.request), {frame(1, v.request)}, quiet);
    parsegrind(predicted(pdu_direction::response), rtu(1, v.response), {frame(1, v.response)},
               quiet);
}

TEST_CASE("silence mode: every vector completes at t3.5, not before") {
    for (const auto& v : pdu_pairs()) {
        INFO(v.name.data());
        parsegrind(silence(pdu_direction::request), rtu(0x11, v.request), {}, std::nullopt);
        parsegrind(silence(pdu_direction::request), rtu(0x11, v.request), {frame(0x11, v.request)},
                   quiet);
        parsegrind(silence(pdu_direction::response), rtu(0x11, v.response),
                   {frame(0x11, v.response)}, quiet);
    }
}

TEST_CASE("predicted mode: all vectors back to back in one stream") {
    bytes stream;
    std::vector<frame_event> expected;
    std::uint8_t unit = 1;
    for (const auto& v : pdu_pairs()) {
        if (is_opaque(v)) {
            continue;
        }
        const auto adu = rtu(unit, v.request);
        stream.insert(stream.end(), adu.begin(), adu.end());
        expected.push_back(frame(unit, v.request));
        ++unit;
    }
    const auto events = gw::test::feed(predicted(), stream, {}, std::nullopt);
    CHECK(events == expected);
    // Splits of a stream this long: every single cut and byte by byte.
    parsegrind(predicted(), stream, expected);
}

// --- frame data accessors ----------------------------------------------------------------------

TEST_CASE("unit, pdu and adu of a frame point into the framer's buffer") {
    auto f = predicted();
    const auto r = f.put(spec_request, time_point{0});
    REQUIRE(r.status == decode_status::frame);
    CHECK(r.consumed == spec_request.size());
    CHECK(f.unit() == 0x11);
    CHECK(bytes(f.pdu().begin(), f.pdu().end()) == spec_pdu);
    CHECK(bytes(f.adu().begin(), f.adu().end()) == spec_request);
    CHECK(f.adu().data() + 1 == f.pdu().data());
    CHECK(f.put({}, time_point{0}).status == decode_status::need_more);
    CHECK(f.pdu().empty());
    CHECK(f.buffered() == 0);
    CHECK_FALSE(f.deadline().has_value());
}

TEST_CASE("put consumes up to the end of one frame") {
    const auto two = cat({spec_request, rtu(2, bytes{0x07})});
    auto f = predicted();
    auto r = f.put(two, time_point{0});
    REQUIRE(r.status == decode_status::frame);
    CHECK(r.consumed == spec_request.size());
    r = f.put(std::span{two}.subspan(r.consumed), time_point{0});
    REQUIRE(r.status == decode_status::frame);
    CHECK(r.consumed == 4);
    CHECK(f.unit() == 2);
}

// --- resynchronisation -------------------------------------------------------------------------

TEST_CASE("one garbage byte of any value before a frame: one error, then the frame") {
    const bytes response_pdu{0x03, 0x06, 0x02, 0x2B, 0x00, 0x00, 0x00, 0x64};
    const auto spec_response = rtu(0x11, response_pdu);
    for (int g = 0; g < 256; ++g) {
        INFO("garbage byte " << g);
        const bytes garbage{static_cast<std::uint8_t>(g)};
        for (auto dir : {pdu_direction::request, pdu_direction::response}) {
            const bool req = dir == pdu_direction::request;
            const auto input = cat({garbage, req ? spec_request : spec_response});
            const auto f = predicted(dir);
            const auto events = gw::test::feed(f, input, {}, quiet);
            const bool two = events.size() == 2;
            CHECK(two);
            if (two) {
                CHECK(is_error(events[0].status));
                CHECK(events[1] == frame(0x11, req ? spec_pdu : response_pdu));
            }
            parsegrind(f, input, events, quiet);
        }
        // Silence mode finds the frame behind glued noise too.
        const auto events = gw::test::feed(silence(), cat({garbage, spec_request}), {}, quiet);
        CHECK(events ==
              std::vector<frame_event>{error(decode_status::bad_crc), frame(0x11, spec_pdu)});
    }
}

TEST_CASE("garbage before a frame usually costs no silence in predicted mode") {
    // 0x00 is never a request's function code: the framer skips it at once.
    const auto input = cat({bytes{0xAA, 0x00}, spec_request});
    parsegrind(predicted(), input, {error(decode_status::bad_crc), frame(0x11, spec_pdu)});
}

TEST_CASE("random garbage runs before, between and after frames: no good frame is lost") {
    std::uint32_t x = 12345;
    const auto next = [&x] {
        x = x * 1103515245U + 12345U;
        return static_cast<std::uint8_t>(x >> 16);
    };
    const auto second = rtu(0x22, bytes{0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0, 10, 1, 2});
    for (int trial = 0; trial < 200; ++trial) {
        bytes g1(static_cast<std::size_t>(trial % 17 + 1));
        bytes g2(static_cast<std::size_t>(trial % 5 + 1));
        for (auto& b : g1)
            b = next();
        for (auto& b : g2)
            b = next();
        const auto input = cat({g1, spec_request, g2, second});
        INFO("trial " << trial);
        for (const auto& f : {predicted(), silence()}) {
            const auto events = gw::test::feed(f, input, {}, quiet);
            std::vector<frame_event> frames;
            int errors = 0;
            for (const auto& e : events) {
                if (e.status == decode_status::frame) {
                    frames.push_back(e);
                } else {
                    ++errors;
                }
            }
            if (f.framing() == rtu_framing::predicted) {
                // Both frames, each behind at most one error report.
                CHECK(frames == std::vector<frame_event>{
                                    frame(0x11, spec_pdu),
                                    frame(0x22, {second.begin() + 1, second.end() - 2})});
                CHECK(errors >= 1);
                CHECK(errors <= 2);
            } else {
                // Silence framing: everything is one run; at most the last frame survives.
                CHECK(frames.size() <= 1);
            }
            if (trial % 20 == 0) {
                parsegrind(f, input, events, quiet);
            }
        }
    }
}

TEST_CASE("a corrupted frame between two good ones: one bad_crc, both good frames") {
    auto bad = rtu(0x05, bytes{0x06, 0x00, 0x01, 0x00, 0x03});
    bad[3] ^= 0x40;  // a bit flipped inside the frame
    const auto last = rtu(0x07, bytes{0x03, 0x00, 0x00, 0x00, 0x01});
    const auto input = cat({spec_request, bad, last});
    const auto events = gw::test::feed(predicted(), input, {}, quiet);
    CHECK(events == std::vector<frame_event>{frame(0x11, spec_pdu), error(decode_status::bad_crc),
                                             frame(0x07, bytes{0x03, 0x00, 0x00, 0x00, 0x01})});
    parsegrind(predicted(), input, events, quiet);
}

TEST_CASE("bad CRC followed by a good frame in the same burst") {
    auto bad = spec_request;
    bad.back() ^= 0x01;
    const auto input = cat({bad, spec_request});
    const auto events = gw::test::feed(predicted(), input, {}, quiet);
    CHECK(events == std::vector<frame_event>{error(decode_status::bad_crc), frame(0x11, spec_pdu)});
    parsegrind(predicted(), input, events, quiet);
}

TEST_CASE("garbage inside a frame: the rest is rescanned, the next frame survives") {
    auto broken = spec_request;
    broken.insert(broken.begin() + 3, 0x5A);  // one byte too many in the middle
    const auto input = cat({broken, spec_request});
    const auto events = gw::test::feed(predicted(), input, {}, quiet);
    const bool two = events.size() == 2;
    CHECK(two);
    if (two) {
        CHECK(is_error(events[0].status));
        CHECK(events[1] == frame(0x11, spec_pdu));
    }
    parsegrind(predicted(), input, events, quiet);
}

// --- timing ------------------------------------------------------------------------------------

TEST_CASE("predicted mode: an incomplete frame times out at t3.5, not before") {
    auto f = predicted();
    const time_point t0{100};
    CHECK(f.put(std::span{spec_request}.first(5), t0).status == decode_status::need_more);
    REQUIRE(f.deadline().has_value());
    CHECK(*f.deadline() == t0 + timing_9600.t3_5);
    CHECK(f.poll(t0 + timing_9600.t3_5 - 1us).status == decode_status::need_more);
    const auto r = f.poll(t0 + timing_9600.t3_5);
    CHECK(r.status == decode_status::timeout);
    CHECK(f.poll(t0 + timing_9600.t3_5).status == decode_status::need_more);
    CHECK_FALSE(f.deadline().has_value());
    // The next frame after the silence is decoded normally.
    const auto r2 = f.put(spec_request, t0 + 10ms);
    CHECK(r2.status == decode_status::frame);
}

TEST_CASE("a partial frame followed by a new frame after a silence: timeout, then the frame") {
    auto f = predicted();
    std::vector<frame_event> events;
    gw::test::drive(f, std::span{spec_request}.first(4), time_point{0}, events);
    gw::test::drive(f, spec_request, time_point{0} + 20ms, events);
    CHECK(events == std::vector<frame_event>{error(decode_status::timeout), frame(0x11, spec_pdu)});
}

TEST_CASE("the deadline moves with each byte") {
    auto f = silence();
    CHECK(f.put(std::span{spec_request}.first(3), time_point{1000}).status ==
          decode_status::need_more);
    CHECK(*f.deadline() == time_point{1000} + timing_9600.t3_5);
    CHECK(f.put(std::span{spec_request}.subspan(3), time_point{2000}).status ==
          decode_status::need_more);
    CHECK(*f.deadline() == time_point{2000} + timing_9600.t3_5);
    CHECK(f.poll(time_point{2000} + timing_9600.t3_5 - 1us).status == decode_status::need_more);
    CHECK(f.poll(time_point{2000} + timing_9600.t3_5).status == decode_status::frame);
    CHECK(f.unit() == 0x11);
}

TEST_CASE("silence mode: a frame is closed by the gap before the next one") {
    auto f = silence();
    CHECK(f.put(spec_request, time_point{0}).status == decode_status::need_more);
    const auto second = rtu(2, bytes{0x07});
    const time_point later = time_point{0} + timing_9600.t3_5;
    auto r = f.put(second, later);
    REQUIRE(r.status == decode_status::frame);
    CHECK(r.consumed == 0);  // the second frame's bytes are still the caller's
    CHECK(f.unit() == 0x11);
    r = f.put(second, later);
    CHECK(r.status == decode_status::need_more);
    CHECK(r.consumed == second.size());
    CHECK(f.poll(later + timing_9600.t3_5).status == decode_status::frame);
    CHECK(f.unit() == 2);
}

TEST_CASE("two frames without a silence between them are one bad frame in silence mode") {
    const auto input = cat({spec_request, spec_request});
    parsegrind(silence(), input, {error(decode_status::bad_crc), frame(0x11, spec_pdu)}, quiet);
}

TEST_CASE("strict t1.5: a gap of more than 1.5 characters ends the frame") {
    auto f = silence();
    f.set_strict_t1_5(true);
    CHECK(f.put(std::span{spec_request}.first(4), time_point{0}).status ==
          decode_status::need_more);
    CHECK(*f.deadline() == time_point{0} + timing_9600.t1_5);
    // The rest arrives after t1.5 but before t3.5: the first part is a broken frame.
    const auto r = f.put(std::span{spec_request}.subspan(4), time_point{0} + timing_9600.t1_5);
    CHECK(r.status == decode_status::bad_crc);
    CHECK(r.consumed == 0);
    // Without strict mode the same timing makes one good frame.
    auto lax = silence();
    CHECK(lax.put(std::span{spec_request}.first(4), time_point{0}).status ==
          decode_status::need_more);
    CHECK(lax.put(std::span{spec_request}.subspan(4), time_point{0} + timing_9600.t1_5).status ==
          decode_status::need_more);
    CHECK(lax.poll(time_point{0} + timing_9600.t1_5 + timing_9600.t3_5).status ==
          decode_status::frame);
}

// --- size limits -------------------------------------------------------------------------------

TEST_CASE("256 bytes is a frame, 257 is too long (silence mode)") {
    bytes pdu(253, 0x00);
    pdu[0] = 0x41;  // user-defined: opaque
    const auto max = rtu(9, pdu);
    REQUIRE(max.size() == 256);
    parsegrind(silence(), max, {frame(9, pdu)}, quiet);
    // One more byte: too long, reported once, nothing decoded until the silence.
    const auto over = cat({max, bytes{0x00}});
    parsegrind(silence(), over, {error(decode_status::too_long)}, quiet);
    // ... and the framer works again afterwards.
    auto f = silence();
    std::vector<frame_event> events;
    gw::test::drive(f, over, time_point{0}, events);
    gw::test::drive(f, spec_request, quiet, events);
    gw::test::drain(f, quiet + 1s, events);
    CHECK(events ==
          std::vector<frame_event>{error(decode_status::too_long), frame(0x11, spec_pdu)});
}

TEST_CASE("predicted mode: 256-byte frames of every kind") {
    bytes fc3(2 + 250, 0x5A);  // read holding registers answer of 125 registers
    fc3[0] = 0x03;
    fc3[1] = 250;
    parsegrind(predicted(pdu_direction::response), rtu(1, fc3), {frame(1, fc3)});
    bytes user(253, 0x77);
    user[0] = 0x64;  // user-defined 100, the longest possible
    parsegrind(predicted(), rtu(1, user), {frame(1, user)}, quiet);
}

TEST_CASE("predicted mode: an opaque run longer than 256 bytes is dropped byte by byte") {
    bytes run(300, 0x41);  // unit 0x41, function 0x41 (user-defined), forever
    const auto input = cat({run, spec_request});
    const auto events = gw::test::feed(predicted(), input, {}, quiet);
    CHECK(events ==
          std::vector<frame_event>{error(decode_status::too_long), frame(0x11, spec_pdu)});
    parsegrind(predicted(), input, events, quiet);
}

TEST_CASE("reset drops everything") {
    auto f = predicted();
    CHECK(f.put(std::span{spec_request}.first(5), time_point{0}).status ==
          decode_status::need_more);
    CHECK(f.buffered() == 5);
    f.reset();
    CHECK(f.buffered() == 0);
    CHECK_FALSE(f.deadline().has_value());
    CHECK(f.put(spec_request, time_point{1}).status == decode_status::frame);
}

TEST_CASE("response direction: exception responses are 5-byte frames") {
    const bytes exc{0x83, 0x02};
    parsegrind(predicted(pdu_direction::response), rtu(0x11, exc), {frame(0x11, exc)});
}
