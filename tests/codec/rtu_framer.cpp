#include <gw/codec/rtu_framer.hpp>
#include <gw/transport/concepts.hpp>

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

// --- the awaited reply (expect): line noise before a reply ------------------------------------

namespace {

constexpr rtu_timing timing_115200 = rtu_timing_for_baud(115200);  // t3.5 = 1750 us

// A master's response framer after its request to `unit` with `function` went out.
rtu_framer awaiting(std::uint8_t unit, std::uint8_t function,
                    rtu_framing mode = rtu_framing::predicted) {
    rtu_framer f{pdu_direction::response, mode, timing_115200};
    f.expect(unit, function);
    return f;
}

// Chunks of bytes, each arriving at its own time (microseconds).
struct arrival {
    std::int64_t at_us;
    bytes data;
};

// The driver's loop with timestamps: poll at every deadline that falls before the next arrival,
// then put the arrival; finally poll at every deadline until `end_us`.
std::vector<frame_event> feed_timed(rtu_framer f, const std::vector<arrival>& arrivals,
                                    std::int64_t end_us) {
    std::vector<frame_event> events;
    const auto poll_until = [&](time_point t) {
        for (int guard = 0; guard < 1000; ++guard) {
            const auto due = f.deadline();
            if (!due || *due > t) {
                return;
            }
            gw::test::drain(f, *due, events);
        }
        FAIL("the deadline does not move");
    };
    for (const auto& a : arrivals) {
        const time_point t{std::chrono::microseconds{a.at_us}};
        poll_until(t);
        gw::test::drive(f, a.data, t, events);
    }
    poll_until(time_point{std::chrono::microseconds{end_us}});
    return events;
}

std::vector<frame_event> frames_of(const std::vector<frame_event>& events) {
    std::vector<frame_event> frames;
    for (const auto& e : events) {
        if (e.status == decode_status::frame) {
            frames.push_back(e);
        }
    }
    return frames;
}

// FC 17 (report server id) answer of unit 0x41: byte count 3, id "gw", run indicator ON.
const bytes server_id_pdu{0x11,        // function 17
                          0x03,        // byte count 3
                          0x67, 0x77,  // server id "gw"
                          0xFF};       // run indicator: ON
// FC 3 answer of unit 1 to "read 2 registers": byte count 4, registers 0x000A, 0x000B.
const bytes read_2_pdu{0x03,         // function 3
                       0x04,         // byte count 4
                       0x00, 0x0A,   // register 0x000A
                       0x00, 0x0B};  // register 0x000B

}  // namespace

TEST_CASE("awaited reply: a noise header with a large byte count does not swallow the reply") {
    const bytes noise{0x41,   // the awaited unit 0x41 ...
                      0x11,   // ... and function 17: a candidate start
                      0xC8,   // byte count 200: this candidate needs 205 bytes
                      0x5A};  // one more noise byte
    const auto input = cat({noise, rtu(0x41, server_id_pdu)});
    // The reply is complete inside the bogus candidate's span: found on its last byte, without
    // a silence and without the 196 bytes the bogus header asks for.
    parsegrind(awaiting(0x41, 0x11), input,
               {error(decode_status::bad_crc), frame(0x41, server_id_pdu)});
    auto f = awaiting(0x41, 0x11);
    std::vector<frame_event> events;
    gw::test::drive(f, input, time_point{0}, events);
    CHECK(events.size() == 2);
    CHECK(f.buffered() == 0);
}

TEST_CASE("awaited reply: noise, a gap longer than t3.5, then the reply in chunks") {
    const bytes noise{0x01,   // the awaited unit 1 ...
                      0x03,   // ... function 3 ...
                      0xF0,   // ... byte count 240: needs 245 bytes
                      0x77,   // noise
                      0x13};  // noise
    const auto reply = rtu(1, read_2_pdu);
    for (std::size_t cut = 0; cut <= reply.size(); ++cut) {
        INFO("reply cut at " << cut);
        // Noise at 0, the reply 3 ms later (gap > t3.5), its second part 16 ms after that
        // (an FTDI adapter's latency timer), then a long silence.
        const std::vector<arrival> line{
            {0, noise},
            {3000, bytes(reply.begin(), reply.begin() + static_cast<std::ptrdiff_t>(cut))},
            {19000, bytes(reply.begin() + static_cast<std::ptrdiff_t>(cut), reply.end())}};
        const auto events = feed_timed(awaiting(1, 3), line, 1'000'000);
        CHECK(frames_of(events) == std::vector<frame_event>{frame(1, read_2_pdu)});
        CHECK(events.size() == 2);  // the noise, reported once, then the reply
    }
}

TEST_CASE("awaited reply: chunks with gaps longer than t3.5 inside one frame still frame") {
    // FC 3 answer of 125 registers: 255 bytes, long enough to arrive in several USB packets.
    bytes pdu(2 + 250, 0x00);
    pdu[0] = 0x03;  // function 3
    pdu[1] = 250;   // byte count
    for (std::size_t i = 2; i < pdu.size(); ++i) {
        pdu[i] = static_cast<std::uint8_t>(i * 7);
    }
    const auto reply = rtu(7, pdu);
    for (std::size_t cut = 1; cut < reply.size(); ++cut) {
        INFO("cut at " << cut);
        const std::vector<arrival> line{
            {0, bytes(reply.begin(), reply.begin() + static_cast<std::ptrdiff_t>(cut))},
            {16000, bytes(reply.begin() + static_cast<std::ptrdiff_t>(cut), reply.end())}};
        const auto events = feed_timed(awaiting(7, 3), line, 1'000'000);
        CHECK(events == std::vector<frame_event>{frame(7, pdu)});
    }
    // Byte by byte, 5 ms apart.
    std::vector<arrival> slow;
    for (std::size_t i = 0; i < reply.size(); ++i) {
        slow.push_back({static_cast<std::int64_t>(i) * 5000, bytes{reply[i]}});
    }
    CHECK(feed_timed(awaiting(7, 3), slow, 10'000'000) == std::vector<frame_event>{frame(7, pdu)});
}

TEST_CASE("awaited reply: garbage then the reply, every split") {
    const bytes garbage{0xFF,   // cannot start the reply: skipped at once ...
                        0x01,   // the awaited unit, but ...
                        0x10,   // ... function 16 is not awaited
                        0x01,   // the awaited unit ...
                        0x83};  // ... and the exception of function 3: a 5-byte candidate
    const auto input = cat({garbage, rtu(1, read_2_pdu)});
    parsegrind(awaiting(1, 3), input, {error(decode_status::bad_crc), frame(1, read_2_pdu)});
    // An exception reply behind the same noise.
    const bytes exc{0x83, 0x02};
    parsegrind(awaiting(1, 3), cat({garbage, rtu(1, exc)}),
               {error(decode_status::bad_crc), frame(1, exc)});
}

TEST_CASE("awaited reply: noise is told from a damaged reply") {
    auto f = awaiting(1, 3);
    std::vector<frame_event> events;
    gw::test::drive(f, bytes{0x55, 0xAA, 0x02}, time_point{0}, events);  // noise only
    REQUIRE(events == std::vector<frame_event>{error(decode_status::bad_crc)});
    CHECK(f.reported_noise());
    CHECK_FALSE(f.holds_reply_start());

    auto damaged = rtu(1, read_2_pdu);
    damaged[4] ^= 0x01;  // a bit flipped in the first register
    auto g = awaiting(1, 3);
    events.clear();
    gw::test::drive(g, damaged, time_point{0}, events);
    REQUIRE(events == std::vector<frame_event>{error(decode_status::bad_crc)});
    CHECK_FALSE(g.reported_noise());

    // A partial reply is a reply's start; a gap does not end it and sets no deadline.
    auto h = awaiting(1, 3);
    events.clear();
    gw::test::drive(h, bytes{0x01, 0x03, 0x04}, time_point{0}, events);
    CHECK(events.empty());
    CHECK(h.holds_reply_start());
    CHECK_FALSE(h.deadline().has_value());
    CHECK(h.poll(time_point{10s}).status == decode_status::need_more);
    CHECK(h.buffered() == 3);
}

TEST_CASE("awaited reply: another unit's frame is still framed, the expectation ends at reset") {
    // Unit 2 answers unit 1's request: the master must see it to count a wrong-unit reply.
    parsegrind(awaiting(1, 3), rtu(2, read_2_pdu), {frame(2, read_2_pdu)});
    auto f = awaiting(1, 3);
    CHECK(f.expecting());
    f.reset();
    CHECK_FALSE(f.expecting());
    // Without the expectation, function 6 frames again.
    const bytes write_echo{0x06, 0x00, 0x01, 0x00, 0x03};
    CHECK(f.put(rtu(1, write_echo), time_point{0}).status == decode_status::frame);
}

TEST_CASE("awaited reply: a user-defined function still ends at a silence, behind noise") {
    const bytes user{0x41, 0x01, 0x02, 0x03};  // function 65 and three data bytes
    const std::vector<arrival> line{{0, bytes{0x13, 0x37}}, {3000, rtu(9, user)}};
    const auto events = feed_timed(awaiting(9, 0x41), line, 1'000'000);
    CHECK(events == std::vector<frame_event>{error(decode_status::bad_crc), frame(9, user)});
}

TEST_CASE("awaited reply: random noise shapes, gaps and chunks never give a wrong frame") {
    std::uint32_t x = 20240607;
    const auto next = [&x] {
        x = x * 1664525U + 1013904223U;
        return static_cast<std::uint8_t>(x >> 24);
    };
    int delivered = 0;
    constexpr int trials = 3000;
    for (int trial = 0; trial < trials; ++trial) {
        const std::uint8_t unit = static_cast<std::uint8_t>(1 + next() % 247);
        // Read 1..125 registers: the reply, with register values from the noise generator.
        const std::size_t count = 1 + next() % 125;
        bytes pdu{0x03, static_cast<std::uint8_t>(2 * count)};
        for (std::size_t i = 0; i < 2 * count; ++i) {
            pdu.push_back(next());
        }
        const auto reply = rtu(unit, pdu);
        // Noise of 1..12 bytes: random, or shaped like the reply's header (awaited unit and
        // function, a large byte count), or the reply's own first bytes (a false start).
        bytes noise(1 + next() % 12);
        for (auto& b : noise) {
            b = next();
        }
        switch (next() % 4) {
            case 0:
                noise[0] = unit;
                if (noise.size() > 1) noise[1] = 0x03;
                if (noise.size() > 2) noise[2] = static_cast<std::uint8_t>(0x80 | next());
                break;
            case 1:
                for (std::size_t i = 0; i < noise.size() && i + 2 < reply.size(); ++i) {
                    noise[i] = reply[i];
                }
                break;
            default:
                break;
        }
        // Noise, a gap of 0..5 ms, the reply in 1..3 chunks with gaps of 0..16 ms.
        std::vector<arrival> line{{0, noise}};
        std::int64_t t = static_cast<std::int64_t>(next() % 6) * 1000;
        std::size_t pos = 0;
        while (pos < reply.size()) {
            const std::size_t n = std::min<std::size_t>(reply.size() - pos, 1 + next() % 200);
            line.push_back({t, bytes(reply.begin() + static_cast<std::ptrdiff_t>(pos),
                                     reply.begin() + static_cast<std::ptrdiff_t>(pos + n))});
            pos += n;
            t += static_cast<std::int64_t>(next() % 17) * 1000;
        }
        const auto frames = frames_of(feed_timed(awaiting(unit, 0x03), line, t + 1'000'000));
        INFO("trial " << trial);
        for (const auto& fr : frames) {
            CHECK(fr == frame(unit, pdu));  // never anything else
        }
        delivered += frames.size() == 1 ? 1 : 0;
    }
    CHECK(delivered == trials);
}

// --- stream mode (RTU over TCP) ----------------------------------------------------------------

TEST_CASE("stream mode: a request split across two segments 3 ms apart is one frame") {
    const rtu_framer f{pdu_direction::request, rtu_framing::stream, timing_115200};
    const std::vector<arrival> segments{
        {0, bytes(spec_request.begin(), spec_request.begin() + 3)},  // unit, function, address hi
        {3000, bytes(spec_request.begin() + 3, spec_request.end())}};
    CHECK(feed_timed(f, segments, 1'000'000) == std::vector<frame_event>{frame(0x11, spec_pdu)});
    // And at every split, with no deadline ever set.
    for (std::size_t cut = 0; cut <= spec_request.size(); ++cut) {
        auto g = f;
        std::vector<frame_event> events;
        gw::test::drive(g, std::span{spec_request}.first(cut), time_point{0}, events);
        CHECK_FALSE(g.deadline().has_value());
        gw::test::drive(g, std::span{spec_request}.subspan(cut), time_point{1h}, events);
        CHECK(events == std::vector<frame_event>{frame(0x11, spec_pdu)});
    }
    parsegrind(f, spec_request, {frame(0x11, spec_pdu)});
}

TEST_CASE("stream mode: a function of unpredictable length is skipped, the next frame found") {
    const rtu_framer f{pdu_direction::request, rtu_framing::stream, timing_115200};
    const auto user = rtu(0x11, bytes{0x41, 0x00});  // user-defined 65: no length to predict
    const auto input = cat({user, spec_request});
    parsegrind(f, input, {error(decode_status::bad_crc), frame(0x11, spec_pdu)});
}

TEST_CASE("awaited reply: a frame inside the data of a reply of the awaited shape is data") {
    // Register values that spell unit 1's exception 02 with its CRC: whoever can write those
    // registers must not be able to turn other masters' reads into exceptions.
    const auto embedded = rtu(1, bytes{0x83, 0x02});  // 01 83 02 C0 F1
    bytes pdu{0x03,                                   // function 3
              0x08};                                  // byte count 8: four registers
    pdu.insert(pdu.end(), embedded.begin(), embedded.end());
    pdu.insert(pdu.end(), {0x00, 0x00, 0x00});  // the rest of the fourth register
    // The channel knows the reply's length (read 4 registers: 10 bytes of PDU).
    auto known = awaiting(1, 3);
    known.expect(1, 3, pdu.size());
    parsegrind(known, rtu(1, pdu), {frame(1, pdu)});
    // A reply whose length only the device knows (FC 17): an exception inside is never taken.
    bytes id{0x11, 0x06};  // function 17, byte count 6
    id.insert(id.end(), embedded.begin(), embedded.end());
    id.push_back(0xFF);  // run indicator
    parsegrind(awaiting(1, 0x11), rtu(1, id), {frame(1, id)});
}
